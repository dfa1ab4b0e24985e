//! The statistics: exactly once per job revision, whatever the order or repeats.

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::{EventEnvelope, EventType, Job, JobStatus, JobType, Producer};
use odto_store::stats::{StatusCounts, Throughput};
use uuid::Uuid;

use crate::backend::{Backend, on_every_backend};

mod fold;

/// `job` as of revision `revision` in `status`, in an event at `at`.
pub fn event(job: &Job, revision: u64, status: JobStatus, at: DateTime<Utc>) -> EventEnvelope {
    let event_type = match status {
        JobStatus::Pending if revision == 0 => EventType::JobCreated,
        JobStatus::Pending => EventType::JobAttemptFailed,
        JobStatus::Executing => EventType::JobStarted,
        JobStatus::Completed => EventType::JobCompleted,
        JobStatus::Failed => EventType::JobFailed,
        JobStatus::Validated => EventType::JobValidated,
        JobStatus::Cancelled => EventType::JobCancelled,
    };
    let mut payload = job.clone();
    payload.status = status;
    payload.revision = (revision > 0).then_some(revision);
    let producer = Producer::new("test", "t-1", "0");
    EventEnvelope::new(event_type, payload, producer, "c", "k", at)
}

pub fn new_job(job_type: &str, created_at: DateTime<Utc>) -> Job {
    Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        created_at,
    )
}

/// created → started → completed, a second apart from the job's creation.
fn completed_lifecycle(job: &Job) -> Vec<EventEnvelope> {
    let at = |s| job.created_at + TimeDelta::seconds(s);
    vec![
        event(job, 0, JobStatus::Pending, at(0)),
        event(job, 1, JobStatus::Executing, at(1)),
        event(job, 2, JobStatus::Completed, at(2)),
    ]
}

pub fn base() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp() - 10, 0).unwrap()
}

async fn a_job_is_counted_once_in_its_current_status_through_its_lifecycle(backend: Backend) {
    let stats = backend.stats().await;
    let events = completed_lifecycle(&new_job("email", base()));

    let created = stats.apply(&events[..1]).await.unwrap();
    let after_created = stats.snapshot().await.unwrap();
    let rest = stats.apply(&events[1..]).await.unwrap();
    let after_completed = stats.snapshot().await.unwrap();

    assert_eq!((created, rest), (1, 2));
    assert_eq!(after_created.accepted, 1);
    assert_eq!(
        after_created.by_status,
        StatusCounts {
            pending: 1,
            ..Default::default()
        }
    );
    assert_eq!(after_completed.accepted, 1);
    assert_eq!(
        after_completed.by_status,
        StatusCounts {
            completed: 1,
            ..Default::default()
        }
    );
    assert_eq!(after_completed.events_applied, 3);
}

async fn redelivered_events_change_nothing(backend: Backend) {
    let stats = backend.stats().await;
    let events = completed_lifecycle(&new_job("email", base()));
    stats.apply(&events).await.unwrap();
    let before = stats.snapshot().await.unwrap();

    let applied = stats.apply(&events).await.unwrap();
    let one_by_one = stats.apply(&events[1..2]).await.unwrap();

    assert_eq!((applied, one_by_one), (0, 0));
    assert_eq!(stats.snapshot().await.unwrap(), before);
}

async fn events_in_reverse_order_give_the_same_counts_as_in_order(backend: Backend) {
    let (forward, backward) = (backend.stats().await, backend.stats().await);
    let jobs = [new_job("a", base()), new_job("b", base())];
    let events: Vec<_> = jobs.iter().flat_map(completed_lifecycle).collect();

    for event in &events {
        forward.apply(std::slice::from_ref(event)).await.unwrap();
    }
    for event in events.iter().rev() {
        backward.apply(std::slice::from_ref(event)).await.unwrap();
    }

    let (forward, backward) = (
        forward.snapshot().await.unwrap(),
        backward.snapshot().await.unwrap(),
    );
    assert_eq!(forward.accepted, backward.accepted);
    assert_eq!(forward.by_status, backward.by_status);
    assert_eq!(forward.by_type, backward.by_type);
    assert_eq!(forward.last_event_time, backward.last_event_time);
    assert_eq!(forward.by_status.completed, 2);
}

async fn a_job_first_seen_at_revision_two_is_accepted_once(backend: Backend) {
    let stats = backend.stats().await;
    let events = completed_lifecycle(&new_job("late", base()));

    let completed = stats.apply(&events[2..]).await.unwrap();
    let created = stats.apply(&events[..1]).await.unwrap();

    let snapshot = stats.snapshot().await.unwrap();
    assert_eq!((completed, created), (1, 0));
    assert_eq!(snapshot.accepted, 1);
    assert_eq!(
        snapshot.by_status,
        StatusCounts {
            completed: 1,
            ..Default::default()
        }
    );
}

async fn counts_are_kept_per_job_type(backend: Backend) {
    let stats = backend.stats().await;
    let (a1, a2, b) = (
        new_job("a", base()),
        new_job("a", base()),
        new_job("b", base()),
    );
    let mut events = completed_lifecycle(&a1);
    events.push(event(&a2, 1, JobStatus::Executing, base()));
    events.push(event(&b, 0, JobStatus::Pending, base()));

    stats.apply(&events).await.unwrap();

    let by_type = stats.snapshot().await.unwrap().by_type;
    let counts = |completed, executing, pending| StatusCounts {
        completed,
        executing,
        pending,
        ..Default::default()
    };
    assert_eq!(by_type.len(), 2);
    assert_eq!(by_type["a"], counts(1, 1, 0));
    assert_eq!(by_type["b"], counts(0, 0, 1));
}

async fn the_last_event_time_is_the_newest_event_time_not_the_wall_clock(backend: Backend) {
    let stats = backend.stats().await;
    let long_ago = DateTime::from_timestamp_millis(1_577_836_800_123).unwrap(); // 2020-01-01
    let newer = new_job("t", long_ago);
    let older = new_job("t", long_ago - TimeDelta::days(1));

    stats.apply(&completed_lifecycle(&newer)).await.unwrap();
    stats.apply(&completed_lifecycle(&older)).await.unwrap();

    let last = stats.snapshot().await.unwrap().last_event_time;
    assert_eq!(last, Some(long_ago + TimeDelta::seconds(2)));
}

async fn throughput_counts_each_second_by_event_time(backend: Backend) {
    let stats = backend.stats().await;
    let start = base();
    let done = new_job("t", start);
    let failed = new_job("t", start);
    let mut events = completed_lifecycle(&done);
    events.push(event(
        &failed,
        2,
        JobStatus::Failed,
        start + TimeDelta::seconds(2),
    ));

    stats.apply(&events).await.unwrap();
    let seconds = stats
        .throughput(start + TimeDelta::seconds(3), 5)
        .await
        .unwrap();

    let second = |offset: i64, accepted, completed, failed| Throughput {
        second: start.timestamp() + offset,
        accepted,
        completed,
        failed,
    };
    let expected = [
        second(-1, 0, 0, 0),
        second(0, 2, 0, 0),
        second(1, 0, 0, 0),
        second(2, 0, 1, 1),
        second(3, 0, 0, 0),
    ];
    assert_eq!(seconds, expected);
    assert!(stats.throughput(start, 0).await.unwrap().is_empty());
}

async fn clear_forgets_everything_and_a_rebuild_applies_the_events_again(backend: Backend) {
    let stats = backend.stats().await;
    let events = completed_lifecycle(&new_job("t", base()));
    stats.apply(&events).await.unwrap();

    stats.clear().await.unwrap();

    assert_eq!(stats.snapshot().await.unwrap(), Default::default());
    let seconds = stats
        .throughput(base() + TimeDelta::seconds(3), 4)
        .await
        .unwrap();
    assert!(seconds.iter().all(|s| s.accepted + s.completed == 0));
    assert_eq!(
        stats.apply(&events).await.unwrap(),
        3,
        "a rebuild applies them again"
    );
    assert_eq!(stats.snapshot().await.unwrap().by_status.completed, 1);
}

on_every_backend!(redis:
    a_job_is_counted_once_in_its_current_status_through_its_lifecycle,
    redelivered_events_change_nothing,
    events_in_reverse_order_give_the_same_counts_as_in_order,
    a_job_first_seen_at_revision_two_is_accepted_once,
    counts_are_kept_per_job_type,
    the_last_event_time_is_the_newest_event_time_not_the_wall_clock,
    throughput_counts_each_second_by_event_time,
    clear_forgets_everything_and_a_rebuild_applies_the_events_again,
);
