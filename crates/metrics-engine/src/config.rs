//! Metrics engine settings: every flag has an `ODTO_*` environment twin.

use std::net::SocketAddr;

use odto_settings::BackendSettings;

#[derive(Clone, Debug, clap::Args)]
pub struct EngineConfig {
    /// Address of the health and metrics endpoints.
    #[arg(
        long = "listen",
        env = "ODTO_METRICS_ENGINE_LISTEN",
        default_value = "0.0.0.0:9102"
    )]
    pub listen: SocketAddr,

    /// RabbitMQ (the bus), PostgreSQL (events, jobs, dead letters; the database is created
    /// if missing), Redis (live statistics) and its key prefix.
    #[command(flatten)]
    pub backends: BackendSettings,

    /// Event batches processed at once (each holds up to 500 events).
    #[arg(long, env = "ODTO_METRICS_ENGINE_CONCURRENCY", default_value_t = 4)]
    pub concurrency: usize,
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
            backends: BackendSettings {
                rabbitmq_url: Some(rabbitmq_url),
                postgres_url: Some(postgres_url),
                redis_url: Some(redis_url),
                redis_prefix,
                ..BackendSettings::local()
            },
            concurrency: 4,
        }
    }
}
