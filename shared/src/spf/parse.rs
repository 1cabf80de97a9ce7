//! The total SPF record parser (RFC 7208 §4.5, §4.6, §12).
//!
//! Any input gives the best partial [`SpfRecord`] plus diagnostics with byte
//! spans. Invalid terms are left out of the model and reported; check_host()
//! treats any error-level diagnostic as permerror (RFC 7208 §4.6).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use thiserror::Error;

use super::macros::{parse_macro_string, MacroMode};
use super::model::{
    Diagnostic, Directive, DomainSpec, DualCidrLength, MacroItem, Mechanism, Modifier, Qualifier,
    Severity, Span, SpfRecord, Term,
};

/// A parsed record with its diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRecord {
    /// The best-effort model; invalid terms are omitted.
    pub record: SpfRecord,
    /// Everything found wrong, in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// The byte span of each term of `record.terms` in the input.
    pub term_spans: Vec<(u32, u32)>,
}

impl ParsedRecord {
    /// True when any diagnostic is an error: the record yields permerror.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The first error-level diagnostic.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| d.is_error())
    }
}

/// A record that does not parse cleanly (see [`SpfRecord::from_str`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid SPF record at bytes {}..{}: {} ({})", .0.span.start, .0.span.end, .0.message, .0.rfc)]
pub struct SpfParseError(pub Diagnostic);

impl FromStr for SpfRecord {
    type Err = SpfParseError;

    /// Strict parse: the first error-level diagnostic is the error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = parse_record(s);
        match parsed.first_error() {
            Some(d) => Err(SpfParseError(d.clone())),
            None => Ok(parsed.record),
        }
    }
}

/// True when a TXT string is an SPF version 1 record: `v=spf1` (any case)
/// followed by a space or the end (RFC 7208 §4.5).
pub fn is_spf_record(txt: &str) -> bool {
    let b = txt.as_bytes();
    b.len() >= 6 && b[..6].eq_ignore_ascii_case(b"v=spf1") && (b.len() == 6 || b[6] == b' ')
}

fn error(
    span: (usize, usize),
    code: &'static str,
    rfc: &'static str,
    message: String,
) -> Diagnostic {
    Diagnostic {
        span: Span::new(span.0, span.1),
        code,
        severity: Severity::Error,
        rfc,
        message,
    }
}

/// Parses an SPF record. Never panics.
///
/// ```
/// use mxlens_shared::spf::parse_record;
/// let parsed = parse_record("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all");
/// assert!(parsed.diagnostics.is_empty());
/// assert_eq!(parsed.record.terms.len(), 3);
/// assert_eq!(parsed.record.to_string(), "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all");
/// ```
pub fn parse_record(text: &str) -> ParsedRecord {
    let mut diagnostics = Vec::new();
    let mut terms = Vec::new();
    let mut term_spans = Vec::new();

    // version = "v=spf1", then terms separated by 1*SP (RFC 7208 §4.5, §12).
    let mut tokens = split_sp(text);
    match tokens.first() {
        Some(&(start, version)) if version.eq_ignore_ascii_case("v=spf1") && start == 0 => {
            tokens.remove(0);
        }
        Some(&(start, version))
            if start == 0
                && version.len() >= 5
                && version.as_bytes()[..5].eq_ignore_ascii_case(b"v=spf") =>
        {
            diagnostics.push(error(
                (0, version.len()),
                "spf.syntax.version",
                "RFC 7208 §4.5",
                format!("`{version}` is not the SPF version 1 tag `v=spf1`"),
            ));
            tokens.remove(0);
        }
        _ => diagnostics.push(error(
            (0, text.len().min(6)),
            "spf.syntax.version",
            "RFC 7208 §4.5",
            "the record does not start with `v=spf1`".to_string(),
        )),
    }

    let mut seen_redirect = false;
    let mut seen_exp = false;
    for (start, token) in tokens {
        let span = (start, start + token.len());
        if let Some(term) = parse_term(token, start, &mut diagnostics) {
            if let Term::Modifier(m) = &term {
                let (seen, name) = match m {
                    Modifier::Redirect(_) => (&mut seen_redirect, "redirect"),
                    Modifier::Explanation(_) => (&mut seen_exp, "exp"),
                    Modifier::Unknown { .. } => (&mut false, ""),
                };
                if *seen {
                    diagnostics.push(error(
                        span,
                        "spf.syntax.duplicate-modifier",
                        "RFC 7208 §6",
                        format!("`{name}=` appears more than once"),
                    ));
                    continue;
                }
                *seen = true;
            }
            terms.push(term);
            term_spans.push((span.0 as u32, span.1 as u32));
        }
    }
    ParsedRecord {
        record: SpfRecord { terms },
        diagnostics,
        term_spans,
    }
}

/// Splits on SP only; any other white space or control character stays
/// inside a token and is reported there (RFC 7208 §4.6.1).
fn split_sp(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in text.bytes().enumerate() {
        if b == b' ' {
            if let Some(s) = start.take() {
                out.push((s, &text[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )` followed by `=`.
fn modifier_name_len(token: &str) -> Option<usize> {
    let b = token.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let len = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        .count();
    (b.get(len) == Some(&b'=')).then_some(len)
}

fn parse_term(token: &str, start: usize, diags: &mut Vec<Diagnostic>) -> Option<Term> {
    let span = (start, start + token.len());
    if let Some(name_len) = modifier_name_len(token) {
        let name = &token[..name_len];
        let value = &token[name_len + 1..];
        let value_start = start + name_len + 1;
        let lower = name.to_ascii_lowercase();
        return match lower.as_str() {
            "redirect" => parse_domain_spec(value, value_start, "redirect", "RFC 7208 §6.1", diags)
                .map(|d| Term::Modifier(Modifier::Redirect(d))),
            "exp" => parse_domain_spec(value, value_start, "exp", "RFC 7208 §6.2", diags)
                .map(|d| Term::Modifier(Modifier::Explanation(d))),
            _ => {
                let before = diags.len();
                let value = parse_macro_string(value, value_start, MacroMode::Domain, diags);
                (diags.len() == before).then(|| {
                    Term::Modifier(Modifier::Unknown {
                        name: name.to_string(),
                        value,
                    })
                })
            }
        };
    }

    // directive = [ qualifier ] mechanism
    let (qualifier, body, body_start) = match token.chars().next().and_then(Qualifier::from_symbol)
    {
        Some(q) => (q, &token[1..], start + 1),
        None => (Qualifier::Pass, token, start),
    };
    let name_len = body.find([':', '/']).unwrap_or(body.len());
    let name = &body[..name_len];
    let rest = &body[name_len..];
    let rest_start = body_start + name_len;
    let lower = name.to_ascii_lowercase();
    let before = diags.len();
    let mechanism = match lower.as_str() {
        "all" => {
            if !rest.is_empty() {
                diags.push(error(
                    span,
                    "spf.syntax.all-argument",
                    "RFC 7208 §5.1",
                    format!("`all` takes no argument, found `{rest}`"),
                ));
            }
            Some(Mechanism::All)
        }
        "include" | "exists" => {
            let rfc = if lower == "include" {
                "RFC 7208 §5.2"
            } else {
                "RFC 7208 §5.7"
            };
            match rest.strip_prefix(':') {
                Some(arg) => parse_domain_spec(arg, rest_start + 1, &lower, rfc, diags).map(|d| {
                    if lower == "include" {
                        Mechanism::Include(d)
                    } else {
                        Mechanism::Exists(d)
                    }
                }),
                None => {
                    diags.push(error(
                        span,
                        "spf.syntax.missing-domain",
                        rfc,
                        format!("`{lower}` needs `:domain`"),
                    ));
                    None
                }
            }
        }
        "a" | "mx" => {
            let rfc = if lower == "a" {
                "RFC 7208 §5.3"
            } else {
                "RFC 7208 §5.4"
            };
            let (domain, cidr) = if let Some(arg) = rest.strip_prefix(':') {
                let (domain_text, cidr_text) = split_trailing_cidr(arg);
                let cidr_start = rest_start + 1 + domain_text.len();
                let cidr = parse_dual_cidr(cidr_text, cidr_start, diags);
                let domain = parse_domain_spec(domain_text, rest_start + 1, &lower, rfc, diags);
                (domain, cidr)
            } else {
                (None, parse_dual_cidr(rest, rest_start, diags))
            };
            let cidr = cidr.unwrap_or_default();
            Some(if lower == "a" {
                Mechanism::A { domain, cidr }
            } else {
                Mechanism::Mx { domain, cidr }
            })
        }
        "ptr" => {
            if let Some(arg) = rest.strip_prefix(':') {
                parse_domain_spec(arg, rest_start + 1, "ptr", "RFC 7208 §5.5", diags)
                    .map(|d| Mechanism::Ptr(Some(d)))
            } else if rest.is_empty() {
                Some(Mechanism::Ptr(None))
            } else {
                diags.push(error(
                    span,
                    "spf.syntax.ptr-cidr",
                    "RFC 7208 §5.5",
                    format!("`ptr` takes no prefix length, found `{rest}`"),
                ));
                None
            }
        }
        "ip4" | "ip6" => match rest.strip_prefix(':') {
            Some(arg) => parse_ip(&lower, arg, rest_start + 1, diags),
            None => {
                diags.push(error(
                    span,
                    "spf.syntax.missing-network",
                    "RFC 7208 §5.6",
                    format!("`{lower}` needs `:network`"),
                ));
                None
            }
        },
        _ => {
            let known_modifier = matches!(lower.as_str(), "redirect" | "exp");
            diags.push(error(
                span,
                "spf.syntax.unknown-mechanism",
                "RFC 7208 §5",
                if known_modifier {
                    format!("`{token}`: `{lower}` is a modifier, written `{lower}=domain`")
                } else if token.chars().any(|c| !c.is_ascii_graphic()) {
                    format!(
                        "`{}`: SPF records are visible 7-bit ASCII",
                        token.escape_debug()
                    )
                } else {
                    format!("`{token}` is not a mechanism or modifier")
                },
            ));
            None
        }
    };
    if diags.len() != before {
        return None;
    }
    mechanism.map(|mechanism| {
        Term::Directive(Directive {
            qualifier,
            mechanism,
        })
    })
}

/// Splits `domain/24//64` into the domain and the trailing dual-cidr-length.
/// A slash followed by something other than digits belongs to the domain
/// (`a:foo:bar/baz.example.com` is a valid domain-spec, RFC 7208 §7.1).
fn split_trailing_cidr(arg: &str) -> (&str, &str) {
    let mut end = arg.len();
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(pos) = arg.rfind("//") {
        if is_digits(&arg[pos + 2..]) {
            end = pos;
        }
    }
    if let Some(pos) = arg[..end].rfind('/') {
        if is_digits(&arg[pos + 1..end]) && !arg[..pos].ends_with('/') {
            end = pos;
        }
    }
    (&arg[..end], &arg[end..])
}

fn parse_cidr_digits(digits: &str, max: u8, at: usize, diags: &mut Vec<Diagnostic>) -> Option<u8> {
    let span = (at, at + digits.len());
    let valid = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    match digits.parse::<u16>() {
        Ok(v) if valid && v <= u16::from(max) => Some(v as u8),
        _ => {
            diags.push(error(
                span,
                "spf.syntax.cidr",
                "RFC 7208 §5.6",
                format!("`/{digits}` is not a prefix length from 0 to {max} without leading zeros"),
            ));
            None
        }
    }
}

/// `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]`
fn parse_dual_cidr(text: &str, at: usize, diags: &mut Vec<Diagnostic>) -> Option<DualCidrLength> {
    let mut cidr = DualCidrLength::default();
    if text.is_empty() {
        return Some(cidr);
    }
    let before = diags.len();
    let (ip4_part, ip6_part) = match text.find("//") {
        Some(pos) => (&text[..pos], Some(&text[pos + 2..])),
        None => (text, None),
    };
    if !ip4_part.is_empty() {
        match ip4_part.strip_prefix('/') {
            Some(d) => cidr.ip4 = parse_cidr_digits(d, 32, at + 1, diags),
            None => diags.push(error(
                (at, at + text.len()),
                "spf.syntax.cidr",
                "RFC 7208 §5.6",
                format!("unexpected `{text}` after the mechanism"),
            )),
        }
    }
    if let Some(d) = ip6_part {
        cidr.ip6 = parse_cidr_digits(d, 128, at + ip4_part.len() + 2, diags);
    }
    (diags.len() == before).then_some(cidr)
}

fn parse_ip(kind: &str, arg: &str, at: usize, diags: &mut Vec<Diagnostic>) -> Option<Mechanism> {
    let (network, cidr) = match arg.find('/') {
        Some(pos) => (&arg[..pos], Some(&arg[pos + 1..])),
        None => (arg, None),
    };
    let before = diags.len();
    let max = if kind == "ip4" { 32 } else { 128 };
    let prefix = cidr.and_then(|c| parse_cidr_digits(c, max, at + network.len() + 1, diags));
    let span = (at, at + network.len());
    let mechanism = if kind == "ip4" {
        match parse_ip4_network(network) {
            Some(network) => Some(Mechanism::Ip4 { network, prefix }),
            None => {
                diags.push(error(
                    span,
                    "spf.syntax.ip4",
                    "RFC 7208 §5.6",
                    format!("`{network}` is not a dotted-quad IPv4 address"),
                ));
                None
            }
        }
    } else {
        match Ipv6Addr::from_str(network) {
            Ok(network) => Some(Mechanism::Ip6 { network, prefix }),
            Err(_) => {
                diags.push(error(
                    span,
                    "spf.syntax.ip6",
                    "RFC 7208 §5.6",
                    format!("`{network}` is not an IPv6 address"),
                ));
                None
            }
        }
    };
    if diags.len() != before {
        return None;
    }
    mechanism
}

/// `ip4-network = qnum "." qnum "." qnum "." qnum`, qnum 0–255 without
/// leading zeros (RFC 7208 §12).
fn parse_ip4_network(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if p.len() > 1 && p.starts_with('0') {
            return None;
        }
        octets[i] = p.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) /
///             ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
pub(crate) fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

/// `domain-spec = macro-string domain-end` (RFC 7208 §7.1).
fn parse_domain_spec(
    text: &str,
    at: usize,
    term: &str,
    rfc: &'static str,
    diags: &mut Vec<Diagnostic>,
) -> Option<DomainSpec> {
    let span = (at, at + text.len());
    if text.is_empty() {
        diags.push(error(
            (at.saturating_sub(1), at),
            "spf.syntax.empty-domain",
            rfc,
            format!("`{term}` has an empty domain-spec"),
        ));
        return None;
    }
    let before = diags.len();
    let spec = parse_macro_string(text, at, MacroMode::Domain, diags);
    if diags.len() != before {
        return None;
    }
    // domain-end = ( "." toplabel [ "." ] ) / macro-expand
    let ok = match spec.items.last() {
        Some(MacroItem::Expand(_)) | Some(MacroItem::Escape(_)) => true,
        Some(MacroItem::Literal(l)) => {
            let l = l.strip_suffix('.').unwrap_or(l);
            match l.rfind('.') {
                Some(dot) => is_toplabel(&l[dot + 1..]),
                None => false,
            }
        }
        None => false,
    };
    if !ok {
        diags.push(error(
            span,
            "spf.syntax.domain-end",
            "RFC 7208 §7.1",
            format!(
                "`{text}` is not a valid domain-spec: it must end in a macro or `.` and a top label that is not all numeric"
            ),
        ));
        return None;
    }
    Some(DomainSpec(spec))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
