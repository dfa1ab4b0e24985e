//! The client commands, `odto submit` and `odto bench`. They reach a running stack (any mode:
//! `odto up`, the distributed services, a cluster) over its HTTP APIs only: the gateway to submit,
//! the read model to see what became of the jobs.

pub mod bench;
mod gateway;
mod http;
mod read_model;
pub mod submit;

use std::process::ExitCode;

use clap::Args;

pub use bench::BenchArgs;
pub use submit::SubmitArgs;

/// Where the stack answers.
#[derive(Debug, Clone, Args)]
pub struct Endpoints {
    /// Base URL of the gateway (the write API).
    #[arg(
        long,
        env = "ODTO_GATEWAY_URL",
        default_value = "http://127.0.0.1:3000",
        value_parser = http::base_url
    )]
    pub gateway_url: String,
    /// Base URL of the read model (the read API).
    #[arg(
        long,
        env = "ODTO_READ_MODEL_URL",
        default_value = "http://127.0.0.1:8080",
        value_parser = http::base_url
    )]
    pub read_model_url: String,
}

/// Runs a client command on its own runtime. A command returns its exit code, or an error that
/// is printed once as `odto: …` (exit code 1).
pub fn run(command: impl Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(command),
        Err(error) => Err(error.into()),
    };
    result.unwrap_or_else(|error| {
        eprintln!("odto: {error:#}");
        ExitCode::FAILURE
    })
}
