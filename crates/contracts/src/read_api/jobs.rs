//! `GET /jobs/recent`, `GET /jobs` and `GET /jobs/{id}`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::job::UnknownVariant;
use crate::{EventEnvelope, Job, JobStatus, JobType};

/// An item of `GET /jobs/recent`: the reference's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentJob {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub job_type: JobType,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
}

/// A job as listed: the contract [`Job`] with its current status, and beside its fields in the
/// same JSON object the bookkeeping the contract does not carry.
///
/// The server always writes the bookkeeping; it is optional only for readers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    /// Attempts allowed per run: the job's own `maxAttempts`, or the default.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Attempts started since the job was last (re)queued by hand; `job.attempts` counts them
    /// all.
    #[serde(default)]
    pub run_attempts: Option<u32>,
    /// Of the request that created the job.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Null until the job finished.
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl JobView {
    /// The wire names of the fields the view adds to the job.
    const OWN_FIELDS: [&str; 4] = ["maxAttempts", "runAttempts", "correlationId", "finishedAt"];

    /// `job` with its bookkeeping. The view's fields replace the job's own `maxAttempts` and any
    /// extra field of the same name a client sent, so that each name appears once on the wire.
    pub fn new(
        mut job: Job,
        max_attempts: u32,
        run_attempts: u32,
        correlation_id: String,
        finished_at: Option<DateTime<Utc>>,
    ) -> JobView {
        job.max_attempts = None;
        for name in Self::OWN_FIELDS {
            job.extra.remove(name);
        }
        JobView {
            job,
            max_attempts: Some(max_attempts),
            run_attempts: Some(run_attempts),
            correlation_id: Some(correlation_id),
            finished_at,
        }
    }
}

/// `GET /jobs`: one page, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /jobs/{id}`: the job, its attempts (oldest first) and its event timeline (oldest first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub job: JobView,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    #[serde(default)]
    pub events: Vec<EventEnvelope>,
}

/// One attempt at running a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub job_id: Uuid,
    /// 1 for the first attempt; keeps counting across manual retries.
    pub number: u32,
    /// The processor instance that ran it.
    #[serde(default)]
    pub worker: String,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// `None` while the attempt runs.
    #[serde(default)]
    pub outcome: Option<AttemptOutcome>,
    #[serde(default)]
    pub error: Option<String>,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Completed,
    Failed,
    TimedOut,
}

impl AttemptOutcome {
    pub const ALL: [AttemptOutcome; 3] = [Self::Completed, Self::Failed, Self::TimedOut];

    /// The wire name, e.g. `"timed_out"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
        }
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AttemptOutcome {
    type Err = UnknownVariant;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
            .ok_or_else(|| UnknownVariant::new("attempt outcome", text))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn job() -> Job {
        let at = "2026-01-01T10:00:00Z".parse().unwrap();
        Job::new(Uuid::now_v7(), JobType::parse("t").unwrap(), at)
    }

    #[test]
    fn a_job_view_names_each_field_once_and_reads_back_as_written() {
        let mut job = job();
        job.max_attempts = Some(5);
        job.extra
            .insert("correlationId".into(), json!("sent by the client"));
        job.extra.insert("colour".into(), json!("blue"));

        let view = JobView::new(job, 5, 1, "c-1".into(), None);
        let text = serde_json::to_string(&view).unwrap();

        assert_eq!(text.matches("\"maxAttempts\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"correlationId\"").count(), 1, "{text}");
        let wire: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(wire["correlationId"], "c-1");
        assert_eq!(wire["finishedAt"], Value::Null);
        assert_eq!(wire["colour"], "blue");
        assert_eq!(serde_json::from_str::<JobView>(&text).unwrap(), view);
    }

    #[test]
    fn a_job_view_without_bookkeeping_still_parses() {
        let wire = json!({"id": "0190c6f2-7a1b-7c3d-8e4f-000000000001", "type": "t",
                          "status": "PENDING", "createdAt": "2026-01-01T10:00:00Z"});

        let view: JobView = serde_json::from_value(wire).unwrap();

        assert_eq!((view.max_attempts, view.run_attempts), (None, None));
        assert!(view.job.extra.is_empty());
    }

    #[test]
    fn attempt_outcome_wire_names_round_trip_through_serde_and_from_str() {
        for outcome in AttemptOutcome::ALL {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
            assert_eq!(outcome.as_str().parse::<AttemptOutcome>(), Ok(outcome));
        }
        assert!("timed-out".parse::<AttemptOutcome>().is_err());
    }
}
