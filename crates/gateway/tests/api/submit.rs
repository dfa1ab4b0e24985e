use odto_contracts::Schema;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::spawn_gateway;

#[tokio::test]
async fn short_form_job_is_accepted_and_published_as_a_valid_envelope() {
    let gateway = spawn_gateway().await;

    let response = gateway
        .client
        .post(gateway.url("/jobs"))
        .header("x-correlation-id", "checkout-42")
        .json(&json!({"type": "report.render", "payload": {"durationMs": 5}, "maxAttempts": 4}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(response.headers()["x-correlation-id"], "checkout-42");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    Schema::JobAccepted
        .validate(&body)
        .expect("body is a JobAccepted");
    let job_id = body["jobId"].as_str().unwrap();
    assert!(
        location.ends_with(&format!("/jobs/{job_id}")),
        "Location {location}"
    );

    let published = gateway.take_published().await;
    assert_eq!(published.len(), 1);
    let event = &published[0];
    Schema::EventEnvelope
        .validate(event)
        .expect("message is a valid envelope");
    assert_eq!(event["eventType"], "job.created");
    assert_eq!(event["eventId"], body["eventId"]);
    assert_eq!(event["correlationId"], "checkout-42");
    assert_eq!(event["producer"]["service"], "gateway");
    let job = &event["payload"];
    Schema::Job.validate(job).expect("payload is a Job");
    assert_eq!(job["id"], job_id);
    assert_eq!(job["type"], "report.render");
    assert_eq!(job["status"], "PENDING");
    assert_eq!(job["payload"], json!({"durationMs": 5}));
    assert_eq!(job["maxAttempts"], 4);
}

#[tokio::test]
async fn full_form_job_keeps_its_id_extra_fields_and_created_at_instant() {
    let gateway = spawn_gateway().await;
    let job = json!({
        "id": "0B9D3B8E-4A3F-4C4E-9A51-6F5A0D3C2E11",
        "type": "legacy",
        "status": "PENDING",
        "createdAt": "2026-01-01T10:00:00.250+02:00",
        "payload": {"n": 1},
        "owner": "team-a"
    });

    let response = gateway.post_json("/jobs", &job).await;

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["jobId"], "0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11");
    let published = gateway.take_published().await;
    let recorded = &published[0]["payload"];
    assert_eq!(recorded["id"], "0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11");
    let created: chrono::DateTime<chrono::Utc> =
        recorded["createdAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(created.to_rfc3339(), "2026-01-01T08:00:00.250+00:00");
    assert_eq!(recorded["owner"], "team-a");
    assert_eq!(recorded["payload"], json!({"n": 1}));
}

#[tokio::test]
async fn a_correlation_id_is_generated_when_the_client_sends_none() {
    let gateway = spawn_gateway().await;

    let response = gateway.post_json("/jobs", &json!({"type": "t"})).await;

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.headers()["x-correlation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "generated id {id}");
    let published = gateway.take_published().await;
    assert_eq!(published[0]["correlationId"], id.as_str());
}

#[tokio::test]
async fn an_over_long_correlation_id_is_replaced_not_refused() {
    let gateway = spawn_gateway().await;
    let long = "x".repeat(129);

    let response = gateway
        .client
        .post(gateway.url("/jobs"))
        .header("x-correlation-id", &long)
        .json(&json!({"type": "t"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_ne!(response.headers()["x-correlation-id"], long.as_str());
}

#[tokio::test]
async fn liveness_readiness_metrics_and_graceful_stop() {
    let gateway = spawn_gateway().await;
    gateway.post_json("/jobs", &json!({"type": "t"})).await;
    gateway.get("/no/such/route").await;

    assert_eq!(gateway.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(gateway.get("/readyz").await.status(), StatusCode::OK);
    let metrics = gateway.get("/metrics").await.text().await.unwrap();

    let has = |needle: &str| metrics.lines().any(|line| line.contains(needle));
    assert!(
        has("odto_gateway_jobs_accepted_total{service=\"gateway\"} 1"),
        "{metrics}"
    );
    assert!(
        has("odto_gateway_broker_up{service=\"gateway\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("odto_gateway_http_requests_total")
                && l.contains("route=\"/jobs\"")
                && l.contains("status=\"202\""))
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("odto_gateway_http_requests_total")
                && l.contains("route=\"unmatched\""))
    );
    assert!(
        !metrics.contains("/no/such/route"),
        "unbounded label leaked"
    );
    assert!(has("odto_gateway_http_request_duration_seconds_bucket"));
    gateway.stop().await.expect("graceful stop");
}
