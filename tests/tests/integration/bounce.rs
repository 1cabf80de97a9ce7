//! One bounce reader for every surface (#14): `mxlens headers --json` and
//! `POST /api/analyze` on a running server give the same `message.bounce`
//! for real bounces of the sisimai corpus (a qmail bounce and an Office 365
//! NDR), for the bounce text pasted without its headers, and for a bare SMTP
//! reply. Names are the report contract's (`../shared/spec/report-contract.md`).

use mxlens_tests::cli::mxlens;
use mxlens_tests::http::http;
use mxlens_tests::server::TestServer;
use serde_json::{json, Value};
use std::io::Write;

fn sisimai(name: &str) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance/sisimai/eml/"
    );
    std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("{path}{name}: {e}"))
}

/// `mxlens headers - --json` on `input`: the report and the exit code.
fn cli(input: &[u8]) -> (Value, Option<i32>) {
    let mut child = mxlens(&["headers", "-", "--json", "--at", "2026-01-01T00:00:00Z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code())
}

async fn api(server: &TestServer, input: &[u8]) -> Value {
    let body = json!({ "message": String::from_utf8_lossy(input) }).to_string();
    let (status, body) = http("POST", &format!("{}/api/analyze", server.url), Some(&body)).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The fields the contract fixes, for the first recipient.
fn first(report: &Value) -> (&Value, &Value) {
    let bounce = &report["message"]["bounce"];
    assert!(bounce.is_object(), "no message.bounce: {report}");
    (bounce, &bounce["recipients"][0])
}

struct Case {
    what: &'static str,
    input: Vec<u8>,
    kind: &'static str,
    recipient: Value,
    status: &'static str,
    reply_code: u16,
    reason: &'static str,
    who_must_act: &'static str,
}

fn cases() -> Vec<Case> {
    let qmail = sisimai("lhost-qmail-16.eml");
    // The qmail text alone, as a user pastes it from the mail client: from
    // "Hi. This is the qmail-send program" on, no headers.
    let start = qmail.windows(3).position(|w| w == b"Hi.").unwrap();
    vec![
        Case {
            what: "qmail bounce",
            input: qmail.clone(),
            kind: "text",
            recipient: json!("userunknown@libsisimai.net"),
            status: "5.1.1",
            reply_code: 550,
            reason: "userunknown",
            who_must_act: "sender",
        },
        Case {
            what: "qmail bounce text without headers",
            input: qmail[start..].to_vec(),
            kind: "text",
            recipient: json!("userunknown@libsisimai.net"),
            status: "5.1.1",
            reply_code: 550,
            reason: "userunknown",
            who_must_act: "sender",
        },
        Case {
            what: "Office 365 NDR",
            input: sisimai("rhost-microsoft-03.eml"),
            kind: "dsn",
            recipient: json!("kijitora@example.com"),
            status: "5.1.10",
            reply_code: 550,
            reason: "userunknown",
            who_must_act: "sender",
        },
        Case {
            what: "bare SMTP reply",
            input: b"550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp".to_vec(),
            kind: "text",
            recipient: Value::Null,
            status: "5.7.26",
            reply_code: 550,
            reason: "authfailure",
            who_must_act: "sender_admin",
        },
    ]
}

#[tokio::test]
async fn cli_and_api_read_the_same_bounce() {
    let server = TestServer::start(&[]).await.unwrap();
    for case in cases() {
        let (from_cli, code) = cli(&case.input);
        let from_api = api(&server, &case.input).await;
        let w = case.what;
        // One reader: the same message.bounce on both surfaces.
        assert_eq!(
            from_cli["message"]["bounce"], from_api["message"]["bounce"],
            "{w}"
        );
        let (bounce, r) = first(&from_cli);
        assert_eq!(bounce["kind"], case.kind, "{w}: {bounce}");
        assert_eq!(r["recipient"], case.recipient, "{w}: {r}");
        assert_eq!(r["status"], case.status, "{w}: {r}");
        assert_eq!(r["reply_code"], case.reply_code, "{w}: {r}");
        assert_eq!(r["reason"], case.reason, "{w}: {r}");
        assert_eq!(r["who_must_act"], case.who_must_act, "{w}: {r}");
        assert_eq!(r["action"], "failed", "{w}: {r}");
        assert_eq!(r["permanent"], true, "{w}: {r}");
        assert!(
            r["next_step"].as_str().is_some_and(|s| s.len() > 20),
            "{w}: {r}"
        );
        // The diagnostic is the server's words, verbatim.
        assert!(
            r["diagnostic"]
                .as_str()
                .is_some_and(|d| d.contains(case.status)),
            "{w}: {r}"
        );
        // A permanent failure fails the report: exit code 1.
        assert_eq!(code, Some(1), "{w}");
        let checks = from_cli["checks"].as_array().unwrap();
        assert!(
            checks
                .iter()
                .any(|c| c["id"] == "bounce.recipient" && c["status"] == "fail"),
            "{w}"
        );
        assert!(checks.iter().any(|c| c["id"] == "smtp.reply-code"), "{w}");
    }
}

/// The original message the qmail bounce quotes is analysed: its sender is
/// the domain to audit.
#[test]
fn quoted_original_names_the_sender_domain() {
    let (report, _) = cli(&sisimai("lhost-qmail-16.eml"));
    let (bounce, _) = first(&report);
    assert_eq!(bounce["original"]["from"], "kijitora@nq.example.jp");
    assert_eq!(bounce["original"]["from_domain"], "nq.example.jp");
}

/// Not a bounce: `message.bounce` is null, and an auto-reply is not a bounce.
#[tokio::test]
async fn not_a_bounce_is_null() {
    let server = TestServer::start(&[]).await.unwrap();
    let plain = b"From: a@shop.test\r\nTo: b@example.net\r\nSubject: hello\r\n\r\nHi.\r\n";
    let auto = b"From: b@example.net\r\nTo: a@shop.test\r\nAuto-Submitted: auto-replied\r\n\
Subject: Out of office\r\n\r\nI am away until Monday.\r\n";
    for input in [&plain[..], &auto[..]] {
        let (from_cli, _) = cli(input);
        assert_eq!(from_cli["message"]["bounce"], Value::Null, "{from_cli}");
        let from_api = api(&server, input).await;
        assert_eq!(from_api["message"]["bounce"], Value::Null, "{from_api}");
    }
}
