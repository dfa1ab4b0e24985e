//! The processor: consumes `jobs.created`, runs each job's handler, records the job and every
//! attempt in the job store, and emits one event per state change. Many run side by side as
//! competing consumers; each runs many jobs at once.
//!
//! Delivery is at-least-once and processing idempotent: the job store refuses to start a job that
//! is finished, held by another live attempt, or not due yet, and the message is acknowledged
//! only after the state and its event are durable.
//!
//! Its shape is every service's: `config.rs`, `error.rs`, `consumer.rs` (what it consumes and
//! how it stops), domain modules (`worker`, `handlers`, `retry`), and this file:
//! [`ProcessorBackends`], then [`Application::build`] or [`Application::build_with`],
//! [`Application::local_addr`], [`Application::run_until_stopped`].
//!
//! ```no_run
//! # async fn run(config: odto_processor::ProcessorConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let app = odto_processor::Application::build(config).await?;
//! println!("health endpoints on {}", app.local_addr());
//! app.run_until_stopped(odto_http::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod config;
mod consumer;
mod error;
mod handlers;
mod metrics;
mod retry;
mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use odto_bus::JobBus;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_http::Readiness;
use odto_store::jobs::JobStore;
use odto_store::postgres::{PgSettings, PgStore};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::ProcessorConfig;
pub use error::StartError;
pub use handlers::{CpuWork, Handler, JobFailure, Registry, SimulatedWork};
pub use metrics::ProcessorMetrics;
pub use retry::Backoff;
pub use worker::{Worker, WorkerSettings};

/// The backends the processor works on, opened.
#[derive(Clone)]
pub struct ProcessorBackends {
    /// The intake queue it consumes, and where it publishes lifecycle events.
    pub bus: Arc<dyn JobBus>,
    /// Jobs and attempts.
    pub jobs: Arc<dyn JobStore>,
}

impl std::fmt::Debug for ProcessorBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessorBackends").finish_non_exhaustive()
    }
}

impl ProcessorBackends {
    /// Connects RabbitMQ (in the background) and PostgreSQL (now, creating the database and
    /// running migrations: a processor cannot do anything without its job store).
    pub async fn open(config: &ProcessorConfig) -> Result<Self, StartError> {
        let mut rabbit = RabbitConfig::new(config.backends.rabbitmq_url(), "odto-processor");
        rabbit.confirm_timeout = Duration::from_secs(10);
        let bus = RabbitBus::start(rabbit).map_err(StartError::Broker)?;
        let settings = PgSettings::new(config.backends.postgres_url());
        let store = PgStore::connect(&settings)
            .await
            .map_err(StartError::Store)?;
        Ok(Self {
            bus: Arc::new(bus),
            jobs: Arc::new(store),
        })
    }
}

/// A processor bound to its health port, ready to consume.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    bus: Arc<dyn JobBus>,
    /// Whether this application opened the bus (and so closes it).
    owns_bus: bool,
    worker: Arc<Worker>,
    concurrency: usize,
    grace: Duration,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds the health port on backends of its own ([`ProcessorBackends::open`]), with the
    /// built-in handlers.
    pub async fn build(config: ProcessorConfig) -> Result<Self, StartError> {
        let backends = ProcessorBackends::open(&config).await?;
        let mut app = Self::build_with(config, backends).await?;
        app.owns_bus = true;
        Ok(app)
    }

    /// Like [`Application::build`], on backends the caller opened (and closes).
    pub async fn build_with(
        config: ProcessorConfig,
        backends: ProcessorBackends,
    ) -> Result<Self, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let metrics = ProcessorMetrics::new();
        let settings = WorkerSettings {
            instance_id: config.backends.instance_id("processor"),
            job_timeout: config.job_timeout(),
            lease_margin: Duration::from_millis(config.lease_margin_ms),
            backoff: Backoff {
                base: Duration::from_millis(config.retry_base_ms),
                max: Duration::from_millis(config.retry_max_ms),
            },
        };
        let readiness = Arc::new(Dependencies {
            backends: backends.clone(),
            metrics: metrics.clone(),
        });
        let router = odto_http::probe_routes("processor", metrics.service.clone(), readiness);
        let handlers = Registry::with_builtins(Duration::from_millis(config.default_duration_ms));
        let ProcessorBackends { bus, jobs } = backends;
        let worker = Arc::new(Worker::new(bus.clone(), jobs, handlers, settings, metrics));
        Ok(Self {
            listener,
            router,
            bus,
            owns_bus: false,
            worker,
            concurrency: config.concurrency.max(1),
            grace: Duration::from_millis(config.shutdown_grace_ms),
        })
    }

    /// The health port actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Consumes until `shutdown`, then lets the jobs in progress finish for up to the grace
    /// period (see [`consumer`]), and closes the bus if it opened it.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let server = odto_http::spawn_server(self.listener, self.router, stop.clone());
        let bus = self.bus.as_ref();
        consumer::consume(
            bus,
            self.worker,
            self.concurrency,
            self.grace,
            shutdown,
            stop,
        )
        .await;
        if self.owns_bus {
            self.bus.close().await;
        }
        server.await.map_err(std::io::Error::other)?
    }
}

/// Ready while the broker is connected and the job store answers.
struct Dependencies {
    backends: ProcessorBackends,
    metrics: ProcessorMetrics,
}

#[async_trait]
impl Readiness for Dependencies {
    async fn check(&self) -> Vec<(&'static str, bool)> {
        let broker = self.backends.bus.is_connected();
        let store = self.backends.jobs.is_available().await;
        self.metrics.broker_up.set(i64::from(broker));
        self.metrics.store_up.set(i64::from(store));
        vec![("broker", broker), ("postgres", store)]
    }
}
