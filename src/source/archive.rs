//! The local archive of raw telemetry lines: a JSONL file that only grows.
//!
//! [`Archive::merge`] keeps every line the archive had and appends, in the order it
//! sees them, the lines it lacked; a line's identity is its exact text (a
//! trailing `\r` and a UTF-8 byte order mark on the first line do not count,
//! blank lines are skipped). Lines that are not JSON are kept like any other:
//! the archive is raw data and `summary` judges it.
//!
//! [`write_atomic`] replaces a file through a temporary file in the same
//! directory, fsynced and renamed, so a crash leaves either the old or the
//! new archive, never half of one. [`EtagSidecar`] remembers the gist's ETag
//! beside the archive for conditional requests.

use std::collections::HashSet;
use std::convert::Infallible;
use std::fs;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::acl;

/// The UTF-8 byte order mark some editors put at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Errors reading or writing the archive and its sidecar.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive exists but could not be read.
    #[error("cannot read the archive {path}: {error}; check the path given with -o/--output")]
    Read {
        /// The archive's path.
        path: PathBuf,
        /// The I/O error (shown in the message: not a `source`, which
        /// would show it twice).
        error: io::Error,
    },
    /// The archive is a compressed file: lines of text added to it would
    /// be lost to every reader.
    #[error(
        "the archive {path} is {}: fetch adds lines of UTF-8 text to it; {} it first, or \
         choose another path with -o/--output", found.what, found.verb
    )]
    Compressed {
        /// The archive's path.
        path: PathBuf,
        /// What it is.
        found: super::local::NotText,
    },
    /// The archive (or its sidecar) could not be written; the old file is intact.
    #[error(
        "cannot write {path}: {error}; the previous file, if any, is unchanged. {}, or choose \
         another path with -o/--output",
        write_advice(error)
    )]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The I/O error (shown in the message: not a `source`, which
        /// would show it twice).
        error: io::Error,
    },
    /// The file to replace is read-only (`not_writable`): a rename would
    /// replace it all the same, as a shell's `>` would not.
    #[error(
        "{path} is read-only: it is left as it is; make it writable for this user, or choose \
         another path with -o/--output"
    )]
    ReadOnly {
        /// The file, as given.
        path: PathBuf,
    },
    /// The file to replace cannot be, whatever its mode says: it or its
    /// directory is immutable or append-only, or it is another user's in a
    /// sticky directory (the check `report --out` makes too), said before
    /// the work (a rename failed after it, the message blaming the
    /// directory).
    #[error(
        "{path} cannot be {}: {why}; {}choose another path with -o/--output",
        if *exists { "replaced" } else { "made" },
        if *exists { "it is left as it is; " } else { "" }
    )]
    Unreplaceable {
        /// The file, as given.
        path: PathBuf,
        /// Why, naming the file or directory at fault.
        why: String,
        /// Whether there is a file to replace (else one to make).
        exists: bool,
    },
    /// Another program changed the archive while the fetch ran, otherwise
    /// than by appending lines (or kept changing it, or removed it);
    /// nothing was written.
    #[error("{path} {how} while fetch was updating it; nothing was written. {advice}")]
    Changed {
        /// The archive.
        path: PathBuf,
        /// How it changed.
        how: Change,
        /// What to do.
        advice: &'static str,
    },
    /// Another fetch holds the archive's lock.
    #[error("another fetch is updating {path} (it holds {lock}); run again when it has finished")]
    Busy {
        /// The archive.
        path: PathBuf,
        /// Its lock file.
        lock: PathBuf,
    },
    /// The archive's lock file could not be made or locked.
    #[error(
        "cannot lock {lock} (which keeps two fetches from writing {path} at once): {error}; \
         {}, or choose another path with -o/--output",
        lower_first(write_advice(error))
    )]
    Lock {
        /// The archive.
        path: PathBuf,
        /// Its lock file.
        lock: PathBuf,
        /// The I/O error (shown in the message: not a `source`, which
        /// would show it twice).
        error: io::Error,
    },
}

/// `text` with its first letter in lower case, to go after a `;`.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// What to mend when a file could not be written: a full disk is no
/// directory's fault (a review: "No space left on device", then "check
/// that its directory exists and is writable").
pub(crate) fn write_advice(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "Free some space on its file system (or raise the quota)"
        }
        io::ErrorKind::ReadOnlyFilesystem => "Its file system is mounted read-only: remount it",
        // A name near the file system's limit: the run's own files beside
        // it add a few characters (a review: "check that its directory
        // exists and is writable").
        io::ErrorKind::InvalidFilename => "Choose a shorter name",
        _ => "Check that its directory exists and is writable",
    }
}

/// `error` without the `at path "…"` that tempfile adds: that path is the
/// run's hidden temporary file or directory, which the user never named and
/// which is gone by the time they read it (a review); the message names
/// what was to be written instead.
pub(crate) fn without_temp_path(error: io::Error) -> io::Error {
    let text = error.to_string();
    match text.split_once(" at path \"") {
        Some((system, _)) => io::Error::new(error.kind(), system.to_owned()),
        None => error,
    }
}

/// A fetch's exclusive hold on an archive ([`lock`]), released when dropped.
///
/// A fetch that fails before the archive exists (a first fetch with a wrong
/// gist ID, say) leaves nothing behind: dropping the lock removes the lock
/// file and the directories [`lock`] made for it, while it still holds it.
#[derive(Debug)]
pub struct ArchiveLock {
    /// The archive as it is written (links followed).
    archive: PathBuf,
    /// The lock file, when [`lock`] made it; else it stays.
    made_file: Option<PathBuf>,
    /// The directories [`lock`] made, outermost first.
    made_dirs: Vec<PathBuf>,
    /// The same removal should a signal end the run first (a first fetch
    /// stopped by Ctrl-C left the lock file and its directories).
    on_signal: Option<crate::interrupt::Pending>,
    /// Dropped after [`Drop::drop`]: the lock is held while its file goes.
    _file: fs::File,
}

impl Drop for ArchiveLock {
    fn drop(&mut self) {
        let Some(lock) = &self.made_file else { return };
        // Under the signals' lock, and the registration forgotten under it:
        // a signal meanwhile neither leaves the files half removed nor
        // removes a lock file another fetch makes once this one's is gone.
        let mut held = crate::interrupt::hold();
        // Directories only while empty: another fetch may be about to lock
        // in them.
        crate::interrupt::remove_lock(&self.archive, lock, &self.made_dirs);
        if let Some(pending) = self.on_signal.take() {
            held.forget(pending);
        }
    }
}

/// Opens the file at `path` as `open` says, without waiting (a FIFO's open
/// waits for a writer or a reader; a regular file ignores the flag), and
/// refuses anything that is no regular file with `refuse`'s error.
fn open_regular(
    open: &mut fs::OpenOptions,
    path: &Path,
    refuse: impl FnOnce(&fs::FileType) -> io::Error,
) -> io::Result<fs::File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(open, libc::O_NONBLOCK);
    let file = open.open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        Ok(file)
    } else {
        Err(refuse(&kind))
    }
}

/// The bytes of the regular file at `path`: anything else (a FIFO, whose
/// open would wait for a writer) is an error, said without waiting.
fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_regular(fs::OpenOptions::new().read(true), path, not_a_file)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens an existing lock file, read only unless `create` (a link to a
/// missing file, made). A FIFO in its place is refused at once instead of
/// waiting, and so is anything that is no file.
fn open_lock(lock: &Path, create: bool) -> io::Result<fs::File> {
    let mut open = fs::OpenOptions::new();
    match create {
        true => open.write(true).create(true).truncate(false),
        false => open.read(true),
    };
    open_regular(&mut open, lock, |kind| {
        io::Error::other(format!("it is {}", special_file(kind)))
    })
}

/// The error of a path whose links [`follow`] could not follow to their end.
fn too_many_links() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "too many levels of symbolic links (a loop?)",
    )
}

/// The error of an archive that is `kind`, no regular file.
fn not_a_file(kind: &fs::FileType) -> io::Error {
    io::Error::other(format!(
        "it is {}, not a file: give the archive's file path",
        special_file(kind)
    ))
}

/// What a file that is neither a regular file nor a directory is, for
/// messages.
fn special_file(kind: &fs::FileType) -> &'static str {
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "no regular file"
}

/// Takes the exclusive lock of the archive at `path` (an advisory lock on
/// `PATH.lock`, made beside it with its directory; the file stays once the
/// archive exists), so that two fetches (a scheduled one and one by hand)
/// never both read the archive and then replace it, each without the other's
/// new lines; fails at once with [`ArchiveError::Busy`] while another process
/// holds it.
pub fn lock(path: &Path) -> Result<ArchiveLock, ArchiveError> {
    lock_with(path, |_| {})
}

/// [`lock`], with a hook called after the lock file is opened, before it is
/// locked (tests remove the file there, as a failing fetch may); for a
/// lock file this call makes, under the signals' lock, which the hook must
/// not take.
fn lock_with(path: &Path, mut after_open: impl FnMut(&Path)) -> Result<ArchiveLock, ArchiveError> {
    // Beside the file a link names, as it is written there: a fetch through
    // the link and one of the file itself take the same lock.
    let (archive, untrusted) = follow(path);
    let refuse = |error| {
        Err(ArchiveError::Read {
            path: path.to_owned(),
            error,
        })
    };
    // A path that can only name a directory (`new/`, `.`): said before
    // anything is made (`new/` and `new/.lock` were left behind); also
    // where a link leads (a review: a link to `gone/` made `gone/.lock`).
    let names_dir = |p: &Path| {
        let text = p.as_os_str().to_string_lossy();
        let last = text.rsplit(std::path::is_separator).next();
        matches!(last.unwrap_or_default(), "" | "." | "..")
    };
    if names_dir(path) {
        return refuse(io::Error::other(format!(
            "it names a directory: give the archive's file path, e.g. {}",
            path.join("events.jsonl").display()
        )));
    }
    if names_dir(&archive) {
        return refuse(io::Error::other(format!(
            "it is a symbolic link to {}, a directory's name: give the archive's file path",
            archive.display()
        )));
    }
    // Still a link where the walk stopped: a loop, or a chain longer than
    // the kernel follows (a review: 41 links left the 40th's lock file).
    if fs::symlink_metadata(&archive).is_ok_and(|m| m.is_symlink()) {
        return refuse(too_many_links());
    }
    // A directory where the archive goes is no archive to lock: said before
    // a lock file is made for it (one would be left beside the directory).
    // So is what is no file: a FIFO's open waited for a writer forever (a
    // review).
    match fs::metadata(&archive) {
        Ok(m) if m.is_dir() => {
            return refuse(
                fs::read(&archive)
                    .err()
                    .unwrap_or_else(|| io::Error::other("it is a directory")),
            );
        }
        Ok(m) if !m.is_file() => return refuse(not_a_file(&m.file_type())),
        _ => {}
    }
    // Said before a download that could not be saved.
    refuse_untrusted(path, &archive, untrusted)?;
    refuse_unwritable(path, &archive)?;
    let mut name = archive.clone().into_os_string();
    name.push(".lock");
    let lock = PathBuf::from(name);
    let error = |source| ArchiveError::Lock {
        path: path.to_owned(),
        lock: lock.clone(),
        error: source,
    };
    let mut made_dirs = Vec::new();
    // A fetch that failed before its archive existed removes the lock file
    // it made (see [`ArchiveLock`]); one that opened the file before that
    // finds it gone once it holds it, and opens the lock file again.
    let take = |file: &fs::File| match file.try_lock() {
        Ok(()) => Ok(()),
        Err(fs::TryLockError::WouldBlock) => Err(Miss::Busy),
        Err(fs::TryLockError::Error(e)) => Err(Miss::Failed(e)),
    };
    for _ in 0..64 {
        // Under the signals' lock while the directories and a new lock file
        // are made, locked and registered (a signal meanwhile waits until
        // they are), and no longer: a signal that waited on a call that
        // blocks (opening a FIFO) was never acted on. The new file is
        // locked before it is registered: registered first, a signal could
        // remove it while another fetch held it.
        let round = {
            let mut held = crate::interrupt::hold();
            let made = match lock.parent().filter(|d| !d.as_os_str().is_empty()) {
                // A failing fetch may remove a level it made meanwhile.
                Some(dir) => create_dirs(dir, &mut made_dirs).map_err(Miss::from),
                None => Ok(()),
            };
            made.and_then(|()| {
                let file = (fs::OpenOptions::new().create_new(true).write(true))
                    .open(&lock)
                    .map_err(Miss::from)?;
                after_open(&lock);
                take(&file)?;
                // Still the file this call made (before it is registered:
                // a path that names another's file must not be).
                if !names(&lock, &file) {
                    return Err(Miss::Gone);
                }
                // Elsewhere a file in use may not be removable, nor
                // checked: it stays.
                let on_signal =
                    cfg!(unix).then(|| held.lock_on_signal(&archive, &lock, &made_dirs));
                Ok((file, on_signal))
            })
        };
        let round = match round {
            Err(Miss::Exists) => {
                // Read only: a lock needs no more, and another user's lock
                // file (root's, a group member's) may be readable only (a
                // review: the next fetch of a shared archive was refused).
                // (A lock file that is a link to a missing file makes it.)
                let opened = open_lock(&lock, false).or_else(|e| match e.kind() {
                    io::ErrorKind::NotFound => open_lock(&lock, true),
                    _ => Err(e),
                });
                opened.map_err(Miss::from).and_then(|file| {
                    after_open(&lock);
                    take(&file).map(|()| (file, None))
                })
            }
            round => round,
        };
        let (file, on_signal) = match round {
            Ok(locked) => locked,
            Err(Miss::Exists | Miss::Gone) => continue,
            Err(Miss::Busy) => {
                // The directories this one made hold the lock file: they
                // stay unless another fetch removed it meanwhile.
                crate::interrupt::remove_empty(&made_dirs);
                return Err(ArchiveError::Busy {
                    path: path.to_owned(),
                    lock,
                });
            }
            Err(Miss::Failed(e)) => {
                // A failing fetch leaves nothing it made (a lock name too
                // long for the file system left `new/sub/`).
                crate::interrupt::remove_empty(&made_dirs);
                return Err(error(e));
            }
        };
        if !names(&lock, &file) {
            continue;
        }
        return Ok(ArchiveLock {
            archive,
            made_file: on_signal.is_some().then_some(lock),
            made_dirs,
            on_signal,
            _file: file,
        });
    }
    crate::interrupt::remove_empty(&made_dirs);
    Err(error(io::Error::other(
        "it went missing again and again after it was made or opened (is it a link into a \
         directory that does not exist?)",
    )))
}

/// Why a round of [`lock_with`] did not take the lock.
enum Miss {
    /// The lock file exists: open it.
    Exists,
    /// A level of the path went missing meanwhile (a failing fetch removed
    /// what it made): try again.
    Gone,
    /// Another process holds the lock.
    Busy,
    Failed(io::Error),
}

impl From<io::Error> for Miss {
    fn from(e: io::Error) -> Miss {
        match e.kind() {
            io::ErrorKind::AlreadyExists => Miss::Exists,
            io::ErrorKind::NotFound => Miss::Gone,
            _ => Miss::Failed(e),
        }
    }
}

/// Creates `dir` and its missing parents, a level at a time as written
/// (`x/../e/y`: `x`, `x/..`, `x/../e`, then `x/../e/y`), and adds those this
/// call made to `made`, outermost first: a level that exists, or that
/// another process makes meanwhile, is not this fetch's to remove (a review
/// found `x/../e/y` counting the existing `e` as made, and removing it).
pub(crate) fn create_dirs(dir: &Path, made: &mut Vec<PathBuf>) -> io::Result<()> {
    let levels: Vec<&Path> = (dir.ancestors())
        .filter(|d| !d.as_os_str().is_empty())
        .collect();
    for level in levels.into_iter().rev() {
        match fs::create_dir(level) {
            Ok(()) => made.push(level.to_owned()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Whether `path` still names the open `file` (a lock file removed after it
/// was opened does not).
#[cfg(unix)]
fn names(path: &Path, file: &fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => named.dev() == open.dev() && named.ino() == open.ino(),
        _ => false,
    }
}

/// Elsewhere the lock file is never removed.
#[cfg(not(unix))]
fn names(_path: &Path, _file: &fs::File) -> bool {
    true
}

/// Splits raw file bytes into lines: `\n`-separated, a trailing `\r` removed,
/// a UTF-8 byte order mark removed from the first line, blank lines skipped.
pub fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    lines_after_bom(bytes.strip_prefix(BOM).unwrap_or(bytes))
}

/// [`split_lines`] of bytes that do not start a file (no byte order mark
/// is removed).
fn lines_after_bom(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !super::is_blank(line))
        .collect()
}

/// The number of bytes `a` and `b` start with alike (compared a block at a
/// time, then byte by byte in the first block that differs).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 4096;
    let len = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= len && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..len]
        .iter()
        .zip(&b[at..len])
        .take_while(|(x, y)| x == y)
        .count()
}

/// What a merge did: how many lines it appended and how many archive lines the
/// remote lacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MergeCounts {
    /// Lines the archive lacked and now holds (each counted once).
    pub added: usize,
    /// Distinct lines of the archive file as loaded (before this fetch) that
    /// the remote does not hold.
    pub missing_from_remote: usize,
}

/// The archive's lines in memory, with the set of line texts it holds.
#[derive(Debug, Default)]
pub struct Archive {
    /// The archive file's bytes as they were read (kept byte for byte).
    original: Vec<u8>,
    /// Lines appended since loading, in order.
    appended: Vec<Vec<u8>>,
    /// Every distinct line text held, loaded and appended, as where it is
    /// (no copy of the text: the set of a 100 MB archive is a few MB).
    seen: hashbrown::HashTable<Held>,
    /// The set's hash of a text (SipHash with a random key: the texts are
    /// clients', and a chosen set of colliding lines must not make a fetch
    /// quadratic).
    hasher: RandomState,
    /// Number of lines (non-blank) loaded from the file.
    loaded_lines: usize,
    /// The file as [`Archive::save`] last wrote it: the loaded bytes and
    /// every appended line, not a change by another program.
    written: Option<Stamp>,
    /// The file as [`Archive::load`] read it (no file: `Stamp(None)`).
    loaded: Stamp,
}

/// Where a line text the archive holds is.
#[derive(Debug, Clone, Copy)]
enum Held {
    /// `original[start..end]`.
    Loaded(usize, usize),
    /// `appended[i]`.
    Appended(usize),
}

impl Held {
    fn text<'a>(self, original: &'a [u8], appended: &'a [Vec<u8>]) -> &'a [u8] {
        match self {
            Held::Loaded(start, end) => &original[start..end],
            Held::Appended(i) => &appended[i],
        }
    }
}

/// How another program changed the archive during a fetch
/// ([`ArchiveError::Changed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Shortened or edited, or its last line (without a line end) lengthened.
    Rewritten,
    /// Lines kept being appended through every retry.
    KeptGrowing,
    /// Removed or moved away.
    Removed,
    /// Another file moved into its place.
    Replaced,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Rewritten => "was changed otherwise than by lines appended",
            Change::KeptGrowing => "kept changing",
            Change::Removed => "was removed or moved away",
            Change::Replaced => "was replaced by another file",
        })
    }
}

impl ArchiveError {
    fn changed(path: &Path, how: Change) -> ArchiveError {
        let advice = match how {
            Change::Removed => {
                "Put it back and run fetch again, or run fetch again to start a new archive there"
            }
            // (A review: "removed or moved away … Put it back" of a file
            // another had replaced.)
            Change::Replaced => {
                "Put the archive back and run fetch again, or run fetch again to add the gist's \
                 lines to the file there now"
            }
            _ => {
                "Every line it holds stays; let the program that writes it finish, then run \
                 fetch again"
            }
        };
        ArchiveError::Changed {
            path: path.to_owned(),
            how,
            advice,
        }
    }
}

/// What tells that a file changed: its size, modification time and inode
/// (`None`: no file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Stamp(Option<(u64, Option<std::time::SystemTime>, u64, u64)>);

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Stamp(Some((meta.len(), meta.modified().ok(), dev, ino)))
    }

    /// The device and inode: which file it is.
    fn inode(&self) -> Option<(u64, u64)> {
        self.0.map(|(_, _, dev, ino)| (dev, ino))
    }

    /// The file at `path` now (links followed, as the archive is written).
    fn now(path: &Path) -> io::Result<Stamp> {
        match fs::metadata(path) {
            Ok(meta) => Ok(Stamp::of(&meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Stamp(None)),
            Err(e) => Err(e),
        }
    }
}

/// Reads the archive file: its bytes and what they were read as (`None`
/// when there is no file). A file that grew while read is read again.
fn read_archive(path: &Path) -> Result<Option<(Vec<u8>, Stamp)>, ArchiveError> {
    use std::io::Read;
    let read_err = |error| ArchiveError::Read {
        path: path.to_owned(),
        error,
    };
    for _ in 0..3 {
        // A FIFO put in the archive's place after the lock's check is not
        // waited on for a writer (a review: the fetch hung, silent): the
        // open does not block, and what it opened is judged before a read.
        let mut file = match open_regular(fs::OpenOptions::new().read(true), path, not_a_file) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_err(e)),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        // A file that grew while it was read is read again: its stamp must
        // be that of the bytes read. Files that say no size (a pipe, those
        // of /proc) are taken as read.
        if meta.is_file() && meta.len() != 0 && meta.len() != bytes.len() as u64 {
            continue;
        }
        if let Some(found) = super::local::not_text(&bytes) {
            return Err(ArchiveError::Compressed {
                path: path.to_owned(),
                found,
            });
        }
        return Ok(Some((bytes, Stamp::of(&meta))));
    }
    Err(ArchiveError::changed(path, Change::KeptGrowing))
}

/// The error [`Archive::save`]'s check before the rename gives when the
/// file changed since it was read.
#[derive(Debug)]
struct ChangedMeanwhile;

impl std::fmt::Display for ChangedMeanwhile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the file changed while it was written")
    }
}

impl std::error::Error for ChangedMeanwhile {}

impl Archive {
    /// Reads the archive at `path`; a missing file is an empty archive.
    pub fn load(path: &Path) -> Result<Self, ArchiveError> {
        Ok(match read_archive(path)? {
            Some((bytes, stamp)) => Self {
                loaded: stamp,
                ..Self::from_bytes(bytes)
            },
            None => Self::default(),
        })
    }

    /// An archive holding the lines of `bytes` (the archive file's content).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let mut archive = Self::default();
        let lines = split_lines(&bytes);
        archive.loaded_lines = lines.len();
        let (seen, hasher) = (&mut archive.seen, &archive.hasher);
        for line in lines {
            // Each line is a part of `bytes`: where it starts in them.
            let start = line.as_ptr() as usize - bytes.as_ptr() as usize;
            let hash = hasher.hash_one(line);
            let text = |h: &Held| h.text(&bytes, &[]);
            if seen.find(hash, |h| text(h) == line).is_none() {
                let held = Held::Loaded(start, start + line.len());
                seen.insert_unique(hash, held, |h| hasher.hash_one(text(h)));
            }
        }
        archive.original = bytes;
        archive
    }

    /// Number of lines the archive holds now (loaded plus appended).
    pub fn len(&self) -> usize {
        self.loaded_lines + self.appended.len()
    }

    /// True when the archive holds no line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of lines appended since loading.
    pub fn appended(&self) -> usize {
        self.appended.len()
    }

    /// Every line the archive holds: the loaded ones, then the appended.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> {
        split_lines(&self.original)
            .into_iter()
            .chain(self.appended.iter().map(Vec::as_slice))
    }

    /// The lines appended since loading, in order.
    pub fn appended_lines(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.appended.iter()
    }

    /// True when the archive holds this exact line text.
    pub fn contains(&self, line: &[u8]) -> bool {
        let hash = self.hasher.hash_one(line);
        self.seen
            .find(hash, |h| h.text(&self.original, &self.appended) == line)
            .is_some()
    }

    /// Appends every line of `remote` (raw file bytes) that the archive lacks,
    /// in the remote's order, and counts the archive's lines the remote lacks.
    pub fn merge(&mut self, remote: &[u8]) -> MergeCounts {
        let remote_lines = split_lines(remote);
        let remote_set: HashSet<&[u8]> = remote_lines.iter().copied().collect();
        // The set holds each loaded text once.
        let missing_from_remote = self
            .seen
            .iter()
            .filter(|h| matches!(h, Held::Loaded(..)))
            .filter(|h| !remote_set.contains(h.text(&self.original, &self.appended)))
            .count();
        MergeCounts {
            added: self.append_new(remote_lines),
            missing_from_remote,
        }
    }

    /// [`Archive::merge`] without counting the archive's lines the remote
    /// lacks (which needs the loaded archive split again): for the earlier
    /// revisions of a history walk, thousands of them. Returns the lines added.
    pub fn add(&mut self, remote: &[u8]) -> usize {
        self.append_new(split_lines(remote))
    }

    /// [`Archive::add`] of `version`, given that the archive holds every
    /// line of `previous` (the version added before it, in a history walk):
    /// the lines that end within the bytes both versions start with are
    /// `previous`'s, so only the lines after them are looked up. Most of a
    /// gist's revisions are the one before with a line appended, so a walk
    /// costs a compare of each version's bytes with the last one's instead
    /// of a lookup of every line of every version. Adds what `add(version)`
    /// adds, in the same order.
    pub fn add_after(&mut self, previous: &[u8], version: &[u8]) -> usize {
        let shared = common_prefix(previous, version);
        match version[..shared].iter().rposition(|&b| b == b'\n') {
            Some(end) => self.append_new(lines_after_bom(&version[end + 1..])),
            None => self.add(version),
        }
    }

    /// Appends the texts of `lines` (split already, as [`split_lines`]
    /// gives them) that the archive lacks, in order; returns how many.
    pub fn add_lines(&mut self, lines: Vec<&[u8]>) -> usize {
        self.append_new(lines)
    }

    /// Appends the lines the archive lacks, in order; returns how many.
    fn append_new(&mut self, lines: Vec<&[u8]>) -> usize {
        let Self {
            original,
            appended,
            seen,
            hasher,
            ..
        } = self;
        let before = appended.len();
        for line in lines {
            let hash = hasher.hash_one(line);
            if seen
                .find(hash, |h| h.text(original, appended) == line)
                .is_none()
            {
                appended.push(line.to_vec());
                let held = Held::Appended(appended.len() - 1);
                seen.insert_unique(hash, held, |h| hasher.hash_one(h.text(original, appended)));
            }
        }
        appended.len() - before
    }

    /// The archive file's new content: the original bytes unchanged, then one
    /// appended line per `\n`-terminated line (what [`Archive::save`] writes;
    /// used by tests).
    pub fn to_bytes(&self) -> Vec<u8> {
        let extra: usize = self.appended.iter().map(|l| l.len() + 2).sum();
        let mut out = Vec::with_capacity(self.original.len() + extra + 1);
        let written: Result<(), Infallible> = self.write_parts(|part| {
            out.extend_from_slice(part);
            Ok(())
        });
        let Ok(()) = written;
        out
    }

    /// The SHA-256 (lower-case hex) of [`Archive::to_bytes`], without the copy.
    pub fn sha256(&self) -> String {
        let mut hasher = Sha256::new();
        let hashed: Result<(), Infallible> = self.write_parts(|part| {
            hasher.update(part);
            Ok(())
        });
        let Ok(()) = hashed;
        format!("{:x}", hasher.finalize())
    }

    /// Hands the parts of [`Archive::to_bytes`] to `out`, in order, until
    /// it fails. Each appended line is written so that reading the file back
    /// gives the same text, or the next fetch would append it again: a text
    /// ending in `\r` gets `\r\n` (reading removes one `\r`), and a text
    /// starting with a byte order mark that would start the file gets one
    /// more before it (reading removes one there).
    fn write_parts<E>(&self, mut out: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        out(&self.original)?;
        let original_ends_a_line = self.original.is_empty() || self.original.ends_with(b"\n");
        if !original_ends_a_line && !self.appended.is_empty() {
            out(b"\n")?;
        }
        if self.original.is_empty() && self.appended.first().is_some_and(|l| l.starts_with(BOM)) {
            out(BOM)?;
        }
        for line in &self.appended {
            out(line)?;
            out(if line.ends_with(b"\r") {
                b"\r\n"
            } else {
                b"\n"
            })?;
        }
        Ok(())
    }

    /// Writes the archive atomically to `path` when lines were appended, or
    /// when there is no file yet (a first fetch of an empty gist makes the
    /// empty archive it reports); returns whether it wrote.
    ///
    /// The file is read again first: lines another program appended since
    /// [`Archive::load`] are kept, this archive's appended lines going after
    /// them (then [`Archive::appended`] counts only the lines the file
    /// lacked), and it is checked again just before the rename (a review:
    /// a line appended during a fetch was replaced by the fetch's copy).
    /// A file rewritten otherwise than by appending is left as it is
    /// ([`ArchiveError::Changed`]). A write into the old file between that
    /// last check and the rename is still lost: programs other than fetch
    /// must not write the archive while a fetch runs.
    pub fn save(&mut self, path: &Path) -> Result<bool, ArchiveError> {
        self.save_with(path, |_| Ok(()))
    }

    /// [`Archive::save`] with a hook called before the check that precedes
    /// the rename (tests append to the file there).
    fn save_with(
        &mut self,
        path: &Path,
        mut before_check: impl FnMut(&Path) -> io::Result<()>,
    ) -> Result<bool, ArchiveError> {
        for attempt in 0..3 {
            // A writer at work gets a moment to finish (a review: one
            // appending every 30 ms failed 5 fetches in 6).
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(100 << attempt));
            }
            // The file as loaded or as last written here is not read again
            // (a review: a second copy of a 100 MB archive in memory).
            let at = Stamp::now(path).map_err(|error| ArchiveError::Read {
                path: path.to_owned(),
                error,
            })?;
            let stamp = if at == self.loaded || self.written.as_ref() == Some(&at) {
                at
            } else {
                let (now, stamp) = match read_archive(path)? {
                    Some((bytes, stamp)) => (bytes, stamp),
                    None => (Vec::new(), Stamp(None)),
                };
                if now != self.original {
                    // Not what was loaded with lines after it: another file
                    // in its place, or none, or this one rewritten. A last
                    // line without its line end that is lengthened is no
                    // line appended (a review: `L2` read `L2X`, the gist's
                    // `L2` lost, and the ETag kept); one given its line end
                    // is (a review: refused).
                    let open = !self.original.is_empty() && !self.original.ends_with(b"\n");
                    let appended = now.starts_with(&self.original)
                        && (!open || now.get(self.original.len()) == Some(&b'\n'));
                    if !appended {
                        // Which file was there: the one last written here,
                        // else the one loaded.
                        let known = self.written.as_ref().unwrap_or(&self.loaded);
                        let moved = stamp.0.is_none() || stamp.inode() != known.inode();
                        let how = match (moved && self.loaded.0.is_some(), stamp.0.is_some()) {
                            (true, false) => Change::Removed,
                            (true, true) => Change::Replaced,
                            (false, _) => Change::Rewritten,
                        };
                        return Err(ArchiveError::changed(path, how));
                    }
                    // A line still being written: look again (a review:
                    // its start and its end were split by the fetch's).
                    if !now.ends_with(b"\n") {
                        continue;
                    }
                    self.rebase(now);
                }
                stamp
            };
            if self.appended.is_empty() && stamp.0.is_some() {
                return Ok(false);
            }
            // Written in parts: no copy of the whole archive in memory. The
            // new file's stamp is the temporary file's, taken before the
            // rename: taken after it, a line appended meanwhile was taken
            // for this save's own (a review: lost, the ETag kept).
            let mut new_stamp = None;
            let written = write_atomic_with(
                path,
                |out| self.write_parts(|part| out.write_all(part)),
                |temp| {
                    before_check(path)?;
                    if Stamp::now(path)? != stamp {
                        return Err(io::Error::other(ChangedMeanwhile));
                    }
                    new_stamp = Some(Stamp::now(temp)?);
                    Ok(())
                },
            );
            match written {
                Err(ArchiveError::Write { error, .. })
                    if error.get_ref().is_some_and(|e| e.is::<ChangedMeanwhile>()) =>
                {
                    continue;
                }
                Err(e) => return Err(e),
                Ok(()) => {
                    self.written = new_stamp;
                    return Ok(true);
                }
            }
        }
        Err(ArchiveError::changed(path, Change::KeptGrowing))
    }

    /// This archive's appended lines over `file` (which starts with the
    /// bytes loaded): the lines it holds now, and after them those it lacks.
    fn rebase(&mut self, file: Vec<u8>) {
        let appended = std::mem::take(&mut self.appended);
        let mut fresh = Archive::from_bytes(file);
        fresh.append_new(appended.iter().map(Vec::as_slice).collect());
        fresh.loaded = self.loaded.clone();
        fresh.written = self.written.take();
        *self = fresh;
    }
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same
/// directory is written, fsynced, given the old file's permissions, renamed
/// over `path`, and the directory is fsynced. Creates missing parent
/// directories. On error the old file is intact and the temporary file removed.
/// A symbolic link is followed: the file it points to is replaced and the
/// link stays (a rename over the link would leave its target behind, stale).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    write_atomic_with(path, |out| out.write_all(bytes), |_| Ok(()))
}

/// [`write_atomic`] of what `write` writes (through a buffer), with a hook
/// called just before the rename (tests inject a failure there to show that
/// an interrupted write leaves the old file intact).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    before_rename: impl FnOnce(&Path) -> io::Result<()>,
) -> Result<(), ArchiveError> {
    let file = AtomicFile::create_tagged(path, FETCH_TAG)?;
    write_all_then_commit(file, write, before_rename)
}

/// Writes `file` with `write`, then commits it.
fn write_all_then_commit(
    mut file: AtomicFile,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    before_rename: impl FnOnce(&Path) -> io::Result<()>,
) -> Result<(), ArchiveError> {
    let written = file.write_with(write);
    written.map_err(|error| file.error(error))?;
    file.commit(before_rename)
}

/// Random characters in the name of an [`AtomicFile`]'s temporary file,
/// `.NAME.XXXXXX.tmp` (see [`stale_temps`]).
const TEMP_RANDOM: usize = 6;

/// The tag of the temporary files of [`write_atomic`] (the archive's and its
/// sidecar's): `.NAME.fetch-XXXXXX.tmp`, a name no user gives a file of
/// their own by chance (a review: `.events.jsonl.backup.tmp` matched six
/// random characters and was removed).
const FETCH_TAG: &str = "fetch-";

/// `.NAME.TAG`, from the bytes of `target`'s file name, for a temporary
/// file or directory named `.NAME.TAGXXXXXX.tmp` beside it. A name too long
/// for that to fit in a file name's 255 bytes keeps its first bytes and a
/// hash of the whole (`.NAME~1a2b3c4d.TAG`), so that a file whose own name
/// is valid can be written, and two such names stay apart (a review: a
/// 245-character name could not be replaced, and was told to be shorter).
pub(crate) fn temp_prefix(target: &Path, tag: &str) -> std::ffi::OsString {
    const NAME_MAX: usize = 255;
    let room = NAME_MAX.saturating_sub(2 + tag.len() + TEMP_RANDOM + ".tmp".len());
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(bounded_name(target.file_name().unwrap_or_default(), room));
    prefix.push(".");
    prefix.push(tag);
    prefix
}

/// `name`, or, when it would not fit in `room` bytes with a hash's room to
/// spare, its first bytes (cut before a character, not inside one) and a
/// hash of it. A name kept is always shorter than one shortened, so no
/// kept name reads as another's shortened one (a review: a name made as
/// another's shortened form took that one's stopped fetch's file).
#[cfg(unix)]
fn bounded_name(name: &std::ffi::OsStr, room: usize) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt as _;
    const MARK: usize = 9; // `~` and 8 hex digits
    let bytes = name.as_bytes();
    let keep = room.saturating_sub(MARK);
    if bytes.len() < keep {
        return name.to_owned();
    }
    let hash = Sha256::digest(bytes);
    let mark = format!(
        "~{:02x}{:02x}{:02x}{:02x}",
        hash[0], hash[1], hash[2], hash[3]
    );
    // Not inside a UTF-8 character (a continuation byte starts none), so
    // at most 3 bytes back: a name of other bytes is cut at `keep` (a
    // review: cut back to nothing, it read as another name kept whole).
    let cut = (keep.saturating_sub(3)..=keep)
        .rev()
        .find(|&at| bytes.get(at).is_none_or(|b| b & 0xC0 != 0x80))
        .unwrap_or(keep);
    let mut out = std::ffi::OsStr::from_bytes(&bytes[..cut]).to_owned();
    out.push(mark);
    out
}

#[cfg(not(unix))]
fn bounded_name(name: &std::ffi::OsStr, _: usize) -> std::ffi::OsString {
    name.to_owned()
}

/// The temporary files [`write_atomic`] of `path` leaves when its process
/// is ended before it can remove them (SIGKILL, SIGXFSZ, a power cut): the
/// regular files named `.NAME.fetch-XXXXXX.tmp` beside the file `path`
/// names, compared as bytes. Only for a caller holding that file's
/// [`lock`], so that no other fetch is writing one.
pub fn stale_temps(path: &Path) -> Vec<PathBuf> {
    let target = followed(path);
    let prefix = temp_prefix(&target, FETCH_TAG);
    let prefix = prefix.as_encoded_bytes();
    let is_temp = |entry: &std::ffi::OsStr| {
        entry
            .as_encoded_bytes()
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(b".tmp"))
            .is_some_and(|random| {
                random.len() == TEMP_RANDOM && random.iter().all(u8::is_ascii_alphanumeric)
            })
    };
    let Ok(entries) = fs::read_dir(parent_dir(&target)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| is_temp(&e.file_name()))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// A file written beside the one it replaces (a temporary file in the same
/// directory, made at once so that a bad path fails before any work), and
/// renamed over it only by [`AtomicFile::commit`]: dropped before that, it
/// is removed and the old file, if any, stays as it was. See [`write_atomic`].
pub struct AtomicFile {
    /// The file replaced (links followed).
    target: PathBuf,
    /// The path as given, for messages.
    shown: PathBuf,
    temp: tempfile::NamedTempFile,
    /// A new file's mode: the one any new file gets here (0666 less the
    /// umask), unless [`AtomicFile::like`] names a file to take it from.
    new_mode: fs::Permissions,
    /// The file whose owner and mode a new file takes ([`AtomicFile::like`]).
    model: Option<PathBuf>,
    /// The temporary file is removed by a signal that ends the run (after
    /// `temp`, so dropped after it: the file is gone before it is forgotten).
    _pending: crate::interrupt::Pending,
}

impl AtomicFile {
    /// Makes the temporary file, for a user's output file (`summary -o`):
    /// through a symbolic link whose target's directory does not exist, an
    /// error, as a shell's `>` gives, not that directory made (it was).
    /// The archive's own writes make missing directories
    /// ([`write_atomic`]): `data/` on a first fetch.
    pub fn create(path: &Path) -> Result<AtomicFile, ArchiveError> {
        let target = followed(path);
        let gone = target != path
            && fs::metadata(parent_dir(&target))
                .is_err_and(|e| e.kind() == io::ErrorKind::NotFound);
        if gone {
            return Err(ArchiveError::Write {
                path: path.to_owned(),
                error: io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "it is a symbolic link to {}, whose directory does not exist",
                        target.display()
                    ),
                ),
            });
        }
        Self::create_tagged(path, "")
    }

    /// [`AtomicFile::create`] with `tag` before the random part of the
    /// temporary file's name (`.NAME.TAGXXXXXX.tmp`): `fetch`'s files are
    /// told by theirs ([`stale_temps`]).
    fn create_tagged(path: &Path, tag: &str) -> Result<AtomicFile, ArchiveError> {
        let err = |source: io::Error| ArchiveError::Write {
            path: path.to_owned(),
            error: source,
        };
        let (target, untrusted) = follow(path);
        refuse_untrusted(path, &target, untrusted)?;
        // Still a link: a loop (or a chain past the kernel's bound), which
        // a rename would have replaced with a file (a review).
        if fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(err(too_many_links()));
        }
        refuse_unwritable(path, &target)?;
        let dir = parent_dir(&target);
        fs::create_dir_all(dir).map_err(err)?;
        // The name's own bytes (a name that is not UTF-8 stays itself).
        let prefix = temp_prefix(&target, tag);
        let mut builder = tempfile::Builder::new();
        builder
            .prefix(&prefix)
            .suffix(".tmp")
            .rand_bytes(TEMP_RANDOM);
        // This user's alone from the start and while it is written: a file
        // replaced gets its own owner and mode at the commit, a new one the
        // mode any new file gets (0666 less the umask). Reviews read a
        // private (0600) archive's whole copy, made 0644, as `nobody` (after
        // a `kill -9` it stays until the next fetch salvages it), and then
        // opened a copy in the instant it was 0644 before its chmod and read
        // all written after (or, under umask 000, wrote into it).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        // Made and registered under the lock: no signal comes between.
        let mut held = crate::interrupt::hold();
        let temp = builder
            .tempfile_in(dir)
            .map_err(|e| err(without_temp_path(e)))?;
        let pending = held.register(temp.path());
        drop(held);
        #[cfg(unix)]
        let new_mode = std::os::unix::fs::PermissionsExt::from_mode(0o666 & !umask());
        #[cfg(not(unix))]
        let new_mode = temp.as_file().metadata().map_err(err)?.permissions();
        Ok(AtomicFile {
            target,
            shown: path.to_owned(),
            temp,
            new_mode,
            model: None,
            _pending: pending,
        })
    }

    /// Runs `write` on the temporary file, through a buffer.
    pub fn write_with<E: From<io::Error>>(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut out = BufWriter::with_capacity(1 << 20, self.temp.as_file_mut());
        write(&mut out)?;
        out.flush()?;
        Ok(())
    }

    /// The error of writing this file.
    pub fn error(&self, error: io::Error) -> ArchiveError {
        ArchiveError::Write {
            path: self.shown.clone(),
            error,
        }
    }

    /// A new file takes `model`'s owner and mode, as a file replaced keeps
    /// its own (the archive's sidecar: a review found it 0644 beside a
    /// 0600 archive, the secret gist's ID in it).
    pub fn like(mut self, model: &Path) -> AtomicFile {
        self.model = Some(model.to_owned());
        self
    }

    /// A new file's mode and access list: its directory's default list
    /// limited by `open(2)`'s 0666, as the kernel gives a file made there
    /// (the umask not applied), else the umask's mode.
    fn inherited(&self) -> (fs::Permissions, Option<Vec<u8>>) {
        let default = acl::get(parent_dir(&self.target), acl::DEFAULT);
        match default.and_then(|list| acl::inherited(&list, 0o666)) {
            #[cfg(unix)]
            Some((list, mode)) => (
                std::os::unix::fs::PermissionsExt::from_mode(mode),
                Some(list),
            ),
            _ => (self.new_mode.clone(), None),
        }
    }

    /// Puts the written file in place: the old file's permissions, fsync,
    /// `before_rename` (a test's hook), the rename, the directory's fsync.
    pub fn commit(
        self,
        before_rename: impl FnOnce(&Path) -> io::Result<()>,
    ) -> Result<(), ArchiveError> {
        let err = |error| self.error(error);
        // The file replaced, else the model, gives the owner, the mode and
        // the access list; else the directory's default list, as a file
        // made there by `open(2)` would take it, or the umask's mode.
        let model = std::iter::once(&self.target)
            .chain(&self.model)
            .find_map(|path| fs::metadata(path).ok().map(|meta| (path, meta)));
        let (mode, list) = match &model {
            Some((path, meta)) => {
                keep_owner(self.temp.as_file(), meta);
                (meta.permissions(), acl::get(path, acl::ACCESS))
            }
            None => self.inherited(),
        };
        // The list before the mode (which agrees with it): the mode first
        // made a named user's entry of the directory's default list
        // effective for an instant, and a review's watcher opened 17 of 120
        // copies then. A file without a list loses the one the copy took
        // from that default (a review: a 0640 file replaced there let the
        // named user read it).
        let mut mode = mode;
        match list {
            Some(list) => match acl::set(self.temp.as_file(), &list) {
                // A file system without lists (the model's on another: a
                // sidecar beside a link to the archive, a review): the mode
                // allows no more than the list did.
                Err(e) if acl::unsupported(&e) => {
                    mode = acl::narrowed(mode, &list);
                    Ok(())
                }
                done => done,
            },
            None => acl::remove(self.temp.as_file()),
        }
        .map_err(err)?;
        self.temp.as_file().set_permissions(mode).map_err(err)?;
        self.temp.as_file().sync_all().map_err(err)?;
        before_rename(self.temp.path()).map_err(err)?;
        let dir = parent_dir(&self.target).to_owned();
        let shown = self.shown.clone();
        // A signal meanwhile waits: it removes the temporary file before the
        // rename or finds it gone after (the guard is released before
        // `self._pending` is dropped, at the end).
        let held = crate::interrupt::hold();
        let persisted = self.temp.persist(&self.target);
        drop(held);
        persisted.map_err(|e| ArchiveError::Write {
            path: shown.clone(),
            error: e.error,
        })?;
        sync_dir(&dir).map_err(|error| ArchiveError::Write { path: shown, error })?;
        Ok(())
    }
}

/// This process's umask, read without changing it (`umask(2)` sets it, a
/// race with any thread making a file meanwhile): Linux says it in
/// `/proc/self/status`; elsewhere, or unreadable, the usual 022.
#[cfg(unix)]
fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    (status.lines())
        .find_map(|line| line.strip_prefix("Umask:"))
        .and_then(|mask| u32::from_str_radix(mask.trim(), 8).ok())
        .unwrap_or(0o022)
}

/// Gives `file` the group of the file `meta` describes, and its owner when
/// this user is root (who may): another user's file replaced by root, or a
/// group's shared archive by a member, stays theirs (a review: a group's
/// 0660 archive became the writer's, its group locked out). Where that is
/// not allowed (a group this user is not in), the file stays this user's.
#[cfg(unix)]
fn keep_owner(file: &fs::File, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt as _;
    let owner = (euid() == 0).then_some(meta.uid());
    let _ = std::os::unix::fs::fchown(file, owner, Some(meta.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_: &fs::File, _: &fs::Metadata) {}

/// [`ArchiveError::Unreplaceable`] for a link [`follow`] found untrusted
/// on the way from `path` to `target`.
fn refuse_untrusted(
    path: &Path,
    target: &Path,
    untrusted: Option<String>,
) -> Result<(), ArchiveError> {
    untrusted.map_or(Ok(()), |why| Err(unreplaceable(path, target, why)))
}

/// [`ArchiveError::Unreplaceable`]: `path` (its file `target`) cannot be
/// written, for `why`.
fn unreplaceable(path: &Path, target: &Path, why: String) -> ArchiveError {
    ArchiveError::Unreplaceable {
        path: path.to_owned(),
        why,
        exists: fs::symlink_metadata(target).is_ok(),
    }
}

/// [`ArchiveError::Unreplaceable`] when no rename may replace `target`
/// (`path` with its links followed; [`rename_forbidden`]), and
/// [`ArchiveError::ReadOnly`] when it is a file [`not_writable`]: a rename
/// over it would not ask (a review: a read-only archive and a read-only
/// `summary -o` file were replaced, their mode kept).
fn refuse_unwritable(path: &Path, target: &Path) -> Result<(), ArchiveError> {
    // Said before "read-only", which `chattr +i` also makes a file (a
    // review: told as read-only, which no chmod mends), and before a
    // sticky directory's rename fails after the work (it blamed the
    // directory).
    #[cfg(target_os = "linux")]
    {
        let parent = parent_dir(target);
        if let Ok(parent_meta) = fs::metadata(parent)
            && let Some(why) = rename_forbidden(parent, &parent_meta, target)
        {
            return Err(unreplaceable(path, target, why));
        }
    }
    match fs::metadata(target) {
        Ok(meta) if meta.is_file() && not_writable(target, &meta) => Err(ArchiveError::ReadOnly {
            path: path.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Whether the file at `path` (its `meta`) is read-only: no write
/// permission for anyone (`chmod a-w`, which holds for root too), or none
/// for this user (another user's file, a read-only file system), where a
/// shell's `>` fails and a rename in a writable directory would not.
pub(crate) fn not_writable(path: &Path, meta: &fs::Metadata) -> bool {
    if meta.permissions().readonly() {
        return true;
    }
    #[cfg(target_os = "linux")]
    return !access(path, libc::W_OK);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        false
    }
}

/// Whether this user may use `path` as `mode` says (`W_OK`, `W_OK |
/// X_OK`, …), as the effective user (`faccessat` with `AT_EACCESS`; a
/// review: `access(2)` judged by the real user); a path the call cannot
/// take (a NUL in it) may not.
#[cfg(target_os = "linux")]
pub(crate) fn access(path: &Path, mode: libc::c_int) -> bool {
    use std::os::unix::ffi::OsStrExt as _;
    std::ffi::CString::new(path.as_os_str().as_bytes()).is_ok_and(|c| {
        // SAFETY: `c` is a valid NUL-terminated path for the call.
        unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), mode, libc::AT_EACCESS) == 0 }
    })
}

/// Whether `path` is immutable or append-only (`chattr +i`, `+a`): then no
/// rename replaces it or, for a directory, its entries, whatever its mode
/// says. A link at `path` is followed when `follow` says so (a directory
/// named through a link: a review found the link's own attributes read).
#[cfg(target_os = "linux")]
pub(crate) fn attributes_forbid(path: &Path, follow: bool) -> bool {
    let flags = (libc::STATX_ATTR_IMMUTABLE | libc::STATX_ATTR_APPEND) as u64;
    statx_attributes(path, follow) & flags != 0
}

/// The attributes `statx` gives `path` (none where it cannot say).
#[cfg(target_os = "linux")]
fn statx_attributes(path: &Path, follow: bool) -> u64 {
    use std::os::unix::ffi::OsStrExt as _;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return 0;
    };
    // SAFETY: `statx` is plain data; zeroes are a valid value of it.
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path, `buf` a valid buffer.
    let done = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            c.as_ptr(),
            if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW },
            0,
            &mut buf,
        )
    };
    if done == 0 { buf.stx_attributes } else { 0 }
}

/// Why no rename in `parent` (its `parent_meta`) may replace or remove
/// `target`, where the mode bits do not tell: `parent` or `target` is
/// immutable or append-only (`chattr +i`, `+a`), or `target` is another
/// user's in a sticky directory (`/tmp`'s mode) that is not this user's
/// either.
#[cfg(target_os = "linux")]
pub(crate) fn rename_forbidden(
    parent: &Path,
    parent_meta: &fs::Metadata,
    target: &Path,
) -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    if let Some(why) = read_only_file_system(parent) {
        return Some(why);
    }
    if attributes_forbid(parent, true) {
        return Some(format!(
            "{} is a directory whose entries cannot change (chattr +i or +a)",
            parent.display()
        ));
    }
    let target_meta = fs::symlink_metadata(target).ok()?;
    // A file mounted on its own (`docker run -v FILE:FILE`, read-only or
    // not): a rename over it fails (a review: told "read-only: make it
    // writable" of one mounted read-only in a writable directory).
    if statx_attributes(target, false) & libc::STATX_ATTR_MOUNT_ROOT as u64 != 0 {
        return Some(format!(
            "{} is mounted on its own (as `docker run -v FILE:FILE` mounts a file), where no \
             rename can replace it",
            target.display()
        ));
    }
    if attributes_forbid(target, false) {
        return Some(format!(
            "{} is immutable or append-only (chattr +i or +a)",
            target.display()
        ));
    }
    let me = euid();
    (parent_meta.mode() & 0o1000 != 0
        && me != 0
        && target_meta.uid() != me
        && parent_meta.uid() != me)
        .then(|| {
            format!(
                "{} is another user's, in a directory where only they may replace it (its \
                 sticky bit)",
                target.display()
            )
        })
}

/// Why nothing in the directory `dir` can change when its file system is
/// mounted read-only: said as such (a review: "make it writable for this
/// user", which no chmod can).
#[cfg(target_os = "linux")]
pub(crate) fn read_only_file_system(dir: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: `statvfs` is plain data; zeroes are a valid value of it.
    let mut buf: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path, `buf` a valid buffer.
    let done = unsafe { libc::statvfs(c.as_ptr(), &mut buf) } == 0;
    (done && buf.f_flag & libc::ST_RDONLY != 0)
        .then(|| format!("{} is on a file system mounted read-only", dir.display()))
}

/// The directory a file is in (`.` for a bare name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// `path`, or the file it names when it is a symbolic link (followed to the
/// end, also when that file does not exist yet).
fn followed(path: &Path) -> PathBuf {
    follow(path).0
}

/// [`followed`], and the first link on the way that the kernel's
/// `protected_symlinks` would not follow, said: one in a sticky directory
/// anyone may write in (`/tmp`), made by neither this user nor the
/// directory's owner. This walk follows the links itself, so no kernel
/// check applies (a review: root's `summary -o /tmp/x` replaced the file
/// another user's link there named). Each link is read once, its owner and
/// its target from the same file (a review: checked apart from the walk,
/// a link swapped in between was followed all the same).
fn follow(path: &Path) -> (PathBuf, Option<String>) {
    let mut path = path.to_owned();
    let mut untrusted = None;
    // A bound on the links followed, as the kernel has (ELOOP).
    for _ in 0..40 {
        let Some((link, target)) = read_link_once(&path) else {
            break;
        };
        #[cfg(target_os = "linux")]
        if untrusted.is_none() {
            untrusted = untrusted_link(&path, &link);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = link;
        path = match path.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    (path, untrusted)
}

/// The link at `path` (not followed) and what it names, read from one open
/// file (`O_PATH | O_NOFOLLOW`, then `fstat` and `readlinkat` on it); `None`
/// when `path` is no link or cannot be read.
#[cfg(target_os = "linux")]
fn read_link_once(path: &Path) -> Option<(fs::Metadata, PathBuf)> {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::ffi::OsStringExt as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.file_type().is_symlink() {
        return None;
    }
    let mut buf = vec![0u8; libc::PATH_MAX as usize + 1];
    // SAFETY: the fd is open, the empty path names it (`O_PATH`), and
    // `buf` is a valid buffer of the length given.
    let len = unsafe {
        libc::readlinkat(
            file.as_raw_fd(),
            c"".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let len = usize::try_from(len).ok().filter(|&n| n < buf.len())?;
    buf.truncate(len);
    Some((meta, PathBuf::from(std::ffi::OsString::from_vec(buf))))
}

#[cfg(not(target_os = "linux"))]
fn read_link_once(path: &Path) -> Option<(fs::Metadata, PathBuf)> {
    Some((fs::symlink_metadata(path).ok()?, fs::read_link(path).ok()?))
}

/// The effective user's ID.
#[cfg(target_os = "linux")]
fn euid() -> libc::uid_t {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Why the kernel's `protected_symlinks` would not follow `link`, the link
/// at `path`: see [`follow`].
#[cfg(target_os = "linux")]
fn untrusted_link(path: &Path, link: &fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    let me = euid();
    let dir = fs::metadata(parent_dir(path)).ok()?;
    (dir.mode() & 0o1002 == 0o1002 && link.uid() != me && link.uid() != dir.uid()).then(|| {
        format!(
            "{} is a symbolic link another user made in a sticky directory anyone may write in, \
             which is not followed (as the kernel's protected_symlinks does not)",
            path.display()
        )
    })
}

/// Makes a rename in `dir` durable (a no-op where directories cannot be
/// opened, or where the file system refuses to sync one: some FUSE and
/// network mounts answer EINVAL or ENOTSUP, which is no failure to write).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        match fs::File::open(dir)?.sync_all() {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
                ) => {}
            other => other?,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}

/// The ETag of the last gist response merged into an archive, kept in a JSON
/// sidecar beside it (`events.jsonl.etag`), tied to the gist and file it
/// describes so that fetching another gist or file never answers "up to date",
/// and to the archive's content as that fetch left it, so that an archive
/// restored from a backup, edited or replaced since is fetched in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtagSidecar {
    /// The gist ID.
    pub gist_id: String,
    /// The file within the gist.
    pub file: String,
    /// The `ETag` header of the response, verbatim.
    pub etag: String,
    /// The SHA-256 of the archive the response was merged into
    /// ([`Archive::sha256`]); empty in sidecars written before it was kept,
    /// which therefore match no archive.
    #[serde(default)]
    pub archive_sha256: String,
}

impl EtagSidecar {
    /// The sidecar's path for an archive: the archive's name plus `.etag`.
    pub fn path_for(archive: &Path) -> PathBuf {
        let mut name = archive.as_os_str().to_owned();
        name.push(".etag");
        PathBuf::from(name)
    }

    /// Reads the sidecar; `None` when it is missing, unreadable or not ours
    /// (an unusable ETag only costs a full download).
    pub fn load(path: &Path) -> Option<Self> {
        // Not a FIFO's writer waited for, under the lock (a review: the
        // fetch hung, silent).
        let bytes = read_regular(path).ok()?;
        let sidecar: Self = serde_json::from_slice(&bytes).ok()?;
        let printable = sidecar
            .etag
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
        (printable && !sidecar.etag.is_empty()).then_some(sidecar)
    }

    /// The stored ETag if it was recorded for this gist and file and for an
    /// archive whose SHA-256 is `archive_sha256` (the archive now).
    pub fn etag_for(&self, gist_id: &str, file: &str, archive_sha256: &str) -> Option<&str> {
        let same_archive = !self.archive_sha256.is_empty() && self.archive_sha256 == archive_sha256;
        (self.gist_id == gist_id && self.file == file && same_archive).then_some(self.etag.as_str())
    }

    /// Writes the sidecar atomically; a new one takes the owner and mode
    /// of `archive`.
    pub fn save(&self, path: &Path, archive: &Path) -> Result<(), ArchiveError> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| ArchiveError::Write {
            path: path.to_owned(),
            error: io::Error::other(e),
        })?;
        json.push(b'\n');
        let file = AtomicFile::create_tagged(path, FETCH_TAG)?.like(archive);
        write_all_then_commit(file, |out| out.write_all(&json), |_| Ok(()))
    }

    /// Whether `path` holds a file that is not a sidecar: not empty and no
    /// JSON object with an `etag` (a file of the user's that happens to
    /// bear the name, which a fetch must neither replace nor remove).
    pub fn is_foreign(path: &Path) -> bool {
        let ours = |bytes: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(bytes)
                .is_ok_and(|v| v.as_object().is_some_and(|o| o.contains_key("etag")))
        };
        fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
            && read_regular(path).is_ok_and(|bytes| !ours(&bytes))
    }

    /// Removes a stale sidecar (when the server sent no ETag).
    pub fn remove(path: &Path) -> Result<(), ArchiveError> {
        // Left, as a save leaves it (a review: a read-only sidecar was
        // removed without a word when an answer had no ETag).
        refuse_unwritable(path, &followed(path))?;
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(ArchiveError::Write {
                path: path.to_owned(),
                error: source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(archive: &Archive) -> Vec<String> {
        split_lines(&archive.to_bytes())
            .into_iter()
            .map(|l| String::from_utf8(l.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn split_lines_trims_cr_bom_and_blanks() {
        let bytes = b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n{\"b\":2}\nnot json\n\n";
        let got: Vec<&[u8]> = split_lines(bytes);
        assert_eq!(
            got,
            vec![&b"{\"a\":1}"[..], &b"{\"b\":2}"[..], &b"not json"[..]]
        );
    }

    #[test]
    fn split_lines_without_final_newline() {
        assert_eq!(split_lines(b"a\nb"), vec![&b"a"[..], &b"b"[..]]);
        assert!(split_lines(b"").is_empty());
        assert!(split_lines(b"\n\r\n").is_empty());
    }

    #[test]
    fn merge_into_empty_archive_keeps_remote_order_and_drops_duplicates() {
        let mut archive = Archive::default();
        let counts = archive.merge(b"c\na\nc\nb\n");
        assert_eq!(
            counts,
            MergeCounts {
                added: 3,
                missing_from_remote: 0
            }
        );
        assert_eq!(lines(&archive), ["c", "a", "b"]);
        assert_eq!(archive.to_bytes(), b"c\na\nb\n");
    }

    #[test]
    fn merge_keeps_archive_lines_the_remote_lost() {
        let mut archive = Archive::from_bytes(b"a\nb\nc\n".to_vec());
        let counts = archive.merge(b"c\nd\n");
        assert_eq!(
            counts,
            MergeCounts {
                added: 1,
                missing_from_remote: 2
            }
        );
        assert_eq!(archive.to_bytes(), b"a\nb\nc\nd\n");
        assert_eq!(archive.len(), 4);
        assert_eq!(archive.appended(), 1);
    }

    #[test]
    fn merge_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, b"a\nb\n").unwrap();
        let mut archive = Archive::load(&path).unwrap();
        assert_eq!(archive.merge(b"a\nb\n").added, 0);
        assert!(!archive.save(&path).unwrap());
        assert_eq!(archive.to_bytes(), b"a\nb\n");
    }

    #[test]
    fn archive_bytes_are_kept_verbatim() {
        // CRLF, blank lines and a missing final newline in the archive stay as
        // they were; new lines go after a newline.
        let mut archive = Archive::from_bytes(b"a\r\n\nb".to_vec());
        let counts = archive.merge(b"a\nb\r\nc\n");
        assert_eq!(counts.added, 1);
        assert_eq!(archive.to_bytes(), b"a\r\n\nb\nc\n");
    }

    #[test]
    fn remote_bom_does_not_make_a_new_line() {
        let mut archive = Archive::from_bytes(b"{\"event\": \"x\"}\n".to_vec());
        let counts = archive.merge(b"\xEF\xBB\xBF{\"event\": \"x\"}\n{\"event\": \"y\"}\n");
        assert_eq!(counts.added, 1);
        assert_eq!(
            lines(&archive),
            ["{\"event\": \"x\"}", "{\"event\": \"y\"}"]
        );
    }

    #[test]
    fn non_json_lines_are_kept() {
        let mut archive = Archive::default();
        archive.merge(b"{\"event\": \"a\"}\nthis is not json\n{broken\n");
        assert_eq!(archive.len(), 3);
        assert!(archive.contains(b"{broken"));
    }

    #[test]
    fn duplicates_already_in_the_archive_are_kept() {
        let mut archive = Archive::from_bytes(b"a\na\n".to_vec());
        let counts = archive.merge(b"a\n");
        assert_eq!(counts.added, 0);
        assert_eq!(counts.missing_from_remote, 0);
        assert_eq!(archive.to_bytes(), b"a\na\n");
    }

    #[test]
    fn successive_merges_accumulate_like_a_history_walk() {
        let mut archive = Archive::from_bytes(b"kept\n".to_vec());
        // A history walk adds each revision, then merges the newest.
        assert_eq!(archive.add(b"init\n"), 1);
        assert_eq!(archive.add(b"init\na\r\n"), 1);
        assert_eq!(archive.add(b"b\n"), 1); // a clobbering revision
        assert_eq!(archive.add(b"\xEF\xBB\xBFb\nc\n"), 1);
        let counts = archive.merge(b"b\nd\n"); // lost c
        assert_eq!(lines(&archive), ["kept", "init", "a", "b", "c", "d"]);
        assert_eq!(
            counts,
            MergeCounts {
                added: 1,
                missing_from_remote: 1
            }
        );
    }

    /// Versions built the way a gist's revisions are: each keeps a prefix of
    /// the one before (cut at any byte, so inside a line too) and goes on
    /// with pieces that hold line ends, CRs, byte order marks and blanks.
    fn revisions() -> impl proptest::strategy::Strategy<Value = Vec<Vec<u8>>> {
        let piece = proptest::sample::select(vec![
            &b"a"[..],
            b"b",
            b"\n",
            b"\r\n",
            b"\xEF\xBB\xBF",
            b" ",
            b"ab\n",
        ]);
        let step = (0.0..=1.0f64, proptest::collection::vec(piece, 0..8));
        proptest::collection::vec(step, 1..12).prop_map(|steps| {
            let mut versions: Vec<Vec<u8>> = Vec::new();
            for (keep, pieces) in steps {
                let before = versions.last().cloned().unwrap_or_default();
                let mut next = before[..(before.len() as f64 * keep) as usize].to_vec();
                next.extend(pieces.concat());
                versions.push(next);
            }
            versions
        })
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// A walk that skips what each version shares with the one before
        /// adds the same lines in the same order as one that looks up every
        /// line, version by version.
        #[test]
        fn adding_after_the_previous_version_adds_what_adding_it_whole_does(
            versions in revisions(),
            archived in proptest::collection::vec(proptest::sample::select(vec!["a", "b", "ab"]), 0..3),
        ) {
            let start = archived.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes();
            let (mut whole, mut skipping) =
                (Archive::from_bytes(start.clone()), Archive::from_bytes(start));
            let mut previous: &[u8] = b"";
            for version in &versions {
                proptest::prop_assert_eq!(whole.add(version), skipping.add_after(previous, version));
                previous = version;
            }
            proptest::prop_assert_eq!(whole.to_bytes(), skipping.to_bytes());
        }
    }

    proptest::proptest! {
        /// The archive against a model (a list and a set): enough lines that
        /// its set grows and rehashes several times, duplicates within the
        /// file and within each remote, and a last merge's count of the
        /// loaded lines the remote lacks.
        #[test]
        fn the_archive_keeps_each_text_once_like_a_list_and_a_set(
            start in proptest::collection::vec(0u16..400, 0..300),
            remotes in proptest::collection::vec(
                proptest::collection::vec(0u16..400, 0..300), 1..4),
        ) {
            let text = |ids: &[u16]| -> Vec<u8> {
                ids.iter().map(|i| format!("line {i}\n")).collect::<String>().into_bytes()
            };
            let mut archive = Archive::from_bytes(text(&start));
            let mut file = start.clone();
            let mut held: HashSet<u16> = start.iter().copied().collect();
            let (last, earlier) = remotes.split_last().unwrap();
            for remote in earlier {
                let added = archive.add(&text(remote));
                let new: Vec<u16> = remote.iter().copied().filter(|i| held.insert(*i)).collect();
                proptest::prop_assert_eq!(added, new.len());
                file.extend(new);
            }
            let counts = archive.merge(&text(last));
            let loaded: HashSet<u16> = start.iter().copied().collect();
            let missing = loaded.iter().filter(|i| !last.contains(i)).count();
            let new: Vec<u16> = last.iter().copied().filter(|i| held.insert(*i)).collect();
            proptest::prop_assert_eq!(counts, MergeCounts { added: new.len(), missing_from_remote: missing });
            file.extend(new);
            proptest::prop_assert_eq!(archive.to_bytes(), text(&file));
            proptest::prop_assert_eq!(archive.sha256(), format!("{:x}", Sha256::digest(text(&file))));
            proptest::prop_assert_eq!(archive.len(), file.len());
            for i in 0..400u16 {
                let line = format!("line {i}");
                proptest::prop_assert_eq!(archive.contains(line.as_bytes()), held.contains(&i));
            }
        }
    }

    proptest::proptest! {
        /// What an archive writes reads back as the lines it holds: merging
        /// the same remotes into the archive read back adds nothing (a line
        /// ending in `\r\r\n` was appended again on every fetch, and a line
        /// led by a byte order mark once more when it started the file).
        #[test]
        fn an_archive_read_back_holds_every_line_it_held(
            start in proptest::collection::vec(
                proptest::sample::select(vec![&b"a"[..], b"\r", b"\n", b"\xEF\xBB\xBF"]), 0..6),
            remotes in revisions(),
        ) {
            let mut archive = Archive::from_bytes(start.concat());
            for remote in &remotes {
                archive.add(remote);
            }
            let mut again = Archive::from_bytes(archive.to_bytes());
            proptest::prop_assert_eq!(again.len(), archive.len());
            for remote in &remotes {
                proptest::prop_assert_eq!(again.add(remote), 0);
            }
        }
    }

    #[test]
    fn lines_ending_in_cr_or_led_by_a_bom_are_written_to_read_back_the_same() {
        let mut archive = Archive::default();
        // "a\r" (one CR is the line end's) and a BOM-led line that starts the file.
        archive.add(b"\n\xEF\xBB\xBFy\na\r\r\n");
        assert_eq!(archive.to_bytes(), b"\xEF\xBB\xBF\xEF\xBB\xBFy\na\r\r\n");
        let mut again = Archive::from_bytes(archive.to_bytes());
        assert_eq!(again.add(b"\n\xEF\xBB\xBFy\na\r\r\n"), 0);
        assert!(again.contains(b"a\r") && again.contains(b"\xEF\xBB\xBFy"));
    }

    #[test]
    fn saving_writes_the_archive_in_parts_and_only_when_it_grew() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, b"a\nb").unwrap();
        let mut archive = Archive::load(&path).unwrap();
        assert!(!archive.save(&path).unwrap());
        archive.add(b"b\nc\nd\n");
        assert!(archive.save(&path).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"a\nb\nc\nd\n");
        assert_eq!(fs::read(&path).unwrap(), archive.to_bytes());
        // Saved again (a salvage, then the fetch): its own earlier write is
        // no change by another program, and every line stays counted as new.
        archive.add(b"e\n");
        assert!(archive.save(&path).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"a\nb\nc\nd\ne\n");
        assert_eq!(archive.appended(), 3);
        // No file yet: the empty archive is made, with its directory (a
        // review: a first fetch of an empty gist reported one it never made).
        let fresh = dir.path().join("data/events.jsonl");
        assert!(Archive::default().save(&fresh).unwrap());
        assert_eq!(fs::read(&fresh).unwrap(), b"");
    }

    /// An archive file holding `content`, loaded (the directory, the file).
    fn loaded(content: &[u8]) -> (tempfile::TempDir, PathBuf, Archive) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, content).unwrap();
        let archive = Archive::load(&path).unwrap();
        (dir, path, archive)
    }

    /// Appends `bytes` to the file, as another program would.
    fn append(path: &Path, bytes: &[u8]) {
        let mut f = fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(bytes).unwrap();
    }

    /// How the archive changed, by [`Archive::save`]'s refusal.
    fn how_of(err: &ArchiveError) -> Change {
        match err {
            ArchiveError::Changed { how, .. } => *how,
            other => panic!("{other}"),
        }
    }

    /// Lines another program appends while a fetch runs stay, before the
    /// fetch's, whether they come before the save or during its write (a
    /// review: an appended line was replaced by the fetch's copy); a file
    /// rewritten otherwise is left as it is.
    #[test]
    fn lines_appended_to_the_file_meanwhile_are_kept() {
        let (_dir, path, mut archive) = loaded(b"a\n");
        archive.add(b"a\nb\nc\n");
        append(&path, b"x\nc\n");
        let mut during = Some(b"y\n");
        let saved = archive.save_with(&path, |path| {
            if let Some(line) = during.take() {
                append(path, line);
            }
            Ok(())
        });
        assert!(saved.unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"a\nx\nc\ny\nb\n");
        assert_eq!(archive.appended(), 1);
        assert_eq!(archive.len(), 5);
        // A writer that never stops: refused, the file as it made it.
        archive.add(b"z\n");
        let err = archive
            .save_with(&path, |path| {
                append(path, b"w\n");
                Ok(())
            })
            .unwrap_err();
        assert_eq!(how_of(&err), Change::KeptGrowing, "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"a\nx\nc\ny\nb\nw\nw\nw\n");
        // Rewritten, not appended to: refused, nothing written.
        fs::write(&path, b"q\n").unwrap();
        let err = archive.save(&path).unwrap_err();
        assert_eq!(how_of(&err), Change::Rewritten, "{err}");
        assert!(err.to_string().contains("nothing was written"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"q\n");
        // Removed: said so, nothing written.
        fs::remove_file(&path).unwrap();
        let err = archive.save(&path).unwrap_err();
        assert!(
            err.to_string()
                .contains("was removed or moved away while fetch was updating it"),
            "{err}"
        );
        assert!(!path.exists());
    }

    /// A last line without its line end that another program lengthens is
    /// no line appended: refused (a review: `L2` read `L2X`, the gist's
    /// `L2` lost and the ETag kept); the next fetch loads `L2X` and adds
    /// `L2`.
    #[test]
    fn a_last_line_lengthened_meanwhile_is_no_line_appended() {
        for open in [&b"L1\nL2"[..], b"L1\nL2\r"] {
            let (_dir, path, mut archive) = loaded(open);
            archive.add(b"L1\nL2\nL3\n");
            append(&path, b"X\n");
            let err = archive.save(&path).unwrap_err();
            assert_eq!(how_of(&err), Change::Rewritten, "{err}");
            let mut again = Archive::load(&path).unwrap();
            assert_eq!(again.add(b"L1\nL2\nL3\n"), 2);
        }
    }

    /// A line another program is still writing is waited for, never split
    /// by the fetch's (a review); a last line given its line end and lines
    /// after it is an append (a review: refused); another file renamed
    /// over the archive is said to be one (a review: "changed otherwise").
    #[test]
    fn a_line_being_written_is_waited_for_and_a_line_end_added_is_an_append() {
        let (dir, path, mut archive) = loaded(b"a\n");
        archive.add(b"b\n");
        append(&path, b"{\"x\":");
        let err = archive.save(&path).unwrap_err();
        assert_eq!(how_of(&err), Change::KeptGrowing, "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"a\n{\"x\":");
        append(&path, b"1}\n");
        assert!(archive.save(&path).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"a\n{\"x\":1}\nb\n");
        // A last line without its line end, given one and a line after it.
        fs::write(&path, b"L1").unwrap();
        let mut archive = Archive::load(&path).unwrap();
        archive.add(b"L2\n");
        append(&path, b"\nL9\n");
        assert!(archive.save(&path).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"L1\nL9\nL2\n");
        // Another file renamed over it.
        let mut archive = Archive::load(&path).unwrap();
        archive.add(b"L3\n");
        let other = dir.path().join("other");
        fs::write(&other, b"new\n").unwrap();
        fs::rename(&other, &path).unwrap();
        let err = archive.save(&path).unwrap_err();
        assert_eq!(how_of(&err), Change::Replaced, "{err}");
        assert!(
            err.to_string().contains("was replaced by another file"),
            "{err}"
        );
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        // Removed.
        let mut archive = Archive::load(&path).unwrap();
        archive.add(b"L4\n");
        fs::remove_file(&path).unwrap();
        let err = archive.save(&path).unwrap_err();
        assert_eq!(how_of(&err), Change::Removed, "{err}");
        assert!(!path.exists());
    }

    /// A file that says no size is read as it is (it was "kept changing").
    #[test]
    #[cfg(target_os = "linux")]
    fn a_file_that_says_no_size_is_read() {
        let archive = Archive::load(Path::new("/proc/self/status")).unwrap();
        assert!(archive.len() > 3);
    }

    /// An archive unchanged since it was loaded is not read again to be
    /// saved (a review: a 100 MB archive was held twice); one changed is.
    #[test]
    fn an_unchanged_archive_is_not_read_again() {
        let (_dir, path, mut archive) = loaded(b"a\n");
        archive.add(b"b\n");
        // Its bytes changed in place, its size, time and inode not: the
        // save trusts them and does not read the bytes (a read would call
        // it rewritten).
        let mtime = fs::metadata(&path).unwrap().modified().unwrap();
        let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        (&file).write_all(b"z\n").unwrap();
        file.set_modified(mtime).unwrap();
        drop(file);
        assert!(archive.save(&path).unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"a\nb\n");
    }

    #[test]
    fn lines_within_the_shared_start_are_not_looked_up() {
        // The archive lacks "a" (against add_after's contract) to show the
        // shared line is skipped, not looked up: only "b" is added.
        let mut archive = Archive::default();
        assert_eq!(archive.add_after(b"a\n", b"a\nb\n"), 1);
        assert_eq!(lines(&archive), ["b"]);
        // A line only partly shared is looked up (and a first line's BOM
        // removed as in `add`).
        assert_eq!(archive.add_after(b"\xEF\xBB\xBFa", b"\xEF\xBB\xBFab\n"), 1);
        assert_eq!(archive.add_after(b"b\n", b"b\n\xEF\xBB\xBFc\n"), 1);
        assert_eq!(lines(&archive), ["b", "ab", "\u{feff}c"]);
        assert_eq!(common_prefix(&[7; 9000], &[7; 9000]), 9000);
        let mut other = vec![7; 9000];
        other[8191] = 8;
        assert_eq!(common_prefix(&[7; 9000], &other), 8191);
        assert_eq!(common_prefix(b"abc", b"ab"), 2);
    }

    #[test]
    fn only_lines_the_file_held_count_as_lost_by_the_remote() {
        let mut archive = Archive::from_bytes(b"a\n".to_vec());
        archive.merge(b"a\nold\n"); // an earlier revision, during --history
        let counts = archive.merge(b"new\n"); // the latest revision
        assert_eq!(
            counts,
            MergeCounts {
                added: 1,
                missing_from_remote: 1
            }
        );
        assert_eq!(archive.to_bytes(), b"a\nold\nnew\n");
    }

    #[test]
    fn the_temporary_file_of_a_write_is_what_stale_temps_finds() {
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        let odd = std::os::unix::ffi::OsStrExt::from_bytes(b"ev\xffents.jsonl");
        #[cfg(not(unix))]
        let odd = std::ffi::OsStr::new("ev ents.jsonl");
        for name in [std::ffi::OsStr::new("events.jsonl"), odd] {
            let path = dir.path().join(name);
            let mut seen = Vec::new();
            write_atomic_with(
                &path,
                |out| out.write_all(b"a\n"),
                |temp| {
                    seen = stale_temps(&path);
                    assert_eq!(seen, [temp.to_path_buf()]);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen.len(), 1);
            assert!(stale_temps(&path).is_empty());
            // The summary's own files are not fetch's.
            let summary = AtomicFile::create(&path).unwrap();
            assert!(stale_temps(&path).is_empty());
            drop(summary);
        }
    }

    #[test]
    fn write_atomic_creates_parents_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/events.jsonl");
        write_atomic(&path, b"one\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        write_atomic(&path, b"one\ntwo\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one\ntwo\n");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("events.jsonl")]);
    }

    #[test]
    fn interrupted_write_leaves_old_archive_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, b"old 1\nold 2\n").unwrap();
        let mut temp_seen = None;
        let new = |out: &mut dyn Write| out.write_all(b"old 1\nold 2\nnew 3\n");
        let result = write_atomic_with(&path, new, |temp| {
            // The new content is complete in the temporary file...
            assert_eq!(fs::read(temp).unwrap(), b"old 1\nold 2\nnew 3\n");
            temp_seen = Some(temp.to_owned());
            // ...and the process "dies" before the rename.
            Err(io::Error::other("simulated crash before rename"))
        });
        let err = result.unwrap_err().to_string();
        assert!(err.starts_with(&format!("cannot write {}: simulated crash", path.display())));
        assert!(err.contains("the previous file, if any, is unchanged"));
        assert_eq!(fs::read(&path).unwrap(), b"old 1\nold 2\n");
        assert!(!temp_seen.unwrap().exists(), "temporary file is cleaned up");
    }

    /// A sidecar's record for the tests.
    fn a_sidecar() -> EtagSidecar {
        EtagSidecar {
            gist_id: "abc".into(),
            file: "f.jsonl".into(),
            etag: "\"1\"".into(),
            archive_sha256: "ab12".into(),
        }
    }

    /// A file's copy is its owner's alone until the commit gives it the
    /// file's mode (a review read a private archive's copy as another user).
    #[cfg(unix)]
    #[test]
    fn a_copy_is_private_while_it_is_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for own in [0o600, 0o644, 0o660] {
            let path = dir.path().join(format!("events-{own:o}.jsonl"));
            fs::write(&path, b"a\n").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(own)).unwrap();
            let file = AtomicFile::create(&path).unwrap();
            assert_eq!(mode(file.temp.path()), 0o600, "{own:o}");
            file.commit(|_| Ok(())).unwrap();
            assert_eq!(mode(&path), own);
        }
        // A new file gets the mode any new file gets; its copy is private.
        let probe = dir.path().join("probe");
        fs::File::create(&probe).unwrap();
        let new = dir.path().join("new.jsonl");
        let file = AtomicFile::create(&new).unwrap();
        assert_eq!(mode(file.temp.path()), 0o600);
        file.commit(|_| Ok(())).unwrap();
        assert_eq!(mode(&new), mode(&probe));
        // A new sidecar takes its archive's mode (a review: 0644 beside a
        // 0600 archive, the secret gist's ID in it).
        let archive = dir.path().join("events-600.jsonl");
        let sidecar = a_sidecar();
        let path = EtagSidecar::path_for(&archive);
        sidecar.save(&path, &archive).unwrap();
        assert_eq!(mode(&path), 0o600);
        // One there keeps its own.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        sidecar.save(&path, &archive).unwrap();
        assert_eq!(mode(&path), 0o640);
    }

    /// A file replaced keeps its group, and its owner when root replaces
    /// it (a review: a group's 0660 archive became the writer's, its group
    /// locked out). Root here (tests run as root), else skipped.
    #[cfg(unix)]
    #[test]
    fn a_file_replaced_keeps_its_owner_and_group() {
        use std::os::unix::fs::MetadataExt;
        if euid() != 0 {
            eprintln!("not root: skipped");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, b"a\n").unwrap();
        std::os::unix::fs::chown(&path, Some(65534), Some(4321)).unwrap();
        write_atomic(&path, b"a\nb\n").unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 4321));
        // A new sidecar beside it is theirs too.
        let sidecar = a_sidecar();
        let side = EtagSidecar::path_for(&path);
        sidecar.save(&side, &path).unwrap();
        let meta = fs::metadata(&side).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 4321));
    }

    /// `events.jsonl` in `dir` with the list of `setfacl -m
    /// u:65534:rw,g::-,o::OTHER` (its mask `rw`), and the list; `None`
    /// (the test skipped) where the file system keeps no lists.
    #[cfg(target_os = "linux")]
    fn a_file_with_a_list(dir: &Path, other: u16) -> Option<(PathBuf, Vec<u8>)> {
        use acl::{ANY, GROUP_OBJ, MASK, OTHER, USER, USER_OBJ};
        let path = dir.join("events.jsonl");
        fs::write(&path, b"a\n").unwrap();
        let list = acl::encode(&[
            (USER_OBJ, 6, ANY),
            (USER, 6, 65534),
            (GROUP_OBJ, 0, ANY),
            (MASK, 6, ANY),
            (OTHER, other, ANY),
        ]);
        match acl::set_path(&path, acl::ACCESS, &list) {
            Ok(()) => Some((path, list)),
            Err(e) => {
                eprintln!("no access lists here ({e}): skipped");
                None
            }
        }
    }

    /// A file replaced keeps its access list (a review found it lost:
    /// the mode's group bits, the list's mask, then gave the owning group
    /// the named user's `rw`), and a new file in a directory with a default
    /// list gets what a file made there by `open(2)` gets.
    #[cfg(target_os = "linux")]
    #[test]
    fn access_lists_are_kept_and_inherited() {
        use acl::{ANY, GROUP_OBJ, MASK, OTHER, USER, USER_OBJ};
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let Some((path, list)) = a_file_with_a_list(dir.path(), 4) else {
            return;
        };
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o664);
        write_atomic(&path, b"a\nb\n").unwrap();
        assert_eq!(acl::get(&path, acl::ACCESS), Some(list.clone()));
        assert_eq!(mode(&path), 0o664);
        // The sidecar takes the archive's.
        let side = EtagSidecar::path_for(&path);
        a_sidecar().save(&side, &path).unwrap();
        assert_eq!(acl::get(&side, acl::ACCESS), Some(list));

        // default:user:65534:rwx, default:group::r-x, default:other::r-x
        let shared = dir.path().join("shared");
        fs::create_dir(&shared).unwrap();
        let default = acl::encode(&[
            (USER_OBJ, 7, ANY),
            (USER, 7, 65534),
            (GROUP_OBJ, 5, ANY),
            (MASK, 7, ANY),
            (OTHER, 5, ANY),
        ]);
        // A file there without a list, made before the default was set.
        let plain = shared.join("plain.jsonl");
        fs::write(&plain, b"a\n").unwrap();
        fs::set_permissions(&plain, fs::Permissions::from_mode(0o640)).unwrap();
        acl::set_path(&shared, acl::DEFAULT, &default).unwrap();
        // Replaced, it takes no list from the default (a review: the copy
        // kept what it took, and the named user could read it).
        write_atomic(&plain, b"a\nb\n").unwrap();
        assert_eq!(acl::get(&plain, acl::ACCESS), None);
        assert_eq!(mode(&plain), 0o640);
        let probe = shared.join("probe");
        fs::File::create(&probe).unwrap();
        let new = shared.join("new.jsonl");
        let file = AtomicFile::create(&new).unwrap();
        // Private while written: the mask, the mode's group bits, is none.
        assert_eq!(mode(file.temp.path()), 0o600);
        file.commit(|_| Ok(())).unwrap();
        assert_eq!(mode(&new), mode(&probe));
        assert_eq!(acl::get(&new, acl::ACCESS), acl::get(&probe, acl::ACCESS));
        assert!(acl::get(&new, acl::ACCESS).is_some());
    }

    /// A sidecar on a file system without lists, beside a link to an
    /// archive with one, is written with a mode that allows no more than
    /// the list did (a review: setting the list failed, and the ETag was
    /// lost). Root here (a ramfs mount), else skipped.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_list_that_cannot_be_kept_gives_no_wider_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let Some((archive, _)) = a_file_with_a_list(dir.path(), 0) else {
            return;
        };
        let ram = dir.path().join("ram");
        fs::create_dir(&ram).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "ramfs", "ramfs"])
            .arg(&ram)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("mount is not available here: skipped");
            return;
        }
        struct Unmount<'a>(&'a Path);
        impl Drop for Unmount<'_> {
            fn drop(&mut self) {
                let _ = std::process::Command::new("umount").arg(self.0).status();
            }
        }
        let _unmount = Unmount(&ram);
        let side = ram.join("events.jsonl.etag");
        a_sidecar().save(&side, &archive).unwrap();
        let mode = fs::metadata(&side).unwrap().permissions().mode() & 0o777;
        // The owner's rw; the group's own entry, none (the mask's rw was
        // the named user's); others none.
        assert_eq!(mode, 0o600);
    }

    /// A file whose name is near the 255 bytes a name may have is replaced
    /// (its temporary file's name is kept short; a review: a 245-character
    /// name could not be), and a stopped fetch's file of such an archive is
    /// still found, never another's.
    #[cfg(unix)]
    #[test]
    fn a_long_name_is_replaced_and_its_stale_file_found() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        for len in [200, 245, 255] {
            let path = dir.path().join("e".repeat(len));
            fs::write(&path, b"a\n").unwrap();
            write_atomic(&path, b"a\nb\n").unwrap();
            assert_eq!(fs::read(&path).unwrap(), b"a\nb\n", "{len}");
        }
        let one = dir.path().join("x".repeat(250) + "1");
        let two = dir.path().join("x".repeat(250) + "2");
        let (p1, p2) = (temp_prefix(&one, FETCH_TAG), temp_prefix(&two, FETCH_TAG));
        assert_ne!(p1, p2);
        assert!(p1.len() + TEMP_RANDOM + ".tmp".len() <= 255, "{}", p1.len());
        let mut stale = p1.as_bytes().to_vec();
        stale.extend(b"aB3xY9.tmp");
        let stale = dir.path().join(std::ffi::OsStr::from_bytes(&stale));
        fs::write(&stale, b"c\n").unwrap();
        assert_eq!(stale_temps(&one), [stale]);
        assert_eq!(stale_temps(&two), Vec::<PathBuf>::new());
        // A short name keeps its whole name.
        assert_eq!(
            temp_prefix(Path::new("d/events.jsonl"), ""),
            ".events.jsonl."
        );
        // A name made as another's shortened form is shortened too, never
        // read as that one (a review: it took that one's stale file).
        let made = std::ffi::OsStr::from_bytes(&p1.as_bytes()[1..p1.len() - ".fetch-".len()]);
        let made = dir.path().join(made);
        assert_ne!(temp_prefix(&made, FETCH_TAG), p1);
        assert_eq!(stale_temps(&made), Vec::<PathBuf>::new());
        // A name of two-byte characters is cut between them, not inside one.
        let accents = dir.path().join(format!("x{}", "é".repeat(122)));
        let prefix = temp_prefix(&accents, FETCH_TAG);
        assert!(prefix.to_str().is_some(), "{prefix:?}");
        // A name of bytes that are no characters is cut at its room, not
        // back to nothing (a review: it then read as `~2761153b` kept whole).
        let bytes = dir.path().join(std::ffi::OsStr::from_bytes(&[0xB0; 240]));
        let prefix = temp_prefix(&bytes, FETCH_TAG);
        assert!(
            prefix.len() > 228 + ".~12345678.fetch-".len() - 3,
            "{prefix:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn write_atomic_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        fs::write(&path, b"a\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"a\nb\n").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn write_atomic_replaces_the_file_a_link_names_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        fs::create_dir(&store).unwrap();
        fs::write(store.join("events.jsonl"), b"a\n").unwrap();
        // A relative link, and one to a file not made yet.
        let link = dir.path().join("events.jsonl");
        std::os::unix::fs::symlink("store/events.jsonl", &link).unwrap();
        let dangling = dir.path().join("new.jsonl");
        std::os::unix::fs::symlink(store.join("new.jsonl"), &dangling).unwrap();

        write_atomic(&link, b"a\nb\n").unwrap();
        write_atomic(&dangling, b"c\n").unwrap();

        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(fs::read(store.join("events.jsonl")).unwrap(), b"a\nb\n");
        assert!(fs::symlink_metadata(&dangling).unwrap().is_symlink());
        assert_eq!(fs::read(store.join("new.jsonl")).unwrap(), b"c\n");
        // The lock is the file's, whichever name a fetch was given.
        let held = lock(&store.join("events.jsonl")).unwrap();
        assert!(matches!(lock(&link), Err(ArchiveError::Busy { .. })));
        drop(held);
        assert!(lock(&link).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_removed_by_a_failed_fetch_is_made_again_and_held_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("new/sub/events.jsonl");
        let lock_file = dir.path().join("new/sub/events.jsonl.lock");

        // A fetch that fails before its archive exists: the lock file and
        // the directories made for it go.
        let first = lock(&archive).unwrap();
        assert!(lock_file.exists());
        assert!(matches!(lock(&archive), Err(ArchiveError::Busy { .. })));
        drop(first);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        // A fetch that opened the lock file just before that: it locks
        // the file the path names now, not the removed one.
        let mut removed = 0;
        let held = lock_with(&archive, |file| {
            if removed == 0 {
                fs::remove_file(file).unwrap();
                removed += 1;
            }
        })
        .unwrap();
        assert_eq!(removed, 1);
        assert!(names(&lock_file, &held._file));
        assert!(matches!(lock(&archive), Err(ArchiveError::Busy { .. })));

        // Another fetch that takes the lock file this one just made before
        // this one locks it: this one is refused, and never registers the
        // file for a signal's clean-up, which would remove a lock file
        // another fetch holds.
        let archive2 = dir.path().join("two/events.jsonl");
        let lock2 = dir.path().join("two/events.jsonl.lock");
        let mut other = None;
        // (The hook runs under the signals' lock: it must not take it. A
        // signal now would wait for it: `None`, not `Some(true)`.)
        let busy = lock_with(&archive2, |file| {
            assert_ne!(crate::interrupt::lock_registered_now(file), Some(true));
            let f = fs::File::open(file).unwrap();
            f.try_lock().unwrap();
            other = Some(f);
        });
        assert!(matches!(busy, Err(ArchiveError::Busy { .. })), "{busy:?}");
        assert!(other.is_some());
        assert!(!crate::interrupt::lock_registered(&lock2));
        drop(other);
        // The lock file the other fetch held stays.
        assert!(lock2.exists());
        fs::remove_dir_all(dir.path().join("two")).unwrap();
        // One this fetch made and holds is registered until dropped.
        let archive3 = dir.path().join("three/events.jsonl");
        let lock3 = dir.path().join("three/events.jsonl.lock");
        let taken = lock(&archive3).unwrap();
        assert!(crate::interrupt::lock_registered(&lock3));
        drop(taken);
        assert!(!crate::interrupt::lock_registered(&lock3));
        assert!(!dir.path().join("three").exists());

        // A lock file that cannot be made (its name is too long for the
        // file system): the directories made for it go too.
        let long = dir.path().join(format!("four/sub/{}", "e".repeat(252)));
        assert!(matches!(lock(&long), Err(ArchiveError::Lock { .. })));
        assert!(!dir.path().join("four").exists());

        // A lock file that is a link into a directory that does not exist
        // cannot be opened: the error says what it may be.
        fs::create_dir(dir.path().join("five")).unwrap();
        std::os::unix::fs::symlink("nodir/x", dir.path().join("five/events.jsonl.lock")).unwrap();
        let err = lock(&dir.path().join("five/events.jsonl"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is it a link into a directory that does not exist?"),
            "{err}"
        );
        assert!(!dir.path().join("five/nodir").exists());

        // Once the archive exists, the lock file stays; so does one that was
        // there before.
        fs::write(&archive, b"a\n").unwrap();
        drop(held);
        assert!(lock_file.exists());
        fs::remove_file(&archive).unwrap();
        drop(lock(&archive).unwrap());
        assert!(lock_file.exists());
    }

    /// A path that can only name a directory is refused before anything is
    /// made (`new/` and `new/.lock` were left by a fetch that failed after
    /// its download); a compressed archive is refused, not added to.
    #[test]
    fn a_directory_path_or_a_compressed_archive_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for given in ["new/", "new/sub/", "new/..", "new/.", "new/sub/."] {
            let path = dir.path().join(given);
            let err = lock(&path).map(drop).unwrap_err();
            assert!(
                err.to_string().contains("it names a directory"),
                "{given}: {err}"
            );
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        let gz = dir.path().join("events.jsonl.gz");
        fs::write(&gz, b"\x1f\x8b\x08\x00rest").unwrap();
        let err = Archive::load(&gz).map(drop).unwrap_err();
        assert!(err.to_string().contains("is gzip-compressed"), "{err}");
        // Re-saved as UTF-16 (Notepad's "Unicode"): UTF-8 lines appended to
        // it would mix two encodings (a review).
        let utf16 = dir.path().join("utf16.jsonl");
        fs::write(&utf16, b"\xff\xfe{\0}\0\n\0").unwrap();
        let err = Archive::load(&utf16).map(drop).unwrap_err().to_string();
        assert!(
            err.contains("is UTF-16 text: fetch adds lines of UTF-8 text to it; convert it first"),
            "{err}"
        );
        // A first line of text that starts as bzip2's magic does is text (a
        // review: fetch archived it, then refused its own archive for good).
        let bzh = dir.path().join("bzh.jsonl");
        fs::write(&bzh, b"BZh9 not compressed\n{\"event\": \"x\"}\n").unwrap();
        assert_eq!(Archive::load(&bzh).unwrap().len(), 2);
    }

    /// A FIFO, a socket or a link loop where the archive goes is refused
    /// before a lock file is made: a FIFO's open waited forever for a
    /// writer, a loop's lock file was left (a review).
    #[cfg(unix)]
    #[test]
    fn no_file_and_a_link_loop_are_refused_before_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.jsonl");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let socket = dir.path().join("socket.jsonl");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        std::os::unix::fs::symlink("loop2", dir.path().join("loop1")).unwrap();
        std::os::unix::fs::symlink("loop1", dir.path().join("loop2")).unwrap();
        // Past the kernel's 40 links, and to a directory's name (a review:
        // `c40.lock`, `gone/.lock` were left).
        for n in 0..41 {
            std::os::unix::fs::symlink(format!("c{}", n + 1), dir.path().join(format!("c{n}")))
                .unwrap();
        }
        fs::write(dir.path().join("c41"), b"").unwrap();
        std::os::unix::fs::symlink("gone/", dir.path().join("t")).unwrap();
        for (name, says) in [
            ("fifo.jsonl", "it is a FIFO (named pipe), not a file"),
            ("socket.jsonl", "it is a socket, not a file"),
            ("loop1", "too many levels of symbolic links"),
            ("c0", "too many levels of symbolic links"),
            ("t", "gone/, a directory's name"),
        ] {
            let err = lock(&dir.path().join(name)).map(drop).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(says), "{name}: {text}");
            assert!(
                text.contains("check the path given with -o/--output"),
                "{text}"
            );
        }
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.retain(|name| !name.starts_with('c'));
        left.sort();
        assert_eq!(left, ["fifo.jsonl", "loop1", "loop2", "socket.jsonl", "t"]);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 47);
        // One put there after the lock's check is read without waiting for
        // a writer (a review: the fetch hung).
        let err = Archive::load(&fifo).map(drop).unwrap_err().to_string();
        assert!(
            err.contains("it is a FIFO (named pipe), not a file"),
            "{err}"
        );
        // Nor is a FIFO where the sidecar is (a review: the fetch hung).
        assert_eq!(EtagSidecar::load(&fifo), None);
        assert!(!EtagSidecar::is_foreign(&fifo));
    }

    /// A lock file there is opened read only: another user's, readable
    /// only, locks too (a review: root's lock file refused the next fetch
    /// of the archive's owner). An immutable one stands for it here, which
    /// root cannot open to write either.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_lock_file_that_cannot_be_written_still_locks() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("events.jsonl");
        fs::write(&archive, b"a\n").unwrap();
        let lock_file = dir.path().join("events.jsonl.lock");
        fs::write(&lock_file, b"").unwrap();
        let chattr = |flag: &str| {
            std::process::Command::new("chattr")
                .arg(flag)
                .arg(&lock_file)
                .status()
                .is_ok_and(|s| s.success())
        };
        if !chattr("+i") {
            eprintln!("chattr +i is not available here: skipped");
            return;
        }
        let held = lock(&archive);
        assert!(chattr("-i"));
        let held = held.unwrap();
        // And it excludes a second fetch.
        assert!(matches!(lock(&archive), Err(ArchiveError::Busy { .. })));
        drop(held);
    }

    /// Only the levels a lock made go with it: through `..`, an existing
    /// directory is not one (a review found `x/../e/y` removing `e`); and a
    /// lock file that is a link to a missing file is made, as before.
    #[cfg(unix)]
    #[test]
    fn a_lock_removes_only_the_directories_it_made() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("e")).unwrap();
        let archive = dir.path().join("x/../e/y/events.jsonl");
        drop(lock(&archive).unwrap());
        assert!(
            dir.path().join("e").is_dir(),
            "an existing directory was removed"
        );
        assert!(!dir.path().join("x").exists() && !dir.path().join("e/y").exists());

        let link = dir.path().join("e/events.jsonl.lock");
        std::os::unix::fs::symlink("target.lock", &link).unwrap();
        let held = lock(&dir.path().join("e/events.jsonl")).unwrap();
        assert!(dir.path().join("e/target.lock").is_file());
        drop(held);
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    }

    #[test]
    fn etag_sidecar_round_trip_and_scope() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("events.jsonl");
        let path = EtagSidecar::path_for(&archive);
        assert_eq!(path, dir.path().join("events.jsonl.etag"));
        assert_eq!(EtagSidecar::load(&path), None);
        let sidecar = EtagSidecar {
            gist_id: "abc".into(),
            file: "f.jsonl".into(),
            etag: "W/\"123\"".into(),
            archive_sha256: "ab12".into(),
        };
        sidecar.save(&path, &archive).unwrap();
        let loaded = EtagSidecar::load(&path).unwrap();
        assert_eq!(loaded, sidecar);
        assert_eq!(loaded.etag_for("abc", "f.jsonl", "ab12"), Some("W/\"123\""));
        assert_eq!(loaded.etag_for("other", "f.jsonl", "ab12"), None);
        assert_eq!(loaded.etag_for("abc", "other.jsonl", "ab12"), None);
        assert_eq!(loaded.etag_for("abc", "f.jsonl", "cd34"), None);
        // A sidecar from before the archive's hash was kept matches no archive.
        fs::write(
            &path,
            br#"{"gist_id": "abc", "file": "f.jsonl", "etag": "W/\"123\""}"#,
        )
        .unwrap();
        let old = EtagSidecar::load(&path).unwrap();
        assert_eq!(old.etag_for("abc", "f.jsonl", ""), None);
        assert_eq!(old.etag_for("abc", "f.jsonl", "ab12"), None);
        fs::write(&path, b"garbage").unwrap();
        assert_eq!(EtagSidecar::load(&path), None);
        EtagSidecar::remove(&path).unwrap();
        EtagSidecar::remove(&path).unwrap();
        assert!(!path.exists());
    }
}
