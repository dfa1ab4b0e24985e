//! Live statistics, maintained from events exactly once per job state change.
//!
//! The store keeps, per job, the newest `revision` it has applied and that revision's status.
//! Applying an event whose revision is not newer changes nothing, so redelivered, duplicated and
//! reordered events are harmless, and the statistics always equal a fold over the event store:
//! for each job, the status of its highest-revision event. `reconcile` rebuilds them that way.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::EventEnvelope;
pub use odto_contracts::read_api::{StatusCounts, Throughput};
use serde::Serialize;

use crate::StoreError;

/// A consistent snapshot of the statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Jobs ever accepted (known to the statistics).
    pub accepted: u64,
    pub by_status: StatusCounts,
    pub by_type: BTreeMap<String, StatusCounts>,
    /// `occurredAt` of the newest event applied (event time, not wall clock).
    pub last_event_time: Option<DateTime<Utc>>,
    /// Events that changed the statistics (a redelivery does not count).
    pub events_applied: u64,
}

#[async_trait]
pub trait StatsStore: Send + Sync + 'static {
    /// Applies events; each changes the statistics at most once, whatever the order or repeats.
    /// Returns how many changed them.
    async fn apply(&self, events: &[EventEnvelope]) -> Result<u64, StoreError>;

    async fn snapshot(&self) -> Result<Stats, StoreError>;

    /// Per-second counts for the last `seconds` seconds up to `now`, oldest first, one entry per
    /// second (zeros included).
    async fn throughput(
        &self,
        now: DateTime<Utc>,
        seconds: u32,
    ) -> Result<Vec<Throughput>, StoreError>;

    /// Forgets everything (the first step of a rebuild from the event store).
    async fn clear(&self) -> Result<(), StoreError>;

    async fn is_available(&self) -> bool;
}
