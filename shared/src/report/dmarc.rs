//! `domain.dmarc`: the DMARC record that applies to the audited domain.
//!
//! The JSON is the one `dmarc::DmarcSummary` gave as an untyped
//! `serde_json::Value`: `serde_json` is built without `preserve_order`, so
//! its `Map` wrote every object's members in alphabetical order. The
//! structs below declare their fields in that order, keep the nulls it
//! kept and omit what it omitted, so the typed section is byte-identical.
//! The enum words (`Policy`, `Alignment`, …) are the record model's own:
//! their serde names are the words the section always carried.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Severity;
use crate::dmarc::{Alignment, FailureOption, Policy, PsdFlag};

/// `domain.dmarc`: the record found for the audited domain, the policy it
/// gives the domain, the parsed tags and the UI's tag table
/// (made by `dmarc::DmarcSummary::facts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcFacts {
    /// The effective policy for the audited domain: `p` for the domain's
    /// own record; for an inherited record `sp` (default `p`), or `np`
    /// (default `sp`, then `p`) when the domain does not exist (RFC 7489
    /// §6.6.3, RFC 9989 §4.7); `none` for a record without a valid `p` but
    /// with `rua` (RFC 7489 §6.6.3). Written as `null` when no policy
    /// applies.
    pub policy: Option<Policy>,
    /// The record text as published (the TXT record at `_dmarc.<source>`,
    /// RFC 7489 §6.1).
    pub record: String,
    /// Where the record was found: the audited domain, or the first
    /// ancestor with a record on the DNS tree walk (RFC 9989 §4.10).
    pub source: String,
    /// Every tag with its value or default, meaning and findings, in the
    /// order of RFC 7489 §6.3 / RFC 9989 §4.7, then unknown tags.
    #[serde(default)]
    pub tag_table: Vec<DmarcTagFacts>,
    /// The parsed record (absent tags omitted).
    #[serde(default)]
    pub tags: DmarcTags,
}

/// `domain.dmarc.tags`: the record's tags as the parser read them, absent
/// ones omitted (RFC 7489 §6.3, RFC 9989 §4.7). No defaults are filled in:
/// the effective values are in [`DmarcFacts::policy`] and the tag table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcTags {
    /// `adkim=`: DKIM identifier alignment mode (RFC 7489 §3.1.1, §6.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adkim: Option<Alignment>,
    /// `aspf=`: SPF identifier alignment mode (RFC 7489 §3.1.2, §6.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspf: Option<Alignment>,
    /// `fo=`: failure reporting options, in order (RFC 7489 §6.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_options: Vec<FailureOption>,
    /// `np=`: policy for non-existent subdomains (RFC 9989 §4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonexistent_policy: Option<Policy>,
    /// `pct=` (RFC 7489 §6.3; removed by RFC 9989).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    /// `p=`: policy for the domain itself (RFC 7489 §6.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    /// `psd=`: public suffix domain flag (RFC 9989 §4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psd: Option<PsdFlag>,
    /// `rf=`: failure report formats (RFC 7489 §6.3; removed by RFC 9989).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub report_formats: Vec<String>,
    /// `ri=`: aggregate report interval in seconds (RFC 7489 §6.3; removed
    /// by RFC 9989).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_interval: Option<u32>,
    /// `rua=`: aggregate report destinations (RFC 7489 §6.2, §6.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rua: Vec<DmarcReportUri>,
    /// `ruf=`: failure report destinations (RFC 7489 §6.2, §6.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ruf: Vec<DmarcReportUri>,
    /// `sp=`: policy for subdomains (RFC 7489 §6.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdomain_policy: Option<Policy>,
    /// `t=`: testing mode (RFC 9989 §4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testing: Option<bool>,
    /// Tags the parser does not know, as `[name, value]`; receivers ignore
    /// them (RFC 7489 §6.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<(String, String)>,
    /// `v=`: `DMARC1` (RFC 7489 §6.3). Written as `null` when absent.
    pub version: Option<String>,
}

/// One `rua=`/`ruf=` destination (RFC 7489 §6.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcReportUri {
    /// The `!size` limit after the URI, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<DmarcReportSize>,
    /// The URI, without the size suffix.
    pub uri: String,
}

/// The `!size` limit of a report URI (RFC 7489 §6.2; RFC 9989 reporters
/// ignore it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcReportSize {
    /// The unit letter, lower case (`k`, `m`, `g`, `t`); `null` for bytes.
    pub unit: Option<char>,
    /// The number.
    pub value: u64,
}

/// One row of `domain.dmarc.tag_table` (text from `dmarc::DMARC_TAGS`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcTagFacts {
    /// For an absent tag only: what applies instead, with this record's
    /// values where the default refers to another tag (RFC 7489 §6.3,
    /// RFC 9989 §4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The parser's findings inside this tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<RecordFinding>,
    /// What the tag asks of receivers.
    pub meaning: String,
    /// The defining RFC section (`RFC 7489 §6.3`).
    pub rfc: String,
    /// The tag name, lower case.
    pub tag: String,
    /// The value as published (first occurrence); absent when the record
    /// does not set the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A parser diagnostic about a published record, as the report carries it
/// (`crate::diagnostic::Diagnostic`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFinding {
    /// Stable machine code (`dmarc.invalid-policy`).
    pub code: String,
    /// The explanation, with the concrete values.
    pub message: String,
    /// The RFC section the finding comes from.
    pub rfc: String,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// Where in the record.
    pub span: ByteSpan,
}

/// A half-open byte range `start..end` into a record's text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteSpan {
    /// One past the last byte.
    pub end: u32,
    /// First byte.
    pub start: u32,
}

impl From<&crate::diagnostic::Diagnostic> for RecordFinding {
    fn from(d: &crate::diagnostic::Diagnostic) -> Self {
        RecordFinding {
            code: d.code.to_string(),
            message: d.message.clone(),
            rfc: d.rfc.to_string(),
            severity: d.severity,
            span: ByteSpan {
                end: d.span.end,
                start: d.span.start,
            },
        }
    }
}
