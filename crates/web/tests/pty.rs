//! The real `odd-dashboard` in a real pseudo-terminal, read through a terminal emulator model:
//! it draws, it lays itself out again when the terminal is resized, and it does not outlive its
//! terminal.

mod support;

use odto_web::pty::{Size, Terminal};
use support::{Screen, drawn_in_column, program};
use tokio::sync::mpsc;

#[tokio::test]
async fn the_dashboard_draws_in_the_terminal_and_follows_a_resize() {
    let state = tempfile::tempdir().unwrap();
    let (sender, output) = mpsc::channel(64);
    let small = Size { cols: 80, rows: 24 };
    let terminal = Terminal::spawn(&program(&state), small, sender).expect("the dashboard starts");
    let mut screen = Screen::new(output, small);

    screen
        .until("the dashboard saying the read model is unreachable", |s| {
            s.contents().contains("unreachable")
        })
        .await;

    let wide = Size {
        cols: 132,
        rows: 40,
    };
    terminal.resize(wide).unwrap();
    screen.resize(wide);
    screen
        .until("the dashboard laid out at 132 columns", |s| {
            drawn_in_column(s, 131) && s.contents().contains("unreachable")
        })
        .await;
}

#[tokio::test]
async fn dropping_the_terminal_ends_the_dashboard() {
    let state = tempfile::tempdir().unwrap();
    let (sender, output) = mpsc::channel(64);
    let size = Size { cols: 80, rows: 24 };
    let terminal = Terminal::spawn(&program(&state), size, sender).expect("the dashboard starts");
    let mut screen = Screen::new(output, size);
    screen
        .until("the dashboard", |s| !s.contents().trim().is_empty())
        .await;
    let pid = terminal
        .process_id()
        .expect("a running dashboard has a pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());

    drop(terminal);

    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the dashboard (pid {pid}) outlived its terminal"
    );
}
