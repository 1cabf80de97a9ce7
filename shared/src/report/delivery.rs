//! The `delivery` section of a report (kind `delivery`): what mxlens's own
//! SMTP receiver saw when a message arrived at a test address, and what it
//! evaluated live for that connection. The shape is documented in
//! `docs/report-schema.md`.

use serde::{Deserialize, Serialize};

/// The facts of one SMTP transaction as the receiver recorded them. They
/// are stored with the raw message, and the report is recomputed from
/// both (see `crate::delivery`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionFacts {
    /// The connecting client's IP (after a trusted PROXY header, when the
    /// receiver sits behind a load balancer).
    pub client_ip: String,
    /// The client's TCP port.
    #[serde(default)]
    pub client_port: u16,
    /// The HELO/EHLO argument as sent (RFC 5321 §4.1.1.1).
    #[serde(default)]
    pub helo: String,
    /// True when the client greeted with EHLO (ESMTP).
    #[serde(default)]
    pub esmtp: bool,
    /// True when the client upgraded with STARTTLS (RFC 3207).
    #[serde(default)]
    pub starttls: bool,
    /// The negotiated TLS version, e.g. `TLSv1.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// The negotiated cipher suite, IANA name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cipher: Option<String>,
    /// True when the receiver offered STARTTLS at all (it has a
    /// certificate); without it TLS use cannot be tested.
    #[serde(default)]
    pub starttls_offered: bool,
    /// The MAIL FROM reverse-path, without angle brackets; empty for the
    /// null reverse-path `<>` (RFC 5321 §4.5.5).
    #[serde(default)]
    pub mail_from: String,
    /// The RCPT TO forward-path (the test address).
    #[serde(default)]
    pub rcpt_to: String,
    /// RFC 3339 time the message's DATA ended.
    #[serde(default)]
    pub received_at: String,
    /// The receiver's host name (the `by` of its Received field).
    #[serde(default)]
    pub received_by: String,
    /// The message size in octets, after dot-unstuffing.
    #[serde(default)]
    pub size: u64,
    /// The client declared `BODY=8BITMIME` (RFC 6152).
    #[serde(default)]
    pub body_8bitmime: bool,
    /// The client declared `SMTPUTF8` (RFC 6531).
    #[serde(default)]
    pub smtputf8: bool,
    /// The client sent commands ahead of replies (RFC 2920 pipelining).
    #[serde(default)]
    pub pipelined: bool,
    /// The proxy (PROXY protocol peer) the connection came through, when
    /// the receiver trusts one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxied_by: Option<String>,
}

/// What the receiver evaluated for the delivery, beyond the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySection {
    /// The SMTP transaction.
    pub connection: ConnectionFacts,
    /// PTR names of the client IP (no trailing dot).
    #[serde(default)]
    pub ptr: Vec<String>,
    /// Forward-confirmed reverse DNS: a PTR name resolves back to the IP;
    /// `None` when a lookup failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcrdns: Option<bool>,
    /// check_host() for the MAIL FROM identity (RFC 7208 §2.4): `pass`,
    /// `fail`, `softfail`, `neutral`, `none`, `permerror`, `temperror`.
    #[serde(default)]
    pub spf_mail_from: String,
    /// check_host() for the HELO identity (RFC 7208 §2.3), when the HELO
    /// is a domain name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf_helo: Option<String>,
    /// DKIM as mxlens verified it: `pass`, `fail`, `none` (unsigned) or
    /// `not_verified` (verification is not available in this build).
    #[serde(default)]
    pub dkim: String,
    /// DMARC as mxlens computed it (RFC 7489 §4.2): `pass`, `fail`,
    /// `none` (no record), `temperror`, or `unknown` (needs a DKIM verdict
    /// that is not available).
    #[serde(default)]
    pub dmarc: String,
    /// The effective DMARC policy of the From domain, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc_policy: Option<String>,
    /// The domain whose live audit is part of the report: the From domain,
    /// else the MAIL FROM domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audited_domain: Option<String>,
}
