//! The embedded bus, each test on a SQLite file of its own: the behavioural suite every bus runs,
//! then what only the embedded bus has (exact queue figures, delays that survive a restart), and
//! a throughput measurement.

#[macro_use]
mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::suite::{self, Backend};
use common::{Consumer, Holding, Recorder, job};
use odto_bus::embedded::EmbeddedBus;
use odto_bus::inspect::{QueueInspector, QueueStats};
use odto_bus::topology::{self, DEAD_LETTER_QUEUE, JOBS_QUEUE, METRICS_QUEUE};
use odto_bus::{BusError, JobBus, Outcome};
use odto_sqlite::Options;
use odto_test_support::eventually;
use tempfile::TempDir;

/// A bus on a file of its own; a restart closes it and opens the same file again.
struct Embedded {
    dir: TempDir,
    bus: Arc<EmbeddedBus>,
}

impl Embedded {
    fn path(&self) -> PathBuf {
        self.dir.path().join("bus.sqlite")
    }

    async fn stats(&self, queue: &str) -> QueueStats {
        let inspector: Arc<dyn QueueInspector> = self.bus.clone();
        let all = inspector
            .queues()
            .await
            .expect("the embedded inspector never fails");
        all.into_iter()
            .find(|q| q.name == queue)
            .expect("a queue of the topology")
    }

    /// Waits until `queue`'s figures satisfy `check`.
    async fn wait_stats(&self, queue: &str, what: &str, check: impl Fn(&QueueStats) -> bool) {
        eventually(common::PATIENCE, what, || async {
            check(&self.stats(queue).await).then_some(())
        })
        .await;
    }
}

impl Backend for Embedded {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("bus.sqlite");
        let bus = EmbeddedBus::open(&path, &Options::default())
            .await
            .expect("opens");
        Self {
            dir,
            bus: Arc::new(bus),
        }
    }

    fn bus(&self) -> Arc<dyn JobBus> {
        self.bus.clone()
    }

    async fn restart(&mut self) {
        self.bus.close().await;
        let reopened = EmbeddedBus::open(&self.path(), &Options::default()).await;
        self.bus = Arc::new(reopened.expect("reopens"));
    }
}

behavioural_suite!(Embedded);

#[tokio::test]
async fn every_queue_of_the_topology_is_inspectable_in_order_and_starts_empty() {
    let backend = Embedded::start().await;

    let queues = backend.bus.queues().await.unwrap();

    let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
    let expected: Vec<&str> = topology::QUEUES.iter().map(|q| q.name).collect();
    assert_eq!(names, expected);
    for queue in queues {
        let empty = QueueStats {
            name: queue.name.clone(),
            depth: 0,
            in_flight: 0,
            consumers: 0,
            oldest_age_seconds: None,
        };
        assert_eq!(queue, empty);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_counts_waiting_and_in_flight_messages_consumers_and_age() {
    let backend = Embedded::start().await;
    for _ in 0..2 {
        backend.bus.enqueue(&job()).await.unwrap();
    }
    let waiting = backend.stats(JOBS_QUEUE).await;
    assert_eq!(
        (waiting.depth, waiting.in_flight, waiting.consumers),
        (2, 0, 0)
    );
    assert!(
        waiting
            .oldest_age_seconds
            .is_some_and(|age| (0.0..60.0).contains(&age))
    );
    assert!(backend.stats(METRICS_QUEUE).await.depth >= 1, "the copies");

    let holding = Arc::new(Holding::default());
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, holding.clone());
    holding.wait_started(1).await;
    let busy = backend.stats(JOBS_QUEUE).await;
    assert_eq!((busy.depth, busy.in_flight, busy.consumers), (1, 1, 1));

    holding.release.cancel();
    backend
        .wait_stats(JOBS_QUEUE, "both jobs done", |q| q.depth + q.in_flight == 0)
        .await;
    consumer.stop().await;
    let done = backend.stats(JOBS_QUEUE).await;
    assert_eq!((done.consumers, done.oldest_age_seconds), (0, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requeued_message_does_not_hold_a_slot_while_it_waits() {
    let backend = Embedded::start().await;
    let delay = Duration::from_secs(1);
    let waited = suite::a_delayed_message_lets_another_pass(
        backend.bus(),
        Outcome::Requeue { after: delay },
        "the requeue and its return",
    )
    .await;
    assert!(
        waited >= delay - Duration::from_millis(10),
        "came back after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_message_waits_out_its_delay_across_a_restart() {
    let mut backend = Embedded::start().await;
    backend.bus.enqueue(&job()).await.unwrap();
    let retrying = Recorder::with(|_, _| Outcome::Retry {
        after: Duration::from_secs(2),
    });
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, retrying.clone());
    let first = retrying.wait_for(1, "the first delivery").await[0].at;
    backend
        .wait_stats(JOBS_QUEUE, "the retry to be stored", |q| q.in_flight == 0)
        .await;
    consumer.stop().await;

    backend.restart().await;
    let delayed = backend.stats(JOBS_QUEUE).await;
    assert_eq!(
        (delayed.depth, delayed.in_flight),
        (1, 0),
        "waiting, not lost"
    );
    let recorder = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, recorder.clone());
    let again = recorder.wait_for(1, "the retried message").await;
    consumer.stop().await;

    let waited = again[0].at - first;
    assert!(
        waited >= Duration::from_millis(1_990),
        "came back after {waited:?}"
    );
    assert!(again[0].message.redelivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_never_delivered_before_a_restart_is_not_marked_redelivered() {
    let mut backend = Embedded::start().await;
    let created = job();
    backend.bus.enqueue(&created).await.unwrap();

    backend.restart().await;
    let recorder = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), JOBS_QUEUE, 1, recorder.clone());
    let delivered = recorder.wait_for(1, "the job").await;
    consumer.stop().await;

    assert_eq!(
        delivered[0].message.body,
        serde_json::to_vec(&created).unwrap()
    );
    assert!(!delivered[0].message.redelivered);
    assert_eq!(backend.stats(METRICS_QUEUE).await.depth, 1, "the copy too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_survives_a_restart_with_its_reason_and_source() {
    let mut backend = Embedded::start().await;
    backend
        .bus
        .dead_letter(JOBS_QUEUE, b"{}", "why")
        .await
        .unwrap();

    backend.restart().await;
    let letters = Recorder::acking();
    let consumer = Consumer::start(&backend.bus(), DEAD_LETTER_QUEUE, 1, letters.clone());
    let letter = letters.wait_for(1, "the dead letter").await[0]
        .message
        .clone();
    consumer.stop().await;

    let info = letter.dead_letter.expect("dead-letter information");
    assert_eq!(
        (info.reason.as_str(), info.source.as_str()),
        ("why", JOBS_QUEUE)
    );
}

#[tokio::test]
async fn opening_a_path_that_cannot_be_a_database_is_an_invalid_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "not a directory").unwrap();

    let opened = EmbeddedBus::open(&file.join("bus.sqlite"), &Options::default()).await;

    assert!(
        matches!(opened, Err(BusError::InvalidConfig(_))),
        "{opened:?}"
    );
}

/// Acknowledges everything, remembering nothing.
struct Acking;

#[async_trait::async_trait]
impl odto_bus::MessageHandler for Acking {
    async fn handle(&self, _message: odto_bus::Message) -> Outcome {
        Outcome::Ack
    }
}

/// `cargo test --release -p odto-bus --test embedded -- --ignored --nocapture throughput`
///
/// Enqueues `ODTO_BENCH_JOBS` (default 50,000) jobs from `ODTO_BENCH_PUBLISHERS` (default 256)
/// concurrent publishers while one consumer acknowledges the jobs (concurrency 256) and another
/// the event batches, and reports jobs per second end to end (until both queues are empty), at
/// full durability.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test: run it in release mode"]
async fn throughput() {
    let setting = |name, default| std::env::var(name).map_or(default, |n| n.parse().unwrap());
    let (jobs, publishers): (usize, usize) = (
        setting("ODTO_BENCH_JOBS", 50_000),
        setting("ODTO_BENCH_PUBLISHERS", 256),
    );
    let backend = Embedded::start().await;
    let bus = backend.bus();
    let started = tokio::time::Instant::now();
    let consumers = [(JOBS_QUEUE, 256), (METRICS_QUEUE, 8)]
        .map(|(queue, concurrency)| Consumer::start(&bus, queue, concurrency, Arc::new(Acking)));

    let publishing: Vec<_> = (0..publishers)
        .map(|publisher| {
            let bus = bus.clone();
            tokio::spawn(async move {
                for _ in (publisher..jobs).step_by(publishers) {
                    bus.enqueue(&job()).await.expect("enqueued");
                }
            })
        })
        .collect();
    for publisher in publishing {
        publisher.await.unwrap();
    }
    let enqueued = started.elapsed();
    for queue in [JOBS_QUEUE, METRICS_QUEUE] {
        backend
            .wait_stats(queue, "every message consumed", |q| {
                q.depth + q.in_flight == 0
            })
            .await;
    }
    let total = started.elapsed();
    for consumer in consumers {
        consumer.stop().await;
    }

    let rate = |elapsed: Duration| jobs as f64 / elapsed.as_secs_f64();
    println!(
        "{jobs} jobs from {publishers} publishers: enqueued at {:.0}/s, enqueued and consumed at {:.0}/s ({total:?})",
        rate(enqueued),
        rate(total)
    );
}
