//! `odto up --observability` with the real Prometheus and Alertmanager (Debian's packages): every
//! service is an `up` target, the Watchdog reaches the read model through Alertmanager, and a real
//! alert (a dead letter arriving) does too. Without the two installed the test fails under
//! CI=true and is skipped (loudly) elsewhere.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{command, start_command, submit};

/// Scrapes and rule evaluations come every 15 s, Alertmanager waits up to 10 s to group.
const ARRIVES_WITHIN: Duration = Duration::from_secs(90);

fn installed(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// Polls `check` every half second until it gives a value, or fails naming `what`.
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + ARRIVES_WITHIN;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within {ARRIVES_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn alerts_travel_from_prometheus_through_alertmanager_to_the_read_model() {
    let tools = installed("prometheus")
        && (installed("prometheus-alertmanager") || installed("alertmanager"));
    if !tools {
        let why = "needs prometheus and prometheus-alertmanager (apt install prometheus prometheus-alertmanager)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("SKIPPED the observability test: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (prometheus, alertmanager) = (free_port(), free_port());
    let mut up = command(dir.path());
    up.arg("--observability")
        .args(["--prometheus-listen", &prometheus])
        .args(["--alertmanager-listen", &alertmanager]);
    let up = start_command(up);
    let http = reqwest::Client::new();
    let get = async |url: String| -> Option<(reqwest::header::HeaderMap, Value)> {
        let response = http.get(url).send().await.ok()?;
        let headers = response.headers().clone();
        Some((headers, response.json().await.ok()?))
    };

    let jobs = [
        "gateway",
        "processor",
        "metrics_engine",
        "read_model",
        "web",
    ];
    let targets = format!("http://{prometheus}/api/v1/targets");
    eventually("service scraped as up", async || {
        let (_, body) = get(targets.clone()).await?;
        let active = body["data"]["activeTargets"].as_array()?.clone();
        let up = |job: &str| {
            active
                .iter()
                .any(|t| t["labels"]["job"] == job && t["health"] == "up")
        };
        jobs.iter().all(|job| up(job)).then_some(())
    })
    .await;

    let alerts = format!("{}/alerts", up.read_model);
    eventually("Watchdog heard by the read model", async || {
        let (headers, _) = get(alerts.clone()).await?;
        headers.get("x-alerts-source-heard-at").map(|_| ())
    })
    .await;

    // A job that fails for good becomes a dead letter, which is an alert.
    let doomed = json!({"type": "demo", "payload": {"fail": true}, "maxAttempts": 1});
    submit(&http, &up, doomed).await;
    let listed = eventually("the dead-letter alert in /alerts", async || {
        let (_, body) = get(alerts.clone()).await?;
        let listed = body.as_array()?.clone();
        listed
            .iter()
            .any(|alert| alert["name"] == "OdtoDeadLettersArriving")
            .then_some(listed)
    })
    .await;
    assert!(
        listed.iter().all(|alert| alert["name"] != "Watchdog"),
        "{listed:?}"
    );
    let alert = listed
        .iter()
        .find(|alert| alert["name"] == "OdtoDeadLettersArriving")
        .unwrap();
    assert_eq!(alert["severity"], "ticket", "{alert}");
    let runbook = alert["runbookUrl"].as_str().unwrap_or_default();
    assert!(runbook.ends_with("OdtoDeadLettersArriving.md"), "{alert}");
    // Gracefully, so that Prometheus and Alertmanager stop with it.
    assert!(up.terminate().success());
}
