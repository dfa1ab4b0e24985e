//! The message bus of the observatory.
//!
//! Services publish lifecycle events through the [`JobBus`] trait and never see the broker
//! behind it. [`rabbitmq::RabbitBus`] is the distributed implementation (RabbitMQ through
//! lapin, publisher confirms on every message); [`embedded::EmbeddedBus`] is the all-in-one
//! mode's, in the process on a SQLite file, with the same queues, message bodies and delivery
//! semantics. Both batch events the same way. [`topology`] names every exchange, queue and
//! binding, so every service declares the same broker layout. [`inspect::QueueInspector`] looks
//! at the queues without consuming (RabbitMQ: [`rabbitmq::management::ManagementInspector`];
//! embedded: the bus itself).

mod batcher;
pub mod embedded;
pub mod inspect;
pub mod rabbitmq;
pub mod topology;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use odto_contracts::EventEnvelope;
use tokio_util::sync::CancellationToken;

/// The bytes of an envelope on the bus (a job message, or one element of an event batch).
pub(crate) fn serialize(event: &EventEnvelope) -> Result<Vec<u8>, BusError> {
    serde_json::to_vec(event).map_err(|e| BusError::Rejected(e.to_string()))
}

/// Why a publish did not become durable.
///
/// Every variant means "not accepted": the caller must not report success, and may retry.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    /// No live connection to the broker right now; one is being re-established.
    #[error("message broker unavailable: {0}")]
    Unavailable(String),
    /// The broker did not confirm in time; the message may or may not have been stored.
    #[error("message broker did not confirm within {0:?}")]
    ConfirmTimeout(std::time::Duration),
    /// The bus settings are unusable (e.g. a malformed broker URL); retrying will not help.
    #[error("invalid message broker settings: {0}")]
    InvalidConfig(String),
    /// The broker refused the message (negative acknowledgement or unroutable).
    #[error("message broker rejected the message: {0}")]
    Rejected(String),
}

/// A message taken from a queue.
#[derive(Debug, Clone)]
pub struct Message {
    pub body: Vec<u8>,
    /// The broker delivered it before (to a consumer that did not acknowledge it).
    pub redelivered: bool,
    pub message_id: Option<String>,
    /// For a message in the dead-letter queue: why and from where it was dead-lettered.
    pub dead_letter: Option<DeadLetterInfo>,
}

/// Why a message was dead-lettered, as recorded on the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterInfo {
    pub reason: String,
    pub source: String,
}

/// What a handler decided about a message; only the consumer loop turns it into broker calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or nothing to do): remove it from the queue.
    Ack,
    /// Try it again after about `after`, without holding a consumer slot meanwhile (jobs wait
    /// in a delay queue). Queues without delay queues treat this as [`Outcome::Requeue`].
    Retry { after: Duration },
    /// It can never be processed: move it to the dead-letter queue with the reason.
    DeadLetter { reason: String },
    /// A dependency is down: put it back after `after` (the pause avoids a hot loop).
    Requeue { after: Duration },
}

/// Processes one message at a time (many run concurrently).
#[async_trait]
pub trait MessageHandler: Send + Sync + 'static {
    async fn handle(&self, message: Message) -> Outcome;
}

/// The bus between services.
///
/// Two kinds of traffic: *jobs* for the processors (one durable message each, competed for) and
/// *events* for whoever records them (batched). Consumers must deduplicate by `eventId`: the bus
/// is at-least-once.
#[async_trait]
pub trait JobBus: Send + Sync + 'static {
    /// Hands a new job, as its `job.created` event, to the processors. `Ok` means the broker has
    /// taken responsibility for it (persisted and confirmed), so the caller may answer 202.
    ///
    /// A copy of the event also goes to the event stream (batched, awaited with the job). If only
    /// the copy fails, the job is still accepted: the statistics count a job first seen at a
    /// later revision as accepted, and only its `job.created` is missing from the history.
    async fn enqueue(&self, created: &EventEnvelope) -> Result<(), BusError>;

    /// Publishes a lifecycle event to the event stream; `Ok` means it is durable. Concurrent
    /// calls share broker writes.
    async fn publish_event(&self, event: &EventEnvelope) -> Result<(), BusError>;

    /// Whether the bus can publish right now (used by readiness probes).
    fn is_connected(&self) -> bool;

    /// Delivers the messages of `queue` to `handler`, at most `concurrency` at a time, and
    /// applies each [`Outcome`], until `stop` is cancelled; then stops taking messages and waits
    /// for those in progress. Survives broker outages (it resubscribes when the bus reconnects).
    async fn consume(
        &self,
        queue: &'static str,
        concurrency: usize,
        handler: Arc<dyn MessageHandler>,
        stop: CancellationToken,
    );

    /// Stores a message that cannot be processed in the dead-letter queue, with the reason and
    /// the queue it came from. `Ok` means it is durable.
    async fn dead_letter(&self, source: &str, body: &[u8], reason: &str) -> Result<(), BusError>;

    /// Lets in-flight publishes finish and disconnects; the default does nothing.
    async fn close(&self) {}
}
