//! Idempotency keys: the first request with a key claims it; repeats within the retention
//! window get the first request's answer instead of doing the work again.
//!
//! A claim is two-phase so that a repeat never sees an answer for work that did not happen:
//! the first request stores an [`RecordState::InProgress`] record, does the work, then either
//! [`IdempotencyStore::complete`]s it or [`IdempotencyStore::release`]s it on failure.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Whether the request that owns a key has finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    InProgress,
    Completed,
}

/// What is remembered about the request that first used a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub state: RecordState,
    /// Digest of the request, to tell a true repeat from a different request reusing the key.
    pub fingerprint: String,
    /// The answer to repeat (JSON text); the store does not interpret it.
    pub response: String,
}

/// Outcome of [`IdempotencyStore::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: the caller owns it now and must complete or release it.
    Acquired,
    /// Another request holds the key.
    Existing(IdempotencyRecord),
}

/// A store of idempotency keys with a retention window.
#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Atomically claims `key` with an in-progress `record`, or returns the record holding it.
    async fn claim(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        retention: Duration,
    ) -> Result<Claim, StoreError>;

    /// Marks the claimed key as completed with its final record.
    async fn complete(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        retention: Duration,
    ) -> Result<(), StoreError>;

    /// Frees a claimed key after the work failed, so a retry can claim it again.
    async fn release(&self, key: &str) -> Result<(), StoreError>;

    /// Whether the backend answers right now (used by readiness reports).
    async fn is_available(&self) -> bool;
}
