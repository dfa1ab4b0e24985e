//! `GET /stats`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::JobStatus;

/// `GET /stats`. The reference's `totalJobs`, `pendingJobs`, `completedJobs`, `failedJobs` and
/// `lastEventTime` keep their names; `totalJobs` counts accepted jobs, not completions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stats {
    pub total_jobs: u64,
    pub pending_jobs: u64,
    pub validated_jobs: u64,
    pub executing_jobs: u64,
    pub completed_jobs: u64,
    pub failed_jobs: u64,
    pub cancelled_jobs: u64,
    pub last_event_time: Option<DateTime<Utc>>,
    pub by_type: BTreeMap<String, StatusCounts>,
    /// Always written; `None` only when a reader finds it missing.
    pub conservation: Option<Conservation>,
    /// One entry per second, oldest first.
    pub throughput: Vec<Throughput>,
}

/// accepted = pending + validated + executing + completed + failed + cancelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Conservation {
    pub accepted: u64,
    pub accounted: u64,
    pub holds: bool,
}

/// Jobs per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusCounts {
    pub pending: u64,
    pub validated: u64,
    pub executing: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl StatusCounts {
    pub fn total(&self) -> u64 {
        self.pending
            + self.validated
            + self.executing
            + self.completed
            + self.failed
            + self.cancelled
    }

    /// The count of jobs in `status`, to change.
    pub fn count_mut(&mut self, status: JobStatus) -> &mut u64 {
        match status {
            JobStatus::Pending => &mut self.pending,
            JobStatus::Validated => &mut self.validated,
            JobStatus::Executing => &mut self.executing,
            JobStatus::Completed => &mut self.completed,
            JobStatus::Failed => &mut self.failed,
            JobStatus::Cancelled => &mut self.cancelled,
        }
    }
}

/// Accepted, completed and failed jobs in one second (by event time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Throughput {
    /// Unix time of the second.
    pub second: i64,
    pub accepted: u64,
    pub completed: u64,
    pub failed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stats_without_optional_fields_still_parse() {
        let stats: Stats = serde_json::from_value(json!({"totalJobs": 3})).unwrap();
        assert_eq!(stats.total_jobs, 3);
        assert!(stats.throughput.is_empty());
    }
}
