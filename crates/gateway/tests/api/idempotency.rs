use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{error_body, spawn_gateway, spawn_gateway_with};

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_answer_and_publishes_once() {
    let gateway = spawn_gateway().await;
    let submit = || {
        gateway
            .client
            .post(gateway.url("/jobs"))
            .header("idempotency-key", "order-7")
            .json(&json!({"type": "invoice", "payload": {"order": 7}}))
            .send()
    };

    let first = submit().await.unwrap();
    let second = submit().await.unwrap();

    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(second.status(), StatusCode::ACCEPTED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let first: Value = first.json().await.unwrap();
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(gateway.take_published().await.len(), 1);
}

#[tokio::test]
async fn the_body_idempotency_key_works_like_the_header() {
    let gateway = spawn_gateway().await;
    let job = json!({"type": "invoice", "idempotencyKey": "body-key-1"});

    let first: Value = gateway.post_json("/jobs", &job).await.json().await.unwrap();
    let second: Value = gateway.post_json("/jobs", &job).await.json().await.unwrap();

    assert_eq!(first, second);
    assert_eq!(gateway.take_published().await.len(), 1);
}

#[tokio::test]
async fn concurrent_repeats_of_one_key_publish_exactly_once() {
    let gateway = spawn_gateway().await;
    let requests = (0..12).map(|_| {
        gateway
            .client
            .post(gateway.url("/jobs"))
            .header("idempotency-key", "burst")
            .json(&json!({"type": "t"}))
            .send()
    });

    let statuses: Vec<StatusCode> = join_all(requests)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();

    assert!(statuses.contains(&StatusCode::ACCEPTED));
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::ACCEPTED || *s == StatusCode::CONFLICT)
    );
    assert_eq!(gateway.take_published().await.len(), 1);
}

#[tokio::test]
async fn a_key_reused_for_a_different_job_is_refused() {
    let gateway = spawn_gateway().await;
    let send = |job_type: &'static str| {
        gateway
            .client
            .post(gateway.url("/jobs"))
            .header("idempotency-key", "shared")
            .json(&json!({"type": job_type}))
            .send()
    };

    assert_eq!(send("a").await.unwrap().status(), StatusCode::ACCEPTED);
    let reused = send("b").await.unwrap();

    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_body(reused).await["error"]["code"],
        "idempotency_key_reused"
    );
    assert_eq!(gateway.take_published().await.len(), 1);
}

#[tokio::test]
async fn differing_header_and_body_keys_are_refused() {
    let gateway = spawn_gateway().await;

    let response = gateway
        .client
        .post(gateway.url("/jobs"))
        .header("idempotency-key", "one")
        .json(&json!({"type": "t", "idempotencyKey": "two"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        error_body(response).await["error"]["code"],
        "idempotency_key_mismatch"
    );
    assert!(gateway.take_published().await.is_empty());
}

#[tokio::test]
async fn with_redis_unreachable_keyed_submissions_get_503_and_unkeyed_ones_still_work() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gateway = spawn_gateway_with(|config| {
        config.backends.redis_url = Some(format!("redis://{closed_port}"));
    })
    .await;
    let started = std::time::Instant::now();

    let keyed = gateway
        .client
        .post(gateway.url("/jobs"))
        .header("idempotency-key", "k")
        .json(&json!({"type": "t"}))
        .send()
        .await
        .unwrap();

    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(keyed.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(keyed.headers().contains_key("retry-after"));
    assert_eq!(
        error_body(keyed).await["error"]["code"],
        "idempotency_unavailable"
    );
    let unkeyed = gateway.post_json("/jobs", &json!({"type": "t"})).await;
    assert_eq!(unkeyed.status(), StatusCode::ACCEPTED);
    assert_eq!(gateway.take_published().await.len(), 1);
}
