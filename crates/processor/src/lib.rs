//! The processor: consumes `jobs.created`, runs each job's handler, records the job and every
//! attempt in the job store, and emits one event per state change. Many run side by side as
//! competing consumers; each runs many jobs at once.
//!
//! Delivery is at-least-once and processing idempotent: the job store refuses to start a job that
//! is finished, held by another live attempt, or not due yet, and the message is acknowledged
//! only after the state and its event are durable.

mod config;
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
use odto_bus::topology::JOBS_QUEUE;
use odto_http::Readiness;
use odto_store::jobs::JobStore;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

pub use config::ProcessorConfig;
pub use handlers::{CpuWork, Handler, JobFailure, Registry, SimulatedWork};
pub use metrics::ProcessorMetrics;
pub use retry::Backoff;
pub use worker::{Worker, WorkerSettings};

/// Why the processor could not start.
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

/// A processor bound to its health port, ready to consume.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    bus: Arc<dyn JobBus>,
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
    /// Connects RabbitMQ (in the background) and PostgreSQL (creating the database and running
    /// migrations), with the built-in handlers.
    pub async fn build(config: ProcessorConfig) -> Result<Self, StartError> {
        let mut rabbit = RabbitConfig::new(config.rabbitmq_url.clone(), "odto-processor");
        rabbit.confirm_timeout = Duration::from_secs(10);
        let bus: Arc<dyn JobBus> = Arc::new(RabbitBus::start(rabbit).map_err(StartError::Broker)?);
        let settings = odto_store::postgres::PgSettings::new(config.postgres_url.clone());
        let store = odto_store::postgres::PgStore::connect(&settings)
            .await
            .map_err(StartError::Store)?;
        let handlers = Registry::with_builtins(Duration::from_millis(config.default_duration_ms));
        Self::build_with(config, bus, Arc::new(store), handlers).await
    }

    /// Like [`Application::build`], on backends and handlers of the caller's choice.
    pub async fn build_with(
        config: ProcessorConfig,
        bus: Arc<dyn JobBus>,
        jobs: Arc<dyn JobStore>,
        handlers: Registry,
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
            instance_id: config.instance_id(),
            job_timeout: config.job_timeout(),
            lease_margin: Duration::from_millis(config.lease_margin_ms),
            backoff: Backoff {
                base: Duration::from_millis(config.retry_base_ms),
                max: Duration::from_millis(config.retry_max_ms),
            },
        };
        let readiness = Arc::new(Dependencies {
            bus: bus.clone(),
            jobs: jobs.clone(),
            metrics: metrics.clone(),
        });
        let router = odto_http::probe_routes("processor", metrics.service.clone(), readiness);
        let worker = Arc::new(Worker::new(bus.clone(), jobs, handlers, settings, metrics));
        let grace = Duration::from_millis(config.shutdown_grace_ms);
        Ok(Self {
            listener,
            router,
            bus,
            worker,
            concurrency: config.concurrency.max(1),
            grace,
        })
    }

    /// The health port actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Consumes until `shutdown`, then stops taking jobs and lets in-flight ones finish for up to
    /// the grace period; jobs still running then go back to the queue when the connection closes.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let server = odto_http::spawn_server(self.listener, self.router, stop.clone());
        let consuming = self.bus.consume(
            JOBS_QUEUE,
            self.concurrency,
            self.worker.clone(),
            stop.clone(),
        );
        tokio::pin!(consuming);
        tokio::select! {
            () = &mut consuming => {}
            () = shutdown => {
                info!("shutting down: finishing the jobs in progress");
                stop.cancel();
                if tokio::time::timeout(self.grace, &mut consuming).await.is_err() {
                    warn!("grace period over; unfinished jobs return to the queue");
                }
            }
        }
        stop.cancel();
        self.bus.close().await;
        server.await.map_err(std::io::Error::other)?
    }
}

struct Dependencies {
    bus: Arc<dyn JobBus>,
    jobs: Arc<dyn JobStore>,
    metrics: ProcessorMetrics,
}

#[async_trait]
impl Readiness for Dependencies {
    async fn check(&self) -> Vec<(&'static str, bool)> {
        let broker = self.bus.is_connected();
        let store = self.jobs.is_available().await;
        self.metrics.broker_up.set(i64::from(broker));
        self.metrics.store_up.set(i64::from(store));
        vec![("broker", broker), ("postgres", store)]
    }
}
