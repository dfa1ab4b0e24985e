//! The gateway: the write side of the observatory.
//!
//! It accepts jobs over HTTP (`POST /jobs`, full or short form, and batches), validates them
//! against the contracts, and answers 202 only once the job is durable on the message broker
//! (publisher-confirmed). While the broker is unreachable it answers 503 with `Retry-After` at
//! once and reconnects in the background. Idempotency keys make client retries safe.
//!
//! Its shape is every service's: `config.rs` (settings), `error.rs` (every failure and its
//! answer), `routes.rs` (the HTTP API), domain modules (`intake`, `actions`, `request`), and
//! this file: [`GatewayBackends`], then [`Application::build`] or [`Application::build_with`],
//! [`Application::local_addr`], [`Application::run_until_stopped`].
//!
//! ```no_run
//! # async fn run(config: odto_gateway::GatewayConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let app = odto_gateway::Application::build(config).await?;
//! println!("listening on {}", app.local_addr());
//! app.run_until_stopped(odto_http::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod actions;
mod config;
mod correlation;
mod error;
mod intake;
mod metrics;
mod openapi;
mod request;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use odto_bus::JobBus;
use odto_bus::rabbitmq::{RabbitBus, RabbitConfig};
use odto_contracts::Producer;
use odto_store::idempotency::IdempotencyStore;
use odto_store::jobs::JobStore;
use odto_store::postgres::{LazyPgStore, PgSettings};
use odto_store::redis::RedisIdempotency;
use tokio::net::TcpListener;

pub use config::GatewayConfig;
pub use error::{GatewayError, StartError};
pub use intake::{Intake, Submitted};
pub use metrics::GatewayMetrics;
pub use routes::{AppState, MAX_BATCH, router};

/// The backends the gateway works on, opened.
#[derive(Clone)]
pub struct GatewayBackends {
    /// Where accepted jobs are made durable, and actions announced.
    pub bus: Arc<dyn JobBus>,
    /// Idempotency keys.
    pub keys: Arc<dyn IdempotencyStore>,
    /// The job store, for cancel and retry.
    pub jobs: Arc<dyn JobStore>,
}

impl std::fmt::Debug for GatewayBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayBackends").finish_non_exhaustive()
    }
}

impl GatewayBackends {
    /// RabbitMQ, Redis and PostgreSQL clients that connect in the background or on first use:
    /// none needs to be up, and submitting never depends on PostgreSQL.
    pub fn open(config: &GatewayConfig) -> Result<Self, StartError> {
        let backends = &config.backends;
        let mut rabbit = RabbitConfig::new(backends.rabbitmq_url(), "odto-gateway");
        rabbit.channels = config.publish_channels.max(1);
        rabbit.confirm_timeout = config.publish_timeout();
        let bus = RabbitBus::start(rabbit).map_err(StartError::Broker)?;
        let keys = RedisIdempotency::new(backends.redis_url(), backends.redis_prefix.clone())?;
        let jobs = LazyPgStore::new(PgSettings::new(backends.postgres_url()));
        Ok(Self {
            bus: Arc::new(bus),
            keys: Arc::new(keys),
            jobs: Arc::new(jobs),
        })
    }
}

/// A gateway bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// The bus, if this application opened it (and so closes it).
    owned_bus: Option<Arc<dyn JobBus>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds the port on backends of its own ([`GatewayBackends::open`]): the gateway serves
    /// (and reports not-ready) even while they are still unreachable.
    pub async fn build(config: GatewayConfig) -> Result<Self, StartError> {
        let backends = GatewayBackends::open(&config)?;
        let bus = backends.bus.clone();
        let mut app = Self::build_with(config, backends).await?;
        app.owned_bus = Some(bus);
        Ok(app)
    }

    /// Like [`Application::build`], on backends the caller opened (and closes).
    pub async fn build_with(
        config: GatewayConfig,
        backends: GatewayBackends,
    ) -> Result<Self, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let metrics = GatewayMetrics::new();
        let instance = config.backends.instance_id("gateway");
        let producer = Producer::new("gateway", instance, env!("CARGO_PKG_VERSION"));
        let intake = Intake::new(
            backends.bus,
            backends.keys,
            producer,
            config.idempotency_retention(),
            metrics.clone(),
        );
        let state = AppState {
            intake,
            jobs: backends.jobs,
            metrics,
            max_body_bytes: config.max_body_bytes,
            job_location_base: config.read_model.url.clone(),
        };
        Ok(Self {
            listener,
            router: router(state),
            owned_bus: None,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the bus
    /// if it opened it.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        if let Some(bus) = self.owned_bus {
            bus.close().await;
        }
        Ok(())
    }
}
