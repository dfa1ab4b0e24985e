//! Health endpoints of a service without an API of its own (processor, metrics engine):
//! `/healthz` (the process answers), `/readyz` (every dependency answers), `/metrics`.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::{ApiError, ErrorDetail, ServiceMetrics, health_body, metrics_route};

/// Reports whether each dependency of a service answers, by name (e.g. `broker`, `postgres`).
#[async_trait]
pub trait Readiness: Send + Sync + 'static {
    async fn check(&self) -> Vec<(&'static str, bool)>;
}

#[derive(Clone)]
struct Probes {
    service: &'static str,
    readiness: Arc<dyn Readiness>,
}

/// `/healthz`, `/readyz` and `/metrics` for `service`, with JSON fallbacks, instrumented.
pub fn probe_routes(
    service: &'static str,
    metrics: ServiceMetrics,
    readiness: Arc<dyn Readiness>,
) -> Router {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Probes { service, readiness })
        .merge(metrics_route(metrics.clone()))
        .fallback(crate::route_not_found)
        .method_not_allowed_fallback(crate::method_not_allowed);
    crate::instrument(routes, metrics)
}

async fn healthz(State(probes): State<Probes>) -> Json<Value> {
    health_body(probes.service, env!("CARGO_PKG_VERSION"))
}

async fn readyz(State(probes): State<Probes>) -> Response {
    let checks = probes.readiness.check().await;
    let down: Vec<ErrorDetail> = checks
        .iter()
        .filter(|(_, up)| !up)
        .map(|(name, _)| ErrorDetail::new(*name, "down"))
        .collect();
    if down.is_empty() {
        let checks: Map<String, Value> = checks
            .into_iter()
            .map(|(name, _)| (name.to_owned(), json!("up")))
            .collect();
        return Json(json!({"status": "ready", "checks": checks})).into_response();
    }
    let names: Vec<&str> = down.iter().map(|d| d.path.as_str()).collect();
    let message = format!("not ready: {} unreachable", names.join(", "));
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", message)
        .with_details(down)
        .with_retry_after(1)
        .into_response()
}
