//! The counts and rates: the [`registry`] of named metrics, the [`filter`]s, the
//! streaming accumulator ([`tally`]) and the final aggregation ([`finalize`])
//! into a [`Summary`], the one structure every renderer reads.

pub mod filter;
pub mod finalize;
pub(crate) mod installs;
pub mod registry;
pub mod stats;
pub mod tally;

use std::sync::Arc;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use filter::{Filters, Quarter};
pub use registry::{METRICS, MetricDef, MetricId};
pub use tally::Tally;

use crate::event::{IngestStats, Problem, ingest};
use crate::source::local::Input;

/// The JSON schema identifier of [`Summary`].
pub const SCHEMA: &str = "jmo-analyze.summary/1";

/// A metric row's value: a string, a boolean, or null (a missing field).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// JSON null.
    Null,
    /// JSON boolean.
    Bool(bool),
    /// JSON string.
    Str(String),
}

impl Value {
    /// Text for tables, CSV and Markdown: `null`, `true`, `false` or the string.
    pub fn text(&self) -> &str {
        match self {
            Value::Null => "null",
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            Value::Str(s) => s,
        }
    }

    /// [`Value::text`] as tables, Markdown, HTML and charts show it: a
    /// client's text that reads as a missing value (`null`) or as nothing
    /// (empty), or that starts with a quote, is shown in quotes
    /// ([`quoted_if_read_as_other`]), so that no two values read alike
    /// (a review: a client's `"null"` read as the row of events without the
    /// field; `"\"null\""` then reads as itself, never as `"null"`).
    pub fn shown(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::Str(s) => quoted_if_read_as_other(s, &[]),
            v => std::borrow::Cow::Borrowed(v.text()),
        }
    }
}

/// A client's text `s` in quotes when it reads as a missing value
/// (`null`), or as nothing (an empty text, a blank cell), as one of
/// `labels` (an output's own words, such as a report's rest row), or
/// starts with a quote (so that no quoted text passes for another's); else
/// as it is.
pub fn quoted_if_read_as_other<'a>(s: &'a str, labels: &[&str]) -> std::borrow::Cow<'a, str> {
    if s == "null" || s.is_empty() || s.starts_with('"') || labels.contains(&s) {
        std::borrow::Cow::Owned(format!("\"{s}\""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A group as a key that orders groups as tables show them
/// ([`Value::text`]), then by kind: a client's profile "null" after the
/// group of events without a profile, which both read `null`.
pub fn shown_key(group: Option<&Value>) -> (Option<&str>, Option<&Value>) {
    (group.map(Value::text), group)
}

/// Compares two groups by their [`shown_key`].
pub fn shown_order(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    shown_key(a).cmp(&shown_key(b))
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

/// One row of a metric. Written with its fields in this order, those that
/// are `None` left out, except `share`, and `rate` in a row that has `runs`
/// (`null` when there is no rate: a review found the key missing).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The value counted.
    pub value: Value,
    /// For broken-down metrics: the group. The profile (JSON null for events
    /// without one, which a client's profile "null" is not), the ISO week
    /// (`2026-W06`) of `versions_by_week`, or `week` or `month` for
    /// `active_installations`.
    pub group: Option<Value>,
    /// Events (or installations, where the metric says so).
    pub count: u64,
    /// `count` over the metric's denominator (see each metric's description).
    pub share: Option<f64>,
    /// Distinct installations behind the row.
    pub installations: Option<u64>,
    /// Events behind the row, where `count` counts something else.
    pub events: Option<u64>,
    /// `tool_failure_rates`: scan.started events that enabled the tool.
    pub runs: Option<u64>,
    /// `tool_failure_rates`: failures / runs (null when the tool never ran,
    /// when it failed more often than it ran, or under a filter that splits
    /// scans).
    pub rate: Option<f64>,
    /// `wizard_duration`: the statistic in seconds.
    pub seconds: Option<f64>,
    /// The report's row of the values it does not show in a line (`Other`),
    /// never a value a client sent, whatever its text (a client can send
    /// `Other`). Not written: the report's files have their own column.
    pub other: bool,
}

impl Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("value", &self.value)?;
        if let Some(group) = &self.group {
            map.serialize_entry("group", group)?;
        }
        map.serialize_entry("count", &self.count)?;
        map.serialize_entry("share", &self.share)?;
        for (key, n) in [
            ("installations", self.installations),
            ("events", self.events),
            ("runs", self.runs),
        ] {
            if let Some(n) = n {
                map.serialize_entry(key, &n)?;
            }
        }
        if self.runs.is_some() || self.rate.is_some() {
            map.serialize_entry("rate", &self.rate)?;
        }
        if let Some(seconds) = self.seconds {
            map.serialize_entry("seconds", &seconds)?;
        }
        map.end()
    }
}

impl Row {
    /// The group as tables, CSV and Markdown show it ([`Value::text`]).
    pub fn group_text(&self) -> Option<&str> {
        self.group.as_ref().map(Value::text)
    }

    /// A plain counted row.
    pub fn new(value: Value, count: u64) -> Row {
        Row {
            value,
            group: None,
            count,
            share: None,
            installations: None,
            events: None,
            runs: None,
            rate: None,
            seconds: None,
            other: false,
        }
    }
}

/// One metric's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRows {
    /// Which metric.
    pub id: MetricId,
    /// Events the metric counts (the denominator of `share`).
    pub denominator: u64,
    /// Rows: count descending, ties by group then value.
    pub rows: Vec<Row>,
}

impl MetricRows {
    /// Registry entry.
    pub fn def(&self) -> &'static MetricDef {
        self.id.def()
    }
}

/// Input bookkeeping (before filters, except `filtered_out`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputReport {
    /// Path, or `-` for stdin.
    pub source: String,
    /// SHA-256 of the input bytes.
    pub sha256: String,
    /// Bytes read.
    pub bytes: u64,
    /// Physical lines.
    pub lines: u64,
    /// Blank lines.
    pub blank_lines: u64,
    /// Invalid lines.
    pub invalid_lines: u64,
    /// Valid events.
    pub valid_events: u64,
    /// Valid usage events.
    pub usage_events: u64,
    /// Test events.
    pub test_events: u64,
    /// Marker events.
    pub marker_events: u64,
    /// Valid events dropped by the filters.
    pub filtered_out: u64,
    /// Every invalid line.
    pub problems: Vec<Problem>,
}

/// The period the counted events span, and the filters that chose them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// Earliest counted usage event (RFC 3339 UTC).
    pub first: Option<String>,
    /// Latest counted usage event (RFC 3339 UTC).
    pub last: Option<String>,
    /// Filters applied.
    pub filters: Filters,
    /// Earliest and latest usage event that only the period (`--quarter`,
    /// `--since`, `--until`) left out, before it and after it: what a
    /// warning tells when the period holds none. Not in the JSON.
    #[serde(skip)]
    pub outside: [Option<(crate::event::time::Micros, crate::event::time::Micros)>; 2],
}

/// Headline totals (after filters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Usage events counted.
    pub usage_events: u64,
    /// Distinct anonymous IDs among them.
    pub unique_ids: u64,
    /// `scan.started` events.
    pub scans_started: u64,
    /// `scan.completed` events.
    pub scans_completed: u64,
}

/// Everything `summary` knows; every renderer reads this.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Input bookkeeping.
    pub input: InputReport,
    /// Period and filters.
    pub period: Period,
    /// Totals.
    pub totals: Totals,
    /// Metrics in registry order.
    pub metrics: Vec<MetricRows>,
}

impl Summary {
    /// A metric's rows by id.
    pub fn metric(&self, id: MetricId) -> &MetricRows {
        &self.metrics[id as usize]
    }
}

/// Each metric's name with what `F` takes from it (borrowed: a metric can
/// hold a million rows).
struct Named<'a, F>(&'a [MetricRows], F);

impl<'a, T: Serialize, F: Fn(&'a MetricRows) -> T> Serialize for Named<'a, F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for m in self.0 {
            map.serialize_entry(m.def().name, &(self.1)(m))?;
        }
        map.end()
    }
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_as(s, &self.input, &self.period, &self.totals, |m| {
            Some(m.denominator)
        })
    }
}

impl Summary {
    /// Serializes the summary with the `input`, `period`, `totals` and
    /// denominators given (a denominator `None` is written `null`): the
    /// report publishes only what its privacy rules allow.
    pub fn serialize_as<S: serde::Serializer, I: Serialize, T: Serialize>(
        &self,
        s: S,
        input: &I,
        period: &Period,
        totals: &T,
        denominator: impl Fn(&MetricRows) -> Option<u64>,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("schema", SCHEMA)?;
        map.serialize_entry("input", input)?;
        map.serialize_entry("period", period)?;
        map.serialize_entry("totals", totals)?;
        fn rows(m: &MetricRows) -> &[Row] {
            &m.rows
        }
        map.serialize_entry("denominators", &Named(&self.metrics, denominator))?;
        map.serialize_entry("metrics", &Named(&self.metrics, rows))?;
        map.end()
    }
}

/// Reads a whole input and summarises it: the library's one-call entry point.
pub fn summarize<'a>(
    input: impl Into<Input<'a>>,
    source: &str,
    filters: Filters,
) -> std::io::Result<Summary> {
    let filters = Arc::new(filters);
    let (stats, tally) = ingest(input, || Tally::new(Arc::clone(&filters)))?;
    Ok(finalize::finalize(source, stats, tally))
}

/// Builds the input report from ingestion stats.
pub(crate) fn input_report(source: &str, stats: IngestStats, filtered_out: u64) -> InputReport {
    InputReport {
        source: source.to_string(),
        sha256: stats.sha256,
        bytes: stats.bytes,
        lines: stats.lines,
        blank_lines: stats.blank_lines,
        invalid_lines: stats.invalid_lines,
        valid_events: stats.valid_events,
        usage_events: stats.usage_events,
        test_events: stats.test_events,
        marker_events: stats.marker_events,
        filtered_out,
        problems: stats.problems,
    }
}
