//! The `message` section of a report.

use serde::{Deserialize, Serialize};

/// What the message section holds; every field is optional so a header-only
/// paste with missing pieces still yields a section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageSection {
    /// The From address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<FromAddress>,
    /// The Subject, decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Received hops, oldest first.
    #[serde(default)]
    pub hops: Vec<Hop>,
    /// Total delay from the first to the last hop, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_delay_seconds: Option<i64>,
    /// The first hop outside the sender's own network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_ip: Option<String>,
    /// DKIM-Signature headers.
    #[serde(default)]
    pub dkim_signatures: Vec<DkimSignatureSummary>,
    /// Results from the trusted Authentication-Results header.
    #[serde(default)]
    pub auth_results: Vec<AuthResultSummary>,
    /// True when a body was present in the paste.
    #[serde(default)]
    pub has_body: bool,
}

/// The From address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FromAddress {
    /// The display name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The addr-spec.
    pub address: String,
    /// The domain part, lower case.
    pub domain: String,
}

/// One Received hop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    /// The `from` host as the receiving server saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The receiving server (`by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The connecting IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The protocol (`with`), e.g. ESMTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// Whether this hop used TLS, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// The hop's timestamp, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Seconds since the previous hop (negative means clock skew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<i64>,
}

/// One DKIM-Signature header, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimSignatureSummary {
    /// `d=`
    pub domain: String,
    /// `s=`
    pub selector: String,
    /// `a=`
    pub algorithm: String,
}

/// One method result from Authentication-Results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResultSummary {
    /// The authserv-id (empty when the header omitted it, as Outlook does).
    pub authserv_id: String,
    /// `spf`, `dkim`, `dmarc`, `arc`...
    pub method: String,
    /// `pass`, `fail`...
    pub result: String,
}
