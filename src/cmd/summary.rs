//! `jmo-analyze summary`: read events, print the metrics in the chosen format.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cmd::files;
use crate::event::Problem;
use crate::event::time::Micros;
use crate::metrics::{Filters, Quarter, Summary, filter::parse_bound, summarize};
use crate::render::Format;
use crate::render::text::text_safe;
use crate::source::archive::AtomicFile;
use crate::source::local;

/// How many problems are printed on stderr (all are in the JSON output).
pub const PROBLEMS_SHOWN: usize = 20;

/// Arguments of `jmo-analyze summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// JSONL file of events (`-` reads stdin).
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, ignore_case = true, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of stdout (`-` is stdout).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Also write charts (SVG and PNG per chart) into this directory.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// Exit 1 at the first invalid line instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// No warnings on stderr: neither invalid lines nor filters that left
    /// nothing (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Terminal tables: at most N rows per metric, the largest counts, and a
    /// line saying how many more (0: every row). JSON, CSV and Markdown list
    /// every row.
    #[arg(long, value_name = "N", default_value_t = crate::render::table::MAX_ROWS)]
    pub max_rows: usize,
}

/// The filter flags shared by `summary` and `report`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only events in this calendar quarter, e.g. 2026-Q1.
    #[arg(long, value_name = "YEAR-Qn", conflicts_with_all = ["since", "until"])]
    pub quarter: Option<Quarter>,
    /// Only events at or after this date (YYYY-MM-DD, UTC) or RFC 3339 time.
    #[arg(long, value_name = "DATE", value_parser = |s: &str| parse_bound(s, false))]
    pub since: Option<Micros>,
    /// Only events up to and including this date (YYYY-MM-DD, UTC) or time.
    #[arg(long, value_name = "DATE", value_parser = |s: &str| parse_bound(s, true))]
    pub until: Option<Micros>,
    /// Only usage events of this JMo version, or of one that starts with
    /// it and `.` or `-` (`0.7` matches 0.7, 0.7.1, 0.7-dev; `1` matches 1.5.0).
    #[arg(long = "version", value_name = "V")]
    pub jmo_version: Option<String>,
    /// Leave out scan.started events that ran in CI/CD (ci_detected true).
    #[arg(long)]
    pub exclude_ci: bool,
    /// Count test events (`test`, `test.event`) as usage events.
    #[arg(long)]
    pub include_test: bool,
}

/// `--version`: a version or its start. One that can match no client's
/// version is refused: empty (it kept no event, silently, a review), with
/// spaces at its ends, or with a character that drives a terminal or hides
/// text (it reached the terminal raw, and the report's command to run it
/// again could not hold it). Checked here, not by clap, whose message would
/// show the value as it is.
fn check_version(v: &str) -> anyhow::Result<()> {
    let why = if v.trim().is_empty() {
        Some("is empty")
    } else if v.trim() != v {
        Some("has spaces at its ends")
    } else if v.chars().any(crate::render::text::is_unsafe_char) {
        Some("holds a control or invisible character")
    } else if v.ends_with(['.', '-']) {
        // It would keep `V` itself and versions that start with `V.` or
        // `V-`: none a client sends (`0.7.` kept nothing, with only the
        // warning of a filter that kept no event).
        Some("ends with `.` or `-`")
    } else {
        None
    };
    match why {
        Some(why) => Err(crate::cmd::usage(
            clap::error::ErrorKind::ValueValidation,
            &format!("--version {why}: give a JMo version such as 0.7.1, or its start such as 0.7"),
        )),
        None => Ok(()),
    }
}

impl FilterArgs {
    /// Builds the filters, naming the flag at fault.
    pub fn to_filters(&self) -> anyhow::Result<Filters> {
        if let Some(v) = &self.jmo_version {
            check_version(v)?;
        }
        let mut f = Filters {
            version: self.jmo_version.clone(),
            exclude_ci: self.exclude_ci,
            include_test: self.include_test,
            ..Filters::default()
        };
        if let Some(q) = self.quarter {
            f.set_quarter(q);
        }
        // (--quarter, which set them, cannot be given with these.)
        f.since = self.since.or(f.since);
        f.until = self.until.or(f.until);
        if let (Some(s), Some(u)) = (f.since, f.until)
            && s >= u
        {
            return Err(crate::cmd::usage(
                clap::error::ErrorKind::ArgumentConflict,
                "--since must not be after --until",
            ));
        }
        Ok(f)
    }
}

/// Reads the input (`-`: stdin) and summarises it, reporting invalid
/// lines on stderr. A path that is not UTF-8 is shown with its bad bytes
/// replaced.
pub fn load(input: &Path, filters: Filters, strict: bool, quiet: bool) -> anyhow::Result<Summary> {
    let reader = local::open(input, "summary")?;
    let name = input.to_string_lossy();
    let shown = local::shown(input);
    let summary = summarize(reader, &name, filters).with_context(|| format!("reading {shown}"))?;
    tell_problems(
        &shown,
        &summary.input.problems,
        strict,
        quiet,
        "--format json under input.problems",
    )?;
    Ok(summary)
}

/// What `summary` and `report` say about `input`'s invalid lines: with
/// `strict`, an error at the first; else a warning for each of the first
/// [`PROBLEMS_SHOWN`] on stderr (none when `quiet`), then how many more there
/// are and where all of them are listed (`listed_in`). A reason can quote a
/// client's key, so its control characters are shown escaped.
pub fn tell_problems(
    input: &str,
    problems: &[Problem],
    strict: bool,
    quiet: bool,
    listed_in: &str,
) -> anyhow::Result<()> {
    if strict && let Some(p) = problems.first() {
        anyhow::bail!(
            "{input}:{}: {} (--strict stops at the first invalid line; drop --strict to skip invalid lines)",
            p.line,
            text_safe(&p.reason)
        );
    }
    if !quiet && !problems.is_empty() {
        let mut err = std::io::stderr().lock();
        for p in problems.iter().take(PROBLEMS_SHOWN) {
            let _ = writeln!(
                err,
                "warning: {input}:{}: skipped invalid line: {}",
                p.line,
                text_safe(&p.reason)
            );
        }
        if problems.len() > PROBLEMS_SHOWN {
            let _ = writeln!(
                err,
                "warning: {} more invalid lines not shown (all are in {listed_in})",
                problems.len() - PROBLEMS_SHOWN
            );
        }
    }
    Ok(())
}

/// Where output goes: a file written beside the one it replaces and renamed
/// over it once whole (made before the slow work, so a bad path fails fast;
/// a run that fails leaves the old file as it was), or stdout.
pub struct Output {
    to: To,
}

/// Where [`Output`] writes.
enum To {
    Stdout,
    /// A regular file (or a new one): replaced once whole.
    File(AtomicFile),
    /// Anything else (a FIFO, a device, `/dev/stdout`): written as it
    /// is, since a rename would replace the node itself.
    Node(PathBuf, std::fs::File),
}

impl Output {
    /// Makes the file's temporary beside `path` (or takes stdout for
    /// `None`/`-`). `input` is refused as `path`: the summary would replace
    /// the events it summarises (also when they come on stdin from it).
    pub fn open(path: Option<&PathBuf>, input: &Path) -> anyhow::Result<Output> {
        let Some(p) = path.filter(|p| p.as_os_str() != "-") else {
            return Ok(Output { to: To::Stdout });
        };
        anyhow::ensure!(
            !files::is_input(p, input),
            "--output {} is the input file: the summary would replace the events; \
             choose another path",
            p.display()
        );
        let context = || format!("--output {}: cannot create the file", p.display());
        match std::fs::metadata(p) {
            Ok(meta) if meta.is_dir() => {
                Err(anyhow::anyhow!("it is a directory: give a file's path")).with_context(context)
            }
            Ok(meta) if !meta.is_file() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .with_context(context)?;
                Ok(Output {
                    to: To::Node(p.clone(), file),
                })
            }
            // A directory's path (a review: "cannot write out/: Not a
            // directory", naming no flag).
            _ if p.as_os_str().as_encoded_bytes().ends_with(b"/")
                || p.as_os_str().as_encoded_bytes().ends_with(b"/.") =>
            {
                Err(anyhow::anyhow!(
                    "a file's path ends in its name, not in / or /."
                ))
                .with_context(context)
            }
            _ => {
                // Its directory must be there (a typo is not made a directory),
                // and what stands in the way is named: a file, a loop of
                // links (a review: both were said not to exist).
                let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
                if let Some(dir) = dir {
                    let why = match std::fs::metadata(dir) {
                        Ok(meta) if meta.is_dir() => None,
                        Ok(_) => Some(format!("{} is not a directory", dir.display())),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            Some(format!("{} does not exist", dir.display()))
                        }
                        Err(e) => Some(format!("{}: {e}", dir.display())),
                    };
                    if let Some(why) = why {
                        return Err(anyhow::anyhow!(why)).with_context(context);
                    }
                }
                Ok(Output {
                    to: To::File(AtomicFile::create(p).with_context(context)?),
                })
            }
        }
    }

    /// Whether the output is a terminal: stdout on one, or `-o /dev/tty`.
    pub fn is_terminal(&self) -> bool {
        use std::io::IsTerminal;
        match &self.to {
            To::Stdout => std::io::stdout().is_terminal(),
            To::Node(_, file) => file.is_terminal(),
            To::File(_) => false,
        }
    }

    /// Runs `write` on the output, through a buffer; a file is put in
    /// place only when `write` succeeded.
    pub fn write_with(
        self,
        write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match self.to {
            To::File(mut file) => {
                // A write's own error names the file and what to mend (a
                // review: a full disk's was bare).
                if let Err(e) = file.write_with(write) {
                    return Err(match e.downcast::<std::io::Error>() {
                        Ok(io) => file.error(io).into(),
                        Err(other) => other,
                    });
                }
                file.commit(|_| Ok(()))?;
                Ok(())
            }
            To::Node(p, f) => {
                let mut out = std::io::BufWriter::new(f);
                write(&mut out)
                    .and_then(|_| Ok(out.flush()?))
                    .with_context(|| format!("writing {}", p.display()))
            }
            To::Stdout => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                write(&mut out)?;
                out.flush()?;
                Ok(())
            }
        }
    }
}

/// Runs `summary`.
pub fn run(args: &SummaryArgs) -> anyhow::Result<ExitCode> {
    let filters = args.filters.to_filters()?;
    if let Some(dir) = &args.charts {
        files::check_dir_flag(dir, "--charts")?;
    }
    let output_file = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    // The summary and the charts in one place: the one would replace the
    // other, and a failed run left the charts (a review).
    if let (Some(file), Some(dir)) = (output_file, &args.charts)
        && files::same_path(dir, file)
    {
        return Err(crate::cmd::usage(
            clap::error::ErrorKind::ArgumentConflict,
            &format!(
                "--output {} and --charts {} are one path: the summary is a file and the charts \
                 a directory; choose two",
                text_safe(&file.to_string_lossy()),
                text_safe(&dir.to_string_lossy())
            ),
        ));
    }
    let output = Output::open(args.output.as_ref(), &args.input)?;
    let summary = load(&args.input, filters, args.strict, args.quiet)?;
    if !args.quiet {
        nothing_counted_warning(&args.input, &args.filters, &summary);
        if let Some(note) = split_scans_note(&summary) {
            eprintln!("{note}");
        }
    }
    let max_rows = (args.max_rows > 0).then_some(args.max_rows);
    if let Some(dir) = &args.charts {
        let mut protected = vec![(args.input.as_path(), input_is(&args.input))];
        protected.extend(output_file.map(|f| (f, "--output's file")));
        write_charts(
            dir,
            &crate::render::chart::summary_charts(&summary),
            &protected,
        )?;
    }
    let renderer = args.format.renderer(max_rows, output.is_terminal());
    output.write_with(|out| renderer.write_to(&summary, out))?;
    Ok(ExitCode::SUCCESS)
}

/// What the input is, in messages about a path that is it.
pub(crate) fn input_is(input: &Path) -> &'static str {
    if input == Path::new("-") {
        "the file stdin reads"
    } else {
        "the input file"
    }
}

/// Says, for stderr, why the completion share and the tool failure rates
/// are `null` ([`crate::render::uncomputed_ratios`]).
pub(crate) fn split_scans_note(summary: &Summary) -> Option<String> {
    crate::render::uncomputed_ratios(summary).map(|why| {
        format!(
            "note: the completion share and the tool failure rates are not computed (null): {why}"
        )
    })
}

/// Why an input has no valid event at all, when it has none: empty, blank
/// lines only, or no line a valid event (a review: a pretty-printed JSON
/// document got 20 warnings and empty tables, and `report` said to check
/// --quarter).
pub fn no_valid_line(input: &Path, seen: &crate::metrics::InputReport) -> Option<String> {
    let input = local::shown(input);
    if seen.valid_events > 0 {
        return None;
    }
    Some(if seen.lines == 0 {
        format!("{input} is empty: there is nothing to count")
    } else if seen.invalid_lines == 0 {
        format!("{input} holds only blank lines: there is nothing to count")
    } else {
        format!(
            "no line of {input} is a valid event ({} invalid line{}, the first reasons above): \
             a JSONL file of events holds one JSON object a line, each with its `event` and \
             `timestamp`; a pretty-printed JSON document or the gist API's answer holds none \
             (`jmo-analyze fetch` downloads the events)",
            seen.invalid_lines,
            if seen.invalid_lines == 1 { "" } else { "s" }
        )
    })
}

/// Warns on stderr when the summary will count nothing: an input with no
/// line, or filters that left out every usage event of a file that has
/// some (a typo in `--quarter` or `--version` gave empty tables, silently).
fn nothing_counted_warning(input: &Path, filters: &FilterArgs, summary: &Summary) {
    if let Some(why) = no_valid_line(input, &summary.input) {
        eprintln!("warning: {why}");
        return;
    }
    let input = local::shown(input);
    let tests = summary.input.test_events;
    if summary.totals.usage_events == 0
        && summary.input.usage_events == 0
        && (!filters.include_test || tests == 0)
    {
        // The flag only where it would count some (a review: it was
        // advised with the flag given, and for a file of markers).
        let hint = if tests > 0 {
            " (--include-test counts the test events)"
        } else {
            ""
        };
        eprintln!("warning: {input} holds no usage event, only test and marker events{hint}");
        return;
    }
    if summary.totals.usage_events > 0 {
        return;
    }
    // The quarter and the version as given; a date bound as parsed would
    // not read as typed (`--until DAY` keeps DAY).
    let period = [
        (filters.quarter.map(|q| format!("--quarter {q}"))),
        (filters.since.map(|_| "--since".to_owned())),
        (filters.until.map(|_| "--until".to_owned())),
    ];
    let others = other_flags(filters.jmo_version.as_deref(), filters.exclude_ci);
    let given: Vec<String> = period.into_iter().flatten().chain(others.clone()).collect();
    if !given.is_empty() {
        eprintln!(
            "warning: none of the {} usage events of {input} passes the filters: check {}{}",
            summary.input.usage_events + if filters.include_test { tests } else { 0 },
            given.join(", "),
            outside_span(&summary.period, &others)
        );
    }
}

/// The filters given besides the period, as flags with their values
/// (`--version 0.8`, `--exclude-ci`), for the warnings of `summary` and
/// `report`.
pub fn other_flags(version: Option<&str>, exclude_ci: bool) -> Vec<String> {
    [
        version.map(|v| format!("--version {v}")),
        exclude_ci.then(|| "--exclude-ci".to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// When the period held no usage event: the days those that only the period
/// left out span, before it and after it (`; its usage events run from DAY
/// to DAY before it`); else nothing. `others`: the other filters given
/// (`--version 0.8`), which those events pass.
pub fn outside_span(period: &crate::metrics::Period, others: &[String]) -> String {
    use crate::event::time::date_of;
    let days = |(first, last): (i64, i64), side: &str| {
        if date_of(first) == date_of(last) {
            format!("on {} {side}", date_of(first))
        } else {
            format!("from {} to {} {side}", date_of(first), date_of(last))
        }
    };
    let spans: Vec<String> = [
        (period.outside[0], "before it"),
        (period.outside[1], "after it"),
    ]
    .into_iter()
    .filter_map(|(span, side)| span.map(|s| days(s, side)))
    .collect();
    if spans.is_empty() {
        return String::new();
    }
    let which = if others.is_empty() {
        "its usage events".to_owned()
    } else {
        format!("the usage events that pass {}", others.join(" and "))
    };
    format!("; {which} are {}", spans.join(" and "))
}

/// Writes each chart as `DIR/<name>.svg` and `DIR/<name>.png`, creating DIR;
/// all of them or, on a failure, none (see [`files::write_all`]).
pub fn write_charts(
    dir: &std::path::Path,
    charts: &[crate::render::chart::Chart],
    protected: &[(&Path, &str)],
) -> anyhow::Result<()> {
    let mut out = Vec::new();
    for chart in crate::render::chart::draw_all(charts)? {
        out.push((format!("{}.svg", chart.name), chart.svg.into_bytes()));
        out.push((format!("{}.png", chart.name), chart.png));
    }
    files::write_all(dir, out, files::Earlier::Keep, "--charts", protected)
}
