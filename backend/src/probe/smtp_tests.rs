//! Tests of `smtp.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;

async fn replies(input: &[u8]) -> Vec<Result<Reply, ReadError>> {
    let (mut client, server) = tokio::io::duplex(256 * 1024);
    client.write_all(input).await.unwrap();
    drop(client);
    let mut conn = SmtpConn::new(server);
    let mut out = Vec::new();
    loop {
        let r = conn.read_reply(Duration::from_secs(1)).await;
        let stop = r.is_err();
        out.push(r);
        if stop {
            return out;
        }
    }
}

#[tokio::test]
async fn reply_reader() {
    let r = replies(b"220-mx.test hi\r\n220 more\r\n250 ok\n").await;
    let first = r[0].as_ref().unwrap();
    assert_eq!(first.code, Some(220));
    assert_eq!(first.lines, ["220-mx.test hi", "220 more"]);
    assert_eq!(r[1].as_ref().unwrap().code, Some(250));
    assert!(matches!(r[2], Err(ReadError::Closed(ref p)) if p.is_empty()));

    let r = replies(b"220\r\n").await;
    assert_eq!(r[0].as_ref().unwrap().code, Some(220));

    let r = replies(b"\x00\xffHTTP/1.1 400 Bad Request\r\n\r\n").await;
    assert_eq!(r[0].as_ref().unwrap().code, None);

    let r = replies(b"250-a\r\n251 b\r\n").await;
    assert_eq!(r[0].as_ref().unwrap().code, None);

    let long = [b'2'; MAX_LINE + 10];
    let r = replies(&long).await;
    assert!(matches!(r[0], Err(ReadError::TooLong)));

    let mut many = Vec::new();
    for _ in 0..2000 {
        many.extend_from_slice(b"250-0123456789012345678901234567890123456789\r\n");
    }
    let r = replies(&many).await;
    assert!(matches!(r[0], Err(ReadError::TooLong)));

    let r = replies(b"220-partial\r\n220-still").await;
    assert!(matches!(r[0], Err(ReadError::Closed(ref p)) if p.contains("still")));
}

#[tokio::test]
async fn guard_refuses_without_connecting() {
    let policy = ConnectPolicy::default();
    let r = probe_mx(
        &policy,
        "mx.test",
        "127.0.0.1".parse().unwrap(),
        &ProbeOptions::default(),
    )
    .await;
    assert!(r.refused_by_guard.is_some());
    assert_eq!(r.connect, Outcome::NotAttempted);
}
