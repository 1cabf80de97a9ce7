//! #19 H2 (security review of 2026-12-05): stored reports are bounded in
//! size, per client per day and in total, and large reads are rate-limited.
//! Built from the review's request: a message of many `DKIM-Signature`
//! lines, whose report is several times the size of the input.

use std::time::{Duration, Instant};

use mxlens_tests::dns::TestDns;
use mxlens_tests::http::{http, request};
use mxlens_tests::server::TestServer;
use serde_json::Value;

/// A message with `n` DKIM-Signature fields for `shop.test` (selector
/// `k<i>`), JSON-encoded as a `POST /api/reports` body.
fn signatures_body(n: usize) -> String {
    let mut m = String::from("From: a@shop.test\r\nSubject: sigs\r\n");
    for i in 0..n {
        m.push_str(&format!(
            "DKIM-Signature: v=1; a=rsa-sha256; d=shop.test; s=k{i}; c=relaxed/relaxed; h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
        ));
    }
    m.push_str("\r\nhi\r\n");
    serde_json::json!({ "message": m }).to_string()
}

async fn post(server: &TestServer, body: &str) -> (u16, Value) {
    let (status, reply) = http("POST", &format!("{}/api/reports", server.url), Some(body)).await;
    (status, serde_json::from_str(&reply).unwrap_or(Value::Null))
}

/// A report over the stored-size cap (default 512 KiB) is refused with 413
/// `report_too_large` and a message saying why; nothing is stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_report_over_the_size_cap_is_refused() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let started = Instant::now();
    let (status, reply) = post(&server, &signatures_body(2_000)).await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["code"], "report_too_large", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains("512 KiB"),
        "{reply}"
    );
    assert!(started.elapsed() < Duration::from_secs(40));
    // A normal message still gets its link.
    let (status, reply) = post(&server, &signatures_body(2)).await;
    assert_eq!(status, 201, "{reply}");
}

/// The per-client daily quota answers 429 `quota_exceeded` with a
/// Retry-After of hours; the store quota answers 507 `store_full`; reads of
/// a large report spend the client's rate tokens.
#[tokio::test(flavor = "multi_thread")]
async fn store_quotas_and_large_reads_are_limited() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();

    let server = TestServer::start(&["--nameserver", &ns, "--reports-per-client-per-day", "2"])
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(post(&server, &signatures_body(1)).await.0, 201);
    }
    let url = format!("{}/api/reports", server.url);
    let reply = request("POST", &url, Some(&signatures_body(1)), &[]).await;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.json()["code"], "quota_exceeded", "{}", reply.body);
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 11 * 3600, "{retry}");

    // 1 MiB of store; each report is about 0.6 MB.
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--store-quota-mib",
        "1",
        "--max-report-kib",
        "1024",
        "--rate-limit-per-minute",
        "4",
    ])
    .await
    .unwrap();
    let body = signatures_body(800);
    let (status, created) = post(&server, &body).await;
    assert_eq!(status, 201, "{created}");
    let (status, reply) = post(&server, &body).await;
    assert_eq!(status, 507, "{reply}");
    assert_eq!(reply["code"], "store_full", "{reply}");
    // Two POSTs spent 2 of the 4 tokens; each read of the large report
    // spends one more.
    let report_url = format!(
        "{}/api/reports/{}",
        server.url,
        created["id"].as_str().unwrap()
    );
    for _ in 0..2 {
        let (status, reply) = http("GET", &report_url, None).await;
        assert_eq!(status, 200);
        assert!(reply.len() > 64 * 1024, "{}", reply.len());
    }
    let reply = request("GET", &format!("{report_url}.md"), None, &[]).await;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.json()["code"], "rate_limited");
}

/// The store quota reads the store's size on PostgreSQL too
/// (`octet_length`; SQLite's query is covered above).
#[tokio::test(flavor = "multi_thread")]
async fn store_quota_on_postgres() {
    use mxlens_tests::server::StoreKind;
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start_with(
        StoreKind::Postgres,
        &[
            "--nameserver",
            &ns,
            "--store-quota-mib",
            "1",
            "--max-report-kib",
            "1024",
        ],
    )
    .await
    .unwrap();
    let body = signatures_body(800);
    let (status, created) = post(&server, &body).await;
    assert_eq!(status, 201, "{created}");
    let (status, reply) = post(&server, &body).await;
    assert_eq!(status, 507, "{reply}");
    assert_eq!(reply["code"], "store_full", "{reply}");
}
