//! Markdown: an overview, then one section per metric with its description
//! and a table. Event strings are escaped (no markup, no raw HTML).

use std::fmt::Write;

use super::text::markdown_safe;
use super::{Renderer, layout, overview};
use crate::metrics::Summary;

/// GitHub-flavoured Markdown.
pub struct MarkdownRenderer;

/// Writes one Markdown table (cells escaped).
pub fn table(out: &mut String, header: &[&str], body: impl IntoIterator<Item = Vec<String>>) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let aligns: Vec<&str> = header
        .iter()
        .map(|h| {
            if matches!(*h, "group" | "value") {
                "---"
            } else {
                "---:"
            }
        })
        .collect();
    let _ = writeln!(out, "| {} |", aligns.join(" | "));
    for row in body {
        let cells: Vec<String> = row.iter().map(|c| markdown_safe(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

impl Renderer for MarkdownRenderer {
    fn write_to(&self, summary: &Summary, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
        let mut out = String::from("# JMo Security telemetry summary\n\n");
        for (k, v) in overview(summary) {
            let _ = writeln!(out, "- **{k}:** {}", markdown_safe(&v));
        }
        for m in &summary.metrics {
            let def = m.def();
            let _ = write!(out, "\n## {}\n\n{}\n\n", def.name, def.description);
            if m.rows.is_empty() {
                out.push_str("_No events._\n");
                continue;
            }
            let (header, body) = layout(m, usize::MAX);
            table(&mut out, &header, body);
        }
        w.write_all(out.as_bytes())?;
        Ok(())
    }
}
