//! DKIM canonicalization (RFC 6376 §3.4) and header selection (§5.4.2).
//! Pure byte work: the same code hashes in the browser and natively.
//!
//! ```text
//! sig-c-tag-alg = "simple" / "relaxed"                       ; RFC 6376 §3.5
//! c=            = header-alg ["/" body-alg]                   ; default simple/simple
//! ```
//!
//! A paste seldom keeps CRLF: bare LF line ends are read as CRLF, which is
//! what the message carried on the wire (RFC 5322 §2.1, RFC 5321 §2.3.8).

use std::collections::HashMap;

use crate::message::input::{HeaderField, ParsedInput};

/// One canonicalization algorithm (RFC 6376 §3.4.1–§3.4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canon {
    /// Nothing changes but trailing empty lines of the body.
    Simple,
    /// Whitespace runs collapse, header names fold to lower case.
    Relaxed,
}

impl Canon {
    /// The tag word.
    pub fn as_str(self) -> &'static str {
        match self {
            Canon::Simple => "simple",
            Canon::Relaxed => "relaxed",
        }
    }
}

/// Reads `c=` (RFC 6376 §3.5): `header[/body]`, each `simple` or
/// `relaxed`; absent means simple/simple and a lone word leaves the body
/// simple. `None` for any other value.
pub fn parse_canonicalization(value: Option<&str>) -> Option<(Canon, Canon)> {
    let word = |w: &str| match w.trim().to_ascii_lowercase().as_str() {
        "simple" => Some(Canon::Simple),
        "relaxed" => Some(Canon::Relaxed),
        _ => None,
    };
    match value {
        None => Some((Canon::Simple, Canon::Simple)),
        Some(v) => match v.split_once('/') {
            Some((h, b)) => Some((word(h)?, word(b)?)),
            None => Some((word(v)?, Canon::Simple)),
        },
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The raw bytes of a field (name to the end of its last line), with bare
/// LF line breaks read as CRLF.
pub fn raw_field(input: &[u8], field: &HeaderField) -> Vec<u8> {
    let start = (field.span.start as usize).min(input.len());
    let end = (field.span.end as usize).clamp(start, input.len());
    let mut out = Vec::with_capacity(end - start + 8);
    for (i, &b) in input[start..end].iter().enumerate() {
        if b == b'\n' && (i == 0 || input[start + i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Canonicalizes one whole field (RFC 6376 §3.4.1, §3.4.2), without the
/// final CRLF.
pub fn canonical_header(raw: &[u8], canon: Canon) -> Vec<u8> {
    match canon {
        Canon::Simple => raw.to_vec(),
        Canon::Relaxed => {
            let colon = raw.iter().position(|&b| b == b':').unwrap_or(raw.len());
            let mut out: Vec<u8> = raw[..colon]
                .iter()
                .filter(|b| !is_wsp(**b))
                .map(u8::to_ascii_lowercase)
                .collect();
            out.push(b':');
            let mut pending_space = false;
            let mut started = false;
            for &b in raw.get(colon + 1..).unwrap_or_default() {
                match b {
                    b'\r' | b'\n' => {}
                    b' ' | b'\t' => pending_space = true,
                    _ => {
                        // WSP before the value is removed, runs become one SP.
                        if pending_space && started {
                            out.push(b' ');
                        }
                        pending_space = false;
                        started = true;
                        out.push(b);
                    }
                }
            }
            out
        }
    }
}

/// The field with the value of its `b=` tag removed (RFC 6376 §3.7: "the
/// value of the b= tag (including all surrounding whitespace) is deleted").
/// Tag names are matched after FWS, so `bh=` is left alone.
pub fn without_signature_value(raw: &[u8]) -> Vec<u8> {
    let Some(colon) = raw.iter().position(|&b| b == b':') else {
        return raw.to_vec();
    };
    let mut out = raw[..=colon].to_vec();
    let value = &raw[colon + 1..];
    let mut first = true;
    for segment in value.split(|&b| b == b';') {
        if !first {
            out.push(b';');
        }
        first = false;
        let name_start = segment
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(segment.len());
        let eq = segment.iter().position(|&b| b == b'=');
        match eq {
            Some(eq) if eq >= name_start => {
                let name: Vec<u8> = segment[name_start..eq]
                    .iter()
                    .copied()
                    .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                    .collect();
                if name == b"b" {
                    out.extend_from_slice(&segment[..=eq]);
                } else {
                    out.extend_from_slice(segment);
                }
            }
            _ => out.extend_from_slice(segment),
        }
    }
    out
}

/// Picks the fields `h=` names, bottom-up for repeated names and nothing
/// for a name listed more often than it occurs (RFC 6376 §5.4.2). The
/// result holds indexes into `input.headers`, `None` for an over-signed
/// entry. `skip` leaves one field out (the signature being verified).
pub fn select_headers(
    input: &ParsedInput<'_>,
    signed: &[String],
    skip: Option<usize>,
) -> Vec<Option<usize>> {
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, field) in input.headers.iter().enumerate() {
        if Some(index) != skip {
            by_name
                .entry(field.name.to_ascii_lowercase())
                .or_default()
                .push(index);
        }
    }
    signed
        .iter()
        .map(|name| {
            by_name
                .get_mut(&name.trim().to_ascii_lowercase())
                .and_then(Vec::pop)
        })
        .collect()
}

/// The body bytes of a paste (after the blank line), empty when none.
pub fn body_of<'a>(input: &ParsedInput<'a>) -> &'a [u8] {
    match input.body_start {
        Some(start) => input.input.get(start as usize..).unwrap_or_default(),
        None => &[],
    }
}

/// The body split into lines without their line breaks (CRLF or bare LF).
/// A final line without a break counts as a line.
pub fn body_lines(body: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    if body.ends_with(b"\n") || body.is_empty() {
        lines.pop();
    }
    lines
}

/// One body line canonicalized, without its CRLF (RFC 6376 §3.4.3, §3.4.4).
pub fn canonical_line(line: &[u8], canon: Canon, out: &mut Vec<u8>) {
    match canon {
        Canon::Simple => out.extend_from_slice(line),
        Canon::Relaxed => {
            let end = line.iter().rposition(|b| !is_wsp(*b)).map_or(0, |p| p + 1);
            let mut in_space = false;
            for &b in &line[..end] {
                if is_wsp(b) {
                    if !in_space {
                        out.push(b' ');
                    }
                    in_space = true;
                } else {
                    in_space = false;
                    out.push(b);
                }
            }
        }
    }
}

/// The canonical body (RFC 6376 §3.4.3, §3.4.4): every line ends in CRLF,
/// trailing empty lines are dropped; an empty simple body is one CRLF, an
/// empty relaxed body is empty. `line_ends[i]` is the canonical length
/// after line `i`, for mapping `l=` and explanations back to lines.
pub fn canonical_body(lines: &[&[u8]], canon: Canon) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 2).sum());
    let mut line_ends = Vec::with_capacity(lines.len());
    let mut last_content = 0;
    for line in lines {
        let before = out.len();
        canonical_line(line, canon, &mut out);
        let has_content = out.len() > before;
        out.extend_from_slice(b"\r\n");
        if has_content {
            last_content = out.len();
        }
        line_ends.push(out.len());
    }
    out.truncate(last_content);
    for end in &mut line_ends {
        *end = (*end).min(last_content);
    }
    if out.is_empty() && canon == Canon::Simple {
        out.extend_from_slice(b"\r\n");
    }
    (out, line_ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &[u8], canon: Canon) -> Vec<u8> {
        canonical_body(&body_lines(text), canon).0
    }

    #[test]
    fn rfc6376_section_3_4_5_example() {
        // RFC 6376 §3.4.5.
        let field = b"A: X";
        assert_eq!(canonical_header(field, Canon::Relaxed), b"a:X");
        let field = b"B : Y\t\r\n\tZ  ";
        assert_eq!(canonical_header(field, Canon::Relaxed), b"b:Y Z");
        assert_eq!(
            body(b" C \r\nD \t E\r\n\r\n\r\n", Canon::Relaxed),
            b" C\r\nD E\r\n"
        );
        assert_eq!(
            body(b" C \r\nD \t E\r\n\r\n\r\n", Canon::Simple),
            b" C \r\nD \t E\r\n"
        );
    }

    #[test]
    fn empty_bodies_and_missing_final_crlf() {
        assert_eq!(body(b"", Canon::Simple), b"\r\n");
        assert_eq!(body(b"", Canon::Relaxed), b"");
        assert_eq!(body(b"\r\n\r\n", Canon::Relaxed), b"");
        assert_eq!(body(b"\n\n", Canon::Simple), b"\r\n");
        assert_eq!(body(b"x", Canon::Relaxed), b"x\r\n");
        assert_eq!(body(b"x\n\ny \n", Canon::Simple), b"x\r\n\r\ny \r\n");
    }

    #[test]
    fn signature_value_removed_but_not_bh() {
        let raw = b"DKIM-Signature: v=1; bh=abc=; b=xy\r\n z=; d=a";
        assert_eq!(
            without_signature_value(raw),
            b"DKIM-Signature: v=1; bh=abc=; b=; d=a"
        );
        assert_eq!(without_signature_value(b"X: b=1"), b"X: b=");
        assert_eq!(without_signature_value(b"no colon"), b"no colon");
    }

    #[test]
    fn parses_c_tag() {
        assert_eq!(
            parse_canonicalization(None),
            Some((Canon::Simple, Canon::Simple))
        );
        assert_eq!(
            parse_canonicalization(Some("relaxed")),
            Some((Canon::Relaxed, Canon::Simple))
        );
        assert_eq!(
            parse_canonicalization(Some("Simple/Relaxed")),
            Some((Canon::Simple, Canon::Relaxed))
        );
        assert_eq!(parse_canonicalization(Some("fancy/simple")), None);
    }
}
