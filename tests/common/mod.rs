//! What more than one test file needs.

// Each test file is a crate of its own, using some of these.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small tmpfs mounted on a directory for a test (or a file bound on
/// another), unmounted when dropped (also when the test fails); `None`
/// where this user may not mount (tests run as root here).
pub struct Tmpfs(PathBuf, bool);

impl Tmpfs {
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let done = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        done.then(|| Tmpfs(dir.to_owned(), false))
    }

    /// `file` bind-mounted on `at` (a file of its own), as `docker run -v
    /// FILE:FILE` mounts one.
    pub fn bind(file: &Path, at: &Path) -> Option<Tmpfs> {
        let done = Command::new("mount")
            .arg("--bind")
            .arg(file)
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        done.then(|| Tmpfs(at.to_owned(), true))
    }

    pub fn remount_read_only(&self) {
        let done = Command::new("mount")
            .args([
                "-o",
                if self.1 {
                    "remount,bind,ro"
                } else {
                    "remount,ro"
                },
            ])
            .arg(&self.0)
            .status();
        assert!(done.unwrap().success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
