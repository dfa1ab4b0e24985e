//! Many callers at once: each job still gets exactly the attempts its guards allow.

use futures_util::future::join_all;
use odto_contracts::JobStatus;
use odto_store::jobs::{AttemptOutcome, Begin, Next};

use crate::backend::{Backend, LEASE, job, now, on_every_backend};

async fn two_hundred_jobs_begun_and_finished_at_once_each_get_exactly_one_attempt(
    backend: Backend,
) {
    let store = backend.jobs().await;
    let store = &*store;
    let jobs: Vec<_> = (0..200).map(|_| job("burst")).collect();

    let pairs = jobs.iter().map(|job| async move {
        let Begin::Started(record) = store.begin_attempt(job, "c", "w", LEASE, now()).await? else {
            panic!("not started");
        };
        let attempt = record.job.attempts.unwrap();
        store
            .finish_attempt(
                job.id,
                attempt,
                AttemptOutcome::Completed,
                Next::Complete,
                now(),
            )
            .await
    });
    let finished = join_all(pairs).await;

    assert!(
        finished
            .iter()
            .all(|f| matches!(f, Ok(Some(r)) if r.job.revision == Some(2)))
    );
    for job in &jobs {
        let record = store.get(job.id).await.unwrap().unwrap();
        assert_eq!(record.job.status, JobStatus::Completed);
        let attempts = store.attempts(job.id).await.unwrap();
        assert_eq!(attempts.len(), 1, "job {} has {attempts:?}", job.id);
    }
}

async fn one_job_begun_by_fifty_callers_at_once_starts_once(backend: Backend) {
    let store = backend.jobs().await;
    let store = &*store;
    let subject = job("contended");

    let begins = (0..50).map(|i| {
        let subject = &subject;
        async move {
            store
                .begin_attempt(subject, "c", &format!("w{i}"), LEASE, now())
                .await
        }
    });
    let begins = join_all(begins).await;

    let started = begins
        .iter()
        .filter(|b| matches!(b, Ok(Begin::Started(_))))
        .count();
    let running = begins
        .iter()
        .filter(|b| matches!(b, Ok(Begin::Running(_))))
        .count();
    assert_eq!((started, running), (1, 49));
    assert_eq!(store.attempts(subject.id).await.unwrap().len(), 1);
}

on_every_backend!(postgres:
    two_hundred_jobs_begun_and_finished_at_once_each_get_exactly_one_attempt,
    one_job_begun_by_fifty_callers_at_once_starts_once,
);
