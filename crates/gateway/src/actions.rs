//! Job actions: cancel a PENDING job, retry a FAILED (dead-lettered) one. They change the job in
//! the job store (guarded by its current state), then tell the rest of the system: a cancellation
//! is a `job.cancelled` event; a retry is a `job.retried` message on the intake queue, which the
//! processors run like a new job with a fresh attempt budget.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use odto_contracts::{EventType, JobAccepted};
use odto_store::jobs::{JobRecord, Transition};
use uuid::Uuid;

use crate::correlation::CorrelationId;
use crate::error::GatewayError;
use crate::routes::AppState;

fn job_id(raw: &str) -> Result<Uuid, GatewayError> {
    odto_contracts::parse_canonical_uuid(raw).ok_or_else(|| GatewayError::InvalidJobId(raw.into()))
}

/// The record a transition changed, or why it did not.
fn changed(
    transition: Transition,
    id: Uuid,
    action: &'static str,
    allowed: &'static str,
) -> Result<JobRecord, GatewayError> {
    match transition {
        Transition::Changed(record) => Ok(record),
        Transition::Refused(record) => Err(GatewayError::InvalidJobState {
            action,
            status: record.job.status,
            allowed,
        }),
        Transition::NotFound => Err(GatewayError::JobNotFound(id)),
    }
}

/// `POST /jobs/{id}/cancel`: PENDING → CANCELLED. 200 with the job; 409 in another state.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(CorrelationId(correlation_id)): Extension<CorrelationId>,
    Path(raw): Path<String>,
) -> Result<Response, GatewayError> {
    let id = job_id(&raw)?;
    let cancelled = state.jobs.cancel(id, Utc::now()).await;
    let record = changed(
        cancelled.map_err(GatewayError::StoreUnavailable)?,
        id,
        "cancel",
        "PENDING",
    )?;
    let event = state
        .intake
        .event(EventType::JobCancelled, &record, &correlation_id);
    let published = state.intake.bus().publish_event(&event).await;
    published.map_err(GatewayError::CancelNotAnnounced)?;
    Ok(Json(record.job).into_response())
}

/// `POST /jobs/{id}/retry`: FAILED → PENDING with a fresh attempt budget, enqueued again.
/// 202 with `JobAccepted`; 409 in another state.
pub async fn retry(
    State(state): State<AppState>,
    Extension(CorrelationId(correlation_id)): Extension<CorrelationId>,
    Path(raw): Path<String>,
) -> Result<Response, GatewayError> {
    let id = job_id(&raw)?;
    let requeued = state.jobs.requeue(id, Utc::now()).await;
    let record = changed(
        requeued.map_err(GatewayError::StoreUnavailable)?,
        id,
        "retry",
        "FAILED",
    )?;
    let event = state
        .intake
        .event(EventType::JobRetried, &record, &correlation_id);
    let enqueued = state.intake.bus().enqueue(&event).await;
    enqueued.map_err(GatewayError::RetryNotEnqueued)?;
    let accepted = JobAccepted {
        job_id: id,
        event_id: event.event_id,
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}
