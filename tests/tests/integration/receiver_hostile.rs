//! Hostile clients against the SMTP receiver (issue #16), each on a raw
//! loopback socket and bounded in time, with short limits set through the
//! real flags: over-long lines (RFC 5321 §4.5.3.1), a DATA that ignores
//! SIZE (RFC 1870), too many recipients, a relay attempt, slowloris and a
//! dribbling DATA (§4.5.3.2), connection caps, STARTTLS command injection
//! (RFC 3207 §4.2), a TLS session cut mid-DATA, a client that pipelines
//! without reading, expired and used addresses, garbage. Meanwhile a
//! second client still gets its greeting.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mxlens_tests::dns::TestDns;
use mxlens_tests::pki::TestCa;
use mxlens_tests::receiver::{new_address, start_receiver, tls_files, RawSmtp};
use mxlens_tests::server::TestServer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn hostile_server(dns: &TestDns, extra: &[&str]) -> TestServer {
    let mut args = vec![
        "--smtp-command-timeout-secs",
        "1",
        "--smtp-data-timeout-secs",
        "3",
        "--smtp-max-recipients",
        "2",
        "--smtp-max-connections-per-ip",
        "4",
    ];
    if !extra.contains(&"--smtp-max-message-bytes") {
        args.extend_from_slice(&["--smtp-max-message-bytes", "65536"]);
    }
    args.extend_from_slice(extra);
    start_receiver(dns, None, &args).await.unwrap()
}

/// A client that greets, says MAIL FROM and RCPT TO `to`.
async fn in_transaction(server: &TestServer, to: &str) -> RawSmtp {
    let (mut c, greeting) = RawSmtp::connect(server.smtp_addr.unwrap()).await.unwrap();
    assert!(greeting.starts_with("220 "), "{greeting}");
    c.expect("EHLO client.test", "250-").await;
    c.expect("MAIL FROM:<a@client.test>", "250 ").await;
    let rcpt = c.command(&format!("RCPT TO:<{to}>")).await.unwrap();
    assert!(rcpt.starts_with("250 "), "{rcpt}");
    c
}

/// A fresh client gets its greeting at once.
async fn assert_responsive(server: &TestServer) {
    let started = Instant::now();
    let (mut c, greeting) = RawSmtp::connect(server.smtp_addr.unwrap()).await.unwrap();
    assert!(greeting.starts_with("220 "), "{greeting}");
    c.expect("NOOP", "250 ").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_limits_lines_size_recipients_and_relaying() {
    let dns = TestDns::start(&[]).await.unwrap();
    let server = hostile_server(&dns, &[]).await;
    let smtp = server.smtp_addr.unwrap();
    let (address, _, _) = new_address(&server).await;

    // EHLO advertises the limits and extensions.
    let (mut c, _) = RawSmtp::connect(smtp).await.unwrap();
    let ehlo = c.command("EHLO client.test").await.unwrap();
    for ext in [
        "PIPELINING",
        "SIZE 65536",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
    ] {
        assert!(ehlo.contains(ext), "{ehlo}");
    }
    assert!(
        !ehlo.contains("STARTTLS"),
        "no certificate, no STARTTLS: {ehlo}"
    );
    // A command line over 512 octets: 500, and the session goes on.
    let long = format!("NOOP {}", "x".repeat(600));
    c.expect(&long, "500 5.5.2").await;
    c.expect("NOOP", "250 ").await;
    // Never a relay, and no unknown or foreign test address.
    c.expect("MAIL FROM:<a@client.test> SIZE=100000", "552 5.3.4")
        .await;
    c.expect("MAIL FROM:<a@client.test>", "250 ").await;
    c.expect("RCPT TO:<someone@gmail.com>", "550 5.1.1").await;
    let local = address.split('@').next().unwrap();
    c.expect(&format!("RCPT TO:<{local}@other.example>"), "550 5.1.1")
        .await;
    c.expect("RCPT TO:<tnosuchtoken@test.example>", "550 5.1.1")
        .await;
    // Past the recipient cap (2): 452.
    let (second, _, _) = new_address(&server).await;
    let (third, _, _) = new_address(&server).await;
    c.expect(&format!("RCPT TO:<{address}>"), "250 ").await;
    c.expect(&format!("RCPT TO:<{second}>"), "250 ").await;
    c.expect(&format!("RCPT TO:<{third}>"), "452 4.5.3").await;
    // A text line over 1,000 octets: 500 at the end of DATA, nothing taken.
    c.expect("DATA", "354 ").await;
    c.send(format!("Subject: x\r\n\r\n{}\r\n.\r\n", "y".repeat(1500)).as_bytes())
        .await
        .unwrap();
    assert!(c.reply().await.unwrap().starts_with("500 5.5.2"));
    // A DATA that ignores SIZE: 1 MiB against a 64 KiB cap gets 552 once it ends.
    c.expect("MAIL FROM:<a@client.test>", "250 ").await;
    c.expect(&format!("RCPT TO:<{address}>"), "250 ").await;
    c.expect("DATA", "354 ").await;
    let line = format!("{}\r\n", "z".repeat(998));
    let started = Instant::now();
    for _ in 0..1024 {
        c.send(line.as_bytes()).await.unwrap();
    }
    c.send(b".\r\n").await.unwrap();
    assert!(c.reply().await.unwrap().starts_with("552 5.3.4"));
    assert!(started.elapsed() < Duration::from_secs(3));
    // The addresses were not used by the refused messages.
    assert!(server
        .state
        .receiver
        .as_ref()
        .unwrap()
        .addresses
        .by_token(local)
        .unwrap()
        .is_live(Instant::now()));
    // Garbage: 500s, then 421 after too many errors.
    let mut last = String::new();
    for _ in 0..25 {
        last = c.command("\u{1}\u{2}GARBAGE \u{ff}").await.unwrap();
        if last.starts_with("421") {
            break;
        }
    }
    assert!(last.starts_with("421 "), "{last}");
    assert_responsive(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_cuts_slow_clients_and_caps_connections() {
    let dns = TestDns::start(&[]).await.unwrap();
    let server = hostile_server(&dns, &[]).await;
    let smtp = server.smtp_addr.unwrap();
    let (address, _, _) = new_address(&server).await;

    // Slowloris: half a command, then nothing. 421 after the 1 s command
    // timeout; another client is served meanwhile.
    let (mut slow, _) = RawSmtp::connect(smtp).await.unwrap();
    slow.send(b"EHL").await.unwrap();
    assert_responsive(&server).await;
    let started = Instant::now();
    let reply = slow.reply().await.unwrap();
    assert!(reply.starts_with("421 4.4.2"), "{reply}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // Dribbling DATA: a line every 0.5 s never trips the 1 s line timeout,
    // but the whole DATA is cut at 3 s.
    let mut dribble = in_transaction(&server, &address).await;
    dribble.expect("DATA", "354 ").await;
    let started = Instant::now();
    let mut cut = String::new();
    for _ in 0..20 {
        if dribble.send(b"x\r\n").await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        if started.elapsed() > Duration::from_millis(3500) {
            cut = dribble.reply().await.unwrap();
            break;
        }
    }
    assert!(cut.starts_with("421 4.4.2"), "{cut:?}");
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_responsive(&server).await;

    // Per-IP cap (4): the fifth connection gets 421 and is closed.
    let mut open = Vec::new();
    for _ in 0..4 {
        let (c, greeting) = RawSmtp::connect(smtp).await.unwrap();
        assert!(greeting.starts_with("220 "), "{greeting}");
        open.push(c);
    }
    let (mut fifth, refused) = RawSmtp::connect(smtp).await.unwrap();
    assert!(refused.starts_with("421 4.7.0"), "{refused}");
    assert_eq!(fifth.reply().await.unwrap(), "", "closed after the 421");
    drop(open);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_responsive(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_total_connection_cap_and_expiring_addresses() {
    let dns = TestDns::start(&[]).await.unwrap();
    let server = hostile_server(
        &dns,
        &[
            "--smtp-max-connections",
            "2",
            "--test-address-ttl-secs",
            "1",
        ],
    )
    .await;
    let smtp = server.smtp_addr.unwrap();
    let (address, id, _) = new_address(&server).await;
    let (a, _) = RawSmtp::connect(smtp).await.unwrap();
    let (b, _) = RawSmtp::connect(smtp).await.unwrap();
    let (_, refused) = RawSmtp::connect(smtp).await.unwrap();
    assert!(refused.starts_with("421 4.7.0"), "{refused}");
    drop((a, b));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Expired after its 1 s: refused, and its events end with "expired".
    let (mut c, _) = RawSmtp::connect(smtp).await.unwrap();
    c.expect("HELO client.test", "250 ").await;
    c.expect("MAIL FROM:<>", "250 ").await;
    c.expect(&format!("RCPT TO:<{address}>"), "550 5.1.1").await;
    let seen = mxlens_tests::receiver::events(&server, &id).await;
    assert_eq!(seen.last().unwrap().0, "expired", "{seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_discards_commands_pipelined_after_starttls() {
    let dns = TestDns::start(&[]).await.unwrap();
    let ca = TestCa::new().unwrap();
    let (_dir, cert, key) = tls_files(&ca, "mx.test.example");
    let server = hostile_server(
        &dns,
        &[
            "--smtp-tls-cert",
            cert.to_str().unwrap(),
            "--smtp-tls-key",
            key.to_str().unwrap(),
        ],
    )
    .await;
    let (mut c, _) = RawSmtp::connect(server.smtp_addr.unwrap()).await.unwrap();
    assert!(c
        .command("EHLO client.test")
        .await
        .unwrap()
        .contains("STARTTLS"));
    // The injected MAIL FROM rides in the same segment as STARTTLS.
    c.send(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
        .await
        .unwrap();
    assert!(c.reply().await.unwrap().starts_with("220 "));
    let mut tls = BufReader::new(start_tls(&ca, c.into_inner()).await);
    // A transaction needs a new EHLO after TLS (RFC 3207 §4.2), and the
    // injected MAIL FROM was never answered: the first reply is RCPT's 503.
    let line = tls_command(&mut tls, "RCPT TO:<x@test.example>").await;
    assert!(line.starts_with("503 5.5.1 Need MAIL"), "{line}");
    let ehlo = tls_command(&mut tls, "EHLO client.test").await;
    assert!(!ehlo.contains("STARTTLS"), "not offered twice: {ehlo}");
}

/// The TLS handshake of a client that trusts `ca`, after STARTTLS's 220.
async fn start_tls(
    ca: &TestCa,
    tcp: tokio::net::TcpStream,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(ca.cert_der().into()).unwrap();
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from("mx.test.example").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// Writes `line` to `tls` and reads one reply line (bounded in time).
async fn tls_command(
    tls: &mut BufReader<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
    line: &str,
) -> String {
    tls.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .unwrap();
    let mut reply = String::new();
    loop {
        let mut l = String::new();
        tokio::time::timeout(Duration::from_secs(5), tls.read_line(&mut l))
            .await
            .unwrap()
            .unwrap();
        reply.push_str(&l);
        if l.len() < 4 || l.as_bytes()[3] == b' ' {
            return reply;
        }
    }
}

/// A TLS session cut mid-DATA (the TCP connection dropped, no
/// close_notify): the server stays responsive, the address is not used up
/// (its stream says why it is waiting again), and the next complete
/// delivery to it is graded.
#[tokio::test(flavor = "multi_thread")]
async fn receiver_survives_a_tls_session_cut_mid_data() {
    let dns = TestDns::start(&[]).await.unwrap();
    let ca = TestCa::new().unwrap();
    let (_dir, cert, key) = tls_files(&ca, "mx.test.example");
    let tls_args = [
        "--smtp-tls-cert",
        cert.to_str().unwrap(),
        "--smtp-tls-key",
        key.to_str().unwrap(),
    ];
    let server = hostile_server(&dns, &tls_args).await;
    let (address, id, _) = new_address(&server).await;
    let (mut c, _) = RawSmtp::connect(server.smtp_addr.unwrap()).await.unwrap();
    c.expect("EHLO client.test", "250-").await;
    c.expect("STARTTLS", "220 ").await;
    let mut tls = BufReader::new(start_tls(&ca, c.into_inner()).await);
    assert!(tls_command(&mut tls, "EHLO client.test")
        .await
        .starts_with("250"));
    assert!(tls_command(&mut tls, "MAIL FROM:<a@client.test>")
        .await
        .starts_with("250 "));
    let rcpt = tls_command(&mut tls, &format!("RCPT TO:<{address}>")).await;
    assert!(rcpt.starts_with("250 "), "{rcpt}");
    assert!(tls_command(&mut tls, "DATA").await.starts_with("354 "));
    tls.get_mut()
        .write_all(b"From: a@client.test\r\nSubject: cut\r\n\r\n")
        .await
        .unwrap();
    for _ in 0..100 {
        tls.get_mut().write_all(&[b'x'; 98]).await.unwrap();
        tls.get_mut().write_all(b"\r\n").await.unwrap();
    }
    tls.get_mut().flush().await.unwrap();
    // Dropped: the TCP connection closes without a TLS close_notify.
    drop(tls);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_responsive(&server).await;

    // The address still takes one message.
    let mut c = in_transaction(&server, &address).await;
    c.expect("DATA", "354 ").await;
    c.send(b"From: a@client.test\r\nSubject: whole\r\n\r\nhello\r\n.\r\n")
        .await
        .unwrap();
    let accepted = c.reply().await.unwrap();
    assert!(accepted.starts_with("250 "), "{accepted}");
    let seen = mxlens_tests::receiver::events(&server, &id).await;
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.last(), Some(&"report"), "{seen:?}");
    let cut = seen
        .iter()
        .find(|(n, data)| n == "waiting" && data.get("after").is_some())
        .unwrap_or_else(|| panic!("the cut DATA is said: {seen:?}"));
    assert!(
        cut.1["after"]
            .as_str()
            .unwrap()
            .contains("closed before the end of DATA"),
        "{seen:?}"
    );
}

/// Pipelining abuse: a client that floods commands without ever reading a
/// reply. The session's command cap (200, then 421) closes it, so neither
/// the flood nor the replies it never reads can grow without bound (a
/// reply the socket will not take is dropped after the command timeout
/// anyway); meanwhile another client is served.
#[tokio::test(flavor = "multi_thread")]
async fn receiver_closes_a_client_that_pipelines_without_reading() {
    let dns = TestDns::start(&[]).await.unwrap();
    let server = hostile_server(&dns, &[]).await;
    let (c, greeting) = RawSmtp::connect(server.smtp_addr.unwrap()).await.unwrap();
    assert!(greeting.starts_with("220 "), "{greeting}");
    let mut tcp = c.into_inner();
    let started = Instant::now();
    let flood = tokio::spawn(async move {
        let chunk = b"NOOP\r\n".repeat(10_000);
        let mut sent = 0usize;
        loop {
            match tokio::time::timeout(Duration::from_secs(30), tcp.write_all(&chunk)).await {
                Ok(Ok(())) => sent += chunk.len(),
                Ok(Err(_)) => return (sent, true),
                Err(_) => return (sent, false),
            }
            if sent > 512 * 1024 * 1024 {
                return (sent, false);
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_responsive(&server).await;
    let (sent, cut) = flood.await.unwrap();
    assert!(
        cut,
        "the server closed the flooding connection (sent {sent} bytes)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_responsive(&server).await;
}

/// The memory budget (--smtp-max-buffered-mib 1): while one client holds
/// 600 KB in DATA, another's 600 KB gets 452 4.3.1 and is not kept; once
/// the first is accepted and its report stored, the budget is free again.
#[tokio::test(flavor = "multi_thread")]
async fn receiver_holds_message_memory_within_its_budget() {
    let dns = TestDns::start(&[]).await.unwrap();
    let server = hostile_server(
        &dns,
        &[
            "--smtp-max-buffered-mib",
            "1",
            "--smtp-max-message-bytes",
            "1048576",
        ],
    )
    .await;
    let receiver = server.state.receiver.clone().unwrap();
    let (first, first_id, _) = new_address(&server).await;
    let (second, _, _) = new_address(&server).await;
    let chunk: Vec<u8> = format!("{}\r\n", "m".repeat(998)).into_bytes().repeat(100);
    let mut a = in_transaction(&server, &first).await;
    a.expect("DATA", "354").await;
    a.send(b"Subject: a\r\n\r\n").await.unwrap();
    for _ in 0..6 {
        a.send(&chunk).await.unwrap();
    }
    // The session has read it all once the buffered count stops growing.
    let deadline = Instant::now() + Duration::from_secs(5);
    while receiver.buffered_bytes() < 600_000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        receiver.buffered_bytes() >= 600_000,
        "{}",
        receiver.buffered_bytes()
    );
    let mut b = in_transaction(&server, &second).await;
    b.expect("DATA", "354").await;
    for _ in 0..6 {
        b.send(&chunk).await.unwrap();
    }
    b.send(b".\r\n").await.unwrap();
    let refused = b.reply().await.unwrap();
    assert!(refused.starts_with("452 4.3.1"), "{refused}");
    assert!(
        receiver.buffered_bytes() < 700_000,
        "the refused DATA is not kept"
    );
    a.send(b".\r\n").await.unwrap();
    assert!(a.reply().await.unwrap().starts_with("250 "));
    let seen = mxlens_tests::receiver::events(&server, &first_id).await;
    assert_eq!(seen.last().unwrap().0, "report", "{seen:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while receiver.buffered_bytes() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(receiver.buffered_bytes(), 0, "given back after the report");
    // The refused address is still live: a retry (on a new connection:
    // this one has timed out meanwhile) is taken.
    drop(b);
    let mut b = in_transaction(&server, &second).await;
    b.expect("DATA", "354").await;
    b.send(b"Subject: b\r\n\r\nhello\r\n.\r\n").await.unwrap();
    assert!(b.reply().await.unwrap().starts_with("250 "));
}

/// RFC 5321 §4.5.1: mail to the postmaster, bare or at the test domain, is
/// accepted (and discarded: the receiver keeps no mailbox), while other
/// local parts and the postmaster of another domain stay refused.
#[tokio::test(flavor = "multi_thread")]
async fn receiver_accepts_mail_for_the_postmaster() {
    let dns = TestDns::start(&[]).await.unwrap();
    let server = hostile_server(&dns, &[]).await;
    for to in [
        "postmaster@test.example",
        "Postmaster",
        "POSTMASTER@Test.Example",
    ] {
        let mut c = in_transaction(&server, to).await;
        c.expect("DATA", "354").await;
        c.send(b"From: a@client.test\r\nSubject: abuse report\r\n\r\nhello\r\n.\r\n")
            .await
            .unwrap();
        let done = c.reply().await.unwrap();
        assert!(done.starts_with("250 "), "{to}: {done}");
        c.expect("QUIT", "221").await;
    }
    let (mut c, _) = RawSmtp::connect(server.smtp_addr.unwrap()).await.unwrap();
    c.expect("EHLO client.test", "250-").await;
    c.expect("MAIL FROM:<a@client.test>", "250 ").await;
    c.expect("RCPT TO:<postmaster@elsewhere.test>", "550 5.1.1")
        .await;
    c.expect("RCPT TO:<abuse@test.example>", "550 5.1.1").await;
    c.expect("DATA", "503").await;
}
