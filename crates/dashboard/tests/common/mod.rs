//! Fixtures for the screen tests: states built by hand, drawn on ratatui's `TestBackend`, and
//! compared with the text snapshots in `tests/snapshots/`.
//!
//! `UPDATE_SNAPSHOTS=1 cargo test -p odd-dashboard --test screens` rewrites the snapshots;
//! review the diff before committing it. A missing snapshot is written and fails the test
//! (never under CI=true).

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use odd_dashboard::api::FetchError;
use odd_dashboard::state::{DetailState, Link, Remote, Settings, State, View};
use odto_contracts::read_api::{
    Alert, Attempt, AttemptOutcome, Conservation, DeadLetter, DeadLetterPage, JobDetail, JobView,
    Stats, Throughput,
};
use odto_contracts::{EventEnvelope, Job, JobType, Producer};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::text::Span;

pub const SMALL: (u16, u16) = (80, 24);
pub const LARGE: (u16, u16) = (160, 48);

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap()
}

pub fn ago(secs: i64) -> DateTime<Utc> {
    now() - TimeDelta::seconds(secs)
}

pub fn settings() -> Settings {
    Settings {
        read_model_url: "http://127.0.0.1:8080".into(),
        gateway_url: "http://127.0.0.1:3000".into(),
        allow_launcher: true,
        read_only: false,
        version: "1.2.3".into(),
    }
}

pub fn job_id(n: u64) -> String {
    format!("0190c6f2-7a1b-7c3d-8e4f-{n:012x}")
}

pub fn job(n: u64, job_type: &str, status: &str) -> JobView {
    let mut job = Job::new(
        job_id(n).parse().unwrap(),
        JobType::parse(job_type).unwrap(),
        ago(n as i64 * 7),
    );
    job.status = status.parse().unwrap();
    job.updated_at = Some(ago(n as i64 * 7 - 1));
    job.attempts = Some(1 + (n % 3) as u32);
    job.last_error = (status == "FAILED").then(|| "simulated failure (fail: true)".into());
    job.payload = Some(payload(serde_json::json!({"durationMs": 250})));
    JobView {
        job,
        max_attempts: Some(3),
        run_attempts: None,
        correlation_id: Some(format!("corr-{n}")),
        finished_at: None,
    }
}

/// A job's payload: a JSON object.
pub fn payload(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(fields) = value else {
        panic!("a payload is an object: {value}")
    };
    fields
}

/// A mix of every status, newest first.
pub fn many_jobs(count: u64) -> Vec<JobView> {
    let statuses = [
        "COMPLETED",
        "EXECUTING",
        "PENDING",
        "FAILED",
        "COMPLETED",
        "CANCELLED",
    ];
    let types = ["email.send", "report.render", "cpu", "image.resize"];
    (0..count)
        .map(|n| {
            job(
                n,
                types[n as usize % types.len()],
                statuses[n as usize % statuses.len()],
            )
        })
        .collect()
}

pub fn stats() -> Stats {
    let throughput = (0..60)
        .map(|i: i64| Throughput {
            second: now().timestamp() - 59 + i,
            accepted: (10 + (i * 7) % 13) as u64,
            completed: (8 + (i * 5) % 11) as u64,
            failed: (i % 9 == 0) as u64 * 2,
        })
        .collect();
    Stats {
        total_jobs: 1_234,
        pending_jobs: 12,
        validated_jobs: 0,
        executing_jobs: 3,
        completed_jobs: 1_200,
        failed_jobs: 19,
        cancelled_jobs: 0,
        last_event_time: Some(ago(2)),
        conservation: Some(Conservation {
            accepted: 1_234,
            accounted: 1_234,
            holds: true,
        }),
        by_type: Default::default(),
        throughput,
    }
}

/// The dashboard with the read model and gateway up, no alerts, and these jobs.
pub fn dashboard(jobs: Vec<JobView>) -> State {
    let mut state = State::new(settings(), now());
    state.view = View::Dashboard;
    state.read_model = Link::Up;
    state.gateway = Link::Up;
    let stats = stats();
    state.throughput.merge(&stats.throughput, now().timestamp());
    state.stats.update(Ok(stats));
    state.jobs.update(Ok(jobs));
    state.alerts.update(Ok(vec![]));
    state
}

pub fn refused() -> FetchError {
    FetchError::Unreachable("Connection refused (os error 111)".into())
}

/// The read model stopped answering after the dashboard had shown data.
pub fn service_down() -> State {
    let mut state = dashboard(many_jobs(8));
    state.read_model = Link::Down {
        reason: refused().to_string(),
        next_in: Duration::from_secs(4),
    };
    state.gateway = state.read_model.clone();
    state.stats.update(Err(refused()));
    state.jobs.update(Err(refused()));
    state.alerts.update(Err(refused()));
    state
}

pub fn firing_alerts() -> Vec<Alert> {
    vec![
        Alert {
            name: "OdtoFailureRatioHigh".into(),
            severity: "critical".into(),
            summary: "more than 10% of jobs fail".into(),
            since: Some(ago(300)),
            ..Alert::default()
        },
        Alert {
            name: "OdtoBacklogOld".into(),
            severity: "warning".into(),
            summary: "oldest queued job waits over 60 s".into(),
            since: Some(ago(600)),
            ..Alert::default()
        },
    ]
}

pub fn detail(view: JobView) -> JobDetail {
    let job = &view.job;
    let started = job.created_at + TimeDelta::milliseconds(40);
    let attempts = vec![
        Attempt {
            job_id: job.id,
            number: 1,
            worker: "processor-1".into(),
            started_at: started,
            finished_at: Some(started + TimeDelta::milliseconds(250)),
            outcome: Some(AttemptOutcome::Failed),
            error: Some("simulated failure".into()),
        },
        Attempt {
            job_id: job.id,
            number: 2,
            worker: "processor-1".into(),
            started_at: started + TimeDelta::seconds(1),
            finished_at: Some(started + TimeDelta::milliseconds(1_251)),
            outcome: Some(AttemptOutcome::Completed),
            error: None,
        },
    ];
    let event = |millis: i64, event_type: &str, status: &str, service: &str| {
        let mut state = Job::new(job.id, job.job_type.clone(), job.created_at);
        state.status = status.parse().unwrap();
        state.last_error = (event_type == "job.attempt_failed").then(|| "simulated failure".into());
        let producer = Producer::new(service, format!("{service}-1"), "1.2.3");
        let at = job.created_at + TimeDelta::milliseconds(millis);
        let event_type = event_type.parse().unwrap();
        EventEnvelope::new(event_type, state, producer, "corr", "key", at)
    };
    let events = vec![
        event(0, "job.created", "PENDING", "gateway"),
        event(40, "job.started", "EXECUTING", "processor"),
        event(290, "job.attempt_failed", "PENDING", "processor"),
        event(1_040, "job.started", "EXECUTING", "processor"),
        event(1_291, "job.completed", "COMPLETED", "processor"),
    ];
    JobDetail {
        job: view,
        attempts,
        events,
    }
}

pub fn with_detail(mut state: State, data: Result<JobDetail, FetchError>, id: &str) -> State {
    let mut job = Remote::default();
    job.update(data);
    state.detail = Some(DetailState {
        id: id.into(),
        job,
        scroll: 0,
        back: View::Dashboard,
    });
    state.view = View::JobDetail;
    state
}

pub fn dead_letters(count: u64) -> DeadLetterPage {
    let items = (0..count)
        .map(|n| DeadLetter {
            id: format!("0190c6f2-dead-7000-8000-{n:012x}").parse().unwrap(),
            received_at: ago(30 * n as i64 + 5),
            source: "jobs.created".into(),
            reason: match n % 2 {
                0 => "job failed after 3 attempts: simulated failure".into(),
                _ => "not JSON: expected value at line 1 column 1".into(),
            },
            body: match n % 2 {
                0 => format!(
                    "{{\"eventType\":\"job.created\",\"payload\":{{\"id\":\"{}\"}}}}",
                    job_id(n)
                ),
                _ => "garbage".into(),
            },
            job_id: (n % 2 == 0).then(|| job_id(n).parse().unwrap()),
            retried_at: (n == 2).then(|| ago(1)),
        })
        .collect();
    DeadLetterPage {
        items,
        next_cursor: None,
        total: count,
    }
}

pub fn launch_log() -> Vec<String> {
    (0..30)
        .map(|n| format!("2025-01-01T12:00:{n:02}Z  INFO odto_up: step {n} of start-up"))
        .collect()
}

pub fn log_path() -> PathBuf {
    PathBuf::from("/home/user/.local/state/odto/odto-up.log")
}

pub fn draw(state: &State, (width, height): (u16, u16)) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| odd_dashboard::ui::render(state, frame))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text, one line per row, trailing spaces kept (wide characters count once).
pub fn screen_text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width);
    let mut out = String::new();
    for row in buffer.content.chunks(width) {
        let mut skip = 0;
        for cell in row {
            if skip == 0 {
                out.push_str(cell.symbol());
            }
            skip = skip.max(Span::raw(cell.symbol()).width()).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

/// Compares the screen with `tests/snapshots/{name}_{w}x{h}.txt`.
pub fn assert_screen(name: &str, state: &State, size: (u16, u16)) {
    let actual = screen_text(&draw(state, size));
    let file = format!("{name}_{}x{}.txt", size.0, size.1);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(&file);
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => {}
        Ok(_) | Err(_) if update || (!path.exists() && !in_ci) => {
            std::fs::write(&path, &actual).unwrap();
            assert!(
                update,
                "new snapshot {file} written: review it, then run again\n{actual}"
            );
        }
        Ok(expected) => panic!(
            "screen {file} differs from its snapshot (UPDATE_SNAPSHOTS=1 rewrites it)\n--- expected\n{expected}--- actual\n{actual}"
        ),
        Err(error) => panic!("snapshot {file} missing ({error})\n{actual}"),
    }
}

/// Where on the screen a text first appears: (x, y) in cells.
pub fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let text = screen_text(buffer);
    text.lines().enumerate().find_map(|(y, line)| {
        let byte = line.find(needle)?;
        let x = Span::raw(&line[..byte]).width();
        Some((x as u16, y as u16))
    })
}
