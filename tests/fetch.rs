//! Integration tests of `jmo-analyze fetch`: the binary against a mock GitHub
//! API on 127.0.0.1 (mockito, or a bare `TcpListener` for a server that
//! hangs) and local git repositories built with the real `git` program.
//! No test touches the network. Every test checks that the token appears in
//! no output and no file.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use mockito::{Matcher, Mock, Server, ServerGuard};
use serde_json::{Value, json};
use tempfile::TempDir;

mod common;
use common::Tmpfs;

const TOKEN: &str = "ghp_TESTTOKEN1234567890abcdef";
const GIST: &str = "abc123";
const FILE: &str = "jmo-telemetry-events.jsonl";
const INIT: &str = r#"{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "JMo Security Telemetry Backend"}"#;

/// A usage event line as the Python client writes it.
fn event(n: usize) -> String {
    format!(
        r#"{{"event": "scan.started", "version": "1.0.0", "platform": "Linux", "python_version": "3.11", "anonymous_id": "00000000-0000-4000-8000-{n:012}", "timestamp": "2025-11-19T14:32:{:02}.173975+00:00", "metadata": {{"mode": "cli", "profile": "fast"}}}}"#,
        n % 60
    )
}

/// Lines joined as a file: one per line, final newline.
fn file_of(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The output of one run of the binary.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A test's working directory (the archive goes to `data/events.jsonl` in it).
struct Work {
    dir: TempDir,
}

impl Work {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn archive(&self) -> PathBuf {
        self.path().join("data/events.jsonl")
    }

    fn archive_text(&self) -> String {
        fs::read_to_string(self.archive()).unwrap()
    }

    fn etag_file(&self) -> PathBuf {
        self.path().join("data/events.jsonl.etag")
    }

    /// The binary with a clean environment: the fake token in the JMo
    /// variable, no proxy, no other token, run inside the work directory.
    fn cmd(&self, api: &str, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
        cmd.current_dir(self.path())
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("JMO_TELEMETRY_GIST_ID")
            .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
            .env("NO_COLOR", "1");
        for var in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            cmd.env_remove(var);
        }
        cmd.args([
            "fetch",
            "--gist-id",
            GIST,
            "--api-url",
            api,
            "--max-wait",
            "3",
        ]);
        cmd.args(args);
        cmd
    }

    /// Runs `cmd` and checks that the token is in no output and no file.
    fn run(&self, mut cmd: Command) -> Run {
        let out = cmd.output().unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        self.assert_no_token(&run);
        run
    }

    fn fetch(&self, api: &str, args: &[&str]) -> Run {
        self.run(self.cmd(api, args))
    }

    fn assert_no_token(&self, run: &Run) {
        assert!(
            !run.stdout.contains(TOKEN),
            "token in stdout: {}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(TOKEN),
            "token in stderr: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("TESTTOKEN"), "token part in stderr");
        for file in walk(self.path()) {
            // A link's file is read as itself, if it is here (a loop is not).
            if fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink()) {
                continue;
            }
            let bytes = fs::read(&file).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(TOKEN), "token in {}", file.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A gist API answer holding `files` (name → file object).
fn gist_body(files: &[(&str, Value)], git_pull_url: Option<&str>) -> String {
    let files: serde_json::Map<String, Value> = files
        .iter()
        .map(|(name, file)| ((*name).to_owned(), file.clone()))
        .collect();
    json!({
        "id": GIST,
        "description": "JMo Security telemetry",
        "public": false,
        "files": files,
        "git_pull_url": git_pull_url,
        "truncated": false,
    })
    .to_string()
}

/// The API's answer for a gist holding `content` whole in its one file.
fn whole_gist(content: &str) -> String {
    gist_body(&[(FILE, whole_file(content))], None)
}

/// A file object whose `content` is complete.
fn whole_file(content: &str) -> Value {
    json!({
        "filename": FILE,
        "type": "application/octet-stream",
        "size": content.len(),
        "truncated": false,
        "content": content,
        "raw_url": "http://127.0.0.1:9/never-used",
    })
}

/// A file object cut at the API's limit, its whole content at `raw_url`.
fn cut_file(content_given: &str, size: usize, raw_url: &str) -> Value {
    json!({
        "filename": FILE,
        "size": size,
        "truncated": true,
        "content": content_given,
        "raw_url": raw_url,
    })
}

/// `GET /gists/abc123` expecting GitHub's headers and the token.
fn gist_mock(server: &mut ServerGuard) -> mockito::Mock {
    server
        .mock("GET", "/gists/abc123")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("accept", "application/vnd.github+json")
        .match_header("x-github-api-version", "2022-11-28")
        .match_header("user-agent", Matcher::Regex("^jmo-analyze/".into()))
}

fn ok_gist(server: &mut ServerGuard, body: &str, etag: &str) -> Mock {
    gist_mock(server)
        .with_status(200)
        .with_header("content-type", "application/json; charset=utf-8")
        .with_header("etag", etag)
        .with_body(body)
        .expect(1)
        .create()
}

/// The message clap-free errors print: `Error: …` and a newline.
fn error_line(message: &str) -> String {
    format!("Error: {message}\n")
}

/// A fetch against `server`, whose `mock` it must call, fails with `message`.
fn assert_fetch_fails(server: &ServerGuard, mock: &Mock, message: &str) {
    let work = Work::new();
    let run = work.fetch(&server.url(), &[]);
    mock.assert();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, error_line(message));
}

// ---------------------------------------------------------------- downloads

#[test]
fn normal_download_creates_the_archive_and_etag() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1), "not json at all", &event(2)]);
    let body = whole_gist(&content);
    let mock = ok_gist(&mut server, &body, "\"v1\"");
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    mock.assert();
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 4 new lines, 4 lines in data/events.jsonl\n"
    );
    assert_eq!(run.code, 0);
    assert_eq!(work.archive_text(), content);
    let sidecar: Value =
        serde_json::from_str(&fs::read_to_string(work.etag_file()).unwrap()).unwrap();
    assert_eq!(
        sidecar,
        json!({"gist_id": "abc123", "file": FILE, "etag": "\"v1\"",
               "archive_sha256": sha256_hex(content.as_bytes())})
    );
}

/// What a fetch killed by SIGKILL (or SIGXFSZ) leaves: its temporary files
/// beside the archive and the sidecar. The next fetch, under the lock,
/// keeps the complete lines of the archive's (that run's new lines) and
/// removes both; a user's files of like names stay (a review: six letters,
/// `.events.jsonl.backup.tmp`, passed for the random part).
#[test]
fn temporary_files_a_killed_fetch_left_are_salvaged_and_removed_under_the_lock() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1), &event(2)]);
    let mock = ok_gist(&mut server, &whole_gist(&content), "\"v2\"");
    let work = Work::new();
    let data = work.path().join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(work.archive(), file_of(&[INIT, &event(1)])).unwrap();
    // The killed run had recovered event 5 (say, with --history); its last
    // line was cut.
    let cut = format!("{INIT}\n{}\n{}\n{{\"event\": \"sca", event(1), event(5));
    fs::write(data.join(".events.jsonl.fetch-a1B2c3.tmp"), cut).unwrap();
    fs::write(
        data.join(".events.jsonl.etag.fetch-Zz9999.tmp"),
        "{\"gist_id\"",
    )
    .unwrap();
    // Not theirs: other names, another file's, a directory.
    let kept = [
        ".events.jsonl.backup.tmp",
        ".events.jsonl.sorted.tmp",
        ".events.jsonl.fetch-notes.tmp.bak",
        ".events.jsonl.fetch-toolong.tmp",
        ".other.jsonl.fetch-a1B2c3.tmp",
        "events.jsonl.fetch-a1B2c3.tmp",
    ];
    for name in kept {
        fs::write(data.join(name), "mine").unwrap();
    }
    fs::create_dir(data.join(".events.jsonl.fetch-dir123.tmp")).unwrap();

    let run = work.fetch(&server.url(), &[]);

    mock.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "removed data/.events.jsonl.fetch-a1B2c3.tmp, left by a fetch that was stopped before it \
         finished; 1 new line of it kept in the archive\n\
         removed data/.events.jsonl.etag.fetch-Zz9999.tmp, left by a fetch that was stopped \
         before it finished\n\
         note: the gist's jmo-telemetry-events.jsonl lacks 1 line that data/events.jsonl already \
         held (lost by clients' read-modify-write, or removed); the archive keeps it. Run \
         with --history to recover events that only earlier revisions hold\n"
    );
    assert!(!data.join(".events.jsonl.fetch-a1B2c3.tmp").exists());
    assert!(!data.join(".events.jsonl.etag.fetch-Zz9999.tmp").exists());
    for name in kept {
        assert_eq!(
            fs::read_to_string(data.join(name)).unwrap(),
            "mine",
            "{name}"
        );
    }
    assert!(data.join(".events.jsonl.fetch-dir123.tmp").is_dir());
    assert_eq!(
        work.archive_text(),
        file_of(&[INIT, &event(1), &event(5), &event(2)])
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 2 new lines (1 of them from a stopped fetch's \
         file), 4 lines in data/events.jsonl\n"
    );
}

/// When every new line came from a stopped fetch's file, the summary
/// says so, not that the gist gave it (a review).
#[test]
fn new_lines_only_from_a_stopped_fetch_are_said_so() {
    let mut server = Server::new();
    let mock = ok_gist(
        &mut server,
        &whole_gist(&file_of(&[INIT, &event(1)])),
        "\"v2\"",
    );
    let work = Work::new();
    let data = work.path().join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(work.archive(), file_of(&[INIT, &event(1)])).unwrap();
    let temp = data.join(".events.jsonl.fetch-a1B2c3.tmp");
    fs::write(&temp, file_of(&[INIT, &event(1), &event(5)])).unwrap();

    let run = work.fetch(&server.url(), &[]);

    mock.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line (from a stopped fetch's file), 3 \
         lines in data/events.jsonl\n"
    );
    assert!(!temp.exists());
}

/// A sidecar that is a link has its temporary files beside the file it
/// names, in a directory another archive's lock may cover: a leftover
/// there is not this fetch's to remove.
#[test]
fn a_linked_sidecars_leftovers_are_left_alone() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1)]);
    let mock = ok_gist(&mut server, &whole_gist(&content), "\"v1\"");
    let work = Work::new();
    let data = work.path().join("data");
    let elsewhere = work.path().join("elsewhere");
    fs::create_dir_all(&data).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("other.etag"), "{}").unwrap();
    std::os::unix::fs::symlink(elsewhere.join("other.etag"), work.etag_file()).unwrap();
    let theirs = elsewhere.join(".other.etag.fetch-Zz9999.tmp");
    fs::write(&theirs, "{\"gist_id\"").unwrap();

    let run = work.fetch(&server.url(), &[]);

    mock.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("removed"), "{}", run.stderr);
    assert!(theirs.exists());
    assert_eq!(work.archive_text(), content);
}

/// An archive or a sidecar that is a link to a file in a directory not
/// made yet gets that directory, as `data/` is made on a first fetch (a
/// review: a rule for `summary -o`'s links made every fetch fail at the
/// sidecar, after the archive was saved).
#[test]
fn links_to_files_in_directories_not_made_yet_are_written_through() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1)]);
    let mock = ok_gist(&mut server, &whole_gist(&content), "\"v1\"").expect(2);
    for linked in ["archive", "sidecar"] {
        let work = Work::new();
        fs::create_dir_all(work.path().join("data")).unwrap();
        let (link, target) = match linked {
            "archive" => (work.archive(), work.path().join("gone/events.jsonl")),
            _ => (work.etag_file(), work.path().join("gone/x.etag")),
        };
        std::os::unix::fs::symlink(
            "../gone/".to_owned() + target.file_name().unwrap().to_str().unwrap(),
            &link,
        )
        .unwrap();

        let run = work.fetch(&server.url(), &[]);

        assert_eq!(run.code, 0, "{linked}: {}", run.stderr);
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(target.is_file(), "{linked}");
        assert_eq!(work.archive_text(), content);
    }
    mock.assert();
}

/// The lines a killed fetch left are saved before anything can fail (a
/// review: the leftover was removed with its lines only in memory, and a
/// server error then lost them); lines a crash tore (NUL bytes, not JSON)
/// are not taken.
#[test]
fn a_killed_fetchs_lines_are_saved_before_the_fetch_can_fail() {
    let mut server = Server::new();
    let failing = gist_mock(&mut server).with_status(500).expect(1).create();
    let work = Work::new();
    let data = work.path().join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(work.archive(), file_of(&[INIT, &event(1)])).unwrap();
    let torn = format!("{}{}", "\0".repeat(40), &event(6)[30..]);
    let temp = data.join(".events.jsonl.fetch-a1B2c3.tmp");
    // A client's cut line is kept, as a fetch keeps it; a text ending in
    // \r (written \r\r\n) stays itself (a review: split twice, it lost
    // the \r and the gist's was archived again).
    let cr = format!("{}\r", event(7));
    let kept = [INIT, &event(1), &event(5), "{\"event\": \"sca", &cr];
    fs::write(
        &temp,
        file_of(&kept).replace("\r\n", "\r\r\n") + &format!("{torn}\n{{\"event\": \"sca"),
    )
    .unwrap();

    let run = work.fetch(&server.url(), &["--retries", "0"]);

    failing.assert();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "removed data/.events.jsonl.fetch-a1B2c3.tmp, left by a fetch that was stopped \
             before it finished; 3 new lines of it kept in the archive, 1 line not (with NUL \
             bytes: torn by a crash)\n"
        ),
        "{}",
        run.stderr
    );
    assert!(!temp.exists());
    assert_eq!(
        work.archive_text(),
        file_of(&kept).replace("\r\n", "\r\r\n")
    );
}

/// The SHA-256 of `bytes`, lower-case hex (as the sidecar keeps the archive's).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}

#[test]
fn a_line_ending_in_two_carriage_returns_is_archived_once_however_often_fetched() {
    let mut server = Server::new();
    // One CR is the line end's; the event's text keeps the other (JSON
    // allows it as whitespace), and the archive must read back that text.
    let content = format!("{INIT}\n{}\r\r\n", event(1));
    let body = whole_gist(&content);
    let work = Work::new();
    for (round, etag) in ["\"v1\"", "\"v2\""].into_iter().enumerate() {
        let mock = ok_gist(&mut server, &body, etag);
        let run = work.fetch(&server.url(), &[]);
        mock.assert();
        mock.remove();
        assert_eq!(run.code, 0, "{}", run.stderr);
        let new = if round == 0 {
            "2 new lines"
        } else {
            "0 new lines"
        };
        assert_eq!(
            run.stdout,
            format!("fetched gist abc123 via api content: {new}, 2 lines in data/events.jsonl\n")
        );
        assert_eq!(work.archive_text(), content);
    }
}

#[test]
fn an_archive_restored_since_the_last_fetch_is_fetched_in_full() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1), &event(2)]);
    let body = whole_gist(&content);
    let first = ok_gist(&mut server, &body, "\"v1\"");
    let work = Work::new();
    let run = work.fetch(&server.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    first.assert();
    first.remove();
    // An older backup put back (or a checkout of the data directory): the
    // sidecar still names the gist's ETag, for an archive that is gone.
    fs::write(work.archive(), file_of(&[INIT])).unwrap();
    // A server that would answer 304 to that ETag, and the gist to a plain GET.
    let stale = gist_mock(&mut server)
        .match_header("if-none-match", "\"v1\"")
        .with_status(304)
        .expect(0)
        .create();
    let full = gist_mock(&mut server)
        .match_header("if-none-match", Matcher::Missing)
        .with_status(200)
        .with_header("etag", "\"v1\"")
        .with_body(&body)
        .expect(1)
        .create();

    let run = work.fetch(&server.url(), &[]);

    stale.assert();
    full.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 2 new lines, 3 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), content);
}

/// An ETag that echoes the token is not kept: the sidecar would hold the
/// token, and --verbose print it with the next request (a review).
#[test]
fn an_etag_that_holds_the_token_is_not_kept() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1)]);
    let echo = format!("W/\"{TOKEN}\"");
    let mock = ok_gist(&mut server, &whole_gist(&content), &echo);
    let work = Work::new();
    // `run` fails when the token is in any output or file.
    let run = work.fetch(&server.url(), &["--verbose"]);
    mock.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(work.archive_text(), content);
    assert!(!work.etag_file().exists());
}

#[test]
fn not_modified_prints_up_to_date_and_keeps_the_archive() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1)]);
    let first = ok_gist(&mut server, &whole_gist(&content), "W/\"etag-1\"");
    let work = Work::new();
    let run = work.fetch(&server.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    first.assert();
    first.remove();

    let not_modified = gist_mock(&mut server)
        .match_header("if-none-match", "W/\"etag-1\"")
        .with_status(304)
        .expect(1)
        .create();
    let run = work.fetch(&server.url(), &[]);

    not_modified.assert();
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "up to date: gist abc123 has not changed since the last fetch; data/events.jsonl holds 2 lines\n"
    );
    assert_eq!(work.archive_text(), content);
}

#[test]
fn a_not_modified_answer_nobody_asked_for_is_not_up_to_date() {
    let mut server = Server::new();
    // A broken cache on the way answers 304 to a first, unconditional fetch.
    let mock = gist_mock(&mut server)
        .match_header("if-none-match", Matcher::Missing)
        .with_status(304)
        .expect(1)
        .create();
    assert_fetch_fails(
        &server,
        &mock,
        &format!(
            "HTTP 304 (not modified) from {}/gists/abc123 to a request that sent no ETag: a \
             cache or proxy on the way answered in the API's place; try again later, and check \
             --api-url",
            server.url()
        ),
    );
}

/// An unexpected status says GitHub's own message (a review: a 422 was told
/// only by its number, with advice to use --verbose, which showed no more).
#[test]
fn an_unexpected_status_says_githubs_message() {
    let mut server = Server::new();
    let mock = gist_mock(&mut server)
        .with_status(422)
        .with_body(r#"{"message": "Validation Failed\u001b[2J", "documentation_url": "x"}"#)
        .expect(1)
        .create();
    assert_fetch_fails(
        &server,
        &mock,
        &format!(
            "unexpected HTTP 422 from {}/gists/abc123 (GitHub says: \"Validation Failed\\u{{1b}}[2J\"): check --api-url and the gist ID, or try again later",
            server.url()
        ),
    );
}

/// A message that echoes the token where the 200-character cut falls
/// shows no part of it (a review: the mask, which looks for the whole
/// token, missed the part before the cut).
#[test]
fn a_message_cut_through_the_token_shows_none_of_it() {
    let mut server = Server::new();
    let body = serde_json::json!({"message": format!("{}{TOKEN} and more", "x".repeat(185))});
    let mock = gist_mock(&mut server)
        .with_status(422)
        .with_body(body.to_string())
        .expect(1)
        .create();
    let work = Work::new();
    let run = work.fetch(&server.url(), &[]);
    mock.assert();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{}***", "x".repeat(185))),
        "{}",
        run.stderr
    );
    // No run of 8 of the token's characters.
    let chars: Vec<char> = TOKEN.chars().collect();
    for part in chars.windows(8) {
        let part: String = part.iter().collect();
        assert!(!run.stderr.contains(&part), "{part}: {}", run.stderr);
    }
}

#[test]
fn etag_of_another_file_is_not_sent() {
    let mut server = Server::new();
    let work = Work::new();
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.archive(), file_of(&[INIT])).unwrap();
    fs::write(
        work.etag_file(),
        r#"{"gist_id": "abc123", "file": "other.jsonl", "etag": "\"old\""}"#,
    )
    .unwrap();
    let content = file_of(&[INIT, &event(1)]);
    let mock = gist_mock(&mut server)
        .match_header("if-none-match", Matcher::Missing)
        .with_status(200)
        .with_header("etag", "\"new\"")
        .with_body(whole_gist(&content))
        .expect(1)
        .create();

    let run = work.fetch(&server.url(), &[]);

    mock.assert();
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 2 lines in data/events.jsonl\n"
    );
    assert!(
        fs::read_to_string(work.etag_file())
            .unwrap()
            .contains("\"\\\"new\\\"\"")
    );
}

/// The API's answer (ETag `"v1"`) of a file cut to `partial` of `size`
/// bytes, and its raw_url (on the API's host: the token goes along)
/// answering `raw` once.
fn cut_with_raw_url(
    server: &mut ServerGuard,
    partial: &str,
    size: usize,
    raw: &str,
) -> (Mock, Mock) {
    let raw_url = format!("{}/raw/abc123/{FILE}", server.url());
    let api = ok_gist(
        server,
        &gist_body(&[(FILE, cut_file(partial, size, &raw_url))], None),
        "\"v1\"",
    );
    let raw = server
        .mock("GET", format!("/raw/abc123/{FILE}").as_str())
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .with_status(200)
        .with_body(raw)
        .expect(1)
        .create();
    (api, raw)
}

#[test]
fn truncated_partial_content_is_completed_from_raw_url() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1), &event(2)]);
    let partial = &content[..content.len() / 2];
    let (api, raw) = cut_with_raw_url(&mut server, partial, content.len(), &content);
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    api.assert();
    raw.assert();
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via raw_url: 3 new lines, 3 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), content);
}

/// raw_url's answer of the API's size that lacks a line the API sent (a
/// server or a cache answering for another revision) is no answer for the
/// API's revision: the API's complete lines are kept too, with a warning
/// and no ETag (a review: the line was lost, and the ETag kept, so the next
/// fetch said "up to date").
#[test]
fn a_raw_url_answer_without_all_the_api_sent_keeps_the_apis_lines() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1), &event(2), &event(3)]);
    let other = file_of(&[INIT, &event(1), &event(9), &event(3)]);
    assert_eq!(content.len(), other.len());
    // Event 2 is whole in the API's content.
    let partial = &content[..content.len() - 10];
    let (api, raw) = cut_with_raw_url(&mut server, partial, content.len(), &other);
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    api.assert();
    raw.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "warning: raw_url's answer for {FILE} is not the revision the API described (of \
             the API's size, {} bytes, it lacks what the API sent): the API's complete lines \
             were kept too",
            content.len()
        )),
        "{}",
        run.stderr
    );
    // The API's complete lines first, then raw_url's others.
    assert_eq!(
        work.archive_text(),
        file_of(&[INIT, &event(1), &event(2), &event(9), &event(3)])
    );
    assert!(!work.etag_file().exists());
}

/// The API's `content` is text: a file whose bytes are not UTF-8 comes with
/// U+FFFD in their place, and a character cut after three of its four
/// bytes (`F0 9F 98`) becomes one U+FFFD of three bytes, so the content's
/// length still equals the file's size. Such content is not the file: it
/// is read from `raw_url` (a review: the U+FFFD copy was archived, and the
/// real line beside it by a later `--history`).
#[test]
fn content_holding_a_replacement_character_is_read_from_raw_url() {
    let mut server = Server::new();
    let mut bytes = format!("{INIT}\n").into_bytes();
    bytes.extend_from_slice(
        br#"{"event": "scan.started", "timestamp": "2025-11-19T14:32:00+00:00", "anonymous_id": "x"#,
    );
    bytes.extend_from_slice(b"\xf0\x9f\x98");
    bytes.extend_from_slice(b"y\"}\n");
    let lossy = String::from_utf8_lossy(&bytes).into_owned();
    assert_eq!(lossy.len(), bytes.len());
    let raw_url = format!("{}/raw/abc123/{FILE}", server.url());
    let mut file = whole_file(&lossy);
    file["raw_url"] = json!(raw_url);
    let api = ok_gist(&mut server, &gist_body(&[(FILE, file)], None), "\"v1\"");
    let raw = server
        .mock("GET", format!("/raw/abc123/{FILE}").as_str())
        .with_status(200)
        .with_body(&bytes)
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    api.assert();
    raw.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(fs::read(work.archive()).unwrap(), bytes);

    // raw_url failing and no clone: the fetch fails, saying why (a review:
    // "could not be read whole" of a file that held a real U+FFFD).
    let mut server = Server::new();
    let text = file_of(&[INIT, &event(1).replace("\"Linux\"", "\"Lin\u{fffd}x\"")]);
    let mut file = whole_file(&text);
    file["raw_url"] = json!(format!("{}/raw/broken", server.url()));
    let api = ok_gist(&mut server, &gist_body(&[(FILE, file)], None), "\"v1\"");
    let raw = server.mock("GET", "/raw/broken").with_status(404).create();
    let work = Work::new();
    let run = work.fetch(&server.url(), &[]);
    api.assert();
    raw.assert();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "could not be read as it is (its content holds U+FFFD, which may stand for bytes it \
             could not show; raw_url failed: HTTP 404)"
        ),
        "{}",
        run.stderr
    );
    assert!(!work.archive().exists());
}

#[test]
fn truncated_empty_content_is_read_from_raw_url_without_sending_the_token_elsewhere() {
    let mut api_server = Server::new();
    let mut raw_server = Server::new();
    let content = file_of(&[INIT, &event(1), &event(2)]);
    let raw_url = format!("{}/raw/{FILE}", raw_server.url());
    let api = ok_gist(
        &mut api_server,
        &gist_body(&[(FILE, cut_file("", content.len(), &raw_url))], None),
        "\"v1\"",
    );
    // Another host (port): no Authorization header.
    let raw = raw_server
        .mock("GET", format!("/raw/{FILE}").as_str())
        .match_header("authorization", Matcher::Missing)
        .with_status(200)
        .with_body(&content)
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&api_server.url(), &[]);

    api.assert();
    raw.assert();
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via raw_url: 3 new lines, 3 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), content);
}

#[test]
fn file_over_the_content_limit_is_served_only_by_raw_url() {
    let mut server = Server::new();
    // About 1.3 MB: more than the API's 1 MB of content.
    let lines: Vec<String> = (0..5000).map(event).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let content = file_of(&refs);
    assert!(content.len() > 1024 * 1024);
    let raw_url = format!("{}/raw/big", server.url());
    let api = ok_gist(
        &mut server,
        &gist_body(&[(FILE, cut_file("", content.len(), &raw_url))], None),
        "\"v1\"",
    );
    let raw = server
        .mock("GET", "/raw/big")
        .with_status(200)
        .with_body(&content)
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    api.assert();
    raw.assert();
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via raw_url: 5000 new lines, 5000 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), content);
}

/// A bare HTTP/1.1 server on 127.0.0.1 that answers each request for a
/// path with its canned bytes (status line, headers, body) and then closes
/// the connection: what mockito cannot send, such as a body with no length.
fn canned_server(answers: impl Fn(&str, &str) -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let own = base.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request);
            let path = request.split(' ').nth(1).unwrap_or("").to_owned();
            let _ = stream.write_all(&answers(&own, &path));
        }
    });
    base
}

/// The API's answer for a gist whose one file is cut, with no `size`, its
/// whole content at `{base}/raw`, and no git URL.
fn gist_without_size(base: &str) -> Vec<u8> {
    let body = gist_body(
        &[(
            FILE,
            json!({"filename": FILE, "truncated": true, "content": "", "raw_url": format!("{base}/raw")}),
        )],
        None,
    );
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn a_raw_body_that_may_be_cut_is_not_archived_when_the_api_gives_no_size() {
    let content = file_of(&[INIT, &event(1), &event(2)]);
    // Its end is where the connection closes: no Content-Length, no chunks,
    // so a cut after 20 bytes looks like a whole answer.
    let cut = content[..20].to_owned();
    let api = canned_server(move |base, path| match path {
        "/gists/abc123" => gist_without_size(base),
        _ => format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{cut}").into_bytes(),
    });
    let work = Work::new();

    let run = work.fetch(&api, &[]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        error_line(
            "the gist's jmo-telemetry-events.jsonl could not be read as it is (raw_url failed: \
             it served 20 bytes without a length, and the API gave no size: whether the file \
             is whole cannot be told) and the API gave no git_pull_url to clone: nothing was \
             written; try again later, or download it by hand with `git clone` of the gist"
        )
    );
    assert!(!work.archive().exists(), "a cut line was archived");
}

/// A redirect to a server that cannot be reached says where it led, by
/// its origin (a review: only the URL asked was named, which answered).
#[test]
fn a_redirect_that_leads_nowhere_says_where_it_led() {
    let api = canned_server(move |base, path| match path {
        "/gists/abc123" => gist_without_size(base),
        _ => b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/raw?token=SIGNED\r\n\
               Content-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    });
    let work = Work::new();

    let run = work.fetch(&api, &["--retries", "0"]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("; redirected to http://127.0.0.1:1)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SIGNED"), "{}", run.stderr);
}

/// Redirects that never end, or lead to a URL that is not http(s), are
/// not asked again: the same request would lead the same way (a review: 4
/// attempts, 44 requests; then "on the only attempt (--retries 0): check
/// the network" said of a fetch with 3 retries).
#[test]
fn redirects_that_cannot_be_followed_are_followed_once() {
    for (location, requests) in [("/gists/abc123", 11), ("ftp://127.0.0.1:1/gist", 1)] {
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&asked);
        let api = canned_server(move |_, _| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\
                 Connection: close\r\n\r\n"
            )
            .into_bytes()
        });
        let work = Work::new();

        let run = work.fetch(&api, &["--retries", "3"]);

        assert_eq!(run.code, 1, "{}", run.stderr);
        let start = format!("Error: {api}/gists/abc123 redirects where it cannot be followed (");
        assert!(run.stderr.starts_with(&start), "{}", run.stderr);
        assert!(
            run.stderr.ends_with(
                "); not asked again, since it would lead the same way: check --api-url\n"
            ),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("retrying"), "{}", run.stderr);
        if location.starts_with("ftp") {
            assert!(
                run.stderr.contains("; redirected to ftp://127.0.0.1:1)"),
                "{}",
                run.stderr
            );
        }
        // The request and the redirects reqwest follows (10 at most).
        assert_eq!(
            asked.load(std::sync::atomic::Ordering::SeqCst),
            requests,
            "{location}"
        );
        assert!(!work.archive().exists());
    }
}

/// raw_url's redirects that cannot be followed are said as such, without
/// the advice of a failed API request (a review: "check the network and
/// --api-url" before the clone).
#[test]
fn raw_urls_redirect_loop_is_said_without_other_advice() {
    let api = canned_server(move |base, path| match path {
        "/gists/abc123" => gist_without_size(base),
        _ => b"HTTP/1.1 302 Found\r\nLocation: /raw\r\nContent-Length: 0\r\n\
               Connection: close\r\n\r\n"
            .to_vec(),
    });
    let work = Work::new();

    let run = work.fetch(&api, &[]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "(raw_url redirects where it cannot be followed (error following redirect: too \
             many redirects))"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("check the network"), "{}", run.stderr);
    assert!(!run.stderr.contains("--api-url"), "{}", run.stderr);
}

/// A raw_url answer cut short, and no clone: its cause is said once, with
/// the advice of the run's end (a review: "nothing was written" twice).
#[test]
fn a_raw_body_cut_short_without_a_clone_says_nothing_was_written_once() {
    let content = file_of(&[INIT, &event(1), &event(2)]);
    let cut = content[..20].to_owned();
    let api = canned_server(move |base, path| match path {
        "/gists/abc123" => gist_without_size(base),
        _ => format!("HTTP/1.1 200 OK\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{cut}")
            .into_bytes(),
    });
    let work = Work::new();

    let run = work.fetch(&api, &["--retries", "0"]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("nothing was written").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.starts_with(
            "Error: the gist's jmo-telemetry-events.jsonl could not be read as it is (raw_url's \
             answer could not be read to its end ("
        ),
        "{}",
        run.stderr
    );
    assert!(!work.archive().exists());
}

#[test]
fn a_raw_body_with_its_length_is_archived_when_the_api_gives_no_size() {
    let content = file_of(&[INIT, &event(1), &event(2)]);
    let whole = content.clone();
    let api = canned_server(move |base, path| match path {
        "/gists/abc123" => gist_without_size(base),
        _ => format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{whole}",
            whole.len()
        )
        .into_bytes(),
    });
    let work = Work::new();

    let run = work.fetch(&api, &[]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(work.archive_text(), content);
}

/// A fetch of a gist whose API content is `partial` of a file of `size`
/// bytes and whose raw_url answers 404, so that the file is cloned from
/// `pull_url`; `history` is the API's revisions (none when null). Each
/// answer is asked for once.
fn fetch_through_the_clone(
    partial: &str,
    size: usize,
    pull_url: &str,
    history: Value,
    args: &[&str],
) -> (Work, Run) {
    fetch_through_the_clone_into(Work::new(), partial, size, pull_url, history, args)
}

/// [`fetch_through_the_clone`] into `work` (an archive there already, say).
fn fetch_through_the_clone_into(
    work: Work,
    partial: &str,
    size: usize,
    pull_url: &str,
    history: Value,
    args: &[&str],
) -> (Work, Run) {
    let mut server = Server::new();
    let raw_url = format!("{}/raw/broken", server.url());
    let mut body: Value = serde_json::from_str(&gist_body(
        &[(FILE, cut_file(partial, size, &raw_url))],
        Some(pull_url),
    ))
    .unwrap();
    if !history.is_null() {
        body["history"] = history;
    }
    let api = ok_gist(&mut server, &body.to_string(), "\"v1\"");
    let raw = server
        .mock("GET", "/raw/broken")
        .with_status(404)
        .expect(1)
        .create();
    let run = work.fetch(&server.url(), args);
    api.assert();
    raw.assert();
    (work, run)
}

#[test]
fn raw_url_that_fails_falls_back_to_git_clone() {
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT, &event(1), &event(2)]));
    let bare = repo.bare();
    let content = file_of(&[INIT, &event(1), &event(2)]);

    let (work, run) =
        fetch_through_the_clone("", content.len(), bare.to_str().unwrap(), Value::Null, &[]);

    assert_eq!(
        run.stderr,
        "raw_url failed: HTTP 404; cloning the gist with git instead\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via git clone: 3 new lines, 3 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), content);
}

/// A raw_url answer over the 10 MB raw_url serves, where the API gave no
/// size, goes to the clone, and says so without another run's advice (a
/// review: "check --api-url" before the clone read the file whole).
#[test]
fn a_raw_url_answer_over_its_limit_goes_to_the_clone_without_other_advice() {
    let lines: Vec<String> = (0..45_000).map(event).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let content = file_of(&refs);
    assert!(content.len() > 10 * 1024 * 1024);
    let repo = GistRepo::new();
    repo.commit(&content);
    let bare = repo.bare();
    let mut server = Server::new();
    let raw_url = format!("{}/raw/huge", server.url());
    let file = json!({"filename": FILE, "truncated": true, "content": "", "raw_url": raw_url});
    let api = ok_gist(
        &mut server,
        &gist_body(&[(FILE, file)], Some(bare.to_str().unwrap())),
        "\"v1\"",
    );
    let raw = server
        .mock("GET", "/raw/huge")
        .with_status(200)
        .with_body(&content)
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    api.assert();
    raw.assert();
    assert_eq!(
        run.stderr,
        "raw_url served more than 10 MB, the most it serves; cloning the gist with git instead\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via git clone: 45000 new lines, 45000 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), content);
}

/// The clone's newest revision is not always the one the API described:
/// another client PATCHed the gist in between. Down to its own line (a
/// client whose GET failed): the complete lines the API gave of its
/// revision are kept, a warning says what may be missing, and no ETag is
/// kept, so the next fetch reads the gist in full again (a review: only the
/// clobbering line was archived, with success, and the next fetch said
/// "up to date"). A line replaced by another of the same size is a change
/// too, also the line the API cut, when it differs in the part the API
/// sent (a review: only the complete lines were compared). A line appended
/// is none: no warning, the ETag kept (a size alone told these the other
/// way round).
#[test]
fn a_gist_changed_between_the_api_and_the_clone_keeps_the_api_lines_and_no_etag() {
    let api_revision = file_of(&[INIT, &event(1), &event(2), &event(3)]);
    for (newest, warned) in [
        (file_of(&[&event(9)]), true),
        (file_of(&[INIT, &event(1), &event(7), &event(3)]), true),
        (file_of(&[INIT, &event(1), &event(2), &event(5)]), true),
        (
            file_of(&[INIT, &event(1), &event(2), &event(3), &event(4)]),
            false,
        ),
    ] {
        let repo = GistRepo::new();
        repo.commit(&api_revision);
        repo.commit(&newest);
        let bare = repo.bare();
        // The API's content stops inside event 3: events 1 and 2 are whole.
        let partial = &api_revision[..api_revision.len() - 40];

        let (work, run) = fetch_through_the_clone(
            partial,
            api_revision.len(),
            bare.to_str().unwrap(),
            Value::Null,
            &[],
        );

        assert_eq!(run.code, 0, "{}", run.stderr);
        let warning = format!(
            "warning: the clone's newest revision is not the one the API described (the gist \
             changed in between, or the clone lags behind the API; the API's revision of {FILE} \
             had {} bytes, the clone's newest has {}): the API's complete \
             lines were kept too, lines only the API's revision held may be missing; fetch \
             again, or fetch --history to read every revision\n",
            api_revision.len(),
            newest.len()
        );
        let noted = "raw_url failed: HTTP 404; cloning the gist with git instead\n";
        let expected = noted.to_owned() + if warned { &warning } else { "" };
        assert_eq!(run.stderr, expected);
        assert_eq!(work.etag_file().exists(), !warned);
        // The API's whole lines first when it changed, then the newest's.
        let mut held: Vec<String> = if warned {
            vec![INIT.into(), event(1), event(2)]
        } else {
            Vec::new()
        };
        for line in newest.lines() {
            if !held.iter().any(|h| h == line) {
                held.push(line.to_owned());
            }
        }
        let held: Vec<&str> = held.iter().map(String::as_str).collect();
        assert_eq!(work.archive_text(), file_of(&held));
    }
}

/// The API may cut its content inside a character, which its JSON then
/// holds as U+FFFD, and bytes that are not UTF-8 come as U+FFFD too: the
/// clone's file, whose bytes there are the whole character or the raw
/// bytes, is still the API's revision (no warning, the ETag kept; reviews
/// of the check that compares the cut line's start too). Without a
/// version (the newest is the API's) and with one (read beside another
/// newest: the cut line must not be lost).
#[test]
fn a_character_the_api_cut_or_could_not_hold_does_not_make_the_clone_another_revision() {
    let cut_char = {
        let last = event(2).replace("\"Linux\"", "\"Lin\u{fc}x\"");
        let file = file_of(&[INIT, &event(1), &last]).into_bytes();
        let at = file.iter().position(|&b| b == 0xc3).unwrap();
        (
            file.clone(),
            format!("{}\u{fffd}", std::str::from_utf8(&file[..at]).unwrap()),
        )
    };
    // Bytes that are not UTF-8 in line `at` (2: the line the API cuts).
    let raw_bytes = |at: usize| {
        let odd = event(at).replace("\"Linux\"", "\"Lin\u{1}\u{1}x\"");
        let lines = [INIT.to_owned(), event(1), event(2)];
        let mut lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        lines[at] = &odd;
        let mut file = file_of(&lines).into_bytes();
        for b in file.iter_mut().filter(|b| **b == 1) {
            *b = 0xff;
        }
        let cut = file.len() - 20;
        let lossy = String::from_utf8_lossy(&file[..cut]).into_owned();
        (file, lossy)
    };
    for (case, (api_revision, partial)) in [
        ("cut", cut_char),
        ("raw in the cut line", raw_bytes(2)),
        ("raw in a complete line", raw_bytes(1)),
    ] {
        for versioned in [false, true] {
            let repo = GistRepo::new();
            repo.commit_bytes(&api_revision);
            let history = if versioned {
                let version = commit_of(&repo, "HEAD");
                repo.commit(&file_of(&[&event(9)]));
                json!([{ "version": version }])
            } else {
                Value::Null
            };
            let (work, run) = fetch_through_the_clone(
                &partial,
                api_revision.len(),
                &format!("file://{}", repo.bare().display()),
                history,
                &[],
            );
            assert_eq!(run.code, 0, "{case} {versioned}: {}", run.stderr);
            assert_eq!(
                run.stderr, "raw_url failed: HTTP 404; cloning the gist with git instead\n",
                "{case} {versioned}"
            );
            assert!(work.etag_file().exists(), "{case} {versioned}");
            let mut held = api_revision.clone();
            if versioned {
                held.extend_from_slice(file_of(&[&event(9)]).as_bytes());
            }
            assert_eq!(
                fs::read(work.archive()).unwrap(),
                held,
                "{case} {versioned}"
            );
        }
    }
    // A client's real U+FFFD early in the line the API cut is text like
    // any other: a revision of the same size whose line differs past it
    // is not the API's (a review: comparing only up to the first U+FFFD
    // took it for the API's, and its line was lost with the ETag kept).
    let last = |n: usize| event(n).replacen("scan", "s\u{fffd}an", 1);
    let api_revision = file_of(&[INIT, &event(1), &last(2)]);
    let other = file_of(&[INIT, &event(1), &last(3)]);
    assert_eq!(api_revision.len(), other.len());
    for args in [&[][..], &["--history"][..]] {
        let repo = GistRepo::new();
        repo.commit(&other);
        let (work, run) = fetch_through_the_clone(
            &api_revision[..api_revision.len() - 10],
            api_revision.len(),
            &format!("file://{}", repo.bare().display()),
            Value::Null,
            args,
        );
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("warning: "), "{args:?}: {}", run.stderr);
        assert!(!work.etag_file().exists(), "{args:?}");
    }
}

/// A line with bytes that are not UTF-8 comes in the API's JSON with
/// U+FFFD in their place: when the API's complete lines are kept (the
/// clone's newest is another revision), that copy is not archived beside
/// the clone's real line, also under --history, whose walk read it (a
/// review: the line was archived twice, an event counted twice).
#[test]
fn the_apis_copy_of_a_line_that_is_not_utf8_is_not_archived_beside_it() {
    let odd = {
        let mut line = event(1).replace("\"Linux\"", "\"Lin\u{1}x\"").into_bytes();
        for b in line.iter_mut().filter(|b| **b == 1) {
            *b = 0xff;
        }
        line
    };
    let file = |last: usize| {
        let mut file = format!("{INIT}\n").into_bytes();
        file.extend_from_slice(&odd);
        file.push(b'\n');
        file.extend_from_slice(file_of(&[&event(2), &event(last)]).as_bytes());
        file
    };
    let (api_revision, newest) = (file(3), file(5));
    let partial = String::from_utf8_lossy(&api_revision[..api_revision.len() - 40]).into_owned();
    for args in [&[][..], &["--history"][..]] {
        let repo = GistRepo::new();
        repo.commit_bytes(&api_revision);
        repo.commit_bytes(&newest);
        let (work, run) = fetch_through_the_clone(
            &partial,
            api_revision.len(),
            &format!("file://{}", repo.bare().display()),
            Value::Null,
            args,
        );
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let archived = fs::read(work.archive()).unwrap();
        let lines: Vec<&[u8]> = archived
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(
            lines.iter().filter(|l| **l == odd.as_slice()).count(),
            1,
            "{args:?}"
        );
        assert!(
            !archived.windows(3).any(|w| w == "\u{fffd}".as_bytes()),
            "{args:?}: {}",
            String::from_utf8_lossy(&archived)
        );
        // Without --history, event 3 (cut by the API) is in no revision
        // read: the warning says lines may be missing. With it, the walk
        // read every revision: all five lines.
        assert_eq!(lines.len(), if args.is_empty() { 4 } else { 5 }, "{args:?}");
        assert_eq!(
            run.stderr.contains("warning"),
            args.is_empty(),
            "{}",
            run.stderr
        );
    }
    // No revision of the clone has the file, and the archive holds the
    // real line from an earlier fetch: the API's copy is not archived
    // either (the merge with the API's lines added it back).
    let repo = GistRepo::new();
    repo.commit_file("other.jsonl", &file_of(&[INIT]));
    let work = Work::new();
    fs::create_dir_all(work.path().join("data")).unwrap();
    let mut held = format!("{INIT}\n").into_bytes();
    held.extend_from_slice(&odd);
    held.push(b'\n');
    fs::write(work.archive(), &held).unwrap();
    let (work, run) = fetch_through_the_clone_into(
        work,
        &partial,
        api_revision.len(),
        &format!("file://{}", repo.bare().display()),
        json!([{"version": "2".repeat(40)}]),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    held.extend_from_slice(file_of(&[&event(2)]).as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&fs::read(work.archive()).unwrap()),
        String::from_utf8_lossy(&held)
    );
}

/// The same race when the API names its revision (`history[0].version`,
/// as GitHub's does): that commit's file is read from the clone beside the
/// newest, fetched by its id when the clone is shallow (a `file://` URL is
/// cloned shallow, as GitHub's are), so no line is missing: no warning, the
/// ETag kept. A version the clone cannot read leaves the warning, and so
/// does one that is not the revision the API's file describes (here an
/// older one: its size and lines say so; a review: a line whole in the
/// API's content was lost, and the ETag kept).
#[test]
fn a_gist_changed_between_the_api_and_the_clone_is_read_at_the_api_revision_too() {
    let api_revision = file_of(&[INIT, &event(1), &event(2), &event(3)]);
    let newest = file_of(&[&event(9)]);
    for (shallow, rev) in [
        (false, Some("HEAD~1")),
        (true, Some("HEAD~1")),
        (true, None),
        (true, Some("HEAD~2")),
    ] {
        let repo = GistRepo::new();
        repo.commit(&file_of(&[INIT, &event(1)]));
        repo.commit(&api_revision);
        repo.commit(&newest);
        let bare = repo.bare();
        let known = rev == Some("HEAD~1");
        let version = rev.map_or("0".repeat(40), |rev| commit_of(&repo, rev));
        let pull_url = if shallow {
            format!("file://{}", bare.display())
        } else {
            bare.display().to_string()
        };
        let partial = &api_revision[..api_revision.len() - 40];
        let history = json!([
            {"version": version, "committed_at": "2025-11-19T14:33:00Z"},
            {"version": "1".repeat(40), "committed_at": "2025-11-19T14:32:00Z"},
        ]);

        let (work, run) =
            fetch_through_the_clone(partial, api_revision.len(), &pull_url, history, &[]);

        assert_eq!(run.code, 0, "{}", run.stderr);
        let noted = "raw_url failed: HTTP 404; cloning the gist with git instead\n";
        if known {
            assert_eq!(run.stderr, noted, "shallow: {shallow}, {rev:?}");
            assert!(work.etag_file().exists());
            assert_eq!(
                work.archive_text(),
                file_of(&[INIT, &event(1), &event(2), &event(3), &event(9)])
            );
        } else {
            assert!(run.stderr.starts_with(noted), "{}", run.stderr);
            assert!(
                run.stderr.contains(
                    "warning: the clone's newest revision is not the one the API described"
                ),
                "{}",
                run.stderr
            );
            assert!(!work.etag_file().exists());
            assert_eq!(
                work.archive_text(),
                file_of(&[INIT, &event(1), &event(2), &event(9)])
            );
        }
    }
}

/// A clone that lags behind the API's answer (its history lacks the
/// revision the API described) under --history: the API's complete lines
/// are kept, a warning says the clone lags, and the ETag goes (a review:
/// the walk read only the clone's revisions, a line whole in the API's
/// answer was lost, and the ETag kept, so the next fetch said up to date).
#[test]
fn a_clone_lagging_behind_the_api_loses_no_line_under_history() {
    let api_revision = file_of(&[INIT, &event(1), &event(2), &event(3)]);
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT, &event(1)]));
    let bare = repo.bare();
    let partial = &api_revision[..api_revision.len() - 40];
    let url = format!("file://{}", bare.display());
    let version = json!([{"version": "2".repeat(40)}]);
    let (work, run) = fetch_through_the_clone(
        partial,
        api_revision.len(),
        &url,
        version.clone(),
        &["--history"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lags = "(the clone lags behind the API): lines after the part the API sent may be \
                missing; fetch again\n";
    assert!(
        run.stderr.contains(&format!(
            "warning: the gist's git history lacks 1 line of the API's answer for {FILE} (kept \
             from it) {lags}"
        )),
        "{}",
        run.stderr
    );
    let held = file_of(&[INIT, &event(1), &event(2)]);
    assert_eq!(work.archive_text(), held);
    assert!(!work.etag_file().exists());
    assert!(
        run.stdout.contains(", 0 recovered from earlier revisions,"),
        "{}",
        run.stdout
    );
    // Again, the API's complete lines held already: still said (a review:
    // nothing was), the ETag still not kept.
    let (work, run) = fetch_through_the_clone_into(
        work,
        partial,
        api_revision.len(),
        &url,
        version,
        &["--history"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "warning: the gist's git history lacks the revision of {FILE} the API described {lags}"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(work.archive_text(), held);
    assert!(!work.etag_file().exists());
}

/// A file new in the API's revision, through a clone that lags behind it
/// (the clone's newest revision lacks the file, and the API's revision
/// cannot be fetched): the API's complete lines are kept, with --history
/// and without, a warning says lines may be missing, and no ETag is kept (a
/// review: the fetch failed, told to check --file, until the clone caught
/// up). Only part of the gist is known then: no line the archive held is
/// said to be missing from it, and the API's lines are not "recovered from
/// earlier revisions" (a review of that change). With no complete line in
/// the API's answer (a blank one is none), it fails, saying the clone lags
/// rather than blaming --file.
#[test]
fn a_file_the_clones_newest_revision_lacks_keeps_the_apis_complete_lines() {
    let api_revision = file_of(&[INIT, &event(1), &event(2)]);
    let repo = GistRepo::new();
    repo.commit_file("other.jsonl", &file_of(&[INIT]));
    let url = format!("file://{}", repo.bare().display());
    let version = json!([{"version": "2".repeat(40)}]);
    let partial = &api_revision[..file_of(&[INIT, &event(1)]).len() + 10];
    let lags = "(the clone lags behind the API): lines after the part the API sent may be \
                missing; fetch again\n";
    let without = format!(
        "warning: the clone has no file \"{FILE}\", neither in its newest revision nor in the \
         one the API described (a client renamed or removed it after the API's answer, or the \
         clone lags behind the API): the API's complete lines were kept (1 new line); lines \
         after the part the API sent may be missing; fetch again. If it was renamed, the next \
         fetch will not find it: give --file the new name, or fetch --history to read it from \
         the gist's git history\n"
    );
    let with = format!(
        "warning: the gist's git history lacks 1 line of the API's answer for {FILE} (kept \
         from it) {lags}"
    );
    for (args, told, source) in [
        (
            &[][..],
            &without,
            "via the api's partial content: 1 new line,",
        ),
        (
            &["--history"][..],
            &with,
            "via the api's partial content + git history (0 revisions): 1 new line, 0 \
             recovered",
        ),
    ] {
        // The archive holds a line the API's part lacks, which may well be
        // past the part the API sent.
        let work = Work::new();
        fs::create_dir_all(work.path().join("data")).unwrap();
        fs::write(work.archive(), file_of(&[INIT, &event(7)])).unwrap();
        let (work, run) = fetch_through_the_clone_into(
            work,
            partial,
            api_revision.len(),
            &url,
            version.clone(),
            args,
        );
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(told.as_str()),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.matches("warning").count(), 1, "{}", run.stderr);
        assert!(!run.stderr.contains("already held"), "{}", run.stderr);
        assert!(run.stdout.contains(source), "{args:?}: {}", run.stdout);
        assert_eq!(
            work.archive_text(),
            file_of(&[INIT, &event(7), &event(1)]),
            "{args:?}"
        );
        assert!(!work.etag_file().exists(), "{args:?}");
    }
    // Not one complete line (a blank one is none): nothing to keep, and
    // the error says why.
    let blank_first = file_of(&["", INIT, &event(1)]);
    for (partial, size) in [
        (&api_revision[..INIT.len() - 5], api_revision.len()),
        (&blank_first[..10], blank_first.len()),
    ] {
        for args in [&[][..], &["--history"][..]] {
            let (work, run) = fetch_through_the_clone(partial, size, &url, version.clone(), args);
            assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
            assert!(
                run.stderr.contains(&format!(
                    "the gist's git repository has no file \"{FILE}\" in its newest revision, \
                     though the API's answer lists it, and the revision the API described \
                     could not be read from it (a client renamed or removed the file after the \
                     answer, or the clone lags behind the API): fetch again; if it was renamed, \
                     give --file the new name{}\n",
                    if args.is_empty() {
                        ", or fetch --history to read it from earlier revisions"
                    } else {
                        ""
                    }
                )),
                "{args:?}: {}",
                run.stderr
            );
            assert!(!run.stderr.contains("check --file"), "{}", run.stderr);
            assert!(!work.archive().exists(), "{args:?}");
        }
    }
}

/// A file renamed after the API's answer, which names no revision, under
/// --history: the lines the history walk adds that the API's part holds
/// are not counted as recovered from earlier revisions (a review: every
/// line the walk added was), nor any the archive held said to be missing
/// from the gist; a revision of the API's size whose last line is not the
/// one the API cut is not taken for the API's.
#[test]
fn a_renamed_file_read_from_the_history_counts_only_what_the_api_lacked_as_recovered() {
    let older = file_of(&[INIT, &event(1), &event(3)]);
    let repo = GistRepo::new();
    repo.commit(&older);
    repo.git(&["mv", FILE, "renamed.jsonl"], &repo.work());
    repo.git(&["commit", "-q", "-m", "rename"], &repo.work());
    let api_revision = file_of(&[INIT, &event(1), &event(2)]);
    let partial = &api_revision[..api_revision.len() - 10];
    let work = Work::new();
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.archive(), file_of(&[INIT])).unwrap();
    let (work, run) = fetch_through_the_clone_into(
        work,
        partial,
        api_revision.len(),
        &format!("file://{}", repo.bare().display()),
        Value::Null,
        &["--history"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "via the api's partial content + git history (1 revision): 2 new lines, 1 \
             recovered from earlier revisions, 3 lines"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("already held"), "{}", run.stderr);
    // The revision the walk read has the API's size and complete lines,
    // but not the start of the line the API cut: not the API's revision
    // (a review: it passed for it, and the ETag was kept).
    assert!(
        run.stderr.contains(&format!(
            "warning: the gist's git history lacks the revision of {FILE} the API described \
             (the clone lags behind the API)"
        )),
        "{}",
        run.stderr
    );
    assert!(!work.etag_file().exists());
    assert_eq!(work.archive_text(), file_of(&[INIT, &event(1), &event(3)]));
}

/// An ETag sidecar that cannot be written or removed (a loop of links, a
/// directory) is said, and the fetch, whose archive is saved, succeeds (a
/// review: every fetch failed at it, after saving the archive); one that is
/// a link to the archive is not written over it (a review: every line was
/// replaced by the sidecar's JSON).
#[test]
fn a_sidecar_that_cannot_be_written_does_not_fail_the_fetch_nor_replace_the_archive() {
    let content = file_of(&[INIT, &event(1)]);
    let lines = file_of(&[&event(8)]);
    for (case, etag) in [
        ("loop", true),
        ("directory", false),
        ("the archive", true),
        ("lines", true),
        ("lines", false),
        ("read-only", true),
        // Not removed either when the answer has no ETag (a review).
        ("read-only", false),
        // Nor one no rename may replace (`chattr +i`), said as such.
        ("immutable", true),
        ("immutable", false),
    ] {
        let mut server = Server::new();
        let mock = match etag {
            true => ok_gist(&mut server, &whole_gist(&content), "\"v1\""),
            false => gist_mock(&mut server)
                .with_status(200)
                .with_body(whole_gist(&content))
                .create(),
        };
        let work = Work::new();
        fs::create_dir_all(work.path().join("data")).unwrap();
        let told = match case {
            "loop" => {
                std::os::unix::fs::symlink("events.jsonl.etag", work.etag_file()).unwrap();
                "could not update data/events.jsonl.etag (too many levels of symbolic links (a \
                 loop?)): the archive is saved"
            }
            "directory" => {
                fs::create_dir(work.etag_file()).unwrap();
                "could not update data/events.jsonl.etag ("
            }
            // A file of the user's under that name is neither replaced nor
            // removed (a review: its lines were replaced by the record).
            // Made read-only by its user: left so, as a shell's `>` does.
            "read-only" => {
                let record = r#"{"gist_id": "other", "file": "events.jsonl", "etag": "\"v0\""}"#;
                fs::write(work.etag_file(), record).unwrap();
                let read_only = std::os::unix::fs::PermissionsExt::from_mode(0o444);
                fs::set_permissions(work.etag_file(), read_only).unwrap();
                "could not update data/events.jsonl.etag (it is read-only: make it writable for \
                 this user, or remove it): the archive is saved"
            }
            "immutable" => {
                fs::write(work.etag_file(), r#"{"etag": "\"v0\""}"#).unwrap();
                // Root may set it on this file system (tests run as root here).
                if !chattr("+i", &work.etag_file()) {
                    eprintln!("chattr +i is not available here: skipped");
                    continue;
                }
                "could not update data/events.jsonl.etag (data/events.jsonl.etag is immutable or \
                 append-only (chattr +i or +a)): the archive is saved"
            }
            "lines" => {
                fs::write(work.etag_file(), &lines).unwrap();
                "data/events.jsonl.etag holds something other than fetch's ETag record: it is \
                 left as it is and no ETag is kept; move it elsewhere for fetch to keep one there"
            }
            _ => {
                fs::write(work.archive(), file_of(&[&event(7)])).unwrap();
                std::os::unix::fs::symlink("events.jsonl", work.etag_file()).unwrap();
                "data/events.jsonl.etag is the archive itself (a link to it): no ETag is kept; \
                 remove the link"
            }
        };

        let run = work.fetch(&server.url(), &[]);
        if case == "immutable" {
            assert!(chattr("-i", &work.etag_file()));
            assert_eq!(
                fs::read_to_string(work.etag_file()).unwrap(),
                r#"{"etag": "\"v0\""}"#
            );
        }

        mock.assert();
        assert_eq!(run.code, 0, "{case}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("warning: {told}")),
            "{case}: {}",
            run.stderr
        );
        let want = if case == "the archive" {
            file_of(&[&event(7), INIT, &event(1)])
        } else {
            content.clone()
        };
        assert_eq!(work.archive_text(), want, "{case}");
        if case == "lines" {
            assert_eq!(fs::read_to_string(work.etag_file()).unwrap(), lines);
        }
        if case == "read-only" {
            assert!(
                fs::read_to_string(work.etag_file())
                    .unwrap()
                    .contains("\"other\"")
            );
        }
    }
}

/// An archive its user made read-only is left so, as a shell's `>` leaves
/// a read-only file, before anything is downloaded (a review: it was
/// replaced, its mode kept); a link to it too. An immutable one (`chattr
/// +i`, which also makes it unwritable) is told as such, not as read-only
/// (which no chmod would mend).
#[test]
fn a_read_only_archive_is_left_as_it_is_and_nothing_downloaded() {
    use std::os::unix::fs::PermissionsExt;
    let read_only = "data/events.jsonl is read-only: it is left as it is; make it writable for \
                     this user, or choose another path with -o/--output";
    for case in [
        "read-only",
        "a link to it",
        "immutable",
        "another user's link",
    ] {
        let mut server = Server::new();
        let mock = ok_gist(
            &mut server,
            &whole_gist(&file_of(&[INIT, &event(1)])),
            "\"v1\"",
        )
        .expect(0);
        let work = Work::new();
        fs::create_dir_all(work.path().join("data")).unwrap();
        let old = file_of(&[&event(7)]);
        let file = match case {
            "a link to it" => {
                std::os::unix::fs::symlink("kept.jsonl", work.archive()).unwrap();
                work.path().join("data/kept.jsonl")
            }
            // Made by another user in a sticky directory anyone may write
            // in: not followed, as the kernel's protected_symlinks does not
            // follow it (root may give a link away; tests run as root here).
            "another user's link" => {
                std::os::unix::fs::symlink("../kept.jsonl", work.archive()).unwrap();
                if std::os::unix::fs::lchown(work.archive(), Some(65534), Some(65534)).is_err() {
                    eprintln!("not root: the case of another user's link skipped");
                    continue;
                }
                let data = work.path().join("data");
                fs::set_permissions(&data, fs::Permissions::from_mode(0o1777)).unwrap();
                work.path().join("kept.jsonl")
            }
            _ => work.archive(),
        };
        fs::write(&file, &old).unwrap();
        let (mode, told) = match case {
            // Root may set it on this file system (tests run as root here).
            "immutable" if !chattr("+i", &file) => {
                eprintln!("chattr +i is not available here: skipped");
                continue;
            }
            "another user's link" => (
                0o644,
                "data/events.jsonl cannot be replaced: data/events.jsonl is a symbolic link \
                 another user made in a sticky directory anyone may write in, which is not \
                 followed (as the kernel's protected_symlinks does not); it is left as it is; \
                 choose another path with -o/--output",
            ),
            "immutable" => (
                0o644,
                "data/events.jsonl cannot be replaced: data/events.jsonl is immutable or \
                 append-only (chattr +i or +a); it is left as it is; choose another path with \
                 -o/--output",
            ),
            _ => {
                fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
                (0o444, read_only)
            }
        };

        let run = work.fetch(&server.url(), &[]);
        if case == "immutable" {
            assert!(chattr("-i", &file));
        }

        mock.assert();
        assert_eq!(run.code, 1, "{case}: {}", run.stderr);
        assert_eq!(run.stderr, error_line(told), "{case}");
        assert_eq!(fs::read_to_string(&file).unwrap(), old);
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            mode
        );
        assert!(!work.etag_file().exists());
    }
}

/// A file system out of inodes, where the temporary copy cannot be made,
/// names the archive, not the hidden temporary file (a review: `… at path
/// "data/.events.jsonl.XXXXXX.tmp"`, a name the user never gave).
#[test]
fn a_file_system_out_of_inodes_names_the_archive() {
    let old = file_of(&[&event(1)]);
    let work = Work::new();
    // Its root, the archive and its lock file take the three inodes.
    let Some(_mount) = Tmpfs::mount(&work.path().join("data"), "64k,nr_inodes=3") else {
        eprintln!("mount is not available here: skipped");
        return;
    };
    fs::write(work.archive(), &old).unwrap();
    let mut server = Server::new();
    let mock = gist_mock(&mut server)
        .with_status(200)
        .with_body(whole_gist(&file_of(&[&event(1), &event(2)])))
        .create();
    let run = work.fetch(&server.url(), &[]);
    mock.assert();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        error_line(
            "cannot write data/events.jsonl: No space left on device (os error 28); the \
             previous file, if any, is unchanged. Free some space on its file system (or raise \
             the quota), or choose another path with -o/--output"
        )
    );
    assert_eq!(fs::read_to_string(work.archive()).unwrap(), old);
}

/// A full disk and a read-only file system are said as what they are, not
/// as a directory to make writable (a review: "No space left on device",
/// then "check that its directory exists and is writable"; "make it
/// writable for this user" of a read-only mount); the archive stays as it
/// was.
#[test]
fn a_full_disk_and_a_read_only_file_system_are_said_so() {
    let old = file_of(&[&event(1)]);
    for case in ["full", "read-only"] {
        let work = Work::new();
        let Some(mount) = Tmpfs::mount(&work.path().join("data"), "64k") else {
            eprintln!("mount is not available here: skipped");
            return;
        };
        fs::write(work.archive(), &old).unwrap();
        let lines: Vec<String> = (0..2000).map(event).collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        // Nothing is asked of a read-only one, nor a lock file made there.
        let (told, asked, left) = if case == "full" {
            (
                "cannot write data/events.jsonl: No space left on device (os error 28); the \
                 previous file, if any, is unchanged. Free some space on its file system (or \
                 raise the quota), or choose another path with -o/--output",
                1,
                &["events.jsonl", "events.jsonl.lock"][..],
            )
        } else {
            mount.remount_read_only();
            (
                "data/events.jsonl cannot be replaced: data is on a file system mounted \
                 read-only; it is left as it is; choose another path with -o/--output",
                0,
                &["events.jsonl"][..],
            )
        };
        let mut server = Server::new();
        let mock = gist_mock(&mut server)
            .with_status(200)
            .with_body(whole_gist(&file_of(&lines)))
            .expect(asked)
            .create();
        let run = work.fetch(&server.url(), &[]);
        mock.assert();
        assert_eq!(run.code, 1, "{case}: {}", run.stderr);
        assert_eq!(run.stderr, error_line(told), "{case}");
        assert_eq!(fs::read_to_string(work.archive()).unwrap(), old, "{case}");
        let mut names: Vec<_> = fs::read_dir(work.path().join("data"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, left, "{case}");
        // A new archive there: its lock file cannot be made, said as why.
        if case == "read-only" {
            let run = work.fetch(&server.url(), &["-o", "data/sub/new.jsonl"]);
            assert_eq!(run.code, 1, "{}", run.stderr);
            assert_eq!(
                run.stderr,
                error_line(
                    "cannot lock data/sub/new.jsonl.lock (which keeps two fetches from writing \
                     data/sub/new.jsonl at once): Read-only file system (os error 30); its file \
                     system is mounted read-only: remount it, or choose another path with \
                     -o/--output"
                )
            );
        }
    }
}

/// Runs `chattr FLAG PATH`; whether it did.
fn chattr(flag: &str, path: &Path) -> bool {
    StdCommand::new("chattr")
        .arg(flag)
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// The commit id of `rev` in `repo`'s work tree.
fn commit_of(repo: &GistRepo, rev: &str) -> String {
    let out = StdCommand::new("git")
        .args(["rev-parse", rev])
        .current_dir(repo.work())
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A client renamed the file between the API's answer and the clone: the
/// API's revision still has it (a review: the fetch failed, told to check
/// --file), with --history too, which also reads it from the history when
/// the API names no revision. One warning says so, and what the next fetch
/// needs (nothing did: it failed unexplained). A version that is not the
/// API's revision (an older one) warns of missing lines in that one
/// warning, without "fetch again" (the next fetch will not find the file;
/// a review: two warnings contradicted each other).
#[test]
fn a_file_renamed_after_the_api_answer_is_read_at_the_api_revision() {
    let older = file_of(&[INIT, &event(1)]);
    let api_revision = file_of(&[INIT, &event(1), &event(2)]);
    let repo = GistRepo::new();
    repo.commit(&older);
    repo.commit(&api_revision);
    let version = commit_of(&repo, "HEAD");
    let older_version = commit_of(&repo, "HEAD~1");
    repo.git(&["mv", FILE, "renamed.jsonl"], &repo.work());
    repo.git(&["commit", "-q", "-m", "rename"], &repo.work());
    let bare = repo.bare();
    let lacks = format!(
        "warning: the clone's newest revision has no file \"{FILE}\" (a client renamed or \
         removed it after the API's answer, or the clone lags behind the API); "
    );
    let next = "read at the revision the API described. If it was renamed, the next fetch \
                will not find it: give --file the new name, or fetch --history to read it from \
                the gist's git history\n";
    let not_the_apis = format!(
        "it was read at the revision the API's history names, which is not the one the API \
         described ({} bytes there, {} here): lines only the API's revision held may be \
         missing. If it was renamed, the next fetch will not find it: give --file the new name, \
         or fetch --history to read every revision\n",
        api_revision.len(),
        older.len()
    );
    let with_history = "read at the revision the API described and from the git history\n";
    let older_with_history = "it was read at the revision the API's history names (not the \
                              one the API described) and from the git history\n";
    // The ETag is kept only where the API's revision was read whole (by
    // the history walk too).
    for (history, args, told, archived, etag) in [
        (
            json!([{"version": version}]),
            &[][..],
            Some(next),
            &api_revision,
            true,
        ),
        (
            json!([{"version": version}]),
            &["--history"],
            Some(with_history),
            &api_revision,
            true,
        ),
        (Value::Null, &["--history"], None, &api_revision, true),
        (
            json!([{"version": older_version}]),
            &[],
            Some(not_the_apis.as_str()),
            &older,
            false,
        ),
        (
            json!([{"version": older_version}]),
            &["--history"],
            Some(older_with_history),
            &api_revision,
            true,
        ),
    ] {
        let partial = &api_revision[..api_revision.len() - 40];
        let (work, run) = fetch_through_the_clone(
            partial,
            api_revision.len(),
            &format!("file://{}", bare.display()),
            history.clone(),
            args,
        );
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let warnings = run.stderr.matches("warning").count();
        match told {
            Some(end) => {
                assert!(
                    run.stderr.contains(&format!("{lacks}{end}")),
                    "{args:?}: {}",
                    run.stderr
                );
                assert_eq!(warnings, 1, "{}", run.stderr);
            }
            None => assert_eq!(warnings, 0, "{}", run.stderr),
        }
        assert_eq!(&work.archive_text(), archived, "{args:?}");
        assert_eq!(work.etag_file().exists(), etag, "{args:?}");
    }
}

/// A raw_url answer with a Content-Encoding the client does not undo is
/// not the file: never archived (a review: gzip bytes were archived, and
/// the archive refused as compressed from then on).
#[test]
fn a_coded_or_compressed_raw_answer_is_never_archived() {
    let gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x01\x00\x00\xff\xff".to_vec();
    for coded in [true, false] {
        let mut server = Server::new();
        let raw_url = format!("{}/raw/file", server.url());
        // No size from the API: only a size check would have caught it.
        let mut file = cut_file("", 0, &raw_url);
        file.as_object_mut().unwrap().remove("size");
        let api = ok_gist(&mut server, &gist_body(&[(FILE, file)], None), "\"v1\"");
        let mut raw = server.mock("GET", "/raw/file").with_status(200);
        if coded {
            raw = raw.with_header("content-encoding", "gzip");
        }
        let raw = raw.with_body(&gzip).expect(1).create();
        let work = Work::new();

        let run = work.fetch(&server.url(), &[]);

        api.assert();
        raw.assert();
        assert_eq!(run.code, 1, "{}", run.stderr);
        let told = if coded {
            "Content-Encoding gzip, which fetch does not decode"
        } else {
            "as raw_url gave it, is gzip-compressed, not JSONL text: nothing was written"
        };
        assert!(run.stderr.contains(told), "{}", run.stderr);
        assert!(!work.archive().exists());
    }
}

#[test]
fn file_over_ten_megabytes_is_cloned_with_git() {
    let pad = format!(
        r#"{{"event": "pad", "x": "{}"}}"#,
        "a".repeat(11 * 1024 * 1024)
    );
    let content = file_of(&[INIT, &event(1), &pad]);
    let repo = GistRepo::new();
    repo.commit(&content);
    let bare = repo.bare();
    let mut server = Server::new();
    // Over 10 MiB: raw_url would not serve it, so it is not asked.
    let size = content.len();
    let raw = server.mock("GET", "/raw/huge").expect(0).create();
    let raw_url = format!("{}/raw/huge", server.url());
    let api = ok_gist(
        &mut server,
        &gist_body(
            &[(FILE, cut_file("", size, &raw_url))],
            Some(bare.to_str().unwrap()),
        ),
        "\"v1\"",
    );
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    api.assert();
    raw.assert();
    assert_eq!(
        run.stderr,
        format!(
            "jmo-telemetry-events.jsonl is {size} bytes, over the 10 MB that raw_url serves; \
             cloning the gist with git instead\n"
        )
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via git clone: 3 new lines, 3 lines in data/events.jsonl\n"
    );
    assert!(work.archive_text() == content);
}

#[test]
fn missing_git_is_reported_clearly() {
    let mut server = Server::new();
    let size = 11 * 1024 * 1024;
    let body = gist_body(
        &[(FILE, cut_file("", size, "http://127.0.0.1:9/raw"))],
        Some("https://gist.github.com/abc123.git"),
    );
    let api = ok_gist(&mut server, &body, "\"v1\"");
    let work = Work::new();
    let empty_path = work.path().join("empty-bin");
    fs::create_dir(&empty_path).unwrap();
    let mut cmd = work.cmd(&server.url(), &[]);
    cmd.env("PATH", &empty_path);

    let run = work.run(cmd);

    api.assert();
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "jmo-telemetry-events.jsonl is 11534336 bytes, over the 10 MB that raw_url serves; \
         cloning the gist with git instead\n"
            .to_owned()
            + &error_line(
                "the `git` program is needed to clone the gist for its whole file but was not \
                 found on PATH: install git (for example `apt-get install git` or \
                 https://git-scm.com) and run again"
            )
    );
    assert!(!work.archive().exists());
}

/// A directory holding a `git` that runs `script` (sh), for `PATH`.
#[cfg(unix)]
fn fake_git(work: &Work, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = work.path().join("fake-bin");
    fs::create_dir(&dir).unwrap();
    let git = dir.join("git");
    fs::write(&git, format!("#!/bin/sh\n{script}\n")).unwrap();
    fs::set_permissions(&git, fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `fetch` of a gist whose file is over the 10 MB raw_url serves, so git
/// clones it from the API's host and port, at `/abc123.git` with
/// `pull_scheme` (`https://`: git gets the token's header). git is a shell
/// `script` given the pull URL; `setup` adds to the command. Returns the
/// API's URL and the run.
#[cfg(unix)]
fn clone_with_fake_git(
    pull_scheme: &str,
    args: &[&str],
    script: impl FnOnce(&str) -> String,
    setup: impl FnOnce(&mut Command),
) -> (String, Run) {
    let mut server = Server::new();
    let pull = server.url().replace("http://", pull_scheme) + "/abc123.git";
    let body = gist_body(
        &[(
            FILE,
            cut_file("", 11 * 1024 * 1024, "http://127.0.0.1:9/raw"),
        )],
        Some(&pull),
    );
    let api = ok_gist(&mut server, &body, "\"v1\"");
    let work = Work::new();
    let bin_dir = fake_git(&work, &script(&pull));
    let mut cmd = work.cmd(&server.url(), args);
    cmd.env("PATH", &bin_dir);
    setup(&mut cmd);

    let run = work.run(cmd);

    api.assert();
    (server.url(), run)
}

#[cfg(unix)]
#[test]
fn git_is_run_untraced_and_its_errors_never_show_the_credential() {
    // A clone from the API's own host and port gets the token (as a basic
    // credential in a header). This git prints what tracing would, and the
    // header, and fails: as `GIT_CURL_VERBOSE=1 GIT_TRACE_REDACT=0` made
    // the real one print `Authorization: Basic …` (a review). (`Work::run`
    // checks that the token is in no output and no file.)
    let (_, run) = clone_with_fake_git(
        "https://",
        &[],
        |_| {
            "echo \"trace:${GIT_CURL_VERBOSE:-off}:${GIT_TRACE:-off}:${GIT_TRACE_CURL:-off}\" >&2\n\
             echo \"Send header: $GIT_CONFIG_VALUE_0\" >&2\nexit 128"
                .to_owned()
        },
        |cmd| {
            cmd.env("GIT_CURL_VERBOSE", "1")
                .env("GIT_TRACE", "1")
                .env("GIT_TRACE_CURL", "1")
                .env("GIT_TRACE_REDACT", "0");
        },
    );

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("trace:off:off:off"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Send header: Authorization: Basic ***"),
        "{}",
        run.stderr
    );
}

/// The configuration git is given: with the token's header, no redirect
/// followed (git sent the header on to wherever one led, plain http or
/// another host: a review); always, a transfer that receives nothing for
/// `--timeout` is given up (a review: a server that never answered held
/// `fetch` for ever). The user's own entries stay, before ours. This git
/// prints its `GIT_CONFIG_*` variables and fails.
#[cfg(unix)]
#[test]
fn git_follows_no_redirect_with_the_token_and_gives_up_after_the_timeout() {
    let cases = [
        // (pull URL's scheme, the user's own entries, what git is given)
        (
            "https://",
            false,
            "config: 4 http.https://127.0.0.1:PORT/.extraHeader=Authorization: Basic *** \
             http.followRedirects=false http.lowSpeedLimit=1 http.lowSpeedTime=7 end",
        ),
        (
            "http://",
            false,
            "config: 2 http.lowSpeedLimit=1 http.lowSpeedTime=7 end",
        ),
        (
            "https://",
            true,
            "config: 5 http.sslCAInfo=/etc/own-ca.pem \
             http.https://127.0.0.1:PORT/.extraHeader=Authorization: Basic *** \
             http.followRedirects=false http.lowSpeedLimit=1 http.lowSpeedTime=7 end",
        ),
    ];
    for (pull_scheme, own, expected) in cases {
        let (api, run) = clone_with_fake_git(
            pull_scheme,
            &["--timeout", "7"],
            |_| {
                "out=\"config: $GIT_CONFIG_COUNT\"\n\
                 for i in 0 1 2 3 4 5; do\n\
                   eval \"key=\\${GIT_CONFIG_KEY_$i-}\" \"value=\\${GIT_CONFIG_VALUE_$i-}\"\n\
                   [ -n \"$key\" ] && out=\"$out $key=$value\"\n\
                 done\n\
                 echo \"$out end\" >&2\nexit 128"
                    .to_owned()
            },
            |cmd| {
                for var in ["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"] {
                    cmd.env_remove(var);
                }
                if own {
                    cmd.env("GIT_CONFIG_COUNT", "1")
                        .env("GIT_CONFIG_KEY_0", "http.sslCAInfo")
                        .env("GIT_CONFIG_VALUE_0", "/etc/own-ca.pem");
                }
            },
        );

        assert_eq!(run.code, 1, "{}", run.stderr);
        let port = api.rsplit(':').next().unwrap().to_owned();
        assert!(
            run.stderr.contains(&expected.replace("PORT", &port)),
            "{}",
            run.stderr
        );
    }
}

/// A redirect git does not follow, since it sends the token, says so (a
/// review: git's "returned error: 302" alone); without the token git
/// follows redirects, and its message stands alone.
#[cfg(unix)]
#[test]
fn a_redirect_git_does_not_follow_says_why() {
    for (pull_scheme, with_token) in [("https://", true), ("http://", false)] {
        let (_, run) = clone_with_fake_git(
            pull_scheme,
            &[],
            |pull| {
                format!(
                    "echo \"fatal: unable to access '{pull}/': The requested URL returned \
                     error: 302\" >&2\nexit 128"
                )
            },
            |_| {},
        );

        assert_eq!(run.code, 1, "{}", run.stderr);
        let why = "returned error: 302 (git follows no redirect while it sends the token, which \
                   a redirect would take wherever it leads; with no token set, fetch clones \
                   without it and follows redirects)";
        assert_eq!(run.stderr.contains(why), with_token, "{}", run.stderr);
        assert!(run.stderr.contains("returned error: 302"), "{}", run.stderr);
    }
}

/// A git server that takes the connection and never answers: over HTTP
/// the clone is given up after `--timeout`, and `git://` or `ssh://`, which
/// git gives no such limit, are not read at all (reviews: `fetch
/// --history` waited for ever, holding the archive's lock, so every later
/// fetch failed too).
#[test]
fn a_git_server_that_never_answers_is_given_up_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        // Connections are held open, unanswered, until the test ends.
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            held.push(stream);
        }
    });
    for (scheme, says) in [
        ("http", "Operation too slow"),
        ("git", "transport 'git' not allowed"),
        ("ssh", "transport 'ssh' not allowed"),
    ] {
        let pull = format!("{scheme}://{addr}/abc123.git");
        let mut server = Server::new();
        let api = ok_gist(
            &mut server,
            &gist_body(&[(FILE, whole_file(&file_of(&[INIT])))], Some(&pull)),
            "\"v1\"",
        );
        let work = Work::new();
        fs::create_dir_all(work.path().join("data")).unwrap();
        fs::write(work.archive(), file_of(&["kept"])).unwrap();
        let mut command = StdCommand::new(assert_cmd::cargo::cargo_bin("jmo-analyze"));
        let stderr_path = work.path().join("stderr");
        command
            .current_dir(work.path())
            .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("GIT_ALLOW_PROTOCOL")
            .args(["fetch", "--gist-id", GIST, "--api-url", &server.url()])
            .args(["--history", "--timeout", "1", "--retries", "0"])
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr_path).unwrap());
        let mut child = command.spawn().unwrap();
        // Far longer than the timeout; a fetch still running then is a hang.
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("fetch of {pull} still running after 60 s with --timeout 1");
            }
            thread::sleep(Duration::from_millis(50));
        };
        let stderr = fs::read_to_string(&stderr_path).unwrap();

        api.assert();
        assert_eq!(status.code(), Some(1), "{stderr}");
        let clone = format!("--history could not read the gist's history: `git clone {pull}`");
        assert!(stderr.contains(&clone), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert_eq!(work.archive_text(), "kept\n");
    }
}

/// A plain-http API on this machine is reached without the proxy of
/// `http_proxy` or `all_proxy`: one may be another machine, and would read
/// the token, sent there in clear text (a review).
#[test]
fn a_proxy_never_sees_the_token_for_a_plain_http_api_on_this_machine() {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let (seen_tx, seen_rx) = mpsc::channel();
    thread::spawn(move || {
        for stream in proxy.incoming() {
            let Ok(mut stream) = stream else { break };
            let _ = seen_tx.send(());
            let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1)]);
    let api = ok_gist(&mut server, &whole_gist(&content), "\"v1\"");
    let work = Work::new();
    let mut cmd = work.cmd(&server.url(), &[]);
    for var in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
        cmd.env(var, &proxy_url);
    }
    cmd.env_remove("no_proxy").env_remove("NO_PROXY");

    let run = work.run(cmd);

    api.assert();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(work.archive_text(), content);
    assert!(seen_rx.try_recv().is_err(), "the proxy was asked");
}

#[test]
fn utf8_bom_and_crlf_in_the_remote_do_not_make_new_lines() {
    let mut server = Server::new();
    let work = Work::new();
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.archive(), file_of(&[INIT])).unwrap();
    let content = format!("\u{feff}{INIT}\r\n{}\r\n\r\n", event(1));
    ok_gist(&mut server, &whole_gist(&content), "\"v1\"");

    let run = work.fetch(&server.url(), &[]);

    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 2 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), file_of(&[INIT, &event(1)]));
}

// ------------------------------------------------------------------- errors

#[test]
fn unauthorized_names_the_variable_not_the_token() {
    let mut server = Server::new();
    let mock = gist_mock(&mut server)
        .with_status(401)
        .with_body(r#"{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}"#)
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    mock.assert();
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        error_line(
            "GitHub rejected the token from JMO_TELEMETRY_GITHUB_TOKEN (HTTP 401 Bad \
             credentials): it is expired, revoked or mistyped. Create a token with the `gist` \
             scope and put it in JMO_TELEMETRY_GITHUB_TOKEN, or unset it to read a secret gist \
             without a token"
        )
    );
    assert!(!work.archive().exists());
}

#[test]
fn not_found_says_what_to_check() {
    let mut server = Server::new();
    let mock = gist_mock(&mut server)
        .with_status(404)
        .with_body(r#"{"message": "Not Found"}"#)
        .expect(1)
        .create();

    assert_fetch_fails(
        &server,
        &mock,
        "gist not found: abc123 (HTTP 404): check --gist-id or JMO_TELEMETRY_GIST_ID; GitHub \
         also answers this when the token in JMO_TELEMETRY_GITHUB_TOKEN lacks the `gist` scope \
         or belongs to an account that cannot see the gist",
    );
}

#[test]
fn forbidden_without_rate_limit_is_an_access_problem() {
    let mut server = Server::new();
    let mock = gist_mock(&mut server)
        .with_status(403)
        .with_header("x-ratelimit-remaining", "4999")
        .expect(1)
        .create();

    assert_fetch_fails(
        &server,
        &mock,
        "GitHub refused access to gist abc123 (HTTP 403): check --gist-id or \
         JMO_TELEMETRY_GIST_ID; GitHub also answers this when the token in \
         JMO_TELEMETRY_GITHUB_TOKEN lacks the `gist` scope or belongs to an account that cannot \
         see the gist",
    );
}

#[test]
fn a_secondary_rate_limit_is_not_an_access_problem() {
    let mut server = Server::new();
    // As GitHub documents it: a 403 with requests left and no retry-after.
    let mock = gist_mock(&mut server)
        .with_status(403)
        .with_header("x-ratelimit-remaining", "4999")
        .with_body(
            r#"{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "documentation_url": "https://docs.github.com/rest"}"#,
        )
        .expect(1)
        .create();

    assert_fetch_fails(
        &server,
        &mock,
        "GitHub's API rate limit is exhausted (HTTP 403); it gives no time, and GitHub asks then \
         to wait at least 60 s, longer than --max-wait 3 s: wait that long and try again",
    );
}

#[test]
fn a_rate_limit_without_timing_headers_is_not_retried_sooner_than_github_asks() {
    let mut server = Server::new();
    // Requests used up, and no time given when they come back.
    let limited = gist_mock(&mut server)
        .with_status(429)
        .with_header("x-ratelimit-remaining", "0")
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    limited.assert();
    assert_eq!(
        run.stderr,
        error_line(
            "GitHub's API rate limit is exhausted (HTTP 429); it gives no time, and GitHub asks \
             then to wait at least 60 s, longer than --max-wait 3 s: wait that long and try again"
        )
    );
}

#[test]
fn a_secondary_rate_limit_on_the_raw_file_goes_to_the_clone_at_once() {
    let content = file_of(&[INIT, &event(1)]);
    let repo = GistRepo::new();
    repo.commit(&content);
    let bare = repo.bare();
    let mut server = Server::new();
    let raw_url = format!("{}/raw/abc123/{FILE}", server.url());
    let api = ok_gist(
        &mut server,
        &gist_body(
            &[(FILE, cut_file("", content.len(), &raw_url))],
            Some(bare.to_str().unwrap()),
        ),
        "\"v1\"",
    );
    let raw = server
        .mock("GET", format!("/raw/abc123/{FILE}").as_str())
        .with_status(403)
        .with_body(r#"{"message": "You have exceeded a secondary rate limit."}"#)
        .expect(1)
        .create();
    let work = Work::new();
    // A wait of a minute is allowed, but the clone needs none.
    let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
    cmd.current_dir(work.path())
        .env_remove("JMO_TELEMETRY_GIST_ID")
        .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
        .args(["fetch", "--gist-id", GIST, "--api-url", &server.url()])
        .args(["--max-wait", "60"]);
    let started = Instant::now();

    let run = work.run(cmd);

    api.assert();
    raw.assert();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "raw_url failed: rate limited (HTTP 403); cloning the gist with git instead\n"
    );
    assert_eq!(work.archive_text(), content);
}

#[test]
fn rate_limit_exhausted_prints_the_reset_time() {
    let mut server = Server::new();
    let reset = chrono::Utc::now().timestamp() + 3600;
    // Unauthenticated, as most rate-limited users are.
    let mock = server
        .mock("GET", "/gists/abc123")
        .match_header("authorization", Matcher::Missing)
        .with_status(403)
        .with_header("x-ratelimit-limit", "60")
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", &reset.to_string())
        .with_body(r#"{"message": "API rate limit exceeded"}"#)
        .expect(1)
        .create();
    let work = Work::new();
    let mut cmd = work.cmd(&server.url(), &[]);
    cmd.env_remove("JMO_TELEMETRY_GITHUB_TOKEN");

    let run = work.run(cmd);

    mock.assert();
    assert_eq!(run.code, 1);
    let when = chrono::DateTime::from_timestamp(reset, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S UTC");
    assert_eq!(
        run.stderr,
        "no token in JMO_TELEMETRY_GITHUB_TOKEN, GITHUB_TOKEN, GH_TOKEN: fetching without one \
         (a secret gist is readable by its ID; 60 requests an hour)\n"
            .to_owned()
            + &error_line(&format!(
                "GitHub's API rate limit is exhausted (HTTP 403); it resets at {when} (in 60 \
                 min), later than --max-wait 3 s: try again after that, or set \
                 JMO_TELEMETRY_GITHUB_TOKEN (an authenticated client may make 5,000 requests \
                 an hour instead of 60)"
            ))
    );
}

#[test]
fn too_many_requests_honours_retry_after() {
    let mut server = Server::new();
    let limited = gist_mock(&mut server)
        .with_status(429)
        .with_header("retry-after", "1")
        .expect(1)
        .create();
    let content = file_of(&[INIT]);
    let ok = ok_gist(&mut server, &whole_gist(&content), "\"v1\"");
    let work = Work::new();
    let started = Instant::now();

    let run = work.fetch(&server.url(), &[]);

    limited.assert();
    ok.assert();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        run.stderr,
        "rate limited (HTTP 429): waiting 1 s as GitHub asks (attempt 1 of 4)\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 1 line in data/events.jsonl\n"
    );
}

#[test]
fn retry_after_longer_than_max_wait_stops_at_once() {
    let mut server = Server::new();
    let limited = gist_mock(&mut server)
        .with_status(429)
        .with_header("retry-after", "120")
        .expect(1)
        .create();
    let work = Work::new();
    let started = Instant::now();

    let run = work.fetch(&server.url(), &[]);

    limited.assert();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        run.stderr,
        error_line(
            "GitHub's API rate limit is exhausted (HTTP 429); GitHub asks to retry after 2 min, \
             longer than --max-wait 3 s: try again after that"
        )
    );
}

#[test]
fn server_error_is_retried_then_succeeds() {
    let mut server = Server::new();
    let failing = gist_mock(&mut server).with_status(500).expect(1).create();
    let content = file_of(&[INIT, &event(1)]);
    let ok = ok_gist(&mut server, &whole_gist(&content), "\"v1\"");
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    failing.assert();
    ok.assert();
    assert_eq!(
        run.stderr,
        "the gist request failed (HTTP 500); retrying in 0.5 s (attempt 2 of 4)\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 2 new lines, 2 lines in data/events.jsonl\n"
    );
}

#[test]
fn a_server_error_that_says_when_to_come_back_is_believed() {
    let mut server = Server::new();
    let failing = gist_mock(&mut server)
        .with_status(503)
        .with_header("retry-after", "2")
        .expect(1)
        .create();
    let content = file_of(&[INIT, &event(1)]);
    let ok = ok_gist(&mut server, &whole_gist(&content), "\"v1\"");
    let work = Work::new();
    let started = Instant::now();

    let run = work.fetch(&server.url(), &[]);

    assert!(started.elapsed() >= Duration::from_secs(2));
    failing.assert();
    ok.assert();
    assert_eq!(
        run.stderr,
        "the gist request failed (HTTP 503); retrying in 2.0 s (attempt 2 of 4)\n"
    );
    assert_eq!(run.code, 0);
}

/// One that asks for longer than --max-wait stops at once, saying when to
/// come back, as a rate limit does (a review: a 503 asking for an hour was
/// asked again after 0.5 s).
#[test]
fn a_server_error_that_asks_for_longer_than_max_wait_stops_and_says_so() {
    let mut server = Server::new();
    let failing = gist_mock(&mut server)
        .with_status(503)
        .with_header("retry-after", "3600")
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    failing.assert();
    assert_eq!(
        run.stderr,
        error_line(
            "GitHub answered HTTP 503 to the gist request and asks (retry-after) to try again \
             in 60 min, longer than --max-wait 3 s: try again then, or raise --max-wait"
        )
    );
    assert!(!work.path().join("data/events.jsonl").exists());
}

#[test]
fn server_errors_stop_after_the_bounded_retries() {
    let mut server = Server::new();
    let failing = gist_mock(&mut server).with_status(502).expect(2).create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--retries", "1"]);

    failing.assert();
    assert_eq!(
        run.stderr,
        "the gist request failed (HTTP 502); retrying in 0.5 s (attempt 2 of 2)\n".to_owned()
            + &error_line(
                "GitHub answered HTTP 502 to the gist request on all 2 attempts: GitHub may be \
                 having trouble (see https://www.githubstatus.com); try again later or raise \
                 --retries"
            )
    );
}

#[test]
fn a_failure_unlike_the_ones_before_is_not_called_the_same_on_all_attempts() {
    let mut server = Server::new();
    let failing = gist_mock(&mut server).with_status(500).expect(1).create();
    let bad_gateway = gist_mock(&mut server).with_status(502).expect(1).create();
    let limited = gist_mock(&mut server)
        .with_status(429)
        .with_header("retry-after", "1")
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--retries", "2"]);

    failing.assert();
    bad_gateway.assert();
    limited.assert();
    assert_eq!(
        run.stderr,
        "the gist request failed (HTTP 500); retrying in 0.5 s (attempt 2 of 3)\n\
         the gist request failed (HTTP 502); retrying in 1.0 s (attempt 3 of 3)\n"
            .to_owned()
            + &error_line(
                "GitHub's API rate limit is exhausted (HTTP 429); GitHub asked to retry after \
                 1 s on the last of 3 attempts: try again after that"
            )
    );
}

#[test]
fn a_server_that_hangs_times_out_after_bounded_retries() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen_tx, seen_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let _ = seen_tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            held.push(stream); // never answer
        }
    });
    let work = Work::new();
    let api = format!("http://{addr}");
    let started = Instant::now();

    let run = work.fetch(&api, &["--timeout", "1", "--retries", "1"]);

    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    let requests: Vec<String> = seen_rx.try_iter().collect();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].starts_with("GET /gists/abc123 HTTP/1.1\r\n"));
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "the gist request failed (no answer within 1 s); retrying in 0.5 s (attempt 2 of 2)\n"
            .to_owned()
            + &error_line(&format!(
                "no answer from {api}/gists/abc123 within 1 s on all 2 attempts: check the \
                 network and --api-url, or raise --timeout"
            ))
    );
}

/// A server that answers, then sends half the body its length promises
/// and closes, or a chunk whose size is no number: said as an answer that
/// could not be read to its end, with the client's cause, not as a server
/// it cannot reach (a review), nor as "cut short" for the broken chunk (a
/// review), after the retries.
#[test]
fn an_answer_that_cannot_be_read_to_its_end_is_said_so() {
    for (body, cause) in [
        (
            "Content-Length: 1000\r\n\r\n{\"files\": {",
            "end of file before message length reached",
        ),
        (
            "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"fil\r\nzz\r\n",
            "Invalid chunk size line",
        ),
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
                let _ = stream.write_all(format!("{head}{body}").as_bytes());
            }
        });
        let work = Work::new();
        let api = format!("http://{addr}");

        let run = work.fetch(&api, &["--retries", "1"]);

        assert_eq!(run.code, 1, "{}", run.stderr);
        let error = run.stderr.lines().last().unwrap();
        let want =
            format!("Error: the answer from {api}/gists/abc123 could not be read to its end (");
        assert!(error.starts_with(&want), "{}", run.stderr);
        // The client's cause, not only its "request or response body error".
        assert!(error.contains(cause), "{error}");
        assert!(
            error.ends_with(
                ") on all 2 attempts: nothing was written; try again later, and check the \
                 network and any proxy on the way"
            ),
            "{}",
            run.stderr
        );
        assert!(
            (run.stderr).contains("failed (the answer could not be read to its end: "),
            "{}",
            run.stderr
        );
        assert!(!work.archive().exists());
    }
}

#[test]
fn a_server_that_sends_a_byte_now_and_then_is_given_up() {
    // Each byte comes within --timeout, so no single read times out; the
    // answer as a whole would take 28 hours.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                            Content-Length: 100000\r\n\r\n{";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                // 20 s at most, so that a regression fails instead of hanging.
                for _ in 0..80 {
                    thread::sleep(Duration::from_millis(250));
                    if stream.write_all(b" ").is_err() {
                        return;
                    }
                }
            });
        }
    });
    let work = Work::new();
    let api = format!("http://{addr}");
    let started = Instant::now();

    let run = work.fetch(&api, &["--timeout", "1", "--retries", "0"]);

    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        error_line(&format!(
            "the answer from {api}/gists/abc123 came slower than 4 KB/s on the only attempt \
             (--retries 0): check the network, or raise --timeout (1 s now), which a slow \
             answer is given first"
        ))
    );
    assert!(!work.archive().exists());
}

#[test]
fn a_body_that_is_not_json_is_reported() {
    let mut server = Server::new();
    let mock = gist_mock(&mut server)
        .with_status(200)
        .with_header("content-type", "text/html")
        .with_body("<html><body>Sign in</body></html>")
        .expect(1)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    mock.assert();
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        error_line(&format!(
            "the answer from {}/gists/abc123 is not a gist in JSON (expected value at line 1 \
             column 1): check that --api-url points at a GitHub API (https://api.github.com, or \
             https://HOST/api/v3 for GitHub Enterprise)",
            server.url()
        ))
    );
    assert!(!work.archive().exists());
    assert!(!work.etag_file().exists());
}

#[test]
fn json_that_is_not_a_gist_is_reported() {
    let mut server = Server::new();
    gist_mock(&mut server)
        .with_status(200)
        .with_body(r#"{"message": "hello"}"#)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    assert_eq!(
        run.stderr,
        error_line(&format!(
            "the answer from {}/gists/abc123 is not a gist in JSON (missing field `files` at \
             line 1 column 20): check that --api-url points at a GitHub API \
             (https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise)",
            server.url()
        ))
    );
}

#[test]
fn missing_file_lists_the_files_the_gist_has() {
    let mut server = Server::new();
    let body = gist_body(
        &[
            ("notes.md", whole_file("# notes\n")),
            ("other.jsonl", whole_file(&file_of(&[INIT]))),
        ],
        None,
    );
    gist_mock(&mut server)
        .with_status(200)
        .with_body(&body)
        .expect(2)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &[]);

    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        error_line(
            "gist abc123 has no file \"jmo-telemetry-events.jsonl\"; it has: notes.md, \
             other.jsonl. Pass --file NAME to choose"
        )
    );
    assert!(!work.archive().exists());

    let run = work.fetch(&server.url(), &["--file", "other.jsonl"]);
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 1 line in data/events.jsonl\n"
    );
}

/// A file listed as `null` is no answer of GitHub's: said so, not as a
/// file missing beside its own name (a review).
#[test]
fn a_file_listed_as_null_is_said_so() {
    let mut server = Server::new();
    let body = gist_body(&[("jmo-telemetry-events.jsonl", Value::Null)], None);
    let mock = gist_mock(&mut server)
        .with_status(200)
        .with_body(&body)
        .create();
    assert_fetch_fails(
        &server,
        &mock,
        "the answer for gist abc123 lists \"jmo-telemetry-events.jsonl\" without its details \
         (null), which GitHub's API does not send: nothing was downloaded; try again later, and \
         check that --api-url points at a GitHub API",
    );
}

#[test]
fn missing_gist_id_says_how_to_give_one() {
    let work = Work::new();
    let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
    cmd.current_dir(work.path())
        .env_remove("JMO_TELEMETRY_GIST_ID")
        .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
        .args(["fetch", "--api-url", "http://127.0.0.1:9"]);

    let run = work.run(cmd);

    // A usage error: clap's form and exit code.
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: no gist ID: pass --gist-id ID or set JMO_TELEMETRY_GIST_ID\n"
    );
}

#[test]
fn a_flag_value_no_gist_or_api_can_have_is_a_usage_error_before_anything_is_made() {
    for (args, message) in [
        (
            ["--gist-id", GIST, "--api-url", "not a url"],
            "--api-url \"not a url\" is not a valid URL: give one like https://api.github.com",
        ),
        (
            ["--gist-id", "../abc", "--api-url", "http://127.0.0.1:9"],
            "--gist-id \"../abc\" is not a gist ID: use the letters and digits at the end of the \
             gist's address (https://gist.github.com/USER/ID)",
        ),
        (
            ["--gist-id", GIST, "--api-url", "http://example.com"],
            "--api-url http://example.com/ is plain http, which would send the token from \
             JMO_TELEMETRY_GITHUB_TOKEN unencrypted: use https:// (plain http is only for a \
             server on this machine, such as a test's)",
        ),
        // The token in the flag's value: redacted, and still a usage error.
        (
            [
                "--gist-id",
                GIST,
                "--api-url",
                "http://example.com/ghp_TESTTOKEN1234567890abcdef",
            ],
            "--api-url http://example.com/***/ is plain http, which would send the token from \
             JMO_TELEMETRY_GITHUB_TOKEN unencrypted: use https:// (plain http is only for a \
             server on this machine, such as a test's)",
        ),
    ] {
        let work = Work::new();
        let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
        cmd.current_dir(work.path())
            .env_remove("JMO_TELEMETRY_GIST_ID")
            .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
            .arg("fetch")
            .args(args);

        let run = work.run(cmd);

        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, format!("error: {message}\n"), "{args:?}");
        assert!(!work.path().join("data").exists(), "{args:?}");
    }
}

// --------------------------------------------------------------- end to end

#[test]
fn fetch_then_summary_counts_what_the_gist_holds() {
    // First fetch: the gist as it was; second: it lost two events (a
    // clobbering client) and gained one. summary reads the archive, which
    // kept everything.
    let mut server = Server::new();
    let first = file_of(&[INIT, &event(1), &event(2), "not json at all"]);
    let m1 = ok_gist(&mut server, &whole_gist(&first), "\"e1\"");
    let work = Work::new();
    assert_eq!(work.fetch(&server.url(), &[]).code, 0);
    m1.assert();
    m1.remove();
    let second = file_of(&[&event(3)]);
    ok_gist(&mut server, &whole_gist(&second), "\"e2\"");
    let run = work.fetch(&server.url(), &[]);
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 5 lines in data/events.jsonl\n"
    );

    let mut summary = Command::cargo_bin("jmo-analyze").unwrap();
    summary.current_dir(work.path()).args([
        "summary",
        "data/events.jsonl",
        "--format",
        "json",
        "-q",
    ]);
    let out = summary.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &report["input"];
    assert_eq!(input["lines"], 5);
    assert_eq!(input["invalid_lines"], 1);
    assert_eq!(input["marker_events"], 1);
    assert_eq!(input["usage_events"], 3);
    assert_eq!(report["totals"]["unique_ids"], 3);
    assert_eq!(report["totals"]["scans_started"], 3);
}

// -------------------------------------------------------------------- merge

#[test]
fn remote_that_shrank_to_one_line_keeps_the_whole_archive() {
    let mut server = Server::new();
    let work = Work::new();
    let old = file_of(&[INIT, &event(1), &event(2), &event(3), &event(4)]);
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.archive(), &old).unwrap();
    // A client whose GET failed PATCHed a file holding only its own line.
    let remote = file_of(&[&event(5)]);
    ok_gist(&mut server, &whole_gist(&remote), "\"v9\"");

    let run = work.fetch(&server.url(), &[]);

    assert_eq!(run.code, 0);
    assert_eq!(
        run.stderr,
        "note: the gist's jmo-telemetry-events.jsonl lacks 5 lines that data/events.jsonl \
         already held (lost by clients' read-modify-write, or removed); the archive keeps them. \
         Run with --history to recover events that only earlier revisions hold\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 6 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), old + &remote);
}

#[test]
fn merge_appends_only_missing_lines_in_remote_order() {
    let mut server = Server::new();
    let work = Work::new();
    let archive_path = work.path().join("kept/archive.jsonl");
    fs::create_dir_all(archive_path.parent().unwrap()).unwrap();
    fs::write(&archive_path, file_of(&[&event(2), "garbage line"])).unwrap();
    let remote = file_of(&[INIT, &event(1), &event(2), &event(3), &event(1)]);
    ok_gist(&mut server, &whole_gist(&remote), "\"v2\"");

    let run = work.fetch(&server.url(), &["-o", "kept/archive.jsonl"]);

    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 3 new lines, 5 lines in kept/archive.jsonl\n"
    );
    assert_eq!(
        run.stderr,
        "note: the gist's jmo-telemetry-events.jsonl lacks 1 line that kept/archive.jsonl \
         already held (lost by clients' read-modify-write, or removed); the archive keeps it. \
         Run with --history to recover events that only earlier revisions hold\n"
    );
    assert_eq!(
        fs::read_to_string(&archive_path).unwrap(),
        file_of(&[&event(2), "garbage line", INIT, &event(1), &event(3)])
    );
    assert!(work.path().join("kept/archive.jsonl.etag").exists());
}

#[test]
fn an_archive_that_cannot_be_read_is_named_with_its_os_error_once() {
    let server = Server::new();
    let work = Work::new();
    fs::create_dir_all(work.path().join("data/events.jsonl")).unwrap();

    let run = work.fetch(&server.url(), &[]);

    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        error_line(
            "cannot read the archive data/events.jsonl: Is a directory (os error 21); check the \
             path given with -o/--output"
        )
    );
    // Said before a lock file is made for it: nothing is left behind.
    let mut left: Vec<String> = fs::read_dir(work.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["events.jsonl"]);
}

#[test]
fn a_second_fetch_of_the_same_archive_stops_while_the_first_runs() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1)]);
    let mock = ok_gist(&mut server, &whole_gist(&content), "\"v1\"");
    let work = Work::new();
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.archive(), file_of(&["local"])).unwrap();
    // The first fetch, between reading the archive and replacing it.
    let held = fs::File::create(work.path().join("data/events.jsonl.lock")).unwrap();
    held.lock().unwrap();

    let run = work.fetch(&server.url(), &[]);

    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        error_line(
            "another fetch is updating data/events.jsonl (it holds data/events.jsonl.lock); run \
             again when it has finished"
        )
    );
    assert_eq!(work.archive_text(), file_of(&["local"]));
    mock.expect(0).assert();

    // Once it has finished, the next fetch runs.
    drop(held);
    let run = work.fetch(&server.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(work.archive_text(), file_of(&["local", INIT, &event(1)]));
}

/// A server that sends the answer's headers and half its body, then
/// stalls; and a fetch (with `args` after the API's URL) started against
/// it, once it is waiting there.
fn fetch_stalled_by_the_server(work: &Work, args: &[&str]) -> std::process::Child {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (sent_tx, sent_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(br#"{"files": {"jmo-telemetry-events.jsonl": {"content": ""#);
            let _ = stream.flush();
            let _ = sent_tx.send(());
            held.push(stream);
        }
    });
    let url = format!("http://{addr}");
    let mut command = StdCommand::new(assert_cmd::cargo::cargo_bin("jmo-analyze"));
    command
        .current_dir(work.path())
        .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .args(["fetch", "--gist-id", GIST, "--api-url", &url])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // The fetch leaves SIGHUP and SIGINT ignored when they were (`nohup`),
    // so the tests run it with their default action, whatever the shell
    // that ran the tests did (under `nohup cargo test`, the SIGHUP case
    // waited for the timeout and exited 1).
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGHUP, libc::SIG_DFL);
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
    }
    let child = command.spawn().unwrap();
    sent_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    thread::sleep(Duration::from_millis(200));
    child
}

#[test]
fn interrupted_fetch_leaves_the_old_archive_intact() {
    // The process is killed while the server stalls. The archive must be
    // untouched.
    let work = Work::new();
    let old = file_of(&[INIT, &event(1)]);
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.archive(), &old).unwrap();
    let mut child = fetch_stalled_by_the_server(&work, &[]);
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(work.archive_text(), old);
    // No temporary file is left; the lock file stays (the archive exists).
    let mut files: Vec<PathBuf> = walk(work.path());
    files.sort();
    let lock = work.path().join("data/events.jsonl.lock");
    assert_eq!(files, vec![work.archive(), lock]);
}

/// Ctrl-C, SIGTERM or SIGHUP during a first fetch (no archive yet) removes
/// the lock file and the directories made for it, as a first fetch that
/// fails does: nothing is left (both were left). With an archive, the lock
/// file stays beside it, as after any fetch.
#[cfg(target_os = "linux")]
#[test]
fn a_signal_during_a_first_fetch_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    for (signal, number) in [("-INT", 2), ("-TERM", 15), ("-HUP", 1)] {
        let work = Work::new();
        fs::create_dir(work.path().join("there")).unwrap();
        let mut child = fetch_stalled_by_the_server(&work, &["-o", "there/new/dir/ev.jsonl"]);
        assert!(work.path().join("there/new/dir/ev.jsonl.lock").exists());
        let killed = StdCommand::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(number), "{signal}: {status:?}");
        assert_eq!(
            walk(work.path()),
            Vec::<PathBuf>::new(),
            "{signal}: left behind"
        );
        assert!(
            !work.path().join("there/new").exists(),
            "{signal}: a directory made for the lock"
        );
        assert!(
            work.path().join("there").is_dir(),
            "{signal}: a directory that was there"
        );

        let old = file_of(&[INIT, &event(1)]);
        fs::create_dir_all(work.path().join("data")).unwrap();
        fs::write(work.archive(), &old).unwrap();
        let mut child = fetch_stalled_by_the_server(&work, &[]);
        StdCommand::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert_eq!(child.wait().unwrap().signal(), Some(number));
        assert_eq!(work.archive_text(), old);
        let mut files = walk(work.path());
        files.sort();
        let lock = work.path().join("data/events.jsonl.lock");
        assert_eq!(files, vec![work.archive(), lock], "{signal}");
    }
}

/// A FIFO where the lock file goes is refused at once: opening it waited
/// for a reader, and no signal could end the fetch meanwhile (the signals'
/// clean-up waited on the lock that making the lock file held).
#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_the_lock_file_is_refused_at_once() {
    let work = Work::new();
    fs::create_dir(work.path().join("data")).unwrap();
    let made = StdCommand::new("mkfifo")
        .arg(work.path().join("data/events.jsonl.lock"))
        .status()
        .unwrap();
    assert!(made.success());
    let mut cmd = work.cmd("http://127.0.0.1:9", &[]);
    cmd.timeout(Duration::from_secs(20));
    // Not `work.run`: its look for the token in every file would open the
    // FIFO and wait.
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains(TOKEN));
    assert!(
        stderr.starts_with(
            "Error: cannot lock data/events.jsonl.lock (which keeps two fetches from writing \
             data/events.jsonl at once): "
        ),
        "{stderr}"
    );
    assert!(!work.archive().exists());
}

// ------------------------------------------------------------------ history

/// A gist's git repository built with the real `git`: commits in a work
/// tree, then a bare clone the API's `git_pull_url` points at.
struct GistRepo {
    dir: TempDir,
    commits: std::cell::Cell<usize>,
}

impl GistRepo {
    fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().unwrap(),
            commits: std::cell::Cell::new(0),
        };
        repo.git(&["init", "-q", "-b", "main", "work"], repo.dir.path());
        repo
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn git(&self, args: &[&str], cwd: &Path) {
        let status = StdCommand::new("git")
            .args(["-c", "user.name=Gist", "-c", "user.email=gist@example.com"])
            .args(args)
            .current_dir(cwd)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.dir.path())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// Commits `content` as the telemetry file (one PATCH of the gist).
    fn commit(&self, content: &str) {
        self.commit_file(FILE, content);
    }

    /// [`GistRepo::commit`] of any bytes, UTF-8 or not.
    fn commit_bytes(&self, content: &[u8]) {
        self.commit_raw(FILE, content);
    }

    fn commit_file(&self, name: &str, content: &str) {
        self.commit_raw(name, content.as_bytes());
    }

    fn commit_raw(&self, name: &str, content: &[u8]) {
        fs::write(self.work().join(name), content).unwrap();
        let n = self.commits.get() + 1;
        self.commits.set(n);
        self.git(&["add", name], &self.work());
        self.git(
            &["commit", "-q", "-m", &format!("revision {n}")],
            &self.work(),
        );
    }

    /// A gist API on a local server whose gist lists `files` and points
    /// `git_pull_url` at a bare clone of this repository.
    fn serve(&self, files: &[(&str, Value)]) -> ServerGuard {
        let bare = self.bare();
        let mut server = Server::new();
        ok_gist(
            &mut server,
            &gist_body(files, Some(bare.to_str().unwrap())),
            "\"h\"",
        );
        server
    }

    /// A bare clone (what GitHub serves at `git_pull_url`).
    fn bare(&self) -> PathBuf {
        let bare = self.dir.path().join("gist.git");
        if bare.exists() {
            fs::remove_dir_all(&bare).unwrap();
        }
        self.git(
            &["clone", "-q", "--bare", "work", "gist.git"],
            self.dir.path(),
        );
        bare
    }
}

#[test]
fn history_recovers_every_line_any_revision_held() {
    let (a, b, c, d, e, f) = (event(1), event(2), event(3), event(4), event(5), event(6));
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT])); // 1: the hand-written first line
    repo.commit(&file_of(&[INIT, &a])); // 2
    repo.commit(&file_of(&[INIT, &a, &b])); // 3
    repo.commit(&file_of(&[&c])); // 4: a client whose GET failed clobbered everything
    repo.commit_file("README.md", "not the telemetry file\n"); // not a revision of the file
    repo.commit(&file_of(&[&c, &d])); // 5: two clients at once...
    repo.commit(&file_of(&[&c, &e])); // 6: ...each lost the other's event
    repo.commit(&file_of(&[&c, &e, &f])); // 7: the latest revision
    let bare = repo.bare();
    let latest = file_of(&[&c, &e, &f]);
    let mut server = Server::new();
    let body = gist_body(
        &[
            (FILE, whole_file(&latest)),
            ("README.md", whole_file("x\n")),
        ],
        Some(bare.to_str().unwrap()),
    );
    ok_gist(&mut server, &body, "\"h1\"");
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--history"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "history: read 7 revisions of jmo-telemetry-events.jsonl from the gist's git history\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content + git history (7 revisions): 7 new lines, 4 \
         recovered from earlier revisions, 7 lines in data/events.jsonl\n"
    );
    assert_eq!(
        work.archive_text(),
        file_of(&[INIT, &a, &b, &c, &d, &e, &f])
    );

    // Again: nothing new, and --history never trusts the ETag.
    server.reset();
    let again = gist_mock(&mut server)
        .match_header("if-none-match", Matcher::Missing)
        .with_status(200)
        .with_header("etag", "\"h1\"")
        .with_body(&body)
        .expect(1)
        .create();
    let run = work.fetch(&server.url(), &["--history"]);
    again.assert();
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content + git history (7 revisions): 0 new lines, 0 \
         recovered from earlier revisions, 7 lines in data/events.jsonl\n"
    );
    assert_eq!(
        work.archive_text(),
        file_of(&[INIT, &a, &b, &c, &d, &e, &f])
    );
}

#[test]
fn history_adds_to_an_existing_archive_and_counts_only_new_recoveries() {
    let (a, b, c) = (event(1), event(2), event(3));
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT, &a]));
    repo.commit(&file_of(&[&b])); // clobbered INIT and a
    repo.commit(&file_of(&[&b, &c]));
    let bare = repo.bare();
    let work = Work::new();
    fs::create_dir_all(work.path().join("data")).unwrap();
    // The archive already had INIT from an earlier fetch, plus a local line.
    fs::write(work.archive(), file_of(&[INIT, "local"])).unwrap();
    let mut server = Server::new();
    ok_gist(
        &mut server,
        &gist_body(
            &[(FILE, whole_file(&file_of(&[&b, &c])))],
            Some(&format!("file://{}", bare.display())),
        ),
        "\"h2\"",
    );

    let run = work.fetch(&server.url(), &["--history"]);

    assert_eq!(
        run.stderr,
        "history: read 3 revisions of jmo-telemetry-events.jsonl from the gist's git history\n\
         note: the gist's jmo-telemetry-events.jsonl lacks 2 lines that data/events.jsonl \
         already held (lost by clients' read-modify-write, or removed); the archive keeps them\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content + git history (3 revisions): 3 new lines, 1 \
         recovered from earlier revisions, 5 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), file_of(&[INIT, "local", &a, &b, &c]));
}

#[test]
fn history_reads_the_revisions_of_a_merged_branch() {
    let (a, x, y) = (event(1), event(2), event(3));
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT, &a]));
    repo.git(&["checkout", "-q", "-b", "side"], &repo.work());
    repo.commit(&file_of(&[INIT, &a, &x])); // only this branch ever held x
    repo.git(&["checkout", "-q", "main"], &repo.work());
    repo.commit(&file_of(&[INIT, &a, &y]));
    // A merge that kept main's file: `git log -- FILE` follows main alone.
    repo.git(
        &["merge", "-q", "-s", "ours", "side", "-m", "merge"],
        &repo.work(),
    );
    let server = repo.serve(&[(FILE, whole_file(&file_of(&[INIT, &a, &y])))]);
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--history"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "history: read 3 revisions of jmo-telemetry-events.jsonl from the gist's git history\n"
    );
    let text = work.archive_text();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut want = vec![INIT, a.as_str(), x.as_str(), y.as_str()];
    want.sort_unstable();
    assert_eq!(lines, want, "{text}");
}

#[test]
fn history_reads_the_gists_repository_even_from_inside_another() {
    let a = event(1);
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT, &a]));
    let server = repo.serve(&[(FILE, whole_file(&file_of(&[INIT, &a])))]);
    // The caller's own repository has a file of the same name.
    let caller = GistRepo::new();
    caller.commit(&file_of(&["NOT-FROM-THE-GIST"]));
    let work = Work::new();
    // As git sets them for a hook or `git rebase -x`.
    let mut cmd = work.cmd(&server.url(), &["--history"]);
    cmd.env("GIT_DIR", caller.work().join(".git"))
        .env("GIT_WORK_TREE", caller.work());

    let run = work.run(cmd);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content + git history (1 revision): 2 new lines, 0 \
         recovered from earlier revisions, 2 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), file_of(&[INIT, &a]));
}

#[test]
fn history_reads_a_file_whose_name_is_a_pattern() {
    let (a, b) = (event(1), event(2));
    let name = "events[1].jsonl";
    let repo = GistRepo::new();
    // A file the name would match as a glob.
    repo.commit_file("events1.jsonl", &file_of(&["NOT-THE-FILE"]));
    repo.commit_file(name, &file_of(&[INIT, &a]));
    repo.commit_file(name, &file_of(&[&b]));
    let server = repo.serve(&[
        (name, whole_file(&file_of(&[&b]))),
        ("events1.jsonl", whole_file(&file_of(&["NOT-THE-FILE"]))),
    ]);
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--history", "--file", name]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(work.archive_text(), file_of(&[INIT, &a, &b]));
}

#[test]
fn history_reads_the_file_the_newest_revision_lost() {
    let (a, b) = (event(1), event(2));
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT, &a]));
    repo.commit(&file_of(&[INIT, &a, &b]));
    // A client's PATCH that deleted the file.
    repo.git(&["rm", "-q", FILE], &repo.work());
    repo.commit_file("other.txt", "x\n");
    let server = repo.serve(&[("other.txt", whole_file("x\n"))]);
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--history"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "note: the gist's newest revision has no file \"jmo-telemetry-events.jsonl\" (it has: \
         other.txt); reading it from the git history only\n\
         history: read 2 revisions of jmo-telemetry-events.jsonl from the gist's git history\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via git history (2 revisions): 3 new lines, 3 recovered from \
         earlier revisions, 3 lines in data/events.jsonl\n"
    );
    assert_eq!(work.archive_text(), file_of(&[INIT, &a, &b]));
    // Again: the newest revision lacks every line, which is no news (a
    // review: "lacks 3 lines that data/events.jsonl already held").
    let run = work.fetch(&server.url(), &["--history"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("lacks"), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("note: the gist's newest revision has no file"),
        "{}",
        run.stderr
    );
    assert_eq!(work.archive_text(), file_of(&[INIT, &a, &b]));
}

#[test]
fn history_with_a_file_no_revision_held_is_still_an_error() {
    let repo = GistRepo::new();
    repo.commit(&file_of(&[INIT, &event(1)]));
    let server = repo.serve(&[(FILE, whole_file(&file_of(&[INIT, &event(1)])))]);
    let work = Work::new();

    // A mistyped --file: neither the newest revision nor any other has it.
    let run = work.fetch(
        &server.url(),
        &["--history", "--file", "jmo-telemetry-event.jsonl"],
    );

    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.ends_with(&error_line(
            "gist abc123 has no file \"jmo-telemetry-event.jsonl\"; it has: \
             jmo-telemetry-events.jsonl. Pass --file NAME to choose"
        )),
        "{}",
        run.stderr
    );
    assert!(!work.archive().exists() && !work.etag_file().exists());
}

#[test]
fn history_reads_only_the_file_named_even_with_spaces() {
    let a = event(1);
    let repo = GistRepo::new();
    // git's answer for a commit without "x blob" echoes the name: "C:x blob
    // missing", three words like a blob's, and "C:x" names file x.
    repo.commit_file("x", &file_of(&["NOT-THE-FILE"]));
    repo.commit_file("x blob", &file_of(&[INIT, &a]));
    let server = repo.serve(&[
        ("x blob", whole_file(&file_of(&[INIT, &a]))),
        ("x", whole_file(&file_of(&["NOT-THE-FILE"]))),
    ]);
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--history", "--file", "x blob"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(work.archive_text(), file_of(&[INIT, &a]));
}

/// A gist with a clone URL, and an archive holding `kept`.
fn gist_with_a_clone_url() -> (ServerGuard, Work) {
    let mut server = Server::new();
    ok_gist(
        &mut server,
        &gist_body(
            &[(FILE, whole_file(&file_of(&[INIT])))],
            Some("https://gist.github.com/abc123.git"),
        ),
        "\"v1\"",
    );
    let work = Work::new();
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.archive(), file_of(&["kept"])).unwrap();
    (server, work)
}

/// `fetch --history` of [`gist_with_a_clone_url`], with `PATH` set by
/// `path` (given the work directory).
fn history_with_path(path: impl FnOnce(&Work) -> PathBuf) -> (Work, Run) {
    let (server, work) = gist_with_a_clone_url();
    let mut cmd = work.cmd(&server.url(), &["--history"]);
    cmd.env("PATH", path(&work));
    let run = work.run(cmd);
    (work, run)
}

#[test]
fn history_without_git_says_to_install_it_and_leaves_the_archive() {
    let (work, run) = history_with_path(|work| {
        let empty_path = work.path().join("empty-bin");
        fs::create_dir(&empty_path).unwrap();
        empty_path
    });

    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        error_line(
            "the `git` program is needed to read the gist's history (--history) but was not \
             found on PATH: install git (for example `apt-get install git` or \
             https://git-scm.com) and run again"
        )
    );
    assert_eq!(work.archive_text(), "kept\n");
    assert!(!work.etag_file().exists());
}

/// A clone directory that cannot be made names where it was to be made,
/// not tempfile's hidden path (a review: `… at path "…/jmo-analyze-gist-XXXX"`).
#[test]
fn a_clone_directory_that_cannot_be_made_names_tmpdir() {
    let (server, work) = gist_with_a_clone_url();
    let missing = work.path().join("no-such-tmp");
    let mut cmd = work.cmd(&server.url(), &["--history"]);
    cmd.env("TMPDIR", &missing);
    let run = work.run(cmd);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        error_line(&format!(
            "cannot create a temporary directory for the gist's clone in {}: No such file or \
             directory (os error 2); set TMPDIR to a writable directory with room",
            missing.display()
        ))
    );
    assert_eq!(work.archive_text(), "kept\n");
}

/// A signal that ends a fetch stops the processes git started too (`git
/// clone` runs `git remote-https`), not git alone: a review's `kill` of the
/// fetch left them downloading the gist's history, the token's header in
/// their environment.
#[cfg(target_os = "linux")]
#[test]
fn a_signal_stops_git_and_the_processes_it_started() {
    use std::os::unix::process::ExitStatusExt;
    let (server, work) = gist_with_a_clone_url();
    let pid_file = work.path().join("helper.pid");
    // git's helper: a process of git's own, still running.
    let bin = fake_git(
        &work,
        &format!(
            "/bin/sleep 300 &\necho $! > '{}.tmp'\n/bin/mv '{0}.tmp' '{0}'\nwait",
            pid_file.display()
        ),
    );
    let mut command = StdCommand::new(assert_cmd::cargo::cargo_bin("jmo-analyze"));
    command
        .current_dir(work.path())
        .env("PATH", &bin)
        .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .args([
            "fetch",
            "--gist-id",
            GIST,
            "--api-url",
            &server.url(),
            "--history",
        ])
        .stdout(Stdio::null())
        .stderr(fs::File::create(work.path().join("stderr")).unwrap());
    let mut child = command.spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let helper: i32 = loop {
        if let Ok(text) = fs::read_to_string(&pid_file) {
            break text.trim().parse().unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "git never ran: {}",
            fs::read_to_string(work.path().join("stderr")).unwrap()
        );
        thread::sleep(Duration::from_millis(20));
    };
    // SAFETY: a signal to the fetch this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert_eq!(child.wait().unwrap().signal(), Some(15));
    // Gone, or a zombie until whoever adopted it reaps it.
    let running = || {
        fs::read_to_string(format!("/proc/{helper}/stat")).is_ok_and(|stat| {
            stat.rsplit(") ")
                .next()
                .is_some_and(|s| !s.starts_with('Z'))
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while running() && std::time::Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    let left = running();
    if left {
        // SAFETY: the helper this test's git started.
        unsafe {
            libc::kill(helper, libc::SIGKILL);
        }
    }
    assert!(!left, "git's helper outlived the fetch");
    assert_eq!(work.archive_text(), "kept\n");
}

/// A history git cannot read names --history and what fetch without it
/// would do (a review: git's message alone, which named neither).
#[cfg(unix)]
#[test]
fn a_history_git_cannot_read_says_what_fetch_without_it_does() {
    let (work, run) = history_with_path(|work| {
        fake_git(work, "echo 'fatal: repository not found' >&2\nexit 128")
    });

    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with(
            "Error: --history could not read the gist's history: `git clone \
             https://gist.github.com/abc123.git"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with(
            "fatal: repository not found; the gist's lines were not added to data/events.jsonl: \
             fetch without --history adds the latest revision's\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(work.archive_text(), "kept\n");
}

// -------------------------------------------------------------------- token

#[test]
fn verbose_output_never_shows_the_token() {
    let mut server = Server::new();
    let content = file_of(&[INIT, &event(1)]);
    let raw_url = format!("{}/raw/f", server.url());
    ok_gist(
        &mut server,
        &gist_body(&[(FILE, cut_file("", content.len(), &raw_url))], None),
        "\"v1\"",
    );
    server
        .mock("GET", "/raw/f")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .with_status(200)
        .with_body(&content)
        .create();
    let work = Work::new();

    let run = work.fetch(&server.url(), &["--verbose"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    let url = server.url();
    assert_eq!(
        run.stderr,
        format!(
            "using the token from JMO_TELEMETRY_GITHUB_TOKEN\n\
             GET {url}/gists/abc123 (token from JMO_TELEMETRY_GITHUB_TOKEN)\n\
             HTTP 200 from {url}/gists/abc123\n\
             jmo-telemetry-events.jsonl: the API's content is incomplete (truncated: true, 0 \
             bytes of {len})\n\
             GET {url}/raw/f (with the token: same host as the API)\n\
             HTTP 200 from {url}/raw/f\n\
             raw_url: {len} bytes\n\
             jmo-telemetry-events.jsonl: {len} bytes from raw_url\n",
            len = content.len()
        )
    );
}

#[test]
fn token_from_gh_token_is_used_when_the_others_are_unset() {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/gists/abc123")
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .with_status(200)
        .with_body(whole_gist(&file_of(&[INIT])))
        .expect(1)
        .create();
    let work = Work::new();
    let mut cmd = work.cmd(&server.url(), &["-v"]);
    cmd.env_remove("JMO_TELEMETRY_GITHUB_TOKEN")
        .env("GH_TOKEN", TOKEN);

    let run = work.run(cmd);

    mock.assert();
    assert!(
        run.stderr.starts_with("using the token from GH_TOKEN\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_a_token_the_request_is_unauthenticated_and_says_so() {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/gists/abc123")
        .match_header("authorization", Matcher::Missing)
        .with_status(200)
        .with_body(whole_gist(&file_of(&[INIT])))
        .expect(1)
        .create();
    let work = Work::new();
    let mut cmd = work.cmd(&server.url(), &[]);
    cmd.env_remove("JMO_TELEMETRY_GITHUB_TOKEN");

    let run = work.run(cmd);

    mock.assert();
    assert_eq!(
        run.stderr,
        "no token in JMO_TELEMETRY_GITHUB_TOKEN, GITHUB_TOKEN, GH_TOKEN: fetching without one \
         (a secret gist is readable by its ID; 60 requests an hour)\n"
    );
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 1 line in data/events.jsonl\n"
    );
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    let mut api = Server::new();
    let mut elsewhere = Server::new();
    let moved = gist_mock(&mut api)
        .with_status(301)
        .with_header("location", &format!("{}/gists/abc123", elsewhere.url()))
        .expect(2)
        .create();
    let target = elsewhere
        .mock("GET", "/gists/abc123")
        .match_header("authorization", Matcher::Missing)
        .with_status(200)
        .with_body(whole_gist(&file_of(&[INIT])))
        .expect(2)
        .create();

    let run = Work::new().fetch(&api.url(), &[]);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "fetched gist abc123 via api content: 1 new line, 1 line in data/events.jsonl\n"
    );
    // --verbose names the server that answered (a review: the one asked).
    let run = Work::new().fetch(&api.url(), &["-v"]);
    assert!(
        run.stderr.contains(&format!(
            "HTTP 200 from {}/gists/abc123 (redirected from {}/gists/abc123)",
            elsewhere.url(),
            api.url()
        )),
        "{}",
        run.stderr
    );

    moved.assert();
    target.assert();
}

/// (On Unix: elsewhere the lock file stays, as it always did.)
#[cfg(unix)]
#[test]
fn a_failed_first_fetch_leaves_no_directory_or_lock_behind() {
    let mut server = Server::new();
    let missing = gist_mock(&mut server).with_status(404).expect(2).create();
    let work = Work::new();

    // Into directories that do not exist yet: none is left.
    let run = work.fetch(&server.url(), &["-o", "new/sub/events.jsonl"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("Error: gist not found"),
        "{}",
        run.stderr
    );
    assert_eq!(walk(work.path()), Vec::<PathBuf>::new());
    assert_eq!(fs::read_dir(work.path()).unwrap().count(), 0);

    // Into a directory that exists: it stays, with what it held.
    fs::create_dir(work.path().join("data")).unwrap();
    fs::write(work.path().join("data/notes.txt"), "mine").unwrap();
    let run = work.fetch(&server.url(), &[]);
    assert_eq!(run.code, 1);
    assert_eq!(walk(work.path()), vec![work.path().join("data/notes.txt")]);
    missing.assert();
}

#[test]
fn connection_refused_names_the_url_and_stops() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let work = Work::new();
    let api = format!("http://127.0.0.1:{port}");

    let run = work.fetch(&api, &["--retries", "0"]);

    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with(&format!("Error: cannot reach {api}/gists/abc123 (")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("on the only attempt (--retries 0): check the network and --api-url\n"),
        "{}",
        run.stderr
    );
}

/// A token too short to be GitHub's (a placeholder, a typo) is refused
/// before any request, naming the variable and not the token (a review:
/// masked as `***` in every message, `e` garbled "rejected" and "token");
/// an `--api-url` with credentials is refused without printing them (a
/// review: printed in every message, and sent instead of the token).
#[test]
fn a_placeholder_token_and_credentials_in_the_api_url_are_refused_unprinted() {
    let mut server = Server::new();
    let never = server.mock("GET", Matcher::Any).expect(0).create();
    let work = Work::new();
    for token in ["e", "token", "ghp_0123456789abcde"] {
        let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
        cmd.current_dir(work.path())
            .env_remove("JMO_TELEMETRY_GIST_ID")
            .env("JMO_TELEMETRY_GITHUB_TOKEN", token)
            .args(["fetch", "--gist-id", GIST, "--api-url", &server.url()]);
        let run = work.run(cmd);
        assert_eq!(run.code, 1, "{token}: {}", run.stderr);
        let chars = token.chars().count();
        let plural = if chars == 1 { "" } else { "s" };
        assert_eq!(
            run.stderr,
            format!(
                "Error: JMO_TELEMETRY_GITHUB_TOKEN holds {chars} character{plural}, too few \
                 for a GitHub token (they have 40 or more): set it to the whole token, or \
                 unset it (fetch then reads the next token variable set, else fetches without \
                 a token)\n"
            )
        );
    }
    // A token variable that is not UTF-8 is no unset one (a review: the
    // fetch went on without a token, saying none was set).
    {
        use std::os::unix::ffi::OsStrExt;
        let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
        cmd.current_dir(work.path())
            .env_remove("JMO_TELEMETRY_GIST_ID")
            .env_remove("GH_TOKEN")
            .env(
                "JMO_TELEMETRY_GITHUB_TOKEN",
                std::ffi::OsStr::from_bytes(b"ghp_\xff\xfe0123456789abcdefghij"),
            )
            .env("GITHUB_TOKEN", TOKEN)
            .args(["fetch", "--gist-id", GIST, "--api-url", &server.url()]);
        let run = work.run(cmd);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(
            run.stderr,
            "Error: JMO_TELEMETRY_GITHUB_TOKEN is set but holds bytes that are not UTF-8 text, \
             so no token can be read from it: set it to the token alone, or unset it (fetch \
             then reads the next token variable set, else fetches without a token)\n"
        );
    }
    let url = server
        .url()
        .replace("http://", "http://x:ghp_OTHERSECRET999@");
    let mut cmd = Command::cargo_bin("jmo-analyze").unwrap();
    cmd.current_dir(work.path())
        .env_remove("JMO_TELEMETRY_GIST_ID")
        .env("JMO_TELEMETRY_GITHUB_TOKEN", TOKEN)
        .args(["fetch", "--gist-id", GIST, "--api-url", &url, "-v"]);
    let run = work.run(cmd);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--api-url holds a user name or password")
    );
    assert!(!run.stderr.contains("OTHERSECRET") && !run.stdout.contains("OTHERSECRET"));
    never.assert();
    assert!(!work.path().join("data").exists());
}
