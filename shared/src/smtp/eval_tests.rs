//! Tests of `eval.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;
use crate::smtp::model::{CertSummary, StepTimings};

fn status_of(checks: &[Check], id: &str) -> Status {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
        .status
}

fn good() -> SmtpProbeResult {
    let mut r = SmtpProbeResult::new("mx1.shop.test.", "192.0.2.10".parse().unwrap(), 25);
    r.connect = Outcome::Ok;
    r.banner_outcome = Outcome::Ok;
    r.banner = Some("220 mx1.shop.test ESMTP Postfix".into());
    r.banner_code = Some(220);
    r.ehlo = Outcome::Ok;
    r.ehlo_code = Some(250);
    r.ehlo_extensions = vec!["PIPELINING".into(), "STARTTLS".into()];
    r.starttls_offered = true;
    r.starttls = Some(StarttlsOutcome::Negotiated);
    r.tls_version = Some("TLSv1.3".into());
    r.cipher = Some("TLS13_AES_256_GCM_SHA384".into());
    r.cert_chain = vec![CertSummary {
        subject: "CN=mx1.shop.test".into(),
        issuer: "CN=mxlens test CA".into(),
        sans: vec!["mx1.shop.test".into()],
        not_before: "2026-01-01T00:00:00Z".into(),
        not_after: "2027-01-01T00:00:00Z".into(),
        days_left: 80,
    }];
    r.webpki_verdict = Some(ChainVerdict::Trusted);
    r.name_matches = Some(true);
    r
}

type Case = (
    &'static str,
    fn(&mut SmtpProbeResult),
    &'static [(&'static str, Status)],
);

#[test]
fn table() {
    use Status::*;
    let cases: &[Case] = &[
        (
            "all good",
            |_| {},
            &[
                ("smtp.connect", Pass),
                ("smtp.banner", Pass),
                ("smtp.ehlo", Pass),
                ("smtp.starttls", Pass),
                ("smtp.tls-version", Pass),
                ("smtp.certificate", Pass),
                ("smtp.banner-ptr", Pass),
            ],
        ),
        (
            "guard refused",
            |r| {
                *r = SmtpProbeResult::new("mx", "127.0.0.1".parse().unwrap(), 25);
                r.refused_by_guard = Some("loopback".into());
            },
            &[
                ("smtp.connect", NotTested),
                ("smtp.banner", NotTested),
                ("smtp.ehlo", NotTested),
                ("smtp.starttls", NotTested),
                ("smtp.tls-version", NotTested),
                ("smtp.certificate", NotTested),
                ("smtp.banner-ptr", NotTested),
            ],
        ),
        (
            "connect timeout",
            |r| {
                *r = SmtpProbeResult::new("mx", "192.0.2.1".parse().unwrap(), 25);
                r.connect = Outcome::Timeout;
            },
            &[
                ("smtp.connect", NotTested),
                ("smtp.starttls", NotTested),
                ("smtp.certificate", NotTested),
            ],
        ),
        (
            "connect refused",
            |r| {
                *r = SmtpProbeResult::new("mx", "192.0.2.1".parse().unwrap(), 25);
                r.connect = Outcome::Refused;
            },
            &[("smtp.connect", Error), ("smtp.banner", NotTested)],
        ),
        (
            "banner timeout",
            |r| {
                r.banner_outcome = Outcome::Timeout;
                r.banner = None;
                r.ehlo = Outcome::NotAttempted;
                r.starttls = None;
            },
            &[
                ("smtp.connect", Pass),
                ("smtp.banner", NotTested),
                ("smtp.ehlo", NotTested),
                ("smtp.starttls", NotTested),
                ("smtp.banner-ptr", NotTested),
            ],
        ),
        (
            "421 greeting",
            |r| {
                r.banner_outcome = Outcome::Rejected;
                r.banner_code = Some(421);
                r.banner = Some("421 4.3.2 busy".into());
            },
            &[
                ("smtp.banner", Warn),
                ("smtp.ehlo", NotTested),
                ("smtp.starttls", NotTested),
            ],
        ),
        (
            "554 greeting",
            |r| {
                r.banner_outcome = Outcome::Rejected;
                r.banner_code = Some(554);
                r.banner = Some("554 no SMTP service here".into());
            },
            &[("smtp.banner", Fail), ("smtp.ehlo", NotTested)],
        ),
        (
            "garbage",
            |r| {
                r.banner_outcome = Outcome::Failed;
                r.banner = Some("\u{0}HTTP/1.1 400".into());
            },
            &[("smtp.banner", Fail), ("smtp.ehlo", NotTested)],
        ),
        (
            "closed before greeting",
            |r| {
                r.banner_outcome = Outcome::Failed;
                r.banner = None;
            },
            &[("smtp.banner", Error), ("smtp.ehlo", NotTested)],
        ),
        (
            "banner not fqdn",
            |r| {
                r.banner = Some("220 localhost ESMTP".into());
            },
            &[("smtp.banner", Warn)],
        ),
        (
            "no starttls",
            |r| {
                r.starttls_offered = false;
                r.starttls = None;
                r.tls_version = None;
                r.cert_chain.clear();
                r.webpki_verdict = None;
            },
            &[
                ("smtp.starttls", Fail),
                ("smtp.tls-version", NotApplicable),
                ("smtp.certificate", NotApplicable),
            ],
        ),
        (
            "injection",
            |r| r.starttls_injection = true,
            &[("smtp.starttls", Fail)],
        ),
        (
            "starttls rejected",
            |r| {
                r.starttls = Some(StarttlsOutcome::Rejected {
                    code: 454,
                    reply: "454 TLS not available".into(),
                });
                r.tls_version = None;
            },
            &[
                ("smtp.starttls", Fail),
                ("smtp.tls-version", NotTested),
                ("smtp.certificate", NotTested),
            ],
        ),
        (
            "handshake timeout",
            |r| {
                r.starttls = Some(StarttlsOutcome::Timeout {
                    step: "handshake".into(),
                });
                r.tls_version = None;
            },
            &[
                ("smtp.starttls", NotTested),
                ("smtp.tls-version", NotTested),
                ("smtp.certificate", NotTested),
            ],
        ),
        (
            "old protocol",
            |r| {
                r.starttls = Some(StarttlsOutcome::HandshakeFailed {
                    reason: "received fatal alert: ProtocolVersion".into(),
                });
                r.tls_version = None;
            },
            &[
                ("smtp.starttls", Fail),
                ("smtp.tls-version", Fail),
                ("smtp.certificate", NotTested),
            ],
        ),
        (
            "tls 1.0",
            |r| r.tls_version = Some("TLSv1.0".into()),
            &[("smtp.tls-version", Fail)],
        ),
        (
            "untrusted",
            |r| {
                r.webpki_verdict = Some(ChainVerdict::Untrusted {
                    reason: "UnknownIssuer".into(),
                })
            },
            &[("smtp.certificate", Fail)],
        ),
        (
            "name mismatch",
            |r| r.name_matches = Some(false),
            &[("smtp.certificate", Fail)],
        ),
        (
            "expired",
            |r| r.cert_chain[0].days_left = -3,
            &[("smtp.certificate", Fail)],
        ),
        (
            "expiring",
            |r| r.cert_chain[0].days_left = 5,
            &[("smtp.certificate", Warn)],
        ),
        (
            "expiring and untrusted",
            |r| {
                r.cert_chain[0].days_left = 5;
                r.webpki_verdict = Some(ChainVerdict::Untrusted {
                    reason: "UnknownIssuer".into(),
                });
            },
            &[("smtp.certificate", Fail)],
        ),
        (
            "ptr differs",
            |r| r.banner = Some("220 other.shop.test ESMTP".into()),
            &[("smtp.banner-ptr", Warn)],
        ),
    ];
    for (name, mutate, want) in cases {
        let mut r = good();
        mutate(&mut r);
        let checks = smtp_checks(&r, &["MX1.shop.test.".to_string()]);
        assert_eq!(checks.len(), 7, "{name}");
        for c in &checks {
            assert_eq!(c.subject.as_deref(), Some(r.subject().as_str()), "{name}");
            assert!(
                crate::report::catalog::lookup(&c.id).is_some(),
                "{name}: {} not in catalog",
                c.id
            );
        }
        for (id, status) in *want {
            assert_eq!(status_of(&checks, id), *status, "{name}: {id}: {checks:#?}");
        }
    }
}

#[test]
fn report_entry_has_the_contract_fields() {
    let mut r = good();
    let v = serde_json::to_value(crate::smtp::report_entry(&r)).unwrap();
    for field in [
        "host",
        "ip",
        "banner",
        "extensions",
        "starttls",
        "tls_version",
        "cert_valid",
        "cert_days_left",
    ] {
        assert!(v.get(field).is_some(), "{field} missing in {v}");
    }
    let entry = crate::smtp::report_entry(&r);
    assert!(entry.starttls);
    assert_eq!(entry.cert_valid, Some(true));
    assert_eq!(entry.cert_days_left, Some(80));
    r.name_matches = Some(false);
    assert_eq!(crate::smtp::report_entry(&r).cert_valid, Some(false));
}

/// The `domain.smtp` entry as it was written before it was typed:
/// `serde_json::to_value` of this struct (the probe model inside), whose
/// `Map` sorted the members of every object.
#[derive(serde::Serialize)]
struct UntypedEntry {
    host: String,
    ip: String,
    port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    banner: Option<String>,
    extensions: Vec<String>,
    starttls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cipher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cert_valid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cert_days_left: Option<i64>,
    probe: SmtpProbeResult,
}

fn untyped_entry(r: &SmtpProbeResult) -> serde_json::Value {
    let leaf = r.cert_chain.first();
    serde_json::to_value(UntypedEntry {
        host: r.host.clone(),
        ip: r.ip.to_string(),
        port: r.port,
        banner: r.banner.clone(),
        extensions: r.ehlo_extensions.clone(),
        starttls: matches!(r.starttls, Some(StarttlsOutcome::Negotiated)),
        tls_version: r.tls_version.clone(),
        cipher: r.cipher.clone(),
        cert_valid: leaf.map(|leaf| {
            r.webpki_verdict == Some(ChainVerdict::Trusted)
                && r.name_matches == Some(true)
                && leaf.days_left >= 0
        }),
        cert_days_left: leaf.map(|l| l.days_left),
        probe: r.clone(),
    })
    .unwrap()
}

/// The typed entry writes the bytes the untyped one did, for every
/// STARTTLS outcome and chain verdict, a guard refusal, a redirected
/// connection, every timing and an IPv6 address; and reads back as
/// itself.
#[test]
fn the_entry_is_byte_identical_to_the_untyped_value() {
    let mut results = vec![
        good(),
        SmtpProbeResult::new("mx.", "2001:db8::25".parse().unwrap(), 25),
    ];
    for starttls in [
        StarttlsOutcome::Rejected {
            code: 454,
            reply: "454 4.7.0 TLS not available".into(),
        },
        StarttlsOutcome::Timeout {
            step: "handshake".into(),
        },
        StarttlsOutcome::HandshakeFailed {
            reason: "received fatal alert: ProtocolVersion".into(),
        },
        StarttlsOutcome::Failed {
            reason: "connection reset".into(),
        },
    ] {
        let mut r = good();
        r.starttls = Some(starttls);
        r.tls_version = None;
        r.cipher = None;
        r.cert_chain.clear();
        r.webpki_verdict = None;
        r.name_matches = None;
        r.error = Some("STARTTLS failed".into());
        results.push(r);
    }
    let mut r = good();
    r.webpki_verdict = Some(ChainVerdict::Untrusted {
        reason: "UnknownIssuer".into(),
    });
    r.cert_chain[0].days_left = -3;
    r.cert_chain.push(CertSummary::default());
    r.cert_der_chain = vec![vec![0x30, 0x82]];
    r.connected_to = Some("127.0.0.1:2525".into());
    r.starttls_injection = true;
    r.ehlo_tls_extensions = vec!["PIPELINING".into(), "SIZE 10240000".into()];
    r.timings = StepTimings {
        connect_ms: Some(1),
        banner_ms: Some(2),
        ehlo_ms: Some(3),
        starttls_ms: Some(4),
        tls_handshake_ms: Some(5),
        ehlo_tls_ms: Some(6),
        total_ms: Some(u32::MAX),
    };
    results.push(r);
    let mut r = SmtpProbeResult::new("mx1.shop.test", "127.0.0.1".parse().unwrap(), 25);
    r.refused_by_guard = Some("loopback address".into());
    r.connect = Outcome::Refused;
    results.push(r);
    let mut r = SmtpProbeResult::new("mx1.shop.test", "192.0.2.1".parse().unwrap(), 2525);
    r.connect = Outcome::Ok;
    r.banner_outcome = Outcome::Rejected;
    r.banner = Some("554-mx1 no\r\n554 go away".into());
    r.banner_code = Some(554);
    r.ehlo = Outcome::Timeout;
    results.push(r);
    for r in &results {
        let typed = crate::smtp::report_entry(r);
        let json = serde_json::to_string(&typed).unwrap();
        assert_eq!(json, untyped_entry(r).to_string(), "{r:#?}");
        let back: crate::report::SmtpFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, typed);
    }
    // The wire form of a guard refusal, pinned.
    assert_eq!(
        serde_json::to_string(&crate::smtp::report_entry(&results[results.len() - 2])).unwrap(),
        concat!(
            r#"{"extensions":[],"host":"mx1.shop.test","ip":"127.0.0.1","port":25,"#,
            r#""probe":{"banner_outcome":"not_attempted","cert_chain":[],"connect":"refused","#,
            r#""ehlo":"not_attempted","ehlo_extensions":[],"ehlo_tls_extensions":[],"#,
            r#""host":"mx1.shop.test","ip":"127.0.0.1","port":25,"#,
            r#""refused_by_guard":"loopback address","starttls_injection":false,"#,
            r#""starttls_offered":false,"timings":{}},"starttls":false}"#,
        )
    );
}

/// The words the report's readers compare with are serde's.
#[test]
fn result_words_are_serdes() {
    use crate::report::StarttlsResult;
    for result in StarttlsResult::ALL {
        assert_eq!(serde_json::to_value(result).unwrap(), result.as_str());
    }
}

#[test]
fn no_ptr_is_not_applicable() {
    let checks = smtp_checks(&good(), &[]);
    assert_eq!(status_of(&checks, "smtp.banner-ptr"), Status::NotApplicable);
}

#[test]
fn serde_round_trip_skips_der() {
    let mut r = good();
    r.cert_der_chain = vec![vec![1, 2, 3]];
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("cert_der_chain"), "{json}");
    assert!(json.contains("\"result\":\"negotiated\""), "{json}");
    let back: SmtpProbeResult = serde_json::from_str(&json).unwrap();
    assert!(back.cert_der_chain.is_empty());
    assert_eq!(back.cert_chain, r.cert_chain);
    assert_eq!(back.subject(), "mx1.shop.test (192.0.2.10)");
}
