//! [`StatsStore`] on SQLite, with the rules of [`RedisStats`](crate::redis::RedisStats) (see
//! `redis/stats.rs` and `apply_stats.lua`): `stats_jobs` keeps each job's newest applied
//! revision, and an event changes the statistics only if its revision is newer. A job's
//! acceptance is counted in the second of its `createdAt` when the job is first seen; a
//! completion or failure in the second of the event that applied it. The last event time is
//! kept in milliseconds, as Redis keeps it. A throughput second lives an hour after its last
//! change (wall clock), as a Redis bucket does; expired ones are purged a few at a time.

mod apply;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, JobStatus};
use rusqlite::{Connection, params};

use self::apply::{Changes, Step};
use super::SqliteStore;
use super::error::undecodable;
use crate::StoreError;
use crate::stats::{Stats, StatsStore, StatusCounts, Throughput};

/// Most seconds one `throughput` call reports (a day), however many are asked for.
const MAX_SECONDS: u32 = 86_400;

fn wall_clock_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Counts are never negative; a negative one would be a bug, shown as 0 rather than huge.
fn non_negative(count: i64) -> u64 {
    u64::try_from(count).unwrap_or(0)
}

/// Reads the totals and the per-type counts (in one read transaction: one instant).
fn snapshot(c: &Connection) -> rusqlite::Result<Stats> {
    let transaction = c.unchecked_transaction()?;
    let mut stats = transaction
        .prepare_cached(
            "SELECT accepted, events_applied, last_event_ms, pending, validated, executing, \
                 completed, failed, cancelled FROM stats_totals WHERE id = 1",
        )?
        .query_row([], |row| {
            let mut stats = Stats {
                accepted: non_negative(row.get(0)?),
                events_applied: non_negative(row.get(1)?),
                last_event_time: row
                    .get::<_, Option<i64>>(2)?
                    .and_then(DateTime::from_timestamp_millis),
                ..Stats::default()
            };
            for (column, status) in (3..).zip(JobStatus::ALL) {
                *stats.by_status.count_mut(status) = non_negative(row.get(column)?);
            }
            Ok(stats)
        })?;
    let mut statement =
        transaction.prepare_cached("SELECT type, status, jobs FROM stats_types WHERE jobs > 0")?;
    let mut types = statement.query([])?;
    while let Some(row) = types.next()? {
        let status: String = row.get(1)?;
        let status: JobStatus = status.parse().map_err(|e| undecodable(1, format!("{e}")))?;
        let counts: &mut StatusCounts = stats.by_type.entry(row.get(0)?).or_default();
        *counts.count_mut(status) = non_negative(row.get(2)?);
    }
    Ok(stats)
}

#[async_trait]
impl StatsStore for SqliteStore {
    async fn apply(&self, events: &[EventEnvelope]) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let steps: Vec<Step> = events.iter().map(Step::new).collect();
        self.write(move |c| {
            let mut changes = Changes::default();
            for step in &steps {
                changes.apply(c, step)?;
            }
            changes.write(c, wall_clock_ms())?;
            Ok(non_negative(changes.applied))
        })
        .await
    }

    async fn snapshot(&self) -> Result<Stats, StoreError> {
        self.read(snapshot).await
    }

    async fn throughput(
        &self,
        now: DateTime<Utc>,
        seconds: u32,
    ) -> Result<Vec<Throughput>, StoreError> {
        let last = now.timestamp();
        let first = last - i64::from(seconds.min(MAX_SECONDS)) + 1;
        if first > last {
            return Ok(Vec::new());
        }
        let counted: HashMap<i64, Throughput> = self
            .read(move |c| {
                let mut statement = c.prepare_cached(
                    "SELECT second, accepted, completed, failed FROM stats_seconds \
                     WHERE second BETWEEN ?1 AND ?2 AND expires_ms > ?3",
                )?;
                let seconds =
                    statement.query_map(params![first, last, wall_clock_ms()], |row| {
                        let second = row.get(0)?;
                        let count = |column| row.get::<_, i64>(column).map(non_negative);
                        let counts = Throughput {
                            second,
                            accepted: count(1)?,
                            completed: count(2)?,
                            failed: count(3)?,
                        };
                        Ok((second, counts))
                    })?;
                seconds.collect()
            })
            .await?;
        Ok((first..=last)
            .map(|second| {
                counted.get(&second).copied().unwrap_or(Throughput {
                    second,
                    ..Throughput::default()
                })
            })
            .collect())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute_batch(
                "DELETE FROM stats_jobs; DELETE FROM stats_types; DELETE FROM stats_seconds;
                 UPDATE stats_totals SET accepted = 0, events_applied = 0, last_event_ms = NULL,
                     pending = 0, validated = 0, executing = 0, completed = 0, failed = 0,
                     cancelled = 0;",
            )
        })
        .await
    }

    async fn is_available(&self) -> bool {
        self.answers().await
    }
}
