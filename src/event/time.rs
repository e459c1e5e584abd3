//! Timestamps: RFC 3339 with `Z` or any offset, with or without fractional
//! seconds, normalised to UTC microseconds since the Unix epoch.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};

use crate::swar::{bytes8, eight_digits, leading_digits, non_digits};

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// Parses an RFC 3339 timestamp (`2025-11-19T14:32:00.173975+00:00`,
/// `2025-10-19T14:32:00Z`, any offset) into UTC microseconds.
///
/// A fast path handles the two shapes real files hold (`Z` and `+00:00`, with
/// up to 9 fractional digits); everything else goes through chrono.
///
/// A leap second (`23:59:60`, which RFC 3339 allows) is the last
/// microsecond of its minute: chrono holds it as a 59th second more than
/// a second long, and its microseconds since the epoch fell on the next
/// minute, so `2025-12-31T23:59:60Z` counted in 2026's first week, month
/// and quarter.
pub fn parse_timestamp(s: &str) -> Result<Micros, &'static str> {
    let us = match fast_utc(s.as_bytes()) {
        Some(us) => us,
        None => DateTime::parse_from_rfc3339(s)
            .map(|dt| {
                let subsec = dt.timestamp_subsec_micros().min(999_999);
                dt.timestamp() * 1_000_000 + i64::from(subsec)
            })
            .map_err(|_| "timestamp is not RFC 3339 (e.g. 2025-10-19T14:32:00Z)")?,
    };
    if us < EARLIEST {
        return Err("timestamp is before the year 1 (0001-01-01T00:00:00Z)");
    }
    if us >= AFTER_LATEST {
        return Err("timestamp is after the year 9999 in UTC (9999-12-31T23:59:59Z)");
    }
    Ok(us)
}

/// The earliest instant taken, 0001-01-01T00:00:00Z: the first two days of
/// the year 0 fall in ISO week year -1, which has no week code (a client
/// sending one made the tally read a week as a string and panic).
pub const EARLIEST: Micros = -62_135_596_800_000_000;

/// The first instant not taken, 10000-01-01T00:00:00Z: an offset can carry
/// `9999-12-31T23:59:59-23:59` past it, and RFC 3339 has no five-digit
/// year, so the summary's `period.last` read `+10000-01-01T23:58:59Z` (a
/// review).
pub const AFTER_LATEST: Micros = 253_402_300_800_000_000;

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (its separators checked by
/// the caller), or `None` when it is not a date.
///
/// Events come in time order, so nearly every one shares the date of the
/// one before: each thread keeps the last date it converted (a memo of a
/// pure function; only dates that converted are kept).
#[inline]
fn civil_days(date: &[u8; 10]) -> Option<i64> {
    thread_local! {
        static LAST: std::cell::Cell<Option<([u8; 10], i64)>> = const { std::cell::Cell::new(None) };
    }
    if let Some((last, days)) = LAST.get()
        && last == *date
    {
        return Some(days);
    }
    let (year, month, day) = (
        digits(&date[0..4])?,
        digits(&date[5..7])?,
        digits(&date[8..10])?,
    );
    let days = days_from_civil(year, month, day)?;
    LAST.set(Some((*date, days)));
    Some(days)
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+00:00)`; `None` sends the caller to chrono.
fn fast_utc(b: &[u8]) -> Option<Micros> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let days = civil_days(b[..10].try_into().expect("10 bytes"))?;
    let seconds = clock(b[11..19].try_into().expect("8 bytes"))?;
    let (micros, rest) = match &b[19..] {
        [b'.', frac @ ..] => fraction(frac)?,
        rest => (0, rest),
    };
    if !(rest == b"Z" || rest == b"z" || rest == b"+00:00") {
        return None;
    }
    let secs = days * 86_400 + i64::from(seconds);
    Some(secs * 1_000_000 + i64::from(micros))
}

/// `HH:MM:SS` as seconds of the day; `None` unless it is three two-digit
/// fields in range.
#[inline]
fn clock(b: &[u8; 8]) -> Option<u32> {
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    // With zeros for the colons, the eight bytes are digits exactly when
    // the clock's six are.
    const COLONS: u64 = (0xff << 16) | (0xff << 40);
    let x = (u64::from_le_bytes(*b) & !COLONS) | (bytes8(b'0') & COLONS);
    if non_digits(x) != 0 {
        return None;
    }
    let d = x - bytes8(b'0');
    let two = |at: u32| ((d >> at) & 0xff) as u32 * 10 + ((d >> (at + 8)) & 0xff) as u32;
    let (hour, min, sec) = (two(0), two(24), two(48));
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    Some(hour * 3600 + min * 60 + sec)
}

/// A fraction's digits (the bytes after the `.`) as microseconds,
/// truncated as chrono does, and the bytes after the digits; `None` for no
/// digit or more than 9.
#[inline]
fn fraction(b: &[u8]) -> Option<(u32, &[u8])> {
    let x = match b.first_chunk::<8>() {
        Some(head) => u64::from_le_bytes(*head),
        // Fewer than 8 bytes left (a short fraction before a `Z`): padded
        // with zero bytes, which are not digits.
        None => {
            let mut word = [0u8; 8];
            word[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(word)
        }
    };
    let n = match leading_digits(x) {
        0 => return None,
        8 => match b[8..].iter().take_while(|c| c.is_ascii_digit()).count() {
            0 => 8,
            1 => 9,
            _ => return None,
        },
        n => n,
    };
    // The first digits (up to 8) padded with zeros to eight: the fraction
    // times 10^8, whose first six digits are the microseconds.
    let padded = match n {
        8.. => x,
        n => {
            let keep = (1u64 << (8 * n)) - 1;
            (x & keep) | (bytes8(b'0') & !keep)
        }
    };
    Some((eight_digits(padded) / 100, &b[n..]))
}

/// Days from 1970-01-01 to a proleptic Gregorian date, `None` if the date
/// does not exist (H. Hinnant's `days_from_civil`, for years 0..=9999).
fn days_from_civil(year: u32, month: u32, day: u32) -> Option<i64> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days {
        return None;
    }
    let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Formats UTC microseconds as RFC 3339 with a `Z` (seconds precision unless
/// there is a fraction).
pub fn format_rfc3339(us: Micros) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .map(|dt| dt.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// Days since the Unix epoch (floor).
pub fn epoch_day(us: Micros) -> i64 {
    us.div_euclid(86_400_000_000)
}

/// The UTC calendar date of a timestamp.
pub fn date_of(us: Micros) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(us)
        .map(|dt| dt.date_naive())
        .unwrap_or_default()
}

/// ISO week of a timestamp, packed as `year * 100 + week` (e.g. 202603).
pub fn iso_week_code(us: Micros) -> i64 {
    let w = date_of(us).iso_week();
    i64::from(w.year()) * 100 + i64::from(w.week())
}

/// Calendar month of a timestamp, packed as `year * 100 + month` (e.g. 202601).
pub fn month_code(us: Micros) -> i64 {
    let d = date_of(us);
    i64::from(d.year()) * 100 + i64::from(d.month())
}

/// `202603` → `2026-W03`.
pub fn format_week_code(code: i64) -> String {
    format!("{}-W{:02}", code / 100, code % 100)
}

/// `202601` → `2026-01`.
pub fn format_month_code(code: i64) -> String {
    format!("{}-{:02}", code / 100, code % 100)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn chrono_us(s: &str) -> Micros {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&Utc)
            .timestamp_micros()
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "2025-10-19T14:32:00Z",
            "2025-11-19T14:32:00.173975+00:00",
            "2025-11-19T14:32:00+00:00",
            "2024-02-29T23:59:59.5Z",
            "2026-01-01T00:00:00.123456789Z",
            "1969-12-31T23:59:59Z",
            "2025-11-19T14:32:00.1+00:00",
            "2025-11-19T14:32:00.1234567+00:00",
            "2025-11-19T14:32:00.12345678+00:00",
            "2025-11-19T14:32:00.123456789+00:00",
            "2025-11-19T14:32:00.000001Z",
            // Fractions before a `Z` shorter than 8 bytes, and exactly 8.
            "2025-11-19T14:32:00.12Z",
            "2025-11-19T14:32:00.1234z",
            "2025-11-19T14:32:00.1234567Z",
            "2025-11-19T23:59:59.999999999Z",
        ] {
            assert_eq!(parse_timestamp(s).unwrap(), chrono_us(s), "{s}");
            assert_eq!(fast_utc(s.as_bytes()), Some(chrono_us(s)), "{s}");
        }
    }

    #[test]
    fn a_leap_second_stays_in_its_minute_day_and_year() {
        let last = chrono_us("2025-12-31T23:59:59.999999Z");
        for s in [
            "2025-12-31T23:59:60Z",
            "2025-12-31T23:59:60.5Z",
            "2025-12-31T23:59:60.999999999+00:00",
            "2025-12-31T18:59:60-05:00",
            "2026-01-01T00:59:60+01:00",
        ] {
            let us = parse_timestamp(s).unwrap();
            assert_eq!(us, last, "{s}");
            assert_eq!(format_month_code(month_code(us)), "2025-12", "{s}");
            assert_eq!(format_week_code(iso_week_code(us)), "2026-W01", "{s}");
        }
        let june = parse_timestamp("2016-06-30T23:59:60Z").unwrap();
        assert_eq!(june, chrono_us("2016-06-30T23:59:59.999999Z"));
        // Other instants are chrono's.
        assert_eq!(
            parse_timestamp("2025-12-31T23:59:59.5-01:00").unwrap(),
            chrono_us("2026-01-01T00:59:59.5Z")
        );
    }

    /// A timestamp-like string: mostly well formed, with the clock's
    /// fields sometimes out of range or a byte swapped for a near miss,
    /// fractions of any length and zones chrono does or does not accept.
    fn timestamp_like() -> impl Strategy<Value = String> {
        let clock = (0..26u32, 0..62u32, 0..62u32);
        let miss = prop::option::weighted(
            0.2,
            (0..8usize, prop::sample::select(b":/ .Za\x7f".to_vec())),
        );
        let digit = prop::sample::select(b"0123456789".to_vec());
        let fraction = prop::option::of(prop::collection::vec(
            prop_oneof![9 => digit, 1 => prop::sample::select(b".Z+:a ".to_vec())],
            0..12,
        ));
        let zone = prop::sample::select(vec![
            "Z", "z", "+00:00", "+01:00", "-00:00", "", "Zx", "+00:0", "x00:00", "+00-00",
            "+00:00x",
        ]);
        (0..3000u64, clock, miss, fraction, zone).prop_map(
            |(day, (h, m, sec), miss, fraction, zone)| {
                let date = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(day);
                let mut clock = format!("{h:02}:{m:02}:{sec:02}").into_bytes();
                if let Some((at, byte)) = miss {
                    clock[at] = byte;
                }
                let mut s = format!("{date}T{}", String::from_utf8(clock).unwrap());
                if let Some(f) = fraction {
                    s.push('.');
                    s.push_str(std::str::from_utf8(&f).unwrap());
                }
                s + zone
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The fast path answers exactly as chrono: the same instant, or
        /// nothing where chrono refuses.
        #[test]
        fn the_fast_path_agrees_with_chrono_on_near_misses(s in timestamp_like()) {
            // chrono's instant, a leap second held in its minute.
            let want = DateTime::parse_from_rfc3339(&s)
                .ok()
                .map(|d| d.timestamp_micros().min(d.timestamp() * 1_000_000 + 999_999));
            prop_assert_eq!(
                parse_timestamp(&s).ok(),
                want.filter(|us| (EARLIEST..AFTER_LATEST).contains(us))
            );
            if let Some(fast) = fast_utc(s.as_bytes()) {
                prop_assert_eq!(Some(fast), want);
            }
        }
    }

    #[test]
    fn timestamps_before_the_year_1_are_refused() {
        assert_eq!(parse_timestamp("0001-01-01T00:00:00Z"), Ok(EARLIEST));
        assert_eq!(chrono_us("0001-01-01T00:00:00Z"), EARLIEST);
        for s in [
            "0000-01-01T00:00:00Z",
            "0000-12-31T23:59:59.999999Z",
            "0001-01-01T00:30:00+01:00",
        ] {
            assert!(parse_timestamp(s).is_err(), "{s}");
        }
    }

    #[test]
    fn timestamps_after_the_year_9999_in_utc_are_refused() {
        assert_eq!(chrono_us("9999-12-31T23:59:59Z") + 1_000_000, AFTER_LATEST);
        let last = parse_timestamp("9999-12-31T23:59:59.999999Z").unwrap();
        assert_eq!(last, AFTER_LATEST - 1);
        assert_eq!(format_rfc3339(last), "9999-12-31T23:59:59.999999Z");
        assert_eq!(
            parse_timestamp("9999-12-31T23:59:59-23:59"),
            Err("timestamp is after the year 9999 in UTC (9999-12-31T23:59:59Z)")
        );
        assert!(parse_timestamp("9999-12-31T23:00:00-01:00").is_err());
        assert!(parse_timestamp("9999-12-31T23:00:00+01:00").is_ok());
    }

    #[test]
    fn the_date_memo_answers_as_a_fresh_conversion() {
        // Same date twice, a date after an invalid one, an invalid one after
        // a valid one with the same digits elsewhere.
        for s in [
            "2025-10-19T14:32:00Z",
            "2025-10-19T00:00:01Z",
            "2025-02-30T00:00:00Z",
            "2025-10-19T14:32:00Z",
            "2024-02-29T23:59:59Z",
            "2023-02-29T23:59:59Z",
            "2024-02-29T00:00:00Z",
            "2025-1x-19T14:32:00Z",
            "2025-10-19T14:32:00Z",
        ] {
            let fresh = DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|d| d.timestamp_micros());
            assert_eq!(fast_utc(s.as_bytes()), fresh, "{s}");
        }
    }

    #[test]
    fn civil_days_agree_with_chrono_on_every_date() {
        for year in 0..=9999u32 {
            for month in 0..=13 {
                for day in 0..=32 {
                    let want = NaiveDate::from_ymd_opt(year as i32, month, day)
                        .map(|d| i64::from(d.num_days_from_ce()) - 719_163);
                    assert_eq!(
                        days_from_civil(year, month, day),
                        want,
                        "{year}-{month}-{day}"
                    );
                }
            }
        }
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let a = parse_timestamp("2025-11-19T16:32:00+02:00").unwrap();
        let b = parse_timestamp("2025-11-19T14:32:00Z").unwrap();
        assert_eq!(a, b);
        let c = parse_timestamp("2025-11-19T09:02:00.5-05:30").unwrap();
        assert_eq!(c, b + 500_000);
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for s in [
            "",
            "2025-10-19",
            "2025-10-19T14:32:00",
            "2025-13-19T14:32:00Z",
            "2025-02-30T14:32:00Z",
            "19/10/2025 14:32",
            "2025-10-19T25:00:00Z",
            "2025-10-19T14:32:00.Z",
        ] {
            assert!(parse_timestamp(s).is_err(), "{s} should be rejected");
        }
    }

    #[test]
    fn weeks_and_months() {
        let us = parse_timestamp("2026-01-01T12:00:00Z").unwrap();
        // 2026-01-01 is a Thursday: ISO week 1 of 2026.
        assert_eq!(format_week_code(iso_week_code(us)), "2026-W01");
        let us = parse_timestamp("2027-01-01T12:00:00Z").unwrap();
        // 2027-01-01 is a Friday: ISO week 53 of 2026.
        assert_eq!(format_week_code(iso_week_code(us)), "2026-W53");
        assert_eq!(format_month_code(month_code(us)), "2027-01");
        assert_eq!(format_rfc3339(us), "2027-01-01T12:00:00Z");
    }
}
