//! The PostgreSQL backend: [`PgStore`] implements [`JobStore`](crate::jobs::JobStore),
//! [`EventStore`](crate::events::EventStore) and [`DeadLetterStore`](crate::dead_letters::DeadLetterStore)
//! on one connection pool; [`LazyPgStore`] is a `PgStore` connected on first use, for services
//! that start (and report not-ready) while PostgreSQL is down. The schema is in
//! `crates/store/migrations/` (embedded, applied by [`PgStore::connect`]).
//!
//! Throughput: a processor begins and finishes attempts from hundreds of tasks at once, and one
//! statement per state change would cap the pipeline near a thousand jobs a second on a small
//! machine. So concurrent `begin_attempt` and `finish_attempt` calls are handed to batching
//! tasks (`batcher.rs`) that serve whatever is waiting in one transaction of multi-row
//! statements; `append` and `record_created_many` are one statement per call, their callers
//! bringing batches of their own.

mod alerts;
mod attempts;
mod batcher;
mod connect;
mod dead_letters;
mod error;
mod events;
mod jobs;
mod lazy;
mod rows;
mod writes;

use std::fmt;
use std::time::Duration;

use sqlx::PgPool;

use self::attempts::{BeginWork, FinishWork};
use self::batcher::Batcher;
use crate::StoreError;

pub use self::lazy::LazyPgStore;
pub use crate::jobs::DEFAULT_MAX_ATTEMPTS;

/// Where and how to reach PostgreSQL.
#[derive(Clone)]
pub struct PgSettings {
    /// e.g. `postgres://postgres@127.0.0.1:5432/odto`; the database is created if missing.
    pub url: String,
    /// Size of the connection pool.
    pub max_connections: u32,
    /// How long any call waits for a connection before failing as unavailable.
    pub connect_timeout: Duration,
    /// Longest a statement may run before PostgreSQL cancels it (its `statement_timeout`, set
    /// on the pool's connections; the start-up migration is exempt, since it may wait for
    /// another process's). `None`: no limit. [`LazyPgStore`] also bounds its calls with it.
    pub statement_timeout: Option<Duration>,
}

impl PgSettings {
    /// Settings for `url` with the default pool size (16), connect timeout (3 s) and no
    /// statement timeout.
    pub fn new(url: impl Into<String>) -> PgSettings {
        PgSettings {
            url: url.into(),
            max_connections: 16,
            connect_timeout: Duration::from_secs(3),
            statement_timeout: None,
        }
    }
}

impl Default for PgSettings {
    fn default() -> PgSettings {
        PgSettings::new("postgres://postgres@127.0.0.1:5432/odto")
    }
}

impl fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgSettings")
            .field("url", &odto_settings::redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

/// Jobs, attempts, events and dead letters in PostgreSQL. Cheap to clone: clones share the
/// pool and the batching tasks, which stop when the last clone is dropped.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    begins: Batcher<BeginWork>,
    finishes: Batcher<FinishWork>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's own Debug would print the connect options, password included.
        f.debug_struct("PgStore")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Creates the database if it does not exist, applies the migrations and opens the pool.
    ///
    /// Safe to call from several processes starting at once: a concurrent creator of the
    /// database is tolerated, and migrations run under PostgreSQL's advisory lock.
    /// Fails with [`StoreError::Unavailable`] within about `connect_timeout` when PostgreSQL
    /// cannot be reached. Must be called inside a Tokio runtime (it starts the batching tasks).
    pub async fn connect(settings: &PgSettings) -> Result<PgStore, StoreError> {
        let pool = connect::open(settings).await?;
        Ok(PgStore {
            begins: Batcher::start(BeginWork::new(pool.clone())),
            finishes: Batcher::start(FinishWork::new(pool.clone())),
            pool,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_debug_hides_the_password() {
        let settings = PgSettings::new("postgres://odto:s3cret@db:5432/odto");

        let printed = format!("{settings:?}");

        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(
            printed.contains("postgres://odto:***@db:5432/odto"),
            "{printed}"
        );
    }
}
