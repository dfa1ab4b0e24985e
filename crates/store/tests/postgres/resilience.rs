//! Many callers at once, several processes starting at once, and PostgreSQL going away.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use odto_contracts::JobStatus;
use odto_store::StoreError;
use odto_store::events::EventStore;
use odto_store::jobs::{AttemptOutcome, Begin, JobStore, Next};
use odto_store::postgres::{PgSettings, PgStore};
use odto_test_support::{TcpProxy, TestDatabase, eventually};

use super::{LEASE, job, now, store};

#[tokio::test]
async fn two_hundred_jobs_begun_and_finished_at_once_each_get_exactly_one_attempt() {
    let (store, _db) = store().await;
    let jobs: Vec<_> = (0..200).map(|_| job("burst")).collect();

    let pairs = jobs.iter().map(|job| {
        let store = store.clone();
        async move {
            let Begin::Started(record) = store.begin_attempt(job, "c", "w", LEASE, now()).await?
            else {
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
        }
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

#[tokio::test]
async fn one_job_begun_by_fifty_callers_at_once_starts_once() {
    let (store, _db) = store().await;
    let subject = job("contended");

    let begins = (0..50).map(|i| {
        let (store, subject) = (store.clone(), subject.clone());
        async move {
            store
                .begin_attempt(&subject, "c", &format!("w{i}"), LEASE, now())
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

#[tokio::test]
async fn processes_starting_at_once_create_and_migrate_a_new_database_once() {
    let database = TestDatabase::missing();
    let settings = PgSettings::new(database.url());

    let stores = join_all((0..4).map(|_| PgStore::connect(&settings))).await;

    for store in stores {
        let store = store.expect("every process starts");
        assert_eq!(store.count().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_as_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let started = Instant::now();

    let connected =
        PgStore::connect(&PgSettings::new(format!("postgres://postgres@{port}/odto"))).await;

    assert!(
        matches!(connected, Err(StoreError::Unavailable(_))),
        "{connected:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn calls_fail_fast_while_postgres_is_cut_off_and_work_again_when_it_is_back() {
    let database = TestDatabase::create().await;
    let proxy = TcpProxy::start("127.0.0.1:5432").await;
    let store = PgStore::connect(&PgSettings::new(
        database.url_via(&proxy.addr().to_string()),
    ))
    .await
    .unwrap();
    let subject = job("t");
    store.record_created(&subject, "c").await.unwrap();

    proxy.cut();
    let started = Instant::now();
    let read = store.get(subject.id).await;
    let begin = store.begin_attempt(&subject, "c", "w", LEASE, now()).await;

    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    assert!(
        matches!(begin, Err(StoreError::Unavailable(_))),
        "{begin:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert!(!store.is_available().await);
    proxy.restore();
    eventually(
        Duration::from_secs(10),
        "the store to reconnect",
        || async { store.get(subject.id).await.ok().flatten() },
    )
    .await;
    let begin = store
        .begin_attempt(&subject, "c", "w", LEASE, now())
        .await
        .unwrap();
    assert!(matches!(begin, Begin::Started(_)));
}
