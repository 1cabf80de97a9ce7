//! The DMARC tag table: every tag of RFC 7489 §6.3 and RFC 9989 §4.7, what
//! it means, what applies when it is absent, and, for a published record,
//! its value and the parser's findings about it. The domain report carries
//! the rows (`domain.dmarc.tag_table`), so the UI's tag / value / meaning
//! table, the JSON and any other consumer read this one text.

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::tag_list::{split_tags, Segment};

use super::model::DmarcRecord;
use super::parse::DmarcParse;

/// What the catalogue says about one DMARC tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmarcTagInfo {
    /// The tag name, lower case (`p`, `rua`...).
    pub tag: &'static str,
    /// What the tag asks of receivers.
    pub meaning: &'static str,
    /// What applies when the record does not publish it.
    pub when_absent: &'static str,
    /// The defining RFC section.
    pub rfc: &'static str,
}

/// Every DMARC tag, in the order of RFC 7489 §6.3 / RFC 9989 §4.7 (`v`
/// first, `p` second).
pub const DMARC_TAGS: &[DmarcTagInfo] = &[
    DmarcTagInfo {
        tag: "v",
        meaning: "Version: must be DMARC1 and come first, or receivers ignore the record.",
        when_absent: "not a DMARC record",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "p",
        meaning: "Policy for mail from this domain that fails DMARC: none (monitor), quarantine (spam folder) or reject.",
        when_absent: "invalid record; with a valid rua it acts as p=none",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "sp",
        meaning: "Policy for subdomains that publish no record of their own.",
        when_absent: "subdomains get p",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "np",
        meaning: "Policy for subdomains that do not exist (NXDOMAIN), a favourite of spoofers.",
        when_absent: "non-existent subdomains get sp, else p",
        rfc: "RFC 9989 §4.7",
    },
    DmarcTagInfo {
        tag: "psd",
        meaning: "Whether this domain is a public suffix (y), an organizational domain (n), or unknown (u); used by the RFC 9989 tree walk.",
        when_absent: "u (unknown)",
        rfc: "RFC 9989 §4.7",
    },
    DmarcTagInfo {
        tag: "t",
        meaning: "Testing mode: t=y asks receivers to apply one level less than the policy (quarantine as none, reject as quarantine).",
        when_absent: "n (the policy applies in full)",
        rfc: "RFC 9989 §4.7",
    },
    DmarcTagInfo {
        tag: "adkim",
        meaning: "DKIM alignment: r (relaxed) accepts a signature from the same organizational domain, s (strict) only the exact From domain.",
        when_absent: "r (relaxed)",
        rfc: "RFC 7489 §3.1.1",
    },
    DmarcTagInfo {
        tag: "aspf",
        meaning: "SPF alignment: r (relaxed) accepts a MAIL FROM in the same organizational domain, s (strict) only the exact From domain.",
        when_absent: "r (relaxed)",
        rfc: "RFC 7489 §3.1.2",
    },
    DmarcTagInfo {
        tag: "fo",
        meaning: "When to send failure reports: 0 all mechanisms failed, 1 any failed, d DKIM failed, s SPF failed.",
        when_absent: "0",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "rua",
        meaning: "Where receivers send daily aggregate reports (mailto: URIs): how you learn who sends as you.",
        when_absent: "no aggregate reports are sent",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "ruf",
        meaning: "Where receivers send per-message failure reports; few send them, and they can contain personal data.",
        when_absent: "no failure reports are sent",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "rf",
        meaning: "Failure report format (afrf). Removed by RFC 9989.",
        when_absent: "afrf",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "ri",
        meaning: "Requested interval between aggregate reports, in seconds. Removed by RFC 9989: reports are daily.",
        when_absent: "86400 (one day)",
        rfc: "RFC 7489 §6.3",
    },
    DmarcTagInfo {
        tag: "pct",
        meaning: "Percentage of failing mail the policy applies to. Removed by RFC 9989 in favour of t.",
        when_absent: "100",
        rfc: "RFC 7489 §6.3",
    },
];

/// The catalogue entry for `tag` (case-insensitive).
pub fn dmarc_tag_info(tag: &str) -> Option<&'static DmarcTagInfo> {
    DMARC_TAGS.iter().find(|t| t.tag.eq_ignore_ascii_case(tag))
}

/// One row of the tag table of a published record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmarcTagRow {
    /// The tag name, lower case.
    pub tag: String,
    /// The value as published; absent when the record does not set the tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What the tag means (from [`DMARC_TAGS`]; "unknown tag" otherwise).
    pub meaning: String,
    /// For an absent tag, what applies instead, with the values in effect
    /// for this record (`subdomains get p (reject)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The defining RFC section.
    pub rfc: String,
    /// The parser's findings about this tag (its diagnostics whose span
    /// lies inside the tag), e.g. `dmarc.tag-removed-rfc9989`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Diagnostic>,
}

/// The default of an absent tag, with this record's effective values where
/// the default refers to other tags (RFC 7489 §6.3, RFC 9989 §4.7).
fn default_for(info: &DmarcTagInfo, record: &DmarcRecord) -> String {
    let effective = match info.tag {
        "sp" => record.effective_subdomain_policy(),
        "np" => record.effective_nonexistent_policy(),
        _ => None,
    };
    match effective {
        Some(policy) => format!("{} ({policy})", info.when_absent),
        None => info.when_absent.to_string(),
    }
}

/// The tag table of the record `txt` as `parsed` read it: every tag of
/// [`DMARC_TAGS`] in order (absent ones with their default), then any
/// unknown tags the record publishes. Total: any text gives rows.
///
/// ```
/// use mxlens_shared::dmarc::{dmarc_tag_table, parse_dmarc};
/// let txt = "v=DMARC1; p=reject; pct=50";
/// let rows = dmarc_tag_table(txt, &parse_dmarc(txt));
/// let pct = rows.iter().find(|r| r.tag == "pct").unwrap();
/// assert_eq!(pct.value.as_deref(), Some("50"));
/// assert!(pct.findings.iter().any(|d| d.code == "dmarc.tag-removed-rfc9989"));
/// let sp = rows.iter().find(|r| r.tag == "sp").unwrap();
/// assert_eq!(sp.default.as_deref(), Some("subdomains get p (reject)"));
/// ```
pub fn dmarc_tag_table(txt: &str, parsed: &DmarcParse) -> Vec<DmarcTagRow> {
    let tags: Vec<_> = split_tags(txt)
        .into_iter()
        .filter_map(|s| match s {
            Segment::Tag(t) => Some(t),
            Segment::Empty { .. } => None,
        })
        .collect();
    let row = |name: &str, meaning: &str, default: Option<String>, rfc: &str| {
        let mut value = None;
        let mut findings = Vec::new();
        for tag in tags.iter().filter(|t| t.name.eq_ignore_ascii_case(name)) {
            value.get_or_insert_with(|| tag.value.to_string());
            findings.extend(
                parsed
                    .diagnostics
                    .iter()
                    .filter(|d| d.span.start >= tag.span.start && d.span.end <= tag.span.end)
                    .cloned(),
            );
        }
        DmarcTagRow {
            tag: name.to_ascii_lowercase(),
            default: if value.is_none() { default } else { None },
            value,
            meaning: meaning.to_string(),
            rfc: rfc.to_string(),
            findings,
        }
    };
    let mut rows: Vec<DmarcTagRow> = DMARC_TAGS
        .iter()
        .map(|info| {
            row(
                info.tag,
                info.meaning,
                Some(default_for(info, &parsed.record)),
                info.rfc,
            )
        })
        .collect();
    let mut unknown: Vec<&str> = Vec::new();
    for tag in &tags {
        if dmarc_tag_info(tag.name).is_none()
            && tag.has_equals
            && !unknown.iter().any(|u| u.eq_ignore_ascii_case(tag.name))
        {
            unknown.push(tag.name);
        }
    }
    rows.extend(unknown.into_iter().map(|name| {
        row(
            name,
            "Unknown tag: receivers ignore it.",
            None,
            "RFC 7489 §6.3",
        )
    }));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::dmarc::parse_dmarc;

    /// (record, tag, value, default, finding code)
    type Case = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn table() {
        let cases: &[Case] = &[
            ("v=DMARC1; p=reject", "p", Some("reject"), None, None),
            (
                "v=DMARC1; p=reject",
                "sp",
                None,
                Some("subdomains get p (reject)"),
                None,
            ),
            (
                "v=DMARC1; p=reject; sp=none",
                "np",
                None,
                Some("non-existent subdomains get sp, else p (none)"),
                None,
            ),
            ("v=DMARC1; p=none", "adkim", None, Some("r (relaxed)"), None),
            (
                "v=DMARC1; p=none; ri=3600",
                "ri",
                Some("3600"),
                None,
                Some("dmarc.tag-removed-rfc9989"),
            ),
            (
                "v=DMARC1; p=none; rf=afrf",
                "rf",
                Some("afrf"),
                None,
                Some("dmarc.tag-removed-rfc9989"),
            ),
            (
                "v=DMARC1; p=none; np=reject",
                "np",
                Some("reject"),
                None,
                Some("dmarc.tag-rfc9989-only"),
            ),
            (
                "v=DMARC1; p=maybe",
                "p",
                Some("maybe"),
                None,
                Some("dmarc.invalid-policy"),
            ),
            (
                "v=DMARC1; p=none; pct=200",
                "pct",
                Some("200"),
                None,
                Some("dmarc.invalid-percent"),
            ),
            (
                "v=DMARC1; p=none; foo=bar",
                "foo",
                Some("bar"),
                None,
                Some("dmarc.unknown-tag"),
            ),
            ("", "v", None, Some("not a DMARC record"), None),
            (
                "\u{0}\u{ff};;==;",
                "p",
                None,
                Some("invalid record; with a valid rua it acts as p=none"),
                None,
            ),
        ];
        for (txt, tag, value, default, code) in cases {
            let rows = dmarc_tag_table(txt, &parse_dmarc(txt));
            assert!(rows.len() >= DMARC_TAGS.len(), "{txt:?}");
            let row = rows
                .iter()
                .find(|r| r.tag == *tag)
                .unwrap_or_else(|| panic!("{txt:?}: no row {tag}"));
            assert_eq!(row.value.as_deref(), *value, "{txt:?} {tag}");
            assert_eq!(row.default.as_deref(), *default, "{txt:?} {tag}");
            match code {
                Some(code) => assert!(
                    row.findings.iter().any(|d| d.code == *code),
                    "{txt:?} {tag}: {:?}",
                    row.findings
                ),
                None => assert!(
                    row.findings.iter().all(|d| d.severity == Severity::Info),
                    "{txt:?} {tag}: {:?}",
                    row.findings
                ),
            }
        }
    }
}
