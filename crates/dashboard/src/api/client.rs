//! The HTTP client of the dashboard: one method per endpoint it reads or acts on. Every request
//! has a timeout (set on the client), so a hung service shows as down instead of freezing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_contracts::read_api::{Alert, DeadLetterPage, JobDetail, JobPage, JobView, Stats};
use odto_contracts::{JobAccepted, JobStatus};
use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Jobs the dashboard lists at once (the read model allows up to 500).
pub const JOB_LIMIT: u32 = 100;
/// Dead letters the dead-letter view lists at once.
pub const DEAD_LETTER_LIMIT: u32 = 100;

/// Why a request gave no usable answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No answer at all: refused, reset, or past the timeout. The service counts as down.
    #[error("{0}")]
    Unreachable(String),
    /// An HTTP error answer, with the service's stable error code when it sent one.
    #[error("HTTP {status}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
    },
    /// An answer the dashboard cannot read.
    #[error("unreadable answer: {0}")]
    Decode(String),
}

impl FetchError {
    /// True when the service did not answer (as opposed to answering with an error).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Status { status: 404, .. })
    }

    fn from_reqwest(error: reqwest::Error, timeout: Duration) -> Self {
        if error.is_timeout() {
            return Self::Unreachable(format!("no answer within {}", human(timeout)));
        }
        if error.is_decode() {
            return Self::Decode(innermost(&error));
        }
        Self::Unreachable(innermost(&error))
    }
}

/// The deepest cause of an error, e.g. "Connection refused (os error 111)": the outer layers
/// only repeat the URL, which the screen shows elsewhere.
fn innermost(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn human(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

/// `GET /alerts`: the alerts firing, and when the alert source was last heard from (its
/// Watchdog; `None` when never, or from a read model that does not say).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertsAnswer {
    pub alerts: Vec<Alert>,
    pub source_heard_at: Option<DateTime<Utc>>,
}

impl AlertsAnswer {
    /// Reads the heard time from the answer's headers; a value that is not RFC 3339 counts as
    /// absent.
    fn new(alerts: Vec<Alert>, headers: &HeaderMap) -> AlertsAnswer {
        let source_heard_at = headers
            .get(Alert::SOURCE_HEARD_AT_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.with_timezone(&Utc));
        AlertsAnswer {
            alerts,
            source_heard_at,
        }
    }
}

/// Which jobs the table lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    /// Already checked against the contract's job-type alphabet, so it needs no escaping.
    pub job_type: Option<String>,
}

impl JobFilter {
    pub fn is_active(&self) -> bool {
        self.status.is_some() || self.job_type.is_some()
    }

    fn query(&self, limit: u32) -> String {
        let mut query = format!("limit={limit}");
        if let Some(status) = self.status {
            query.push_str(&format!("&status={status}"));
        }
        if let Some(job_type) = &self.job_type {
            query.push_str(&format!("&type={job_type}"));
        }
        query
    }
}

/// The read model (reads) and the gateway (writes), over HTTP.
#[derive(Clone, Debug)]
pub struct Api {
    http: Client,
    read_model: String,
    gateway: String,
    timeout: Duration,
}

impl Api {
    pub fn new(read_model: &str, gateway: &str, timeout: Duration) -> anyhow::Result<Api> {
        let http = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("odd-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Api {
            http,
            read_model: read_model.trim_end_matches('/').to_owned(),
            gateway: gateway.trim_end_matches('/').to_owned(),
            timeout,
        })
    }

    pub async fn stats(&self) -> Result<Stats, FetchError> {
        self.read("/stats").await
    }

    pub async fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobView>, FetchError> {
        let path = format!("/jobs?{}", filter.query(JOB_LIMIT));
        Ok(self.read::<JobPage>(&path).await?.items)
    }

    pub async fn job(&self, id: &str) -> Result<JobDetail, FetchError> {
        self.read(&format!("/jobs/{id}")).await
    }

    pub async fn alerts(&self) -> Result<AlertsAnswer, FetchError> {
        let request = self.http.get(format!("{}/alerts", self.read_model));
        let (alerts, headers) = self.send_keeping_headers(request).await?;
        Ok(AlertsAnswer::new(alerts, &headers))
    }

    pub async fn dead_letters(&self) -> Result<DeadLetterPage, FetchError> {
        self.read(&format!("/dlq?limit={DEAD_LETTER_LIMIT}")).await
    }

    /// The gateway's liveness probe: whether a submission could reach it.
    pub async fn gateway_health(&self) -> Result<(), FetchError> {
        let request = self.http.get(format!("{}/healthz", self.gateway));
        self.send::<Value>(request).await.map(|_| ())
    }

    /// `POST /jobs` with a short-form body.
    pub async fn submit(&self, body: &Value) -> Result<JobAccepted, FetchError> {
        let request = self.http.post(format!("{}/jobs", self.gateway)).json(body);
        self.send(request).await
    }

    /// `POST /jobs/{id}/retry`: a FAILED (dead-lettered) job runs again.
    pub async fn retry(&self, id: &str) -> Result<JobAccepted, FetchError> {
        let request = self.http.post(format!("{}/jobs/{id}/retry", self.gateway));
        self.send(request).await
    }

    async fn read<T: DeserializeOwned>(&self, path: &str) -> Result<T, FetchError> {
        self.send(self.http.get(format!("{}{path}", self.read_model)))
            .await
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, FetchError> {
        Ok(self.send_keeping_headers(request).await?.0)
    }

    /// The answer's body, and its headers.
    async fn send_keeping_headers<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<(T, HeaderMap), FetchError> {
        let timeout = self.timeout;
        let response = request
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(e, timeout))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| FetchError::from_reqwest(e, timeout))?;
        if !status.is_success() {
            return Err(error_answer(status, &body));
        }
        let value = serde_json::from_slice(&body).map_err(|e| FetchError::Decode(e.to_string()))?;
        Ok((value, headers))
    }
}

/// Reads the services' error shape `{"error": {"code", "message"}}`, or falls back to the
/// status line for anything else (a proxy's HTML page, an empty body).
fn error_answer(status: StatusCode, body: &[u8]) -> FetchError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.pointer(&format!("/error/{name}")))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    FetchError::Status {
        status: status.as_u16(),
        code: field("code").unwrap_or_default(),
        message: field("message")
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_query_strings_the_read_model_understands() {
        let none = JobFilter::default();
        assert_eq!(none.query(100), "limit=100");
        let both = JobFilter {
            status: Some(JobStatus::Failed),
            job_type: Some("email.send".into()),
        };
        assert_eq!(both.query(5), "limit=5&status=FAILED&type=email.send");
    }

    #[test]
    fn the_heard_time_is_read_from_its_header_and_a_bad_one_is_absent() {
        let mut headers = HeaderMap::new();
        let answer = |headers: &HeaderMap| AlertsAnswer::new(vec![], headers).source_heard_at;
        assert_eq!(answer(&headers), None);
        headers.insert(
            Alert::SOURCE_HEARD_AT_HEADER,
            "2025-01-01T13:00:00+01:00".parse().unwrap(),
        );
        let expected = DateTime::from_timestamp(1_735_732_800, 0);
        assert_eq!(answer(&headers), expected);
        headers.insert(Alert::SOURCE_HEARD_AT_HEADER, "yesterday".parse().unwrap());
        assert_eq!(answer(&headers), None);
    }

    #[test]
    fn error_answers_keep_the_services_code_and_message() {
        let body = br#"{"error": {"code": "invalid_job_state", "message": "cannot retry"}}"#;
        let error = error_answer(StatusCode::CONFLICT, body);
        assert_eq!(error.to_string(), "HTTP 409: cannot retry");
        let html = error_answer(StatusCode::NOT_FOUND, b"<html>");
        assert!(html.is_not_found());
        assert_eq!(html.to_string(), "HTTP 404: Not Found");
    }
}
