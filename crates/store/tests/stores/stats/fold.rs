//! Statistics after a random shuffle of many jobs' events, repeats included, against what the
//! generated jobs say they must be: each job counted in the status of its last step.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use odto_contracts::{EventEnvelope, JobStatus};
use odto_store::stats::StatusCounts;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use super::{base, event, new_job};
use crate::backend::{Backend, on_every_backend};

use JobStatus::{Cancelled, Completed, Executing, Failed, Pending};

/// The paths a job may have taken so far, one status per revision (revision = index).
const PATHS: [&[JobStatus]; 7] = [
    &[Pending],
    &[Pending, Executing],
    &[Pending, Executing, Completed],
    &[Pending, Executing, Pending, Executing, Completed],
    &[Pending, Executing, Failed],
    &[
        Pending, Executing, Pending, Executing, Failed, Pending, Executing, Completed,
    ],
    &[Pending, Cancelled],
];

const TYPES: [&str; 3] = ["email", "report", "resize"];

/// What the generator knows: each job's type and path.
struct Generated {
    events: Vec<EventEnvelope>,
    finals: Vec<(&'static str, JobStatus)>,
    /// Jobs that were FAILED at some revision (a failure may be followed by a manual retry).
    ever_failed: u64,
}

fn generate(rng: &mut StdRng, jobs: usize) -> Generated {
    let mut events = Vec::new();
    let mut finals = Vec::new();
    let mut ever_failed = 0;
    for _ in 0..jobs {
        let job_type = *TYPES.choose(rng).unwrap();
        let path = *PATHS.choose(rng).unwrap();
        let job = new_job(job_type, base());
        for (revision, &status) in (0..).zip(path) {
            let at = job.created_at + TimeDelta::milliseconds(rng.random_range(0..3_000));
            let step = event(&job, revision, status, at);
            for _ in 0..rng.random_range(1..=3) {
                events.push(step.clone()); // a redelivery is the same envelope again
            }
        }
        finals.push((job_type, *path.last().unwrap()));
        ever_failed += u64::from(path.contains(&Failed));
    }
    events.shuffle(rng);
    Generated {
        events,
        finals,
        ever_failed,
    }
}

fn add(counts: &mut StatusCounts, status: JobStatus) {
    match status {
        Pending => counts.pending += 1,
        Executing => counts.executing += 1,
        Completed => counts.completed += 1,
        Failed => counts.failed += 1,
        Cancelled => counts.cancelled += 1,
        JobStatus::Validated => counts.validated += 1,
    }
}

async fn shuffled_and_repeated_events_of_fifty_jobs_count_each_job_in_its_last_status(
    backend: Backend,
) {
    let seed: u64 = rand::random();
    let mut rng = StdRng::seed_from_u64(seed);
    let generated = generate(&mut rng, 50);
    let stats = backend.stats().await;

    let mut applied = 0;
    let mut rest = generated.events.as_slice();
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rng.random_range(1..=40).min(rest.len()));
        applied += stats.apply(chunk).await.unwrap();
        rest = tail;
    }

    let mut by_status = StatusCounts::default();
    let mut by_type: BTreeMap<String, StatusCounts> = BTreeMap::new();
    for &(job_type, status) in &generated.finals {
        add(&mut by_status, status);
        add(by_type.entry(job_type.to_owned()).or_default(), status);
    }
    let snapshot = stats.snapshot().await.unwrap();
    assert_eq!(snapshot.accepted, 50, "seed {seed}");
    assert_eq!(snapshot.by_status.total(), 50, "conservation, seed {seed}");
    assert_eq!(snapshot.by_status, by_status, "seed {seed}");
    assert_eq!(snapshot.by_type, by_type, "seed {seed}");
    assert_eq!(snapshot.events_applied, applied, "seed {seed}");
    let seconds = stats
        .throughput(base() + TimeDelta::seconds(5), 10)
        .await
        .unwrap();
    let sum = |f: fn(&odto_store::stats::Throughput) -> u64| seconds.iter().map(f).sum::<u64>();
    assert_eq!(sum(|s| s.accepted), 50, "seed {seed}");
    assert_eq!(sum(|s| s.completed), by_status.completed, "seed {seed}");
    // A failure is counted when its event applies; one overtaken by the job's later revisions
    // (a manual retry) may not be.
    let failed = sum(|s| s.failed);
    assert!(
        (by_status.failed..=generated.ever_failed).contains(&failed),
        "seed {seed}"
    );
}

on_every_backend!(redis:
    shuffled_and_repeated_events_of_fifty_jobs_count_each_job_in_its_last_status,
);
