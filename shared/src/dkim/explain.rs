//! Why a body hash broke: searches for the simple edits that break DKIM
//! body hashes in practice, each tested against `bh=` itself, so every
//! explanation given is one the hash confirms, never a guess.
//!
//! - content appended after the original end (a list footer), or inserted
//!   before the closing MIME boundary;
//! - whitespace added at line ends, mbox `>From ` quoting, SMTP dot
//!   stuffing left in place (RFC 5321 §4.5.2): edits that relaxed body
//!   canonicalization, or a careful paste, would not have made;
//! - a single-part body re-encoded to quoted-printable or base64 by a relay
//!   (RFC 6376 §5.3 asks signers to avoid 8bit for this reason).
//!
//! Work is bounded: one pass with a running hash over the body, and at
//! most [`TAIL_LINES`]² short re-hashes for insertions near the end.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::canon::{canonical_body, canonical_line, Canon};

/// How many lines at the end of the body the insertion search considers.
pub const TAIL_LINES: usize = 24;

/// The most text shown for a change (characters).
pub const MAX_SHOWN: usize = 2000;

/// What changed in a body since it was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyChangeKind {
    /// Text was added after the signed end.
    Appended,
    /// Text was inserted before the last lines (e.g. before the closing
    /// MIME boundary).
    Inserted,
    /// Whitespace was added at line ends (simple body canonicalization).
    TrailingWhitespace,
    /// Lines starting with `From ` were quoted as `>From ` (mbox).
    FromQuoting,
    /// Lines starting with `.` still carry the SMTP dot stuffing.
    DotStuffing,
    /// The body was re-encoded; the text names the encoding.
    Reencoded(String),
    /// `l=` covers less than the body: the rest is unsigned (not a failure).
    UnsignedTail,
    /// `l=` is longer than the body: content was removed.
    Truncated,
    /// None of the known edits explains the change.
    Unknown,
}

impl BodyChangeKind {
    /// A stable word for the report.
    pub fn as_str(&self) -> &'static str {
        match self {
            BodyChangeKind::Appended => "appended",
            BodyChangeKind::Inserted => "inserted",
            BodyChangeKind::TrailingWhitespace => "trailing_whitespace",
            BodyChangeKind::FromQuoting => "from_quoting",
            BodyChangeKind::DotStuffing => "dot_stuffing",
            BodyChangeKind::Reencoded(_) => "reencoded",
            BodyChangeKind::UnsignedTail => "unsigned_tail",
            BodyChangeKind::Truncated => "truncated",
            BodyChangeKind::Unknown => "unknown",
        }
    }
}

/// One explained body change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyChange {
    /// What kind of change.
    pub kind: BodyChangeKind,
    /// The sentence that explains it.
    pub detail: String,
    /// The added or unsigned text (lossy UTF-8, at most [`MAX_SHOWN`]
    /// characters), empty when there is nothing to show.
    pub text: String,
}

fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(MAX_SHOWN).collect();
    if text.chars().count() > MAX_SHOWN {
        out.push('…');
    }
    out
}

fn joined(lines: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Hash state after each line with content: (line count, state).
struct Running {
    states: Vec<(usize, Sha256)>,
}

/// Finds the line count `k` such that the first `k` lines hash to
/// `expected`, and for insertions the range `[s, e)` whose removal does.
fn search_edits(lines: &[&[u8]], canon: Canon, expected: &[u8]) -> Option<(usize, usize)> {
    let n = lines.len();
    let mut hasher = Sha256::new();
    let mut running = Running { states: Vec::new() };
    // The empty prefix: simple canonicalization hashes it as one CRLF.
    let empty = match canon {
        Canon::Simple => Sha256::digest(b"\r\n"),
        Canon::Relaxed => Sha256::digest(b""),
    };
    if empty[..] == *expected && n > 0 {
        return Some((0, n));
    }
    running.states.push((0, hasher.clone()));
    let mut line = Vec::new();
    for (index, l) in lines.iter().enumerate() {
        line.clear();
        canonical_line(l, canon, &mut line);
        let content = !line.is_empty();
        line.extend_from_slice(b"\r\n");
        hasher.update(&line);
        if content {
            if index + 1 < n && hasher.clone().finalize()[..] == *expected {
                return Some((index + 1, n));
            }
            running.states.push((index + 1, hasher.clone()));
        }
    }
    // Insertions: drop lines [s, e) near the end, keep [e, n).
    let tail_start = n.saturating_sub(TAIL_LINES);
    let candidates: Vec<&(usize, Sha256)> = running
        .states
        .iter()
        .filter(|(k, _)| *k >= tail_start)
        .collect();
    for e in (tail_start..n).rev() {
        let (rest, _) = canonical_body(&lines[e..], canon);
        for (s, state) in candidates.iter().filter(|(s, _)| *s < e) {
            if *s == 0 && e == n {
                continue;
            }
            let mut h = state.clone();
            h.update(&rest);
            if h.finalize()[..] == *expected {
                return Some((*s, e));
            }
        }
    }
    None
}

/// A per-line edit undone to test a hypothesis.
type LineEdit = fn(&[u8]) -> Vec<u8>;

/// Decodes quoted-printable (RFC 2045 §6.7), leniently.
fn decode_quoted_printable(body: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out_lines = Vec::new();
    let mut current = Vec::new();
    for line in body {
        let trimmed = &line[..line
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t'))
            .map_or(0, |p| p + 1)];
        let (text, soft) = match trimmed.strip_suffix(b"=") {
            Some(t) => (t, true),
            None => (trimmed, false),
        };
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'=' && i + 3 <= text.len() {
                let hex = std::str::from_utf8(&text[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    current.push(byte);
                    i += 3;
                    continue;
                }
            }
            current.push(text[i]);
            i += 1;
        }
        if !soft {
            out_lines.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out_lines.push(current);
    }
    // Decoded CRLF inside a line splits it.
    out_lines
        .into_iter()
        .flat_map(|l| {
            l.split(|b| *b == b'\n')
                .map(|p| p.strip_suffix(b"\r").unwrap_or(p).to_vec())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn decode_base64(body: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
    let compact: Vec<u8> = body
        .iter()
        .flat_map(|l| l.iter().copied())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    Some(
        bytes
            .split(|b| *b == b'\n')
            .map(|p| p.strip_suffix(b"\r").unwrap_or(p).to_vec())
            .collect(),
    )
}

/// Explains a body hash mismatch. `lines` is the body as pasted,
/// `expected` the decoded `bh=`, `length` the `l=` value, and
/// `transfer_encoding` the top-level Content-Transfer-Encoding of a
/// single-part body (lower case), when there is one.
pub fn explain_body(
    lines: &[&[u8]],
    canon: Canon,
    expected: &[u8],
    length: Option<u64>,
    transfer_encoding: Option<&str>,
) -> BodyChange {
    let (canonical, _) = canonical_body(lines, canon);
    if let Some(l) = length {
        if l > canonical.len() as u64 {
            return BodyChange {
                kind: BodyChangeKind::Truncated,
                detail: format!(
                    "l={l} but the canonical body is only {} bytes: content was removed after signing",
                    canonical.len()
                ),
                text: String::new(),
            };
        }
    }
    if length.is_none() {
        if let Some((s, e)) = search_edits(lines, canon, expected) {
            let (kind, detail) = if e == lines.len() {
                (
                    BodyChangeKind::Appended,
                    format!(
                        "{} line(s) were appended after the signed end of the body (a mailing-list or gateway footer, for example); without them the body hash matches",
                        e - s
                    ),
                )
            } else {
                (
                    BodyChangeKind::Inserted,
                    format!(
                        "{} line(s) were inserted before the last {} line(s) (a footer added inside the MIME structure, for example); without them the body hash matches",
                        e - s,
                        lines.len() - e
                    ),
                )
            };
            return BodyChange {
                kind,
                detail,
                text: shown(&joined(&lines[s..e])),
            };
        }
    }
    let cut = |body: Vec<u8>| match length {
        Some(l) => body[..(l as usize).min(body.len())].to_vec(),
        None => body,
    };
    let hash_lines = |ls: &[Vec<u8>]| {
        let refs: Vec<&[u8]> = ls.iter().map(Vec::as_slice).collect();
        Sha256::digest(cut(canonical_body(&refs, canon).0))[..] == *expected
    };
    let owned: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
    let variants: [(BodyChangeKind, &str, LineEdit); 4] = [
        (
            BodyChangeKind::TrailingWhitespace,
            "whitespace was added at the end of lines after signing; with c=*/relaxed the body hash would have tolerated it",
            |l| {
                // The signature separator "-- " keeps its space (RFC 3676 §4.3).
                if l == b"-- " {
                    return l.to_vec();
                }
                let end = l.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(0, |p| p + 1);
                l[..end].to_vec()
            },
        ),
        (
            BodyChangeKind::TrailingWhitespace,
            "whitespace was added at the end of lines after signing; with c=*/relaxed the body hash would have tolerated it",
            |l| {
                let end = l.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(0, |p| p + 1);
                l[..end].to_vec()
            },
        ),
        (
            BodyChangeKind::FromQuoting,
            "lines beginning with \"From \" were quoted as \">From \" (an mbox file or a mail client's export); without the quoting the body hash matches",
            |l| l.strip_prefix(b">").filter(|r| r.starts_with(b"From ")).unwrap_or(l).to_vec(),
        ),
        (
            BodyChangeKind::DotStuffing,
            "lines beginning with \"..\" still carry SMTP dot stuffing (RFC 5321 §4.5.2); without it the body hash matches",
            |l| l.strip_prefix(b".").filter(|r| r.starts_with(b".")).unwrap_or(l).to_vec(),
        ),
    ];
    for (kind, detail, edit) in variants {
        let edited: Vec<Vec<u8>> = owned.iter().map(|l| edit(l)).collect();
        if edited != owned && hash_lines(&edited) {
            return BodyChange {
                kind,
                detail: detail.to_string(),
                text: String::new(),
            };
        }
    }
    let decoded = match transfer_encoding {
        Some("quoted-printable") => Some(decode_quoted_printable(lines)),
        Some("base64") => decode_base64(lines),
        _ => None,
    };
    if let (Some(decoded), Some(encoding)) = (decoded, transfer_encoding) {
        if hash_lines(&decoded) {
            return BodyChange {
                kind: BodyChangeKind::Reencoded(encoding.to_string()),
                detail: format!(
                    "the body was re-encoded to {encoding} after signing (a relay converted 8bit content); decoded, the body hash matches"
                ),
                text: String::new(),
            };
        }
    }
    BodyChange {
        kind: BodyChangeKind::Unknown,
        detail: "the body changed after signing; it is not an appended footer, a whitespace change or a re-encoding that mxlens can undo".to_string(),
        text: String::new(),
    }
}

/// The unsigned rest of a body that `l=` covers only in part (RFC 6376
/// §8.2): `None` when `l=` covers it all.
pub fn unsigned_tail(lines: &[&[u8]], canon: Canon, length: u64) -> Option<BodyChange> {
    let (canonical, _) = canonical_body(lines, canon);
    let signed = usize::try_from(length).unwrap_or(usize::MAX);
    if signed >= canonical.len() {
        return None;
    }
    Some(BodyChange {
        kind: BodyChangeKind::UnsignedTail,
        detail: format!(
            "l={length}: only the first {length} of {} body bytes are signed; anyone on the path can add the rest unnoticed",
            canonical.len()
        ),
        text: shown(&canonical[signed..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::canon::body_lines;

    fn bh(body: &[u8], canon: Canon) -> Vec<u8> {
        Sha256::digest(canonical_body(&body_lines(body), canon).0).to_vec()
    }

    #[test]
    fn finds_appended_footer_and_inserted_part() {
        let original = b"Hello\r\n\r\nBye\r\n";
        let expected = bh(original, Canon::Relaxed);
        let changed = b"Hello\r\n\r\nBye\r\n-- \r\nList footer\r\n";
        let c = explain_body(&body_lines(changed), Canon::Relaxed, &expected, None, None);
        assert_eq!(c.kind, BodyChangeKind::Appended, "{c:?}");
        assert_eq!(c.text, "-- \r\nList footer\r\n");

        let original = b"--b\r\ntext\r\n--b--\r\n";
        let expected = bh(original, Canon::Simple);
        let changed = b"--b\r\ntext\r\n--b\r\nfooter part\r\n--b--\r\n";
        let c = explain_body(&body_lines(changed), Canon::Simple, &expected, None, None);
        assert_eq!(c.kind, BodyChangeKind::Inserted, "{c:?}");
        assert_eq!(c.text, "--b\r\nfooter part\r\n");
    }

    #[test]
    fn finds_whitespace_quoting_and_reencoding() {
        let expected = bh(b"a\r\nb\r\n", Canon::Simple);
        let c = explain_body(
            &body_lines(b"a  \r\nb\t\r\n"),
            Canon::Simple,
            &expected,
            None,
            None,
        );
        assert_eq!(c.kind, BodyChangeKind::TrailingWhitespace);
        let expected = bh(b"x\r\nFrom here\r\n", Canon::Simple);
        let c = explain_body(
            &body_lines(b"x\r\n>From here\r\n"),
            Canon::Simple,
            &expected,
            None,
            None,
        );
        assert_eq!(c.kind, BodyChangeKind::FromQuoting);
        let expected = bh("Grüße\r\n".as_bytes(), Canon::Relaxed);
        let c = explain_body(
            &body_lines(b"Gr=C3=BC=C3=9Fe\r\n"),
            Canon::Relaxed,
            &expected,
            None,
            Some("quoted-printable"),
        );
        assert_eq!(c.kind, BodyChangeKind::Reencoded("quoted-printable".into()));
        let c = explain_body(
            &body_lines(b"other\r\n"),
            Canon::Relaxed,
            &expected,
            None,
            None,
        );
        assert_eq!(c.kind, BodyChangeKind::Unknown);
    }

    #[test]
    fn length_tag_tail_and_truncation() {
        let lines = body_lines(b"signed\r\nadded\r\n");
        let tail = unsigned_tail(&lines, Canon::Simple, 8).unwrap();
        assert_eq!(tail.text, "added\r\n");
        assert!(unsigned_tail(&lines, Canon::Simple, 15).is_none());
        let c = explain_body(&lines, Canon::Simple, &[0; 32], Some(u64::MAX), None);
        assert_eq!(c.kind, BodyChangeKind::Truncated);
    }
}
