//! The gist's git history, read with the `git` program.
//!
//! Every PATCH of a gist is a git commit, so events that a client's
//! read-modify-write dropped from the latest revision still sit in earlier
//! ones. [`walk_history`] clones `git_pull_url` into a temporary directory,
//! lists every commit reachable from its `HEAD` (`git rev-list --reverse`,
//! oldest first: no path limiting, so no history simplification leaves out a
//! merged branch's revisions or a merge's own), looks up the file in each
//! (`git cat-file --batch-check` on `COMMIT:FILE`, a literal path, never a
//! pattern) and hands each distinct version's bytes (read by one `git
//! cat-file --batch`, never filtered) to the caller. [`latest_file`] reads only the newest
//! revision: the fallback for files over the 10 MB that `raw_url` serves.
//!
//! git is pointed at the clone with `--git-dir`, and the variables that would
//! point it elsewhere (`GIT_DIR`, `GIT_WORK_TREE`, …, set by git itself in
//! hooks and `git rebase -x`) are removed from its environment, so a fetch
//! run from inside another repository reads only the gist's.
//!
//! A token, when git may send one, goes through git's environment
//! configuration (`GIT_CONFIG_COUNT`/`KEY`/`VALUE`, an `http.<url>.extraHeader`
//! scoped to one host), never on a command line or in a URL, and git never
//! prompts (`GIT_TERMINAL_PROMPT=0`).

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::Url;

use super::gist::Diagnostics;
use crate::render::text::{plural, terminal_safe};

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
    #[error("cannot run git to {purpose}: {error}")]
    Spawn {
        /// What git was needed for.
        purpose: String,
        /// The I/O error (shown in the message: not a `source`, which
        /// would show it twice).
        error: io::Error,
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
        "cannot create a temporary directory for the gist's clone in {tmp}: {0}; set TMPDIR \
         to a writable directory with room",
        tmp = std::env::temp_dir().display()
    )]
    TempDir(io::Error),
    /// The file is not in the clone's newest revision.
    #[error(
        "the gist's git repository has no file {file:?} in its newest revision, though the \
         API's answer lists it, and the revision the API described could not be read from it \
         (a client renamed or removed the file after the answer, or the clone lags behind the \
         API): fetch again; if it was renamed, give --file the new name"
    )]
    FileNotInClone {
        /// The file.
        file: String,
    },
}

/// Environment variables that tell git which repository, work tree, index,
/// object store or namespace to use, or how to read paths. git sets some of
/// them for the commands it runs (hooks, `git rebase -x`); `--git-dir`
/// overrides `GIT_DIR`, but not an object directory, alternates or a
/// namespace: left in place, they would make a fetch read another
/// repository's objects than the gist's clone's.
const REPOSITORY_VARS: [&str; 16] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_REPLACE_REF_BASE",
    "GIT_GRAFT_FILE",
    "GIT_QUARANTINE_PATH",
    "GIT_LITERAL_PATHSPECS",
    "GIT_GLOB_PATHSPECS",
];

/// The `git` program, with an optional `Authorization` header scoped to one URL prefix.
#[derive(Clone)]
pub struct Git {
    program: OsString,
    auth: Option<(String, String)>,
    timeout: Option<Duration>,
}

impl fmt::Debug for Git {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Git")
            .field("program", &self.program)
            .field("auth_scope", &self.auth.as_ref().map(|(scope, _)| scope))
            .field("timeout", &self.timeout)
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
            timeout: None,
        }
    }

    /// The same git, giving up an HTTP transfer that has received nothing
    /// for `timeout` (`fetch --timeout`): without it, a server that takes
    /// the connection and never answers held `fetch`, and its lock on the
    /// archive, for ever (a review).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The same git, sending `header` (`Authorization: …`) to URLs under
    /// `scope` (`https://host/`) when given.
    pub fn with_auth_header(mut self, auth: Option<(String, String)>) -> Self {
        self.auth = auth;
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        for var in REPOSITORY_VARS {
            cmd.env_remove(var);
        }
        // Git's tracing prints the headers it sends, the token's among
        // them, and its errors reach ours (a review: `GIT_CURL_VERBOSE=1
        // GIT_TRACE_REDACT=0` printed the basic credential).
        for (var, _) in std::env::vars_os() {
            let name = var.to_string_lossy();
            if name.starts_with("GIT_TRACE") || name == "GIT_CURL_VERBOSE" {
                cmd.env_remove(&var);
            }
        }
        cmd.env("GIT_TERMINAL_PROMPT", "0").env("LC_ALL", "C");
        // A gist's pull URL is https (http and local paths in tests): the
        // API chooses it, and git gives `git://` and `ssh://` no time
        // limit (a review: a `git://` server that never answered held
        // fetch for ever), so git reads no other transport.
        cmd.env("GIT_ALLOW_PROTOCOL", "https:http:file");
        let config = self.config();
        if !config.is_empty() {
            // After the user's own entries (a proxy, a CA file), which
            // stay; ours come last, so they win where both set a key.
            let first = std::env::var("GIT_CONFIG_COUNT")
                .ok()
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            cmd.env("GIT_CONFIG_COUNT", (first + config.len()).to_string());
            for (i, (key, value)) in (first..).zip(config) {
                cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
                    .env(format!("GIT_CONFIG_VALUE_{i}"), value);
            }
        }
        cmd
    }

    /// The configuration git is given through its environment.
    fn config(&self) -> Vec<(String, String)> {
        let mut config = Vec::new();
        if let Some((scope, header)) = &self.auth {
            config.push((format!("http.{scope}.extraHeader"), header.clone()));
            // git sends its extra headers to wherever a redirect leads,
            // another host or plain http (a review: the gist host's 302 to
            // http://elsewhere got the token), so it follows none.
            config.push(("http.followRedirects".to_owned(), "false".to_owned()));
        }
        if let Some(timeout) = self.timeout {
            // curl's low-speed check: less than a byte a second over the
            // timeout, i.e. nothing at all, ends the transfer.
            config.push(("http.lowSpeedLimit".to_owned(), "1".to_owned()));
            let secs = timeout.as_secs().max(1);
            config.push(("http.lowSpeedTime".to_owned(), secs.to_string()));
        }
        config
    }

    /// Runs git with `args`, returning stdout; `purpose` names the task in errors.
    fn run(&self, args: &[&str], purpose: &str) -> Result<Vec<u8>, GitError> {
        self.run_with_input(args, &[], purpose)
    }

    /// [`Git::run`] with `input` on git's stdin (written from another
    /// thread, so neither side waits for the other's pipe to drain).
    fn run_with_input(
        &self,
        args: &[&str],
        input: &[u8],
        purpose: &str,
    ) -> Result<Vec<u8>, GitError> {
        let (_running, mut child) = self.spawn(args, purpose)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let output: Output = std::thread::scope(|scope| {
            // A git that exits early closes its end: the write error is
            // not the one to report, its exit status and stderr are.
            scope.spawn(move || {
                let _ = stdin.write_all(input);
            });
            child.wait_with_output()
        })
        .map_err(|source| spawn_error(source, purpose))?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            // A redirect git did not follow says why (a review: git's
            // "returned error: 302" alone).
            if self.auth.is_some() && stderr.contains("The requested URL returned error: 30") {
                stderr.push_str(
                    " (git follows no redirect while it sends the token, which a redirect would \
                     take wherever it leads; with no token set, fetch clones without it and \
                     follows redirects)",
                );
            }
            Err(GitError::Failed {
                command: args.join(" "),
                status: output.status.to_string(),
                stderr,
            })
        }
    }

    /// Starts git with `args` and its three streams piped, in a process
    /// group of its own. The guard stops that group (SIGTERM) should a
    /// signal end this run before it is dropped: keep it until the child is
    /// waited for. (A `kill` of this process alone left git cloning into a
    /// directory the clean-up had removed; then, with git alone stopped,
    /// the `git remote-https` it had started went on downloading, the
    /// token's header in its environment: a review.)
    fn spawn(
        &self,
        args: &[&str],
        purpose: &str,
    ) -> Result<(crate::interrupt::Pending, Child), GitError> {
        let mut held = crate::interrupt::hold();
        let mut command = self.command();
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| spawn_error(source, purpose))?;
        Ok((held.stop_on_signal(child.id()), child))
    }

    /// Reads the blobs `ids` (hex object ids) from the repository `git_dir`
    /// (`--git-dir=…`) with one `git cat-file --batch`, a blob at a time:
    /// `each(i, previous, bytes)` for the `i`-th, in order, with the blob
    /// read before it (empty for the first: two buffers take turns, so a
    /// caller compares consecutive versions without copying either, at the
    /// cost of holding two versions in memory instead of one). One
    /// process for them all: a gist has a revision per client PATCH,
    /// thousands of them, and a process per blob cost more than reading it.
    fn cat_blobs(
        &self,
        git_dir: &str,
        ids: &[&str],
        purpose: &str,
        mut each: impl FnMut(usize, &[u8], &[u8]),
    ) -> Result<(), GitError> {
        let args = [git_dir, "cat-file", "--batch"];
        let (_running, mut child) = self.spawn(&args, purpose)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        widen_pipe(&stdout);
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let query: String = ids.iter().map(|id| format!("{id}\n")).collect();
        let unexpected = |answer: &str| GitError::Failed {
            command: args[1..].join(" "),
            status: "an unexpected answer".to_owned(),
            stderr: answer.trim().to_owned(),
        };
        let (read, errors) = std::thread::scope(|scope| {
            scope.spawn(move || {
                let _ = stdin.write_all(query.as_bytes());
            });
            let errors = scope.spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                text
            });
            let mut out = BufReader::new(stdout);
            let (mut header, mut bytes, mut previous) = (String::new(), Vec::new(), Vec::new());
            let mut read = || -> Result<(), GitError> {
                for (i, id) in ids.iter().enumerate() {
                    header.clear();
                    out.read_line(&mut header)
                        .map_err(|source| spawn_error(source, purpose))?;
                    // `ID blob SIZE`, then the bytes and a line end.
                    let mut fields = header.split_whitespace();
                    let size = match (fields.next(), fields.next(), fields.next()) {
                        (Some(got), Some("blob"), Some(size)) if got == *id => {
                            size.parse::<usize>().map_err(|_| unexpected(&header))?
                        }
                        _ => return Err(unexpected(&header)),
                    };
                    bytes.resize(size + 1, 0);
                    out.read_exact(&mut bytes)
                        .map_err(|source| spawn_error(source, purpose))?;
                    bytes.truncate(size);
                    each(i, &previous, &bytes);
                    std::mem::swap(&mut bytes, &mut previous);
                }
                Ok(())
            };
            let read = read();
            drop(out);
            if read.is_err() {
                let _ = child.kill();
            }
            (read, errors.join().unwrap_or_default())
        });
        let status = child
            .wait()
            .map_err(|source| spawn_error(source, purpose))?;
        read?;
        if status.success() {
            Ok(())
        } else {
            Err(GitError::Failed {
                command: args[1..].join(" "),
                status: status.to_string(),
                stderr: errors.trim().to_owned(),
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

/// Asks for a 1 MiB buffer in `pipe` (the most Linux gives an unprivileged
/// process by default) instead of 64 KiB: a history walk moves every
/// version of the file through git's output pipe, N^2/2 lines for N
/// revisions, and at 64 KiB a turn the two processes spend more time waking
/// each other than copying (700 MB of versions: 1.1 against 0.6 s read
/// whole, measured with Python on this machine). A refusal (a lower
/// `/proc/sys/fs/pipe-max-size`) leaves the pipe as it was.
#[cfg(target_os = "linux")]
fn widen_pipe(pipe: &impl std::os::fd::AsRawFd) {
    // SAFETY: fcntl on a descriptor this process holds open; F_SETPIPE_SZ
    // takes an int and changes only the pipe's capacity.
    unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
}

#[cfg(not(target_os = "linux"))]
fn widen_pipe<T>(_: &T) {}

/// The error for git that could not be started (or read from) for `purpose`.
fn spawn_error(source: io::Error, purpose: &str) -> GitError {
    if source.kind() == io::ErrorKind::NotFound {
        GitError::Missing {
            purpose: purpose.to_owned(),
        }
    } else {
        GitError::Spawn {
            purpose: purpose.to_owned(),
            error: source,
        }
    }
}

/// `url` as shown to the user: credentials removed from URLs, and
/// control and invisible characters escaped (the URL comes from the
/// server's answer).
fn display_url(url: &str) -> String {
    let shown = match Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    };
    terminal_safe(&shown).into_owned()
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

/// Whether a shallow clone works for `url` (git ignores `--depth` for a
/// plain local path; a `file://` URL goes through a transport, as a
/// remote's does).
fn can_be_shallow(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http" | "ssh" | "git" | "file"))
}

/// A new directory for a clone, removed when dropped or by a signal that
/// ends the run (see [`crate::interrupt`]).
/// Made and registered under the clean-up's lock (no signal comes
/// between). Bind it as `let (_pending, dir)`: locals drop in reverse, so
/// the directory is removed before it is forgotten (a review: bound the
/// other way, a signal while the directory was being removed left most
/// of the clone).
/// Only its owner can enter it: it holds the secret gist's whole history,
/// and a temporary directory's default (0777 less the umask, 0755 as a
/// rule) let every local user copy the clone while it lasted (a review).
fn temp_clone_dir() -> Result<(crate::interrupt::Pending, tempfile::TempDir), GitError> {
    let mut held = crate::interrupt::hold();
    let mut builder = tempfile::Builder::new();
    builder.prefix("jmo-analyze-gist-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    let dir = builder
        .tempdir()
        .map_err(|e| GitError::TempDir(crate::source::archive::without_temp_path(e)))?;
    let pending = held.register(dir.path());
    Ok((pending, dir))
}

/// The newest revision of `file` in the gist repository at `url`, and the
/// revision `version` (the commit the API described) when that is another.
pub fn latest_file(
    git: &Git,
    url: &str,
    file: &str,
    version: Option<&str>,
    diag: &Diagnostics,
) -> Result<LatestFile, GitError> {
    check_url(url)?;
    // Why git is needed was said just before (the API's content was cut
    // and raw_url did not serve the whole file, or could not).
    let purpose = "clone the gist for its whole file";
    let (_pending, dir) = temp_clone_dir()?;
    let repo = dir.path().join("gist.git");
    diag.detail(&format!("git clone {} (newest revision)", display_url(url)));
    let spinner = diag.bar(None, false, "cloning the gist");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let cloned = git.clone_bare(url, &repo, can_be_shallow(url), purpose);
    spinner.finish_and_clear();
    cloned?;
    let git_dir = git_dir_arg(&repo);
    let version = version.filter(|v| is_object_id(v));
    // The file at the revision the API described. A shallow clone holds
    // the newest commit only: that one is fetched by its id (GitHub serves
    // reachable ones).
    let at_version = |v: &str| {
        let spec = format!("{v}:{file}");
        let present = || {
            git.run(&[&git_dir, "cat-file", "-e", &spec], purpose)
                .is_ok()
        };
        if !present() {
            diag.detail(&format!("git fetch {v} (the revision the API described)"));
            let _ = git.run(
                &[&git_dir, "fetch", "--quiet", "--depth", "1", "origin", v],
                purpose,
            );
        }
        if !present() {
            diag.detail(&format!(
                "{file}: not read at {v}, the revision the API described"
            ));
            return None;
        }
        git.run(&[&git_dir, "cat-file", "blob", &spec], purpose)
            .ok()
    };
    let spec = format!("HEAD:{file}");
    let exists = git
        .run(&[&git_dir, "cat-file", "-e", &spec], purpose)
        .is_ok();
    if !exists {
        // Renamed or removed since the API's answer (a review: the fetch
        // failed, told to check --file): the API's revision has it.
        return match version.and_then(at_version) {
            Some(bytes) => Ok(LatestFile {
                bytes,
                of_version: None,
                newest_lacks_file: true,
            }),
            None => Err(GitError::FileNotInClone {
                file: file.to_owned(),
            }),
        };
    }
    let bytes = git.run(&[&git_dir, "cat-file", "blob", &spec], purpose)?;
    let head = git.run(
        &[&git_dir, "rev-parse", "--verify", "HEAD^{commit}"],
        purpose,
    )?;
    let of_version = version
        .filter(|v| !head.trim_ascii().eq_ignore_ascii_case(v.as_bytes()))
        .and_then(at_version);
    Ok(LatestFile {
        bytes,
        of_version,
        newest_lacks_file: false,
    })
}

/// What [`latest_file`] read.
#[derive(Debug)]
pub struct LatestFile {
    /// The file in the clone's newest revision, or, when that has no such
    /// file (`newest_lacks_file`), in the revision the API described.
    pub bytes: Vec<u8>,
    /// The file in the revision the API described, when that is another
    /// commit and the clone could read it.
    pub of_version: Option<Vec<u8>>,
    /// The clone's newest revision has no such file (it was renamed or
    /// removed after the API's answer, or the clone lags behind it):
    /// `bytes` are of the revision `version` names.
    pub newest_lacks_file: bool,
}

/// A git object id in hex (SHA-1's 40 digits or SHA-256's 64): what the
/// API gives as a revision's `version` is passed to git only if it is one
/// (never an option or a revision expression).
fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `--git-dir=REPO`: git reads that repository and no other.
fn git_dir_arg(repo: &Path) -> String {
    format!("--git-dir={}", repo.to_string_lossy())
}

/// What a history walk read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryReport {
    /// Revisions of the file read: its distinct versions in the commits
    /// reachable from `HEAD`.
    pub revisions: usize,
}

/// Clones the gist repository at `url` and calls `on_revision(commit,
/// previous, bytes)` for every distinct version of `file` in the commits
/// reachable from its `HEAD`, oldest commit first (each version with the
/// first commit that holds it, and the version handed before it: empty for
/// the first).
pub fn walk_history(
    git: &Git,
    url: &str,
    file: &str,
    diag: &Diagnostics,
    mut on_revision: impl FnMut(&str, &[u8], &[u8]),
) -> Result<HistoryReport, GitError> {
    check_url(url)?;
    let purpose = "read the gist's history (--history)";
    let (_pending, dir) = temp_clone_dir()?;
    let repo = dir.path().join("gist.git");
    diag.detail(&format!("git clone {} (full history)", display_url(url)));
    let spinner = diag.bar(None, false, "cloning the gist's history");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let cloned = git.clone_bare(url, &repo, false, purpose);
    spinner.finish_and_clear();
    cloned?;
    let git_dir = git_dir_arg(&repo);
    // Every commit, not only those `git log -- FILE` lists: its history
    // simplification follows one parent of a merge whose file matches that
    // parent's, and never shows the other side's revisions.
    let list = git.run(&[&git_dir, "rev-list", "--reverse", "HEAD"], purpose)?;
    let list = String::from_utf8_lossy(&list);
    let commits: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let revisions = file_versions(git, &git_dir, &commits, file, purpose)?;
    diag.detail(&format!(
        "{} of {file} in the gist's history ({})",
        plural(revisions.len(), "distinct version"),
        plural(commits.len(), "commit")
    ));
    let bar = diag.bar(Some(revisions.len() as u64), false, "reading revisions");
    let blobs: Vec<&str> = revisions.iter().map(|(_, blob)| blob.as_str()).collect();
    let read = git.cat_blobs(&git_dir, &blobs, purpose, |i, previous, bytes| {
        on_revision(revisions[i].0, previous, bytes);
        bar.inc(1);
    });
    bar.finish_and_clear();
    read?;
    Ok(HistoryReport {
        revisions: revisions.len(),
    })
}

/// The blob of `file` in each of `commits`, as `(commit, blob)` for the
/// first commit that holds each distinct blob, in the commits' order;
/// commits without the file (or with a directory of that name) are left
/// out. One `git cat-file --batch-check` answers for every commit:
/// `COMMIT:FILE` names the path literally (no pattern), and its answer is
/// `blob ID`, or the name followed by `missing` (which can hold spaces, so
/// only an answer of exactly a type and a hex id is read as one). The
/// queries are one a line: a name with a line break has no versions.
fn file_versions<'c>(
    git: &Git,
    git_dir: &str,
    commits: &[&'c str],
    file: &str,
    purpose: &str,
) -> Result<Vec<(&'c str, String)>, GitError> {
    if file.contains(['\n', '\r']) {
        return Ok(Vec::new());
    }
    let query: String = commits.iter().map(|c| format!("{c}:{file}\n")).collect();
    let answers = git.run_with_input(
        &[
            git_dir,
            "cat-file",
            "--batch-check=%(objecttype) %(objectname)",
        ],
        query.as_bytes(),
        purpose,
    )?;
    let answers = String::from_utf8_lossy(&answers);
    let mut seen = HashSet::new();
    let mut versions = Vec::new();
    for (commit, answer) in commits.iter().zip(answers.lines()) {
        let mut fields = answer.split(' ');
        if let (Some("blob"), Some(blob), None) = (fields.next(), fields.next(), fields.next())
            && matches!(blob.len(), 40 | 64)
            && blob.bytes().all(|b| b.is_ascii_hexdigit())
            && seen.insert(blob)
        {
            versions.push((*commit, blob.to_owned()));
        }
    }
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_object_id_from_the_api_is_passed_to_git() {
        assert!(is_object_id(&"a1".repeat(20)));
        assert!(is_object_id(&"F".repeat(64)));
        for bad in [
            "--upload-pack=evil",
            "HEAD",
            "HEAD~1",
            "",
            &"a".repeat(39),
            &"g".repeat(40),
        ] {
            assert!(!is_object_id(bad), "{bad}");
        }
    }

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
        // The URL comes from the server: no terminal escape gets through.
        assert_eq!(
            display_url("/tmp/no\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "/tmp/no\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"
        );
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

    #[cfg(unix)]
    #[test]
    fn a_clone_directory_is_its_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let (_pending, dir) = temp_clone_dir().unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }

    #[test]
    fn blobs_are_read_whole_in_order_by_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("r.git");
        let git = Git::default();
        git.run(&["init", "-q", "--bare", &repo.to_string_lossy()], "test")
            .unwrap();
        let git_dir = git_dir_arg(&repo);
        // Line ends, a NUL and no final line end inside the blobs: the
        // framing is by size, never by line.
        let contents: [&[u8]; 3] = [b"a\nb\n", b"no line end\0\n\nx", b""];
        let ids: Vec<String> = contents
            .iter()
            .map(|c| {
                let id = git
                    .run_with_input(&[&git_dir, "hash-object", "-w", "--stdin"], c, "test")
                    .unwrap();
                String::from_utf8(id).unwrap().trim().to_owned()
            })
            .collect();
        let mut order: Vec<&str> = ids.iter().map(String::as_str).collect();
        order.reverse();
        let mut got = Vec::new();
        git.cat_blobs(&git_dir, &order, "test", |i, previous, bytes| {
            got.push((i, previous.to_vec(), bytes.to_vec()))
        })
        .unwrap();
        // Each blob comes with the one read before it (none before the first).
        let mut before: &[u8] = b"";
        let mut want = Vec::new();
        for (i, c) in contents.iter().rev().enumerate() {
            want.push((i, before.to_vec(), c.to_vec()));
            before = c;
        }
        assert_eq!(got, want);
        // An id the repository lacks is an error, not an empty blob.
        let missing = "0123456789abcdef0123456789abcdef01234567";
        let err = git
            .cat_blobs(&git_dir, &[order[0], missing], "test", |_, _, _| {})
            .unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn git_output_pipes_are_widened() {
        use std::os::fd::AsRawFd;
        // A kernel that allows less keeps the pipe as it was (by design).
        let max = std::fs::read_to_string("/proc/sys/fs/pipe-max-size");
        if max.ok().and_then(|m| m.trim().parse::<u64>().ok()) < Some(1 << 20) {
            return;
        }
        let (reader, _writer) = io::pipe().unwrap();
        widen_pipe(&reader);
        // SAFETY: F_GETPIPE_SZ on a pipe this test holds open.
        let size = unsafe { libc::fcntl(reader.as_raw_fd(), libc::F_GETPIPE_SZ) };
        assert_eq!(size, 1 << 20);
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
