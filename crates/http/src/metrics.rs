//! Prometheus metrics for one service, with bounded label values.
//!
//! Every metric registered in [`ServiceMetrics::registry`] is named `odto_<service>_…` and carries a
//! constant `service="<service>"` label, so dashboards and alert rules can select one service or
//! aggregate across all of them. Next to them, under the names every Prometheus user expects (no
//! prefix, same `service` label): the `process_*` metrics (Linux) and `odto_build_info`.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::build_info;

/// Content type of the Prometheus text exposition format 0.0.4.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `route` label for requests that matched no route: using the raw path would let any client
/// create unbounded time series.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Latency buckets (seconds) from sub-millisecond handlers to slow multi-second requests.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A service's metric registry plus the HTTP request metrics every service exposes.
///
/// Cheap to clone: the registry and metric vectors share their state.
#[derive(Clone)]
pub struct ServiceMetrics {
    registry: Registry,
    /// `process_*` and `odto_build_info`: the conventional names, so without the prefix.
    standard: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
}

impl fmt::Debug for ServiceMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceMetrics").finish_non_exhaustive()
    }
}

impl ServiceMetrics {
    /// A registry prefixed `odto_<service>` with a constant `service` label, holding
    /// `http_requests_total{method,route,status}` and
    /// `http_request_duration_seconds{method,route}`; rendered next to the unprefixed
    /// `process_*` and `odto_build_info`.
    ///
    /// # Panics
    /// If `service` is not a valid Prometheus name fragment (use `[a_z0-9_]`): that is a
    /// programming error caught by the first test that builds the service.
    pub fn new(service: &'static str) -> Self {
        let labels = HashMap::from([("service".to_owned(), service.to_owned())]);
        let registry = Registry::new_custom(Some(format!("odto_{service}")), Some(labels.clone()))
            .expect("metrics prefix is not empty");
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )
        .expect("valid counter options");
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to produce the HTTP response head",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )
        .expect("valid histogram options");
        registry
            .register(Box::new(http_requests.clone()))
            .expect("fresh registry accepts http_requests_total");
        registry
            .register(Box::new(http_duration.clone()))
            .expect("fresh registry accepts http_request_duration_seconds");
        Self {
            registry,
            standard: standard_registry(labels),
            http_requests,
            http_duration,
        }
    }

    /// The registry services add their own metrics to; they get the prefix and `service` label.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Registers a service's own metrics. Each must have a name of its own: a clash is a bug in
    /// the service, so it panics at start-up rather than hiding a metric.
    pub fn register_all(&self, collectors: impl IntoIterator<Item = Box<dyn Collector>>) {
        for collector in collectors {
            self.registry
                .register(collector)
                .expect("metric registered once");
        }
    }

    /// All metrics in the text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut families = self.registry.gather();
        families.extend(self.standard.gather());
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&families, &mut buffer) {
            // A metric that cannot be encoded must not take /metrics down with it.
            tracing::error!(%error, "failed to encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(seconds);
    }
}

/// An unprefixed registry labelled like the service's, holding `odto_build_info{version,commit}`
/// (always 1, to join on) and, on Linux, the process collector's `process_*` metrics. Each
/// service has its own: `odto up` runs them all in one process, and each port is scraped apart.
fn standard_registry(labels: HashMap<String, String>) -> Registry {
    let registry = Registry::new_custom(None, Some(labels)).expect("no prefix to validate");
    let build = Opts::new("odto_build_info", "The running build; always 1.")
        .const_label("version", build_info::VERSION)
        .const_label("commit", build_info::COMMIT);
    let build = IntGauge::with_opts(build).expect("valid gauge options");
    build.set(1);
    registry
        .register(Box::new(build))
        .expect("fresh registry accepts odto_build_info");
    #[cfg(target_os = "linux")]
    registry
        .register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("fresh registry accepts process_*");
    registry
}

/// Wraps every route and the fallback of `router` with request counting and latency timing.
///
/// Call it after all routes (including the fallback) are added: routes added later are not
/// instrumented.
pub fn instrument(router: Router, metrics: ServiceMetrics) -> Router {
    router.layer(middleware::from_fn_with_state(metrics, track))
}

async fn track(State(metrics): State<ServiceMetrics>, request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    // The route pattern (`/jobs/{id}`), never the concrete path, keeps label values bounded.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE.to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    metrics.observe(method, &route, response.status().as_u16(), seconds);
    response
}

/// Maps the method onto a fixed set so made-up methods cannot create new series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Handler for `GET /metrics`. Works in any router whose state can give a [`ServiceMetrics`]
/// (`impl FromRef<AppState> for ServiceMetrics`); otherwise merge [`metrics_route`].
pub async fn metrics_handler(State(metrics): State<ServiceMetrics>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], metrics.render())
}

/// A stateless router serving `GET /metrics`, ready to `merge` into a service's router.
pub fn metrics_route(metrics: ServiceMetrics) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_collapse_into_other() {
        let made_up = Method::from_bytes(b"BREW").unwrap();

        assert_eq!(method_label(&made_up), "OTHER");
        assert_eq!(method_label(&Method::CONNECT), "OTHER");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
    }

    #[test]
    fn service_metrics_carry_the_prefix_and_service_label() {
        let metrics = ServiceMetrics::new("unit");
        metrics.observe("GET", "/x", 200, 0.002);

        let text = metrics.render();

        let counter = r#"odto_unit_http_requests_total{method="GET",route="/x",status="200",service="unit"} 1"#;
        let bucket = r#"odto_unit_http_request_duration_seconds_bucket{method="GET",route="/x",service="unit",le="0.0025"} 1"#;
        assert!(text.contains(counter), "{text}");
        assert!(text.contains(bucket), "{text}");
    }
}
