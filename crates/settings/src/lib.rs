//! Settings every process of the observatory shares, declared once.
//!
//! Each service, `odto up`, the `odto` client commands and the dashboard flatten these structs
//! into their own settings, so each `ODTO_*` name and each default is written here only:
//!
//! - [`BackendSettings`]: where RabbitMQ, its management API, PostgreSQL and Redis are, the Redis
//!   key prefix and the instance id. URLs left unset mean "the local default" to a service and
//!   "embedded" to `odto up`.
//! - [`GatewayUrl`] and [`ReadModelUrl`]: where a client reaches the two HTTP APIs.
//! - [`redact_url`]: the one way a URL is shown to people (logs, `Debug`, reports).
//! - [`from_env`]: settings read from the environment alone (for a process that composes
//!   several services).
//!
//! No IO beyond reading the environment, so the dashboard can use it too.

mod api;
mod backends;
mod redact;

pub use api::{DEFAULT_GATEWAY_URL, DEFAULT_READ_MODEL_URL, GatewayUrl, ReadModelUrl, base_url};
pub use backends::{
    BackendSettings, DEFAULT_POSTGRES_URL, DEFAULT_RABBITMQ_MANAGEMENT_URL, DEFAULT_RABBITMQ_URL,
    DEFAULT_REDIS_URL,
};
pub use redact::redact_url;

/// Settings of type `T` from `ODTO_*` variables and defaults alone, ignoring the command line.
pub fn from_env<T: clap::Args>() -> Result<T, clap::Error> {
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Environment<T: clap::Args> {
        #[command(flatten)]
        settings: T,
    }
    Environment::<T>::try_parse_from(["odto"]).map(|environment| environment.settings)
}
