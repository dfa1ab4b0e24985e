//! The gateway's HTTP API: every route in [`router`], handlers below it.

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router, middleware};
use chrono::Utc;
use futures_util::future::join_all;
use odto_contracts::{JobAccepted, Submission, Violation, parse_submission};
use odto_http::{ApiError, ErrorDetail, Readiness, instrument};
use odto_store::jobs::JobStore;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::actions;
use crate::correlation::{self, CorrelationId};
use crate::error::GatewayError;
use crate::intake::{Intake, Submitted};
use crate::metrics::GatewayMetrics;
use crate::{openapi, request};

/// Most jobs one batch may carry.
pub const MAX_BATCH: usize = 1_000;

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub intake: Intake,
    /// The job store, for cancel and retry (submitting never needs it).
    pub jobs: Arc<dyn JobStore>,
    pub metrics: GatewayMetrics,
    pub max_body_bytes: usize,
    /// `Location` of an accepted job: this base + `/jobs/{id}` (the read model serves it).
    pub job_location_base: String,
}

/// Every route of the gateway.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.service.clone();
    let routes = Router::new()
        .route("/jobs", post(submit_job))
        .route("/jobs/batch", post(submit_batch))
        .route("/jobs/{id}/cancel", post(actions::cancel))
        .route("/jobs/{id}/retry", post(actions::retry))
        .with_state(state.clone())
        .merge(odto_http::probes_route(
            "gateway",
            metrics.clone(),
            Arc::new(state),
        ))
        .merge(odto_http::openapi_route(
            "/openapi.json",
            openapi::document(),
        ))
        .merge(odto_http::swagger_ui("/openapi.json"))
        .fallback(odto_http::route_not_found)
        .method_not_allowed_fallback(odto_http::method_not_allowed);
    instrument(routes, metrics).layer(middleware::from_fn(correlation::assign))
}

/// `POST /jobs`: one job, full or short form.
async fn submit_job(
    State(state): State<AppState>,
    Extension(CorrelationId(correlation_id)): Extension<CorrelationId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let outcome = async {
        let (submission, key, fingerprint) = read_submission(&state, &headers, body).await?;
        state
            .intake
            .submit(submission, key.as_deref(), &fingerprint, &correlation_id)
            .await
    };
    match outcome.await {
        Ok(outcome) => accepted(&state, outcome),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// Parses and validates one submission; refusals are counted here, before the intake.
async fn read_submission(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Submission, Option<String>, String), GatewayError> {
    let parsed = async {
        request::require_json(headers)?;
        let header_key = request::header_key(headers)?;
        let value = request::read_json(headers, body, state.max_body_bytes).await?;
        let submission = parse(&value)?;
        let key = request::effective_key(header_key, submission.idempotency_key.clone())?;
        let fingerprint = key
            .as_ref()
            .map(|_| request::fingerprint(&value))
            .unwrap_or_default();
        Ok((submission, key, fingerprint))
    };
    parsed
        .await
        .inspect_err(|error| state.metrics.record_rejection(error))
}

fn parse(value: &Value) -> Result<Submission, GatewayError> {
    parse_submission(value, Utc::now(), Uuid::now_v7).map_err(GatewayError::InvalidJob)
}

/// 202 with the `JobAccepted` body, its `Location`, and whether it was a replay.
fn accepted(state: &AppState, outcome: Submitted) -> Response {
    let body = outcome.accepted();
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    let location = format!("{}/jobs/{}", state.job_location_base, body.job_id);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if matches!(outcome, Submitted::Replayed(_)) {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// `POST /jobs/batch`: `{"jobs": [...]}`, each item in either form. Validation is
/// all-or-nothing (nothing is published if any item is invalid); publishing is per item.
async fn submit_batch(
    State(state): State<AppState>,
    Extension(CorrelationId(correlation_id)): Extension<CorrelationId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let submissions = match read_batch(&state, &headers, body).await {
        Ok(submissions) => submissions,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let outcomes = join_all(submissions.into_iter().map(|(submission, fingerprint)| {
        let key = submission.idempotency_key.clone();
        let intake = &state.intake;
        let correlation_id = &correlation_id;
        async move {
            intake
                .submit(submission, key.as_deref(), &fingerprint, correlation_id)
                .await
        }
    }))
    .await;
    batch_response(outcomes)
}

async fn read_batch(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(Submission, String)>, GatewayError> {
    let parsed = async {
        request::require_json(headers)?;
        let value = request::read_json(headers, body, state.max_body_bytes).await?;
        let items = value
            .get("jobs")
            .and_then(Value::as_array)
            .filter(|jobs| (1..=MAX_BATCH).contains(&jobs.len()));
        let Some(items) = items else {
            let message = format!("must be an array of 1 to {MAX_BATCH} jobs");
            return Err(GatewayError::InvalidJob(vec![Violation::new(
                "/jobs", message,
            )]));
        };
        let mut submissions = Vec::with_capacity(items.len());
        let mut violations = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match parse(item) {
                Ok(submission) => submissions.push((submission, request::fingerprint(item))),
                Err(GatewayError::InvalidJob(found)) => violations.extend(
                    found
                        .into_iter()
                        .map(|v| Violation::new(format!("/jobs/{index}{}", v.path), v.message)),
                ),
                Err(other) => return Err(other),
            }
        }
        if violations.is_empty() {
            Ok(submissions)
        } else {
            Err(GatewayError::InvalidJob(violations))
        }
    };
    parsed
        .await
        .inspect_err(|error| state.metrics.record_rejection(error))
}

/// 202 when every item was accepted; otherwise the first failure's status, with one detail per
/// item saying what became of it, so the client can resubmit exactly the failed ones.
fn batch_response(outcomes: Vec<Result<Submitted, GatewayError>>) -> Response {
    if outcomes.iter().all(Result::is_ok) {
        let jobs: Vec<JobAccepted> = outcomes.iter().flatten().map(Submitted::accepted).collect();
        return (StatusCode::ACCEPTED, Json(json!({ "jobs": jobs }))).into_response();
    }
    let details = outcomes
        .iter()
        .enumerate()
        .map(|(index, outcome)| {
            let message = match outcome {
                Ok(outcome) => format!("accepted as job {}", outcome.accepted().job_id),
                Err(error) => format!("not accepted ({}): {error}", error.code()),
            };
            ErrorDetail::new(format!("/jobs/{index}"), message)
        })
        .collect();
    let first_error = outcomes.into_iter().find_map(Result::err);
    let error = first_error
        .map(ApiError::from)
        .unwrap_or_else(|| ApiError::internal("batch"));
    let message = "some jobs of the batch were not accepted; see details";
    ApiError::new(error.status(), "batch_partially_accepted", message)
        .with_details(details)
        .with_retry_after(error.retry_after().unwrap_or(1))
        .into_response()
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("intake", &self.intake)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("job_location_base", &self.job_location_base)
            .finish_non_exhaustive()
    }
}

/// Ready while the broker is connected, so that a submission can be made durable now.
#[async_trait]
impl Readiness for AppState {
    async fn check(&self) -> Vec<(&'static str, bool)> {
        let broker = self.intake.bus().is_connected();
        self.metrics.set_broker_up(broker);
        vec![("broker", broker)]
    }
}
