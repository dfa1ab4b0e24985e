//! What the tests of `odto web` share: the real dashboard, and a model of the screen it draws.
#![allow(dead_code, reason = "each test binary uses a part of it")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use odto_web::pty::{Program, Size};
use tokio::sync::mpsc;

pub const SOON: Duration = Duration::from_secs(15);

/// The dashboard built next to this test (`cargo test --workspace` builds it).
pub fn dashboard() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps")
        .join("odd-dashboard");
    assert!(
        bin.is_file(),
        "no dashboard binary at {} (cargo build -p odd-dashboard)",
        bin.display()
    );
    bin
}

/// A dashboard in server mode (as `odto web` runs it) pointed at services that are not there,
/// with its state in `state`.
pub fn program(state: &tempfile::TempDir) -> Program {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    Program {
        path: dashboard(),
        args: vec![
            "--server-mode".into(),
            "--read-model-url".into(),
            url.clone().into(),
            "--gateway-url".into(),
            url.into(),
        ],
        env: vec![("XDG_STATE_HOME".into(), state.path().into())],
    }
}

/// The terminal's output applied to a screen model.
pub struct Screen {
    output: mpsc::Receiver<String>,
    pub parser: vt100::Parser,
}

impl Screen {
    pub fn new(output: mpsc::Receiver<String>, size: Size) -> Self {
        Self {
            output,
            parser: vt100::Parser::new(size.rows, size.cols, 0),
        }
    }

    /// Applies output until `ready` holds for the screen, or fails after [`SOON`].
    pub async fn until(&mut self, what: &str, ready: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + SOON;
        while !ready(self.parser.screen()) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.output.recv()).await {
                Ok(Some(text)) => self.parser.process(text.as_bytes()),
                Ok(None) => panic!("the terminal closed before {what}"),
                Err(_) => panic!(
                    "no {what} within {SOON:?}; the screen:\n{}",
                    self.parser.screen().contents()
                ),
            }
        }
    }

    pub fn resize(&mut self, size: Size) {
        self.parser.screen_mut().set_size(size.rows, size.cols);
    }
}

/// Whether anything is drawn in column `col` of any row.
pub fn drawn_in_column(screen: &vt100::Screen, col: u16) -> bool {
    let (rows, _) = screen.size();
    (0..rows).any(|row| {
        screen
            .cell(row, col)
            .is_some_and(|cell| !cell.contents().trim().is_empty())
    })
}
