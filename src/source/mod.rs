//! Where lines come from: a local file or stdin ([`local`]), and the GitHub
//! gist behind the telemetry (`fetch`): the gist API client ([`gist`]), the
//! local archive that only grows ([`archive`]) and the gist's git history
//! ([`history`]).

pub mod acl;
pub mod archive;
pub mod gist;
pub mod history;
pub mod local;

/// Whether a line (its line end removed or not) is blank: nothing but the
/// white space JSON allows (space, tab, CR, LF). Every command counts and
/// skips such lines alike, and `fetch` does not archive them; any other
/// byte (a form feed, a no-break space) makes a line to judge, not a blank
/// one (`summary` took a form feed for white space, `validate` and `audit`
/// every Unicode space).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_jsons_white_space_alone_for_every_command() {
        for blank in ["", " ", "\t \r", "\r\n"] {
            assert!(is_blank(blank.as_bytes()), "{blank:?}");
            assert_eq!(crate::audit::scan::trim_line(2, blank), None, "{blank:?}");
        }
        for judged in ["\x0c", "\x0b", "\u{a0}", "\u{3000}", " x", "\u{feff}\x0c"] {
            assert!(
                !is_blank(judged.trim_start_matches('\u{feff}').as_bytes()),
                "{judged:?}"
            );
            assert!(
                crate::audit::scan::trim_line(1, judged).is_some(),
                "{judged:?}"
            );
        }
        // A byte order mark is taken off the first line only, as `summary`
        // and `fetch` read a file: further down it is a character.
        assert_eq!(crate::audit::scan::trim_line(1, "\u{feff}"), None);
        assert_eq!(crate::audit::scan::trim_line(1, "\u{feff}{}\r"), Some("{}"));
        assert_eq!(
            crate::audit::scan::trim_line(2, "\u{feff}"),
            Some("\u{feff}")
        );
        assert_eq!(
            crate::audit::scan::trim_line(2, "\u{feff}{}"),
            Some("\u{feff}{}")
        );
        assert_eq!(archive::split_lines(b"\xef\xbb\xbf\n"), Vec::<&[u8]>::new());
        assert_eq!(
            archive::split_lines(b"a\n\xef\xbb\xbf\n"),
            [&b"a"[..], b"\xef\xbb\xbf"]
        );
        assert_eq!(
            archive::split_lines(b"a\n\x0c\n \t\r\n\xc2\xa0\n\n"),
            [&b"a"[..], b"\x0c", b"\xc2\xa0"]
        );
    }
}
