//! The summary of `fixtures/events.jsonl` equals the ground truth the seeded
//! generator recorded while writing it (`fixtures/events.expected.json`),
//! counted from what it emitted, never by parsing the file.

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::Value;

#[test]
fn fixture_summary_matches_generator_ground_truth() {
    let out = Command::cargo_bin("jmo-analyze")
        .unwrap()
        .args([
            "summary",
            "fixtures/events.jsonl",
            "--format",
            "json",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string("fixtures/events.expected.json").unwrap())
            .unwrap();

    for key in [
        "lines",
        "blank_lines",
        "invalid_lines",
        "valid_events",
        "usage_events",
        "test_events",
        "marker_events",
    ] {
        assert_eq!(got["input"][key], want[key], "input.{key}");
    }
    for key in [
        "unique_ids",
        "scans_started",
        "scans_completed",
        "usage_events",
    ] {
        assert_eq!(got["totals"][key], want[key], "totals.{key}");
    }
    let metrics = want["metrics"].as_object().unwrap();
    assert!(
        metrics.len() >= 24,
        "ground truth covers the guide's metrics"
    );
    for (name, expected) in metrics {
        let rows = got["metrics"][name]
            .as_array()
            .unwrap_or_else(|| panic!("summary lacks metric {name}"));
        let got: BTreeMap<String, u64> = rows
            .iter()
            .map(|r| {
                let v = match &r["value"] {
                    Value::Null => "null".to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::String(s) => s.clone(),
                    other => panic!("{other}"),
                };
                (v, r["count"].as_u64().unwrap())
            })
            .collect();
        let want: BTreeMap<String, u64> = expected
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(got, want, "metric {name}");
    }
    // The invalid lines the generator planted, by line number.
    let lines: Vec<u64> = got["input"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        [154, 584, 832, 1023, 1237, 1588, 1981, 2177, 2615, 2883]
    );
}
