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

/// How many characters `s` has: `1 char`, `40 chars`.
pub fn chars(s: &str) -> String {
    plural(s.chars().count(), "char")
}

/// A client's text shown by its length only: `<key: 40 chars>`.
pub fn by_length(what: &str, s: &str) -> String {
    format!("<{what}: {}>", chars(s))
}

/// Replaces control characters (ANSI escapes, carriage returns, …) with their
/// `\u{…}` form so an event string cannot drive the terminal; also the
/// invisible characters that reorder or hide text (bidirectional overrides
/// and isolates, zero-width characters, line and paragraph separators, tag
/// characters, variation selectors, fillers and every other default-ignorable
/// code point), so a value reads as what it is (`fast` and `fast\u{3164}`
/// are two rows that would both read `fast`), and the noncharacters
/// (U+FFFE, U+FFFF, …) that XML forbids, so a chart label keeps its SVG well
/// formed. Spaces that would not show are escaped too: every space
/// character but the ASCII one (a no-break space reads as a space), and an
/// ASCII space at either end or after another (a table cell or a web page
/// trims or merges them), so `Linux`, `Linux ` and `Linux\u{a0}` read as
/// three values. A backslash is shown doubled, so no client text can pass
/// for the escape form: `fast\\u{3164}` is the text a client sent, never
/// the character.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    shown(s, Shown::Value)
}

/// [`terminal_safe`] for the report's own sentences, which hold values
/// already shown escaped (in `code` spans): only what drives a terminal or
/// hides text is escaped, so escaping twice changes nothing, and the
/// sentence's own spaces and backslashes are left as they are.
pub fn text_safe(s: &str) -> Cow<'_, str> {
    shown(s, Shown::Text)
}

/// What [`write_visible`] escapes: a client's value whole, or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// A value: also the spaces that would not show, and backslashes.
    Value,
    /// The report's own text: only [`is_unsafe_char`] characters.
    Text,
}

fn shown(s: &str, how: Shown) -> Cow<'_, str> {
    if shows_as_is(s, how) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    write_visible(s, how, &mut out, |c, out| out.push(c));
    Cow::Owned(out)
}

/// Whether [`write_visible`] would leave `s` as it is.
fn shows_as_is(s: &str, how: Shown) -> bool {
    match how {
        Shown::Text => !s.chars().any(is_unsafe_char),
        Shown::Value => {
            !s.starts_with(' ')
                && !s.ends_with(' ')
                && !s.contains("  ")
                && !s
                    .chars()
                    .any(|c| c == '\\' || is_unsafe_char(c) || (c.is_whitespace() && c != ' '))
        }
    }
}

/// Writes `s` to `out` as [`terminal_safe`] (or [`text_safe`]) shows it:
/// what would not show as itself escaped, a backslash doubled, and every
/// other character given to `put` (which may escape it for its format).
fn write_visible(s: &str, how: Shown, out: &mut String, mut put: impl FnMut(char, &mut String)) {
    let value = how == Shown::Value;
    let mut prev: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let last = chars.peek().is_none();
        let hidden = is_unsafe_char(c)
            || (value && c.is_whitespace() && (c != ' ' || last || prev.is_none_or(|p| p == ' ')));
        if value && c == '\\' {
            out.push_str("\\\\");
        } else if hidden {
            out.extend(c.escape_unicode());
        } else {
            put(c, out);
        }
        prev = Some(c);
    }
}

/// Whether `c` drives a terminal (a control character), hides or reorders
/// text (an invisible formatting character) or cannot be written in XML (a
/// noncharacter): what [`terminal_safe`] shows as its `\u{…}` form, and what
/// no label may hold.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{0600}'..='\u{0605}' // Arabic number signs (format characters)
            | '\u{061C}' // Arabic letter mark
            | '\u{06DD}' | '\u{070F}' | '\u{0890}'..='\u{0891}' | '\u{08E2}' // format characters
            | '\u{115F}'..='\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
            | '\u{17B4}'..='\u{17B5}' // Khmer inherent vowels (invisible)
            | '\u{180B}'..='\u{180F}' // Mongolian variation selectors, vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width characters, LRM, RLM
            | '\u{2028}'..='\u{202E}' // line and paragraph separators, embeddings, overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, isolates
            | '\u{2800}' // braille pattern blank
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}' // zero-width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
            | '\u{110BD}' | '\u{110CD}' // Kaithi number signs
            | '\u{13430}'..='\u{1343F}' // Egyptian hieroglyph format controls
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}' // musical symbol format controls
            | '\u{FFF0}'..='\u{FFF8}' // unassigned, default ignorable
            | '\u{E0000}'..='\u{E0FFF}' // tag characters, variation selectors supplement, unassigned ignorables
            | '\u{FDD0}'..='\u{FDEF}') // noncharacters
        || u32::from(c) & 0xFFFE == 0xFFFE // U+FFFE, U+FFFF and their kin in every plane
}

/// Escapes text for a Markdown table cell or list item: the inline markup
/// characters (emphasis, code, links, tables, strike-through) are
/// backslash-escaped, `<`/`>`/`&` become entities (no raw HTML), line breaks
/// and other control characters are shown escaped. So is what makes GitHub's
/// Markdown turn bare text into a link (`https://…`, `www.…`, `a@b.c`): the
/// `:` of a `://`, and a `.` after `www`, are escaped, and an `@` before
/// anything but a space is followed by an empty HTML
/// comment (`<!---->`, which no renderer shows; GitHub's Markdown joins
/// escaped and entity text before it looks for an address, so no escape
/// stops that one). So a client's value never becomes a clickable link in
/// the published report. A `$` is put in a `<span>`, as GitHub documents,
/// so that no `$…$` becomes a formula, and an emoji's `:name:` gets the
/// empty comment after its first `:`, as do the `#` and `GH-` of an issue's
/// reference (`#123`, `owner/repo#123`, `GH-123`).
pub fn markdown_safe(s: &str) -> String {
    markdown_escaped(&terminal_safe(s))
}

/// [`markdown_safe`] for the report's own text ([`text_safe`]).
pub fn markdown_text(s: &str) -> String {
    markdown_escaped(&text_safe(s))
}

fn markdown_escaped(safe: &str) -> String {
    let mut out = String::with_capacity(safe.len());
    let digit_after = |i: usize| safe.as_bytes().get(i + 1).is_some_and(u8::is_ascii_digit);
    let mut last3 = ['\0'; 3];
    for (i, c) in safe.char_indices() {
        let after_www = last3.iter().all(|w| w.eq_ignore_ascii_case(&'w'));
        let after_gh = last3[1].eq_ignore_ascii_case(&'g') && last3[2].eq_ignore_ascii_case(&'h');
        last3 = [last3[1], last3[2], c];
        match c {
            // GitHub links `x@y.z`, and also `x@.z`, `mailto:@y.z`, `xmpp:@/y.z`.
            '@' if safe[i + 1..].starts_with(|n: char| !n.is_whitespace()) => {
                out.push_str("@<!---->")
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            ':' if safe[i + 1..].starts_with("//") => out.push_str("\\:"),
            // GitHub turns `:name:` into an emoji (`:+1:`, `:white_check_mark:`)
            // after the escapes are read, as it does addresses.
            ':' if is_shortcode(&safe[i + 1..]) => out.push_str(":<!---->"),
            // GitHub links `#123`, `owner/repo#123` and `GH-123` to issues
            // where the report is posted (an issue, a release, a discussion),
            // and marks the issue as referenced (a review).
            '#' | '-' if digit_after(i) && (c == '#' || after_gh) => {
                out.push(c);
                out.push_str("<!---->");
            }
            '.' if after_www => out.push_str("\\."),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // GitHub renders `$…$` as math; its documented escape.
            '$' => out.push_str("<span>$</span>"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether `rest`, the text after a `:`, starts as an emoji shortcode's
/// name and its closing `:` (`+1:`, `white_check_mark:`). Of names all
/// digits only GitHub's two (`:100:`, `:1234:`) are, so a time's `12:30:45`
/// is left as it is.
fn is_shortcode(rest: &str) -> bool {
    let len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-'))
        .count();
    let name = &rest[..len];
    len > 0
        && rest.as_bytes().get(len) == Some(&b':')
        && (!name.bytes().all(|b| b.is_ascii_digit()) || matches!(name, "100" | "1234"))
}

/// Escapes text for HTML element content and attribute values; control
/// characters, the invisible characters that reorder or hide text, the
/// noncharacters and the spaces a page would not show are shown as their
/// `\u{…}` form, and a backslash doubled, as [`terminal_safe`] shows them (an
/// entity would still put the character itself in the page: an invisible
/// escape or carriage return, or, for `&#x80;` to `&#x9f;`, the
/// Windows-1252 character HTML maps it to).
pub fn html_escape(s: &str) -> String {
    html_shown(s, Shown::Value)
}

/// [`html_escape`] for the report's own text ([`text_safe`]).
pub fn html_text(s: &str) -> String {
    html_shown(s, Shown::Text)
}

fn html_shown(s: &str, how: Shown) -> String {
    let mut out = String::with_capacity(s.len());
    write_visible(s, how, &mut out, |c, out| match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    });
    out
}

/// Guards a CSV cell against formula injection: a cell that a spreadsheet
/// would evaluate (starting with `=`, `+`, `-`, `@`, tab or carriage return,
/// also after white space or characters that show nothing, which an import
/// may trim or a reader not see, or as the full-width or small sign that
/// an input method or a Unicode normalization (NFKC) may turn into one, a
/// review's `﹦SUM(1)`) gets a leading `'`; so does a cell that starts with
/// `'` itself, so that the guard can be taken off again (`'=1` is the
/// guarded `=1`, `''=1` the value `'=1`).
pub fn csv_safe(s: &str) -> Cow<'_, str> {
    // Every character that NFKC turns into one of them (a review of the
    // small forms: `⁼`, `₊`, `⩵` and `﬩` still passed).
    const SIGNS: [char; 22] = [
        '=', '+', '-', '@', '\t', '\r', '\'', '＝', '＋', '－', '＠', '﹦', '﹢', '﹣', '﹫', '⁺',
        '⁼', '₊', '₌', '⩵', '⩶', '﬩',
    ];
    let starts = |t: &str| t.starts_with(SIGNS);
    // (A review: `\u{feff}=1` and `\u{200b}=1` passed unguarded.)
    let blank = |c: char| c.is_whitespace() || is_unsafe_char(c);
    if starts(s) || starts(s.trim_start_matches(blank)) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` as one word of a POSIX shell's command line: as it is when it holds
/// only letters, digits and `._-+:/=,@`, else in single quotes.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+:/=,@".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
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
        // Text that reads otherwise than it is, and what XML cannot hold.
        assert_eq!(terminal_safe("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(terminal_safe("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        assert_eq!(terminal_safe("a\u{200b}b\u{2028}"), "a\\u{200b}b\\u{2028}");
        assert_eq!(terminal_safe("x\u{e0061}y"), "x\\u{e0061}y");
        assert_eq!(terminal_safe("x\u{ffff}y\u{fffe}"), "x\\u{ffff}y\\u{fffe}");
        assert_eq!(terminal_safe("\u{1fffe}"), "\\u{1fffe}");
        // Look-alikes: each of these reads as `fast`, or as a blank.
        for hidden in [
            '\u{ad}',
            '\u{34f}',
            '\u{600}',
            '\u{115f}',
            '\u{17b4}',
            '\u{180b}',
            '\u{2800}',
            '\u{3164}',
            '\u{fe0f}',
            '\u{ffa0}',
            '\u{110bd}',
            '\u{1d173}',
            '\u{e0100}',
        ] {
            assert_eq!(
                terminal_safe(&format!("fast{hidden}")),
                format!("fast{}", hidden.escape_unicode()),
                "{hidden:?}"
            );
        }
        // Spaces that would not show, and the escape form itself.
        assert_eq!(terminal_safe("Linux "), "Linux\\u{20}");
        assert_eq!(terminal_safe(" Linux"), "\\u{20}Linux");
        assert_eq!(terminal_safe("Linux\u{a0}"), "Linux\\u{a0}");
        assert_eq!(terminal_safe("a  b c"), "a \\u{20}b c");
        assert_eq!(terminal_safe("a\u{3000}b"), "a\\u{3000}b");
        assert_eq!(terminal_safe(" "), "\\u{20}");
        assert_eq!(terminal_safe("fast\\u{3164}"), "fast\\\\u{3164}");
        assert_ne!(
            terminal_safe("fast\\u{3164}"),
            terminal_safe("fast\u{3164}")
        );
        assert_eq!(terminal_safe("C:\\x"), "C:\\\\x");
        // The report's own text: escaped once, whatever it holds.
        let once = terminal_safe("fast\u{1b} ");
        assert_eq!(text_safe(&once), once);
        assert_eq!(text_safe(" a  b\\ \u{1b}"), " a  b\\ \\u{1b}");
        assert_eq!(markdown_text(" is the largest "), " is the largest ");
        assert_eq!(html_text(" <b> \u{202e}"), " &lt;b&gt; \\u{202e}");
        // Ordinary text outside ASCII stays as it is.
        assert_eq!(
            terminal_safe("profil rapide ✓ 高速 \u{fffd}"),
            "profil rapide ✓ 高速 \u{fffd}"
        );
    }

    /// Every default-ignorable code point (Unicode 16's
    /// `Default_Ignorable_Code_Point`, DerivedCoreProperties.txt): text
    /// that renderers draw as nothing, so a value holding one would read as
    /// another.
    #[test]
    fn every_default_ignorable_code_point_is_shown_escaped() {
        let ranges: [(u32, u32); 17] = [
            (0x00AD, 0x00AD),
            (0x034F, 0x034F),
            (0x061C, 0x061C),
            (0x115F, 0x1160),
            (0x17B4, 0x17B5),
            (0x180B, 0x180F),
            (0x200B, 0x200F),
            (0x202A, 0x202E),
            (0x2060, 0x206F),
            (0x3164, 0x3164),
            (0xFE00, 0xFE0F),
            (0xFEFF, 0xFEFF),
            (0xFFA0, 0xFFA0),
            (0xFFF0, 0xFFF8),
            (0x1BCA0, 0x1BCA3),
            (0x1D173, 0x1D17A),
            (0xE0000, 0xE0FFF),
        ];
        for (first, last) in ranges {
            for c in (first..=last).filter_map(char::from_u32) {
                assert!(is_unsafe_char(c), "{:?}", c);
                let shown = terminal_safe(&format!("fast{c}")).into_owned();
                assert_eq!(shown, format!("fast{}", c.escape_unicode()));
                assert_eq!(html_escape(&format!("fast{c}")), shown);
            }
        }
    }

    #[test]
    fn html_shows_what_a_page_would_hide_or_merge() {
        assert_eq!(html_escape("Linux "), "Linux\\u{20}");
        assert_eq!(html_escape("a  <b>"), "a \\u{20}&lt;b&gt;");
        assert_eq!(html_escape("x\u{a0}\\"), "x\\u{a0}\\\\");
    }

    #[test]
    fn markdown_cannot_inject_markup() {
        assert_eq!(markdown_safe("a|b"), "a\\|b");
        assert_eq!(markdown_safe("<script>"), "&lt;script&gt;");
        assert_eq!(markdown_safe("[x](http://e)"), "\\[x\\](http\\://e)");
        assert_eq!(markdown_safe("scan.started"), "scan.started");
        assert_eq!(
            markdown_safe("*a*_b_`c`~d~"),
            "\\*a\\*\\_b\\_\\`c\\`\\~d\\~"
        );
        assert_eq!(markdown_safe("line\nbreak"), "line\\\\u{a}break");
        assert_eq!(markdown_safe(">1000"), "&gt;1000");
        // No bare link: GitHub's Markdown links `https://…` and `www.…`.
        assert_eq!(
            markdown_safe("https://evil.example/x"),
            "https\\://evil.example/x"
        );
        assert_eq!(
            markdown_safe("see WWW.evil.example"),
            "see WWW\\.evil.example"
        );
        assert_eq!(markdown_safe("0.7.1 www"), "0.7.1 www");
        assert_eq!(markdown_safe("Scan profiles: a:b"), "Scan profiles: a:b");
        // Nor an emoji: GitHub reads `:name:` after the escapes.
        assert_eq!(markdown_safe(":+1: :tada:"), ":<!---->+1: :<!---->tada:");
        assert_eq!(
            markdown_safe("a:white_check_mark:b"),
            "a:<!---->white\\_check\\_mark:b"
        );
        assert_eq!(
            markdown_safe("x :100: :1234:"),
            "x :<!---->100: :<!---->1234:"
        );
        assert_eq!(markdown_safe("12:30:45 a: b: :c"), "12:30:45 a: b: :c");
        // Nor an issue's reference (a review): GitHub links these where the
        // report is posted, and marks the issue as referenced.
        assert_eq!(markdown_safe("#123"), "#<!---->123");
        assert_eq!(markdown_safe("jmo/repo#1"), "jmo/repo#<!---->1");
        assert_eq!(markdown_safe("GH-12 gh-3"), "GH-<!---->12 gh-<!---->3");
        assert_eq!(markdown_safe("C# #x 3-4 GH-x"), "C# #x 3-4 GH-x");
        // Nor an e-mail address (or `mailto:`/`xmpp:` one): an empty comment
        // parts it where escapes would not.
        assert_eq!(
            markdown_safe("x mailto:a.b+c@evil.example"),
            "x mailto:a.b+c@<!---->evil.example"
        );
        assert_eq!(markdown_safe("a_b@c_d.e"), "a\\_b@<!---->c\\_d.e");
        assert_eq!(
            markdown_safe("x@.y mailto:@y.z"),
            "x@<!---->.y mailto:@<!---->y.z"
        );
        assert_eq!(markdown_safe("xmpp:@/y.z a@"), "xmpp:@<!---->/y.z a@");
        assert_eq!(markdown_safe("a@ b"), "a@ b");
        // Nor a formula: GitHub renders `$…$` with MathJax.
        assert_eq!(
            markdown_safe("$\\Huge x$"),
            // The backslash shown doubled (as everywhere), each escaped.
            "<span>$</span>\\\\\\\\Huge x<span>$</span>"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<img src=x onerror='a'>&"),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;"
        );
        assert_eq!(html_escape("fast\u{202e}x\u{1b}"), "fast\\u{202e}x\\u{1b}");
        // Not entities: `&#x9b;` is `›` in a browser, `&#xd;` a raw CR.
        assert_eq!(
            html_escape("a\u{9b}b\rc\td\n"),
            "a\\u{9b}b\\u{d}c\\u{9}d\\u{a}"
        );
    }

    #[test]
    fn csv_formulas_are_guarded() {
        for f in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            " =1+1",
            "\u{a0} -1",
            "＝1+1",
            "＠A1",
            "﹦SUM(1)",
            "⁼SUM(1)",
            "₌1",
            "⁺1",
            "₊1",
            "⩵1",
            "⩶1",
            "﬩1",
            "﹢1",
            "﹣1",
            " ﹫A1",
            "\u{2003}=1",
            "\n=1",
            "'x",
            "\u{feff}=1",
            "\0=1",
            "\u{200b}+1",
            "\u{202e}\u{2066}@A1",
            "\u{ad} -1",
        ] {
            assert!(csv_safe(f).starts_with('\''), "{f}");
        }
        assert_eq!(csv_safe(">1000"), ">1000");
        assert_eq!(csv_safe(" x=1"), " x=1");
        // The guard can be taken off again: a value that starts with `'`
        // is guarded too.
        assert_ne!(csv_safe("=1"), csv_safe("'=1"));
        assert_eq!(csv_safe("'=1"), "''=1");
        assert_eq!(csv_safe("  "), "  ");
        assert_eq!(csv_safe("osv-scanner"), "osv-scanner");
        assert_eq!(csv_safe("\u{feff}x=1"), "\u{feff}x=1");
    }

    #[test]
    fn shell_words_are_quoted_only_when_they_need_it() {
        assert_eq!(shell_word("1.0"), "1.0");
        assert_eq!(shell_word("1.0 beta"), "'1.0 beta'");
        assert_eq!(shell_word("$(x)"), "'$(x)'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
