//! Renderers: pure functions from a [`Summary`] to bytes, one file per format
//! behind the [`Renderer`] trait. Only `cmd/` writes files.

pub mod chart;
pub mod csv;
pub mod json;
pub mod markdown;
pub mod table;
pub mod text;

use crate::metrics::MetricId;
use crate::metrics::Summary;

/// The formats of `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal tables.
    Table,
    /// The stable JSON schema `jmo-analyze.summary/1`.
    Json,
    /// One tidy table: metric,value,count,share,… (RFC 4180).
    Csv,
    /// One section per metric.
    Markdown,
}

/// Turns a summary into bytes.
pub trait Renderer {
    /// Renders the whole summary.
    fn render(&self, summary: &Summary) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_to(summary, &mut out)?;
        Ok(out)
    }

    /// Writes the whole summary to `out`. JSON and CSV write it as they go
    /// (a client can make a metric hold a million rows: the text would be
    /// another copy of them); the others build their text first.
    fn write_to(&self, summary: &Summary, out: &mut dyn std::io::Write) -> anyhow::Result<()>;
}

impl Format {
    /// The renderer of this format; terminal tables show at most `max_rows` rows per
    /// metric (`None`: every row). `terminal` says that the output goes to a
    /// terminal: tables are styled only there (a file gets no escape codes),
    /// and CSV cells are shown as [`text::terminal_safe`] shows them, so a
    /// client's string cannot drive the terminal (a file keeps them as sent).
    pub fn renderer(self, max_rows: Option<usize>, terminal: bool) -> Box<dyn Renderer> {
        match self {
            Format::Table => {
                let mut table = table::TableRenderer::from_env();
                table.max_rows = max_rows;
                table.styled &= terminal;
                Box::new(table)
            }
            Format::Json => Box::new(json::JsonRenderer),
            Format::Csv => Box::new(csv::CsvRenderer { terminal }),
            Format::Markdown => Box::new(markdown::MarkdownRenderer),
        }
    }
}

/// How a share prints for people: `12.3%`, or `–` when undefined.
pub fn percent(share: Option<f64>) -> String {
    match share {
        Some(s) => format!("{}%", percent_digits(s)),
        None => "–".to_string(),
    }
}

/// A proportion as a percentage to one decimal, without its `%`; one that
/// is not 0 or 1 but rounds to it reads `<0.1` or `>99.9` (a review: 1
/// scan in 200,000 read `0.0% (0.0–0.0%)`, as if certainly none).
pub fn percent_digits(p: f64) -> String {
    let shown = one_decimal(p);
    match shown.as_str() {
        "0.0" | "-0.0" if p > 0.0 => "<0.1".to_string(),
        "100.0" if p < 1.0 => ">99.9".to_string(),
        _ => shown,
    }
}

/// A proportion as a percentage to one decimal, as printed (`67.6`).
fn one_decimal(p: f64) -> String {
    format!("{:.1}", p * 100.0)
}

/// The percentage [`percent_digits`] prints, as a number (`<0.1` is 0):
/// what the report compares intervals on.
pub fn percent_printed(p: f64) -> f64 {
    one_decimal(p).parse().unwrap_or(p * 100.0)
}

/// A metric laid out for people: header and cells (raw, unescaped text).
/// Columns appear only when some row has them, so each metric shows what it
/// means. Tables and Markdown (and the report) share this layout.
pub fn layout(
    metric: &crate::metrics::MetricRows,
    max_rows: usize,
) -> (Vec<&'static str>, impl Iterator<Item = Vec<String>> + '_) {
    let rows = &metric.rows;
    let has = |f: fn(&crate::metrics::Row) -> bool| rows.iter().any(f);
    let has_group = has(|r| r.group.is_some());
    let is_rate = metric.id == MetricId::ToolFailureRates;
    let has_seconds = has(|r| r.seconds.is_some());
    let has_events = has(|r| r.events.is_some());
    let count_label = match metric.id {
        MetricId::ActiveInstallations | MetricId::EventsPerInstallation => "installations",
        MetricId::ToolFailureRates => "failures",
        _ => "count",
    };
    let show_installations = !has_seconds
        && has(|r| r.installations.is_some())
        && !matches!(
            metric.id,
            MetricId::ActiveInstallations | MetricId::EventsPerInstallation
        );
    let mut header = Vec::new();
    if has_group {
        header.push("group");
    }
    header.push("value");
    if has_seconds {
        header.extend(["seconds", "events"]);
    } else {
        header.push(count_label);
        if is_rate {
            header.extend(["runs", "rate"]);
        } else {
            header.push("share");
        }
        if has_events {
            header.push("events");
        }
        if show_installations {
            header.push("installations");
        }
    }
    // Rows are laid out as they are written, not all at once: a metric
    // can hold a million of them.
    let columns = header.len();
    let body = reading_order(metric, max_rows).into_iter().map(move |r| {
        let mut cells = Vec::with_capacity(columns);
        if has_group {
            cells.push(
                r.group
                    .as_ref()
                    .map(|g| g.shown().into_owned())
                    .unwrap_or_default(),
            );
        }
        cells.push(r.value.shown().into_owned());
        if has_seconds {
            cells.push(r.seconds.map(|s| format!("{s}")).unwrap_or_default());
            cells.push(r.count.to_string());
            return cells;
        }
        cells.push(r.count.to_string());
        if is_rate {
            cells.push(r.runs.map(|n| n.to_string()).unwrap_or_default());
            cells.push(percent(r.rate));
        } else {
            cells.push(percent(r.share));
        }
        if has_events {
            cells.push(r.events.map(|n| n.to_string()).unwrap_or_default());
        }
        if show_installations {
            cells.push(r.installations.map(|n| n.to_string()).unwrap_or_default());
        }
        cells
    });
    (header, body)
}

/// The `max_rows` rows of a metric with the largest counts, in the order
/// people read them. Rows are written largest count first (JSON and CSV keep
/// that order), which scatters a grouped metric's groups among each other;
/// here a group's rows stand together, largest count first: weeks and months
/// in time order (`versions_by_week`; `active_installations`, its months
/// before its weeks), other groups (profiles) by their total count, largest
/// first, ties as the groups are shown.
pub fn reading_order(
    metric: &crate::metrics::MetricRows,
    max_rows: usize,
) -> Vec<&crate::metrics::Row> {
    use crate::metrics::{MetricId, Value, shown_order};
    let mut rows: Vec<&crate::metrics::Row> = metric.rows.iter().take(max_rows).collect();
    if !rows.iter().any(|r| r.group.is_some()) {
        return rows;
    }
    // Stable sorts: within a group, rows keep their count order.
    match metric.id {
        MetricId::VersionsByWeek => rows.sort_by(|a, b| a.group_text().cmp(&b.group_text())),
        MetricId::ActiveInstallations => rows.sort_by(|a, b| {
            a.group_text()
                .cmp(&b.group_text())
                .then_with(|| a.value.text().cmp(b.value.text()))
        }),
        _ => {
            let mut totals: rustc_hash::FxHashMap<Option<&Value>, u64> = Default::default();
            for r in &metric.rows {
                *totals.entry(r.group.as_ref()).or_insert(0) += r.count;
            }
            rows.sort_by(|a, b| {
                let (ga, gb) = (a.group.as_ref(), b.group.as_ref());
                totals[&gb]
                    .cmp(&totals[&ga])
                    .then_with(|| shown_order(ga, gb))
            });
        }
    }
    rows
}

/// The lines about the input, period and totals that every human format opens with.
pub fn overview(summary: &Summary) -> Vec<(String, String)> {
    let i = &summary.input;
    let t = &summary.totals;
    let p = &summary.period;
    let mut lines = vec![
        ("Source".to_string(), i.source.clone()),
        ("SHA-256".to_string(), i.sha256.clone()),
        (
            "Lines".to_string(),
            format!(
                "{} ({} blank, {} invalid, {} valid events: {} usage, {} test, {} marker)",
                i.lines,
                i.blank_lines,
                i.invalid_lines,
                i.valid_events,
                i.usage_events,
                i.test_events,
                i.marker_events
            ),
        ),
    ];
    if let Some(filters) = p.filters.describe() {
        lines.push(("Filters".to_string(), filters));
    }
    if i.filtered_out > 0 {
        lines.push((
            "Filtered out".to_string(),
            format!("{} valid events", i.filtered_out),
        ));
    }
    lines.push((
        "Period".to_string(),
        match (&p.first, &p.last) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => "no usage events".to_string(),
        },
    ));
    lines.push(("Usage events".to_string(), t.usage_events.to_string()));
    lines.push(("Unique IDs".to_string(), t.unique_ids.to_string()));
    lines.push((
        "Scans".to_string(),
        format!(
            "{} started, {} completed",
            t.scans_started, t.scans_completed
        ),
    ));
    if let Some(why) = uncomputed_ratios(summary) {
        lines.push((
            "Not computed".to_string(),
            format!("the completion share and the tool failure rates (shown as –): {why}"),
        ));
    } else if t.scans_completed > t.scans_started {
        // No share above 1 (a review: the `–` went unexplained here).
        lines.push((
            "Not computed".to_string(),
            "the completion share (shown as –): more scans completed than started, as when a \
             time bound cuts scans that started before it, or events were lost"
                .to_string(),
        ));
    }
    if uncomputed_ratios(summary).is_none() {
        // A rate above 1, or of a tool no counted scan listed, is `null`
        // too: say why (a review: the `–` went unexplained).
        let rates = &summary.metrics[MetricId::ToolFailureRates as usize].rows;
        let tools = rates.iter().filter(|r| r.rate.is_none()).count();
        // With no scan counted, a filter that splits scans is the reason
        // (a review: --exclude-ci left only the failures, and the line
        // blamed a time bound).
        let why = summary.period.filters.splits_scans().unwrap_or(
            "more failures than scans listing the tool started, or none listed it, as when a \
             time bound cuts scans that started before it, or events were lost",
        );
        if tools > 0 {
            lines.push((
                "Not computed".to_string(),
                format!(
                    "the failure rate of {tools} {} (shown as –): {why}",
                    if tools == 1 { "tool" } else { "tools" }
                ),
            ));
        }
    }
    lines
}

/// Why the completion share and the tool failure rates are `null`, when
/// the filters can split a scan's events
/// ([`Filters::splits_scans`](crate::metrics::filter::Filters::splits_scans))
/// and some scan events are counted.
pub(crate) fn uncomputed_ratios(summary: &Summary) -> Option<&'static str> {
    let why = summary.period.filters.splits_scans()?;
    let t = &summary.totals;
    (t.scans_started + t.scans_completed > 0).then_some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A share that is not 0 or 1 never reads as one: 1 in 200,000 read
    /// `0.0%` beside an interval of `0.0–0.0%` (a review).
    #[test]
    fn a_share_near_0_or_1_does_not_read_as_it() {
        assert_eq!(percent(Some(1.0 / 200_000.0)), "<0.1%");
        assert_eq!(percent(Some(199_999.0 / 200_000.0)), ">99.9%");
        assert_eq!(percent(Some(0.0)), "0.0%");
        assert_eq!(percent(Some(1.0)), "100.0%");
        assert_eq!(percent(Some(0.0005)), "0.1%");
        assert_eq!(percent(Some(0.123)), "12.3%");
        assert_eq!(percent(None), "–");
    }
}
