//! What only the PostgreSQL backend can show: processes racing to create its database, an
//! unreachable server, an outage in the middle of work. Its behaviour is
//! tested with the other backends' in the `stores` target. Each test has a database of its own
//! (`odto_test_<uuid>`, dropped afterwards), so the tests run in parallel.

mod resilience;

use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_contracts::{Job, JobType};
use serde_json::json;
use uuid::Uuid;

/// A new job of `job_type` with a small payload, created now.
fn job(job_type: &str) -> Job {
    let mut job = Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        Utc::now(),
    );
    job.payload = json!({"n": 1}).as_object().cloned();
    job
}

/// Now, at the microsecond precision PostgreSQL keeps.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

const LEASE: Duration = Duration::from_secs(30);
