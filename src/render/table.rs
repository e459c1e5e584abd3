//! Terminal tables (comfy-table): fit the terminal width, bold headers unless
//! `NO_COLOR` is set or stdout is not a terminal; event strings are shown with
//! control characters escaped.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{
    Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
};

use super::text::terminal_safe;
use super::{Renderer, layout, overview};
use crate::metrics::Summary;
use unicode_width::UnicodeWidthStr as _;

/// Terminal output.
pub struct TableRenderer {
    /// Bold headers.
    pub styled: bool,
    /// Fit tables to this many columns (`None`: no limit).
    pub width: Option<u16>,
    /// At most this many rows per metric, the first (largest) ones, and a
    /// line saying how many more there are (`None`: every row).
    pub max_rows: Option<usize>,
}

/// A value (or group) wider than this many columns, as a terminal draws it,
/// is cut in a table, with `…`: a column is as wide as its widest cell, and
/// when stdout is no terminal nothing wraps it, so one 70,000-character tool
/// name padded every one of 10,000 rows to its width (a review: 1.3 GB of
/// output from a 318 KB file). JSON, CSV and Markdown write values whole.
pub const MAX_CELL_COLUMNS: usize = 200;

/// A value of more characters than this is cut too, however few columns
/// they take: characters that draw on the one before them (combining
/// marks) take none (a review: `a` and 200,000 U+0301 made one row of
/// 200,237 characters).
pub const MAX_CELL_CHARS: usize = 4 * MAX_CELL_COLUMNS;

/// `s` as the table shows it ([`terminal_safe`]), cut to
/// [`MAX_CELL_COLUMNS`] columns with `…` as its last, and whether it was
/// cut. The escaped text is measured (a review: 200 tag characters, each
/// shown as `\u{e0001}`, were 1,800 wide), in the columns a terminal gives
/// it (150 CJK characters are 300 wide), and cut between escapes, never
/// inside one (a doubled backslash is one too).
fn cut_long(s: &str) -> (String, bool) {
    use unicode_width::UnicodeWidthStr;
    let safe = terminal_safe(s);
    if safe.width() <= MAX_CELL_COLUMNS && safe.chars().count() <= MAX_CELL_CHARS {
        return (safe.into_owned(), false);
    }
    let b = safe.as_bytes();
    let (mut at, mut columns, mut chars) = (0usize, 0usize, 0usize);
    while at < b.len() {
        let len = match (b[at], b.get(at + 1)) {
            (b'\\', Some(b'\\')) => 2,
            (b'\\', Some(b'u')) => safe[at..].find('}').map_or(1, |i| i + 1),
            _ => safe[at..].chars().next().map_or(1, char::len_utf8),
        };
        let unit = &safe[at..at + len];
        let (width, count) = (unit.width(), unit.chars().count());
        if columns + width > MAX_CELL_COLUMNS - 1 || chars + count > MAX_CELL_CHARS - 1 {
            break;
        }
        columns += width;
        chars += count;
        at += len;
    }
    (format!("{}…", &safe[..at]), true)
}

/// Gives each column of `t` a least width (`least[i]`, at least 2, its
/// padding added): in a narrow terminal a number split over two lines
/// (`11` over `18` for 1118) read as two numbers, and a double-width
/// character in a column one wide broke the table's borders (a review).
/// The values, the groups and the headers wrap around what is kept whole.
fn keep_whole(t: &mut Table, least: &[usize]) {
    for (i, &w) in least.iter().enumerate() {
        if let Some(column) = t.column_mut(i) {
            let w = u16::try_from(w.max(2)).unwrap_or(u16::MAX);
            let lower = w.saturating_add(column.padding_width());
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(lower)));
        }
    }
}

/// The width of the widest word of `text` that is a number, with the
/// punctuation it stands with (`3023 (23 blank, …)`: 4, for `3023` and
/// `(23`); 0 when none is.
fn widest_number(text: &str) -> usize {
    text.split_whitespace()
        .filter(|word| {
            let n = word.trim_matches(['(', ')', ',', ':', ';']);
            n.bytes().any(|b| b.is_ascii_digit())
                && n.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'%'))
        })
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// [`TableRenderer::max_rows`] unless `--max-rows` says otherwise. A terminal
/// table costs about 1 KB per row to lay out; a client that sends a million
/// distinct tool names would otherwise cost a gigabyte of memory here.
pub const MAX_ROWS: usize = 10_000;

impl TableRenderer {
    /// Styling and width from the environment: `NO_COLOR`, a terminal on stdout, `COLUMNS`.
    pub fn from_env() -> TableRenderer {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        // `COLUMNS=0` says nothing of the width: no limit, as when unset.
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|&w: &u16| w > 0);
        TableRenderer {
            styled: tty && !no_color,
            width,
            max_rows: Some(MAX_ROWS),
        }
    }

    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        match self.width {
            Some(w) => {
                t.set_width(w);
            }
            // A terminal that says it is 0 columns wide (a pseudo-terminal
            // nobody sized, as `script` makes one without a terminal
            // around it) squeezed every column to one character: no limit,
            // as when stdout is no terminal.
            None if t.width() == Some(0) => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
            None => {}
        }
        t
    }

    fn header_cell(&self, text: &str) -> Cell {
        let cell = Cell::new(text);
        if self.styled {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }
}

impl Renderer for TableRenderer {
    fn write_to(&self, summary: &Summary, w: &mut dyn std::io::Write) -> anyhow::Result<()> {
        let mut out = String::new();
        let mut head = self.table();
        let mut least = [0, 0];
        let lines = overview(summary);
        let label = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in lines {
            let v = terminal_safe(&v);
            least[1] = least[1].max(widest_number(&v));
            // Whole, to be copied and compared with `sha256sum` (a review:
            // at 80 columns it wrapped over two lines): the labels wrap
            // around it when the table would, and the width leaves them 7
            // columns (`SHA-256`); narrower, it wraps as the other values
            // do, the table in its width. (Kept whole always, the column
            // was never wider: a wide terminal wrapped the other values.)
            let fits = |w: u16| (v.len() + 14..label + v.len() + 7).contains(&usize::from(w));
            // (The width set by COLUMNS, else the terminal's.)
            if k == "SHA-256" && head.width().is_some_and(fits) {
                least[1] = least[1].max(v.len());
            }
            head.add_row(vec![self.header_cell(&k), Cell::new(v)]);
        }
        keep_whole(&mut head, &least);
        out.push_str(&head.to_string());
        out.push('\n');
        for m in &summary.metrics {
            let def = m.def();
            out.push('\n');
            out.push_str(def.name);
            out.push_str(": ");
            out.push_str(def.description);
            out.push('\n');
            if m.rows.is_empty() {
                out.push_str("  (no events)\n");
                continue;
            }
            // The wizard's quartiles are six statistics of one count, not
            // values ranked by count: a cut hid the max and the mean (a
            // review).
            let shown = match m.id {
                crate::metrics::MetricId::WizardDuration => usize::MAX,
                _ => self.max_rows.unwrap_or(usize::MAX),
            };
            let (header, body) = layout(m, shown);
            let mut t = self.table();
            t.set_header(header.iter().map(|h| self.header_cell(h)));
            let mut cut = false;
            // The widest number of each column that holds numbers.
            let mut least = vec![0; header.len()];
            for row in body {
                t.add_row(row.iter().enumerate().map(|(i, c)| {
                    if matches!(header[i], "group" | "value") {
                        let (text, was_cut) = cut_long(c);
                        cut |= was_cut;
                        Cell::new(text)
                    } else {
                        let text = terminal_safe(c);
                        least[i] = least[i].max(text.width());
                        Cell::new(text).set_alignment(CellAlignment::Right)
                    }
                }));
            }
            keep_whole(&mut t, &least);
            out.push_str(&t.to_string());
            out.push('\n');
            if cut {
                out.push_str(&format!(
                    "  Values wider than {MAX_CELL_COLUMNS} columns, or of more than \
                     {MAX_CELL_CHARS} characters,\n  are cut (…); JSON, CSV and Markdown write \
                     them whole.\n"
                ));
            }
            if let Some(more) = m.rows.len().checked_sub(shown).filter(|&n| n > 0) {
                let rows = |n: usize| if n == 1 { "row" } else { "rows" };
                out.push_str(&format!(
                    "  … and {more} more {}, not shown: a table shows the {shown} {} of\n  \
                     largest count (--max-rows); `--max-rows 0` shows them all, as\n  \
                     JSON, CSV and Markdown do.\n",
                    rows(more),
                    rows(shown),
                ));
            }
        }
        w.write_all(out.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cut measures the text as shown and never splits an escape.
    #[test]
    fn long_values_are_cut_as_shown_between_escapes() {
        // 200 characters that show as 9 each: cut, at most 200 wide.
        let tags = "\u{e0001}".repeat(200);
        let (cut, was_cut) = cut_long(&tags);
        assert!(was_cut);
        assert_eq!(cut, format!("{}…", "\\u{e0001}".repeat(22)));
        // A doubled backslash is not split from its pair.
        let slashes = format!("xx{}", "\\".repeat(300));
        let (cut, _) = cut_long(&slashes);
        assert_eq!(cut, format!("xx{}…", "\\\\".repeat(98)));
        // 200 shown characters are whole; 201 are cut to 199 and `…`.
        let (whole, was_cut) = cut_long(&"a".repeat(200));
        assert_eq!((whole.chars().count(), was_cut), (200, false));
        let (cut, was_cut) = cut_long(&"a".repeat(201));
        assert_eq!((cut.chars().count(), was_cut), (200, true));
        // Wide characters count two columns each: 150 CJK characters are
        // 300 wide, cut after 99 (198 columns).
        let (cut, was_cut) = cut_long(&"漢".repeat(150));
        assert_eq!((cut, was_cut), (format!("{}…", "漢".repeat(99)), true));
        let (whole, was_cut) = cut_long(&"漢".repeat(100));
        assert_eq!((whole.chars().count(), was_cut), (100, false));
        // Shown as the table shows any value: a space at its end escaped.
        assert_eq!(cut_long("a ").0, "a\\u{20}");
        // Characters of no column count too, past 800 (a review: one
        // letter and 200,000 combining accents made a 200,237-character
        // row).
        let marks = format!("a{}", "\u{301}".repeat(200_000));
        let (cut, was_cut) = cut_long(&marks);
        assert_eq!((cut.chars().count(), was_cut), (MAX_CELL_CHARS, true));
        let few = format!("a{}", "\u{301}".repeat(799));
        assert_eq!(cut_long(&few), (few.clone(), false));
    }
}
