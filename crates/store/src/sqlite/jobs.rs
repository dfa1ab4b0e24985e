//! [`JobStore`] on SQLite: lifecycle writes and manual actions are one write closure each
//! ([`super::writes`]); reads run on the reader pool.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::Job;
use rusqlite::Connection;
use rusqlite::types::Value;
use uuid::Uuid;

use super::SqliteStore;
use super::rows::{self, attempt_columns, job_columns};
use super::writes::{self, NewJob};
use crate::alerts::AlertStore;
use crate::codec;
use crate::jobs::{
    Attempt, AttemptOutcome, Begin, JobQuery, JobRecord, JobStore, Next, Transition,
};
use crate::{Page, StoreError};

/// Most jobs in one page, whatever the caller asks.
const MAX_PAGE: u32 = 500;

#[async_trait]
impl JobStore for SqliteStore {
    async fn record_created_many(&self, jobs: &[(Job, String)]) -> Result<u64, StoreError> {
        let jobs: Vec<NewJob> = jobs.iter().map(|(j, c)| NewJob::new(j, c)).collect();
        self.write(move |c| {
            let mut new = 0;
            for job in &jobs {
                new += u64::from(writes::insert_job(c, job)?);
            }
            Ok(new)
        })
        .await
    }

    async fn begin_attempt(
        &self,
        job: &Job,
        correlation_id: &str,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Begin, StoreError> {
        let job = NewJob::new(job, correlation_id);
        let worker = worker.to_owned();
        self.write(move |c| writes::begin(c, &job, &worker, lease, now))
            .await
    }

    async fn finish_attempt(
        &self,
        job_id: Uuid,
        attempt: u32,
        outcome: AttemptOutcome,
        next: Next,
        now: DateTime<Utc>,
    ) -> Result<Option<JobRecord>, StoreError> {
        self.write(move |c| writes::finish(c, job_id, attempt, outcome, &next, now))
            .await
    }

    async fn cancel(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.write(move |c| writes::transition(c, job_id, |l| l.cancel(job_id, now)))
            .await
    }

    async fn requeue(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.write(move |c| writes::transition(c, job_id, |l| l.requeue(job_id, now)))
            .await
    }

    async fn get(&self, job_id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        self.read(move |c| writes::load(c, job_id)).await
    }

    async fn attempts(&self, job_id: Uuid) -> Result<Vec<Attempt>, StoreError> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(concat!(
                "SELECT ",
                attempt_columns!(),
                " FROM job_attempts WHERE job_id = ?1 ORDER BY number"
            ))?;
            let attempts = statement.query_map([rows::id(job_id)], rows::attempt)?;
            attempts.collect()
        })
        .await
    }

    async fn list(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let listing = Listing::new(query, limit)?;
        let records = self.read(move |c| listing.run(c)).await?;
        let key = |record: &JobRecord| (record.job.created_at, record.job.id);
        Ok(codec::page(records, limit, key))
    }

    async fn is_available(&self) -> bool {
        self.answers().await
    }
    fn alerts(&self) -> &dyn AlertStore {
        self
    }
}

/// One [`JobStore::list`] query: the filters SQLite applies (status, type, cursor, newest
/// first), then the payload text search, applied while reading.
struct Listing {
    sql: String,
    params: Vec<Value>,
    /// Lower-cased; matched against the payload's text, lower-cased.
    text: Option<String>,
    /// Rows wanted: a page and one more (see [`codec::page`]).
    wanted: usize,
}

impl Listing {
    fn new(query: &JobQuery, limit: u32) -> Result<Listing, StoreError> {
        let mut sql = String::from(concat!("SELECT ", job_columns!(), " FROM jobs WHERE 1"));
        let mut params = Vec::new();
        if let Some(status) = query.status {
            sql.push_str(" AND status = ?");
            params.push(Value::Text(status.as_str().to_owned()));
        }
        if let Some(job_type) = &query.job_type {
            sql.push_str(" AND type = ?");
            params.push(Value::Text(job_type.clone()));
        }
        if let Some(cursor) = &query.cursor {
            let (created_at, id) = codec::decode_cursor(cursor)?;
            sql.push_str(" AND (created_at, id) < (?, ?)");
            params.push(Value::Integer(rows::micros(created_at)));
            params.push(Value::Blob(rows::id(id).to_vec()));
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC");
        let text = query.text.as_deref().filter(|t| !t.is_empty());
        Ok(Listing {
            sql,
            params,
            text: text.map(str::to_lowercase),
            wanted: limit as usize + 1,
        })
    }

    fn run(self, c: &Connection) -> rusqlite::Result<Vec<JobRecord>> {
        let mut statement = c.prepare_cached(&self.sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(&self.params))?;
        let mut records = Vec::new();
        while records.len() < self.wanted
            && let Some(row) = rows.next()?
        {
            if let Some(text) = &self.text {
                // Taken literally, whatever it holds (`%`, `_`): a substring, not a pattern.
                let payload = row.get_ref(3)?.as_str_or_null()?;
                if !payload.is_some_and(|p| p.to_lowercase().contains(text)) {
                    continue;
                }
            }
            records.push(rows::job_record(row)?);
        }
        Ok(records)
    }
}
