//! The domain audit against the real test DNS server: a domain that passes
//! every DNS check and one that fails them, plus SPF limit cases.

use std::collections::BTreeMap;
use std::time::Duration;

use mxlens_backend::audit::{run_audit_with, AuditConfig, AuditRequest};
use mxlens_backend::dedup::AuditLookup;
use mxlens_backend::resolver::{HickoryLookup, ResolverSettings};
use mxlens_shared::report::{Report, Status};
use mxlens_tests::dns::TestDns;

async fn audit(
    dns: &TestDns,
    domain: &str,
    selectors: &[&str],
    sending_ip: Option<&str>,
) -> Report {
    let lookup = HickoryLookup::new(&ResolverSettings {
        nameservers: vec![dns.addr],
        timeout: Duration::from_secs(2),
        attempts: 1,
    })
    .unwrap();
    let config = AuditConfig {
        deadline: Duration::from_secs(20),
        dnsbl_lists: vec!["bl.audit.test".into()],
    };
    let request = AuditRequest {
        domain: domain.into(),
        selectors: selectors.iter().map(|s| s.to_string()).collect(),
        sending_ip: sending_ip.map(|s| s.parse().unwrap()),
    };
    run_audit_with(
        &AuditLookup::new(lookup),
        &request,
        &config,
        "2026-01-01T00:00:00Z".into(),
        |_| {},
    )
    .await
}

/// id → statuses (in order), with subjects, for readable assertions.
fn statuses(report: &Report) -> BTreeMap<String, Vec<Status>> {
    let mut map: BTreeMap<String, Vec<Status>> = BTreeMap::new();
    for c in &report.checks {
        map.entry(c.id.clone()).or_default().push(c.status);
    }
    map
}

fn assert_status(report: &Report, id: &str, want: Status) {
    let got: Vec<(Status, String)> = report
        .checks
        .iter()
        .filter(|c| c.id == id)
        .map(|c| (c.status, c.detail.clone()))
        .collect();
    assert!(
        !got.is_empty() && got.iter().all(|(s, _)| *s == want),
        "{id}: want {want}, got {got:#?}\nall: {:#?}",
        statuses(report)
    );
}

async fn zones() -> TestDns {
    TestDns::start_fixtures(&["audit.test", "2.0.192.in-addr.arpa", "elsewhere.test"])
        .await
        .unwrap()
}

#[tokio::test]
async fn good_domain_passes_dns_checks() {
    let dns = zones().await;
    let r = audit(&dns, "good.audit.test", &["s1"], Some("192.0.2.10")).await;
    for id in [
        "dns.resolves",
        "mx.present",
        "mx.targets-resolve",
        "mx.ptr",
        "spf.present",
        "spf.single-record",
        "spf.syntax",
        "spf.lookup-limit",
        "spf.all-qualifier",
        "spf.include-resolves",
        "spf.sender-ip",
        "sender.ptr",
        "dmarc.present",
        "dmarc.policy",
        "dmarc.rua",
        "dkim.key",
        "dkim.key-length",
        "mta-sts.record",
        "tls-rpt.record",
        "bimi.record",
        "bimi.dmarc-enforcement",
        "dnsbl.listed",
    ] {
        assert_status(&r, id, Status::Pass);
    }
    // The policy fetch needs HTTPS: never a silent pass.
    assert_status(&r, "mta-sts.policy", Status::NotTested);
    let domain = r.domain.as_ref().unwrap();
    assert_eq!(domain.mx[0].host, "mx1.good.audit.test");
    let spf = domain.spf.as_ref().unwrap();
    assert_eq!(spf["lookup_count"], 1, "{spf}");
    assert_eq!(domain.dmarc.as_ref().unwrap()["policy"], "reject");
    assert!(!r.has_failures(), "{:#?}", statuses(&r));
}

#[tokio::test]
async fn bad_domain_fails_dns_checks() {
    let dns = zones().await;
    let r = audit(&dns, "bad.audit.test", &["s1", "old"], Some("192.0.2.20")).await;
    assert_status(&r, "spf.single-record", Status::Fail);
    assert_status(&r, "dmarc.policy", Status::Warn);
    assert_status(&r, "dmarc.external-report-auth", Status::Fail);
    assert_status(&r, "mx.no-cname", Status::Warn);
    assert_status(&r, "sender.ptr", Status::Fail);
    assert!(
        r.checks.iter().any(|c| c.id == "dnsbl.listed"
            && c.status == Status::Fail
            && c.detail.contains("192.0.2.20")),
        "{:#?}",
        statuses(&r)
    );
    assert!(r
        .checks
        .iter()
        .any(|c| c.id == "dkim.key-length" && c.status == Status::Fail));
    assert!(r
        .checks
        .iter()
        .any(|c| c.id == "dkim.testing" && c.status != Status::Pass));
    assert!(r
        .checks
        .iter()
        .any(|c| c.id == "dkim.revoked" && c.status != Status::Pass));
    assert_status(&r, "mta-sts.record", Status::Warn);
    assert!(r.has_failures());
}

#[tokio::test]
async fn spf_limits_loops_and_missing_includes() {
    let dns = zones().await;
    let r = audit(&dns, "toomany.audit.test", &[], None).await;
    assert_status(&r, "spf.lookup-limit", Status::Fail);
    let count = r.domain.as_ref().unwrap().spf.as_ref().unwrap()["lookup_count"]
        .as_u64()
        .unwrap();
    assert!(count > 10, "lookup_count {count}");

    let r = audit(&dns, "voids.audit.test", &[], None).await;
    assert_status(&r, "spf.void-lookups", Status::Fail);
    assert_eq!(
        r.domain.as_ref().unwrap().spf.as_ref().unwrap()["void_lookup_count"],
        3
    );

    let r = audit(&dns, "loop.audit.test", &[], None).await;
    assert!(
        r.checks
            .iter()
            .any(|c| c.id.starts_with("spf.") && c.status == Status::Fail),
        "{:#?}",
        statuses(&r)
    );

    let r = audit(&dns, "noinclude.audit.test", &[], None).await;
    assert_status(&r, "spf.include-resolves", Status::Fail);
}

#[tokio::test]
async fn null_mx_and_missing_domain() {
    let dns = zones().await;
    let r = audit(&dns, "nullmx.audit.test", &[], None).await;
    assert_status(&r, "mx.null", Status::Info);
    let r = audit(&dns, "missing.audit.test", &[], None).await;
    assert_status(&r, "dns.resolves", Status::Fail);
}

#[tokio::test]
async fn deduplicates_queries_within_an_audit() {
    let dns = zones().await;
    let before = dns.query_count();
    let _ = audit(&dns, "good.audit.test", &["s1"], Some("192.0.2.10")).await;
    let a_queries = dns.queries_for("mx1.good.audit.test");
    // mx1's A record is wanted by the MX check, FCrDNS and SPF, once each
    // at most per record type (A, AAAA, CNAME).
    assert!(
        a_queries <= 3,
        "mx1.good.audit.test was queried {a_queries} times"
    );
    assert!(dns.query_count() > before);
}
