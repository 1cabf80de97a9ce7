//! `mxlens spf` (the spfquery replacement) against a real DNS server on
//! loopback: include, redirect, macros, explanations, void-lookup and
//! lookup limits, temperror — each checked against RFC 7208.

use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::{Fault, TestDns};
use serde_json::Value;

fn spf(dns: &TestDns, ip: &str, mail_from: &str) -> (i32, Value) {
    let ns = dns.addr.to_string();
    let out = mxlens(&[
        "spf",
        "--ip",
        ip,
        "--mail-from",
        mail_from,
        "--nameserver",
        &ns,
        "--dns-timeout-ms",
        "1500",
        "--json",
    ])
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

#[tokio::test(flavor = "multi_thread")]
async fn spf_cli_cases() {
    let dns = TestDns::start_fixtures(&["spf.test"]).await.unwrap();
    dns.set_fault("broken.spf.test", Fault::ServFail);
    let dns = &dns;
    let cases: &[(&str, &str, &str, i32)] = &[
        ("198.51.100.7", "a@inc.spf.test", "pass", 0),
        ("203.0.113.1", "a@inc.spf.test", "fail", 1),
        ("198.51.100.7", "a@redir.spf.test", "pass", 0),
        ("192.0.2.25", "a@macro.spf.test", "pass", 0),
        ("192.0.2.26", "a@macro.spf.test", "fail", 1),
        ("192.0.2.1", "a@voids.spf.test", "permerror", 1),
        ("203.0.113.1", "a@limit.spf.test", "permerror", 1),
        ("203.0.113.1", "a@soft.spf.test", "softfail", 0),
        ("203.0.113.1", "a@missing.spf.test", "none", 0),
        ("203.0.113.1", "a@flaky.spf.test", "temperror", 0),
    ];
    for (ip, from, want, code) in cases {
        let (status, json) = tokio::task::block_in_place(|| spf(dns, ip, from));
        assert_eq!(json["result"], *want, "{ip} {from}: {json:#}");
        assert_eq!(status, *code, "{ip} {from}: exit code");
        assert!(json["trace"].is_array(), "{json}");
    }

    let (_, json) = tokio::task::block_in_place(|| spf(dns, "192.0.2.1", "a@voids.spf.test"));
    assert_eq!(json["void_lookup_count"], 3, "{json:#}");
    let (_, json) = tokio::task::block_in_place(|| spf(dns, "203.0.113.1", "a@limit.spf.test"));
    assert_eq!(json["lookup_count"].as_u64().unwrap(), 11, "{json:#}");
    let (_, json) = tokio::task::block_in_place(|| spf(dns, "198.51.100.7", "a@inc.spf.test"));
    assert_eq!(
        json["lookup_count"], 1,
        "an include costs one lookup: {json:#}"
    );

    // exp= with macros (RFC 7208 §6.2, §7.3).
    let (_, json) = tokio::task::block_in_place(|| spf(dns, "192.0.2.77", "a@explain.spf.test"));
    assert_eq!(json["result"], "fail");
    assert_eq!(
        json["explanation"], "192.0.2.77 is not one of explain.spf.test's designated mail servers",
        "{json:#}"
    );
}

#[test]
fn spf_cli_usage_errors_exit_2() {
    let out = mxlens(&["spf", "--ip", "not-an-ip", "--mail-from", "a@b.test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).trim().is_empty());
    let out = mxlens(&["spf", "--ip", "192.0.2.1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--mail-from is required");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mail-from"));
}

/// RFC 7208 §4.3: a malformed <domain> is data for check_host(), whose
/// result is "none"; it is not a usage error (the CLI used to exit 2).
#[tokio::test(flavor = "multi_thread")]
async fn spf_cli_malformed_domains_give_none() {
    let dns = TestDns::start_fixtures(&["spf.test"]).await.unwrap();
    let long_label = format!("a@{}.spf.test", "x".repeat(64));
    for from in [
        "a@not a domain",
        "a@empty..spf.test",
        long_label.as_str(),
        "a@[192.0.2.1]",
        "a@nodots",
    ] {
        let (code, json) = tokio::task::block_in_place(|| spf(&dns, "192.0.2.1", from));
        assert_eq!(json["result"], "none", "{from}: {json:#}");
        assert_eq!(code, 0, "{from}: exit code");
    }
}
