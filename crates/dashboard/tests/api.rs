//! The HTTP client against a stand-in server that answers like the read model and the
//! gateway (same paths, same JSON shapes), or not at all.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use odd_dashboard::api::{Api, JobFilter};
use odd_dashboard::poller::{Interest, poll_once};

/// Canned answers by request line (`GET /stats`); every request is recorded with its body.
struct FakeService {
    port: u16,
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeService {
    fn start(answers: &[(&str, u16, &str)]) -> FakeService {
        let answers: Vec<_> = answers
            .iter()
            .map(|&(line, status, body)| (line, status, "", body))
            .collect();
        FakeService::start_with_headers(&answers)
    }

    /// Like [`FakeService::start`], each answer with extra header lines (`name: value\r\n`).
    fn start_with_headers(answers: &[(&str, u16, &str, &str)]) -> FakeService {
        let answers: HashMap<String, (u16, String, String)> = answers
            .iter()
            .map(|(line, status, headers, body)| {
                let answer = (*status, headers.to_string(), body.to_string());
                (line.to_string(), answer)
            })
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (line, body) = read_request(&stream);
                recorded.lock().unwrap().push((line.clone(), body));
                let not_found = (
                    404,
                    String::new(),
                    r#"{"error":{"code":"route_not_found","message":"no route"}}"#.to_owned(),
                );
                let (status, headers, body) = answers.get(&line).cloned().unwrap_or(not_found);
                answer(stream, status, &headers, &body);
            }
        });
        FakeService { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The request line without the HTTP version, and the body.
fn read_request(mut stream: &TcpStream) -> (String, String) {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).unwrap_or(0);
        bytes.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&bytes).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= length || n == 0 {
                let line = head
                    .lines()
                    .next()
                    .unwrap_or("")
                    .rsplit_once(' ')
                    .map_or("", |(l, _)| l);
                return (line.to_owned(), body.to_owned());
            }
        }
        if n == 0 {
            return (String::new(), String::new());
        }
    }
}

fn answer(mut stream: TcpStream, status: u16, headers: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{headers}connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

const STATS: &str = r#"{"totalJobs":5,"pendingJobs":1,"validatedJobs":0,"executingJobs":1,"completedJobs":2,
  "failedJobs":1,"cancelledJobs":0,"lastEventTime":"2025-01-01T12:00:00Z","byType":{},
  "conservation":{"accepted":5,"accounted":5,"holds":true},
  "throughput":[{"second":1735732800,"accepted":2,"completed":1,"failed":0}]}"#;
const JOBS: &str = r#"{"items":[{"id":"0190c6f2-7a1b-7c3d-8e4f-000000000001","type":"email.send",
  "status":"FAILED","createdAt":"2025-01-01T11:59:00+01:00","attempts":4,"maxAttempts":3,
  "runAttempts":1,"correlationId":"c","finishedAt":null,"lastError":"boom","payload":{"fail":true}}],
  "nextCursor":null}"#;

fn api(read_model: &str, gateway: &str, timeout_ms: u64) -> Api {
    Api::new(read_model, gateway, Duration::from_millis(timeout_ms)).unwrap()
}

#[tokio::test]
async fn one_round_reads_every_endpoint_and_a_missing_alerts_route_stays_an_error() {
    let service = FakeService::start(&[
        ("GET /stats", 200, STATS),
        ("GET /jobs?limit=100&status=FAILED", 200, JOBS),
        ("GET /healthz", 200, r#"{"status":"ok"}"#),
    ]);
    let interest = Interest {
        filter: JobFilter {
            status: Some(odto_contracts::JobStatus::Failed),
            job_type: None,
        },
        ..Interest::default()
    };
    let poll = poll_once(&api(&service.url(), &service.url(), 1_000), &interest).await;
    assert!(poll.read_model_answered());
    let stats = poll.stats.expect("stats");
    assert_eq!((stats.total_jobs, stats.failed_jobs), (5, 1));
    assert_eq!(stats.throughput.len(), 1);
    let jobs = poll.jobs.expect("jobs");
    assert_eq!(jobs[0].run_attempts, Some(1));
    assert_eq!(
        jobs[0].job.created_at.to_rfc3339(),
        "2025-01-01T10:59:00+00:00"
    );
    assert!(poll.alerts.unwrap_err().is_not_found());
    assert!(poll.gateway.is_ok());
    assert!(
        poll.detail.is_none() && poll.dead_letters.is_none(),
        "not asked for"
    );
}

#[tokio::test]
async fn alerts_are_read_with_the_time_the_alert_source_was_heard_from() {
    let alerts = r#"[{"name":"OdtoServiceDown","severity":"critical","summary":"gateway is down",
      "description":"","labels":{"alertname":"OdtoServiceDown"},"since":"2025-01-01T11:58:00Z",
      "runbookUrl":null}]"#;
    let heard = "x-alerts-source-heard-at: 2025-01-01T11:59:30Z\r\n";
    let service = FakeService::start_with_headers(&[("GET /alerts", 200, heard, alerts)]);
    let unheard = FakeService::start(&[("GET /alerts", 200, "[]")]);

    let answer = api(&service.url(), &service.url(), 1_000)
        .alerts()
        .await
        .unwrap();
    let never = api(&unheard.url(), &unheard.url(), 1_000)
        .alerts()
        .await
        .unwrap();

    assert_eq!(answer.alerts[0].name, "OdtoServiceDown");
    assert_eq!(answer.alerts[0].severity, "critical");
    assert_eq!(
        answer.source_heard_at.map(|t| t.to_rfc3339()),
        Some("2025-01-01T11:59:30+00:00".into())
    );
    assert_eq!(never, Default::default());
}

#[tokio::test]
async fn a_stopped_service_is_unreachable_at_once() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{closed}");
    let started = Instant::now();
    let poll = poll_once(&api(&url, &url, 2_000), &Interest::default()).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(!poll.read_model_answered());
    assert!(poll.stats.unwrap_err().is_unreachable());
}

#[tokio::test]
async fn a_service_that_never_answers_is_given_up_on_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts connections (the kernel does) but never reads or answers.
    let started = Instant::now();
    let error = api(&url, &url, 300).stats().await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    assert_eq!(error.to_string(), "no answer within 300ms");
    drop(listener);
}

#[tokio::test]
async fn a_new_task_is_posted_in_the_short_form_and_refusals_keep_the_gateways_message() {
    let accepted = r#"{"jobId":"0190c6f2-7a1b-7c3d-8e4f-000000000009","eventId":"0190c6f2-7a1b-7c3d-8e4f-00000000000a"}"#;
    let gateway = FakeService::start(&[
        ("POST /jobs", 202, accepted),
        (
            "POST /jobs/x/retry",
            409,
            r#"{"error":{"code":"invalid_job_state","message":"cannot retry a COMPLETED job"}}"#,
        ),
    ]);
    let client = api("http://127.0.0.1:9", &gateway.url(), 1_000);
    let body = serde_json::json!({"type": "email.send", "payload": {"durationMs": 5}});
    let answer = client.submit(&body).await.unwrap();
    assert_eq!(
        answer.job_id.to_string(),
        "0190c6f2-7a1b-7c3d-8e4f-000000000009"
    );
    let refused = client.retry("x").await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "HTTP 409: cannot retry a COMPLETED job"
    );
    let requests = gateway.requests.lock().unwrap().clone();
    let sent: serde_json::Value = serde_json::from_str(&requests[0].1).unwrap();
    assert_eq!(sent, body);
}
