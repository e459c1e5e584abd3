//! `validate` on one line: check an event against the schema of its type
//! ([`super::schema`]) and report every problem. Problems never quote a value:
//! they name the field, the expected form and the JSON type and length found.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use super::LineKind;
use super::json::{Json, ParseError};
use super::scan::{Path, Seg, event_label, trim_line};
use super::schema::{self, FieldSpec, FieldType};
use crate::event::ingest::MAX_LINE;

/// How bad a problem is: errors make `validate` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The line breaks the schema.
    Error,
    /// The line holds something the schema does not know.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What kind of problem a line has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The line is not UTF-8.
    InvalidUtf8,
    /// The line is not JSON.
    InvalidJson,
    /// The line is JSON but not an object.
    NotAnObject,
    /// The line is longer than any command reads (`MAX_LINE`): skipped unread.
    TooLong,
    /// A required field is missing.
    MissingField,
    /// A key appears twice in one object.
    DuplicateField,
    /// A field holds the wrong JSON type.
    WrongType,
    /// A bucketed field holds something other than one of its buckets (an exact number, say).
    NotABucket,
    /// An enumerated field holds a value outside its set, or a count is negative.
    NotAllowed,
    /// `anonymous_id` is not a UUID.
    BadUuid,
    /// `timestamp` is not RFC 3339.
    BadTimestamp,
    /// A key the schema does not know.
    UnknownField,
    /// An event type the schema does not know.
    UnknownEvent,
}

impl ProblemKind {
    /// The identifier in reports (`missing-field`).
    pub fn id(self) -> &'static str {
        match self {
            ProblemKind::InvalidUtf8 => "invalid-utf8",
            ProblemKind::InvalidJson => "invalid-json",
            ProblemKind::NotAnObject => "not-an-object",
            ProblemKind::TooLong => "too-long",
            ProblemKind::MissingField => "missing-field",
            ProblemKind::DuplicateField => "duplicate-field",
            ProblemKind::WrongType => "wrong-type",
            ProblemKind::NotABucket => "not-a-bucket",
            ProblemKind::NotAllowed => "not-allowed",
            ProblemKind::BadUuid => "bad-uuid",
            ProblemKind::BadTimestamp => "bad-timestamp",
            ProblemKind::UnknownField => "unknown-field",
            ProblemKind::UnknownEvent => "unknown-event",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One schema problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line number.
    pub line: u64,
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The event type, or a placeholder when it is missing or unsafe to print.
    pub event: String,
    /// The field path (`metadata.tools[2]`), empty for the whole line.
    pub field: String,
    /// What was expected and what was found (never the value itself).
    pub reason: String,
}

/// Options of `validate`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Report unknown fields as errors instead of warnings (`--deny-unknown`).
    pub deny_unknown: bool,
}

/// The problem of a line that is not UTF-8.
pub fn invalid_utf8(line_no: u64) -> Problem {
    Problem {
        line: line_no,
        severity: Severity::Error,
        kind: ProblemKind::InvalidUtf8,
        event: "-".to_owned(),
        field: String::new(),
        reason: "the line is not valid UTF-8".to_owned(),
    }
}

/// The problem of a line longer than [`MAX_LINE`], skipped unread.
pub fn too_long(line_no: u64, bytes: u64) -> Problem {
    Problem {
        line: line_no,
        severity: Severity::Error,
        kind: ProblemKind::TooLong,
        event: "-".to_owned(),
        field: String::new(),
        reason: format!(
            "the line is {}",
            crate::event::ingest::too_long_reason(bytes, MAX_LINE)
        ),
    }
}

/// Validates one line against the schema of its event type, pushing every problem to `out`.
pub fn validate_line(
    line_no: u64,
    line: &str,
    opts: &ValidateOptions,
    out: &mut Vec<Problem>,
) -> LineKind {
    let Some(line) = trim_line(line_no, line) else {
        return LineKind::Blank;
    };
    let json = match Json::parse(line) {
        Ok(json) => json,
        Err(ParseError::TooManyValues { object }) => {
            out.push(Problem {
                line: line_no,
                severity: Severity::Error,
                kind: ProblemKind::TooLong,
                event: "-".to_owned(),
                field: String::new(),
                reason: format!("{}: not checked", super::json::too_many_values()),
            });
            // A JSON object, as the header counts one of fewer values (a
            // review: one of many values was said to be none).
            return if object {
                LineKind::Event
            } else {
                LineKind::Invalid
            };
        }
        Err(ParseError::Json(err)) => {
            out.push(Problem {
                line: line_no,
                severity: Severity::Error,
                kind: ProblemKind::InvalidJson,
                event: "-".to_owned(),
                field: String::new(),
                // A character that shows nothing is named, as summary
                // names it (a review).
                reason: format!(
                    "not JSON: {}",
                    crate::event::parse::invisible_start(line)
                        .unwrap_or_else(|| crate::event::parse::strip_position(&err, line, ""))
                ),
            });
            return LineKind::Invalid;
        }
    };
    let Json::Object(pairs) = &json else {
        out.push(Problem {
            line: line_no,
            severity: Severity::Error,
            kind: ProblemKind::NotAnObject,
            event: "-".to_owned(),
            field: String::new(),
            reason: format!("expected a JSON object, found {}", a(json.type_name())),
        });
        return LineKind::Invalid;
    };
    let event = json.get("event");
    let mut v = Validator {
        line: line_no,
        event,
        opts,
        out,
    };
    let fields = match event {
        // `summary` skips such a line (a review: validate passed it).
        Some(Json::Str(name)) if name.is_empty() => {
            v.push(
                Severity::Error,
                ProblemKind::MissingField,
                &child(None, "event"),
                "`event` is empty: a line needs its event type".into(),
            );
            schema::UNKNOWN_USAGE_FIELDS
        }
        Some(Json::Str(name)) => match schema::event_spec(name) {
            Some(spec) => spec.fields,
            None => {
                // Its metadata is all fields the schema does not know: an
                // error too with --deny-unknown (a review: `Scan.Started`
                // with a `repo_path` passed it).
                let severity = if v.opts.deny_unknown {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                v.push(
                    severity,
                    ProblemKind::UnknownEvent,
                    &child(None, "event"),
                    "an event type this tool does not know: only its common fields are checked"
                        .into(),
                );
                schema::UNKNOWN_USAGE_FIELDS
            }
        },
        // The missing or mistyped `event` is reported below; check the common fields.
        _ => schema::UNKNOWN_USAGE_FIELDS,
    };
    v.object(pairs, None, fields);
    LineKind::Event
}

/// `a string`, `an object`, `an integer`.
fn a(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

/// What was found, without the value: `a string of 12 chars`, `an integer`.
fn found(value: &Json<'_>) -> String {
    match value {
        Json::Str(s) => format!("a string of {}", crate::render::text::chars(s)),
        other => a(other.type_name()),
    }
}

/// The path of `key` under `parent`.
fn child<'p>(parent: Option<&'p Path<'p>>, key: &'p str) -> Path<'p> {
    Path {
        parent,
        seg: Seg::Key(key),
    }
}

/// The path of `key` under `parent`, a member of an object of counts with
/// these `counts` keys (`None`: of another object). A key that names no
/// count is data where the promise allows only counts (a repository's name,
/// `"company-backend": 1`; any word can be one, `config`): it shows by its
/// length, as `audit` shows it.
fn member_path<'p>(
    parent: Option<&'p Path<'p>>,
    key: &'p str,
    counts: Option<&[&str]>,
) -> Path<'p> {
    let named = counts.is_some_and(|keys| !keys.contains(&key));
    Path {
        parent,
        seg: if named {
            Seg::Named(key)
        } else {
            Seg::Key(key)
        },
    }
}

struct Validator<'j, 'o> {
    line: u64,
    /// The `event` value, turned into a label only when a problem is reported.
    event: Option<&'j Json<'j>>,
    opts: &'o ValidateOptions,
    out: &'o mut Vec<Problem>,
}

/// A count inside `target_types`.
const COUNT: FieldSpec = FieldSpec {
    name: "",
    ty: FieldType::Count,
    required: false,
    nullable: false,
};

type Pairs<'a> = [(Cow<'a, str>, Json<'a>)];

/// What an object member's key shares with the other members'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Member {
    /// No later member has this key (the member a reader keeps).
    last: bool,
    /// Another member has this key.
    repeated: bool,
}

/// Per member of an object, in order: whether it is the last with its key
/// and whether its key repeats. The members are sorted by key (and order),
/// so equal keys sit side by side: time grows as n log n with the object's
/// size. A client can send an object of any size, and comparing each key
/// with every other took quadratic time (a line of 100,000 keys: 31 s).
fn last_of_keys(pairs: &Pairs<'_>) -> Vec<Member> {
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_by(|&a, &b| pairs[a].0.cmp(&pairs[b].0).then(a.cmp(&b)));
    let mut members = vec![
        Member {
            last: true,
            repeated: false,
        };
        pairs.len()
    ];
    for w in order.windows(2) {
        if pairs[w[0]].0 == pairs[w[1]].0 {
            members[w[0]].last = false;
            members[w[0]].repeated = true;
            members[w[1]].repeated = true;
        }
    }
    members
}

impl Validator<'_, '_> {
    fn push(&mut self, severity: Severity, kind: ProblemKind, field: &Path<'_>, reason: String) {
        self.out.push(Problem {
            line: self.line,
            severity,
            kind,
            event: event_label(self.event),
            field: field.render(),
            reason,
        });
    }

    /// Reports each key that appears more than once (at its last
    /// appearance); returns [`last_of_keys`] for the caller.
    fn duplicates(
        &mut self,
        pairs: &Pairs<'_>,
        parent: Option<&Path<'_>>,
        counts: Option<&[&str]>,
    ) -> Vec<Member> {
        let members = last_of_keys(pairs);
        for ((key, _), member) in pairs.iter().zip(&members) {
            if member.last && member.repeated {
                self.push(
                    Severity::Error,
                    ProblemKind::DuplicateField,
                    &member_path(parent, key, counts),
                    "the key appears more than once; readers disagree on which value counts".into(),
                );
            }
        }
        members
    }

    fn unknown(&mut self, path: &Path<'_>) {
        let severity = if self.opts.deny_unknown {
            Severity::Error
        } else {
            Severity::Warning
        };
        self.push(
            severity,
            ProblemKind::UnknownField,
            path,
            "a field the schema does not know".into(),
        );
    }

    fn object(&mut self, pairs: &Pairs<'_>, parent: Option<&Path<'_>>, fields: &[FieldSpec]) {
        let members = self.duplicates(pairs, parent, None);
        for spec in fields {
            // The last value wins, as in Python's json.loads.
            match pairs.iter().rev().find(|(k, _)| k == spec.name) {
                Some((_, value)) => self.value(value, &child(parent, spec.name), spec),
                None if spec.required => {
                    self.push(
                        Severity::Error,
                        ProblemKind::MissingField,
                        &child(parent, spec.name),
                        format!("required field missing (expected {})", expected(spec.ty)),
                    );
                }
                None => {}
            }
        }
        for ((key, _), member) in pairs.iter().zip(members) {
            if member.last && !fields.iter().any(|f| f.name == key.as_ref()) {
                self.unknown(&child(parent, key));
            }
        }
    }

    fn value(&mut self, value: &Json<'_>, path: &Path<'_>, spec: &FieldSpec) {
        let error = |v: &mut Self, kind: ProblemKind, reason: String| {
            v.push(Severity::Error, kind, path, reason);
        };
        let wrong_type = |v: &mut Self| {
            let reason = format!("expected {}, found {}", expected(spec.ty), found(value));
            error(v, ProblemKind::WrongType, reason);
        };
        if matches!(value, Json::Null) {
            if !spec.nullable {
                wrong_type(self);
            }
            return;
        }
        match (spec.ty, value) {
            (FieldType::Label | FieldType::Text, Json::Str(_)) => {}
            (FieldType::Enum(allowed), Json::Str(s)) => {
                if !allowed.contains(&s.as_ref()) {
                    let reason = format!(
                        "expected one of {}, found {}",
                        allowed.join(", "),
                        found(value)
                    );
                    error(self, ProblemKind::NotAllowed, reason);
                }
            }
            (FieldType::Bucket(allowed), Json::Str(_) | Json::Int(_) | Json::Float(_)) => {
                if !value.as_str().is_some_and(|s| allowed.contains(&s)) {
                    let what = if value.as_str().is_some() {
                        found(value)
                    } else {
                        "an exact number".to_owned()
                    };
                    let reason = format!("expected one of {}, found {what}", allowed.join(", "));
                    error(self, ProblemKind::NotABucket, reason);
                }
            }
            // `summary` reads every integer field as a 64-bit signed one and
            // skips the line when one does not fit (a review: 2^63 passed
            // here).
            (FieldType::Int, Json::Int(n)) if i64::try_from(*n).is_err() => {
                let reason = "expected an integer that fits in 64 bits (signed), found one out of that range";
                error(self, ProblemKind::NotAllowed, reason.into());
            }
            // Past even 128 bits (or 2^64 as `summary` words it): JSON's
            // reader holds it as a float, and said as out of range, as
            // `summary` says it (a review: "found a number").
            (FieldType::Int | FieldType::Count, Json::Float(f))
                if f.fract() == 0.0 && f.abs() >= 9_223_372_036_854_775_808.0 =>
            {
                let reason = if matches!(spec.ty, FieldType::Int) {
                    "expected an integer that fits in 64 bits (signed), found one out of that range"
                } else if *f < 0.0 {
                    "expected a count (an integer ≥ 0), found a negative integer"
                } else {
                    "expected a count (an integer ≥ 0) up to 9223372036854775807, found a larger one"
                };
                error(self, ProblemKind::NotAllowed, reason.into());
            }
            (FieldType::Int, Json::Int(_)) | (FieldType::Bool, Json::Bool(_)) => {}
            (FieldType::Count, Json::Int(n)) => {
                if *n < 0 {
                    let reason = "expected a count (an integer ≥ 0), found a negative integer";
                    error(self, ProblemKind::NotAllowed, reason.into());
                } else if i64::try_from(*n).is_err() {
                    let reason = "expected a count (an integer ≥ 0) up to 9223372036854775807, found a larger one";
                    error(self, ProblemKind::NotAllowed, reason.into());
                }
            }
            (FieldType::LabelList, Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if item.as_str().is_none() {
                        let reason = format!("expected a string, found {}", found(item));
                        let item_path = Path {
                            parent: Some(path),
                            seg: Seg::Index(i),
                        };
                        self.push(Severity::Error, ProblemKind::WrongType, &item_path, reason);
                    }
                }
            }
            (FieldType::Counts(keys), Json::Object(pairs)) => {
                self.duplicates(pairs, Some(path), Some(keys));
                for (key, v) in pairs {
                    let at = member_path(Some(path), key, Some(keys));
                    if !keys.contains(&key.as_ref()) {
                        self.unknown(&at);
                    }
                    // `summary` reads every key's value as a count (the
                    // guide's multi-target rule counts any non-zero one), and
                    // skips the line when one is none: so is it an error
                    // here (a review found an unknown key's string a warning).
                    self.value(v, &at, &COUNT);
                }
            }
            (FieldType::Object(fields), Json::Object(pairs)) => {
                self.object(pairs, Some(path), fields)
            }
            (FieldType::AnyObject, Json::Object(pairs)) => {
                self.duplicates(pairs, Some(path), None);
            }
            (FieldType::Uuid, Json::Str(s)) => {
                if !schema::is_uuid(s) {
                    let reason = format!(
                        "expected a UUID (8-4-4-4-12 hexadecimal digits), found {}",
                        found(value)
                    );
                    error(self, ProblemKind::BadUuid, reason);
                }
            }
            (FieldType::Timestamp, Json::Str(s)) => {
                if !schema::is_rfc3339(s) {
                    let expected = if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
                        "a date-time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC"
                    } else {
                        "an RFC 3339 date-time with an offset (2025-11-19T14:32:00+00:00)"
                    };
                    let reason = format!("expected {expected}, found {}", found(value));
                    error(self, ProblemKind::BadTimestamp, reason);
                }
            }
            _ => wrong_type(self),
        }
    }
}

/// What a field type expects, in words.
fn expected(ty: FieldType) -> String {
    match ty {
        FieldType::Label | FieldType::Text => "a string".into(),
        FieldType::Enum(allowed) | FieldType::Bucket(allowed) => {
            format!("one of {}", allowed.join(", "))
        }
        FieldType::Int => "an integer".into(),
        FieldType::Count => "a count (an integer ≥ 0)".into(),
        FieldType::Bool => "true or false".into(),
        FieldType::LabelList => "a list of strings".into(),
        FieldType::Counts(_) | FieldType::Object(_) | FieldType::AnyObject => "an object".into(),
        FieldType::Uuid => "a UUID".into(),
        FieldType::Timestamp => "an RFC 3339 date-time".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, deny_unknown: bool) -> Vec<(Severity, ProblemKind, String, String)> {
        let mut out = Vec::new();
        validate_line(3, line, &ValidateOptions { deny_unknown }, &mut out);
        assert!(out.iter().all(|p| p.line == 3));
        out.into_iter()
            .map(|p| (p.severity, p.kind, p.field, p.reason))
            .collect()
    }

    const HEAD: &str = r#""version": "0.7.1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2025-11-19T14:32:00.173975+00:00""#;

    #[test]
    fn members_know_their_last_and_repeated_keys_as_pairwise_compares_do() {
        // Every sequence of up to 6 keys over 3 letters, against the
        // definition (a later member has the key; another member has it).
        for n in 0..=6u32 {
            for code in 0..3u32.pow(n) {
                let keys: Vec<String> = (0..n)
                    .map(|i| ["a", "b", "ab"][(code / 3u32.pow(i) % 3) as usize].to_owned())
                    .collect();
                let pairs: Vec<(Cow<'_, str>, Json<'_>)> = keys
                    .iter()
                    .map(|k| (Cow::Borrowed(k.as_str()), Json::Null))
                    .collect();
                let want: Vec<Member> = (0..keys.len())
                    .map(|i| Member {
                        last: !keys[i + 1..].contains(&keys[i]),
                        repeated: keys.iter().filter(|k| **k == keys[i]).count() > 1,
                    })
                    .collect();
                assert_eq!(last_of_keys(&pairs), want, "{keys:?}");
            }
        }
    }

    #[test]
    fn valid_events_of_every_type() {
        for (event, metadata) in [
            (
                "scan.started",
                r#"{"mode": "cli", "profile": "fast", "tools": ["trivy"], "target_types": {"repos": 1, "images": 0}, "scan_frequency_hint": null, "total_targets_bucket": "1"}"#,
            ),
            (
                "scan.started",
                r#"{"mode": "docker", "profile": "deep", "tools": [], "target_types": {}}"#,
            ),
            (
                "scan.completed",
                r#"{"mode": "wizard", "profile": "balanced", "duration_bucket": "<5min", "tools_succeeded": 3, "tools_failed": 0, "total_findings_bucket": "0"}"#,
            ),
            (
                "tool.failed",
                r#"{"tool": "zap", "failure_type": "timeout", "exit_code": null, "profile": "deep"}"#,
            ),
            (
                "wizard.completed",
                r#"{"profile_selected": "fast", "execution_mode": "native", "artifact_generated": null, "duration_seconds": 42}"#,
            ),
            (
                "report.generated",
                r#"{"output_formats": ["json", "simple-html"], "findings_bucket": ">1000", "suppressions_used": false, "compliance_enabled": true}"#,
            ),
            (
                "policy.evaluated",
                r#"{"policy_count": 2, "violations_bucket": "5-20", "evaluation_time_bucket": "<50ms", "policies": ["zero-secrets"], "passed_count": 1, "failed_count": 1}"#,
            ),
            (
                "test.event",
                r#"{"message": "Test telemetry event from CLI"}"#,
            ),
        ] {
            let line = format!(r#"{{"event": "{event}", {HEAD}, "metadata": {metadata}}}"#);
            assert_eq!(check(&line, true), vec![], "{line}");
        }
        assert_eq!(
            check(
                r#"{"event": "test", "timestamp": "2025-10-19T14:32:00Z"}"#,
                true
            ),
            vec![]
        );
        // The file's byte order mark, on its first line.
        let mut out = Vec::new();
        let first = "\u{feff}{\"event\": \"telemetry.initialized\", \"timestamp\": \"2025-10-19T00:00:00Z\", \"message\": \"JMo\"}\r";
        let kind = validate_line(1, first, &ValidateOptions::default(), &mut out);
        assert_eq!((kind, out.len()), (LineKind::Event, 0), "{out:?}");
    }

    /// `test.event` comes from the client's own sender, with every common
    /// field, as README says; the guide's `test` line has none.
    #[test]
    fn a_test_event_needs_the_common_fields_and_a_test_line_does_not() {
        let line = r#"{"event": "test.event", "timestamp": "2025-10-19T00:00:00Z", "anonymous_id": "3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e", "metadata": {"message": "hi"}}"#;
        let missing: Vec<_> = (check(line, false).into_iter())
            .map(|(severity, kind, field, _)| (severity, kind, field))
            .collect();
        assert_eq!(
            missing,
            ["version", "platform", "python_version"].map(|f| (
                Severity::Error,
                ProblemKind::MissingField,
                f.to_owned()
            ))
        );
        let test = r#"{"event": "test", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"message": "hi"}}"#;
        assert_eq!(check(test, false), vec![]);
    }

    /// A line of more values than a tree may hold is not checked, and says
    /// why (a review: a tree of 16 MiB of `{}` took 3.1 GB); it is a JSON
    /// object still, and one cut short is no JSON (two reviews).
    #[test]
    fn a_line_of_too_many_values_is_too_long_to_check() {
        let items = "0, ".repeat(super::super::json::MAX_VALUES);
        let line =
            format!(r#"{{"event": "scan.completed", {HEAD}, "metadata": {{"x": [{items}0]}}}}"#);
        let mut out = Vec::new();
        let kind = validate_line(3, &line, &ValidateOptions::default(), &mut out);
        assert_eq!(kind, LineKind::Event);
        let cut = &line[..line.len() - 1];
        let mut out = Vec::new();
        let kind = validate_line(3, cut, &ValidateOptions::default(), &mut out);
        assert_eq!(
            (kind, out[0].kind),
            (LineKind::Invalid, ProblemKind::InvalidJson)
        );
        assert_eq!(
            check(&line, false),
            vec![(
                Severity::Error,
                ProblemKind::TooLong,
                String::new(),
                "more than 500,000 JSON values in one line, where an event holds about 40: not \
                 checked"
                    .to_owned()
            )]
        );
    }

    /// A marker's common fields are read as `summary` reads them: one of
    /// another type is an error, as `summary` skips the line (a review:
    /// `"version": 5` was only an unknown field, and `validate` passed a
    /// file `summary --strict` refused).
    #[test]
    fn a_markers_common_fields_have_their_types() {
        let marker = |extra: &str| {
            format!(
                r#"{{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "JMo"{extra}}}"#
            )
        };
        assert_eq!(check(&marker(r#", "version": "1.0""#), true), vec![]);
        for (field, value, found) in [
            ("version", "5", "an integer"),
            ("platform", r#"["Linux"]"#, "an array"),
            ("python_version", "3.11", "a number"),
        ] {
            let problems = check(&marker(&format!(r#", "{field}": {value}"#)), false);
            assert_eq!(
                problems,
                vec![(
                    Severity::Error,
                    ProblemKind::WrongType,
                    field.to_owned(),
                    format!("expected a string, found {found}")
                )],
                "{field}"
            );
        }
    }

    #[test]
    fn each_problem_kind() {
        use ProblemKind::*;
        use Severity::*;
        let line = format!(
            r#"{{"event": "scan.completed", {HEAD}, "metadata": {{"mode": "ci", "profile": 3, "duration_bucket": 437, "tools_succeeded": -1, "tools_failed": 0, "extra": 1, "extra": 2}}}}"#
        );
        assert_eq!(
            check(&line, false),
            vec![
                (
                    Error,
                    DuplicateField,
                    "metadata.extra".into(),
                    "the key appears more than once; readers disagree on which value counts".into()
                ),
                (
                    Error,
                    NotAllowed,
                    "metadata.mode".into(),
                    "expected one of cli, docker, wizard, found a string of 2 chars".into()
                ),
                (
                    Error,
                    WrongType,
                    "metadata.profile".into(),
                    "expected a string, found an integer".into()
                ),
                (
                    Error,
                    NotABucket,
                    "metadata.duration_bucket".into(),
                    "expected one of <5min, 5-15min, 15-30min, >30min, found an exact number"
                        .into()
                ),
                (
                    Error,
                    NotAllowed,
                    "metadata.tools_succeeded".into(),
                    "expected a count (an integer ≥ 0), found a negative integer".into()
                ),
                (
                    Error,
                    MissingField,
                    "metadata.total_findings_bucket".into(),
                    "required field missing (expected one of 0, 1-10, 10-100, 100-1000, >1000)"
                        .into()
                ),
                (
                    Warning,
                    UnknownField,
                    "metadata.extra".into(),
                    "a field the schema does not know".into()
                ),
            ]
        );
        let line = r#"{"event": "scan.started", "version": "0.7.1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "not-a-uuid", "timestamp": "2025-11-19T14:32:00", "metadata": {"mode": "cli", "profile": "fast", "tools": ["trivy", 7], "target_types": {"repos": 1.5, "ftp": 1}, "ci_detected": "yes"}, "hostname": "x"}"#;
        assert_eq!(
            check(line, true),
            vec![
                (Error, BadUuid, "anonymous_id".into(), "expected a UUID (8-4-4-4-12 hexadecimal digits), found a string of 10 chars".into()),
                (Error, BadTimestamp, "timestamp".into(), "expected an RFC 3339 date-time with an offset (2025-11-19T14:32:00+00:00), found a string of 19 chars".into()),
                (Error, WrongType, "metadata.tools[1]".into(), "expected a string, found an integer".into()),
                (Error, WrongType, "metadata.target_types.repos".into(), "expected a count (an integer ≥ 0), found a number".into()),
                (Error, UnknownField, "metadata.target_types.<key: 3 chars>".into(), "a field the schema does not know".into()),
                (Error, WrongType, "metadata.ci_detected".into(), "expected true or false, found a string of 3 chars".into()),
                (Error, UnknownField, "hostname".into(), "a field the schema does not know".into()),
            ]
        );
    }

    /// `summary` skips a timestamp before the year 1 (a review found
    /// `validate` passed it): the same reader decides both.
    #[test]
    fn a_timestamp_summary_skips_is_an_error() {
        use ProblemKind::*;
        use Severity::*;
        for ts in [
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-23:59",
        ] {
            let line = format!(r#"{{"event": "test", "timestamp": "{ts}"}}"#);
            assert!(matches!(
                crate::event::parse::parse_line(&line),
                crate::event::parse::Parsed::Invalid(_)
            ));
            assert_eq!(
                check(&line, false),
                vec![(
                    Error,
                    BadTimestamp,
                    "timestamp".into(),
                    format!(
                        "expected a date-time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC, found a string of {} chars",
                        ts.len()
                    )
                )]
            );
        }
        let line = r#"{"event": "test", "timestamp": "0001-01-01T00:00:00Z"}"#;
        assert_eq!(check(line, false), vec![]);
    }

    /// `summary` reads integers as 64-bit signed ones: 2^63 is an error here
    /// too, in a count and in any integer field.
    #[test]
    fn an_integer_summary_cannot_hold_is_an_error() {
        for (meta, field) in [
            (
                r#"{"tool": "trivy", "failure_type": "crash", "exit_code": 9223372036854775808, "profile": "fast"}"#,
                "metadata.exit_code",
            ),
            (
                r#"{"tool": "trivy", "failure_type": "crash", "exit_code": -9223372036854775809, "profile": "fast"}"#,
                "metadata.exit_code",
            ),
            (
                r#"{"tool": "trivy", "failure_type": "crash", "exit_code": 18446744073709551616, "profile": "fast"}"#,
                "metadata.exit_code",
            ),
        ] {
            let line = format!(r#"{{"event": "tool.failed", {HEAD}, "metadata": {meta}}}"#);
            assert!(matches!(
                crate::event::parse::parse_line(&line),
                crate::event::parse::Parsed::Invalid(_)
            ));
            let found = check(&line, false);
            assert_eq!(found.len(), 1, "{found:?}");
            // serde_json reads one below -2^63 or past 2^64 as a float: it
            // is said as out of range all the same (a review: "found a
            // number").
            assert_eq!(
                (
                    found[0].0,
                    found[0].1,
                    found[0].2.as_str(),
                    found[0].3.as_str()
                ),
                (
                    Severity::Error,
                    ProblemKind::NotAllowed,
                    field,
                    "expected an integer that fits in 64 bits (signed), found one out of that range"
                )
            );
        }
        for (count, why) in [
            (
                "18446744073709551616",
                "expected a count (an integer ≥ 0) up to 9223372036854775807, found a larger one",
            ),
            (
                "-9223372036854775809",
                "expected a count (an integer ≥ 0), found a negative integer",
            ),
        ] {
            let line = format!(
                r#"{{"event": "scan.started", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "tools": [], "target_types": {{"repos": {count}}}}}}}"#
            );
            let found = check(&line, false);
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].1, ProblemKind::NotAllowed);
            assert_eq!(found[0].3, why);
        }
        let line = format!(
            r#"{{"event": "scan.started", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "tools": [], "target_types": {{"repos": 9223372036854775808, "zz": 18446744073709551615}}}}}}"#
        );
        assert!(matches!(
            crate::event::parse::parse_line(&line),
            crate::event::parse::Parsed::Invalid(_)
        ));
        let errors: Vec<String> = (check(&line, false).into_iter())
            .filter(|p| p.0 == Severity::Error)
            .map(|p| p.2)
            .collect();
        assert_eq!(
            errors,
            [
                "metadata.target_types.repos",
                "metadata.target_types.<key: 2 chars>"
            ]
        );
        // The largest that fits is read by both.
        let line = format!(
            r#"{{"event": "scan.started", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "tools": [], "target_types": {{"repos": 9223372036854775807}}}}}}"#
        );
        assert!(matches!(
            crate::event::parse::parse_line(&line),
            crate::event::parse::Parsed::Event(_)
        ));
        assert_eq!(check(&line, false), vec![]);
    }

    /// A key of `target_types` that names no target type is data where the
    /// promise allows only counts (a repository's name): it is shown by its
    /// length, in a duplicate too, whatever it says (a review found
    /// `metadata.target_types.company-backend` printed; a name can be any
    /// word, `config`).
    #[test]
    fn a_target_types_key_that_names_no_target_type_is_not_shown() {
        let line = format!(
            r#"{{"event": "scan.started", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "tools": [], "target_types": {{"repos": 1, "company-backend": 1, "company-backend": 2, "duration_ms": 3}}}}}}"#
        );
        let fields: Vec<String> = check(&line, false).into_iter().map(|p| p.2).collect();
        assert_eq!(
            fields,
            [
                "metadata.target_types.<key: 15 chars>",
                "metadata.target_types.<key: 15 chars>",
                "metadata.target_types.<key: 15 chars>",
                "metadata.target_types.<key: 11 chars>",
            ]
        );
    }

    /// Every `target_types` value is a count, a key the schema knows or not:
    /// `summary` skips the line otherwise.
    #[test]
    fn an_unknown_target_types_key_holds_a_count_too() {
        use ProblemKind::*;
        use Severity::*;
        let line = format!(
            r#"{{"event": "scan.started", {HEAD}, "metadata": {{"mode": "cli", "profile": "fast", "tools": [], "target_types": {{"ftp": "x", "nfs": 2}}}}}}"#
        );
        assert!(matches!(
            crate::event::parse::parse_line(&line),
            crate::event::parse::Parsed::Invalid(_)
        ));
        assert_eq!(
            check(&line, false),
            vec![
                (
                    Warning,
                    UnknownField,
                    "metadata.target_types.<key: 3 chars>".into(),
                    "a field the schema does not know".into()
                ),
                (
                    Error,
                    WrongType,
                    "metadata.target_types.<key: 3 chars>".into(),
                    "expected a count (an integer ≥ 0), found a string of 1 char".into()
                ),
                (
                    Warning,
                    UnknownField,
                    "metadata.target_types.<key: 3 chars>".into(),
                    "a field the schema does not know".into()
                ),
            ]
        );
    }

    #[test]
    fn unknown_events_and_broken_lines() {
        use ProblemKind::*;
        use Severity::*;
        let line = format!(r#"{{"event": "", {HEAD}}}"#);
        assert_eq!(
            check(&line, false),
            vec![(
                Error,
                MissingField,
                "event".into(),
                "`event` is empty: a line needs its event type".into()
            )]
        );
        let line = format!(r#"{{"event": "scan.paused", {HEAD}, "metadata": {{"anything": 1}}}}"#);
        // An error with --deny-unknown: its metadata is all unknown fields
        // (a review: `Scan.Started` with a `repo_path` passed it).
        for (deny, severity) in [(false, Warning), (true, Error)] {
            assert_eq!(
                check(&line, deny),
                vec![(
                    severity,
                    UnknownEvent,
                    "event".into(),
                    "an event type this tool does not know: only its common fields are checked"
                        .into()
                )]
            );
        }
        assert_eq!(
            check("[1, 2]", false),
            vec![(
                Error,
                NotAnObject,
                "".into(),
                "expected a JSON object, found an array".into()
            )]
        );
        assert_eq!(
            check("\u{a0}{}", false),
            vec![(
                Error,
                InvalidJson,
                "".into(),
                "not JSON: U+00A0 (a no-break space) at column 1: JSON allows only spaces, tabs \
                 and line ends around a value"
                    .into()
            )]
        );
        assert_eq!(
            check(r#"{"event": "#, false),
            vec![(
                Error,
                InvalidJson,
                "".into(),
                "not JSON: EOF while parsing a value at column 10".into()
            )]
        );
        assert_eq!(
            check(r#"{"timestamp": "2025-10-19T14:32:00Z"}"#, false)[0],
            (
                Error,
                MissingField,
                "event".into(),
                "required field missing (expected a string)".into()
            )
        );
        let mut out = Vec::new();
        assert_eq!(
            validate_line(1, " \r", &ValidateOptions::default(), &mut out),
            LineKind::Blank
        );
        assert!(out.is_empty());
    }

    #[test]
    fn unsafe_keys_are_not_printed() {
        let line = format!(r#"{{"event": "scan.paused", {HEAD}, "jane@example.com": 1}}"#);
        let problems = check(&line, false);
        assert_eq!(problems[1].2, "<key: 16 chars>");
    }
}
