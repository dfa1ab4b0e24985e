//! [`IdempotencyStore`] on SQLite, as [`RedisIdempotency`](crate::redis::RedisIdempotency)
//! keeps keys: one row per key with its expiry (wall clock, milliseconds). A row past its expiry
//! counts as absent; claims delete a few expired rows each, so the table does not grow forever.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::error::undecodable;
use crate::StoreError;
use crate::idempotency::{Claim, IdempotencyRecord, IdempotencyStore};

/// Expired keys deleted per claim.
const PURGE_BATCH: i64 = 100;

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

/// When a record stored now with `retention` expires.
fn expiry(retention: Duration) -> i64 {
    Utc::now()
        .timestamp_millis()
        .saturating_add(millis(retention))
}

fn encode(record: &IdempotencyRecord) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The live record of `key`, if any.
fn holder(c: &Connection, key: &str, now_ms: i64) -> rusqlite::Result<Option<IdempotencyRecord>> {
    c.prepare_cached("SELECT record FROM idempotency_keys WHERE key = ?1 AND expires_ms > ?2")?
        .query_row(params![key, now_ms], |row| {
            let text = row.get_ref(0)?.as_str()?;
            serde_json::from_str(text).map_err(|e| undecodable(0, e))
        })
        .optional()
}

/// Stores `record` under `key` until `expires_ms`, replacing whatever was there.
fn put(c: &Connection, key: &str, record: &str, expires_ms: i64) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO idempotency_keys (key, record, expires_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (key) DO UPDATE SET record = excluded.record, expires_ms = excluded.expires_ms",
    )?
    .execute(params![key, record, expires_ms])?;
    Ok(())
}

fn purge_expired(c: &Connection, now_ms: i64) -> rusqlite::Result<()> {
    c.prepare_cached(
        "DELETE FROM idempotency_keys WHERE key IN \
         (SELECT key FROM idempotency_keys WHERE expires_ms <= ?1 LIMIT ?2)",
    )?
    .execute(params![now_ms, PURGE_BATCH])?;
    Ok(())
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        retention: Duration,
    ) -> Result<Claim, StoreError> {
        let key = key.to_owned();
        let record = encode(record)?;
        // The clock is read on the writer, which serves claims one after the other: a claim
        // never sees a key expire "before" the previous claim saw it alive.
        self.write(move |c| {
            let now_ms = Utc::now().timestamp_millis();
            purge_expired(c, now_ms)?;
            if let Some(existing) = holder(c, &key, now_ms)? {
                return Ok(Claim::Existing(existing));
            }
            put(c, &key, &record, now_ms.saturating_add(millis(retention)))?;
            Ok(Claim::Acquired)
        })
        .await
    }

    async fn complete(
        &self,
        key: &str,
        record: &IdempotencyRecord,
        retention: Duration,
    ) -> Result<(), StoreError> {
        let key = key.to_owned();
        let record = encode(record)?;
        self.write(move |c| put(c, &key, &record, expiry(retention)))
            .await
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM idempotency_keys WHERE key = ?1")?
                .execute([&key])?;
            Ok(())
        })
        .await
    }

    async fn is_available(&self) -> bool {
        self.answers().await
    }
}
