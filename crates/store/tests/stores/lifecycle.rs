//! Recording, beginning, finishing, cancelling and requeueing jobs, with their guards.

use odto_contracts::JobStatus;
use odto_store::jobs::DEFAULT_MAX_ATTEMPTS;
use odto_store::jobs::{AttemptOutcome, Begin, Next, Transition};
use serde_json::json;
use uuid::Uuid;

use crate::backend::{Backend, LEASE, finish, job, later, now, on_every_backend, start};

async fn a_recorded_job_reads_back_pending_at_revision_zero_and_is_recorded_once(backend: Backend) {
    let store = backend.jobs().await;
    let mut submitted = job("email.send");
    submitted.metadata = json!({"tenant": "a"}).as_object().cloned();
    submitted
        .extra
        .insert("idempotencyKey".into(), json!("k-1"));

    assert!(store.record_created(&submitted, "corr-1").await.unwrap());
    assert!(!store.record_created(&submitted, "corr-2").await.unwrap());

    let record = store.get(submitted.id).await.unwrap().expect("recorded");
    assert_eq!(record.job.status, JobStatus::Pending);
    assert_eq!(
        (record.job.revision, record.job.attempts),
        (Some(0), Some(0))
    );
    assert_eq!(
        record.job.created_at, submitted.created_at,
        "createdAt kept to the nanosecond"
    );
    assert_eq!(record.job.payload, submitted.payload);
    assert_eq!(record.job.metadata, submitted.metadata);
    assert_eq!(record.job.extra, submitted.extra);
    assert_eq!(record.job.max_attempts, None);
    assert_eq!(record.max_attempts, DEFAULT_MAX_ATTEMPTS);
    assert_eq!(record.correlation_id, "corr-1");
}

async fn an_unknown_job_begins_and_completes_with_one_attempt_row(backend: Backend) {
    let store = backend.jobs().await;
    let submitted = job("report");
    let now = now();

    let started = start(&*store, &submitted, now).await;
    let done = finish(&*store, &submitted, 1, Next::Complete, later(now, 2)).await;

    assert_eq!(started.job.status, JobStatus::Executing);
    assert_eq!(
        (started.job.attempts, started.job.revision),
        (Some(1), Some(1))
    );
    assert!(started.lease_until.unwrap() > later(now, 29));
    assert_eq!(done.job.status, JobStatus::Completed);
    assert_eq!(done.job.revision, Some(2));
    assert!(done.finished_at.is_some() && done.lease_until.is_none());
    assert_eq!(store.get(submitted.id).await.unwrap(), Some(done));
    let attempts = store.attempts(submitted.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].worker, "worker-1");
    assert_eq!(attempts[0].outcome, Some(AttemptOutcome::Completed));
    assert!(attempts[0].finished_at.is_some());
}

async fn a_retried_job_waits_for_its_run_at_then_starts_its_next_attempt(backend: Backend) {
    let store = backend.jobs().await;
    let submitted = job("flaky");
    let now = now();
    start(&*store, &submitted, now).await;
    let retry = Next::Retry {
        error: "boom".into(),
        run_at: later(now, 10),
    };

    let waiting = finish(&*store, &submitted, 1, retry, later(now, 1)).await;
    let early = store
        .begin_attempt(&submitted, "c", "w", LEASE, later(now, 5))
        .await
        .unwrap();
    let second = start(&*store, &submitted, later(now, 11)).await;

    assert_eq!(waiting.job.status, JobStatus::Pending);
    assert_eq!(waiting.job.last_error.as_deref(), Some("boom"));
    assert_eq!(waiting.job.run_at, Some(later(now, 10)));
    assert!(matches!(early, Begin::NotYet(ref r) if r.job.revision == Some(2)));
    assert_eq!((second.job.attempts, second.run_attempts), (Some(2), 2));
    assert_eq!(second.job.revision, Some(3));
    let attempts = store.attempts(submitted.id).await.unwrap();
    let numbers: Vec<u32> = attempts.iter().map(|a| a.number).collect();
    assert_eq!(numbers, [1, 2], "oldest first");
    assert_eq!(attempts[0].error.as_deref(), Some("boom"));
    assert_eq!(attempts[0].outcome, Some(AttemptOutcome::Failed));
}

async fn a_failing_attempt_can_end_the_job_as_failed(backend: Backend) {
    let store = backend.jobs().await;
    let submitted = job("doomed");
    let now = now();
    start(&*store, &submitted, now).await;

    let failed = finish(
        &*store,
        &submitted,
        1,
        Next::Fail { error: "no".into() },
        now,
    )
    .await;

    assert_eq!(failed.job.status, JobStatus::Failed);
    assert_eq!(failed.job.last_error.as_deref(), Some("no"));
    let again = store
        .begin_attempt(&submitted, "c", "w", LEASE, now)
        .await
        .unwrap();
    assert!(matches!(again, Begin::Finished(_)));
}

async fn a_finish_for_another_attempt_than_the_running_one_changes_nothing(backend: Backend) {
    let store = backend.jobs().await;
    let submitted = job("t");
    let now = now();
    let started = start(&*store, &submitted, now).await;

    let stale = store
        .finish_attempt(
            submitted.id,
            2,
            AttemptOutcome::Completed,
            Next::Complete,
            now,
        )
        .await
        .unwrap();
    let unknown = store
        .finish_attempt(
            Uuid::now_v7(),
            1,
            AttemptOutcome::Completed,
            Next::Complete,
            now,
        )
        .await
        .unwrap();

    assert_eq!((stale, unknown), (None, None));
    assert_eq!(store.get(submitted.id).await.unwrap(), Some(started));
    finish(&*store, &submitted, 1, Next::Complete, now).await;
    let repeated = store
        .finish_attempt(
            submitted.id,
            1,
            AttemptOutcome::Completed,
            Next::Complete,
            now,
        )
        .await
        .unwrap();
    assert_eq!(repeated, None, "a repeated finish does not apply twice");
}

async fn a_running_job_is_taken_over_only_after_its_lease_expires(backend: Backend) {
    let store = backend.jobs().await;
    let submitted = job("slow");
    let now = now();
    start(&*store, &submitted, now).await;

    let during = store
        .begin_attempt(&submitted, "c", "w2", LEASE, later(now, 10))
        .await
        .unwrap();
    let after = store
        .begin_attempt(&submitted, "c", "w2", LEASE, later(now, 31))
        .await
        .unwrap();

    assert!(matches!(during, Begin::Running(ref r) if r.job.attempts == Some(1)));
    let Begin::Started(taken) = after else {
        panic!("not taken over: {after:?}")
    };
    assert_eq!((taken.job.attempts, taken.job.revision), (Some(2), Some(2)));
    let attempts = store.attempts(submitted.id).await.unwrap();
    assert_eq!(attempts[0].outcome, Some(AttemptOutcome::TimedOut));
    assert_eq!(
        (attempts[1].worker.as_str(), attempts[1].outcome),
        ("w2", None)
    );
    let late = store
        .finish_attempt(
            submitted.id,
            1,
            AttemptOutcome::Completed,
            Next::Complete,
            later(now, 32),
        )
        .await
        .unwrap();
    assert_eq!(late, None, "the first worker lost the job");
}

async fn only_a_pending_job_can_be_cancelled_and_then_never_starts(backend: Backend) {
    let store = backend.jobs().await;
    let submitted = job("t");
    store.record_created(&submitted, "c").await.unwrap();
    let now = now();

    let cancelled = store.cancel(submitted.id, now).await.unwrap();
    let again = store.cancel(submitted.id, now).await.unwrap();
    let unknown = store.cancel(Uuid::now_v7(), now).await.unwrap();

    let Transition::Changed(record) = cancelled else {
        panic!("{cancelled:?}")
    };
    assert_eq!(
        (record.job.status, record.job.revision),
        (JobStatus::Cancelled, Some(1))
    );
    assert!(matches!(again, Transition::Refused(_)));
    assert_eq!(unknown, Transition::NotFound);
    let begin = store
        .begin_attempt(&submitted, "c", "w", LEASE, now)
        .await
        .unwrap();
    assert!(matches!(begin, Begin::Finished(_)));
}

async fn only_a_failed_job_can_be_requeued_and_it_gets_a_fresh_attempt_budget(backend: Backend) {
    let store = backend.jobs().await;
    let submitted = job("t");
    let now = now();
    start(&*store, &submitted, now).await;
    let refused = store.requeue(submitted.id, now).await.unwrap();
    finish(
        &*store,
        &submitted,
        1,
        Next::Fail { error: "x".into() },
        now,
    )
    .await;

    let requeued = store.requeue(submitted.id, later(now, 1)).await.unwrap();

    assert!(matches!(refused, Transition::Refused(ref r) if r.job.status == JobStatus::Executing));
    let Transition::Changed(record) = requeued else {
        panic!("{requeued:?}")
    };
    assert_eq!(record.job.status, JobStatus::Pending);
    assert_eq!((record.run_attempts, record.job.attempts), (0, Some(1)));
    assert_eq!(record.finished_at, None);
    let restarted = start(&*store, &submitted, later(now, 2)).await;
    assert_eq!(
        (restarted.run_attempts, restarted.job.attempts),
        (1, Some(2))
    );
    assert_eq!(
        store.requeue(Uuid::now_v7(), now).await.unwrap(),
        Transition::NotFound
    );
}

on_every_backend!(postgres:
    a_recorded_job_reads_back_pending_at_revision_zero_and_is_recorded_once,
    an_unknown_job_begins_and_completes_with_one_attempt_row,
    a_retried_job_waits_for_its_run_at_then_starts_its_next_attempt,
    a_failing_attempt_can_end_the_job_as_failed,
    a_finish_for_another_attempt_than_the_running_one_changes_nothing,
    a_running_job_is_taken_over_only_after_its_lease_expires,
    only_a_pending_job_can_be_cancelled_and_then_never_starts,
    only_a_failed_job_can_be_requeued_and_it_gets_a_fresh_attempt_budget,
);
