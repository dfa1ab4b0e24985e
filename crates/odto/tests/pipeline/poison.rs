use std::time::Duration;

use odto_bus::topology::{EVENTS_EXCHANGE, JOBS_QUEUE};
use odto_test_support::eventually;
use serde_json::{Value, json};

use crate::stack::{self, Kind, Options, instant};

#[tokio::test]
async fn unprocessable_messages_are_dead_lettered_with_a_reason_while_jobs_keep_flowing() {
    let stack = stack::start(Options::default()).await;
    stack.publish_raw(JOBS_QUEUE, b"this is not JSON").await;
    stack
        .publish_raw(
            JOBS_QUEUE,
            br#"{"eventType": "job.created", "hello": "world"}"#,
        )
        .await;
    let ids = vec![stack.submit(instant()).await, stack.submit(instant()).await];
    // A bad element inside an event batch, next to a good one that must still count.
    let batch = json!([{"not": "an envelope"}]).to_string();
    let connection = lapin::Connection::connect(&stack.real().vhost.amqp_url(), Default::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .basic_publish(
            EVENTS_EXCHANGE.into(),
            "".into(),
            Default::default(),
            batch.as_bytes(),
            Default::default(),
        )
        .await
        .unwrap();

    stack.wait_all_terminal(&ids, Duration::from_secs(30)).await;
    let letters: Value = eventually(Duration::from_secs(20), "three dead letters", || async {
        let url = format!("{}/dlq", stack.read_model);
        let body: Value = stack.client.get(url).send().await.ok()?.json().await.ok()?;
        (body["items"].as_array()?.len() >= 3).then_some(body)
    })
    .await;

    let reasons: Vec<String> = letters["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{} <- {}",
                l["reason"].as_str().unwrap(),
                l["source"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("not JSON") && r.contains("jobs.created")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("not a valid event envelope") && r.contains("jobs.created")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("not a valid event envelope") && r.contains("metrics-engine")),
        "{reasons:?}"
    );
    let stats = stack.stats().await;
    assert_eq!(
        stats["completedJobs"], 2,
        "the pipeline kept flowing: {stats}"
    );
    stack.stop().await;
}

on_every_backend!(a_job_that_exhausts_its_attempts_is_failed_and_listed_as_a_dead_letter);

async fn a_job_that_exhausts_its_attempts_is_failed_and_listed_as_a_dead_letter(kind: Kind) {
    let stack = stack::start_on(kind).await;
    let id = stack
        .submit(json!({"type": "t", "payload": {"fail": true}, "maxAttempts": 3}))
        .await;

    stack
        .wait_all_terminal(&[id], Duration::from_secs(30))
        .await;
    let letters: Value = eventually(Duration::from_secs(20), "the dead letter", || async {
        let url = format!("{}/dlq", stack.read_model);
        let body: Value = stack.client.get(url).send().await.ok()?.json().await.ok()?;
        (!body["items"].as_array()?.is_empty()).then_some(body)
    })
    .await;

    let letter = &letters["items"][0];
    assert_eq!(letter["jobId"], id.to_string());
    assert!(
        letter["reason"]
            .as_str()
            .unwrap()
            .contains("failed after 3 attempt(s)"),
        "{letter}"
    );
    stack.stop().await;
}
