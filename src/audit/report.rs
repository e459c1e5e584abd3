//! What `validate` and `audit` found over a whole input: mergeable
//! accumulators (one per chunk, merged in order) and their text and JSON output.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::LineKind;
use super::rules::Rule;
use super::scan::{Finding, FingerprintSummary, FingerprintTally};
use super::validate::{Problem, ProblemKind, Severity};
use crate::render::json::write_json;
use crate::render::text::plural;

/// The `schema` field of `validate --format json`.
pub const VALIDATE_SCHEMA: &str = "jmo-analyze.validate/1";
/// The `schema` field of `audit --format json`.
pub const AUDIT_SCHEMA: &str = "jmo-analyze.audit/1";

/// How many line numbers a group shows.
pub const FIRST_LINES: usize = 5;
/// How many findings of one rule the text output lists (JSON lists all).
pub const TEXT_FINDINGS_PER_RULE: usize = 50;

/// The output formats of `validate` and `audit`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned text for a terminal.
    #[default]
    Text,
    /// One JSON document, for CI.
    Json,
}

/// Counts of the lines read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineCounts {
    /// Physical lines read.
    pub lines: u64,
    /// Lines holding a JSON object (an event, or an object that is none).
    pub events: u64,
    /// Lines that are not UTF-8, not JSON, or JSON but not an object.
    pub invalid_lines: u64,
    /// Empty or whitespace-only lines (skipped).
    pub blank_lines: u64,
}

impl LineCounts {
    /// Counts one line.
    pub fn add(&mut self, kind: LineKind) {
        self.lines += 1;
        match kind {
            LineKind::Blank => self.blank_lines += 1,
            LineKind::Event => self.events += 1,
            LineKind::Invalid => self.invalid_lines += 1,
        }
    }

    fn merge(&mut self, other: LineCounts) {
        self.lines += other.lines;
        self.events += other.events;
        self.invalid_lines += other.invalid_lines;
        self.blank_lines += other.blank_lines;
    }

    fn describe(&self) -> String {
        // Every line holding a JSON object, whatever it holds: an object
        // without `event` is counted here too (`summary` counts it invalid).
        let mut parts = vec![plural(self.events, "JSON object")];
        if self.invalid_lines > 0 {
            parts.push(format!("{} invalid", self.invalid_lines));
        }
        if self.blank_lines > 0 {
            parts.push(format!("{} blank", self.blank_lines));
        }
        format!("{} ({})", plural(self.lines, "line"), parts.join(", "))
    }
}

/// Up to [`FIRST_LINES`] smallest line numbers of both lists, sorted.
fn merge_first_lines(a: &mut Vec<u64>, b: &[u64]) {
    a.extend_from_slice(b);
    a.sort_unstable();
    a.dedup();
    a.truncate(FIRST_LINES);
}

// ---------------------------------------------------------------- validate

/// Problems of one severity, kind, event type and field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemGroup {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The event type.
    pub event: String,
    /// The field path.
    pub field: String,
    /// How many problems.
    pub count: u64,
    /// The first line numbers.
    pub first_lines: Vec<u64>,
    /// The reason given on the first line.
    pub reason: String,
}

type GroupKey = (Severity, ProblemKind, String, String);

/// Everything `validate` found; merge one per chunk in order.
#[derive(Debug, Clone, Default)]
pub struct ValidateReport {
    /// Lines read.
    pub counts: LineCounts,
    /// Problems of severity error.
    pub errors: u64,
    /// Problems of severity warning.
    pub warnings: u64,
    groups: BTreeMap<GroupKey, ProblemGroup>,
    /// Every problem, when asked to keep them (for `--format json`).
    problems: Option<Vec<Problem>>,
}

impl ValidateReport {
    /// An empty report; `keep_all` keeps every problem, not only the groups.
    pub fn new(keep_all: bool) -> ValidateReport {
        ValidateReport {
            problems: keep_all.then(Vec::new),
            ..ValidateReport::default()
        }
    }

    /// Adds one line and its problems (drained from `problems`).
    pub fn add(&mut self, kind: LineKind, problems: &mut Vec<Problem>) {
        self.counts.add(kind);
        for p in problems.drain(..) {
            match p.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
            }
            let key = (p.severity, p.kind, p.event.clone(), p.field.clone());
            let group = self.groups.entry(key).or_insert_with(|| ProblemGroup {
                severity: p.severity,
                kind: p.kind,
                event: p.event.clone(),
                field: p.field.clone(),
                count: 0,
                first_lines: Vec::new(),
                reason: p.reason.clone(),
            });
            group.count += 1;
            if group.first_lines.len() < FIRST_LINES && group.first_lines.last() != Some(&p.line) {
                group.first_lines.push(p.line);
            }
            if let Some(all) = &mut self.problems {
                all.push(p);
            }
        }
    }

    /// Combines the report of the next chunk into this one.
    pub fn merge(mut self, mut other: ValidateReport) -> ValidateReport {
        self.counts.merge(other.counts);
        self.errors += other.errors;
        self.warnings += other.warnings;
        // The smaller map's groups go into the larger (combining two groups
        // does not depend on which report holds them): one line can bring
        // 100,000 groups, which merging into an empty report, once per
        // level of the parallel fold, would insert anew each time.
        if self.groups.len() < other.groups.len() {
            std::mem::swap(&mut self.groups, &mut other.groups);
        }
        for (key, g) in other.groups {
            match self.groups.get_mut(&key) {
                Some(mine) => {
                    mine.count += g.count;
                    if g.first_lines.first() < mine.first_lines.first() {
                        mine.reason = g.reason;
                    }
                    merge_first_lines(&mut mine.first_lines, &g.first_lines);
                }
                None => {
                    self.groups.insert(key, g);
                }
            }
        }
        match (&mut self.problems, other.problems) {
            (Some(mine), Some(theirs)) => mine.extend(theirs),
            (None, theirs) => self.problems = theirs,
            _ => {}
        }
        self
    }

    /// True when any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// The groups: errors first, then by kind, event type and field.
    pub fn groups(&self) -> impl Iterator<Item = &ProblemGroup> {
        self.groups.values()
    }

    /// Every problem in line order (empty unless kept).
    pub fn problems(&self) -> &[Problem] {
        self.problems.as_deref().unwrap_or(&[])
    }

    /// Puts the kept problems in line order (chunks merged out of order, or not).
    pub fn finish(&mut self) {
        if let Some(all) = &mut self.problems {
            all.sort_by_key(|p| p.line);
        }
    }

    /// Writes the report in `format`.
    pub fn write(&self, format: OutputFormat, w: &mut impl Write) -> io::Result<()> {
        match format {
            OutputFormat::Text => self.write_text(w),
            OutputFormat::Json => {
                #[derive(Serialize)]
                struct Doc<'a> {
                    schema: &'static str,
                    #[serde(flatten)]
                    counts: LineCounts,
                    errors: u64,
                    warnings: u64,
                    groups: Vec<&'a ProblemGroup>,
                    problems: &'a [Problem],
                }
                let doc = Doc {
                    schema: VALIDATE_SCHEMA,
                    counts: self.counts,
                    errors: self.errors,
                    warnings: self.warnings,
                    groups: self.groups().collect(),
                    problems: self.problems(),
                };
                write_json(&mut *w, &doc)?;
                writeln!(w)
            }
        }
    }

    fn write_text(&self, w: &mut impl Write) -> io::Result<()> {
        let verdict = if self.errors == 0 && self.warnings == 0 {
            "every line is valid".to_owned()
        } else {
            format!(
                "{}, {}",
                plural(self.errors, "error"),
                plural(self.warnings, "warning")
            )
        };
        writeln!(w, "validate: {}: {verdict}", self.counts.describe())?;
        if self.groups.is_empty() {
            return Ok(());
        }
        writeln!(w)?;
        let mut rows = vec![row([
            "SEVERITY",
            "KIND",
            "EVENT",
            "FIELD",
            "COUNT",
            "FIRST LINES",
            "REASON (first line)",
        ])];
        for g in self.groups() {
            rows.push(vec![
                g.severity.to_string(),
                g.kind.to_string(),
                g.event.clone(),
                if g.field.is_empty() {
                    "-".into()
                } else {
                    g.field.clone()
                },
                g.count.to_string(),
                lines_list(&g.first_lines, g.count),
                g.reason.clone(),
            ]);
        }
        write_table(w, &rows)
    }
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// `3, 7, 9` or `3, 7, 9, 12, 15, …` when there may be more lines.
fn lines_list(lines: &[u64], count: u64) -> String {
    let mut s = lines
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if lines.len() == FIRST_LINES && count > FIRST_LINES as u64 {
        s.push_str(", …");
    }
    s
}

/// Left-aligned columns two spaces apart, no trailing spaces. Cells are
/// measured as a terminal shows them (a review: `＝1`, `é€😀` and a
/// combining accent shifted the columns after them, counted in characters).
fn write_table(w: &mut impl Write, rows: &[Vec<String>]) -> io::Result<()> {
    use unicode_width::UnicodeWidthStr;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                line.extend(std::iter::repeat_n(' ', widths[c] - cell.width() + 2));
            }
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

// ---------------------------------------------------------------- audit

/// Findings of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule identifier.
    pub rule: &'static str,
    /// What it looks for.
    pub description: &'static str,
    /// How many findings.
    pub count: u64,
    /// The first line numbers.
    pub first_lines: Vec<u64>,
}

/// Everything `audit` found; merge one per chunk in order.
#[derive(Debug, Clone, Default)]
pub struct AuditReport {
    /// Lines read.
    pub counts: LineCounts,
    findings: Vec<Finding>,
    fingerprint: FingerprintTally,
}

impl AuditReport {
    /// Adds one line and its findings (drained from `findings`).
    pub fn add(&mut self, kind: LineKind, findings: &mut Vec<Finding>) {
        self.counts.add(kind);
        self.findings.append(findings);
    }

    /// The fingerprint tally, to record a line's common fields in.
    pub fn fingerprint_mut(&mut self) -> &mut FingerprintTally {
        &mut self.fingerprint
    }

    /// Combines the report of the next chunk into this one.
    pub fn merge(mut self, other: AuditReport) -> AuditReport {
        self.counts.merge(other.counts);
        self.findings.extend(other.findings);
        self.fingerprint.merge(other.fingerprint);
        self
    }

    /// Puts the findings in line order (stable: within a line, in walk order).
    pub fn finish(&mut self) {
        self.findings.sort_by_key(|f| f.line);
    }

    /// Every finding.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// True when any rule found something (the fingerprint warning aside).
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }

    /// The findings counted by rule, in rule order, rules without findings left out.
    pub fn rule_counts(&self) -> Vec<RuleCount> {
        let mut by_rule: BTreeMap<Rule, RuleCount> = BTreeMap::new();
        for f in &self.findings {
            let rc = by_rule.entry(f.rule).or_insert_with(|| RuleCount {
                rule: f.rule.id(),
                description: f.rule.description(),
                count: 0,
                first_lines: Vec::new(),
            });
            rc.count += 1;
            merge_first_lines(&mut rc.first_lines, &[f.line]);
        }
        by_rule.into_values().collect()
    }

    /// The fingerprint counts for threshold k.
    pub fn fingerprint(&self, min_installations: usize) -> FingerprintSummary {
        self.fingerprint.summary(min_installations)
    }

    /// Writes the report in `format`.
    pub fn write(
        &self,
        format: OutputFormat,
        min_installations: usize,
        w: &mut impl Write,
    ) -> io::Result<()> {
        let fp = self.fingerprint(min_installations);
        match format {
            OutputFormat::Text => self.write_text(&fp, w),
            OutputFormat::Json => {
                #[derive(Serialize)]
                struct Doc<'a> {
                    schema: &'static str,
                    #[serde(flatten)]
                    counts: LineCounts,
                    findings_count: usize,
                    rules: Vec<RuleCount>,
                    findings: &'a [Finding],
                    fingerprint: Fingerprint,
                }
                #[derive(Serialize)]
                struct Fingerprint {
                    warning: bool,
                    #[serde(flatten)]
                    summary: FingerprintSummary,
                }
                let doc = Doc {
                    schema: AUDIT_SCHEMA,
                    counts: self.counts,
                    findings_count: self.findings.len(),
                    rules: self.rule_counts(),
                    findings: &self.findings,
                    fingerprint: Fingerprint {
                        warning: fp.rare_combinations > 0,
                        summary: fp,
                    },
                };
                write_json(&mut *w, &doc)?;
                writeln!(w)
            }
        }
    }

    fn write_text(&self, fp: &FingerprintSummary, w: &mut impl Write) -> io::Result<()> {
        if self.findings.is_empty() {
            writeln!(w, "audit: {}: nothing found", self.counts.describe())?;
        } else {
            let mut lines: Vec<u64> = self.findings.iter().map(|f| f.line).collect();
            lines.dedup();
            writeln!(
                w,
                "audit: {}: {} in {}",
                self.counts.describe(),
                plural(self.findings.len() as u64, "finding"),
                plural(lines.len() as u64, "line")
            )?;
            writeln!(w)?;
            let mut rows = vec![row(["RULE", "COUNT", "FIRST LINES", "WHAT"])];
            for rc in self.rule_counts() {
                rows.push(vec![
                    rc.rule.to_owned(),
                    rc.count.to_string(),
                    lines_list(&rc.first_lines, rc.count),
                    rc.description.to_owned(),
                ]);
            }
            write_table(w, &rows)?;
            writeln!(w)?;
            let mut rows = vec![row(["LINE", "EVENT", "FIELD", "IN", "RULE", "REDACTED"])];
            let mut shown: BTreeMap<Rule, usize> = BTreeMap::new();
            let mut hidden = 0;
            for f in &self.findings {
                let n = shown.entry(f.rule).or_default();
                *n += 1;
                if *n > TEXT_FINDINGS_PER_RULE {
                    hidden += 1;
                    continue;
                }
                let location = match f.location {
                    super::scan::Location::Value => "value",
                    super::scan::Location::Key => "key",
                    super::scan::Location::Line => "line",
                };
                rows.push(vec![
                    f.line.to_string(),
                    f.event.clone(),
                    f.field.clone(),
                    location.to_owned(),
                    f.rule.id().to_owned(),
                    f.redacted.clone(),
                ]);
            }
            write_table(w, &rows)?;
            if hidden > 0 {
                writeln!(
                    w,
                    "… and {hidden} more (the first {TEXT_FINDINGS_PER_RULE} of each rule are listed; --format json lists all)"
                )?;
            }
        }
        writeln!(w)?;
        if fp.rare_combinations > 0 {
            writeln!(
                w,
                "warning: {} of {} (platform, python_version, version) combinations are shared by fewer than {} installations; {} of {} installations could be singled out by them (combinations not listed)",
                fp.rare_combinations,
                fp.combinations,
                fp.min_installations,
                fp.installations_in_rare_combinations,
                fp.installations
            )
        } else if fp.combinations == 0 {
            writeln!(
                w,
                "fingerprint: no (platform, python_version, version) combination: no installation sent one"
            )
        } else {
            let each = if fp.combinations == 1 {
                "the one (platform, python_version, version) combination is".to_owned()
            } else {
                format!(
                    "each of the {} (platform, python_version, version) combinations is",
                    fp.combinations
                )
            };
            writeln!(
                w,
                "fingerprint: {each} shared by at least {} installation{}",
                fp.min_installations,
                if fp.min_installations == 1 { "" } else { "s" }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lines: &[(u64, &str, &str)]) -> ValidateReport {
        let mut r = ValidateReport::new(true);
        for &(line, field, reason) in lines {
            let mut problems = vec![Problem {
                line,
                severity: Severity::Error,
                kind: ProblemKind::DuplicateField,
                event: "scan.started".into(),
                field: field.into(),
                reason: reason.into(),
            }];
            r.add(LineKind::Event, &mut problems);
        }
        r
    }

    /// Merging gives one result whichever report holds more groups (the
    /// smaller one's groups go into the larger): counts add up, a group
    /// keeps the reason of its first line and its first lines in order,
    /// and the kept problems stay in the reports' order.
    #[test]
    fn merging_a_smaller_report_into_a_larger_gives_one_result() {
        let early = || report(&[(1, "a", "first")]);
        let late = || report(&[(5, "a", "later"), (6, "b", "b"), (7, "c", "c")]);
        let merged = early().merge(late());
        let got: Vec<(&str, u64, &[u64], &str)> = merged
            .groups()
            .map(|g| {
                (
                    g.field.as_str(),
                    g.count,
                    g.first_lines.as_slice(),
                    g.reason.as_str(),
                )
            })
            .collect();
        let want: [(&str, u64, &[u64], &str); 3] = [
            ("a", 2, &[1, 5], "first"),
            ("b", 1, &[6], "b"),
            ("c", 1, &[7], "c"),
        ];
        assert_eq!(got, want);
        let lines: Vec<u64> = merged.problems().iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 5, 6, 7]);
        assert_eq!((merged.errors, merged.counts.lines), (4, 4));
        // The larger report first: the same groups.
        let other = late().merge(early());
        assert!(other.groups().eq(merged.groups()));
    }

    /// Columns line up as a terminal draws them: a wide character takes two
    /// columns, a combining accent none.
    #[test]
    fn columns_are_as_wide_as_a_terminal_draws_them() {
        let rows: Vec<Vec<String>> = [
            ["E", "FIELD"],
            ["＝1", "a"],
            ["é€😀", "b"],
            ["cafe\u{301}", "c"],
        ]
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
        let mut out = Vec::new();
        write_table(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        use unicode_width::UnicodeWidthStr;
        let starts: Vec<usize> = (text.lines())
            .map(|l| l[..l.rfind(' ').unwrap() + 1].width())
            .collect();
        assert_eq!(starts, [6, 6, 6, 6], "{text}");
        assert!(text.starts_with("E     FIELD\n＝1   a\n"), "{text}");
    }
}
