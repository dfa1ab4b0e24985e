//! The `odd-dashboard` program, also run as `odto dashboard`: the dashboard in this terminal,
//! or `doctor`.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use odto_settings::BackendSettings;

use crate::config::{Cli, Command, Options};
use crate::doctor::{self, Environment};
use crate::logging;

/// Runs what `cli` asks for, as `odd-dashboard` does.
pub fn main(cli: Cli) -> ExitCode {
    match &cli.command {
        Some(Command::Doctor(args)) => match doctor::run(args.mode, &environment(&cli.options)) {
            true => ExitCode::SUCCESS,
            false => ExitCode::FAILURE,
        },
        None => match dashboard(&cli.options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("odd-dashboard: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn environment(options: &Options) -> Environment {
    Environment {
        odto_bin: options.odto_bin.clone(),
        gateway_url: options.gateway.url.clone(),
        read_model_url: options.read_model.url.clone(),
        // Only malformed UTF-8 fails here; the checks then look at the local defaults.
        backends: odto_settings::from_env().unwrap_or_else(|_| BackendSettings::local()),
        var: |name| std::env::var(name).ok().filter(|v| !v.is_empty()),
    }
}

fn dashboard(options: &Options) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the dashboard needs a terminal; see --help, or run `odd-dashboard doctor`");
    }
    let log = options
        .log_file
        .clone()
        .unwrap_or_else(logging::default_log_path);
    // Without a log file the dashboard still works; it only cannot say what went wrong later.
    let _ = logging::to_file(&log, &options.log);
    tracing::info!(
        version = crate::build_info::LONG_VERSION,
        "odd-dashboard starting"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(crate::run(options.config()));
    if let Err(error) = &result {
        tracing::error!("{error:#}");
    }
    result
}
