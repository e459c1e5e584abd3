//! Reading lines for `validate` and `audit`: a file or `-` (stdin), read in
//! chunks of whole lines by a reader thread while the previous chunk is checked
//! in parallel with rayon. Line numbers count every physical line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc;

use anyhow::Context as _;
use rayon::prelude::*;

/// About 4 MiB of lines a chunk: enough work to spread over the cores, little memory.
pub const CHUNK_BYTES: usize = 4 << 20;

/// Opens `path` for reading, `-` meaning stdin.
pub fn open(path: &Path) -> anyhow::Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(io::stdin()));
    }
    let file = File::open(path).with_context(|| {
        format!(
            "cannot open {}: check the path (use `-` for stdin)",
            path.display()
        )
    })?;
    Ok(Box::new(file))
}

/// Consecutive whole lines of the input.
#[derive(Debug, Default)]
pub struct Chunk {
    /// The number of the first line (1-based).
    pub first_line: u64,
    data: Vec<u8>,
    /// End offset (exclusive, newline excluded) and start offset of each line.
    spans: Vec<(usize, usize)>,
}

impl Chunk {
    /// How many lines the chunk holds.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when the chunk holds no line.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Line `i` of the chunk, without its newline.
    pub fn line(&self, i: usize) -> &[u8] {
        let (start, end) = self.spans[i];
        &self.data[start..end]
    }

    /// Folds every line in parallel (`init` makes an empty accumulator, `step`
    /// adds one line given its number, `merge` combines two accumulators in order).
    pub fn par_fold<A, I, S, M>(&self, init: I, step: S, merge: M) -> A
    where
        A: Send,
        I: Fn() -> A + Sync + Send,
        S: Fn(&mut A, u64, &[u8]) + Sync + Send,
        M: Fn(A, A) -> A + Sync + Send,
    {
        (0..self.len())
            .into_par_iter()
            .with_min_len(512)
            .fold(&init, |mut acc, i| {
                step(&mut acc, self.first_line + i as u64, self.line(i));
                acc
            })
            .reduce(&init, &merge)
    }
}

/// Reads `reader` in chunks of whole lines of about `chunk_bytes` each and
/// hands them to `process` in order, reading the next chunk meanwhile.
/// Returns the number of lines read.
pub fn for_each_chunk(
    reader: Box<dyn Read + Send>,
    chunk_bytes: usize,
    mut process: impl FnMut(Chunk),
) -> io::Result<u64> {
    let (tx, rx) = mpsc::sync_channel::<io::Result<Chunk>>(2);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 20, reader);
            let mut next_line = 1u64;
            loop {
                match read_chunk(&mut reader, next_line, chunk_bytes) {
                    Ok(chunk) if chunk.is_empty() => return next_line - 1,
                    Ok(chunk) => {
                        next_line += chunk.len() as u64;
                        if tx.send(Ok(chunk)).is_err() {
                            return next_line - 1;
                        }
                    }
                    Err(err) => {
                        let _ = tx.send(Err(err));
                        return next_line - 1;
                    }
                }
            }
        });
        for chunk in rx {
            process(chunk?);
        }
        producer
            .join()
            .map_err(|_| io::Error::other("the reader thread panicked"))
    })
}

fn read_chunk(reader: &mut impl BufRead, first_line: u64, chunk_bytes: usize) -> io::Result<Chunk> {
    let mut chunk = Chunk {
        first_line,
        data: Vec::with_capacity(chunk_bytes + (64 << 10)),
        spans: Vec::new(),
    };
    while chunk.data.len() < chunk_bytes {
        let start = chunk.data.len();
        if reader.read_until(b'\n', &mut chunk.data)? == 0 {
            break;
        }
        let end = if chunk.data.last() == Some(&b'\n') {
            chunk.data.len() - 1
        } else {
            chunk.data.len()
        };
        chunk.spans.push((start, end));
    }
    Ok(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_line_numbers_and_order() {
        let text: String = (1..=1000)
            .map(|i| format!("line {i}\n"))
            .collect::<String>()
            + "last";
        let mut seen = Vec::new();
        let n = for_each_chunk(Box::new(io::Cursor::new(text.into_bytes())), 100, |chunk| {
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
        assert_eq!(n, 1001);
        assert_eq!(seen.len(), 1001);
        assert_eq!(seen[0], (1, "line 1".to_owned()));
        assert_eq!(seen[999], (1000, "line 1000".to_owned()));
        assert_eq!(seen[1000], (1001, "last".to_owned()));
        assert!(seen.windows(2).all(|w| w[0].0 + 1 == w[1].0));
    }
}
