//! Writing a set of files into a directory so that a failure leaves the
//! directory as it was: `report --out` and `summary --charts`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// What to do with files of an earlier run in the directory that this run
/// does not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Earlier {
    /// Leave every other file alone (`--charts DIR` may be any directory).
    Keep,
    /// Remove the files this command writes kinds of (the report's top-level
    /// files, `charts/*.svg|png`, `data/*.csv`) that this run did not write:
    /// a chart of a table now withheld, or the breakdowns of a quarter that
    /// is now totals only, must not stay published beside the new report.
    RemoveStale,
}

/// Writes `files` (paths relative to `dir`, `/`-separated) into `dir`: all
/// of them first into a new directory beside it, so that a failure (a full
/// disk, say) leaves `dir` as it was, then moved into place, each by a
/// rename (`dir` itself when it did not exist). `flag` names the option
/// that gave `dir`, for messages.
pub fn write_all(
    dir: &Path,
    files: Vec<(String, Vec<u8>)>,
    earlier: Earlier,
    flag: &str,
) -> anyhow::Result<()> {
    let shown = || format!("{flag} {}", dir.display());
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)
        .with_context(|| format!("{}: cannot create the directory", shown()))?;
    let name = dir
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    // Moved into place as DIR when DIR is new: it has the mode any new
    // directory gets (0777 less the umask; a test pins it).
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempdir_in(parent)
        .with_context(|| format!("{}: cannot create a directory beside it", shown()))?;
    let mut written = BTreeSet::new();
    for (rel, bytes) in files {
        let path = staging.path().join(&rel);
        if let Some(sub) = path.parent() {
            fs::create_dir_all(sub)
                .with_context(|| format!("{}: cannot create {}", shown(), sub.display()))?;
        }
        fs::write(&path, bytes).with_context(|| format!("writing {}", dir.join(&rel).display()))?;
        written.insert(rel);
    }
    if !dir.exists() {
        fs::rename(staging.path(), dir)
            .with_context(|| format!("{}: cannot move it into place", shown()))?;
        // The staging directory is `dir` now: nothing left to remove.
        let _ = staging.keep();
        return Ok(());
    }
    anyhow::ensure!(
        dir.is_dir(),
        "{} is not a directory: choose another path",
        shown()
    );
    // What a rename could not replace is found before anything is moved.
    if let Some(rel) = written.iter().find(|rel| dir.join(rel).is_dir()) {
        anyhow::bail!(
            "{}: {} is a directory, where this run writes a file: remove it or choose another path",
            shown(),
            dir.join(rel).display()
        );
    }
    for rel in &written {
        let to = dir.join(rel);
        if let Some(sub) = to.parent() {
            fs::create_dir_all(sub)
                .with_context(|| format!("{}: cannot create {}", shown(), sub.display()))?;
        }
        fs::rename(staging.path().join(rel), &to)
            .with_context(|| format!("{}: cannot move {rel} into place", shown()))?;
    }
    if earlier == Earlier::RemoveStale {
        for stale in stale_files(dir, &written) {
            fs::remove_file(&stale).with_context(|| {
                format!("{}: cannot remove the earlier {}", shown(), stale.display())
            })?;
        }
    }
    Ok(())
}

/// Files of an earlier report in `dir` that `written` does not hold: the
/// report's top-level files, `charts/*.svg`, `charts/*.png`, `data/*.csv`.
fn stale_files(dir: &Path, written: &BTreeSet<String>) -> Vec<PathBuf> {
    const TOP: [&str; 4] = [
        "report.md",
        "report.html",
        "summary.json",
        "sample-events.json",
    ];
    let mut stale: Vec<PathBuf> = TOP
        .iter()
        .filter(|name| !written.contains(**name))
        .map(|name| dir.join(name))
        .filter(|p| p.is_file())
        .collect();
    for (sub, exts) in [("charts", &["svg", "png"][..]), ("data", &["csv"][..])] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = path
                .extension()
                .is_some_and(|e| exts.iter().any(|x| e == *x));
            if ours && path.is_file() && !written.contains(&format!("{sub}/{name}")) {
                stale.push(path);
            }
        }
    }
    stale.sort();
    stale
}
