//! [`EventStore`] on PostgreSQL: the `events` table, one row per envelope, every field kept.
//! Ordering is by `(occurred_at, occurred_nanos, event_id)`, i.e. by the exact `occurredAt`.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, Job, Producer};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::PgStore;
use super::error::{retry_conflicts, store_error};
use crate::StoreError;
use crate::codec;
use crate::events::{EventQuery, EventStore, ScanPosition};

/// Most events one `recent` call returns.
const MAX_RECENT: u32 = 1_000;

const EVENT_COLUMNS: &str = "SELECT event_id, event_type, occurred_at, occurred_nanos, \
    contract_version, producer_service, producer_instance, producer_version, correlation_id, \
    idempotency_key, payload FROM events";

#[derive(sqlx::FromRow)]
struct EventRow {
    event_id: Uuid,
    event_type: String,
    occurred_at: DateTime<Utc>,
    occurred_nanos: i16,
    contract_version: String,
    producer_service: String,
    producer_instance: String,
    producer_version: String,
    correlation_id: String,
    idempotency_key: String,
    payload: Json<Job>,
}

impl TryFrom<EventRow> for EventEnvelope {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<EventEnvelope, StoreError> {
        Ok(EventEnvelope {
            contract_version: row.contract_version,
            event_type: row
                .event_type
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
            event_id: row.event_id,
            occurred_at: codec::join(row.occurred_at, row.occurred_nanos),
            producer: Producer::new(
                row.producer_service,
                row.producer_instance,
                row.producer_version,
            ),
            correlation_id: row.correlation_id,
            idempotency_key: row.idempotency_key,
            payload: row.payload.0,
        })
    }
}

impl PgStore {
    async fn fetch_events(
        &self,
        mut sql: QueryBuilder<Postgres>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let rows: Vec<EventRow> = sql
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(EventEnvelope::try_from).collect()
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn append(&self, events: &[EventEnvelope]) -> Result<Vec<Uuid>, StoreError> {
        let mut sorted: Vec<&EventEnvelope> = events.iter().collect();
        sorted.sort_by_key(|e| e.event_id); // one lock order for concurrent appends
        sorted.dedup_by_key(|e| e.event_id);
        if sorted.is_empty() {
            return Ok(Vec::new());
        }
        let new: HashSet<Uuid> = retry_conflicts(|| insert(self, &sorted))
            .await?
            .into_iter()
            .collect();
        let mut seen = HashSet::new();
        Ok(events
            .iter()
            .map(|e| e.event_id)
            .filter(|id| new.contains(id) && seen.insert(*id))
            .collect())
    }

    async fn recent(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut sql = QueryBuilder::new(EVENT_COLUMNS);
        sql.push(" WHERE true");
        if let Some(job_id) = query.job_id {
            sql.push(" AND job_id = ").push_bind(job_id);
        }
        if let Some(event_type) = query.event_type {
            sql.push(" AND event_type = ")
                .push_bind(event_type.as_str());
        }
        sql.push(" ORDER BY occurred_at DESC, occurred_nanos DESC, event_id DESC LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, MAX_RECENT)));
        self.fetch_events(sql).await
    }

    async fn for_job(&self, job_id: Uuid) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut sql = QueryBuilder::new(EVENT_COLUMNS);
        sql.push(" WHERE job_id = ")
            .push_bind(job_id)
            .push(" ORDER BY occurred_at, occurred_nanos, event_id");
        self.fetch_events(sql).await
    }

    async fn scan(
        &self,
        after: Option<ScanPosition>,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut sql = QueryBuilder::new(EVENT_COLUMNS);
        if let Some((occurred_at, event_id)) = after {
            let (micros, nanos) = codec::split(occurred_at);
            sql.push(" WHERE (occurred_at, occurred_nanos, event_id) > (")
                .push_bind(micros)
                .push(", ")
                .push_bind(nanos)
                .push(", ")
                .push_bind(event_id)
                .push(")");
        }
        sql.push(" ORDER BY occurred_at, occurred_nanos, event_id LIMIT ")
            .push_bind(i64::from(limit.max(1)));
        self.fetch_events(sql).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(count.unsigned_abs())
    }
}

/// One `INSERT … SELECT FROM UNNEST … ON CONFLICT DO NOTHING`; returns the ids inserted.
async fn insert(store: &PgStore, events: &[&EventEnvelope]) -> Result<Vec<Uuid>, sqlx::Error> {
    let (occurred, nanos): (Vec<_>, Vec<_>) =
        events.iter().map(|e| codec::split(e.occurred_at)).unzip();
    sqlx::query_scalar(
        "INSERT INTO events (event_id, job_id, event_type, occurred_at, occurred_nanos, \
             contract_version, producer_service, producer_instance, producer_version, \
             correlation_id, idempotency_key, payload) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], \
             $5::smallint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
             $11::text[], $12::jsonb[]) \
         ON CONFLICT (event_id) DO NOTHING \
         RETURNING event_id",
    )
    .bind(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.payload.id).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(occurred)
    .bind(nanos)
    .bind(
        events
            .iter()
            .map(|e| e.contract_version.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.producer.service.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.producer.instance_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.producer.version.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.correlation_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.idempotency_key.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| Json(&e.payload)).collect::<Vec<_>>())
    .fetch_all(&store.pool)
    .await
}
