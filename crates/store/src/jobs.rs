//! The job store: each job's current state and one row per attempt. The processor writes it; the
//! gateway's actions (cancel, retry) and the read model use it too.
//!
//! Every state change increments the job's `revision` (carried in the events, see
//! `contracts/VERSIONS.md` 2.1.0). Writes are guarded by the state they expect, so a stale writer
//! (a processor whose lease expired, a duplicate delivery) changes nothing.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use odto_contracts::read_api::{Attempt, AttemptOutcome};
use odto_contracts::{Job, JobStatus};
use serde::Serialize;
use uuid::Uuid;

use crate::alerts::AlertStore;
use crate::{Page, StoreError};

/// Attempts per run when a job does not set `maxAttempts` (the spec's default).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// A job as stored: the contract `Job` (with `status`, `attempts`, `revision`, `lastError`,
/// `updatedAt` current) plus bookkeeping the contract does not carry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub job: Job,
    /// Attempts allowed per run (the job's `maxAttempts`, or the default).
    pub max_attempts: u32,
    /// Attempts started since the job was last (re)queued by hand; compared with `max_attempts`.
    pub run_attempts: u32,
    /// Correlation id of the request that created the job.
    pub correlation_id: String,
    /// While EXECUTING: when the running attempt's lease ends (another processor may then take
    /// the job over).
    pub lease_until: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Answer to [`JobStore::begin_attempt`].
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// The job is EXECUTING now under this attempt (`record.job.attempts`); run it.
    Started(JobRecord),
    /// The job is COMPLETED, FAILED or CANCELLED: do not run it again.
    Finished(JobRecord),
    /// Another attempt holds a live lease: look again after `lease_until`.
    Running(JobRecord),
    /// The job may not start before `run_at`.
    NotYet(JobRecord),
}

/// What an attempt leads to, decided by the processor.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// COMPLETED.
    Complete,
    /// Back to PENDING, to run again at `run_at` (the retry backoff).
    Retry {
        error: String,
        run_at: DateTime<Utc>,
    },
    /// FAILED: no attempts left (or failure is final).
    Fail { error: String },
}

/// Answer to [`JobStore::cancel`] and [`JobStore::requeue`].
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// Done; the record as it is now.
    Changed(JobRecord),
    /// The job is not in a state that allows it (e.g. cancelling a COMPLETED job).
    Refused(JobRecord),
    NotFound,
}

/// Filter and page of [`JobStore::list`]. Newest first (by `createdAt`, then id).
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub status: Option<JobStatus>,
    pub job_type: Option<String>,
    /// Case-insensitive text searched for in the job's payload (as JSON text).
    pub text: Option<String>,
    /// 1..=500; the caller clamps it.
    pub limit: u32,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Jobs and attempts.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Records jobs (job, correlation id) as PENDING (revision 0), skipping the ones already
    /// known (a job twice in `jobs` counts once); returns how many were new. Used on
    /// `job.created`, by whichever service sees the job first, in batches.
    async fn record_created_many(&self, jobs: &[(Job, String)]) -> Result<u64, StoreError>;

    /// [`JobStore::record_created_many`] for one job; returns whether it was new.
    async fn record_created(&self, job: &Job, correlation_id: &str) -> Result<bool, StoreError> {
        let jobs = [(job.clone(), correlation_id.to_owned())];
        Ok(self.record_created_many(&jobs).await? == 1)
    }

    /// Starts the next attempt of `job` (recording it first if unknown): PENDING, or EXECUTING
    /// with an expired lease, becomes EXECUTING with `attempts + 1`, a lease of `lease`, a new
    /// attempt row for `worker`, and `revision + 1`.
    async fn begin_attempt(
        &self,
        job: &Job,
        correlation_id: &str,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Begin, StoreError>;

    /// Ends attempt `attempt` of `job_id` with `outcome` and moves the job to `next`
    /// (`revision + 1`). Returns `None`, changing nothing, unless the job is EXECUTING under
    /// that attempt.
    async fn finish_attempt(
        &self,
        job_id: Uuid,
        attempt: u32,
        outcome: AttemptOutcome,
        next: Next,
        now: DateTime<Utc>,
    ) -> Result<Option<JobRecord>, StoreError>;

    /// PENDING → CANCELLED.
    async fn cancel(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError>;

    /// FAILED → PENDING with a fresh attempt budget (`run_attempts` 0), for a manual retry.
    async fn requeue(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError>;

    async fn get(&self, job_id: Uuid) -> Result<Option<JobRecord>, StoreError>;

    /// Attempts of a job, oldest first.
    async fn attempts(&self, job_id: Uuid) -> Result<Vec<Attempt>, StoreError>;

    async fn list(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError>;

    /// Whether the backend answers (readiness).
    async fn is_available(&self) -> bool;

    /// The alerts kept in this store's database. (Reached through the job store, so that every
    /// service handed a job store can keep alerts without a store of its own to be given.)
    fn alerts(&self) -> &dyn AlertStore;
}
