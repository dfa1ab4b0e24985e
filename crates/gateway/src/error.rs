//! The gateway's failures, each mapped to one stable JSON error code and HTTP status, and
//! logged in one place: where a failure becomes an answer ([`ApiError::from`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use odto_bus::BusError;
use odto_contracts::{JobStatus, Violation};
use odto_http::{ApiError, ErrorDetail};
use odto_store::StoreError;
use uuid::Uuid;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Broker(BusError),
    #[error("invalid Redis settings: {0}")]
    Redis(#[from] StoreError),
}

/// Why a request failed. For a submission, nothing was published in any of these cases (for
/// `Broker`: nothing the gateway reported as accepted).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("request body could not be read: {0}")]
    UnreadableBody(String),
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the job does not satisfy the contract")]
    InvalidJob(Vec<Violation>),
    #[error("the Idempotency-Key header and the idempotencyKey field differ")]
    IdempotencyKeyMismatch,
    #[error("the Idempotency-Key header must be 1 to 255 visible ASCII characters")]
    InvalidIdempotencyKey,
    #[error("this idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is still being processed")]
    IdempotencyKeyInProgress,
    #[error("idempotency keys are unavailable: {0}")]
    IdempotencyUnavailable(StoreError),
    #[error("the job could not be stored on the message broker: {0}")]
    Broker(BusError),
    #[error("{0} is not a canonical UUID")]
    InvalidJobId(String),
    #[error("no job {0}")]
    JobNotFound(Uuid),
    #[error("cannot {action} a {status} job; only {allowed} jobs")]
    InvalidJobState {
        action: &'static str,
        status: JobStatus,
        allowed: &'static str,
    },
    #[error("the job store is unavailable: {0}")]
    StoreUnavailable(StoreError),
    #[error("cancelled, but the event was not published: {0}")]
    CancelNotAnnounced(BusError),
    #[error("the job is PENDING again but was not enqueued: {0}; retry the request")]
    RetryNotEnqueued(BusError),
}

impl GatewayError {
    /// The stable machine-readable code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooLarge { .. } => "payload_too_large",
            Self::UnreadableBody(_) => "unreadable_body",
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidJob(_) => "invalid_job",
            Self::IdempotencyKeyMismatch => "idempotency_key_mismatch",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInProgress => "idempotency_key_in_progress",
            Self::IdempotencyUnavailable(_) => "idempotency_unavailable",
            Self::Broker(_) | Self::CancelNotAnnounced(_) | Self::RetryNotEnqueued(_) => {
                "broker_unavailable"
            }
            Self::InvalidJobId(_) => "invalid_job_id",
            Self::JobNotFound(_) => "job_not_found",
            Self::InvalidJobState { .. } => "invalid_job_state",
            Self::StoreUnavailable(_) => "store_unavailable",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnreadableBody(_)
            | Self::MalformedJson(_)
            | Self::InvalidJob(_)
            | Self::IdempotencyKeyMismatch
            | Self::InvalidIdempotencyKey
            | Self::InvalidJobId(_) => StatusCode::BAD_REQUEST,
            Self::JobNotFound(_) => StatusCode::NOT_FOUND,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::IdempotencyKeyInProgress | Self::InvalidJobState { .. } => StatusCode::CONFLICT,
            Self::IdempotencyUnavailable(_)
            | Self::Broker(_)
            | Self::StoreUnavailable(_)
            | Self::CancelNotAnnounced(_)
            | Self::RetryNotEnqueued(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Seconds a client should wait before retrying, when retrying can help.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::IdempotencyKeyInProgress => Some(1),
            Self::IdempotencyUnavailable(_)
            | Self::Broker(_)
            | Self::StoreUnavailable(_)
            | Self::CancelNotAnnounced(_)
            | Self::RetryNotEnqueued(_) => Some(2),
            _ => None,
        }
    }
}

impl From<GatewayError> for ApiError {
    fn from(error: GatewayError) -> Self {
        if error.status().is_server_error() {
            tracing::warn!(code = error.code(), %error, "request failed");
        }
        let details = match &error {
            GatewayError::InvalidJob(violations) => violations.iter().map(detail).collect(),
            _ => Vec::new(),
        };
        let api =
            ApiError::new(error.status(), error.code(), error.to_string()).with_details(details);
        match error.retry_after() {
            Some(seconds) => api.with_retry_after(seconds),
            None => api,
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

fn detail(violation: &Violation) -> ErrorDetail {
    ErrorDetail {
        path: violation.path.clone(),
        message: violation.message.clone(),
    }
}
