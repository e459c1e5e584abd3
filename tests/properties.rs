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
