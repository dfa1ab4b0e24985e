//! Submitting to the gateway: `POST /jobs` and `POST /jobs/batch`, each answer read into what the
//! caller needs (the accepted ids, or why not).

use std::fmt;

use bytes::Bytes;
use odto_contracts::JobAccepted;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use uuid::Uuid;

use super::http;

/// Why a submission was not accepted.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The gateway answered with an error: the HTTP status, the API's stable code and a
    /// one-line description.
    Answered {
        status: u16,
        code: String,
        line: String,
    },
    /// No answer (connection refused or reset, timeout), or one that is not the API's.
    NoAnswer(String),
}

impl Refusal {
    /// Whether sending the same request again is pointless: the gateway refused the request
    /// itself (4xx), not for want of a backend.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Refusal::Answered { status, .. } if (400..500).contains(status))
    }

    /// A short key to count refusals by: the API's error code, or `no_answer`.
    pub fn code(&self) -> &str {
        match self {
            Refusal::Answered { code, .. } => code,
            Refusal::NoAnswer(_) => "no_answer",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Answered { line, .. } | Refusal::NoAnswer(line) => f.write_str(line),
        }
    }
}

/// A 202: the job, and whether the gateway replayed an earlier answer (same idempotency key).
#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    pub job: JobAccepted,
    pub replayed: bool,
}

/// The gateway's write API.
#[derive(Debug, Clone)]
pub struct Gateway {
    client: reqwest::Client,
    base: String,
    jobs: reqwest::Url,
    batch: reqwest::Url,
}

impl Gateway {
    pub fn new(client: reqwest::Client, base: &str) -> anyhow::Result<Gateway> {
        Ok(Gateway {
            client,
            base: base.to_owned(),
            jobs: format!("{base}/jobs").parse()?,
            batch: format!("{base}/jobs/batch").parse()?,
        })
    }

    /// `POST /jobs` with a JSON body made once by the caller (a `Bytes` clone is a reference
    /// count, so a load generator reuses one body for every request).
    pub async fn submit(
        &self,
        body: Bytes,
        correlation_id: Option<&str>,
    ) -> Result<Accepted, Refusal> {
        let mut request = self
            .client
            .post(self.jobs.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        if let Some(id) = correlation_id {
            request = request.header("x-correlation-id", id);
        }
        let response = request.send().await.map_err(|e| self.no_answer(&e))?;
        let status = response.status().as_u16();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let body = response.bytes().await.map_err(|e| self.no_answer(&e))?;
        if status != 202 {
            let (code, line) = http::describe_error(status, &body);
            return Err(Refusal::Answered { status, code, line });
        }
        let job = serde_json::from_slice(&body).map_err(|e| self.foreign(&e))?;
        Ok(Accepted { job, replayed })
    }

    /// `POST /jobs/batch` with `{"jobs": [...]}`. The accepted ids come back in order; when the
    /// gateway accepted only part of the batch, the ids it did accept (named in the error's
    /// details) come back with the refusal, so that the caller can still follow them.
    pub async fn submit_batch(&self, body: Bytes) -> Result<Vec<Uuid>, (Vec<Uuid>, Refusal)> {
        let request = self
            .client
            .post(self.batch.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        let no_answer = |e: &reqwest::Error| (Vec::new(), self.no_answer(e));
        let response = request.send().await.map_err(|e| no_answer(&e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| no_answer(&e))?;
        if status == 202 {
            let batch: BatchAccepted =
                serde_json::from_slice(&body).map_err(|e| (Vec::new(), self.foreign(&e)))?;
            return Ok(batch.jobs.into_iter().map(|j| j.job_id).collect());
        }
        let (code, line) = http::describe_error(status, &body);
        let refusal = Refusal::Answered { status, code, line };
        Err((accepted_in_details(&body), refusal))
    }

    fn no_answer(&self, error: &reqwest::Error) -> Refusal {
        Refusal::NoAnswer(http::unreachable("gateway", &self.base, error))
    }

    fn foreign(&self, error: &serde_json::Error) -> Refusal {
        let line = format!(
            "the gateway at {} sent a 202 that is not JobAccepted: {error}",
            self.base
        );
        Refusal::NoAnswer(line)
    }
}

#[derive(Deserialize)]
struct BatchAccepted {
    jobs: Vec<JobAccepted>,
}

/// The ids a partially accepted batch did accept: details saying `accepted as job <id>`.
fn accepted_in_details(body: &[u8]) -> Vec<Uuid> {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let details = value["error"]["details"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    details
        .iter()
        .filter_map(|d| {
            d["message"]
                .as_str()?
                .strip_prefix("accepted as job ")?
                .parse()
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partially_accepted_batch_names_the_jobs_it_did_accept() {
        let id = Uuid::now_v7();
        let body = serde_json::json!({"error": {
        "code": "batch_partially_accepted",
        "message": "some jobs of the batch were not accepted; see details",
        "details": [
            {"path": "/jobs/0", "message": format!("accepted as job {id}")},
            {"path": "/jobs/1", "message": "not accepted (broker_unavailable): broker down"},
        ]}});

        let accepted = accepted_in_details(body.to_string().as_bytes());

        assert_eq!(accepted, vec![id]);
    }
}
