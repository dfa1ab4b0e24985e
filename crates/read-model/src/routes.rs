//! The read model's HTTP API: every route in [`router`]; the job and event handlers live in
//! [`crate::jobs`], the others below.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use odto_bus::inspect::QueueStats;
use odto_contracts::read_api::{self, DeadLetterPage};
use odto_http::{ApiError, ErrorDetail, health_body, instrument};
use odto_store::StoreError;
use serde_json::{Value, json};
use tower_http::cors::CorsLayer;

use crate::error::ReadError;
use crate::metrics::{Backend, ReadModelMetrics};
use crate::params::{self, DeadLetterParams};
use crate::views;
use crate::{ReadStores, jobs, openapi};

/// Seconds of throughput `/stats` reports.
pub const THROUGHPUT_WINDOW_SECS: u32 = 60;

/// Everything a handler needs.
#[derive(Clone, Debug)]
pub struct AppState {
    pub stores: ReadStores,
    pub metrics: ReadModelMetrics,
    /// Longest wait for any one backend call; past it the answer is 503, never a hang.
    pub store_timeout: Duration,
    pub cors: CorsLayer,
}

impl AppState {
    /// Runs a store call within the timeout.
    pub(crate) async fn read<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, ReadError> {
        match tokio::time::timeout(self.store_timeout, call).await {
            Ok(result) => result.map_err(ReadError::from),
            Err(_) => Err(ReadError::StoreTimeout(self.store_timeout)),
        }
    }

    /// Reads the queues within the timeout.
    async fn queues(&self) -> Result<Vec<QueueStats>, ReadError> {
        let call = self.stores.queues.queues();
        match tokio::time::timeout(self.store_timeout, call).await {
            Ok(result) => result.map_err(ReadError::from),
            Err(_) => Err(ReadError::BrokerUnavailable(format!(
                "no answer within {:?}",
                self.store_timeout
            ))),
        }
    }

    /// Whether the job store and the statistics store answer, each within the timeout.
    async fn backends_up(&self) -> (bool, bool) {
        let limit = self.store_timeout;
        let jobs = tokio::time::timeout(limit, self.stores.jobs.is_available());
        let stats = tokio::time::timeout(limit, self.stores.stats.is_available());
        let (jobs, stats) = tokio::join!(jobs, stats);
        (jobs.unwrap_or(false), stats.unwrap_or(false))
    }
}

/// Every route of the read model.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.service.clone();
    let cors = state.cors.clone();
    let routes = Router::new()
        .route("/stats", get(stats))
        .route("/jobs/recent", get(jobs::recent))
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}", get(jobs::detail))
        .route("/events", get(jobs::events))
        .route("/queues", get(queues))
        .route("/dlq", get(dead_letters))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(state)
        .merge(odto_http::openapi_route(
            "/openapi.json",
            openapi::document(),
        ))
        .merge(odto_http::swagger_ui("/openapi.json"))
        .fallback(odto_http::route_not_found)
        .method_not_allowed_fallback(odto_http::method_not_allowed);
    // CORS outermost, so preflights are answered before routing and errors carry the headers.
    instrument(routes, metrics).layer(cors)
}

/// `GET /stats`: totals by status and type, the conservation check, the last minute's throughput.
async fn stats(State(state): State<AppState>) -> Result<Json<read_api::Stats>, ReadError> {
    let stats = &state.stores.stats;
    let (snapshot, throughput) = tokio::try_join!(
        state.read(stats.snapshot()),
        state.read(stats.throughput(Utc::now(), THROUGHPUT_WINDOW_SECS)),
    )?;
    Ok(Json(views::stats(snapshot, throughput)))
}

/// `GET /queues`: every queue of the topology, from the broker.
async fn queues(State(state): State<AppState>) -> Result<Json<Vec<QueueStats>>, ReadError> {
    Ok(Json(state.queues().await?))
}

/// `GET /dlq?limit=&cursor=`: dead letters, newest first.
async fn dead_letters(
    State(state): State<AppState>,
    query: Result<Query<DeadLetterParams>, QueryRejection>,
) -> Result<Json<DeadLetterPage>, ReadError> {
    let Query(query) = query?;
    let limit = params::limit(&query.limit, 50, 500)?;
    let cursor = params::cursor(&query.cursor)?;
    let letters = &state.stores.dead_letters;
    let (page, total) = tokio::try_join!(
        state.read(letters.list(limit, cursor.as_deref())),
        state.read(letters.count()),
    )
    .map_err(|e| e.blame_cursor(cursor.is_some()))?;
    Ok(Json(views::dead_letter_page(page, total)))
}

/// Liveness: the process answers. Never depends on a backend.
async fn healthz() -> Json<Value> {
    health_body("read-model", env!("CARGO_PKG_VERSION"))
}

/// Readiness: the job store (PostgreSQL) and the statistics store (Redis) both answer. Checks
/// are named after the distributed-mode backends, like every service's `/readyz`.
async fn readyz(State(state): State<AppState>) -> Response {
    let (jobs_up, stats_up) = state.backends_up().await;
    state.metrics.set_backend_up(Backend::Jobs, jobs_up);
    state.metrics.set_backend_up(Backend::Stats, stats_up);
    if jobs_up && stats_up {
        let checks = json!({"postgres": "up", "redis": "up"});
        return Json(json!({"status": "ready", "checks": checks})).into_response();
    }
    let down: Vec<ErrorDetail> = [("postgres", jobs_up), ("redis", stats_up)]
        .into_iter()
        .filter(|(_, up)| !up)
        .map(|(name, _)| ErrorDetail::new(name, "down"))
        .collect();
    let names: Vec<&str> = down.iter().map(|d| d.path.as_str()).collect();
    let message = format!("not ready: {} unreachable", names.join(", "));
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", message)
        .with_details(down)
        .with_retry_after(1)
        .into_response()
}

/// `GET /metrics`: reads the gauges' sources first, so a scrape shows the present.
async fn render_metrics(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let letters = state.read(state.stores.dead_letters.count());
    let (letters, queues, (jobs_up, stats_up)) =
        tokio::join!(letters, state.queues(), state.backends_up());
    let metrics = &state.metrics;
    if let Ok(total) = &letters {
        metrics.set_dead_letters(*total);
    }
    if let Ok(queues) = &queues {
        metrics.set_queues(queues);
    }
    metrics.set_backend_up(Backend::Jobs, jobs_up && letters.is_ok());
    metrics.set_backend_up(Backend::Stats, stats_up);
    metrics.set_backend_up(Backend::Broker, queues.is_ok());
    metrics.set_refresh_seconds(started.elapsed().as_secs_f64());
    (
        [(header::CONTENT_TYPE, odto_http::metrics::TEXT_FORMAT)],
        metrics.service.render(),
    )
        .into_response()
}
