//! The batched writes of the job lifecycle: beginning and finishing attempts. Each is a
//! [`Work`] whose batch is one transaction: lock the jobs (in id order), decide every request
//! with [`Locked`], write the result with multi-row statements.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_contracts::Job;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::batcher::Work;
use super::error::retry_conflicts;
use super::writes;
use crate::StoreError;
use crate::jobs::{AttemptOutcome, Begin, JobRecord, Next};
use crate::lifecycle::Locked;

/// One [`crate::jobs::JobStore::begin_attempt`] call.
pub(super) struct BeginRequest {
    pub job: Job,
    pub correlation_id: String,
    pub worker: String,
    pub lease: Duration,
    pub now: DateTime<Utc>,
}

pub(super) struct BeginWork {
    pool: PgPool,
}

impl BeginWork {
    pub fn new(pool: PgPool) -> BeginWork {
        BeginWork { pool }
    }

    async fn transaction(&self, batch: &[BeginRequest]) -> Result<Vec<Begin>, sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        let mut locked = lock_or_record(&mut transaction, batch).await?;
        let replies = batch
            .iter()
            .map(|r| locked.begin(r.job.id, &r.worker, r.lease, r.now))
            .collect::<Option<Vec<_>>>()
            .ok_or(sqlx::Error::RowNotFound)?;
        writes::write(&mut transaction, &locked).await?;
        transaction.commit().await?;
        Ok(replies)
    }
}

impl Work for BeginWork {
    type Request = BeginRequest;
    type Reply = Begin;

    async fn run(&self, batch: &[BeginRequest]) -> Result<Vec<Begin>, StoreError> {
        retry_conflicts(|| self.transaction(batch)).await
    }
}

/// Locks the jobs of `batch`, recording first the ones not stored yet (they usually are: the
/// metrics engine records jobs as they are created).
async fn lock_or_record(
    connection: &mut PgConnection,
    batch: &[BeginRequest],
) -> Result<Locked, sqlx::Error> {
    let ids: Vec<Uuid> = batch.iter().map(|r| r.job.id).collect();
    let mut records = writes::lock(connection, &ids).await?;
    let known: HashSet<Uuid> = records.iter().map(|r| r.job.id).collect();
    let unknown: Vec<_> = batch
        .iter()
        .filter(|r| !known.contains(&r.job.id))
        .map(|r| (&r.job, r.correlation_id.as_str()))
        .collect();
    if !unknown.is_empty() {
        let unknown = by_id(&unknown);
        writes::insert_jobs(connection, &unknown).await?;
        // Re-read rather than trust the insert: another writer may have recorded some first.
        let ids: Vec<Uuid> = unknown.iter().map(|(job, _)| job.id).collect();
        records.extend(writes::lock(connection, &ids).await?);
    }
    Ok(Locked::new(records))
}

/// Jobs sorted by id with repeats removed (the first of each kept): the lock order.
pub(super) fn by_id<'a>(jobs: &[(&'a Job, &'a str)]) -> Vec<(&'a Job, &'a str)> {
    let mut sorted = jobs.to_vec();
    sorted.sort_by_key(|(job, _)| job.id);
    sorted.dedup_by_key(|(job, _)| job.id);
    sorted
}

/// One [`crate::jobs::JobStore::finish_attempt`] call.
pub(super) struct FinishRequest {
    pub job_id: Uuid,
    pub attempt: u32,
    pub outcome: AttemptOutcome,
    pub next: Next,
    pub now: DateTime<Utc>,
}

pub(super) struct FinishWork {
    pool: PgPool,
}

impl FinishWork {
    pub fn new(pool: PgPool) -> FinishWork {
        FinishWork { pool }
    }

    async fn transaction(
        &self,
        batch: &[FinishRequest],
    ) -> Result<Vec<Option<JobRecord>>, sqlx::Error> {
        let mut transaction = self.pool.begin().await?;
        let ids: Vec<Uuid> = batch.iter().map(|r| r.job_id).collect();
        let mut locked = Locked::new(writes::lock(&mut transaction, &ids).await?);
        let replies = batch
            .iter()
            .map(|r| locked.finish(r.job_id, r.attempt, r.outcome, &r.next, r.now))
            .collect();
        writes::write(&mut transaction, &locked).await?;
        transaction.commit().await?;
        Ok(replies)
    }
}

impl Work for FinishWork {
    type Request = FinishRequest;
    type Reply = Option<JobRecord>;

    async fn run(&self, batch: &[FinishRequest]) -> Result<Vec<Option<JobRecord>>, StoreError> {
        retry_conflicts(|| self.transaction(batch)).await
    }
}
