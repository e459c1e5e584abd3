//! The named metrics: one entry per metric, in output order. A new metric is
//! one variant here, one line in [`METRICS`], and the observation in `tally.rs`
//! (or a derivation in `finalize.rs`).

/// Every metric `summary` computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum MetricId {
    EventTypes,
    Platforms,
    Versions,
    VersionsByWeek,
    PythonVersions,
    Profiles,
    Modes,
    CiDetected,
    ComplianceUsage,
    MultiTarget,
    MultiTargetReported,
    TargetsBuckets,
    FrequencyHints,
    ScanTools,
    DurationBuckets,
    DurationBucketsByProfile,
    FindingsBuckets,
    FindingsBucketsByProfile,
    ToolsFailed,
    ScanCompletion,
    ToolFailures,
    FailureTypes,
    ToolFailureRates,
    WizardProfiles,
    WizardModes,
    WizardArtifacts,
    WizardDuration,
    OutputFormats,
    SuppressionsUsed,
    ComplianceEnabled,
    PolicyViolations,
    EventsPerInstallation,
    ActiveInstallations,
}

/// A metric's name and what it counts.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    /// Identifier.
    pub id: MetricId,
    /// The name in every output.
    pub name: &'static str,
    /// One line for humans: what a row counts, over which events.
    pub description: &'static str,
}

macro_rules! metrics {
    ($($id:ident => $name:literal : $desc:literal,)*) => {
        /// The registry, in output order.
        pub const METRICS: &[MetricDef] = &[
            $(MetricDef { id: MetricId::$id, name: $name, description: $desc },)*
        ];
    };
}

metrics! {
    EventTypes => "event_types": "Valid events by type (every class, including test and marker events).",
    Platforms => "platforms": "Usage events by platform.",
    Versions => "versions": "Usage events by JMo version.",
    VersionsByWeek => "versions_by_week": "Usage events by ISO week (group) and JMo version (version adoption); share within the week.",
    PythonVersions => "python_versions": "Usage events by Python version.",
    Profiles => "profiles": "scan.started events by profile.",
    Modes => "modes": "scan.started events by execution mode.",
    CiDetected => "ci_detected": "scan.started events by whether they ran in CI/CD.",
    ComplianceUsage => "compliance_usage": "scan.started events by compliance enrichment.",
    MultiTarget => "multi_target": "scan.started events by target shape: multi when more than one target type has a count above zero (the guide's jq rule).",
    MultiTargetReported => "multi_target_reported": "scan.started events by the client's own multi_target_scan flag.",
    TargetsBuckets => "targets_buckets": "scan.started events by total target count bucket (team size).",
    FrequencyHints => "frequency_hints": "scan.started events by scan frequency hint (engagement).",
    ScanTools => "scan_tools": "How many scan.started events enabled each tool (share over events carrying a tools list).",
    DurationBuckets => "duration_buckets": "scan.completed events by duration bucket.",
    DurationBucketsByProfile => "duration_buckets_by_profile": "scan.completed events by profile (group) and duration bucket; share within the profile.",
    FindingsBuckets => "findings_buckets": "scan.completed events by findings bucket.",
    FindingsBucketsByProfile => "findings_buckets_by_profile": "scan.completed events by profile (group) and findings bucket; share within the profile.",
    ToolsFailed => "tools_failed": "scan.completed events by how many of the scan's tools failed (tools_failed: the failures the shipped client reports; it never sent tool.failed).",
    ScanCompletion => "scan_completion": "scan.started and scan.completed events; share over scans started.",
    ToolFailures => "tool_failures": "tool.failed events by tool.",
    FailureTypes => "failure_types": "tool.failed events by failure type.",
    ToolFailureRates => "tool_failure_rates": "Failures of a tool over the scan.started events that enabled it (runs): the rate, also its share in JSON and CSV.",
    WizardProfiles => "wizard_profiles": "wizard.completed events by profile selected.",
    WizardModes => "wizard_modes": "wizard.completed events by execution mode.",
    WizardArtifacts => "wizard_artifacts": "wizard.completed events by artifact generated.",
    WizardDuration => "wizard_duration": "Seconds spent in the wizard: quartiles over wizard.completed events with a duration (count is that number of events).",
    OutputFormats => "output_formats": "How many report.generated events wrote each format (share over events carrying a formats list).",
    SuppressionsUsed => "suppressions_used": "report.generated events by whether suppressions were applied.",
    ComplianceEnabled => "compliance_enabled": "report.generated events by whether compliance enrichment ran.",
    PolicyViolations => "policy_violations": "policy.evaluated events by violations bucket.",
    EventsPerInstallation => "events_per_installation": "Installations by how many usage events they sent.",
    ActiveInstallations => "active_installations": "Distinct installations with a usage event, per ISO week (group week) and per month (group month).",
}

impl MetricId {
    /// The registry entry.
    pub fn def(self) -> &'static MetricDef {
        &METRICS[self as usize]
    }

    /// The metric's output name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Looks a metric up by name.
    pub fn from_name(name: &str) -> Option<MetricId> {
        METRICS.iter().find(|m| m.name == name).map(|m| m.id)
    }

    /// Its values are JSON booleans (`true`, `false`, or missing): the
    /// metrics `tally` observes as yes/no; every other metric counts text.
    pub fn counts_booleans(self) -> bool {
        matches!(
            self,
            MetricId::CiDetected
                | MetricId::ComplianceUsage
                | MetricId::MultiTargetReported
                | MetricId::SuppressionsUsed
                | MetricId::ComplianceEnabled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_enum_order_with_unique_names() {
        for (i, m) in METRICS.iter().enumerate() {
            assert_eq!(m.id as usize, i, "{}", m.name);
            assert_eq!(MetricId::from_name(m.name), Some(m.id));
        }
        let mut names: Vec<_> = METRICS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS.len());
    }
}
