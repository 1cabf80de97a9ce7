//! The SMTP peers themselves: the fault-injecting fake and a real Postfix
//! with STARTTLS, each checked with a raw client.

use std::time::Duration;

use mxlens_tests::pki::TestCa;
use mxlens_tests::smtp::{Behaviour, FakeSmtp, Postfix};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn read_reply(reader: &mut BufReader<TcpStream>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
            .await
            .expect("reply in time")
            .unwrap();
        all.push_str(&line);
        if n == 0 || line.len() < 4 || line.as_bytes()[3] == b' ' {
            return all;
        }
    }
}

#[tokio::test]
async fn fake_behaviours_are_observable() {
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&["mx1.shop.test"]).unwrap();

    let normal = FakeSmtp::start(Behaviour::Normal, "mx1.shop.test", Some(&leaf))
        .await
        .unwrap();
    let mut r = BufReader::new(TcpStream::connect(normal.addr).await.unwrap());
    assert!(read_reply(&mut r).await.starts_with("220 mx1.shop.test"));
    r.get_mut().write_all(b"EHLO probe.test\r\n").await.unwrap();
    assert!(read_reply(&mut r).await.contains("250-STARTTLS"));
    r.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
    assert!(read_reply(&mut r).await.starts_with("220 2.0.0"));

    let g421 = FakeSmtp::start(Behaviour::Greeting421, "mx1.shop.test", None)
        .await
        .unwrap();
    let mut r = BufReader::new(TcpStream::connect(g421.addr).await.unwrap());
    assert!(read_reply(&mut r).await.starts_with("421"));

    let silent = FakeSmtp::start(Behaviour::Silence, "mx1.shop.test", None)
        .await
        .unwrap();
    let mut r = BufReader::new(TcpStream::connect(silent.addr).await.unwrap());
    let mut line = String::new();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), r.read_line(&mut line))
            .await
            .is_err(),
        "the silent server spoke"
    );
    assert_eq!(silent.connection_count(), 1);
}

#[tokio::test]
async fn postfix_greets_and_offers_starttls() {
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&["mx1.shop.test"]).unwrap();
    let postfix = Postfix::start("mx1.shop.test", &leaf).await.unwrap();
    let mut r = BufReader::new(TcpStream::connect(postfix.addr).await.unwrap());
    let banner = read_reply(&mut r).await;
    assert!(
        banner.starts_with("220 mx1.shop.test ESMTP Postfix"),
        "{banner}"
    );
    r.get_mut().write_all(b"EHLO probe.test\r\n").await.unwrap();
    let ehlo = read_reply(&mut r).await;
    assert!(ehlo.contains("250-STARTTLS"), "{ehlo}");
    r.get_mut().write_all(b"QUIT\r\n").await.unwrap();
}
