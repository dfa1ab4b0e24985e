//! [`DeadLetterStore`] on PostgreSQL: the `dead_letters` table, newest first by `received_at`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::PgStore;
use super::error::store_error;
use crate::codec;
use crate::dead_letters::{DeadLetter, DeadLetterStore};
use crate::{Page, StoreError};

/// Most letters in one page, whatever the caller asks.
const MAX_PAGE: u32 = 500;

const LETTER_COLUMNS: &str = "SELECT id, received_at, received_nanos, source, reason, body, \
    job_id, retried_at FROM dead_letters";

#[derive(sqlx::FromRow)]
struct LetterRow {
    id: Uuid,
    received_at: DateTime<Utc>,
    received_nanos: i16,
    source: String,
    reason: String,
    body: String,
    job_id: Option<Uuid>,
    retried_at: Option<DateTime<Utc>>,
}

impl From<LetterRow> for DeadLetter {
    fn from(row: LetterRow) -> DeadLetter {
        DeadLetter {
            id: row.id,
            received_at: codec::join(row.received_at, row.received_nanos),
            source: row.source,
            reason: row.reason,
            body: row.body,
            job_id: row.job_id,
            retried_at: row.retried_at,
        }
    }
}

#[async_trait]
impl DeadLetterStore for PgStore {
    /// Source, reason and body are stored with NUL replaced by U+FFFD: a dead letter is often
    /// a message nobody could read, and PostgreSQL text cannot hold NUL.
    async fn add(&self, letter: &DeadLetter) -> Result<bool, StoreError> {
        let (received_at, received_nanos) = codec::split(letter.received_at);
        let inserted = sqlx::query(
            "INSERT INTO dead_letters \
                 (id, received_at, received_nanos, source, reason, body, job_id, retried_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(letter.id)
        .bind(received_at)
        .bind(received_nanos)
        .bind(codec::storable_text(&letter.source))
        .bind(codec::storable_text(&letter.reason))
        .bind(codec::storable_text(&letter.body))
        .bind(letter.job_id)
        .bind(letter.retried_at.map(codec::micros))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn list(&self, limit: u32, cursor: Option<&str>) -> Result<Page<DeadLetter>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut sql = QueryBuilder::<Postgres>::new(LETTER_COLUMNS);
        if let Some(cursor) = cursor {
            let (received_at, id) = codec::decode_cursor(cursor)?;
            sql.push(" WHERE (received_at, id) < (")
                .push_bind(received_at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        sql.push(" ORDER BY received_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let rows: Vec<LetterRow> = sql
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let items = rows.into_iter().map(DeadLetter::from).collect();
        Ok(codec::page(items, limit, |letter| {
            (letter.received_at, letter.id)
        }))
    }

    async fn get(&self, id: Uuid) -> Result<Option<DeadLetter>, StoreError> {
        let mut sql = QueryBuilder::<Postgres>::new(LETTER_COLUMNS);
        sql.push(" WHERE id = ").push_bind(id);
        let row: Option<LetterRow> = sql
            .build_query_as()
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(row.map(DeadLetter::from))
    }

    async fn mark_retried(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = sqlx::query("UPDATE dead_letters SET retried_at = $2 WHERE id = $1")
            .bind(id)
            .bind(codec::micros(now))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(count.unsigned_abs())
    }
}
