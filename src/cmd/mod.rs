//! One module per subcommand: glue between the CLI and the library.

pub mod audit;
pub mod fetch;
pub mod files;
pub mod report;
pub mod summary;
pub mod validate;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the subcommand the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Summary(args) => summary::run(&args),
        Command::Fetch(args) => fetch::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Audit(args) => audit::run(&args),
    }
}

/// True when the error chain ends in a broken pipe (e.g. `| head`): exit quietly.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
