//! `odd-dashboard`: the terminal dashboard of the Distributed Task Observatory.
//!
//! It shows the statistics, a throughput chart, alerts and recent jobs of a running stack,
//! opens a job's attempts and event timeline, lists dead letters and retries them, submits new
//! tasks and opens the web UIs; when no stack answers it offers to start one (`odto up`).
//! It reaches the services over HTTP only (the read model for reads, the gateway for writes).
//!
//! The shape is the classic TUI one: a [`state::State`] that keys ([`state::keys`]) and
//! background reports ([`event::AppEvent`], from the [`poller`] and one-shot request tasks)
//! change, and a pure [`ui::render`] that draws it, so every screen is snapshot-tested.
//!
//! Another binary embeds it with [`run`] (from inside its own multi-threaded tokio runtime):
//!
//! ```no_run
//! # async fn host() -> anyhow::Result<()> {
//! let config = odd_dashboard::DashboardConfig::embedded("http://127.0.0.1:8080", "http://127.0.0.1:3000");
//! odd_dashboard::run(config).await
//! # }
//! ```

pub mod api;
mod app;
pub mod browser;
pub mod build_info;
pub mod config;
pub mod doctor;
pub mod event;
pub mod launcher;
pub mod logging;
pub mod poller;
pub mod program;
pub mod state;
mod terminal;
pub mod ui;

pub use app::run;
pub use config::{Cli, DashboardConfig};
