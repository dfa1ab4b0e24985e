//! The broker goes away (the connection is cut by a proxy) and comes back.

use std::time::{Duration, Instant};

use odto_test_support::eventually;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{error_body, spawn_gateway_behind_proxy};

#[tokio::test]
async fn with_the_broker_cut_off_the_gateway_answers_503_fast_and_recovers_by_itself() {
    let gateway = spawn_gateway_behind_proxy(false).await;
    let proxy = gateway.proxy.as_ref().unwrap();
    assert_eq!(
        gateway
            .post_json("/jobs", &json!({"type": "before"}))
            .await
            .status(),
        StatusCode::ACCEPTED
    );

    proxy.cut();
    eventually(Duration::from_secs(5), "readiness to fail", || async {
        (gateway.get("/readyz").await.status() == StatusCode::SERVICE_UNAVAILABLE).then_some(())
    })
    .await;
    let started = Instant::now();
    let refused = gateway.post_json("/jobs", &json!({"type": "during"})).await;
    let took = started.elapsed();

    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        took < Duration::from_secs(1),
        "a 503 must be quick, took {took:?}"
    );
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        error_body(refused).await["error"]["code"],
        "broker_unavailable"
    );
    assert_eq!(gateway.get("/healthz").await.status(), StatusCode::OK);

    proxy.restore();
    eventually(
        Duration::from_secs(15),
        "the gateway to reconnect",
        || async { (gateway.get("/readyz").await.status() == StatusCode::OK).then_some(()) },
    )
    .await;
    let after = gateway.post_json("/jobs", &json!({"type": "after"})).await;
    assert_eq!(after.status(), StatusCode::ACCEPTED);

    let types: Vec<_> = gateway
        .take_published()
        .await
        .iter()
        .map(|e| e["payload"]["type"].clone())
        .collect();
    assert_eq!(types, vec![json!("before"), json!("after")]);
}

#[tokio::test]
async fn a_gateway_started_while_the_broker_is_down_serves_and_becomes_ready_later() {
    let gateway = spawn_gateway_behind_proxy(true).await;
    let proxy = gateway.proxy.as_ref().unwrap();
    assert_eq!(
        gateway.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(gateway.get("/healthz").await.status(), StatusCode::OK);

    let refused = gateway.post_json("/jobs", &json!({"type": "t"})).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    gateway.wait_ready().await;
    assert_eq!(
        gateway
            .post_json("/jobs", &json!({"type": "t"}))
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(gateway.take_published().await.len(), 1);
}
