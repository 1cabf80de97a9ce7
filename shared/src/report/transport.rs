//! The "Transport security" section: one plain-language answer to "is my
//! mail encrypted in transit?", combined from what a report already knows:
//! - per-hop TLS from the message's Received chain (RFC 5321 §4.4, the
//!   `with ESMTPS` protocol of RFC 3848 and TLS comments);
//! - STARTTLS, TLS version and certificate per MX IP (the SMTP probe,
//!   RFC 3207);
//! - MTA-STS mode (RFC 8461 §5) and DANE (RFC 7672), which protect
//!   against STARTTLS being stripped or the certificate being forged.
//!
//! Built from the report's sections and checks, so every surface gets the
//! same verdict without re-implementing a check.

use serde::{Deserialize, Serialize};

use super::Report;

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportVerdict {
    /// Every MX negotiates TLS, and MTA-STS enforce or DANE stops a downgrade.
    EncryptedAndProtected,
    /// Every MX negotiates TLS, but nothing stops an active attacker from
    /// stripping STARTTLS (opportunistic TLS only, RFC 7435).
    EncryptedOpportunistic,
    /// Some MX hosts negotiate TLS, some do not.
    PartlyEncrypted,
    /// No MX negotiates TLS.
    NotEncrypted,
    /// Nothing is known about the domain's servers (no probe ran).
    Unknown,
}

/// TLS on one MX IP, from the SMTP probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxTransport {
    /// The MX host.
    pub host: String,
    /// The IP probed.
    pub ip: String,
    /// STARTTLS negotiated.
    pub starttls: bool,
    /// The TLS version negotiated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// The certificate chain verified and matched the host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_valid: Option<bool>,
}

/// The section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportSecurity {
    /// The verdict about mail *to* the audited domain.
    pub verdict: TransportVerdict,
    /// One sentence for people, e.g. "Mail to this domain is encrypted in
    /// transit and downgrade-protected (MTA-STS enforce)".
    pub summary: String,
    /// Per MX IP.
    #[serde(default)]
    pub mx: Vec<MxTransport>,
    /// The MTA-STS policy mode (`enforce`, `testing`, `none`), when a valid
    /// policy was fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts_mode: Option<String>,
    /// True when every MX host has DANE TLSA records that match.
    #[serde(default)]
    pub dane: bool,
    /// Hops in the message's Received chain (message and combined reports).
    #[serde(default)]
    pub hops_total: u32,
    /// Of those, hops that used TLS.
    #[serde(default)]
    pub hops_tls: u32,
    /// Of those, hops known to have been in clear text.
    #[serde(default)]
    pub hops_clear: u32,
    /// One sentence about the message's own path, when there is a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_summary: Option<String>,
}

/// The MTA-STS mode, from the structured `domain.mta_sts` facts (set only
/// for a policy fetched over HTTPS that parsed without errors, RFC 8461
/// §3.3), never from the wording of the `mta-sts.policy` check.
fn mta_sts_mode(report: &Report) -> Option<String> {
    let mode = report.domain.as_ref()?.mta_sts.as_ref()?.mode.as_deref()?;
    matches!(mode, "enforce" | "testing" | "none").then(|| mode.to_string())
}

/// DANE protects mail to every MX host (`domain.dane`, RFC 7672): never
/// read from the `dane.tlsa` checks' statuses.
fn dane_everywhere(report: &Report) -> bool {
    let Some(domain) = &report.domain else {
        return false;
    };
    !domain.dane.is_empty() && domain.dane.iter().all(super::DaneFacts::protects)
}

fn mx_of(report: &Report) -> Vec<MxTransport> {
    let Some(domain) = &report.domain else {
        return Vec::new();
    };
    domain
        .smtp
        .iter()
        .filter(|e| {
            // Only addresses we actually talked to: a refused or failed
            // connection says nothing about TLS.
            e.probe.connect == crate::smtp::Outcome::Ok || e.banner.is_some()
        })
        .map(|e| MxTransport {
            host: e.host.clone(),
            ip: e.ip.clone(),
            starttls: e.starttls,
            tls_version: e.tls_version.clone(),
            certificate_valid: e.cert_valid,
        })
        .collect()
}

/// The report's section: the one it carries (domain and combined reports),
/// or else the one built from it (a message analysed on its own, in the
/// browser or by `mxlens headers`). What the UI and the Markdown export show.
///
/// A domain or combined report gets its section when it is made (by the
/// server, or by [`super::combine::combine`] in the browser); one without
/// it (stored before the section existed) shows none.
pub fn section(report: &Report) -> Option<TransportSecurity> {
    match &report.transport {
        Some(t) => Some(t.clone()),
        None if report.domain.is_none() => message_only(report),
        None => None,
    }
}

/// The hops of the message (oldest first), counted: total, with TLS, and
/// known to be in clear text; and one sentence about them.
fn message_path(report: &Report) -> (u32, u32, u32, Option<String>) {
    let hops = report
        .message
        .as_ref()
        .map(|m| m.hops.as_slice())
        .unwrap_or_default();
    let hops_total = u32::try_from(hops.len()).unwrap_or(u32::MAX);
    let hops_tls =
        u32::try_from(hops.iter().filter(|h| h.tls == Some(true)).count()).unwrap_or(u32::MAX);
    let hops_clear =
        u32::try_from(hops.iter().filter(|h| h.tls == Some(false)).count()).unwrap_or(u32::MAX);
    let message_summary = (hops_total > 0).then(|| {
        if hops_clear == 0 && hops_tls == hops_total {
            format!("This message used TLS on every one of its {hops_total} recorded hops.")
        } else if hops_clear > 0 {
            format!(
                "This message travelled in clear text on {hops_clear} of its {hops_total} recorded hops ({hops_tls} used TLS)."
            )
        } else {
            format!(
                "This message used TLS on {hops_tls} of its {hops_total} recorded hops; the others do not say."
            )
        }
    });
    (hops_total, hops_tls, hops_clear, message_summary)
}

/// A message on its own: no mail server was probed, so the verdict is
/// about the path it took; `None` without Received hops.
fn message_only(report: &Report) -> Option<TransportSecurity> {
    let (hops_total, hops_tls, hops_clear, message_summary) = message_path(report);
    let m = message_summary.clone()?;
    Some(TransportSecurity {
        verdict: TransportVerdict::Unknown,
        summary: format!(
            "{m} Whether mail to the sender's domain is downgrade-protected (MTA-STS, DANE) needs a domain audit."
        ),
        mx: Vec::new(),
        mta_sts_mode: None,
        dane: false,
        hops_total,
        hops_tls,
        hops_clear,
        message_summary,
    })
}

/// Builds the section, or `None` when the report knows nothing about
/// transport (no probed MX and no hops).
pub fn transport_security(report: &Report) -> Option<TransportSecurity> {
    if report.domain.is_none() {
        return message_only(report);
    }
    let mx = mx_of(report);
    let mode = mta_sts_mode(report);
    let dane = dane_everywhere(report);
    let encrypted = mx.iter().filter(|m| m.starttls).count();
    let verdict = if mx.is_empty() {
        TransportVerdict::Unknown
    } else if encrypted == mx.len() {
        if mode.as_deref() == Some("enforce") || dane {
            TransportVerdict::EncryptedAndProtected
        } else {
            TransportVerdict::EncryptedOpportunistic
        }
    } else if encrypted > 0 {
        TransportVerdict::PartlyEncrypted
    } else {
        TransportVerdict::NotEncrypted
    };
    let protection = match (mode.as_deref() == Some("enforce"), dane) {
        (true, true) => "MTA-STS enforce and DANE",
        (true, false) => "MTA-STS enforce",
        (false, true) => "DANE",
        (false, false) => "",
    };
    let summary = match verdict {
        TransportVerdict::EncryptedAndProtected => format!(
            "Mail to this domain is encrypted in transit and downgrade-protected ({protection})."
        ),
        TransportVerdict::EncryptedOpportunistic => {
            let testing = if mode.as_deref() == Some("testing") {
                " MTA-STS is in testing mode, which only reports failures; switch it to enforce."
            } else {
                " Publish an MTA-STS policy in enforce mode (or DANE) to stop that."
            };
            format!(
                "Mail to this domain is encrypted in transit when the sender tries (STARTTLS), but not downgrade-protected: an attacker on the path could strip the encryption.{testing}"
            )
        }
        TransportVerdict::PartlyEncrypted => format!(
            "Only {encrypted} of {} mail server addresses of this domain offer encryption (STARTTLS): mail delivered to the others travels in clear text.",
            mx.len()
        ),
        TransportVerdict::NotEncrypted => {
            "Mail to this domain travels unencrypted: none of its mail servers offers STARTTLS."
                .to_string()
        }
        TransportVerdict::Unknown => {
            "Whether mail to this domain is encrypted is unknown: no mail server could be probed."
                .to_string()
        }
    };
    let (hops_total, hops_tls, hops_clear, message_summary) = message_path(report);
    Some(TransportSecurity {
        verdict,
        summary,
        mx,
        mta_sts_mode: mode,
        dane,
        hops_total,
        hops_tls,
        hops_clear,
        message_summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{
        Check, DaneFacts, DomainSection, Hop, LookupOutcome, MessageSection, ReportKind, SmtpFacts,
        Status,
    };

    fn entry(host: &str, ip: &str, starttls: bool) -> SmtpFacts {
        SmtpFacts {
            banner: Some("220 mx ESMTP".into()),
            cert_valid: Some(starttls),
            host: host.into(),
            ip: ip.into(),
            port: 25,
            starttls,
            tls_version: starttls.then(|| "TLSv1.3".into()),
            ..Default::default()
        }
    }

    /// `dane`: whether every MX host's TLSA records match, validated.
    fn combined(mode: Option<&str>, dane: bool, smtp: Vec<SmtpFacts>) -> Report {
        let mut report = Report::new(ReportKind::Combined, "2026-01-01T00:00:00Z", vec![]);
        let tlsa = |host: &str| DaneFacts {
            host: host.into(),
            result: LookupOutcome::Found,
            records: vec!["3 1 1 ab".into()],
            usable: 1,
            dnssec_validated: Some(true),
            matched: Some(dane),
            error: None,
        };
        report.domain = Some(DomainSection {
            name: "shop.test".into(),
            dane: smtp.iter().map(|e| tlsa(&e.host)).collect(),
            smtp,
            mta_sts: mode.and_then(|m| {
                crate::mta_sts::lint::policy_facts(&crate::mta_sts::lint::PolicyFetch::Body(
                    format!(
                        "version: STSv1\r\nmode: {m}\r\nmx: mx1.shop.test\r\nmax_age: 604800\r\n"
                    ),
                ))
            }),
            ..Default::default()
        });
        let hop = |tls| Hop {
            tls,
            ..Default::default()
        };
        report.message = Some(MessageSection {
            hops: vec![hop(Some(true)), hop(Some(true)), hop(None)],
            ..Default::default()
        });
        report
    }

    #[test]
    fn combined_report_verdicts() {
        let both = vec![
            entry("mx1.shop.test", "192.0.2.10", true),
            entry("mx2.shop.test", "192.0.2.11", true),
        ];
        let t = transport_security(&combined(Some("enforce"), false, both.clone())).unwrap();
        assert_eq!(t.verdict, TransportVerdict::EncryptedAndProtected);
        assert_eq!(
            t.summary,
            "Mail to this domain is encrypted in transit and downgrade-protected (MTA-STS enforce)."
        );
        assert_eq!(t.mta_sts_mode.as_deref(), Some("enforce"));
        assert_eq!((t.hops_total, t.hops_tls, t.hops_clear), (3, 2, 0));
        assert!(t.message_summary.unwrap().contains("2 of its 3"));

        let t = transport_security(&combined(None, true, both.clone())).unwrap();
        assert_eq!(t.verdict, TransportVerdict::EncryptedAndProtected);
        assert!(t.summary.contains("(DANE)"), "{}", t.summary);

        let t = transport_security(&combined(Some("testing"), false, both)).unwrap();
        assert_eq!(t.verdict, TransportVerdict::EncryptedOpportunistic);
        assert!(t.summary.contains("testing mode"), "{}", t.summary);

        let mixed = vec![
            entry("mx1.shop.test", "192.0.2.10", true),
            entry("mx2.shop.test", "192.0.2.11", false),
        ];
        let t = transport_security(&combined(Some("enforce"), false, mixed)).unwrap();
        assert_eq!(t.verdict, TransportVerdict::PartlyEncrypted);
        assert!(t.summary.contains("Only 1 of 2"), "{}", t.summary);

        let none = vec![entry("mx1.shop.test", "192.0.2.10", false)];
        let t = transport_security(&combined(None, false, none)).unwrap();
        assert_eq!(t.verdict, TransportVerdict::NotEncrypted);

        let t = transport_security(&combined(None, false, vec![])).unwrap();
        assert_eq!(t.verdict, TransportVerdict::Unknown);

        let empty = Report::new(ReportKind::Message, "2026-01-01T00:00:00Z", vec![]);
        assert!(transport_security(&empty).is_none());

        // A message alone: the summary is about its path.
        let mut message = combined(None, false, vec![]);
        message.kind = ReportKind::Message;
        message.domain = None;
        let t = section(&message).unwrap();
        assert_eq!(t.verdict, TransportVerdict::Unknown);
        assert!(
            t.summary
                .starts_with("This message used TLS on 2 of its 3 recorded hops"),
            "{}",
            t.summary
        );
        assert!(t.summary.contains("needs a domain audit"), "{}", t.summary);
    }

    #[test]
    fn rendered_in_text() {
        let mut report = combined(
            Some("enforce"),
            false,
            vec![entry("mx1.shop.test", "192.0.2.10", true)],
        );
        report.transport = transport_security(&report);
        let text = crate::report::text::render_text(&report);
        assert!(
            text.contains("transport security: Mail to this domain is encrypted in transit and downgrade-protected (MTA-STS enforce)."),
            "{text}"
        );
        assert!(
            text.contains("mx1.shop.test (192.0.2.10): STARTTLS, TLSv1.3"),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["transport"]["verdict"], "encrypted_and_protected");
    }

    /// The mode comes from the structured facts: a policy check whose
    /// wording changes (or mentions another mode) does not move it.
    #[test]
    fn mode_is_read_from_structured_facts_not_check_text() {
        let both = vec![entry("mx1.shop.test", "192.0.2.10", true)];
        let mut report = combined(None, false, both.clone());
        report.checks.push(Check::new(
            "mta-sts.policy",
            Status::Pass,
            "mode enforce, max_age 604800, mx mx1.shop.test",
        ));
        let t = transport_security(&report).unwrap();
        assert_eq!(
            t.mta_sts_mode, None,
            "no facts: no mode, whatever the text says"
        );
        assert_eq!(t.verdict, TransportVerdict::EncryptedOpportunistic);

        let mut report = combined(Some("enforce"), false, both);
        report.checks.push(Check::new(
            "mta-sts.policy",
            Status::Pass,
            "policy in mode testing per the reworded detail",
        ));
        let t = transport_security(&report).unwrap();
        assert_eq!(t.mta_sts_mode.as_deref(), Some("enforce"));
        assert_eq!(t.verdict, TransportVerdict::EncryptedAndProtected);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["domain"]["mta_sts"]["mode"], "enforce");
        // Older reports without the field still deserialize.
        let mut old = json.clone();
        old["domain"].as_object_mut().unwrap().remove("mta_sts");
        let back: Report = serde_json::from_value(old).unwrap();
        assert!(back.domain.unwrap().mta_sts.is_none());
    }

    /// DANE is read from `domain.dane`: a `dane.tlsa` check that says pass
    /// does not make it, and one host of two without a match unmakes it.
    #[test]
    fn dane_is_read_from_structured_facts_not_checks() {
        let both = vec![
            entry("mx1.shop.test", "192.0.2.10", true),
            entry("mx2.shop.test", "192.0.2.11", true),
        ];
        let mut report = combined(None, false, both.clone());
        report
            .checks
            .push(Check::new("dane.tlsa", Status::Pass, "matches").with_subject("mx1.shop.test"));
        let t = transport_security(&report).unwrap();
        assert!(!t.dane);
        assert_eq!(t.verdict, TransportVerdict::EncryptedOpportunistic);

        let mut report = combined(None, true, both);
        assert!(transport_security(&report).unwrap().dane);
        if let Some(domain) = report.domain.as_mut() {
            domain.dane[1].dnssec_validated = Some(false);
        }
        assert!(!transport_security(&report).unwrap().dane);
    }
}
