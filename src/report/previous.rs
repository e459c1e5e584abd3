//! `report --previous`: the previous quarter's column as that quarter's own
//! report published it.
//!
//! Without it, the previous column is recomputed from the input, and events
//! of the previous quarter that arrived after its report was made change it:
//! a reader holding both releases subtracts one from the other and reads the
//! late events, however few installations sent them. With it, the column is
//! read from the previous report's `summary.json`: its counts, by the same
//! functions that compute a recomputed column's shares, intervals and
//! changes, so that a file without late events (and the `--population` that
//! report was made with) gives the same report either way.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::privacy::PublishedMetric;
use super::{REPORT_SCHEMA, ReportOptions, TABLES};
use crate::metrics::{MetricId, Row, Value};
use crate::render::chart::OTHER;

/// The previous quarter's report, as published.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The `summary.json` read, as given (for messages; never published).
    pub file: PathBuf,
    /// Its breakdowns were published (its tables are compared).
    pub significant: bool,
    /// Its `--population`.
    pub population: Option<u64>,
    /// Its key figures' values, by key.
    figures: FxHashMap<String, Option<u64>>,
    /// Its tables as published, by metric.
    tables: FxHashMap<MetricId, PublishedMetric>,
}

impl Published {
    /// The published value of the key figure `key` (`None`: withheld, or
    /// not in the report).
    pub fn figure(&self, key: &str) -> Option<u64> {
        self.figures.get(key).copied().flatten()
    }

    /// The published table of `id`.
    pub fn table(&self, id: MetricId) -> Option<&PublishedMetric> {
        self.tables.get(&id)
    }
}

#[derive(Deserialize)]
struct File {
    schema: Option<String>,
    period: Option<FilePeriod>,
    report: Option<Section>,
}

#[derive(Deserialize)]
struct FilePeriod {
    filters: FileFilters,
}

#[derive(Deserialize)]
struct FileFilters {
    version: Option<String>,
    exclude_ci: bool,
    include_test: bool,
}

#[derive(Deserialize)]
struct Section {
    schema: String,
    quarter: String,
    significant: bool,
    population: Option<u64>,
    privacy: FilePrivacy,
    figures: Vec<FileFigure>,
    tables: Vec<FileTable>,
}

#[derive(Deserialize)]
struct FilePrivacy {
    min_installations: u64,
    min_quarter_installations: u64,
}

#[derive(Deserialize)]
struct FileFigure {
    key: String,
    value: Option<u64>,
}

#[derive(Deserialize)]
struct FileTable {
    name: String,
    denominator: Option<u64>,
    withheld: bool,
    /// Absent from reports made before it was published: such a table is
    /// taken to hide values (no value is compared with none then).
    hides_values: Option<bool>,
    rows: Vec<FileRow>,
}

#[derive(Deserialize)]
struct FileRow {
    group: Option<String>,
    value: String,
    /// Absent from older reports: there a text `null` is the missing value.
    missing: Option<bool>,
    #[serde(default)]
    group_missing: bool,
    other: bool,
    events: u64,
    installations: Option<u64>,
    runs: Option<u64>,
}

/// Reads the previous quarter's report at `path` (its directory, or its
/// `summary.json`) and checks that it is the report of the quarter before
/// `options.quarter`, made with the same filters and privacy settings. The
/// error says what is wrong and what to give.
pub fn load(path: &Path, options: &ReportOptions) -> Result<Published, String> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_path_buf()
    };
    let shown = crate::source::local::shown(&file);
    let prev = options.quarter.prev();
    let give = format!(
        "give the directory of the {prev} report made with this report's filters and \
         thresholds (or its summary.json), as `jmo-analyze report --quarter {prev}` wrote it, \
         or leave --previous out to recompute that column from the input"
    );
    if path == Path::new("-") {
        return Err(format!(
            "--previous -: stdin is the input's alone here; {give}"
        ));
    }
    // A FIFO or a device would be read forever or be no report.
    match std::fs::metadata(&file) {
        Ok(m) if m.is_file() && m.len() > MAX_BYTES => {
            return Err(format!(
                "--previous {shown}: {} bytes, more than any report's summary.json ({} MiB at \
                 most here); {give}",
                m.len(),
                MAX_BYTES >> 20
            ));
        }
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(format!("--previous {shown} is not a file; {give}")),
        Err(e) if path.is_dir() && e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "--previous {}: no summary.json in this directory; {give}",
                crate::source::local::shown(path)
            ));
        }
        Err(e) => return Err(format!("--previous {shown}: {e}; {give}")),
    }
    let bytes = std::fs::read(&file).map_err(|e| format!("--previous {shown}: {e}; {give}"))?;
    parse(&bytes, &file, options).map_err(|why| format!("--previous {shown}: {why}; {give}"))
}

/// The largest `summary.json` read: a report's tables show values of at
/// least k installations each, a few hundred rows (the example report's is
/// 60 kB).
const MAX_BYTES: u64 = 64 << 20;

/// [`load`] of the bytes read; the error says what is wrong only.
pub fn parse(bytes: &[u8], file: &Path, options: &ReportOptions) -> Result<Published, String> {
    let parsed: File =
        serde_json::from_slice(bytes).map_err(|e| format!("not a report's summary.json ({e})"))?;
    let (Some(crate::metrics::SCHEMA), Some(section)) = (parsed.schema.as_deref(), parsed.report)
    else {
        return Err(format!(
            "not a report's summary.json (no `report` section of schema {REPORT_SCHEMA})"
        ));
    };
    if section.schema != REPORT_SCHEMA {
        return Err(format!(
            "its report section is of schema `{}`, which this version does not read (it reads \
             {REPORT_SCHEMA})",
            crate::render::text::terminal_safe(&section.schema)
        ));
    }
    let prev = options.quarter.prev();
    if section.quarter != prev.to_string() {
        return Err(format!(
            "it is the report of {}, not of {prev}, the quarter before {}",
            crate::render::text::terminal_safe(&section.quarter),
            options.quarter
        ));
    }
    // Its column was published under its own rules: the same filters and
    // thresholds, or the two columns count different things.
    let Some(f) = parsed.period.map(|p| p.filters) else {
        return Err("not a report's summary.json (no `period`)".to_owned());
    };
    let o = &options.filters;
    let flags = |version: &Option<String>, exclude_ci: bool, include_test: bool| {
        let mut out: Vec<String> = (version.iter())
            .map(|v| format!("--version={}", crate::render::text::terminal_safe(v)))
            .collect();
        out.extend(exclude_ci.then(|| "--exclude-ci".to_owned()));
        out.extend(include_test.then(|| "--include-test".to_owned()));
        if out.is_empty() {
            "no filter".to_owned()
        } else {
            out.join(" ")
        }
    };
    if (&f.version, f.exclude_ci, f.include_test) != (&o.version, o.exclude_ci, o.include_test) {
        return Err(format!(
            "it was made with other filters ({}; this report: {})",
            flags(&f.version, f.exclude_ci, f.include_test),
            flags(&o.version, o.exclude_ci, o.include_test),
        ));
    }
    let p = &section.privacy;
    if p.min_installations != options.min_installations
        || p.min_quarter_installations != options.quarter_threshold()
    {
        return Err(format!(
            "it was made with --min-installations {} and --min-quarter-installations {} (this \
             report: {} and {})",
            p.min_installations,
            p.min_quarter_installations,
            options.min_installations,
            options.quarter_threshold()
        ));
    }
    // A report publishes every table when significant, none else.
    let names: Vec<&str> = section.tables.iter().map(|t| t.name.as_str()).collect();
    let all = TABLES.iter().all(|(name, ..)| names.contains(name));
    match (section.significant, names.is_empty()) {
        (true, _) if !all => {
            return Err(
                "some of its tables are missing (it says its breakdowns were published)".into(),
            );
        }
        (false, false) => {
            return Err("it has tables, yet says its breakdowns were not published".into());
        }
        _ => {}
    }
    let mut figures = FxHashMap::default();
    for f in section.figures {
        if figures.insert(f.key, f.value).is_some() {
            return Err("it gives a key figure twice".to_owned());
        }
    }
    let mut tables = FxHashMap::default();
    for t in section.tables {
        let Some(&(_, id, ..)) = TABLES.iter().find(|(name, ..)| *name == t.name) else {
            return Err(format!(
                "it has a table `{}` this version does not know",
                crate::render::text::terminal_safe(&t.name)
            ));
        };
        if let Some(why) = inconsistent(id, &t) {
            return Err(format!("its table `{}` {why}", t.name));
        }
        if tables.insert(id, metric(id, t)).is_some() {
            return Err("it has a table twice".to_owned());
        }
    }
    Ok(Published {
        file: file.to_path_buf(),
        significant: section.significant,
        population: section.population,
        figures,
        tables,
    })
}

/// What makes `t` no table a report writes: counts past what its
/// denominator allows, rows of a withheld table, a row given twice.
fn inconsistent(id: MetricId, t: &FileTable) -> Option<&'static str> {
    use super::privacy::{Shape, shape};
    // Its rows are summed (a group's events).
    let sum = (t.rows.iter()).try_fold(0u64, |sum, r| sum.checked_add(r.events));
    let Some(sum) = sum else {
        return Some("counts more events than a report can hold");
    };
    let denominator = t.denominator.unwrap_or(0);
    match shape(id) {
        // Failures over runs, each row its own.
        Shape::Derived => {}
        // One event can count in several rows: each at most all.
        Shape::Overlapping if t.rows.iter().any(|r| r.events > denominator) => {
            return Some("has a row of more events than its denominator");
        }
        Shape::Overlapping => {}
        _ if sum > denominator => return Some("has more events in its rows than its denominator"),
        _ => {}
    }
    if t.withheld && !t.rows.is_empty() {
        return Some("is withheld, yet has rows");
    }
    // (An older report's `null` may be a client's text or the missing
    // value: two rows may read alike there.)
    let mut seen = rustc_hash::FxHashSet::default();
    let twice = (t.rows.iter())
        .filter(|r| r.missing.is_some())
        .any(|r| !seen.insert((&r.group, r.group_missing, &r.value, r.missing, r.other)));
    twice.then_some("has a row twice")
}

/// A table as the [`PublishedMetric`] it was made from: its rows, its
/// Other rows, its denominator, whether it hid values. A row of no event
/// (a value of the quarter before it, shown at 0) was no row of the metric.
fn metric(id: MetricId, t: FileTable) -> PublishedMetric {
    let rates = id == MetricId::ToolFailureRates;
    // Only these metrics count JSON booleans; every other value is text.
    let booleans = id.counts_booleans();
    let typed = |text: String, missing: bool| match text.as_str() {
        _ if missing => Value::Null,
        "true" if booleans => Value::Bool(true),
        "false" if booleans => Value::Bool(false),
        _ => Value::Str(text),
    };
    let (mut rows, mut others) = (Vec::new(), Vec::new());
    for r in t.rows {
        if r.events == 0 && !rates && !r.other {
            continue;
        }
        let missing = r.missing.unwrap_or(r.value == "null");
        let group_missing = match r.missing {
            Some(_) => r.group_missing,
            None => r.group.as_deref() == Some("null"),
        };
        let mut row = Row::new(
            if r.other {
                Value::Str(OTHER.into())
            } else {
                typed(r.value, missing)
            },
            r.events,
        );
        row.group = r.group.map(|g| typed(g, group_missing));
        row.installations = r.installations;
        row.runs = r.runs;
        row.other = r.other;
        if r.other {
            others.push(row);
        } else {
            rows.push(row);
        }
    }
    PublishedMetric {
        id,
        denominator: t.denominator.unwrap_or(0),
        rows,
        others,
        hidden_small: usize::from(t.hides_values.unwrap_or(true)),
        hidden_complementary: 0,
        withheld: t.withheld,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Filters;

    fn options() -> ReportOptions {
        ReportOptions {
            quarter: "2026-Q2".parse().unwrap(),
            filters: Filters::default(),
            min_installations: 5,
            min_quarter_installations: 20,
            population: None,
            generated_on: None,
            source_name: "events.jsonl".into(),
            previous: None,
        }
    }

    /// A report's summary.json of 2026-Q1 holding `tables`, and every
    /// other table withheld.
    fn file(tables: serde_json::Value) -> Vec<u8> {
        let mut tables = tables.as_array().unwrap().clone();
        for (name, ..) in TABLES {
            if !tables.iter().any(|t| t["name"] == *name) {
                tables.push(serde_json::json!({"name": name, "denominator": null,
                    "withheld": true, "hides_values": false, "rows": []}));
            }
        }
        exactly(tables.into())
    }

    /// A report's summary.json of 2026-Q1 holding `tables` only.
    fn exactly(tables: serde_json::Value) -> Vec<u8> {
        serde_json::json!({
            "schema": crate::metrics::SCHEMA,
            "period": {"filters": {"version": null, "exclude_ci": false, "include_test": false}},
            "report": {
                "schema": REPORT_SCHEMA,
                "quarter": "2026-Q1",
                "significant": true,
                "population": null,
                "privacy": {"min_installations": 5, "min_quarter_installations": 20},
                "figures": [{"key": "installations", "value": 40}, {"key": "new_installations", "value": null}],
                "tables": tables,
            }
        })
        .to_string()
        .into_bytes()
    }

    /// Why the report of `tables` (every other one withheld) is refused.
    fn refused(tables: serde_json::Value) -> String {
        parse(&file(tables), Path::new("s"), &options()).unwrap_err()
    }

    /// The report of `tables` is read.
    fn read(tables: serde_json::Value) -> bool {
        parse(&file(tables), Path::new("s"), &options()).is_ok()
    }

    fn row(value: &str, events: u64) -> serde_json::Value {
        serde_json::json!({"value": value, "other": false, "events": events, "installations": 5})
    }

    fn values(m: &PublishedMetric) -> Vec<(Option<Value>, Value, u64)> {
        (m.rows.iter().chain(&m.others))
            .map(|r| (r.group.clone(), r.value.clone(), r.count))
            .collect()
    }

    #[test]
    fn values_are_typed_as_the_metric_counts_them() {
        let s = |t: &str| Value::Str(t.into());
        let mut client_null = row("null", 7);
        client_null["missing"] = false.into();
        let mut missing = row("null", 3);
        missing["missing"] = true.into();
        let other =
            serde_json::json!({"value": "Other", "other": true, "events": 9, "installations": 6});
        let mut by_profile = row("<5min", 4);
        by_profile["group"] = "null".into();
        by_profile["missing"] = false.into();
        by_profile["group_missing"] = true.into();
        let tables = serde_json::json!([
            {"name": "profiles", "denominator": 19, "withheld": false, "hides_values": true,
             "rows": [client_null, missing, other]},
            // Made before `missing` was written: `null` is the missing value.
            {"name": "ci_detected", "denominator": 9, "withheld": false,
             "rows": [row("true", 4), row("false", 3), row("null", 2), row("fast", 0)]},
            {"name": "duration_buckets_by_profile", "denominator": 4, "withheld": false,
             "hides_values": false, "rows": [by_profile]},
            {"name": "wizard_modes", "denominator": null, "withheld": true, "hides_values": false, "rows": []},
        ]);
        let p = parse(&file(tables), Path::new("s.json"), &options()).unwrap();
        assert_eq!(p.figure("installations"), Some(40));
        assert_eq!(p.figure("new_installations"), None);
        assert!(p.significant);
        let profiles = p.table(MetricId::Profiles).unwrap();
        assert_eq!(
            values(profiles),
            [
                (None, s("null"), 7),
                (None, Value::Null, 3),
                (None, s(OTHER), 9)
            ]
        );
        assert_eq!((profiles.rows.len(), profiles.others.len()), (2, 1));
        assert_eq!((profiles.denominator, profiles.hidden()), (19, 1));
        // A row of no event (a value of the quarter before) is no row.
        let ci = p.table(MetricId::CiDetected).unwrap();
        assert_eq!(
            values(ci),
            [
                (None, Value::Bool(true), 4),
                (None, Value::Bool(false), 3),
                (None, Value::Null, 2)
            ]
        );
        // Old files say nothing of hidden values: taken to hide some.
        assert_eq!(ci.hidden(), 1);
        let durations = p.table(MetricId::DurationBucketsByProfile).unwrap();
        assert_eq!(values(durations), [(Some(Value::Null), s("<5min"), 4)]);
        assert_eq!(durations.hidden(), 0);
        let wizard = p.table(MetricId::WizardModes).unwrap();
        assert!(wizard.withheld && wizard.rows.is_empty());
        assert!(p.table(MetricId::Platforms).unwrap().withheld);
    }

    #[test]
    fn a_report_of_another_quarter_or_rules_is_refused() {
        let good = file(serde_json::json!([]));
        assert!(parse(&good, Path::new("s"), &options()).is_ok());
        let mut q3 = options();
        q3.quarter = "2026-Q3".parse().unwrap();
        let why = parse(&good, Path::new("s"), &q3).unwrap_err();
        assert_eq!(
            why,
            "it is the report of 2026-Q1, not of 2026-Q2, the quarter before 2026-Q3"
        );
        let mut higher = options();
        higher.min_quarter_installations = 25;
        let why = parse(&good, Path::new("s"), &higher).unwrap_err();
        assert_eq!(
            why,
            "it was made with --min-installations 5 and --min-quarter-installations 20 (this \
             report: 5 and 25)"
        );
        let mut version = options();
        version.filters.version = Some("1.0".into());
        let why = parse(&good, Path::new("s"), &version).unwrap_err();
        assert_eq!(
            why,
            "it was made with other filters (no filter; this report: --version=1.0)"
        );
        let unknown = file(
            serde_json::json!([{"name": "x\u{1b}[31m", "denominator": 1, "withheld": false, "rows": []}]),
        );
        let why = parse(&unknown, Path::new("s"), &options()).unwrap_err();
        assert!(
            why.contains("a table `x") && !why.contains('\u{1b}'),
            "{why}"
        );
        let huge = serde_json::json!({"name": "platforms", "denominator": 1, "withheld": false,
            "rows": [row("a", u64::MAX), row("b", 1)]});
        assert_eq!(
            refused(serde_json::json!([huge])),
            "its table `platforms` counts more events than a report can hold"
        );
        let one = serde_json::json!({"name": "platforms", "denominator": 1, "withheld": false,
            "rows": [row("b", 1)]});
        assert_eq!(
            refused(serde_json::json!([one, one])),
            "it has a table twice"
        );
        let why = parse(
            &exactly(serde_json::json!([one])),
            Path::new("s"),
            &options(),
        );
        assert_eq!(
            why.unwrap_err(),
            "some of its tables are missing (it says its breakdowns were published)"
        );
        let mut withheld = one.clone();
        withheld["withheld"] = true.into();
        assert_eq!(
            refused(serde_json::json!([withheld])),
            "its table `platforms` is withheld, yet has rows"
        );
        let mut over = one.clone();
        over["rows"] = serde_json::json!([row("a", 1), row("b", 1)]);
        assert_eq!(
            refused(serde_json::json!([over])),
            "its table `platforms` has more events in its rows than its denominator"
        );
        let mut tools = over.clone();
        tools["name"] = "scan_tools".into();
        assert!(read(serde_json::json!([tools])));
        tools["rows"][0]["events"] = 2.into();
        assert_eq!(
            refused(serde_json::json!([tools])),
            "its table `scan_tools` has a row of more events than its denominator"
        );
        let mut same = one.clone();
        same["denominator"] = 2.into();
        same["rows"] = serde_json::json!([row("b", 1), row("b", 1)]);
        same["rows"][0]["missing"] = false.into();
        same["rows"][1]["missing"] = false.into();
        assert_eq!(
            refused(serde_json::json!([same])),
            "its table `platforms` has a row twice"
        );
        // An older report's two `null` rows may be a client's and none.
        same["rows"] = serde_json::json!([row("null", 1), row("null", 1)]);
        assert!(read(serde_json::json!([same])));
        let why = parse(b"{}", Path::new("s"), &options()).unwrap_err();
        assert!(
            why.starts_with("not a report's summary.json (no `report` section"),
            "{why}"
        );
    }
}
