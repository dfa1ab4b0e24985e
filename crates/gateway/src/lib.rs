//! The gateway: the write side of the observatory.
//!
//! It accepts jobs over HTTP (`POST /jobs`, full or short form, and batches), validates them
//! against the contracts, and answers 202 only once the job is durable on the message broker
//! (publisher-confirmed). While the broker is unreachable it answers 503 with `Retry-After` at
//! once and reconnects in the background. Idempotency keys make client retries safe.
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
use odto_store::redis::RedisIdempotency;
use tokio::net::TcpListener;

pub use actions::{Actions, JobStoreSource};
pub use config::GatewayConfig;
pub use error::{StartError, SubmitError};
pub use intake::{Intake, Outcome};
pub use metrics::GatewayMetrics;
pub use routes::{AppState, MAX_BATCH, router};

/// A gateway bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    bus: Arc<dyn JobBus>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds the port and starts connecting to RabbitMQ and Redis in the background: the
    /// gateway serves (and reports not-ready) even while they are still unreachable.
    pub async fn build(config: GatewayConfig) -> Result<Self, StartError> {
        let mut rabbit = RabbitConfig::new(config.rabbitmq_url.clone(), "odto-gateway");
        rabbit.channels = config.publish_channels.max(1);
        rabbit.confirm_timeout = config.publish_timeout();
        let bus: Arc<dyn JobBus> = Arc::new(RabbitBus::start(rabbit).map_err(StartError::Broker)?);
        let keys = RedisIdempotency::new(&config.redis_url, config.redis_prefix.clone())?;
        let jobs = JobStoreSource::Connect(odto_store::postgres::PgSettings::new(
            config.postgres_url.clone(),
        ));
        Self::build_with(config, bus, Arc::new(keys), jobs).await
    }

    /// Like [`Application::build`], on backends of the caller's choice (e.g. embedded ones).
    pub async fn build_with(
        config: GatewayConfig,
        bus: Arc<dyn JobBus>,
        keys: Arc<dyn IdempotencyStore>,
        jobs: JobStoreSource,
    ) -> Result<Self, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let metrics = GatewayMetrics::new();
        let producer = Producer::new("gateway", config.instance_id(), env!("CARGO_PKG_VERSION"));
        let intake = Intake::new(
            bus.clone(),
            keys,
            producer,
            config.idempotency_retention(),
            metrics.clone(),
        );
        let state = AppState {
            intake,
            actions: Arc::new(Actions::new(jobs)),
            metrics,
            max_body_bytes: config.max_body_bytes,
            job_location_base: config.read_model_url.trim_end_matches('/').to_owned(),
        };
        Ok(Self {
            listener,
            router: router(state),
            bus,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the bus.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.bus.close().await;
        Ok(())
    }
}
