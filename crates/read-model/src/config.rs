//! Read-model settings: every flag has an `ODTO_*` environment twin.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use odto_contracts::read_api::Alert;
use odto_settings::BackendSettings;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::error::StartError;

/// How the read model listens, where its backends are, and who may call it from a browser.
#[derive(Clone, Debug, clap::Args)]
pub struct ReadModelConfig {
    /// Address the HTTP API listens on.
    #[arg(
        long = "listen",
        env = "ODTO_READ_MODEL_LISTEN",
        default_value = "0.0.0.0:8080"
    )]
    pub listen: SocketAddr,

    /// PostgreSQL (jobs, attempts, events, dead letters), Redis (live statistics) and its key
    /// prefix, RabbitMQ (the vhost whose queues `/queues` shows, and the management API's
    /// credentials) and the management API (queue depths, consumers, ages).
    #[command(flatten)]
    pub backends: BackendSettings,

    /// Most PostgreSQL connections this service opens.
    #[arg(
        long,
        env = "ODTO_READ_MODEL_POSTGRES_CONNECTIONS",
        default_value_t = 8
    )]
    pub postgres_max_connections: u32,

    /// Origins a browser may call the API from, comma-separated; `*` allows any.
    #[arg(
        long,
        env = "ODTO_CORS_ORIGINS",
        default_value = "*",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Longest wait for a backend before answering 503, in milliseconds.
    #[arg(
        long,
        env = "ODTO_READ_MODEL_STORE_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub store_timeout_ms: u64,

    /// The secret Alertmanager must send to `POST /alerts/webhook` (`Authorization: Bearer
    /// <token>`, its `http_config.authorization.credentials`). Unset: the webhook is open.
    #[arg(long, env = "ODTO_ALERTS_WEBHOOK_TOKEN", hide_env_values = true)]
    pub alerts_webhook_token: Option<WebhookToken>,
}

/// The webhook's secret: compared in constant time, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookToken(String);

impl WebhookToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// Whether `given` is the token. The time taken depends on the lengths only, not on where
    /// the two first differ, so the token cannot be guessed byte by byte.
    pub fn matches(&self, given: &str) -> bool {
        let (expected, given) = (self.0.as_bytes(), given.as_bytes());
        let differ = expected
            .iter()
            .zip(given)
            .fold(0u8, |differ, (a, b)| differ | (a ^ b));
        expected.len() == given.len() && differ == 0
    }
}

impl std::fmt::Debug for WebhookToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookToken(***)")
    }
}

impl std::str::FromStr for WebhookToken {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl ReadModelConfig {
    /// Defaults for the given backends, listening on an ephemeral loopback port (for tests).
    pub fn for_tests(
        postgres_url: String,
        redis_url: String,
        redis_prefix: String,
        rabbitmq_url: String,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            backends: BackendSettings {
                postgres_url: Some(postgres_url),
                redis_url: Some(redis_url),
                redis_prefix,
                rabbitmq_url: Some(rabbitmq_url),
                ..BackendSettings::local()
            },
            postgres_max_connections: 4,
            cors_origins: vec!["*".into()],
            store_timeout_ms: 5_000,
            alerts_webhook_token: None,
        }
    }

    /// The webhook's token, if one is set (an empty one counts as unset).
    pub fn webhook_token(&self) -> Option<WebhookToken> {
        self.alerts_webhook_token
            .clone()
            .filter(|token| !token.0.is_empty())
    }

    pub fn store_timeout(&self) -> Duration {
        Duration::from_millis(self.store_timeout_ms)
    }

    /// CORS for the web UI: read-only methods from the configured origins.
    pub fn cors_layer(&self) -> Result<CorsLayer, StartError> {
        let origins: Vec<&str> = self
            .cors_origins
            .iter()
            .map(|origin| origin.trim())
            .filter(|origin| !origin.is_empty())
            .collect();
        let allow = if origins.is_empty() || origins.contains(&"*") {
            AllowOrigin::any()
        } else {
            let parsed = origins
                .iter()
                .map(|origin| {
                    HeaderValue::from_str(origin)
                        .map_err(|_| StartError::Config(format!("invalid CORS origin {origin:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            AllowOrigin::list(parsed)
        };
        Ok(CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
            .allow_headers(Any)
            .expose_headers([
                header::RETRY_AFTER,
                HeaderName::from_static(Alert::SOURCE_HEARD_AT_HEADER),
            ])
            .max_age(Duration::from_secs(600)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_every_password() {
        let mut config = ReadModelConfig::for_tests(
            "postgres://odto:pg-secret@db/odto".into(),
            "redis://:redis-secret@cache:6379".into(),
            "odto".into(),
            "amqp://guest:amqp-secret@broker:5672/%2f".into(),
        );
        config.backends.rabbitmq_management_url =
            Some("http://admin:mgmt-secret@broker:15672".into());
        config.alerts_webhook_token = Some(WebhookToken::new("hook-secret"));

        let shown = format!("{config:?}");

        for secret in [
            "pg-secret",
            "redis-secret",
            "amqp-secret",
            "mgmt-secret",
            "hook-secret",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }

    #[test]
    fn the_webhook_token_matches_only_itself() {
        let token = WebhookToken::new("s3cret");

        assert!(token.matches("s3cret"));
        for wrong in ["", "s3cre", "s3cret!", "S3cret", "x3cret"] {
            assert!(!token.matches(wrong), "{wrong:?} accepted");
        }
    }

    #[test]
    fn an_empty_webhook_token_leaves_the_webhook_open() {
        let mut config =
            ReadModelConfig::for_tests(String::new(), String::new(), String::new(), String::new());
        config.alerts_webhook_token = Some(WebhookToken::new(""));

        assert_eq!(config.webhook_token(), None);
    }

    #[test]
    fn a_malformed_cors_origin_is_a_start_error() {
        let mut config =
            ReadModelConfig::for_tests(String::new(), String::new(), String::new(), String::new());
        config.cors_origins = vec!["http://ok.example".into(), "bad\norigin".into()];

        assert!(matches!(config.cors_layer(), Err(StartError::Config(_))));
    }
}
