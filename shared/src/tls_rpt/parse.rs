//! A total parser for TLS-RPT records (RFC 8460 §3).
//!
//! ```text
//! tlsrpt-record  = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//! field-delim    = *WSP ";" *WSP
//! tlsrpt-version = %s"v=TLSRPTv1"
//! tlsrpt-rua     = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//! tlsrpt-uri     = URI   ; mailto: or https:
//! ```

use crate::diagnostic::{has_errors, Diagnostic, Span};
use crate::mta_sts::{is_extension_name, is_extension_value};
use crate::tag_list::{split_list, walk, TagRecordSpec};
use crate::uri::check_uri;

use super::model::TlsRptRecord;

const R8460_3: &str = "RFC 8460 §3";

/// A parsed record with diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRptParse {
    /// What could be read.
    pub record: TlsRptRecord,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl TlsRptParse {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

/// The TLS-RPT record's shared tag-list rules (RFC 8460 §3).
const TLS_RPT_RECORD: TagRecordSpec = TagRecordSpec {
    version: "TLSRPTv1",
    rfc: R8460_3,
    empty_code: "tls-rpt.empty-field",
    version_code: "tls-rpt.invalid-version",
    malformed_code: "tls-rpt.malformed-field",
    whitespace_code: Some("tls-rpt.whitespace-around-equals"),
    segment_word: "field",
    pair_words: "name=value field",
    fold_version_name: false,
};

/// Parses a TLS-RPT TXT record. Never panics.
///
/// ```
/// use mxlens_shared::tls_rpt::parse_tls_rpt;
/// let parsed = parse_tls_rpt("v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
/// assert!(!parsed.has_errors());
/// assert_eq!(parsed.record.rua, ["mailto:tlsrpt@example.com"]);
/// ```
pub fn parse_tls_rpt(input: &str) -> TlsRptParse {
    let mut record = TlsRptRecord::default();
    let mut diags = Vec::new();
    let whole = Span::new(0, input.len());
    let mut saw_rua = false;
    let (version_ok, tags) = walk(input, &TLS_RPT_RECORD, &mut diags);
    if version_ok {
        record.version = Some("TLSRPTv1".into());
    }
    for tag in tags {
        match tag.name {
            "rua" => {
                if saw_rua {
                    diags.push(Diagnostic::info(
                        tag.span,
                        "tls-rpt.repeated-rua",
                        R8460_3,
                        "rua= appears more than once; the URIs are combined",
                    ));
                }
                saw_rua = true;
                if tag.value.is_empty() {
                    diags.push(Diagnostic::error(
                        tag.span,
                        "tls-rpt.empty-rua",
                        R8460_3,
                        "rua= has no URI",
                    ));
                    continue;
                }
                for (uri, span) in split_list(tag.value, tag.value_span, ',') {
                    if uri.is_empty() {
                        diags.push(Diagnostic::error(
                            span,
                            "tls-rpt.empty-uri",
                            R8460_3,
                            "empty URI in rua=",
                        ));
                        continue;
                    }
                    match check_uri(uri) {
                        Ok(parts) if parts.scheme == "mailto" || parts.scheme == "https" => {
                            record.rua.push(uri.to_string())
                        }
                        Ok(parts) => diags.push(Diagnostic::error(
                            span,
                            "tls-rpt.unsupported-scheme",
                            R8460_3,
                            format!("`{uri}`: scheme {} is not mailto or https", parts.scheme),
                        )),
                        Err(e) => diags.push(Diagnostic::error(
                            span,
                            "tls-rpt.invalid-uri",
                            R8460_3,
                            e.to_string(),
                        )),
                    }
                }
            }
            "v" => diags.push(Diagnostic::error(
                tag.span,
                "tls-rpt.duplicate-version",
                R8460_3,
                "v= must appear once, first",
            )),
            name => {
                if !is_extension_name(name) {
                    diags.push(Diagnostic::error(
                        tag.name_span,
                        "tls-rpt.invalid-extension",
                        R8460_3,
                        format!("`{name}` is not a valid extension name"),
                    ));
                } else if !is_extension_value(tag.value) {
                    diags.push(Diagnostic::error(
                        tag.value_span,
                        "tls-rpt.invalid-extension",
                        R8460_3,
                        format!("extension `{name}` needs a value of printable characters without `;` or `=`"),
                    ));
                } else {
                    record
                        .extensions
                        .push((name.to_string(), tag.value.to_string()));
                }
            }
        }
    }
    if record.version.is_some() && !saw_rua {
        diags.push(Diagnostic::error(
            whole,
            "tls-rpt.missing-rua",
            R8460_3,
            "no rua= field (it is required)",
        ));
    } else if saw_rua
        && record.rua.is_empty()
        && !diags.iter().any(|d| d.code == "tls-rpt.empty-rua")
    {
        diags.push(Diagnostic::error(
            whole,
            "tls-rpt.no-valid-uri",
            R8460_3,
            "rua= has no valid URI",
        ));
    }
    if input.trim().is_empty() && diags.is_empty() {
        diags.push(Diagnostic::error(
            whole,
            "tls-rpt.invalid-version",
            R8460_3,
            "the record is empty",
        ));
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    TlsRptParse {
        record,
        diagnostics: diags,
    }
}
