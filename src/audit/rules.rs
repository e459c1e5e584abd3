//! The privacy rules of `audit`: detectors that find what the telemetry must
//! never hold ("Never collected" in `../shared/EVENTS.md`), and the redacted form
//! each finding is shown as. A detector never returns the value it matched,
//! only the rule, where the match is and a redacted mask.
//!
//! Content detectors ([`scan_text`]) run on every string value and every object
//! key; the contextual rules (exact numbers, free text, `anonymous_id`) need to
//! know the field and live in [`super::scan`], using the helpers here.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::render::text::is_unsafe_char;

/// One privacy rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// An e-mail address.
    Email,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A MAC address (`00:1A:2B:3C:4D:5E`, `00-1a-2b-3c-4d-5e`).
    MacAddress,
    /// A POSIX file-system path (`/…`, `~/…`, `./…`, `a/b/c`).
    PosixPath,
    /// A Windows file-system path (`C:\…`, `\\server\share`).
    WindowsPath,
    /// A file name with a source, config or key extension (`main.py`, `.env`).
    FileName,
    /// A URL (`scheme://…`, `www.…`).
    Url,
    /// The host name of a code-hosting service (`github.com`, `gitlab.…`).
    RepoHost,
    /// A machine's or a domain's host name (`build-17.corp.example.com`,
    /// `alices-macbook.local`, `jenkins.internal`).
    Hostname,
    /// An AWS access key ID (`AKIA…`).
    AwsKey,
    /// A GitHub token (`ghp_…`, `gho_…`, `github_pat_…`).
    GithubToken,
    /// A private-key header (`-----BEGIN … PRIVATE KEY-----`).
    PrivateKey,
    /// A long random-looking string: a secret, a hash, a token.
    HighEntropy,
    /// A stack trace (Python, Java/JavaScript, Rust, Go).
    StackTrace,
    /// A user name inside a home directory (`/home/NAME`, `C:\Users\NAME`).
    HomeUser,
    /// An environment-variable dump (`NAME=value`, or an `ENV_NAME` key).
    EnvDump,
    /// An exact duration or count where the schema promises a bucket.
    ExactNumber,
    /// Free text where the schema allows only short enumerated labels.
    FreeText,
    /// An `anonymous_id` that is not a random UUID v4.
    AnonymousId,
    /// A value in a field the schema does not have whose name says it holds
    /// never-collected data (`repo_name`, `branch`, `user`, `password`).
    SensitiveField,
    /// A line `summary` counts as an event that the audit cannot read as a
    /// whole (a number out of range, an unpaired surrogate, nesting deeper
    /// than 128 in a field `summary` skips): its fields went unchecked.
    Unreadable,
}

impl Rule {
    /// Every rule, in report order.
    pub const ALL: [Rule; 22] = [
        Rule::Email,
        Rule::Ipv4,
        Rule::Ipv6,
        Rule::MacAddress,
        Rule::PosixPath,
        Rule::WindowsPath,
        Rule::FileName,
        Rule::Url,
        Rule::RepoHost,
        Rule::Hostname,
        Rule::AwsKey,
        Rule::GithubToken,
        Rule::PrivateKey,
        Rule::HighEntropy,
        Rule::StackTrace,
        Rule::HomeUser,
        Rule::EnvDump,
        Rule::ExactNumber,
        Rule::FreeText,
        Rule::AnonymousId,
        Rule::SensitiveField,
        Rule::Unreadable,
    ];

    /// The rule's identifier in reports (`github-token`).
    pub fn id(self) -> &'static str {
        match self {
            Rule::Email => "email",
            Rule::Ipv4 => "ipv4",
            Rule::Ipv6 => "ipv6",
            Rule::MacAddress => "mac-address",
            Rule::PosixPath => "posix-path",
            Rule::WindowsPath => "windows-path",
            Rule::FileName => "file-name",
            Rule::Url => "url",
            Rule::RepoHost => "repo-host",
            Rule::Hostname => "hostname",
            Rule::AwsKey => "aws-key",
            Rule::GithubToken => "github-token",
            Rule::PrivateKey => "private-key",
            Rule::HighEntropy => "high-entropy",
            Rule::StackTrace => "stack-trace",
            Rule::HomeUser => "home-user",
            Rule::EnvDump => "env-dump",
            Rule::ExactNumber => "exact-number",
            Rule::FreeText => "free-text",
            Rule::AnonymousId => "anonymous-id",
            Rule::SensitiveField => "sensitive-field",
            Rule::Unreadable => "unreadable",
        }
    }

    /// What the rule looks for, in words.
    pub fn description(self) -> &'static str {
        match self {
            Rule::Email => "e-mail address",
            Rule::Ipv4 => "IPv4 address",
            Rule::Ipv6 => "IPv6 address",
            Rule::MacAddress => "MAC address",
            Rule::PosixPath => "POSIX file-system path",
            Rule::WindowsPath => "Windows file-system path",
            Rule::FileName => "file name",
            Rule::Url => "URL",
            Rule::RepoHost => "code-hosting host name",
            Rule::Hostname => "host name of a machine or a domain",
            Rule::AwsKey => "AWS access key ID",
            Rule::GithubToken => "GitHub token",
            Rule::PrivateKey => "private key",
            Rule::HighEntropy => "high-entropy string (secret, token or hash)",
            Rule::StackTrace => "stack trace",
            Rule::HomeUser => "user name in a home directory",
            Rule::EnvDump => "environment variable",
            Rule::ExactNumber => "exact duration or count where a bucket is promised",
            Rule::FreeText => "free text in an enumerated field",
            Rule::AnonymousId => "anonymous_id that is not a random UUID v4",
            Rule::SensitiveField => {
                "value of a field the schema does not have, named for never-collected data"
            }
            Rule::Unreadable => {
                "line the audit could not read: an event summary counts, or a line over 64 MiB"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One detector match: the rule and the redacted form of what matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The rule that matched.
    pub rule: Rule,
    /// A form safe to print: a mask and the length, never the value.
    pub redacted: String,
}

impl Hit {
    fn new(rule: Rule, mask: &str, matched: &str) -> Hit {
        Hit {
            rule,
            redacted: redact(mask, matched),
        }
    }
}

/// The redacted form of a match: `mask (N chars)`.
pub fn redact(mask: &str, matched: &str) -> String {
    format!("{mask} ({})", crate::render::text::chars(matched))
}

/// `s` with every run of backslashes before a `/` taken out: a slash
/// escaped at any depth of JSON in JSON (`\/`, `\\/`, `\\\\/`; a review
/// found the third passed).
fn slashes_unescaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '/' {
            let kept = out.trim_end_matches('\\').len();
            out.truncate(kept);
        }
        out.push(c);
    }
    out
}

/// Runs every content detector on `s` (a string value or an object key) and
/// pushes one [`Hit`] per rule that matched. `hits` should be empty on entry.
pub fn scan_text(s: &str, hits: &mut Vec<Hit>) {
    // Slashes escaped as JSON may write them, also twice (`\/home\/jdoe`,
    // `https:\/\/intranet\/x`, `\\/home`): read as slashes, by every rule
    // (reviews found paths, URLs and users in them passed).
    let unescaped;
    let s = if s.contains("\\/") {
        unescaped = slashes_unescaped(s);
        unescaped.as_str()
    } else {
        s
    };
    // One pass over the bytes says which detectors can match at all: most
    // values are plain labels or timestamps, and most detectors need a
    // character they lack (`@`, `/`, `=`, a space, …).
    let (mut at, mut colon, mut slash, mut backslash, mut eq, mut space, mut dot, mut digit) =
        (false, false, false, false, false, false, false, false);
    let (mut dash, mut high) = (false, false);
    let (mut other, mut non_numeric) = (false, false);
    for c in s.bytes() {
        match c {
            b'0'..=b'9' => digit = true,
            b'.' => dot = true,
            b':' => colon = true,
            b'-' => dash = true,
            b'+' => {}
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'<' | b'>' => {
                non_numeric |= !matches!(c, b'T' | b'Z');
            }
            _ => {
                other = true;
                match c {
                    b'@' => at = true,
                    b'/' => slash = true,
                    b'\\' => backslash = true,
                    b'=' => eq = true,
                    c if c.is_ascii_whitespace() => space = true,
                    0x80.. => high = true,
                    _ => {}
                }
            }
        }
    }
    if dash || colon || dot {
        addresses(s, hits);
    }
    if !other && !colon {
        // A plain label (`osv-scanner`, `0.7.0-dev`, `>1000`, a UUID).
        if dot {
            if digit && let Some(m) = ipv4(s) {
                hits.push(Hit::new(Rule::Ipv4, "*.*.*.*", m));
            }
            if let Some(m) = repo_host(s) {
                hits.push(Hit::new(Rule::RepoHost, "***.***", m));
            }
            // `www.acme-intranet.pl`: a URL without its scheme is a label
            // too (two reviews found it passed).
            if let Some(m) = url(s) {
                hits.push(Hit::new(Rule::Url, "***://…", m));
            }
            host(s, hits);
            file_name(s, hits);
        } else if let Some(m) = secret_file_name(s) {
            hits.push(Hit::new(Rule::FileName, "****.***", m));
        }
        secrets(s, hits, false);
        return;
    }
    if !other && !non_numeric {
        // Digits and `.:+-TZ` only: a timestamp, a time, or an address.
        if let Some(m) = ipv4(s) {
            hits.push(Hit::new(Rule::Ipv4, "*.*.*.*", m));
        }
        if let Some(m) = ipv6(s) {
            hits.push(Hit::new(Rule::Ipv6, "*:*:…", m));
        }
        return;
    }
    if at && let Some(m) = email(s) {
        hits.push(Hit::new(Rule::Email, "***@***", m));
    }
    if dot
        && digit
        && let Some(m) = ipv4(s)
    {
        hits.push(Hit::new(Rule::Ipv4, "*.*.*.*", m));
    }
    if colon && let Some(m) = ipv6(s) {
        hits.push(Hit::new(Rule::Ipv6, "*:*:…", m));
    }
    if (colon || dot)
        && let Some(m) = url(s)
    {
        hits.push(Hit::new(Rule::Url, "***://…", m));
    }
    if dot && let Some(m) = repo_host(s) {
        hits.push(Hit::new(Rule::RepoHost, "***.***", m));
    }
    // IDNA's other dots (`сервер｡рф`, `ｂｕｉｌｄ．ａｃｍｅ．ｃｏｍ`).
    if dot || high && s.contains(is_host_dot) {
        host(s, hits);
    }
    if slash && let Some(m) = posix_path(s) {
        hits.push(Hit::new(Rule::PosixPath, "/***/…", m));
    }
    if (colon || backslash)
        && let Some(m) = windows_path(s)
    {
        hits.push(Hit::new(Rule::WindowsPath, "*:\\***\\…", m));
    }
    if dot {
        file_name(s, hits);
    } else if let Some(m) = secret_file_name(s) {
        hits.push(Hit::new(Rule::FileName, "****.***", m));
    }
    if (slash || backslash)
        && let Some(m) = home_user(s)
    {
        hits.push(Hit::new(Rule::HomeUser, "home directory of ****", m));
    }
    secrets(s, hits, space);
    if space && let Some(m) = stack_trace(s) {
        hits.push(Hit::new(Rule::StackTrace, "stack trace", m));
    }
    if eq && let Some(m) = env_assignment(s) {
        hits.push(Hit::new(Rule::EnvDump, "****=****", m));
    }
}

/// Addresses written with `-` or `:` between their parts: a MAC address,
/// and an IPv4 address in a cloud machine's name (`ip-10-0-1-23`, EC2's).
fn addresses(s: &str, hits: &mut Vec<Hit>) {
    if let Some(m) = mac_address(s) {
        hits.push(Hit::new(Rule::MacAddress, "**:**:…", m));
    }
    if let Some(m) = dashed_ipv4(s) {
        let mask = if m.starts_with(['e', 'E']) {
            "ec2-*-*-*-*"
        } else {
            "ip-*-*-*-*"
        };
        hits.push(Hit::new(Rule::Ipv4, mask, m));
    }
}

/// A MAC address: six pairs of hexadecimal digits joined by `:` or by `-`
/// (`00:1A:2B:3C:4D:5E`, `00-1a-2b-3c-4d-5e`), or three groups of four
/// joined by `.` (Cisco's `001a.2b3c.4d5e`), standing as a word: not
/// within a word, nor part of a longer run of pairs (`aa:bb:…:ff:00`); a
/// separator at its side is a word's edge (`mac-00-1a-…`, `eth0:00:1a:…`).
pub fn mac_address(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let hex = |i: usize, n: usize| {
        b.get(i..i + n)
            .is_some_and(|p| p.iter().all(u8::is_ascii_hexdigit))
    };
    // A pair standing alone at `i` (no word character either side of it).
    let lone_pair = |i: usize| {
        hex(i, 2) && (i == 0 || !is_word(b[i - 1])) && b.get(i + 2).is_none_or(|&c| !is_word(c))
    };
    let found = |at: usize, len: usize, sep: u8, group: usize| {
        let end = at + len;
        // A pair on either side, past a separator: a longer run of pairs.
        let run_before = group == 2 && at >= 3 && b[at - 1] == sep && lone_pair(at - 3);
        let run_after = group == 2 && b.get(end) == Some(&sep) && lone_pair(end + 1);
        let edge = |c: Option<&u8>| c.is_none_or(|&c| !is_word(c));
        edge(at.checked_sub(1).map(|i| &b[i])) && edge(b.get(end)) && !run_before && !run_after
    };
    for at in 0..b.len() {
        if !b[at].is_ascii_hexdigit() || at > 0 && b[at - 1].is_ascii_hexdigit() {
            continue;
        }
        if let Some(&sep) = b.get(at + 2).filter(|&&c| c == b':' || c == b'-') {
            let pairs = (0..6)
                .all(|k| hex(at + 3 * k, 2) && (k == 5 || b.get(at + 3 * k + 2) == Some(&sep)));
            if pairs && found(at, 17, sep, 2) {
                return Some(&s[at..at + 17]);
            }
        }
        if b.get(at + 4) == Some(&b'.') {
            let groups = (0..3)
                .all(|k| hex(at + 5 * k, 4) && (k == 2 || b.get(at + 5 * k + 4) == Some(&b'.')));
            // Twelve decimal digits are more likely a date and a time
            // (`2024.1101.1432`, a calendar version) than an address.
            if groups
                && b[at..at + 14].iter().any(u8::is_ascii_alphabetic)
                && found(at, 14, b'.', 4)
                && b.get(at + 14) != Some(&b'.')
                && (at == 0 || b[at - 1] != b'.')
            {
                return Some(&s[at..at + 14]);
            }
        }
    }
    None
}

/// An IPv4 address in a cloud machine's name: `ip-` (EC2's private
/// names) or `ec2-` (its public ones) and four numbers of at most 255
/// joined by `-` (`ip-10-0-1-23`, `ec2-54-12-34-56.compute-1.amazonaws.com`,
/// `ip-10-0-1-23-eth0`), standing as a word.
pub fn dashed_ipv4(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for prefix in [&b"ip-"[..], b"ec2-"] {
        let mut from = 0;
        while let Some(at) = find_ci(b, prefix, from) {
            from = at + 1;
            if at > 0 && b[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let mut end = at + prefix.len();
            let mut parts = 0;
            while parts < 4 {
                let digits = b[end..].iter().take_while(|c| c.is_ascii_digit()).count();
                let part = std::str::from_utf8(&b[end..end + digits]).ok();
                if !(1..=3).contains(&digits) || part.and_then(|p| p.parse::<u8>().ok()).is_none() {
                    break;
                }
                end += digits;
                parts += 1;
                if parts < 4 {
                    if b.get(end) != Some(&b'-') {
                        break;
                    }
                    end += 1;
                }
            }
            // Not a fifth number (`ip-1-2-3-4-5`); a word after a `-` is the
            // interface's or the host's (`-eth0`).
            let after_ok = match b.get(end) {
                None => true,
                Some(b'-') => b.get(end + 1).is_none_or(|c| !c.is_ascii_digit()),
                Some(&c) => !is_word(c),
            };
            if parts == 4 && after_ok {
                return Some(&s[at..end]);
            }
        }
    }
    None
}

/// The token detectors: AWS keys, GitHub tokens, private keys, high entropy.
fn secrets(s: &str, hits: &mut Vec<Hit>, space: bool) {
    if s.len() < 11 {
        return;
    }
    if let Some(m) = aws_key(s) {
        hits.push(Hit::new(Rule::AwsKey, "AKIA****…", m));
    }
    if let Some(m) = github_token(s) {
        let mask = if m.starts_with("github_pat_") {
            "github_pat_****…"
        } else {
            "gh**_****…"
        };
        hits.push(Hit::new(Rule::GithubToken, mask, m));
    }
    if let Some(m) = space.then(|| private_key(s)).flatten() {
        hits.push(Hit::new(
            Rule::PrivateKey,
            "-----BEGIN *** PRIVATE KEY-----",
            m,
        ));
    }
    if let Some(m) = high_entropy(s) {
        // A token already named by a more precise rule is not reported twice.
        if !hits
            .iter()
            .any(|h| matches!(h.rule, Rule::AwsKey | Rule::GithubToken))
        {
            hits.push(Hit::new(Rule::HighEntropy, "****…", m));
        }
    }
}

fn file_name(s: &str, hits: &mut Vec<Hit>) {
    if let Some(m) = bare_file_name(s).or_else(|| secret_file_name(s)) {
        hits.push(Hit::new(Rule::FileName, "****.***", m));
    }
}

/// Key and credential files known by name rather than by extension:
/// `id_rsa` and its kin (`id_ed25519_sk`, `id_rsa_work`), `authorized_keys`,
/// `known_hosts`, a host's keys (`ssh_host_rsa_key`), `.git-credentials`,
/// shell and console histories, `kubeconfig-prod`, `.env.production`,
/// `Dockerfile.prod`, `terraform.tfstate.backup`.
pub fn secret_file_name(s: &str) -> Option<&str> {
    const NAMES: [&str; 14] = [
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ecdsa_sk",
        "id_ed25519",
        "id_ed25519_sk",
        "authorized_keys",
        "known_hosts",
        "ssh_known_hosts",
        ".git-credentials",
        "_netrc",
        "fish_history",
        ".lesshst",
        ".histfile",
    ];
    const PREFIXES: [&str; 3] = ["kubeconfig", ".env.", "dockerfile."];
    words(s).find(|tok| {
        let tok = tok.trim_end_matches(['.', ':']);
        // Bytes, not a slice of the text: a label may hold any character.
        let b = tok.as_bytes();
        let starts = |p: &str| {
            b.get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
        };
        let ends = |at: usize, more: &[u8]| {
            b.get(at)
                .is_none_or(|c| matches!(c, b'.' | b'-') || more.contains(c))
        };
        // A name as it is or with an extension or a copy's suffix
        // (`id_rsa.pub`, `id_rsa-cert.pub`); a key's with what `ssh-keygen`
        // and users add (`id_rsa_work`, `id_ed25519_sk_rk_gitlab`), a
        // list's with a number (`known_hosts2`), but not a label that
        // names one (`known_hosts_pinned`, `fish_history_enabled`: a
        // review found policy names flagged).
        let named = |n: &&str| {
            let more: &[u8] = match *n {
                n if n.starts_with("id_") => b"_0123456789",
                "authorized_keys" | "known_hosts" | "ssh_known_hosts" => b"0123456789",
                _ => b"",
            };
            starts(n) && ends(n.len(), more)
        };
        // A host's own key by its whole form: `ssh_host_`, a word and `_`
        // or none, `key` (`ssh_host_ed25519_key`, `ssh_host_key.pub`; not
        // `ssh_host_keys_rotated`).
        let host_key = starts("ssh_host_") && {
            let rest = &b["ssh_host_".len()..];
            let kind = rest
                .iter()
                .position(|&c| c == b'_')
                .filter(|&n| n > 0 && rest[..n].iter().all(u8::is_ascii_alphanumeric))
                .map_or(0, |n| n + 1);
            rest.get(kind..kind + 3)
                .is_some_and(|m| m.eq_ignore_ascii_case(b"key"))
                && ends("ssh_host_".len() + kind + 3, b"")
        };
        NAMES.iter().any(named)
            || host_key
            || PREFIXES.iter().any(|p| starts(p) && tok.len() > p.len())
            // A shell's or a console's history: a dot-file named for it
            // (`.bash_history`, `.zhistory`, `.node_repl_history`; not
            // `...history` or `.history_bucket`).
            || b.get(1).is_some_and(u8::is_ascii_alphabetic)
                && b[0] == b'.'
                && find_ci(b, b"history", 1).is_some_and(|at| {
                    // A copy of one (`.bash_history_old`, `.bash_history~`).
                    ends(at + 7, if at > 1 { b"_~" } else { b"~" })
                })
            // Terraform's state and its backups (`terraform.tfstate.backup`,
            // `.tfstate.1700000000.backup`): the extension is not the last.
            || find_ci(b, b".tfstate.", 0).is_some()
    })
}

// ---------------------------------------------------------------- helpers

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The maximal run of bytes around `[start, end)` satisfying `pred`.
fn expand(b: &[u8], mut start: usize, mut end: usize, pred: impl Fn(u8) -> bool) -> (usize, usize) {
    while start > 0 && pred(b[start - 1]) {
        start -= 1;
    }
    while end < b.len() && pred(b[end]) {
        end += 1;
    }
    (start, end)
}

/// Position of `needle` in `hay`, ASCII case-insensitively.
fn find_ci(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len())
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// Splits `s` into tokens at whitespace, quotes and punctuation that never sits
/// inside a path, URL or secret.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '`' | ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '|'
            )
            // Quotes of other scripts (`«payroll.sql»`, `「id_rsa」`,
            // `“.env”`; a review: they passed), and the ideographic comma;
            // not brackets, which file names hold (`payroll（1）.csv`).
            || matches!(
                c,
                '«' | '»' | '‹' | '›' | '“' | '”' | '„' | '‟' | '‘' | '’' | '「' | '」' | '『'
                    | '』' | '〈' | '〉' | '《' | '》' | '＂' | '｢' | '｣' | '、'
            )
    })
    .filter(|t| !t.is_empty())
}

/// [`tokens`], and in a token that holds text of another script the
/// runs of ASCII in it too: a name written against text without spaces
/// (`payroll.xlsxを開けません`, `打开id_rsa失败`; a review).
/// A run that starts with a dot and a capital is a sentence's full stop
/// and its next word (`扫描完成.Log已保存`; a review), no dot-file.
fn words(s: &str) -> impl Iterator<Item = &str> {
    tokens(s).flat_map(|tok| {
        let runs = (!tok.is_ascii()).then(|| {
            tok.split(|c: char| !c.is_ascii()).filter(|r| {
                let sentence =
                    r.starts_with('.') && r[1..].starts_with(|c: char| c.is_ascii_uppercase());
                !r.is_empty() && !sentence
            })
        });
        std::iter::once(tok).chain(runs.into_iter().flatten())
    })
}

// ---------------------------------------------------------------- detectors

/// Punctuation and symbols outside ASCII, by block: Latin-1's (the
/// no-break space to `¿`, `×`, `÷`), General Punctuation to Miscellaneous
/// Symbols and Arrows (`…`, `‹›`, `→`), CJK punctuation, the small and
/// fullwidth forms' punctuation, and the emoji and symbol planes.
fn symbol(c: char) -> bool {
    matches!(c,
        '\u{a0}'..='\u{bf}' | '\u{d7}' | '\u{f7}' | '\u{2000}'..='\u{2bff}' | '\u{3000}'..='\u{303f}'
        | '\u{fe10}'..='\u{fe6f}' | '\u{ff00}'..='\u{ff0f}' | '\u{ff1a}'..='\u{ff20}'
        | '\u{ff3b}'..='\u{ff40}' | '\u{ff5b}'..='\u{ff65}' | '\u{1f000}'..='\u{1faff}')
}

/// An e-mail address: `local@domain.tld`.
pub fn email(s: &str) -> Option<&str> {
    // Letters and digits of any script count (`josé@bücher.dev`,
    // `bob@example.рф`: a review found them missed), read as characters:
    // non-ASCII punctuation after the address (`…`, `»`, a no-break space)
    // ends it, as ASCII punctuation does.
    // Combining marks count too (`हिन्दी`, `e\u{301}`): a character outside
    // ASCII is a letter unless it is white space, punctuation or a symbol.
    let letter = |c: char| c.is_alphanumeric() || !c.is_ascii() && !c.is_whitespace() && !symbol(c);
    let local = |c: char| letter(c) || matches!(c, '.' | '_' | '%' | '+' | '-');
    let domain = |c: char| letter(c) || matches!(c, '.' | '-');
    for (at, _) in s.match_indices('@') {
        let start = s[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| local(c))
            .last()
            .map_or(at, |(i, _)| i);
        let end = s[at + 1..]
            .char_indices()
            .find(|&(_, c)| !domain(c))
            .map_or(s.len(), |(i, _)| at + 1 + i);
        let host = s[at + 1..end].trim_end_matches('.');
        if start == at || host.is_empty() {
            continue;
        }
        let labels: Vec<&str> = host.split('.').collect();
        let tld = labels[labels.len() - 1];
        if labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty())
            && tld.chars().count() >= 2
            && tld.chars().all(char::is_alphabetic)
        {
            return Some(&s[start..at + 1 + host.len()]);
        }
    }
    None
}

/// An IPv4 address standing alone (not part of a longer dotted number).
pub fn ipv4(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let (start, end) = expand(b, i, i, |c| c.is_ascii_digit() || c == b'.');
        i = end.max(i + 1);
        let run = s[start..end].trim_end_matches('.');
        let before_ok =
            start == 0 || !(b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_');
        let after = start + run.len();
        let after_ok = after >= b.len()
            || b[after] == b'.'
            || !(b[after].is_ascii_alphanumeric() || b[after] == b'_');
        if before_ok && after_ok && (run.parse::<Ipv4Addr>().is_ok() || zero_padded_ipv4(run)) {
            return Some(run);
        }
    }
    None
}

/// Four parts of one to three digits, each at most 255, some with leading
/// zeros (`192.168.001.010`), which the standard parser refuses.
fn zero_padded_ipv4(run: &str) -> bool {
    let parts: Vec<&str> = run.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|c| c.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// An IPv6 address standing alone (at least two colons, a hexadecimal digit).
pub fn ipv6(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let set = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
    let mut i = 0;
    while i < b.len() {
        if b[i] != b':' {
            i += 1;
            continue;
        }
        let (start, end) = expand(b, i, i, set);
        i = end.max(i + 1);
        let mut start = start;
        // `addr:fe80::1`, `listen:::1`: a word and a colon before the
        // address (the run began at that colon).
        if start > 0 && is_word(b[start - 1]) && b[start] == b':' {
            start += 1;
        }
        let before_ok = start == 0 || !is_word(b[start - 1]);
        let after_ok = end >= b.len() || !is_word(b[end]);
        if !before_ok || !after_ok {
            continue;
        }
        let mut run = &s[start..end];
        for _ in 0..2 {
            if run.bytes().filter(|&c| c == b':').count() >= 2
                && run.bytes().any(|c| c.is_ascii_hexdigit())
                && run.parse::<Ipv6Addr>().is_ok()
            {
                return Some(run);
            }
            run = run.strip_suffix(['.', ':']).unwrap_or(run);
        }
    }
    None
}

/// A URL: `scheme://…` or `www.…`.
pub fn url(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for (at, _) in s.match_indices("://") {
        let (start, _) = expand(b, at, at, |c| {
            c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')
        });
        // The scheme first: looking for the end at every `://` whatever
        // stood before it was quadratic (`://` repeated 300,000 times: 100 s).
        if at - start < 2 || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let end = b[at..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'"')
            .map_or(b.len(), |p| at + p);
        if end > at + 3 {
            return Some(&s[start..end]);
        }
    }
    let mut from = 0;
    while let Some(at) = find_ci(b, b"www.", from) {
        from = at + 1;
        if (at == 0 || !is_word(b[at - 1]))
            && b.get(at + 4).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            let end = b[at..]
                .iter()
                .position(|c| c.is_ascii_whitespace() || *c == b'"')
                .map_or(b.len(), |p| at + p);
            return Some(&s[at..end]);
        }
    }
    None
}

/// Host names of code-hosting services (`github.com`, `gitlab.example.org`, …).
const REPO_HOSTS: &[&[u8]] = &[
    b"github.com",
    b"github.io",
    b"githubusercontent.com",
    b"gitlab.",
    b"bitbucket.org",
    b"dev.azure.com",
    b"visualstudio.com",
    b"codeberg.org",
    b"gitea.",
    b"gitee.com",
    b"sourceforge.net",
    b"sr.ht",
];

/// Top-level domains a host name ends in: the common generic ones, names
/// used inside organisations (`.local`, `.internal`, `.corp`, …) and
/// country codes, but none that is also a common file extension (`.py`,
/// `.sh`, `.rs`, `.md`) or a word a label could end in. `.pl` is Perl's
/// extension too: a script's name is a file name, which the promise does
/// not allow either. An internationalised one (`xn--p1ai`) is read by its
/// `xn--` prefix. `.in`, `.no` and `.app` are words too: a host name there
/// needs three labels (`build.acme.in`; not `sign.in`), and so do
/// `.shop`, and `.th` and `.lk`, whose names sit under `co.`, `in.`, …
/// (not `locale.th`, `torch.th`). Left out for the words they are in dotted names of code:
/// `.id`, `.is`, `.my`, `.by`, `.store` (`event.user.id`, `df.group.by`).
const HOST_TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "io",
    "co",
    "biz",
    "info",
    "cloud",
    "tech",
    "online",
    "site",
    "xyz",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "corp",
    "lan",
    "home",
    "private",
    "uk",
    "de",
    "fr",
    "jp",
    "cn",
    "ru",
    "br",
    "au",
    "ca",
    "nl",
    "eu",
    "us",
    "ch",
    "se",
    "es",
    "fi",
    "dk",
    "at",
    "kr",
    "tw",
    "ie",
    "nz",
    "cz",
    "it",
    "be",
    "pt",
    "gr",
    "tr",
    "ua",
    "il",
    "sg",
    "hk",
    "mx",
    "ar",
    "za",
    "ro",
    "hu",
    "sk",
    "me",
    "ai",
    "dev",
    "arpa",
    "app",
    "no",
    "in",
    "pl",
    "pk",
    "ph",
    "vn",
    "cl",
    "pe",
    "ng",
    "ke",
    "eg",
    "ir",
    "sa",
    "ae",
    "lt",
    "lv",
    "ee",
    "si",
    "hr",
    "bg",
    "lu",
    "th",
    "kz",
    "lk",
    "shop",
];

/// Internationalised top-level domains written in their own script, as a
/// host name's last label (`сервер.рф`, `服务器.中文网`); in ASCII,
/// `xn--p1ai`. Country codes and generic ones that are no everyday word: a
/// word of any script after a dot is no domain otherwise (`привет.мир`,
/// `профиль.быстрый`).
const IDN_TLDS: &[&str] = &[
    // Country codes.
    "рф",
    "укр",
    "бел",
    "срб",
    "мкд",
    "қаз",
    "мон",
    "бг",
    "ελ",
    "ευ",
    "ею",
    "中国",
    "中國",
    "香港",
    "台灣",
    "台湾",
    "新加坡",
    "澳門",
    "澳门",
    "한국",
    "ไทย",
    "ລາວ",
    "ලංකා",
    "இலங்கை",
    "भारत",
    "भारतम्",
    "भारोत",
    "বাংলা",
    "ভারত",
    "ભારત",
    "ਭਾਰਤ",
    "ଭାରତ",
    "இந்தியா",
    "భారత్",
    "ಭಾರತ",
    "ഭാരതം",
    "ישראל",
    "مصر",
    "السعودية",
    "امارات",
    "ایران",
    "پاکستان",
    "الجزائر",
    "المغرب",
    "عمان",
    "قطر",
    "الاردن",
    "البحرين",
    "تونس",
    "سورية",
    "فلسطين",
    "مليسيا",
    "عراق",
    "سودان",
    "اليمن",
    "بھارت",
    "გე",
    "հայ",
    // Generic ones that are no everyday word (`.信息`, `.在线`, `.公司`,
    // `.网络`, `.みんな`, `.онлайн`, `.クラウド` are: reviews found
    // `完了。クラウド：有効` and `连接成功．公司：ACME` read as hosts).
    "рус",
    "орг",
    "ком",
    "москва",
    "コム",
    "קום",
    "中文网",
    "닷컴",
    "닷넷",
    "कॉम",
    "नेट",
    "كوم",
];

/// The dots of a host name: ASCII's, and the full-width and half-width
/// ones (`．`, `｡`), which IDNA reads as dots too. Not the ideographic
/// full stop (`。`), which IDNA reads so as well: it ends sentences of
/// Chinese and Japanese text (a review: `扫描失败。信息：超时` read as a
/// host name).
fn is_host_dot(c: char) -> bool {
    matches!(c, '.' | '\u{ff0e}' | '\u{ff61}')
}

/// A host name: two or more DNS labels (letters and digits of any script,
/// inner `-`, any of `is_host_dot` between them) whose last is a
/// top-level domain of `HOST_TLDS` (full-width letters too) or
/// `IDN_TLDS`, standing as a word (`ip-10-0-1-23.ec2.internal`,
/// `сервер.компания.com`, `build.acme.comに接続`; not `scan.started` or
/// `jmo.yml`).
pub fn hostname(s: &str) -> Option<&str> {
    // ASCII words first: a name written against text of a script without
    // spaces (`build.acme.comに接続できません`) ends where the text
    // begins (a review: read as one word, it ended in `comに接続…`).
    host_word(s, |c| c.is_ascii_alphanumeric()).or_else(|| {
        // Then words of any script (a review: `пример.com` passed): as in
        // `email`, a character outside ASCII is a letter unless it is
        // white space, punctuation or a symbol. An ASCII text has no other
        // words than the first pass read: not read twice.
        if s.is_ascii() {
            return None;
        }
        host_word(s, |c| {
            c.is_ascii_alphanumeric() || !c.is_ascii() && !c.is_whitespace() && !symbol(c)
        })
    })
}

/// Public technologies named as a host or a file is (`ASP.NET`,
/// `Socket.IO`, `Node.js`): no one's machine nor file.
const TECH_NAMES: &[&str] = &[
    "ado.net",
    "alpine.js",
    "angular.js",
    "asp.net",
    "backbone.js",
    "chart.js",
    "d3.js",
    "ember.js",
    "express.js",
    "ext.net",
    "hapi.js",
    "jquery.js",
    "knockout.js",
    "koa.js",
    "lodash.js",
    "meteor.js",
    "ml.net",
    "moment.js",
    "nest.js",
    "next.js",
    "node.js",
    "nuxt.js",
    "polymer.js",
    "preact.js",
    "react.js",
    "require.js",
    "socket.io",
    "three.js",
    "vb.net",
    "vue.js",
];

/// Whether `word` is one of [`TECH_NAMES`], in any case. A list, not a
/// pattern: `Payroll.js` and `ACME.NET` are written as `jQuery.js` and
/// `Blazor.NET` are (a review found a pattern hid them).
fn is_tech_name(word: &str) -> bool {
    TECH_NAMES.iter().any(|t| word.eq_ignore_ascii_case(t))
}

/// [`hostname`] over the words of `s` made of `letter`s, `-` and dots.
fn host_word(s: &str, letter: impl Fn(char) -> bool) -> Option<&str> {
    s.split(|c: char| !(letter(c) || c == '-' || is_host_dot(c)))
        .find(|word| {
            let word = word.strip_suffix(is_host_dot).unwrap_or(word);
            let labels: Vec<&str> = word.split(is_host_dot).collect();
            labels.len() >= 2
                && labels.iter().all(|l| {
                    !l.is_empty()
                        && l.chars().count() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                })
                && labels.last().is_some_and(|tld| {
                    let tld = ascii_width(tld);
                    // Endings that are also words (`sign.in`, `opt.no`,
                    // `System.in`, `my.app`) need a name before the domain.
                    let word = ["in", "no", "app", "shop", "th", "lk"]
                        .iter()
                        .any(|t| tld.eq_ignore_ascii_case(t));
                    is_tld(&tld) && (!word || labels.len() >= 3)
                })
                // Asked last, of a word that is a host name otherwise.
                && !is_tech_name(word)
        })
}

/// `label` with full-width ASCII forms (`ｃｏｍ`) as ASCII.
fn ascii_width(label: &str) -> std::borrow::Cow<'_, str> {
    if label.is_ascii() {
        return std::borrow::Cow::Borrowed(label);
    }
    label
        .chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// Whether `label` is a top-level domain: of `HOST_TLDS` (any case), an
/// internationalised one in ASCII (`xn--…`) or in its own script.
fn is_tld(label: &str) -> bool {
    HOST_TLDS.iter().any(|t| label.eq_ignore_ascii_case(t))
        || is_idn_label(label)
        || !label.is_ascii() && IDN_TLDS.contains(&label.to_lowercase().as_str())
}

/// A label of an internationalised domain name in its ASCII form (`xn--p1ai`).
fn is_idn_label(label: &str) -> bool {
    label.len() > 4 && label.as_bytes()[..4].eq_ignore_ascii_case(b"xn--")
}

/// A [`hostname`] hit, unless a more telling rule already holds the same
/// name (a code-hosting host, a URL, an e-mail address).
fn host(s: &str, hits: &mut Vec<Hit>) {
    let told = hits
        .iter()
        .any(|h| matches!(h.rule, Rule::RepoHost | Rule::Url | Rule::Email));
    if !told && let Some(m) = hostname(s) {
        hits.push(Hit::new(Rule::Hostname, "***.***", m));
    }
}

/// The host name of a code-hosting service.
/// Whether an address or a host name could run from key `prev` into `key`
/// when the two are joined with a dot and end at `key`'s end: the part of
/// `key` before its first character that cannot be in a host name
/// starts with a digit (an address), holds a top-level domain as a label
/// (a host name's end), or continues a code host (`github` then `com`,
/// `gitlab` then anything). Paths are read key by key, so a key that can
/// do none of these spares reading the keys before it again.
pub fn may_continue_host(prev: &str, key: &str) -> bool {
    // Letters of any script: a name in one (`сервер` then `рф`) was
    // printed whole (a review).
    let head = key
        .split(|c: char| {
            !(c.is_alphanumeric() || !c.is_ascii() && !symbol(c) || c == '-' || is_host_dot(c))
        })
        .next()
        .unwrap_or("");
    if head.is_empty() {
        return false;
    }
    let head = head.to_ascii_lowercase();
    let prev = prev.to_ascii_lowercase();
    head.as_bytes()[0].is_ascii_digit()
        || head
            .split(is_host_dot)
            .any(|label| is_tld(&ascii_width(label)))
        || ["com", "io", "org", "azure", "net", "ht"]
            .iter()
            .any(|p| head.starts_with(p))
        || prev.ends_with("gitlab")
        || prev.ends_with("gitea")
        || prev.ends_with("sr")
}

pub fn repo_host(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for at in 0..b.len() {
        // A host starts a word: `api.github.com`, not `mygithub.com`; and
        // with the first letter of one (every position tried every host:
        // most of the time of a review's line of long non-ASCII keys).
        if at > 0 && b[at - 1].is_ascii_alphanumeric()
            || !matches!(
                b[at].to_ascii_lowercase(),
                b'g' | b'b' | b'd' | b'v' | b'c' | b's'
            )
        {
            continue;
        }
        for host in REPO_HOSTS {
            let end = at + host.len();
            if end > b.len() || !b[at..end].eq_ignore_ascii_case(host) {
                continue;
            }
            let after_ok = if host.ends_with(b".") {
                b.get(end).is_some_and(|c| c.is_ascii_alphanumeric())
            } else {
                end >= b.len() || !b[end].is_ascii_alphanumeric()
            };
            if after_ok {
                let (start, end) = expand(b, at, end, |c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-')
                });
                return Some(&s[start..end]);
            }
        }
    }
    None
}

fn path_segment_ok(seg: &str) -> bool {
    !seg.is_empty()
        && seg.bytes().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, b'.' | b'_' | b'-' | b'~' | b'@' | b'+' | b'%')
                || c >= 0x80
        })
}

/// A POSIX path: absolute (`/usr/…`), home (`~/…`), relative (`./…`, `../…`)
/// or with two separators (`src/app/main.py`, not dates like `2025/10/19`).
pub fn posix_path(s: &str) -> Option<&str> {
    if !s.contains('/') {
        return None;
    }
    for tok in words(s) {
        // A share named with slashes (`//fileserver/share/jdoe`; a review:
        // it passed, read as a URL's rest): a server without dots or a port
        // and two names under it, not a URL without its scheme
        // (`//cdn.example.com/x.js`) nor a comment (`//foo/bar`; a review).
        // Also after a `=` (`path=//fileserver/share/jdoe`).
        for part in tok.split('=') {
            if let Some(rest) = part.strip_prefix("//")
                && rest.starts_with(|c: char| c.is_ascii_alphanumeric())
                && rest
                    .split('/')
                    .next()
                    .is_some_and(|server| !server.contains(['.', ':']))
                && rest.split('/').filter(|n| !n.is_empty()).count() >= 3
            {
                return Some(part);
            }
        }
        // `NAME=/path` and `PATH=/a:/b` hold paths after `=` and `:`.
        for part in tok.split(['=', ':']) {
            if part.contains("//") || !part.contains('/') {
                continue;
            }
            let part = part.trim_end_matches(['.', '/']);
            let b = part.as_bytes();
            let rel = part
                .strip_prefix("./")
                .or_else(|| part.strip_prefix("../"))
                .or_else(|| part.strip_prefix("~/"));
            // A first name of any script too (`/данные/…`, `/über/…`;
            // a review: they passed).
            let absolute = b.first() == Some(&b'/')
                && part[1..].chars().next().is_some_and(|c| {
                    c.is_ascii_alphabetic() || matches!(c, '.' | '_' | '~') || c.is_alphabetic()
                });
            if absolute || rel.is_some_and(|r| !r.is_empty()) {
                return Some(part);
            }
            let segs: Vec<&str> = part.split('/').collect();
            // A user's home (`~jdoe/…`) or a variable's directory
            // (`$HOME/…`; a review: `$HOME/.ssh/id_rsa` passed) counts as a
            // directory; not `~hours/days` nor `$USD/month`, which have no
            // file after them.
            let root = is_root(segs[0]);
            let all_ok = root && segs[1..].iter().all(|g| path_segment_ok(g))
                || segs.iter().all(|g| path_segment_ok(g));
            let numeric = segs.iter().all(|g| g.bytes().all(|c| c.is_ascii_digit()));
            let dot_dir = segs.len() == 2
                && (in_hidden_dir(segs[0], segs[1]) || root && is_hidden_dir(segs[1]));
            if all_ok
                && !numeric
                && high_entropy(part).is_none()
                && (segs.len() >= 3
                    || (segs.len() == 2
                        && (file_name_word(segs[1]).is_some()
                            || secret_file_name(segs[1]).is_some()))
                    || dot_dir)
            {
                return Some(part);
            }
        }
    }
    None
}

/// Whether a path's first name stands for a home or a variable's
/// directory: `~jdoe` (a user's home, its name of any script), `$HOME`,
/// `$env:USERPROFILE` (PowerShell's), `%USERPROFILE%`.
fn is_root(seg: &str) -> bool {
    let variable = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
    };
    if let Some(user) = seg.strip_prefix('~') {
        return user.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && user
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
    }
    if let Some(name) = seg.strip_prefix('$') {
        // PowerShell's `$env:NAME`, in any case (`$Env:UserProfile`).
        let name = match name.get(..4) {
            Some(env) if env.eq_ignore_ascii_case("env:") => &name[4..],
            _ => name,
        };
        return variable(name);
    }
    seg.strip_prefix('%')
        .and_then(|s| s.strip_suffix('%'))
        .is_some_and(variable)
}

/// Whether `name` is a hidden directory's (`.ssh`, `.aws`, `.config`): a dot
/// and lower-case letters that name no file format (not `.md`, `.net`).
fn is_hidden_dir(name: &str) -> bool {
    name.strip_prefix('.').is_some_and(|d| {
        d.bytes().next().is_some_and(|c| c.is_ascii_lowercase())
            && d.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-'))
            // Not formats written as a pair (`.md/html`, `.js/ts`, `.net/core`).
            && !is_file_extension(d)
            && d != "net"
    })
}

/// Whether `dir/name` is a file in a home's hidden directory
/// (`.aws/credentials`, `.ssh/config`): `dir` a dot and lower-case letters
/// that name no file format (not a ratio, `.5/10`, nor `.NET/Core`,
/// `.md/html`), `name` no other dot-name (not `.md/.html`).
fn in_hidden_dir(dir: &str, name: &str) -> bool {
    is_hidden_dir(dir) && !name.is_empty() && !name.starts_with('.')
}

/// A Windows path: a drive (`C:\…`, `C:/…`), a UNC share (`\\server\share`),
/// two backslash separators (`src\app\main.py`), or one before a file name
/// or after a hidden directory (`src\main.py`, `.aws\credentials`).
pub fn windows_path(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for i in 1..b.len() {
        if b[i] == b':'
            && b[i - 1].is_ascii_alphabetic()
            && (i < 2 || !is_word(b[i - 2]))
            // Not a pattern's classes around a colon (`\d\d:\d\d`); a drive
            // after `\\?\` or before a name is (`\\?\d:\data`).
            && !(i >= 2
                && b[i - 2] == b'\\'
                && (i < 3 || !matches!(b[i - 3], b'?' | b'.' | b'\\'))
                && matches!(b[i - 1], b'd' | b'w' | b's' | b'b')
                && b.get(i + 1) == Some(&b'\\')
                && b.get(i + 2).is_some_and(|c| b"dDwWsSbB".contains(c))
                && matches!(b.get(i + 3), None | Some(b'\\' | b':')))
            && b.get(i + 1).is_some_and(|&c| c == b'\\' || c == b'/')
            && b.get(i + 2).is_some_and(|&c| c != b'/')
        {
            let end = b[i..]
                .iter()
                .position(|c| matches!(c, b'"' | b'\n' | b'\t' | b';'))
                .map_or(b.len(), |p| i + p);
            return Some(&s[i - 1..end]);
        }
    }
    if !s.contains('\\') {
        return None;
    }
    for tok in words(s) {
        // A server's name whatever follows (a review: `\\srv\d` was read
        // as a pattern).
        // Also in Windows' long form (`\\?\UNC\fs01\…`, `\??\UNC\…`; a
        // review: it passed).
        let long_unc = ["\\\\?\\", "\\??\\"].iter().any(|p| {
            tok.get(p.len()..p.len() + 4)
                .is_some_and(|u| u.eq_ignore_ascii_case("UNC\\"))
                && tok.starts_with(p)
        });
        if long_unc
            || tok.strip_prefix("\\\\").is_some_and(|rest| {
                rest.bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            })
        {
            return Some(tok);
        }
        if regex_like(tok) {
            continue;
        }
        // Both separators in one path when it starts as a Windows one
        // (`Users\jdoe/notes.txt`) or ends in a file (`share/jdoe\notes.txt`);
        // not a slash word before an escape (`docs/guide\n`) nor a URL
        // (`https://x/a\b`; reviews).
        let (Some(back), slash) = (tok.find('\\'), tok.find('/')) else {
            continue;
        };
        let file_last = || {
            let last = tok.rsplit(['\\', '/']).next().unwrap_or_default();
            file_name_word(last).is_some()
                || secret_file_name(last).is_some()
                || is_hidden_dir(last)
        };
        let separators: &[char] = if slash.is_none_or(|at| back < at) || file_last() {
            &['\\', '/']
        } else {
            &['\\']
        };
        let segs: Vec<&str> = tok.trim_start_matches('%').split(separators).collect();
        if segs.len() >= 3
            && segs
                .iter()
                .skip(1)
                .all(|g| path_segment_ok(g) || g.is_empty())
            && segs[1..].iter().any(|g| !g.is_empty())
        {
            return Some(tok);
        }
        // Two segments, as `posix_path` reads them (a review:
        // `.aws\credentials` and `src\main.py` passed in free text), also
        // under a home or a variable's directory (`%USERPROFILE%\.ssh`).
        let root = tok.split('\\').next().is_some_and(is_root);
        if let [dir, name] = segs[..]
            && (root || path_segment_ok(dir))
            && path_segment_ok(name)
            && (in_hidden_dir(dir, name)
                || file_name_word(name).is_some()
                || secret_file_name(name).is_some()
                || root && is_hidden_dir(name))
        {
            return Some(tok);
        }
    }
    None
}

/// Whether `tok`'s backslashes are a pattern's or a string's escapes, not
/// a path's separators (a review: `\d+\.\d+`, `\bpassword\b` and `\n\t`
/// were Windows paths), by a pattern's own marks only: a class before a
/// quantifier (`\d+`, `\w*`), one word between two boundaries
/// (`\bpassword\b`), nothing but escapes (`\n\t`, `\u4e2d\u6587`, `\x41`),
/// a host name's escaped dots with a quantifier or a `^`
/// (`[a-z]+\.example\.com`), or two classes or boundaries and no name
/// longer than two characters between them (`\d\d:\d\d`, `\s\S`,
/// `\w\.\w`, `\b\d`). A leak missed costs more than a pattern flagged,
/// and telemetry seldom holds patterns: reviews found each looser rule hid
/// paths (`src\\app\\main.py` in JSON in JSON, `Users\jdoe\d\s`,
/// `projekte\Büro\Süd`, `app\.devcontainer\.env`, `\backup\.ssh\b`).
fn regex_like(tok: &str) -> bool {
    let b = tok.as_bytes();
    let escape_of = |i: usize, letters: &[u8]| {
        b[i] == b'\\' && b.get(i + 1).is_some_and(|c| letters.contains(c))
    };
    const CLASSES: &[u8] = b"dDwWsS";
    let quantified = (0..b.len())
        .any(|i| escape_of(i, CLASSES) && matches!(b.get(i + 2), Some(b'+' | b'*' | b'?')));
    let classes = (0..b.len()).filter(|&i| escape_of(i, b"dDwWsSbB")).count();
    // No name among the backslashes: two letters or digits at most between
    // them (`\d+\.\d+`, `\w+\s*=`), where a path has one (`Clients\S+P.xlsx`,
    // `Users\jdoe\d\s`; reviews found them hidden).
    let short_names = tok
        .split('\\')
        .all(|seg| seg.chars().filter(|c| c.is_alphanumeric()).count() <= 2);
    let bounded = tok.len() > 4
        && tok.starts_with("\\b")
        && tok.ends_with("\\b")
        && tok.matches('\\').count() == 2;
    let hex = |t: &str, n: usize| t.len() == n && t.bytes().all(|c| c.is_ascii_hexdigit());
    let escapes_only = tok.starts_with('\\')
        && tok.split('\\').skip(1).all(|seg| {
            matches!(seg, "n" | "t" | "r" | "0")
                || seg.strip_prefix('u').is_some_and(|h| hex(h, 4))
                || seg.strip_prefix('x').is_some_and(|h| hex(h, 2))
        });
    let dots = tok.matches("\\.").count();
    let host_pattern = dots >= 2
        && tok.matches('\\').count() == dots
        // Not a variable's `$` (`$HOME\.ssh\.keys`).
        && tok.contains(['*', '+', '?', '^']);
    (quantified || classes >= 2) && short_names || bounded || escapes_only || host_pattern
}

/// File extensions that name source, configuration, data or key files.
const FILE_EXTENSIONS: &[&str] = &[
    "bash",
    "bat",
    "boto",
    "c",
    "cc",
    "cer",
    "cfg",
    "cjs",
    "cnf",
    "conf",
    "cpp",
    "crt",
    "cs",
    "csv",
    "db",
    "der",
    "dockercfg",
    "dockerfile",
    "docx",
    "env",
    "envrc",
    "gitconfig",
    "go",
    "gpg",
    "gradle",
    "gz",
    "h",
    "hcl",
    "hpp",
    "htm",
    "html",
    "htpasswd",
    "ini",
    "ipynb",
    "jar",
    "java",
    "jks",
    "js",
    "json",
    "jsonl",
    "jsx",
    "kdbx",
    "key",
    "keychain",
    "keychain-db",
    "keystore",
    "kt",
    "lock",
    "log",
    "md",
    "mjs",
    "netrc",
    "npmrc",
    "ovpn",
    "p12",
    "p8",
    "pdf",
    "pem",
    "pfx",
    "pgpass",
    "php",
    "ppk",
    "properties",
    "ps1",
    "py",
    "pyc",
    "pypirc",
    "rb",
    "rs",
    "rst",
    "s3cfg",
    "scala",
    "sh",
    "sql",
    "sqlite",
    "svelte",
    "swift",
    "tar",
    "terraformrc",
    "tf",
    "tfstate",
    "tfvars",
    "tgz",
    "toml",
    "ts",
    "tsx",
    "txt",
    "vault-token",
    "vue",
    "war",
    "xauthority",
    "xlsx",
    "xml",
    "yaml",
    "yml",
    "zip",
];

/// True when `ext` (any case) is in [`FILE_EXTENSIONS`].
fn is_file_extension(ext: &str) -> bool {
    let mut buf = [0u8; 16];
    if ext.is_empty() || ext.len() > buf.len() {
        return false;
    }
    buf[..ext.len()].copy_from_slice(ext.as_bytes());
    buf.make_ascii_lowercase();
    let lower = &buf[..ext.len()];
    FILE_EXTENSIONS
        .binary_search_by(|e| e.as_bytes().cmp(lower))
        .is_ok()
}

/// A bare file name with a well-known extension (`main.py`, `.env`, `id_rsa.pem`).
pub fn bare_file_name(s: &str) -> Option<&str> {
    words(s).find_map(|tok| file_name_word(tok).filter(|t| !is_tech_name(t)))
}

/// [`bare_file_name`] of one word, a path's last name too, where a
/// technology's name is a file's (`components/Chart.js`; a review found it
/// missed).
fn file_name_word(tok: &str) -> Option<&str> {
    let tok = tok.trim_end_matches(['.', ':']);
    let dot = tok.rfind('.')?;
    let (stem, ext) = (&tok[..dot], &tok[dot + 1..]);
    // A stem of any script (`給与.csv`; a review: it passed).
    let stem_ok =
        stem.is_empty() || (stem.chars().any(char::is_alphabetic) && path_segment_ok(stem));
    let ext_ok = is_file_extension(ext);
    // Host names (`example.com`) and versions never end in these extensions;
    // `.md` and `.html` as bare words are output formats, not files, in any
    // case (a review: `.JSON` and `.MD` were files).
    let format = stem.is_empty()
        && ["md", "html", "json", "yaml", "yml", "csv"]
            .iter()
            .any(|f| ext.eq_ignore_ascii_case(f));
    (stem_ok && ext_ok && !format).then_some(tok)
}

/// A user name in a home directory: `/home/NAME`, `/Users/NAME`, `C:\Users\NAME`.
pub fn home_user(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    const GENERIC: &[&str] = &["shared", "public", "default", "default user", "all users"];
    for prefix in [
        &b"/home/"[..],
        b"/Users/",
        b"\\Users\\",
        b":/Users/",
        b"/export/home/",
    ] {
        let mut from = 0;
        while let Some(at) = find_ci(b, prefix, from) {
            from = at + 1;
            let name_start = at + prefix.len();
            let name_end = b[name_start..]
                .iter()
                .position(|c| {
                    matches!(c, b'/' | b'\\' | b'"' | b':' | b';') || c.is_ascii_whitespace()
                })
                .map_or(b.len(), |p| name_start + p);
            let name = &s[name_start..name_end];
            if !name.is_empty() && !GENERIC.iter().any(|g| g.eq_ignore_ascii_case(name)) {
                return Some(&s[at..name_end]);
            }
        }
    }
    None
}

const AWS_PREFIXES: &[&[u8]] = &[
    b"AKIA", b"ASIA", b"AGPA", b"AIDA", b"AROA", b"AIPA", b"ANPA", b"ANVA", b"ABIA", b"ACCA",
    b"A3T",
];

/// An AWS access key ID: a known four-letter prefix and 16 upper-case letters or digits.
pub fn aws_key(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for i in 0..b.len().saturating_sub(15) {
        if b[i] != b'A' || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let Some(prefix) = AWS_PREFIXES.iter().find(|p| b[i..].starts_with(p)) else {
            continue;
        };
        let body_start = i + prefix.len();
        let end = i + 20;
        if end <= b.len()
            && b[body_start..end]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (end == b.len() || !b[end].is_ascii_alphanumeric())
        {
            return Some(&s[i..end]);
        }
    }
    None
}

/// A GitHub token: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` and 30+ letters or digits,
/// or `github_pat_` and 22+ letters, digits or underscores.
pub fn github_token(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = s[from..].find('g') {
        let at = from + p;
        from = at + 1;
        if at > 0 && b[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &b[at..];
        let (body, min, allowed): (usize, usize, fn(&u8) -> bool) =
            if rest.starts_with(b"github_pat_") {
                (11, 22, |c| c.is_ascii_alphanumeric() || *c == b'_')
            } else if rest.len() > 4
                && matches!(rest[2], b'p' | b'o' | b'u' | b's' | b'r')
                && rest[3] == b'_'
            {
                (4, 30, |c| c.is_ascii_alphanumeric())
            } else {
                continue;
            };
        let len = rest[body..].iter().take_while(|c| allowed(c)).count();
        if len >= min {
            return Some(&s[at..at + body + len]);
        }
    }
    None
}

/// A private-key header or footer (PEM, OpenSSH, PGP, PuTTY).
pub fn private_key(s: &str) -> Option<&str> {
    let at = s
        .find("PRIVATE KEY")
        .or_else(|| s.find("PuTTY-User-Key-File"))?;
    let start = s[..at]
        .rfind("-----")
        .filter(|&p| at - p < 40)
        .unwrap_or(at);
    let framed = s[..at].contains("-----BEGIN")
        || s[at..].contains("KEY-----")
        || s[at..].starts_with("PuTTY");
    framed.then(|| &s[start..])
}

/// A long random-looking token: 20+ letters and digits (32+ when hexadecimal)
/// that change character class often and have high entropy, as secrets, keys
/// and hashes do and identifiers (`dependency-check-v10`) do not. UUIDs are not.
pub fn high_entropy(s: &str) -> Option<&str> {
    if s.len() < 20 || super::schema::is_uuid(s) {
        return None;
    }
    let token_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-');
    for tok in s.split(|c: char| !token_char(c)) {
        let tok = tok.trim_matches(|c| matches!(c, '/' | '-' | '_' | '='));
        if tok.len() < 20 || super::schema::is_uuid(tok) {
            continue;
        }
        let (mut upper, mut lower, mut digit, mut hex) = (0usize, 0usize, 0usize, true);
        let (mut transitions, mut last_class) = (0usize, 0u8);
        let mut counts = [0u32; 128];
        for c in tok.bytes().filter(u8::is_ascii_alphanumeric) {
            let class = if c.is_ascii_uppercase() {
                upper += 1;
                1
            } else if c.is_ascii_lowercase() {
                lower += 1;
                2
            } else {
                digit += 1;
                3
            };
            hex &= c.is_ascii_hexdigit();
            if last_class != 0 && class != last_class {
                transitions += 1;
            }
            last_class = class;
            counts[usize::from(c)] += 1;
        }
        let n = upper + lower + digit;
        if n < 20 || digit == 0 || transitions * 10 < n * 3 {
            continue;
        }
        let e: f64 = counts
            .iter()
            .filter(|&&k| k > 0)
            .map(|&k| {
                let p = f64::from(k) / n as f64;
                -p * p.log2()
            })
            .sum();
        let random = if hex && (upper == 0 || lower == 0) {
            n >= 32 && e >= 3.0
        } else if upper > 0 && lower > 0 {
            e >= 3.5
        } else {
            n >= 24 && e >= 3.8
        };
        if random {
            return Some(tok);
        }
    }
    None
}

/// A stack trace or a frame of one.
pub fn stack_trace(s: &str) -> Option<&str> {
    const MARKERS: &[&str] = &[
        "Traceback (most recent call last)",
        "Exception in thread \"",
        "panicked at ",
        "stack backtrace:",
    ];
    if MARKERS.iter().any(|m| s.contains(m)) {
        return Some(s);
    }
    // Go: `goroutine 23 [running]:` (any goroutine, any state).
    for (at, _) in s.match_indices("goroutine ") {
        let rest = &s[at + "goroutine ".len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(" [") {
            return Some(s);
        }
    }
    // Python frame: `File "x.py", line 12`.
    if let Some(at) = s.find("File \"")
        && s[at..].contains("\", line ")
    {
        return Some(s);
    }
    // Java / JavaScript frame: `at pkg.Class.method(File.java:42)`, `at fn (/x.js:1:2)`.
    // A frame is read within its line and at most `FRAME` bytes (a review's
    // 1,233-byte Java frame): searching the rest of the text at every `at `
    // was quadratic (`at ` repeated 300,000 times: 38 s).
    const FRAME: usize = 4096;
    let b = s.as_bytes();
    for (at, _) in s.match_indices("at ") {
        if at > 0 && !b[at - 1].is_ascii_whitespace() {
            continue;
        }
        let mut cut = (at + 3 + FRAME).min(s.len());
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let frame = &s[at + 3..cut];
        let line_end = frame.find('\n').unwrap_or(frame.len());
        let frame = &frame[..line_end];
        if let (Some(open), Some(close)) = (frame.find('('), frame.rfind(')')) {
            let inner = &frame[open.min(close)..close];
            let callee = frame[..open].trim();
            let has_line = inner
                .rsplit(':')
                .next()
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()));
            if has_line && callee.contains('.') && !callee.contains(' ')
                || has_line && inner.contains(".js:")
            {
                return Some(s);
            }
        }
    }
    None
}

/// Environment variables that hold a user's or machine's identity or setup.
pub const ENV_NAMES: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "USERNAME",
    "LOGNAME",
    "SHELL",
    "PWD",
    "OLDPWD",
    "HOSTNAME",
    "LANG",
    "TERM",
    "TMPDIR",
    "TEMP",
    "TMP",
    "DISPLAY",
    "EDITOR",
    "CI",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
    "COMPUTERNAME",
    "USERDOMAIN",
    "HOMEDRIVE",
    "HOMEPATH",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "SSH_AUTH_SOCK",
    "MAIL",
    "PS1",
];

/// True when `name` looks like an environment variable: a well-known one, or
/// upper case with an underscore (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`).
pub fn is_env_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    if ENV_NAMES.contains(&name) {
        return true;
    }
    b.len() >= 3
        && b[0].is_ascii_uppercase()
        && b.contains(&b'_')
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && b.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2
}

/// An environment assignment inside a string: `NAME=value` where NAME looks
/// like an environment variable.
pub fn env_assignment(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    for (eq, _) in s.match_indices('=') {
        if b.get(eq + 1) == Some(&b'=') || (eq > 0 && b[eq - 1] == b'=') {
            continue;
        }
        let (start, _) = expand(b, eq, eq, |c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_'
        });
        let before_ok = start == 0 || !is_word(b[start - 1]);
        if start < eq && before_ok && is_env_name(&s[start..eq]) {
            let end = b[eq..]
                .iter()
                .position(|c| c.is_ascii_whitespace())
                .map_or(b.len(), |p| eq + p);
            return Some(&s[start..end]);
        }
    }
    None
}

/// What an `anonymous_id` is when it is not a random UUID v4, or `None` when it is one.
pub fn anonymous_id_problem(id: &str) -> Option<&'static str> {
    if !super::schema::is_uuid(id) {
        return Some("not a UUID");
    }
    let b = id.as_bytes();
    if b[14] != b'4' {
        return Some(match b[14] {
            b'1' => "UUID v1 (holds a MAC address and a time)",
            b'3' | b'5' => "UUID v3/v5 (a hash of a name)",
            b'0' => "nil or hand-made UUID",
            _ => "UUID of another version",
        });
    }
    if !matches!(b[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b') {
        return Some("UUID v4 with a wrong variant (hand-made)");
    }
    let seen = id
        .bytes()
        .fold(0u16, |seen, c| match (c as char).to_digit(16) {
            Some(d) => seen | 1 << d,
            None => seen,
        });
    // 31 random hex digits hold 14 or more distinct digits with overwhelming odds.
    if seen.count_ones() < 8 {
        return Some("UUID v4 that is not random (few distinct digits)");
    }
    None
}

/// True when `s` is a short label: what every string of a usage event should be
/// (1–64 characters, letters, digits and `._+-<>`; bucket labels included).
pub fn is_label(s: &str) -> bool {
    if s.is_ascii() {
        return s.len() <= 64
            && s.bytes().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-' | b'<' | b'>')
            });
    }
    // Profile names may be in any language or hold an emoji (`équipe`, `ci-🔒`);
    // spaces, controls and invisible formatting characters still make free text.
    s.chars().count() <= 64
        && s.chars().all(|c| {
            c.is_alphanumeric()
                || matches!(c, '.' | '_' | '+' | '-' | '<' | '>')
                || (!c.is_ascii() && !c.is_whitespace() && !is_unsafe_char(c))
        })
}

/// True when `s` is a plain number, maybe with a unit (`437`, `12.5`, `3m20s`, `900ms`):
/// an exact value where a bucket belongs. Ranges (`5-15min`, `>1000`) are not.
pub fn is_exact_number_text(s: &str) -> bool {
    let s = s.trim();
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_digit()
        && !b.iter().any(|c| matches!(c, b'-' | b'<' | b'>'))
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b',' | b' '))
        && b.iter().filter(|c| c.is_ascii_alphabetic()).count() <= 8
}

/// True when `key` names a bucket (`new_findings_bucket`) and `s` is a value every
/// bucket scheme of the client uses as a label of its own (`0`, `1`).
pub fn is_bucket_boundary(key: &str, s: &str) -> bool {
    key.ends_with("_bucket") && matches!(s, "0" | "1")
}

/// Last words of a key that say what its value is shaped like: a bucket, a
/// count, a kind or a flag of the thing, not the thing (`error_type`,
/// `host_os`, `path_count_bucket`, `user_count`, `url_scheme`). Not `code`,
/// `hint` or `reason`: `auth_code`, `password_hint` and `error_reason` hold
/// the thing (a review).
const SHAPES: &[&str] = &[
    "bucket",
    "buckets",
    "count",
    "counts",
    "type",
    "types",
    "kind",
    "os",
    "mode",
    "enabled",
    "used",
    "detected",
    "status",
    "version",
    "format",
    "level",
    "size",
    "total",
    "category",
    "style",
    "scheme",
    "visibility",
    "arch",
    "tier",
    "kinds",
    "categories",
    "statuses",
    "formats",
    "levels",
    "schemes",
    "tiers",
];

/// A key that names a field, not a thing: every word of it (split at
/// separators and case changes) is a word fields are named with: a generic
/// one (`name`, `id`, `key`, `value`), a word of a value's shape (`type`,
/// `count`), of a measure (`duration`, `ms`, `total`) or of the
/// never-collected list (`owner`, `path`). The audit shows such a key where
/// any other is shown only by its length (below a name that keys an object:
/// `users.jdoe.duration_ms`); a name that holds such a word among others
/// (`jdoe-user`, `accounts-service`, `build-host-07`) is not one.
pub fn is_field_word(key: &str) -> bool {
    const FIELD_WORDS: &[&str] = &[
        "name",
        "names",
        "id",
        "ids",
        "key",
        "keys",
        "value",
        "values",
        "label",
        "labels",
        "title",
        "description",
        "data",
        "info",
        "details",
        "items",
        "item",
        "list",
        "duration",
        "elapsed",
        "seconds",
        "secs",
        "sec",
        "millis",
        "ms",
        "time",
        "uptime",
        "latency",
        "findings",
        "issues",
        "vulns",
        "violations",
        "bytes",
        "lines",
        "files",
        "num",
        "number",
        "max",
        "min",
        "avg",
        "mean",
        "first",
        "last",
        "up",
        "at",
        "started",
        "ended",
        "rate",
        "ratio",
        "percent",
        "pct",
        "hint",
    ];
    let words = key_words(key);
    !words.is_empty()
        && words.iter().all(|w| {
            let w = w.as_str();
            FIELD_WORDS.contains(&w) || SHAPES.contains(&w) || SENSITIVE_WORDS.contains(&w)
        })
}

/// Whether `key`'s last word (or the key, as `type` inside `"error": {…}`)
/// is one of `SHAPES`.
pub fn is_shape_key(key: &str) -> bool {
    key_words(key)
        .last()
        .is_some_and(|w| SHAPES.contains(&w.as_str()))
}

/// A key's words, lower-cased: split at separators and at case changes
/// (`repoName`, `repo_name`, `Repo-Name`, `DBPassword`, `IPAddress`).
fn key_words(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut word));
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let starts_word = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if starts_word {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    words.push(word);
    words.retain(|w| !w.is_empty());
    words
}

/// Words of the guide's never-collected list, as a client would name a
/// field: repositories, branches and commits, users and their
/// credentials, hosts and addresses, paths and files, URLs, environment,
/// error messages and traces.
const SENSITIVE_WORDS: &[&str] = &[
    "repo",
    "repos",
    "repository",
    "repositories",
    "branch",
    "branches",
    "commit",
    "commits",
    "user",
    "users",
    "username",
    "usernames",
    "login",
    "owner",
    "author",
    "email",
    "emails",
    "mail",
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "credential",
    "credentials",
    "auth",
    "cookie",
    "cookies",
    "session",
    "host",
    "hosts",
    "hostname",
    "hostnames",
    "ip",
    "ips",
    "ipaddr",
    "address",
    "addr",
    "path",
    "paths",
    "dir",
    "dirs",
    "directory",
    "cwd",
    "home",
    "file",
    "files",
    "filename",
    "filenames",
    "url",
    "urls",
    "uri",
    "endpoint",
    "endpoints",
    "env",
    "environment",
    "machine",
    "computer",
    "cmdline",
    "argv",
    "error",
    "errors",
    "exception",
    "message",
    "msg",
    "trace",
    "traceback",
    "stack",
    "stacktrace",
    // The rest of the list (a review: `suppression_rules`,
    // `finding_details`, `project_name` passed): finding details and
    // code, suppression rules and exclusion patterns, configuration
    // values, identifiers, the command line and its directory.
    "finding",
    "vulnerability",
    "vulnerabilities",
    "vuln",
    "snippet",
    "snippets",
    "suppression",
    "suppressions",
    "exclusion",
    "exclusions",
    "config",
    "configuration",
    "identifier",
    "identifiers",
    "project",
    "projects",
    "org",
    "organization",
    "workdir",
    "workspace",
    "args",
    "arguments",
    "pass",
    "owners",
    "authors",
    "machines",
    "sessions",
    "orgs",
    "organizations",
    "organisation",
    "organisations",
    "envs",
    "environments",
    "member",
    "members",
    "server",
    "servers",
    "account",
    "accounts",
    "team",
    "teams",
    "customer",
    "customers",
    "tenant",
    "tenants",
];

/// True when a key names never-collected data (`repo_name`, `branch`,
/// `userName`, `password`, `api_key`): a word of it, split at separators and
/// case changes, is one of the guide's list.
pub fn is_sensitive_key(key: &str) -> bool {
    const JOINED: &[&str] = &["apikey", "accesskey", "privatekey", "secretkey"];
    // A last word that says what the value is shaped like: a bucket, a
    // count, a kind or a flag of the thing, not the thing (`error_type`,
    // `host_os`, `path_count_bucket`, `user_count`).
    let words = key_words(key);
    if words.last().is_some_and(|w| SHAPES.contains(&w.as_str())) {
        return false;
    }
    let joined: String = words.concat();
    words.iter().any(|w| SENSITIVE_WORDS.contains(&w.as_str()))
        || JOINED.iter().any(|j| joined.contains(j))
}

/// True when a key names a measurement that must be bucketed (`duration`, `elapsed_ms`,
/// `findings_count`, …).
pub fn is_measure_key(key: &str) -> bool {
    const WORDS: &[&[u8]] = &[
        b"duration",
        b"elapsed",
        b"seconds",
        b"secs",
        b"millis",
        b"_ms",
        b"time",
        b"findings",
        b"count",
        b"total",
        b"issues",
        b"vulns",
        b"vulnerabilities",
        b"violations",
        b"size",
        b"bytes",
        b"lines",
        b"files",
    ];
    WORDS
        .iter()
        .any(|w| find_ci(key.as_bytes(), w, 0).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(s: &str) -> Vec<Rule> {
        let mut hits = Vec::new();
        scan_text(s, &mut hits);
        hits.into_iter().map(|h| h.rule).collect()
    }

    #[test]
    fn clean_values_match_nothing() {
        for s in [
            "scan.started",
            "ci-🔒",
            "id_",
            "kubeconfig",
            "telemetry.initialized",
            "report.generated",
            "0.7.0.dev0",
            "python3.11",
            "0.7.0-dev",
            "0.7.1",
            "1.0.0",
            "3.11",
            "3.12.4",
            "Linux",
            "Darwin",
            "Windows",
            "osv-scanner",
            "afl++",
            "trufflehog",
            "semgrep",
            "trivy",
            "gitleaks",
            "noseyparker",
            "zap",
            "nuclei",
            "checkov",
            "bandit",
            "syft",
            "hadolint",
            "falco",
            "prowler",
            "kubescape",
            "dependency-check",
            "scancode",
            "cdxgen",
            "lynis",
            "yara",
            "grype",
            "horusec",
            "mobsf",
            "akto",
            "bearer",
            ">1000",
            "<5min",
            "5-15min",
            "15-30min",
            ">30min",
            "11-50",
            "2-5",
            ">50",
            "1-10",
            "10-100",
            "100-1000",
            "<50ms",
            "50-100ms",
            "100-500ms",
            ">500ms",
            "first_time",
            "weekly",
            "daily",
            "simple-html",
            "sarif",
            "json",
            "md",
            "html",
            "yaml",
            "csv",
            "fast",
            "balanced",
            "deep",
            "custom",
            "scan.started",
            "scan.completed",
            "tool.failed",
            "wizard.completed",
            "report.generated",
            "policy.evaluated",
            "test.event",
            "telemetry.initialized",
            "2025-11-19T14:32:00.173975+00:00",
            "2025-10-19T14:32:00Z",
            "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c",
            "zero-secrets",
            "owasp-top-10",
            "pci-dss",
            "hipaa",
            "nist-800-53",
            "cis-benchmarks",
            "target_types",
            "multi_target_scan",
            "total_targets_bucket",
            "scan_frequency_hint",
            "evaluation_time_bucket",
            "k8s",
            "iac",
            "gitlab",
            "repos",
            "images",
            "urls",
            "non_zero_exit",
            "makefile",
            "gha",
            "JMo Security Telemetry Backend",
            "Test telemetry event from CLI",
            "profile_selected",
            "docker",
            "native",
            "wizard",
            "cli",
        ] {
            assert_eq!(rules(s), Vec::<Rule>::new(), "{s}");
        }
    }

    #[test]
    fn each_detector_finds_its_leak() {
        let cases: &[(&str, &[Rule])] = &[
            ("contact alice.smith@example.com please", &[Rule::Email]),
            ("from 192.168.1.20", &[Rule::Ipv4]),
            ("fe80::1ff:fe23:4567:890a", &[Rule::Ipv6]),
            ("2001:db8::8a2e:370:7334", &[Rule::Ipv6]),
            ("/opt/projects/payments", &[Rule::PosixPath]),
            ("./secrets/prod", &[Rule::PosixPath]),
            ("~jdoe/.ssh", &[Rule::PosixPath]),
            ("~\u{e9}ric/.ssh", &[Rule::PosixPath]),
            ("key at $HOME/.ssh/id_rsa", &[Rule::PosixPath]),
            ("$HOME/.ssh", &[Rule::PosixPath]),
            ("$XDG_CONFIG_HOME/acme/config", &[Rule::PosixPath]),
            ("$HOME\\.ssh", &[Rule::WindowsPath]),
            ("%USERPROFILE%\\.ssh", &[Rule::WindowsPath]),
            ("~jdoe\\notes.txt", &[Rule::WindowsPath]),
            // A third review's: PowerShell's variables, key files' names.
            ("$env:USERPROFILE\\.ssh", &[Rule::WindowsPath]),
            ("$env:APPDATA\\acme.ini", &[Rule::WindowsPath]),
            ("$Env:UserProfile\\.ssh", &[Rule::WindowsPath]),
            // A sixth review's: paths the first escapes rule missed.
            ("src\\\\app\\\\main.py", &[Rule::WindowsPath]),
            ("could not reach \\\\FILESRV01", &[Rule::WindowsPath]),
            ("mounted \\\\fs01\\c$ for scan", &[Rule::WindowsPath]),
            ("src\\a\\b.py", &[Rule::WindowsPath]),
            ("..\\..\\x", &[Rule::WindowsPath]),
            ("proj\\_build\\_out", &[Rule::WindowsPath]),
            ("\\\\corp-fs01\\share\\projects\\b", &[Rule::WindowsPath]),
            ("components\\Chart.js", &[Rule::WindowsPath]),
            ("components/Chart.js", &[Rule::PosixPath]),
            (
                "saved to \\/home\\/jdoe\\/notes.txt",
                &[Rule::PosixPath, Rule::HomeUser],
            ),
            ("src\\/app\\/main.py", &[Rule::PosixPath]),
            ("build.acme.NET.internal", &[Rule::Hostname]),
            ("opened Payroll.js", &[Rule::FileName]),
            ("TypeError in customerExport.js", &[Rule::FileName]),
            ("connect to ACME.NET failed", &[Rule::Hostname]),
            ("https:\\/\\/intranet\\/jdoe\\/payroll", &[Rule::Url]),
            (
                "saved to \\\\/home\\\\/jdoe\\\\/notes.txt",
                &[Rule::PosixPath, Rule::HomeUser],
            ),
            // A seventh review's: folders named as a pattern's classes,
            // hidden folders with escaped dots, a folder `b`.
            ("could not reach \\\\srv\\d", &[Rule::WindowsPath]),
            (
                "copy \\\\FILESRV01\\hr\\s*.xlsx failed",
                &[Rule::WindowsPath],
            ),
            ("%USERPROFILE%\\Documents\\d", &[Rule::WindowsPath]),
            ("loaded app\\.devcontainer\\.env", &[Rule::WindowsPath]),
            ("%USERPROFILE%\\.docker\\.token_seed", &[Rule::WindowsPath]),
            ("\\backups\\jdoe\\b", &[Rule::WindowsPath]),
            ("$HOME\\.ssh\\.keys", &[Rule::WindowsPath]),
            ("Users\\jdoe\\d", &[Rule::WindowsPath]),
            ("\\build\\scripts\\deploy.ps1", &[Rule::WindowsPath]),
            ("\\build\\.env", &[Rule::WindowsPath]),
            ("\\\\?\\C:\\x", &[Rule::WindowsPath]),
            // A ninth review's: one-letter folders and names with accents
            // or signs, a lower-case drive after `\\?\`, a folder `b`.
            ("Users\\jdoe\\d\\s", &[Rule::WindowsPath]),
            ("projekte\\B\u{fc}ro\\S\u{fc}d", &[Rule::WindowsPath]),
            ("reports\\d_2024\\s_final.xlsx", &[Rule::WindowsPath]),
            ("\\\\?\\d:\\data\\payroll.xlsx", &[Rule::WindowsPath]),
            ("path \\d:\\data\\payroll.xlsx", &[Rule::WindowsPath]),
            ("\\\\?\\w:\\x\\y", &[Rule::WindowsPath]),
            // A tenth review's: names with a `+` after d, w or s, Windows'
            // long UNC form, a drive before a short name, mixed separators.
            ("Clients\\S+P.xlsx", &[Rule::WindowsPath]),
            ("Users\\jdoe\\Music\\S+M\\x.mp3", &[Rule::WindowsPath]),
            ("\\\\?\\UNC\\fs01\\home\\jdoe", &[Rule::WindowsPath]),
            ("\\d:\\J_Doe\\passwords.txt", &[Rule::WindowsPath]),
            ("\\d:\\1\\payroll.xlsx", &[Rule::WindowsPath]),
            ("Users\\jdoe/notes.txt", &[Rule::WindowsPath]),
            ("src/app/main.py, not src\\x", &[Rule::PosixPath]),
            ("//fileserver/share/jdoe", &[Rule::PosixPath]),
            ("path=//fileserver/share/jdoe", &[Rule::PosixPath]),
            // A twelfth review's: a quantified class among names, a slash
            // before a backslash and a file.
            ("Users\\jdoe\\d+\\notes.txt", &[Rule::WindowsPath]),
            ("Users\\jdoe\\Clients\\S+_P.xlsx", &[Rule::WindowsPath]),
            ("share/jdoe\\notes.txt", &[Rule::WindowsPath]),
            ("jdoe/.ssh\\id_rsa", &[Rule::WindowsPath]),
            // Only the URL's rule: its slashes and a backslash after are no
            // Windows path, nor a URL without its scheme a path (a review).
            ("see http://example.com/a\\b for docs", &[Rule::Url]),
            ("loaded //cdn.acme.dev/npm/react.js", &[Rule::Hostname]),
            (
                "Users\\jdoe\\Documents\\d+b_taxes.pdf",
                &[Rule::WindowsPath],
            ),
            ("Users\\jdoe\\/notes.txt", &[Rule::WindowsPath]),
            ("\\backup\\.ssh\\b", &[Rule::WindowsPath]),
            (
                "saved to \\\\\\\\/home\\\\\\\\/jdoe",
                &[Rule::PosixPath, Rule::HomeUser],
            ),
            ("$HOME/id_rsa", &[Rule::PosixPath]),
            ("~jdoe/id_ed25519", &[Rule::PosixPath]),
            ("src/payments/charge.go", &[Rule::PosixPath]),
            ("D:\\work\\acme", &[Rule::WindowsPath]),
            ("\\\\fileserver\\share", &[Rule::WindowsPath]),
            ("config.yaml", &[Rule::FileName]),
            ("build-agent-17.corp.example.com", &[Rule::Hostname]),
            ("id_rsa", &[Rule::FileName]),
            ("kubeconfig-prod-cluster", &[Rule::FileName]),
            (".env.production", &[Rule::FileName]),
            ("Dockerfile.prod", &[Rule::FileName]),
            ("terraform.tfstate", &[Rule::FileName]),
            (".htpasswd", &[Rule::FileName]),
            (".pgpass", &[Rule::FileName]),
            ("id_rsa.pub", &[Rule::FileName]),
            ("alices-macbook-pro.local", &[Rule::Hostname]),
            ("ip-10-0-1-23.ec2.internal", &[Rule::Ipv4, Rule::Hostname]),
            (
                "could not reach jenkins.internal: timeout",
                &[Rule::Hostname],
            ),
            ("https://internal.acme.corp/api", &[Rule::Url]),
            (
                "github.com/acme/payments",
                &[Rule::RepoHost, Rule::PosixPath],
            ),
            ("gitlab.acme.io", &[Rule::RepoHost]),
            ("AKIAIOSFODNN7EXAMPLE", &[Rule::AwsKey]),
            (
                "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
                &[Rule::GithubToken],
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
                &[Rule::GithubToken],
            ),
            ("-----BEGIN RSA PRIVATE KEY-----", &[Rule::PrivateKey]),
            (
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                &[Rule::HighEntropy],
            ),
            (
                "da39a3ee5e6b4b0d3255bfef95601890afd80709",
                &[Rule::HighEntropy],
            ),
            (
                "Traceback (most recent call last):\n  oops",
                &[Rule::StackTrace],
            ),
            ("at com.acme.Main.run(Main.java:42)", &[Rule::StackTrace]),
            ("goroutine 23 [running]:\nmain.main()", &[Rule::StackTrace]),
            ("contact jos\u{e9}@acme.dev", &[Rule::Email]),
            ("alice@b\u{fc}cher.dev", &[Rule::Email]),
            ("bob@example.\u{440}\u{444}", &[Rule::Email]),
            // Punctuation outside ASCII after the address ends it.
            ("ping from jdoe@acme.pl\u{2026}", &[Rule::Email]),
            ("\u{ab}jdoe@acme.pl\u{bb}", &[Rule::Email]),
            // Combining marks are part of a name (a review: the virama of
            // Devanagari, an accent written apart).
            (
                "contact user@\u{939}\u{93f}\u{928}\u{94d}\u{926}\u{940}.\u{92d}\u{93e}\u{930}\u{924}",
                &[Rule::Email],
            ),
            ("jose\u{301}@example.com", &[Rule::Email]),
            ("www.acme-intranet.pl", &[Rule::Url]),
            (
                // A review's long frame: 1,233 bytes from `at ` to its `)`.
                &format!("boom at com.acme.{}bar(Foo.java:42)", "Inner$".repeat(200)),
                &[Rule::StackTrace],
            ),
            ("/home/jdoe/x", &[Rule::PosixPath, Rule::HomeUser]),
            ("C:\\Users\\jdoe", &[Rule::WindowsPath, Rule::HomeUser]),
            ("SHELL=bash", &[Rule::EnvDump]),
            ("AWS_REGION=eu-west-1", &[Rule::EnvDump]),
            // A review's misses: an address after `word:`, one with
            // leading zeros, host names of other top-level domains.
            ("listening on addr:fe80::1", &[Rule::Ipv6]),
            ("peer host:2001:db8::1", &[Rule::Ipv6]),
            ("listen:::1", &[Rule::Ipv6]),
            ("connect to 192.168.001.010", &[Rule::Ipv4]),
            ("jenkins.acme.dev", &[Rule::Hostname]),
            ("nas.home.arpa", &[Rule::Hostname]),
            ("build-7.corp.acme.it", &[Rule::Hostname]),
            ("ci.acme.ai", &[Rule::Hostname]),
            // A review's misses: a MAC address, EC2's name for an address,
            // more top-level domains and internationalised ones, credential
            // files without an extension of the list.
            ("00:1A:2B:3C:4D:5E", &[Rule::MacAddress]),
            ("00:11:22:33:44:55", &[Rule::MacAddress]),
            ("nic 00-1a-2b-3c-4d-5e up", &[Rule::MacAddress]),
            ("ip-10-0-1-23", &[Rule::Ipv4]),
            ("host IP-172-31-5-9 down", &[Rule::Ipv4]),
            ("shop.acme.app", &[Rule::Hostname]),
            ("intranet.acme.no", &[Rule::Hostname]),
            // A second review's misses: a separator at the edge, Cisco's
            // form, EC2's public names, an interface after the address.
            ("mac-00-1a-2b-3c-4d-5e", &[Rule::MacAddress]),
            (
                "iface eth0:00:1a:2b:3c:4d:5e: link down",
                &[Rule::MacAddress],
            ),
            ("00-1a-2b-3c-4d-5e-eth0", &[Rule::MacAddress]),
            ("001a.2b3c.4d5e", &[Rule::MacAddress]),
            ("ip-10-0-1-23-eth0", &[Rule::Ipv4]),
            ("ec2-54-12-34-56", &[Rule::Ipv4]),
            ("authorized_keys2", &[Rule::FileName]),
            ("id_rsa-cert.pub", &[Rule::FileName]),
            ("build.acme.co.in", &[Rule::Hostname]),
            ("acme-intranet.pl", &[Rule::Hostname]),
            ("ci.xn--80ak6aa92e.xn--p1ai", &[Rule::Hostname]),
            // A review's misses: labels outside ASCII, a domain in its own
            // script.
            (
                "\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.com",
                &[Rule::Hostname],
            ),
            (
                "down: \u{441}\u{435}\u{440}\u{432}\u{435}\u{440}.\u{440}\u{444}, retry",
                &[Rule::Hostname],
            ),
            ("build.b\u{fc}cher.de", &[Rule::Hostname]),
            ("ci.\u{4f8b}\u{5b50}.\u{4e2d}\u{56fd}", &[Rule::Hostname]),
            ("authorized_keys", &[Rule::FileName]),
            // A review's misses: FIDO keys, the system's known hosts, shell
            // histories, a file in a home's dot-directory.
            ("id_ed25519_sk", &[Rule::FileName]),
            ("id_ecdsa_sk.pub", &[Rule::FileName]),
            ("ssh_known_hosts", &[Rule::FileName]),
            (".bash_history", &[Rule::FileName]),
            (".aws/credentials", &[Rule::PosixPath]),
            // A third review's misses: a name against text of a script
            // without spaces, own-script domains beyond country codes,
            // IDNA's other dots and full-width letters, paths whose first
            // name is of another script, names with what users add after
            // them, more histories and credentials, one backslash.
            (
                "build.corp.example.com\u{306b}\u{63a5}\u{7d9a}\u{3067}\u{304d}\u{307e}\u{305b}\u{3093}",
                &[Rule::Hostname],
            ),
            (
                "\u{441}\u{435}\u{440}\u{432}\u{435}\u{440}.\u{43e}\u{440}\u{433}",
                &[Rule::Hostname],
            ),
            (
                "\u{670d}\u{52a1}\u{5668}.\u{4e2d}\u{6587}\u{7f51}",
                &[Rule::Hostname],
            ),
            (
                "\u{441}\u{435}\u{440}\u{432}\u{435}\u{440}\u{ff61}\u{440}\u{444}",
                &[Rule::Hostname],
            ),
            ("ci\u{ff0e}acme\u{ff0e}com", &[Rule::Hostname]),
            (
                "\u{ff42}\u{ff55}\u{ff49}\u{ff4c}\u{ff44}\u{ff0e}\u{ff41}\u{ff43}\u{ff4d}\u{ff45}\u{ff0e}\u{ff43}\u{ff4f}\u{ff4d}",
                &[Rule::Hostname],
            ),
            (
                "open /\u{434}\u{430}\u{43d}\u{43d}\u{44b}\u{435}/x failed",
                &[Rule::PosixPath],
            ),
            ("open /\u{fc}ber/geheim.txt", &[Rule::PosixPath]),
            ("id_rsa_work", &[Rule::FileName]),
            ("id_ed25519_sk_rk_gitlab", &[Rule::FileName]),
            ("known_hosts2", &[Rule::FileName]),
            ("ssh_host_ed25519_key", &[Rule::FileName]),
            (".zhistory", &[Rule::FileName]),
            (".node_repl_history", &[Rule::FileName]),
            ("fish_history", &[Rule::FileName]),
            ("_netrc", &[Rule::FileName]),
            (".my.cnf", &[Rule::FileName]),
            (".s3cfg", &[Rule::FileName]),
            (".vault-token", &[Rule::FileName]),
            ("AuthKey_ABC123.p8", &[Rule::FileName]),
            // A fourth review's misses: a name in another script's quotes,
            // against text without spaces, a stem of another script.
            (
                "\u{424}\u{430}\u{439}\u{43b} \u{ab}payroll.sql\u{bb}",
                &[Rule::FileName],
            ),
            ("\u{300c}id_rsa\u{300d}\u{304c}", &[Rule::FileName]),
            (
                "payroll.xlsx\u{3092}\u{958b}\u{3051}\u{307e}\u{305b}\u{3093}",
                &[Rule::FileName],
            ),
            ("\u{6253}\u{5f00}id_rsa\u{5931}\u{8d25}", &[Rule::FileName]),
            ("\u{7d66}\u{4e0e}.csv", &[Rule::FileName]),
            ("\u{ab}\u{7d66}\u{4e0e}.csv\u{bb}", &[Rule::FileName]),
            ("\u{444}\u{430}\u{439}\u{43b}.txt", &[Rule::FileName]),
            ("build.acme.co.th", &[Rule::Hostname]),
            ("ci.acme.kz", &[Rule::Hostname]),
            // A fifth review's misses: brackets inside a name, SSH-1's and
            // other host keys, a history's copy, a path against text.
            ("payroll\u{ff08}1\u{ff09}.csv", &[Rule::FileName]),
            ("ssh_host_key.pub", &[Rule::FileName]),
            ("ssh_host_xmss_key", &[Rule::FileName]),
            (".bash_history_old", &[Rule::FileName]),
            (
                "\u{65e0}\u{6cd5}\u{8bfb}\u{53d6}.aws/credentials",
                &[Rule::PosixPath],
            ),
            ("cannot read .aws\\credentials", &[Rule::WindowsPath]),
            ("error in src\\main.py", &[Rule::WindowsPath]),
            ("read .kube/config: denied", &[Rule::PosixPath]),
            ("known_hosts", &[Rule::FileName]),
            (".git-credentials", &[Rule::FileName]),
            ("terraform.tfstate.backup", &[Rule::FileName]),
            (".terraform.tfstate.1700000000.backup", &[Rule::FileName]),
        ];
        for (s, want) in cases {
            assert_eq!(&rules(s), want, "{s}");
        }
    }

    #[test]
    fn redaction_never_holds_the_value() {
        let mut hits = Vec::new();
        scan_text("ghp_16C7e42F292c6912E7710c838347Ae178B4a", &mut hits);
        assert_eq!(
            hits,
            vec![Hit {
                rule: Rule::GithubToken,
                redacted: "gh**_****… (40 chars)".into()
            }]
        );
    }

    #[test]
    fn near_misses_are_silent() {
        for s in [
            "v1.2.3.4",       // a version, not an address
            "1.2.3",          // a version
            "std::io::Error", // a Rust path, not IPv6
            "14:32:00",       // a time
            "user@localhost", // no dot in the host: a tool spec, not an address
            "semgrep@1.2",    // a package pin
            "2025/10/19",     // a date
            "a/b",            // too short to be a path
            "n/a",
            "AKIAshort",
            "ghp_short",
            "BASE64==",
            "x == y",
            "dependency-check-v10",
            "python-3.11-slim-bookworm",
            // Words outside ASCII with a dot, but no domain at their end.
            "\u{43f}\u{440}\u{438}\u{432}\u{435}\u{442}.\u{43c}\u{438}\u{440}",
            "\u{2014}.com",
            ".5/10",    // a ratio, no hidden directory
            "~5/10",    // about five in ten
            "$5/month", // a price
            "in $US-dollars/year",
            // A review's: `~` for "about", prices, acronyms, formulas.
            "takes ~hours/days",
            "~min/max",
            "~old/new~",
            "$US/year",
            "$CI/CD pipeline",
            "$AWS/GCP",
            "ratio $a/b$",
            "rate: $x/$y",
            "use $_/foo",
            "%PATH%\\bin",
            "~/",
            "$HOME/",
            "Test .NET/Core scanners",
            "Formats: .md/.html",
            // Public technologies, formats in capitals (a review).
            "Test ASP.NET and Socket.IO apps",
            "scanning Node.js, Vue.js and D3.js projects",
            "exported .JSON and .MD reports",
            // Patterns and escapes, no paths (a review).
            "version \\d+\\.\\d+\\.\\d+",
            "(?i)\\bpassword\\b",
            "[A-Z]\\w+\\\\[a-z]+",
            "\\n\\t\\r",
            "split at \\s+ or \\\\",
            "regex \\w+\\s*=\\s*\\S+",
            "regex \\d+-\\d+-\\d+",
            // An eleventh review's: a slash word before an escape, a URL
            // before a backslash, URLs without their scheme, comments.
            "see docs/guide\\n",
            "ratio 1/2\\n3/4",
            "//foo/bar comment",
            "rule matched [a-z]+\\.example\\.com",
            "text \\u4e2d\\u6587\\u540d",
            "bytes \\x41\\x42\\x43",
            "detected Moment.js and ML.NET",
            "detected jQuery.js and Lodash.js",
            // An eighth review's: patterns with classes standing alone.
            "regex \\b\\d{4}\\b",
            "regex \\d{3}\\s\\d{4}",
            "regex \\d\\d\\d-\\d\\d-\\d\\d\\d\\d",
            "regex \\d\\d:\\d\\d",
            "regex \\s\\S",
            "regex \\w\\.\\w",
            // A fourth review's false positives: a sentence's full stop
            // before a word that is also a domain, labels naming a key
            // file, histories that are no file, formats as a pair.
            "\u{626b}\u{63cf}\u{5931}\u{8d25}\u{3002}\u{4fe1}\u{606f}\u{ff1a}\u{8d85}\u{65f6}",
            "\u{5b8c}\u{4e86}\u{3002}\u{30af}\u{30e9}\u{30a6}\u{30c9}\u{ff1a}\u{6709}\u{52b9}",
            "\u{8fde}\u{63a5}\u{6210}\u{529f}\u{3002}\u{516c}\u{53f8}\u{ff1a}ACME",
            // A fifth review's: a sentence's dot before a capital, a
            // full-width full stop before an everyday word, `.th` of two.
            "\u{626b}\u{63cf}\u{5b8c}\u{6210}.Log\u{5df2}\u{4fdd}\u{5b58}",
            "\u{8fde}\u{63a5}\u{6210}\u{529f}\u{ff0e}\u{516c}\u{53f8}\u{ff1a}ACME",
            "locale.th",
            "ssh_host_key_checking disabled",
            "known_hosts_pinned",
            "ssh_host_keys_rotated",
            "fish_history_enabled",
            "_netrc_found",
            "...history",
            ".history_bucket",
            ".md/html",
            ".js/ts files",
            ".net/core",
            "event.user.id",
            "df.group.by",
            // A word of another script after a dot is no domain.
            "\u{43f}\u{440}\u{43e}\u{444}\u{438}\u{43b}\u{44c}.\u{431}\u{44b}\u{441}\u{442}\u{440}\u{44b}\u{439}",
            "1.2.3-\u{440}\u{446}1",
            "id_rsassa", // no key file's name: a word that starts as one
            "./",
            "aa:bb:cc:dd:ee:ff:00", // seven pairs: no MAC address
            "00:1a-2b:3c:4d:5e",    // two separators
            "2025-11-19-12-30-45",  // a date and a time
            "zip-10-0-1-23",        // not `ip-` at a word's start
            "ip-300-0-1-2",         // no address
            "ip-10-0-1",            // three numbers
            "ip-10-0-1-2-3",        // five
            "sign.in",              // a word ending, two labels
            "opt.no",
            "my.app",
            "Logged in.No errors",
            "at java.io.InputStreamReader(System.in)",
            "1234.5678.9abc.def0", // four groups
            "2024.1101.1432",      // a calendar version, not Cisco's form
            "xec2-55-1-2-3",       // not `ec2-` at a word's start
        ] {
            assert_eq!(rules(s), Vec::<Rule>::new(), "{s}");
        }
    }

    #[test]
    fn file_extensions_are_sorted_for_binary_search() {
        assert!(FILE_EXTENSIONS.windows(2).all(|w| w[0] < w[1]));
        assert!(
            is_file_extension("PY") && is_file_extension("tfvars") && !is_file_extension("started")
        );
    }

    #[test]
    fn anonymous_ids() {
        assert_eq!(
            anonymous_id_problem("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c"),
            None
        );
        assert_eq!(
            anonymous_id_problem("a7f3c8e2-4b1d-1f9e-8c3a-2d5e7f9b1a3c"),
            Some("UUID v1 (holds a MAC address and a time)")
        );
        assert_eq!(
            anonymous_id_problem("a7f3c8e2-4b1d-4f9e-7c3a-2d5e7f9b1a3c"),
            Some("UUID v4 with a wrong variant (hand-made)")
        );
        assert_eq!(
            anonymous_id_problem("11111111-1111-4111-8111-111111111111"),
            Some("UUID v4 that is not random (few distinct digits)")
        );
        assert_eq!(anonymous_id_problem("laptop-of-jane"), Some("not a UUID"));
    }

    #[test]
    fn exact_numbers_and_labels() {
        for s in ["437", "12.5", "3m20s", "900ms", "1,204"] {
            assert!(is_exact_number_text(s), "{s}");
        }
        for s in ["5-15min", ">1000", "<5min", "0-dev", "fast"] {
            assert!(!is_exact_number_text(s), "{s}");
        }
        assert!(is_label(">1000") && is_label("afl++") && is_label("simple-html"));
        assert!(!is_label("two words") && !is_label("a:b"));
        assert!(is_label("équipe") && is_label("ci-🔒"));
        assert!(!is_label("ci\u{202e}x") && !is_label("tab\there") && !is_label("é é"));
        // Invisible characters a review found let through, and what XML cannot hold.
        for c in ['\u{061c}', '\u{180e}', '\u{fff9}', '\u{e0061}', '\u{ffff}'] {
            assert!(!is_label(&format!("abc{c}def")), "{c:?}");
        }
        assert!(is_measure_key("scan_duration_ms") && is_measure_key("findings_count"));
        assert!(!is_measure_key("profile"));
    }
}
