//! The report's files, as bytes: `report.md`, `report.html` (self-contained:
//! CSS and SVG charts inline, no external requests), one CSV per table,
//! `summary.json` (the summary schema with only published rows, plus a
//! `report` section) and `sample-events.json`. Pure functions of a
//! [`Report`]: same report, same bytes.

use std::fmt::Write;

use serde::Serialize;

use super::privacy::PublishedMetric;
use super::samples::PLACEHOLDER_ID;
use super::{Change, Figure, Ledger, REPORT_SCHEMA, Report, Table, quarter_bounds, thousands};
use crate::metrics::stats::Interval;
use crate::metrics::{InputReport, MetricId, MetricRows, Summary};
use crate::render::chart::{Chart, Drawn, draw_all, standard_charts};
use crate::render::json::json_bytes;
use crate::render::text::{
    csv_safe, html_escape, html_text, markdown_safe, markdown_text, shell_word, terminal_safe,
    text_safe,
};

/// One output file: its path inside the report directory and its bytes.
pub type File = (String, Vec<u8>);

/// What the guide says is collected (the events and their fields).
const COLLECTED: &[(&str, &str)] = &[
    (
        "Every event",
        "event type, JMo version, platform (Linux, Darwin, Windows), Python major.minor, a random anonymous installation ID (UUID v4, user-resettable), timestamp",
    ),
    (
        "scan.started",
        "execution mode, profile, tool names enabled, number of targets per target type, CI/CD detected, multi-target scan, compliance usage, target count bucket, scan frequency hint",
    ),
    (
        "scan.completed",
        "execution mode, profile, duration bucket, tools succeeded and failed (counts), findings bucket",
    ),
    (
        "tool.failed",
        "tool name, failure type (timeout, crash, non-zero exit), exit code, profile",
    ),
    (
        "wizard.completed",
        "profile selected, execution mode, artifact generated, seconds spent in the wizard",
    ),
    (
        "report.generated",
        "output formats, findings bucket, suppressions used, compliance enrichment enabled",
    ),
    (
        "policy.evaluated",
        "number of policies, violations bucket, evaluation time bucket, policy names, passed and failed counts",
    ),
];

/// What the guide says is never collected.
const NEVER_COLLECTED: &[&str] = &[
    "Repository names, paths or URLs",
    "Finding details (secrets, vulnerabilities, code snippets)",
    "File names or directory structures",
    "Suppression rules or exclusion patterns",
    "IP addresses or network information",
    "User names, e-mail addresses or other identifiers",
    "Configuration values (API tokens, endpoints)",
    "Error messages or stack traces",
    "Environment variables",
    "Git commit history or branch names",
    "Exact scan durations (only buckets such as <5min, 5-15min)",
    "Exact finding counts (only buckets such as 0, 1-10, 10-100)",
];

fn pct(p: Option<f64>) -> String {
    crate::render::percent(p)
}

fn ci(i: Option<Interval>) -> String {
    i.map_or(String::new(), super::interval_text)
}

fn share_cell(p: Option<f64>, i: Option<Interval>) -> String {
    match (p, i) {
        (Some(_), Some(_)) => format!("{} ({})", pct(p), ci(i)),
        (Some(_), None) => pct(p),
        _ => "–".into(),
    }
}

fn count(v: Option<u64>) -> String {
    v.map_or("–".into(), thousands)
}

/// The chart view: every published metric with its Other rows.
fn chart_view(report: &Report) -> Summary {
    let metrics = report.published.iter().map(PublishedMetric::with_others);
    published_view(report, metrics.collect())
}

/// The report's summary as it may be published, with `metrics`: the
/// input's name without its directory and no invalid-line reasons (they
/// quote event text). The summary's own rows are not copied: a client can
/// send a million values, which the privacy rules hide.
fn published_view(report: &Report, metrics: Vec<MetricRows>) -> Summary {
    let s = &report.summary;
    Summary {
        input: InputReport {
            source: report.ledger.source.clone(),
            sha256: s.input.sha256.clone(),
            problems: Vec::new(),
            ..s.input
        },
        period: s.period.clone(),
        totals: s.totals.clone(),
        metrics,
    }
}

/// The report's charts (none when the quarter is not significant).
pub fn charts(report: &Report) -> Vec<Chart> {
    if !report.significant {
        return Vec::new();
    }
    let mut charts = standard_charts(&chart_view(report), &report.weeks, true);
    // A withheld metric's chart would name how many events it counts.
    let withheld = |id: MetricId| report.published[id as usize].withheld;
    charts.retain(|c| {
        !chart_metrics(&c.name)
            .iter()
            .any(|&id| withheld(id) || withheld(MetricId::EventTypes))
    });
    // Weeks at the quarter's ends hold only its days: said, since their
    // bars are lower for it (a review).
    let q = report.options.quarter;
    let ends =
        crate::render::chart::partial_weeks(&report.weeks, Some(q.start()), Some(q.next().start()));
    for c in &mut charts {
        c.title = format!("{} ({})", c.title, report.options.quarter);
        if c.name == "activity" {
            c.subtitle += ends;
        }
    }
    charts
}

/// The metrics a standard chart draws from.
fn chart_metrics(name: &str) -> &'static [MetricId] {
    use MetricId as M;
    match name {
        "activity" => &[M::ActiveInstallations],
        "platforms" => &[M::Platforms],
        "profiles" => &[M::Profiles],
        "modes" => &[M::Modes],
        "output_formats" => &[M::OutputFormats],
        "tool_failure_rates" => &[M::ToolFailureRates, M::ToolFailures, M::ScanTools],
        "version_adoption" => &[M::VersionsByWeek],
        "durations_by_profile" => &[M::DurationBucketsByProfile],
        _ => &[],
    }
}

fn period(report: &Report) -> String {
    let q = report.options.quarter;
    let last = crate::event::time::date_of(q.next().start() - 1);
    format!(
        "{} to {} (UTC)",
        crate::event::time::date_of(q.start()),
        last
    )
}

fn not_significant(report: &Report) -> Option<String> {
    (!report.significant).then(|| {
        let k = report.options.min_installations;
        let installations = report.summary.totals.unique_ids;
        let how_many = if installations < k {
            format!("fewer than {k}")
        } else {
            thousands(installations)
        };
        // Counted as the quarter is (a review: "fewer than 5" for a quarter
        // of 25 installations, none of them on the version asked for).
        format!(
            "The data is not yet significant: {how_many} installations sent events in {}{}, and this report needs {} before it publishes any breakdown. Only totals are shown, each where it is about at least {k} installations.",
            report.options.quarter,
            super::kept_words(&report.options.filters),
            report.options.quarter_threshold()
        )
    })
}

fn figure_cells(f: &Figure) -> [String; 3] {
    // A rate figure by its key, also when only its previous quarter has a
    // rate (a review: drawn as counts, the previous rate was a dash).
    if matches!(f.key, "completion_rate" | "opt_in_rate") {
        let now = match f.rate {
            Some(_) => format!(
                "{} ({}) of {}",
                pct(f.rate),
                ci(f.interval),
                f.of.as_deref().unwrap_or("")
            ),
            // Why there is no rate, when the figure says.
            None => match (f.key, &f.of) {
                ("completion_rate", Some(why)) => format!("– ({why})"),
                _ => "–".into(),
            },
        };
        let before = if f.previous_rate.is_some() {
            share_cell(f.previous_rate, f.previous_interval)
        } else {
            "–".into()
        };
        let change = f.change.map_or("–", Change::words).to_string();
        return [now, before, change];
    }
    let change = f
        .count_change
        .map_or("–".into(), |c| format!("{:+.1}%", c * 100.0));
    [count(f.value), count(f.previous), change]
}

fn opt_in_missing(report: &Report) -> bool {
    report.options.population.is_none()
}

const DASH: &str = "A dash (–) is a figure the privacy rules withhold (it would be about fewer than k installations, or give away a count a table hides), or one with nothing to compare.";

const OPT_IN_UNKNOWN: &str = "Opt-in rate: unknown. Telemetry cannot count the installations that did not opt in; give `--population N` (installations known from elsewhere, such as package downloads) to publish installations / N with its interval.";

/// How many shown event types have no sample, in words.
fn samples_missing(report: &Report) -> Option<String> {
    let n = report.samples.withheld_types;
    (n > 0).then(|| {
        let (has, them) = if n == 1 {
            ("has", "it")
        } else {
            ("have", "them")
        };
        format!(
            "{n} of the types the event-type table shows {has} no event whose values, one by one \
             and together, pass the threshold; none is shown for {them}."
        )
    })
}

/// A table's note on what it hides. Not how many cells, nor how many of
/// them are small: with the Other row's events, the count of complements
/// (each about at least k installations, so k events or more) bounds the
/// small cells' events, and at the bound gives them exactly (a review:
/// Other 6 events of 6 installations, "1 value … and 1 more": the small
/// value was 1 event of 1 installation).
fn hidden_words(t: &Table, k: u64) -> Option<String> {
    // A withheld table says only that: the words would tell a table with
    // hidden cells (some events) from one that had none (a review: the
    // wizard tables said so where the failure rates, with no events, did not).
    // Only a list table hides a value all but fewer than k installations
    // sent, and the failure rates with it; elsewhere such a row is shown,
    // its installations "–" (a review: the note was under Linux, shown,
    // sent by 30 of 33).
    // The failure rates show a tool only where its runs row is shown.
    let lists = matches!(
        t.name,
        "scan_tools" | "output_formats" | "tool_failure_rates"
    );
    t.hides_values.then(|| {
        let almost_all = if lists {
            format!(
                ", nor values all but fewer than {k} of the installations sent (those few \
                 would be told)"
            )
        } else {
            String::new()
        };
        // A reader who knows a profile's tools (see `tools_read_off_profiles`).
        let almost_all = if t.name == "scan_tools" {
            format!(
                "{almost_all}, nor tools whose scans read against the profiles that enable \
                 them would tell the scans of fewer than {k} installations"
            )
        } else {
            almost_all
        };
        format!(
            "Values behind fewer than {k} installations are not shown{almost_all}, nor some \
             others so that they cannot be worked out by subtraction; in a table that adds up, \
             they are summed as Other."
        )
    })
}

fn table_header(t: &Table, prev: &str) -> Vec<String> {
    let mut h = Vec::new();
    if t.grouped {
        h.push("group".to_string());
    }
    h.push("value".into());
    if t.rates {
        h.extend(["failures", "installations", "runs", "failure rate (95% CI)"].map(String::from));
    } else {
        h.extend(["events", "installations", "share (95% CI)"].map(String::from));
    }
    h.push(format!("{prev} (95% CI)"));
    h.push("change".into());
    h
}

/// A table's rows as cells, each with whether it is the report's own Other.
fn table_body(t: &Table) -> Vec<(bool, Vec<String>)> {
    t.rows
        .iter()
        .map(|r| {
            let mut c = Vec::new();
            if t.grouped {
                c.push(r.shown_group().unwrap_or_default().into_owned());
            }
            c.push(if r.other {
                super::OTHER_ROW.to_string()
            } else {
                r.shown_value().into_owned()
            });
            c.push(thousands(r.events));
            c.push(count(r.installations));
            if t.rates {
                c.push(count(r.runs));
            }
            c.push(share_cell(r.share, r.interval));
            c.push(share_cell(r.previous_share, r.previous_interval));
            c.push(r.change.words().to_string());
            (r.other, c)
        })
        .collect()
}

fn filters_words(report: &Report) -> Vec<String> {
    let f = &report.options.filters;
    let prev = report.options.quarter.prev();
    let mut out = vec![
        format!(
            "Period: calendar quarter {} ({}); the previous quarter {prev} for comparison.",
            report.options.quarter,
            period(report),
        ),
        match &report.options.previous {
            Some(p) => format!(
                "The {prev} column is taken from {prev}'s report as published (`--previous`): \
                 events of {prev} that arrived after that report was made do not change it.{}",
                match (p.population, report.options.population) {
                    (Some(then), Some(now)) if then != now => format!(
                        " Its opt-in rate is over the {} known installs that report gave.",
                        super::thousands(then)
                    ),
                    _ => String::new(),
                }
            ),
            None => format!(
                "The {prev} column is recomputed from this input: events of {prev} that arrived \
                 after {prev}'s own report was made are counted in it (`--previous` takes it \
                 from that report as published instead)."
            ),
        },
    ];
    match &f.version {
        Some(v) => out.push(format!(
            "Only JMo version {} and the versions that start with {} or {}.",
            super::code_span(v),
            super::code_span(&format!("{v}.")),
            super::code_span(&format!("{v}-"))
        )),
        None => out.push("All JMo versions.".into()),
    }
    out.push(if f.exclude_ci {
        "scan.started events that ran in CI/CD are left out (--exclude-ci).".into()
    } else {
        "CI/CD runs are included.".into()
    });
    if let Some(why) = f.splits_scans() {
        out.push(format!(
            "The completion rate and the tool failure rates are not computed: {why}."
        ));
    }
    out.push(if f.include_test {
        "Test events (`test`, `test.event`) are counted as usage (--include-test).".into()
    } else {
        "Test events (`test`, `test.event`) and the gist's `telemetry.initialized` marker are not usage and are not counted.".into()
    });
    out
}

fn methodology_privacy(report: &Report) -> Vec<String> {
    let k = report.options.min_installations;
    vec![
        format!("Every published cell counts events and distinct installations. A cell behind fewer than k = {k} installations is not shown (`--min-installations`); its events are folded into an \"Other\" row."),
        "Hidden cells must not be recoverable by subtraction from published totals (a table's rows add up to its total; in a table broken down by group, every group and every value add up). The report simulates a reader who knows every total and solves every row or column with a single unknown cell, repeatedly; while that reveals a small cell, or leaves a row's or column's unknown cells about fewer than k installations, another cell is hidden too (complementary suppression), and a table that cannot be protected is not published. \"Other\" rows are therefore always about at least k installations.".into(),
        "Totals are cells too: a table whose events come from fewer than k installations, or whose event type the event-type table hides, is withheld with its count of events; a key figure is shown only where the tables show it; and the groups a table by profile or by week leaves out are, together, about at least k installations (the smallest shown group joins them when they are not).".into(),
        "A reader may know which tools each profile enables: a tool is shown only where its scans less those of the profiles shown that always enable it (the scans of the profiles the table hides, or of others, that enabled it), and the scans of the profiles that enable it less its own (their scans without it), are each none or about at least k installations.".into(),
        "How many cells a table hides, or the report in all, and how many of them as complements, is not published: with a table's Other it would bound the small cells' events.".into(),
        format!(
            "Breakdowns are published only when the quarter has at least {} installations (`--min-quarter-installations`); below that, only totals.",
            report.options.quarter_threshold()
        ),
        format!(
            "Sample events are real events of the quarter, chosen only among events whose every value (version, platform, each metadata field, each list element), and whose whole combination of values, was sent by at least k installations, and with no field beyond the documented schema. They are written in one layout (the documented fields in order), so that no client's own spacing, field order or clock shows: the anonymous ID is replaced by `{PLACEHOLDER_ID}` and the timestamp is the start of its quarter (UTC). Only event types the event-type table shows have one."
        ),
        "Strings from events are untrusted: they are escaped in this document, and CSV cells that a spreadsheet would run as a formula are prefixed with `'`.".into(),
    ]
}

const STATISTICS: &[&str] = &[
    "Percentages are shares of events (not of installations), each with its 95% Wilson score interval.",
    "A change from the previous quarter is reported only when the two quarters' 95% intervals, as printed here (to 0.1 percentage point), do not overlap; otherwise the table says \"no clear change\". Non-overlap is a conservative test.",
    "The intervals treat events as independent; events of one installation are alike, so the true uncertainty is larger than shown for values driven by a few heavy users.",
    "Installations are distinct anonymous IDs: a user who reset the ID counts twice, and one ID may stand for a shared CI runner.",
];

/// `report.md`.
pub fn markdown(report: &Report) -> Vec<u8> {
    let q = report.options.quarter;
    let mut out = String::new();
    let _ = writeln!(out, "# JMo Security telemetry transparency report: {q}\n");
    let _ = writeln!(out, "- **Reporting period:** {}", period(report));
    if let Some(d) = &report.options.generated_on {
        let _ = writeln!(out, "- **Generated on:** {}", markdown_safe(d));
    }
    let _ = writeln!(
        out,
        "- **Input:** `{}`, SHA-256 `{}`",
        // In a code span, which shows its text as it is: only what is unsafe
        // escaped (the operator's path, not a client's value).
        text_safe(&report.ledger.source).replace('`', "'"),
        report.ledger.sha256
    );
    let _ = writeln!(
        out,
        "- **Privacy threshold:** cells behind fewer than {} installations are not shown",
        report.options.min_installations
    );
    if let Some(msg) = not_significant(report) {
        let _ = writeln!(out, "\n> **{}**", md_inline(&msg));
    }

    let _ = writeln!(out, "\n## Key figures\n");
    let header = [
        "figure".to_string(),
        q.to_string(),
        q.prev().to_string(),
        "change".into(),
    ];
    let body: Vec<Vec<String>> = report
        .figures
        .iter()
        .map(|f| {
            let [a, b, c] = figure_cells(f);
            vec![f.label.to_string(), a, b, c]
        })
        .collect();
    md_table(&mut out, &header, &body, 1);
    let _ = writeln!(out, "\n{DASH}");
    if opt_in_missing(report) {
        let _ = writeln!(out, "\n{OPT_IN_UNKNOWN}");
    }

    if report.significant {
        let _ = writeln!(out, "\n## Top insights\n");
        for s in &report.insights {
            let _ = writeln!(out, "- {}", md_inline(s));
        }
        let _ = writeln!(out, "\n## Charts\n");
        for c in charts(report) {
            let _ = writeln!(
                out,
                "![{}](charts/{}.svg)\n",
                markdown_safe(&c.title),
                c.name
            );
        }
        let _ = writeln!(out, "## Breakdowns");
        for t in &report.tables {
            let _ = writeln!(out, "\n### {}\n\n{} Unit: {}.", t.title, t.about, t.unit);
            if let Some(h) = hidden_words(t, report.options.min_installations) {
                let _ = writeln!(out, "{h}");
            }
            let _ = writeln!(out, "Data: [`data/{0}.csv`](data/{0}.csv)\n", t.name);
            if t.rows.is_empty() {
                let _ = writeln!(out, "_Nothing to publish._");
                continue;
            }
            let header = table_header(t, &q.prev().to_string());
            md_table_marked(
                &mut out,
                &header,
                &table_body(t),
                if t.grouped { 2 } else { 1 },
            );
        }
        let wd = &report.published[MetricId::WizardDuration as usize];
        let _ = writeln!(out, "\n### Time spent in the wizard\n");
        if wd.rows.is_empty() {
            let _ = writeln!(
                out,
                "_Not published: fewer than {} installations ran the wizard, the wizard's runs are not shown (the event-type table withholds them), or not every run carries its duration._",
                report.options.min_installations
            );
        } else {
            let body: Vec<Vec<String>> = wd
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.value.text().to_string(),
                        format!("{}", r.seconds.unwrap_or(0.0)),
                    ]
                })
                .collect();
            md_table(
                &mut out,
                &["statistic".into(), "seconds (rounded)".into()],
                &body,
                1,
            );
        }

        let _ = writeln!(out, "\n## Sample events\n");
        let _ = writeln!(
            out,
            "One real event of each type seen in the quarter, with its anonymous ID replaced and its time cut to the start of the quarter (see Methodology). Also in [`sample-events.json`](sample-events.json).\n"
        );
        for s in &report.samples.events {
            let text = s.line.get();
            let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
            let _ = writeln!(out, "{fence}json\n{text}\n{fence}\n");
        }
        if let Some(words) = samples_missing(report) {
            let _ = writeln!(out, "{words}");
        }
    }

    let _ = writeln!(out, "\n## Data quality\n");
    let body: Vec<Vec<String>> = ledger_rows(&report.ledger)
        .into_iter()
        .map(|(a, b)| vec![a.to_string(), b])
        .collect();
    md_table(&mut out, &["item".into(), "count".into()], &body, 1);

    let _ = writeln!(out, "\n## Methodology\n\n### What is collected\n");
    for (what, fields) in COLLECTED {
        let _ = writeln!(out, "- **{what}:** {}", markdown_safe(fields));
    }
    let _ = writeln!(out, "\n### What is never collected\n");
    for n in NEVER_COLLECTED {
        let _ = writeln!(out, "- {}", markdown_safe(n));
    }
    let _ = writeln!(out, "\n### Filters\n");
    for f in filters_words(report) {
        let _ = writeln!(out, "- {}", md_inline(&f));
    }
    let _ = writeln!(out, "\n### Privacy\n");
    for p in methodology_privacy(report) {
        let _ = writeln!(out, "- {}", md_inline(&p));
    }
    let _ = writeln!(out, "\n### Statistics\n");
    for p in STATISTICS {
        let _ = writeln!(out, "- {}", md_inline(p));
    }
    // A fence longer than any run of backticks in the command (a --version
    // may hold some), so the command pastes as it is (a review: its
    // backticks became quotes, another command).
    let command = command_line(report);
    let command = text_safe(&command);
    let fence = "`".repeat(longest_run(&command, '`') + 1);
    let pad = if command.starts_with('`') || command.ends_with('`') {
        " "
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "\nThis report is reproducible: the same input and flags give the same bytes \
         ({fence}{pad}{command}{pad}{fence})."
    );
    out.into_bytes()
}

/// The command that makes this report again: every flag that changes its
/// bytes and is not at its default (`--out` and `-q` do not).
fn command_line(report: &Report) -> String {
    let o = &report.options;
    let mut line = format!("jmo-analyze report FILE --quarter {}", o.quarter);
    if o.min_installations != super::DEFAULT_MIN_INSTALLATIONS {
        line += &format!(" --min-installations {}", o.min_installations);
    }
    if o.min_quarter_installations != super::DEFAULT_MIN_QUARTER_INSTALLATIONS {
        line += &format!(
            " --min-quarter-installations {}",
            o.min_quarter_installations
        );
    }
    if let Some(n) = o.population {
        line += &format!(" --population {n}");
    }
    if o.previous.is_some() {
        // Its path is the maintainer's, not published (as FILE's).
        line += " --previous DIR";
    }
    if let Some(d) = &o.generated_on {
        line += &format!(" --generated-on {d}");
    }
    if let Some(v) = &o.filters.version {
        // `=`: a value starting with `-` is not taken for a flag.
        line += &format!(" --version={}", shell_word(v));
    }
    if o.filters.exclude_ci {
        line += " --exclude-ci";
    }
    if o.filters.include_test {
        line += " --include-test";
    }
    line
}

/// Escapes the report's own sentences for Markdown, keeping the `code`
/// spans they put around values (which hold no backtick of a client's, and
/// are shown escaped already: see the report's `code_span`); a span's
/// content is shown literally, with its control characters escaped.
fn md_inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "`{}`", text_safe(part));
        } else {
            out.push_str(&markdown_text(part));
        }
    }
    out
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        if x == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A Markdown table whose first `text_columns` columns are left-aligned
/// (cells escaped by the shared escaper).
fn md_table(out: &mut String, header: &[String], body: &[Vec<String>], text_columns: usize) {
    let body: Vec<(bool, Vec<String>)> = body.iter().map(|r| (false, r.clone())).collect();
    md_table_marked(out, header, &body, text_columns);
}

/// [`md_table`] with the report's own Other rows marked: their label in
/// italics, which a client's value reading "Other (hidden values)" cannot
/// have (its `*` and `_` are escaped), so the two are told apart.
fn md_table_marked(
    out: &mut String,
    header: &[String],
    body: &[(bool, Vec<String>)],
    text_columns: usize,
) {
    let _ = writeln!(
        out,
        "| {} |",
        header
            .iter()
            .map(|h| markdown_safe(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let aligns: Vec<&str> = (0..header.len())
        .map(|i| if i < text_columns { "---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "| {} |", aligns.join(" | "));
    for (other, row) in body {
        let cells: Vec<String> = (row.iter().enumerate())
            .map(|(i, c)| match (*other, i + 1 == text_columns) {
                (true, true) => format!("*{}*", markdown_safe(c)),
                _ => markdown_safe(c),
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

fn ledger_rows(l: &Ledger) -> Vec<(&'static str, String)> {
    vec![
        ("Lines in the input", count(l.lines)),
        ("Blank lines", thousands(l.blank_lines)),
        (
            "Invalid lines (not JSON events; counted nowhere)",
            thousands(l.invalid_lines),
        ),
        ("Valid events", count(l.valid_events)),
        (
            "Test events (test, test.event), whole input",
            count(l.test_events),
        ),
        (
            "Marker events (telemetry.initialized), whole input",
            thousands(l.marker_events),
        ),
        ("Valid events outside the quarter", count(l.outside_quarter)),
        (
            "Events in the quarter left out by filters",
            count(l.filtered_out),
        ),
        ("Usage events counted", count(l.counted_usage_events)),
        (
            "… of which without an anonymous ID",
            count(l.events_without_id),
        ),
    ]
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.7rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{margin-top:1.6rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;vertical-align:top}
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.other td{color:#555;font-style:italic}
.note{background:#fff6d6;border-left:4px solid #e69f00;padding:.6rem .9rem}.muted{color:#555;font-size:.92rem}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto;display:block}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:.82rem}
code{background:#f2f2f2;padding:0 .2rem}";

/// `report.html`: one self-contained file. `drawn[i]` is `charts[i]`
/// drawn (its SVG drawn once for the page and the chart files).
pub fn html(report: &Report, charts: &[Chart], drawn: &[Drawn]) -> anyhow::Result<Vec<u8>> {
    let q = report.options.quarter;
    let e = html_escape;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n<title>JMo Security telemetry transparency report: {q}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<h1>JMo Security telemetry transparency report: {q}</h1>\n<ul>\n<li><strong>Reporting period:</strong> {}</li>\n",
        e(&period(report))
    );
    if let Some(d) = &report.options.generated_on {
        let _ = writeln!(out, "<li><strong>Generated on:</strong> {}</li>", e(d));
    }
    let _ = writeln!(
        out,
        "<li><strong>Input:</strong> <code>{}</code>, SHA-256 <code>{}</code></li>\n<li><strong>Privacy threshold:</strong> cells behind fewer than {} installations are not shown</li>\n</ul>",
        html_text(&report.ledger.source),
        e(&report.ledger.sha256),
        report.options.min_installations
    );
    if let Some(msg) = not_significant(report) {
        // Its code spans (a --version) as the insights' (a review: the
        // HTML showed the backticks).
        let _ = writeln!(
            out,
            "<p class=\"note\"><strong>{}</strong></p>",
            html_inline(&msg)
        );
    }
    let _ = writeln!(out, "<h2 id=\"key-figures\">Key figures</h2>");
    let header = [
        "figure".to_string(),
        q.to_string(),
        q.prev().to_string(),
        "change".into(),
    ];
    let body: Vec<(bool, Vec<String>)> = report
        .figures
        .iter()
        .map(|f| {
            let [a, b, c] = figure_cells(f);
            (false, vec![f.label.to_string(), a, b, c])
        })
        .collect();
    html_table(&mut out, &header, &body, 1);
    let _ = writeln!(out, "<p class=\"muted\">{}</p>", html_escape(DASH));
    if opt_in_missing(report) {
        let _ = writeln!(
            out,
            "<p class=\"muted\">{}</p>",
            html_inline(OPT_IN_UNKNOWN)
        );
    }
    if report.significant {
        let _ = writeln!(out, "<h2 id=\"insights\">Top insights</h2>\n<ul>");
        for s in &report.insights {
            let _ = writeln!(out, "<li>{}</li>", html_inline(s));
        }
        let _ = writeln!(out, "</ul>\n<h2 id=\"charts\">Charts</h2>");
        for (c, d) in charts.iter().zip(drawn) {
            let svg = d.svg.replacen(
                "<svg ",
                &format!("<svg role=\"img\" aria-label=\"{}\" ", e(&c.title)),
                1,
            );
            let _ = writeln!(out, "<figure id=\"chart-{}\">\n{svg}</figure>", c.name);
        }
        let _ = writeln!(out, "<h2 id=\"breakdowns\">Breakdowns</h2>");
        for t in &report.tables {
            let _ = writeln!(
                out,
                "<h3 id=\"{}\">{}</h3>\n<p>{} Unit: {}.",
                t.name,
                e(t.title),
                e(&t.about),
                e(t.unit)
            );
            if let Some(h) = hidden_words(t, report.options.min_installations) {
                let _ = write!(out, " {}", e(&h));
            }
            let _ = writeln!(out, " Data: <code>data/{}.csv</code>.</p>", t.name);
            if t.rows.is_empty() {
                let _ = writeln!(out, "<p class=\"muted\">Nothing to publish.</p>");
                continue;
            }
            let header = table_header(t, &q.prev().to_string());
            html_table(
                &mut out,
                &header,
                &table_body(t),
                if t.grouped { 2 } else { 1 },
            );
        }
        let wd = &report.published[MetricId::WizardDuration as usize];
        let _ = writeln!(
            out,
            "<h3 id=\"wizard-duration\">Time spent in the wizard</h3>"
        );
        if wd.rows.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"muted\">Not published: fewer than {} installations ran the wizard, the wizard's runs are not shown (the event-type table withholds them), or not every run carries its duration.</p>",
                report.options.min_installations
            );
        } else {
            let body: Vec<(bool, Vec<String>)> = wd
                .rows
                .iter()
                .map(|r| {
                    (
                        false,
                        vec![
                            r.value.text().to_string(),
                            format!("{}", r.seconds.unwrap_or(0.0)),
                        ],
                    )
                })
                .collect();
            html_table(
                &mut out,
                &["statistic".into(), "seconds (rounded)".into()],
                &body,
                1,
            );
        }
        let _ = writeln!(
            out,
            "<h2 id=\"samples\">Sample events</h2>\n<p>One real event of each type seen in the quarter, with its anonymous ID replaced and its time cut to the start of the quarter (see Methodology). Also in <code>sample-events.json</code>.</p>"
        );
        for s in &report.samples.events {
            // JSON text already (its unsafe characters written `\uXXXX`):
            // shown as it is, not as a value (a doubled backslash would
            // change the JSON).
            let _ = writeln!(out, "<pre>{}</pre>", html_text(s.line.get()));
        }
        if let Some(words) = samples_missing(report) {
            let _ = writeln!(out, "<p class=\"muted\">{}</p>", html_escape(&words));
        }
    }
    let _ = writeln!(out, "<h2 id=\"data-quality\">Data quality</h2>");
    let body: Vec<(bool, Vec<String>)> = ledger_rows(&report.ledger)
        .into_iter()
        .map(|(a, b)| (false, vec![a.to_string(), b]))
        .collect();
    html_table(&mut out, &["item".into(), "count".into()], &body, 1);
    let _ = writeln!(
        out,
        "<h2 id=\"methodology\">Methodology</h2>\n<h3>What is collected</h3>\n<ul>"
    );
    for (what, fields) in COLLECTED {
        let _ = writeln!(out, "<li><strong>{}:</strong> {}</li>", e(what), e(fields));
    }
    let _ = writeln!(out, "</ul>\n<h3>What is never collected</h3>\n<ul>");
    for n in NEVER_COLLECTED {
        let _ = writeln!(out, "<li>{}</li>", e(n));
    }
    let _ = writeln!(out, "</ul>\n<h3>Filters</h3>\n<ul>");
    for f in filters_words(report) {
        let _ = writeln!(out, "<li>{}</li>", html_inline(&f));
    }
    let _ = writeln!(out, "</ul>\n<h3>Privacy</h3>\n<ul>");
    for p in methodology_privacy(report) {
        let _ = writeln!(out, "<li>{}</li>", html_inline(&p));
    }
    let _ = writeln!(out, "</ul>\n<h3>Statistics</h3>\n<ul>");
    for p in STATISTICS {
        let _ = writeln!(out, "<li>{}</li>", html_inline(p));
    }
    let _ = writeln!(
        out,
        "</ul>\n<p class=\"muted\">This report is reproducible: the same input and flags give the same bytes (<code>{}</code>).</p>\n</body>\n</html>",
        html_text(&command_line(report))
    );
    Ok(out.into_bytes())
}

/// Escapes the report's own sentences for HTML, turning their `code` spans
/// into `<code>` (values in them are shown escaped already: see the
/// report's `code_span`).
fn html_inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", html_text(part));
        } else {
            out.push_str(&html_text(part));
        }
    }
    out
}

fn html_table(
    out: &mut String,
    header: &[String],
    body: &[(bool, Vec<String>)],
    text_columns: usize,
) {
    out.push_str("<table>\n<thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", html_escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (other, row) in body {
        out.push_str(if *other {
            "<tr class=\"other\">"
        } else {
            "<tr>"
        });
        for (i, c) in row.iter().enumerate() {
            if i < text_columns {
                let _ = write!(out, "<td>{}</td>", html_escape(c));
            } else {
                let _ = write!(out, "<td class=\"n\">{}</td>", html_escape(c));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn num(v: Option<f64>) -> String {
    // Rounded as the JSON rounds it, so the two files give one number.
    v.map_or(String::new(), |v| {
        format!("{:.6}", crate::metrics::finalize::round6(v))
    })
}

/// A cell as [`csv_safe`] guards it, its text as [`terminal_safe`] shows
/// it, but a plain decimal number as it is: a spreadsheet reads
/// `-0.866667` as the number it is, while the guard made a fall of a count
/// text (a review: `'-0.866667`).
fn guarded(cell: &str) -> std::borrow::Cow<'_, str> {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let plain = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        std::borrow::Cow::Borrowed(cell)
    } else {
        // Shown as the report's Markdown and HTML show it (`\u{1b}`, a
        // backslash doubled): a published file that a reader `cat`s must
        // not drive their terminal, nor reorder its text (a review).
        std::borrow::Cow::Owned(csv_safe(&terminal_safe(cell)).into_owned())
    }
}

fn csv_bytes(rows: Vec<Vec<String>>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for (i, r) in rows.into_iter().enumerate() {
        if i == 0 {
            w.write_record(&r)?;
        } else {
            w.write_record(r.iter().map(|c| guarded(c).into_owned()))?;
        }
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("writing CSV: {e}"))
}

/// `data/<table>.csv`, one per table (untrusted cells guarded).
pub fn csv_tables(report: &Report) -> anyhow::Result<Vec<File>> {
    let mut files = Vec::new();
    let mut key = vec![
        [
            "key",
            "label",
            "value",
            "previous",
            "rate",
            "rate_low",
            "rate_high",
            "previous_rate",
            "previous_low",
            "previous_high",
            "change",
            "count_change",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for f in &report.figures {
        key.push(vec![
            f.key.into(),
            f.label.into(),
            f.value.map_or(String::new(), |v| v.to_string()),
            f.previous.map_or(String::new(), |v| v.to_string()),
            num(f.rate),
            num(f.interval.map(|i| i.low)),
            num(f.interval.map(|i| i.high)),
            num(f.previous_rate),
            num(f.previous_interval.map(|i| i.low)),
            num(f.previous_interval.map(|i| i.high)),
            f.change.map_or(String::new(), |c| c.key().to_string()),
            num(f.count_change),
        ]);
    }
    files.push(("data/key_figures.csv".to_string(), csv_bytes(key)?));
    let mut ledger = vec![vec!["item".to_string(), "count".to_string()]];
    let l = &report.ledger;
    for (k, v) in [
        ("lines", l.lines),
        ("blank_lines", Some(l.blank_lines)),
        ("invalid_lines", Some(l.invalid_lines)),
        ("valid_events", l.valid_events),
        ("test_events", l.test_events),
        ("marker_events", Some(l.marker_events)),
        ("outside_quarter", l.outside_quarter),
        ("filtered_out", l.filtered_out),
        ("counted_usage_events", l.counted_usage_events),
        ("events_without_id", l.events_without_id),
    ] {
        ledger.push(vec![
            k.to_string(),
            v.map_or(String::new(), |v| v.to_string()),
        ]);
    }
    files.push(("data/data_quality.csv".to_string(), csv_bytes(ledger)?));
    if !report.significant {
        return Ok(files);
    }
    let mut weeks = vec![
        ["week", "events", "installations", "hidden", "days"]
            .map(String::from)
            .to_vec(),
    ];
    for (w, v) in &report.weeks {
        let days = super::days_in_quarter(report.options.quarter, w).to_string();
        weeks.push(match v {
            Some((e, i)) => vec![
                w.clone(),
                e.to_string(),
                i.to_string(),
                "false".into(),
                days,
            ],
            None => vec![w.clone(), String::new(), String::new(), "true".into(), days],
        });
    }
    files.push(("data/activity_by_week.csv".to_string(), csv_bytes(weeks)?));
    for t in &report.tables {
        let mut rows = Vec::new();
        let mut h: Vec<String> = Vec::new();
        if t.grouped {
            h.push("group".into());
        }
        h.extend(["value", "other", "events", "installations"].map(String::from));
        if t.rates {
            h.push("runs".into());
        }
        h.extend(
            [
                "share",
                "share_low",
                "share_high",
                "previous_share",
                "previous_low",
                "previous_high",
                "change",
            ]
            .map(String::from),
        );
        rows.push(h);
        for r in &t.rows {
            let mut c = Vec::new();
            if t.grouped {
                c.push(r.shown_group().unwrap_or_default().into_owned());
            }
            c.push(if r.other {
                super::OTHER.to_string()
            } else {
                r.shown_value().into_owned()
            });
            c.push(r.other.to_string());
            c.push(r.events.to_string());
            c.push(r.installations.map_or(String::new(), |n| n.to_string()));
            if t.rates {
                c.push(r.runs.map_or(String::new(), |n| n.to_string()));
            }
            c.push(num(r.share));
            c.push(num(r.interval.map(|i| i.low)));
            c.push(num(r.interval.map(|i| i.high)));
            c.push(num(r.previous_share));
            c.push(num(r.previous_interval.map(|i| i.low)));
            c.push(num(r.previous_interval.map(|i| i.high)));
            c.push(r.change.key().to_string());
            rows.push(c);
        }
        files.push((format!("data/{}.csv", t.name), csv_bytes(rows)?));
    }
    let wd = &report.published[MetricId::WizardDuration as usize];
    let mut rows = vec![
        ["statistic", "seconds", "installations"]
            .map(String::from)
            .to_vec(),
    ];
    for r in &wd.rows {
        rows.push(vec![
            r.value.text().to_string(),
            num(r.seconds),
            r.installations.map_or(String::new(), |n| n.to_string()),
        ]);
    }
    files.push(("data/wizard_duration.csv".to_string(), csv_bytes(rows)?));
    Ok(files)
}

#[derive(Serialize)]
struct Period {
    start: String,
    end: String,
}

#[derive(Serialize)]
struct Privacy {
    min_installations: u64,
    min_quarter_installations: u64,
}

#[derive(Serialize)]
struct WeekRow<'a> {
    week: &'a str,
    events: Option<u64>,
    installations: Option<u64>,
    /// The week's days in the quarter: fewer than 7 at its ends.
    days: u64,
}

#[derive(Serialize)]
struct SamplesRef {
    file: &'static str,
    events: usize,
    withheld_types: usize,
}

#[derive(Serialize)]
struct Section<'a> {
    schema: &'static str,
    quarter: String,
    previous_quarter: String,
    period: Period,
    generated_on: Option<&'a str>,
    significant: bool,
    previous_has_data: bool,
    previous_column: &'static str,
    population: Option<u64>,
    privacy: Privacy,
    ledger: &'a Ledger,
    figures: &'a [Figure],
    insights: &'a [String],
    activity_by_week: Vec<WeekRow<'a>>,
    tables: &'a [Table],
    samples: SamplesRef,
}

#[derive(Serialize)]
struct WithReport<'a> {
    #[serde(flatten)]
    summary: PublicSummary<'a>,
    report: Section<'a>,
}

/// The published summary in the summary schema: the key figures' totals
/// (`null` where withheld), no denominator of a withheld metric (nor any
/// when the quarter is not significant), and no first and last event
/// times (each is one installation's event).
struct PublicSummary<'a> {
    summary: &'a Summary,
    report: &'a Report,
}

/// [`InputReport`] as published: the events the filters dropped (the events
/// outside the quarter and those the other filters left out) only where
/// the ledger shows both (the file's events less them would give the
/// quarter's), and the whole file's counts (its size, lines and events)
/// only where the ledger shows the events outside the quarter.
#[derive(Serialize)]
struct PublicInput<'a> {
    source: &'a str,
    sha256: &'a str,
    bytes: Option<u64>,
    lines: Option<u64>,
    blank_lines: u64,
    invalid_lines: u64,
    valid_events: Option<u64>,
    usage_events: Option<u64>,
    test_events: Option<u64>,
    marker_events: u64,
    filtered_out: Option<u64>,
    problems: &'a [crate::event::Problem],
}

/// [`crate::metrics::Totals`] as published.
#[derive(Serialize)]
struct PublicTotals {
    usage_events: Option<u64>,
    unique_ids: Option<u64>,
    scans_started: Option<u64>,
    scans_completed: Option<u64>,
}

impl Serialize for PublicSummary<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let figure = |key: &str| {
            (self.report.figures.iter())
                .find(|f| f.key == key)
                .and_then(|f| f.value)
        };
        let totals = PublicTotals {
            usage_events: figure("usage_events"),
            unique_ids: figure("installations"),
            scans_started: figure("scans_started"),
            scans_completed: figure("scans_completed"),
        };
        let period = crate::metrics::Period {
            first: None,
            last: None,
            ..self.summary.period.clone()
        };
        let i = &self.summary.input;
        let l = &self.report.ledger;
        let input = PublicInput {
            source: &i.source,
            sha256: &i.sha256,
            // The whole file's counts, with the ledger's (its size tells
            // about how many events it holds).
            bytes: l.lines.map(|_| i.bytes),
            lines: l.lines,
            blank_lines: i.blank_lines,
            invalid_lines: i.invalid_lines,
            valid_events: l.valid_events,
            usage_events: l.valid_events.map(|_| i.usage_events),
            test_events: l.test_events,
            marker_events: i.marker_events,
            filtered_out: l
                .outside_quarter
                .and(l.filtered_out)
                .map(|_| i.filtered_out),
            problems: &i.problems,
        };
        let published = &self.report.published;
        let significant = self.report.significant;
        self.summary.serialize_as(s, &input, &period, &totals, |m| {
            (significant && !published[m.id as usize].withheld).then_some(m.denominator)
        })
    }
}

/// The summary as published: only the rows the privacy rules allow (none
/// when the quarter is not significant), the input's name without its
/// directory, and no invalid-line reasons (they quote event text).
pub fn public_summary(report: &Report) -> Summary {
    let metrics = report.published.iter().map(|p| MetricRows {
        id: p.id,
        denominator: p.denominator,
        rows: if report.significant {
            p.rows.clone()
        } else {
            Vec::new()
        },
    });
    published_view(report, metrics.collect())
}

/// `summary.json`: the summary schema plus a `report` section.
pub fn summary_json(report: &Report) -> anyhow::Result<Vec<u8>> {
    let summary = public_summary(report);
    let (start, end) = quarter_bounds(report.options.quarter);
    let section = Section {
        schema: REPORT_SCHEMA,
        quarter: report.options.quarter.to_string(),
        previous_quarter: report.options.quarter.prev().to_string(),
        period: Period { start, end },
        generated_on: report.options.generated_on.as_deref(),
        significant: report.significant,
        previous_has_data: report.previous_has_data,
        previous_column: match report.options.previous {
            Some(_) => "published",
            None => "recomputed",
        },
        population: report.options.population,
        privacy: Privacy {
            min_installations: report.options.min_installations,
            // The threshold applied, as the methodology says it (a review:
            // `--min-quarter-installations 3` at k = 5 published 3 here).
            min_quarter_installations: report.options.quarter_threshold(),
        },
        ledger: &report.ledger,
        figures: &report.figures,
        insights: &report.insights,
        activity_by_week: if report.significant {
            report
                .weeks
                .iter()
                .map(|(w, v)| WeekRow {
                    week: w,
                    events: v.map(|v| v.0),
                    installations: v.map(|v| v.1),
                    days: super::days_in_quarter(report.options.quarter, w),
                })
                .collect()
        } else {
            Vec::new()
        },
        tables: &report.tables,
        samples: SamplesRef {
            file: "sample-events.json",
            events: report.samples.events.len(),
            withheld_types: report.samples.withheld_types,
        },
    };
    Ok(json_bytes(&WithReport {
        summary: PublicSummary {
            summary: &summary,
            report,
        },
        report: section,
    })?)
}

#[derive(Serialize)]
struct SamplesFile<'a> {
    schema: &'static str,
    quarter: String,
    note: &'static str,
    anonymous_id_replaced_with: &'static str,
    min_installations: u64,
    withheld_types: usize,
    events: Vec<&'a serde_json::value::RawValue>,
}

/// `sample-events.json`.
pub fn samples_json(report: &Report) -> anyhow::Result<Vec<u8>> {
    let file = SamplesFile {
        schema: "jmo-analyze.sample-events/1",
        quarter: report.options.quarter.to_string(),
        note: "One real event of each type seen in the quarter, re-written in one layout, anonymous_id replaced and timestamp cut to the start of its quarter (UTC); only for event types the event-type table shows; chosen only among events whose every value, and whose whole combination of values, was sent by at least min_installations installations.",
        anonymous_id_replaced_with: PLACEHOLDER_ID,
        min_installations: report.options.min_installations,
        withheld_types: report.samples.withheld_types,
        events: report
            .samples
            .events
            .iter()
            .map(|s| s.line.as_ref())
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&file)?;
    out.push(b'\n');
    Ok(out)
}

/// Every file of the report directory, in a fixed order.
pub fn files(report: &Report) -> anyhow::Result<Vec<File>> {
    let charts = charts(report);
    let drawn = draw_all(&charts)?;
    let mut out = vec![
        ("report.md".to_string(), markdown(report)),
        ("report.html".to_string(), html(report, &charts, &drawn)?),
        ("summary.json".to_string(), summary_json(report)?),
        ("sample-events.json".to_string(), samples_json(report)?),
    ];
    out.extend(csv_tables(report)?);
    for c in drawn {
        out.push((format!("charts/{}.svg", c.name), c.svg.into_bytes()));
        out.push((format!("charts/{}.png", c.name), c.png));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CSV cell gives the number the JSON gives: 1/128 is 0.0078125, a
    /// tie the JSON rounds up and `{:.6}` alone rounded to 0.007812.
    #[test]
    fn csv_numbers_round_as_the_json_does() {
        let json = serde_json::to_string(&crate::report::TableRow {
            group: None,
            value: "x".into(),
            missing: false,
            group_missing: false,
            other: false,
            events: 1,
            installations: None,
            runs: None,
            share: Some(1.0 / 128.0),
            interval: None,
            previous_share: None,
            previous_interval: None,
            change: Change::NotComparable,
        })
        .unwrap();
        assert!(json.contains(r#""share":0.007813"#), "{json}");
        assert_eq!(num(Some(1.0 / 128.0)), "0.007813");
        assert_eq!(num(Some(-1.0 / 128.0)), "-0.007813");
    }

    /// A plain number, a fall of a count among them, is no formula; any
    /// other cell a spreadsheet would evaluate is guarded as in `summary`.
    #[test]
    fn the_data_files_guard_formulas_but_not_plain_numbers() {
        for plain in ["-0.866667", "0.303030", "12", "-3"] {
            assert_eq!(guarded(plain), plain);
        }
        for formula in [
            "-1+2", "=1", "-", "--1", "-1.2.3", "+1", "@x", "-.5", "-1e5",
        ] {
            assert_eq!(guarded(formula), format!("'{formula}"), "{formula}");
        }
    }
}
