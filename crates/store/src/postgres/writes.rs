//! The multi-row statements behind job state changes: insert jobs, lock them, write back what
//! [`Locked`] decided. Each takes arrays (`UNNEST`), so a batch of any size is one statement.
//!
//! Lock order: rows are locked and inserted in id order, so two transactions wanting the same
//! jobs queue up instead of deadlocking.

use odto_contracts::Job;
use serde_json::{Map, Value};
use sqlx::postgres::PgArguments;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres};
use uuid::Uuid;

use super::rows::{self, JobRow, job_columns};
use crate::codec;
use crate::jobs::{Attempt, JobRecord};
use crate::lifecycle::{AttemptEnd, Locked};

/// Inserts the jobs not stored yet as PENDING (revision 0); returns the ids that were new.
/// `jobs` must be sorted by id (see the lock order above).
pub(super) async fn insert_jobs(
    connection: &mut PgConnection,
    jobs: &[(&Job, &str)],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let (created, nanos): (Vec<_>, Vec<_>) =
        jobs.iter().map(|(j, _)| codec::split(j.created_at)).unzip();
    sqlx::query_scalar(
        "INSERT INTO jobs (id, type, status, payload, metadata, extra, max_attempts, priority, \
             run_at, correlation_id, created_at, created_nanos, updated_at) \
         SELECT u.id, u.type, 'PENDING', u.payload, u.metadata, u.extra, u.max_attempts, \
             u.priority, u.run_at, u.correlation_id, u.created_at, u.created_nanos, \
             coalesce(u.updated_at, u.created_at) \
         FROM UNNEST($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[], $5::jsonb[], $6::int[], \
             $7::smallint[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::smallint[], \
             $12::timestamptz[]) \
           AS u(id, type, payload, metadata, extra, max_attempts, priority, run_at, \
             correlation_id, created_at, created_nanos, updated_at) \
         ON CONFLICT (id) DO NOTHING \
         RETURNING id",
    )
    .bind(jobs.iter().map(|(j, _)| j.id).collect::<Vec<_>>())
    .bind(
        jobs.iter()
            .map(|(j, _)| j.job_type.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        jobs.iter()
            .map(|(j, _)| object(&j.payload))
            .collect::<Vec<_>>(),
    )
    .bind(
        jobs.iter()
            .map(|(j, _)| object(&j.metadata))
            .collect::<Vec<_>>(),
    )
    .bind(jobs.iter().map(|(j, _)| Json(&j.extra)).collect::<Vec<_>>())
    .bind(
        jobs.iter()
            .map(|(j, _)| j.max_attempts.map(int))
            .collect::<Vec<_>>(),
    )
    .bind(
        jobs.iter()
            .map(|(j, _)| j.priority.map(i16::from))
            .collect::<Vec<_>>(),
    )
    .bind(
        jobs.iter()
            .map(|(j, _)| j.run_at.map(codec::micros))
            .collect::<Vec<_>>(),
    )
    .bind(
        jobs.iter()
            .map(|(_, c)| codec::storable_text(c))
            .collect::<Vec<_>>(),
    )
    .bind(created)
    .bind(nanos)
    .bind(
        jobs.iter()
            .map(|(j, _)| j.updated_at.map(codec::micros))
            .collect::<Vec<_>>(),
    )
    .fetch_all(connection)
    .await
}

/// An optional JSON object as a `jsonb` value (`None` stays SQL NULL, not `{}`).
fn object(value: &Option<Map<String, Value>>) -> Option<Json<&Map<String, Value>>> {
    value.as_ref().map(Json)
}

/// Locks the rows of `ids` (any order, repeats allowed) for the rest of the transaction and
/// returns what they hold. Unknown ids are left out.
pub(super) async fn lock(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<JobRecord>, sqlx::Error> {
    let rows: Vec<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE"
    ))
    .bind(ids)
    .fetch_all(connection)
    .await?;
    rows::records(rows).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Writes back the changed jobs, closes the attempts ended and inserts the ones started, in
/// one statement (data-modifying CTEs; an empty array writes nothing), to spare round trips.
pub(super) async fn write(
    connection: &mut PgConnection,
    locked: &Locked,
) -> Result<(), sqlx::Error> {
    if locked.changed.is_empty() {
        return Ok(());
    }
    let query = sqlx::query(
        "WITH written AS ( \
           UPDATE jobs SET status = u.status, attempts = u.attempts, \
               run_attempts = u.run_attempts, revision = u.revision, last_error = u.last_error, \
               lease_until = u.lease_until, run_at = u.run_at, updated_at = u.updated_at, \
               finished_at = u.finished_at \
           FROM UNNEST($1::uuid[], $2::text[], $3::int[], $4::int[], $5::bigint[], $6::text[], \
               $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[]) \
             AS u(id, status, attempts, run_attempts, revision, last_error, lease_until, \
               run_at, updated_at, finished_at) \
           WHERE jobs.id = u.id \
         ), ended AS ( \
           UPDATE job_attempts AS a \
           SET finished_at = e.finished_at, outcome = e.outcome, error = e.error \
           FROM UNNEST($11::uuid[], $12::int[], $13::timestamptz[], $14::text[], $15::text[]) \
             AS e(job_id, number, finished_at, outcome, error) \
           WHERE a.job_id = e.job_id AND a.number = e.number AND a.finished_at IS NULL \
         ) \
         INSERT INTO job_attempts (job_id, number, worker, started_at) \
         SELECT * FROM UNNEST($16::uuid[], $17::int[], $18::text[], $19::timestamptz[])",
    );
    let query = bind_jobs(query, &locked.changed_records().collect::<Vec<_>>());
    let query = bind_ended(query, &locked.ended);
    bind_started(query, &locked.started)
        .execute(connection)
        .await
        .map(drop)
}

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// `$1..$10`: the jobs' new state.
fn bind_jobs<'q>(query: Query<'q>, jobs: &[&JobRecord]) -> Query<'q> {
    query
        .bind(jobs.iter().map(|r| r.job.id).collect::<Vec<_>>())
        .bind(
            jobs.iter()
                .map(|r| r.job.status.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            jobs.iter()
                .map(|r| int(r.job.attempts.unwrap_or(0)))
                .collect::<Vec<_>>(),
        )
        .bind(jobs.iter().map(|r| int(r.run_attempts)).collect::<Vec<_>>())
        .bind(
            jobs.iter()
                .map(|r| bigint(r.job.revision.unwrap_or(0)))
                .collect::<Vec<_>>(),
        )
        .bind(
            jobs.iter()
                .map(|r| r.job.last_error.clone())
                .collect::<Vec<_>>(),
        )
        .bind(jobs.iter().map(|r| r.lease_until).collect::<Vec<_>>())
        .bind(jobs.iter().map(|r| r.job.run_at).collect::<Vec<_>>())
        .bind(jobs.iter().map(|r| r.job.updated_at).collect::<Vec<_>>())
        .bind(jobs.iter().map(|r| r.finished_at).collect::<Vec<_>>())
}

/// `$11..$15`: the attempts ended.
fn bind_ended<'q>(query: Query<'q>, ended: &[AttemptEnd]) -> Query<'q> {
    query
        .bind(ended.iter().map(|e| e.job_id).collect::<Vec<_>>())
        .bind(ended.iter().map(|e| int(e.number)).collect::<Vec<_>>())
        .bind(ended.iter().map(|e| e.finished_at).collect::<Vec<_>>())
        .bind(ended.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>())
        .bind(ended.iter().map(|e| e.error.clone()).collect::<Vec<_>>())
}

/// `$16..$19`: the attempts started.
fn bind_started<'q>(query: Query<'q>, started: &[Attempt]) -> Query<'q> {
    query
        .bind(started.iter().map(|a| a.job_id).collect::<Vec<_>>())
        .bind(started.iter().map(|a| int(a.number)).collect::<Vec<_>>())
        .bind(
            started
                .iter()
                .map(|a| codec::storable_text(&a.worker))
                .collect::<Vec<_>>(),
        )
        .bind(started.iter().map(|a| a.started_at).collect::<Vec<_>>())
}

/// A count as an `integer` column; counts never get near the limit, so saturating only guards
/// against a wrap.
fn int(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// A count as a `bigint` column (see [`int`]).
fn bigint(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
