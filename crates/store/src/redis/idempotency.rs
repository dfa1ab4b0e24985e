//! [`IdempotencyStore`] on Redis: one string key per idempotency key, expiring with the
//! retention window, claimed atomically by a small Lua script.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{connection, ping, unavailable};
use crate::StoreError;
use crate::idempotency::{Claim, IdempotencyRecord, IdempotencyStore};

/// `SET NX` and, when the key is taken, `GET` in one atomic step: nil means "acquired".
const CLAIM_SCRIPT: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
return redis.call('GET', KEYS[1])
";

/// Idempotency keys in Redis under `<prefix>:idempotency:<key>`.
#[derive(Clone)]
pub struct RedisIdempotency {
    connection: ConnectionManager,
    prefix: String,
    claim: Script,
}

impl std::fmt::Debug for RedisIdempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisIdempotency")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisIdempotency {
    /// Prepares a client; it connects on first use and reconnects on its own, and while Redis
    /// is down every call fails within about a second instead of hanging.
    pub fn new(url: &str, prefix: impl Into<String>) -> Result<Self, StoreError> {
        let connection = connection(url)?;
        Ok(Self {
            connection,
            prefix: prefix.into(),
            claim: Script::new(CLAIM_SCRIPT),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}:idempotency:{key}", self.prefix)
    }
}

#[async_trait]
impl IdempotencyStore for RedisIdempotency {
    async fn claim(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        retention: Duration,
    ) -> Result<Claim, StoreError> {
        let mut connection = self.connection.clone();
        let existing: Option<String> = self
            .claim
            .key(self.key(key))
            .arg(encode(record)?)
            .arg(millis(retention))
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        match existing {
            None => Ok(Claim::Acquired),
            Some(text) => Ok(Claim::Existing(decode(&text)?)),
        }
    }

    async fn complete(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        retention: Duration,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let options =
            redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(millis(retention)));
        connection
            .set_options::<_, _, ()>(self.key(key), encode(record)?, options)
            .await
            .map_err(unavailable)
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        connection
            .del::<_, ()>(self.key(key))
            .await
            .map_err(unavailable)
    }

    async fn is_available(&self) -> bool {
        ping(&self.connection).await
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn encode(record: &IdempotencyRecord) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode(text: &str) -> Result<IdempotencyRecord, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
