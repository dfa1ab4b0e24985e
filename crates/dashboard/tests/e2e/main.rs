//! End to end: the real `odd-dashboard` binary in tmux against a real `odto up`.
//!
//! Needs `tmux` and the `odto` binary next to `odd-dashboard` (both are built by
//! `cargo test --workspace`). Without them the test is skipped with a reason, except under
//! CI=true, where it fails.

#![cfg(unix)]

mod stack;
mod tmux;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use stack::{Ports, Stack, http, odto_next_to};
use tmux::Tmux;

const DASHBOARD: &str = env!("CARGO_BIN_EXE_odd-dashboard");
/// Wide enough for full job ids in the table.
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
const SOON: Duration = Duration::from_secs(15);

/// Whether the test can run here; `None` after printing why not (a failure under CI).
fn prerequisites() -> Option<std::path::PathBuf> {
    let odto = odto_next_to(Path::new(DASHBOARD));
    let succeeds = |command: &mut Command| command.output().is_ok_and(|o| o.status.success());
    let missing = if !odto.is_file() {
        format!("no odto binary at {} (cargo build -p odto)", odto.display())
    } else if !succeeds(Command::new(&odto).args(["up", "--help"])) {
        format!("{} has no `up` subcommand", odto.display())
    } else if !succeeds(Command::new("tmux").arg("-V")) {
        "tmux is not installed (apt-get install -y tmux)".to_owned()
    } else {
        return Some(odto);
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "e2e test cannot run: {missing}"
    );
    eprintln!("skipping the tmux end-to-end test: {missing}");
    None
}

fn submit(ports: Ports, job_type: &str) -> String {
    let body = format!(r#"{{"type": "{job_type}", "payload": {{"durationMs": 10}}}}"#);
    let (status, answer) = http(ports.gateway, "POST", "/jobs", Some(&body)).unwrap();
    assert_eq!(status, 202, "{answer}");
    let accepted: serde_json::Value = serde_json::from_str(&answer).unwrap();
    accepted["jobId"].as_str().unwrap().to_owned()
}

fn listed_by_read_model(ports: Ports, job_type: &str, id: &str) -> bool {
    let path = format!("/jobs?type={job_type}&limit=10");
    let Ok((200, body)) = http(ports.read_model, "GET", &path, None) else {
        return false;
    };
    let page: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    page["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|job| job["id"] == id))
}

#[test]
fn the_dashboard_follows_a_real_stack_through_a_stop_and_a_restart() {
    let Some(odto) = prerequisites() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (data, stack_log, dash_log) = (
        dir.path().join("data"),
        dir.path().join("up.log"),
        dir.path().join("dash.log"),
    );
    let ports = Ports::free();
    let mut stack = Stack::start(&odto, &data, ports, &stack_log);
    stack.wait_ready(ports, &stack_log);
    let before = submit(ports, "e2e.before");

    let command = format!(
        "exec {DASHBOARD} --read-model-url http://127.0.0.1:{} --gateway-url http://127.0.0.1:{} \
         --refresh-ms 1000 --log-file {}",
        ports.read_model,
        ports.gateway,
        dash_log.display()
    );
    let tmux = Tmux::start(&command, WIDTH, HEIGHT);

    // The stats and the job submitted beforehand.
    let screen = tmux.wait_for(&before, SOON);
    assert!(screen.contains("read model ● up"), "{screen}");
    assert!(screen.contains("e2e.before"), "{screen}");
    assert!(!screen.contains("waiting for the read model"), "{screen}");

    // N, a type, Enter: the gateway accepts it and the read model lists it.
    tmux.keys(&["N"]);
    tmux.wait_for("New task", SOON);
    tmux.type_text("e2e.created");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("accepted: job ", SOON);
    let created: String = screen
        .split("accepted: job ")
        .nth(1)
        .unwrap()
        .chars()
        .take(36)
        .collect();
    let deadline = Instant::now() + SOON;
    while !listed_by_read_model(ports, "e2e.created", &created) {
        assert!(
            Instant::now() < deadline,
            "the read model never listed job {created}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A key sent right behind Escape would read as Alt+key: wait for the form to close first.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the form closed", SOON, |s| !s.contains("New task"));
    tmux.wait_for(&created, SOON);

    // Enter on the highlighted job (still the first one): its detail and event timeline.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("job.completed", SOON);
    assert!(screen.contains(&format!("Job {before}")), "{screen}");
    assert!(
        screen.contains("Timeline (") && screen.contains("job.created"),
        "{screen}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("Jobs (", SOON);

    // Stop the stack: the dashboard says so within seconds and keeps answering keys.
    stack.stop();
    let stopped = Instant::now();
    tmux.wait_for("read model unreachable", Duration::from_secs(5));
    assert!(stopped.elapsed() < Duration::from_secs(5));
    tmux.keys(&["?"]);
    tmux.wait_for("Letter keys work in upper or lower case", SOON);
    tmux.keys(&["Escape"]);
    tmux.wait_until("help closed", SOON, |s| !s.contains("Letter keys work"));

    // Start it again on the same data: the dashboard recovers, the jobs are still there.
    let mut stack = Stack::start(&odto, &data, ports, &stack_log);
    stack.wait_ready(ports, &stack_log);
    let screen = tmux.wait_until("recovery", Duration::from_secs(20), |s| {
        s.contains("read model ● up") && !s.contains("unreachable")
    });
    assert!(screen.contains(&created), "{screen}");

    // Q (upper case) quits; the log went to the file, not to the screen.
    tmux.keys(&["Q"]);
    let deadline = Instant::now() + SOON;
    while tmux.is_running() {
        assert!(
            Instant::now() < deadline,
            "the dashboard did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(&dash_log).unwrap();
    assert!(
        log.contains("odd-dashboard starting") && log.contains("service down"),
        "{log}"
    );
}

#[test]
fn l_on_the_launcher_starts_a_stack_in_the_background_and_the_dashboard_follows_it() {
    let Some(odto) = prerequisites() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports::free();
    // The launched `odto up` inherits this environment: its data, its other ports, its log.
    let command = format!(
        "exec env XDG_DATA_HOME={dir} XDG_STATE_HOME={dir} ODTO_BIN={odto} \
         ODTO_PROCESSOR_LISTEN=127.0.0.1:{processor} ODTO_METRICS_ENGINE_LISTEN=127.0.0.1:{engine} \
         ODTO_NO_WEB=true {DASHBOARD} --read-model-url http://127.0.0.1:{read_model} --gateway-url http://127.0.0.1:{gateway} \
         --log-file {dir}/dash.log",
        dir = dir.path().display(),
        odto = odto.display(),
        processor = ports.processor,
        engine = ports.metrics_engine,
        read_model = ports.read_model,
        gateway = ports.gateway,
    );
    let tmux = Tmux::start(&command, WIDTH, HEIGHT);
    tmux.wait_for("Nothing answers at", SOON);

    let _stop = StopLaunchedStack(dir.path().join("dash.log"));
    tmux.keys(&["l"]);
    let screen = tmux.wait_for("stack started (odto up, pid ", Duration::from_secs(60));
    assert!(screen.contains("read model ● up"), "{screen}");
    assert!(matches!(
        http(ports.read_model, "GET", "/healthz", None),
        Ok((200, _))
    ));

    // The stack is the user's: it keeps running after the dashboard quits.
    tmux.keys(&["q"]);
    tmux.wait_until("the dashboard quit", SOON, |_| !tmux.is_running());
    assert!(matches!(
        http(ports.gateway, "GET", "/healthz", None),
        Ok((200, _))
    ));
    let log = std::fs::read_to_string(dir.path().join("odto/odto-up.log")).unwrap();
    assert!(!log.is_empty(), "odto up's output goes to its log file");
}

/// Stops the stack the dashboard launched, however the test ends: the dashboard logs its pid
/// ("started odto up in the background pid=…").
struct StopLaunchedStack(std::path::PathBuf);

impl Drop for StopLaunchedStack {
    fn drop(&mut self) {
        let log = std::fs::read_to_string(&self.0).unwrap_or_default();
        let pids = log
            .lines()
            .filter(|line| line.contains("started odto up in the background"))
            .filter_map(|line| line.split("pid=").nth(1))
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            });
        for pid in pids {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
    }
}
