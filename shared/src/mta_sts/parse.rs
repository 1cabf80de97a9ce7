//! Total parsers for the MTA-STS TXT record and policy file (RFC 8461 §3).
//!
//! ```text
//! sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
//! sts-field-delim = *WSP ";" *WSP
//! sts-version     = %s"v=STSv1"
//! sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//! sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
//!
//! sts-policy-record = sts-policy-field *WSP *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
//! sts-policy-term   = LF / CRLF
//! sts-policy-field-delim = ":" *WSP
//! sts-policy-mx-value    = ["*."] Domain
//! sts-policy-max-age-value = 1*10(DIGIT)
//! ```

use crate::diagnostic::{has_errors, Diagnostic, Span};
use crate::tag_list::{walk, TagRecordSpec};
use crate::uri::is_ldh_domain;

use super::model::{StsMode, StsPolicy, StsRecord};

const R8461_31: &str = "RFC 8461 §3.1";
const R8461_32: &str = "RFC 8461 §3.2";

/// The largest `max_age` (one year, RFC 8461 §3.2).
pub const MAX_AGE_LIMIT: u32 = 31_557_600;

/// A parsed TXT record with diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsRecordParse {
    /// What could be read.
    pub record: StsRecord,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl StsRecordParse {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

/// A parsed policy file with diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsPolicyParse {
    /// What could be read.
    pub policy: StsPolicy,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl StsPolicyParse {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

/// `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`: the extension
/// name of RFC 8461 §3.1/§3.2 and RFC 8460 §3.
pub fn is_extension_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_-.".contains(c))
}

/// `1*(%x21-3A / %x3C / %x3E-7E)`: printable ASCII except `;` and `=`.
pub fn is_extension_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|c| matches!(c, 0x21..=0x3a | 0x3c | 0x3e..=0x7e))
}

/// The `_mta-sts` TXT record's shared tag-list rules (RFC 8461 §3.1).
const STS_RECORD: TagRecordSpec = TagRecordSpec {
    version: "STSv1",
    rfc: R8461_31,
    empty_code: "mta-sts.empty-field",
    version_code: "mta-sts.invalid-version",
    malformed_code: "mta-sts.malformed-field",
    whitespace_code: Some("mta-sts.whitespace-around-equals"),
    segment_word: "field",
    pair_words: "name=value field",
    fold_version_name: false,
};

/// Parses the `_mta-sts` TXT record. Never panics.
///
/// ```
/// use mxlens_shared::mta_sts::parse_sts_record;
/// let parsed = parse_sts_record("v=STSv1; id=20250101T000000");
/// assert!(!parsed.has_errors());
/// assert_eq!(parsed.record.id.as_deref(), Some("20250101T000000"));
/// ```
pub fn parse_sts_record(input: &str) -> StsRecordParse {
    let mut record = StsRecord::default();
    let mut diags = Vec::new();
    let whole = Span::new(0, input.len());
    let (version_ok, tags) = walk(input, &STS_RECORD, &mut diags);
    if version_ok {
        record.version = Some("STSv1".into());
    }
    for tag in tags {
        match tag.name {
            "id" => {
                if record.id.is_some() {
                    diags.push(Diagnostic::error(
                        tag.span,
                        "mta-sts.duplicate-id",
                        R8461_31,
                        "id= appears more than once",
                    ));
                } else if !tag.value.is_empty()
                    && tag.value.len() <= 32
                    && tag.value.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    record.id = Some(tag.value.to_string());
                } else {
                    diags.push(Diagnostic::error(
                        tag.value_span,
                        "mta-sts.invalid-id",
                        R8461_31,
                        format!("id=`{}` must be 1 to 32 letters and digits", tag.value),
                    ));
                }
            }
            "v" => diags.push(Diagnostic::error(
                tag.span,
                "mta-sts.duplicate-version",
                R8461_31,
                "v= must appear once, first",
            )),
            name => {
                if !is_extension_name(name) {
                    diags.push(Diagnostic::error(
                        tag.name_span,
                        "mta-sts.invalid-extension",
                        R8461_31,
                        format!("`{name}` is not a valid extension name"),
                    ));
                } else if !is_extension_value(tag.value) {
                    diags.push(Diagnostic::error(
                        tag.value_span,
                        "mta-sts.invalid-extension",
                        R8461_31,
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
    if record.version.is_some()
        && record.id.is_none()
        && !diags.iter().any(|d| d.code == "mta-sts.invalid-id")
    {
        diags.push(Diagnostic::error(
            whole,
            "mta-sts.missing-id",
            R8461_31,
            "no id= field (it is required)",
        ));
    }
    if input.trim().is_empty() && diags.is_empty() {
        diags.push(Diagnostic::error(
            whole,
            "mta-sts.invalid-version",
            R8461_31,
            "the record is empty",
        ));
    }
    StsRecordParse {
        record,
        diagnostics: diags,
    }
}

/// An `mx:` pattern: a domain, or `*.` followed by a domain (RFC 8461 §3.2).
pub fn is_mx_pattern(pattern: &str) -> bool {
    let domain = pattern.strip_prefix("*.").unwrap_or(pattern);
    domain.is_ascii() && is_ldh_domain(domain)
}

/// Parses a policy file. LF and CRLF line ends are both accepted
/// (RFC 8461 §3.2). Never panics.
///
/// ```
/// use mxlens_shared::mta_sts::{parse_sts_policy, StsMode};
/// let parsed = parse_sts_policy("version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n");
/// assert!(!parsed.has_errors());
/// assert_eq!(parsed.policy.mode, Some(StsMode::Enforce));
/// ```
pub fn parse_sts_policy(input: &str) -> StsPolicyParse {
    let mut policy = StsPolicy::default();
    let mut diags = Vec::new();
    let whole = Span::new(0, input.len());
    let mut offset = 0usize;
    let lines: Vec<&str> = input.split('\n').collect();
    let count = lines.len();
    let mut seen: Vec<&str> = Vec::new();
    for (index, raw_line) in lines.into_iter().enumerate() {
        let start = offset;
        offset += raw_line.len() + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let span = Span::new(start, start + line.len());
        if line.trim().is_empty() {
            if index + 1 != count {
                diags.push(Diagnostic::warning(
                    span,
                    "mta-sts.policy-blank-line",
                    R8461_32,
                    "blank line in the policy",
                ));
            }
            continue;
        }
        let Some(colon) = line.find(':') else {
            diags.push(Diagnostic::error(
                span,
                "mta-sts.policy-malformed-line",
                R8461_32,
                format!("`{line}` is not a `key: value` line"),
            ));
            continue;
        };
        let key = &line[..colon];
        let value = line[colon + 1..].trim_matches([' ', '\t']);
        let value_start = start
            + colon
            + 1
            + (line[colon + 1..].len() - line[colon + 1..].trim_start_matches([' ', '\t']).len());
        let value_span = Span::new(value_start, value_start + value.len());
        if key != "mx" && seen.contains(&key) {
            diags.push(Diagnostic::error(
                span,
                "mta-sts.policy-duplicate-field",
                R8461_32,
                format!("`{key}` appears more than once"),
            ));
            continue;
        }
        seen.push(key);
        match key {
            "version" => {
                if value == "STSv1" {
                    policy.version = Some(value.to_string());
                } else {
                    diags.push(Diagnostic::error(
                        value_span,
                        "mta-sts.policy-invalid-version",
                        R8461_32,
                        format!("version `{value}` must be STSv1"),
                    ));
                }
            }
            "mode" => match value {
                "enforce" => policy.mode = Some(StsMode::Enforce),
                "testing" => policy.mode = Some(StsMode::Testing),
                "none" => policy.mode = Some(StsMode::None),
                _ => diags.push(Diagnostic::error(
                    value_span,
                    "mta-sts.policy-invalid-mode",
                    R8461_32,
                    format!("mode `{value}` must be enforce, testing or none"),
                )),
            },
            "mx" => {
                if is_mx_pattern(value) {
                    policy.mx.push(value.to_string());
                } else {
                    diags.push(Diagnostic::error(
                        value_span,
                        "mta-sts.policy-invalid-mx",
                        R8461_32,
                        format!("mx `{value}` must be a host name (A-labels), optionally starting with `*.`"),
                    ));
                }
            }
            "max_age" => {
                let parsed = (!value.is_empty()
                    && value.len() <= 10
                    && value.bytes().all(|b| b.is_ascii_digit()))
                .then(|| value.parse::<u64>().ok())
                .flatten();
                match parsed {
                    Some(age) if age <= u64::from(MAX_AGE_LIMIT) => {
                        policy.max_age = Some(age as u32)
                    }
                    Some(age) => diags.push(Diagnostic::error(
                        value_span,
                        "mta-sts.policy-max-age-too-large",
                        R8461_32,
                        format!("max_age {age} exceeds the maximum of {MAX_AGE_LIMIT} seconds"),
                    )),
                    None => diags.push(Diagnostic::error(
                        value_span,
                        "mta-sts.policy-invalid-max-age",
                        R8461_32,
                        format!("max_age `{value}` must be 1 to 10 digits"),
                    )),
                }
            }
            name => {
                if !is_extension_name(name) {
                    diags.push(Diagnostic::error(
                        span,
                        "mta-sts.policy-invalid-extension",
                        R8461_32,
                        format!("`{name}` is not a valid field name"),
                    ));
                } else if value.is_empty() || value.chars().any(|c| c.is_control() && c != '\t') {
                    diags.push(Diagnostic::error(
                        span,
                        "mta-sts.policy-invalid-extension",
                        R8461_32,
                        format!("extension field `{name}` needs a value"),
                    ));
                } else {
                    policy
                        .extensions
                        .push((name.to_string(), value.to_string()));
                }
            }
        }
    }
    if policy.version.is_none()
        && !diags
            .iter()
            .any(|d| d.code == "mta-sts.policy-invalid-version")
    {
        diags.push(Diagnostic::error(
            whole,
            "mta-sts.policy-missing-version",
            R8461_32,
            "no `version: STSv1` field",
        ));
    }
    if policy.mode.is_none()
        && !diags
            .iter()
            .any(|d| d.code == "mta-sts.policy-invalid-mode")
    {
        diags.push(Diagnostic::error(
            whole,
            "mta-sts.policy-missing-mode",
            R8461_32,
            "no `mode:` field",
        ));
    }
    if policy.max_age.is_none() && !diags.iter().any(|d| d.code.contains("max-age")) {
        diags.push(Diagnostic::error(
            whole,
            "mta-sts.policy-missing-max-age",
            R8461_32,
            "no `max_age:` field",
        ));
    }
    if matches!(policy.mode, Some(StsMode::Enforce | StsMode::Testing))
        && policy.mx.is_empty()
        && !diags.iter().any(|d| d.code == "mta-sts.policy-invalid-mx")
    {
        diags.push(Diagnostic::error(
            whole,
            "mta-sts.policy-missing-mx",
            R8461_32,
            "mode enforce or testing needs at least one `mx:` line",
        ));
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    StsPolicyParse {
        policy,
        diagnostics: diags,
    }
}

/// Whether MX host `host` matches policy pattern `pattern` (RFC 8461 §4.1):
/// case-insensitive, trailing dots ignored; `*.example.com` matches exactly
/// one extra leftmost label (`mx1.example.com`, not `example.com` nor
/// `a.b.example.com`).
///
/// ```
/// use mxlens_shared::mta_sts::mx_matches;
/// assert!(mx_matches("*.example.com", "MX1.example.com."));
/// assert!(!mx_matches("*.example.com", "a.b.example.com"));
/// assert!(mx_matches("mx.example.com", "mx.example.com"));
/// ```
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => match host.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix,
            None => false,
        },
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        for (input, error) in [
            ("v=STSv1; id=abc123", false),
            ("v=STSv1; id=abc; ext=1", false),
            ("v=STSv1; id=a-b", true),
            ("v=STSv1", true),
            ("v=STSv2; id=a", true),
            ("v=STSv1; id = a", true),
        ] {
            assert_eq!(parse_sts_record(input).has_errors(), error, "{input}");
        }
    }

    #[test]
    fn policies() {
        for (input, error) in [
            ("version: STSv1\r\nmode: none\r\nmax_age: 0\r\n", false),
            (
                "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 31557600",
                false,
            ),
            (
                "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 31557601",
                true,
            ),
            ("version: STSv1\nmode: enforce\nmax_age: 10", true),
            (
                "version: STSv1\nversion: STSv1\nmode: none\nmax_age: 10",
                true,
            ),
        ] {
            assert_eq!(parse_sts_policy(input).has_errors(), error, "{input:?}");
        }
    }
}
