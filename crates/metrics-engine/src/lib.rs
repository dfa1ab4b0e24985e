//! The metrics engine: consumes every lifecycle event (as event batches), stores each once in the
//! event store with all its envelope fields, records the jobs they create, and keeps the live
//! statistics, exactly once per job state change. It also records every dead letter, so the read
//! model can list them, and exports the statistics and the conservation check as metrics.

mod config;
mod dead_letters;
mod events;
mod metrics;
mod reconcile;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use odto_bus::JobBus;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_bus::topology::{DEAD_LETTER_QUEUE, METRICS_QUEUE};
use odto_http::Readiness;
use odto_store::dead_letters::DeadLetterStore;
use odto_store::postgres::{PgSettings, PgStore};
use odto_store::redis::RedisStats;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Backends, EngineConfig};
pub use dead_letters::DeadLetterRecorder;
pub use events::{EventSinks, EventsHandler, record};
pub use metrics::EngineMetrics;
pub use reconcile::reconcile;

/// How often the statistics gauges are refreshed.
const GAUGE_REFRESH: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Broker(odto_bus::BusError),
    #[error(transparent)]
    Store(odto_store::StoreError),
}

/// The stores of the real backends: PostgreSQL for events, jobs and dead letters, Redis for the
/// statistics.
pub async fn connect_stores(
    backends: &Backends,
) -> Result<(EventSinks, Arc<dyn DeadLetterStore>), StartError> {
    let store = PgStore::connect(&PgSettings::new(backends.postgres_url.clone()))
        .await
        .map_err(StartError::Store)?;
    let stats = RedisStats::new(&backends.redis_url, backends.redis_prefix.clone())
        .map_err(StartError::Store)?;
    let store = Arc::new(store);
    let sinks = EventSinks {
        events: store.clone(),
        jobs: store.clone(),
        stats: Arc::new(stats),
    };
    Ok((sinks, store))
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    bus: Arc<dyn JobBus>,
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
    pub async fn build(config: EngineConfig) -> Result<Self, StartError> {
        let rabbit = RabbitConfig::new(config.backends.rabbitmq_url.clone(), "odto-metrics-engine");
        let bus: Arc<dyn JobBus> = Arc::new(RabbitBus::start(rabbit).map_err(StartError::Broker)?);
        let (sinks, dead_letters) = connect_stores(&config.backends).await?;
        Self::build_with(config, bus, sinks, dead_letters).await
    }

    pub async fn build_with(
        config: EngineConfig,
        bus: Arc<dyn JobBus>,
        sinks: EventSinks,
        dead_letters: Arc<dyn DeadLetterStore>,
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
            bus: bus.clone(),
            sinks: sinks.clone(),
            metrics: metrics.clone(),
        });
        let router = odto_http::probe_routes("metrics-engine", metrics.service.clone(), readiness);
        let events = Arc::new(EventsHandler {
            bus: bus.clone(),
            sinks,
            metrics: metrics.clone(),
        });
        let dead_letters = Arc::new(DeadLetterRecorder {
            store: dead_letters,
            metrics,
        });
        Ok(Self {
            listener,
            router,
            bus,
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

    /// Consumes events and dead letters until `shutdown`, then finishes the batches in progress.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let server = odto_http::spawn_server(self.listener, self.router, stop.clone());
        let gauges = tokio::spawn(refresh_gauges(self.events.clone(), stop.clone()));
        let events = self
            .bus
            .consume(METRICS_QUEUE, self.concurrency, self.events, stop.clone());
        let letters = self
            .bus
            .consume(DEAD_LETTER_QUEUE, 4, self.dead_letters, stop.clone());
        let stopper = async {
            shutdown.await;
            stop.cancel();
        };
        tokio::join!(events, letters, stopper);
        gauges.abort();
        self.bus.close().await;
        server.await.map_err(std::io::Error::other)?
    }
}

async fn refresh_gauges(handler: Arc<EventsHandler>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(GAUGE_REFRESH);
    while !stop.is_cancelled() {
        tick.tick().await;
        if let Ok(stats) = handler.sinks.stats.snapshot().await {
            handler.metrics.show(&stats);
        }
    }
}

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
}
