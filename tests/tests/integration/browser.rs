//! Flows in headless Chromium against `mxlens serve` and the test DNS server.

use mxlens_tests::browser::run_script;
use mxlens_tests::dns::TestDns;
use mxlens_tests::server::TestServer;

/// Paste headers → From and hop count (WASM); audit a domain → MX hosts
/// (backend + real DNS). Desktop and mobile viewports; screenshots saved.
#[tokio::test]
async fn first_slice_headers_and_domain() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let out = run_script("slice.mjs", &server.url, &[]).await.unwrap();
    assert!(
        out.contains("slice desktop") && out.contains("slice mobile"),
        "{out}"
    );
    assert!(
        dns.queries_for("shop.test") > 0,
        "the audit did not reach the test DNS server"
    );
}

/// Share a header report as a stored link, reopen it in a fresh browser
/// context; a hostile paste never runs as HTML (CSP and Yew's escaping).
#[tokio::test]
async fn stored_link_round_trip_and_hostile_paste() {
    let server = TestServer::start(&[]).await.unwrap();
    let out = run_script("share.mjs", &server.url, &[]).await.unwrap();
    assert!(out.contains("share: stored link"), "{out}");
}

/// The message report (summary, hop timeline, authentication and alignment,
/// DKIM table, spam verdicts), "Load an example", "Explain an SMTP error"
/// and "Audit <from-domain>", desktop and mobile; every status has an icon
/// and a word.
#[tokio::test]
async fn message_report_flows() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let out = run_script("message.mjs", &server.url, &[]).await.unwrap();
    println!("{out}");
    assert!(
        out.contains("message desktop") && out.contains("message mobile"),
        "{out}"
    );
    assert!(
        dns.queries_for("shop.test") > 0,
        "the audit from the message did not reach the test DNS server"
    );
}
