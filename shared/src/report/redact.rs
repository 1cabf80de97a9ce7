//! Redaction before sharing: replaces the local parts of e-mail addresses
//! and, optionally, IP addresses and the host names seen in the Received
//! chain, in every string of a report. Pure: the backend calls it before a
//! report is stored, the UI before a private link is made.
//!
//! Redaction is best effort over free text (details, fixes and section
//! fields alike): it works on the serialized report, so a field added later
//! is covered without touching this file. Score, grade and statuses are left
//! as they were: redaction hides identities, not findings.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use super::Report;

/// What to redact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedactOptions {
    /// Replace the local part of every e-mail address (`jane@x` → `redacted@x`).
    pub local_parts: bool,
    /// Also replace IP addresses and the host names from the Received chain
    /// with stable placeholders (`ip-1.redacted`, `host-1.redacted`).
    pub network: bool,
}

/// The text that replaces a local part.
pub const REDACTED_LOCAL_PART: &str = "redacted";

/// Redacts a report and returns its JSON value (the form the store keeps).
pub fn redact_report(report: &Report, options: &RedactOptions) -> Value {
    let mut value = serde_json::to_value(report).unwrap_or(Value::Null);
    redact_value(&mut value, options);
    value
}

/// Redacts every string inside a JSON value in place (object keys are left
/// alone). Host names are taken from `message.hops[].{from,by,iprev,helo}`.
pub fn redact_value(value: &mut Value, options: &RedactOptions) {
    if !options.local_parts && !options.network {
        return;
    }
    let mut names = Pseudonyms::default();
    if options.network {
        if let Some(hops) = value
            .pointer("/message/hops")
            .and_then(Value::as_array)
            .cloned()
        {
            for hop in &hops {
                for field in ["from", "by", "iprev", "helo"] {
                    if let Some(host) = hop.get(field).and_then(Value::as_str) {
                        for token in host.split(|c: char| !is_host_char(c)) {
                            let token = token.trim_matches('.');
                            if is_host_name(token) {
                                names.host(token);
                            }
                        }
                    }
                }
            }
        }
        if let Some(helo) = value
            .pointer("/message/envelope_helo")
            .and_then(Value::as_str)
        {
            let helo = helo.trim_matches('.');
            if is_host_name(helo) {
                names.host(helo);
            }
        }
    }
    walk(value, options, &mut names);
}

/// Replaces one e-mail address (matched without regard to case) with
/// `redacted@<its domain>` in every string inside a JSON value: how the
/// address asked about by the mailbox probe (`smtp.rcpt`) is kept out of a
/// stored share link unless its owner opts in. Other addresses are kept.
pub fn redact_address(value: &mut Value, address: &str) {
    let address = address.trim();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return;
    };
    if local.is_empty() || domain.is_empty() {
        return;
    }
    let replacement = format!("{REDACTED_LOCAL_PART}@{domain}");
    let needle = crate::text::lower(address);
    fn replace_all(text: &str, needle: &str, replacement: &str) -> String {
        let lower = crate::text::lower(text);
        // `text::lower` keeps byte lengths; should that ever change,
        // fall back to an exact match rather than risk a misaligned cut.
        if lower.len() != text.len() {
            return text.replace(needle, replacement);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = 0;
        for (at, _) in lower.match_indices(needle) {
            if at < rest {
                continue;
            }
            out.push_str(&text[rest..at]);
            out.push_str(replacement);
            rest = at + needle.len();
        }
        out.push_str(&text[rest..]);
        out
    }
    fn walk_address(value: &mut Value, needle: &str, replacement: &str) {
        match value {
            Value::String(s) => *s = replace_all(s, needle, replacement),
            Value::Array(items) => items
                .iter_mut()
                .for_each(|v| walk_address(v, needle, replacement)),
            Value::Object(map) => map
                .values_mut()
                .for_each(|v| walk_address(v, needle, replacement)),
            _ => {}
        }
    }
    walk_address(value, &needle, &replacement);
}

/// Redacts one string (see [`RedactOptions`]). Each call numbers its own
/// placeholders; use [`redact_value`] for consistent numbering across a report.
pub fn redact_text(text: &str, options: &RedactOptions) -> String {
    let mut names = Pseudonyms::default();
    redact_string(text, options, &mut names)
}

/// Redacts a raw input (pasted headers or message) before it is put in a
/// private link: like [`redact_text`], but with `hosts` (the host names of
/// the Received chain, e.g. from the message report's hops) replaced too when
/// `options.network` is set, so the link's recipient never sees them.
pub fn redact_input(text: &str, hosts: &[&str], options: &RedactOptions) -> String {
    let mut names = Pseudonyms::default();
    if options.network {
        for host in hosts {
            for token in host.split(|c: char| !is_host_char(c)) {
                let token = token.trim_matches('.');
                if is_host_name(token) {
                    names.host(token);
                }
            }
        }
    }
    redact_string(text, options, &mut names)
}

#[derive(Debug, Default)]
struct Pseudonyms {
    ips: BTreeMap<String, String>,
    /// Lower-case host name → placeholder.
    hosts: BTreeMap<String, String>,
}

impl Pseudonyms {
    fn ip(&mut self, ip: &str) -> String {
        let n = self.ips.len() + 1;
        self.ips
            .entry(ip.to_ascii_lowercase())
            .or_insert_with(|| format!("ip-{n}.redacted"))
            .clone()
    }

    fn host(&mut self, host: &str) -> String {
        let n = self.hosts.len() + 1;
        self.hosts
            .entry(host.to_ascii_lowercase())
            .or_insert_with(|| format!("host-{n}.redacted"))
            .clone()
    }
}

fn walk(value: &mut Value, options: &RedactOptions, names: &mut Pseudonyms) {
    match value {
        Value::String(s) => *s = redact_string(s, options, names),
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, options, names)),
        Value::Object(map) => map.values_mut().for_each(|v| walk(v, options, names)),
        _ => {}
    }
}

fn redact_string(text: &str, options: &RedactOptions, names: &mut Pseudonyms) -> String {
    let mut out = text.to_string();
    if options.local_parts {
        out = redact_local_parts(&out);
    }
    if options.network {
        out = redact_network(&out, names);
    }
    out
}

/// RFC 5322 §3.2.3 atext (and RFC 6531 UTF-8), plus `.` for dot-atom; `=` is handled apart so
/// `smtp.mailfrom=jane@x` keeps its property name.
fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'
}

/// Property names that precede an address in Authentication-Results and
/// Received-SPF (RFC 8601 §2.3, RFC 7208 §9.1); kept when redacting.
const ADDRESS_KEYS: &[&str] = &[
    "smtp.mailfrom=",
    "smtp.rcptto=",
    "header.from=",
    "header.sender=",
    "header.i=",
    "envelope-from=",
    "envelope-to=",
    "mailfrom=",
    "i=",
];

fn redact_local_parts(text: &str) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0usize; // byte offset copied so far
    for (k, &(at, c)) in chars.iter().enumerate() {
        if c != '@' {
            continue;
        }
        // A domain must follow: at least one host character.
        let next_is_host = chars
            .get(k + 1)
            .is_some_and(|&(_, n)| n.is_ascii_alphanumeric() || n == '[');
        if !next_is_host {
            continue;
        }
        let mut start = at;
        let mut j = k;
        while j > 0 {
            let (i, p) = chars[j - 1];
            if is_local_char(p) && i >= copied {
                start = i;
                j -= 1;
            } else {
                break;
            }
        }
        // Keep a leading property name such as `smtp.mailfrom=`.
        let mut local = &text[start..at];
        let lower = local.to_ascii_lowercase();
        if let Some(key) = ADDRESS_KEYS.iter().find(|k| lower.starts_with(*k)) {
            start += key.len();
            local = &text[start..at];
        }
        if local.is_empty() || local.chars().all(|c| c == '.') {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED_LOCAL_PART);
        copied = at;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_host_name(token: &str) -> bool {
    token.len() >= 3
        && token.contains('.')
        && token.chars().any(|c| c.is_ascii_alphabetic())
        && token.split('.').all(|l| !l.is_empty())
        && token.parse::<IpAddr>().is_err()
}

fn redact_network(text: &str, names: &mut Pseudonyms) -> String {
    // Split into runs of candidate characters (IPv4, IPv6 and host names)
    // and everything else.
    let is_candidate = |c: char| c.is_ascii_alphanumeric() || ".:-_".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(begin) = rest.find(is_candidate) {
        out.push_str(&rest[..begin]);
        let run_len = rest[begin..]
            .find(|c: char| !is_candidate(c))
            .unwrap_or(rest.len() - begin);
        let run = &rest[begin..begin + run_len];
        out.push_str(&redact_run(run, names));
        rest = &rest[begin + run_len..];
    }
    out.push_str(rest);
    out
}

/// One run of `[A-Za-z0-9.:_-]`: an IP (possibly with a trailing port or
/// punctuation), a known host name, or something else left as is.
fn redact_run(run: &str, names: &mut Pseudonyms) -> String {
    let trimmed = run.trim_end_matches(['.', ':', '-']);
    let tail = &run[trimmed.len()..];
    if let Ok(ip) = trimmed.parse::<IpAddr>() {
        if looks_like_ip(trimmed, ip) {
            return format!("{}{tail}", names.ip(trimmed));
        }
    }
    // IPv6 written as `IPv6:2001:db8::1` (RFC 5321 §4.1.3) or IPv4 with a port.
    if let Some(v6) = trimmed.strip_prefix("IPv6:") {
        if v6.parse::<std::net::Ipv6Addr>().is_ok() {
            return format!("IPv6:{}{tail}", names.ip(v6));
        }
    }
    if let Some((host, port)) = trimmed.rsplit_once(':') {
        if port.chars().all(|c| c.is_ascii_digit()) && host.parse::<std::net::Ipv4Addr>().is_ok() {
            return format!("{}:{port}{tail}", names.ip(host));
        }
    }
    let lower = trimmed.to_ascii_lowercase();
    if let Some(placeholder) = names.hosts.get(&lower) {
        return format!("{placeholder}{tail}");
    }
    // A known host name inside a longer run, e.g. `by mx.example.com:25`.
    for (host, placeholder) in &names.hosts {
        if let Some(pos) = lower.find(host.as_str()) {
            let before_ok = pos == 0 || !is_host_char(lower.as_bytes()[pos - 1] as char);
            let end = pos + host.len();
            let after_ok = end == lower.len() || !is_host_char(lower.as_bytes()[end] as char);
            if before_ok && after_ok {
                return format!("{}{placeholder}{}", &run[..pos], &run[end..]);
            }
        }
    }
    run.to_string()
}

/// Rejects strings that parse as an IP but are not written like one in
/// prose: IPv6 needs a hex digit (not just `::`), IPv4 all four octets.
fn looks_like_ip(text: &str, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => text.split('.').count() == 4,
        IpAddr::V6(_) => text.chars().any(|c| c.is_ascii_hexdigit()) && text.contains(':'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, Hop, MessageSection, ReportKind, Status};

    const LOCAL: RedactOptions = RedactOptions {
        local_parts: true,
        network: false,
    };
    const ALL: RedactOptions = RedactOptions {
        local_parts: true,
        network: true,
    };

    #[test]
    fn local_parts_table() {
        let cases = [
            ("From: jane.doe@example.com", "From: redacted@example.com"),
            ("<a+b@x.org>, c@y.net", "<redacted@x.org>, redacted@y.net"),
            (
                "mailto:list-unsub@example.com?subject=u",
                "mailto:redacted@example.com?subject=u",
            ),
            (
                "smtp.mailfrom=bounce@esp.example",
                "smtp.mailfrom=redacted@esp.example",
            ),
            ("header.i=@example.com", "header.i=@example.com"),
            ("no address here", "no address here"),
            ("@example.com alone", "@example.com alone"),
            ("trailing at@", "trailing at@"),
            ("ünï@example.com", "redacted@example.com"),
            ("user@[192.0.2.1]", "redacted@[192.0.2.1]"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input, &LOCAL), want, "input: {input:?}");
        }
    }

    #[test]
    fn input_redaction_replaces_the_given_hosts() {
        let input = "Received: from mail.shop.test (mail.shop.test [198.51.100.7]) by mx.example.net\r\nFrom: Jane <jane@shop.test>\r\n";
        let out = redact_input(input, &["mail.shop.test", "mx.example.net"], &ALL);
        assert_eq!(
            out,
            "Received: from host-1.redacted (host-1.redacted [ip-1.redacted]) by host-2.redacted\r\nFrom: Jane <redacted@shop.test>\r\n"
        );
        let out = redact_input(input, &["mail.shop.test"], &LOCAL);
        assert!(
            out.contains("mail.shop.test [198.51.100.7]") && out.contains("<redacted@shop.test>"),
            "{out}"
        );
    }

    #[test]
    fn network_table() {
        let cases = [
            ("from 192.0.2.1 by x", "from ip-1.redacted by x"),
            ("[2001:db8::1]", "[ip-1.redacted]"),
            ("IPv6:2001:db8::5", "IPv6:ip-1.redacted"),
            ("192.0.2.1:25.", "ip-1.redacted:25."),
            ("version 0.1.0 at 10:00:00Z", "version 0.1.0 at 10:00:00Z"),
            ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z"),
            ("RFC 7208 §4.6.4", "RFC 7208 §4.6.4"),
            (
                "same 192.0.2.1 and 192.0.2.1",
                "same ip-1.redacted and ip-1.redacted",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input, &ALL), want, "input: {input:?}");
        }
    }

    #[test]
    fn report_hosts_and_addresses_are_replaced_everywhere() {
        let mut report = Report::new(
            ReportKind::Message,
            "2026-01-01T00:00:00Z",
            vec![Check::new(
                "msg.sending-ip",
                Status::Info,
                "sent by mail.internal.example.com [198.51.100.7] for bob@example.com",
            )],
        );
        report.message = Some(MessageSection {
            hops: vec![Hop {
                from: Some("mail.internal.example.com".into()),
                by: Some("MX.receiver.test".into()),
                ip: Some("198.51.100.7".into()),
                ..Hop::default()
            }],
            sending_ip: Some("198.51.100.7".into()),
            ..MessageSection::default()
        });
        let value = redact_report(&report, &ALL);
        let text = value.to_string();
        for secret in [
            "bob@",
            "198.51.100.7",
            "mail.internal.example.com",
            "receiver.test",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(value["message"]["sending_ip"], "ip-1.redacted");
        assert_eq!(value["message"]["hops"][0]["ip"], "ip-1.redacted");
        assert_eq!(value["message"]["hops"][0]["from"], "host-1.redacted");
        assert_eq!(value["message"]["hops"][0]["by"], "host-2.redacted");
        assert!(text.contains("redacted@example.com"));
        // Findings are untouched, and the value is still a report.
        let back: Report = serde_json::from_value(value).unwrap();
        assert_eq!((back.score, back.grade), (report.score, report.grade));
        assert_eq!(back.checks[0].status, Status::Info);
    }

    proptest::proptest! {
        /// Total: any text redacts without a panic, and no '@'-preceded
        /// local part of a simple address survives.
        #[test]
        fn any_text_redacts(text in "\\PC{0,80}", local in "[a-z]{1,8}") {
            let _ = redact_text(&text, &ALL);
            let with_address = format!("{text} {local}@example.com");
            let out = redact_text(&with_address, &LOCAL);
            let want = format!(" {REDACTED_LOCAL_PART}@example.com");
            proptest::prop_assert!(out.ends_with(&want), "{}", out);
        }
    }

    #[test]
    fn nothing_requested_changes_nothing() {
        let report = Report::new(ReportKind::Message, "t", vec![]);
        let value = redact_report(&report, &RedactOptions::default());
        assert_eq!(value, serde_json::to_value(&report).unwrap());
    }

    #[test]
    fn redact_address_replaces_only_that_address() {
        let mut v = serde_json::json!({
            "checks": [{"subject": "Bob@Shop.test", "detail": "RCPT TO:<bob@shop.test> got 550 5.1.1 <bob@shop.test>: User unknown; postmaster@shop.test kept"}],
            "domain": {"rcpt": {"address": "bob@shop.test"}}
        });
        redact_address(&mut v, "bob@shop.test");
        let text = v.to_string();
        assert!(!text.to_lowercase().contains("bob@"), "{text}");
        assert!(text.contains("redacted@shop.test"), "{text}");
        assert!(text.contains("postmaster@shop.test"), "{text}");
        let before = v.clone();
        redact_address(&mut v, "not-an-address");
        assert_eq!(v, before);
    }
}
