//! `jmo-analyze fetch`: being built on the `fetch` branch (issue 3).

use std::process::ExitCode;

/// Arguments of `jmo-analyze fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {}

/// Runs `fetch`.
pub fn run(_args: &FetchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("fetch is not available in this build yet")
}
