//! A linear pre-scan of the MIME structure, run before mail-parser sees the
//! body (#19 H3).
//!
//! mail-parser 0.11 looks for each multipart's boundary (`seek_next_part`)
//! from the part's start to the end of the input, and does it again for every
//! nested part whose boundary never comes: 20,000 nested `multipart/mixed`
//! parts in 1 MB cost 7–10 s of CPU, growing with the square of the depth.
//! Real mail nests a few levels and holds tens of parts, so past the limits
//! below the message is analysed from its header block only, and the report
//! says so (`msg.mime-structure`).
//!
//! The scan does not rebuild the MIME tree (that is mail-parser's job), it
//! bounds it from above, the way an attacker cannot dodge by layout:
//!
//! - **containers**: every line that is a `Content-Type` field (folded or not)
//!   naming a `multipart/*` (RFC 2046 §5.1) or `message/*` (RFC 2046 §5.2)
//!   type, wherever it is. Each nesting level needs one, so this bounds the
//!   depth; it also bounds mail-parser's cost, which is one scan of the rest
//!   of the input per container at worst;
//! - **delimiters**: every occurrence of `--` + a declared boundary
//!   (RFC 2046 §5.1.1), anywhere in a line, as mail-parser matches them. Each
//!   part starts at one, so this bounds the part count;
//! - **encoded messages**: mail-parser decodes a base64 `message/rfc822` part
//!   and parses it again (up to 3 levels), although RFC 2046 §5.2.1 allows no
//!   such encoding. Every run of base64 lines is decoded here and scanned the
//!   same way, with the same budget, down to the same 3 levels.
//!
//! Every step is linear in the input (the boundary search is the standard
//! library's two-way search), and each stops at its limit.

use base64::Engine as _;

/// Most `multipart/*` and `message/*` containers (an upper bound on the
/// nesting depth) analysed with mail-parser. Real mail uses a handful;
/// forwarded chains a few dozen at most.
pub const MAX_MIME_CONTAINERS: usize = 64;

/// Most boundary delimiters (an upper bound on the part count).
pub const MAX_MIME_PARTS: usize = 1_000;

/// How many levels of encoded `message/*` parts mail-parser 0.11 parses
/// (its `MAX_NESTED_ENCODED`); the scan follows as deep.
const ENCODED_LEVELS: usize = 3;

/// Folded field values are read up to this many bytes (a boundary is at most
/// 70 characters, RFC 2046 §5.1.1; parameters before it are short).
const FIELD_CAP: usize = 8 * 1024;

/// Which limit a message went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MimeLimit {
    /// More than [`MAX_MIME_CONTAINERS`] multipart/message containers.
    Containers,
    /// More than [`MAX_MIME_PARTS`] boundary delimiters.
    Parts,
}

/// What the scan counted; `over` is set when a limit was passed (the counts
/// then stop there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MimeShape {
    /// Containers seen, at most `MAX_MIME_CONTAINERS + 1`.
    pub containers: usize,
    /// Delimiters seen, at most `MAX_MIME_PARTS + 1`.
    pub delimiters: usize,
    /// The limit passed, if any.
    pub over: Option<MimeLimit>,
}

/// `msg.mime-structure`: only when a limit was passed (a warning that the
/// body was not analysed).
pub fn check(parsed: &super::input::ParsedInput<'_>) -> Option<crate::report::Check> {
    use crate::report::{Check, Status};
    let summary = match parsed.mime_limit? {
        MimeLimit::Containers => format!(
            "more than {MAX_MIME_CONTAINERS} nested multipart/message parts: only the header block was analysed"
        ),
        MimeLimit::Parts => format!(
            "more than {MAX_MIME_PARTS} MIME parts: only the header block was analysed"
        ),
    };
    Some(Check::new("msg.mime-structure", Status::Warn, summary))
}

/// Scans a whole message (header block and body). Total and linear.
pub fn prescan(message: &[u8]) -> MimeShape {
    let mut shape = MimeShape::default();
    scan(message, ENCODED_LEVELS, &mut shape);
    shape
}

fn scan(message: &[u8], levels: usize, shape: &mut MimeShape) {
    let mut boundaries: Vec<Vec<u8>> = Vec::new();
    let mut lines = lines(message).peekable();
    while let Some(line) = lines.next() {
        let Some(value) = content_type_value(line) else {
            continue;
        };
        // RFC 5322 §2.2.3 unfolding: continuation lines start with WSP.
        let mut field = value.to_vec();
        while let Some(next) = lines.peek() {
            if !next.first().is_some_and(|b| matches!(b, b' ' | b'\t')) {
                break;
            }
            if field.len() < FIELD_CAP {
                field.extend_from_slice(next);
            }
            lines.next();
        }
        field.truncate(FIELD_CAP);
        let kind = media_type(&field);
        if !kind.starts_with(b"multipart") && !kind.starts_with(b"message") {
            continue;
        }
        shape.containers += 1;
        if shape.containers > MAX_MIME_CONTAINERS {
            shape.over = Some(MimeLimit::Containers);
            return;
        }
        if let Some(b) = boundary(&field).filter(|b| !b.is_empty()) {
            if !boundaries.contains(&b) {
                boundaries.push(b);
            }
        }
    }
    if count_delimiters(message, &boundaries, shape) {
        return;
    }
    if levels > 0 {
        for run in base64_runs(message) {
            scan(&run, levels - 1, shape);
            if shape.over.is_some() {
                return;
            }
        }
    }
}

/// The value of a `Content-Type:` field starting this line (name matched
/// case-insensitively, RFC 5322 §1.2.2; WSP before the colon tolerated).
fn content_type_value(line: &[u8]) -> Option<&[u8]> {
    const NAME: &[u8] = b"content-type";
    let head = line.get(..NAME.len())?;
    if !head.eq_ignore_ascii_case(NAME) {
        return None;
    }
    let rest = &line[NAME.len()..];
    let colon = rest.iter().position(|&b| !matches!(b, b' ' | b'\t'))?;
    (rest[colon] == b':').then(|| &rest[colon + 1..])
}

/// The media type before the first `;`, lower-cased, without WSP, quotes
/// or comments' parentheses (RFC 2045 §5.1).
fn media_type(field: &[u8]) -> Vec<u8> {
    field
        .iter()
        .take_while(|&&b| b != b';')
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'"' | b'('))
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// The `boundary` parameter (RFC 2045 §5.1: token or quoted-string).
fn boundary(field: &[u8]) -> Option<Vec<u8>> {
    let lower: Vec<u8> = field.iter().map(u8::to_ascii_lowercase).collect();
    let at = find(&lower, b"boundary")?;
    let rest = &field[at + b"boundary".len()..];
    let rest = trim_start(rest);
    let rest = trim_start(rest.strip_prefix(b"=")?);
    if let Some(quoted) = rest.strip_prefix(b"\"") {
        let end = quoted
            .iter()
            .position(|&b| b == b'"')
            .unwrap_or(quoted.len());
        return Some(quoted[..end].to_vec());
    }
    let end = rest
        .iter()
        .position(|b| matches!(b, b';' | b' ' | b'\t' | b'\r'))
        .unwrap_or(rest.len());
    Some(rest[..end].to_vec())
}

fn trim_start(s: &[u8]) -> &[u8] {
    let skip = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
        .count();
    &s[skip..]
}

/// First occurrence of an ASCII needle (a short literal, so a plain scan).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Adds the delimiter occurrences of every boundary to `shape`; true when
/// the part limit was passed. The text is compared as (lossy) UTF-8 so the
/// standard library's two-way search keeps it linear per boundary. Valid
/// UTF-8, nearly every message, is recognised by `from_utf8`'s fast check
/// first: `String::from_utf8_lossy` walks `Utf8Chunks` byte by byte even
/// when it replaces nothing (0.6% of the corpus's instructions, #17 G4).
fn count_delimiters(message: &[u8], boundaries: &[Vec<u8>], shape: &mut MimeShape) -> bool {
    if boundaries.is_empty() {
        return false;
    }
    let text = super::input::utf8_lossy(message);
    for b in boundaries {
        let needle = format!("--{}", String::from_utf8_lossy(b));
        for _ in text.match_indices(needle.as_str()) {
            shape.delimiters += 1;
            if shape.delimiters > MAX_MIME_PARTS {
                shape.over = Some(MimeLimit::Parts);
                return true;
            }
        }
    }
    false
}

/// The lines of `message` split at LF, as `split(|&b| b == b'\n')` gives
/// them (a last, possibly empty, line after the final LF), found with
/// `memchr` instead of a test per byte: both passes of the scan run over
/// every message analysed.
fn lines(message: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut ends = memchr::memchr_iter(b'\n', message);
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        match ends.next() {
            Some(end) => {
                start = Some(end + 1);
                Some(&message[from..end])
            }
            None => {
                start = None;
                Some(&message[from..])
            }
        }
    })
}

/// Every run of two or more consecutive base64 lines (RFC 2045 §6.8
/// alphabet, at least 4 characters), decoded leniently: characters outside
/// the alphabet are skipped and a trailing partial group dropped.
fn base64_runs(message: &[u8]) -> Vec<Vec<u8>> {
    let is_b64_line = |l: &[u8]| {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        l.len() >= 4
            && l.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    };
    let mut runs = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut count = 0;
    let mut flush = |current: &mut Vec<u8>, count: &mut usize| {
        if *count >= 2 {
            let clean: Vec<u8> = current.iter().copied().filter(|&b| b != b'=').collect();
            let whole = clean.len() / 4 * 4;
            let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
            if let Ok(bytes) = engine.decode(&clean[..whole]) {
                runs.push(bytes);
            }
        }
        current.clear();
        *count = 0;
    };
    for line in lines(message) {
        if is_b64_line(line) {
            current.extend(line.iter().filter(|b| !matches!(b, b'\r')));
            count += 1;
        } else {
            flush(&mut current, &mut count);
        }
    }
    flush(&mut current, &mut count);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The review's H3 input: `--b` then a part declaring a new multipart
    /// boundary that never comes, repeated.
    pub(crate) fn nested_bomb(levels: usize) -> Vec<u8> {
        let mut m = b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n".to_vec();
        for i in 0..levels {
            m.extend_from_slice(
                format!("--b\nContent-Type:multipart/mixed;boundary={i}\n\n").as_bytes(),
            );
        }
        m
    }

    #[test]
    fn lines_split_as_slice_split_does() {
        for text in [
            &b""[..],
            b"\n",
            b"a",
            b"a\n",
            b"a\nb",
            b"\n\na\r\n\nbc\n",
            b"no line end at all, a long one",
        ] {
            let ours: Vec<&[u8]> = lines(text).collect();
            let std: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            assert_eq!(ours, std, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn ordinary_message_is_within_limits() {
        let raw = b"From: a@example.com\r\nContent-Type: multipart/alternative;\r\n boundary=\"xx yy\"\r\n\r\n--xx yy\r\nContent-Type: text/plain\r\n\r\nhi\r\n--xx yy\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--xx yy--\r\n";
        let shape = prescan(raw);
        assert_eq!(shape.over, None);
        assert_eq!(shape.containers, 1);
        assert_eq!(shape.delimiters, 3);
    }

    #[test]
    fn deep_nesting_passes_the_container_limit() {
        let shape = prescan(&nested_bomb(20_000));
        assert_eq!(shape.over, Some(MimeLimit::Containers));
        assert_eq!(shape.containers, MAX_MIME_CONTAINERS + 1);
        // Just within: every container is allowed.
        assert_eq!(prescan(&nested_bomb(MAX_MIME_CONTAINERS - 1)).over, None);
    }

    #[test]
    fn many_siblings_pass_the_part_limit() {
        let mut m = b"Content-Type: multipart/mixed; boundary=b\n\n".to_vec();
        m.extend(b"--b\n\nx\n".repeat(MAX_MIME_PARTS + 1));
        assert_eq!(prescan(&m).over, Some(MimeLimit::Parts));
        let mut ok = b"Content-Type: multipart/mixed; boundary=b\n\n".to_vec();
        ok.extend(b"--b\n\nx\n".repeat(MAX_MIME_PARTS));
        assert_eq!(prescan(&ok).over, None);
    }

    #[test]
    fn delimiters_mid_line_and_folded_types_count() {
        // mail-parser matches `--boundary` anywhere; so does the count.
        let mut m = b"Content-Type:\n multipart/mixed;\n\tboundary=\"q\"\n\n".to_vec();
        m.extend(b"x--q\n\n".repeat(MAX_MIME_PARTS + 1));
        assert_eq!(prescan(&m).over, Some(MimeLimit::Parts));
    }

    #[test]
    fn base64_encoded_nested_message_is_scanned() {
        let inner = nested_bomb(5_000);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&inner);
        let mut m = b"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n".to_vec();
        for chunk in encoded.as_bytes().chunks(76) {
            m.extend_from_slice(chunk);
            m.extend_from_slice(b"\r\n");
        }
        m.extend_from_slice(b"--o--\n");
        assert_eq!(prescan(&m).over, Some(MimeLimit::Containers));
    }

    #[test]
    fn hostile_bytes_are_total_and_bounded() {
        for input in [
            vec![b'-'; 1 << 20],
            b"Content-Type: multipart/x; boundary=\"".to_vec(),
            b"content-type : message/rfc822\n".repeat(10),
            vec![0xff; 4096],
            b"QUJD\n".repeat(200_000),
        ] {
            let _ = prescan(&input);
        }
    }
}
