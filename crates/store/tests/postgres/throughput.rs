//! How many jobs a second the batched lifecycle writes sustain. Ignored by default (it measures,
//! it does not check); run it with
//! `cargo test --release -p odto-store --test postgres -- --ignored --nocapture throughput`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures_util::future::join_all;
use odto_contracts::Job;
use odto_store::jobs::{AttemptOutcome, Begin, JobStore, Next};
use odto_store::postgres::PgStore;

use super::{LEASE, job, now, store};

const JOBS: usize = 20_000;
const TASKS: usize = 200;
/// Jobs per `record_created_many` call, as the metrics engine batches them.
const RECORD_BATCH: usize = 500;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn throughput_of_begin_and_finish_pairs_from_200_tasks() {
    let (store, _db) = store().await;
    let jobs: Arc<Vec<Job>> = Arc::new((0..JOBS).map(|_| job("bench")).collect());

    let started = Instant::now();
    for chunk in jobs.chunks(RECORD_BATCH) {
        let batch: Vec<_> = chunk.iter().map(|j| (j.clone(), "c".to_owned())).collect();
        store.record_created_many(&batch).await.unwrap();
    }
    let recorded = started.elapsed();

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks =
        (0..TASKS).map(|_| tokio::spawn(run_pairs(store.clone(), jobs.clone(), next.clone())));
    join_all(tasks).await.into_iter().for_each(|t| t.unwrap());
    let paired = started.elapsed();

    println!(
        "record_created_many: {:.0} jobs/s; begin+finish pairs from {TASKS} tasks: {:.0} pairs/s \
         ({JOBS} jobs in {paired:.2?})",
        JOBS as f64 / recorded.as_secs_f64(),
        JOBS as f64 / paired.as_secs_f64(),
    );
}

/// Takes the next job until none is left: begin it, then complete it.
async fn run_pairs(store: PgStore, jobs: Arc<Vec<Job>>, next: Arc<AtomicUsize>) {
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = jobs.get(index) else { return };
        let Begin::Started(record) = store
            .begin_attempt(job, "c", "bench", LEASE, now())
            .await
            .unwrap()
        else {
            panic!("not started");
        };
        let attempt = record.job.attempts.unwrap();
        let done = store
            .finish_attempt(
                job.id,
                attempt,
                AttemptOutcome::Completed,
                Next::Complete,
                now(),
            )
            .await
            .unwrap();
        assert!(done.is_some());
    }
}
