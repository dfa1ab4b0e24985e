use odto_contracts::Schema;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{error_body, spawn_gateway};

#[tokio::test]
async fn a_batch_is_accepted_whole_and_each_job_published_once() {
    let gateway = spawn_gateway().await;
    let batch = json!({"jobs": [
        {"type": "a"},
        {"type": "b", "payload": {"n": 2}},
        {"id": "0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11", "type": "c", "status": "PENDING", "createdAt": "2026-01-01T00:00:00Z"}
    ]});

    let response = gateway.post_json("/jobs/batch", &batch).await;

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    let accepted = body["jobs"].as_array().unwrap();
    assert_eq!(accepted.len(), 3);
    accepted
        .iter()
        .for_each(|a| Schema::JobAccepted.validate(a).unwrap());
    let mut published: Vec<_> = gateway
        .take_published()
        .await
        .iter()
        .map(|e| e["payload"]["type"].as_str().unwrap().to_owned())
        .collect();
    published.sort();
    assert_eq!(published, ["a", "b", "c"]);
}

#[tokio::test]
async fn one_invalid_item_refuses_the_whole_batch_and_names_it() {
    let gateway = spawn_gateway().await;
    let batch = json!({"jobs": [{"type": "ok"}, {"type": "not ok"}]});

    let response = gateway.post_json("/jobs/batch", &batch).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = error_body(response).await;
    assert_eq!(body["error"]["code"], "invalid_job");
    assert_eq!(body["error"]["details"][0]["path"], "/jobs/1/type");
    assert!(gateway.take_published().await.is_empty());
}

#[tokio::test]
async fn an_empty_or_missing_job_list_is_refused() {
    let gateway = spawn_gateway().await;

    for body in [
        json!({"jobs": []}),
        json!({}),
        json!({"jobs": {"type": "t"}}),
    ] {
        let response = gateway.post_json("/jobs/batch", &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            error_body(response).await["error"]["details"][0]["path"],
            "/jobs"
        );
    }
}
