//! [`AlertStore`] on PostgreSQL: the `alerts` and `alert_source` tables.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;

use super::PgStore;
use super::error::{retry_conflicts, store_error};
use crate::StoreError;
use crate::alerts::{ActiveAlerts, Alert, AlertDelivery, AlertStore, Storable};

#[derive(sqlx::FromRow)]
struct AlertRow {
    name: String,
    severity: String,
    summary: String,
    description: String,
    labels: Json<BTreeMap<String, String>>,
    runbook_url: Option<String>,
    starts_at: Option<DateTime<Utc>>,
}

impl From<AlertRow> for Alert {
    fn from(row: AlertRow) -> Alert {
        Alert {
            name: row.name,
            severity: row.severity,
            summary: row.summary,
            description: row.description,
            labels: row.labels.0,
            since: row.starts_at,
            runbook_url: row.runbook_url,
        }
    }
}

/// Every statement of one delivery, on the transaction's connection.
async fn write(connection: &mut PgConnection, delivery: &Storable) -> Result<(), sqlx::Error> {
    for keyed in &delivery.firing {
        let alert = &keyed.alert;
        sqlx::query(
            "INSERT INTO alerts (key, group_key, name, severity, summary, description, labels, \
                 runbook_url, starts_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (key) DO UPDATE SET group_key = excluded.group_key, \
                 name = excluded.name, severity = excluded.severity, \
                 summary = excluded.summary, description = excluded.description, \
                 labels = excluded.labels, runbook_url = excluded.runbook_url, \
                 starts_at = excluded.starts_at, updated_at = excluded.updated_at",
        )
        .bind(&keyed.key)
        .bind(&delivery.group)
        .bind(&alert.name)
        .bind(&alert.severity)
        .bind(&alert.summary)
        .bind(&alert.description)
        .bind(Json(&alert.labels))
        .bind(&alert.runbook_url)
        .bind(alert.since)
        .bind(delivery.received_at)
        .execute(&mut *connection)
        .await?;
    }
    if !delivery.resolved.is_empty() {
        sqlx::query("DELETE FROM alerts WHERE key = ANY($1)")
            .bind(&delivery.resolved)
            .execute(&mut *connection)
            .await?;
    }
    if let Some(keep) = &delivery.keep {
        sqlx::query("DELETE FROM alerts WHERE group_key = $1 AND NOT (key = ANY($2))")
            .bind(&delivery.group)
            .bind(keep)
            .execute(&mut *connection)
            .await?;
    }
    if let Some(heard_at) = delivery.heard_at {
        sqlx::query(
            "INSERT INTO alert_source (id, heard_at) VALUES (true, $1) \
             ON CONFLICT (id) DO UPDATE \
             SET heard_at = GREATEST(alert_source.heard_at, excluded.heard_at)",
        )
        .bind(heard_at)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl AlertStore for PgStore {
    async fn record_alerts(&self, delivery: &AlertDelivery) -> Result<(), StoreError> {
        let delivery = Storable::new(delivery);
        retry_conflicts(|| async {
            let mut transaction = self.pool.begin().await?;
            write(&mut transaction, &delivery).await?;
            transaction.commit().await
        })
        .await
    }

    async fn active_alerts(&self) -> Result<ActiveAlerts, StoreError> {
        // One snapshot for both reads: a delivery committed in between shows in both or neither.
        let mut transaction = self.pool.begin().await.map_err(store_error)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        let rows: Vec<AlertRow> = sqlx::query_as(
            "SELECT name, severity, summary, description, labels, runbook_url, starts_at \
             FROM alerts ORDER BY starts_at DESC NULLS LAST, key COLLATE \"C\" DESC",
        )
        .fetch_all(&mut *transaction)
        .await
        .map_err(store_error)?;
        let heard_at: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT heard_at FROM alert_source")
                .fetch_optional(&mut *transaction)
                .await
                .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(ActiveAlerts {
            alerts: rows.into_iter().map(Alert::from).collect(),
            source_heard_at: heard_at,
        })
    }
}
