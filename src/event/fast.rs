//! The fast path of [`parse_line`](super::parse_line): one pass over a line,
//! the typed metadata read in place, every string borrowed.
//!
//! It handles the common case only: a line of printable JSON without escapes
//! or floating-point numbers. On anything else it gives up ([`Bail`]) and the
//! caller runs the serde_json path, which accepts exactly the same language,
//! decides and explains. So the contract is one-sided: whenever this module
//! returns an event, serde_json's path returns the same event (a property test
//! in `tests/properties.rs` and the unit tests below pin it).
//!
//! The metadata types keep their `#[derive(Deserialize)]` for serde_json;
//! this module reads them by hand ([`Metadata`], its field names checked
//! against serde's by a unit test), with no visitor calls per field.

use std::fmt;

use super::schema::{
    Event, Payload, PolicyEvaluated, ReportGenerated, ScanCompleted, ScanStarted, TargetTypes,
    Text, TextList, ToolFailed, WizardCompleted, target_type_bit,
};
use super::time::parse_timestamp;

/// The fast path gave up; the caller decides with serde_json.
#[derive(Debug)]
pub struct Bail;

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fast path gave up")
    }
}

impl std::error::Error for Bail {}

type R<T> = Result<T, Bail>;

/// serde_json refuses to nest deeper than 128; give up well before that.
const MAX_DEPTH: u32 = 100;

/// Longer lines go to serde_json (they are rare), so the quote bitmap of a
/// line fits on the stack.
const MAX_LINE: usize = 4096;

/// Parses `line` (no line end) if it is in the common case, or gives up.
pub fn parse(line: &str) -> R<Event<'_>> {
    let mut event = Event::empty();
    parse_into(line, &mut event)?;
    Ok(event)
}

/// [`parse`] into `out` (an [`Event::empty`]): the event, a few hundred
/// bytes, is built where it is used instead of copied on each return.
/// On [`Bail`], `out` holds a partial event and must not be used.
#[inline]
pub fn parse_into<'a>(line: &'a str, out: &mut Event<'a>) -> R<()> {
    let mut quotes = Quotes::new();
    match scan_line(line.as_bytes(), &mut quotes) {
        // A line end inside `line` is JSON whitespace: serde_json decides.
        Some(s) if s.clean && s.len == line.len() => parse_scanned(line, &quotes, out),
        _ => Err(Bail),
    }
}

/// [`parse_into`] for a line that [`scan_line`] has just scanned into
/// `quotes` (the reader's hot loop: one pass finds the line end, the quotes,
/// and whether the line is clean ASCII). The caller checks
/// [`Scanned::clean`]; `line` is exactly the scanned line.
#[inline]
pub fn parse_scanned<'a>(line: &'a str, quotes: &Quotes, out: &mut Event<'a>) -> R<()> {
    let mut cur = Cursor {
        s: line,
        quotes: &quotes.0,
        i: 0,
        depth: 0,
    };
    cur.envelope(out)?;
    cur.ws();
    if cur.i != line.len() {
        return Err(Bail);
    }
    Ok(())
}

const WORDS: usize = MAX_LINE / 64;

/// The quote bitmap of one line: bit `i % 64` of word `i / 64` is set when
/// byte `i` is `"`. Words past the scanned line hold stale bits from earlier
/// lines; they lie past the line's end, where the cursor never accepts a quote.
pub struct Quotes([u64; WORDS]);

impl Quotes {
    /// A bitmap to reuse for every line a reader scans.
    pub fn new() -> Quotes {
        Quotes([0; WORDS])
    }
}

impl Default for Quotes {
    fn default() -> Self {
        Quotes::new()
    }
}

/// What [`scan_line`] found about the line at the start of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// Bytes before the line end (`\n`) or the end of the input.
    pub len: usize,
    /// No backslash and no control character (but a `\r` that ends the
    /// line, which the caller strips): every string ends at its next quote,
    /// and the fast path may try the line.
    pub clean: bool,
    /// Every byte is ASCII, so the line is valid UTF-8.
    pub ascii: bool,
}

/// One pass over the line that starts `data`, 64 bytes at a time: finds its
/// end (the first `\n`, or the end of `data`), fills `quotes`, and tells
/// whether the line is clean and ASCII. `None` when the line is longer than
/// [`MAX_LINE`] bytes (the caller finds its end and lets serde_json parse it).
///
/// On x86_64 the widest byte compares the CPU has do the work (AVX-512BW,
/// AVX2, else the SSE2 every x86_64 has), picked at run time.
#[inline]
pub fn scan_line(data: &[u8], quotes: &mut Quotes) -> Option<Scanned> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512bw") {
            // SAFETY: the CPU has AVX-512BW, checked just above.
            return unsafe { x86::scan_avx512(data, quotes) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { x86::scan_avx2(data, quotes) };
        }
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { scan_with::<x86::Sse2>(data, quotes) }
    }
    // SAFETY: the portable masks need no CPU feature.
    #[cfg(not(target_arch = "x86_64"))]
    return unsafe { scan_with::<Portable>(data, quotes) };
}

/// A line scanner the tests can call.
#[cfg(test)]
type Scanner = fn(&[u8], &mut Quotes) -> Option<Scanned>;

/// Computes the [`Masks`] of a 64-byte chunk with one instruction set.
trait Masker {
    /// # Safety
    /// The CPU must have the instruction set the implementation uses.
    unsafe fn masks(chunk: &[u8; 64]) -> Masks;
}

/// [`scan_line`] with the masks of `M`, inlined into each caller so that a
/// caller compiled for a wider instruction set inlines `M`'s intrinsics.
///
/// # Safety
/// As [`Masker::masks`]: the CPU must have `M`'s instruction set.
#[inline(always)]
unsafe fn scan_with<M: Masker>(data: &[u8], quotes: &mut Quotes) -> Option<Scanned> {
    // `bad` of the words before the previous one, and of the previous one
    // (its last bit may be the `\r` of a CRLF line end).
    let (mut bad, mut prev_bad, mut high) = (0u64, 0u64, 0u64);
    for (k, word) in quotes.0.iter_mut().enumerate() {
        let off = k * 64;
        // SAFETY: the caller vouches for `M`'s instruction set.
        let m = match data.get(off..off + 64) {
            Some(chunk) => unsafe { M::masks(chunk.try_into().expect("64 bytes")) },
            None => {
                // The input ends in this chunk: pad with spaces and put a
                // line end where the input ends.
                let rest = data.get(off..).unwrap_or(&[]);
                let mut pad = [b' '; 64];
                pad[..rest.len()].copy_from_slice(rest);
                let mut m = unsafe { M::masks(&pad) };
                m.newline |= 1 << rest.len();
                m
            }
        };
        if m.newline != 0 {
            let n = m.newline.trailing_zeros();
            let keep = (1u64 << n) - 1;
            *word = m.quote & keep;
            let mut last_bad = m.bad & keep;
            let len = off + n as usize;
            if len > 0 && data[len - 1] == b'\r' {
                match n {
                    0 => prev_bad &= !(1 << 63),
                    _ => last_bad &= !(1 << (n - 1)),
                }
            }
            high |= m.high & keep;
            return Some(Scanned {
                len,
                clean: bad | prev_bad | last_bad == 0,
                ascii: high == 0,
            });
        }
        *word = m.quote;
        bad |= prev_bad;
        prev_bad = m.bad;
        high |= m.high;
    }
    None
}

/// Per-byte facts of a 64-byte chunk, one bit per byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Masks {
    quote: u64,
    newline: u64,
    /// Backslashes and control characters (the line end among them).
    bad: u64,
    /// Bytes of 0x80 and above.
    high: u64,
}

/// The masks a byte at a time: the model the vector versions are tested
/// against, and the scanner off x86_64.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
struct Portable;

impl Masker for Portable {
    #[inline(always)]
    unsafe fn masks(chunk: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for (i, &c) in chunk.iter().enumerate() {
            m.quote |= u64::from(c == b'"') << i;
            m.newline |= u64::from(c == b'\n') << i;
            m.bad |= u64::from(c < 0x20 || c == b'\\') << i;
            m.high |= u64::from(c >= 0x80) << i;
        }
        m
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    #[cfg(test)]
    use super::Scanner;
    use super::{Masker, Masks, Quotes, Scanned, scan_with};

    /// Sixteen bytes per compare: the x86_64 baseline.
    pub(super) struct Sse2;

    impl Masker for Sse2 {
        #[inline(always)]
        unsafe fn masks(chunk: &[u8; 64]) -> Masks {
            let mut m = Masks::default();
            // SAFETY: SSE2 is part of the x86_64 baseline; each unaligned
            // load reads 16 of the chunk's 64 bytes.
            unsafe {
                let quote = _mm_set1_epi8(b'"' as i8);
                let newline = _mm_set1_epi8(b'\n' as i8);
                let slash = _mm_set1_epi8(b'\\' as i8);
                let ctl = _mm_set1_epi8(0x1f);
                for i in 0..4 {
                    let v = _mm_loadu_si128(chunk.as_ptr().add(16 * i).cast::<__m128i>());
                    let bits = |x| u64::from(_mm_movemask_epi8(x) as u16) << (16 * i);
                    m.quote |= bits(_mm_cmpeq_epi8(v, quote));
                    m.newline |= bits(_mm_cmpeq_epi8(v, newline));
                    // max(v, 0x1f) == 0x1f exactly when v <= 0x1f (unsigned).
                    let control = _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl);
                    m.bad |= bits(_mm_or_si128(control, _mm_cmpeq_epi8(v, slash)));
                    m.high |= bits(v);
                }
            }
            m
        }
    }

    /// Thirty-two bytes per compare.
    pub(super) struct Avx2;

    impl Masker for Avx2 {
        #[inline(always)]
        unsafe fn masks(chunk: &[u8; 64]) -> Masks {
            let mut m = Masks::default();
            // SAFETY: the caller vouches for AVX2; each unaligned load reads
            // 32 of the chunk's 64 bytes.
            unsafe {
                let quote = _mm256_set1_epi8(b'"' as i8);
                let newline = _mm256_set1_epi8(b'\n' as i8);
                let slash = _mm256_set1_epi8(b'\\' as i8);
                let ctl = _mm256_set1_epi8(0x1f);
                for i in 0..2 {
                    let v = _mm256_loadu_si256(chunk.as_ptr().add(32 * i).cast::<__m256i>());
                    let bits = |x| u64::from(_mm256_movemask_epi8(x) as u32) << (32 * i);
                    m.quote |= bits(_mm256_cmpeq_epi8(v, quote));
                    m.newline |= bits(_mm256_cmpeq_epi8(v, newline));
                    let control = _mm256_cmpeq_epi8(_mm256_max_epu8(v, ctl), ctl);
                    m.bad |= bits(_mm256_or_si256(control, _mm256_cmpeq_epi8(v, slash)));
                    m.high |= bits(v);
                }
            }
            m
        }
    }

    /// All 64 bytes per compare, straight into bit masks.
    pub(super) struct Avx512;

    impl Masker for Avx512 {
        #[inline(always)]
        unsafe fn masks(chunk: &[u8; 64]) -> Masks {
            // SAFETY: the caller vouches for AVX-512BW; the unaligned load
            // reads the chunk's 64 bytes.
            unsafe {
                let v = _mm512_loadu_si512(chunk.as_ptr().cast::<__m512i>());
                let control = _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(0x1f));
                let slash = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8));
                Masks {
                    quote: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8)),
                    newline: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\n' as i8)),
                    bad: control | slash,
                    high: _mm512_movepi8_mask(v),
                }
            }
        }
    }

    /// [`scan_line`](super::scan_line) compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan_avx2(data: &[u8], quotes: &mut Quotes) -> Option<Scanned> {
        // SAFETY: this function only runs where AVX2 is.
        unsafe { scan_with::<Avx2>(data, quotes) }
    }

    /// [`scan_line`](super::scan_line) compiled for AVX-512BW.
    ///
    /// # Safety
    /// The CPU must have AVX-512BW.
    #[target_feature(enable = "avx512bw")]
    pub(super) unsafe fn scan_avx512(data: &[u8], quotes: &mut Quotes) -> Option<Scanned> {
        // SAFETY: this function only runs where AVX-512BW is.
        unsafe { scan_with::<Avx512>(data, quotes) }
    }

    /// The scanners this CPU can run, by name, for the tests.
    #[cfg(test)]
    pub(super) fn scanners() -> Vec<(&'static str, Scanner)> {
        let mut all: Vec<(&'static str, Scanner)> = vec![
            // SAFETY: the portable masks need no CPU feature; SSE2 is baseline.
            ("portable", |d, q| unsafe {
                scan_with::<super::Portable>(d, q)
            }),
            ("sse2", |d, q| unsafe { scan_with::<Sse2>(d, q) }),
        ];
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            all.push(("avx2", |d, q| unsafe { scan_avx2(d, q) }));
        }
        if std::arch::is_x86_feature_detected!("avx512bw") {
            // SAFETY: the CPU has AVX-512BW.
            all.push(("avx512bw", |d, q| unsafe { scan_avx512(d, q) }));
        }
        all
    }

    /// The masks of every instruction set this CPU has, by name, for the tests.
    #[cfg(test)]
    pub(super) fn maskers() -> Vec<(&'static str, Mask)> {
        let mut all: Vec<(&'static str, Mask)> = vec![("sse2", |c| unsafe { Sse2::masks(c) })];
        if std::arch::is_x86_feature_detected!("avx2") {
            all.push(("avx2", |c| unsafe { avx2_masks(c) }));
        }
        if std::arch::is_x86_feature_detected!("avx512bw") {
            all.push(("avx512bw", |c| unsafe { avx512_masks(c) }));
        }
        all
    }

    #[cfg(test)]
    pub(super) type Mask = fn(&[u8; 64]) -> Masks;

    #[cfg(test)]
    #[target_feature(enable = "avx2")]
    unsafe fn avx2_masks(chunk: &[u8; 64]) -> Masks {
        unsafe { Avx2::masks(chunk) }
    }

    #[cfg(test)]
    #[target_feature(enable = "avx512bw")]
    unsafe fn avx512_masks(chunk: &[u8; 64]) -> Masks {
        unsafe { Avx512::masks(chunk) }
    }
}

struct Cursor<'a, 'q> {
    s: &'a str,
    /// Bit `i % 64` of word `i / 64` is set when byte `i` of the line is `"`.
    quotes: &'q [u64],
    i: usize,
    depth: u32,
}

/// `"field":`, the way a key stands first in an object, as an array for a
/// compare of constant length ([`Cursor::key_is`]).
macro_rules! first_key {
    ($field:ident) => {{
        const KEY: &str = concat!("\"", stringify!($field), "\":");
        &const { key_bytes::<{ KEY.len() }>(KEY) }
    }};
}

/// `, "field": `, a separator and key as clients write them after a value,
/// as an array for a compare of constant length ([`Cursor::at`]).
macro_rules! next_key {
    ($field:ident) => {{
        const KEY: &str = concat!(", \"", stringify!($field), "\": ");
        &const { key_bytes::<{ KEY.len() }>(KEY) }
    }};
}

#[cfg(test)]
thread_local! {
    /// Envelope keys this thread read in [`Cursor::envelope`]'s loop, not
    /// in its straight-line reads (a test checks that lines in client order
    /// never get there: a key spelled wrong in the straight-line reads
    /// would only cost speed, not change a result).
    static LOOP_KEYS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The envelope's fields, in a bitmask to catch duplicates as serde does.
const EVENT: u8 = 1;
const VERSION: u8 = 2;
const PLATFORM: u8 = 4;
const PYTHON: u8 = 8;
const ID: u8 = 16;
const TIMESTAMP: u8 = 32;
const METADATA: u8 = 64;

impl<'a> Cursor<'a, '_> {
    #[inline]
    fn bytes(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    #[inline]
    fn ws(&mut self) {
        let b = self.bytes();
        while self.i < b.len() && b[self.i] == b' ' {
            self.i += 1;
        }
    }

    /// The next non-space byte, not consumed.
    #[inline]
    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.bytes().get(self.i).copied().ok_or(Bail)
    }

    #[inline]
    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// A string at the cursor (after spaces); the line has no escapes.
    #[inline]
    fn string(&mut self) -> R<&'a str> {
        self.eat(b'"')?;
        self.string_body()
    }

    /// The rest of a string whose opening quote the cursor has just passed.
    #[inline]
    fn string_body(&mut self) -> R<&'a str> {
        let start = self.i;
        let end = self.quote_from(start)?;
        self.i = end + 1;
        // Both ends sit next to an ASCII quote: char boundaries.
        Ok(&self.s[start..end])
    }

    /// The position of the first quote at or after `start` in the line.
    ///
    /// The bitmap's word at `start` and the one after it are read as one
    /// 128-bit word, so a string of up to 64 bytes ends within it whatever
    /// its offset: no branch on whether it crosses into the next word (which
    /// depends on where each string falls, so no predictor could learn it).
    #[inline]
    fn quote_from(&self, start: usize) -> R<usize> {
        let word = start / 64;
        let low = *self.quotes.get(word).ok_or(Bail)?;
        let high = self.quotes.get(word + 1).copied().unwrap_or(0);
        let bits = ((u128::from(high) << 64) | u128::from(low)) >> (start % 64);
        let end = if bits != 0 {
            start + bits.trailing_zeros() as usize
        } else {
            self.quote_past(word + 2)?
        };
        if end >= self.s.len() {
            return Err(Bail);
        }
        Ok(end)
    }

    /// The first quote in or after bitmap word `word` (a string longer
    /// than 64 bytes: rare).
    #[cold]
    fn quote_past(&self, mut word: usize) -> R<usize> {
        loop {
            let bits = *self.quotes.get(word).ok_or(Bail)?;
            if bits != 0 {
                return Ok(word * 64 + bits.trailing_zeros() as usize);
            }
            word += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.bytes()[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// `null` at the cursor (consumed) or not (nothing consumed).
    #[inline]
    fn null(&mut self) -> R<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// An integer (JSON grammar) that fits in i64 and is not `-0`;
    /// fractions and exponents give up.
    fn integer(&mut self) -> R<i64> {
        self.ws();
        let b = self.bytes();
        let negative = b.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let start = self.i;
        let mut value: u64 = 0;
        while let Some(&c) = b.get(self.i) {
            if !c.is_ascii_digit() {
                break;
            }
            // Wraps only past 19 digits, which are refused below.
            value = value.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            self.i += 1;
        }
        let digits = self.i - start;
        // No digits, a leading zero, or more digits than fit for sure.
        if digits == 0 || digits > 18 || (digits > 1 && b[start] == b'0') {
            return Err(Bail);
        }
        if matches!(b.get(self.i), Some(b'.' | b'e' | b'E')) {
            return Err(Bail);
        }
        if negative {
            // serde_json reads `-0` as a float.
            if value == 0 {
                return Err(Bail);
            }
            Ok(-(value as i64))
        } else {
            Ok(value as i64)
        }
    }

    /// A number in full JSON grammar, skipped.
    fn skip_number(&mut self) -> R<()> {
        let b = self.bytes();
        let digits = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - start
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let start = i;
        let n = digits(&mut i);
        if n == 0 || (n > 1 && b[start] == b'0') {
            return Err(Bail);
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(Bail);
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(Bail);
            }
        }
        self.i = i;
        Ok(())
    }

    /// Any JSON value, validated and skipped.
    fn skip_value(&mut self) -> R<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.nested(b'}', |cur| {
                cur.string()?;
                cur.eat(b':')?;
                cur.skip_value()
            }),
            b'[' => self.nested(b']', Cursor::skip_value),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.skip_number(),
        }
    }

    /// An object or array (opening byte at the cursor): `item` for each
    /// element, comma-separated, until `close`.
    fn nested(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        self.i += 1;
        if self.peek()? == close {
            self.i += 1;
        } else {
            loop {
                item(self)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    c if c == close => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(Bail),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// After a member's value: passes the comma before the next member
    /// (true) or the object's closing brace (false).
    #[inline]
    fn next_member(&mut self) -> R<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Ok(true)
            }
            b'}' => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(Bail),
        }
    }

    /// `null` or a string.
    #[inline]
    fn opt_text(&mut self) -> R<Option<Text<'a>>> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                Ok(Some(Text::from(self.string_body()?)))
            }
            b'n' => self.literal(b"null").map(|()| None),
            _ => Err(Bail),
        }
    }

    /// Passes `"key":` when it stands at the cursor (after spaces) exactly
    /// so: a key the caller expects next, recognised with one compare
    /// instead of reading the key and matching it. Any other
    /// spelling (a space before the colon, another key) is left to the
    /// general path. The line has no escapes, so the key's closing quote is
    /// the first quote after its opening one, as [`Cursor::string`] finds it.
    /// The key's length is a constant, so the compare is a few loads.
    #[inline(always)]
    fn key_is<const N: usize>(&mut self, quoted_key_colon: &[u8; N]) -> bool {
        self.ws();
        self.at(quoted_key_colon)
    }

    /// Passes `text` when it stands exactly at the cursor (no spaces
    /// skipped): [`Cursor::key_is`] for a separator and key written as
    /// clients write them, `, "key": ` (a key within a string is out of
    /// the question: the cursor stands just after a value).
    #[inline(always)]
    fn at<const N: usize>(&mut self, text: &[u8; N]) -> bool {
        if self.bytes()[self.i..].first_chunk::<N>() == Some(text) {
            self.i += N;
            true
        } else {
            false
        }
    }

    /// The envelope field whose key usually comes next after the fields in
    /// `seen` (the order JMo clients write), passed with its colon when it
    /// stands at the cursor; 0 when it does not.
    #[inline]
    fn next_envelope_key(&mut self, seen: u8) -> u8 {
        let found = match seen {
            0 => self.key_is(first_key!(event)).then_some(EVENT),
            EVENT => self.key_is(first_key!(version)).then_some(VERSION),
            0b11 => self.key_is(first_key!(platform)).then_some(PLATFORM),
            0b111 => self.key_is(first_key!(python_version)).then_some(PYTHON),
            0b1111 => self.key_is(first_key!(anonymous_id)).then_some(ID),
            0b1_1111 => self.key_is(first_key!(timestamp)).then_some(TIMESTAMP),
            0b11_1111 => self.key_is(first_key!(metadata)).then_some(METADATA),
            _ => None,
        };
        found.unwrap_or(0)
    }

    /// The top-level object.
    #[inline]
    fn envelope(&mut self, out: &mut Event<'a>) -> R<()> {
        self.eat(b'{')?;
        let mut seen = 0u8;
        let mut name: Option<&'a str> = None;
        let common = &mut out.common;
        let mut timestamp = None;
        // Metadata read in place once the event type is known; else its span.
        let mut payload = false;
        let mut metadata_span: Option<(usize, usize)> = None;
        if self.peek()? == b'}' {
            return Err(Bail); // no `event`
        }
        // The fields in the order and spelling clients write them, each
        // key with the separator before it passed in one compare, in
        // straight-line code; the loop below reads whatever follows the
        // first difference (another order, spacing, an unknown field).
        'in_order: {
            if !self.key_is(first_key!(event)) {
                break 'in_order;
            }
            let event = self.string()?;
            name = Some(event);
            seen = EVENT;
            // The next field in client order: its separator and key, then
            // its value into `$place`.
            macro_rules! next {
                ($cur:expr, $field:ident, $bit:expr, $place:expr) => {
                    if !$cur.at(next_key!($field)) {
                        break 'in_order;
                    }
                    $place = $cur.opt_text()?;
                    seen |= $bit;
                };
            }
            next!(self, version, VERSION, common.version);
            next!(self, platform, PLATFORM, common.platform);
            next!(self, python_version, PYTHON, common.python_version);
            next!(self, anonymous_id, ID, common.anonymous_id);
            next!(self, timestamp, TIMESTAMP, timestamp);
            if !self.at(next_key!(metadata)) {
                break 'in_order;
            }
            self.payload(event, &mut out.payload)?;
            payload = true;
            seen |= METADATA;
        }
        // Past the first field, each turn starts after a value.
        let mut after_value = seen != 0;
        loop {
            if after_value && !self.next_member()? {
                break;
            }
            after_value = true;
            #[cfg(test)]
            LOOP_KEYS.with(|n| n.set(n.get() + 1));
            let bit = match self.next_envelope_key(seen) {
                0 => {
                    let key = self.string()?;
                    self.eat(b':')?;
                    match key {
                        "event" => EVENT,
                        "version" => VERSION,
                        "platform" => PLATFORM,
                        "python_version" => PYTHON,
                        "anonymous_id" => ID,
                        "timestamp" => TIMESTAMP,
                        "metadata" => METADATA,
                        _ => 0,
                    }
                }
                bit => bit,
            };
            if seen & bit != 0 {
                return Err(Bail); // duplicate field
            }
            seen |= bit;
            match bit {
                EVENT => name = Some(self.string()?),
                VERSION => common.version = self.opt_text()?,
                PLATFORM => common.platform = self.opt_text()?,
                PYTHON => common.python_version = self.opt_text()?,
                ID => common.anonymous_id = self.opt_text()?,
                TIMESTAMP => timestamp = self.opt_text()?,
                METADATA => match name {
                    Some(name) => {
                        self.payload(name, &mut out.payload)?;
                        payload = true;
                    }
                    None => {
                        self.ws();
                        let start = self.i;
                        self.skip_value()?;
                        metadata_span = Some((start, self.i));
                    }
                },
                _ => self.skip_value()?,
            }
        }
        let name = name.ok_or(Bail)?;
        match (payload, metadata_span) {
            (true, _) => {}
            (false, Some((start, end))) => {
                let mut inner = Cursor {
                    s: &self.s[..end],
                    quotes: self.quotes,
                    i: start,
                    depth: 0,
                };
                inner.payload(name, &mut out.payload)?;
            }
            (false, None) => out.payload = absent_payload(name)?,
        }
        out.timestamp = parse_timestamp(timestamp.as_deref().ok_or(Bail)?).map_err(|_| Bail)?;
        out.name = Text::from(name);
        Ok(())
    }

    /// The `metadata` value at the cursor, typed by the event name, read
    /// into `out` in place (a payload is a few hundred bytes: built here
    /// and moved out, it was copied twice per event).
    fn payload(&mut self, name: &str, out: &mut Payload<'a>) -> R<()> {
        macro_rules! read {
            ($variant:ident) => {{
                *out = Payload::$variant(Default::default());
                let Payload::$variant(metadata) = out else {
                    unreachable!("just set")
                };
                self.metadata(metadata)
            }};
        }
        match name {
            "scan.started" => read!(ScanStarted),
            "scan.completed" => read!(ScanCompleted),
            "tool.failed" => read!(ToolFailed),
            "wizard.completed" => read!(WizardCompleted),
            "report.generated" => read!(ReportGenerated),
            "policy.evaluated" => read!(PolicyEvaluated),
            _ => {
                self.skip_value()?;
                *out = absent_payload(name)?;
                Ok(())
            }
        }
    }

    /// `null` (every field missing) or the metadata object, read into
    /// `out` (all fields missing, as `T::default()`, on entry).
    fn metadata<T: Metadata<'a>>(&mut self, out: &mut T) -> R<()> {
        if self.null()? {
            return Ok(());
        }
        if self.peek()? != b'{' {
            return Err(Bail); // serde_json also reads a struct from an array
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        self.i += 1;
        if self.peek()? == b'}' {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        // The fields in `FIELDS` order as clients write them, in
        // straight-line code; then the loop reads whatever follows the
        // first difference, trying the field after the one read last first.
        let (mut seen, mut last) = out.in_order(self)?;
        // Past the first field, each turn starts after a value.
        let mut after_value = seen != 0;
        loop {
            if after_value && !self.next_member()? {
                break;
            }
            after_value = true;
            let bit = match out.next_field(last, self)? {
                0 => {
                    let key = self.string()?;
                    self.eat(b':')?;
                    out.field(key, self)?
                }
                bit => bit,
            };
            if seen & bit != 0 {
                return Err(Bail); // duplicate field
            }
            seen |= bit;
            if bit != 0 {
                last = bit;
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// An array of strings, its text returned (brackets included).
    fn list(&mut self) -> R<&'a str> {
        if self.peek()? != b'[' {
            return Err(Bail);
        }
        let start = self.i;
        match self.strings_as_written() {
            Some(end) => self.i = end,
            None => self.nested(b']', |cur| cur.string().map(drop))?,
        }
        Ok(&self.s[start..self.i])
    }

    /// The end (after the `]`) of the array of strings at the cursor (at
    /// its `[`) when it is written as clients write it, `["a", "b"]`;
    /// `None` (nothing passed) for anything else, which the general path
    /// reads: it accepts every array this one does.
    #[inline]
    fn strings_as_written(&self) -> Option<usize> {
        let b = self.bytes();
        let mut i = self.i + 1;
        if b.get(i) == Some(&b']') {
            return Some(i + 1);
        }
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            i = self.quote_from(i + 1).ok()? + 1;
            match b.get(i) {
                Some(b',') if b.get(i + 1) == Some(&b' ') => i += 2,
                Some(b']') => return Some(i + 1),
                _ => return None,
            }
        }
    }
}

/// A metadata type the fast path reads: its fields by JSON name.
trait Metadata<'a>: Default {
    /// The JSON field names, in order (a unit test checks them against the
    /// names serde's derived `Deserialize` knows).
    const FIELDS: &'static [&'static str];
    /// Reads field `key`'s value (the cursor after its `:`) into its place;
    /// returns the field's bit (1 << its index in `FIELDS`), or 0 for an
    /// unknown field, whose value is checked and skipped.
    fn field(&mut self, key: &str, cur: &mut Cursor<'a, '_>) -> R<u32>;
    /// Reads the field after `last` (a bit as [`Metadata::field`] returns;
    /// 0: the first field) when its `"key":` stands at the cursor and
    /// returns its bit; else reads nothing and returns 0.
    fn next_field(&mut self, last: u32, cur: &mut Cursor<'a, '_>) -> R<u32>;
    /// Reads the fields that stand at the cursor (at the first key) in
    /// `FIELDS` order, written as clients write them (`"mode": "cli",
    /// "profile": "fast"`), up to the first difference; returns the bits
    /// of the fields read and the bit of the last one (0 and 0: none).
    fn in_order(&mut self, cur: &mut Cursor<'a, '_>) -> R<(u32, u32)>;
}

/// The bit of field `name` in `fields` (at compile time).
const fn field_bit(fields: &[&str], name: &str) -> u32 {
    let mut i = 0;
    while i < fields.len() {
        let f = fields[i].as_bytes();
        let n = name.as_bytes();
        if f.len() == n.len() {
            let mut k = 0;
            while k < f.len() && f[k] == n[k] {
                k += 1;
            }
            if k == f.len() {
                return 1 << i;
            }
        }
        i += 1;
    }
    panic!("not a field")
}

/// The bytes of `s` as an array (at compile time), for a compare of
/// constant length.
const fn key_bytes<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    assert!(b.len() == N);
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = b[i];
        i += 1;
    }
    out
}

/// Implements [`Metadata`] for a metadata type from its field names.
macro_rules! metadata {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {$(
        impl<'a> Metadata<'a> for $ty<'a> {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            #[inline]
            fn field(&mut self, key: &str, cur: &mut Cursor<'a, '_>) -> R<u32> {
                match key {
                    $(stringify!($field) => {
                        const BIT: u32 =
                            field_bit(<$ty<'static> as Metadata<'static>>::FIELDS, stringify!($field));
                        self.$field = Value::read(cur)?;
                        Ok(BIT)
                    })*
                    _ => cur.skip_value().map(|()| 0),
                }
            }

            #[inline]
            fn next_field(&mut self, last: u32, cur: &mut Cursor<'a, '_>) -> R<u32> {
                // The bit of the field expected next.
                let next = if last == 0 { 1 } else { last << 1 };
                $(
                    if next == const {
                        field_bit(<$ty<'static> as Metadata<'static>>::FIELDS, stringify!($field))
                    } {
                        if !cur.key_is(first_key!($field)) {
                            return Ok(0);
                        }
                        self.$field = Value::read(cur)?;
                        return Ok(next);
                    }
                )*
                Ok(0)
            }

            #[inline]
            fn in_order(&mut self, cur: &mut Cursor<'a, '_>) -> R<(u32, u32)> {
                // The bit of the field read last, and the bits of all read
                // (constants at each step once the steps are unrolled).
                let (mut last, mut seen) = (0u32, 0u32);
                $(
                    {
                        let passed = if last == 0 {
                            cur.key_is(first_key!($field))
                        } else {
                            cur.at(next_key!($field))
                        };
                        if !passed {
                            return Ok((seen, last));
                        }
                        self.$field = Value::read(cur)?;
                        last = if last == 0 { 1 } else { last << 1 };
                        seen |= last;
                    }
                )*
                Ok((seen, last))
            }
        }
    )*};
}

metadata! {
    ScanStarted {
        mode, profile, tools, target_types, ci_detected, multi_target_scan,
        compliance_usage, total_targets_bucket, scan_frequency_hint,
    }
    ScanCompleted {
        mode, profile, duration_bucket, tools_succeeded, tools_failed, total_findings_bucket,
    }
    ToolFailed { tool, failure_type, exit_code, profile }
    WizardCompleted { profile_selected, execution_mode, artifact_generated, duration_seconds }
    ReportGenerated { output_formats, findings_bucket, suppressions_used, compliance_enabled }
    PolicyEvaluated {
        policy_count, violations_bucket, evaluation_time_bucket, policies, passed_count,
        failed_count,
    }
}

/// A metadata field's value as the fast path reads it: `null` or what
/// serde_json would accept for the type, else [`Bail`].
trait Value<'a>: Sized {
    fn read(cur: &mut Cursor<'a, '_>) -> R<Self>;
}

impl<'a> Value<'a> for Option<Text<'a>> {
    #[inline]
    fn read(cur: &mut Cursor<'a, '_>) -> R<Self> {
        cur.opt_text()
    }
}

impl<'a> Value<'a> for Option<i64> {
    #[inline]
    fn read(cur: &mut Cursor<'a, '_>) -> R<Self> {
        match cur.peek()? {
            b'n' => cur.literal(b"null").map(|()| None),
            _ => cur.integer().map(Some),
        }
    }
}

impl<'a> Value<'a> for Option<bool> {
    #[inline]
    fn read(cur: &mut Cursor<'a, '_>) -> R<Self> {
        match cur.peek()? {
            b'n' => cur.literal(b"null").map(|()| None),
            b't' => cur.literal(b"true").map(|()| Some(true)),
            b'f' => cur.literal(b"false").map(|()| Some(false)),
            _ => Err(Bail),
        }
    }
}

impl<'a> Value<'a> for Option<TextList<'a>> {
    #[inline]
    fn read(cur: &mut Cursor<'a, '_>) -> R<Self> {
        if cur.null()? {
            Ok(None)
        } else {
            cur.list().map(|array| Some(TextList::raw(array)))
        }
    }
}

impl<'a> Value<'a> for Option<TargetTypes> {
    /// An object of integer counts whose keys are known target types, each
    /// once; serde decides any other key (it refuses a repeated one).
    fn read(cur: &mut Cursor<'a, '_>) -> R<Self> {
        if cur.null()? {
            return Ok(None);
        }
        if cur.peek()? != b'{' {
            return Err(Bail);
        }
        if let Some((out, end)) = cur.counts_as_written() {
            cur.i = end;
            return Ok(Some(out));
        }
        let mut out = TargetTypes::default();
        let mut seen = 0u8;
        cur.nested(b'}', |cur| {
            seen = once(seen, target_type_bit(cur.string()?.as_bytes()))?;
            cur.eat(b':')?;
            // A `null` count is no count (see `TargetTypes`'s serde).
            if !cur.null()? {
                out.add(cur.integer()?);
            }
            Ok(())
        })?;
        Ok(Some(out))
    }
}

/// `seen` with a known target type's `bit` added; [`Bail`] for an unknown
/// key or one already seen.
#[inline]
fn once(seen: u8, bit: Option<u8>) -> R<u8> {
    match bit {
        Some(bit) if seen & bit == 0 => Ok(seen | bit),
        _ => Err(Bail),
    }
}

impl Cursor<'_, '_> {
    /// The object of counts at the cursor (at its `{`) when it is written
    /// exactly as clients write it, `{"repos": 1, "images": 0}`: keys,
    /// `": "`, unsigned integers of at most 18 digits without a leading
    /// zero, `", "` between entries; with the position after its `}`. `None`
    /// (nothing passed) for anything else, which the general path reads:
    /// it accepts every object this one does, with the same counts.
    #[inline]
    fn counts_as_written(&self) -> Option<(TargetTypes, usize)> {
        let b = self.bytes();
        let mut out = TargetTypes::default();
        let mut seen = 0u8;
        let mut i = self.i + 1;
        if b.get(i) == Some(&b'}') {
            return Some((out, i + 1));
        }
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let key = i + 1;
            i = self.quote_from(key).ok()? + 1;
            seen = once(seen, target_type_bit(&b[key..i - 1])).ok()?;
            if b.get(i..i + 2) != Some(b": ") {
                return None;
            }
            i += 2;
            let start = i;
            let mut value = 0i64;
            while let Some(&c) = b.get(i)
                && c.is_ascii_digit()
            {
                // Wraps only past 18 digits, which are refused just below.
                value = value.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
                i += 1;
                if i - start > 18 {
                    return None;
                }
            }
            if i == start || (i - start > 1 && b[start] == b'0') {
                return None;
            }
            out.add(value);
            match b.get(i) {
                Some(b',') if b.get(i + 1) == Some(&b' ') => i += 2,
                Some(b'}') => return Some((out, i + 1)),
                _ => return None,
            }
        }
    }
}

/// The payload of an event without metadata.
fn absent_payload<'a>(name: &str) -> R<Payload<'a>> {
    Ok(match name {
        "scan.started" => Payload::ScanStarted(Default::default()),
        "scan.completed" => Payload::ScanCompleted(Default::default()),
        "tool.failed" => Payload::ToolFailed(Default::default()),
        "wizard.completed" => Payload::WizardCompleted(Default::default()),
        "report.generated" => Payload::ReportGenerated(Default::default()),
        "policy.evaluated" => Payload::PolicyEvaluated(Default::default()),
        "test" | "test.event" => Payload::Test,
        "telemetry.initialized" => Payload::Marker,
        "" => return Err(Bail),
        _ => Payload::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_client_order_are_read_without_the_key_loop() {
        let keys_in_loop = |line: &str| {
            LOOP_KEYS.with(|n| n.set(0));
            parse(line).unwrap_or_else(|_| panic!("fast path gave up on {line}"));
            LOOP_KEYS.with(|n| n.get())
        };
        let client = r#"{"event": "scan.completed", "version": "1.0.0", "platform": "Linux", "python_version": "3.11", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "cli", "profile": "fast", "duration_bucket": "<5min", "tools_succeeded": 2, "tools_failed": 1, "total_findings_bucket": "0"}}"#;
        assert_eq!(keys_in_loop(client), 0);
        // Every line of the realistic fixture that the fast path takes and
        // that has the envelope's keys, and only those, in client order.
        let keys = [
            r#"{"event": "#,
            r#", "version": "#,
            r#", "platform": "#,
            r#", "python_version": "#,
            r#", "anonymous_id": "#,
            r#", "timestamp": "#,
            r#", "metadata": "#,
        ];
        let fixture = std::fs::read_to_string("fixtures/events.jsonl").unwrap();
        let mut read = 0;
        for line in fixture.lines() {
            let at = keys.map(|k| line.find(k));
            let only_envelope =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
                    .is_ok_and(|m| m.len() == keys.len());
            if at.iter().all(Option::is_some)
                && at.is_sorted()
                && only_envelope
                && parse(line).is_ok()
            {
                assert_eq!(keys_in_loop(line), 0, "{line}");
                read += 1;
            }
        }
        assert!(read > 1000, "only {read} fixture lines in client order");
        // The counter counts: `version` moved to the end is read in the
        // loop, and so is the next field, which no longer follows `event`.
        let moved = client.replacen(r#", "version": "1.0.0""#, "", 1).replacen(
            "}}",
            r#"}, "version": "1.0.0"}"#,
            1,
        );
        assert!(keys_in_loop(&moved) > 0, "{moved}");
    }

    /// What [`scan_line`] must find, a byte at a time.
    fn model(data: &[u8]) -> Option<(Scanned, Vec<usize>)> {
        let len = data.iter().position(|&c| c == b'\n').unwrap_or(data.len());
        if len >= MAX_LINE {
            return None;
        }
        let line = &data[..len];
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        let scanned = Scanned {
            len,
            clean: !body.iter().any(|&c| c < 0x20 || c == b'\\'),
            ascii: line.is_ascii(),
        };
        let quotes = (0..len).filter(|&i| line[i] == b'"').collect();
        Some((scanned, quotes))
    }

    #[test]
    fn scan_finds_the_line_end_quotes_escapes_controls_and_high_bytes() {
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\n".to_vec(),
            b"\"".to_vec(),
            br#"{"event": "x", "n": 1}"#.to_vec(),
            "é\"ü\"\n\"next\"".as_bytes().to_vec(),
            b"a\\b".to_vec(),
            b"a\tb\n".to_vec(),
            b"a\r\n".to_vec(),
            vec![b'"'; 200],
            b"\x7f\x80\xff\"".to_vec(),
            vec![b'a'; MAX_LINE - 1],
            vec![b'a'; MAX_LINE],
            vec![b'a'; MAX_LINE + 5],
        ];
        // Every length around the 16- and 64-byte edges; a quote, a line
        // end, a control or a high byte anywhere, and text after the end.
        for n in 0usize..200 {
            for at in [0, n / 2, n.saturating_sub(1)] {
                for c in [b'"', b'\n', 0x1f, 0xc3, b'\r'] {
                    let mut l = vec![b'a'; n];
                    if n > 0 {
                        l[at] = c;
                    }
                    inputs.push(l.clone());
                    l.extend_from_slice(b"\n\"\\\x01\xff");
                    inputs.push(l);
                }
            }
        }
        let mut quotes = Quotes::new();
        let mut scanners = scanners();
        scanners.push(("scan_line", scan_line));
        for data in inputs {
            let want = model(&data);
            for &(name, scan) in &scanners {
                // Stale bits from an earlier line must not matter.
                quotes.0.fill(!0);
                let got = scan(&data, &mut quotes);
                assert_eq!(got, want.as_ref().map(|w| w.0), "{name}: {data:?}");
                if let Some((s, want_quotes)) = &want {
                    let got_quotes: Vec<usize> = (0..s.len)
                        .filter(|&i| quotes.0[i / 64] >> (i % 64) & 1 == 1)
                        .collect();
                    assert_eq!(&got_quotes, want_quotes, "{name}: {data:?}");
                    // Bits past the line's end in its last word are cleared.
                    if s.len % 64 != 0 {
                        assert_eq!(quotes.0[s.len / 64] >> (s.len % 64), 0, "{name}: {data:?}");
                    }
                }
            }
        }
    }

    /// Every scanner this CPU can run, by name.
    fn scanners() -> Vec<(&'static str, Scanner)> {
        #[cfg(target_arch = "x86_64")]
        return x86::scanners();
        #[cfg(not(target_arch = "x86_64"))]
        return vec![("portable", |d, q| unsafe { scan_with::<Portable>(d, q) })];
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn masks_agree_with_the_portable_masks() {
        let maskers = x86::maskers();
        // This machine's CPU decides which vector widths the test reaches.
        eprintln!(
            "vector masks tested: {:?}",
            maskers.iter().map(|m| m.0).collect::<Vec<_>>()
        );
        let mut chunk = [0u8; 64];
        let mut chunks = Vec::new();
        // Every byte value at every position, in a chunk of each background.
        for background in [b'a', b'"', 0x00, 0xff] {
            for c in 0..=255u8 {
                for at in 0..64 {
                    let mut one = [background; 64];
                    one[at] = c;
                    chunks.push(one);
                }
            }
        }
        for seed in 0u32..2000 {
            for (i, c) in chunk.iter_mut().enumerate() {
                let x = seed
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(i as u32 * 40_503);
                *c = match x % 7 {
                    0 => b'"',
                    1 => b'\n',
                    2 => b'\\',
                    3 => (x >> 8) as u8,
                    _ => b'a' + (x % 26) as u8,
                };
            }
            chunks.push(chunk);
        }
        for chunk in &chunks {
            // SAFETY: the portable masks need no CPU feature.
            let want = unsafe { Portable::masks(chunk) };
            for (name, masks) in &maskers {
                assert_eq!(masks(chunk), want, "{name}: {chunk:?}");
            }
        }
    }

    #[test]
    fn gives_up_on_what_serde_must_decide() {
        for line in [
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "c\u0041"}}"#,
            "{\"event\":\t\"test\", \"timestamp\": \"2025-10-19T00:00:00Z\"}",
            r#"{"event": "test", "timestamp": "2025-10-19T00:00:00Z", "event": "test"}"#,
            // A duplicate after a field read where it was expected, and a
            // duplicate that is itself the expected field.
            r#"{"event": "scan.completed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "cli", "mode": "docker"}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"profile": "a", "mode": "b", "profile": "c"}}"#,
            r#"{"event": "scan.completed", "version": "1", "version": "2", "timestamp": "2025-10-19T00:00:00Z"}"#,
            // Duplicates after every field came in client order: each
            // envelope field again, and a metadata field again.
            r#"{"event": "test", "version": "1", "platform": "L", "python_version": "3", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": null, "version": "1"}"#,
            r#"{"event": "test", "version": "1", "platform": "L", "python_version": "3", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": null, "platform": "L"}"#,
            r#"{"event": "test", "version": "1", "platform": "L", "python_version": "3", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": null, "python_version": "3"}"#,
            r#"{"event": "test", "version": "1", "platform": "L", "python_version": "3", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": null, "anonymous_id": "x"}"#,
            r#"{"event": "test", "version": "1", "platform": "L", "python_version": "3", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": null, "timestamp": "2025-10-19T00:00:00Z"}"#,
            r#"{"event": "scan.completed", "version": "1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "cli", "profile": "fast", "duration_bucket": "<5min", "tools_succeeded": 2, "tools_failed": 1, "total_findings_bucket": "0", "profile": "x"}}"#,
            r#"{"event": "scan.completed", "version": "1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "cli", "profile": "fast", "duration_bucket": "<5min", "tools_succeeded": 2, "tools_failed": 1, "total_findings_bucket": "0", "mode": "x"}}"#,
            r#"{"event": "scan.completed", "version": "1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": null, "event": "test"}"#,
            r#"{"event": "scan.completed", "version": "1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z", "metadata": null, "metadata": null}"#,
            r#"{"event": "test", "timestamp": "2025-10-19T00:00:00Z",}"#,
            r#"{"event": "scan.completed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools_failed": 01}}"#,
            r#"{"event": "scan.completed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools_failed": -0}}"#,
            r#"{"event": "scan.completed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools_failed": 1.0}}"#,
            r#"{"event": "scan.completed", "timestamp": "2025-10-19T00:00:00Z", "metadata": ["cli"]}"#,
            r#"{"event": "test", "timestamp": "2025-10-19T00:00:00Z"} x"#,
            r#"{"event": "", "timestamp": "2025-10-19T00:00:00Z"}"#,
            r#"{"event": "test"}"#,
            r#"{"event": "test", "timestamp": "2025-10-19T00:00:00Z", "x": [1,]}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "a", "mode": "b"}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": null, "mode": null}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"ci_detected": 1}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": 1}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": ["a", 1]}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": "a"}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"a": "x"}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": [1]}}"#,
            // A target type twice, as clients write counts and otherwise,
            // and a key that is no target type (serde decides both).
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"repos": 1, "repos": 1}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"repos": 1, "urls": 0, "repos": 0}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"repos":1, "repos":1}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"ftp": 1}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"ftp":1}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "a",}}"#,
            r#"{"event": "tool.failed", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"exit_code": 2.0}}"#,
            // Metadata before the event name (read again from its span once
            // the name is known), with a bad value after good ones.
            r#"{"metadata": {"mode": "cli", "profile": 3}, "event": "scan.started", "timestamp": "2025-10-19T00:00:00Z"}"#,
            r#"{"metadata": {"tool": "zap", "exit_code": "x"}, "timestamp": "2025-10-19T00:00:00Z", "event": "tool.failed"}"#,
            r#"{"metadata": {"mode": "cli", "mode": "cli"}, "event": "scan.completed", "timestamp": "2025-10-19T00:00:00Z"}"#,
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
        let deep = format!(
            r#"{{"event": "test", "timestamp": "2025-10-19T00:00:00Z", "x": {}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(parse(&deep).is_err());
        let long = format!(
            r#"{{"event": "test", "timestamp": "2025-10-19T00:00:00Z", "x": "{}"}}"#,
            "a".repeat(MAX_LINE)
        );
        assert!(parse(&long).is_err());
    }

    /// The field names serde's derived `Deserialize` of `T` asks for.
    fn serde_fields<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
        use serde::de::{Error as _, Visitor, value::Error};
        struct Fields(&'static [&'static str]);
        impl<'de> serde::Deserializer<'de> for &mut Fields {
            type Error = Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
                Err(Error::custom("only structs"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Error> {
                self.0 = fields;
                Err(Error::custom("fields taken"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
                bytes byte_buf option unit unit_struct newtype_struct seq tuple
                tuple_struct map enum identifier ignored_any
            }
        }
        let mut fields = Fields(&[]);
        let _ = T::deserialize(&mut fields);
        fields.0
    }

    #[test]
    fn the_fast_path_reads_every_field_serde_and_the_audit_know() {
        // serde's derived names, and the documented schema the audit checks
        // and the report's samples allow (one list of names, in the order
        // clients write them, for all four).
        fn check<'a, T: Metadata<'a> + serde::Deserialize<'a>>(event: &str) {
            let serde = serde_fields::<T>();
            assert!(!serde.is_empty());
            assert_eq!(T::FIELDS, serde, "{}", std::any::type_name::<T>());
            let spec = crate::audit::schema::event_spec(event).expect("a known type");
            let documented: Vec<&str> = crate::audit::schema::metadata_fields(spec)
                .expect("a metadata object")
                .iter()
                .map(|f| f.name)
                .collect();
            assert_eq!(T::FIELDS, documented, "{event}");
        }
        check::<ScanStarted>("scan.started");
        check::<ScanCompleted>("scan.completed");
        check::<ToolFailed>("tool.failed");
        check::<WizardCompleted>("wizard.completed");
        check::<ReportGenerated>("report.generated");
        check::<PolicyEvaluated>("policy.evaluated");
    }

    #[test]
    fn reads_what_serde_reads_the_same_way() {
        use crate::event::parse::{Parsed, parse_line_serde};
        for line in [
            // Unknown fields: serde allows them.
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"repos": 2, "urls": 0}, "x": {"mode": 1}, "tools": ["a", "b", "a"], "mode": null}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": [], "target_types": {}, "ci_detected": false}}"#,
            r#"{"event": "policy.evaluated", "timestamp": "2025-10-19T00:00:00Z", "metadata": {}}"#,
            // Keys in the order clients write them (each one expected), and
            // the same keys spelled so the expectation misses: a space
            // before the colon, another order, a skipped field.
            r#"{"event": "scan.completed", "version": "1", "platform": "Linux", "python_version": "3.11", "anonymous_id": "ac1c8aeb-e464-4389-8c34-61d1cec3fc5a", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": "cli", "profile": "fast", "duration_bucket": "<5min", "tools_succeeded": 2, "tools_failed": 1, "total_findings_bucket": "0"}}"#,
            r#"{"event" : "scan.completed", "version":"1", "platform"  : "Linux", "anonymous_id": "x", "python_version": null, "timestamp": "2025-10-19T00:00:00Z", "metadata": {"profile": "fast", "mode" : "cli", "tools_succeeded": 2, "total_findings_bucket": "0", "tools_failed": null}}"#,
            r#"{"timestamp": "2025-10-19T00:00:00Z", "event": "scan.started", "metadata": {"mode": "cli", "tools": ["a"], "profile": "fast", "ci_detected": true}}"#,
            // A key that starts like an expected one.
            r#"{"event": "scan.started", "versions": "1", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"modes": "x", "mode": "cli"}}"#,
            // Separators written otherwise than `, "key": `: none or more
            // spaces, a space before the comma, a key after an unknown one.
            r#"{"event": "scan.started","version": "1" ,"platform":  "Linux", "python_version":"3.11",  "anonymous_id": "x", "timestamp": "2025-10-19T00:00:00Z","metadata": {"mode": "cli","profile": "fast" , "tools": ["a"],  "target_types": null}}"#,
            r#"{"event": "scan.started", "version": "1", "x": 1, "platform": "Linux", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"x": [], "mode": "cli", "y": null, "profile": "fast", "tools": null}}"#,
            // Counts and lists as clients write them, and near misses the
            // general path reads.
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": ["a", "bb", "a"], "target_types": {"repos": 123456789012345678, "images": 0, "urls": 10}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": ["a","b"], "target_types": {"repos":1,"urls" : 2}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": [ "a" ], "target_types": { "repos": 1 , "urls": -2, "k8s": 0 }}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": ["a" , "b"], "target_types": {"repos": 1,  "urls": 2}}}"#,
            // A count sent as `null` is none.
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"repos": null, "images": 2, "urls": 3}}}"#,
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"repos":null}}}"#,
        ] {
            let fast = parse(line).unwrap_or_else(|_| panic!("gave up on {line}"));
            match parse_line_serde(line) {
                Parsed::Event(e) => assert_eq!(fast, e, "{line}"),
                Parsed::Invalid(r) => panic!("serde refused {line}: {r}"),
            }
        }
    }

    /// The cursor at the start of `text`, its quotes scanned.
    fn with_cursor<T>(text: &str, f: impl FnOnce(&Cursor<'_, '_>) -> T) -> T {
        let mut quotes = Quotes::new();
        scan_line(text.as_bytes(), &mut quotes).unwrap();
        f(&Cursor {
            s: text,
            quotes: &quotes.0,
            i: 0,
            depth: 0,
        })
    }

    #[test]
    fn quote_from_finds_the_next_quote_at_any_distance_and_offset() {
        // Gaps of every length from 0 to 70 bytes and a few longer ones
        // (within a word, across one or more word ends, from every offset),
        // then no quote before the line's end.
        let mut text = String::new();
        for gap in (0..=70).chain([127, 128, 129, 200]) {
            text.push_str(&"a".repeat(gap));
            text.push('"');
        }
        text.push_str(&"b".repeat(150));
        with_cursor(&text, |cur| {
            for start in 0..text.len() {
                let want = text[start..].find('"').map(|at| start + at);
                assert_eq!(cur.quote_from(start).ok(), want, "from {start}");
            }
        });
    }

    #[test]
    fn counts_and_lists_as_written_are_read_in_one_pass_and_nothing_else() {
        let counts = |text| with_cursor(text, |c| c.counts_as_written());
        let counts_of = |non_zero, total| TargetTypes { non_zero, total };
        assert_eq!(counts("{}"), Some((counts_of(0, 0), 2)));
        assert_eq!(
            counts(r#"{"repos": 2, "images": 0, "urls": 10} x"#),
            Some((counts_of(2, 12), 37))
        );
        assert_eq!(
            counts(r#"{"k8s": 999999999999999999, "iac": 0, "gitlab": 1}"#),
            Some((counts_of(2, 1_000_000_000_000_000_000), 50))
        );
        for miss in [
            // A key twice, or one that is no target type: serde decides.
            r#"{"repos": 1, "repos": 0}"#,
            r#"{"urls": 1, "iac": 0, "urls": 1}"#,
            r#"{"a": 1}"#,
            r#"{"repo": 1}"#,
            r#"{"reposs": 1}"#,
            r#"{"repos":2}"#,
            r#"{"repos" : 2}"#,
            r#"{"repos": 2 }"#,
            r#"{"repos": 2,"urls": 1}"#,
            r#"{ "repos": 2}"#,
            r#"{"repos": -2}"#,
            r#"{"repos": 02}"#,
            r#"{"repos": 2.0}"#,
            r#"{"repos": 2e1}"#,
            r#"{"repos": }"#,
            r#"{"repos": 1000000000000000000}"#,
            r#"{"repos": 9999999999999999999}"#,
            r#"{"repos": 99999999999999999999999}"#,
            r#"{"repos": null}"#,
            r#"{"repos": 2"#,
            r#"{"a": 1,x"b": 2}"#,
            r#"{"repos"#,
        ] {
            assert_eq!(counts(miss), None, "{miss}");
        }
        let strings = |text| with_cursor(text, |c| c.strings_as_written());
        assert_eq!(strings("[]"), Some(2));
        assert_eq!(strings(r#"["a", "", "c d"], 1"#), Some(16));
        for miss in [
            r#"["a","b"]"#,
            r#"[ "a"]"#,
            r#"["a" ]"#,
            r#"["a", 1]"#,
            r#"["a",  "b"]"#,
            r#"["a""#,
            "[null]",
            r#"["a",x"b"]"#,
        ] {
            assert_eq!(strings(miss), None, "{miss}");
        }
    }

    #[test]
    fn reads_metadata_before_the_event_name() {
        let line = r#"{"metadata": {"tool": "zap", "exit_code": -9}, "timestamp": "2025-10-19T00:00:00Z", "event": "tool.failed"}"#;
        let event = parse(line).unwrap();
        let Payload::ToolFailed(t) = event.payload else {
            panic!("{event:?}")
        };
        assert_eq!(t.tool.as_deref(), Some("zap"));
        assert_eq!(t.exit_code, Some(-9));
    }
}
