//! The `jmo-analyze` binary: parse arguments, run, print the error chain, set the exit code.

use std::process::ExitCode;

use clap::Parser;
use jmo_analyze::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match jmo_analyze::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if jmo_analyze::cmd::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // A usage error found after parsing: clap's form and exit code (2).
            if let Some(usage) = err.downcast_ref::<clap::Error>() {
                usage.exit();
            }
            eprintln!("Error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
