//! Bounces: delivery status notifications (RFC 3464, `multipart/report;
//! report-type=delivery-status` per RFC 6522), non-standard bounce texts,
//! and a bare SMTP error line pasted alone. Each failed recipient becomes a
//! `smtp.reply-code` check explained by [`crate::smtp::codes`].

pub mod dsn;

use mail_parser::{Message, MimeHeaders};

use self::dsn::strip_type;
pub use self::dsn::{delivery_status, parse_delivery_status, DeliveryStatus, RecipientStatus};
use crate::headers::hygiene::raw_values;
use crate::report::{Check, Status};
use crate::smtp::codes::{explain, find_replies, reply_check, ReplyExplanation};

/// Whether the headers say this is a bounce: a multipart/report of type
/// delivery-status, or a message from MAILER-DAEMON/postmaster or with a
/// typical bounce subject.
pub fn is_bounce(msg: &Message<'_>) -> bool {
    if let Some(ct) = msg.content_type() {
        if ct.c_type.eq_ignore_ascii_case("multipart")
            && ct
                .c_subtype
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
        {
            return true;
        }
    }
    let from = raw_values(msg, "From").join(" ").to_ascii_lowercase();
    let subject = msg.subject().unwrap_or_default().to_ascii_lowercase();
    from.contains("mailer-daemon")
        || from.contains("postmaster@")
        || [
            "undelivered mail returned to sender",
            "delivery status notification",
            "mail delivery failed",
            "undeliverable",
            "returned mail",
            "failure notice",
            "delivery failure",
            "delivery has failed",
            "delivery delayed",
        ]
        .iter()
        .any(|s| subject.contains(s))
}

fn recipient_check(r: &RecipientStatus) -> Option<Check> {
    let diagnostic = r.diagnostic_code.as_deref().map(strip_type);
    let explanation: Option<ReplyExplanation> = diagnostic
        .as_deref()
        .and_then(|d| explain(d).or_else(|| find_replies(d).into_iter().next()))
        .or_else(|| r.status.as_deref().and_then(explain));
    let action = r.action.as_deref().unwrap_or("");
    let mut check = match explanation {
        Some(e) => {
            let mut c = reply_check(&e);
            // RFC 3464 §2.3.3: a delivered/relayed/expanded action is not a failure.
            if matches!(action, "delivered" | "relayed" | "expanded") {
                c.status = Status::Info;
                c.fix = None;
            }
            if action == "delayed" && c.status == Status::Fail {
                c.status = Status::Warn;
            }
            if let Some(status) = &r.status {
                if e.enhanced_code.as_deref() != Some(status.as_str()) {
                    c.detail.push_str(&format!(" DSN Status: {status}."));
                }
            }
            c
        }
        None if !action.is_empty() => Check::new(
            "smtp.reply-code",
            if action == "failed" {
                Status::Fail
            } else {
                Status::Info
            },
            format!("The delivery report says Action: {action}, with no status code."),
        ),
        None => return None,
    };
    if !action.is_empty() {
        check.detail.push_str(&format!(" Action: {action}."));
    }
    if let Some(mta) = &r.remote_mta {
        check.detail.push_str(&format!(" Remote MTA: {mta}."));
    }
    if !check.refs.iter().any(|x| x == "RFC 3464") {
        check.refs.push("RFC 3464".to_string());
    }
    let subject = r
        .final_recipient
        .clone()
        .or_else(|| r.original_recipient.clone());
    if let Some(s) = subject {
        check = check.with_subject(s);
    }
    Some(check)
}

/// `smtp.reply-code` checks for a parsed message: one per recipient of a
/// DSN, or one per SMTP reply found in a non-standard bounce's text parts.
/// Returns nothing when the message is not a bounce. Needs the body: parse
/// with `MessageParser::parse`, not `parse_headers`.
pub fn checks(msg: &Message<'_>) -> Vec<Check> {
    if let Some(dsn) = delivery_status(msg) {
        let found: Vec<Check> = dsn.recipients.iter().filter_map(recipient_check).collect();
        if !found.is_empty() {
            return found;
        }
    }
    if !is_bounce(msg) {
        return Vec::new();
    }
    let mut text = String::new();
    for i in 0..msg.text_body_count() {
        if let Some(body) = crate::headers::html_text::body_text(msg, i) {
            text.push_str(&body);
            text.push('\n');
        }
    }
    checks_for_text(&text)
}

/// `smtp.reply-code` checks for raw text: a pasted DSN body, a bounce text
/// or a bare SMTP error line, with or without headers. Use it when the
/// paste has no header block (mail-parser finds no headers) or as the
/// fallback for a bounce. Returns nothing when no reply code is found.
pub fn checks_for_text(raw: &str) -> Vec<Check> {
    let dsn = parse_delivery_status(raw);
    let from_dsn: Vec<Check> = dsn.recipients.iter().filter_map(recipient_check).collect();
    if !from_dsn.is_empty() {
        return from_dsn;
    }
    find_replies(raw)
        .iter()
        .map(|e| {
            let check = reply_check(e);
            match &e.recipient {
                Some(r) => check.with_subject(r.clone()),
                None => check,
            }
        })
        .collect()
}

/// True when the paste is not a message but SMTP reply text: its first
/// non-empty line starts with a reply code (`550 5.1.1 ...`, `421-4.7.0 ...`)
/// or with an enhanced status code alone.
pub fn looks_like_bare_reply(raw: &str) -> bool {
    raw.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|first| explain(first).is_some())
}

/// The `smtp.reply-code` checks for any paste, in one call: a bare reply
/// text (or a paste mail-parser found no headers in) goes through
/// [`checks_for_text`]; a parsed message through [`checks`]. `msg` is the
/// paste parsed with `MessageParser::parse`, `None` when it did not parse.
pub fn checks_for_input(raw: &str, msg: Option<&Message<'_>>) -> Vec<Check> {
    match msg {
        Some(m) if !m.headers().is_empty() && !looks_like_bare_reply(raw) => checks(m),
        _ => checks_for_text(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    const DSN: &str = "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\r\n\
To: alice@example.com\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Date: Tue, 1 Jul 2025 10:00:05 +0000\r\n\
Message-ID: <20250701100005.1234@mail.example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B1\"\r\n\
\r\n\
--B1\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
I'm sorry to have to inform you that your message could not be delivered.\r\n\
\r\n\
--B1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mail.example.com\r\n\
Arrival-Date: Tue, 1 Jul 2025 10:00:01 +0000\r\n\
\r\n\
Final-Recipient: rfc822; bob@example.net\r\n\
Original-Recipient: rfc822;bob@example.net\r\n\
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
--B1--\r\n";

    #[test]
    fn dsn_gives_one_check_per_recipient() {
        let msg = MessageParser::default().parse(DSN.as_bytes()).unwrap();
        assert!(is_bounce(&msg));
        let dsn = delivery_status(&msg).expect("delivery-status part");
        assert_eq!(dsn.reporting_mta.as_deref(), Some("mail.example.com"));
        assert_eq!(dsn.recipients.len(), 2);
        let c = checks(&msg);
        assert_eq!(c.len(), 2, "input: {DSN}");
        assert_eq!(c[0].status, Status::Fail);
        assert_eq!(c[0].subject.as_deref(), Some("bob@example.net"));
        assert!(
            c[0].detail
                .contains("User unknown in local recipient table"),
            "{}",
            c[0].detail
        );
        assert_eq!(c[1].status, Status::Warn);
        assert!(
            c[1].detail.contains("Greylisting") || c[1].detail.contains("greylisting"),
            "{}",
            c[1].detail
        );
    }

    /// Input, expected statuses, expected subjects.
    type TextCase<'a> = (&'a str, &'a [Status], &'a [Option<&'a str>]);

    #[test]
    fn text_table() {
        // input, expected statuses, expected subjects
        let cases: &[TextCase] = &[
            (
                "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
                &[Status::Fail],
                &[Some("bob@example.com")],
            ),
            ("451 4.7.1 Greylisted", &[Status::Warn], &[None]),
            (
                "  421 4.7.0 Try again later, closing connection.\n",
                &[Status::Warn],
                &[None],
            ),
            (
                "Final-Recipient: rfc822; dave@example.net\nAction: failed\nStatus: 5.2.2\n",
                &[Status::Fail],
                &[Some("dave@example.net")],
            ),
            ("Hello, how are you?", &[], &[]),
            ("", &[], &[]),
        ];
        for (input, statuses, subjects) in cases {
            let c = checks_for_text(input);
            let got: Vec<Status> = c.iter().map(|c| c.status).collect();
            assert_eq!(got, *statuses, "input: {input:?}");
            let subj: Vec<Option<&str>> = c.iter().map(|c| c.subject.as_deref()).collect();
            assert_eq!(subj, *subjects, "input: {input:?}");
        }
    }

    #[test]
    fn checks_for_input_table() {
        // input, expected number of reply checks
        let cases: &[(&str, usize)] = &[
            ("550 5.1.1 <bob@example.com>: User unknown", 1),
            ("\n\n451 4.7.1 Greylisted\n", 1),
            ("421-4.7.0 rate limited\n421 4.7.0 try later - gsmtp\n", 1),
            (
                "From: a@example.com\r\nSubject: hi\r\n\r\nbody 550 5.1.1 quoted\r\n",
                0,
            ),
            (DSN, 2),
            ("", 0),
        ];
        for (input, want) in cases {
            let msg = MessageParser::default().parse(input.as_bytes());
            let got = checks_for_input(input, msg.as_ref());
            assert_eq!(got.len(), *want, "input: {input:?} got {got:#?}");
        }
        assert!(looks_like_bare_reply("  550 5.7.1 blocked"));
        assert!(!looks_like_bare_reply("From: a@example.com"));
    }

    #[test]
    fn non_bounce_message_gives_nothing() {
        let raw = "From: a@example.com\r\nSubject: We have 550 customers\r\n\r\n550 5.1.1 quoted in a normal mail";
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert!(checks(&msg).is_empty(), "input: {raw:?}");
    }

    #[test]
    fn plain_text_bounce_falls_back_to_replies() {
        let raw = "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nSubject: Delivery Status Notification (Failure)\r\n\r\nThe response from the remote server was:\r\n550 5.1.1 The email account that you tried to reach does not exist. - gsmtp\r\n";
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let c = checks(&msg);
        assert_eq!(c.len(), 1, "input: {raw:?}");
        assert_eq!(c[0].status, Status::Fail);
    }
}
