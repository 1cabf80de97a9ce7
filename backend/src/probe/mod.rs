//! Outbound probes: the SMTP/STARTTLS probe of each MX IP ([`smtp`]) with
//! its TLS inspection ([`tls`]), and the MTA-STS policy fetch over HTTPS
//! ([`https`]). Every connection goes through
//! [`crate::ssrf::ConnectPolicy::target`] first, has a timeout per step and
//! caps on what it reads.

pub mod bounded;
pub mod https;
pub mod rcpt;
pub mod smtp;
pub mod tls;

pub use https::{
    fetch_https, fetch_https_host, fetch_mta_sts_policy, policy_fetch, FetchError, FetchedPolicy,
    HttpsOptions, PolicyFetchOutcome,
};
pub use smtp::{probe_mx, ProbeOptions};

use std::net::IpAddr;
use std::time::Instant;

use mxlens_shared::audit::{SmtpAudit, MAX_PROBE_TARGETS};
use mxlens_shared::dns::DnsLookup;
use mxlens_shared::report::{Check, MxHost, Status};
use mxlens_shared::smtp::{report_entry, smtp_checks};

use crate::ssrf::ConnectPolicy;

/// Milliseconds since `start`, saturated to `u32`.
pub(crate) fn elapsed_ms(start: Instant) -> u32 {
    u32::try_from(start.elapsed().as_millis()).unwrap_or(u32::MAX)
}

/// Probes every address of every MX host concurrently (one connection per
/// IP at a time; see [`probe_mx`]) while looking up each IP's PTR names,
/// then evaluates the `smtp.*` checks. With no address to probe, one
/// `smtp.connect` check says `not_applicable`.
pub async fn audit_smtp<L: DnsLookup>(
    policy: &ConnectPolicy,
    lookup: &L,
    hosts: &[MxHost],
    opts: &ProbeOptions,
) -> SmtpAudit {
    let mut targets: Vec<(String, IpAddr)> = Vec::new();
    for host in hosts {
        for address in &host.addresses {
            if let Ok(ip) = address.parse::<IpAddr>() {
                let pair = (host.host.clone(), ip);
                if !targets.contains(&pair) {
                    targets.push(pair);
                }
            }
        }
    }
    let total = targets.len();
    targets.truncate(MAX_PROBE_TARGETS);
    if targets.is_empty() {
        return SmtpAudit {
            checks: vec![Check::new(
                "smtp.connect",
                Status::NotApplicable,
                "no MX address to probe",
            )],
            ..Default::default()
        };
    }
    let probes = targets.iter().map(|(host, ip)| async move {
        let (result, ptr) = futures::join!(probe_mx(policy, host, *ip, opts), lookup.ptr(*ip));
        (result, ptr.records().to_vec())
    });
    let mut audit = SmtpAudit::default();
    if total > targets.len() {
        audit.checks.push(Check::new(
            "smtp.connect",
            Status::Info,
            format!(
                "the MX hosts have {total} addresses; the first {} in MX preference order were probed",
                targets.len()
            ),
        ));
    }
    for (result, ptr_names) in futures::future::join_all(probes).await {
        audit.checks.extend(smtp_checks(&result, &ptr_names));
        audit.entries.push(report_entry(&result));
        audit.results.push(result);
    }
    audit
}
