//! A total parser for BIMI assertion records
//! (draft-brand-indicators-for-message-identification §4.2).
//!
//! ```text
//! bimi-record = bimi-version *(*WSP ";" *WSP bimi-tag) [*WSP ";"]
//! bimi-version = %s"v=BIMI1"
//! bimi-location = "l=" [ https-URI ]
//! bimi-authority = "a=" [ https-URI ]
//! bimi-avp = "avp=" ( "brand" / "personal" )
//! ```

use crate::diagnostic::{has_errors, Diagnostic, Span};
use crate::tag_list::{walk, TagRecordSpec};
use crate::uri::check_uri;

use super::model::{AvatarPreference, BimiRecord};

const BIMI: &str = "draft-brand-indicators-for-message-identification §4.2";

/// A parsed record with diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BimiParse {
    /// What could be read.
    pub record: BimiRecord,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl BimiParse {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

fn check_https(value: &str, span: Span, tag: &str, diags: &mut Vec<Diagnostic>) -> bool {
    match check_uri(value) {
        Ok(parts) if parts.scheme == "https" => true,
        Ok(parts) => {
            diags.push(Diagnostic::error(
                span,
                "bimi.not-https",
                BIMI,
                format!(
                    "{tag}=`{value}` must be an https: URI, not {}",
                    parts.scheme
                ),
            ));
            false
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                span,
                "bimi.invalid-uri",
                BIMI,
                format!("{tag}=: {e}"),
            ));
            false
        }
    }
}

/// The BIMI record's shared tag-list rules.
const BIMI_RECORD: TagRecordSpec = TagRecordSpec {
    version: "BIMI1",
    rfc: BIMI,
    empty_code: "bimi.empty-tag",
    version_code: "bimi.invalid-version",
    malformed_code: "bimi.malformed-tag",
    whitespace_code: None,
    segment_word: "tag",
    pair_words: "tag=value pair",
    fold_version_name: true,
};

/// Parses a BIMI TXT record. Never panics.
///
/// ```
/// use mxlens_shared::bimi::parse_bimi;
/// let parsed = parse_bimi("v=BIMI1; l=https://example.com/logo.svg; a=");
/// assert!(!parsed.has_errors());
/// assert!(parse_bimi("v=BIMI1; l=http://example.com/logo.svg").has_errors());
/// ```
pub fn parse_bimi(input: &str) -> BimiParse {
    let mut record = BimiRecord::default();
    let mut diags = Vec::new();
    let whole = Span::new(0, input.len());
    let (version_ok, tags) = walk(input, &BIMI_RECORD, &mut diags);
    let mut seen: Vec<String> = vec!["v".into()];
    if version_ok {
        record.version = Some("BIMI1".into());
    }
    for tag in tags {
        let name = tag.name.to_ascii_lowercase();
        if seen.contains(&name) {
            diags.push(Diagnostic::error(
                tag.name_span,
                "bimi.duplicate-tag",
                BIMI,
                format!("tag `{name}` appears more than once"),
            ));
            continue;
        }
        seen.push(name.clone());
        let value = tag.value;
        match name.as_str() {
            "l" => {
                if value.is_empty() || check_https(value, tag.value_span, "l", &mut diags) {
                    if !value.is_empty() && !value.to_ascii_lowercase().ends_with(".svg") {
                        diags.push(Diagnostic::warning(
                            tag.value_span,
                            "bimi.logo-not-svg",
                            BIMI,
                            "the logo must be an SVG Tiny PS file; this URI does not end in .svg",
                        ));
                    }
                    record.location = Some(value.to_string());
                }
            }
            "a" => {
                if value.is_empty() || check_https(value, tag.value_span, "a", &mut diags) {
                    record.authority = Some(value.to_string());
                }
            }
            "avp" => match value.to_ascii_lowercase().as_str() {
                "brand" => record.avatar_preference = Some(AvatarPreference::Brand),
                "personal" => record.avatar_preference = Some(AvatarPreference::Personal),
                _ => diags.push(Diagnostic::error(
                    tag.value_span,
                    "bimi.invalid-avp",
                    BIMI,
                    format!("avp=`{value}` must be brand or personal"),
                )),
            },
            _ => {
                diags.push(Diagnostic::info(
                    tag.span,
                    "bimi.unknown-tag",
                    BIMI,
                    format!("unknown tag `{}` is ignored", tag.name),
                ));
                record
                    .unknown
                    .push((tag.name.to_string(), value.to_string()));
            }
        }
    }
    if record.version.is_some() && !seen.iter().any(|t| t == "l") {
        diags.push(Diagnostic::error(
            whole,
            "bimi.missing-location",
            BIMI,
            "no l= tag (use `l=` empty to decline)",
        ));
    }
    if input.trim().is_empty() && diags.is_empty() {
        diags.push(Diagnostic::error(
            whole,
            "bimi.invalid-version",
            BIMI,
            "the record is empty",
        ));
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    BimiParse {
        record,
        diagnostics: diags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (input, error) in [
            ("v=BIMI1; l=https://example.com/l.svg", false),
            (
                "v=BIMI1; l=https://example.com/l.svg; a=https://example.com/vmc.pem; avp=brand",
                false,
            ),
            ("v=BIMI1; l=; a=;", false),
            ("v=BIMI1", true),
            ("v=BIMI2; l=", true),
            ("v=BIMI1; l=https://example.com/l.svg; avp=other", true),
            (
                "v=BIMI1; l=https://example.com/l.svg; a=ftp://x.example/a",
                true,
            ),
            ("", true),
        ] {
            assert_eq!(parse_bimi(input).has_errors(), error, "{input}");
        }
    }
}
