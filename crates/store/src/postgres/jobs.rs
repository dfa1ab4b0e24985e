//! [`JobStore`] on PostgreSQL: beginning and finishing attempts go through the batchers (see
//! [`super::attempts`]); recording jobs, manual actions and reads are plain statements.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use odto_contracts::Job;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use super::attempts::{BeginRequest, FinishRequest, by_id};
use super::error::{retry_conflicts, store_error};
use super::rows::{AttemptRow, JobRow, job_columns, records};
use super::{PgStore, writes};
use crate::alerts::AlertStore;
use crate::codec;
use crate::jobs::{
    Attempt, AttemptOutcome, Begin, JobQuery, JobRecord, JobStore, Next, Transition,
};
use crate::lifecycle::Locked;
use crate::{Page, StoreError};

/// Most jobs in one page, whatever the caller asks.
const MAX_PAGE: u32 = 500;

impl PgStore {
    /// Runs a manual action on one job in its own transaction.
    async fn transition(
        &self,
        job_id: Uuid,
        action: impl Fn(&mut Locked) -> Transition,
    ) -> Result<Transition, StoreError> {
        retry_conflicts(|| async {
            let mut transaction = self.pool.begin().await?;
            let mut locked = Locked::new(writes::lock(&mut transaction, &[job_id]).await?);
            let transition = action(&mut locked);
            writes::write(&mut transaction, &locked).await?;
            transaction.commit().await?;
            Ok(transition)
        })
        .await
    }
}

#[async_trait]
impl JobStore for PgStore {
    /// One statement (not batched with other callers: a caller brings its own batch).
    async fn record_created_many(&self, jobs: &[(Job, String)]) -> Result<u64, StoreError> {
        let jobs: Vec<_> = jobs.iter().map(|(j, c)| (j, c.as_str())).collect();
        let jobs = by_id(&jobs);
        let new = retry_conflicts(|| async {
            let mut connection = self.pool.acquire().await?;
            writes::insert_jobs(&mut connection, &jobs).await
        })
        .await?;
        Ok(new.len() as u64)
    }

    async fn begin_attempt(
        &self,
        job: &Job,
        correlation_id: &str,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Begin, StoreError> {
        let request = BeginRequest {
            job: job.clone(),
            correlation_id: correlation_id.to_owned(),
            worker: worker.to_owned(),
            lease,
            now,
        };
        self.begins.call(request).await
    }

    async fn finish_attempt(
        &self,
        job_id: Uuid,
        attempt: u32,
        outcome: AttemptOutcome,
        next: Next,
        now: DateTime<Utc>,
    ) -> Result<Option<JobRecord>, StoreError> {
        let request = FinishRequest {
            job_id,
            attempt,
            outcome,
            next,
            now,
        };
        self.finishes.call(request).await
    }

    async fn cancel(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.transition(job_id, |locked| locked.cancel(job_id, now))
            .await
    }

    async fn requeue(&self, job_id: Uuid, now: DateTime<Utc>) -> Result<Transition, StoreError> {
        self.transition(job_id, |locked| locked.requeue(job_id, now))
            .await
    }

    async fn get(&self, job_id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.map(JobRecord::try_from).transpose()
    }

    async fn attempts(&self, job_id: Uuid) -> Result<Vec<Attempt>, StoreError> {
        let rows: Vec<AttemptRow> = sqlx::query_as(
            "SELECT job_id, number, worker, started_at, finished_at, outcome, error \
             FROM job_attempts WHERE job_id = $1 ORDER BY number",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.into_iter().map(Attempt::try_from).collect()
    }

    async fn list(&self, query: &JobQuery) -> Result<Page<JobRecord>, StoreError> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let mut sql = list_query(query, limit)?;
        let rows: Vec<JobRow> = sql
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let key = |record: &JobRecord| (record.job.created_at, record.job.id);
        Ok(codec::page(records(rows)?, limit, key))
    }

    async fn is_available(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
    fn alerts(&self) -> &dyn AlertStore {
        self
    }
}

/// `SELECT … FROM jobs` with the query's filters AND-ed, newest first, after the cursor.
fn list_query(query: &JobQuery, limit: u32) -> Result<QueryBuilder<Postgres>, StoreError> {
    let mut sql = QueryBuilder::new(concat!("SELECT ", job_columns!(), " FROM jobs WHERE true"));
    if let Some(status) = query.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(job_type) = &query.job_type {
        sql.push(" AND type = ").push_bind(job_type.clone());
    }
    if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
        sql.push(" AND payload::text ILIKE ")
            .push_bind(format!("%{}%", escape_like(text)))
            .push(" ESCAPE '\\'");
    }
    if let Some(cursor) = &query.cursor {
        let (created_at, id) = codec::decode_cursor(cursor)?;
        sql.push(" AND (created_at, id) < (")
            .push_bind(created_at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    sql.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(i64::from(limit) + 1);
    Ok(sql)
}

/// `text` matched literally by `LIKE`: its wildcards and the escape character escaped.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_matched_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain"), "plain");
    }
}
