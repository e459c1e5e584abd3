//! Integration tests: run the `jmo-analyze summary` binary on the edge-case
//! fixtures, every format and bad input, and check exact numbers.

use std::collections::BTreeMap;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::Tmpfs;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
    cmd.env_remove("NO_COLOR").env_remove("COLUMNS");
    cmd
}

/// Runs `summary FILE --format json ARGS` and parses stdout.
fn summary_json(file: &str, args: &[&str]) -> Value {
    let out = bin()
        .args(["summary", file, "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What `summary FILE ARGS` prints (it must succeed), without colour.
fn summary_stdout(file: &str, args: &[&str]) -> String {
    let out = bin()
        .args(["summary", file])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// A metric as `value text → count` (null → "null", booleans → "true"/"false").
fn counts(summary: &Value, metric: &str) -> BTreeMap<String, u64> {
    summary["metrics"][metric]
        .as_array()
        .unwrap_or_else(|| panic!("no metric {metric}"))
        .iter()
        .map(|row| {
            let v = match &row["value"] {
                Value::Null => "null".to_string(),
                Value::Bool(b) => b.to_string(),
                Value::String(s) => s.clone(),
                other => panic!("unexpected value {other}"),
            };
            let key = match row.get("group") {
                Some(Value::String(g)) => format!("{g}/{v}"),
                _ => v,
            };
            (key, row["count"].as_u64().unwrap())
        })
        .collect()
}

fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn bom_crlf_and_blank_lines() {
    let s = summary_json("fixtures/edge/bom_crlf.jsonl", &[]);
    let i = &s["input"];
    assert_eq!(i["lines"], 5);
    assert_eq!(i["blank_lines"], 2);
    assert_eq!(i["invalid_lines"], 0);
    assert_eq!(i["valid_events"], 3);
    assert_eq!(i["usage_events"], 2);
    assert_eq!(i["marker_events"], 1);
    assert_eq!(s["totals"]["unique_ids"], 1);
    assert_eq!(
        counts(&s, "event_types"),
        map(&[
            ("scan.started", 1),
            ("scan.completed", 1),
            ("telemetry.initialized", 1)
        ])
    );
    assert_eq!(s["period"]["first"], "2025-10-20T10:00:00.500Z");
    assert_eq!(s["schema"], "jmo-analyze.summary/1");
}

#[test]
fn timestamps_with_offsets_fall_in_the_right_quarter() {
    let all = summary_json("fixtures/edge/timestamps.jsonl", &[]);
    assert_eq!(all["totals"]["usage_events"], 6);
    // 2026-01-01T00:30+02:00 and 2025-12-31T20:30-05:00 are both in 2025-Q4 / 2026-Q1 after UTC normalisation.
    let q4 = summary_json("fixtures/edge/timestamps.jsonl", &["--quarter", "2025-Q4"]);
    assert_eq!(
        q4["totals"]["usage_events"], 2,
        "23:30Z Dec 31 and 22:30Z Dec 31"
    );
    assert_eq!(q4["input"]["filtered_out"], 4);
    assert_eq!(counts(&q4, "platforms"), map(&[("Linux", 2)]));
    let q1 = summary_json("fixtures/edge/timestamps.jsonl", &["--quarter", "2026-Q1"]);
    assert_eq!(q1["totals"]["usage_events"], 3);
    assert_eq!(q1["period"]["first"], "2026-01-01T01:30:00Z");
    assert_eq!(q1["period"]["last"], "2026-03-31T23:59:59.999999Z");
    assert_eq!(q1["period"]["filters"]["quarter"], "2026-Q1");
    assert_eq!(q1["period"]["filters"]["until"], "2026-04-01T00:00:00Z");
    let since = summary_json(
        "fixtures/edge/timestamps.jsonl",
        &["--since", "2026-02-10", "--until", "2026-03-31"],
    );
    assert_eq!(since["totals"]["usage_events"], 2);
    let v = summary_json("fixtures/edge/timestamps.jsonl", &["--version", "0.7"]);
    assert_eq!(v["totals"]["usage_events"], 4);
    let v = summary_json("fixtures/edge/timestamps.jsonl", &["--version", "0.7.1"]);
    assert_eq!(v["totals"]["usage_events"], 2);
    let ci = summary_json("fixtures/edge/timestamps.jsonl", &["--exclude-ci"]);
    assert_eq!(ci["totals"]["usage_events"], 5);
    assert_eq!(ci["period"]["filters"]["exclude_ci"], true);
}

#[test]
fn escapes_decode_and_untrusted_strings_stay_inert() {
    let s = summary_json("fixtures/edge/escapes.jsonl", &[]);
    assert_eq!(counts(&s, "profiles"), map(&[("équipe 🚀", 2)]));
    assert_eq!(counts(&s, "scan_tools")["trivy"], 1);
    assert_eq!(counts(&s, "scan_tools")["\u{1b}[31mred"], 1);

    let csv = bin()
        .args(["summary", "fixtures/edge/escapes.jsonl", "-f", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.contains("scan_tools,\"'=HYPERLINK(\"\"http://x\"\")\",1,"),
        "{csv}"
    );
    assert!(csv.contains("output_formats,'+cmd,1,"), "{csv}");
    assert!(csv.contains("output_formats,'-2+3,1,"), "{csv}");
    assert!(csv.contains("output_formats,'@SUM(A1),1,"), "{csv}");
    for line in csv.lines().skip(1) {
        let value = line.split(',').nth(1).unwrap_or("");
        assert!(
            !value.starts_with(['=', '+', '-', '@']),
            "unguarded cell: {line}"
        );
    }

    let md = bin()
        .args(["summary", "fixtures/edge/escapes.jsonl", "-f", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(!md.contains("<script>"), "raw HTML in Markdown");
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(md.contains("a\\|b"));
    // Neither a Markdown link nor a bare URL GitHub would link.
    assert!(md.contains("\\[link\\](http\\://x)"));
    assert!(!md.contains('\u{1b}'));

    let table = bin()
        .args(["summary", "fixtures/edge/escapes.jsonl"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(!table.contains('\u{1b}'), "terminal escape reached stdout");
    assert!(table.contains("\\u{1b}[31mred"));
}

/// A client's text `null` (or one that starts with a quote, or an empty
/// one) is shown in quotes in tables and Markdown, so it never reads as the
/// row of events without the field, nor as a blank cell (reviews); JSON
/// keeps each as it is.
#[test]
fn a_clients_null_reads_apart_from_a_missing_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.jsonl");
    let line = |hint: &str, profile: &str| {
        format!(
            "{{\"event\": \"scan.started\", \"timestamp\": \"2026-02-01T10:00:00Z\", \
             \"metadata\": {{\"profile\": {profile}{hint}}}}}\n"
        )
    };
    let text = line(", \"scan_frequency_hint\": \"null\"", "\"null\"")
        + &line("", "null")
        + &line(", \"scan_frequency_hint\": \"\\\"q\"", "\"fast\"")
        + &line(", \"scan_frequency_hint\": \"\"", "\"fast\"");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    for format in ["table", "markdown"] {
        let out = summary_stdout(file, &["--format", format]);
        let rows: Vec<&str> = out
            .lines()
            .map(|l| l.trim_matches(|c: char| "|│ ".contains(c)))
            .collect();
        let starts = |v: &str| rows.iter().filter(|r| r.starts_with(v)).count();
        // profiles and frequency_hints: each a client's "null" and a null.
        assert_eq!(starts("\"null\""), 2, "{out}");
        assert!(starts("null ") >= 2, "{out}");
        assert_eq!(starts("\"\"q\""), 1, "{out}");
        // An empty one is no blank cell.
        assert_eq!(starts("\"\" "), 1, "{out}");
    }
    let json = summary_json(file, &[]);
    let values: Vec<&Value> = (json["metrics"]["frequency_hints"]
        .as_array()
        .unwrap()
        .iter())
    .map(|row| &row["value"])
    .collect();
    assert_eq!(
        values.iter().filter(|v| v.is_null()).count()
            + 10 * values.iter().filter(|v| v.as_str() == Some("null")).count(),
        11,
        "{values:?}"
    );
}

#[test]
fn every_kind_of_invalid_line_is_counted_and_named() {
    let out = bin()
        .args(["summary", "fixtures/edge/invalid.jsonl", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["input"]["lines"], 21);
    assert_eq!(s["input"]["invalid_lines"], 19);
    assert_eq!(s["input"]["valid_events"], 2);
    let lines: Vec<u64> = s["input"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, (2..=20).collect::<Vec<_>>());
    let reason = |line: usize| {
        s["input"]["problems"][line - 2]["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(reason(3), "not a JSON object");
    assert_eq!(reason(5), "missing field `event`");
    assert!(reason(8).starts_with("`metadata.mode`: invalid type: integer `3`"));
    assert!(reason(9).starts_with("`metadata.tools`: invalid type: a string of 5 chars"));
    assert_eq!(reason(16), "missing `timestamp`");
    // Invalid lines are excluded from every metric.
    assert_eq!(
        counts(&s, "event_types"),
        map(&[("scan.started", 1), ("scan.completed", 1)])
    );
    assert_eq!(counts(&s, "modes"), map(&[("cli", 1)]));
    // stderr lists the first 20 problems with file and line.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "warning: fixtures/edge/invalid.jsonl:8: skipped invalid line: `metadata.mode`"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 19);
}

#[test]
fn strict_stops_at_the_first_bad_line() {
    bin()
        .args(["summary", "fixtures/edge/invalid.jsonl", "--strict"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "fixtures/edge/invalid.jsonl:2: not valid JSON",
        ))
        .stderr(predicate::str::contains("--strict"));
    bin()
        .args([
            "summary",
            "fixtures/edge/minimal.jsonl",
            "--strict",
            "-f",
            "json",
        ])
        .assert()
        .success();
}

#[test]
fn an_invalid_lines_reason_never_drives_the_terminal() {
    // serde's reason gives the path to the bad field: a client's key with
    // escape sequences (a window title, a screen clear, a carriage return,
    // a right-to-left override), said by its length.
    let line = r#"{"event": "scan.started", "version": "0.7.1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "11111111-1111-4111-8111-111111111111", "timestamp": "2026-02-03T10:00:00+00:00", "metadata": {"target_types": {"\u001b]0;pwned\u0007\u001b[2J\rKEY\u202e": "3"}}}"#;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hostile.jsonl");
    std::fs::write(&input, format!("{line}\n")).unwrap();
    for strict in [true, false] {
        let mut cmd = bin();
        cmd.arg("summary").arg(&input).args(["-f", "json"]);
        if strict {
            cmd.arg("--strict");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(if strict { 1 } else { 0 }));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("`metadata.target_types.<key: 19 chars>`"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(['\u{1b}', '\u{7}', '\r', '\u{202e}']),
            "{stderr:?}"
        );
    }
    // The reason's own backslashes read as written (a review: an unpaired
    // surrogate's escape was shown `\\ud800`, as a value's are).
    let line = line.replace(
        r#"{"target_types": {"\u001b]0;pwned\u0007\u001b[2J\rKEY\u202e": "3"}}"#,
        r#"{"mode": "\ud800"}"#,
    );
    std::fs::write(&input, format!("{line}\n")).unwrap();
    let out = bin().arg("summary").arg(&input).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "skipped invalid line: not valid JSON: unpaired surrogate escape `\\ud800` ("
        ),
        "{stderr}"
    );
}

#[test]
fn minimal_and_optional_fields() {
    let s = summary_json("fixtures/edge/minimal.jsonl", &[]);
    let i = &s["input"];
    assert_eq!(
        (i["valid_events"].as_u64(), i["usage_events"].as_u64()),
        (Some(13), Some(10))
    );
    assert_eq!(
        (i["test_events"].as_u64(), i["marker_events"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        s["totals"]["unique_ids"], 3,
        "an event without anonymous_id is not an installation"
    );
    assert_eq!(s["totals"]["scans_started"], 4);
    assert_eq!(s["totals"]["scans_completed"], 0);
    assert_eq!(counts(&s, "event_types")["test"], 1);
    assert_eq!(counts(&s, "event_types")["test.event"], 1);
    assert_eq!(counts(&s, "event_types")["diff.generated"], 1);
    assert_eq!(
        counts(&s, "platforms"),
        map(&[("Linux", 5), ("null", 2), ("Darwin", 2), ("Windows", 1)])
    );
    assert_eq!(
        counts(&s, "profiles"),
        map(&[("null", 2), ("fast", 1), ("balanced", 1)])
    );
    assert_eq!(
        counts(&s, "multi_target"),
        map(&[("null", 2), ("single", 1), ("multi", 1)])
    );
    assert_eq!(
        counts(&s, "multi_target_reported"),
        map(&[("null", 3), ("false", 1)])
    );
    assert_eq!(counts(&s, "ci_detected"), map(&[("null", 3), ("true", 1)]));
    assert_eq!(counts(&s, "frequency_hints"), map(&[("null", 4)]));
    // Duplicates within one event's tools list count once.
    assert_eq!(
        counts(&s, "scan_tools"),
        map(&[("trivy", 2), ("semgrep", 1), ("zap", 1)])
    );
    assert_eq!(s["denominators"]["scan_tools"], 2);
    assert_eq!(s["metrics"]["scan_tools"][0]["share"], 1.0);
    assert_eq!(
        counts(&s, "tool_failures"),
        map(&[("zap", 1), ("nuclei", 1)])
    );
    let rates = s["metrics"]["tool_failure_rates"].as_array().unwrap();
    let nuclei = rates.iter().find(|r| r["value"] == "nuclei").unwrap();
    assert_eq!(
        (nuclei["runs"].as_u64(), nuclei["rate"].clone()),
        (Some(0), Value::Null)
    );
    let zap = rates.iter().find(|r| r["value"] == "zap").unwrap();
    assert_eq!(
        (zap["runs"].as_u64(), zap["rate"].as_f64()),
        (Some(1), Some(1.0))
    );
    assert_eq!(
        counts(&s, "wizard_artifacts"),
        map(&[("null", 1), ("gha", 1)])
    );
    let median = s["metrics"]["wizard_duration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == "median")
        .unwrap()
        .clone();
    assert_eq!(median["seconds"], 60.0);
    assert_eq!(counts(&s, "policy_violations"), map(&[("1-5", 1)]));
    assert_eq!(
        counts(&s, "events_per_installation"),
        map(&[("1", 1), ("6-10", 1), ("2-5", 1)])
    );
    assert_eq!(counts(&s, "active_installations")["week/2025-W43"], 3);
    assert_eq!(counts(&s, "active_installations")["month/2025-10"], 3);
    // Rows: count descending, ties by value.
    let platforms: Vec<&str> = s["metrics"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap_or("null"))
        .collect();
    assert_eq!(platforms, ["Linux", "Darwin", "null", "Windows"]);

    let with_test = summary_json("fixtures/edge/minimal.jsonl", &["--include-test"]);
    assert_eq!(with_test["totals"]["usage_events"], 12);
    assert_eq!(with_test["totals"]["unique_ids"], 3);
    // Test events counted as usage are filtered as usage: by version too
    // (one is 0.7.0-dev, one has none).
    let usage = |args: &[&str]| {
        summary_json("fixtures/edge/minimal.jsonl", args)["totals"]["usage_events"].clone()
    };
    assert_eq!(usage(&["--version", "1.0"]), 2);
    assert_eq!(usage(&["--version", "1.0", "--include-test"]), 2);
    assert_eq!(usage(&["--version", "0.7"]), 5);
    assert_eq!(usage(&["--version", "0.7", "--include-test"]), 6);
}

#[test]
fn stdin_and_output_file() {
    let input = std::fs::read("fixtures/edge/minimal.jsonl").unwrap();
    let out = bin()
        .args(["summary", "-", "-f", "json"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["input"]["source"], "-");
    assert_eq!(s["input"]["valid_events"], 13);
    // Messages call it stdin (the JSON keeps `-`): its invalid lines and
    // filters that leave nothing.
    let err = bin()
        .args(["summary", "-", "-f", "json", "--quarter", "2030-Q1"])
        .write_stdin("{\"event\": 3}\n".to_owned() + &String::from_utf8_lossy(&input))
        .output()
        .unwrap()
        .stderr;
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("warning: stdin:1: skipped invalid line")
            && err.contains("usage events of stdin passes the filters"),
        "{err}"
    );
    let from_file = summary_json("fixtures/edge/minimal.jsonl", &[]);
    assert_eq!(s["input"]["sha256"], from_file["input"]["sha256"]);
    assert_eq!(s["metrics"], from_file["metrics"]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    bin()
        .args(["summary", "fixtures/edge/minimal.jsonl", "-f", "csv", "-o"])
        .arg(&path)
        .assert()
        .success()
        .stdout("");
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("metric,value,count,share,"));
    assert!(csv.contains("platforms,Linux,5,0.5,"));
}

/// Filters that leave out every usage event, and an empty file, are said
/// on stderr (the tables were empty and nothing said why); `-q` quiets it.
#[test]
fn a_summary_that_counts_nothing_says_why() {
    let quarter = ["summary", "fixtures/events.jsonl", "--quarter", "2030-Q1"];
    bin().args(quarter).arg("-q").assert().success().stderr("");
    bin()
        .args(quarter)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: none of the 2981 usage events of fixtures/events.jsonl passes the \
             filters: check --quarter",
        ));
    let out = bin()
        .args([
            "summary",
            "fixtures/events.jsonl",
            "--version",
            "9.9",
            "--since",
            "2026-01-01",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "warning: none of the 2981 usage events of fixtures/events.jsonl passes the \
             filters: check --since, --version"
        ),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    // `summary FILE ARGS` succeeds and warns so.
    let warns = |file: &std::path::Path, args: &[&str], warning: String| {
        bin()
            .arg("summary")
            .arg(file)
            .args(args)
            .assert()
            .success()
            .stderr(predicate::str::contains(warning));
    };
    warns(
        &empty,
        &[],
        format!(
            "warning: {} is empty: there is nothing to count",
            empty.display()
        ),
    );
    // No valid line at all: a pretty-printed document, blank lines. The
    // report says so too, not "check --quarter" (a review).
    let pretty = dir.path().join("pretty.json");
    std::fs::write(&pretty, "{\n  \"event\": \"scan.started\"\n}\n").unwrap();
    let blank = dir.path().join("blank.jsonl");
    std::fs::write(&blank, "\n \n\t\n").unwrap();
    let out_dir = dir.path().join("report");
    for (file, why) in [
        (
            &pretty,
            format!(
                "warning: no line of {} is a valid event (3 invalid lines, the first reasons \
                 above): a JSONL file of events holds one JSON object a line,",
                pretty.display()
            ),
        ),
        (
            &blank,
            format!(
                "warning: {} holds only blank lines: there is nothing to count",
                blank.display()
            ),
        ),
    ] {
        for cmd in ["summary", "report"] {
            let mut run = bin();
            run.arg(cmd).arg(file);
            if cmd == "report" {
                run.args(["--quarter", "2026-Q1", "--out"]).arg(&out_dir);
            }
            let out = run.output().unwrap();
            assert!(out.status.success(), "{cmd}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(&why), "{cmd}: {err}");
            assert!(!err.contains("check --quarter"), "{cmd}: {err}");
        }
    }
    // Test and marker lines only: no usage event at all.
    let markers = dir.path().join("markers.jsonl");
    std::fs::write(
        &markers,
        "{\"event\": \"test\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\n",
    )
    .unwrap();
    warns(
        &markers,
        &[],
        format!(
            "warning: {} holds no usage event, only test and marker events (--include-test \
             counts the test events)",
            markers.display()
        ),
    );
    // With the flag, a quarter without them is the quarter's fault.
    warns(
        &markers,
        &["--include-test", "--quarter", "2024-Q1"],
        format!(
            "warning: none of the 1 usage events of {} passes the filters: check --quarter \
             2024-Q1; its usage events are on 2025-10-19 after it\n",
            markers.display()
        ),
    );
    // The days the events run over, of those that pass the other filters:
    // a mistyped period shows at once (a review: the flags alone were named).
    warns(
        std::path::Path::new("fixtures/events.jsonl"),
        &["--since", "2030-01-01", "--version", "1.0", "-f", "json"],
        "passes the filters: check --since, --version 1.0; the usage events that pass \
         --version 1.0 are from 2026-04-17 to 2026-06-25 before it\n"
            .to_owned(),
    );
    // A quarter between two with events: the days on each side (a review:
    // one span from the first to the last covered the quarter asked for).
    let gap = dir.path().join("gap.jsonl");
    let started = |day: &str| {
        format!(
            "{{\"event\": \"scan.started\", \"anonymous_id\": \"a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a30\", \
             \"timestamp\": \"{day}T10:00:00+02:00\"}}\n"
        )
    };
    std::fs::write(
        &gap,
        ["2025-11-03", "2025-11-01", "2026-05-01", "2026-05-03"]
            .map(started)
            .concat(),
    )
    .unwrap();
    warns(
        &gap,
        &["--quarter", "2026-Q1", "-f", "json"],
        "check --quarter 2026-Q1; its usage events are from 2025-11-01 to 2025-11-03 before it \
         and from 2026-05-01 to 2026-05-03 after it\n"
            .to_owned(),
    );
    // None passes the version: no days to tell.
    warns(
        std::path::Path::new("fixtures/events.jsonl"),
        &["--until", "2020-01-01", "--version", "9.9", "-f", "json"],
        "passes the filters: check --until, --version 9.9\n".to_owned(),
    );
    // Filters that keep events: no warning.
    bin()
        .args([
            "summary",
            "fixtures/edge/minimal.jsonl",
            "--quarter",
            "2025-Q4",
        ])
        .assert()
        .success()
        .stderr("");
}

/// The spellings users reach for: `-f JSON`, `report -o DIR`, and the
/// token's variables in `fetch --help`.
#[test]
fn flags_read_as_users_write_them() {
    let json = bin()
        .args(["summary", "fixtures/edge/minimal.jsonl", "-f", "JSON"])
        .output()
        .unwrap();
    assert!(json.status.success());
    let s: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(s["input"]["valid_events"], 13);
    let dir = tempfile::tempdir().unwrap();
    for flag in ["-o", "--output", "--out"] {
        let out = dir.path().join(flag.trim_start_matches('-'));
        bin()
            .args([
                "report",
                "fixtures/edge/minimal.jsonl",
                "--quarter",
                "2025-Q4",
                "-q",
                flag,
            ])
            .arg(&out)
            .assert()
            .success();
        assert!(out.join("report.md").is_file(), "{flag}");
    }
    bin()
        .args(["fetch", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Token: JMO_TELEMETRY_GITHUB_TOKEN, else GITHUB_TOKEN, else GH_TOKEN",
        ));
}

/// A compressed file is refused with what to do, by every command that
/// reads events, from a path or stdin (it was read as text: hundreds of
/// "not UTF-8" lines and an empty summary, exit 0).
#[test]
fn a_compressed_input_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("events.jsonl.gz");
    std::fs::write(&gz, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03").unwrap();
    for cmd in [
        &["summary"][..],
        &["report", "--quarter", "2026-Q1", "--out"],
        &["validate"],
        &["audit"],
    ] {
        let mut run = bin();
        run.args(cmd);
        if cmd[0] == "report" {
            run.arg(dir.path().join("r"));
        }
        run.arg(&gz)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!(
                "{}: is gzip-compressed, not JSONL text; decompress it first, or give it on \
                 stdin: `gzip -dc {} | jmo-analyze {}{} -`",
                gz.display(),
                gz.display(),
                cmd.join(" "),
                if cmd[0] == "report" {
                    format!(" {}", dir.path().join("r").display())
                } else {
                    String::new()
                }
            )));
    }
    assert!(!dir.path().join("r").exists());
    bin()
        .args(["summary", "-"])
        .write_stdin(std::fs::read(&gz).unwrap())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "stdin is gzip-compressed, not JSONL text; decompress it in the pipe: \
             `gzip -dc FILE | jmo-analyze summary -`",
        ));
}

/// A file name need not be UTF-8 on Unix: it is read, and shown with its
/// bad bytes replaced (clap refused such a path before reading it).
#[cfg(unix)]
#[test]
fn an_input_whose_name_is_not_utf8_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"ev\xff.jsonl"));
    std::fs::copy("fixtures/edge/minimal.jsonl", &path).unwrap();
    let out = bin()
        .args(["summary", "-f", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["input"]["valid_events"], 13);
    assert!(
        s["input"]["source"]
            .as_str()
            .unwrap()
            .ends_with("ev\u{fffd}.jsonl")
    );
    let report = dir.path().join("r");
    bin()
        .args(["report", "--quarter", "2026-Q1", "-q", "--out"])
        .arg(&report)
        .arg(&path)
        .assert()
        .success();
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("ev\u{fffd}.jsonl"), "{md}");
}

/// `--charts DIR` never replaces the input or `--output`'s file, and one
/// path for both is a usage error; each refused run writes nothing (a
/// review: the input in DIR became a chart, `-o DIR/activity.svg` lost
/// the chart silently, and `-o P --charts P` failed after making P).
#[test]
fn the_charts_replace_neither_the_input_nor_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let at = |p: &str| dir.path().join(p);
    let events = std::fs::read("fixtures/edge/minimal.jsonl").unwrap();
    std::fs::create_dir(at("charts")).unwrap();
    std::fs::write(at("charts/platforms.png"), &events).unwrap();
    let run = |args: &[&std::path::Path]| {
        let out = bin()
            .current_dir(dir.path())
            .args(["summary", "-q", "-f", "json"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Every file and directory under the work directory, hidden ones too.
    let listing = || {
        fn walk(at: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(at).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                }
                out.push(path);
            }
        }
        let mut names = Vec::new();
        walk(dir.path(), &mut names);
        names.sort();
        names
    };
    let before = listing();
    let input = at("charts/platforms.png");
    let (code, err) = run(&[&input, "--charts".as_ref(), &at("charts")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("platforms.png is the input file, which this run would replace"),
        "{err}"
    );
    assert_eq!(std::fs::read(&input).unwrap(), events);
    assert_eq!(listing(), before);
    std::fs::remove_file(&input).unwrap();
    std::fs::write(at("events.jsonl"), &events).unwrap();
    let input = at("events.jsonl");
    let before = listing();
    // --output's file where a chart goes, through another spelling.
    let (code, err) = run(&[
        &input,
        "-o".as_ref(),
        &at("charts/../charts/activity.svg"),
        "--charts".as_ref(),
        &at("charts"),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("activity.svg is --output's file"), "{err}");
    assert_eq!(listing(), before);
    // One path for both, neither there yet: exit 2, nothing made.
    for (output, charts) in [("same", "same"), ("same/", "./same")] {
        let (code, err) = run(&[
            &input,
            "-o".as_ref(),
            output.as_ref(),
            "--charts".as_ref(),
            charts.as_ref(),
        ]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("are one path"), "{err}");
        assert_eq!(listing(), before);
    }
    // --output through a link to nothing, where the charts go (a review:
    // the charts were written through it, or the run failed after them).
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("later", at("to-later")).unwrap();
        std::os::unix::fs::symlink("charts/modes.svg", at("to-chart")).unwrap();
        let before = listing();
        let (code, err) = run(&[
            &input,
            "-o".as_ref(),
            &at("to-later"),
            "--charts".as_ref(),
            &at("later"),
        ]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("are one path"), "{err}");
        let (code, err) = run(&[
            &input,
            "-o".as_ref(),
            &at("to-chart"),
            "--charts".as_ref(),
            &at("charts"),
        ]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("modes.svg is --output's file"), "{err}");
        assert_eq!(listing(), before);
        std::fs::remove_file(at("to-later")).unwrap();
        std::fs::remove_file(at("to-chart")).unwrap();
    }
    // `-` names no directory (it made one named `-`), and a path ending in
    // `/` no file (the message named no flag).
    let (code, err) = run(&[&input, "--charts".as_ref(), "-".as_ref()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--charts - names a directory"), "{err}");
    for path in ["new/", "new.json/."] {
        let (code, err) = run(&[&input, "-o".as_ref(), path.as_ref()]);
        assert_eq!(code, Some(1), "{err}");
        assert!(
            err.contains(&format!(
                "--output {path}: cannot create the file: a file's path ends in its name, not in / or /."
            )),
            "{err}"
        );
    }
    assert_eq!(listing(), before);
    // The summary beside its charts is fine.
    let (code, err) = run(&[
        &input,
        "-o".as_ref(),
        &at("charts/summary.json"),
        "--charts".as_ref(),
        &at("charts"),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(at("charts/summary.json").is_file() && at("charts/activity.svg").is_file());
}

#[test]
fn an_output_file_is_replaced_only_by_a_whole_summary() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    std::fs::copy("fixtures/edge/minimal.jsonl", &input).unwrap();
    let events = std::fs::read(&input).unwrap();
    // The input as the output: refused, the events kept.
    for output in [input.clone(), dir.path().join(".").join("events.jsonl")] {
        bin()
            .args(["summary", "-f", "json"])
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("is the input file"));
        assert_eq!(std::fs::read(&input).unwrap(), events);
    }
    // A new output file has the mode any new file gets here.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let (made, new) = (dir.path().join("made"), dir.path().join("new.json"));
        std::fs::write(&made, "").unwrap();
        bin()
            .args(["summary", "fixtures/edge/minimal.jsonl", "-o"])
            .arg(&new)
            .assert()
            .success();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&new), mode(&made));
        std::fs::remove_file(&made).unwrap();
        std::fs::remove_file(&new).unwrap();
    }
    // Nor when the events come on stdin from it (`summary - -o F < F`).
    #[cfg(unix)]
    {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("jmo-analyze"))
            .args(["summary", "-", "-f", "json", "-o"])
            .arg(&input)
            .stdin(std::fs::File::open(&input).unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("is the input file"));
        assert_eq!(std::fs::read(&input).unwrap(), events);
    }
    // A run that fails leaves the old output as it was, and no other file.
    let out = dir.path().join("s.csv");
    std::fs::write(&out, "old\n").unwrap();
    bin()
        .args(["summary", "no/such/events.jsonl", "-f", "csv", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["events.jsonl", "s.csv"]);
}

#[test]
fn a_timestamp_before_the_year_1_is_an_invalid_line_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("year0.jsonl");
    let line = |ts: &str| {
        format!(
            "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"platform\": \"Linux\", \"python_version\": \"3.12\", \"anonymous_id\": \"a4fd5073-95c7-402d-97cd-718ec598034d\", \"timestamp\": \"{ts}\", \"metadata\": {{\"mode\": \"cli\", \"profile\": \"fast\"}}}}\n"
        )
    };
    // The first two days of the year 0 are in ISO week year -1.
    let text = line("0000-01-01T00:00:00Z") + &line("0001-01-01T00:00:00Z");
    std::fs::write(&path, text).unwrap();
    let s = summary_json(path.to_str().unwrap(), &["--quiet"]);
    assert_eq!(s["input"]["valid_events"], 1);
    assert_eq!(s["input"]["invalid_lines"], 1);
    assert_eq!(s["input"]["problems"][0]["line"], 1);
    assert!(
        s["input"]["problems"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("before the year 1"),
        "{}",
        s["input"]["problems"][0]
    );
}

/// Makes a FIFO at `path` (with `mkfifo`).
#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    assert!(
        std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success()
    );
}

/// `-o` through a symbolic link writes the file it names, and makes no
/// directory for it (it made the target's missing directories, where a
/// shell's `>` fails, as `-o` does for a path as given); a loop of links is
/// refused (a rename replaced a link of it with a file).
#[cfg(unix)]
#[test]
fn an_output_link_is_written_through_and_its_targets_directories_are_not_made() {
    let dir = tempfile::tempdir().unwrap();
    let summary = |out: &std::path::Path| {
        bin()
            .args(["summary", "fixtures/edge/minimal.jsonl", "-f", "json", "-o"])
            .arg(out)
            .assert()
    };
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("runs/1.json", &link).unwrap();
    summary(&link)
        .code(1)
        .stderr(predicate::str::contains(format!(
            "cannot write {}: it is a symbolic link to {}, whose directory does not exist",
            link.display(),
            dir.path().join("runs/1.json").display()
        )));
    assert!(!dir.path().join("runs").exists());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    std::fs::create_dir(dir.path().join("runs")).unwrap();
    summary(&link).success();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(dir.path().join("runs/1.json")).unwrap();
    assert!(written.contains("\"input\""), "{written}");

    // A directory that cannot be reached for another reason is the
    // system's error, not "does not exist" (a review: EACCES was).
    std::fs::write(dir.path().join("file"), "").unwrap();
    let through_a_file = dir.path().join("odd.json");
    std::os::unix::fs::symlink("file/sub/1.json", &through_a_file).unwrap();
    summary(&through_a_file)
        .code(1)
        .stderr(predicate::str::contains("does not exist").not());

    // A loop of links is an error, as in a shell, not replaced by a file.
    let looped = dir.path().join("loop.json");
    std::os::unix::fs::symlink("loop.json", &looped).unwrap();
    summary(&looped).code(1).stderr(predicate::str::contains(
        "too many levels of symbolic links (a loop?)",
    ));
    assert!(
        std::fs::symlink_metadata(&looped)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// `-o` in a directory that is not there names what is in the way: a
/// missing directory, a file, a loop of links (a review: the file and the
/// loop were said not to exist).
#[cfg(unix)]
#[test]
fn an_output_whose_directory_cannot_be_reached_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
    for (out, why) in [
        ("missing/1.json", "missing does not exist".to_owned()),
        ("file/1.json", "file is not a directory".to_owned()),
        (
            "a/1.json",
            format!("a: {}", std::io::Error::from_raw_os_error(40)),
        ),
        (
            "file/sub/1.json",
            format!("file/sub: {}", std::io::Error::from_raw_os_error(20)),
        ),
    ] {
        let out = dir.path().join(out);
        bin()
            .args(["summary", "fixtures/edge/minimal.jsonl", "-f", "json", "-o"])
            .arg(&out)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!(
                "--output {}: cannot create the file: {}/{why}",
                out.display(),
                dir.path().display()
            )));
    }
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["a", "b", "file"]);
}

/// A read-only `-o` file is left as it is (a review: the rename replaced
/// it, its mode kept, where a shell's `>` fails), and nothing is written.
#[cfg(unix)]
#[test]
fn a_read_only_output_is_left_as_it_is() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("summary.json");
    std::fs::write(&out, "kept\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o444)).unwrap();
    bin()
        .args(["summary", "fixtures/edge/minimal.jsonl", "-f", "json", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "Error: --output {p}: cannot create the file: {p} is read-only: it is left as it \
             is; make it writable for this user, or choose another path with -o/--output\n",
            p = out.display()
        ));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "kept\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// An output that no rename may replace, whatever its mode says, is left
/// as it is, told why before the work (a review: `chattr +i` was told as
/// read-only, which no chmod mends; a sticky directory's rename failed
/// after the work, the message blaming the directory).
#[cfg(target_os = "linux")]
#[test]
fn an_output_no_rename_may_replace_is_told_why() {
    use std::os::unix::fs::PermissionsExt;
    let chattr = |flag: &str, p: &std::path::Path| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(p)
            .status()
            .is_ok_and(|s| s.success())
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("summary.json");
    std::fs::write(&out, "kept\n").unwrap();
    let run = |out: &std::path::Path| {
        bin()
            .args(["summary", "fixtures/edge/minimal.jsonl", "-f", "json", "-o"])
            .arg(out)
            .output()
            .unwrap()
    };
    let told = |why: String| {
        format!(
            "Error: --output {p}: cannot create the file: {p} cannot be replaced: {why}; it is \
             left as it is; choose another path with -o/--output\n",
            p = out.display()
        )
    };
    // Root may set them on this file system (tests run as root here).
    if chattr("+i", &out) {
        let got = run(&out);
        assert!(chattr("-i", &out));
        assert_eq!(got.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&got.stderr),
            told(format!(
                "{} is immutable or append-only (chattr +i or +a)",
                out.display()
            ))
        );
        assert!(chattr("+a", dir.path()));
        let got = run(&out);
        assert!(chattr("-a", dir.path()));
        assert_eq!(got.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&got.stderr),
            told(format!(
                "{} is a directory whose entries cannot change (chattr +i or +a)",
                dir.path().display()
            ))
        );
        // A new file there is one that cannot be made.
        let new = dir.path().join("new.json");
        assert!(chattr("+a", dir.path()));
        let got = run(&new);
        assert!(chattr("-a", dir.path()));
        assert_eq!(
            String::from_utf8_lossy(&got.stderr),
            format!(
                "Error: --output {p}: cannot create the file: {p} cannot be made: {d} is a \
                 directory whose entries cannot change (chattr +i or +a); choose another path \
                 with -o/--output\n",
                p = new.display(),
                d = dir.path().display()
            )
        );
        // The directory named through a link: its own attributes, not the
        // link's (a review: the work ran, and its temporary file was left
        // where no one could remove it).
        let link = tempfile::tempdir().unwrap();
        let linked = link.path().join("dir");
        std::os::unix::fs::symlink(dir.path(), &linked).unwrap();
        assert!(chattr("+a", dir.path()));
        let got = run(&linked.join("summary.json"));
        assert!(chattr("-a", dir.path()));
        assert_eq!(got.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&got.stderr).contains(&format!(
                "{} is a directory whose entries cannot change",
                linked.display()
            )),
            "{got:?}"
        );
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "kept\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    } else {
        eprintln!("chattr is not available here: its cases skipped");
    }
    // Another user's file in a sticky directory, run as `nobody` (which
    // needs root to start).
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: the sticky directory's case skipped");
        return;
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o666)).unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::copy("fixtures/edge/minimal.jsonl", &input).unwrap();
    let got = {
        use std::os::unix::process::CommandExt as _;
        std::process::Command::new(assert_cmd::cargo::cargo_bin("jmo-analyze"))
            .args(["summary", "-f", "json", "-o"])
            .arg(&out)
            .arg(&input)
            .current_dir(dir.path())
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
    };
    assert_eq!(got.status.code(), Some(1), "{got:?}");
    assert_eq!(
        String::from_utf8_lossy(&got.stderr),
        told(format!(
            "{} is another user's, in a directory where only they may replace it (its sticky \
             bit)",
            out.display()
        ))
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "kept\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    // A link another user made there is not followed, as the kernel's
    // protected_symlinks does not follow it (a review: root's `-o` replaced
    // the file it named). This user's own link is.
    let victim = tempfile::tempdir().unwrap();
    let kept = victim.path().join("kept.json");
    std::fs::write(&kept, "kept\n").unwrap();
    let link = dir.path().join("theirs.json");
    std::os::unix::fs::symlink(&kept, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
    let got = run(&link);
    assert_eq!(got.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&got.stderr),
        format!(
            "Error: --output {p}: cannot create the file: {p} cannot be replaced: {p} is a \
             symbolic link another user made in a sticky directory anyone may write in, which is \
             not followed (as the kernel's protected_symlinks does not); it is left as it is; \
             choose another path with -o/--output\n",
            p = link.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "kept\n");
    // This user's own, in a directory of another's.
    std::os::unix::fs::lchown(&link, Some(0), Some(0)).unwrap();
    std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534)).unwrap();
    assert!(run(&link).status.success());
    // The directory's owner's.
    std::fs::write(&kept, "kept\n").unwrap();
    std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
    assert!(run(&link).status.success());
    assert!(std::fs::read_to_string(&kept).unwrap().starts_with('{'));
}

/// A FIFO (or a device) as `-o` is written to, not replaced by a file.
#[cfg(unix)]
#[test]
fn an_output_that_is_not_a_file_is_written_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    bin()
        .args(["summary", "fixtures/edge/minimal.jsonl", "-f", "json", "-o"])
        .arg(&fifo)
        .assert()
        .success();
    let got: Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(got["input"]["valid_events"], 13);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// `summary INPUT -q -f json --charts CHARTS ARGS…`, run.
fn summary_charts(
    input: impl AsRef<std::ffi::OsStr>,
    charts: &std::path::Path,
    args: &[&std::ffi::OsStr],
) -> assert_cmd::assert::Assert {
    bin()
        .arg("summary")
        .arg(input)
        .args(["-q", "-f", "json", "--charts"])
        .arg(charts)
        .args(args)
        .assert()
}

#[test]
fn charts_are_written_all_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("ch");
    std::fs::create_dir_all(charts.join("platforms.png")).unwrap();
    let out = dir.path().join("out.json");
    summary_charts(
        "fixtures/events.jsonl",
        &charts,
        &["-o".as_ref(), out.as_ref()],
    )
    .code(1)
    .stderr(predicate::str::contains("platforms.png is a directory"));
    let left: Vec<_> = std::fs::read_dir(&charts).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(!out.exists());
    // Nothing beside them either.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// One event dated 1970 does not push every real week off the weekly
/// charts (a review: their axis ran 1970-W02 to 1979-W32, every 2025 week
/// left out); the subtitle counts it as not drawn.
#[test]
fn a_far_off_timestamp_does_not_push_the_real_weeks_off_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    let far = r#"{"event": "scan.started", "version": "6.6.6", "platform": "Linux", "python_version": "3.11", "anonymous_id": "99999999-1111-4111-8111-111111111111", "timestamp": "1970-01-05T10:00:00Z", "metadata": {"mode": "cli", "profile": "fast", "tools": ["trivy"]}}"#;
    let events = std::fs::read_to_string("fixtures/events.jsonl").unwrap();
    std::fs::write(&input, format!("{far}\n{events}")).unwrap();
    let charts = dir.path().join("ch");
    let out = dir.path().join("out.json");
    summary_charts(&input, &charts, &["-o".as_ref(), out.as_ref()]).success();
    // The activity chart's labels carry the year (version adoption's do
    // not; its weeks are the unit tests' in src/render/chart.rs).
    let activity = std::fs::read_to_string(charts.join("activity.svg")).unwrap();
    assert!(activity.contains("2025-W42"), "{activity}");
    assert!(!activity.contains("1970-W") && !activity.contains("1979-W"));
    for chart in ["activity.svg", "version_adoption.svg"] {
        let svg = std::fs::read_to_string(charts.join(chart)).unwrap();
        assert!(svg.contains("1 far-off event not drawn"), "{chart}");
    }
}

/// A period's ends cut the weeks they fall in: the activity chart says so,
/// as the report's does (a review: its bars at the ends were lower, unsaid).
#[test]
fn the_activity_chart_marks_the_weeks_a_period_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let subtitle = |args: &[&str]| {
        let charts = dir.path().join(format!("ch{}", args.len()));
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        summary_charts("fixtures/events.jsonl", &charts, &args).success();
        let svg = std::fs::read_to_string(charts.join("activity.svg")).unwrap();
        let at = svg.find("usage events from").expect("the subtitle");
        svg[at..at + svg[at..].find('<').unwrap()]
            .trim_end()
            .to_owned()
    };
    // No period: no week is cut (the data's own first and last weeks are
    // simply when it starts and ends).
    assert_eq!(subtitle(&[]), "usage events from 89 installations");
    // 2026-Q2 starts on a Wednesday; its data ends on Thursday 2026-06-25,
    // in a week the quarter holds whole.
    assert!(
        subtitle(&["--quarter", "2026-Q2"]).ends_with("; first week partial"),
        "{}",
        subtitle(&["--quarter", "2026-Q2"])
    );
    // Wednesday to Wednesday (--until keeps its day: to Thursday 00:00).
    assert!(
        subtitle(&["--since", "2026-01-07", "--until", "2026-03-04"])
            .ends_with("; first and last weeks partial")
    );
    // From a Monday to a Sunday: whole weeks.
    assert!(!subtitle(&["--since", "2026-01-05", "--until", "2026-03-01"]).contains("partial"));
}

#[test]
fn bad_inputs_get_clear_errors() {
    bin()
        .args(["summary", "no/such/events.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no/such/events.jsonl: no such file",
        ));
    let dir = tempfile::tempdir().unwrap();
    bin()
        .args(["summary"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "is a directory, and holds no .jsonl file; give a JSONL file",
        ));
    // The .jsonl files it holds are named (a review: it suggested
    // DIR/events.jsonl where there was none).
    std::fs::write(dir.path().join("telemetry.jsonl"), "").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    bin()
        .args(["summary"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "is a directory; give a JSONL file, such as {}",
            dir.path().join("telemetry.jsonl").display()
        )));
    bin()
        .args([
            "summary",
            "fixtures/edge/minimal.jsonl",
            "--quarter",
            "2026-Q5",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("use YEAR-Qn"));
    // An empty --version kept no event, silently (a review); one with a
    // control or invisible character reached the terminal raw, in clap's
    // refusal too: the message names what is wrong, not the value.
    for (version, why) in [
        ("", "is empty"),
        (" 1.0", "has spaces at its ends"),
        (
            "0\u{1b}]0;PWNED\u{7}7",
            "holds a control or invisible character",
        ),
        ("0.7\u{202e}x", "holds a control or invisible character"),
        // It kept nothing (a prefix must end at a `.` or `-` of the
        // version's own), with only the warning of a filter keeping no event.
        ("0.7.", "ends with `.` or `-`"),
        ("0.7-", "ends with `.` or `-`"),
    ] {
        let out = bin()
            .args([
                "summary",
                "fixtures/edge/minimal.jsonl",
                "--version",
                version,
            ])
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(
            err,
            format!(
                "error: --version {why}: give a JMo version such as 0.7.1, or its start such as \
                 0.7\n"
            )
        );
    }
    bin()
        .args([
            "summary",
            "fixtures/edge/minimal.jsonl",
            "--since",
            "yesterday",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'yesterday' for '--since <DATE>': `yesterday` is not a date",
        ));
    // Flags at odds are a usage error too (exit 2, as clap's).
    bin()
        .args([
            "summary",
            "fixtures/edge/minimal.jsonl",
            "--since",
            "2026-03-01",
            "--until",
            "2026-01-01",
        ])
        .assert()
        .code(2)
        .stderr("error: --since must not be after --until\n");
    bin()
        .args([
            "summary",
            "fixtures/edge/minimal.jsonl",
            "-o",
            "/no/such/dir/out.json",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--output /no/such/dir/out.json"));
}

#[test]
fn empty_file_garbage_and_a_huge_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, b"").unwrap();
    let s = summary_json(empty.to_str().unwrap(), &[]);
    assert_eq!(s["input"]["lines"], 0);
    assert_eq!(s["totals"]["usage_events"], 0);
    assert_eq!(s["period"]["first"], Value::Null);
    bin()
        .args(["summary"])
        .arg(&empty)
        .assert()
        .success()
        .stdout(predicate::str::contains("no usage events"));

    let garbage = dir.path().join("garbage.bin");
    let bytes: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, &bytes).unwrap();
    let s = summary_json(garbage.to_str().unwrap(), &["-q"]);
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let i = &s["input"];
    assert_eq!(i["valid_events"], 0);
    assert!(i["lines"].as_u64().unwrap() >= newlines);
    assert_eq!(
        i["lines"].as_u64(),
        Some(i["blank_lines"].as_u64().unwrap() + i["invalid_lines"].as_u64().unwrap())
    );

    let huge = dir.path().join("huge.jsonl");
    let mut line = br#"{"event": "scan.started", "timestamp": "2025-10-20T10:00:00Z", "metadata": {"mode": "cli", "tools": ["#.to_vec();
    while line.len() < 10 << 20 {
        line.extend_from_slice(br#""trivy", "#);
    }
    line.extend_from_slice(
        b"\"zap\"]}}\n{\"event\": \"test\", \"timestamp\": \"2025-10-20T10:00:00Z\"}\n",
    );
    std::fs::write(&huge, &line).unwrap();
    let s = summary_json(huge.to_str().unwrap(), &[]);
    assert_eq!(s["input"]["lines"], 2);
    assert_eq!(s["input"]["valid_events"], 2);
    assert_eq!(counts(&s, "scan_tools"), map(&[("trivy", 1), ("zap", 1)]));
}

#[test]
fn no_color_and_width_are_honoured() {
    let out = bin()
        .args(["summary", "fixtures/edge/minimal.jsonl"])
        .env("NO_COLOR", "1")
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'));
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
    // Descriptions are plain paragraphs; tables fit the width.
    let widest_table = text
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '└', '╞', '├']))
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(widest_table <= 60, "table {widest_table} wide");
    assert!(widest > 0);
}

/// In a narrow terminal the text columns and the headers wrap, never a
/// number: at `COLUMNS=20` a count split over two lines (`11` over `18` for
/// 1118, `37` `.4` ` %` for 37.4 %) read as two numbers.
#[test]
fn a_narrow_terminal_never_splits_a_number() {
    let out = bin()
        .args(["summary", "fixtures/events.jsonl"])
        .env("COLUMNS", "20")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let s = summary_json("fixtures/events.jsonl", &[]);
    // The overview's numbers too, in its text (a review: at 14 columns
    // `3023` and `2990` were split).
    for columns in ["12", "14", "20", "80"] {
        let out = bin()
            .args(["summary", "fixtures/events.jsonl", "-q"])
            .env("COLUMNS", columns)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let (overview, _) = text.split_once("\n\n").unwrap();
        // The input's SHA-256 whole, to be copied, where the width can
        // hold it (a review: at 80 columns it wrapped over two lines).
        let sha = s["input"]["sha256"].as_str().unwrap();
        assert_eq!(
            overview.contains(sha),
            columns == "80",
            "SHA-256 at {columns}:\n{overview}"
        );
        let words: std::collections::BTreeSet<&str> = overview
            .lines()
            .flat_map(|l| l.split(['│', '┆']))
            .flat_map(str::split_whitespace)
            .map(|w| w.trim_matches(['(', ')', ',', ':']))
            .collect();
        for key in [
            "lines",
            "blank_lines",
            "invalid_lines",
            "valid_events",
            "usage_events",
        ] {
            let n = s["input"][key].to_string();
            assert!(
                words.contains(n.as_str()),
                "{key} {n} split at {columns}:\n{overview}"
            );
        }
    }
    for metric in ["event_types", "platforms", "tool_failures"] {
        // The cells of this metric's table, from its title to its end.
        let (_, table) = text.split_once(&format!("\n{metric}: ")).unwrap();
        let cells: std::collections::BTreeSet<&str> = table
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with('└'))
            .filter(|l| l.starts_with('│'))
            .flat_map(|l| l.trim_matches('│').split('┆'))
            .map(str::trim)
            .collect();
        for row in s["metrics"][metric].as_array().unwrap() {
            for key in ["count", "installations"] {
                let n = row[key].to_string();
                assert!(
                    cells.contains(n.as_str()),
                    "{metric} {key} {n} split:\n{text}"
                );
            }
            // (A share below 0.05 % shows as `<0.1%`.)
            let share = row["share"].as_f64().unwrap() * 100.0;
            let shown = format!("{share:.1}%");
            assert!(
                share < 1.0 || cells.contains(shown.as_str()),
                "{metric} share {shown} split"
            );
        }
    }
}

/// A double-width character in a squeezed column one column wide broke
/// the table's borders (a review): every line of a table is as wide as
/// its top border, whatever the width asked.
#[test]
fn a_squeezed_table_keeps_its_borders_with_wide_characters() {
    use unicode_width::UnicodeWidthStr;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wide.jsonl");
    let events = std::fs::read_to_string("fixtures/edge/minimal.jsonl").unwrap();
    let wide = "\u{65e5}\u{672c}\u{8a9e}\u{306e}\u{30d7}\u{30e9}\u{30c3}\u{30c8}";
    std::fs::write(&file, events.replace("Linux", wide)).unwrap();
    for columns in 10..=40 {
        let out = bin()
            .args(["summary", "-q"])
            .arg(&file)
            .env("COLUMNS", columns.to_string())
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut border = 0;
        for line in text.lines() {
            if line.starts_with('┌') {
                border = line.width();
            } else if line.starts_with(['│', '╞', '├', '└']) {
                assert_eq!(line.width(), border, "at {columns} columns:\n{text}");
            }
        }
    }
}

/// A width of 0, from `COLUMNS` or from a terminal nobody sized (a
/// pseudo-terminal `script` makes without a terminal around it), sets no
/// limit: every column was squeezed to one character.
#[test]
fn a_width_of_zero_sets_no_limit() {
    let plain = bin()
        .args(["summary", "fixtures/events.jsonl", "-q"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(plain.status.success());
    let plain = String::from_utf8(plain.stdout).unwrap();
    let zero = bin()
        .args(["summary", "fixtures/events.jsonl", "-q"])
        .env("NO_COLOR", "1")
        .env("COLUMNS", "0")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(zero.stdout).unwrap(), plain);

    #[cfg(target_os = "linux")]
    if std::path::Path::new("/usr/bin/script").exists() {
        let dir = tempfile::tempdir().unwrap();
        let typescript = dir.path().join("typescript");
        let command = format!(
            "stty size; NO_COLOR=1 '{}' summary fixtures/events.jsonl -q",
            assert_cmd::cargo::cargo_bin("jmo-analyze").display()
        );
        let run = std::process::Command::new("/usr/bin/script")
            .args(["-qec", &command])
            .arg(&typescript)
            .env_remove("COLUMNS")
            .env_remove("LINES")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(run.status.success(), "{run:?}");
        let seen = String::from_utf8_lossy(&run.stdout).replace("\r\n", "\n");
        let (size, tables) = seen.split_once('\n').unwrap();
        if size.trim() == "0 0" {
            assert_eq!(tables, plain, "a 0-column terminal");
        }
    }
}

/// Writes `lines` into `name` in a new temporary directory: a
/// `scan.started` event per line, of one installation, listing its tools.
fn tools_file(name: &str, lines: impl Iterator<Item = Vec<String>>) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    let lines: Vec<String> = lines
        .map(|tools| {
            let tools: Vec<String> = tools.iter().map(|t| format!("{t:?}")).collect();
            format!(
                r#"{{"event": "scan.started", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2026-01-05T10:00:00Z", "metadata": {{"tools": [{}]}}}}"#,
                tools.join(", ")
            )
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let file = file.to_str().unwrap().to_string();
    (dir, file)
}

#[test]
fn terminal_tables_show_the_largest_rows_up_to_max_rows_and_say_how_many_more() {
    // 25 tools: t0 in 25 events, t1 in 24, … t24 in 1.
    let (_dir, file) = tools_file(
        "tools.jsonl",
        (0..25)
            .flat_map(|n| (0..n + 1).map(move |_| (0..25 - n).map(|i| format!("t{i}")).collect())),
    );
    let table = |args: &[&str]| summary_stdout(&file, args);
    let tool_rows = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("│ t"))
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| format!("t{}", l.split_whitespace().next().unwrap()))
            .collect()
    };
    let capped = table(&["--max-rows", "10"]);
    let want: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    assert_eq!(tool_rows(&capped), want, "{capped}");
    assert!(capped.contains("… and 15 more rows"), "{capped}");
    // The default shows all 25, and so does 0; neither says more.
    for args in [&[][..], &["--max-rows", "0"][..]] {
        let all = table(args);
        assert_eq!(tool_rows(&all).len(), 25, "{args:?}: {all}");
        assert!(!all.contains("more rows"), "{args:?}");
    }
    // JSON lists every row whatever the flag.
    let json = summary_json(&file, &["--max-rows", "10"]);
    assert_eq!(counts(&json, "scan_tools").len(), 25);
}

/// A review's file: one 70,000-character tool name beside 10,000 others
/// padded every row of the piped table to its width (1.3 GB of output).
/// A value is cut to 200 columns in a table, and the table says so;
/// JSON keeps it whole.
#[test]
fn a_very_long_value_is_cut_in_tables_not_padded_onto_every_row() {
    let long = format!("{}é{}", "C".repeat(150), "D".repeat(4_850));
    let (_dir, file) = tools_file(
        "long.jsonl",
        std::iter::once(
            std::iter::once(long.clone())
                .chain((0..300).map(|i| format!("t{i}")))
                .collect(),
        ),
    );
    let text = summary_stdout(&file, &[]);
    assert!(text.len() < 150_000, "{} bytes", text.len());
    let cut = format!("{}é{}…", "C".repeat(150), "D".repeat(48));
    assert!(text.contains(&format!("│ {cut} ")), "{text}");
    assert!(!text.contains(&"D".repeat(49)));
    assert!(
        text.contains(
            "Values wider than 200 columns, or of more than 800 characters,\n  are cut (…)"
        )
    );
    // A value of 200 columns is whole, and the note not given.
    let (_dir2, file2) = tools_file(
        "edge.jsonl",
        std::iter::once(vec!["E".repeat(200), "t".to_owned()]),
    );
    let edge = summary_stdout(&file2, &[]);
    assert!(
        edge.contains(&"E".repeat(200)) && !edge.contains("are cut"),
        "{edge}"
    );
    let json = summary_json(&file, &[]);
    assert_eq!(counts(&json, "scan_tools")[&long], 1);
}

#[test]
fn json_and_csv_written_as_they_go_end_quietly_at_a_closed_pipe() {
    // 20,000 distinct tools: far more output than a pipe holds, so the
    // writer meets the closed pipe while it writes, not after.
    let (_dir, file) = tools_file(
        "many.jsonl",
        (0..400).map(|e| (0..50).map(|i| format!("tool-{e}-{i}")).collect()),
    );
    for format in ["json", "csv"] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "set -o pipefail; {} summary {} -f {format} | head -c 10 >/dev/null",
                env!("CARGO_BIN_EXE_jmo-analyze"),
                file
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{format}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Written whole, the JSON holds every tool.
    let json = summary_json(&file, &[]);
    assert_eq!(counts(&json, "scan_tools").len(), 20_000);
}

#[test]
fn broken_pipe_exits_quietly() {
    // `head -c 10` closes the pipe early; the process must not print an error.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} summary fixtures/edge/minimal.jsonl -f markdown | head -c 10 >/dev/null",
            env!("CARGO_BIN_EXE_jmo-analyze")
        ))
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("Error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `lines` (one event each) to a file in `dir` and summarises it.
fn summary_of(dir: &tempfile::TempDir, lines: &[String], args: &[&str]) -> Value {
    let path = dir.path().join("events.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    summary_json(path.to_str().unwrap(), args)
}

/// One event line: `event` by installation `id` at `ts`, with `metadata`.
fn line(event: &str, id: u32, ts: &str, metadata: &str) -> String {
    format!(
        r#"{{"event": "{event}", "version": "1.0.0", "platform": "Linux", "python_version": "3.12", "anonymous_id": "{id:08x}-0000-4000-8000-000000000000", "timestamp": "{ts}", "metadata": {metadata}}}"#
    )
}

/// The bounds of --since and --until are exact to the microsecond: an event
/// at the --since instant is in, one at an RFC 3339 --until instant is in
/// (inclusive), and --version leaves test events alone (they are not usage:
/// only counted as event types).
#[test]
fn filter_bounds_and_what_a_filter_applies_to_are_exact() {
    let file = "fixtures/edge/timestamps.jsonl";
    let since = summary_json(file, &["--since", "2026-04-01T00:00:00Z"]);
    assert_eq!(since["totals"]["usage_events"], 1);
    let until = summary_json(file, &["--until", "2026-04-01T00:00:00Z"]);
    assert_eq!(until["totals"]["usage_events"], 6);
    let until = summary_json(file, &["--until", "2026-03-31T23:59:59.999998Z"]);
    assert_eq!(until["totals"]["usage_events"], 4);

    let v = summary_json("fixtures/edge/minimal.jsonl", &["--version", "0.7"]);
    assert_eq!(counts(&v, "event_types").get("test"), Some(&1));
    assert_eq!(v["input"]["filtered_out"], 5);
}

/// A test event's installation is no installation of the usage counts.
#[test]
fn a_test_events_installation_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let s = summary_of(
        &dir,
        &[
            line(
                "scan.started",
                1,
                "2026-01-05T10:00:00Z",
                r#"{"mode": "cli", "profile": "fast"}"#,
            ),
            line(
                "test.event",
                2,
                "2026-01-05T11:00:00Z",
                r#"{"message": "hi"}"#,
            ),
        ],
        &[],
    );
    assert_eq!(s["totals"]["unique_ids"], 1);
    assert_eq!(s["input"]["test_events"], 1);
}

/// An empty or blank `anonymous_id` names no installation, as a null or a
/// missing one does (a review: `""` and `"   "` were two installations).
#[test]
fn an_empty_or_blank_anonymous_id_is_no_installation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ids.jsonl");
    let event = |id: &str| {
        format!(
            r#"{{"event": "scan.started", {id}"timestamp": "2026-01-05T10:00:00Z", "metadata": {{"mode": "cli"}}}}"#
        )
    };
    let lines = [
        event(r#""anonymous_id": null, "#),
        event(r#""anonymous_id": "", "#),
        event(r#""anonymous_id": "   ", "#),
        event(""),
        event(r#""anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "#),
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();

    let s = summary_json(path.to_str().unwrap(), &[]);

    assert_eq!(s["input"]["usage_events"], 5);
    assert_eq!(s["totals"]["unique_ids"], 1);
}

/// The period runs from the earliest to the latest usage event whatever
/// their order in the file, also when they fall in different blocks read by
/// different workers (the file is over two 4 MiB blocks, the earliest event
/// in its last).
#[test]
fn the_period_is_the_earliest_and_latest_event_in_any_order_and_block() {
    let dir = tempfile::tempdir().unwrap();
    let meta = r#"{"mode": "cli", "profile": "fast"}"#;
    let mut lines = vec![line("scan.started", 1, "2026-01-05T00:00:00Z", meta)];
    lines.push(line("scan.started", 2, "2026-12-31T00:00:00Z", meta));
    for i in 0..60_000 {
        lines.push(line(
            "scan.started",
            3 + i % 50,
            "2026-06-15T12:00:00Z",
            meta,
        ));
    }
    lines.push(line("scan.started", 1, "2026-01-03T00:00:00Z", meta));
    lines.push(line("scan.started", 1, "2026-01-04T00:00:00Z", meta));
    let s = summary_of(&dir, &lines, &[]);
    assert!(
        std::fs::metadata(dir.path().join("events.jsonl"))
            .unwrap()
            .len()
            > 8 << 20
    );
    assert_eq!(s["period"]["first"], "2026-01-03T00:00:00Z");
    assert_eq!(s["period"]["last"], "2026-12-31T00:00:00Z");
    assert_eq!(s["totals"]["usage_events"], 60_004);
}

/// Inputs the generator never writes: a negative target count is no target
/// (multi-target needs two counts above zero), and values of 17 bytes that
/// differ in one byte in the middle are two values.
#[test]
fn negative_counts_and_long_near_alike_values_are_counted_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = summary_of(
        &dir,
        &[
            line(
                "scan.started",
                1,
                "2026-01-05T10:00:00Z",
                r#"{"mode": "cli", "profile": "abcdefgh1ijklmnop", "target_types": {"repos": 1, "images": -1}}"#,
            ),
            line(
                "scan.started",
                2,
                "2026-01-05T11:00:00Z",
                r#"{"mode": "cli", "profile": "abcdefgh2ijklmnop", "target_types": {"repos": 1, "images": 2}}"#,
            ),
        ],
        &[],
    );
    assert_eq!(
        counts(&s, "multi_target"),
        map(&[("single", 1), ("multi", 1)])
    );
    assert_eq!(
        counts(&s, "profiles"),
        map(&[("abcdefgh1ijklmnop", 1), ("abcdefgh2ijklmnop", 1)])
    );
}

/// Derived figures with exact numbers from a file small enough to count by
/// hand: the completion share (over scans started), a tool's failure rate
/// (failures over the scans that enabled it: `runs`), and shares within each
/// week of `versions_by_week`. The golden report was the only test of these.
#[test]
fn derived_figures_have_exact_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let started = |id, ts, tools: &str| {
        line(
            "scan.started",
            id,
            ts,
            &format!(r#"{{"mode": "cli", "profile": "fast", "tools": [{tools}]}}"#),
        )
    };
    let mut lines = vec![
        // Week 2026-W02: 3 scans started (trivy in all, semgrep in 1), 1 completed.
        started(1, "2026-01-05T10:00:00Z", r#""trivy", "semgrep""#),
        started(2, "2026-01-06T10:00:00Z", r#""trivy""#),
        started(2, "2026-01-07T10:00:00Z", r#""trivy""#),
        line(
            "scan.completed",
            1,
            "2026-01-05T10:30:00Z",
            r#"{"mode": "cli", "profile": "fast", "duration_bucket": "<5min"}"#,
        ),
        line(
            "tool.failed",
            2,
            "2026-01-06T10:05:00Z",
            r#"{"tool": "trivy", "failure_type": "timeout"}"#,
        ),
        // Week 2026-W03: 1 scan by installation 3 on version 0.9.0.
        started(3, "2026-01-13T10:00:00Z", r#""trivy""#).replace("1.0.0", "0.9.0"),
    ];
    lines.push(line(
        "tool.failed",
        3,
        "2026-01-13T10:05:00Z",
        r#"{"tool": "semgrep", "failure_type": "crash"}"#,
    ));
    let s = summary_of(&dir, &lines, &[]);
    let row = |metric: &str, value: &str, group: Option<&str>| -> Value {
        s["metrics"][metric]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == value && group.is_none_or(|g| r["group"] == g))
            .unwrap_or_else(|| panic!("{metric}: no row {value}"))
            .clone()
    };
    assert_eq!(s["totals"]["scans_started"], 4);
    assert_eq!(row("scan_completion", "scan.started", None)["share"], 1.0);
    assert_eq!(row("scan_completion", "scan.completed", None)["count"], 1);
    assert_eq!(
        row("scan_completion", "scan.completed", None)["share"],
        0.25
    );
    let trivy = row("tool_failure_rates", "trivy", None);
    assert_eq!(
        (trivy["count"].clone(), trivy["runs"].clone()),
        (1.into(), 4.into())
    );
    assert_eq!(trivy["rate"], 0.25);
    // semgrep failed once in a scan that did not list it: over 1 run.
    let semgrep = row("tool_failure_rates", "semgrep", None);
    assert_eq!(
        (semgrep["count"].clone(), semgrep["runs"].clone()),
        (1.into(), 1.into())
    );
    // Within each week: W02 holds 5 usage events of 1.0.0 (3 started, 1
    // completed, 1 failed), W03 one of 0.9.0 and one of 1.0.0.
    let w02 = row("versions_by_week", "1.0.0", Some("2026-W02"));
    assert_eq!(
        (w02["count"].clone(), w02["share"].clone()),
        (5.into(), 1.0.into())
    );
    let w03 = row("versions_by_week", "0.9.0", Some("2026-W03"));
    assert_eq!(
        (w03["count"].clone(), w03["share"].clone()),
        (1.into(), 0.5.into())
    );
}

/// A run of `summary -o OUT` on a FIFO nobody has written yet: it waits
/// for its input with its temporary file beside OUT already made. Returns
/// the child, once that file is there.
#[cfg(target_os = "linux")]
fn waiting_summary(dir: &std::path::Path, shell_prefix: &str) -> std::process::Child {
    use std::time::{Duration, Instant};
    let fifo = dir.join("events.fifo");
    mkfifo(&fifo);
    let bin = assert_cmd::cargo::cargo_bin("jmo-analyze");
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "{shell_prefix} exec \"$0\" summary -f json -o out.json events.fifo"
        ))
        .arg(bin)
        .current_dir(dir)
        .stderr(std::process::Stdio::null());
    // The run leaves a signal ignored when it was, so the shell starts with
    // the default actions (`shell_prefix` may ignore one), whatever ran the
    // tests did: a CI script run in the background (`&`) ignores SIGINT,
    // and the SIGINT case waited, "still running".
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                for signal in [libc::SIGHUP, libc::SIGINT, libc::SIGTERM] {
                    libc::signal(signal, libc::SIG_DFL);
                }
                Ok(())
            });
        }
    }
    let child = command.spawn().unwrap();
    let start = Instant::now();
    while temporaries(dir).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// The files in `dir` other than the input FIFO.
#[cfg(target_os = "linux")]
fn temporaries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "events.fifo")
        .collect()
}

#[cfg(target_os = "linux")]
fn wait_for(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{what}: still running");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Ctrl-C (SIGINT), a kill (SIGTERM) or a hang-up (SIGHUP) during a run
/// removes the temporary file written beside `-o` and ends the run as the
/// signal would (the file was left beside the output for good).
#[cfg(target_os = "linux")]
#[test]
fn a_signal_removes_the_temporary_output_file() {
    use std::os::unix::process::ExitStatusExt;
    for (signal, number) in [("-INT", 2), ("-TERM", 15), ("-HUP", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = waiting_summary(dir.path(), "");
        let names = temporaries(dir.path());
        assert!(
            names.len() == 1 && names[0].starts_with(".out.json."),
            "{names:?}"
        );
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = wait_for(&mut child, signal);
        assert_eq!(status.signal(), Some(number), "{signal}: {status:?}");
        assert_eq!(
            temporaries(dir.path()),
            Vec::<String>::new(),
            "{signal}: left behind"
        );
    }
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        for e in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            }
            all.push(e.path());
        }
    }
    all
}

/// A signal during `--charts` into a new directory under directories it
/// makes removes them with the staging directory (a review: Ctrl-C left
/// `a/b/`). Caught while the charts are drawn, after `a/b/` is made.
#[cfg(target_os = "linux")]
#[test]
fn a_signal_leaves_no_directory_the_charts_made() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let mut caught = 0;
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("jmo-analyze"));
        command
            .args(["summary", "fixtures/events.jsonl", "-q", "--charts"])
            .arg(dir.path().join("a/b/charts"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = command.spawn().unwrap();
        while !dir.path().join("a/b").exists() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // SAFETY: a signal to the child this test started.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let status = wait_for(&mut child, "--charts");
        // Caught before the charts moved in: nothing is left. (Caught after,
        // the charts are there whole.)
        if status.signal() == Some(libc::SIGINT) && !dir.path().join("a/b/charts").exists() {
            caught += 1;
            let left: Vec<_> = walkdir(dir.path());
            assert!(!dir.path().join("a").exists(), "left behind: {left:?}");
        }
    }
    assert!(caught > 0, "no run was caught drawing");
}

/// A signal the run inherited as ignored (`nohup`, a script's background
/// job) stays ignored: the run goes on and writes its output.
#[cfg(target_os = "linux")]
#[test]
fn an_inherited_ignored_signal_stays_ignored() {
    for (trap, signal) in [("INT", "-INT"), ("HUP", "-HUP")] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = waiting_summary(dir.path(), &format!("trap '' {trap};"));
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        // Still there to read its input, which ends the run.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let ended = child.try_wait().unwrap();
        assert!(ended.is_none(), "{signal} ended the run: {ended:?}");
        std::fs::write(
            dir.path().join("events.fifo"),
            std::fs::read("fixtures/edge/minimal.jsonl").unwrap(),
        )
        .unwrap();
        let status = wait_for(&mut child, signal);
        assert!(status.success(), "{signal}: {status:?}");
        assert_eq!(temporaries(dir.path()), ["out.json"], "{signal}");
    }
}

/// `--exclude-ci` leaves out a CI scan's `scan.started` but not its
/// `scan.completed` or `tool.failed` (they do not say), and `--version`
/// keeps each event by its own version (a run may mix them): under either,
/// completed over started and failures over runs would pair one scan's
/// events with another's (a review: completion 1/1 and trivy 1/1, where the
/// one scan left had neither), so those ratios are `null`, and stderr says
/// why. Counts stay; other filters leave the ratios as they are.
#[test]
fn filters_that_split_a_scan_leave_its_ratios_uncomputed() {
    let line = |event: &str, version: &str, id: &str, meta: &str| {
        format!(
            "{{\"event\": \"{event}\", \"version\": \"{version}\", \"platform\": \"Linux\", \
             \"python_version\": \"3.11\", \"anonymous_id\": \"{id}\", \
             \"timestamp\": \"2026-01-05T10:00:00+00:00\", \"metadata\": {meta}}}\n"
        )
    };
    let (a, b) = (
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
    );
    let started = |ci: bool| {
        format!(r#"{{"mode": "cli", "profile": "fast", "tools": ["trivy"], "ci_detected": {ci}}}"#)
    };
    let data = line("scan.started", "0.7.1", a, &started(false))
        + &line("scan.started", "0.7.0-dev", b, &started(true))
        + &line(
            "tool.failed",
            "0.7.1",
            b,
            r#"{"tool": "trivy", "failure_type": "timeout", "exit_code": null, "profile": "fast"}"#,
        )
        + &line(
            "scan.completed",
            "0.7.1",
            b,
            r#"{"mode": "cli", "profile": "fast", "duration_bucket": "<5min", "tools_succeeded": 1, "tools_failed": 1, "total_findings_bucket": "0"}"#,
        );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("split.jsonl");
    std::fs::write(&file, data).unwrap();
    let file = file.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = bin()
            .args(["summary", file, "-f", "json"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        (json, String::from_utf8(out.stderr).unwrap())
    };
    let rows = |json: &Value, metric: &str| json["metrics"][metric].as_array().unwrap().clone();
    let field = |json: &Value, metric: &str, value: &str, key: &str| {
        rows(json, metric)
            .iter()
            .find(|r| r["value"] == value)
            .unwrap_or_else(|| panic!("{metric}: no {value}"))[key]
            .clone()
    };

    let (all, err) = run(&[]);
    assert_eq!(
        field(&all, "scan_completion", "scan.completed", "share"),
        0.5
    );
    assert_eq!(field(&all, "tool_failure_rates", "trivy", "rate"), 0.5);
    assert!(!err.contains("not computed"), "{err}");
    // A period filter splits no scan here: the ratios stay.
    let (quarter, _) = run(&["--quarter", "2026-Q1"]);
    assert_eq!(
        field(&quarter, "scan_completion", "scan.completed", "share"),
        0.5
    );

    for (args, flag, started, runs) in [
        (&["--exclude-ci"][..], "--exclude-ci", 1, 1),
        (&["--version", "0.7.1"][..], "--version", 1, 1),
    ] {
        let (json, err) = run(args);
        assert_eq!(
            field(&json, "scan_completion", "scan.started", "count"),
            started
        );
        assert_eq!(
            field(&json, "scan_completion", "scan.completed", "count"),
            1
        );
        for r in rows(&json, "scan_completion") {
            assert_eq!(r["share"], Value::Null, "{flag}: {r}");
        }
        assert_eq!(field(&json, "tool_failure_rates", "trivy", "count"), 1);
        assert_eq!(field(&json, "tool_failure_rates", "trivy", "runs"), runs);
        assert_eq!(
            field(&json, "tool_failure_rates", "trivy", "rate"),
            Value::Null
        );
        assert_eq!(
            field(&json, "tool_failure_rates", "trivy", "share"),
            Value::Null
        );
        assert!(
            err.contains(
                "note: the completion share and the tool failure rates are not computed (null): "
            ) && err.contains(&format!("{flag} ")),
            "{flag}: {err}"
        );
        let (_, quiet) = run(&[args, &["-q"]].concat());
        assert_eq!(quiet, "", "{flag}");
    }
}

/// `tools_failed`, the failures the shipped client reports with each scan
/// (it never sent `tool.failed`): `scan.completed` events by the number, as
/// text, `null` when it is missing; a number past an integer key's 60 bits
/// is its own row, not the row of the number those bits hold (2^60 is not 0).
#[test]
fn scans_by_how_many_tools_failed() {
    let line = |failed: &str| {
        let field = if failed.is_empty() {
            String::new()
        } else {
            format!(", \"tools_failed\": {failed}")
        };
        format!(
            "{{\"event\": \"scan.completed\", \"version\": \"0.7.1\", \"platform\": \"Linux\", \
             \"python_version\": \"3.11\", \"anonymous_id\": \"11111111-1111-4111-8111-111111111111\", \
             \"timestamp\": \"2026-01-05T10:00:00+00:00\", \"metadata\": {{\"mode\": \"cli\", \
             \"profile\": \"fast\", \"duration_bucket\": \"<5min\", \"tools_succeeded\": 3{field}}}}}\n"
        )
    };
    let data: String = ["0", "1", "1", "2", "null", "", "1152921504606846976", "-1"]
        .iter()
        .map(|f| line(f))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("failed.jsonl");
    std::fs::write(&file, data).unwrap();
    let s = summary_json(file.to_str().unwrap(), &[]);
    assert_eq!(
        counts(&s, "tools_failed"),
        map(&[
            ("0", 1),
            ("1", 2),
            ("2", 1),
            ("null", 2),
            ("1152921504606846976", 1),
            ("-1", 1)
        ])
    );
    assert_eq!(s["denominators"]["tools_failed"], 8);
    assert_eq!(s["metrics"]["tools_failed"][0]["value"], "1");
    assert_eq!(s["metrics"]["tools_failed"][0]["share"], 0.25);
}

/// A pseudo-terminal: what a program writes to `slave` is read from
/// `master` (`\n` comes out as `\r\n`, as on any terminal).
#[cfg(target_os = "linux")]
struct Pty {
    master: std::fs::File,
    slave: std::fs::File,
    path: std::path::PathBuf,
}

#[cfg(target_os = "linux")]
impl Pty {
    fn open() -> Pty {
        use std::os::fd::FromRawFd;
        let (mut master, mut slave) = (0, 0);
        let mut name = [0 as libc::c_char; 128];
        // 200 columns: a terminal nobody sized says 0 (no limit) instead.
        let size = libc::winsize {
            ws_row: 50,
            ws_col: 200,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: two out-parameters for descriptors, a name buffer longer
        // than any pty path, and a window size that outlives the call.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                name.as_mut_ptr(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty wrote a NUL-terminated path into `name`.
        let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
        Pty {
            // SAFETY: both descriptors are new and owned by nothing else.
            master: unsafe { std::fs::File::from_raw_fd(master) },
            slave: unsafe { std::fs::File::from_raw_fd(slave) },
            path: path.to_str().unwrap().into(),
        }
    }

    /// Runs `summary ARGS` with its stdout on the terminal; returns what the
    /// terminal received (line ends as `\n`).
    fn summary(self, args: &[&str]) -> String {
        use std::io::Read;
        let Pty {
            mut master, slave, ..
        } = self;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jmo-analyze"))
            .arg("summary")
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("COLUMNS")
            .stdin(std::process::Stdio::null())
            .stdout(slave)
            .spawn()
            .unwrap();
        // The child holds the only copy of the slave now: reading ends
        // (EIO) once it exits.
        let reader = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = master.read(&mut buf) {
                seen.extend_from_slice(&buf[..n]);
            }
            seen
        });
        assert!(child.wait().unwrap().success());
        let seen = reader.join().unwrap();
        String::from_utf8(seen).unwrap().replace("\r\n", "\n")
    }
}

/// Escape codes go to terminals only. A client's escape sequence in a CSV
/// cell is shown escaped on a terminal (it would drive it: a review saw CSV
/// print it raw), and kept as sent in a file; a table written with `-o`
/// from a terminal is not styled (it held 24 escape codes), while the same
/// table on the terminal is; `-o` naming a terminal counts as a terminal.
#[cfg(target_os = "linux")]
#[test]
fn escape_codes_go_to_terminals_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("esc.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"event": "scan.started", "version": "1.0.0", "platform": "Linux", "python_version": "3.11", "#,
            r#""anonymous_id": "11111111-1111-4111-8111-111111111111", "timestamp": "2026-01-01T00:00:00Z", "#,
            r#""metadata": {"mode": "cli", "profile": "\u001b[31mred\u001b[0m", "tools": ["trivy"]}}"#,
            "\n"
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let escaped = r"\u{1b}[31mred\u{1b}[0m";

    let csv = Pty::open().summary(&[file, "-f", "csv", "-q"]);
    assert!(!csv.contains('\u{1b}'), "{csv:?}");
    assert!(csv.contains(&format!("profiles,{escaped},1,")), "{csv}");

    let pty = Pty::open();
    let path = pty.path.to_str().unwrap().to_string();
    let csv = pty.summary(&[file, "-f", "csv", "-q", "-o", &path]);
    assert!(!csv.contains('\u{1b}'), "{csv:?}");
    assert!(csv.contains(escaped), "{csv}");

    let out = dir.path().join("out.csv");
    let shown = Pty::open().summary(&[file, "-f", "csv", "-q", "-o", out.to_str().unwrap()]);
    assert_eq!(shown, "");
    let kept = std::fs::read_to_string(&out).unwrap();
    assert!(
        kept.contains("profiles,\u{1b}[31mred\u{1b}[0m,1,"),
        "{kept:?}"
    );

    let table = Pty::open().summary(&[file, "-q"]);
    assert!(
        table.contains("\u{1b}[1m"),
        "no styling on a terminal: {table}"
    );
    let out = dir.path().join("out.txt");
    Pty::open().summary(&[file, "-q", "-o", out.to_str().unwrap()]);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(!written.contains('\u{1b}'), "{written:?}");
    assert!(written.contains(escaped), "{written}");
}

#[test]
fn people_read_grouped_tables_by_group_weeks_and_months_in_time_order() {
    // Written by count, the groups interleave: weeks W03 (4), W01 (2), W02
    // (1); fast <5min (3), deep >30min (2), then deep and fast with 1 each.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("groups.jsonl");
    let events = [
        ("2025-12-30", "a", "fast", "<5min"),
        ("2026-01-02", "b", "fast", "<5min"),
        ("2026-01-06", "b", "fast", "5-15min"),
        ("2026-01-13", "b", "fast", "<5min"),
        ("2026-01-14", "c", "deep", ">30min"),
        ("2026-01-15", "c", "deep", ">30min"),
        ("2026-01-15", "c", "deep", "15-30min"),
    ];
    let lines: Vec<String> = events
        .iter()
        .map(|(day, id, profile, bucket)| {
            let id = format!("{id}7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c");
            format!(
                r#"{{"event": "scan.completed", "version": "1.0.0", "anonymous_id": "{id}", "timestamp": "{day}T10:00:00Z", "metadata": {{"profile": "{profile}", "duration_bucket": "{bucket}"}}}}"#
            )
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let file = file.to_str().unwrap();
    let run = |args: &[&str]| summary_stdout(file, args);
    // A metric's rows as "group/value" from a terminal table or Markdown.
    let rows = |text: &str, metric: &str, markdown: bool| -> Vec<String> {
        let start = if markdown {
            format!("## {metric}\n")
        } else {
            format!("\n{metric}: ")
        };
        let at = text
            .find(&start)
            .unwrap_or_else(|| panic!("no {metric}: {text}"));
        let (lead, sep) = if markdown { ('|', '|') } else { ('│', '┆') };
        text[at + start.len()..]
            .lines()
            .skip_while(|l| !l.starts_with(lead))
            .take_while(|l| l.starts_with(lead) || l.starts_with('├') || l.starts_with('╞'))
            .filter(|l| l.starts_with(lead))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches(lead).split(sep).map(str::trim).collect();
                // Markdown writes < and > as entities.
                format!("{}/{}", cells[0], cells[1])
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
            })
            .filter(|r| !r.starts_with("group/") && !r.starts_with("---"))
            .collect()
    };
    let weeks = ["2026-W01/1.0.0", "2026-W02/1.0.0", "2026-W03/1.0.0"];
    let active = [
        "month/2025-12",
        "month/2026-01",
        "week/2026-W01",
        "week/2026-W02",
        "week/2026-W03",
    ];
    let durations = ["fast/<5min", "fast/5-15min", "deep/>30min", "deep/15-30min"];
    for (format, markdown) in [("table", false), ("markdown", true)] {
        let text = run(&["--format", format]);
        assert_eq!(rows(&text, "versions_by_week", markdown), weeks, "{text}");
        assert_eq!(
            rows(&text, "active_installations", markdown),
            active,
            "{text}"
        );
        assert_eq!(
            rows(&text, "duration_buckets_by_profile", markdown),
            durations,
            "{text}"
        );
    }
    // --max-rows keeps the rows of largest count, shown in that order.
    let capped = run(&["--max-rows", "2"]);
    // But the wizard's six statistics stay whole (a review: the max and
    // the mean were cut).
    let fixture = summary_stdout("fixtures/events.jsonl", &["--max-rows", "2", "-q"]);
    let wizard = fixture.split("wizard_duration:").nth(1).unwrap();
    let wizard = wizard.split("\n\n").next().unwrap();
    for stat in ["min", "p25", "median", "p75", "max", "mean"] {
        assert!(wizard.contains(&format!(" {stat} ")), "{stat}: {wizard}");
    }
    assert!(!wizard.contains("more rows"), "{wizard}");
    assert_eq!(
        rows(&capped, "versions_by_week", false),
        ["2026-W01/1.0.0", "2026-W03/1.0.0"],
        "{capped}"
    );
    // JSON keeps its documented order: count first.
    let json = summary_json(file, &[]);
    let groups: Vec<&str> = json["metrics"]["versions_by_week"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["2026-W03", "2026-W01", "2026-W02"]);
}

/// A share or rate above 1 is no proportion: more completions than starts
/// (a scan cut by --quarter) or failures than runs read null, and a rate
/// row always has its `rate` key (a review: 200.0% completed, a failure
/// rate of 3.0, and a missing key where README promised null). A side of
/// scan_completion with no event is a row of 0.
#[test]
fn no_share_or_rate_above_one_and_a_rate_row_always_has_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rates.jsonl");
    let line = |event: &str, id: char, at: &str, metadata: &str| {
        format!(
            r#"{{"event": "{event}", "version": "1.0.0", "anonymous_id": "{id}7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "{at}", "metadata": {metadata}}}"#
        )
    };
    let started = r#"{"tools": ["trivy"], "ci_detected": false}"#;
    let failed = r#"{"tool": "trivy", "failure_type": "timeout"}"#;
    let lines = [
        line("scan.started", 'a', "2026-03-31T23:50:00Z", started),
        line("scan.completed", 'a', "2026-04-01T00:10:00Z", "{}"),
        line("scan.started", 'b', "2026-04-02T10:00:00Z", started),
        line("scan.completed", 'b', "2026-04-02T10:20:00Z", "{}"),
        line("tool.failed", 'b', "2026-04-02T10:05:00Z", failed),
        line("tool.failed", 'b', "2026-04-02T10:06:00Z", failed),
        line("tool.failed", 'b', "2026-04-02T10:07:00Z", failed),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let file = file.to_str().unwrap();
    let row = |json: &Value, metric: &str, value: &str| -> Value {
        json["metrics"][metric]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == value)
            .unwrap_or_else(|| panic!("no {value} in {metric}: {json}"))
            .clone()
    };
    let whole = summary_json(file, &[]);
    let trivy = row(&whole, "tool_failure_rates", "trivy");
    assert_eq!((&trivy["count"], &trivy["runs"]), (&3.into(), &2.into()));
    assert_eq!(trivy.get("rate"), Some(&Value::Null), "{trivy}");
    assert_eq!(trivy["share"], Value::Null, "{trivy}");
    assert_eq!(
        row(&whole, "scan_completion", "scan.completed")["share"],
        1.0
    );

    let q2 = summary_json(file, &["--quarter", "2026-Q2"]);
    let completed = row(&q2, "scan_completion", "scan.completed");
    assert_eq!(completed["count"], 2);
    assert_eq!(completed["share"], Value::Null, "{completed}");
    // Under --exclude-ci a rate row keeps its key, null, and the chart
    // says why it has no bar (a review: "No data to show" alone).
    let charts = dir.path().join("charts");
    let ci = summary_json(
        file,
        &["--exclude-ci", "-q", "--charts", charts.to_str().unwrap()],
    );
    assert_eq!(
        row(&ci, "tool_failure_rates", "trivy").get("rate"),
        Some(&Value::Null)
    );
    let svg = std::fs::read_to_string(charts.join("tool_failure_rates.svg")).unwrap();
    assert!(svg.contains("No rates under --exclude-ci"), "{svg}");
    // Nothing completed in 2026-Q1: a row of 0, a completion of 0 %.
    let q1 = summary_json(file, &["--quarter", "2026-Q1"]);
    let none = row(&q1, "scan_completion", "scan.completed");
    assert_eq!((&none["count"], &none["share"]), (&0.into(), &0.0.into()));
    let text = summary_stdout(file, &["--quarter", "2026-Q2"]);
    assert!(
        !text.contains("200.0%") && !text.contains("300.0%") && !text.contains("150.0%"),
        "{text}"
    );
}

/// The durations chart draws six profiles: its subtitle counts the scans
/// it draws among all (a review could not tie 11,384 scans to the 10,647
/// of the profiles shown).
#[test]
fn the_durations_chart_counts_the_scans_it_draws() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("profiles.jsonl");
    let mut lines = Vec::new();
    for (n, profile) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        for _ in 0..=n {
            lines.push(format!(
                r#"{{"event": "scan.completed", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2026-01-05T10:00:00Z", "metadata": {{"profile": "{profile}", "duration_bucket": "<5min"}}}}"#
            ));
        }
    }
    std::fs::write(&file, lines.join("\n")).unwrap();
    let charts = dir.path().join("charts");
    summary_json(
        file.to_str().unwrap(),
        &["--charts", charts.to_str().unwrap()],
    );
    let svg = std::fs::read_to_string(charts.join("durations_by_profile.svg")).unwrap();
    // 1 + 2 + … + 7 = 28 scans; the six largest profiles hold 27.
    assert!(
        svg.contains("Completed scans by profile and duration: 27 of 28 drawn"),
        "{svg}"
    );
}

/// The Markdown and terminal summaries name the filters that made them and
/// say why a ratio reads `–` (a review: a summary of one version's non-CI
/// scans in one quarter read as the whole file's, the reason on stderr only).
#[test]
fn the_human_formats_name_the_filters_and_the_ratios_not_computed() {
    let args = [
        "--quarter",
        "2026-Q1",
        "--version",
        "0.7",
        "--exclude-ci",
        "--include-test",
        "-q",
    ];
    for format in ["markdown", "table"] {
        let mut all = vec!["--format", format];
        all.extend(args);
        let text = summary_stdout("fixtures/events.jsonl", &all);
        for said in [
            "quarter 2026-Q1 (events from 2026-01-01T00:00:00Z and before 2026-04-01T00:00:00Z); \
             JMo version 0.7 and the versions that start with 0.7. or 0.7-; scan.started events that \
             ran in CI/CD left out; test events counted as usage",
            "the completion share and the tool failure rates (shown as –): --exclude-ci leaves out",
        ] {
            // The terminal table wraps long cells: compare words alone.
            let words = |s: &str| {
                s.split(|c: char| c.is_whitespace() || c == '│' || c == '|')
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            assert!(words(&text).contains(&words(said)), "{format}: {text}");
        }
    }
    // --since alone, and no filter at all: no line that says none.
    let since = summary_stdout(
        "fixtures/events.jsonl",
        &["--format", "markdown", "--since", "2026-03-01", "-q"],
    );
    assert!(
        since.contains("- **Filters:** events from 2026-03-01T00:00:00Z\n"),
        "{since}"
    );
    assert!(!since.contains("Not computed"), "{since}");
    let none = summary_stdout("fixtures/events.jsonl", &["--format", "markdown", "-q"]);
    assert!(!none.contains("Filters") && !none.contains("Not computed"));
    // More completions than starts in the period: the share's `–` is said
    // too (a review: unexplained).
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cut.jsonl");
    let line = |event: &str, ts: &str| {
        format!(
            r#"{{"event": "{event}", "version": "1.0.0", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "{ts}", "metadata": {{"profile": "fast"}}}}"#
        )
    };
    let lines = [
        line("scan.started", "2025-12-31T23:59:00Z"),
        line("scan.completed", "2026-01-01T00:01:00Z"),
        line("scan.started", "2025-12-31T23:58:00Z"),
        line("scan.completed", "2026-01-01T00:02:00Z"),
        line("scan.started", "2026-01-02T10:00:00Z"),
        line("scan.completed", "2026-01-02T10:05:00Z"),
        // A tool no counted scan listed: its failure rate is `–` too.
        line("tool.failed", "2026-01-02T10:04:00Z").replace(
            r#""profile": "fast""#,
            r#""tool": "zap", "failure_type": "timeout""#,
        ),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let cut = summary_stdout(
        file.to_str().unwrap(),
        &["--format", "markdown", "--quarter", "2026-Q1", "-q"],
    );
    assert!(
        cut.contains(
            "- **Not computed:** the completion share (shown as –): more scans completed than \
             started, as when a time bound cuts scans that started before it, or events were \
             lost\n"
        ),
        "{cut}"
    );
    assert!(
        cut.contains(
            "- **Not computed:** the failure rate of 1 tool (shown as –): more failures than \
             scans listing the tool started, or none listed it, as when a time bound cuts scans \
             that started before it, or events were lost\n"
        ),
        "{cut}"
    );
    // No scan counted under a filter that splits scans: that filter is why.
    let ci = tmp.path().join("ci.jsonl");
    std::fs::write(
        &ci,
        [
            line("scan.started", "2026-01-02T10:00:00Z").replace(
                r#""profile": "fast""#,
                r#""ci_detected": true, "tools": ["zap"]"#,
            ),
            line("tool.failed", "2026-01-02T10:04:00Z").replace(
                r#""profile": "fast""#,
                r#""tool": "zap", "failure_type": "timeout""#,
            ),
        ]
        .join("\n"),
    )
    .unwrap();
    let text = summary_stdout(
        ci.to_str().unwrap(),
        &["--format", "markdown", "--exclude-ci", "-q"],
    );
    assert!(
        text.contains("- **Not computed:** the failure rate of 1 tool (shown as –): --exclude-ci"),
        "{text}"
    );
}

/// A line longer than 64 MiB (a stream that never ends a line, binary
/// junk) is one invalid line, skipped unread with memory bounded; the lines
/// around it count, and the hash and size are the input's.
#[test]
fn a_line_longer_than_64_mib_is_skipped_unread() {
    let event = |name: &str| {
        format!("{{\"event\": \"{name}\", \"timestamp\": \"2025-10-19T12:00:00Z\"}}\n")
    };
    let mut input = event("a.b").into_bytes();
    input.extend(std::iter::repeat_n(b'x', (64 << 20) + 1));
    input.push(b'\n');
    input.extend(event("c.d").into_bytes());
    let out = bin()
        .args(["summary", "-", "--format", "json"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = &doc["input"];
    assert_eq!(
        (
            &i["lines"],
            &i["invalid_lines"],
            &i["valid_events"],
            &i["bytes"]
        ),
        (
            &Value::from(3),
            &Value::from(1),
            &Value::from(2),
            &Value::from(input.len())
        )
    );
    assert_eq!(
        i["problems"],
        serde_json::json!([{"line": 2, "reason": "longer than 64 MiB (67108865 bytes before its line end): not read"}])
    );
    use sha2::Digest as _;
    assert_eq!(i["sha256"], format!("{:x}", sha2::Sha256::digest(&input)));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("stdin:2: skipped invalid line: longer than 64 MiB"),
        "{stderr}"
    );
}

/// `summary -o OUT` of the sample, which must fail (exit 1): its stderr.
fn summary_fails_writing(out: &std::path::Path) -> String {
    let run = bin()
        .args(["summary", "-q", "fixtures/events.jsonl", "-o"])
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    String::from_utf8(run.stderr).unwrap()
}

/// A full disk is said as such, naming the file (a review: `summary -o`
/// printed the bare "No space left on device").
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_said_so_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(_mount) = Tmpfs::mount(&tmp.path().join("full"), "64k") else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    let out = tmp.path().join("full/s.json");
    std::fs::write(&out, b"old\n").unwrap();
    std::fs::write(tmp.path().join("full/fill"), vec![b'x'; 60_000]).unwrap();
    assert_eq!(
        summary_fails_writing(&out),
        format!(
            "Error: cannot write {}: No space left on device (os error 28); the previous file, \
             if any, is unchanged. Free some space on its file system (or raise the quota), or \
             choose another path with -o/--output\n",
            out.display()
        )
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"old\n");
}

/// A file system out of inodes, where the temporary file cannot be made,
/// names the file as given, not the hidden temporary one (a review: `…
/// at path "…/.s.json.XXXXXX.tmp"`, a name the user never gave and that
/// does not exist).
#[cfg(target_os = "linux")]
#[test]
fn a_file_system_out_of_inodes_names_the_file_not_its_temporary() {
    let tmp = tempfile::tempdir().unwrap();
    // Its root and s.json take both inodes.
    let Some(_mount) = Tmpfs::mount(&tmp.path().join("full"), "64k,nr_inodes=2") else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    let out = tmp.path().join("full/s.json");
    std::fs::write(&out, b"old\n").unwrap();
    assert_eq!(
        summary_fails_writing(&out),
        format!(
            "Error: --output {o}: cannot create the file: cannot write {o}: No space left on \
             device (os error 28); the previous file, if any, is unchanged. Free some space on \
             its file system (or raise the quota), or choose another path with -o/--output\n",
            o = out.display()
        )
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"old\n");
}

/// A file mounted on its own (`docker run -v FILE:FILE`) is refused before
/// the work: a rename cannot replace it (a review: one mounted read-only
/// was told "read-only: make it writable", one read-write failed at the
/// rename).
#[cfg(target_os = "linux")]
#[test]
fn a_file_mounted_on_its_own_is_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let (source, out) = (tmp.path().join("source.json"), tmp.path().join("s.json"));
    std::fs::write(&source, b"old\n").unwrap();
    std::fs::write(&out, b"").unwrap();
    let Some(mount) = Tmpfs::bind(&source, &out) else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    for read_only in [false, true] {
        if read_only {
            mount.remount_read_only();
        }
        assert_eq!(
            summary_fails_writing(&out),
            format!(
                "Error: --output {o}: cannot create the file: {o} cannot be replaced: {o} is \
                 mounted on its own (as `docker run -v FILE:FILE` mounts a file), where no \
                 rename can replace it; it is left as it is; choose another path with \
                 -o/--output\n",
                o = out.display()
            ),
            "{read_only}"
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"old\n");
    }
}

/// A new output file gets the mode the umask gives a new file (its copy is
/// made 0600 and given that mode at the end, read from the umask).
#[cfg(target_os = "linux")]
#[test]
fn a_new_output_file_gets_the_mode_the_umask_gives() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("jmo-analyze");
    for (mask, mode) in [("077", 0o600), ("002", 0o664), ("022", 0o644)] {
        let out = tmp.path().join(format!("s-{mask}.json"));
        let run = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {mask} && exec \"$0\" summary -q fixtures/events.jsonl -o \"$1\""
            ))
            .arg(&bin)
            .arg(&out)
            .status()
            .unwrap();
        assert!(run.success());
        let got = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(got, mode, "umask {mask}");
    }
}
