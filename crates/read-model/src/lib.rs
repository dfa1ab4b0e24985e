//! The read model: the read side of the observatory, one HTTP API for every UI.
//!
//! It answers from the stores the pipeline writes (jobs, attempts, events and dead letters in
//! PostgreSQL, live statistics in Redis) and from the broker's management API (queues). The
//! one thing it writes is what Alertmanager reports to its webhook: the alerts firing (in the
//! job store's database, so they survive a restart), which `GET /alerts` lists. Every listing
//! is newest first (alerts: the most severe first) and `[]` when empty; every error is the
//! shared JSON error; a backend that is down or slow gives 503 with `Retry-After` within the
//! store timeout, never a hang. Routes: see [`router`] and `/openapi.json`.
//! Its answers are the types of `odto_contracts::read_api`, which its clients read as well.
//!
//! Its shape is every service's: `config.rs`, `error.rs`, `routes.rs` (the HTTP API), domain
//! modules (`jobs`, `alerts`, `webhook`, `views`, `params`), and this file:
//! [`ReadModelBackends`], then [`Application::build`] or [`Application::build_with`],
//! [`Application::local_addr`], [`Application::run_until_stopped`].
//!
//! ```no_run
//! # async fn run(config: odto_read_model::ReadModelConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let app = odto_read_model::Application::build(config).await?;
//! println!("listening on {}", app.local_addr());
//! app.run_until_stopped(odto_http::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod alerts;
mod config;
mod error;
mod jobs;
mod metrics;
mod openapi;
mod params;
mod routes;
mod views;
mod webhook;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use odto_bus::inspect::QueueInspector;
use odto_bus::rabbitmq::management::ManagementInspector;
use odto_store::dead_letters::DeadLetterStore;
use odto_store::events::EventStore;
use odto_store::jobs::JobStore;
use odto_store::postgres::{LazyPgStore, PgSettings};
use odto_store::redis::RedisStats;
use odto_store::stats::StatsStore;
use tokio::net::TcpListener;

pub use config::{ReadModelConfig, WebhookToken};
pub use error::{ReadError, StartError};
pub use metrics::{Backend, ReadModelMetrics};
pub use routes::{AppState, THROUGHPUT_WINDOW_SECS, router};

/// The backends the read model reads from, opened. (The alerts it keeps live in the job
/// store's database: [`JobStore::alerts`].)
#[derive(Clone)]
pub struct ReadModelBackends {
    pub jobs: Arc<dyn JobStore>,
    pub events: Arc<dyn EventStore>,
    pub dead_letters: Arc<dyn DeadLetterStore>,
    pub stats: Arc<dyn StatsStore>,
    pub queues: Arc<dyn QueueInspector>,
}

impl std::fmt::Debug for ReadModelBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadModelBackends").finish_non_exhaustive()
    }
}

impl ReadModelBackends {
    /// Clients of PostgreSQL, Redis and the RabbitMQ management API. None of them needs to be
    /// up: each is reached on first use (PostgreSQL is then migrated; a first attempt starts
    /// now, in the background), and the read model serves, and reports not-ready, without them.
    pub fn open(config: &ReadModelConfig) -> Result<Self, StartError> {
        let backends = &config.backends;
        let url = backends.postgres_url();
        if !["postgres://", "postgresql://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            let message = "the PostgreSQL URL must start with postgres:// or postgresql://";
            return Err(StartError::Config(message.into()));
        }
        let settings = PgSettings {
            url: url.to_owned(),
            max_connections: config.postgres_max_connections,
            connect_timeout: config.store_timeout().min(Duration::from_secs(3)),
            statement_timeout: Some(config.store_timeout()),
        };
        let postgres = Arc::new(LazyPgStore::new(settings));
        let warm_up = postgres.clone();
        tokio::spawn(async move { JobStore::is_available(warm_up.as_ref()).await });
        let stats = RedisStats::new(backends.redis_url(), backends.redis_prefix.clone())
            .map_err(StartError::Redis)?;
        let queues =
            ManagementInspector::new(backends.rabbitmq_management_url(), backends.rabbitmq_url())
                .map_err(StartError::Broker)?;
        Ok(Self {
            jobs: postgres.clone(),
            events: postgres.clone(),
            dead_letters: postgres,
            stats: Arc::new(stats),
            queues: Arc::new(queues),
        })
    }
}

/// A read model bound to its port, ready to serve.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

impl Application {
    /// Binds the port on backends of its own ([`ReadModelBackends::open`]).
    pub async fn build(config: ReadModelConfig) -> Result<Self, StartError> {
        let backends = ReadModelBackends::open(&config)?;
        Self::build_with(config, backends).await
    }

    /// Like [`Application::build`], on backends the caller opened.
    pub async fn build_with(
        config: ReadModelConfig,
        stores: ReadModelBackends,
    ) -> Result<Self, StartError> {
        let cors = config.cors_layer()?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let state = AppState {
            stores,
            metrics: ReadModelMetrics::new(),
            store_timeout: config.store_timeout(),
            cors,
            webhook_token: config.webhook_token(),
        };
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
