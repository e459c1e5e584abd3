//! The streaming accumulator. Every counted event makes a few *observations*
//! `(metric, value)`; each distinct pair is a *cell* with a dense code. A tally
//! keeps, per cell, its event count, and per installation (anonymous ID), its
//! event count and a bitset of the cells it touched, so distinct installations
//! per cell (which the report's privacy rules need) come out exactly.
//!
//! Memory is bounded by installations × cells / 8 bytes, never by the number
//! of events, and the hot path touches one installation record per event (a
//! few cache lines) plus a small cell table that stays in cache. One [`Tally`]
//! per ingest worker; they merge at the end, and `finalize` turns the cells
//! into the published rows.

use std::hash::Hasher;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHasher};

use super::filter::Filters;
use super::installs::{CellSet, Installs};
use super::registry::MetricId;
use crate::event::schema::{Event, EventClass, Payload, Text, TextList};
use crate::event::time::{Micros, epoch_day, iso_week_code, month_code};
use crate::event::{LinePos, Sink};
use crate::swar::bytes8;

/// Internal fact keys beyond the registry.
pub(crate) const INSTALL: u16 = 253;
pub(crate) const ACTIVE_WEEK: u16 = 254;
pub(crate) const ACTIVE_MONTH: u16 = 255;

/// Index of "no anonymous_id" in the per-tally installation table.
const NO_INDEX: u32 = u32::MAX;

/// How many string values a metric remembers next to their cells;
/// metrics with more values go through the dictionary and the cell map.
const MEMO: usize = 8;
const _: () = assert!(
    MEMO <= u8::MAX as usize,
    "a memo's slots index its values in a u8"
);

/// Slots of a memo's table: twice its values, so a collision-free
/// multiplier is quick to find.
const SLOTS: usize = 16;

/// Multipliers a memo tries, in order, until its values land in distinct
/// slots (odd 64-bit constants with well-mixed bits).
const MULTIPLIERS: [u64; 8] = [
    0x9e37_79b9_7f4a_7c15,
    0xbf58_476d_1ce4_e5b9,
    0x94d0_49bb_1331_11eb,
    0xd6e8_feb8_6659_fd93,
    0xa076_1d64_78bd_642f,
    0xe703_7ed1_a0b4_28db,
    0x8ebc_6af0_9c88_c6e3,
    0x5899_65cc_7537_4cc3,
];

/// A metric's first few string values and what they map to (a cell code, a
/// dictionary code, or a [`ListMemo`]'s span): a tiny perfect hash instead
/// of two hash-map lookups. A value's length and first and last 8 bytes
/// pick its slot through a multiplier chosen so the remembered values never
/// share one; a lookup is one slot and three integer compares (plus the
/// middle bytes of values past 16 bytes), with no data-dependent loop for
/// the branch predictor to miss.
#[derive(Debug, Clone)]
struct Memo {
    mul: u64,
    /// Per slot: its value's key and code; length `u32::MAX` when empty.
    slots: [Slot; SLOTS],
    /// Per slot: its value's index in `values` (whose middle bytes, past
    /// the first 8 and before the last 8, the lookup compares for values
    /// longer than 16 bytes).
    which: [u8; SLOTS],
    /// Every remembered value, to re-place them with another multiplier.
    values: Vec<(Box<str>, u32)>,
}

/// A remembered value, as a lookup compares it: its first 8 bytes and its
/// last 8 (0 for values of 8 bytes or fewer), which with its length tell
/// apart any two values of up to 16 bytes.
#[derive(Debug, Clone, Copy)]
struct Slot {
    head: u64,
    tail: u64,
    len: u32,
    value: u32,
}

const EMPTY: Slot = Slot {
    head: 0,
    tail: 0,
    len: u32::MAX,
    value: 0,
};

impl Slot {
    #[inline]
    fn of(s: &[u8], value: u32) -> Slot {
        let (head, tail) = ends(s);
        Slot {
            head,
            tail,
            len: s.len() as u32,
            value,
        }
    }
}

impl Default for Memo {
    fn default() -> Memo {
        Memo {
            mul: MULTIPLIERS[0],
            slots: [EMPTY; SLOTS],
            which: [0; SLOTS],
            values: Vec::new(),
        }
    }
}

/// The first 8 bytes of `s`, zero-padded, and its last 8 bytes when it is
/// longer than 8 (else 0: the first 8 hold it whole), both little-endian.
///
/// Values of 4 bytes and more, nearly all, take one path without a branch
/// on their length: the values of one field fall on either side of 8 bytes
/// from one event to the next (a profile, a duration bucket), and every
/// field's lookups share this code, so such a branch would be missed often.
/// Each 8 bytes are two 4-byte loads, ORed; where a value is shorter, the
/// loads overlap in the middle (both hold the same bytes there) or are
/// masked off. Shifts, not a copy through memory, so no store-to-load stall.
#[inline]
fn ends(s: &[u8]) -> (u64, u64) {
    let n = s.len();
    let u32_at = |at: usize| {
        u64::from(u32::from_le_bytes(
            s[at..at + 4].try_into().expect("4 bytes"),
        ))
    };
    if n >= 4 {
        let at = if n >= 8 { 4 } else { n - 4 };
        let head = u32_at(0) | u32_at(at) << (8 * at);
        let tail = u32_at(n.saturating_sub(8)) | u32_at(n - 4) << 32;
        return (head, tail & 0u64.wrapping_sub(u64::from(n > 8)));
    }
    let head = match n {
        0 => 0,
        // Bytes 0, n/2 and n-1 cover lengths 1 to 3.
        _ => {
            u64::from(s[0])
                | u64::from(s[n / 2]) << (8 * (n / 2))
                | u64::from(s[n - 1]) << (8 * (n - 1))
        }
    };
    (head, 0)
}

/// The slot of a value of `len` bytes with these first and last 8 bytes
/// (the last rotated, so bytes the two share do not cancel out).
#[inline]
fn slot(mul: u64, head: u64, tail: u64, len: usize) -> usize {
    ((head ^ tail.rotate_left(29) ^ len as u64).wrapping_mul(mul) >> (64 - SLOTS.trailing_zeros()))
        as usize
}

impl Memo {
    /// Inlined at each of its call sites (a dozen per event), so each has
    /// its own branch history and no call: 4.7 M fewer instructions on the
    /// 30 MB slice, and 3 % less CPU on the 1 GB file in interleaved rounds.
    #[inline(always)]
    fn get(&self, s: &str) -> Option<u32> {
        let (len, (head, tail)) = (s.len(), ends(s.as_bytes()));
        let i = slot(self.mul, head, tail, len);
        let Slot {
            head: h,
            tail: t,
            len: l,
            value,
        } = self.slots[i];
        if h != head || l as usize != len || t != tail {
            return None;
        }
        // Same length, head and tail: past 16 bytes, compare the middle.
        if len > 16
            && self.values[self.which[i] as usize].0.as_bytes()[8..len - 8]
                != s.as_bytes()[8..len - 8]
        {
            return None;
        }
        Some(value)
    }

    /// Whether the memo has room for another value.
    fn is_full(&self) -> bool {
        self.values.len() >= MEMO
    }

    /// Remembers `s` → `v` while the memo has room and a multiplier keeps
    /// every value in its own slot; whether it did.
    fn remember(&mut self, s: &str, v: u32) -> bool {
        if self.is_full() || s.len() >= u32::MAX as usize {
            return false;
        }
        self.values.push((s.into(), v));
        for mul in MULTIPLIERS {
            if self.place(mul) {
                return true;
            }
        }
        // No multiplier separates them: forget the newcomer.
        self.values.pop();
        let placed = MULTIPLIERS.iter().any(|&mul| self.place(mul));
        debug_assert!(placed, "the values placed before the newcomer place again");
        false
    }

    /// Puts every value in its slot under `mul`; false on a collision.
    fn place(&mut self, mul: u64) -> bool {
        let mut slots = [EMPTY; SLOTS];
        let mut which = [0; SLOTS];
        for (k, (s, v)) in self.values.iter().enumerate() {
            let new = Slot::of(s.as_bytes(), *v);
            let i = slot(mul, new.head, new.tail, s.len());
            if slots[i].len != u32::MAX {
                return false;
            }
            slots[i] = new;
            which[i] = k as u8;
        }
        (self.mul, self.slots, self.which) = (mul, slots, which);
        true
    }
}

/// A list metric's first 8 array texts that its memo can place, as clients
/// write them (`["trivy", "semgrep"]`), with the distinct cells of their
/// items.
/// Clients send a handful of lists over and over (a profile's tools), so
/// one lookup of the whole text replaces reading the items and looking up
/// each one.
#[derive(Debug, Clone, Default)]
struct ListMemo {
    /// Array text → its index in `spans`.
    texts: Memo,
    /// Per remembered text: the range of its cells in `cells`.
    spans: Vec<(u32, u32)>,
    cells: Vec<u32>,
}

/// One `(metric, value)` cell of a finished tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CellCount {
    pub(crate) metric: u16,
    pub(crate) value: u64,
    pub(crate) events: u64,
    pub(crate) installations: u64,
}

const TAG_SHIFT: u32 = 60;
const TAG_BOOL: u64 = 1;
const TAG_INT: u64 = 2;
const TAG_STR: u64 = 3;
const TAG_PAIR: u64 = 4;
const TAG_WEEK_PAIR: u64 = 5;
const PAYLOAD: u64 = (1 << TAG_SHIFT) - 1;
/// The value key of JSON `null` (a missing field counts as null).
pub(crate) const NULL: u64 = 0;
/// No cell (yet).
const NO_CELL: u32 = u32::MAX;
/// Installation key of an event without `anonymous_id`.
pub(crate) const NO_ID: u64 = 0;

/// A value as a 64-bit key: a tag in the top 4 bits, then the payload.
pub(crate) fn bool_key(b: bool) -> u64 {
    (TAG_BOOL << TAG_SHIFT) | u64::from(b)
}

pub(crate) fn int_key(i: i64) -> u64 {
    (TAG_INT << TAG_SHIFT) | (i as u64 & PAYLOAD)
}

/// A decoded value key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Null,
    Bool(bool),
    Int(i64),
    Str(u32),
    /// Two small keys (0 = null, else string code + 1).
    Pair(u32, u32),
    /// An ISO week code (`year * 100 + week`) and a small key.
    WeekPair(u32, u32),
}

pub(crate) fn decode(key: u64) -> Key {
    let payload = key & PAYLOAD;
    match key >> TAG_SHIFT {
        0 => Key::Null,
        TAG_BOOL => Key::Bool(payload == 1),
        TAG_INT => Key::Int(((payload << 4) as i64) >> 4),
        TAG_STR => Key::Str(payload as u32),
        TAG_WEEK_PAIR => Key::WeekPair((payload >> 30) as u32, (payload & ((1 << 30) - 1)) as u32),
        _ => Key::Pair((payload >> 30) as u32, (payload & ((1 << 30) - 1)) as u32),
    }
}

/// Dense codes for keys, numbered from 0 in order of first appearance (the
/// tally's cells, the report census's values).
#[derive(Debug, Clone)]
pub(crate) struct Codes<K> {
    map: FxHashMap<K, u32>,
    keys: Vec<K>,
}

impl<K> Default for Codes<K> {
    fn default() -> Self {
        Codes {
            map: FxHashMap::default(),
            keys: Vec::new(),
        }
    }
}

impl<K: Copy + Eq + std::hash::Hash> Codes<K> {
    /// The code of `key`, a new one if it is new.
    pub(crate) fn code(&mut self, key: K) -> u32 {
        let next = self.keys.len() as u32;
        let code = *self.map.entry(key).or_insert(next);
        if code == next {
            self.keys.push(key);
        }
        code
    }

    /// Every key, by code.
    pub(crate) fn keys(&self) -> &[K] {
        &self.keys
    }

    /// Forgets every key and keeps the memory.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.keys.clear();
    }
}

/// Chunk-local string dictionary: each distinct string once, end to end in
/// one buffer, found through a table of codes. A string costs its bytes and
/// about 14 more (its end, and a 4-byte slot at most 7/8 full), and no
/// allocation of its own: a client that sends a million distinct names costs
/// each tally that holds them about their size, not a million allocations.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    bytes: String,
    /// Where each code's string ends in `bytes` (it starts where the one
    /// before it ends).
    ends: Vec<usize>,
    table: hashbrown::HashTable<u32>,
}

fn str_hash(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// Code `code`'s string in an [`Interner`]'s buffer.
fn interned<'a>(bytes: &'a str, ends: &[usize], code: u32) -> &'a str {
    let c = code as usize;
    let start = if c == 0 { 0 } else { ends[c - 1] };
    &bytes[start..ends[c]]
}

impl Interner {
    /// The code of `s`, a new one (the next number) if it is new.
    pub(crate) fn code(&mut self, s: &str) -> u32 {
        let hash = str_hash(s);
        let Interner { bytes, ends, table } = self;
        if let Some(&c) = table.find(hash, |&c| interned(bytes, ends, c) == s) {
            return c;
        }
        let c = ends.len() as u32;
        bytes.push_str(s);
        ends.push(bytes.len());
        table.insert_unique(hash, c, |&c| str_hash(interned(bytes, ends, c)));
        c
    }

    /// The string of `code`.
    pub(crate) fn get(&self, code: u32) -> &str {
        interned(&self.bytes, &self.ends, code)
    }

    /// Every string, by code.
    pub(crate) fn strings(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len() as u32).map(|c| self.get(c))
    }
}

/// The accumulator. See the module doc.
#[derive(Debug, Clone)]
pub struct Tally {
    filters: Arc<Filters>,
    pub(crate) dict: Interner,
    /// The last day seen (epoch day, ISO week code, month code).
    last_day: (i64, i64, i64),
    /// The last installation looked up (key, index).
    last_id: (u64, u32),
    /// Installations (by [`installation_key`]): events and cells touched.
    installs: Installs,
    /// `(metric, value key)` ↔ dense cell code.
    cells: Codes<(u16, u64)>,
    /// Per metric: string value → cell code, for the first few values.
    cell_memo: Vec<Memo>,
    /// Per metric: the last non-string value key and its cell (consecutive
    /// events share weeks, months and pairs; flags index `bool_cells`).
    last_cell: Vec<(u64, u32)>,
    /// Per metric: the cells of a flag's three values (null, false,
    /// true), [`NO_CELL`] until first seen. A flag's value changes from one
    /// event to the next at random, so a direct index beats remembering the
    /// last value (a compare the branch predictor would miss).
    bool_cells: Vec<[u32; 3]>,
    /// The cells of values fixed by an event's payload type (see
    /// [`Fixed`]), [`NO_CELL`] until first seen: no string lookup for them.
    fixed_cells: [u32; Fixed::COUNT],
    /// The cells the current event touched, set on its installation's
    /// record in one go when the event is done (one record lookup per
    /// event instead of one per observation).
    touched: CellSet,
    /// The distinct cells of the list being observed (scratch space of
    /// [`Tally::observe_list`]).
    list_cells: Vec<u32>,
    /// Per cell (as `cell_events`): the stamp of the last list that listed
    /// it, so an item listed again is told in one look, however long the
    /// list (a client can send any list; a search among the list's cells
    /// so far took time quadratic in its length).
    list_seen: Vec<u32>,
    /// The stamp of the list being observed (0: none yet).
    list_stamp: u32,
    /// Per metric (only list metrics use theirs): array text → the
    /// distinct cells of its items.
    list_memo: Vec<ListMemo>,
    /// A `scan.completed` event's profile → dictionary code, for the
    /// first few values (the profile is a part of pair keys only there;
    /// the other parts are read from their cells, [`Tally::small_of`]).
    profile_memo: Memo,
    cell_events: Vec<u64>,
    /// Per metric: events that carried the field (the share denominator).
    pub(crate) carriers: Vec<u64>,
    /// Wizard duration histogram: seconds → events.
    pub(crate) wizard_seconds: FxHashMap<i64, u64>,
    /// Valid events dropped by a filter.
    pub(crate) filtered_out: u64,
    /// Events counted by class.
    pub(crate) counted_usage: u64,
    pub(crate) counted_test: u64,
    pub(crate) counted_marker: u64,
    /// Earliest and latest counted usage event.
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
    /// Earliest and latest usage event that only the period left out,
    /// before it and after it.
    pub(crate) outside_period: [Option<(Micros, Micros)>; 2],
}

impl Tally {
    /// An empty tally applying `filters`.
    pub fn new(filters: Arc<Filters>) -> Tally {
        Tally {
            filters,
            dict: Interner::default(),
            last_id: (NO_ID, NO_INDEX),
            last_day: (i64::MIN, 0, 0),
            installs: Installs::default(),
            cells: Codes::default(),
            cell_memo: vec![Memo::default(); 256],
            last_cell: vec![(u64::MAX, 0); 256],
            bool_cells: vec![[NO_CELL; 3]; super::registry::METRICS.len()],
            fixed_cells: [NO_CELL; Fixed::COUNT],
            touched: CellSet::default(),
            list_cells: Vec::new(),
            list_seen: Vec::new(),
            list_stamp: 0,
            list_memo: vec![ListMemo::default(); super::registry::METRICS.len()],
            profile_memo: Memo::default(),
            cell_events: Vec::new(),
            carriers: vec![0; super::registry::METRICS.len()],
            wizard_seconds: FxHashMap::default(),
            filtered_out: 0,
            counted_usage: 0,
            counted_test: 0,
            counted_marker: 0,
            first: None,
            last: None,
            outside_period: [None; 2],
        }
    }

    /// Empties the tally, as [`Tally::new`] makes it, but keeps the
    /// installation table's memory (the one part that grows).
    pub(crate) fn clear(&mut self) {
        let mut installs = std::mem::take(&mut self.installs);
        installs.clear();
        *self = Tally {
            installs,
            ..Tally::new(self.filters.clone())
        };
    }

    /// The filters this tally applies.
    pub fn filters(&self) -> &Filters {
        &self.filters
    }

    fn str_key(&mut self, s: &str) -> u64 {
        (TAG_STR << TAG_SHIFT) | u64::from(self.dict.code(s))
    }

    /// A profile as a part of a pair key: 0 for null, else its dictionary
    /// code + 1.
    fn small_profile(&mut self, s: Option<&Text<'_>>) -> u64 {
        let Some(s) = s else { return 0 };
        let code = match self.profile_memo.get(s) {
            Some(code) => code,
            None => {
                let code = self.dict.code(s);
                self.profile_memo.remember(s, code);
                code
            }
        };
        u64::from(code) + 1
    }

    /// A string-or-null cell's value as a part of a pair key (0 for null,
    /// else its dictionary code + 1), read from the cell instead of looked
    /// up again.
    fn small_of(&self, cell: u32) -> u64 {
        match decode(self.cells.keys()[cell as usize].1) {
            Key::Str(code) => u64::from(code) + 1,
            _ => 0,
        }
    }

    /// ISO week and month codes of a timestamp; consecutive events share a
    /// day, so the last day's codes are kept.
    #[inline]
    fn calendar(&mut self, us: Micros) -> (i64, i64) {
        let day = epoch_day(us);
        if self.last_day.0 != day {
            self.last_day = (day, iso_week_code(us), month_code(us));
        }
        (self.last_day.1, self.last_day.2)
    }

    /// The cell of a string value of `metric`.
    #[inline]
    fn str_cell(&mut self, metric: u16, s: &str) -> u32 {
        if let Some(cell) = self.cell_memo[metric as usize].get(s) {
            return cell;
        }
        let key = self.str_key(s);
        let cell = self.cell_code(metric, key);
        self.cell_memo[metric as usize].remember(s, cell);
        cell
    }

    fn id_index(&mut self, key: u64) -> u32 {
        if key == NO_ID {
            return NO_INDEX;
        }
        // A scan's events often follow each other in the file.
        if self.last_id.0 == key {
            return self.last_id.1;
        }
        let idx = self.installs.index(key);
        self.last_id = (key, idx);
        idx
    }

    fn cell_code(&mut self, metric: u16, value: u64) -> u32 {
        let code = self.cells.code((metric, value));
        if code as usize == self.cell_events.len() {
            self.cell_events.push(0);
            self.list_seen.push(0);
        }
        code
    }

    /// Counts an event in `cell`; the cell is set on the event's
    /// installation when the event is done ([`Tally::event_keyed`]).
    #[inline]
    fn add(&mut self, cell: u32, events: u64) {
        self.cell_events[cell as usize] += events;
        self.touched.insert(cell);
    }

    /// One event's fact `(metric, value key)`.
    #[inline]
    fn fact(&mut self, metric: u16, value: u64) {
        let cell = self.key_cell(metric, value);
        self.add(cell, 1);
    }

    /// The cell of a non-string value key of `metric`, through the
    /// metric's last value and cell.
    #[inline]
    fn key_cell(&mut self, metric: u16, value: u64) -> u32 {
        let (last, cell) = self.last_cell[metric as usize];
        if last == value {
            return cell;
        }
        let cell = self.cell_code(metric, value);
        self.last_cell[metric as usize] = (value, cell);
        cell
    }

    /// Every cell with its events and distinct installations.
    pub(crate) fn cell_counts(&self) -> Vec<CellCount> {
        let mut installations = vec![0u64; self.cells.keys().len()];
        for i in 0..self.installs.len() {
            for cell in self.installs.touched(i) {
                installations[cell as usize] += 1;
            }
        }
        self.cells
            .keys()
            .iter()
            .zip(&self.cell_events)
            .zip(installations)
            .map(|((&(metric, value), &events), installations)| CellCount {
                metric,
                value,
                events,
                installations,
            })
            .collect()
    }

    /// [`Tally::cell_counts`], then frees the cell table and what
    /// indexes it (a client can make a million cells: about 80 MB), for
    /// `finalize`, which needs only the counts, the dictionary and the
    /// installations' event counts from here on. The tally counts no more.
    pub(crate) fn take_cell_counts(&mut self) -> Vec<CellCount> {
        let counts = self.cell_counts();
        self.cells = Codes::default();
        self.cell_events = Vec::new();
        self.list_seen = Vec::new();
        self.cell_memo = Vec::new();
        self.list_memo = Vec::new();
        counts
    }

    /// Every cell's installations, end to end in one list: those of the
    /// cell `keys()[c]` are `members[starts[c]..starts[c + 1]]`, ascending
    /// and each once (the report's privacy rules take unions of them). One
    /// pass over the installations' bitsets counts each cell's
    /// installations, a second puts each in its place: no allocation per
    /// cell (a client can send a million distinct values).
    pub(crate) fn cell_installations(&self) -> CellMembers<'_> {
        let mut starts = Vec::with_capacity(self.cells.keys().len() + 1);
        starts.push(0usize);
        for c in self.cell_counts() {
            starts.push(starts[starts.len() - 1] + c.installations as usize);
        }
        let mut next = starts.clone();
        let mut members = vec![0u32; starts[starts.len() - 1]];
        for i in 0..self.installs.len() {
            for cell in self.installs.touched(i) {
                let at = &mut next[cell as usize];
                members[*at] = i;
                *at += 1;
            }
        }
        CellMembers {
            keys: self.cells.keys(),
            starts,
            members,
        }
    }

    /// The installation key ([`installation_key`]) of an installation index.
    pub(crate) fn installation_of(&self, index: u32) -> u64 {
        if index < self.installs.len() {
            self.installs.key(index)
        } else {
            NO_ID
        }
    }

    /// Usage events per installation (installations with an anonymous ID).
    pub(crate) fn events_per_installation(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.installs.len()).map(|i| self.installs.events(i))
    }

    #[inline]
    fn observe(&mut self, metric: MetricId, value: u64) {
        self.carriers[metric as usize] += 1;
        self.fact(metric as u16, value);
    }

    /// Counts an integer-or-null value, shown as its decimal text. One
    /// beyond the 60 bits of an integer key is counted as its text, so no
    /// two integers share a cell.
    fn observe_int(&mut self, metric: MetricId, value: Option<i64>) {
        const LIMIT: i64 = 1 << 59;
        match value {
            None => self.observe(metric, NULL),
            Some(n) if (-LIMIT..LIMIT).contains(&n) => self.observe(metric, int_key(n)),
            Some(n) => {
                let text = n.to_string();
                self.observe_str(metric, Some(&text));
            }
        }
    }

    /// Counts a string-or-null value; returns its cell.
    fn observe_str(&mut self, metric: MetricId, value: Option<&str>) -> u32 {
        self.carriers[metric as usize] += 1;
        let cell = match value {
            Some(s) => self.str_cell(metric as u16, s),
            None => self.key_cell(metric as u16, NULL),
        };
        self.add(cell, 1);
        cell
    }

    /// Counts a value fixed by the event's payload type.
    #[inline]
    fn observe_fixed(&mut self, fixed: Fixed, metric: MetricId) {
        self.carriers[metric as usize] += 1;
        let mut cell = self.fixed_cells[fixed as usize];
        if cell == NO_CELL {
            cell = self.str_cell(metric as u16, fixed.value());
            self.fixed_cells[fixed as usize] = cell;
        }
        self.add(cell, 1);
    }

    fn observe_bool(&mut self, metric: MetricId, value: Option<bool>) {
        // `report --previous` reads a published `true` back as a boolean
        // of these metrics only.
        debug_assert!(metric.counts_booleans(), "{metric:?} is no yes/no metric");
        let m = metric as usize;
        self.carriers[m] += 1;
        let state = value.map_or(0, |b| 1 + usize::from(b));
        let mut cell = self.bool_cells[m][state];
        if cell == NO_CELL {
            cell = self.cell_code(metric as u16, value.map_or(NULL, bool_key));
            self.bool_cells[m][state] = cell;
        }
        self.add(cell, 1);
    }

    /// A stamp no cell carries yet, for the next list (after `u32::MAX`
    /// lists every cell's stamp is wiped and they start again).
    fn next_list_stamp(&mut self) -> u32 {
        if self.list_stamp == u32::MAX {
            self.list_seen.fill(0);
            self.list_stamp = 0;
        }
        self.list_stamp += 1;
        self.list_stamp
    }

    /// Each distinct item of the list once; the event counts once as a carrier.
    fn observe_list(&mut self, metric: MetricId, list: Option<&TextList<'_>>) {
        let Some(list) = list else { return };
        let m = metric as usize;
        self.carriers[m] += 1;
        let text = list.raw_text();
        if let Some(span) = text.and_then(|text| self.list_memo[m].texts.get(text)) {
            let (start, end) = self.list_memo[m].spans[span as usize];
            for k in start..end {
                let cell = self.list_memo[m].cells[k as usize];
                self.add(cell, 1);
            }
            return;
        }
        // An item listed twice counts once: its cell carries this list's
        // stamp from its first listing on.
        let stamp = self.next_list_stamp();
        let mut distinct = std::mem::take(&mut self.list_cells);
        distinct.clear();
        for item in list.iter() {
            let cell = self.str_cell(metric as u16, item);
            let seen = &mut self.list_seen[cell as usize];
            if *seen != stamp {
                *seen = stamp;
                self.add(cell, 1);
                distinct.push(cell);
            }
        }
        if let Some(text) = text {
            let ListMemo {
                texts,
                spans,
                cells,
            } = &mut self.list_memo[m];
            // A full memo keeps no more: spare the copy of the cells.
            if !texts.is_full() {
                let start = cells.len() as u32;
                cells.extend_from_slice(&distinct);
                if texts.remember(text, spans.len() as u32) {
                    spans.push((start, cells.len() as u32));
                } else {
                    cells.truncate(start as usize);
                }
            }
        }
        self.list_cells = distinct;
    }

    fn usage(&mut self, event: &Event<'_>, id: u32) {
        use MetricId as M;
        let c = &event.common;
        self.observe_str(M::Platforms, c.platform.as_deref());
        let version = self.observe_str(M::Versions, c.version.as_deref());
        let (week, month) = self.calendar(event.timestamp);
        let version = self.small_of(version);
        self.observe(
            M::VersionsByWeek,
            (TAG_WEEK_PAIR << TAG_SHIFT) | ((week as u64) << 30) | version,
        );
        self.observe_str(M::PythonVersions, c.python_version.as_deref());
        if id != NO_INDEX {
            self.installs.add_events(id, 1);
        }
        self.fact(INSTALL, NULL);
        self.fact(ACTIVE_WEEK, int_key(week));
        self.fact(ACTIVE_MONTH, int_key(month));
        self.first = Some(
            self.first
                .map_or(event.timestamp, |f| f.min(event.timestamp)),
        );
        self.last = Some(
            self.last
                .map_or(event.timestamp, |l| l.max(event.timestamp)),
        );
        match &event.payload {
            Payload::ScanStarted(s) => {
                self.observe_fixed(Fixed::Started, M::ScanCompletion);
                self.observe_str(M::Profiles, s.profile.as_deref());
                self.observe_str(M::Modes, s.mode.as_deref());
                self.observe_bool(M::CiDetected, s.ci_detected);
                self.observe_bool(M::ComplianceUsage, s.compliance_usage);
                self.observe_str(M::MultiTarget, s.target_types.map(|t| t.shape()));
                self.observe_bool(M::MultiTargetReported, s.multi_target_scan);
                self.observe_str(M::TargetsBuckets, s.total_targets_bucket.as_deref());
                self.observe_str(M::FrequencyHints, s.scan_frequency_hint.as_deref());
                self.observe_list(M::ScanTools, s.tools.as_ref());
            }
            Payload::ScanCompleted(s) => {
                self.observe_fixed(Fixed::Completed, M::ScanCompletion);
                let duration = self.observe_str(M::DurationBuckets, s.duration_bucket.as_deref());
                let findings =
                    self.observe_str(M::FindingsBuckets, s.total_findings_bucket.as_deref());
                let profile = self.small_profile(s.profile.as_ref());
                let pair = |b| (TAG_PAIR << TAG_SHIFT) | (profile << 30) | b;
                self.observe(M::DurationBucketsByProfile, pair(self.small_of(duration)));
                self.observe(M::FindingsBucketsByProfile, pair(self.small_of(findings)));
                self.observe_int(M::ToolsFailed, s.tools_failed);
            }
            Payload::ToolFailed(t) => {
                self.observe_str(M::ToolFailures, t.tool.as_deref());
                self.observe_str(M::FailureTypes, t.failure_type.as_deref());
            }
            Payload::WizardCompleted(w) => {
                self.observe_str(M::WizardProfiles, w.profile_selected.as_deref());
                self.observe_str(M::WizardModes, w.execution_mode.as_deref());
                self.observe_str(M::WizardArtifacts, w.artifact_generated.as_deref());
                if let Some(secs) = w.duration_seconds {
                    *self.wizard_seconds.entry(secs).or_insert(0) += 1;
                }
            }
            Payload::ReportGenerated(r) => {
                self.observe_list(M::OutputFormats, r.output_formats.as_ref());
                self.observe_bool(M::SuppressionsUsed, r.suppressions_used);
                self.observe_bool(M::ComplianceEnabled, r.compliance_enabled);
            }
            Payload::PolicyEvaluated(p) => {
                self.observe_str(M::PolicyViolations, p.violations_bucket.as_deref());
            }
            Payload::Unknown | Payload::Test | Payload::Marker => {}
        }
    }
}

/// The installations behind each of a tally's cells
/// ([`Tally::cell_installations`]).
pub(crate) struct CellMembers<'a> {
    /// Each cell as (metric, value key), by cell code.
    pub(crate) keys: &'a [(u16, u64)],
    /// Where each cell's installations start in `members`, and one more:
    /// where the last ends.
    pub(crate) starts: Vec<usize>,
    /// Installation indexes, cell after cell.
    pub(crate) members: Vec<u32>,
}

/// The installation key of an anonymous ID: a UUID's 128 bits (compared by
/// value: either letter case) folded to 64, any other string hashed; never
/// [`NO_ID`]. The fold mixes the low half (MurmurHash3's finaliser, a
/// bijection) before adding it in: a plain `high ^ low` gave every UUID
/// whose halves are equal (the nil UUID,
/// `11111111-1111-1111-1111-111111111111`: placeholders a broken client
/// may send) the same key, as it did two UUIDs with their halves swapped.
/// Random v4 bits stay uniform either way, so two random IDs share a key
/// with a chance of about n² / 2⁶⁵.
pub(crate) fn installation_key(id: Option<&str>) -> u64 {
    // An empty or blank ID names no installation (a review: `""` and
    // `"   "` were counted as two).
    let Some(id) = id.filter(|id| !id.trim().is_empty()) else {
        return NO_ID;
    };
    let key = match parse_uuid(id) {
        Some(u) => (u >> 64) as u64 ^ fmix64(u as u64),
        None => {
            let mut h = FxHasher::default();
            h.write(id.as_bytes());
            h.finish()
        }
    };
    // The nil UUID's key: any constant some ID also maps to, but none of
    // a simple form (1 was the key of `00000000-0000-0001-0000-000000000000`).
    if key == NO_ID {
        0x6a09_e667_f3bc_c909
    } else {
        key
    }
}

/// MurmurHash3's 64-bit finaliser: every input bit moves about half the
/// output bits, and no two inputs share an output.
#[inline]
fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Eight ASCII hex digits (either case; the first most significant) as
/// their 32-bit value, all eight at once (SWAR), or `None` if any byte is
/// not a hex digit.
#[inline]
fn hex8(chars: [u8; 8]) -> Option<u32> {
    const HIGH: u64 = bytes8(0x80);
    let x = u64::from_be_bytes(chars);
    if x & HIGH != 0 {
        return None;
    }
    // Per byte `b < 0x80`, the high bit of `b + 0x80 - m` says `b >= m`:
    // the sums stay below 0x100, so no carry crosses into the next byte.
    let at_least = |m: u8| x.wrapping_add(bytes8(0x80 - m)) & HIGH;
    let digit = at_least(b'0') & !at_least(b'9' + 1);
    let upper = at_least(b'A') & !at_least(b'F' + 1);
    let lower = at_least(b'a') & !at_least(b'f' + 1);
    if digit | upper | lower != HIGH {
        return None;
    }
    // Letters have bit 6 set: `a`/`A` is 1 + 9.
    let nibbles = (x & bytes8(0x0f)) + 9 * ((x >> 6) & bytes8(0x01));
    // Pack the nibbles pairwise, then the bytes, then the 16-bit halves.
    let v = ((nibbles >> 4) | nibbles) & 0x00ff_00ff_00ff_00ff;
    let v = ((v >> 8) | v) & 0x0000_ffff_0000_ffff;
    Some((((v >> 16) | v) & 0xffff_ffff) as u32)
}

/// A UUID in its 8-4-4-4-12 hex form (either case) as its 128-bit value.
fn parse_uuid(s: &str) -> Option<u128> {
    let b: &[u8; 36] = s.as_bytes().try_into().ok()?;
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let group = |i: usize, j: usize| -> [u8; 8] {
        let mut out = [0; 8];
        out[..4].copy_from_slice(&b[i..i + 4]);
        out[4..].copy_from_slice(&b[j..j + 4]);
        out
    };
    let words = [group(0, 4), group(9, 14), group(19, 24), group(28, 32)];
    let mut v = 0u128;
    for w in words {
        v = (v << 32) | u128::from(hex8(w)?);
    }
    Some(v)
}

/// Values an event's payload type fixes: the type of each typed usage
/// event (one name per payload variant) and the `scan_completion` values.
#[derive(Debug, Clone, Copy)]
enum Fixed {
    ScanStarted,
    ScanCompleted,
    ToolFailed,
    WizardCompleted,
    ReportGenerated,
    PolicyEvaluated,
    Started,
    Completed,
}

impl Fixed {
    const COUNT: usize = Fixed::Completed as usize + 1;

    /// The value.
    fn value(self) -> &'static str {
        match self {
            Fixed::ScanStarted | Fixed::Started => "scan.started",
            Fixed::ScanCompleted | Fixed::Completed => "scan.completed",
            Fixed::ToolFailed => "tool.failed",
            Fixed::WizardCompleted => "wizard.completed",
            Fixed::ReportGenerated => "report.generated",
            Fixed::PolicyEvaluated => "policy.evaluated",
        }
    }

    /// The event type a payload variant fixes (`None`: the variant is
    /// shared by several names, or by any name). An index, not a `match`,
    /// which compiles to a jump on the event type, different from one
    /// event to the next.
    #[inline]
    fn event_type(payload: &Payload<'_>) -> Option<Fixed> {
        // By `Payload::index`: the typed usage variants come first, in
        // this order (a unit test pins it).
        const TYPES: [Fixed; 6] = [
            Fixed::ScanStarted,
            Fixed::ScanCompleted,
            Fixed::ToolFailed,
            Fixed::WizardCompleted,
            Fixed::ReportGenerated,
            Fixed::PolicyEvaluated,
        ];
        TYPES.get(payload.index()).copied()
    }
}

impl Tally {
    /// Counts one event whose [`installation_key`] the caller has taken
    /// (a caller feeding several tallies takes it once); whether the
    /// filters kept it.
    pub(crate) fn event_keyed(&mut self, event: &Event<'_>, key: u64) -> bool {
        // `Filters::keep`, its two halves each asked once.
        let in_period = self.filters.in_period(event);
        if !in_period || !self.filters.keep_in_any_period(event) {
            self.filtered_out += 1;
            if !in_period
                && self.filters.counts_as_usage(event)
                && self.filters.keep_in_any_period(event)
            {
                let t = event.timestamp;
                let side = usize::from(self.filters.since.is_none_or(|s| t >= s));
                self.outside_period[side] = Some(match self.outside_period[side] {
                    Some((a, b)) => (a.min(t), b.max(t)),
                    None => (t, t),
                });
            }
            return false;
        }
        let class = event.class();
        let id = self.id_index(key);
        match Fixed::event_type(&event.payload) {
            Some(fixed) => {
                debug_assert_eq!(&*event.name, fixed.value(), "a payload type has one name");
                self.observe_fixed(fixed, MetricId::EventTypes);
            }
            None => {
                self.observe_str(MetricId::EventTypes, Some(&event.name));
            }
        }
        match class {
            EventClass::Usage => {
                self.counted_usage += 1;
                self.usage(event, id);
            }
            EventClass::Test => {
                self.counted_test += 1;
                if self.filters.include_test {
                    self.counted_usage += 1;
                    self.usage(event, id);
                }
            }
            EventClass::Marker => self.counted_marker += 1,
        }
        if id != NO_INDEX {
            self.installs.touch_set(id, &self.touched);
        }
        self.touched.clear();
        true
    }
}

impl Sink for Tally {
    fn event(&mut self, _pos: LinePos, event: &Event<'_>) {
        self.event_keyed(
            event,
            installation_key(event.common.anonymous_id.as_deref()),
        );
    }

    fn merge(&mut self, other: Tally) {
        self.merge_from(&other);
    }

    fn absorb(&mut self, other: &mut Tally, _fresh: impl FnOnce() -> Tally) {
        self.merge_from(other);
        other.clear();
    }
}

impl Tally {
    /// Adds `other`'s counts to this tally's.
    pub(crate) fn merge_from(&mut self, other: &Tally) {
        let remap: Vec<u32> = other.dict.strings().map(|s| self.dict.code(s)).collect();
        let small = |c: u64| {
            if c == 0 {
                0
            } else {
                u64::from(remap[(c - 1) as usize]) + 1
            }
        };
        let cell_map: Vec<u32> = other
            .cells
            .keys()
            .iter()
            .map(|&(metric, value)| {
                let value = match decode(value) {
                    Key::Str(c) => (TAG_STR << TAG_SHIFT) | u64::from(remap[c as usize]),
                    Key::Pair(a, b) => {
                        (TAG_PAIR << TAG_SHIFT) | (small(a.into()) << 30) | small(b.into())
                    }
                    Key::WeekPair(w, b) => {
                        (TAG_WEEK_PAIR << TAG_SHIFT) | (u64::from(w) << 30) | small(b.into())
                    }
                    _ => value,
                };
                self.cell_code(metric, value)
            })
            .collect();
        for (cell, events) in other.cell_events.iter().enumerate() {
            self.cell_events[cell_map[cell] as usize] += events;
        }
        // Their cells, renumbered as ours, are gathered as an event's are and
        // set on our record in one go (one record lookup, not one per cell).
        let mut cells = CellSet::default();
        self.installs
            .merge_each(&other.installs, |installs, ours, theirs| {
                installs.add_events(ours, other.installs.events(theirs));
                cells.clear();
                for cell in other.installs.touched(theirs) {
                    cells.insert(cell_map[cell as usize]);
                }
                installs.touch_set(ours, &cells);
            });
        for (mine, theirs) in self.carriers.iter_mut().zip(&other.carriers) {
            *mine += theirs;
        }
        for (&secs, &n) in &other.wizard_seconds {
            *self.wizard_seconds.entry(secs).or_insert(0) += n;
        }
        self.filtered_out += other.filtered_out;
        self.counted_usage += other.counted_usage;
        self.counted_test += other.counted_test;
        self.counted_marker += other.counted_marker;
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (mine, theirs) in self.outside_period.iter_mut().zip(other.outside_period) {
            *mine = match (*mine, theirs) {
                (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
                (a, b) => a.or(b),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_numbers_strings_by_first_appearance_and_gives_them_back() {
        let mut dict = Interner::default();
        // Enough strings to grow its table and buffer many times; "" and
        // strings that are prefixes of others among them.
        let words: Vec<String> = (0..5000)
            .map(|i| match i % 3 {
                0 => "x".repeat(i % 7),
                1 => format!("t{i}"),
                _ => format!("t{}", i / 10),
            })
            .collect();
        let mut first: Vec<&str> = Vec::new();
        for w in &words {
            let code = dict.code(w) as usize;
            if code == first.len() {
                first.push(w);
            }
            assert_eq!(first[code], w, "code {code}");
        }
        // Asking again changes nothing; each code gives its string back.
        for w in &words {
            let code = dict.code(w);
            assert_eq!(dict.get(code), w);
        }
        assert_eq!(dict.ends.len(), first.len());
        assert_eq!(dict.strings().collect::<Vec<_>>(), first);
        let distinct: std::collections::HashSet<&String> = words.iter().collect();
        assert_eq!(first.len(), distinct.len());
        assert_eq!(
            dict.bytes.len(),
            first.iter().map(|w| w.len()).sum::<usize>()
        );
    }

    #[test]
    fn a_listed_item_counts_once_per_event_however_often_it_is_listed() {
        use crate::metrics::{Filters, Value, summarize};
        let line = |tools: &[String]| {
            let tools: Vec<String> = tools.iter().map(|t| format!("{t:?}")).collect();
            format!(
                r#"{{"event": "scan.started", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2026-01-05T10:00:00Z", "metadata": {{"tools": [{}]}}}}"#,
                tools.join(", ")
            )
        };
        let t = |i: usize| format!("t{i}");
        // 20 distinct items, each listed twice, some past the 16 on the stack.
        let mut twice: Vec<String> = (0..20).map(t).collect();
        twice.extend((0..20).rev().map(t));
        // An escape sends this line through serde_json (a list of items).
        let escaped =
            line(&["t1".into(), "t\\u0031".into(), "t0".into(), "t0".into()]).replace(r"\\", r"\");
        let input = [line(&twice), line(&[t(0), t(0), t(19)]), escaped].join("\n");
        let summary = summarize(input.as_bytes(), "x", Filters::default()).unwrap();
        let counts: std::collections::BTreeMap<String, u64> = summary
            .metric(MetricId::ScanTools)
            .rows
            .iter()
            .map(|r| (r.value.text().to_string(), r.count))
            .collect();
        let mut expected: std::collections::BTreeMap<String, u64> =
            (0..20).map(|i| (t(i), 1)).collect();
        expected.insert(t(0), 3);
        expected.insert(t(1), 2);
        expected.insert(t(19), 2);
        assert_eq!(counts, expected);
        assert_eq!(summary.metric(MetricId::ScanTools).denominator, 3);
        assert!(
            summary
                .metric(MetricId::ScanTools)
                .rows
                .iter()
                .all(|r| r.value != Value::Null)
        );
    }

    /// The span of usage events that only the period left out (what the
    /// "none passes the filters" warning tells): out of order, across a
    /// merge, and without events another filter or their class leaves out.
    #[test]
    fn the_span_outside_the_period_counts_only_what_the_period_left_out() {
        use crate::event::{LinePos, Parsed, parse_line, time::parse_timestamp};
        let line = |event: &str, at: &str, version: &str| {
            format!(
                r#"{{"event": "{event}", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a30", "timestamp": "{at}", "version": "{version}", "metadata": {{}}}}"#
            )
        };
        let filters = Arc::new(Filters {
            since: Some(parse_timestamp("2026-01-10T00:00:00Z").unwrap()),
            until: Some(parse_timestamp("2026-03-01T00:00:00Z").unwrap()),
            version: Some("1.0".into()),
            ..Filters::default()
        });
        let feed = |t: &mut Tally, lines: &[String]| {
            for (i, l) in lines.iter().enumerate() {
                let Parsed::Event(e) = parse_line(l) else {
                    panic!("line {i} is valid")
                };
                t.event(LinePos::new(0, i as u64 + 1), &e);
            }
        };
        let day = |s: &str| Some(parse_timestamp(s).unwrap());
        let span = |a: &str, b: &str| day(a).zip(day(b));
        let mut a = Tally::new(filters.clone());
        feed(
            &mut a,
            &[
                line("scan.started", "2026-03-05T10:00:00Z", "1.0.2"),
                line("scan.started", "2026-01-05T10:00:00Z", "1.0.0"),
                // Left out by the version, and a test event by its class.
                line("scan.started", "2025-01-01T10:00:00Z", "0.9.0"),
                line("test", "2024-01-01T10:00:00Z", "1.0.0"),
                line("scan.started", "2026-02-01T10:00:00Z", "1.0.0"),
                line("scan.started", "2026-03-20T10:00:00Z", "1.0.0"),
                line("scan.started", "2026-01-02T10:00:00Z", "1.0.0"),
            ],
        );
        // Before the period and after it, each in any order.
        assert_eq!(
            a.outside_period,
            [
                span("2026-01-02T10:00:00Z", "2026-01-05T10:00:00Z"),
                span("2026-03-05T10:00:00Z", "2026-03-20T10:00:00Z")
            ]
        );
        let mut b = Tally::new(filters.clone());
        feed(
            &mut b,
            &[
                line("scan.completed", "2026-04-01T00:00:00Z", "1.0.0"),
                line("scan.completed", "2025-12-31T23:00:00Z", "1.0.1"),
            ],
        );
        a.merge_from(&b);
        let merged = [
            span("2025-12-31T23:00:00Z", "2026-01-05T10:00:00Z"),
            span("2026-03-05T10:00:00Z", "2026-04-01T00:00:00Z"),
        ];
        assert_eq!(a.outside_period, merged);
        // Merging an empty tally keeps the spans, and so does merging into
        // one; an event in the period adds nothing to them.
        a.merge_from(&Tally::new(filters.clone()));
        let mut empty = Tally::new(filters.clone());
        empty.merge_from(&a);
        assert_eq!(empty.outside_period, merged);
        feed(
            &mut a,
            &[line("scan.started", "2026-02-10T00:00:00Z", "1.0.0")],
        );
        assert_eq!(a.outside_period, merged);
        assert_eq!(a.counted_usage, 2);
    }

    #[test]
    fn list_stamps_start_again_without_losing_an_item() {
        use crate::event::{LinePos, Parsed, parse_line};
        // Lists the memo does not know (a different spacing each), so each
        // goes item by item through the stamps.
        let lines = [
            r#"{"event": "scan.started", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a30", "timestamp": "2026-01-05T10:00:00Z", "metadata": {"tools": ["a", "b"]}}"#,
            r#"{"event": "scan.started", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a30", "timestamp": "2026-01-05T10:00:00Z", "metadata": {"tools": ["c" ]}}"#,
            r#"{"event": "scan.started", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a30", "timestamp": "2026-01-05T10:00:00Z", "metadata": {"tools": [ "a","b", "d", "a"]}}"#,
            r#"{"event": "scan.started", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a30", "timestamp": "2026-01-05T10:00:00Z", "metadata": {"tools": ["b",  "a", "c"]}}"#,
        ];
        let tally = |stamp_after_first: Option<u32>| {
            let mut t = Tally::new(Arc::new(Filters::default()));
            for (i, line) in lines.iter().enumerate() {
                let Parsed::Event(e) = parse_line(line) else {
                    panic!("line {i} is valid")
                };
                t.event(LinePos::new(0, i as u64 + 1), &e);
                if let (0, Some(stamp)) = (i, stamp_after_first) {
                    // The next lists take the last stamps, then start again
                    // at 1: the stamp "a" and "b" carry from the first list.
                    assert_eq!(t.list_stamp, 1);
                    t.list_stamp = stamp;
                }
            }
            t.cell_counts()
        };
        let tools = |counts: Vec<CellCount>| -> Vec<u64> {
            let mut events: Vec<u64> = counts
                .iter()
                .filter(|c| c.metric == MetricId::ScanTools as u16)
                .map(|c| c.events)
                .collect();
            events.sort_unstable();
            events
        };
        // d (new in the list that wraps: a cell no list has stamped yet
        // must not look stamped) in one list, c in two, a and b in three.
        assert_eq!(tools(tally(None)), [1, 2, 3, 3]);
        assert_eq!(tools(tally(Some(u32::MAX - 1))), [1, 2, 3, 3]);
        assert_eq!(tally(Some(u32::MAX - 1)), tally(None));
    }

    #[test]
    fn lists_read_through_the_memo_count_as_their_items() {
        use crate::metrics::summarize;
        use std::collections::{BTreeMap, BTreeSet};
        // Texts that share their first and last 8 bytes and their length
        // (the memo's quick compares), a repeated item, the same items
        // spelled with other spaces, and more texts than a memo keeps.
        let long = |m: &str| format!("prefix-{m}-suffix00");
        let lists: Vec<Vec<String>> = vec![
            vec!["trivy".into(), "semgrep".into()],
            vec!["semgrep".into(), "trivy".into()],
            vec![long("aa"), long("bb")],
            vec![long("ab"), long("bb")],
            vec!["trivy".into(), "trivy".into(), "zap".into()],
            vec![],
            vec!["zap".into()],
            (0..20).map(|i| format!("t{i}")).collect(),
            vec!["t3".into(), "t3".into(), long("aa")],
            vec!["x".into(), "y".into(), "x".into()],
            vec!["y".into()],
            vec![long("ab"), "trivy".into()],
        ];
        let text = |items: &[String], sep: &str| {
            let items: Vec<String> = items.iter().map(|t| format!("{t:?}")).collect();
            format!("[{}]", items.join(sep))
        };
        let mut lines = Vec::new();
        let mut expected: [BTreeMap<String, (u64, BTreeSet<usize>)>; 2] = Default::default();
        for n in 0..300usize {
            let (k, id) = ((n * 7 + n / 13) % lists.len(), n % 5);
            let items = &lists[k];
            let sep = if n % 11 == 0 { "," } else { ", " };
            // The two list metrics get the same texts, each its own cells.
            let (event, field, metric) = if n % 3 == 0 {
                ("report.generated", "output_formats", 1)
            } else {
                ("scan.started", "tools", 0)
            };
            lines.push(format!(
                r#"{{"event": "{event}", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3{id}", "timestamp": "2026-01-05T10:00:00Z", "metadata": {{"{field}": {}}}}}"#,
                text(items, sep)
            ));
            for item in items.iter().collect::<BTreeSet<_>>() {
                let (count, ids) = expected[metric].entry(item.clone()).or_default();
                *count += 1;
                ids.insert(id);
            }
        }
        let summary = summarize(lines.join("\n").as_bytes(), "x", Filters::default()).unwrap();
        for (metric, expected, events) in [
            (MetricId::ScanTools, &expected[0], 200),
            (MetricId::OutputFormats, &expected[1], 100),
        ] {
            let metric = summary.metric(metric);
            let counted: BTreeMap<String, (u64, u64)> = metric
                .rows
                .iter()
                .map(|r| {
                    (
                        r.value.text().to_string(),
                        (r.count, r.installations.unwrap()),
                    )
                })
                .collect();
            let expected: BTreeMap<String, (u64, u64)> = expected
                .iter()
                .map(|(item, (count, ids))| (item.clone(), (*count, ids.len() as u64)))
                .collect();
            assert_eq!(counted, expected);
            assert_eq!(metric.denominator, events);
        }
    }

    #[test]
    fn each_payload_variant_fixes_its_own_event_type_or_none() {
        let payloads = [
            (
                Payload::ScanStarted(Default::default()),
                Some("scan.started"),
            ),
            (
                Payload::ScanCompleted(Default::default()),
                Some("scan.completed"),
            ),
            (Payload::ToolFailed(Default::default()), Some("tool.failed")),
            (
                Payload::WizardCompleted(Default::default()),
                Some("wizard.completed"),
            ),
            (
                Payload::ReportGenerated(Default::default()),
                Some("report.generated"),
            ),
            (
                Payload::PolicyEvaluated(Default::default()),
                Some("policy.evaluated"),
            ),
            (Payload::Unknown, None),
            (Payload::Test, None),
            (Payload::Marker, None),
        ];
        for (i, (payload, name)) in payloads.iter().enumerate() {
            assert_eq!(payload.index(), i);
            assert_eq!(Fixed::event_type(payload).map(Fixed::value), *name);
        }
        // The scan_completion values.
        assert_eq!(Fixed::Started.value(), "scan.started");
        assert_eq!(Fixed::Completed.value(), "scan.completed");
        // The names as the audit's schema lists them and the parsers read
        // them: every typed variant once, under its own name.
        let mut fixed = Vec::new();
        for spec in crate::audit::schema::EVENTS {
            let line = format!(
                r#"{{"event": "{}", "timestamp": "2025-10-19T00:00:00Z"}}"#,
                spec.name
            );
            let crate::event::Parsed::Event(event) = crate::event::parse_line(&line) else {
                panic!("{line}")
            };
            if let Some(f) = Fixed::event_type(&event.payload) {
                assert_eq!(f.value(), spec.name);
                fixed.push(f as usize);
            }
        }
        fixed.sort_unstable();
        assert_eq!(fixed, (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn keys_round_trip() {
        assert_eq!(decode(NULL), Key::Null);
        assert_eq!(decode(bool_key(true)), Key::Bool(true));
        assert_eq!(decode(bool_key(false)), Key::Bool(false));
        assert_eq!(decode(int_key(202603)), Key::Int(202603));
        assert_eq!(decode(int_key(-5)), Key::Int(-5));
        let mut t = Tally::new(Arc::default());
        let k = t.str_key("x");
        assert_eq!(decode(k), Key::Str(0));
        let x = t.str_cell(MetricId::Profiles as u16, "x");
        let null = t.key_cell(MetricId::Profiles as u16, NULL);
        assert_eq!((t.small_of(x), t.small_of(null)), (1, 0));
        let p = (TAG_PAIR << TAG_SHIFT) | (t.small_of(x) << 30) | t.small_of(null);
        assert_eq!(decode(p), Key::Pair(1, 0));
        let w = (TAG_WEEK_PAIR << TAG_SHIFT) | (202_653 << 30) | 1;
        assert_eq!(decode(w), Key::WeekPair(202_653, 1));
    }

    /// What [`hex8`] must give, a digit at a time.
    fn hex8_model(chars: [u8; 8]) -> Option<u32> {
        chars.iter().try_fold(0u32, |v, &c| {
            let d = (c as char).to_digit(16)?;
            Some((v << 4) | d)
        })
    }

    #[test]
    fn hex8_reads_every_digit_and_refuses_every_other_byte() {
        let base = *b"09afAF5c";
        assert_eq!(hex8(base), Some(0x09af_af5c));
        for at in 0..8 {
            for c in 0..=255u8 {
                let mut chars = base;
                chars[at] = c;
                assert_eq!(hex8(chars), hex8_model(chars), "{chars:?}");
            }
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Bytes mostly near the digit and letter ranges.
            let chars = x
                .to_le_bytes()
                .map(|b| b"0123456789abcdefABCDEF/:@G`g"[b as usize % 28]);
            assert_eq!(hex8(chars), hex8_model(chars), "{chars:?}");
        }
    }

    #[test]
    fn uuids_parse_to_their_value() {
        assert_eq!(
            parse_uuid("A7F3C8E2-4B1D-4F9E-8C3A-2D5E7F9B1A3C"),
            Some(0xa7f3c8e2_4b1d_4f9e_8c3a_2d5e7f9b1a3c)
        );
        assert_eq!(
            parse_uuid("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c"),
            Some(0xa7f3c8e2_4b1d_4f9e_8c3a_2d5e7f9b1a3c)
        );
        assert_eq!(parse_uuid("g7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c"), None);
        assert_eq!(parse_uuid("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3"), None);
        assert_eq!(parse_uuid("a7f3c8e2-4b1d-4f9e-8c3a 2d5e7f9b1a3c"), None);
    }

    #[test]
    fn prefixes_and_suffixes_are_the_bytes_they_stand_for() {
        let bytes: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8).collect();
        for start in 0..8 {
            for len in 0..=24 {
                let s = &bytes[start..start + len];
                let model = |part: &[u8]| {
                    part.iter()
                        .enumerate()
                        .fold(0u64, |v, (i, &c)| v | u64::from(c) << (8 * i))
                };
                let tail = if len > 8 { model(&s[len - 8..]) } else { 0 };
                assert_eq!(ends(s), (model(&s[..len.min(8)]), tail), "{s:?}");
            }
        }
    }

    #[test]
    fn memos_tell_values_apart_past_their_prefix_and_size() {
        let mut t = Tally::new(Arc::default());
        // More values than a memo holds, sharing 8-byte prefixes, and short ones.
        let values: Vec<String> = (0..20)
            .map(|i| format!("abcdefgh{i}"))
            .chain(["a", "ab", "", "abcdefgh"].map(String::from))
            .collect();
        for round in 0..3 {
            for (i, v) in values.iter().enumerate() {
                let cell = t.str_cell(MetricId::Platforms as u16, v);
                assert_eq!(cell as usize, i, "round {round}: {v:?}");
            }
        }
        let mut m = Memo::default();
        m.remember("abcdefgh1", 1);
        assert_eq!(m.get("abcdefgh1"), Some(1));
        assert_eq!(m.get("abcdefgh2"), None);
        assert_eq!(m.get("abcdefgh"), None);
        // Lists of one first item and one length differ only past their
        // first 8 bytes: the memo still keeps all of them.
        let mut m = Memo::default();
        let lists = ["zap", "zip", "bat", "cat"].map(|t| format!(r#"["semgrep", "{t}"]"#));
        for (i, list) in lists.iter().enumerate() {
            assert!(m.remember(list, i as u32), "{list}");
        }
        for (i, list) in lists.iter().enumerate() {
            assert_eq!(m.get(list), Some(i as u32));
        }
    }

    #[test]
    fn a_memo_finds_every_value_it_keeps_and_nothing_else() {
        // Telemetry-like values, many sharing prefixes, lengths or both.
        let pool: Vec<String> = [
            "Linux",
            "Darwin",
            "Windows",
            "",
            "fast",
            "balanced",
            "deep",
            "cli",
            "docker",
            "native",
            "1-5",
            "5-15min",
            "10-100",
            "0",
            "trivy",
            "semgrep",
            "abcdefgh",
            "abcdefghi",
            "abcdefghj",
            // Past 16 bytes: same head, tail and length, another middle.
            "abcdefgh-mid-12345678",
            "abcdefgh-MID-12345678",
            "abcdefgh12345678",
            "abcdefgh1234567",
            "\0",
            "\0\0",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain((0..40).map(|i| format!("0.{}.{}", i / 7, i % 7)))
        .collect();
        for start in 0..pool.len() {
            let mut m = Memo::default();
            let mut kept = Vec::new();
            for (n, s) in pool.iter().cycle().skip(start).take(12).enumerate() {
                m.remember(s, n as u32);
                if m.get(s) == Some(n as u32) {
                    kept.push((s, n as u32));
                }
            }
            assert!(kept.len() >= MEMO.min(12) - 1, "{kept:?}");
            for s in &pool {
                let want = kept.iter().find(|(k, _)| *k == s).map(|&(_, v)| v);
                assert_eq!(m.get(s), want, "{s:?}");
            }
        }
    }

    #[test]
    fn installation_keys() {
        let a = installation_key(Some("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c"));
        let b = installation_key(Some("A7F3C8E2-4B1D-4F9E-8C3A-2D5E7F9B1A3C"));
        assert_eq!(a, b, "UUIDs compare by value");
        assert_ne!(
            a,
            installation_key(Some("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3d"))
        );
        assert_ne!(installation_key(Some("not-a-uuid")), NO_ID);
        assert_eq!(installation_key(None), NO_ID);
        for blank in ["", " ", "   ", "\t\n"] {
            assert_eq!(installation_key(Some(blank)), NO_ID, "{blank:?}");
        }
        // Structured IDs a placeholder or a broken client may send are
        // told apart: halves equal, halves swapped, one bit set anywhere.
        let mut ids: Vec<String> = (0..16)
            .map(|d| {
                let c = char::from_digit(d, 16).unwrap();
                let g = |n| std::iter::repeat_n(c, n).collect::<String>();
                format!("{}-{}-{}-{}-{}", g(8), g(4), g(4), g(4), g(12))
            })
            .collect();
        ids.push("11111111-1111-1111-2222-222222222222".into());
        ids.push("22222222-2222-2222-1111-111111111111".into());
        for bit in 0..128 {
            let hex = format!("{:032x}", 1u128 << bit);
            ids.push(format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            ));
        }
        let keys: std::collections::HashSet<u64> =
            ids.iter().map(|id| installation_key(Some(id))).collect();
        assert_eq!(keys.len(), ids.len(), "distinct IDs share a key");
        assert!(!keys.contains(&NO_ID));
    }
}
