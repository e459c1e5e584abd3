//! `jmo-analyze validate`: every line against the schema of its event type.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::audit::{self, OutputFormat, ValidateOptions};
use crate::source::local;

/// Arguments of `jmo-analyze validate`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when no line has an error (warnings allowed), 1 otherwise, 2 for bad usage; a reader that stops early (| head) does not change it."
)]
pub struct ValidateArgs {
    /// The JSONL file of events (`-` for stdin).
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Output format: `text` groups problems by kind, `json` also lists every problem.
    #[arg(short, long, value_enum, ignore_case = true, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Report fields the schema does not know, and event types it does not
    /// know (their metadata is all such fields), as errors, not warnings.
    #[arg(long)]
    pub deny_unknown: bool,
}

/// Runs `validate`.
pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let reader = local::open(&args.input, "validate")?;
    let opts = ValidateOptions {
        deny_unknown: args.deny_unknown,
    };
    let report = audit::validate_reader(reader, &opts, args.format == OutputFormat::Json)
        .with_context(|| format!("reading {}", local::shown(&args.input)))?;
    crate::cmd::warn_if_nothing(&args.input, &report.counts, "validate");
    crate::cmd::write_verdict(report.has_errors(), |mut out| {
        Ok(report.write(args.format, &mut out)?)
    })
}
