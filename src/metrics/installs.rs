//! The per-installation table of a [`Tally`](super::Tally) (and of the
//! report's sample census): for each installation key, its usage events and
//! the bitset of cells it touched.
//!
//! It is the only part of a tally that grows with the input (with its
//! installations, not its events), so it is laid out for memory first:
//!
//! - one 64-byte record per installation holds the key, the event count and
//!   the first [`INLINE_CELLS`] cell bits, so a lookup and the ten-odd bits an
//!   event sets touch one cache line;
//! - the index is an open-addressing table of 8-byte slots (a 32-bit tag of
//!   the key's hash and the record number) that compares keys inside the
//!   records, instead of a map holding a second copy of every key; a lookup
//!   reads one slot's cache line and then the record (a hash map with
//!   separate control bytes reads one more line, and these lines are cache
//!   misses once installations outgrow the core's cache);
//! - records live in fixed chunks, so the table grows without the copy (and
//!   the moment of twice the memory) of a doubling vector;
//! - cells past the inline bits and event counts past `u32` go to side tables
//!   that typical data seldom touches. A record's cells past the inline bits
//!   are kept as the 64-bit words that have a bit set, by word number (about
//!   19 bytes a word in the map): clients can make any number of cells (a
//!   list of 100,000 tool names), and bits up to the highest cell cost every
//!   installation that touched a late one 12 KB, while a set of cell numbers
//!   cost 8 bytes or more per cell to one that touched many.

use rustc_hash::FxHashMap;

/// Cells whose bits live in the record itself. Cells are numbered in order
/// of first appearance, so the common ones (event types, platforms,
/// profiles, recent weeks, …) come first.
pub(crate) const INLINE_CELLS: u32 = 384;

const INLINE_WORDS: usize = (INLINE_CELLS / 64) as usize;

/// Records per chunk (256 KiB of records).
const CHUNK: usize = 4096;

/// `Record::spill` of a record without spilled cells, and `Record::events`
/// of one whose count lives in [`Installs::big_events`].
const NONE: u32 = 0;
const BIG: u32 = u32::MAX;

/// One installation.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
struct Record {
    key: u64,
    /// Usage events, or [`BIG`] when the count is in `big_events`.
    events: u32,
    /// 1 + index into `spills`, or [`NONE`].
    spill: u32,
    inline: [u64; INLINE_WORDS],
}

/// The cells one event (or one installation of a tally being merged)
/// touched, in the layout of a record's cell bits: the first
/// [`INLINE_CELLS`] as bits (setting one is an OR into a word that stays in
/// a register's reach, and [`Installs::touch_set`] ORs them into the record
/// a word at a time), the rest listed.
#[derive(Debug, Clone, Default)]
pub(crate) struct CellSet {
    inline: [u64; INLINE_WORDS],
    spilled: Vec<u32>,
}

impl CellSet {
    /// Adds `cell`. A cell past the inline bits is listed again if added
    /// again (setting its bit twice is harmless, and looking for it first
    /// would cost time quadratic in an installation's spilled cells).
    #[inline(always)]
    pub(crate) fn insert(&mut self, cell: u32) {
        if cell < INLINE_CELLS {
            self.inline[(cell / 64) as usize] |= 1u64 << (cell % 64);
        } else {
            self.spilled.push(cell);
        }
    }

    /// Empties the set.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.inline = [0; INLINE_WORDS];
        self.spilled.clear();
    }

    /// The cells, in ascending order, each once.
    #[cfg(test)]
    pub(crate) fn cells(&self) -> Vec<u32> {
        let mut spilled = self.spilled.clone();
        spilled.sort_unstable();
        spilled.dedup();
        set_bits(self.inline.iter()).chain(spilled).collect()
    }
}

/// The installations of one tally, numbered densely from 0 in order of
/// first appearance.
#[derive(Debug, Clone, Default)]
pub(crate) struct Installs {
    /// Open addressing, linear probing: per slot `tag << 32 | record + 1`,
    /// 0 when empty; a power of two long, at most 3/4 full.
    slots: Vec<u64>,
    chunks: Vec<Box<[Record]>>,
    len: u32,
    /// Per spilled record: its cells from [`INLINE_CELLS`] on, less
    /// [`INLINE_CELLS`], as bits: word number → word, for the words with a
    /// bit set.
    spills: Vec<FxHashMap<u32, u64>>,
    /// Event counts of records past `u32::MAX - 1` events.
    big_events: FxHashMap<u32, u64>,
}

/// Installation keys are UUID bits or hashes already; one multiply-fold
/// spreads them over both ends of the word (the index takes the slot from
/// the low bits and a tag from the high ones).
#[inline]
fn hash(key: u64) -> u64 {
    let m = u128::from(key) * 0x9e37_79b9_7f4a_7c15;
    (m >> 64) as u64 ^ m as u64
}

/// A prefetch of the cache line holding `value` (on x86_64; no prefetch on
/// other targets).
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch has no architectural effect and never faults; the
    // address is that of a live reference.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Puts record `i`, whose key hashes to `h`, in the first free slot from
/// its home slot on (the table has room: at most 3/4 full).
#[inline]
fn place(slots: &mut [u64], h: u64, i: u32) {
    let mask = slots.len() - 1;
    let mut pos = h as usize & mask;
    while slots[pos] != 0 {
        pos = (pos + 1) & mask;
    }
    slots[pos] = (h >> 32) << 32 | u64::from(i + 1);
}

/// Record `i` of `chunks` (a free function, so the index can read records
/// while it is borrowed mutably).
#[inline]
fn at(chunks: &[Box<[Record]>], i: u32) -> &Record {
    &chunks[i as usize / CHUNK][i as usize % CHUNK]
}

impl Installs {
    /// Number of installations.
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    #[inline]
    fn record(&self, i: u32) -> &Record {
        at(&self.chunks, i)
    }

    #[inline]
    fn record_mut(&mut self, i: u32) -> &mut Record {
        &mut self.chunks[i as usize / CHUNK][i as usize % CHUNK]
    }

    /// The index of installation `key`, added (with no events and no
    /// cells) if new.
    #[inline]
    pub(crate) fn index(&mut self, key: u64) -> u32 {
        let h = hash(key);
        let tag = h >> 32;
        let mask = self.slots.len().wrapping_sub(1);
        let mut pos = h as usize & mask;
        // An empty table has no slots: straight to insert.
        while let Some(&slot) = self.slots.get(pos) {
            if slot == 0 {
                break;
            }
            if slot >> 32 == tag {
                let i = (slot as u32) - 1;
                if at(&self.chunks, i).key == key {
                    return i;
                }
            }
            pos = (pos + 1) & mask;
        }
        self.insert(key, h)
    }

    /// Visits every installation of `other` as `(ours, theirs)`: its index
    /// here (added if new) and in `other`, in `other`'s order. Theirs are
    /// read in order, ours at random, so the index slot of the installation
    /// `SLOT_AHEAD` ahead and the record of the one `RECORD_AHEAD` ahead are
    /// asked for in advance (the tables of a fold outgrow the core's cache).
    pub(crate) fn merge_each(
        &mut self,
        other: &Installs,
        mut visit: impl FnMut(&mut Installs, u32, u32),
    ) {
        const SLOT_AHEAD: u32 = 16;
        const RECORD_AHEAD: u32 = 8;
        let n = other.len;
        for theirs in 0..n {
            if theirs + SLOT_AHEAD < n {
                self.prefetch_slot(other.key(theirs + SLOT_AHEAD));
            }
            if theirs + RECORD_AHEAD < n {
                self.prefetch_record(other.key(theirs + RECORD_AHEAD));
            }
            let ours = self.index(other.key(theirs));
            visit(self, ours, theirs);
        }
    }

    /// Asks the CPU to load the home slot of `key` into its cache: a hint
    /// for a lookup of `key` a few steps later (no effect on any result).
    #[inline]
    fn prefetch_slot(&self, key: u64) {
        let mask = self.slots.len().wrapping_sub(1);
        if let Some(slot) = self.slots.get(hash(key) as usize & mask) {
            prefetch(slot);
        }
    }

    /// Asks the CPU to load the record that the home slot of `key` points
    /// to, if its tag matches (a hint, as [`Installs::prefetch_slot`], for a
    /// lookup after the slot's line has arrived). A key that probing placed
    /// past its home slot gets no record prefetch.
    #[inline]
    fn prefetch_record(&self, key: u64) {
        let h = hash(key);
        let mask = self.slots.len().wrapping_sub(1);
        if let Some(&slot) = self.slots.get(h as usize & mask)
            && slot != 0
            && slot >> 32 == h >> 32
        {
            prefetch(at(&self.chunks, (slot as u32) - 1));
        }
    }

    #[cold]
    fn insert(&mut self, key: u64, h: u64) -> u32 {
        let i = self.len;
        assert!(i < u32::MAX - 1, "more than 4 billion installations");
        if i as usize / CHUNK == self.chunks.len() {
            self.chunks
                .push(vec![Record::default(); CHUNK].into_boxed_slice());
        }
        self.record_mut(i).key = key;
        self.len += 1;
        if (self.len as usize) * 4 > self.slots.len() * 3 {
            self.grow();
        } else {
            place(&mut self.slots, h, i);
        }
        i
    }

    /// Doubles the index (at least 1024 slots) and places every record again.
    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(1024);
        self.slots.clear();
        self.slots.resize(n, 0);
        for i in 0..self.len {
            let key = at(&self.chunks, i).key;
            place(&mut self.slots, hash(key), i);
        }
    }

    /// Forgets every installation but keeps the memory (records, index).
    pub(crate) fn clear(&mut self) {
        let used = (self.len as usize).div_ceil(CHUNK);
        for chunk in &mut self.chunks[..used] {
            chunk.fill(Record::default());
        }
        self.slots.fill(0);
        self.len = 0;
        self.spills.clear();
        self.big_events.clear();
    }

    /// The key of installation `i`.
    pub(crate) fn key(&self, i: u32) -> u64 {
        self.record(i).key
    }

    /// Marks cell `cell` as touched by installation `i`; true when it was
    /// not touched before.
    #[inline]
    pub(crate) fn touch(&mut self, i: u32, cell: u32) -> bool {
        let bit = 1u64 << (cell % 64);
        if cell < INLINE_CELLS {
            let word = &mut self.record_mut(i).inline[(cell / 64) as usize];
            let new = *word & bit == 0;
            *word |= bit;
            new
        } else {
            self.touch_spilled(i, cell - INLINE_CELLS)
        }
    }

    /// Sets every cell of `cells` on installation `i`: one record lookup,
    /// and the inline bits as whole words.
    #[inline]
    pub(crate) fn touch_set(&mut self, i: u32, cells: &CellSet) {
        let record = self.record_mut(i);
        for (word, bits) in record.inline.iter_mut().zip(cells.inline) {
            *word |= bits;
        }
        if !cells.spilled.is_empty() {
            let words = self.spill_words(i);
            for &cell in &cells.spilled {
                let _ = set_spilled(words, cell - INLINE_CELLS);
            }
        }
    }

    #[cold]
    fn touch_spilled(&mut self, i: u32, cell: u32) -> bool {
        set_spilled(self.spill_words(i), cell)
    }

    /// The words of installation `i`'s cells past the inline bits (made
    /// on its first such cell).
    #[cold]
    fn spill_words(&mut self, i: u32) -> &mut FxHashMap<u32, u64> {
        let spill = match self.record(i).spill {
            NONE => {
                self.spills.push(FxHashMap::default());
                let n = self.spills.len() as u32;
                self.record_mut(i).spill = n;
                n
            }
            n => n,
        };
        &mut self.spills[spill as usize - 1]
    }

    /// Adds `n` usage events to installation `i`.
    #[inline]
    pub(crate) fn add_events(&mut self, i: u32, n: u64) {
        let record = self.record_mut(i);
        match u64::from(record.events).checked_add(n) {
            Some(sum) if sum < u64::from(BIG) && record.events != BIG => record.events = sum as u32,
            _ => self.add_big_events(i, n),
        }
    }

    #[cold]
    fn add_big_events(&mut self, i: u32, n: u64) {
        let record = self.record_mut(i);
        let before = match record.events {
            BIG => 0,
            small => u64::from(small),
        };
        record.events = BIG;
        *self.big_events.entry(i).or_insert(before) += n;
    }

    /// Usage events of installation `i`.
    pub(crate) fn events(&self, i: u32) -> u64 {
        match self.record(i).events {
            BIG => self.big_events[&i],
            small => u64::from(small),
        }
    }

    /// The cells installation `i` touched, in ascending order.
    pub(crate) fn touched(&self, i: u32) -> impl Iterator<Item = u32> + '_ {
        let record = self.record(i);
        let mut spilled: Vec<(u32, u64)> = match record.spill {
            NONE => Vec::new(),
            n => self.spills[n as usize - 1]
                .iter()
                .map(|(&w, &bits)| (w, bits))
                .collect(),
        };
        spilled.sort_unstable_by_key(|&(w, _)| w);
        set_bits(record.inline.iter()).chain(
            spilled
                .into_iter()
                .flat_map(|(w, bits)| word_bits(INLINE_CELLS + w * 64, bits)),
        )
    }
}

/// The positions of the set bits of `words` (bit `b` of word `w` is
/// `64 * w + b`), ascending.
pub(crate) fn set_bits<'w>(
    words: impl Iterator<Item = &'w u64> + 'w,
) -> impl Iterator<Item = u32> + 'w {
    words
        .enumerate()
        .flat_map(|(w, &word)| word_bits(w as u32 * 64, word))
}

/// Sets bit `cell` (counted from [`INLINE_CELLS`]) in spill words; true
/// when it was not set before.
fn set_spilled(words: &mut FxHashMap<u32, u64>, cell: u32) -> bool {
    let word = words.entry(cell / 64).or_insert(0);
    let bit = 1 << (cell % 64);
    let new = *word & bit == 0;
    *word |= bit;
    new
}

/// The positions of the set bits of `word`, counted from `base`, ascending.
fn word_bits(base: u32, mut word: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (word != 0).then(|| {
            let b = word.trailing_zeros();
            word &= word - 1;
            base + b
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Record>(), 64);
        assert_eq!(std::mem::align_of::<Record>(), 64);
    }

    #[test]
    fn installations_keep_their_keys_cells_and_events_across_chunks() {
        let mut t = Installs::default();
        let n = 3 * CHUNK as u64 + 17;
        // Keys that share low bits, and the same keys looked up again.
        for round in 0..2 {
            for k in 0..n {
                let i = t.index(k << 20 | 1);
                assert_eq!(i as u64, k, "round {round}");
                t.touch(i, (k % 500) as u32);
                t.add_events(i, 1);
            }
        }
        assert_eq!(t.len() as u64, n);
        for k in 0..n {
            let i = k as u32;
            assert_eq!(t.key(i), k << 20 | 1);
            assert_eq!(t.events(i), 2);
            assert_eq!(t.touched(i).collect::<Vec<_>>(), vec![(k % 500) as u32]);
        }
    }

    #[test]
    fn a_cleared_table_is_empty_and_fills_again_like_a_new_one() {
        let fill = |t: &mut Installs, salt: u64| {
            for k in 0..(2 * CHUNK as u64 + 5) {
                let i = t.index(k ^ salt);
                t.touch(i, (k % 450) as u32);
                t.add_events(i, k % 3 + 1);
            }
            t.add_events(0, 1 << 33);
        };
        let mut reused = Installs::default();
        fill(&mut reused, 0);
        reused.clear();
        assert_eq!(reused.len(), 0);
        let mut new = Installs::default();
        let salt = 1 << 40;
        fill(&mut reused, salt);
        fill(&mut new, salt);
        assert_eq!(reused.len(), new.len());
        for i in 0..new.len() {
            assert_eq!(reused.key(i), new.key(i));
            assert_eq!(reused.events(i), new.events(i));
            assert!(reused.touched(i).eq(new.touched(i)), "installation {i}");
        }
        // A key of the first fill only is unknown again.
        let len = reused.len();
        assert_eq!(reused.index(5), len);
    }

    #[test]
    fn a_cell_set_sets_its_cells_on_a_record_as_single_touches_do() {
        // Every inline word's first and last bit, cells past the inline
        // bits (one in a spill word beyond the first), and repeats.
        let cells = [0, 63, 64, 127, 200, 383, 384, 447, 448, 1000, 63, 384, 1000];
        let mut set = CellSet::default();
        let mut t = Installs::default();
        let (a, b) = (t.index(1), t.index(2));
        // Bits the record already has stay set.
        t.touch(a, 5);
        t.touch(a, 500);
        for &cell in &cells {
            set.insert(cell);
            t.touch(b, cell);
        }
        t.touch(b, 5);
        t.touch(b, 500);
        let mut want: Vec<u32> = cells.to_vec();
        want.sort_unstable();
        want.dedup();
        assert_eq!(set.cells(), want);
        t.touch_set(a, &set);
        assert_eq!(
            t.touched(a).collect::<Vec<_>>(),
            t.touched(b).collect::<Vec<_>>()
        );
        set.clear();
        assert_eq!(set.cells(), Vec::<u32>::new());
        // A cleared set sets nothing.
        t.touch_set(b, &set);
        assert_eq!(
            t.touched(a).collect::<Vec<_>>(),
            t.touched(b).collect::<Vec<_>>()
        );
    }

    #[test]
    fn keys_sharing_a_home_slot_probe_past_each_other_and_the_table_end() {
        // Keys whose home slot is the last of a 1024-slot table: each probes
        // past the ones before it, wrapping to the start.
        let keys: Vec<u64> = (1u64..)
            .filter(|&k| hash(k) as usize & 1023 == 1023)
            .take(40)
            .collect();
        let mut t = Installs::default();
        for (n, &k) in keys.iter().enumerate() {
            assert_eq!(t.index(k), n as u32);
        }
        assert_eq!(t.slots.len(), 1024);
        for (n, &k) in keys.iter().enumerate() {
            assert_eq!(t.index(k), n as u32, "key {k}");
        }
        assert_eq!(t.len(), 40);
    }

    #[test]
    fn spilled_cells_come_after_inline_ones_in_order() {
        let mut t = Installs::default();
        let i = t.index(7);
        let j = t.index(8);
        let cells = [
            0,
            63,
            64,
            INLINE_CELLS - 1,
            INLINE_CELLS,
            INLINE_CELLS + 200,
            5000,
        ];
        for &c in cells.iter().rev() {
            assert!(t.touch(i, c), "first touch of {c}");
            assert!(!t.touch(i, c), "second touch of {c}");
        }
        assert!(t.touch(j, INLINE_CELLS + 1));
        assert_eq!(t.touched(i).collect::<Vec<_>>(), cells);
        assert_eq!(t.touched(j).collect::<Vec<_>>(), [INLINE_CELLS + 1]);
    }

    #[test]
    fn late_cells_cost_room_for_the_words_they_set_not_bits_up_to_them_or_a_slot_each() {
        // A client can make millions of cells (one list of that many names).
        // An installation that then touches the last one keeps one word...
        let mut t = Installs::default();
        let late = 10_000_000;
        for key in 1..=1000 {
            let i = t.index(key);
            assert!(t.touch(i, late));
            assert!(!t.touch(i, late));
            assert_eq!(t.touched(i).collect::<Vec<_>>(), [late]);
        }
        let words: usize = t.spills.iter().map(|words| words.capacity()).sum();
        assert!(
            words <= 1000 * 4,
            "room for {words} words kept for 1000 installations"
        );
        // ... and one that touches 20,000 late cells (in no order) keeps
        // about a word per 64 of them, as bits would.
        let mut t = Installs::default();
        let cells: Vec<u32> = (0..20_000u32)
            .map(|k| INLINE_CELLS + (k * 7919) % 20_000)
            .collect();
        for key in 1..=20 {
            let i = t.index(key);
            for &c in &cells {
                assert!(t.touch(i, c));
            }
            assert!(t.touched(i).eq(INLINE_CELLS..INLINE_CELLS + 20_000));
        }
        let words: usize = t.spills.iter().map(|words| words.capacity()).sum();
        let bits_as_words = 20 * 20_000usize.div_ceil(64);
        assert!(
            words <= 2 * bits_as_words,
            "room for {words} words kept for 20 installations of 20,000 cells"
        );
    }

    #[test]
    fn event_counts_past_u32_stay_exact() {
        let mut t = Installs::default();
        let i = t.index(1);
        t.add_events(i, u64::from(u32::MAX) - 2);
        assert_eq!(t.events(i), u64::from(u32::MAX) - 2);
        t.add_events(i, 1);
        assert_eq!(t.events(i), u64::from(u32::MAX) - 1);
        t.add_events(i, 1);
        assert_eq!(t.events(i), u64::from(u32::MAX));
        t.add_events(i, 5);
        t.add_events(i, 1 << 40);
        assert_eq!(t.events(i), u64::from(u32::MAX) + 5 + (1 << 40));
        let j = t.index(2);
        t.add_events(j, 1 << 33);
        assert_eq!(t.events(j), 1 << 33);
        assert_eq!(t.events(i), u64::from(u32::MAX) + 5 + (1 << 40));
    }
}
