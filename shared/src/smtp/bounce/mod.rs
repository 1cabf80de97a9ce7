//! The bounce reader: one entry point for every surface (the message
//! report, the "Explain an SMTP error" box, `mxlens headers`, `POST
//! /api/analyze`). It reads a delivery status notification (RFC 3464 inside
//! an RFC 6522 `multipart/report`, also when forwarded as `message/rfc822`),
//! the text formats real mail systems write (one small recogniser per
//! family, [`recognise`]), or a bare SMTP reply, and gives per failed
//! recipient the codes, the server's words, a reason class
//! ([`reason`]), who must act and the next step ([`advice`]).
//!
//! Auto-replies (RFC 3834) are not bounces. The reader is total: any bytes
//! give a bounce or `None`, never a panic, in time linear in the input
//! (texts are capped at [`input::MAX_TEXT`]).
//!
//! ```
//! let raw = b"From: MAILER-DAEMON@mx.example.org\r\nSubject: failure notice\r\n\r\n\
//! Hi. This is the qmail-send program at mx.example.org.\r\n\
//! I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n\
//! <bob@example.net>:\r\n192.0.2.25 does not like recipient.\r\n\
//! Remote host said: 550 5.1.1 <bob@example.net>: User unknown\r\n";
//! let bounce = mxlens_shared::smtp::bounce::read(raw).unwrap();
//! let r = &bounce.recipients[0];
//! assert_eq!(r.recipient.as_deref(), Some("bob@example.net"));
//! assert_eq!((r.reply_code, r.status.as_deref()), (Some(550), Some("5.1.1")));
//! assert_eq!(r.reason.as_str(), "userunknown");
//! assert_eq!(r.who_must_act.as_str(), "sender");
//! ```

mod advice;
pub mod dsn;
mod input;
mod original;
pub(crate) mod reason;
mod recognise;
pub(crate) mod text;

use mail_parser::Message;

pub use self::dsn::{delivery_status, parse_delivery_status, DeliveryStatus, RecipientStatus};
use self::input::Input;
use self::text::{clean_address, codes_in, parse_status, specificity};
use crate::report::{
    BounceAction, BounceKind, BounceReport, BouncedRecipient, Check, Reason, Status,
};
use crate::smtp::codes::{explain, reply_check};

/// The SMTP command a server refused, when the bounce says (RFC 5321 §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    /// The greeting (before any command).
    Connect,
    /// HELO or EHLO.
    Helo,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA or the end of data.
    Data,
}

/// What a recogniser read about one recipient, before classification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Finding {
    /// The recipient address.
    pub recipient: Option<String>,
    /// The server's words (folded lines joined).
    pub diagnostic: String,
    /// The enhanced status code, when the format gives one apart from the text.
    pub status: Option<String>,
    /// The reply code, when the format gives one apart from the text.
    pub reply_code: Option<u16>,
    /// The server that refused.
    pub remote_mta: Option<String>,
    /// The command it refused.
    pub command: Option<Command>,
    /// Failed or delayed, when the format says.
    pub action: Option<BounceAction>,
    /// The reason the format's own words name, when the recogniser knows.
    pub hint: Option<Reason>,
}

/// How deep forwarded bounces are unwrapped.
const MAX_DEPTH: u8 = 3;

/// Most recipients read from one bounce: real ones list a handful; a
/// hostile paste with thousands of addresses is cut here.
pub const MAX_RECIPIENTS: usize = 100;

/// Reads a paste: a whole message (a bounce, or a message forwarding one),
/// a bounce's text without headers, or a bare SMTP reply. `None` when it is
/// not a bounce.
pub fn read(raw: &[u8]) -> Option<BounceReport> {
    read_at(raw, 0)
}

fn read_at(raw: &[u8], depth: u8) -> Option<BounceReport> {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(input::MAX_TEXT)]);
    if looks_like_bare_reply(&text) {
        return read_input(&Input::from_text(&text), depth);
    }
    let parsed = crate::message::input::message_parser().parse(raw);
    match parsed {
        Some(msg) if has_message_headers(&msg) => read_message_at(&msg, depth),
        _ => read_input(&Input::from_text(&text), depth),
    }
}

/// True when mail-parser found real message headers, not DSN fields
/// (`Final-Recipient:`…) of a pasted delivery-status body.
fn has_message_headers(msg: &Message<'_>) -> bool {
    msg.headers().iter().any(|h| {
        matches!(
            h.name.as_str().to_ascii_lowercase().as_str(),
            "from"
                | "to"
                | "subject"
                | "date"
                | "received"
                | "message-id"
                | "return-path"
                | "mime-version"
                | "content-type"
        )
    })
}

/// Reads a message already parsed with mail-parser (`MessageParser::parse`,
/// with the body).
pub fn read_message(msg: &Message<'_>) -> Option<BounceReport> {
    read_message_at(msg, 0)
}

fn read_message_at(msg: &Message<'_>, depth: u8) -> Option<BounceReport> {
    let input = Input::from_message(msg);
    read_input(&input, depth)
}

/// Reads text with no header block: a bounce's body, DSN fields, or SMTP
/// reply lines.
pub fn read_text(text: &str) -> Option<BounceReport> {
    read_input(&Input::from_text(text), 0)
}

fn read_input(input: &Input, depth: u8) -> Option<BounceReport> {
    let (format, from_text) = recognise::read(input);
    let dsn = input.dsn.clone().or_else(|| dsn_in_body(input));
    let from_dsn = dsn.as_ref().map(dsn_findings).unwrap_or_default();
    // A bounce forwarded inside this message (attached, or pasted into
    // its text) wins over what this message's own words only hint at.
    let has_codes = from_text.iter().any(|f| {
        f.status.is_some()
            || f.reply_code.is_some()
            || codes_in(&f.diagnostic) != text::Codes::default()
    });
    if from_dsn.is_empty() && !has_codes && depth < MAX_DEPTH {
        let embedded = input
            .original_start()
            .map(|at| input.body.as_bytes()[at..].to_vec());
        for inner in input.attached.iter().chain(embedded.iter()) {
            if let Some(mut found) = read_at(inner, depth + 1).filter(|b| !b.recipients.is_empty())
            {
                found.kind = BounceKind::Forwarded;
                return Some(found);
            }
        }
    }
    let (kind, findings, format) = if !from_dsn.is_empty() {
        (
            BounceKind::Dsn,
            merge(from_dsn, from_text),
            format.unwrap_or("rfc3464"),
        )
    } else if !from_text.is_empty() {
        (BounceKind::Text, from_text, format.unwrap_or("text"))
    } else {
        if recognise::autoreply::is_auto_reply(input)
            || (input.has_headers && !input.looks_like_bounce())
        {
            return None;
        }
        let found = recognise::generic(input);
        if found.is_empty() {
            return None;
        }
        (BounceKind::Text, found, "text")
    };
    let reporting_mta = dsn
        .as_ref()
        .and_then(|d| d.reporting_mta.clone())
        .or_else(|| daemon_host(&input.sender_lower()));
    let mut bounce = BounceReport {
        kind,
        reporting_mta,
        recipients: findings
            .iter()
            .take(MAX_RECIPIENTS)
            .map(recipient)
            .collect(),
        format: Some(format.to_string()),
        original: original::read(input),
    };
    if kind != BounceKind::Dsn && is_forwarded_subject(input.subject()) {
        bounce.kind = BounceKind::Forwarded;
    }
    Some(bounce)
}

/// DSN fields written into a text part (some systems print their
/// delivery-status fields in the text), when they name a recipient.
fn dsn_in_body(input: &Input) -> Option<DeliveryStatus> {
    let report = input.report();
    if !text::contains_ci(report, "final-recipient:") {
        return None;
    }
    let parsed = parse_delivery_status(report);
    (!parsed.recipients.is_empty()).then_some(parsed)
}

/// The failed and delayed recipients of a DSN. Delivered, relayed and
/// expanded ones are successes (RFC 3464 §2.3.3), not bounces.
fn dsn_findings(dsn: &DeliveryStatus) -> Vec<Finding> {
    dsn.recipients
        .iter()
        .filter_map(|r| {
            let action = match r.action.as_deref().map(str::trim) {
                Some("delayed") => BounceAction::Delayed,
                Some("delivered" | "relayed" | "expanded") => return None,
                _ => BounceAction::Failed,
            };
            let raw = r.diagnostic_code.as_deref().unwrap_or_default();
            let mut diagnostic = dsn::strip_type(raw);
            if diagnostic.is_empty() {
                diagnostic = r.status_comment.clone().unwrap_or_default();
            }
            // `X-Unix; 75`: a local delivery program's exit status (sysexits.h).
            let local_program = raw.trim_start().to_ascii_lowercase().starts_with("x-unix");
            Some(Finding {
                recipient: r
                    .final_recipient
                    .as_deref()
                    .and_then(clean_address)
                    .or_else(|| r.original_recipient.as_deref().and_then(clean_address)),
                status: r.status.clone().filter(|s| parse_status(s).is_some()),
                remote_mta: r.remote_mta.clone().filter(|m| !m.is_empty()),
                command: text::command_in(&diagnostic),
                diagnostic,
                action: Some(action),
                hint: local_program.then_some(Reason::MailerError),
                ..Finding::default()
            })
        })
        .collect()
}

/// The DSN's recipients, completed from what the text says about each
/// (the same address, or the only one on both sides).
fn merge(mut dsn: Vec<Finding>, from_text: Vec<Finding>) -> Vec<Finding> {
    let single = dsn.len() == 1 && from_text.len() == 1;
    for d in &mut dsn {
        let same = from_text.iter().find(|t| {
            single
                || matches!((&t.recipient, &d.recipient), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
        });
        let Some(t) = same else { continue };
        if d.recipient.is_none() {
            d.recipient = t.recipient.clone();
        }
        let dsn_codes = codes_in(&d.diagnostic);
        if d.diagnostic.is_empty()
            || (dsn_codes.reply.is_none() && codes_in(&t.diagnostic).reply.is_some())
        {
            if !d.diagnostic.is_empty() && !t.diagnostic.contains(d.diagnostic.as_str()) {
                d.diagnostic = format!("{} {}", d.diagnostic, t.diagnostic);
            } else {
                d.diagnostic = t.diagnostic.clone();
            }
        }
        d.command = d.command.or(t.command);
        d.hint = d.hint.or(t.hint);
        d.reply_code = d.reply_code.or(t.reply_code);
        if d.remote_mta.is_none() {
            d.remote_mta = t.remote_mta.clone();
        }
        if t.status.as_deref().map_or(0, specificity) > d.status.as_deref().map_or(0, specificity) {
            d.status = t.status.clone();
        }
    }
    dsn
}

/// One finding classified and explained.
fn recipient(f: &Finding) -> BouncedRecipient {
    let in_text = codes_in(&f.diagnostic);
    let reply_code = f.reply_code.or(in_text.reply);
    let class_of_reply = reply_code.map(|r| (r / 100) as u8);
    // A generic DSN Status (5.0.0) gives way to the specific code the
    // server wrote in its reply, of the same class (RFC 3463 §2).
    // The status the server wrote in its reply wins over the DSN's Status
    // field when it says as much and is of the same class: the field is
    // often the reporting MTA's summary (4.4.7 for a message it gave up on).
    let agrees = |t: &str| class_of_reply.is_some_and(|c| t.as_bytes()[0] - b'0' == c);
    let status = match (&f.status, &in_text.status) {
        (Some(s), Some(t))
            if specificity(t) >= specificity(s) && s.as_bytes()[0] == t.as_bytes()[0] =>
        {
            Some(t.clone())
        }
        // A reply whose codes agree wins over a Status of another class.
        (Some(s), Some(t)) if s.as_bytes()[0] != t.as_bytes()[0] && agrees(t) => Some(t.clone()),
        (Some(s), _) => Some(s.clone()),
        (None, Some(t)) => Some(t.clone()),
        (None, None) => None,
    };
    let finding = Finding {
        status: status.clone(),
        ..f.clone()
    };
    let (reason, note) = reason::classify(&finding);
    // The reply code decides permanence (RFC 5321 §4.2.1), the status
    // when there is no reply.
    let class =
        class_of_reply.or_else(|| status.as_deref().and_then(parse_status).map(|(c, _, _)| c));
    let action = f.action.unwrap_or(BounceAction::Failed);
    let permanent = match class {
        Some(c) => c == 5,
        None => action == BounceAction::Failed && reason != Reason::Expired,
    };
    let lower = f.diagnostic.to_lowercase();
    let (who_must_act, next_step, refs) =
        advice::advise(reason, status.as_deref(), &lower, permanent);
    BouncedRecipient {
        recipient: f.recipient.clone(),
        action,
        status,
        reply_code,
        remote_mta: f.remote_mta.clone(),
        diagnostic: Some(f.diagnostic.clone()).filter(|d| !d.is_empty()),
        reason,
        permanent,
        who_must_act,
        next_step,
        refs,
        note,
    }
}

/// The host of a mailer daemon's From (`MAILER-DAEMON@mx.example.org`).
fn daemon_host(from: &str) -> Option<String> {
    let address = text::first_address(from)?;
    let (local, host) = address.rsplit_once('@')?;
    [
        "mailer-daemon",
        "postmaster",
        "mail-daemon",
        "maildaemon",
        "mailer_daemon",
    ]
    .contains(&local.to_ascii_lowercase().as_str())
    .then(|| host.to_string())
}

fn is_forwarded_subject(subject: &str) -> bool {
    let s = subject.trim_start().to_ascii_lowercase();
    ["fwd:", "fw:", "tr:", "wg:", "rv:"]
        .iter()
        .any(|p| s.starts_with(p))
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

/// The checks for a bounce: per recipient, `smtp.reply-code` (the codes
/// explained, RFC 5321 §4.2 and RFC 3463) and `bounce.recipient` (the
/// reason, who must act and the next step); `bounce.original` names the
/// quoted original's sender.
pub fn checks(bounce: &BounceReport) -> Vec<Check> {
    let mut out = Vec::new();
    for r in &bounce.recipients {
        let subject = r.recipient.clone();
        // The server's words when they start with the codes; else the
        // codes read from the bounce, then its words.
        let words = r.diagnostic.clone().unwrap_or_default();
        let reply_text = if looks_like_bare_reply(&words) {
            words
        } else {
            [
                r.reply_code.map(|c| c.to_string()),
                r.status.clone(),
                Some(words),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
        };
        if let Some(e) = explain(&reply_text) {
            let mut c = reply_check(&e);
            if r.action == BounceAction::Delayed && c.status == Status::Fail {
                c.status = Status::Warn;
            }
            c.detail
                .push_str(&format!(" Action: {}.", r.action.as_str()));
            if let Some(mta) = &r.remote_mta {
                c.detail.push_str(&format!(" Remote MTA: {mta}."));
            }
            if bounce.kind == BounceKind::Dsn && !c.refs.iter().any(|x| x == "RFC 3464") {
                c.refs.push("RFC 3464".into());
            }
            out.push(match &subject {
                Some(s) => c.with_subject(s.clone()),
                None => c,
            });
        }
        let status = if r.permanent && r.action == BounceAction::Failed {
            Status::Fail
        } else {
            Status::Warn
        };
        let mut detail = format!(
            "{} Reason: {}. Who must act: {}.",
            r.reason.verdict(),
            r.reason.as_str(),
            r.who_must_act.label()
        );
        if let Some(note) = &r.note {
            detail.push(' ');
            detail.push_str(note);
        }
        let mut c = Check::new("bounce.recipient", status, detail).with_fix(r.next_step.clone());
        c.refs.extend(r.refs.iter().map(|x| x.clone().into()));
        out.push(match &subject {
            Some(s) => c.with_subject(s.clone()),
            None => c,
        });
    }
    if let Some(o) = &bounce.original {
        if let Some(c) = original::check(o) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
