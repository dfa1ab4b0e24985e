//! `L` on the launcher screen: start `odto up --no-dashboard` in the background and follow its
//! start-up. The stack outlives the dashboard (it is the user's stack, not a child to reap);
//! its output goes to a log file, so it never writes into the dashboard's screen and never
//! dies of a closed pipe when the dashboard quits.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::event::{AppEvent, LaunchEvent};

/// How often the start-up log is read while following it.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// The `odto` binary: the one given, else the one next to this executable (a cargo target
/// directory or an install directory holds both), else the first on PATH.
pub fn locate_odto(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = given {
        return path.is_file().then(|| path.to_owned());
    }
    let name = format!("odto{}", std::env::consts::EXE_SUFFIX);
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)));
    sibling.filter(|p| p.is_file()).or_else(|| on_path(&name))
}

/// The first file called `name` in a PATH directory.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// `host:port` for a `--*-listen` flag when `url` names this machine, so that the stack
/// started is the one the dashboard watches even on non-default ports.
pub fn listen_address(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next()?;
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = match host {
        "localhost" | "127.0.0.1" | "0.0.0.0" => "127.0.0.1",
        "[::1]" => "[::1]",
        _ => return None,
    };
    Some(format!("{host}:{port}"))
}

/// Starts the stack; reports `Started` (or `Failed`) and then follows it until the returned
/// task is dropped or aborted (the UI loop does that when the dashboard appears).
pub fn start(
    odto: &Path,
    read_model_url: &str,
    gateway_url: &str,
    log: PathBuf,
    events: mpsc::Sender<AppEvent>,
) -> tokio::task::JoinHandle<()> {
    let mut command = Command::new(odto);
    command.args(["up", "--no-dashboard"]);
    if let Some(address) = listen_address(gateway_url) {
        command.args(["--gateway-listen", &address]);
    }
    if let Some(address) = listen_address(read_model_url) {
        command.args(["--read-model-listen", &address]);
    }
    tokio::spawn(async move {
        match spawn(command, &log) {
            Ok(child) => follow(child, log, events).await,
            Err(error) => {
                let _ = events
                    .send(AppEvent::Launch(LaunchEvent::Failed(error)))
                    .await;
            }
        }
    })
}

fn spawn(mut command: Command, log: &Path) -> Result<Child, String> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let file =
        std::fs::File::create(log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let copy = file.try_clone().map_err(|e| e.to_string())?;
    command.stdin(Stdio::null()).stdout(file).stderr(copy);
    // Its own process group: a signal meant for the dashboard's terminal does not stop the stack.
    #[cfg(unix)]
    command.process_group(0);
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    command
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))
}

async fn follow(mut child: Child, log: PathBuf, events: mpsc::Sender<AppEvent>) {
    let pid = child.id().unwrap_or_default();
    tracing::info!(pid, log = %log.display(), "started odto up in the background");
    let started = LaunchEvent::Started {
        pid,
        log: log.clone(),
    };
    if events.send(AppEvent::Launch(started)).await.is_err() {
        return;
    }
    let mut offset = 0;
    loop {
        let exited = tokio::select! {
            status = child.wait() => Some(status),
            _ = tokio::time::sleep(FOLLOW_EVERY) => None,
        };
        let lines = read_new_lines(&log, &mut offset).await;
        if !lines.is_empty()
            && events
                .send(AppEvent::Launch(LaunchEvent::Output(lines)))
                .await
                .is_err()
        {
            return;
        }
        if let Some(status) = exited {
            let how = match status {
                Ok(status) => format!("with {status}"),
                Err(error) => format!("(cannot tell how: {error})"),
            };
            let _ = events
                .send(AppEvent::Launch(LaunchEvent::Exited(how)))
                .await;
            return;
        }
    }
}

/// Lines appended to the log since `offset` (a partial last line waits for the next read).
async fn read_new_lines(log: &Path, offset: &mut u64) -> Vec<String> {
    let Ok(mut file) = tokio::fs::File::open(log).await else {
        return vec![];
    };
    if file.seek(std::io::SeekFrom::Start(*offset)).await.is_err() {
        return vec![];
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).await.is_err() {
        return vec![];
    }
    let complete = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    *offset += complete as u64;
    String::from_utf8_lossy(&bytes[..complete])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_urls_become_listen_addresses_and_remote_ones_do_not() {
        assert_eq!(
            listen_address("http://127.0.0.1:18080").as_deref(),
            Some("127.0.0.1:18080")
        );
        assert_eq!(
            listen_address("http://localhost:3000/").as_deref(),
            Some("127.0.0.1:3000")
        );
        assert_eq!(listen_address("http://example.org:8080"), None);
        assert_eq!(
            listen_address("http://127.0.0.1"),
            None,
            "no port: keep the default"
        );
    }

    #[tokio::test]
    async fn the_log_is_read_line_by_line_as_it_grows() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("up.log");
        std::fs::write(&log, "one\ntwo\nthr").unwrap();
        let mut offset = 0;
        assert_eq!(read_new_lines(&log, &mut offset).await, ["one", "two"]);
        std::fs::write(&log, "one\ntwo\nthree\n").unwrap();
        assert_eq!(read_new_lines(&log, &mut offset).await, ["three"]);
        assert!(read_new_lines(&log, &mut offset).await.is_empty());
    }

    /// `echo` stands in for `odto`: it prints its arguments and exits at once.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_stack_that_exits_at_once_is_reported_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let echo = on_path("echo").expect("echo on PATH");
        let (tx, mut rx) = mpsc::channel(16);
        let log = dir.path().join("logs/up.log");
        start(
            &echo,
            "http://127.0.0.1:18080",
            "http://127.0.0.1:13000",
            log,
            tx,
        );
        let mut seen = vec![];
        while let Some(AppEvent::Launch(event)) = rx.recv().await {
            let done = matches!(event, LaunchEvent::Exited(_) | LaunchEvent::Failed(_));
            seen.push(event);
            if done {
                break;
            }
        }
        assert!(matches!(seen[0], LaunchEvent::Started { .. }), "{seen:?}");
        let args = "up --no-dashboard --gateway-listen 127.0.0.1:13000 --read-model-listen 127.0.0.1:18080";
        assert!(
            seen.contains(&LaunchEvent::Output(vec![args.into()])),
            "{seen:?}"
        );
        assert!(
            matches!(seen.last(), Some(LaunchEvent::Exited(_))),
            "{seen:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_binary_is_a_failure_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let missing = dir.path().join("no-such-odto");
        start(
            &missing,
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            dir.path().join("up.log"),
            tx,
        );
        let event = rx.recv().await;
        assert!(
            matches!(event, Some(AppEvent::Launch(LaunchEvent::Failed(reason))) if reason.contains("cannot start"))
        );
    }
}
