//! Reputation lookups through the real surfaces (`POST /api/reputation`,
//! `POST /api/analyze`, `mxlens headers --reputation`) against blocklist
//! zones with the lists' real return-code conventions, served by the test
//! DNS server on loopback (`tests/fixtures/zones/dbl.spamhaus.org.zone`,
//! `multi.uribl.com.zone`, `zen.spamhaus.org.zone`, `list.dnswl.org.zone`):
//! a listed domain, a listed IP with each ZEN code, and refusal codes,
//! which are errors, never listings.

use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::TestDns;
use mxlens_tests::http::http;
use mxlens_tests::server::TestServer;
use serde_json::Value;

const ZONES: &[&str] = &[
    "dbl.spamhaus.org",
    "multi.uribl.com",
    "zen.spamhaus.org",
    "list.dnswl.org",
];

/// A newsletter from shop.example sent from 192.0.2.2 (on SBL), bounces to
/// spam.example (on DBL and URIBL black), linking to phish.example (on DBL
/// as phishing), a shortener and bulk.example (URIBL grey).
const MESSAGE: &str = "Return-Path: <bounce@spam.example>\r\n\
Received: from mail.shop.example (mail.shop.example [192.0.2.2]) by mx.example.net with ESMTPS id 1; Fri, 4 Dec 2026 10:00:00 +0000\r\n\
From: Shop <news@shop.example>\r\n\
To: a@example.net\r\n\
Subject: Sale\r\n\
Date: Fri, 4 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <1@shop.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Our sale starts now. <a href=\"https://phish.example/login\">Sign in</a>, \
<a href=\"https://bit.ly/3xYz\">see more</a>, <a href=\"https://bulk.example/t/1\">track</a>.</p>\r\n";

fn listing<'a>(section: &'a Value, name: &str, zone: &str) -> &'a Value {
    section["listings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name && l["zone"] == zone)
        .unwrap_or_else(|| panic!("no row for {name} on {zone}: {section}"))
}

fn check<'a>(report: &'a Value, id: &str, subject: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id && c["subject"] == subject)
        .unwrap_or_else(|| panic!("no {id} check for {subject}"))
}

/// Asserts what the message's report says, whichever surface made it.
fn assert_message_report(report: &Value) {
    let section = &report["reputation"];
    let phish = listing(section, "phish.example", "dbl.spamhaus.org");
    assert_eq!(phish["result"], "listed");
    assert_eq!(phish["meaning"], "phishing domain");
    assert_eq!(phish["roles"], serde_json::json!(["link"]));
    assert_eq!(phish["delist_url"], "https://check.spamhaus.org/");
    let bounce = listing(section, "spam.example", "dbl.spamhaus.org");
    assert_eq!(bounce["roles"], serde_json::json!(["return_path"]));
    assert_eq!(bounce["result"], "listed");
    // URIBL answers 127.0.0.1 for shop.example: refused, not listed.
    assert_eq!(
        listing(section, "shop.example", "multi.uribl.com")["result"],
        "error"
    );
    assert_eq!(
        listing(section, "bulk.example", "multi.uribl.com")["impact"],
        "low"
    );
    let ip = listing(section, "192.0.2.2", "zen.spamhaus.org");
    assert_eq!(ip["meaning"], "SBL: known spam source");
    assert_eq!(
        check(
            report,
            "dnsbl.domain-listed",
            "phish.example on dbl.spamhaus.org"
        )["status"],
        "fail"
    );
    assert_eq!(
        check(
            report,
            "dnsbl.domain-listed",
            "bulk.example on multi.uribl.com"
        )["status"],
        "warn"
    );
    assert_eq!(
        check(
            report,
            "dnsbl.domain-listed",
            "shop.example on multi.uribl.com"
        )["status"],
        "error"
    );
    assert_eq!(
        check(report, "dnsbl.listed", "192.0.2.2 on zen.spamhaus.org")["status"],
        "fail"
    );
    let item = report["checklists"]["bulk_sender"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "bulk.link-reputation")
        .unwrap();
    assert_eq!(item["status"], "fail", "{item}");
    assert!(item["detail"]
        .as_str()
        .unwrap()
        .contains("phish.example on Spamhaus DBL"));
    // The content findings are there too: the shortener link.
    let shortener = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "content.url-shortener")
        .unwrap();
    assert_ne!(shortener["status"], "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn reputation_api_decodes_each_code_and_refusals_are_errors() {
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--dnsbl",
        "zen.spamhaus.org",
        "--rate-limit-per-minute",
        "1000",
    ])
    .await
    .unwrap();
    let url = format!("{}/api/reputation", server.url);
    let ips = [
        ("192.0.2.2", "listed", "SBL: known spam source"),
        ("192.0.2.3", "listed", "SBL CSS: snowshoe spam"),
        ("192.0.2.4", "listed", "XBL: exploited or infected host"),
        ("192.0.2.9", "listed", "SBL DROP: hijacked netblock"),
        (
            "192.0.2.10",
            "listed",
            "PBL: end-user range that should not send mail directly",
        ),
        (
            "192.0.2.11",
            "listed",
            "PBL: end-user range that should not send mail directly",
        ),
        ("192.0.2.254", "error", ""),
        ("192.0.2.50", "not_listed", ""),
    ];
    for (ip, result, meaning) in ips {
        let body = serde_json::json!({
            "from": "shop.example",
            "return_path": "spam.example",
            "links": ["phish.example", "redirect.example", "bulk.example", "refused.example", "ipquery.example", "clean.example"],
            "sending_ip": ip,
        })
        .to_string();
        let (status, reply) = http("POST", &url, Some(&body)).await;
        assert_eq!(status, 200, "{reply}");
        let answer: Value = serde_json::from_str(&reply).unwrap();
        let section = &answer["reputation"];
        let row = listing(section, ip, "zen.spamhaus.org");
        assert_eq!(row["result"], result, "{ip}: {row}");
        if !meaning.is_empty() {
            assert_eq!(row["meaning"], meaning, "{ip}");
        }
        let expect = [
            ("phish.example", "dbl.spamhaus.org", "listed"),
            ("redirect.example", "dbl.spamhaus.org", "listed"),
            ("spam.example", "multi.uribl.com", "listed"),
            ("refused.example", "dbl.spamhaus.org", "error"),
            ("ipquery.example", "dbl.spamhaus.org", "error"),
            ("shop.example", "multi.uribl.com", "error"),
            ("clean.example", "dbl.spamhaus.org", "not_listed"),
            // multi.surbl.org is not served: NXDOMAIN, not listed.
            ("phish.example", "multi.surbl.org", "not_listed"),
        ];
        for (name, zone, result) in expect {
            assert_eq!(
                listing(section, name, zone)["result"],
                result,
                "{name} on {zone}"
            );
        }
        assert_eq!(
            listing(section, "redirect.example", "dbl.spamhaus.org")["meaning"],
            "abused legitimate domain (redirector or URL shortener)"
        );
        let allow = listing(section, ip, "list.dnswl.org");
        let allowed = if ip == "192.0.2.50" {
            "allowlisted"
        } else {
            "not_listed"
        };
        assert_eq!(allow["result"], allowed, "{ip}");
        assert!(answer["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "dnsbl.domain-listed" && c["status"] == "fail"));
    }
    // Hostile or malformed input: 400 with a code, nothing looked up.
    let many: Vec<String> = (0..10_000).map(|i| format!("l{i}.example")).collect();
    for (body, code) in [
        (serde_json::json!({"links": ["not a domain"]}), "bad_domain"),
        (
            serde_json::json!({"from": "a".repeat(100_000)}),
            "bad_domain",
        ),
        (serde_json::json!({"sending_ip": "999.1.1.1"}), "bad_ip"),
        (serde_json::json!({"links": many}), "too_many_names"),
        (
            serde_json::json!({"message": "From: a@b.example"}),
            "bad_json",
        ),
    ] {
        let (status, reply) = http("POST", &url, Some(&body.to_string())).await;
        assert_eq!(status, 400, "{reply}");
        assert!(reply.contains(code), "{code}: {reply}");
    }
    // Over the cap: 32 names looked up, the rest reported as skipped.
    let links: Vec<String> = (0..100).map(|i| format!("l{i}.example")).collect();
    let body = serde_json::json!({ "links": links }).to_string();
    let (status, reply) = http("POST", &url, Some(&body)).await;
    assert_eq!(status, 200, "{reply}");
    let answer: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(
        answer["reputation"]["skipped"].as_array().unwrap().len(),
        32
    );
    assert_eq!(
        answer["reputation"]["listings"].as_array().unwrap().len(),
        32 * 3,
        "32 names on the three default domain lists"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn analyze_api_and_headers_cli_fill_the_reputation_section() {
    let dns = TestDns::start_fixtures(ZONES).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns, "--dnsbl", "zen.spamhaus.org"])
        .await
        .unwrap();
    let body = serde_json::json!({ "message": MESSAGE }).to_string();
    let (status, reply) = http("POST", &format!("{}/api/analyze", server.url), Some(&body)).await;
    assert_eq!(status, 200, "{reply}");
    let report: Value = serde_json::from_str(&reply).unwrap();
    assert_message_report(&report);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("listed.eml");
    std::fs::write(&file, MESSAGE).unwrap();
    let out = mxlens(&[
        "headers",
        file.to_str().unwrap(),
        "--reputation",
        "--json",
        "--nameserver",
        &ns,
        "--dnsbl",
        "zen.spamhaus.org",
    ])
    .output()
    .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert_message_report(&cli);
    assert_eq!(out.status.code(), Some(1), "a listing is a fail");
    // Without --reputation the section is absent and the item waits.
    let out = mxlens(&["headers", file.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let plain: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(plain.get("reputation").is_none());
}
