//! Command-line interface. Every flag has an `ODTO_*` environment twin, shown by `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "odto",
    version,
    about = "Distributed Task Observatory: services and operator commands"
)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole observatory in this process, on embedded backends unless RabbitMQ,
    /// PostgreSQL or Redis URLs are given (gateway on 3000, read model on 8080).
    Up(crate::up::UpArgs),
    /// Run the gateway: the HTTP API that accepts jobs (default port 3000).
    Gateway(odto_gateway::GatewayConfig),
    /// Run a processor: consumes jobs and runs them (health and metrics on port 9101).
    Processor(odto_processor::ProcessorConfig),
    /// Run the metrics engine: stores every event, keeps live statistics (port 9102).
    MetricsEngine(odto_metrics_engine::EngineConfig),
    /// Run the read model: the read API of every UI (default port 8080).
    ReadModel(odto_read_model::ReadModelConfig),
    /// Run the web terminal: the dashboard in the browser, a PTY per session streamed over a
    /// WebSocket (default port 8081).
    Web(odto_web::WebConfig),
    /// Run the terminal dashboard, as `odd-dashboard` does (`odto dashboard --help`, `odto
    /// dashboard doctor`); the web terminal runs it when no `odd-dashboard` is installed.
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Dashboard(DashboardArgs),
    /// Rebuild the live statistics from the event store, then print them.
    Reconcile(odto_settings::BackendSettings),
    /// Check JSON files against a contract schema; exit 1 if any file is invalid.
    Validate(ValidateArgs),
    /// Submit jobs to the gateway and print their ids (--wait: their final state).
    Submit(crate::client::SubmitArgs),
    /// Load a running stack with N jobs; report throughput, completion latency and lost jobs.
    Bench(crate::client::BenchArgs),
}

/// `odto dashboard`'s arguments: `odd-dashboard`'s, untouched.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log line format.
    #[arg(long, env = "ODTO_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `odto_gateway=debug,info`.
    #[arg(long, env = "ODTO_LOG", default_value = "info", global = true)]
    pub log: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Contract to check against: job, event-envelope, job-accepted, job-submission, ui-registry.
    #[arg(long, value_parser = parse_schema)]
    pub schema: odto_contracts::Schema,
    /// JSON files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

fn parse_schema(name: &str) -> Result<odto_contracts::Schema, String> {
    odto_contracts::Schema::from_name(name).ok_or_else(|| {
        let known: Vec<_> = odto_contracts::Schema::ALL
            .iter()
            .map(|s| s.name())
            .collect();
        format!(
            "unknown schema `{name}`; expected one of: {}",
            known.join(", ")
        )
    })
}
