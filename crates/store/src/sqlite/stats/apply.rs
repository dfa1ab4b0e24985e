//! Applying a batch of events in one write closure: read the jobs' held revisions, decide every
//! event in memory (in order, so two events of one job in a batch behave as if applied one by
//! one, as in `apply_stats.lua`), then write each changed job once and each counter once.

use std::collections::{BTreeMap, HashMap};

use odto_contracts::{EventEnvelope, JobStatus};
use rusqlite::{Connection, OptionalExtension, params};

use crate::sqlite::error::undecodable;
use crate::sqlite::rows;

/// How long a throughput second lives after its last change: an hour and a minute, as in Redis.
const SECOND_TTL_MS: i64 = 3_660_000;
/// Expired throughput seconds deleted per `apply`, so that no write waits on a large purge.
const PURGE_BATCH: i64 = 100;

/// One event as the statistics see it, encoded on the caller's thread.
pub(super) struct Step {
    job_id: [u8; 16],
    revision: u64,
    status: JobStatus,
    job_type: String,
    occurred_ms: i64,
    occurred_second: i64,
    created_second: i64,
}

impl Step {
    pub(super) fn new(event: &EventEnvelope) -> Step {
        let job = &event.payload;
        Step {
            job_id: rows::id(job.id),
            revision: job.revision.unwrap_or(0),
            status: job.status,
            job_type: job.job_type.as_str().to_owned(),
            occurred_ms: event.occurred_at.timestamp_millis(),
            occurred_second: event.occurred_at.timestamp(),
            created_second: job.created_at.timestamp(),
        }
    }
}

/// What the statistics hold about a job: its newest applied revision, filed under its type.
#[derive(Clone)]
struct Held {
    revision: u64,
    status: JobStatus,
    job_type: String,
}

/// The changes one `apply` decides, written at its end.
#[derive(Default)]
pub(super) struct Changes {
    /// Jobs looked at: what is held now (`None`: never seen), and whether it changed.
    jobs: HashMap<[u8; 16], (Option<Held>, bool)>,
    accepted: i64,
    pub(super) applied: i64,
    last_ms: Option<i64>,
    by_status: HashMap<JobStatus, i64>,
    by_type: HashMap<(String, JobStatus), i64>,
    /// Second → accepted, completed, failed.
    seconds: BTreeMap<i64, [i64; 3]>,
}

impl Changes {
    fn held(&mut self, c: &Connection, job_id: [u8; 16]) -> rusqlite::Result<Option<Held>> {
        if let Some((held, _)) = self.jobs.get(&job_id) {
            return Ok(held.clone());
        }
        let held = c
            .prepare_cached("SELECT revision, status, type FROM stats_jobs WHERE job_id = ?1")?
            .query_row([job_id], |row| {
                let status: String = row.get(1)?;
                Ok(Held {
                    revision: row.get(0)?,
                    status: status.parse().map_err(|e| undecodable(1, format!("{e}")))?,
                    job_type: row.get(2)?,
                })
            })
            .optional()?;
        self.jobs.insert(job_id, (held.clone(), false));
        Ok(held)
    }

    /// Applies `step` if its revision is newer than the one held; returns whether it was.
    pub(super) fn apply(&mut self, c: &Connection, step: &Step) -> rusqlite::Result<bool> {
        let old = self.held(c, step.job_id)?;
        if old
            .as_ref()
            .is_some_and(|held| step.revision <= held.revision)
        {
            return Ok(false);
        }
        // A job's type never changes; the held one is what its counts were filed under.
        let job_type = old.as_ref().map_or(&step.job_type, |held| &held.job_type);
        let job_type = job_type.clone();
        match &old {
            Some(held) => self.count(&job_type, held.status, -1),
            None => {
                self.accepted += 1;
                self.seconds.entry(step.created_second).or_default()[0] += 1;
            }
        }
        self.count(&job_type, step.status, 1);
        let finished = match step.status {
            JobStatus::Completed => Some(1),
            JobStatus::Failed => Some(2),
            _ => None,
        };
        if let Some(column) = finished
            && old.as_ref().is_none_or(|held| held.status != step.status)
        {
            self.seconds.entry(step.occurred_second).or_default()[column] += 1;
        }
        self.last_ms = self.last_ms.max(Some(step.occurred_ms));
        self.applied += 1;
        let held = Held {
            revision: step.revision,
            status: step.status,
            job_type,
        };
        self.jobs.insert(step.job_id, (Some(held), true));
        Ok(true)
    }

    fn count(&mut self, job_type: &str, status: JobStatus, by: i64) {
        *self.by_status.entry(status).or_default() += by;
        *self
            .by_type
            .entry((job_type.to_owned(), status))
            .or_default() += by;
    }

    /// Writes what changed; nothing if no event applied.
    pub(super) fn write(&self, c: &Connection, now_ms: i64) -> rusqlite::Result<()> {
        if self.applied == 0 {
            return Ok(());
        }
        self.write_jobs(c)?;
        self.write_totals(c)?;
        self.write_types(c)?;
        self.write_seconds(c, now_ms)
    }

    fn write_jobs(&self, c: &Connection) -> rusqlite::Result<()> {
        let changed = self.jobs.iter().filter(|(_, (_, changed))| *changed);
        for (job_id, (held, _)) in changed {
            let Some(held) = held else { continue };
            c.prepare_cached(
                "INSERT INTO stats_jobs (job_id, revision, status, type) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (job_id) DO UPDATE \
                 SET revision = excluded.revision, status = excluded.status",
            )?
            .execute(params![
                job_id,
                rows::count(held.revision),
                held.status.as_str(),
                held.job_type
            ])?;
        }
        Ok(())
    }

    fn write_types(&self, c: &Connection) -> rusqlite::Result<()> {
        for ((job_type, status), by) in self.by_type.iter().filter(|(_, by)| **by != 0) {
            c.prepare_cached(
                "INSERT INTO stats_types (type, status, jobs) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (type, status) DO UPDATE SET jobs = jobs + excluded.jobs",
            )?
            .execute(params![job_type, status.as_str(), by])?;
        }
        Ok(())
    }

    /// Adds the throughput counts (each second then lives `SECOND_TTL_MS` from `now_ms`) and
    /// purges a few expired seconds.
    fn write_seconds(&self, c: &Connection, now_ms: i64) -> rusqlite::Result<()> {
        for (second, [accepted, completed, failed]) in &self.seconds {
            c.prepare_cached(
                "INSERT INTO stats_seconds (second, accepted, completed, failed, expires_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (second) DO UPDATE SET \
                 accepted = accepted + excluded.accepted, \
                 completed = completed + excluded.completed, \
                 failed = failed + excluded.failed, expires_ms = excluded.expires_ms",
            )?
            .execute(params![
                second,
                accepted,
                completed,
                failed,
                now_ms + SECOND_TTL_MS
            ])?;
        }
        c.prepare_cached(
            "DELETE FROM stats_seconds WHERE second IN \
             (SELECT second FROM stats_seconds WHERE expires_ms <= ?1 LIMIT ?2)",
        )?
        .execute(params![now_ms, PURGE_BATCH])?;
        Ok(())
    }

    fn write_totals(&self, c: &Connection) -> rusqlite::Result<()> {
        let by = |status| self.by_status.get(&status).copied().unwrap_or(0);
        c.prepare_cached(
            "UPDATE stats_totals SET accepted = accepted + ?1, \
                 events_applied = events_applied + ?2, \
                 last_event_ms = max(coalesce(last_event_ms, ?3), ?3), \
                 pending = pending + ?4, validated = validated + ?5, \
                 executing = executing + ?6, completed = completed + ?7, \
                 failed = failed + ?8, cancelled = cancelled + ?9 \
             WHERE id = 1",
        )?
        .execute(params![
            self.accepted,
            self.applied,
            self.last_ms,
            by(JobStatus::Pending),
            by(JobStatus::Validated),
            by(JobStatus::Executing),
            by(JobStatus::Completed),
            by(JobStatus::Failed),
            by(JobStatus::Cancelled),
        ])?;
        Ok(())
    }
}
