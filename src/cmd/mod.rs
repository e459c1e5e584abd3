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

/// Parses a privacy threshold k (`--min-installations` of `report` and
/// `audit`): a whole number from 1 to `max` (a review: clap's range said
/// `0 is not in 1..18446744073709551615`, and otherwise for `audit`).
fn parse_k(s: &str, max: u64, what: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(k) if (1..=max).contains(&k) => Ok(k),
        _ => Err(format!(
            "give k, a number of installations from 1 to {max} (the default is 5; {what})"
        )),
    }
}

/// `report --min-installations`: see `parse_k`.
pub fn report_k(s: &str) -> Result<u64, String> {
    parse_k(s, u64::MAX, "1 hides nothing")
}

/// `audit --min-installations`: see `parse_k`.
pub fn audit_k(s: &str) -> Result<u32, String> {
    parse_k(s, u32::MAX.into(), "1 flags no combination")
        .map(|k| u32::try_from(k).unwrap_or(u32::MAX))
}

/// Warns on stderr when `validate` or `audit` read no line to check, as
/// `summary` does: their verdict passes then, and a check of an empty
/// download would pass unseen (a review). The verdict is unchanged.
pub fn warn_if_nothing(
    input: &std::path::Path,
    counts: &crate::audit::report::LineCounts,
    verb: &str,
) {
    let input = crate::source::local::shown(input);
    if counts.lines == 0 {
        eprintln!("warning: {input} is empty: there is nothing to {verb}");
    } else if counts.lines == counts.blank_lines {
        eprintln!("warning: {input} holds only blank lines: there is nothing to {verb}");
    }
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
