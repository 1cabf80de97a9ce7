//! BIMI checks: `bimi.record` and `bimi.dmarc-enforcement`.

use crate::diagnostic::describe_errors;
use crate::dmarc::Policy;
use crate::dns::DnsLookup;
use crate::report::{Check, Status};

use super::parse::{parse_bimi, BimiParse};

/// What `<selector>._bimi.<domain>` TXT returned: one record starting
/// with `v=BIMI1` (case-insensitive), none, several (receivers ignore
/// them), or a failure.
pub type BimiLookup = crate::txt_record::TxtRecord<BimiParse>;

/// Queries `<selector>._bimi.<domain>` TXT; use selector `default`.
pub async fn lookup_bimi<L: DnsLookup>(lookup: &L, selector: &str, domain: &str) -> BimiLookup {
    let domain = crate::txt_record::lookup_domain(domain);
    crate::txt_record::lookup_versioned(
        lookup,
        &format!("{selector}._bimi.{domain}"),
        |r| r.to_ascii_lowercase().starts_with("v=bimi"),
        parse_bimi,
    )
    .await
}

/// The `bimi.record` check. BIMI is optional: absence is info.
pub fn lint_bimi(domain: &str, found: &BimiLookup) -> Check {
    match found {
        BimiLookup::Found { txt, parsed } if parsed.has_errors() => Check::new(
            "bimi.record",
            Status::Fail,
            format!("\"{txt}\": {}", describe_errors(&parsed.diagnostics)),
        ),
        BimiLookup::Found { parsed, .. } if parsed.record.is_declination() => Check::new(
            "bimi.record",
            Status::Info,
            "a declination record (empty l= and a=): the domain opts out of BIMI",
        ),
        BimiLookup::Found { txt, parsed } => {
            let mut detail = format!("default._bimi.{domain}: \"{txt}\"");
            let warnings: Vec<String> = parsed
                .diagnostics
                .iter()
                .filter(|d| d.severity == crate::diagnostic::Severity::Warning)
                .map(|d| d.describe())
                .collect();
            if parsed.record.authority.as_deref().unwrap_or("").is_empty() {
                detail.push_str("; no a= mark certificate: Gmail and Apple Mail show logos only with a VMC or CMC");
            }
            if warnings.is_empty() {
                Check::new("bimi.record", Status::Pass, detail)
            } else {
                Check::new(
                    "bimi.record",
                    Status::Warn,
                    format!("{detail}; {}", warnings.join("; ")),
                )
            }
        }
        BimiLookup::NotFound => Check::new(
            "bimi.record",
            Status::Info,
            format!("no BIMI record at default._bimi.{domain}"),
        ),
        BimiLookup::Multiple(records) => Check::new(
            "bimi.record",
            Status::Fail,
            format!(
                "{} v=BIMI1 records at default._bimi.{domain}; receivers ignore them",
                records.len()
            ),
        ),
        BimiLookup::DnsFailure(d) => Check::new(
            "bimi.record",
            Status::Error,
            format!("the TXT query for default._bimi.{domain} failed: {d}"),
        ),
    }
}

/// The `bimi.dmarc-enforcement` check: mailbox providers show BIMI logos
/// only under DMARC `quarantine` or `reject` at `pct=100`. `policy` is the
/// DMARC effective policy (`None` when there is no DMARC record) and
/// `percent` its `pct` (100 when absent).
pub fn lint_bimi_dmarc(found: &BimiLookup, policy: Option<Policy>, percent: u8) -> Check {
    let publishes =
        matches!(found, BimiLookup::Found { parsed, .. } if !parsed.record.is_declination());
    if !publishes {
        return Check::new(
            "bimi.dmarc-enforcement",
            Status::NotApplicable,
            "no BIMI logo published",
        );
    }
    match policy {
        Some(p @ (Policy::Quarantine | Policy::Reject)) if percent == 100 => Check::new(
            "bimi.dmarc-enforcement",
            Status::Pass,
            format!("DMARC policy {p} at pct=100"),
        ),
        Some(p @ (Policy::Quarantine | Policy::Reject)) => Check::new(
            "bimi.dmarc-enforcement",
            Status::Fail,
            format!("DMARC policy {p} applies to only pct={percent}; BIMI needs pct=100"),
        )
        .with_fix("Remove pct= (or set pct=100) from the DMARC record."),
        Some(p) => Check::new(
            "bimi.dmarc-enforcement",
            Status::Fail,
            format!("DMARC policy {p}: BIMI logos are not shown"),
        )
        .with_fix("Move DMARC to p=quarantine or p=reject."),
        None => Check::new(
            "bimi.dmarc-enforcement",
            Status::Fail,
            "no DMARC policy: BIMI logos are not shown",
        )
        .with_fix("Publish a DMARC record with p=quarantine or p=reject."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};

    #[test]
    fn table() {
        let mut z = ZoneData::new();
        z.add(
            "default._bimi.example.com",
            ZoneRecord::Txt(
                "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem".into(),
            ),
        );
        let cases = [
            (Some(Policy::Reject), 100, Status::Pass),
            (Some(Policy::Quarantine), 50, Status::Fail),
            (Some(Policy::None), 100, Status::Fail),
            (None, 100, Status::Fail),
        ];
        for (policy, pct, want) in cases {
            let found = block_on_ready(lookup_bimi(&z, "default", "example.com"));
            assert_eq!(lint_bimi("example.com", &found).status, Status::Pass);
            assert_eq!(
                lint_bimi_dmarc(&found, policy, pct).status,
                want,
                "{policy:?} {pct}"
            );
        }
        let found = block_on_ready(lookup_bimi(&z, "default", "other.example"));
        assert_eq!(lint_bimi("other.example", &found).status, Status::Info);
        assert_eq!(
            lint_bimi_dmarc(&found, None, 100).status,
            Status::NotApplicable
        );
    }
}
