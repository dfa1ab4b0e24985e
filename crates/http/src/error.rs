//! The one JSON error shape every service answers with:
//! `{"error":{"code":"<stable_code>","message":"…","details":[…]}}`.
//!
//! Clients branch on `code`, which is stable; `message` is for people and may change.

use std::borrow::Cow;
use std::fmt;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to an HTTP client as JSON, with a stable machine-readable `code`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    details: Vec<ErrorDetail>,
    retry_after: Option<u64>,
}

/// One precise complaint about the request, e.g. a field that failed validation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorDetail {
    /// Where in the request the problem is (a JSON pointer such as `/payload/size`, or a header name).
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl ErrorDetail {
    /// A detail about `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl ApiError {
    /// An error with the given status, stable `code` (snake_case) and human message.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// Attaches per-field details (replacing any already set).
    pub fn with_details(mut self, details: Vec<ErrorDetail>) -> Self {
        self.details = details;
        self
    }

    /// Tells the client when to try again; answered as a `Retry-After` header (seconds).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 404 with code `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 400 with the given code.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 503 with the given code and a `Retry-After` header: a dependency is down, the request
    /// may succeed later.
    pub fn service_unavailable(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        retry_after_secs: u64,
    ) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message).with_retry_after(retry_after_secs)
    }

    /// 500 with code `internal`. Keep internals (SQL, hostnames) out of `message`; log them instead.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The per-field details.
    pub fn details(&self) -> &[ErrorDetail] {
        &self.details
    }

    /// Seconds after which the client may retry, if set.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

// `details` is always present (possibly empty) so clients never need a null check.
#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    details: &'a [ErrorDetail],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let envelope = Envelope {
            error: Body {
                code: &self.code,
                message: &self.message,
                details: &self.details,
            },
        };
        // `Json` sets `content-type: application/json`.
        let mut response = (self.status, Json(envelope)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Maps axum's JSON body rejections onto stable codes, so `Json<T>` extractors never answer
/// plain text. Use `Result<Json<T>, JsonRejection>` in handlers or `?` with this conversion.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match status {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
            _ => "malformed_json",
        };
        Self::new(status, code, rejection.body_text())
    }
}

/// Maps axum's query-string rejections onto code `invalid_query` (400).
impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            rejection.body_text(),
        )
    }
}

/// Router fallback: unknown routes answer 404 JSON with code `route_not_found` instead of an
/// empty body. Use with `Router::fallback(route_not_found)`.
pub async fn route_not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!("no route for {}", uri.path()),
    )
}

/// Method fallback: a known path with the wrong method answers 405 JSON with code
/// `method_not_allowed`. Use with `Router::method_not_allowed_fallback(method_not_allowed)`;
/// axum still adds the `Allow` header.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
