//! The metrics engine: consumes every lifecycle event (as event batches), stores each once in the
//! event store with all its envelope fields, records the jobs they create, and keeps the live
//! statistics, exactly once per job state change. It also records every dead letter, so the read
//! model can list them, and exports the statistics and the conservation check as metrics.
//!
//! Its shape is every service's: `config.rs`, `error.rs`, `consumer.rs` (what it consumes),
//! domain modules (`events`, `dead_letters`, `reconcile`), and this file: [`EngineBackends`],
//! then [`Application::build`] or [`Application::build_with`], [`Application::local_addr`],
//! [`Application::run_until_stopped`].
//!
//! ```no_run
//! # async fn run(config: odto_metrics_engine::EngineConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let app = odto_metrics_engine::Application::build(config).await?;
//! println!("health endpoints on {}", app.local_addr());
//! app.run_until_stopped(odto_http::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod config;
mod consumer;
mod dead_letters;
mod error;
mod events;
mod metrics;
mod reconcile;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use odto_bus::JobBus;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_http::Readiness;
use odto_settings::BackendSettings;
use odto_store::dead_letters::DeadLetterStore;
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::RedisStats;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::EngineConfig;
pub use dead_letters::DeadLetterRecorder;
pub use error::StartError;
pub use events::{EventSinks, EventsHandler, record};
pub use metrics::EngineMetrics;
pub use reconcile::reconcile;

/// The backends the metrics engine works on, opened.
#[derive(Clone)]
pub struct EngineBackends {
    /// The queues it consumes (events, dead letters), and where it dead-letters bad events.
    pub bus: Arc<dyn JobBus>,
    /// Where event batches are recorded: events, the jobs they create, the statistics.
    pub sinks: EventSinks,
    pub dead_letters: Arc<dyn DeadLetterStore>,
}

impl std::fmt::Debug for EngineBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBackends").finish_non_exhaustive()
    }
}

impl EngineBackends {
    /// Connects RabbitMQ (in the background), PostgreSQL (now, creating the database and
    /// running migrations) and Redis.
    pub async fn open(config: &EngineConfig) -> Result<Self, StartError> {
        let rabbit = RabbitConfig::new(config.backends.rabbitmq_url(), "odto-metrics-engine");
        let bus = RabbitBus::start(rabbit).map_err(StartError::Broker)?;
        let (store, stats) = stores(&config.backends).await?;
        let store = Arc::new(store);
        let sinks = EventSinks {
            events: store.clone(),
            jobs: store.clone(),
            stats: Arc::new(stats),
        };
        Ok(Self {
            bus: Arc::new(bus),
            sinks,
            dead_letters: store,
        })
    }
}

/// The stores of the real backends: PostgreSQL (events, jobs, dead letters) and Redis (the
/// statistics).
pub async fn stores(settings: &BackendSettings) -> Result<(PgStore, RedisStats), StartError> {
    let store = PgStore::connect(&PgSettings::new(settings.postgres_url()))
        .await
        .map_err(StartError::Postgres)?;
    let stats = RedisStats::new(settings.redis_url(), settings.redis_prefix.clone())
        .map_err(StartError::Redis)?;
    Ok((store, stats))
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    bus: Arc<dyn JobBus>,
    /// Whether this application opened the bus (and so closes it).
    owns_bus: bool,
    events: Arc<EventsHandler>,
    dead_letters: Arc<DeadLetterRecorder>,
    concurrency: usize,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds the health port on backends of its own ([`EngineBackends::open`]).
    pub async fn build(config: EngineConfig) -> Result<Self, StartError> {
        let backends = EngineBackends::open(&config).await?;
        let mut app = Self::build_with(config, backends).await?;
        app.owns_bus = true;
        Ok(app)
    }

    /// Like [`Application::build`], on backends the caller opened (and closes).
    pub async fn build_with(
        config: EngineConfig,
        backends: EngineBackends,
    ) -> Result<Self, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let metrics = EngineMetrics::new();
        let readiness = Arc::new(Dependencies {
            sinks: backends.sinks.clone(),
            bus: backends.bus.clone(),
            metrics: metrics.clone(),
        });
        let router = odto_http::probe_routes("metrics-engine", metrics.service.clone(), readiness);
        let events = Arc::new(EventsHandler {
            bus: backends.bus.clone(),
            sinks: backends.sinks,
            metrics: metrics.clone(),
        });
        let dead_letters = Arc::new(DeadLetterRecorder {
            store: backends.dead_letters,
            metrics,
        });
        Ok(Self {
            listener,
            router,
            bus: backends.bus,
            owns_bus: false,
            events,
            dead_letters,
            concurrency: config.concurrency.max(1),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Consumes events and dead letters until `shutdown`, then finishes the batches in progress
    /// and closes the bus if it opened it.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let server = odto_http::spawn_server(self.listener, self.router, stop.clone());
        let (events, letters) = (self.events, self.dead_letters);
        let bus = self.bus.as_ref();
        consumer::consume(bus, events, letters, self.concurrency, shutdown, stop).await;
        if self.owns_bus {
            self.bus.close().await;
        }
        server.await.map_err(std::io::Error::other)?
    }
}

/// Ready while the broker is connected and PostgreSQL and Redis answer.
struct Dependencies {
    bus: Arc<dyn JobBus>,
    sinks: EventSinks,
    metrics: EngineMetrics,
}

#[async_trait]
impl Readiness for Dependencies {
    async fn check(&self) -> Vec<(&'static str, bool)> {
        let broker = self.bus.is_connected();
        let postgres = self.sinks.jobs.is_available().await;
        let redis = self.sinks.stats.is_available().await;
        self.metrics.broker_up.set(i64::from(broker));
        self.metrics.store_up.set(i64::from(postgres && redis));
        vec![("broker", broker), ("postgres", postgres), ("redis", redis)]
    }

    /// The `*_up` gauges, and the statistics as of this scrape.
    async fn refresh_metrics(&self) {
        self.check().await;
        if let Ok(stats) = self.sinks.stats.snapshot().await {
            self.metrics.show(&stats);
        }
    }
}
