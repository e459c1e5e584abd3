//! The report's single pass over the input: one [`Sink`] that feeds the
//! quarter's [`Tally`], the previous quarter's [`Tally`], the first-seen time
//! of every installation (new vs returning), and the sample-event census,
//! so a report reads its input once, like `summary`.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::joint::ToolsByProfile;
use super::samples::{Candidates, Census, leaves};
use crate::event::schema::{Event, EventClass};
use crate::event::time::Micros;
use crate::event::{IngestStats, LinePos, Sink, ingest};
use crate::metrics::tally::{NO_ID, installation_key};
use crate::metrics::{Filters, Quarter, Tally};
use crate::source::local::Input;

/// Routes each event; see the module doc.
pub(crate) struct QuarterSink {
    start: Micros,
    end: Micros,
    prev_start: Micros,
    before_prev_start: Micros,
    /// The user's filters without the period: which events count at all.
    all_time: Arc<Filters>,
    /// The quarter, counted exactly as `summary --quarter` counts it.
    pub(crate) current: Tally,
    /// The previous quarter.
    pub(crate) previous: Tally,
    /// Installation → its earliest counted usage event before the quarter,
    /// and whether it sent one in the quarter before the previous one
    /// (whose own report publishes how many installations it had). An
    /// installation of the quarter that is not here is new: its events
    /// from the quarter's start on are not looked up (two thirds of a
    /// generated file's, for its middle quarter).
    pub(crate) first_seen: FxHashMap<u64, (Micros, bool)>,
    /// Valid events outside the quarter.
    pub(crate) outside: u64,
    /// Usage events in neither the quarter nor the previous one: the
    /// events outside the quarter less the previous quarter's give them.
    pub(crate) elsewhere: u64,
    pub(crate) census: Census,
    pub(crate) candidates: Candidates,
    /// The quarter's and the previous quarter's tools by profile, of the
    /// events their tallies count.
    pub(crate) tools: [ToolsByProfile; 2],
    leaves: Vec<u64>,
}

impl QuarterSink {
    /// A sink for `quarter`, applying the rest of `filters` (its period is
    /// replaced), with sample candidates for threshold `k`.
    pub(crate) fn new(quarter: Quarter, filters: &Filters, k: u64) -> QuarterSink {
        let mut all_time = filters.clone();
        all_time.quarter = None;
        all_time.since = None;
        all_time.until = None;
        let mut cur = all_time.clone();
        cur.set_quarter(quarter);
        let mut prev = all_time.clone();
        prev.set_quarter(quarter.prev());
        QuarterSink {
            start: quarter.start(),
            end: quarter.next().start(),
            prev_start: quarter.prev().start(),
            before_prev_start: quarter.prev().prev().start(),
            current: Tally::new(Arc::new(cur)),
            previous: Tally::new(Arc::new(prev)),
            all_time: Arc::new(all_time),
            first_seen: FxHashMap::default(),
            outside: 0,
            elsewhere: 0,
            census: Census::default(),
            candidates: Candidates::new(k),
            tools: [ToolsByProfile::new(k), ToolsByProfile::new(k)],
            leaves: Vec::new(),
        }
    }
}

impl Sink for QuarterSink {
    fn event(&mut self, line: LinePos, event: &Event<'_>) {
        self.event_text(line, "", event);
    }

    fn event_text(&mut self, line: LinePos, text: &str, event: &Event<'_>) {
        let ts = event.timestamp;
        let inside = ts >= self.start && ts < self.end;
        let id = installation_key(event.common.anonymous_id.as_deref());
        // Every event goes to the quarter's tally, which filters (and counts
        // what it filters out) exactly as `summary --quarter` would.
        if self.current.event_keyed(event, id) {
            self.tools[0].observe(event, id);
        }
        if !inside {
            self.outside += 1;
            if ts >= self.prev_start && ts < self.start && self.previous.event_keyed(event, id) {
                self.tools[1].observe(event, id);
            }
        }
        let usage = match event.class() {
            EventClass::Usage => true,
            EventClass::Test => self.all_time.include_test,
            EventClass::Marker => false,
        };
        if usage && !inside && !(ts >= self.prev_start && ts < self.start) {
            self.elsewhere += 1;
        }
        if !usage || !self.all_time.keep(event) {
            return;
        }
        if id == NO_ID {
            return;
        }
        if ts < self.start {
            let before_prev = ts >= self.before_prev_start && ts < self.prev_start;
            self.first_seen
                .entry(id)
                .and_modify(|(t, seen)| {
                    *t = (*t).min(ts);
                    *seen |= before_prev;
                })
                .or_insert((ts, before_prev));
        }
        if inside && event.class() == EventClass::Usage {
            self.leaves.clear();
            leaves(event, text, &mut self.leaves);
            self.census.observe(&self.leaves, id);
            (self.candidates).offer(&event.name, &self.leaves, id, line, text);
        }
    }

    fn merge(&mut self, mut other: QuarterSink) {
        self.merge_from(&mut other);
    }

    /// Merges and empties `other`, which keeps its tables' memory (see
    /// [`Sink::absorb`]).
    fn absorb(&mut self, other: &mut QuarterSink, _fresh: impl FnOnce() -> QuarterSink) {
        self.merge_from(other);
        other.current.clear();
        other.previous.clear();
        other.first_seen.clear();
        other.outside = 0;
        other.elsewhere = 0;
        other.census.clear();
        // (`merge_from` emptied its tools by profile.)
    }
}

impl QuarterSink {
    /// Adds `other`'s counts to this sink's; `other`'s candidate lines move.
    fn merge_from(&mut self, other: &mut QuarterSink) {
        self.current.merge_from(&other.current);
        self.previous.merge_from(&other.previous);
        for (&id, &(t, seen)) in &other.first_seen {
            self.first_seen
                .entry(id)
                .and_modify(|(mine, my_seen)| {
                    *mine = (*mine).min(t);
                    *my_seen |= seen;
                })
                .or_insert((t, seen));
        }
        self.outside += other.outside;
        self.elsewhere += other.elsewhere;
        self.census.merge_from(&other.census);
        self.candidates.merge(other.candidates.take());
        let [now, before] = &mut self.tools;
        now.absorb(&mut other.tools[0]);
        before.absorb(&mut other.tools[1]);
    }
}

/// Reads the whole input once.
pub(crate) fn read<'a>(
    input: impl Into<Input<'a>>,
    quarter: Quarter,
    filters: &Filters,
    k: u64,
) -> std::io::Result<(IngestStats, QuarterSink)> {
    ingest(input, || QuarterSink::new(quarter, filters, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Parsed, parse_line};

    /// A worker's sink is emptied at every fold and counts on: who sends a
    /// combination after a fold still counts (installation 1 before the
    /// fold and 2 after it are 2, the k a sample needs).
    #[test]
    fn a_sink_emptied_by_a_fold_counts_who_sends_a_sample_after_it() {
        let quarter = Quarter { year: 2026, q: 1 };
        let filters = Filters::default();
        let mut shared = QuarterSink::new(quarter, &filters, 2);
        let mut worker = QuarterSink::new(quarter, &filters, 2);
        let send = |sink: &mut QuarterSink, id: u32, n: u64| {
            let text = format!(
                r#"{{"event": "scan.completed", "version": "1.0.0", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-{id:012x}", "timestamp": "2026-01-05T10:00:00Z", "metadata": {{"mode": "cli"}}}}"#
            );
            let Parsed::Event(event) = parse_line(&text) else {
                panic!("a valid line");
            };
            sink.event_text(LinePos::new(n, 1), &text, &event);
        };
        send(&mut worker, 1, 0);
        shared.absorb(&mut worker, || unreachable!());
        send(&mut worker, 2, 1);
        shared.absorb(&mut worker, || unreachable!());
        let samples = super::super::samples::select(&shared.candidates, &shared.census, 2);
        assert_eq!(samples.events.len(), 1, "{samples:?}");
    }
}
