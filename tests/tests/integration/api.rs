//! The HTTP API against a running server and the real test DNS server.

use mxlens_tests::dns::TestDns;
use mxlens_tests::http::http;
use mxlens_tests::server::TestServer;
use serde_json::Value;

#[tokio::test]
async fn healthz_and_errors_are_json() {
    let server = TestServer::start(&[]).await.unwrap();
    let (status, body) = http("GET", &format!("{}/healthz", server.url), None).await;
    assert_eq!((status, body.trim()), (200, "ok"));

    let (status, body) = http(
        "POST",
        &format!("{}/api/audits", server.url),
        Some(r#"{"domain":"not a domain"}"#),
    )
    .await;
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["code"], "bad_domain");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("not a valid domain"));

    let (status, _) = http("GET", &format!("{}/api/audits/0123", server.url), None).await;
    assert_eq!(status, 404);

    let (status, body) = http("POST", &format!("{}/api/analyze", server.url), Some(r#"{"message":"From: a@shop.test\r\nReceived: from x by y; Tue, 1 Jul 2025 10:00:00 +0000\r\n\r\n"}"#)).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["kind"], "message");
    assert_eq!(v["message"]["from"]["address"], "a@shop.test");
}

#[tokio::test]
async fn audit_streams_events_then_report_from_real_dns() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();

    let (status, body) = http(
        "POST",
        &format!("{}/api/audits", server.url),
        Some(r#"{"domain":" SHOP.test. "}"#),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 32, "128-bit hex id");

    let (status, events) = http(
        "GET",
        &format!("{}/api/audits/{id}/events", server.url),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(events.contains("event: check"), "{events}");
    let last = events
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .next_back()
        .expect("at least one event");
    let final_event: Value = serde_json::from_str(last).unwrap();
    assert_eq!(final_event["type"], "report");

    let (status, body) = http("GET", &format!("{}/api/audits/{id}", server.url), None).await;
    assert_eq!(status, 200);
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["kind"], "domain");
    assert_eq!(report["domain"]["name"], "shop.test");
    let hosts: Vec<&str> = report["domain"]["mx"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["mx1.shop.test", "mx2.shop.test"]);
    assert!(dns.query_count() > 0);
}

#[tokio::test]
async fn audit_of_unreachable_dns_is_error_not_fail() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    dns.set_fault("", mxlens_tests::dns::Fault::ServFail);
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns, "--dns-attempts", "1"])
        .await
        .unwrap();
    let (_, body) = http(
        "POST",
        &format!("{}/api/audits", server.url),
        Some(r#"{"domain":"shop.test"}"#),
    )
    .await;
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = http(
        "GET",
        &format!("{}/api/audits/{id}/events", server.url),
        None,
    )
    .await;
    let (_, body) = http("GET", &format!("{}/api/audits/{id}", server.url), None).await;
    let report: Value = serde_json::from_str(&body).unwrap();
    let statuses: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    // An unreachable DNS server is never a pass and never a fail.
    assert!(statuses.contains(&"error"), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| matches!(*s, "error" | "not_tested" | "not_applicable")),
        "{statuses:?}"
    );
}

/// Security review H1: selectors are checked and capped before an audit
/// starts (each one costs a DNS query). 17 selectors, a malformed one, or
/// a 10,000-entry list give a JSON 400 `bad_selector`, on `POST
/// /api/audits` and `POST /api/reports` alike, and `mxlens audit
/// --selector` exits 2; 16 well-formed ones start the audit.
#[tokio::test(flavor = "multi_thread")]
async fn selectors_are_validated_and_capped() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns, "--rate-limit-per-minute", "1000"])
        .await
        .unwrap();
    let seventeen: Vec<String> = (0..17).map(|i| format!("s{i}")).collect();
    let sixteen = &seventeen[..16];
    let flood: Vec<String> = (0..10_000).map(|i| format!("k{i}")).collect();
    let bad = ["s1".to_string(), "not a selector".to_string()];
    for path in ["/api/audits", "/api/reports"] {
        for (what, selectors) in [
            ("17", &seventeen[..]),
            ("malformed", &bad[..]),
            ("10,000", &flood[..]),
        ] {
            let body =
                serde_json::json!({ "domain": "shop.test", "selectors": selectors }).to_string();
            let (status, reply) = http("POST", &format!("{}{path}", server.url), Some(&body)).await;
            assert_eq!(status, 400, "{path} {what}: {reply}");
            let v: Value = serde_json::from_str(&reply).unwrap();
            assert_eq!(v["code"], "bad_selector", "{path} {what}: {reply}");
        }
    }
    let body = serde_json::json!({ "domain": "shop.test", "selectors": sixteen }).to_string();
    let (status, reply) = http("POST", &format!("{}/api/audits", server.url), Some(&body)).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(dns.queries_for("not a selector._domainkey.shop.test"), 0);

    let out = mxlens_tests::cli::mxlens(&[
        "audit",
        "shop.test",
        "--no-smtp",
        "--nameserver",
        &ns,
        "--selector",
        "a b",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a DKIM selector"));
    dns.stop().await;
}

/// Issue #17 G1: `POST /api/audits` guesses the common DKIM selectors only
/// without `selectors`, or with `guess_selectors`. bad.audit.test has keys
/// at `s1` (common) and `old` (not).
#[tokio::test]
async fn audit_guesses_common_selectors_only_without_selectors_or_when_asked() {
    let dns = TestDns::start_fixtures(&["audit.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    for (body, subjects) in [
        (r#"{"domain":"bad.audit.test"}"#, &["s1"][..]),
        (
            r#"{"domain":"bad.audit.test","selectors":["old"]}"#,
            &["old"][..],
        ),
        (
            r#"{"domain":"bad.audit.test","selectors":["old"],"guess_selectors":true}"#,
            &["old", "s1"][..],
        ),
    ] {
        let report = crate::security::audit(&server, body).await;
        let found = crate::cli_batch::dkim_subjects(&report);
        assert_eq!(found, subjects, "{body}");
    }
}
