//! Browser tests: a node script driving Debian's Chromium with playwright-core.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `script` in the npm project `dir`, when node, Chromium (`$CHROMIUM`, else
/// `/usr/bin/chromium`) and the project's `npm ci` are there. Otherwise the test fails under
/// `CI=true` and, elsewhere, `None` says to skip it (loudly, naming `test`).
pub fn browser_script(dir: &Path, script: &str, test: &str) -> Option<PathBuf> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = Command::new("node").arg("--version").output();
    let ready = dir.join("node_modules/playwright-core").is_dir()
        && Path::new(&chromium).exists()
        && node.is_ok_and(|output| output.status.success());
    if ready {
        return Some(dir.join(script));
    }
    let why = format!("needs node, {chromium} and `npm ci` in {}", dir.display());
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} cannot run: {why}"
    );
    eprintln!("SKIPPED {test}: {why}");
    None
}
