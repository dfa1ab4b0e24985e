//! Metrics engine settings: every flag has an `ODTO_*` environment twin.

use std::net::SocketAddr;

use odto_bus::rabbitmq::redact_url;

#[derive(Clone, clap::Args)]
pub struct EngineConfig {
    /// Address of the health and metrics endpoints.
    #[arg(
        long = "listen",
        env = "ODTO_METRICS_ENGINE_LISTEN",
        default_value = "0.0.0.0:9102"
    )]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub backends: Backends,

    /// Event batches processed at once (each holds up to 500 events).
    #[arg(long, env = "ODTO_METRICS_ENGINE_CONCURRENCY", default_value_t = 4)]
    pub concurrency: usize,
}

/// Where the event store, job store, statistics and bus are.
#[derive(Clone, clap::Args)]
pub struct Backends {
    /// RabbitMQ URL (the bus).
    #[arg(
        long,
        env = "ODTO_RABBITMQ_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f",
        hide_env_values = true
    )]
    pub rabbitmq_url: String,

    /// PostgreSQL URL (events, jobs, dead letters); the database is created if missing.
    #[arg(
        long,
        env = "ODTO_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/odto",
        hide_env_values = true
    )]
    pub postgres_url: String,

    /// Redis URL (live statistics).
    #[arg(
        long,
        env = "ODTO_REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,

    /// Prefix of every Redis key.
    #[arg(long, env = "ODTO_REDIS_PREFIX", default_value = "odto")]
    pub redis_prefix: String,
}

impl EngineConfig {
    pub fn for_tests(
        rabbitmq_url: String,
        postgres_url: String,
        redis_url: String,
        redis_prefix: String,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            backends: Backends {
                rabbitmq_url,
                postgres_url,
                redis_url,
                redis_prefix,
            },
            concurrency: 4,
        }
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("listen", &self.listen)
            .field("backends", &self.backends)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends")
            .field("rabbitmq_url", &redact_url(&self.rabbitmq_url))
            .field("postgres_url", &redact_url(&self.postgres_url))
            .field("redis_url", &redact_url(&self.redis_url))
            .field("redis_prefix", &self.redis_prefix)
            .finish()
    }
}
