//! One line of JSONL → one typed [`Event`], or the short reason it is invalid.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::schema::{Common, Event, Payload, Text};
use super::time::parse_timestamp;

/// Why a line is not a valid event (short, for a human).
pub type Reason = Cow<'static, str>;

/// What a non-empty line turned out to be.
// Returned by value once per line: boxing the event would allocate per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed<'a> {
    /// A valid event.
    Event(Event<'a>),
    /// An invalid line and why.
    Invalid(Reason),
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: Text<'a>,
    #[serde(borrow, default)]
    version: Option<Text<'a>>,
    #[serde(borrow, default)]
    platform: Option<Text<'a>>,
    #[serde(borrow, default)]
    python_version: Option<Text<'a>>,
    #[serde(borrow, default)]
    anonymous_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<Text<'a>>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
}

/// Parses one line (without its line end; a UTF-8 BOM is the caller's job).
pub fn parse_line(line: &str) -> Parsed<'_> {
    match parse_event(line) {
        Ok(event) => Parsed::Event(event),
        Err(reason) => Parsed::Invalid(reason),
    }
}

fn parse_event(line: &str) -> Result<Event<'_>, Reason> {
    let mut event = Event::empty();
    parse_into(line, &mut event)?;
    Ok(event)
}

/// [`parse_line`] into `out` (an [`Event::empty`]), for the reader's hot
/// loop: the common case is built in place, without copies of the event.
#[inline]
pub fn parse_into<'a>(line: &'a str, out: &mut Event<'a>) -> Result<(), Reason> {
    if super::fast::parse_into(line, out).is_err() {
        *out = parse_event_serde(line)?;
    }
    Ok(())
}

/// [`parse_into`] for a clean line the reader has already scanned into
/// `quotes` with [`scan_line`](super::fast::scan_line).
#[inline]
pub(crate) fn parse_into_scanned<'a>(
    line: &'a str,
    quotes: &super::fast::Quotes,
    out: &mut Event<'a>,
) -> Result<(), Reason> {
    if super::fast::parse_scanned(line, quotes, out).is_err() {
        *out = parse_event_serde(line)?;
    }
    Ok(())
}

/// The reference path (serde_json): decides and explains every line the
/// fast path gives up on. Public for the differential tests only.
#[doc(hidden)]
pub fn parse_line_serde(line: &str) -> Parsed<'_> {
    match parse_event_serde(line) {
        Ok(event) => Parsed::Event(event),
        Err(reason) => Parsed::Invalid(reason),
    }
}

/// The fast path alone: `None` when it gives up. Public for the
/// differential tests only.
#[doc(hidden)]
pub fn parse_line_fast(line: &str) -> Option<Event<'_>> {
    super::fast::parse(line).ok()
}

fn parse_event_serde(line: &str) -> Result<Event<'_>, Reason> {
    // Before `{` too (a review: `trim_start` below drops Unicode's spaces,
    // and serde then said "expected value at column 1").
    if let Some(why) = invisible_start(line) {
        return Err(Cow::Owned(format!("not valid JSON: {why}")));
    }
    let trimmed = line.trim_start();
    if !trimmed.starts_with('{') {
        return Err(
            if serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok() {
                Cow::Borrowed("not a JSON object")
            } else {
                Cow::Owned(format!("not valid JSON: {}", json_error(line)))
            },
        );
    }
    let env: Envelope<'_> = match serde_json::from_str(line) {
        Ok(env) => env,
        Err(_) => return Err(explain::<Envelope<'_>>(line, "", "")),
    };
    let timestamp = match env.timestamp.as_deref() {
        None => return Err(Cow::Borrowed("missing `timestamp`")),
        Some(ts) => parse_timestamp(ts).map_err(Cow::Borrowed)?,
    };
    let payload = match env.event.as_ref() {
        "scan.started" => Payload::ScanStarted(metadata(env.metadata, line)?),
        "scan.completed" => Payload::ScanCompleted(metadata(env.metadata, line)?),
        "tool.failed" => Payload::ToolFailed(metadata(env.metadata, line)?),
        "wizard.completed" => Payload::WizardCompleted(metadata(env.metadata, line)?),
        "report.generated" => Payload::ReportGenerated(metadata(env.metadata, line)?),
        "policy.evaluated" => Payload::PolicyEvaluated(metadata(env.metadata, line)?),
        "test" | "test.event" => Payload::Test,
        "telemetry.initialized" => Payload::Marker,
        "" => return Err(Cow::Borrowed("`event` is empty")),
        _ => Payload::Unknown,
    };
    Ok(Event {
        name: env.event,
        common: Common {
            version: env.version,
            platform: env.platform,
            python_version: env.python_version,
            anonymous_id: env.anonymous_id,
        },
        timestamp,
        payload,
    })
}

/// Deserialises a known type's metadata; absent or `null` metadata means
/// every field is missing. An array is refused: serde_json would read a
/// struct from it by position (`["cli", "fast"]` as mode and profile),
/// which no client writes and no other reader (jq, Python) does.
///
/// `line` is the line the metadata was read from: a reason's column counts
/// from its start (a lone surrogate in a metadata string was said to be at
/// the column in the metadata, 37 for 240).
fn metadata<'a, T>(raw: Option<&'a RawValue>, line: &'a str) -> Result<T, Reason>
where
    T: Deserialize<'a> + Default,
{
    let Some(raw) = raw else {
        return Ok(T::default());
    };
    if raw.get().starts_with('[') {
        return Err(Cow::Borrowed(
            "`metadata`: invalid type: an array, expected an object or null",
        ));
    }
    let text = raw.get();
    // The metadata is a slice of the line (borrowed), so the text before it
    // is the line up to where it starts.
    let start = (text.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    let before = line.get(..start).unwrap_or("");
    serde_json::from_str(text).map_err(|_| explain::<T>(text, before, "metadata"))
}

/// Re-parses a failed document with a path-tracking deserialiser to name the
/// field at fault. Only runs on invalid lines, so the happy path stays fast.
/// `before` is the line's text before `text`, which columns count too.
fn explain<'a, T: Deserialize<'a>>(text: &'a str, before: &str, prefix: &str) -> Reason {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        // The value was whole: what follows it is what failed (`{…} x`).
        Ok(_) => match de.end() {
            Err(err) => Cow::Owned(format!(
                "not valid JSON: {}",
                strip_position(&err, text, before)
            )),
            Ok(()) => Cow::Borrowed("invalid event"),
        },
        Err(err) => {
            let path = err.path().to_string();
            // The one map whose keys a client chooses: its key as
            // `shown_key` writes it (the value at fault is a scalar's, so
            // the key is the rest of the path).
            let path = match path.strip_prefix("target_types.") {
                Some(key) if super::schema::target_type_bit(key.as_bytes()).is_none() => {
                    format!("target_types.{}", super::schema::shown_key(key))
                }
                _ => path,
            };
            let inner = err.into_inner();
            let what = strip_position(&inner, text, before);
            let what = without_string_value(&what);
            let what = plain_types(&integer_beyond_64_bits(&what, text, inner.column()));
            let field = match (prefix.is_empty(), path.as_str()) {
                (true, ".") => String::new(),
                (true, p) => p.to_string(),
                (false, ".") => prefix.to_string(),
                (false, p) => format!("{prefix}.{p}"),
            };
            if inner.is_syntax() || inner.is_eof() {
                Cow::Owned(format!("not valid JSON: {what}"))
            } else if field.is_empty() {
                Cow::Owned(what)
            } else {
                Cow::Owned(format!("`{field}`: {what}"))
            }
        }
    }
}

/// serde's message with the string it quotes (`invalid type: string
/// "ghp_…", expected a boolean`) said as `validate` says it, by its length:
/// a client can put anything in a field, and the message went whole to the
/// terminal and to the summary's `input.problems` (a review: a token, and a
/// 100 KB warning from one line).
fn without_string_value(msg: &str) -> String {
    for kind in ["invalid type: ", "invalid value: "] {
        let marker = format!("{kind}string \"");
        let Some(at) = msg.find(&marker) else {
            continue;
        };
        // serde writes the string as Rust's `{:?}` does: `\` before `"`,
        // `\` and the escapes it writes (`\n`, `\u{1b}`).
        let rest = &msg[at + marker.len()..];
        let mut chars = rest.char_indices();
        let mut count = 0usize;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    let tail = &rest[i + 1..];
                    return format!(
                        "{}{kind}a string of {}{tail}",
                        &msg[..at],
                        crate::render::text::plural(count, "char")
                    );
                }
                '\\' => {
                    if let Some((_, 'u')) = chars.next() {
                        chars.by_ref().take_while(|&(_, c)| c != '}').for_each(drop);
                    }
                }
                _ => {}
            }
            count += 1;
        }
    }
    msg.to_owned()
}

/// serde's message with Rust's type names said in words, as `validate`
/// says them (a review: `expected i64`).
fn plain_types(msg: &str) -> String {
    const WORDS: [(&str, &str); 6] = [
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
        ("expected i64", "expected an integer"),
        ("expected u64", "expected an integer of 0 or more"),
        ("expected u32", "expected an integer of 0 or more"),
        ("expected f64", "expected a number"),
    ];
    // The type ends serde's message (`invalid type: …, expected i64`);
    // a payload's is its struct's name (`expected struct ScanStarted`).
    if let Some((head, name)) = msg.rsplit_once("expected struct ")
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return format!("{head}expected an object");
    }
    WORDS
        .iter()
        .find_map(|(rust, words)| msg.strip_suffix(rust).map(|head| format!("{head}{words}")))
        .unwrap_or_else(|| msg.to_owned())
}

/// serde's message for an integer past 64 bits, which serde_json reads
/// as a float (`invalid type: floating point `1.8446744073709552e+19`,
/// expected i64`), said as what the client wrote: an integer of so many
/// digits. `column` is where serde_json stopped: at the number's last
/// byte in `text`.
fn integer_beyond_64_bits(msg: &str, text: &str, column: usize) -> String {
    const FLOAT: &str = "invalid type: floating point `";
    let Some(at) = msg.find(FLOAT) else {
        return msg.to_owned();
    };
    let Some(end) = msg[at + FLOAT.len()..]
        .find('`')
        .map(|e| at + FLOAT.len() + e + 1)
    else {
        return msg.to_owned();
    };
    let head = text.as_bytes().get(..column).unwrap_or_default();
    let start = head
        .iter()
        .rposition(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')))
        .map_or(0, |p| p + 1);
    let literal = &head[start..];
    let digits = literal.strip_prefix(b"-").unwrap_or(literal);
    // One that fits is a float to serde_json for another reason (`-0`,
    // read as `-0.0`; a review: told as past 64 bits).
    let fits = std::str::from_utf8(literal)
        .is_ok_and(|t| t.parse::<i64>().is_ok() || t.parse::<u64>().is_ok());
    if fits || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return msg.to_owned();
    }
    format!(
        "{}invalid type: an integer of {} digits, past 64 bits{}",
        &msg[..at],
        digits.len(),
        &msg[end..]
    )
}

fn json_error(text: &str) -> String {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => "unknown error".into(),
        Err(e) => strip_position(&e, text, ""),
    }
}

/// A line whose first character past JSON's white space (space, tab, CR,
/// LF) is one that shows nothing, named: it looks blank or fine in an
/// editor, and "expected value at column 1" did not say why (a review: a
/// byte-order mark further down the file, a form feed, a no-break space).
pub(crate) fn invisible_start(text: &str) -> Option<String> {
    let (at, c) =
        (text.chars().enumerate()).find(|(_, c)| !matches!(c, ' ' | '\t' | '\r' | '\n'))?;
    let name = match c {
        '\u{FEFF}' => "a byte-order mark",
        '\u{A0}' => "a no-break space",
        '\u{C}' => "a form feed",
        '\u{B}' => "a vertical tab",
        c if c.is_whitespace() => "a space JSON does not allow",
        c if crate::render::text::is_unsafe_char(c) => "a character that shows nothing",
        _ => return None,
    };
    Some(format!(
        "U+{:04X} ({name}) at column {}: JSON allows only spaces, tabs and line ends around a \
         value",
        u32::from(c),
        at + 1
    ))
}

/// serde_json appends " at line 1 column N" (the line is always 1: one
/// event a line); keep the column, drop the line. serde_json counts bytes;
/// the column given is in characters of `before` and `text` (the part of
/// the line before the text parsed, and that text), as an editor counts them.
pub fn strip_position(err: &serde_json::Error, text: &str, before: &str) -> String {
    let msg = err.to_string();
    match msg.rfind(" at line ") {
        Some(i) if err.is_syntax() || err.is_eof() => {
            // serde_json names a control character in a string at its byte
            // when it reads the string, and at the byte before it when it
            // skips one (a field the type does not hold): `summary` said
            // one column less than `validate` (a review).
            let mut at = err.column();
            let bytes = text.as_bytes();
            if msg.starts_with("control character")
                && bytes.get(at.wrapping_sub(1)).is_none_or(|&b| b >= 0x20)
                && bytes.get(at).is_some_and(|&b| b < 0x20)
            {
                at += 1;
            }
            let column = char_column(before.as_bytes(), before.len()) - 1
                + char_column(bytes, at.saturating_sub(1));
            let what = unpaired_surrogate(&msg[..i], text, err.column())
                .unwrap_or_else(|| msg[..i].to_owned());
            format!("{what} at column {column}")
        }
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

/// serde_json's words for a surrogate escape without its other half
/// (`"\ud800"` read "unexpected end of hex escape", a lone `\udc00` "lone
/// leading surrogate"), said plainly with the escape, when the last `\u`
/// escape before byte `end` of `text` is a surrogate.
fn unpaired_surrogate(what: &str, text: &str, end: usize) -> Option<String> {
    if !matches!(
        what,
        "unexpected end of hex escape" | "lone leading surrogate in hex escape"
    ) {
        return None;
    }
    // The escape serde_json stopped at (`last`), or the one right before
    // it when that is a high surrogate: `\ud800\u0041` and
    // `\ud800\udbff\udc00` stop after the second, but the first is the
    // one without its other half (a review).
    let head = text.get(..end.min(text.len()))?;
    let unit = |at: usize| -> Option<u16> {
        let hex = text.get(at + 2..at + 6)?;
        hex.bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u16::from_str_radix(hex, 16).ok())
            .flatten()
    };
    let last = head.rfind("\\u")?;
    let before = head[..last].rfind("\\u").filter(|&at| at + 6 == last);
    let high = |at: &usize| unit(*at).is_some_and(|u| (0xD800..=0xDBFF).contains(&u));
    let surrogate = |at: &usize| unit(*at).is_some_and(|u| (0xD800..=0xDFFF).contains(&u));
    let at = (before.filter(high))
        .or(Some(last).filter(surrogate))
        .or(before.filter(surrogate))?;
    Some(format!(
        "unpaired surrogate escape `\\u{}` (a UTF-16 surrogate needs its other half: \\uD800-\\uDBFF then \\uDC00-\\uDFFF)",
        &text[at + 2..at + 6]
    ))
}

/// The 1-based column, in characters, of byte `at` (0-based) of `line`:
/// one more than the characters before it (their UTF-8 lead bytes; an
/// invalid byte counts as one).
pub fn char_column(line: &[u8], at: usize) -> usize {
    // Continuation bytes are 0b10xx_xxxx; every other byte starts a character.
    let before = line[..at.min(line.len())]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count();
    before + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::schema::{EventClass, TargetTypes};

    fn event(line: &str) -> Event<'_> {
        match parse_line(line) {
            Parsed::Event(e) => e,
            Parsed::Invalid(r) => panic!("expected a valid event, got {r}: {line}"),
        }
    }

    fn reason(line: &str) -> String {
        match parse_line(line) {
            Parsed::Event(e) => panic!("expected invalid, got {e:?}"),
            Parsed::Invalid(r) => r.into_owned(),
        }
    }

    const STARTED: &str = r#"{"event": "scan.started", "version": "0.7.0", "platform": "Linux", "python_version": "3.11", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2025-10-19T14:32:00Z", "metadata": {"mode": "cli", "profile": "balanced", "tools": ["trufflehog", "semgrep"], "target_types": {"repos": 3, "images": 1, "urls": 0, "iac": 0, "gitlab": 0, "k8s": 0}, "ci_detected": false, "multi_target_scan": true, "compliance_usage": true, "total_targets_bucket": "2-5", "scan_frequency_hint": "daily"}}"#;

    #[test]
    fn bytes_after_a_whole_event_are_named_as_such() {
        // The column of the first byte that is not white space.
        for (tail, at) in [(" x", 2), ("\u{0}", 1), (" {}", 2)] {
            let at = STARTED.len() + at;
            assert_eq!(
                reason(&format!("{STARTED}{tail}")),
                format!("not valid JSON: trailing characters at column {at}"),
                "{tail:?}"
            );
        }
    }

    /// At the control character's own column, whether serde_json reads the
    /// string (a field the event holds) or skips it (one it does not, the
    /// raw metadata): skipped ones were said a column early (a review).
    #[test]
    fn a_control_character_is_named_at_its_column_read_or_skipped() {
        let head = r#"{"event": "scan.completed", "timestamp": "2025-11-19T14:32:00Z", "#;
        for line in [
            "{\"a\": \"x\u{1}y\"}".to_owned(),
            "{\"é\": \"\u{1}\"}".to_owned(),
            format!("{head}\"metadata\": {{\"mode\": \"c\u{1}\"}}}}"),
            format!("{head}\"metadata\": {{\"zz\": \"é\u{1f}\"}}}}"),
            format!("{head}\"version\": \"c\u{1}\"}}"),
            "{\"event\": \"scan.\u{1}\"}".to_owned(),
        ] {
            let at = line.chars().position(|c| c < ' ').unwrap() + 1;
            assert_eq!(
                reason(&line),
                format!(
                    "not valid JSON: control character (\\u0000-\\u001F) found while parsing a \
                     string at column {at}"
                ),
                "{line:?}"
            );
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // "é€😀" is 9 bytes and 3 characters: an editor puts the `x` at 77.
        let line =
            r#"{"event":"scan.started","timestamp":"2026-01-01T00:00:00Z","platform":"é€😀" x}"#;
        assert_eq!(line.find(" x").unwrap() + 2, 83);
        assert_eq!(
            reason(line),
            "not valid JSON: expected `,` or `}` at column 77"
        );
        let line = format!("{STARTED} é");
        assert_eq!(
            reason(&line),
            format!(
                "not valid JSON: trailing characters at column {}",
                STARTED.len() + 2
            )
        );
        let line = "{\"a\": \"😀\", ";
        assert_eq!(
            reason(line),
            "not valid JSON: EOF while parsing a value at column 11"
        );
        // An error inside the metadata, which is parsed on its own, counts
        // from the line's start too (a lone surrogate in a string: serde_json
        // lets it pass in the raw metadata and stops on it in the struct).
        let line = r#"{"event": "scan.started", "platform": "é", "timestamp": "2026-01-01T00:00:00Z", "metadata": {"mode": "cli", "profile": "caf\udce9"}}"#;
        let escape_end = line.chars().count() - 3;
        assert_eq!(
            reason(line),
            format!(
                "not valid JSON: unpaired surrogate escape `\\udce9` (a UTF-16 surrogate needs its \
                 other half: \\uD800-\\uDBFF then \\uDC00-\\uDFFF) at column {escape_end}"
            )
        );
        assert_eq!(char_column(b"", 0), 1);
        assert_eq!(char_column("😀".as_bytes(), 4), 2);
        assert_eq!(char_column("😀".as_bytes(), 9), 2);
    }

    #[test]
    fn long_lists_keep_every_item_in_order_on_both_paths() {
        let tools: Vec<String> = (0..40).map(|i| format!("tool-{i}")).collect();
        let quoted: Vec<String> = tools.iter().map(|t| format!("{t:?}")).collect();
        let list = |items: &[String]| {
            STARTED.replace(
                r#"["trufflehog", "semgrep"]"#,
                &format!("[{}]", items.join(", ")),
            )
        };
        let plain = list(&quoted);
        // An escape (owned, not borrowed) sends the line down serde's path.
        let mut escaped = quoted.clone();
        escaped[33] = r#""tool-\u0033""#.into();
        let escaped = list(&escaped);
        let mut unescaped = tools.clone();
        unescaped[33] = "tool-3".into();
        let serde = |line| match parse_line_serde(line) {
            Parsed::Event(e) => Some(e),
            Parsed::Invalid(r) => panic!("{r}"),
        };
        for (how, parsed, expected) in [
            ("fast", parse_line_fast(&plain), &tools),
            ("serde", serde(&plain), &tools),
            ("serde, escaped", serde(&escaped), &unescaped),
        ] {
            let Some(Event {
                payload: Payload::ScanStarted(s),
                ..
            }) = parsed
            else {
                panic!("{how}: not a scan.started")
            };
            let got: Vec<&str> = s.tools.as_ref().unwrap().iter().collect();
            assert_eq!(&got, expected, "{how}");
        }
    }

    #[test]
    fn list_texts_read_as_their_items() {
        for (list, items) in [
            ("[]", &[][..]),
            (r#"[""]"#, &[""][..]),
            (r#"[ "a" ,"b" ]"#, &["a", "b"][..]),
            (r#"["a","a", "é"]"#, &["a", "a", "é"][..]),
        ] {
            let line = STARTED.replace(r#"["trufflehog", "semgrep"]"#, list);
            let fast = parse_line_fast(&line).unwrap_or_else(|| panic!("fast path on {list}"));
            let Payload::ScanStarted(s) = &fast.payload else {
                panic!()
            };
            let tools = s.tools.as_ref().unwrap();
            assert!(tools.iter().eq(items.iter().copied()), "{list}: {tools:?}");
            assert_eq!(tools.is_empty(), items.is_empty());
            let Parsed::Event(serde) = parse_line_serde(&line) else {
                panic!("serde on {list}")
            };
            assert_eq!(fast, serde, "{list}");
        }
    }

    #[test]
    fn parses_the_guides_example() {
        let e = event(STARTED);
        assert_eq!(e.name, "scan.started");
        assert_eq!(e.class(), EventClass::Usage);
        assert_eq!(e.common.platform.as_deref(), Some("Linux"));
        let Payload::ScanStarted(s) = e.payload else {
            panic!()
        };
        assert_eq!(s.mode.as_deref(), Some("cli"));
        assert!(s.tools.unwrap().iter().eq(["trufflehog", "semgrep"]));
        assert_eq!(
            s.target_types,
            Some(TargetTypes {
                non_zero: 2,
                total: 4
            })
        );
        assert_eq!(s.ci_detected, Some(false));
        assert_eq!(s.scan_frequency_hint.as_deref(), Some("daily"));
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let e = event(STARTED);
        assert!(e.common.version.unwrap().is_borrowed());
        let line = r#"{"event": "scan.started", "timestamp": "2025-10-19T14:32:00Z", "metadata": {"profile": "\u00e9quipe \ud83d\ude80"}}"#;
        let Payload::ScanStarted(s) = event(line).payload else {
            panic!()
        };
        assert_eq!(s.profile.as_deref(), Some("équipe 🚀"));
    }

    #[test]
    fn missing_optional_fields_and_unknown_extras_are_fine() {
        let line = r#"{"event": "scan.completed", "timestamp": "2025-10-19T14:32:00.5+02:00", "extra": [1, {"x": null}], "metadata": {"mode": "docker", "new_field": 7}}"#;
        let e = event(line);
        assert_eq!(e.common, Common::default());
        let Payload::ScanCompleted(c) = e.payload else {
            panic!()
        };
        assert_eq!(c.mode.as_deref(), Some("docker"));
        assert_eq!(c.duration_bucket, None);
        let no_meta = r#"{"event": "wizard.completed", "timestamp": "2025-10-19T14:32:00Z", "metadata": null}"#;
        assert!(matches!(
            event(no_meta).payload,
            Payload::WizardCompleted(_)
        ));
    }

    #[test]
    fn a_late_fast_path_bail_leaves_no_trace() {
        // The fast path fills the common fields, then gives up on metadata
        // nested deeper than it reads (serde_json reads it).
        let line = format!(
            r#"{{"event": "scan.completed", "platform": "Linux", "timestamp": "2025-10-19T00:00:00Z", "metadata": {{"mode": "cli", "x": {}{}}}}}"#,
            "[".repeat(110),
            "]".repeat(110)
        );
        let line = line.as_str();
        assert!(crate::event::fast::parse(line).is_err());
        let mut out = Event::empty();
        parse_into(line, &mut out).unwrap();
        let Parsed::Event(reference) = parse_line_serde(line) else {
            panic!("serde refused {line}")
        };
        assert_eq!(out, reference);
        let Payload::ScanCompleted(c) = out.payload else {
            panic!()
        };
        assert_eq!(c.mode.as_deref(), Some("cli"));
    }

    #[test]
    fn classes() {
        let t = event(r#"{"event": "test", "timestamp": "2025-10-19T12:00:00Z"}"#);
        assert_eq!(t.class(), EventClass::Test);
        let t = event(
            r#"{"event": "test.event", "timestamp": "2025-10-19T12:00:00Z", "metadata": {"message": 5}}"#,
        );
        assert_eq!(t.class(), EventClass::Test);
        let m = event(
            r#"{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "JMo Security Telemetry Backend"}"#,
        );
        assert_eq!(m.class(), EventClass::Marker);
        let u = event(
            r#"{"event": "diff.generated", "timestamp": "2025-10-19T00:00:00Z", "metadata": [1]}"#,
        );
        assert_eq!(u.class(), EventClass::Usage);
        assert!(matches!(u.payload, Payload::Unknown));
    }

    /// serde_json called `"\ud800"` "unexpected end of hex escape" and a
    /// lone `\udc00` "lone leading surrogate" (a review).
    #[test]
    fn an_unpaired_surrogate_is_named() {
        let line = |v: &str| {
            format!(
                r#"{{"event": "scan.started", "timestamp": "2026-01-01T00:00:00Z", "metadata": {{"mode": {v}}}}}"#
            )
        };
        let said = |hex: &str| {
            format!(
                "unpaired surrogate escape `\\u{hex}` (a UTF-16 surrogate needs its other half: \\uD800-\\uDBFF then \\uDC00-\\uDFFF)"
            )
        };
        for (v, hex) in [
            (r#""\ud800""#, "ud800"),
            (r#""\ud800x""#, "ud800"),
            (r#""\uDC00""#, "uDC00"),
            (r#""ok \ud800\u0041""#, "ud800"),
            (r#""\ud800\udbff\udc00""#, "ud800"),
            (r#""\ud83d\ude80\udc00""#, "udc00"),
        ] {
            let hex = &hex[1..];
            let r = reason(&line(v));
            assert!(
                r.starts_with(&format!("not valid JSON: {}", said(hex))),
                "{v}: {r}"
            );
        }
        // Other escapes keep serde_json's words; a pair is no problem.
        assert!(reason(&line(r#""\u12""#)).starts_with("not valid JSON: invalid escape"));
        assert!(matches!(
            parse_line(&line(r#""\ud83d\ude80""#)),
            Parsed::Event(_)
        ));
    }

    #[test]
    fn invalid_lines_name_the_problem() {
        assert_eq!(reason("[1, 2]"), "not a JSON object");
        assert_eq!(reason("\"x\""), "not a JSON object");
        assert!(reason("garbage").starts_with("not valid JSON: expected value"));
        // Characters that show nothing are named (a review).
        for (line, said) in [
            ("\u{feff}{}", "U+FEFF (a byte-order mark) at column 1"),
            (" \u{c}", "U+000C (a form feed) at column 2"),
            ("\u{a0}", "U+00A0 (a no-break space) at column 1"),
            (
                "\t\u{200b}{}",
                "U+200B (a character that shows nothing) at column 2",
            ),
            // Before an object too, where `trim_start` had dropped them.
            ("\u{a0}{}", "U+00A0 (a no-break space) at column 1"),
            (
                " \u{3000}{\"event\": \"x\"}",
                "U+3000 (a space JSON does not allow) at column 2",
            ),
            (
                "\u{2028}{}",
                "U+2028 (a space JSON does not allow) at column 1",
            ),
            (
                "\u{85}{}",
                "U+0085 (a space JSON does not allow) at column 1",
            ),
        ] {
            assert_eq!(
                reason(line),
                format!(
                    "not valid JSON: {said}: JSON allows only spaces, tabs and line ends \
                     around a value"
                ),
                "{line:?}"
            );
        }
        assert!(reason(r#"{"event": "scan.started", "timest"#).starts_with("not valid JSON: EOF"));
        assert_eq!(
            reason(r#"{"timestamp": "2025-10-19T00:00:00Z"}"#),
            "missing field `event`"
        );
        assert!(
            reason(r#"{"event": 5, "timestamp": "2025-10-19T00:00:00Z"}"#)
                .starts_with("`event`: invalid type: integer `5`")
        );
        assert_eq!(
            reason(r#"{"event": "scan.started"}"#),
            "missing `timestamp`"
        );
        assert!(
            reason(r#"{"event": "scan.started", "timestamp": "yesterday"}"#)
                .starts_with("timestamp is not RFC 3339")
        );
        let r = reason(
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"mode": 3}}"#,
        );
        assert!(
            r.starts_with("`metadata.mode`: invalid type: integer `3`, expected"),
            "{r}"
        );
        let r = reason(
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"tools": "trivy"}}"#,
        );
        assert!(
            r == "`metadata.tools`: invalid type: a string of 5 chars, expected a list",
            "{r}"
        );
        let r = reason(
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"repos": "3"}}}"#,
        );
        assert!(r.starts_with("`metadata.target_types.repos`:"), "{r}");
        // A target type listed twice: jq keeps the last count, a sum counts
        // it twice (one type read as `multi`); readers disagree, so the line
        // is invalid, as with any repeated field. Other keys too, escaped
        // or not; distinct keys are read.
        // A key no target type has is said by its length: a client chooses
        // it (a review found a token quoted whole).
        for (counts, key) in [
            (r#"{"repos": 1, "repos": 1}"#, "`repos`"),
            (r#"{"repos": 1, "images": 0, "repos": 0}"#, "`repos`"),
            (r#"{"repos":1,"re\u0070os":2}"#, "`repos`"),
            (r#"{"ftp": 1, "urls": 1, "ftp": 1}"#, "<key: 3 chars>"),
            (r#"{"ghp_\u00e9x": 1, "ghp_\u00e9x": 1}"#, "<key: 6 chars>"),
        ] {
            let r = reason(&format!(
                r#"{{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {{"target_types": {counts}}}}}"#
            ));
            assert_eq!(
                r,
                format!("`metadata.target_types`: the key {key} appears more than once")
            );
        }
        for (value, why) in [
            ("\"x\"", "a string of 1 char"),
            ("1.5", "floating point `1.5`"),
            ("1e3", "floating point `1000.0`"),
            ("-0", "floating point `-0.0`"),
            // serde_json reads an integer past 64 bits as a float (a
            // review: told as "floating point `1.8446744073709552e+19`").
            (
                "18446744073709551616",
                "an integer of 20 digits, past 64 bits",
            ),
            (
                "-99999999999999999999",
                "an integer of 20 digits, past 64 bits",
            ),
        ] {
            let r = reason(&format!(
                r#"{{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {{"target_types": {{"ghp_SECRET.a.b": {value}}}}}}}"#
            ));
            // Said in words, not Rust's `i64` (a review).
            assert_eq!(
                r,
                format!(
                    "`metadata.target_types.<key: 14 chars>`: invalid type: {why}, expected an \
                     integer"
                )
            );
        }
        let e = event(
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"target_types": {"ftp": 1, "urls": 1, "re\u0070os": 0, "k8s": 2}}}"#,
        );
        let Payload::ScanStarted(s) = e.payload else {
            panic!()
        };
        assert_eq!(
            s.target_types,
            Some(TargetTypes {
                non_zero: 3,
                total: 4
            })
        );
        let r = reason(
            r#"{"event": "report.generated", "timestamp": "2025-10-19T00:00:00Z", "metadata": "html"}"#,
        );
        // Said in words, not serde's `expected struct ReportGenerated`.
        assert_eq!(
            r,
            "`metadata`: invalid type: a string of 4 chars, expected an object"
        );
        // The string serde quotes is said by its length, its escapes each
        // one character; other values as serde says them.
        let r = reason(
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "metadata": {"ci_detected": "ghp_\"x\\\u001b\n\u00e9z"}}"#,
        );
        assert_eq!(
            r,
            "`metadata.ci_detected`: invalid type: a string of 11 chars, expected a boolean"
        );
        assert_eq!(
            without_string_value("invalid value: string \"a\", expected x"),
            "invalid value: a string of 1 char, expected x"
        );
        // An array is not read by position as serde_json would (modes
        // `cli`, profiles `fast`); an unknown type's metadata is not read.
        // The typed events: the usage events the audit's schema knows.
        use crate::audit::schema::{EVENTS, EventFamily};
        let typed: Vec<&str> = (EVENTS.iter())
            .filter(|e| e.family == EventFamily::Usage)
            .map(|e| e.name)
            .collect();
        assert_eq!(typed.len(), 6, "{typed:?}");
        for meta in [r#"["cli", "fast"]"#, "[]", " [ ]"] {
            for ty in &typed {
                let line = format!(
                    r#"{{"event": "{ty}", "timestamp": "2025-10-19T00:00:00Z", "metadata": {meta}}}"#
                );
                assert_eq!(
                    reason(&line),
                    "`metadata`: invalid type: an array, expected an object or null",
                    "{line}"
                );
                let before = format!(
                    r#"{{"metadata": {meta}, "event": "{ty}", "timestamp": "2025-10-19T00:00:00Z"}}"#
                );
                assert!(
                    reason(&before).starts_with("`metadata`: invalid type: an array"),
                    "{before}"
                );
            }
        }
        let r = reason(
            r#"{"event": "scan.started", "timestamp": "2025-10-19T00:00:00Z", "platform": "\ud800"}"#,
        );
        assert!(r.starts_with("not valid JSON"), "{r}");
        assert_eq!(
            reason(r#"{"event": "", "timestamp": "2025-10-19T00:00:00Z"}"#),
            "`event` is empty"
        );
    }
}
