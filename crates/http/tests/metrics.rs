//! Request metrics as Prometheus scrapes them.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use odto_http::{ServiceMetrics, instrument, metrics_route, route_not_found};
use prometheus::{IntCounter, Opts};
use tower::ServiceExt;

fn router(metrics: &ServiceMetrics) -> Router {
    let routes = Router::new()
        .route("/things/{id}", get(|| async { "thing" }))
        .merge(metrics_route(metrics.clone()))
        .fallback(route_not_found);
    instrument(routes, metrics.clone())
}

/// The value of the sample named `name` whose labels include all of `labels`: the text format
/// does not promise a label order, so tests must not depend on one.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, series_labels) = series.split_once('{')?;
        let all_present = labels
            .iter()
            .all(|(key, val)| series_labels.contains(&format!("{key}=\"{val}\"")));
        (series_name == name && all_present).then(|| value.parse().unwrap())
    })
}

async fn get_status(router: &Router, uri: &str) -> StatusCode {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    router.clone().oneshot(request).await.unwrap().status()
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_and_unknown_routes_share_one_label() {
    let metrics = ServiceMetrics::new("test");
    let router = router(&metrics);

    assert_eq!(get_status(&router, "/things/1").await, StatusCode::OK);
    assert_eq!(get_status(&router, "/things/2").await, StatusCode::OK);
    assert_eq!(
        get_status(&router, "/random/a").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_status(&router, "/random/b").await,
        StatusCode::NOT_FOUND
    );
    let text = metrics.render();

    let requests = "odto_test_http_requests_total";
    let matched = [
        ("service", "test"),
        ("method", "GET"),
        ("route", "/things/{id}"),
        ("status", "200"),
    ];
    let unmatched = [
        ("service", "test"),
        ("route", "unmatched"),
        ("status", "404"),
    ];
    assert_eq!(sample(&text, requests, &matched), Some(2.0), "{text}");
    assert_eq!(sample(&text, requests, &unmatched), Some(2.0), "{text}");
    assert!(
        !text.contains("/things/1") && !text.contains("/random"),
        "{text}"
    );
    let durations = "odto_test_http_request_duration_seconds_count";
    let route = [("service", "test"), ("route", "/things/{id}")];
    assert_eq!(sample(&text, durations, &route), Some(2.0), "{text}");
    let bucket = [("route", "/things/{id}"), ("le", "+Inf")];
    let buckets = "odto_test_http_request_duration_seconds_bucket";
    assert_eq!(sample(&text, buckets, &bucket), Some(2.0), "{text}");
}

#[tokio::test]
async fn made_up_methods_are_counted_as_other() {
    let metrics = ServiceMetrics::new("test");
    let request = Request::builder()
        .method("BREW")
        .uri("/things/1")
        .body(Body::empty())
        .unwrap();

    router(&metrics).oneshot(request).await.unwrap();

    let text = metrics.render();
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    assert!(!text.contains("BREW"), "{text}");
}

#[tokio::test]
async fn metrics_route_serves_the_text_format_including_service_metrics() {
    let metrics = ServiceMetrics::new("test");
    let jobs = IntCounter::with_opts(Opts::new("jobs_accepted_total", "Jobs accepted")).unwrap();
    metrics.registry().register(Box::new(jobs.clone())).unwrap();
    jobs.inc_by(3);
    let request = Request::get("/metrics").body(Body::empty()).unwrap();

    let response = router(&metrics).oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.contains(r#"odto_test_jobs_accepted_total{service="test"} 3"#),
        "{text}"
    );
}

#[test]
fn process_metrics_and_build_info_keep_their_conventional_names_and_the_service_label() {
    let metrics = ServiceMetrics::new("test");

    let text = metrics.render();

    let service = [("service", "test")];
    for gauge in [
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        let value = sample(&text, gauge, &service);
        assert!(value.is_some_and(|v| v > 0.0), "{gauge} in {text}");
    }
    assert!(sample(&text, "process_cpu_seconds_total", &service).is_some());
    let build = [("service", "test"), ("version", env!("CARGO_PKG_VERSION"))];
    assert_eq!(
        sample(&text, "odto_build_info", &build),
        Some(1.0),
        "{text}"
    );
    let commit = build_commit(&text);
    let is_short_hash = commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit());
    assert!(is_short_hash || commit == "unknown", "{commit}");
    assert!(!text.contains("odto_test_process_"), "{text}");
    assert!(!text.contains("odto_test_odto_"), "{text}");
}

#[test]
fn each_service_renders_its_own_process_metrics_once() {
    let gateway = ServiceMetrics::new("gateway");
    let processor = ServiceMetrics::new("processor");

    let text = gateway.render();

    let resident: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("process_resident_memory_bytes"))
        .collect();
    assert_eq!(resident.len(), 1, "{text}");
    assert!(resident[0].contains(r#"service="gateway""#), "{text}");
    assert!(processor.render().contains(r#"service="processor""#));
}

/// The `commit` label of `odto_build_info`.
fn build_commit(text: &str) -> &str {
    let line = text
        .lines()
        .find(|line| line.starts_with("odto_build_info{"))
        .expect("odto_build_info rendered");
    let (_, rest) = line.split_once(r#"commit=""#).expect("a commit label");
    rest.split_once('"').expect("a closed label").0
}
