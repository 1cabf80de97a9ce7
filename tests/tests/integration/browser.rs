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

/// "Export JSON" and "Export Markdown" download the report (file contents
/// checked, hostile content escaped in the Markdown); the print stylesheet
/// hides the controls and expands every check.
#[tokio::test]
async fn export_json_markdown_and_print() {
    let server = TestServer::start(&[]).await.unwrap();
    let out = run_script("export.mjs", &server.url, &[]).await.unwrap();
    assert!(
        out.contains("export desktop") && out.contains("export mobile"),
        "{out}"
    );
}

/// A private link carries the input in the fragment: it reopens in a fresh
/// context with the same report, and no request carries the input.
#[tokio::test]
async fn private_link_round_trip_never_reaches_the_server() {
    let server = TestServer::start(&[]).await.unwrap();
    let out = run_script("private.mjs", &server.url, &[]).await.unwrap();
    assert!(out.contains("private: link of"), "{out}");
}

/// The domain cards fill in live, the SMTP/TLS table shows the certificate
/// of a fake MX (slow banner, STARTTLS, test CA), and the SPF include tree
/// of a domain over the lookup limit shows the running total.
#[tokio::test]
async fn domain_cards_smtp_table_and_spf_tree() {
    use mxlens_tests::pki::TestCa;
    use mxlens_tests::smtp::{Behaviour, FakeSmtp};
    use std::time::Duration;

    let dns = TestDns::start_fixtures(&["audit.test", "2.0.192.in-addr.arpa", "elsewhere.test"])
        .await
        .unwrap();
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&["mx1.good.audit.test"]).unwrap();
    let smtp = FakeSmtp::start(
        Behaviour::SlowBanner(Duration::from_secs(2)),
        "mx1.good.audit.test",
        Some(&leaf),
    )
    .await
    .unwrap();
    // MTA-STS is fetched from the same documentation address on 443: send
    // it to a closed loopback port, so nothing leaves the machine.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let ns = dns.addr.to_string();
    let connect_to = format!(
        "192.0.2.10:25:127.0.0.1:{},192.0.2.10:443:127.0.0.1:{closed}",
        smtp.addr.port()
    );
    let ca_path = ca_file.display().to_string();
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--allow-target",
        "192.0.2.10/32",
        "--connect-to",
        &connect_to,
        "--tls-ca-file",
        &ca_path,
        "--dnsbl",
        "bl.audit.test",
        "--audit-deadline-secs",
        "20",
    ])
    .await
    .unwrap();
    let out = run_script("domain.mjs", &server.url, &[]).await.unwrap();
    assert!(
        out.contains("domain desktop") && out.contains("domain mobile"),
        "{out}"
    );
    assert!(
        smtp.connection_count() > 0,
        "the audit never reached the fake MX"
    );
}
