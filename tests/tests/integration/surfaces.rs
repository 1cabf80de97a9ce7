//! The shipped surfaces give the library's answer (#19 §2): the in-process
//! suites can pass while the binary or the HTTP API does something else (an
//! argument parser that refuses input, a resolver adapter that rejects
//! names, a handler that drops a field). Each test here runs the same input
//! through a surface and through the library and compares the whole
//! report. The RFC 7208 suite through `mxlens spf` is `cli_spf_suite`;
//! `mxlens headers` against the message goldens is `cli_headers`.

use mxlens_backend::dkim::verify_into;
use mxlens_backend::resolver::{HickoryLookup, ResolverSettings};
use mxlens_shared::message::analyze_message;
use mxlens_shared::message::datetime::parse_rfc3339;
use mxlens_tests::audit::{audit_with, dns_only_config, mask_timings};
use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::TestDns;
use mxlens_tests::http::http;
use mxlens_tests::server::TestServer;
use serde_json::Value;

/// `POST /api/analyze` on every message of the corpus gives the report
/// `analyze_message` gives for the same text at the same time, with the
/// DKIM and ARC verification the API adds done in-process through the same
/// DNS server (its zones hold none of the corpus's keys: every key is
/// "not found", so every signature's verdict is the same on both sides).
/// The reputation lookups it adds are done in-process on the same lists
/// (the zones are not served: every name is NXDOMAIN, not listed).
/// The API takes JSON text, so a message that is not UTF-8 goes in as the
/// browser would send it (invalid bytes replaced), on both sides.
#[tokio::test(flavor = "multi_thread")]
async fn api_analyze_matches_the_library_on_the_message_corpus() {
    let dns = TestDns::start_fixtures(&["dkim.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    // The corpus is ~40 messages: above the default per-client limit.
    let server = TestServer::start(&["--rate-limit-per-minute", "10000", "--nameserver", &ns])
        .await
        .unwrap();
    let lookup = HickoryLookup::new(&ResolverSettings {
        nameservers: vec![dns.addr],
        ..ResolverSettings::default()
    })
    .unwrap();
    let dir = mxlens_tests::fixtures_dir().join("messages");
    let (mut compared, mut mismatches) = (0, Vec::new());
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let body = serde_json::json!({ "message": text }).to_string();
        let (status, reply) =
            http("POST", &format!("{}/api/analyze", server.url), Some(&body)).await;
        assert_eq!(status, 200, "{}: {reply}", path.display());
        let got: Value = serde_json::from_str(&reply).unwrap();
        let at = got["generated_at"]
            .as_str()
            .expect("generated_at")
            .to_owned();
        let mut report = analyze_message(text.as_bytes(), &at).unwrap();
        let now = parse_rfc3339(&at).unwrap();
        verify_into(&lookup, text.as_bytes(), &mut report, now).await;
        // The reputation lookups the API adds, on the default lists.
        let lists = mxlens_backend::audit::AuditConfig::default().reputation_lists();
        mxlens_backend::reputation::reputation_into(&lookup, &lists, &mut report).await;
        let expected = serde_json::to_value(report).unwrap();
        if got != expected {
            mismatches.push(format!(
                "{}:\n  api {got}\n  lib {expected}",
                path.display()
            ));
        }
        compared += 1;
    }
    println!(
        "surfaces: POST /api/analyze matches the library on {}/{compared} corpus messages",
        compared - mismatches.len()
    );
    assert!(compared >= 30, "only {compared} corpus messages found");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// `mxlens audit --json` against the test DNS server gives the report the
/// in-process audit gives, for a sample of the audit zone: a domain that
/// passes everything, one that fails everything, a null MX, SPF over the
/// lookup limit, void lookups, an include loop, a name that does not
/// exist, and an audit from a message (selector and sending IP).
#[tokio::test(flavor = "multi_thread")]
async fn audit_cli_matches_the_library_on_the_audit_zone() {
    let dns = TestDns::start_fixtures(&["audit.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let config = dns_only_config();
    let sample: &[(&str, &[&str], Option<&str>)] = &[
        ("good.audit.test", &[], None),
        ("good.audit.test", &["s1"], Some("192.0.2.10")),
        ("bad.audit.test", &["s1"], Some("192.0.2.20")),
        ("nullmx.audit.test", &[], None),
        ("toomany.audit.test", &[], None),
        ("voids.audit.test", &[], None),
        ("loop.audit.test", &[], None),
        ("nothing.audit.test", &[], None),
    ];
    let mut mismatches = Vec::new();
    for (domain, selectors, ip) in sample {
        let mut args = vec![
            "audit",
            domain,
            "--json",
            "--no-smtp",
            "--nameserver",
            &ns,
            "--dns-timeout-ms",
            "2000",
            "--dns-attempts",
            "1",
            "--audit-deadline-secs",
            "20",
            "--dnsbl",
            "bl.audit.test",
        ];
        for s in *selectors {
            args.extend(["--selector", s]);
        }
        if let Some(ip) = ip {
            args.extend(["--sending-ip", ip]);
        }
        let out = mxlens(&args).output().unwrap();
        let mut got: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{domain}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let report = audit_with(&dns, domain, selectors, *ip, &config).await;
        let mut expected = serde_json::to_value(&report).unwrap();
        for v in [&mut got, &mut expected] {
            v["generated_at"] = Value::Null;
            mask_timings(v);
        }
        // Exit code 1 exactly when a check failed, as documented.
        let failed = report
            .checks
            .iter()
            .any(|c| c.status == mxlens_shared::report::Status::Fail);
        if got != expected || out.status.code() != Some(i32::from(failed)) {
            mismatches.push(format!(
                "{domain} {selectors:?} {ip:?} (exit {:?}):\n  cli {got}\n  lib {expected}",
                out.status.code()
            ));
        }
    }
    println!(
        "surfaces: mxlens audit --json matches the library on {}/{} audits",
        sample.len() - mismatches.len(),
        sample.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
