//! CSV: one tidy table of every metric's rows (RFC 4180).
//!
//! Columns: `metric,value,count,share` as promised, then the extras
//! `group,installations,events,runs,rate,seconds` (empty where not defined).
//! Untrusted strings are guarded against formula injection.

use super::Renderer;
use super::text::{csv_safe, terminal_safe};
use crate::metrics::{Row, Summary};

/// The tidy CSV table.
pub struct CsvRenderer {
    /// The output is a terminal: strings are shown as
    /// [`terminal_safe`] shows them (an escape
    /// sequence in a client's string would drive the terminal), where a file
    /// keeps them as the clients sent them.
    pub terminal: bool,
}

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
    cells_for(metric, row, false)
}

/// [`cells`], its strings shown as on a terminal when `terminal` is set.
fn cells_for(metric: &str, row: &Row, terminal: bool) -> [String; 10] {
    let text = |s: &str| {
        if terminal {
            csv_safe(&terminal_safe(s)).into_owned()
        } else {
            csv_safe(s).into_owned()
        }
    };
    [
        metric.to_string(),
        text(row.value.text()),
        row.count.to_string(),
        opt(row.share),
        row.group_text().map(text).unwrap_or_default(),
        opt(row.installations),
        opt(row.events),
        opt(row.runs),
        opt(row.rate),
        opt(row.seconds),
    ]
}

impl Renderer for CsvRenderer {
    fn write_to(&self, summary: &Summary, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        // An I/O error stays one (a closed pipe ends the run quietly).
        let io = |e: csv::Error| match e.is_io_error() {
            true => match e.into_kind() {
                csv::ErrorKind::Io(e) => anyhow::Error::from(e),
                _ => unreachable!("is_io_error said so"),
            },
            false => anyhow::Error::new(e).context("writing CSV"),
        };
        w.write_record(HEADER).map_err(io)?;
        for m in &summary.metrics {
            for row in &m.rows {
                w.write_record(cells_for(m.def().name, row, self.terminal))
                    .map_err(io)?;
            }
        }
        w.flush()?;
        Ok(())
    }
}
