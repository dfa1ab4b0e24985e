//! Correlation ids: every request gets one (the client's `X-Correlation-Id` when it is usable,
//! else a fresh UUID), it is echoed on every response and carried into the events.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-correlation-id";
const MAX_LEN: usize = 128;

/// The correlation id of the current request, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

/// Middleware: assigns the correlation id and echoes it on the response.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(usable)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let echoed = HeaderValue::from_str(&id).ok();
    // Every log line written while handling this request carries the correlation id.
    let span = tracing::info_span!("request", correlation_id = %id);
    request.extensions_mut().insert(CorrelationId(id));
    let mut response = next.run(request).instrument(span).await;
    if let Some(value) = echoed {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// Any printable string of 1 to 128 characters is kept as it is: a client's id never fails a
/// request (the reference answered 500 to non-UUID ids).
fn usable(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    (!text.is_empty() && text.len() <= MAX_LEN).then(|| text.to_owned())
}
