//! Turning an [`SmtpProbeResult`] into the `smtp.*` checks of the report
//! contract. Every check carries `subject` = "host (ip)". A step that could
//! not be looked at (timeout, guard refusal, an earlier step failing) gives
//! `not_tested` or `error`, never a pass or a fail.

use super::model::{ChainVerdict, Outcome, SmtpProbeResult, StarttlsOutcome};
use super::parse::{is_fqdn, parse_greeting_host};
use crate::report::{Check, Status};

/// Days before expiry below which `smtp.certificate` warns.
pub const CERT_EXPIRY_WARN_DAYS: i64 = 14;

/// The `smtp.*` checks for one probe: `smtp.connect`, `smtp.banner`,
/// `smtp.ehlo`, `smtp.starttls`, `smtp.tls-version`, `smtp.certificate` and
/// `smtp.banner-ptr`, in that order. `ptr_names` are the PTR names of the
/// probed IP (for the banner comparison; may be empty).
pub fn smtp_checks(r: &SmtpProbeResult, ptr_names: &[String]) -> Vec<Check> {
    let subject = r.subject();
    let mut checks = Vec::with_capacity(7);
    // Why the next steps were not looked at, once an earlier step ended it.
    let mut stop: Option<String> = None;

    checks.push(eval_connect(r, &mut stop));
    checks.push(eval_banner(r, &mut stop));
    checks.push(eval_ehlo(r, &mut stop));
    checks.push(eval_starttls(r, &stop));
    checks.push(eval_tls_version(r, &stop));
    checks.push(eval_certificate(r, &stop));
    checks.push(eval_banner_ptr(r, ptr_names));

    checks
        .into_iter()
        .map(|c| c.with_subject(subject.clone()))
        .collect()
}

fn ms(v: Option<u32>) -> String {
    v.map(|m| format!(" in {m} ms")).unwrap_or_default()
}

/// Printable, bounded rendering of peer text for a detail line.
fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

fn not_tested(id: &str, reason: &str) -> Check {
    Check::new(id, Status::NotTested, format!("not tested: {reason}"))
}

fn eval_connect(r: &SmtpProbeResult, stop: &mut Option<String>) -> Check {
    let id = "smtp.connect";
    let target = format!("{}:{}", r.ip, r.port);
    if let Some(reason) = &r.refused_by_guard {
        *stop = Some("the connection guard refused the address".into());
        return Check::new(
            id,
            Status::NotTested,
            format!("not tested: the connection guard refused {target} ({reason}); no connection was made"),
        );
    }
    let err = r.error.as_deref().unwrap_or("no detail");
    match r.connect {
        Outcome::Ok => Check::new(
            id,
            Status::Pass,
            format!("connected to {target}{}", ms(r.timings.connect_ms)),
        ),
        Outcome::Timeout => {
            *stop = Some("the TCP connection timed out".into());
            Check::new(
                id,
                Status::NotTested,
                format!("no TCP answer from {target} in time ({err}); port 25 may be blocked between mxlens and the server"),
            )
        }
        Outcome::NotAttempted => {
            *stop = Some("no connection was attempted".into());
            not_tested(id, "no connection was attempted")
        }
        Outcome::Refused | Outcome::Rejected | Outcome::Failed => {
            *stop = Some("the TCP connection failed".into());
            Check::new(
                id,
                Status::Error,
                format!("could not connect to {target}: {err}"),
            )
            .with_catalogue_fix()
        }
    }
}

fn eval_banner(r: &SmtpProbeResult, stop: &mut Option<String>) -> Check {
    let id = "smtp.banner";
    if let Some(reason) = stop.as_deref() {
        return not_tested(id, reason);
    }
    let banner = r.banner.as_deref().unwrap_or("");
    let code = r.banner_code.unwrap_or(0);
    match r.banner_outcome {
        Outcome::Ok => match parse_greeting_host(banner) {
            Some(host) if is_fqdn(&host) => Check::new(
                id,
                Status::Pass,
                format!("greeting{}: {}", ms(r.timings.banner_ms), excerpt(banner)),
            ),
            _ => Check::new(
                id,
                Status::Warn,
                format!(
                    "the greeting does not start with a fully qualified host name (RFC 5321 §4.2): {}",
                    excerpt(banner)
                ),
            )
            .with_catalogue_fix(),
        },
        Outcome::Rejected => {
            *stop = Some(format!("the server greeted with {code}"));
            if (400..500).contains(&code) {
                // A transient refusal, often rate limiting of unknown clients.
                Check::new(
                    id,
                    Status::Warn,
                    format!("the server refused service for now with {code} (transient, RFC 5321 §3.1): {}", excerpt(banner)),
                )
            } else {
                Check::new(
                    id,
                    Status::Fail,
                    format!("the server refuses SMTP service with {code} (RFC 5321 §3.1): {}", excerpt(banner)),
                )
                .with_fix("Make the MX accept SMTP connections from the internet on port 25.")
            }
        }
        Outcome::Timeout => {
            *stop = Some("no greeting came in time".into());
            Check::new(
                id,
                Status::NotTested,
                format!(
                    "no greeting in time ({})",
                    r.error.as_deref().unwrap_or("timeout")
                ),
            )
        }
        Outcome::Failed if !banner.is_empty() => {
            *stop = Some("the greeting was not SMTP".into());
            Check::new(
                id,
                Status::Fail,
                format!("the server's first reply is not an SMTP greeting: {}", excerpt(banner)),
            )
            .with_fix("Make sure an SMTP server, not another service, listens on port 25.")
        }
        Outcome::Failed | Outcome::Refused | Outcome::NotAttempted => {
            *stop = Some("no greeting was read".into());
            Check::new(
                id,
                Status::Error,
                format!(
                    "no greeting was read: {}",
                    r.error.as_deref().unwrap_or("connection closed")
                ),
            )
        }
    }
}

fn eval_ehlo(r: &SmtpProbeResult, stop: &mut Option<String>) -> Check {
    let id = "smtp.ehlo";
    if let Some(reason) = stop.as_deref() {
        return not_tested(id, reason);
    }
    match r.ehlo {
        Outcome::Ok => Check::new(
            id,
            Status::Pass,
            format!(
                "EHLO answered{} with {} extension(s): {}",
                ms(r.timings.ehlo_ms),
                r.ehlo_extensions.len(),
                excerpt(&r.ehlo_extensions.join(", "))
            ),
        ),
        Outcome::Rejected if r.ehlo_code == Some(421) => {
            // 421: the server is closing the session for now (RFC 5321
            // §3.8), often throttling an unknown client: transient, like a
            // 421 greeting.
            *stop = Some("the server answered EHLO with 421".into());
            Check::new(
                id,
                Status::Warn,
                "the server refused service for now with 421 in reply to EHLO (transient, RFC 5321 §3.8)",
            )
        }
        Outcome::Rejected => {
            *stop = Some("EHLO was refused".into());
            Check::new(
                id,
                Status::Fail,
                format!(
                    "EHLO was answered with {} (RFC 5321 §4.1.1.1)",
                    r.ehlo_code.unwrap_or(0)
                ),
            )
            .with_catalogue_fix()
        }
        Outcome::Timeout => {
            *stop = Some("EHLO got no answer in time".into());
            not_tested(id, "EHLO got no answer in time")
        }
        Outcome::NotAttempted => {
            *stop = Some("EHLO was not sent".into());
            not_tested(id, "EHLO was not sent")
        }
        Outcome::Failed | Outcome::Refused => {
            *stop = Some("EHLO failed".into());
            Check::new(
                id,
                Status::Error,
                format!(
                    "EHLO failed: {}",
                    r.error.as_deref().unwrap_or("no valid reply")
                ),
            )
        }
    }
}

fn negotiated(r: &SmtpProbeResult) -> bool {
    matches!(r.starttls, Some(StarttlsOutcome::Negotiated))
}

fn eval_starttls(r: &SmtpProbeResult, stop: &Option<String>) -> Check {
    let id = "smtp.starttls";
    if let Some(reason) = stop.as_deref() {
        return not_tested(id, reason);
    }
    if !r.starttls_offered {
        return Check::new(
            id,
            Status::Fail,
            "the EHLO reply does not offer STARTTLS: mail to this server travels unencrypted",
        )
        .with_catalogue_fix();
    }
    if r.starttls_injection {
        // RFC 3207 §6: the server must discard anything buffered before TLS;
        // bytes sent after 220 and before the handshake are the injection symptom.
        return Check::new(
            id,
            Status::Fail,
            "the server sent extra bytes after `220` to STARTTLS, before the TLS handshake (STARTTLS command injection, RFC 3207 §6)",
        )
        .with_fix("Update the MTA: it must discard pipelined input when switching to TLS.");
    }
    match &r.starttls {
        Some(StarttlsOutcome::Negotiated) => Check::new(
            id,
            Status::Pass,
            format!(
                "STARTTLS negotiated {} {}{}",
                r.tls_version.as_deref().unwrap_or("TLS"),
                r.cipher.as_deref().unwrap_or(""),
                ms(r.timings.tls_handshake_ms)
            ),
        ),
        Some(StarttlsOutcome::Rejected { code: 421, reply }) => Check::new(
            id,
            Status::Warn,
            format!(
                "the server closed the session with 421 in reply to STARTTLS (transient, RFC 5321 §3.8): {}",
                excerpt(reply)
            ),
        ),
        Some(StarttlsOutcome::Rejected { code, reply }) => Check::new(
            id,
            Status::Fail,
            format!(
                "STARTTLS is offered but answered with {code}: {}",
                excerpt(reply)
            ),
        )
        .with_fix("Fix the server's TLS configuration (certificate and key files)."),
        Some(StarttlsOutcome::HandshakeFailed { reason }) => Check::new(
            id,
            Status::Fail,
            format!("STARTTLS is offered but the TLS handshake failed: {reason}"),
        )
        .with_fix("Fix the server's TLS configuration: TLS 1.2 or 1.3 with a usable certificate."),
        Some(StarttlsOutcome::Timeout { step }) => {
            not_tested(id, &format!("no answer in time during {step}"))
        }
        Some(StarttlsOutcome::Failed { reason }) => Check::new(
            id,
            Status::Error,
            format!("STARTTLS could not be completed: {reason}"),
        ),
        None => not_tested(id, "STARTTLS was not attempted"),
    }
}

/// RFC 8996: TLS 1.0 and 1.1 are deprecated.
fn is_modern_tls(version: &str) -> bool {
    matches!(version, "TLSv1.2" | "TLSv1.3")
}

fn eval_tls_version(r: &SmtpProbeResult, stop: &Option<String>) -> Check {
    let id = "smtp.tls-version";
    if let Some(reason) = stop.as_deref() {
        return not_tested(id, reason);
    }
    if let Some(version) = &r.tls_version {
        return if is_modern_tls(version) {
            Check::new(id, Status::Pass, format!("negotiated {version}"))
        } else {
            Check::new(
                id,
                Status::Fail,
                format!("negotiated {version}, below TLS 1.2 (RFC 8996)"),
            )
            .with_catalogue_fix()
        };
    }
    match &r.starttls {
        _ if !r.starttls_offered => Check::new(
            id,
            Status::NotApplicable,
            "no TLS: the server does not offer STARTTLS",
        ),
        Some(StarttlsOutcome::HandshakeFailed { reason })
            if reason
                .to_ascii_lowercase()
                .replace(' ', "")
                .contains("protocolversion") =>
        {
            Check::new(
                id,
                Status::Fail,
                format!("the server offers no TLS 1.2 or 1.3 (handshake failed: {reason})"),
            )
            .with_fix("Enable TLS 1.2 and 1.3 and disable TLS 1.0/1.1 on the server.")
        }
        _ => not_tested(id, "no TLS session was established"),
    }
}

fn eval_certificate(r: &SmtpProbeResult, stop: &Option<String>) -> Check {
    let id = "smtp.certificate";
    if let Some(reason) = stop.as_deref() {
        return not_tested(id, reason);
    }
    if !r.starttls_offered {
        return Check::new(
            id,
            Status::NotApplicable,
            "no TLS: the server does not offer STARTTLS",
        );
    }
    if !negotiated(r) {
        return not_tested(id, "no TLS session was established");
    }
    let Some(leaf) = r.cert_chain.first() else {
        return Check::new(id, Status::Fail, "the server presented no certificate");
    };
    let mut status = Status::Pass;
    let mut problems = Vec::new();
    match &r.webpki_verdict {
        Some(ChainVerdict::Trusted) => {}
        Some(ChainVerdict::Untrusted { reason }) => {
            status = Status::Fail;
            problems.push(format!(
                "the chain does not validate to a trusted root ({reason})"
            ));
        }
        None => problems.push("the chain was not verified".to_string()),
    }
    if r.name_matches == Some(false) {
        status = Status::Fail;
        problems.push(format!(
            "the certificate is not valid for {} (names: {})",
            r.host,
            if leaf.sans.is_empty() {
                leaf.subject.clone()
            } else {
                leaf.sans.join(", ")
            }
        ));
    }
    if leaf.days_left < 0 {
        status = Status::Fail;
        problems.push(format!(
            "it expired {} day(s) ago ({})",
            -leaf.days_left, leaf.not_after
        ));
    } else if leaf.days_left < CERT_EXPIRY_WARN_DAYS {
        if status == Status::Pass {
            status = Status::Warn;
        }
        problems.push(format!(
            "it expires in {} day(s) ({})",
            leaf.days_left, leaf.not_after
        ));
    }
    let summary = format!(
        "leaf {} issued by {}, {} day(s) left",
        leaf.subject, leaf.issuer, leaf.days_left
    );
    let check = if problems.is_empty() {
        Check::new(
            id,
            Status::Pass,
            format!("valid chain for {}; {summary}", r.host),
        )
    } else {
        Check::new(id, status, format!("{}; {summary}", problems.join("; ")))
    };
    if check.status == Status::Pass {
        check
    } else {
        check.with_catalogue_fix()
    }
}

fn eval_banner_ptr(r: &SmtpProbeResult, ptr_names: &[String]) -> Check {
    let id = "smtp.banner-ptr";
    if r.banner_outcome != Outcome::Ok {
        return not_tested(id, "no greeting was read");
    }
    let Some(host) = r.banner.as_deref().and_then(parse_greeting_host) else {
        return Check::new(id, Status::Warn, "the greeting names no host");
    };
    let ptrs: Vec<String> = ptr_names
        .iter()
        .map(|p| p.trim_end_matches('.').to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if ptrs.is_empty() {
        return Check::new(
            id,
            Status::NotApplicable,
            format!(
                "{} has no PTR name to compare with the greeting's {host}",
                r.ip
            ),
        );
    }
    if ptrs.contains(&host) {
        Check::new(
            id,
            Status::Pass,
            format!("the greeting names {host}, the PTR name of {}", r.ip),
        )
    } else {
        Check::new(
            id,
            Status::Warn,
            format!(
                "the greeting names {host}, but the PTR of {} is {}",
                r.ip,
                ptrs.join(", ")
            ),
        )
        .with_catalogue_fix()
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
