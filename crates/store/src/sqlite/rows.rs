//! Values as the SQLite schema stores them (ids as 16-byte BLOBs, instants as microseconds, JSON
//! as text) and the rows of `jobs` and `job_attempts` read back as the store's types. A value
//! this version cannot read fails the call as [`crate::StoreError::Corrupt`].

use chrono::{DateTime, Utc};
use odto_contracts::{Job, JobStatus, JobType};
use rusqlite::Row;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::undecodable;
use crate::codec;
use crate::jobs::{Attempt, DEFAULT_MAX_ATTEMPTS, JobRecord};

/// The columns [`job_record`] reads, in its order, for `concat!` into queries.
macro_rules! job_columns {
    () => {
        "id, type, status, payload, metadata, extra, max_attempts, priority, run_at, attempts, \
         run_attempts, revision, last_error, correlation_id, lease_until, created_at, \
         created_nanos, updated_at, finished_at"
    };
}
pub(super) use job_columns;

/// The columns [`attempt`] reads.
macro_rules! attempt_columns {
    () => {
        "job_id, number, worker, started_at, finished_at, outcome, error"
    };
}
pub(super) use attempt_columns;

pub(super) fn id(id: Uuid) -> [u8; 16] {
    id.into_bytes()
}

pub(super) fn read_id(row: &Row<'_>, column: usize) -> rusqlite::Result<Uuid> {
    row.get::<_, [u8; 16]>(column).map(Uuid::from_bytes)
}

pub(super) fn read_optional_id(row: &Row<'_>, column: usize) -> rusqlite::Result<Option<Uuid>> {
    Ok(row
        .get::<_, Option<[u8; 16]>>(column)?
        .map(Uuid::from_bytes))
}

/// An instant as stored: microseconds since the epoch (what PostgreSQL keeps, too).
pub(super) fn micros(instant: DateTime<Utc>) -> i64 {
    instant.timestamp_micros()
}

/// An instant that must read back exactly: microseconds and the nanoseconds dropped (0..=999).
pub(super) fn exact(instant: DateTime<Utc>) -> (i64, i16) {
    let (at, nanos) = codec::split(instant);
    (micros(at), nanos)
}

pub(super) fn read_instant(row: &Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    let micros: i64 = row.get(column)?;
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| undecodable(column, format!("{micros} µs is out of range")))
}

pub(super) fn read_optional_instant(
    row: &Row<'_>,
    column: usize,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match row.get::<_, Option<i64>>(column)? {
        Some(_) => read_instant(row, column).map(Some),
        None => Ok(None),
    }
}

/// Undoes [`exact`] from two columns.
pub(super) fn read_exact(
    row: &Row<'_>,
    column: usize,
    nanos_column: usize,
) -> rusqlite::Result<DateTime<Utc>> {
    Ok(codec::join(
        read_instant(row, column)?,
        row.get(nanos_column)?,
    ))
}

/// A count as an INTEGER; counts never get near the limit, so saturating only guards a wrap.
pub(super) fn count(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

pub(super) fn read_json<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    column: usize,
) -> rusqlite::Result<T> {
    let text = row.get_ref(column)?.as_str()?;
    serde_json::from_str(text).map_err(|e| undecodable(column, e))
}

fn read_optional_object(
    row: &Row<'_>,
    column: usize,
) -> rusqlite::Result<Option<Map<String, Value>>> {
    match row.get_ref(column)?.as_str_or_null()? {
        Some(_) => read_json(row, column).map(Some),
        None => Ok(None),
    }
}

/// A row of [`job_columns`].
pub(super) fn job_record(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let job_type: String = row.get(1)?;
    let status: String = row.get(2)?;
    let job = Job {
        id: read_id(row, 0)?,
        job_type: JobType::parse(&job_type).map_err(|e| undecodable(1, e.to_string()))?,
        status: status
            .parse::<JobStatus>()
            .map_err(|e| undecodable(2, e.to_string()))?,
        payload: read_optional_object(row, 3)?,
        metadata: read_optional_object(row, 4)?,
        extra: read_json(row, 5)?,
        max_attempts: row.get(6)?,
        priority: row.get(7)?,
        run_at: read_optional_instant(row, 8)?,
        attempts: Some(row.get(9)?),
        revision: Some(row.get(11)?),
        last_error: row.get(12)?,
        created_at: read_exact(row, 15, 16)?,
        updated_at: Some(read_instant(row, 17)?),
    };
    Ok(JobRecord {
        max_attempts: job.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
        run_attempts: row.get(10)?,
        correlation_id: row.get(13)?,
        lease_until: read_optional_instant(row, 14)?,
        finished_at: read_optional_instant(row, 18)?,
        job,
    })
}

/// A row of [`attempt_columns`].
pub(super) fn attempt(row: &Row<'_>) -> rusqlite::Result<Attempt> {
    let outcome: Option<String> = row.get(5)?;
    Ok(Attempt {
        job_id: read_id(row, 0)?,
        number: row.get(1)?,
        worker: row.get(2)?,
        started_at: read_instant(row, 3)?,
        finished_at: read_optional_instant(row, 4)?,
        outcome: outcome
            .as_deref()
            .map(codec::parse_outcome)
            .transpose()
            .map_err(|e| undecodable(5, e.to_string()))?,
        error: row.get(6)?,
    })
}

/// A JSON object printed as PostgreSQL prints `jsonb` (`{"a": 1, "bb": [1, 2]}`: keys shorter
/// first, then bytewise; a space after `:` and `,`), so that a job's payload text search
/// matches the same jobs as on PostgreSQL. It is still JSON, read back with serde.
pub(super) fn jsonb_text(object: &Map<String, Value>) -> String {
    let mut text = String::new();
    write_object(object, &mut text);
    text
}

fn write_value(value: &Value, text: &mut String) {
    match value {
        Value::Object(object) => write_object(object, text),
        Value::Array(items) => {
            text.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                write_value(item, text);
            }
            text.push(']');
        }
        // Strings, numbers, booleans and null print as serde prints them.
        other => text.push_str(&other.to_string()),
    }
}

fn write_object(object: &Map<String, Value>, text: &mut String) {
    let mut entries: Vec<_> = object.iter().collect();
    entries.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    text.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&Value::from(key.as_str()).to_string());
        text.push_str(": ");
        write_value(value, text);
    }
    text.push('}');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_print_as_postgresql_prints_jsonb() {
        let object = json!({"bb": [1, {"y": null, "x": "a\"b"}], "a": true, "ab": 2.5});

        let text = jsonb_text(object.as_object().unwrap());

        assert_eq!(
            text,
            r#"{"a": true, "ab": 2.5, "bb": [1, {"x": "a\"b", "y": null}]}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), object);
    }
}
