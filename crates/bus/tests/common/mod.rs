//! What the bus tests share: envelopes to publish, handlers that record what they are given, a
//! consumer running in the background, and the behavioural suite every backend runs.

#[macro_use]
pub mod suite;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use odto_bus::{JobBus, Message, MessageHandler, Outcome};
use odto_contracts::{EventEnvelope, EventType, Job, JobType, Producer};
use odto_test_support::eventually;
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How long a test waits for something that should happen well within it.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn event(event_type: EventType, job_type: &str) -> EventEnvelope {
    let job = Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        Utc::now(),
    );
    let producer = Producer::new("bus-test", "test-1", "0.0.0");
    EventEnvelope::new(event_type, job, producer, "corr-1", "key-1", Utc::now())
}

/// A `job.created` envelope, as the gateway enqueues it.
pub fn job() -> EventEnvelope {
    event(EventType::JobCreated, "t")
}

/// The `eventId` of a job message.
pub fn event_id(message: &Message) -> String {
    let envelope: Value = serde_json::from_slice(&message.body).expect("a job message is JSON");
    envelope["eventId"].as_str().expect("an eventId").to_owned()
}

/// The `eventId`s of an event batch (which must be a JSON array).
pub fn batch_ids(message: &Message) -> Vec<String> {
    let batch: Vec<Value> = serde_json::from_slice(&message.body).expect("a batch is an array");
    batch
        .iter()
        .map(|e| e["eventId"].as_str().expect("an eventId").to_owned())
        .collect()
}

/// One delivery as a handler saw it.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub message: Message,
    pub at: Instant,
}

type Script = Box<dyn Fn(&Message, usize) -> Outcome + Send + Sync>;

/// Records every delivery and answers with its script, which is given the message and how many
/// times a message with the same body was delivered before.
pub struct Recorder {
    deliveries: Mutex<Vec<Delivered>>,
    script: Script,
}

impl Recorder {
    pub fn with(script: impl Fn(&Message, usize) -> Outcome + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            deliveries: Mutex::default(),
            script: Box::new(script),
        })
    }

    pub fn acking() -> Arc<Self> {
        Self::with(|_, _| Outcome::Ack)
    }

    pub fn deliveries(&self) -> Vec<Delivered> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Waits until at least `count` deliveries were recorded; returns them all.
    pub async fn wait_for(&self, count: usize, what: &str) -> Vec<Delivered> {
        eventually(PATIENCE, what, || async {
            let deliveries = self.deliveries();
            (deliveries.len() >= count).then_some(deliveries)
        })
        .await
    }
}

#[async_trait]
impl MessageHandler for Recorder {
    async fn handle(&self, message: Message) -> Outcome {
        let mut deliveries = self.deliveries.lock().unwrap();
        let before = deliveries
            .iter()
            .filter(|d| d.message.body == message.body)
            .count();
        let outcome = (self.script)(&message, before);
        deliveries.push(Delivered {
            message,
            at: Instant::now(),
        });
        outcome
    }
}

/// Holds every message until released, then acknowledges it.
#[derive(Default)]
pub struct Holding {
    pub started: Mutex<Vec<Message>>,
    pub release: CancellationToken,
    pub finished: std::sync::atomic::AtomicUsize,
}

impl Holding {
    pub async fn wait_started(&self, count: usize) -> Vec<Message> {
        eventually(PATIENCE, "handlers to start", || async {
            let started = self.started.lock().unwrap().clone();
            (started.len() >= count).then_some(started)
        })
        .await
    }
}

#[async_trait]
impl MessageHandler for Holding {
    async fn handle(&self, message: Message) -> Outcome {
        self.started.lock().unwrap().push(message);
        self.release.cancelled().await;
        self.finished
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Outcome::Ack
    }
}

/// A `consume` running in the background until [`Consumer::stop`].
pub struct Consumer {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Consumer {
    pub fn start(
        bus: &Arc<dyn JobBus>,
        queue: &'static str,
        concurrency: usize,
        handler: Arc<dyn MessageHandler>,
    ) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let (bus, stop) = (bus.clone(), stop.clone());
            async move { bus.consume(queue, concurrency, handler, stop).await }
        });
        Self { stop, task }
    }

    /// Asks the consumer to stop and waits until `consume` has returned.
    pub async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("consume returns after stop")
            .expect("consume does not panic");
    }

    /// Asks the consumer to stop without waiting (its handlers may never finish).
    pub fn abandon(self) {
        self.stop.cancel();
    }
}
