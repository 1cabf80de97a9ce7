//! Header hygiene: the RFC 5322 §3.6 rules on the origination and
//! identification fields, plus the deception heuristics filters apply to
//! them (display-name spoofing, fake "Re:" subjects).
//!
//! Check ids: `msg.from`, `msg.date`, `msg.message-id`,
//! `msg.single-headers`, `msg.reply-to`, `msg.display-name-spoof`,
//! `msg.fake-reply`.
//!
//! The date parser is in `date`, the msg-id syntax in `message_id` and the
//! Reply-To, display-name and fake-reply heuristics in `deception`.

use mail_parser::{Address, Message};

use crate::report::{Check, Status};

mod date;
mod deception;
mod message_id;

pub use date::{check_date, parse_rfc5322_date, ParsedDate};
pub use deception::{
    addresses_in_display_name, check_display_name_spoof, check_fake_reply, check_reply_to,
    is_forward_prefix, reply_prefix,
};
pub use message_id::{check_message_id, message_id_problem};

/// The fields RFC 5322 §3.6 (the table in that section) allows at most once.
pub const SINGLE_INSTANCE_HEADERS: &[&str] = &[
    "Date",
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Bcc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
];

/// The header hygiene of one message: its checks, and the verdicts the
/// checklists read from it (CAN-SPAM's header accuracy and subject items).
#[derive(Debug, Clone, PartialEq)]
pub struct Hygiene {
    /// `msg.from`, `msg.date`, `msg.message-id`, `msg.single-headers`,
    /// `msg.reply-to`, `msg.display-name-spoof`, `msg.fake-reply`.
    pub checks: Vec<Check>,
    /// What those checks found, for [`crate::checklists::ChecklistInputs`].
    pub facts: HygieneFacts,
}

/// The verdicts of three hygiene checks, typed, so the checklists never
/// look a check up by its id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HygieneFacts {
    /// Exactly one From header with one valid address (`msg.from` passed).
    pub from_valid: bool,
    /// The display name names another address or domain
    /// (`msg.display-name-spoof` failed or warned); `None` without a From
    /// address to compare.
    pub display_name_spoof: Option<bool>,
    /// A "Re:"/"Fwd:" subject without a thread (`msg.fake-reply` warned);
    /// `None` without a Subject.
    pub fake_reply: Option<bool>,
}

/// Runs every hygiene check on a parsed message (headers only is enough).
/// `generated_at_unix` is "now" in Unix seconds, used for the future-date test.
pub fn analyse(msg: &Message<'_>, generated_at_unix: i64) -> Hygiene {
    let from = check_from(msg);
    let spoof = check_display_name_spoof(msg);
    let fake = check_fake_reply(msg);
    let decided = |c: &Check| c.status != Status::NotApplicable;
    let facts = HygieneFacts {
        from_valid: from.status == Status::Pass,
        display_name_spoof: decided(&spoof)
            .then_some(matches!(spoof.status, Status::Fail | Status::Warn)),
        fake_reply: decided(&fake).then_some(fake.status == Status::Warn),
    };
    Hygiene {
        checks: vec![
            from,
            check_date(msg, generated_at_unix),
            check_message_id(msg),
            check_single_headers(msg),
            check_reply_to(msg),
            spoof,
            fake,
        ],
        facts,
    }
}

/// The checks of [`analyse`] alone.
pub fn checks(msg: &Message<'_>, generated_at_unix: i64) -> Vec<Check> {
    analyse(msg, generated_at_unix).checks
}

// ---------------------------------------------------------------------------
// Raw header access shared by the sibling modules.

/// The unfolded raw values of every top-level header named `name`
/// (case-insensitive), in message order. Unfolding removes the CRLF (or bare
/// LF) before folding whitespace (RFC 5322 §2.2.3). Invalid UTF-8 is replaced.
pub fn raw_values(msg: &Message<'_>, name: &str) -> Vec<String> {
    let raw: &[u8] = msg.raw_message.as_ref();
    msg.headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .map(|h| {
            let start = h.offset_start as usize;
            let end = h.offset_end as usize;
            let bytes = raw.get(start..end.max(start)).unwrap_or_default();
            unfold(&String::from_utf8_lossy(bytes))
        })
        .collect()
}

/// Removes line breaks from a folded value (RFC 5322 §2.2.3) and trims it.
pub fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if ch != '\r' && ch != '\n' {
            out.push(ch);
        }
    }
    out.trim().to_string()
}

/// Number of top-level headers named `name` (case-insensitive).
pub fn count_headers(msg: &Message<'_>, name: &str) -> usize {
    msg.headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .count()
}

/// Every (display name, address) in an address header value, groups flattened.
fn mailboxes<'a>(address: &'a Address<'_>) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    address
        .iter()
        .map(|a| (a.name.as_deref(), a.address.as_deref()))
        .collect()
}

/// The domain of an addr-spec, lower case, without a trailing dot.
pub fn address_domain(address: &str) -> Option<String> {
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('>').trim_end_matches('.');
    let domain = crate::text::lower(domain);
    (!domain.is_empty()).then_some(domain)
}

/// Why an addr-spec is not a usable mailbox, or `None` when it is one.
/// RFC 5322 §3.4.1 addr-spec, with RFC 6532 UTF-8 allowed.
pub fn addr_spec_problem(address: &str) -> Option<&'static str> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Some("has no @");
    };
    if local.is_empty() {
        return Some("has an empty local part");
    }
    if local.chars().any(|c| c.is_whitespace() || c.is_control()) && !local.starts_with('"') {
        return Some("has whitespace in the local part");
    }
    if domain.starts_with('[') && domain.ends_with(']') {
        return None; // domain-literal (RFC 5322 §3.4.1); legal though unusual
    }
    if domain.is_empty() {
        return Some("has an empty domain");
    }
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if !domain.contains('.') {
        return Some("has a domain without a dot (not a fully qualified domain name)");
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Some("has an empty or over-long domain label");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("has a domain label starting or ending with a hyphen");
        }
        if label
            .chars()
            .any(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Some("has an invalid character in the domain");
        }
    }
    None
}

pub use crate::diagnostic::{Diagnostic, Severity, Span};

/// A diagnostic over bytes `start..end` of a header value.
pub(crate) fn diag(
    start: usize,
    end: usize,
    code: &'static str,
    severity: Severity,
    message: impl Into<String>,
    rfc: &'static str,
) -> Diagnostic {
    Diagnostic::new(code, severity, Span::new(start, end), message, rfc)
}

// ---------------------------------------------------------------------------
// msg.from

/// `msg.from`: exactly one From field (RFC 5322 §3.6) holding exactly one
/// valid mailbox, which DMARC needs (RFC 7489 §6.6.1).
pub fn check_from(msg: &Message<'_>) -> Check {
    let count = count_headers(msg, "From");
    let fix = "Send exactly one From header holding one valid address.";
    if count == 0 {
        return Check::new(
            "msg.from",
            Status::Fail,
            "No From header: RFC 5322 §3.6 requires one, and DMARC cannot evaluate the message.",
        )
        .with_fix(fix);
    }
    if count > 1 {
        let values = raw_values(msg, "From").join(" | ");
        return Check::new(
            "msg.from",
            Status::Fail,
            format!("{count} From headers ({values}): RFC 5322 §3.6 allows one; receivers such as Gmail reject the message (RFC 7489 §6.6.1)."),
        )
        .with_fix(fix);
    }
    let raw = raw_values(msg, "From").pop().unwrap_or_default();
    let boxes = msg.from().map(mailboxes).unwrap_or_default();
    let with_address: Vec<_> = boxes
        .iter()
        .filter_map(|(name, addr)| addr.map(|a| (*name, a.trim())))
        .filter(|(_, a)| !a.is_empty())
        .collect();
    match with_address.as_slice() {
        [] => Check::new(
            "msg.from",
            Status::Fail,
            format!("From has no parsable address: \"{raw}\"."),
        )
        .with_fix(fix),
        [(name, address)] => match addr_spec_problem(address) {
            None => {
                let shown = match name {
                    Some(n) if !n.is_empty() => format!("\"{n}\" <{address}>"),
                    _ => format!("<{address}>"),
                };
                Check::new("msg.from", Status::Pass, format!("From: {shown}"))
            }
            Some(problem) => Check::new(
                "msg.from",
                Status::Fail,
                format!("The From address \"{address}\" {problem}."),
            )
            .with_fix(fix),
        },
        many => {
            let list: Vec<_> = many.iter().map(|(_, a)| *a).collect();
            Check::new(
                "msg.from",
                Status::Fail,
                format!(
                    "From holds {} addresses ({}): RFC 5322 allows several only with a Sender header, and DMARC (RFC 7489 §6.6.1) cannot pick one, so Gmail and Yahoo reject it.",
                    list.len(),
                    list.join(", ")
                ),
            )
            .with_fix(fix)
        }
    }
}

// ---------------------------------------------------------------------------
// msg.single-headers

/// `msg.single-headers`: the RFC 5322 §3.6 fields with "max 1" occur at most once.
pub fn check_single_headers(msg: &Message<'_>) -> Check {
    let duplicated: Vec<String> = SINGLE_INSTANCE_HEADERS
        .iter()
        .filter_map(|name| {
            let n = count_headers(msg, name);
            (n > 1).then(|| format!("{name} ×{n}"))
        })
        .collect();
    if duplicated.is_empty() {
        Check::new(
            "msg.single-headers",
            Status::Pass,
            "No single-instance header (Date, From, Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References, Subject) is repeated.",
        )
    } else {
        Check::new(
            "msg.single-headers",
            Status::Fail,
            format!(
                "Repeated headers that RFC 5322 §3.6 allows once: {}.",
                duplicated.join(", ")
            ),
        )
        .with_fix("Remove the duplicated headers at the source; receivers may display one copy and authenticate another.")
    }
}

#[cfg(test)]
mod tests;
