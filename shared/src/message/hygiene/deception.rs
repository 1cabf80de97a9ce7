//! The deception heuristics filters apply to the originator fields: replies
//! that go to another organization than From (`msg.reply-to`), an address
//! in the From display name that is not the real one
//! (`msg.display-name-spoof`), and a "Re:" subject on a message that is no
//! reply (`msg.fake-reply`).

use mail_parser::Message;

use super::{address_domain, count_headers};
use crate::org_domain::organizational_domain;
use crate::report::{Check, Status};

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
    Check::new("msg.fake-reply", Status::Warn, detail).with_catalogue_fix()
}
