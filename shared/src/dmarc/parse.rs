//! A total parser for DMARC records (RFC 7489 §6.3–§6.4, RFC 9989 §4.7).
//!
//! ```text
//! dmarc-record = dmarc-version dmarc-sep [dmarc-request]
//!                [dmarc-sep dmarc-srequest] [dmarc-sep dmarc-auri] ...
//!                [dmarc-sep]
//! dmarc-sep    = *WSP %x3b *WSP
//! dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31   ; "DMARC1", case-sensitive
//! ```
//!
//! Tag names are matched case-insensitively. Unknown tags are ignored
//! (RFC 7489 §6.3) and reported as info.

use crate::diagnostic::{Diagnostic, Span};
use crate::tag_list::{split_list, split_tags, RawTag, Segment};
use crate::uri::check_uri;

use super::model::{Alignment, DmarcRecord, FailureOption, Policy, PsdFlag, ReportSize, ReportUri};

/// The result of parsing: the best-effort record plus every finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcParse {
    /// What could be read.
    pub record: DmarcRecord,
    /// Findings, in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// RFC 7489 §6.6.3 step 6 applies: `p` is missing or invalid, or `sp`
    /// is invalid, but a valid `rua` exists, so receivers act as if the
    /// record were `v=DMARC1; p=none` (keeping `rua`).
    pub acts_as_none: bool,
}

impl DmarcParse {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        crate::diagnostic::has_errors(&self.diagnostics)
    }
}

const R7489_63: &str = "RFC 7489 §6.3";
const R7489_64: &str = "RFC 7489 §6.4";
const R7489_62: &str = "RFC 7489 §6.2";
const R7489_663: &str = "RFC 7489 §6.6.3";
const R9989_47: &str = "RFC 9989 §4.7";

/// Parses a DMARC TXT record. Never panics; see [`DmarcParse`].
///
/// ```
/// use mxlens_shared::dmarc::{parse_dmarc, Policy};
/// let parsed = parse_dmarc("v=DMARC1; p=reject; rua=mailto:d@example.com");
/// assert!(!parsed.has_errors());
/// assert_eq!(parsed.record.policy, Some(Policy::Reject));
/// assert_eq!(parsed.record.to_string(), "v=DMARC1; p=reject; rua=mailto:d@example.com");
/// ```
pub fn parse_dmarc(input: &str) -> DmarcParse {
    let mut record = DmarcRecord::default();
    let mut diags = Vec::new();
    let whole = Span::new(0, input.len());
    if input.trim().is_empty() {
        diags.push(Diagnostic::error(
            whole,
            "dmarc.empty",
            R7489_64,
            "the record is empty; it must start with v=DMARC1",
        ));
        return DmarcParse {
            record,
            diagnostics: diags,
            acts_as_none: false,
        };
    }

    let segments = split_tags(input);
    let mut seen: Vec<String> = Vec::new();
    // (span, word) of an invalid p/sp/np, judged once we know whether a valid rua exists.
    let mut bad_policy: Vec<(Span, &'static str, String)> = Vec::new();
    let mut p_position: Option<(usize, Span)> = None;
    let mut tag_index = 0usize;

    for (seg_index, segment) in segments.iter().enumerate() {
        let tag = match segment {
            Segment::Empty { span, trailing, .. } => {
                if !trailing {
                    diags.push(Diagnostic::error(
                        *span,
                        "dmarc.empty-tag",
                        R7489_64,
                        "empty tag between semicolons (`;;`)",
                    ));
                }
                continue;
            }
            Segment::Tag(tag) => tag,
        };
        let this_index = tag_index;
        tag_index += 1;
        let name = tag.name.to_ascii_lowercase();

        if this_index == 0 && seg_index == 0 {
            parse_version(tag, &name, &mut record, &mut diags);
            seen.push("v".into());
            continue;
        }
        if this_index == 0 {
            // A leading `;` was already reported; still require v first.
            diags.push(Diagnostic::error(
                tag.span,
                "dmarc.version-not-first",
                R7489_63,
                "the record must start with v=DMARC1",
            ));
        }
        if !tag.has_equals {
            diags.push(Diagnostic::error(
                tag.span,
                "dmarc.malformed-tag",
                R7489_64,
                format!("`{}` is not a tag=value pair", tag.name),
            ));
            continue;
        }
        if seen.contains(&name) {
            diags.push(Diagnostic::error(
                tag.name_span,
                "dmarc.duplicate-tag",
                R9989_47,
                format!("tag `{name}` appears more than once"),
            ));
            continue;
        }
        seen.push(name.clone());
        if tag.value.is_empty() && name != "v" {
            let known = matches!(
                name.as_str(),
                "psd" | "t" | "adkim" | "aspf" | "fo" | "rua" | "ruf" | "rf" | "ri" | "pct"
            );
            if known {
                diags.push(Diagnostic::error(
                    tag.span,
                    "dmarc.empty-value",
                    R7489_64,
                    format!("tag `{name}` has no value"),
                ));
                continue;
            }
        }
        let value = tag.value;
        let vspan = tag.value_span;
        match name.as_str() {
            "v" => diags.push(Diagnostic::error(
                tag.span,
                "dmarc.version-not-first",
                R7489_63,
                "v= must be the first tag",
            )),
            "p" => {
                p_position = Some((this_index, tag.span));
                match Policy::from_word(value) {
                    Some(p) => record.policy = Some(p),
                    None => bad_policy.push((vspan, "p", value.to_string())),
                }
            }
            "sp" => match Policy::from_word(value) {
                Some(p) => record.subdomain_policy = Some(p),
                None => bad_policy.push((vspan, "sp", value.to_string())),
            },
            "np" => {
                only_in_9989(&mut diags, tag.span, "np");
                match Policy::from_word(value) {
                    Some(p) => record.nonexistent_policy = Some(p),
                    None => bad_policy.push((vspan, "np", value.to_string())),
                }
            }
            "psd" => {
                only_in_9989(&mut diags, tag.span, "psd");
                match value.to_ascii_lowercase().as_str() {
                    "y" => record.psd = Some(PsdFlag::Yes),
                    "n" => record.psd = Some(PsdFlag::No),
                    "u" => record.psd = Some(PsdFlag::Unknown),
                    _ => diags.push(Diagnostic::error(
                        vspan,
                        "dmarc.invalid-psd",
                        R9989_47,
                        format!("psd=`{value}` must be y, n or u"),
                    )),
                }
            }
            "t" => {
                only_in_9989(&mut diags, tag.span, "t");
                match value.to_ascii_lowercase().as_str() {
                    "y" => record.testing = Some(true),
                    "n" => record.testing = Some(false),
                    _ => diags.push(Diagnostic::error(
                        vspan,
                        "dmarc.invalid-testing",
                        R9989_47,
                        format!("t=`{value}` must be y or n"),
                    )),
                }
            }
            "adkim" | "aspf" => {
                let alignment = match value.to_ascii_lowercase().as_str() {
                    "r" => Some(Alignment::Relaxed),
                    "s" => Some(Alignment::Strict),
                    _ => None,
                };
                match alignment {
                    Some(a) if name == "adkim" => record.adkim = Some(a),
                    Some(a) => record.aspf = Some(a),
                    None => diags.push(Diagnostic::error(
                        vspan,
                        "dmarc.invalid-alignment",
                        R7489_63,
                        format!("{name}=`{value}` must be r (relaxed) or s (strict)"),
                    )),
                }
            }
            "fo" => parse_fo(value, vspan, &mut record, &mut diags),
            "rua" | "ruf" => {
                let uris = parse_uris(value, vspan, &name, &mut diags);
                if name == "rua" {
                    record.rua = uris;
                } else {
                    record.ruf = uris;
                }
            }
            "rf" => {
                let mut formats = Vec::new();
                let mut ok = true;
                for (item, span) in split_list(value, vspan, ':') {
                    if is_keyword(item) {
                        formats.push(item.to_string());
                    } else {
                        ok = false;
                        diags.push(Diagnostic::error(
                            span,
                            "dmarc.invalid-report-format",
                            R7489_63,
                            format!("rf value `{item}` is not a keyword (letters, digits, inner hyphens)"),
                        ));
                    }
                }
                if ok {
                    record.report_formats = formats;
                }
                removed_in_9989(
                    &mut diags,
                    tag.span,
                    "rf",
                    "failure reports always use AFRF",
                );
            }
            "ri" => {
                match parse_digits_u32(value) {
                    Some(ri) => record.report_interval = Some(ri),
                    None => diags.push(Diagnostic::error(
                        vspan,
                        "dmarc.invalid-interval",
                        R7489_63,
                        format!("ri=`{value}` must be a number of seconds (0 to 4294967295)"),
                    )),
                }
                removed_in_9989(
                    &mut diags,
                    tag.span,
                    "ri",
                    "receivers send aggregate reports daily",
                );
            }
            "pct" => {
                match parse_digits_u32(value) {
                    Some(pct) if pct <= 100 => record.percent = Some(pct as u8),
                    _ => diags.push(Diagnostic::error(
                        vspan,
                        "dmarc.invalid-percent",
                        R7489_63,
                        format!("pct=`{value}` must be a whole number from 0 to 100"),
                    )),
                }
                removed_in_9989(&mut diags, tag.span, "pct", "use t=y for testing instead");
            }
            _ => {
                diags.push(Diagnostic::info(
                    tag.span,
                    "dmarc.unknown-tag",
                    R7489_63,
                    format!("unknown tag `{}` is ignored", tag.name),
                ));
                record
                    .unknown
                    .push((tag.name.to_string(), value.to_string()));
            }
        }
    }

    // RFC 7489 §6.3: "v" and "p" MUST be present and MUST appear in that
    // order. RFC 9989 §4.7 relaxes the order, but RFC 7489 receivers reject
    // the record, so this stays an error.
    if let Some((index, span)) = p_position {
        if index != 1 {
            diags.push(Diagnostic::error(
                span,
                "dmarc.policy-not-second",
                R7489_63,
                "p= must directly follow v=DMARC1 (RFC 9989 allows any order, RFC 7489 receivers do not)",
            ));
        }
    }

    // RFC 7489 §6.6.3 step 6: a missing or invalid p (or invalid sp) with at
    // least one valid rua is treated as p=none; otherwise the record is unusable.
    let has_valid_rua = !record.rua.is_empty();
    let mut acts_as_none = false;
    if p_position.is_none() && record.version.is_some() {
        if has_valid_rua {
            acts_as_none = true;
            diags.push(Diagnostic::warning(
                whole,
                "dmarc.policy-missing",
                R7489_663,
                "no p= tag; because rua= is valid, receivers act as if p=none",
            ));
        } else {
            diags.push(Diagnostic::error(
                whole,
                "dmarc.policy-missing",
                R7489_63,
                "no p= tag and no valid rua=: RFC 7489 receivers ignore the record (RFC 9989 receivers assume p=none)",
            ));
        }
    }
    for (span, tag, word) in bad_policy {
        let message = format!("{tag}=`{word}` must be none, quarantine or reject");
        if tag == "np" {
            // RFC 9989 §4.7 gives no fallback for np; receivers ignore it.
            diags.push(Diagnostic::error(
                span,
                "dmarc.invalid-policy",
                R9989_47,
                message,
            ));
        } else if has_valid_rua {
            acts_as_none = true;
            diags.push(Diagnostic::warning(
                span,
                "dmarc.invalid-policy",
                R7489_663,
                format!("{message}; because rua= is valid, receivers act as if p=none"),
            ));
        } else {
            diags.push(Diagnostic::error(
                span,
                "dmarc.invalid-policy",
                R7489_63,
                message,
            ));
        }
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    DmarcParse {
        record,
        diagnostics: diags,
        acts_as_none,
    }
}

fn parse_version(
    tag: &RawTag<'_>,
    name: &str,
    record: &mut DmarcRecord,
    diags: &mut Vec<Diagnostic>,
) {
    if name != "v" || !tag.has_equals {
        diags.push(Diagnostic::error(
            tag.span,
            "dmarc.version-missing",
            R7489_63,
            "the record must start with v=DMARC1",
        ));
        return;
    }
    let value = tag.value;
    if value == "DMARC1" {
        record.version = Some(value.to_string());
    } else if value.eq_ignore_ascii_case("DMARC1") {
        diags.push(Diagnostic::error(
            tag.value_span,
            "dmarc.invalid-version",
            R7489_64,
            format!("`{value}` must be written DMARC1 (upper case)"),
        ));
    } else if value.starts_with("DMARC1") && value[6..].starts_with(crate::tag_list::is_wsp) {
        diags.push(Diagnostic::error(
            tag.value_span,
            "dmarc.missing-separator",
            R7489_64,
            "a `;` must follow v=DMARC1",
        ));
    } else {
        diags.push(Diagnostic::error(
            tag.value_span,
            "dmarc.invalid-version",
            R7489_64,
            format!("v=`{value}` must be DMARC1"),
        ));
    }
}

fn removed_in_9989(diags: &mut Vec<Diagnostic>, span: Span, tag: &str, instead: &str) {
    diags.push(Diagnostic::info(
        span,
        "dmarc.tag-removed-rfc9989",
        R9989_47,
        format!("{tag}= is defined by RFC 7489 §6.3 but RFC 9989 removed it ({instead}); receivers following RFC 9989 ignore it"),
    ));
}

fn only_in_9989(diags: &mut Vec<Diagnostic>, span: Span, tag: &str) {
    diags.push(Diagnostic::info(
        span,
        "dmarc.tag-rfc9989-only",
        R9989_47,
        format!("{tag}= is defined by RFC 9989; receivers that implement only RFC 7489 ignore it"),
    ));
}

fn parse_fo(value: &str, vspan: Span, record: &mut DmarcRecord, diags: &mut Vec<Diagnostic>) {
    let mut options = Vec::new();
    for (item, span) in split_list(value, vspan, ':') {
        let option = match item.to_ascii_lowercase().as_str() {
            "0" => Some(FailureOption::All),
            "1" => Some(FailureOption::Any),
            "d" => Some(FailureOption::Dkim),
            "s" => Some(FailureOption::Spf),
            _ => None,
        };
        match option {
            Some(o) => options.push(o),
            None => {
                diags.push(Diagnostic::error(
                    span,
                    "dmarc.invalid-failure-option",
                    R7489_63,
                    format!("fo value `{item}` must be 0, 1, d or s (separated by `:`)"),
                ));
                return;
            }
        }
    }
    record.failure_options = options;
}

/// `Keyword` of RFC 5321 §4.1.2 (used by `rf=`).
fn is_keyword(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// `1*DIGIT` fitting a u32.
pub(crate) fn parse_digits_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_uris(value: &str, vspan: Span, tag: &str, diags: &mut Vec<Diagnostic>) -> Vec<ReportUri> {
    let mut out = Vec::new();
    for (item, span) in split_list(value, vspan, ',') {
        if item.is_empty() {
            diags.push(Diagnostic::error(
                span,
                "dmarc.empty-uri",
                R7489_62,
                format!("empty URI in {tag}="),
            ));
            continue;
        }
        // `!` in a URI must be percent-encoded (RFC 7489 §6.4), so the last
        // `!` starts the size limit.
        let (uri, size) = match item.rfind('!') {
            Some(bang) => (&item[..bang], Some(&item[bang + 1..])),
            None => (item, None),
        };
        let max_size = match size {
            None => None,
            Some(size) => match parse_size(size) {
                Some(s) => {
                    diags.push(Diagnostic::info(
                        span,
                        "dmarc.uri-size-obsolete",
                        R9989_47,
                        format!("the `!{size}` size limit is RFC 7489 §6.2 syntax; RFC 9989 reporters ignore it"),
                    ));
                    Some(s)
                }
                None => {
                    diags.push(Diagnostic::error(
                        span,
                        "dmarc.invalid-uri-size",
                        R7489_62,
                        format!(
                            "size limit `!{size}` must be digits with an optional k, m, g or t"
                        ),
                    ));
                    continue;
                }
            },
        };
        match check_uri(uri) {
            Ok(parts) => {
                if parts.scheme != "mailto" {
                    diags.push(Diagnostic::warning(
                        span,
                        "dmarc.uri-not-mailto",
                        R7489_62,
                        format!("`{uri}` is not a mailto: URI; receivers are only required to support mailto"),
                    ));
                }
                out.push(ReportUri {
                    uri: uri.to_string(),
                    max_size,
                });
            }
            Err(e) => diags.push(Diagnostic::error(
                span,
                "dmarc.invalid-uri",
                R7489_62,
                format!("{tag}: {e}"),
            )),
        }
    }
    out
}

fn parse_size(s: &str) -> Option<ReportSize> {
    let (digits, unit) = match s.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&s[..s.len() - 1], Some(c.to_ascii_lowercase())),
        _ => (s, None),
    };
    if unit.is_some_and(|u| !matches!(u, 'k' | 'm' | 'g' | 't')) {
        return None;
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(ReportSize {
        value: digits.parse().ok()?,
        unit,
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
