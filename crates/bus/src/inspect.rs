//! Looking at the queues without consuming from them: depth, messages in flight, age of the
//! oldest message, consumers. The read model's `/queues` and the queue metrics use it.

use async_trait::async_trait;
use serde::Serialize;

use crate::BusError;

/// The state of one queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub name: String,
    /// Messages waiting to be delivered.
    pub depth: u64,
    /// Messages delivered and not yet acknowledged.
    pub in_flight: u64,
    pub consumers: u64,
    /// Age of the oldest waiting message, when the broker reports it.
    pub oldest_age_seconds: Option<f64>,
}

#[async_trait]
pub trait QueueInspector: Send + Sync + 'static {
    /// Every queue of the topology ([`crate::topology::QUEUES`]), in that order.
    async fn queues(&self) -> Result<Vec<QueueStats>, BusError>;
}
