//! The file is the store: what it answered survives closing and reopening it, and a path that
//! cannot hold it is refused at once.

use std::time::Duration;

use futures_util::future::join_all;
use odto_contracts::{EventEnvelope, EventType, JobStatus, Producer};
use odto_store::StoreError;
use odto_store::alerts::{Alert, AlertDelivery, KeyedAlert};
use odto_store::dead_letters::{DeadLetter, DeadLetterStore};
use odto_store::events::EventStore;
use odto_store::idempotency::{Claim, IdempotencyRecord, IdempotencyStore, RecordState};
use odto_store::jobs::{AttemptOutcome, Begin, JobStore, Next};
use odto_store::sqlite::{Options, SqliteStore};
use odto_store::stats::StatsStore;
use uuid::Uuid;

use super::{LEASE, database, job, now, open};

const DAY: Duration = Duration::from_secs(86_400);

fn record() -> IdempotencyRecord {
    IdempotencyRecord {
        state: RecordState::Completed,
        fingerprint: "f".into(),
        response: "{}".into(),
    }
}

#[tokio::test]
async fn every_store_keeps_its_data_across_closing_and_reopening_the_file() {
    let (path, _dir) = database();
    let store = open(&path);
    let subject = job("kept");
    let Begin::Started(started) = store
        .begin_attempt(&subject, "c", "w", LEASE, now())
        .await
        .unwrap()
    else {
        panic!("not started")
    };
    let event = EventEnvelope::new(
        EventType::JobStarted,
        started.job.clone(),
        Producer::new("processor", "p-1", "0"),
        "c",
        "k",
        now(),
    );
    store.append(std::slice::from_ref(&event)).await.unwrap();
    store.apply(std::slice::from_ref(&event)).await.unwrap();
    let letter = DeadLetter {
        id: Uuid::now_v7(),
        received_at: now(),
        source: "jobs.created".into(),
        reason: "not JSON".into(),
        body: "{".into(),
        job_id: None,
        retried_at: None,
    };
    store.add(&letter).await.unwrap();
    store.complete("key", &record(), DAY).await.unwrap();
    let stats = store.snapshot().await.unwrap();

    drop(store);
    let reopened = open(&path);

    assert_eq!(
        JobStore::get(&reopened, subject.id).await.unwrap(),
        Some(started)
    );
    assert_eq!(reopened.attempts(subject.id).await.unwrap().len(), 1);
    assert_eq!(reopened.for_job(subject.id).await.unwrap(), [event]);
    assert_eq!(reopened.snapshot().await.unwrap(), stats);
    assert_eq!(stats.by_status.executing, 1);
    assert_eq!(
        DeadLetterStore::get(&reopened, letter.id).await.unwrap(),
        Some(letter)
    );
    assert_eq!(
        reopened.claim("key", &record(), DAY).await.unwrap(),
        Claim::Existing(record())
    );
}

#[tokio::test]
async fn every_write_answered_ok_is_in_the_file_when_it_is_reopened() {
    let (path, _dir) = database();
    let store = open(&path);
    let jobs: Vec<_> = (0..100).map(|_| job("durable")).collect();

    let begins = jobs
        .iter()
        .map(|job| store.begin_attempt(job, "c", "w", LEASE, now()));
    let begins = join_all(begins).await;
    let finishes = jobs.iter().map(|job| {
        store.finish_attempt(job.id, 1, AttemptOutcome::Completed, Next::Complete, now())
    });
    let finishes = join_all(finishes).await;
    drop(store);
    let reopened = open(&path);

    assert!(begins.iter().all(|b| matches!(b, Ok(Begin::Started(_)))));
    assert!(finishes.iter().all(|f| matches!(f, Ok(Some(_)))));
    for job in &jobs {
        let record = JobStore::get(&reopened, job.id)
            .await
            .unwrap()
            .expect("recorded");
        assert_eq!(record.job.status, JobStatus::Completed);
    }
}

#[tokio::test]
async fn alerts_and_the_heard_time_survive_reopening_the_file() {
    let (path, _dir) = database();
    let store = open(&path);
    let firing = Alert {
        name: "OdtoBacklogOld".into(),
        since: Some(now()),
        ..Alert::default()
    };
    let delivery = AlertDelivery {
        group: "g".into(),
        firing: vec![KeyedAlert {
            key: "fp".into(),
            alert: firing.clone(),
        }],
        resolved: vec![],
        complete: true,
        heard_at: Some(now()),
        received_at: now(),
    };
    store.alerts().record_alerts(&delivery).await.unwrap();

    drop(store);
    let reopened = open(&path);

    let active = reopened.alerts().active_alerts().await.unwrap();
    assert_eq!(active.alerts, [firing]);
    assert_eq!(active.source_heard_at, delivery.heard_at);
}

#[tokio::test]
async fn a_path_that_cannot_hold_the_database_is_refused_as_unavailable() {
    let dir = tempfile::tempdir().unwrap();

    let opened = SqliteStore::open(dir.path(), &Options::default());

    assert!(
        matches!(opened, Err(StoreError::Unavailable(_))),
        "{opened:?}"
    );
}
