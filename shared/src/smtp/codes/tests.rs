//! Unit tests of the reply explainer.

use super::*;

#[test]
fn each_reply_names_who_must_act() {
    let table = [
        ("250 2.0.0 OK", "Nobody: the server"),
        ("451 4.7.1 Greylisted, try again", "Nobody at first"),
        (
            "550 5.1.1 <bob@example.com>: User unknown",
            "correct the recipient address",
        ),
        ("552 5.2.2 Mailbox full", "The recipient"),
        ("550 5.7.26 Unauthenticated email", "domain owner"),
        ("553 5.1.8 Sender address rejected", "envelope sender"),
        ("521 Host does not accept mail", "does not accept mail"),
    ];
    for (reply, want) in table {
        let e = explain(reply).unwrap_or_else(|| panic!("no explanation for {reply}"));
        assert!(
            e.who_must_act().contains(want),
            "{reply}: {}",
            e.who_must_act()
        );
    }
}

/// Input, basic code, enhanced code, class, text expected in the explanation.
type ExplainCase<'a> = (&'a str, Option<u16>, Option<&'a str>, ReplyClass, &'a str);

#[test]
fn explain_table() {
    // input, basic, enhanced, class, substring expected in cause or meaning
    let cases: &[ExplainCase] = &[
        ("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown", Some(550), Some("5.1.1"), ReplyClass::PermanentFailure, "does not exist"),
        ("451 4.7.1 Greylisted, please try again later", Some(451), Some("4.7.1"), ReplyClass::TransientFailure, "Greylisting"),
        ("550-5.7.26 This mail has been blocked because the sender is\n550-5.7.26 unauthenticated. Gmail requires all senders to authenticate with\n550 5.7.26 either SPF or DKIM. - gsmtp", Some(550), Some("5.7.26"), ReplyClass::PermanentFailure, "DMARC"),
        ("421 4.7.0 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail", Some(421), Some("4.7.0"), ReplyClass::TransientFailure, "rate"),
        ("550 5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level.", Some(550), Some("5.7.515"), ReplyClass::PermanentFailure, "high-volume"),
        ("550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification", Some(550), Some("5.7.509"), ReplyClass::PermanentFailure, "p=reject"),
        ("550 5.7.606 Access denied, banned sending IP [203.0.113.5].", Some(550), Some("5.7.606"), ReplyClass::PermanentFailure, "block list"),
        ("550 5.7.612 Access denied, banned sending IP [203.0.113.5].", Some(550), Some("5.7.612"), ReplyClass::PermanentFailure, "block list"),
        ("451 4.7.650 The mail server [203.0.113.5] has been temporarily rate limited due to IP reputation. (S775)", Some(451), Some("4.7.650"), ReplyClass::TransientFailure, "reputation"),
        ("552 5.2.2 The email account that you tried to reach is over quota.", Some(552), Some("5.2.2"), ReplyClass::PermanentFailure, "over quota"),
        ("452 4.2.2 The email account that you tried to reach is over quota.", Some(452), Some("4.2.2"), ReplyClass::TransientFailure, "over quota"),
        ("552 5.2.3 Your message exceeded Google's message size limits.", Some(552), Some("5.2.3"), ReplyClass::PermanentFailure, "larger"),
        ("550 5.2.1 The email account that you tried to reach is disabled.", Some(550), Some("5.2.1"), ReplyClass::PermanentFailure, "disabled"),
        ("550 5.1.2 Host unknown", Some(550), Some("5.1.2"), ReplyClass::PermanentFailure, "does not exist"),
        ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", Some(550), Some("5.1.10"), ReplyClass::PermanentFailure, "Microsoft"),
        ("550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", Some(550), Some("5.4.1"), ReplyClass::PermanentFailure, "directory-based"),
        ("554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain", Some(554), Some("5.4.4"), ReplyClass::PermanentFailure, "No route"),
        ("451 4.4.1 No answer from host", Some(451), Some("4.4.1"), ReplyClass::TransientFailure, "did not answer"),
        ("421 4.4.2 Connection dropped", Some(421), Some("4.4.2"), ReplyClass::TransientFailure, "dropped"),
        ("550 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org", Some(550), Some("5.7.1"), ReplyClass::PermanentFailure, "blocklist"),
        ("530 5.7.0 Must issue a STARTTLS command first.", Some(530), Some("5.7.0"), ReplyClass::PermanentFailure, "STARTTLS"),
        ("550 5.7.23 SPF validation failed", Some(550), Some("5.7.23"), ReplyClass::PermanentFailure, "SPF"),
        ("550 5.7.25 The IP address sending this message does not have a PTR record setup", Some(550), Some("5.7.25"), ReplyClass::PermanentFailure, "PTR"),
        ("550 5.7.27 sender address has null MX", Some(550), Some("5.7.27"), ReplyClass::PermanentFailure, "null MX"),
        ("450 Requested mail action not taken: mailbox unavailable", Some(450), None, ReplyClass::TransientFailure, "greylisting"),
        ("554 No SMTP service here", Some(554), None, ReplyClass::PermanentFailure, "refuses the connection"),
        ("553 sorry, that domain isn't in my list of allowed rcpthosts", Some(553), None, ReplyClass::PermanentFailure, "not allowed"),
        ("551 User not local; please try <bob@example.net>", Some(551), None, ReplyClass::PermanentFailure, "forward-path"),
        ("521 example.net does not accept mail", Some(521), None, ReplyClass::PermanentFailure, "never accepts"),
        ("556 5.1.10 Recipient address has null MX", Some(556), Some("5.1.10"), ReplyClass::PermanentFailure, "null MX"),
        ("421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes", Some(421), Some("4.7.0"), ReplyClass::TransientFailure, "TSS04"),
        ("553 5.7.2 [TSS09] All messages from 203.0.113.5 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes", Some(553), Some("5.7.2"), ReplyClass::PermanentFailure, "TSS09"),
        ("554 5.7.9 Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes", Some(554), Some("5.7.9"), ReplyClass::PermanentFailure, "DMARC"),
        ("500 5.5.1 Command unrecognized", Some(500), Some("5.5.1"), ReplyClass::PermanentFailure, "command"),
        ("501 5.1.7 Bad sender address syntax", Some(501), Some("5.1.7"), ReplyClass::PermanentFailure, "malformed"),
        ("502 5.5.1 Command not implemented", Some(502), Some("5.5.1"), ReplyClass::PermanentFailure, "command"),
        ("503 5.5.1 Error: need RCPT command", Some(503), Some("5.5.1"), ReplyClass::PermanentFailure, "command"),
        ("504 5.5.4 Unrecognized authentication type", Some(504), Some("5.5.4"), ReplyClass::PermanentFailure, "argument"),
        ("452 4.5.3 Too many recipients", Some(452), Some("4.5.3"), ReplyClass::TransientFailure, "recipients"),
        ("455 4.5.4 Server unable to accommodate parameters", Some(455), Some("4.5.4"), ReplyClass::TransientFailure, "argument"),
        ("5.1.1", None, Some("5.1.1"), ReplyClass::PermanentFailure, "does not exist"),
        ("4.4.7", None, Some("4.4.7"), ReplyClass::TransientFailure, "gave up"),
        ("550 4.1.1 mismatched class", Some(550), None, ReplyClass::PermanentFailure, "mailbox"),
        ("250 2.0.0 OK 1700000000 x1si123 - gsmtp", Some(250), Some("2.0.0"), ReplyClass::Success, ""),
    ];
    for (input, basic, enhanced, class, needle) in cases {
        let e = explain(input).unwrap_or_else(|| panic!("no explanation for input: {input:?}"));
        assert_eq!(e.basic_code, *basic, "input: {input:?}");
        assert_eq!(e.enhanced_code.as_deref(), *enhanced, "input: {input:?}");
        assert_eq!(e.class, *class, "input: {input:?}");
        let all = format!(
            "{} {} {} {}",
            e.basic_meaning, e.enhanced_meaning, e.likely_cause, e.what_to_do
        );
        assert!(
            all.to_lowercase().contains(&needle.to_lowercase()),
            "input: {input:?} lacks {needle:?}: {all}"
        );
        assert!(!e.refs.is_empty(), "input: {input:?}");
    }
}

#[test]
fn rejects_non_replies() {
    for input in [
        "",
        "hello",
        "600 nope",
        "5a0 x",
        "55",
        "2025-07-01",
        "Date: 550",
    ] {
        assert!(explain(input).is_none(), "input: {input:?}");
    }
}

#[test]
fn multiline_is_joined() {
    let input = "550-5.7.26 This mail has been blocked because the sender is\r\n550-5.7.26 unauthenticated.\r\n550 5.7.26 Gmail requires SPF or DKIM. - gsmtp";
    let e = explain(input).unwrap();
    assert!(
        e.text.contains("sender is unauthenticated. Gmail requires"),
        "input: {input:?} got {}",
        e.text
    );
    assert_eq!(e.provider.as_deref(), Some("Gmail"));
}

#[test]
fn find_replies_table() {
    let cases: &[(&str, &[&str])] = &[
        (
            "<bob@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1\n    <bob@example.net>: Recipient address rejected: User unknown in local\n    recipient table (in reply to RCPT TO command)",
            &["550 5.1.1"],
        ),
        ("Diagnostic-Code: smtp; 451 4.7.1 Greylisted, try again in 5 minutes", &["451 4.7.1"]),
        ("Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found'", &["550 5.1.10"]),
        (
            "550-5.7.26 blocked because the sender is\n550-5.7.26 unauthenticated.\n550 5.7.26 gsmtp\nthen later\n421 4.7.0 try again later",
            &["550 5.7.26", "421 4.7.0"],
        ),
        (
            "SMTP error from remote mail server after RCPT TO:<kim@example.net>:\n    550 5.1.1 <kim@example.net>: Recipient address rejected: User unknown",
            &["550 5.1.1"],
        ),
        (
            "<kim@example.net>:\n192.0.2.25 does not like recipient.\nRemote host said: 550 5.1.1 No such user\nGiving up on 192.0.2.25.",
            &["550 5.1.1"],
        ),
        (
            "host mx.example.net [192.0.2.25]: 554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org",
            &["554 5.7.1"],
        ),
        ("We have 550 employees and 5.1 million users", &[]),
        ("Reporting-MTA: dns; mail.example.com\nArrival-Date: Tue, 1 Jul 2025 10:00:00 +0000", &[]),
        ("", &[]),
    ];
    for (input, want) in cases {
        let got: Vec<String> = find_replies(input)
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e.basic_code.map_or(String::new(), |b| b.to_string()),
                    e.enhanced_code.clone().unwrap_or_default()
                )
                .trim()
                .to_string()
            })
            .collect();
        assert_eq!(got, *want, "input: {input:?}");
    }
    let e = &find_replies(cases[0].0)[0];
    assert_eq!(e.recipient.as_deref(), Some("bob@example.net"));
    assert!(e.text.contains("recipient table"), "{}", e.text);
}

#[test]
fn reply_check_statuses() {
    let cases: &[(&str, Status)] = &[
        ("550 5.1.1 unknown", Status::Fail),
        ("451 4.7.1 greylisted", Status::Warn),
        ("250 2.0.0 OK", Status::Info),
    ];
    for (input, want) in cases {
        let c = reply_check(&explain(input).unwrap());
        assert_eq!(c.status, *want, "input: {input:?}");
        assert_eq!(c.id, "smtp.reply-code");
        assert!(
            c.refs.iter().any(|r| r.starts_with("RFC 5321")),
            "input: {input:?}"
        );
    }
}

#[test]
fn never_panics() {
    let inputs = [
        "5",
        "55€",
        "550-",
        "550-€",
        "5.€.1",
        "€550 5.1.1",
        "550 5.1.1\n550-",
        "4.7.",
        "550 9.9.9 x",
        "550 5.1234.1 x",
    ];
    for input in inputs {
        let _ = explain(input);
        let _ = find_replies(input);
    }
}
