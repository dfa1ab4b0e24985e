//! What only the Redis backends can show: an unreachable server, and stores sharing one Redis
//! under different key prefixes. Their behaviour is tested with the other backends' in the
//! `stores` target.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, EventType, Job, JobType, Producer};
use odto_store::StoreError;
use odto_store::idempotency::{IdempotencyRecord, IdempotencyStore, RecordState};
use odto_store::redis::{RedisIdempotency, RedisStats};
use odto_store::stats::StatsStore;
use odto_test_support::{redis_url, require_service, unique_redis_prefix};
use uuid::Uuid;

/// Panics with instructions unless the test Redis answers.
async fn require_redis() {
    let url = redis_url();
    let addr = url.trim_start_matches("redis://").to_owned();
    require_service(
        "Redis",
        &addr,
        "redis-server --daemonize yes --port 6379 --save ''",
    )
    .await;
}

async fn stats() -> RedisStats {
    require_redis().await;
    RedisStats::new(&redis_url(), unique_redis_prefix()).expect("valid URL")
}

/// A `job.created` event of a new job, ten seconds ago.
fn created() -> EventEnvelope {
    let at = DateTime::from_timestamp(Utc::now().timestamp() - 10, 0).unwrap();
    let job = Job::new(Uuid::now_v7(), JobType::parse("t").unwrap(), at);
    let producer = Producer::new("test", "t-1", "0");
    EventEnvelope::new(EventType::JobCreated, job, producer, "c", "k", at)
}

#[tokio::test]
async fn clear_forgets_the_statistics_under_its_prefix_only() {
    let (cleared, kept) = (stats().await, stats().await);
    let events = [created()];
    cleared.apply(&events).await.unwrap();
    kept.apply(&events).await.unwrap();

    cleared.clear().await.unwrap();

    assert_eq!(cleared.snapshot().await.unwrap(), Default::default());
    assert_eq!(kept.snapshot().await.unwrap().accepted, 1);
}

#[tokio::test]
async fn an_unreachable_redis_fails_fast_as_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let store = RedisIdempotency::new(&format!("redis://{port}"), "p").unwrap();
    let started = Instant::now();
    let record = IdempotencyRecord {
        state: RecordState::InProgress,
        fingerprint: "f".into(),
        response: "{}".into(),
    };

    let claim = store.claim("k", &record, Duration::from_secs(60)).await;

    assert!(
        matches!(claim, Err(StoreError::Unavailable(_))),
        "{claim:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!store.is_available().await);
}
