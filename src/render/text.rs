//! Making untrusted event strings safe for each output: terminal control
//! characters, Markdown and HTML markup, spreadsheet formulas; and counts
//! written with their noun.

use std::borrow::Cow;
use std::fmt;

/// `n` and `noun`, the noun with an `s` unless `n` is 1: `1 line`, `2 lines`.
pub fn plural<N: fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Replaces control characters (ANSI escapes, carriage returns, …) with their
/// `\u{…}` form so an event string cannot drive the terminal.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Escapes text for a Markdown table cell or list item: the inline markup
/// characters (emphasis, code, links, tables, strike-through) are
/// backslash-escaped, `<`/`>`/`&` become entities (no raw HTML), line breaks
/// and other control characters are shown escaped.
pub fn markdown_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal_safe(s).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.push_str(&format!("&#x{:x};", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Guards a CSV cell against formula injection: a cell that a spreadsheet
/// would evaluate (starting with `=`, `+`, `-`, `@`, tab or carriage return)
/// gets a leading `'`.
pub fn csv_safe(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("fast"), "fast");
        assert_eq!(terminal_safe("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(terminal_safe("x\ry"), "x\\u{d}y");
    }

    #[test]
    fn markdown_cannot_inject_markup() {
        assert_eq!(markdown_safe("a|b"), "a\\|b");
        assert_eq!(markdown_safe("<script>"), "&lt;script&gt;");
        assert_eq!(markdown_safe("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(markdown_safe("scan.started"), "scan.started");
        assert_eq!(
            markdown_safe("*a*_b_`c`~d~"),
            "\\*a\\*\\_b\\_\\`c\\`\\~d\\~"
        );
        assert_eq!(markdown_safe("line\nbreak"), "line\\\\u{a}break");
        assert_eq!(markdown_safe(">1000"), "&gt;1000");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<img src=x onerror='a'>&"),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;"
        );
    }

    #[test]
    fn csv_formulas_are_guarded() {
        for f in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_safe(f).starts_with('\''), "{f}");
        }
        assert_eq!(csv_safe(">1000"), ">1000");
        assert_eq!(csv_safe("osv-scanner"), "osv-scanner");
    }
}
