//! Dead letters: messages that could not be processed, kept with the reason so that someone can
//! read them (the read model's `/dlq`) and retry them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::{Page, StoreError};

/// One dead-lettered message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Unique per message (its AMQP message id when it had one, else assigned).
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    /// Queue the message was taken from, e.g. `jobs.created`.
    pub source: String,
    /// Why it was dead-lettered, for people.
    pub reason: String,
    /// The message body, as UTF-8 (lossy) text.
    pub body: String,
    /// The job it concerns, when that could be read from it.
    pub job_id: Option<Uuid>,
    pub retried_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait DeadLetterStore: Send + Sync + 'static {
    /// Stores a dead letter unless one with its id exists; returns whether it was new.
    async fn add(&self, letter: &DeadLetter) -> Result<bool, StoreError>;

    /// Newest first.
    async fn list(&self, limit: u32, cursor: Option<&str>) -> Result<Page<DeadLetter>, StoreError>;

    async fn get(&self, id: Uuid) -> Result<Option<DeadLetter>, StoreError>;

    /// Marks a letter as retried; false if it does not exist.
    async fn mark_retried(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;

    async fn count(&self) -> Result<u64, StoreError>;
}
