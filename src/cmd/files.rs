//! Writing a set of files into a directory so that a failure leaves the
//! directory as it was: `report --out` and `summary --charts`.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::source::archive::{create_dirs, parent_dir, sync_dir, write_advice};

/// What to do with files of an earlier run in the directory that this run
/// does not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Earlier {
    /// Leave every other file alone (`--charts DIR` may be any directory).
    Keep,
    /// Remove the files the earlier run listed in [`MANIFEST`] that this run
    /// does not write (a chart of a table now withheld, the breakdowns of a
    /// quarter now totals only must not stay published beside the new
    /// report), and list this run's: no other file is touched.
    RemoveStale,
}

/// The list of the files a report wrote into its directory, one relative
/// path a line, kept there for the next report into it.
pub const MANIFEST: &str = ".jmo-analyze-files";

/// Refuses `-` as the directory `flag` gives, before any work: it is stdout
/// for `summary --output`, and here it made a directory named `-` (a
/// review). A usage error, as clap's own (exit 2).
pub fn check_dir_flag(dir: &Path, flag: &str) -> anyhow::Result<()> {
    if dir == Path::new("-") {
        return Err(super::usage(
            clap::error::ErrorKind::ValueValidation,
            &format!(
                "{flag} - names a directory, and `-` is no stdout here: give a directory's path \
                 (./- for one named -)"
            ),
        ));
    }
    Ok(())
}

/// Writes `files` (paths relative to `dir`, `/`-separated) into `dir`: all
/// of them first into a new directory (inside `dir` when it exists, so that
/// the renames stay on its file system; else beside it), so that a failure
/// (a full disk, say) leaves `dir` as it was, then moved into place, each
/// by a rename (`dir` itself when it did not exist). `flag` names the
/// option that gave `dir`, for messages.
///
/// No file of `protected` (a path and what it is, for messages: the run's
/// input, its `--output`) is replaced or removed: such a run fails before
/// anything is written (a review: `report FILE --out DIR` with FILE at
/// `DIR/summary.json` replaced the events with the report).
pub fn write_all(
    dir: &Path,
    mut files: Vec<(String, Vec<u8>)>,
    earlier: Earlier,
    flag: &str,
    protected: &[(&Path, &str)],
) -> anyhow::Result<()> {
    let shown = || format!("{flag} {}", dir.display());
    let exists = dir.exists();
    // A DIR through `..` (`R/charts/..`) is its directory's own path: the
    // files are written and the stale ones removed there, not through a
    // subdirectory this run may remove (a review: a report that drew no
    // chart removed `R/charts/`, then could not sync `R/charts/..`).
    // One ending in `..` of a directory that is not there cannot be moved
    // into place (a review: "Device or resource busy", and advice to check
    // a directory that was there).
    if !exists && dir.components().next_back() == Some(std::path::Component::ParentDir) {
        anyhow::bail!(
            "{}: {} does not exist, and the `..` after it needs it: give the directory's own \
             path",
            shown(),
            parent_dir(dir).display()
        );
    }
    let real;
    let dir = if exists
        && dir
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    {
        real = fs::canonicalize(dir).map_err(|e| anyhow::anyhow!("{}: {e}", shown()))?;
        real.as_path()
    } else {
        dir
    };
    anyhow::ensure!(
        !exists || dir.is_dir(),
        "{} is not a directory: choose another path",
        shown()
    );
    let listed = match earlier {
        Earlier::RemoveStale if exists => {
            fs::read_to_string(dir.join(MANIFEST)).unwrap_or_default()
        }
        _ => String::new(),
    };
    let written = (files.iter().map(|(rel, _)| rel.as_str()))
        .chain((earlier == Earlier::RemoveStale).then_some(MANIFEST))
        .map(|rel| (dir.join(rel), "replace"));
    // What a listed line would remove, as the removal reads it (a review:
    // `mine.jsonl/` was checked as written, and removed as `mine.jsonl`).
    let removed = (listed.lines())
        .filter(|rel| !files.iter().any(|(written, _)| written == rel))
        .filter_map(|rel| own_file(dir, rel))
        .map(|path| (path, "remove"));
    let nothing_written = |why: String| {
        anyhow::anyhow!(
            "{}: {why}: nothing is written; choose another directory",
            shown()
        )
    };
    // An earlier file listed through what is a link now is neither removed
    // nor listed again: it would stay published, unsaid (a review: every
    // chart withheld, `charts/` a link).
    if let Some(why) = listed
        .lines()
        .find_map(|rel| link_on_the_way(dir, &dir.join(rel)))
    {
        return Err(nothing_written(why));
    }
    for (target, how) in written.chain(removed) {
        if let Some((_, what)) = protected.iter().find(|(p, _)| same_path(&target, p)) {
            anyhow::bail!(
                "{}: {} is {what}, which this run would {how}: choose another directory",
                shown(),
                crate::source::local::shown(&target),
            );
        }
        if let Some(why) = blocked(dir, &target) {
            return Err(nothing_written(why));
        }
        // A read-only file is left as `summary -o` leaves one (a review:
        // a report's hand-edited, read-only report.md was replaced). A
        // link is replaced, never what it names: its target's mode
        // does not count.
        if let Ok(meta) = fs::symlink_metadata(&target)
            && meta.is_file()
            && crate::source::archive::not_writable(&target, &meta)
        {
            anyhow::bail!(
                "{}: {} is read-only, which this run would {how}: nothing is written; make it \
                 writable for this user, or choose another directory",
                shown(),
                crate::source::local::shown(&target),
            );
        }
    }
    let staging_in = if exists { dir } else { parent_dir(dir) };
    // A file or a link to nothing on the way is named (a review: "File
    // exists (os error 17)", and for a link to nothing "Not a directory").
    let in_the_way = std::iter::once(dir)
        .chain(staging_in.ancestors())
        .find(|a| !a.as_os_str().is_empty() && a.symlink_metadata().is_ok());
    if let Some(at) = in_the_way {
        match fs::metadata(at) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
                "{}: {} is a link to nothing: choose another path, or make what it links to",
                shown(),
                at.display()
            ),
            // A loop of links, a target this user cannot reach (a review:
            // both were called a link to nothing).
            Err(err) => anyhow::bail!(
                "{}: {} cannot be followed ({err}): choose another path",
                shown(),
                at.display()
            ),
            Ok(_) => {}
        }
        anyhow::ensure!(
            at == dir || at.is_dir(),
            "{}: {} is a file, not a directory: choose another path",
            shown(),
            at.display()
        );
    }
    // Until the files move in, what cannot be made or written is named
    // (as it will be called, not its hidden staging path), with its file
    // system's advice (reviews: a full disk's error came without advice; a
    // file system out of inodes said "cannot create a directory to write
    // in: No space left on device", and once named the staging directory).
    let cannot = |what: String, e: std::io::Error| {
        anyhow::anyhow!(
            "{}: cannot {what}: {e}; nothing is written. {}, or choose another directory",
            shown(),
            write_advice(&e)
        )
    };
    // Removed again, if empty, when the run fails (a review: "nothing is
    // written", and `a/b/` were left); declared before the staging
    // directory, so that they go after it.
    let mut made = MadeDirs::default();
    made.make_all(staging_in, &mut crate::interrupt::hold())
        .map_err(|e| cannot(format!("create {}", staging_in.display()), e))?;
    // Named after DIR (`out` for a DIR such as `..`), its name kept short
    // enough to be one.
    let named = match dir.file_name() {
        Some(_) => dir,
        None => Path::new("out"),
    };
    // Moved into place as DIR when DIR is new: it has the mode any new
    // directory gets (0777 less the umask; a test pins it).
    // Removed by a signal that ends the run too (Ctrl-C left it in DIR):
    // made and registered under the clean-up's lock, so no signal comes
    // between.
    let mut held = crate::interrupt::hold();
    let dir_made = tempfile::Builder::new()
        .prefix(&crate::source::archive::temp_prefix(named, ""))
        .suffix(".tmp")
        .tempdir_in(staging_in)
        .map_err(|e| {
            cannot(
                format!("create a directory in {} to write in", staging_in.display()),
                crate::source::archive::without_temp_path(e),
            )
        })?;
    let mut staging = Staging {
        _pending: held.register(dir_made.path()),
        dir: Some(dir_made),
    };
    drop(held);
    if earlier == Earlier::RemoveStale {
        let mut list: Vec<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
        list.sort_unstable();
        let text: String = list.iter().map(|rel| format!("{rel}\n")).collect();
        files.push((MANIFEST.to_owned(), text.into_bytes()));
    }
    let mut written = BTreeSet::new();
    for (rel, bytes) in files {
        let path = staging.path().join(&rel);
        // A signal waits for this file: its clean-up then finds the whole
        // staging directory to remove, nothing made after it looked.
        let held = crate::interrupt::hold();
        if let (Some(sub), Some(shown_sub)) = (path.parent(), dir.join(&rel).parent()) {
            fs::create_dir_all(sub)
                .map_err(|e| cannot(format!("create {}", shown_sub.display()), e))?;
        }
        write_synced(&path, &bytes)
            .map_err(|e| cannot(format!("write {}", dir.join(&rel).display()), e))?;
        drop(held);
        written.insert(rel);
    }
    // Each file's bytes are on disk before its rename, and each renaming
    // directory is synced after: a crash (a power cut) leaves the old
    // report or the new one, never empty files under the new names.
    let synced = |sub: &Path| {
        sync_dir(sub).with_context(|| format!("{}: cannot sync {}", shown(), sub.display()))
    };
    // From here to the end a signal waits: it never removes the staging
    // directory while it is being moved, or emptied, into place.
    let mut held = crate::interrupt::hold();
    if !exists {
        for sub in subdirs(staging.path(), &written) {
            synced(&sub)?;
        }
        // Nothing is in place yet: a name too long (the staging directory's
        // is kept short) fails here.
        fs::rename(staging.path(), dir).map_err(|e| cannot("move it into place".into(), e))?;
        // The staging directory is `dir` now: nothing left to remove.
        let _ = staging.dir.take().map(tempfile::TempDir::keep);
        return synced(staging_in);
    }
    // What a rename could not replace, and a file where a directory must
    // be, are found before anything is moved.
    for rel in &written {
        let to = dir.join(rel);
        // A link is replaced as a link, even one to a directory.
        if fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir()) {
            anyhow::bail!(
                "{}: {} is a directory, where this run writes a file: remove it or choose \
                 another path",
                shown(),
                to.display()
            );
        }
        let mut up = to.parent();
        while let Some(sub) = up.filter(|sub| *sub != dir) {
            if sub.exists() && !sub.is_dir() {
                anyhow::bail!(
                    "{}: {} is not a directory, where this run writes its files: remove it or \
                     choose another path",
                    shown(),
                    sub.display()
                );
            }
            up = sub.parent();
        }
    }
    // The directories the files move into are made before any file moves
    // (a review: inodes ran out making `data/` after `charts/` had moved
    // in, half a report with no list of its files).
    for sub in subdirs(dir, &written) {
        made.make_all(&sub, &mut held)
            .map_err(|e| cannot(format!("create {}", sub.display()), e))?;
    }
    // The list last, after the earlier files are gone: until it is in
    // place, the earlier one names what the next run must remove, should
    // this one stop halfway.
    let (list, rest): (Vec<&String>, Vec<&String>) =
        written.iter().partition(|rel| rel.as_str() == MANIFEST);
    let move_in = |rel: &str| -> anyhow::Result<()> {
        let to = dir.join(rel);
        if let Some(sub) = to.parent() {
            fs::create_dir_all(sub)
                .with_context(|| format!("{}: cannot create {}", shown(), sub.display()))?;
        }
        fs::rename(staging.path().join(rel), &to)
            .with_context(|| format!("{}: cannot move {rel} into place", shown()))
    };
    for rel in rest {
        move_in(rel)?;
    }
    let mut emptied = BTreeSet::new();
    for rel in listed.lines().filter(|rel| !written.contains(*rel)) {
        if let Some(stale) = own_file(dir, rel) {
            fs::remove_file(&stale).with_context(|| {
                format!("{}: cannot remove the earlier {}", shown(), stale.display())
            })?;
            emptied.extend(
                stale
                    .parent()
                    .filter(|sub| *sub != dir)
                    .map(Path::to_path_buf),
            );
        }
    }
    // A directory those files leave empty (`charts/` beside a report that
    // is totals only) goes with them; one holding anything else stays. The
    // deepest first, so that a parent emptied by its child goes too.
    for sub in emptied.iter().rev() {
        let mut up = Some(sub.as_path());
        while let Some(level) = up.filter(|level| *level != dir && level.starts_with(dir)) {
            if fs::remove_dir(level).is_err() {
                break;
            }
            up = level.parent();
        }
    }
    // The list goes in even when a sync failed: the files are in place,
    // and the earlier list would leave this run's files out of the next
    // run's removals. The first failure is told after.
    let unsynced = subdirs(dir, &written)
        .iter()
        .map(|sub| synced(sub))
        .find(Result::is_err);
    for rel in list {
        move_in(rel)?;
    }
    unsynced.unwrap_or(Ok(())).and(synced(dir))
}

/// What stops a run from putting a file at `target` (inside `dir`) or
/// removing it, known before anything is written (a review: found only
/// when that file's turn came, after earlier files were replaced, so a
/// failed run left a mixed report): a symbolic link where a directory of
/// the run's is (its files would land where the link points, outside
/// `dir`, and a stale one there stay), a directory this user cannot write
/// in, a sticky one (`/tmp`'s mode) where `target` is another user's.
fn blocked(dir: &Path, target: &Path) -> Option<String> {
    if let Some(why) = link_on_the_way(dir, target) {
        return Some(why);
    }
    #[cfg(target_os = "linux")]
    {
        use crate::source::archive::{
            access, attributes_forbid, read_only_file_system, rename_forbidden,
        };
        use std::os::unix::fs::MetadataExt as _;
        // The nearest that exists (`.` for a relative path's first: a
        // review found `--out new` in a directory not writable passed).
        let parent = target
            .ancestors()
            .skip(1)
            .map(|a| {
                if a.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    a
                }
            })
            .find(|a| fs::symlink_metadata(a).is_ok())?;
        // A file on the way is named by the checks after this one.
        let parent_meta = fs::metadata(parent).ok().filter(fs::Metadata::is_dir)?;
        // `chattr +i` or `+a`, a sticky directory: a rename or removal fails
        // whatever the mode (a review: found halfway). An immutable
        // directory, or one on a file system mounted read-only, is no more
        // writable by `access` either, and said as what it is (reviews:
        // "cannot write in" sent the user to chmod);
        // a sticky one after its mode (a review: the sticky bit was blamed
        // in one this user could not write in at all).
        let forbidden = rename_forbidden(parent, &parent_meta, target);
        if !access(parent, libc::W_OK | libc::X_OK)
            && !attributes_forbid(parent, true)
            && read_only_file_system(parent).is_none()
        {
            return Some(format!(
                "{} is a directory this user cannot write in",
                parent.display()
            ));
        }
        if let Some(why) = forbidden {
            return Some(why);
        }
        // Another file system mounted inside DIR: no rename reaches it from
        // the directory the files are written in first (a review: "Invalid
        // cross-device link", halfway).
        if let Ok(d) = fs::metadata(dir)
            && d.dev() != parent_meta.dev()
        {
            return Some(format!(
                "{} is another file system (mounted inside {}), where no file can be moved",
                parent.display(),
                dir.display()
            ));
        }
    }
    None
}

/// A symbolic link between `dir` and `target` (a directory of the run's
/// own that is a link), said as [`blocked`] says it.
fn link_on_the_way(dir: &Path, target: &Path) -> Option<String> {
    let mut up = target.parent();
    while let Some(sub) = up.filter(|sub| *sub != dir && sub.starts_with(dir)) {
        if fs::symlink_metadata(sub).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(format!(
                "{} is a symbolic link, where this run writes into a directory of its own",
                sub.display()
            ));
        }
        up = sub.parent();
    }
    None
}

/// The directory the files are written into first. Its fields drop in
/// order: the directory is removed before a signal's clean-up forgets it
/// (a signal in between left it in DIR).
struct Staging {
    /// `None` once moved into place as DIR.
    dir: Option<tempfile::TempDir>,
    _pending: crate::interrupt::Pending,
}

impl Staging {
    fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .map_or(Path::new(""), tempfile::TempDir::path)
    }
}

/// Directories a run made, removed when dropped if they are empty (the
/// deepest first): those of a run that failed. A run that succeeds leaves
/// none empty. A signal that ends the run removes them too (a review: a
/// Ctrl-C left `a/b/`).
#[derive(Default)]
struct MadeDirs(Vec<(PathBuf, crate::interrupt::Pending)>);

impl MadeDirs {
    /// Makes `dir` and the directories missing on the way to it (as a
    /// fetch makes its lock's, [`create_dirs`]), each registered under
    /// `held`, the signals' lock, so no signal comes between.
    fn make_all(&mut self, dir: &Path, held: &mut crate::interrupt::Held) -> std::io::Result<()> {
        let mut made = Vec::new();
        let result = create_dirs(dir, &mut made);
        for level in made {
            let pending = held.remove_if_empty_on_signal(&level);
            self.0.push((level, pending));
        }
        result
    }
}

impl Drop for MadeDirs {
    fn drop(&mut self) {
        for (dir, _) in self.0.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Writes `bytes` to a new file at `path` and waits until they are on disk.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `dir` and every directory under it that holds one of `files`.
fn subdirs(dir: &Path, files: &BTreeSet<String>) -> BTreeSet<PathBuf> {
    files
        .iter()
        .filter_map(|rel| dir.join(rel).parent().map(Path::to_path_buf))
        .chain([dir.to_path_buf()])
        .collect()
}

/// `dir/rel` when it is a regular file reached without leaving `dir`: `rel`
/// relative, of plain names, no symbolic link on the way or at its end (a
/// manifest is a file anyone could edit).
fn own_file(dir: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    let plain = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain || rel.as_os_str().is_empty() {
        return None;
    }
    let mut path = dir.to_path_buf();
    for part in rel.components() {
        path.push(part);
        let meta = fs::symlink_metadata(&path).ok()?;
        if meta.file_type().is_symlink() {
            return None;
        }
    }
    fs::symlink_metadata(&path)
        .ok()
        .filter(|m| m.is_file())
        .map(|_| path)
}

/// Whether `output` names the input: the file `input`, or for `-` the file
/// stdin reads (`summary - -o F < F`).
pub(crate) fn is_input(output: &Path, input: &Path) -> bool {
    let Ok(out) = std::fs::metadata(output) else {
        return false;
    };
    if input != Path::new("-") {
        return std::fs::metadata(input).is_ok_and(|inp| same_file(&out, &inp, output, input));
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        let Ok(fd) = stdin.as_fd().try_clone_to_owned() else {
            return false;
        };
        std::fs::File::from(fd)
            .metadata()
            .is_ok_and(|inp| inp.is_file() && same_file(&out, &inp, output, output))
    }
    #[cfg(not(unix))]
    false
}

/// Whether two files' metadata are of one file (through links, `..` or a
/// second hard link); off Unix, by their canonical paths.
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata, pa: &Path, pb: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = (pa, pb);
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        std::fs::canonicalize(pa).ok() == std::fs::canonicalize(pb).ok()
    }
}

/// Whether `target`, a path a run would write or remove, is `protected`: the
/// same file (through links, `..`, a second hard link; for `-`, the file
/// stdin reads), or the same path once the directories on the way that
/// exist are resolved (a file not made yet).
pub(crate) fn same_path(target: &Path, protected: &Path) -> bool {
    is_input(target, protected)
        || (protected != Path::new("-")
            && resolved(target).is_some_and(|t| resolved(protected) == Some(t)))
}

/// `path` made absolute, its longest part that exists resolved through its
/// links, and the rest (plain names only) put back; `None` for a part that
/// does not exist and is not a plain name (`..` past it).
///
/// A link to nothing is followed to where it points (a review: `-o L` with
/// L a link to the chart directory not made yet passed for another path).
fn resolved(path: &Path) -> Option<PathBuf> {
    resolved_within(path, 40)
}

/// [`resolved`], following at most `links` links to nothing.
fn resolved_within(path: &Path, links: u32) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(at) {
            return Some(rest.iter().rev().fold(real, |out, name| out.join(name)));
        }
        if let Ok(target) = fs::read_link(at) {
            let pointed = at.parent()?.join(target);
            let pointed = rest.iter().rev().fold(pointed, |out, name| out.join(name));
            return resolved_within(&pointed, links.checked_sub(1)?);
        }
        match at.components().next_back()? {
            std::path::Component::Normal(name) => rest.push(name.to_owned()),
            _ => return None,
        }
        at = at.parent()?;
    }
}
