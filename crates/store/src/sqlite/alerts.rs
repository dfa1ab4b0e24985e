//! [`AlertStore`] on SQLite: the `alerts` and `alert_source` tables, as PostgreSQL keeps them.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::{SqliteStore, rows};
use crate::StoreError;
use crate::alerts::{ActiveAlerts, Alert, AlertDelivery, AlertStore, Storable};

/// A row of `SELECT name, severity, summary, description, labels, runbook_url, starts_at`.
fn alert(row: &Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        name: row.get(0)?,
        severity: row.get(1)?,
        summary: row.get(2)?,
        description: row.get(3)?,
        labels: rows::read_json(row, 4)?,
        runbook_url: row.get(5)?,
        since: rows::read_optional_instant(row, 6)?,
    })
}

/// `DELETE FROM alerts WHERE <condition> (?, ?, …)` with one placeholder per key, after `first`.
fn delete_keys(
    c: &Connection,
    condition: &str,
    first: Option<&str>,
    keys: &[String],
) -> rusqlite::Result<()> {
    let marks = vec!["?"; keys.len()].join(", ");
    let values = first
        .into_iter()
        .chain(keys.iter().map(String::as_str))
        .map(|text| Value::Text(text.to_owned()));
    c.prepare(&format!("DELETE FROM alerts WHERE {condition} ({marks})"))?
        .execute(params_from_iter(values))?;
    Ok(())
}

/// Every statement of one delivery, inside the writer's transaction.
fn write(c: &Connection, delivery: &Storable, labels: &[String]) -> rusqlite::Result<()> {
    let received_at = rows::micros(delivery.received_at);
    let mut upsert = c.prepare_cached(
        "INSERT INTO alerts (key, group_key, name, severity, summary, description, labels, \
             runbook_url, starts_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
         ON CONFLICT (key) DO UPDATE SET group_key = excluded.group_key, name = excluded.name, \
             severity = excluded.severity, summary = excluded.summary, \
             description = excluded.description, labels = excluded.labels, \
             runbook_url = excluded.runbook_url, starts_at = excluded.starts_at, \
             updated_at = excluded.updated_at",
    )?;
    for (keyed, labels) in delivery.firing.iter().zip(labels) {
        let alert = &keyed.alert;
        upsert.execute(params![
            keyed.key,
            delivery.group,
            alert.name,
            alert.severity,
            alert.summary,
            alert.description,
            labels,
            alert.runbook_url,
            alert.since.map(rows::micros),
            received_at,
        ])?;
    }
    if !delivery.resolved.is_empty() {
        delete_keys(c, "key IN", None, &delivery.resolved)?;
    }
    if let Some(keep) = &delivery.keep {
        delete_keys(
            c,
            "group_key = ? AND key NOT IN",
            Some(&delivery.group),
            keep,
        )?;
    }
    if let Some(heard_at) = delivery.heard_at {
        c.prepare_cached(
            "INSERT INTO alert_source (id, heard_at) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET heard_at = max(heard_at, excluded.heard_at)",
        )?
        .execute([rows::micros(heard_at)])?;
    }
    Ok(())
}

#[async_trait]
impl AlertStore for SqliteStore {
    async fn record_alerts(&self, delivery: &AlertDelivery) -> Result<(), StoreError> {
        let delivery = Storable::new(delivery);
        // Encoded here, so that the writer thread only binds.
        let labels: Vec<String> = delivery
            .firing
            .iter()
            .map(|keyed| serde_json::to_string(&keyed.alert.labels))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |c| write(c, &delivery, &labels)).await
    }

    async fn active_alerts(&self) -> Result<ActiveAlerts, StoreError> {
        // One read transaction: a delivery committed in between shows in both reads or neither.
        self.read(|c| {
            // Dropped at the end, which ends it (a read changes nothing to commit).
            let snapshot = c.unchecked_transaction()?;
            let alerts = snapshot
                .prepare_cached(
                    "SELECT name, severity, summary, description, labels, runbook_url, \
                         starts_at \
                     FROM alerts ORDER BY starts_at DESC NULLS LAST, key DESC",
                )?
                .query_map([], alert)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let heard_at = snapshot
                .prepare_cached("SELECT heard_at FROM alert_source WHERE id = 1")?
                .query_row([], |row| rows::read_instant(row, 0))
                .optional()?;
            Ok(ActiveAlerts {
                alerts,
                source_heard_at: heard_at,
            })
        })
        .await
    }
}
