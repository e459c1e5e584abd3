//! Tools enabled by profile: which `scan.started` events of each profile
//! enabled each tool, with up to k of their installations. No table prints
//! it; the privacy rules read it for a reader who knows which tools a
//! profile enables (JMo documents each profile's tools): such a reader
//! takes a tool's runs less the scans of the published profiles that always
//! enable it, and has the scans of the other profiles that enabled it (a
//! review read, in the example report, osv-scanner's 57 less deep's 56 as
//! one installation's custom scan).

use rustc_hash::FxHashMap;

use crate::event::schema::{Event, Payload};
use crate::metrics::Value;
use crate::metrics::tally::NO_ID;

/// One profile's scans that enabled one tool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    /// The events.
    pub events: u64,
    /// Their installations (keys), the first `cap` distinct ones: `cap` of
    /// them say "at least `cap`", fewer say all.
    pub ids: Vec<u64>,
    /// The event that last counted this cell (an item listed twice in
    /// one event counts once, as in `scan_tools`).
    stamp: u64,
}

impl Cell {
    fn add_id(&mut self, id: u64, cap: usize) {
        if id != NO_ID && self.ids.len() < cap && !self.ids.contains(&id) {
            self.ids.push(id);
        }
    }
}

/// `scan.started` events by profile and tool enabled, counted as the
/// report's tables count them (a caller passes only the events its tally
/// counted).
#[derive(Debug, Clone, Default)]
pub struct ToolsByProfile {
    /// Events without a profile, by tool.
    unnamed: FxHashMap<Box<str>, Cell>,
    /// Events of a named profile: profile → tool → cell.
    named: FxHashMap<Box<str>, FxHashMap<Box<str>, Cell>>,
    /// How many installations a cell keeps: the report's k.
    cap: usize,
    /// Events observed, the stamp of the next one.
    stamp: u64,
}

impl ToolsByProfile {
    /// An empty tally keeping up to `k` installations a cell.
    pub fn new(k: u64) -> ToolsByProfile {
        ToolsByProfile {
            cap: usize::try_from(k).unwrap_or(usize::MAX),
            ..ToolsByProfile::default()
        }
    }

    /// Counts `event` (of installation `id`, [`NO_ID`] for none) when it is
    /// a `scan.started` with a list of tools.
    pub fn observe(&mut self, event: &Event<'_>, id: u64) {
        let Payload::ScanStarted(s) = &event.payload else {
            return;
        };
        let Some(tools) = &s.tools else { return };
        self.stamp += 1;
        let (stamp, cap) = (self.stamp, self.cap);
        let by_tool = match s.profile.as_deref() {
            None => &mut self.unnamed,
            Some(p) => match self.named.get_mut(p) {
                Some(by_tool) => by_tool,
                None => self.named.entry(p.into()).or_default(),
            },
        };
        for tool in tools.iter() {
            let cell = match by_tool.get_mut(tool) {
                Some(cell) => cell,
                None => by_tool.entry(tool.into()).or_default(),
            };
            if cell.stamp != stamp {
                cell.stamp = stamp;
                cell.events += 1;
                cell.add_id(id, cap);
            }
        }
    }

    /// Adds `other`'s counts (a worker's) to these, and empties it.
    pub fn absorb(&mut self, other: &mut ToolsByProfile) {
        let cap = self.cap;
        let add = |mine: &mut FxHashMap<Box<str>, Cell>, theirs: FxHashMap<Box<str>, Cell>| {
            for (tool, cell) in theirs {
                let into = mine.entry(tool).or_default();
                into.events += cell.events;
                for id in cell.ids {
                    into.add_id(id, cap);
                }
            }
        };
        add(&mut self.unnamed, std::mem::take(&mut other.unnamed));
        for (profile, by_tool) in std::mem::take(&mut other.named) {
            add(self.named.entry(profile).or_default(), by_tool);
        }
    }

    /// The tools of `profile` (a profile table's row value: JSON null for
    /// the events without one), each with its cell.
    pub fn of(&self, profile: &Value) -> Option<&FxHashMap<Box<str>, Cell>> {
        match profile {
            Value::Null => Some(&self.unnamed),
            Value::Str(p) => self.named.get(p.as_str()),
            _ => None,
        }
    }

    /// Every profile's tools (`None` for the events without a profile).
    pub fn iter(&self) -> impl Iterator<Item = (Option<&str>, &FxHashMap<Box<str>, Cell>)> {
        std::iter::once((None, &self.unnamed))
            .chain((self.named.iter()).map(|(p, by_tool)| (Some(&**p), by_tool)))
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
        let mut a = ToolsByProfile::new(2);
        observe(
            &mut a,
            &started("\"deep\"", r#"["zap", "zap", "trivy"]"#),
            1,
        );
        observe(&mut a, &started("\"deep\"", r#"["zap"]"#), 2);
        observe(&mut a, &started("null", r#"["zap"]"#), 3);
        // No list: not counted, as scan_tools does not count it.
        observe(&mut a, &started("\"deep\"", "null"), 4);
        let mut b = ToolsByProfile::new(2);
        observe(&mut b, &started("\"deep\"", r#"["zap"]"#), 3);
        observe(&mut b, &started("\"deep\"", r#"["zap"]"#), 1);
        a.absorb(&mut b);
        assert!(b.named.is_empty() && b.unnamed.is_empty());
        let deep = a.of(&Value::Str("deep".into())).unwrap();
        assert_eq!(deep["zap"].events, 4);
        assert_eq!(deep["zap"].ids, [1, 2], "capped at k");
        assert_eq!(deep["trivy"].events, 1);
        assert_eq!(deep["trivy"].ids, [1]);
        assert_eq!(a.of(&Value::Null).unwrap()["zap"].events, 1);
        assert!(a.of(&Value::Str("fast".into())).is_none());
        assert_eq!(a.iter().count(), 2);
    }
}
