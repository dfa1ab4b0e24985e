//! The probes as a service's clients and orchestrator reach them.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use odto_http::{Readiness, ServiceMetrics, probe_routes};
use serde_json::Value;
use tower::ServiceExt;

struct AlwaysUp;

#[async_trait]
impl Readiness for AlwaysUp {
    async fn check(&self) -> Vec<(&'static str, bool)> {
        vec![("broker", true)]
    }
}

async fn get_json(router: &Router, uri: &str) -> (StatusCode, Value) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn health_answers_like_healthz_for_clients_of_the_reference() {
    let router = probe_routes("unit", ServiceMetrics::new("unit"), Arc::new(AlwaysUp));

    let (healthz_status, healthz) = get_json(&router, "/healthz").await;
    let (health_status, health) = get_json(&router, "/health").await;

    assert_eq!(healthz_status, StatusCode::OK);
    assert_eq!(health_status, StatusCode::OK);
    assert_eq!(health, healthz);
    assert_eq!(health["service"], "unit");
}
