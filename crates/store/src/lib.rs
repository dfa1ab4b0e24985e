//! Stores of the observatory, each behind a trait with one module per backend.
//!
//! - [`jobs`]: each job's state and its attempts;
//! - [`events`]: the event store, every lifecycle event once;
//! - [`dead_letters`]: messages that could not be processed, with the reason;
//! - [`stats`]: live statistics kept exactly once per state change;
//! - [`idempotency`]: keys that let a client repeat a submission safely;
//! - [`alerts`]: the alerts Alertmanager reports firing, kept in the job store's database.
//!
//! Backends: distributed mode uses [`postgres::PgStore`] (jobs, events, dead letters, alerts),
//! [`redis::RedisStats`] and [`redis::RedisIdempotency`]; the all-in-one mode uses
//! [`sqlite::SqliteStore`], every trait in one embedded SQLite file. One behavioural suite
//! (`tests/stores`) runs against both.
//!
//! Records the read API shows as they are stored (attempts, dead letters, status counts,
//! throughput) are the types of `odto_contracts::read_api`, re-exported where they belong here.

pub mod alerts;
mod codec;
pub mod dead_letters;
pub mod events;
pub mod idempotency;
pub mod jobs;
mod lifecycle;
pub mod postgres;
pub mod redis;
pub mod sqlite;
pub mod stats;

/// One page of a listing, newest first, and the cursor of the next page if there is one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

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
