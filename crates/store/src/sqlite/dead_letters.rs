//! [`DeadLetterStore`] on SQLite: the `dead_letters` table, newest first by `received_at`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

use super::{SqliteStore, rows};
use crate::codec;
use crate::dead_letters::{DeadLetter, DeadLetterStore};
use crate::{Page, StoreError};

/// Most letters in one page, whatever the caller asks.
const MAX_PAGE: u32 = 500;

const LETTER_COLUMNS: &str = "SELECT id, received_at, received_nanos, source, reason, body, \
    job_id, retried_at FROM dead_letters";

/// A row of [`LETTER_COLUMNS`].
fn letter(row: &Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        id: rows::read_id(row, 0)?,
        received_at: rows::read_exact(row, 1, 2)?,
        source: row.get(3)?,
        reason: row.get(4)?,
        body: row.get(5)?,
        job_id: rows::read_optional_id(row, 6)?,
        retried_at: rows::read_optional_instant(row, 7)?,
    })
}

#[async_trait]
impl DeadLetterStore for SqliteStore {
    /// Source, reason and body are stored with NUL replaced by U+FFFD, as PostgreSQL stores
    /// them, so that both backends read back the same text.
    async fn add(&self, letter: &DeadLetter) -> Result<bool, StoreError> {
        let id = rows::id(letter.id);
        let received_at = rows::exact(letter.received_at);
        let texts = [&letter.source, &letter.reason, &letter.body].map(|t| codec::storable_text(t));
        let job_id = letter.job_id.map(rows::id);
        let retried_at = letter.retried_at.map(rows::micros);
        self.write(move |c| {
            let [source, reason, body] = &texts;
            let inserted = c
                .prepare_cached(
                    "INSERT INTO dead_letters (id, received_at, received_nanos, source, reason, \
                         body, job_id, retried_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![
                    id,
                    received_at.0,
                    received_at.1,
                    source,
                    reason,
                    body,
                    job_id,
                    retried_at,
                ])?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn list(&self, limit: u32, cursor: Option<&str>) -> Result<Page<DeadLetter>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut sql = LETTER_COLUMNS.to_owned();
        let mut params = Vec::new();
        if let Some(cursor) = cursor {
            let (received_at, id) = codec::decode_cursor(cursor)?;
            sql.push_str(" WHERE (received_at, id) < (?, ?)");
            params.push(Value::Integer(rows::micros(received_at)));
            params.push(Value::Blob(rows::id(id).to_vec()));
        }
        sql.push_str(" ORDER BY received_at DESC, id DESC LIMIT ?");
        params.push(Value::Integer(i64::from(limit) + 1));
        let items = self
            .read(move |c| {
                let mut statement = c.prepare_cached(&sql)?;
                let letters = statement.query_map(rusqlite::params_from_iter(&params), letter)?;
                letters.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        Ok(codec::page(items, limit, |letter| {
            (letter.received_at, letter.id)
        }))
    }

    async fn get(&self, id: Uuid) -> Result<Option<DeadLetter>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(&format!("{LETTER_COLUMNS} WHERE id = ?1"))?
                .query_row([rows::id(id)], letter)
                .optional()
        })
        .await
    }

    async fn mark_retried(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(move |c| {
            let updated = c
                .prepare_cached("UPDATE dead_letters SET retried_at = ?2 WHERE id = ?1")?
                .execute(params![rows::id(id), rows::micros(now)])?;
            Ok(updated == 1)
        })
        .await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            c.prepare_cached("SELECT count(*) FROM dead_letters")?
                .query_row([], |row| row.get(0))
        })
        .await
    }
}
