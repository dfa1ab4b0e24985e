//! The writes behind job state changes, run on the writer thread: insert a job, load one, and
//! store what [`Locked`] (the state machine PostgreSQL uses too) decided. The writer runs one
//! closure at a time, so a job loaded in a closure cannot change before the closure writes it
//! back: that is the lock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_contracts::Job;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::rows::{self, job_columns};
use crate::codec;
use crate::jobs::{AttemptOutcome, Begin, JobRecord, Next, Transition};
use crate::lifecycle::Locked;

/// A job to record as PENDING, encoded on the caller's thread so the writer only binds it.
pub(super) struct NewJob {
    id: [u8; 16],
    job_type: String,
    payload: Option<String>,
    metadata: Option<String>,
    extra: String,
    max_attempts: Option<u32>,
    priority: Option<u8>,
    run_at: Option<i64>,
    correlation_id: String,
    created_at: (i64, i16),
    updated_at: i64,
}

impl NewJob {
    pub fn new(job: &Job, correlation_id: &str) -> NewJob {
        NewJob {
            id: rows::id(job.id),
            job_type: job.job_type.as_str().to_owned(),
            payload: job.payload.as_ref().map(rows::jsonb_text),
            metadata: job.metadata.as_ref().map(rows::jsonb_text),
            extra: rows::jsonb_text(&job.extra),
            max_attempts: job.max_attempts,
            priority: job.priority,
            run_at: job.run_at.map(rows::micros),
            correlation_id: codec::storable_text(correlation_id),
            created_at: rows::exact(job.created_at),
            updated_at: rows::micros(job.updated_at.unwrap_or(job.created_at)),
        }
    }
}

/// Inserts `job` as PENDING (revision 0) unless it is known; returns whether it was new.
pub(super) fn insert_job(c: &Connection, job: &NewJob) -> rusqlite::Result<bool> {
    let inserted = c
        .prepare_cached(
            "INSERT INTO jobs (id, type, status, payload, metadata, extra, max_attempts, \
                 priority, run_at, correlation_id, created_at, created_nanos, updated_at) \
             VALUES (?1, ?2, 'PENDING', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            job.id,
            job.job_type,
            job.payload,
            job.metadata,
            job.extra,
            job.max_attempts,
            job.priority,
            job.run_at,
            job.correlation_id,
            job.created_at.0,
            job.created_at.1,
            job.updated_at,
        ])?;
    Ok(inserted == 1)
}

/// The job `id` as stored, if it is.
pub(super) fn load(c: &Connection, id: Uuid) -> rusqlite::Result<Option<JobRecord>> {
    c.prepare_cached(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE id = ?1"
    ))?
    .query_row([rows::id(id)], rows::job_record)
    .optional()
}

/// [`crate::jobs::JobStore::begin_attempt`], recording the job first if it is unknown.
pub(super) fn begin(
    c: &Connection,
    job: &NewJob,
    worker: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<Begin> {
    let id = Uuid::from_bytes(job.id);
    let record = match load(c, id)? {
        Some(record) => record,
        None => {
            insert_job(c, job)?;
            load(c, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?
        }
    };
    let mut locked = Locked::new([record]);
    let begun = locked
        .begin(id, worker, lease, now)
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    store(c, &locked)?;
    Ok(begun)
}

/// [`crate::jobs::JobStore::finish_attempt`].
pub(super) fn finish(
    c: &Connection,
    id: Uuid,
    attempt: u32,
    outcome: AttemptOutcome,
    next: &Next,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<JobRecord>> {
    let Some(record) = load(c, id)? else {
        return Ok(None);
    };
    let mut locked = Locked::new([record]);
    let finished = locked.finish(id, attempt, outcome, next, now);
    store(c, &locked)?;
    Ok(finished)
}

/// A manual action (cancel, requeue) on one job.
pub(super) fn transition(
    c: &Connection,
    id: Uuid,
    action: impl FnOnce(&mut Locked) -> Transition,
) -> rusqlite::Result<Transition> {
    let mut locked = Locked::new(load(c, id)?);
    let transition = action(&mut locked);
    store(c, &locked)?;
    Ok(transition)
}

/// Writes back the changed jobs, closes the attempts ended and inserts the ones started.
fn store(c: &Connection, locked: &Locked) -> rusqlite::Result<()> {
    for record in locked.changed_records() {
        update_job(c, record)?;
    }
    for end in &locked.ended {
        c.prepare_cached(
            "UPDATE job_attempts SET finished_at = ?3, outcome = ?4, error = ?5 \
             WHERE job_id = ?1 AND number = ?2 AND finished_at IS NULL",
        )?
        .execute(params![
            rows::id(end.job_id),
            end.number,
            rows::micros(end.finished_at),
            end.outcome.as_str(),
            end.error,
        ])?;
    }
    for attempt in &locked.started {
        c.prepare_cached(
            "INSERT INTO job_attempts (job_id, number, worker, started_at) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            rows::id(attempt.job_id),
            attempt.number,
            codec::storable_text(&attempt.worker),
            rows::micros(attempt.started_at),
        ])?;
    }
    Ok(())
}

fn update_job(c: &Connection, record: &JobRecord) -> rusqlite::Result<()> {
    let job = &record.job;
    c.prepare_cached(
        "UPDATE jobs SET status = ?2, attempts = ?3, run_attempts = ?4, revision = ?5, \
             last_error = ?6, lease_until = ?7, run_at = ?8, updated_at = ?9, finished_at = ?10 \
         WHERE id = ?1",
    )?
    .execute(params![
        rows::id(job.id),
        job.status.as_str(),
        job.attempts.unwrap_or(0),
        record.run_attempts,
        rows::count(job.revision.unwrap_or(0)),
        job.last_error,
        record.lease_until.map(rows::micros),
        job.run_at.map(rows::micros),
        job.updated_at.map(rows::micros),
        record.finished_at.map(rows::micros),
    ])?;
    Ok(())
}
