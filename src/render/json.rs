//! JSON: the stable schema `jmo-analyze.summary/1` (see README).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use super::Renderer;
use super::text::is_unsafe_char;
use crate::metrics::Summary;

/// Writes `value` as pretty-printed JSON in which no string holds a character
/// that drives a terminal or hides text ([`is_unsafe_char`]): serde_json
/// escapes the C0 controls, and these also go out as `\uXXXX` (DEL, the C1
/// controls, bidirectional overrides, …), the same JSON value, so the output
/// can go to a terminal as it is; so do the spaces other than the ASCII one
/// (the no-break space: `Linux` and `Linux\u00a0` would look alike).
pub fn write_json<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> serde_json::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(writer, SafeFormatter(PrettyFormatter::new()));
    value.serialize(&mut ser)
}

/// `value` as JSON on one line, laid out as JMo's clients (Python's
/// `json.dumps`) write it, `{"event": "scan.started", "version": …}`, with
/// the strings escaped as [`write_json`] escapes them.
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeFormatter(ClientFormatter));
    value.serialize(&mut ser)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// One line, `", "` between members and items and `": "` after keys.
struct ClientFormatter;

impl Formatter for ClientFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// [`write_json`] into a new buffer, with a final newline.
pub fn json_bytes<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_json(&mut out, value)?;
    out.push(b'\n');
    Ok(out)
}

/// A formatter (serde_json's pretty one, or [`ClientFormatter`]), with
/// [`is_unsafe_char`] characters of strings escaped.
struct SafeFormatter<F>(F);

impl<F: Formatter> Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe_char(c) || (c.is_whitespace() && !c.is_ascii()) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // The layout is the inner formatter's.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Pretty-printed JSON, keys in a fixed order, a final newline.
pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn write_to(&self, summary: &Summary, out: &mut dyn Write) -> anyhow::Result<()> {
        // An I/O error stays one (a closed pipe ends the run quietly).
        write_json(&mut *out, summary).map_err(|e| match e.is_io() {
            true => anyhow::Error::from(io::Error::from(e)),
            false => e.into(),
        })?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_reach_a_terminal_escaped_and_read_back_the_same() {
        let value = serde_json::json!({
            "v": ["fast", "a\u{1b}[2J\u{7f}\u{9b}31m\u{202e}x\u{e0061}", "é ✓", " L\u{a0}\u{3000}\u{2009}x "]
        });
        let mut out = Vec::new();
        write_json(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\n  \"v\": [\n    \"fast\",\n    \
             \"a\\u001b[2J\\u007f\\u009b31m\\u202ex\\udb40\\udc61\",\n    \"é ✓\",\n    \
             \" L\\u00a0\\u3000\\u2009x \"\n  ]\n}"
        );
        // The same value, and the same layout as serde_json's pretty printer.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        let plain = serde_json::json!({"a": [1, {"b": null}], "c": {}, "d": []});
        assert_eq!(
            String::from_utf8(json_bytes(&plain).unwrap()).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap() + "\n"
        );
    }
}
