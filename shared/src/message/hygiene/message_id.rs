//! `msg.message-id`: the RFC 5322 §3.6.4 msg-id syntax, with the UTF-8 of
//! RFC 6532 §3.2.

use mail_parser::Message;

use super::raw_values;
use crate::report::{Check, Status};

fn is_atext(c: char) -> bool {
    // RFC 5322 §3.2.3 atext, plus UTF-8 per RFC 6532 §3.2.
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn is_dot_atom_text(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.chars().all(is_atext))
}

/// Why a Message-ID value is malformed (RFC 5322 §3.6.4 msg-id), or `None`.
/// Returns (problem, is_fatal): fatal problems make the id unusable.
pub fn message_id_problem(value: &str) -> Option<(String, bool)> {
    let trimmed = crate::text::strip_comments(value).text;
    let trimmed = trimmed.trim();
    let inner = match (trimmed.strip_prefix('<'), trimmed.ends_with('>')) {
        (Some(rest), true) => &rest[..rest.len() - 1],
        _ => {
            if trimmed.contains('@') && !trimmed.contains(char::is_whitespace) {
                return Some(("is not enclosed in angle brackets <...>".to_string(), false));
            }
            return Some(("is not of the form <left@right>".to_string(), true));
        }
    };
    let Some((left, right)) = inner.rsplit_once('@') else {
        return Some((
            "has no @ between its left and right parts".to_string(),
            true,
        ));
    };
    if left.is_empty() || right.is_empty() {
        return Some(("has an empty part around the @".to_string(), true));
    }
    if inner.contains(char::is_whitespace) {
        return Some(("contains whitespace".to_string(), true));
    }
    let right_ok = is_dot_atom_text(right)
        || (right.starts_with('[')
            && right.ends_with(']')
            && !right[1..right.len() - 1].contains(['[', ']', '\\']));
    if !is_dot_atom_text(left) {
        // obs-id-left allows a quoted string or local-part forms (RFC 5322 §4.5.4).
        return Some((
            format!("has an obsolete or invalid left part \"{left}\" (RFC 5322 §3.6.4 wants dot-atom-text)"),
            false,
        ));
    }
    if !right_ok {
        return Some((format!("has an invalid right part \"{right}\""), false));
    }
    None
}

/// `msg.message-id`: present and `<left@right>` (RFC 5322 §3.6.4). Gmail
/// refuses mail without a valid Message-ID.
pub fn check_message_id(msg: &Message<'_>) -> Check {
    let values = raw_values(msg, "Message-ID");
    let fix = "Generate a Message-ID of the form `<unique@your-domain>` for every message.";
    let Some(value) = values.first() else {
        return Check::new(
            "msg.message-id",
            Status::Fail,
            "No Message-ID header. RFC 5322 §3.6.4 says every message SHOULD have one, and Gmail rejects messages without a valid one.",
        )
        .with_fix(fix);
    };
    match message_id_problem(value) {
        None => {
            let right = value
                .trim()
                .trim_end_matches('>')
                .rsplit_once('@')
                .map_or("", |(_, r)| r);
            // RFC 5322 §3.6.4 only suggests a domain name on the right; a bare
            // host name is legal but less certain to be unique.
            let note = if !right.contains('.') && !right.starts_with('[') {
                format!(" (the right part \"{right}\" is a host name, not a domain name: legal, but a domain makes the id globally unique)")
            } else {
                String::new()
            };
            Check::new(
                "msg.message-id",
                Status::Pass,
                format!("Message-ID: {value}{note}"),
            )
        }
        Some((problem, true)) => Check::new(
            "msg.message-id",
            Status::Fail,
            format!("Message-ID \"{value}\" {problem}."),
        )
        .with_fix(fix),
        Some((problem, false)) => Check::new(
            "msg.message-id",
            Status::Warn,
            format!("Message-ID \"{value}\" {problem}."),
        )
        .with_fix(fix),
    }
}
