//! Interval estimates for the shares the report publishes: the Wilson score
//! interval of a binomial proportion, and whether two intervals overlap (the
//! report's test for "a change").

use serde::Serialize;

/// The standard normal quantile for a two-sided 95% interval (Φ⁻¹(0.975)).
pub const Z95: f64 = 1.959_963_984_540_054;

/// A closed interval of proportions in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    #[serde(serialize_with = "crate::metrics::finalize::serialize_round6")]
    pub low: f64,
    /// Upper bound.
    #[serde(serialize_with = "crate::metrics::finalize::serialize_round6")]
    pub high: f64,
}

impl Interval {
    /// Whether the two intervals share at least one point.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.low <= other.high && other.low <= self.high
    }
}

/// The Wilson score interval (no continuity correction) of `successes` out of
/// `trials` at normal quantile `z`; `None` when there are no trials or more
/// successes than trials (not a proportion).
///
/// Unlike the textbook `p ± z·√(p(1−p)/n)`, it stays inside [0, 1] and does
/// not collapse to a point at 0 or 1 successes, which matters for the small
/// counts of a young telemetry programme.
pub fn wilson(successes: u64, trials: u64, z: f64) -> Option<Interval> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 or all successes the bound is exactly 0 or 1 (rounding aside).
    Some(Interval {
        low: if successes == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        high: if successes == trials {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    })
}

/// `count` of `of` as a proportion: none when `of` is 0, or when `count`
/// exceeds it (more completions than starts, more failures than runs: a
/// scan's events on two sides of a filter's bound or of a quarter, or lost
/// ones), which no rate or interval describes (reviews saw "125.0% ()" in
/// a report and 200.0% completed in `summary`).
pub fn proportion(count: u64, of: u64) -> Option<f64> {
    (of > 0 && count <= of).then(|| count as f64 / of as f64)
}

/// The 95% Wilson interval (see [`wilson`]).
pub fn wilson95(successes: u64, trials: u64) -> Option<Interval> {
    wilson(successes, trials, Z95)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: Interval, low: f64, high: f64) {
        assert!(
            (got.low - low).abs() < 5e-5 && (got.high - high).abs() < 5e-5,
            "got [{:.4}, {:.4}], want [{low}, {high}]",
            got.low,
            got.high
        );
    }

    /// Newcombe (1998), "Two-sided confidence intervals for the single
    /// proportion", Statistics in Medicine 17:857–872, table I, method 3
    /// (Wilson score, no continuity correction).
    #[test]
    fn matches_newcombe_1998_table_1() {
        close(wilson95(81, 263).unwrap(), 0.2553, 0.3662);
        close(wilson95(15, 148).unwrap(), 0.0624, 0.1605);
        close(wilson95(0, 20).unwrap(), 0.0, 0.1611);
        close(wilson95(1, 29).unwrap(), 0.0061, 0.1718);
    }

    #[test]
    fn symmetric_and_bounded() {
        let a = wilson95(3, 10).unwrap();
        let b = wilson95(7, 10).unwrap();
        assert!((a.low - (1.0 - b.high)).abs() < 1e-12);
        let all = wilson95(10, 10).unwrap();
        assert_eq!(all.high, 1.0);
        assert!(all.low > 0.69 && all.low < 0.73, "{}", all.low);
        let half = wilson95(1, 2).unwrap();
        assert!((half.low + half.high - 1.0).abs() < 1e-12);
    }

    #[test]
    fn undefined_without_trials_or_with_too_many_successes() {
        assert_eq!(wilson95(0, 0), None);
        assert_eq!(wilson95(5, 4), None);
    }

    #[test]
    fn overlap() {
        let a = Interval {
            low: 0.1,
            high: 0.2,
        };
        let b = Interval {
            low: 0.2,
            high: 0.3,
        };
        let c = Interval {
            low: 0.21,
            high: 0.3,
        };
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !c.overlaps(&a));
    }
}
