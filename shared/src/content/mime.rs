//! The MIME structure as a receiver's filter sees it: Content-Type fields
//! that are not `type/subtype`, multiparts without a boundary or whose
//! delimiters never appear, charsets no decoder knows, 8-bit text without a
//! charset, and transfer encodings that do not decode. Filters score these
//! (SpamAssassin's MIME_* rules, rspamd's BROKEN_CONTENT_TYPE) because real
//! mail software rarely gets them wrong and spamware often does.

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Encoding, HeaderName, Message, MessagePart, MimeHeaders, PartType};

use super::limits::MAX_PARTS;

/// What the structure walk found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MimeFindings {
    /// Each problem in words, at most one per part and kind.
    pub problems: Vec<String>,
    /// `text/plain` body parts (not attachments).
    pub text_parts: u32,
    /// `text/html` body parts (not attachments).
    pub html_parts: u32,
    /// MIME parts looked at.
    pub parts: u32,
    /// The message had more than [`MAX_PARTS`] parts; the rest were skipped.
    pub parts_capped: bool,
}

/// At most this many problems are listed (the rest are counted in the last).
const MAX_PROBLEMS: usize = 20;

fn raw_header<'m>(raw: &'m [u8], part: &MessagePart<'_>, name: HeaderName<'_>) -> Option<&'m [u8]> {
    let header = part.headers.iter().find(|h| h.name == name)?;
    raw.get(header.offset_start as usize..header.offset_end as usize)
}

fn is_known_charset(charset: &str) -> bool {
    let lower = charset.trim().to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "utf-8" | "utf8" | "us-ascii" | "ascii" | "7bit" | "8bit"
    ) || charset_decoder(lower.as_bytes()).is_some()
}

/// Walks every part of `msg` (nested messages included, mail-parser's
/// own nesting limit applies) and lists what is broken.
pub fn inspect_mime(msg: &Message<'_>) -> MimeFindings {
    let mut findings = MimeFindings::default();
    let mut problems: Vec<String> = Vec::new();
    let raw = msg.raw_message();
    let root_has_version = msg
        .root_part()
        .headers
        .iter()
        .any(|h| h.name == HeaderName::MimeVersion);
    for (index, part) in msg.parts.iter().enumerate() {
        if index >= MAX_PARTS {
            findings.parts_capped = true;
            break;
        }
        findings.parts += 1;
        let label = if index == 0 {
            "the message".to_string()
        } else {
            format!("part {index}")
        };
        let ctype = part.content_type();
        if let Some(value) = raw_header(raw, part, HeaderName::ContentType) {
            let value = String::from_utf8_lossy(value);
            let media = value.split(';').next().unwrap_or_default().trim();
            // RFC 2045 §5.1: type "/" subtype, both tokens.
            let well_formed = media.split_once('/').is_some_and(|(t, s)| {
                let token = |x: &str| {
                    !x.is_empty()
                        && x.bytes()
                            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
                };
                token(t) && token(s)
            });
            if !well_formed {
                problems.push(format!(
                    "{label}: Content-Type \"{}\" is not type/subtype (RFC 2045 §5.1), so it is read as text/plain",
                    media.chars().take(60).collect::<String>()
                ));
            }
        }
        if index == 0
            && !root_has_version
            && ctype.is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart"))
        {
            problems.push(
                "the message is multipart but has no MIME-Version header (RFC 2045 §4)".to_string(),
            );
        }
        let multipart = ctype.is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart"));
        match &part.body {
            _ if multipart => {
                let boundary = ctype
                    .and_then(|c| c.attribute("boundary"))
                    .filter(|b| !b.is_empty());
                match boundary {
                    None => problems.push(format!(
                        "{label}: multipart without a boundary parameter (RFC 2046 §5.1.1), so its parts cannot be found"
                    )),
                    Some(boundary) if boundary.len() > 70 => problems.push(format!(
                        "{label}: the boundary is {} characters long; at most 70 are allowed (RFC 2046 §5.1.1)",
                        boundary.len()
                    )),
                    Some(boundary) => {
                        let body = raw
                            .get(part.offset_body as usize..(part.offset_end as usize).min(raw.len()))
                            .unwrap_or_default();
                        let delimiter = format!("--{boundary}");
                        let (open, close) = delimiters(body, delimiter.as_bytes());
                        if !open && close {
                            problems.push(format!(
                                "{label}: only the closing delimiter \"{delimiter}--\" appears, no part opens (RFC 2046 §5.1.1)"
                            ));
                        } else if !open {
                            problems.push(format!(
                                "{label}: the boundary \"{boundary}\" never appears in the body (RFC 2046 §5.1.1)"
                            ));
                        } else if !close {
                            problems.push(format!(
                                "{label}: no closing delimiter \"{delimiter}--\" (RFC 2046 §5.1.1): the message may be truncated"
                            ));
                        }
                    }
                }
            }
            PartType::Text(text) | PartType::Html(text) => {
                let is_body = msg.text_body.contains(&(index as u32))
                    || msg.html_body.contains(&(index as u32));
                let is_attachment = msg.attachments.contains(&(index as u32));
                if is_body && !is_attachment {
                    if matches!(part.body, PartType::Html(_)) {
                        findings.html_parts += 1;
                    } else {
                        findings.text_parts += 1;
                    }
                }
                match ctype.and_then(|c| c.attribute("charset")) {
                    Some(charset) if !is_known_charset(charset) => problems.push(format!(
                        "{label}: unknown charset \"{}\" (RFC 2046 §4.1.2), so the text may be garbled",
                        charset.chars().take(40).collect::<String>()
                    )),
                    Some(_) => {}
                    None => {
                        let body = raw.get(part.offset_body as usize..(part.offset_end as usize).min(raw.len())).unwrap_or_default();
                        if part.encoding == Encoding::None && !body.is_ascii() && !text.is_empty() {
                            problems.push(format!(
                                "{label}: 8-bit text without a charset parameter (RFC 2045 §5.2 defaults to US-ASCII)"
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
        // Only base64 counts: decoders read a stray `=` in quoted-printable
        // as itself (RFC 2045 §6.7 note 1 asks them to be robust), while
        // broken base64 loses content. mail-parser resets `encoding` to
        // None on such a part, so the declared encoding is read instead.
        let declared_base64 = part.encoding == Encoding::Base64
            || part
                .content_transfer_encoding()
                .is_some_and(|cte| cte.trim().eq_ignore_ascii_case("base64"));
        if part.is_encoding_problem && declared_base64 {
            problems.push(format!(
                "{label}: the base64 Content-Transfer-Encoding does not decode cleanly (RFC 2045 §6.8)"
            ));
        }
    }
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!("and {more} more"));
    }
    findings.problems = problems;
    findings
}

/// Whether `delimiter` opens a part (at a line start, not followed by
/// `--`) and whether it closes the multipart (followed by `--`), RFC 2046
/// §5.1.1. Linear: each occurrence is found by [`find`] from the last.
fn delimiters(body: &[u8], delimiter: &[u8]) -> (bool, bool) {
    let (mut open, mut close) = (false, false);
    let mut from = 0;
    while let Some(at) = find(&body[from..], delimiter) {
        let at = from + at;
        let line_start = at == 0 || body[at - 1] == b'\n';
        let after = &body[at + delimiter.len()..];
        if line_start {
            if after.starts_with(b"--") {
                close = true;
            } else {
                open = true;
            }
        }
        if open && close {
            break;
        }
        from = at + delimiter.len();
    }
    (open, close)
}

/// The first position of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    haystack
        .iter()
        .enumerate()
        .take(haystack.len() - needle.len() + 1)
        .filter(|(_, &b)| b == first)
        .map(|(i, _)| i)
        .find(|&i| &haystack[i..i + needle.len()] == needle)
}

/// Decodes quoted-printable leniently (RFC 2045 §6.7, note 1): an `=` not
/// followed by two hex digits or a line break is kept as itself, where a
/// strict decoder gives up. Soft line breaks (`=` at a line end, with
/// trailing white space tolerated) are removed. Linear in `raw`.
pub fn decode_qp_lenient(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        if let (Some(h), Some(l)) = (
            raw.get(i + 1).and_then(|&c| hex(c)),
            raw.get(i + 2).and_then(|&c| hex(c)),
        ) {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        // A soft line break: `=`, optional white space, then CRLF or LF.
        let mut j = i + 1;
        while j < raw.len() && matches!(raw[j], b' ' | b'\t') {
            j += 1;
        }
        match raw.get(j) {
            Some(b'\n') => i = j + 1,
            Some(b'\r') if raw.get(j + 1) == Some(&b'\n') => i = j + 2,
            None => i = j,
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

/// The text of a body part mail-parser could not decode
/// (`is_encoding_problem`, in which case it keeps the raw bytes): when the
/// part says `quoted-printable`, the body decoded leniently
/// ([`decode_qp_lenient`]) and then from its charset. `None` for a part
/// that decoded cleanly or uses another encoding.
pub fn repaired_text(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    if !part.is_encoding_problem {
        return None;
    }
    let cte = part.content_transfer_encoding()?;
    if !cte.trim().eq_ignore_ascii_case("quoted-printable") {
        return None;
    }
    let start = part.offset_body as usize;
    let end = (part.offset_end as usize).min(msg.raw_message().len());
    let body = msg.raw_message().get(start..end)?;
    let bytes = decode_qp_lenient(body);
    let charset = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(|c| c.trim().to_ascii_lowercase());
    Some(
        match charset
            .as_deref()
            .and_then(|c| charset_decoder(c.as_bytes()))
        {
            Some(decode) if !matches!(charset.as_deref(), Some("utf-8" | "utf8")) => decode(&bytes),
            _ => String::from_utf8_lossy(&bytes).into_owned(),
        },
    )
}

/// True when `part` is declared `text/html`.
pub fn is_declared_html(part: &MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("text")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html"))
    })
}
