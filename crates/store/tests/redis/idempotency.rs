//! The Redis idempotency store.

use std::time::Duration;

use odto_store::StoreError;
use odto_store::idempotency::{Claim, IdempotencyRecord, IdempotencyStore, RecordState};
use odto_store::redis::RedisIdempotency;
use odto_test_support::{eventually, redis_url, unique_redis_prefix};

async fn store() -> RedisIdempotency {
    super::require_redis().await;
    RedisIdempotency::new(&redis_url(), unique_redis_prefix()).expect("valid URL")
}

fn record(state: RecordState, fingerprint: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        state,
        fingerprint: fingerprint.into(),
        response: "{\"n\":1}".into(),
    }
}

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn the_first_claim_acquires_and_later_ones_see_the_holder() {
    let store = store().await;
    let pending = record(RecordState::InProgress, "f1");

    assert_eq!(
        store.claim("k", &pending, DAY).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        store.claim("k", &pending, DAY).await.unwrap(),
        Claim::Existing(pending.clone())
    );

    let done = record(RecordState::Completed, "f1");
    store.complete("k", &done, DAY).await.unwrap();
    assert_eq!(
        store.claim("k", &pending, DAY).await.unwrap(),
        Claim::Existing(done)
    );
}

#[tokio::test]
async fn a_released_key_can_be_claimed_again() {
    let store = store().await;
    let pending = record(RecordState::InProgress, "f1");
    store.claim("k", &pending, DAY).await.unwrap();

    store.release("k").await.unwrap();

    assert_eq!(
        store.claim("k", &pending, DAY).await.unwrap(),
        Claim::Acquired
    );
}

#[tokio::test]
async fn a_key_is_forgotten_after_its_retention_window() {
    let store = store().await;
    let pending = record(RecordState::InProgress, "f1");
    store
        .claim("k", &pending, Duration::from_millis(50))
        .await
        .unwrap();

    assert!(matches!(
        store.claim("k", &pending, DAY).await.unwrap(),
        Claim::Existing(_)
    ));

    eventually(Duration::from_secs(2), "the key to expire", || async {
        (store.claim("k", &pending, DAY).await.unwrap() == Claim::Acquired).then_some(())
    })
    .await;
}

#[tokio::test]
async fn concurrent_claims_of_one_key_have_exactly_one_winner() {
    let store = store().await;
    let pending = record(RecordState::InProgress, "f1");

    let claims =
        futures_util::future::join_all((0..20).map(|_| store.claim("k", &pending, DAY))).await;

    let winners = claims
        .iter()
        .filter(|c| matches!(c, Ok(Claim::Acquired)))
        .count();
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn an_unreachable_redis_fails_fast_as_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let store = RedisIdempotency::new(&format!("redis://{port}"), "p").unwrap();
    let started = std::time::Instant::now();

    let claim = store
        .claim("k", &record(RecordState::InProgress, "f"), DAY)
        .await;

    assert!(
        matches!(claim, Err(StoreError::Unavailable(_))),
        "{claim:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!store.is_available().await);
}
