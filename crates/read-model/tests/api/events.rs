//! `GET /events`: full envelopes, newest first (the reference returned the oldest as "latest").

use chrono::{SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::spawn_read_model;
use crate::seed::{at, job};

fn event_ids(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("an array")
        .iter()
        .map(|event| event["eventId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn events_are_full_envelopes_newest_first() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let first = read_model
        .run(&job("report.render", json!({}), base), None)
        .await;
    let second = read_model
        .run(&job("report.render", json!({}), at(base, 10)), Some("x"))
        .await;

    let events = read_model.get_json("/events").await;
    let two = read_model.get_json("/events?limit=2").await;

    let mut newest_first: Vec<_> = first.iter().chain(&second).collect();
    newest_first.reverse();
    let expected: Vec<Value> = newest_first
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert_eq!(events, Value::Array(expected.clone()));
    assert_eq!(two, Value::Array(expected[..2].to_vec()));
    let newest = &events[0];
    assert_eq!(newest["eventType"], "job.failed");
    assert!(newest["producer"]["instanceId"].is_string(), "{newest}");
    assert!(newest["idempotencyKey"].is_string(), "{newest}");
}

#[tokio::test]
async fn events_filter_by_job_and_by_type() {
    let read_model = spawn_read_model().await;
    let base = Utc::now().trunc_subsecs(3);
    let subject = job("report.render", json!({}), base);
    let mine = read_model.run(&subject, None).await;
    let theirs = read_model
        .run(&job("report.render", json!({}), at(base, 10)), None)
        .await;

    let for_job = read_model
        .get_json(&format!("/events?jobId={}", subject.id))
        .await;
    let completions = read_model.get_json("/events?type=job.completed").await;
    let mine_completed = read_model
        .get_json(&format!("/events?jobId={}&type=job.completed", subject.id))
        .await;

    let mine_newest_first: Vec<String> =
        mine.iter().rev().map(|e| e.event_id.to_string()).collect();
    assert_eq!(event_ids(&for_job), mine_newest_first);
    let completed_ids = [theirs[2].event_id.to_string(), mine[2].event_id.to_string()];
    assert_eq!(event_ids(&completions), completed_ids);
    assert_eq!(event_ids(&mine_completed), [mine[2].event_id.to_string()]);
}

#[tokio::test]
async fn no_events_is_an_empty_array() {
    let read_model = spawn_read_model().await;

    assert_eq!(read_model.get_json("/events").await, json!([]));
    let unknown_job = "/events?jobId=0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11";
    assert_eq!(read_model.get_json(unknown_job).await, json!([]));
}

#[tokio::test]
async fn bad_event_filters_are_400_json() {
    let read_model = spawn_read_model().await;

    for (path, parameter) in [
        (
            "/events?jobId=urn:uuid:0b9d3b8e-4a3f-4c4e-9a51-6f5a0d3c2e11",
            "jobId",
        ),
        ("/events?type=job.exploded", "type"),
        ("/events?limit=1001", "limit"),
    ] {
        let body = read_model.get_error(path, StatusCode::BAD_REQUEST).await;

        assert_eq!(body["error"]["details"][0]["path"], parameter, "{path}");
    }
}
