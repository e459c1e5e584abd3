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

/// Opens `path` for reading; `-` is stdin.
pub fn open(path: impl AsRef<Path>) -> Result<Input<'static>, InputError> {
    let p = path.as_ref();
    if p == Path::new("-") {
        return Ok(Input::stream(io::stdin()));
    }
    if p.is_dir() {
        return Err(InputError::IsDirectory(p.to_path_buf()));
    }
    match File::open(p) {
        Ok(f) => Ok(Input::file(f)),
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
