//! The read model's failures, each mapped to one stable JSON error code and HTTP status, and
//! logged in one place: where a failure becomes an answer ([`ApiError::from`]).

use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use odto_bus::BusError;
use odto_http::{ApiError, ErrorDetail};
use odto_store::StoreError;
use uuid::Uuid;

/// Why the read model could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid settings: {0}")]
    Config(String),
    #[error("invalid Redis settings: {0}")]
    Redis(StoreError),
    #[error("invalid RabbitMQ settings: {0}")]
    Broker(BusError),
}

/// Why a read could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("query parameter {parameter}: {message}")]
    InvalidQuery {
        parameter: &'static str,
        message: String,
    },
    #[error("job id {0:?} is not a canonical UUID")]
    InvalidJobId(String),
    #[error("no job {0}")]
    JobNotFound(Uuid),
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    #[error("store did not answer within {0:?}")]
    StoreTimeout(Duration),
    #[error("store holds unreadable data: {0}")]
    StoreCorrupt(String),
    #[error("message broker management API unavailable: {0}")]
    BrokerUnavailable(String),
    #[error("the webhook needs `Authorization: Bearer <token>`")]
    WebhookTokenMissing,
    #[error("the webhook's bearer token is wrong")]
    WebhookTokenWrong,
    #[error("the body is not JSON: {0}")]
    MalformedJson(String),
    /// Each detail names a field of the payload (a JSON pointer) and what is wrong with it.
    #[error("the body is not an Alertmanager webhook payload (version 4)")]
    InvalidAlertPayload(Vec<ErrorDetail>),
    #[error("request body over the limit: {0}")]
    BodyTooLarge(String),
    #[error("the request body could not be read: {0}")]
    UnreadableBody(String),
}

impl ReadError {
    pub fn invalid_query(parameter: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidQuery {
            parameter,
            message: message.into(),
        }
    }

    /// A store reports a cursor it did not issue as unreadable data ([`StoreError::Corrupt`]):
    /// when the request carried a cursor, that is the client's mistake, not the store's.
    pub fn blame_cursor(self, cursor_given: bool) -> Self {
        match self {
            Self::StoreCorrupt(why) if cursor_given => {
                tracing::debug!(%why, "cursor refused by the store");
                Self::invalid_query("cursor", "is not a cursor this API handed out")
            }
            other => other,
        }
    }

    /// The stable machine-readable code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidQuery { .. } => "invalid_query",
            Self::InvalidJobId(_) => "invalid_job_id",
            Self::JobNotFound(_) => "job_not_found",
            Self::StoreUnavailable(_) | Self::StoreTimeout(_) => "store_unavailable",
            Self::StoreCorrupt(_) => "store_data_unreadable",
            Self::BrokerUnavailable(_) => "broker_unavailable",
            Self::WebhookTokenMissing | Self::WebhookTokenWrong => "unauthorized",
            Self::MalformedJson(_) => "malformed_json",
            Self::InvalidAlertPayload(_) => "invalid_alert_payload",
            Self::BodyTooLarge(_) => "payload_too_large",
            Self::UnreadableBody(_) => "unreadable_body",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidQuery { .. }
            | Self::InvalidJobId(_)
            | Self::MalformedJson(_)
            | Self::InvalidAlertPayload(_)
            | Self::UnreadableBody(_) => StatusCode::BAD_REQUEST,
            Self::WebhookTokenMissing | Self::WebhookTokenWrong => StatusCode::UNAUTHORIZED,
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::JobNotFound(_) => StatusCode::NOT_FOUND,
            Self::StoreUnavailable(_) | Self::StoreTimeout(_) | Self::BrokerUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::StoreCorrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told: backend details (hosts, SQL) stay in the log.
    fn public_message(&self) -> String {
        match self {
            Self::StoreUnavailable(_) | Self::StoreTimeout(_) => {
                "a backing store is unreachable; retry later".into()
            }
            Self::StoreCorrupt(_) => "a backing store holds data this version cannot read".into(),
            Self::BrokerUnavailable(_) => {
                "the message broker's management API is unreachable; retry later".into()
            }
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for ReadError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(message) => Self::StoreUnavailable(message),
            StoreError::Corrupt(message) => Self::StoreCorrupt(message),
        }
    }
}

impl From<BusError> for ReadError {
    fn from(error: BusError) -> Self {
        Self::BrokerUnavailable(error.to_string())
    }
}

impl From<QueryRejection> for ReadError {
    fn from(rejection: QueryRejection) -> Self {
        ReadError::invalid_query("query", rejection.body_text())
    }
}

impl From<ReadError> for ApiError {
    fn from(error: ReadError) -> Self {
        match &error {
            ReadError::StoreCorrupt(_) => tracing::error!(%error, "read failed"),
            ReadError::StoreUnavailable(_)
            | ReadError::StoreTimeout(_)
            | ReadError::BrokerUnavailable(_) => tracing::warn!(%error, "read failed"),
            // Alertmanager does not retry a 4xx: what it sent is lost, so say so.
            ReadError::WebhookTokenMissing
            | ReadError::WebhookTokenWrong
            | ReadError::MalformedJson(_)
            | ReadError::InvalidAlertPayload(_)
            | ReadError::BodyTooLarge(_) => tracing::warn!(%error, "alert webhook refused"),
            _ => {}
        }
        let api = ApiError::new(error.status(), error.code(), error.public_message());
        match &error {
            ReadError::InvalidQuery { parameter, message } => {
                api.with_details(vec![ErrorDetail::new(*parameter, message.clone())])
            }
            ReadError::InvalidJobId(_) => {
                api.with_details(vec![ErrorDetail::new("id", "must be a canonical UUID")])
            }
            ReadError::StoreUnavailable(_) | ReadError::StoreTimeout(_) => api.with_retry_after(2),
            ReadError::BrokerUnavailable(_) => api.with_retry_after(5),
            ReadError::InvalidAlertPayload(details) => api.with_details(details.clone()),
            _ => api,
        }
    }
}

impl IntoResponse for ReadError {
    fn into_response(self) -> Response {
        let challenge = matches!(self, Self::WebhookTokenMissing | Self::WebhookTokenWrong);
        let mut response = ApiError::from(self).into_response();
        if challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
