//! Authentication-Results (RFC 8601) and Received-SPF (RFC 7208 §9.1),
//! parsed leniently enough for real providers.
//!
//! ```text
//! authres-header = "Authentication-Results:" [CFWS] authserv-id
//!                  [ CFWS authres-version ]
//!                  ( no-result / 1*resinfo ) [CFWS] CRLF      ; RFC 8601 §2.2
//! no-result      = [CFWS] ";" [CFWS] "none"
//! resinfo        = [CFWS] ";" methodspec [ CFWS reasonspec ]
//!                  [ CFWS 1*propspec ]
//! methodspec     = [CFWS] method [CFWS] "=" [CFWS] result
//! reasonspec     = "reason" [CFWS] "=" [CFWS] value
//! propspec       = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
//! ```
//!
//! Leniencies, each seen in the wild:
//! - Outlook/EOP omits the authserv-id and starts with `spf=…`;
//! - Yahoo has written `dkim=dkim_pass` (the method repeated in the result);
//! - Microsoft adds properties without a ptype (`action=none`,
//!   `compauth=pass reason=100`);
//! - comments anywhere, including the explanation Gmail puts after `spf=`.

use super::input::{Diagnostic, Severity, Span};
use crate::text::strip_comments;

/// One `ptype.property=value` (RFC 8601 §2.3), or a bare `key=value` that
/// some providers add (then `ptype` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// `smtp`, `header`, `body`, `policy` (lower case); empty for a bare key.
    pub ptype: String,
    /// `mailfrom`, `d`, `from`, `i`… (lower case).
    pub name: String,
    /// The value as written (quotes removed).
    pub value: String,
}

/// One method's result (`resinfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodResult {
    /// `spf`, `dkim`, `dmarc`, `arc`, `auth`… (lower case, version removed).
    pub method: String,
    /// The method version (`dkim/1`), when given.
    pub method_version: Option<String>,
    /// `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`,
    /// `permerror`, `policy`… (lower case, normalised).
    pub result: String,
    /// `reason=` (RFC 8601 §2.7).
    pub reason: Option<String>,
    /// Properties in order.
    pub properties: Vec<Property>,
    /// The first comment of the resinfo, e.g. Gmail's SPF explanation.
    pub comment: Option<String>,
}

impl MethodResult {
    /// The value of `ptype.name` (case-insensitive), e.g. `("smtp", "mailfrom")`.
    pub fn property(&self, ptype: &str, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.ptype.eq_ignore_ascii_case(ptype) && p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
    }
}

/// One Authentication-Results field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthResults {
    /// The authserv-id (empty when omitted, as Outlook does).
    pub authserv_id: String,
    /// `authres-version`, when given.
    pub version: Option<String>,
    /// Method results; empty for `none`.
    pub results: Vec<MethodResult>,
    /// Problems, spans relative to the value.
    pub diagnostics: Vec<Diagnostic>,
}

impl AuthResults {
    /// The results of one method (e.g. all `dkim` results).
    pub fn method<'s>(&'s self, method: &'s str) -> impl Iterator<Item = &'s MethodResult> + 's {
        self.results
            .iter()
            .filter(move |r| r.method.eq_ignore_ascii_case(method))
    }
}

/// Splits on `;` outside quoted strings; yields (offset, segment).
fn split_segments(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                out.push((start, &text[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push((start, &text[start..]));
    out
}

/// `key=value` pairs and bare words of one segment, with CFWS allowed
/// around `=` (RFC 8601 §2.2). Values run to the next whitespace so base64
/// padding (`header.b=ab==`) survives.
fn pairs(segment: &str) -> Vec<(String, Option<String>)> {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= bytes.len() {
            break;
        }
        let key_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let key = segment[key_start..i].to_string();
        let mut j = i;
        skip_ws(&mut j);
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            skip_ws(&mut j);
            let value = if j < bytes.len() && bytes[j] == b'"' {
                let value_start = j + 1;
                j += 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(bytes.len());
                j = (j + 1).min(bytes.len());
                segment
                    .get(value_start..end)
                    .unwrap_or_default()
                    .to_string()
            } else {
                let value_start = j;
                while j < bytes.len() && !bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                segment[value_start..j].to_string()
            };
            out.push((key, Some(value)));
            i = j;
        } else {
            out.push((key, None));
        }
    }
    out
}

/// Lower-cases a result and undoes `dkim=dkim_pass`-style spellings.
fn normalise_result(method: &str, result: &str) -> String {
    let lower = result.to_ascii_lowercase();
    let prefix = format!("{method}_");
    match lower.strip_prefix(&prefix) {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => lower,
    }
}

fn looks_like_resinfo(segment: &str) -> bool {
    // A method spec has `=` before any whitespace-separated second word
    // that could be a version number.
    segment.contains('=')
}

/// Parses one Authentication-Results value. Total.
///
/// ```
/// use mxlens_shared::message::authres::parse_authentication_results;
/// let ar = parse_authentication_results("mx.google.com; dkim=pass header.i=@example.com header.s=s1; spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@example.com; dmarc=pass (p=REJECT) header.from=example.com");
/// assert_eq!(ar.authserv_id, "mx.google.com");
/// assert_eq!(ar.results.len(), 3);
/// assert_eq!(ar.results[1].property("smtp", "mailfrom"), Some("a@example.com"));
/// ```
pub fn parse_authentication_results(value: &str) -> AuthResults {
    let cleaned = strip_comments(value);
    let segments = split_segments(&cleaned.text);
    let mut out = AuthResults::default();
    let mut rest = &segments[..];
    if let Some(&(offset, first)) = segments.first() {
        if looks_like_resinfo(first) {
            // Outlook: no authserv-id (RFC 8601 §2.2 requires one).
            out.diagnostics.push(Diagnostic::new(
                "authres.no-authserv-id",
                Severity::Warning,
                Span::new(offset, offset + first.len()),
                "Authentication-Results has no authserv-id; read leniently",
                "RFC 8601 §2.2",
            ));
        } else {
            let mut words = first.split_whitespace();
            out.authserv_id = words.next().unwrap_or_default().to_string();
            out.version = words.next().map(str::to_string);
            rest = &segments[1..];
        }
    }
    for &(offset, segment) in rest {
        let items = pairs(segment);
        if items.is_empty() {
            continue;
        }
        if items.len() == 1 && items[0].1.is_none() && items[0].0.eq_ignore_ascii_case("none") {
            continue;
        }
        let mut iter = items.into_iter();
        let Some((method_raw, Some(result))) = iter.next() else {
            out.diagnostics.push(Diagnostic::new(
                "authres.bad-resinfo",
                Severity::Warning,
                Span::new(offset, offset + segment.len()),
                format!("cannot read a method=result in {:?}", segment.trim()),
                "RFC 8601 §2.2",
            ));
            continue;
        };
        let (method, method_version) = match method_raw.split_once('/') {
            Some((m, v)) => (m.to_ascii_lowercase(), Some(v.to_string())),
            None => (method_raw.to_ascii_lowercase(), None),
        };
        let segment_end = offset + segment.len();
        // Comments are sorted by offset: binary search keeps this linear.
        let first = cleaned.comments.partition_point(|(at, _)| *at < offset);
        let comment = cleaned
            .comments
            .get(first)
            .filter(|(at, _)| *at < segment_end)
            .map(|(_, text)| text.clone());
        let mut entry = MethodResult {
            result: normalise_result(&method, &result),
            method,
            method_version,
            comment,
            ..MethodResult::default()
        };
        for (key, value) in iter {
            let Some(value) = value else { continue };
            if key.eq_ignore_ascii_case("reason") {
                entry.reason = Some(value);
            } else if let Some((ptype, name)) = key.split_once('.') {
                entry.properties.push(Property {
                    ptype: ptype.trim().to_ascii_lowercase(),
                    name: name.trim().to_ascii_lowercase(),
                    value,
                });
            } else {
                entry.properties.push(Property {
                    ptype: String::new(),
                    name: key.to_ascii_lowercase(),
                    value,
                });
            }
        }
        out.results.push(entry);
    }
    out
}

/// One Received-SPF field (RFC 7208 §9.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedSpf {
    /// `pass`, `fail`, `softfail`… (lower case).
    pub result: String,
    /// The comment after the result.
    pub comment: Option<String>,
    /// `key=value` pairs (`client-ip`, `envelope-from`, `helo`, `receiver`,
    /// `identity`, `mechanism`, `problem`), keys lower case.
    pub pairs: Vec<(String, String)>,
}

impl ReceivedSpf {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a Received-SPF value:
/// `result [comment] [key=value *(";" key=value)]` (RFC 7208 §9.1). Total.
pub fn parse_received_spf(value: &str) -> ReceivedSpf {
    let cleaned = strip_comments(value);
    let text = cleaned.text.trim_start();
    let result_len = text
        .find(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .unwrap_or(text.len());
    let result = text[..result_len].to_ascii_lowercase();
    let mut pairs_out = Vec::new();
    for (_, segment) in split_segments(&text[result_len..]) {
        for (key, value) in pairs(segment) {
            if let Some(value) = value {
                pairs_out.push((key.to_ascii_lowercase(), value));
            }
        }
    }
    ReceivedSpf {
        result,
        comment: cleaned.comments.first().map(|(_, c)| c.clone()),
        pairs: pairs_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlook_without_authserv_id() {
        let ar = parse_authentication_results("spf=pass (sender IP is 209.85.220.41) smtp.mailfrom=example.com; dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass reason=100");
        assert_eq!(ar.authserv_id, "");
        assert_eq!(ar.diagnostics[0].code, "authres.no-authserv-id");
        let methods: Vec<_> = ar.results.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(methods, ["spf", "dkim", "dmarc", "compauth"]);
        assert_eq!(
            ar.results[0].comment.as_deref(),
            Some("sender IP is 209.85.220.41")
        );
        assert_eq!(ar.results[2].property("", "action"), Some("none"));
        assert_eq!(ar.results[3].reason.as_deref(), Some("100"));
    }

    #[test]
    fn yahoo_dkim_pass_spelling_and_spaces_around_equals() {
        let ar = parse_authentication_results(
            "atlas-production.v2-mail-prod1-gq1.omega.yahoo.com; dkim = dkim_pass header.i=@example.com header.s=s1; spf=pass smtp.mailfrom=example.com",
        );
        assert_eq!(ar.results[0].result, "pass");
        assert_eq!(ar.results[0].property("header", "s"), Some("s1"));
    }

    #[test]
    fn received_spf() {
        let spf = parse_received_spf("Pass (protection.outlook.com: domain of example.com designates 209.85.220.41 as permitted sender) receiver=protection.outlook.com; client-ip=209.85.220.41; helo=mail-sor-f41.google.com; pr=C");
        assert_eq!(spf.result, "pass");
        assert_eq!(spf.get("client-ip"), Some("209.85.220.41"));
        assert!(spf.comment.unwrap().contains("designates"));
    }

    #[test]
    fn total_on_garbage() {
        for s in ["", ";", "=", "a=\"", "(((", "x; =y", "; a.b=c", "\\"] {
            let _ = parse_authentication_results(s);
            let _ = parse_received_spf(s);
        }
    }
}
