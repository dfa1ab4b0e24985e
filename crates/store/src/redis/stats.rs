//! [`StatsStore`] on Redis. Keys, all under `<prefix>:stats:`:
//!
//! - `jobs`: hash job id → `revision|status|type`, the newest revision applied per job; it is
//!   what makes applying exactly-once per revision, so it keeps one small field per job ever seen;
//! - `counts`: hash `accepted`, `events_applied`, `last_event_ms` (event time, epoch ms) and
//!   `status:<STATUS>`;
//! - `types`: hash `<type>|<STATUS>` → jobs of that type in that status;
//! - `tp:<minute>`: per-minute hashes `<second>|accepted|completed|failed`, expiring an hour after
//!   their last write.
//!
//! A batch of events is one `EVALSHA` of `apply_stats.lua`. A job's acceptance is counted in
//! the second of its `createdAt` when the job is first seen, whichever event shows it, so the
//! accepted throughput does not depend on event order; completions and failures are counted in
//! the second of the event that applied the transition.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::{EventEnvelope, JobStatus};
use redis::Script;
use redis::aio::ConnectionManager;

use super::{connection, ping, unavailable};
use crate::StoreError;
use crate::stats::{Stats, StatsStore, StatusCounts, Throughput};

/// How long a throughput bucket lives after its last write: an hour, plus its own minute.
const BUCKET_TTL_SECONDS: u64 = 3_660;
/// Most seconds one `throughput` call reports (a day), however many are asked for.
const MAX_SECONDS: u32 = 86_400;
/// Keys deleted per `UNLINK` while clearing.
const SCAN_COUNT: usize = 1_000;

/// Live statistics in Redis under `<prefix>:stats:…`.
#[derive(Clone)]
pub struct RedisStats {
    connection: ConnectionManager,
    prefix: String,
    apply: Script,
}

impl std::fmt::Debug for RedisStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStats")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStats {
    /// Prepares a client; it connects on first use and reconnects on its own, and while Redis
    /// is down every call fails within a couple of seconds instead of hanging.
    pub fn new(url: &str, prefix: impl Into<String>) -> Result<RedisStats, StoreError> {
        Ok(RedisStats {
            connection: connection(url)?,
            prefix: prefix.into(),
            apply: Script::new(include_str!("apply_stats.lua")),
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}:stats:{name}", self.prefix)
    }

    fn bucket(&self, minute: i64) -> String {
        self.key(&format!("tp:{minute}"))
    }
}

#[async_trait]
impl StatsStore for RedisStats {
    async fn apply(&self, events: &[EventEnvelope]) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let mut invocation = self.apply.prepare_invoke();
        invocation
            .key(self.key("jobs"))
            .key(self.key("counts"))
            .key(self.key("types"));
        let mut buckets = Buckets::default();
        invocation.arg(BUCKET_TTL_SECONDS);
        for event in events {
            let job = &event.payload;
            let occurred = event.occurred_at.timestamp_millis();
            let done = buckets.index(event.occurred_at.timestamp());
            let created = buckets.index(job.created_at.timestamp());
            invocation
                .arg(job.id.to_string())
                .arg(job.revision.unwrap_or(0))
                .arg(job.status.as_str())
                .arg(job.job_type.as_str())
                .arg(occurred)
                .arg(done)
                .arg(event.occurred_at.timestamp())
                .arg(created)
                .arg(job.created_at.timestamp());
        }
        for minute in buckets.minutes {
            invocation.key(self.bucket(minute));
        }
        let mut connection = self.connection.clone();
        invocation
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)
    }

    async fn snapshot(&self) -> Result<Stats, StoreError> {
        let mut connection = self.connection.clone();
        // MULTI/EXEC: both hashes as of the same instant.
        let (counts, types): (HashMap<String, i64>, HashMap<String, i64>) = redis::pipe()
            .atomic()
            .hgetall(self.key("counts"))
            .hgetall(self.key("types"))
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(stats(&counts, &types))
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
        let mut pipe = redis::pipe();
        for minute in first.div_euclid(60)..=last.div_euclid(60) {
            pipe.hgetall(self.bucket(minute));
        }
        let mut connection = self.connection.clone();
        let buckets: Vec<HashMap<String, u64>> = pipe
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        let counted: HashMap<&str, u64> = buckets
            .iter()
            .flatten()
            .map(|(field, count)| (field.as_str(), *count))
            .collect();
        let count = |second: i64, what: &str| {
            counted
                .get(format!("{second}|{what}").as_str())
                .copied()
                .unwrap_or(0)
        };
        Ok((first..=last)
            .map(|second| Throughput {
                second,
                accepted: count(second, "accepted"),
                completed: count(second, "completed"),
                failed: count(second, "failed"),
            })
            .collect())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        let pattern = format!("{}:stats:*", escape_glob(&self.prefix));
        let mut connection = self.connection.clone();
        let mut cursor = 0_u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if !keys.is_empty() {
                redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async::<()>(&mut connection)
                    .await
                    .map_err(unavailable)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    async fn is_available(&self) -> bool {
        ping(&self.connection).await
    }
}

/// The distinct throughput minutes a batch touches, in first-use order; `index` gives the
/// script's `KEYS` index of a second's minute (the first three keys are the hashes).
#[derive(Default)]
struct Buckets {
    minutes: Vec<i64>,
}

impl Buckets {
    fn index(&mut self, second: i64) -> usize {
        let minute = second.div_euclid(60);
        let position = self.minutes.iter().position(|&m| m == minute);
        let position = position.unwrap_or_else(|| {
            self.minutes.push(minute);
            self.minutes.len() - 1
        });
        position + 4
    }
}

/// Reads the two hashes of a snapshot.
fn stats(counts: &HashMap<String, i64>, types: &HashMap<String, i64>) -> Stats {
    let get = |field: &str| counts.get(field).copied().unwrap_or(0);
    let mut by_type: BTreeMap<String, StatusCounts> = BTreeMap::new();
    for (field, count) in types {
        if let Some((job_type, status)) = field.rsplit_once('|')
            && let Ok(status) = status.parse()
            && *count > 0
        {
            set(
                by_type.entry(job_type.to_owned()).or_default(),
                status,
                *count,
            );
        }
    }
    let mut by_status = StatusCounts::default();
    for status in JobStatus::ALL {
        set(&mut by_status, status, get(&format!("status:{status}")));
    }
    Stats {
        accepted: non_negative(get("accepted")),
        by_status,
        by_type,
        last_event_time: counts
            .get("last_event_ms")
            .and_then(|&ms| DateTime::from_timestamp_millis(ms)),
        events_applied: non_negative(get("events_applied")),
    }
}

/// Counts are never negative; a negative one would be a bug, shown as 0 rather than huge.
fn non_negative(count: i64) -> u64 {
    u64::try_from(count).unwrap_or(0)
}

fn set(counts: &mut StatusCounts, status: JobStatus, count: i64) {
    *counts.count_mut(status) = non_negative(count);
}

/// `text` matched literally by a `SCAN MATCH` glob.
fn escape_glob(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
