//! PostgreSQL goes away for a few seconds under the processors: jobs are retried, none is lost,
//! and the processors do not spin.

use std::time::Duration;

use odto_contracts::JobStatus;
use odto_test_support::TcpProxy;

use crate::stack::{self, Options, instant};

#[tokio::test]
async fn postgres_unavailable_for_a_few_seconds_causes_retries_not_loss_or_a_hot_loop() {
    let proxy = TcpProxy::start("127.0.0.1:5432").await;
    let mut stack = stack::start(Options {
        processors: 0,
        ..Options::default()
    })
    .await;
    let url = stack
        .real()
        .db
        .url()
        .replace("127.0.0.1:5432", &proxy.addr().to_string());
    let health = stack.spawn_processor(url).await;
    let first: Vec<_> =
        futures_util::future::join_all((0..20).map(|_| stack.submit(instant()))).await;
    stack
        .wait_all_terminal(&first, Duration::from_secs(30))
        .await;

    proxy.cut();
    let during: Vec<_> =
        futures_util::future::join_all((0..50).map(|_| stack.submit(instant()))).await;
    tokio::time::sleep(Duration::from_secs(4)).await; // the outage itself is what is tested
    let interrupted = interrupted_count(&stack, &health).await;
    proxy.restore();
    let records = stack
        .wait_all_terminal(&during, Duration::from_secs(60))
        .await;

    assert!(records.iter().all(|r| r.job.status == JobStatus::Completed));
    assert!(interrupted > 0, "the outage was noticed");
    // Each interrupted message pauses a second before it is returned: at most about
    // concurrency (32) per second for 4 s, never thousands.
    assert!(
        interrupted < 32 * 4 * 2,
        "{interrupted} interruptions in 4 s: a hot loop"
    );
    stack.stop().await;
}

async fn interrupted_count(stack: &stack::Stack, health: &str) -> u64 {
    let metrics = stack
        .client
        .get(format!("{health}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find(|l| {
            l.starts_with("odto_processor_jobs_total") && l.contains("outcome=\"interrupted\"")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}
