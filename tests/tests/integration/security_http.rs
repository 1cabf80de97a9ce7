//! #19 HTTP-layer findings of the security review of 2026-12-05, each from
//! the request in the review's evidence, against a running server.

use mxlens_tests::http::{http, request};
use mxlens_tests::server::TestServer;

/// M3: made-up methods (the review sent 2,000 of 1,000 random letters) add
/// no metric series: they count as `method="other"`.
#[tokio::test(flavor = "multi_thread")]
async fn made_up_methods_are_counted_as_other() {
    let server = TestServer::start(&[]).await.unwrap();
    let healthz = format!("{}/healthz", server.url);
    let metrics = format!("{}/metrics", server.url);
    let mut sizes = Vec::new();
    for i in 0..50 {
        let method = format!("XQZ{}{i}", "A".repeat(1_000));
        let reply = request(&method, &healthz, None, &[]).await;
        assert_eq!(reply.status, 405, "{}", reply.body);
        if i == 0 {
            // The first read of /metrics adds its own series.
            let _ = http("GET", &metrics, None).await;
        }
        if i == 0 || i == 49 {
            sizes.push(http("GET", &metrics, None).await.1.len());
        }
    }
    let (status, after) = http("GET", &metrics, None).await;
    assert_eq!(status, 200);
    assert!(!after.contains("XQZ"), "a made-up method became a label");
    assert!(
        after.contains(r#"route="/healthz",method="other",status="405"} 50"#),
        "{after}"
    );
    // 49 more made no new series: only counters grew (a few digits).
    assert!(sizes[1] < sizes[0] + 100, "{sizes:?}");
}

/// L4: a client's `x-request-id` is echoed only when it is 1–64 characters
/// of `[A-Za-z0-9._-]`; the review's forged one and a 60,000-byte one are
/// replaced by a fresh id.
#[tokio::test(flavor = "multi_thread")]
async fn unsafe_request_ids_are_replaced() {
    let server = TestServer::start(&[]).await.unwrap();
    let url = format!("{}/healthz", server.url);
    let long = "a".repeat(60_000);
    for bad in [
        "a\" b=c\tlevel=ERROR",
        long.as_str(),
        "x y",
        &"b".repeat(65),
    ] {
        let reply = request("GET", &url, None, &[("X-Request-Id", bad)]).await;
        let id = reply.header("x-request-id").expect("an id").to_string();
        assert_ne!(id, bad.trim());
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }
    let reply = request("GET", &url, None, &[("X-Request-Id", "proxy-42.a_B")]).await;
    assert_eq!(reply.header("x-request-id"), Some("proxy-42.a_B"));
}

/// L5: `--retention-days 4000000000` (which made every POST /api/reports
/// panic), 99999 and 3651 are refused when the server starts; 3650 is accepted.
#[tokio::test(flavor = "multi_thread")]
async fn retention_days_are_range_checked() {
    for bad in ["4000000000", "99999", "3651"] {
        let err = TestServer::start(&["--retention-days", bad])
            .await
            .expect_err(bad)
            .to_string();
        assert!(err.contains("retention-days"), "{bad}: {err}");
    }
    let server = TestServer::start(&["--retention-days", "3650"])
        .await
        .unwrap();
    let body = r#"{"message":"From: a@example.com\nSubject: hi\n\nbody\n"}"#;
    let (status, reply) = http("POST", &format!("{}/api/reports", server.url), Some(body)).await;
    assert_eq!(status, 201, "{reply}");
}

/// POST `body` to `path` as the client `ip` (forwarded by the trusted proxy
/// on loopback); returns (status, JSON `code`).
async fn post_as(server: &TestServer, path: &str, ip: &str, body: &str) -> (u16, String) {
    let reply = request(
        "POST",
        &format!("{}{path}", server.url),
        Some(body),
        &[("X-Forwarded-For", ip)],
    )
    .await;
    let code = reply.json()["code"].as_str().unwrap_or("").to_string();
    (reply.status, code)
}

/// M4: audits of a zone that never answers hold their slots; one client
/// gets `--audits-per-client` (3) of the 16, then 429 `too_many_audits`,
/// while another client still starts audits.
#[tokio::test(flavor = "multi_thread")]
async fn one_client_cannot_take_every_audit_slot() {
    let dns = mxlens_tests::dns::TestDns::start_fixtures(&["shop.test"])
        .await
        .unwrap();
    dns.set_fault("", mxlens_tests::dns::Fault::Silence);
    let ns = dns.addr.to_string();
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--trusted-proxy",
        "127.0.0.1/32",
        "--audit-deadline-secs",
        "20",
    ])
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for i in 0..16 {
        let body = format!(r#"{{"domain":"x{i}.slow.test"}}"#);
        statuses.push(post_as(&server, "/api/audits", "192.0.2.1", &body).await);
    }
    let started = statuses.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(started, 3, "{statuses:?}");
    assert!(
        statuses[3..]
            .iter()
            .all(|(s, c)| *s == 429 && c == "too_many_audits"),
        "{statuses:?}"
    );
    let other = post_as(
        &server,
        "/api/audits",
        "198.51.100.7",
        r#"{"domain":"y.slow.test"}"#,
    )
    .await;
    assert_eq!(other.0, 201, "{other:?}");
}

/// M5: 20 addresses of one IPv6 /64 (the review's `2001:db8:1::1`–`::14`)
/// share one rate-limit bucket; another /64 has its own.
#[tokio::test(flavor = "multi_thread")]
async fn ipv6_clients_share_a_bucket_per_64() {
    let server = TestServer::start(&[
        "--trusted-proxy",
        "127.0.0.1/32",
        "--rate-limit-per-minute",
        "5",
    ])
    .await
    .unwrap();
    let body = r#"{"message":"From: a@example.com\nSubject: hi\n\n"}"#;
    let mut ok = 0;
    for i in 1..=20 {
        let (status, code) =
            post_as(&server, "/api/analyze", &format!("2001:db8:1::{i:x}"), body).await;
        match status {
            200 => ok += 1,
            429 => assert_eq!(code, "rate_limited"),
            other => panic!("{other} {code}"),
        }
    }
    assert_eq!(ok, 5, "the /64 got more than its bucket");
    let (status, _) = post_as(&server, "/api/analyze", "2001:db8:2::1", body).await;
    assert_eq!(status, 200, "another /64 has its own bucket");
}

/// M2: slowloris. Connections that send `GET /healthz HTTP/1.1`, `Host: x`
/// and then one byte now and then are closed after the header-read timeout
/// (1 s here); past `--max-connections` (8 here) new connections wait
/// instead of failing, and a normal request is served once the slow ones
/// are cut.
#[tokio::test(flavor = "multi_thread")]
async fn slow_headers_are_cut_and_connections_capped() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = TestServer::start(&["--header-read-timeout-secs", "1", "--max-connections", "8"])
        .await
        .unwrap();
    let mut slow = Vec::new();
    for _ in 0..8 {
        let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    // A 9th client waits for a slot; it is served once the slow ones are
    // cut, well before they would have finished.
    let started = Instant::now();
    let reply = request("GET", &format!("{}/healthz", server.url), None, &[]).await;
    assert_eq!(reply.status, 200);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // It did wait: the 8 slow connections held every slot until cut.
    assert!(waited >= Duration::from_millis(800), "{waited:?}");
    // Each slow client trickles a byte; the server has closed it anyway.
    for s in &mut slow {
        let _ = s.write_all(b"X").await;
        let mut buf = [0u8; 512];
        let read = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("the server closed the slow connection");
        // EOF, a reset, or hyper's 408 before closing.
        if let Ok(n) = read {
            let text = String::from_utf8_lossy(&buf[..n]);
            assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
        }
    }
    // An idle keep-alive connection is closed by the same timer.
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf)).await;
    assert!(closed.is_ok(), "an idle connection stayed open");
}

/// Sends `head` (a raw request head, no body) and returns what the server
/// answers within 5 s.
async fn raw_head(server: &TestServer, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("an answer within 5 s (it took 45 s before the fix)")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// L2: a declared body over the limit is answered 413 at once, and with
/// `Expect: 100-continue` no `100 Continue` invites the upload.
#[tokio::test(flavor = "multi_thread")]
async fn declared_oversized_bodies_are_refused_at_once() {
    let server = TestServer::start(&[]).await.unwrap();
    for extra in ["", "Expect: 100-continue\r\n"] {
        for length in ["10000000000", "5000000"] {
            let head = format!(
                "POST /api/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Content-Length: {length}\r\n{extra}\r\n{{}}"
            );
            let reply = raw_head(&server, &head).await;
            assert!(
                reply.starts_with("HTTP/1.1 413"),
                "{length} {extra:?}: {reply}"
            );
            assert!(reply.contains(r#""code":"too_large""#), "{reply}");
        }
    }
}

/// L3, I3, I1, I2: a long static path is a 404 (it was a 500), dotfiles of
/// `dist/` are not served, 405 and `Query` rejections are JSON
/// `{code,message}`, and the `Bearer` scheme is case-insensitive.
#[tokio::test(flavor = "multi_thread")]
async fn odd_requests_get_json_errors() {
    let server = TestServer::start(&[]).await.unwrap();
    let long = format!("{}/{}", server.url, "a/".repeat(3_000));
    let segment = format!("{}/{}", server.url, "b".repeat(300));
    let dotfile = format!("{}/.mxlens-build-stamp", server.url);
    for url in [&long, &segment, &dotfile] {
        let reply = request("GET", url, None, &[]).await;
        assert_eq!(reply.status, 404, "{url}: {}", reply.body);
        assert_eq!(reply.json()["code"], "not_found", "{}", reply.body);
    }
    let reply = request("DELETE", &format!("{}/healthz", server.url), None, &[]).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.json()["code"], "method_not_allowed", "{}", reply.body);
    assert!(reply.header("allow").is_some());
    let reply = request(
        "GET",
        &format!("{}/api/reports/x?format=a&format=b", server.url),
        None,
        &[],
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.json()["code"], "bad_request", "{}", reply.body);

    let body = r#"{"message":"From: a@example.com\nSubject: hi\n\nbody\n"}"#;
    let created = request(
        "POST",
        &format!("{}/api/reports", server.url),
        Some(body),
        &[],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    let url = format!(
        "{}/api/reports/{}",
        server.url,
        created["id"].as_str().unwrap()
    );
    let auth = format!("BEARER {}", created["delete_token"].as_str().unwrap());
    let reply = request("DELETE", &url, None, &[("Authorization", &auth)]).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
}

/// The page's files, named by their content, are cached for a year; every
/// file whose name stays across versions (the page, the engine worker's
/// files, the Public Suffix List) is revalidated first (`no-cache`), so an
/// upgraded page never runs with an engine worker cached from before.
#[tokio::test(flavor = "multi_thread")]
async fn frontend_files_say_how_long_they_may_be_cached() {
    let server = TestServer::start(&[]).await.unwrap();
    let dist = mxlens_tests::repo_root().join("dist");
    let hashed: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("frontend-") && n.ends_with("_bg.wasm"))
        .collect();
    assert_eq!(hashed.len(), 1, "the page's wasm in dist/: {hashed:?}");
    let cases = [
        (
            format!("/{}", hashed[0]),
            "public, max-age=31536000, immutable",
        ),
        ("/".to_string(), "no-cache"),
        ("/engine-loader.js".to_string(), "no-cache"),
        ("/engine.js".to_string(), "no-cache"),
        ("/engine_bg.wasm".to_string(), "no-cache"),
        ("/public_suffix_list.dat".to_string(), "no-cache"),
        // The app's own paths are index.html.
        ("/r/0123".to_string(), "no-cache"),
    ];
    for (path, policy) in cases {
        let reply = request("GET", &format!("{}{path}", server.url), None, &[]).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("cache-control"), Some(policy), "{path}");
    }
    // An answer from the API is not a file: no policy is added to it.
    let reply = request("GET", &format!("{}/api/nope", server.url), None, &[]).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("cache-control"), None);
}
