//! A processor killed mid-job (SIGKILL: its connection drops without acknowledgements) loses
//! nothing: the broker redelivers, and once the attempt's lease ends another processor takes over.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use odto_contracts::JobStatus;
use odto_test_support::eventually;
use serde_json::json;

use crate::stack::{self, Options, Stack};

fn spawn_processor_process(stack: &Stack) -> Child {
    Command::new(env!("CARGO_BIN_EXE_odto"))
        .args(["processor", "--listen", "127.0.0.1:0"])
        .env("ODTO_RABBITMQ_URL", stack.real().vhost.amqp_url())
        .env("ODTO_POSTGRES_URL", stack.real().db.url())
        .env("ODTO_JOB_TIMEOUT_MS", "3000")
        .env("ODTO_LEASE_MARGIN_MS", "500")
        .env("ODTO_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("odto processor starts")
}

#[tokio::test]
async fn a_processor_killed_mid_job_loses_nothing() {
    let mut stack = stack::start(Options {
        processors: 0,
        ..Options::default()
    })
    .await;
    let mut victim = spawn_processor_process(&stack);
    let ids: Vec<_> = futures_util::future::join_all(
        (0..20)
            .map(|_| stack.submit(json!({"type": "test.slow", "payload": {"durationMs": 1500}}))),
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the victim to be running jobs",
        || async {
            let mut executing = 0;
            for id in &ids {
                let record = stack.jobs.get(*id).await.ok()??;
                executing += usize::from(record.job.status == JobStatus::Executing);
            }
            (executing > 0).then_some(())
        },
    )
    .await;

    victim.kill().expect("SIGKILL");
    victim.wait().expect("reaped");
    let db = stack.real().db.url();
    stack.spawn_processor(db).await;
    let records = stack.wait_all_terminal(&ids, Duration::from_secs(60)).await;

    assert!(records.iter().all(|r| r.job.status == JobStatus::Completed));
    let taken_over = records
        .iter()
        .filter(|r| r.job.attempts.unwrap_or(0) > 1)
        .count();
    assert!(taken_over > 0, "some job was interrupted and run again");
    stack.wait_stats_settled(20, Duration::from_secs(30)).await;
    stack.stop().await;
}
