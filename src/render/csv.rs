//! CSV: one tidy table of every metric's rows (RFC 4180).
//!
//! Columns: `metric,value,count,share` as promised, then the extras
//! `group,installations,events,runs,rate,seconds` (empty where not defined).
//! Untrusted strings are guarded against formula injection.

use super::Renderer;
use super::text::csv_safe;
use crate::metrics::{Row, Summary};

/// The tidy CSV table.
pub struct CsvRenderer;

/// The header row.
pub const HEADER: [&str; 10] = [
    "metric",
    "value",
    "count",
    "share",
    "group",
    "installations",
    "events",
    "runs",
    "rate",
    "seconds",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One metric row as CSV cells, in [`HEADER`] order.
pub fn cells(metric: &str, row: &Row) -> [String; 10] {
    [
        metric.to_string(),
        csv_safe(row.value.text()).into_owned(),
        row.count.to_string(),
        opt(row.share),
        row.group
            .as_deref()
            .map(|g| csv_safe(g).into_owned())
            .unwrap_or_default(),
        opt(row.installations),
        opt(row.events),
        opt(row.runs),
        opt(row.rate),
        opt(row.seconds),
    ]
}

impl Renderer for CsvRenderer {
    fn render(&self, summary: &Summary) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(HEADER)?;
        for m in &summary.metrics {
            for row in &m.rows {
                w.write_record(cells(m.def().name, row))?;
            }
        }
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("writing CSV: {e}"))
    }
}
