//! `odd-dashboard`: the terminal dashboard, and `odd-dashboard doctor`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    odd_dashboard::program::main(odd_dashboard::Cli::parse())
}
