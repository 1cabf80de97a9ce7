//! End to end over zone data: the calls the backend's audit planner makes
//! for the non-SPF records, and the check ids they return.

use mxlens_shared::dane::tlsa;
use mxlens_shared::dkim::{audit_dkim_selector, SelectorOrigin};
use mxlens_shared::dmarc::{audit_dmarc, DmarcAuditOptions, DomainExistence, Policy};
use mxlens_shared::dns::{block_on_ready, DnsOutcome, QueryType, TlsaRecord, ZoneData, ZoneRecord};
use mxlens_shared::mta_sts::{lint_mta_sts, lookup_sts_record, PolicyFetch};
use mxlens_shared::report::{catalog, Check, Status};
use mxlens_shared::{bimi, tls_rpt};

fn zone() -> ZoneData {
    let mut z = ZoneData::new();
    z.add(
        "_dmarc.example.com",
        ZoneRecord::Txt(
            "v=DMARC1; p=reject; rua=mailto:d@example.com,mailto:agg@reports.example.net".into(),
        ),
    );
    z.add(
        "example.com._report._dmarc.reports.example.net",
        ZoneRecord::Txt("v=DMARC1".into()),
    );
    z.add(
        "s1._domainkey.example.com",
        ZoneRecord::Txt(
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".into(),
        ),
    );
    z.add(
        "_mta-sts.example.com",
        ZoneRecord::Txt("v=STSv1; id=20250101".into()),
    );
    z.add(
        "_smtp._tls.example.com",
        ZoneRecord::Txt("v=TLSRPTv1; rua=mailto:tls@example.com".into()),
    );
    z.add(
        "default._bimi.example.com",
        ZoneRecord::Txt(
            "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem".into(),
        ),
    );
    z.add(
        "_25._tcp.mx.example.com",
        ZoneRecord::Tlsa(TlsaRecord {
            usage: 3,
            selector: 1,
            matching: 1,
            data: vec![1; 32],
        }),
    );
    z.add_timeout("_dmarc.broken.example", Some(QueryType::Txt));
    z
}

fn assert_catalogued(checks: &[Check]) {
    for check in checks {
        assert!(
            catalog::lookup(&check.id).is_some(),
            "{} is not in the catalogue",
            check.id
        );
        assert!(!check.detail.is_empty(), "{check:?}");
    }
}

#[test]
fn a_well_configured_domain() {
    let z = zone();
    let mut checks = Vec::new();

    let dmarc = block_on_ready(audit_dmarc(&z, "example.com", DmarcAuditOptions::default()));
    checks.extend(dmarc.checks.clone());
    let summary = dmarc.summary.clone().expect("summary");
    assert_eq!(summary.facts().policy, Some(Policy::Reject));

    let (_, dkim) = block_on_ready(audit_dkim_selector(
        &z,
        "s1",
        "example.com",
        SelectorOrigin::Given,
    ));
    checks.extend(dkim);

    let sts = block_on_ready(lookup_sts_record(&z, "example.com"));
    let fetch = PolicyFetch::Body(
        "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n".into(),
    );
    checks.extend(lint_mta_sts(
        "example.com",
        &sts,
        &fetch,
        &["mx.example.com".to_string()],
    ));

    checks.push(block_on_ready(tls_rpt::audit_tls_rpt(&z, "example.com")).1);

    let (policy, percent) = dmarc.policy_and_percent();
    let bimi_found = block_on_ready(bimi::lookup_bimi(&z, "default", "example.com"));
    checks.push(bimi::lint_bimi("example.com", &bimi_found));
    checks.push(bimi::lint_bimi_dmarc(&bimi_found, policy, percent));

    // Usable TLSA records, but no certificate seen (no TLS handshake here):
    // that is not tested, never a pass (the match against a presented
    // certificate is tested in tests/tests/integration/checks.rs).
    let tlsa_found = block_on_ready(tlsa::lookup_tlsa(&z, "mx.example.com"));
    let (tlsa_check, _) = tlsa::lint_tlsa("mx.example.com", &tlsa_found, None, Some(true));
    assert_eq!(tlsa_check.status, Status::NotTested, "{tlsa_check:#?}");

    assert_catalogued(&checks);
    let not_passing: Vec<_> = checks.iter().filter(|c| c.status != Status::Pass).collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let ids: Vec<&str> = checks.iter().map(|c| c.id.as_ref()).collect();
    for id in [
        "dmarc.present",
        "dmarc.single-record",
        "dmarc.syntax",
        "dmarc.policy",
        "dmarc.subdomain-policy",
        "dmarc.rua",
        "dmarc.external-report-auth",
        "dkim.key",
        "dkim.key-length",
        "dkim.testing",
        "dkim.revoked",
        "mta-sts.record",
        "mta-sts.policy",
        "mta-sts.mx-coverage",
        "tls-rpt.record",
        "bimi.record",
        "bimi.dmarc-enforcement",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn dns_failures_are_errors_never_pass_or_fail() {
    let z = zone();
    let dmarc = block_on_ready(audit_dmarc(
        &z,
        "broken.example",
        DmarcAuditOptions {
            existence: DomainExistence::Exists,
            tree_walk: false,
        },
    ));
    assert_catalogued(&dmarc.checks);
    for check in &dmarc.checks {
        assert!(
            matches!(check.status, Status::Error | Status::NotTested),
            "{check:?}"
        );
    }
    let (check, facts) = tlsa::lint_tlsa(
        "mx.example.com",
        &DnsOutcome::ServerFailure("SERVFAIL".into()),
        None,
        None,
    );
    assert_eq!(check.status, Status::Error);
    assert_eq!(
        facts.result,
        mxlens_shared::report::LookupOutcome::DnsFailure
    );
}

#[test]
fn a_bare_domain_gets_fixes() {
    let z = ZoneData::new();
    let dmarc = block_on_ready(audit_dmarc(
        &z,
        "bare.example",
        DmarcAuditOptions::default(),
    ));
    let present = dmarc
        .checks
        .iter()
        .find(|c| c.id == "dmarc.present")
        .unwrap();
    assert_eq!(present.status, Status::Fail);
    assert_eq!(
        present.suggestion.as_deref(),
        Some("v=DMARC1; p=none; rua=mailto:dmarc-reports@bare.example")
    );
    assert_catalogued(&dmarc.checks);
    let (_, dkim) = block_on_ready(audit_dkim_selector(
        &z,
        "google",
        "bare.example",
        SelectorOrigin::Guessed,
    ));
    assert_eq!(dkim[0].status, Status::Info);
    assert_catalogued(&dkim);
}

/// The backend runs these on a multi-threaded runtime: the futures must be `Send`.
#[test]
fn audit_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let z = zone();
    assert_send(&audit_dmarc(
        &z,
        "example.com",
        DmarcAuditOptions::default(),
    ));
    assert_send(&audit_dkim_selector(
        &z,
        "s1",
        "example.com",
        SelectorOrigin::Given,
    ));
    assert_send(&lookup_sts_record(&z, "example.com"));
    assert_send(&tls_rpt::audit_tls_rpt(&z, "example.com"));
    assert_send(&bimi::lookup_bimi(&z, "default", "example.com"));
    assert_send(&tlsa::lookup_tlsa(&z, "mx.example.com"));
}
