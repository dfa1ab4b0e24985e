//! Dead letters: messages that could not be processed, kept with the reason so that someone can
//! read them (the read model's `/dlq`) and retry them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use odto_contracts::read_api::DeadLetter;
use uuid::Uuid;

use crate::{Page, StoreError};

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
