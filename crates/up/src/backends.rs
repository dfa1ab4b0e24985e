//! Choosing and opening the backends: each embedded unless its URL is configured.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use odto_bus::JobBus;
use odto_bus::embedded::EmbeddedBus;
use odto_bus::inspect::QueueInspector;
use odto_bus::rabbitmq::management::ManagementInspector;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_settings::redact_url;
use odto_store::dead_letters::DeadLetterStore;
use odto_store::events::EventStore;
use odto_store::idempotency::IdempotencyStore;
use odto_store::jobs::JobStore;
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::{RedisIdempotency, RedisStats};
use odto_store::sqlite::SqliteStore;
use odto_store::stats::StatsStore;

use crate::UpError;
use crate::config::UpConfig;

/// Every backend the services use, behind their traits. The stack opened them, and closes the
/// bus once every service has stopped.
#[derive(Clone)]
pub struct Backends {
    pub bus: Arc<dyn JobBus>,
    pub queues: Arc<dyn QueueInspector>,
    pub jobs: Arc<dyn JobStore>,
    pub events: Arc<dyn EventStore>,
    pub dead_letters: Arc<dyn DeadLetterStore>,
    pub stats: Arc<dyn StatsStore>,
    pub keys: Arc<dyn IdempotencyStore>,
    /// What serves each role, e.g. `("bus", "embedded (/…/bus.sqlite)")`, for people.
    pub summary: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl Backends {
    pub(crate) async fn open(config: &UpConfig) -> Result<Self, UpError> {
        let mut summary = Vec::new();
        let mut embedded = EmbeddedStore::new(config);
        let (bus, queues) = open_bus(config, &mut summary).await?;
        let job_store = open_job_store(config, &mut embedded, &mut summary).await?;
        let (stats, keys) = open_statistics(config, &mut embedded, &mut summary).await?;
        Ok(Self {
            bus,
            queues,
            jobs: job_store.clone(),
            events: job_store.clone(),
            dead_letters: job_store,
            stats,
            keys,
            summary,
        })
    }

    /// Whether any backend keeps its data in the data directory.
    pub(crate) fn uses_data_dir(config: &UpConfig) -> bool {
        let backends = &config.backends;
        [
            &backends.rabbitmq_url,
            &backends.postgres_url,
            &backends.redis_url,
        ]
        .iter()
        .any(|url| url.is_none())
    }
}

/// The job store, event store and dead-letter store, one backend for the three.
trait JobBackend: JobStore + EventStore + DeadLetterStore {}
impl<T: JobStore + EventStore + DeadLetterStore> JobBackend for T {}

type Summary = Vec<(&'static str, String)>;

/// RabbitMQ (and its management API, for the queues) if configured, else the embedded bus.
async fn open_bus(
    config: &UpConfig,
    summary: &mut Summary,
) -> Result<(Arc<dyn JobBus>, Arc<dyn QueueInspector>), UpError> {
    let backends = &config.backends;
    let Some(url) = &backends.rabbitmq_url else {
        let path = config.data_dir.join("bus.sqlite");
        let bus = EmbeddedBus::open(&path, &config.sqlite_options())
            .await
            .map_err(|e| UpError::Backend(format!("embedded bus: {e}")))?;
        summary.push(("bus", embedded_at(&path)));
        let bus = Arc::new(bus);
        return Ok((bus.clone(), bus));
    };
    let bus = RabbitBus::start(RabbitConfig::new(url.clone(), "odto-up"))
        .map_err(|e| UpError::Backend(format!("RabbitMQ: {e}")))?;
    let queues = ManagementInspector::new(backends.rabbitmq_management_url(), url)
        .map_err(|e| UpError::Backend(format!("RabbitMQ management API: {e}")))?;
    summary.push(("bus", format!("RabbitMQ ({})", redact_url(url))));
    Ok((Arc::new(bus), Arc::new(queues)))
}

/// PostgreSQL if configured, else the embedded store.
async fn open_job_store(
    config: &UpConfig,
    embedded: &mut EmbeddedStore,
    summary: &mut Summary,
) -> Result<Arc<dyn JobBackend>, UpError> {
    let Some(url) = &config.backends.postgres_url else {
        let store = embedded.open().await?;
        summary.push(("jobs and events", embedded.describe()));
        return Ok(Arc::new(store));
    };
    let store = PgStore::connect(&PgSettings::new(url.clone()))
        .await
        .map_err(|e| UpError::Backend(format!("PostgreSQL: {e}")))?;
    summary.push(("jobs and events", "PostgreSQL".to_owned()));
    Ok(Arc::new(store))
}

/// Redis if configured, else the embedded store: statistics and idempotency keys.
async fn open_statistics(
    config: &UpConfig,
    embedded: &mut EmbeddedStore,
    summary: &mut Summary,
) -> Result<(Arc<dyn StatsStore>, Arc<dyn IdempotencyStore>), UpError> {
    let role = "statistics and idempotency keys";
    let backends = &config.backends;
    let Some(url) = &backends.redis_url else {
        let store = Arc::new(embedded.open().await?);
        summary.push((role, embedded.describe()));
        return Ok((store.clone(), store));
    };
    let redis = |e: odto_store::StoreError| UpError::Backend(format!("Redis: {e}"));
    let stats = RedisStats::new(url, backends.redis_prefix.clone()).map_err(redis)?;
    let keys = RedisIdempotency::new(url, backends.redis_prefix.clone()).map_err(redis)?;
    summary.push((role, "Redis".to_owned()));
    Ok((Arc::new(stats), Arc::new(keys)))
}

/// The embedded store of the data directory, opened when a role first needs it.
struct EmbeddedStore {
    path: PathBuf,
    options: odto_sqlite::Options,
    store: Option<SqliteStore>,
}

impl EmbeddedStore {
    fn new(config: &UpConfig) -> Self {
        Self {
            path: config.data_dir.join("store.sqlite"),
            options: config.sqlite_options(),
            store: None,
        }
    }

    /// The store (a cheap clone), opened on the first call; jobs a previous stop interrupted
    /// are then released to run again.
    async fn open(&mut self) -> Result<SqliteStore, UpError> {
        if let Some(store) = &self.store {
            return Ok(store.clone());
        }
        let failed = |e: odto_store::StoreError| UpError::Backend(format!("embedded store: {e}"));
        let store = SqliteStore::open(&self.path, &self.options).map_err(failed)?;
        let taken_over = store
            .expire_leases(chrono::Utc::now())
            .await
            .map_err(failed)?;
        if taken_over > 0 {
            tracing::info!(
                jobs = taken_over,
                "jobs interrupted by the last stop will run again"
            );
        }
        Ok(self.store.insert(store).clone())
    }

    fn describe(&self) -> String {
        embedded_at(&self.path)
    }
}

fn embedded_at(path: &Path) -> String {
    format!("embedded ({})", path.display())
}
