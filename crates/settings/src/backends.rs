//! Where the backends are: one declaration of every backend URL flag, its `ODTO_*` variable and
//! its default.

use std::fmt;

/// The local servers of a development machine, as the services reach them when no URL is set.
/// A macro so that the defaults can appear, spelled once, in both the constants and `--help`.
macro_rules! local_default {
    (rabbitmq) => {
        "amqp://guest:guest@127.0.0.1:5672/%2f"
    };
    (management) => {
        "http://127.0.0.1:15672"
    };
    (postgres) => {
        "postgres://postgres@127.0.0.1:5432/odto"
    };
    (redis) => {
        "redis://127.0.0.1:6379"
    };
}

pub const DEFAULT_RABBITMQ_URL: &str = local_default!(rabbitmq);
pub const DEFAULT_RABBITMQ_MANAGEMENT_URL: &str = local_default!(management);
pub const DEFAULT_POSTGRES_URL: &str = local_default!(postgres);
pub const DEFAULT_REDIS_URL: &str = local_default!(redis);

/// Where the bus, the stores and the statistics are, and who this process is.
///
/// A URL left unset is `None`: a service then uses the local default (the accessors below), and
/// `odto up` uses its embedded backend for that role.
#[derive(Clone, Default, PartialEq, Eq, clap::Args)]
pub struct BackendSettings {
    #[arg(long, env = "ODTO_RABBITMQ_URL", hide_env_values = true, help = concat!(
        "RabbitMQ URL (the bus) [default: ", local_default!(rabbitmq), "; odto up: embedded]"
    ))]
    pub rabbitmq_url: Option<String>,

    #[arg(long, env = "ODTO_RABBITMQ_MANAGEMENT_URL", hide_env_values = true, help = concat!(
        "RabbitMQ management API, for queue depths and ages [default: ", local_default!(management),
        "]"
    ))]
    pub rabbitmq_management_url: Option<String>,

    #[arg(long, env = "ODTO_POSTGRES_URL", hide_env_values = true, help = concat!(
        "PostgreSQL URL (jobs, attempts, events, dead letters; the database is created if \
         missing) [default: ", local_default!(postgres), "; odto up: embedded]"
    ))]
    pub postgres_url: Option<String>,

    #[arg(long, env = "ODTO_REDIS_URL", hide_env_values = true, help = concat!(
        "Redis URL (live statistics, idempotency keys) [default: ", local_default!(redis),
        "; odto up: embedded]"
    ))]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key.
    #[arg(long, env = "ODTO_REDIS_PREFIX", default_value = "odto")]
    pub redis_prefix: String,

    /// Identifies this process in events and attempts [default: service, host name and process id].
    #[arg(long, env = "ODTO_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

impl BackendSettings {
    /// The local defaults for every backend, or the given URLs (for tests).
    pub fn local() -> Self {
        Self {
            redis_prefix: "odto".into(),
            ..Self::default()
        }
    }

    pub fn rabbitmq_url(&self) -> &str {
        self.rabbitmq_url.as_deref().unwrap_or(DEFAULT_RABBITMQ_URL)
    }

    pub fn rabbitmq_management_url(&self) -> &str {
        self.rabbitmq_management_url
            .as_deref()
            .unwrap_or(DEFAULT_RABBITMQ_MANAGEMENT_URL)
    }

    pub fn postgres_url(&self) -> &str {
        self.postgres_url.as_deref().unwrap_or(DEFAULT_POSTGRES_URL)
    }

    pub fn redis_url(&self) -> &str {
        self.redis_url.as_deref().unwrap_or(DEFAULT_REDIS_URL)
    }

    /// The configured instance id, or `<service>-<host name>-<process id>`.
    pub fn instance_id(&self, service: &str) -> String {
        self.instance_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "localhost".into());
            format!("{service}-{host}-{}", std::process::id())
        })
    }
}

impl fmt::Debug for BackendSettings {
    // Backend URLs may carry passwords.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |url: &Option<String>| url.as_deref().map(crate::redact_url);
        f.debug_struct("BackendSettings")
            .field("rabbitmq_url", &shown(&self.rabbitmq_url))
            .field(
                "rabbitmq_management_url",
                &shown(&self.rabbitmq_management_url),
            )
            .field("postgres_url", &shown(&self.postgres_url))
            .field("redis_url", &shown(&self.redis_url))
            .field("redis_prefix", &self.redis_prefix)
            .field("instance_id", &self.instance_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_every_password() {
        let settings = BackendSettings {
            rabbitmq_url: Some("amqp://guest:amqp-secret@broker:5672/%2f".into()),
            rabbitmq_management_url: Some("http://admin:mgmt-secret@broker:15672".into()),
            postgres_url: Some("postgres://odto:pg-secret@db/odto".into()),
            redis_url: Some("redis://:redis-secret@cache:6379".into()),
            ..BackendSettings::local()
        };

        let shown = format!("{settings:?}");

        for secret in ["pg-secret", "redis-secret", "amqp-secret", "mgmt-secret"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }

    #[test]
    fn unset_urls_are_the_local_servers() {
        let settings = BackendSettings::local();

        assert_eq!(settings.rabbitmq_url(), DEFAULT_RABBITMQ_URL);
        assert_eq!(settings.postgres_url(), DEFAULT_POSTGRES_URL);
        assert_eq!(settings.redis_url(), DEFAULT_REDIS_URL);
        assert_eq!(
            settings.rabbitmq_management_url(),
            DEFAULT_RABBITMQ_MANAGEMENT_URL
        );
        assert!(settings.instance_id("gateway").starts_with("gateway-"));
    }
}
