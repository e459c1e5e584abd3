//! Property tests: any soup of lines never panics, every line is counted
//! exactly once, and splitting the input never changes the result.

use jmo_analyze::metrics::{Filters, summarize};
use proptest::prelude::*;

const VALID: &str = r#"{"event": "scan.started", "version": "0.7.0", "platform": "Linux", "python_version": "3.11", "anonymous_id": "11111111-1111-4111-8111-111111111111", "timestamp": "2025-10-20T10:00:00Z", "metadata": {"mode": "cli", "profile": "fast", "tools": ["trivy"]}}"#;

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(VALID.to_string()),
        Just(String::new()),
        Just("   ".to_string()),
        Just(r#"{"event": "test", "timestamp": "2025-10-19T12:00:00Z"}"#.to_string()),
        Just(r#"{"event": "scan.started", "timestamp": "2025-10-20T10:00:00Z", "metadata": {"mode": 3}}"#.to_string()),
        // A valid line cut anywhere.
        (0..VALID.len()).prop_map(|n| VALID[..n].to_string()),
        // A valid line with one byte replaced by anything.
        (0..VALID.len(), any::<char>()).prop_map(|(i, c)| {
            let mut s: Vec<char> = VALID.chars().collect();
            s[i] = c;
            s.into_iter().collect()
        }),
        any::<String>(),
        "[{}\\[\\]\":,0-9a-z\\\\ ]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn line_soup_never_panics_and_counts_add_up(lines in prop::collection::vec(line(), 0..40), crlf in any::<bool>(), final_newline in any::<bool>()) {
        let sep = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(sep);
        if final_newline && !lines.is_empty() {
            text.push_str(sep);
        }
        let s = summarize(text.as_bytes(), "soup", Filters::default()).unwrap();
        let i = &s.input;
        // Count physical lines the way the tool defines them.
        let physical = if text.is_empty() { 0 } else { text.split('\n').count() as u64 - u64::from(text.ends_with('\n')) };
        prop_assert_eq!(i.lines, physical);
        prop_assert_eq!(i.lines, i.blank_lines + i.invalid_lines + i.valid_events);
        prop_assert_eq!(i.valid_events, i.usage_events + i.test_events + i.marker_events);
        prop_assert_eq!(i.invalid_lines as usize, i.problems.len());
        let event_types: u64 = s.metrics[0].rows.iter().map(|r| r.count).sum();
        prop_assert_eq!(event_types, i.valid_events);
        prop_assert!(i.problems.windows(2).all(|w| w[0].line < w[1].line));
        prop_assert!(i.problems.iter().all(|p| p.line >= 1 && p.line <= i.lines));
    }
}

/// Lines of every shape the fast parser reads: each event type, metadata
/// before the event name, unknown fields of every JSON kind, nulls, numbers.
const TEMPLATES: &[&str] = &[
    VALID,
    r#"{"event": "scan.completed", "version": "0.7.1", "platform": "Darwin", "python_version": "3.12", "anonymous_id": "22222222-2222-4222-8222-222222222222", "timestamp": "2025-10-20T10:05:00.123456+00:00", "metadata": {"mode": "docker", "profile": "balanced", "duration_bucket": "5-15min", "tools_succeeded": 7, "tools_failed": 0, "total_findings_bucket": "10-100"}}"#,
    r#"{"event": "tool.failed", "timestamp": "2025-10-20T10:05:00Z", "anonymous_id": null, "metadata": {"tool": "zap", "failure_type": "non_zero_exit", "exit_code": -9, "profile": null}}"#,
    r#"{"metadata": {"profile_selected": "fast", "execution_mode": "native", "artifact_generated": null, "duration_seconds": 42}, "event": "wizard.completed", "timestamp": "2025-10-21T00:00:00+02:00"}"#,
    r#"{"event": "report.generated", "timestamp": "2025-10-21T00:00:00Z", "metadata": {"output_formats": ["json", "md", "html"], "findings_bucket": "0", "suppressions_used": true, "compliance_enabled": false, "extra": {"a": [1, 2.5e-3, -0.0, true, null, "x"]}}}"#,
    r#"{"event": "policy.evaluated", "timestamp": "2025-10-21T00:00:00Z", "metadata": {"policy_count": 3, "violations_bucket": "1-5", "evaluation_time_bucket": "<50ms", "policies": [], "passed_count": 2, "failed_count": 1}}"#,
    r#"{"event": "scan.started", "timestamp": "2025-10-20T10:00:00Z", "metadata": {"target_types": {"repos": 2, "images": 0, "urls": 1}, "ci_detected": true, "multi_target_scan": null, "total_targets_bucket": "2-5"}}"#,
    r#"{"event": "diff.generated", "timestamp": "2025-10-20T10:00:00Z", "platform": "Linux", "metadata": [1, {"x": {}}, []], "n": 12.5E+2}"#,
    r#"{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "JMo Security Telemetry Backend"}"#,
    r#"{"event":"test","timestamp":"2025-10-19T12:00:00Z","metadata":null}"#,
];

/// Bytes that move a line between JSON's grammar rules.
const ALPHABET: &[char] = &[
    '{', '}', '[', ']', '"', ':', ',', ' ', '0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'f', 'n',
    'u', 'l', 'a', 's', 'r', '\\', '\t', 'é',
];

fn mutated() -> impl Strategy<Value = String> {
    let edit = (
        0usize..4,
        any::<prop::sample::Index>(),
        prop::sample::select(ALPHABET),
    );
    (
        prop::sample::select(TEMPLATES),
        prop::collection::vec(edit, 0..4),
    )
        .prop_map(|(template, edits)| {
            let mut s: Vec<char> = template.chars().collect();
            for (kind, at, c) in edits {
                if s.is_empty() {
                    break;
                }
                let i = at.index(s.len());
                match kind {
                    0 => s[i] = c,
                    1 => s.insert(i, c),
                    2 => {
                        s.remove(i);
                    }
                    _ => s.truncate(i),
                }
            }
            s.into_iter().collect()
        })
}

#[test]
fn fast_path_reads_every_template() {
    use jmo_analyze::event::Parsed;
    use jmo_analyze::event::parse::{parse_line_fast, parse_line_serde};
    for t in TEMPLATES {
        let fast = parse_line_fast(t).unwrap_or_else(|| panic!("fast path gave up on {t}"));
        match parse_line_serde(t) {
            Parsed::Event(e) => assert_eq!(fast, e, "{t}"),
            Parsed::Invalid(r) => panic!("serde path refused {t}: {r}"),
        }
    }
}

/// The fast path's contract on one line: whatever it accepts, serde_json's
/// path accepts as the same event.
fn fast_agrees_with_serde(line: &str) -> Result<(), TestCaseError> {
    use jmo_analyze::event::Parsed;
    use jmo_analyze::event::parse::{parse_line_fast, parse_line_serde};
    if let Some(fast) = parse_line_fast(line) {
        match parse_line_serde(line) {
            Parsed::Event(e) => prop_assert_eq!(fast, e),
            Parsed::Invalid(r) => prop_assert!(
                false,
                "fast path accepted what serde refuses ({}): {}",
                r,
                line
            ),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10000))]

    /// The fast path's contract: whatever it accepts, serde_json's path
    /// accepts as the same event.
    #[test]
    fn fast_path_agrees_with_serde(line in mutated()) {
        fast_agrees_with_serde(&line)?;
    }
}

/// Collects every event ingestion hands over, in input order.
#[derive(Default)]
struct Seen(Vec<(jmo_analyze::event::LinePos, String)>);

impl jmo_analyze::event::Sink for Seen {
    fn event(&mut self, pos: jmo_analyze::event::LinePos, event: &jmo_analyze::event::Event<'_>) {
        self.0.push((pos, format!("{event:?}")));
    }
    fn merge(&mut self, other: Self) {
        self.0.extend(other.0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A whole file through the reader (block scan, reused quote bitmaps,
    /// CRLF) gives, line by line, what serde_json's path gives each line alone.
    #[test]
    fn ingest_agrees_with_serde_line_by_line(lines in prop::collection::vec(mutated(), 1..60), crlf in any::<bool>()) {
        use jmo_analyze::event::parse::parse_line_serde;
        use jmo_analyze::event::{Parsed, ingest};
        let sep = if crlf { "\r\n" } else { "\n" };
        let text = lines.join(sep) + sep;
        let (stats, mut seen) = ingest(text.as_bytes(), Seen::default).unwrap();
        seen.0.sort_by_key(|s| s.0);
        let mut want_events = Vec::new();
        let mut want_invalid = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parse_line_serde(line) {
                Parsed::Event(e) => want_events.push(format!("{e:?}")),
                Parsed::Invalid(_) => want_invalid.push(i as u64 + 1),
            }
        }
        let got: Vec<String> = seen.0.into_iter().map(|s| s.1).collect();
        prop_assert_eq!(got, want_events);
        let invalid: Vec<u64> = stats.problems.iter().map(|p| p.line).collect();
        prop_assert_eq!(invalid, want_invalid);
    }
}

/// Objects built from the envelope's and the metadata's keys (and keys that
/// nearly match them) in any order, with duplicates, every spelling of the
/// separators and values of every kind; mostly after a prefix in client
/// order, so the fast path's straight-line readers hand over to its loop
/// at every point.
fn structured() -> impl Strategy<Value = String> {
    use jmo_analyze::audit::schema::{EVENTS, UNKNOWN_USAGE_FIELDS, metadata_fields};
    // The envelope's keys in client order, and every documented metadata
    // key, from the audit's schema; then keys that nearly match them.
    let order: Vec<&str> = UNKNOWN_USAGE_FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(order.len(), 7);
    let envelope_keys = prop::sample::select(
        order
            .iter()
            .copied()
            .chain(["events", "x", "", "metadat", "eventx"])
            .collect::<Vec<_>>(),
    );
    let mut known: Vec<&str> = EVENTS
        .iter()
        .filter_map(metadata_fields)
        .flat_map(|fields| fields.iter().map(|f| f.name))
        .collect();
    known.sort_unstable();
    known.dedup();
    let metadata_keys =
        prop::sample::select(known.into_iter().chain(["modes", "zz"]).collect::<Vec<_>>());
    let values = prop::sample::select(vec![
        "\"cli\"",
        "\"\"",
        "null",
        "1",
        "0",
        "-3",
        "01",
        "-0",
        "1.5",
        "1e2",
        "true",
        "false",
        "[]",
        "[\"a\", \"b\"]",
        "[\"a\",\"b\"]",
        "[ \"a\" ]",
        "{}",
        "{\"a\": 1, \"b\": 0}",
        "{\"a\":1}",
        "{\"a\": -1}",
        "[1]",
        "{\"a\": \"x\"}",
        "999999999999999999",
        "9999999999999999999",
    ]);
    let comma = prop::sample::select(vec![", ", ",", " , ", ",  "]);
    let colon = prop::sample::select(vec![": ", ":", " : ", ":  "]);
    let names = prop::sample::select(
        EVENTS
            .iter()
            .map(|e| e.name)
            .chain(["", "other.thing"])
            .collect::<Vec<_>>(),
    );
    let metadata = prop::collection::vec(
        (metadata_keys, values.clone(), comma.clone(), colon.clone()),
        0..8,
    );
    let rest = prop::collection::vec((envelope_keys, values, comma, colon), 0..10);
    // Which client-order fields the prefix skips, and where it stops.
    let skipped = prop::collection::vec(any::<bool>(), 7);
    (names, metadata, rest, any::<bool>(), skipped, 0usize..10).prop_map(
        move |(name, metadata, rest, metadata_null, skipped, stop)| {
            let prefix_values = ["", "\"1\"", "\"Linux\"", "\"3.11\"", "\"id\"", "", ""];
            let mut fields: Vec<(&str, &str, &str, &str)> = (0..7)
                .filter(|&k| !skipped[k] || k == 0 || k == 5)
                .map(|k| (order[k], prefix_values[k], ", ", ": "))
                .take(stop)
                .chain(rest)
                .collect();
            if !fields.iter().any(|f| f.0 == "timestamp") && stop % 2 == 0 {
                fields.push(("timestamp", "", ", ", ": "));
            }
            let object = |members: &[(&str, String, &str, &str)]| {
                let mut out = String::from("{");
                for (i, (key, value, comma, colon)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(comma);
                    }
                    out.push_str(&format!("\"{key}\"{colon}{value}"));
                }
                out + "}"
            };
            let metadata: Vec<_> = metadata
                .iter()
                .map(|&(k, v, s, c)| (k, v.to_string(), s, c))
                .collect();
            let metadata = object(&metadata);
            let fields: Vec<_> = fields
                .iter()
                .map(|&(k, v, s, c)| {
                    let value = match k {
                        "event" => format!("\"{name}\""),
                        "timestamp" => "\"2025-10-19T00:00:00Z\"".to_string(),
                        "metadata" if metadata_null => "null".to_string(),
                        "metadata" => metadata.clone(),
                        _ => v.to_string(),
                    };
                    (k, value, s, c)
                })
                .collect();
            object(&fields)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    /// The contract again, on objects built key by key.
    #[test]
    fn fast_path_agrees_with_serde_on_structured_lines(line in structured()) {
        fast_agrees_with_serde(&line)?;
    }
}
