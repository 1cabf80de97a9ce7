//! `domain.smtp`: what the SMTP probe of each MX address found (RFC 5321
//! greeting and EHLO, RFC 3207 STARTTLS, the certificate the server
//! presented).
//!
//! The JSON is the one `smtp::SmtpReportEntry` gave as an untyped
//! `serde_json::Value` (`serde_json::to_value` of the entry with the probe
//! result inside): `serde_json` is built without `preserve_order`, so its
//! `Map` wrote every object's members in alphabetical order, at every
//! depth, the internally tagged STARTTLS and chain verdicts included (their
//! `result` tag among the other members, not first). The structs below
//! declare their fields in that order, omit what the probe model omitted
//! (`skip_serializing_if`) and write what it always wrote, so the typed
//! section is byte-identical. The DER chain the model keeps for DANE
//! matching was never written and is not here.

use serde::{Deserialize, Serialize};

use crate::smtp::Outcome;

/// One entry of `domain.smtp`: one probed (MX host, IP), summarised, with
/// the whole probe result in [`Self::probe`] (made by
/// `smtp::report_entry`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpFacts {
    /// The whole greeting reply (RFC 5321 §4.3.1), every line,
    /// CRLF-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Whole days until the leaf certificate expires (negative once it
    /// has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_days_left: Option<i64>,
    /// The chain validates, the name matches the MX host and the leaf has
    /// not expired; absent when no certificate was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_valid: Option<bool>,
    /// The negotiated cipher suite (IANA name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// The extensions of the plaintext EHLO reply (RFC 5321 §4.1.1.1).
    #[serde(default)]
    pub extensions: Vec<String>,
    /// The MX host (no trailing dot).
    pub host: String,
    /// The probed IP.
    pub ip: String,
    /// The port (25, RFC 5321 §4.5.4.2, unless redirected for tests).
    pub port: u16,
    /// The whole probe result.
    pub probe: SmtpProbeFacts,
    /// STARTTLS was negotiated (RFC 3207 §4: `220` and a completed TLS
    /// handshake).
    pub starttls: bool,
    /// The negotiated protocol, e.g. `TLSv1.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
}

/// `domain.smtp[].probe`: every step of the dialogue with one MX address
/// (`smtp::SmtpProbeResult` without its DER chain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpProbeFacts {
    /// The whole greeting reply, every line, CRLF-separated (lossy UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// The greeting's reply code (`220`, RFC 5321 §4.3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_code: Option<u16>,
    /// How the greeting step ended.
    #[serde(default)]
    pub banner_outcome: Outcome,
    /// The presented chain, leaf first.
    #[serde(default)]
    pub cert_chain: Vec<CertFacts>,
    /// The negotiated cipher suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// How the TCP connection ended.
    pub connect: Outcome,
    /// Where the connection actually went, when an operator override
    /// (`--connect-to`) redirected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_to: Option<String>,
    /// How the plaintext EHLO ended (RFC 5321 §4.1.1.1).
    #[serde(default)]
    pub ehlo: Outcome,
    /// The EHLO reply code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_code: Option<u16>,
    /// Every extension line of the EHLO reply (after the first line), as
    /// sent.
    #[serde(default)]
    pub ehlo_extensions: Vec<String>,
    /// The EHLO extensions repeated over TLS (RFC 3207 §4.2: the client
    /// must send EHLO again).
    #[serde(default)]
    pub ehlo_tls_extensions: Vec<String>,
    /// The first error that ended the dialogue, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The MX host name (no trailing dot).
    pub host: String,
    /// The MX IP that was probed.
    pub ip: String,
    /// The leaf is valid for the MX host name (RFC 6125 via webpki; RFC
    /// 7672 §3.2.3 and RFC 8461 §4.1 for DANE and MTA-STS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_matches: Option<bool>,
    /// The port.
    pub port: u16,
    /// Set when the connection guard refused the address: no connection
    /// was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_by_guard: Option<String>,
    /// How STARTTLS went, when attempted (RFC 3207 §4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<StarttlsFacts>,
    /// The server sent bytes after `220` to STARTTLS before the handshake
    /// (RFC 3207 §5: a client must discard them; CVE-2011-0411).
    #[serde(default)]
    pub starttls_injection: bool,
    /// The EHLO reply advertised STARTTLS (RFC 3207 §4).
    #[serde(default)]
    pub starttls_offered: bool,
    /// Milliseconds per step.
    #[serde(default)]
    pub timings: SmtpTimings,
    /// The negotiated protocol, e.g. `TLSv1.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// Path validation of the chain against the trust anchors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webpki_verdict: Option<ChainFacts>,
}

/// One certificate of the presented chain (`probe.cert_chain[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFacts {
    /// Whole days from the probe time to `not_after` (negative once
    /// expired).
    pub days_left: i64,
    /// Issuer distinguished name (RFC 4514 form).
    pub issuer: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    #[serde(default)]
    pub sans: Vec<String>,
    /// Subject distinguished name (RFC 4514 form).
    pub subject: String,
}

/// `probe.timings`: milliseconds spent in each step; absent when the step
/// did not run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpTimings {
    /// From connected to the end of the greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_ms: Option<u32>,
    /// TCP connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u32>,
    /// EHLO round trip (plaintext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_ms: Option<u32>,
    /// EHLO round trip over TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ehlo_tls_ms: Option<u32>,
    /// STARTTLS command round trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls_ms: Option<u32>,
    /// TLS handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_handshake_ms: Option<u32>,
    /// The whole probe, from before connect to after QUIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u32>,
}

/// `probe.starttls`: how STARTTLS ended (RFC 3207 §4), the `result` word
/// and the members that go with it (`code` and `reply` for `rejected`,
/// `step` for `timeout`, `reason` for `handshake_failed` and `failed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarttlsFacts {
    /// `rejected`: the reply code (0 when the reply was not parseable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// `handshake_failed`, `failed`: what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `rejected`: the reply text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// How it ended.
    pub result: StarttlsResult,
    /// `timeout`: which step timed out (`starttls`, `handshake`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

/// The `result` word of [`StarttlsFacts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StarttlsResult {
    /// `220` and a completed TLS handshake.
    Negotiated,
    /// The server answered STARTTLS with something other than `220`.
    Rejected,
    /// No answer in time, to the command or during the handshake.
    Timeout,
    /// The TLS handshake failed (alert, closed connection, protocol
    /// version).
    HandshakeFailed,
    /// Another I/O failure around the command.
    Failed,
}

impl StarttlsResult {
    /// Every result word.
    pub const ALL: [StarttlsResult; 5] = [
        StarttlsResult::Negotiated,
        StarttlsResult::Rejected,
        StarttlsResult::Timeout,
        StarttlsResult::HandshakeFailed,
        StarttlsResult::Failed,
    ];

    /// The word used in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            StarttlsResult::Negotiated => "negotiated",
            StarttlsResult::Rejected => "rejected",
            StarttlsResult::Timeout => "timeout",
            StarttlsResult::HandshakeFailed => "handshake_failed",
            StarttlsResult::Failed => "failed",
        }
    }
}

/// `probe.webpki_verdict`: path validation of the presented chain
/// (signatures, validity period, serverAuth EKU). The name match is
/// [`SmtpProbeFacts::name_matches`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFacts {
    /// `untrusted`: webpki's reason (e.g. `UnknownIssuer`, `Expired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `trusted` (the chain leads to a trusted root) or `untrusted`.
    pub result: ChainResult,
}

/// The `result` word of [`ChainFacts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainResult {
    /// The chain leads to a trusted root.
    Trusted,
    /// The chain does not validate.
    Untrusted,
}
