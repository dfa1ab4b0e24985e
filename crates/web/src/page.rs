//! The page: xterm.js and its client script, bundled at development time from `page/` (see
//! `page/check-bundle.sh`) and compiled into the binary from `assets/`, so neither the build nor
//! the browser needs the network. And `/summary`, the read model's figures for the page's
//! fallback view when the live terminal cannot be had.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::routes::AppState;

const INDEX_HTML: &[u8] = include_bytes!("../assets/index.html");
const APP_JS: &[u8] = include_bytes!("../assets/app.js");
const APP_CSS: &[u8] = include_bytes!("../assets/app.css");

/// Scripts and styles from this server only; the socket to this server only. xterm.js sets
/// styles from script, hence the inline styles.
const POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                      frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// How long `/summary` waits for each of the read model's answers.
const READ_MODEL_WAIT: Duration = Duration::from_secs(2);
/// Jobs the fallback view lists.
const RECENT_JOBS: u32 = 10;

pub async fn index() -> Response {
    asset(INDEX_HTML, "text/html; charset=utf-8")
}

pub async fn script() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}

pub async fn stylesheet() -> Response {
    asset(APP_CSS, "text/css; charset=utf-8")
}

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY)),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        // Not content-addressed: a new binary must not be shadowed by yesterday's cached page.
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, body).into_response()
}

/// The body of `GET /summary`: what the fallback view shows. A part the read model did not
/// give is `null`; `alerts` is also `null` where the read model has no `/alerts`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    read_model: Reachability,
    stats: Option<Value>,
    recent_jobs: Option<Value>,
    alerts: Option<Value>,
}

#[derive(Debug, Serialize)]
struct Reachability {
    reachable: bool,
    error: Option<String>,
}

/// `GET /summary`: the statistics, the newest jobs and the active alerts, from the read model.
/// Behind the same token as `/ws`, since it shows the same data.
pub async fn summary(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(code) = state.auth.check(&headers) {
        return crate::routes::auth_refusal(code).into_response();
    }
    let base = &state.read_model_url;
    let fetch = |path: String| {
        let request = state.client.get(format!("{base}{path}"));
        async move {
            let answer = async {
                let response = request.timeout(READ_MODEL_WAIT).send().await?;
                response.error_for_status()?.json::<Value>().await
            };
            answer.await.map_err(reqwest::Error::without_url)
        }
    };
    let (stats, jobs, alerts) = tokio::join!(
        fetch("/stats".into()),
        fetch(format!("/jobs/recent?limit={RECENT_JOBS}")),
        fetch("/alerts".into()),
    );
    // Without the URL, which the page has no need of.
    let error = match (stats.as_ref(), jobs.as_ref()) {
        (Err(error), _) | (_, Err(error)) => Some(format!("{error}")),
        _ => None,
    };
    let summary = Summary {
        read_model: Reachability {
            reachable: error.is_none(),
            error,
        },
        stats: stats.ok(),
        recent_jobs: jobs.ok(),
        alerts: alerts.ok(),
    };
    (
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(summary),
    )
        .into_response()
}
