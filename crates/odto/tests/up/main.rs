//! `odto up` as a user runs it: the real binary, on embedded backends in a temporary data
//! directory, with nothing else running. `web`: its web terminal, over a real
//! WebSocket; `browser`: the web terminal's page in a real Chromium.

mod browser;
mod observability;
mod web;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running `odto up` child process and the addresses it reported.
struct Up {
    child: Child,
    gateway: String,
    read_model: String,
    /// The web terminal's address (`host:port`).
    web: String,
    /// What it wrote to stderr up to its access points.
    startup: Vec<String>,
    /// What it writes to stderr after them.
    output: mpsc::Receiver<String>,
}

const BACKEND_VARS: [&str; 3] = ["ODTO_RABBITMQ_URL", "ODTO_POSTGRES_URL", "ODTO_REDIS_URL"];

fn command(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_odto"));
    command
        .arg("up")
        .arg("--no-dashboard")
        .arg("--data-dir")
        .arg(data_dir);
    for flag in [
        "--gateway-listen",
        "--read-model-listen",
        "--processor-listen",
        "--metrics-engine-listen",
        "--web-listen",
    ] {
        command.args([flag, "127.0.0.1:0"]);
    }
    for var in BACKEND_VARS {
        command.env_remove(var);
    }
    command
        .env("ODTO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Starts `odto up` and waits until it reports its access points.
fn start(data_dir: &std::path::Path) -> Up {
    start_command(command(data_dir))
}

/// Starts `command`, an `odto up`, and waits until it reports its access points.
fn start_command(mut command: Command) -> Up {
    let mut child = command.spawn().expect("odto up starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let (lines, output) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut up = Up {
        child,
        gateway: String::new(),
        read_model: String::new(),
        web: String::new(),
        startup: Vec::new(),
        output,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while up.gateway.is_empty() || up.read_model.is_empty() || up.web.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = up
            .output
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("odto up did not report its addresses: {seen:#?}"));
        if let Some(url) = access_point(&line, "gateway") {
            up.gateway = url;
        } else if let Some(url) = access_point(&line, "read model") {
            up.read_model = url;
        } else if let Some(url) = access_point(&line, "web terminal") {
            up.web = url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned();
        }
        seen.push(line);
    }
    up.startup = seen;
    up
}

/// The URL on an access-point line such as `  gateway   http://127.0.0.1:3000   POST /jobs`.
fn access_point(line: &str, name: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix(name)?;
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://").then(|| url.to_owned())
}

impl Up {
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.expect("kill runs").success());
        self.child.wait().expect("exits")
    }
}

async fn get(client: &reqwest::Client, url: String) -> Option<Value> {
    let response = client.get(url).send().await.ok()?;
    response.status().is_success().then_some(())?;
    response.json().await.ok()
}

async fn submit(client: &reqwest::Client, up: &Up, job: Value) -> String {
    let response = client
        .post(format!("{}/jobs", up.gateway))
        .json(&job)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    body["jobId"].as_str().unwrap().to_owned()
}

/// Polls until every job in `ids` is COMPLETED according to the read model.
async fn wait_completed(client: &reqwest::Client, up: &Up, ids: &[String], limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let mut unfinished = Vec::new();
        for id in ids {
            let job = get(client, format!("{}/jobs/{id}", up.read_model)).await;
            let status = job.as_ref().map(|j| j["job"]["status"].clone());
            if status != Some(json!("COMPLETED")) {
                unfinished.push((id.clone(), status));
            }
        }
        if unfinished.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after {limit:?}, {} jobs are not completed: {:?}",
            unfinished.len(),
            &unfinished[..unfinished.len().min(5)]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn odto_up_serves_both_apis_and_runs_submitted_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let up = start(dir.path());
    let client = reqwest::Client::new();

    for base in [&up.gateway, &up.read_model] {
        let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200, "{base}/readyz");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_odto"))
        .args(["submit", "--type", "demo", "--count", "3"])
        .args(["--gateway-url", &up.gateway])
        .output()
        .expect("odto submit runs");
    assert!(output.status.success(), "{output:?}");
    let ids: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), 3, "one id per job: {ids:?}");

    wait_completed(&client, &up, &ids, Duration::from_secs(30)).await;
    let stats = get(&client, format!("{}/stats", up.read_model))
        .await
        .unwrap();
    assert_eq!(stats["totalJobs"], 3, "{stats}");
    assert!(up.terminate().success(), "a graceful stop exits 0");
}

#[tokio::test]
async fn jobs_running_when_odto_up_is_killed_complete_after_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let up = start(dir.path());
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let slow = json!({"type": "test.slow", "payload": {"durationMs": 1500}});
        ids.push(submit(&client, &up, slow).await);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = get(&client, format!("{}/stats", up.read_model)).await;
        if stats.is_some_and(|s| s["executingJobs"].as_u64() > Some(0)) {
            break;
        }
        assert!(Instant::now() < deadline, "no job started running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    up.kill();
    let up = start(dir.path());

    wait_completed(&client, &up, &ids, Duration::from_secs(60)).await;
    let stats = get(&client, format!("{}/stats", up.read_model))
        .await
        .unwrap();
    assert_eq!(stats["totalJobs"], 20, "{stats}");
    assert_eq!(stats["completedJobs"], 20, "{stats}");
    up.kill();
}

#[tokio::test]
async fn a_second_odto_up_on_the_same_data_directory_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());

    let second = command(dir.path()).output().expect("runs");

    assert!(!second.status.success());
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(message.contains("in use by another"), "{message}");
    first.kill();
}
