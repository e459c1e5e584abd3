//! `jmo-analyze validate` and `jmo-analyze audit`, run as a user runs them.

use std::io::Write as _;

use assert_cmd::Command;
use serde_json::{Value, json};

const LEAKS: &str = "fixtures/leaks.jsonl";

fn bin() -> Command {
    Command::cargo_bin("jmo-analyze").expect("binary built")
}

/// Runs the binary; returns exit code, stdout, stderr.
fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_owned());
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).expect("stdout is one JSON document")
}

fn temp_file(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(content.as_bytes()).expect("write");
    f
}

fn path(f: &tempfile::NamedTempFile) -> &str {
    f.path().to_str().expect("utf-8 path")
}

// ------------------------------------------------------------ a clean sample

/// A random-looking UUID v4 from a seed (xorshift), as Python's uuid4() prints it.
fn uuid4(seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut hex = String::new();
    while hex.len() < 32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        hex.push_str(&format!("{x:016x}"));
    }
    let mut h: Vec<char> = hex[..32].chars().collect();
    h[12] = '4';
    h[16] = ['8', '9', 'a', 'b'][(x % 4) as usize];
    let h: String = h.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Realistic clean telemetry: every event type, every bucket and enumerated
/// value, many tool names, test lines and the marker; each (platform, python,
/// version) combination shared by 6 installations.
fn clean_sample() -> String {
    const TOOLS: &[&str] = &[
        "trufflehog",
        "noseyparker",
        "semgrep",
        "bandit",
        "syft",
        "trivy",
        "checkov",
        "hadolint",
        "zap",
        "nuclei",
        "falco",
        "afl++",
        "osv-scanner",
        "grype",
        "gitleaks",
        "prowler",
        "kubescape",
        "dependency-check",
        "scancode",
        "cdxgen",
        "bearer",
        "horusec",
        "lynis",
        "yara",
        "mobsf",
        "akto",
    ];
    const PROFILES: &[&str] = &["fast", "balanced", "deep", "custom"];
    const FORMATS: &[&str] = &["json", "md", "html", "simple-html", "sarif", "yaml", "csv"];
    const POLICIES: &[&str] = &[
        "zero-secrets",
        "owasp-top-10",
        "pci-dss",
        "hipaa",
        "nist-800-53",
        "cis-benchmarks",
    ];
    let combos = [
        ("Linux", "3.11", "0.7.0-dev"),
        ("Darwin", "3.12", "0.7.1"),
        ("Windows", "3.10", "1.0.0"),
    ];
    let mut lines = vec![
        r#"{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "JMo Security Telemetry Backend"}"#.to_owned(),
        r#"{"event": "test", "timestamp": "2025-10-19T14:32:00Z"}"#.to_owned(),
    ];
    let mut n = 0usize;
    for (c, (platform, python, version)) in combos.iter().enumerate() {
        for install in 0..6 {
            let id = uuid4((c * 100 + install + 1) as u64);
            for k in 0..7 {
                n += 1;
                let pick = |list: &[&'static str], j: usize| list[(n + j) % list.len()];
                let tools: Vec<&str> = (0..(n % 5 + 1))
                    .map(|j| TOOLS[(n * 3 + j) % TOOLS.len()])
                    .collect();
                let hint = [
                    json!("first_time"),
                    json!("weekly"),
                    json!("daily"),
                    Value::Null,
                ][n % 4]
                    .clone();
                let artifact =
                    [json!("makefile"), json!("shell"), json!("gha"), Value::Null][n % 4].clone();
                let exit_code = if n.is_multiple_of(3) {
                    Value::Null
                } else {
                    json!(n % 130)
                };
                let (event, metadata) = match k {
                    0 => (
                        "scan.started",
                        json!({
                            "mode": pick(&["cli", "docker", "wizard"], 0), "profile": pick(PROFILES, 0), "tools": tools,
                            "target_types": {"repos": n % 3, "images": n % 2, "urls": 0, "iac": 1, "gitlab": 0, "k8s": 0},
                            "ci_detected": n.is_multiple_of(2), "multi_target_scan": true, "compliance_usage": false,
                            "total_targets_bucket": pick(&["1", "2-5", "6-10", "11-50", ">50"], 0),
                            "scan_frequency_hint": hint,
                        }),
                    ),
                    1 => (
                        "scan.completed",
                        json!({
                            "mode": pick(&["cli", "docker", "wizard"], 1), "profile": pick(PROFILES, 1),
                            "duration_bucket": pick(&["<5min", "5-15min", "15-30min", ">30min"], 0),
                            "tools_succeeded": n % 12, "tools_failed": n % 3,
                            "total_findings_bucket": pick(&["0", "1-10", "10-100", "100-1000", ">1000"], 0),
                        }),
                    ),
                    2 => (
                        "tool.failed",
                        json!({
                            "tool": pick(TOOLS, 0), "failure_type": pick(&["timeout", "crash", "non_zero_exit"], 0),
                            "exit_code": exit_code, "profile": pick(PROFILES, 2),
                        }),
                    ),
                    3 => (
                        "wizard.completed",
                        json!({
                            "profile_selected": pick(PROFILES, 3), "execution_mode": pick(&["docker", "native"], 0),
                            "artifact_generated": artifact,
                            "duration_seconds": 30 + n % 200,
                        }),
                    ),
                    4 => (
                        "report.generated",
                        json!({
                            "output_formats": [pick(FORMATS, 0), pick(FORMATS, 1)],
                            "findings_bucket": pick(&["0", "1-10", "10-100", "100-1000", ">1000"], 1),
                            "suppressions_used": n % 2 == 1, "compliance_enabled": true,
                        }),
                    ),
                    5 => (
                        "policy.evaluated",
                        json!({
                            "policy_count": 2, "violations_bucket": pick(&["0", "1-5", "5-20", "20-100", ">100"], 0),
                            "evaluation_time_bucket": pick(&["<50ms", "50-100ms", "100-500ms", ">500ms"], 0),
                            "policies": [pick(POLICIES, 0), pick(POLICIES, 1)], "passed_count": 1, "failed_count": 1,
                        }),
                    ),
                    _ => (
                        "test.event",
                        json!({"message": "Test telemetry event from CLI"}),
                    ),
                };
                let seconds = n % 60;
                let micros = if n.is_multiple_of(4) {
                    String::new()
                } else {
                    format!(".{:06}", n * 7919 % 1_000_000)
                };
                let ts = format!("2025-11-{:02}T14:32:{seconds:02}{micros}+00:00", 1 + n % 28);
                // Python's json.dumps layout: ", " and ": " separators, insertion order.
                let line = format!(
                    r#"{{"event": "{event}", "version": "{version}", "platform": "{platform}", "python_version": "{python}", "anonymous_id": "{id}", "timestamp": "{ts}", "metadata": {}}}"#,
                    python_dumps(&metadata)
                );
                lines.push(line);
            }
        }
    }
    lines.join("\n") + "\n"
}

/// `json.dumps` spacing for a value (serde_json's compact form with Python separators).
fn python_dumps(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), python_dumps(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(python_dumps)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

// ------------------------------------------------------------ audit: planted leaks

/// Every finding expected in `fixtures/leaks.jsonl`: line, event, field, location, rule, redacted.
const EXPECTED_LEAKS: &[(u64, &str, &str, &str, &str, &str)] = &[
    (
        3,
        "scan.completed",
        "metadata.profile",
        "value",
        "email",
        "***@*** (23 chars)",
    ),
    (
        4,
        "tool.failed",
        "metadata.tool",
        "value",
        "ipv4",
        "*.*.*.* (11 chars)",
    ),
    (
        5,
        "report.generated",
        "metadata.output_formats[1]",
        "value",
        "ipv6",
        "*:*:… (24 chars)",
    ),
    (
        6,
        "policy.evaluated",
        "metadata.policies[1]",
        "value",
        "posix-path",
        "/***/… (27 chars)",
    ),
    (
        7,
        "wizard.completed",
        "metadata.profile_selected",
        "value",
        "windows-path",
        "*:\\***\\… (12 chars)",
    ),
    (
        8,
        "scan.started",
        "metadata.target_types.<key: 11 chars>",
        "key",
        "file-name",
        "****.*** (11 chars)",
    ),
    (
        9,
        "scan.started",
        "metadata.extra.endpoint",
        "value",
        "url",
        "***://… (33 chars)",
    ),
    (
        10,
        "scan.completed",
        "metadata.profile",
        "value",
        "repo-host",
        "***.*** (14 chars)",
    ),
    (
        11,
        "scan.paused",
        "metadata.config[0].<key: 3 chars>",
        "value",
        "aws-key",
        "AKIA****… (20 chars)",
    ),
    (
        12,
        "test.event",
        "metadata.message",
        "value",
        "github-token",
        "gh**_****… (40 chars)",
    ),
    (
        13,
        "tool.failed",
        "metadata.tool",
        "value",
        "github-token",
        "github_pat_****… (52 chars)",
    ),
    (
        14,
        "policy.evaluated",
        "metadata.policies[0]",
        "value",
        "private-key",
        "-----BEGIN *** PRIVATE KEY----- (35 chars)",
    ),
    (
        15,
        "scan.completed",
        "metadata.profile",
        "value",
        "high-entropy",
        "****… (40 chars)",
    ),
    (
        16,
        "tool.failed",
        "metadata.error",
        "value",
        "stack-trace",
        "stack trace (72 chars)",
    ),
    (
        17,
        "scan.started",
        "metadata.tools[1]",
        "value",
        "windows-path",
        "*:\\***\\… (13 chars)",
    ),
    (
        17,
        "scan.started",
        "metadata.tools[1]",
        "value",
        "home-user",
        "home directory of **** (11 chars)",
    ),
    (
        18,
        "scan.started",
        "metadata.env.<key: 4 chars>",
        "key",
        "env-dump",
        "**** (4 chars)",
    ),
    (
        18,
        "scan.started",
        "metadata.env.<key: 4 chars>",
        "value",
        "sensitive-field",
        "<string> (3 chars)",
    ),
    (
        19,
        "wizard.completed",
        "metadata.artifact_generated",
        "value",
        "env-dump",
        "****=**** (23 chars)",
    ),
    (
        20,
        "scan.completed",
        "metadata.duration_bucket",
        "value",
        "exact-number",
        "<number>",
    ),
    (
        20,
        "scan.completed",
        "metadata.total_findings_bucket",
        "value",
        "exact-number",
        "<number as text> (2 chars)",
    ),
    (
        21,
        "scan.completed",
        "metadata.profile",
        "value",
        "free-text",
        "<text, 4 words> (25 chars)",
    ),
    (
        22,
        "report.generated",
        "anonymous_id",
        "value",
        "anonymous-id",
        "UUID v1 (holds a MAC address and a time) (36 chars)",
    ),
    (
        23,
        "-",
        "(unparsed line)",
        "line",
        "email",
        "***@*** (16 chars)",
    ),
    (
        24,
        "tool.failed",
        "metadata.runner",
        "value",
        "hostname",
        "***.*** (31 chars)",
    ),
    // Fields the schema does not have, named for never-collected data: each
    // value a label that every content rule lets pass.
    (
        25,
        "scan.started",
        "metadata.repo_name",
        "value",
        "sensitive-field",
        "<string> (15 chars)",
    ),
    (
        25,
        "scan.started",
        "metadata.branchName",
        "value",
        "sensitive-field",
        "<string> (15 chars)",
    ),
    // A cut-off line: its JSON escapes are read (`\u0040` is `@`, `\/` is `/`).
    (
        26,
        "-",
        "(unparsed line)",
        "line",
        "email",
        "***@*** (18 chars)",
    ),
    (
        26,
        "-",
        "(unparsed line)",
        "line",
        "url",
        "***://… (18 chars)",
    ),
    // Keys each safe alone that spell an address together are not shown.
    (
        27,
        "scan.started",
        "metadata.<key: 2 chars>.<key: 2 chars>.<key: 2 chars>.<key: 2 chars>.duration_ms",
        "value",
        "exact-number",
        "<number>",
    ),
    // A name keying an object under a field named for never-collected
    // data is not shown, nor any key below it.
    (
        28,
        "scan.started",
        "metadata.hosts.<key: 10 chars>.<key: 3 chars>",
        "value",
        "mac-address",
        "**:**:… (17 chars)",
    ),
    (
        28,
        "scan.started",
        "metadata.hosts.<key: 10 chars>.uptime_ms",
        "value",
        "exact-number",
        "<number>",
    ),
];

/// Every sensitive string planted in `fixtures/leaks.jsonl` (or a telling part of it).
const PLANTED: &[&str] = &[
    "alice",
    "example.com",
    "10.20.30.40",
    "fe80",
    "/srv/policies",
    "acme",
    "D:\\work",
    "payroll",
    "scanner.acme",
    "https://",
    "gitlab.acme.io",
    "build-agent-17",
    "AKIAJ5Q7",
    "EXAMPLE",
    "ghp_R8uY",
    "R8uY2mK4",
    "github_pat_11",
    "Zq8Lm3",
    "OPENSSH",
    "wJalrXUtnFEMI",
    "K7MDENG",
    "NullPointer",
    "Scanner.java",
    "jdoe",
    "C:\\Users",
    "HOME",
    "CI_COMMIT",
    "=main",
    "431",
    "\"57\"",
    "nightly",
    "my team",
    "6ba7b810",
    "00c04fd430c8",
    "bob@",
    "corp.example",
    "company-backend",
    "release-2025",
    "carol",
    "acme.dev",
    "20.30",
    "mallory",
    "1a-2b",
];

#[test]
fn audit_finds_every_planted_leak_at_the_right_line_field_and_rule() {
    let (code, stdout, stderr) = run(&["audit", LEAKS, "--format", "json"], None);
    assert_eq!((code, stderr.as_str()), (1, ""));
    let doc = json_of(&stdout);
    assert_eq!(doc["schema"], "jmo-analyze.audit/1");
    let found: Vec<(u64, String, String, String, String, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().expect("string").to_owned();
            (
                f["line"].as_u64().expect("line"),
                s("event"),
                s("field"),
                s("location"),
                s("rule"),
                s("redacted"),
            )
        })
        .collect();
    let expected: Vec<(u64, String, String, String, String, String)> = EXPECTED_LEAKS
        .iter()
        .map(|&(l, e, f, w, r, x)| (l, e.into(), f.into(), w.into(), r.into(), x.into()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(
        (
            doc["lines"].as_u64(),
            doc["events"].as_u64(),
            doc["invalid_lines"].as_u64(),
            doc["blank_lines"].as_u64(),
            doc["findings_count"].as_u64()
        ),
        (Some(28), Some(26), Some(2), Some(0), Some(32))
    );
    assert_eq!(
        doc["fingerprint"],
        json!({"warning": true, "min_installations": 5, "combinations": 3, "rare_combinations": 3, "installations": 4, "installations_in_rare_combinations": 4})
    );
}

#[test]
fn the_leaks_fixture_plants_every_rule() {
    let (_, stdout, _) = run(&["audit", LEAKS, "--format", "json"], None);
    let doc = json_of(&stdout);
    let rules: Vec<&str> = doc["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["rule"].as_str().expect("rule"))
        .collect();
    let all = [
        "email",
        "ipv4",
        "ipv6",
        "mac-address",
        "posix-path",
        "windows-path",
        "file-name",
        "url",
        "repo-host",
        "hostname",
        "aws-key",
        "github-token",
        "private-key",
        "high-entropy",
        "stack-trace",
        "home-user",
        "env-dump",
        "exact-number",
        "free-text",
        "anonymous-id",
        "sensitive-field",
    ];
    assert_eq!(rules, all);
    let counts: Vec<u64> = doc["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["count"].as_u64().expect("count"))
        .collect();
    assert_eq!(
        counts,
        [
            3, 1, 1, 1, 1, 2, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 2, 4, 1, 1, 3
        ]
    );
}

#[test]
fn audit_output_never_repeats_a_planted_secret() {
    for format in ["text", "json"] {
        let (code, stdout, stderr) = run(&["audit", LEAKS, "--format", format], None);
        assert_eq!(code, 1);
        let all = stdout + &stderr;
        for secret in PLANTED {
            assert!(
                !all.contains(secret),
                "{format} output holds planted `{secret}`"
            );
        }
        // Nor the common fields that could fingerprint an installation.
        for value in ["Linux", "Darwin", "3.11", "0.7.1"] {
            assert!(!all.contains(value), "{format} output lists `{value}`");
        }
    }
}

#[test]
fn audit_text_groups_by_rule_then_lists_each_finding() {
    let (code, stdout, _) = run(&["audit", LEAKS], None);
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "audit: 28 lines (26 JSON objects, 2 invalid): 32 findings in 26 lines"
    );
    assert_eq!(lines[2], "RULE             COUNT  FIRST LINES  WHAT");
    assert_eq!(
        lines[3],
        "email            3      3, 23, 26    e-mail address"
    );
    assert_eq!(
        lines[20],
        "exact-number     4      20, 27, 28   exact duration or count where a bucket is promised"
    );
    assert_eq!(
        lines[23],
        "sensitive-field  3      18, 25       value of a field the schema does not have, named for never-collected data"
    );
    let wide = " ".repeat(66);
    assert_eq!(
        lines[25],
        format!("LINE  EVENT             FIELD{wide}           IN     RULE             REDACTED")
    );
    assert_eq!(
        lines[26],
        format!(
            "3     scan.completed    metadata.profile{wide}value  email            ***@*** (23 chars)"
        )
    );
    assert_eq!(
        lines.last(),
        Some(
            &"warning: 3 of 3 (platform, python_version, version) combinations are shared by fewer than 5 installations; 4 of 4 installations could be singled out by them (combinations not listed)"
        )
    );
}

// ------------------------------------------------------------ audit: clean data

#[test]
fn audit_finds_nothing_in_clean_realistic_data() {
    let sample = clean_sample();
    assert_eq!(sample.lines().count(), 2 + 3 * 6 * 7);
    let f = temp_file(&sample);
    let (code, stdout, stderr) = run(&["audit", path(&f)], None);
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    assert_eq!(
        stdout,
        "audit: 128 lines (128 JSON objects): nothing found\n\nfingerprint: each of the 3 (platform, python_version, version) combinations is shared by at least 5 installations\n"
    );
    let (code, stdout, _) = run(&["audit", path(&f), "-f", "json"], None);
    assert_eq!(code, 0);
    let doc = json_of(&stdout);
    assert_eq!(doc["findings"], json!([]));
    assert_eq!(doc["rules"], json!([]));
    assert_eq!(
        doc["fingerprint"],
        json!({"warning": false, "min_installations": 5, "combinations": 3, "rare_combinations": 0, "installations": 18, "installations_in_rare_combinations": 0})
    );
}

#[test]
fn clean_sample_is_valid() {
    let f = temp_file(&clean_sample());
    let (code, stdout, _) = run(&["validate", path(&f), "--deny-unknown"], None);
    assert_eq!(
        (code, stdout.as_str()),
        (
            0,
            "validate: 128 lines (128 JSON objects): every line is valid\n"
        )
    );
}

#[test]
fn fingerprint_warning_does_not_change_the_exit_code() {
    let f = temp_file(&clean_sample());
    let (code, stdout, _) = run(&["audit", path(&f), "--min-installations", "7"], None);
    assert_eq!(code, 0);
    assert!(stdout.ends_with("warning: 3 of 3 (platform, python_version, version) combinations are shared by fewer than 7 installations; 18 of 18 installations could be singled out by them (combinations not listed)\n"), "{stdout}");
    // One installation, said as one (a review: "at least 1 installations").
    let (code, stdout, _) = run(&["audit", path(&f), "--min-installations", "1"], None);
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with("combinations is shared by at least 1 installation\n"),
        "{stdout}"
    );
    // A k out of range says what k is (a review: "0 is not in 1..=4294967295").
    for k in ["0", "4294967296", "x"] {
        let (code, _, stderr) = run(&["audit", path(&f), "--min-installations", k], None);
        assert_eq!(code, 2);
        assert!(
            stderr.contains(&format!("invalid value '{k}' for '--min-installations <K>': give k, a number of installations from 1 to 4294967295 (the default is 5; 1 flags no combination)")),
            "{stderr}"
        );
    }
}

/// The generator's ground truth for `fixtures/events.jsonl`.
fn expected_counts() -> Value {
    let text = std::fs::read_to_string("fixtures/events.expected.json").expect("ground truth");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn the_realistic_fixture_audits_clean() {
    let (code, stdout, stderr) = run(
        &["audit", "fixtures/events.jsonl", "--format", "json"],
        None,
    );
    let doc = json_of(&stdout);
    assert_eq!(doc["findings"], json!([]), "{stdout}");
    assert_eq!((code, stderr.as_str()), (0, ""));
    let want = expected_counts();
    assert_eq!(doc["lines"], want["lines"]);
    assert_eq!(doc["blank_lines"], want["blank_lines"]);
    assert_eq!(doc["fingerprint"]["installations"], want["unique_ids"]);
    // Few installations per (platform, python, version): the warning fires, as it should.
    assert_eq!(doc["fingerprint"]["warning"], true);
}

#[test]
fn the_realistic_fixture_fails_validation_only_on_its_planted_invalid_lines() {
    let (code, stdout, _) = run(
        &["validate", "fixtures/events.jsonl", "--format", "json"],
        None,
    );
    assert_eq!(code, 1);
    let doc = json_of(&stdout);
    let mut error_lines: Vec<u64> = doc["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| p["line"].as_u64().expect("line"))
        .collect();
    error_lines.dedup();
    // The quirk table of fixtures/README.md.
    assert_eq!(
        error_lines,
        [154, 584, 832, 1023, 1237, 1588, 1981, 2177, 2615, 2883]
    );
    assert_eq!(
        error_lines.len() as u64,
        expected_counts()["invalid_lines"].as_u64().expect("count")
    );
    let warning_kinds: Vec<(&str, &str)> = doc["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["severity"] == "warning")
        .map(|g| {
            (
                g["kind"].as_str().expect("kind"),
                g["field"].as_str().expect("field"),
            )
        })
        .collect();
    assert_eq!(
        warning_kinds,
        [
            ("unknown-field", "source"),
            ("unknown-field", "source"),
            ("unknown-field", "source"),
            ("unknown-field", "source"),
            ("unknown-field", "metadata.docker_variant"),
            ("unknown-field", "source"),
            ("unknown-field", "source"),
            ("unknown-event", "event"),
        ]
    );
}

// ------------------------------------------------------------ input handling

#[test]
fn stdin_bom_crlf_and_blank_lines() {
    let sample = clean_sample();
    let crlf = format!(
        "\u{feff}{}\r\n\r\n   \n",
        sample.trim_end().replace('\n', "\r\n")
    );
    let (code, stdout, _) = run(&["validate", "-"], Some(&crlf));
    assert_eq!(
        (code, stdout.as_str()),
        (
            0,
            "validate: 130 lines (128 JSON objects, 2 blank): every line is valid\n"
        )
    );
    let (code, stdout, _) = run(&["audit", "-"], Some(&crlf));
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("audit: 130 lines (128 JSON objects, 2 blank): nothing found\n"),
        "{stdout}"
    );
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    for cmd in ["validate", "audit"] {
        let (code, stdout, stderr) = run(&[cmd, "no/such/file.jsonl"], None);
        assert_eq!((code, stdout.as_str()), (1, ""));
        assert!(
            stderr.starts_with("Error: no/such/file.jsonl: no such file; check the path"),
            "{stderr}"
        );
    }
}

/// A review: an empty input passed both checks with no word on stderr
/// (`summary` warns); the verdict stays 0.
#[test]
fn an_input_with_no_line_to_check_is_warned_of() {
    for cmd in ["validate", "audit"] {
        for (stdin, what) in [("", "is empty"), ("\n  \n", "holds only blank lines")] {
            let (code, _, stderr) = run(&[cmd, "-"], Some(stdin));
            assert_eq!(code, 0, "{cmd}");
            assert_eq!(
                stderr,
                format!("warning: stdin {what}: there is nothing to {cmd}\n"),
                "{cmd}"
            );
        }
        // A file with a line to check: no warning.
        let (_, _, stderr) = run(&[cmd, "fixtures/events.jsonl"], None);
        assert!(!stderr.contains("nothing to"), "{cmd}: {stderr}");
    }
    // The fingerprint of none, and of one (a review: "each of the 0
    // combinations", "each of the 1").
    let (_, stdout, _) = run(&["audit", "-"], Some(""));
    assert!(
        stdout.ends_with("fingerprint: no (platform, python_version, version) combination: no installation sent one\n"),
        "{stdout}"
    );
    let one = std::fs::read_to_string("fixtures/events.jsonl").unwrap();
    let line = one.lines().find(|l| l.contains("scan.started")).unwrap();
    let (_, stdout, _) = run(&["audit", "-", "--min-installations", "1"], Some(line));
    assert!(
        stdout.ends_with("fingerprint: the one (platform, python_version, version) combination is shared by at least 1 installation\n"),
        "{stdout}"
    );
}

// ------------------------------------------------------------ validate

const HEAD: &str = r#""version": "0.7.1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "3f6c1a52-8d4e-4b7a-9c21-5e8f0a7b3d64", "timestamp": "2025-11-19T14:32:00+00:00""#;

fn problem_file() -> String {
    [
        format!(r#"{{"event": "scan.completed", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "duration_bucket": "<5min", "tools_succeeded": 1, "tools_failed": 0, "total_findings_bucket": "0"}}}}"#),
        "not json".to_owned(),
        "[1, 2]".to_owned(),
        format!(r#"{{"event": "scan.completed", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "duration_bucket": 431, "tools_succeeded": 1, "tools_failed": 0}}}}"#),
        format!(r#"{{"event": "tool.failed", {HEAD}, "metadata": {{"tool": 5, "failure_type": "segfault", "exit_code": null, "profile": "deep"}}}}"#),
        r#"{"event": "test", "timestamp": "yesterday", "anonymous_id": "laptop"}"#.to_owned(),
        format!(r#"{{"event": "scan.paused", {HEAD}, "metadata": {{}}}}"#),
        format!(r#"{{"event": "report.generated", {HEAD}, "metadata": {{"output_formats": ["json"], "findings_bucket": "0", "suppressions_used": false, "compliance_enabled": false, "theme": "dark"}}}}"#),
        format!(r#"{{"event": "scan.completed", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "duration_bucket": "9h", "tools_succeeded": 1, "tools_failed": 0, "total_findings_bucket": "0"}}}}"#),
        format!(r#"{{"event": "report.generated", {HEAD}, "metadata": {{"output_formats": ["json"], "findings_bucket": "0", "suppressions_used": false, "compliance_enabled": false, "theme": "light"}}}}"#),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn validate_json_lists_every_problem() {
    let f = temp_file(&problem_file());
    let (code, stdout, stderr) = run(&["validate", path(&f), "--format", "json"], None);
    assert_eq!((code, stderr.as_str()), (1, ""));
    let doc = json_of(&stdout);
    assert_eq!(doc["schema"], "jmo-analyze.validate/1");
    let problems: Vec<(u64, &str, &str, &str, &str)> = doc["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().expect("string");
            (
                p["line"].as_u64().expect("line"),
                s("severity"),
                s("kind"),
                s("event"),
                s("field"),
            )
        })
        .collect();
    assert_eq!(
        problems,
        vec![
            (2, "error", "invalid-json", "-", ""),
            (3, "error", "not-an-object", "-", ""),
            (
                4,
                "error",
                "not-a-bucket",
                "scan.completed",
                "metadata.duration_bucket"
            ),
            (
                4,
                "error",
                "missing-field",
                "scan.completed",
                "metadata.total_findings_bucket"
            ),
            (5, "error", "wrong-type", "tool.failed", "metadata.tool"),
            (
                5,
                "error",
                "not-allowed",
                "tool.failed",
                "metadata.failure_type"
            ),
            (6, "error", "bad-timestamp", "test", "timestamp"),
            (6, "error", "bad-uuid", "test", "anonymous_id"),
            (7, "warning", "unknown-event", "scan.paused", "event"),
            (
                8,
                "warning",
                "unknown-field",
                "report.generated",
                "metadata.theme"
            ),
            (
                9,
                "error",
                "not-a-bucket",
                "scan.completed",
                "metadata.duration_bucket"
            ),
            (
                10,
                "warning",
                "unknown-field",
                "report.generated",
                "metadata.theme"
            ),
        ]
    );
    assert_eq!(
        doc["problems"][0]["reason"],
        "not JSON: expected ident at column 2"
    );
    assert_eq!(
        doc["problems"][10]["reason"],
        "expected one of <5min, 5-15min, 15-30min, >30min, found a string of 2 chars"
    );
    assert_eq!(
        (
            doc["lines"].as_u64(),
            doc["events"].as_u64(),
            doc["invalid_lines"].as_u64()
        ),
        (Some(10), Some(8), Some(2))
    );
    assert_eq!(
        (doc["errors"].as_u64(), doc["warnings"].as_u64()),
        (Some(9), Some(3))
    );
    let groups = doc["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 10);
    assert_eq!(
        groups[4],
        json!({"severity": "error", "kind": "not-a-bucket", "event": "scan.completed", "field": "metadata.duration_bucket", "count": 2, "first_lines": [4, 9], "reason": "expected one of <5min, 5-15min, 15-30min, >30min, found an exact number"})
    );
}

#[test]
fn validate_text_groups_problems_by_kind() {
    let f = temp_file(&problem_file());
    let (code, stdout, _) = run(&["validate", path(&f)], None);
    assert_eq!(code, 1);
    let expected = "\
validate: 10 lines (8 JSON objects, 2 invalid): 9 errors, 3 warnings

SEVERITY  KIND           EVENT             FIELD                           COUNT  FIRST LINES  REASON (first line)
error     invalid-json   -                 -                               1      2            not JSON: expected ident at column 2
error     not-an-object  -                 -                               1      3            expected a JSON object, found an array
error     missing-field  scan.completed    metadata.total_findings_bucket  1      4            required field missing (expected one of 0, 1-10, 10-100, 100-1000, >1000)
error     wrong-type     tool.failed       metadata.tool                   1      5            expected a string, found an integer
error     not-a-bucket   scan.completed    metadata.duration_bucket        2      4, 9         expected one of <5min, 5-15min, 15-30min, >30min, found an exact number
error     not-allowed    tool.failed       metadata.failure_type           1      5            expected one of timeout, crash, non_zero_exit, found a string of 8 chars
error     bad-uuid       test              anonymous_id                    1      6            expected a UUID (8-4-4-4-12 hexadecimal digits), found a string of 6 chars
error     bad-timestamp  test              timestamp                       1      6            expected an RFC 3339 date-time with an offset (2025-11-19T14:32:00+00:00), found a string of 9 chars
warning   unknown-field  report.generated  metadata.theme                  2      8, 10        a field the schema does not know
warning   unknown-event  scan.paused       event                           1      7            an event type this tool does not know: only its common fields are checked
";
    assert_eq!(stdout, expected);
}

#[test]
fn warnings_alone_exit_zero_unless_unknown_fields_are_denied() {
    let lines = [
        format!(
            r#"{{"event": "report.generated", {HEAD}, "metadata": {{"output_formats": ["json"], "findings_bucket": "0", "suppressions_used": false, "compliance_enabled": false, "theme": "dark"}}}}"#
        ),
        format!(r#"{{"event": "scan.paused", {HEAD}, "metadata": {{}}}}"#),
    ];
    let f = temp_file(&lines.join("\n"));
    let (code, stdout, _) = run(&["validate", path(&f)], None);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("validate: 2 lines (2 JSON objects): 0 errors, 2 warnings\n"),
        "{stdout}"
    );
    // Both unknowns are errors then: a field, and an event type whose
    // metadata is all unknown fields.
    let (code, stdout, _) = run(&["validate", path(&f), "--deny-unknown"], None);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("validate: 2 lines (2 JSON objects): 2 errors, 0 warnings\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nerror     unknown-field  report.generated  metadata.theme  1      1"),
        "{stdout}"
    );
}

#[test]
fn validate_on_the_leaks_fixture_names_no_value() {
    let (code, stdout, _) = run(&["validate", LEAKS, "--format", "json"], None);
    assert_eq!(code, 1);
    for secret in PLANTED {
        assert!(
            !stdout.contains(secret),
            "validate output holds planted `{secret}`"
        );
    }
}

/// A test event and the marker may carry text in `message` only: any other
/// field of theirs is held to labels like a usage event's (a test event's
/// `"user": "alice smith"` passed unseen).
#[test]
fn test_events_and_the_marker_may_hold_text_in_message_only() {
    let clean = temp_file(concat!(
        r#"{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "JMo Security Telemetry Backend"}"#,
        "\n",
        r#"{"event": "test", "timestamp": "2025-10-19T12:00:00Z", "message": "hello from curl, a test"}"#,
        "\n"
    ));
    let (code, stdout, _) = run(&["audit", path(&clean)], None);
    assert_eq!(code, 0, "{stdout}");
    let leaky = temp_file(concat!(
        r#"{"event": "test", "timestamp": "2025-10-19T12:00:00Z", "user": "alice smith"}"#,
        "\n",
        r#"{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "x", "note": "from alice's laptop"}"#,
        "\n"
    ));
    let (code, stdout, _) = run(&["audit", path(&leaky), "-f", "json"], None);
    assert_eq!(code, 1);
    let doc = json_of(&stdout);
    let found: Vec<(u64, &str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["field"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [(1, "user", "free-text"), (2, "note", "free-text")]);
}

/// A reader that stops reading early (`| head`) leaves the verdict's exit
/// code: 1 with errors or findings (a review: both exited 0, so a privacy
/// gate piping the JSON into `head` passed with leaks in the file).
#[test]
fn a_reader_that_stops_early_leaves_the_verdict() {
    use std::io::Read as _;
    let lines: String = (0..3000)
        .map(|i| {
            format!(
                "{{\"event\": \"scan.started\", \"version\": \"1.0.0\", \"anonymous_id\": \
                 \"a7f3c8e2-4b1d-4f9e-8c3a-{i:012}\", \"timestamp\": \"2026-01-02T10:00:00Z\", \
                 \"metadata\": {{\"profile\": \"fast\", \"repo_name\": \"user{i}@example.com\"}}}}\n"
            )
        })
        .collect();
    let file = temp_file(&lines);
    for args in [
        vec!["audit", path(&file), "-f", "json"],
        vec!["validate", path(&file), "-f", "json", "--deny-unknown"],
    ] {
        // The whole report is far more than a pipe holds, so the program
        // is still writing when the reader goes.
        let (code, stdout, _) = run(&args, None);
        assert_eq!(code, 1);
        assert!(stdout.len() > 1 << 18, "{args:?}: {}", stdout.len());
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("jmo-analyze"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut start = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut start).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Each command's `--help` gives the exit codes it uses, bad usage's 2
/// among them (a review: "1 otherwise" left 2 out), and that code is what
/// a bad flag gets.
#[test]
fn help_gives_the_exit_codes_a_bad_flag_gets() {
    for command in ["validate", "audit"] {
        let (code, help, _) = run(&[command, "--help"], None);
        assert_eq!(code, 0);
        let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains(
                "1 otherwise, 2 for bad usage; a reader that stops early (| head) does not \
                 change it."
            ),
            "{help}"
        );
        let (code, _, err) = run(&[command, LEAKS, "--format", "yaml"], None);
        assert_eq!(code, 2, "{err}");
    }
}

/// A line longer than 64 MiB is read by neither: `validate` calls it a
/// `too-long` error, `audit` an `unreadable` finding (its content was not
/// checked); both fail, and the lines after it keep their numbers.
#[test]
fn a_line_longer_than_64_mib_fails_both_checks() {
    let mut text = String::from(
        r#"{"event": "scan.started", "timestamp": "2025-11-19T14:32:00+00:00", "metadata": {"mode": "cli", "profile": "fast", "tools": ["trivy"]}}"#,
    );
    text.push('\n');
    text.push_str(&"x".repeat(64 << 20));
    text.push_str("yz\n{\"event\": \"scan.started\", \"user\": \"jdoe@example.com\"}\n");
    let file = temp_file(&text);
    let (code, stdout, _) = run(&["validate", path(&file), "--format", "json"], None);
    assert_eq!(code, 1);
    let doc = json_of(&stdout);
    let long: Vec<&Value> = doc["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["kind"] == "too-long")
        .collect();
    assert_eq!(long.len(), 1, "{stdout}");
    assert_eq!(
        (&long[0]["line"], &long[0]["severity"], &long[0]["reason"]),
        (
            &json!(2),
            &json!("error"),
            &json!("the line is longer than 64 MiB (67108866 bytes before its line end): not read")
        )
    );
    let (code, stdout, _) = run(&["audit", path(&file), "--format", "json"], None);
    assert_eq!(code, 1);
    let doc = json_of(&stdout);
    let found: Vec<(u64, &str)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().expect("line"),
                f["rule"].as_str().expect("rule"),
            )
        })
        .collect();
    assert_eq!(found[0], (2, "unreadable"), "{stdout}");
    assert!(found[1..].iter().all(|&(line, _)| line == 3), "{stdout}");
    assert_eq!(
        doc["findings"][0]["redacted"],
        "a line longer than 64 MiB (67108866 bytes before its line end): not read, so not checked"
    );
    assert_eq!(
        (doc["lines"].as_u64(), doc["invalid_lines"].as_u64()),
        (Some(3), Some(1))
    );
}
