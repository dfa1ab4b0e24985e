//! The probes every service answers the same way: `/healthz` (the process answers; never
//! depends on a backend; also at `/health`, where the reference's clients look), `/readyz`
//! (every dependency answers, each named) and `/metrics` (brought up to date first). A service
//! describes its dependencies once, as a [`Readiness`].

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::metrics::TEXT_FORMAT;
use crate::{ApiError, ErrorDetail, ServiceMetrics, health_body};

/// A service's dependencies, as its probes and metrics see them.
#[async_trait]
pub trait Readiness: Send + Sync + 'static {
    /// Whether each dependency answers, by the name of its distributed-mode backend (`broker`,
    /// `postgres`, `redis`). A service keeps its `*_up` gauges in step here.
    async fn check(&self) -> Vec<(&'static str, bool)>;

    /// Brings the service's gauges up to date before `/metrics` is rendered. By default, the
    /// readiness check (which sets the `*_up` gauges).
    async fn refresh_metrics(&self) {
        self.check().await;
    }
}

#[derive(Clone)]
struct Probes {
    service: &'static str,
    metrics: ServiceMetrics,
    readiness: Arc<dyn Readiness>,
}

/// `/healthz` (and `/health`), `/readyz` and `/metrics` of `service`, to merge into its router
/// (which adds the fallbacks and [`crate::instrument`]s the whole).
pub fn probes_route(
    service: &'static str,
    metrics: ServiceMetrics,
    readiness: Arc<dyn Readiness>,
) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/health", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(Probes {
            service,
            metrics,
            readiness,
        })
}

/// The whole router of a service without an API of its own (processor, metrics engine): the
/// [`probes_route`], JSON fallbacks, instrumented.
pub fn probe_routes(
    service: &'static str,
    metrics: ServiceMetrics,
    readiness: Arc<dyn Readiness>,
) -> Router {
    let routes = probes_route(service, metrics.clone(), readiness)
        .fallback(crate::route_not_found)
        .method_not_allowed_fallback(crate::method_not_allowed);
    crate::instrument(routes, metrics)
}

async fn healthz(State(probes): State<Probes>) -> Json<Value> {
    health_body(probes.service, crate::build_info::VERSION)
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

async fn render_metrics(State(probes): State<Probes>) -> Response {
    probes.readiness.refresh_metrics().await;
    (
        [(header::CONTENT_TYPE, TEXT_FORMAT)],
        probes.metrics.render(),
    )
        .into_response()
}
