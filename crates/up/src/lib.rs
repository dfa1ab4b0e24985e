//! The all-in-one observatory (`odto up`): gateway, processor, metrics engine and read model in
//! one process, on the same ports as the distributed mode.
//!
//! Every backend is embedded (SQLite files in a data directory: nothing to install, and the data
//! survives a restart) unless its URL is configured, in which case that role goes to RabbitMQ,
//! PostgreSQL or Redis exactly as in distributed mode. The services are the distributed ones,
//! built on the chosen backends through their traits; this crate only composes them.

mod backends;
mod config;
mod data_dir;
mod observability;
mod stack;

pub use backends::Backends;
pub use config::{Durability, UpConfig, default_data_dir};
pub use observability::ObservabilityAddresses;
pub use stack::{Addresses, Stack};

/// Why the stack did not start.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error("invalid settings: {0}")]
    Config(String),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the data directory {path} is in use by another `odto up`; stop it or choose another \
         --data-dir"
    )]
    Locked { path: String },
    #[error("{0}")]
    Backend(String),
    #[error("the {name} did not start: {message}")]
    Service { name: &'static str, message: String },
}

impl UpError {
    fn service(name: &'static str, error: impl std::fmt::Display) -> Self {
        Self::Service {
            name,
            message: error.to_string(),
        }
    }
}
