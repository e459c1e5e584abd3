//! The quarterly transparency report: what the public sees.
//!
//! [`build`] reads the input once ([`pass`]), aggregates the quarter and the
//! previous quarter, applies the [`privacy`] rules, compares every published
//! share with the previous quarter's (95% Wilson intervals), writes the "top
//! insights" from significant changes and large shares only, and picks the
//! [`samples`]. [`render`] turns the resulting [`Report`] into the files of
//! the report directory; `cmd/report.rs` writes them.

pub mod joint;
pub mod pass;
pub mod previous;
pub mod privacy;
pub mod render;
pub mod samples;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::event::IngestStats;
use crate::event::time::format_rfc3339;
use crate::metrics::finalize::finalize;
use crate::metrics::stats::{Interval, proportion, wilson95};
use crate::metrics::{Filters, MetricId, Quarter, Summary};
use crate::render::chart::{OTHER, WeekActivity, week_range};
use crate::render::text::terminal_safe;
use crate::source::local::Input;
use privacy::{CellIds, PublishedMetric, publish};
use samples::Samples;

/// Default k: a cell needs at least this many installations to be shown.
pub const DEFAULT_MIN_INSTALLATIONS: u64 = 5;
/// Default minimum of installations in a quarter for breakdowns to be
/// published at all (below it, only totals: "not yet significant").
pub const DEFAULT_MIN_QUARTER_INSTALLATIONS: u64 = 20;

/// The schema of the `report` section of `summary.json`.
pub const REPORT_SCHEMA: &str = "jmo-analyze.report/1";

/// What the report is about and the rules it applies.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The quarter reported.
    pub quarter: Quarter,
    /// The user's filters other than the period (version, CI, test events).
    pub filters: Filters,
    /// k: minimum installations behind any published cell.
    pub min_installations: u64,
    /// Minimum installations in the quarter to publish breakdowns, as
    /// given ([`ReportOptions::quarter_threshold`] is what applies).
    pub min_quarter_installations: u64,
    /// Installations known from elsewhere (e.g. package downloads), for the opt-in rate.
    pub population: Option<u64>,
    /// The date printed as the generation date (none by default: reproducible).
    pub generated_on: Option<String>,
    /// The input's file name (never its directory).
    pub source_name: String,
    /// The previous quarter's report as published (`--previous`): its
    /// column is read from it, not recomputed from the input.
    pub previous: Option<std::sync::Arc<previous::Published>>,
}

impl ReportOptions {
    /// The installations a quarter needs for its breakdowns: the
    /// `--min-quarter-installations` given, and never fewer than k (below
    /// k it would change nothing: no breakdown publishes a smaller cell).
    pub fn quarter_threshold(&self) -> u64 {
        self.min_quarter_installations.max(self.min_installations)
    }
}

/// Whether a share moved between quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// No comparable previous share.
    NotComparable,
    /// The 95% intervals overlap: not called a change.
    NoClearChange,
    /// Higher, the intervals do not overlap.
    Up,
    /// Lower, the intervals do not overlap.
    Down,
}

impl Change {
    /// The name in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            Change::NotComparable => "not_comparable",
            Change::NoClearChange => "no_clear_change",
            Change::Up => "up",
            Change::Down => "down",
        }
    }

    /// Words for people.
    pub fn words(self) -> &'static str {
        match self {
            Change::NotComparable => "–",
            Change::NoClearChange => "no clear change",
            Change::Up => "up",
            Change::Down => "down",
        }
    }
}

/// One published row of a report table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    /// The group (broken-down tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The value as text (`null`, `true`, … or the string).
    pub value: String,
    /// The value is missing (`null`), not a client's string `"null"`.
    pub missing: bool,
    /// The group is missing (`null`), not a client's string `"null"`
    /// (written only when it is).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub group_missing: bool,
    /// The row gathers hidden values.
    pub other: bool,
    /// Events (failures, for tool reliability).
    pub events: u64,
    /// Distinct installations (`None`: withheld, when those of the events it
    /// partitions less these, the installations that never sent the value,
    /// would be fewer than k but not none).
    pub installations: Option<u64>,
    /// Tool reliability: scan.started events that enabled the tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
    /// Share (or rate) as a proportion.
    #[serde(serialize_with = "crate::metrics::finalize::serialize_round6_opt")]
    pub share: Option<f64>,
    /// Its 95% Wilson interval.
    pub interval: Option<Interval>,
    /// The previous quarter's share of the same value, when published there.
    #[serde(serialize_with = "crate::metrics::finalize::serialize_round6_opt")]
    pub previous_share: Option<f64>,
    /// Its 95% Wilson interval.
    pub previous_interval: Option<Interval>,
    /// Whether it moved.
    pub change: Change,
}

/// The label of the rest row in the report's tables (Markdown and HTML,
/// in italics; its CSV files say `Other` and mark it in a column).
pub const OTHER_ROW: &str = "Other (hidden values)";

impl TableRow {
    /// The value as the report's tables show it ([`Value::shown`]): a
    /// client's text that reads as a missing value, or as the rest row's
    /// label, in quotes (a review: a client's `"null"` hint read as the
    /// scans that sent none).
    ///
    /// [`Value::shown`]: crate::metrics::Value::shown
    pub fn shown_value(&self) -> std::borrow::Cow<'_, str> {
        if self.missing || self.other {
            std::borrow::Cow::Borrowed(&self.value)
        } else {
            crate::metrics::quoted_if_read_as_other(&self.value, &[OTHER_ROW, OTHER])
        }
    }

    /// The group as the report's tables show it, as [`TableRow::shown_value`].
    pub fn shown_group(&self) -> Option<std::borrow::Cow<'_, str>> {
        let group = self.group.as_deref()?;
        Some(if self.group_missing {
            std::borrow::Cow::Borrowed(group)
        } else {
            crate::metrics::quoted_if_read_as_other(group, &[OTHER_ROW, OTHER])
        })
    }
}

/// One table of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// File stem and anchor, e.g. `platforms`.
    pub name: &'static str,
    /// Heading.
    pub title: &'static str,
    /// What a share means, e.g. `% of scans started`.
    pub unit: &'static str,
    /// One sentence: what is counted, over how many events.
    pub about: String,
    /// Events the shares are over (within each group for grouped tables);
    /// `None` when the table is withheld.
    pub denominator: Option<u64>,
    /// Nothing of it is published, how many events it counts neither (see
    /// [`PublishedMetric::withheld`]).
    pub withheld: bool,
    /// Rows carry a group.
    pub grouped: bool,
    /// Rows are rates with runs (tool reliability).
    pub rates: bool,
    /// It hides values (not withheld; the report's tables say so, not how
    /// many): a value absent from it may have had events.
    pub hides_values: bool,
    /// Published rows (Other rows last in their group).
    pub rows: Vec<TableRow>,
}

/// A headline figure with its previous-quarter value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Stable key, e.g. `installations`.
    pub key: &'static str,
    /// Label for people, with its unit.
    pub label: &'static str,
    /// The quarter's value (`None`: withheld).
    pub value: Option<u64>,
    /// The previous quarter's value.
    pub previous: Option<u64>,
    /// For rates: the proportion.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::metrics::finalize::serialize_round6_opt")]
    pub rate: Option<f64>,
    /// Its 95% interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
    /// The previous quarter's rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::metrics::finalize::serialize_round6_opt")]
    pub previous_rate: Option<f64>,
    /// Its interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_interval: Option<Interval>,
    /// The denominator of the rate, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// For rates: whether it moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// For counts: the relative change from the previous quarter (`0.333`
    /// for 30 to 40), when both are published and the previous is not 0
    /// (the Markdown's `+33.3%`; a review found it in no data file).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::metrics::finalize::serialize_round6_opt")]
    pub count_change: Option<f64>,
}

/// The data-quality ledger: what the input held and what was counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ledger {
    /// Input file name.
    pub source: String,
    /// SHA-256 of the input bytes.
    pub sha256: String,
    /// Physical lines (`None`: withheld with `outside_quarter`: they less
    /// the blank and invalid ones are the valid events).
    pub lines: Option<u64>,
    /// Blank lines.
    pub blank_lines: u64,
    /// Invalid lines (not counted anywhere).
    pub invalid_lines: u64,
    /// Valid events (`None`: withheld with `outside_quarter`: they less
    /// the test and marker events, the quarter's and the filtered ones give
    /// the events outside the quarter; in a first report, whose file holds
    /// only its quarter, they gave a totals-only quarter's events).
    pub valid_events: Option<u64>,
    /// Test events (`test`, `test.event`) in the whole input (`None`:
    /// withheld under `--include-test`, which counts them as usage events:
    /// the event-type table's test row, when hidden, was this count, and
    /// its Other less it the other hidden types').
    pub test_events: Option<u64>,
    /// Marker events in the whole input.
    pub marker_events: u64,
    /// Valid events outside the quarter (`None`: withheld, when the
    /// quarter's or the previous quarter's usage events are, or when the
    /// filters left events out: the file's events less these would give
    /// them).
    pub outside_quarter: Option<u64>,
    /// Valid events in the quarter left out by the other filters
    /// (`None`: withheld when not zero: the installations behind them are
    /// not counted, so they may be fewer than k).
    pub filtered_out: Option<u64>,
    /// Usage events counted (`None`: withheld, as the key figure is).
    pub counted_usage_events: Option<u64>,
    /// Usage events in the quarter without an anonymous ID (in event counts,
    /// in no installation). `None`: withheld when not zero, as
    /// `filtered_out` (a review: they may be one client's; 3 events with a
    /// profile of their own were told beside a table that hid it).
    pub events_without_id: Option<u64>,
}

/// The whole report, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    /// Options it was built with.
    pub options: ReportOptions,
    /// The quarter's full summary (private: never written as is).
    pub summary: Summary,
    /// The previous quarter's full summary (private).
    pub previous: Summary,
    /// The quarter's metrics as published.
    pub published: Vec<PublishedMetric>,
    /// Installations in the quarter reach the minimum: breakdowns are published.
    pub significant: bool,
    /// The previous quarter reaches the minimum: comparisons are made.
    pub previous_has_data: bool,
    /// With `--previous`: the tables and key figures (by name and key) whose
    /// previous column, recomputed from the input, would differ from the
    /// published one shown (events that arrived late, another input, another
    /// `--population`); never published.
    pub previous_differs: PreviousDiffers,
    /// Headline figures.
    pub figures: Vec<Figure>,
    /// Breakdown tables (empty when not significant).
    pub tables: Vec<Table>,
    /// Weekly activity of the quarter (hidden weeks are `None`).
    pub weeks: WeekActivity,
    /// Sentences from significant changes and large shares.
    pub insights: Vec<String>,
    /// The data-quality ledger.
    pub ledger: Ledger,
    /// The sample events.
    pub samples: Samples,
}

/// The report's tables: name, metric, title, unit, and the noun of the denominator.
const TABLES: &[(&str, MetricId, &str, &str, &str)] = &[
    (
        "event_types",
        MetricId::EventTypes,
        "Usage events by type",
        "% of usage events",
        "usage events",
    ),
    (
        "platforms",
        MetricId::Platforms,
        "Platforms",
        "% of usage events",
        "usage events",
    ),
    (
        "python_versions",
        MetricId::PythonVersions,
        "Python versions",
        "% of usage events",
        "usage events",
    ),
    (
        "versions",
        MetricId::Versions,
        "JMo versions",
        "% of usage events",
        "usage events",
    ),
    (
        "profiles",
        MetricId::Profiles,
        "Scan profiles",
        "% of scans started",
        "scan.started events",
    ),
    (
        "modes",
        MetricId::Modes,
        "Execution modes",
        "% of scans started",
        "scan.started events",
    ),
    (
        "ci_detected",
        MetricId::CiDetected,
        "CI/CD adoption (scan ran in CI)",
        "% of scans started",
        "scan.started events",
    ),
    (
        "multi_target",
        MetricId::MultiTarget,
        "Multi-target adoption (more than one target type)",
        "% of scans started",
        "scan.started events (null: without target_types)",
    ),
    (
        "compliance_usage",
        MetricId::ComplianceUsage,
        "Compliance framework usage",
        "% of scans started",
        "scan.started events",
    ),
    (
        "targets_buckets",
        MetricId::TargetsBuckets,
        "Team size (targets per scan)",
        "% of scans started",
        "scan.started events",
    ),
    (
        "frequency_hints",
        MetricId::FrequencyHints,
        "Engagement (scan frequency hint)",
        "% of scans started",
        "scan.started events",
    ),
    (
        "scan_tools",
        MetricId::ScanTools,
        "Tools enabled",
        "% of scans started",
        "scan.started events (one scan enables several tools; one without a tool list, from an older client, counts as none)",
    ),
    (
        "duration_buckets",
        MetricId::DurationBuckets,
        "Scan durations",
        "% of scans completed",
        "scan.completed events",
    ),
    (
        "duration_buckets_by_profile",
        MetricId::DurationBucketsByProfile,
        "Scan durations by profile",
        "% of the profile's completed scans",
        "scan.completed events, shares within each profile",
    ),
    (
        "tools_failed",
        MetricId::ToolsFailed,
        "Scans by how many of their tools failed",
        "% of scans completed",
        "scan.completed events (the failures the client reports with each scan)",
    ),
    (
        "tool_failure_rates",
        MetricId::ToolFailureRates,
        "Tool reliability (failure rate per tool)",
        "% of runs that failed",
        "tool.failed events over the scan.started events that enabled the tool",
    ),
    (
        "wizard_profiles",
        MetricId::WizardProfiles,
        "Wizard: profile selected",
        "% of wizard runs",
        "wizard.completed events",
    ),
    (
        "wizard_modes",
        MetricId::WizardModes,
        "Wizard: execution mode",
        "% of wizard runs",
        "wizard.completed events",
    ),
    (
        "wizard_artifacts",
        MetricId::WizardArtifacts,
        "Wizard: artifact generated",
        "% of wizard runs",
        "wizard.completed events",
    ),
    (
        "output_formats",
        MetricId::OutputFormats,
        "Report output formats",
        "% of reports generated",
        "report.generated events (one report can write several; one without a format list counts as none)",
    ),
    (
        "suppressions_used",
        MetricId::SuppressionsUsed,
        "Suppressions used in reports",
        "% of reports generated",
        "report.generated events",
    ),
    (
        "compliance_enabled",
        MetricId::ComplianceEnabled,
        "Compliance enrichment in reports",
        "% of reports generated",
        "report.generated events",
    ),
];

/// Reads the input once and builds the report.
pub fn build<'a>(input: impl Into<Input<'a>>, options: &ReportOptions) -> std::io::Result<Report> {
    let read = pass::read(
        input,
        options.quarter,
        &options.filters,
        options.min_installations,
    )?;
    Ok(assemble(read, options))
}

/// The report of one pass over the input.
fn assemble((stats, sink): (IngestStats, pass::QuarterSink), options: &ReportOptions) -> Report {
    let pass::QuarterSink {
        current,
        previous,
        first_seen,
        outside,
        elsewhere,
        census,
        candidates,
        tools,
        ..
    } = sink;
    let k = options.min_installations;
    let ids = CellIds::from_tally(&current);
    let prev_ids = CellIds::from_tally(&previous);
    let installs = |t: &crate::metrics::Tally| {
        let mut v: Vec<u64> = t
            .events_per_installation()
            .enumerate()
            .filter(|&(_, events)| events > 0)
            .map(|(index, _)| t.installation_of(index as u32))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let new_in = |ids: &[u64], start| {
        ids.iter()
            // (Those of the quarter have no time here: see `first_seen`.)
            .filter(|id| first_seen.get(id).is_none_or(|&(t, _)| t >= start))
            .count() as u64
    };
    let (cur_installs, prev_installs) = (installs(&current), installs(&previous));
    let new_now = new_in(&cur_installs, options.quarter.start());
    let new_prev = new_in(&prev_installs, options.quarter.prev().start());
    // All installations seen before the quarter, and before the previous
    // one: the first quarter's installations and every later one's new.
    let seen_before = {
        let before = |start| first_seen.values().filter(|&&(t, _)| t < start).count() as u64;
        (
            before(options.quarter.start()),
            before(options.quarter.prev().start()),
        )
    };
    let events_without_id: u64 =
        current.counted_usage - current.events_per_installation().sum::<u64>();
    let source = options.source_name.clone();
    let summary = finalize(&source, stats.clone(), current);
    let prev_summary = finalize(&source, stats, previous);

    let installations = summary.totals.unique_ids;
    let significant = installations >= options.quarter_threshold();
    // The previous column: the previous report as published (`--previous`),
    // else recomputed from the input.
    let prior = options.previous.as_deref();
    let recomputed_has_data = prev_summary.totals.unique_ids >= options.quarter_threshold();
    let previous_has_data = prior.map_or(recomputed_has_data, |p| p.significant);
    let include_test = options.filters.include_test;
    let [tools_now, tools_before] = &tools;
    let mut published = publish_usage(&summary, &ids, tools_now, k, include_test);
    // Events without an anonymous ID are withheld (the ledger), and the
    // usage events less those of the installations in the buckets gave
    // them back (a review: 30 installations of one event each, 33 events).
    if events_without_id > 0 {
        published[MetricId::EventsPerInstallation as usize].withhold();
    }
    let prev_published = publish_usage(&prev_summary, &prev_ids, tools_before, k, include_test);

    // Each table with its previous quarter's (in the order of `TABLES`).
    let tables_of = |previous: &[Option<&PublishedMetric>]| -> Vec<Table> {
        if !significant {
            return Vec::new();
        }
        TABLES
            .iter()
            .zip(previous)
            .map(|(&(name, id, title, unit, noun), &previous)| {
                let split = options.filters.splits_scans();
                table(
                    name,
                    title,
                    unit,
                    noun,
                    &published[id as usize],
                    previous,
                    k,
                    split,
                )
            })
            .collect()
    };
    let mut tables = tables_of(
        &(TABLES.iter())
            .map(|&(_, id, ..)| recomputed_has_data.then(|| &prev_published[id as usize]))
            .collect::<Vec<_>>(),
    );
    let figures_with = |prior: Option<&previous::Published>| {
        figures(
            (&summary, &published),
            (&prev_summary, &prev_published),
            options,
            (new_now, new_prev),
            (
                first_seen.values().filter(|&&(_, seen)| seen).count() as u64,
                seen_before,
            ),
            prior,
        )
    };
    let mut figures = figures_with(None);
    // What the previous column would have been, recomputed, where the
    // published one differs (told to the maintainer, never published).
    let mut previous_differs = PreviousDiffers::default();
    if let Some(p) = prior {
        let published_tables = tables_of(
            &(TABLES.iter())
                .map(|&(_, id, ..)| p.table(id).filter(|_| p.significant))
                .collect::<Vec<_>>(),
        );
        let published_figures = figures_with(Some(p));
        let previous_of = |t: &Table| {
            (t.rows.iter())
                .map(|r| (r.previous_share, r.previous_interval))
                .collect::<Vec<_>>()
        };
        for (a, b) in tables.iter().zip(&published_tables) {
            if previous_of(a) != previous_of(b) {
                previous_differs.tables.push(a.name);
            }
        }
        for (a, b) in figures.iter().zip(&published_figures) {
            if (a.previous, a.previous_rate) != (b.previous, b.previous_rate) {
                previous_differs.figures.push(a.key);
            }
        }
        tables = published_tables;
        figures = published_figures;
    }
    let weeks = quarter_weeks(
        options.quarter,
        &published[MetricId::ActiveInstallations as usize],
    );
    let insights = if significant {
        insights(&tables, &figures, options, previous_has_data)
    } else {
        Vec::new()
    };
    let i = &summary.input;
    // The file's events less the quarter's give the events outside it:
    // withheld with them.
    // And less the previous quarter's, and the earlier quarters' (their own
    // reports print them), the events of a quarter no report covers yet:
    // reviews read 3 events of 2 installations sent the day after the
    // quarter, as a report made early in the next quarter meets them. So
    // only a file of the two quarters, whose filters left out nothing of
    // either (the previous quarter's events less its column gave those),
    // has its whole counts published, and not under `--include-test` (the
    // whole file's usage events leave its test events out: its valid
    // events less those gave them).
    let outside_quarter = (type_shown(&published, None)
        && i.filtered_out == outside
        && prev_summary.input.filtered_out == 0
        && (prev_summary.totals.usage_events == 0 || type_shown(&prev_published, None))
        // The previous column as published, when it is, is the previous
        // quarter's events (a late event is one more, outside the quarter).
        && prior.is_none_or(|p| match p.figure("usage_events") {
            Some(n) => n == prev_summary.totals.usage_events,
            None => prev_summary.totals.usage_events == 0,
        })
        && elsewhere == 0
        && !include_test)
        .then_some(outside);
    let whole_file = |n: u64| outside_quarter.map(|_| n);
    let ledger = Ledger {
        source: source.clone(),
        sha256: i.sha256.clone(),
        lines: whole_file(i.lines),
        blank_lines: i.blank_lines,
        invalid_lines: i.invalid_lines,
        valid_events: whole_file(i.valid_events),
        test_events: (!include_test).then_some(i.test_events),
        marker_events: i.marker_events,
        // The file's usage events less the quarter's and these would give the
        // events the filters left out.
        outside_quarter,
        filtered_out: Some(i.filtered_out.saturating_sub(outside)).filter(|&n| n == 0),
        counted_usage_events: type_shown(&published, None).then_some(summary.totals.usage_events),
        events_without_id: Some(events_without_id).filter(|&n| n == 0),
    };
    let samples = if significant {
        let mut samples = samples::select(&candidates, &census, k);
        // Only for the types the event-type table shows, and counted among
        // them: a sample is k installations' events of its type, and that
        // beside the table's Other bounded the other hidden types' events
        // (a review: Other 6 events of 6 installations, a scan.completed
        // sample, 1 type without one: that type was 1 event).
        let shown: Vec<&str> = published[MetricId::EventTypes as usize]
            .rows
            .iter()
            .map(|r| r.value.text())
            .collect();
        samples.events.retain(|s| shown.contains(&s.event.as_str()));
        samples.withheld_types = shown.len() - samples.events.len();
        samples
    } else {
        Samples::default()
    };
    Report {
        options: options.clone(),
        summary,
        previous: prev_summary,
        published,
        significant,
        previous_has_data,
        previous_differs,
        figures,
        tables,
        weeks,
        insights,
        ledger,
        samples,
    }
}

/// Where the previous column read from its report differs from the one
/// recomputed from the input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviousDiffers {
    /// Tables, by name.
    pub tables: Vec<&'static str>,
    /// Key figures, by key.
    pub figures: Vec<&'static str>,
}

/// [`publish`], with event types reduced to usage events (test and marker
/// events are in the ledger, and carry no installation).
fn publish_usage(
    summary: &Summary,
    ids: &CellIds,
    tools: &joint::ToolsByProfile,
    k: u64,
    include_test: bool,
) -> Vec<PublishedMetric> {
    // Only this metric changes: the others (a client can make one hold a
    // million rows) are read from the summary, not copied.
    let mut et = summary.metric(MetricId::EventTypes).clone();
    et.rows.retain(|r| match r.value.text() {
        "telemetry.initialized" => false,
        "test" | "test.event" => include_test,
        _ => true,
    });
    et.denominator = et.rows.iter().map(|r| r.count).sum();
    for r in &mut et.rows {
        // Rounded as every other share (a review: full precision here).
        r.share = (et.denominator > 0)
            .then(|| crate::metrics::finalize::round6(r.count as f64 / et.denominator as f64));
    }
    let mut out = publish(summary, &et, ids, tools, k);
    // More completions than starts is no proportion: `finalize` leaves the
    // rows' shares none, and an Other row of hidden values gets none
    // either (a review found summary.json's scan_completion row at 2.0).
    let m = &mut out[MetricId::ScanCompletion as usize];
    for r in &mut m.others {
        r.share = r.share.filter(|&s| s <= 1.0);
    }
    out
}

fn interval_of(count: u64, of: u64) -> Option<Interval> {
    wilson95(count, of)
}

/// Whether the two intervals overlap as the report prints them, in
/// percent to one decimal (two reviews: 8 of 8 against 85 of 142 was "up"
/// beside bounds that read 0.675592 in both; 11 of 12 against 3 of 9 was
/// "up", "the intervals do not overlap", beside 64.6–98.5% and 12.1–64.6%).
/// A change is called less often so, never more.
fn compare(now: Option<Interval>, before: Option<Interval>, now_p: f64, before_p: f64) -> Change {
    use crate::render::percent_printed;
    let published = |i: Interval| Interval {
        low: percent_printed(i.low),
        high: percent_printed(i.high),
    };
    match (now.map(published), before.map(published)) {
        (Some(a), Some(b)) if a.overlaps(&b) => Change::NoClearChange,
        (Some(_), Some(_)) if now_p > before_p => Change::Up,
        (Some(_), Some(_)) => Change::Down,
        _ => Change::NotComparable,
    }
}

/// The share's numerator and denominator of a published row.
fn fraction(
    metric: &PublishedMetric,
    row: &crate::metrics::Row,
    group_totals: &std::collections::BTreeMap<Option<crate::metrics::Value>, u64>,
) -> (u64, u64) {
    match metric.id {
        MetricId::ToolFailureRates => (row.count, row.runs.unwrap_or(0)),
        _ if privacy::shape(metric.id) == privacy::Shape::Grouped => (
            row.count,
            group_totals.get(&row.group).copied().unwrap_or(0),
        ),
        _ => (row.count, metric.denominator),
    }
}

fn group_totals(
    metric: &PublishedMetric,
) -> std::collections::BTreeMap<Option<crate::metrics::Value>, u64> {
    let mut totals = std::collections::BTreeMap::new();
    for r in metric.rows.iter().chain(&metric.others) {
        *totals.entry(r.group.clone()).or_insert(0) += r.count;
    }
    totals
}

/// One published table; `split` says why failure rates are not computed
/// ([`Filters::splits_scans`](crate::metrics::Filters::splits_scans)).
#[allow(clippy::too_many_arguments)]
fn table(
    name: &'static str,
    title: &'static str,
    unit: &'static str,
    noun: &str,
    metric: &PublishedMetric,
    previous: Option<&PublishedMetric>,
    k: u64,
    split: Option<&str>,
) -> Table {
    let totals = group_totals(metric);
    let prev_totals = previous.map(group_totals).unwrap_or_default();
    let rates = metric.id == MetricId::ToolFailureRates;
    // Failures and runs stay; their ratio is not computed.
    let no_ratio = rates && split.is_some();
    let grouped = privacy::shape(metric.id) == privacy::Shape::Grouped;
    // A table that hides no value shows each of its quarter's values: a
    // value absent from it had no event. A value new this quarter is
    // compared with 0 of the previous quarter's events, and one gone since
    // is shown with 0 (a review: deep, 15 of 25 now and absent from a
    // complete previous table, and custom, 10 of 25 then and none now,
    // had no change, and the report said that no share had changed).
    let complete = |m: &PublishedMetric| !m.withheld && m.hidden() == 0 && m.others.is_empty();
    let both_complete = !rates && complete(metric) && previous.is_some_and(complete);
    let prev_complete = !rates && previous.is_some_and(complete);
    let gone: Vec<crate::metrics::Row> = if both_complete {
        let now: FxHashSet<(&Option<crate::metrics::Value>, &crate::metrics::Value)> =
            metric.rows.iter().map(|r| (&r.group, &r.value)).collect();
        (previous.iter().flat_map(|p| &p.rows))
            .filter(|p| !now.contains(&(&p.group, &p.value)))
            .filter(|p| !grouped || totals.get(&p.group).is_some_and(|&n| n > 0))
            .map(|p| crate::metrics::Row {
                count: 0,
                installations: Some(0),
                share: None,
                ..p.clone()
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut rows: Vec<TableRow> = Vec::new();
    let mut ordered: Vec<(&crate::metrics::Row, bool)> = metric
        .rows
        .iter()
        .chain(&gone)
        .map(|r| (r, false))
        .chain(metric.others.iter().map(|r| (r, true)))
        .collect();
    if grouped {
        // Groups by size, then rows within (Other last).
        let mut sizes: Vec<(&Option<crate::metrics::Value>, u64)> =
            totals.iter().map(|(g, &n)| (g, n)).collect();
        sizes.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| crate::metrics::shown_order(a.0.as_ref(), b.0.as_ref()))
        });
        let rank: FxHashMap<&Option<crate::metrics::Value>, usize> = sizes
            .iter()
            .enumerate()
            .map(|(i, &(g, _))| (g, i))
            .collect();
        ordered.sort_by_key(|(r, other)| (rank.get(&r.group).copied().unwrap_or(0), *other));
    }
    // The previous quarter's rows by group and value (the first of any
    // that share both), looked up once per row: a client can send many.
    let mut prev_rows: FxHashMap<
        (&Option<crate::metrics::Value>, &crate::metrics::Value),
        &crate::metrics::Row,
    > = FxHashMap::default();
    for p in previous.iter().flat_map(|p| &p.rows) {
        prev_rows.entry((&p.group, &p.value)).or_insert(p);
    }
    // Some row counts more failures than runs (no rate: `proportion`).
    let mut over_one = false;
    for (r, other) in ordered {
        let (x, n) = fraction(metric, r, &totals);
        let n = if no_ratio { 0 } else { n };
        let share = proportion(x, n);
        over_one |= n > 0 && x > n;
        let interval = interval_of(x, n);
        let (mut previous_share, mut previous_interval, mut change) =
            (None, None, Change::NotComparable);
        let zero;
        let before = match prev_rows.get(&(&r.group, &r.value)) {
            Some(&p) => Some(p),
            // Not in a table that hides nothing: none then.
            None if prev_complete && !other => {
                zero = crate::metrics::Row {
                    count: 0,
                    ..r.clone()
                };
                Some(&zero)
            }
            None => None,
        };
        if let (Some(prev), false) = (previous, other)
            && let Some(p) = before
        {
            let (px, pn) = fraction(prev, p, &prev_totals);
            if pn > 0 && !no_ratio {
                previous_share = proportion(px, pn);
                previous_interval = interval_of(px, pn);
                change = compare(
                    interval,
                    previous_interval,
                    share.unwrap_or(0.0),
                    previous_share.unwrap_or(0.0),
                );
            }
        }
        rows.push(TableRow {
            group: r.group_text().map(str::to_string),
            value: r.value.text().to_string(),
            missing: r.value == crate::metrics::Value::Null,
            group_missing: r.group == Some(crate::metrics::Value::Null),
            other,
            events: r.count,
            installations: r.installations,
            runs: r.runs,
            share,
            interval,
            previous_share,
            previous_interval,
            change,
        });
    }
    let denominator = (!metric.withheld).then_some(metric.denominator);
    let about = if metric.withheld {
        format!(
            "Withheld, with how many events it counts: there were none, or fewer than {k} \
             installations sent them, or their number would give away one the event-type table \
             hides, or its small values could not be kept from being worked out by subtraction."
        )
    } else if let (true, Some(why)) = (rates, split) {
        format!(
            "Failures per tool and the scans that enabled it (runs); no rate is computed: {why}."
        )
    } else if rates && over_one {
        format!(
            "Failure rate per tool: {noun}. A tool with more failures than runs has no rate \
             (failures of scans started before the quarter, or events lost)."
        )
    } else if rates {
        format!("Failure rate per tool: {noun}.")
    } else {
        format!("Share of {} {noun}.", thousands(metric.denominator))
    };
    Table {
        name,
        title,
        unit,
        about,
        denominator,
        withheld: metric.withheld,
        grouped,
        rates,
        hides_values: !metric.withheld && metric.hidden() > 0,
        rows,
    }
}

/// Whether a quarter's published event-type table shows the count of
/// `event` (a row of its own), or, for `None`, its total of usage events.
fn type_shown(published: &[PublishedMetric], event: Option<&str>) -> bool {
    let types = &published[MetricId::EventTypes as usize];
    match event {
        None => !types.withheld,
        Some(event) => types.rows.iter().any(|r| r.value.text() == event),
    }
}

/// The key figures: each is published only where the tables publish it too
/// (a count of installations about at least k, a count of events of a
/// type whose row the event-type table shows), else withheld (`None`).
fn figures(
    (now, published): (&Summary, &[PublishedMetric]),
    (before, prev_published): (&Summary, &[PublishedMetric]),
    options: &ReportOptions,
    (new_now, new_prev): (u64, u64),
    (before_previous, seen_before): (u64, (u64, u64)),
    prior: Option<&previous::Published>,
) -> Vec<Figure> {
    let k = options.min_installations;
    // The previous column is what the previous quarter's own report shows,
    // judged by the same rules as this quarter's column: its totals, also
    // when it had too few installations for breakdowns (a review: its own
    // totals-only report printed 19 installations and 2,750 usage events,
    // and this report a dash for each and for every change).
    let gate = |shown: bool, v: u64| shown.then_some(v);
    let now_has = |event: Option<&str>| type_shown(published, event);
    let before_has = |event: Option<&str>| type_shown(prev_published, event);
    // The previous column: as its report published it (`--previous`),
    // else as it would publish it now.
    let before_is = |key: &str, recomputed: Option<u64>| match prior {
        Some(p) => p.figure(key),
        None => recomputed,
    };
    let plain = |key: &'static str, label, value: Option<u64>, previous: Option<u64>| {
        let previous = before_is(key, previous);
        Figure {
            key,
            label,
            value,
            previous,
            count_change: match (value, previous) {
                (Some(a), Some(b)) if b > 0 => Some((a as f64 - b as f64) / b as f64),
                _ => None,
            },
            rate: None,
            interval: None,
            previous_rate: None,
            previous_interval: None,
            of: None,
            change: None,
        }
    };
    let (t, p) = (&now.totals, &before.totals);
    // New and returning partition the installations: both are shown or
    // neither, each at least k. (None of either was tried as no group, and
    // reviews read withheld quarters off it: 10 in 2026-Q1, all new, then
    // 11 back in 2026-Q3 gave 2026-Q2's withheld 1; 25, all new, then 28
    // back gave the 3 of an older, withheld quarter.)
    let split_ok = |new: u64, all: u64| new >= k && all - new >= k;
    // Returning installations were seen before, most in the previous
    // quarter: its installations less them would be those that did not come
    // back (a review: 25 then, 23 returning, so 2 left).
    // The quarter before publishes its installations when they are at
    // least k, also as a totals-only report (a review: 12 then, 10
    // returning). All installations seen before are published too: the
    // first quarter's and every later report's new ones add up to them
    // (reviews: 10 two quarters before an empty one, 9 returning; 10, then
    // 5 of them and 5 new, then 11 returning: 4 gone). Less the returning
    // ones, these give those that did not come back, exactly for all seen
    // before, and as a reader would take it for the quarter before. An
    // older quarter's installations less them gave no group (returning
    // ones can have skipped it), and checking those withheld a third of
    // the splits of a long history (a review). The previous column is
    // judged so against its own quarter before and all seen before it, as
    // its own report judged it (a review: withheld in one report, it was
    // the next report's previous column).
    // More returning than the quarter before had are the installations of
    // older quarters that came back: fewer than k of them are withheld too
    // (a review: 25 in 2025-Q4, 28 returning in 2026-Q1, and 2025-Q3's
    // withheld count of under 5 was 3 or 4).
    // With `--previous`, as a reader adds them up from the published
    // reports too: events that arrived since change those recomputed here
    // (reviews: 25 published, 27 now, 22 returning; and 35 published
    // before the quarter, the earlier ones' 20 and 15 new, 37 now with
    // the 2 that sent only late events, all 37 returning).
    let left = |returning: u64, quarter_before: u64, all_before: u64, published: &[u64]| {
        [quarter_before, all_before]
            .iter()
            .chain(published)
            .any(|&n| n >= k && returning != n && returning.abs_diff(n) < k)
    };
    // (Those seen before the previous quarter are not changed by its late
    // events. Where its new ones are withheld, its installations only bound
    // those seen before: checked against that bound, a file without late
    // events lost splits it publishes without `--previous`, a review.)
    let published_before: Vec<u64> = prior.map_or_else(Vec::new, |p| {
        let new = p.figure("new_installations");
        [p.figure("installations"), new.map(|n| seen_before.1 + n)]
            .into_iter()
            .flatten()
            .collect()
    });
    let (new, returning) = if split_ok(new_now, t.unique_ids)
        && !left(
            t.unique_ids - new_now,
            p.unique_ids,
            seen_before.0,
            &published_before,
        ) {
        (Some(new_now), Some(t.unique_ids - new_now))
    } else {
        (None, None)
    };
    let (pnew, preturning) = if split_ok(new_prev, p.unique_ids)
        && !left(p.unique_ids - new_prev, before_previous, seen_before.1, &[])
    {
        (Some(new_prev), Some(p.unique_ids - new_prev))
    } else {
        (None, None)
    };
    let wizard = |s: &Summary| s.metric(MetricId::WizardProfiles).denominator;
    let mut out = vec![
        plain(
            "installations",
            "Installations (unique anonymous IDs)",
            // None, of a quarter of no usage event, is no group (a review:
            // it printed its 0 usage events beside a withheld count of
            // installations); of one whose usage events all lack an ID it
            // would say so (a review).
            gate(t.unique_ids >= k || t.usage_events == 0, t.unique_ids),
            Some(p.unique_ids).filter(|&n| n >= k || p.usage_events == 0),
        ),
        plain(
            "new_installations",
            "New installations (not seen before the quarter)",
            new,
            pnew,
        ),
        plain(
            "returning_installations",
            "Returning installations (seen before the quarter)",
            returning,
            preturning,
        ),
        plain(
            "usage_events",
            "Usage events",
            gate(now_has(None), t.usage_events),
            gate(before_has(None), p.usage_events),
        ),
        plain(
            "scans_started",
            "Scans started (scan.started events)",
            gate(now_has(Some("scan.started")), t.scans_started),
            gate(before_has(Some("scan.started")), p.scans_started),
        ),
        plain(
            "scans_completed",
            "Scans completed (scan.completed events)",
            gate(now_has(Some("scan.completed")), t.scans_completed),
            gate(before_has(Some("scan.completed")), p.scans_completed),
        ),
        plain(
            "wizard_runs",
            "Wizard runs (wizard.completed events)",
            gate(now_has(Some("wizard.completed")), wizard(now)),
            gate(before_has(Some("wizard.completed")), wizard(before)),
        ),
    ];
    // The rate and its interval give both counts.
    // Not computed when the filters can split a scan's events.
    let ratio = options.filters.splits_scans().is_none();
    let now_rate = ratio && now_has(Some("scan.started")) && now_has(Some("scan.completed"));
    // The previous rate from the previous column's counts, published when
    // both are (as its own report published it, `--previous` or not).
    let shown_before =
        |out: &[Figure], key: &str| out.iter().find(|f| f.key == key).and_then(|f| f.previous);
    let (started_before, completed_before) = (
        shown_before(&out, "scans_started").filter(|_| ratio),
        shown_before(&out, "scans_completed").filter(|_| ratio),
    );
    let (pc, ps) = (completed_before.unwrap_or(0), started_before.unwrap_or(0));
    let before_rate = started_before.is_some() && completed_before.is_some();
    let ci = interval_of(t.scans_completed, t.scans_started).filter(|_| now_rate);
    let pci = interval_of(pc, ps).filter(|_| before_rate);
    let rate = proportion(t.scans_completed, t.scans_started).filter(|_| now_rate);
    let previous_rate = proportion(pc, ps).filter(|_| before_rate);
    out.push(Figure {
        count_change: None,
        key: "completion_rate",
        label: "Completion rate (scans completed / scans started)",
        value: None,
        previous: None,
        rate,
        interval: ci,
        previous_rate,
        previous_interval: pci,
        of: match options.filters.splits_scans() {
            // Why the dash, beside it (a review: the legend's "withheld or
            // nothing to compare" was untrue of it).
            Some(_) => Some(
                "not computed: --exclude-ci and --version can split a scan's events; see the \
                 methodology"
                    .to_owned(),
            ),
            None => now_rate.then(|| match rate {
                Some(_) => format!("{} scans started", thousands(t.scans_started)),
                None => format!(
                    "no rate: {} scans completed, {} started (scans started before the \
                     quarter, or events lost)",
                    thousands(t.scans_completed),
                    thousands(t.scans_started)
                ),
            }),
        },
        change: Some(compare(
            ci,
            pci,
            rate.unwrap_or(0.0),
            previous_rate.unwrap_or(0.0),
        )),
    });
    if let Some(n) = options.population {
        // The previous quarter's too, as its own report publishes it (a
        // review: always a dash): over its own --population when it is
        // read from that report.
        let pn = prior.and_then(|p| p.population).unwrap_or(n);
        let rate = |ids: u64, n: u64| (n > 0 && ids >= k).then(|| ids as f64 / n as f64);
        let interval = |ids: u64, n: u64| interval_of(ids, n).filter(|_| ids >= k);
        let before = shown_before(&out, "installations").unwrap_or(0);
        let (ci, pci) = (interval(t.unique_ids, n), interval(before, pn));
        out.push(Figure {
            count_change: None,
            key: "opt_in_rate",
            label: "Opt-in rate (installations / known installs)",
            value: None,
            previous: None,
            rate: rate(t.unique_ids, n),
            interval: ci,
            previous_rate: rate(before, pn),
            previous_interval: pci,
            of: Some(format!("{} known installs (--population)", thousands(n))),
            change: Some(compare(
                ci,
                pci,
                rate(t.unique_ids, n).unwrap_or(0.0),
                rate(before, pn).unwrap_or(0.0),
            )),
        });
    }
    out
}

/// Every ISO week touching the quarter, with its published activity; a week
/// not published is `None`, whether it was hidden or had no activity (a
/// review: hidden weeks beside zero ones told which weeks one installation
/// was active in).
fn quarter_weeks(quarter: Quarter, active: &PublishedMetric) -> WeekActivity {
    let first = crate::event::time::iso_week_code(quarter.start());
    let last = crate::event::time::iso_week_code(quarter.next().start() - 1);
    let fmt = crate::event::time::format_week_code;
    let is_week =
        |r: &&crate::metrics::Row, w: &str| r.group_text() == Some("week") && r.value.text() == w;
    week_range(&fmt(first), &fmt(last))
        .into_iter()
        .map(|w| {
            let shown = active.rows.iter().find(|r| is_week(r, &w));
            (w, shown.map(|r| (r.events.unwrap_or(0), r.count)))
        })
        .collect()
}

/// The days of ISO week `label` (`2026-W14`) that fall in `quarter`: 7 but
/// for the weeks at its ends (a review: 2026-W14 read 332 events in one
/// report and 816 in the next, the two halves of one week, unmarked).
pub(crate) fn days_in_quarter(quarter: Quarter, label: &str) -> u64 {
    let day = |us: crate::event::time::Micros| {
        chrono::DateTime::from_timestamp_micros(us).map(|t| t.date_naive())
    };
    let (Some(monday), Some(first), Some(next)) = (
        crate::render::chart::week_monday(label),
        day(quarter.start()),
        day(quarter.next().start()),
    ) else {
        return 0;
    };
    (0..7)
        .filter_map(|d| monday.checked_add_days(chrono::Days::new(d)))
        .filter(|d| (first..next).contains(d))
        .count() as u64
}

/// A share as the tables print it (`<0.1%`, `>99.9%` near 0 and 1).
fn pct(p: f64) -> String {
    crate::render::percent(Some(p))
}

fn ci_words(i: Option<Interval>) -> String {
    i.map_or("no interval".into(), |i| {
        format!("95% CI {}", interval_text(i))
    })
}

/// An interval as the tables print it: `12.3–45.6%` (`<0.1`, `>99.9`
/// near 0 and 1).
pub(crate) fn interval_text(i: Interval) -> String {
    use crate::render::percent_digits;
    format!("{}–{}%", percent_digits(i.low), percent_digits(i.high))
}

/// Thousands separators: `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An event's value as an insight shows it: in backticks, which the
/// renderers turn into a code span (Markdown, HTML) by splitting the sentence
/// at them. The value's own backticks are shown as their escape, `\u{60}`,
/// so every backtick in a sentence is one the report put there: a client's
/// value cannot close the span early and have what follows read as Markdown
/// (raw HTML, a link, an image). (They were shown as `'`: a review's
/// profiles ``a`b`` and `a'b` then read alike; a client's own `\u{60}` is
/// shown with its backslash doubled.) The value's control characters are
/// shown escaped.
fn code_span(value: &str) -> String {
    format!("`{}`", no_backticks(&terminal_safe(value)))
}

/// `safe` (a client's value made safe) with its backticks as `\u{60}`.
fn no_backticks(safe: &str) -> String {
    safe.replace('`', "\\u{60}")
}

/// What the report counts under `--version` and `--exclude-ci`, as words
/// that follow a count of installations (" on JMo version 0.8"); nothing
/// without them.
pub(crate) fn kept_words(f: &Filters) -> String {
    match (&f.version, f.exclude_ci) {
        // The version is the user's text, shown as a client's value is (a
        // review: an ESC, HTML and a Markdown link reached report.md).
        (Some(v), true) => format!(
            " on JMo version {}, counting what --exclude-ci keeps",
            code_span(v)
        ),
        (Some(v), false) => format!(" on JMo version {}", code_span(v)),
        (None, true) => ", counting what --exclude-ci keeps".to_owned(),
        (None, false) => String::new(),
    }
}

/// The "top insights": the largest share of a few headline tables, the
/// adoption rates of the guide's business questions, and the largest
/// significant changes. Nothing else is said.
fn insights(
    tables: &[Table],
    figures: &[Figure],
    options: &ReportOptions,
    previous_has_data: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let find = |name: &str| tables.iter().find(|t| t.name == name);
    for (name, noun) in [
        ("platforms", "usage events"),
        ("profiles", "scans started"),
        ("modes", "scans started"),
    ] {
        let Some(t) = find(name) else { continue };
        if let Some(top) = t
            .rows
            .iter()
            // A missing value is no value to name; a client's "null" is
            // one (a review: skipped by its text, the largest insight named
            // fast at 40 % beside a client's "null" at 60 %).
            .filter(|r| !r.other && !r.missing)
            .max_by(|a, b| {
                a.share
                    .partial_cmp(&b.share)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| b.value.cmp(&a.value))
            })
        {
            // Values not shown may hold a larger one when together they
            // are at least as large: then the value is the largest shown
            // (a review: cli at 37.3 % "the largest", docker at 59.7 %
            // inside Other, hidden beside a small mode).
            let top_share = top.share.unwrap_or(0.0);
            let hidden = t
                .rows
                .iter()
                .filter(|r| r.other)
                .filter_map(|r| r.share)
                .fold(0.0, f64::max);
            if hidden >= top_share {
                out.push(format!(
                    "{}: {} is the largest value shown, with {} of {} ({}); the values not \
                     shown make up {}.",
                    t.title,
                    code_span(&top.shown_value()),
                    pct(top_share),
                    noun,
                    ci_words(top.interval),
                    pct(hidden)
                ));
            } else {
                out.push(format!(
                    "{}: {} is the largest, with {} of {} ({}).",
                    t.title,
                    code_span(&top.shown_value()),
                    pct(top_share),
                    noun,
                    ci_words(top.interval)
                ));
            }
        }
    }
    for (name, value, words) in [
        ("ci_detected", "true", "of scans started ran in CI/CD"),
        (
            "multi_target",
            "multi",
            "of scans started covered more than one target type",
        ),
        (
            "compliance_usage",
            "true",
            "of scans started used compliance frameworks",
        ),
    ] {
        let Some(t) = find(name) else { continue };
        if let Some(r) = t.rows.iter().find(|r| r.value == value && !r.other) {
            // Scans whose client sent no such field are in the share's
            // base: say how many (a review: "16.9 % ran in CI/CD" where
            // 27 % did not say, and "up" where only the unknown fell).
            let unknown = (t.rows.iter()).find(|r| r.missing && !r.other);
            let said = |row: Option<&TableRow>, words: &str| {
                (row.and_then(|r| r.share))
                    .filter(|&s| s > 0.0)
                    .map_or(String::new(), |s| format!(" {} {words}.", pct(s)))
            };
            // Values hidden as Other are in the base too, the unknown among
            // them when its row is hidden (a review).
            let other = (t.rows.iter()).find(|r| r.other);
            let hidden = if unknown.is_some() {
                said(other, "had a value not shown")
            } else {
                said(other, "had a value not shown or did not say")
            };
            let unknown = said(unknown, "did not say");
            out.push(format!(
                "{} {words} ({}).{unknown}{hidden}",
                pct(r.share.unwrap_or(0.0)),
                ci_words(r.interval)
            ));
        }
    }
    if !previous_has_data {
        // Counted as this quarter is: under --version or --exclude-ci,
        // those the filter keeps (a review: "fewer than 20 installations"
        // for a quarter of 86, none of them on the version asked for).
        let kept = kept_words(&options.filters);
        // The key figures compare the totals it publishes, when it publishes
        // any (a review: said of a quarter of 3 installations, all dashes);
        // their significant changes are told below (a review: the
        // completion rate's fall was left out).
        let totals = figures
            .iter()
            .any(|f| f.previous.is_some_and(|n| n > 0) || f.previous_rate.is_some());
        out.push(format!(
            "No breakdown is compared with {}: that quarter has fewer than {} installations{kept}{}.",
            options.quarter.prev(),
            options.quarter_threshold(),
            if totals {
                " (the key figures compare the totals it publishes)"
            } else {
                ""
            }
        ));
    }
    let mut changes: Vec<(f64, String)> = Vec::new();
    let moved = |c: Change| matches!(c, Change::Up | Change::Down);
    for t in tables {
        // A yes/no table's `false` moves with its `true` when the two are
        // all its rows: say it once. Beside a `null` row it moves alone (a
        // review: `false` fell, `true` did not clearly change, and the
        // insights said no share had changed).
        let only_true_false = (t.rows.iter())
            .all(|x| !x.missing && !x.other && matches!(x.value.as_str(), "true" | "false"));
        let true_moved = (t.rows.iter()).any(|x| x.value == "true" && moved(x.change));
        for r in &t.rows {
            if !moved(r.change) {
                continue;
            }
            if r.value == "false" && only_true_false && true_moved {
                continue;
            }
            let (Some(now), Some(before)) = (r.share, r.previous_share) else {
                continue;
            };
            let value = match &r.group {
                // The group is a client's value too: shown as tables show it
                // (the sentence's own escaping only makes it safe).
                Some(_) => format!(
                    "{} ({})",
                    code_span(&r.shown_value()),
                    no_backticks(&terminal_safe(&r.shown_group().unwrap_or_default()))
                ),
                None => code_span(&r.shown_value()),
            };
            changes.push((
                (now - before).abs(),
                format!(
                    "{}: {value} {} from {} to {} ({}); the 95% intervals do not overlap.",
                    t.title,
                    if now > before { "rose" } else { "fell" },
                    pct(before),
                    pct(now),
                    t.unit
                ),
            ));
        }
    }
    if let Some(f) = figures.iter().find(|f| f.key == "completion_rate")
        && let (Some(Change::Up | Change::Down), Some(now), Some(before)) =
            (f.change, f.rate, f.previous_rate)
    {
        changes.push((
            (now - before).abs(),
            format!(
                "The completion rate {} from {} to {}; the 95% intervals do not overlap.",
                if now > before { "rose" } else { "fell" },
                pct(before),
                pct(now)
            ),
        ));
    }
    changes.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.1.cmp(&b.1))
    });
    let any_moved = (tables.iter().flat_map(|t| &t.rows)).any(|r| moved(r.change))
        || figures.iter().any(|f| f.change.is_some_and(moved));
    if !any_moved && previous_has_data {
        out.push(format!(
            "No published share changed significantly from {} (every pair of 95% intervals overlaps).",
            options.quarter.prev()
        ));
    }
    out.extend(changes.into_iter().take(3).map(|c| c.1));
    out
}

/// The quarter's bounds as RFC 3339 (start inclusive, end exclusive).
pub fn quarter_bounds(q: Quarter) -> (String, String) {
    (format_rfc3339(q.start()), format_rfc3339(q.next().start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change is called on the intervals as printed (two reviews: 8 of 8
    /// against 85 of 142 was "up" beside two bounds of 0.675592; 11 of 12
    /// against 3 of 9 beside 64.6–98.5% and 12.1–64.6%).
    #[test]
    fn intervals_that_touch_as_published_are_no_clear_change() {
        let (now, before) = (interval_of(8, 8), interval_of(85, 142));
        let (low, high) = (now.unwrap().low, before.unwrap().high);
        assert!(
            low > high && crate::metrics::finalize::round6(low) == 0.675592,
            "{low} {high}"
        );
        assert_eq!(
            compare(now, before, 1.0, 85.0 / 142.0),
            Change::NoClearChange
        );
        let (now, before) = (interval_of(11, 12), interval_of(3, 9));
        let (low, high) = (now.unwrap().low, before.unwrap().high);
        assert!(low - high > 1e-4 && interval_text(now.unwrap()).starts_with("64.6–"));
        assert!(interval_text(before.unwrap()).ends_with("–64.6%"));
        assert_eq!(
            compare(now, before, 11.0 / 12.0, 3.0 / 9.0),
            Change::NoClearChange
        );
        let now = interval_of(8, 8);
        let apart = interval_of(60, 142);
        assert_eq!(compare(now, apart, 1.0, 60.0 / 142.0), Change::Up);
        assert_eq!(compare(apart, now, 60.0 / 142.0, 1.0), Change::Down);
    }

    /// A client's value and group read as the tables show them: the same
    /// text in quotes in both columns (a review: a by-profile table showed
    /// the group `Other (hidden values)` bare beside the value quoted).
    #[test]
    fn a_clients_group_is_shown_as_its_value_is() {
        let row = |text: &str, missing: bool| TableRow {
            group: Some(text.into()),
            value: text.into(),
            missing,
            group_missing: missing,
            other: false,
            events: 5,
            installations: Some(5),
            runs: None,
            share: None,
            interval: None,
            previous_share: None,
            previous_interval: None,
            change: Change::NotComparable,
        };
        for (text, shown) in [
            ("null", "\"null\""),
            (OTHER_ROW, "\"Other (hidden values)\""),
            (OTHER, "\"Other\""),
            ("\"x", "\"\"x\""),
            ("fast", "fast"),
        ] {
            let r = row(text, false);
            assert_eq!(
                (r.shown_value(), r.shown_group().unwrap()),
                (shown.into(), shown.into())
            );
        }
        let missing = row("null", true);
        assert_eq!(missing.shown_group().unwrap(), "null");
        assert_eq!(missing.shown_value(), "null");
    }

    /// The insights print shares and intervals as the tables do (a review:
    /// "100.0% (95% CI 99.9–100.0%)" beside ">99.9%" in the table).
    #[test]
    fn insights_read_shares_near_0_and_1_as_the_tables_do() {
        assert_eq!(pct(21_000.0 / 21_005.0), ">99.9%");
        assert_eq!(pct(5.0 / 21_005.0), "<0.1%");
        let i = wilson95(21_005, 21_005).unwrap();
        assert_eq!(ci_words(Some(i)), "95% CI >99.9–100.0%");
    }

    /// Checks that the installations behind each cell, as the privacy rules
    /// read them, agree with every row `finalize` publishes from `input`
    /// (same labels, same counts); returns how many rows it checked.
    fn check_cells_agree_with_the_summary(input: Input<'_>, q: Quarter) -> usize {
        let (stats, sink) = pass::read(input, q, &Filters::default(), 5).unwrap();
        let ids = CellIds::from_tally(&sink.current);
        let n = sink.current.events_per_installation().count();
        let summary = finalize("x", stats, sink.current);
        let mut checked = 0;
        for m in &summary.metrics {
            if matches!(m.id, MetricId::WizardDuration) {
                continue;
            }
            for r in &m.rows {
                let want = match m.id {
                    MetricId::ActiveInstallations | MetricId::EventsPerInstallation => r.count,
                    _ => r.installations.unwrap_or(0),
                };
                assert_eq!(
                    ids.of(m.id, r).len() as u64,
                    want,
                    "{} {:?} {:?}",
                    m.id.name(),
                    r.group,
                    r.value
                );
                checked += 1;
            }
        }
        // Each list holds real installations, ascending and each once.
        for (cell, list) in ids.iter() {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{cell:?}");
            assert!(list.iter().all(|&i| (i as usize) < n), "{cell:?}");
        }
        checked
    }

    #[test]
    fn cell_installations_agree_with_the_summary() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/events.jsonl");
        let file = std::fs::File::open(path).unwrap();
        let checked = check_cells_agree_with_the_summary(file.into(), "2026-Q2".parse().unwrap());
        assert!(checked > 200, "{checked}");
    }

    /// A client's profile "null" and events without a profile are two
    /// groups that read `null`: each row finds its own installations (3 and
    /// 2 here), not both groups' 5.
    #[test]
    fn a_profile_named_null_has_its_own_installations() {
        let mut data = String::new();
        for i in 0..5 {
            let profile = if i < 3 { "" } else { "\"profile\": \"null\", " };
            data.push_str(&format!(
                "{{\"event\": \"scan.completed\", \"anonymous_id\": \"{i:08x}-0000-4000-8000-000000000000\", \"timestamp\": \"2026-02-03T10:00:00+00:00\", \"metadata\": {{{profile}\"duration_bucket\": \"<5min\"}}}}\n"
            ));
        }
        let checked =
            check_cells_agree_with_the_summary(data.as_bytes().into(), "2026-Q1".parse().unwrap());
        assert!(checked > 5, "{checked}");
    }

    /// The weeks at a quarter's ends count only its days.
    #[test]
    fn the_weeks_at_a_quarters_ends_hold_only_its_days() {
        let q = |year, q| Quarter { year, q };
        // 2026-Q2 runs from Wednesday 1 April to Tuesday 30 June.
        assert_eq!(days_in_quarter(q(2026, 2), "2026-W14"), 5);
        assert_eq!(days_in_quarter(q(2026, 2), "2026-W20"), 7);
        assert_eq!(days_in_quarter(q(2026, 2), "2026-W27"), 2);
        // 2026-W01 starts on Monday 29 December 2025.
        assert_eq!(days_in_quarter(q(2026, 1), "2026-W01"), 4);
        assert_eq!(days_in_quarter(q(2025, 4), "2026-W01"), 3);
        assert_eq!(days_in_quarter(q(2026, 2), "2026-W30"), 0);
        assert_eq!(days_in_quarter(q(2026, 2), "nonsense"), 0);
    }

    /// Workers fold their sinks into the shared one every few blocks; how
    /// often must not change a number of the summary or the report.
    #[test]
    fn folding_sinks_often_changes_nothing() {
        use crate::event::ingest::{Tuning, ingest_tuned};
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/events.jsonl");
        let text = std::fs::read(path).unwrap();
        let often = Tuning {
            block: 4 << 10,
            fold_blocks: 1,
            ..Tuning::default()
        };
        assert!(text.len() > 50 * often.block);
        let filters = std::sync::Arc::new(Filters::default());
        let summary = |tuning| {
            let make = || crate::metrics::Tally::new(std::sync::Arc::clone(&filters));
            let (stats, tally) = ingest_tuned((&text[..]).into(), make, tuning).unwrap();
            finalize("x", stats, tally)
        };
        assert_eq!(summary(often), summary(Tuning::default()));
        let options = q2_options(10);
        let report = |tuning| {
            let make = || {
                pass::QuarterSink::new(options.quarter, &options.filters, options.min_installations)
            };
            let read = ingest_tuned((&text[..]).into(), make, tuning).unwrap();
            let report = assemble(read, &options);
            render::files(&report).unwrap()
        };
        assert_eq!(report(often), report(Tuning::default()));
    }

    /// 2026-Q2's report at k = 5, with `min_quarter` installations for
    /// breakdowns.
    fn q2_options(min_quarter: u64) -> ReportOptions {
        ReportOptions {
            quarter: "2026-Q2".parse().unwrap(),
            filters: Filters::default(),
            min_installations: 5,
            min_quarter_installations: min_quarter,
            population: None,
            generated_on: None,
            source_name: "events.jsonl".into(),
            previous: None,
        }
    }

    /// A quarter with more pairs of profile and tool than are tallied
    /// withholds the tools table (and the failure rates, which need its
    /// runs): which tools the hidden profiles enabled cannot be checked.
    #[test]
    fn too_many_profile_and_tool_pairs_withhold_the_tools_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/events.jsonl");
        let options = q2_options(20);
        let read = || {
            let file = std::fs::File::open(path).unwrap();
            pass::read(file, options.quarter, &options.filters, 5).unwrap()
        };
        let withheld = |report: &Report, name: &str| {
            (report.tables.iter())
                .find(|t| t.name == name)
                .map(|t| t.withheld)
        };
        let whole = assemble(read(), &options);
        assert_eq!(withheld(&whole, "scan_tools"), Some(false));
        assert_eq!(withheld(&whole, "tool_failure_rates"), Some(false));
        let (stats, mut sink) = read();
        let mut full = joint::ToolsByProfile::with_limit(5, 0);
        let line = r#"{"event": "scan.started", "version": "1.0.0", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-000000000001", "timestamp": "2026-05-05T10:00:00Z", "metadata": {"profile": "fast", "tools": ["zap"]}}"#;
        let crate::event::Parsed::Event(event) = crate::event::parse_line(line) else {
            panic!("a valid line");
        };
        full.observe(&event, 1);
        assert!(full.overflowed());
        sink.tools[0] = full;
        let over = assemble((stats, sink), &options);
        assert_eq!(withheld(&over, "scan_tools"), Some(true));
        assert_eq!(withheld(&over, "tool_failure_rates"), Some(true));
    }

    #[test]
    fn one_pass_matches_summary_quarter() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/events.jsonl");
        let q: Quarter = "2026-Q1".parse().unwrap();
        let (stats, sink) = pass::read(
            std::fs::File::open(path).unwrap(),
            q,
            &Filters::default(),
            5,
        )
        .unwrap();
        let mut f = Filters::default();
        f.set_quarter(q);
        let alone = crate::metrics::summarize(std::fs::File::open(path).unwrap(), "x", f).unwrap();
        assert_eq!(finalize("x", stats.clone(), sink.current), alone);
        let mut f = Filters::default();
        f.set_quarter(q.prev());
        let prev = crate::metrics::summarize(std::fs::File::open(path).unwrap(), "x", f).unwrap();
        let mine = finalize("x", stats, sink.previous);
        assert_eq!(mine.totals, prev.totals);
        assert_eq!(mine.metrics, prev.metrics);
    }
}
