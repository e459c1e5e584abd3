//! Command-line interface: one `Args` struct per subcommand (clap derive).

use clap::{Parser, Subcommand};

/// Turn JMo Security's anonymous telemetry into numbers you can trust and publish.
#[derive(Debug, Parser)]
#[command(name = "jmo-analyze", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse a JSONL file of events and print the counts the telemetry guide asks for.
    Summary(crate::cmd::summary::SummaryArgs),
    /// Download the telemetry gist completely into a local archive that only grows.
    #[command(
        after_help = "Token: JMO_TELEMETRY_GITHUB_TOKEN, else GITHUB_TOKEN, else GH_TOKEN \
        (classic with the gist scope, or fine-grained with gist read); without one, the gist is \
        read unauthenticated (60 requests an hour). The token is sent only to the API's host, \
        never over plain http to another machine, and never printed."
    )]
    Fetch(crate::cmd::fetch::FetchArgs),
    /// Write the quarterly transparency report (Markdown, HTML, charts, CSV, JSON) for one quarter.
    Report(crate::cmd::report::ReportArgs),
    /// Check every line against the schema of its event type (exit 1 on any error).
    Validate(crate::cmd::validate::ValidateArgs),
    /// Check that no key or value holds what the telemetry must never collect (exit 1 on any finding).
    Audit(crate::cmd::audit::AuditArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
