//! The domain audit against the real test DNS server: a domain that passes
//! every DNS check and one that fails them, plus SPF limit cases.

use std::collections::BTreeMap;
use std::time::Duration;

use mxlens_backend::audit::AuditConfig;
use mxlens_shared::report::{Report, Status};
use mxlens_tests::audit::{audit_with, dns_only_config};
use std::sync::Arc;

use mxlens_backend::ssrf::ConnectPolicy;
use mxlens_tests::dns::{Fault, TestDns};
use mxlens_tests::https::{https, ok_response};
use mxlens_tests::pki::TestCa;
use mxlens_tests::smtp::Postfix;

async fn audit(
    dns: &TestDns,
    domain: &str,
    selectors: &[&str],
    sending_ip: Option<&str>,
) -> Report {
    audit_with(dns, domain, selectors, sending_ip, &dns_only_config()).await
}

/// id → statuses (in order), with subjects, for readable assertions.
fn statuses(report: &Report) -> BTreeMap<String, Vec<Status>> {
    let mut map: BTreeMap<String, Vec<Status>> = BTreeMap::new();
    for c in &report.checks {
        map.entry(c.id.to_string()).or_default().push(c.status);
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

/// The whole audit of a healthy domain: DNS checks, the SMTP probe against
/// a real Postfix with STARTTLS (reached through --connect-to, the
/// documentation range opened with --allow-target, the test CA trusted),
/// and the MTA-STS policy over HTTPS.
#[tokio::test]
async fn good_domain_passes_every_check() {
    let dns = zones().await;
    let ca = TestCa::new().unwrap();
    let postfix = Postfix::start(
        "mx1.good.audit.test",
        &ca.issue(&["mx1.good.audit.test"]).unwrap(),
    )
    .await
    .unwrap();
    let policy_server = https(
        &ca.issue(&["mta-sts.good.audit.test"]).unwrap(),
        Some(ok_response(
            "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.audit.test\r\nmax_age: 604800\r\n",
        )),
    )
    .await;
    let mut config = AuditConfig {
        deadline: Duration::from_secs(25),
        dnsbl_lists: vec!["bl.audit.test".into()],
        policy: Arc::new(ConnectPolicy {
            allow: vec!["192.0.2.0/24".parse().unwrap()],
            connect_to: vec![
                format!(
                    "mx1.good.audit.test:25:{}:{}",
                    postfix.addr.ip(),
                    postfix.addr.port()
                )
                .parse()
                .unwrap(),
                format!(
                    "mta-sts.good.audit.test:443:{}:{}",
                    policy_server.addr.ip(),
                    policy_server.addr.port()
                )
                .parse()
                .unwrap(),
            ],
        }),
        ..AuditConfig::default()
    };
    config.probe.extra_trust_anchors = vec![ca.cert_der()];
    config.https.extra_trust_anchors = vec![ca.cert_der()];
    let r = audit_with(
        &dns,
        "good.audit.test",
        &["s1"],
        Some("192.0.2.10"),
        &config,
    )
    .await;
    for id in [
        "smtp.connect",
        "smtp.banner",
        "smtp.ehlo",
        "smtp.starttls",
        "smtp.tls-version",
        "smtp.certificate",
        "smtp.banner-ptr",
        "mta-sts.policy",
        "mta-sts.mx-coverage",
    ] {
        assert_status(&r, id, Status::Pass);
    }
    let smtp = &r.domain.as_ref().unwrap().smtp;
    assert_eq!(smtp.len(), 1, "{smtp:?}");
    assert!(smtp[0].starttls);
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
    let domain = r.domain.as_ref().unwrap();
    assert_eq!(domain.mx[0].host, "mx1.good.audit.test");
    let spf = domain.spf.as_ref().unwrap();
    assert_eq!(spf.lookup_count, 1, "{spf:?}");
    assert_eq!(
        domain.dmarc.as_ref().unwrap().policy,
        Some(mxlens_shared::dmarc::Policy::Reject)
    );
    // The fetched policy as structured data, and the transport section
    // reading its mode from there (not from the policy check's wording).
    let sts = domain.mta_sts.as_ref().expect("domain.mta_sts");
    assert_eq!(sts.mode.as_deref(), Some("enforce"), "{sts:?}");
    assert_eq!(sts.max_age, Some(604800), "{sts:?}");
    assert_eq!(sts.mx[0], "mx1.good.audit.test", "{sts:?}");
    let transport = r.transport.as_ref().expect("transport section");
    assert_eq!(transport.mta_sts_mode.as_deref(), Some("enforce"));
    assert_eq!(
        transport.summary,
        "Mail to this domain is encrypted in transit and downgrade-protected (MTA-STS enforce)."
    );
    assert!(!r.has_failures(), "{:#?}", statuses(&r));
}

/// Without the SMTP probe (--no-smtp) the SMTP checks say not_tested, and
/// with the SSRF guard closed the MTA-STS policy host (a documentation
/// address) is refused without a connection: not_tested, never pass.
#[tokio::test]
async fn no_smtp_is_not_tested_never_pass() {
    let dns = zones().await;
    let r = audit(&dns, "good.audit.test", &["s1"], None).await;
    assert_status(&r, "smtp.connect", Status::NotTested);
    assert_status(&r, "mta-sts.policy", Status::NotTested);
    assert!(
        r.domain.as_ref().unwrap().mta_sts.is_none(),
        "no policy was fetched, so no structured facts"
    );
}

#[tokio::test]
async fn bad_domain_fails_dns_checks() {
    let dns = zones().await;
    let r = audit(&dns, "bad.audit.test", &["s1", "old"], Some("192.0.2.20")).await;
    assert_status(&r, "spf.single-record", Status::Fail);
    assert_status(&r, "dmarc.policy", Status::Warn);
    assert_status(&r, "dmarc.external-report-auth", Status::Fail);
    // One verdict per MX host: the alias warns, mx1 passes.
    assert!(r.checks.iter().any(|c| c.id == "mx.no-cname"
        && c.status == Status::Warn
        && c.subject.as_deref() == Some("alias.bad.audit.test")));
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
    let count = r
        .domain
        .as_ref()
        .unwrap()
        .spf
        .as_ref()
        .unwrap()
        .lookup_count;
    assert!(count > 10, "lookup_count {count}");

    let r = audit(&dns, "voids.audit.test", &[], None).await;
    assert_status(&r, "spf.void-lookups", Status::Fail);
    assert_eq!(
        r.domain
            .as_ref()
            .unwrap()
            .spf
            .as_ref()
            .unwrap()
            .void_lookup_count,
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

/// `dns.dnssec` from the AD bit of real answers: AD=1 (the server marks the
/// zone authenticated, as a validating resolver would a signed zone) is a
/// pass, AD=0 a warn, SERVFAIL an error, never a pass or a fail.
#[tokio::test]
async fn dnssec_pass_warn_and_error() {
    let dns = zones().await;
    dns.set_authenticated("good.audit.test");
    let r = audit(&dns, "good.audit.test", &["s1"], None).await;
    assert_status(&r, "dns.dnssec", Status::Pass);
    // The test server answers the root without AD=1, as a non-validating
    // resolver does: AD=0 for bad.audit.test then says nothing about the
    // zone, and the check says so instead of blaming it (#19).
    let r = audit(&dns, "bad.audit.test", &[], None).await;
    assert_status(&r, "dns.dnssec", Status::NotTested);
    let detail = &r
        .checks
        .iter()
        .find(|c| c.id == "dns.dnssec")
        .unwrap()
        .detail;
    assert!(detail.contains("does not validate"), "{detail}");
    // A validating resolver (AD=1 for the signed root): AD=0 is the zone's.
    dns.set_authenticated(".");
    let r = audit(&dns, "bad.audit.test", &[], None).await;
    assert_status(&r, "dns.dnssec", Status::Warn);
    dns.set_fault("bad.audit.test", Fault::ServFail);
    let r = audit(&dns, "bad.audit.test", &[], None).await;
    assert_status(&r, "dns.dnssec", Status::Error);
    assert_status(&r, "dns.resolves", Status::Error);
}
