//! `sample-events.json`: one real event of each type the report's
//! event-type table shows, so readers see what a client sends (its fields
//! and values, in one layout: see below).
//!
//! An event qualifies only if *every* value it carries (version, platform,
//! each metadata field, each list element, the whole `target_types` object,
//! the event type itself) was sent by at least k installations in the
//! quarter, and so was the whole combination of them (its *signature*: one
//! installation's own mix of common values would single it out), and it
//! holds no field beyond the documented schema. The `Census` counts, in the
//! same single pass as the metrics, the distinct installations behind each
//! value; `Candidates` keeps, per event type, a bounded, order-independent
//! set of events to choose from (the K distinct signatures with the
//! smallest hash, each with its earliest line and the first k installations
//! that sent it), so the choice is the same whatever the thread schedule.
//! The chosen event is published re-written in one layout (the documented
//! fields in the documented order, the clients' separators, strings escaped
//! as the report's JSON escapes them), so that no client's own layout,
//! spacing, time zone or clock precision shows, and every documented field
//! is written, one left out as `null` (the census counts the two alike):
//! its `anonymous_id` is replaced by [`PLACEHOLDER_ID`] and its timestamp
//! is the start of its quarter in UTC (a day could be one installation's,
//! and so could a month whose weeks the weekly activity hides: a review
//! read one installation's January off a sample dated 2026-01-01).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::audit::schema;
use crate::event::schema::{Event, Payload, Text, TextList};
use chrono::Datelike;

use crate::event::time::date_of;
use crate::event::{LinePos, Parsed, parse_line};
use crate::metrics::installs::Installs;
use crate::metrics::tally::Codes;

/// What replaces every sample's anonymous ID.
pub const PLACEHOLDER_ID: &str = "00000000-0000-4000-8000-000000000000";

/// Distinct value signatures kept per event type while reading.
pub const CANDIDATES_PER_TYPE: usize = 64;

/// The documented top-level fields of an event.
const TOP_LEVEL: [&str; 7] = [
    "event",
    "version",
    "platform",
    "python_version",
    "anonymous_id",
    "timestamp",
    "metadata",
];

/// The hasher after a leaf's scope (`""` for the envelope, else the event
/// type) and field name, hashed once per call site: [`leaf`] goes on from
/// it, which gives the hash of all three written in a row.
macro_rules! after {
    ($scope:literal, $field:literal) => {{
        static AFTER: LazyLock<FxHasher> = LazyLock::new(|| {
            let mut h = FxHasher::default();
            $scope.hash(&mut h);
            $field.hash(&mut h);
            h
        });
        &*AFTER
    }};
}

/// A value the census counts, hashed after its field (and, for metadata,
/// its event type: [`after!`]) so `mode: cli` of scan.started and of
/// scan.completed differ.
fn leaf(after: &FxHasher, value: LeafValue<'_>) -> u64 {
    let mut h = after.clone();
    value.hash(&mut h);
    h.finish()
}

#[derive(Hash)]
enum LeafValue<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Raw(&'a str),
    EmptyList,
}

/// One field's leaves: its value, or a leaf per item of a list (a null
/// or empty list is one leaf).
enum Field<'a> {
    One(LeafValue<'a>),
    List(Option<&'a TextList<'a>>),
}

fn s<'a>(v: &'a Option<Text<'_>>) -> Field<'a> {
    Field::One(v.as_deref().map_or(LeafValue::Null, LeafValue::Str))
}
fn i(v: Option<i64>) -> Field<'static> {
    Field::One(v.map_or(LeafValue::Null, LeafValue::Int))
}
fn b(v: Option<bool>) -> Field<'static> {
    Field::One(v.map_or(LeafValue::Null, LeafValue::Bool))
}
fn list<'a>(v: &'a Option<TextList<'a>>) -> Field<'a> {
    Field::List(v.as_ref())
}

/// Pushes a field's leaves, hashed after `after`.
fn push_field(out: &mut Vec<u64>, after: &FxHasher, field: Field<'_>) {
    match field {
        Field::One(value) => out.push(leaf(after, value)),
        Field::List(None) => out.push(leaf(after, LeafValue::Null)),
        Field::List(Some(items)) if items.is_empty() => out.push(leaf(after, LeafValue::EmptyList)),
        Field::List(Some(items)) => {
            out.extend(items.iter().map(|x| leaf(after, LeafValue::Str(x))))
        }
    }
}

/// Pushes the leaves of the fields of `scope` (`""` for the envelope, else
/// the event type), in the order written: `{ "field": value, … }`.
macro_rules! push_leaves {
    ($out:expr, $scope:literal, { $($field:literal: $value:expr),* $(,)? }) => {
        {
            $(push_field($out, after!($scope, $field), $value);)*
        }
    };
}

/// The raw text of the member `"target_types": {…}` (a flat object), found
/// without parsing the line; its searcher is built once (the census asks on
/// every `scan.started` event of the quarter).
pub(crate) fn raw_target_types(text: &str) -> Option<&str> {
    static KEY: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\"target_types\""));
    let at = KEY.find(text.as_bytes())?;
    object_after(text, at + KEY.needle().len())
}

/// The flat object after the key that ends at byte `end` of `text`.
fn object_after(text: &str, end: usize) -> Option<&str> {
    let rest = text[end..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    if !rest.starts_with('{') {
        return None;
    }
    let end = rest.find('}')?;
    Some(&rest[..=end])
}

/// Every value of a usage event that a published sample would show, as
/// census keys (appended to `out`). The timestamp and the anonymous ID are
/// not values: both are replaced.
pub(crate) fn leaves(event: &Event<'_>, text: &str, out: &mut Vec<u64>) {
    let c = &event.common;
    push_leaves!(out, "", {
        "event": Field::One(LeafValue::Str(&event.name)),
        "version": s(&c.version),
        "platform": s(&c.platform),
        "python_version": s(&c.python_version),
    });
    match &event.payload {
        Payload::ScanStarted(m) => {
            let raw = match m.target_types {
                Some(_) => raw_target_types(text).map_or(LeafValue::Null, LeafValue::Raw),
                None => LeafValue::Null,
            };
            push_leaves!(out, "scan.started", {
                "mode": s(&m.mode),
                "profile": s(&m.profile),
                "tools": list(&m.tools),
                "target_types": Field::One(raw),
                "ci_detected": b(m.ci_detected),
                "multi_target_scan": b(m.multi_target_scan),
                "compliance_usage": b(m.compliance_usage),
                "total_targets_bucket": s(&m.total_targets_bucket),
                "scan_frequency_hint": s(&m.scan_frequency_hint),
            });
        }
        Payload::ScanCompleted(m) => push_leaves!(out, "scan.completed", {
            "mode": s(&m.mode),
            "profile": s(&m.profile),
            "duration_bucket": s(&m.duration_bucket),
            "tools_succeeded": i(m.tools_succeeded),
            "tools_failed": i(m.tools_failed),
            "total_findings_bucket": s(&m.total_findings_bucket),
        }),
        Payload::ToolFailed(m) => push_leaves!(out, "tool.failed", {
            "tool": s(&m.tool),
            "failure_type": s(&m.failure_type),
            "exit_code": i(m.exit_code),
            "profile": s(&m.profile),
        }),
        Payload::WizardCompleted(m) => push_leaves!(out, "wizard.completed", {
            "profile_selected": s(&m.profile_selected),
            "execution_mode": s(&m.execution_mode),
            "artifact_generated": s(&m.artifact_generated),
            "duration_seconds": i(m.duration_seconds),
        }),
        Payload::ReportGenerated(m) => push_leaves!(out, "report.generated", {
            "output_formats": list(&m.output_formats),
            "findings_bucket": s(&m.findings_bucket),
            "suppressions_used": b(m.suppressions_used),
            "compliance_enabled": b(m.compliance_enabled),
        }),
        Payload::PolicyEvaluated(m) => push_leaves!(out, "policy.evaluated", {
            "policy_count": i(m.policy_count),
            "violations_bucket": s(&m.violations_bucket),
            "evaluation_time_bucket": s(&m.evaluation_time_bucket),
            "policies": list(&m.policies),
            "passed_count": i(m.passed_count),
            "failed_count": i(m.failed_count),
        }),
        Payload::Unknown | Payload::Test | Payload::Marker => {}
    }
}

/// Distinct installations behind each value (see the module doc).
///
/// Values get dense codes, and each installation a record of the codes it
/// sent (the tally's [`Installs`] table): a few cache lines per event, where
/// a set of (value, installation) pairs missed the cache on every value.
#[derive(Debug, Default, Clone)]
pub(crate) struct Census {
    /// Value hash ↔ dense code.
    values: Codes<u64>,
    /// Per installation: the codes it sent.
    installs: Installs,
    /// Per code: the installations that sent it (counted as they first do).
    installations: Vec<u64>,
}

impl Census {
    /// Records that installation `id` sent these values.
    pub(crate) fn observe(&mut self, leaves: &[u64], id: u64) {
        let install = self.installs.index(id);
        for &l in leaves {
            let code = self.values.code(l);
            count_if_new(&mut self.installs, &mut self.installations, install, code);
        }
    }

    /// Adds `other`'s installations and values to this census.
    pub(crate) fn merge_from(&mut self, other: &Census) {
        let remap: Vec<u32> = other
            .values
            .keys()
            .iter()
            .map(|&v| self.values.code(v))
            .collect();
        let installations = &mut self.installations;
        self.installs
            .merge_each(&other.installs, |installs, ours, theirs| {
                for code in other.installs.touched(theirs) {
                    count_if_new(installs, installations, ours, remap[code as usize]);
                }
            });
    }

    /// Empties the census and keeps its memory.
    pub(crate) fn clear(&mut self) {
        self.values.clear();
        self.installs.clear();
        self.installations.clear();
    }

    /// Installations per value.
    pub(crate) fn counts(&self) -> FxHashMap<u64, u64> {
        let mut counts = self.installations.clone();
        counts.resize(self.values.keys().len(), 0);
        self.values.keys().iter().copied().zip(counts).collect()
    }
}

/// Marks `code` as sent by `install`, counting the installation for the
/// code (in `installations`) if it had not sent it before.
#[inline]
fn count_if_new(installs: &mut Installs, installations: &mut Vec<u64>, install: u32, code: u32) {
    if installs.touch(install, code) {
        let code = code as usize;
        if code >= installations.len() {
            installations.resize(code + 1, 0);
        }
        installations[code] += 1;
    }
}

/// Per event type, the candidate lines (see the module doc).
#[derive(Debug, Clone)]
pub(crate) struct Candidates {
    /// event type → signature hash → its earliest line and who sent it.
    by_type: BTreeMap<String, BTreeMap<u64, Candidate>>,
    /// How many installations a signature's list keeps (k).
    keep: usize,
}

/// A signature's earliest line, and the first installations to send it.
#[derive(Debug, Clone)]
struct Candidate {
    line: LinePos,
    text: String,
    /// Distinct installation keys, ascending, at most [`Candidates::keep`].
    /// Complete for a signature still kept at the end: one that is kept was
    /// kept from its first event on (the set only ever drops its largest
    /// hash, for a smaller one), and so in every worker that saw it.
    installations: Vec<u64>,
}

impl Candidates {
    /// Candidates that count up to `k` installations per signature.
    pub(crate) fn new(k: u64) -> Candidates {
        Candidates {
            by_type: BTreeMap::new(),
            keep: usize::try_from(k).unwrap_or(usize::MAX).max(1),
        }
    }

    /// Takes the candidates, leaving none that count up to the same k (a
    /// default's 0 kept no installation for the signatures a worker saw
    /// after its first fold, so a sample's combination could miss k
    /// installations, depending on the thread schedule).
    pub(crate) fn take(&mut self) -> Candidates {
        std::mem::replace(self, Candidates::new(self.keep as u64))
    }

    /// Offers an event of installation `id` whose values hash to `leaves`.
    pub(crate) fn offer(&mut self, ty: &str, leaves: &[u64], id: u64, line: LinePos, text: &str) {
        let mut h = FxHasher::default();
        leaves.hash(&mut h);
        let sig = h.finish();
        let keep = self.keep;
        let set = match self.by_type.get_mut(ty) {
            Some(set) => set,
            None => self.by_type.entry(ty.to_string()).or_default(),
        };
        Self::insert(set, keep, sig, line, &[id], || text.to_string());
    }

    fn insert(
        set: &mut BTreeMap<u64, Candidate>,
        keep: usize,
        sig: u64,
        line: LinePos,
        ids: &[u64],
        text: impl FnOnce() -> String,
    ) {
        if let Some(have) = set.get_mut(&sig) {
            if line < have.line {
                have.line = line;
                have.text = text();
            }
            for &id in ids {
                if let Err(at) = have.installations.binary_search(&id)
                    && at < keep
                {
                    have.installations.insert(at, id);
                    have.installations.truncate(keep);
                }
            }
            return;
        }
        if set.len() >= CANDIDATES_PER_TYPE {
            match set.last_key_value() {
                Some((&max, _)) if sig < max => {
                    set.remove(&max);
                }
                _ => return,
            }
        }
        let mut installations = ids.to_vec();
        installations.truncate(keep);
        set.insert(
            sig,
            Candidate {
                line,
                text: text(),
                installations,
            },
        );
    }

    pub(crate) fn merge(&mut self, other: Candidates) {
        let keep = self.keep;
        for (ty, set) in other.by_type {
            let mine = self.by_type.entry(ty).or_default();
            for (sig, c) in set {
                Self::insert(mine, keep, sig, c.line, &c.installations, || c.text);
            }
        }
    }
}

/// One published sample.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// The event type.
    pub event: String,
    /// The event as published (a JSON object; see the module doc).
    pub line: Box<RawValue>,
}

/// The samples chosen, and the event types that had none that qualified.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Samples {
    /// One per event type, sorted by type.
    pub events: Vec<Sample>,
    /// Event types the event-type table shows with no qualifying event
    /// (set by the report, which keeps samples of those types only).
    pub withheld_types: usize,
}

/// Top-level members of a JSON object in order, with duplicates kept.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn unique_keys(members: &Members<'_>, allowed: &[&str]) -> bool {
    let mut seen = FxHashSet::default();
    members
        .0
        .iter()
        .all(|(k, _)| allowed.contains(&k.as_str()) && seen.insert(k.as_str()))
}

/// Members written in the order given.
struct InOrder<'a>(Vec<(&'a str, Written<'a>)>);

/// A member's value as published.
enum Written<'a> {
    Text(String),
    Json(serde_json::Value),
    Object(InOrder<'a>),
}

impl Serialize for InOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            match v {
                Written::Text(t) => map.serialize_entry(k, t)?,
                Written::Json(j) => map.serialize_entry(k, j)?,
                Written::Object(o) => map.serialize_entry(k, o)?,
            }
        }
        map.end()
    }
}

/// The event as published (see the module doc), if it has exactly the
/// documented shape; `None` otherwise.
fn rewritten(text: &str, event: &Event<'_>) -> Option<String> {
    let top: Members<'_> = serde_json::from_str(text).ok()?;
    if !unique_keys(&top, &TOP_LEVEL) || !top.0.iter().any(|(k, _)| k == "anonymous_id") {
        return None;
    }
    let value = |raw: &RawValue| serde_json::from_str::<serde_json::Value>(raw.get()).ok();
    let mut out = Vec::new();
    let null = || Written::Json(serde_json::Value::Null);
    for name in TOP_LEVEL {
        // A field left out is written as null: the census counts the two
        // alike, so either may be any of the installations that sent it.
        let Some((_, v)) = top.0.iter().find(|(k, _)| k == name) else {
            out.push((name, null()));
            continue;
        };
        let written = match name {
            "anonymous_id" if v.get().starts_with('"') => Written::Text(PLACEHOLDER_ID.into()),
            "anonymous_id" => return None,
            "timestamp" => {
                let day = date_of(event.timestamp);
                let first_month = (day.month() - 1) / 3 * 3 + 1;
                Written::Text(format!("{:04}-{first_month:02}-01T00:00:00Z", day.year()))
            }
            "metadata" if v.get() == "null" => Written::Json(serde_json::Value::Null),
            "metadata" => {
                let meta: Members<'_> = serde_json::from_str(v.get()).ok()?;
                // The documented fields: the audit's schema of the type.
                let allowed: Vec<&str> = schema::event_spec(&event.name)
                    .and_then(schema::metadata_fields)
                    .map_or_else(Vec::new, |fields| fields.iter().map(|f| f.name).collect());
                if !unique_keys(&meta, &allowed) {
                    return None;
                }
                // The census counted target_types by its raw text: it must be
                // the member the parser sees.
                if let Some((_, tt)) = meta.0.iter().find(|(k, _)| k == "target_types")
                    && tt.get() != "null"
                    && raw_target_types(text) != Some(tt.get())
                {
                    return None;
                }
                let mut fields = Vec::new();
                for field in allowed {
                    match meta.0.iter().find(|(k, _)| k == field) {
                        Some((_, m)) => fields.push((field, Written::Json(value(m)?))),
                        None => fields.push((field, null())),
                    }
                }
                Written::Object(InOrder(fields))
            }
            _ => Written::Json(value(v)?),
        };
        out.push((name, written));
    }
    crate::render::json::json_line(&InOrder(out)).ok()
}

/// Chooses one qualifying event per type: among the candidates whose every
/// value reaches `k` installations, the one whose rarest value is the most
/// common (ties: the smaller signature hash).
pub(crate) fn select(candidates: &Candidates, census: &Census, k: u64) -> Samples {
    let counts = census.counts();
    let mut out = Samples::default();
    let mut buf = Vec::new();
    for (ty, set) in &candidates.by_type {
        let mut best: Option<(u64, String)> = None;
        for Candidate {
            text,
            installations,
            ..
        } in set.values()
        {
            // The whole combination, sent by k installations.
            if (installations.len() as u64) < k {
                continue;
            }
            let Parsed::Event(event) = parse_line(text) else {
                continue;
            };
            buf.clear();
            leaves(&event, text, &mut buf);
            let rarest = buf
                .iter()
                .map(|l| counts.get(l).copied().unwrap_or(0))
                .min()
                .unwrap_or(0);
            if rarest < k || rarest == 0 {
                continue;
            }
            let Some(line) = rewritten(text, &event) else {
                continue;
            };
            if best.as_ref().is_none_or(|(r, _)| rarest > *r) {
                best = Some((rarest, line));
            }
        }
        match best.and_then(|(_, line)| RawValue::from_string(line).ok()) {
            Some(line) => out.events.push(Sample {
                event: ty.clone(),
                line,
            }),
            None => out.withheld_types += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash the census has always given a leaf: scope, field and value
    /// written in a row. Published samples are chosen by these hashes, so
    /// they must not change with how they are computed.
    fn in_a_row(scope: &str, field: &str, value: LeafValue<'_>) -> u64 {
        let mut h = FxHasher::default();
        scope.hash(&mut h);
        field.hash(&mut h);
        value.hash(&mut h);
        h.finish()
    }

    #[test]
    fn leaves_hash_as_scope_field_and_value_in_a_row() {
        let line = r#"{"event": "scan.started", "version": "0.7.1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "ac1c8aeb-e464-4389-8c34-61d1cec3fc5a", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "cli", "profile": "fast", "tools": ["trivy", "semgrep"], "target_types": {"repos": 2}, "ci_detected": true, "multi_target_scan": null}}"#;
        let Parsed::Event(event) = parse_line(line) else {
            panic!("valid line")
        };
        let mut got = Vec::new();
        leaves(&event, line, &mut got);
        let ty = "scan.started";
        let want = vec![
            in_a_row("", "event", LeafValue::Str(ty)),
            in_a_row("", "version", LeafValue::Str("0.7.1")),
            in_a_row("", "platform", LeafValue::Str("Linux")),
            in_a_row("", "python_version", LeafValue::Str("3.11")),
            in_a_row(ty, "mode", LeafValue::Str("cli")),
            in_a_row(ty, "profile", LeafValue::Str("fast")),
            in_a_row(ty, "tools", LeafValue::Str("trivy")),
            in_a_row(ty, "tools", LeafValue::Str("semgrep")),
            in_a_row(ty, "target_types", LeafValue::Raw(r#"{"repos": 2}"#)),
            in_a_row(ty, "ci_detected", LeafValue::Bool(true)),
            in_a_row(ty, "multi_target_scan", LeafValue::Null),
            in_a_row(ty, "compliance_usage", LeafValue::Null),
            in_a_row(ty, "total_targets_bucket", LeafValue::Null),
            in_a_row(ty, "scan_frequency_hint", LeafValue::Null),
        ];
        assert_eq!(got, want);
        // Another type's field of the same name hashes apart.
        let other = r#"{"event": "scan.completed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "cli", "tools_failed": 2}}"#;
        let Parsed::Event(event) = parse_line(other) else {
            panic!("valid line")
        };
        got.clear();
        leaves(&event, other, &mut got);
        let ty = "scan.completed";
        assert_eq!(got[4], in_a_row(ty, "mode", LeafValue::Str("cli")));
        assert_ne!(got[4], want[4]);
        assert_eq!(got[8], in_a_row(ty, "tools_failed", LeafValue::Int(2)));
        // Lists: an empty one is one leaf, a missing one a null.
        let report = r#"{"event": "report.generated", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"output_formats": [], "suppressions_used": false}}"#;
        let Parsed::Event(event) = parse_line(report) else {
            panic!("valid line")
        };
        got.clear();
        leaves(&event, report, &mut got);
        let ty = "report.generated";
        assert_eq!(
            got[4..],
            [
                in_a_row(ty, "output_formats", LeafValue::EmptyList),
                in_a_row(ty, "findings_bucket", LeafValue::Null),
                in_a_row(ty, "suppressions_used", LeafValue::Bool(false)),
                in_a_row(ty, "compliance_enabled", LeafValue::Null),
            ]
        );
        // The other types, a missing list among them.
        for (line, ty, want) in [
            (
                r#"{"event": "policy.evaluated", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"policy_count": 3, "violations_bucket": "0"}}"#,
                "policy.evaluated",
                vec![
                    ("policy_count", LeafValue::Int(3)),
                    ("violations_bucket", LeafValue::Str("0")),
                    ("evaluation_time_bucket", LeafValue::Null),
                    ("policies", LeafValue::Null),
                    ("passed_count", LeafValue::Null),
                    ("failed_count", LeafValue::Null),
                ],
            ),
            (
                r#"{"event": "tool.failed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tool": "zap", "exit_code": -9}}"#,
                "tool.failed",
                vec![
                    ("tool", LeafValue::Str("zap")),
                    ("failure_type", LeafValue::Null),
                    ("exit_code", LeafValue::Int(-9)),
                    ("profile", LeafValue::Null),
                ],
            ),
            (
                r#"{"event": "wizard.completed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"execution_mode": "docker", "duration_seconds": 40}}"#,
                "wizard.completed",
                vec![
                    ("profile_selected", LeafValue::Null),
                    ("execution_mode", LeafValue::Str("docker")),
                    ("artifact_generated", LeafValue::Null),
                    ("duration_seconds", LeafValue::Int(40)),
                ],
            ),
        ] {
            let Parsed::Event(event) = parse_line(line) else {
                panic!("valid line")
            };
            got.clear();
            leaves(&event, line, &mut got);
            let want: Vec<u64> = want
                .into_iter()
                .map(|(field, value)| in_a_row(ty, field, value))
                .collect();
            assert_eq!(got[4..], want, "{ty}");
        }
    }

    #[test]
    fn census_counts_distinct_installations_across_merges() {
        // Event i of round r sends values (i + r) % 7 and 100 + i % 3 for
        // installation i % 150; the events are split over two censuses that
        // share installations, each also holding pairs the other lacks.
        let mut a = Census::default();
        let mut b = Census::default();
        let mut naive: FxHashSet<(u64, u64)> = FxHashSet::default();
        for round in 0..2 {
            for i in 0..300u64 {
                let leaves = [(i + round) % 7, 100 + i % 3];
                let census = if (i + round) % 2 == 0 { &mut a } else { &mut b };
                census.observe(&leaves, 1_000 + i % 150);
                for l in leaves {
                    naive.insert((l, 1_000 + i % 150));
                }
            }
        }
        a.merge_from(&b);
        b.clear();
        assert!(b.counts().is_empty());
        let mut want: FxHashMap<u64, u64> = FxHashMap::default();
        for (l, _) in naive {
            *want.entry(l).or_insert(0) += 1;
        }
        assert_eq!(a.counts(), want);
        assert_eq!(want.len(), 10);
        assert_eq!(want[&100], 50, "installations 0, 3, 6, … send 100");
        // A cleared census (as `absorb` leaves it) counts afresh.
        b.observe(&[100, 5], 1_000);
        b.observe(&[100], 1_001);
        assert_eq!(b.counts(), FxHashMap::from_iter([(100, 2), (5, 1)]));
    }

    fn event(text: &str) -> Event<'_> {
        match parse_line(text) {
            Parsed::Event(e) => e,
            Parsed::Invalid(r) => panic!("{r}"),
        }
    }

    #[test]
    fn raw_target_types_finds_the_member() {
        let t =
            r#"{"metadata": {"mode": "cli", "target_types": {"repos": 3, "images": 0}, "x": 1}}"#;
        assert_eq!(raw_target_types(t), Some(r#"{"repos": 3, "images": 0}"#));
        assert_eq!(raw_target_types(r#"{"metadata": {"mode": "cli"}}"#), None);
        assert_eq!(raw_target_types(r#"{"target_types": null}"#), None);
    }

    #[test]
    fn a_sample_is_rewritten_in_one_layout_and_rejects_extra_fields() {
        let t = r#"{"event": "scan.completed", "version": "1.0.0", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2026-01-05T10:00:00Z", "metadata": {"mode": "cli", "profile": "fast"}}"#;
        // Every documented field, one left out as null; the quarter.
        let want = format!(
            r#"{{"event": "scan.completed", "version": "1.0.0", "platform": null, "python_version": null, "anonymous_id": "{PLACEHOLDER_ID}", "timestamp": "2026-01-01T00:00:00Z", "metadata": {{"mode": "cli", "profile": "fast", "duration_bucket": null, "tools_succeeded": null, "tools_failed": null, "total_findings_bucket": null}}}}"#
        );
        assert_eq!(rewritten(t, &event(t)).unwrap(), want);
        // A client's own layout, key order, clock precision and time zone
        // do not show: the same event reads the same.
        let own = "{\"metadata\":{\"profile\":\"fast\",\"mode\":\"cli\"},\t\"timestamp\":\"2026-01-04T19:00:00.123456789-07:00\",\"anonymous_id\":\"a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c\",\"version\":\"1.0.0\",\"event\":\"scan.completed\"}";
        assert_eq!(rewritten(own, &event(own)).unwrap(), want);
        // Any month of the quarter reads as its first (a month can be one
        // installation's where the weekly activity hides its weeks).
        let march = t.replace("2026-01-05T10:00:00Z", "2026-03-31T23:59:59.999999Z");
        assert_eq!(rewritten(&march, &event(&march)).unwrap(), want);
        let december = t.replace("2026-01-05T10:00:00Z", "2025-12-17T10:00:00Z");
        assert!(
            rewritten(&december, &event(&december))
                .unwrap()
                .contains(r#""timestamp": "2025-10-01T00:00:00Z""#)
        );
        // Strings escaped as the report's JSON escapes them.
        let bidi = t.replace("fast", "fa\u{202e}st");
        assert!(
            rewritten(&bidi, &event(&bidi))
                .unwrap()
                .contains(r#""fa\u202est""#)
        );
        let extra_top = t.replace(r#""version""#, r#""source": "x", "version""#);
        assert_eq!(rewritten(&extra_top, &event(&extra_top)), None);
        let extra_meta = t.replace(r#""mode""#, r#""docker_variant": "slim", "mode""#);
        assert_eq!(rewritten(&extra_meta, &event(&extra_meta)), None);
        let no_id = r#"{"event": "scan.completed", "timestamp": "2026-01-05T10:00:00Z"}"#;
        assert_eq!(rewritten(no_id, &event(no_id)), None);
    }

    /// Every value of a combination common, the combination one
    /// installation's: no sample. Once k installations send it, it is one.
    #[test]
    fn a_sample_is_a_combination_that_k_installations_sent() {
        let line = |profile: &str, mode: &str, id: u64| {
            format!(
                r#"{{"event": "scan.completed", "version": "1.0.0", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-{id:012x}", "timestamp": "2026-01-05T10:00:00Z", "metadata": {{"mode": "{mode}", "profile": "{profile}"}}}}"#
            )
        };
        let run = |events: &[(&str, &str, u64)]| {
            let mut census = Census::default();
            let mut candidates = Candidates::new(3);
            let mut buf = Vec::new();
            for (n, &(profile, mode, id)) in events.iter().enumerate() {
                let text = line(profile, mode, id);
                buf.clear();
                leaves(&event(&text), &text, &mut buf);
                census.observe(&buf, id);
                candidates.offer(
                    "scan.completed",
                    &buf,
                    id,
                    LinePos::new(0, n as u64 + 1),
                    &text,
                );
            }
            select(&candidates, &census, 3)
        };
        // fast and deep, cli and docker: each from 3 installations, but
        // every pair from fewer.
        let crossed = [
            ("fast", "cli", 1),
            ("fast", "cli", 2),
            ("fast", "docker", 3),
            ("deep", "cli", 4),
            ("deep", "docker", 5),
            ("deep", "docker", 6),
        ];
        let none = run(&crossed);
        assert!(none.events.is_empty());
        assert_eq!(none.withheld_types, 1);
        let mut shared = crossed.to_vec();
        shared.push(("fast", "cli", 7));
        let one = run(&shared);
        assert_eq!(one.events.len(), 1);
        assert!(one.events[0].line.get().contains(r#""profile": "fast""#));
        assert!(one.events[0].line.get().contains(r#""mode": "cli""#));
    }

    #[test]
    fn candidates_do_not_depend_on_arrival_order() {
        let mut a = Candidates::new(3);
        let mut b = Candidates::new(3);
        // Positions in several blocks.
        // Each signature three times, from one to three installations.
        let items: Vec<(u64, LinePos)> = (0..1500u64)
            .map(|i| (i * 7919 % 500, LinePos::new(i / 64, i % 64 + 1)))
            .collect();
        let id = |i: u64| i % 7;
        for (i, &(sig, line)) in items.iter().enumerate() {
            a.offer("t", &[sig], id(i as u64), line, &format!("{line:?}"));
        }
        let (x, y) = items.split_at(600);
        let mut b2 = Candidates::new(3);
        for (i, &(sig, line)) in y.iter().enumerate().rev() {
            b.offer("t", &[sig], id(i as u64 + 600), line, &format!("{line:?}"));
        }
        for (i, &(sig, line)) in x.iter().enumerate() {
            b2.offer("t", &[sig], id(i as u64), line, &format!("{line:?}"));
        }
        b.merge(b2);
        let view = |c: &Candidates| -> Vec<(u64, LinePos, String, Vec<u64>)> {
            c.by_type["t"]
                .iter()
                .map(|(&s, c)| (s, c.line, c.text.clone(), c.installations.clone()))
                .collect()
        };
        assert_eq!(view(&a), view(&b));
        assert_eq!(a.by_type["t"].len(), CANDIDATES_PER_TYPE);
        assert!(a.by_type["t"].values().all(|c| c.installations.len() <= 3));
        assert!(a.by_type["t"].values().any(|c| c.installations.len() == 3));
    }
}
