//! Flows in headless Chromium against `mxlens serve` and the test DNS server.

use mxlens_tests::browser::run_script;
use mxlens_tests::dns::TestDns;
use mxlens_tests::server::{StoreKind, TestServer};

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
/// On both report stores.
async fn stored_link_round_trip_and_hostile_paste(store: StoreKind) {
    let server = TestServer::start_with(store, &[]).await.unwrap();
    let tag = format!("{store:?}").to_ascii_lowercase();
    let out = run_script("share.mjs", &server.url, &[("STORE", &tag)])
        .await
        .unwrap();
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

/// The bounce card (#14): a real qmail bounce and a real Office 365 NDR
/// from the sisimai corpus, pasted, show each recipient, the verdict, who
/// must act and the next step at the top of the report; "Explain an SMTP
/// error" reads the qmail text with the same reader. Desktop and mobile.
#[tokio::test]
async fn bounce_card_for_qmail_and_office365() {
    let server = TestServer::start(&[]).await.unwrap();
    let out = run_script("bounce.mjs", &server.url, &[]).await.unwrap();
    assert!(
        out.contains("bounce desktop") && out.contains("bounce mobile"),
        "{out}"
    );
}

/// A loopback TCP relay in front of `upstream` that records every byte the
/// browser sends, so a test can check what the server was told.
async fn recording_relay(
    upstream: std::net::SocketAddr,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let upload = async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = client_read.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                        if server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown().await;
                };
                let download = async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    let _ = client_write.shutdown().await;
                };
                futures::join!(upload, download);
            });
        }
    });
    (url, seen)
}

/// A private link carries the input in the fragment: it reopens in a fresh
/// context with the same report, and no request carries the input. The
/// browser talks to the server through a recording relay, and the bytes the
/// server received are checked too: neither the input nor the fragment,
/// and no POST but the blocklist lookup of host names.
#[tokio::test]
async fn private_link_round_trip_never_reaches_the_server() {
    let server = TestServer::start(&[]).await.unwrap();
    let (url, seen) = recording_relay(server.addr).await;
    let out = run_script("private.mjs", &url, &[]).await.unwrap();
    assert!(out.contains("private: link of"), "{out}");
    let sent = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(
        sent.contains("GET / HTTP/1.1"),
        "the relay saw no page load"
    );
    for secret in ["zq7-private-subject", "jane.buyer", "p=1."] {
        assert!(!sent.contains(secret), "the server was sent {secret:?}");
    }
    // The only POST is the blocklist lookup of the message's host names
    // (#20): never the paste, never a stored report.
    for post in sent.match_indices("POST ").map(|(i, _)| &sent[i..]) {
        assert!(
            post.starts_with("POST /api/reputation HTTP/1.1"),
            "the browser posted {:?}",
            post.lines().next()
        );
    }
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

#[tokio::test]
async fn stored_link_round_trip_and_hostile_paste_on_sqlite() {
    stored_link_round_trip_and_hostile_paste(StoreKind::Sqlite).await;
}

#[tokio::test]
async fn stored_link_round_trip_and_hostile_paste_on_postgres() {
    stored_link_round_trip_and_hostile_paste(StoreKind::Postgres).await;
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

/// Accessibility: axe-core's WCAG 2.1 A/AA rules (contrast included) on the
/// home page, a message report and a domain report in light and dark mode,
/// and a keyboard-only pass (Tab order, focus rings, analyse and expand
/// without a mouse).
#[tokio::test]
async fn accessibility_axe_and_keyboard() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let out = run_script("a11y.mjs", &server.url, &[]).await.unwrap();
    assert!(
        out.contains("a11y light") && out.contains("a11y dark") && out.contains("a11y keyboard"),
        "{out}"
    );
}

/// The "Address" field on the domain page: without `--enable-rcpt-probe`
/// the server's 403 shows inline (and a wrong address is refused before any
/// request), and so does its 429 beyond the probe rate; with it, the audit probes a real Postfix and the mail-servers
/// card shows the `smtp.rcpt` verdict for a known user, an unknown user
/// (550 5.1.1), a catch-all domain and a greylisted first attempt, the
/// Transport security section ends in its verdict, and the Share dialog
/// offers to keep the address (off by default). Desktop and mobile.
#[tokio::test]
async fn mailbox_probe_from_the_address_field() {
    use mxlens_tests::pki::TestCa;
    use mxlens_tests::smtp::{GreylistPolicy, Postfix, PostfixOptions};

    let server = TestServer::start(&["--nameserver", "127.0.0.1:9"])
        .await
        .unwrap();
    let out = run_script("rcpt.mjs", &server.url, &[("MODE", "disabled")])
        .await
        .unwrap();
    assert!(
        out.contains("rcpt disabled desktop") && out.contains("rcpt disabled mobile"),
        "{out}"
    );
    drop(server);

    // One probe per client per minute: the 429 shows inline too.
    let server = TestServer::start(&[
        "--nameserver",
        "127.0.0.1:9",
        "--enable-rcpt-probe",
        "--rcpt-per-client-per-minute",
        "1",
        "--audit-deadline-secs",
        "5",
    ])
    .await
    .unwrap();
    let out = run_script("rcpt.mjs", &server.url, &[("MODE", "limited")])
        .await
        .unwrap();
    assert!(
        out.contains("rcpt limited desktop") && out.contains("rcpt limited mobile"),
        "{out}"
    );
    drop(server);

    if !Postfix::available() {
        eprintln!("SKIP: /usr/sbin/postfix is not installed (scripts/setup.sh --test)");
        return;
    }
    let greylist = GreylistPolicy::start(&["grey.test"]).await.unwrap();
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&["mx1.shop.test"]).unwrap();
    let postfix = Postfix::start_with(
        "mx1.shop.test",
        &leaf,
        &PostfixOptions::mailboxes(greylist.addr),
    )
    .await
    .unwrap();
    let dns = TestDns::start(mxlens_tests::smtp::MAILBOX_ZONES)
        .await
        .unwrap();
    let ns = dns.addr.to_string();
    let route = format!(
        "mx1.shop.test:25:{}:{}",
        postfix.addr.ip(),
        postfix.addr.port()
    );
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--allow-target",
        "192.0.2.0/24",
        "--connect-to",
        &route,
        "--dnsbl",
        "bl.shop.test",
        "--enable-rcpt-probe",
        // Two viewports probe several addresses within a minute.
        "--rcpt-per-client-per-minute",
        "100",
        "--rcpt-per-domain-per-minute",
        "100",
        "--audit-deadline-secs",
        "20",
    ])
    .await
    .unwrap();
    let out = run_script("rcpt.mjs", &server.url, &[("MODE", "enabled")])
        .await
        .unwrap();
    assert!(
        out.contains("rcpt enabled desktop") && out.contains("rcpt enabled mobile"),
        "{out}"
    );
    assert!(
        dns.queries_for("shop.test") > 0,
        "the audit did not reach the test DNS server"
    );
}
/// Every error path shows an inline, human message (role="alert"), never a
/// dialog: an empty paste, an invalid domain (the server's 400), a network
/// failure, an example file that cannot be fetched, an export that cannot
/// be saved, an unknown report id, and the rate limit (a real 429 from a
/// server with a low POST limit; the message gives the Retry-After wait).
#[tokio::test]
async fn error_paths_are_inline() {
    let server = TestServer::start(&["--rate-limit-per-minute", "4"])
        .await
        .unwrap();
    let out = run_script("errors.mjs", &server.url, &[]).await.unwrap();
    assert!(
        out.contains("errors desktop")
            && out.contains("errors mobile")
            && out.contains("no dialogs"),
        "{out}"
    );
}

/// DKIM verification in the browser (#15): WebCrypto checks the signatures
/// of the dkimpy corpus with the keys the test DNS server publishes, fetched
/// through `GET /api/dkim-key` (only d= and s= leave the browser): verified
/// (RSA 2048, Ed25519), "failed: body changed" with the appended footer
/// shown, and "not verified" when the key lookup cannot reach the server.
#[tokio::test]
async fn dkim_verified_in_the_browser_with_webcrypto() {
    let dns = TestDns::start_fixtures(&["dkim.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let out = run_script("dkim.mjs", &server.url, &[]).await.unwrap();
    assert!(out.contains("dkim: verified"), "{out}");
    assert!(
        dns.queries_for("s2048._domainkey.dkim.test") > 0,
        "the keys did not come from the test DNS server"
    );
}

/// Content and blocklists in the browser (#20): an image-only newsletter
/// with a shortener shows both findings and the link table; a newsletter
/// linking to a domain on the test DBL shows the listing with its delisting
/// link, looked up by the server from the host names alone.
#[tokio::test]
async fn content_findings_and_blocklists_in_the_browser() {
    let dns = TestDns::start_fixtures(&[
        "shop.test",
        "dbl.spamhaus.org",
        "multi.uribl.com",
        "zen.spamhaus.org",
        "list.dnswl.org",
    ])
    .await
    .unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns, "--dnsbl", "zen.spamhaus.org"])
        .await
        .unwrap();
    let out = run_script("content.mjs", &server.url, &[]).await.unwrap();
    assert!(out.contains("content: image-only"), "{out}");
    assert!(
        dns.queries_for("phish.example.dbl.spamhaus.org") > 0,
        "the listing did not come from the test DNS server"
    );
}

/// "Send a test message" (#16): the card's address, reopened by its
/// /t/{id} link, takes an SMTP delivery; both pages reach the stored
/// delivery report, which a fresh context opens again.
#[tokio::test]
async fn test_address_card_to_delivery_report() {
    let dns = TestDns::start(&[]).await.unwrap();
    let server = mxlens_tests::receiver::start_receiver(&dns, None, &[])
        .await
        .unwrap();
    let smtp = server.smtp_addr.unwrap().to_string();
    let out = run_script("test-address.mjs", &server.url, &[("SMTP_ADDR", &smtp)])
        .await
        .unwrap();
    assert!(out.contains("test-address: card, reopen"), "{out}");
}

/// The same flow across instances (#16): one PostgreSQL, the browser on
/// instance B (address, live progress, report, reopened link), the message
/// delivered to instance A's receiver.
#[tokio::test(flavor = "multi_thread")]
async fn test_address_card_across_instances_on_postgres() {
    let dns = TestDns::start(&[]).await.unwrap();
    let postgres = mxlens_tests::postgres::TestPostgres::start().await.unwrap();
    let url = postgres.create_database("browser_instances").await.unwrap();
    let (a, b) = tokio::join!(
        mxlens_tests::receiver::start_receiver(&dns, Some(&url), &[]),
        mxlens_tests::receiver::start_receiver(&dns, Some(&url), &[])
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let smtp = a.smtp_addr.unwrap().to_string();
    let out = run_script("test-address.mjs", &b.url, &[("SMTP_ADDR", &smtp)])
        .await
        .unwrap();
    assert!(out.contains("test-address: card, reopen"), "{out}");
}
