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

/// A usage error found after parsing: clap's form and exit code (2), as
/// clap's own.
pub(crate) fn usage(kind: clap::error::ErrorKind, message: &str) -> anyhow::Error {
    clap::Error::raw(kind, format!("{message}\n")).into()
}

/// Writes a verdict's report (`validate`, `audit`) to stdout and returns
/// the verdict's exit code: 1 when `failed`, else 0, also when the reader
/// stops reading early (`| head`), which ends `summary` quietly with 0 (a
/// review: a privacy gate piping `audit`'s JSON into `head` passed with
/// findings).
pub fn write_verdict(
    failed: bool,
    write: impl FnOnce(&mut dyn std::io::Write) -> anyhow::Result<()>,
) -> anyhow::Result<std::process::ExitCode> {
    use std::io::Write as _;
    let code = if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut out).and_then(|()| Ok(out.flush()?)) {
        Err(err) if !is_broken_pipe(&err) => Err(err),
        _ => Ok(code),
    }
}
