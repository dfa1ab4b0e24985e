//! Processor settings: every flag has an `ODTO_*` environment twin.

use std::net::SocketAddr;
use std::time::Duration;

use odto_settings::BackendSettings;

#[derive(Clone, Debug, clap::Args)]
pub struct ProcessorConfig {
    /// Address of the health and metrics endpoints.
    #[arg(
        long = "listen",
        env = "ODTO_PROCESSOR_LISTEN",
        default_value = "0.0.0.0:9101"
    )]
    pub listen: SocketAddr,

    /// RabbitMQ (the bus), PostgreSQL (jobs and attempts; the database is created if
    /// missing) and the instance id, which names this processor in attempts and events.
    #[command(flatten)]
    pub backends: BackendSettings,

    /// Jobs run at once by this process (also the broker prefetch). Each job waits on a few
    /// durable writes in turn, so throughput is about this many jobs per write latency.
    #[arg(long, env = "ODTO_PROCESSOR_CONCURRENCY", default_value_t = 512)]
    pub concurrency: usize,

    /// How long a job of a type without a handler takes when its payload has no `durationMs`.
    #[arg(long, env = "ODTO_PROCESSOR_DEFAULT_DURATION_MS", default_value_t = 0)]
    pub default_duration_ms: u64,

    /// Per-attempt timeout; an attempt running longer fails (and may be retried).
    #[arg(long, env = "ODTO_JOB_TIMEOUT_MS", default_value_t = 60_000)]
    pub job_timeout_ms: u64,

    /// How long past the job timeout an attempt's lease lasts; after that another processor may
    /// take the job over (a processor that died mid-job loses nothing).
    #[arg(long, env = "ODTO_LEASE_MARGIN_MS", default_value_t = 10_000)]
    pub lease_margin_ms: u64,

    /// Backoff before the first retry; it doubles with each attempt (with jitter).
    #[arg(long, env = "ODTO_RETRY_BASE_MS", default_value_t = 1_000)]
    pub retry_base_ms: u64,

    /// Longest backoff between retries.
    #[arg(long, env = "ODTO_RETRY_MAX_MS", default_value_t = 60_000)]
    pub retry_max_ms: u64,

    /// On shutdown, how long in-flight jobs may run on before they are returned to the queue.
    #[arg(long, env = "ODTO_SHUTDOWN_GRACE_MS", default_value_t = 30_000)]
    pub shutdown_grace_ms: u64,
}

impl ProcessorConfig {
    /// Defaults for the given backends with an ephemeral loopback port and short delays (tests).
    pub fn for_tests(rabbitmq_url: String, postgres_url: String) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            backends: BackendSettings {
                rabbitmq_url: Some(rabbitmq_url),
                postgres_url: Some(postgres_url),
                ..BackendSettings::local()
            },
            concurrency: 32,
            default_duration_ms: 0,
            job_timeout_ms: 10_000,
            lease_margin_ms: 1_000,
            retry_base_ms: 50,
            retry_max_ms: 500,
            shutdown_grace_ms: 5_000,
        }
    }

    pub fn job_timeout(&self) -> Duration {
        Duration::from_millis(self.job_timeout_ms)
    }
}
