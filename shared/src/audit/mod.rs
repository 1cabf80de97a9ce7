//! Domain-audit evaluators that need only DNS. They are generic over
//! [`crate::dns::DnsLookup`], so the backend runs them against live DNS and
//! tests against zone data. Independent lookups run concurrently.

pub mod dnsbl;
pub mod mx;
pub mod ptr;

use crate::dns::{DnsLookup, DnsOutcome};
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
