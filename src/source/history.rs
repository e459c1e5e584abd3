//! The gist's git history, read with the `git` program.
//!
//! Every PATCH of a gist is a git commit, so events that a client's
//! read-modify-write dropped from the latest revision still sit in earlier
//! ones. [`walk_history`] clones `git_pull_url` into a temporary directory,
//! lists every commit that added or changed the file (`git log --reverse
//! --diff-filter=ACMRT -- FILE`, oldest first) and hands each revision's bytes
//! (`git cat-file blob REV:FILE`, never filtered) to the caller.
//! [`latest_file`] reads only the newest revision: the fallback for files over
//! the 10 MB that `raw_url` serves.
//!
//! A token, when git may send one, goes through git's environment
//! configuration (`GIT_CONFIG_COUNT`/`KEY`/`VALUE`, an `http.<url>.extraHeader`
//! scoped to one host), never on a command line or in a URL, and git never
//! prompts (`GIT_TERMINAL_PROMPT=0`).

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reqwest::Url;

use super::gist::Diagnostics;

/// Errors running git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` is not installed.
    #[error(
        "the `git` program is needed to {purpose} but was not found on PATH: install git \
         (for example `apt-get install git` or https://git-scm.com) and run again"
    )]
    Missing {
        /// What git was needed for.
        purpose: String,
    },
    /// git could not be started for another reason.
    #[error("cannot run git to {purpose}: {source}")]
    Spawn {
        /// What git was needed for.
        purpose: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A git command failed.
    #[error("`git {command}` failed ({status}): {stderr}")]
    Failed {
        /// The command's arguments (never holding a secret).
        command: String,
        /// Its exit status.
        status: String,
        /// What git printed on stderr, trimmed.
        stderr: String,
    },
    /// The clone URL is not one git should be pointed at.
    #[error(
        "the gist's git_pull_url {url:?} is not an https, http, ssh, git or file URL or a local \
         path: check --api-url"
    )]
    BadUrl {
        /// The URL (credentials removed).
        url: String,
    },
    /// The temporary directory for the clone could not be made.
    #[error(
        "cannot create a temporary directory for the gist's clone: {0}; set TMPDIR to a writable directory"
    )]
    TempDir(io::Error),
    /// The file is not in the clone's newest revision.
    #[error(
        "the gist's git repository has no file {file:?} in its newest revision: \
         check --file"
    )]
    FileNotInClone {
        /// The file.
        file: String,
    },
}

/// The `git` program, with an optional `Authorization` header scoped to one URL prefix.
#[derive(Clone)]
pub struct Git {
    program: OsString,
    auth: Option<(String, String)>,
}

impl fmt::Debug for Git {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Git")
            .field("program", &self.program)
            .field("auth_scope", &self.auth.as_ref().map(|(scope, _)| scope))
            .finish()
    }
}

impl Default for Git {
    fn default() -> Self {
        Self::new("git")
    }
}

impl Git {
    /// The git found as `program` (a name looked up on PATH, or a path).
    pub fn new(program: impl Into<OsString>) -> Self {
        Self {
            program: program.into(),
            auth: None,
        }
    }

    /// The same git, sending `header` (`Authorization: …`) to URLs under
    /// `scope` (`https://host/`) when given.
    pub fn with_auth_header(mut self, auth: Option<(String, String)>) -> Self {
        self.auth = auth;
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.stdin(Stdio::null())
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C");
        if let Some((scope, header)) = &self.auth {
            cmd.env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", format!("http.{scope}.extraHeader"))
                .env("GIT_CONFIG_VALUE_0", header);
        }
        cmd
    }

    /// Runs git with `args`, returning stdout; `purpose` names the task in errors.
    fn run(&self, args: &[&str], purpose: &str) -> Result<Vec<u8>, GitError> {
        let output: Output = self.command().args(args).output().map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                GitError::Missing {
                    purpose: purpose.to_owned(),
                }
            } else {
                GitError::Spawn {
                    purpose: purpose.to_owned(),
                    source,
                }
            }
        })?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(GitError::Failed {
                command: args.join(" "),
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }

    /// Clones `url` bare into `dest`; `shallow` fetches only the newest commit.
    fn clone_bare(
        &self,
        url: &str,
        dest: &Path,
        shallow: bool,
        purpose: &str,
    ) -> Result<(), GitError> {
        let dest = dest.to_string_lossy();
        let mut args = vec!["clone", "--bare", "--quiet"];
        if shallow {
            args.extend(["--depth", "1"]);
        }
        args.extend(["--", url, &dest]);
        self.run(&args, purpose).map(drop).map_err(|err| match err {
            // Name the URL without credentials; git's own message follows.
            GitError::Failed { status, stderr, .. } => GitError::Failed {
                command: format!("clone {}", display_url(url)),
                status,
                stderr,
            },
            other => other,
        })
    }
}

/// `url` as shown to the user: credentials removed from URLs.
fn display_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Checks that `url` is something git should clone: an https, http, ssh, git
/// or file URL, or an absolute local path (a test's bare repository).
fn check_url(url: &str) -> Result<(), GitError> {
    let ok = match Url::parse(url) {
        Ok(parsed) => matches!(parsed.scheme(), "https" | "http" | "ssh" | "git" | "file"),
        Err(_) => Path::new(url).is_absolute(),
    };
    if ok && !url.starts_with('-') && !url.contains("::") {
        Ok(())
    } else {
        Err(GitError::BadUrl {
            url: display_url(url),
        })
    }
}

/// Whether a shallow clone works for `url` (git ignores `--depth` for local paths).
fn can_be_shallow(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http" | "ssh" | "git"))
}

fn temp_clone_dir() -> Result<tempfile::TempDir, GitError> {
    tempfile::Builder::new()
        .prefix("jmo-analyze-gist-")
        .tempdir()
        .map_err(GitError::TempDir)
}

/// The newest revision of `file` in the gist repository at `url`.
pub fn latest_file(
    git: &Git,
    url: &str,
    file: &str,
    diag: &Diagnostics,
) -> Result<Vec<u8>, GitError> {
    check_url(url)?;
    let purpose = "clone the gist (its file is too large for the API)";
    let dir = temp_clone_dir()?;
    let repo = dir.path().join("gist.git");
    diag.detail(&format!("git clone {} (newest revision)", display_url(url)));
    let spinner = diag.bar(None, false, "cloning the gist");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let cloned = git.clone_bare(url, &repo, can_be_shallow(url), purpose);
    spinner.finish_and_clear();
    cloned?;
    let repo_str = repo.to_string_lossy();
    let spec = format!("HEAD:{file}");
    let exists = git
        .run(&["-C", &repo_str, "cat-file", "-e", &spec], purpose)
        .is_ok();
    if !exists {
        return Err(GitError::FileNotInClone {
            file: file.to_owned(),
        });
    }
    git.run(&["-C", &repo_str, "cat-file", "blob", &spec], purpose)
}

/// What a history walk read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryReport {
    /// Revisions of the file read (commits that added or changed it).
    pub revisions: usize,
}

/// Clones the gist repository at `url` and calls `on_revision(commit, bytes)`
/// for every revision of `file`, oldest first.
pub fn walk_history(
    git: &Git,
    url: &str,
    file: &str,
    diag: &Diagnostics,
    mut on_revision: impl FnMut(&str, &[u8]),
) -> Result<HistoryReport, GitError> {
    check_url(url)?;
    let purpose = "read the gist's history (--history)";
    let dir = temp_clone_dir()?;
    let repo = dir.path().join("gist.git");
    diag.detail(&format!("git clone {} (full history)", display_url(url)));
    let spinner = diag.bar(None, false, "cloning the gist's history");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let cloned = git.clone_bare(url, &repo, false, purpose);
    spinner.finish_and_clear();
    cloned?;
    let repo_str = repo.to_string_lossy();
    let log = git.run(
        &[
            "-C",
            &repo_str,
            "log",
            "--format=%H",
            "--reverse",
            "--diff-filter=ACMRT",
            "HEAD",
            "--",
            file,
        ],
        purpose,
    )?;
    let log = String::from_utf8_lossy(&log);
    let commits: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    diag.detail(&format!(
        "{} revisions of {file} in the gist's history",
        commits.len()
    ));
    let bar = diag.bar(Some(commits.len() as u64), false, "reading revisions");
    for commit in &commits {
        let spec = format!("{commit}:{file}");
        let bytes = git.run(&["-C", &repo_str, "cat-file", "blob", &spec], purpose)?;
        on_revision(commit, &bytes);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(HistoryReport {
        revisions: commits.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_git_may_clone() {
        assert!(check_url("https://gist.github.com/abc.git").is_ok());
        assert!(check_url("file:///tmp/x.git").is_ok());
        assert!(check_url("/tmp/x.git").is_ok());
        assert!(check_url("ext::sh -c touch% /tmp/pwned").is_err());
        assert!(check_url("relative/path").is_err());
        assert!(check_url("--upload-pack=evil").is_err());
    }

    #[test]
    fn credentials_are_hidden_in_urls() {
        assert_eq!(
            display_url("https://user:secret@example.com/a.git"),
            "https://example.com/a.git"
        );
        assert_eq!(display_url("/tmp/x.git"), "/tmp/x.git");
    }

    #[test]
    fn missing_git_is_named() {
        let git = Git::new("/nonexistent/bin/git-for-test");
        let err = git
            .run(&["--version"], "read the gist's history (--history)")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the `git` program is needed to read the gist's history (--history) but was not \
             found on PATH: install git (for example `apt-get install git` or \
             https://git-scm.com) and run again"
        );
    }

    #[test]
    fn debug_hides_the_auth_header() {
        let git = Git::default().with_auth_header(Some((
            "https://gist.github.com/".into(),
            "Authorization: Basic c2VjcmV0".into(),
        )));
        let debug = format!("{git:?}");
        assert!(!debug.contains("c2VjcmV0"));
        assert!(debug.contains("https://gist.github.com/"));
    }
}
