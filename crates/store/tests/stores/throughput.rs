//! How many begin+finish pairs a second each job store sustains from 200 concurrent callers, as
//! the processors call them. Ignored by default (they measure, they do not check); run them with
//! `cargo test --release -p odto-store --test stores -- --ignored --nocapture throughput`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures_util::future::join_all;
use odto_contracts::Job;
use odto_store::jobs::{JobStore, Next};

use crate::backend::{Backend, finish, job, now, start};

const JOBS: usize = 20_000;
const TASKS: usize = 200;
/// Jobs per `record_created_many` call, as the metrics engine batches them.
const RECORD_BATCH: usize = 500;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn throughput_of_begin_and_finish_pairs_on_postgres() {
    measure(Backend::Real).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn throughput_of_begin_and_finish_pairs_on_sqlite() {
    measure(Backend::Sqlite).await;
}

async fn measure(backend: Backend) {
    let fixture = backend.jobs().await;
    let store = fixture.shared();
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
        "{backend:?}: record_created_many {:.0} jobs/s; begin+finish pairs from {TASKS} tasks: \
         {:.0} pairs/s ({JOBS} jobs in {paired:.2?})",
        JOBS as f64 / recorded.as_secs_f64(),
        JOBS as f64 / paired.as_secs_f64(),
    );
}

/// Takes the next job until none is left: begin it, then complete it.
async fn run_pairs(store: Arc<dyn JobStore>, jobs: Arc<Vec<Job>>, next: Arc<AtomicUsize>) {
    while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
        let record = start(store.as_ref(), job, now()).await;
        let attempt = record.job.attempts.unwrap();
        finish(store.as_ref(), job, attempt, Next::Complete, now()).await;
    }
}
