//! `odto up`: the whole observatory in this process, with the terminal dashboard when run in a
//! terminal, until the dashboard quits or ctrl-c or SIGTERM arrives.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use odd_dashboard::DashboardConfig;
use odto_up::{Addresses, Stack, UpConfig};

use crate::cli::LogArgs;

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub config: UpConfig,
    /// Run headless, without the terminal dashboard (which opens only when stdout is a terminal).
    #[arg(long, env = "ODTO_NO_DASHBOARD")]
    pub no_dashboard: bool,
}

pub fn run(args: UpArgs, log: &LogArgs) -> ExitCode {
    // The dashboard owns the screen: logs then go to a file in the data directory.
    let dashboard = !args.no_dashboard && std::io::stdout().is_terminal();
    let log_file = args.config.data_dir.join("odto.log");
    if dashboard {
        if let Err(error) = odd_dashboard::logging::to_file(&log_file, &log.log) {
            eprintln!("odto up: cannot write the log file: {error:#}");
            return ExitCode::FAILURE;
        }
    } else {
        crate::telemetry::init(log);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("odto up: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(up(args, dashboard.then_some(log_file)))
}

/// Starts the stack, runs until asked to stop (the dashboard quits, ctrl-c or SIGTERM, or a
/// service fails), then stops it gracefully.
async fn up(args: UpArgs, dashboard_log: Option<PathBuf>) -> ExitCode {
    let started = Instant::now();
    eprintln!("odto up: starting the observatory");
    let progress = |step: &str| eprintln!("  {step}");
    let stack = match Stack::start(&args.config, &progress).await {
        Ok(stack) => stack,
        Err(error) => {
            eprintln!("odto up: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("ready in {} ms", started.elapsed().as_millis());
    let addresses = stack.addresses();
    print_access_points(&addresses);

    let ended = match &dashboard_log {
        Some(log) => {
            let config = DashboardConfig::embedded(
                format!("http://{}", addresses.read_model),
                format!("http://{}", addresses.gateway),
            );
            tokio::select! {
                quit = odd_dashboard::run(config) => match quit {
                    Ok(()) => Ended::Asked,
                    Err(error) => Ended::Dashboard(error),
                },
                () = odto_http::shutdown_signal() => Ended::Asked,
                () = stack.failed() => Ended::ServiceFailed,
            }
            .noting_log(log)
        }
        None => {
            eprintln!("Stop with ctrl-c.");
            tokio::select! {
                () = odto_http::shutdown_signal() => Ended::Asked,
                () = stack.failed() => Ended::ServiceFailed,
            }
        }
    };
    eprintln!("odto up: stopping (jobs in progress finish first)");
    stack.stop().await;
    eprintln!("odto up: stopped");
    match ended {
        Ended::Asked => ExitCode::SUCCESS,
        Ended::ServiceFailed => {
            eprintln!("odto up: a service stopped unexpectedly; see the log");
            ExitCode::FAILURE
        }
        Ended::Dashboard(error) => {
            eprintln!("odto up: the dashboard failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Why `odto up` stops.
enum Ended {
    Asked,
    ServiceFailed,
    Dashboard(anyhow::Error),
}

impl Ended {
    /// Points at the log file when something went wrong behind the dashboard.
    fn noting_log(self, log: &std::path::Path) -> Self {
        if !matches!(self, Ended::Asked) {
            eprintln!("odto up: the log is in {}", log.display());
        }
        self
    }
}

fn print_access_points(addresses: &Addresses) {
    let gateway = format!("http://{}", addresses.gateway);
    let reads = format!("http://{}", addresses.read_model);
    eprintln!("  gateway         {gateway}      POST /jobs · API docs {gateway}/docs");
    eprintln!("  read model      {reads}      /stats /jobs /events · API docs {reads}/docs");
    eprintln!("  processor       http://{}/metrics", addresses.processor);
    eprintln!(
        "  metrics engine  http://{}/metrics",
        addresses.metrics_engine
    );
    if let Some(web) = addresses.web {
        eprintln!("  web terminal    http://{web}/      the dashboard in the browser");
    }
    if let Some(observability) = addresses.observability {
        eprintln!(
            "  prometheus      http://{}/alerts",
            observability.prometheus
        );
        eprintln!("  alertmanager    http://{}", observability.alertmanager);
    }
    eprintln!("Submit a job:  odto submit --type demo");
}
