//! The backends a behaviour runs against, a fresh store per test, and the helpers the
//! behaviours share.

use std::any::Any;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use odto_contracts::{Job, JobType};
use odto_store::alerts::AlertStore;
use odto_store::dead_letters::DeadLetterStore;
use odto_store::events::EventStore;
use odto_store::idempotency::IdempotencyStore;
use odto_store::jobs::{AttemptOutcome, Begin, JobRecord, JobStore, Next};
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::{RedisIdempotency, RedisStats};
use odto_store::sqlite::SqliteStore;
use odto_store::stats::StatsStore;
use odto_test_support::{TestDatabase, redis_url, require_service, unique_redis_prefix};
use serde_json::json;
use uuid::Uuid;

/// Declares, for each behaviour `name` (an `async fn name(Backend)` of the calling module), the
/// tests `<real>::name` on the real backend and `sqlite::name` on the embedded one.
macro_rules! on_every_backend {
    ($real:ident: $($behaviour:ident),+ $(,)?) => {
        mod $real {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    super::$behaviour($crate::backend::Backend::Real).await;
                }
            )+
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    super::$behaviour($crate::backend::Backend::Sqlite).await;
                }
            )+
        }
    };
}
pub(crate) use on_every_backend;

/// Which implementation of the traits a behaviour runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// PostgreSQL or Redis, as in distributed mode.
    Real,
    /// SQLite, as in the all-in-one mode.
    Sqlite,
}

/// A store of a fresh backend, and what keeps that backend alive (a PostgreSQL database, dropped
/// with it, or the SQLite file's temporary directory).
pub struct Fixture<S: ?Sized> {
    store: Arc<S>,
    _keep: Box<dyn Any + Send + Sync>,
}

impl<S: ?Sized> Fixture<S> {
    /// The store itself, for tasks of their own.
    pub fn shared(&self) -> Arc<S> {
        self.store.clone()
    }
}

impl<S: ?Sized> Deref for Fixture<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.store
    }
}

impl Backend {
    pub async fn jobs(self) -> Fixture<dyn JobStore> {
        self.records::<dyn JobStore>(|s| Arc::new(s), |s| Arc::new(s))
            .await
    }

    pub async fn events(self) -> Fixture<dyn EventStore> {
        self.records::<dyn EventStore>(|s| Arc::new(s), |s| Arc::new(s))
            .await
    }

    pub async fn dead_letters(self) -> Fixture<dyn DeadLetterStore> {
        self.records::<dyn DeadLetterStore>(|s| Arc::new(s), |s| Arc::new(s))
            .await
    }

    pub async fn alerts(self) -> Fixture<dyn AlertStore> {
        self.records::<dyn AlertStore>(|s| Arc::new(s), |s| Arc::new(s))
            .await
    }

    pub async fn stats(self) -> Fixture<dyn StatsStore> {
        match self {
            Backend::Real => {
                require_redis().await;
                let stats = RedisStats::new(&redis_url(), unique_redis_prefix()).unwrap();
                Fixture {
                    store: Arc::new(stats),
                    _keep: Box::new(()),
                }
            }
            Backend::Sqlite => sqlite(|s| Arc::new(s)),
        }
    }

    pub async fn idempotency(self) -> Fixture<dyn IdempotencyStore> {
        match self {
            Backend::Real => {
                require_redis().await;
                let keys = RedisIdempotency::new(&redis_url(), unique_redis_prefix()).unwrap();
                Fixture {
                    store: Arc::new(keys),
                    _keep: Box::new(()),
                }
            }
            Backend::Sqlite => sqlite(|s| Arc::new(s)),
        }
    }

    /// A store of jobs, events, dead letters and alerts: PostgreSQL on a database of its own, or SQLite.
    async fn records<S: ?Sized>(
        self,
        postgres: fn(PgStore) -> Arc<S>,
        embedded: fn(SqliteStore) -> Arc<S>,
    ) -> Fixture<S> {
        match self {
            Backend::Real => {
                let database = TestDatabase::create().await;
                let store = PgStore::connect(&PgSettings::new(database.url()))
                    .await
                    .expect("connect to the test database");
                Fixture {
                    store: postgres(store),
                    _keep: Box::new(database),
                }
            }
            Backend::Sqlite => sqlite(embedded),
        }
    }
}

/// A store on a new SQLite file.
fn sqlite<S: ?Sized>(store: fn(SqliteStore) -> Arc<S>) -> Fixture<S> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let options = odto_sqlite::Options::default();
    let opened = SqliteStore::open(&dir.path().join("odto.sqlite"), &options);
    Fixture {
        store: store(opened.expect("the SQLite store opens")),
        _keep: Box::new(dir),
    }
}

/// Panics with instructions unless the test Redis answers.
async fn require_redis() {
    let url = redis_url();
    let addr = url.trim_start_matches("redis://").to_owned();
    require_service(
        "Redis",
        &addr,
        "redis-server --daemonize yes --port 6379 --save ''",
    )
    .await;
}

/// A new job of `job_type` with a small payload, created now (nanosecond precision).
pub fn job(job_type: &str) -> Job {
    let mut job = Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        Utc::now(),
    );
    job.payload = json!({"n": 1}).as_object().cloned();
    job
}

/// Now, at the microsecond precision the stores keep (they drop the rest of the times they are
/// given, except a job's `createdAt`, an event's `occurredAt` and a dead letter's `receivedAt`).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

pub fn later(start: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    start + TimeDelta::seconds(seconds)
}

pub const LEASE: Duration = Duration::from_secs(30);

/// Begins an attempt of `job` that must start; returns the record.
pub async fn start(store: &dyn JobStore, job: &Job, now: DateTime<Utc>) -> JobRecord {
    match store
        .begin_attempt(job, "corr", "worker-1", LEASE, now)
        .await
        .unwrap()
    {
        Begin::Started(record) => record,
        other => panic!("expected the attempt to start, got {other:?}"),
    }
}

/// Finishes attempt `attempt` of `job` with `next`; the finish must apply.
pub async fn finish(
    store: &dyn JobStore,
    job: &Job,
    attempt: u32,
    next: Next,
    now: DateTime<Utc>,
) -> JobRecord {
    let outcome = match next {
        Next::Complete => AttemptOutcome::Completed,
        _ => AttemptOutcome::Failed,
    };
    store
        .finish_attempt(job.id, attempt, outcome, next, now)
        .await
        .unwrap()
        .expect("the finish applies")
}
