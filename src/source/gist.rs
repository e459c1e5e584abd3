//! The GitHub gist API client: fetch a gist's metadata and one file's
//! complete content.
//!
//! `GET {api}/gists/{id}` answers with each file's `content`, but stops at
//! 1 MB (`truncated: true`, sometimes an empty `content`); the whole file is
//! at `raw_url` up to 10 MB, and beyond that only a git clone of
//! `git_pull_url` has it. [`GistClient::download_file`] walks that ladder.
//!
//! Requests carry GitHub's recommended headers, an ETag for conditional
//! requests, and the token as `Authorization: Bearer` (marked sensitive). The
//! token is sent only to the API's own host, never shown: [`Token`]'s `Debug`
//! is redacted and no error message holds it. 5xx answers and timeouts are
//! retried with bounded exponential backoff; rate limits wait only as long as
//! `RetryPolicy::max_wait` allows and otherwise say when the limit resets.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::Url;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::Deserialize;

use super::history::{Git, GitError};
use crate::render::text::terminal_safe;

/// The public GitHub API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The file the JMo clients append to.
pub const DEFAULT_FILE: &str = "jmo-telemetry-events.jsonl";
/// Fewer characters than any token GitHub issues (40 and more: `ghp_`
/// and 36, 40 hexadecimal digits, `github_pat_` and 82).
pub const MIN_TOKEN_CHARS: usize = 20;
/// The value standing for a token variable that is not UTF-8 (a NUL,
/// which no environment variable can hold).
const NOT_UTF8: &str = "\0";
/// Environment variables read for the token, first set and non-empty wins.
pub const TOKEN_VARS: [&str; 3] = ["JMO_TELEMETRY_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"];
/// Largest file `raw_url` serves; beyond it only a git clone has the file.
pub const RAW_LIMIT: u64 = 10 * 1024 * 1024;
/// Largest API answer read (each file's content stops at 1 MB, but a gist
/// may have many files).
const API_BODY_LIMIT: u64 = 256 * 1024 * 1024;
/// The GitHub API version the client speaks.
const API_VERSION: &str = "2022-11-28";
/// Delay before the first retry; it doubles for each further retry.
const BASE_DELAY: Duration = Duration::from_millis(500);
/// The least wait GitHub asks after a rate limit that gives no time.
const UNTIMED_WAIT: Duration = Duration::from_secs(60);

/// A GitHub token. It is never displayed: `Debug` prints only where it came from.
#[derive(Clone)]
pub struct Token {
    value: String,
    variable: &'static str,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(from {}, redacted)", self.variable)
    }
}

impl Token {
    /// The first of [`TOKEN_VARS`] that `lookup` finds set and non-blank.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        Self::first_set(|var| lookup(var).map(Some))
    }

    /// The first of [`TOKEN_VARS`] set in the environment. One set to
    /// bytes that are not UTF-8 is that variable's token, which
    /// [`GistClient::new`] refuses, naming it (a review: it was taken for
    /// unset, and the fetch went on without a token).
    pub fn from_env() -> Option<Self> {
        Self::first_set(|var| match std::env::var(var) {
            Ok(value) => Some(Some(value)),
            Err(std::env::VarError::NotUnicode(_)) => Some(None),
            Err(std::env::VarError::NotPresent) => None,
        })
    }

    /// The first of [`TOKEN_VARS`] that `lookup` finds set, non-blank or
    /// not text (`Some(None)`: a token [`Token::bearer`] refuses).
    fn first_set(lookup: impl Fn(&str) -> Option<Option<String>>) -> Option<Self> {
        TOKEN_VARS.iter().find_map(|&var| {
            let value = match lookup(var)? {
                Some(text) => text.trim().to_owned(),
                None => NOT_UTF8.to_owned(),
            };
            (!value.is_empty()).then_some(Self {
                value,
                variable: var,
            })
        })
    }

    /// The environment variable the token came from.
    pub fn source(&self) -> &'static str {
        self.variable
    }

    /// `text` with every occurrence of the token, and of the basic
    /// credential git is given for it, replaced by `***`.
    /// A value shorter than [`MIN_TOKEN_CHARS`] is left: it is refused
    /// before any request ([`GistError::ShortToken`]), and its letters in
    /// every word of a message made the message unreadable (a review).
    pub fn redact(&self, text: &str) -> String {
        let basic = self.git_basic_header();
        let credential = basic.rsplit(' ').next().unwrap_or(&basic);
        let text = text.replace(credential, "***");
        if self.value.chars().count() < MIN_TOKEN_CHARS {
            return text;
        }
        text.replace(&self.value, "***")
    }

    fn bearer(&self) -> Result<HeaderValue, GistError> {
        if self.value == NOT_UTF8 {
            return Err(GistError::TokenNotUtf8 {
                variable: self.variable,
            });
        }
        // A placeholder or a typo, no token GitHub issues: refused before
        // any request, as masking it garbled every message (a review: `e`
        // made "r***j***ct***d th*** tok***n").
        let chars = self.value.chars().count();
        if chars < MIN_TOKEN_CHARS {
            return Err(GistError::ShortToken {
                variable: self.variable,
                chars,
            });
        }
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.value)).map_err(|_| {
            GistError::BadToken {
                variable: self.variable,
            }
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// The `Authorization` header git sends over HTTPS (basic auth with the
    /// token as password, as GitHub accepts for git).
    fn git_basic_header(&self) -> String {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("x-access-token:{}", self.value));
        format!("Authorization: Basic {basic}")
    }
}

/// How long and how often to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt for 5xx answers, timeouts and rate limits.
    pub retries: u32,
    /// Longest single wait: a `retry-after` or rate-limit reset further away
    /// fails at once with the time to try again; backoff delays are capped by it.
    pub max_wait: Duration,
}

impl RetryPolicy {
    fn backoff(&self, retry: u32) -> Duration {
        BASE_DELAY
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_wait)
    }
}

/// Where the library's diagnostics go: the command prints them on stderr.
pub struct Diagnostics {
    verbose: bool,
    progress_bars: bool,
    sink: Box<dyn Fn(&str)>,
}

impl fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Diagnostics")
            .field("verbose", &self.verbose)
            .field("progress_bars", &self.progress_bars)
            .finish_non_exhaustive()
    }
}

impl Diagnostics {
    /// Diagnostics sent to `sink`; `verbose` enables [`Diagnostics::detail`],
    /// `progress_bars` enables bars (only when stderr is a terminal).
    pub fn new(verbose: bool, progress_bars: bool, sink: impl Fn(&str) + 'static) -> Self {
        Self {
            verbose,
            progress_bars,
            sink: Box::new(sink),
        }
    }

    /// Diagnostics that go nowhere (tests).
    pub fn silent() -> Self {
        Self::new(false, false, |_| {})
    }

    /// A message the user should always see.
    pub fn note(&self, message: &str) {
        (self.sink)(message);
    }

    /// A message shown with `--verbose`.
    pub fn detail(&self, message: &str) {
        if self.verbose {
            (self.sink)(message);
        }
    }

    /// A progress bar of `len` steps (bytes when `bytes`), hidden unless enabled.
    pub fn bar(&self, len: Option<u64>, bytes: bool, message: &str) -> indicatif::ProgressBar {
        if !self.progress_bars {
            return indicatif::ProgressBar::hidden();
        }
        let bar = match len {
            Some(len) => indicatif::ProgressBar::new(len),
            None => indicatif::ProgressBar::new_spinner(),
        };
        let template = match (len.is_some(), bytes) {
            (true, true) => "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
            (true, false) => "{msg} [{bar:30}] {pos}/{len}",
            (false, true) => "{spinner} {msg} {bytes}",
            (false, false) => "{spinner} {msg} {pos}",
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_owned());
        bar
    }
}

/// Errors talking to the gist API (and the git fallback behind it).
#[derive(Debug, thiserror::Error)]
pub enum GistError {
    /// `--api-url` is not a URL.
    #[error("--api-url {url:?} is not a valid URL: give one like https://api.github.com")]
    BadApiUrl {
        /// What the user gave.
        url: String,
    },
    /// `--api-url` holds a user name or password: it would be printed with
    /// the URL, and sent in place of the token.
    #[error(
        "--api-url holds a user name or password (`user:password@` before its host), or is \
         no valid URL and holds an `@`: remove it and give the token in \
         JMO_TELEMETRY_GITHUB_TOKEN (the URL is not shown here, so that a password in it is \
         not)"
    )]
    ApiUrlCredentials,
    /// A token would go in clear text: `--api-url` is `http://` to a host
    /// other than this machine.
    #[error(
        "--api-url {url} is plain http, which would send the token from {variable} unencrypted: \
         use https:// (plain http is only for a server on this machine, such as a test's)"
    )]
    PlainHttpToken {
        /// The API URL (no credentials: the token travels in a header).
        url: String,
        /// Where the token came from.
        variable: &'static str,
    },
    /// `--gist-id` holds characters a gist ID never has.
    #[error(
        "--gist-id {id:?} is not a gist ID: use the letters and digits at the end of the \
         gist's address (https://gist.github.com/USER/ID)"
    )]
    BadGistId {
        /// What the user gave.
        id: String,
    },
    /// The token cannot be sent in a header (it has a newline or similar).
    #[error(
        "the token in {variable} holds characters that cannot be sent in an HTTP header \
         (a newline or a quote?): set {variable} to the token alone"
    )]
    BadToken {
        /// The variable it came from.
        variable: &'static str,
    },
    /// The token's variable holds bytes that are not UTF-8.
    #[error(
        "{variable} is set but holds bytes that are not UTF-8 text, so no token can be read \
         from it: set it to the token alone, or unset it (fetch then reads the next token \
         variable set, else fetches without a token)"
    )]
    TokenNotUtf8 {
        /// The variable.
        variable: &'static str,
    },
    /// The token is too short to be one GitHub issues.
    #[error(
        "{variable} holds {chars} character{}, too few for a GitHub token (they have 40 or \
         more): set it to the whole token, or unset it (fetch then reads the next token \
         variable set, else fetches without a token)",
        if *chars == 1 { "" } else { "s" }
    )]
    ShortToken {
        /// The variable it came from.
        variable: &'static str,
        /// Its length.
        chars: usize,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// 401: the token was rejected.
    #[error(
        "GitHub rejected the token from {variable} (HTTP 401 Bad credentials): it is expired, \
         revoked or mistyped. Create a token with the `gist` scope and put it in {variable}, \
         or unset it to read a secret gist without a token"
    )]
    Unauthorized {
        /// The variable the token came from.
        variable: &'static str,
    },
    /// 401 although no token was sent.
    #[error(
        "GitHub asked for credentials (HTTP 401): set JMO_TELEMETRY_GITHUB_TOKEN to a token \
         with the `gist` scope"
    )]
    CredentialsNeeded,
    /// 403 or 404 that is not a rate limit.
    #[error("{}", not_found_message(gist_id, *status, *token_source))]
    NotFound {
        /// The gist asked for.
        gist_id: String,
        /// 403 or 404.
        status: u16,
        /// The variable the token came from, if one was sent.
        token_source: Option<&'static str>,
    },
    /// A rate limit whose end is further away than the retry policy waits.
    #[error(
        "{}",
        rate_limit_message(*status, *reset, *retry_after, *untimed_wait, *token_source,
            *max_wait, *attempts)
    )]
    RateLimited {
        /// 403 or 429.
        status: u16,
        /// When the limit resets (`x-ratelimit-reset`), seconds since the epoch.
        reset: Option<u64>,
        /// `retry-after` in seconds.
        retry_after: Option<u64>,
        /// When the answer gave neither: the wait GitHub asks then, in seconds.
        untimed_wait: Option<u64>,
        /// The variable the token came from, if one was sent.
        token_source: Option<&'static str>,
        /// The longest wait allowed, in seconds.
        max_wait: u64,
        /// Requests made (1 + retries), and how many ended as the last did.
        attempts: Attempts,
    },
    /// 5xx answers on every attempt.
    #[error(
        "GitHub answered HTTP {status} to {what} {attempts}: GitHub may be \
         having trouble (see https://www.githubstatus.com); try again later or raise --retries"
    )]
    Server {
        /// What was asked for.
        what: String,
        /// The last status.
        status: u16,
        /// Attempts made, and how many ended as the last did.
        attempts: Attempts,
    },
    /// A 5xx answer asks to come back later than `--max-wait` allows.
    #[error(
        "GitHub answered HTTP {status} to {what} and asks (retry-after) to try again in {}, \
         longer than --max-wait {max_wait_secs} s: try again then, or raise --max-wait",
        wait_text(*wait_secs)
    )]
    ServerAsksToWait {
        /// What was asked for.
        what: String,
        /// The status.
        status: u16,
        /// The wait the answer asked for.
        wait_secs: u64,
        /// `--max-wait`.
        max_wait_secs: u64,
    },
    /// No answer within the timeout on every attempt.
    #[error(
        "no answer from {url} within {secs} s {attempts}: check the network \
         and --api-url, or raise --timeout"
    )]
    Timeout {
        /// The URL asked.
        url: String,
        /// The timeout in seconds.
        secs: u64,
        /// Attempts made, and how many ended as the last did.
        attempts: Attempts,
    },
    /// An answer that came slower than the least rate (4 KB/s) on every attempt
    /// (a review: it read "cannot reach", though the server was reached).
    #[error(
        "the answer from {url} came slower than {kb_per_s} KB/s {attempts}: check the \
         network, or raise --timeout ({secs} s now), which a slow answer is given first"
    )]
    Slow {
        /// The URL asked.
        url: String,
        /// The least rate, KB/s.
        kb_per_s: u64,
        /// The timeout in seconds.
        secs: u64,
        /// Attempts made, and how many ended as the last did.
        attempts: Attempts,
    },
    /// Redirects that cannot be followed: a loop, more than 10, or to a
    /// URL that is not http(s). Asking again would lead the same way.
    #[error(
        "{url} redirects where it cannot be followed ({detail}); not asked again, since it \
         would lead the same way: check --api-url"
    )]
    Redirect {
        /// The URL asked.
        url: String,
        /// The client's description.
        detail: String,
    },
    /// Other transport errors (connection refused, DNS, TLS).
    #[error("cannot reach {url} ({detail}) {attempts}: check the network and --api-url")]
    Transport {
        /// The URL asked.
        url: String,
        /// The client's description.
        detail: String,
        /// Attempts made, and how many ended as the last did.
        attempts: Attempts,
    },
    /// The server answered, but its body could not be read to its end on
    /// every attempt: it ended early, or its framing was broken (a bad
    /// chunk size). A review found "cannot reach" said, though the server
    /// was reached, and then a broken chunk said to be "cut short".
    #[error(
        "the answer from {url} could not be read to its end ({detail}) {attempts}: nothing was \
         written; try again later, and check the network and any proxy on the way"
    )]
    Cut {
        /// The URL asked.
        url: String,
        /// What the client said of the body.
        detail: String,
        /// Attempts made, and how many ended as the last did.
        attempts: Attempts,
    },
    /// A 304 (not modified) to a request that sent no ETag: it cannot mean
    /// "up to date", and is no fault of the gist ID.
    #[error(
        "HTTP 304 (not modified) from {url} to a request that sent no ETag: a cache or proxy on \
         the way answered in the API's place; try again later, and check --api-url"
    )]
    UnaskedNotModified {
        /// The URL asked.
        url: String,
    },
    /// A status the client does not expect.
    #[error(
        "unexpected HTTP {status} from {url}{}: check --api-url and the gist ID, or try again \
         later",
        match message {
            Some(m) => format!(" (GitHub says: \"{m}\")"),
            None => String::new(),
        }
    )]
    UnexpectedStatus {
        /// The URL asked.
        url: String,
        /// The status.
        status: u16,
        /// The answer's `message` (terminal-safe, at most 200 characters).
        message: Option<String>,
    },
    /// The 200 answer is not a gist in JSON.
    #[error(
        "the answer from {url} is not a gist in JSON ({detail}): check that --api-url points at \
         a GitHub API (https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise)"
    )]
    InvalidBody {
        /// The URL asked.
        url: String,
        /// What the JSON parser said.
        detail: String,
    },
    /// The gist has no file of that name.
    #[error("{}", missing_file_message(gist_id, file, available, *listing_truncated))]
    MissingFile {
        /// The gist.
        gist_id: String,
        /// The file asked for.
        file: String,
        /// The files the gist has, sorted.
        available: Vec<String>,
        /// The API lists only the first 300 files.
        listing_truncated: bool,
    },
    /// The gist's answer lists the file as `null`: no answer of GitHub's
    /// (a review: "has no file" of a name it listed as there).
    #[error(
        "the answer for gist {gist_id} lists {file:?} without its details (null), which \
         GitHub's API does not send: nothing was downloaded; try again later, and check that \
         --api-url points at a GitHub API"
    )]
    NullFile {
        /// The gist.
        gist_id: String,
        /// The file asked for.
        file: String,
    },
    /// The file as downloaded is not UTF-8 text (compressed, or UTF-16):
    /// archived, its bytes would be lost to every reader, and the archive
    /// refused from then on.
    #[error(
        "the gist's {file}, as {from} gave it, is {what}, not JSONL text: nothing was \
         written; check what the gist holds (and --api-url)"
    )]
    NotText {
        /// The file in the gist.
        file: String,
        /// Where the bytes came from.
        from: ContentSource,
        /// What they are, e.g. `gzip-compressed`.
        what: &'static str,
    },
    /// The file's content is incomplete and the gist has no `git_pull_url`.
    #[error(
        "the gist's {file} could not be read as it is ({why}) and the API gave no \
         git_pull_url to clone: nothing was written; try again later, or download it by hand \
         with `git clone` of the gist"
    )]
    NoCloneUrl {
        /// The file.
        file: String,
        /// Why the raw download was not used.
        why: String,
    },
    /// An answer larger than `fetch` reads.
    #[error("the answer to {what} is over {limit_mb} MB: check --api-url")]
    TooLarge {
        /// What was asked for.
        what: String,
        /// The limit in MB.
        limit_mb: u64,
    },
    /// The raw download failed (the caller falls back to git).
    #[error("{0}")]
    Raw(String),
    /// The git fallback failed.
    #[error(transparent)]
    Git(#[from] GitError),
}

/// The attempts a request made, and how many of them, up to the last,
/// failed as the last one did (the same status, a timeout, the same
/// transport error): shown as `on all 3 attempts` only when every one did,
/// else `on the last of 3 attempts`, `on the last 2 of 4 attempts`; or `on
/// the only attempt (--retries 0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    /// Requests made (1 + retries).
    pub made: u32,
    /// The last attempts that failed alike (1 to `made`).
    pub alike: u32,
}

#[cfg(test)]
impl Attempts {
    /// One request, which failed.
    const ONE: Attempts = Attempts { made: 1, alike: 1 };
}

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Attempts { made, alike } = *self;
        if made == 1 {
            f.write_str("on the only attempt (--retries 0)")
        } else if alike >= made {
            write!(f, "on all {made} attempts")
        } else if alike <= 1 {
            write!(f, "on the last of {made} attempts")
        } else {
            write!(f, "on the last {alike} of {made} attempts")
        }
    }
}

fn not_found_message(gist_id: &str, status: u16, token_source: Option<&str>) -> String {
    let what = if status == 403 {
        "GitHub refused access to gist"
    } else {
        "gist not found:"
    };
    let hint = match token_source {
        Some(var) => format!(
            "check --gist-id or JMO_TELEMETRY_GIST_ID; GitHub also answers this when the token \
             in {var} lacks the `gist` scope or belongs to an account that cannot see the gist"
        ),
        None => "check --gist-id or JMO_TELEMETRY_GIST_ID (a secret gist is readable by its ID \
                 without a token; a private gist needs a token with the `gist` scope in \
                 JMO_TELEMETRY_GITHUB_TOKEN)"
            .to_owned(),
    };
    format!("{what} {gist_id} (HTTP {status}): {hint}")
}

/// A wait as a person reads it: seconds under two minutes (a review: 4 s
/// read "in 1 min"), else minutes (rounded up) under two hours, then hours
/// and minutes (a review: a day's retry-after read "86400 s").
fn wait_text(secs: u64) -> String {
    if secs < 120 {
        return format!("{secs} s");
    }
    let minutes = secs.div_ceil(60);
    match (minutes / 60, minutes % 60) {
        (hours, min) if hours < 2 => format!("{} min", hours * 60 + min),
        (hours, 0) => format!("{hours} h"),
        (hours, min) => format!("{hours} h {min} min"),
    }
}

fn rate_limit_message(
    status: u16,
    reset: Option<u64>,
    retry_after: Option<u64>,
    untimed_wait: Option<u64>,
    token_source: Option<&str>,
    max_wait: u64,
    attempts: Attempts,
) -> String {
    let mut msg = format!("GitHub's API rate limit is exhausted (HTTP {status})");
    match retry_after {
        Some(secs) if secs > max_wait => msg.push_str(&format!(
            "; GitHub asks to retry after {}, longer than --max-wait {max_wait} s",
            wait_text(secs)
        )),
        // A wait within --max-wait: the retries ran out instead.
        Some(secs) => msg.push_str(&format!(
            "; GitHub asked to retry after {} {attempts}",
            wait_text(secs)
        )),
        None => {}
    }
    match untimed_wait {
        Some(secs) if secs > max_wait && secs <= UNTIMED_WAIT.as_secs() => msg.push_str(&format!(
            "; it gives no time, and GitHub asks then to wait at least {}, longer than \
             --max-wait {max_wait} s",
            wait_text(secs)
        )),
        // The doubling is this tool's, for limits that go on.
        Some(secs) if secs > max_wait => msg.push_str(&format!(
            "; it gave no time {attempts}, and the next wait (doubled for each, as GitHub \
             asks when they go on), {}, is longer than --max-wait {max_wait} s",
            wait_text(secs)
        )),
        Some(_) => msg.push_str(&format!("; it gave no time {attempts}")),
        None => {}
    }
    if let Some(reset) = reset {
        let now = now_secs();
        let when = format_epoch(reset);
        if reset > now {
            let secs = reset - now;
            msg.push_str(&format!("; it resets at {when} (in {})", wait_text(secs)));
            // The wait is a second past the reset (see `RateLimit::wait`).
            if secs + 1 > max_wait {
                msg.push_str(&format!(", later than --max-wait {max_wait} s"));
            }
        } else {
            msg.push_str(&format!("; it reset at {when}"));
        }
    }
    msg.push_str(match (reset.or(retry_after), untimed_wait) {
        (Some(_), _) => ": try again after that",
        (None, Some(secs)) if secs > max_wait => ": wait that long and try again",
        (None, _) => ": wait a few minutes and try again",
    });
    if token_source.is_none() {
        msg.push_str(
            ", or set JMO_TELEMETRY_GITHUB_TOKEN (an authenticated client may make 5,000 \
             requests an hour instead of 60)",
        );
    }
    msg
}

/// A gist's file names for a message: `a.txt, b.jsonl`, or `none`. Every
/// client holds the token that writes the gist, so a name can hold escape
/// sequences: they are shown escaped.
pub fn listed_files(available: &[String]) -> String {
    if available.is_empty() {
        "none".to_owned()
    } else {
        let names: Vec<_> = available.iter().map(|f| terminal_safe(f)).collect();
        names.join(", ")
    }
}

fn missing_file_message(
    gist_id: &str,
    file: &str,
    available: &[String],
    listing_truncated: bool,
) -> String {
    // A gist with no file has none to choose (a review: "it has: none.
    // Pass --file NAME to choose").
    if available.is_empty() && !listing_truncated {
        return format!(
            "gist {gist_id} has no file at all, so no {file:?}: check --gist-id (a client \
             creates the file with its first event)"
        );
    }
    let list = listed_files(available);
    let mut msg =
        format!("gist {gist_id} has no file {file:?}; it has: {list}. Pass --file NAME to choose");
    if listing_truncated {
        msg.push_str(" (the API lists only the gist's first 300 files)");
    }
    msg
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Seconds since the epoch as `2025-11-19 14:32:00 UTC`.
fn format_epoch(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{secs} (seconds since 1970)"))
}

/// A gist as the API describes it (only the fields `fetch` uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Gist {
    /// The gist's files by name.
    pub files: BTreeMap<String, Option<GistFile>>,
    /// The URL to clone the gist's git repository.
    #[serde(default)]
    pub git_pull_url: Option<String>,
    /// True when the API listed only the first 300 files.
    #[serde(default)]
    pub truncated: Option<bool>,
    /// The gist's revisions, newest first (`version`: the commit id); kept
    /// as JSON, so that an odd shape costs only what it tells.
    #[serde(default)]
    pub history: Option<serde_json::Value>,
}

impl Gist {
    /// The commit of the revision the API described: the newest in its
    /// `history`.
    pub fn version(&self) -> Option<&str> {
        self.history.as_ref()?.get(0)?.get("version")?.as_str()
    }
}

/// One file of a gist.
#[derive(Debug, Clone, Deserialize)]
pub struct GistFile {
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Where the whole file is served (up to 10 MB).
    #[serde(default)]
    pub raw_url: Option<String>,
    /// True when `content` stops at the API's 1 MB limit.
    #[serde(default)]
    pub truncated: Option<bool>,
    /// The file's content, possibly cut or empty.
    #[serde(default)]
    pub content: Option<String>,
}

/// The answer to a gist request.
#[derive(Debug)]
pub enum GistResponse {
    /// 304: unchanged since the ETag sent.
    NotModified,
    /// 200: the gist, with the answer's ETag.
    Gist {
        /// The gist.
        gist: Box<Gist>,
        /// The `ETag` header, if any.
        etag: Option<String>,
    },
}

/// Where a file's content came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentSource {
    /// The API's `content` field.
    ApiContent,
    /// The file's `raw_url`.
    RawUrl,
    /// A clone of the gist's git repository.
    GitClone,
}

impl fmt::Display for ContentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ApiContent => "api content",
            Self::RawUrl => "raw_url",
            Self::GitClone => "git clone",
        })
    }
}

/// A file's complete content and where it came from.
#[derive(Debug)]
pub struct Downloaded {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Where they came from.
    pub source: ContentSource,
    /// Set when they are not of the revision the API described (a clone
    /// whose file has another size).
    pub changed: Option<Changed>,
    /// The file at the revision the API described, read from the clone
    /// when its newest revision is another (merged before `bytes`).
    pub api_revision: Option<Vec<u8>>,
    /// The clone's newest revision has no such file (renamed or removed
    /// after the API's answer, or the clone lags behind it): `bytes` are of
    /// the revision the API's history names.
    pub newest_lacks_file: bool,
}

/// The revision the API described, when the clone's newest is another.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The file's size in the API's revision.
    pub api_size: u64,
    /// The complete lines of the API's partial content, of its revision.
    pub api_lines: Vec<u8>,
    /// The rest of the API's partial content: the start of the line it
    /// cut, less a last U+FFFD, which may stand for a character the API
    /// cut (a review: the clone's whole character made its revision
    /// another, with a warning and no ETag at every fetch, or a line lost).
    pub api_cut: Vec<u8>,
}

impl Changed {
    /// What the API sent of a revision: its size, complete lines and the
    /// start of the line it cut.
    pub fn of_content(api_size: u64, content: &[u8]) -> Changed {
        let lines = content
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |end| end + 1);
        let cut = &content[lines..];
        Changed {
            api_size,
            api_lines: content[..lines].to_vec(),
            api_cut: cut.strip_suffix(REPLACEMENT).unwrap_or(cut).to_vec(),
        }
    }

    /// Whether `bytes` start with all the API sent. The API's content is a
    /// JSON string: where the file holds bytes that are not UTF-8, it holds
    /// U+FFFD, so a file that has such bytes is compared as text, its
    /// bytes decoded as the API's are (a review: comparing only up to the
    /// first U+FFFD took a client's real U+FFFD for a wildcard, and a
    /// revision whose last line differed past it for the API's).
    pub fn sent_is_prefix_of(&self, bytes: &[u8]) -> bool {
        let as_sent = |b: &[u8]| {
            b.starts_with(&self.api_lines) && b[self.api_lines.len()..].starts_with(&self.api_cut)
        };
        as_sent(bytes)
            || (std::str::from_utf8(bytes).is_err()
                && as_sent(String::from_utf8_lossy(bytes).as_bytes()))
    }

    /// Whether `bytes` may be the API's revision: its size, and all the
    /// API sent, the start of the cut line too (a review: a revision of
    /// the same size whose last line differed, as a clobber by a client's
    /// line of the same length does, passed for it, and that line was
    /// lost with the ETag kept).
    pub fn may_be_api_revision(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.api_size && self.sent_is_prefix_of(bytes)
    }
}

/// U+FFFD, the character a lossy decoding puts for bytes that are not UTF-8.
pub const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

/// Settings of a [`GistClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API base URL (`https://api.github.com`).
    pub api_url: String,
    /// The token, if any.
    pub token: Option<Token>,
    /// Timeout of one request (and of each read of a body).
    pub timeout: Duration,
    /// Retries and waits.
    pub retry: RetryPolicy,
}

/// A fully read HTTP answer.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    /// Whether the answer said where its body ends (a `Content-Length`,
    /// chunks, or HTTP/2 frames), so a cut body is an error, not a short
    /// body: one that just ends when the connection closes could be cut
    /// anywhere.
    framed: bool,
}

/// The gist API client.
#[derive(Debug)]
pub struct GistClient {
    http: Client,
    /// The origin the last redirect of a request led to, if any: a
    /// request that fails there names it.
    redirected: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    api: Url,
    token: Option<Token>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl GistClient {
    /// A client for `config`.
    pub fn new(config: ClientConfig) -> Result<Self, GistError> {
        let trimmed = config.api_url.trim_end_matches('/');
        let api = Url::parse(&format!("{trimmed}/"))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                // An invalid URL is shown only without an `@`: one may hold
                // a password (reviews: `user:PW@host/api/v3` without a
                // scheme, `https//user:PW@host`, a bad port, were printed).
                if config.api_url.contains('@') {
                    GistError::ApiUrlCredentials
                } else {
                    GistError::BadApiUrl {
                        url: config.api_url.clone(),
                    }
                }
            })?;
        // A review: `http://x:SECRET@host` was printed in every message, and
        // its credentials sent as Basic auth instead of the token.
        if !api.username().is_empty() || api.password().is_some() {
            return Err(GistError::ApiUrlCredentials);
        }
        if let Some(token) = &config.token {
            token.bearer()?;
            if api.scheme() != "https" && !is_loopback(&api) {
                return Err(GistError::PlainHttpToken {
                    url: terminal_safe(api.as_str()).into_owned(),
                    variable: token.source(),
                });
            }
        }
        let redirected = std::sync::Arc::new(std::sync::Mutex::new(None));
        let policy = {
            let redirected = std::sync::Arc::clone(&redirected);
            // reqwest's default (at most 10), noting where each led.
            reqwest::redirect::Policy::custom(move |attempt| {
                *redirected.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(attempt.url().origin().ascii_serialization());
                if attempt.previous().len() > 10 {
                    attempt.error("too many redirects")
                } else {
                    attempt.follow()
                }
            })
        };
        let mut http = Client::builder()
            .user_agent(concat!("jmo-analyze/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(policy);
        // A token goes over plain http only to this machine; a proxy from
        // `http_proxy` or `all_proxy` may be another one, and would read it
        // (a review: the Bearer header reached the proxy in clear text).
        if is_loopback(&api) {
            http = http.no_proxy();
        }
        let http = http.build().map_err(|e| GistError::Client(e.to_string()))?;
        Ok(Self {
            http,
            redirected,
            api,
            token: config.token,
            timeout: config.timeout,
            retry: config.retry,
        })
    }

    /// The URL of a gist: `{api}/gists/{id}`.
    pub fn gist_url(&self, gist_id: &str) -> Result<Url, GistError> {
        let valid = !gist_id.is_empty()
            && gist_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(GistError::BadGistId {
                id: gist_id.to_owned(),
            });
        }
        self.api
            .join(&format!("gists/{gist_id}"))
            .map_err(|_| GistError::BadGistId {
                id: gist_id.to_owned(),
            })
    }

    /// True when `url` is on the API's own host (scheme, host and port), the
    /// only place the token is sent (over https, or plain http on this
    /// machine: [`GistClient::new`] refuses a token for any other).
    fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.api.scheme()
            && url.host_str() == self.api.host_str()
            && url.port_or_known_default() == self.api.port_or_known_default()
    }

    /// `GET {api}/gists/{id}`, conditional on `etag` when given.
    pub fn get_gist(
        &self,
        gist_id: &str,
        etag: Option<&str>,
        diag: &Diagnostics,
    ) -> Result<GistResponse, GistError> {
        let url = self.gist_url(gist_id)?;
        let if_none_match = etag.and_then(|e| HeaderValue::from_str(e).ok());
        let build = || {
            let mut req = self
                .http
                .get(url.clone())
                .header(header::ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION);
            if let Some(etag) = &if_none_match {
                req = req.header(header::IF_NONE_MATCH, etag.clone());
            }
            self.authorize(req)
        };
        diag.detail(&format!(
            "GET {url} ({}{})",
            match &self.token {
                Some(t) => format!("token from {}", t.source()),
                None => "no token".to_owned(),
            },
            match etag {
                Some(e) => format!(", If-None-Match: {e}"),
                None => String::new(),
            }
        ));
        let reply = self.send(
            &url,
            "the gist request",
            build,
            API_BODY_LIMIT,
            None,
            diag,
            false,
        )?;
        match reply.status.as_u16() {
            200 => {
                let gist: Gist =
                    serde_json::from_slice(&reply.body).map_err(|e| GistError::InvalidBody {
                        url: url.to_string(),
                        detail: e.to_string(),
                    })?;
                // An ETag that holds the token (a server or proxy echoing
                // it) is not kept: the sidecar and --verbose would show it.
                let etag = reply
                    .headers
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .filter(|e| self.token.as_ref().is_none_or(|t| t.redact(e) == *e))
                    .map(str::to_owned);
                Ok(GistResponse::Gist {
                    gist: Box::new(gist),
                    etag,
                })
            }
            // Not modified only means something when it was asked: a 304 to a
            // request without If-None-Match (a broken cache or proxy on the
            // way) must not pass for "up to date".
            304 if if_none_match.is_some() => Ok(GistResponse::NotModified),
            304 => Err(GistError::UnaskedNotModified {
                url: url.to_string(),
            }),
            401 => Err(match &self.token {
                Some(t) => GistError::Unauthorized {
                    variable: t.source(),
                },
                None => GistError::CredentialsNeeded,
            }),
            status @ (403 | 404) => Err(GistError::NotFound {
                gist_id: gist_id.to_owned(),
                status,
                token_source: self.token.as_ref().map(Token::source),
            }),
            status => Err(GistError::UnexpectedStatus {
                url: url.to_string(),
                status,
                message: github_message(&reply.body, self.token.as_ref()),
            }),
        }
    }

    /// The complete content of `file` in `gist`: the API's `content` when it
    /// is whole, else `raw_url`, else a clone of `git_pull_url` with `git`.
    pub fn download_file(
        &self,
        gist_id: &str,
        gist: &Gist,
        file: &str,
        git: &Git,
        diag: &Diagnostics,
    ) -> Result<Downloaded, GistError> {
        let got = self.download_any(gist_id, gist, file, git, diag)?;
        // Compressed bytes (a raw answer's Content-Encoding the client does
        // not undo, say), or UTF-16: never archived (a review: the archive
        // was refused as compressed from then on).
        // (The API's content came as a JSON string: text whatever it says.)
        let checked = got.source != ContentSource::ApiContent;
        match super::local::not_text(&got.bytes).filter(|_| checked) {
            Some(found) => Err(GistError::NotText {
                file: file.to_owned(),
                from: got.source,
                what: found.what,
            }),
            None => Ok(got),
        }
    }

    fn download_any(
        &self,
        gist_id: &str,
        gist: &Gist,
        file: &str,
        git: &Git,
        diag: &Diagnostics,
    ) -> Result<Downloaded, GistError> {
        let Some(entry) = gist.files.get(file) else {
            return Err(GistError::MissingFile {
                gist_id: gist_id.to_owned(),
                file: file.to_owned(),
                available: gist.files.keys().cloned().collect(),
                listing_truncated: gist.truncated == Some(true),
            });
        };
        let Some(meta) = entry else {
            return Err(GistError::NullFile {
                gist_id: gist_id.to_owned(),
                file: file.to_owned(),
            });
        };
        let content = meta.content.as_deref().unwrap_or("");
        let size_matches = meta.size.is_none_or(|s| s == content.len() as u64);
        // The content is text: bytes that are not UTF-8 come as U+FFFD,
        // and three bytes of a four-byte character as one U+FFFD of three
        // bytes, which keeps the size (a review): such content is not the
        // file, `raw_url` has it.
        let lossless = !content.contains('\u{fffd}');
        if meta.truncated == Some(false) && !content.is_empty() && size_matches && lossless {
            diag.detail(&format!(
                "{file}: using the API's content ({} bytes)",
                content.len()
            ));
            return Ok(Downloaded {
                bytes: content.as_bytes().to_vec(),
                source: ContentSource::ApiContent,
                changed: None,
                api_revision: None,
                newest_lacks_file: false,
            });
        }
        // A U+FFFD alone is no cut (a review: "incomplete", 31 bytes of 27).
        diag.detail(&format!(
            "{file}: the API's content {} (truncated: {}, {} bytes of {})",
            if lossless {
                "is incomplete"
            } else {
                "holds U+FFFD, which may stand for bytes it could not show"
            },
            meta.truncated
                .map_or("missing".to_owned(), |t| t.to_string()),
            content.len(),
            meta.size
                .map_or("an unknown size".to_owned(), |s| s.to_string()),
        ));
        let why = match (&meta.raw_url, meta.size) {
            (_, Some(size)) if size > RAW_LIMIT => format!(
                "{file} is {size} bytes, over the {} MB that raw_url serves",
                RAW_LIMIT / (1024 * 1024)
            ),
            (None, _) => "the API gave no raw_url".to_owned(),
            (Some(raw), size) => match self.download_raw(raw, size, diag) {
                Ok(bytes) => {
                    // Of the API's revision only when it starts with all the
                    // API sent, as a clone's is (a review: a raw_url of the
                    // same size with another line in place of one the API
                    // sent lost that line and kept the ETag). Else the API's
                    // complete lines are kept too, and no ETag.
                    let sent =
                        Changed::of_content(size.unwrap_or(bytes.len() as u64), content.as_bytes());
                    let changed = (!sent.sent_is_prefix_of(&bytes)).then_some(sent);
                    return Ok(Downloaded {
                        bytes,
                        source: ContentSource::RawUrl,
                        changed,
                        api_revision: None,
                        newest_lacks_file: false,
                    });
                }
                // Its advice (wait, try again) is not this run's: the clone is.
                Err(GistError::RateLimited { status, .. }) => {
                    format!("raw_url failed: rate limited (HTTP {status})")
                }
                // Its cause, without the advice the clone replaces (a
                // review: "nothing was written" twice in one message).
                Err(GistError::Cut {
                    detail, attempts, ..
                }) => {
                    format!("raw_url's answer could not be read to its end ({detail}) {attempts}")
                }
                // Its advice (check --api-url) is not this run's either: a
                // file over what raw_url serves is the clone's (a review).
                Err(GistError::TooLarge { limit_mb, .. }) => {
                    format!("raw_url served more than {limit_mb} MB, the most it serves")
                }
                Err(GistError::Redirect { detail, .. }) => {
                    format!("raw_url redirects where it cannot be followed ({detail})")
                }
                Err(err) => format!("raw_url failed: {err}"),
            },
        };
        // Content whole but for a U+FFFD says so (a review: "could not be
        // read whole" for a file that holds one, raw_url failing).
        let why = if meta.truncated == Some(false) && !content.is_empty() && size_matches {
            format!("its content holds U+FFFD, which may stand for bytes it could not show; {why}")
        } else {
            why
        };
        let Some(pull_url) = gist.git_pull_url.as_deref() else {
            return Err(GistError::NoCloneUrl {
                file: file.to_owned(),
                why,
            });
        };
        diag.note(&format!("{why}; cloning the gist with git instead"));
        let git = git.clone().with_auth_header(self.git_auth_header(pull_url));
        let latest = super::history::latest_file(&git, pull_url, file, gist.version(), diag)?;
        let bytes = latest.bytes;
        let newest_lacks_file = latest.newest_lacks_file;
        // The API's revision read whole from the clone, when the clone's
        // newest is another commit: nothing of it is missing. Taken only
        // when it is what the API described, its size and its complete
        // lines and the start of the line it cut (a review: a `version` of
        // another revision lost a line the API's content held, and kept the
        // ETag).
        let sent = Changed::of_content(meta.size.unwrap_or(0), content.as_bytes());
        let of_api = latest.of_version.filter(|v| {
            meta.size.is_none_or(|size| size == v.len() as u64) && sent.sent_is_prefix_of(v)
        });
        if let Some(api_revision) = of_api {
            diag.detail(&format!(
                "{file}: the clone's newest revision is another commit than the one the API \
                 described: read at both"
            ));
            return Ok(Downloaded {
                bytes,
                source: ContentSource::GitClone,
                changed: None,
                api_revision: Some(api_revision),
                newest_lacks_file: false,
            });
        }
        // The clone's newest revision is not always the one the API
        // described: a client may have PATCHed the gist in between (one whose
        // GET failed leaves only its own line), or the clone may lag. The
        // complete lines of the API's partial content are its revision's.
        // It is that revision, or that revision and lines appended since,
        // when it starts with all the API sent and the API's size
        // ends a line of it (a review: a size alone took an append for a
        // change, and a clobber of the same size for none).
        let changed = meta
            .size
            .filter(|&size| {
                // All the API sent, the start of the line it cut too (a
                // review: a clobber whose last line differed only past the
                // complete lines passed for the API's revision).
                let same_or_appended = sent.sent_is_prefix_of(&bytes)
                    && usize::try_from(size).is_ok_and(|size| {
                        size == bytes.len()
                            || (size < bytes.len() && (size == 0 || bytes[size - 1] == b'\n'))
                    });
                !same_or_appended
            })
            .map(|size| Changed {
                api_size: size,
                ..sent
            });
        Ok(Downloaded {
            bytes,
            source: ContentSource::GitClone,
            changed,
            api_revision: None,
            newest_lacks_file,
        })
    }

    /// The `Authorization` header git may send to `pull_url`: only over
    /// HTTPS, and only to the API's host or, for github.com, gist.github.com.
    pub fn git_auth_header(&self, pull_url: &str) -> Option<(String, String)> {
        let token = self.token.as_ref()?;
        let url = Url::parse(pull_url).ok()?;
        if url.scheme() != "https" {
            return None;
        }
        let host = url.host_str()?;
        let api_host = self.api.host_str()?;
        // The API's own host on its own port, or github.com's gist host.
        let trusted = (host == api_host
            && url.port_or_known_default() == self.api.port_or_known_default())
            || (api_host == "api.github.com" && host == "gist.github.com" && url.port().is_none());
        if !trusted {
            return None;
        }
        // git matches `http.<url>.extraHeader` by scheme, host and port: a
        // scope without the port would not match a server on another one.
        let scope = format!("{}/", url.origin().ascii_serialization());
        Some((scope, token.git_basic_header()))
    }

    /// Downloads `raw_url`, at most [`RAW_LIMIT`] bytes, and checks the size
    /// against the API's `size`.
    fn download_raw(
        &self,
        raw_url: &str,
        size: Option<u64>,
        diag: &Diagnostics,
    ) -> Result<Vec<u8>, GistError> {
        let url = Url::parse(raw_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| GistError::Raw(format!("{raw_url:?} is not an http(s) URL")))?;
        let send_token = self.same_origin(&url);
        diag.detail(&format!(
            "GET {url} ({})",
            if send_token && self.token.is_some() {
                "with the token: same host as the API"
            } else {
                "without the token"
            }
        ));
        let build = || {
            let req = self.http.get(url.clone());
            if send_token { self.authorize(req) } else { req }
        };
        let bar = diag.bar(size, true, "downloading raw_url");
        let reply = self.send(
            &url,
            "the raw_url download",
            build,
            RAW_LIMIT,
            Some(&bar),
            diag,
            true,
        );
        bar.finish_and_clear();
        let reply = reply?;
        if reply.status != StatusCode::OK {
            return Err(GistError::Raw(format!("HTTP {}", reply.status.as_u16())));
        }
        // The client asks for no coding and undoes none: a coded body is
        // not the file's bytes.
        if let Some(coding) = reply
            .headers
            .get(header::CONTENT_ENCODING)
            .filter(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"))
        {
            return Err(GistError::Raw(format!(
                "it served the file with Content-Encoding {}, which fetch does not decode",
                terminal_safe(&String::from_utf8_lossy(coding.as_bytes()))
            )));
        }
        let got = reply.body.len() as u64;
        match size {
            Some(size) if size != got => {
                return Err(GistError::Raw(format!(
                    "it served {got} bytes, the API says the file has {size}"
                )));
            }
            None if !reply.framed => {
                return Err(GistError::Raw(format!(
                    "it served {got} bytes without a length, and the API gave no size: \
                     whether the file is whole cannot be told"
                )));
            }
            _ => {}
        }
        diag.detail(&format!("raw_url: {got} bytes"));
        Ok(reply.body)
    }

    fn authorize(&self, req: RequestBuilder) -> RequestBuilder {
        match self.token.as_ref().and_then(|t| t.bearer().ok()) {
            Some(bearer) => req.header(header::AUTHORIZATION, bearer),
            None => req,
        }
    }

    /// Sends a request built by `build`, reading the whole body, retrying
    /// 5xx answers, timeouts and rate limits as the policy allows.
    /// `fallback`: the caller has another way to what it asks (raw_url,
    /// then the clone), so a rate limit that gives no time is not waited
    /// out.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        url: &Url,
        what: &str,
        build: impl Fn() -> RequestBuilder,
        limit: u64,
        bar: Option<&indicatif::ProgressBar>,
        diag: &Diagnostics,
        fallback: bool,
    ) -> Result<Reply, GistError> {
        let attempts = self.retry.retries.saturating_add(1);
        let mut attempt = 0;
        let mut streak = Streak::default();
        // Rate limits so far that gave no time to wait: GitHub asks for a
        // minute at least, longer each time one follows another.
        let mut untimed = 0;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            // A 5xx answer's own `retry-after`, when it gives one.
            let mut asked_wait: Option<Duration> = None;
            *self.redirected.lock().unwrap_or_else(|e| e.into_inner()) = None;
            let answer = match build().send() {
                Ok(resp) => {
                    let status = resp.status();
                    // The server that answered (a review: after a redirect
                    // this named the one asked).
                    let from = resp.url();
                    diag.detail(&if from.as_str() == url.as_str() {
                        format!("HTTP {} from {url}", status.as_u16())
                    } else {
                        format!(
                            "HTTP {} from {from} (redirected from {url})",
                            status.as_u16()
                        )
                    });
                    if let Some(limit) = rate_limit(status, resp.headers()) {
                        Answer::Limited(status, limit)
                    } else if status.is_server_error() {
                        asked_wait = retry_after(resp.headers()).map(Duration::from_secs);
                        Answer::Failed(Failure::Server(status.as_u16()))
                    } else {
                        let headers = resp.headers().clone();
                        let framed = is_framed(resp.version(), &headers);
                        match read_body(resp, limit, self.timeout, bar) {
                            // A secondary rate limit may come without
                            // retry-after and with requests left: only its
                            // message tells it from a refusal.
                            Ok(body)
                                if status == StatusCode::FORBIDDEN
                                    && secondary_rate_limit(&body) =>
                            {
                                Answer::Limited(status, RateLimit::UNTIMED)
                            }
                            Ok(body) => {
                                return Ok(Reply {
                                    status,
                                    headers,
                                    body,
                                    framed,
                                });
                            }
                            Err(BodyError::TooLarge) => {
                                return Err(GistError::TooLarge {
                                    what: what.to_owned(),
                                    limit_mb: limit / (1024 * 1024),
                                });
                            }
                            Err(BodyError::Slow) => Answer::Failed(Failure::Slow),
                            Err(BodyError::Io(err)) if io_is_timeout(&err) => {
                                Answer::Failed(Failure::Timeout)
                            }
                            // The server answered: its body ended early
                            // or was broken.
                            Err(BodyError::Io(err)) => Answer::Failed(Failure::Cut(io_chain(&err))),
                        }
                    }
                }
                Err(err) if err.is_timeout() => Answer::Failed(Failure::Timeout),
                Err(err) => {
                    let mut detail = error_chain(&err);
                    // Where a redirect led, by its origin alone (its path
                    // and query may hold a signed token): the URL asked was
                    // reached (a review: a redirect to a host that refused
                    // named only the URL asked).
                    let led = self
                        .redirected
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take();
                    let redirected = led.is_some();
                    if let Some(to) = led.filter(|to| *to != url.origin().ascii_serialization()) {
                        detail.push_str(&format!("; redirected to {to}"));
                    }
                    // Redirects that loop, run past 10 or lead to a URL no
                    // client request may have (`ftp://`) lead there again:
                    // not asked again (a review: 4 attempts, 44 requests).
                    if err.is_redirect() || (err.is_builder() && redirected) {
                        return Err(GistError::Redirect {
                            url: url.to_string(),
                            detail,
                        });
                    }
                    Answer::Failed(Failure::Transport(detail))
                }
            };
            let failure = match answer {
                Answer::Failed(failure) => failure,
                Answer::Limited(status, limit) => {
                    let alike = streak.push(format!("rate limited (HTTP {status})"));
                    let wait = limit.wait(untimed);
                    if limit == RateLimit::UNTIMED {
                        untimed += 1;
                    }
                    // With another way to the file (`fallback`: raw_url,
                    // then the clone), a minute's wait is not worth it.
                    let give_up = fallback && limit == RateLimit::UNTIMED;
                    if !last && !give_up && wait <= self.retry.max_wait {
                        diag.note(&format!(
                            "rate limited (HTTP {}): waiting {} s as GitHub asks{} (attempt \
                             {attempt} of {attempts})",
                            status.as_u16(),
                            wait.as_secs(),
                            if limit == RateLimit::UNTIMED {
                                " when it gives no time"
                            } else {
                                ""
                            }
                        ));
                        thread::sleep(wait);
                        continue;
                    }
                    return Err(GistError::RateLimited {
                        status: status.as_u16(),
                        reset: limit.reset,
                        retry_after: limit.retry_after,
                        untimed_wait: (limit == RateLimit::UNTIMED).then_some(wait.as_secs()),
                        token_source: self.token.as_ref().map(Token::source),
                        max_wait: self.retry.max_wait.as_secs(),
                        attempts: Attempts {
                            made: attempt,
                            alike,
                        },
                    });
                }
            };
            let reason = match &failure {
                Failure::Server(status) => format!("HTTP {status}"),
                Failure::Timeout => format!("no answer within {} s", self.timeout.as_secs()),
                Failure::Slow => {
                    format!("the answer came slower than {} KB/s", MIN_BODY_RATE / 1024)
                }
                Failure::Transport(detail) => detail.clone(),
                Failure::Cut(detail) => {
                    format!("the answer could not be read to its end: {detail}")
                }
            };
            let alike = streak.push(reason.clone());
            // A server that asks for longer than --max-wait is not asked
            // again at once (a review: a 503 asking for an hour was retried
            // after 0.5 s, where a 429 stops and says when to come back).
            if let (Failure::Server(status), Some(wait)) = (&failure, asked_wait)
                && wait > self.retry.max_wait
            {
                return Err(GistError::ServerAsksToWait {
                    what: what.to_owned(),
                    status: *status,
                    wait_secs: wait.as_secs(),
                    max_wait_secs: self.retry.max_wait.as_secs(),
                });
            }
            if last {
                let attempts = Attempts {
                    made: attempt,
                    alike,
                };
                return Err(match failure {
                    Failure::Server(status) => GistError::Server {
                        what: what.to_owned(),
                        status,
                        attempts,
                    },
                    Failure::Timeout => GistError::Timeout {
                        url: url.to_string(),
                        secs: self.timeout.as_secs(),
                        attempts,
                    },
                    Failure::Slow => GistError::Slow {
                        url: url.to_string(),
                        kb_per_s: MIN_BODY_RATE / 1024,
                        secs: self.timeout.as_secs(),
                        attempts,
                    },
                    Failure::Transport(detail) => GistError::Transport {
                        url: url.to_string(),
                        detail,
                        attempts,
                    },
                    Failure::Cut(detail) => GistError::Cut {
                        url: url.to_string(),
                        detail,
                        attempts,
                    },
                });
            }
            // A server that says when to come back (a 503's retry-after) is
            // believed (within --max-wait, above); otherwise the backoff.
            let delay = asked_wait
                .filter(|wait| *wait <= self.retry.max_wait)
                .unwrap_or_else(|| self.retry.backoff(attempt - 1));
            diag.note(&format!(
                "{what} failed ({reason}); retrying in {:.1} s (attempt {} of {attempts})",
                delay.as_secs_f64(),
                attempt + 1
            ));
            thread::sleep(delay);
        }
    }
}

/// The attempts in a row that failed the same way (told apart by what the
/// retry note says of them), for [`Attempts::alike`].
#[derive(Default)]
struct Streak {
    last: Option<String>,
    alike: u32,
}

impl Streak {
    /// Counts one more failed attempt; returns how many in a row, ending
    /// with it, failed as it did.
    fn push(&mut self, how: String) -> u32 {
        if self.last.as_ref() == Some(&how) {
            self.alike += 1;
        } else {
            self.last = Some(how);
            self.alike = 1;
        }
        self.alike
    }
}

/// What an answer that is not the reply asked for was.
enum Answer {
    /// A rate limit, with the answer's status.
    Limited(StatusCode, RateLimit),
    /// A failure worth retrying.
    Failed(Failure),
}

/// Why an attempt failed in a way worth retrying.
enum Failure {
    Server(u16),
    Timeout,
    Slow,
    Transport(String),
    /// The answer's body ended before its end (its length, its last chunk).
    Cut(String),
}

/// A rate-limit answer's timing headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RateLimit {
    retry_after: Option<u64>,
    reset: Option<u64>,
}

impl RateLimit {
    /// A rate limit that says neither when it resets nor when to retry.
    const UNTIMED: RateLimit = RateLimit {
        retry_after: None,
        reset: None,
    };

    /// How long to wait before retrying: what the answer says, else
    /// GitHub's rule for a limit that gives no time (REST API docs, "Rate
    /// limits"): at least a minute, and longer (here doubled) when such
    /// limits go on; `untimed` is how many came before this one.
    fn wait(&self, untimed: u32) -> Duration {
        if let Some(secs) = self.retry_after {
            return Duration::from_secs(secs);
        }
        match self.reset {
            Some(reset) => Duration::from_secs(reset.saturating_sub(now_secs()) + 1),
            None => UNTIMED_WAIT.saturating_mul(2u32.saturating_pow(untimed.min(16))),
        }
    }
}

/// The `message` of a GitHub error answer (`{"message": "Validation
/// Failed", …}`), at most 200 characters, safe for a terminal (a review: a
/// 422 was told only by its number, and `--verbose` showed no more).
///
/// The token is masked before the cut (a review: a message echoing it past
/// the 180th character was cut through it, and 30 of its 40 characters
/// passed the mask, which looks for it whole).
fn github_message(body: &[u8], token: Option<&Token>) -> Option<String> {
    let message = message_of(body)?;
    let message = token.map_or_else(|| message.clone(), |t| t.redact(&message));
    let mut cut: String = message.chars().take(200).collect();
    if cut.len() < message.len() {
        cut.push('…');
    }
    Some(terminal_safe(&cut).into_owned())
}

/// Whether a 403's body is GitHub's answer to a secondary rate limit
/// (`{"message": "You have exceeded a secondary rate limit. …"}`).
fn secondary_rate_limit(body: &[u8]) -> bool {
    message_of(body).is_some_and(|m| m.to_ascii_lowercase().contains("secondary rate limit"))
}

/// The `message` of a GitHub answer's JSON body, as sent.
fn message_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Message {
        message: String,
    }
    serde_json::from_slice::<Message>(body)
        .ok()
        .map(|m| m.message)
}

/// A header holding a whole number of seconds (or a Unix time).
fn rate_limit_header(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The seconds a `retry-after` header asks to wait: a whole number, or an
/// HTTP date (RFC 9110 allows both; a review: a date was said to give no
/// time), counted from now (0 for one past).
fn retry_after(headers: &HeaderMap) -> Option<u64> {
    retry_after_at(headers, chrono::Utc::now())
}

fn retry_after_at(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    if let Some(secs) = rate_limit_header(headers, "retry-after") {
        return Some(secs);
    }
    let text = headers.get("retry-after")?.to_str().ok()?;
    let at = chrono::DateTime::parse_from_rfc2822(text.trim()).ok()?;
    let ms = (at.with_timezone(&chrono::Utc) - now)
        .num_milliseconds()
        .max(0);
    Some((ms as u64).div_ceil(1000))
}

/// The rate limit an answer reports: 429, or 403 with `x-ratelimit-remaining: 0`
/// or a `retry-after` (GitHub's secondary limit).
fn rate_limit(status: StatusCode, headers: &HeaderMap) -> Option<RateLimit> {
    let number = |name: &str| rate_limit_header(headers, name);
    let retry_after = retry_after(headers);
    let exhausted = number("x-ratelimit-remaining") == Some(0);
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && (exhausted || retry_after.is_some()));
    limited.then(|| RateLimit {
        retry_after,
        reset: if exhausted || retry_after.is_none() {
            number("x-ratelimit-reset")
        } else {
            None
        },
    })
}

/// Whether an answer's body has a known end: HTTP/2 frames it, HTTP/1.1
/// with a `Content-Length` or chunks (hyper reports a body cut short of
/// either as an error). Chunks frame a body only when `chunked` is the last
/// coding (`chunked, identity` is read to the connection's close).
fn is_framed(version: reqwest::Version, headers: &HeaderMap) -> bool {
    let codings: Vec<String> = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    let chunked = codings.last().is_some_and(|c| c == "chunked");
    version >= reqwest::Version::HTTP_2 || headers.contains_key(header::CONTENT_LENGTH) || chunked
}

/// Whether `url`'s host is this machine (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

enum BodyError {
    TooLarge,
    /// Bytes kept coming, but too slowly to finish: see [`MIN_BODY_RATE`].
    Slow,
    Io(io::Error),
}

/// The slowest a body may come, in bytes a second, once `--timeout` has
/// passed: the timeout bounds each read, so without this a server sending a
/// byte now and then would hold `fetch` for as long as it liked (10 MB at a
/// byte a second is four months). Any working connection is far faster.
const MIN_BODY_RATE: u64 = 4 * 1024;

/// Reads a body of at most `limit` bytes, advancing `bar`; one that comes
/// slower than [`MIN_BODY_RATE`] after `timeout` is given up.
fn read_body(
    resp: Response,
    limit: u64,
    timeout: Duration,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<Vec<u8>, BodyError> {
    let started = std::time::Instant::now();
    let mut body = Vec::new();
    let mut reader = resp.take(limit + 1);
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(BodyError::Io(err)),
        };
        body.extend_from_slice(&buf[..n]);
        if let Some(bar) = bar {
            bar.inc(n as u64);
        }
        let late = started.elapsed().saturating_sub(timeout);
        if (body.len() as u64) < (late.as_secs_f64() * MIN_BODY_RATE as f64) as u64 {
            return Err(BodyError::Slow);
        }
    }
    if body.len() as u64 > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(body)
}

fn io_is_timeout(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::TimedOut
        || err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}

/// A reqwest error with its causes ("error sending request: connection refused").
fn error_chain(err: &reqwest::Error) -> String {
    let mut text = err.without_url_ref();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An I/O error and its causes, as [`error_chain`] says a client's (a
/// body's read error wraps one: "request or response body error" alone
/// said nothing of an early end).
fn io_chain(err: &io::Error) -> String {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
    {
        Some(inner) => error_chain(inner),
        None => err.to_string(),
    }
}

/// Display of a reqwest error without its URL (the caller names the URL).
trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let text = self.to_string();
        match self.url() {
            Some(url) => text
                .replace(&format!(" for url ({url})"), "")
                .replace(&format!(" ({url})"), ""),
            None => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comes_from_the_first_set_variable() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |var: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == var)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let t = Token::from_lookup(env(&[("GH_TOKEN", "c"), ("GITHUB_TOKEN", "b")])).unwrap();
        assert_eq!(t.source(), "GITHUB_TOKEN");
        let t = Token::from_lookup(env(&[
            ("GH_TOKEN", "c"),
            ("JMO_TELEMETRY_GITHUB_TOKEN", "a"),
        ]))
        .unwrap();
        assert_eq!(t.source(), "JMO_TELEMETRY_GITHUB_TOKEN");
        // Empty values count as unset.
        let t = Token::from_lookup(env(&[
            ("JMO_TELEMETRY_GITHUB_TOKEN", " "),
            ("GH_TOKEN", "c"),
        ]))
        .unwrap();
        assert_eq!(t.source(), "GH_TOKEN");
        assert!(Token::from_lookup(env(&[])).is_none());
    }

    /// `retry-after` as seconds or as an HTTP date (a review: a date was
    /// said to give no time); garbage gives none.
    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let of = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", HeaderValue::from_str(value).unwrap());
            retry_after_at(&headers, now)
        };
        assert_eq!(of("120"), Some(120));
        assert_eq!(of("Tue, 01 Dec 2026 10:00:03 GMT"), Some(3));
        assert_eq!(of("Tue, 01 Dec 2026 09:00:00 GMT"), Some(0));
        assert_eq!(of("soon"), None);
        assert_eq!(of("-5"), None);
        assert_eq!(retry_after_at(&HeaderMap::new(), now), None);
    }

    #[test]
    fn token_is_never_displayed() {
        let token = Token {
            value: "ghp_secret123456789abc".into(),
            variable: "GH_TOKEN",
        };
        let debug = format!("{token:?}");
        assert_eq!(debug, "Token(from GH_TOKEN, redacted)");
        assert_eq!(token.redact("a ghp_secret123456789abc b"), "a *** b");
        let header = token.git_basic_header();
        assert!(!header.contains("ghp_secret123456789abc"));
        assert!(header.starts_with("Authorization: Basic "));
        assert_eq!(token.redact(&header), "Authorization: Basic ***");
        // Too short to be a token (refused before any request): a message's
        // letters are its own.
        let short = Token {
            value: "e".into(),
            variable: "GH_TOKEN",
        };
        assert_eq!(
            short.redact("GitHub rejected the token"),
            "GitHub rejected the token"
        );
        assert!(matches!(
            short.bearer(),
            Err(GistError::ShortToken { chars: 1, .. })
        ));
    }

    #[test]
    fn bad_token_is_reported_by_variable_not_value() {
        let token = Token {
            value: "ghp_x0123456789abcdef\nInjected: yes".into(),
            variable: "GITHUB_TOKEN",
        };
        let err = token.bearer().unwrap_err().to_string();
        assert!(err.starts_with("the token in GITHUB_TOKEN holds characters"));
        assert!(!err.contains("ghp_x"));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            retries: 5,
            max_wait: Duration::from_secs(3),
        };
        let delays: Vec<u128> = (0..5).map(|r| policy.backoff(r).as_millis()).collect();
        assert_eq!(delays, [500, 1000, 2000, 3000, 3000]);
    }

    #[test]
    fn a_body_is_framed_by_its_length_or_by_chunks_last() {
        let v1 = reqwest::Version::HTTP_11;
        let framed = |pairs: &[(&'static str, &str)]| is_framed(v1, &headers(pairs));
        assert!(framed(&[("content-length", "20")]));
        assert!(framed(&[("transfer-encoding", "chunked")]));
        assert!(framed(&[("transfer-encoding", "gzip, Chunked ")]));
        // Read to the connection's close: a cut body looks whole.
        assert!(!framed(&[]));
        assert!(!framed(&[("transfer-encoding", "chunked, identity")]));
        assert!(!framed(&[("transfer-encoding", "xchunked")]));
        assert!(is_framed(reqwest::Version::HTTP_2, &headers(&[])));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn rate_limits_are_recognised() {
        let exhausted = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "100")]);
        assert_eq!(
            rate_limit(StatusCode::FORBIDDEN, &exhausted),
            Some(RateLimit {
                retry_after: None,
                reset: Some(100)
            })
        );
        let secondary = headers(&[("retry-after", "7")]);
        assert_eq!(
            rate_limit(StatusCode::FORBIDDEN, &secondary),
            Some(RateLimit {
                retry_after: Some(7),
                reset: None
            })
        );
        assert_eq!(
            rate_limit(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new()),
            Some(RateLimit {
                retry_after: None,
                reset: None
            })
        );
        // A plain 403 (no access) is not a rate limit.
        let plain = headers(&[("x-ratelimit-remaining", "59")]);
        assert_eq!(rate_limit(StatusCode::FORBIDDEN, &plain), None);
        assert_eq!(rate_limit(StatusCode::OK, &exhausted), None);
    }

    #[test]
    fn rate_limit_message_names_the_reset_time() {
        let msg = rate_limit_message(
            403,
            Some(1_763_563_920),
            None,
            None,
            None,
            60,
            Attempts { made: 4, alike: 4 },
        );
        assert_eq!(
            msg,
            "GitHub's API rate limit is exhausted (HTTP 403); it reset at 2025-11-19 14:52:00 UTC: \
             try again after that, or set JMO_TELEMETRY_GITHUB_TOKEN (an authenticated client \
             may make 5,000 requests an hour instead of 60)"
        );
    }

    #[test]
    fn a_coming_reset_reads_in_seconds_or_minutes_and_names_max_wait_when_past_it() {
        let soon = |in_secs: u64, max_wait: u64| {
            rate_limit_message(
                403,
                Some(now_secs() + in_secs),
                None,
                None,
                Some("GH_TOKEN"),
                max_wait,
                Attempts::ONE,
            )
        };
        let near = soon(100, 3);
        assert!(
            near.contains(" s), later than --max-wait 3 s: try again after that"),
            "{near}"
        );
        let far = soon(3600, 60);
        assert!(
            far.contains("(in 60 min), later than --max-wait 60 s"),
            "{far}"
        );
        let within = soon(100, 300);
        assert!(within.contains(" s): try again after that"), "{within}");
    }

    #[test]
    fn a_wait_is_said_as_a_person_reads_it() {
        for (secs, said) in [
            (0, "0 s"),
            (119, "119 s"),
            (120, "2 min"),
            (121, "3 min"),
            (3600, "60 min"),
            (7140, "119 min"),
            (7141, "2 h"),
            (7201, "2 h 1 min"),
            (86_400, "24 h"),
            (90_061, "25 h 2 min"),
        ] {
            assert_eq!(wait_text(secs), said, "{secs}");
        }
    }

    #[test]
    fn rate_limit_message_says_whether_the_wait_or_the_retries_ran_out() {
        let long = rate_limit_message(
            429,
            None,
            Some(90),
            None,
            Some("GH_TOKEN"),
            60,
            Attempts { made: 1, alike: 1 },
        );
        assert_eq!(
            long,
            "GitHub's API rate limit is exhausted (HTTP 429); GitHub asks to retry after 90 s, \
             longer than --max-wait 60 s: try again after that"
        );
        let short =
            rate_limit_message(429, None, Some(1), None, Some("GH_TOKEN"), 3, Attempts::ONE);
        assert_eq!(
            short,
            "GitHub's API rate limit is exhausted (HTTP 429); GitHub asked to retry after 1 s on \
             the only attempt (--retries 0): try again after that"
        );
        let retried = rate_limit_message(
            429,
            None,
            Some(2),
            None,
            Some("GH_TOKEN"),
            60,
            Attempts { made: 4, alike: 4 },
        );
        assert_eq!(
            retried,
            "GitHub's API rate limit is exhausted (HTTP 429); GitHub asked to retry after 2 s on \
             all 4 attempts: try again after that"
        );
    }

    #[test]
    fn a_rate_limit_that_gives_no_time_waits_a_minute_and_longer_when_it_goes_on() {
        let waits: Vec<u64> = (0..4)
            .map(|before| RateLimit::UNTIMED.wait(before).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 480]);
        // No overflow however many came before.
        assert!(RateLimit::UNTIMED.wait(u32::MAX) >= Duration::from_secs(60));
        // What the answer says comes first, however many came before.
        let said = RateLimit {
            retry_after: Some(7),
            reset: None,
        };
        assert_eq!(said.wait(3), Duration::from_secs(7));
        let reset = RateLimit {
            retry_after: None,
            reset: Some(now_secs() + 30),
        };
        assert!((30..=32).contains(&reset.wait(3).as_secs()));
    }

    #[test]
    fn rate_limit_message_for_one_that_gives_no_time() {
        let long = rate_limit_message(
            403,
            None,
            None,
            Some(60),
            Some("GH_TOKEN"),
            3,
            Attempts::ONE,
        );
        assert_eq!(
            long,
            "GitHub's API rate limit is exhausted (HTTP 403); it gives no time, and GitHub asks \
             then to wait at least 60 s, longer than --max-wait 3 s: wait that long and try again"
        );
        let retried = rate_limit_message(
            429,
            None,
            None,
            Some(60),
            Some("GH_TOKEN"),
            60,
            Attempts { made: 2, alike: 2 },
        );
        assert_eq!(
            retried,
            "GitHub's API rate limit is exhausted (HTTP 429); it gave no time on all 2 attempts: \
             wait a few minutes and try again"
        );
        // A doubled wait is this tool's, not GitHub's minute (a review).
        let doubled = rate_limit_message(
            429,
            None,
            None,
            Some(240),
            Some("GH_TOKEN"),
            200,
            Attempts { made: 3, alike: 3 },
        );
        assert_eq!(
            doubled,
            "GitHub's API rate limit is exhausted (HTTP 429); it gave no time on all 3 attempts, \
             and the next wait (doubled for each, as GitHub asks when they go on), 4 min, is \
             longer than --max-wait 200 s: wait that long and try again"
        );
    }

    #[test]
    fn attempts_say_all_only_when_every_one_failed_alike() {
        let shown = |made, alike| Attempts { made, alike }.to_string();
        assert_eq!(shown(1, 1), "on the only attempt (--retries 0)");
        assert_eq!(shown(3, 3), "on all 3 attempts");
        assert_eq!(shown(3, 1), "on the last of 3 attempts");
        assert_eq!(shown(4, 2), "on the last 2 of 4 attempts");
        let mut streak = Streak::default();
        let pushed: Vec<u32> = ["HTTP 502", "HTTP 502", "HTTP 503", "HTTP 503", "HTTP 503"]
            .map(|how| streak.push(how.to_owned()))
            .into();
        assert_eq!(pushed, [1, 2, 1, 2, 3]);
    }

    fn client(api: &str, token: Option<&str>) -> GistClient {
        GistClient::new(ClientConfig {
            api_url: api.into(),
            token: token.map(|v| Token {
                value: v.into(),
                variable: "GH_TOKEN",
            }),
            timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                retries: 0,
                max_wait: Duration::from_secs(1),
            },
        })
        .unwrap()
    }

    #[test]
    fn gist_urls_and_ids() {
        let c = client("https://ghe.example.com/api/v3/", None);
        assert_eq!(
            c.gist_url("abc123").unwrap().as_str(),
            "https://ghe.example.com/api/v3/gists/abc123"
        );
        assert!(matches!(
            c.gist_url("../../user"),
            Err(GistError::BadGistId { .. })
        ));
        assert!(matches!(c.gist_url(""), Err(GistError::BadGistId { .. })));
        let err = GistClient::new(ClientConfig {
            api_url: "not a url".into(),
            ..ClientConfig {
                api_url: String::new(),
                token: None,
                timeout: Duration::from_secs(1),
                retry: RetryPolicy {
                    retries: 0,
                    max_wait: Duration::ZERO,
                },
            }
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--api-url \"not a url\" is not a valid URL: give one like https://api.github.com"
        );
        for url in [
            "http://x:ghp_SECRET@127.0.0.1:9",
            "https://ghp_SECRET@ghe.example.com/api/v3",
            "https://:ghp_SECRET@ghe.example.com",
            // Invalid otherwise too (a review: printed whole).
            "user:ghp_SECRET@ghe.example.com/api/v3",
            "ftp://user:ghp_SECRET@127.0.0.1:9",
            "https://user:ghp_SECRET@ghe.example.com:99999/api/v3",
            "https://user:ghp_SECRET@/api/v3",
            "https//user:ghp_SECRET@ghe.example.com/api/v3",
            "https:/user:ghp_SECRET@ghe.example.com:99999/api/v3",
            "user:ghp_SECRET@ghe.example.com/api/v3?next=https://x",
        ] {
            let err = GistClient::new(ClientConfig {
                api_url: url.into(),
                token: None,
                timeout: Duration::from_secs(1),
                retry: RetryPolicy {
                    retries: 0,
                    max_wait: Duration::ZERO,
                },
            })
            .map(drop)
            .unwrap_err();
            assert!(matches!(err, GistError::ApiUrlCredentials), "{url}: {err}");
            assert!(!err.to_string().contains("SECRET"));
        }
    }

    #[test]
    fn token_goes_only_to_trusted_hosts() {
        let c = client("https://api.github.com", Some("ghp_0123456789abcdefghij"));
        assert!(c.same_origin(&Url::parse("https://api.github.com/gists/1").unwrap()));
        assert!(!c.same_origin(&Url::parse("https://gist.githubusercontent.com/raw").unwrap()));
        assert!(!c.same_origin(&Url::parse("http://api.github.com/x").unwrap()));
        let (scope, _) = c
            .git_auth_header("https://gist.github.com/abc.git")
            .unwrap();
        assert_eq!(scope, "https://gist.github.com/");
        assert!(c.git_auth_header("https://evil.example/abc.git").is_none());
        assert!(
            c.git_auth_header("http://gist.github.com/abc.git")
                .is_none()
        );
        assert!(c.git_auth_header("/tmp/local.git").is_none());
        assert!(
            client("https://api.github.com", None)
                .git_auth_header("https://gist.github.com/abc.git")
                .is_none()
        );
    }

    #[test]
    fn git_gets_the_token_for_the_api_host_on_its_own_port_only() {
        let c = client(
            "https://ghe.example.com:8443/api/v3",
            Some("ghp_0123456789abcdefghij"),
        );
        let (scope, _) = c
            .git_auth_header("https://ghe.example.com:8443/gist/x.git")
            .unwrap();
        // git matches the scope by port too: without it, no header is sent.
        assert_eq!(scope, "https://ghe.example.com:8443/");
        assert!(
            c.git_auth_header("https://ghe.example.com/gist/x.git")
                .is_none()
        );
        assert!(
            c.git_auth_header("https://ghe.example.com:9443/gist/x.git")
                .is_none()
        );
        let (scope, _) = client(
            "https://ghe.example.com/api/v3",
            Some("ghp_0123456789abcdefghij"),
        )
        .git_auth_header("https://ghe.example.com:443/gist/x.git")
        .unwrap();
        assert_eq!(scope, "https://ghe.example.com/");
        assert!(
            client("https://api.github.com", Some("ghp_0123456789abcdefghij"))
                .git_auth_header("https://gist.github.com:8443/abc.git")
                .is_none()
        );
    }

    #[test]
    fn a_token_is_never_sent_over_plain_http_to_another_machine() {
        let config = |api: &str| ClientConfig {
            api_url: api.into(),
            token: Some(Token {
                value: "ghp_secret0123456789".into(),
                variable: "GH_TOKEN",
            }),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy {
                retries: 0,
                max_wait: Duration::ZERO,
            },
        };
        let err = GistClient::new(config("http://api.github.com")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--api-url http://api.github.com/ is plain http, which would send the token from \
             GH_TOKEN unencrypted: use https:// (plain http is only for a server on this \
             machine, such as a test's)"
        );
        for api in ["http://10.0.0.1:8080", "http://localhost.example.com"] {
            assert!(GistClient::new(config(api)).is_err(), "{api}");
        }
        for api in [
            "https://api.github.com",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(GistClient::new(config(api)).is_ok(), "{api}");
        }
        // Without a token, plain http carries nothing secret.
        assert!(
            GistClient::new(ClientConfig {
                token: None,
                ..config("http://api.example.com")
            })
            .is_ok()
        );
    }

    #[test]
    fn missing_file_message_lists_the_files() {
        assert_eq!(
            missing_file_message("abc", "x.jsonl", &["a.txt".into(), "b.jsonl".into()], false),
            "gist abc has no file \"x.jsonl\"; it has: a.txt, b.jsonl. Pass --file NAME to choose"
        );
        assert_eq!(
            missing_file_message("abc", "x.jsonl", &[], false),
            "gist abc has no file at all, so no \"x.jsonl\": check --gist-id (a client creates \
             the file with its first event)"
        );
        assert_eq!(
            listed_files(&["\u{1b}]0;pwned\u{7}.txt".into()]),
            "\\u{1b}]0;pwned\\u{7}.txt"
        );
    }
}
