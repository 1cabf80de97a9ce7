//! Observability: `/metrics` scraped and parsed after real traffic, the
//! `x-request-id` on every response, and the request id on the JSON log
//! lines of the real binary.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::TestDns;
use mxlens_tests::http::{request, Reply};
use mxlens_tests::server::TestServer;

/// One request to the server at `addr`: (status, the reply, its body).
async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Reply, String) {
    let reply = request(method, &format!("http://{addr}{path}"), Some(body), headers).await;
    (reply.status, reply.clone(), reply.body)
}

/// Parses the text exposition format: series (name plus sorted labels, as
/// written) → value. Checks every line is a comment or `series value`.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let mut series = BTreeMap::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (name, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad metrics line {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        assert!(
            name.starts_with("mxlens_"),
            "series without the mxlens_ prefix: {line:?}"
        );
        series.insert(name.to_string(), value);
    }
    series
}

#[tokio::test]
async fn metrics_are_scraped_and_parsed() {
    let dns = TestDns::start_fixtures(&["audit.test", "2.0.192.in-addr.arpa"])
        .await
        .unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--dnsbl",
        "bl.audit.test",
        "--rate-limit-per-minute",
        "5",
        "--audit-deadline-secs",
        "10",
        "--dns-timeout-ms",
        "1500",
    ])
    .await
    .unwrap();
    let addr = server.addr.to_string();
    let message = serde_json::json!({"message": "From: a@good.audit.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nbody"}).to_string();
    for _ in 0..3 {
        let (status, _, _) = http(&addr, "POST", "/api/analyze", &[], &message).await;
        assert_eq!(status, 200);
    }
    let (status, _, _) = http(&addr, "GET", "/api/nothing/here", &[], "").await;
    assert_eq!(status, 404);
    let (status, _, _) = http(&addr, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200);
    // One audit (the fourth POST), waited for.
    let (status, _, body) = http(
        &addr,
        "POST",
        "/api/audits",
        &[],
        r#"{"domain": "good.audit.test"}"#,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    loop {
        let (status, _, _) = http(&addr, "GET", &format!("/api/audits/{id}"), &[], "").await;
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "audit never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A stored report and its fetch: the fifth POST.
    let (status, _, body) = http(
        &addr,
        "POST",
        "/api/reports",
        &[],
        &serde_json::json!({"message": "From: a@b.test\r\nSubject: x\r\n\r\nx"}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    {
        let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _, _) = http(&addr, "GET", &format!("/api/reports/{id}"), &[], "").await;
        assert_eq!(status, 200);
    }
    // The sixth POST is over the limit of 5 per minute.
    let (status, _, _) = http(&addr, "POST", "/api/analyze", &[], &message).await;
    assert_eq!(status, 429);

    let (status, head, text) = http(&addr, "GET", "/metrics", &[], "").await;
    assert_eq!(status, 200);
    assert!(
        head.header("content-type")
            .is_some_and(|v| v.starts_with("text/plain; version=0.0.4")),
        "{head:?}"
    );
    let m = parse_metrics(&text);
    let get = |series: &str| -> f64 {
        *m.get(series)
            .unwrap_or_else(|| panic!("no series {series} in\n{text}"))
    };
    assert_eq!(
        get(r#"mxlens_http_requests_total{route="/api/analyze",method="POST",status="200"}"#),
        3.0
    );
    assert_eq!(
        get(r#"mxlens_http_requests_total{route="/api/analyze",method="POST",status="429"}"#),
        1.0
    );
    assert_eq!(
        get(r#"mxlens_http_requests_total{route="/api/other",method="GET",status="404"}"#),
        1.0
    );
    assert_eq!(
        get(r#"mxlens_http_requests_total{route="/healthz",method="GET",status="200"}"#),
        1.0
    );
    assert_eq!(
        get(r#"mxlens_http_requests_total{route="/api/audits",method="POST",status="201"}"#),
        1.0
    );
    assert_eq!(get("mxlens_rate_limited_total"), 1.0);
    assert_eq!(
        get(r#"mxlens_http_request_duration_seconds_count{route="/api/analyze"}"#),
        4.0
    );
    assert_eq!(
        get(r#"mxlens_http_request_duration_seconds_bucket{route="/api/analyze",le="+Inf"}"#),
        4.0
    );
    assert_eq!(get("mxlens_audit_duration_seconds_count"), 1.0);
    assert!(get("mxlens_audit_duration_seconds_sum") > 0.0);
    assert_eq!(
        get(r#"mxlens_store_operation_duration_seconds_count{operation="ping",result="ok"}"#),
        1.0
    );
    {
        assert_eq!(
            get(
                r#"mxlens_store_operation_duration_seconds_count{operation="put_report",result="ok"}"#
            ),
            1.0
        );
        assert_eq!(
            get(
                r#"mxlens_store_operation_duration_seconds_count{operation="get_report",result="ok"}"#
            ),
            1.0
        );
    }
    // Process-wide: this audit alone made DNS queries with answers, and
    // its MX (a documentation address) was refused by the guard.
    assert!(get(r#"mxlens_dns_queries_total{outcome="records"}"#) >= 5.0);
    assert!(get(r#"mxlens_smtp_probes_total{outcome="refused_by_guard"}"#) >= 1.0);
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let server = TestServer::start(&[]).await.unwrap();
    let addr = server.addr.to_string();
    let (_, head, _) = http(&addr, "GET", "/healthz", &[], "").await;
    let generated = head
        .header("x-request-id")
        .expect("a generated x-request-id");
    assert_eq!(generated.len(), 32, "{generated}");
    let (_, head2, _) = http(&addr, "GET", "/healthz", &[], "").await;
    assert_ne!(head2.header("x-request-id"), Some(generated));
    let (status, head, _) = http(
        &addr,
        "GET",
        "/api/nothing",
        &[("x-request-id", "client-chose-this")],
        "",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(head.header("x-request-id"), Some("client-chose-this"));
}

/// `mxlens serve --log-format json`: every request's log line is JSON and
/// carries the request id.
#[tokio::test]
async fn json_logs_carry_the_request_id() {
    let data = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", data.path().display());
    let mut child = mxlens(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--log-format",
        "json",
        "--nameserver",
        "127.0.0.1:9",
    ])
    .env("MXLENS_LOG", "info")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("mxlens is running: open http://")
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let (status, head, _) = http(
        &addr,
        "GET",
        "/healthz",
        &[("x-request-id", "trace-me-1234")],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(head.header("x-request-id"), Some("trace-me-1234"));
    let (_, head, _) = http(&addr, "GET", "/api/nothing", &[], "").await;
    let generated = head.header("x-request-id").unwrap().to_string();
    // Let the log lines out, then stop the server we started (by its id).
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    let _ = child.wait();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let mut seen = Vec::new();
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
        if let Some(id) = v["span"]["request_id"].as_str() {
            seen.push((id.to_string(), v["fields"]["status"].clone()));
        }
    }
    assert!(
        seen.iter()
            .any(|(id, status)| id == "trace-me-1234" && status == 200),
        "{logs}"
    );
    assert!(
        seen.iter()
            .any(|(id, status)| *id == generated && status == 404),
        "{logs}"
    );
}
