//! Idempotency keys: claimed once, completed or released, forgotten after their retention.

use std::time::Duration;

use odto_store::idempotency::{Claim, IdempotencyRecord, RecordState};
use odto_test_support::eventually;

use crate::backend::{Backend, on_every_backend};

fn record(state: RecordState, fingerprint: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        state,
        fingerprint: fingerprint.into(),
        response: "{\"n\":1}".into(),
    }
}

const DAY: Duration = Duration::from_secs(86_400);

async fn the_first_claim_acquires_and_later_ones_see_the_holder(backend: Backend) {
    let store = backend.idempotency().await;
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

async fn a_released_key_can_be_claimed_again(backend: Backend) {
    let store = backend.idempotency().await;
    let pending = record(RecordState::InProgress, "f1");
    store.claim("k", &pending, DAY).await.unwrap();

    store.release("k").await.unwrap();

    assert_eq!(
        store.claim("k", &pending, DAY).await.unwrap(),
        Claim::Acquired
    );
}

async fn a_key_is_forgotten_after_its_retention_window(backend: Backend) {
    let store = backend.idempotency().await;
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

async fn concurrent_claims_of_one_key_have_exactly_one_winner(backend: Backend) {
    let store = backend.idempotency().await;
    let pending = record(RecordState::InProgress, "f1");

    let claims =
        futures_util::future::join_all((0..20).map(|_| store.claim("k", &pending, DAY))).await;

    let winners = claims
        .iter()
        .filter(|c| matches!(c, Ok(Claim::Acquired)))
        .count();
    assert_eq!(winners, 1);
}

on_every_backend!(redis:
    the_first_claim_acquires_and_later_ones_see_the_holder,
    a_released_key_can_be_claimed_again,
    a_key_is_forgotten_after_its_retention_window,
    concurrent_claims_of_one_key_have_exactly_one_winner,
);
