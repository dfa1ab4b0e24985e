//! The Redis backend: [`RedisIdempotency`] (idempotency keys) and [`RedisStats`] (live
//! statistics), each under its own part of a key prefix (`<prefix>:idempotency:…`,
//! `<prefix>:stats:…`) so several deployments or tests can share one Redis.

mod idempotency;
mod stats;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use idempotency::RedisIdempotency;
pub use stats::RedisStats;

use crate::StoreError;

/// A client that connects on first use and reconnects on its own; while Redis is down every
/// call fails within about a second or two instead of hanging.
fn connection(url: &str) -> Result<ConnectionManager, StoreError> {
    let client = redis::Client::open(url).map_err(unavailable)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(1);
    ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)
}

/// Whether Redis answers a PING.
async fn ping(connection: &ConnectionManager) -> bool {
    let mut connection = connection.clone();
    redis::cmd("PING")
        .query_async::<String>(&mut connection)
        .await
        .is_ok()
}

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}
