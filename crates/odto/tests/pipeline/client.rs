//! The real `odto submit` and `odto bench` binaries against the in-process stack.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::Duration;

use odto_contracts::EventType;
use odto_test_support::eventually;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::stack::{self, Kind, Options, Stack};

/// Runs `odto ARGS` to completion off the runtime (the stack keeps serving meanwhile).
async fn odto(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_odto"))
            .args(&args)
            .env("ODTO_LOG", "warn")
            .output()
            .expect("odto runs")
    })
    .await
    .unwrap()
}

fn args(stack: &Stack, command: &str, rest: &[&str]) -> Vec<String> {
    let endpoints = [
        "--gateway-url",
        &stack.gateway,
        "--read-model-url",
        &stack.read_model,
    ];
    std::iter::once(command)
        .chain(endpoints)
        .chain(rest.iter().copied())
        .map(str::to_owned)
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A URL where nothing listens.
fn nowhere() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

async fn read_model_job(stack: &Stack, id: Uuid) -> Option<Value> {
    let url = format!("{}/jobs/{id}", stack.read_model);
    let response = stack.client.get(url).send().await.ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

/// Sends the gateway its first job: the first validation compiles the contract schemas, and
/// that happens between the job's `createdAt` and its `job.created` event.
async fn warm_up(stack: &Stack) {
    stack.submit(stack::instant()).await;
}

/// Runs `odto bench ARGS --json`; returns its exit success and its report.
async fn bench(stack: &Stack, rest: &[&str]) -> (bool, Value, String) {
    let mut rest = rest.to_vec();
    rest.push("--json");
    let output = odto(args(stack, "bench", &rest)).await;
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}\nstderr: {stderr}"));
    (output.status.success(), report, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_job_ids_are_printed_and_the_read_model_shows_them_completed() {
    let stack = stack::start(Options::default()).await;
    let payload = r#"{"durationMs": 0}"#;

    let output = odto(args(
        &stack,
        "submit",
        &["--type", "cli.test", "--payload", payload, "--count", "3"],
    ))
    .await;

    assert!(output.status.success(), "{}", text(&output.stderr));
    let ids: Vec<Uuid> = text(&output.stdout)
        .lines()
        .map(|line| line.parse().expect("one job id per line"))
        .collect();
    assert_eq!(ids.len(), 3);
    for id in ids {
        let detail = eventually(Duration::from_secs(20), "the job to complete", || async {
            let detail = read_model_job(&stack, id).await?;
            (detail["job"]["status"] == "COMPLETED").then_some(detail)
        })
        .await;
        assert_eq!(detail["job"]["type"], "cli.test");
        assert_eq!(detail["job"]["payload"], json!({"durationMs": 0}));
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_with_wait_prints_the_final_state_and_fails_when_a_job_failed() {
    let stack = stack::start(Options::default()).await;
    let doomed = [
        "--type",
        "cli.doomed",
        "--payload",
        r#"{"fail": true}"#,
        "--max-attempts",
        "1",
    ];
    let fine = ["--type", "cli.fine", "--json"];

    let failed = odto(args(&stack, "submit", &[&doomed[..], &["--wait"]].concat())).await;
    let completed = odto(args(&stack, "submit", &[&fine[..], &["--wait"]].concat())).await;

    assert!(!failed.status.success());
    let line = text(&failed.stdout);
    let (id, state) = line.trim_end().split_once(' ').expect("ID STATUS");
    assert!(id.parse::<Uuid>().is_ok(), "{line}");
    assert!(
        state.starts_with("FAILED (") && state.contains("fail"),
        "{line}"
    );
    assert!(completed.status.success(), "{}", text(&completed.stderr));
    let job: Value = serde_json::from_str(text(&completed.stdout).trim()).unwrap();
    assert_eq!(job["status"], "COMPLETED");
    assert_eq!(job["type"], "cli.fine");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_shows_the_gateways_error_and_fails() {
    let stack = stack::start(Options {
        processors: 0,
        ..Options::default()
    })
    .await;

    let output = odto(args(&stack, "submit", &["--type", "has space"])).await;

    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("HTTP 400 invalid_job"), "{stderr}");
    assert!(stderr.contains("/type"), "names the field: {stderr}");
    stack.stop().await;
}

#[tokio::test]
async fn submit_and_bench_without_a_gateway_fail_saying_which_url() {
    let url = nowhere();
    let endpoints = ["--gateway-url", &url, "--read-model-url", &url];

    let submit = odto(
        [&["submit", "--type", "t"][..], &endpoints]
            .concat()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )
    .await;
    let bench = odto(
        [&["bench", "--jobs", "5"][..], &endpoints]
            .concat()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )
    .await;

    for output in [submit, bench] {
        assert!(!output.status.success());
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("cannot reach the gateway at {url}")),
            "{stderr}"
        );
    }
}

on_every_backend!(a_bench_of_200_jobs_reports_them_all_completed_with_latencies_from_their_events);

async fn a_bench_of_200_jobs_reports_them_all_completed_with_latencies_from_their_events(
    kind: Kind,
) {
    let stack = stack::start_on(kind).await;
    warm_up(&stack).await;

    let (passed, report, stderr) = bench(
        &stack,
        &["--jobs", "200", "--concurrency", "16", "--timeout", "60s"],
    )
    .await;

    assert!(passed, "{report}\n{stderr}");
    for (key, expected) in [
        ("submitted", 200),
        ("accepted", 200),
        ("completed", 200),
        ("failed", 0),
        ("lost", 0),
    ] {
        assert_eq!(report[key], expected, "{key} in {report}");
    }
    let latency = &report["latency_ms"];
    let (p50, p90, p99, max) = (
        latency["p50"].as_f64().unwrap(),
        latency["p90"].as_f64().unwrap(),
        latency["p99"].as_f64().unwrap(),
        latency["max"].as_f64().unwrap(),
    );
    assert!(
        0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
        "{latency}"
    );
    assert!(report["accepted_per_s"].as_f64().unwrap() > 0.0);
    assert!(report["completed_per_s"].as_f64().unwrap() > 0.0);
    let from_events = slowest_from_events(&stack, report["run_id"].as_str().unwrap()).await;
    assert!(
        (max - from_events).abs() < 20.0,
        "bench max {max} ms, events {from_events} ms"
    );
    stack.stop().await;
}

/// The longest job.created → job.completed of a bench run, read from the event store.
async fn slowest_from_events(stack: &Stack, run_id: &str) -> f64 {
    let url = format!("{}/jobs?q={run_id}&limit=500", stack.read_model);
    let page: Value = stack
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<Uuid> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 200, "the run's jobs carry its id");
    let mut slowest = 0.0_f64;
    for id in ids {
        // The job store says COMPLETED before the metrics engine has stored the event.
        let latency = eventually(Duration::from_secs(10), "the job's events", || async {
            let events = stack.events.for_job(id).await.ok()?;
            let at = |kind| {
                let event = events.iter().find(|e| e.event_type == kind)?;
                Some(event.occurred_at)
            };
            (at(EventType::JobCompleted)? - at(EventType::JobCreated)?).num_microseconds()
        })
        .await;
        slowest = slowest.max(latency as f64 / 1_000.0);
    }
    slowest
}

on_every_backend!(a_finished_jobs_times_in_the_read_model_are_its_created_and_terminal_event_times);

async fn a_finished_jobs_times_in_the_read_model_are_its_created_and_terminal_event_times(
    kind: Kind,
) {
    let stack = stack::start_on(kind).await;
    warm_up(&stack).await;
    let ok = stack
        .submit(json!({"type": "t", "payload": {"durationMs": 20}}))
        .await;
    let doomed = stack
        .submit(json!({"type": "t", "payload": {"fail": true}, "maxAttempts": 1}))
        .await;

    for (id, terminal) in [
        (ok, EventType::JobCompleted),
        (doomed, EventType::JobFailed),
    ] {
        let detail = eventually(
            Duration::from_secs(20),
            "the job's terminal event",
            || async {
                let detail = read_model_job(&stack, id).await?;
                let events = detail["events"].as_array()?;
                events
                    .iter()
                    .any(|e| e["eventType"] == terminal.as_str())
                    .then_some(detail)
            },
        )
        .await;

        let event_time = |kind: EventType| {
            let event = detail["events"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["eventType"] == kind.as_str())
                .unwrap();
            event["occurredAt"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
        };
        let job_time = |key: &str| {
            detail["job"][key]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
        };
        assert_eq!(job_time("updatedAt"), event_time(terminal), "{detail}");
        // `createdAt` is stamped before validation, `job.created` after: microseconds in a
        // release build; the margin is for a debug build on a loaded machine.
        let gap = event_time(EventType::JobCreated) - job_time("createdAt");
        assert!(
            gap >= chrono::TimeDelta::zero() && gap < chrono::TimeDelta::milliseconds(20),
            "createdAt {gap} before job.created: {detail}"
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_bench_submits_no_faster_than_its_rate() {
    let stack = stack::start(Options::default()).await;

    let (passed, report, stderr) = bench(
        &stack,
        &["--jobs", "100", "--rate", "200", "--concurrency", "8"],
    )
    .await;

    assert!(passed, "{report}\n{stderr}");
    let submit_s = report["submit_s"].as_f64().unwrap();
    assert!(submit_s >= 0.45, "100 jobs at 200/s took {submit_s} s");
    assert!(
        report["accepted_per_s"].as_f64().unwrap() <= 225.0,
        "{report}"
    );
    assert!(report["max_send_lag_ms"].is_number(), "{report}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_that_cannot_finish_in_time_are_reported_lost_and_the_bench_fails() {
    let stack = stack::start(Options {
        processors: 0,
        ..Options::default()
    })
    .await;

    let (passed, report, stderr) = bench(
        &stack,
        &["--jobs", "20", "--concurrency", "4", "--timeout", "1s"],
    )
    .await;

    assert!(!passed, "{report}");
    assert_eq!(report["accepted"], 20);
    assert_eq!(report["completed"], 0);
    assert_eq!(report["lost"], 20);
    let lost = report["lost_jobs"].as_array().unwrap();
    assert_eq!(lost.len(), 20);
    for job in lost {
        assert!(
            matches!(job["status"].as_str(), Some("PENDING") | None),
            "{job}"
        );
    }
    assert!(
        stderr.contains("20 of 20 accepted jobs were lost"),
        "{stderr}"
    );
    stack.stop().await;
}
