//! The binary's command line: `--version`, `--help`, `doctor`, and refusing to run without a
//! terminal. Each test runs the real `odd-dashboard` binary.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_odd-dashboard");

/// The binary with none of the caller's `ODTO_*` settings, so answers depend on the test only.
fn dashboard() -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("ODTO_") {
            command.env_remove(name);
        }
    }
    command
}

fn run(command: &mut Command) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (status.code(), text(stdout), text(stderr))
}

/// A port nothing listens on (it was free a moment ago).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Points every all-in-one port at a free one, and ODTO_BIN at an existing file.
fn all_in_one_env(command: &mut Command, odto: &Path) -> Vec<u16> {
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    command
        .env("ODTO_BIN", odto)
        .env("ODTO_GATEWAY_URL", format!("http://127.0.0.1:{}", ports[0]))
        .env(
            "ODTO_READ_MODEL_URL",
            format!("http://127.0.0.1:{}", ports[1]),
        )
        .env("ODTO_PROCESSOR_LISTEN", format!("127.0.0.1:{}", ports[2]))
        .env(
            "ODTO_METRICS_ENGINE_LISTEN",
            format!("127.0.0.1:{}", ports[3]),
        );
    ports
}

#[test]
fn version_prints_the_version_the_commit_and_the_build_date() {
    let (code, out, _) = run(dashboard().arg("--version"));
    assert_eq!(code, Some(0));
    let expected = format!("odd-dashboard {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(out.starts_with(&expected), "{out}");
    let date = out
        .split("built ")
        .nth(1)
        .expect("a build date")
        .trim_end()
        .trim_end_matches(')');
    let digits: Vec<&str> = date.split('-').collect();
    assert_eq!(
        digits.iter().map(|d| d.len()).collect::<Vec<_>>(),
        [4, 2, 2],
        "{date}"
    );
    assert!(
        digits.iter().all(|d| d.chars().all(|c| c.is_ascii_digit())),
        "{date}"
    );
}

#[test]
fn help_lists_every_flag_with_its_environment_twin() {
    let (code, out, _) = run(dashboard().arg("--help"));
    assert_eq!(code, Some(0));
    for (flag, env) in [
        ("--read-model-url", "ODTO_READ_MODEL_URL"),
        ("--gateway-url", "ODTO_GATEWAY_URL"),
        ("--refresh-ms", "ODTO_DASHBOARD_REFRESH_MS"),
        ("--request-timeout-ms", "ODTO_DASHBOARD_TIMEOUT_MS"),
        ("--server-mode", "ODTO_DASHBOARD_SERVER_MODE"),
        ("--read-only", "ODTO_DASHBOARD_READ_ONLY"),
        ("--log-file", "ODTO_DASHBOARD_LOG"),
        ("--odto-bin", "ODTO_BIN"),
    ] {
        assert!(out.contains(flag), "{flag} missing from\n{out}");
        assert!(
            out.contains(&format!("[env: {env}")),
            "{env} missing from\n{out}"
        );
    }
    assert!(out.contains("doctor"), "{out}");
    assert!(out.contains("[default: http://127.0.0.1:8080]"), "{out}");
}

#[test]
fn doctor_help_names_the_modes() {
    let (code, out, _) = run(dashboard().args(["doctor", "--help"]));
    assert_eq!(code, Some(0));
    for word in [
        "--mode",
        "ODTO_DOCTOR_MODE",
        "all-in-one",
        "distributed",
        "cluster",
    ] {
        assert!(out.contains(word), "{word} missing from\n{out}");
    }
}

#[test]
fn doctor_passes_all_in_one_when_odto_exists_and_the_ports_are_free() {
    let mut command = dashboard();
    all_in_one_env(&mut command, Path::new(BIN));
    let (code, out, _) = run(command.arg("doctor"));
    assert!(out.contains("all-in-one: ready"), "{out}");
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn doctor_fails_all_in_one_without_odto_or_with_a_taken_port_and_says_how_to_fix_it() {
    let mut command = dashboard();
    let dir = tempfile::tempdir().unwrap();
    all_in_one_env(&mut command, &dir.path().join("no-odto"));
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    command.env("ODTO_GATEWAY_URL", format!("http://127.0.0.1:{port}"));
    let (code, out, _) = run(command.args(["doctor", "--mode", "all-in-one"]));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("[FAIL] odto binary"), "{out}");
    assert!(out.contains("cargo build --release -p odto"), "{out}");
    assert!(
        out.contains(&format!("[FAIL] port {port} (gateway)")),
        "{out}"
    );
    assert!(out.contains("not ready (2 to fix)"), "{out}");
}

#[test]
fn doctor_passes_distributed_when_the_three_backends_answer() {
    let backends: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let port = |i: usize| backends[i].local_addr().unwrap().port();
    let mut command = dashboard();
    command
        .env("ODTO_BIN", BIN)
        .env(
            "ODTO_RABBITMQ_URL",
            format!("amqp://guest:guest@127.0.0.1:{}/%2f", port(0)),
        )
        .env(
            "ODTO_POSTGRES_URL",
            format!("postgres://postgres:secret@127.0.0.1:{}/odto", port(1)),
        )
        .env("ODTO_REDIS_URL", format!("redis://127.0.0.1:{}", port(2)));
    let (code, out, _) = run(command.args(["doctor", "--mode", "distributed"]));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("distributed: ready"), "{out}");
    assert!(
        !out.contains("secret"),
        "a password reached the report:\n{out}"
    );
}

#[test]
fn doctor_fails_distributed_when_a_backend_is_down_and_gives_an_install_hint() {
    let mut command = dashboard();
    command
        .env("ODTO_BIN", BIN)
        .env(
            "ODTO_RABBITMQ_URL",
            format!("amqp://127.0.0.1:{}", free_port()),
        )
        .env(
            "ODTO_POSTGRES_URL",
            format!("postgres://127.0.0.1:{}", free_port()),
        )
        .env(
            "ODTO_REDIS_URL",
            format!("redis://127.0.0.1:{}", free_port()),
        )
        .env("ODTO_DOCTOR_MODE", "distributed");
    let (code, out, _) = run(command.arg("doctor"));
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(out.matches("nothing answers").count(), 3, "{out}");
    assert_eq!(out.matches("fix: ").count(), 3, "{out}");
}

#[test]
fn doctor_checks_the_cluster_tools_on_path() {
    let empty = tempfile::tempdir().unwrap();
    let (code, out, _) = run(dashboard()
        .env("PATH", empty.path())
        .args(["doctor", "--mode", "cluster"]));
    assert_eq!(code, Some(1), "{out}");
    for tool in ["docker", "kubectl", "kind"] {
        assert!(out.contains(&format!("[FAIL] {tool}")), "{tool}:\n{out}");
    }
    let tools = tempfile::tempdir().unwrap();
    for tool in ["docker", "kubectl", "kind"] {
        std::fs::write(tools.path().join(tool), "").unwrap();
    }
    let (code, out, _) = run(dashboard()
        .env("PATH", tools.path())
        .args(["doctor", "--mode", "cluster"]));
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn without_a_terminal_the_dashboard_says_so_instead_of_drawing() {
    let (code, _, err) = run(dashboard().stdin(std::process::Stdio::null()));
    assert_eq!(code, Some(1));
    assert!(err.contains("needs a terminal"), "{err}");
}
