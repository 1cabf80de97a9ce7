//! DKIM-Signature fields (RFC 6376 §3.5): tags, and what is wrong with them.
//! No cryptography here: the receiver's verdict is in Authentication-Results.
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]          ; RFC 6376 §3.2
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC
//! sig-h-tag =  %x68 [FWS] "=" [FWS] hdr-name
//!              *( [FWS] ":" [FWS] hdr-name )               ; RFC 6376 §3.5
//! ```

use std::collections::HashMap;

use crate::message::input::{Diagnostic, ParsedInput, Severity, Span};
use crate::report::Status;

/// One `name=value` of a tag list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The tag name as written.
    pub name: String,
    /// The value with surrounding whitespace removed.
    pub value: String,
    /// Where the tag-spec sits in the field value.
    pub span: Span,
}

/// Parses an RFC 6376 §3.2 tag list (also used by ARC, RFC 8617 §4.1).
/// Total: malformed specs become diagnostics. Spans are relative to `value`.
pub fn parse_tag_list(value: &str) -> (Vec<Tag>, Vec<Diagnostic>) {
    let mut tags: Vec<Tag> = Vec::new();
    let mut diagnostics = Vec::new();
    let mut offset = 0;
    for spec in value.split(';') {
        let span = Span::new(offset, offset + spec.len());
        offset += spec.len() + 1;
        if spec.trim().is_empty() {
            continue;
        }
        match spec.split_once('=') {
            Some((name, tag_value)) => {
                let name = name.trim();
                let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid_name {
                    diagnostics.push(Diagnostic::new(
                        "tag.bad-name",
                        Severity::Error,
                        span,
                        format!("invalid tag name {name:?}"),
                        "RFC 6376 §3.2",
                    ));
                    continue;
                }
                if tags.iter().any(|t| t.name == name) {
                    diagnostics.push(Diagnostic::new(
                        "tag.duplicate",
                        Severity::Error,
                        span,
                        format!("tag {name}= appears twice"),
                        "RFC 6376 §3.2",
                    ));
                    continue;
                }
                tags.push(Tag {
                    name: name.to_string(),
                    value: tag_value.trim().to_string(),
                    span,
                });
            }
            None => diagnostics.push(Diagnostic::new(
                "tag.no-equals",
                Severity::Error,
                span,
                format!("{:?} is not a tag=value", spec.trim()),
                "RFC 6376 §3.2",
            )),
        }
    }
    (tags, diagnostics)
}

/// The value of tag `name` in a parsed list.
pub fn tag<'t>(tags: &'t [Tag], name: &str) -> Option<&'t str> {
    tags.iter()
        .find(|t| t.name == name)
        .map(|t| t.value.as_str())
}

/// Removes all whitespace (FWS inside base64 and h= lists).
fn compact(value: &str) -> String {
    // Tag values are ASCII in practice (b= and bh= are base64 of several
    // hundred bytes): filtering bytes costs a fraction of collecting chars
    // one by one, which was 1.3% of an analysis (#17 G4). U+0009–U+000D and
    // U+0020 are the ASCII characters `char::is_whitespace` takes.
    if value.is_ascii() {
        let kept = value
            .bytes()
            .filter(|b| !matches!(b, b'\t'..=b'\r' | b' '))
            .collect();
        return String::from_utf8(kept).unwrap_or_default();
    }
    value.chars().filter(|c| !c.is_whitespace()).collect()
}

/// One DKIM-Signature, its tags decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DkimSignature {
    /// `v=` (must be `1`).
    pub version: Option<String>,
    /// `a=`, lower case (`rsa-sha256`, `ed25519-sha256`, `rsa-sha1`).
    pub algorithm: Option<String>,
    /// `d=`, lower case.
    pub domain: Option<String>,
    /// `s=`.
    pub selector: Option<String>,
    /// `c=` (default `simple/simple`).
    pub canonicalization: Option<String>,
    /// `h=`, as written, in order.
    pub signed_headers: Vec<String>,
    /// `i=`.
    pub identity: Option<String>,
    /// `l=` body length.
    pub body_length: Option<u64>,
    /// `q=`.
    pub query_methods: Option<String>,
    /// `t=` signature time (unix seconds).
    pub timestamp: Option<i64>,
    /// `x=` expiry (unix seconds).
    pub expiration: Option<i64>,
    /// `bh=` (whitespace removed).
    pub body_hash: Option<String>,
    /// `b=` (whitespace removed).
    pub signature: Option<String>,
    /// `z=` copied header fields, present or not.
    pub has_copied_headers: bool,
    /// Problems found while parsing, spans relative to the value.
    pub diagnostics: Vec<Diagnostic>,
}

impl DkimSignature {
    /// True when `h=` names `header` (case-insensitive).
    pub fn signs(&self, header: &str) -> bool {
        self.signed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(header))
    }

    /// `h=`, lower case, in order: the form the report and the checklists
    /// keep.
    pub fn signed_headers_lower(&self) -> Vec<String> {
        self.signed_headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect()
    }

    /// How many times `h=` lists `header`.
    pub fn times_signed(&self, header: &str) -> u32 {
        self.signed_headers
            .iter()
            .filter(|h| h.eq_ignore_ascii_case(header))
            .count() as u32
    }
}

fn parse_number(
    tags: &[Tag],
    name: &str,
    diagnostics: &mut Vec<Diagnostic>,
    rfc: &'static str,
) -> Option<u64> {
    let t = tags.iter().find(|t| t.name == name)?;
    let digits = compact(&t.value);
    // RFC 6376 §3.5: at most 12 digits for t= and x=, 76 for l=.
    match digits.parse::<u64>() {
        Ok(n) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Some(n),
        _ => {
            diagnostics.push(Diagnostic::new(
                "dkim.bad-number",
                Severity::Error,
                t.span,
                format!("{name}={:?} is not a number", t.value),
                rfc,
            ));
            None
        }
    }
}

/// Parses a DKIM-Signature value. Total.
pub fn parse_dkim_signature(value: &str) -> DkimSignature {
    let (tags, mut diagnostics) = parse_tag_list(value);
    let get = |name: &str| tag(&tags, name).map(str::to_string);
    let signed_headers = tag(&tags, "h")
        .map(|h| {
            h.split(':')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    for required in ["v", "a", "b", "bh", "d", "h", "s"] {
        if tag(&tags, required).is_none() {
            diagnostics.push(Diagnostic::new(
                "dkim.missing-tag",
                Severity::Error,
                Span::new(0, value.len()),
                format!("required tag {required}= is missing"),
                "RFC 6376 §6.1.1",
            ));
        }
    }
    let body_length = parse_number(&tags, "l", &mut diagnostics, "RFC 6376 §3.5");
    let timestamp = parse_number(&tags, "t", &mut diagnostics, "RFC 6376 §3.5")
        .map(|n| n.min(i64::MAX as u64) as i64);
    let expiration = parse_number(&tags, "x", &mut diagnostics, "RFC 6376 §3.5")
        .map(|n| n.min(i64::MAX as u64) as i64);
    DkimSignature {
        version: get("v"),
        algorithm: get("a").map(|a| a.to_ascii_lowercase()),
        domain: get("d").map(|d| d.trim_end_matches('.').to_ascii_lowercase()),
        selector: get("s"),
        canonicalization: get("c"),
        signed_headers,
        identity: get("i"),
        body_length,
        query_methods: get("q"),
        timestamp,
        expiration,
        body_hash: get("bh").map(|v| compact(&v)),
        signature: get("b").map(|v| compact(&v)),
        has_copied_headers: tag(&tags, "z").is_some(),
        diagnostics,
    }
}

/// One finding about a signature, ready to become a `msg.dkim-signature`
/// check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFinding {
    /// How bad.
    pub status: Status,
    /// What was found, with values.
    pub message: String,
    /// The RFC section.
    pub rfc: &'static str,
}

fn finding(status: Status, message: impl Into<String>, rfc: &'static str) -> SignatureFinding {
    SignatureFinding {
        status,
        message: message.into(),
        rfc,
    }
}

/// Lints one signature against the message it sits in. `report_time` is the
/// report's time; `delivery_time` the newest Received timestamp, when known
/// (both unix seconds).
pub fn lint_dkim_signature(
    sig: &DkimSignature,
    input: &ParsedInput<'_>,
    report_time: Option<i64>,
    delivery_time: Option<i64>,
) -> Vec<SignatureFinding> {
    lint_dkim_signature_with_counts(sig, &HeaderCounts::of(input), report_time, delivery_time)
}

/// How many times each header field name occurs in a message, names
/// compared case-insensitively (RFC 5322 §1.2.2). Build it once when
/// linting many signatures: a map, so that many signatures over many
/// fields stay linear.
#[derive(Debug, Clone, Default)]
pub struct HeaderCounts<'a>(HashMap<Caseless<'a>, u32>);

/// A field name hashed and compared without regard to ASCII case, so the
/// counts borrow the parsed names instead of lowering each into a new
/// string (#17 G4).
#[derive(Debug, Clone, Copy)]
struct Caseless<'a>(&'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl std::hash::Hash for Caseless<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut buf = [0u8; 32];
        for chunk in self.0.as_bytes().chunks(buf.len()) {
            let lower = &mut buf[..chunk.len()];
            lower.copy_from_slice(chunk);
            lower.make_ascii_lowercase();
            state.write(lower);
        }
        state.write_u8(0xff);
    }
}

impl<'a> HeaderCounts<'a> {
    /// Counts the fields of `input`.
    pub fn of(input: &'a ParsedInput<'_>) -> Self {
        let mut map: HashMap<Caseless<'a>, u32> = HashMap::with_capacity(input.headers.len());
        for field in &input.headers {
            *map.entry(Caseless(field.name)).or_default() += 1;
        }
        HeaderCounts(map)
    }

    /// Occurrences of `name` (any case).
    pub fn get(&self, name: &str) -> u32 {
        self.0.get(&Caseless(name)).copied().unwrap_or(0)
    }
}

/// [`lint_dkim_signature`] with precomputed header counts.
pub fn lint_dkim_signature_with_counts(
    sig: &DkimSignature,
    present: &HeaderCounts,
    report_time: Option<i64>,
    delivery_time: Option<i64>,
) -> Vec<SignatureFinding> {
    let mut out = Vec::new();
    for d in &sig.diagnostics {
        if d.severity == Severity::Error {
            out.push(finding(Status::Fail, d.message.clone(), d.rfc));
        }
    }
    if let Some(v) = &sig.version {
        if v != "1" {
            out.push(finding(
                Status::Fail,
                format!("v={v}: only version 1 exists"),
                "RFC 6376 §3.5",
            ));
        }
    }
    match sig.algorithm.as_deref() {
        Some("rsa-sha1") => out.push(finding(
            Status::Fail,
            "a=rsa-sha1: SHA-1 signatures must not be used and receivers treat them as failing",
            "RFC 8301 §3.1",
        )),
        Some("rsa-sha256") | Some("ed25519-sha256") | None => {}
        Some(other) => out.push(finding(
            Status::Fail,
            format!("a={other} is not a registered algorithm"),
            "RFC 6376 §3.3",
        )),
    }
    if let Some(l) = sig.body_length {
        out.push(finding(
            Status::Warn,
            format!(
                "l={l}: only the first {l} body bytes are signed, so anyone can append content"
            ),
            "RFC 6376 §8.2",
        ));
    }
    if !sig.signed_headers.is_empty() && !sig.signs("from") {
        out.push(finding(
            Status::Fail,
            "From is not in h=: the signature does not protect the From header",
            "RFC 6376 §5.4",
        ));
    }
    if let (Some(identity), Some(domain)) = (&sig.identity, &sig.domain) {
        let i_domain = identity
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if i_domain != *domain && !i_domain.ends_with(&format!(".{domain}")) {
            out.push(finding(
                Status::Fail,
                format!("i={identity} is not in d={domain} or a subdomain of it"),
                "RFC 6376 §3.5",
            ));
        }
    }
    if let (Some(t), Some(x)) = (sig.timestamp, sig.expiration) {
        if x < t {
            out.push(finding(
                Status::Fail,
                format!("x={x} is before t={t}"),
                "RFC 6376 §3.5",
            ));
        }
    }
    if let Some(x) = sig.expiration {
        match (delivery_time, report_time) {
            (Some(delivered), _) if x < delivered => out.push(finding(
                Status::Fail,
                format!("x={x}: the signature had expired when the message was delivered"),
                "RFC 6376 §3.5",
            )),
            (_, Some(now)) if x < now => out.push(finding(
                Status::Warn,
                format!("x={x}: the signature has expired since; verifying it again now fails"),
                "RFC 6376 §3.5",
            )),
            _ => {}
        }
    }
    // Over-signing: listing a header once more than it occurs stops anyone
    // adding another instance later (RFC 6376 §8.15).
    // Counted with maps: h= and the header block can both be huge in a
    // hostile paste, and this must stay linear.
    let mut signed: HashMap<String, u32> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for h in &sig.signed_headers {
        let lower = h.to_ascii_lowercase();
        let count = signed.entry(lower.clone()).or_default();
        if *count == 0 {
            order.push(lower);
        }
        *count += 1;
    }
    let over_signed: Vec<String> = order
        .into_iter()
        .filter(|h| signed[h] > present.get(h))
        .collect();
    if !over_signed.is_empty() {
        out.push(finding(
            Status::Info,
            format!(
                "over-signed (good practice, blocks added copies): {}",
                over_signed.join(", ")
            ),
            "RFC 6376 §8.15",
        ));
    }
    out
}

/// The `h=` list of one signature, for checks that need to know what a
/// signature covers (e.g. RFC 8058 one-click needs List-Unsubscribe and
/// List-Unsubscribe-Post signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaderList {
    /// `d=`, lower case (empty when missing).
    pub domain: String,
    /// `s=` (empty when missing).
    pub selector: String,
    /// `h=` entries, lower case, in order.
    pub headers: Vec<String>,
}

impl SignedHeaderList {
    /// True when `h=` covers `header` (case-insensitive).
    pub fn covers(&self, header: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(header))
    }
}

/// Every DKIM-Signature of the message, parsed, top first.
pub fn dkim_signatures(input: &ParsedInput<'_>) -> Vec<DkimSignature> {
    input
        .all("dkim-signature")
        .map(|h| parse_dkim_signature(&h.value))
        .collect()
}

/// The `h=` lists of every DKIM-Signature, top first.
pub fn signed_header_lists(input: &ParsedInput<'_>) -> Vec<SignedHeaderList> {
    dkim_signatures(input)
        .into_iter()
        .map(|s| SignedHeaderList {
            headers: s.signed_headers_lower(),
            domain: s.domain.unwrap_or_default(),
            selector: s.selector.unwrap_or_default(),
        })
        .collect()
}

/// The (domain, selector) pairs of every DKIM-Signature, deduplicated: the
/// domain audit can look these keys up instead of guessing selectors.
pub fn selectors(input: &ParsedInput<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for s in dkim_signatures(input) {
        if let (Some(d), Some(sel)) = (s.domain, s.selector) {
            if !out.iter().any(|(od, os)| *od == d && *os == sel) {
                out.push((d, sel));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `compact`'s ASCII path removes what `char::is_whitespace` does
        /// (vertical tab and form feed included), and any text keeps the
        /// char path's answer.
        #[test]
        fn compact_removes_what_is_whitespace_removes(value in "[aZ09+/= \t\n\r\x0B\x0C\x1F\u{85}\u{A0}\u{3000}é]{0,40}") {
            let by_char: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            proptest::prop_assert_eq!(compact(&value), by_char);
        }
    }
    use crate::message::input::parse_input;

    const SIG: &str = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=Example.com; s=s1;\r\n t=1751364000; x=1751968800; h=from:to:subject:date:message-id:from:list-unsubscribe:list-unsubscribe-post;\r\n bh=abc\r\n def=; b=xyz\r\n ==";

    #[test]
    fn parses_tags() {
        let s = parse_dkim_signature(SIG);
        assert_eq!(s.domain.as_deref(), Some("example.com"));
        assert_eq!(s.selector.as_deref(), Some("s1"));
        assert_eq!(s.times_signed("FROM"), 2);
        assert_eq!(s.body_hash.as_deref(), Some("abcdef="));
        assert_eq!(s.signature.as_deref(), Some("xyz=="));
        assert_eq!(s.expiration, Some(1_751_968_800));
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    }

    #[test]
    fn lints_sha1_length_from_expiry_and_oversigning() {
        let raw = format!("DKIM-Signature: {SIG}\r\nFrom: a@example.com\r\n\r\n");
        let input = parse_input(raw.as_bytes());
        let sig = parse_dkim_signature(&input.first("dkim-signature").unwrap().value);
        let f = lint_dkim_signature(&sig, &input, Some(1_767_225_600), Some(1_751_364_100));
        assert!(f
            .iter()
            .any(|f| f.status == Status::Warn && f.message.contains("expired")));
        assert!(f
            .iter()
            .any(|f| f.status == Status::Info && f.message.contains("from")));

        let bad = parse_dkim_signature(
            "v=1; a=rsa-sha1; d=example.com; s=s; l=10; h=to:subject; bh=x; b=y",
        );
        let f = lint_dkim_signature(&bad, &input, None, None);
        let statuses: Vec<_> = f.iter().map(|f| (f.status, f.rfc)).collect();
        assert!(statuses.contains(&(Status::Fail, "RFC 8301 §3.1")));
        assert!(statuses.contains(&(Status::Warn, "RFC 6376 §8.2")));
        assert!(statuses.contains(&(Status::Fail, "RFC 6376 §5.4")));
    }

    /// The counts compare names case-insensitively in place of a
    /// lower-cased copy: any case asked, any case written, and names longer
    /// than the hash's 32-byte chunk.
    #[test]
    fn header_counts_ignore_case() {
        let long = "X-A-Very-Long-Vendor-Header-Name-Past-32-Bytes";
        let raw = format!(
            "From: a@example.com\r\nFROM: b@example.com\r\nsubject: x\r\n{long}: 1\r\n{}: 2\r\n\r\n",
            long.to_ascii_uppercase()
        );
        let input = parse_input(raw.as_bytes());
        let counts = HeaderCounts::of(&input);
        assert_eq!(counts.get("from"), 2);
        assert_eq!(counts.get("From"), 2);
        assert_eq!(counts.get("Subject"), 1);
        assert_eq!(counts.get(&long.to_ascii_lowercase()), 2);
        assert_eq!(counts.get("to"), 0);
        assert_eq!(counts.get("fro"), 0);
        assert_eq!(counts.get(&long[..long.len() - 1]), 0);
    }

    #[test]
    fn exposes_lists_and_selectors() {
        let raw = format!("DKIM-Signature: {SIG}\r\nDKIM-Signature: v=1; d=esp.example; s=k1; a=rsa-sha256; h=from; bh=a; b=b\r\n\r\n");
        let input = parse_input(raw.as_bytes());
        let lists = signed_header_lists(&input);
        assert!(lists[0].covers("List-Unsubscribe-Post"));
        assert!(!lists[1].covers("list-unsubscribe"));
        assert_eq!(
            selectors(&input),
            [
                ("example.com".to_string(), "s1".to_string()),
                ("esp.example".to_string(), "k1".to_string())
            ]
        );
    }

    #[test]
    fn total_on_garbage() {
        for s in ["", ";;;", "=", "h=", "1a=b", "x=abc; t=-1", "b=; b="] {
            let _ = parse_dkim_signature(s);
        }
    }
}
