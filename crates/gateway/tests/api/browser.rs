//! Swagger UI, in a real headless Chromium: it renders the gateway's document and nothing the
//! page loads leaves the machine. Needs node, Debian's chromium and `npm ci` in tests/browser;
//! without them the test fails under CI=true and is skipped (loudly) elsewhere.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::spawn_gateway;

fn browser_check_script() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let test = "swagger_ui_renders_in_a_browser_without_leaving_the_machine";
    odto_test_support::browser_script(&dir, "check-docs.mjs", test)
}

#[tokio::test]
async fn swagger_ui_renders_in_a_browser_without_leaving_the_machine() {
    let Some(script) = browser_check_script() else {
        return;
    };
    let gateway = spawn_gateway().await;
    let url = gateway.url("/docs/");

    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg("Gateway API")
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
    assert!(output.status.success(), "browser check failed:\n{report}");
    assert!(report.contains("all to loopback"), "{report}");
}
