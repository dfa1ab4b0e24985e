//! Job actions: cancel a PENDING job, retry a FAILED one (on the real PostgreSQL job store).

use std::time::{Duration, Instant};

use chrono::Utc;
use odto_contracts::{Job, JobStatus, JobType};
use odto_store::jobs::{AttemptOutcome, Begin, JobStore, Next};
use odto_store::postgres::{PgSettings, PgStore};
use odto_test_support::{TestDatabase, silent_server};
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{TestGateway, error_body, spawn_gateway_with};

async fn gateway_with_store() -> (TestGateway, PgStore, TestDatabase) {
    let db = TestDatabase::create().await;
    let url = db.url();
    let gateway = spawn_gateway_with(|config| config.backends.postgres_url = Some(url)).await;
    let store = PgStore::connect(&PgSettings::new(db.url())).await.unwrap();
    (gateway, store, db)
}

async fn pending_job(store: &PgStore) -> Job {
    let job = Job::new(
        uuid::Uuid::now_v7(),
        JobType::parse("t").unwrap(),
        Utc::now(),
    );
    store.record_created(&job, "c").await.unwrap();
    job
}

async fn failed_job(store: &PgStore) -> Job {
    let mut job = pending_job(store).await;
    job.max_attempts = Some(1);
    let lease = std::time::Duration::from_secs(30);
    let Begin::Started(record) = store
        .begin_attempt(&job, "c", "w", lease, Utc::now())
        .await
        .unwrap()
    else {
        panic!("the attempt starts");
    };
    let fail = Next::Fail {
        error: "boom".into(),
    };
    store
        .finish_attempt(job.id, 1, AttemptOutcome::Failed, fail, Utc::now())
        .await
        .unwrap();
    record.job
}

#[tokio::test]
async fn a_pending_job_can_be_cancelled_once() {
    let (gateway, store, _db) = gateway_with_store().await;
    let job = pending_job(&store).await;

    let cancelled = gateway
        .client
        .post(gateway.url(&format!("/jobs/{}/cancel", job.id)))
        .send()
        .await
        .unwrap();
    let again = gateway
        .client
        .post(gateway.url(&format!("/jobs/{}/cancel", job.id)))
        .send()
        .await
        .unwrap();

    assert_eq!(cancelled.status(), StatusCode::OK);
    let body: Value = cancelled.json().await.unwrap();
    assert_eq!(body["status"], "CANCELLED");
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(
        error_body(again).await["error"]["code"],
        "invalid_job_state"
    );
    assert_eq!(
        store.get(job.id).await.unwrap().unwrap().job.status,
        JobStatus::Cancelled
    );
}

#[tokio::test]
async fn a_failed_job_is_retried_with_a_fresh_budget_and_enqueued_again() {
    let (gateway, store, _db) = gateway_with_store().await;
    let job = failed_job(&store).await;

    let response = gateway
        .client
        .post(gateway.url(&format!("/jobs/{}/retry", job.id)))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["jobId"], job.id.to_string());
    let record = store.get(job.id).await.unwrap().unwrap();
    assert_eq!(
        (record.job.status, record.run_attempts),
        (JobStatus::Pending, 0)
    );
    let published = gateway.take_published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["eventType"], "job.retried");
    assert_eq!(published[0]["payload"]["id"], job.id.to_string());
}

#[tokio::test]
async fn actions_refuse_unknown_jobs_wrong_states_and_malformed_ids() {
    let (gateway, store, _db) = gateway_with_store().await;
    let pending = pending_job(&store).await;
    let post = |path: String| gateway.client.post(gateway.url(&path)).send();

    let unknown = post(format!("/jobs/{}/retry", uuid::Uuid::now_v7()))
        .await
        .unwrap();
    let not_failed = post(format!("/jobs/{}/retry", pending.id)).await.unwrap();
    let malformed = post("/jobs/urn:uuid:abc/cancel".into()).await.unwrap();

    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_body(unknown).await["error"]["code"], "job_not_found");
    assert_eq!(not_failed.status(), StatusCode::CONFLICT);
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        error_body(malformed).await["error"]["code"],
        "invalid_job_id"
    );
}

#[tokio::test]
async fn actions_answer_503_when_the_job_store_is_unreachable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gateway = spawn_gateway_with(|config| {
        config.backends.postgres_url = Some(format!("postgres://postgres@{closed}/odto"));
    })
    .await;

    let response = gateway
        .client
        .post(gateway.url(&format!("/jobs/{}/cancel", uuid::Uuid::now_v7())))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        error_body(response).await["error"]["code"],
        "store_unavailable"
    );
}

#[tokio::test]
async fn actions_answer_503_when_the_job_store_never_answers() {
    let silent = silent_server().await;
    let gateway = spawn_gateway_with(|config| {
        config.backends.postgres_url = Some(format!("postgres://postgres@{silent}/odto"));
    })
    .await;

    let started = Instant::now();
    let response = gateway
        .client
        .post(gateway.url(&format!("/jobs/{}/retry", uuid::Uuid::now_v7())))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        error_body(response).await["error"]["code"],
        "store_unavailable"
    );
    // The statement timeout (5 s) plus a second, not forever.
    assert!(took < Duration::from_secs(8), "took {took:?}");
}
