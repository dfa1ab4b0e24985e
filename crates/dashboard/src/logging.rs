//! Logs go to a file, never to the screen (the screen belongs to the dashboard).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Where the dashboard keeps its files: `$XDG_STATE_HOME/odto`, else `~/.local/state/odto`
/// (`%LOCALAPPDATA%\odto` on Windows), else the temporary directory.
pub fn state_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("XDG_STATE_HOME") {
        return dir.join("odto");
    }
    if let (true, Some(dir)) = (cfg!(windows), var("LOCALAPPDATA")) {
        return dir.join("odto");
    }
    match var("HOME") {
        Some(home) => home.join(".local/state/odto"),
        None => std::env::temp_dir().join("odto"),
    }
}

pub fn default_log_path() -> PathBuf {
    state_dir().join("dashboard.log")
}

/// Sends this process' `tracing` output to `path` (appended), filtered by `filter`.
pub fn to_file(path: &Path, filter: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init()
        .map_err(|e| anyhow::anyhow!("{e}"))
}
