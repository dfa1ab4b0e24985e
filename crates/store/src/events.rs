//! The event store: every lifecycle event exactly once (unique `eventId`), with every envelope
//! field. A job's history can be rebuilt from it alone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, EventType};
use uuid::Uuid;

use crate::StoreError;

/// Filter of [`EventStore::recent`].
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub job_id: Option<Uuid>,
    pub event_type: Option<EventType>,
    /// 1..=1000; the caller clamps it.
    pub limit: u32,
}

/// Where [`EventStore::scan`] resumes: the last event of the previous chunk.
pub type ScanPosition = (DateTime<Utc>, Uuid);

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Stores the events not stored yet, in one transaction; returns the ids that were new.
    async fn append(&self, events: &[EventEnvelope]) -> Result<Vec<Uuid>, StoreError>;

    /// Newest first (by `occurredAt`, then `eventId`).
    async fn recent(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Every event of one job, oldest first: its timeline.
    async fn for_job(&self, job_id: Uuid) -> Result<Vec<EventEnvelope>, StoreError>;

    /// All events in `(occurredAt, eventId)` order, `limit` at a time after `after` (for rebuilds).
    async fn scan(
        &self,
        after: Option<ScanPosition>,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    async fn count(&self) -> Result<u64, StoreError>;
}
