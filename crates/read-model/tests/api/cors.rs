//! CORS for the web UI: a browser on another origin may read the API, and only read it.

use reqwest::StatusCode;

use crate::harness::{spawn_read_model, spawn_read_model_with};

#[tokio::test]
async fn a_cross_origin_read_is_allowed_from_any_origin_by_default() {
    let read_model = spawn_read_model().await;

    let response = read_model
        .client
        .get(read_model.url("/stats"))
        .header("origin", "http://localhost:8081")
        .send()
        .await
        .unwrap();
    let error = read_model
        .client
        .get(read_model.url("/jobs?limit=0"))
        .header("origin", "http://localhost:8081")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        error.headers()["access-control-allow-origin"],
        "*",
        "errors must be readable by the page too"
    );
}

#[tokio::test]
async fn a_preflight_is_answered_for_reads_only() {
    let read_model = spawn_read_model().await;

    let preflight = read_model
        .client
        .request(reqwest::Method::OPTIONS, read_model.url("/jobs"))
        .header("origin", "http://localhost:8081")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();

    assert!(preflight.status().is_success(), "{}", preflight.status());
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("GET"), "{methods}");
    assert!(
        !methods.contains("POST") && !methods.contains("DELETE"),
        "{methods}"
    );
}

#[tokio::test]
async fn configured_origins_are_the_only_ones_allowed() {
    let read_model = spawn_read_model_with(|config| {
        config.cors_origins = vec!["http://ui.example".into(), "http://localhost:8081".into()];
    })
    .await;
    read_model.wait_ready().await;
    let from = |origin: &'static str| {
        read_model
            .client
            .get(read_model.url("/healthz"))
            .header("origin", origin)
            .send()
    };

    let allowed = from("http://ui.example").await.unwrap();
    let stranger = from("http://evil.example").await.unwrap();

    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://ui.example"
    );
    assert!(
        !stranger
            .headers()
            .contains_key("access-control-allow-origin")
    );
}
