//! What the read model and the gateway answer, as the dashboard reads it.
//!
//! These types are the client's view of the wire (camelCase JSON), not the services' own types:
//! the dashboard reaches data over HTTP only. Every field the dashboard can live without has a
//! default, so a newer server that adds or drops an optional field does not blank the screen.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// `GET /stats`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stats {
    /// Accepted jobs (not completions; the reference got that wrong).
    pub total_jobs: u64,
    pub pending_jobs: u64,
    pub validated_jobs: u64,
    pub executing_jobs: u64,
    pub completed_jobs: u64,
    pub failed_jobs: u64,
    pub cancelled_jobs: u64,
    pub last_event_time: Option<DateTime<Utc>>,
    pub conservation: Option<Conservation>,
    /// One entry per second, oldest first.
    pub throughput: Vec<ThroughputPoint>,
}

/// accepted = pending + validated + executing + completed + failed + cancelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Conservation {
    pub accepted: u64,
    pub accounted: u64,
    pub holds: bool,
}

/// Accepted, completed and failed jobs in one second (Unix time, by event time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ThroughputPoint {
    pub second: i64,
    pub accepted: u64,
    pub completed: u64,
    pub failed: u64,
}

/// An item of `GET /jobs`: the contract's Job plus the read model's bookkeeping.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRow {
    pub id: String,
    #[serde(rename = "type")]
    pub job_type: String,
    /// Kept as text so that a status added by a newer server still shows.
    pub status: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub attempts: Option<u32>,
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Attempts since the job was last (re)queued by hand; `attempts` counts them all.
    #[serde(default)]
    pub run_attempts: Option<u32>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub payload: Option<Value>,
}

/// `GET /jobs?…`: one page.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobPage {
    pub items: Vec<JobRow>,
    pub next_cursor: Option<String>,
}

/// `GET /jobs/{id}`: the job, its attempts and its event timeline (both oldest first).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub job: JobRow,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    #[serde(default)]
    pub events: Vec<TimelineEvent>,
}

/// One attempt at running a job.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub number: u32,
    #[serde(default)]
    pub worker: String,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// `completed`, `failed` or `timed_out`; absent while running.
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// One event envelope of a job's timeline, reduced to what the timeline shows.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEvent {
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub producer: Producer,
    #[serde(default)]
    pub payload: EventJob,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Producer {
    pub service: String,
    pub instance_id: String,
}

/// The job as of an event: only the fields the timeline shows.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EventJob {
    pub status: String,
    pub attempts: Option<u32>,
    pub last_error: Option<String>,
}

/// `GET /dlq`: a page of dead letters, newest first, and how many there are in all.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeadLetterPage {
    pub items: Vec<DeadLetter>,
    pub next_cursor: Option<String>,
    pub total: u64,
}

/// One dead-lettered message with the reason it could not be processed.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub id: String,
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub retried_at: Option<DateTime<Utc>>,
}

/// An active alert. `GET /alerts` is read leniently: Alertmanager's own shape
/// (`labels.alertname`, `labels.severity`, `annotations.summary`) or a flat one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub name: String,
    pub severity: String,
    pub summary: String,
}

impl Alert {
    pub fn from_value(value: &Value) -> Alert {
        let text = |paths: &[&[&str]]| {
            paths
                .iter()
                .find_map(|path| {
                    let found = path.iter().try_fold(value, |v, key| v.get(key))?;
                    found.as_str().map(str::to_owned)
                })
                .unwrap_or_default()
        };
        Alert {
            name: text(&[&["labels", "alertname"], &["alertname"], &["name"]]),
            severity: text(&[&["labels", "severity"], &["severity"]]),
            summary: text(&[
                &["annotations", "summary"],
                &["summary"],
                &["annotations", "description"],
            ]),
        }
    }
}

/// `202` of `POST /jobs` and `POST /jobs/{id}/retry`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub job_id: String,
    #[serde(default)]
    pub event_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn alerts_are_read_from_alertmanager_and_flat_shapes() {
        let nested = json!({"labels": {"alertname": "ServiceDown", "severity": "critical"},
                            "annotations": {"summary": "gateway is down"}});
        let flat = json!({"name": "Backlog", "severity": "warning", "summary": "old jobs"});
        assert_eq!(
            Alert::from_value(&nested),
            Alert {
                name: "ServiceDown".into(),
                severity: "critical".into(),
                summary: "gateway is down".into()
            }
        );
        assert_eq!(Alert::from_value(&flat).name, "Backlog");
        assert_eq!(Alert::from_value(&json!({})).name, "");
    }

    #[test]
    fn stats_without_optional_fields_still_parse() {
        let stats: Stats = serde_json::from_value(json!({"totalJobs": 3})).unwrap();
        assert_eq!(stats.total_jobs, 3);
        assert!(stats.throughput.is_empty());
    }
}
