//! Opening a local JSONL input: a path, or `-` for stdin.

use std::fs::{self, File};
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

/// Why an input could not be opened, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// No such file.
    #[error("{}: no such file; check the path, or run `jmo-analyze fetch` to download the events", shown(.0))]
    NotFound(PathBuf),
    /// A directory was given.
    #[error("{}", directory_message(.0))]
    IsDirectory(PathBuf),
    /// Permission denied.
    #[error("{}: permission denied; check the file's permissions", shown(.0))]
    PermissionDenied(PathBuf),
    /// A compressed file, or UTF-16 text (told by its first bytes): read
    /// as UTF-8 text, every line would be skipped as invalid.
    #[error("{}", not_text_message(path, found, rerun))]
    Compressed {
        /// The path (`-` for stdin).
        path: PathBuf,
        /// What it is.
        found: NotText,
        /// The command that reads it from stdin: the command line it was
        /// given on, `-` in place of the file, or a pattern
        /// (`jmo-analyze summary [options] -`).
        rerun: String,
    },
    /// Anything else.
    #[error("{}: cannot open: {error}", shown(path))]
    Other {
        /// The path.
        path: PathBuf,
        /// The I/O error (shown in the message: not a `source`, which
        /// would show it twice).
        error: io::Error,
    },
}

/// What ingestion reads: a regular file, which it maps into memory a block
/// at a time instead of copying it, or a stream it reads and copies.
pub enum Input<'a> {
    /// A regular file.
    File(File),
    /// Anything else: stdin, a pipe, bytes in memory.
    Stream(Box<dyn Read + Send + 'a>),
}

impl Input<'_> {
    /// `file` as an input: mapped if it is a regular file read from its
    /// start, else a stream from where it stands (a pipe, a device opened by
    /// name such as `/dev/stdin`, or a file the caller has seeked into).
    pub fn file(file: File) -> Input<'static> {
        let at_start = (&file).stream_position().is_ok_and(|p| p == 0);
        match file.metadata() {
            Ok(m) if m.is_file() && at_start => Input::File(file),
            _ => Input::Stream(Box::new(file)),
        }
    }
}

impl<'a> Input<'a> {
    /// Any reader as a stream.
    pub fn stream(reader: impl Read + Send + 'a) -> Input<'a> {
        Input::Stream(Box::new(reader))
    }
}

impl From<File> for Input<'_> {
    fn from(file: File) -> Self {
        Input::file(file)
    }
}

impl<'a> From<&'a [u8]> for Input<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Input::stream(bytes)
    }
}

/// Bytes that are not UTF-8 text, told by how they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotText {
    /// What they are: `gzip-compressed`, `UTF-16 text`.
    pub what: &'static str,
    /// What to do: `decompress`, `convert`.
    pub verb: &'static str,
    /// The command that writes them as text on stdout, given the file.
    pub command: &'static str,
}

/// What `head` (a file's first bytes) is when it starts with the magic
/// number of gzip, zstd, xz, bzip2 or zip, a UTF-16 byte-order mark, or
/// ASCII in UTF-16 (a zero byte beside each of its first characters). No
/// JSONL line starts so: bzip2's `BZh` is text, so its block magic after
/// the level must follow too (a line `BZh…` of text is read as text).
pub fn not_text(head: &[u8]) -> Option<NotText> {
    const fn packed(what: &'static str, command: &'static str) -> NotText {
        NotText {
            what,
            verb: "decompress",
            command,
        }
    }
    const UTF16: NotText = NotText {
        what: "UTF-16 text",
        verb: "convert",
        command: "iconv -f UTF-16 -t UTF-8",
    };
    const MAGIC: [(&[u8], NotText); 6] = [
        (b"\x1f\x8b", packed("gzip-compressed", "gzip -dc")),
        (b"\x28\xb5\x2f\xfd", packed("zstd-compressed", "zstd -dc")),
        (b"\xfd7zXZ\x00", packed("xz-compressed", "xz -dc")),
        (b"PK\x03\x04", packed("zip-compressed", "unzip -p")),
        (b"\xff\xfe", UTF16),
        (b"\xfe\xff", UTF16),
    ];
    // And bytes that are not UTF-8 follow (a block's CRC and bits): the
    // magic itself is text (a review: a line starting `BZh91AY&SY` of
    // plain text was refused).
    let binary = std::str::from_utf8(head).is_err_and(|e| e.error_len().is_some());
    if let Some(&[b'B', b'Z', b'h', level, ref block @ ..]) = head.get(..10)
        && binary
        && (b'1'..=b'9').contains(&level)
        // A block, or the end of an empty stream (pi, sqrt(pi) in BCD).
        && [b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90"].contains(&block.try_into().unwrap_or(&[0; 6]))
    {
        return Some(packed("bzip2-compressed", "bzip2 -dc"));
    }
    if let Some(found) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(found.1);
    }
    // UTF-16 without a byte-order mark: ASCII text with a zero byte after
    // (little-endian) or before (big-endian) each character, as no UTF-8
    // line starts (a review: 50 "U+0000 at column 1" warnings).
    let start = &head[..head.len().min(16) & !1];
    let ascii_in = |first: usize| {
        start.len() >= 4
            && start
                .chunks(2)
                .all(|pair| pair[1 - first] == 0 && (1..0x80).contains(&pair[first]))
    };
    if ascii_in(0) {
        return Some(NotText {
            command: "iconv -f UTF-16LE -t UTF-8",
            ..UTF16
        });
    }
    if ascii_in(1) {
        return Some(NotText {
            command: "iconv -f UTF-16BE -t UTF-8",
            ..UTF16
        });
    }
    None
}

/// What [`InputError::IsDirectory`] says: the `.jsonl` files the directory
/// holds, the first few, to give instead (a review: it suggested
/// `DIR/events.jsonl` where no such file was).
fn directory_message(dir: &Path) -> String {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            return format!(
                "{}: is a directory, and cannot be read ({err}); give a JSONL file",
                shown(dir)
            );
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().to_string_lossy().into_owned();
            let file = e.file_type().ok()?.is_file() || e.path().is_file();
            (file && name.ends_with(".jsonl")).then_some(name)
        })
        .collect();
    names.sort();
    let shown = self::shown(dir);
    let named: Vec<String> = names
        .iter()
        .take(3)
        .map(|n| {
            let path = dir.join(n);
            // As a shell word when one can be written, else escaped.
            (path.to_str().and_then(shell_word)).unwrap_or_else(|| self::shown(&path))
        })
        .collect();
    match names.len() {
        0 => format!("{shown}: is a directory, and holds no .jsonl file; give a JSONL file"),
        n => format!(
            "{shown}: is a directory; give a JSONL file, such as {}{}",
            named.join(" or "),
            if n > 3 {
                format!(" ({n} .jsonl files in it)")
            } else {
                String::new()
            }
        ),
    }
}

/// The input as messages name it: its path, or `stdin` for `-` (the JSON's
/// `input.source` keeps `-`).
pub fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".into()
    } else {
        // Control characters shown escaped, not obeyed (a review: an ESC
        // in a file name reached the terminal).
        crate::render::text::text_safe(&path.to_string_lossy()).into_owned()
    }
}

/// What [`InputError::Compressed`] says: the command that decompresses or
/// converts the file into `jmo-analyze` (its path quoted for a shell), or
/// for stdin where to put it.
fn not_text_message(path: &Path, found: &NotText, rerun: &str) -> String {
    let NotText {
        what,
        verb,
        command,
    } = found;
    if path == Path::new("-") {
        return format!(
            "stdin is {what}, not JSONL text; {verb} it in the pipe: \
             `{command} FILE | {rerun}`"
        );
    }
    let shown = self::shown(path);
    // A name that starts like an option is given as ./-name (quoted or not:
    // a review); one that is no text a shell can take back (not UTF-8,
    // control characters), or that unzip would take as a pattern, as FILE.
    let word = path
        .to_str()
        .map(|p| {
            if p.starts_with('-') {
                format!("./{p}")
            } else {
                p.to_owned()
            }
        })
        .filter(|p| !(command.starts_with("unzip") && p.contains(['*', '?', '['])))
        .and_then(|p| shell_word(&p))
        .unwrap_or_else(|| "FILE".to_owned());
    format!(
        "{shown}: is {what}, not JSONL text; {verb} it first, or give it \
         on stdin: `{command} {word} | {rerun}`"
    )
}

/// `s` as one shell word, or none when it holds what a terminal would not
/// show as it is (control characters).
fn shell_word(s: &str) -> Option<String> {
    (crate::render::text::terminal_safe(s) == s).then(|| crate::render::text::shell_word(s))
}

/// The command that reads `path` from stdin: `args` (this process's
/// command line) with `path` replaced by `-` when it is one of them, once,
/// and every word can be written for a shell; else a pattern naming
/// `subcommand`.
fn rerun_command(args: &[std::ffi::OsString], path: &Path, subcommand: &str) -> String {
    let pattern = || format!("jmo-analyze {subcommand} [options] -");
    let at: Vec<usize> = (args.iter().enumerate().skip(1))
        .filter(|(_, a)| Path::new(a) == path)
        .map(|(i, _)| i)
        .collect();
    let [at] = at[..] else { return pattern() };
    let words: Option<Vec<String>> = (args.iter().enumerate().skip(1))
        .map(|(i, a)| {
            if i == at {
                Some("-".to_owned())
            } else {
                a.to_str().and_then(shell_word)
            }
        })
        .collect();
    words.map_or_else(pattern, |w| format!("jmo-analyze {}", w.join(" ")))
}

/// The most bytes [`not_text`] looks at.
const MAGIC_LEN: usize = 32;

/// Reads up to `buf.len()` bytes (fewer only at the end of `reader`).
fn read_head(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Opens `path` for `subcommand` (`summary`, named in messages) to read;
/// `-` is stdin. A compressed file or stream, or UTF-16 text, is refused
/// ([`InputError::Compressed`]).
pub fn open(
    path: impl AsRef<Path>,
    subcommand: &'static str,
) -> Result<Input<'static>, InputError> {
    let p = path.as_ref();
    let refuse = |found| InputError::Compressed {
        path: p.to_path_buf(),
        found,
        rerun: rerun_command(&std::env::args_os().collect::<Vec<_>>(), p, subcommand),
    };
    let other = |error| InputError::Other {
        path: p.to_path_buf(),
        error,
    };
    if p == Path::new("-") {
        // Its first bytes are read here and given back in front of the rest.
        let mut stdin = io::stdin();
        let mut head = [0; MAGIC_LEN];
        let n = read_head(&mut stdin, &mut head).map_err(other)?;
        if let Some(found) = not_text(&head[..n]) {
            return Err(refuse(found));
        }
        return Ok(Input::stream(
            io::Cursor::new(head[..n].to_vec()).chain(stdin),
        ));
    }
    if p.is_dir() {
        return Err(InputError::IsDirectory(p.to_path_buf()));
    }
    match File::open(p) {
        Ok(mut f) => {
            let mut head = [0; MAGIC_LEN];
            let n = read_head(&mut f, &mut head).map_err(other)?;
            if let Some(found) = not_text(&head[..n]) {
                return Err(refuse(found));
            }
            // Back to the start (a FIFO, which cannot seek, was opened by
            // name only to be read: its first bytes go in front).
            if f.seek(io::SeekFrom::Start(0)).is_ok() {
                Ok(Input::file(f))
            } else {
                Ok(Input::stream(io::Cursor::new(head[..n].to_vec()).chain(f)))
            }
        }
        Err(e) => Err(match e.kind() {
            io::ErrorKind::NotFound => InputError::NotFound(p.to_path_buf()),
            io::ErrorKind::PermissionDenied => InputError::PermissionDenied(p.to_path_buf()),
            _ => InputError::Other {
                path: p.to_path_buf(),
                error: e,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_files_are_told_from_text() {
        let what = |head: &[u8]| not_text(head).map(|f| (f.what, f.command));
        assert_eq!(what(b"\x1f\x8b\x08"), Some(("gzip-compressed", "gzip -dc")));
        assert_eq!(
            what(b"\x28\xb5\x2f\xfd\x00"),
            Some(("zstd-compressed", "zstd -dc"))
        );
        assert_eq!(what(b"\xfd7zXZ\x00\x00"), Some(("xz-compressed", "xz -dc")));
        assert_eq!(
            what(b"BZh91AY&SY\xe2\x01\xff"),
            Some(("bzip2-compressed", "bzip2 -dc"))
        );
        // bzip2 of nothing: the end-of-stream magic right after the level.
        assert_eq!(
            what(b"BZh9\x17rE8P\x90\0\0\0\0"),
            Some(("bzip2-compressed", "bzip2 -dc"))
        );
        assert_eq!(what(b"PK\x03\x04"), Some(("zip-compressed", "unzip -p")));
        let utf16 = Some(("UTF-16 text", "iconv -f UTF-16 -t UTF-8"));
        assert_eq!(what(b"\xff\xfe{\0"), utf16);
        assert_eq!(what(b"\xfe\xff\0{"), utf16);
        // Without the mark: ASCII with a zero byte after or before each
        // character (what `iconv -t UTF-16LE` writes), a short file too.
        let le = Some(("UTF-16 text", "iconv -f UTF-16LE -t UTF-8"));
        let be = Some(("UTF-16 text", "iconv -f UTF-16BE -t UTF-8"));
        assert_eq!(what(b"{\0\"\0e\0v\0e\0n\0t\0\"\0:\0 \0\"\0"), le);
        assert_eq!(what(b"\0{\0\"\0e\0v\0e\0n\0t\0\"\0:\0 \0\""), be);
        assert_eq!(what(b"{\0}\0"), le);
        // An odd number of bytes read (a pipe's first read): the whole pairs.
        assert_eq!(what(b"{\0}\0\n"), le);
        for text in [
            &b"{\"event\": 1}"[..],
            b"\xEF\xBB\xBF{",
            b"",
            b"\x1f",
            b"\n\n",
            // Text that starts as bzip2 does (a review: fetch archived such
            // a line, then refused its own archive for good).
            b"BZh",
            b"BZh9 is not compressed\n",
            b"BZh91AY&S",
            b"BZh91AY&SY is how this line starts",
            // Zero bytes, but not every other byte, or too few to tell.
            b"{\0\0\0",
            b"{\0",
            b"\0\0\0\0",
            b"{\"a\0\0\0",
        ] {
            assert_eq!(what(text), None, "{text:?}");
        }
    }

    /// A directory's message names its .jsonl files, escaped where a name
    /// holds what would drive the terminal (a review: an ESC reached it).
    #[test]
    fn a_directory_message_shows_its_names_escaped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d\u{1b}x");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("in\u{1b}[31m.jsonl"), "").unwrap();
        let message = directory_message(&dir);
        assert!(!message.contains('\u{1b}'), "{message}");
        assert!(
            message.ends_with("d\\u{1b}x/in\\u{1b}[31m.jsonl"),
            "{message}"
        );
    }

    /// The command a refused input's message gives is the one the user ran,
    /// `-` for the file, when that can be told; else a pattern (a review:
    /// `jmo-analyze report -` failed without its --quarter).
    #[test]
    fn the_command_to_rerun_is_the_users_with_stdin_for_the_file() {
        use std::ffi::OsString;
        let args = |words: &[&str]| -> Vec<OsString> { words.iter().map(OsString::from).collect() };
        let path = Path::new("data/e v.jsonl.gz");
        assert_eq!(
            rerun_command(
                &args(&[
                    "jmo-analyze",
                    "report",
                    "--quarter",
                    "2026-Q1",
                    "data/e v.jsonl.gz",
                    "-o",
                    "r s"
                ]),
                path,
                "report"
            ),
            "jmo-analyze report --quarter 2026-Q1 - -o 'r s'"
        );
        // The path twice (also an option's value), or not at all: a pattern.
        for words in [
            &[
                "jmo-analyze",
                "summary",
                "data/e v.jsonl.gz",
                "-o",
                "data/e v.jsonl.gz",
            ][..],
            &["cargo-test-binary", "--nocapture"],
        ] {
            assert_eq!(
                rerun_command(&args(words), path, "summary"),
                "jmo-analyze summary [options] -"
            );
        }
        // A word a terminal would not show as it is: a pattern too.
        assert_eq!(
            rerun_command(
                &args(&[
                    "jmo-analyze",
                    "summary",
                    "-o",
                    "a\u{1b}[31m",
                    "data/e v.jsonl.gz"
                ]),
                path,
                "summary"
            ),
            "jmo-analyze summary [options] -"
        );
        // The file's own word: a name like an option goes as ./-name, one
        // a terminal would not show as it is as FILE, shown escaped.
        let gz = not_text(b"\x1f\x8b\x08\x00\x00\x00\x00\x00").unwrap();
        let message = |name: &str| not_text_message(Path::new(name), &gz, "jmo-analyze summary -");
        assert!(message("-x.gz").ends_with("`gzip -dc ./-x.gz | jmo-analyze summary -`"));
        assert!(message("-x y.gz").ends_with("`gzip -dc './-x y.gz' | jmo-analyze summary -`"));
        // Stdin is named so in every message (a review: "-: cannot open").
        let err = InputError::Other {
            path: "-".into(),
            error: io::Error::other("Is a directory"),
        };
        assert_eq!(err.to_string(), "stdin: cannot open: Is a directory");
        // A path's control characters are shown escaped.
        assert_eq!(
            InputError::NotFound("a\u{1b}[31m.jsonl".into()).to_string(),
            "a\\u{1b}[31m.jsonl: no such file; check the path, or run `jmo-analyze fetch` to \
             download the events"
        );
        // unzip reads its name as a pattern: q?.zip would read qa.zip too.
        let zip = not_text(b"PK\x03\x04").unwrap();
        let zipped = not_text_message(Path::new("q?.zip"), &zip, "jmo-analyze summary -");
        assert!(
            zipped.ends_with("`unzip -p FILE | jmo-analyze summary -`"),
            "{zipped}"
        );
        let odd = message("e\u{1b}[31m.gz");
        assert!(
            odd.starts_with("e\\u{1b}[31m.gz: is gzip")
                && odd.ends_with("`gzip -dc FILE | jmo-analyze summary -`"),
            "{odd}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let mut words = args(&["jmo-analyze", "summary", "data/e v.jsonl.gz", "-o"]);
            words.push(OsString::from_vec(b"out\xff".to_vec()));
            assert_eq!(
                rerun_command(&words, path, "summary"),
                "jmo-analyze summary [options] -"
            );
        }
    }

    #[test]
    fn a_compressed_file_is_refused_and_a_text_file_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("e.jsonl.gz");
        std::fs::write(&gz, b"\x1f\x8b\x08\x00\x00\x00\x00\x00").unwrap();
        let err = open(&gz, "summary").map(drop).unwrap_err().to_string();
        assert!(err.contains("is gzip-compressed, not JSONL text"), "{err}");
        assert!(err.contains(&format!(
            "`gzip -dc {} | jmo-analyze summary [options] -`",
            gz.display()
        )));
        // The bytes read to look are read again: nothing lost, for a short
        // file too.
        for text in [&b"{\"a\": 1}\n{\"b\": 2}\n"[..], b"{}", b""] {
            let path = dir.path().join("e.jsonl");
            std::fs::write(&path, text).unwrap();
            let mut got = Vec::new();
            match open(&path, "summary").unwrap() {
                Input::File(mut f) => f.read_to_end(&mut got).unwrap(),
                Input::Stream(mut r) => r.read_to_end(&mut got).unwrap(),
            };
            assert_eq!(got, text);
        }
    }

    /// A FIFO opened by name cannot seek back: the bytes read to look are
    /// put in front of the rest (and a compressed one is refused).
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_read_whole_after_the_look_at_its_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for (i, text) in [&b"{\"a\": 1}\n{\"b\": 2}\n"[..], b"{}", b"\x1f\x8b\x08"]
            .into_iter()
            .enumerate()
        {
            let fifo = dir.path().join(format!("f{i}"));
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(made.success());
            let writer = {
                let (fifo, text) = (fifo.clone(), text.to_vec());
                std::thread::spawn(move || std::fs::write(fifo, text))
            };
            let opened = open(&fifo, "summary");
            let mut got = Vec::new();
            match opened {
                Ok(Input::Stream(mut r)) => drop(r.read_to_end(&mut got).unwrap()),
                Ok(Input::File(_)) => panic!("a FIFO is no regular file"),
                Err(e) => {
                    assert!(e.to_string().contains("gzip-compressed"), "{e}");
                    // (It read to the end, the 3 bytes and the writer's close.)
                    got = text.to_vec();
                }
            }
            let _ = writer.join().unwrap();
            assert_eq!(got, text);
        }
    }
}
