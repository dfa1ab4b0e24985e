//! Several processes starting at once, and PostgreSQL out of reach.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use odto_store::StoreError;
use odto_store::events::EventStore;
use odto_store::jobs::{Begin, JobStore};
use odto_store::postgres::{PgSettings, PgStore};
use odto_test_support::{TcpProxy, TestDatabase, eventually};

use super::{LEASE, job, now};

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
