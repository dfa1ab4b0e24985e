//! The event store: each event once, every field kept, and its three orderings.

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::{EventEnvelope, EventType, Job, JobStatus, Producer};
use odto_store::events::EventQuery;
use serde_json::json;
use uuid::Uuid;

use crate::backend::{Backend, job, on_every_backend};

fn event(event_type: EventType, job: &Job, occurred_at: DateTime<Utc>) -> EventEnvelope {
    let producer = Producer::new("processor", "proc-7", "0.1.0");
    EventEnvelope::new(
        event_type,
        job.clone(),
        producer,
        "corr-9",
        "idem-3",
        occurred_at,
    )
}

/// `job`'s lifecycle as three events a second apart from `start`.
fn lifecycle(job: &Job, start: DateTime<Utc>) -> Vec<EventEnvelope> {
    [
        EventType::JobCreated,
        EventType::JobStarted,
        EventType::JobCompleted,
    ]
    .into_iter()
    .zip(0..)
    .map(|(event_type, second)| event(event_type, job, start + TimeDelta::seconds(second)))
    .collect()
}

async fn an_event_reads_back_with_every_field_it_was_appended_with(backend: Backend) {
    let store = backend.events().await;
    let mut payload = job("email.send");
    payload.status = JobStatus::Executing;
    payload.revision = Some(1);
    payload
        .extra
        .insert("custom".into(), json!({"deep": [1, 2.5, "x"]}));
    let mut appended = event(EventType::JobStarted, &payload, Utc::now());
    appended.contract_version = "1.0.0".into();

    store.append(std::slice::from_ref(&appended)).await.unwrap();

    let read = store.for_job(payload.id).await.unwrap();
    assert_eq!(read, [appended]);
}

async fn each_event_is_stored_once_across_calls_and_within_one(backend: Backend) {
    let store = backend.events().await;
    let events = lifecycle(&job("t"), Utc::now());

    let first = store.append(&events[..2]).await.unwrap();
    let second = store
        .append(&[events[1].clone(), events[2].clone(), events[2].clone()])
        .await
        .unwrap();
    let empty = store.append(&[]).await.unwrap();

    assert_eq!(first, [events[0].event_id, events[1].event_id]);
    assert_eq!(second, [events[2].event_id]);
    assert!(empty.is_empty());
    assert_eq!(store.count().await.unwrap(), 3);
}

async fn recent_events_are_newest_first_and_filtered_by_job_and_type(backend: Backend) {
    let store = backend.events().await;
    let (one, two) = (job("t"), job("t"));
    let start = Utc::now();
    let mut events = lifecycle(&one, start);
    events.extend(lifecycle(&two, start + TimeDelta::milliseconds(500)));
    store.append(&events).await.unwrap();
    let query = |job_id, event_type, limit| EventQuery {
        job_id,
        event_type,
        limit,
    };

    let newest = store.recent(&query(None, None, 2)).await.unwrap();
    let of_one = store.recent(&query(Some(one.id), None, 10)).await.unwrap();
    let started = store
        .recent(&query(None, Some(EventType::JobStarted), 10))
        .await
        .unwrap();
    let none = store
        .recent(&query(Some(Uuid::now_v7()), None, 10))
        .await
        .unwrap();

    let id = |e: &EventEnvelope| e.event_id;
    assert_eq!(
        newest.iter().map(id).collect::<Vec<_>>(),
        [events[5].event_id, events[2].event_id]
    );
    assert_eq!(
        of_one.iter().map(id).collect::<Vec<_>>(),
        [events[2].event_id, events[1].event_id, events[0].event_id]
    );
    assert_eq!(
        started.iter().map(id).collect::<Vec<_>>(),
        [events[4].event_id, events[1].event_id]
    );
    assert!(none.is_empty());
}

async fn a_jobs_timeline_is_oldest_first_whatever_the_append_order(backend: Backend) {
    let store = backend.events().await;
    let subject = job("t");
    let events = lifecycle(&subject, Utc::now());
    let mut reversed = events.clone();
    reversed.reverse();
    store.append(&reversed).await.unwrap();
    store
        .append(&lifecycle(&job("other"), Utc::now()))
        .await
        .unwrap();

    assert_eq!(store.for_job(subject.id).await.unwrap(), events);
}

async fn a_scan_visits_every_event_in_order_and_resumes_after_a_position(backend: Backend) {
    let store = backend.events().await;
    let base = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let subject = job("t");
    // Same microsecond with different nanoseconds, and the very same instant twice.
    let times = [7, 3, 999, 3, 2_000, 1_000_000_000].map(|n| base + TimeDelta::nanoseconds(n));
    let events: Vec<_> = times
        .iter()
        .map(|&t| event(EventType::JobStarted, &subject, t))
        .collect();
    store.append(&events).await.unwrap();
    let mut expected = events.clone();
    expected.sort_by_key(|e| (e.occurred_at, e.event_id));

    let mut scanned = Vec::new();
    let mut after = None;
    loop {
        let chunk = store.scan(after, 4).await.unwrap();
        let Some(last) = chunk.last() else { break };
        after = Some((last.occurred_at, last.event_id));
        scanned.extend(chunk);
    }

    assert_eq!(scanned, expected);
}

on_every_backend!(postgres:
    an_event_reads_back_with_every_field_it_was_appended_with,
    each_event_is_stored_once_across_calls_and_within_one,
    recent_events_are_newest_first_and_filtered_by_job_and_type,
    a_jobs_timeline_is_oldest_first_whatever_the_append_order,
    a_scan_visits_every_event_in_order_and_resumes_after_a_position,
);
