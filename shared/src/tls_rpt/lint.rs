//! The `tls-rpt.record` check.

use crate::diagnostic::describe_errors;
use crate::dns::DnsLookup;
use crate::report::{Check, Status};

use super::parse::{parse_tls_rpt, TlsRptParse};

/// What `_smtp._tls.<domain>` TXT returned: exactly one record starting
/// with `v=TLSRPTv`, none, several (senders assume TLS-RPT is not
/// implemented, RFC 8460 §3), or a failure.
pub type TlsRptLookup = crate::txt_record::TxtRecord<TlsRptParse>;

/// Queries `_smtp._tls.<domain>` TXT (RFC 8460 §3); records not starting
/// with `v=TLSRPTv1` are discarded.
pub async fn lookup_tls_rpt<L: DnsLookup>(lookup: &L, domain: &str) -> TlsRptLookup {
    let domain = crate::txt_record::lookup_domain(domain);
    crate::txt_record::lookup_versioned(
        lookup,
        &format!("_smtp._tls.{domain}"),
        |r| r.starts_with("v=TLSRPTv"),
        parse_tls_rpt,
    )
    .await
}

/// The `tls-rpt.record` check.
pub fn lint_tls_rpt(domain: &str, found: &TlsRptLookup) -> Check {
    match found {
        TlsRptLookup::Found { txt, parsed } if parsed.has_errors() => Check::new(
            "tls-rpt.record",
            Status::Fail,
            format!("\"{txt}\": {}", describe_errors(&parsed.diagnostics)),
        ),
        TlsRptLookup::Found { txt, .. } => Check::new(
            "tls-rpt.record",
            Status::Pass,
            format!("_smtp._tls.{domain}: \"{txt}\""),
        ),
        TlsRptLookup::NotFound => Check::new(
            "tls-rpt.record",
            Status::Warn,
            format!("no v=TLSRPTv1 record at _smtp._tls.{domain}"),
        )
        .with_suggestion(format!(
            "_smtp._tls.{domain}. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}\""
        )),
        TlsRptLookup::Multiple(records) => Check::new(
            "tls-rpt.record",
            Status::Fail,
            format!(
                "{} v=TLSRPTv1 records at _smtp._tls.{domain}; senders ignore them all",
                records.len()
            ),
        ),
        TlsRptLookup::DnsFailure(d) => Check::new(
            "tls-rpt.record",
            Status::Error,
            format!("the TXT query for _smtp._tls.{domain} failed: {d}"),
        ),
    }
}

/// [`lookup_tls_rpt`] then [`lint_tls_rpt`].
pub async fn audit_tls_rpt<L: DnsLookup>(lookup: &L, domain: &str) -> (TlsRptLookup, Check) {
    let found = lookup_tls_rpt(lookup, domain).await;
    let check = lint_tls_rpt(domain, &found);
    (found, check)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, QueryType, ZoneData, ZoneRecord};

    #[test]
    fn table() {
        let mut z = ZoneData::new();
        z.add(
            "_smtp._tls.ok.example",
            ZoneRecord::Txt("v=TLSRPTv1; rua=mailto:r@ok.example".into()),
        );
        z.add(
            "_smtp._tls.bad.example",
            ZoneRecord::Txt("v=TLSRPTv1; rua=http://x.example/".into()),
        );
        z.add_timeout("_smtp._tls.slow.example", Some(QueryType::Txt));
        for (domain, want) in [
            ("ok.example", Status::Pass),
            ("bad.example", Status::Fail),
            ("slow.example", Status::Error),
            ("none.example", Status::Warn),
        ] {
            assert_eq!(
                block_on_ready(audit_tls_rpt(&z, domain)).1.status,
                want,
                "{domain}"
            );
        }
    }
}
