//! Streaming, parallel ingestion of a JSONL input.
//!
//! A reader thread cuts the input into blocks of about [`BLOCK`] bytes at
//! line ends, numbers the blocks and hashes them (SHA-256 of the exact input
//! bytes). A regular file is mapped into memory a block at a time (no copy
//! through a buffer; the mapping is dropped once the block is parsed), any
//! other input is read into recycled buffers. Worker threads (one per core) split each block into lines in one
//! SIMD pass per line (`scan_line`: line end, quotes, escapes, non-ASCII),
//! parse them into typed [`Event`]s and hand them to their own [`Sink`].
//! A worker does not know how many lines came before its block, so events
//! carry a [`LinePos`] (block, line in block), which orders as line numbers
//! do; at the end the blocks' line counts turn the problems' positions into
//! the line numbers a text editor shows. Every [`FOLD_BLOCKS`] blocks a worker
//! folds its sink into one shared sink and starts afresh, which keeps its
//! tables small. Memory holds a few blocks at a time plus the sinks' state
//! (per installation, not per event), whatever the size of the input; a
//! line longer than [`MAX_LINE`] is skipped unread, never held whole.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Mutex;
use std::thread;

use sha2::{Digest, Sha256};

use super::fast::{Quotes, Scanned, scan_line};
use super::parse::{Reason, parse_into, parse_into_scanned};
use super::schema::{Event, EventClass};
use crate::source::local::Input;

/// Target size of one block handed to a worker.
pub const BLOCK: usize = 4 << 20;

/// The longest line any command reads: a longer one is an invalid line,
/// skipped without being held (its bytes still hashed and counted), so that
/// memory stays bounded whatever the input (`/dev/zero`, a stream that
/// never ends a line, a file of binary junk). Events are a few hundred
/// bytes; the benchmark's hostile lines, 5 MB at most.
pub const MAX_LINE: usize = 64 << 20;

/// What [`MAX_LINE`] says of a line longer than `max_line`, of `bytes`
/// bytes before its `\n` (a `\r` and a byte order mark among them).
pub fn too_long_reason(bytes: u64, max_line: usize) -> String {
    format!(
        "longer than {} MiB ({bytes} bytes before its line end): not read",
        max_line >> 20
    )
}

/// Every this many blocks, a worker folds its sink into the shared one and
/// starts a fresh sink. A worker's tables then hold only the installations
/// of its last few blocks, small enough to stay in cache: on the generated
/// 1 GB file this takes about 8 % less CPU than one sink per worker for the
/// whole input (median of 4 interleaved runs; 16 blocks did as well, every
/// block worse). Peak memory does not drop: the shared sink's per-installation
/// bitsets dominate it (55 MB against 51 MB on that file).
pub const FOLD_BLOCKS: u64 = 4;

/// Where a line sits in the input: its block and its 1-based line in the
/// block. Positions order exactly as line numbers do; ingestion turns the
/// problems' positions into line numbers once every block is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinePos(u64);

impl LinePos {
    /// Line `line` (1-based) of block `block` (0-based). A block holds at
    /// most a few million lines, far below 2^32.
    pub fn new(block: u64, line: u64) -> LinePos {
        LinePos((block << 32) | line)
    }

    fn block(self) -> u64 {
        self.0 >> 32
    }

    fn line_in_block(self) -> u64 {
        self.0 & 0xffff_ffff
    }
}

/// Receives the valid events of one worker; sinks are merged at the end.
pub trait Sink: Send {
    /// Called once per valid event, with its position in the input.
    fn event(&mut self, pos: LinePos, event: &Event<'_>);
    /// What ingestion calls: [`Sink::event`] plus the line's text (without
    /// its line end or BOM). Sinks that keep raw events override this.
    fn event_text(&mut self, pos: LinePos, _text: &str, event: &Event<'_>) {
        self.event(pos, event);
    }
    /// Folds another worker's sink into this one.
    fn merge(&mut self, other: Self);
    /// Folds `other` into this one and leaves it empty, as `fresh` would
    /// make it. Sinks that can empty themselves and keep their memory
    /// override this, so a worker does not free and allocate its tables
    /// again at every fold (which fragments the heap).
    fn absorb(&mut self, other: &mut Self, fresh: impl FnOnce() -> Self)
    where
        Self: Sized,
    {
        self.merge(std::mem::replace(other, fresh()));
    }
}

/// One invalid line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// 1-based line number.
    pub line: u64,
    /// Short reason.
    pub reason: String,
}

/// What ingestion saw, before any filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestStats {
    /// SHA-256 of the input bytes, lower-case hex.
    pub sha256: String,
    /// Bytes read.
    pub bytes: u64,
    /// Physical lines (a final line end does not start another line).
    pub lines: u64,
    /// Empty or whitespace-only lines.
    pub blank_lines: u64,
    /// Lines that are not a valid event.
    pub invalid_lines: u64,
    /// Valid events of every class.
    pub valid_events: u64,
    /// Valid events that are usage events.
    pub usage_events: u64,
    /// `test` and `test.event` events.
    pub test_events: u64,
    /// `telemetry.initialized` markers.
    pub marker_events: u64,
    /// Every invalid line, in line order.
    pub problems: Vec<Problem>,
}

/// One worker's counts; problems and blocks by position until the end.
#[derive(Default)]
struct WorkerStats {
    stats: IngestStats,
    problems: Vec<(LinePos, String)>,
    /// (block, lines in it) of every block this worker parsed.
    blocks: Vec<(u64, u64)>,
}

impl WorkerStats {
    fn merge(&mut self, other: WorkerStats) {
        let (s, o) = (&mut self.stats, other.stats);
        s.blank_lines += o.blank_lines;
        s.invalid_lines += o.invalid_lines;
        s.valid_events += o.valid_events;
        s.usage_events += o.usage_events;
        s.test_events += o.test_events;
        s.marker_events += o.marker_events;
        self.problems.extend(other.problems);
        self.blocks.extend(other.blocks);
    }

    /// Counts every block's lines and numbers the problems.
    fn finish(mut self) -> IngestStats {
        self.blocks.sort_unstable();
        let mut first_lines = Vec::with_capacity(self.blocks.len());
        let mut next = 1u64;
        for &(block, lines) in &self.blocks {
            first_lines.push((block, next));
            next += lines;
        }
        let mut stats = self.stats;
        stats.lines = next - 1;
        self.problems.sort_unstable_by_key(|p| p.0);
        stats.problems = self
            .problems
            .into_iter()
            .map(|(pos, reason)| {
                let i = first_lines.partition_point(|&(b, _)| b < pos.block());
                let first = first_lines.get(i).map_or(1, |&(_, first)| first);
                Problem {
                    line: first + pos.line_in_block() - 1,
                    reason,
                }
            })
            .collect();
        stats
    }
}

/// Consecutive whole lines of the input (the last block may lack a final
/// line end), numbered from 0 in input order.
pub(crate) struct Block {
    pub(crate) seq: u64,
    data: Data,
}

/// A block's bytes: a recycled buffer, or part of a mapping of the file;
/// or, for a line longer than [`MAX_LINE`], its length alone.
enum Data {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap, Range<usize>),
    TooLong(u64),
}

impl Block {
    /// The block's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        match &self.data {
            Data::Owned(buf) => buf,
            Data::Mapped(map, range) => &map[range.clone()],
            Data::TooLong(_) => &[],
        }
    }

    /// For a block that stands for one line longer than [`MAX_LINE`] (no
    /// bytes held), the line's length.
    pub(crate) fn too_long(&self) -> Option<u64> {
        match self.data {
            Data::TooLong(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Gives a read buffer back to the reader (see [`read_input`]); a
    /// mapping is dropped (unmapped).
    pub(crate) fn recycle(self, free: &crossbeam_channel::Sender<Vec<u8>>) {
        if let Data::Owned(buf) = self.data {
            let _ = free.send(buf);
        }
    }
}

/// Block size and fold interval; tests shrink them to fold often.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    pub(crate) block: usize,
    pub(crate) fold_blocks: u64,
    pub(crate) max_line: usize,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            block: BLOCK,
            fold_blocks: FOLD_BLOCKS,
            max_line: MAX_LINE,
        }
    }
}

/// Reads `input` to its end, parsing every line, and returns what ingestion
/// saw plus the merged sink. `make_sink` builds the workers' sinks.
pub fn ingest<'a, S, F>(input: impl Into<Input<'a>>, make_sink: F) -> io::Result<(IngestStats, S)>
where
    S: Sink,
    F: Fn() -> S + Sync,
{
    ingest_tuned(input.into(), make_sink, Tuning::default())
}

/// [`ingest`] with the given block size and fold interval.
pub(crate) fn ingest_tuned<S, F>(
    input: Input<'_>,
    make_sink: F,
    tuning: Tuning,
) -> io::Result<(IngestStats, S)>
where
    S: Sink,
    F: Fn() -> S + Sync,
{
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 16);
    let (tx, rx) = crossbeam_channel::bounded::<Block>(workers * 2);
    // Parsed blocks' buffers go back to the reader: no fresh pages to fault in.
    let (free_tx, free_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    let shared: Mutex<Option<S>> = Mutex::new(None);
    let total = thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut hasher = Sha256::new();
            let bytes = read_input(
                input,
                tuning.block,
                tuning.max_line,
                &mut |b| hasher.update(b),
                &tx,
                &free_rx,
            )?;
            Ok::<_, io::Error>((format!("{:x}", hasher.finalize()), bytes))
        });
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                let free_tx = free_tx.clone();
                let make_sink = &make_sink;
                let shared = &shared;
                scope.spawn(move || {
                    let mut sink = make_sink();
                    let mut stats = WorkerStats::default();
                    let mut quotes = Quotes::new();
                    for block in rx.iter() {
                        let lines = match block.too_long() {
                            Some(bytes) => {
                                let reason = too_long_reason(bytes, tuning.max_line);
                                invalid(&mut stats, LinePos::new(block.seq, 1), reason.into());
                                1
                            }
                            None => parse_block(&block, &mut stats, &mut sink, &mut quotes),
                        };
                        stats.blocks.push((block.seq, lines));
                        block.recycle(&free_tx);
                        if (stats.blocks.len() as u64).is_multiple_of(tuning.fold_blocks.max(1)) {
                            fold(shared, &mut sink, make_sink);
                        }
                    }
                    fold(shared, &mut sink, make_sink);
                    stats
                })
            })
            .collect();
        drop(free_tx);
        drop(rx);
        let mut total = WorkerStats::default();
        for handle in handles {
            total.merge(handle.join().expect("ingest worker panicked"));
        }
        let (sha256, bytes) = reader.join().expect("ingest reader panicked")?;
        let mut total = total.finish();
        total.sha256 = sha256;
        total.bytes = bytes;
        Ok::<_, io::Error>(total)
    })?;
    let merged = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((total, merged.unwrap_or_else(make_sink)))
}

/// Cuts `input` into blocks of about `block` bytes at line ends and sends
/// them on in order, numbered, until the input ends or the receiver hangs
/// up; `hash` sees every byte read, in order. A line longer than `max_line`
/// (at least `block`) is sent as [`Block::too_long`], its bytes never held
/// together. Returns how many bytes were read. Read buffers come from `free`
/// when it has one ([`Block::recycle`]).
pub(crate) fn read_input(
    input: Input<'_>,
    block: usize,
    max_line: usize,
    hash: &mut impl FnMut(&[u8]),
    tx: &crossbeam_channel::Sender<Block>,
    free: &crossbeam_channel::Receiver<Vec<u8>>,
) -> io::Result<u64> {
    let max_line = max_line.max(block);
    match input {
        Input::File(file) => map_blocks(file, block, max_line, hash, tx, free),
        Input::Stream(stream) => read_blocks(stream, block, max_line, hash, tx, free),
    }
}

/// Mapping offsets are rounded down to this: a multiple of every page size
/// Linux uses (4, 16 and 64 KiB).
const MAP_ALIGN: u64 = 64 << 10;

/// Maps a regular file a block at a time, each block cut after its last line
/// end, and sends the blocks on, numbered; returns the hash and size. Reads
/// up to the size the file had when ingestion began. A file that cannot be
/// mapped (or says it is empty, as `/proc` files do) is read as a stream.
///
/// A last line without its line end, when the file has grown since, is
/// left out: a line being appended.
///
/// The file must not shrink, or be rewritten in place, while it is read: a
/// mapped page past its new end (or one the disk cannot deliver) stops the
/// program (`SIGBUS`) instead of giving an I/O error, and rewritten bytes
/// would change under the parser. Appending is safe (only the length at the
/// start is read), and so is `fetch`, which replaces the archive by renaming
/// a new file over it. This is ripgrep's trade for a copy-free read (GNU grep
/// made the other one); `Input::stream` reads any file the copying way.
fn map_blocks(
    file: File,
    block: usize,
    max_line: usize,
    hash: &mut impl FnMut(&[u8]),
    tx: &crossbeam_channel::Sender<Block>,
    free: &crossbeam_channel::Receiver<Vec<u8>>,
) -> io::Result<u64> {
    let mut len = file.metadata()?.len();
    if len == 0 {
        return read_blocks(file, block, max_line, hash, tx, free);
    }
    let mut start = 0u64;
    let mut seq = 0u64;
    while start < len {
        let base = start - start % MAP_ALIGN;
        let skip = (start - base) as usize;
        let mut want = block.max(1) as u64;
        // Bytes from `start` on already searched for a line end, in vain.
        let mut searched = 0usize;
        let (map, cut) = loop {
            let end = start.saturating_add(want).min(len);
            let mapped = usize::try_from(end - base)
                .map_err(io::Error::other)
                .and_then(|n| {
                    // SAFETY: the mapping is read-only and private; its bytes
                    // are only read, and change only if another process
                    // writes the file in place (see above).
                    unsafe {
                        memmap2::MmapOptions::new()
                            .offset(base)
                            .len(n)
                            .populate()
                            .map(&file)
                    }
                });
            let map = match mapped {
                Ok(map) => map,
                Err(_) if start == 0 => return read_blocks(file, block, max_line, hash, tx, free),
                Err(e) => return Err(e),
            };
            if searched > 0 {
                // The block's first line is longer than a block: past
                // `max_line` it is skipped, hashed a block at a time.
                let first_end =
                    memchr::memchr(b'\n', &map[skip + searched..]).map(|i| searched + i);
                let so_far = first_end.unwrap_or(map.len() - skip);
                if so_far > max_line {
                    let line_end = match first_end {
                        Some(e) => {
                            hash(&map[skip..=skip + e]);
                            start + e as u64
                        }
                        None => {
                            hash(&map[skip..]);
                            let from = start + so_far as u64;
                            drop(map);
                            skip_line(&file, from, len, block, hash)?
                        }
                    };
                    let data = Data::TooLong(line_end - start);
                    start = (line_end + 1).min(len);
                    if tx.send(Block { seq, data }).is_err() {
                        return Ok(start);
                    }
                    seq += 1;
                    break (None, 0);
                }
            }
            let cut = if end == len {
                let rest = &map[skip..];
                // A last line without its line end in a file that has grown
                // since it was opened is a line being appended, cut where
                // the file was measured (a review: a writer's line written
                // in two parts was read as half a line, an invalid one,
                // failing `--strict` and `validate`). It is left out, as
                // the lines after it are; the next run reads it whole.
                let appended =
                    rest.last() != Some(&b'\n') && file.metadata().is_ok_and(|m| m.len() > len);
                if appended {
                    let whole = memchr::memrchr(b'\n', rest).map_or(0, |i| i + 1);
                    len = start + whole as u64;
                    if whole == 0 {
                        break (None, 0);
                    }
                    Some(whole)
                } else {
                    Some(map.len() - skip)
                }
            } else if searched == 0 {
                memchr::memrchr(b'\n', &map[skip..]).map(|i| i + 1)
            } else {
                // After a long line, the block ends with it: a block holds
                // at most about `block` lines, as a streamed one does.
                memchr::memchr(b'\n', &map[skip + searched..]).map(|i| searched + i + 1)
            };
            if let Some(cut) = cut {
                break (Some(map), cut);
            }
            // A line longer than the block: map more until it ends, or
            // until it is longer than `max_line`.
            searched = map.len() - skip;
            want = want.saturating_mul(2).min(max_line as u64 + 1);
        };
        let Some(map) = map else { continue };
        hash(&map[skip..skip + cut]);
        start += cut as u64;
        let data = Data::Mapped(map, skip..skip + cut);
        if tx.send(Block { seq, data }).is_err() {
            break;
        }
        seq += 1;
    }
    Ok(start)
}

/// Hashes a line too long to read from `from` on, a block at a time, to
/// its line end; returns where that is (`len` when the file ends first).
fn skip_line(
    file: &File,
    mut from: u64,
    len: u64,
    block: usize,
    hash: &mut impl FnMut(&[u8]),
) -> io::Result<u64> {
    while from < len {
        let base = from - from % MAP_ALIGN;
        let end = from.saturating_add(block.max(1) as u64).min(len);
        let n = usize::try_from(end - base).map_err(io::Error::other)?;
        // SAFETY: as in `map_blocks`.
        let map = unsafe { memmap2::MmapOptions::new().offset(base).len(n).map(file)? };
        let at = (from - base) as usize;
        if let Some(i) = memchr::memchr(b'\n', &map[at..]) {
            hash(&map[at..=at + i]);
            return Ok(from + i as u64);
        }
        hash(&map[at..]);
        from = end;
    }
    Ok(len)
}

/// Reads blocks cut at line ends and sends them on, numbered; returns the
/// size. A line longer than `max_line` is read on to its end and sent as
/// [`Data::TooLong`], never held whole.
fn read_blocks<R: Read>(
    mut input: R,
    block: usize,
    max_line: usize,
    hash: &mut impl FnMut(&[u8]),
    tx: &crossbeam_channel::Sender<Block>,
    free: &crossbeam_channel::Receiver<Vec<u8>>,
) -> io::Result<u64> {
    let mut bytes = 0u64;
    let mut seq = 0u64;
    let mut carry: Vec<u8> = Vec::new();
    let mut spare: Option<Vec<u8>> = None;
    // The bytes of a line too long to hold, read so far.
    let mut skipping: Option<u64> = None;
    loop {
        // A line longer than a block goes on in the buffer that holds its
        // start (copying it into a fresh one each read was quadratic, and
        // held it twice).
        let mut buf = if carry.capacity() >= block {
            std::mem::take(&mut carry)
        } else {
            let mut buf = spare
                .take()
                .or_else(|| free.try_recv().ok())
                .unwrap_or_default();
            buf.clear();
            // A buffer that held a long line gives its memory back: each
            // in circulation kept up to 128 MiB (a review: 728 MB for ten
            // long lines from a pipe).
            if buf.capacity() > 2 * block {
                buf.shrink_to(block);
            }
            buf.extend_from_slice(&carry);
            carry.clear();
            buf
        };
        buf.reserve(block);
        let start = buf.len();
        let read = read_up_to(&mut input, &mut buf, block)?;
        hash(&buf[start..]);
        bytes += read as u64;
        if let Some(so_far) = skipping {
            let line_end = memchr::memchr(b'\n', &buf);
            let line = so_far + line_end.unwrap_or(buf.len()) as u64;
            if line_end.is_some() || read == 0 {
                skipping = None;
                let data = Data::TooLong(line);
                if tx.send(Block { seq, data }).is_err() || read == 0 {
                    break;
                }
                seq += 1;
                carry.extend_from_slice(&buf[line_end.map_or(buf.len(), |e| e + 1)..]);
            } else {
                skipping = Some(line);
            }
            spare = Some(buf);
            continue;
        }
        if read == 0 {
            if !buf.is_empty() {
                let data = Data::Owned(buf);
                let _ = tx.send(Block { seq, data });
            }
            break;
        }
        if start > 0 {
            // The first line began in an earlier read: past `max_line` it
            // is skipped.
            let first_end = memchr::memchr(b'\n', &buf);
            let first = first_end.unwrap_or(buf.len());
            if first > max_line {
                match first_end {
                    None => skipping = Some(first as u64),
                    Some(e) => {
                        let data = Data::TooLong(e as u64);
                        if tx.send(Block { seq, data }).is_err() {
                            break;
                        }
                        seq += 1;
                        carry.extend_from_slice(&buf[e + 1..]);
                    }
                }
                spare = Some(buf);
                continue;
            }
        }
        match memchr::memrchr(b'\n', &buf) {
            // A line longer than a block: keep reading until it ends.
            None => carry = buf,
            Some(end) => {
                carry.extend_from_slice(&buf[end + 1..]);
                buf.truncate(end + 1);
                if tx
                    .send(Block {
                        seq,
                        data: Data::Owned(buf),
                    })
                    .is_err()
                {
                    break;
                }
                seq += 1;
            }
        }
    }
    Ok(bytes)
}

/// Appends up to `want` bytes (fewer only at end of input); retries on EINTR.
fn read_up_to<R: Read>(input: &mut R, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    let mut total = 0;
    while total < want {
        match input.by_ref().take((want - total) as u64).read_to_end(buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// Parses every line of a block; returns how many lines it holds.
fn parse_block<S: Sink>(
    block: &Block,
    stats: &mut WorkerStats,
    sink: &mut S,
    quotes: &mut Quotes,
) -> u64 {
    let data = block.bytes();
    let mut line = 0u64;
    let mut start = 0usize;
    while start < data.len() {
        let rest = &data[start..];
        let scanned = scan_line(rest, quotes);
        let len = match scanned {
            Some(s) => s.len,
            // Longer than the fast path takes: find its end the plain way.
            None => memchr::memchr(b'\n', rest).unwrap_or(rest.len()),
        };
        line += 1;
        let pos = LinePos::new(block.seq, line);
        parse_line_at(&rest[..len], scanned, pos, stats, sink, quotes);
        start += len + 1;
    }
    line
}

/// One line (without its `\n`), with what [`scan_line`] found about it.
#[inline]
fn parse_line_at<S: Sink>(
    mut raw: &[u8],
    mut scanned: Option<Scanned>,
    pos: LinePos,
    stats: &mut WorkerStats,
    sink: &mut S,
    quotes: &Quotes,
) {
    if let Some(stripped) = raw.strip_suffix(b"\r") {
        // The scan's facts hold without the `\r` (see `Scanned::clean`).
        raw = stripped;
    }
    if pos.block() == 0
        && pos.line_in_block() == 1
        && let Some(stripped) = raw.strip_prefix(b"\xEF\xBB\xBF")
    {
        // The quote positions moved: the line is parsed (and scanned) alone.
        raw = stripped;
        scanned = None;
    }
    if raw.first() != Some(&b'{') && crate::source::is_blank(raw) {
        stats.stats.blank_lines += 1;
        return;
    }
    let text = match scanned {
        // SAFETY: the scan saw every byte of `raw` below 0x80: ASCII is UTF-8.
        Some(s) if s.ascii => unsafe { std::str::from_utf8_unchecked(raw) },
        _ => match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(e) => {
                // Counted in characters, as the other columns are.
                let column = super::parse::char_column(raw, e.valid_up_to());
                let reason = format!("not UTF-8 (invalid byte at column {column})");
                invalid(stats, pos, reason.into());
                return;
            }
        },
    };
    let mut event = Event::empty();
    let parsed = match scanned {
        Some(s) if s.clean => parse_into_scanned(text, quotes, &mut event),
        _ => parse_into(text, &mut event),
    };
    match parsed {
        Ok(()) => {
            let s = &mut stats.stats;
            s.valid_events += 1;
            match event.class() {
                EventClass::Usage => s.usage_events += 1,
                EventClass::Test => s.test_events += 1,
                EventClass::Marker => s.marker_events += 1,
            }
            sink.event_text(pos, text, &event);
        }
        Err(reason) => invalid(stats, pos, reason),
    }
}

/// Merges a worker's sink into the shared one (the first becomes it).
/// Folds a worker's sink into the shared one and leaves it empty.
fn fold<S: Sink>(shared: &Mutex<Option<S>>, sink: &mut S, fresh: impl Fn() -> S) {
    let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
    match guard.as_mut() {
        None => *guard = Some(std::mem::replace(sink, fresh())),
        Some(merged) => merged.absorb(sink, fresh),
    }
}

fn invalid(stats: &mut WorkerStats, pos: LinePos, reason: Reason) {
    stats.stats.invalid_lines += 1;
    stats.problems.push((pos, reason.into_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records (position, event name) pairs.
    #[derive(Default)]
    struct Names(Vec<(LinePos, String)>);
    impl Sink for Names {
        fn event(&mut self, pos: LinePos, event: &Event<'_>) {
            self.0.push((pos, event.name.to_string()));
        }
        fn merge(&mut self, other: Self) {
            self.0.extend(other.0);
        }
    }

    /// The stats, and the events' names in input order.
    fn run(input: &[u8]) -> (IngestStats, Vec<String>) {
        run_tuned(input.into(), BLOCK)
    }

    fn run_tuned(input: Input<'_>, block: usize) -> (IngestStats, Vec<String>) {
        let tuning = Tuning {
            block,
            fold_blocks: FOLD_BLOCKS,
            max_line: MAX_LINE,
        };
        let (stats, mut names) = ingest_tuned(input, Names::default, tuning).unwrap();
        names.0.sort();
        (stats, names.0.into_iter().map(|(_, name)| name).collect())
    }

    #[test]
    fn a_mapped_file_reads_as_its_bytes_do() {
        let mut mixed = b"\xEF\xBB\xBF".to_vec();
        for i in 0..3000usize {
            let pad = "p".repeat(i * 7919 % 400);
            let line = match i % 50 {
                0 => "not json".to_string(),
                1 => "   ".to_string(),
                _ => format!(
                    "{{\"event\": \"line.{i}\", \"timestamp\": \"2025-10-19T12:00:00Z\", \"pad\": \"{pad}\"}}"
                ),
            };
            mixed.extend_from_slice(line.as_bytes());
            mixed.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
        }
        // One line longer than several blocks, and no final line end.
        mixed.extend_from_slice(
            b"{\"event\": \"long\", \"timestamp\": \"2025-10-19T12:00:00Z\", \"x\": \"",
        );
        mixed.extend(std::iter::repeat_n(b'x', 200_000));
        mixed.extend_from_slice(
            b"\"}\n{\"event\": \"last\", \"timestamp\": \"2025-10-19T12:00:00Z\"}",
        );
        assert!(mixed.len() > 4 * MAP_ALIGN as usize);
        let inputs: [&[u8]; 5] = [
            b"",
            b"\n",
            b"abc",
            b"{\"event\": \"test\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\n",
            &mixed,
        ];
        for input in inputs {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            std::io::Write::write_all(&mut file, input).unwrap();
            for block in [64, 4096, MAP_ALIGN as usize + 3, BLOCK] {
                let opened = Input::file(File::open(file.path()).unwrap());
                assert!(matches!(opened, Input::File(_)), "a regular file is mapped");
                let mapped = run_tuned(opened, block);
                let streamed = run_tuned(input.into(), block);
                assert_eq!(mapped, streamed, "{} bytes, block {block}", input.len());
                assert_eq!(mapped.0.bytes, input.len() as u64);
            }
        }
        let (stats, names) = run(&mixed);
        assert_eq!(stats.lines, 3002);
        assert_eq!((stats.blank_lines, stats.invalid_lines), (60, 60));
        assert_eq!(names.len(), 3002 - 120);
        assert_eq!(names[names.len() - 2..], ["long", "last"]);
    }

    #[test]
    fn a_block_after_a_long_line_ends_with_it() {
        // Positions of the events, from a sink that keeps them.
        let mut input = Vec::new();
        input.extend_from_slice(
            b"{\"event\": \"long\", \"timestamp\": \"2025-10-19T12:00:00Z\", \"x\": \"",
        );
        input.extend(std::iter::repeat_n(b'x', 5000));
        input.extend_from_slice(b"\"}\n");
        for _ in 0..400 {
            input.extend_from_slice(
                b"{\"event\": \"short\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\n",
            );
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, &input).unwrap();
        let tuning = Tuning {
            block: 1024,
            fold_blocks: FOLD_BLOCKS,
            max_line: MAX_LINE,
        };
        let opened = Input::file(File::open(file.path()).unwrap());
        let (stats, names) = ingest_tuned(opened, Names::default, tuning).unwrap();
        assert_eq!(stats.lines, 401);
        // The long line's block holds it alone; the next ones hold about a
        // block's worth of lines, as streamed blocks do.
        let most = names.0.iter().map(|(pos, _)| pos.line_in_block()).max();
        assert!(most.is_some_and(|m| m <= 1024 / 60 + 1), "{most:?}");
    }

    /// A last line without its line end is a line being appended when the
    /// file grows while it is read: it is left out, not read as half a
    /// line (an invalid one). When the file does not grow it is the last
    /// line, read as it is.
    #[test]
    fn a_line_being_appended_is_left_out() {
        let whole = b"{\"event\": \"first\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\n\
                      {\"event\": \"second\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\n";
        let half = b"{\"event\": \"thi";
        for grows in [true, false] {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            std::io::Write::write_all(&mut file, whole).unwrap();
            std::io::Write::write_all(&mut file, half).unwrap();
            let mut writer = std::fs::OpenOptions::new()
                .append(true)
                .open(file.path())
                .unwrap();
            let (tx, rx) = crossbeam_channel::unbounded();
            let (_free_tx, free) = crossbeam_channel::unbounded();
            let mut hashed = Vec::new();
            // The writer goes on while the first block is read.
            let mut hash = |bytes: &[u8]| {
                if grows && hashed.is_empty() {
                    std::io::Write::write_all(&mut writer, b"rd\"}\n").unwrap();
                }
                hashed.extend_from_slice(bytes);
            };
            let file = File::open(file.path()).unwrap();
            let read = map_blocks(file, 64, MAX_LINE, &mut hash, &tx, &free).unwrap();
            drop(tx);
            let sent: Vec<u8> = rx.iter().flat_map(|b| b.bytes().to_vec()).collect();
            let want = if grows {
                whole.to_vec()
            } else {
                [&whole[..], half].concat()
            };
            assert_eq!(sent, want, "grows: {grows}");
            assert_eq!(hashed, want, "grows: {grows}");
            assert_eq!(read, want.len() as u64, "grows: {grows}");
        }
    }

    #[test]
    fn a_seeked_file_is_read_from_where_it_stands() {
        use std::io::{Seek, SeekFrom};
        let first = b"{\"event\": \"first\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\n";
        let mut input = first.to_vec();
        input.extend_from_slice(
            b"{\"event\": \"second\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\n",
        );
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, &input).unwrap();
        let mut f = File::open(file.path()).unwrap();
        f.seek(SeekFrom::Start(first.len() as u64)).unwrap();
        let opened = Input::file(f);
        assert!(matches!(opened, Input::Stream(_)));
        let (stats, names) = run_tuned(opened, BLOCK);
        assert_eq!((stats.lines, names), (1, vec!["second".to_string()]));
    }

    #[test]
    fn a_file_that_is_not_regular_is_read_as_a_stream() {
        let null = Input::file(File::open("/dev/null").unwrap());
        assert!(matches!(null, Input::Stream(_)));
        let (stats, names) = run_tuned(null, BLOCK);
        assert_eq!((stats.lines, stats.bytes, names.len()), (0, 0, 0));
    }

    /// A blank line holds JSON's white space alone: a form feed or a
    /// no-break space makes an invalid line.
    #[test]
    fn only_jsons_white_space_makes_a_blank_line() {
        let input = " \t\r\n\x0c\n\x0b\n\u{a0}\n\t \r\n";
        let (stats, _) = run(input.as_bytes());
        assert_eq!(
            (stats.lines, stats.blank_lines, stats.invalid_lines),
            (5, 2, 3)
        );
        let lines: Vec<u64> = stats.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4]);
    }

    #[test]
    fn counts_lines_blank_and_invalid_with_bom_and_crlf() {
        let input = b"\xEF\xBB\xBF{\"event\": \"test\", \"timestamp\": \"2025-10-19T12:00:00Z\"}\r\n\r\n   \nnope\n{\"event\": \"scan.started\", \"timestamp\": \"2025-10-19T12:00:00Z\"}";
        let (stats, names) = run(input);
        assert_eq!(stats.lines, 5);
        assert_eq!(stats.blank_lines, 2);
        assert_eq!(stats.invalid_lines, 1);
        assert_eq!(stats.valid_events, 2);
        assert_eq!(stats.test_events, 1);
        assert_eq!(stats.usage_events, 1);
        assert_eq!(stats.problems[0].line, 4);
        assert_eq!(names, ["test", "scan.started"]);
        assert_eq!(stats.bytes, input.len() as u64);
    }

    #[test]
    fn sha256_of_the_exact_bytes() {
        let (stats, _) = run(b"abc");
        assert_eq!(
            stats.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (empty, _) = run(b"");
        assert_eq!(empty.lines, 0);
        assert_eq!(
            empty.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn line_numbers_survive_many_blocks() {
        let mut input = String::new();
        let n = 40_000u64;
        for i in 0..n {
            if i % 997 == 0 {
                input.push_str("broken\n");
            } else {
                // Each event is named after its line number.
                let pad = "p".repeat((i % 300) as usize);
                input.push_str(&format!(
                    "{{\"event\": \"line.{}\", \"timestamp\": \"2025-10-19T12:00:00Z\", \"pad\": \"{pad}\"}}\n",
                    i + 1
                ));
            }
        }
        assert!(input.len() > 2 * BLOCK);
        let (stats, names) = run(input.as_bytes());
        assert_eq!(stats.lines, n);
        let bad: Vec<u64> = stats.problems.iter().map(|p| p.line).collect();
        let want: Vec<u64> = (0..n).filter(|i| i % 997 == 0).map(|i| i + 1).collect();
        assert_eq!(bad, want);
        let good: Vec<String> = (0..n)
            .filter(|i| i % 997 != 0)
            .map(|i| format!("line.{}", i + 1))
            .collect();
        assert_eq!(names, good);
    }

    #[test]
    fn a_line_longer_than_a_block() {
        let mut input = Vec::new();
        input.extend_from_slice(
            b"{\"event\": \"a.b\", \"timestamp\": \"2025-10-19T12:00:00Z\", \"big\": \"",
        );
        input.extend(std::iter::repeat_n(b'x', BLOCK * 2 + 17));
        input.extend_from_slice(b"\"}\nnot json\n");
        let (stats, names) = run(&input);
        assert_eq!(stats.lines, 2);
        assert_eq!(names, ["a.b"]);
        assert_eq!(stats.problems[0].line, 2);
    }

    /// A line longer than `max_line` is one invalid line, never held whole:
    /// from a file and from a stream alike, wherever it sits (first, between
    /// others, last with or without its line end, two in a row), its bytes
    /// hashed and counted; the lines around it read as they would alone.
    #[test]
    fn a_line_longer_than_the_longest_read_is_skipped() {
        let event = |name: &str| {
            format!("{{\"event\": \"{name}\", \"timestamp\": \"2025-10-19T12:00:00Z\"}}\n")
        };
        let long = |n: usize| "x".repeat(n);
        let max_line = 3000;
        let cases: Vec<(String, Vec<u64>, Vec<&str>)> = vec![
            (
                format!("{}\n{}", long(5000), event("a")),
                vec![1],
                vec!["a"],
            ),
            (
                format!("{}{}\n{}", event("a"), long(10_000), event("b")),
                vec![2],
                vec!["a", "b"],
            ),
            (format!("{}{}", event("a"), long(7000)), vec![2], vec!["a"]),
            (
                format!("{}{}\n", event("a"), long(3001)),
                vec![2],
                vec!["a"],
            ),
            // Exactly `max_line` bytes is read (an invalid line for its content).
            (
                format!("{}{}\n{}", event("a"), long(3000), event("b")),
                vec![2],
                vec!["a", "b"],
            ),
            (
                format!("{}\r\n{}\n{}", long(4000), long(9000), event("c")),
                vec![1, 2],
                vec!["c"],
            ),
        ];
        for (text, invalid, names) in cases {
            let expected_sha = format!("{:x}", Sha256::digest(text.as_bytes()));
            let mut file = tempfile::NamedTempFile::new().unwrap();
            std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
            for block in [256, 1000, 2999] {
                let tuning = Tuning {
                    block,
                    fold_blocks: FOLD_BLOCKS,
                    max_line,
                };
                let inputs = [
                    Input::file(File::open(file.path()).unwrap()),
                    Input::from(text.as_bytes()),
                ];
                for input in inputs {
                    let mapped = matches!(input, Input::File(_));
                    let (stats, mut got) = ingest_tuned(input, Names::default, tuning).unwrap();
                    got.0.sort();
                    let got: Vec<&str> = got.0.iter().map(|(_, n)| n.as_str()).collect();
                    let at = format!("block {block}, mapped {mapped}, {:?}", &text[..20]);
                    assert_eq!(got, names, "{at}");
                    assert_eq!(
                        (stats.bytes, &stats.sha256),
                        (text.len() as u64, &expected_sha),
                        "{at}"
                    );
                    let lines: Vec<u64> = stats.problems.iter().map(|p| p.line).collect();
                    // The long lines' problems, plus the 3000-byte line's JSON error.
                    let long_lines: Vec<u64> = stats
                        .problems
                        .iter()
                        .filter(|p| p.reason.starts_with("longer than 0 MiB"))
                        .map(|p| p.line)
                        .collect();
                    if names.len() == 2 && text.contains(&long(3000)) && !text.contains(&long(3001))
                    {
                        assert_eq!((lines, long_lines), (vec![2], vec![]), "{at}");
                    } else {
                        assert_eq!(long_lines, invalid, "{at}");
                    }
                    assert_eq!(stats.lines, (names.len() + invalid.len()) as u64, "{at}");
                }
            }
        }
        assert_eq!(
            too_long_reason(70_000_000, MAX_LINE),
            "longer than 64 MiB (70000000 bytes before its line end): not read"
        );
    }

    #[test]
    fn invalid_utf8_is_an_invalid_line() {
        let (stats, _) = run(b"{\"event\": \"\xff\"}\n");
        assert_eq!(stats.invalid_lines, 1);
        assert_eq!(
            stats.problems[0].reason,
            "not UTF-8 (invalid byte at column 12)"
        );
        // Columns count characters: "é😀" is 6 bytes, 2 characters; a stray
        // continuation byte is the one at fault.
        let mut line = "{\"a\": \"é😀".as_bytes().to_vec();
        line.extend_from_slice(b"\x80\"}\n");
        let (stats, _) = run(&line);
        assert_eq!(
            stats.problems[0].reason,
            "not UTF-8 (invalid byte at column 10)"
        );
    }
}
