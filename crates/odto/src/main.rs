//! `odto`: runs any service of the Distributed Task Observatory, and the operator commands.

mod cli;
mod client;
mod telemetry;
mod up;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Up(args) => up::run(args, &cli.log),
        Command::Submit(args) => client::run(client::submit::run(args)),
        Command::Bench(args) => client::run(client::bench::run(args)),
        Command::Gateway(config) => serve(&cli.log, async move {
            let app = odto_gateway::Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), "gateway listening");
            app.run_until_stopped(odto_http::shutdown_signal()).await?;
            Ok(())
        }),
        Command::Processor(config) => serve(&cli.log, async move {
            let app = odto_processor::Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), "processor health endpoints listening");
            app.run_until_stopped(odto_http::shutdown_signal()).await?;
            Ok(())
        }),
        Command::MetricsEngine(config) => serve(&cli.log, async move {
            let app = odto_metrics_engine::Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), "metrics engine health endpoints listening");
            app.run_until_stopped(odto_http::shutdown_signal()).await?;
            Ok(())
        }),
        Command::ReadModel(config) => serve(&cli.log, async move {
            let app = odto_read_model::Application::build(config).await?;
            tracing::info!(addr = %app.local_addr(), "read model listening");
            app.run_until_stopped(odto_http::shutdown_signal()).await?;
            Ok(())
        }),
        Command::Dashboard(args) => {
            let program = std::iter::once("odto dashboard".into()).chain(args.args);
            odd_dashboard::program::main(odd_dashboard::Cli::parse_from(program))
        }
        Command::Web(config) => serve(&cli.log, async move {
            let backends = odto_web::WebBackends::open_or_this_program(&config, "dashboard")?;
            let app = odto_web::Application::build_with(config, backends).await?;
            tracing::info!(addr = %app.local_addr(), "web terminal listening");
            app.run_until_stopped(odto_http::shutdown_signal()).await?;
            Ok(())
        }),
        Command::Reconcile(backends) => serve(&cli.log, async move {
            let (store, stats) = odto_metrics_engine::stores(&backends).await?;
            let stats = odto_metrics_engine::reconcile(&store, &stats).await?;
            println!("{}", serde_json::to_string_pretty(&stats)?);
            Ok(())
        }),
    }
}

/// Runs a long-lived service on a multi-threaded runtime with logging set up.
fn serve(log: &cli::LogArgs, service: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    telemetry::init(log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(service),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("odto: {error:#}");
            ExitCode::FAILURE
        }
    }
}
