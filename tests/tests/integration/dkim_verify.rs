//! DKIM verification through the real surfaces: the `mxlens headers
//! --verify` binary and `POST /api/analyze`, with the keys of the signed
//! corpus (`tests/fixtures/dkim/`, made by dkimpy) served by the real test
//! DNS server; and `GET /api/dkim-key`, the browser's key lookup.

use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::{Fault, TestDns};
use mxlens_tests::http::http;
use mxlens_tests::server::TestServer;
use serde_json::Value;

fn corpus() -> (std::path::PathBuf, serde_json::Map<String, Value>) {
    let dir = mxlens_tests::fixtures_dir().join("dkim");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    (dir, expected.as_object().unwrap().clone())
}

/// Asserts a report's per-signature fields and checks against a case.
fn assert_case(name: &str, report: &Value, case: &Value) {
    let want = case["signatures"].as_array().unwrap();
    let sigs = report["message"]["dkim_signatures"].as_array().unwrap();
    let checks: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "dkim.verify")
        .collect();
    assert_eq!(sigs.len(), want.len(), "{name}");
    assert_eq!(
        checks.len(),
        want.len(),
        "{name}: one dkim.verify per signature"
    );
    for ((sig, check), w) in sigs.iter().zip(&checks).zip(want) {
        assert_eq!(sig["verified"], w["verified"], "{name}: {sig}");
        assert_eq!(sig["failure"], w["failure"], "{name}: {sig}");
        if let Some(change) = w.get("body_change") {
            assert_eq!(&sig["body_change"], change, "{name}: {sig}");
        }
        let status = match w["verified"].as_bool() {
            Some(true) => "pass",
            Some(false) => "fail",
            None => "not_tested",
        };
        assert_eq!(check["status"], status, "{name}: {check}");
        assert_eq!(
            check["subject"],
            format!(
                "d={} s={}",
                sig["domain"].as_str().unwrap(),
                sig["selector"].as_str().unwrap()
            ),
            "{name}"
        );
    }
    if let Some(words) = case.get("explains").and_then(Value::as_str) {
        assert!(
            checks
                .iter()
                .any(|c| c["detail"].as_str().unwrap().contains(words)),
            "{name}: no dkim.verify detail says {words:?}: {checks:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_verify_cli_gives_each_corpus_verdict() {
    let dns = TestDns::start_fixtures(&["dkim.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let (dir, cases) = corpus();
    for (name, case) in &cases {
        let file = dir.join(format!("{name}.eml"));
        let out = mxlens(&[
            "headers",
            file.to_str().unwrap(),
            "--verify",
            "--json",
            "--nameserver",
            &ns,
            "--at",
            "2026-12-01T00:00:00Z",
        ])
        .output()
        .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{name}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_case(name, &report, case);
        let failed = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "fail");
        assert_eq!(out.status.code(), Some(i32::from(failed)), "{name}");
    }
    // The footer itself is shown.
    let out = mxlens(&[
        "headers",
        dir.join("footer-appended.eml").to_str().unwrap(),
        "--verify",
        "--json",
        "--nameserver",
        &ns,
    ])
    .output()
    .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = report["message"]["dkim_signatures"][0]["changed_text"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("To unsubscribe send an email to team-leave@lists.dkim.test"),
        "{text}"
    );
    // mxlens's own DMARC verdict: the verified signature is aligned with From.
    let out = mxlens(&[
        "headers",
        dir.join("relaxed-2048.eml").to_str().unwrap(),
        "--verify",
        "--json",
        "--nameserver",
        &ns,
    ])
    .output()
    .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dmarc = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "dmarc.verify")
        .unwrap();
    assert_eq!(dmarc["status"], "pass", "{dmarc}");
    assert!(dns.queries_for("s2048._domainkey.dkim.test") >= 1);
    dns.stop().await;
}

/// A signature the receiver verified at delivery whose key is gone today
/// (rotated since) is "not tested" now, never a failure of the sender's
/// setup, and mxlens's DMARC verdict does not claim to know either; with
/// no receiver's word the same missing key is a failure.
#[tokio::test(flavor = "multi_thread")]
async fn key_gone_since_the_receiver_passed_is_not_tested() {
    let dns = TestDns::start_fixtures(&["dkim.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let (dir, _) = corpus();
    let original = std::fs::read_to_string(dir.join("missing-key.eml")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let delivered = tmp.path().join("delivered.eml");
    std::fs::write(
        &delivered,
        format!(
            "Authentication-Results: mx.receiver.test; dkim=pass header.d=dkim.test header.s=gone; spf=none smtp.mailfrom=dkim.test\r\n{original}"
        ),
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        let out = mxlens(&[
            "headers",
            file.to_str().unwrap(),
            "--verify",
            "--json",
            "--nameserver",
            &ns,
        ])
        .output()
        .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let check = |id: &str| {
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("no {id}"))
        };
        (
            out.status.code(),
            check("dkim.verify"),
            check("dmarc.verify"),
            report,
        )
    };
    let (code, dkim, dmarc, report) = run(&delivered);
    assert_eq!(dkim["status"], "not_tested", "{dkim}");
    assert!(
        dkim["detail"]
            .as_str()
            .unwrap()
            .contains("rotated or removed since delivery"),
        "{dkim}"
    );
    let sig = &report["message"]["dkim_signatures"][0];
    assert_eq!(sig["verified"], false);
    assert_eq!(sig["failure"], "key_missing");
    assert_eq!(dmarc["status"], "not_tested", "{dmarc}");
    assert_eq!(code, Some(0), "no check fails");
    // The same message as sent, with no receiver's verdict: a failure.
    let (code, dkim, dmarc, _) = run(&dir.join("missing-key.eml"));
    assert_eq!(dkim["status"], "fail", "{dkim}");
    assert_eq!(dmarc["status"], "fail", "{dmarc}");
    assert_eq!(code, Some(1));
    dns.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_verify_or_keys_signatures_are_not_tested() {
    let dns = TestDns::start_fixtures(&["dkim.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let (dir, _) = corpus();
    let file = dir.join("relaxed-2048.eml");
    let report = |args: &[&str]| -> Value {
        let mut all = vec!["headers", file.to_str().unwrap(), "--json"];
        all.extend_from_slice(args);
        serde_json::from_slice(&mxlens(&all).output().unwrap().stdout).unwrap()
    };
    let check = |r: &Value| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "dkim.verify")
            .cloned()
            .unwrap()
    };
    // No --verify: not_tested, verified null.
    let plain = report(&[]);
    assert_eq!(check(&plain)["status"], "not_tested");
    assert_eq!(
        plain["message"]["dkim_signatures"][0]["verified"],
        Value::Null
    );
    assert_eq!(dns.queries_for("s2048._domainkey.dkim.test"), 0);
    // The key server fails: not_tested, never a pass or a fail.
    dns.set_fault("dkim.test", Fault::ServFail);
    let failing = report(&["--verify", "--nameserver", &ns, "--dns-attempts", "1"]);
    assert_eq!(
        check(&failing)["status"],
        "not_tested",
        "{}",
        check(&failing)
    );
    assert_eq!(
        failing["message"]["dkim_signatures"][0]["verified"],
        Value::Null
    );
    assert_eq!(
        failing["message"]["dkim_signatures"][0]["failure"],
        Value::Null
    );
    dns.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn analyze_api_verifies_with_the_server_resolver_and_serves_keys() {
    let dns = TestDns::start_fixtures(&["dkim.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let (dir, cases) = corpus();
    for name in [
        "relaxed-2048",
        "footer-appended",
        "subject-tagged",
        "revoked",
        "ed25519",
    ] {
        let message =
            String::from_utf8(std::fs::read(dir.join(format!("{name}.eml"))).unwrap()).unwrap();
        let body = serde_json::json!({ "message": message }).to_string();
        let (status, reply) =
            http("POST", &format!("{}/api/analyze", server.url), Some(&body)).await;
        assert_eq!(status, 200, "{name}: {reply}");
        let report: Value = serde_json::from_str(&reply).unwrap();
        assert_case(name, &report, &cases[name]);
    }

    // The browser's key lookup: parsed key, diagnostics, validated input.
    let get = |query: String| {
        let url = format!("{}/api/dkim-key?{query}", server.url);
        async move {
            let (status, body) = http("GET", &url, None).await;
            (
                status,
                serde_json::from_str::<Value>(&body).unwrap_or(Value::Null),
            )
        }
    };
    let (status, key) = get("domain=DKIM.test.&selector=S2048".into()).await;
    assert_eq!(status, 200, "{key}");
    assert_eq!(key["status"], "found");
    assert_eq!(key["name"], "s2048._domainkey.dkim.test");
    assert_eq!(key["key"]["kind"], "rsa");
    assert_eq!(key["key"]["bits"], 2048);
    assert!(key["txt"]
        .as_str()
        .unwrap()
        .starts_with("v=DKIM1; k=rsa; p=MII"));
    let (_, revoked) = get("domain=dkim.test&selector=revoked".into()).await;
    assert_eq!(revoked["key"]["kind"], "revoked");
    let (_, missing) = get("domain=dkim.test&selector=gone".into()).await;
    assert_eq!(missing["status"], "not_found");
    // Cached: asking again does not query DNS again.
    let before = dns.queries_for("s2048._domainkey.dkim.test");
    get("domain=dkim.test&selector=s2048".into()).await;
    assert_eq!(dns.queries_for("s2048._domainkey.dkim.test"), before);
    for bad in [
        "domain=dkim.test&selector=a%20b",
        "domain=not%20a%20domain&selector=s1",
        "selector=s1",
        "domain=dkim.test",
    ] {
        let (status, err) = get(bad.into()).await;
        assert_eq!(status, 400, "{bad}: {err}");
        assert!(
            err["code"].as_str().unwrap().starts_with("bad_"),
            "{bad}: {err}"
        );
    }
    dns.stop().await;
}

/// A client that hammers `GET /api/dkim-key` (a key-harvesting loop over
/// guessed selectors) gets 429 after its per-minute allowance; the answers
/// before it are served, and the DNS server sees at most one query per name.
#[tokio::test(flavor = "multi_thread")]
async fn dkim_key_lookups_are_rate_limited_per_client() {
    let dns = TestDns::start_fixtures(&["dkim.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let limit = mxlens_backend::dkim::KEY_LOOKUPS_PER_MINUTE;
    let mut statuses = Vec::new();
    for i in 0..limit + 5 {
        let url = format!(
            "{}/api/dkim-key?domain=dkim.test&selector=guess{}",
            server.url,
            i % 10
        );
        statuses.push(http("GET", &url, None).await.0);
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(ok, limit as usize, "{statuses:?}");
    assert_eq!(limited, 5, "{statuses:?}");
    // Ten distinct names, each asked of DNS once (the rest from the cache).
    for i in 0..10 {
        assert!(dns.queries_for(&format!("guess{i}._domainkey.dkim.test")) <= 1);
    }
    dns.stop().await;
}
