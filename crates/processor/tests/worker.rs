//! `Worker::process`, the processor's unit of work, on the real RabbitMQ and PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use odto_bus::JobBus;
use odto_bus::Outcome;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_bus::topology::METRICS_QUEUE;
use odto_contracts::{EventEnvelope, EventType, Job, JobStatus, JobType, Producer};
use odto_processor::{
    Backoff, Handler, JobFailure, ProcessorMetrics, Registry, Worker, WorkerSettings,
};
use odto_store::jobs::{AttemptOutcome, JobStore};
use odto_store::postgres::{PgSettings, PgStore};
use odto_test_support::{TestDatabase, TestVhost, get_messages};
use serde_json::{Value, json};

struct Fixture {
    worker: Worker,
    store: PgStore,
    vhost: TestVhost,
    _db: TestDatabase,
}

async fn fixture(registry: Registry) -> Fixture {
    let vhost = TestVhost::create().await;
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&PgSettings::new(db.url())).await.unwrap();
    let bus = RabbitBus::start(RabbitConfig::new(vhost.amqp_url(), "worker-test")).unwrap();
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    let settings = WorkerSettings {
        instance_id: "test-worker".into(),
        job_timeout: Duration::from_millis(500),
        lease_margin: Duration::from_millis(100),
        backoff: Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_millis(20),
        },
    };
    let bus: Arc<dyn JobBus> = Arc::new(bus);
    let worker = Worker::new(
        bus,
        Arc::new(store.clone()),
        registry,
        settings,
        ProcessorMetrics::new(),
    );
    Fixture {
        worker,
        store,
        vhost,
        _db: db,
    }
}

fn builtins() -> Registry {
    Registry::with_builtins(Duration::ZERO)
}

fn created(payload: Value, max_attempts: Option<u32>) -> (Job, Vec<u8>) {
    let mut job = Job::new(
        uuid::Uuid::now_v7(),
        JobType::parse("t").unwrap(),
        Utc::now(),
    );
    job.payload = payload.as_object().cloned();
    job.max_attempts = max_attempts;
    let producer = Producer::new("gateway", "test", "0");
    let envelope = EventEnvelope::new(
        EventType::JobCreated,
        job.clone(),
        producer,
        "c-1",
        "k",
        Utc::now(),
    );
    (job, serde_json::to_vec(&envelope).unwrap())
}

/// Event types the worker published, in order (event batches on the metrics queue).
async fn published_types(fixture: &Fixture) -> Vec<String> {
    get_messages(&fixture.vhost.amqp_url(), METRICS_QUEUE, 100)
        .await
        .iter()
        .flat_map(|m| serde_json::from_slice::<Vec<Value>>(&m.data).unwrap())
        .map(|e| e["eventType"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_job_runs_and_its_state_attempt_and_events_are_recorded_before_the_ack() {
    let fixture = fixture(builtins()).await;
    let (job, body) = created(json!({}), None);

    let outcome = fixture.worker.process(&body).await;

    assert_eq!(outcome, Outcome::Ack);
    let record = fixture.store.get(job.id).await.unwrap().unwrap();
    assert_eq!(record.job.status, JobStatus::Completed);
    let attempts = fixture.store.attempts(job.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, Some(AttemptOutcome::Completed));
    let mut types = published_types(&fixture).await;
    types.sort();
    assert_eq!(types, ["job.completed", "job.started"]);
}

#[tokio::test]
async fn a_redelivered_finished_job_is_acknowledged_without_running_again() {
    let fixture = fixture(builtins()).await;
    let (job, body) = created(json!({}), None);
    fixture.worker.process(&body).await;

    let again = fixture.worker.process(&body).await;

    assert_eq!(again, Outcome::Ack);
    assert_eq!(fixture.store.attempts(job.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_attempt_with_attempts_left_is_retried_later_then_dead_lettered_at_the_last() {
    let fixture = fixture(builtins()).await;
    let (job, body) = created(json!({"fail": true}), Some(2));

    let first = fixture.worker.process(&body).await;
    let pending = fixture.store.get(job.id).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await; // past the (tiny) backoff: what is tested
    let second = fixture.worker.process(&body).await;

    assert!(matches!(first, Outcome::Retry { .. }), "{first:?}");
    assert_eq!(pending.job.status, JobStatus::Pending);
    assert!(pending.job.last_error.unwrap().contains("fail: true"));
    match second {
        Outcome::DeadLetter { reason } => {
            assert!(reason.contains("failed after 2 attempt(s)"), "{reason}")
        }
        other => panic!("expected a dead letter, got {other:?}"),
    }
    let record = fixture.store.get(job.id).await.unwrap().unwrap();
    assert_eq!(record.job.status, JobStatus::Failed);
    assert_eq!(fixture.store.attempts(job.id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_job_not_due_yet_waits_without_running() {
    let fixture = fixture(builtins()).await;
    let mut job = Job::new(
        uuid::Uuid::now_v7(),
        JobType::parse("t").unwrap(),
        Utc::now(),
    );
    job.run_at = Some(Utc::now() + chrono::Duration::seconds(30));
    let producer = Producer::new("gateway", "test", "0");
    let envelope = EventEnvelope::new(
        EventType::JobCreated,
        job.clone(),
        producer,
        "c",
        "k",
        Utc::now(),
    );

    let outcome = fixture
        .worker
        .process(&serde_json::to_vec(&envelope).unwrap())
        .await;

    match outcome {
        Outcome::Retry { after } => assert!(after > Duration::from_secs(20), "{after:?}"),
        other => panic!("expected a retry, got {other:?}"),
    }
    assert!(fixture.store.attempts(job.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_attempt_over_the_timeout_is_recorded_as_timed_out() {
    let fixture = fixture(builtins()).await;
    let (job, body) = created(json!({"durationMs": 2000}), Some(1));

    let outcome = fixture.worker.process(&body).await;

    assert!(matches!(outcome, Outcome::DeadLetter { .. }), "{outcome:?}");
    let attempts = fixture.store.attempts(job.id).await.unwrap();
    assert_eq!(attempts[0].outcome, Some(AttemptOutcome::TimedOut));
}

#[tokio::test]
async fn messages_that_are_not_jobs_are_dead_lettered_with_the_reason() {
    let fixture = fixture(builtins()).await;
    let (_, body) = created(json!({}), None);
    let mut completed: Value = serde_json::from_slice(&body).unwrap();
    completed["eventType"] = json!("job.completed");

    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{nope".to_vec(), "not JSON"),
        (
            br#"{"eventType":"job.created"}"#.to_vec(),
            "not a valid event envelope",
        ),
        (
            serde_json::to_vec(&completed).unwrap(),
            "does not belong on the intake queue",
        ),
    ];
    for (body, expected) in cases {
        match fixture.worker.process(&body).await {
            Outcome::DeadLetter { reason } => assert!(reason.contains(expected), "{reason}"),
            other => panic!("expected a dead letter for {expected}, got {other:?}"),
        }
    }
}

struct Counting(std::sync::atomic::AtomicUsize);

#[async_trait]
impl Handler for Counting {
    async fn run(&self, _job: &Job) -> Result<(), JobFailure> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_registered_handler_runs_its_job_type() {
    let counting = Arc::new(Counting(Default::default()));
    let mut registry = builtins();
    registry.register("t", counting.clone());
    let fixture = fixture(registry).await;
    let (_, body) = created(json!({"fail": true}), None);

    let outcome = fixture.worker.process(&body).await;

    assert_eq!(
        outcome,
        Outcome::Ack,
        "the custom handler, not the simulated one, ran"
    );
    assert_eq!(counting.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}
