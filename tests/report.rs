//! Integration tests of `jmo-analyze report` on constructed data whose every
//! number is known: privacy (small cells must not leak by name or by
//! subtraction, in any output), comparisons, new vs returning installations,
//! escaping, samples, determinism, and the not-significant case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::Tmpfs;

fn bin() -> Command {
    Command::cargo_bin("jmo-analyze").unwrap()
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

const IMG: &str = "<img src=x onerror=alert(1)>";

/// The constructed data set (see the module doc of each number's test).
///
/// 2025-Q4: 30 installations P0..P29, each 2 scan.started + 2 scan.completed,
/// Linux, mode docker for P0..P19 and cli for P20..P29.
/// 2026-Q1: 30 installations I0..I29, I0..I21 being P0..P21 (returning) and
/// I22..I29 new; each 2 scan.started + 2 scan.completed, version 1.0.0:
/// - platform: I0..I23 Linux, I24..I28 FreeBSD (5), I29 Haiku (1: small);
/// - python: I0..I9 `=1+2` (a formula), the rest 3.11;
/// - mode: I0..I24 cli, I25..I29 docker;
/// - profile: I0..I13 fast, I14..I18 balanced (5), I19..I28 `IMG` (10),
///   I29 secret-profile-xyz (1: small);
/// - duration: I13 and I19..I28 `>30min`, the rest `<5min`;
/// - I0..I11 also one report.generated [json, html]; I29 one
///   report.generated [json, secret-format].
fn dataset() -> String {
    let mut out = String::new();
    let mut line = |event: &str, id: &str, ts: String, platform: &str, py: &str, meta: String| {
        out.push_str(&format!(
            "{{\"event\": \"{event}\", \"version\": \"1.0.0\", \"platform\": \"{platform}\", \"python_version\": \"{py}\", \"anonymous_id\": \"{id}\", \"timestamp\": \"{ts}\", \"metadata\": {meta}}}\n"
        ));
    };
    for i in 0..30u32 {
        let id = uuid(i);
        let mode = if i < 20 { "docker" } else { "cli" };
        for n in 0..2 {
            let ts = format!("2025-11-{:02}T10:{:02}:00+00:00", 1 + i % 28, n);
            line(
                "scan.started",
                &id,
                ts.clone(),
                "Linux",
                "3.11",
                format!("{{\"mode\": \"{mode}\", \"profile\": \"balanced\"}}"),
            );
            line(
                "scan.completed",
                &id,
                ts,
                "Linux",
                "3.11",
                format!(
                    "{{\"mode\": \"{mode}\", \"profile\": \"balanced\", \"duration_bucket\": \"<5min\"}}"
                ),
            );
        }
    }
    for i in 0..30u32 {
        let id = if i < 22 { uuid(i) } else { uuid(1000 + i) };
        let platform = match i {
            0..=23 => "Linux",
            24..=28 => "FreeBSD",
            _ => "Haiku",
        };
        let py = if i < 10 { "=1+2" } else { "3.11" };
        let mode = if i < 25 { "cli" } else { "docker" };
        let profile = match i {
            0..=13 => "fast",
            14..=18 => "balanced",
            19..=28 => IMG,
            _ => "secret-profile-xyz",
        };
        let duration = if i == 13 || (19..=28).contains(&i) {
            ">30min"
        } else {
            "<5min"
        };
        for n in 0..2 {
            let ts = format!("2026-02-{:02}T09:{:02}:00.5+00:00", 1 + i % 27, n);
            line(
                "scan.started",
                &id,
                ts.clone(),
                platform,
                py,
                format!("{{\"mode\": \"{mode}\", \"profile\": \"{profile}\"}}"),
            );
            line(
                "scan.completed",
                &id,
                ts,
                platform,
                py,
                format!(
                    "{{\"mode\": \"{mode}\", \"profile\": \"{profile}\", \"duration_bucket\": \"{duration}\"}}"
                ),
            );
        }
        if i < 12 || i == 29 {
            let formats = if i == 29 {
                "[\"json\", \"secret-format\"]"
            } else {
                "[\"json\", \"html\"]"
            };
            let ts = format!("2026-03-{:02}T12:00:00Z", 1 + i % 27);
            line(
                "report.generated",
                &id,
                ts,
                platform,
                py,
                format!("{{\"output_formats\": {formats}, \"suppressions_used\": false}}"),
            );
        }
    }
    out
}

struct Run {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    input: PathBuf,
}

impl Run {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.file("summary.json")).unwrap()
    }
    /// Every file of the report directory: relative path → bytes.
    fn all(&self) -> BTreeMap<String, Vec<u8>> {
        files(&self.dir)
    }
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn report(data: &str, args: &[&str]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("events.jsonl");
    std::fs::write(&input, data).unwrap();
    let dir = tmp.path().join("out");
    // 2026-Q1 unless `args` name a quarter.
    let quarter: &[&str] = if args.contains(&"--quarter") {
        &[]
    } else {
        &["--quarter", "2026-Q1"]
    };
    let out = bin()
        .args(["report"])
        .arg(&input)
        .args(quarter)
        .arg("--out")
        .arg(&dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        _tmp: tmp,
        dir,
        input,
    }
}

fn table<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["report"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// (value, events, installations, other) of a table's rows.
/// A table's rows: value, events, installations (0 where withheld:
/// `null`), and whether it is the Other row.
fn rows(json: &Value, name: &str) -> Vec<(String, u64, u64, bool)> {
    table(json, name)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap().to_string(),
                r["events"].as_u64().unwrap(),
                match &r["installations"] {
                    Value::Null => 0,
                    n => n.as_u64().unwrap(),
                },
                r["other"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn small_cells_leak_in_no_output_by_name() {
    let run = report(&dataset(), &[]);
    for (name, bytes) in run.all() {
        let text = String::from_utf8_lossy(&bytes);
        // Haiku and the secret profile and format are each one installation;
        // FreeBSD and `balanced` (5 each) are hidden as their complements.
        for secret in ["Haiku", "secret-profile-xyz", "secret-format", "FreeBSD"] {
            assert!(!text.contains(secret), "{name} leaks {secret}");
        }
        assert!(
            !text.contains("\"balanced\""),
            "{name} shows the complement of a small profile"
        );
    }
}

#[test]
fn one_small_cell_is_folded_with_a_complement() {
    let json = report(&dataset(), &[]).json();
    // Haiku alone would make Other = Haiku: FreeBSD joins it.
    assert_eq!(
        rows(&json, "platforms"),
        vec![
            ("Linux".into(), 108, 24, false),
            ("Other".into(), 25, 6, true)
        ]
    );
    // How many cells each table hides is not published (with the Other
    // row it would bound the small cells), nor the report's total.
    let t = table(&json, "platforms");
    assert!(t.get("hidden_small").is_none() && t.get("hidden_complementary").is_none());
    assert!(json["report"]["privacy"].get("hidden_cells").is_none());
    // The summary part publishes only the visible row.
    let published: Vec<&str> = json["metrics"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap())
        .collect();
    assert_eq!(published, vec!["Linux"]);
    // Profiles: the secret one (1 installation) and the smallest shown one
    // (balanced, 5) make Other: 12 scans started by 6 installations.
    assert_eq!(
        rows(&json, "profiles"),
        vec![
            ("fast".into(), 28, 14, false),
            (IMG.into(), 20, 10, false),
            ("Other".into(), 12, 6, true)
        ]
    );
    // A list metric's rows do not add up, but each has a complement, the
    // reports without it: html's is I29's one report (13 less 12), so html
    // is hidden too; json is in every report.
    assert_eq!(
        rows(&json, "output_formats"),
        vec![("json".into(), 13, 13, false)]
    );
}

/// 2026-Q1 scans: 25 installations of `fast` (semgrep, one scan each), 10
/// of `deep` (semgrep and noseyparker, three scans each), 6 of `balanced`
/// (semgrep and zap), and a `custom` scan of each installation `custom`
/// names, which enables all three.
/// A 2026-Q1 scan.started line of installation `n`, with its profile and
/// its list of tools (JSON).
fn scan_line(n: u32, profile: &str, tools: &str) -> String {
    format!(
        r#"{{"event": "scan.started", "version": "1.0.0", "platform": "Linux", "anonymous_id": "{}", "timestamp": "2026-02-0{}T10:00:00Z", "metadata": {{"mode": "cli", "profile": "{profile}", "tools": {tools}}}}}"#,
        uuid(n),
        1 + n % 9
    ) + "\n"
}

fn tools_by_profile(custom: impl IntoIterator<Item = u32>) -> String {
    let mut out = String::new();
    let mut line = |n: u32, profile: &str, tools: &str| out.push_str(&scan_line(n, profile, tools));
    for n in 0..25 {
        line(n, "fast", r#"["semgrep"]"#);
    }
    for n in 100..110 {
        for _ in 0..3 {
            line(n, "deep", r#"["semgrep", "noseyparker"]"#);
        }
    }
    for n in 200..206 {
        line(n, "balanced", r#"["semgrep", "zap"]"#);
    }
    for n in custom {
        line(n, "custom", r#"["semgrep", "noseyparker", "zap"]"#);
    }
    out
}

/// A reader who knows which tools a profile enables (JMo documents them)
/// takes a tool's runs less the scans of the published profiles that
/// always enable it, and has the scans of the profiles the table hides
/// that enabled it (a review: in the example report osv-scanner's 57 less
/// deep's 56 was one installation's custom scan). Such a tool's row is
/// hidden while those are about fewer than k installations; and a profile's
/// installations are withheld where a published tool it always enables
/// has fewer than k more (osv-scanner's 18 less deep's 17: one never ran
/// deep).
/// A review: nuclei's runs less balanced's scans (which always enable it)
/// less the profiles table's Other, whose hidden profiles all enabled it,
/// gave custom's scans with it: 2 installations'.
#[test]
fn a_tool_every_hidden_scan_enables_counts_other_as_enabling_it_always() {
    let data = |team: std::ops::Range<u32>| {
        let mut out = String::new();
        for n in 0..25 {
            out += &scan_line(n, "fast", r#"["semgrep"]"#);
            out += &scan_line(100 + n, "balanced", r#"["semgrep", "nuclei"]"#);
        }
        for n in 200..210 {
            let tools = if n < 202 {
                r#"["semgrep", "nuclei"]"#
            } else {
                r#"["semgrep"]"#
            };
            out += &scan_line(n, "custom", tools);
        }
        for n in 300..303 {
            out += &scan_line(n, "deep", r#"["nuclei", "zap"]"#);
        }
        for n in team {
            out += &scan_line(n, "team-x", r#"["nuclei", "zap"]"#);
        }
        out
    };
    let json = report(&data(400..402), &[]).json();
    let profiles: Vec<String> = rows(&json, "profiles").into_iter().map(|r| r.0).collect();
    assert_eq!(
        profiles,
        ["balanced", "fast", "custom", "Other"],
        "{profiles:?}"
    );
    let tools: Vec<String> = rows(&json, "scan_tools").into_iter().map(|r| r.0).collect();
    assert!(!tools.contains(&"nuclei".to_string()), "{tools:?}");
    // One hidden scan without it: Other no longer always enables it, and
    // nuclei's runs less balanced's are 7 installations' scans.
    let without = data(400..402) + &scan_line(401, "team-x", r#"["zap"]"#);
    let json = report(&without, &[]).json();
    let tools: Vec<String> = rows(&json, "scan_tools").into_iter().map(|r| r.0).collect();
    assert!(tools.contains(&"nuclei".to_string()), "{tools:?}");
}

#[test]
fn a_hidden_profiles_scans_cannot_be_read_off_the_tools_it_enables() {
    // Two custom installations: hidden, with balanced (6) as complement.
    let json = report(&tools_by_profile(300..302), &[]).json();
    let profiles = rows(&json, "profiles");
    assert_eq!(
        profiles,
        vec![
            ("deep".into(), 30, 10, false),
            ("fast".into(), 25, 25, false),
            ("Other".into(), 8, 8, true)
        ]
    );
    // noseyparker, 32 less deep's 30, would say the custom installations'
    // 2 scans; semgrep's 63 less fast's 25 and deep's 30 are balanced's 6
    // installations' and custom's: at least k. (zap, balanced's 6 and
    // custom's 2, is enabled always by no published profile: nothing to
    // take from it.)
    let tools: Vec<String> = rows(&json, "scan_tools").into_iter().map(|r| r.0).collect();
    assert!(!tools.contains(&"noseyparker".to_string()), "{tools:?}");
    assert!(tools.contains(&"semgrep".to_string()), "{tools:?}");
    assert!(tools.contains(&"zap".to_string()), "{tools:?}");
    // Five custom installations: their noseyparker scans are about k.
    let json = report(&tools_by_profile(300..305), &[]).json();
    let tools = rows(&json, "scan_tools");
    assert!(
        tools.contains(&("noseyparker".into(), 35, 15, false)),
        "{tools:?}"
    );
    // deep's 10 installations inside noseyparker's 15: 5 never ran deep,
    // which is k. With 4 custom installations, 4 would be fewer than k:
    // noseyparker's row is hidden then (4 installations' scans), so deep's
    // 10 stay.
    let deep = |json: &Value| {
        rows(json, "profiles")
            .into_iter()
            .find(|r| r.0 == "deep")
            .map(|r| r.2)
    };
    assert_eq!(deep(&json), Some(10));
    let json = report(&tools_by_profile(300..304), &[]).json();
    assert!(
        !rows(&json, "scan_tools")
            .iter()
            .any(|r| r.0 == "noseyparker"),
        "{:?}",
        rows(&json, "scan_tools")
    );
    assert_eq!(deep(&json), Some(10));
    // Five custom installations, three of them deep's: noseyparker's row
    // is about k (5 custom installations' scans), but its 12 installations
    // less deep's 10 would say 2 never ran deep. deep's are withheld.
    let json = report(&tools_by_profile([100, 101, 102, 300, 301]), &[]).json();
    let tools = rows(&json, "scan_tools");
    assert!(
        tools.contains(&("noseyparker".into(), 35, 12, false)),
        "{tools:?}"
    );
    assert_eq!(deep(&json), Some(0), "withheld");
    // Five custom installations, and one of `tiny` with 2 scans of
    // semgrep alone: custom is hidden as tiny's complement. noseyparker's
    // 35 less deep's 30 are custom's 5 scans, 5 installations, but the
    // profiles' Other, 7, less those 5 would be tiny's 2 (a review).
    let mut data = tools_by_profile(300..305);
    for _ in 0..2 {
        data.push_str(&scan_line(400, "tiny", r#"["semgrep"]"#));
    }
    let json = report(&data, &[]).json();
    let profiles = rows(&json, "profiles");
    assert!(
        profiles.contains(&("Other".into(), 7, 6, true)),
        "{profiles:?}"
    );
    let tools = rows(&json, "scan_tools");
    assert!(!tools.iter().any(|r| r.0 == "noseyparker"), "{tools:?}");
    // A published profile that enables a tool in all but one
    // installation's scans: balanced's 20 and deep's 20 less zap's 38 are
    // that installation's 2 scans without it (a review).
    let balanced_without_zap = |without: std::ops::Range<u32>| {
        let mut data = String::new();
        for (profile, first) in [("fast", 0), ("deep", 10), ("balanced", 20)] {
            for n in first..first + 10 {
                for _ in 0..2 {
                    let tools = match (profile, n) {
                        ("fast", _) => r#"["semgrep"]"#,
                        ("balanced", n) if without.contains(&n) => r#"["semgrep"]"#,
                        _ => r#"["semgrep", "zap"]"#,
                    };
                    data.push_str(&scan_line(n, profile, tools));
                }
            }
        }
        data
    };
    let json = report(&balanced_without_zap(21..22), &[]).json();
    assert_eq!(rows(&json, "profiles").len(), 3, "no Other");
    let tools = rows(&json, "scan_tools");
    assert!(!tools.iter().any(|r| r.0 == "zap"), "{tools:?}");
    // Five installations' scans without it: about k, so zap is shown.
    let json = report(&balanced_without_zap(21..26), &[]).json();
    let tools = rows(&json, "scan_tools");
    assert!(tools.iter().any(|r| r.0 == "zap"), "{tools:?}");
    // Only hidden profiles enable t: its installations are inside Other's,
    // and 6 less its 5 would say one never ran it (a review).
    let mut data = String::new();
    let mut line =
        |n: u32, profile: &str, tools: &str| data.push_str(&scan_line(n, profile, tools));
    for n in 100..110 {
        line(n, "fast", r#"["semgrep"]"#);
        line(n + 100, "deep", r#"["semgrep"]"#);
    }
    for n in 1..5 {
        line(n, "p1", r#"["t"]"#);
        line(n, "p2", r#"["semgrep"]"#);
    }
    line(5, "p4", r#"["t"]"#);
    for _ in 0..3 {
        line(9, "p3", r#"["semgrep"]"#);
    }
    let json = report(&data, &[]).json();
    let profiles = rows(&json, "profiles");
    assert!(
        profiles.contains(&("Other".into(), 12, 6, true)),
        "{profiles:?}"
    );
    let tools = rows(&json, "scan_tools");
    assert!(
        tools.contains(&("t".into(), 5, 0, false)),
        "withheld: {tools:?}"
    );
    // One published profile alone enables zap, not always: balanced's 22
    // installations less zap's 20 would say 2 never ran it (a review).
    let mut data = String::new();
    let mut line =
        |n: u32, profile: &str, tools: &str| data.push_str(&scan_line(n, profile, tools));
    for n in 0..20 {
        line(n, "balanced", r#"["trivy", "zap"]"#);
    }
    for n in [20, 21, 0, 1, 2] {
        line(n, "balanced", r#"["trivy"]"#);
    }
    for n in 100..130 {
        line(n, "fast", r#"["trivy"]"#);
    }
    let json = report(&data, &[]).json();
    let profiles = rows(&json, "profiles");
    assert!(
        profiles.contains(&("balanced".into(), 25, 22, false)),
        "{profiles:?}"
    );
    let tools = rows(&json, "scan_tools");
    assert!(
        tools.contains(&("zap".into(), 20, 0, false)),
        "withheld: {tools:?}"
    );
}

/// The unsuppressed numbers of the quarter, from `summary`.
fn truth(input: &Path) -> Value {
    let out = bin()
        .arg("summary")
        .arg(input)
        .args(["--quarter", "2026-Q1", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A review: summary.json's event-type shares were written at full
/// precision (0.37353846153846154), every other share to six decimals.
/// A yes/no table's `false` can move alone beside a `null` row: the
/// insights say so, and never that no share changed (a review: 45.0% to
/// 40.5% "down" in the CI/CD table, and "No published share changed").
#[test]
fn a_false_that_moves_alone_is_told_in_the_insights() {
    let mut data = String::new();
    let mut id = 0;
    for (day, counts) in [
        ("2026-02-10", [1000, 900, 100]),
        ("2026-05-10", [1060, 810, 130]),
    ] {
        for (ci, n) in ["true", "false", "null"].into_iter().zip(counts) {
            for _ in 0..n {
                id += 1;
                let meta = format!(
                    r#"{{"mode": "cli", "profile": "balanced", "tools": ["trivy"], "ci_detected": {ci}}}"#
                );
                data += &event_line(
                    "scan.started",
                    id,
                    &format!("{day}T12:00:00Z"),
                    "0.9.0",
                    &meta,
                );
            }
        }
    }
    let run = report(&data, &["--quarter", "2026-Q2"]);
    let json = run.json();
    let ci = table(&json, "ci_detected");
    let change = |v: &str| {
        let rows = ci["rows"].as_array().unwrap();
        rows.iter().find(|r| r["value"] == v).unwrap()["change"].clone()
    };
    assert_eq!(
        (change("true"), change("false")),
        ("no_clear_change".into(), "down".into())
    );
    let md = run.file("report.md");
    assert!(!md.contains("No published share changed"), "{md}");
    assert!(md.contains("`false` fell from 45.0% to 40.5%"), "{md}");
}

#[test]
fn every_fraction_of_summary_json_has_six_decimals() {
    // Every number that is not whole, in `metrics` and in the `report`
    // section (rates, shares, their intervals, changes): the report's CSV
    // files write six decimals, and the JSON gave 17 digits beside them.
    fn walk(v: &Value, path: &str, seen: &mut Vec<String>) {
        match v {
            Value::Number(n) if n.is_f64() => {
                let scaled = n.as_f64().unwrap() * 1e6;
                assert!((scaled - scaled.round()).abs() < 1e-6, "{path}: {n}");
                seen.push(path.to_string());
            }
            Value::Array(a) => (a.iter()).for_each(|v| walk(v, &format!("{path}[]"), seen)),
            Value::Object(o) => (o.iter()).for_each(|(k, v)| walk(v, &format!("{path}.{k}"), seen)),
            _ => {}
        }
    }
    let json = report(&dataset(), &[]).json();
    let mut seen = Vec::new();
    walk(&json, "", &mut seen);
    for wanted in [
        ".metrics.event_types[].share",
        ".report.tables[].rows[].share",
        ".report.tables[].rows[].interval.low",
        ".report.tables[].rows[].previous_interval.high",
        ".report.figures[].rate",
        ".report.figures[].count_change",
    ] {
        assert!(
            seen.iter().any(|p| p == wanted),
            "{wanted} not seen: {seen:?}"
        );
    }
}

#[test]
fn no_hidden_cell_can_be_recovered_by_subtraction() {
    let run = report(&dataset(), &[]);
    let json = run.json();
    let truth = truth(&run.input);
    let k = 5;
    for t in json["report"]["tables"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let key = |r: &Value| {
            (
                r["group"].as_str().unwrap_or("").to_string(),
                r["value"]
                    .as_str()
                    .map_or_else(|| r["value"].to_string(), str::to_string),
            )
        };
        let shown: BTreeSet<(String, String)> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["other"] == false)
            .map(|r| {
                // (Withheld, null, where its complement is a small group.)
                assert!(
                    r["installations"].as_u64().is_none_or(|n| n >= k),
                    "{name}: small cell shown: {r}"
                );
                key(r)
            })
            .collect();
        for r in t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["other"] == true)
        {
            assert!(
                r["installations"].as_u64().unwrap() >= k,
                "{name}: small Other: {r}"
            );
        }
        let partition = !matches!(name, "scan_tools" | "output_formats" | "tool_failure_rates");
        if !partition {
            continue;
        }
        // Lines whose total is known (their cells cover k installations):
        // none may hide exactly one cell.
        let truth_rows = truth["metrics"][name].as_array().unwrap();
        let mut lines: BTreeMap<(bool, String), Vec<(bool, u64)>> = BTreeMap::new();
        for r in truth_rows {
            let (g, v) = key(&Value::Object(
                [
                    (
                        "group".to_string(),
                        r.get("group").cloned().unwrap_or(Value::Null),
                    ),
                    ("value".to_string(), r["value"].clone()),
                ]
                .into_iter()
                .collect(),
            ));
            if name == "event_types"
                && matches!(v.as_str(), "test" | "test.event" | "telemetry.initialized")
            {
                continue;
            }
            let hidden = !shown.contains(&(g.clone(), v.clone()));
            let inst = r["installations"].as_u64().unwrap();
            lines
                .entry((true, g.clone()))
                .or_default()
                .push((hidden, inst));
            if t["grouped"] == true {
                lines.entry((false, v)).or_default().push((hidden, inst));
            }
        }
        for ((_, line), cells) in lines {
            let total: u64 = cells.iter().map(|c| c.1).sum();
            let hidden = cells.iter().filter(|c| c.0).count();
            if total >= k && cells.len() > 1 {
                assert_ne!(hidden, 1, "{name}: line {line:?} hides exactly one cell");
            }
        }
    }
}

#[test]
fn changes_new_installations_and_insights() {
    let json = report(&dataset(), &[]).json();
    let fig = |key: &str| figure(&json, key);
    assert_eq!(fig("installations")["value"], 30);
    assert_eq!(fig("installations")["previous"], 30);
    assert_eq!(fig("new_installations")["value"], 8);
    assert_eq!(fig("returning_installations")["value"], 22);
    assert_eq!(fig("scans_started")["value"], 60);
    let modes = table(&json, "modes")["rows"].as_array().unwrap().clone();
    let cli = modes.iter().find(|r| r["value"] == "cli").unwrap();
    // 50 of 60 now, 20 of 60 before: intervals apart (six decimals).
    assert_eq!(cli["share"].as_f64().unwrap(), 0.833333);
    assert_eq!(cli["previous_share"].as_f64().unwrap(), 0.333333);
    assert_eq!(cli["change"], "up");
    let lo = cli["interval"]["low"].as_f64().unwrap();
    assert!((lo - 0.7194).abs() < 1e-3, "Wilson low of 50/60: {lo}");
    let docker = modes.iter().find(|r| r["value"] == "docker").unwrap();
    assert_eq!(docker["change"], "down");
    // Completion: 60/60 both quarters: no change.
    assert_eq!(fig("completion_rate")["change"], "no_clear_change");
    let insights: Vec<&str> = json["report"]["insights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        insights.contains(&"Execution modes: `cli` rose from 33.3% to 83.3% (% of scans started); the 95% intervals do not overlap."),
        "{insights:#?}"
    );
    assert!(insights.iter().any(|s| s.starts_with("Platforms: `Linux` is the largest, with 81.2% of usage events")));
}

#[test]
fn untrusted_strings_are_escaped_and_guarded() {
    let run = report(&dataset(), &[]);
    let html = run.file("report.html");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(
        !html.contains("<img"),
        "raw markup from an event in the HTML"
    );
    assert!(!html.contains("<script"), "the report runs no script");
    let md = run.file("report.md");
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // Outside the sample events' code blocks, which show events as text.
    let prose: String = md
        .split("\n```")
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect();
    assert!(!prose.contains("<img"), "{md}");
    let csv = run.file("data/python_versions.csv");
    assert!(csv.contains("\r\n'=1+2,"), "{csv}");
    let svg = run.file("charts/profiles.svg");
    assert!(svg.contains("&lt;img src=x") && !svg.contains("<img"));
    // Self-contained: nothing fetched from elsewhere.
    for needle in ["http://", "https://", "src=\"", "<link", "@import", "url("] {
        let hits: Vec<_> = html.match_indices(needle).collect();
        let ok = hits.is_empty()
            || (needle == "http://" && hits.iter().all(|(i, _)| html[..*i].ends_with("xmlns=\"")));
        assert!(ok, "report.html refers to something outside: {needle}");
    }
}

/// A client's text that reads as a missing value (`null`) or as the rest
/// row's label is shown in quotes in every table of the report, so the
/// rows read apart (a review: six installations' `"null"` hint read as the
/// scans that sent none, and a platform `Other (hidden values)` as the
/// report's own row but for its italics).
#[test]
fn a_clients_null_or_other_reads_as_its_own_value() {
    let mut data = String::new();
    for i in 0..24u32 {
        let platform = match i {
            0..12 => "Linux",
            12..18 => "Other (hidden values)",
            _ => "null",
        };
        let hint = if i < 6 {
            ", \"scan_frequency_hint\": \"null\""
        } else {
            ""
        };
        for n in 0..2 {
            data.push_str(&format!(
                "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"platform\": \
                 \"{platform}\", \"python_version\": \"3.11\", \"anonymous_id\": \"{}\", \
                 \"timestamp\": \"2026-02-{:02}T10:0{n}:00Z\", \"metadata\": {{\"mode\": \"cli\", \
                 \"profile\": \"fast\", \"tools\": [\"trivy\"]{hint}}}}}\n",
                uuid(i),
                1 + i % 27
            ));
        }
    }
    let run = report(&data, &[]);
    let md = run.file("report.md");
    for row in [
        "| null | 36 | 18 |",
        "| \"null\" | 12 | 6 |",
        "| \"Other (hidden values)\" | 12 | 6 |",
    ] {
        assert!(md.contains(row), "{row} in {md}");
    }
    let html = run.file("report.html");
    for cell in [
        "<td>&quot;null&quot;</td>",
        "<td>&quot;Other (hidden values)&quot;</td>",
    ] {
        assert!(html.contains(cell), "{cell}");
    }
    let csv = run.file("data/frequency_hints.csv");
    assert!(
        csv.contains("\r\nnull,false,36,") && csv.contains("\r\n\"\"\"null\"\"\",false,12,"),
        "{csv}"
    );
    // The chart's bars too.
    let svg = run.file("charts/platforms.svg");
    assert!(
        svg.contains("&quot;null&quot;") || svg.contains("\"null\""),
        "{svg}"
    );
}

#[test]
fn a_value_with_backticks_stays_inside_its_code_span() {
    // The largest profile opens with two backticks: quoted in the insights
    // between the report's own backticks, it closed the span early and the
    // rest of it was read as Markdown (raw HTML, an image, a link).
    let hostile = format!("``{IMG} ![i](https://evil.example/p.png)\\u001b[2J");
    let mut data = String::new();
    for i in 0..40u32 {
        let profile = if i < 30 { hostile.as_str() } else { "fast" };
        data.push_str(&format!(
            "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"platform\": \"Linux\", \"python_version\": \"3.11\", \"anonymous_id\": \"{}\", \"timestamp\": \"2026-02-{:02}T10:00:00+00:00\", \"metadata\": {{\"mode\": \"cli\", \"profile\": \"{profile}\"}}}}\n",
            uuid(i),
            1 + i % 28
        ));
    }
    let run = report(&data, &[]);
    let md = run.file("report.md");
    let line = md
        .lines()
        .find(|l| l.starts_with("- Scan profiles:"))
        .expect("an insight on the largest profile");
    assert_eq!(
        line,
        "- Scan profiles: `\\u{60}\\u{60}<img src=x onerror=alert(1)> ![i](https://evil.example/p.png)\\u{1b}[2J` \
         is the largest, with 75.0% of scans started (95% CI 59.8\u{2013}85.8%)."
    );
    let html = run.file("report.html");
    assert!(
        !html.contains("<img"),
        "raw markup from an event in the HTML"
    );
    // The published CSV shows it as the Markdown does: no escape sequence
    // for a reader who prints the file (a review: `cat data/profiles.csv`
    // cleared the screen).
    let csv = run.file("data/profiles.csv");
    assert!(
        csv.contains("\\u{1b}[2J") && !csv.contains('\u{1b}'),
        "{csv}"
    );
}

#[test]
fn more_invalid_lines_than_shown_say_where_all_are() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.jsonl");
    std::fs::write(&input, "not json\n".repeat(25)).unwrap();
    let out = bin()
        .args(["report"])
        .arg(&input)
        .args(["--quarter", "2026-Q1", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The report's summary.json leaves the reasons out (they quote event
    // text), so the hint names where they all are.
    assert!(
        stderr.contains(
            "warning: 5 more invalid lines not shown (all are in the input.problems of \
             `jmo-analyze summary --format json` on this file)"
        ),
        "{stderr}"
    );
}

#[test]
fn the_html_shows_each_sample_event_as_the_json_it_is() {
    // A profile holding a backslash and an invisible character, which the
    // sample's JSON writes escaped (`\\`, `\u202e`): the page must show that
    // JSON, not the value's own escaped form (a doubled backslash ends the
    // string early).
    let mut data = String::new();
    for i in 0..30u32 {
        data.push_str(&format!(
            "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"platform\": \"Linux\", \"python_version\": \"3.11\", \"anonymous_id\": \"{}\", \"timestamp\": \"2026-02-{:02}T10:00:00+00:00\", \"metadata\": {{\"mode\": \"cli\", \"profile\": \"C:\\\\fast\\u202e\"}}}}\n",
            uuid(i),
            1 + i % 28
        ));
    }
    let run = report(&data, &[]);
    let samples: Value = serde_json::from_str(&run.file("sample-events.json")).unwrap();
    let events = samples["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{samples:#}");
    assert_eq!(events[0]["metadata"]["profile"], "C:\\fast\u{202e}");
    let html = run.file("report.html");
    let shown: Vec<Value> = html
        .split("<pre>")
        .skip(1)
        .map(|rest| {
            let text = rest.split("</pre>").next().unwrap();
            let text = text
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        })
        .collect();
    assert_eq!(&shown, events);
}

#[test]
fn samples_are_real_events_with_common_values_only() {
    let run = report(&dataset(), &[]);
    let samples: Value = serde_json::from_str(&run.file("sample-events.json")).unwrap();
    let input = std::fs::read_to_string(&run.input).unwrap();
    let events = samples["events"].as_array().unwrap();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec!["report.generated", "scan.completed", "scan.started"]
    );
    let placeholder = "00000000-0000-4000-8000-000000000000";
    let text = run.file("sample-events.json");
    for e in events {
        assert_eq!(e["anonymous_id"], placeholder);
        assert_eq!(e["platform"], "Linux");
        assert_ne!(e["metadata"]["profile"], "secret-profile-xyz");
        // An input event, but for the ID, the time (cut to the quarter) and
        // the fields it left out (null).
        assert!(
            input.lines().any(|l| {
                let mut real: Value = serde_json::from_str(l).unwrap();
                real["anonymous_id"] = placeholder.into();
                let ts = real["timestamp"].as_str().unwrap();
                let month: u32 = ts[5..7].parse().unwrap();
                let first = (month - 1) / 3 * 3 + 1;
                real["timestamp"] = format!("{}-{first:02}-01T00:00:00Z", &ts[..4]).into();
                for (k, v) in e["metadata"].as_object().unwrap() {
                    if v.is_null() && real["metadata"].get(k).is_none() {
                        real["metadata"][k] = Value::Null;
                    }
                }
                &real == e
            }),
            "not a real event: {e}"
        );
        // In the clients' layout, one line.
        let line = format!("{{\"event\": {}, \"version\": ", e["event"]);
        assert!(text.contains(&line), "{text}");
    }
}

/// `report FILE --out DIR ARGS` (with `--quarter 2026-Q2` unless ARGS give
/// one), on the sample data.
fn report_into(dir: &Path, args: &[&str]) -> std::process::Output {
    let quarter: &[&str] = if args.contains(&"--quarter") {
        &[]
    } else {
        &["--quarter", "2026-Q2"]
    };
    bin()
        .args(["report", "fixtures/events.jsonl", "-q"])
        .args(quarter)
        .arg("--out")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_report_over_an_earlier_one_leaves_none_of_its_files_but_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    let (over, fresh) = (tmp.path().join("over"), tmp.path().join("fresh"));
    assert!(report_into(&over, &[]).status.success());
    assert!(files(&over).contains_key("charts/tool_failure_rates.svg"));
    // A new report directory has the mode any new directory gets here.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let made = tmp.path().join("made");
        std::fs::create_dir(&made).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&over), mode(&made));
        std::fs::remove_dir(&made).unwrap();
    }
    // The user's own files, also of the kinds a report writes.
    std::fs::write(over.join("notes.txt"), "mine\n").unwrap();
    std::fs::write(over.join("charts/logo.svg"), "mine\n").unwrap();
    std::fs::write(over.join("data/budget.csv"), "mine\n").unwrap();
    // At k = 25 the failure rates are withheld: their chart must not stay.
    // 2025-Q4 is totals only: no breakdown of 2026-Q2 may stay.
    for args in [
        &["--min-installations", "25"][..],
        &["--quarter", "2025-Q4"][..],
    ] {
        let _ = std::fs::remove_dir_all(&fresh);
        for dir in [&over, &fresh] {
            let out = report_into(dir, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{args:?}: {stderr}");
        }
        let mut now = files(&over);
        assert_eq!(now.remove("notes.txt").as_deref(), Some(&b"mine\n"[..]));
        for mine in ["charts/logo.svg", "data/budget.csv"] {
            assert_eq!(now.remove(mine).as_deref(), Some(&b"mine\n"[..]), "{mine}");
        }
        assert_eq!(now, files(&fresh), "{args:?}");
    }
    // Nothing is left beside it.
    let mut beside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["fresh", "over"]);
}

/// A report's file the user made read-only (hand-edited, then `chmod
/// a-w`) is left as it is and nothing is written, as `summary -o` leaves
/// one (a review: it was replaced, mode 0644); a stale one the run would
/// remove too; a link to a read-only file is replaced as a link.
#[cfg(unix)]
#[test]
fn a_read_only_file_of_an_earlier_report_is_left_as_it_is() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(report_into(&out, &[]).status.success());
    let read_only = |p: &Path| std::fs::set_permissions(p, PermissionsExt::from_mode(0o444));
    let before = files(&out);
    // Written (report.md) and removed (the withheld failure rates' chart).
    for (rel, args, how) in [
        ("report.md", &[][..], "replace"),
        (
            "charts/tool_failure_rates.svg",
            &["--min-installations", "25"][..],
            "remove",
        ),
    ] {
        let file = out.join(rel);
        read_only(&file).unwrap();
        let run = report_into(&out, args);
        assert_eq!(run.status.code(), Some(1));
        assert_eq!(
            String::from_utf8(run.stderr).unwrap(),
            format!(
                "Error: --out {}: {} is read-only, which this run would {how}: nothing is \
                 written; make it writable for this user, or choose another directory\n",
                out.display(),
                file.display()
            )
        );
        assert_eq!(files(&out), before, "{rel}");
        std::fs::set_permissions(&file, PermissionsExt::from_mode(0o644)).unwrap();
    }
    // A link in its place is replaced, its read-only target untouched.
    let kept = tmp.path().join("kept.md");
    std::fs::write(&kept, "mine\n").unwrap();
    read_only(&kept).unwrap();
    std::fs::remove_file(out.join("report.md")).unwrap();
    std::os::unix::fs::symlink(&kept, out.join("report.md")).unwrap();
    assert!(report_into(&out, &[]).status.success());
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "mine\n");
    assert_eq!(files(&out), before);
}

/// A symbolic link where the report has a directory of its own
/// (`charts/`) stops the run before anything is written: its files went
/// where the link points, outside DIR, and a chart withheld since stayed
/// there, left out of the file list (a review). A link where a file goes
/// is replaced as a link, one to a directory too (it was called a
/// directory and refused).
#[cfg(unix)]
#[test]
fn a_link_where_the_report_has_a_directory_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let elsewhere = tmp.path().join("elsewhere");
    assert!(report_into(&out, &[]).status.success());
    std::fs::rename(out.join("charts"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("charts")).unwrap();
    let (before, kept) = (files(&out), files(&elsewhere));
    let run = report_into(&out, &["--min-installations", "25"]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(run.stderr).unwrap(),
        format!(
            "Error: --out {}: {}/charts is a symbolic link, where this run writes into a \
             directory of its own: nothing is written; choose another directory\n",
            out.display(),
            out.display()
        )
    );
    assert_eq!(
        (files(&out), files(&elsewhere)),
        (before.clone(), kept.clone())
    );
    // Also when the run writes no chart at all: the earlier ones, listed
    // through the link, stayed published and left the list (a review).
    let run = report_into(&out, &["--min-quarter-installations", "100"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8(run.stderr)
            .unwrap()
            .contains("charts is a symbolic link, where this run writes into a directory"),
    );
    assert_eq!((files(&out), files(&elsewhere)), (before, kept));
    // A link to a directory where a file goes.
    std::fs::remove_file(out.join("charts")).unwrap();
    std::fs::rename(&elsewhere, out.join("charts")).unwrap();
    std::fs::remove_file(out.join("report.md")).unwrap();
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("report.md")).unwrap();
    assert!(report_into(&out, &[]).status.success());
    assert!(out.join("report.md").symlink_metadata().unwrap().is_file());
    assert!(elsewhere.is_dir());
}

/// A file or directory that is append-only or immutable (`chattr +a`,
/// `+i`) stops the run before anything is written: the rename failed
/// halfway, after earlier files were replaced (a review: 41 of 43).
#[cfg(target_os = "linux")]
#[test]
fn an_append_only_file_or_directory_stops_the_run_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(report_into(&out, &[]).status.success());
    let chattr = |flag: &str, p: &Path| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(p)
            .status()
            .is_ok_and(|s| s.success())
    };
    // Root may set it on this file system (tests run as root here).
    if !chattr("+a", &out.join("summary.json")) {
        eprintln!("chattr +a is not available here: skipped");
        return;
    }
    let before = files(&out);
    for (set, flag, why) in [
        (
            "summary.json",
            "a",
            "summary.json is immutable or append-only (chattr +i or +a)",
        ),
        (
            "data",
            "a",
            "data is a directory whose entries cannot change (chattr +i or +a)",
        ),
        // Not "a directory this user cannot write in", which sends the
        // user to chmod (a review).
        (
            "data",
            "i",
            "data is a directory whose entries cannot change (chattr +i or +a)",
        ),
    ] {
        let path = out.join(set);
        assert!(chattr(&format!("+{flag}"), &path));
        let run = report_into(&out, &["--generated-on", "2026-07-01"]);
        assert!(chattr(&format!("-{flag}"), &path));
        assert_eq!(run.status.code(), Some(1));
        let err = String::from_utf8(run.stderr).unwrap();
        assert!(
            err.contains(&format!("{}/{why}: nothing is written", out.display())),
            "{err}"
        );
        assert_eq!(files(&out), before, "{set}");
    }
    // DIR named through a link: the directory's attributes, not the
    // link's (a review: half the report was written into it).
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&out, &link).unwrap();
    assert!(chattr("+a", &out));
    let run = report_into(&link, &["--generated-on", "2026-07-01"]);
    assert!(chattr("-a", &out));
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "{l}: {l} is a directory whose entries cannot change (chattr +i or +a): nothing is \
             written",
            l = link.display()
        )),
        "{err}"
    );
    assert_eq!(files(&out), before);
}

/// A sticky directory this user cannot write in is said to be one, not
/// blamed on its sticky bit (a review: "another user's, in a directory
/// where only they may replace it"), run as `nobody` (root starts it).
#[cfg(target_os = "linux")]
#[test]
fn a_sticky_directory_this_user_cannot_write_in_is_said_so() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt as _;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let input = tmp.path().join("events.jsonl");
    std::fs::copy("fixtures/events.jsonl", &input).unwrap();
    let out = tmp.path().join("out");
    assert!(report_into(&out, &[]).status.success());
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o1755)).unwrap();
    let before = files(&out);
    let run = std::process::Command::new(assert_cmd::cargo::cargo_bin("jmo-analyze"))
        .args(["report", "-q", "--quarter", "2026-Q2", "--out"])
        .arg(&out)
        .arg(&input)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "{o}: {o} is a directory this user cannot write in: nothing is written",
            o = out.display()
        )),
        "{err}"
    );
    assert_eq!(files(&out), before);
}

/// A report directory on a file system mounted read-only is said to be
/// so, not as a directory this user cannot write in (which sends the user
/// to chmod), a new one too (a review read "make it writable" of such a
/// mount).
#[cfg(target_os = "linux")]
#[test]
fn a_read_only_file_system_is_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(mount) = Tmpfs::mount(&tmp.path().join("ro"), "1m") else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    let out = tmp.path().join("ro/r");
    assert!(report_into(&out, &[]).status.success());
    let before = files(&out);
    mount.remount_read_only();
    for (dir, named) in [(out.clone(), out.clone()), (out.join("new"), out.clone())] {
        let run = report_into(&dir, &[]);
        assert_eq!(run.status.code(), Some(1), "{run:?}");
        let err = String::from_utf8(run.stderr).unwrap();
        assert_eq!(
            err,
            format!(
                "Error: --out {}: {} is on a file system mounted read-only: nothing is written; \
                 choose another directory\n",
                dir.display(),
                named.display()
            )
        );
    }
    assert_eq!(files(&out), before);
}

/// A full disk is said as such, with what to mend (a review: "writing
/// …/report.md: No space left on device" alone), the earlier report left.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(_mount) = Tmpfs::mount(&tmp.path().join("full"), "2m") else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    let out = tmp.path().join("full/r");
    assert!(report_into(&out, &[]).status.success());
    let before = files(&out);
    // 64 KiB left: less than a second report needs.
    let free = {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(out.as_os_str().as_bytes()).unwrap();
        // SAFETY: plain data; `c` is a valid path.
        let mut buf: libc::statvfs = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut buf) }, 0);
        buf.f_bavail as usize * buf.f_frsize as usize
    };
    std::fs::write(tmp.path().join("full/fill"), vec![b'x'; free - 65536]).unwrap();
    let run = report_into(&out, &["--generated-on", "2026-07-02"]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(
        err.starts_with(&format!(
            "Error: --out {o}: cannot write {o}/",
            o = out.display()
        )),
        "{err}"
    );
    assert!(
        err.ends_with(
            ": No space left on device (os error 28); nothing is written. Free some space on \
             its file system (or raise the quota), or choose another directory\n"
        ),
        "{err}"
    );
    assert_eq!(files(&out), before);
}

/// A file system out of inodes: what cannot be made is named as it would
/// be called (never the hidden staging directory), with the file system's
/// advice (a review: "cannot create a directory to write in: No space left
/// on device", once naming the staging directory).
#[test]
fn a_file_system_out_of_inodes_is_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let Some(_mount) = Tmpfs::mount(&full, "2m,nr_inodes=64") else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    let mut made = 0;
    while std::fs::write(full.join(format!("f{made}")), b"").is_ok() {
        made += 1;
    }
    assert!(made > 0);
    let out = full.join("r");
    let run = report_into(&out, &[]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let err = String::from_utf8(run.stderr).unwrap();
    let advice = ": No space left on device (os error 28); nothing is written. Free some space \
                  on its file system (or raise the quota), or choose another directory\n";
    assert_eq!(
        err,
        format!(
            "Error: --out {}: cannot create a directory in {} to write in{advice}",
            out.display(),
            full.display()
        )
    );
    // A few inodes free: the staging directory takes one, and what
    // runs out then (a file, or `charts/`) is named under --out.
    let mut said = BTreeSet::new();
    for free in 1..=5 {
        std::fs::remove_file(full.join(format!("f{}", free - 1))).unwrap();
        let run = report_into(&out, &[]);
        assert_eq!(run.status.code(), Some(1), "{run:?}");
        let err = String::from_utf8(run.stderr).unwrap();
        let prefix = format!("Error: --out {o}: cannot ", o = out.display());
        let what = err.strip_prefix(&prefix).unwrap_or_else(|| panic!("{err}"));
        let what = what.split(':').next().unwrap().to_owned();
        assert!(
            what.starts_with(&format!("write {}/", out.display()))
                || what.starts_with(&format!("create {}/", out.display())),
            "{err}"
        );
        assert!(err.ends_with(advice), "{err}");
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(&full).unwrap().count(), made - free);
        said.insert(what);
    }
    // The four files at the top, then a directory (`charts/` or `data/`),
    // named under --out (it named the staging path).
    let sub = format!("create {}/", out.display());
    assert!(said.iter().any(|what| what.starts_with(&sub)), "{said:?}");
}

/// Into a directory that has no `charts/` or `data/` yet, on a file system
/// about to run out of inodes: the directories are made before any file
/// moves in, so a run that cannot make them leaves the directory as it was
/// (a review: `data/` failed after `charts/` and its files had moved in,
/// half a report without its list, and no advice). And a run that fails
/// leaves none of the directories it made on the way (a review: "nothing
/// is written", and `a/b/` were left), nor for a name too long for the
/// file system once the run's own characters are added to it.
#[test]
fn a_failed_run_leaves_no_part_and_no_directory_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = tmp.path().join("sample");
    assert!(report_into(&sample, &[]).status.success());
    let report = entries(&sample).len();
    let full = tmp.path().join("full");
    let Some(_mount) = Tmpfs::mount(&full, "4m,nr_inodes=256") else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    let out = full.join("out");
    std::fs::create_dir(&out).unwrap();
    let mut made = 0;
    while std::fs::write(full.join(format!("f{made}")), b"").is_ok() {
        made += 1;
    }
    let advice = ": No space left on device (os error 28); nothing is written. Free some space \
                  on its file system (or raise the quota), or choose another directory\n";
    // The staging directory and the report in it, then `charts/` and
    // `data/` in `out`: the last two of these fail as the review's did.
    let mut freed = 0;
    let mut failed = Vec::new();
    while freed < report + 4 {
        std::fs::remove_file(full.join(format!("f{freed}"))).unwrap();
        freed += 1;
        if freed < report {
            continue;
        }
        let run = report_into(&out, &[]);
        if run.status.success() {
            break;
        }
        let err = String::from_utf8(run.stderr).unwrap();
        assert!(err.ends_with(advice), "{err}");
        assert_eq!(entries(&out), Vec::<String>::new(), "{err}");
        failed.push(err);
    }
    let sub = |name: &str| {
        format!(
            "Error: --out {o}: cannot create {o}/{name}:",
            o = out.display()
        )
    };
    assert!(
        failed.iter().any(|e| e.starts_with(&sub("charts"))),
        "{failed:#?}"
    );
    assert_eq!(entries(&out).len(), report, "{failed:#?}");

    // A new --out under directories to make: none is left.
    std::fs::remove_dir_all(&out).unwrap();
    let mut more = made;
    while std::fs::write(full.join(format!("f{more}")), b"").is_ok() {
        more += 1;
    }
    std::fs::remove_file(full.join(format!("f{}", more - 1))).unwrap();
    let run = report_into(&full.join("a/b/out"), &[]);
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(err.ends_with(advice), "{err}");
    assert!(!full.join("a").exists(), "{err}");
    // A name the file system takes is written, new or there already,
    // though the run's own characters would make it too long (reviews: it
    // was refused and told to be shorter, an existing one too).
    for (name, made) in [("x".repeat(250), false), ("d".repeat(245), true)] {
        let long = tmp.path().join("ln").join(name);
        if made {
            std::fs::create_dir_all(&long).unwrap();
        }
        let run = report_into(&long, &[]);
        assert!(run.status.success(), "{run:?}");
        assert_eq!(entries(&long).len(), report);
        std::fs::remove_dir_all(tmp.path().join("ln")).unwrap();
    }
    // One it does not take is refused, and leaves nothing.
    let long = tmp.path().join("ln").join("x".repeat(300));
    let run = report_into(&long, &[]);
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(
        err.contains("nothing is written. Choose a shorter name"),
        "{err}"
    );
    assert!(!tmp.path().join("ln").exists(), "{err}");
}

/// Every entry under `dir`, directories too (`charts/`), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                todo.push(path);
                all.push(format!("{rel}/"));
            } else {
                all.push(rel);
            }
        }
    }
    all.sort();
    all
}

#[test]
fn a_directory_the_earlier_files_leave_empty_goes_with_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (over, fresh) = (tmp.path().join("over"), tmp.path().join("fresh"));
    assert!(report_into(&over, &[]).status.success());
    assert!(entries(&over).contains(&"charts/".to_string()));
    // 2025-Q4 is totals only: it draws no chart.
    for dir in [&over, &fresh] {
        assert!(report_into(dir, &["--quarter", "2025-Q4"]).status.success());
    }
    assert!(!entries(&fresh).contains(&"charts/".to_string()));
    assert_eq!(entries(&over), entries(&fresh));
    // A directory holding a user's file stays, with it.
    assert!(report_into(&over, &[]).status.success());
    std::fs::write(over.join("charts/logo.svg"), "mine\n").unwrap();
    assert!(
        report_into(&over, &["--quarter", "2025-Q4"])
            .status
            .success()
    );
    let mut want = entries(&fresh);
    want.extend(["charts/".to_string(), "charts/logo.svg".to_string()]);
    want.sort();
    assert_eq!(entries(&over), want);
    // A DIR through the directory the run removes is the same report (a
    // review: `over/charts/..` removed charts/, then could not sync
    // `over/charts/..`, and failed).
    std::fs::remove_file(over.join("charts/logo.svg")).unwrap();
    assert!(report_into(&over, &[]).status.success());
    let through = over.join("charts/..");
    let run = report_into(&through, &["--quarter", "2025-Q4"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(entries(&over), entries(&fresh));
    // Through `..` of a directory that is not there: said so, nothing made
    // (a review: "Device or resource busy", and advice to check `over`).
    let before = entries(&over);
    let through = over.join("nope/..");
    let run = report_into(&through, &[]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "Error: --out {}: {} does not exist, and the `..` after it needs it: give the \
             directory's own path\n",
            through.display(),
            over.join("nope").display()
        )
    );
    assert_eq!(entries(&over), before);
}

#[test]
fn withheld_tables_read_alike_whether_they_had_events_or_not() {
    // Without tool.failed events the failure rates have none; at k = 25 the
    // wizard and report tables are withheld too, though they had some.
    let data: String = std::fs::read_to_string("fixtures/events.jsonl")
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"tool.failed\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("events.jsonl");
    std::fs::write(&input, data).unwrap();
    let dir = tmp.path().join("r");
    bin()
        .args([
            "report",
            "-q",
            "--quarter",
            "2026-Q2",
            "--min-installations",
            "25",
            "--out",
        ])
        .arg(&dir)
        .arg(&input)
        .assert()
        .success();
    for name in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let sections: Vec<&str> = text
            .split(['#', '<'])
            .filter(|s| s.contains("Withheld"))
            .collect();
        assert!(sections.len() >= 5, "{name}: {}", sections.len());
        for section in sections {
            assert!(
                !section.contains("Values behind fewer"),
                "{name}: {section}"
            );
            // Every reason, also a table whose small values could not be
            // protected (a review: the three others were all false there).
            assert!(
                section.contains("worked out by subtraction"),
                "{name}: {section}"
            );
        }
    }
}

/// The client's own `multi_target_scan` flag restates the shapes of its
/// `target_types` (EVENTS.md), so beside the multi-target table it gave
/// what either hides (a review): 30 installations flag as they should, one
/// older client without the flag sends 4 single-target scans, hidden as
/// `null`; the table's 64 single scans less 60 `false` were those 4.
#[test]
fn the_clients_own_multi_target_flag_is_not_published() {
    let mut data = String::new();
    let mut scan = |id: &str, day: u32, meta: &str| {
        data.push_str(&format!(
            "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"platform\": \"Linux\", \"python_version\": \"3.11\", \"anonymous_id\": \"{id}\", \"timestamp\": \"2026-02-{day:02}T10:00:00Z\", \"metadata\": {{\"mode\": \"cli\", \"profile\": \"fast\", {meta}}}}}\n"
        ));
    };
    let targets = |multi: bool| {
        format!(
            "\"target_types\": {{\"repos\": 1, \"images\": {}, \"urls\": 0, \"iac\": 0, \"gitlab\": 0, \"k8s\": 0}}",
            u8::from(multi)
        )
    };
    for i in 0..30u32 {
        let multi = i % 3 == 0;
        for n in 0..3 {
            scan(
                &uuid(i),
                1 + (i + n) % 28,
                &format!("{}, \"multi_target_scan\": {multi}", targets(multi)),
            );
        }
    }
    for n in 0..4 {
        scan(&uuid(99), 2 + n, &targets(false));
    }
    let json = report(&data, &[]).json();
    // The table from the targets themselves is published...
    assert_eq!(
        rows(&json, "multi_target"),
        vec![
            ("single".into(), 64, 21, false),
            ("multi".into(), 30, 10, false)
        ]
    );
    // ... the flag's rows nowhere (the report has no table of them), its
    // denominator neither.
    assert_eq!(
        json["metrics"]["multi_target_reported"],
        serde_json::json!([])
    );
    assert!(json["denominators"]["multi_target_reported"].is_null());
}

/// Older clients send none of `scan.started`'s last five fields (EVENTS.md),
/// so a reader may know the `null` rows of those tables from elsewhere: a
/// table whose Other held its `null` row as a complement gave the cell it
/// protected away (reviews: CI's Other 12 less the `null` 8 shown beside it
/// were 2 installations' 4 scans in CI; team size's Other 9 less 6, one
/// installation's 3 scans of more than 50 targets; each table's Other 18
/// less an old version's 12 events, 3 installations' 6 scans). A `null`
/// row protects nothing, and two shown whose installations differ by fewer
/// than k are not both shown (a review: 18 less 12, 3 installations'
/// explicit `null` hints).
#[test]
fn a_null_row_another_table_shows_hides_no_complement() {
    let fields = |ci: bool, bucket: &str, hint: &str| {
        format!(
            "\"ci_detected\": {ci}, \"multi_target_scan\": false, \"compliance_usage\": {ci}, \
             \"total_targets_bucket\": \"{bucket}\", \"scan_frequency_hint\": {hint}"
        )
    };
    let full = |ci: bool, bucket: &str| fields(ci, bucket, "\"weekly\"");
    let data = |groups: &[(u32, u32, Option<String>)]| {
        let mut out = String::new();
        let mut id = 0;
        for (installations, scans, fields) in groups {
            for _ in 0..*installations {
                for n in 0..*scans {
                    let extra = fields.as_ref().map_or(String::new(), |f| format!(", {f}"));
                    out.push_str(&format!(
                        "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"platform\": \"Linux\", \"python_version\": \"3.11\", \"anonymous_id\": \"{}\", \"timestamp\": \"2026-02-{:02}T10:00:00Z\", \"metadata\": {{\"mode\": \"cli\", \"profile\": \"fast\"{extra}}}}}\n",
                        uuid(id),
                        1 + n
                    ));
                }
                id += 1;
            }
        }
        out
    };
    let ci = report(
        &data(&[
            (20, 3, Some(full(false, "1"))),
            (2, 2, Some(full(true, "1"))),
            (8, 1, None),
        ]),
        &[],
    )
    .json();
    assert_eq!(
        rows(&ci, "ci_detected"),
        vec![("null".into(), 8, 8, false), ("Other".into(), 64, 22, true)]
    );
    assert_eq!(
        rows(&ci, "targets_buckets"),
        vec![("1".into(), 64, 22, false), ("null".into(), 8, 8, false)]
    );
    let targets = report(
        &data(&[
            (20, 3, Some(full(false, "1"))),
            (1, 3, Some(full(false, ">50"))),
            (6, 1, None),
        ]),
        &[],
    )
    .json();
    assert_eq!(
        rows(&targets, "targets_buckets"),
        vec![("null".into(), 6, 6, false), ("Other".into(), 63, 21, true)]
    );
    assert_eq!(
        rows(&targets, "frequency_hints"),
        vec![
            ("weekly".into(), 63, 21, false),
            ("null".into(), 6, 6, false)
        ]
    );
    // No table shows a `null` row of its own accord: none protects a cell.
    let hidden = report(
        &data(&[
            (6, 2, None),
            (20, 3, Some(full(false, "1"))),
            (3, 2, Some(fields(true, ">50", "\"daily\""))),
        ]),
        &[],
    )
    .json();
    for name in [
        "ci_detected",
        "compliance_usage",
        "targets_buckets",
        "frequency_hints",
    ] {
        assert_eq!(
            rows(&hidden, name),
            vec![
                ("null".into(), 12, 6, false),
                ("Other".into(), 66, 23, true)
            ],
            "{name}"
        );
    }
    // Clients that send the hint as `null`, beside those that send none.
    let explicit = report(
        &data(&[
            (6, 2, None),
            (3, 2, Some(fields(false, "1", "null"))),
            (20, 3, Some(full(false, "1"))),
            (3, 2, Some(fields(false, "1", "\"daily\""))),
        ]),
        &[],
    )
    .json();
    assert_eq!(
        rows(&explicit, "ci_detected"),
        vec![
            ("false".into(), 72, 26, false),
            ("null".into(), 12, 6, false)
        ]
    );
    assert_eq!(
        rows(&explicit, "frequency_hints"),
        vec![("Other".into(), 84, 32, true)]
    );
    // The larger `null` row hidden is not an Other alone (a review: its 16
    // less the 10 shown elsewhere were 3 installations' 6 scans); nor are
    // two shown whose installations are the same but whose events are not
    // (a review: 2 of 10 old clients upgraded and sent the hint as `null`).
    let null_hint = fields(false, "1", "null");
    let alone = report(
        &data(&[
            (10, 1, None),
            (3, 2, Some(null_hint.clone())),
            (10, 3, Some(full(false, "1"))),
        ]),
        &[],
    )
    .json();
    assert_eq!(
        rows(&alone, "frequency_hints"),
        vec![("Other".into(), 46, 23, true)]
    );
    let upgraded = data(&[(10, 3, Some(full(false, "1"))), (10, 1, None)])
        + &data(&[(10, 0, None), (2, 2, Some(null_hint))]);
    let upgraded = report(&upgraded, &[]).json();
    assert_eq!(
        rows(&upgraded, "ci_detected"),
        vec![
            ("false".into(), 34, 12, false),
            ("null".into(), 10, 10, false)
        ]
    );
    assert_eq!(
        rows(&upgraded, "frequency_hints"),
        vec![("Other".into(), 44, 20, true)]
    );
}

#[test]
fn the_report_names_the_flags_that_make_it_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let flags = [
        "--min-installations",
        "7",
        "--population",
        "500",
        "--version",
        "1.0",
        "--exclude-ci",
        "--include-test",
    ];
    assert!(report_into(&dir, &flags).status.success());
    let line = "jmo-analyze report FILE --quarter 2026-Q2 --min-installations 7 \
                --population 500 --version=1.0 --exclude-ci --include-test";
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains(&format!("(`{line}`)")), "{md}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains(&format!("(<code>{line}</code>)")));
    // The previous quarter is counted as this one is (a review: "fewer
    // than 20 installations" for a quarter with more, none on the version).
    assert!(
        md.contains(
            "No breakdown is compared with 2026-Q1: that quarter has fewer than 20 installations \
             on JMo version `1.0`, counting what --exclude-ci keeps."
        ),
        "{md}"
    );
    // Why the completion rate is a dash, beside it (a review: the legend's
    // "withheld, or nothing to compare" was untrue of it).
    assert!(
        md.contains(
            "| Completion rate (scans completed / scans started) | – (not computed: \
             --exclude-ci and --version can split a scan's events; see the methodology) | – | – |"
        ),
        "{md}"
    );
}

#[test]
fn a_quarter_without_events_is_reported_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    bin()
        .args([
            "report",
            "fixtures/events.jsonl",
            "--quarter",
            "2024-Q1",
            "--out",
        ])
        .arg(tmp.path().join("r"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: no usage event of fixtures/events.jsonl falls in 2024-Q1: check --quarter; \
             its usage events are from 2025-10-19 to 2026-06-25 after it (the report",
        ));
    // A version that left out everything is named, and an empty one is
    // refused (a review: both were told to check --quarter).
    let out = bin()
        .args(["report", "fixtures/events.jsonl", "--quarter", "2026-Q2"])
        .args(["--version", "9.9", "--out"])
        .arg(tmp.path().join("v"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("in 2026-Q2 passes --version 9.9: check --quarter, --version (the report"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its banner counts what the version keeps (a review: "fewer than 5
    // installations sent events" for a quarter of 71).
    let md = std::fs::read_to_string(tmp.path().join("v/report.md")).unwrap();
    assert!(
        md.contains(
            "fewer than 5 installations sent events in 2026-Q2 on JMo version `9.9`, and this \
             report needs"
        ),
        "{md}"
    );
    // The version is the user's text: in a code span (a review: HTML and a
    // Markdown link reached report.md as they were).
    let run = report_into(
        &tmp.path().join("h"),
        &["--version", "x<img src=y>[l](http://x)"],
    );
    assert!(run.status.success());
    let md = std::fs::read_to_string(tmp.path().join("h/report.md")).unwrap();
    assert!(
        md.contains("on JMo version `x<img src=y>[l](http://x)`, and this"),
        "{md}"
    );
    // A backtick in it: the reproducible command keeps it (a longer fence),
    // the methodology and the banner show it as a code span, in HTML too,
    // the backtick as its escape (as `'` it read as a version `a'b`).
    assert!(
        report_into(&tmp.path().join("b"), &["--version", "a`b"])
            .status
            .success()
    );
    let md = std::fs::read_to_string(tmp.path().join("b/report.md")).unwrap();
    assert!(
        md.contains("(``jmo-analyze report FILE --quarter 2026-Q2 --version='a`b'``).")
            && md.contains(
                "- Only JMo version `a\\u{60}b` and the versions that start with `a\\u{60}b.` or \
                 `a\\u{60}b-`."
            )
            && md.contains("on JMo version `a\\u{60}b`, and this report needs"),
        "{md}"
    );
    let html = std::fs::read_to_string(tmp.path().join("b/report.html")).unwrap();
    assert!(
        html.contains("on JMo version <code>a\\u{60}b</code>, and this report needs")
            && html.contains(
                "Only JMo version <code>a\\u{60}b</code> and the versions that start with"
            ),
        "{html}"
    );
    // Control characters can match no version: refused.
    assert_eq!(
        report_into(&tmp.path().join("c"), &["--version", "x\u{1b}[31m"])
            .status
            .code(),
        Some(2)
    );
    let out = report_into(&tmp.path().join("e"), &["--version", ""]);
    assert_eq!(out.status.code(), Some(2));
    // A file of test and marker lines only holds no usage event at all.
    let markers = tmp.path().join("markers.jsonl");
    let text = std::fs::read_to_string("fixtures/events.jsonl").unwrap();
    let head: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"telemetry.initialized\"") || l.contains("\"event\": \"test\""))
        .collect();
    assert!(!head.is_empty());
    std::fs::write(&markers, head.join("\n")).unwrap();
    let out = bin()
        .args(["report"])
        .arg(&markers)
        .args(["--quarter", "2026-Q1", "--out"])
        .arg(tmp.path().join("m"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds no usage event, only test and marker events"),
        "{err}"
    );
    // Under --include-test its test events are usage events: a quarter
    // without them is the quarter's fault (a review), and --exclude-ci is
    // named when given.
    let out = bin()
        .args(["report"])
        .arg(&markers)
        .args([
            "--quarter",
            "2024-Q1",
            "--include-test",
            "--exclude-ci",
            "--out",
        ])
        .arg(tmp.path().join("t"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in 2024-Q1 passes --exclude-ci: check --quarter, --exclude-ci"),
        "{err}"
    );
}

#[test]
fn a_quarter_threshold_below_k_is_said_to_be_k() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        bin()
            .args(["report", "fixtures/events.jsonl", "--quarter", "2026-Q2"])
            .args(["--min-quarter-installations", "3", "--out"])
            .arg(tmp.path().join("r"))
            .args(extra)
            .assert()
            .success()
    };
    run(&[]).stderr(predicate::str::contains(
        "note: --min-quarter-installations 3 is below --min-installations 5: breakdowns need \
         at least 5 installations in the quarter (the report's methodology says so)\n",
    ));
    run(&["--min-installations", "3"]).stderr(predicate::str::contains("note:").not());
    // A k of 0 says what k is (a review: "0 is not in 1..18446744073709551615").
    bin()
        .args(["report", "fixtures/events.jsonl", "--quarter", "2026-Q2"])
        .args(["--min-installations", "0", "--out"])
        .arg(tmp.path().join("z"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value '0' for '--min-installations <K>': give k, a number of installations \
             from 1 to 18446744073709551615 (the default is 5; 1 hides nothing)",
        ));
    // Not given, the default is not said to be (a review).
    bin()
        .args(["report", "fixtures/events.jsonl", "--quarter", "2026-Q2"])
        .args(["--min-installations", "25", "--out"])
        .arg(tmp.path().join("d"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: --min-installations 25 is above --min-quarter-installations' default, 20: \
             breakdowns need at least 25 installations in the quarter (the report's methodology \
             says so)\n",
        ));
    run(&["--quiet"]).stderr("");
    let methodology = std::fs::read_to_string(tmp.path().join("r/report.md")).unwrap();
    assert!(
        methodology.contains("at least 5 installations (`--min-quarter-installations`)"),
        "{methodology}"
    );
    // summary.json says the threshold applied, as the methodology does (a
    // review: it said 3); the command line to make it again, the flag given.
    let json: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("r/summary.json")).unwrap()).unwrap();
    assert_eq!(
        json["report"]["privacy"],
        serde_json::json!({"min_installations": 5, "min_quarter_installations": 5})
    );
    assert!(
        methodology.contains("--min-quarter-installations 3"),
        "{methodology}"
    );
}

#[test]
fn a_bad_generation_date_says_what_to_write() {
    let tmp = tempfile::tempdir().unwrap();
    // A year before 1 would be written into the report's command line,
    // where it reads as a flag (a review).
    for (date, why) in [
        (
            "2026-13-01",
            "`2026-13-01` is not a date (input is out of range): use YYYY-MM-DD, e.g. 2026-07-01",
        ),
        (
            "-0001-01-01",
            "`-0001-01-01` is not in the years 1 to 9999: use YYYY-MM-DD, e.g. 2026-07-01",
        ),
        (
            "0000-01-01",
            "`0000-01-01` is not in the years 1 to 9999: use YYYY-MM-DD, e.g. 2026-07-01",
        ),
        (
            " 2026-04-02",
            "` 2026-04-02` has spaces at its ends: give the date alone",
        ),
        // Before the quarter begins: a typo (the report would say it was
        // made before any of its events).
        (
            "2026-03-31",
            "--generated-on 2026-03-31 is before 2026-Q2 begins (2026-04-01): give the day the report is made, after the quarter",
        ),
    ] {
        bin()
            .args(["report", "fixtures/events.jsonl", "--quarter", "2026-Q2"])
            .arg(format!("--generated-on={date}"))
            .arg("--out")
            .arg(tmp.path().join("r"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(why));
        assert!(!tmp.path().join("r").exists());
    }
}

/// A generation day inside the quarter is a preview: told, not refused;
/// the day after the quarter is silent.
#[test]
fn a_generation_date_inside_the_quarter_is_told() {
    let tmp = tempfile::tempdir().unwrap();
    for (date, warned) in [
        ("2026-04-01", true),
        ("2026-06-30", true),
        ("2026-07-01", false),
    ] {
        let out = bin()
            .args(["report", "fixtures/events.jsonl", "--quarter", "2026-Q2"])
            .args(["--generated-on", date, "--out"])
            .arg(tmp.path().join(date))
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let warning = format!(
            "warning: --generated-on {date} is inside 2026-Q2, which ends on 2026-06-30: the report will say it was made before its quarter was over"
        );
        assert_eq!(stderr.contains(&warning), warned, "{stderr}");
        let md = std::fs::read_to_string(tmp.path().join(date).join("report.md")).unwrap();
        assert!(md.contains(&format!("**Generated on:** {date}")));
    }
}

/// A file on the way to --out is named (a review: "cannot create the
/// directory: File exists (os error 17)").
#[test]
fn a_file_on_the_way_to_the_report_directory_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("afile");
    std::fs::write(&file, "mine").unwrap();
    let out = report_into(&file.join("sub").join("deeper"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{} is a file, not a directory: choose another path",
            file.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // A link to nothing, on the way or as the directory itself.
    #[cfg(unix)]
    {
        let link = tmp.path().join("dangling");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
        for out in [link.join("sub"), link.clone()] {
            let run = report_into(&out, &[]);
            assert_eq!(run.status.code(), Some(1));
            let err = String::from_utf8_lossy(&run.stderr);
            assert!(
                err.contains(&format!("{} is a link to nothing", link.display())),
                "{err}"
            );
        }
        assert!(!tmp.path().join("nowhere").exists());
        // A loop of links is no link to nothing (a review).
        let (a, b) = (tmp.path().join("loopa"), tmp.path().join("loopb"));
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let run = report_into(&a.join("x"), &[]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            err.contains(&format!("{} cannot be followed (", a.display())),
            "{err}"
        );
    }
}

#[test]
fn a_file_where_a_report_directory_must_be_stops_it_before_anything_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("o");
    assert!(report_into(&dir, &[]).status.success());
    std::fs::remove_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data"), "x").unwrap();
    let before = files(&dir);
    let out = report_into(&dir, &["--quarter", "2026-Q1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a directory"));
    assert_eq!(files(&dir), before);
    // Nor is the staging directory left in it.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_report_that_fails_leaves_the_earlier_one_and_makes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    assert!(report_into(&dir, &[]).status.success());
    let before = files(&dir);
    // Fails after the report is built: fewer installations known than seen
    // (a usage error, exit 2, found only once the file is read).
    let out = report_into(&dir, &["--population", "1", "--min-installations", "25"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(files(&dir), before);
    let new = tmp.path().join("new");
    assert_eq!(
        report_into(&new, &["--population", "1"]).status.code(),
        Some(2)
    );
    assert!(!new.exists());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn output_is_byte_identical_and_dated_only_on_request() {
    let data = dataset();
    let a = report(&data, &[]).all();
    let b = report(&data, &[]).all();
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two runs");
    }
    for name in [
        "report.md",
        "report.html",
        "summary.json",
        "charts/activity.svg",
        "charts/activity.png",
        "data/platforms.csv",
        "sample-events.json",
    ] {
        assert!(a.contains_key(name), "missing {name}");
    }
    assert!(!String::from_utf8_lossy(&a["report.md"]).contains("Generated on"));
    let dated = report(&data, &["--generated-on", "2026-04-02"]);
    assert!(
        dated
            .file("report.md")
            .contains("- **Generated on:** 2026-04-02")
    );
    assert_eq!(dated.json()["report"]["generated_on"], "2026-04-02");
}

#[test]
fn opt_in_rate_needs_a_population() {
    let run = report(&dataset(), &[]);
    assert!(run.file("report.md").contains("Opt-in rate: unknown."));
    let run = report(&dataset(), &["--population", "120"]);
    let json = run.json();
    let f = json["report"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "opt_in_rate")
        .unwrap()
        .clone();
    assert_eq!(f["rate"], 0.25);
    assert!((f["interval"]["low"].as_f64().unwrap() - 0.1809).abs() < 1e-3);
    // The previous quarter's, as its own report publishes it (a review:
    // always a dash): 30 of 120 then too, no clear change.
    let before = report(&dataset(), &["--population", "120", "--quarter", "2025-Q4"]).json();
    let b = figure(&before, "opt_in_rate");
    assert_eq!(f["previous_rate"], b["rate"]);
    assert_eq!(f["previous_interval"], b["interval"]);
    assert_eq!(f["previous_rate"], 0.25);
    assert_eq!(f["change"], "no_clear_change");
    let md = run.file("report.md");
    let row = md.lines().find(|l| l.starts_with("| Opt-in rate")).unwrap();
    assert_eq!(row.matches("25.0% (").count(), 2, "{row}");
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("e.jsonl");
    std::fs::write(&input, dataset()).unwrap();
    let out = bin()
        .arg("report")
        .arg(&input)
        .args(["--quarter", "2026-Q1", "--population", "10", "--out"])
        .arg(tmp.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--population 10 is smaller than the 30 installations")
    );
    assert!(!tmp.path().join("o").exists());
    // `-` names no directory here (it made one named `-`).
    let out = bin()
        .current_dir(tmp.path())
        .arg("report")
        .arg(&input)
        .args(["--quarter", "2026-Q1", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out - names a directory"));
    assert!(!tmp.path().join("-").exists());
}

#[test]
fn too_few_installations_publish_totals_only() {
    let run = report(&dataset(), &["--min-quarter-installations", "31"]);
    let md = run.file("report.md");
    assert!(md.contains("The data is not yet significant: 30 installations sent events in 2026-Q1, and this report needs 31"));
    assert!(!md.contains("## Breakdowns") && !md.contains("| Linux"));
    let json = run.json();
    assert_eq!(json["report"]["significant"], false);
    assert_eq!(json["totals"]["unique_ids"], 30);
    assert!(
        json["metrics"]
            .as_object()
            .unwrap()
            .values()
            .all(|rows| rows.as_array().unwrap().is_empty())
    );
    let all = run.all();
    assert!(
        all.keys().all(|k| !k.starts_with("charts/")),
        "{:?}",
        all.keys()
    );
    let samples: Value = serde_json::from_str(&run.file("sample-events.json")).unwrap();
    assert!(samples["events"].as_array().unwrap().is_empty());
}

/// The previous quarter's key figures are those its own report publishes,
/// also when it had too few installations for breakdowns (a review: its
/// totals-only report printed 19 installations, the next report a dash).
#[test]
fn the_previous_quarters_totals_are_compared_when_its_breakdowns_are_not() {
    // 2025-Q4 keeps 12 of its 30 installations: under the 20 breakdowns
    // need, over k = 5.
    let few: String = dataset()
        .lines()
        .filter(|l| !l.contains("\"2025-11-") || (12..30).all(|i| !l.contains(&uuid(i))))
        .map(|l| format!("{l}\n"))
        .collect();
    let now = report(&few, &[]);
    let before = report(&few, &["--quarter", "2025-Q4"]);
    let (now_json, before_json) = (now.json(), before.json());
    assert_eq!(now_json["report"]["previous_has_data"], false);
    assert_eq!(before_json["report"]["significant"], false);
    let keys = [
        "installations",
        "usage_events",
        "scans_started",
        "scans_completed",
        "completion_rate",
    ];
    for key in keys {
        let (a, b) = (figure(&now_json, key), figure(&before_json, key));
        assert_eq!(a["previous"], b["value"], "{key}");
        assert_eq!(a["previous_rate"], b["rate"], "{key}");
        assert_eq!(a["previous_interval"], b["interval"], "{key}");
    }
    assert_eq!(figure(&now_json, "installations")["previous"], 12);
    assert_eq!(figure(&now_json, "usage_events")["previous"], 48);
    let md = now.file("report.md");
    assert!(
        md.contains("| Installations (unique anonymous IDs) | 30 | 12 | +150.0% |"),
        "{md}"
    );
    let rate = (md.lines())
        .find(|l| l.starts_with("| Completion rate"))
        .unwrap();
    assert_eq!(rate.matches("100.0% (").count(), 2, "{rate}");
    assert!(!md.contains("| Usage events | 120 | – |"), "{md}");
    // Below k, the previous column is withheld as its own report withholds it.
    let tiny: String = dataset()
        .lines()
        .filter(|l| !l.contains("\"2025-11-") || (3..30).all(|i| !l.contains(&uuid(i))))
        .map(|l| format!("{l}\n"))
        .collect();
    let json = report(&tiny, &[]).json();
    for key in keys {
        let f = figure(&json, key);
        assert!(
            f["previous"].is_null() && f["previous_rate"].is_null(),
            "{key}: {f}"
        );
    }
}

/// A previous quarter's completion rate is shown where this quarter has
/// none (a review: drawn as counts, it was a dash), and its significant
/// change against a totals-only quarter is an insight (a review: left out).
#[test]
fn the_previous_completion_rate_is_shown_and_compared_against_a_totals_only_quarter() {
    let meta = r#"{"mode": "cli", "profile": "fast", "duration_bucket": "<5min"}"#;
    let scans = |data: &mut String, id: u32, day: &str, started: usize, completed: usize| {
        for n in 0..started {
            let ts = format!("{day}T10:0{n}:00Z");
            data.push_str(&event_line("scan.started", id, &ts, "1.0.0", meta));
            if n < completed {
                data.push_str(&event_line("scan.completed", id, &ts, "1.0.0", meta));
            }
        }
    };
    // 2025-Q4: 12 installations, 24 of 24 scans completed (totals only).
    let mut before = String::new();
    for id in 0..12 {
        scans(&mut before, id, "2025-11-10", 2, 2);
    }
    // 2026-Q1 with 3 installations: no rate of its own.
    let mut few = before.clone();
    for id in 100..103 {
        scans(&mut few, id, "2026-02-10", 1, 1);
    }
    let md = report(&few, &[]).file("report.md");
    let rate = (md.lines())
        .find(|l| l.starts_with("| Completion rate"))
        .unwrap();
    assert_eq!(
        rate,
        "| Completion rate (scans completed / scans started) | – | 100.0% (86.2–100.0%) | – |"
    );
    // 2026-Q1 with 25 installations, 25 of 50 completed: a fall.
    let mut now = String::new();
    for id in 100..125 {
        scans(&mut now, id, "2026-02-10", 2, 1);
    }
    // Against an empty quarter (whose only published total is a 0 of
    // usage events), no comparison of totals is claimed (a review).
    let alone = insights_of(&report(&now, &[]).json());
    assert!(
        alone.contains(
            &"No breakdown is compared with 2025-Q4: that quarter has fewer than 20 installations."
                .to_string()
        ),
        "{alone:?}"
    );
    let many = before + &now;
    let json = report(&many, &[]).json();
    let insights = insights_of(&json);
    assert!(
        insights.contains(
            &"The completion rate fell from 100.0% to 50.0%; the 95% intervals do not overlap."
                .to_string()
        ),
        "{insights:?}"
    );
    assert!(
        insights.contains(&"No breakdown is compared with 2025-Q4: that quarter has fewer than 20 installations (the key figures compare the totals it publishes).".to_string()),
        "{insights:?}"
    );
}

#[test]
fn the_summary_part_matches_summary_quarter() {
    let run = report(&dataset(), &[]);
    let json = run.json();
    let truth = truth(&run.input);
    assert_eq!(json["schema"], "jmo-analyze.summary/1");
    assert_eq!(json["totals"], truth["totals"]);
    for k in ["sha256", "lines", "valid_events", "filtered_out"] {
        assert_eq!(json["input"][k], truth["input"][k], "input.{k}");
    }
    assert_eq!(
        json["input"]["source"], "events.jsonl",
        "no directory in a public file"
    );
    assert_eq!(json["report"]["ledger"]["outside_quarter"], 120);
}

#[test]
fn bad_flags_name_the_fix() {
    let out = bin()
        .args(["report", "x.jsonl", "--quarter", "2026-Q5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("YEAR-Qn"));
    let out = bin()
        .args([
            "report",
            "/nonexistent/events.jsonl",
            "--quarter",
            "2026-Q1",
            "--out",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}

#[test]
fn summary_writes_charts_as_svg_and_png() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("e.jsonl");
    std::fs::write(&input, dataset()).unwrap();
    let charts = tmp.path().join("charts");
    let out = bin()
        .arg("summary")
        .arg(&input)
        .args(["--format", "json", "--charts"])
        .arg(&charts)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = files(&charts).into_keys().collect();
    let stems = [
        "activity",
        "durations_by_profile",
        "modes",
        "output_formats",
        "platforms",
        "profiles",
        "tool_failure_rates",
        "version_adoption",
    ];
    let want: Vec<String> = stems
        .iter()
        .flat_map(|s| [format!("{s}.png"), format!("{s}.svg")])
        .collect();
    assert_eq!(names, want);
    // The summary is unfiltered by privacy rules: the small platform is there.
    let svg = std::fs::read_to_string(charts.join("platforms.svg")).unwrap();
    assert!(svg.contains("Haiku") && svg.contains("Platforms"));
    let png = std::fs::read(charts.join("platforms.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
}

/// A client's profile "null" is not the group of events without a profile,
/// though both read `null`: 10 installations finish a scan without a
/// profile and 1 under the profile "null", all in `<5min`. The summary
/// tells the groups apart (JSON null, and the string "null"), each a whole
/// group (share 1); the report checks the one installation as a small cell
/// of its own instead of with the ten, and publishes no row about fewer
/// than k installations (here no row at all: every group has one cell, so
/// each group's total would give its cell away).
#[test]
fn a_profile_named_null_is_not_the_missing_profile() {
    let mut data = String::new();
    let mut done = |id: u32, profile: &str| {
        data.push_str(&format!(
            "{{\"event\": \"scan.completed\", \"version\": \"1.0.0\", \"platform\": \"Linux\", \"python_version\": \"3.11\", \"anonymous_id\": \"{}\", \"timestamp\": \"2026-02-03T10:00:00+00:00\", \"metadata\": {{\"mode\": \"cli\", {profile}\"duration_bucket\": \"<5min\", \"tools_succeeded\": 3, \"tools_failed\": 0, \"total_findings_bucket\": \"0\"}}}}\n",
            uuid(id)
        ));
    };
    for i in 0..40 {
        done(i, "\"profile\": \"fast\", ");
    }
    for i in 40..50 {
        done(i, "");
    }
    done(50, "\"profile\": \"null\", ");
    let run = report(&data, &["--min-quarter-installations", "1"]);

    let out = bin()
        .args(["summary", "--format", "json"])
        .arg(&run.input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<(Value, u64, f64)> = summary["metrics"]["duration_buckets_by_profile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["group"].clone(),
                r["installations"].as_u64().unwrap(),
                r["share"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Value::from("fast"), 40, 1.0),
            (Value::Null, 10, 1.0),
            (Value::from("null"), 1, 1.0),
        ]
    );

    let json = run.json();
    let t = table(&json, "duration_buckets_by_profile");
    for r in t["rows"].as_array().unwrap() {
        assert!(r["installations"].as_u64().unwrap() >= 5, "{r}");
    }
}

/// The largest-value insight leaves out the missing value, not a client's
/// string "null" (a review: skipped by its text, the insight named fast at
/// 40 % beside a client's "null" at 60 %).
#[test]
fn the_largest_insight_skips_only_the_missing_value() {
    let data = |null: &str| {
        let mut data = String::new();
        for i in 0..25u32 {
            let meta = if i < 15 {
                format!(r#"{{"mode": "cli"{null}}}"#)
            } else {
                r#"{"mode": "cli", "profile": "fast"}"#.to_string()
            };
            data += &event_line("scan.started", i, "2026-02-10T10:00:00Z", "1.0.0", &meta);
        }
        data
    };
    let insights = |run: &Run| -> String { insights_of(&run.json()).join("\n") };
    let client = insights(&report(&data(r#", "profile": "null""#), &[]));
    assert!(
        client.contains("`\"null\"` is the largest, with 60.0%"),
        "{client}"
    );
    let missing = insights(&report(&data(""), &[]));
    assert!(
        missing.contains("`fast` is the largest, with 40.0%"),
        "{missing}"
    );
}

/// The insights of a report's summary.json.
fn insights_of(json: &Value) -> Vec<String> {
    json["report"]["insights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_owned())
        .collect()
}

/// A value is "the largest" only when the values not shown together are
/// smaller; else it is the largest shown (a review: cli at 37.3 % "the
/// largest" while docker, 59.7 %, was inside Other, hidden beside wizard's
/// two installations).
#[test]
fn the_largest_insight_claims_no_more_than_the_shown_values_tell() {
    let mut data = String::new();
    let at = "2026-02-10T10:00:00Z";
    let mode = |m: &str| format!(r#"{{"mode": "{m}", "profile": "fast"}}"#);
    for i in 0..25u32 {
        data += &event_line("scan.started", i, at, "1.0.0", &mode("cli"));
    }
    for i in 100..120u32 {
        for _ in 0..2 {
            data += &event_line("scan.started", i, at, "1.0.0", &mode("docker"));
        }
    }
    for i in 200..202u32 {
        data += &event_line("scan.started", i, at, "1.0.0", &mode("wizard"));
    }
    let insights = insights_of(&report(&data, &[]).json());
    let modes = insights
        .iter()
        .find(|i| i.starts_with("Execution modes"))
        .unwrap_or_else(|| panic!("{insights:?}"));
    assert!(
        modes.contains("`cli` is the largest value shown, with 37.3%")
            && modes.ends_with("the values not shown make up 62.7%."),
        "{modes}"
    );
    // Profiles: one value, nothing hidden: the largest.
    assert!(
        insights
            .iter()
            .any(|i| i.contains("`fast` is the largest, with 100.0%")),
        "{insights:?}"
    );
}

/// A tool that nearly every installation enabled is hidden in the tools
/// table, and so in the failure rates: the note under both says why (a
/// review: the failure rates' note gave neither reason for trivy).
#[test]
fn the_failure_rates_note_names_the_values_nearly_everyone_sent() {
    let mut data = String::new();
    for i in 1..=25u32 {
        let tools = if i <= 23 {
            r#"["semgrep", "trivy"]"#
        } else {
            r#"["semgrep"]"#
        };
        for day in ["2026-05-04", "2026-05-11"] {
            let at = format!("{day}T10:00:00Z");
            let meta = format!(r#"{{"mode": "cli", "profile": "balanced", "tools": {tools}}}"#);
            data += &event_line("scan.started", i, &at, "1.0.0", &meta);
        }
        for (tool, last) in [("trivy", 10), ("semgrep", 8)] {
            if i <= last {
                let meta = format!(r#"{{"tool": "{tool}", "failure_type": "timeout"}}"#);
                data += &event_line("tool.failed", i, "2026-05-04T10:05:00Z", "1.0.0", &meta);
            }
        }
    }
    let run = report(&data, &["--quarter", "2026-Q2"]);
    let md = String::from_utf8(run.all()["report.md"].clone()).unwrap();
    let section = |title: &str| -> String {
        let at = md.find(title).unwrap_or_else(|| panic!("no {title}: {md}"));
        let rest = &md[at..];
        rest[..rest[3..].find("\n### ").map_or(rest.len(), |e| e + 3)].to_owned()
    };
    for title in ["### Tools enabled", "### Tool reliability"] {
        let text = section(title);
        assert!(
            text.contains("nor values all but fewer than 5 of the installations sent"),
            "{text}"
        );
        assert!(!text.contains("| trivy |"), "{text}");
    }
}

/// An adoption insight says how many scans did not say (a review: "16.9 %
/// of scans started ran in CI/CD" where 27 % of the base was unknown).
#[test]
fn an_adoption_insight_says_how_many_did_not_say() {
    // The CI insight of scans from installations 0.., `yes` saying true,
    // `no` false, the rest nothing.
    let ci_insight = |yes: u32, no: u32, unknown: u32| {
        let mut data = String::new();
        for i in 0..yes + no + unknown {
            let meta = match i {
                i if i < yes => r#"{"mode": "cli", "ci_detected": true}"#,
                i if i < yes + no => r#"{"mode": "cli", "ci_detected": false}"#,
                _ => r#"{"mode": "cli"}"#,
            };
            data += &event_line("scan.started", i, "2026-02-10T10:00:00Z", "1.0.0", meta);
        }
        let insights = insights_of(&report(&data, &[]).json());
        (insights.iter())
            .find(|i| i.contains("ran in CI/CD"))
            .unwrap_or_else(|| panic!("{insights:?}"))
            .clone()
    };
    let ci = ci_insight(6, 12, 12);
    assert!(
        ci.starts_with("20.0% of scans started ran in CI/CD (")
            && ci.ends_with("). 40.0% did not say."),
        "{ci}"
    );
    // Three installations did not say: their row is hidden, and `false`
    // with it (else Other would be about three), so the unknown is inside
    // Other, which the insight names (a review).
    let ci = ci_insight(20, 6, 3);
    assert!(
        ci.starts_with("69.0% of scans started ran in CI/CD (")
            && ci.ends_with("). 31.0% had a value not shown or did not say."),
        "{ci}"
    );
}

/// The report's output-formats chart says what its share is over: every
/// report.generated event, one without a list counting as none (a review:
/// "with a format list" beside 363 events, 3 of them without one).
#[test]
fn the_output_formats_chart_names_its_denominator() {
    let mut data = String::new();
    let at = "2026-02-10T10:00:00Z";
    for i in 0..30u32 {
        let meta = r#"{"output_formats": ["json"], "suppressions_used": false}"#;
        data += &event_line("report.generated", i, at, "1.0.0", meta);
    }
    for i in 0..3u32 {
        data += &event_line(
            "report.generated",
            100 + i,
            at,
            "1.0.0",
            r#"{"suppressions_used": false}"#,
        );
    }
    let all = report(&data, &[]).all();
    let svg = String::from_utf8(all["charts/output_formats.svg"].clone()).unwrap();
    // Whole: within the 88 characters a subtitle shows (a review: a longer
    // one lost its note on the whiskers).
    assert!(
        svg.contains(
            "All 33 report.generated events, with or without a list; 95% Wilson whiskers\n"
        ),
        "{svg}"
    );
    assert!(
        !svg.contains("with a format list") && !svg.contains('…'),
        "{svg}"
    );
}

// ------------------------------------------------- attacks across outputs
//
// A reader who holds every published file and subtracts one published total
// from another must learn nothing about fewer than k installations (a
// review's attacks, each on data built for it; k = 5).

/// One event line: `meta` is the metadata object's text.
fn event_line(event: &str, id: u32, ts: &str, version: &str, meta: &str) -> String {
    format!(
        "{{\"event\": \"{event}\", \"version\": \"{version}\", \"platform\": \"Linux\", \
         \"python_version\": \"3.11\", \"anonymous_id\": \"{}\", \"timestamp\": \"{ts}\", \
         \"metadata\": {meta}}}\n",
        uuid(id)
    )
}

fn figure(json: &Value, key: &str) -> Value {
    json["report"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap()
        .clone()
}

/// Event types from 3 installations (7 wizard runs, 4 reports) are folded
/// into Other in the event-type table; the key figures, the wizard and
/// report tables' "Share of N" and the denominators gave each count.
#[test]
fn a_hidden_event_type_count_is_in_no_figure_or_denominator() {
    let mut data = String::new();
    for i in 0..30 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
        data += &event_line("scan.completed", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
    }
    for (i, runs) in [(100, 3), (101, 2), (102, 2)] {
        for n in 0..runs {
            let ts = format!("2026-01-0{}T10:00:00Z", 3 + n);
            let meta = r#"{"profile_selected": "fast", "duration_seconds": 60}"#;
            data += &event_line("wizard.completed", i, &ts, "1.0.0", meta);
        }
    }
    for (i, runs) in [(200, 2), (201, 1), (202, 1)] {
        for n in 0..runs {
            let ts = format!("2026-01-0{}T10:00:00Z", 3 + n);
            let meta = r#"{"output_formats": ["json"], "suppressions_used": false}"#;
            data += &event_line("report.generated", i, &ts, "1.0.0", meta);
        }
    }
    let run = report(&data, &[]);
    let json = run.json();
    let types = rows(&json, "event_types");
    assert_eq!(
        types.iter().find(|r| r.3).map(|r| (r.1, r.2)),
        Some((11, 6)),
        "{types:?}"
    );
    assert_eq!(figure(&json, "wizard_runs")["value"], Value::Null);
    assert_eq!(figure(&json, "scans_completed")["value"], 30);
    for (name, metric) in [
        ("wizard_profiles", "wizard_profiles"),
        ("output_formats", "output_formats"),
        ("suppressions_used", "suppressions_used"),
    ] {
        let t = table(&json, name);
        assert_eq!(t["withheld"], true, "{name}");
        assert_eq!(t["denominator"], Value::Null, "{name}");
        assert!(t["rows"].as_array().unwrap().is_empty(), "{name}");
        assert_eq!(json["denominators"][metric], Value::Null, "{metric}");
    }
    assert_eq!(json["denominators"]["wizard_duration"], Value::Null);
    assert_eq!(json["denominators"]["modes"], 30);
    // A type with no events at all reads the same ("Withheld" beside "Share
    // of 0" said a hidden type had some).
    assert_eq!(table(&json, "tool_failure_rates")["withheld"], true);
    assert_eq!(
        table(&json, "tool_failure_rates")["about"],
        table(&json, "wizard_profiles")["about"]
    );
    let md = run.file("report.md");
    for leak in ["Share of 7 ", "Share of 4 ", "| 7 |", "| 4 |"] {
        assert!(!md.contains(leak), "report.md has {leak:?}");
    }
    assert!(md.contains("| Wizard runs (wizard.completed events) | – |"));
}

/// Wizard runs from 3 installations are hidden in the event-type table, and
/// so is, as their complement, report.generated (6 installations): its own
/// tables, about enough installations, would still give its count.
#[test]
fn a_metric_of_an_event_type_hidden_as_a_complement_is_withheld() {
    let mut data = String::new();
    for i in 0..30 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
    }
    for i in 100..103 {
        let meta = r#"{"profile_selected": "fast", "duration_seconds": 60}"#;
        data += &event_line("wizard.completed", i, "2026-01-05T10:00:00Z", "1.0.0", meta);
    }
    for i in 200..206 {
        let meta = r#"{"output_formats": ["json"], "suppressions_used": false}"#;
        data += &event_line("report.generated", i, "2026-01-06T10:00:00Z", "1.0.0", meta);
    }
    let json = report(&data, &[]).json();
    let types = rows(&json, "event_types");
    assert_eq!(
        types.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["scan.started", "Other"],
        "{types:?}"
    );
    for name in ["suppressions_used", "output_formats"] {
        let t = table(&json, name);
        assert_eq!(t["withheld"], true, "{name}");
        assert_eq!(t["denominator"], Value::Null, "{name}");
        assert!(t["rows"].as_array().unwrap().is_empty(), "{name}");
        assert_eq!(json["denominators"][name], Value::Null, "{name}");
        assert!(
            json["metrics"][name].as_array().unwrap().is_empty(),
            "{name}"
        );
    }
    assert_eq!(table(&json, "modes")["withheld"], false);
}

/// Three installations of profile `deep` ran 9 scans over 30 minutes: the
/// durations-by-profile table left their group out, and its total (65)
/// less its groups' rows (56) gave 9 events of 3 installations. Now what no
/// published group accounts for is about at least k installations.
#[test]
fn the_groups_a_grouped_table_leaves_out_are_about_k_installations() {
    let mut data = String::new();
    let meta = |profile: &str, duration: &str| {
        format!(r#"{{"mode": "cli", "profile": "{profile}", "duration_bucket": "{duration}"}}"#)
    };
    let mut installations: BTreeMap<&str, u64> = BTreeMap::new();
    for i in 0..40u32 {
        let profile = if i % 2 == 1 { "fast" } else { "balanced" };
        *installations.entry(profile).or_default() += 1;
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        data += &event_line("scan.completed", i, &ts, "1.0.0", &meta(profile, "<5min"));
        if i < 16 {
            data += &event_line("scan.completed", i, &ts, "1.0.0", &meta(profile, "5-15min"));
        }
    }
    installations.insert("deep", 3);
    for i in 100..103u32 {
        for n in 0..3 {
            let ts = format!("2026-03-0{}T10:00:00Z", 1 + n);
            data += &event_line("scan.completed", i, &ts, "1.0.0", &meta("deep", ">30min"));
        }
    }
    let json = report(&data, &[]).json();
    let t = table(&json, "duration_buckets_by_profile");
    let shown: BTreeSet<&str> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    let events: u64 = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["events"].as_u64().unwrap())
        .sum();
    let left_out: u64 = installations
        .iter()
        .filter(|(g, _)| !shown.contains(*g))
        .map(|(_, n)| n)
        .sum();
    assert!(!shown.contains("deep"));
    assert!(
        events == 65 || left_out >= 5,
        "65 - {events} events are about {left_out} installations"
    );
    // The one-dimensional table hides >30min and a complement: the grouped
    // table does not give the complement's total either.
    let one_d = rows(&json, "duration_buckets");
    let hidden: Vec<&str> = ["<5min", "5-15min", ">30min"]
        .into_iter()
        .filter(|v| !one_d.iter().any(|r| r.0 == *v))
        .collect();
    assert_eq!(hidden.len(), 2, "{one_d:?}");
    for v in hidden {
        let cells: Vec<&Value> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["value"] == v)
            .collect();
        let groups = installations.keys().filter(|g| shown.contains(*g)).count();
        assert!(
            cells.len() < groups || groups < installations.len(),
            "every cell of {v} is shown: {cells:?}"
        );
    }
}

/// Three installations on 0.6.0 sent 12 events, all in one week: the weekly
/// activity hid that week and a complement, and versions_by_week showed the
/// complement's cells. Now no week the activity hides has a row there. (The
/// complement is W06, 10 installations like W07 and earlier: the grouped
/// table, choosing on its own, would have hidden W07, with fewer events.)
#[test]
fn a_week_the_activity_hides_has_no_row_by_version() {
    let mut data = String::new();
    let version = |i: u32| {
        if i.is_multiple_of(2) {
            "0.8.0"
        } else {
            "0.7.1"
        }
    };
    for i in 0..10u32 {
        for n in 0..2 {
            let ts = format!("2026-02-02T1{n}:00:00Z");
            data += &event_line("scan.started", i, &ts, version(i), r#"{"mode": "cli"}"#);
        }
    }
    for i in 10..20u32 {
        data += &event_line(
            "scan.started",
            i,
            "2026-02-09T10:00:00Z",
            version(i),
            r#"{"mode": "cli"}"#,
        );
    }
    for week in 0..2u32 {
        for i in 0..30u32 {
            let ts = format!("2026-02-{:02}T10:00:00Z", 16 + week * 7);
            data += &event_line("scan.started", i, &ts, version(i), r#"{"mode": "cli"}"#);
        }
    }
    for i in 100..103u32 {
        for n in 0..4 {
            let ts = format!("2026-01-0{}T1{n}:00:00Z", 5 + n % 2);
            data += &event_line("scan.started", i, &ts, "0.6.0", r#"{"mode": "cli"}"#);
        }
    }
    let run = report(&data, &[]);
    let json = run.json();
    let weeks = run.file("data/activity_by_week.csv");
    let hidden: Vec<&str> = weeks
        .lines()
        .filter(|l| l.split(',').nth(3) == Some("true"))
        .map(|l| l.split(',').next().unwrap())
        .collect();
    // W02 and its complement W06; and the weeks without activity read the
    // same as they do (a hidden week beside zero ones said some
    // installation was active in it).
    assert!(
        hidden.contains(&"2026-W02") && hidden.contains(&"2026-W06"),
        "{weeks}"
    );
    assert!(weeks.contains("\n2026-W01,,,true") && weeks.contains("\n2026-W06,,,true"));
    assert!(!weeks.contains(",0,0,"), "{weeks}");
    for r in json["metrics"]["versions_by_week"].as_array().unwrap() {
        let week = r["group"].as_str().unwrap();
        assert!(!hidden.contains(&week), "{week} is hidden, but {r}");
    }
    assert!(
        !json["metrics"]["versions_by_week"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["value"] == "0.6.0")
    );
}

/// A quarter of 2 installations: not significant, and its totals are about
/// fewer than k installations, so none is published (they were), nor the
/// events outside it (the previous quarter's 3 installations), nor the
/// first and last event times.
#[test]
fn a_quarter_of_fewer_than_k_installations_publishes_no_total() {
    let mut data = String::new();
    for i in 0..2u32 {
        for n in 0..9 {
            let ts = format!("2026-02-{:02}T10:00:00Z", 1 + n);
            data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
        }
    }
    for i in 10..13u32 {
        for n in 0..4 {
            let ts = format!("2025-11-{:02}T10:00:00Z", 1 + n);
            data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
        }
    }
    let run = report(&data, &[]);
    let json = run.json();
    for key in [
        "usage_events",
        "unique_ids",
        "scans_started",
        "scans_completed",
    ] {
        assert_eq!(json["totals"][key], Value::Null, "{key}");
    }
    for f in json["report"]["figures"].as_array().unwrap() {
        assert_eq!(f["value"], Value::Null, "{f}");
        assert_eq!(f["previous"], Value::Null, "{f}");
        assert!(f.get("rate").is_none(), "{f}");
    }
    assert!(
        json["denominators"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_null)
    );
    assert_eq!(json["period"]["first"], Value::Null);
    assert_eq!(json["period"]["last"], Value::Null);
    let ledger = &json["report"]["ledger"];
    assert_eq!(ledger["outside_quarter"], Value::Null);
    // Nor the summary's input block: the file's 30 events less them.
    assert_eq!(json["input"]["filtered_out"], Value::Null);
    assert_eq!(ledger["counted_usage_events"], Value::Null);
    // Nor the whole file's counts, with the events outside the quarter:
    // they less those gave the quarter's (a review: a first report, whose
    // file holds only its quarter, gave its events so).
    for key in ["bytes", "lines", "valid_events", "usage_events"] {
        assert_eq!(json["input"][key], Value::Null, "input.{key}");
    }
    for key in ["lines", "valid_events"] {
        assert_eq!(ledger[key], Value::Null, "ledger.{key}");
    }
    assert_eq!(json["input"]["test_events"], 0);
    let md = run.file("report.md");
    assert!(md.contains("fewer than 5 installations sent events in 2026-Q1"));
    assert!(md.contains("| Valid events | – |"), "{md}");
    for leak in ["| 18 |", "| 12 |", "| 2 |", "| 30 |"] {
        assert!(!md.contains(leak), "report.md has {leak:?}");
    }
}

/// Three installations of an older client send scan.started without a tool
/// list: "Share of 40 scan.started events with a tool list" beside 43 scans
/// started gave their 3 events. The tools' shares are over every scan, and
/// a tool is shown only when the scans without it (the total less its
/// row) are none or include k installations that never sent it: semgrep's
/// are those 3 events.
#[test]
fn the_scans_without_a_tool_list_are_no_difference_of_two_counts() {
    let mut data = String::new();
    for i in 0..40 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        let meta = if i < 30 {
            r#"{"mode": "cli", "tools": ["trivy", "semgrep"]}"#
        } else {
            r#"{"mode": "cli", "tools": ["semgrep"]}"#
        };
        data += &event_line("scan.started", i, &ts, "1.0.0", meta);
    }
    for i in 100..103 {
        let ts = "2026-02-03T10:00:00Z";
        data += &event_line("scan.started", i, ts, "0.5.0", r#"{"mode": "cli"}"#);
    }
    let json = report(&data, &[]).json();
    assert_eq!(figure(&json, "scans_started")["value"], 43);
    let t = table(&json, "scan_tools");
    assert_eq!(t["denominator"], 43);
    assert_eq!(json["denominators"]["scan_tools"], 43);
    let shown: Vec<(String, u64, f64)> = json["metrics"]["scan_tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let v = r["value"].as_str().unwrap().to_owned();
            (
                v,
                r["count"].as_u64().unwrap(),
                r["share"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [("trivy".to_owned(), 30, (30.0f64 / 43.0 * 1e6).round() / 1e6)]
    );
    let trivy = &t["rows"][0];
    assert_eq!(trivy["value"], "trivy");
    assert_eq!(trivy["share"].as_f64().unwrap(), 0.697674, "30 of 43");
}

/// A quartile of the wizard's time is one run's exact duration (one
/// installation's 9 runs of 1234 s made the median): it is rounded. When a
/// run carries no duration, the quartiles' count would show how many: they
/// are withheld.
#[test]
fn the_wizard_quartiles_are_rounded_and_need_every_run_timed() {
    let wizard = |secs: Option<u32>| match secs {
        Some(s) => format!(r#"{{"profile_selected": "fast", "duration_seconds": {s}}}"#),
        None => r#"{"profile_selected": "fast"}"#.to_owned(),
    };
    let mut data = String::new();
    for i in 0..30 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
    }
    for n in 0..9 {
        let ts = format!("2026-02-0{}T10:00:00Z", 1 + n);
        data += &event_line("wizard.completed", 0, &ts, "1.0.0", &wizard(Some(1234)));
    }
    for (i, s) in [(1, 95), (2, 400), (3, 1234), (4, 61)] {
        data += &event_line(
            "wizard.completed",
            i,
            "2026-02-03T10:00:00Z",
            "1.0.0",
            &wizard(Some(s)),
        );
    }
    let run = report(&data, &[]);
    let json = run.json();
    let seconds: Vec<(String, f64)> = json["metrics"]["wizard_duration"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap().to_owned(),
                r["seconds"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seconds,
        [
            ("p25".to_owned(), 1260.0),
            ("median".to_owned(), 1260.0),
            ("p75".to_owned(), 1260.0)
        ]
    );
    for (name, bytes) in run.all() {
        assert!(!String::from_utf8_lossy(&bytes).contains("1234"), "{name}");
    }
    data += &event_line(
        "wizard.completed",
        5,
        "2026-02-04T10:00:00Z",
        "1.0.0",
        &wizard(None),
    );
    let json = report(&data, &[]).json();
    assert!(
        json["metrics"]["wizard_duration"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(json["denominators"]["wizard_duration"], Value::Null);
}

/// No scan.started in the quarter: the scan-completion table's denominator
/// (scans started) is 0, but its scan.completed row gave the count the
/// event-type table folds into Other with 3 installations' tool failures.
#[test]
fn scan_completion_follows_the_event_type_table_without_scans_started() {
    let mut data = String::new();
    for i in 0..20 {
        let meta = r#"{"profile_selected": "fast", "duration_seconds": 60}"#;
        data += &event_line("wizard.completed", i, "2026-02-02T10:00:00Z", "1.0.0", meta);
    }
    for i in 100..110 {
        for n in 0..4 {
            let ts = format!("2026-02-0{}T10:00:00Z", 1 + n);
            data += &event_line("scan.completed", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
        }
    }
    for i in 200..203 {
        let meta = r#"{"tool": "zap", "failure_type": "timeout"}"#;
        data += &event_line("tool.failed", i, "2026-02-05T10:00:00Z", "1.0.0", meta);
    }
    let json = report(&data, &["--min-quarter-installations", "5"]).json();
    let types = rows(&json, "event_types");
    assert!(!types.iter().any(|r| r.0 == "scan.completed"), "{types:?}");
    assert!(
        json["metrics"]["scan_completion"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(json["denominators"]["scan_completion"], Value::Null);
}

/// A second review's table (found by a random search): balanced's Other
/// holds all of its 15-30 and >30 minute scans, and the durations table's
/// Other is those values' scans of every profile: one less the other was
/// x1's 15-30 minute cell, 4 installations. A line whose unknown cells are
/// all among another's gives that difference: the totals are solved exactly.
#[test]
fn one_lines_total_less_another_gives_no_small_cell() {
    let cells: &[(&str, &str, &[u32])] = &[
        (
            "balanced",
            "<5min",
            &[1, 3, 5, 6, 7, 9, 11, 15, 19, 20, 21, 1, 7],
        ),
        ("balanced", "5-15min", &[3, 7, 9, 12, 18, 21, 7]),
        ("balanced", "15-30min", &[7, 8, 19]),
        ("balanced", ">30min", &[9, 11, 12]),
        ("x1", "15-30min", &[10, 11, 16, 22]),
        ("x1", "5-15min", &[8, 24]),
        ("x1", "<5min", &[0, 8, 0, 8]),
        ("deep", "<5min", &[13, 17, 24, 25, 13, 17, 24]),
        ("deep", "5-15min", &[17]),
        ("fast", "5-15min", &[4, 23]),
        ("fast", "<5min", &[2, 14]),
    ];
    let json = report(
        &scans_by_profile(cells),
        &["--min-quarter-installations", "5"],
    )
    .json();
    assert_eq!(small_sums_of_totals(&json, cells, 5), Vec::<String>::new());
}

/// Completed scans of the quarter, one per installation listed in each
/// (profile, duration, installations) cell (an installation listed twice
/// sends two).
fn scans_by_profile(cells: &[(&str, &str, &[u32])]) -> String {
    let mut data = String::new();
    for (profile, duration, who) in cells {
        for (n, &i) in who.iter().enumerate() {
            let ts = format!("2026-02-{:02}T10:00:{:02}Z", 3 + n % 20, n % 60);
            let meta = format!(
                r#"{{"mode": "cli", "profile": "{profile}", "duration_bucket": "{duration}"}}"#
            );
            data += &event_line("scan.completed", i, &ts, "1.0.0", &meta);
        }
    }
    data
}

/// A reader of the durations by profile and the durations tables who knows
/// which (profile, duration) cells have scans: each not shown is an
/// unknown, each published profile's total (a row's events
/// over its share) and each duration's total (the durations table; its
/// Other for the durations it hides) an equation, solved by elimination.
/// Returns the sums of some unknown cells (of any profiles) that the
/// equations give, with their installations, where those are fewer than
/// `k` and not none.
fn small_sums_of_totals(json: &Value, cells: &[(&str, &str, &[u32])], k: usize) -> Vec<String> {
    let grouped = table(json, "duration_buckets_by_profile")["rows"]
        .as_array()
        .unwrap();
    let shown: BTreeMap<(&str, &str), f64> = (grouped.iter())
        .filter(|r| r["other"] == false)
        .map(|r| {
            let key = (r["group"].as_str().unwrap(), r["value"].as_str().unwrap());
            (key, r["events"].as_f64().unwrap())
        })
        .collect();
    let unknown: Vec<(&str, &str)> = (cells.iter())
        .map(|c| (c.0, c.1))
        .filter(|pair| !shown.contains_key(pair))
        .collect();
    let mut equations: Vec<(Vec<f64>, f64)> = Vec::new();
    let mut equation = |member: &dyn Fn(&(&str, &str)) -> bool, total: f64| {
        let row = unknown
            .iter()
            .map(|u| if member(u) { 1.0 } else { 0.0 })
            .collect();
        equations.push((row, total));
    };
    for r in grouped {
        let p = r["group"].as_str().unwrap();
        let total = (r["events"].as_f64().unwrap() / r["share"].as_f64().unwrap()).round();
        let rest = total
            - shown
                .iter()
                .filter(|(k, _)| k.0 == p)
                .map(|(_, v)| v)
                .sum::<f64>();
        equation(&|u| u.0 == p, rest);
    }
    let one_d = rows(json, "duration_buckets");
    for (value, events, _, other) in &one_d {
        let in_column = |d: &str| {
            if *other {
                !one_d.iter().any(|r| !r.3 && r.0 == d)
            } else {
                d == value
            }
        };
        let rest = shown
            .iter()
            .filter(|(k, _)| in_column(k.1))
            .map(|(_, v)| v)
            .sum::<f64>();
        equation(&|u| in_column(u.1), *events as f64 - rest);
    }
    // Reduced row echelon form; a sum is given when it reduces to nothing.
    let mut basis: Vec<(usize, Vec<f64>)> = Vec::new();
    let reduce = |basis: &[(usize, Vec<f64>)], mut v: Vec<f64>| {
        for (c, row) in basis {
            let f = v[*c];
            v.iter_mut().zip(row).for_each(|(x, y)| *x -= f * y);
        }
        v
    };
    for (row, _) in &equations {
        let v = reduce(&basis, row.clone());
        if let Some(c) = v.iter().position(|x| x.abs() > 1e-9) {
            let v: Vec<f64> = v.iter().map(|x| x / v[c]).collect();
            for (_, r) in &mut basis {
                let f = r[c];
                r.iter_mut().zip(&v).for_each(|(x, y)| *x -= f * y);
            }
            basis.push((c, v));
        }
    }
    let mut found = Vec::new();
    assert!(unknown.len() <= 16, "{} unknown cells", unknown.len());
    for mask in 1u32..1 << unknown.len() {
        let some: Vec<usize> = (0..unknown.len()).filter(|b| mask >> b & 1 == 1).collect();
        let who: BTreeSet<u32> = (cells.iter())
            .filter(|c| some.iter().any(|&j| unknown[j] == (c.0, c.1)))
            .flat_map(|c| c.2.iter().copied())
            .collect();
        let target = (0..unknown.len())
            .map(|j| if some.contains(&j) { 1.0 } else { 0.0 })
            .collect();
        if !who.is_empty() && who.len() < k && reduce(&basis, target).iter().all(|x| x.abs() < 1e-9)
        {
            let pairs: Vec<_> = some.iter().map(|&j| unknown[j]).collect();
            found.push(format!("{pairs:?}: {} installations", who.len()));
        }
    }
    found
}

/// A third review's table: profile P0's hidden cells formed two cycles
/// that met only at P0 (no cell on its own was given, and P0's hidden
/// cells were 12 installations), but each cycle's part of P0 is the sum of
/// some totals: the 5-15 and >30 minute columns less P1's shown cells,
/// less P2's Other, gave P0's two cells there, 3 scans of 3
/// installations. Every part of a line is now about k or more.
#[test]
fn a_part_of_one_profile_is_no_sum_of_totals() {
    assert_no_small_sum(&[
        ("P0", "<5min", 3),
        ("P0", "5-15min", 2),
        ("P0", "15-30min", 6),
        ("P0", ">30min", 1),
        ("P1", "<5min", 9),
        ("P1", "5-15min", 12),
        ("P1", "15-30min", 2),
        ("P1", ">30min", 15),
        ("P2", "<5min", 9),
        ("P2", "5-15min", 6),
        ("P2", "15-30min", 9),
        ("P2", ">30min", 4),
    ]);
}

/// Sums of cells from several profiles: a review's case (two profiles'
/// Others less a duration's hidden cells, all in those two profiles). Here
/// every hidden cell is on one cycle (p1, <5min, p2, 15-30min, p3,
/// 5-15min), each line's hidden cells are 5 installations or more, and
/// yet p1's total plus p2's less the <5min column's, less the >30min cells
/// both show, is p1's 5-15 and p2's 15-30 minute scans: 4 installations.
#[test]
fn a_sum_of_several_profiles_totals_gives_no_small_sum() {
    assert_no_small_sum(&[
        ("p1", "<5min", 4),
        ("p1", "5-15min", 2),
        ("p1", ">30min", 20),
        ("p2", "<5min", 4),
        ("p2", "15-30min", 2),
        ("p2", ">30min", 21),
        ("p3", "5-15min", 3),
        ("p3", "15-30min", 3),
        ("p3", ">30min", 22),
    ]);
}

/// The report of scans in (profile, duration, installations) cells, each
/// cell's installations its own, publishes the durations by profile and
/// gives no sum of its hidden cells about fewer than 5 installations.
fn assert_no_small_sum(counts: &[(&str, &str, u32)]) {
    let mut next = 0u32;
    let owned: Vec<(&str, &str, Vec<u32>)> = (counts.iter())
        .map(|&(profile, duration, n)| {
            next += n;
            (profile, duration, (next - n..next).collect())
        })
        .collect();
    let cells: Vec<(&str, &str, &[u32])> =
        owned.iter().map(|c| (c.0, c.1, c.2.as_slice())).collect();
    let json = report(
        &scans_by_profile(&cells),
        &["--min-quarter-installations", "5"],
    )
    .json();
    assert!(
        !table(&json, "duration_buckets_by_profile")["rows"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(small_sums_of_totals(&json, &cells, 5), Vec::<String>::new());
}

/// Scans of profiles in the quarter: each (profile, installations, scans
/// each, installations whose scans complete) starts that many scans per
/// installation, and the first installations given complete theirs.
fn profile_scans(groups: &[(&str, std::ops::Range<u32>, usize, u32)]) -> String {
    let mut data = String::new();
    let mut n = 0usize;
    for (profile, ids, scans, completing) in groups {
        for id in ids.clone() {
            for _ in 0..*scans {
                n += 1;
                let ts = format!("2026-02-{:02}T10:{:02}:00Z", 1 + n % 27, n % 60);
                let started = format!(
                    r#"{{"mode": "cli", "profile": "{profile}", "tools": ["trivy"], "ci_detected": false}}"#
                );
                data += &event_line("scan.started", id, &ts, "1.0.0", &started);
                if id < ids.start + completing {
                    let bucket = ["<5min", "5-15min"][n % 2];
                    let completed = format!(
                        r#"{{"mode": "cli", "profile": "{profile}", "duration_bucket": "{bucket}"}}"#
                    );
                    data += &event_line("scan.completed", id, &ts, "1.0.0", &completed);
                }
            }
        }
    }
    data
}

/// The report of [`profile_scans`]' scans, as summary.json.
fn profile_report(groups: &[(&str, std::ops::Range<u32>, usize, u32)]) -> Value {
    report(&profile_scans(groups), &[]).json()
}

/// The groups the durations by profile publish, and whether it is withheld.
fn by_profile_groups(json: &Value) -> (BTreeSet<String>, bool) {
    let t = table(json, "duration_buckets_by_profile");
    let groups = (t["rows"].as_array().unwrap().iter())
        .map(|r| r["group"].as_str().unwrap().to_owned())
        .collect();
    (groups, t["withheld"].as_bool().unwrap())
}

/// A review's attack across two tables: the profile table (scans started)
/// hid `fast` as the complement of a profile of 2 installations, while the
/// durations by profile (scans completed) showed `fast` whole. Other (fast
/// and paranoid started) less fast's completed scans was paranoid's 6 scans
/// of 2 installations, exact since every fast scan completed. Balanced
/// scans that never complete make the two tables order their profiles
/// differently. A profile the profile table hides is no group of its own
/// in the tables by profile.
#[test]
fn a_profile_the_profile_table_hides_is_not_shown_whole_by_profile() {
    let json = profile_report(&[
        ("deep", 0..19, 3, 19),
        ("fast", 19..25, 10, 6),
        ("balanced", 25..40, 1, 6),
        ("paranoid", 40..42, 3, 2),
    ]);
    // The case the review found: fast hidden beside paranoid.
    let profiles = rows(&json, "profiles");
    let shown: Vec<&str> = (profiles.iter())
        .filter(|r| !r.3)
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(shown, ["deep", "balanced"], "{profiles:?}");
    assert_eq!(
        profiles.last().map(|r| (r.1, r.2, r.3)),
        Some((66, 8, true))
    );
    let groups = BTreeSet::from(["balanced".to_owned(), "deep".to_owned()]);
    assert_eq!(by_profile_groups(&json), (groups, false));
}

/// The same subtraction the other way (a review of the fix above): the
/// table by profile left out balanced, 2 installations completing, and
/// fast beside it to cover them; the profile table showed fast's 60 scans
/// started, and the table's total (scans completed) less deep less those
/// was balanced's 2. A profile the profile table shows stands for its
/// completed scans: a small group among those not published withholds the
/// table. With the profile table withheld, nothing is subtracted, and no
/// group is left out on its account (the fix above had hidden deep, 10
/// installations, when 3 others started deep scans and never completed).
#[test]
fn the_profile_table_gives_away_no_group_the_table_by_profile_leaves_out() {
    // (rows of the profile table, groups by profile, whether withheld)
    let case = |groups: &[(&str, std::ops::Range<u32>, usize, u32)]| {
        let json = profile_report(groups);
        let (groups, withheld) = by_profile_groups(&json);
        (rows(&json, "profiles").len(), groups, withheld)
    };
    let none = BTreeSet::new();
    assert_eq!(
        case(&[
            ("deep", 0..19, 3, 19),
            ("fast", 19..25, 10, 6),
            ("balanced", 25..40, 1, 2),
        ]),
        (3, none.clone(), true)
    );
    // The profiles the profile table hides (its Other: paranoid, and fast
    // beside it) stand for their completed scans together: 3 installations.
    assert_eq!(
        case(&[
            ("deep", 0..19, 3, 19),
            ("fast", 19..25, 10, 1),
            ("balanced", 25..40, 1, 15),
            ("paranoid", 40..42, 3, 2),
        ]),
        (3, none, true)
    );
    // Balanced with 5 completing: nothing small is left out.
    let all = ["balanced", "deep", "fast"].map(String::from);
    assert_eq!(
        case(&[
            ("deep", 0..19, 3, 19),
            ("fast", 19..25, 10, 6),
            ("balanced", 25..40, 1, 5),
        ]),
        (3, BTreeSet::from(all.clone()), false)
    );
    // The profile table withheld: 3 installations started scans, 30 sent
    // completions only (one of them each, by profile), and 7 ran the
    // wizard (the event-type table's complement to the 3).
    let mut data = profile_scans(&[("deep", 100..103, 1, 0)]);
    for id in 200..207 {
        let meta = r#"{"profile_selected": "fast", "execution_mode": "native"}"#;
        data += &event_line(
            "wizard.completed",
            id,
            "2026-02-02T09:00:00Z",
            "1.0.0",
            meta,
        );
    }
    for id in 0..30 {
        let profile = all[id as usize % 3].as_str();
        let ts = format!("2026-02-{:02}T11:00:00Z", 1 + id % 27);
        let meta =
            format!(r#"{{"mode": "cli", "profile": "{profile}", "duration_bucket": "<5min"}}"#);
        data += &event_line("scan.completed", id, &ts, "1.0.0", &meta);
    }
    let json = report(&data, &[]).json();
    assert_eq!(table(&json, "profiles")["withheld"], true);
    assert_eq!(by_profile_groups(&json), (BTreeSet::from(all), false));
}

/// A third review of the rule above. (1) The profile table's Other held
/// fast (6 installations, all completing) and paranoid (one installation,
/// no scan completed, so no group by profile): the table's total less deep
/// and balanced was fast's 30, and Other less that paranoid's 4. Hidden
/// profiles without a group are counted too: fewer than k, the table is
/// withheld. (2) deep's cells by profile, 12 installations each, inside
/// its row of 14 in the profile table said 2 never completed a deep scan:
/// their installations are withheld.
#[test]
fn hidden_profiles_without_completions_and_a_profiles_row_give_nothing_away() {
    let json = profile_report(&[
        ("deep", 0..20, 2, 20),
        ("balanced", 20..40, 2, 20),
        ("fast", 40..46, 5, 6),
        ("paranoid", 46..47, 4, 0),
    ]);
    let profiles = rows(&json, "profiles");
    assert_eq!(
        profiles.last().map(|r| (r.1, r.2, r.3)),
        Some((34, 7, true))
    );
    assert_eq!(by_profile_groups(&json), (BTreeSet::new(), true));
    // With paranoid's one installation completing, it is a group, hidden
    // with fast: 7 installations, and nothing is left to subtract.
    let json = profile_report(&[
        ("deep", 0..20, 2, 20),
        ("balanced", 20..40, 2, 20),
        ("fast", 40..46, 5, 6),
        ("paranoid", 46..47, 4, 1),
    ]);
    let both = BTreeSet::from(["balanced".to_owned(), "deep".to_owned()]);
    assert_eq!(by_profile_groups(&json), (both, false));
    // (2)
    let json = profile_report(&[
        ("deep", 0..12, 4, 12),
        ("deep", 12..14, 5, 0),
        ("fast", 20..40, 2, 0),
        ("balanced", 40..60, 2, 20),
    ]);
    let deep = (rows(&json, "profiles").into_iter()).find(|r| r.0 == "deep");
    assert_eq!(deep.map(|r| (r.1, r.2)), Some((58, 14)));
    let cells = table(&json, "duration_buckets_by_profile")["rows"]
        .as_array()
        .unwrap();
    let deep: Vec<&Value> = (cells.iter())
        .filter(|r| r["group"] == "deep")
        .map(|r| &r["installations"])
        .collect();
    assert!(!deep.is_empty());
    assert!(deep.iter().all(|n| n.is_null()), "{deep:?}");
}

/// A third review's attacks. (1) With `--exclude-ci`, 2 installations' 9 CI
/// scans were the file's usage events less the quarter's less the events
/// outside it: those are withheld with the filtered-out count. (2) A sample
/// of a type the event-type table hides said that type was 5 events or more
/// of Other, leaving the last hidden type its 1 event: samples are only of
/// shown types. (3) The report's total of hidden cells counted the withheld
/// tables' cells, 7 when 3 wizard installations chose alike, 9 when not.
#[test]
fn the_ledger_samples_and_hidden_total_give_no_small_group() {
    let mut data = String::new();
    for i in 0..30 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        data += &event_line(
            "scan.started",
            i,
            &ts,
            "1.0.0",
            r#"{"mode": "cli", "ci_detected": false}"#,
        );
    }
    for i in 50..52 {
        for n in 0..4 + i % 2 {
            let ts = format!("2026-02-0{}T10:00:00Z", 1 + n);
            data += &event_line(
                "scan.started",
                i,
                &ts,
                "1.0.0",
                r#"{"mode": "cli", "ci_detected": true}"#,
            );
        }
    }
    let json = report(&data, &["--exclude-ci"]).json();
    let ledger = &json["report"]["ledger"];
    assert_eq!(ledger["filtered_out"], Value::Null);
    assert_eq!(ledger["outside_quarter"], Value::Null);

    let mut data = String::new();
    for i in 0..30 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
    }
    for i in 100..105 {
        data += &event_line(
            "scan.completed",
            i,
            "2026-02-02T10:00:00Z",
            "1.0.0",
            r#"{"mode": "cli"}"#,
        );
    }
    let meta = r#"{"tool": "zap", "failure_type": "timeout"}"#;
    data += &event_line("tool.failed", 200, "2026-02-02T10:00:00Z", "1.0.0", meta);
    let run = report(&data, &[]);
    let samples: Value = serde_json::from_str(&run.file("sample-events.json")).unwrap();
    let types: Vec<&str> = samples["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(!types.contains(&"scan.completed"), "{types:?}");
    assert_eq!(samples["withheld_types"], 1 - types.len());

    let hidden = |alike: bool| {
        let mut data = String::new();
        for i in 0..30 {
            let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
            data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"mode": "cli"}"#);
        }
        for (n, i) in (100..103).enumerate() {
            let profile = if alike {
                "fast"
            } else {
                // Names of one length: the input's size is published.
                ["fast", "deep", "full"][n]
            };
            let meta = format!(r#"{{"profile_selected": "{profile}", "duration_seconds": 60}}"#);
            data += &event_line(
                "wizard.completed",
                i,
                "2026-02-02T10:00:00Z",
                "1.0.0",
                &meta,
            );
        }
        published(&report(&data, &[]))
    };
    assert_same_reports(&hidden(true), &hidden(false));
}

/// Two reports' files are the same (the names of those that differ, and
/// the first line that does, when not).
fn assert_same_reports(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) {
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(a), names(b));
    let differ: Vec<String> = (a.iter())
        .filter(|(name, text)| b[*name] != **text)
        .map(|(name, text)| {
            let first = (text.lines().zip(b[name].lines()))
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("{x:.200} | {y:.200}"))
                .unwrap_or_default();
            format!("{name}: {first}")
        })
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
}

/// Events without an anonymous ID belong to no installation, so they may be
/// one client's: their count is withheld unless none (a review: 3 events
/// with a profile of their own were told in the ledger beside a table
/// that hid that profile).
#[test]
fn events_without_an_anonymous_id_are_counted_only_when_none() {
    let mut data = String::new();
    for i in 0..30 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        data += &event_line("scan.started", i, &ts, "1.0.0", r#"{"profile": "fast"}"#);
    }
    let none = report(&data, &[]);
    assert_eq!(none.json()["report"]["ledger"]["events_without_id"], 0);
    assert!(
        none.file("report.md")
            .contains("| … of which without an anonymous ID | 0 |")
    );
    for n in 0..3 {
        data += &format!(
            "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"platform\": \"Linux\", \
             \"python_version\": \"3.11\", \"timestamp\": \"2026-02-0{}T10:00:00Z\", \
             \"metadata\": {{\"profile\": \"custom-acme\"}}}}\n",
            n + 1
        );
    }
    let some = report(&data, &[]);
    assert_eq!(
        some.json()["report"]["ledger"]["events_without_id"],
        Value::Null
    );
    // Nor by the installations' buckets: 30 of one event each, beside 33
    // usage events, gave 3 (a review).
    assert_eq!(
        some.json()["metrics"]["events_per_installation"],
        Value::Array(Vec::new())
    );
    assert_ne!(
        none.json()["metrics"]["events_per_installation"],
        Value::Array(Vec::new())
    );
    let md = some.file("report.md");
    assert!(
        md.contains("| … of which without an anonymous ID | – |"),
        "{md}"
    );
    let csv = some.file("data/data_quality.csv");
    assert!(csv.contains("\r\nevents_without_id,\r\n"), "{csv}");
}

/// Installations have complements too: 39 of 40 scanning installations
/// sent compliance_usage true, so 40 - 39 said exactly 1 never did (a
/// review). That row keeps its events and share, its installations are
/// withheld; so are the event-type table's for scan.started when an
/// installation never scanned. A row whose complement is 0 or k or more
/// keeps them.
#[test]
fn installations_whose_complement_is_a_small_group_are_withheld() {
    let mut data = String::new();
    let scan = |i: u32, day: u32, compliance: bool| {
        event_line(
            "scan.started",
            i,
            &format!("2026-02-{day:02}T10:00:00Z"),
            "1.0.0",
            &format!(
                r#"{{"mode": "cli", "profile": "balanced", "compliance_usage": {compliance}}}"#
            ),
        )
    };
    for i in 0..40u32 {
        data += &scan(i, 2, i != 39);
        if (35..39).contains(&i) {
            data += &scan(i, 3, false);
        }
    }
    // Six ran the wizard, two of whom never scanned.
    for i in (0..4u32).chain(100..102) {
        data += &event_line(
            "wizard.completed",
            i,
            "2026-02-04T10:00:00Z",
            "1.0.0",
            r#"{"profile_selected": "fast", "execution_mode": "docker"}"#,
        );
    }
    let run = report(&data, &[]);
    let json = run.json();
    let row = |name: &str, value: &str| -> Value {
        table(&json, name)["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == value)
            .unwrap_or_else(|| panic!("{name}: no row {value}"))
            .clone()
    };
    let yes = row("compliance_usage", "true");
    assert_eq!(
        (yes["events"].clone(), yes["installations"].clone()),
        (39.into(), Value::Null)
    );
    // 40 - 5 = 35 never sent false: its installations stay.
    let no = row("compliance_usage", "false");
    assert_eq!(
        (no["events"].clone(), no["installations"].clone()),
        (5.into(), 5.into())
    );
    // 42 installations, 40 of them scanned: 2 never did.
    let started = row("event_types", "scan.started");
    assert_eq!(started["installations"], Value::Null);
    // Nor is that 40 printed anywhere else (a review: every profile's and
    // mode's row, covering all scans, gave it back).
    assert_eq!(row("modes", "cli")["installations"], Value::Null);
    assert_eq!(row("profiles", "balanced")["installations"], Value::Null);
    let public = json["metrics"].to_string();
    assert!(!public.contains("\"installations\":40"), "{public}");
    assert_eq!(json["report"]["figures"][0]["value"], 42);
    let md = run.file("report.md");
    assert!(md.contains("| true | 39 | – | "), "{md}");
    assert!(md.contains("| false | 5 | 5 | "), "{md}");
    let csv = run.file("data/compliance_usage.csv");
    assert!(csv.contains("\r\ntrue,false,39,,"), "{csv}");
}

/// scan.started metadata enabling `tool`, and zap too when `zap`.
fn tools_meta(zap: bool, tool: &str, profile: &str) -> String {
    let zap = if zap { r#", "zap""# } else { "" };
    format!(r#"{{"mode": "cli", "profile": "{profile}", "tools": ["{tool}"{zap}]}}"#)
}

/// A count of installations inside another published one, fewer than k
/// fewer, is withheld whatever the two tables (a review of the first
/// rules): scan completion's 28 beside scan.started's 30 in the event-type
/// table (2 started but never completed), and a tool's 10 failing
/// installations inside the 12 that ran it (2 ran it without a failure).
#[test]
fn a_count_inside_another_published_one_by_fewer_than_k_is_withheld() {
    let mut data = String::new();
    let at = "2026-02-05T10:00:00Z";
    for i in 0..30u32 {
        let meta = tools_meta(i < 12, "semgrep", "balanced");
        data += &event_line("scan.started", i, at, "1.0.0", &meta);
        if i < 28 {
            let meta = r#"{"mode": "cli", "profile": "balanced", "duration_bucket": "<5min"}"#;
            data += &event_line("scan.completed", i, at, "1.0.0", meta);
        }
        if i < 10 {
            let meta = r#"{"tool": "zap", "failure_type": "timeout", "exit_code": null}"#;
            data += &event_line("tool.failed", i, at, "1.0.0", meta);
        }
    }
    for i in 100..110u32 {
        let meta = r#"{"output_formats": ["json"], "suppressions_used": false}"#;
        data += &event_line("report.generated", i, at, "1.0.0", meta);
    }
    let json = report(&data, &[]).json();
    let installations = |name: &str, value: &str| -> Value {
        table(&json, name)["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == value)
            .unwrap_or_else(|| panic!("{name}: no row {value}"))["installations"]
            .clone()
    };
    assert_eq!(installations("event_types", "scan.started"), 30);
    assert_eq!(installations("event_types", "scan.completed"), Value::Null);
    assert_eq!(installations("scan_tools", "zap"), 12);
    assert_eq!(installations("tool_failure_rates", "zap"), Value::Null);
    let public = json["metrics"].to_string();
    assert!(!public.contains("\"installations\":28"), "{public}");
    let failures = &json["metrics"]["tool_failures"][0];
    assert_eq!(
        (failures["value"].clone(), failures.get("installations")),
        ("zap".into(), None)
    );
}

/// A count withheld inside another is printed by no row with the same
/// installations: zap's 9 failing installations, withheld inside its 11
/// runs, were the tool.failed type's 9 and the timeout row's 9 (a review:
/// 11 less 9 gave the 2 that ran zap without a failure).
#[test]
fn a_withheld_count_is_printed_by_no_row_of_the_same_installations() {
    let mut data = String::new();
    let at = "2026-02-10T10:00:00Z";
    for i in 0..30u32 {
        let meta = tools_meta(i < 11, "trivy", "fast");
        data += &event_line("scan.started", i, at, "1.0.0", &meta);
        data += &event_line("scan.started", i, at, "1.0.0", &meta);
    }
    for i in 0..9u32 {
        let meta =
            r#"{"tool": "zap", "failure_type": "timeout", "exit_code": null, "profile": "fast"}"#;
        data += &event_line("tool.failed", i, "2026-02-10T10:05:00Z", "1.0.0", meta);
    }
    let json = report(&data, &[]).json();
    let installations = |name: &str, value: &str| -> Value {
        (table(&json, name)["rows"].as_array().unwrap().iter())
            .find(|r| r["value"] == value)
            .unwrap_or_else(|| panic!("{name}: no row {value}"))["installations"]
            .clone()
    };
    assert_eq!(installations("scan_tools", "zap"), 11);
    assert_eq!(installations("tool_failure_rates", "zap"), Value::Null);
    assert_eq!(installations("event_types", "tool.failed"), Value::Null);
    assert_eq!(installations("event_types", "scan.started"), 30);
    let public = json["metrics"].to_string();
    assert!(!public.contains("\"installations\":9"), "{public}");
    assert_eq!(json["metrics"]["failure_types"][0]["count"], 9);
}

/// Returning installations beside the previous quarter's: 25 then, 23
/// back, gave the 2 that left (a review). New and returning are withheld
/// then; with 10 gone, they are shown.
#[test]
fn returning_installations_within_k_of_the_previous_quarter_are_withheld() {
    let data = |back: u32| {
        let mut data = String::new();
        let meta = r#"{"mode": "cli", "profile": "fast"}"#;
        for i in 0..25u32 {
            data += &event_line("scan.started", i, "2025-11-05T10:00:00Z", "1.0.0", meta);
        }
        for i in (0..back).chain(100..120) {
            data += &event_line("scan.started", i, "2026-02-05T10:00:00Z", "1.0.0", meta);
        }
        data
    };
    let figure = |json: &Value, key: &str| -> Value {
        (json["report"]["figures"].as_array().unwrap().iter())
            .find(|f| f["key"] == key)
            .unwrap()["value"]
            .clone()
    };
    let close = report(&data(23), &[]).json();
    assert_eq!(figure(&close, "installations"), 43);
    assert_eq!(figure(&close, "returning_installations"), Value::Null);
    assert_eq!(figure(&close, "new_installations"), Value::Null);
    let far = report(&data(15), &[]).json();
    assert_eq!(figure(&far, "returning_installations"), 15);
    assert_eq!(figure(&far, "new_installations"), 20);
}

/// The previous column's new and returning installations are judged
/// against the quarter before it, as that quarter's own report judged
/// them, and the quarter's against a previous quarter too small for
/// breakdowns, whose own report still publishes its installations (a
/// review: 2025-Q4's 25, and 23 of them back in 2026-Q1, whose report
/// withheld the split; the 2026-Q2 report printed 23 in its previous
/// column. And 12 in 2025-Q4, 10 of them back.)
#[test]
fn consecutive_reports_give_no_small_group_that_did_not_come_back() {
    // One scan.started event of each installation, in the quarter of `at`.
    let scans = |at: &str, ids: &mut dyn Iterator<Item = u32>| -> String {
        let meta = r#"{"mode": "cli", "profile": "fast"}"#;
        ids.map(|i| event_line("scan.started", i, at, "1.0.0", meta))
            .collect()
    };
    let (q3, q4) = ("2025-08-10T10:00:00Z", "2025-11-10T10:00:00Z");
    let (q1, q2) = ("2026-02-10T10:00:00Z", "2026-05-10T10:00:00Z");
    let value = |json: &Value, key: &str| figure(json, key)["value"].clone();
    let previous = |json: &Value, key: &str| figure(json, key)["previous"].clone();

    let data = scans(q4, &mut (0..25))
        + &scans(q1, &mut (0..23).chain(100..110))
        + &scans(q2, &mut (0..23).chain(100..110).chain(200..210));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "installations"), 33);
    assert_eq!(previous(&first, "installations"), 25);
    assert_eq!(value(&first, "returning_installations"), Value::Null);
    let run = report(&data, &["--quarter", "2026-Q2"]);
    let second = run.json();
    assert_eq!(value(&second, "installations"), 43);
    // The change of a count is in the data files too, not only in the
    // Markdown's +30.3% (a review).
    let change = figure(&second, "installations")["count_change"]
        .as_f64()
        .unwrap();
    assert_eq!(change, 0.30303, "10 more than 33, to six decimals");
    let csv = String::from_utf8(run.all()["data/key_figures.csv"].clone()).unwrap();
    assert!(
        csv.contains(",43,33,") && csv.contains(",0.303030\r\n"),
        "{csv}"
    );
    // 35 seen before 2026-Q2 (25, then 10 new), 33 back: the 2 that
    // never came back, again.
    assert_eq!(value(&second, "returning_installations"), Value::Null);
    assert_eq!(previous(&second, "installations"), 33);
    assert_eq!(previous(&second, "returning_installations"), Value::Null);
    assert_eq!(previous(&second, "new_installations"), Value::Null);

    // 12 installations in 2025-Q4 (a totals-only quarter), 10 back.
    let data = scans(q4, &mut (0..12)) + &scans(q1, &mut (0..10).chain(100..115));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "installations"), 25);
    assert_eq!(value(&first, "returning_installations"), Value::Null);
    assert_eq!(value(&first, "new_installations"), Value::Null);

    // 10 in 2025-Q3, none in 2025-Q4, 9 of them back in 2026-Q1; and in
    // the previous column of 2026-Q2.
    let data = scans(q3, &mut (0..10)) + &scans(q1, &mut (0..9).chain(100..120));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "installations"), 29);
    assert_eq!(value(&first, "returning_installations"), Value::Null);
    let data = data + &scans(q2, &mut (0..9).chain(100..120).chain(200..225));
    let second = report(&data, &["--quarter", "2026-Q2"]).json();
    assert_eq!(previous(&second, "installations"), 29);
    assert_eq!(previous(&second, "returning_installations"), Value::Null);
    // 30 seen before 2026-Q2 (10, then 20 new), 29 back: the 1 again.
    assert_eq!(value(&second, "returning_installations"), Value::Null);

    // 10 in 2025-Q3, then 5 of them and 5 new, then 6 of the first and the
    // 5 (11 returning) and 20 new: 15 seen before, 4 not back, though no
    // one quarter had more than 10 (a review).
    let data = scans(q3, &mut (0..10))
        + &scans(q4, &mut (0..5).chain(10..15))
        + &scans(q1, &mut (0..6).chain(10..15).chain(100..120));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "installations"), 31);
    assert_eq!(value(&first, "returning_installations"), Value::Null);

    // An older quarter's installations less the returning ones give no
    // group: 30 in 2025-Q3, 40 new in 2025-Q4, and 5 and 21 of them back
    // (26) are published, though 30 less 26 is 4 (a review: checking every
    // older quarter withheld a third of a long history's splits).
    let data = scans(q3, &mut (0..30))
        + &scans(q4, &mut (30..70))
        + &scans(q1, &mut (0..5).chain(30..51).chain(100..120));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "returning_installations"), 26);
    assert_eq!(value(&first, "new_installations"), 20);

    // The previous column against its own quarter before: 25 in 2025-Q4
    // and 23 of them back in 2026-Q1 (20 others in 2025-Q3 keep all seen
    // before from telling).
    let data = scans(q3, &mut (100..120))
        + &scans(q4, &mut (0..25))
        + &scans(q1, &mut (0..23).chain(200..210))
        + &scans(q2, &mut (0..23).chain(200..210).chain(300..310));
    let second = report(&data, &["--quarter", "2026-Q2"]).json();
    assert_eq!(previous(&second, "installations"), 33);
    assert_eq!(previous(&second, "returning_installations"), Value::Null);

    // None returning, or none new, withholds the split too (reviews read
    // withheld quarters off them): 10 in 2026-Q1, all new; 1 in 2026-Q2
    // (withheld); 11 back in 2026-Q3, none new: Q2's 1 was 11 less 10.
    let q3_2026 = "2026-08-10T10:00:00Z";
    let data = scans(q1, &mut (0..10))
        + &scans(q2, &mut (100..101))
        + &scans(q3_2026, &mut (0..10).chain(100..101));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "new_installations"), Value::Null);
    let third = report(&data, &["--quarter", "2026-Q3"]).json();
    assert_eq!(value(&third, "returning_installations"), Value::Null);
    // More returning than the quarter before had, by fewer than k: 3
    // (under 5, withheld) in 2025-Q3, 25 in 2025-Q4, 28 of them and 5 new
    // in 2026-Q1: 28 less 25 gave the 3.
    let data = scans(q3, &mut (100..103))
        + &scans(q4, &mut (0..25))
        + &scans(q1, &mut (0..25).chain(100..103).chain(200..205));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "installations"), 33);
    assert_eq!(value(&first, "returning_installations"), Value::Null);
    assert_eq!(value(&first, "new_installations"), Value::Null);
    // By k or more: shown (8 of 2025-Q3's back).
    let data = scans(q3, &mut (100..108))
        + &scans(q4, &mut (0..25))
        + &scans(q1, &mut (0..25).chain(100..108).chain(200..205));
    let first = report(&data, &[]).json();
    assert_eq!(value(&first, "returning_installations"), 33);
    assert_eq!(value(&first, "new_installations"), 5);

    // A quarter of no event: none of everything, its installations too (a
    // review: 0 usage events beside a withheld count of installations);
    // and its column as the next quarter's previous one.
    let empty = report(&data, &["--quarter", "2026-Q3"]).json();
    assert_eq!(value(&empty, "installations"), 0);
    assert_eq!(value(&empty, "usage_events"), 0);
    let data = data + &scans("2026-08-10T10:00:00Z", &mut (0..25));
    let after = report(&data, &["--quarter", "2026-Q3"]).json();
    assert_eq!(previous(&after, "installations"), 0);
    assert_eq!(figure(&after, "installations")["count_change"], Value::Null);
    // Fewer than k, not none: withheld.
    let few = report(&scans(q1, &mut (0..3)), &[]).json();
    assert_eq!(value(&few, "installations"), Value::Null);
    // Usage events, none with an ID: no 0 beside their withheld count (a
    // review: it said they were all without one).
    let without_id: String = scans(q2, &mut (0..3))
        .lines()
        .map(|l| {
            let mut e: Value = serde_json::from_str(l).unwrap();
            e.as_object_mut().unwrap().remove("anonymous_id");
            format!("{e}\n")
        })
        .collect();
    let data = scans(q1, &mut (0..25)) + &without_id;
    let json = report(&data, &["--quarter", "2026-Q2"]).json();
    assert_eq!(value(&json, "installations"), Value::Null);
}

/// The events outside the quarter less the previous quarter's, and less
/// the earlier quarters' that their own reports print, are the events of a
/// quarter no report covers yet: the whole file's counts are published only
/// when the file holds no other quarter (reviews: 3 events of 2
/// installations on the day after the quarter, as a report made early in
/// the next quarter meets them, read off the ledger and
/// `input.usage_events`, also beside 5 earlier quarters' worth), and when
/// the filters left nothing of the previous quarter out (its events less
/// its column gave one installation's 3 CI scans).
#[test]
fn the_ledger_gives_no_small_group_of_another_quarter() {
    let meta = r#"{"mode": "cli", "profile": "fast"}"#;
    let data = |later: u32| {
        let mut data = String::new();
        for i in 0..25u32 {
            for _ in 0..2 {
                data += &event_line("scan.started", i, "2025-11-10T10:00:00Z", "1.0.0", meta);
                data += &event_line(
                    "scan.started",
                    100 + i,
                    "2026-02-10T10:00:00Z",
                    "1.0.0",
                    meta,
                );
            }
        }
        for i in 0..later {
            data += &event_line(
                "scan.started",
                200 + i,
                "2026-04-01T09:00:00Z",
                "1.0.0",
                meta,
            );
        }
        data
    };
    let few = report(&data(2), &[]).json();
    assert_eq!(few["report"]["ledger"]["outside_quarter"], Value::Null);
    for key in ["usage_events", "valid_events", "lines", "bytes"] {
        assert_eq!(few["input"][key], Value::Null, "input.{key}");
    }
    let many = report(&data(5), &[]).json();
    assert_eq!(many["report"]["ledger"]["outside_quarter"], Value::Null);
    assert_eq!(many["input"]["usage_events"], Value::Null);
    let none = report(&data(0), &[]).json();
    assert_eq!(none["report"]["ledger"]["outside_quarter"], 50);
    assert_eq!(none["input"]["usage_events"], 100);
    // 3 CI scans of one installation in the previous quarter.
    let ci = r#"{"mode": "cli", "profile": "fast", "ci_detected": true}"#;
    let mut with_ci = data(0);
    for _ in 0..3 {
        with_ci += &event_line("scan.started", 300, "2025-11-12T10:00:00Z", "1.0.0", ci);
    }
    let json = report(&with_ci, &["--exclude-ci"]).json();
    assert_eq!(json["report"]["ledger"]["outside_quarter"], Value::Null);
    assert_eq!(json["input"]["usage_events"], Value::Null);
    let json = report(&with_ci, &[]).json();
    assert_eq!(json["report"]["ledger"]["outside_quarter"], 53);
}

/// Under `--include-test` test events are usage events, and the ledger's
/// count of them was the event-type table's hidden test row, and the Other
/// row less it the other hidden types' (a review: Other 7 less 3 test
/// events gave tool.failed's 4). It is withheld then.
#[test]
fn the_ledger_gives_no_hidden_test_row() {
    let mut data = String::new();
    let at = "2026-02-10T10:00:00Z";
    for i in 0..25u32 {
        let meta = r#"{"mode": "cli", "profile": "fast"}"#;
        data += &event_line("scan.started", i, at, "1.0.0", meta);
        data += &event_line("scan.started", i, at, "1.0.0", meta);
    }
    for i in 0..4u32 {
        let meta = r#"{"tool": "zap", "failure_type": "timeout", "exit_code": null}"#;
        data += &event_line("tool.failed", i, at, "1.0.0", meta);
    }
    for _ in 0..3 {
        let meta = r#"{"message": "Test telemetry event from CLI"}"#;
        data += &event_line("test.event", 500, at, "1.0.0", meta);
    }
    let with = report(&data, &["--include-test"]);
    let json = with.json();
    assert_eq!(json["report"]["ledger"]["test_events"], Value::Null);
    assert_eq!(json["input"]["test_events"], Value::Null);
    // The whole file's valid events less its usage events (which leave the
    // test events out) gave them too.
    assert_eq!(json["input"]["valid_events"], Value::Null);
    assert_eq!(json["input"]["usage_events"], Value::Null);
    let other = rows(&json, "event_types");
    assert!(other.iter().any(|r| r.3 && r.1 == 7), "{other:?}");
    let md = String::from_utf8(with.all()["report.md"].clone()).unwrap();
    assert!(
        md.contains("| Test events (test, test.event), whole input | – |"),
        "{md}"
    );
    let without = report(&data, &[]).json();
    assert_eq!(without["report"]["ledger"]["test_events"], 3);
    assert_eq!(without["input"]["test_events"], 3);
}

/// More completions than starts, or more failures than runs, is no
/// proportion: no rate, no interval, and the report says why (a review saw
/// "125.0% ()" for 25 completions of 20 starts, 5 of them started the day
/// before the quarter, and a failure rate of 200.0%).
#[test]
fn a_rate_above_one_is_not_published() {
    let mut data = String::new();
    let started = r#"{"mode": "cli", "profile": "fast", "tools": ["trivy"]}"#;
    let completed = r#"{"mode": "cli", "profile": "fast", "duration_bucket": "<5min"}"#;
    for i in 0..25u32 {
        let (start, end) = if i < 20 {
            ("2026-02-01T10:00:00Z", "2026-02-01T10:30:00Z")
        } else {
            ("2025-12-31T23:50:00Z", "2026-01-01T00:20:00Z")
        };
        data += &event_line("scan.started", i, start, "1.0.0", started);
        data += &event_line("scan.completed", i, end, "1.0.0", completed);
    }
    let run = report(&data, &[]);
    let json = run.json();
    let rate = figure(&json, "completion_rate");
    assert_eq!(rate["rate"], Value::Null, "{rate}");
    assert_eq!(rate.get("interval"), None, "{rate}");
    let md = String::from_utf8(run.all()["report.md"].clone()).unwrap();
    assert!(!md.contains("()"), "{md}");
    assert!(
        md.contains("| – (no rate: 25 scans completed, 20 started"),
        "{md}"
    );
    // Nor as the completion row's share in summary.json (a review: 2.0).
    let completion = json["metrics"]["scan_completion"].as_array().unwrap();
    let completed = (completion.iter())
        .find(|r| r["value"] == "scan.completed")
        .unwrap();
    assert_eq!(completed["count"], 25);
    assert_eq!(completed.get("share"), Some(&Value::Null), "{completed}");

    let mut data = String::new();
    data += &event_line("scan.started", 1, "2026-02-01T10:00:00Z", "1.0.0", started);
    let failed = r#"{"tool": "trivy", "failure_type": "timeout", "exit_code": null}"#;
    for _ in 0..2 {
        data += &event_line("tool.failed", 1, "2026-02-01T10:05:00Z", "1.0.0", failed);
    }
    let run = report(
        &data,
        &[
            "--min-installations",
            "1",
            "--min-quarter-installations",
            "1",
        ],
    );
    let json = run.json();
    let rates = table(&json, "tool_failure_rates");
    assert_eq!(rates["rows"][0]["events"], 2, "{rates}");
    assert_eq!(rates["rows"][0]["share"], Value::Null, "{rates}");
    assert!(
        rates["about"]
            .as_str()
            .unwrap()
            .contains("more failures than runs"),
        "{rates}"
    );
    assert_eq!(
        json["metrics"]["tool_failure_rates"][0].get("rate"),
        Some(&Value::Null)
    );
    let all = run.all();
    let csv = String::from_utf8(all["data/tool_failure_rates.csv"].clone()).unwrap();
    assert!(!csv.contains("2.000000"), "{csv}");
    let md = String::from_utf8(all["report.md"].clone()).unwrap();
    assert!(!md.contains("200.0%"), "{md}");
}

/// Beside a previous table that hides no value, a new value is compared
/// with none then, and a value gone is shown with 0 (a review: deep, 15
/// of 25 scans now and none of 25 then, and custom, 10 of 25 then and none
/// now, had no change, and the report said no share had changed). Beside a
/// table that hides values nothing is said of either.
#[test]
fn values_new_or_gone_beside_a_complete_table_are_changes() {
    let mut data = String::new();
    for i in 0..25u32 {
        let profile = if i < 15 { "fast" } else { "custom" };
        let meta = format!(r#"{{"mode": "cli", "profile": "{profile}"}}"#);
        data += &event_line("scan.started", i, "2025-11-01T10:00:00Z", "1.0.0", &meta);
        let profile = if i < 10 { "fast" } else { "deep" };
        let meta = format!(r#"{{"mode": "cli", "profile": "{profile}"}}"#);
        data += &event_line(
            "scan.started",
            100 + i,
            "2026-02-01T10:00:00Z",
            "1.0.0",
            &meta,
        );
    }
    let run = report(&data, &[]);
    let json = run.json();
    let profiles = table(&json, "profiles")["rows"].as_array().unwrap().clone();
    let row = |value: &str| -> Value {
        (profiles.iter())
            .find(|r| r["value"] == value)
            .unwrap_or_else(|| panic!("no row {value}: {profiles:?}"))
            .clone()
    };
    assert_eq!(row("deep")["events"], 15);
    assert_eq!(row("deep")["previous_share"], 0.0);
    assert_eq!(row("deep")["change"], "up");
    assert_eq!(row("custom")["events"], 0);
    assert_eq!(row("custom")["installations"], 0);
    assert_eq!(row("custom")["share"], 0.0);
    assert_eq!(row("custom")["previous_share"], 0.4);
    assert_eq!(row("custom")["change"], "down");
    assert_eq!(row("fast")["change"], "no_clear_change");
    let md = String::from_utf8(run.all()["report.md"].clone()).unwrap();
    assert!(!md.contains("No published share changed"), "{md}");

    // One more profile of 1 installation then: the previous table hides a
    // value, so deep may have been it, and custom's absence now says nothing.
    let hidden = data.clone()
        + &event_line(
            "scan.started",
            99,
            "2025-11-01T10:00:00Z",
            "1.0.0",
            r#"{"mode": "cli", "profile": "rare"}"#,
        );
    let json = report(&hidden, &[]).json();
    let profiles = table(&json, "profiles")["rows"].as_array().unwrap().clone();
    assert!(
        profiles.iter().all(|r| r["value"] != "custom"),
        "{profiles:?}"
    );
    let deep = profiles.iter().find(|r| r["value"] == "deep").unwrap();
    assert_eq!(deep["previous_share"], Value::Null);
    assert_eq!(deep["change"], "not_comparable");

    // A list table hides a value without an Other row: zap, of 1
    // installation then, was hidden, not absent.
    let mut data = String::new();
    for i in 0..25u32 {
        let then = if i == 0 {
            r#"["trivy", "zap"]"#
        } else {
            r#"["trivy"]"#
        };
        let meta = format!(r#"{{"mode": "cli", "profile": "fast", "tools": {then}}}"#);
        data += &event_line("scan.started", i, "2025-11-01T10:00:00Z", "1.0.0", &meta);
        let meta = r#"{"mode": "cli", "profile": "fast", "tools": ["trivy", "zap"]}"#;
        data += &event_line(
            "scan.started",
            100 + i,
            "2026-02-01T10:00:00Z",
            "1.0.0",
            meta,
        );
    }
    let json = report(&data, &[]).json();
    let tools = table(&json, "scan_tools")["rows"]
        .as_array()
        .unwrap()
        .clone();
    let zap = tools.iter().find(|r| r["value"] == "zap").unwrap();
    assert_eq!(zap["events"], 25);
    assert_eq!(zap["previous_share"], Value::Null, "{tools:?}");
    assert_eq!(zap["change"], "not_comparable");
}

/// Every file of a report, its input's SHA-256 (which differs with any
/// byte of the input) replaced.
fn published(run: &Run) -> BTreeMap<String, String> {
    let sha = run.json()["input"]["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    (run.all().into_iter())
        .map(|(name, bytes)| {
            let text = String::from_utf8_lossy(&bytes).replace(&sha, "SHA-256");
            (name, text)
        })
        .collect()
}

/// The report says nothing of how many cells it hides: when one table
/// alone hid values, the report's total was that table's count, and with
/// its Other (5 events of 5 installations) gave each of 5 hidden platforms
/// as exactly 1 event (a review). The report is the same whether the 5
/// events come from 5 platforms of one installation each or from 2 (names
/// of one length: the input's size is published).
#[test]
fn how_many_cells_are_hidden_is_not_published() {
    let data = |rare: [&str; 5]| {
        let mut data = String::new();
        for i in 0..40u32 {
            let platform = if i < 35 {
                "Linux"
            } else {
                rare[i as usize - 35]
            };
            data += &event_line(
                "scan.started",
                i,
                &format!("2026-02-{:02}T10:00:00Z", 1 + i % 20),
                "1.0.0",
                r#"{"mode": "cli", "profile": "fast"}"#,
            )
            .replace("\"Linux\"", &format!("\"{platform}\""));
        }
        data
    };
    let five = report(&data(["Haiku", "Minix", "SunOS", "Plan9", "Redox"]), &[]);
    let two = report(&data(["Haiku", "Haiku", "Haiku", "Haiku", "Minix"]), &[]);
    let other = &rows(&five.json(), "platforms")[1];
    assert_eq!(other, &("Other".to_string(), 5, 5, true));
    assert_same_reports(&published(&five), &published(&two));
}

/// A client's profile named like the report's Other row reads as a value,
/// not as Other: the report's own Other rows are in italics in Markdown
/// (and a row of class `other` in HTML), which a client's text cannot be,
/// and the client's is in quotes.
#[test]
fn a_value_named_like_other_does_not_read_as_the_other_row() {
    let mut data = String::new();
    for i in 0..30u32 {
        let profile = match i {
            0..=14 => "fast",
            15..=20 => "Other (hidden values)",
            21..=25 => "balanced",
            _ => "secret",
        };
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        let meta = format!(r#"{{"mode": "cli", "profile": "{profile}"}}"#);
        data += &event_line("scan.started", i, &ts, "1.0.0", &meta);
    }
    let run = report(&data, &[]);
    let md = run.file("report.md");
    let profiles = &md[md.find("### Scan profiles").unwrap()..];
    let profiles = &profiles[..profiles[4..].find("###").unwrap() + 4];
    assert!(
        profiles.contains("\n| \"Other (hidden values)\" | 6 | 6 |"),
        "{profiles}"
    );
    assert!(
        profiles.contains("\n| *Other (hidden values)* |"),
        "{profiles}"
    );
    let html = run.file("report.html");
    assert!(html.contains("<tr class=\"other\"><td>Other (hidden values)</td>"));
}

/// Under `--exclude-ci` (and `--version`) a scan's events can be split, its
/// `scan.started` left out and its `scan.completed` and `tool.failed` kept:
/// the completion rate and the failure rates are not computed, and the
/// report says why, where it shows failures and runs (see the summary test
/// `filters_that_split_a_scan_leave_its_ratios_uncomputed`).
#[test]
fn filters_that_split_a_scan_publish_no_completion_or_failure_rate() {
    let mut data = String::new();
    for i in 0..30 {
        let ts = format!("2026-02-{:02}T10:00:00Z", 1 + i % 20);
        let meta = format!(
            r#"{{"mode": "cli", "profile": "fast", "tools": ["trivy"], "ci_detected": {}}}"#,
            i < 10
        );
        data += &event_line("scan.started", i, &ts, "1.0.0", &meta);
        data += &event_line(
            "scan.completed",
            i,
            &ts,
            "1.0.0",
            r#"{"mode": "cli", "profile": "fast", "duration_bucket": "<5min"}"#,
        );
        if i % 4 == 0 {
            let meta = r#"{"tool": "trivy", "failure_type": "timeout"}"#;
            data += &event_line("tool.failed", i, &ts, "1.0.0", meta);
        }
    }
    let rate = |json: &Value| figure(json, "completion_rate")["rate"].clone();
    let trivy = |json: &Value| {
        table(json, "tool_failure_rates")["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == "trivy")
            .expect("trivy's row")
            .clone()
    };
    let all = report(&data, &[]).json();
    assert_eq!(rate(&all), 1.0);
    assert_eq!(trivy(&all)["runs"], 30);
    assert_eq!(trivy(&all)["share"].as_f64().unwrap(), 0.266667, "8 of 30");

    for flags in [&["--exclude-ci"][..], &["--version", "1.0"][..]] {
        let run = report(&data, flags);
        let json = run.json();
        assert_eq!(rate(&json), Value::Null, "{flags:?}");
        assert_eq!(figure(&json, "completion_rate")["interval"], Value::Null);
        let row = trivy(&json);
        assert_eq!(row["events"], 8, "{flags:?}");
        assert_eq!(row["share"], Value::Null, "{flags:?}");
        assert_eq!(row["interval"], Value::Null, "{flags:?}");
        let about = table(&json, "tool_failure_rates")["about"]
            .as_str()
            .unwrap();
        assert!(about.contains("no rate is computed: --"), "{about}");
        let md = run.file("report.md");
        assert!(
            md.contains("The completion rate and the tool failure rates are not computed: --"),
            "{flags:?}"
        );
        let summary_rows = json["metrics"]["tool_failure_rates"].as_array().unwrap();
        assert!(
            summary_rows.iter().all(|r| r["rate"].is_null()),
            "{summary_rows:?}"
        );
    }
    let ci = report(&data, &["--exclude-ci"]).json();
    assert_eq!(trivy(&ci)["runs"], 20);
}

/// `report` never replaces or removes its input: not at a path it writes,
/// nor at one an earlier report's list names for removal, nor when the
/// input comes on stdin from it; the refused run writes nothing (a review:
/// `report DIR/summary.json --out DIR` replaced the events with the
/// report's JSON).
#[test]
fn the_report_never_replaces_or_removes_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rep");
    let events = std::fs::read("fixtures/events.jsonl").unwrap();
    bin()
        .args([
            "report",
            "fixtures/events.jsonl",
            "--quarter",
            "2026-Q1",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let snapshot = || {
        let mut files: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
        let mut stack = vec![out.clone()];
        while let Some(at) = stack.pop() {
            for entry in std::fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path.clone());
                    files.push((path, Vec::new()));
                } else {
                    files.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    // Runs the report on `file`, by its path and from stdin; each must be
    // refused, naming `named` and `how`, and leave every file as it was.
    let refused = |file: &std::path::Path, named: &str, how: &str| {
        let before = snapshot();
        let by_path = bin()
            .args(["report", "--quarter", "2026-Q1", "-q", "--out"])
            .arg(&out)
            .arg(file)
            .output()
            .unwrap();
        let by_stdin = std::process::Command::new(assert_cmd::cargo::cargo_bin("jmo-analyze"))
            .args(["report", "-", "--quarter", "2026-Q1", "-q", "--out"])
            .arg(&out)
            .stdin(std::fs::File::open(file).unwrap())
            .output()
            .unwrap();
        for (run, what) in [
            (by_path, "the input file"),
            (by_stdin, "the file stdin reads"),
        ] {
            let err = String::from_utf8_lossy(&run.stderr);
            assert_eq!(run.status.code(), Some(1), "{err}");
            assert!(
                err.contains(&format!("{named} is {what}, which this run would {how}")),
                "{err}"
            );
            assert_eq!(snapshot(), before);
        }
    };
    // At a path the report writes.
    std::fs::write(out.join("summary.json"), &events).unwrap();
    refused(&out.join("summary.json"), "summary.json", "replace");
    // At a path the earlier report listed and this one does not write, as
    // the removal reads the line (`old.jsonl/` removes `old.jsonl`: a
    // review).
    std::fs::write(out.join("charts/old.jsonl"), &events).unwrap();
    let list = out.join(".jmo-analyze-files");
    let listed = std::fs::read_to_string(&list).unwrap();
    for line in [
        "charts/old.jsonl",
        "charts/old.jsonl/",
        "charts/old.jsonl/.",
    ] {
        std::fs::write(&list, format!("{listed}{line}\n")).unwrap();
        refused(&out.join("charts/old.jsonl"), "old.jsonl", "remove");
    }
}

/// `report FILE --quarter Q --out DIR ARGS…`, however it ends.
fn report_of(input: &Path, quarter: &str, out: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .arg("report")
        .arg(input)
        .args(["--quarter", quarter, "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

/// [`report_of`] that must succeed; its `summary.json`.
fn report_json(input: &Path, quarter: &str, out: &Path, args: &[&str]) -> Value {
    let run = report_of(input, quarter, out, args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

/// The previous column of every figure and table row.
fn previous_column(json: &Value) -> Vec<Value> {
    let figures = (json["report"]["figures"].as_array().unwrap().iter()).map(|f| {
        serde_json::json!([
            f["key"],
            f["previous"],
            f["previous_rate"],
            f["previous_interval"],
            f["change"],
            f["count_change"]
        ])
    });
    let rows = (json["report"]["tables"].as_array().unwrap().iter()).flat_map(|t| {
        (t["rows"].as_array().unwrap().iter()).map(|r| {
            serde_json::json!([
                t["name"],
                r["group"],
                r["value"],
                r["previous_share"],
                r["previous_interval"],
                r["change"]
            ])
        })
    });
    figures.chain(rows).collect()
}

/// `--previous` reads the column the previous report published, by the
/// same functions that recompute it: on a file without late events, the
/// report is the same either way but for the sentence and the flag that
/// say where the column comes from (the sample data, with a population,
/// hidden values and Other rows; and the constructed data set).
#[test]
fn a_previous_column_read_from_its_report_is_the_one_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/events.jsonl");
    let constructed = tmp.path().join("constructed.jsonl");
    std::fs::write(&constructed, dataset()).unwrap();
    // And a 2025-Q3 of 25 installations in mode podman, which 2025-Q4's
    // complete table shows at 0 events (a row of no metric).
    let mut gone = dataset();
    for id in 500..525 {
        let meta = r#"{"mode": "podman", "profile": "balanced"}"#;
        gone.push_str(&event_line(
            "scan.started",
            id,
            "2025-08-03T10:00:00Z",
            "1.0.0",
            meta,
        ));
    }
    let with_gone = tmp.path().join("gone.jsonl");
    std::fs::write(&with_gone, gone).unwrap();
    let cases = [
        (&sample, "2026-Q1", "2026-Q2", &["--population", "900"][..]),
        (&constructed, "2025-Q4", "2026-Q1", &[][..]),
        (&with_gone, "2025-Q4", "2026-Q1", &[][..]),
    ];
    for (n, (input, before, quarter, flags)) in cases.into_iter().enumerate() {
        let dir = |name: &str| tmp.path().join(format!("{n}-{name}"));
        let published = report_json(input, before, &dir("before"), flags);
        if n == 2 {
            assert!(rows(&published, "modes").contains(&("podman".into(), 0, 0, false)));
        }
        let plain = report_json(input, quarter, &dir("plain"), flags);
        let previous = dir("before");
        let mut args = flags.to_vec();
        args.extend(["--previous", previous.to_str().unwrap()]);
        let read = report_json(input, quarter, &dir("read"), &args);
        assert_eq!(plain["report"]["previous_column"], "recomputed");
        assert_eq!(read["report"]["previous_column"], "published");
        let strip = |mut json: Value| {
            json["report"]["previous_column"] = Value::Null;
            json
        };
        assert_eq!(strip(plain.clone()), strip(read), "{}", input.display());
        assert!(previous_column(&plain).len() > 20);
        // The other files: the charts and CSV files alike; the documents
        // differ in their methodology's sentence and command line only.
        let (a, b) = (files(&dir("plain")), files(&dir("read")));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (name, bytes) in &a {
            if name == "summary.json" {
                continue;
            }
            let (x, y) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&b[name]),
            );
            let differ: Vec<(&str, &str)> =
                x.lines().zip(y.lines()).filter(|(l, r)| l != r).collect();
            assert_eq!(x.lines().count(), y.lines().count(), "{name}");
            if !name.starts_with("report.") {
                assert!(differ.is_empty(), "{name}: {differ:?}");
                continue;
            }
            assert_eq!(differ.len(), 2, "{name}: {differ:?}");
            assert!(
                differ[0].0.contains("column is recomputed from this input"),
                "{differ:?}"
            );
            assert!(differ[0].1.contains("report as published"), "{differ:?}");
            assert!(differ[1].1.contains(" --previous DIR"), "{differ:?}");
        }
    }
}

/// The constructed data set, its 2025-Q4 without installations P25..P29
/// (25 then): as a file made before their events arrived.
fn early() -> String {
    dataset()
        .lines()
        .filter(|l| !l.contains("\"2025-11-") || (25..30).all(|i| !l.contains(&uuid(i))))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Events of the previous quarter that arrive after its report was made
/// change the column recomputed from the input: the two releases compared
/// gave them. With `--previous` the column is the one published, the
/// maintainer is told what differs, and what the late events would give
/// away by subtraction from the published column is withheld.
#[test]
fn late_events_of_the_previous_quarter_change_nothing_published_with_previous() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, late) = (tmp.path().join("old.jsonl"), tmp.path().join("late.jsonl"));
    std::fs::write(&old, early()).unwrap();
    std::fs::write(&late, dataset()).unwrap();
    // (Its name shown as text, not obeyed by the terminal.)
    let q4 = tmp.path().join("2025-Q4\u{1b}[31m");
    let published = report_json(&old, "2025-Q4", &q4, &[]);
    assert_eq!(figure(&published, "installations")["value"], 25);
    // 2026-Q1 from the file it was made from: the column to be kept.
    let then = report_json(&old, "2026-Q1", &tmp.path().join("then"), &[]);
    let recomputed = report_json(&late, "2026-Q1", &tmp.path().join("recomputed"), &[]);
    assert_eq!(figure(&recomputed, "installations")["previous"], 30);
    assert_ne!(previous_column(&recomputed), previous_column(&then));
    let out = tmp.path().join("read");
    let run = report_of(
        &late,
        "2026-Q1",
        &out,
        &["--previous", q4.to_str().unwrap()],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(figure(&read, "installations")["previous"], 25);
    // Returning installations: 22 of the 25 published then; 3 would be
    // those that did not come back (recomputed against 30, 8 apart).
    assert_eq!(figure(&recomputed, "returning_installations")["value"], 22);
    for key in ["new_installations", "returning_installations"] {
        assert_eq!(figure(&read, key)["value"], Value::Null, "{key}");
    }
    // (Those two figures' changes differ: they are withheld now.)
    let kept = |json: &Value| -> Vec<Value> {
        let split = |row: &Value| {
            row[0]
                .as_str()
                .is_some_and(|k| k.ends_with("_installations"))
        };
        previous_column(json)
            .into_iter()
            .filter(|row| !split(row))
            .collect()
    };
    assert_eq!(kept(&read), kept(&then));
    // The file holds these two quarters only: its events outside the
    // quarter are published when they are the previous column's, and
    // withheld when late events are among them (their number would be
    // the difference).
    assert_eq!(recomputed["report"]["ledger"]["outside_quarter"], 120);
    assert_eq!(read["report"]["ledger"]["outside_quarter"], Value::Null);
    assert_eq!(read["input"]["lines"], Value::Null);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("note: the 2025-Q4 column is taken from ")
            && stderr.contains("2025-Q4\\u{1b}[31m/summary.json as published")
            && !stderr.contains('\u{1b}')
            && stderr.contains("it would differ in ")
            && stderr.contains("installations"),
        "{stderr}"
    );
    // Beside a report directory named after its quarter, the one of the
    // quarter before is pointed at (not with --previous, nor -q).
    let beside = |args: &[&str]| {
        let out = tmp.path().join("2026-Q1");
        let run = report_of(&late, "2026-Q1", &out, args);
        assert!(run.status.success());
        String::from_utf8_lossy(&run.stderr).into_owned()
    };
    assert!(!beside(&[]).contains("may be the 2025-Q4 report"));
    std::fs::create_dir(tmp.path().join("2025-Q4")).unwrap();
    std::fs::copy(
        q4.join("summary.json"),
        tmp.path().join("2025-Q4/summary.json"),
    )
    .unwrap();
    let said = beside(&[]);
    assert!(
        said.contains("2025-Q4 may be the 2025-Q4 report: `--previous ")
            && said.contains("2025-Q4` takes the 2025-Q4 column from it as published"),
        "{said}"
    );
    assert!(beside(&["-q"]).is_empty());
    let given = ["--previous", q4.to_str().unwrap()];
    assert!(!beside(&given).contains("may be the"));
    // Quiet says nothing.
    let quiet = report_of(
        &late,
        "2026-Q1",
        &out,
        &["-q", "--previous", q4.to_str().unwrap()],
    );
    assert!(quiet.status.success() && quiet.stderr.is_empty());
    // The opt-in rate's previous value: the published installations, over
    // the --population of the report they were published in (this one's
    // when it gave none).
    let opt_in = |dir: &str, args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--population", "900"]);
        let out = tmp.path().join(dir);
        let run = report_of(&late, "2026-Q1", &out, &args);
        assert!(run.status.success());
        let json: Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        let rate = figure(&json, "opt_in_rate")["previous_rate"]
            .as_f64()
            .unwrap();
        (rate, String::from_utf8_lossy(&run.stderr).into_owned())
    };
    assert_eq!(opt_in("o1", &[]).0, 0.033333); // 30 / 900
    let (rate, said) = opt_in("o2", &given);
    assert_eq!(rate, 0.027778); // 25 / 900
    assert!(!said.contains("--population"), "{said}");
    let q4_600 = tmp.path().join("q4-600");
    report_json(&old, "2025-Q4", &q4_600, &["--population", "600"]);
    let (rate, said) = opt_in("o3", &["--previous", q4_600.to_str().unwrap()]);
    assert_eq!(rate, 0.041667); // 25 / 600
    let md = std::fs::read_to_string(tmp.path().join("o3/report.md")).unwrap();
    assert!(md.contains("Its opt-in rate is over the 600 known installs that report gave."));
    assert!(
        said.contains("key figures: ")
            && said.contains("opt_in_rate")
            && said.contains("this report shows those values")
            && said.contains(
                "over the --population 600 that report was made with (this report's is 900)"
            ),
        "{said}"
    );
}

/// A `--previous` that is not the previous quarter's report, made as this
/// one is, is a usage error naming the flag, the file and what to give;
/// nothing is written, and a report is never written over it.
#[test]
fn a_wrong_previous_report_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("events.jsonl");
    std::fs::write(&input, dataset()).unwrap();
    let dir = |name: &str| tmp.path().join(name);
    report_json(&input, "2025-Q4", &dir("q4"), &[]);
    report_json(&input, "2025-Q4", &dir("q4-ci"), &["--exclude-ci"]);
    report_json(
        &input,
        "2025-Q4",
        &dir("q4-k6"),
        &["--min-installations", "6"],
    );
    report_json(&input, "2026-Q1", &dir("q1"), &[]);
    let summary = dir("summary.json");
    let run = bin()
        .arg("summary")
        .arg(&input)
        .args(["--format", "json", "-o"])
        .arg(&summary)
        .output()
        .unwrap();
    assert!(run.status.success());
    std::fs::create_dir(dir("empty")).unwrap();
    let cases: [(PathBuf, &[&str], &str); 9] = [
        (PathBuf::from("-"), &[], "stdin is the input's alone here"),
        (
            dir("q1"),
            &[],
            "it is the report of 2026-Q1, not of 2025-Q4, the quarter before 2026-Q1",
        ),
        (dir("q4-ci"), &[], "it was made with other filters"),
        (
            dir("q4"),
            &["--exclude-ci"],
            "it was made with other filters",
        ),
        (dir("q4-k6"), &[], "it was made with --min-installations 6"),
        (
            summary.clone(),
            &[],
            "not a report's summary.json (no `report` section",
        ),
        (input.clone(), &[], "not a report's summary.json"),
        (dir("nowhere"), &[], "No such file"),
        (
            dir("empty"),
            &[],
            "empty: no summary.json in this directory",
        ),
    ];
    for (previous, flags, why) in cases {
        let out = dir("out");
        let mut args = flags.to_vec();
        args.extend(["--previous", previous.to_str().unwrap()]);
        let run = report_of(&input, "2026-Q1", &out, &args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{why}: {stderr}");
        assert!(
            stderr.contains("--previous ") && stderr.contains(why),
            "{why}: {stderr}"
        );
        assert!(
            stderr.contains("give the directory of the 2025-Q4 report"),
            "{stderr}"
        );
        assert!(!out.exists(), "{why}");
    }
    // Its own directory as --out would remove the report it reads.
    let before = files(&dir("q4"));
    let q4 = dir("q4");
    let run = report_of(
        &input,
        "2026-Q1",
        &q4,
        &["--previous", q4.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && stderr.contains("is the --previous report"),
        "{stderr}"
    );
    assert_eq!(files(&q4), before);
}

/// One fast CLI scan started by each installation of `ids` on `day`.
fn scans(ids: &mut dyn Iterator<Item = u32>, day: &str) -> String {
    let meta = r#"{"mode": "cli", "profile": "fast"}"#;
    ids.map(|id| {
        event_line(
            "scan.started",
            id,
            &format!("{day}T10:00:00Z"),
            "1.0.0",
            meta,
        )
    })
    .collect()
}

/// Installations that sent only late events of the previous quarter, and
/// came back: the new and returning ones are judged against the
/// installations a reader adds up from the published reports (a review:
/// 2026-Q1's 20 and 2026-Q2's 15 new gave 35 seen before 2026-Q3, and 37
/// returning told the 2 whose 2026-Q2 events arrived late).
#[test]
fn returning_installations_are_judged_against_the_published_history() {
    let q1 = scans(&mut (0..20), "2026-02-10");
    let q2 = scans(&mut (0..10).chain(100..115), "2026-05-10");
    let late = scans(&mut (200..202), "2026-05-11");
    let q3 = scans(
        &mut (0..20).chain(100..115).chain(200..202).chain(300..310),
        "2026-08-10",
    );
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (tmp.path().join("old.jsonl"), tmp.path().join("new.jsonl"));
    std::fs::write(&old, format!("{q1}{q2}")).unwrap();
    std::fs::write(&new, format!("{q1}{q2}{late}{q3}")).unwrap();
    let q2_dir = tmp.path().join("2026-Q2");
    let published = report_json(&old, "2026-Q2", &q2_dir, &[]);
    assert_eq!(figure(&published, "new_installations")["value"], 15);
    let previous = ["--previous", q2_dir.to_str().unwrap()];
    let read = report_json(&new, "2026-Q3", &tmp.path().join("read"), &previous);
    assert_eq!(figure(&read, "installations")["previous"], 25);
    for key in ["new_installations", "returning_installations"] {
        assert_eq!(figure(&read, key)["value"], Value::Null, "{key}");
    }
    // Without the late ones, the split is published.
    std::fs::write(
        &new,
        format!(
            "{q1}{q2}{}",
            scans(&mut (0..20).chain(100..115).chain(300..310), "2026-08-10")
        ),
    )
    .unwrap();
    let plain = report_json(&new, "2026-Q3", &tmp.path().join("plain"), &previous);
    assert_eq!(figure(&plain, "returning_installations")["value"], 35);
    // A previous split withheld (2 returning, 20 new) bounds those seen
    // before 2026-Q3 only (20 + 22 at most); all 40 of them back is
    // published, with `--previous` as without it (a review: the bound
    // withheld it).
    std::fs::write(
        &old,
        format!("{q1}{}", scans(&mut (0..2).chain(100..120), "2026-05-10")),
    )
    .unwrap();
    std::fs::write(
        &new,
        format!(
            "{q1}{}{}",
            scans(&mut (0..2).chain(100..120), "2026-05-10"),
            scans(&mut (0..20).chain(100..120).chain(300..310), "2026-08-10")
        ),
    )
    .unwrap();
    let published = report_json(&old, "2026-Q2", &q2_dir, &[]);
    assert_eq!(figure(&published, "installations")["value"], 22);
    assert_eq!(
        figure(&published, "new_installations")["value"],
        Value::Null
    );
    for flags in [&previous[..], &[]] {
        let all_back = report_json(&new, "2026-Q3", &tmp.path().join("back"), flags);
        assert_eq!(
            figure(&all_back, "returning_installations")["value"],
            40,
            "{flags:?}"
        );
        assert_eq!(figure(&all_back, "new_installations")["value"], 10);
    }
}

/// A previous report published below a threshold is read as published,
/// whatever its late events add: below the quarter's threshold (15 of 20)
/// its breakdowns are not compared, and below k (3) the whole file's counts
/// are withheld, as its usage events were.
#[test]
fn a_previous_report_below_a_threshold_stays_below_it() {
    let tmp = tempfile::tempdir().unwrap();
    let q4_dir = tmp.path().join("2025-Q4");
    let q1 = scans(&mut (0..3).chain(100..125), "2026-02-10");
    // `published` installations in 2025-Q4's report, and `late` more whose
    // 2025-Q4 events arrived after it: that report, and 2026-Q1's
    // recomputed and with `--previous`.
    let quarters = |published: u32, late: u32| -> [Value; 3] {
        let (old, new) = (tmp.path().join("old.jsonl"), tmp.path().join("new.jsonl"));
        let q4 = scans(&mut (0..published), "2025-11-10");
        let late = scans(&mut (50..50 + late), "2025-11-11");
        std::fs::write(&old, &q4).unwrap();
        std::fs::write(&new, format!("{q4}{late}{q1}")).unwrap();
        let previous = ["--previous", q4_dir.to_str().unwrap()];
        [
            report_json(&old, "2025-Q4", &q4_dir, &[]),
            report_json(&new, "2026-Q1", &tmp.path().join("a"), &[]),
            report_json(&new, "2026-Q1", &tmp.path().join("b"), &previous),
        ]
    };
    // 15 installations published, 21 with the late ones.
    let [published, recomputed, read] = quarters(15, 6);
    assert_eq!(published["report"]["significant"], false);
    assert_eq!(recomputed["report"]["previous_has_data"], true);
    assert_eq!(read["report"]["previous_has_data"], false);
    assert_eq!(figure(&read, "installations")["previous"], 15);
    // 3 installations published (their usage events withheld), 8 with the
    // late ones: the file's events outside the quarter would give theirs.
    let [published, recomputed, read] = quarters(3, 5);
    assert_eq!(figure(&published, "usage_events")["value"], Value::Null);
    assert_eq!(recomputed["report"]["ledger"]["outside_quarter"], 8);
    assert_eq!(figure(&recomputed, "usage_events")["previous"], 8);
    assert_eq!(figure(&read, "usage_events")["previous"], Value::Null);
    assert_eq!(read["report"]["ledger"]["outside_quarter"], Value::Null);
}
