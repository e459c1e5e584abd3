//! Deterministic, seeded generator of JMo Security telemetry (JSONL).
//!
//! It writes files that look like the gist `jmo-telemetry-events.jsonl` (see
//! `EVENTS.md` in the shared notes), plus the ground truth of what it wrote, so
//! tests and benchmarks can check `jmo-analyze` against numbers that were never
//! obtained by parsing the file.
//!
//! # Usage
//!
//! ```text
//! cargo run --release --example generate -- [OPTIONS]
//!
//!   --seed N             rng seed (default 42)
//!   --events N           stop after N non-blank lines (events, marker/test lines
//!                        and invalid lines all count; blank lines do not)
//!   --size BYTES         stop once BYTES bytes are written (suffix K/M/G = KiB/MiB/GiB,
//!                        KB/MB/GB = powers of ten: `--size 1G`)
//!                        (neither --events nor --size: 3000 lines)
//!   --out PATH           output file (default: stdout)
//!   --expected PATH      write the ground-truth counts (JSON) there
//!   --quirk-log PATH     write the quirk lines (number, kind, detail) as Markdown
//!   --start DATE         first day, YYYY-MM-DD (default 2025-10-19)
//!   --end DATE           last day, inclusive (default 2026-06-30)
//!   --installations N    number of installations (default: one per 33 lines)
//!   --clean              no blank lines, CRLF ends or invalid lines (benchmarks
//!                        where another tool must agree on every count)
//! ```
//!
//! The fixture `fixtures/events.jsonl` is made with
//! `cargo run --release --example generate -- --seed 42 --events 3000 --out fixtures/events.jsonl --expected fixtures/events.expected.json`
//! (see `fixtures/README.md`); `tests/generator.rs` includes this file as a
//! module (`#[path]`) and checks that this command reproduces it byte for byte.
//!
//! # Determinism
//!
//! One `ChaCha8Rng::seed_from_u64(seed)` drives everything, and only through
//! its raw `next_u64` stream: the helpers below turn it into integers, floats
//! and choices with plain integer and IEEE arithmetic (`+ - * /` and a
//! hand-written `ln`, no platform `libm`), so the bytes do not depend on the
//! machine, the OS or a `rand` release. Nothing iterates a hash map in an
//! order that reaches the output.
//!
//! # Realism choices
//!
//! - Lines are Python `json.dumps` output: `", "` / `": "` separators, key order
//!   `event, version, platform, python_version, anonymous_id, timestamp,
//!   metadata`, metadata keys in the client's order, non-ASCII as lowercase
//!   `\uXXXX` (emoji as surrogate pairs).
//! - The file is in append (= timestamp) order. The first line is the
//!   hand-written `telemetry.initialized` marker, then the guide's two curl
//!   `test` lines on the first day; the maintainer's installation sends a few
//!   `test.event` lines (`telemetry.py test`, version `0.7.0-dev`).
//! - Installations: UUID v4 from the rng, a fixed platform (Linux most, then
//!   Darwin, Windows) and Python (3.10-3.13), a favourite mode and profile.
//!   Four kinds give heavy-tailed activity: CI (daily or more, ~4%), regular
//!   (weekly, ~18%), occasional (a handful of scans, ~30%) and one-off (one
//!   scan, ~48%), with a Pareto factor on top; first-seen dates lean late
//!   (a growing user base). About 6% regenerate their anonymous ID once.
//! - Versions are released at fixed fractions of the range (`0.7.0-dev` at 0,
//!   `0.7.0` 6%, `0.7.1` 20%, `0.8.0` 45%, `1.0.0` 70%); a new installation gets
//!   the latest, existing ones upgrade after a random lag (15% never). About 10%
//!   of installations send `report.generated` with the previous version string
//!   (one run mixing versions across event types).
//! - Client capabilities by version: `0.7.0-dev`/`0.7.0` lack `ci_detected,
//!   multi_target_scan, compliance_usage, total_targets_bucket,
//!   scan_frequency_hint` (and half of the dev scans lack `target_types`);
//!   all clients before `1.0.0` (the shipped one) send `total_findings_bucket`
//!   `"0"` and never `tool.failed`; `1.0.0` (guide-conformant) sends real
//!   findings buckets, `tool.failed` between start and completion, and rarely an
//!   event type this tool does not know (`diff.generated`); `policy.evaluated`
//!   from `0.8.0`.
//! - Sessions: optional `wizard.completed` (then the scan has mode `wizard`,
//!   or no scan at all), `scan.started`, `tool.failed` per failed tool (1.0.0),
//!   `scan.completed` (~92%; same mode and profile, duration bucket by
//!   profile), then sometimes `policy.evaluated`, `report.generated`,
//!   `diff.generated`. `multi_target_scan` agrees with `target_types` except in
//!   ~2% of scans (a client bug), so `multi_target` and
//!   `multi_target_reported` differ. `scan_frequency_hint` and
//!   `artifact_generated` may be null, `exit_code` is null for timeouts.
//! - Extras a reader must tolerate: a metadata field nobody documented
//!   (`docker_variant` on docker scans from 1.0.0), a top-level field after
//!   `metadata` (`"source": "github-action"` from CI wrappers), profiles named
//!   `équipe` and `ci-🔒` (escaped), timestamps mostly Python isoformat UTC
//!   (`2025-11-19T14:32:00.173975+00:00`, microseconds dropped when 0), some
//!   guide style `Z` without fraction, a few with another offset (`+02:00`).
//! - Quirks (not with `--clean`): ~1% blank lines, ~0.1% CRLF line ends, and
//!   every 150-450 lines an invalid line, in rotation: a truncated event (a
//!   lost write), a non-JSON line, an event wrapped in a JSON array, an object
//!   without `event`, `"mode": 3` in a `scan.started`, `"tools": "trivy"` (a
//!   string), a timestamp that is not RFC 3339 (`19/11/2025 14:32:00`).
//!
//! # Ground truth
//!
//! `--expected` writes, from the typed events as they were written (never by
//! re-parsing), the line counts and one `{value: count}` map per metric; the
//! shape is documented on [`Expected`]. `--size` first calibrates the average
//! line length on a small run, then plans ~5% more events than needed; should
//! the plan ever run dry, generation continues with a fresh pass over the range.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Parser;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

/// Command-line options (see the module documentation).
#[derive(Debug, Clone, Parser)]
#[command(name = "generate", about = "Deterministic JMo telemetry generator")]
pub struct Args {
    /// rng seed
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// stop after this many non-blank lines
    #[arg(long)]
    pub events: Option<u64>,
    /// stop once this many bytes are written (1G = 1 GiB, 1GB = 10^9)
    #[arg(long, value_parser = parse_size)]
    pub size: Option<u64>,
    /// output file (default: stdout)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// write the ground-truth counts (JSON) to this file
    #[arg(long)]
    pub expected: Option<PathBuf>,
    /// write the quirk lines (number, kind, detail) as Markdown
    #[arg(long)]
    pub quirk_log: Option<PathBuf>,
    /// first day (UTC), YYYY-MM-DD
    #[arg(long, default_value = "2025-10-19", value_parser = parse_date)]
    pub start: NaiveDate,
    /// last day (UTC, inclusive), YYYY-MM-DD
    #[arg(long, default_value = "2026-06-30", value_parser = parse_date)]
    pub end: NaiveDate,
    /// number of installations (default: one per 33 lines)
    #[arg(long)]
    pub installations: Option<u32>,
    /// no blank lines, CRLF or invalid lines
    #[arg(long)]
    pub clean: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("{s:?}: {e} (want YYYY-MM-DD)"))
}

/// `1234`, `64K`, `100M`, `1G` (powers of 1024, also `KiB`...), `1KB`, `1MB`, `1GB` (powers of 1000).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("bad size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        "T" | "TIB" => 1 << 40,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => return Err(format!("bad size unit in {s:?} (use K, M, G, KB, MB, GB)")),
    };
    n.checked_mul(mult)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("bad size {s:?}"))
}

/// What to generate (everything but the output paths).
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub events: Option<u64>,
    pub size: Option<u64>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub installations: Option<u32>,
    pub clean: bool,
}

impl Args {
    pub fn config(&self) -> Config {
        Config {
            seed: self.seed,
            events: self.events,
            size: self.size,
            start: self.start,
            end: self.end,
            installations: self.installations,
            clean: self.clean,
        }
    }
}

/// Lines written when neither `--events` nor `--size` is given.
pub const DEFAULT_EVENTS: u64 = 3000;

#[allow(dead_code)]
fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("generate: {e}");
        std::process::exit(1);
    }
}

/// Generate to `--out` (or stdout) and write `--expected` / `--quirk-log`.
pub fn run(args: &Args) -> io::Result<Outcome> {
    let cfg = args.config();
    let outcome = match &args.out {
        Some(p) => generate(&cfg, File::create(p)?)?,
        None => generate(&cfg, io::stdout().lock())?,
    };
    if let Some(p) = &args.expected {
        let mut f = BufWriter::new(File::create(p)?);
        f.write_all(outcome.expected_json().as_bytes())?;
        f.flush()?;
    }
    if let Some(p) = &args.quirk_log {
        std::fs::write(p, quirks_markdown(&outcome.quirks))?;
    }
    if outcome.epochs > 1 {
        eprintln!(
            "generate: note: the plan ran dry; {} passes over the time range",
            outcome.epochs
        );
    }
    Ok(outcome)
}

/// The quirks as Markdown: a table of invalid and CRLF lines, then the blank lines.
pub fn quirks_markdown(quirks: &[Quirk]) -> String {
    let mut s = String::from("| line | quirk | detail |\n|---:|---|---|\n");
    for q in quirks.iter().filter(|q| q.kind != "blank") {
        let detail = q.detail.replace('|', "\\|");
        s.push_str(&format!("| {} | {} | `{}` |\n", q.line, q.kind, detail));
    }
    let blank: Vec<String> = quirks
        .iter()
        .filter(|q| q.kind == "blank")
        .map(|q| q.line.to_string())
        .collect();
    s.push_str(&format!(
        "\nBlank lines ({}): {}.\n",
        blank.len(),
        if blank.is_empty() {
            "none".to_string()
        } else {
            blank.join(", ")
        }
    ));
    s
}

// ---------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------

struct Rand(ChaCha8Rng);

impl Rand {
    fn new(seed: u64) -> Self {
        Rand(ChaCha8Rng::seed_from_u64(seed))
    }
    fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in `0..n` (n > 0), multiply-shift (bias < 2^-40 for our n).
    fn below(&mut self, n: u64) -> u64 {
        ((self.u64() as u128 * n as u128) >> 64) as u64
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Exponential with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * det_ln(1.0 - self.unit())
    }
    /// Pareto with alpha = 2 and minimum 1: heavy tail, mean 2.
    fn pareto2(&mut self) -> f64 {
        1.0 / (1.0 - self.unit()).sqrt()
    }
    fn pick<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|&(_, w)| w).sum();
        let mut r = self.below(total as u64) as u32;
        for &(v, w) in items {
            if r < w {
                return v;
            }
            r -= w;
        }
        items[items.len() - 1].0
    }
    fn pick_uniform<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Natural log with only IEEE-exact operations (same bits on every machine).
fn det_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0 && x.is_finite());
    const LN2: f64 = std::f64::consts::LN_2;
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..14 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * LN2
}

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

const SEC: i64 = 1_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

const VERSIONS: [&str; 5] = ["0.7.0-dev", "0.7.0", "0.7.1", "0.8.0", "1.0.0"];
/// Release points as fractions of the time range.
const RELEASES: [f64; 5] = [0.0, 0.06, 0.20, 0.45, 0.70];
const V071: u8 = 2;
const V080: u8 = 3;
const V100: u8 = 4;

const PLATFORMS: [&str; 3] = ["Linux", "Darwin", "Windows"];

const TOOLS: [&str; 17] = [
    "trufflehog",
    "semgrep",
    "trivy",
    "syft",
    "checkov",
    "hadolint",
    "zap",
    "nuclei",
    "bandit",
    "osv-scanner",
    "noseyparker",
    "falco",
    "afl++",
    "grype",
    "gosec",
    "prowler",
    "kubescape",
];
/// Per-scan failure probability of each tool (same order as `TOOLS`).
const TOOL_FAIL: [f64; 17] = [
    0.010, 0.015, 0.040, 0.010, 0.020, 0.005, 0.090, 0.050, 0.010, 0.015, 0.030, 0.080, 0.120,
    0.020, 0.010, 0.060, 0.040,
];
const FAST_TOOLS: u32 = 0b111; // trufflehog, semgrep, trivy
const BALANCED_TOOLS: u32 = 0xff; // first eight
const DEEP_TOOLS_OLD: u32 = (1 << 13) - 1; // first thirteen (before 1.0.0)
const DEEP_TOOLS: u32 = (1 << 17) - 1;

const TARGET_KEYS: [&str; 6] = ["repos", "images", "urls", "iac", "gitlab", "k8s"];
const FORMATS: [&str; 8] = [
    "json",
    "md",
    "html",
    "simple-html",
    "sarif",
    "yaml",
    "csv",
    "junit",
];
const POLICIES: [&str; 6] = [
    "owasp-top-10",
    "pci-dss",
    "hipaa",
    "soc2",
    "zero-secrets",
    "no-critical-cves",
];
const FINDINGS: [(&str, u32); 5] = [
    ("0", 15),
    ("1-10", 30),
    ("10-100", 35),
    ("100-1000", 15),
    (">1000", 5),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ci,
    Regular,
    Occasional,
    OneOff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TsStyle {
    /// Python `datetime.now(timezone.utc).isoformat()`
    Python,
    /// the guide's `2025-10-19T14:32:00Z`
    Zulu,
    /// local-time isoformat with this offset in minutes
    Offset(i32),
}

// ---------------------------------------------------------------------------
// Typed events (what was emitted, and what the ground truth counts)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Biz {
    ci: bool,
    multi: bool,
    compliance: bool,
    bucket: &'static str,
    freq: Option<&'static str>,
}

#[derive(Debug, Clone)]
enum Body {
    Marker,
    Test,
    TestEvent,
    ScanStarted {
        mode: &'static str,
        profile: &'static str,
        tools: u32,
        targets: Option<[u32; 6]>,
        biz: Option<Biz>,
        docker_variant: Option<&'static str>,
    },
    ScanCompleted {
        mode: &'static str,
        profile: &'static str,
        duration: &'static str,
        ok: u32,
        failed: u32,
        findings: &'static str,
    },
    ToolFailed {
        tool: u8,
        failure: &'static str,
        exit: Option<i32>,
        profile: &'static str,
    },
    Wizard {
        profile: &'static str,
        exec: &'static str,
        artifact: Option<&'static str>,
        secs: u32,
    },
    Report {
        formats: u32,
        findings: &'static str,
        suppressions: bool,
        compliance: bool,
    },
    Policy {
        policies: u32,
        violations: &'static str,
        time: &'static str,
        passed: u32,
        failed: u32,
    },
    Diff {
        new: &'static str,
        resolved: &'static str,
    },
}

impl Body {
    fn name(&self) -> &'static str {
        match self {
            Body::Marker => "telemetry.initialized",
            Body::Test => "test",
            Body::TestEvent => "test.event",
            Body::ScanStarted { .. } => "scan.started",
            Body::ScanCompleted { .. } => "scan.completed",
            Body::ToolFailed { .. } => "tool.failed",
            Body::Wizard { .. } => "wizard.completed",
            Body::Report { .. } => "report.generated",
            Body::Policy { .. } => "policy.evaluated",
            Body::Diff { .. } => "diff.generated",
        }
    }
    fn is_usage(&self) -> bool {
        !matches!(self, Body::Marker | Body::Test | Body::TestEvent)
    }
}

#[derive(Debug, Clone)]
struct Event {
    ts: i64,
    seq: u64,
    inst: u32,
    version: u8,
    /// use the installation's regenerated ID
    regen: bool,
    body: Body,
}

// BinaryHeap is a max-heap: order reversed so the earliest (ts, seq) pops first.
impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        (self.ts, self.seq) == (o.ts, o.seq)
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Event {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.ts, o.seq).cmp(&(self.ts, self.seq))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Due(i64, u32);
impl PartialOrd for Due {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Due {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.0, o.1).cmp(&(self.0, self.1))
    }
}

// ---------------------------------------------------------------------------
// Installations and the plan
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Inst {
    id: u128,
    regen: Option<(i64, u128)>,
    platform: u8,
    python: &'static str,
    kind: Kind,
    first: i64,
    last: i64,
    gap_mean: f64,
    lag: i64,
    mode: &'static str,
    profile: &'static str,
    custom_tools: u32,
    wizard_user: bool,
    compliance: bool,
    suppressions: bool,
    ts_style: TsStyle,
    mixed: bool,
    gh_action: bool,
    maintainer: bool,
    sessions: u32,
}

/// Records (non-blank lines) per session, measured on the default plan.
const RECORDS_PER_SESSION: f64 = 2.45;
/// Lines per installation when `--installations` is not given.
const LINES_PER_INSTALLATION: u64 = 33;

fn uuid_v4(r: &mut Rand) -> u128 {
    let hi = r.u64();
    let lo = r.u64();
    let mut v = ((hi as u128) << 64) | lo as u128;
    v &= !(0xf << 76);
    v |= 0x4 << 76; // version 4
    v &= !(0x3 << 62);
    v |= 0x2 << 62; // variant 10xx
    v
}

fn release_time(start: i64, span: i64, v: usize) -> i64 {
    start + (span as f64 * RELEASES[v]) as i64
}

struct Plan {
    insts: Vec<Inst>,
    start: i64,
    span: i64,
}

impl Plan {
    fn build(r: &mut Rand, start: i64, end: i64, n: u32, sessions: f64, first_epoch: bool) -> Plan {
        let span = end - start;
        let n = n.max(1);
        let mut insts = Vec::with_capacity(n as usize);
        let mut extra_weight = 0.0f64;
        let mut fixed = 0.0f64;
        for i in 0..n {
            let maintainer = i == 0 && first_epoch;
            let kind = if maintainer {
                Kind::Regular
            } else {
                r.pick(&[
                    (Kind::Ci, 4),
                    (Kind::Regular, 18),
                    (Kind::Occasional, 30),
                    (Kind::OneOff, 48),
                ])
            };
            let ci = kind == Kind::Ci;
            let spanf = span as f64;
            let lean_late = |r: &mut Rand, frac: f64| (spanf * frac * r.unit().sqrt()) as i64;
            let (first, last, base) = match kind {
                _ if maintainer => (start + DAY / 2 + r.range(0, 6 * HOUR), end, 0.0),
                Kind::OneOff => {
                    let f = start + lean_late(r, 1.0);
                    (f, f, 0.0)
                }
                Kind::Occasional => {
                    let f = start + lean_late(r, 0.95);
                    let l = (f + r.range(7 * DAY, 120 * DAY)).min(end);
                    (f, l, (1.0 + 3.0 * r.pareto2()).min(20.0))
                }
                Kind::Regular => {
                    let f = start + lean_late(r, 0.8);
                    let l = (f + (spanf * (0.3 + 0.7 * r.unit())) as i64).min(end);
                    let weeks = (l - f) as f64 / (7 * DAY) as f64;
                    (f, l, weeks * r.pareto2().min(10.0))
                }
                Kind::Ci => {
                    let f = start + (spanf * 0.7 * r.unit()) as i64;
                    let l = if r.chance(0.8) {
                        end
                    } else {
                        (f + (spanf * (0.2 + 0.6 * r.unit())) as i64).min(end)
                    };
                    let days = (l - f) as f64 / DAY as f64;
                    (f, l, days * 1.5 * r.pareto2().min(6.0))
                }
            };
            let base = if maintainer {
                (last - first) as f64 / DAY as f64 * 0.5
            } else {
                base
            };
            fixed += 1.0;
            extra_weight += base;
            let platform = if maintainer {
                0
            } else if ci {
                r.pick(&[(0u8, 95), (2, 5)])
            } else {
                r.pick(&[(0u8, 68), (1, 22), (2, 10)])
            };
            let python = r.pick(&[("3.10", 15), ("3.11", 35), ("3.12", 35), ("3.13", 15)]);
            let mode = if ci {
                r.pick(&[("cli", 50), ("docker", 50)])
            } else {
                r.pick(&[("cli", 60), ("docker", 40)])
            };
            let profile = if ci {
                r.pick(&[("fast", 50), ("balanced", 40), ("deep", 10)])
            } else {
                r.pick(&[("fast", 35), ("balanced", 40), ("deep", 15), ("custom", 10)])
            };
            let mut custom_tools = 0u32;
            let k = r.range(2, 8);
            for _ in 0..k {
                custom_tools |= 1 << r.below(17);
            }
            let regen = if kind != Kind::OneOff && !maintainer && r.chance(0.06) && last > first {
                let at = first + r.range(1, last - first);
                Some((at, uuid_v4(r)))
            } else {
                None
            };
            let ts_style = r.pick(&[(0u8, 88), (1, 8), (2, 4)]);
            let ts_style = match ts_style {
                0 => TsStyle::Python,
                1 => TsStyle::Zulu,
                _ => TsStyle::Offset(r.pick_uniform(&[120, -300, 330, 60, -420, 540])),
            };
            let lag = if r.chance(0.15) {
                i64::MAX / 4
            } else {
                (r.exp(21.0) * DAY as f64) as i64
            };
            insts.push(Inst {
                id: uuid_v4(r),
                regen,
                platform,
                python,
                kind,
                first,
                last,
                gap_mean: base, // turned into a time below
                lag,
                mode,
                profile,
                custom_tools,
                wizard_user: !ci && r.chance(0.3),
                compliance: r.chance(if ci { 0.4 } else { 0.2 }),
                suppressions: r.chance(0.2),
                ts_style: if maintainer {
                    TsStyle::Python
                } else {
                    ts_style
                },
                mixed: r.chance(0.1),
                gh_action: ci && r.chance(0.4),
                maintainer,
                sessions: 0,
            });
        }
        // Two installations with profile names beyond ASCII.
        let mut specials = ["équipe", "ci-🔒"].into_iter();
        for inst in insts.iter_mut().skip(1) {
            if inst.kind == Kind::Regular || inst.kind == Kind::Ci {
                match specials.next() {
                    Some(p) => inst.profile = p,
                    None => break,
                }
            }
        }
        // At least one CI installation runs through a wrapper adding a top-level field.
        if let Some(inst) = insts.iter_mut().find(|i| i.kind == Kind::Ci) {
            inst.gh_action = true;
        }
        // Scale the repeat sessions so the plan holds `sessions` in total.
        let k = ((sessions - fixed) / extra_weight.max(1e-9)).max(0.02);
        for inst in &mut insts {
            let expected = inst.gap_mean * k;
            inst.gap_mean = if expected > 0.0 && inst.last > inst.first {
                ((inst.last - inst.first) as f64 / expected).max(60.0 * SEC as f64)
            } else {
                f64::INFINITY
            };
        }
        Plan { insts, start, span }
    }

    fn version_at(&self, inst: &Inst, t: i64) -> u8 {
        let mut v = 0;
        for i in 1..VERSIONS.len() {
            let rel = release_time(self.start, self.span, i);
            let avail = if rel <= inst.first {
                rel
            } else {
                rel.saturating_add(inst.lag)
            };
            if avail <= t {
                v = i;
            }
        }
        v as u8
    }
}

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    Truncated,
    NonJson,
    ArrayWrap,
    NoEvent,
    ModeInt,
    ToolsString,
    Timestamp,
}

const BAD_ROTATION: [Bad; 7] = [
    Bad::Truncated,
    Bad::NonJson,
    Bad::ArrayWrap,
    Bad::NoEvent,
    Bad::ModeInt,
    Bad::ToolsString,
    Bad::Timestamp,
];

/// One quirk line in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirk {
    /// 1-based physical line number
    pub line: u64,
    /// `blank`, `crlf` or `invalid:<kind>`
    pub kind: &'static str,
    pub detail: String,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub expected: Expected,
    pub quirks: Vec<Quirk>,
    pub bytes: u64,
    /// passes over the time range (1 unless the plan ran dry)
    pub epochs: u32,
}

impl Outcome {
    /// The ground truth as pretty JSON (sorted keys, final newline).
    pub fn expected_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.expected).expect("serialisable");
        s.push('\n');
        s
    }
}

/// Ground truth, computed from the typed events as written.
///
/// Every metric is a map from the value as a string (`"null"` for JSON null
/// or a missing field, `"true"`/`"false"` for booleans) to its count; values
/// that never occur are absent. Field order here is alphabetical so the JSON
/// keys come out sorted.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Expected {
    pub blank_lines: u64,
    pub invalid_lines: u64,
    pub lines: u64,
    pub marker_events: u64,
    pub metrics: BTreeMap<&'static str, BTreeMap<String, u64>>,
    pub scans_completed: u64,
    pub scans_started: u64,
    pub test_events: u64,
    pub unique_ids: u64,
    pub usage_events: u64,
    pub valid_events: u64,
}

const METRICS: [&str; N_METRICS] = [
    "event_types",
    "platforms",
    "versions",
    "python_versions",
    "profiles",
    "modes",
    "ci_detected",
    "compliance_usage",
    "multi_target",
    "multi_target_reported",
    "targets_buckets",
    "frequency_hints",
    "scan_tools",
    "duration_buckets",
    "findings_buckets",
    "tool_failures",
    "failure_types",
    "wizard_profiles",
    "wizard_modes",
    "wizard_artifacts",
    "output_formats",
    "suppressions_used",
    "compliance_enabled",
    "policy_violations",
    "tools_failed",
];
// Indices into `Counts::m` and `METRICS`.
const M_EVENT_TYPES: usize = 0;
const M_PLATFORMS: usize = 1;
const M_VERSIONS: usize = 2;
const M_PYTHON: usize = 3;
const M_PROFILES: usize = 4;
const M_MODES: usize = 5;
const M_CI: usize = 6;
const M_COMPLIANCE_USAGE: usize = 7;
const M_MULTI: usize = 8;
const M_MULTI_REPORTED: usize = 9;
const M_TARGETS: usize = 10;
const M_FREQ: usize = 11;
const M_SCAN_TOOLS: usize = 12;
const M_DURATION: usize = 13;
const M_FINDINGS: usize = 14;
const M_TOOL_FAILURES: usize = 15;
const M_FAILURE_TYPES: usize = 16;
const M_WIZ_PROFILES: usize = 17;
const M_WIZ_MODES: usize = 18;
const M_WIZ_ARTIFACTS: usize = 19;
const M_FORMATS: usize = 20;
const M_SUPPRESSIONS: usize = 21;
const M_COMPLIANCE_ENABLED: usize = 22;
const M_POLICY_VIOLATIONS: usize = 23;
const M_TOOLS_FAILED: usize = 24;
const N_METRICS: usize = 25;

/// `tools_failed` as text: at most every one of the `TOOLS`.
const FAILED_TEXT: [&str; 18] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    "17",
];

fn b(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}
fn opt(v: Option<&'static str>) -> &'static str {
    v.unwrap_or("null")
}

#[derive(Default)]
struct Counts {
    lines: u64,
    blank: u64,
    invalid: u64,
    valid: u64,
    usage: u64,
    test: u64,
    marker: u64,
    scans_started: u64,
    scans_completed: u64,
    ids: FxHashSet<u128>,
    m: Vec<FxHashMap<&'static str, u64>>,
}

impl Counts {
    fn new() -> Self {
        Counts {
            m: (0..N_METRICS).map(|_| FxHashMap::default()).collect(),
            ..Default::default()
        }
    }
    fn add(&mut self, metric: usize, value: &'static str) {
        *self.m[metric].entry(value).or_insert(0) += 1;
    }
    fn count(&mut self, ev: &Event, plan: &Plan) {
        self.valid += 1;
        self.add(M_EVENT_TYPES, ev.body.name());
        match ev.body {
            Body::Marker => {
                self.marker += 1;
                return;
            }
            Body::Test | Body::TestEvent => {
                self.test += 1;
                return;
            }
            _ => {}
        }
        let inst = &plan.insts[ev.inst as usize];
        self.usage += 1;
        self.ids.insert(anon_id(inst, ev.regen));
        self.add(M_PLATFORMS, PLATFORMS[inst.platform as usize]);
        self.add(M_VERSIONS, VERSIONS[ev.version as usize]);
        self.add(M_PYTHON, inst.python);
        match &ev.body {
            Body::ScanStarted {
                mode,
                profile,
                tools,
                targets,
                biz,
                ..
            } => {
                self.scans_started += 1;
                self.add(M_PROFILES, profile);
                self.add(M_MODES, mode);
                for (i, t) in TOOLS.iter().enumerate() {
                    if tools & (1 << i) != 0 {
                        self.add(M_SCAN_TOOLS, t);
                    }
                }
                let multi = targets.map(|t| {
                    if t.iter().filter(|&&c| c > 0).count() > 1 {
                        "multi"
                    } else {
                        "single"
                    }
                });
                self.add(M_MULTI, opt(multi));
                match biz {
                    Some(z) => {
                        self.add(M_CI, b(z.ci));
                        self.add(M_COMPLIANCE_USAGE, b(z.compliance));
                        self.add(M_MULTI_REPORTED, b(z.multi));
                        self.add(M_TARGETS, z.bucket);
                        self.add(M_FREQ, opt(z.freq));
                    }
                    None => {
                        for m in [
                            M_CI,
                            M_COMPLIANCE_USAGE,
                            M_MULTI_REPORTED,
                            M_TARGETS,
                            M_FREQ,
                        ] {
                            self.add(m, "null");
                        }
                    }
                }
            }
            Body::ScanCompleted {
                duration,
                findings,
                failed,
                ..
            } => {
                self.scans_completed += 1;
                self.add(M_DURATION, duration);
                self.add(M_FINDINGS, findings);
                self.add(M_TOOLS_FAILED, FAILED_TEXT[*failed as usize]);
            }
            Body::ToolFailed { tool, failure, .. } => {
                self.add(M_TOOL_FAILURES, TOOLS[*tool as usize]);
                self.add(M_FAILURE_TYPES, failure);
            }
            Body::Wizard {
                profile,
                exec,
                artifact,
                ..
            } => {
                self.add(M_WIZ_PROFILES, profile);
                self.add(M_WIZ_MODES, exec);
                self.add(M_WIZ_ARTIFACTS, opt(*artifact));
            }
            Body::Report {
                formats,
                suppressions,
                compliance,
                ..
            } => {
                for (i, f) in FORMATS.iter().enumerate() {
                    if formats & (1 << i) != 0 {
                        self.add(M_FORMATS, f);
                    }
                }
                self.add(M_SUPPRESSIONS, b(*suppressions));
                self.add(M_COMPLIANCE_ENABLED, b(*compliance));
            }
            Body::Policy { violations, .. } => self.add(M_POLICY_VIOLATIONS, violations),
            Body::Diff { .. } | Body::Marker | Body::Test | Body::TestEvent => {}
        }
    }
    fn expected(&self) -> Expected {
        let metrics = (0..N_METRICS)
            .map(|i| {
                let map = self.m[i]
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), *v))
                    .collect::<BTreeMap<_, _>>();
                (METRICS[i], map)
            })
            .collect();
        Expected {
            blank_lines: self.blank,
            invalid_lines: self.invalid,
            lines: self.lines,
            marker_events: self.marker,
            metrics,
            scans_completed: self.scans_completed,
            scans_started: self.scans_started,
            test_events: self.test,
            unique_ids: self.ids.len() as u64,
            usage_events: self.usage,
            valid_events: self.valid,
        }
    }
}

fn anon_id(inst: &Inst, regen: bool) -> u128 {
    match (regen, inst.regen) {
        (true, Some((_, id))) => id,
        _ => inst.id,
    }
}

/// Generate with `cfg`, writing the JSONL to `out` (buffered here).
pub fn generate<W: Write>(cfg: &Config, out: W) -> io::Result<Outcome> {
    let start = cfg
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp()
        * SEC;
    let end = cfg
        .end
        .succ_opt()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "--end out of range"))?
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp()
        * SEC;
    if end <= start + DAY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--end must be at least one day after --start",
        ));
    }
    let (events_limit, planned) = match (cfg.events, cfg.size) {
        (Some(0), _) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "--events must be > 0",
            ));
        }
        (Some(n), None) => (Some(n), n),
        (None, None) => (Some(DEFAULT_EVENTS), DEFAULT_EVENTS),
        (ev, Some(size)) => {
            // Calibrate the line length on a small run with the same options.
            let probe = Config {
                events: Some(20_000),
                size: None,
                installations: None,
                ..cfg.clone()
            };
            let o = run_gen(&probe, start, end, Some(20_000), None, 20_000, io::sink())?;
            let per_line = o.bytes as f64 / 20_000.0;
            let lines = (size as f64 / per_line * 1.05) as u64 + 100;
            (ev, ev.map_or(lines, |n| n.min(lines)))
        }
    };
    let mut w = BufWriter::with_capacity(1 << 20, out);
    let o = run_gen(cfg, start, end, events_limit, cfg.size, planned, &mut w)?;
    w.flush()?;
    Ok(o)
}

fn run_gen<W: Write>(
    cfg: &Config,
    start: i64,
    end: i64,
    events_limit: Option<u64>,
    bytes_limit: Option<u64>,
    planned: u64,
    out: W,
) -> io::Result<Outcome> {
    let n_inst = cfg
        .installations
        .unwrap_or((planned / LINES_PER_INSTALLATION).clamp(1, u32::MAX as u64) as u32);
    let mut r = Rand::new(cfg.seed);
    let sessions = planned as f64 / RECORDS_PER_SESSION * 1.05;
    let plan = Plan::build(&mut r, start, end, n_inst, sessions, true);
    let mut g = Gen {
        r,
        plan,
        pending: BinaryHeap::new(),
        seq: 0,
        out,
        buf: Vec::with_capacity(4096),
        counts: Counts::new(),
        quirks: Vec::new(),
        bytes: 0,
        records: 0,
        events_limit,
        bytes_limit,
        clean: cfg.clean,
        next_bad: 0,
        bad_index: 0,
        due: None,
        start,
        end,
    };
    g.next_bad = g.r.range(40, 240) as u64;
    let epochs = g.run(n_inst, sessions)?;
    Ok(Outcome {
        expected: g.counts.expected(),
        quirks: g.quirks,
        bytes: g.bytes,
        epochs,
    })
}

struct Gen<W: Write> {
    r: Rand,
    plan: Plan,
    pending: BinaryHeap<Event>,
    seq: u64,
    out: W,
    buf: Vec<u8>,
    counts: Counts,
    quirks: Vec<Quirk>,
    bytes: u64,
    records: u64,
    events_limit: Option<u64>,
    bytes_limit: Option<u64>,
    clean: bool,
    next_bad: u64,
    bad_index: usize,
    due: Option<Bad>,
    start: i64,
    end: i64,
}

/// Returned by the write path when a limit is reached.
struct Stop;

impl<W: Write> Gen<W> {
    fn done(&self) -> bool {
        self.events_limit.is_some_and(|n| self.records >= n)
            || self.bytes_limit.is_some_and(|n| self.bytes >= n)
    }

    fn push(&mut self, ts: i64, inst: u32, version: u8, regen: bool, body: Body) {
        self.seq += 1;
        self.pending.push(Event {
            ts,
            seq: self.seq,
            inst,
            version,
            regen,
            body,
        });
    }

    fn run(&mut self, n_inst: u32, sessions: f64) -> io::Result<u32> {
        let mut epochs = 1;
        // Marker and the guide's curl test lines.
        let day0 = self.start;
        self.push(day0, 0, 0, false, Body::Marker);
        self.push(day0 + 12 * HOUR, 0, 0, false, Body::Test);
        self.push(day0 + 12 * HOUR + 7 * MIN, 0, 0, false, Body::Test);
        loop {
            let mut due: BinaryHeap<Due> = self
                .plan
                .insts
                .iter()
                .enumerate()
                .map(|(i, inst)| Due(inst.first, i as u32))
                .collect();
            while let Some(Due(t, i)) = due.pop() {
                if self.flush_until(Some(t))?.is_err() {
                    return Ok(epochs);
                }
                self.session(i, t);
                let inst = &self.plan.insts[i as usize];
                let gap = self.r.exp(inst.gap_mean).max(60.0 * SEC as f64);
                let next = t as f64 + gap;
                if next <= inst.last as f64 {
                    due.push(Due(next as i64, i));
                }
            }
            if self.flush_until(None)?.is_err() {
                return Ok(epochs);
            }
            if self.events_limit.is_none() && self.bytes_limit.is_none() {
                return Ok(epochs);
            }
            // The plan ran dry before the limit: another pass over the range.
            epochs += 1;
            self.plan = Plan::build(&mut self.r, self.start, self.end, n_inst, sessions, false);
        }
    }

    /// Write pending events up to time `t` (all when None).
    fn flush_until(&mut self, t: Option<i64>) -> io::Result<Result<(), Stop>> {
        while let Some(top) = self.pending.peek() {
            if t.is_some_and(|t| top.ts > t) {
                break;
            }
            let ev = self.pending.pop().expect("peeked");
            self.write_event(&ev)?;
            if self.done() {
                return Ok(Err(Stop));
            }
        }
        Ok(Ok(()))
    }

    fn write_line(&mut self, crlf: bool) -> io::Result<()> {
        self.buf
            .extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        self.out.write_all(&self.buf)?;
        self.bytes += self.buf.len() as u64;
        self.counts.lines += 1;
        self.records += 1;
        Ok(())
    }

    fn quirk(&mut self, kind: &'static str, detail: String) {
        self.quirks.push(Quirk {
            line: self.counts.lines + 1,
            kind,
            detail,
        });
    }

    fn write_event(&mut self, ev: &Event) -> io::Result<()> {
        if !self.clean && self.due.is_none() && self.records >= self.next_bad {
            self.due = Some(BAD_ROTATION[self.bad_index % BAD_ROTATION.len()]);
            self.bad_index += 1;
            self.next_bad = self.records + self.r.range(150, 450) as u64;
        }
        // Stand-alone invalid lines go before this event.
        if let Some(bad @ (Bad::NonJson | Bad::NoEvent)) = self.due {
            self.due = None;
            self.buf.clear();
            let (kind, text) = if bad == Bad::NonJson {
                (
                    "invalid:non-json",
                    self.r.pick_uniform(&[
                        "502 Bad Gateway",
                        "{{ telemetry }}",
                        "event: scan.started",
                    ]),
                )
            } else {
                (
                    "invalid:no-event",
                    self.r.pick_uniform(&[
                        r#"{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}"#,
                        r#"{"version": "0.7.1", "platform": "Linux", "metadata": {}}"#,
                    ]),
                )
            };
            self.buf.extend_from_slice(text.as_bytes());
            self.quirk(kind, text.to_string());
            self.counts.invalid += 1;
            self.write_line(false)?;
            if self.done() {
                return Ok(());
            }
        }
        let usage = ev.body.is_usage();
        let is_scan = matches!(ev.body, Body::ScanStarted { .. });
        let mutate = match self.due {
            Some(Bad::ModeInt | Bad::ToolsString) if is_scan => self.due.take(),
            Some(Bad::Truncated | Bad::ArrayWrap | Bad::Timestamp) if usage => self.due.take(),
            _ => None,
        };
        self.buf.clear();
        if mutate == Some(Bad::ArrayWrap) {
            self.buf.push(b'[');
        }
        self.render(ev, mutate);
        match mutate {
            None => {
                let crlf = !self.clean && usage && self.r.chance(0.001);
                if crlf {
                    self.quirk("crlf", ev.body.name().to_string());
                }
                self.counts.count(ev, &self.plan);
                self.write_line(crlf)?;
            }
            Some(bad) => {
                let (kind, detail) = match bad {
                    Bad::Truncated => {
                        let len = self.buf.len() as i64;
                        let cut = self.r.range(len / 3, len - 2) as usize;
                        self.buf.truncate(cut);
                        (
                            "invalid:truncated",
                            format!("{} cut at byte {cut}", ev.body.name()),
                        )
                    }
                    Bad::ArrayWrap => {
                        self.buf.push(b']');
                        ("invalid:array", format!("[{}]", ev.body.name()))
                    }
                    Bad::ModeInt => ("invalid:mode-int", "\"mode\": 3".to_string()),
                    Bad::ToolsString => {
                        ("invalid:tools-string", "\"tools\": \"trivy\"".to_string())
                    }
                    Bad::Timestamp => (
                        "invalid:timestamp",
                        format!("{} with a DD/MM/YYYY timestamp", ev.body.name()),
                    ),
                    Bad::NonJson | Bad::NoEvent => unreachable!("handled above"),
                };
                self.quirk(kind, detail);
                self.counts.invalid += 1;
                self.write_line(false)?;
            }
        }
        if !self.clean && !self.done() && self.r.chance(0.01) {
            self.quirk("blank", String::new());
            self.buf.clear();
            self.out.write_all(b"\n")?;
            self.bytes += 1;
            self.counts.lines += 1;
            self.counts.blank += 1;
        }
        Ok(())
    }

    // -- sessions ----------------------------------------------------------

    fn session(&mut self, i: u32, t: i64) {
        let plan = &mut self.plan;
        let r = &mut self.r;
        plan.insts[i as usize].sessions += 1;
        let inst = plan.insts[i as usize];
        let v = plan.version_at(&inst, t);
        let regen = inst.regen.is_some_and(|(at, _)| t >= at);
        let first_session = inst.sessions == 1;
        let ci = inst.kind == Kind::Ci;
        let mut evs: Vec<(i64, u8, Body)> = Vec::with_capacity(8);
        let mut cur = t;

        if inst.maintainer && (first_session || r.chance(0.08)) {
            evs.push((cur, 0, Body::TestEvent));
            cur += r.range(5 * SEC, 10 * MIN);
        }
        // A report run on its own (old results).
        if r.chance(0.02) {
            let body = self_report(r, &inst, None, None);
            evs.push((cur, report_version(&inst, v), body));
            return self.push_all(i, regen, evs);
        }
        let mut mode = inst.mode;
        let mut profile = if r.chance(0.8) {
            inst.profile
        } else {
            r.pick(&[("fast", 35), ("balanced", 40), ("deep", 15), ("custom", 10)])
        };
        if !ci && (inst.wizard_user && r.chance(0.4) || first_session && r.chance(0.15)) {
            let wp = r.pick(&[("fast", 30), ("balanced", 50), ("deep", 15), ("custom", 5)]);
            let exec = r.pick(&[("docker", 45), ("native", 55)]);
            let artifact = r.pick(&[
                (Some("makefile"), 20),
                (Some("shell"), 15),
                (Some("gha"), 20),
                (None, 45),
            ]);
            let secs = (20.0 + r.exp(150.0)).min(3600.0) as u32;
            evs.push((
                cur,
                v,
                Body::Wizard {
                    profile: wp,
                    exec,
                    artifact,
                    secs,
                },
            ));
            if artifact.is_some() && r.chance(0.35) {
                return self.push_all(i, regen, evs);
            }
            mode = "wizard";
            profile = wp;
            cur += r.range(3 * SEC, 20 * SEC);
        }
        let tools = match profile {
            "fast" => FAST_TOOLS,
            "balanced" => BALANCED_TOOLS,
            "deep" if v >= V100 => DEEP_TOOLS,
            "deep" => DEEP_TOOLS_OLD,
            _ => inst.custom_tools,
        };
        let targets = if v == 0 && r.chance(0.5) {
            None
        } else {
            Some(random_targets(r, ci))
        };
        let biz = if v >= V071 {
            let t = targets.unwrap_or([1, 0, 0, 0, 0, 0]);
            let nonzero = t.iter().filter(|&&c| c > 0).count();
            let total: u32 = t.iter().sum();
            let freq = if first_session {
                Some("first_time")
            } else {
                match inst.kind {
                    Kind::Ci => r.pick(&[(Some("daily"), 85), (None, 15)]),
                    Kind::Regular => {
                        r.pick(&[(Some("weekly"), 60), (Some("daily"), 20), (None, 20)])
                    }
                    _ => r.pick(&[(Some("weekly"), 30), (None, 70)]),
                }
            };
            Some(Biz {
                ci: if ci { r.chance(0.97) } else { r.chance(0.03) },
                multi: (nonzero > 1) != r.chance(0.02),
                compliance: if inst.compliance {
                    r.chance(0.9)
                } else {
                    r.chance(0.02)
                },
                bucket: match total {
                    0 | 1 => "1",
                    2..=5 => "2-5",
                    6..=10 => "6-10",
                    11..=50 => "11-50",
                    _ => ">50",
                },
                freq,
            })
        } else {
            None
        };
        let compliance = biz.as_ref().map(|z| z.compliance);
        let docker_variant = if mode == "docker" && v >= V100 {
            Some(r.pick_uniform(&["full", "slim", "alpine"]))
        } else {
            None
        };
        evs.push((
            cur,
            v,
            Body::ScanStarted {
                mode,
                profile,
                tools,
                targets,
                biz,
                docker_variant,
            },
        ));
        if !r.chance(0.92) {
            return self.push_all(i, regen, evs); // interrupted
        }
        let duration = match profile {
            "fast" => r.pick(&[
                ("<5min", 70),
                ("5-15min", 25),
                ("15-30min", 4),
                (">30min", 1),
            ]),
            "balanced" => r.pick(&[
                ("<5min", 25),
                ("5-15min", 50),
                ("15-30min", 18),
                (">30min", 7),
            ]),
            "deep" => r.pick(&[
                ("<5min", 3),
                ("5-15min", 22),
                ("15-30min", 35),
                (">30min", 40),
            ]),
            _ => r.pick(&[
                ("<5min", 30),
                ("5-15min", 40),
                ("15-30min", 20),
                (">30min", 10),
            ]),
        };
        let secs = match duration {
            "<5min" => r.range(20, 299),
            "5-15min" => r.range(300, 899),
            "15-30min" => r.range(900, 1799),
            _ => r.range(1800, 7200),
        };
        let mut failed = 0u32;
        let mut ok = 0u32;
        for (k, p) in TOOL_FAIL.iter().enumerate() {
            if tools & (1 << k) == 0 {
                continue;
            }
            if r.chance(*p) {
                failed += 1;
                if v >= V100 {
                    let failure = match TOOLS[k] {
                        "zap" | "nuclei" | "afl++" => {
                            r.pick(&[("timeout", 60), ("crash", 10), ("non_zero_exit", 30)])
                        }
                        _ => r.pick(&[("timeout", 25), ("crash", 15), ("non_zero_exit", 60)]),
                    };
                    let exit = match failure {
                        "timeout" => None,
                        "crash" => Some(r.pick_uniform(&[-11, 139, -9, 134])),
                        _ => Some(r.pick_uniform(&[1, 1, 2, 3, 125, 127])),
                    };
                    let at = cur + r.range(SEC, secs * SEC);
                    evs.push((
                        at,
                        v,
                        Body::ToolFailed {
                            tool: k as u8,
                            failure,
                            exit,
                            profile,
                        },
                    ));
                }
            } else {
                ok += 1;
            }
        }
        let findings = if v >= V100 { r.pick(&FINDINGS) } else { "0" };
        cur += secs * SEC + r.range(0, SEC);
        evs.push((
            cur,
            v,
            Body::ScanCompleted {
                mode,
                profile,
                duration,
                ok,
                failed,
                findings,
            },
        ));
        if v >= V080 && r.chance(if ci { 0.2 } else { 0.05 }) {
            cur += r.range(SEC, 5 * SEC);
            let mut policies = 0u32;
            for _ in 0..r.range(1, 4) {
                policies |= 1 << r.below(POLICIES.len() as u64);
            }
            let count = policies.count_ones();
            let failed = r.range(0, count as i64) as u32;
            let violations = if failed == 0 {
                "0"
            } else {
                r.pick(&[("1-5", 50), ("5-20", 30), ("20-100", 15), (">100", 5)])
            };
            let time = r.pick(&[
                ("<50ms", 40),
                ("50-100ms", 30),
                ("100-500ms", 25),
                (">500ms", 5),
            ]);
            evs.push((
                cur,
                v,
                Body::Policy {
                    policies,
                    violations,
                    time,
                    passed: count - failed,
                    failed,
                },
            ));
        }
        if r.chance(if ci { 0.8 } else { 0.45 }) {
            cur += r.range(SEC, 30 * SEC);
            let f = if v >= V100 { Some(findings) } else { None };
            let body = self_report(r, &inst, f, compliance);
            evs.push((cur, report_version(&inst, v), body));
        }
        if v >= V100 && r.chance(0.03) {
            cur += r.range(SEC, 10 * SEC);
            evs.push((
                cur,
                v,
                Body::Diff {
                    new: r.pick(&FINDINGS),
                    resolved: r.pick(&FINDINGS),
                },
            ));
        }
        self.push_all(i, regen, evs)
    }

    fn push_all(&mut self, i: u32, regen: bool, evs: Vec<(i64, u8, Body)>) {
        for (ts, v, body) in evs {
            let v = if matches!(body, Body::TestEvent) {
                0
            } else {
                v
            };
            self.push(ts, i, v, regen, body);
        }
    }

    // -- rendering -----------------------------------------------------------

    fn render(&mut self, ev: &Event, bad: Option<Bad>) {
        let buf = &mut self.buf;
        let name = ev.body.name();
        match ev.body {
            Body::Marker => {
                buf.extend_from_slice(b"{\"event\": \"telemetry.initialized\", \"timestamp\": \"");
                ts_fmt(buf, ev.ts, TsStyle::Zulu, false);
                buf.extend_from_slice(b"\", \"message\": \"JMo Security Telemetry Backend\"}");
                return;
            }
            Body::Test => {
                buf.extend_from_slice(b"{\"event\": \"test\", \"timestamp\": \"");
                ts_fmt(buf, ev.ts, TsStyle::Zulu, false);
                buf.extend_from_slice(b"\"}");
                return;
            }
            _ => {}
        }
        let inst = &self.plan.insts[ev.inst as usize];
        buf.extend_from_slice(b"{\"event\": \"");
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"\", \"version\": \"");
        buf.extend_from_slice(VERSIONS[ev.version as usize].as_bytes());
        buf.extend_from_slice(b"\", \"platform\": \"");
        buf.extend_from_slice(PLATFORMS[inst.platform as usize].as_bytes());
        buf.extend_from_slice(b"\", \"python_version\": \"");
        buf.extend_from_slice(inst.python.as_bytes());
        buf.extend_from_slice(b"\", \"anonymous_id\": \"");
        uuid_fmt(buf, anon_id(inst, ev.regen));
        buf.extend_from_slice(b"\", \"timestamp\": \"");
        if bad == Some(Bad::Timestamp) {
            let mut tmp = Vec::new();
            ts_fmt(&mut tmp, ev.ts, TsStyle::Zulu, false);
            // 2025-11-19T14:32:00Z -> 19/11/2025 14:32:00
            let s = String::from_utf8(tmp).expect("ascii");
            let t = format!("{}/{}/{} {}", &s[8..10], &s[5..7], &s[0..4], &s[11..19]);
            buf.extend_from_slice(t.as_bytes());
        } else {
            ts_fmt(buf, ev.ts, inst.ts_style, ev.seq.is_multiple_of(200));
        }
        buf.extend_from_slice(b"\", \"metadata\": {");
        match &ev.body {
            Body::TestEvent => {
                buf.extend_from_slice(b"\"message\": \"Test telemetry event from CLI\"");
            }
            Body::ScanStarted {
                mode,
                profile,
                tools,
                targets,
                biz,
                docker_variant,
            } => {
                if bad == Some(Bad::ModeInt) {
                    buf.extend_from_slice(b"\"mode\": 3");
                } else {
                    kv_str(buf, "mode", mode);
                }
                buf.extend_from_slice(b", ");
                kv_str(buf, "profile", profile);
                if bad == Some(Bad::ToolsString) {
                    buf.extend_from_slice(b", \"tools\": \"trivy\"");
                } else {
                    buf.extend_from_slice(b", \"tools\": ");
                    str_list(buf, &TOOLS, *tools);
                }
                if let Some(t) = targets {
                    buf.extend_from_slice(b", \"target_types\": {");
                    for (k, (key, n)) in TARGET_KEYS.iter().zip(t).enumerate() {
                        if k > 0 {
                            buf.extend_from_slice(b", ");
                        }
                        kv_int(buf, key, *n as i64);
                    }
                    buf.push(b'}');
                }
                if let Some(z) = biz {
                    buf.extend_from_slice(b", ");
                    kv_bool(buf, "ci_detected", z.ci);
                    buf.extend_from_slice(b", ");
                    kv_bool(buf, "multi_target_scan", z.multi);
                    buf.extend_from_slice(b", ");
                    kv_bool(buf, "compliance_usage", z.compliance);
                    buf.extend_from_slice(b", ");
                    kv_str(buf, "total_targets_bucket", z.bucket);
                    buf.extend_from_slice(b", ");
                    kv_opt(buf, "scan_frequency_hint", z.freq);
                }
                if let Some(d) = docker_variant {
                    buf.extend_from_slice(b", ");
                    kv_str(buf, "docker_variant", d);
                }
            }
            Body::ScanCompleted {
                mode,
                profile,
                duration,
                ok,
                failed,
                findings,
            } => {
                kv_str(buf, "mode", mode);
                buf.extend_from_slice(b", ");
                kv_str(buf, "profile", profile);
                buf.extend_from_slice(b", ");
                kv_str(buf, "duration_bucket", duration);
                buf.extend_from_slice(b", ");
                kv_int(buf, "tools_succeeded", *ok as i64);
                buf.extend_from_slice(b", ");
                kv_int(buf, "tools_failed", *failed as i64);
                buf.extend_from_slice(b", ");
                kv_str(buf, "total_findings_bucket", findings);
            }
            Body::ToolFailed {
                tool,
                failure,
                exit,
                profile,
            } => {
                kv_str(buf, "tool", TOOLS[*tool as usize]);
                buf.extend_from_slice(b", ");
                kv_str(buf, "failure_type", failure);
                buf.extend_from_slice(b", \"exit_code\": ");
                match exit {
                    Some(c) => int(buf, *c as i64),
                    None => buf.extend_from_slice(b"null"),
                }
                buf.extend_from_slice(b", ");
                kv_str(buf, "profile", profile);
            }
            Body::Wizard {
                profile,
                exec,
                artifact,
                secs,
            } => {
                kv_str(buf, "profile_selected", profile);
                buf.extend_from_slice(b", ");
                kv_str(buf, "execution_mode", exec);
                buf.extend_from_slice(b", ");
                kv_opt(buf, "artifact_generated", *artifact);
                buf.extend_from_slice(b", ");
                kv_int(buf, "duration_seconds", *secs as i64);
            }
            Body::Report {
                formats,
                findings,
                suppressions,
                compliance,
            } => {
                buf.extend_from_slice(b"\"output_formats\": ");
                str_list(buf, &FORMATS, *formats);
                buf.extend_from_slice(b", ");
                kv_str(buf, "findings_bucket", findings);
                buf.extend_from_slice(b", ");
                kv_bool(buf, "suppressions_used", *suppressions);
                buf.extend_from_slice(b", ");
                kv_bool(buf, "compliance_enabled", *compliance);
            }
            Body::Policy {
                policies,
                violations,
                time,
                passed,
                failed,
            } => {
                kv_int(buf, "policy_count", policies.count_ones() as i64);
                buf.extend_from_slice(b", ");
                kv_str(buf, "violations_bucket", violations);
                buf.extend_from_slice(b", ");
                kv_str(buf, "evaluation_time_bucket", time);
                buf.extend_from_slice(b", \"policies\": ");
                str_list(buf, &POLICIES, *policies);
                buf.extend_from_slice(b", ");
                kv_int(buf, "passed_count", *passed as i64);
                buf.extend_from_slice(b", ");
                kv_int(buf, "failed_count", *failed as i64);
            }
            Body::Diff { new, resolved } => {
                kv_str(buf, "format", "md");
                buf.extend_from_slice(b", ");
                kv_str(buf, "new_findings_bucket", new);
                buf.extend_from_slice(b", ");
                kv_str(buf, "resolved_findings_bucket", resolved);
            }
            Body::Marker | Body::Test => unreachable!("rendered above"),
        }
        buf.push(b'}');
        if inst.gh_action && ev.version >= V080 {
            buf.extend_from_slice(b", \"source\": \"github-action\"");
        }
        buf.push(b'}');
    }
}

fn report_version(inst: &Inst, v: u8) -> u8 {
    if inst.mixed && v > 0 { v - 1 } else { v }
}

fn self_report(
    r: &mut Rand,
    inst: &Inst,
    findings: Option<&'static str>,
    compliance: Option<bool>,
) -> Body {
    let ci = inst.kind == Kind::Ci;
    let mut formats = 0u32;
    let probs: [f64; 8] = if ci {
        [0.9, 0.3, 0.2, 0.05, 0.85, 0.05, 0.03, 0.15]
    } else {
        [0.85, 0.55, 0.4, 0.08, 0.2, 0.05, 0.04, 0.02]
    };
    for (k, p) in probs.iter().enumerate() {
        if r.chance(*p) {
            formats |= 1 << k;
        }
    }
    if formats == 0 {
        formats = 1;
    }
    Body::Report {
        formats,
        findings: findings.unwrap_or_else(|| r.pick(&FINDINGS)),
        suppressions: inst.suppressions && r.chance(0.8),
        compliance: compliance
            .unwrap_or_else(|| r.chance(if inst.compliance { 0.8 } else { 0.05 })),
    }
}

fn random_targets(r: &mut Rand, ci: bool) -> [u32; 6] {
    let mut t = [0u32; 6];
    let weights = [(0usize, 70), (1, 12), (2, 6), (3, 8), (4, 2), (5, 2)];
    let count = |r: &mut Rand| -> u32 {
        let c = r.pick(&[(1u32, 75), (2, 15), (4, 7), (20, 3)]);
        let c = if c > 1 {
            r.range(c as i64, c as i64 * 3) as u32
        } else {
            c
        };
        if ci { c * r.range(1, 3) as u32 } else { c }
    };
    if r.chance(if ci { 0.45 } else { 0.22 }) {
        let kinds = r.range(2, 3);
        let mut got = 0;
        while got < kinds {
            let k = r.pick(&weights);
            if t[k] == 0 {
                t[k] = count(r);
                got += 1;
            }
        }
    } else {
        let k = r.pick(&weights);
        t[k] = count(r);
    }
    t
}

// ---------------------------------------------------------------------------
// JSON and time formatting (Python json.dumps / isoformat style)
// ---------------------------------------------------------------------------

fn int(buf: &mut Vec<u8>, n: i64) {
    let mut tmp = [0u8; 24];
    let mut i = tmp.len();
    let neg = n < 0;
    let mut u = n.unsigned_abs();
    loop {
        i -= 1;
        tmp[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        tmp[i] = b'-';
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// A JSON string as Python's `json.dumps` (ensure_ascii) writes it.
fn json_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    for c in s.chars() {
        match c {
            '"' => buf.extend_from_slice(b"\\\""),
            '\\' => buf.extend_from_slice(b"\\\\"),
            '\n' => buf.extend_from_slice(b"\\n"),
            '\r' => buf.extend_from_slice(b"\\r"),
            '\t' => buf.extend_from_slice(b"\\t"),
            '\u{8}' => buf.extend_from_slice(b"\\b"),
            '\u{c}' => buf.extend_from_slice(b"\\f"),
            ' '..='~' => buf.push(c as u8),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    buf.extend_from_slice(format!("\\u{:04x}", u).as_bytes());
                }
            }
        }
    }
    buf.push(b'"');
}

fn kv_str(buf: &mut Vec<u8>, k: &str, v: &str) {
    json_str(buf, k);
    buf.extend_from_slice(b": ");
    json_str(buf, v);
}
fn kv_opt(buf: &mut Vec<u8>, k: &str, v: Option<&str>) {
    match v {
        Some(v) => kv_str(buf, k, v),
        None => {
            json_str(buf, k);
            buf.extend_from_slice(b": null");
        }
    }
}
fn kv_int(buf: &mut Vec<u8>, k: &str, v: i64) {
    json_str(buf, k);
    buf.extend_from_slice(b": ");
    int(buf, v);
}
fn kv_bool(buf: &mut Vec<u8>, k: &str, v: bool) {
    json_str(buf, k);
    buf.extend_from_slice(if v { b": true" } else { b": false" });
}
fn str_list(buf: &mut Vec<u8>, names: &[&str], mask: u32) {
    buf.push(b'[');
    let mut first = true;
    for (i, n) in names.iter().enumerate() {
        if mask & (1 << i) != 0 {
            if !first {
                buf.extend_from_slice(b", ");
            }
            first = false;
            json_str(buf, n);
        }
    }
    buf.push(b']');
}

fn uuid_fmt(buf: &mut Vec<u8>, id: u128) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            buf.push(b'-');
        }
        buf.push(HEX[((id >> (124 - 4 * i)) & 0xf) as usize]);
    }
}

fn pad(buf: &mut Vec<u8>, n: i64, width: usize) {
    let mut tmp = [b'0'; 8];
    let mut u = n as u64;
    for i in (0..width).rev() {
        tmp[i] = b'0' + (u % 10) as u8;
        u /= 10;
    }
    buf.extend_from_slice(&tmp[..width]);
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `ts` in microseconds since the epoch; `zero_micros` forces .000000 (dropped).
fn ts_fmt(buf: &mut Vec<u8>, ts: i64, style: TsStyle, zero_micros: bool) {
    let offset_min = match style {
        TsStyle::Offset(m) => m as i64,
        _ => 0,
    };
    let local = ts + offset_min * MIN;
    let secs = local.div_euclid(SEC);
    let micros = if zero_micros {
        0
    } else {
        local.rem_euclid(SEC)
    };
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    pad(buf, y, 4);
    buf.push(b'-');
    pad(buf, mo, 2);
    buf.push(b'-');
    pad(buf, d, 2);
    buf.push(b'T');
    pad(buf, sod / 3600, 2);
    buf.push(b':');
    pad(buf, sod / 60 % 60, 2);
    buf.push(b':');
    pad(buf, sod % 60, 2);
    match style {
        TsStyle::Zulu => buf.push(b'Z'),
        TsStyle::Python | TsStyle::Offset(_) => {
            if micros != 0 {
                buf.push(b'.');
                pad(buf, micros, 6);
            }
            let sign = if offset_min < 0 { b'-' } else { b'+' };
            buf.push(sign);
            pad(buf, offset_min.abs() / 60, 2);
            buf.push(b':');
            pad(buf, offset_min.abs() % 60, 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_std_closely() {
        for x in [1e-12, 0.001, 0.5, 0.9999, 1.0, 2.0, 1234.5] {
            assert!((det_ln(x) - x.ln()).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn python_escapes() {
        let mut b = Vec::new();
        json_str(&mut b, "ci-🔒 é\"");
        assert_eq!(
            String::from_utf8(b).unwrap(),
            r#""ci-\ud83d\udd12 \u00e9\"""#
        );
    }

    #[test]
    fn timestamps() {
        let mut b = Vec::new();
        ts_fmt(&mut b, 1_763_562_720_173_975, TsStyle::Python, false);
        assert_eq!(b, b"2025-11-19T14:32:00.173975+00:00");
        b.clear();
        ts_fmt(&mut b, 1_763_562_720_173_975, TsStyle::Offset(-300), true);
        assert_eq!(b, b"2025-11-19T09:32:00-05:00");
        b.clear();
        ts_fmt(&mut b, 1_763_562_720_173_975, TsStyle::Zulu, false);
        assert_eq!(b, b"2025-11-19T14:32:00Z");
    }
}
