//! What an interrupted run leaves behind: the temporary files and
//! directories it registers here (`summary -o`'s and the archive's file
//! written beside the one it replaces, `report --out`'s staging directory)
//! are removed when the process gets SIGINT (Ctrl-C), SIGTERM or SIGHUP,
//! which then ends it as the signal would have (a shell still sees it
//! killed by the signal). SIGKILL cannot be caught: it leaves them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The paths to remove on a signal, each under the number of its guard.
static PENDING: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
/// The next guard's number.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Removes its path from the list when dropped (once the run has put the
/// file in place, or removed it itself).
#[derive(Debug)]
#[must_use = "the path is forgotten when the guard is dropped"]
pub struct Pending(u64);

impl Drop for Pending {
    fn drop(&mut self) {
        let mut list = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|(id, _)| *id != self.0);
    }
}

/// Registers `path` (a temporary file, or a directory this run made and
/// owns whole) to be removed should a signal end the process before the
/// guard is dropped.
pub fn remove_on_signal(path: &Path) -> Pending {
    watch();
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut list = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    list.push((id, path.to_path_buf()));
    Pending(id)
}

/// Starts, once, the thread that waits for the signals.
fn watch() {
    #[cfg(unix)]
    {
        static STARTED: std::sync::Once = std::sync::Once::new();
        STARTED.call_once(|| {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            // Without the handler (it could not be installed) a signal
            // ends the process as before, leaving the paths.
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            else {
                return;
            };
            let _ = std::thread::Builder::new()
                .name("signals".into())
                .spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        // Held until the end: no path is added or put in
                        // place meanwhile (a rename that came first left
                        // nothing at the temporary path).
                        let list = PENDING.lock().unwrap_or_else(|e| e.into_inner());
                        for (_, path) in list.iter() {
                            remove(path);
                        }
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                        std::process::exit(128 + signal);
                    }
                });
        });
    }
}

/// Removes a registered file, or directory with what it holds; nothing
/// when it is gone (moved into place, or never made). A symbolic link is
/// removed, not followed.
fn remove(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
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
            PENDING
                .lock()
                .unwrap()
                .iter()
                .any(|(_, q)| q == Path::new(p))
        };
        assert!(listed("/nonexistent/a") && listed("/nonexistent/b"));
        drop(a);
        assert!(!listed("/nonexistent/a") && listed("/nonexistent/b"));
        drop(b);
        assert!(!listed("/nonexistent/b"));
    }
}
