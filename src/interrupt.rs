//! What an interrupted run leaves behind: the temporary files and
//! directories it registers here (`summary -o`'s and the archive's file
//! written beside the one it replaces, `report --out`'s and `--charts`'
//! staging directory, `fetch --history`'s clone) are removed when the
//! process gets SIGINT (Ctrl-C), SIGTERM or SIGHUP, which then ends it as
//! the signal would have (a shell still sees it killed by the signal).
//!
//! - A signal the process inherited as ignored (`nohup`, a background job
//!   of a script) stays ignored: no handler is installed for it.
//! - The clean-up and the run's own moves of those paths never overlap:
//!   the run holds [`hold`]'s lock while it writes into a registered
//!   directory or moves a registered path into place, and the clean-up
//!   takes the same lock and keeps it until the process ends. So a signal
//!   leaves either the earlier output or the new one whole, as before, and
//!   no temporary.
//! - A child process the run registered (`git clone`, `git cat-file`) is
//!   sent SIGTERM first, with the processes it started (its own process
//!   group): a `kill` of this process alone left git writing into the
//!   clone directory the clean-up removed, and git's `remote-https`
//!   downloading.
//! - SIGKILL cannot be caught: it leaves them, as does a platform other
//!   than Linux.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// What a signal's clean-up undoes.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    /// A path to remove.
    Path(PathBuf),
    /// A child process, the leader of its own process group, to stop
    /// (SIGTERM to the group) first: it may be writing into a registered
    /// directory.
    Child(u32),
    /// A directory the run made on the way to its files, to remove after
    /// the paths while it is empty (the last registered first).
    EmptyDir(PathBuf),
    /// A lock file the run made, and the directories it made for it
    /// (outermost first), to remove after the paths, as the run does when
    /// it ends without the file the lock guards: only while that file
    /// does not exist, and each directory only while empty.
    Lock {
        guarded: PathBuf,
        lock: PathBuf,
        dirs: Vec<PathBuf>,
    },
}

/// What to undo on a signal, each under the number of its guard.
static PENDING: Mutex<Vec<(u64, Entry)>> = Mutex::new(Vec::new());
/// The next guard's number.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Removes its path from the list when dropped (once the run has put the
/// file in place, or removed it itself: keep it beside the path's own
/// guard and after it, so that the path is removed before it is
/// forgotten). Never drop one while [`hold`]'s guard is held on the same
/// thread: the lock is not reentrant.
#[derive(Debug)]
#[must_use = "the path is forgotten when the guard is dropped"]
pub struct Pending(u64);

impl Drop for Pending {
    fn drop(&mut self) {
        list().retain(|(id, _)| *id != self.0);
    }
}

/// The list, even after a panic elsewhere while it was held.
fn list() -> MutexGuard<'static, Vec<(u64, Entry)>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers `path` (a temporary file, or a directory this run made and
/// owns whole) to be removed should a signal end the process before the
/// guard is dropped. Where a signal could come between making the path and
/// this call, make it under [`hold`] and use [`Held::register`].
pub fn remove_on_signal(path: &Path) -> Pending {
    hold().register(path)
}

/// The lock a signal's clean-up takes: hold it while making a path to
/// register, writing into a registered directory or moving a registered
/// path into place. A signal meanwhile waits for it to be released, so it
/// never misses a path just made nor removes what is half moved.
#[must_use = "the lock is released when the guard is dropped"]
pub fn hold() -> Held {
    watch();
    Held(list())
}

/// The clean-up's lock, held (see [`hold`]).
pub struct Held(MutexGuard<'static, Vec<(u64, Entry)>>);

impl Held {
    /// Forgets `pending`'s entry under this lock (dropping a [`Pending`]
    /// here would wait on the lock this guard holds): what the run undoes
    /// itself while holding the lock is never undone a second time, nor
    /// left half undone, by a signal.
    pub fn forget(&mut self, pending: Pending) {
        self.0.retain(|(id, _)| *id != pending.0);
        std::mem::forget(pending);
    }

    /// Registers `path` as [`remove_on_signal`] does, under this lock.
    pub fn register(&mut self, path: &Path) -> Pending {
        self.push(Entry::Path(path.to_path_buf()))
    }

    /// Registers `dir`, a directory this run just made on the way to its
    /// files, to be removed should a signal end the run before the guard is
    /// dropped, if it is empty then (after the paths, the last registered
    /// first).
    pub fn remove_if_empty_on_signal(&mut self, dir: &Path) -> Pending {
        self.push(Entry::EmptyDir(dir.to_path_buf()))
    }

    /// Registers the child process `pid`, just started, to be stopped
    /// (SIGTERM) before the paths are removed should a signal end this run
    /// before the guard is dropped; drop it once the child is waited for.
    pub fn stop_on_signal(&mut self, pid: u32) -> Pending {
        self.push(Entry::Child(pid))
    }

    /// Registers a lock file this run made for `guarded`, and the
    /// directories it made for it (outermost first), to be removed should a
    /// signal end the run before the guard is dropped, unless `guarded`
    /// exists by then ([`remove_lock`]).
    pub fn lock_on_signal(&mut self, guarded: &Path, lock: &Path, dirs: &[PathBuf]) -> Pending {
        self.push(Entry::Lock {
            guarded: guarded.to_path_buf(),
            lock: lock.to_path_buf(),
            dirs: dirs.to_vec(),
        })
    }

    fn push(&mut self, entry: Entry) -> Pending {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        self.0.push((id, entry));
        Pending(id)
    }
}

/// Starts, once, the thread that waits for the signals.
fn watch() {
    #[cfg(target_os = "linux")]
    {
        static STARTED: std::sync::Once = std::sync::Once::new();
        STARTED.call_once(|| {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let caught: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
                .into_iter()
                .filter(|&signal| !ignored(signal))
                .collect();
            // Without the handler (it could not be installed) a signal
            // ends the process as before, leaving the paths.
            let Ok(mut signals) = signal_hook::iterator::Signals::new(&caught) else {
                return;
            };
            let _ = std::thread::Builder::new()
                .name("signals".into())
                .spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        // Held until the process ends: no path is added,
                        // written into or moved into place meanwhile.
                        let list = list();
                        for (_, entry) in list.iter() {
                            if let Entry::Child(pid) = entry
                                && let Ok(pid) = libc::pid_t::try_from(*pid)
                            {
                                // SAFETY: a signal to the process group
                                // of a child this run started in a group
                                // of its own and has not waited for yet.
                                unsafe {
                                    libc::kill(-pid, libc::SIGTERM);
                                }
                            }
                        }
                        for (_, entry) in list.iter() {
                            if let Entry::Path(path) = entry {
                                remove(path);
                            }
                        }
                        // After the paths, the deepest first: a removed
                        // staging directory may have been their content.
                        for (_, entry) in list.iter().rev() {
                            if let Entry::EmptyDir(dir) = entry {
                                let _ = std::fs::remove_dir(dir);
                            }
                        }
                        // After the paths: a temporary file may sit in a
                        // directory made for the lock.
                        for (_, entry) in list.iter() {
                            if let Entry::Lock {
                                guarded,
                                lock,
                                dirs,
                            } = entry
                            {
                                remove_lock(guarded, lock, dirs);
                            }
                        }
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                        std::process::exit(128 + signal);
                    }
                });
        });
    }
}

/// Whether `signal` is ignored (SIG_IGN), as `nohup` and a script's
/// background jobs leave SIGHUP and SIGINT: a handler would undo that.
#[cfg(target_os = "linux")]
fn ignored(signal: i32) -> bool {
    // SAFETY: a query only (no new action); `old` is a plain C struct
    // that sigaction fills in.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Removes a registered file, or directory with what it holds; nothing
/// when it is gone (moved into place, or never made). A symbolic link is
/// removed, not followed. A directory another program still writes into
/// (`git clone`, just sent SIGTERM) is tried again for up to a second.
fn remove(path: &Path) {
    for _ in 0..50 {
        let gone = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path).is_ok(),
            Ok(_) => std::fs::remove_file(path).is_ok(),
            Err(_) => true,
        };
        if gone {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether the lock file `lock` is registered for a signal's clean-up.
#[cfg(test)]
pub(crate) fn lock_registered(lock: &Path) -> bool {
    is_lock_registered(&list(), lock)
}

/// [`lock_registered`] as a signal arriving now would see it: `None` while
/// the signals' lock is held (the signal would wait), so it can be asked
/// from code running under that lock.
#[cfg(test)]
pub(crate) fn lock_registered_now(lock: &Path) -> Option<bool> {
    PENDING
        .try_lock()
        .ok()
        .map(|list| is_lock_registered(&list, lock))
}

#[cfg(test)]
fn is_lock_registered(list: &[(u64, Entry)], lock: &Path) -> bool {
    list.iter()
        .any(|(_, entry)| matches!(entry, Entry::Lock { lock: l, .. } if l == lock))
}

/// Removes a lock file and the directories made for it (outermost
/// first), innermost first and each only while empty, unless `guarded`
/// (the file the lock guards) exists: then they stay for the next run.
pub fn remove_lock(guarded: &Path, lock: &Path, dirs: &[PathBuf]) {
    if std::fs::symlink_metadata(guarded).is_ok() || std::fs::remove_file(lock).is_err() {
        return;
    }
    remove_empty(dirs);
}

/// Removes `dirs`, innermost first, while they are empty.
pub fn remove_empty(dirs: &[PathBuf]) {
    for dir in dirs.iter().rev() {
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_guard_forgets_its_path() {
        let a = remove_on_signal(Path::new("/nonexistent/a"));
        let b = remove_on_signal(Path::new("/nonexistent/b"));
        let listed = |p: &str| {
            list()
                .iter()
                .any(|(_, q)| *q == Entry::Path(PathBuf::from(p)))
        };
        assert!(listed("/nonexistent/a") && listed("/nonexistent/b"));
        drop(a);
        assert!(!listed("/nonexistent/a") && listed("/nonexistent/b"));
        drop(b);
        assert!(!listed("/nonexistent/b"));
    }

    #[test]
    fn removal_takes_files_and_whole_directories_and_leaves_links_targets() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.tmp");
        std::fs::write(&file, b"x").unwrap();
        let tree = dir.path().join("staging");
        std::fs::create_dir_all(tree.join("charts")).unwrap();
        std::fs::write(tree.join("charts/a.svg"), b"x").unwrap();
        let kept = dir.path().join("kept");
        std::fs::create_dir(&kept).unwrap();
        std::fs::write(kept.join("k"), b"x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&kept, &link).unwrap();
        for path in [&file, &tree, &link, &dir.path().join("never-made")] {
            remove(path);
        }
        assert!(!file.exists() && !tree.exists());
        assert!(std::fs::symlink_metadata(&link).is_err());
        assert!(kept.join("k").exists());
    }
}
