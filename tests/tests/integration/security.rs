//! Regression tests for the security review of 2026-12-05
//! (`../shared/design/security-review.md`), each built from the request in
//! the review's evidence, against a running server and real peers.

use std::time::Duration;

use mxlens_tests::dns::{Fault, TestDns};
use mxlens_tests::http::http;
use mxlens_tests::server::TestServer;
use serde_json::Value;

/// Starts an audit with `body`, waits for its event stream to end and
/// returns the report.
async fn audit(server: &TestServer, body: &str) -> Value {
    let (status, reply) = http("POST", &format!("{}/api/audits", server.url), Some(body)).await;
    assert_eq!(status, 201, "{reply}");
    let id = serde_json::from_str::<Value>(&reply).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = http(
        "GET",
        &format!("{}/api/audits/{id}/events", server.url),
        None,
    )
    .await;
    let (status, reply) = http("GET", &format!("{}/api/audits/{id}", server.url), None).await;
    assert_eq!(status, 200, "{reply}");
    serde_json::from_str(&reply).unwrap()
}

/// H1: an audit past its DNS-query budget asks nothing more; every check
/// that needed an unasked answer says `error` or `not_tested`, with why,
/// never `pass`.
#[tokio::test(flavor = "multi_thread")]
async fn audit_dns_budget_is_spent_then_checks_say_error() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns, "--audit-dns-budget", "2"])
        .await
        .unwrap();
    let before = dns.query_count();
    let report = audit(&server, r#"{"domain":"shop.test","selectors":["s1","s2"]}"#).await;
    let sent = dns.query_count() - before;
    // Two audit queries, plus at most one root SOA query by which the
    // resolver learns whether it validates (the resolver's, not the audit's).
    assert!(sent <= 3, "{sent} queries reached the DNS server");
    let checks = report["checks"].as_array().unwrap();
    let spent: Vec<&Value> = checks
        .iter()
        .filter(|c| {
            c.to_string()
                .contains("this audit used its budget of 2 DNS queries")
        })
        .collect();
    assert!(!spent.is_empty(), "{report:#}");
    for c in &spent {
        assert!(
            matches!(c["status"].as_str(), Some("error" | "not_tested")),
            "{c}"
        );
    }
    // The SPF record was never asked for: an error, not a pass or a fail.
    let spf = checks.iter().find(|c| c["id"] == "spf.present").unwrap();
    assert_eq!(spf["status"], "error", "{spf}");
    dns.stop().await;
}

/// H1: one audit holds at most its share of the DNS concurrency, so it
/// cannot take every global permit from the others.
#[tokio::test(flavor = "multi_thread")]
async fn audit_holds_at_most_its_dns_share() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    dns.set_fault("shop.test", Fault::Delay(Duration::from_millis(50)));
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns, "--audit-dns-share", "2"])
        .await
        .unwrap();
    let selectors: Vec<String> = (0..16).map(|i| format!("k{i}")).collect();
    let body = serde_json::json!({"domain": "shop.test", "selectors": selectors}).to_string();
    let report = audit(&server, &body).await;
    assert_eq!(report["kind"], "domain");
    // The share, plus the resolver's own root SOA question.
    assert!(dns.max_concurrent() <= 3, "{}", dns.max_concurrent());
    assert!(dns.queries_for("k15._domainkey.shop.test") >= 1);
    dns.stop().await;
}
