//! Every bad input of SPEC section 5 gets its 4xx, a JSON error, and publishes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestGateway, error_body, spawn_gateway, spawn_gateway_with};

async fn post_raw(
    gateway: &TestGateway,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = gateway.client.post(gateway.url("/jobs")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.unwrap()
}

async fn assert_refused(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "expected {code}");
    let body = error_body(response).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    body
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_refused_with_json_errors_and_nothing_is_published() {
    let gateway = spawn_gateway().await;
    let json = Some("application/json");

    let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
        (
            json,
            b"{\"type\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            b"".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            json,
            b"[1, 2]".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_job",
        ),
        (
            json,
            b"\"job\"".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_job",
        ),
        (
            Some("text/plain"),
            b"{\"type\":\"t\"}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            None,
            b"{\"type\":\"t\"}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, status, code) in cases {
        assert_refused(post_raw(&gateway, content_type, body).await, status, code).await;
    }

    assert!(gateway.take_published().await.is_empty());
}

#[tokio::test]
async fn contract_violations_name_the_offending_field() {
    let gateway = spawn_gateway().await;
    let id = "0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11";
    let cases = vec![
        (
            json!({"id": format!("urn:uuid:{id}"), "type": "t", "status": "PENDING", "createdAt": "2026-01-01T00:00:00Z"}),
            "/id",
        ),
        (
            json!({"id": id.replace('-', ""), "type": "t", "status": "PENDING", "createdAt": "2026-01-01T00:00:00Z"}),
            "/id",
        ),
        (
            json!({"id": id, "type": "t", "status": "pending", "createdAt": "2026-01-01T00:00:00Z"}),
            "/status",
        ),
        (
            json!({"id": id, "type": "t", "status": "PENDING", "createdAt": "yesterday"}),
            "/createdAt",
        ),
        (
            json!({"id": id, "type": "t", "status": "PENDING"}),
            "/createdAt",
        ),
        (
            json!({"id": 7, "type": "t", "status": "PENDING", "createdAt": "2026-01-01T00:00:00Z"}),
            "/id",
        ),
        (json!({"type": "x".repeat(65)}), "/type"),
        (json!({"type": "has space"}), "/type"),
        (json!({"type": ""}), "/type"),
        (json!({"payload": {}}), "/type"),
        (json!({"type": "t", "payload": [1]}), "/payload"),
        (json!({"type": "t", "maxAttempts": 0}), "/maxAttempts"),
        (json!({"type": "t", "colour": "red"}), "/colour"),
    ];
    for (job, path) in cases {
        let response = gateway.post_json("/jobs", &job).await;
        let body = assert_refused(response, StatusCode::BAD_REQUEST, "invalid_job").await;
        let details = body["error"]["details"].as_array().unwrap();
        assert!(
            details.iter().any(|d| d["path"] == path),
            "{path} not named in {body} for {job}"
        );
    }

    assert!(gateway.take_published().await.is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let gateway = spawn_gateway_with(|config| config.max_body_bytes = 1024).await;
    let body = json!({"type": "t", "payload": {"blob": "x".repeat(2048)}});

    let response = gateway.post_json("/jobs", &body).await;

    assert_refused(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(gateway.take_published().await.is_empty());
}

#[tokio::test]
async fn the_default_body_cap_is_256_kib() {
    let gateway = spawn_gateway().await;
    let just_over = json!({"type": "t", "payload": {"blob": "x".repeat(256 * 1024)}});

    let response = gateway.post_json("/jobs", &just_over).await;

    assert_refused(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_json_never_html() {
    let gateway = spawn_gateway().await;

    assert_refused(
        gateway.get("/nope").await,
        StatusCode::NOT_FOUND,
        "route_not_found",
    )
    .await;
    assert_refused(
        gateway.get("/jobs").await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let delete = gateway
        .client
        .delete(gateway.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_refused(delete, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[tokio::test]
async fn a_non_uuid_correlation_id_never_fails_a_request() {
    let gateway = spawn_gateway().await;

    let response = gateway
        .client
        .post(gateway.url("/jobs"))
        .header("x-correlation-id", "not a uuid / order#42")
        .json(&json!({"type": "t"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let published = gateway.take_published().await;
    assert_eq!(published[0]["correlationId"], "not a uuid / order#42");
}
