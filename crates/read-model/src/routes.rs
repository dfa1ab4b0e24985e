//! The read model's HTTP API: every route in [`router`]; the job and event handlers live in
//! [`crate::jobs`], the alert handlers in [`crate::alerts`], the others below.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use odto_bus::inspect::QueueStats;
use odto_contracts::read_api::{self, DeadLetterPage};
use odto_http::{Readiness, instrument};
use odto_store::StoreError;
use tower_http::cors::CorsLayer;

use crate::config::WebhookToken;
use crate::error::ReadError;
use crate::metrics::{Backend, ReadModelMetrics};
use crate::params::{self, DeadLetterParams};
use crate::views;
use crate::{ReadModelBackends, alerts, jobs, openapi};

/// Seconds of throughput `/stats` reports.
pub const THROUGHPUT_WINDOW_SECS: u32 = 60;

/// Everything a handler needs.
#[derive(Clone, Debug)]
pub struct AppState {
    pub stores: ReadModelBackends,
    pub metrics: ReadModelMetrics,
    /// Longest wait for any one backend call; past it the answer is 503, never a hang.
    pub store_timeout: Duration,
    pub cors: CorsLayer,
    /// What `POST /alerts/webhook` requires as its bearer token; `None`: it is open.
    pub webhook_token: Option<WebhookToken>,
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
        .route("/alerts", get(alerts::list))
        .route("/alerts/webhook", post(alerts::webhook))
        .with_state(state.clone())
        .merge(odto_http::probes_route(
            "read-model",
            metrics.clone(),
            Arc::new(state),
        ))
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

/// Ready while the job store (PostgreSQL) and the statistics store (Redis) both answer.
#[async_trait]
impl Readiness for AppState {
    async fn check(&self) -> Vec<(&'static str, bool)> {
        let (jobs_up, stats_up) = self.backends_up().await;
        self.metrics.set_backend_up(Backend::Jobs, jobs_up);
        self.metrics.set_backend_up(Backend::Stats, stats_up);
        vec![("postgres", jobs_up), ("redis", stats_up)]
    }

    /// Reads the gauges' sources, so a scrape shows the present.
    async fn refresh_metrics(&self) {
        let started = Instant::now();
        let letters = self.read(self.stores.dead_letters.count());
        let (letters, queues, (jobs_up, stats_up)) =
            tokio::join!(letters, self.queues(), self.backends_up());
        let metrics = &self.metrics;
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
    }
}
