//! The metrics engine's handlers and reconcile, on the real RabbitMQ, PostgreSQL and Redis.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_bus::topology::DEAD_LETTER_QUEUE;
use odto_bus::{DeadLetterInfo, JobBus, Message, MessageHandler, Outcome};
use odto_contracts::{EventEnvelope, EventType, Job, JobStatus, JobType, Producer};
use odto_metrics_engine::{
    DeadLetterRecorder, EngineMetrics, EventSinks, EventsHandler, reconcile,
};
use odto_store::dead_letters::DeadLetterStore;
use odto_store::events::EventStore;
use odto_store::jobs::JobStore;
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::RedisStats;
use odto_store::stats::StatsStore;
use odto_test_support::{TestDatabase, TestVhost, get_messages, redis_url, unique_redis_prefix};
use serde_json::{Value, json};

struct Fixture {
    handler: EventsHandler,
    store: PgStore,
    stats: RedisStats,
    vhost: TestVhost,
    _db: TestDatabase,
}

async fn fixture() -> Fixture {
    let vhost = TestVhost::create().await;
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&PgSettings::new(db.url())).await.unwrap();
    let stats = RedisStats::new(&redis_url(), unique_redis_prefix()).unwrap();
    let bus = RabbitBus::start(RabbitConfig::new(vhost.amqp_url(), "engine-test")).unwrap();
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    let bus: Arc<dyn JobBus> = Arc::new(bus);
    let sinks = EventSinks {
        events: Arc::new(store.clone()),
        jobs: Arc::new(store.clone()),
        stats: Arc::new(stats.clone()),
    };
    let handler = EventsHandler {
        bus,
        sinks,
        metrics: EngineMetrics::new(),
    };
    Fixture {
        handler,
        store,
        stats,
        vhost,
        _db: db,
    }
}

/// A job's lifecycle as the processor would emit it: created (rev 0), started (1), completed (2).
fn lifecycle(job_type: &str) -> Vec<EventEnvelope> {
    let job = Job::new(
        uuid::Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        Utc::now(),
    );
    let producer = Producer::new("test", "t-1", "0");
    let steps = [
        (EventType::JobCreated, JobStatus::Pending, 0),
        (EventType::JobStarted, JobStatus::Executing, 1),
        (EventType::JobCompleted, JobStatus::Completed, 2),
    ];
    steps
        .into_iter()
        .map(|(event_type, status, revision)| {
            let mut job = job.clone();
            job.status = status;
            job.revision = Some(revision);
            let key = format!("{}:{revision}", job.id);
            EventEnvelope::new(event_type, job, producer.clone(), "c", key, Utc::now())
        })
        .collect()
}

fn message(body: Vec<u8>) -> Message {
    Message {
        body,
        redelivered: false,
        message_id: None,
        dead_letter: None,
    }
}

#[tokio::test]
async fn a_batch_is_stored_counted_once_and_its_jobs_recorded_even_when_redelivered() {
    let fixture = fixture().await;
    let events: Vec<_> = lifecycle("a").into_iter().chain(lifecycle("b")).collect();
    let body = serde_json::to_vec(&events).unwrap();

    let first = fixture.handler.handle(message(body.clone())).await;
    let again = fixture
        .handler
        .handle(Message {
            redelivered: true,
            ..message(body)
        })
        .await;

    assert_eq!((first, again), (Outcome::Ack, Outcome::Ack));
    assert_eq!(EventStore::count(&fixture.store).await.unwrap(), 6);
    let stats = fixture.stats.snapshot().await.unwrap();
    assert_eq!(
        (
            stats.accepted,
            stats.by_status.completed,
            stats.events_applied
        ),
        (2, 2, 6)
    );
    assert_eq!(stats.by_type["a"].completed, 1);
    let job = JobStore::get(&fixture.store, events[0].payload.id)
        .await
        .unwrap();
    assert!(job.is_some(), "job.created recorded the job");
    let stored = fixture.store.for_job(events[0].payload.id).await.unwrap();
    assert_eq!(stored, events[..3].to_vec(), "every envelope field kept");
}

#[tokio::test]
async fn an_invalid_element_is_dead_lettered_alone_and_the_rest_of_its_batch_counts() {
    let fixture = fixture().await;
    let mut batch: Vec<Value> = lifecycle("a")
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    batch.push(json!({"eventType": "job.completed", "junk": true}));

    let outcome = fixture
        .handler
        .handle(message(serde_json::to_vec(&batch).unwrap()))
        .await;

    assert_eq!(outcome, Outcome::Ack);
    assert_eq!(
        fixture.stats.snapshot().await.unwrap().by_status.completed,
        1
    );
    let letters = get_messages(&fixture.vhost.amqp_url(), DEAD_LETTER_QUEUE, 10).await;
    assert_eq!(letters.len(), 1);
    let headers = letters[0].properties.headers().clone().unwrap_or_default();
    let reason = match headers.inner().get("x-odto-reason") {
        Some(lapin::types::AMQPValue::LongString(reason)) => reason.to_string(),
        other => panic!("no reason header: {other:?}"),
    };
    assert!(reason.starts_with("not a valid event envelope"), "{reason}");
}

#[tokio::test]
async fn a_message_that_is_not_an_event_batch_is_dead_lettered() {
    let fixture = fixture().await;

    for body in [b"garbage".to_vec(), b"42".to_vec(), b"[]".to_vec()] {
        let outcome = fixture.handler.handle(message(body)).await;
        assert!(matches!(outcome, Outcome::DeadLetter { .. }), "{outcome:?}");
    }
}

#[tokio::test]
async fn reconcile_rebuilds_the_statistics_from_the_event_store() {
    let fixture = fixture().await;
    for job_type in ["a", "b", "c"] {
        let body = serde_json::to_vec(&lifecycle(job_type)).unwrap();
        fixture.handler.handle(message(body)).await;
    }
    let before = fixture.stats.snapshot().await.unwrap();
    fixture.stats.clear().await.unwrap();

    let rebuilt = reconcile(&fixture.store, &fixture.stats).await.unwrap();

    assert_eq!(rebuilt.accepted, 3);
    assert_eq!(rebuilt.by_status, before.by_status);
    assert_eq!(rebuilt.by_type, before.by_type);
}

#[tokio::test]
async fn dead_letters_are_recorded_once_with_their_reason_source_and_job() {
    let fixture = fixture().await;
    let recorder = DeadLetterRecorder {
        store: Arc::new(fixture.store.clone()),
        metrics: EngineMetrics::new(),
    };
    let event = &lifecycle("a")[0];
    let letter = Message {
        body: serde_json::to_vec(event).unwrap(),
        redelivered: false,
        message_id: Some(uuid::Uuid::new_v4().to_string()),
        dead_letter: Some(DeadLetterInfo {
            reason: "failed after 3 attempt(s): boom".into(),
            source: "jobs.created".into(),
        }),
    };

    assert_eq!(recorder.handle(letter.clone()).await, Outcome::Ack);
    assert_eq!(recorder.handle(letter).await, Outcome::Ack);

    let page = DeadLetterStore::list(&fixture.store, 10, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].reason, "failed after 3 attempt(s): boom");
    assert_eq!(page.items[0].source, "jobs.created");
    assert_eq!(page.items[0].job_id, Some(event.payload.id));
}
