//! The web terminal's page in a real headless Chromium (Debian's), driven by playwright-core
//! (`crates/web/page/tests/browser.mjs`) against a real `odto up`: the dashboard renders in xterm
//! with no request to another origin, typing works, a reload re-attaches to the same session, and
//! with the WebSocket blocked the fallback shows the live statistics. Each state is saved as a
//! screenshot in `$ODTO_SCREENSHOT_DIR` (CI keeps it), else in the target directory.
//!
//! Needs node, Chromium and `npm ci` in crates/web/page; without them the test fails under
//! CI=true and is skipped (loudly) elsewhere.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use super::{start, submit};

fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("ODTO_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"))
        .join("web-terminal");
    std::fs::create_dir_all(&dir).expect("the screenshot directory can be made");
    dir
}

#[tokio::test]
async fn the_page_shows_the_dashboard_survives_a_reload_and_falls_back_without_a_socket() {
    let test = "the web terminal's browser test";
    let page = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/page");
    let Some(script) = odto_test_support::browser_script(&page, "tests/browser.mjs", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let up = start(dir.path());
    let http = reqwest::Client::new();
    for _ in 0..3 {
        submit(&http, &up, json!({"type": "demo"})).await;
    }
    let shots = screenshot_dir();
    let url = format!("http://{}/", up.web);

    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg(&shots)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");

    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the browser test failed:\n{report}"
    );
    up.kill();
}
