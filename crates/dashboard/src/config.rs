//! How the dashboard runs: the [`DashboardConfig`] the library takes, and the command line
//! ([`Cli`]) that builds it. Every flag has an `ODTO_*` environment twin, shown by `--help`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use odto_settings::{DEFAULT_GATEWAY_URL, DEFAULT_READ_MODEL_URL, GatewayUrl, ReadModelUrl};

use crate::build_info;
use crate::doctor::Mode;

/// How to run the dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardConfig {
    /// Base URL of the read model (every read).
    pub read_model_url: String,
    /// Base URL of the gateway (new tasks, retries).
    pub gateway_url: String,
    /// Time between two polls while the read model answers.
    pub refresh: Duration,
    /// Longest wait for any one request.
    pub request_timeout: Duration,
    /// Whether `L` may start `odto up --no-dashboard` when no stack answers. Off when the
    /// stack runs in the same process (`odto up`) and in server mode.
    pub allow_launcher: bool,
    /// No destructive keys (no new task, no retry): the web terminal's read-only mode.
    pub read_only: bool,
    /// Runs for someone elsewhere (the web terminal): web UIs are shown as addresses, never
    /// opened in a browser on this machine.
    pub server_mode: bool,
    /// The `odto` binary the launcher starts; `None`: next to this executable, else on PATH.
    pub odto_binary: Option<PathBuf>,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            read_model_url: DEFAULT_READ_MODEL_URL.into(),
            gateway_url: DEFAULT_GATEWAY_URL.into(),
            refresh: Duration::from_millis(1_000),
            request_timeout: Duration::from_millis(2_000),
            allow_launcher: true,
            read_only: false,
            server_mode: false,
            odto_binary: None,
        }
    }
}

impl DashboardConfig {
    /// For a stack running in the same process (`odto up`): these URLs, no launcher.
    pub fn embedded(read_model_url: impl Into<String>, gateway_url: impl Into<String>) -> Self {
        DashboardConfig {
            read_model_url: read_model_url.into(),
            gateway_url: gateway_url.into(),
            allow_launcher: false,
            ..DashboardConfig::default()
        }
    }
}

/// `odd-dashboard`: the terminal dashboard of the Distributed Task Observatory.
#[derive(Debug, Parser)]
#[command(
    name = "odd-dashboard",
    version = build_info::LONG_VERSION,
    about = "Terminal dashboard of the Distributed Task Observatory: live stats, throughput, \
             alerts, jobs, timelines and dead letters. `odd-dashboard doctor` checks this machine.",
    after_help = "Keys: Q quit · ? help · N new task · U web UIs · / or F filter · D dead letters · \
                  Enter job detail · R refresh (letters in either case).\n\
                  Logs go to a file (--log-file), never to the screen."
)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check what each deployment mode needs on this machine and say how to install what is
    /// missing. Exits 0 when the chosen mode can run.
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Which mode to check.
    #[arg(long, env = "ODTO_DOCTOR_MODE", value_enum, default_value_t = Mode::AllInOne)]
    pub mode: Mode,
}

#[derive(Debug, Args)]
pub struct Options {
    #[command(flatten)]
    pub read_model: ReadModelUrl,
    #[command(flatten)]
    pub gateway: GatewayUrl,
    /// Milliseconds between two polls (100 to 3600000).
    #[arg(long, env = "ODTO_DASHBOARD_REFRESH_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub refresh_ms: u64,
    /// Milliseconds to wait for any one request before calling a service down.
    #[arg(long, env = "ODTO_DASHBOARD_TIMEOUT_MS", default_value_t = 2_000,
          value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub request_timeout_ms: u64,
    /// Server mode (set by the web terminal): no launcher, and web UIs are shown as addresses
    /// rather than opened in this machine's browser. The variable turns it on with any value
    /// but 0, false, no, off or empty.
    #[arg(long, env = "ODTO_DASHBOARD_SERVER_MODE",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub server_mode: bool,
    /// No new task and no retry (the web terminal's read-only mode sets it). Same values as
    /// server mode.
    #[arg(long, env = "ODTO_DASHBOARD_READ_ONLY",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub read_only: bool,
    /// Log file. Default: $XDG_STATE_HOME/odto/dashboard.log (~/.local/state/odto/…).
    #[arg(long, env = "ODTO_DASHBOARD_LOG")]
    pub log_file: Option<PathBuf>,
    /// Log filter, e.g. `info` or `odd_dashboard=debug`.
    #[arg(long, env = "ODTO_LOG", default_value = "info")]
    pub log: String,
    /// The `odto` binary (for `L` and `doctor`). Default: next to odd-dashboard, else on PATH.
    #[arg(long, env = "ODTO_BIN", global = true)]
    pub odto_bin: Option<PathBuf>,
}

impl Options {
    pub fn config(&self) -> DashboardConfig {
        DashboardConfig {
            read_model_url: self.read_model.url.clone(),
            gateway_url: self.gateway.url.clone(),
            refresh: Duration::from_millis(self.refresh_ms),
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            allow_launcher: !self.server_mode,
            read_only: self.read_only,
            server_mode: self.server_mode,
            odto_binary: self.odto_bin.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_mode_turns_off_the_launcher_and_read_only_the_destructive_keys() {
        let cli =
            Cli::try_parse_from(["odd-dashboard", "--server-mode", "--refresh-ms", "250"]).unwrap();
        let config = cli.options.config();
        assert!(!config.allow_launcher && config.server_mode && !config.read_only);
        assert_eq!(config.refresh, Duration::from_millis(250));
        let cli = Cli::try_parse_from(["odd-dashboard", "--server-mode", "--read-only"]).unwrap();
        assert!(cli.options.config().read_only);
        let normal = Cli::try_parse_from(["odd-dashboard"])
            .unwrap()
            .options
            .config();
        assert!(normal.allow_launcher && !normal.read_only && !normal.server_mode);
    }

    #[test]
    fn refresh_intervals_out_of_range_are_refused() {
        assert!(Cli::try_parse_from(["odd-dashboard", "--refresh-ms", "10"]).is_err());
    }

    #[test]
    fn the_embedded_config_has_no_launcher() {
        let config = DashboardConfig::embedded("http://127.0.0.1:1", "http://127.0.0.1:2");
        assert!(!config.allow_launcher);
        assert!(!config.read_only);
    }
}
