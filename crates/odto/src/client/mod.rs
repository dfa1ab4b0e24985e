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
use odto_settings::{GatewayUrl, ReadModelUrl};

pub use bench::BenchArgs;
pub use submit::SubmitArgs;

/// Where the stack answers.
#[derive(Debug, Clone, Args)]
pub struct Endpoints {
    #[command(flatten)]
    pub gateway: GatewayUrl,
    #[command(flatten)]
    pub read_model: ReadModelUrl,
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
