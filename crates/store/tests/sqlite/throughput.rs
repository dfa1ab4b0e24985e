//! How many whole job lifecycles a second the embedded store sustains, with their events and
//! statistics: the all-in-one mode's write load per job (begin+finish pairs alone are measured on
//! every backend by the `stores` target). Ignored by default (it measures, it does not check); run
//! it with
//! `cargo test --release -p odto-store --test sqlite -- --ignored --nocapture throughput`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures_util::future::join_all;
use odto_contracts::{EventEnvelope, EventType, Job, Producer};
use odto_store::events::EventStore;
use odto_store::jobs::{AttemptOutcome, Begin, JobRecord, JobStore, Next};
use odto_store::sqlite::SqliteStore;
use odto_store::stats::StatsStore;
use tokio::sync::mpsc;

use super::{LEASE, database, job, now, open};

const JOBS: usize = 20_000;
const TASKS: usize = 200;
/// Jobs per `record_created_many` call, and events per batch, as the metrics engine takes them.
const RECORD_BATCH: usize = 500;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn throughput_of_whole_lifecycles_with_their_events_and_statistics() {
    let (path, _dir) = database();
    let store = open(&path);
    let jobs: Arc<Vec<Job>> = Arc::new((0..JOBS).map(|_| job("bench")).collect());
    let (events, batches) = mpsc::unbounded_channel();
    let started = Instant::now();
    for job in jobs.iter() {
        events
            .send(event(EventType::JobCreated, job.clone()))
            .unwrap();
    }
    let consumer = tokio::spawn(consume(store.clone(), batches, 3 * JOBS));

    let next = Arc::new(AtomicUsize::new(0));
    let tasks = (0..TASKS).map(|_| {
        let (store, jobs, next) = (store.clone(), jobs.clone(), next.clone());
        let events = events.clone();
        tokio::spawn(async move {
            while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                let (started, done) = pair(&store, job).await;
                events
                    .send(event(EventType::JobStarted, started.job))
                    .unwrap();
                events
                    .send(event(EventType::JobCompleted, done.job))
                    .unwrap();
            }
        })
    });
    join_all(tasks).await.into_iter().for_each(|t| t.unwrap());
    consumer.await.unwrap();
    let elapsed = started.elapsed();

    let stats = store.snapshot().await.unwrap();
    assert_eq!(stats.by_status.completed, JOBS as u64);
    println!(
        "whole lifecycles (record, begin, finish, 3 events stored and counted) from {TASKS} \
         tasks: {:.0} jobs/s ({JOBS} jobs in {elapsed:.2?})",
        JOBS as f64 / elapsed.as_secs_f64(),
    );
}

fn event(event_type: EventType, job: Job) -> EventEnvelope {
    let producer = Producer::new("bench", "b-1", "0");
    EventEnvelope::new(event_type, job, producer, "c", "k", now())
}

/// Begins and completes `job`; returns the record after each.
async fn pair(store: &SqliteStore, job: &Job) -> (JobRecord, JobRecord) {
    let Begin::Started(started) = store
        .begin_attempt(job, "c", "bench", LEASE, now())
        .await
        .unwrap()
    else {
        panic!("not started");
    };
    let attempt = started.job.attempts.unwrap();
    let done = store
        .finish_attempt(
            job.id,
            attempt,
            AttemptOutcome::Completed,
            Next::Complete,
            now(),
        )
        .await
        .unwrap()
        .expect("the finish applies");
    (started, done)
}

/// The metrics engine's part: takes the events as they come, up to a batch at a time, records
/// the created jobs, stores the events and counts them, until `total` events are done.
async fn consume(
    store: SqliteStore,
    mut batches: mpsc::UnboundedReceiver<EventEnvelope>,
    total: usize,
) {
    let mut done = 0;
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while done < total {
        batches.recv_many(&mut batch, RECORD_BATCH).await;
        let created: Vec<_> = batch
            .iter()
            .filter(|e| e.event_type == EventType::JobCreated)
            .map(|e| (e.payload.clone(), e.correlation_id.clone()))
            .collect();
        store.record_created_many(&created).await.unwrap();
        store.append(&batch).await.unwrap();
        store.apply(&batch).await.unwrap();
        done += batch.len();
        batch.clear();
    }
}
