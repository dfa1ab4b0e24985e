//! The JSON shapes the read model answers with (camelCase), built from what the stores return.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, JobStatus};
use odto_store::Page;
use odto_store::dead_letters::DeadLetter;
use odto_store::jobs::{Attempt, JobRecord};
use odto_store::stats::{Stats, StatusCounts, Throughput};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// `GET /stats`. The reference's `totalJobs`, `pendingJobs`, `completedJobs`, `failedJobs` and
/// `lastEventTime` keep their names; `totalJobs` counts accepted jobs, not completions.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    pub total_jobs: u64,
    pub pending_jobs: u64,
    pub validated_jobs: u64,
    pub executing_jobs: u64,
    pub completed_jobs: u64,
    pub failed_jobs: u64,
    pub cancelled_jobs: u64,
    pub last_event_time: Option<DateTime<Utc>>,
    pub by_type: BTreeMap<String, StatusCounts>,
    pub conservation: Conservation,
    /// One entry per second, oldest first.
    pub throughput: Vec<Throughput>,
}

/// accepted = pending + validated + executing + completed + failed + cancelled.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conservation {
    pub accepted: u64,
    pub accounted: u64,
    pub holds: bool,
}

impl StatsView {
    pub fn new(stats: Stats, throughput: Vec<Throughput>) -> Self {
        let counts = stats.by_status;
        let accounted = counts.total();
        Self {
            total_jobs: stats.accepted,
            pending_jobs: counts.pending,
            validated_jobs: counts.validated,
            executing_jobs: counts.executing,
            completed_jobs: counts.completed,
            failed_jobs: counts.failed,
            cancelled_jobs: counts.cancelled,
            last_event_time: stats.last_event_time,
            by_type: stats.by_type,
            conservation: Conservation {
                accepted: stats.accepted,
                accounted,
                holds: stats.accepted == accounted,
            },
            throughput,
        }
    }
}

/// An item of `GET /jobs/recent`: the reference's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentJob {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub job_type: String,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
}

impl From<&JobRecord> for RecentJob {
    fn from(record: &JobRecord) -> Self {
        Self {
            id: record.job.id,
            job_type: record.job.job_type.to_string(),
            status: record.job.status,
            created_at: record.job.created_at,
        }
    }
}

/// A job as listed: the contract `Job` with its current status, plus `maxAttempts` (the
/// effective one), `runAttempts`, `correlationId` and `finishedAt` (null until finished).
pub fn job_view(record: &JobRecord) -> Value {
    let mut fields = match serde_json::to_value(&record.job) {
        Ok(Value::Object(fields)) => fields,
        // A Job always serializes to an object; keep the answer well-formed regardless.
        _ => Map::new(),
    };
    fields.insert("maxAttempts".into(), record.max_attempts.into());
    fields.insert("runAttempts".into(), record.run_attempts.into());
    fields.insert("correlationId".into(), record.correlation_id.clone().into());
    let finished = serde_json::to_value(record.finished_at).unwrap_or(Value::Null);
    fields.insert("finishedAt".into(), finished);
    Value::Object(fields)
}

/// `GET /jobs`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobPage {
    pub items: Vec<Value>,
    pub next_cursor: Option<String>,
}

impl From<Page<JobRecord>> for JobPage {
    fn from(page: Page<JobRecord>) -> Self {
        Self {
            items: page.items.iter().map(job_view).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// `GET /jobs/{id}`: the job, its attempts (oldest first) and its event timeline (oldest first).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub job: Value,
    pub attempts: Vec<Attempt>,
    pub events: Vec<EventEnvelope>,
}

/// `GET /dlq`: a page of dead letters, newest first, and how many there are in all.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterPage {
    pub items: Vec<DeadLetter>,
    pub next_cursor: Option<String>,
    pub total: u64,
}
