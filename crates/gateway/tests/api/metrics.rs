//! What an operator scrapes and probes: the conventional process metrics, the build, refusals
//! by code, and `/health` next to `/healthz`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestGateway, sample, spawn_gateway};

async fn scrape(gateway: &TestGateway) -> String {
    gateway.get("/metrics").await.text().await.unwrap()
}

#[tokio::test]
async fn metrics_include_the_process_and_the_build_under_their_conventional_names() {
    let gateway = spawn_gateway().await;

    let text = scrape(&gateway).await;

    let service = [("service", "gateway")];
    let resident = sample(&text, "process_resident_memory_bytes", &service);
    assert!(resident.is_some_and(|bytes| bytes > 0.0), "{text}");
    assert!(sample(&text, "process_cpu_seconds_total", &service).is_some());
    assert!(sample(&text, "process_start_time_seconds", &service).is_some_and(|s| s > 0.0));
    let build = [
        ("service", "gateway"),
        ("version", env!("CARGO_PKG_VERSION")),
    ];
    assert_eq!(
        sample(&text, "odto_build_info", &build),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains("odto_gateway_process_"), "{text}");
}

#[tokio::test]
async fn refused_submissions_are_counted_by_their_error_code() {
    let gateway = spawn_gateway().await;
    gateway.post_json("/jobs", &json!({"type": ""})).await;
    gateway.post_json("/jobs/batch", &json!({"jobs": []})).await;
    let text_plain = gateway
        .client
        .post(gateway.url("/jobs"))
        .header("content-type", "text/plain")
        .body("{\"type\":\"t\"}");
    assert_eq!(
        text_plain.send().await.unwrap().status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let text = scrape(&gateway).await;

    let rejected = "odto_gateway_jobs_rejected_total";
    let service = [("service", "gateway")];
    let count = |code| sample(&text, rejected, &[service[0], ("code", code)]);
    assert_eq!(count("invalid_job"), Some(2.0), "{text}");
    assert_eq!(count("unsupported_media_type"), Some(1.0), "{text}");
    assert_eq!(count("malformed_json"), None, "{text}");
    let accepted = sample(&text, "odto_gateway_jobs_accepted_total", &service);
    assert_eq!(accepted, Some(0.0), "{text}");
}

#[tokio::test]
async fn health_answers_like_healthz() {
    let gateway = spawn_gateway().await;

    let healthz = gateway.get("/healthz").await;
    let health = gateway.get("/health").await;

    assert_eq!(healthz.status(), StatusCode::OK);
    assert_eq!(health.status(), StatusCode::OK);
    let healthz: Value = healthz.json().await.unwrap();
    let health: Value = health.json().await.unwrap();
    assert_eq!(health, healthz);
}
