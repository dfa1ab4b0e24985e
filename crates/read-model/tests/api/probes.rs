//! Liveness, readiness and backends that are down or silent: 503 fast, never a hang.

use std::time::{Duration, Instant};

use odto_test_support::silent_server;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{
    closed_port, error_body, spawn_read_model, spawn_read_model_with,
    spawn_read_model_with_postgres_cut,
};
use crate::seed::job;

#[tokio::test]
async fn with_every_backend_up_the_read_model_is_live_and_ready() {
    let read_model = spawn_read_model().await;

    let health = read_model.get_json("/healthz").await;
    let ready = read_model.get_json("/readyz").await;

    assert_eq!(health["status"], "ok");
    assert_eq!(health["service"], "read-model");
    assert_eq!(
        ready,
        json!({"status": "ready", "checks": {"postgres": "up", "redis": "up"}})
    );
}

#[tokio::test]
async fn with_postgres_unreachable_readiness_fails_naming_it_while_liveness_holds() {
    let read_model = spawn_read_model_with(|config| {
        config.backends.postgres_url = Some(format!("postgres://postgres@{}/odto", closed_port()));
    })
    .await;

    let ready = read_model.get("/readyz").await;
    let started = Instant::now();
    let jobs = read_model.get("/jobs").await;
    let took = started.elapsed();

    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = error_body(ready).await;
    assert_eq!(body["error"]["code"], "not_ready");
    assert_eq!(
        body["error"]["details"],
        json!([{"path": "postgres", "message": "down"}])
    );
    assert_eq!(read_model.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(jobs.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(jobs.headers().contains_key("retry-after"));
    assert_eq!(error_body(jobs).await["error"]["code"], "store_unavailable");
    assert_eq!(read_model.get("/stats").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_read_model_started_while_postgres_is_down_serves_it_once_it_is_back() {
    let read_model = spawn_read_model_with_postgres_cut().await;
    let proxy = read_model.postgres_proxy.as_ref().unwrap();
    let pending = job("report.render", json!({}), chrono::Utc::now());
    read_model.create(&pending).await;
    assert_eq!(
        read_model.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        read_model.get("/jobs/recent").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    proxy.restore();
    read_model.wait_ready().await;

    let recent = read_model.get_json("/jobs/recent").await;
    assert_eq!(recent[0]["id"], pending.id.to_string());
}

#[tokio::test]
async fn with_redis_unreachable_readiness_names_it_and_stats_are_503() {
    let read_model = spawn_read_model_with(|config| {
        config.backends.redis_url = Some(format!("redis://{}", closed_port()));
    })
    .await;

    let ready = read_model.get("/readyz").await;
    let stats = read_model.get("/stats").await;

    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let details = error_body(ready).await["error"]["details"].clone();
    assert_eq!(details, json!([{"path": "redis", "message": "down"}]));
    assert_eq!(stats.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        error_body(stats).await["error"]["code"],
        "store_unavailable"
    );
    assert_eq!(read_model.get_json("/jobs/recent").await, json!([]));
}

#[tokio::test]
async fn a_store_that_never_answers_gives_503_within_the_timeout() {
    let silent = silent_server().await;
    let read_model = spawn_read_model_with(|config| {
        config.backends.postgres_url = Some(format!("postgres://postgres@{silent}/odto"));
        config.store_timeout_ms = 500;
    })
    .await;

    for path in ["/jobs", "/jobs/recent", "/events", "/dlq", "/readyz"] {
        let started = Instant::now();
        let response = read_model.get(path).await;
        let took = started.elapsed();

        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(took < Duration::from_secs(2), "{path} took {took:?}");
        let body: Value = error_body(response).await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.contains(&silent.to_string()), "leaks: {message}");
    }
}
