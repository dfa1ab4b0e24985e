//! `PgStore` against the real PostgreSQL, each test in a database of its own
//! (`odto_test_<uuid>`, dropped afterwards), so the tests run in parallel.

mod dead_letters;
mod events;
mod lifecycle;
mod listing;
mod resilience;
mod throughput;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::{Job, JobType};
use odto_store::jobs::{AttemptOutcome, Begin, JobRecord, JobStore, Next};
use odto_store::postgres::{PgSettings, PgStore};
use odto_test_support::TestDatabase;
use serde_json::json;
use uuid::Uuid;

/// A store on a fresh database. Keep the database alive as long as the store is used.
async fn store() -> (PgStore, TestDatabase) {
    let database = TestDatabase::create().await;
    let store = PgStore::connect(&PgSettings::new(database.url()))
        .await
        .expect("connect to the test database");
    (store, database)
}

/// A new job of `job_type` with a small payload, created now (nanosecond precision).
fn job(job_type: &str) -> Job {
    let mut job = Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        Utc::now(),
    );
    job.payload = json!({"n": 1}).as_object().cloned();
    job
}

/// Now, at the microsecond precision PostgreSQL keeps (the store drops the rest of the times
/// it is given, see the schema).
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

fn later(start: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    start + TimeDelta::seconds(seconds)
}

const LEASE: Duration = Duration::from_secs(30);

/// Begins an attempt of `job` that must start; returns the record.
async fn start(store: &PgStore, job: &Job, now: DateTime<Utc>) -> JobRecord {
    match store
        .begin_attempt(job, "corr", "worker-1", LEASE, now)
        .await
        .unwrap()
    {
        Begin::Started(record) => record,
        other => panic!("expected the attempt to start, got {other:?}"),
    }
}

/// Finishes attempt `attempt` of `job` with `next`; the finish must apply.
async fn finish(
    store: &PgStore,
    job: &Job,
    attempt: u32,
    next: Next,
    now: DateTime<Utc>,
) -> JobRecord {
    let outcome = match next {
        Next::Complete => AttemptOutcome::Completed,
        _ => AttemptOutcome::Failed,
    };
    store
        .finish_attempt(job.id, attempt, outcome, next, now)
        .await
        .unwrap()
        .expect("the finish applies")
}
