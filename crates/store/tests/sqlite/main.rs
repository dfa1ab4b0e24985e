//! What only the embedded SQLite backend can show: everything it answered is in its file, after
//! closing and reopening it, and its throughput. Its behaviour is tested with the real backends'
//! in the `stores` target.

mod file;
mod throughput;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_contracts::{Job, JobType};
use odto_store::sqlite::{Options, SqliteStore};
use serde_json::json;
use tempfile::TempDir;
use uuid::Uuid;

/// A new database file's path in a temporary directory (kept while the directory lives).
fn database() -> (PathBuf, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    (dir.path().join("data/odto.sqlite"), dir)
}

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, &Options::default()).expect("the store opens")
}

/// A new job of `job_type` with a small payload, created now.
fn job(job_type: &str) -> Job {
    let mut job = Job::new(
        Uuid::now_v7(),
        JobType::parse(job_type).unwrap(),
        Utc::now(),
    );
    job.payload = json!({"n": 1}).as_object().cloned();
    job
}

/// Now, at the microsecond precision the store keeps.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

const LEASE: Duration = Duration::from_secs(30);
