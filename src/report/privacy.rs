//! The privacy rules of the public report: which cells may be published.
//!
//! Every cell (a metric row) knows the distinct installations behind it
//! ([`CellIds`], read from the tally's facts before aggregation). A cell with
//! fewer than k installations is hidden. Hidden cells must not be
//! recoverable by subtraction: the rows of a one-dimensional metric add up to
//! its published total, and in a two-dimensional metric (profile × duration,
//! week × version) every row and every column adds up to a total that may be
//! published (in the metric itself, in its one-dimensional margin or in a
//! sibling metric). [`suppress`] therefore simulates an attacker who knows
//! every such line total and solves for any line with
//! a single unknown cell, repeatedly, then solves the totals exactly (any
//! sum and difference of lines: a hidden cell is given away exactly when it
//! is a bridge of the graph whose nodes are lines and whose edges are hidden
//! cells, and a sum of hidden cells when they are the edges leaving a set
//! of nodes that no hidden edge enters, rows pointing to columns). While
//! the attacker learns a small cell or a sum of hidden cells about fewer
//! than k installations, one more visible cell is
//! hidden (complementary suppression); a metric that cannot be protected is
//! withheld whole. Each line's hidden cells are then published summed, as
//! "Other", about at least k installations. Metrics whose rows add up to
//! nothing published (a scan enables several tools)
//! only hide their small cells.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use super::joint::{Cell, Ids, Profile, ToolsByProfile};
use crate::event::time::{format_month_code, format_week_code};
use crate::metrics::finalize::{events_bucket, round6};
use crate::metrics::tally::{ACTIVE_MONTH, ACTIVE_WEEK, CellMembers, INSTALL, Key, Tally, decode};
use crate::metrics::{METRICS, MetricId, MetricRows, Row, Summary, Value, shown_key};
use crate::render::chart::OTHER;

/// A cell: metric, group (for broken-down metrics) and value.
pub type CellKey = (MetricId, Option<Value>, Value);

/// The distinct installations behind each cell (sorted indexes of one
/// tally). They are kept as the tally hands them out, end to end in one
/// list, and each cell's label is found through a table of 4-byte codes: a
/// cell costs its label and about 24 bytes more, and no allocation of its
/// own (a client can send a million distinct values).
#[derive(Debug, Default, Clone)]
pub struct CellIds {
    /// Codes of `keys`, found by the hash of a [`CellRef`].
    table: HashTable<u32>,
    /// Each cell's label, by code.
    keys: Vec<CellKey>,
    /// Each cell's installations, by code: a range of `members`.
    spans: Vec<(usize, usize)>,
    /// Installation indexes (the tally numbers its installations with
    /// `u32`), ascending and each once within a span.
    members: Vec<u32>,
}

/// A cell's label, borrowed: rows are looked up by it without copying
/// their group and value.
#[derive(Hash)]
struct CellRef<'a>(MetricId, Option<&'a Value>, &'a Value);

impl<'a> CellRef<'a> {
    fn of(key: &'a CellKey) -> CellRef<'a> {
        CellRef(key.0, key.1.as_ref(), &key.2)
    }

    fn hash(&self) -> u64 {
        FxBuildHasher.hash_one(self)
    }

    fn is(&self, key: &CellKey) -> bool {
        self.0 == key.0 && self.1 == key.1.as_ref() && *self.2 == key.2
    }
}

impl CellIds {
    /// Reads the cells' installations from a tally (before `finalize`).
    ///
    /// Each of the tally's cells is labelled once (not once per
    /// installation): a tally has thousands of cells but millions of
    /// (cell, installation) pairs.
    pub(crate) fn from_tally(tally: &Tally) -> CellIds {
        let text = |code: u32| tally.dict.get(code).to_string();
        let small = |code: u32| {
            if code == 0 {
                Value::Null
            } else {
                Value::Str(text(code - 1))
            }
        };
        let label = |metric: u16, key: u64| -> Option<CellKey> {
            Some(match (metric, decode(key)) {
                (INSTALL, _) => return None,
                (ACTIVE_WEEK, Key::Int(w)) => (
                    MetricId::ActiveInstallations,
                    Some(Value::from("week")),
                    Value::Str(format_week_code(w)),
                ),
                (ACTIVE_MONTH, Key::Int(m)) => (
                    MetricId::ActiveInstallations,
                    Some(Value::from("month")),
                    Value::Str(format_month_code(m)),
                ),
                (m, k) if usize::from(m) < METRICS.len() => {
                    let id = METRICS[usize::from(m)].id;
                    let (group, value) = match k {
                        Key::Null => (None, Value::Null),
                        Key::Bool(b) => (None, Value::Bool(b)),
                        Key::Int(i) => (None, Value::Str(i.to_string())),
                        Key::Str(c) => (None, Value::Str(text(c))),
                        Key::Pair(g, v) => (Some(small(g)), small(v)),
                        Key::WeekPair(w, v) => {
                            (Some(Value::Str(format_week_code(i64::from(w)))), small(v))
                        }
                    };
                    (id, group, value)
                }
                _ => return None,
            })
        };
        let CellMembers {
            keys,
            starts,
            members,
        } = tally.cell_installations();
        let mut ids = CellIds {
            table: HashTable::with_capacity(keys.len()),
            keys: Vec::with_capacity(keys.len()),
            spans: Vec::with_capacity(keys.len()),
            members,
        };
        for (c, &(metric, key)) in keys.iter().enumerate() {
            let span = (starts[c], starts[c + 1]);
            // An empty cell was touched only by events without an installation.
            if span.0 < span.1
                && let Some(cell) = label(metric, key)
            {
                ids.add(cell, span);
            }
        }
        drop(starts);
        let mut buckets: BTreeMap<&'static str, Vec<u32>> = BTreeMap::new();
        for (index, events) in tally.events_per_installation().enumerate() {
            if let Some((_, bucket)) = events_bucket(events) {
                buckets.entry(bucket).or_default().push(index as u32);
            }
        }
        // Every installation with events is in one bucket: one growth of the
        // list, to its size, instead of doubling it.
        ids.members
            .reserve_exact(buckets.values().map(Vec::len).sum::<usize>());
        for (bucket, list) in buckets {
            let key = (
                MetricId::EventsPerInstallation,
                None,
                Value::Str(bucket.into()),
            );
            let start = ids.members.len();
            ids.members.extend(list);
            ids.add(key, (start, ids.members.len()));
        }
        // Failure rates are about the tools' failures: the same lists.
        let failures: Vec<(CellKey, (usize, usize))> = ids
            .keys
            .iter()
            .zip(&ids.spans)
            .filter(|(k, _)| k.0 == MetricId::ToolFailures)
            .map(|(k, &span)| ((MetricId::ToolFailureRates, k.1.clone(), k.2.clone()), span))
            .collect();
        for (key, span) in failures {
            ids.add(key, span);
        }
        ids
    }

    /// The code of a cell's label.
    fn find(&self, cell: &CellRef<'_>) -> Option<usize> {
        let keys = &self.keys;
        (self.table)
            .find(cell.hash(), |&c| cell.is(&keys[c as usize]))
            .map(|&c| c as usize)
    }

    /// Adds a cell whose installations are `members[span]` (ascending, each
    /// once). Two cells can share a label (an integer and its digits as
    /// text): their lists are merged into a new span.
    fn add(&mut self, key: CellKey, span: (usize, usize)) {
        let cell = CellRef::of(&key);
        if let Some(code) = self.find(&cell) {
            let (a, b) = self.spans[code];
            let mut merged: Vec<u32> = self.members[a..b]
                .iter()
                .chain(&self.members[span.0..span.1])
                .copied()
                .collect();
            merged.sort_unstable();
            merged.dedup();
            let start = self.members.len();
            self.members.extend(merged);
            self.spans[code] = (start, self.members.len());
            return;
        }
        let hash = cell.hash();
        let Self { table, keys, .. } = self;
        let code = u32::try_from(keys.len()).expect("fewer than 2^32 cells");
        table.insert_unique(hash, code, |&c| CellRef::of(&keys[c as usize]).hash());
        self.keys.push(key);
        self.spans.push(span);
    }

    /// The installations behind a row of a metric (empty when unknown).
    pub fn of(&self, metric: MetricId, row: &Row) -> &[u32] {
        self.find(&CellRef(metric, row.group.as_ref(), &row.value))
            .map_or(&[], |code| {
                let (a, b) = self.spans[code];
                &self.members[a..b]
            })
    }

    /// Every cell's label with its installations.
    pub fn iter(&self) -> impl Iterator<Item = (&CellKey, &[u32])> {
        (self.keys.iter())
            .zip(&self.spans)
            .map(|(k, &(a, b))| (k, &self.members[a..b]))
    }
}

/// Distinct elements of the union of sorted id lists.
pub fn union_size<'a>(sets: impl IntoIterator<Item = &'a [u32]>) -> u64 {
    let mut all: Vec<u32> = sets.into_iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    all.len() as u64
}

/// Whether the union of id lists (each sorted and without repeats, as in
/// [`CellIds`]) has at least `k` distinct elements. A line of a metric
/// usually holds a cell that alone reaches `k`, which answers at once;
/// otherwise its lists are all short and are merged.
pub fn union_at_least(sets: &[&[u32]], k: u64) -> bool {
    debug_assert!(
        sets.iter().all(|s| s.windows(2).all(|w| w[0] < w[1])),
        "id lists are sorted and distinct"
    );
    sets.iter().any(|s| s.len() as u64 >= k) || union_size(sets.iter().copied()) >= k
}

/// How a metric's rows relate to published totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Rows partition the denominator: one line.
    Partition,
    /// Rows per group partition the group; values across groups add up to a
    /// published one-dimensional metric: rows and columns are lines.
    Grouped,
    /// Rows do not add up to anything published (list fields, started vs
    /// completed): small cells are hidden, no complement needed.
    Overlapping,
    /// Built from other metrics' published cells.
    Derived,
}

/// The shape of a metric.
pub fn shape(id: MetricId) -> Shape {
    use MetricId as M;
    match id {
        M::ScanTools | M::OutputFormats | M::ScanCompletion => Shape::Overlapping,
        M::VersionsByWeek | M::DurationBucketsByProfile | M::FindingsBucketsByProfile => {
            Shape::Grouped
        }
        M::ToolFailureRates | M::WizardDuration => Shape::Derived,
        _ => Shape::Partition,
    }
}

/// A metric as published.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedMetric {
    /// Which metric.
    pub id: MetricId,
    /// The denominator (events the metric counts).
    pub denominator: u64,
    /// The rows that may be shown (summary order).
    pub rows: Vec<Row>,
    /// Per line (the metric, or each group): the hidden rows summed, value
    /// [`OTHER`], with their distinct installations; only where those reach k.
    pub others: Vec<Row>,
    /// Cells hidden because they had fewer than k installations.
    pub hidden_small: usize,
    /// Cells hidden so that a small cell cannot be recovered by subtraction.
    pub hidden_complementary: usize,
    /// Nothing of the metric is published, its denominator neither: the
    /// events it counts come from fewer than k installations, or they are
    /// an event type the event-type table hides (the denominator would
    /// give that count), or its small cells could not be protected.
    pub withheld: bool,
}

impl PublishedMetric {
    /// The metric's rows with the `Other` rows appended (charts, tables).
    pub fn with_others(&self) -> MetricRows {
        let mut rows = self.rows.clone();
        rows.extend(self.others.iter().cloned());
        MetricRows {
            id: self.id,
            denominator: self.denominator,
            rows,
        }
    }

    /// Cells hidden in total.
    pub fn hidden(&self) -> usize {
        self.hidden_small + self.hidden_complementary
    }

    /// A metric with nothing published.
    fn nothing(id: MetricId) -> PublishedMetric {
        PublishedMetric {
            id,
            denominator: 0,
            rows: Vec::new(),
            others: Vec::new(),
            hidden_small: 0,
            hidden_complementary: 0,
            withheld: true,
        }
    }

    /// Withholds the whole metric: its shown rows count as hidden
    /// complements (they are hidden to protect cells elsewhere).
    pub fn withhold(&mut self) {
        self.hidden_complementary += self.rows.len();
        self.rows.clear();
        self.others.clear();
        self.withheld = true;
    }
}

/// The event types a metric counts (its denominator is their events, or
/// some of them: an event type's count can be read from it); `None` for
/// the metrics of every usage event.
pub fn counted_types(id: MetricId) -> Option<&'static [&'static str]> {
    use MetricId as M;
    Some(match id {
        M::EventTypes
        | M::Platforms
        | M::Versions
        | M::VersionsByWeek
        | M::PythonVersions
        | M::EventsPerInstallation
        | M::ActiveInstallations => return None,
        M::Profiles
        | M::Modes
        | M::CiDetected
        | M::ComplianceUsage
        | M::MultiTarget
        | M::MultiTargetReported
        | M::TargetsBuckets
        | M::FrequencyHints
        | M::ScanTools => &["scan.started"],
        M::ScanCompletion => &["scan.started", "scan.completed"],
        M::DurationBuckets
        | M::DurationBucketsByProfile
        | M::FindingsBuckets
        | M::FindingsBucketsByProfile
        | M::ToolsFailed => &["scan.completed"],
        M::ToolFailures | M::FailureTypes => &["tool.failed"],
        M::ToolFailureRates => &["tool.failed", "scan.started"],
        M::WizardProfiles | M::WizardModes | M::WizardArtifacts | M::WizardDuration => {
            &["wizard.completed"]
        }
        M::OutputFormats | M::SuppressionsUsed | M::ComplianceEnabled => &["report.generated"],
        M::PolicyViolations => &["policy.evaluated"],
    })
}

/// The tables of `scan.started`'s fields that older clients send none of,
/// all five at once (EVENTS.md; the fifth, the client's multi-target flag,
/// is not published): their `null` cells are one set of events.
const MISSING_TOGETHER: [MetricId; 4] = [
    MetricId::CiDetected,
    MetricId::ComplianceUsage,
    MetricId::TargetsBuckets,
    MetricId::FrequencyHints,
];

/// The `null` row of a table of [`MISSING_TOGETHER`] is never what
/// protects a cell: a reader may know it from elsewhere (another of these
/// tables' `null` row, older clients' events in the version table), and a
/// table's Other less it gave the cell it protected (reviews: CI's Other 12
/// less the `null` 8 shown beside it, 2 installations' 4 scans in CI; the
/// same off an old version's 12 events). So each such table's other rows
/// are protected first as a table of their own (their total, the events
/// less the `null` row's, taken as known), and what that hides stays hidden
/// when the whole table is protected. And where two of them show `null`
/// rows whose installations differ by fewer than k (one's inside the
/// other's: clients that send a field as `null` beside those that send
/// none of them), the larger is hidden too (a review: 18 less 12, 3
/// installations' explicit `null` hints).
fn optional_fields(summary: &Summary, ids: &CellIds, k: u64, out: &mut [PublishedMetric]) {
    let is_null = |r: &Row| matches!(r.value, Value::Null);
    let protect = |id: MetricId, also: Option<Value>, out: &mut [PublishedMetric]| {
        let metric = summary.metric(id);
        let mut rest = metric.clone();
        rest.rows.retain(|r| !is_null(r));
        let none = Margins::default();
        let alone = publish_metric(&rest, ids, k, &none);
        if alone.withheld {
            out[id as usize].withhold();
            return;
        }
        let shown: FxHashSet<&Value> = alone.rows.iter().map(|r| &r.value).collect();
        let mut forced: FxHashSet<Value> = (rest.rows.iter())
            .filter(|r| !shown.contains(&r.value))
            .map(|r| r.value.clone())
            .collect();
        let alone_hidden = also.is_some();
        forced.extend(also);
        let null_count = metric
            .rows
            .iter()
            .find(|r| is_null(r))
            .map_or(0, |r| r.count);
        loop {
            let margins = Margins {
                forced_values: forced.clone(),
                ..Margins::default()
            };
            let published = publish_metric(metric, ids, k, &margins);
            // A `null` row hidden for another table's sake is no small
            // cell to the protection, which then hid nothing beside it: its
            // Other was that row alone (a review). One more row joins it,
            // the smallest shown.
            let only_null = alone_hidden
                && !published.withheld
                && published.others.iter().map(|o| o.count).sum::<u64>() == null_count;
            let smallest = (published.rows.iter())
                .filter(|r| !is_null(r))
                .min_by_key(|r| (r.count, r.value.clone()));
            match smallest {
                Some(row) if only_null => {
                    forced.insert(row.value.clone());
                }
                _ => {
                    out[id as usize] = published;
                    return;
                }
            }
        }
    };
    let has_null = |id: MetricId| summary.metric(id).rows.iter().any(is_null);
    for id in MISSING_TOGETHER {
        if !out[id as usize].withheld && has_null(id) {
            protect(id, None, out);
        }
    }
    let shown_null = |id: MetricId, out: &[PublishedMetric]| {
        let m = &out[id as usize];
        (!m.withheld && m.rows.iter().any(is_null)).then(|| {
            let row = summary.metric(id).rows.iter().find(|r| is_null(r));
            row.map_or((&[][..], 0), |r| (ids.of(id, r), r.count))
        })
    };
    for a in MISSING_TOGETHER {
        for b in MISSING_TOGETHER {
            let (Some((small, events_a)), Some((big, events_b))) =
                (shown_null(a, out), shown_null(b, out))
            else {
                continue;
            };
            // More events from the same installations are some of theirs,
            // how many unknown (a review: 2 of 10 that sent the hint as
            // `null` after an upgrade, 4 scans).
            let more = big.len().saturating_sub(small.len()) as u64;
            let differ = (1..k).contains(&more) || more == 0 && events_b > events_a;
            if a != b && differ && subset(small, big) {
                protect(b, Some(Value::Null), out);
            }
        }
    }
}

/// The lines of a table whose totals may be published, as cell indexes:
/// rows (a metric's one line, or its groups) and columns (its values across
/// groups). A cell is in at most one row and at most one column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    /// Lines that share no cell with each other.
    pub rows: Vec<Vec<usize>>,
    /// Lines that share no cell with each other.
    pub cols: Vec<Vec<usize>>,
}

/// Which cells to hide, or `None` when the metric cannot be protected and
/// is withheld whole.
///
/// Cells with fewer than `k` installations are hidden first. Then an
/// attacker is simulated who knows the total of every line (see `start`):
/// a line with a single unknown cell reveals it, and
/// what it reveals can reveal more. While that attacker learns a small cell,
/// or a line's unknown cells together cover fewer than `k` installations
/// (its "Other" would be about too few), the smallest visible cell of such a
/// line is hidden too. When it learns nothing more, the totals are solved
/// exactly, every sum and difference of lines at once (`exact_fixes`),
/// and the same two rules hide more cells until neither finds anything.
pub fn suppress(
    ids: &[&[u32]],
    counts: &[u64],
    labels: &[String],
    lines: &Lines,
    k: u64,
) -> Option<Vec<bool>> {
    suppress_from(ids, counts, labels, lines, k, &[])
}

/// [`suppress`], with the cells `forced` also hidden from the start (none
/// when it is empty): a grouped metric's residual groups (see
/// [`residual_groups`]).
fn suppress_from(
    ids: &[&[u32]],
    counts: &[u64],
    labels: &[String],
    lines: &Lines,
    k: u64,
    forced: &[bool],
) -> Option<Vec<bool>> {
    let rows = lines.rows.len();
    let (small, lines) = start(ids, lines, k);
    let mut hidden = small.clone();
    for (h, &f) in hidden.iter_mut().zip(forced) {
        *h |= f;
    }
    let order = smallest_first(ids, counts, labels);
    let mut attacker = Attacker::new(&lines, &small, &hidden);
    attacker.recheck(&lines, ids, k);
    let mut rounds = 0;
    loop {
        // Hide in a problem line; failing that, in a line crossing one (to
        // stop what gives the problem line's cells away).
        let line = match attacker.problems.is_empty() {
            true => None,
            false => (attacker.fixable.first().copied()).or_else(|| attacker.crossing(&lines)),
        };
        let Some(line) = line else {
            // What the line-by-line attacker cannot see or fix: solved
            // exactly (every problem of the line-by-line attacker is one of
            // its problems too). With nothing to hide there either, the
            // metric is safe, or cannot be protected.
            let fixes = exact_fixes(&lines, rows, &hidden, &small, ids, &order, k)?;
            if fixes.is_empty() {
                return attacker.problems.is_empty().then_some(hidden);
            }
            rounds += 1;
            if rounds > EXACT_ROUNDS {
                return None;
            }
            for i in fixes {
                hidden[i] = true;
                attacker.hide(i);
            }
            attacker.recheck(&lines, ids, k);
            continue;
        };
        let smallest = lines[line as usize]
            .iter()
            .copied()
            .filter(|&i| !hidden[i])
            .min_by(&order)
            .expect("a line with a visible cell");
        hidden[smallest] = true;
        attacker.hide(smallest);
        attacker.recheck(&lines, ids, k);
    }
}

/// Where [`suppress`] starts: which cells are small (hidden at once), and
/// the lines whose totals the attacker knows: every line. A line about
/// fewer than k installations prints its total nowhere, but where the rows
/// cover the cells the columns cover, the rows add up to the columns'
/// total, and a row's total is the columns' less the other rows'; the
/// tables build every line about k installations or more (the residual
/// groups, the value margins), so taking them all costs nothing there.
fn start<'a>(ids: &[&[u32]], lines: &'a Lines, k: u64) -> (Vec<bool>, Vec<&'a [usize]>) {
    let small = ids.iter().map(|s| (s.len() as u64) < k).collect();
    let lines = (lines.rows.iter().chain(&lines.cols))
        .map(Vec::as_slice)
        .collect();
    (small, lines)
}

/// What an attacker who knows every published cell and every line's total
/// can work out, kept up to date as cells are hidden one at a time (the
/// report's tables can have a million cells): hiding a cell costs the lines
/// it changes, not a pass over all of them. Two steps can still cost a
/// line's length: the union of a line's unknown cells, taken when none of
/// them alone reaches k and no small cell of it is known, and the search
/// for a crossing line when no problem line has a visible cell.
///
/// A line with a single unknown cell reveals it; the line that revealed a
/// cell is remembered, and a line justifies at most one cell at a time (it
/// revealed its last unknown). Hiding a cell makes it unknown, and with it
/// every cell revealed by a line that holds it, in turn; then lines left
/// with one unknown reveal again. What is known is then exactly what
/// repeated solving from the published cells gives (the least fixed point
/// of that rule: it does not depend on the order of the steps).
struct Attacker {
    /// The lines holding each cell.
    cell_lines: Vec<Vec<u32>>,
    small: Vec<bool>,
    known: Vec<bool>,
    /// The line that revealed a cell (none for a published one).
    revealed_by: Vec<Option<u32>>,
    /// Per line: its unknown cells, their sum (the cell, when it is the
    /// only one), the unknown ones that alone reach k, the known small
    /// ones, the hidden ones, and the cell it revealed.
    unknown: Vec<u32>,
    unknown_sum: Vec<usize>,
    big_unknown: Vec<u32>,
    known_small: Vec<u32>,
    hidden: Vec<u32>,
    justifies: Vec<Option<usize>>,
    /// Lines that may reveal a cell; lines whose state changed.
    work: Vec<u32>,
    dirty: Vec<u32>,
    /// Problem lines (a small cell is known, or its unknown cells together
    /// cover fewer than k installations), and those of them with a visible cell.
    problems: BTreeSet<u32>,
    fixable: BTreeSet<u32>,
}

impl Attacker {
    /// The attacker who knows the cells not `hidden` and has solved every
    /// line it can (its problem lines are found by [`Attacker::recheck`]).
    fn new(lines: &[&[usize]], small: &[bool], hidden: &[bool]) -> Attacker {
        let n = small.len();
        let mut cell_lines = vec![Vec::new(); n];
        for (l, line) in lines.iter().enumerate() {
            for &i in line.iter() {
                cell_lines[i].push(l as u32);
            }
        }
        let big_unknown = lines
            .iter()
            .map(|l| l.iter().filter(|&&i| !small[i]).count() as u32)
            .collect();
        let mut a = Attacker {
            cell_lines,
            small: small.to_vec(),
            known: vec![false; n],
            revealed_by: vec![None; n],
            unknown: lines.iter().map(|l| l.len() as u32).collect(),
            unknown_sum: lines.iter().map(|l| l.iter().sum()).collect(),
            big_unknown,
            known_small: vec![0; lines.len()],
            hidden: lines
                .iter()
                .map(|l| l.iter().filter(|&&i| hidden[i]).count() as u32)
                .collect(),
            justifies: vec![None; lines.len()],
            work: (0..lines.len() as u32).collect(),
            dirty: Vec::new(),
            problems: BTreeSet::new(),
            fixable: BTreeSet::new(),
        };
        for i in (0..n).filter(|&i| !hidden[i]) {
            a.learn(i, None);
        }
        a.solve();
        a.dirty = (0..lines.len() as u32).collect();
        a
    }

    /// Cell `i` becomes known, published or revealed by a line.
    fn learn(&mut self, i: usize, by: Option<u32>) {
        self.known[i] = true;
        self.revealed_by[i] = by;
        for &l in &self.cell_lines[i] {
            let l_ = l as usize;
            self.unknown[l_] -= 1;
            self.unknown_sum[l_] -= i;
            if self.small[i] {
                self.known_small[l_] += 1;
            } else {
                self.big_unknown[l_] -= 1;
            }
            if self.unknown[l_] == 1 {
                self.work.push(l);
            }
            self.dirty.push(l);
        }
    }

    /// Cell `i` becomes unknown, and so does every cell revealed by a line
    /// that holds it, in turn.
    fn forget(&mut self, i: usize) {
        let mut stack = vec![i];
        while let Some(i) = stack.pop() {
            if !self.known[i] {
                continue;
            }
            self.known[i] = false;
            if let Some(by) = self.revealed_by[i].take() {
                self.justifies[by as usize] = None;
            }
            for &l in &self.cell_lines[i] {
                let l_ = l as usize;
                self.unknown[l_] += 1;
                self.unknown_sum[l_] += i;
                if self.small[i] {
                    self.known_small[l_] -= 1;
                } else {
                    self.big_unknown[l_] += 1;
                }
                if let Some(j) = self.justifies[l_].take() {
                    self.revealed_by[j] = None;
                    stack.push(j);
                }
                if self.unknown[l_] == 1 {
                    self.work.push(l);
                }
                self.dirty.push(l);
            }
        }
    }

    /// Lines with a single unknown cell reveal it, until none is left.
    fn solve(&mut self) {
        while let Some(l) = self.work.pop() {
            let l_ = l as usize;
            if self.unknown[l_] == 1 {
                let i = self.unknown_sum[l_];
                self.learn(i, Some(l));
                self.justifies[l_] = Some(i);
            }
        }
    }

    /// Cell `i` is hidden: the attacker no longer reads it, and solves again.
    fn hide(&mut self, i: usize) {
        for &l in &self.cell_lines[i] {
            self.hidden[l as usize] += 1;
            self.dirty.push(l);
        }
        self.forget(i);
        self.solve();
    }

    /// Updates the problem lines among those whose state changed.
    fn recheck(&mut self, lines: &[&[usize]], ids: &[&[u32]], k: u64) {
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.sort_unstable();
        dirty.dedup();
        for &l in &dirty {
            let l_ = l as usize;
            let problem = self.known_small[l_] > 0
                || (self.unknown[l_] > 0
                    && self.big_unknown[l_] == 0
                    && !union_at_least(
                        &lines[l_]
                            .iter()
                            .filter(|&&i| !self.known[i])
                            .map(|&i| ids[i])
                            .collect::<Vec<_>>(),
                        k,
                    ));
            if problem {
                self.problems.insert(l);
            } else {
                self.problems.remove(&l);
            }
            if problem && (self.hidden[l_] as usize) < lines[l_].len() {
                self.fixable.insert(l);
            } else {
                self.fixable.remove(&l);
            }
        }
        dirty.clear();
        self.dirty = dirty;
    }

    /// The first line, in order, that crosses a problem line (in order)
    /// and has a visible cell.
    fn crossing(&self, lines: &[&[usize]]) -> Option<u32> {
        self.problems.iter().find_map(|&p| {
            let mut crossing: Vec<u32> = lines[p as usize]
                .iter()
                .flat_map(|&i| self.cell_lines[i].iter().copied())
                .collect();
            crossing.sort_unstable();
            crossing.dedup();
            crossing
                .into_iter()
                .find(|&l| (self.hidden[l as usize] as usize) < lines[l as usize].len())
        })
    }
}

/// How many times [`suppress_from`] asks [`exact_fixes`] before it gives
/// up on a metric (and withholds it): each round hides at least one cell,
/// and on real tables the first round finds nothing to hide or everything.
const EXACT_ROUNDS: usize = 64;

/// How many sides (a line's small part, or a small bridge's side that no
/// single cell puts on a cycle) a round of [`exact_fixes`] joins to another
/// by scanning every visible cell (the rest wait for the next round): a
/// bound on a round's cost on hostile tables.
const EXACT_SCANS: usize = 16;

/// The order in which cells are taken as complements: fewest
/// installations, then fewest events, then by label.
fn smallest_first<'a>(
    ids: &'a [&[u32]],
    counts: &'a [u64],
    labels: &'a [String],
) -> impl Fn(&usize, &usize) -> Ordering + 'a {
    move |&a, &b| (ids[a].len(), counts[a], &labels[a]).cmp(&(ids[b].len(), counts[b], &labels[b]))
}

/// What a reader who combines any number of published totals can work out,
/// which the line-by-line [`Attacker`] misses: a line's total less another
/// line's, when the first line's unknown cells are all among the second's,
/// is the sum of the rest (a second review found a profile's Other taken
/// from the durations table's Other leaving one profile's cell of 4
/// installations), and so on for any sum and difference of lines.
///
/// Each cell is in at most one row and one column (see [`Lines`]),
/// so the hidden cells are the edges of a graph whose nodes are the lines,
/// plus one node `g` for a missing line (a cell of a one-dimensional table
/// is an edge from its line to `g`). A hidden cell is determined by the
/// totals exactly when its edge is a bridge of that graph: on a cycle,
/// alternately adding one to and taking one from its cells changes no total
/// (a cycle that avoids `g` has an even length, rows and columns
/// alternating; `g` has no total to keep); a bridge splits its part of the
/// graph in two, one side without `g`, and that side's row totals less its
/// column totals are the bridge alone (the cells within the side cancel).
/// Likewise at a line's node: the hidden cells that lead into one part of
/// the graph once that node is taken out add up to a known sum (the part's
/// totals, signed so, leave just them; or the line's total less the other
/// parts'), while cells of one part can trade along its cycles.
///
/// Returns the cells to hide next (none when the table is safe), or `None`
/// when it cannot be protected. Problems: a small cell that is a bridge,
/// and a part of a line's hidden cells about fewer than `k` installations.
/// A determined small cell stops being one when a visible cell joins its
/// two sides in a cycle: each takes the smallest such cell (several at
/// once, along the tree of bridges, with a union-find over its parts). A
/// small part takes the line's smallest visible cell into it, else the
/// smallest visible cell joining it to another part; a small part or
/// bridge that no single cell joins takes the fewest visible cells that do
/// (a search outward from its side). When none of that is found, sums of
/// hidden cells from several lines are looked for ([`cross_fixes`]).
fn exact_fixes(
    lines: &[&[usize]],
    rows: usize,
    hidden: &[bool],
    small: &[bool],
    ids: &[&[u32]],
    order: &impl Fn(&usize, &usize) -> Ordering,
    k: u64,
) -> Option<Vec<usize>> {
    let n = hidden.len();
    let g = lines.len() as u32;
    let nodes = lines.len() + 1;
    // Each cell's two ends: its lines, `g` standing for a missing one.
    let mut ends = vec![[g; 2]; n];
    let mut degree = vec![0u8; n];
    for (l, line) in lines.iter().enumerate() {
        for &i in *line {
            assert!(degree[i] < 2, "a cell is in at most one row and one column");
            ends[i][degree[i] as usize] = l as u32;
            degree[i] += 1;
        }
    }
    let in_graph = |i: usize| degree[i] > 0;
    // The hidden cells, by node: (cell, other end).
    let hidden_at = Adjacency::of((0..n).filter(|&i| hidden[i] && in_graph(i)), &ends, nodes);
    let edges = |v: u32| hidden_at.at(v);
    // Bridges: a depth-first search (iterative: a line can have a million
    // cells), an edge being a bridge when nothing below it reaches above.
    const NONE: u32 = u32::MAX;
    let (mut order_in, mut low) = (vec![NONE; nodes], vec![0u32; nodes]);
    let mut bridge = vec![false; n];
    // Each node's connected part (the search's root), its parent in the
    // search and the size of its subtree.
    let mut joined = vec![NONE; nodes];
    let (mut parent, mut size) = (vec![NONE; nodes], vec![1u32; nodes]);
    let mut time = 0;
    let mut stack: Vec<(u32, u32, usize)> = Vec::new();
    for root in 0..nodes as u32 {
        if order_in[root as usize] != NONE {
            continue;
        }
        order_in[root as usize] = time;
        low[root as usize] = time;
        joined[root as usize] = root;
        time += 1;
        stack.push((root, NONE, 0));
        while let Some(&mut (v, via, ref mut next)) = stack.last_mut() {
            if let Some(&(e, w)) = edges(v).get(*next) {
                *next += 1;
                if e == via {
                    continue;
                }
                if order_in[w as usize] == NONE {
                    order_in[w as usize] = time;
                    low[w as usize] = time;
                    joined[w as usize] = joined[v as usize];
                    parent[w as usize] = v;
                    time += 1;
                    stack.push((w, e, 0));
                } else {
                    low[v as usize] = low[v as usize].min(order_in[w as usize]);
                }
            } else {
                stack.pop();
                if let Some(&(up, _, _)) = stack.last() {
                    let (p, v) = (up as usize, v as usize);
                    low[p] = low[p].min(low[v]);
                    size[p] += size[v];
                    if low[v] > order_in[p] {
                        bridge[via as usize] = true;
                    }
                }
            }
        }
    }
    // Problems. A small cell that is a bridge is given alone.
    let cut: Vec<bool> = (0..n).map(|i| bridge[i] && small[i]).collect();
    // And at each line, its hidden cells split by the part of the graph
    // they lead into once the line's node is taken out: each part's sum is
    // the line's total less the other parts' (its cells on a cycle can
    // only trade with each other), so it must be about k installations or
    // more. A part is a child of the node in the search whose subtree
    // reaches no higher than the node, or the rest (`v` itself, above).
    let mut parts_below: Vec<(u32, u32)> = Vec::new();
    let mut order_out = vec![0u32; nodes];
    for (v, &p) in parent.iter().enumerate() {
        order_out[v] = order_in[v] + size[v] - 1;
        if p != NONE && low[v] >= order_in[p as usize] {
            parts_below.push((p, v as u32));
        }
    }
    parts_below.sort_unstable_by_key(|&(p, v)| (p, order_in[v as usize]));
    let side = |v: u32, x: u32| -> Option<u32> {
        if x == v || joined[x as usize] != joined[v as usize] {
            return None;
        }
        let from = parts_below.partition_point(|&(p, _)| p < v);
        let below = &parts_below[from..parts_below.partition_point(|&(p, _)| p <= v)];
        let after = below.partition_point(|&(_, w)| order_in[w as usize] <= order_in[x as usize]);
        Some(match after.checked_sub(1).map(|j| below[j].1) {
            Some(w) if order_in[x as usize] <= order_out[w as usize] => w,
            _ => v,
        })
    };
    let other = |i: usize, v: u32| ends[i][usize::from(ends[i][0] == v)];
    let visible = |i: &usize| !hidden[*i] && in_graph(*i);
    let mut fixes = Vec::new();
    let mut scans = 0;
    // The visible cells by node, for the search below.
    let visible_at = Adjacency::of((0..n).filter(visible), &ends, nodes);
    // The fewest visible cells (the smallest last one first) that join the
    // side `s` of node `v` to `v` or to another of its sides: hidden, they
    // put that side's cells at `v` on a cycle with more. `None` when there
    // are none. At most EXACT_SCANS a round: `Some(None)` when put off (the
    // round has fixes already).
    let mut join = |v: u32, s: u32| -> Option<Option<Vec<usize>>> {
        if scans == EXACT_SCANS {
            return Some(None);
        }
        scans += 1;
        let from = (0..nodes as u32).filter(|&x| side(v, x) == Some(s));
        let to = |x: u32| x == v || side(v, x).is_some_and(|t| t != s);
        fewest_cells(&visible_at, from.collect(), to, order).map(Some)
    };
    let mut by_side: Vec<(u32, usize)> = Vec::new();
    let mut into: Vec<(u32, usize)> = Vec::new();
    for v in 0..g {
        let mut into_found = false;
        by_side.clear();
        by_side.extend(
            edges(v)
                .iter()
                .map(|&(e, x)| (side(v, x).unwrap_or(v), e as usize)),
        );
        by_side.sort_unstable();
        for part in by_side.chunk_by(|a, b| a.0 == b.0) {
            let sets: Vec<&[u32]> = part.iter().map(|&(_, i)| ids[i]).collect();
            // One cell: a bridge (above).
            if part.len() < 2 || union_at_least(&sets, k) {
                continue;
            }
            let s = part[0].0;
            // A visible cell of the line into that part adds to its sum
            // (the line's smallest into each side, found once); failing
            // that, one joining the part to another merges theirs.
            if !into_found {
                into_found = true;
                into.clear();
                into.extend(
                    (lines[v as usize].iter().copied().filter(visible))
                        .filter_map(|i| Some((side(v, other(i, v))?, i))),
                );
                into.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| order(&a.1, &b.1)));
                into.dedup_by_key(|&mut (s, _)| s);
            }
            match into.binary_search_by_key(&s, |&(s, _)| s) {
                Ok(j) => fixes.push(into[j].1),
                Err(_) => fixes.extend(join(v, s)?.into_iter().flatten()),
            }
        }
    }
    if cut.iter().any(|&c| c) {
        let (covered, open) = cover(
            nodes, &edges, &bridge, &cut, &ends, hidden, &in_graph, order,
        );
        fixes.extend(covered);
        // A bridge no single cell puts on a cycle: its side, seen from
        // its first end, is joined or extended as a part is.
        for e in open {
            let v = ends[e][0];
            let s = side(v, ends[e][1]).expect("the bridge joins them");
            fixes.extend(join(v, s)?.into_iter().flatten());
        }
    }
    if fixes.is_empty() {
        let cells = Cells {
            ends: &ends,
            rows,
            hidden,
            small,
            ids,
            k,
        };
        fixes = cross_fixes(&cells, &in_graph, order, nodes)?;
    }
    fixes.sort_unstable();
    fixes.dedup();
    Some(fixes)
}

/// How many steps [`cross_fixes`] may spend a round searching (see
/// [`small_cut`]) before it withholds the table: a bound on a round's cost
/// on hostile tables (a table has at most `EXACT_ROUNDS` rounds).
const CROSS_WORK: usize = 1 << 26;

/// The most nodes of the fewer kind (see [`small_cut`]) a part may have
/// for every choice of them to be tried (a safe part has a set for each,
/// and 2^27 sets cost more than `CROSS_WORK`); past it, each one's closure
/// alone is tried before the table is withheld.
const MAX_SEEDS: usize = 26;

/// A table's cells as [`exact_fixes`] sees them: each cell's two `ends`
/// (lines, the `rows` first, or `g`), which are hidden and which small.
struct Cells<'a> {
    ends: &'a [[u32; 2]],
    rows: usize,
    hidden: &'a [bool],
    small: &'a [bool],
    ids: &'a [&'a [u32]],
    k: u64,
}

impl Cells<'_> {
    /// Cell `i` as an arrow from its row to its column, `g` standing in
    /// for the missing one: a row's total counts it plus, a column's minus.
    fn arrow(&self, i: usize) -> (u32, u32) {
        let [a, b] = self.ends[i];
        match (a as usize) < self.rows {
            true => (a, b),
            false => (b, a),
        }
    }
}

/// Sums of hidden cells from several lines, which the bridges and parts of
/// [`exact_fixes`] (each at one line) do not see: a review found two
/// profiles' Others less a duration's hidden cells, all in those two
/// profiles, giving 4 scans of 4 installations.
///
/// A sum of totals, each row's taken `a` times and each column's `-b`
/// times, counts a cell `a - b` times (its row's less its column's; `g`
/// stands in for a missing row or column, at 0). It is a sum of hidden
/// cells when that is 0 or 1 at every hidden cell (the visible ones are
/// known). Cut at each level of the coefficients, such a sum is a union of
/// sums of one kind: a set `X` of lines (and maybe `g`) that no hidden cell
/// enters (its column in `X` and its row not) gives the sum of the hidden
/// cells leaving it (row in `X`, column not), and every such set gives
/// its sum. So the table is safe when every such sum about fewer than k
/// installations is empty, and only sums of small cells can be: the lines
/// that the other hidden cells join are taken together (a set holding
/// some of them and not others has one in its sum), each small cell
/// between two such groups is an arrow from its column's group to its
/// row's (a set holding the column's holds the row's), and groups on a
/// cycle of arrows together too. What is left has no cycles, and each of
/// its connected parts is searched for a closed set whose arrows in are
/// about fewer than k installations ([`small_cut`]).
///
/// Such a set takes the smallest visible cell leaving it (its sum then
/// holds a cell of k installations or more), else the smallest entering it
/// (it is then no set of that kind); the next round looks again (the cell
/// leaving it can join it to a larger set with the same sum). With
/// neither, nothing protects it, and with parts too costly to search
/// (`CROSS_WORK` steps a round for all of them, `MAX_SEEDS` each), it is
/// not known to be safe: `None`, the table withheld.
fn cross_fixes(
    cells: &Cells<'_>,
    in_graph: &impl Fn(usize) -> bool,
    order: &impl Fn(&usize, &usize) -> Ordering,
    nodes: usize,
) -> Option<Vec<usize>> {
    const NONE: u32 = u32::MAX;
    let Cells {
        hidden,
        small,
        ids,
        k,
        ..
    } = *cells;
    let n = hidden.len();
    // The lines the hidden cells of k installations or more join.
    let mut top: Vec<u32> = (0..nodes as u32).collect();
    for i in (0..n).filter(|&i| hidden[i] && !small[i] && in_graph(i)) {
        let [a, b] = cells.ends[i];
        unite(&mut top, a, b);
    }
    let group: Vec<u32> = (0..nodes as u32).map(|v| find(&mut top, v)).collect();
    let ends = |i: usize| {
        let (row, col) = cells.arrow(i);
        (group[row as usize], group[col as usize])
    };
    let mut arrows: Vec<usize> = (0..n)
        .filter(|&i| hidden[i] && small[i] && in_graph(i))
        .filter(|&i| ends(i).0 != ends(i).1)
        .collect();
    // The groups on a cycle of arrows (from column to row) together.
    let down = Adjacency::arrows(
        arrows.iter().map(|&i| (ends(i).1, i as u32, ends(i).0)),
        nodes,
    );
    let strong = strong_parts(&down);
    let of = |v: u32| strong[group[v as usize] as usize];
    let ends = |i: usize| {
        let (row, col) = cells.arrow(i);
        (of(row), of(col))
    };
    arrows.retain(|&i| ends(i).0 != ends(i).1);
    // Each connected part of what is left.
    let mut top: Vec<u32> = (0..nodes as u32).collect();
    for &i in &arrows {
        let (a, b) = ends(i);
        unite(&mut top, a, b);
    }
    let mut parts: Vec<(u32, usize)> = (arrows.iter())
        .map(|&i| (find(&mut top, ends(i).0), i))
        .collect();
    parts.sort_unstable();
    // The sets found, as the number of the set each group of theirs is in.
    let mut found = 0u32;
    let mut set_of = vec![NONE; nodes];
    let mut work = CROSS_WORK;
    for part in parts.chunk_by(|a, b| a.0 == b.0) {
        let arrows: Vec<usize> = part.iter().map(|&(_, i)| i).collect();
        let mut at: Vec<u32> = (arrows.iter())
            .flat_map(|&i| [ends(i).0, ends(i).1])
            .collect();
        at.sort_unstable();
        at.dedup();
        let local = |v: u32| at.binary_search(&v).expect("a group of the part") as u32;
        let ends: Vec<(u32, u32)> = (arrows.iter())
            .map(|&i| (local(ends(i).0), local(ends(i).1)))
            .collect();
        let (down, up) = (
            Adjacency::arrows((0..).zip(&ends).map(|(a, &(r, c))| (c, a, r)), at.len()),
            Adjacency::arrows((0..).zip(&ends).map(|(a, &(r, c))| (r, a, c)), at.len()),
        );
        let cells: Vec<&[u32]> = arrows.iter().map(|&i| ids[i]).collect();
        if let Some(inside) = small_cut(&down, &up, &cells, k, &mut work).ok()? {
            for (j, _) in inside.iter().enumerate().filter(|(_, x)| **x) {
                set_of[at[j] as usize] = found;
            }
            found += 1;
        }
    }
    // For each set, the smallest visible cell leaving it, and entering it,
    // those whose end outside the set has hidden cells first: hidden, a
    // cell whose far end has none only adds that end to the set, with the
    // same sum, and the next round would find it again (a review's table of
    // 4 rows by 70 columns took one column a round, and was withheld).
    let mut at_hidden = vec![false; nodes];
    for i in (0..n).filter(|&i| hidden[i] && in_graph(i)) {
        let (row, col) = cells.arrow(i);
        (at_hidden[row as usize], at_hidden[col as usize]) = (true, true);
    }
    let mut crossing = vec![[None::<(bool, usize)>; 2]; found as usize];
    for i in (0..n).filter(|&i| !hidden[i] && in_graph(i)) {
        let (row, col) = cells.arrow(i);
        let (r, c) = (set_of[of(row) as usize], set_of[of(col) as usize]);
        for (x, way, far) in [(r, 0, col), (c, 1, row)] {
            if x != NONE && r != c {
                let dead_end = !at_hidden[far as usize];
                let best = &mut crossing[x as usize][way];
                let better = |(d, b): (bool, usize)| dead_end.cmp(&d).then(order(&i, &b)).is_lt();
                if best.is_none_or(better) {
                    *best = Some((dead_end, i));
                }
            }
        }
    }
    crossing
        .iter()
        .map(|[leaving, entering]| leaving.or(*entering).map(|(_, i)| i))
        .collect()
}

/// The first closed set (holding, with a node, every node it has an arrow
/// to) of a graph without cycles whose arrows in from outside are about
/// fewer than k installations, as which nodes are in it. `down` lists
/// each node's arrows (arrow number, the node it points to), `up` the
/// same arrows turned around, and `cells` each arrow's installations.
/// `Ok(None)` when there is none, `Err(())` when the search would spend
/// more than `work` more steps (a node, an arrow, an installation or 64
/// nodes' bits looked at is one; what it spends is taken from `work`), or
/// has more than MAX_SEEDS nodes of the fewer kind to choose from (then
/// only the single nodes and each one's closure alone are tried).
///
/// A sum no other sum of such a set holds is enough to look at, and it is
/// given by a set whose nodes are joined (each joined piece of a closed
/// set is closed, with some of its arrows in) and, likewise, by one whose
/// complement's nodes are joined (adding to the set all but one of its
/// complement's pieces keeps it closed, with some of its arrows in: some
/// one has arrows into it). A joined set of two
/// nodes or more is the closure of its nodes with arrows out (a node
/// without is joined to it by an arrow in from one), and one node is a
/// node without; so are joined complements, with the arrows turned
/// around. The sets tried: the closures of every set of the fewer of the
/// two kinds (each closure a bit set, a set's the union of its nodes'),
/// and the single nodes without (or all but one of them, turned). A set's
/// arrows in are counted only until they reach k installations.
fn small_cut(
    down: &Adjacency,
    up: &Adjacency,
    cells: &[&[u32]],
    k: u64,
    work: &mut usize,
) -> Result<Option<Vec<bool>>, ()> {
    let m = down.start.len() - 1;
    let seeds = |a: &Adjacency| (0..m as u32).filter(|&v| !a.at(v).is_empty()).collect();
    let (heads, tails): (Vec<u32>, Vec<u32>) = (seeds(down), seeds(up));
    // Closures along `by`; the arrows in along `other`, from outside the
    // set (for the complement: the arrows leaving it).
    let (by, other, seeds, turned) = match heads.len() <= tails.len() {
        true => (down, up, heads, false),
        false => (up, down, tails, true),
    };
    let spend = |work: &mut usize, steps: usize| -> Result<(), ()> {
        *work = work.checked_sub(steps).ok_or(())?;
        Ok(())
    };
    let words = m.div_ceil(64);
    let has = |set: &[u64], v: u32| set[v as usize / 64] >> (v % 64) & 1 == 1;
    // Whether the arrows in from outside `set`, at its nodes `of`, are
    // about fewer than k installations (and not none).
    let mut who = FxHashSet::default();
    let mut small_in = |set: &[u64], of: &mut dyn Iterator<Item = u32>, work: &mut usize| {
        who.clear();
        let mut any = false;
        for v in of {
            spend(work, 1)?;
            for &(a, w) in other.at(v) {
                spend(work, 1)?;
                if has(set, w) {
                    continue;
                }
                let ids = cells[a as usize];
                spend(work, ids.len())?;
                any = true;
                for &id in ids {
                    if who.insert(id) && who.len() as u64 >= k {
                        return Ok(false);
                    }
                }
            }
        }
        Ok::<bool, ()>(any)
    };
    let found = |set: &[u64]| Some((0..m as u32).map(|v| has(set, v) != turned).collect());
    // The single nodes without arrows out.
    let mut one = vec![0u64; words];
    for v in (0..m as u32).filter(|&v| by.at(v).is_empty()) {
        one[v as usize / 64] |= 1 << (v % 64);
        if small_in(&one, &mut std::iter::once(v), work)? {
            return Ok(found(&one));
        }
        one[v as usize / 64] = 0;
    }
    // Each seed's closure, into a bit set.
    let mut todo = Vec::new();
    let mut close = |seed: u32, mine: &mut [u64], work: &mut usize| {
        mine[seed as usize / 64] |= 1 << (seed % 64);
        todo.push(seed);
        while let Some(v) = todo.pop() {
            spend(work, by.at(v).len())?;
            for &(_, w) in by.at(v) {
                if !has(mine, w) {
                    mine[w as usize / 64] |= 1 << (w % 64);
                    todo.push(w);
                }
            }
        }
        Ok::<(), ()>(())
    };
    // Every set of seeds of a safe part is tried, each for a step or
    // more: past MAX_SEEDS, the steps would run out anyway (and the bit
    // sets below grow with the seeds), so only each seed's closure alone
    // is tried, in one bit set.
    if seeds.len() > MAX_SEEDS {
        let mut mine = vec![0u64; words];
        for &seed in &seeds {
            spend(work, words)?;
            mine.fill(0);
            close(seed, &mut mine, work)?;
            if small_in(&mine, &mut ones(&mine), work)? {
                return Ok(found(&mine));
            }
        }
        return Err(());
    }
    let mut closure = vec![0u64; seeds.len() * words];
    for (j, &seed) in seeds.iter().enumerate() {
        close(seed, &mut closure[j * words..(j + 1) * words], work)?;
    }
    // Every set of seeds, depth first: a set at depth d + 1 is one at
    // depth d with the closure of one more seed (after its last) added.
    let mut sets = vec![0u64; (seeds.len() + 1) * words];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((depth, next)) = stack.pop() {
        if next == seeds.len() {
            continue;
        }
        stack.push((depth, next + 1));
        spend(work, words)?;
        let (above, below) = sets.split_at_mut((depth + 1) * words);
        let set = &mut below[..words];
        let seed = &closure[next * words..(next + 1) * words];
        for ((x, a), b) in set.iter_mut().zip(&above[depth * words..]).zip(seed) {
            *x = a | b;
        }
        let set = &*set;
        if small_in(set, &mut ones(set), work)? {
            return Ok(found(set));
        }
        stack.push((depth + 1, next + 1));
    }
    Ok(None)
}

/// The numbers of the bits set in a bit set, in order.
fn ones(set: &[u64]) -> impl Iterator<Item = u32> + '_ {
    (0..set.len()).flat_map(|i| {
        let mut bits = set[i];
        std::iter::from_fn(move || {
            (bits != 0).then(|| {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                (i * 64) as u32 + b
            })
        })
    })
}

/// The strongly connected parts of a directed graph (Tarjan's search,
/// iterative), numbered so that a part comes after every part it reaches.
fn strong_parts(arrows: &Adjacency) -> Vec<u32> {
    const NONE: u32 = u32::MAX;
    let nodes = arrows.start.len() - 1;
    let (mut time_in, mut low) = (vec![NONE; nodes], vec![0u32; nodes]);
    let (mut on_path, mut part) = (vec![false; nodes], vec![NONE; nodes]);
    let (mut time, mut parts) = (0u32, 0u32);
    let mut path = Vec::new();
    let mut stack: Vec<(u32, usize)> = Vec::new();
    for root in 0..nodes as u32 {
        if time_in[root as usize] != NONE {
            continue;
        }
        stack.push((root, 0));
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            let vu = v as usize;
            if *next == 0 && time_in[vu] == NONE {
                (time_in[vu], low[vu]) = (time, time);
                time += 1;
                path.push(v);
                on_path[vu] = true;
            }
            if let Some(&(_, w)) = arrows.at(v).get(*next) {
                *next += 1;
                if time_in[w as usize] == NONE {
                    stack.push((w, 0));
                } else if on_path[w as usize] {
                    low[vu] = low[vu].min(time_in[w as usize]);
                }
                continue;
            }
            stack.pop();
            if let Some(&(u, _)) = stack.last() {
                low[u as usize] = low[u as usize].min(low[vu]);
            }
            if low[vu] == time_in[vu] {
                while let Some(w) = path.pop() {
                    on_path[w as usize] = false;
                    part[w as usize] = parts;
                    if w == v {
                        break;
                    }
                }
                parts += 1;
            }
        }
    }
    part
}

/// The fewest visible cells (the smallest last one first, by `order`)
/// leading from the nodes `from` to a node that `to` accepts, or `None`
/// when none do.
fn fewest_cells(
    visible_at: &Adjacency,
    from: Vec<u32>,
    to: impl Fn(u32) -> bool,
    order: &impl Fn(&usize, &usize) -> Ordering,
) -> Option<Vec<usize>> {
    let nodes = visible_at.start.len() - 1;
    let mut came: Vec<Option<(usize, u32)>> = vec![None; nodes];
    let mut seen = vec![false; nodes];
    let mut frontier = from;
    frontier.iter().for_each(|&x| seen[x as usize] = true);
    loop {
        let mut step: Vec<(usize, u32, u32)> = (frontier.iter())
            .flat_map(|&x| (visible_at.at(x).iter()).map(move |&(c, y)| (c as usize, x, y)))
            .filter(|&(_, _, y)| !seen[y as usize])
            .collect();
        if step.is_empty() {
            return None;
        }
        step.sort_by(|a, b| order(&a.0, &b.0));
        if let Some(&(c, mut x, _)) = step.iter().find(|&&(_, _, y)| to(y)) {
            let mut path = vec![c];
            while let Some((c, from)) = came[x as usize] {
                path.push(c);
                x = from;
            }
            return Some(path);
        }
        frontier.clear();
        for (c, x, y) in step {
            if !seen[y as usize] {
                seen[y as usize] = true;
                came[y as usize] = Some((c, x));
                frontier.push(y);
            }
        }
    }
}

/// Some cells of a table's graph by node, each as (cell, other end): a
/// cell is an edge between its two `ends` (lines, or `g`).
struct Adjacency {
    start: Vec<u32>,
    list: Vec<(u32, u32)>,
}

impl Adjacency {
    /// Each of `cells` at both its `ends`.
    fn of(
        cells: impl Iterator<Item = usize> + Clone,
        ends: &[[u32; 2]],
        nodes: usize,
    ) -> Adjacency {
        let both = move |i: usize| {
            let [a, b] = ends[i];
            [(a, i as u32, b), (b, i as u32, a)]
        };
        Adjacency::arrows(cells.flat_map(both), nodes)
    }

    /// Arrows (from, cell, to), listed at `from`.
    fn arrows(arrows: impl Iterator<Item = (u32, u32, u32)> + Clone, nodes: usize) -> Adjacency {
        let mut start = vec![0u32; nodes + 1];
        for (at, _, _) in arrows.clone() {
            start[at as usize + 1] += 1;
        }
        for v in 0..nodes {
            start[v + 1] += start[v];
        }
        let mut list = vec![(0u32, 0u32); start[nodes] as usize];
        let mut fill = start.clone();
        for (at, i, other) in arrows {
            list[fill[at as usize] as usize] = (i, other);
            fill[at as usize] += 1;
        }
        Adjacency { start, list }
    }

    /// The cells at node `v`.
    fn at(&self, v: u32) -> &[(u32, u32)] {
        &self.list[self.start[v as usize] as usize..self.start[v as usize + 1] as usize]
    }
}

/// For each bridge in `cut`, the smallest visible cell (by `order`) whose
/// ends lie on its two sides: hidden, it puts the bridge on a cycle. Also
/// the bridges that no cell covers.
#[allow(clippy::too_many_arguments)]
fn cover<'e>(
    nodes: usize,
    edges: &impl Fn(u32) -> &'e [(u32, u32)],
    bridge: &[bool],
    cut: &[bool],
    ends: &[[u32; 2]],
    hidden: &[bool],
    in_graph: &impl Fn(usize) -> bool,
    order: &impl Fn(&usize, &usize) -> Ordering,
) -> (Vec<usize>, Vec<usize>) {
    const NONE: u32 = u32::MAX;
    // The parts the bridges join (the graph without its bridges).
    let mut part = vec![NONE; nodes];
    let mut parts = 0u32;
    let mut stack = Vec::new();
    for v in 0..nodes {
        if part[v] != NONE {
            continue;
        }
        part[v] = parts;
        stack.push(v as u32);
        while let Some(v) = stack.pop() {
            for &(e, w) in edges(v) {
                if !bridge[e as usize] && part[w as usize] == NONE {
                    part[w as usize] = parts;
                    stack.push(w);
                }
            }
        }
        parts += 1;
    }
    // The tree of parts, rooted: each part's parent, the bridge to it, depth.
    let p = parts as usize;
    let (mut up, mut up_edge, mut depth) = (vec![NONE; p], vec![NONE; p], vec![0u32; p]);
    let mut tree = vec![NONE; p];
    let mut by_part: Vec<Vec<u32>> = vec![Vec::new(); p];
    for v in 0..nodes {
        by_part[part[v] as usize].push(v as u32);
    }
    for root in 0..p {
        if tree[root] != NONE {
            continue;
        }
        tree[root] = root as u32;
        stack.push(root as u32);
        while let Some(c) = stack.pop() {
            for &v in &by_part[c as usize] {
                for &(e, w) in edges(v) {
                    let d = part[w as usize] as usize;
                    if bridge[e as usize] && tree[d] == NONE {
                        tree[d] = root as u32;
                        (up[d], up_edge[d], depth[d]) = (c, e, depth[c as usize] + 1);
                        stack.push(d as u32);
                    }
                }
            }
        }
    }
    // Visible cells joining two parts of one tree, smallest first, each
    // contracting the path between its ends' parts: a problem bridge on it
    // is covered by it.
    let part_of = |i: usize, end: usize| part[ends[i][end] as usize] as usize;
    let mut candidates: Vec<usize> = (0..hidden.len())
        .filter(|&i| !hidden[i] && in_graph(i))
        .filter(|&i| part_of(i, 0) != part_of(i, 1) && tree[part_of(i, 0)] == tree[part_of(i, 1)])
        .collect();
    candidates.sort_by(order);
    let mut top: Vec<u32> = (0..parts).collect();
    let mut covered = vec![false; cut.len()];
    let mut open = cut.iter().filter(|&&c| c).count();
    let mut chosen = Vec::new();
    for i in candidates {
        if open == 0 {
            break;
        }
        let (mut a, mut b) = (
            find(&mut top, part[ends[i][0] as usize]),
            find(&mut top, part[ends[i][1] as usize]),
        );
        let mut takes = false;
        while a != b {
            if depth[a as usize] < depth[b as usize] {
                std::mem::swap(&mut a, &mut b);
            }
            let e = up_edge[a as usize] as usize;
            if cut[e] {
                open -= 1;
                covered[e] = true;
                takes = true;
            }
            top[a as usize] = up[a as usize];
            a = find(&mut top, a);
        }
        if takes {
            chosen.push(i);
        }
    }
    let open = (0..cut.len()).filter(|&e| cut[e] && !covered[e]).collect();
    (chosen, open)
}

/// The top of `c`'s set in a union-find forest (`top[c] == c` at a top),
/// halving the path on the way.
fn find(top: &mut [u32], mut c: u32) -> u32 {
    while top[c as usize] != c {
        let next = top[top[c as usize] as usize];
        top[c as usize] = next;
        c = next;
    }
    c
}

/// Joins the sets of `a` and `b` in a union-find forest.
fn unite(top: &mut [u32], a: u32, b: u32) {
    let (a, b) = (find(top, a), find(top, b));
    top[a as usize] = b;
}

/// A row's group as a map key in the order tables show groups
/// ([`shown_key`]), so the lines and Other rows come in the order they did
/// when groups were text.
type GroupKey<'a> = (Option<&'a str>, Option<&'a Value>);

fn group_key(row: &Row) -> GroupKey<'_> {
    shown_key(row.group.as_ref())
}

fn label(row: &Row) -> String {
    format!(
        "{}\u{0}{}",
        row.group_text().unwrap_or(""),
        row.value.text()
    )
}

/// What a grouped metric's one-dimensional margins publish (the tables of
/// its groups' and its values' totals: `activity_by_week` and `versions`
/// for `versions_by_week`, `profiles` and `duration_buckets` for the
/// durations by profile): a total one of them hides must not be given away
/// by the grouped table's cells.
#[derive(Default)]
struct Margins<'a> {
    /// Groups whose total the group margin hides.
    hidden_groups: FxHashSet<&'a Value>,
    /// Values whose total the value margin shows (`None`: no margin).
    shown_values: Option<FxHashSet<&'a Value>>,
    /// A table by profile, and the profile table is published. Its counts
    /// are of scans started, these tables' of scans completed: no equation,
    /// but a bound that is exact whenever a profile's scans all complete.
    /// Each of its cells (a profile it shows, or its Other) then stands for
    /// that profile's completed scans, so each must be about at least k
    /// installations where it falls among the groups not published, or the
    /// table's total less the others gives it.
    profile_margin: bool,
    /// With `profile_margin`: the installations behind the profiles the
    /// profile table hides that have no group here (they completed no
    /// scan): its Other less the completed scans of the hidden profiles
    /// that do is theirs (a review read one installation's 4 scans so).
    stray_installations: u64,
    /// Values hidden from the start, whatever their size ([`optional_fields`]).
    forced_values: FxHashSet<Value>,
}

impl<'a> Margins<'a> {
    /// The margins of grouped metric `id`, from the metrics published so far.
    fn of(
        id: MetricId,
        summary: &'a Summary,
        out: &'a [PublishedMetric],
        ids: &CellIds,
    ) -> Margins<'a> {
        use MetricId as M;
        let values = match id {
            M::VersionsByWeek => Some(M::Versions),
            M::DurationBucketsByProfile => Some(M::DurationBuckets),
            M::FindingsBucketsByProfile => Some(M::FindingsBuckets),
            _ => None,
        };
        let mut margins = Margins {
            hidden_groups: FxHashSet::default(),
            shown_values: values.map(|m| out[m as usize].rows.iter().map(|r| &r.value).collect()),
            profile_margin: false,
            stray_installations: 0,
            forced_values: FxHashSet::default(),
        };
        // A withheld profile table publishes no cell to subtract.
        if matches!(
            id,
            M::DurationBucketsByProfile | M::FindingsBucketsByProfile
        ) && !out[M::Profiles as usize].withheld
        {
            margins.profile_margin = true;
            // The profile table counts scans started, these tables scans
            // completed: not a margin that adds up, but a completed scan
            // has started, so a profile it hides (as a complement, too)
            // shown whole here bounds what its Other holds besides it (a
            // review read 6 scans of 2 installations so, exact whenever
            // the profile's scans all complete).
            let shown: FxHashSet<&Value> = (out[M::Profiles as usize].rows.iter())
                .map(|r| &r.value)
                .collect();
            margins.hidden_groups = (summary.metric(M::Profiles).rows.iter())
                .map(|r| &r.value)
                .filter(|p| !shown.contains(p))
                .collect();
            let grouped: FxHashSet<&Value> = (summary.metric(id).rows.iter())
                .filter_map(|r| r.group.as_ref())
                .collect();
            margins.stray_installations = union_size(
                (summary.metric(M::Profiles).rows.iter())
                    .filter(|r| !shown.contains(&r.value) && !grouped.contains(&r.value))
                    .map(|r| ids.of(M::Profiles, r)),
            );
        }
        if id == M::VersionsByWeek {
            // The weekly activity publishes each week's events.
            let is_week = |r: &&Row| r.group_text() == Some("week");
            let shown: FxHashSet<&Value> = (out[M::ActiveInstallations as usize].rows.iter())
                .filter(is_week)
                .map(|r| &r.value)
                .collect();
            margins.hidden_groups = (summary.metric(M::ActiveInstallations).rows.iter())
                .filter(is_week)
                .map(|r| &r.value)
                .filter(|w| !shown.contains(w))
                .collect();
        }
        margins
    }
}

/// Applies the rules to one metric (not the derived ones); a grouped one
/// with what its `margins` publish.
fn publish_metric(
    metric: &MetricRows,
    ids: &CellIds,
    k: u64,
    margins: &Margins<'_>,
) -> PublishedMetric {
    let id = metric.id;
    let shape = shape(id);
    // Month rows of active installations overlap the weeks: only weeks are published.
    let rows: Vec<&Row> = metric
        .rows
        .iter()
        .filter(|r| !(id == MetricId::ActiveInstallations && r.group_text() == Some("month")))
        .collect();
    let sets: Vec<&[u32]> = rows.iter().map(|r| ids.of(id, r)).collect();
    let counts: Vec<u64> = rows.iter().map(|r| r.count).collect();
    let labels: Vec<String> = rows.iter().map(|r| label(r)).collect();
    let mut lines = Lines::default();
    // Groups whose total is not published (see [`residual_groups`]).
    let mut unpublished: BTreeSet<GroupKey<'_>> = BTreeSet::new();
    // A table by profile whose unpublished groups the profile table would
    // give away (see [`Margins::profile_margin`]): withheld.
    let mut margin_gives_away = false;
    match shape {
        Shape::Partition => lines.rows.push((0..rows.len()).collect()),
        Shape::Grouped => {
            let mut by_group: BTreeMap<GroupKey<'_>, Vec<usize>> = BTreeMap::new();
            let mut by_value: BTreeMap<Value, Vec<usize>> = BTreeMap::new();
            // The values whose totals the value margin hides: only their
            // sum is known (the margin's total less the values it shows).
            let mut hidden_values = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                by_group.entry(group_key(r)).or_default().push(i);
                match &margins.shown_values {
                    Some(shown) if !shown.contains(&r.value) => hidden_values.push(i),
                    _ => by_value.entry(r.value.clone()).or_default().push(i),
                }
            }
            let hidden_group =
                |g: &GroupKey<'_>| g.1.is_some_and(|g| margins.hidden_groups.contains(g));
            unpublished = residual_groups(&by_group, &sets, &counts, k, hidden_group);
            if margins.profile_margin && !unpublished.is_empty() {
                // The profile table's cells among the unpublished groups:
                // each profile it shows alone, the ones it hides together.
                let installations = |groups: Vec<&GroupKey<'_>>| {
                    union_size(
                        groups
                            .into_iter()
                            .flat_map(|g| by_group[g].iter().map(|&i| sets[i])),
                    )
                };
                let hidden: Vec<&GroupKey<'_>> =
                    unpublished.iter().filter(|g| hidden_group(g)).collect();
                let shown_small = (unpublished.iter())
                    .filter(|g| !hidden_group(g))
                    .any(|g| installations(vec![g]) < k);
                let stray = margins.stray_installations;
                margin_gives_away = shown_small
                    || (!hidden.is_empty() && installations(hidden) < k)
                    || (stray > 0 && stray < k);
            }
            let mut residual = Vec::new();
            for (group, members) in by_group {
                if unpublished.contains(&group) {
                    residual.extend(members);
                } else {
                    lines.rows.push(members);
                }
            }
            if !residual.is_empty() {
                lines.rows.push(residual);
            }
            lines.cols.extend(by_value.into_values());
            if !hidden_values.is_empty() {
                lines.cols.push(hidden_values);
            }
        }
        Shape::Overlapping | Shape::Derived => {}
    }
    // The denominator is the events of every row: behind fewer than k
    // installations, it is itself a small cell.
    // (Derived metrics are judged by [`publish`].)
    let too_few = shape != Shape::Derived && !rows.is_empty() && !union_at_least(&sets, k)
        || margin_gives_away;
    let forced: Vec<bool> = if unpublished.is_empty() && margins.forced_values.is_empty() {
        Vec::new()
    } else {
        rows.iter()
            .map(|r| {
                unpublished.contains(&group_key(r)) || margins.forced_values.contains(&r.value)
            })
            .collect()
    };
    let (hidden, withheld) = match suppress_from(&sets, &counts, &labels, &lines, k, &forced) {
        Some(h) if !too_few => (h, false),
        _ => (vec![true; rows.len()], true),
    };
    let complementary = hidden
        .iter()
        .zip(&sets)
        .filter(|(h, s)| **h && s.len() as u64 >= k)
        .count();
    let counts_installations = matches!(
        id,
        MetricId::ActiveInstallations | MetricId::EventsPerInstallation
    );
    let mut others = Vec::new();
    if !withheld && matches!(shape, Shape::Partition | Shape::Grouped) {
        // One Other per line that partitions a published total: the metric,
        // or each group.
        let mut groups: BTreeMap<GroupKey<'_>, Vec<usize>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            groups.entry(group_key(r)).or_default().push(i);
        }
        for (key, members) in groups {
            let group = key.1;
            let gone: Vec<usize> = members.iter().copied().filter(|&i| hidden[i]).collect();
            // A group in the residual has no total of its own to publish.
            if gone.is_empty() || unpublished.contains(&key) {
                continue;
            }
            let installations = union_size(gone.iter().map(|&i| sets[i]));
            if installations < k {
                // Everything left in this line is small (nothing more could
                // be hidden): the line itself is not published.
                continue;
            }
            let events: u64 = gone
                .iter()
                .map(|&i| rows[i].events.unwrap_or(rows[i].count))
                .sum();
            let count = if counts_installations {
                installations
            } else {
                gone.iter().map(|&i| rows[i].count).sum()
            };
            let of = if shape == Shape::Grouped {
                members.iter().map(|&i| rows[i].count).sum()
            } else {
                metric.denominator
            };
            let mut row = Row::new(Value::Str(OTHER.into()), count);
            row.other = true;
            row.group = group.cloned();
            row.installations = Some(installations);
            if counts_installations {
                row.events = Some(events);
            }
            row.share = (of > 0).then(|| round6(count as f64 / of as f64));
            others.push(row);
        }
    }
    let visible: Vec<Row> = rows
        .iter()
        .zip(&hidden)
        .filter(|(_, h)| !**h)
        .map(|(r, _)| (*r).clone())
        .collect();
    let total_hidden = hidden.iter().filter(|h| **h).count();
    PublishedMetric {
        id,
        denominator: metric.denominator,
        rows: visible,
        others,
        hidden_small: total_hidden - complementary,
        hidden_complementary: complementary,
        withheld,
    }
}

/// The groups of a grouped metric whose totals are not published: those
/// about fewer than k installations (their cells are all small), those
/// whose total the group margin hides (`hidden`), and, when those together
/// are about fewer than k, the smallest others in turn until they are not. The metric's denominator, and its one-dimensional margin,
/// is the sum of every group: with the published groups' totals known,
/// what is left is these groups' sum, which must not be about a small group
/// of installations. Their cells form one more line (its total is that
/// difference), and they get no Other row.
fn residual_groups<'a>(
    by_group: &BTreeMap<GroupKey<'a>, Vec<usize>>,
    sets: &[&[u32]],
    counts: &[u64],
    k: u64,
    hidden: impl Fn(&GroupKey<'a>) -> bool,
) -> BTreeSet<GroupKey<'a>> {
    let ids_of = |members: &[usize]| -> Vec<&[u32]> { members.iter().map(|&i| sets[i]).collect() };
    let mut residual: BTreeSet<GroupKey<'a>> = BTreeSet::new();
    let mut published: Vec<(u64, u64, GroupKey<'a>)> = Vec::new();
    for (&group, members) in by_group {
        if !hidden(&group) && union_at_least(&ids_of(members), k) {
            let installations = union_size(members.iter().map(|&i| sets[i]));
            let events = members.iter().map(|&i| counts[i]).sum();
            published.push((installations, events, group));
        } else {
            residual.insert(group);
        }
    }
    // Smallest last: popped first.
    published.sort_by(|a, b| b.cmp(a));
    let members_of = |residual: &BTreeSet<GroupKey<'a>>| -> Vec<&[u32]> {
        residual
            .iter()
            .flat_map(|g| by_group[g].iter().map(|&i| sets[i]))
            .collect()
    };
    while !residual.is_empty() && !union_at_least(&members_of(&residual), k) {
        match published.pop() {
            Some((_, _, group)) => {
                residual.insert(group);
            }
            None => break,
        }
    }
    residual
}

/// Applies the rules to every metric of a summary, with `event_types` in
/// place of the summary's own (the report's holds usage events only).
pub fn publish(
    summary: &Summary,
    event_types: &MetricRows,
    ids: &CellIds,
    tools: &ToolsByProfile,
    k: u64,
) -> Vec<PublishedMetric> {
    let none = Margins::default();
    let mut out: Vec<PublishedMetric> = summary
        .metrics
        .iter()
        .map(|m| match m.id {
            MetricId::EventTypes => publish_metric(event_types, ids, k, &none),
            // After their margins, below.
            _ if shape(m.id) == Shape::Grouped => PublishedMetric::nothing(m.id),
            _ => publish_metric(m, ids, k, &none),
        })
        .collect();
    for m in summary
        .metrics
        .iter()
        .filter(|m| shape(m.id) == Shape::Grouped)
    {
        let published = publish_metric(m, ids, k, &Margins::of(m.id, summary, &out, ids));
        out[m.id as usize] = published;
    }
    optional_fields(summary, ids, k, &mut out);
    // A metric of one event type publishes that type's count (its
    // denominator; its rows and Other rows add up to it): only when the
    // event-type table shows that type's row.
    let types_withheld = out[MetricId::EventTypes as usize].withheld;
    let shown_types: FxHashSet<String> = out[MetricId::EventTypes as usize]
        .rows
        .iter()
        .map(|r| r.value.text().to_owned())
        .collect();
    for m in &mut out {
        let shown = match counted_types(m.id) {
            None => m.id == MetricId::EventTypes || !types_withheld,
            Some(types) => types.iter().all(|t| shown_types.contains(*t)),
        };
        // Also a metric of no events: "Withheld" beside "Share of 0" would
        // tell that a hidden type had some (a review). The derived ones
        // follow the metrics they are made of, below.
        if !shown && !m.withheld && shape(m.id) != Shape::Derived {
            m.withhold();
        }
    }
    // The client's own multi-target flag restates `multi_target`'s shapes
    // (EVENTS.md: true when more than one target type is non-empty), so
    // the two tables read together give what either hides: a review read
    // an old client's 4 scans, hidden as `null`, off 64 single less 60
    // `false`; and with every cell shown, the scans whose flag disagrees
    // with their targets (a few installations' in the sample). Not
    // published: `multi_target` says it from the targets themselves.
    out[MetricId::MultiTargetReported as usize].withhold();
    // A list metric counts the events that carry a list; the rest of its
    // type (older clients' events without one) would be the difference of
    // two published counts, about installations no cell counts: its shares
    // are over every event of the type. And each row has a complement, the
    // events without that item (the total less the row): a row is shown
    // only when that is none, or when at least k installations of the type
    // never sent the item (each of them is in the complement).
    for id in [MetricId::ScanTools, MetricId::OutputFormats] {
        let ty = counted_types(id).map_or("", |t| t[0]);
        let Some(all) = event_types.rows.iter().find(|r| r.value.text() == ty) else {
            continue;
        };
        let population = ids.of(MetricId::EventTypes, all).len() as u64;
        let m = &mut out[id as usize];
        if m.withheld || all.count == 0 {
            continue;
        }
        m.denominator = all.count;
        let before = m.rows.len();
        m.rows.retain(|r| {
            r.count == all.count || population.saturating_sub(ids.of(id, r).len() as u64) >= k
        });
        m.hidden_complementary += before - m.rows.len();
        for r in &mut m.rows {
            r.share = Some(round6(r.count as f64 / all.count as f64));
        }
    }
    let tool_holders = tools_read_off_profiles(&mut out, summary, ids, tools, k);
    // The values shown (a set: a client can send a million tools).
    let visible = |id: MetricId| -> FxHashSet<&Value> {
        out[id as usize].rows.iter().map(|r| &r.value).collect()
    };
    // Failure rates: shown when both the failures and the runs are shown.
    let rates = summary.metric(MetricId::ToolFailureRates);
    let (failures, runs) = (
        visible(MetricId::ToolFailures),
        visible(MetricId::ScanTools),
    );
    let shown: Vec<Row> = rates
        .rows
        .iter()
        .filter(|r| failures.contains(&r.value) && runs.contains(&r.value))
        .cloned()
        .collect();
    let hidden = rates.rows.len() - shown.len();
    let withheld =
        out[MetricId::ToolFailures as usize].withheld || out[MetricId::ScanTools as usize].withheld;
    out[MetricId::ToolFailureRates as usize] = PublishedMetric {
        id: MetricId::ToolFailureRates,
        denominator: rates.denominator,
        rows: if withheld { Vec::new() } else { shown },
        others: Vec::new(),
        hidden_small: if withheld { rates.rows.len() } else { hidden },
        hidden_complementary: 0,
        withheld,
    };
    // Wizard duration: quartiles only, and only over at least k installations.
    let wizard_installations = union_size(
        summary
            .metric(MetricId::WizardProfiles)
            .rows
            .iter()
            .map(|r| ids.of(MetricId::WizardProfiles, r)),
    );
    let wd = summary.metric(MetricId::WizardDuration);
    // Over the runs that carry a duration: only when that is every run, or
    // the runs without one would be the difference of two counts.
    let runs = (event_types.rows.iter())
        .find(|r| r.value.text() == "wizard.completed")
        .map_or(0, |r| r.count);
    let withheld = out[MetricId::WizardProfiles as usize].withheld || wd.denominator != runs;
    let rows: Vec<Row> = if wizard_installations >= k && !withheld {
        wd.rows
            .iter()
            .filter(|r| matches!(r.value.text(), "p25" | "median" | "p75"))
            .cloned()
            .map(|mut r| {
                r.installations = Some(wizard_installations);
                r.seconds = r.seconds.map(rounded_seconds);
                r
            })
            .collect()
    } else {
        Vec::new()
    };
    out[MetricId::WizardDuration as usize] = PublishedMetric {
        id: MetricId::WizardDuration,
        denominator: wd.denominator,
        hidden_small: wd.rows.len() - rows.len(),
        rows,
        others: Vec::new(),
        hidden_complementary: 0,
        withheld,
    };
    withhold_small_complements(&mut out, summary, event_types, ids, tools, &tool_holders, k);
    out
}

/// A profile's scans inside a tool's runs. A reader who knows which tools
/// a profile enables (JMo documents each profile's) takes a tool's runs
/// less the scans of the published profiles that always enable it, and has
/// the scans of the other profiles that enabled it: those of a profile the
/// table hides, or of one that does not always enable it (a review: in the
/// example report osv-scanner's 57 less deep's 56 was one installation's
/// custom scan, and bandit's 69 less 56 three installations'). And the
/// scans of the profiles that enable it (the published ones, and Other as
/// one when a hidden one does) less its runs are their scans without it
/// (reviews: Other's 7 less custom's 5 was one installation's 2 scans;
/// balanced's 20 and deep's 20 less zap's 38 another's 2). A tool's row is
/// shown only when each of the two is none or about at least k
/// installations; else it is hidden with the rows hidden as complements
/// (and its failure rate, which needs its runs, with it). A quarter with
/// more pairs of profile and tool than are tallied ([`super::joint`])
/// withholds the table. Returns, by tool, the installations of the one
/// published row that holds all its scans, where there is one (Other's,
/// or one profile's), for `withhold_small_complements`.
fn tools_read_off_profiles(
    out: &mut [PublishedMetric],
    summary: &Summary,
    ids: &CellIds,
    tools: &ToolsByProfile,
    k: u64,
) -> FxHashMap<String, Vec<u32>> {
    let mut holders = FxHashMap::default();
    let profiles = &out[MetricId::Profiles as usize];
    if profiles.withheld || out[MetricId::ScanTools as usize].withheld {
        return holders;
    }
    if tools.overflowed() {
        out[MetricId::ScanTools as usize].withhold();
        return holders;
    }
    fn key(v: &Value) -> Option<Option<&str>> {
        match v {
            Value::Null => Some(None),
            Value::Str(p) => Some(Some(p.as_str())),
            Value::Bool(_) => None,
        }
    }
    // The published profiles' scans (the events without one as `None`).
    let shown: FxHashMap<Option<&str>, u64> = (profiles.rows.iter())
        .filter_map(|r| key(&r.value).map(|p| (p, r.count)))
        .collect();
    // The hidden ones (Other's), the most installations first: their
    // scans, and installations.
    let summary_profiles = summary.metric(MetricId::Profiles);
    let hidden_rows: Vec<&Row> = (summary_profiles.rows.iter())
        .filter(|r| key(&r.value).is_some_and(|p| !shown.contains_key(&p)))
        .collect();
    let hidden_scans: u64 = hidden_rows.iter().map(|r| r.count).sum();
    let mut hidden: Vec<(&Value, &[u32])> = (hidden_rows.iter())
        .map(|r| (&r.value, ids.of(MetricId::Profiles, r)))
        .collect();
    hidden.sort_by_key(|(_, set)| std::cmp::Reverse(set.len()));
    let cap = usize::try_from(k).unwrap_or(usize::MAX);
    // Per tool: the scans of the published profiles that always enable
    // it; of those that enable it only sometimes (and those profiles); of
    // the hidden ones; and up to k installations of the last two.
    #[derive(Default)]
    struct Parts<'a> {
        /// The published profiles that enable it, and the last of them.
        shown_users: usize,
        user: Option<Option<&'a str>>,
        enclosed: u64,
        sometimes: u64,
        users: Vec<(u64, &'a Profile, &'a Cell)>,
        hidden: u64,
        /// Up to k installations of the sometimes-enabling published
        /// profiles' scans with it, and of the hidden profiles'.
        ids: Ids,
        hidden_ids: Ids,
    }
    let mut by_tool: FxHashMap<&str, Parts> = FxHashMap::default();
    for (profile, tallied) in tools.iter() {
        let scans = shown.get(&profile).copied();
        for (tool, cell) in &tallied.tools {
            let parts = by_tool.entry(tool).or_default();
            if scans.is_some() {
                parts.shown_users += 1;
                parts.user = Some(profile);
            }
            match scans {
                Some(scans) if scans == cell.events => {
                    parts.enclosed += cell.events;
                    continue;
                }
                Some(scans) => {
                    parts.sometimes += cell.events;
                    parts.users.push((scans, tallied, cell));
                    for &id in &cell.ids {
                        parts.ids.add(id, cap);
                    }
                }
                None => {
                    parts.hidden += cell.events;
                    for &id in &cell.ids {
                        parts.hidden_ids.add(id, cap);
                    }
                }
            }
        }
    }
    // Whether the scans without `tool` of the profiles that enable it
    // (`users`, published; and all the hidden ones, with `hidden`) are
    // about at least k installations (the joint tally keeps k of them for
    // each profile and tool). A bounded walk of the hidden ones, the most
    // installations first: past it, taken as fewer.
    const WALK: usize = 1024;
    let without_reach_k = |tool: &str, users: &[(u64, &Profile, &Cell)], hidden_too| {
        let mut found: FxHashSet<u64> = FxHashSet::default();
        let mut add = |tallied: &Profile, cell: Option<&Cell>| {
            found.extend(cell.map_or(&tallied.ids, |cell| &cell.without));
            found.len() >= cap
        };
        if users
            .iter()
            .any(|&(_, tallied, cell)| add(tallied, Some(cell)))
        {
            return true;
        }
        hidden_too
            && (hidden.iter().take(WALK))
                .filter_map(|(profile, _)| tools.of(profile))
                .any(|tallied| add(tallied, tallied.tools.get(tool)))
    };
    // When only hidden profiles enable a tool, Other's installations hold
    // the tool's, and when one published profile alone does, that
    // profile's: see `withhold_small_complements` (reviews: Other's 6
    // installations less t's 5, and balanced's 22 less zap's 20, said how
    // many never ran it; the check of the scans without it, below, counts
    // the installations of those scans, which may have run it too).
    let profile_sets: FxHashMap<Option<&str>, &[u32]> = (summary_profiles.rows.iter())
        .filter_map(|r| key(&r.value).map(|p| (p, ids.of(MetricId::Profiles, r))))
        .collect();
    let mut of_hidden: Vec<u32> = hidden
        .iter()
        .flat_map(|(_, set)| set.iter().copied())
        .collect();
    of_hidden.sort_unstable();
    of_hidden.dedup();
    for r in &out[MetricId::ScanTools as usize].rows {
        let Some(parts) = by_tool.get(r.value.text()) else {
            continue;
        };
        let holder = match (parts.shown_users, parts.hidden > 0, parts.user) {
            (0, true, _) => Some(of_hidden.clone()),
            (1, false, Some(profile)) => profile_sets.get(&profile).map(|set| set.to_vec()),
            _ => None,
        };
        if let Some(holder) = holder {
            holders.insert(r.value.text().to_owned(), holder);
        }
    }
    let m = &mut out[MetricId::ScanTools as usize];
    let before = m.rows.len();
    m.rows.retain(|r| {
        let Some(parts) = by_tool.get(r.value.text()) else {
            return true;
        };
        if parts.sometimes + parts.hidden == 0 {
            return true;
        }
        // Its runs less the profiles that always enable it: Other's too
        // when every scan of the hidden profiles enabled it (a review:
        // nuclei's 70 less balanced's 45 less Other's 17 gave custom's 8
        // scans of 2 installations, to a reader who knows the hidden
        // profiles enable it).
        let other_always = parts.hidden > 0 && parts.hidden == hidden_scans;
        let rest = if other_always {
            (parts.sometimes > 0).then(|| parts.ids.len())
        } else {
            let mut ids = parts.ids.clone();
            for &id in &parts.hidden_ids {
                ids.add(id, cap);
            }
            Some(ids.len())
        };
        if (parts.enclosed > 0 || other_always) && rest.is_some_and(|n| n < cap) {
            return false;
        }
        // The profiles that enable it (Other's as one, when a hidden one
        // does) less its runs: their scans without it.
        let without: u64 = (parts.users.iter())
            .map(|&(scans, _, cell)| scans - cell.events)
            .sum::<u64>()
            + if parts.hidden > 0 {
                hidden_scans - parts.hidden
            } else {
                0
            };
        without == 0 || without_reach_k(r.value.text(), &parts.users, parts.hidden > 0)
    });
    m.hidden_complementary += before - m.rows.len();
    holders
}

/// The last pass over every published row, whatever its table's shape:
/// its installations are withheld when some published count of
/// installations that holds them, less them, leaves fewer than k but not
/// none (those that never sent the value): all installations (the key
/// figure), its event types' (the event-type table), its group's (a table
/// by profile). Such a row keeps its events and share (hiding the row
/// instead emptied whole tables into one Other); installations do not add
/// up across rows, so no other figure gives them back. A first rule, for
/// partitions against their type only, was undone elsewhere: a type
/// withheld as 40 of 42 was every profile row's 40, the list tables', scan
/// completion's and the failure rates' (9 of 10 failing installations).
/// With this pass no published count of installations is within k of all
/// of them, or of its type's or group's, and a count withheld so is printed
/// nowhere else. The weekly
/// activity and the events-per-installation buckets count installations
/// (their rows' main figure) and are left to the subtraction rules.
fn withhold_small_complements(
    out: &mut [PublishedMetric],
    summary: &Summary,
    event_types: &MetricRows,
    ids: &CellIds,
    tools: &ToolsByProfile,
    tool_holders: &FxHashMap<String, Vec<u32>>,
    k: u64,
) {
    let type_sets: FxHashMap<&str, &[u32]> = (event_types.rows.iter())
        .map(|r| (r.value.text(), ids.of(MetricId::EventTypes, r)))
        .collect();
    let all = union_size(type_sets.values().copied());
    let mut by_size: Vec<&[u32]> = type_sets.values().copied().collect();
    by_size.sort_by_key(|set| set.len());
    let near = |n: u64, of: u64| n < of && of - n < k;
    // The installations of every row withheld here.
    let mut withheld: Vec<&[u32]> = Vec::new();
    let shown_tools: FxHashSet<String> = (out[MetricId::ScanTools as usize].rows.iter())
        .map(|r| r.value.text().to_owned())
        .collect();
    for m in out.iter_mut() {
        if matches!(
            m.id,
            MetricId::ActiveInstallations | MetricId::EventsPerInstallation
        ) {
            continue;
        }
        let mut of: Vec<u64> = vec![all];
        of.extend(
            counted_types(m.id)
                .unwrap_or(&[])
                .iter()
                .filter_map(|t| type_sets.get(t).map(|s| s.len() as u64)),
        );
        // A group's installations: those of all its cells.
        let mut groups: FxHashMap<Option<Value>, Vec<&[u32]>> = FxHashMap::default();
        if shape(m.id) == Shape::Grouped {
            for r in &summary.metric(m.id).rows {
                groups
                    .entry(r.group.clone())
                    .or_default()
                    .push(ids.of(m.id, r));
            }
        }
        let group_size: FxHashMap<Option<Value>, u64> = groups
            .into_iter()
            .map(|(g, sets)| (g, union_size(sets)))
            .collect();
        // Published counts a reader takes to hold this row's installations
        // though no rule makes them: another event type's (scan.completed
        // inside scan.started: 28 of 30 said 2 never completed), the tool's
        // runs (zap's 10 failing installations inside its 12 runs), and a
        // cell's value margin (a cell by profile inside its duration's
        // row). Each counts only when it does hold them.
        let id = m.id;
        let margin = match id {
            MetricId::DurationBucketsByProfile => Some(MetricId::DurationBuckets),
            MetricId::FindingsBucketsByProfile => Some(MetricId::FindingsBuckets),
            MetricId::VersionsByWeek => Some(MetricId::Versions),
            MetricId::ToolFailures | MetricId::ToolFailureRates => Some(MetricId::ScanTools),
            _ => None,
        };
        // The margin's rows by value (a table of a million values is
        // looked up, not scanned, for each cell).
        let margin_sets: FxHashMap<&Value, &[u32]> = margin.map_or_else(FxHashMap::default, |mm| {
            (summary.metric(mm).rows.iter())
                .filter(|r| r.group.is_none())
                .map(|r| (&r.value, ids.of(mm, r)))
                .collect()
        });
        // A table by profile: each profile's row of the profile table holds
        // the installations of its cells that also started such a scan (a
        // review: deep's cells of 12 inside its row of 14 said 2 never
        // completed one).
        let profile_sets: FxHashMap<&Value, &[u32]> = if matches!(
            id,
            MetricId::DurationBucketsByProfile | MetricId::FindingsBucketsByProfile
        ) {
            (summary.metric(MetricId::Profiles).rows.iter())
                .map(|r| (&r.value, ids.of(MetricId::Profiles, r)))
                .collect()
        } else {
            FxHashMap::default()
        };
        // A profile's row: the published runs of each tool it always
        // enables hold its installations (osv-scanner's 18 installations
        // less deep's 17 said one never ran deep: see
        // `tools_read_off_profiles`).
        let tool_sets: FxHashMap<&str, &[u32]> = if id == MetricId::Profiles {
            (summary.metric(MetricId::ScanTools).rows.iter())
                .filter(|r| shown_tools.contains(r.value.text()))
                .map(|r| (r.value.text(), ids.of(MetricId::ScanTools, r)))
                .collect()
        } else {
            FxHashMap::default()
        };
        let enabled_always = |row: &Row| -> Vec<&[u32]> {
            if id != MetricId::Profiles {
                return Vec::new();
            }
            (tools.of(&row.value).into_iter())
                .flat_map(|profile| &profile.tools)
                .filter(|(_, cell)| cell.events == row.count)
                .filter_map(|(tool, _)| tool_sets.get(&**tool).copied())
                .collect()
        };
        let holders = |row: &Row| -> Vec<u64> {
            if row.other {
                return Vec::new();
            }
            let own = installations_of(id, row, ids);
            // Every event type's within k above it (a row of scan.completed
            // inside scan.started's too), and its value's margin.
            let n = own.len();
            let from = by_size.partition_point(|set| set.len() <= n);
            let to = by_size.partition_point(|set| (set.len() as u64) < n as u64 + k);
            (by_size[from..to.max(from)].iter().copied())
                .chain(margin_sets.get(&row.value).copied())
                .chain(
                    row.group
                        .as_ref()
                        .and_then(|g| profile_sets.get(g))
                        .copied(),
                )
                .chain(enabled_always(row))
                .chain(
                    (tool_holders.get(row.value.text()))
                        .filter(|_| id == MetricId::ScanTools)
                        .map(Vec::as_slice),
                )
                // Only those within k above it matter; sizes first, so a
                // cell of 6 is never walked against a margin of 100,000.
                .filter(|big| big.len() > n && (big.len() as u64) < n as u64 + k)
                .filter(|big| subset(own, big))
                .map(|big| big.len() as u64)
                .collect()
        };
        let (rows, others) = (&mut m.rows, &mut m.others);
        for row in rows.iter_mut().chain(others.iter_mut()) {
            let Some(n) = row.installations else { continue };
            let in_group = group_size.get(&row.group).copied();
            let held_by = holders(row);
            // An Other row has no cell to test for a subset: its profile's
            // row is taken to hold it.
            let in_profile = (row.other)
                .then(|| row.group.as_ref().and_then(|g| profile_sets.get(g)))
                .flatten()
                .map(|set| set.len() as u64);
            if of
                .iter()
                .chain(&in_group)
                .chain(&in_profile)
                .chain(&held_by)
                .any(|&p| near(n, p))
            {
                row.installations = None;
                let own = installations_of(id, row, ids);
                if !row.other && !own.is_empty() {
                    withheld.push(own);
                }
            }
        }
    }
    // A count withheld above is the count of its installations, wherever
    // they are: another row with the same installations prints it (a
    // review: zap's 9 failing installations, withheld inside its 11 runs,
    // were the tool.failed type's 9 and the timeout row's 9, so 2 ran it
    // without a failure).
    if withheld.is_empty() {
        return;
    }
    withheld.sort_unstable();
    withheld.dedup();
    for m in out.iter_mut() {
        let id = m.id;
        for row in m.rows.iter_mut().chain(m.others.iter_mut()) {
            if row.other || row.installations.is_none() {
                continue;
            }
            let own = installations_of(id, row, ids);
            if !own.is_empty() && withheld.binary_search(&own).is_ok() {
                row.installations = None;
            }
        }
    }
}

/// The installations behind a published row, as [`CellIds`] holds them (a
/// failure rate's are its failures').
fn installations_of<'a>(id: MetricId, row: &Row, ids: &'a CellIds) -> &'a [u32] {
    match id {
        MetricId::ToolFailureRates => ids.of(MetricId::ToolFailures, row),
        _ => ids.of(id, row),
    }
}

/// Whether every id of `small` is in `big` (both ascending).
fn subset(small: &[u32], big: &[u32]) -> bool {
    let mut big = big.iter();
    small.iter().all(|id| big.any(|b| b == id))
}

/// A quartile of the wizard's time as published: each is one run's exact
/// duration (or between two), so it is rounded, to 10 s below 10 minutes
/// and to the minute above.
pub fn rounded_seconds(s: f64) -> f64 {
    let step = if s < 600.0 { 10.0 } else { 60.0 };
    (s / step).round() * step
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u32, from: u32) -> Vec<u32> {
        (from..from + n).collect()
    }

    /// The wizard's quartiles as README says they are published: to 10 s,
    /// to the minute from 10 minutes, a half up.
    #[test]
    fn wizard_times_are_rounded_as_readme_says() {
        for (s, published) in [
            (24.9, 20.0),
            (25.0, 30.0),
            (594.0, 590.0),
            (599.0, 600.0),
            (600.0, 600.0),
            (635.0, 660.0),
            (1234.0, 1260.0),
            (0.0, 0.0),
        ] {
            assert_eq!(rounded_seconds(s), published, "{s}");
        }
    }

    /// The rows and columns of a full grid, cells numbered row by row.
    fn grid(rows: usize, cols: usize) -> Lines {
        Lines {
            rows: (0..rows)
                .map(|r| (r * cols..(r + 1) * cols).collect())
                .collect(),
            cols: (0..cols)
                .map(|c| (c..rows * cols).step_by(cols).collect())
                .collect(),
        }
    }

    /// Sets of installations of these sizes, no two sharing one.
    fn disjoint(sizes: &[u32]) -> Vec<Vec<u32>> {
        let mut from = 0;
        (sizes.iter())
            .map(|&n| {
                from += n;
                ids(n, from - n)
            })
            .collect()
    }

    /// One line of the first `n` cells.
    fn one_line(n: usize) -> Lines {
        Lines {
            rows: vec![(0..n).collect()],
            cols: Vec::new(),
        }
    }

    proptest::proptest! {
        /// `union_at_least` answers as the union's size does, whether or
        /// not one list reaches k alone.
        #[test]
        fn union_at_least_is_the_union_size_compared(
            lists in proptest::collection::vec(
                proptest::collection::btree_set(0u32..40, 0..12), 0..6),
            k in 0u64..30,
        ) {
            let lists: Vec<Vec<u32>> = lists.into_iter().map(|s| s.into_iter().collect()).collect();
            let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            proptest::prop_assert_eq!(
                union_at_least(&sets, k),
                union_size(sets.iter().copied()) >= k
            );
        }
    }

    /// Cells are found by their label whatever the table's growth; two
    /// cells with one label (an integer and its digits as text) hold the
    /// union of their installations; a label never added holds none.
    #[test]
    fn cells_are_found_by_label_and_cells_that_share_one_merge() {
        let mut ids = CellIds {
            members: vec![1, 4, 9, 2, 4, 7],
            ..CellIds::default()
        };
        let key = |group: Option<&str>, v: &str| {
            (
                MetricId::DurationBucketsByProfile,
                group.map(Value::from),
                Value::Str(v.into()),
            )
        };
        ids.add(key(Some("fast"), "3"), (0, 3));
        ids.add(key(None, "3"), (3, 4));
        ids.add(key(Some("fast"), "3"), (3, 6));
        fn of_in(ids: &CellIds, metric: MetricId, group: Option<&str>, v: &str) -> Vec<u32> {
            let mut r = Row::new(Value::Str(v.into()), 0);
            r.group = group.map(Value::from);
            ids.of(metric, &r).to_vec()
        }
        let of = |ids: &CellIds, group: Option<&str>, v: &str| {
            of_in(ids, MetricId::DurationBucketsByProfile, group, v)
        };
        assert_eq!(of(&ids, Some("fast"), "3"), [1, 2, 4, 7, 9]);
        assert_eq!(of(&ids, None, "3"), [2]);
        assert!(of(&ids, Some("3"), "fast").is_empty());
        assert!(of(&ids, Some(""), "3").is_empty());
        assert!(of_in(&ids, MetricId::FindingsBucketsByProfile, Some("fast"), "3").is_empty());
        for i in 0..10_000 {
            ids.add(key(Some(&format!("p{i}")), &i.to_string()), (6 + i % 5, 11));
        }
        for i in 0..10_000 {
            assert_eq!(
                of(&ids, Some(&format!("p{i}")), &i.to_string()),
                &ids.members[6 + i % 5..11]
            );
        }
        assert_eq!(of(&ids, Some("fast"), "3"), [1, 2, 4, 7, 9]);
        assert_eq!(ids.iter().count(), 10_002);
        assert!(
            ids.iter()
                .all(|(_, list)| list.windows(2).all(|w| w[0] < w[1]))
        );
    }

    /// The rules as first written: the attacker solves from scratch after
    /// every cell hidden. [`suppress`] must hide exactly what this hides.
    fn suppress_model(
        ids: &[&[u32]],
        counts: &[u64],
        labels: &[String],
        lines: &Lines,
        k: u64,
        forced: &[bool],
    ) -> Option<Vec<bool>> {
        let rows = lines.rows.len();
        let (small, lines) = start(ids, lines, k);
        let mut hidden: Vec<bool> = small
            .iter()
            .enumerate()
            .map(|(i, &s)| s || forced.get(i) == Some(&true))
            .collect();
        let mut rounds = 0;
        loop {
            let mut known: Vec<bool> = hidden.iter().map(|h| !h).collect();
            loop {
                let mut changed = false;
                for line in &lines {
                    let mut unknown = line.iter().copied().filter(|&i| !known[i]);
                    if let (Some(i), None) = (unknown.next(), unknown.next()) {
                        known[i] = true;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            let problems: Vec<&[usize]> = lines
                .iter()
                .copied()
                .filter(|line| {
                    let unknown: Vec<&[u32]> = line
                        .iter()
                        .filter(|&&i| !known[i])
                        .map(|&i| ids[i])
                        .collect();
                    line.iter().any(|&i| small[i] && known[i])
                        || (!unknown.is_empty() && !union_at_least(&unknown, k))
                })
                .collect();
            let any = !problems.is_empty();
            // Hide in a problem line; failing that, in a line crossing one (to
            // stop what gives the problem line's cells away).
            let crossing = problems.iter().flat_map(|p| {
                lines
                    .iter()
                    .copied()
                    .filter(move |l| l.iter().any(|i| p.contains(i)))
            });
            let mut fixable = false;
            for line in problems.iter().copied().chain(crossing) {
                let smallest = line
                    .iter()
                    .copied()
                    .filter(|&i| !hidden[i])
                    .min_by(|&a, &b| {
                        (ids[a].len(), counts[a], &labels[a]).cmp(&(
                            ids[b].len(),
                            counts[b],
                            &labels[b],
                        ))
                    });
                if let Some(i) = smallest {
                    hidden[i] = true;
                    fixable = true;
                    break;
                }
            }
            if !any || !fixable {
                let order = smallest_first(ids, counts, labels);
                let fixes = exact_fixes(&lines, rows, &hidden, &small, ids, &order, k)?;
                if fixes.is_empty() {
                    return (!any).then_some(hidden);
                }
                rounds += 1;
                if rounds > EXACT_ROUNDS {
                    return None;
                }
                for i in fixes {
                    hidden[i] = true;
                }
                continue;
            }
        }
    }

    /// A table drawn by the property tests: each cell's installations,
    /// events, label, and row and column (either may be missing).
    type Drawn = Vec<DrawnCell>;
    type DrawnCell = (BTreeSet<u32>, u64, u8, Option<u8>, Option<u8>);

    fn drawn() -> impl proptest::strategy::Strategy<Value = Drawn> {
        proptest::collection::vec(
            (
                proptest::collection::btree_set(0u32..12, 0..8),
                0u64..4,
                0u8..3,
                proptest::option::weighted(0.9, 0u8..4),
                proptest::option::weighted(0.8, 0u8..4),
            ),
            1..14,
        )
    }

    /// The cells' installations, events, labels and lines of a drawn table.
    fn table(cells: &Drawn) -> (Vec<Vec<u32>>, Vec<u64>, Vec<String>, Lines) {
        let lists = cells
            .iter()
            .map(|c| c.0.iter().copied().collect())
            .collect();
        let counts = cells.iter().map(|c| c.1).collect();
        let labels = cells.iter().map(|c| c.2.to_string()).collect();
        let family = |of: fn(&DrawnCell) -> Option<u8>| {
            let mut lines: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
            for (i, c) in cells.iter().enumerate() {
                if let Some(l) = of(c) {
                    lines.entry(l).or_default().push(i);
                }
            }
            lines.into_values().collect()
        };
        let lines = Lines {
            rows: family(|c| c.3),
            cols: family(|c| c.4),
        };
        (lists, counts, labels, lines)
    }

    /// The sums, with any coefficients, of some rows of numbers modulo a
    /// prime (exact here: the tables' minors are far below it), kept as
    /// rows in echelon form: (leading column, row with a 1 there).
    struct Span(Vec<(usize, Vec<u64>)>);

    impl Span {
        const P: u64 = 2_147_483_647;

        fn power(mut b: u64, mut e: u64) -> u64 {
            let mut r = 1;
            while e > 0 {
                if e & 1 == 1 {
                    r = r * b % Self::P;
                }
                b = b * b % Self::P;
                e >>= 1;
            }
            r
        }

        /// `v` less its parts along the rows so far.
        fn reduce(&self, mut v: Vec<u64>) -> Vec<u64> {
            for (c, row) in &self.0 {
                let f = v[*c];
                if f != 0 {
                    for (x, &r) in v.iter_mut().zip(row) {
                        *x = (*x + Self::P - f * r % Self::P) % Self::P;
                    }
                }
            }
            v
        }

        fn of(rows: &[Vec<u64>]) -> Span {
            let mut span = Span(Vec::new());
            for row in rows {
                let v = span.reduce(row.clone());
                if let Some(c) = v.iter().position(|&x| x != 0) {
                    let inverse = Self::power(v[c], Self::P - 2);
                    let v: Vec<u64> = v.iter().map(|&x| x * inverse % Self::P).collect();
                    // Keep the rows reduced against each other.
                    for (_, r) in &mut span.0 {
                        let f = r[c];
                        if f != 0 {
                            for (x, &y) in r.iter_mut().zip(&v) {
                                *x = (*x + Self::P - f * y % Self::P) % Self::P;
                            }
                        }
                    }
                    span.0.push((c, v));
                }
            }
            span
        }

        fn contains(&self, v: &[u64]) -> bool {
            self.reduce(v.to_vec()).iter().all(|&x| x == 0)
        }
    }

    proptest::proptest! {
        /// The attacker kept up to date hides exactly what solving from
        /// scratch hides, for any table of rows and columns.
        #[test]
        fn suppress_hides_what_solving_from_scratch_hides(
            cells in drawn(),
            k in 1u64..6,
            forced in proptest::collection::vec(proptest::bool::weighted(0.15), 0..14),
        ) {
            let (lists, counts, labels, lines) = table(&cells);
            let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            proptest::prop_assert_eq!(
                suppress_from(&sets, &counts, &labels, &lines, k, &forced),
                suppress_model(&sets, &counts, &labels, &lines, k, &forced)
            );
        }

    }

    /// What linear algebra on every published total (any sum and
    /// difference of lines) gives away of a table published with `hidden`,
    /// found by ranks, apart from the graph the rules reason on: a small
    /// cell, or the sum of any set of hidden cells, from any lines, about
    /// fewer than k installations (every such set is tried, up to
    /// `SETS`: only small cells can be in one).
    fn given_away(sets: &[&[u32]], lines: &Lines, hidden: &[bool], k: u64) -> Option<String> {
        const SETS: usize = 50_000;
        // The published lines, over the hidden cells (the visible ones'
        // values are known and move to the right-hand side).
        let (_, published) = start(sets, lines, k);
        let unknown: Vec<usize> = (0..sets.len()).filter(|&i| hidden[i]).collect();
        let indicator = |cells: &[usize]| -> Vec<u64> {
            unknown
                .iter()
                .map(|i| u64::from(cells.contains(i)))
                .collect()
        };
        let span = Span::of(&published.iter().map(|l| indicator(l)).collect::<Vec<_>>());
        let small: Vec<usize> = (unknown.iter().copied())
            .filter(|&i| (sets[i].len() as u64) < k)
            .collect();
        for &i in &small {
            if span.contains(&indicator(&[i])) {
                return Some(format!("small cell {i} is given by the totals"));
            }
        }
        // Every set of small hidden cells about fewer than k installations,
        // grown one cell (of a higher index) at a time.
        let mut todo: Vec<(Vec<usize>, BTreeSet<u32>)> = vec![(Vec::new(), BTreeSet::new())];
        let mut tried = 0;
        while let Some((some, union)) = todo.pop() {
            let next = some.last().map_or(0, |&j| j + 1);
            for (j, &i) in small.iter().enumerate().skip(next) {
                let mut union = union.clone();
                union.extend(sets[i]);
                if union.len() as u64 >= k {
                    continue;
                }
                let mut some = some.clone();
                some.push(j);
                let cells: Vec<usize> = some.iter().map(|&j| small[j]).collect();
                if cells.len() > 1 && span.contains(&indicator(&cells)) {
                    return Some(format!(
                        "the sum of {cells:?} is given, fewer than k installations"
                    ));
                }
                tried += 1;
                if tried == SETS {
                    return None;
                }
                todo.push((some, union));
            }
        }
        None
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// Whatever [`suppress`] publishes gives nothing away to linear
        /// algebra on its totals ([`given_away`]).
        #[test]
        fn no_sum_of_published_totals_gives_a_small_cell(
            cells in drawn(),
            k in 1u64..6,
            forced in proptest::collection::vec(proptest::bool::weighted(0.15), 0..14),
        ) {
            let (lists, counts, labels, lines) = table(&cells);
            let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            if let Some(hidden) = suppress_from(&sets, &counts, &labels, &lines, k, &forced) {
                let leak = given_away(&sets, &lines, &hidden, k);
                proptest::prop_assert!(leak.is_none(), "{:?}", leak);
            }
        }
    }

    /// Rows A and B, columns X and H (values only summed), k = 5. A's
    /// small cells a2 and a3 are all its unknowns and all in H with B's
    /// small b2: H's total less A's is b2 (4 installations), though every
    /// line has two unknowns or more. Hiding a1 too puts b2 on a cycle
    /// (A, X, B, H), where no sum of lines gives it.
    #[test]
    fn one_line_less_another_gives_no_small_cell() {
        let (a1, a2, a3) = (ids(20, 0), ids(3, 100), ids(3, 200));
        let (b1, b2, b3) = (ids(20, 300), ids(4, 400), ids(20, 500));
        let sets: Vec<&[u32]> = vec![&a1, &a2, &a3, &b1, &b2, &b3];
        let labels: Vec<String> = ["a1", "a2", "a3", "b1", "b2", "b3"]
            .map(String::from)
            .to_vec();
        let counts = [50, 3, 3, 50, 4, 60];
        let lines = Lines {
            rows: vec![vec![0, 1, 2], vec![3, 4, 5]],
            cols: vec![vec![0, 3], vec![1, 2, 4]],
        };
        // What the line-by-line rules alone hide (the exact step off).
        let (small, published) = start(&sets, &lines, 5);
        let alone = vec![false, true, true, true, true, true];
        assert!(
            exact_fixes(
                &published,
                2,
                &alone,
                &small,
                &sets,
                &smallest_first(&sets, &counts, &labels),
                5
            )
            .is_some_and(|f| f == [0])
        );
        assert!(given_away(&sets, &lines, &alone, 5).is_some_and(|l| l.contains("small cell 4")));
        let hidden = suppress(&sets, &counts, &labels, &lines, 5).expect("protected");
        assert_eq!(hidden, [true; 6]);
        assert_eq!(given_away(&sets, &lines, &hidden, 5), None);
    }

    /// Rows P1, P2, P3 and columns A, B, C, D, k = 5. The small cells form
    /// one cycle (P1, A, P2, C, P3, B), so none is a bridge, and every
    /// line's hidden cells cover 5 installations or more; but A's hidden
    /// cells all lie in P1 and P2, so P1's total plus P2's less A's (less
    /// the D cells) is P1's B cell plus P2's C cell: 4 installations.
    #[test]
    fn a_sum_of_several_lines_gives_no_small_sum() {
        let sizes = [4, 2, 20, 4, 2, 21, 3, 3, 22];
        let lists = disjoint(&sizes);
        let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
        let labels: Vec<String> = (0..9).map(|i| format!("c{i}")).collect();
        let counts = sizes.map(u64::from);
        let lines = Lines {
            rows: vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]],
            cols: vec![vec![0, 3], vec![1, 6], vec![4, 7], vec![2, 5, 8]],
        };
        let (small, published) = start(&sets, &lines, 5);
        assert_eq!(
            given_away(&sets, &lines, &small, 5).as_deref(),
            Some("the sum of [1, 4] is given, fewer than k installations")
        );
        let order = smallest_first(&sets, &counts, &labels);
        let fixes = exact_fixes(&published, 3, &small, &small, &sets, &order, 5);
        assert!(fixes.is_some_and(|f| !f.is_empty()));
        let hidden = suppress(&sets, &counts, &labels, &lines, 5).expect("protected");
        assert_eq!(given_away(&sets, &lines, &hidden, 5), None);
    }

    /// The table above, with P1..P3 joined by column B to 16 more rows,
    /// each with a small cell in B and in a column E: every set of rows is
    /// closed (2^19 sets), but the search tries the closures of the 4
    /// columns with arrows (16 sets) and the single rows.
    #[test]
    fn a_part_of_many_rows_is_searched_through_its_columns() {
        let mut sizes = vec![4, 2, 20, 4, 2, 21, 3, 3, 22];
        let mut lines = Lines {
            rows: vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]],
            cols: vec![vec![0, 3], vec![1, 6], vec![4, 7], vec![2, 5, 8], vec![]],
        };
        for _ in 0..16 {
            let i = sizes.len();
            sizes.extend([3, 3, 30]);
            lines.rows.push(vec![i, i + 1, i + 2]);
            lines.cols[1].push(i);
            lines.cols[4].push(i + 1);
            lines.cols[3].push(i + 2);
        }
        let lists = disjoint(&sizes);
        let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
        let labels: Vec<String> = (0..sizes.len()).map(|i| format!("c{i:02}")).collect();
        let counts: Vec<u64> = sizes.iter().map(|&n| u64::from(n)).collect();
        let (small, _) = start(&sets, &lines, 5);
        assert_eq!(
            given_away(&sets, &lines, &small, 5).as_deref(),
            Some("the sum of [1, 4] is given, fewer than k installations")
        );
        let hidden = suppress(&sets, &counts, &labels, &lines, 5).expect("protected");
        assert_eq!(given_away(&sets, &lines, &hidden, 5), None);
    }

    /// A second review's tables, withheld by the first version of the
    /// search (which tried every single node against the whole part, and
    /// every set against all its arrows): 20,000 profiles of 6
    /// installations in three durations (4, 1 and 1), and 14 weeks by 70
    /// versions of 2 installations each, k = 5. Every cell is small and
    /// hidden, and no sum of them is: both are published, every cell an
    /// Other.
    #[test]
    fn wide_tables_of_small_cells_are_searched_not_withheld() {
        let wide = |rows: usize, cols: usize, each: &dyn Fn(usize) -> u32| {
            let sizes: Vec<u32> = (0..rows * cols).map(|i| each(i % cols)).collect();
            let lists = disjoint(&sizes);
            let lines = grid(rows, cols);
            let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            let labels: Vec<String> = (0..lists.len()).map(|i| i.to_string()).collect();
            let counts: Vec<u64> = lists.iter().map(|l| l.len() as u64).collect();
            suppress(&sets, &counts, &labels, &lines, 5).map(|h| h.iter().all(|&h| h))
        };
        assert_eq!(wide(20_000, 3, &|c| [4, 1, 1][c]), Some(true));
        assert_eq!(wide(14, 70, &|_| 2), Some(true));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// [`small_cut`] finds a closed set whose arrows in are about
        /// fewer than k installations exactly when trying every set of
        /// nodes finds one, on graphs without cycles (each arrow from the
        /// earlier of its ends, in a drawn order, to the later; parallel
        /// arrows, arrows without installations; the nodes spread among
        /// up to 194, for bit sets of several words); the set it finds is
        /// one.
        #[test]
        fn small_cut_finds_what_trying_every_set_finds(
            order in proptest::strategy::Strategy::prop_shuffle(proptest::strategy::Just((0..10u32).collect::<Vec<u32>>())),
            drawn in proptest::collection::vec(
                (0u32..10, 0u32..10, proptest::collection::btree_set(0u32..8, 0..4)),
                0..24,
            ),
            m in 1u32..11,
            k in 1u64..7,
            spread in 1u32..20,
        ) {
            // Node v is numbered v * spread + 3, among nodes without arrows
            // (up to 194 nodes: bit sets of several words).
            let all = (10 * spread + 4) as usize;
            let index = |v: u32| v * spread + 3;
            let at = |v: u32| order.iter().position(|&o| o == v).expect("a node");
            let (mut ends, mut lists) = (Vec::new(), Vec::new());
            for (a, b, who) in &drawn {
                let (a, b) = (a % m, b % m);
                if a != b {
                    // (row, column): down goes column -> row, earlier -> later.
                    let (r, c) = if at(a) < at(b) { (b, a) } else { (a, b) };
                    ends.push((index(r), index(c)));
                    lists.push(who.iter().copied().collect::<Vec<u32>>());
                }
            }
            let cells: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            let way = |up: bool| {
                let arrows = (0..).zip(&ends);
                let arrows = arrows.map(|(a, &(r, c))| if up { (r, a, c) } else { (c, a, r) });
                Adjacency::arrows(arrows, all)
            };
            let small = |x: &[bool]| -> bool {
                let closed = ends.iter().all(|&(r, c)| !x[c as usize] || x[r as usize]);
                let into: Vec<&[u32]> = (ends.iter().zip(&cells))
                    .filter(|&(&(r, c), _)| x[r as usize] && !x[c as usize])
                    .map(|(_, &ids)| ids)
                    .collect();
                closed && !into.is_empty() && !union_at_least(&into, k)
            };
            let exists = (0u32..1 << m).any(|mask| {
                let mut x = vec![false; all];
                (0..m).for_each(|v| x[index(v) as usize] = mask >> v & 1 == 1);
                small(&x)
            });
            let mut work = CROSS_WORK;
            match small_cut(&way(false), &way(true), &cells, k, &mut work) {
                Ok(Some(x)) => proptest::prop_assert!(small(&x), "{:?} {:?}", x, ends),
                Ok(None) => proptest::prop_assert!(!exists, "missed: {:?} {:?}", ends, lists),
                Err(()) => proptest::prop_assert!(false, "out of steps"),
            }
        }
    }

    /// A third review's table, k = 5: 4 rows by 70 columns, every visible
    /// cell 5 installations, and eight small cells on one cycle; {r0, r1,
    /// c0} gives (r0, c1) plus (r1, c2), 2 installations. The columns from
    /// 4 on come first when sizes tie, and none has a hidden cell: taking
    /// one of those, the set took it in with the same sum, one column a
    /// round, and the table was withheld after 64 rounds.
    #[test]
    fn a_small_sum_takes_a_cell_leading_somewhere() {
        let (rows, cols) = (4, 70);
        let small = [(0, 0, 4), (1, 0, 4), (0, 1, 1), (1, 2, 1)];
        let small = [small, [(2, 1, 4), (3, 2, 4), (2, 3, 4), (3, 3, 4)]].concat();
        let size = |r, c| {
            small
                .iter()
                .find(|s| (s.0, s.1) == (r, c))
                .map_or(5, |s| s.2)
        };
        let sizes: Vec<u32> = (0..rows * cols).map(|i| size(i / cols, i % cols)).collect();
        let lists = disjoint(&sizes);
        let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
        let labels: Vec<String> = (0..rows * cols)
            .map(|i| {
                format!(
                    "{}{:03}{}",
                    if i % cols >= 4 { 'a' } else { 'z' },
                    i % cols,
                    i / cols
                )
            })
            .collect();
        let counts: Vec<u64> = sizes.iter().map(|&n| u64::from(n)).collect();
        let lines = grid(rows, cols);
        let hidden = suppress(&sets, &counts, &labels, &lines, 5).expect("protected");
        assert!(hidden.iter().filter(|&&h| h).count() <= 12, "{hidden:?}");
        assert_eq!(given_away(&sets, &lines, &hidden, 5), None);
    }

    /// [`small_cut`] finds a set about fewer than k installations, or
    /// none, and gives up past its steps or its seeds: complete bipartite
    /// arrows between rows and columns (n of each: closures of 2^n sets).
    #[test]
    fn small_cut_finds_a_set_or_gives_up() {
        let cut_of = |n: u32, cols: u32, each: &[u32], k: u64, mut work: usize| {
            let ends: Vec<(u32, u32)> = (0..n * cols).map(|a| (a / cols, n + a % cols)).collect();
            let way = |up: bool| {
                let arrows = (0..).zip(&ends);
                let arrows = arrows.map(|(a, &(r, c))| if up { (r, a, c) } else { (c, a, r) });
                Adjacency::arrows(arrows, (n + cols) as usize)
            };
            let cells = vec![each; (n * cols) as usize];
            let found = small_cut(&way(false), &way(true), &cells, k, &mut work);
            (found, work)
        };
        let cut = |n: u32, each: &[u32], k: u64| cut_of(n, n, each, k, CROSS_WORK).0;
        let two = ids(2, 0);
        // Each row's arrows in: n cells of the same 2 installations.
        assert_eq!(cut(4, &two, 2), Ok(None));
        let mut first = vec![false; 8];
        first[0] = true;
        assert_eq!(cut(4, &two, 3), Ok(Some(first)));
        // Fewer rows than columns: the complements are searched, and the
        // set found is all but the first column.
        let all_but = vec![true, true, false, true, true];
        assert_eq!(cut_of(2, 3, &two, 3, CROSS_WORK).0, Ok(Some(all_but)));
        // Out of steps: 2^20 sets; past MAX_SEEDS, at once.
        assert_eq!(cut_of(20, 20, &two, 2, 100_000).0, Err(()));
        let (past, left) = cut_of(27, 27, &two, 2, CROSS_WORK);
        assert_eq!(past, Err(()));
        assert!(CROSS_WORK - left < 100_000, "{left}");
        // Past MAX_SEEDS, each seed's closure alone is still tried: a ring
        // of 27 columns and rows (c_j to r_j and r_(j-1)), each row's two
        // cells 4 installations, but r_0's from c_1 and r_26's from c_26
        // the same 2: c_0's closure {c_0, r_0, r_26} gives them, k = 3.
        let n = 27u32;
        let ends: Vec<(u32, u32)> = (0..n)
            .flat_map(|j| [(j, n + j), ((j + n - 1) % n, n + j)])
            .collect();
        let lists: Vec<Vec<u32>> = (0..2 * n)
            .map(|a| match a {
                3 | 52 => vec![1000, 1001],
                _ => ids(2, 10 * a),
            })
            .collect();
        let cells: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
        let way = |up: bool| {
            let arrows = (0..).zip(&ends);
            let arrows = arrows.map(|(a, &(r, c))| if up { (r, a, c) } else { (c, a, r) });
            Adjacency::arrows(arrows, 2 * n as usize)
        };
        let mut work = CROSS_WORK;
        let found = small_cut(&way(false), &way(true), &cells, 3, &mut work);
        let set: Vec<u32> = (0..2 * n)
            .filter(|&v| {
                found
                    .as_ref()
                    .is_ok_and(|f| f.as_ref().is_some_and(|f| f[v as usize]))
            })
            .collect();
        assert_eq!(set, [0, 26, 27]);
        // Each installation read is a step: two rows alone, each a node,
        // an arrow and 50 installations, cost 104; then the column's
        // closure 2, and its set 6 (a word, three nodes, two arrows).
        let fifty = ids(50, 0);
        assert_eq!(cut_of(2, 1, &fifty, 50, 103).0, Err(()));
        assert_eq!(cut_of(2, 1, &fifty, 50, 200), (Ok(None), 200 - 112));
    }

    #[test]
    fn one_small_cell_takes_a_complement() {
        let (a, b, c) = (ids(40, 0), ids(12, 100), ids(3, 200));
        let sets: Vec<&[u32]> = vec![&a, &b, &c];
        let labels = vec!["a".into(), "b".into(), "c".into()];
        let hidden = suppress(&sets, &[400, 120, 30], &labels, &one_line(3), 5);
        assert_eq!(hidden, Some(vec![false, true, true]));
    }

    #[test]
    fn small_cells_that_together_reach_k_need_no_complement() {
        let (a, b, c) = (ids(40, 0), ids(3, 100), ids(3, 200));
        let sets: Vec<&[u32]> = vec![&a, &b, &c];
        let labels = vec!["a".into(), "b".into(), "c".into()];
        let hidden = suppress(&sets, &[400, 30, 30], &labels, &one_line(3), 5);
        assert_eq!(hidden, Some(vec![false, true, true]));
        // … but not when the same installations sit behind both.
        let same = ids(3, 100);
        let sets: Vec<&[u32]> = vec![&a, &same, &same];
        let hidden = suppress(&sets, &[400, 30, 30], &labels, &one_line(3), 5);
        assert_eq!(hidden, Some(vec![true, true, true]));
    }

    #[test]
    fn two_dimensional_tables_protect_rows_and_columns() {
        // 2 × 2: one small cell; its row and its column each need a
        // complement, and then the opposite corner too.
        let (a, b, c, d) = (ids(20, 0), ids(20, 100), ids(20, 200), ids(2, 300));
        let sets: Vec<&[u32]> = vec![&a, &b, &c, &d];
        let labels: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        // cells: 0=(g1,x) 1=(g1,y) 2=(g2,x) 3=(g2,y)
        let lines = Lines {
            rows: vec![vec![0, 1], vec![2, 3]],
            cols: vec![vec![0, 2], vec![1, 3]],
        };
        let hidden = suppress(&sets, &[50, 60, 70, 5], &labels, &lines, 5);
        assert_eq!(hidden, Some(vec![true, true, true, true]));
    }

    #[test]
    fn a_cell_alone_in_its_row_cannot_be_a_complement() {
        // Row g2 holds one cell: hiding it protects nothing (the row total
        // gives it away), so the column takes another cell.
        let (a, b, c, d) = (ids(20, 0), ids(2, 100), ids(20, 200), ids(20, 300));
        let sets: Vec<&[u32]> = vec![&a, &b, &c, &d];
        let labels: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        // 0=(g1,x) 1=(g1,y) 2=(g2,y) 3=(g3,x) 4? no: column y = {1, 2}, column x = {0, 3}
        let lines = Lines {
            rows: vec![vec![0, 1], vec![2], vec![3]],
            cols: vec![vec![0, 3], vec![1, 2]],
        };
        assert_eq!(suppress(&sets, &[9, 3, 9, 9], &labels, &lines, 5), None);
        // Lines under k installations publish no total: no constraint.
        let lines = Lines {
            rows: vec![vec![0, 1]],
            cols: vec![vec![0, 3]],
        };
        assert_eq!(
            suppress(&sets, &[9, 3, 9, 9], &labels, &lines, 5),
            Some(vec![true, true, false, true])
        );
    }

    /// A review's table, k = 5, one six-cell cycle of rows and columns:
    /// the line-by-line rules hid the small cell 5 and complements around
    /// it until no problem line, nor any line crossing one, had a visible
    /// cell left, and withheld the table; the exact step finds what else
    /// to hide (here the rest of the cycle, on which no cell is given).
    #[test]
    fn the_exact_step_protects_what_the_line_by_line_rules_give_up_on() {
        let sizes = [7u32, 11, 14, 5, 5, 2];
        let lists: Vec<Vec<u32>> = (sizes.iter().scan(0, |next, &n| {
            *next += n;
            Some((*next - n..*next).collect())
        }))
        .collect();
        let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
        let counts: Vec<u64> = sizes.iter().map(|&n| u64::from(n)).collect();
        let labels: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
        let lines = Lines {
            rows: vec![vec![0, 1], vec![2, 3], vec![4, 5]],
            cols: vec![vec![0, 2], vec![1, 4], vec![3, 5]],
        };
        let hidden = suppress(&sets, &counts, &labels, &lines, 5).expect("protected");
        assert_eq!(given_away(&sets, &lines, &hidden, 5), None);
    }

    /// A second review's table, k = 2: the small cell 1 (a column's, in no
    /// row) is a bridge that no single visible cell puts on a cycle; hiding
    /// cells 2 and 3 does. It was withheld; then (a third review) the cells
    /// leading out of the bridge's side were taken one a round, smallest
    /// first, into 70 dead ends (one-cell columns) and withheld again. The
    /// fewest cells that close a cycle are hidden now, in one round.
    #[test]
    fn a_bridge_two_cells_protect_takes_those_two() {
        let mut sizes = vec![3u32, 1, 3, 3, 3, 2, 1];
        sizes.extend([2; 70]);
        let lists: Vec<Vec<u32>> = (sizes.iter().scan(0, |next, &n| {
            *next += n;
            Some((*next - n..*next).collect())
        }))
        .collect();
        let sets: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
        let counts: Vec<u64> = sizes.iter().map(|&n| u64::from(n)).collect();
        let labels: Vec<String> = (0..sizes.len()).map(|i| format!("c{i:03}")).collect();
        let mut cols = vec![vec![1, 2, 5, 6], vec![0]];
        cols.extend((7..sizes.len()).map(|i| vec![i]));
        let lines = Lines {
            rows: vec![vec![2, 3], vec![5, 6]],
            cols,
        };
        let hidden = suppress(&sets, &counts, &labels, &lines, 2).expect("protected");
        assert_eq!(given_away(&sets, &lines, &hidden, 2), None);
        let which: Vec<usize> = (0..hidden.len()).filter(|&i| hidden[i]).collect();
        assert_eq!(which, [1, 2, 3, 5, 6]);
    }

    /// A grouped metric (durations by profile) and its value margin from
    /// cells (group, value, installations).
    fn build(cells: &[(u8, u8, Vec<u32>)]) -> (CellIds, MetricRows, MetricRows) {
        let mut ids = CellIds::default();
        let mut grouped = Vec::new();
        let mut margin: BTreeMap<u8, (u64, Vec<u32>)> = BTreeMap::new();
        for (g, v, who) in cells {
            let start = ids.members.len();
            let mut who = who.clone();
            who.sort_unstable();
            who.dedup();
            ids.members.extend(&who);
            let key = (
                MetricId::DurationBucketsByProfile,
                Some(Value::Str(format!("g{g}"))),
                Value::Str(format!("v{v}")),
            );
            ids.add(key, (start, ids.members.len()));
            let mut r = Row::new(Value::Str(format!("v{v}")), who.len() as u64);
            r.group = Some(Value::Str(format!("g{g}")));
            grouped.push(r);
            let m = margin.entry(*v).or_default();
            m.0 += who.len() as u64;
            m.1.extend(who);
        }
        let mut one_d = Vec::new();
        for (v, (count, mut who)) in margin {
            who.sort_unstable();
            who.dedup();
            let start = ids.members.len();
            ids.members.extend(&who);
            ids.add(
                (MetricId::DurationBuckets, None, Value::Str(format!("v{v}"))),
                (start, ids.members.len()),
            );
            one_d.push(Row::new(Value::Str(format!("v{v}")), count));
        }
        let den = one_d.iter().map(|r| r.count).sum();
        (
            ids,
            MetricRows {
                id: MetricId::DurationBuckets,
                denominator: den,
                rows: one_d,
            },
            MetricRows {
                id: MetricId::DurationBucketsByProfile,
                denominator: den,
                rows: grouped,
            },
        )
    }

    /// The durations table hides `v2` (4 installations) and, as its
    /// complement, `v1`, whose only cell by profile is `g1`'s: shown, it
    /// gives `v1`'s total, and the one-dimensional Other less it is `v2`.
    /// With the margin, `v1` is among the values only summed. (Before the
    /// rules kept the lines under k, the table alone, without the margin,
    /// showed that cell: `v2`'s column was left out.)
    #[test]
    fn a_value_the_margin_hides_is_not_given_by_the_grouped_cells() {
        let who = |from: u32, n: u32| (from..from + n).collect::<Vec<u32>>();
        let cells = [
            (0, 2, who(0, 3)),
            (0, 3, who(3, 3)),
            (1, 1, who(6, 6)),
            (1, 2, who(12, 1)),
            (1, 3, who(13, 5)),
            (1, 4, who(18, 12)),
        ];
        let (ids, one_d, grouped) = build(&cells);
        let margin = publish_metric(&one_d, &ids, 5, &Margins::default());
        let shown: Vec<&str> = margin.rows.iter().map(|r| r.value.text()).collect();
        assert_eq!(shown, ["v3", "v4"]);
        // The hidden values' row is marked as the report's own, which charts
        // and tables tell from a client's value `Other`.
        let with_others = margin.with_others();
        let others: Vec<(&str, bool)> = with_others
            .rows
            .iter()
            .map(|r| (r.value.text(), r.other))
            .collect();
        assert_eq!(others, [("v3", false), ("v4", false), (OTHER, true)]);
        let cells_of =
            |m: &PublishedMetric, v: &str| m.rows.iter().filter(|r| r.value.text() == v).count();
        let margins = Margins {
            hidden_groups: FxHashSet::default(),
            shown_values: Some(margin.rows.iter().map(|r| &r.value).collect()),
            profile_margin: false,
            stray_installations: 0,
            forced_values: FxHashSet::default(),
        };
        let published = publish_metric(&grouped, &ids, 5, &margins);
        assert!(!published.withheld);
        assert_eq!(cells_of(&published, "v1"), 0);
        assert_eq!(cells_of(&published, "v4"), 1);
    }
}
