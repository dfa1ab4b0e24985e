use std::time::Duration;

use odto_bus::topology::JOBS_QUEUE;
use odto_contracts::{EventEnvelope, EventType, Job, JobStatus, Producer};
use serde_json::json;

use crate::stack::{self, Kind, Options};

#[tokio::test]
async fn a_message_duplicated_on_the_bus_runs_the_job_once_and_counts_it_once() {
    let stack = stack::start(Options::default()).await;
    let id = uuid::Uuid::now_v7();
    let envelope = json!({
        "contractVersion": "1.0.0",
        "eventType": "job.created",
        "eventId": uuid::Uuid::now_v7(),
        "occurredAt": chrono::Utc::now(),
        "producer": {"service": "reference-gateway", "instanceId": "local", "version": "0.1.0"},
        "correlationId": "dup-1",
        "idempotencyKey": id,
        "payload": {"id": id, "type": "t", "status": "PENDING", "createdAt": chrono::Utc::now(), "payload": {"durationMs": 100}}
    });
    let body = serde_json::to_vec(&envelope).unwrap();

    stack.publish_raw(JOBS_QUEUE, &body).await;
    stack.publish_raw(JOBS_QUEUE, &body).await;
    let records = stack
        .wait_all_terminal(&[id], Duration::from_secs(30))
        .await;
    stack.wait_idle().await; // the second copy has been handled too
    let stats = stack.wait_stats_settled(1, Duration::from_secs(15)).await;

    assert_eq!(records[0].job.status, JobStatus::Completed);
    assert_eq!(stack.jobs.attempts(id).await.unwrap().len(), 1, "ran once");
    let events = stack.events.for_job(id).await.unwrap();
    let completed = events
        .iter()
        .filter(|e| e.event_type == EventType::JobCompleted)
        .count();
    assert_eq!(completed, 1);
    assert_eq!(stats["totalJobs"], 1);
    assert_eq!(stats["completedJobs"], 1);
    stack.stop().await;
}

on_every_backend!(
    a_job_enqueued_twice_runs_once_and_counts_once,
    a_repeated_submission_with_one_idempotency_key_creates_one_job,
);

async fn a_job_enqueued_twice_runs_once_and_counts_once(kind: Kind) {
    let stack = stack::start_on(kind).await;
    let job: Job = serde_json::from_value(json!({
        "id": uuid::Uuid::now_v7(), "type": "t", "status": "PENDING",
        "createdAt": chrono::Utc::now(), "payload": {"durationMs": 50}
    }))
    .unwrap();
    let producer = Producer::new("test", "local", "0.0.0");
    let created = EventEnvelope::new(
        EventType::JobCreated,
        job.clone(),
        producer,
        "dup-2",
        job.id.to_string(),
        chrono::Utc::now(),
    );

    stack.bus.enqueue(&created).await.unwrap();
    stack.bus.enqueue(&created).await.unwrap();
    let records = stack
        .wait_all_terminal(&[job.id], Duration::from_secs(30))
        .await;
    stack.wait_idle().await;
    let stats = stack.wait_stats_settled(1, Duration::from_secs(15)).await;

    assert_eq!(records[0].job.status, JobStatus::Completed);
    assert_eq!(
        stack.jobs.attempts(job.id).await.unwrap().len(),
        1,
        "ran once"
    );
    let events = stack.events.for_job(job.id).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(
        kinds,
        [
            EventType::JobCreated,
            EventType::JobStarted,
            EventType::JobCompleted
        ],
        "one event per state change"
    );
    assert_eq!(stats["totalJobs"], 1);
    assert_eq!(stats["completedJobs"], 1);
    stack.stop().await;
}

async fn a_repeated_submission_with_one_idempotency_key_creates_one_job(kind: Kind) {
    let stack = stack::start_on(kind).await;
    let key = uuid::Uuid::new_v4().to_string();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let response = stack
            .client
            .post(format!("{}/jobs", stack.gateway))
            .header("Idempotency-Key", &key)
            .json(&stack::instant())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(body["jobId"].as_str().unwrap().to_owned());
    }

    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let id = ids[0].parse().unwrap();
    stack
        .wait_all_terminal(&[id], Duration::from_secs(30))
        .await;
    let stats = stack.wait_stats_settled(1, Duration::from_secs(15)).await;
    assert_eq!(stats["totalJobs"], 1, "{stats}");
    stack.stop().await;
}
