//! Stores of the observatory, each behind a trait with one module per backend.
//!
//! So far: [`idempotency`] keys, which let a client repeat a submission safely
//! ([`redis::RedisIdempotency`] in the distributed mode). Job, attempt and event stores follow
//! the same pattern.

pub mod idempotency;
pub mod redis;

/// Why a store operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached right now; the caller may retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The backend answered with data this version cannot read.
    #[error("store holds unreadable data: {0}")]
    Corrupt(String),
}
