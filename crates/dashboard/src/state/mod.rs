//! Everything the screen shows, in one value. Keys ([`keys`]) and background reports
//! ([`update`]) change it; [`crate::ui::render`] draws it and nothing else, so every screen can
//! be tested by building a `State` and rendering it.

#[cfg(test)]
mod fixtures;
mod forms;
mod history;
pub mod keys;
mod links;
pub mod update;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use odto_contracts::read_api::{Alert, DeadLetter, DeadLetterPage, JobDetail, JobView, Stats};

use crate::api::{FetchError, JobFilter};
use crate::poller::Interest;

pub use forms::{FilterField, FilterForm, FormStatus, NewTaskField, NewTaskForm, TextField};
pub use history::{HISTORY_SECS, Series, ThroughputHistory};
pub use keys::Action;
pub use links::{UiLink, ui_links};

/// How long the alert source may go unheard (no Watchdog) before the alert panel calls the
/// alerting pipeline silent. Alertmanager repeats the Watchdog every minute (deploy/).
pub const ALERTS_SILENT_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Lines of the launched stack's log kept for the launcher screen.
pub const LAUNCH_LOG_LINES: usize = 200;

/// What does not change while the dashboard runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub read_model_url: String,
    pub gateway_url: String,
    /// `L` may start a local stack.
    pub allow_launcher: bool,
    /// No destructive keys: no new task, no retry (the web terminal's read-only mode).
    pub read_only: bool,
    /// Shown in the help bar.
    pub version: String,
}

/// The screen underneath any modal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Loading,
    Launcher,
    Dashboard,
    JobDetail,
    DeadLetters,
}

/// A window over the current view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Modal {
    Help,
    NewTask(NewTaskForm),
    Filter(FilterForm),
    /// The `U` list, with the selected row.
    UiLauncher {
        selected: usize,
    },
}

/// Whether a service answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Link {
    #[default]
    Unknown,
    Up,
    /// It answers, but with errors (e.g. its database is down).
    Degraded(String),
    /// No answer; the next try is `next_in` away.
    Down {
        reason: String,
        next_in: Duration,
    },
}

impl Link {
    pub fn is_down(&self) -> bool {
        matches!(self, Self::Down { .. })
    }
}

/// Data from a service: the last value received, and the error of the last try if it failed.
/// The value is kept on error so that a blip does not blank the screen; the screen marks it.
#[derive(Clone, Debug, PartialEq)]
pub struct Remote<T> {
    pub value: Option<T>,
    pub error: Option<FetchError>,
}

impl<T> Default for Remote<T> {
    fn default() -> Self {
        Self {
            value: None,
            error: None,
        }
    }
}

impl<T> Remote<T> {
    pub fn update(&mut self, result: Result<T, FetchError>) {
        match result {
            Ok(value) => {
                self.value = Some(value);
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
    }
}

/// The job whose detail is open.
#[derive(Clone, Debug, PartialEq)]
pub struct DetailState {
    pub id: String,
    pub job: Remote<JobDetail>,
    /// First timeline row shown.
    pub scroll: usize,
    /// Where `Esc` goes back to.
    pub back: View,
}

/// The launcher screen's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LaunchPhase {
    /// Waiting for `L`.
    #[default]
    Idle,
    /// `odto up` was started; waiting for the read model to answer.
    Starting {
        pid: Option<u32>,
        log: Option<PathBuf>,
    },
    Failed(String),
}

/// A one-line message in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// The whole screen's state.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub settings: Settings,
    /// The clock the screen is drawn at (ages, the chart's right edge); set by the UI loop.
    pub now: DateTime<Utc>,
    /// Animation frame (spinner, rotating messages).
    pub frame: u64,
    pub view: View,
    pub modal: Option<Modal>,
    pub read_model: Link,
    pub gateway: Link,
    pub stats: Remote<Stats>,
    pub throughput: ThroughputHistory,
    pub jobs: Remote<Vec<JobView>>,
    pub selected: usize,
    pub filter: JobFilter,
    pub alerts: Remote<Vec<Alert>>,
    /// When the alert source was last heard from (the read model's last answer that said).
    pub alerts_heard_at: Option<DateTime<Utc>>,
    pub detail: Option<DetailState>,
    pub dead_letters: Remote<DeadLetterPage>,
    pub dead_letter_selected: usize,
    pub launch: LaunchPhase,
    pub launch_log: Vec<String>,
    pub ui_links: Vec<UiLink>,
    pub notice: Option<Notice>,
    pub quit: bool,
}

impl State {
    pub fn new(settings: Settings, now: DateTime<Utc>) -> State {
        let ui_links = ui_links(&settings.read_model_url, &settings.gateway_url);
        State {
            settings,
            now,
            frame: 0,
            view: View::Loading,
            modal: None,
            read_model: Link::Unknown,
            gateway: Link::Unknown,
            stats: Remote::default(),
            throughput: ThroughputHistory::default(),
            jobs: Remote::default(),
            selected: 0,
            filter: JobFilter::default(),
            alerts: Remote::default(),
            alerts_heard_at: None,
            detail: None,
            dead_letters: Remote::default(),
            dead_letter_selected: 0,
            launch: LaunchPhase::Idle,
            launch_log: Vec::new(),
            ui_links,
            notice: None,
            quit: false,
        }
    }

    /// What the poller must fetch for this screen.
    pub fn interest(&self) -> Interest {
        Interest {
            filter: self.filter.clone(),
            detail: self.detail.as_ref().map(|d| d.id.clone()),
            dead_letters: self.view == View::DeadLetters,
        }
    }

    /// Whether something on screen moves by itself (then the UI loop ticks; otherwise it
    /// sleeps until a key or a report arrives).
    pub fn animating(&self) -> bool {
        let submitting = matches!(
            &self.modal,
            Some(Modal::NewTask(form)) if form.status == FormStatus::Submitting
        );
        self.view == View::Loading
            || matches!(self.launch, LaunchPhase::Starting { .. }) && self.view == View::Launcher
            || submitting
    }

    /// Since when the alerting pipeline has been silent: the last time the alert source was
    /// heard from, once that is over [`ALERTS_SILENT_AFTER`] ago. `None` while it is heard, and
    /// when it never was (then there may be no alerting pipeline at all).
    pub fn alerts_silent_since(&self) -> Option<DateTime<Utc>> {
        self.alerts_heard_at
            .filter(|heard| self.now - *heard > ALERTS_SILENT_AFTER)
    }

    pub fn jobs(&self) -> &[JobView] {
        self.jobs.value.as_deref().unwrap_or_default()
    }

    pub fn selected_job(&self) -> Option<&JobView> {
        self.jobs().get(self.selected)
    }

    pub fn dead_letter_items(&self) -> &[DeadLetter] {
        self.dead_letters
            .value
            .as_ref()
            .map(|page| page.items.as_slice())
            .unwrap_or_default()
    }

    pub fn notify(&mut self, text: impl Into<String>, is_error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error,
        });
    }
}
