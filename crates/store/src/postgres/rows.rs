//! Rows of `jobs` and `job_attempts` as read by queries, and their conversion to the store's
//! types. A row this version cannot read is reported as [`StoreError::Corrupt`].

use chrono::{DateTime, Utc};
use odto_contracts::{Job, JobStatus, JobType};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::StoreError;
use crate::codec::{self, parse_outcome};
use crate::jobs::{Attempt, DEFAULT_MAX_ATTEMPTS, JobRecord};

/// The columns [`JobRow`] reads, for `concat!` into queries (they must be `&'static str`).
macro_rules! job_columns {
    () => {
        "id, type, status, payload, metadata, extra, max_attempts, priority, run_at, attempts, \
         run_attempts, revision, last_error, correlation_id, lease_until, created_at, \
         created_nanos, updated_at, finished_at"
    };
}
pub(super) use job_columns;

type Object = Json<Map<String, Value>>;

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: Uuid,
    #[sqlx(rename = "type")]
    job_type: String,
    status: String,
    payload: Option<Object>,
    metadata: Option<Object>,
    extra: Object,
    max_attempts: Option<i32>,
    priority: Option<i16>,
    run_at: Option<DateTime<Utc>>,
    attempts: i32,
    run_attempts: i32,
    revision: i64,
    last_error: Option<String>,
    correlation_id: String,
    lease_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    created_nanos: i16,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<JobRow> for JobRecord {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<JobRecord, StoreError> {
        let job = Job {
            id: row.id,
            job_type: JobType::parse(&row.job_type).map_err(corrupt)?,
            status: row.status.parse::<JobStatus>().map_err(corrupt)?,
            created_at: codec::join(row.created_at, row.created_nanos),
            updated_at: Some(row.updated_at),
            payload: row.payload.map(|p| p.0),
            metadata: row.metadata.map(|m| m.0),
            max_attempts: row.max_attempts.map(unsigned).transpose()?,
            priority: row.priority.map(unsigned).transpose()?,
            run_at: row.run_at,
            attempts: Some(unsigned(row.attempts)?),
            revision: Some(unsigned(row.revision)?),
            last_error: row.last_error,
            extra: row.extra.0,
        };
        Ok(JobRecord {
            max_attempts: job.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
            run_attempts: unsigned(row.run_attempts)?,
            correlation_id: row.correlation_id,
            lease_until: row.lease_until,
            finished_at: row.finished_at,
            job,
        })
    }
}

/// Reads a page of rows, stopping at the first unreadable one.
pub(super) fn records(rows: Vec<JobRow>) -> Result<Vec<JobRecord>, StoreError> {
    rows.into_iter().map(JobRecord::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct AttemptRow {
    job_id: Uuid,
    number: i32,
    worker: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    error: Option<String>,
}

impl TryFrom<AttemptRow> for Attempt {
    type Error = StoreError;

    fn try_from(row: AttemptRow) -> Result<Attempt, StoreError> {
        Ok(Attempt {
            job_id: row.job_id,
            number: unsigned(row.number)?,
            worker: row.worker,
            started_at: row.started_at,
            finished_at: row.finished_at,
            outcome: row.outcome.as_deref().map(parse_outcome).transpose()?,
            error: row.error,
        })
    }
}

/// A stored integer as the unsigned type the contract uses.
fn unsigned<I, U>(value: I) -> Result<U, StoreError>
where
    I: Copy + std::fmt::Display,
    U: TryFrom<I>,
{
    U::try_from(value).map_err(|_| corrupt(format!("{value} is out of range")))
}

fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}
