//! The model of one SMTP probe of one MX IP: what happened at each step of
//! the dialogue (RFC 5321 §3.1 greeting, §4.1.1.1 EHLO, RFC 3207 STARTTLS)
//! and what the TLS handshake showed.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::report::{
    CertFacts, ChainFacts, ChainResult, SmtpFacts, SmtpProbeFacts, SmtpTimings, StarttlsFacts,
    StarttlsResult,
};

/// How one step of the dialogue ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The step was not reached (an earlier step failed, or the guard refused).
    #[default]
    NotAttempted,
    /// The step succeeded.
    Ok,
    /// No answer within the timeout: we could not look.
    Timeout,
    /// The peer refused the TCP connection (RST).
    Refused,
    /// The peer answered with a negative reply code (4xx/5xx).
    Rejected,
    /// The peer answered with something that is not an SMTP reply, or
    /// closed the connection early, or an I/O error occurred.
    Failed,
}

impl Outcome {
    /// True when the step could not be judged (timeout, not attempted).
    pub fn is_inconclusive(self) -> bool {
        matches!(self, Outcome::NotAttempted | Outcome::Timeout)
    }
}

/// How STARTTLS ended (RFC 3207 §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StarttlsOutcome {
    /// `220` and a completed TLS handshake.
    Negotiated,
    /// The server answered STARTTLS with something other than 220.
    Rejected {
        /// The reply code (0 when the reply was not parseable).
        code: u16,
        /// The reply text.
        reply: String,
    },
    /// No answer in time, to the command or during the handshake.
    Timeout {
        /// Which step timed out (`starttls`, `handshake`).
        step: String,
    },
    /// The TLS handshake failed (alert, closed connection, protocol version).
    HandshakeFailed {
        /// The failure as reported by the TLS library.
        reason: String,
    },
    /// Another I/O failure around the command.
    Failed {
        /// What went wrong.
        reason: String,
    },
}

/// The verdict of path validation of the presented chain against the trust
/// anchors (webpki: signatures, validity period, serverAuth EKU). The name
/// match is reported separately in [`SmtpProbeResult::name_matches`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ChainVerdict {
    /// The chain leads to a trusted root.
    Trusted,
    /// The chain does not validate.
    Untrusted {
        /// webpki's reason (e.g. "UnknownIssuer", "Expired").
        reason: String,
    },
}

/// One certificate of the presented chain, as read by x509-parser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertSummary {
    /// Subject distinguished name (RFC 4514 form).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    #[serde(default)]
    pub sans: Vec<String>,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Whole days from the probe time to `not_after` (negative once expired).
    pub days_left: i64,
}

/// Milliseconds spent in each step; `None` when the step did not run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTimings {
    /// TCP connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u32>,
    /// From connected to the end of the greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_ms: Option<u32>,
    /// EHLO round trip (plaintext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_ms: Option<u32>,
    /// STARTTLS command round trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls_ms: Option<u32>,
    /// TLS handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_handshake_ms: Option<u32>,
    /// EHLO round trip over TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_tls_ms: Option<u32>,
    /// The whole probe, from before connect to after QUIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u32>,
}

/// Everything one probe of `host` at `ip` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpProbeResult {
    /// The MX host name (no trailing dot).
    pub host: String,
    /// The MX IP that was probed (and checked by the connection guard).
    pub ip: IpAddr,
    /// The port (25 unless redirected for tests).
    pub port: u16,
    /// Where the connection actually went, when an operator override
    /// (`--connect-to`) redirected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_to: Option<String>,
    /// The TCP connection.
    pub connect: Outcome,
    /// The greeting step.
    #[serde(default)]
    pub banner_outcome: Outcome,
    /// The whole greeting reply, every line, CRLF-separated (lossy UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// The greeting's reply code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_code: Option<u16>,
    /// The EHLO step (plaintext).
    #[serde(default)]
    pub ehlo: Outcome,
    /// The EHLO reply code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_code: Option<u16>,
    /// Every extension line of the EHLO reply (after the first line), as sent.
    #[serde(default)]
    pub ehlo_extensions: Vec<String>,
    /// The EHLO reply advertised STARTTLS.
    #[serde(default)]
    pub starttls_offered: bool,
    /// How STARTTLS went, when attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<StarttlsOutcome>,
    /// Negotiated protocol, e.g. "TLSv1.3".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// Negotiated cipher suite, e.g. "TLS13_AES_256_GCM_SHA384".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// The presented chain, leaf first.
    #[serde(default)]
    pub cert_chain: Vec<CertSummary>,
    /// The presented chain in DER, leaf first (for DANE matching; not serialized).
    #[serde(skip)]
    pub cert_der_chain: Vec<Vec<u8>>,
    /// Path validation of the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webpki_verdict: Option<ChainVerdict>,
    /// The leaf is valid for the MX host name (RFC 6125 via webpki).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_matches: Option<bool>,
    /// The server sent bytes after `220` to STARTTLS before the handshake.
    #[serde(default)]
    pub starttls_injection: bool,
    /// The EHLO extensions repeated over TLS (RFC 3207 §4.2 requires a new EHLO).
    #[serde(default)]
    pub ehlo_tls_extensions: Vec<String>,
    /// Per-step timings.
    #[serde(default)]
    pub timings: StepTimings,
    /// The first error that ended the dialogue, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Set when the connection guard refused the address: no connection was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_by_guard: Option<String>,
}

impl SmtpProbeResult {
    /// An empty result for `host` at `ip`:`port`, every step not attempted.
    pub fn new(host: &str, ip: IpAddr, port: u16) -> Self {
        SmtpProbeResult {
            host: host.trim_end_matches('.').to_string(),
            ip,
            port,
            connected_to: None,
            connect: Outcome::NotAttempted,
            banner_outcome: Outcome::NotAttempted,
            banner: None,
            banner_code: None,
            ehlo: Outcome::NotAttempted,
            ehlo_code: None,
            ehlo_extensions: Vec::new(),
            starttls_offered: false,
            starttls: None,
            tls_version: None,
            cipher: None,
            cert_chain: Vec::new(),
            cert_der_chain: Vec::new(),
            webpki_verdict: None,
            name_matches: None,
            starttls_injection: false,
            ehlo_tls_extensions: Vec::new(),
            timings: StepTimings::default(),
            error: None,
            refused_by_guard: None,
        }
    }

    /// The subject of this probe's checks: "host (ip)".
    pub fn subject(&self) -> String {
        format!("{} ({})", self.host, self.ip)
    }
}

/// The report's `domain.smtp` entry for one probe: the summary the report
/// contract fixes (`host`, `ip`, `banner`, `extensions`, `starttls`,
/// `tls_version`, `cert_valid`, `cert_days_left`) and the whole result in
/// `probe`, without the DER chain.
pub fn report_entry(r: &SmtpProbeResult) -> SmtpFacts {
    let leaf = r.cert_chain.first();
    let cert_valid = leaf.map(|leaf| {
        r.webpki_verdict == Some(ChainVerdict::Trusted)
            && r.name_matches == Some(true)
            && leaf.days_left >= 0
    });
    SmtpFacts {
        banner: r.banner.clone(),
        cert_days_left: leaf.map(|l| l.days_left),
        cert_valid,
        cipher: r.cipher.clone(),
        extensions: r.ehlo_extensions.clone(),
        host: r.host.clone(),
        ip: r.ip.to_string(),
        port: r.port,
        probe: probe_facts(r),
        starttls: matches!(r.starttls, Some(StarttlsOutcome::Negotiated)),
        tls_version: r.tls_version.clone(),
    }
}

/// `domain.smtp[].probe`: `r` as the report carries it.
fn probe_facts(r: &SmtpProbeResult) -> SmtpProbeFacts {
    let t = &r.timings;
    SmtpProbeFacts {
        banner: r.banner.clone(),
        banner_code: r.banner_code,
        banner_outcome: r.banner_outcome,
        cert_chain: r
            .cert_chain
            .iter()
            .map(|c| CertFacts {
                days_left: c.days_left,
                issuer: c.issuer.clone(),
                not_after: c.not_after.clone(),
                not_before: c.not_before.clone(),
                sans: c.sans.clone(),
                subject: c.subject.clone(),
            })
            .collect(),
        cipher: r.cipher.clone(),
        connect: r.connect,
        connected_to: r.connected_to.clone(),
        ehlo: r.ehlo,
        ehlo_code: r.ehlo_code,
        ehlo_extensions: r.ehlo_extensions.clone(),
        ehlo_tls_extensions: r.ehlo_tls_extensions.clone(),
        error: r.error.clone(),
        host: r.host.clone(),
        ip: r.ip.to_string(),
        name_matches: r.name_matches,
        port: r.port,
        refused_by_guard: r.refused_by_guard.clone(),
        starttls: r.starttls.as_ref().map(|s| {
            let mut facts = StarttlsFacts {
                code: None,
                reason: None,
                reply: None,
                result: StarttlsResult::Negotiated,
                step: None,
            };
            match s {
                StarttlsOutcome::Negotiated => {}
                StarttlsOutcome::Rejected { code, reply } => {
                    facts.result = StarttlsResult::Rejected;
                    facts.code = Some(*code);
                    facts.reply = Some(reply.clone());
                }
                StarttlsOutcome::Timeout { step } => {
                    facts.result = StarttlsResult::Timeout;
                    facts.step = Some(step.clone());
                }
                StarttlsOutcome::HandshakeFailed { reason } => {
                    facts.result = StarttlsResult::HandshakeFailed;
                    facts.reason = Some(reason.clone());
                }
                StarttlsOutcome::Failed { reason } => {
                    facts.result = StarttlsResult::Failed;
                    facts.reason = Some(reason.clone());
                }
            }
            facts
        }),
        starttls_injection: r.starttls_injection,
        starttls_offered: r.starttls_offered,
        timings: SmtpTimings {
            banner_ms: t.banner_ms,
            connect_ms: t.connect_ms,
            ehlo_ms: t.ehlo_ms,
            ehlo_tls_ms: t.ehlo_tls_ms,
            starttls_ms: t.starttls_ms,
            tls_handshake_ms: t.tls_handshake_ms,
            total_ms: t.total_ms,
        },
        tls_version: r.tls_version.clone(),
        webpki_verdict: r.webpki_verdict.as_ref().map(|v| match v {
            ChainVerdict::Trusted => ChainFacts {
                reason: None,
                result: ChainResult::Trusted,
            },
            ChainVerdict::Untrusted { reason } => ChainFacts {
                reason: Some(reason.clone()),
                result: ChainResult::Untrusted,
            },
        }),
    }
}
