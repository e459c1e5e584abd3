//! Opening a local JSONL input: a path, or `-` for stdin.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

/// Why an input could not be opened, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// No such file.
    #[error("{0}: no such file; check the path, or run `jmo-analyze fetch` to download the events")]
    NotFound(PathBuf),
    /// A directory was given.
    #[error("{0}: is a directory; give a JSONL file such as {0}/events.jsonl")]
    IsDirectory(PathBuf),
    /// Permission denied.
    #[error("{0}: permission denied; check the file's permissions")]
    PermissionDenied(PathBuf),
    /// A compressed file (its first bytes are a compressor's magic number):
    /// read as text, every line would be skipped as invalid.
    #[error("{}", compressed_message(path, format, tool))]
    Compressed {
        /// The path (`-` for stdin).
        path: PathBuf,
        /// The compression format, e.g. `gzip`.
        format: &'static str,
        /// Its command-line tool, e.g. `gzip`.
        tool: &'static str,
    },
    /// Anything else.
    #[error("{path}: cannot open: {error}")]
    Other {
        /// The path.
        path: PathBuf,
        /// The I/O error (shown in the message: not a `source`, which
        /// would show it twice).
        error: io::Error,
    },
}

/// What ingestion reads: a regular file, which it maps into memory a block
/// at a time instead of copying it, or a stream it reads and copies.
pub enum Input<'a> {
    /// A regular file.
    File(File),
    /// Anything else: stdin, a pipe, bytes in memory.
    Stream(Box<dyn Read + Send + 'a>),
}

impl Input<'_> {
    /// `file` as an input: mapped if it is a regular file read from its
    /// start, else a stream from where it stands (a pipe, a device opened by
    /// name such as `/dev/stdin`, or a file the caller has seeked into).
    pub fn file(file: File) -> Input<'static> {
        let at_start = (&file).stream_position().is_ok_and(|p| p == 0);
        match file.metadata() {
            Ok(m) if m.is_file() && at_start => Input::File(file),
            _ => Input::Stream(Box::new(file)),
        }
    }
}

impl<'a> Input<'a> {
    /// Any reader as a stream.
    pub fn stream(reader: impl Read + Send + 'a) -> Input<'a> {
        Input::Stream(Box::new(reader))
    }
}

impl From<File> for Input<'_> {
    fn from(file: File) -> Self {
        Input::file(file)
    }
}

impl<'a> From<&'a [u8]> for Input<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Input::stream(bytes)
    }
}

/// The compression format and its tool when `head` (a file's first bytes)
/// starts with the magic number of gzip, zstd, xz, bzip2 or zip. No JSONL
/// line starts so.
pub fn compressed(head: &[u8]) -> Option<(&'static str, &'static str)> {
    const MAGIC: [(&[u8], &str, &str); 5] = [
        (b"\x1f\x8b", "gzip", "gzip"),
        (b"\x28\xb5\x2f\xfd", "zstd", "zstd"),
        (b"\xfd7zXZ\x00", "xz", "xz"),
        (b"BZh", "bzip2", "bzip2"),
        (b"PK\x03\x04", "zip", "unzip"),
    ];
    MAGIC
        .iter()
        .find(|(magic, ..)| head.starts_with(magic))
        .map(|&(_, format, tool)| (format, tool))
}

/// What [`InputError::Compressed`] says: the command that decompresses the
/// file into `jmo-analyze` (its path quoted for a shell), or for stdin
/// where to put it.
fn compressed_message(path: &Path, format: &str, tool: &str) -> String {
    if path == Path::new("-") {
        return format!(
            "stdin is {format}-compressed, not JSONL text; decompress it in the pipe: \
             `{tool} -dc FILE | jmo-analyze <command> -`"
        );
    }
    let shown = path.display();
    let word = crate::render::text::shell_word(&path.to_string_lossy());
    format!(
        "{shown}: is {format}-compressed, not JSONL text; decompress it first, or give it \
         on stdin: `{tool} -dc {word} | jmo-analyze <command> -`"
    )
}

/// The longest magic number [`compressed`] looks for.
const MAGIC_LEN: usize = 6;

/// Reads up to `buf.len()` bytes (fewer only at the end of `reader`).
fn read_head(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Opens `path` for reading; `-` is stdin. A compressed file or stream is
/// refused ([`InputError::Compressed`]).
pub fn open(path: impl AsRef<Path>) -> Result<Input<'static>, InputError> {
    let p = path.as_ref();
    let refuse = |(format, tool)| InputError::Compressed {
        path: p.to_path_buf(),
        format,
        tool,
    };
    let other = |error| InputError::Other {
        path: p.to_path_buf(),
        error,
    };
    if p == Path::new("-") {
        // Its first bytes are read here and given back in front of the rest.
        let mut stdin = io::stdin();
        let mut head = [0; MAGIC_LEN];
        let n = read_head(&mut stdin, &mut head).map_err(other)?;
        if let Some(found) = compressed(&head[..n]) {
            return Err(refuse(found));
        }
        return Ok(Input::stream(
            io::Cursor::new(head[..n].to_vec()).chain(stdin),
        ));
    }
    if p.is_dir() {
        return Err(InputError::IsDirectory(p.to_path_buf()));
    }
    match File::open(p) {
        Ok(mut f) => {
            let mut head = [0; MAGIC_LEN];
            let n = read_head(&mut f, &mut head).map_err(other)?;
            if let Some(found) = compressed(&head[..n]) {
                return Err(refuse(found));
            }
            // Back to the start (a FIFO, which cannot seek, was opened by
            // name only to be read: its first bytes go in front).
            if f.seek(io::SeekFrom::Start(0)).is_ok() {
                Ok(Input::file(f))
            } else {
                Ok(Input::stream(io::Cursor::new(head[..n].to_vec()).chain(f)))
            }
        }
        Err(e) => Err(match e.kind() {
            io::ErrorKind::NotFound => InputError::NotFound(p.to_path_buf()),
            io::ErrorKind::PermissionDenied => InputError::PermissionDenied(p.to_path_buf()),
            _ => InputError::Other {
                path: p.to_path_buf(),
                error: e,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_files_are_told_from_text() {
        assert_eq!(compressed(b"\x1f\x8b\x08"), Some(("gzip", "gzip")));
        assert_eq!(compressed(b"\x28\xb5\x2f\xfd\x00"), Some(("zstd", "zstd")));
        assert_eq!(compressed(b"\xfd7zXZ\x00\x00"), Some(("xz", "xz")));
        assert_eq!(compressed(b"BZh91AY"), Some(("bzip2", "bzip2")));
        assert_eq!(compressed(b"PK\x03\x04"), Some(("zip", "unzip")));
        for text in [
            &b"{\"event\": 1}"[..],
            b"\xEF\xBB\xBF{",
            b"",
            b"\x1f",
            b"\n\n",
        ] {
            assert_eq!(compressed(text), None);
        }
    }

    #[test]
    fn a_compressed_file_is_refused_and_a_text_file_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("e.jsonl.gz");
        std::fs::write(&gz, b"\x1f\x8b\x08\x00\x00\x00\x00\x00").unwrap();
        let err = open(&gz).map(drop).unwrap_err().to_string();
        assert!(err.contains("is gzip-compressed, not JSONL text"), "{err}");
        assert!(err.contains(&format!(
            "`gzip -dc {} | jmo-analyze <command> -`",
            gz.display()
        )));
        // The bytes read to look are read again: nothing lost, for a short
        // file too.
        for text in [&b"{\"a\": 1}\n{\"b\": 2}\n"[..], b"{}", b""] {
            let path = dir.path().join("e.jsonl");
            std::fs::write(&path, text).unwrap();
            let mut got = Vec::new();
            match open(&path).unwrap() {
                Input::File(mut f) => f.read_to_end(&mut got).unwrap(),
                Input::Stream(mut r) => r.read_to_end(&mut got).unwrap(),
            };
            assert_eq!(got, text);
        }
    }

    /// A FIFO opened by name cannot seek back: the bytes read to look are
    /// put in front of the rest (and a compressed one is refused).
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_read_whole_after_the_look_at_its_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for (i, text) in [&b"{\"a\": 1}\n{\"b\": 2}\n"[..], b"{}", b"\x1f\x8b\x08"]
            .into_iter()
            .enumerate()
        {
            let fifo = dir.path().join(format!("f{i}"));
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(made.success());
            let writer = {
                let (fifo, text) = (fifo.clone(), text.to_vec());
                std::thread::spawn(move || std::fs::write(fifo, text))
            };
            let opened = open(&fifo);
            let mut got = Vec::new();
            match opened {
                Ok(Input::Stream(mut r)) => drop(r.read_to_end(&mut got).unwrap()),
                Ok(Input::File(_)) => panic!("a FIFO is no regular file"),
                Err(e) => {
                    assert!(e.to_string().contains("gzip-compressed"), "{e}");
                    // (It read to the end, the 3 bytes and the writer's close.)
                    got = text.to_vec();
                }
            }
            let _ = writer.join().unwrap();
            assert_eq!(got, text);
        }
    }
}
