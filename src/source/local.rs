//! Opening a local JSONL input: a path, or `-` for stdin.

use std::fs::File;
use std::io::{self, Read};
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
    #[error("{path}: cannot open: {source}")]
    Other {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Opens `path` for reading; `-` is stdin.
pub fn open(path: &str) -> Result<Box<dyn Read + Send>, InputError> {
    if path == "-" {
        return Ok(Box::new(io::stdin()));
    }
    let p = Path::new(path);
    if p.is_dir() {
        return Err(InputError::IsDirectory(p.to_path_buf()));
    }
    match File::open(p) {
        Ok(f) => Ok(Box::new(f)),
        Err(e) => Err(match e.kind() {
            io::ErrorKind::NotFound => InputError::NotFound(p.to_path_buf()),
            io::ErrorKind::PermissionDenied => InputError::PermissionDenied(p.to_path_buf()),
            _ => InputError::Other {
                path: p.to_path_buf(),
                source: e,
            },
        }),
    }
}
