//! Reading lines for `validate` and `audit`: the blocks of whole lines that
//! ingestion reads (a mapped file, or stdin read into buffers) come in order,
//! and each block's lines are checked in parallel with rayon while the reader
//! goes on. Line numbers count every physical line.

use std::io;

use rayon::prelude::*;

use crate::event::ingest::{Block, MAX_LINE, read_input};
use crate::source::local::Input;

/// About 4 MiB of lines a chunk: enough work to spread over the cores, little memory.
pub const CHUNK_BYTES: usize = 4 << 20;

/// Consecutive whole lines of the input.
pub struct Chunk {
    /// The number of the first line (1-based).
    pub first_line: u64,
    block: Block,
    /// Start and end offset (line end excluded) of each line.
    spans: Vec<(usize, usize)>,
}

impl Chunk {
    fn new(first_line: u64, block: Block) -> Chunk {
        // A line too long to read holds no bytes: no spans ([`Chunk::too_long`]).
        let data = block.bytes();
        let mut spans = Vec::new();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', data) {
            spans.push((start, end));
            start = end + 1;
        }
        if start < data.len() {
            spans.push((start, data.len()));
        }
        Chunk {
            first_line,
            block,
            spans,
        }
    }

    /// How many lines the chunk holds.
    pub fn len(&self) -> usize {
        self.spans.len() + usize::from(self.too_long().is_some())
    }

    /// True when the chunk holds no line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// For a chunk that is one line longer than [`MAX_LINE`], skipped unread
    /// (line [`Chunk::first_line`]), the line's length in bytes.
    pub fn too_long(&self) -> Option<u64> {
        self.block.too_long()
    }

    /// Line `i` of the chunk, without its newline.
    pub fn line(&self, i: usize) -> &[u8] {
        let (start, end) = self.spans[i];
        &self.block.bytes()[start..end]
    }

    /// Folds every line in parallel (not a [`Chunk::too_long`] one) (`init` makes an empty accumulator, `step`
    /// adds one line given its number, `merge` combines two accumulators in order).
    pub fn par_fold<A, I, S, M>(&self, init: I, step: S, merge: M) -> A
    where
        A: Send,
        I: Fn() -> A + Sync + Send,
        S: Fn(&mut A, u64, &[u8]) + Sync + Send,
        M: Fn(A, A) -> A + Sync + Send,
    {
        (0..self.spans.len())
            .into_par_iter()
            .with_min_len(512)
            .fold(&init, |mut acc, i| {
                step(&mut acc, self.first_line + i as u64, self.line(i));
                acc
            })
            .reduce(&init, &merge)
    }
}

/// Reads `input` in chunks of whole lines of about `chunk_bytes` each and
/// hands them to `process` in order, reading the next chunk meanwhile.
/// Returns the number of lines read.
pub fn for_each_chunk(
    input: Input<'_>,
    chunk_bytes: usize,
    mut process: impl FnMut(&Chunk),
) -> io::Result<u64> {
    let (tx, rx) = crossbeam_channel::bounded::<Block>(2);
    let (free_tx, free_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    std::thread::scope(|scope| {
        let reader = scope
            .spawn(move || read_input(input, chunk_bytes, MAX_LINE, &mut |_| {}, &tx, &free_rx));
        let mut next_line = 1u64;
        // `rx` moves into the loop: if `process` panics, it is dropped while
        // unwinding, and the reader's next send fails instead of blocking.
        for block in rx {
            let chunk = Chunk::new(next_line, block);
            next_line += chunk.len() as u64;
            process(&chunk);
            chunk.block.recycle(&free_tx);
        }
        reader
            .join()
            .map_err(|_| io::Error::other("the reader thread panicked"))??;
        Ok(next_line - 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (line number, line) `for_each_chunk` hands over, and its count.
    fn lines(input: Input<'_>, chunk_bytes: usize) -> (u64, Vec<(u64, String)>) {
        let mut seen = Vec::new();
        let n = for_each_chunk(input, chunk_bytes, |chunk| {
            let lines = chunk.par_fold(
                Vec::new,
                |acc, no, line| acc.push((no, String::from_utf8_lossy(line).into_owned())),
                |mut a, b| {
                    a.extend(b);
                    a
                },
            );
            seen.extend(lines);
        })
        .unwrap();
        (n, seen)
    }

    #[test]
    fn chunks_keep_line_numbers_and_order() {
        let text: String = (1..=1000)
            .map(|i| format!("line {i}\n"))
            .collect::<String>()
            + "\r\n\nlast";
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let mapped = Input::file(std::fs::File::open(file.path()).unwrap());
        assert!(matches!(mapped, Input::File(_)));
        let (n, seen) = lines(text.as_bytes().into(), 100);
        assert_eq!(
            lines(mapped, 100),
            (n, seen.clone()),
            "a mapped file reads as its bytes"
        );
        assert_eq!(n, 1003);
        assert_eq!(seen.len(), 1003);
        assert_eq!(seen[0], (1, "line 1".to_owned()));
        assert_eq!(seen[999], (1000, "line 1000".to_owned()));
        assert_eq!(
            seen[1000..],
            [
                (1001, "\r".to_owned()),
                (1002, String::new()),
                (1003, "last".to_owned())
            ]
        );
        assert!(seen.windows(2).all(|w| w[0].0 + 1 == w[1].0));
        assert_eq!(lines(b"".as_slice().into(), 100), (0, Vec::new()));
    }

    #[test]
    fn a_panic_while_checking_stops_the_reader_instead_of_hanging() {
        let text = "line\n".repeat(10_000);
        let mut seen = 0;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for_each_chunk(text.as_bytes().into(), 100, |_| {
                seen += 1;
                assert!(seen < 2, "a rule panics");
            })
        }));
        assert!(result.is_err());
    }
}
