//! `jmo-analyze audit`: every key and value against the "never collected" list.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::audit::{self, OutputFormat};
use crate::source::local;

/// Arguments of `jmo-analyze audit`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when nothing leaks (the fingerprint warning does not count), 1 otherwise, 2 for bad usage; a reader that stops early (| head) does not change it."
)]
pub struct AuditArgs {
    /// The JSONL file of events (`-` for stdin).
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Output format: `text` for a terminal, `json` for CI.
    #[arg(short, long, value_enum, ignore_case = true, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Warn about (platform, python_version, version) combinations shared by fewer installations than this.
    #[arg(long, value_name = "K", default_value_t = 5, value_parser = crate::cmd::audit_k)]
    pub min_installations: u32,
}

/// Runs `audit`.
pub fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let reader = local::open(&args.input, "audit")?;
    let report = audit::audit_reader(reader)
        .with_context(|| format!("reading {}", local::shown(&args.input)))?;
    crate::cmd::warn_if_nothing(&args.input, &report.counts, "audit");
    crate::cmd::write_verdict(report.has_findings(), |mut out| {
        Ok(report.write(args.format, args.min_installations as usize, &mut out)?)
    })
}
