//! `jmo-analyze summary`.

use std::process::ExitCode;

/// Arguments of `jmo-analyze summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {}

/// Runs `summary`.
pub fn run(_args: &SummaryArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("summary: work in progress")
}
