//! The schema of every event type, as data: which fields exist, their types and
//! the values a bucketed or enumerated field may hold (`../shared/EVENTS.md`).
//!
//! `validate` checks lines against it; `audit` uses it to know which fields
//! promise buckets or enumerated values.

/// Allowed values of `duration_bucket`.
pub const DURATION_BUCKETS: &[&str] = &["<5min", "5-15min", "15-30min", ">30min"];
/// Allowed values of `total_findings_bucket` and `findings_bucket`.
pub const FINDINGS_BUCKETS: &[&str] = &["0", "1-10", "10-100", "100-1000", ">1000"];
/// Allowed values of `total_targets_bucket`.
pub const TARGETS_BUCKETS: &[&str] = &["1", "2-5", "6-10", "11-50", ">50"];
/// Allowed values of `violations_bucket`.
pub const VIOLATIONS_BUCKETS: &[&str] = &["0", "1-5", "5-20", "20-100", ">100"];
/// Allowed values of `evaluation_time_bucket`.
pub const EVALUATION_TIME_BUCKETS: &[&str] = &["<50ms", "50-100ms", "100-500ms", ">500ms"];
/// Allowed values of `scan_frequency_hint` (besides `null`).
pub const SCAN_FREQUENCY_HINTS: &[&str] = &["first_time", "weekly", "daily"];
/// Allowed values of `mode`.
pub const MODES: &[&str] = &["cli", "docker", "wizard"];
/// Allowed values of `failure_type`.
pub const FAILURE_TYPES: &[&str] = &["timeout", "crash", "non_zero_exit"];
/// Allowed values of `execution_mode`.
pub const EXECUTION_MODES: &[&str] = &["docker", "native"];
/// Allowed values of `artifact_generated` (besides `null`).
pub const ARTIFACTS: &[&str] = &["makefile", "shell", "gha"];
/// Keys of `target_types`.
pub const TARGET_TYPES: &[&str] = &crate::event::schema::TARGET_TYPE_KEYS;

/// What a field must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A short label from an open set (profile and tool names, versions, platforms).
    Label,
    /// One value of a closed enumeration.
    Enum(&'static [&'static str]),
    /// One bucket label: an exact number here breaks the privacy promise.
    Bucket(&'static [&'static str]),
    /// Any integer.
    Int,
    /// An integer ≥ 0.
    Count,
    /// `true` or `false`.
    Bool,
    /// A list of labels.
    LabelList,
    /// An object of counts (≥ 0) with these keys.
    Counts(&'static [&'static str]),
    /// An object described by its own fields.
    Object(&'static [FieldSpec]),
    /// An object of any content (the metadata of an unknown event type).
    AnyObject,
    /// A UUID (`8-4-4-4-12` hexadecimal digits).
    Uuid,
    /// An RFC 3339 date-time with any offset, fractional seconds optional.
    Timestamp,
    /// Free text: allowed only in the test events and the `telemetry.initialized` marker.
    Text,
}

/// One field of an event or of its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Its key.
    pub name: &'static str,
    /// What it must hold.
    pub ty: FieldType,
    /// Whether a line without it is invalid.
    pub required: bool,
    /// Whether `null` is allowed.
    pub nullable: bool,
}

const fn req(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: true,
        nullable: false,
    }
}
const fn opt(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: false,
        nullable: false,
    }
}
const fn nullable(spec: FieldSpec) -> FieldSpec {
    FieldSpec {
        nullable: true,
        ..spec
    }
}

/// Which family an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFamily {
    /// A usage event sent by the client (known or not).
    Usage,
    /// `test` (the guide's curl test) or `test.event` (`telemetry.py test`).
    Test,
    /// The hand-written `telemetry.initialized` first line.
    Marker,
}

/// The schema of one event type: its top-level fields (metadata included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpec {
    /// The `event` value.
    pub name: &'static str,
    /// Which family it belongs to.
    pub family: EventFamily,
    /// Its top-level fields.
    pub fields: &'static [FieldSpec],
}

impl EventSpec {
    /// The spec of top-level field `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

macro_rules! usage_fields {
    ($($meta:expr),* $(,)?) => {
        &[
            req("event", FieldType::Label),
            req("version", FieldType::Label),
            req("platform", FieldType::Label),
            req("python_version", FieldType::Label),
            req("anonymous_id", FieldType::Uuid),
            req("timestamp", FieldType::Timestamp),
            req("metadata", FieldType::Object(&[$($meta),*])),
        ]
    };
}

/// Every event type this tool knows.
pub const EVENTS: &[EventSpec] = &[
    EventSpec {
        name: "scan.started",
        family: EventFamily::Usage,
        fields: usage_fields![
            req("mode", FieldType::Enum(MODES)),
            req("profile", FieldType::Label),
            req("tools", FieldType::LabelList),
            // Older clients may lack `target_types` and the five fields after it.
            opt("target_types", FieldType::Counts(TARGET_TYPES)),
            opt("ci_detected", FieldType::Bool),
            opt("multi_target_scan", FieldType::Bool),
            opt("compliance_usage", FieldType::Bool),
            opt("total_targets_bucket", FieldType::Bucket(TARGETS_BUCKETS)),
            nullable(opt(
                "scan_frequency_hint",
                FieldType::Bucket(SCAN_FREQUENCY_HINTS)
            )),
        ],
    },
    EventSpec {
        name: "scan.completed",
        family: EventFamily::Usage,
        fields: usage_fields![
            req("mode", FieldType::Enum(MODES)),
            req("profile", FieldType::Label),
            req("duration_bucket", FieldType::Bucket(DURATION_BUCKETS)),
            req("tools_succeeded", FieldType::Count),
            req("tools_failed", FieldType::Count),
            req("total_findings_bucket", FieldType::Bucket(FINDINGS_BUCKETS)),
        ],
    },
    EventSpec {
        name: "tool.failed",
        family: EventFamily::Usage,
        fields: usage_fields![
            req("tool", FieldType::Label),
            req("failure_type", FieldType::Enum(FAILURE_TYPES)),
            nullable(req("exit_code", FieldType::Int)),
            req("profile", FieldType::Label),
        ],
    },
    EventSpec {
        name: "wizard.completed",
        family: EventFamily::Usage,
        fields: usage_fields![
            req("profile_selected", FieldType::Label),
            req("execution_mode", FieldType::Enum(EXECUTION_MODES)),
            nullable(req("artifact_generated", FieldType::Enum(ARTIFACTS))),
            req("duration_seconds", FieldType::Count),
        ],
    },
    EventSpec {
        name: "report.generated",
        family: EventFamily::Usage,
        fields: usage_fields![
            req("output_formats", FieldType::LabelList),
            req("findings_bucket", FieldType::Bucket(FINDINGS_BUCKETS)),
            req("suppressions_used", FieldType::Bool),
            req("compliance_enabled", FieldType::Bool),
        ],
    },
    EventSpec {
        name: "policy.evaluated",
        family: EventFamily::Usage,
        fields: usage_fields![
            req("policy_count", FieldType::Count),
            req("violations_bucket", FieldType::Bucket(VIOLATIONS_BUCKETS)),
            req(
                "evaluation_time_bucket",
                FieldType::Bucket(EVALUATION_TIME_BUCKETS)
            ),
            req("policies", FieldType::LabelList),
            req("passed_count", FieldType::Count),
            req("failed_count", FieldType::Count),
        ],
    },
    EventSpec {
        name: "test.event",
        family: EventFamily::Test,
        fields: usage_fields![req("message", FieldType::Text)],
    },
    EventSpec {
        name: "test",
        family: EventFamily::Test,
        fields: &[
            req("event", FieldType::Label),
            req("timestamp", FieldType::Timestamp),
            opt("version", FieldType::Label),
            opt("platform", FieldType::Label),
            opt("python_version", FieldType::Label),
            opt("anonymous_id", FieldType::Uuid),
            opt("message", FieldType::Text),
            opt(
                "metadata",
                FieldType::Object(&[opt("message", FieldType::Text)]),
            ),
        ],
    },
    EventSpec {
        name: "telemetry.initialized",
        family: EventFamily::Marker,
        // The common fields, should a marker carry them, are read as
        // `summary` reads them: one of another type makes the line invalid
        // there (a review: `"version": 5` was only an unknown field here).
        fields: &[
            req("event", FieldType::Label),
            req("timestamp", FieldType::Timestamp),
            req("message", FieldType::Text),
            opt("version", FieldType::Label),
            opt("platform", FieldType::Label),
            opt("python_version", FieldType::Label),
            opt("anonymous_id", FieldType::Uuid),
        ],
    },
];

/// The schema every usage event of an unknown type is checked against: the
/// common fields and a metadata object of any content.
pub const UNKNOWN_USAGE_FIELDS: &[FieldSpec] = &[
    req("event", FieldType::Label),
    req("version", FieldType::Label),
    req("platform", FieldType::Label),
    req("python_version", FieldType::Label),
    req("anonymous_id", FieldType::Uuid),
    req("timestamp", FieldType::Timestamp),
    opt("metadata", FieldType::AnyObject),
];

/// The schema of event type `name`, if this tool knows it.
pub fn event_spec(name: &str) -> Option<&'static EventSpec> {
    EVENTS.iter().find(|e| e.name == name)
}

/// The family of event type `name` (unknown types are usage events).
pub fn family(name: &str) -> EventFamily {
    event_spec(name).map_or(EventFamily::Usage, |e| e.family)
}

/// The metadata fields of `spec`, if it has a metadata object.
pub fn metadata_fields(spec: &EventSpec) -> Option<&'static [FieldSpec]> {
    match spec.field("metadata")?.ty {
        FieldType::Object(fields) => Some(fields),
        _ => None,
    }
}

/// True when `s` is a UUID in the canonical `8-4-4-4-12` form (either case).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The 128-bit value of a canonical UUID.
pub fn uuid_value(s: &str) -> Option<u128> {
    if !is_uuid(s) {
        return None;
    }
    s.bytes().filter(|&c| c != b'-').try_fold(0u128, |acc, c| {
        Some(acc << 4 | u128::from((c as char).to_digit(16)?))
    })
}

/// True when `s` is an RFC 3339 date-time (any offset, fractional seconds
/// optional) that `summary` takes: the one reader of timestamps, so
/// `validate` passes no timestamp `summary` skips (a review found
/// `0000-01-01T00:00:00Z`, before the year 1, passed here).
pub fn is_rfc3339(s: &str) -> bool {
    crate::event::time::parse_timestamp(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_event_has_the_common_fields() {
        for spec in EVENTS {
            assert!(spec.field("event").is_some(), "{}", spec.name);
            assert!(spec.field("timestamp").is_some(), "{}", spec.name);
        }
        assert_eq!(family("scan.started"), EventFamily::Usage);
        assert_eq!(family("something.new"), EventFamily::Usage);
        assert_eq!(family("test"), EventFamily::Test);
        assert_eq!(family("telemetry.initialized"), EventFamily::Marker);
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c"));
        assert!(is_uuid("A7F3C8E2-4B1D-4F9E-8C3A-2D5E7F9B1A3C"));
        assert!(!is_uuid("a7f3c8e24b1d4f9e8c3a2d5e7f9b1a3c"));
        assert!(!is_uuid("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3g"));
        assert_eq!(
            uuid_value("00000000-0000-0000-0000-0000000000ff"),
            Some(255)
        );
    }

    #[test]
    fn timestamps() {
        assert!(is_rfc3339("2025-11-19T14:32:00.173975+00:00"));
        assert!(is_rfc3339("2025-10-19T14:32:00Z"));
        assert!(is_rfc3339("2025-10-19T14:32:00-07:30"));
        assert!(!is_rfc3339("2025-10-19T14:32:00"));
        assert!(!is_rfc3339("2025-10-19"));
        assert!(!is_rfc3339("yesterday"));
        assert!(is_rfc3339("0001-01-01T00:00:00Z"));
        assert!(!is_rfc3339("0000-12-31T23:59:59Z"));
        assert!(!is_rfc3339("0001-01-01T00:00:00+01:00"));
    }
}
