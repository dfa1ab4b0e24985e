//! `odto validate --schema NAME FILE...`: one line per file, exit 0 only if all are valid.

use std::process::ExitCode;

use crate::cli::ValidateArgs;

pub fn run(args: &ValidateArgs) -> ExitCode {
    let report = odto_contracts::validate_files(args.schema, &args.files);
    print!("{report}");
    if report.all_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
