//! Choosing and opening the backends: each embedded unless its URL is configured.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use odto_bus::embedded::EmbeddedBus;
use odto_bus::inspect::QueueInspector;
use odto_bus::rabbitmq::management::ManagementInspector;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_bus::{BusError, JobBus, MessageHandler};
use odto_contracts::EventEnvelope;
use odto_store::dead_letters::DeadLetterStore;
use odto_store::events::EventStore;
use odto_store::idempotency::IdempotencyStore;
use odto_store::jobs::JobStore;
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::{RedisIdempotency, RedisStats};
use odto_store::sqlite::SqliteStore;
use odto_store::stats::StatsStore;
use tokio_util::sync::CancellationToken;

use crate::UpError;
use crate::config::UpConfig;

/// Every backend the services use, behind their traits.
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

/// Settings of the real backends that `odto up` takes from the distributed mode's environment.
pub(crate) struct RealSettings {
    pub redis_prefix: String,
    pub rabbitmq_management_url: String,
}

impl Backends {
    pub(crate) async fn open(config: &UpConfig, real: &RealSettings) -> Result<Self, UpError> {
        let options = config.sqlite_options();
        let mut summary = Vec::new();
        let store_path = config.data_dir.join("store.sqlite");
        let embedded = if config.postgres_url.is_none() || config.redis_url.is_none() {
            let store = SqliteStore::open(&store_path, &options)
                .map_err(|e| UpError::Backend(format!("embedded store: {e}")))?;
            let taken_over = store
                .expire_leases(chrono::Utc::now())
                .await
                .map_err(|e| UpError::Backend(format!("embedded store: {e}")))?;
            if taken_over > 0 {
                tracing::info!(
                    jobs = taken_over,
                    "jobs interrupted by the last stop will run again"
                );
            }
            Some(store)
        } else {
            None
        };

        let (bus, queues): (Arc<dyn JobBus>, Arc<dyn QueueInspector>) = match &config.rabbitmq_url {
            Some(url) => {
                let bus = RabbitBus::start(RabbitConfig::new(url.clone(), "odto-up"))
                    .map_err(|e| UpError::Backend(format!("RabbitMQ: {e}")))?;
                let queues = ManagementInspector::new(&real.rabbitmq_management_url, url)
                    .map_err(|e| UpError::Backend(format!("RabbitMQ management API: {e}")))?;
                summary.push((
                    "bus",
                    format!("RabbitMQ ({})", odto_bus::rabbitmq::redact_url(url)),
                ));
                (Arc::new(bus), Arc::new(queues))
            }
            None => {
                let path = config.data_dir.join("bus.sqlite");
                let bus = Arc::new(
                    EmbeddedBus::open(&path, &options)
                        .await
                        .map_err(|e| UpError::Backend(format!("embedded bus: {e}")))?,
                );
                summary.push(("bus", embedded_at(&path)));
                (bus.clone(), bus)
            }
        };

        let (jobs, events, dead_letters): (
            Arc<dyn JobStore>,
            Arc<dyn EventStore>,
            Arc<dyn DeadLetterStore>,
        ) = match (&config.postgres_url, &embedded) {
            (Some(url), _) => {
                let store = Arc::new(
                    PgStore::connect(&PgSettings::new(url.clone()))
                        .await
                        .map_err(|e| UpError::Backend(format!("PostgreSQL: {e}")))?,
                );
                summary.push(("jobs and events", "PostgreSQL".to_owned()));
                (store.clone(), store.clone(), store)
            }
            (None, Some(store)) => {
                let store = Arc::new(store.clone());
                summary.push(("jobs and events", embedded_at(&store_path)));
                (store.clone(), store.clone(), store)
            }
            (None, None) => {
                unreachable!("the embedded store is open when PostgreSQL is not configured")
            }
        };

        let (stats, keys): (Arc<dyn StatsStore>, Arc<dyn IdempotencyStore>) =
            match (&config.redis_url, &embedded) {
                (Some(url), _) => {
                    let redis = |e: odto_store::StoreError| UpError::Backend(format!("Redis: {e}"));
                    let stats = RedisStats::new(url, real.redis_prefix.clone()).map_err(redis)?;
                    let keys =
                        RedisIdempotency::new(url, real.redis_prefix.clone()).map_err(redis)?;
                    summary.push(("statistics and idempotency keys", "Redis".to_owned()));
                    (Arc::new(stats), Arc::new(keys))
                }
                (None, Some(store)) => {
                    let store = Arc::new(store.clone());
                    summary.push(("statistics and idempotency keys", embedded_at(&store_path)));
                    (store.clone(), store)
                }
                (None, None) => {
                    unreachable!("the embedded store is open when Redis is not configured")
                }
            };

        Ok(Self {
            bus,
            queues,
            jobs,
            events,
            dead_letters,
            stats,
            keys,
            summary,
        })
    }

    /// The bus as the services get it: closing it is the stack's job, once every service stopped.
    pub(crate) fn shared_bus(&self) -> Arc<dyn JobBus> {
        Arc::new(SharedBus(self.bus.clone()))
    }

    /// Whether any backend keeps its data in the data directory.
    pub(crate) fn uses_data_dir(config: &UpConfig) -> bool {
        config.rabbitmq_url.is_none() || config.postgres_url.is_none() || config.redis_url.is_none()
    }
}

fn embedded_at(path: &Path) -> String {
    format!("embedded ({})", PathBuf::from(path).display())
}

/// A bus whose `close` does nothing: in one process the services share one bus, and the first
/// service to stop must not close it under the others.
struct SharedBus(Arc<dyn JobBus>);

#[async_trait]
impl JobBus for SharedBus {
    async fn enqueue(&self, created: &EventEnvelope) -> Result<(), BusError> {
        self.0.enqueue(created).await
    }

    async fn publish_event(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.0.publish_event(event).await
    }

    fn is_connected(&self) -> bool {
        self.0.is_connected()
    }

    async fn consume(
        &self,
        queue: &'static str,
        concurrency: usize,
        handler: Arc<dyn MessageHandler>,
        stop: CancellationToken,
    ) {
        self.0.consume(queue, concurrency, handler, stop).await;
    }

    async fn dead_letter(&self, source: &str, body: &[u8], reason: &str) -> Result<(), BusError> {
        self.0.dead_letter(source, body, reason).await
    }
}
