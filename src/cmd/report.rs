//! `jmo-analyze report`: the quarterly transparency report, written as a
//! directory (see `report::render::files`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cmd::files::{self, Earlier};
use crate::cmd::summary::{FilterArgs, tell_problems};
use crate::metrics::Quarter;
use crate::report::{
    self, DEFAULT_MIN_INSTALLATIONS, DEFAULT_MIN_QUARTER_INSTALLATIONS, ReportOptions,
};
use crate::source::local;

/// Arguments of `jmo-analyze report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// JSONL file of events (`-` reads stdin).
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// The calendar quarter to report, e.g. 2026-Q1.
    #[arg(long, value_name = "YEAR-Qn")]
    pub quarter: Quarter,
    /// Privacy threshold k: a cell behind fewer installations is not shown.
    #[arg(long, value_name = "K", default_value_t = DEFAULT_MIN_INSTALLATIONS, value_parser = crate::cmd::report_k)]
    pub min_installations: u64,
    /// Publish breakdowns only if the quarter has at least this many installations.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_QUARTER_INSTALLATIONS)]
    pub min_quarter_installations: u64,
    /// Output directory [default: reports/YEAR-Qn, the quarter reported].
    #[arg(short = 'o', long, visible_alias = "output", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Installations known from elsewhere (e.g. package downloads): gives the opt-in rate.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub population: Option<u64>,
    /// Print this date as the generation date (YYYY-MM-DD); without it the report has no date, so it is reproducible.
    /// Not before the quarter begins; inside it, a warning.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub generated_on: Option<chrono::NaiveDate>,
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
    /// The previous quarter's report as published (its directory, or its
    /// summary.json): the previous column is read from it, so events of that
    /// quarter that arrived after it was made change nothing published.
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
    /// Exit 1 at the first invalid line instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Nothing on stderr but errors: no invalid lines, no warning (a quarter
    /// without events), no closing line naming the directory written.
    #[arg(short, long)]
    pub quiet: bool,
}

/// A calendar date as `YYYY-MM-DD` (`--generated-on`), with a message
/// that says what is wrong and what to write.
fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    use chrono::Datelike as _;
    crate::metrics::filter::no_spaces_at_ends(s)?;
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|why| format!("`{s}` is not a date ({why}): use YYYY-MM-DD, e.g. 2026-07-01"))?;
    // Written into the report's command line to run again: a year before
    // 1 (`-0001-01-01`) read there as a flag (a review).
    if !(1..=9999).contains(&date.year()) {
        return Err(format!(
            "`{s}` is not in the years 1 to 9999: use YYYY-MM-DD, e.g. 2026-07-01"
        ));
    }
    Ok(date)
}

/// A report is generated once its quarter is over: a `--generated-on` day
/// before the quarter begins is refused (a typo: the report would say it
/// was made before any of its events), one inside the quarter is told, not
/// refused (a preview of a quarter still running; its figures will grow).
fn check_generation_date(
    day: chrono::NaiveDate,
    quarter: Quarter,
    quiet: bool,
) -> anyhow::Result<()> {
    let first = |q: Quarter| chrono::NaiveDate::from_ymd_opt(q.year, (q.q - 1) * 3 + 1, 1);
    let (Some(begins), ends) = (
        first(quarter),
        first(quarter.next()).and_then(|d| d.pred_opt()),
    ) else {
        return Ok(());
    };
    if day < begins {
        return Err(crate::cmd::usage(
            clap::error::ErrorKind::ValueValidation,
            &format!(
                "--generated-on {day} is before {quarter} begins ({begins}): give the day the \
                 report is made, after the quarter"
            ),
        ));
    }
    if let Some(ends) = ends.filter(|ends| day <= *ends)
        && !quiet
    {
        eprintln!(
            "warning: --generated-on {day} is inside {quarter}, which ends on {ends}: the report \
             will say it was made before its quarter was over"
        );
    }
    Ok(())
}

/// The file name shown in the report: never the directory it sits in.
fn source_name(input: &Path) -> String {
    if input == Path::new("-") {
        return "-".into();
    }
    input
        .file_name()
        .map_or_else(|| input.to_string_lossy(), |n| n.to_string_lossy())
        .into_owned()
}

/// The directory beside `out` named after the quarter before, where `out`
/// is named after its quarter (`reports/2026-Q2`, `reports/2026-Q1`), when
/// it holds a `summary.json`.
fn previous_beside(out: &Path, quarter: Quarter) -> Option<PathBuf> {
    if out.file_name()? != std::ffi::OsStr::new(&quarter.to_string()) {
        return None;
    }
    let dir = out.parent()?.join(quarter.prev().to_string());
    dir.join("summary.json").is_file().then_some(dir)
}

/// Runs `report`.
pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let filters = FilterArgs {
        jmo_version: args.jmo_version.clone(),
        exclude_ci: args.exclude_ci,
        include_test: args.include_test,
        ..FilterArgs::default()
    }
    .to_filters()?;
    let mut options = ReportOptions {
        quarter: args.quarter,
        filters,
        min_installations: args.min_installations,
        min_quarter_installations: args.min_quarter_installations,
        population: args.population,
        generated_on: args.generated_on.map(|d| d.to_string()),
        source_name: source_name(&args.input),
        previous: None,
    };
    // Read before the input: a wrong report is told before a long pass.
    if let Some(path) = &args.previous {
        let published = report::previous::load(path, &options)
            .map_err(|why| crate::cmd::usage(clap::error::ErrorKind::ValueValidation, &why))?;
        options.previous = Some(std::sync::Arc::new(published));
    }
    // Below k it would change nothing: no breakdown publishes a cell of
    // fewer installations. Said, not silently raised.
    if args.min_quarter_installations < args.min_installations && !args.quiet {
        // Not said as given when it was not (a review: `--min-installations
        // 25` alone was told "--min-quarter-installations 20 is below").
        let n = args.min_quarter_installations;
        let k = args.min_installations;
        let what = if n == DEFAULT_MIN_QUARTER_INSTALLATIONS {
            format!("--min-installations {k} is above --min-quarter-installations' default, {n}")
        } else {
            format!("--min-quarter-installations {n} is below --min-installations {k}")
        };
        eprintln!(
            "note: {what}: breakdowns need at least {k} installations in the quarter (the \
             report's methodology says so)"
        );
    }
    if let Some(day) = args.generated_on {
        check_generation_date(day, args.quarter, args.quiet)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(args.quarter.to_string()));
    files::check_dir_flag(&out, "--out")?;
    let reader = local::open(&args.input, "report")?;
    let input = local::shown(&args.input);
    let report = report::build(reader, &options).with_context(|| format!("reading {input}"))?;
    tell_problems(
        &input,
        &report.summary.input.problems,
        args.strict,
        args.quiet,
        // The published summary.json leaves the reasons out (they quote
        // event text); summary's JSON has them all.
        "the input.problems of `jmo-analyze summary --format json` on this file",
    )?;
    if let Some(n) = args.population {
        // A flag's value at fault: a usage error, as clap's own (exit 2; a
        // review: 1, which README gives for an unreadable file).
        if n < report.summary.totals.unique_ids {
            return Err(crate::cmd::usage(
                clap::error::ErrorKind::ValueValidation,
                &format!(
                    "--population {n} is smaller than the {} installations seen in {}; give the \
                     number of installs known from elsewhere (e.g. package downloads)",
                    report.summary.totals.unique_ids, args.quarter
                ),
            ));
        }
    }
    if report.summary.totals.usage_events == 0 && !args.quiet {
        match crate::cmd::summary::no_valid_line(&args.input, &report.summary.input) {
            Some(why) => {
                eprintln!("warning: {why} (the report is written, with nothing to publish)")
            }
            // Test events are usage events under --include-test (a
            // review: a wrong quarter was blamed on them).
            None if report.summary.input.usage_events == 0
                && (!args.include_test || report.summary.input.test_events == 0) =>
            {
                eprintln!(
                    "warning: {input} holds no usage event, only test and marker events (the \
                     report is written, with nothing to publish)"
                )
            }
            // Every filter given is named (a review: --version 9.9 and
            // --exclude-ci were told to check --quarter).
            None => {
                let filters =
                    crate::cmd::summary::other_flags(args.jmo_version.as_deref(), args.exclude_ci);
                let q = args.quarter;
                let (what, check) = if filters.is_empty() {
                    (format!("falls in {q}"), "--quarter".to_owned())
                } else {
                    let flags = filters.join(" and ");
                    let names: Vec<&str> = filters
                        .iter()
                        .map(|f| f.split(' ').next().unwrap_or(f))
                        .collect();
                    (
                        format!("in {q} passes {flags}"),
                        format!("--quarter, {}", names.join(", ")),
                    )
                };
                let span = crate::cmd::summary::outside_span(&report.summary.period, &filters);
                eprintln!(
                    "warning: no usage event of {input} {what}: check {check}{span} (the report \
                     is written, with nothing to publish)"
                )
            }
        }
    }
    if !args.quiet
        && let Some(note) = crate::cmd::summary::split_scans_note(&report.summary)
    {
        eprintln!("{note}");
    }
    if !args.quiet
        && args.previous.is_none()
        && let Some(dir) = previous_beside(&out, args.quarter)
    {
        let prev = args.quarter.prev();
        eprintln!(
            "note: {} may be the {prev} report: `--previous {}` takes the {prev} column from it as \
             published (here it is recomputed from {input}, with any events of {prev} that \
             arrived after that report was made)",
            local::shown(&dir),
            local::shown(&dir)
        );
    }
    if !args.quiet
        && let Some(p) = &options.previous
        && let Some(note) = previous_note(&report.previous_differs, p, &options, &input)
    {
        eprintln!("{note}");
    }
    // Neither the input nor the previous report is replaced (`--out` the
    // previous report's directory would remove its summary.json).
    let mut protected = vec![(
        args.input.as_path(),
        crate::cmd::summary::input_is(&args.input),
    )];
    if let Some(p) = &options.previous {
        protected.push((p.file.as_path(), "the --previous report"));
    }
    // Written whole beside --out, then moved in: a failure leaves an earlier
    // report as it was, and nothing is made before the report is built.
    files::write_all(
        &out,
        report::render::files(&report)?,
        Earlier::RemoveStale,
        "--out",
        &protected,
    )?;
    if !args.quiet {
        eprintln!(
            "wrote {} ({} installations, {} usage events{})",
            out.display(),
            report.summary.totals.unique_ids,
            report.summary.totals.usage_events,
            if report.significant {
                ""
            } else {
                "; not yet significant: totals only"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// With `--previous`: where the column it gives differs from the one
/// recomputed from the input, and what can make them differ (`None`: they
/// are the same).
fn previous_note(
    differs: &report::PreviousDiffers,
    p: &report::previous::Published,
    options: &report::ReportOptions,
    input: &str,
) -> Option<String> {
    let prev = options.quarter.prev();
    let mut parts = Vec::new();
    if !differs.tables.is_empty() {
        parts.push(format!("tables: {}", differs.tables.join(", ")));
    }
    if !differs.figures.is_empty() {
        parts.push(format!("key figures: {}", differs.figures.join(", ")));
    }
    if parts.is_empty() {
        return None;
    }
    // Its opt-in rate is over its own --population.
    let thousands = report::thousands;
    let population = match (p.population, options.population) {
        (Some(then), Some(now)) if then != now => format!(
            "; its opt-in rate is over the --population {} that report was made with (this \
             report's is {})",
            thousands(then),
            thousands(now)
        ),
        _ => String::new(),
    };
    Some(format!(
        "note: the {prev} column is taken from {} as published, and this report shows those \
         values; recomputed from {input} it would differ in {} (as events of {prev} that \
         arrived after that report was made, or an input other than the one it was made from, \
         would make it){population}",
        local::shown(&p.file),
        parts.join("; ")
    ))
}
