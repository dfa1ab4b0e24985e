//! PostgreSQL opened on first use, so a service starts (and reports not-ready) while the
//! database is down. [`PgStore::connect`] connects and migrates at once; [`LazyPgStore`] calls
//! it when a call first needs the database, and again after a failure, at most once per
//! [`RETRY_PAUSE`], answering "unavailable" at once in between so probes stay fast.
//!
//! Every call is bounded: PostgreSQL cancels a statement past the statement timeout, and a
//! connection whose traffic is black-holed (no reset, no answer) is abandoned by the caller
//! a moment later, so nothing hangs. A call abandoned that way may still have taken effect.

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, Job};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

use super::{PgSettings, PgStore};
use crate::alerts::{ActiveAlerts, AlertDelivery, AlertStore};
use crate::dead_letters::{DeadLetter, DeadLetterStore};
use crate::events::{EventQuery, EventStore, ScanPosition};
use crate::jobs::{
    Attempt, AttemptOutcome, Begin, JobQuery, JobRecord, JobStore, Next, Transition,
};
use crate::{Page, StoreError};

/// How long after a failed connection attempt the next one may start.
const RETRY_PAUSE: Duration = Duration::from_secs(1);
/// What a call may take beyond the statement timeout (a connection from the pool, the round
/// trip) before the caller gives up on it.
const CALL_MARGIN: Duration = Duration::from_secs(1);
/// Longest a connection attempt (connect, create the database, migrate) may run before it
/// counts as failed, so a connection black-holed during start-up cannot keep the store down.
const CONNECT_LIMIT: Duration = Duration::from_secs(30);

/// The last failed connection attempt: when, and why.
type LastFailure = Option<(Instant, String)>;

/// A [`PgStore`] connected on first use, every call bounded in time.
#[derive(Debug)]
pub struct LazyPgStore {
    settings: PgSettings,
    /// The statement timeout plus [`CALL_MARGIN`].
    call_timeout: Duration,
    /// Filled by a connection attempt, even if nobody waits for it any more.
    connected: Arc<RwLock<Option<PgStore>>>,
    /// Held by the connection attempt under way, so one runs at a time and callers wait for
    /// its outcome.
    last_failure: Arc<Mutex<LastFailure>>,
}

impl LazyPgStore {
    /// The statement timeout when the settings give none.
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

    /// A store that connects with `settings` when first used. Their statement timeout
    /// ([`LazyPgStore::DEFAULT_STATEMENT_TIMEOUT`] if `None`) bounds every statement on the
    /// server, and, plus a second, every call on this side.
    pub fn new(mut settings: PgSettings) -> LazyPgStore {
        let limit = *settings
            .statement_timeout
            .get_or_insert(Self::DEFAULT_STATEMENT_TIMEOUT);
        LazyPgStore {
            settings,
            call_timeout: limit + CALL_MARGIN,
            connected: Arc::default(),
            last_failure: Arc::default(),
        }
    }

    fn current(&self) -> Option<PgStore> {
        self.connected
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The connected store (a cheap clone), connecting now unless the last attempt failed
    /// under [`RETRY_PAUSE`] ago.
    async fn store(&self) -> Result<PgStore, StoreError> {
        if let Some(store) = self.current() {
            return Ok(store);
        }
        let last_failure = self.last_failure.clone().lock_owned().await;
        if let Some(store) = self.current() {
            return Ok(store);
        }
        if let Some((at, why)) = last_failure.as_ref()
            && at.elapsed() < RETRY_PAUSE
        {
            return Err(StoreError::Unavailable(why.clone()));
        }
        let attempt = connect(self.settings.clone(), self.connected.clone(), last_failure);
        tokio::spawn(attempt)
            .await
            .unwrap_or_else(|e| Err(StoreError::Unavailable(format!("connecting failed: {e}"))))
    }

    /// Runs `call` on the connected store, giving up as unavailable after the call timeout.
    async fn call<T, Fut>(&self, call: impl FnOnce(PgStore) -> Fut) -> Result<T, StoreError>
    where
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let calling = async { call(self.store().await?).await };
        tokio::time::timeout(self.call_timeout, calling)
            .await
            .unwrap_or_else(|_| {
                let limit = self.call_timeout;
                Err(StoreError::Unavailable(format!(
                    "PostgreSQL did not answer within {limit:?}"
                )))
            })
    }
}

/// One connection attempt, run as a task of its own so that it completes (and keeps the store)
/// even if the caller that started it stops waiting. It holds the lock on `last_failure` until
/// it is done.
async fn connect(
    settings: PgSettings,
    connected: Arc<RwLock<Option<PgStore>>>,
    mut last_failure: OwnedMutexGuard<LastFailure>,
) -> Result<PgStore, StoreError> {
    let outcome = tokio::time::timeout(CONNECT_LIMIT, PgStore::connect(&settings))
        .await
        .unwrap_or_else(|_| {
            let why = format!("connecting took over {CONNECT_LIMIT:?}");
            Err(StoreError::Unavailable(why))
        });
    match &outcome {
        Ok(store) => {
            *connected.write().unwrap_or_else(|e| e.into_inner()) = Some(store.clone());
            *last_failure = None;
        }
        Err(error) => {
            tracing::warn!(%error, "PostgreSQL unreachable; retrying on a later call");
            *last_failure = Some((Instant::now(), error.to_string()));
        }
    }
    outcome
}

#[async_trait]
impl JobStore for LazyPgStore {
    async fn record_created_many(&self, jobs: &[(Job, String)]) -> Result<u64, StoreError> {
        self.call(|s| async move { s.record_created_many(jobs).await })
            .await
    }

    async fn begin_attempt(
        &self,
        job: &Job,
        correlation_id: &str,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Begin, StoreError> {
        self.call(|s| async move {
            s.begin_attempt(job, correlation_id, worker, lease, now)
                .await
        })
        .await
    }

    async fn finish_attempt(
        &self,
        job_id: Uuid,
        attempt: u32,
        outcome: AttemptOutcome,
        next: Next,
        now: DateTime<Utc>,
    ) -> Result<Option<JobRecord>, StoreError> {
        self.call(|s| async move { s.finish_attempt(job_id, attempt, outcome, next, now).await })
            .await
    }

    async fn cancel(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.call(|s| async move { s.cancel(job_id, now).await })
            .await
    }

    async fn requeue(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.call(|s| async move { s.requeue(job_id, now).await })
            .await
    }

    async fn get(&self, job_id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        self.call(|s| async move { JobStore::get(&s, job_id).await })
            .await
    }

    async fn attempts(&self, job_id: Uuid) -> Result<Vec<Attempt>, StoreError> {
        self.call(|s| async move { s.attempts(job_id).await }).await
    }

    async fn list(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError> {
        self.call(|s| async move { JobStore::list(&s, query).await })
            .await
    }

    async fn is_available(&self) -> bool {
        self.call(|s| async move { Ok(s.is_available().await) })
            .await
            .unwrap_or(false)
    }
    fn alerts(&self) -> &dyn AlertStore {
        self
    }
}

#[async_trait]
impl EventStore for LazyPgStore {
    async fn append(&self, events: &[EventEnvelope]) -> Result<Vec<Uuid>, StoreError> {
        self.call(|s| async move { s.append(events).await }).await
    }

    async fn recent(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError> {
        self.call(|s| async move { s.recent(query).await }).await
    }

    async fn for_job(&self, job_id: Uuid) -> Result<Vec<EventEnvelope>, StoreError> {
        self.call(|s| async move { s.for_job(job_id).await }).await
    }

    async fn scan(
        &self,
        after: Option<ScanPosition>,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.call(|s| async move { s.scan(after, limit).await })
            .await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.call(|s| async move { EventStore::count(&s).await })
            .await
    }
}

#[async_trait]
impl DeadLetterStore for LazyPgStore {
    async fn add(&self, letter: &DeadLetter) -> Result<bool, StoreError> {
        self.call(|s| async move { s.add(letter).await }).await
    }

    async fn list(&self, limit: u32, cursor: Option<&str>) -> Result<Page<DeadLetter>, StoreError> {
        self.call(|s| async move { DeadLetterStore::list(&s, limit, cursor).await })
            .await
    }

    async fn get(&self, id: Uuid) -> Result<Option<DeadLetter>, StoreError> {
        self.call(|s| async move { DeadLetterStore::get(&s, id).await })
            .await
    }

    async fn mark_retried(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.call(|s| async move { s.mark_retried(id, now).await })
            .await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.call(|s| async move { DeadLetterStore::count(&s).await })
            .await
    }
}

#[async_trait]
impl AlertStore for LazyPgStore {
    async fn record_alerts(&self, delivery: &AlertDelivery) -> Result<(), StoreError> {
        self.call(|s| async move { s.record_alerts(delivery).await })
            .await
    }

    async fn active_alerts(&self) -> Result<ActiveAlerts, StoreError> {
        self.call(|s| async move { s.active_alerts().await }).await
    }
}
