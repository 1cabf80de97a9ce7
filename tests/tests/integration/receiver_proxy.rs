//! The receiver behind a load balancer: PROXY protocol v1 and v2 from a
//! trusted peer (`--smtp-proxy-protocol-from`). The loopback client claims
//! 192.0.2.25 (TEST-NET-1) and the test DNS server serves its PTR and the
//! forward A, so the delivery report grades PTR/FCrDNS and SPF for that
//! address for real (hickory answers every 127.in-addr.arpa PTR itself,
//! RFC 6761, so a loopback sender's PTR cannot be served). An untrusted
//! peer's header is not believed, and hostile headers are dropped in
//! bounded time while the receiver stays responsive.

use std::time::{Duration, Instant};

use mxlens_tests::dns::TestDns;
use mxlens_tests::receiver::{
    events, new_address, sender_zone, start_receiver, stored_report, RawSmtp,
};
use mxlens_tests::server::TestServer;
use serde_json::Value;

use super::receiver::check;

/// dkim.test with SPF and an A record for the relay at 192.0.2.25, and the
/// reverse zone naming it.
async fn dns() -> TestDns {
    let forward = sender_zone("ip4:192.0.2.25", "relay IN A 192.0.2.25");
    let reverse = "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n@ IN SOA ns1.dkim.test. hostmaster.dkim.test. ( 1 3600 600 86400 300 )\n@ IN NS ns1.dkim.test.\n25 IN PTR relay.dkim.test.\n";
    TestDns::start(&[("dkim.test", &forward), ("2.0.192.in-addr.arpa", reverse)])
        .await
        .unwrap()
}

async fn server(dns: &TestDns, proxy_from: &str) -> TestServer {
    let extra = [
        "--smtp-command-timeout-secs",
        "1",
        "--smtp-proxy-protocol-from",
        proxy_from,
    ];
    start_receiver(dns, None, &extra).await.unwrap()
}

/// A version 2 PROXY header for a TCP client at `[src]:40002` (IPv6).
fn v2_tcp6(src: std::net::Ipv6Addr) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    h.extend_from_slice(&[0x21, 0x21, 0, 36]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
    h.extend_from_slice(&40002u16.to_be_bytes());
    h.extend_from_slice(&25u16.to_be_bytes());
    h
}

/// Sends the signed corpus message to `to` over a raw connection that
/// opens with `preface`, and returns the report's JSON.
async fn deliver(server: &TestServer, preface: &[u8], to: &str, id: &str) -> Value {
    let (mut c, greeting) = RawSmtp::connect_with_preface(server.smtp_addr.unwrap(), preface)
        .await
        .unwrap();
    assert!(greeting.starts_with("220 "), "{greeting:?}");
    c.expect("EHLO relay.dkim.test", "250").await;
    c.expect("MAIL FROM:<bounce@dkim.test>", "250 ").await;
    c.expect(&format!("RCPT TO:<{to}>"), "250 ").await;
    c.expect("DATA", "354").await;
    let message =
        std::fs::read(mxlens_tests::fixtures_dir().join("dkim/relaxed-2048.eml")).unwrap();
    let text = String::from_utf8(message).unwrap();
    let mut data = String::new();
    for line in text.split("\r\n") {
        // RFC 5321 §4.5.2: a leading dot is doubled.
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    c.send(data.as_bytes()).await.unwrap();
    let reply = c.reply().await.unwrap();
    assert!(reply.starts_with("250 "), "{reply}");
    c.expect("QUIT", "221").await;
    let seen = events(server, id).await;
    assert_eq!(seen.last().unwrap().0, "report", "{seen:?}");
    stored_report(server, id).await
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_proxy_protocol_grades_the_real_client() {
    let dns = dns().await;
    let trusting = server(&dns, "127.0.0.1/32,::1/128").await;

    // Version 1, TCP4: PTR, FCrDNS and SPF are those of 192.0.2.25.
    let (address, id, _) = new_address(&trusting).await;
    let report = deliver(
        &trusting,
        b"PROXY TCP4 192.0.2.25 127.0.0.1 40001 25\r\n",
        &address,
        &id,
    )
    .await;
    let delivery = &report["delivery"];
    assert_eq!(
        delivery["connection"]["client_ip"], "192.0.2.25",
        "{delivery}"
    );
    assert_eq!(delivery["connection"]["client_port"], 40001);
    assert_eq!(delivery["connection"]["proxied_by"], "127.0.0.1");
    assert_eq!(
        delivery["ptr"],
        serde_json::json!(["relay.dkim.test"]),
        "{delivery}"
    );
    assert_eq!(delivery["fcrdns"], true, "{delivery}");
    assert_eq!(check(&report, "sender.ptr")["status"], "pass", "{report}");
    assert_eq!(delivery["spf_mail_from"], "pass", "{delivery}");
    assert!(
        check(&report, "delivery.received")["detail"]
            .as_str()
            .unwrap()
            .contains("through the proxy 127.0.0.1"),
        "{report}"
    );

    // Version 2, TCP over IPv6 (a documentation address): its client.
    let (address, id, _) = new_address(&trusting).await;
    let client: std::net::Ipv6Addr = "2001:db8::25".parse().unwrap();
    let report = deliver(&trusting, &v2_tcp6(client), &address, &id).await;
    let connection = &report["delivery"]["connection"];
    assert_eq!(connection["client_ip"], "2001:db8::25", "{connection}");
    assert_eq!(connection["proxied_by"], "127.0.0.1");
    // SPF is evaluated for the client: 2001:db8::25 is not in ip4:192.0.2.25.
    assert_eq!(report["delivery"]["spf_mail_from"], "fail", "{report}");

    // From an untrusted peer the header is an unknown command, nothing more.
    let other = server(&dns, "192.0.2.0/24").await;
    let (mut c, greeting) = RawSmtp::connect_with_preface(
        other.smtp_addr.unwrap(),
        b"PROXY TCP4 192.0.2.25 127.0.0.1 40001 25\r\n",
    )
    .await
    .unwrap();
    assert!(greeting.starts_with("220 "), "{greeting}");
    let refused = c.reply().await.unwrap();
    assert!(refused.starts_with("500 "), "{refused}");
    let (address, id, _) = new_address(&other).await;
    let report = deliver(&other, b"", &address, &id).await;
    assert_eq!(report["delivery"]["connection"]["client_ip"], "127.0.0.1");
    assert!(report["delivery"]["connection"].get("proxied_by").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_proxy_protocol_hostile_headers_are_dropped_in_bounded_time() {
    let dns = dns().await;
    let trusting = server(&dns, "127.0.0.1/32").await;
    let addr = trusting.smtp_addr.unwrap();
    let mut huge_v2 = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    huge_v2.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
    let long_v1 = [b"PROXY TCP4 ".as_slice(), &[b'1'; 4000]].concat();
    let cases: [(&str, &[u8]); 6] = [
        ("no header, SMTP at once", b"EHLO relay.dkim.test\r\n"),
        ("v1 past 107 octets", &long_v1),
        ("v2 announcing 65,535 octets", &huge_v2),
        ("v1 that never ends (slowloris)", b"PROXY TCP4 192.0.2.25 "),
        ("v2 cut short", &huge_v2[..10]),
        (
            "v1 with a bad address",
            b"PROXY TCP4 192.0.2.999 127.0.0.1 1 25\r\n",
        ),
    ];
    for (what, preface) in cases {
        let started = Instant::now();
        // Dropped without a reply: a close, or a reset when the receiver
        // left bytes of ours unread.
        let greeting = match RawSmtp::connect_with_preface(addr, preface).await {
            Ok((_, greeting)) => greeting,
            Err(e) if e.to_string().contains("reset") => String::new(),
            Err(e) => panic!("{what}: {e}"),
        };
        assert_eq!(greeting, "", "{what}: dropped without a reply");
        // The deadline is the command timeout (1 s here), at most 10 s.
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{what}: {:?}",
            started.elapsed()
        );
    }
    // Many at once hold nothing for long, and a good header still works.
    let idle: Vec<_> = futures::future::join_all((0..50).map(|_| async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut s, b"PROXY ")
            .await
            .unwrap();
        s
    }))
    .await;
    let (mut c, greeting) =
        RawSmtp::connect_with_preface(addr, b"PROXY TCP4 192.0.2.25 127.0.0.1 40001 25\r\n")
            .await
            .unwrap();
    assert!(greeting.starts_with("220 "), "{greeting}");
    c.expect("NOOP", "250 ").await;
    drop(idle);
}
