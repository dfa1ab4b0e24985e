//! The embedded backend of the all-in-one mode: [`SqliteStore`] implements every store trait
//! ([`JobStore`](crate::jobs::JobStore), [`EventStore`](crate::events::EventStore),
//! [`DeadLetterStore`](crate::dead_letters::DeadLetterStore),
//! [`AlertStore`](crate::alerts::AlertStore),
//! [`StatsStore`](crate::stats::StatsStore), [`IdempotencyStore`](crate::idempotency::IdempotencyStore))
//! in one SQLite file, with nothing to install or start.
//!
//! It behaves as the real backends do (the same behavioural suite runs against both): jobs,
//! events and dead letters as [`PgStore`](crate::postgres::PgStore) keeps them (the job state
//! machine is the same code), statistics and idempotency keys as
//! [`RedisStats`](crate::redis::RedisStats) and [`RedisIdempotency`](crate::redis::RedisIdempotency)
//! keep them. The schema is in `schema/` (applied by [`SqliteStore::open`]).
//!
//! Throughput: every write is one closure handed to `odto-sqlite`'s writer thread, which runs
//! whatever is waiting in one transaction and commits once (group commit), so concurrent
//! `begin_attempt` calls share an fsync without a batcher of our own. The closures only bind and
//! run cached statements: encoding (JSON, ids, instants) happens before, on the caller's thread.

mod alerts;
mod dead_letters;
mod error;
mod events;
mod idempotency;
mod jobs;
mod rows;
mod stats;
mod writes;

use std::path::Path;

use chrono::{DateTime, Utc};

use odto_sqlite::Database;
use rusqlite::Connection;

pub use odto_sqlite::{Durability, Options};

use crate::StoreError;

/// The schema, one migration per entry, applied once each in order.
const MIGRATIONS: &[&str] = &[
    include_str!("schema/0001_initial.sql"),
    include_str!("schema/0002_alerts.sql"),
];

/// Every store of the observatory in one SQLite file. Cheap to clone: clones share the
/// database's writer thread and readers, which stop when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    db: Database,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database file at `path` (creating it and its directory if needed) and brings
    /// its schema up to date. Fails with [`StoreError::Unavailable`] when the file cannot be
    /// opened or was written by a newer release. It blocks on file I/O (call it at start-up);
    /// the store's calls need a Tokio runtime, opening it does not.
    pub fn open(path: &Path, options: &Options) -> Result<SqliteStore, StoreError> {
        let db = Database::open(path, options, MIGRATIONS).map_err(error::db_error)?;
        Ok(SqliteStore { db })
    }

    /// Ends the lease of every running attempt, so that jobs interrupted when the only process
    /// using this file stopped run again at once rather than when their lease would have ended.
    /// Only for a store no other process uses (`odto up` holds its data directory's lock).
    /// Returns how many jobs it released.
    pub async fn expire_leases(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = rows::micros(now);
        self.write(move |c| {
            c.execute(
                "UPDATE jobs SET lease_until = ?1 WHERE status = 'EXECUTING' AND lease_until > ?1",
                [now],
            )
        })
        .await
        .map(|released| released as u64)
    }

    /// Runs `write` in the writer's transaction and answers once it is committed. An error
    /// undoes `write`'s changes and is classified from its SQLite code (see [`error`]).
    async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.write(write).await.map_err(error::db_error)
    }

    /// Runs `read` on a reader connection.
    async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.read(read).await.map_err(error::db_error)
    }

    /// Whether the database answers a query.
    async fn answers(&self) -> bool {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())))
            .await
            .is_ok()
    }
}
