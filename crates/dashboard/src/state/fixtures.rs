//! Jobs for the state's unit tests, each named by a word that stands for its UUID.

use chrono::{TimeZone, Utc};
use odto_contracts::read_api::JobView;
use odto_contracts::{Job, JobType};
use uuid::Uuid;

/// The id of the job a test calls `name`.
pub fn id(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
}

/// A job as listed, without the read model's bookkeeping.
pub fn job(name: &str, job_type: &str, status: &str) -> JobView {
    let created_at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    let mut job = Job::new(id(name), JobType::parse(job_type).unwrap(), created_at);
    job.status = status.parse().unwrap();
    JobView {
        job,
        max_attempts: None,
        run_attempts: None,
        correlation_id: None,
        finished_at: None,
    }
}
