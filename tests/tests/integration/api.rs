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
