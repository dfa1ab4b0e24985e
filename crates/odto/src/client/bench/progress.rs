//! The progress bar on stderr, shown only when stderr is a terminal (never in a pipe or a log).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the bar is redrawn from the counters.
const TICK: Duration = Duration::from_millis(100);

/// A progress bar, or nothing when stderr is not a terminal.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let template = "{msg:>7} [{bar:40}] {human_pos}/{human_len} jobs ({elapsed})";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Progress { bar }
    }

    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// Starts a phase of `len` steps.
    pub fn phase(&self, message: &'static str, len: u64) {
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_length(len);
            bar.set_message(message);
        }
    }

    pub fn set(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
    }

    /// Follows `counter` until the returned task is aborted (the workers count with an atomic;
    /// the bar reads it ten times a second rather than on every request).
    pub fn follow(&self, counter: Arc<AtomicU64>) -> Option<tokio::task::JoinHandle<()>> {
        let progress = self.clone();
        self.bar.as_ref()?;
        Some(tokio::spawn(async move {
            loop {
                progress.set(counter.load(Ordering::Relaxed));
                tokio::time::sleep(TICK).await;
            }
        }))
    }

    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
