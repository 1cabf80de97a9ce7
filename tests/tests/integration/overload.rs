//! Overload: a flood of large pastes against a server with a tiny CPU
//! queue (`--cpu-queue 1`) is answered fast, each request either analysed
//! (200 with a report) or refused at once (503 `busy` with `Retry-After`),
//! cheap requests (`GET /healthz`) stay served while it runs, and
//! `/metrics` counts the refusals.

use std::time::{Duration, Instant};

use mxlens_tests::http::try_request;
use mxlens_tests::server::TestServer;
use serde_json::json;

/// Concurrent analyses fired at once.
const FLOOD: usize = 40;

/// A message of about 900 KiB: a plausible header block (two hops, DKIM,
/// authentication results) and a long plain-text body.
fn big_message() -> String {
    let mut message = String::from(
        "Received: from mail.shop.test (mail.shop.test [192.0.2.10])\r\n\
         \tby mx.example.test with ESMTPS id 4Xy; Tue, 1 Jul 2025 10:00:02 +0000\r\n\
         Received: from app.shop.test (app.shop.test [192.0.2.20])\r\n\
         \tby mail.shop.test with ESMTP id 9Ab; Tue, 1 Jul 2025 10:00:00 +0000\r\n\
         Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=shop.test;\r\n\
         \tdkim=pass header.d=shop.test; dmarc=pass header.from=shop.test\r\n\
         DKIM-Signature: v=1; a=rsa-sha256; d=shop.test; s=s1; h=from:to:subject;\r\n\
         \tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n\
         From: Shop <news@shop.test>\r\n\
         To: user@example.test\r\n\
         Subject: flood\r\n\
         Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n\
         Message-ID: <flood@shop.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    let line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while message.len() < 900 * 1024 {
        message.push_str(line);
    }
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_flood_is_refused_fast_with_busy_and_healthz_stays_up() {
    let server = TestServer::start(&["--cpu-queue", "1", "--rate-limit-per-minute", "0"])
        .await
        .unwrap();
    let body = json!({ "message": big_message() }).to_string();
    assert!(body.len() < 1024 * 1024, "{} bytes", body.len());
    let url = format!("{}/api/analyze", server.url);

    let started = Instant::now();
    let flood: Vec<_> = (0..FLOOD)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            tokio::spawn(async move {
                let sent = Instant::now();
                let reply = try_request("POST", &url, Some(&body), &[]).await;
                (reply, sent.elapsed())
            })
        })
        .collect();
    // While the flood runs, a health check is answered.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let health_sent = Instant::now();
    let health = try_request("GET", &format!("{}/healthz", server.url), None, &[])
        .await
        .expect("GET /healthz during the flood");
    let health_latency = health_sent.elapsed();
    assert_eq!(health.status, 200, "{}", health.body);

    let (mut ok, mut busy) = (0u64, 0u64);
    let (mut slowest_ok, mut slowest_busy) = (Duration::ZERO, Duration::ZERO);
    for job in flood {
        let (reply, took) = job.await.unwrap();
        let reply = reply.expect("every request is answered");
        match reply.status {
            200 => {
                let report = reply.json();
                assert_eq!(report["kind"], "message", "{}", reply.body);
                assert!(report["checks"].is_array(), "{}", reply.body);
                ok += 1;
                slowest_ok = slowest_ok.max(took);
            }
            503 => {
                assert_eq!(reply.json()["code"], "busy", "{}", reply.body);
                let retry: u64 = reply
                    .header("retry-after")
                    .expect("a busy answer carries Retry-After")
                    .parse()
                    .expect("Retry-After is delay-seconds (RFC 9110 §10.2.3)");
                assert!((1..=60).contains(&retry), "Retry-After: {retry}");
                busy += 1;
                slowest_busy = slowest_busy.max(took);
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    let total = started.elapsed();
    println!(
        "flood of {FLOOD} × {} KiB with --cpu-queue 1: {ok} × 200 (slowest {slowest_ok:?}), \
         {busy} × 503 busy (slowest {slowest_busy:?}); GET /healthz during it took \
         {health_latency:?}; whole flood {total:?}",
        body.len() / 1024
    );
    assert!(ok >= 1, "no analysis succeeded");
    assert!(busy >= 1, "nothing was refused: the queue is not bounded");
    assert!(
        health_latency < Duration::from_secs(10),
        "GET /healthz took {health_latency:?} during the flood"
    );
    // The refusals are counted, and the pool is idle again.
    let metrics = try_request("GET", &format!("{}/metrics", server.url), None, &[])
        .await
        .unwrap();
    let value = |name: &str| -> u64 {
        metrics
            .body
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {}", metrics.body))
    };
    assert_eq!(value("mxlens_cpu_busy_total"), busy);
    assert_eq!(value("mxlens_cpu_queue_limit"), 1);
    assert_eq!(value("mxlens_cpu_jobs_waiting"), 0);
    assert_eq!(value("mxlens_cpu_jobs_running"), 0);
}
