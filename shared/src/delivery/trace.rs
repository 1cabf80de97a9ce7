//! The trace fields the receiver prepends to a message it accepts, as any
//! receiving MTA does: `Return-Path` (RFC 5321 §4.4), its `Received` stamp
//! (RFC 5321 §4.4, protocol words of RFC 3848) and its
//! `Authentication-Results` (RFC 8601). The message analysis then reads the
//! delivery the way it reads any received message: the sending hop, its TLS
//! and the receiver's own verdicts.

use crate::report::ConnectionFacts;

/// Authentication-Results fields that claim `authserv_id` are removed from
/// the message before ours is added (RFC 8601 §5: a receiver must delete
/// or rename such fields from outside, or a sender could forge verdicts).
pub fn strip_forged_auth_results(message: &[u8], authserv_id: &str) -> Vec<u8> {
    let header_end = header_block_end(message);
    let (headers, body) = message.split_at(header_end);
    let mut out = Vec::with_capacity(message.len());
    let mut skipping = false;
    for line in headers.split_inclusive(|b| *b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            skipping = claims_authserv_id(line, authserv_id);
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

/// Where the header block ends (the index of the empty line), or the end.
fn header_block_end(message: &[u8]) -> usize {
    let mut at = 0;
    for line in message.split_inclusive(|b| *b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            return at;
        }
        at += line.len();
    }
    message.len()
}

/// True for an `Authentication-Results:` line whose authserv-id is ours.
fn claims_authserv_id(line: &[u8], authserv_id: &str) -> bool {
    let text = String::from_utf8_lossy(line);
    let Some((name, value)) = text.split_once(':') else {
        return false;
    };
    if !name.trim().eq_ignore_ascii_case("authentication-results") {
        return false;
    }
    let id = value
        .trim_start()
        .split([';', ' ', '\t', '\r', '\n'])
        .next();
    id.is_some_and(|id| id.eq_ignore_ascii_case(authserv_id))
}

/// The receiver's own verdicts, for its Authentication-Results field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// SPF of the MAIL FROM identity (RFC 8601 §2.7.2).
    pub spf: String,
    /// SPF of the HELO identity, when checked.
    pub spf_helo: Option<String>,
    /// DKIM per signature: (d=, s=, result). Empty when verification did
    /// not run: then no `dkim` result is written at all.
    pub dkim: Vec<(String, String, String)>,
    /// True when the message carries no DKIM-Signature (`dkim=none`).
    pub unsigned: bool,
    /// DMARC, when it could be computed.
    pub dmarc: Option<String>,
    /// The From domain, for `header.from`.
    pub from_domain: Option<String>,
}

/// The fields to prepend, CRLF-terminated, topmost first.
pub fn trace_fields(
    facts: &ConnectionFacts,
    ptr: Option<&str>,
    queue_id: &str,
    verdicts: &Verdicts,
) -> String {
    let by = clean(&facts.received_by);
    let mut out = String::new();
    out.push_str(&format!("Return-Path: <{}>\r\n", clean(&facts.mail_from)));
    out.push_str(&authentication_results(&by, facts, verdicts));
    out.push_str(&received(facts, ptr, queue_id));
    out
}

/// `Authentication-Results: <by>; spf=… smtp.mailfrom=…; dkim=…; dmarc=…`.
fn authentication_results(by: &str, facts: &ConnectionFacts, v: &Verdicts) -> String {
    let helo = clean(&facts.helo);
    let mail_from = if facts.mail_from.is_empty() {
        // RFC 7208 §2.4: the null reverse-path is checked as postmaster@HELO.
        format!("postmaster@{helo}")
    } else {
        clean(&facts.mail_from)
    };
    let mut parts = vec![format!(
        "spf={} smtp.mailfrom={mail_from} smtp.helo={helo}",
        v.spf
    )];
    if v.unsigned {
        parts.push("dkim=none".to_string());
    }
    for (d, s, result) in &v.dkim {
        parts.push(format!(
            "dkim={result} header.d={} header.s={}",
            clean(d),
            clean(s)
        ));
    }
    if let Some(dmarc) = &v.dmarc {
        match &v.from_domain {
            Some(from) => parts.push(format!("dmarc={dmarc} header.from={}", clean(from))),
            None => parts.push(format!("dmarc={dmarc}")),
        }
    }
    format!(
        "Authentication-Results: {by};\r\n\t{}\r\n",
        parts.join(";\r\n\t")
    )
}

/// The Received stamp in Postfix's layout, which the chain parser reads:
/// `from HELO (PTR [IP]) (using TLSv1.3 with cipher X) by BY with ESMTPS id
/// ID for <RCPT>; DATE`.
fn received(facts: &ConnectionFacts, ptr: Option<&str>, queue_id: &str) -> String {
    let helo = clean(&facts.helo);
    let helo = if helo.is_empty() {
        "unknown".to_string()
    } else {
        helo
    };
    let ptr = ptr.map(clean).unwrap_or_else(|| "unknown".to_string());
    let tls = match (&facts.tls_version, &facts.tls_cipher) {
        (Some(v), Some(c)) if facts.starttls => {
            format!("\r\n\t(using {} with cipher {})", clean(v), clean(c))
        }
        _ => String::new(),
    };
    // RFC 3848 protocol words; UTF8SMTP from RFC 6531 §3.7.3.
    let with = match (facts.smtputf8, facts.esmtp, facts.starttls) {
        (true, _, true) => "UTF8SMTPS",
        (true, _, false) => "UTF8SMTP",
        (false, true, true) => "ESMTPS",
        (false, true, false) => "ESMTP",
        (false, false, true) => "SMTPS",
        (false, false, false) => "SMTP",
    };
    format!(
        "Received: from {helo} ({ptr} [{ip}]){tls}\r\n\tby {by} (mxlens) with {with} id {id}\r\n\tfor <{rcpt}>; {date}\r\n",
        ip = clean(&facts.client_ip),
        by = clean(&facts.received_by),
        id = clean(queue_id),
        rcpt = clean(&facts.rcpt_to),
        date = rfc5322_date(&facts.received_at),
    )
}

/// Client-supplied text made safe inside a header: no CR, LF, other
/// controls, or the `;`, `(` and `)` that would change a field's structure.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, ';' | '(' | ')') {
                '_'
            } else {
                c
            }
        })
        .take(300)
        .collect()
}

/// RFC 3339 UTC to the RFC 5322 §3.3 date-time, e.g. `Sat, 05 Dec 2026
/// 12:00:00 +0000`; the Unix epoch when the time does not parse.
pub fn rfc5322_date(rfc3339: &str) -> String {
    let seconds = crate::message::datetime::parse_rfc3339(rfc3339).unwrap_or(0);
    let days = seconds.div_euclid(86_400);
    let text = crate::message::datetime::format_unix_rfc3339(seconds);
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month_names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = text.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!(
        "{weekday}, {} {} {} {} +0000",
        text.get(8..10).unwrap_or("01"),
        month_names[month.clamp(1, 12) - 1],
        text.get(0..4).unwrap_or("1970"),
        text.get(11..19).unwrap_or("00:00:00"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> ConnectionFacts {
        ConnectionFacts {
            client_ip: "192.0.2.25".into(),
            helo: "out.sender.test".into(),
            esmtp: true,
            starttls: true,
            tls_version: Some("TLSv1.3".into()),
            tls_cipher: Some("TLS_AES_256_GCM_SHA384".into()),
            mail_from: "bounce@sender.test".into(),
            rcpt_to: "t1@inbox.test".into(),
            received_at: "2026-12-05T10:11:12Z".into(),
            received_by: "inbox.test".into(),
            ..ConnectionFacts::default()
        }
    }

    #[test]
    fn the_stamp_is_read_back_by_the_chain_parser() {
        let verdicts = Verdicts {
            spf: "pass".into(),
            unsigned: true,
            dmarc: Some("pass".into()),
            from_domain: Some("sender.test".into()),
            ..Verdicts::default()
        };
        let fields = trace_fields(&facts(), Some("out.sender.test"), "abc", &verdicts);
        let message = format!("{fields}From: a@sender.test\r\nSubject: x\r\n\r\nhello\r\n");
        let report =
            crate::message::analyze_message(message.as_bytes(), "2026-12-05T10:11:13Z").unwrap();
        let m = report.message.unwrap();
        assert_eq!(m.sending_ip.as_deref(), Some("192.0.2.25"), "{fields}");
        assert_eq!(m.envelope_from.as_deref(), Some("bounce@sender.test"));
        assert_eq!(m.envelope_helo.as_deref(), Some("out.sender.test"));
        let hop = m.hops.last().unwrap();
        assert_eq!(hop.tls, Some(true));
        assert_eq!(hop.tls_version.as_deref(), Some("TLSv1.3"));
        assert_eq!(hop.timestamp.as_deref(), Some("2026-12-05T10:11:12Z"));
        let spf: Vec<_> = m
            .auth_results
            .iter()
            .map(|r| (r.method.as_str(), r.result.as_str()))
            .collect();
        assert_eq!(spf, [("spf", "pass"), ("dkim", "none"), ("dmarc", "pass")]);
    }

    #[test]
    fn client_text_cannot_add_fields() {
        let mut f = facts();
        f.helo = "evil\r\nAuthentication-Results: inbox.test; dmarc=pass".into();
        let fields = trace_fields(
            &f,
            None,
            "id",
            &Verdicts {
                spf: "none".into(),
                ..Verdicts::default()
            },
        );
        let starts = fields
            .split("\r\n")
            .filter(|l| l.starts_with("Authentication-Results:"))
            .count();
        assert_eq!(starts, 1, "{fields}");
        assert!(!fields.contains("inbox.test; dmarc"), "{fields}");
    }

    #[test]
    fn forged_results_of_our_authserv_id_are_removed() {
        let message = b"Authentication-Results: inbox.test; dkim=pass\r\n header.d=x\r\nAuthentication-Results: other.example; spf=pass\r\nSubject: s\r\n\r\nAuthentication-Results: inbox.test; body stays\r\n";
        let out = strip_forged_auth_results(message, "INBOX.test");
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains("dkim=pass") && !text.contains("header.d=x"),
            "{text}"
        );
        assert!(
            text.contains("other.example") && text.contains("body stays"),
            "{text}"
        );
    }

    #[test]
    fn dates_in_rfc5322_form() {
        assert_eq!(
            rfc5322_date("2026-12-05T10:11:12Z"),
            "Sat, 05 Dec 2026 10:11:12 +0000"
        );
        assert_eq!(
            rfc5322_date("1970-01-01T00:00:00Z"),
            "Thu, 01 Jan 1970 00:00:00 +0000"
        );
        assert_eq!(rfc5322_date("garbage"), "Thu, 01 Jan 1970 00:00:00 +0000");
    }
}
