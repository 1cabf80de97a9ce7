//! Why a header hash broke: the rewrites relays and lists make to signed
//! header fields, each turned back into a candidate original that the
//! verifier then tries. Only a candidate the signature confirms is
//! reported as the cause; the rest are hints.
//!
//! - Subject tags such as `[EXTERNAL]`, `*SPAM*` or `EXT:` added by a
//!   gateway or a mailing list;
//! - From rewritten by a list (DMARC mitigation) with the original kept
//!   in X-Original-From;
//! - Content-Transfer-Encoding changed by a relay that re-encoded the body;
//! - refolded or re-spaced fields under c=simple headers (relaxed would
//!   have tolerated them, RFC 6376 §3.4.2).

use super::canon::{raw_field, Canon};
use crate::message::input::ParsedInput;

/// One candidate original: fields replaced and, optionally, another header
/// canonicalization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What was changed, if this candidate verifies.
    pub description: String,
    /// Field index and its candidate original bytes.
    pub replace: Vec<(usize, Vec<u8>)>,
    /// Header canonicalization to use instead of the signature's.
    pub canon: Option<Canon>,
}

/// At most this many candidates are tried per signature.
pub const MAX_CANDIDATES: usize = 8;

fn with_value(raw: &[u8], value: &str) -> Vec<u8> {
    let colon = raw.iter().position(|&b| b == b':').unwrap_or(raw.len());
    let mut out = raw[..colon.min(raw.len())].to_vec();
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out
}

/// The Subject without its first tag, e.g. `[EXTERNAL] Hello` → `Hello`.
fn strip_subject_tag(subject: &str) -> Option<String> {
    let s = subject.trim_start();
    let rest = if let Some(inner) = s.strip_prefix('[') {
        inner.split_once(']').map(|(_, rest)| rest)
    } else if s.starts_with('*') {
        s.trim_start_matches('*')
            .split_once('*')
            .map(|(_, rest)| rest.trim_start_matches('*'))
    } else if let Some(inner) = s.strip_prefix('(') {
        inner.split_once(')').map(|(_, rest)| rest)
    } else {
        // `EXTERNAL:` / `EXT:` / `SPAM:`: an upper-case word and a colon.
        s.split_once(':')
            .filter(|(word, _)| {
                (2..=12).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_uppercase())
            })
            .map(|(_, rest)| rest)
    }?;
    let rest = rest.trim_start();
    (rest.len() < s.len()).then(|| rest.to_string())
}

/// The candidates for one signature. `selected` holds the field indexes the
/// signature covers (from [`super::canon::select_headers`]).
pub fn candidates(
    input: &ParsedInput<'_>,
    selected: &[Option<usize>],
    header_canon: Canon,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let covered = |name: &str| {
        selected
            .iter()
            .flatten()
            .copied()
            .find(|&i| input.headers[i].is(name))
    };
    if let Some(index) = covered("subject") {
        let raw = raw_field(input.input, &input.headers[index]);
        let mut subject = input.headers[index].value.to_string();
        let mut removed = Vec::new();
        while let Some(stripped) = strip_subject_tag(&subject) {
            let tag = subject.trim_start()[..subject.trim_start().len() - stripped.len()]
                .trim_end()
                .to_string();
            removed.push(tag);
            subject = stripped;
            out.push(Candidate {
                description: format!(
                    "the Subject was tagged after signing: {:?} was added in front of {subject:?}",
                    removed.join(" ")
                ),
                replace: vec![(index, with_value(&raw, &subject))],
                canon: None,
            });
            if removed.len() >= 3 {
                break;
            }
        }
    }
    if let (Some(index), Some(original)) = (covered("from"), input.first("x-original-from")) {
        let raw = raw_field(input.input, &input.headers[index]);
        out.push(Candidate {
            description: format!(
                "From was rewritten after signing (a mailing list's DMARC mitigation): signed as {:?}, now {:?}",
                original.value, input.headers[index].value
            ),
            replace: vec![(index, with_value(&raw, &original.value))],
            canon: None,
        });
    }
    if let Some(index) = covered("content-transfer-encoding") {
        let raw = raw_field(input.input, &input.headers[index]);
        let now = input.headers[index].value.trim().to_ascii_lowercase();
        for was in ["7bit", "8bit", "quoted-printable", "base64", "binary"] {
            if was != now {
                out.push(Candidate {
                    description: format!(
                        "a relay re-encoded the message: Content-Transfer-Encoding was {was} when signed, now {now}"
                    ),
                    replace: vec![(index, with_value(&raw, was))],
                    canon: None,
                });
            }
        }
    }
    if header_canon == Canon::Simple {
        out.insert(
            0,
            Candidate {
                description: "signed header fields were refolded or re-spaced after signing; c=relaxed/… would have tolerated it".to_string(),
                replace: Vec::new(),
                canon: Some(Canon::Relaxed),
            },
        );
    }
    out.truncate(MAX_CANDIDATES);
    out
}

/// Hints that need no signature check: signed fields that occur more often
/// than `h=` lists them (RFC 6376 §8.15: an added copy is unsigned and may
/// be the one a mail client shows) and a Date far from `t=`.
pub fn hints(
    input: &ParsedInput<'_>,
    signed: &[String],
    timestamp: Option<i64>,
    date: Option<i64>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for name in signed {
        let lower = name.trim().to_ascii_lowercase();
        if seen.contains(&lower) || seen.len() > 64 {
            continue;
        }
        let listed = signed
            .iter()
            .filter(|n| n.trim().eq_ignore_ascii_case(&lower))
            .count();
        let present = input.count(&lower) as usize;
        if present > listed {
            out.push(format!(
                "{name} occurs {present} times but h= signs it {listed} time(s): the verifier checks the bottom-most, and an added copy above it is unsigned"
            ));
        }
        seen.push(lower);
    }
    if let (Some(t), Some(d)) = (timestamp, date) {
        // A Date written a day or more after signing was rewritten later.
        let hours = (d - t) / 3600;
        if hours >= 24 && signed.iter().any(|n| n.trim().eq_ignore_ascii_case("date")) {
            out.push(format!(
                "Date is {hours} h after the signing time t=: a relay may have rewritten Date"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_common_subject_tags() {
        let cases = [
            ("[EXTERNAL] Hello", Some("Hello")),
            ("*SPAM* Hello", Some("Hello")),
            ("***SPAM*** Hello", Some("Hello")),
            ("EXT: Hello", Some("Hello")),
            ("(External) Re: x", Some("Re: x")),
            ("Re: Hello", None),
            ("Hello", None),
            ("[", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(strip_subject_tag(input).as_deref(), want, "{input:?}");
        }
    }
}
