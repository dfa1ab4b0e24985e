//! The state machine alone, for what integration tests cannot arrange: requests for one job
//! meeting in the same batch.

use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_contracts::{Job, JobStatus, JobType};
use uuid::Uuid;

use super::Locked;
use crate::jobs::{AttemptOutcome, Begin, JobRecord, Next};

const LEASE: Duration = Duration::from_secs(30);

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + second, 0).unwrap()
}

fn pending() -> JobRecord {
    let mut job = Job::new(Uuid::now_v7(), JobType::parse("test").unwrap(), at(0));
    job.attempts = Some(0);
    job.revision = Some(0);
    JobRecord {
        job,
        max_attempts: 3,
        run_attempts: 0,
        correlation_id: "c".into(),
        lease_until: None,
        finished_at: None,
    }
}

#[test]
fn a_second_begin_in_the_same_batch_finds_the_job_running() {
    let record = pending();
    let id = record.job.id;
    let mut locked = Locked::new([record]);

    let first = locked.begin(id, "w1", LEASE, at(1));
    let second = locked.begin(id, "w2", LEASE, at(1));

    assert!(matches!(first, Some(Begin::Started(ref r)) if r.job.attempts == Some(1)));
    assert!(matches!(second, Some(Begin::Running(ref r)) if r.job.revision == Some(1)));
    assert_eq!(locked.started.len(), 1);
}

#[test]
fn a_repeated_finish_in_the_same_batch_changes_nothing_the_second_time() {
    let record = pending();
    let id = record.job.id;
    let mut locked = Locked::new([record]);
    locked.begin(id, "w", LEASE, at(1));

    let first = locked.finish(id, 1, AttemptOutcome::Completed, &Next::Complete, at(2));
    let second = locked.finish(id, 1, AttemptOutcome::Completed, &Next::Complete, at(3));

    let first = first.expect("the first finish applies");
    assert_eq!(first.job.status, JobStatus::Completed);
    assert_eq!(first.job.revision, Some(2));
    assert_eq!(second, None);
    assert_eq!(locked.ended.len(), 1);
}

#[test]
fn a_long_error_is_capped_at_the_contract_limit() {
    let record = pending();
    let id = record.job.id;
    let mut locked = Locked::new([record]);
    locked.begin(id, "w", LEASE, at(1));
    let next = Next::Fail {
        error: "x".repeat(10_000),
    };

    let failed = locked
        .finish(id, 1, AttemptOutcome::Failed, &next, at(2))
        .unwrap();

    assert_eq!(failed.job.last_error.map(|e| e.len()), Some(4_000));
}

#[test]
fn completing_clears_the_error_of_an_earlier_attempt() {
    let mut record = pending();
    record.job.last_error = Some("earlier".into());
    let id = record.job.id;
    let mut locked = Locked::new([record]);
    locked.begin(id, "w", LEASE, at(1));

    let done = locked
        .finish(id, 1, AttemptOutcome::Completed, &Next::Complete, at(2))
        .unwrap();

    assert_eq!(done.job.last_error, None);
}

#[test]
fn sub_microsecond_times_are_dropped_so_returned_records_equal_stored_ones() {
    let record = pending();
    let id = record.job.id;
    let mut locked = Locked::new([record]);
    let now = DateTime::from_timestamp(1_700_000_001, 123_456_789).unwrap();

    let Some(Begin::Started(started)) = locked.begin(id, "w", LEASE, now) else {
        panic!("not started");
    };

    assert_eq!(
        started.job.updated_at.unwrap().timestamp_subsec_nanos(),
        123_456_000
    );
}
