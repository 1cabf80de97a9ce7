//! Every domain check id in the report contract, passing and failing,
//! through the whole audit against the real test DNS server (and real
//! HTTPS and SMTP peers where the check needs one). `good.audit.test` is the
//! passing case of most checks; `tests/fixtures/zones/checks.test.zone` has
//! one subdomain per failing case. The table in the issue #5 closing note
//! maps each id to the tests here and in audit.rs / smtp_probe.rs.

use std::sync::Arc;

use mxlens_backend::audit::AuditConfig;
use mxlens_backend::ssrf::ConnectPolicy;
use mxlens_shared::dmarc::Policy;
use mxlens_shared::report::{Report, Status};
use mxlens_tests::audit::{audit_with, dns_only_config};
use mxlens_tests::dns::TestDns;
use mxlens_tests::https::{https, ok_response};
use mxlens_tests::pki::TestCa;
use mxlens_tests::smtp::{Behaviour, FakeSmtp};

use Status::{Error, Fail, Info, NotApplicable, Pass, Warn};

const ZONES: &[&str] = &[
    "audit.test",
    "checks.test",
    "org.test",
    "elsewhere.test",
    "2.0.192.in-addr.arpa",
];

/// Asserts that some check with `id` has status `want` (a check may appear
/// once per MX host or selector). Prints every instance on failure.
fn expect(report: &Report, domain: &str, want: &[(&str, Status)]) {
    let mut wrong = Vec::new();
    for (id, status) in want {
        let got: Vec<String> = report
            .checks
            .iter()
            .filter(|c| c.id == *id)
            .map(|c| format!("{}: {}", c.status, c.detail))
            .collect();
        if !report
            .checks
            .iter()
            .any(|c| c.id == *id && c.status == *status)
        {
            wrong.push(format!("{id}: want {status}, got {got:#?}"));
        }
    }
    assert!(wrong.is_empty(), "{domain}:\n{}", wrong.join("\n"));
}

/// One audit per test; each test is named after the case it proves.
macro_rules! case {
    ($name:ident, $domain:expr, $selectors:expr, $ip:expr, [$(($id:expr, $status:expr)),+ $(,)?]) => {
        #[tokio::test]
        async fn $name() {
            let dns = TestDns::start_fixtures(ZONES).await.unwrap();
            let report = audit_with(&dns, $domain, &$selectors, $ip, &dns_only_config()).await;
            expect(&report, $domain, &[$(($id, $status)),+]);
        }
    };
}

// ---- the passing domain ----------------------------------------------------
#[tokio::test]
async fn good_domain_passes_dns_checks() {
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    dns.set_authenticated("good.audit.test");
    let report = audit_with(
        &dns,
        "good.audit.test",
        &["s1"],
        Some("192.0.2.10"),
        &dns_only_config(),
    )
    .await;
    let want = [
        "dns.resolves",
        "dns.dnssec",
        "mx.present",
        "mx.targets-resolve",
        "mx.no-cname",
        "mx.no-ip-literal",
        "mx.ptr",
        "spf.present",
        "spf.single-record",
        "spf.syntax",
        "spf.lookup-limit",
        "spf.void-lookups",
        "spf.all-qualifier",
        "spf.ptr-mechanism",
        "spf.record-size",
        "spf.include-resolves",
        "spf.sender-ip",
        "dmarc.present",
        "dmarc.single-record",
        "dmarc.syntax",
        "dmarc.policy",
        "dmarc.subdomain-policy",
        "dmarc.rua",
        "dkim.key",
        "dkim.key-length",
        "dkim.testing",
        "dkim.revoked",
        "mta-sts.record",
        "tls-rpt.record",
        "bimi.record",
        "bimi.dmarc-enforcement",
        "dnsbl.listed",
    ];
    // Every instance passes, not just one.
    let not_passing: Vec<String> = report
        .checks
        .iter()
        .filter(|c| want.contains(&c.id.as_ref()) && c.status != Pass)
        .map(|c| format!("{} {}: {}", c.id, c.status, c.detail))
        .collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let missing: Vec<&&str> = want
        .iter()
        .filter(|id| !report.checks.iter().any(|c| c.id == **id))
        .collect();
    assert!(missing.is_empty(), "no check for {missing:?}");
}

// ---- DNS and MX --------------------------------------------------------------
case!(
    mx_ip_literal_fails,
    "ipmx.checks.test",
    [],
    None,
    [("mx.no-ip-literal", Fail)]
);
case!(
    mx_null_mixed_with_real_mx_fails,
    "mixednull.checks.test",
    [],
    None,
    [("mx.null", Fail)]
);
case!(
    mx_null_alone_is_info,
    "nullmx.audit.test",
    [],
    None,
    [("mx.null", Info), ("mx.present", NotApplicable)]
);
case!(
    no_mx_and_no_address_fails,
    "nomx.checks.test",
    [],
    None,
    [("mx.present", Fail)]
);
case!(
    no_mx_with_address_fallback_warns,
    "amx.checks.test",
    [],
    None,
    [("mx.present", Warn)]
);
case!(
    mx_host_without_address_fails,
    "deadmx.checks.test",
    [],
    None,
    [("mx.targets-resolve", Fail)]
);
case!(
    mx_ptr_without_fcrdns_fails,
    "badptr.checks.test",
    [],
    None,
    [("mx.ptr", Fail), ("dnsbl.listed", Fail)]
);
case!(
    mx_cname_warns,
    "bad.audit.test",
    [],
    None,
    [("mx.no-cname", Warn), ("mx.no-cname", Pass)]
);

// ---- SPF -------------------------------------------------------------------
case!(
    spf_missing_fails,
    "nospf.checks.test",
    [],
    None,
    [("spf.present", Fail)]
);
case!(
    spf_syntax_error_fails,
    "spfsyntax.checks.test",
    [],
    None,
    [("spf.syntax", Fail)]
);
case!(
    spf_plus_all_fails,
    "plusall.checks.test",
    [],
    None,
    [("spf.all-qualifier", Fail)]
);
case!(
    spf_ptr_mechanism_warns,
    "spfptr.checks.test",
    [],
    None,
    [("spf.ptr-mechanism", Warn)]
);
case!(
    spf_record_over_450_bytes_warns,
    "bigspf.checks.test",
    [],
    None,
    [("spf.record-size", Warn)]
);
case!(
    spf_two_records_fail,
    "bad.audit.test",
    [],
    None,
    [("spf.single-record", Fail)]
);
case!(
    spf_eleven_lookups_fail,
    "toomany.audit.test",
    [],
    None,
    [("spf.lookup-limit", Fail)]
);
case!(
    spf_three_void_lookups_fail,
    "voids.audit.test",
    [],
    None,
    [("spf.void-lookups", Fail)]
);
case!(
    spf_include_loop_fails,
    "loop.audit.test",
    [],
    None,
    [("spf.include-resolves", Fail)]
);
case!(
    spf_include_without_spf_fails,
    "noinclude.audit.test",
    [],
    None,
    [("spf.include-resolves", Fail)]
);
case!(
    spf_unauthorised_sender_fails,
    "good.audit.test",
    ["s1"],
    Some("203.0.113.5"),
    [("spf.sender-ip", Fail)]
);

// ---- DMARC -------------------------------------------------------------------
case!(
    dmarc_missing_fails,
    "nospf.checks.test",
    [],
    None,
    [("dmarc.present", Fail)]
);
case!(
    dmarc_two_records_fail,
    "twodmarc.checks.test",
    [],
    None,
    [("dmarc.single-record", Fail)]
);
case!(
    dmarc_syntax_error_fails,
    "dmarcsyntax.checks.test",
    [],
    None,
    [("dmarc.syntax", Fail), ("dmarc.policy", Fail)]
);
case!(
    dmarc_none_policy_warns,
    "bad.audit.test",
    [],
    None,
    [("dmarc.policy", Warn)]
);
case!(
    dmarc_weak_subdomain_policy_and_no_rua_warn,
    "weaksub.checks.test",
    [],
    None,
    [("dmarc.subdomain-policy", Warn), ("dmarc.rua", Warn)]
);
case!(
    dmarc_unauthorised_external_rua_fails,
    "bad.audit.test",
    [],
    None,
    [("dmarc.external-report-auth", Fail)]
);
case!(
    dmarc_authorised_external_rua_passes,
    "authorized.checks.test",
    [],
    None,
    [("dmarc.external-report-auth", Pass), ("dmarc.policy", Pass)]
);

/// RFC 7489 §6.6.3: mail.org.test has no record, so the organizational
/// domain's applies, with its `sp=` as the effective policy.
#[tokio::test]
async fn dmarc_org_domain_fallback_uses_sp() {
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    let report = audit_with(&dns, "mail.org.test", &[], None, &dns_only_config()).await;
    expect(
        &report,
        "mail.org.test",
        &[("dmarc.present", Pass), ("dmarc.policy", Pass)],
    );
    let present = report
        .checks
        .iter()
        .find(|c| c.id == "dmarc.present")
        .unwrap();
    assert!(present.detail.contains("org.test"), "{present:?}");
    let dmarc = report.domain.as_ref().unwrap().dmarc.as_ref().unwrap();
    assert_eq!(dmarc.policy, Some(Policy::Quarantine), "{dmarc:?}");
    assert!(dns.queries_for("_dmarc.org.test") >= 1);
}

// ---- DKIM --------------------------------------------------------------------
case!(
    dkim_missing_and_broken_keys_fail,
    "dkim.checks.test",
    ["nokey", "broken"],
    None,
    [("dkim.key", Fail)]
);
case!(
    dkim_weak_testing_and_revoked_keys,
    "bad.audit.test",
    ["s1", "old"],
    None,
    [
        ("dkim.key-length", Fail),
        ("dkim.testing", Warn),
        ("dkim.revoked", Fail)
    ]
);

// ---- MTA-STS, TLS-RPT, BIMI ----------------------------------------------------
case!(
    mta_sts_and_tls_rpt_missing_warn,
    "bad.audit.test",
    [],
    None,
    [("mta-sts.record", Warn), ("tls-rpt.record", Warn)]
);
case!(
    tls_rpt_bad_rua_fails,
    "tlsrpt.checks.test",
    [],
    None,
    [("tls-rpt.record", Fail)]
);
case!(
    bimi_without_dmarc_enforcement_fails,
    "bimi.checks.test",
    [],
    None,
    [("bimi.record", Pass), ("bimi.dmarc-enforcement", Fail)]
);
case!(
    bimi_two_records_fail,
    "twobimi.checks.test",
    [],
    None,
    [("bimi.record", Fail)]
);

// ---- DANE ----------------------------------------------------------------------
case!(
    dane_pkix_usage_fails,
    "pkixtlsa.checks.test",
    [],
    None,
    [("dane.tlsa", Fail)]
);

// ---- DNS blocklists --------------------------------------------------------------
#[tokio::test]
async fn dnsbl_spamhaus_refusal_is_an_error_not_a_listing() {
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    let config = AuditConfig {
        dnsbl_lists: vec!["refusing.checks.test".into()],
        ..dns_only_config()
    };
    let report = audit_with(&dns, "good.audit.test", &[], None, &config).await;
    expect(&report, "good.audit.test", &[("dnsbl.listed", Error)]);
}

// ---- MTA-STS policy over HTTPS -----------------------------------------------------
async fn mta_sts_audit(response: Option<Vec<u8>>) -> Report {
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    let ca = TestCa::new().unwrap();
    let server = https(&ca.issue(&["mta-sts.good.audit.test"]).unwrap(), response).await;
    let mut config = AuditConfig {
        policy: Arc::new(ConnectPolicy {
            allow: vec!["192.0.2.0/24".parse().unwrap()],
            connect_to: vec![format!(
                "mta-sts.good.audit.test:443:{}:{}",
                server.addr.ip(),
                server.addr.port()
            )
            .parse()
            .unwrap()],
        }),
        ..dns_only_config()
    };
    config.https.extra_trust_anchors = vec![ca.cert_der()];
    audit_with(&dns, "good.audit.test", &[], None, &config).await
}

#[tokio::test]
async fn mta_sts_policy_not_found_fails() {
    let report = mta_sts_audit(Some(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    ))
    .await;
    expect(&report, "good.audit.test", &[("mta-sts.policy", Fail)]);
}

#[tokio::test]
async fn mta_sts_policy_not_covering_the_mx_fails() {
    let report = mta_sts_audit(Some(ok_response(
        "version: STSv1\r\nmode: enforce\r\nmx: mail.other.example\r\nmax_age: 604800\r\n",
    )))
    .await;
    expect(
        &report,
        "good.audit.test",
        &[("mta-sts.policy", Pass), ("mta-sts.mx-coverage", Fail)],
    );
}

// ---- DANE and SMTP against a real STARTTLS peer ----------------------------------------
/// TLSA records matched against the certificate the MX presents: a 3 0 0
/// record of the served certificate passes, a record of another key fails,
/// and the same match without DNSSEC (AD=0) warns (RFC 7672 §2.2). The
/// server rejects EHLO for one host (smtp.ehlo fail) and greets with a name
/// that is not the PTR (smtp.banner-ptr warn).
#[tokio::test]
async fn dane_tlsa_matches_the_presented_certificate() {
    let ca = TestCa::new().unwrap();
    let leaf = ca
        .issue(&[
            "mx.dane.test",
            "mx.wrong.dane.test",
            "mx.unsigned.dane.test",
        ])
        .unwrap();
    let fake = FakeSmtp::start(Behaviour::Normal, "mx.dane.test", Some(&leaf))
        .await
        .unwrap();
    let hex: String = leaf.der.iter().map(|b| format!("{b:02x}")).collect();
    let zone = format!(
        "$ORIGIN dane.test.\n$TTL 300\n\
         @ IN SOA ns1.audit.test. hostmaster.audit.test. ( 1 3600 600 86400 300 )\n\
         @ IN NS ns1.audit.test.\n\
         @ IN MX 10 mx.dane.test.\n\
         mx IN A 192.0.2.10\n\
         _25._tcp.mx IN TLSA 3 0 0 {hex}\n\
         wrong IN MX 10 mx.wrong.dane.test.\n\
         mx.wrong IN A 192.0.2.10\n\
         _25._tcp.mx.wrong IN TLSA 3 1 1 {zeros}\n\
         unsigned IN MX 10 mx.unsigned.dane.test.\n\
         mx.unsigned IN A 192.0.2.10\n\
         _25._tcp.mx.unsigned IN TLSA 3 0 0 {hex}\n",
        zeros = "00".repeat(32)
    );
    let ptr = "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n\
               @ IN SOA ns1.audit.test. hostmaster.audit.test. ( 1 3600 600 86400 300 )\n\
               @ IN NS ns1.audit.test.\n\
               10 IN PTR mx.dane.test.\n";
    let dns = TestDns::start(&[("dane.test", &zone), ("2.0.192.in-addr.arpa", ptr)])
        .await
        .unwrap();
    dns.set_authenticated("dane.test");
    let mut config = AuditConfig {
        smtp: true,
        dnsbl_lists: Vec::new(),
        policy: Arc::new(ConnectPolicy {
            allow: vec!["192.0.2.0/24".parse().unwrap()],
            connect_to: [
                "mx.dane.test",
                "mx.wrong.dane.test",
                "mx.unsigned.dane.test",
            ]
            .iter()
            .map(|host| {
                format!("{host}:25:{}:{}", fake.addr.ip(), fake.addr.port())
                    .parse()
                    .unwrap()
            })
            .collect(),
        }),
        ..dns_only_config()
    };
    config.probe.extra_trust_anchors = vec![ca.cert_der()];
    let good = audit_with(&dns, "dane.test", &[], None, &config).await;
    expect(
        &good,
        "dane.test",
        &[
            ("dane.tlsa", Pass),
            ("smtp.starttls", Pass),
            ("smtp.banner-ptr", Pass),
        ],
    );
    let wrong = audit_with(&dns, "wrong.dane.test", &[], None, &config).await;
    expect(&wrong, "wrong.dane.test", &[("dane.tlsa", Fail)]);

    // A server that does not mark the zone authenticated: the TLSA answer
    // comes with AD=0, so DANE senders would ignore the matching record.
    let dns_unsigned = TestDns::start(&[("dane.test", &zone), ("2.0.192.in-addr.arpa", ptr)])
        .await
        .unwrap();
    let unsigned = audit_with(&dns_unsigned, "unsigned.dane.test", &[], None, &config).await;
    expect(&unsigned, "unsigned.dane.test", &[("dane.tlsa", Warn)]);
}

#[tokio::test]
async fn smtp_ehlo_rejected_fails_and_banner_ptr_mismatch_warns() {
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&["mx1.good.audit.test"]).unwrap();
    // Greets as another name than the PTR (mx1.good.audit.test) and
    // refuses EHLO.
    let fake = FakeSmtp::start(Behaviour::EhloRejected, "relay.other.test", Some(&leaf))
        .await
        .unwrap();
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    let mut config = AuditConfig {
        smtp: true,
        policy: Arc::new(ConnectPolicy {
            allow: vec!["192.0.2.0/24".parse().unwrap()],
            connect_to: vec![
                format!(
                    "mx1.good.audit.test:25:{}:{}",
                    fake.addr.ip(),
                    fake.addr.port()
                )
                .parse()
                .unwrap(),
                mta_sts_refused(),
            ],
        }),
        ..dns_only_config()
    };
    config.probe.extra_trust_anchors = vec![ca.cert_der()];
    let report = audit_with(&dns, "good.audit.test", &[], None, &config).await;
    expect(
        &report,
        "good.audit.test",
        &[
            ("smtp.connect", Pass),
            ("smtp.ehlo", Fail),
            ("smtp.banner-ptr", Warn),
        ],
    );
}

/// Sends the MTA-STS policy fetch of good.audit.test (its A record is
/// 192.0.2.10, which the SMTP tests' allow-list opens) to a closed loopback
/// port, so that the fetch fails on loopback instead of leaving it.
fn mta_sts_refused() -> mxlens_backend::ssrf::ConnectTo {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    format!(
        "mta-sts.good.audit.test:443:{}:{}",
        closed.ip(),
        closed.port()
    )
    .parse()
    .unwrap()
}

/// A closed port: the TCP connection is refused. That is an `error` (the
/// probe could not talk to the server), never a pass.
#[tokio::test]
async fn smtp_connect_refused_is_not_a_pass() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    let config = AuditConfig {
        smtp: true,
        policy: Arc::new(ConnectPolicy {
            allow: vec!["192.0.2.0/24".parse().unwrap()],
            connect_to: vec![
                format!("mx1.good.audit.test:25:{}:{}", closed.ip(), closed.port())
                    .parse()
                    .unwrap(),
                mta_sts_refused(),
            ],
        }),
        ..dns_only_config()
    };
    let report = audit_with(&dns, "good.audit.test", &[], None, &config).await;
    expect(&report, "good.audit.test", &[("smtp.connect", Error)]);
}
