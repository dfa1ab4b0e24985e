//! Job actions: cancel a PENDING job, retry a FAILED (dead-lettered) one. They change the job in
//! the job store (guarded by its current state), then tell the rest of the system: a cancellation
//! is a `job.cancelled` event; a retry is a `job.retried` message on the intake queue, which the
//! processors run like a new job with a fresh attempt budget.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use odto_contracts::{EventEnvelope, EventType, JobAccepted};
use odto_http::ApiError;
use odto_store::StoreError;
use odto_store::jobs::{JobRecord, JobStore, Transition};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::correlation::CorrelationId;
use crate::routes::AppState;

/// Where the job store comes from: given, or connected on first use (so that submitting jobs
/// never depends on PostgreSQL).
pub enum JobStoreSource {
    Ready(Arc<dyn JobStore>),
    Connect(odto_store::postgres::PgSettings),
}

impl std::fmt::Debug for JobStoreSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ready(_) => f.write_str("Ready"),
            Self::Connect(settings) => f.debug_tuple("Connect").field(settings).finish(),
        }
    }
}

/// The job store of the actions, connected at most once.
pub struct Actions {
    source: JobStoreSource,
    store: OnceCell<Arc<dyn JobStore>>,
}

impl std::fmt::Debug for Actions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actions").finish_non_exhaustive()
    }
}

impl Actions {
    pub fn new(source: JobStoreSource) -> Self {
        Self {
            source,
            store: OnceCell::new(),
        }
    }

    async fn store(&self) -> Result<&Arc<dyn JobStore>, ApiError> {
        self.store
            .get_or_try_init(|| async {
                match &self.source {
                    JobStoreSource::Ready(store) => Ok(store.clone()),
                    JobStoreSource::Connect(settings) => {
                        let store = odto_store::postgres::PgStore::connect(settings).await?;
                        Ok::<_, StoreError>(Arc::new(store) as Arc<dyn JobStore>)
                    }
                }
            })
            .await
            .map_err(store_unavailable)
    }
}

fn store_unavailable(error: StoreError) -> ApiError {
    ApiError::service_unavailable(
        "store_unavailable",
        format!("the job store is unavailable: {error}"),
        2,
    )
}

fn job_id(raw: &str) -> Result<Uuid, ApiError> {
    odto_contracts::parse_canonical_uuid(raw).ok_or_else(|| {
        ApiError::bad_request("invalid_job_id", format!("{raw} is not a canonical UUID"))
    })
}

fn refused(record: &JobRecord, action: &str, allowed: &str) -> ApiError {
    let message = format!(
        "cannot {action} a {} job; only {allowed} jobs",
        record.job.status
    );
    ApiError::new(StatusCode::CONFLICT, "invalid_job_state", message)
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "job_not_found",
        format!("no job {id}"),
    )
}

/// `POST /jobs/{id}/cancel`: PENDING → CANCELLED. 200 with the job; 409 in another state.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(CorrelationId(correlation_id)): Extension<CorrelationId>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = job_id(&raw)?;
    let store = state.actions.store().await?;
    let record = match store
        .cancel(id, Utc::now())
        .await
        .map_err(store_unavailable)?
    {
        Transition::Changed(record) => record,
        Transition::Refused(record) => return Err(refused(&record, "cancel", "PENDING")),
        Transition::NotFound => return Err(not_found(id)),
    };
    let event = state
        .intake
        .event(EventType::JobCancelled, &record, &correlation_id);
    state
        .intake
        .bus()
        .publish_event(&event)
        .await
        .map_err(|e| {
            ApiError::service_unavailable(
                "broker_unavailable",
                format!("cancelled, but the event was not published: {e}"),
                2,
            )
        })?;
    Ok(Json(record.job).into_response())
}

/// `POST /jobs/{id}/retry`: FAILED → PENDING with a fresh attempt budget, enqueued again.
/// 202 with `JobAccepted`; 409 in another state.
pub async fn retry(
    State(state): State<AppState>,
    Extension(CorrelationId(correlation_id)): Extension<CorrelationId>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = job_id(&raw)?;
    let store = state.actions.store().await?;
    let record = match store
        .requeue(id, Utc::now())
        .await
        .map_err(store_unavailable)?
    {
        Transition::Changed(record) => record,
        Transition::Refused(record) => return Err(refused(&record, "retry", "FAILED")),
        Transition::NotFound => return Err(not_found(id)),
    };
    let event: EventEnvelope = state
        .intake
        .event(EventType::JobRetried, &record, &correlation_id);
    state.intake.bus().enqueue(&event).await.map_err(|e| {
        ApiError::service_unavailable(
            "broker_unavailable",
            format!("the job is PENDING again but was not enqueued: {e}; retry the request"),
            2,
        )
    })?;
    let accepted = JobAccepted {
        job_id: id,
        event_id: event.event_id,
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}
