//! `jmo-analyze fetch`: download the telemetry gist completely and merge it
//! into the local archive, which only grows (issue 3).
//!
//! Glue only: the API client is [`crate::source::gist`], the archive and its
//! ETag sidecar [`crate::source::archive`], the git history
//! [`crate::source::history`]. The one-line outcome goes to stdout,
//! diagnostics to stderr; the token is never printed.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cmd::usage;
use crate::render::text::plural;
use crate::source::archive::{self, Archive, EtagSidecar};
use crate::source::gist::{
    Changed, ClientConfig, ContentSource, DEFAULT_API_URL, DEFAULT_FILE, Diagnostics, GistClient,
    GistError, GistResponse, REPLACEMENT, RetryPolicy, TOKEN_VARS, Token, listed_files,
};
use crate::source::history::{self, Git};

/// Arguments of `jmo-analyze fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// Archive to merge the gist into; created if missing, never shrunk.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "PATH",
        default_value = "data/events.jsonl"
    )]
    pub output: PathBuf,

    /// Also walk every revision in the gist's git history and add every line
    /// any revision ever held (needs the `git` program).
    #[arg(long)]
    pub history: bool,

    /// The gist's ID (the end of its address).
    #[arg(
        long,
        value_name = "ID",
        env = "JMO_TELEMETRY_GIST_ID",
        hide_env_values = true
    )]
    pub gist_id: Option<String>,

    /// The file within the gist.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_FILE)]
    pub file: String,

    /// The GitHub API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, value_name = "URL", default_value = DEFAULT_API_URL)]
    pub api_url: String,

    /// Seconds to wait for an answer (per request and per read) before retrying.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Retries after a 5xx answer, a timeout or a rate limit (backoff 0.5 s, 1 s, 2 s, …).
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// Longest single wait, in seconds, for a rate limit's retry-after or reset;
    /// a longer one stops with the time to try again.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub max_wait: u64,

    /// Print each request, answer and source used on stderr (never the token).
    #[arg(short, long)]
    pub verbose: bool,
}

/// Runs `fetch`. Every error message is scrubbed of the token as a last guard.
pub fn run(args: &FetchArgs) -> anyhow::Result<ExitCode> {
    let token = Token::from_env();
    run_with(args, token.clone()).map_err(|err| {
        let Some(token) = &token else { return err };
        // A usage error stays one (exit 2, clap's form), its text redacted
        // (a URL can hold anything; a review: it became exit 1, printed
        // `Error: error: …`).
        if let Some(usage) = err.downcast_ref::<clap::Error>() {
            let text = usage.to_string();
            let clean = token.redact(&text);
            if clean != text {
                let message = clean.strip_prefix("error: ").unwrap_or(&clean);
                return clap::Error::raw(usage.kind(), message).into();
            }
            return err;
        }
        let text = format!("{err:#}");
        let clean = token.redact(&text);
        // Keep the error (and its chain, e.g. a broken pipe) when it is clean.
        if clean == text {
            err
        } else {
            anyhow::anyhow!(clean)
        }
    })
}

/// A flag's value the client refused is a usage error; other errors stay.
fn flag_error(err: GistError) -> anyhow::Error {
    match err {
        GistError::BadApiUrl { .. }
        | GistError::ApiUrlCredentials
        | GistError::BadGistId { .. }
        | GistError::PlainHttpToken { .. } => {
            usage(clap::error::ErrorKind::InvalidValue, &err.to_string())
        }
        other => other.into(),
    }
}

/// The temporary files a fetch killed before it could remove them (SIGKILL,
/// SIGXFSZ, a power cut) left beside the archive and its sidecar, removed
/// under the lock (none is another fetch's). The complete lines of the
/// archive's that it lacks (that run's new lines, perhaps recovered by
/// `--history`) are added and the archive saved first, so that a fetch
/// failing later loses none (a review: the leftover was removed, its lines
/// only in memory); not lines with NUL bytes, since a crash can leave
/// zeroed blocks. One that cannot be read stays. Returns the
/// lines added.
fn salvage_stale_temps(
    archive: &mut Archive,
    archive_path: &std::path::Path,
    sidecar_path: &std::path::Path,
    diag: &Diagnostics,
) -> anyhow::Result<usize> {
    let shown = |p: &std::path::Path| p.strip_prefix(".").unwrap_or(p).display().to_string();
    let left = "left by a fetch that was stopped before it finished";
    let mut salvaged = Vec::new();
    for temp in archive::stale_temps(archive_path) {
        let bytes = match std::fs::read(&temp) {
            Ok(bytes) => bytes,
            Err(e) => {
                diag.note(&format!("could not read {}, {left}: {e}", shown(&temp)));
                continue;
            }
        };
        // A line the kill cut has no line end: left out.
        let whole = bytes
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(&bytes[..0], |end| &bytes[..=end]);
        // Lines as a fetch takes them, but for NUL bytes: a crash's zeroed
        // blocks (no client writes one; a review: a JSON-only rule dropped a
        // client's cut line, which a fetch archives).
        let (lines, zeroed): (Vec<&[u8]>, Vec<&[u8]>) = archive::split_lines(whole)
            .into_iter()
            .filter(|line| !archive.contains(line))
            .partition(|line| !line.contains(&0));
        let torn = zeroed.len();
        // The texts as split (a review: added through `add`, split again, a
        // text ending in \r lost it and was archived twice).
        let added = archive.add_lines(lines);
        salvaged.push((temp, added, torn));
    }
    let total = salvaged.iter().map(|(_, added, _)| added).sum();
    if total > 0 {
        archive.save(archive_path)?;
    }
    for (temp, added, torn) in salvaged {
        let mut kept = format!("{} of it kept in the archive", plural(added, "new line"));
        if torn > 0 {
            kept += &format!(
                ", {} not (with NUL bytes: torn by a crash)",
                plural(torn, "line")
            );
        }
        match std::fs::remove_file(&temp) {
            Ok(()) => diag.note(&format!("removed {}, {left}; {kept}", shown(&temp))),
            Err(e) => diag.note(&format!(
                "could not remove {}, {left} ({kept}): {e}",
                shown(&temp)
            )),
        }
    }
    // The sidecar's beside it, unless it is a link (its temporary files
    // are then beside the file it names, which another archive's lock may
    // cover): every fetch that writes there takes this lock.
    let is_link = std::fs::symlink_metadata(sidecar_path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        for temp in archive::stale_temps(sidecar_path) {
            match std::fs::remove_file(&temp) {
                Ok(()) => diag.note(&format!("removed {}, {left}", shown(&temp))),
                Err(e) => diag.note(&format!("could not remove {}, {left}: {e}", shown(&temp))),
            }
        }
    }
    Ok(total)
}

fn run_with(args: &FetchArgs, token: Option<Token>) -> anyhow::Result<ExitCode> {
    let gist_id = args
        .gist_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            usage(
                clap::error::ErrorKind::MissingRequiredArgument,
                "no gist ID: pass --gist-id ID or set JMO_TELEMETRY_GIST_ID",
            )
        })?;

    let redactor = token.clone();
    let diag =
        Diagnostics::new(
            args.verbose,
            std::io::stderr().is_terminal(),
            move |msg| match &redactor {
                Some(t) => eprintln!("{}", t.redact(msg)),
                None => eprintln!("{msg}"),
            },
        );
    match &token {
        Some(t) => diag.detail(&format!("using the token from {}", t.source())),
        None => diag.note(&format!(
            "no token in {}: fetching without one (a secret gist is readable by its ID; \
             60 requests an hour)",
            TOKEN_VARS.join(", ")
        )),
    }

    let client = GistClient::new(ClientConfig {
        api_url: args.api_url.clone(),
        token,
        timeout: Duration::from_secs(args.timeout),
        retry: RetryPolicy {
            retries: args.retries,
            max_wait: Duration::from_secs(args.max_wait),
        },
    })
    .map_err(flag_error)?;
    // A gist ID no gist has is told before anything is locked or read.
    client.gist_url(gist_id).map_err(flag_error)?;

    let archive_path = &args.output;
    // Held from reading the archive to writing it and its sidecar.
    let _lock = archive::lock(archive_path)?;
    let sidecar_path = EtagSidecar::path_for(archive_path);
    let mut archive = Archive::load(archive_path)?;
    let salvaged = salvage_stale_temps(&mut archive, archive_path, &sidecar_path, &diag)?;
    // A 304 is only trusted when the archive it describes is still there,
    // byte for byte (not emptied, restored from a backup or replaced since),
    // and --history needs the gist's metadata whatever the ETag says.
    let stored = EtagSidecar::load(&sidecar_path);
    let foreign_sidecar = EtagSidecar::is_foreign(&sidecar_path);
    let etag = stored
        .as_ref()
        .filter(|_| !args.history && !archive.is_empty())
        .and_then(|s| s.etag_for(gist_id, &args.file, &archive.sha256()));

    let (gist, new_etag) = match client.get_gist(gist_id, etag, &diag)? {
        GistResponse::NotModified => {
            writeln!(
                std::io::stdout(),
                "up to date: gist {gist_id} has not changed since the last fetch; {} holds {}",
                archive_path.display(),
                plural(archive.len(), "line")
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        GistResponse::Gist { gist, etag } => (gist, etag),
    };

    let git = Git::default().with_timeout(Duration::from_secs(args.timeout));
    // With --history, a newest revision without the file is read from the
    // history alone (a client's PATCH that renamed or deleted it loses
    // every event from the latest revision, not from the earlier ones); the
    // error stands if no revision ever held the file (a mistyped --file).
    let (latest, mut missing) = match client.download_file(gist_id, &gist, &args.file, &git, &diag)
    {
        Ok(latest) => {
            diag.detail(&format!(
                "{}: {} bytes from {}",
                args.file,
                latest.bytes.len(),
                latest.source
            ));
            (Some(latest), None)
        }
        Err(err @ GistError::MissingFile { .. }) if args.history => {
            if let GistError::MissingFile { available, .. } = &err {
                diag.note(&format!(
                    "note: the gist's newest revision has no file {:?} (it has: {}); reading it \
                     from the git history only",
                    args.file,
                    listed_files(available)
                ));
            }
            (None, Some(err))
        }
        // The clone's newest revision lacks it, and the API's revision
        // could not be read (renamed after the API's answer, or the file
        // is new and the clone lags behind the API): the history may hold
        // it (a review: this failed, told to check --file), and the API's
        // complete lines are kept below, with --history or without (a
        // review: the fetch failed until the clone caught up).
        Err(err @ GistError::Git(history::GitError::FileNotInClone { .. })) => {
            if args.history {
                diag.note(&format!(
                    "note: the clone's newest revision has no file {:?}; reading it from the \
                     git history only",
                    args.file
                ));
            }
            (None, Some(err))
        }
        Err(err) => return Err(err.into()),
    };

    // The clone's newest revision is not the one the API described: the
    // complete lines the API gave of its revision are kept too, and the
    // ETag is not, so the next fetch reads the gist in full again. Also
    // with --history, whose walk reads only the revisions the clone has (a
    // review: a clone lagging behind the API lost the API's lines, and
    // kept the ETag); so too when the API's revision was not read at all
    // (the clone's newest lacks the file, and the API's version could not
    // be read).
    let unread = missing
        .as_ref()
        .filter(|e| matches!(e, GistError::Git(history::GitError::FileNotInClone { .. })))
        .and_then(|_| gist.files.get(&args.file).cloned().flatten())
        .map(|file| {
            let content = file.content.unwrap_or_default().into_bytes();
            Changed::of_content(file.size.unwrap_or(content.len() as u64), &content)
        });
    // Lines to keep when no revision of the clone holds the file: the
    // API's complete ones. Without them, the clone's error stands.
    // (Lines, not bytes: a blank line is none; a review.)
    let api_lines_only = unread
        .as_ref()
        .is_some_and(|c| !archive::split_lines(&c.api_lines).is_empty());
    if !args.history
        && !api_lines_only
        && let Some(err) = missing.take()
    {
        return Err(anyhow::anyhow!(
            "{err}, or fetch --history to read it from earlier revisions"
        ));
    }
    let changed_any = latest
        .as_ref()
        .and_then(|l| l.changed.as_ref())
        .or(unread.as_ref());
    // Whether the history walk read the revision the API described (its
    // size and complete lines): a clone lagging behind the API lacks it.
    let mut saw_api = false;
    let mut history_revisions = None;
    if args.history {
        let url = gist.git_pull_url.as_deref().with_context(|| {
            format!(
                "--history needs the gist's git_pull_url, but the API answer for gist {gist_id} \
                 has none: fetch without --history reads the latest revision"
            )
        })?;
        let git = git.with_auth_header(client.git_auth_header(url));
        let walk = |commit: &str, previous: &[u8], bytes: &[u8]| {
            if let Some(c) = changed_any {
                saw_api |= c.may_be_api_revision(bytes);
            }
            // `previous` is the version added before: the archive holds its lines.
            let added = archive.add_after(previous, bytes);
            if added > 0 {
                diag.detail(&format!("revision {commit}: {}", plural(added, "new line")));
            }
        };
        // A walk git could not make names --history and what a fetch
        // without it does (a review: git's message alone named neither).
        let report =
            history::walk_history(&git, url, &args.file, &diag, walk).map_err(|err| match err {
                failed @ history::GitError::Failed { .. } => anyhow::anyhow!(
                    "--history could not read the gist's history: {failed}; the gist's lines \
                     were not added to {}: fetch without --history adds the latest revision's",
                    archive_path.display()
                ),
                other => other.into(),
            })?;
        if report.revisions == 0
            && !api_lines_only
            && let Some(err) = missing.take()
        {
            return Err(err.into());
        }
        history_revisions = Some(report.revisions);
        diag.note(&format!(
            "history: read {} of {} from the gist's git history",
            plural(report.revisions, "revision"),
            args.file
        ));
    }

    // What the history walk recovered ends here.
    let walked = archive.appended();
    let kept = changed_any.map_or(0, |c| {
        let latest_bytes = latest.as_ref().map_or(&[][..], |l| l.bytes.as_slice());
        let lines = api_lines_to_keep(&c.api_lines, &archive, latest_bytes);
        archive.add_lines(lines)
    });
    // With --history, a walk that did not read the API's revision says
    // that the clone lags behind the API (a review: it said nothing when
    // the API's complete lines were held already).
    let unseen = changed_any.is_some() && !(args.history && saw_api);
    if args.history && unseen {
        let lacks = if kept > 0 {
            format!(
                "{} of the API's answer for {} (kept from it)",
                plural(kept, "line"),
                args.file
            )
        } else {
            format!("the revision of {} the API described", args.file)
        };
        diag.note(&format!(
            "warning: the gist's git history lacks {lacks} (the clone lags behind the API): \
             lines after the part the API sent may be missing; fetch again"
        ));
    }
    let lacks_file = latest.as_ref().is_some_and(|l| l.newest_lacks_file);
    match (changed_any, &latest) {
        // Renamed or removed after the API's answer (or the clone lags
        // behind it): read at the API's revision this time, but a renamed
        // file is not in the next fetch's API answer (a review: nothing said
        // so, and the next fetch failed unexplained).
        (changed, Some(latest)) if lacks_file => {
            let read = match changed {
                Some(_) if args.history => "; it was read at the revision the API's history \
                                             names (not the one the API described) and from \
                                             the git history"
                    .into(),
                // Not the API's revision after all (the size and lines the
                // API gave say so): "fetch again" would not find the file.
                Some(changed) => format!(
                    "; it was read at the revision the API's history names, which is not the \
                     one the API described ({} bytes there, {} here): lines only the API's \
                     revision held may be missing. If it was renamed, the next fetch will not \
                     find it: give --file the new name, or fetch --history to read every \
                     revision",
                    changed.api_size,
                    latest.bytes.len()
                ),
                None if args.history => {
                    "; read at the revision the API described and from the git history".into()
                }
                None => "; read at the revision the API described. If it was renamed, the next \
                         fetch will not find it: give --file the new name, or fetch --history \
                         to read it from the gist's git history"
                    .into(),
            };
            diag.note(&format!(
                "warning: the clone's newest revision has no file {:?} (a client renamed or \
                 removed it after the API's answer, or the clone lags behind the API){read}",
                args.file
            ));
        }
        // No revision of the clone has it: the API's complete lines are
        // all this fetch has (with --history, the warning above says so).
        (Some(_), None) if !args.history => diag.note(&format!(
            "warning: the clone has no file {:?}, neither in its newest revision nor in the \
             one the API described (a client renamed or removed it after the API's answer, or \
             the clone lags behind the API): the API's complete lines were kept ({}); lines \
             after the part the API sent may be missing; fetch again. If it was renamed, the \
             next fetch will not find it: give --file the new name, or fetch --history to read \
             it from the gist's git history",
            args.file,
            plural(kept, "new line")
        )),
        // raw_url's answer is checked as a clone's is (a review); its size
        // is the API's, so it lacks something the API sent.
        (Some(changed), Some(latest))
            if !args.history && latest.source == ContentSource::RawUrl =>
        {
            diag.note(&format!(
                "warning: raw_url's answer for {} is not the revision the API described (of \
                 the API's size, {} bytes, it lacks what the API sent): the API's complete \
                 lines were kept too, lines only the API's revision held may be missing; \
                 fetch again, or fetch --history to read every revision",
                args.file, changed.api_size,
            ));
        }
        (Some(changed), Some(latest)) if !args.history => {
            diag.note(&format!(
                "warning: the clone's newest revision is not the one the API described (the \
                 gist changed in between, or the clone lags behind the API; the API's \
                 revision of {} had {} bytes, the clone's newest has {}): the API's complete \
                 lines were kept too, lines only the API's revision held may be missing; fetch \
                 again, or fetch --history to read every revision",
                args.file,
                changed.api_size,
                latest.bytes.len(),
            ));
        }
        _ => {}
    }
    // The revision the API described, read from the clone beside its
    // newest: its lines first, as the gist's order has them.
    if let Some(api_revision) = latest.as_ref().and_then(|l| l.api_revision.as_deref()) {
        archive.add(api_revision);
    }
    // The gist's lines as far as this fetch read them: its newest revision,
    // or, when no revision of the clone has the file, the API's complete
    // lines, a part of its revision only, which cannot tell what the gist
    // lacks (a review: every line the archive held was said to be missing
    // from the gist, and the API's lines counted as recovered from earlier
    // revisions).
    let partial_remote = latest.is_none() && unread.is_some();
    let remote_bytes: &[u8] = match (&latest, &unread) {
        (Some(latest), _) => &latest.bytes,
        (None, Some(unread)) => &unread.api_lines,
        (None, None) => &[],
    };
    // (The API's lines were added as kept, above: merged again, its
    // U+FFFD copy of a line the archive holds came back; a review.)
    let counts = if partial_remote {
        archive::MergeCounts::default()
    } else {
        archive.merge(remote_bytes)
    };
    let latest_lines: HashSet<&[u8]> = archive::split_lines(remote_bytes).into_iter().collect();
    let recovered = archive
        .appended_lines()
        .take(walked)
        // The lines a killed fetch left are no revision's recovery.
        .skip(salvaged)
        .filter(|line| !latest_lines.contains(line.as_slice()))
        .count();
    // A killed fetch's lines are held as the loaded ones are: counted when
    // the gist lacks them (they were appended, not loaded, so the merge's
    // count left them out until the next fetch).
    let missing_from_remote = if partial_remote {
        0
    } else {
        counts.missing_from_remote
            + archive
                .appended_lines()
                .take(salvaged)
                .filter(|line| !latest_lines.contains(line.as_slice()))
                .count()
    };

    archive.save(archive_path)?;
    // A sidecar that is a link to the archive itself would be written
    // over it (a review: every line was replaced by the sidecar's JSON).
    let same = |a: &std::path::Path, b: &std::path::Path| {
        let (a, b) = (std::fs::canonicalize(a), std::fs::canonicalize(b));
        a.is_ok_and(|a| b.is_ok_and(|b| a == b))
    };
    // The ETag only spares the next fetch a download: a sidecar that cannot
    // be written or removed (a loop of links, a directory, a read-only
    // one) is no failure of a fetch whose archive is saved (a review: every
    // fetch failed at it). One left as it was holds an earlier answer's
    // ETag or an earlier archive's hash, which the next fetch's answer or
    // archive matches only if nothing changed since.
    let kept_etag = if same(&sidecar_path, archive_path) {
        Err(format!(
            "{} is the archive itself (a link to it): no ETag is kept; remove the link",
            sidecar_path.display()
        ))
    } else if foreign_sidecar {
        // A review: a file of JSONL lines there was replaced by the record.
        Err(format!(
            "{} holds something other than fetch's ETag record: it is left as it is and no \
             ETag is kept; move it elsewhere for fetch to keep one there",
            sidecar_path.display()
        ))
    } else {
        let done = match new_etag.filter(|_| !unseen) {
            Some(etag) => EtagSidecar {
                gist_id: gist_id.to_owned(),
                file: args.file.clone(),
                etag,
                archive_sha256: archive.sha256(),
            }
            .save(&sidecar_path, archive_path),
            None => EtagSidecar::remove(&sidecar_path),
        };
        match done {
            Err(archive::ArchiveError::Write { error, .. }) => Err(format!(
                "could not update {} ({error}): the archive is saved",
                sidecar_path.display()
            )),
            Err(archive::ArchiveError::Unreplaceable { why, .. }) => Err(format!(
                "could not update {} ({why}): the archive is saved",
                sidecar_path.display()
            )),
            Err(archive::ArchiveError::ReadOnly { .. }) => Err(format!(
                "could not update {} (it is read-only: make it writable for this user, or \
                 remove it): the archive is saved",
                sidecar_path.display()
            )),
            other => Ok(other?),
        }
    };
    if let Err(why) = kept_etag {
        diag.note(&format!("warning: {why}"));
    }

    // A newest revision without the file lacks every line, as the note
    // above says (a review: "lacks 8 lines" read as a loss on each fetch
    // again, though history had just read them all).
    let newest_has_none = matches!(missing, Some(GistError::MissingFile { .. }));
    if missing_from_remote > 0 && !newest_has_none {
        diag.note(&format!(
            "note: the gist's {} lacks {} that {} already held (lost by clients' \
             read-modify-write, or removed); the archive keeps {}{}",
            args.file,
            plural(missing_from_remote, "line"),
            archive_path.display(),
            if missing_from_remote == 1 {
                "it"
            } else {
                "them"
            },
            if args.history {
                ""
            } else {
                ". Run with --history to recover events that only earlier revisions hold"
            }
        ));
    }

    // No revision of the clone had the file: the API's partial content.
    let latest_source = match &latest {
        Some(latest) => Some(latest.source.to_string()),
        None if api_lines_only => Some("the api's partial content".to_owned()),
        None => None,
    };
    let source = match (latest_source, history_revisions) {
        (Some(latest), Some(revisions)) => {
            format!("{latest} + git history ({})", plural(revisions, "revision"))
        }
        (None, Some(revisions)) => format!("git history ({})", plural(revisions, "revision")),
        (Some(latest), None) => latest,
        (None, None) => unreachable!(
            "without --history, the file is missing only when the API's lines are kept"
        ),
    };
    let recovered_text = if args.history {
        format!(", {recovered} recovered from earlier revisions")
    } else {
        String::new()
    };
    // Lines a stopped fetch's file gave are no source's (a review read
    // them as the gist's).
    let salvaged_text = match salvaged {
        0 => String::new(),
        all if all == archive.appended() => " (from a stopped fetch's file)".to_owned(),
        some => format!(" ({some} of them from a stopped fetch's file)"),
    };
    writeln!(
        std::io::stdout(),
        "fetched gist {gist_id} via {source}: {}{salvaged_text}{recovered_text}, {} in {}",
        plural(archive.appended(), "new line"),
        plural(archive.len(), "line"),
        archive_path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The API's complete lines to keep, as [`archive::split_lines`] gives
/// them. The API's content is a JSON string: a line of the file with bytes
/// that are not UTF-8 comes with U+FFFD in their place, a copy the clone's
/// line (in `latest`, or in the archive, where a walk put it) stands for
/// already, so it is not kept (a review: it was archived beside the real
/// line, an event counted twice).
fn api_lines_to_keep<'a>(api_lines: &'a [u8], archive: &Archive, latest: &[u8]) -> Vec<&'a [u8]> {
    let lines = archive::split_lines(api_lines);
    let lossy = |line: &[u8]| line.windows(REPLACEMENT.len()).any(|w| w == REPLACEMENT);
    if !lines.iter().any(|line| lossy(line)) {
        return lines;
    }
    let copies: HashSet<Vec<u8>> = archive::split_lines(latest)
        .into_iter()
        .chain(archive.lines())
        .filter(|line| std::str::from_utf8(line).is_err())
        .map(|line| String::from_utf8_lossy(line).into_owned().into_bytes())
        .collect();
    lines
        .into_iter()
        .filter(|line| !copies.contains(*line))
        .collect()
}
