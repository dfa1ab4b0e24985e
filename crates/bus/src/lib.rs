//! The message bus of the observatory.
//!
//! Services publish lifecycle events through the [`JobBus`] trait and never see the broker
//! behind it. [`rabbitmq::RabbitBus`] is the distributed implementation (RabbitMQ through
//! lapin, publisher confirms on every message); an embedded implementation for the
//! all-in-one mode implements the same trait. [`topology`] names every exchange, queue and
//! binding, so every service declares the same broker layout.

pub mod inspect;
pub mod rabbitmq;
pub mod topology;

use async_trait::async_trait;
use odto_contracts::EventEnvelope;

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
    /// A copy of the event also goes to the event stream, without waiting: if that copy is lost
    /// (a crash in between), the processor that takes the job forwards the event again.
    async fn enqueue(&self, created: &EventEnvelope) -> Result<(), BusError>;

    /// Publishes a lifecycle event to the event stream; `Ok` means it is durable. Concurrent
    /// calls share broker writes.
    async fn publish_event(&self, event: &EventEnvelope) -> Result<(), BusError>;

    /// Whether the bus can publish right now (used by readiness probes).
    fn is_connected(&self) -> bool;

    /// Lets in-flight publishes finish and disconnects; the default does nothing.
    async fn close(&self) {}
}
