//! Unit tests of the bounce reader. The real bounces run in
//! `shared/tests/sisimai.rs`; these pin the behaviours issue 14 names.

use super::*;
use crate::report::WhoMustAct;

const DSN: &str = "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\r\n\
To: alice@example.com\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Date: Tue, 1 Jul 2025 10:00:05 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B1\"\r\n\
\r\n\
--B1\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
This is the mail system at host mail.example.com.\r\n\
\r\n\
<bob@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1\r\n\
    <bob@example.net>: Recipient address rejected: User unknown in local\r\n\
    recipient table (in reply to RCPT TO command)\r\n\
\r\n\
--B1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mail.example.com\r\n\
\r\n\
Final-Recipient: rfc822; bob@example.net\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Remote-MTA: dns; mx.example.net\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected:\r\n\
\tUser unknown in local recipient table\r\n\
\r\n\
Final-Recipient: rfc822; carol@example.org\r\n\
Action: delayed\r\n\
Status: 4.7.1\r\n\
Diagnostic-Code: smtp; 451 4.7.1 Greylisted, see https://example.org/greylist\r\n\
\r\n\
--B1\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
Received: from client.example.com (client.example.com [203.0.113.5])\r\n\
\tby mail.example.com with ESMTPS; Tue, 1 Jul 2025 10:00:00 +0000\r\n\
DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=x; b=y\r\n\
From: Alice <alice@example.com>\r\n\
To: bob@example.net\r\n\
Subject: hello\r\n\
\r\n\
hi\r\n\
--B1--\r\n";

#[test]
fn dsn_gives_each_recipient_with_codes_reason_and_advice() {
    let b = read(DSN.as_bytes()).expect("a bounce");
    assert_eq!(b.kind, BounceKind::Dsn);
    assert_eq!(b.reporting_mta.as_deref(), Some("mail.example.com"));
    assert_eq!(b.recipients.len(), 2);
    let bob = &b.recipients[0];
    assert_eq!(bob.recipient.as_deref(), Some("bob@example.net"));
    assert_eq!(
        (bob.status.as_deref(), bob.reply_code),
        (Some("5.1.1"), Some(550))
    );
    assert_eq!(bob.remote_mta.as_deref(), Some("mx.example.net"));
    assert_eq!(bob.reason, Reason::UserUnknown);
    assert!(bob.permanent);
    assert_eq!(bob.who_must_act, WhoMustAct::Sender);
    assert!(bob
        .diagnostic
        .as_deref()
        .unwrap()
        .contains("User unknown in local recipient table"));
    let carol = &b.recipients[1];
    assert_eq!(carol.action, BounceAction::Delayed);
    assert!(!carol.permanent);
    assert!(carol.refs.iter().any(|r| r == "RFC 6647"), "{carol:?}");
    let original = b.original.as_ref().expect("the quoted original");
    assert_eq!(original.from_domain.as_deref(), Some("example.com"));
    assert_eq!(original.dkim_domains, vec!["example.com"]);
    assert_eq!(original.sending_ip.as_deref(), Some("203.0.113.5"));
    let checks = checks(&b);
    let ids: Vec<&str> = checks.iter().map(|c| c.id.as_ref()).collect();
    assert_eq!(
        ids,
        [
            "smtp.reply-code",
            "bounce.recipient",
            "smtp.reply-code",
            "bounce.recipient",
            "bounce.original"
        ]
    );
    assert_eq!(checks[1].status, Status::Fail);
    assert_eq!(checks[3].status, Status::Warn);
    assert!(checks[4]
        .fix
        .as_deref()
        .unwrap()
        .starts_with("Audit example.com"));
}

/// Input, recipient, status, reply code, reason.
type TextCase<'a> = (&'a str, &'a str, Option<&'a str>, Option<u16>, Reason);

/// The bounce's text formats issue 14 names, each with the expected
/// recipient, status, reply code and reason.
#[test]
fn text_formats_table() {
    let cases: &[TextCase] = &[
        // qmail: the only code is `(#5.1.1)`.
        (
            "From: MAILER-DAEMON@mx.example.org\r\nSubject: failure notice\r\n\r\n\
             Hi. This is the qmail-send program at mx.example.org.\r\n\
             I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n\
             <bob@example.net>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n\
             --- Below this line is a copy of the message.\r\n\r\nFrom: alice@example.com\r\n",
            "bob@example.net",
            Some("5.1.1"),
            None,
            Reason::UserUnknown,
        ),
        // Exim: the failed address on a line of its own; the reply names
        // the sender, who is not the recipient.
        (
            "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\r\nTo: alice@example.com\r\n\
             Subject: Mail delivery failed: returning message to sender\r\n\r\n\
             This message was created automatically by mail delivery software.\r\n\r\n\
             A message that you sent could not be delivered to one or more of its\r\n\
             recipients. This is a permanent error. The following address(es) failed:\r\n\r\n\
             \x20 bob@example.net\r\n\
             \x20   host mx.example.net [192.0.2.25]\r\n\
             \x20   SMTP error from remote mail server after MAIL FROM:<alice@example.com>:\r\n\
             \x20   550 5.7.1 <alice@example.com>: Sender address rejected: Access denied\r\n",
            "bob@example.net",
            Some("5.7.1"),
            Some(550),
            Reason::Rejected,
        ),
        // Gmail's doubled reply code keeps the real status.
        (
            "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n\
             Subject: Delivery Status Notification (Failure)\r\n\r\n\
             Delivery to the following recipient failed permanently:\r\n\r\n\
             \x20    bob@example.net\r\n\r\n\
             Technical details of permanent failure:\r\n\
             Google tried to deliver your message, but it was rejected by the server for the recipient domain example.net.\r\n\
             The error that the other server returned was: 550 550 5.7.1 Message content rejected, UBE (state 18).\r\n",
            "bob@example.net",
            Some("5.7.1"),
            Some(550),
            Reason::SpamDetected,
        ),
        // Amazon SES: `5.1.0 - … 550-'5.2.2 …'` keeps the server's status.
        (
            "From: MAILER-DAEMON@email-bounces.amazonses.com\r\nSubject: Delivery Status Notification (Failure)\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"S\"\r\n\r\n\
             --S\r\nContent-Type: text/plain\r\n\r\nAn error occurred while trying to deliver the mail to the following recipients:\r\nbob@example.net\r\n\
             --S\r\nContent-Type: message/delivery-status\r\n\r\n\
             Final-Recipient: rfc822; bob@example.net\r\nAction: failed\r\nStatus: 5.1.0\r\n\
             Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.2.2 <bob@example.net>... Mailbox Full' (delivery attempts: 0)\r\n\
             --S--\r\n",
            "bob@example.net",
            Some("5.2.2"),
            Some(550),
            Reason::MailboxFull,
        ),
        // Words over codes: a domain that is not reachable is no policy matter.
        (
            "451 4.7.1 <bob@example.net>: Domain is not reachable, try again later",
            "bob@example.net",
            Some("4.7.1"),
            Some(451),
            Reason::NetworkError,
        ),
        // Words over codes: too many recipients is not an unknown user.
        (
            "550 5.1.1 <bob@example.net>: Too many recipients this hour",
            "bob@example.net",
            Some("5.1.1"),
            Some(550),
            Reason::TooManyConn,
        ),
        // A 550 with a 4.4.7 keeps the 4.4.7.
        (
            "550 4.4.7 <bob@example.net>: Message expired, delivery time exceeded",
            "bob@example.net",
            Some("4.4.7"),
            Some(550),
            Reason::Expired,
        ),
    ];
    for (raw, recipient, status, reply, reason) in cases {
        let b = read(raw.as_bytes()).unwrap_or_else(|| panic!("not read: {raw:?}"));
        assert_eq!(b.recipients.len(), 1, "input: {raw:?} got {b:#?}");
        let r = &b.recipients[0];
        assert_eq!(r.recipient.as_deref(), Some(*recipient), "input: {raw:?}");
        assert_eq!(r.status.as_deref(), *status, "input: {raw:?}");
        assert_eq!(r.reply_code, *reply, "input: {raw:?}");
        assert_eq!(r.reason, *reason, "input: {raw:?} got {r:#?}");
    }
}

#[test]
fn words_and_code_disagreeing_is_said() {
    let b = read_text("550 5.1.1 <bob@example.net>: Mailbox full").unwrap();
    let r = &b.recipients[0];
    assert_eq!(r.reason, Reason::MailboxFull);
    let note = r.note.as_deref().expect("a note");
    assert!(
        note.contains("mailboxfull") && note.contains("5.1.1"),
        "{note}"
    );
}

#[test]
fn provider_advice_names_the_page() {
    let cases: &[(&str, Reason, &str)] = &[
        (
            "550-5.7.26 This mail has been blocked because the sender is\r\n550-5.7.26 unauthenticated. Gmail requires all senders to authenticate with\r\n550 5.7.26 either SPF or DKIM. - gsmtp",
            Reason::AuthFailure,
            "support.google.com",
        ),
        (
            "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
            Reason::BadReputation,
            "learn.microsoft.com",
        ),
        (
            "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints",
            Reason::BadReputation,
            "senders.yahooinc.com",
        ),
        (
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
            Reason::Blocked,
            "check.spamhaus.org",
        ),
    ];
    for (text, reason, link) in cases {
        let b = read_text(text).unwrap_or_else(|| panic!("not read: {text:?}"));
        let r = &b.recipients[0];
        assert_eq!(r.reason, *reason, "input: {text:?}");
        assert_eq!(r.who_must_act, WhoMustAct::SenderAdmin, "input: {text:?}");
        assert!(
            r.refs.iter().any(|x| x.contains(link)),
            "input: {text:?} refs {:?}",
            r.refs
        );
    }
}

#[test]
fn forwarded_bounce_is_read_inside_its_wrapper() {
    let raw = format!(
        "From: Alice <alice@example.com>\r\nTo: helpdesk@example.com\r\nSubject: Fwd: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"W\"\r\n\r\n\
         --W\r\nContent-Type: text/plain\r\n\r\nWhy did this bounce?\r\n\
         --W\r\nContent-Type: message/rfc822\r\n\r\n{DSN}\r\n--W--\r\n"
    );
    let b = read(raw.as_bytes()).expect("the forwarded bounce");
    assert_eq!(b.kind, BounceKind::Forwarded);
    assert_eq!(
        b.recipients[0].recipient.as_deref(),
        Some("bob@example.net")
    );
}

#[test]
fn auto_replies_and_plain_mail_are_not_bounces() {
    for raw in [
        "From: bob@example.net\r\nSubject: Out of Office: hello\r\nAuto-Submitted: auto-replied\r\n\r\nI am away until Monday; 550 people wrote.\r\n",
        "From: a@example.com\r\nSubject: We have 550 customers\r\n\r\n550 5.1.1 quoted in a normal mail\r\n",
        "Hello, how are you?",
        "",
    ] {
        assert_eq!(read(raw.as_bytes()), None, "input: {raw:?}");
    }
}

#[test]
fn bare_reply_is_a_text_bounce() {
    let b = read(b"550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown").unwrap();
    assert_eq!(b.kind, BounceKind::Text);
    let r = &b.recipients[0];
    assert_eq!(r.recipient.as_deref(), Some("bob@example.com"));
    assert_eq!(r.reason, Reason::UserUnknown);
    let b = read(b"451 4.7.1 Greylisted, please try again later").unwrap();
    assert_eq!(b.recipients[0].recipient, None);
    assert!(!b.recipients[0].permanent);
}

/// ISO-2022-JP bodies are decoded (mail-parser with `full-charsets`).
#[test]
fn iso_2022_jp_text_is_decoded() {
    // "メールボックスが一杯です" (the mailbox is full) in ISO-2022-JP.
    let japanese: &[u8] = b"\x1b$B%a!<%k%\\%C%/%9$,0lGU$G$9\x1b(B";
    let mut raw = b"From: MAILER-DAEMON@mx.example.jp\r\nSubject: failure notice\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n\
Hi. This is the qmail-send program at mx.example.jp.\r\n\r\n<bob@example.jp>:\r\n"
        .to_vec();
    raw.extend_from_slice(japanese);
    raw.extend_from_slice(b"\r\n");
    let b = read(&raw).unwrap();
    let diagnostic = b.recipients[0].diagnostic.clone().unwrap_or_default();
    assert!(diagnostic.contains("メールボックス"), "{diagnostic:?}");
}

/// Hostile input: thousands of addresses give at most MAX_RECIPIENTS;
/// deep nesting stops at MAX_DEPTH; binary noise gives no panic.
#[test]
fn limits_hold_on_hostile_input() {
    let mut raw = String::from("From: MAILER-DAEMON@mx.example.org\r\nSubject: failure notice\r\n\r\nHi. This is the qmail-send program at mx.\r\n\r\n");
    for i in 0..5000 {
        raw.push_str(&format!(
            "<u{i}@example.net>:\r\n550 5.1.1 no such user\r\n\r\n"
        ));
    }
    let b = read(raw.as_bytes()).unwrap();
    assert_eq!(b.recipients.len(), MAX_RECIPIENTS);
    let mut nested = DSN.to_string();
    for _ in 0..20 {
        nested = format!(
            "From: a@example.com\r\nSubject: Fwd: x\r\nContent-Type: multipart/mixed; boundary=\"N{n}\"\r\n\r\n--N{n}\r\nContent-Type: message/rfc822\r\n\r\n{nested}\r\n--N{n}--\r\n",
            n = nested.len()
        );
    }
    let _ = read(nested.as_bytes());
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = read(&noise);
    let _ = read_text(&String::from_utf8_lossy(&noise));
}

/// A qmail bounce's text pasted without the bounce's own headers: the first
/// header block is the quoted original's, after the bounce's words. The
/// message analysis still reads the bounce (one reader for every surface),
/// not the original as if it were the paste.
#[test]
fn bounce_text_without_headers_is_read_by_the_analysis() {
    let paste = b"Hi. This is the qmail-send program at mx.example.org.\r\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n\
<bob@example.net>:\r\n192.0.2.25 does not like recipient.\r\n\
Remote host said: 550 5.1.1 <bob@example.net>: User unknown\r\n\r\n\
--- Below this line is a copy of the message.\r\n\r\n\
Return-Path: <alice@example.com>\r\nFrom: alice@example.com\r\nTo: bob@example.net\r\n\
Subject: hello\r\n\r\nhi\r\n";
    let report = crate::message::analyze_message(paste, "2026-01-01T00:00:00Z").unwrap();
    let m = report.message.unwrap();
    let b = m.bounce.expect("read as a bounce");
    assert_eq!(
        b.recipients[0].recipient.as_deref(),
        Some("bob@example.net")
    );
    assert_eq!(b.recipients[0].reason, Reason::UserUnknown);
    assert_eq!(
        b.original.and_then(|o| o.from_domain).as_deref(),
        Some("example.com")
    );
    // The quoted original is not taken for the paste's own headers.
    assert_eq!(m.from, None);
    assert!(report.checks.iter().any(|c| c.id == "bounce.recipient"));
    assert!(!report.checks.iter().any(|c| c.id == "msg.from"));
}
