//! What each SPF term means (RFC 7208 §5, §6), for the legend beside the
//! include tree: the domain report carries the rows for the terms a record
//! uses (`domain.spf.terms`), so the text lives here, once.

use serde::Serialize;

/// `(term, meaning, RFC section)` for every mechanism and modifier.
pub const SPF_TERMS: &[(&str, &str, &str)] = &[
    ("v", "Version: v=spf1 marks an SPF record.", "RFC 7208 §4.5"),
    ("all", "Matches every sender: its qualifier (-all fail, ~all softfail, ?all neutral) is the answer for everyone not listed before it.", "RFC 7208 §5.1"),
    ("include", "Asks another domain's SPF record; matches when that record passes. Costs one DNS lookup plus the lookups inside it.", "RFC 7208 §5.2"),
    ("a", "Matches the IP addresses of a host name (the domain itself by default). One DNS lookup.", "RFC 7208 §5.3"),
    ("mx", "Matches the IP addresses of the domain's MX hosts. One lookup, plus one per MX host (at most 10).", "RFC 7208 §5.4"),
    ("ptr", "Matches by reverse DNS. Slow and unreliable; RFC 7208 says do not use it.", "RFC 7208 §5.5"),
    ("ip4", "Matches an IPv4 address or range. No DNS lookup.", "RFC 7208 §5.6"),
    ("ip6", "Matches an IPv6 address or range. No DNS lookup.", "RFC 7208 §5.6"),
    ("exists", "Matches when a (usually macro-built) name has an A record. One DNS lookup.", "RFC 7208 §5.7"),
    ("redirect", "Uses another domain's SPF record when nothing else matched (ignored when the record has an all). One DNS lookup.", "RFC 7208 §6.1"),
    ("exp", "Names a TXT record whose text explains a fail to the sender.", "RFC 7208 §6.2"),
];

/// One legend row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfTermRow {
    /// The mechanism or modifier name, lower case.
    pub term: &'static str,
    /// What it does.
    pub meaning: &'static str,
    /// The defining RFC section.
    pub rfc: &'static str,
}

/// The legend for `record`: one row per known term it uses, in the order
/// of first use. Total: unknown or malformed terms are skipped.
///
/// ```
/// use mxlens_shared::spf::terms::spf_term_legend;
/// let rows = spf_term_legend("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all");
/// let names: Vec<_> = rows.iter().map(|r| r.term).collect();
/// assert_eq!(names, ["v", "ip4", "include", "all"]);
/// ```
pub fn spf_term_legend(record: &str) -> Vec<SpfTermRow> {
    let mut rows: Vec<SpfTermRow> = Vec::new();
    for word in record.split_ascii_whitespace() {
        let word = word.trim_start_matches(['+', '-', '~', '?']);
        let name = word
            .split([':', '/', '='])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if let Some(&(term, meaning, rfc)) = SPF_TERMS.iter().find(|(t, _, _)| *t == name) {
            if !rows.iter().any(|r| r.term == term) {
                rows.push(SpfTermRow { term, meaning, rfc });
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &[&str])] = &[
            ("v=spf1 -all", &["v", "all"]),
            (
                "v=spf1 +mx a:mail.example.com ~all",
                &["v", "mx", "a", "all"],
            ),
            (
                "v=spf1 include:a.example include:b.example redirect=c.example",
                &["v", "include", "redirect"],
            ),
            (
                "v=spf1 ip6:2001:db8::/32 exists:%{i}.x.example exp=e.example ?all",
                &["v", "ip6", "exists", "exp", "all"],
            ),
            ("v=spf1 MX PTR", &["v", "mx", "ptr"]),
            ("", &[]),
            ("garbage ::: === \u{0} -", &[]),
        ];
        for (record, want) in cases {
            let got: Vec<_> = spf_term_legend(record).iter().map(|r| r.term).collect();
            assert_eq!(&got, want, "{record:?}");
        }
    }
}
