//! Streaming, parallel ingestion of a JSONL input.
//!
//! A reader thread reads the input in blocks of about [`BLOCK`] bytes, cut at
//! line ends, hashes them (SHA-256 of the exact input bytes) and numbers their
//! lines; worker threads (one per core) parse the lines of each block into
//! typed [`Event`]s and hand them to their own [`Sink`]. At the end the sinks
//! are merged and the problems sorted by line, so diagnostics name the same
//! line numbers a text editor shows. Memory holds a few blocks at a time,
//! whatever the size of the input.

use std::io::{self, Read};
use std::thread;

use sha2::{Digest, Sha256};

use super::parse::{Reason, parse_into};
use super::schema::{Event, EventClass};

/// Target size of one block handed to a worker.
pub const BLOCK: usize = 4 << 20;

/// Receives the valid events of one worker; sinks are merged at the end.
pub trait Sink: Send {
    /// Called once per valid event, with its 1-based line number.
    fn event(&mut self, line: u64, event: &Event<'_>);
    /// What ingestion calls: [`Sink::event`] plus the line's text (without
    /// its line end or BOM). Sinks that keep raw events override this.
    fn event_text(&mut self, line: u64, _text: &str, event: &Event<'_>) {
        self.event(line, event);
    }
    /// Folds another worker's sink into this one.
    fn merge(&mut self, other: Self);
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

impl IngestStats {
    fn merge(&mut self, other: IngestStats) {
        self.lines += other.lines;
        self.blank_lines += other.blank_lines;
        self.invalid_lines += other.invalid_lines;
        self.valid_events += other.valid_events;
        self.usage_events += other.usage_events;
        self.test_events += other.test_events;
        self.marker_events += other.marker_events;
        self.problems.extend(other.problems);
    }
}

struct Block {
    first_line: u64,
    data: Vec<u8>,
}

/// Reads `input` to its end, parsing every line, and returns what ingestion
/// saw plus the merged sink. `make_sink` builds one sink per worker.
pub fn ingest<R, S, F>(input: R, make_sink: F) -> io::Result<(IngestStats, S)>
where
    R: Read + Send,
    S: Sink,
    F: Fn() -> S + Sync,
{
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 16);
    let (tx, rx) = crossbeam_channel::bounded::<Block>(workers * 2);
    // Parsed blocks' buffers go back to the reader: no fresh pages to fault in.
    let (free_tx, free_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    thread::scope(|scope| {
        let reader = scope.spawn(move || read_blocks(input, &tx, &free_rx));
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                let free_tx = free_tx.clone();
                let make_sink = &make_sink;
                scope.spawn(move || {
                    let mut sink = make_sink();
                    let mut stats = IngestStats::default();
                    for block in rx.iter() {
                        parse_block(&block, &mut stats, &mut sink);
                        let _ = free_tx.send(block.data);
                    }
                    (stats, sink)
                })
            })
            .collect();
        drop(free_tx);
        drop(rx);
        let mut total = IngestStats::default();
        let mut merged: Option<S> = None;
        for handle in handles {
            let (stats, sink) = handle.join().expect("ingest worker panicked");
            total.merge(stats);
            match merged.as_mut() {
                None => merged = Some(sink),
                Some(m) => m.merge(sink),
            }
        }
        let (sha256, bytes) = reader.join().expect("ingest reader panicked")?;
        total.sha256 = sha256;
        total.bytes = bytes;
        total.problems.sort_unstable_by_key(|p| p.line);
        Ok((total, merged.unwrap_or_else(&make_sink)))
    })
}

/// Reads blocks cut at line ends and sends them on; returns the hash and size.
fn read_blocks<R: Read>(
    mut input: R,
    tx: &crossbeam_channel::Sender<Block>,
    free: &crossbeam_channel::Receiver<Vec<u8>>,
) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut next_line = 1u64;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut buf = free.try_recv().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&carry);
        carry.clear();
        buf.reserve(BLOCK);
        let start = buf.len();
        let read = read_up_to(&mut input, &mut buf, BLOCK)?;
        hasher.update(&buf[start..]);
        bytes += read as u64;
        if read == 0 {
            if !buf.is_empty() {
                let _ = tx.send(Block {
                    first_line: next_line,
                    data: buf,
                });
            }
            break;
        }
        match memchr::memrchr(b'\n', &buf) {
            // A line longer than a block: keep reading until it ends.
            None => carry = buf,
            Some(end) => {
                carry.extend_from_slice(&buf[end + 1..]);
                buf.truncate(end + 1);
                let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                let first_line = next_line;
                next_line += lines;
                if tx
                    .send(Block {
                        first_line,
                        data: buf,
                    })
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    Ok((hex(&hasher.finalize()), bytes))
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

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn parse_block<S: Sink>(block: &Block, stats: &mut IngestStats, sink: &mut S) {
    let data = block.data.as_slice();
    let mut line_no = block.first_line;
    let mut start = 0usize;
    let mut handle = |raw: &[u8], line_no: u64, stats: &mut IngestStats| {
        stats.lines += 1;
        let mut raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line_no == 1 {
            raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        }
        if raw.iter().all(u8::is_ascii_whitespace) {
            stats.blank_lines += 1;
            return;
        }
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(e) => {
                let reason = format!("not UTF-8 (invalid byte at column {})", e.valid_up_to() + 1);
                invalid(stats, line_no, reason.into());
                return;
            }
        };
        let mut event = Event::empty();
        match parse_into(text, &mut event) {
            Ok(()) => {
                stats.valid_events += 1;
                match event.class() {
                    EventClass::Usage => stats.usage_events += 1,
                    EventClass::Test => stats.test_events += 1,
                    EventClass::Marker => stats.marker_events += 1,
                }
                sink.event_text(line_no, text, &event);
            }
            Err(reason) => invalid(stats, line_no, reason),
        }
    };
    for end in memchr::memchr_iter(b'\n', data) {
        handle(&data[start..end], line_no, stats);
        line_no += 1;
        start = end + 1;
    }
    if start < data.len() {
        handle(&data[start..], line_no, stats);
    }
}

fn invalid(stats: &mut IngestStats, line: u64, reason: Reason) {
    stats.invalid_lines += 1;
    stats.problems.push(Problem {
        line,
        reason: reason.into_owned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records (line, event name) pairs.
    #[derive(Default)]
    struct Names(Vec<(u64, String)>);
    impl Sink for Names {
        fn event(&mut self, line: u64, event: &Event<'_>) {
            self.0.push((line, event.name.to_string()));
        }
        fn merge(&mut self, other: Self) {
            self.0.extend(other.0);
        }
    }

    fn run(input: &[u8]) -> (IngestStats, Vec<(u64, String)>) {
        let (stats, mut names) = ingest(input, Names::default).unwrap();
        names.0.sort();
        (stats, names.0)
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
        assert_eq!(names, vec![(1, "test".into()), (5, "scan.started".into())]);
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
        let line = "{\"event\": \"x.y\", \"timestamp\": \"2025-10-19T12:00:00Z\", \"pad\": \"";
        let mut input = String::new();
        let n = 40_000u64;
        for i in 0..n {
            if i % 997 == 0 {
                input.push_str("broken\n");
            } else {
                input.push_str(line);
                input.push_str(&"p".repeat((i % 300) as usize));
                input.push_str("\"}\n");
            }
        }
        assert!(input.len() > 2 * BLOCK);
        let (stats, names) = run(input.as_bytes());
        assert_eq!(stats.lines, n);
        let bad: Vec<u64> = stats.problems.iter().map(|p| p.line).collect();
        let want: Vec<u64> = (0..n).filter(|i| i % 997 == 0).map(|i| i + 1).collect();
        assert_eq!(bad, want);
        assert_eq!(names.len() as u64, n - want.len() as u64);
        assert!(names.iter().all(|(l, _)| (l - 1) % 997 != 0));
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
        assert_eq!(names, vec![(1, "a.b".into())]);
        assert_eq!(stats.problems[0].line, 2);
    }

    #[test]
    fn invalid_utf8_is_an_invalid_line() {
        let (stats, _) = run(b"{\"event\": \"\xff\"}\n");
        assert_eq!(stats.invalid_lines, 1);
        assert!(stats.problems[0].reason.starts_with("not UTF-8"));
    }
}
