//! Header hygiene: the RFC 5322 §3.6 rules on the origination and
//! identification fields, plus the deception heuristics filters apply to
//! them (display-name spoofing, fake "Re:" subjects).
//!
//! Check ids: `msg.from`, `msg.date`, `msg.message-id`,
//! `msg.single-headers`, `msg.reply-to`, `msg.display-name-spoof`,
//! `msg.fake-reply`.

use mail_parser::{Address, Message};

use crate::org_domain::organizational_domain;
use crate::report::{Check, Status};

mod date;
mod message_id;

pub use date::{check_date, parse_rfc5322_date, ParsedDate};
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

/// Runs every hygiene check on a parsed message (headers only is enough).
/// `generated_at_unix` is "now" in Unix seconds, used for the future-date test.
pub fn checks(msg: &Message<'_>, generated_at_unix: i64) -> Vec<Check> {
    vec![
        check_from(msg),
        check_date(msg, generated_at_unix),
        check_message_id(msg),
        check_single_headers(msg),
        check_reply_to(msg),
        check_display_name_spoof(msg),
        check_fake_reply(msg),
    ]
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

// ---------------------------------------------------------------------------
// msg.reply-to

/// The first From address and its domain, when there is one.
fn from_address(msg: &Message<'_>) -> Option<(Option<String>, String, String)> {
    let addr = msg.from()?.iter().find(|a| a.address.is_some())?;
    let address = addr.address.as_deref()?.trim().to_string();
    let domain = address_domain(&address)?;
    Some((addr.name.as_deref().map(str::to_string), address, domain))
}

/// `msg.reply-to`: info when Reply-To points into another organizational
/// domain than From (PSL organizational domains, RFC 7489 §3.2).
pub fn check_reply_to(msg: &Message<'_>) -> Check {
    let Some(reply_to) = msg.reply_to() else {
        return Check::new("msg.reply-to", Status::NotApplicable, "No Reply-To header.");
    };
    let from = from_address(msg);
    let addresses: Vec<String> = reply_to
        .iter()
        .filter_map(|a| a.address.as_deref().map(|s| s.trim().to_string()))
        .collect();
    if addresses.is_empty() {
        return Check::new(
            "msg.reply-to",
            Status::Info,
            "Reply-To holds no parsable address.",
        );
    }
    let Some((_, from_addr, from_domain)) = from else {
        return Check::new(
            "msg.reply-to",
            Status::Info,
            format!(
                "Reply-To: {} (no From domain to compare).",
                addresses.join(", ")
            ),
        );
    };
    let from_org = organizational_domain(&from_domain);
    let foreign: Vec<String> = addresses
        .iter()
        .filter_map(|a| {
            let d = address_domain(a)?;
            let org = organizational_domain(&d);
            (org != from_org).then(|| format!("{a} (organization {org})"))
        })
        .collect();
    if foreign.is_empty() {
        Check::new(
            "msg.reply-to",
            Status::Pass,
            format!(
                "Reply-To {} is in the same organization as From {from_addr} ({from_org}).",
                addresses.join(", ")
            ),
        )
    } else {
        Check::new(
            "msg.reply-to",
            Status::Info,
            format!(
                "Replies go to another organization than From {from_addr} ({from_org}): {}. Normal for ESPs and help desks; also a phishing pattern.",
                foreign.join(", ")
            ),
        )
    }
}

// ---------------------------------------------------------------------------
// msg.display-name-spoof

/// Addresses (`x@y.z`) embedded in a display name, lower case. Full-width
/// and small at signs (U+FF20, U+FE6B) count as `@`.
pub fn addresses_in_display_name(name: &str) -> Vec<String> {
    let normalised = name.replace(['\u{FF20}', '\u{FE6B}'], "@");
    let is_local = |c: char| c.is_alphanumeric() || ".!#$%&'*+-/=?^_`{|}~".contains(c);
    let is_domain = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    let chars: Vec<char> = normalised.chars().collect();
    let mut found = Vec::new();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && is_local(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_domain(chars[end]) {
            end += 1;
        }
        let local: String = chars[start..at].iter().collect();
        let domain: String = chars[at + 1..end].iter().collect();
        let domain = domain.trim_end_matches(['.', '-']);
        let local = local.trim_start_matches('.');
        if !local.is_empty() && domain.contains('.') {
            found.push(crate::text::lower(&format!("{local}@{domain}")));
        }
    }
    found
}

/// `msg.display-name-spoof`: the From display name holds an address other
/// than the real one (RFC 5322 §3.4 display-name).
pub fn check_display_name_spoof(msg: &Message<'_>) -> Check {
    let Some((name, address, domain)) = from_address(msg) else {
        return Check::new(
            "msg.display-name-spoof",
            Status::NotApplicable,
            "No From address to compare.",
        );
    };
    let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
        return Check::new(
            "msg.display-name-spoof",
            Status::Pass,
            format!("From <{address}> has no display name."),
        );
    };
    let embedded = addresses_in_display_name(&name);
    let real = crate::text::lower(&address);
    let others: Vec<&String> = embedded.iter().filter(|e| **e != real).collect();
    if others.is_empty() {
        return Check::new(
            "msg.display-name-spoof",
            Status::Pass,
            format!("The display name \"{name}\" holds no other address."),
        );
    }
    let real_org = organizational_domain(&domain);
    let foreign: Vec<&&String> = others
        .iter()
        .filter(|e| address_domain(e).map(|d| organizational_domain(&d)) != Some(real_org.clone()))
        .collect();
    let fix = "Use a display name without an address in it, or with the same address.";
    if foreign.is_empty() {
        Check::new(
            "msg.display-name-spoof",
            Status::Warn,
            format!(
                "The display name \"{name}\" shows {} but the message is from {address} (same organization, different mailbox).",
                others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
        .with_fix(fix)
    } else {
        Check::new(
            "msg.display-name-spoof",
            Status::Fail,
            format!(
                "The display name \"{name}\" shows {} but the message is really from {address} ({real_org}): a display-name spoof.",
                foreign.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
        .with_fix(fix)
    }
}

// ---------------------------------------------------------------------------
// msg.fake-reply

/// Reply and forward prefixes in common languages (lower case, without the colon).
const REPLY_PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "tr", "rv", "sv", "vs", "antw", "odp", "res", "enc", "r", "rif",
    "i", "vl", "ynt", "ilt", "回复", "答复", "转发", "回覆", "轉寄", "返信", "転送",
];

/// The forward prefixes among [`REPLY_PREFIXES`] (English, German WG, French
/// TR, Spanish RV, Italian I, Finnish VL, Portuguese ENC, Turkish İLT, CJK).
const FORWARD_PREFIXES: &[&str] = &[
    "fw", "fwd", "wg", "tr", "rv", "i", "vl", "enc", "ilt", "转发", "轉寄", "転送",
];

/// True when `prefix` (as returned by [`reply_prefix`]) marks a forward
/// rather than a reply. Some mail clients omit References on forwards.
pub fn is_forward_prefix(prefix: &str) -> bool {
    FORWARD_PREFIXES.contains(&crate::text::lower(prefix.trim_end_matches(':')).as_str())
}

/// The reply/forward prefix the subject starts with, if any (e.g. `Re:`,
/// `RE :`, `Fwd[2]:`, `AW:`, `TR:`, full-width colon).
pub fn reply_prefix(subject: &str) -> Option<String> {
    let s = subject.trim_start();
    let word_end = s
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(s.len(), |(i, _)| i);
    let word = &s[..word_end];
    if word.is_empty() || !REPLY_PREFIXES.contains(&crate::text::lower(word).as_str()) {
        return None;
    }
    let mut rest = &s[word_end..];
    // Optional counter: "Re[2]:" or "Re(2):" or "Re^2:".
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(r) = rest.strip_prefix(open) {
            if let Some(end) = r.find(close) {
                if r[..end].chars().all(|c| c.is_ascii_digit()) {
                    rest = &r[end + close.len_utf8()..];
                }
            }
        }
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.starts_with(':') || rest.starts_with('\u{FF1A}') {
        Some(format!("{word}:"))
    } else {
        None
    }
}

/// `msg.fake-reply`: a subject starting with Re:/Fwd: (or a localised form)
/// without In-Reply-To or References (RFC 5322 §3.6.4).
pub fn check_fake_reply(msg: &Message<'_>) -> Check {
    let Some(subject) = msg.subject() else {
        return Check::new(
            "msg.fake-reply",
            Status::NotApplicable,
            "No Subject header.",
        );
    };
    let Some(prefix) = reply_prefix(subject) else {
        return Check::new(
            "msg.fake-reply",
            Status::Pass,
            "The subject does not claim to be a reply or forward.",
        );
    };
    let has_in_reply_to = count_headers(msg, "In-Reply-To") > 0;
    let has_references = count_headers(msg, "References") > 0;
    if has_in_reply_to || has_references {
        let which = match (has_in_reply_to, has_references) {
            (true, true) => "In-Reply-To and References",
            (true, false) => "In-Reply-To",
            _ => "References",
        };
        return Check::new(
            "msg.fake-reply",
            Status::Pass,
            format!("The subject starts with \"{prefix}\" and the message has {which}: a genuine reply or forward."),
        );
    }
    let thread_index = count_headers(msg, "Thread-Index") > 0;
    let detail = format!(
        "The subject \"{subject}\" starts with \"{prefix}\" but there is no In-Reply-To or References header{}; filters and the FTC treat fake replies as deceptive.{}",
        if thread_index {
            " (only Outlook's Thread-Index, which is not an RFC 5322 reference)"
        } else {
            ""
        },
        if is_forward_prefix(&prefix) {
            " Some mail clients omit References on forwards: if a person really forwarded this message, ignore this."
        } else {
            ""
        }
    );
    Check::new("msg.fake-reply", Status::Warn, detail).with_fix(
        "Do not prefix subjects with Re:/Fwd: unless the message really is a reply or forward.",
    )
}

#[cfg(test)]
mod tests;
