//! PostgreSQL opened on first use, so the read model starts (and reports not-ready) while the
//! database is down. [`PgStore::connect`] connects and migrates at once; this adapter calls it
//! when a request first needs the database, and again after a failure, at most once a second,
//! answering "unavailable" at once in between so probes and requests stay fast.
//!
//! It only forwards: every trait method is the real [`PgStore`]'s. Writes are forwarded too,
//! because the traits include them, though the read model never writes.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, Job};
use odto_store::dead_letters::{DeadLetter, DeadLetterStore};
use odto_store::events::{EventQuery, EventStore, ScanPosition};
use odto_store::jobs::{
    Attempt, AttemptOutcome, Begin, JobQuery, JobRecord, JobStore, Next, Transition,
};
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::{Page, StoreError};
use tokio::sync::Mutex;
use uuid::Uuid;

/// How long after a failed connection the next attempt waits.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// A [`PgStore`] connected on first use.
#[derive(Debug)]
pub struct LazyPgStore {
    settings: PgSettings,
    /// Shared with a connection attempt, which fills it even if nobody waits for it any more.
    connected: Arc<RwLock<Option<PgStore>>>,
    /// Held while connecting, so one caller connects and the others wait for its outcome;
    /// holds the time and reason of the last failure.
    connecting: Mutex<Option<(Instant, String)>>,
}

impl LazyPgStore {
    pub fn new(settings: PgSettings) -> Self {
        Self {
            settings,
            connected: Arc::new(RwLock::new(None)),
            connecting: Mutex::new(None),
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
        let mut last_failure = self.connecting.lock().await;
        if let Some(store) = self.current() {
            return Ok(store);
        }
        if let Some((at, why)) = last_failure.as_ref()
            && at.elapsed() < RETRY_PAUSE
        {
            return Err(StoreError::Unavailable(why.clone()));
        }
        match connect(self.settings.clone(), self.connected.clone()).await {
            Ok(store) => {
                *last_failure = None;
                Ok(store)
            }
            Err(error) => {
                tracing::warn!(%error, "PostgreSQL unreachable; retrying on a later request");
                *last_failure = Some((Instant::now(), error.to_string()));
                Err(error)
            }
        }
    }
}

/// Runs [`PgStore::connect`] in its own task, so that it completes, and keeps the store in
/// `connected`, even if the request that started it stops waiting.
async fn connect(
    settings: PgSettings,
    connected: Arc<RwLock<Option<PgStore>>>,
) -> Result<PgStore, StoreError> {
    let attempt = tokio::spawn(async move {
        let store = PgStore::connect(&settings).await?;
        *connected.write().unwrap_or_else(|e| e.into_inner()) = Some(store.clone());
        Ok(store)
    });
    attempt
        .await
        .unwrap_or_else(|e| Err(StoreError::Unavailable(format!("connecting failed: {e}"))))
}

#[async_trait]
impl JobStore for LazyPgStore {
    async fn record_created(&self, job: &Job, correlation_id: &str) -> Result<bool, StoreError> {
        self.store()
            .await?
            .record_created(job, correlation_id)
            .await
    }

    async fn record_created_many(&self, jobs: &[(Job, String)]) -> Result<u64, StoreError> {
        JobStore::record_created_many(&self.store().await?, jobs).await
    }

    async fn begin_attempt(
        &self,
        job: &Job,
        correlation_id: &str,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Begin, StoreError> {
        let store = self.store().await?;
        store
            .begin_attempt(job, correlation_id, worker, lease, now)
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
        let store = self.store().await?;
        store
            .finish_attempt(job_id, attempt, outcome, next, now)
            .await
    }

    async fn cancel(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.store().await?.cancel(job_id, now).await
    }

    async fn requeue(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.store().await?.requeue(job_id, now).await
    }

    async fn get(&self, job_id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        JobStore::get(&self.store().await?, job_id).await
    }

    async fn attempts(&self, job_id: Uuid) -> Result<Vec<Attempt>, StoreError> {
        self.store().await?.attempts(job_id).await
    }

    async fn list(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError> {
        JobStore::list(&self.store().await?, query).await
    }

    async fn is_available(&self) -> bool {
        match self.store().await {
            Ok(store) => store.is_available().await,
            Err(_) => false,
        }
    }
}

#[async_trait]
impl EventStore for LazyPgStore {
    async fn append(&self, events: &[EventEnvelope]) -> Result<Vec<Uuid>, StoreError> {
        self.store().await?.append(events).await
    }

    async fn recent(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError> {
        self.store().await?.recent(query).await
    }

    async fn for_job(&self, job_id: Uuid) -> Result<Vec<EventEnvelope>, StoreError> {
        self.store().await?.for_job(job_id).await
    }

    async fn scan(
        &self,
        after: Option<ScanPosition>,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.store().await?.scan(after, limit).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        EventStore::count(&self.store().await?).await
    }
}

#[async_trait]
impl DeadLetterStore for LazyPgStore {
    async fn add(&self, letter: &DeadLetter) -> Result<bool, StoreError> {
        self.store().await?.add(letter).await
    }

    async fn list(&self, limit: u32, cursor: Option<&str>) -> Result<Page<DeadLetter>, StoreError> {
        DeadLetterStore::list(&self.store().await?, limit, cursor).await
    }

    async fn get(&self, id: Uuid) -> Result<Option<DeadLetter>, StoreError> {
        DeadLetterStore::get(&self.store().await?, id).await
    }

    async fn mark_retried(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.store().await?.mark_retried(id, now).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        DeadLetterStore::count(&self.store().await?).await
    }
}
