//! Running the backend's domain audit in-process against the test DNS
//! server, the way `mxlens audit` does, for tests that assert on the report.

use std::time::Duration;

use mxlens_backend::audit::{run_audit_with, AuditConfig, AuditRequest};
use mxlens_backend::dedup::AuditLookup;
use mxlens_backend::resolver::{HickoryLookup, ResolverSettings};
use mxlens_shared::report::Report;

use crate::dns::TestDns;

/// The timestamp every test audit carries, so reports compare.
pub const GENERATED_AT: &str = "2026-01-01T00:00:00Z";

/// An audit request for `domain` with DKIM `selectors` and an optional
/// sending IP (panics on a malformed IP: it is a test's literal).
pub fn request(domain: &str, selectors: &[&str], sending_ip: Option<&str>) -> AuditRequest {
    AuditRequest {
        domain: domain.into(),
        selectors: selectors.iter().map(|s| s.to_string()).collect(),
        sending_ip: sending_ip.map(|s| s.parse().expect("a test's sending IP")),
        rcpt: None,
    }
}

/// Runs `request` with `config` through a hickory resolver that asks only
/// `dns`, one attempt per query with `dns_timeout`.
pub async fn run(
    dns: &TestDns,
    request: &AuditRequest,
    config: &AuditConfig,
    dns_timeout: Duration,
) -> Report {
    let lookup = HickoryLookup::new(&ResolverSettings {
        nameservers: vec![dns.addr],
        timeout: dns_timeout,
        attempts: 1,
        ..ResolverSettings::default()
    })
    .expect("a resolver for the test DNS server");
    let report = run_audit_with(
        &AuditLookup::new(lookup),
        request,
        config,
        GENERATED_AT.into(),
        |_| {},
    )
    .await;
    // The browser reads reports with `report::decode` rather than the
    // derived `Deserialize`: every audit the suite runs must read the same
    // both ways.
    let value = serde_json::to_value(&report).expect("a report serialises");
    assert_eq!(
        mxlens_shared::report::decode::report(&value).as_ref(),
        Ok(&report),
        "report::decode disagrees with the report model"
    );
    report
}

/// The configuration of the DNS-only audit tests: a 20 s deadline, the
/// fixture blocklist `bl.audit.test`, and no SMTP probes.
pub fn dns_only_config() -> AuditConfig {
    AuditConfig {
        deadline: Duration::from_secs(20),
        dnsbl_lists: vec!["bl.audit.test".into()],
        smtp: false,
        ..AuditConfig::default()
    }
}

/// Audits `domain` with DKIM `selectors` and an optional sending IP through
/// `dns` (2 s per query), with `config`.
pub async fn audit_with(
    dns: &TestDns,
    domain: &str,
    selectors: &[&str],
    sending_ip: Option<&str>,
    config: &AuditConfig,
) -> Report {
    run(
        dns,
        &request(domain, selectors, sending_ip),
        config,
        Duration::from_secs(2),
    )
    .await
}
