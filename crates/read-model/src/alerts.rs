//! Handlers of the alert routes: `POST /alerts/webhook`, where Alertmanager reports what fires
//! and what is resolved, and `GET /alerts`, what fires now. The alerts are kept in the job
//! store's database, so they survive a restart of the read model.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use odto_contracts::read_api::Alert;
use serde::Serialize;

use crate::config::WebhookToken;
use crate::error::ReadError;
use crate::routes::AppState;
use crate::webhook;

/// The answer to a delivery: what it changed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Alerts stored as firing (the watchdog is not one).
    pub firing: usize,
    /// Alerts reported resolved.
    pub resolved: usize,
    /// Whether it carried the firing watchdog.
    pub source_heard: bool,
}

/// `POST /alerts/webhook`: one Alertmanager notification, checked whole, then stored in one
/// transaction (a repeat of it changes nothing).
pub async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Receipt>, ReadError> {
    authorize(state.webhook_token.as_ref(), &headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ReadError::BodyTooLarge(rejection.body_text()),
        _ => ReadError::UnreadableBody(rejection.body_text()),
    })?;
    let value =
        serde_json::from_slice(&body).map_err(|e| ReadError::MalformedJson(e.to_string()))?;
    let delivery = webhook::delivery(&value, Utc::now()).map_err(ReadError::InvalidAlertPayload)?;
    state
        .read(state.stores.jobs.alerts().record_alerts(&delivery))
        .await?;
    Ok(Json(Receipt {
        firing: delivery.firing.len(),
        resolved: delivery.resolved.len(),
        source_heard: delivery.heard_at.is_some(),
    }))
}

/// With a token set, the request must carry `Authorization: Bearer <token>`.
fn authorize(token: Option<&WebhookToken>, headers: &HeaderMap) -> Result<(), ReadError> {
    let Some(token) = token else {
        return Ok(());
    };
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, given)| given.trim())
        .ok_or(ReadError::WebhookTokenMissing)?;
    match token.matches(given) {
        true => Ok(()),
        false => Err(ReadError::WebhookTokenWrong),
    }
}

/// `GET /alerts`: what fires now, the most severe first, then the newest; the time the alert
/// source was last heard from in [`Alert::SOURCE_HEARD_AT_HEADER`].
pub async fn list(State(state): State<AppState>) -> Result<Response, ReadError> {
    let active = state
        .read(state.stores.jobs.alerts().active_alerts())
        .await?;
    let mut alerts = active.alerts;
    alerts.sort_by_key(|alert| severity_rank(&alert.severity));
    let mut response = Json(alerts).into_response();
    if let Some(heard_at) = active.source_heard_at {
        let text = heard_at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let value = HeaderValue::from_str(&text).expect("an RFC 3339 time is a header value");
        let name = HeaderName::from_static(Alert::SOURCE_HEARD_AT_HEADER);
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

/// Prometheus's usual severities, most severe first; any other after them.
fn severity_rank(severity: &str) -> u8 {
    match severity.to_ascii_lowercase().as_str() {
        "critical" | "page" => 0,
        "error" => 1,
        "warning" | "ticket" => 2,
        "info" => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn without_a_token_anyone_may_deliver() {
        assert!(authorize(None, &HeaderMap::new()).is_ok());
    }

    #[test]
    fn with_a_token_only_its_bearer_may_deliver() {
        let token = WebhookToken::new("s3cret");
        let token = Some(&token);

        assert!(authorize(token, &bearer("Bearer s3cret")).is_ok());
        assert!(authorize(token, &bearer("bearer  s3cret")).is_ok());
        assert!(matches!(
            authorize(token, &HeaderMap::new()),
            Err(ReadError::WebhookTokenMissing)
        ));
        assert!(matches!(
            authorize(token, &bearer("Basic czNjcmV0")),
            Err(ReadError::WebhookTokenMissing)
        ));
        assert!(matches!(
            authorize(token, &bearer("Bearer s3cre")),
            Err(ReadError::WebhookTokenWrong)
        ));
    }

    #[test]
    fn the_most_severe_come_first() {
        let mut severities = ["info", "custom", "warning", "CRITICAL", "error"];

        severities.sort_by_key(|s| severity_rank(s));

        assert_eq!(
            severities,
            ["CRITICAL", "error", "warning", "info", "custom"]
        );
    }
}
