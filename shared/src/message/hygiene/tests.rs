//! Tests of the hygiene module (a file of their own, so that the module
//! stays under the 600-line guard rail of #18).

use super::*;
use mail_parser::MessageParser;

fn run(raw: &str, now: i64) -> Vec<Check> {
    let msg = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("parses");
    checks(&msg, now)
}

fn status_of(checks: &[Check], id: &str) -> Status {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
        .status
}

const NOW: i64 = 1_751_364_000; // 2025-07-01T10:00:00Z

const BASE: &str = "Date: Tue, 1 Jul 2025 10:00:00 +0000\r\nMessage-ID: <abc.123@example.com>\r\nTo: bob@example.net\r\n";

#[test]
fn from_table() {
    let cases: &[(&str, Status)] = &[
        ("From: Alice <alice@example.com>\r\n", Status::Pass),
        ("From: alice@example.com\r\n", Status::Pass),
        ("", Status::Fail),
        (
            "From: a@example.com\r\nFrom: b@example.com\r\n",
            Status::Fail,
        ),
        ("From: a@example.com, b@example.com\r\n", Status::Fail),
        ("From: Alice\r\n", Status::Fail),
        ("From: alice@localhost\r\n", Status::Fail),
        ("From: <@example.com>\r\n", Status::Fail),
        (
            "From: =?utf-8?q?J=C3=B6rg?= <jorg@example.de>\r\n",
            Status::Pass,
        ),
    ];
    for (from, want) in cases {
        let raw = format!("{from}{BASE}Subject: x\r\n\r\nbody");
        let got = status_of(&run(&raw, NOW), "msg.from");
        assert_eq!(got, *want, "input: {from:?}");
    }
}

#[test]
fn date_parser_table() {
    let cases: &[(&str, Option<i64>, bool)] = &[
        ("Tue, 1 Jul 2025 10:00:00 +0000", Some(NOW), false),
        ("1 Jul 2025 10:00:00 +0000", Some(NOW), false),
        ("Tue, 01 Jul 2025 12:00:00 +0200", Some(NOW), false),
        ("Tue, 1 Jul 2025 06:00:00 -0400 (EDT)", Some(NOW), false),
        ("Tue, 1 Jul 2025 10:00:00 GMT", Some(NOW), true),
        ("Tue, 1 Jul 25 10:00:00 +0000", Some(NOW), true),
        ("Wed, 1 Jul 2025 10:00:00 +0000", Some(NOW), true),
        ("Tue, 1 Jul 2025 10:00 +0000", Some(NOW), false),
        ("Tue, 31 Feb 2025 10:00:00 +0000", None, false),
        ("yesterday", None, false),
        ("", None, false),
        ("Tue, 1 Jul 2025 25:00:00 +0000", None, false),
        ("Tue, 1 Jul 2025 10:00:00", None, false),
        ("Tue, 1 Jul 2025 10:00:00 +00", None, false),
        ("2025-07-01T10:00:00Z", None, false),
        ("Tue, 1 Jul 2025 10:00:00 +0000 (UTC)", Some(NOW), false),
        ("Tue 1 Jul 2025 10:00:00 +0000", Some(NOW), true),
    ];
    for (input, ts, noted) in cases {
        let got = parse_rfc5322_date(input);
        match (ts, &got) {
            (Some(t), Ok(p)) => {
                assert_eq!(p.timestamp, *t, "input: {input:?}");
                assert_eq!(
                    !p.notes.is_empty(),
                    *noted,
                    "input: {input:?} notes {:?}",
                    p.notes
                );
            }
            (None, Err(_)) => {}
            _ => panic!("input: {input:?} got {got:?}"),
        }
    }
}

#[test]
fn date_diagnostics_have_spans_and_codes() {
    // input, code, start, end, is_error
    let cases: &[(&str, &str, u32, u32, bool)] = &[
        (
            "Tue, 1 Foo 2025 10:00:00 +0000",
            "date.bad-month",
            7,
            10,
            true,
        ),
        (
            "Wed, 1 Jul 2025 10:00:00 +0000",
            "date.weekday-mismatch",
            0,
            3,
            false,
        ),
        (
            "Tue, 1 Jul 25 10:00:00 +0000",
            "date.obsolete-year",
            11,
            13,
            false,
        ),
        (
            "Tue, 1 Jul 2025 10:00:00 EST",
            "date.obsolete-zone",
            25,
            28,
            false,
        ),
        (
            "Tue, 1 Jul 2025 10:00:00 +0000 junk",
            "date.trailing-text",
            31,
            35,
            false,
        ),
        ("Tue, 1 Jul 2025", "date.missing-part", 15, 15, true),
        ("Tue, 1 Jul 2025 1000 +0000", "date.bad-time", 16, 20, true),
        (
            "(c) Tue, 1 Jul 2025 10:00:00 +9960",
            "date.bad-zone",
            29,
            34,
            true,
        ),
    ];
    for (input, code, start, end, is_error) in cases {
        let d = match parse_rfc5322_date(input) {
            Err(d) => {
                assert!(*is_error, "input: {input:?} unexpected error {d:?}");
                d
            }
            Ok(p) => {
                assert!(!is_error, "input: {input:?} parsed {p:?}");
                p.notes.into_iter().next().expect("a note")
            }
        };
        assert_eq!(
            (d.code, d.span.start, d.span.end),
            (*code, *start, *end),
            "input: {input:?}"
        );
        assert!(d.rfc.starts_with("RFC 5322"), "input: {input:?}");
    }
}

#[test]
fn date_check_table() {
    let cases: &[(&str, Status)] = &[
        ("Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n", Status::Pass),
        ("", Status::Fail),
        ("Date: Tue, 1 Jul 2025 16:30:00 +0000\r\n", Status::Warn),
        ("Date: Fri, 1 Aug 2025 10:00:00 +0000\r\n", Status::Fail),
        ("Date: garbage\r\n", Status::Fail),
        ("Date: Tue, 1 Jul 2025 10:00:00 EST\r\n", Status::Warn),
    ];
    for (date, want) in cases {
        let raw = format!(
            "{date}From: a@example.com\r\nMessage-ID: <a@example.com>\r\nSubject: x\r\n\r\n"
        );
        let got = status_of(&run(&raw, NOW + 6 * 3600), "msg.date");
        assert_eq!(got, *want, "input: {date:?}");
    }
}

#[test]
fn message_id_table() {
    let cases: &[(&str, Option<bool>)] = &[
        ("<abc@example.com>", None),
        ("<CAF=x+y_z@mail.gmail.com>", None),
        ("<a.b@[192.0.2.1]>", None),
        ("abc@example.com", Some(false)),
        ("<abc>", Some(true)),
        ("<abc@localhost>", None),
        ("<\"quoted\"@example.com>", Some(false)),
        ("<a b@example.com>", Some(true)),
        ("", Some(true)),
        ("<@example.com>", Some(true)),
    ];
    for (input, want) in cases {
        let got = message_id_problem(input).map(|(_, fatal)| fatal);
        assert_eq!(got, *want, "input: {input:?}");
    }
}

#[test]
fn single_headers_and_missing_message_id() {
    let raw = "From: a@example.com\r\nSubject: one\r\nSubject: two\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\n\r\n";
    let c = run(raw, NOW);
    assert_eq!(
        status_of(&c, "msg.single-headers"),
        Status::Fail,
        "input: {raw:?}"
    );
    assert_eq!(
        status_of(&c, "msg.message-id"),
        Status::Fail,
        "input: {raw:?}"
    );
}

#[test]
fn reply_to_table() {
    let cases: &[(&str, Status)] = &[
        ("", Status::NotApplicable),
        ("Reply-To: support@mail.example.com\r\n", Status::Pass),
        ("Reply-To: someone@example.net\r\n", Status::Info),
        ("Reply-To: x@example.co.uk\r\n", Status::Info),
    ];
    for (reply_to, want) in cases {
        let raw = format!("From: a@news.example.com\r\n{reply_to}{BASE}Subject: x\r\n\r\n");
        assert_eq!(
            status_of(&run(&raw, NOW), "msg.reply-to"),
            *want,
            "input: {reply_to:?}"
        );
    }
}

#[test]
fn display_name_table() {
    let cases: &[(&str, Status)] = &[
        ("From: Alice <alice@example.com>", Status::Pass),
        ("From: alice@example.com", Status::Pass),
        (
            "From: \"alice@example.com\" <alice@example.com>",
            Status::Pass,
        ),
        ("From: \"ceo@bank.example\" <x@evil.test>", Status::Fail),
        (
            "From: \"PayPal service@paypal.com\" <x@evil.test>",
            Status::Fail,
        ),
        (
            "From: \"billing@example.com\" <noreply@mail.example.com>",
            Status::Warn,
        ),
        (
            "From: \"ceo\u{FF20}bank.example\" <x@evil.test>",
            Status::Fail,
        ),
        (
            "From: \"=?utf-8?q?ceo=40bank.example?=\" <x@evil.test>",
            Status::Fail,
        ),
    ];
    for (from, want) in cases {
        let raw = format!("{from}\r\n{BASE}Subject: x\r\n\r\n");
        assert_eq!(
            status_of(&run(&raw, NOW), "msg.display-name-spoof"),
            *want,
            "input: {from:?}"
        );
    }
}

#[test]
fn reply_prefix_table() {
    let cases: &[(&str, Option<&str>)] = &[
        ("Re: hello", Some("Re:")),
        ("RE : bonjour", Some("RE:")),
        ("Fwd: x", Some("Fwd:")),
        ("FW: x", Some("FW:")),
        ("AW: Termin", Some("AW:")),
        ("TR: document", Some("TR:")),
        ("Re[2]: x", Some("Re:")),
        ("回复：你好", Some("回复:")),
        ("Regarding your account", None),
        ("Reply now", None),
        ("Fwd", None),
        ("", None),
        ("Re-activation: act now", None),
    ];
    for (subject, want) in cases {
        assert_eq!(
            reply_prefix(subject).as_deref(),
            *want,
            "input: {subject:?}"
        );
    }
}

#[test]
fn forward_prefix_table() {
    let cases: &[(&str, bool)] = &[
        ("Fwd:", true),
        ("FW:", true),
        ("WG:", true),
        ("TR:", true),
        ("Re:", false),
        ("AW:", false),
        ("SV:", false),
    ];
    for (prefix, want) in cases {
        assert_eq!(is_forward_prefix(prefix), *want, "input: {prefix:?}");
    }
}

#[test]
fn fake_reply_table() {
    let cases: &[(&str, Status)] = &[
        ("Subject: Re: your invoice\r\n", Status::Warn),
        (
            "Subject: Re: your invoice\r\nIn-Reply-To: <x@example.com>\r\n",
            Status::Pass,
        ),
        (
            "Subject: Fwd: deal\r\nReferences: <x@example.com>\r\n",
            Status::Pass,
        ),
        ("Subject: Weekly news\r\n", Status::Pass),
        ("", Status::NotApplicable),
    ];
    for (headers, want) in cases {
        let raw = format!("From: a@example.com\r\n{BASE}{headers}\r\n");
        assert_eq!(
            status_of(&run(&raw, NOW), "msg.fake-reply"),
            *want,
            "input: {headers:?}"
        );
    }
}

#[test]
fn never_panics_on_junk() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\xff\xfe\x00",
        b"From: \r\nDate: \r\nMessage-ID: <\r\nSubject: Re\xff:\r\n\r\n",
        b"From: (((((\r\nDate: Mon, 99 Foo 99999 99:99:99 +9999\r\n\r\n",
        b"Reply-To: @\r\nFrom: \"@@@\" <@>\r\n\r\n",
    ];
    for input in inputs {
        if let Some(msg) = MessageParser::default().parse(*input) {
            let _ = checks(&msg, NOW);
        }
        let _ = parse_rfc5322_date(&String::from_utf8_lossy(input));
    }
}
