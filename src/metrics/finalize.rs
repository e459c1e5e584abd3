//! From the merged [`Tally`] to the published [`Summary`].
//!
//! The facts `(metric, value, installation) → events` become a polars
//! DataFrame of compact integer columns; one lazy group-by gives, per
//! `(metric, value)`, the events (sum) and the distinct installations
//! (n_unique), which the privacy rules of the report need for every cell.
//! Derived metrics (rates, quartiles, distributions) are computed from those
//! aggregates.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::registry::{METRICS, MetricId};
use super::tally::{ACTIVE_MONTH, ACTIVE_WEEK, CellCount, INSTALL, Key, Tally, decode};
use super::{MetricRows, Period, Row, Summary, Totals, Value, input_report, shown_order};
use crate::event::IngestStats;
use crate::event::time::{format_month_code, format_rfc3339, format_week_code};

/// The group part of a cell's value key (the profile of a by-profile cell,
/// the week of a by-week cell), 0 for ungrouped cells.
fn group_key(value: u64) -> u64 {
    match decode(value) {
        Key::Pair(g, _) => u64::from(g) + 1,
        Key::WeekPair(w, _) => u64::from(w) + 1,
        _ => 0,
    }
}

/// Per cell, the events of all cells of the same metric and group: a polars
/// window sum over the compact cell table (the denominator of a broken-down
/// metric's shares).
fn group_totals(cells: &[CellCount]) -> PolarsResult<Vec<u64>> {
    let df = DataFrame::new(
        cells.len(),
        vec![
            Column::new(
                "metric".into(),
                cells
                    .iter()
                    .map(|c| u32::from(c.metric))
                    .collect::<Vec<u32>>(),
            ),
            Column::new(
                "group".into(),
                cells
                    .iter()
                    .map(|c| group_key(c.value))
                    .collect::<Vec<u64>>(),
            ),
            Column::new(
                "events".into(),
                cells.iter().map(|c| c.events).collect::<Vec<u64>>(),
            ),
        ],
    )?;
    let out = df
        .lazy()
        .select([col("events")
            .sum()
            .over([col("metric"), col("group")])?
            .alias("total")])
        .collect()?;
    let total = out.column("total")?.u64()?;
    Ok((0..total.len())
        .map(|i| total.get(i).unwrap_or(0))
        .collect())
}

/// Rounds to six decimals, as shares are written.
pub(crate) fn round6(x: f64) -> f64 {
    // From 2^53 / 10^6 on, a double has no sixth decimal to round, and the
    // product would lose the value's last bits (a review: a p75 of
    // 500000000001.5 read 500000000001.50006).
    if x.abs() >= (1u64 << 53) as f64 / 1e6 {
        return x;
    }
    (x * 1e6).round() / 1e6
}

/// Writes a proportion as [`round6`] rounds it (serde's `serialize_with`):
/// the report's JSON gives its rates and intervals with the six decimals
/// of its CSV files and of `metrics`.
pub(crate) fn serialize_round6<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(round6(*x))
}

/// [`serialize_round6`] of a value that may be missing.
pub(crate) fn serialize_round6_opt<S: serde::Serializer>(
    x: &Option<f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => s.serialize_some(&round6(*x)),
        None => s.serialize_none(),
    }
}

fn share(count: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| round6(count as f64 / of as f64))
}

/// [`proportion`](crate::metrics::stats::proportion), as shares are written.
fn proportion(count: u64, of: u64) -> Option<f64> {
    crate::metrics::stats::proportion(count, of).map(round6)
}

/// Count descending, then group and value as shown (`null`, `true`, …),
/// each followed by its kind (a string "null" after JSON null), then the
/// other fields. Rows of a metric come from distinct cells, so no two tie
/// on group and value; comparing the other fields too makes the order
/// total whatever the rows are, so an unstable sort gives one output,
/// without a stable sort's scratch copy (half the rows: 80 MB for a
/// million distinct values).
fn sort_rows(rows: &mut [Row]) {
    let bits = |x: Option<f64>| x.map(f64::to_bits);
    rows.sort_unstable_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| shown_order(a.group.as_ref(), b.group.as_ref()))
            .then_with(|| a.value.text().cmp(b.value.text()))
            .then_with(|| a.value.cmp(&b.value))
            .then_with(|| b.installations.cmp(&a.installations))
            .then_with(|| a.events.cmp(&b.events))
            .then_with(|| a.runs.cmp(&b.runs))
            .then_with(|| bits(a.share).cmp(&bits(b.share)))
            .then_with(|| bits(a.rate).cmp(&bits(b.rate)))
            .then_with(|| bits(a.seconds).cmp(&bits(b.seconds)))
    });
}

/// Builds the summary.
pub fn finalize(source: &str, stats: IngestStats, mut tally: Tally) -> Summary {
    let cells = tally.take_cell_counts();
    let text = |code: u32| tally.dict.get(code).to_string();
    let small = |code: u32| {
        if code == 0 {
            Value::Null
        } else {
            Value::Str(text(code - 1))
        }
    };
    let value_of = |key: u64| match decode(key) {
        Key::Null => Value::Null,
        Key::Bool(b) => Value::Bool(b),
        Key::Int(i) => Value::Str(i.to_string()),
        Key::Str(c) => Value::Str(text(c)),
        Key::Pair(_, b) | Key::WeekPair(_, b) => small(b),
    };

    // A few thousand cells at most: polars only fails here on a bug.
    let totals = group_totals(&cells).expect("aggregating the cells");
    // Each metric's rows allocated to their number, not grown by doubling.
    let mut per_metric = vec![0usize; METRICS.len()];
    for cell in &cells {
        if let Some(n) = per_metric.get_mut(usize::from(cell.metric)) {
            *n += 1;
        }
    }
    let mut rows: Vec<Vec<Row>> = per_metric.into_iter().map(Vec::with_capacity).collect();
    let mut unique_ids = 0;
    let mut active = Vec::new();
    for (cell, group_total) in cells.iter().zip(totals) {
        match cell.metric {
            INSTALL => unique_ids = cell.installations,
            ACTIVE_WEEK | ACTIVE_MONTH => active.push(*cell),
            m if usize::from(m) < METRICS.len() => {
                let mut row = Row::new(value_of(cell.value), cell.events);
                row.installations = Some(cell.installations);
                // Shares: over the group's events for broken-down metrics,
                // else over the events that carried the field.
                row.share = share(cell.events, tally.carriers[usize::from(m)]);
                match decode(cell.value) {
                    Key::Pair(group, _) => row.group = Some(small(group)),
                    Key::WeekPair(week, _) => {
                        row.group = Some(Value::Str(format_week_code(i64::from(week))));
                    }
                    _ => {}
                }
                if row.group.is_some() {
                    row.share = share(cell.events, group_total);
                }
                rows[usize::from(m)].push(row);
            }
            _ => {}
        }
    }

    let mut metrics: Vec<MetricRows> = METRICS
        .iter()
        .map(|def| MetricRows {
            id: def.id,
            denominator: tally.carriers[def.id as usize],
            rows: std::mem::take(&mut rows[def.id as usize]),
        })
        .collect();

    let count_of = |m: &MetricRows, v: &str| {
        m.rows
            .iter()
            .find(|r| r.value.text() == v)
            .map_or(0, |r| r.count)
    };
    let completion = &metrics[MetricId::ScanCompletion as usize];
    let scans_started = count_of(completion, "scan.started");
    let scans_completed = count_of(completion, "scan.completed");
    // Filters that can split a scan's events leave the ratios across event
    // types uncomputed (`Filters::splits_scans`).
    let ratios = tally.filters().splits_scans().is_none();
    // A side with no event is a row of 0 (a review: with none completed,
    // no completion figure was shown at all).
    let completion = &mut metrics[MetricId::ScanCompletion as usize];
    for (side, count) in [
        ("scan.started", scans_started),
        ("scan.completed", scans_completed),
    ] {
        if count == 0 && completion.denominator > 0 {
            let mut row = Row::new(Value::from(side), 0);
            row.installations = Some(0);
            completion.rows.push(row);
        }
    }
    for r in &mut completion.rows {
        r.share = proportion(r.count, scans_started).filter(|_| ratios);
    }
    completion.denominator = scans_started;

    // Tool failure rates: failures / scan.started events that enabled the
    // tool, looked up from the failures (few) into the tools (many).
    let failures = &metrics[MetricId::ToolFailures as usize].rows;
    let mut runs: FxHashMap<&Value, u64> = failures.iter().map(|f| (&f.value, 0)).collect();
    for tool in &metrics[MetricId::ScanTools as usize].rows {
        if let Some(n) = runs.get_mut(&tool.value) {
            *n = tool.count;
        }
    }
    let rates: Vec<Row> = failures
        .iter()
        .map(|f| {
            let n = runs[&f.value];
            let mut row = Row::new(f.value.clone(), f.count);
            row.installations = f.installations;
            row.runs = Some(n);
            row.rate = proportion(f.count, n).filter(|_| ratios);
            row.share = row.rate;
            row
        })
        .collect();
    let rates_metric = &mut metrics[MetricId::ToolFailureRates as usize];
    rates_metric.denominator = metrics_denominator_scans(&tally);
    rates_metric.rows = rates;

    metrics[MetricId::WizardDuration as usize].rows = wizard_quartiles(&tally.wizard_seconds);
    metrics[MetricId::WizardDuration as usize].denominator = tally.wizard_seconds.values().sum();

    let per_installation = events_per_installation(&tally);
    let installations_total: u64 = per_installation.iter().map(|r| r.count).sum();
    let epi = &mut metrics[MetricId::EventsPerInstallation as usize];
    epi.denominator = installations_total;
    epi.rows = per_installation;
    for r in &mut epi.rows {
        r.share = share(r.count, installations_total);
    }

    let act = &mut metrics[MetricId::ActiveInstallations as usize];
    act.denominator = unique_ids;
    act.rows = active
        .iter()
        .map(|c| {
            let (group, label) = match (c.metric, decode(c.value)) {
                (ACTIVE_WEEK, Key::Int(w)) => ("week", format_week_code(w)),
                (_, Key::Int(m)) => ("month", format_month_code(m)),
                _ => ("month", String::new()),
            };
            let mut row = Row::new(Value::Str(label), c.installations);
            row.group = Some(Value::from(group));
            row.events = Some(c.events);
            row.share = share(c.installations, unique_ids);
            row
        })
        .collect();

    for m in &mut metrics {
        // The wizard's statistics keep their order (min, p25, median, p75,
        // max, mean): sorted by count, all equal, they read median, p25,
        // p75 (a review of the report).
        if m.id != MetricId::WizardDuration {
            sort_rows(&mut m.rows);
        }
    }

    let period = Period {
        first: tally.first.map(format_rfc3339),
        last: tally.last.map(format_rfc3339),
        filters: tally.filters().clone(),
        outside: tally.outside_period,
    };
    let totals = Totals {
        usage_events: tally.counted_usage,
        unique_ids,
        scans_started,
        scans_completed,
    };
    Summary {
        input: input_report(source, stats, tally.filtered_out),
        period,
        totals,
        metrics,
    }
}

fn metrics_denominator_scans(tally: &Tally) -> u64 {
    tally.carriers[MetricId::Profiles as usize]
}

/// The buckets of `events_per_installation`: least and most usage events,
/// label.
const EVENT_BUCKETS: [(u64, u64, &str); 6] = [
    (1, 1, "1"),
    (2, 5, "2-5"),
    (6, 10, "6-10"),
    (11, 50, "11-50"),
    (51, 100, "51-100"),
    (101, u64::MAX, ">100"),
];

/// The `events_per_installation` bucket (index and label) of an installation
/// that sent `events` usage events; none for 0 (only test or marker events:
/// not an installation of the metrics).
pub(crate) fn events_bucket(events: u64) -> Option<(usize, &'static str)> {
    EVENT_BUCKETS
        .iter()
        .position(|&(lo, hi, _)| (lo..=hi).contains(&events))
        .map(|i| (i, EVENT_BUCKETS[i].2))
}

/// Installations by how many usage events they sent.
fn events_per_installation(tally: &Tally) -> Vec<Row> {
    let mut counts = [0u64; EVENT_BUCKETS.len()];
    for events in tally.events_per_installation() {
        if let Some((i, _)) = events_bucket(events) {
            counts[i] += 1;
        }
    }
    EVENT_BUCKETS
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(&(_, _, label), n)| Row::new(label.into(), n))
        .collect()
}

/// Min, quartiles (linearly interpolated between the two nearest ranks of
/// the sorted durations, as NumPy's default), max and mean.
fn wizard_quartiles(hist: &FxHashMap<i64, u64>) -> Vec<Row> {
    let n: u64 = hist.values().sum();
    if n == 0 {
        return Vec::new();
    }
    let mut sorted: Vec<(i64, u64)> = hist.iter().map(|(&s, &c)| (s, c)).collect();
    sorted.sort_unstable();
    // Value at 0-based rank r (linear interpolation between ranks).
    let at = |r: u64| -> f64 {
        let mut seen = 0;
        for &(s, c) in &sorted {
            seen += c;
            if r < seen {
                return s as f64;
            }
        }
        sorted.last().map_or(0.0, |&(s, _)| s as f64)
    };
    let quantile = |q: f64| {
        let pos = q * (n - 1) as f64;
        let (lo, hi) = (pos.floor() as u64, pos.ceil() as u64);
        let frac = pos - pos.floor();
        round6(at(lo) + (at(hi) - at(lo)) * frac)
    };
    let mean = sorted
        .iter()
        .map(|&(s, c)| s as f64 * c as f64)
        .sum::<f64>()
        / n as f64;
    [
        ("min", quantile(0.0)),
        ("p25", quantile(0.25)),
        ("median", quantile(0.5)),
        ("p75", quantile(0.75)),
        ("max", quantile(1.0)),
        ("mean", round6(mean)),
    ]
    .into_iter()
    .map(|(label, secs)| {
        let mut row = Row::new(label.into(), n);
        row.seconds = Some(secs);
        row
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Parsed, Sink, parse_line};
    use std::sync::Arc;

    #[test]
    fn rows_that_tie_on_group_and_value_sort_the_same_from_any_order() {
        // Rows that tie on count, group and value (no finalized metric has
        // two, but the order must not depend on the rows' order).
        let row = |installations, share| {
            let mut r = Row::new(Value::Str("5".into()), 5);
            r.group = Some("fast".into());
            r.installations = Some(installations);
            r.share = Some(share);
            r
        };
        let rows = [row(3, 0.5), row(4, 0.25), row(3, 0.75)];
        let mut want = rows.to_vec();
        sort_rows(&mut want);
        for order in [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ] {
            let mut got: Vec<Row> = order.iter().map(|&i| rows[i].clone()).collect();
            sort_rows(&mut got);
            assert_eq!(got, want, "from {order:?}");
        }
        assert_eq!(want[0].installations, Some(4));
    }

    #[test]
    fn events_buckets_meet_without_gaps() {
        let label = |n| events_bucket(n).map(|(_, l)| l);
        assert_eq!(label(0), None);
        let edges = [(1, "1"), (2, "2-5"), (5, "2-5"), (6, "6-10"), (10, "6-10")];
        let edges = edges
            .into_iter()
            .chain([(11, "11-50"), (50, "11-50"), (51, "51-100")]);
        for (n, want) in edges.chain([(100, "51-100"), (101, ">100"), (u64::MAX, ">100")]) {
            assert_eq!(label(n), Some(want), "{n} events");
        }
    }

    /// Feeds lines to a tally the way a worker does.
    fn tally_of(lines: &[&str], filters: &Arc<crate::metrics::Filters>) -> Tally {
        let mut t = Tally::new(Arc::clone(filters));
        for (i, line) in lines.iter().enumerate() {
            if let Parsed::Event(e) = parse_line(line) {
                t.event(crate::event::LinePos::new(0, i as u64 + 1), &e);
            }
        }
        t
    }

    /// The lines cut into `parts` runs, each fed to its own tally, and the
    /// tallies merged in order (as workers' tallies are).
    fn merged_of(lines: &[&str], parts: usize, filters: &Arc<crate::metrics::Filters>) -> Tally {
        let size = lines.len().div_ceil(parts);
        let mut chunks = lines.chunks(size).map(|c| tally_of(c, filters));
        let mut merged = chunks.next().unwrap();
        for t in chunks {
            merged.merge(t);
        }
        merged
    }

    #[test]
    fn merged_tallies_equal_one_tally() {
        let text = std::fs::read_to_string("fixtures/events.jsonl").unwrap();
        let forward: Vec<&str> = text.lines().collect();
        // Backwards too: the earliest event is then in the last part, the
        // latest in the first.
        let backward: Vec<&str> = forward.iter().rev().copied().collect();
        let filters = Arc::new(crate::metrics::Filters::default());
        for lines in [forward, backward] {
            let whole = finalize("x", IngestStats::default(), tally_of(&lines, &filters));
            assert_eq!(
                (whole.period.first.as_deref(), whole.period.last.as_deref()),
                (
                    Some("2025-10-19T16:09:53.483140Z"),
                    Some("2026-06-25T13:33:41.944219Z")
                )
            );
            for parts in [2, 3, 7] {
                let split = finalize(
                    "x",
                    IngestStats::default(),
                    merged_of(&lines, parts, &filters),
                );
                assert_eq!(split.totals, whole.totals, "{parts} parts");
                assert_eq!(
                    (&split.period.first, &split.period.last),
                    (&whole.period.first, &whole.period.last),
                    "{parts} parts"
                );
                for (a, b) in split.metrics.iter().zip(&whole.metrics) {
                    assert_eq!(a, b, "{} differs when split in {parts}", a.def().name);
                }
            }
        }
    }

    #[test]
    fn cells_past_the_inline_bits_count_events_and_installations() {
        use crate::metrics::registry::MetricId;
        use std::collections::{BTreeMap, BTreeSet};
        // 450 tool names: the tally numbers more cells than a record holds
        // inline (384), so later tools' bits go to the spill tables.
        let tool = |i: usize| format!("tool{i:03}");
        let ids = [
            Some("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a30"),
            Some("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a31"),
            None,
            Some("not-a-uuid"),
            Some("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a32"),
        ];
        let mut lines = Vec::new();
        let mut want_events: BTreeMap<String, u64> = BTreeMap::new();
        let mut want_ids: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for n in 0..40usize {
            let id = ids[n % ids.len()];
            // A window of 150 tools moving by 37 each event, one listed twice.
            let mut tools: Vec<String> = (0..150).map(|k| tool((n * 37 + k) % 450)).collect();
            tools.push(tools[n % 150].clone());
            for t in tools.iter().collect::<BTreeSet<_>>() {
                *want_events.entry(t.clone()).or_default() += 1;
                if let Some(id) = id {
                    want_ids.entry(t.clone()).or_default().insert(id);
                }
            }
            let list: Vec<String> = tools.iter().map(|t| format!("{t:?}")).collect();
            let id = id.map_or(String::new(), |id| format!(r#""anonymous_id": "{id}", "#));
            lines.push(format!(
                r#"{{"event": "scan.started", {id}"timestamp": "2026-01-05T10:00:00Z", "metadata": {{"tools": [{}]}}}}"#,
                list.join(", ")
            ));
        }
        assert_eq!(want_events.len(), 450);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let filters = Arc::new(crate::metrics::Filters::default());
        let check = |summary: &crate::metrics::Summary, how: &str| {
            let rows = &summary
                .metrics
                .iter()
                .find(|m| m.id == MetricId::ScanTools)
                .unwrap()
                .rows;
            let got: BTreeMap<String, (u64, Option<u64>)> = rows
                .iter()
                .map(|r| (r.value.text().to_string(), (r.count, r.installations)))
                .collect();
            let want: BTreeMap<String, (u64, Option<u64>)> = want_events
                .iter()
                .map(|(t, &n)| {
                    let ids = want_ids.get(t).map_or(0, |s| s.len() as u64);
                    (t.clone(), (n, Some(ids)))
                })
                .collect();
            assert_eq!(got, want, "{how}");
        };
        check(
            &finalize("x", IngestStats::default(), tally_of(&lines, &filters)),
            "one tally",
        );
        for parts in [2, 3, 7] {
            check(
                &finalize(
                    "x",
                    IngestStats::default(),
                    merged_of(&lines, parts, &filters),
                ),
                &format!("merged from {parts}"),
            );
        }
    }

    #[test]
    fn quartiles_interpolate_like_numpy() {
        // numpy.percentile([10, 20, 30, 40], [25, 50, 75]) == [17.5, 25, 32.5]
        let hist: FxHashMap<i64, u64> = [(10, 1), (20, 1), (30, 1), (40, 1)].into_iter().collect();
        let rows = wizard_quartiles(&hist);
        let get = |l: &str| {
            rows.iter()
                .find(|r| r.value.text() == l)
                .unwrap()
                .seconds
                .unwrap()
        };
        assert_eq!(get("p25"), 17.5);
        assert_eq!(get("median"), 25.0);
        assert_eq!(get("p75"), 32.5);
        assert_eq!(get("min"), 10.0);
        assert_eq!(get("max"), 40.0);
        assert_eq!(get("mean"), 25.0);
        assert!(wizard_quartiles(&FxHashMap::default()).is_empty());
        // Large seconds keep every bit the interpolation gave (a review:
        // 500000000001.5 read 500000000001.50006 after rounding to 6 places).
        let hist: FxHashMap<i64, u64> = [(-5, 1), (3, 1), (1_000_000_000_000, 1)]
            .into_iter()
            .collect();
        let rows = wizard_quartiles(&hist);
        let p75 = rows.iter().find(|r| r.value.text() == "p75").unwrap();
        assert_eq!(p75.seconds, Some(500_000_000_001.5));
        assert_eq!(round6(0.123_456_789), 0.123_457);
        assert_eq!(round6(-2.5e9 - 0.25), -2.5e9 - 0.25);
    }
}
