//! The original message a bounce quotes: who sent it (From), which domain
//! signed it (DKIM `d=`, RFC 6376 §3.5) and from which IP it left (the
//! oldest public client IP in its Received fields, RFC 5321 §4.4). The
//! sender's domain is the one to audit.

use super::input::Input;
use super::text::clean_address;
use crate::message::chain::is_internal_ip;
use crate::message::input::parse_input;
use crate::message::received::parse_received;
use crate::report::{Check, OriginalMessage, Status};

/// The quoted original's identity, when the bounce quotes its headers.
pub(crate) fn read(input: &Input) -> Option<OriginalMessage> {
    let quoted = match &input.original {
        Some(o) => o.as_str(),
        None => &input.body[input.original_start()?..],
    };
    // Skip the marker line and anything before the first header field.
    let start = quoted
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(0))
        .filter(|&i| looks_like_field(&quoted[i..]))
        .min()?;
    let parsed = parse_input(&quoted.as_bytes()[start..]);
    let value = |name: &str| {
        parsed
            .first(name)
            .map(|f| f.value.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let from = value("from").and_then(|f| clean_address(&f));
    let mut dkim_domains: Vec<String> = Vec::new();
    for sig in parsed.all("dkim-signature") {
        let d = sig
            .value
            .split(';')
            .filter_map(|tag| tag.split_once('='))
            .find(|(name, _)| name.trim() == "d")
            .map(|(_, v)| {
                v.split_whitespace()
                    .collect::<String>()
                    .to_ascii_lowercase()
            });
        if let Some(d) = d.filter(|d| !d.is_empty() && !dkim_domains.contains(d)) {
            dkim_domains.push(d);
        }
    }
    // Received fields are newest first: the sending IP is the oldest hop
    // whose client is on the public Internet.
    let sending_ip = parsed
        .all("received")
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .filter_map(|f| parse_received(&f.value).client_ip())
        .find(|ip| !is_internal_ip(*ip))
        .map(|ip| ip.to_string());
    let original = OriginalMessage {
        from_domain: from
            .as_deref()
            .and_then(|f| f.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase()),
        from,
        subject: value("subject"),
        message_id: value("message-id"),
        dkim_domains,
        sending_ip,
    };
    (original != OriginalMessage::default()).then_some(original)
}

/// True when `text` starts with a header field name and a colon.
fn looks_like_field(text: &str) -> bool {
    let line = text.lines().next().unwrap_or_default();
    match line.split_once(':') {
        Some((name, _)) => {
            !name.is_empty()
                && name.len() < 40
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }
        None => false,
    }
}

/// `bounce.original`: the quoted original's From, DKIM domains and sending
/// IP, and the audit of the sender's domain that explains most refusals.
pub(crate) fn check(o: &OriginalMessage) -> Option<Check> {
    let domain = o.from_domain.as_deref()?;
    let mut detail = format!(
        "The bounce quotes the original message from {}",
        o.from.as_deref().unwrap_or(domain)
    );
    if !o.dkim_domains.is_empty() {
        detail.push_str(&format!(
            ", DKIM-signed by d={}",
            o.dkim_domains.join(", d=")
        ));
    }
    if let Some(ip) = &o.sending_ip {
        detail.push_str(&format!(", sent from {ip}"));
    }
    detail.push('.');
    Some(
        Check::new("bounce.original", Status::Info, detail)
            .with_fix(format!("Audit {domain}: its SPF, DKIM and DMARC records and the sending IP's reputation explain most refusals."))
            .with_subject(domain.to_string()),
    )
}
