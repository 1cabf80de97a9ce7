//! Stored share links, retention, limits, security headers and the OpenAPI
//! document, against a running server (and `oneshot` where a raw socket
//! would race), plus a kill -9 durability test of the real binary.
//!
//! Every test that touches the report store runs twice, on SQLite and on a
//! private PostgreSQL cluster (`<test>::sqlite`, `<test>::postgres`), and a
//! few PostgreSQL-only ones check that several instances share one database.

use std::time::{Duration, Instant};

use mxlens_tests::dns::TestDns;
use mxlens_tests::http::{request, try_request, Reply};
use mxlens_tests::postgres::TestPostgres;
use mxlens_tests::server::{StoreKind, TestServer};
use serde_json::{json, Value};

/// `on_both_stores!(name)` turns `async fn name(store: StoreKind)` into the
/// tests `name::sqlite` and `name::postgres`.
macro_rules! on_both_stores {
    ($name:ident) => {
        mod $name {
            use mxlens_tests::server::StoreKind;

            #[tokio::test]
            async fn sqlite() {
                super::$name(StoreKind::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                super::$name(StoreKind::Postgres).await
            }
        }
    };
}

const MESSAGE: &str = "Received: from mail.shop.test (mail.shop.test [192.0.2.99])\r\n\
    \tby mx.receiver.test with ESMTPS id abc; Tue, 1 Jul 2025 10:00:05 +0000\r\n\
    DKIM-Signature: v=1; a=rsa-sha256; d=shop.test; s=sel1; h=from:subject:date; bh=x; b=y\r\n\
    From: Jane Buyer <jane.buyer@shop.test>\r\n\
    To: bob@receiver.test\r\n\
    Subject: Your order\r\n\
    Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n\
    Message-ID: <1@shop.test>\r\n\r\n";

async fn create(server: &TestServer, body: &Value) -> (String, String) {
    let reply = request(
        "POST",
        &format!("{}/api/reports", server.url),
        Some(&body.to_string()),
        &[],
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let v = reply.json();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32, "128-bit hex id");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(v["url"], format!("/r/{id}"));
    (id, v["delete_token"].as_str().unwrap().to_string())
}

async fn fetch(server: &TestServer, id: &str) -> Reply {
    request(
        "GET",
        &format!("{}/api/reports/{id}", server.url),
        None,
        &[],
    )
    .await
}

on_both_stores!(message_report_is_recomputed_stored_and_served_verbatim);
async fn message_report_is_recomputed_stored_and_served_verbatim(store: StoreKind) {
    let server = TestServer::start_with(store, &[]).await.unwrap();
    let (id, _) = create(&server, &json!({ "message": MESSAGE })).await;
    let first = fetch(&server, &id).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let second = fetch(&server, &id).await;
    assert_eq!(first.body, second.body, "immutable");
    let stored = first.json();
    assert_eq!(stored["kind"], "message");
    assert_eq!(stored["tool"]["name"], "mxlens");
    assert!(stored["generated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(stored["message"]["from"]["address"], "jane.buyer@shop.test");

    // Same as the direct analysis, apart from the time stamp.
    let direct = request(
        "POST",
        &format!("{}/api/analyze", server.url),
        Some(&json!({ "message": MESSAGE }).to_string()),
        &[],
    )
    .await
    .json();
    let strip = |mut v: Value| {
        v["generated_at"] = Value::Null;
        v
    };
    assert_eq!(strip(stored), strip(direct));

    // Unknown ids are JSON 404s.
    let missing = fetch(&server, "0123456789abcdef0123456789abcdef").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["code"], "not_found");
}

/// `GET /api/reports/{id}.md` and `?format=markdown` serve the stored report
/// as Markdown, with hostile header content escaped in its tables.
#[tokio::test]
async fn stored_report_exports_as_markdown() {
    let server = TestServer::start(&[]).await.unwrap();
    let hostile = MESSAGE.replace(
        "Subject: Your order",
        "Subject: <script>alert(1)</script> | `tick` [x](javascript:alert(1))",
    );
    let (id, _) = create(&server, &json!({ "message": hostile, "redact": true })).await;
    let by_suffix = request(
        "GET",
        &format!("{}/api/reports/{id}.md", server.url),
        None,
        &[],
    )
    .await;
    assert_eq!(by_suffix.status, 200, "{}", by_suffix.body);
    assert_eq!(
        by_suffix.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    let by_query = request(
        "GET",
        &format!("{}/api/reports/{id}?format=markdown", server.url),
        None,
        &[],
    )
    .await;
    assert_eq!(by_query.status, 200);
    assert_eq!(by_query.body, by_suffix.body, "both spellings, same text");
    let md = by_suffix.body;
    assert!(
        md.starts_with("# mxlens message report: from redacted@shop.test"),
        "{md}"
    );
    assert!(md.contains("## Checks"), "{md}");
    assert!(!md.contains("<script>"), "raw HTML in the Markdown:\n{md}");
    assert!(
        md.contains("| Subject | &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| \\`tick\\` \\[x\\]\\(javascript:alert\\(1\\)\\) |"),
        "escaped subject row missing:\n{md}"
    );
    assert!(
        !md.contains("jane.buyer"),
        "redaction applies to the export"
    );
    assert!(md.contains("Made by mxlens "), "{md}");

    let bad = request(
        "GET",
        &format!("{}/api/reports/{id}?format=pdf", server.url),
        None,
        &[],
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["code"], "bad_format");
    let missing = request(
        "GET",
        &format!(
            "{}/api/reports/0123456789abcdef0123456789abcdef.md",
            server.url
        ),
        None,
        &[],
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["code"], "not_found");
}

on_both_stores!(a_client_cannot_inject_a_report);
async fn a_client_cannot_inject_a_report(store: StoreKind) {
    let server = TestServer::start_with(store, &[]).await.unwrap();
    let forged = json!({
        "schema_version": 1, "kind": "message", "score": 100, "grade": "A",
        "checks": [], "generated_at": "2026-01-01T00:00:00Z",
        "tool": {"name": "mxlens", "version": "0.1.0"}
    });
    for body in [
        forged.clone(),
        json!({ "message": MESSAGE, "report": forged }),
        json!({ "message": MESSAGE, "score": 100 }),
        json!({}),
    ] {
        let reply = request(
            "POST",
            &format!("{}/api/reports", server.url),
            Some(&body.to_string()),
            &[],
        )
        .await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert!(reply.json()["code"].as_str().unwrap().starts_with("bad_"));
    }
}

on_both_stores!(redaction_happens_before_storing);
async fn redaction_happens_before_storing(store: StoreKind) {
    let server = TestServer::start_with(store, &[]).await.unwrap();
    let (id, _) = create(
        &server,
        &json!({ "message": MESSAGE, "redact": true, "redact_network": true }),
    )
    .await;
    let body = fetch(&server, &id).await.body;
    for secret in [
        "jane.buyer",
        "192.0.2.99",
        "mail.shop.test",
        "mx.receiver.test",
    ] {
        assert!(!body.contains(secret), "{secret} stored: {body}");
    }
    assert!(body.contains("redacted@shop.test"), "{body}");
}

on_both_stores!(domain_and_combined_reports_from_real_dns);
async fn domain_and_combined_reports_from_real_dns(store: StoreKind) {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start_with(store, &["--nameserver", &ns])
        .await
        .unwrap();

    let (id, _) = create(&server, &json!({ "domain": "SHOP.test" })).await;
    let report = fetch(&server, &id).await.json();
    assert_eq!(report["kind"], "domain");
    assert_eq!(report["domain"]["name"], "shop.test");
    assert!(report.get("message").is_none());
    assert_eq!(report["domain"]["mx"].as_array().unwrap().len(), 2);

    let (id, _) = create(
        &server,
        &json!({ "message": MESSAGE, "domain": "shop.test" }),
    )
    .await;
    let report = fetch(&server, &id).await.json();
    assert_eq!(report["kind"], "combined");
    assert_eq!(report["message"]["from"]["domain"], "shop.test");
    assert_eq!(report["message"]["sending_ip"], "192.0.2.99");
    assert_eq!(report["domain"]["name"], "shop.test");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"msg.from"), "{ids:?}");
    assert!(ids.contains(&"mx.present"), "{ids:?}");
    let score = report["score"].as_u64().unwrap();
    assert!(score <= 100);

    let bad = request(
        "POST",
        &format!("{}/api/reports", server.url),
        Some(r#"{"domain":"shop.test","sending_ip":"not-an-ip"}"#),
        &[],
    )
    .await;
    assert_eq!(
        (bad.status, bad.json()["code"].clone()),
        (400, json!("bad_sending_ip"))
    );
}

on_both_stores!(delete_needs_the_right_token);
async fn delete_needs_the_right_token(store: StoreKind) {
    let server = TestServer::start_with(store, &[]).await.unwrap();
    let (id, token) = create(&server, &json!({ "message": MESSAGE })).await;
    let url = format!("{}/api/reports/{id}", server.url);

    let none = request("DELETE", &url, None, &[]).await;
    assert_eq!(
        (none.status, none.json()["code"].clone()),
        (401, json!("unauthorized"))
    );
    let wrong = request("DELETE", &url, None, &[("Authorization", "Bearer 00ff")]).await;
    assert_eq!(
        (wrong.status, wrong.json()["code"].clone()),
        (403, json!("forbidden"))
    );
    assert_eq!(fetch(&server, &id).await.status, 200, "still there");

    let bearer = format!("Bearer {token}");
    let right = request("DELETE", &url, None, &[("Authorization", &bearer)]).await;
    assert_eq!(right.status, 204, "{}", right.body);
    assert_eq!(fetch(&server, &id).await.status, 404);
    let again = request("DELETE", &url, None, &[("Authorization", &bearer)]).await;
    assert_eq!(again.status, 404);
}

on_both_stores!(expired_reports_are_gone);
async fn expired_reports_are_gone(store: StoreKind) {
    let server = TestServer::start_with(store, &["--retention-days", "0"])
        .await
        .unwrap();
    let (id, token) = create(&server, &json!({ "message": MESSAGE })).await;
    let reply = fetch(&server, &id).await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    let bearer = format!("Bearer {token}");
    let del = request(
        "DELETE",
        &format!("{}/api/reports/{id}", server.url),
        None,
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(del.status, 404);
}

#[tokio::test]
async fn oversize_input_is_a_json_413() {
    let server = TestServer::start(&[]).await.unwrap();
    // Under the body limit, over the 1 MiB input limit.
    let big = format!("Subject: x\r\n\r\n{}", "a".repeat(1024 * 1024 + 10));
    for path in ["/api/reports", "/api/analyze"] {
        let reply = request(
            "POST",
            &format!("{}{path}", server.url),
            Some(&json!({ "message": big }).to_string()),
            &[],
        )
        .await;
        assert_eq!(reply.status, 413, "{path}: {}", reply.body);
        assert_eq!(reply.json()["code"], "too_large");
    }

    // Over the body limit itself, through `oneshot` (a raw socket races the
    // server closing before it reads the rest).
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    let cli = <mxlens_backend::cli::Cli as clap::Parser>::try_parse_from([
        "mxlens",
        "serve",
        "--database-url",
        &db,
    ])
    .unwrap();
    let mxlens_backend::cli::Command::Serve(args) = cli.command else {
        unreachable!()
    };
    let app = mxlens_backend::app(mxlens_backend::cli::build_state(&args).await.unwrap());
    let huge = vec![b'a'; 3 * 1024 * 1024];
    for path in ["/api/reports", "/api/audits", "/api/analyze"] {
        let response = app
            .clone()
            .oneshot(
                axum::http::Request::post(path)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(huge.clone()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["code"], "too_large", "{path}");
    }
}

#[tokio::test]
async fn posts_are_rate_limited_per_client() {
    let server = TestServer::start(&["--rate-limit-per-minute", "2"])
        .await
        .unwrap();
    let url = format!("{}/api/analyze", server.url);
    let body = json!({ "message": MESSAGE }).to_string();
    for _ in 0..2 {
        assert_eq!(request("POST", &url, Some(&body), &[]).await.status, 200);
    }
    let limited = request("POST", &url, Some(&body), &[]).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.json()["code"], "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    // GETs are not limited.
    assert_eq!(
        request("GET", &format!("{}/healthz", server.url), None, &[])
            .await
            .status,
        200
    );
}

/// Behind a `--trusted-proxy` the limit is per forwarded client (the
/// right-most address the proxy appended); a client-written entry further
/// left changes nothing. From an untrusted peer, `X-Forwarded-For` is
/// ignored, so rotating it cannot dodge the limit.
#[tokio::test]
async fn rate_limit_follows_x_forwarded_for_only_from_trusted_proxies() {
    let body = json!({ "message": MESSAGE }).to_string();
    let post = |url: String, xff: &'static str| {
        let body = body.clone();
        async move {
            request("POST", &url, Some(&body), &[("X-Forwarded-For", xff)])
                .await
                .status
        }
    };
    let proxied = TestServer::start(&[
        "--rate-limit-per-minute",
        "2",
        "--trusted-proxy",
        "127.0.0.0/8",
    ])
    .await
    .unwrap();
    let url = format!("{}/api/analyze", proxied.url);
    assert_eq!(post(url.clone(), "192.0.2.1").await, 200);
    assert_eq!(post(url.clone(), "192.0.2.99, 192.0.2.1").await, 200);
    assert_eq!(
        post(url.clone(), "192.0.2.98, 192.0.2.1").await,
        429,
        "a spoofed left-hand entry must not open a new bucket"
    );
    assert_eq!(
        post(url.clone(), "192.0.2.2").await,
        200,
        "another client behind the same proxy has its own bucket"
    );

    let direct = TestServer::start(&["--rate-limit-per-minute", "2"])
        .await
        .unwrap();
    let url = format!("{}/api/analyze", direct.url);
    assert_eq!(post(url.clone(), "192.0.2.1").await, 200);
    assert_eq!(post(url.clone(), "192.0.2.2").await, 200);
    assert_eq!(
        post(url.clone(), "192.0.2.3").await,
        429,
        "X-Forwarded-For from an untrusted peer is ignored"
    );
}

on_both_stores!(security_headers_on_the_app_and_share_pages);
async fn security_headers_on_the_app_and_share_pages(store: StoreKind) {
    let server = TestServer::start_with(store, &[]).await.unwrap();
    let (id, _) = create(&server, &json!({ "message": MESSAGE })).await;
    for path in [
        "/".to_string(),
        format!("/r/{id}"),
        format!("/api/reports/{id}"),
    ] {
        let reply = request("GET", &format!("{}{path}", server.url), None, &[]).await;
        let csp = reply.header("content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {part} not in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            reply.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn openapi_lists_every_route_and_every_route_exists() {
    let server = TestServer::start(&[]).await.unwrap();
    let reply = request(
        "GET",
        &format!("{}/api/openapi.json", server.url),
        None,
        &[],
    )
    .await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in mxlens_backend::openapi::ROUTES {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        // And the router really serves it (not the API's catch-all 404).
        let concrete = path.replace("{id}", "0123456789abcdef0123456789abcdef");
        let reply = request(
            &method.to_ascii_uppercase(),
            &format!("{}{concrete}", server.url),
            Some("{}"),
            &[],
        )
        .await;
        assert!(
            !reply.body.contains("no such API endpoint") && reply.status != 405,
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
    }
}

/// A fresh, empty store URL of either kind, and what keeps it alive.
struct FreshDatabase {
    url: String,
    _dir: tempfile::TempDir,
    _postgres: Option<TestPostgres>,
}

async fn fresh_database(store: StoreKind) -> FreshDatabase {
    let dir = tempfile::tempdir().unwrap();
    match store {
        StoreKind::Sqlite => FreshDatabase {
            url: format!("sqlite://{}/fresh.db", dir.path().display()),
            _dir: dir,
            _postgres: None,
        },
        StoreKind::Postgres => {
            let postgres = TestPostgres::start().await.unwrap();
            FreshDatabase {
                url: postgres.create_database("fresh").await.unwrap(),
                _dir: dir,
                _postgres: Some(postgres),
            }
        }
    }
}

on_both_stores!(several_handles_migrate_and_sweep_at_once);
/// Four instances opening one empty database at once apply each migration
/// exactly once; three retention sweeps at once delete every expired row
/// exactly once between them and leave the live ones.
async fn several_handles_migrate_and_sweep_at_once(store: StoreKind) {
    use mxlens_backend::store::Store;
    let db = fresh_database(store).await;
    let stores: Vec<Store> = futures::future::join_all((0..4).map(|_| Store::open(&db.url)))
        .await
        .into_iter()
        .map(|s| s.unwrap())
        .collect();
    for s in &stores {
        assert_eq!(s.schema_versions().await.unwrap(), [1, 2, 3, 4, 5]);
    }
    let expired = 1234;
    futures::future::join_all((0..expired).map(|n| {
        let s = &stores[n % 4];
        async move {
            s.put_report(
                &format!("old{n}"),
                "message",
                "{}",
                "h",
                "2026-01-01T00:00:00Z",
                "2026-01-31T00:00:00Z",
            )
            .await
            .unwrap()
        }
    }))
    .await;
    for n in 0..5 {
        stores[0]
            .put_report(
                &format!("live{n}"),
                "message",
                "{}",
                "h",
                "2026-01-01T00:00:00Z",
                "2026-03-01T00:00:00Z",
            )
            .await
            .unwrap();
    }
    let now = "2026-02-01T00:00:00Z";
    let deleted: u64 = futures::future::join_all(stores[..3].iter().map(|s| s.delete_expired(now)))
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .sum();
    assert_eq!(deleted, expired as u64);
    assert_eq!(stores[3].delete_expired(now).await.unwrap(), 0);
    for n in 0..5 {
        assert!(stores[3]
            .get_live_report(&format!("live{n}"), now)
            .await
            .unwrap()
            .is_some());
    }
    assert!(stores[3].get_report("old7").await.unwrap().is_none());
}

on_both_stores!(the_database_refuses_to_change_a_report);
/// Immutability is the database's too: an `UPDATE` behind mxlens's back
/// is refused by a trigger.
async fn the_database_refuses_to_change_a_report(store: StoreKind) {
    let db = fresh_database(store).await;
    let handle = mxlens_backend::store::Store::open(&db.url).await.unwrap();
    handle
        .put_report(
            "r1",
            "message",
            r#"{"score":10}"#,
            "h",
            "2026-01-01T00:00:00Z",
            "2126-01-01T00:00:00Z",
        )
        .await
        .unwrap();
    let forge = r#"UPDATE reports SET report = '{"score":100}' WHERE id = 'r1'"#;
    let refused = match store {
        StoreKind::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(forge).execute(&pool).await.unwrap_err()
        }
        StoreKind::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(forge).execute(&pool).await.unwrap_err()
        }
    };
    assert!(refused.to_string().contains("immutable"), "{refused}");
    let stored = handle.get_report("r1").await.unwrap().unwrap();
    assert_eq!(stored.report_json, r#"{"score":10}"#);
}

/// Two instances behind one PostgreSQL: a link made on one opens on the
/// other, and the delete token works on either.
#[tokio::test]
async fn instances_share_one_postgres() {
    let postgres = TestPostgres::start().await.unwrap();
    let url = postgres.create_database("shared").await.unwrap();
    let (a, b) = tokio::join!(
        TestServer::start_on(Some(&url), &[]),
        TestServer::start_on(Some(&url), &[])
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let (id, token) = create(&a, &json!({ "message": MESSAGE })).await;
    let on_a = fetch(&a, &id).await;
    let on_b = fetch(&b, &id).await;
    assert_eq!((on_a.status, on_b.status), (200, 200), "{}", on_b.body);
    assert_eq!(on_a.body, on_b.body);
    let on_b_url = format!("{}/api/reports/{id}", b.url);
    let wrong = request(
        "DELETE",
        &on_b_url,
        None,
        &[("Authorization", "Bearer 00ff")],
    )
    .await;
    assert_eq!(wrong.status, 403);
    let bearer = format!("Bearer {token}");
    let right = request("DELETE", &on_b_url, None, &[("Authorization", &bearer)]).await;
    assert_eq!(right.status, 204, "{}", right.body);
    assert_eq!(fetch(&a, &id).await.status, 404);
}

/// A server pointed at a PostgreSQL that is not there does not start, and
/// says why without echoing the password.
#[tokio::test]
async fn an_unreachable_postgres_is_a_startup_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://mx:s3cret@127.0.0.1:{port}/mxlens");
    let err = TestServer::start_on(Some(&url), &[]).await.unwrap_err();
    let text = format!("{err:#}");
    assert!(!text.contains("s3cret"), "{text}");
}

/// The `mxlens` binary, built on demand (a test cannot name another
/// package's binary with `CARGO_BIN_EXE_*`).
fn mxlens_binary() -> std::path::PathBuf {
    let root = mxlens_tests::repo_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "-p", "mxlens-backend", "--bin", "mxlens"])
        .current_dir(&root)
        .status()
        .expect("cargo build");
    assert!(status.success());
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    target.join("debug").join("mxlens")
}

/// `mxlens serve` as a child process on `db`, asking only the loopback DNS
/// server at `dns`.
async fn start_child(
    bin: &std::path::Path,
    db: &str,
    dns: &str,
) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            db,
            "--dist",
            "/nonexistent",
            "--rate-limit-per-minute",
            "0",
            "--nameserver",
            dns,
        ])
        .env("MXLENS_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn mxlens");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("mxlens started in time")
        .unwrap()
        .expect("a startup line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address in the startup line")
        .trim_end_matches('/')
        .to_string();
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stored_reports_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/durable.db", dir.path().display());
    survive_kill_9_cycles(&db, 20).await;
}

/// The same on PostgreSQL: only mxlens is killed; what it acknowledged must
/// have been committed by the database before the answer went out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stored_reports_survive_kill_9_on_postgres() {
    let postgres = TestPostgres::start().await.unwrap();
    survive_kill_9_cycles(&postgres.url(), 20).await;
}

/// Kills the real binary with SIGKILL `cycles` times while 8 clients write
/// reports, restarting it on the same store each time, and checks that
/// every report whose id was returned is intact.
async fn survive_kill_9_cycles(db: &str, cycles: u64) {
    let bin = mxlens_binary();
    // No zones: every name is NXDOMAIN, answered on loopback.
    let test_dns = TestDns::start(&[]).await.unwrap();
    let dns = test_dns.addr.to_string();
    // Every id the server returned, with the subject it must carry.
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    let mut verified = 0;
    let started = Instant::now();
    for cycle in 0..cycles {
        let (mut child, url) = start_child(&bin, db, &dns).await;
        // What the previous cycle acknowledged is intact (all of it is
        // checked again at the end).
        for (id, subject) in &acknowledged[verified..] {
            let reply = request("GET", &format!("{url}/api/reports/{id}"), None, &[]).await;
            assert_eq!(reply.status, 200, "cycle {cycle}: {id} lost");
            assert_eq!(reply.json()["message"]["subject"], subject.as_str());
        }
        verified = acknowledged.len();
        // Concurrent writers, killed mid-way.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let url = url.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    for n in 0.. {
                        let subject = format!("c{cycle}-w{w}-n{n}");
                        let body = json!({
                            "message": format!("From: a@shop.test\r\nSubject: {subject}\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\n\r\n")
                        })
                        .to_string();
                        match try_request("POST", &format!("{url}/api/reports"), Some(&body), &[]).await {
                            Ok(reply) if reply.status == 201 => {
                                let id = reply.json()["id"].as_str().unwrap().to_string();
                                let _ = tx.send((id, subject));
                            }
                            Ok(reply) => panic!("unexpected {}: {}", reply.status, reply.body),
                            Err(_) => break, // the server died under us
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        // Kill once writes are flowing (a loaded machine can take longer
        // than the sleep below to answer the first one), mid-way through
        // more of them.
        let first = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("cycle {cycle}: no write acknowledged within 60 s"))
            .expect("a writer acknowledged a report");
        acknowledged.push(first);
        tokio::time::sleep(Duration::from_millis(150 + 20 * (cycle % 5))).await;
        child.start_kill().unwrap(); // SIGKILL
        let _ = child.wait().await;
        for w in writers {
            w.await.unwrap();
        }
        while let Some(pair) = rx.recv().await {
            acknowledged.push(pair);
        }
    }
    // Final check after the last kill.
    let (_child, url) = start_child(&bin, db, &dns).await;
    for (id, subject) in &acknowledged {
        let reply = request("GET", &format!("{url}/api/reports/{id}"), None, &[]).await;
        assert_eq!(reply.status, 200, "{id} lost");
        assert_eq!(reply.json()["message"]["subject"], subject.as_str());
    }
    eprintln!(
        "durability ({}): {} reports over {cycles} kill -9 cycles in {:.1} s",
        db.split(':').next().unwrap_or_default(),
        acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn csp_allows_trunks_inline_loader_by_hash_only() {
    use tower::ServiceExt;
    // Trunk 0.21 writes one inline module script into dist/index.html.
    let loader = "\nimport init, * as bindings from '/frontend-0.js';\nconst wasm = await init({ module_or_path: '/frontend-0_bg.wasm' });\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        format!(
            "<!doctype html><head><script type=\"module\">{loader}</script></head><body></body>"
        ),
    )
    .unwrap();
    let db = format!("sqlite://{}/m.db", dir.path().display());
    let dist = dir.path().display().to_string();
    let cli = <mxlens_backend::cli::Cli as clap::Parser>::try_parse_from([
        "mxlens",
        "serve",
        "--database-url",
        &db,
        "--dist",
        &dist,
    ])
    .unwrap();
    let mxlens_backend::cli::Command::Serve(args) = cli.command else {
        unreachable!()
    };
    let app = mxlens_backend::app(mxlens_backend::cli::build_state(&args).await.unwrap());
    let want = mxlens_backend::security::inline_script_hashes(&format!(
        "<script type=\"module\">{loader}</script>"
    ));
    assert_eq!(want.len(), 1);
    for path in ["/", "/r/0123456789abcdef0123456789abcdef"] {
        let response = app
            .clone()
            .oneshot(
                axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' '{}'",
                want[0]
            )),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
}

#[tokio::test]
async fn concurrent_audits_are_capped() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    dns.set_fault(
        "",
        mxlens_tests::dns::Fault::Delay(Duration::from_millis(1500)),
    );
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns, "--max-concurrent-audits", "1"])
        .await
        .unwrap();
    let url = format!("{}/api/audits", server.url);
    let first = request("POST", &url, Some(r#"{"domain":"shop.test"}"#), &[]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = request("POST", &url, Some(r#"{"domain":"shop.test"}"#), &[]).await;
    assert_eq!(second.status, 503, "{}", second.body);
    assert_eq!(second.json()["code"], "busy");
    let stored = request(
        "POST",
        &format!("{}/api/reports", server.url),
        Some(r#"{"domain":"shop.test"}"#),
        &[],
    )
    .await;
    assert_eq!(stored.status, 503, "{}", stored.body);
    // Once the first audit is done, the slot is free again.
    let id = first.json()["id"].as_str().unwrap().to_string();
    let _ = request("GET", &format!("{url}/{id}/events"), None, &[]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    dns.clear_faults();
    let third = request("POST", &url, Some(r#"{"domain":"shop.test"}"#), &[]).await;
    assert_eq!(third.status, 201, "{}", third.body);
}

/// A newsletter sent through an ESP: the envelope sender (Return-Path) is
/// the ESP's bounce domain. The stored combined report evaluates SPF for
/// that sender, taken from the message, and shows the From domain's result
/// as information, not the false `fail` it used to give (issue #19).
#[tokio::test]
async fn combined_report_evaluates_spf_for_the_message_envelope_sender() {
    let brand = "$ORIGIN brand.test.\n$TTL 300\n\
        @ IN SOA ns1.brand.test. hostmaster.brand.test. ( 1 3600 600 86400 300 )\n\
        @ IN NS ns1.brand.test.\n\
        ns1 IN A 192.0.2.53\n\
        @ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n";
    let esp = "$ORIGIN esp.test.\n$TTL 300\n\
        @ IN SOA ns1.esp.test. hostmaster.esp.test. ( 1 3600 600 86400 300 )\n\
        @ IN NS ns1.esp.test.\n\
        ns1 IN A 192.0.2.53\n\
        bounces IN TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n";
    let dns = TestDns::start(&[("brand.test", brand), ("esp.test", esp)])
        .await
        .unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let message = "Return-Path: <b-42@bounces.esp.test>\r\n\
        Received: from out7.esp.test (out7.esp.test [203.0.113.9])\r\n\
        \tby mx.receiver.test with ESMTPS id abc; Tue, 1 Jul 2025 10:00:05 +0000\r\n\
        From: Brand News <news@brand.test>\r\n\
        To: bob@receiver.test\r\n\
        Subject: This week\r\n\
        Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n\
        Message-ID: <2@brand.test>\r\n\r\n";
    let (id, _) = create(
        &server,
        &json!({ "message": message, "domain": "brand.test" }),
    )
    .await;
    let report = fetch(&server, &id).await.json();
    assert_eq!(report["message"]["envelope_from"], "b-42@bounces.esp.test");
    assert_eq!(report["message"]["envelope_helo"], "out7.esp.test");
    assert_eq!(report["message"]["sending_ip"], "203.0.113.9");
    let spf: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "spf.sender-ip")
        .collect();
    let by_subject = |s: &str| {
        spf.iter()
            .find(|c| c["subject"] == s)
            .unwrap_or_else(|| panic!("no spf.sender-ip for {s}: {spf:#?}"))
    };
    let envelope = by_subject("203.0.113.9 (envelope sender bounces.esp.test)");
    assert_eq!(envelope["status"], "pass", "{envelope:#}");
    let from = by_subject("203.0.113.9 (From domain brand.test)");
    assert_eq!(from["status"], "info", "{from:#}");
    assert!(
        from["detail"].as_str().unwrap().contains("SPF fail"),
        "{from:#}"
    );
}
