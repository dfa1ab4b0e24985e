use std::time::Duration;

use odto_bus::topology::JOBS_QUEUE;
use odto_contracts::{EventType, JobStatus};
use odto_store::events::EventStore;
use odto_store::jobs::JobStore;
use serde_json::json;

use crate::stack::{self, Options};

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
    assert_eq!(stack.store.attempts(id).await.unwrap().len(), 1, "ran once");
    let events = stack.store.for_job(id).await.unwrap();
    let completed = events
        .iter()
        .filter(|e| e.event_type == EventType::JobCompleted)
        .count();
    assert_eq!(completed, 1);
    assert_eq!(stats["totalJobs"], 1);
    assert_eq!(stats["completedJobs"], 1);
    stack.stop().await;
}
