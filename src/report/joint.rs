//! Tools enabled by profile: which `scan.started` events of each profile
//! enabled each tool, with up to k of their installations, and up to k
//! installations of each profile. No table prints it; the privacy rules
//! read it for a reader who knows which tools a profile enables (JMo
//! documents each profile's tools): such a reader takes a tool's runs less
//! the scans of the published profiles that always enable it, and has the
//! scans of the other profiles that enabled it (a review read, in the
//! example report, osv-scanner's 57 less deep's 56 as one installation's
//! custom scan), and the profile table's Other less those.

use rustc_hash::FxHashMap;

use crate::event::schema::{Event, Payload};
use crate::metrics::Value;
use crate::metrics::tally::NO_ID;

/// Up to a cap of distinct installations (keys): `cap` of them say "at
/// least `cap`", fewer say all. Kept sorted, a new one is looked for by a
/// binary search (at `--min-installations 1000` the walks of an unsorted
/// list made a report of a 25 MB file of one profile's 60 tools take 4.5x
/// its time at k = 5; a set beside the list, a review found, took twice
/// the memory).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids(Vec<u64>);

impl Ids {
    /// Adds `id` (`NO_ID` is none) if there are fewer than `cap`.
    pub fn add(&mut self, id: u64, cap: usize) {
        if id == NO_ID || self.0.len() >= cap {
            return;
        }
        if let Err(at) = self.0.binary_search(&id) {
            self.0.insert(at, id);
        }
    }

    /// How many (at most the cap).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys, in their order.
    pub fn iter(&self) -> std::slice::Iter<'_, u64> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Ids {
    type Item = &'a u64;
    type IntoIter = std::slice::Iter<'a, u64>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// One profile's scans that enabled one tool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    /// The events.
    pub events: u64,
    /// Their installations, up to k.
    pub ids: Ids,
    /// The installations of the profile's scans that did not enable it,
    /// up to k.
    pub without: Ids,
    /// The event that last counted this cell (an item listed twice in
    /// one event counts once, as in `scan_tools`).
    stamp: u64,
}

/// One profile's scans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Their installations, up to k; also of the scans without a list of
    /// tools.
    pub ids: Ids,
    /// By tool enabled.
    pub tools: FxHashMap<Box<str>, Cell>,
}

/// `scan.started` events by profile and tool enabled, counted as the
/// report's tables count them (a caller passes only the events its tally
/// counted).
///
/// Its memory grows with the pairs of profile and tool, which a client
/// can make many of (a review: 20,000 profiles of 500 tools each, an
/// 83 MB file, took 2 GB): past [`MAX_CELLS`] pairs and profiles, which no
/// client's profiles come near, it keeps none and says so
/// ([`Self::overflowed`]), and the report withholds the tools table.
/// Whether it does depends on the input alone, not on how the workers
/// split it (a worker's pairs are some of them).
#[derive(Debug, Clone, Default)]
pub struct ToolsByProfile {
    /// Events without a profile.
    unnamed: Profile,
    /// Events of a named profile.
    named: FxHashMap<Box<str>, Profile>,
    /// How many installations a cell keeps: the report's k.
    cap: usize,
    /// Events observed, the stamp of the next one.
    stamp: u64,
    /// Cells (and named profiles) held.
    cells: usize,
    /// The most cells it holds.
    limit: usize,
    /// More than `limit` cells were seen: none are held.
    overflowed: bool,
}

/// The most pairs of profile and tool the report reads a profile's tools
/// from (each with up to 2k installations: about 10 MB at the default k).
pub const MAX_CELLS: usize = 1 << 16;

impl ToolsByProfile {
    /// An empty tally keeping up to `k` installations a cell.
    pub fn new(k: u64) -> ToolsByProfile {
        ToolsByProfile::with_limit(k, MAX_CELLS)
    }

    /// [`ToolsByProfile::new`] holding at most `limit` cells.
    pub fn with_limit(k: u64, limit: usize) -> ToolsByProfile {
        ToolsByProfile {
            cap: usize::try_from(k).unwrap_or(usize::MAX),
            limit,
            ..ToolsByProfile::default()
        }
    }

    /// Whether more pairs than it holds were seen (none are held then).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Drops every cell, for good: too many were seen.
    fn overflow(&mut self) {
        self.unnamed = Profile::default();
        self.named = FxHashMap::default();
        self.cells = 0;
        self.overflowed = true;
    }

    /// Counts `event` (of installation `id`, `NO_ID` for none) when it is
    /// a `scan.started`.
    pub fn observe(&mut self, event: &Event<'_>, id: u64) {
        let Payload::ScanStarted(s) = &event.payload else {
            return;
        };
        if self.overflowed {
            return;
        }
        self.stamp += 1;
        let (stamp, cap) = (self.stamp, self.cap);
        let mut made = 0;
        let profile = match s.profile.as_deref() {
            None => &mut self.unnamed,
            Some(p) => match self.named.get_mut(p) {
                Some(profile) => profile,
                None => {
                    made += 1;
                    self.named.entry(p.into()).or_default()
                }
            },
        };
        for tool in s.tools.iter().flat_map(|tools| tools.iter()) {
            let cell = match profile.tools.get_mut(tool) {
                Some(cell) => cell,
                None => {
                    made += 1;
                    // Every scan of the profile before this one did not
                    // enable it.
                    let cell = Cell {
                        without: profile.ids.clone(),
                        ..Cell::default()
                    };
                    profile.tools.entry(tool.into()).or_insert(cell)
                }
            };
            if cell.stamp != stamp {
                cell.stamp = stamp;
                cell.events += 1;
                cell.ids.add(id, cap);
            }
        }
        // The profile's tools this scan did not enable (all, without a
        // list): once a tool's k are kept, a look at its length.
        for cell in profile.tools.values_mut() {
            if cell.stamp != stamp {
                cell.without.add(id, cap);
            }
        }
        profile.ids.add(id, cap);
        self.cells += made;
        if self.cells > self.limit {
            self.overflow();
        }
    }

    /// Adds `other`'s counts (a worker's) to these, and empties it.
    pub fn absorb(&mut self, other: &mut ToolsByProfile) {
        let (unnamed, named) = (
            std::mem::take(&mut other.unnamed),
            std::mem::take(&mut other.named),
        );
        let theirs_overflowed = std::mem::take(&mut other.overflowed);
        other.cells = 0;
        if self.overflowed || theirs_overflowed {
            self.overflow();
            return;
        }
        let cap = self.cap;
        let mut made = 0;
        let add = |mine: &mut Profile, theirs: Profile, made: &mut usize| {
            // Each side's scans did not enable the tools only the other's
            // did.
            let (mine_before, theirs_ids) = (mine.ids.clone(), theirs.ids);
            for (tool, cell) in &mut mine.tools {
                if !theirs.tools.contains_key(tool) {
                    for &id in &theirs_ids {
                        cell.without.add(id, cap);
                    }
                }
            }
            for (tool, cell) in theirs.tools {
                let into = match mine.tools.entry(tool) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        *made += 1;
                        e.insert(Cell {
                            without: mine_before.clone(),
                            ..Cell::default()
                        })
                    }
                };
                into.events += cell.events;
                for &id in &cell.ids {
                    into.ids.add(id, cap);
                }
                for &id in &cell.without {
                    into.without.add(id, cap);
                }
            }
            for &id in &theirs_ids {
                mine.ids.add(id, cap);
            }
        };
        add(&mut self.unnamed, unnamed, &mut made);
        for (name, profile) in named {
            let mine = match self.named.entry(name) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    made += 1;
                    e.insert(Profile::default())
                }
            };
            add(mine, profile, &mut made);
        }
        self.cells += made;
        if self.cells > self.limit {
            self.overflow();
        }
    }

    /// A profile (a profile table's row value: JSON null for the events
    /// without one).
    pub fn of(&self, profile: &Value) -> Option<&Profile> {
        match profile {
            Value::Null => Some(&self.unnamed),
            Value::Str(p) => self.named.get(p.as_str()),
            Value::Bool(_) => None,
        }
    }

    /// Every profile (`None` for the events without one).
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &Profile)> {
        std::iter::once((None, &self.unnamed))
            .chain((self.named.iter()).map(|(p, profile)| (Some(&**p), profile)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Parsed, parse_line};

    fn observe(t: &mut ToolsByProfile, line: &str, id: u64) {
        let Parsed::Event(event) = parse_line(line) else {
            panic!("a valid line: {line}");
        };
        t.observe(&event, id);
    }

    fn started(profile: &str, tools: &str) -> String {
        format!(
            r#"{{"event": "scan.started", "version": "1.0.0", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-000000000001", "timestamp": "2026-01-05T10:00:00Z", "metadata": {{"profile": {profile}, "tools": {tools}}}}}"#
        )
    }

    #[test]
    fn counts_each_tool_once_an_event_with_up_to_k_installations() {
        let mut a = ToolsByProfile::new(10);
        // Installation 5's deep scan enables neither tool, before either
        // is seen.
        observe(&mut a, &started("\"deep\"", r#"["semgrep"]"#), 5);
        observe(
            &mut a,
            &started("\"deep\"", r#"["zap", "zap", "trivy"]"#),
            1,
        );
        observe(&mut a, &started("\"deep\"", r#"["zap"]"#), 2);
        observe(&mut a, &started("null", r#"["zap"]"#), 3);
        // No list: in the profile's scans without each tool.
        observe(&mut a, &started("\"deep\"", "null"), 4);
        let mut b = ToolsByProfile::new(10);
        observe(&mut b, &started("\"deep\"", r#"["zap"]"#), 3);
        observe(&mut b, &started("\"deep\"", r#"["zap"]"#), 1);
        observe(&mut b, &started("\"deep\"", r#"["nuclei"]"#), 6);
        a.absorb(&mut b);
        assert!(b.named.is_empty() && b.unnamed == Profile::default());
        let deep = a.of(&Value::Str("deep".into())).unwrap();
        let cell = |tool: &str| {
            let c = &deep.tools[tool];
            (c.events, sorted(&c.ids), sorted(&c.without))
        };
        assert_eq!(cell("zap"), (4, vec![1, 2, 3], vec![4, 5, 6]));
        // Installation 1 sent a deep scan without it too (b's).
        assert_eq!(cell("trivy"), (1, vec![1], vec![1, 2, 3, 4, 5, 6]));
        assert_eq!(cell("semgrep"), (1, vec![5], vec![1, 2, 3, 4, 6]));
        assert_eq!(cell("nuclei"), (1, vec![6], vec![1, 2, 3, 4, 5]));
        assert_eq!(sorted(&deep.ids), [1, 2, 3, 4, 5, 6]);
        assert_eq!(a.of(&Value::Null).unwrap().tools["zap"].events, 1);
        assert!(a.of(&Value::Str("fast".into())).is_none());
        assert_eq!(a.iter().count(), 2);
        assert!(!a.overflowed());
        // Up to k installations are kept.
        let mut c = ToolsByProfile::new(2);
        for id in 1..5 {
            observe(&mut c, &started("\"deep\"", r#"["zap"]"#), id);
        }
        assert_eq!(
            sorted(&c.of(&Value::Str("deep".into())).unwrap().tools["zap"].ids),
            [1, 2]
        );
    }

    fn sorted(ids: &Ids) -> Vec<u64> {
        let mut v: Vec<u64> = ids.iter().copied().collect();
        v.sort_unstable();
        v
    }

    /// Each key once, the first `cap` added, in their order.
    #[test]
    fn ids_keep_each_key_once_up_to_the_cap() {
        for cap in [1, 3, 100, 1000] {
            let mut ids = Ids::default();
            // Each key, a repeat after it, and none (`NO_ID`, 0), the keys
            // in no order (an odd multiplier maps 1..=300 to 300 keys,
            // none 0).
            let key = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for id in (1..=300u64).flat_map(|i| [key(i), key(i.div_ceil(2)), NO_ID]) {
                ids.add(id, cap);
            }
            let mut want: Vec<u64> = (1..=300).map(key).take(cap).collect();
            want.sort_unstable();
            assert_eq!(ids.iter().copied().collect::<Vec<_>>(), want, "cap {cap}");
        }
    }

    /// Past its limit it holds nothing and says so, whether one worker's
    /// events pass it or only their sum does.
    #[test]
    fn too_many_cells_are_not_held() {
        // deep and its 2 tools, and fast's: 5 cells.
        let lines = [
            started("\"deep\"", r#"["zap", "trivy"]"#),
            started("\"fast\"", r#"["zap"]"#),
        ];
        for limit in [4, 5] {
            let mut one = ToolsByProfile::with_limit(5, limit);
            for line in &lines {
                observe(&mut one, line, 1);
            }
            let (mut a, mut b) = (
                ToolsByProfile::with_limit(5, limit),
                ToolsByProfile::with_limit(5, limit),
            );
            observe(&mut a, &lines[0], 1);
            observe(&mut b, &lines[1], 2);
            a.absorb(&mut b);
            for t in [&one, &a] {
                assert_eq!(t.overflowed(), limit < 5, "limit {limit}");
                assert_eq!(
                    t.iter().map(|(_, m)| m.tools.len()).sum::<usize>(),
                    if limit < 5 { 0 } else { 3 }
                );
            }
            // The worker absorbed is fresh again.
            assert!(!b.overflowed() && b.cells == 0);
        }
    }
}
