//! Gateway settings: every flag has an `ODTO_*` environment twin.

use std::net::SocketAddr;
use std::time::Duration;

use odto_settings::{BackendSettings, ReadModelUrl};

/// How the gateway listens, where its backends are, and its limits.
#[derive(Clone, Debug, clap::Args)]
pub struct GatewayConfig {
    /// Address the HTTP API listens on.
    #[arg(
        long = "listen",
        env = "ODTO_GATEWAY_LISTEN",
        default_value = "0.0.0.0:3000"
    )]
    pub listen: SocketAddr,

    /// RabbitMQ (the bus), Redis (idempotency keys), PostgreSQL (the job store, for cancel
    /// and retry; connected on first use), the Redis key prefix and the instance id.
    #[command(flatten)]
    pub backends: BackendSettings,

    /// How long an idempotency key is remembered, in seconds.
    #[arg(
        long,
        env = "ODTO_IDEMPOTENCY_RETENTION_SECS",
        default_value_t = 86_400
    )]
    pub idempotency_retention_secs: u64,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "ODTO_GATEWAY_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// Longest wait for the broker to confirm a job before answering 503, in milliseconds.
    #[arg(long, env = "ODTO_PUBLISH_TIMEOUT_MS", default_value_t = 5_000)]
    pub publish_timeout_ms: u64,

    /// Confirm-mode broker channels that publishes are spread over.
    #[arg(long, env = "ODTO_GATEWAY_PUBLISH_CHANNELS", default_value_t = 2)]
    pub publish_channels: usize,

    /// The read model, where the `Location` of an accepted job points.
    #[command(flatten)]
    pub read_model: ReadModelUrl,
}

impl GatewayConfig {
    /// Defaults for the given backends, listening on an ephemeral loopback port (for tests).
    pub fn for_tests(rabbitmq_url: String, redis_url: String, redis_prefix: String) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            backends: BackendSettings {
                rabbitmq_url: Some(rabbitmq_url),
                redis_url: Some(redis_url),
                redis_prefix,
                ..BackendSettings::local()
            },
            idempotency_retention_secs: 86_400,
            max_body_bytes: 256 * 1024,
            publish_timeout_ms: 5_000,
            publish_channels: 2,
            read_model: ReadModelUrl::new(odto_settings::DEFAULT_READ_MODEL_URL),
        }
    }

    pub fn idempotency_retention(&self) -> Duration {
        Duration::from_secs(self.idempotency_retention_secs)
    }

    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.publish_timeout_ms)
    }
}
