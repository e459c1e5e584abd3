//! `validate` and `audit`: prove the raw telemetry keeps its promises before
//! anything is published.
//!
//! - [`validate`]: every line against the typed schema of its event type ([`schema`]).
//! - [`scan`]: every key and value against the privacy rules ([`rules`]), plus
//!   the fingerprint tally of the common fields.
//! - [`report`]: mergeable accumulators and their text and JSON output.
//! - [`input`]: a file or stdin read in chunks of lines, checked in parallel.
//!
//! The per-line functions ([`validate_line`], [`audit_line`]) are pure and
//! allocation-light, so any chunked reader can call them from many threads and
//! merge the accumulators in order.

pub mod input;
pub mod json;
pub mod report;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod validate;

use crate::source::local::Input;

pub use report::{AuditReport, OutputFormat, ValidateReport};
pub use rules::Rule;
pub use scan::{Finding, FingerprintSummary, FingerprintTally, Location, audit_line};
pub use validate::{Problem, ProblemKind, Severity, ValidateOptions, validate_line};

/// What one line turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Empty or whitespace only: skipped.
    Blank,
    /// A JSON object (an event).
    Event,
    /// Not UTF-8, not JSON, or JSON but not an object.
    Invalid,
}

/// Validates every line of `reader`; `keep_all` keeps every problem (for JSON output).
pub fn validate_reader<'a>(
    input: impl Into<Input<'a>>,
    opts: &ValidateOptions,
    keep_all: bool,
) -> std::io::Result<ValidateReport> {
    let mut report = ValidateReport::new(keep_all);
    input::for_each_chunk(input.into(), input::CHUNK_BYTES, |chunk| {
        let part = chunk.par_fold(
            || (ValidateReport::new(keep_all), Vec::new()),
            |(acc, scratch), line_no, bytes| {
                let kind = match std::str::from_utf8(bytes) {
                    Ok(line) => validate_line(line_no, line, opts, scratch),
                    Err(_) => {
                        scratch.push(validate::invalid_utf8(line_no));
                        LineKind::Invalid
                    }
                };
                acc.add(kind, scratch);
            },
            |(a, scratch), (b, _)| (a.merge(b), scratch),
        );
        report = std::mem::take(&mut report).merge(part.0);
        if let Some(bytes) = chunk.too_long() {
            let problem = validate::too_long(chunk.first_line, bytes);
            report.add(LineKind::Invalid, &mut vec![problem]);
        }
    })?;
    report.finish();
    Ok(report)
}

/// Audits every line of `reader`.
pub fn audit_reader<'a>(input: impl Into<Input<'a>>) -> std::io::Result<AuditReport> {
    let mut report = AuditReport::default();
    input::for_each_chunk(input.into(), input::CHUNK_BYTES, |chunk| {
        let part = chunk.par_fold(
            || (AuditReport::default(), Vec::new()),
            |(acc, scratch), line_no, bytes| {
                // Lossy decoding only for the rare line that is not UTF-8.
                let (line, utf8) = match std::str::from_utf8(bytes) {
                    Ok(line) => (std::borrow::Cow::Borrowed(line), true),
                    Err(_) => (String::from_utf8_lossy(bytes), false),
                };
                let kind = audit_line(line_no, &line, utf8, scratch, acc.fingerprint_mut());
                acc.add(kind, scratch);
            },
            |(a, scratch), (b, _)| (a.merge(b), scratch),
        );
        report = std::mem::take(&mut report).merge(part.0);
        if let Some(bytes) = chunk.too_long() {
            // Unread, so unchecked: a privacy check cannot pass it.
            let finding = scan::too_long(chunk.first_line, bytes);
            report.add(LineKind::Invalid, &mut vec![finding]);
        }
    })?;
    report.finish();
    Ok(report)
}
