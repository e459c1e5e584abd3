//! Which valid events a summary counts: period, version, CI and test filters.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::event::schema::{Event, EventClass, Payload};
use crate::event::time::{Micros, parse_timestamp};

/// The filters of a run (all off by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Filters {
    /// `YYYY-Qn` when the period came from `--quarter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarter: Option<String>,
    /// Inclusive start (UTC microseconds), rendered as RFC 3339.
    #[serde(serialize_with = "ser_time")]
    pub since: Option<Micros>,
    /// Exclusive end (UTC microseconds), rendered as RFC 3339.
    #[serde(serialize_with = "ser_time")]
    pub until: Option<Micros>,
    /// Only events of this JMo version (exact, or a prefix ending at `.`/`-`).
    pub version: Option<String>,
    /// Drop `scan.started` events whose `ci_detected` is true.
    pub exclude_ci: bool,
    /// Count `test`/`test.event` events as usage events.
    pub include_test: bool,
}

fn ser_time<S: serde::Serializer>(t: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(us) => s.serialize_some(&crate::event::time::format_rfc3339(*us)),
        None => s.serialize_none(),
    }
}

impl Filters {
    /// Whether the event is counted. Marker events pass the period filter
    /// only, and so do test events unless `include_test` counts them as
    /// usage: then the usage filters apply to them too.
    pub fn keep(&self, event: &Event<'_>) -> bool {
        self.in_period(event) && self.keep_in_any_period(event)
    }

    /// Whether the event falls in the period (`--quarter`, `--since`,
    /// `--until`).
    pub fn in_period(&self, event: &Event<'_>) -> bool {
        !(self.since.is_some_and(|s| event.timestamp < s)
            || self.until.is_some_and(|u| event.timestamp >= u))
    }

    /// [`Filters::keep`] without the period: whether the event would count
    /// at some time.
    pub fn keep_in_any_period(&self, event: &Event<'_>) -> bool {
        if !self.counts_as_usage(event) {
            return true;
        }
        if let Some(want) = &self.version {
            let ok = event
                .common
                .version
                .as_deref()
                .is_some_and(|v| version_matches(v, want));
            if !ok {
                return false;
            }
        }
        if self.exclude_ci
            && let Payload::ScanStarted(s) = &event.payload
            && s.ci_detected == Some(true)
        {
            return false;
        }
        true
    }

    /// Whether the event counts as usage: a usage event, or a test event
    /// under `include_test`.
    pub fn counts_as_usage(&self, event: &Event<'_>) -> bool {
        match event.class() {
            EventClass::Usage => true,
            EventClass::Test => self.include_test,
            EventClass::Marker => false,
        }
    }

    /// Why a scan's events may be split by these filters, its `scan.started`
    /// kept and its `scan.completed` or `tool.failed` left out, or the other
    /// way round; `None` when they are not. The ratios that divide one
    /// event type's count by another's (the completion share, the tool
    /// failure rates) are then not computed: no field links a scan's events.
    pub fn splits_scans(&self) -> Option<&'static str> {
        if self.exclude_ci {
            Some(
                "--exclude-ci leaves out scan.started events that ran in CI/CD, but their \
                 scan.completed and tool.failed events do not say whether they did, so they stay",
            )
        } else if self.version.is_some() {
            Some(
                "--version keeps each event by its own version, and one run may send its events \
                 under different versions",
            )
        } else {
            None
        }
    }

    /// The filters in words, for a summary's human formats (their JSON has
    /// them as `period.filters`); `None` when nothing is filtered. A review
    /// found a Markdown summary of one version of non-CI scans in one
    /// quarter that read as the whole file.
    pub fn describe(&self) -> Option<String> {
        use crate::event::time::format_rfc3339;
        let mut parts = Vec::new();
        let period = match (self.since, self.until) {
            (Some(a), Some(b)) => Some(format!(
                "events from {} and before {}",
                format_rfc3339(a),
                format_rfc3339(b)
            )),
            (Some(a), None) => Some(format!("events from {}", format_rfc3339(a))),
            (None, Some(b)) => Some(format!("events before {}", format_rfc3339(b))),
            (None, None) => None,
        };
        match (&self.quarter, period) {
            (Some(q), Some(p)) => parts.push(format!("quarter {q} ({p})")),
            (_, Some(p)) => parts.push(p),
            (_, None) => {}
        }
        if let Some(v) = &self.version {
            // As `version_matches` keeps them (a review: "its patch and
            // pre-releases" of `1`, which keeps 1.5.0).
            parts.push(format!(
                "JMo version {v} and the versions that start with {v}. or {v}-"
            ));
        }
        if self.exclude_ci {
            parts.push("scan.started events that ran in CI/CD left out".into());
        }
        if self.include_test {
            parts.push("test events counted as usage".into());
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// Sets the period to one calendar quarter.
    pub fn set_quarter(&mut self, q: Quarter) {
        self.quarter = Some(q.to_string());
        self.since = Some(q.start());
        self.until = Some(q.next().start());
    }
}

/// `0.7` matches `0.7`, `0.7.1`, `0.7-dev`; not `0.70`.
pub fn version_matches(version: &str, want: &str) -> bool {
    version == want
        || version
            .strip_prefix(want)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('-'))
}

/// A calendar quarter, e.g. `2026-Q1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// Year.
    pub year: i32,
    /// 1–4.
    pub q: u32,
}

impl Quarter {
    /// First instant of the quarter (UTC microseconds).
    pub fn start(self) -> Micros {
        let date = NaiveDate::from_ymd_opt(self.year, (self.q - 1) * 3 + 1, 1).unwrap_or_default();
        day_start(date)
    }

    /// The quarter after this one.
    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    /// The quarter before this one.
    pub fn prev(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    /// The quarter holding a date.
    pub fn of(date: NaiveDate) -> Quarter {
        Quarter {
            year: date.year(),
            q: (date.month() - 1) / 3 + 1,
        }
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

impl std::str::FromStr for Quarter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a quarter: use YEAR-Qn, e.g. 2026-Q1");
        // A quarter before 1970 is refused as such (a review: "not a
        // quarter" for 1969-Q4); --since and --until reach back further.
        let early = |year: i32, q: u32| {
            let start = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1);
            let next = start.and_then(|d| d.checked_add_months(chrono::Months::new(3)));
            match (start, next.and_then(|d| d.pred_opt())) {
                (Some(start), Some(end)) => format!(
                    "`{s}` is before 1970, the first year --quarter takes: give `summary` the \
                     period as --since {start} --until {end}"
                ),
                _ => bad(),
            }
        };
        let (y, q) = s.split_once(['-', ' ']).ok_or_else(bad)?;
        let q = q.strip_prefix(['Q', 'q']).ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let q: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&q) || !(1..=9999).contains(&year) {
            return Err(bad());
        }
        if year < 1970 {
            return Err(early(year, q));
        }
        if (year, q) == (9999, 4) {
            // Its end, 10000-01-01T00:00:00Z, has no RFC 3339 form.
            return Err(format!(
                "`{s}` ends at 10000-01-01T00:00:00Z (UTC), which no RFC 3339 time can write: \
                 give `summary` the period as --since 9999-10-01"
            ));
        }
        Ok(Quarter { year, q })
    }
}

fn day_start(date: NaiveDate) -> Micros {
    date.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp_micros()
}

/// Parses `--since`/`--until`: a date `YYYY-MM-DD` or an RFC 3339 instant.
/// With `end_of_day`, a bare date means the end of that day (an inclusive
/// `--until`), returned as the exclusive bound of the next midnight.
pub fn parse_bound(s: &str, end_of_day: bool) -> Result<Micros, String> {
    // As at its end, so at its start (a review: a leading space was
    // taken, a trailing one refused as no date).
    no_spaces_at_ends(s)?;
    let bound = if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        // The years a timestamp holds, as for an RFC 3339 bound (a review:
        // `-0001-01-01` was taken, and written as no RFC 3339 time).
        if date.year() < 1 {
            return Err(format!("`{s}` is before the year 1 (0001-01-01)"));
        }
        if date.year() > 9999 {
            return Err(format!("`{s}` is after the year 9999 (9999-12-31)"));
        }
        let date = if end_of_day {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        Ok(day_start(date))
    } else {
        // An instant between two microseconds, the finest a timestamp
        // holds: a start is the next one (a review: `.000000001` kept an
        // event at `.000000`), an end the one before (as read).
        // (Read from the digits: chrono keeps nine, and a review's ten
        // were read as none.)
        let between = || {
            let fraction = s.get(19..).and_then(|t| t.strip_prefix('.')).unwrap_or("");
            (fraction.bytes().take_while(u8::is_ascii_digit))
                .skip(6)
                .any(|d| d != b'0')
        };
        parse_timestamp(s).map(|us| us + i64::from(end_of_day || between()))
    };
    // An end past the last instant a timestamp holds would be written as
    // `+10000-01-01T00:00:00Z` (a review), which no RFC 3339 reader takes.
    match bound {
        Ok(us) if us >= crate::event::time::AFTER_LATEST => Err(format!("`{s}` {PAST_9999}")),
        bound => bound.map_err(|why| {
            if why.contains("before the year 1") || why.contains("after the year 9999") {
                format!(
                    "`{s}` is {why}",
                    why = why.trim_start_matches("timestamp is ")
                )
            } else {
                format!(
                    "`{s}` is not a date: use YYYY-MM-DD or an RFC 3339 time such as \
                     2026-01-01T00:00:00Z"
                )
            }
        }),
    }
}

/// Refuses a date given with spaces at its ends (`--since`, `--until`,
/// `--generated-on`).
pub(crate) fn no_spaces_at_ends(s: &str) -> Result<(), String> {
    if s.trim() != s {
        return Err(format!("`{s}` has spaces at its ends: give the date alone"));
    }
    Ok(())
}

/// Why a period ending after 9999 is refused.
const PAST_9999: &str = "ends at 10000-01-01T00:00:00Z (UTC) or later, which no RFC 3339 time \
                         can write; leave it out to read to the end of the file";

#[cfg(test)]
mod tests {
    use super::*;

    /// A review: these were written as `+10000-01-01T00:00:00Z`.
    #[test]
    fn a_period_ending_after_9999_is_refused() {
        for s in ["9999-12-31", "9999-12-31T23:59:59.999999Z"] {
            assert_eq!(
                parse_bound(s, true).unwrap_err(),
                format!("`{s}` {PAST_9999}")
            );
        }
        assert_eq!(
            parse_bound("9999-12-31T23:59:59-23:59", true).unwrap_err(),
            "`9999-12-31T23:59:59-23:59` is after the year 9999 in UTC (9999-12-31T23:59:59Z)"
        );
        assert!(parse_bound("9999-12-30", true).is_ok());
        assert!(parse_bound("9999-12-31", false).is_ok());
        assert_eq!(
            "9999-Q4".parse::<Quarter>().unwrap_err(),
            "`9999-Q4` ends at 10000-01-01T00:00:00Z (UTC), which no RFC 3339 time can write: \
             give `summary` the period as --since 9999-10-01"
        );
        assert!("9999-Q3".parse::<Quarter>().is_ok());
    }

    /// A review: a bare date outside the years 1 to 9999 was taken (and
    /// `--until -0001-01-01` written as `-0001-01-02T00:00:00Z`), or
    /// refused with advice for `--until` alone.
    #[test]
    fn a_date_outside_the_years_1_to_9999_is_refused() {
        for (s, why) in [
            ("-0001-01-01", "before the year 1 (0001-01-01)"),
            ("0000-12-31", "before the year 1 (0001-01-01)"),
            ("+10000-01-01", "after the year 9999 (9999-12-31)"),
        ] {
            for end_of_day in [false, true] {
                assert_eq!(
                    parse_bound(s, end_of_day).unwrap_err(),
                    format!("`{s}` is {why}")
                );
            }
        }
        assert_eq!(
            parse_bound("0001-01-01", false),
            Ok(crate::event::time::EARLIEST)
        );
    }

    /// A start between two microseconds is the next one, an end the one
    /// before (a review: `--since …00.000000001Z` kept an event at `.000000`).
    #[test]
    fn a_bound_between_two_microseconds() {
        let at = parse_bound("2026-01-01T00:00:00Z", false).unwrap();
        assert_eq!(
            parse_bound("2026-01-01T00:00:00.000000001Z", false),
            Ok(at + 1)
        );
        assert_eq!(
            parse_bound("2026-01-01T00:00:00.000000999Z", false),
            Ok(at + 1)
        );
        assert_eq!(
            parse_bound("2026-01-01T00:00:00.000001000Z", false),
            Ok(at + 1)
        );
        assert_eq!(
            parse_bound("2026-01-01T00:00:00.000001001Z", false),
            Ok(at + 2)
        );
        assert_eq!(
            parse_bound("2026-01-01T00:00:00.0000000001Z", false),
            Ok(at + 1)
        );
        assert_eq!(
            parse_bound("2026-01-01T00:00:00.0000000000Z", false),
            Ok(at)
        );
        assert_eq!(
            parse_bound("2026-01-01T01:00:00.0000001+01:00", false),
            Ok(at + 1)
        );
        // An inclusive end keeps the microsecond it falls in.
        assert_eq!(
            parse_bound("2026-01-01T00:00:00.000000999Z", true),
            Ok(at + 1)
        );
    }

    /// A review: "not a quarter" for a quarter before 1970.
    #[test]
    fn a_quarter_before_1970_says_what_to_use() {
        assert_eq!(
            "1969-Q4".parse::<Quarter>().unwrap_err(),
            "`1969-Q4` is before 1970, the first year --quarter takes: give `summary` the period \
             as --since 1969-10-01 --until 1969-12-31"
        );
        assert!(
            "0001-Q1"
                .parse::<Quarter>()
                .unwrap_err()
                .ends_with("--since 0001-01-01 --until 0001-03-31")
        );
        assert!(
            "0-Q1"
                .parse::<Quarter>()
                .unwrap_err()
                .contains("is not a quarter")
        );
        assert!("1970-Q1".parse::<Quarter>().is_ok());
    }

    #[test]
    fn a_bound_with_spaces_at_its_ends_is_refused() {
        for s in [" 2026-01-01", "2026-01-01 ", "\t2026-01-01T00:00:00Z"] {
            assert_eq!(
                parse_bound(s, false).unwrap_err(),
                format!("`{s}` has spaces at its ends: give the date alone")
            );
        }
    }

    #[test]
    fn a_bound_before_the_year_1_says_so() {
        assert_eq!(
            parse_bound("0000-12-31T23:00:00Z", false).unwrap_err(),
            "`0000-12-31T23:00:00Z` is before the year 1 (0001-01-01T00:00:00Z)"
        );
        assert!(
            parse_bound("yesterday", false)
                .unwrap_err()
                .contains("is not a date")
        );
    }

    #[test]
    fn quarters() {
        let q: Quarter = "2026-Q1".parse().unwrap();
        assert_eq!(q, Quarter { year: 2026, q: 1 });
        assert_eq!(q.prev().to_string(), "2025-Q4");
        assert_eq!(q.next().next().next().next().to_string(), "2027-Q1");
        assert_eq!(
            crate::event::time::format_rfc3339(q.start()),
            "2026-01-01T00:00:00Z"
        );
        for bad in ["2026-Q5", "2026Q1", "Q1-2026", "2026-Q0", "x"] {
            let err = bad.parse::<Quarter>().unwrap_err();
            assert!(err.contains("YEAR-Qn"), "{err}");
        }
    }

    #[test]
    fn bounds() {
        let since = parse_bound("2026-01-01", false).unwrap();
        let until = parse_bound("2026-01-01", true).unwrap();
        assert_eq!(until - since, 86_400_000_000);
        assert!(
            parse_bound("Jan 1", false)
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
    }

    #[test]
    fn versions() {
        assert!(version_matches("0.7.1", "0.7"));
        assert!(version_matches("0.7.0-dev", "0.7.0"));
        assert!(version_matches("1.0.0", "1.0.0"));
        assert!(!version_matches("0.70", "0.7"));
        assert!(!version_matches("0.8.0", "0.7"));
    }
}
