//! The typed events: one Rust type per event type of `EVENTS.md`.
//!
//! Strings borrow from the input line ([`Cow`]) and are owned only when the
//! JSON holds escapes, so parsing a line allocates little. Every metadata field
//! is optional (older clients lack some, and `null` is a value), but a field
//! that is present with the wrong JSON type makes the whole line invalid.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::time::Micros;

/// A string field borrowed from the line when it has no escapes.
///
/// A newtype because serde borrows a bare `Cow<str>` only as a direct field,
/// never inside `Option` or `Vec`; this one borrows wherever it sits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    /// Whether the string was borrowed from the input (no escapes).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text(Cow::Borrowed(s))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// A list of strings (`tools`, `output_formats`, `policies`).
///
/// The fast parser (`fast.rs`) hands over the array's text (`["trivy",
/// "semgrep"]`, checked to hold only strings without escapes), read item by
/// item when counted: a parsed event holds no per-list allocation and stays
/// small to move. serde_json (the lines the fast parser gives up on) gives
/// items.
#[derive(Clone)]
pub struct TextList<'a>(List<'a>);

#[derive(Clone)]
enum List<'a> {
    /// A JSON array of strings without escapes, brackets included.
    Raw(&'a str),
    Items(Vec<Text<'a>>),
}

impl<'a> TextList<'a> {
    /// The list of a JSON array's text, brackets included, that the caller
    /// has checked holds only strings without escapes.
    pub(crate) fn raw(array: &'a str) -> TextList<'a> {
        TextList(List::Raw(array))
    }

    /// The array's text, brackets included, when the fast parser read it
    /// (the same text always holds the same items).
    pub(crate) fn raw_text(&self) -> Option<&'a str> {
        match self.0 {
            List::Raw(raw) => Some(raw),
            List::Items(_) => None,
        }
    }

    /// The items, in order.
    pub fn iter(&self) -> ListItems<'_> {
        match &self.0 {
            List::Raw(raw) => ListItems::Raw(raw),
            List::Items(items) => ListItems::Items(items.iter()),
        }
    }

    /// Whether the list has no items.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// The items of a [`TextList`].
pub enum ListItems<'l> {
    /// The rest of an escape-free array's text.
    Raw(&'l str),
    Items(std::slice::Iter<'l, Text<'l>>),
}

impl<'l> Iterator for ListItems<'l> {
    type Item = &'l str;

    #[inline]
    fn next(&mut self) -> Option<&'l str> {
        match self {
            ListItems::Raw(rest) => {
                // Items are a few bytes apart: a plain loop beats a
                // vector search's set-up.
                let quote = |b: &[u8]| b.iter().position(|&c| c == b'"');
                let open = quote(rest.as_bytes())? + 1;
                let len = quote(&rest.as_bytes()[open..])?;
                let item = &rest[open..open + len];
                *rest = &rest[open + len + 1..];
                Some(item)
            }
            ListItems::Items(items) => items.next().map(|t| &**t),
        }
    }
}

impl fmt::Debug for TextList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for TextList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a, T: Into<Text<'a>>> FromIterator<T> for TextList<'a> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        TextList(List::Items(items.into_iter().map(Into::into).collect()))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for TextList<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::deserialize(deserializer).map(|items| TextList(List::Items(items)))
    }
}

/// The fields every usage event carries (all optional in real files).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Common<'a> {
    /// JMo version, e.g. `0.7.1`.
    pub version: Option<Text<'a>>,
    /// `platform.system()`: `Linux`, `Darwin`, `Windows`.
    pub platform: Option<Text<'a>>,
    /// `major.minor`, e.g. `3.11`.
    pub python_version: Option<Text<'a>>,
    /// The installation's random UUID.
    pub anonymous_id: Option<Text<'a>>,
}

/// One valid event: its type name, common fields, UTC time and typed payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// The `event` field as written.
    pub name: Text<'a>,
    /// Common fields.
    pub common: Common<'a>,
    /// Timestamp in UTC microseconds.
    pub timestamp: Micros,
    /// What the event type says.
    pub payload: Payload<'a>,
}

impl Event<'_> {
    /// A placeholder to parse into: no name, no fields, time 0, no payload.
    pub fn empty() -> Self {
        Event {
            name: Text::default(),
            common: Common::default(),
            timestamp: 0,
            payload: Payload::Unknown,
        }
    }

    /// Whether this event is a usage event, a test event or the marker.
    pub fn class(&self) -> EventClass {
        match self.payload {
            Payload::Test => EventClass::Test,
            Payload::Marker => EventClass::Marker,
            _ => EventClass::Usage,
        }
    }
}

impl Payload<'_> {
    /// The variant's position in the declaration (`ScanStarted` 0 to
    /// `Marker` 8).
    #[inline]
    pub fn index(&self) -> usize {
        // SAFETY: an enum with fields and a primitive representation is
        // laid out as a `repr(C)` union of `repr(C)` structs that each start
        // with the `u8` tag, whose values are the variants' discriminants:
        // 0, 1, 2, … in declaration order, none given explicitly.
        usize::from(unsafe { *std::ptr::from_ref(self).cast::<u8>() })
    }
}

/// How an event counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClass {
    /// A real client's event: counted by every usage metric.
    Usage,
    /// `test` / `test.event`: sent by hand or by `telemetry.py test`.
    Test,
    /// `telemetry.initialized`: the gist's hand-written first line.
    Marker,
}

/// The typed metadata of an event, by event type.
///
/// The event's name decides the variant, and each typed variant has one
/// name (`ScanStarted` is always `scan.started`): both parsers build it so,
/// and the tally counts a typed variant's event type without reading the
/// name (checked in debug builds). Code that builds an [`Event`] by hand
/// must keep to it.
///
/// `repr(u8)` puts the variant's tag, its position here, in the first byte,
/// so [`Payload::index`] reads it without a branch on the variant (it costs
/// the tag's niche: 160 bytes instead of 152).
#[derive(Debug, Clone, PartialEq)]
#[repr(u8)]
pub enum Payload<'a> {
    /// `scan.started`
    ScanStarted(ScanStarted<'a>),
    /// `scan.completed`
    ScanCompleted(ScanCompleted<'a>),
    /// `tool.failed`
    ToolFailed(ToolFailed<'a>),
    /// `wizard.completed`
    WizardCompleted(WizardCompleted<'a>),
    /// `report.generated`
    ReportGenerated(ReportGenerated<'a>),
    /// `policy.evaluated`
    PolicyEvaluated(PolicyEvaluated<'a>),
    /// A usage event of a type this tool does not know yet (common fields only).
    Unknown,
    /// `test` or `test.event`.
    Test,
    /// `telemetry.initialized`.
    Marker,
}

/// `scan.started` metadata.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ScanStarted<'a> {
    /// `cli`, `docker`, `wizard`.
    #[serde(borrow)]
    pub mode: Option<Text<'a>>,
    /// `fast`, `balanced`, `deep`, `custom`, …
    #[serde(borrow)]
    pub profile: Option<Text<'a>>,
    /// Tools enabled for the scan.
    #[serde(borrow)]
    pub tools: Option<TextList<'a>>,
    /// Counts per target type, reduced to what the metrics need.
    pub target_types: Option<TargetTypes>,
    /// Running in CI/CD.
    pub ci_detected: Option<bool>,
    /// The client's own "more than one target type" flag.
    pub multi_target_scan: Option<bool>,
    /// Compliance enrichment enabled.
    pub compliance_usage: Option<bool>,
    /// `1`, `2-5`, `6-10`, `11-50`, `>50`.
    #[serde(borrow)]
    pub total_targets_bucket: Option<Text<'a>>,
    /// `first_time`, `weekly`, `daily`, or null.
    #[serde(borrow)]
    pub scan_frequency_hint: Option<Text<'a>>,
}

/// `scan.completed` metadata.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ScanCompleted<'a> {
    /// Execution mode.
    #[serde(borrow)]
    pub mode: Option<Text<'a>>,
    /// Profile name.
    #[serde(borrow)]
    pub profile: Option<Text<'a>>,
    /// `<5min`, `5-15min`, `15-30min`, `>30min`.
    #[serde(borrow)]
    pub duration_bucket: Option<Text<'a>>,
    /// Tools that ran successfully.
    pub tools_succeeded: Option<i64>,
    /// Tools that failed or timed out.
    pub tools_failed: Option<i64>,
    /// `0`, `1-10`, `10-100`, `100-1000`, `>1000`.
    #[serde(borrow)]
    pub total_findings_bucket: Option<Text<'a>>,
}

/// `tool.failed` metadata.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ToolFailed<'a> {
    /// The tool that failed.
    #[serde(borrow)]
    pub tool: Option<Text<'a>>,
    /// `timeout`, `crash`, `non_zero_exit`.
    #[serde(borrow)]
    pub failure_type: Option<Text<'a>>,
    /// Exit code, null for timeouts.
    pub exit_code: Option<i64>,
    /// Profile in use.
    #[serde(borrow)]
    pub profile: Option<Text<'a>>,
}

/// `wizard.completed` metadata.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WizardCompleted<'a> {
    /// Profile chosen in the wizard.
    #[serde(borrow)]
    pub profile_selected: Option<Text<'a>>,
    /// `docker`, `native`.
    #[serde(borrow)]
    pub execution_mode: Option<Text<'a>>,
    /// `makefile`, `shell`, `gha`, or null.
    #[serde(borrow)]
    pub artifact_generated: Option<Text<'a>>,
    /// Seconds spent in the wizard.
    pub duration_seconds: Option<i64>,
}

/// `report.generated` metadata.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ReportGenerated<'a> {
    /// Output formats written.
    #[serde(borrow)]
    pub output_formats: Option<TextList<'a>>,
    /// Bucketed finding count.
    #[serde(borrow)]
    pub findings_bucket: Option<Text<'a>>,
    /// Whether suppressions were applied.
    pub suppressions_used: Option<bool>,
    /// Whether compliance enrichment ran.
    pub compliance_enabled: Option<bool>,
}

/// `policy.evaluated` metadata.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PolicyEvaluated<'a> {
    /// Number of policies evaluated.
    pub policy_count: Option<i64>,
    /// `0`, `1-5`, `5-20`, `20-100`, `>100`.
    #[serde(borrow)]
    pub violations_bucket: Option<Text<'a>>,
    /// `<50ms`, `50-100ms`, `100-500ms`, `>500ms`.
    #[serde(borrow)]
    pub evaluation_time_bucket: Option<Text<'a>>,
    /// Policy names.
    #[serde(borrow)]
    pub policies: Option<TextList<'a>>,
    /// Policies passed.
    pub passed_count: Option<i64>,
    /// Policies failed.
    pub failed_count: Option<i64>,
}

/// `target_types`, reduced while parsing to what the metrics use: how many
/// target types have a count above zero (the guide's jq recipe) and the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetTypes {
    /// Entries whose count is above zero.
    pub non_zero: u32,
    /// Sum of all counts.
    pub total: i64,
}

impl TargetTypes {
    /// Counts one target type's entry.
    pub(crate) fn add(&mut self, count: i64) {
        if count > 0 {
            self.non_zero += 1;
        }
        self.total = self.total.saturating_add(count);
    }

    /// `multi` when more than one target type has a count above zero.
    pub fn shape(&self) -> &'static str {
        if self.non_zero > 1 { "multi" } else { "single" }
    }
}

/// The known `target_types` keys, as clients write them: a bit each.
pub(crate) const TARGET_TYPE_KEYS: [&str; 6] = ["repos", "images", "urls", "iac", "gitlab", "k8s"];

/// The bit of a known `target_types` key ([`TARGET_TYPE_KEYS`]), `None`
/// for any other key.
#[inline]
pub(crate) fn target_type_bit(key: &[u8]) -> Option<u8> {
    Some(match key {
        b"repos" => 1,
        b"images" => 2,
        b"urls" => 4,
        b"iac" => 8,
        b"gitlab" => 16,
        b"k8s" => 32,
        _ => return None,
    })
}

/// A `target_types` key as a message names it: a target type in backticks,
/// any other by its length (`<key: 40 chars>`, as `validate` and `audit`
/// write an unsafe key): a client chooses these keys, and a review found a
/// token and 100,000-character keys quoted whole in a line's reason.
pub(crate) fn shown_key(key: &str) -> String {
    match target_type_bit(key.as_bytes()) {
        Some(_) => format!("`{key}`"),
        None => crate::render::text::by_length("key", key),
    }
}

impl<'de> Deserialize<'de> for TargetTypes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountsVisitor;
        impl<'de> Visitor<'de> for CountsVisitor {
            type Value = TargetTypes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of integer counts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TargetTypes, A::Error> {
                let mut out = TargetTypes::default();
                // A key listed twice makes the line invalid, as a repeated
                // field does anywhere else: readers disagree on which count
                // holds (jq and Python keep the last, a sum would count
                // one type twice). The set is made only for keys past the
                // known ones, so a client's line costs no allocation.
                let mut known = 0u8;
                let mut others = std::collections::HashSet::new();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    let fresh = match target_type_bit(key.as_bytes()) {
                        Some(bit) => {
                            let fresh = known & bit == 0;
                            known |= bit;
                            fresh
                        }
                        None => others.insert(key.0.clone()),
                    };
                    if !fresh {
                        return Err(de::Error::custom(format_args!(
                            "the key {} appears more than once",
                            shown_key(&key.0)
                        )));
                    }
                    // A count sent as `null` is none, as `null` is for
                    // any field (the guide's jq rule, `.value > 0`, counts
                    // it as no target type; a review found the whole scan
                    // made invalid by it).
                    if let Some(count) = map.next_value::<Option<i64>>()? {
                        out.add(count);
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(CountsVisitor)
    }
}
