//! Gateway settings: every flag has an `ODTO_*` environment twin.

use std::net::SocketAddr;
use std::time::Duration;

use odto_bus::rabbitmq::redact_url;

/// How the gateway listens, where its backends are, and its limits.
#[derive(Clone, clap::Args)]
pub struct GatewayConfig {
    /// Address the HTTP API listens on.
    #[arg(
        long = "listen",
        env = "ODTO_GATEWAY_LISTEN",
        default_value = "0.0.0.0:3000"
    )]
    pub listen: SocketAddr,

    /// RabbitMQ URL (the bus).
    #[arg(
        long,
        env = "ODTO_RABBITMQ_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f",
        hide_env_values = true
    )]
    pub rabbitmq_url: String,

    /// Redis URL (idempotency keys).
    #[arg(
        long,
        env = "ODTO_REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,

    /// PostgreSQL URL (the job store, for cancel and retry); connected on first use.
    #[arg(
        long,
        env = "ODTO_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/odto",
        hide_env_values = true
    )]
    pub postgres_url: String,

    /// Prefix of every Redis key this service writes.
    #[arg(long, env = "ODTO_REDIS_PREFIX", default_value = "odto")]
    pub redis_prefix: String,

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

    /// Public URL of the read model; the `Location` of an accepted job points there.
    #[arg(
        long,
        env = "ODTO_READ_MODEL_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub read_model_url: String,

    /// Identifies this process in event envelopes (default: host name and process id).
    #[arg(long, env = "ODTO_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

impl GatewayConfig {
    /// Defaults for the given backends, listening on an ephemeral loopback port (for tests).
    pub fn for_tests(rabbitmq_url: String, redis_url: String, redis_prefix: String) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            rabbitmq_url,
            redis_url,
            redis_prefix,
            postgres_url: "postgres://postgres@127.0.0.1:5432/odto".into(),
            idempotency_retention_secs: 86_400,
            max_body_bytes: 256 * 1024,
            publish_timeout_ms: 5_000,
            publish_channels: 2,
            read_model_url: "http://127.0.0.1:8080".into(),
            instance_id: None,
        }
    }

    pub fn idempotency_retention(&self) -> Duration {
        Duration::from_secs(self.idempotency_retention_secs)
    }

    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.publish_timeout_ms)
    }

    /// The configured instance id, or `<hostname>-<pid>`.
    pub fn instance_id(&self) -> String {
        self.instance_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "localhost".into());
            format!("{host}-{}", std::process::id())
        })
    }
}

impl std::fmt::Debug for GatewayConfig {
    // Backend URLs may carry passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("listen", &self.listen)
            .field("rabbitmq_url", &redact_url(&self.rabbitmq_url))
            .field("redis_url", &redact_url(&self.redis_url))
            .field("postgres_url", &redact_url(&self.postgres_url))
            .field("redis_prefix", &self.redis_prefix)
            .field(
                "idempotency_retention_secs",
                &self.idempotency_retention_secs,
            )
            .field("max_body_bytes", &self.max_body_bytes)
            .field("publish_timeout_ms", &self.publish_timeout_ms)
            .field("read_model_url", &self.read_model_url)
            .finish_non_exhaustive()
    }
}
