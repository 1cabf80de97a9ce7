//! Tests of the received module (a file of their own, so that the module
//! stays under the 600-line guard rail of #18).

use super::*;

#[test]
fn gmail_outlook_and_postfix_stamps() {
    let r = parse_received("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id a1sor123.2025.07.01.10.00.00\r\n        for <bob@example.org>\r\n        (Google Transport Security);\r\n        Tue, 01 Jul 2025 10:00:01 -0700 (PDT)");
    assert_eq!(r.from_ip, Some("209.85.220.41".parse().unwrap()));
    assert_eq!(r.by, Some(Host::Name("mx.google.com")));
    assert_eq!(r.for_, Some("bob@example.org"));
    assert_eq!(r.with, Some(Protocol::Smtps));
    assert_eq!(r.tls(), Some(true));
    assert_eq!(r.date.unwrap().to_rfc3339(), "2025-07-01T10:00:01-07:00");

    let r = parse_received("from DB6PR07MB3286.eurprd07.prod.outlook.com (10.175.233.33) by DB6PR07MB3384.eurprd07.prod.outlook.com (10.175.234.11) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1143.11; Thu, 13 Sep 2018 14:47:44 +0000");
    assert_eq!(r.tls_version, Some(TlsVersion::Tls1_2));
    assert_eq!(r.tls(), Some(true));

    let r = parse_received("from a.example (a.example [192.0.2.1]) by b.example (Postfix) with ESMTP id X; Tue, 1 Jul 2025 10:00:00 +0000");
    assert_eq!(r.tls(), Some(false));
    let r = parse_received("from mx.example ([192.0.2.7]) by mail.example.org with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.97) id 1uWa; Tue, 01 Jul 2025 10:00:00 +0000");
    assert_eq!(r.tls_version, Some(TlsVersion::Tls1_3));
    assert_eq!(r.tls_cipher, Some("TLS_AES_256_GCM_SHA384"));
    let r = parse_received("from a by b with UTF8SMTPS; Tue, 1 Jul 2025 10:00:00 +0000");
    assert_eq!(r.with, Some(Protocol::Utf8Smtps));
    assert_eq!(r.tls(), Some(true));
}

#[test]
fn total_on_garbage() {
    for s in [
        "",
        ";",
        "((((",
        "[[[",
        "from",
        "by [",
        "\u{FFFD}:::::::::",
        "é;é",
    ] {
        let _ = lint_received(s);
    }
}

/// The text after the last top-level `;`, as a second scan of the value's
/// bytes found it before the tokenizer kept track of it.
fn date_part(value: &str) -> Option<&str> {
    let mut depth = 0u32;
    let mut quoted = false;
    let mut last = None;
    for (i, b) in value.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'(' if !quoted => depth = depth.saturating_add(1),
            b')' if !quoted => depth = depth.saturating_sub(1),
            b';' if !quoted && depth == 0 => last = Some(i),
            _ => {}
        }
    }
    last.map(|i| &value[i + 1..])
}

proptest::proptest! {
    /// The tokenizer's last top-level `;` is the byte scan's.
    #[test]
    fn date_text_is_the_byte_scans(value in "[a1 ;:()\\[\\]\"<>=,é]{0,40}") {
        proptest::prop_assert_eq!(parse_with_date(&value).1, date_part(&value));
    }
}
