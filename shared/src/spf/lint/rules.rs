//! The lint rules for one record ([`lint_record`]): what the parser
//! accepts but receivers or RFC 7208 advise against.

use super::RECORD_SIZE_LIMIT;
use crate::spf::model::{Diagnostic, Mechanism, Modifier, Qualifier, Severity, Span, Term};
use crate::spf::parse::{parse_record, ParsedRecord};

fn warning(span: (u32, u32), code: &'static str, rfc: &'static str, message: String) -> Diagnostic {
    Diagnostic {
        span: Span {
            start: span.0,
            end: span.1,
        },
        code,
        severity: Severity::Warning,
        rfc,
        message,
    }
}

/// Parses a record and adds the lint findings to the parser's diagnostics:
/// `ptr`, the `all` qualifier, terms after `all`, `redirect` beside `all`,
/// unknown modifiers and the record size.
pub fn lint_record(text: &str) -> ParsedRecord {
    let mut parsed = parse_record(text);
    let whole = (0, text.len() as u32);
    let mut all_seen: Option<(u32, u32)> = None;
    let mut has_redirect = false;
    for (term, span) in parsed
        .record
        .terms
        .iter()
        .zip(parsed.term_spans.iter().copied())
    {
        if let Some(all_span) = all_seen {
            if matches!(term, Term::Directive(_)) {
                parsed.diagnostics.push(warning(
                    span,
                    "spf.lint.after-all",
                    "RFC 7208 §5.1",
                    format!(
                        "`{term}` comes after `all` (bytes {}..{}) and is never evaluated",
                        all_span.0, all_span.1
                    ),
                ));
            }
        }
        match term {
            Term::Directive(d) => match &d.mechanism {
                Mechanism::All if all_seen.is_none() => {
                    all_seen = Some(span);
                    match d.qualifier {
                        Qualifier::Pass => parsed.diagnostics.push(warning(
                            span,
                            "spf.lint.pass-all",
                            "RFC 7208 §5.1",
                            "`+all` authorises every host on the Internet".to_string(),
                        )),
                        Qualifier::Neutral => parsed.diagnostics.push(warning(
                            span,
                            "spf.lint.neutral-all",
                            "RFC 7208 §5.1",
                            "`?all` makes no assertion about other hosts".to_string(),
                        )),
                        _ => {}
                    }
                }
                Mechanism::Ptr(_) => parsed.diagnostics.push(warning(
                    span,
                    "spf.lint.ptr",
                    "RFC 7208 §5.5",
                    "`ptr` is slow and unreliable: the mechanism SHOULD NOT be used".to_string(),
                )),
                _ => {}
            },
            Term::Modifier(Modifier::Redirect(_)) => has_redirect = true,
            Term::Modifier(Modifier::Unknown { name, .. }) => parsed.diagnostics.push(Diagnostic {
                span: Span {
                    start: span.0,
                    end: span.1,
                },
                code: "spf.lint.unknown-modifier",
                severity: Severity::Info,
                rfc: "RFC 7208 §6",
                message: format!("unknown modifier `{name}=` is ignored by receivers"),
            }),
            Term::Modifier(Modifier::Explanation(_)) => {}
        }
    }
    if has_redirect && all_seen.is_some() {
        let span = parsed
            .record
            .terms
            .iter()
            .position(|t| matches!(t, Term::Modifier(Modifier::Redirect(_))))
            .map_or(whole, |i| parsed.term_spans[i]);
        parsed.diagnostics.push(warning(
            span,
            "spf.lint.redirect-with-all",
            "RFC 7208 §6.1",
            "`redirect=` is ignored because the record has an `all` mechanism".to_string(),
        ));
    }
    if all_seen.is_none() && !has_redirect && !parsed.has_errors() {
        parsed.diagnostics.push(warning(
            whole,
            "spf.lint.no-all",
            "RFC 7208 §4.7",
            "no `all` mechanism and no `redirect=`: unlisted hosts get neutral".to_string(),
        ));
    }
    if text.len() > RECORD_SIZE_LIMIT as usize {
        parsed.diagnostics.push(warning(
            whole,
            "spf.lint.record-size",
            "RFC 7208 §3.4",
            format!(
                "the record is {} bytes; keep it under {RECORD_SIZE_LIMIT}",
                text.len()
            ),
        ));
    }
    parsed
}
