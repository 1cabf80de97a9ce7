//! The domain audit: the planner ([`plan::run_audit`]), the probes it is
//! given ([`probes::Probes`]), and the evaluators that need only DNS. They
//! are generic over [`crate::dns::DnsLookup`], so the backend runs them
//! against live DNS and tests against zone data. Independent lookups run
//! concurrently.

pub mod dnsbl;
pub mod mx;
pub mod plan;
pub mod probes;
pub mod ptr;

pub use plan::{run_audit, AuditEvent, AuditOptions, AuditRequest, COMMON_SELECTORS};
pub use probes::{Probes, RcptAudit, SmtpAudit, MAX_PROBE_TARGETS};

use crate::dns::{DnsLookup, DnsOutcome, DnssecStatus};
use crate::report::{Check, Status};

/// `dns.resolves`: does the domain exist? Any answer (even NODATA) proves
/// existence; NXDOMAIN is a fail; SERVFAIL/timeout are errors (RFC 8020:
/// NXDOMAIN means nothing exists at or below the name).
pub async fn check_resolves<L: DnsLookup>(lookup: &L, domain: &str) -> Check {
    // SOA is not in the trait; an MX or A query answers the question equally
    // well, and the MX query is needed anyway (the resolver deduplicates).
    let (mx, a) = futures::join!(lookup.mx(domain), lookup.a(domain));
    let id = "dns.resolves";
    match (&mx, &a) {
        (DnsOutcome::NxDomain, DnsOutcome::NxDomain) => Check::new(
            id,
            Status::Fail,
            format!("{domain} does not exist (NXDOMAIN)"),
        )
        .with_fix("Check the spelling, and that the domain is registered and delegated."),
        (m, a) if m.is_failure() && a.is_failure() => Check::new(
            id,
            Status::Error,
            format!(
                "could not resolve {domain}: MX {}, A {}",
                m.describe(),
                a.describe()
            ),
        ),
        _ => Check::new(id, Status::Pass, format!("{domain} exists in DNS")),
    }
}

/// `dns.dnssec`: did a validating resolver authenticate the domain's
/// answers? Read from the AD bit of an SOA query sent with AD=1 and DO=1
/// (RFC 6840 §5.7, RFC 4035 §3.2.3). AD=1 is a pass. AD=0 means the zone
/// is unsigned only if the resolver validates, which the root's AD bit
/// tells ([`DnsLookup::resolver_validates`]): a validating resolver gives a
/// warn (the zone is unsigned or an insecure delegation), a non-validating
/// one `not_tested` (we could not look; the zone is not to blame), and an
/// unknown resolver the warn that says AD alone cannot tell. SERVFAIL and
/// timeouts are errors (a validating resolver also answers SERVFAIL for a
/// bogus signature, RFC 4035 §5.5).
pub async fn check_dnssec<L: DnsLookup>(lookup: &L, domain: &str) -> Check {
    let id = "dns.dnssec";
    let status = lookup.dnssec_status(domain).await;
    let unvalidated = matches!(status, DnsOutcome::NoData)
        || matches!(&status, DnsOutcome::Records(s) if !s.contains(&DnssecStatus::Authenticated));
    let validates = if unvalidated {
        lookup.resolver_validates().await
    } else {
        None
    };
    match status {
        DnsOutcome::Records(statuses) if statuses.contains(&DnssecStatus::Authenticated) => {
            Check::new(
                id,
                Status::Pass,
                format!("answers for {domain} are DNSSEC-validated (the resolver set AD=1)"),
            )
        }
        DnsOutcome::Records(_) | DnsOutcome::NoData => match validates {
            Some(false) => Check::new(
                id,
                Status::NotTested,
                format!(
                    "the configured resolver does not validate DNSSEC (it answered for the root zone, which is signed, without AD=1), so its AD=0 for {domain} says nothing about the zone; point --nameserver at a validating resolver to test this"
                ),
            ),
            Some(true) => Check::new(
                id,
                Status::Warn,
                format!(
                    "answers for {domain} are not DNSSEC-validated (AD=0) although the resolver validates (it authenticated the root zone): the zone is unsigned, or its delegation is insecure (no DS record at the parent)"
                ),
            )
            .with_fix("Sign the zone and publish its DS record at the registrar (RFC 4035 §2.4)."),
            None => Check::new(
                id,
                Status::Warn,
                format!(
                    "answers for {domain} are not DNSSEC-validated (AD=0): the zone is unsigned, or the resolver does not validate; the AD bit alone cannot tell which"
                ),
            ),
        },
        DnsOutcome::NxDomain => Check::new(
            id,
            Status::NotApplicable,
            format!("{domain} does not exist (NXDOMAIN)"),
        ),
        failure => Check::new(
            id,
            Status::Error,
            format!(
                "could not learn the DNSSEC status of {domain}: {} (a validating resolver also answers SERVFAIL for a bogus signature)",
                failure.describe()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on_ready, ZoneData, ZoneRecord};

    #[test]
    fn dnssec_status_from_the_ad_bit() {
        let mut zone = ZoneData::new();
        zone.add("signed.example", ZoneRecord::Txt("x".into()))
            .add("sub.signed.example", ZoneRecord::Txt("x".into()))
            .add("plain.example", ZoneRecord::Txt("x".into()))
            .add("slow.example", ZoneRecord::Txt("x".into()))
            .add_authenticated("signed.example")
            .add_timeout("slow.example", None);
        let cases = [
            ("signed.example", Status::Pass),
            ("sub.signed.example", Status::Pass),
            ("plain.example", Status::Warn),
            ("slow.example", Status::Error),
            ("missing.example", Status::NotApplicable),
        ];
        for (domain, want) in cases {
            let check = block_on_ready(check_dnssec(&zone, domain));
            assert_eq!(check.status, want, "{domain}: {check:?}");
            assert_eq!(check.id, "dns.dnssec");
        }
        assert!(block_on_ready(check_dnssec(&zone, "plain.example"))
            .detail
            .contains("cannot tell"));

        // The root answers: its AD bit says whether the resolver validates.
        // A non-validating resolver's AD=0 is not the zone's fault.
        zone.add(".", ZoneRecord::Txt("root".into()));
        let check = block_on_ready(check_dnssec(&zone, "plain.example"));
        assert_eq!(check.status, Status::NotTested, "{check:?}");
        assert!(check.detail.contains("does not validate"), "{check:?}");
        assert_eq!(
            block_on_ready(check_dnssec(&zone, "signed.example")).status,
            Status::Pass
        );
        // A validating resolver (AD=1 for the root): AD=0 blames the zone.
        zone.add_authenticated(".");
        let check = block_on_ready(check_dnssec(&zone, "plain.example"));
        assert_eq!(check.status, Status::Warn, "{check:?}");
        assert!(
            check.detail.contains("although the resolver validates"),
            "{check:?}"
        );
    }
}
