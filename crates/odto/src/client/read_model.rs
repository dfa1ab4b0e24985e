//! Reading what became of jobs from the read model: one job (`GET /jobs/{id}`), pages of the
//! jobs of one type (`GET /jobs?type=&status=&cursor=`), and the totals of `GET /stats`.

use anyhow::{Context, bail};
use odto_contracts::JobStatus;
use odto_contracts::read_api::{JobDetail, JobPage, JobView, Stats};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::http;

/// Most jobs the read model returns in one page.
pub const MAX_PAGE: u32 = 500;

/// A `GET /jobs` query: jobs of one type, optionally in one status.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    pub job_type: &'a str,
    pub status: Option<JobStatus>,
    pub limit: u32,
    pub cursor: Option<&'a str>,
}

/// The read model's API.
#[derive(Debug, Clone)]
pub struct ReadModel {
    client: reqwest::Client,
    base: String,
}

impl ReadModel {
    pub fn new(client: reqwest::Client, base: &str) -> ReadModel {
        ReadModel {
            client,
            base: base.to_owned(),
        }
    }

    /// The job as `GET /jobs/{id}` shows it, or `None` while it is unknown.
    pub async fn job(&self, id: Uuid) -> anyhow::Result<Option<JobView>> {
        let url: reqwest::Url = format!("{}/jobs/{id}", self.base).parse()?;
        let detail = self.get_json::<JobDetail>(url, true).await?;
        Ok(detail.map(|detail| detail.job))
    }

    /// One page of the jobs matching `search`, newest first.
    pub async fn page(&self, search: Search<'_>) -> anyhow::Result<JobPage> {
        let mut url: reqwest::Url = format!("{}/jobs", self.base).parse()?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("type", search.job_type);
            query.append_pair("limit", &search.limit.to_string());
            if let Some(status) = search.status {
                query.append_pair("status", status.as_str());
            }
            if let Some(cursor) = search.cursor {
                query.append_pair("cursor", cursor);
            }
        }
        let page = self.get_json(url, false).await?;
        page.context("GET /jobs answered 404")
    }

    /// Every job of the type, page by page.
    pub async fn all_of_type(&self, job_type: &str) -> anyhow::Result<Vec<JobView>> {
        let mut jobs = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let search = Search {
                job_type,
                status: None,
                limit: MAX_PAGE,
                cursor: cursor.as_deref(),
            };
            let page = self.page(search).await?;
            jobs.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(jobs),
            }
        }
    }

    /// Jobs that finished so far, all of them: completed + failed + cancelled from `/stats`.
    pub async fn finished_total(&self) -> anyhow::Result<u64> {
        let url: reqwest::Url = format!("{}/stats", self.base).parse()?;
        let stats: Stats = self.get_json(url, false).await?.context("no /stats")?;
        Ok(stats.completed_jobs + stats.failed_jobs + stats.cancelled_jobs)
    }

    /// GETs JSON; a 404 is `None` when `missing_ok`, every other non-200 an error with the
    /// API's message.
    async fn get_json<T: DeserializeOwned>(
        &self,
        url: reqwest::Url,
        missing_ok: bool,
    ) -> anyhow::Result<Option<T>> {
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let unreachable = |e: &reqwest::Error| http::unreachable("read model", &self.base, e);
        let response = self.client.get(url).send().await;
        let response = response.map_err(|e| anyhow::anyhow!(unreachable(&e)))?;
        let status = response.status().as_u16();
        let body = response.bytes().await;
        let body = body.map_err(|e| anyhow::anyhow!(unreachable(&e)))?;
        match status {
            200 => {}
            404 if missing_ok => return Ok(None),
            _ => {
                let (_, line) = http::describe_error(status, &body);
                bail!(
                    "the read model at {} answered GET {path}: {line}",
                    self.base
                );
            }
        }
        serde_json::from_slice(&body)
            .map(Some)
            .with_context(|| format!("unexpected answer of the read model to GET {path}"))
    }
}
