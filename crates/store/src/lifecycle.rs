//! The job state machine, without IO: the jobs a transaction has locked, the decisions taken on
//! them, and the writes those decisions need. Each backend loads and stores it (PostgreSQL in
//! `postgres/writes.rs`, SQLite in `sqlite/writes.rs`), so both follow exactly the same rules.
//!
//! Requests of one batch are decided in order against the state left by the ones before, so two
//! requests for the same job in one batch behave as if they had come one after the other.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::JobStatus;
use uuid::Uuid;

use crate::codec;
use crate::jobs::{Attempt, AttemptOutcome, Begin, JobRecord, Next, Transition};

/// The end of an attempt, to write onto its row (only if the row is still unfinished).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttemptEnd {
    pub job_id: Uuid,
    pub number: u32,
    pub finished_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
}

/// Why the store ends an attempt whose lease ran out.
const LEASE_EXPIRED: &str = "lease expired: the attempt was taken over by another worker";

/// Locked jobs and the writes decided so far.
#[derive(Debug, Default)]
pub(crate) struct Locked {
    records: HashMap<Uuid, JobRecord>,
    /// Jobs whose row must be written back, in id order (the order rows are locked in).
    pub changed: BTreeSet<Uuid>,
    pub started: Vec<Attempt>,
    pub ended: Vec<AttemptEnd>,
}

impl Locked {
    pub fn new(records: impl IntoIterator<Item = JobRecord>) -> Locked {
        let records = records.into_iter().map(|r| (r.job.id, r)).collect();
        Locked {
            records,
            ..Locked::default()
        }
    }

    /// The current state of every changed job.
    pub fn changed_records(&self) -> impl Iterator<Item = &JobRecord> {
        self.changed.iter().filter_map(|id| self.records.get(id))
    }

    /// See [`crate::jobs::JobStore::begin_attempt`]; `None` if the job is not locked.
    pub fn begin(
        &mut self,
        id: Uuid,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Option<Begin> {
        let now = codec::micros(now);
        let record = self.records.get(&id)?;
        let status = record.job.status;
        let leased = record.lease_until.is_some_and(|until| until > now);
        let due = record.job.run_at.is_none_or(|at| at <= now);
        Some(match status {
            _ if status.is_terminal() => Begin::Finished(record.clone()),
            JobStatus::Executing if leased => Begin::Running(record.clone()),
            JobStatus::Executing => {
                self.time_out_current(id, now);
                Begin::Started(self.start(id, worker, lease, now))
            }
            // VALIDATED is the reference's "checked, waiting": as runnable as PENDING.
            _ if !due => Begin::NotYet(record.clone()),
            _ => Begin::Started(self.start(id, worker, lease, now)),
        })
    }

    /// See [`crate::jobs::JobStore::finish_attempt`]; `None` unless the job is locked and
    /// EXECUTING under `attempt`.
    pub fn finish(
        &mut self,
        id: Uuid,
        attempt: u32,
        outcome: AttemptOutcome,
        next: &Next,
        now: DateTime<Utc>,
    ) -> Option<JobRecord> {
        let now = codec::micros(now);
        let record = self.records.get_mut(&id)?;
        if record.job.status != JobStatus::Executing || record.job.attempts != Some(attempt) {
            return None;
        }
        let error = match next {
            Next::Complete => None,
            Next::Retry { error, .. } | Next::Fail { error } => Some(codec::error_text(error)),
        };
        record.lease_until = None;
        record.job.last_error.clone_from(&error);
        match next {
            Next::Complete => finish_as(record, JobStatus::Completed, now),
            Next::Fail { .. } => finish_as(record, JobStatus::Failed, now),
            Next::Retry { run_at, .. } => {
                record.job.status = JobStatus::Pending;
                record.job.run_at = Some(codec::micros(*run_at));
            }
        }
        let record = self.touch(id, now);
        self.ended.push(AttemptEnd {
            job_id: id,
            number: attempt,
            finished_at: now,
            outcome,
            error,
        });
        Some(record)
    }

    /// PENDING → CANCELLED.
    pub fn cancel(&mut self, id: Uuid, now: DateTime<Utc>) -> Transition {
        let now = codec::micros(now);
        self.transition(id, JobStatus::Pending, now, |record| {
            finish_as(record, JobStatus::Cancelled, now);
        })
    }

    /// FAILED → PENDING with a fresh attempt budget.
    pub fn requeue(&mut self, id: Uuid, now: DateTime<Utc>) -> Transition {
        self.transition(id, JobStatus::Failed, codec::micros(now), |record| {
            record.job.status = JobStatus::Pending;
            record.job.run_at = None;
            record.run_attempts = 0;
            record.finished_at = None;
        })
    }

    fn transition(
        &mut self,
        id: Uuid,
        from: JobStatus,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut JobRecord),
    ) -> Transition {
        let Some(record) = self.records.get_mut(&id) else {
            return Transition::NotFound;
        };
        if record.job.status != from {
            return Transition::Refused(record.clone());
        }
        change(record);
        Transition::Changed(self.touch(id, now))
    }

    /// EXECUTING under a new attempt row, with a lease.
    fn start(&mut self, id: Uuid, worker: &str, lease: Duration, now: DateTime<Utc>) -> JobRecord {
        let record = self.records.get_mut(&id).expect("locked");
        let number = record.job.attempts.unwrap_or(0) + 1;
        record.job.attempts = Some(number);
        record.run_attempts += 1;
        record.job.status = JobStatus::Executing;
        let lease = TimeDelta::from_std(lease).unwrap_or(TimeDelta::MAX);
        record.lease_until = Some(
            now.checked_add_signed(lease)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        );
        self.started.push(Attempt {
            job_id: id,
            number,
            worker: worker.to_owned(),
            started_at: now,
            finished_at: None,
            outcome: None,
            error: None,
        });
        self.touch(id, now)
    }

    /// Ends the attempt whose lease expired (its row, if still open, says timed out).
    fn time_out_current(&mut self, id: Uuid, now: DateTime<Utc>) {
        let Some(number) = self.records.get(&id).and_then(|r| r.job.attempts) else {
            return;
        };
        self.ended.push(AttemptEnd {
            job_id: id,
            number,
            finished_at: now,
            outcome: AttemptOutcome::TimedOut,
            error: Some(LEASE_EXPIRED.into()),
        });
    }

    /// Every state change: one more revision, a new `updatedAt`, a row to write back.
    fn touch(&mut self, id: Uuid, now: DateTime<Utc>) -> JobRecord {
        let record = self.records.get_mut(&id).expect("locked");
        record.job.revision = Some(record.job.revision.unwrap_or(0) + 1);
        record.job.updated_at = Some(now);
        self.changed.insert(id);
        record.clone()
    }
}

fn finish_as(record: &mut JobRecord, status: JobStatus, now: DateTime<Utc>) {
    record.job.status = status;
    record.lease_until = None;
    record.finished_at = Some(now);
}

#[cfg(test)]
mod tests;
