//! What happens to the dashboard: everything the background tasks report to the UI loop.
//! Keys arrive separately, as terminal events.

use std::path::PathBuf;
use std::time::Duration;

use odto_contracts::JobAccepted;
use odto_contracts::read_api::{DeadLetterPage, JobDetail, JobView, Stats};

use crate::api::{AlertsAnswer, FetchError};

/// A report from a background task.
#[derive(Debug)]
pub enum AppEvent {
    /// One polling round finished.
    Polled(Box<Poll>),
    /// The answer to a new-task submission.
    Submitted(Result<JobAccepted, FetchError>),
    /// The answer to a retry of this job.
    Retried {
        job_id: String,
        result: Result<JobAccepted, FetchError>,
    },
    /// News from the stack the launcher started.
    Launch(LaunchEvent),
    /// A browser could not be opened for this address.
    BrowserFailed { url: String, reason: String },
}

/// The results of one polling round. Each part can fail on its own.
#[derive(Debug)]
pub struct Poll {
    pub stats: Result<Stats, FetchError>,
    pub jobs: Result<Vec<JobView>, FetchError>,
    pub alerts: Result<AlertsAnswer, FetchError>,
    pub gateway: Result<(), FetchError>,
    /// Only while a job's detail is open: its id and what came back.
    pub detail: Option<(String, Result<JobDetail, FetchError>)>,
    /// Only while the dead-letter view is open.
    pub dead_letters: Option<Result<DeadLetterPage, FetchError>>,
    /// When the poller will look again (longer while the read model is down).
    pub next_in: Duration,
}

impl Poll {
    /// The read model is up when it answered `/stats` at all (even with an error status).
    pub fn read_model_answered(&self) -> bool {
        !matches!(&self.stats, Err(e) if e.is_unreachable())
    }
}

/// The launcher's child process, `odto up --no-dashboard`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchEvent {
    Started {
        pid: u32,
        log: PathBuf,
    },
    /// New lines of its log.
    Output(Vec<String>),
    /// It ended (it should not while starting): how, in words.
    Exited(String),
    /// It could not be started at all.
    Failed(String),
}
