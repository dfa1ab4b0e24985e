//! [`EventStore`] on SQLite: the `events` table, one row per envelope, every field kept.
//! Ordering is by `(occurred_at, occurred_nanos, event_id)`, i.e. by the exact `occurredAt`.

use async_trait::async_trait;
use odto_contracts::{EventEnvelope, Producer};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params};
use uuid::Uuid;

use super::SqliteStore;
use super::error::undecodable;
use super::rows;
use crate::StoreError;
use crate::events::{EventQuery, EventStore, ScanPosition};

/// Most events one `recent` call returns.
const MAX_RECENT: u32 = 1_000;

const EVENT_COLUMNS: &str = "SELECT event_id, event_type, occurred_at, occurred_nanos, \
    contract_version, producer_service, producer_instance, producer_version, correlation_id, \
    idempotency_key, payload FROM events";

/// An envelope encoded on the caller's thread, so the writer only binds it.
struct NewEvent {
    event_id: [u8; 16],
    job_id: [u8; 16],
    event_type: &'static str,
    occurred_at: (i64, i16),
    contract_version: String,
    producer: Producer,
    correlation_id: String,
    idempotency_key: String,
    payload: String,
}

impl NewEvent {
    fn new(event: &EventEnvelope) -> Result<NewEvent, StoreError> {
        let payload = serde_json::to_string(&event.payload)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode an event payload: {e}")))?;
        Ok(NewEvent {
            event_id: rows::id(event.event_id),
            job_id: rows::id(event.payload.id),
            event_type: event.event_type.as_str(),
            occurred_at: rows::exact(event.occurred_at),
            contract_version: event.contract_version.clone(),
            producer: event.producer.clone(),
            correlation_id: event.correlation_id.clone(),
            idempotency_key: event.idempotency_key.clone(),
            payload,
        })
    }

    /// Inserts the event unless it is stored; returns whether it was new.
    fn insert(&self, c: &Connection) -> rusqlite::Result<bool> {
        let inserted = c
            .prepare_cached(
                "INSERT INTO events (event_id, job_id, event_type, occurred_at, occurred_nanos, \
                     contract_version, producer_service, producer_instance, producer_version, \
                     correlation_id, idempotency_key, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                 ON CONFLICT (event_id) DO NOTHING",
            )?
            .execute(params![
                self.event_id,
                self.job_id,
                self.event_type,
                self.occurred_at.0,
                self.occurred_at.1,
                self.contract_version,
                self.producer.service,
                self.producer.instance_id,
                self.producer.version,
                self.correlation_id,
                self.idempotency_key,
                self.payload,
            ])?;
        Ok(inserted == 1)
    }
}

/// A row of [`EVENT_COLUMNS`].
fn envelope(row: &Row<'_>) -> rusqlite::Result<EventEnvelope> {
    let event_type: String = row.get(1)?;
    Ok(EventEnvelope {
        event_id: rows::read_id(row, 0)?,
        event_type: event_type
            .parse()
            .map_err(|e| undecodable(1, format!("{e}")))?,
        occurred_at: rows::read_exact(row, 2, 3)?,
        contract_version: row.get(4)?,
        producer: Producer::new(
            row.get::<_, String>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, String>(7)?,
        ),
        correlation_id: row.get(8)?,
        idempotency_key: row.get(9)?,
        payload: rows::read_json(row, 10)?,
    })
}

/// Runs one query of [`EVENT_COLUMNS`] on a reader.
async fn fetch(
    store: &SqliteStore,
    sql: String,
    params: Vec<Value>,
) -> Result<Vec<EventEnvelope>, StoreError> {
    store
        .read(move |c| {
            let mut statement = c.prepare_cached(&sql)?;
            let events = statement.query_map(rusqlite::params_from_iter(&params), envelope)?;
            events.collect()
        })
        .await
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(&self, events: &[EventEnvelope]) -> Result<Vec<Uuid>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let events = events
            .iter()
            .map(NewEvent::new)
            .collect::<Result<Vec<_>, _>>()?;
        // In the callers' order: a repeat finds its first occurrence stored and is left out.
        self.write(move |c| {
            let mut new = Vec::new();
            for event in &events {
                if event.insert(c)? {
                    new.push(Uuid::from_bytes(event.event_id));
                }
            }
            Ok(new)
        })
        .await
    }

    async fn recent(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut sql = format!("{EVENT_COLUMNS} WHERE 1");
        let mut params = Vec::new();
        if let Some(job_id) = query.job_id {
            sql.push_str(" AND job_id = ?");
            params.push(Value::Blob(rows::id(job_id).to_vec()));
        }
        if let Some(event_type) = query.event_type {
            sql.push_str(" AND event_type = ?");
            params.push(Value::Text(event_type.as_str().to_owned()));
        }
        sql.push_str(" ORDER BY occurred_at DESC, occurred_nanos DESC, event_id DESC LIMIT ?");
        params.push(Value::Integer(query.limit.clamp(1, MAX_RECENT).into()));
        fetch(self, sql, params).await
    }

    async fn for_job(&self, job_id: Uuid) -> Result<Vec<EventEnvelope>, StoreError> {
        let sql = format!(
            "{EVENT_COLUMNS} WHERE job_id = ? ORDER BY occurred_at, occurred_nanos, event_id"
        );
        fetch(self, sql, vec![Value::Blob(rows::id(job_id).to_vec())]).await
    }

    async fn scan(
        &self,
        after: Option<ScanPosition>,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut sql = EVENT_COLUMNS.to_owned();
        let mut params = Vec::new();
        if let Some((occurred_at, event_id)) = after {
            let (micros, nanos) = rows::exact(occurred_at);
            sql.push_str(" WHERE (occurred_at, occurred_nanos, event_id) > (?, ?, ?)");
            params.push(Value::Integer(micros));
            params.push(Value::Integer(nanos.into()));
            params.push(Value::Blob(rows::id(event_id).to_vec()));
        }
        sql.push_str(" ORDER BY occurred_at, occurred_nanos, event_id LIMIT ?");
        params.push(Value::Integer(limit.max(1).into()));
        fetch(self, sql, params).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            c.prepare_cached("SELECT count(*) FROM events")?
                .query_row([], |row| row.get(0))
        })
        .await
    }
}
