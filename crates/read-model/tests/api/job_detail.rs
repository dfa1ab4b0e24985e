//! `GET /jobs/{id}`: one job, its attempts and its event timeline.

use chrono::{SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::spawn_read_model;
use crate::seed::{WORKER, at, correlation_id, job};

#[tokio::test]
async fn a_job_shows_its_attempts_and_its_full_timeline_oldest_first() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let subject = job("report.render", json!({"pages": 3}), base);
    let bystander = job("report.render", json!({}), at(base, 1));
    let events = read_model.run(&subject, None).await;
    read_model.run(&bystander, None).await;

    let detail = read_model.get_json(&format!("/jobs/{}", subject.id)).await;

    let job = &detail["job"];
    assert_eq!(job["id"], subject.id.to_string());
    assert_eq!(job["status"], "COMPLETED");
    assert_eq!(job["payload"], json!({"pages": 3}));
    assert_eq!(job["correlationId"], correlation_id(&subject));
    assert!(job["finishedAt"].is_string(), "{job}");
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["number"], 1);
    assert_eq!(attempts[0]["worker"], WORKER);
    assert_eq!(attempts[0]["outcome"], "completed");
    let expected: Vec<Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert_eq!(
        detail["events"],
        Value::Array(expected),
        "every envelope field, oldest first, only this job's"
    );
}

#[tokio::test]
async fn an_unknown_job_is_a_404_json_error() {
    let read_model = spawn_read_model().await;

    let body = read_model
        .get_error(&format!("/jobs/{}", Uuid::new_v4()), StatusCode::NOT_FOUND)
        .await;

    assert_eq!(body["error"]["code"], "job_not_found");
}

#[tokio::test]
async fn a_job_id_that_is_not_a_canonical_uuid_is_a_400_json_error() {
    let read_model = spawn_read_model().await;

    for id in [
        "42",
        "urn:uuid:0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11",
        "0b9d3b8e4a3f4c4e9a516f5a0d3c2e11",
        "%FF",
    ] {
        let body = read_model
            .get_error(&format!("/jobs/{id}"), StatusCode::BAD_REQUEST)
            .await;

        assert_eq!(body["error"]["code"], "invalid_job_id", "{id}");
    }
}
