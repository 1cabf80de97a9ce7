//! The `domain` section of a report.

use serde::{Deserialize, Serialize};

/// What a domain audit found, beyond the checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainSection {
    /// The audited domain, as an A-label, without trailing dot.
    pub name: String,
    /// MX hosts in preference order.
    #[serde(default)]
    pub mx: Vec<MxHost>,
    /// SPF summary; the shape is documented in `docs/report-schema.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf: Option<serde_json::Value>,
    /// DMARC summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<serde_json::Value>,
    /// SMTP probe results, one per MX IP.
    #[serde(default)]
    pub smtp: Vec<serde_json::Value>,
    /// The mailbox reachability probe (`smtp.rcpt`), when one was asked
    /// for; shape in `docs/report-schema.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcpt: Option<serde_json::Value>,
    /// The MTA-STS policy that was fetched and parsed without errors:
    /// `{"mode", "max_age", "mx"}` (see
    /// [`crate::mta_sts::lint::policy_facts`]); absent when there is no
    /// valid policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<serde_json::Value>,
}

/// One MX host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    /// MX preference; lower is tried first.
    pub preference: u16,
    /// The target host name, without trailing dot.
    pub host: String,
    /// Its A and AAAA addresses.
    #[serde(default)]
    pub addresses: Vec<String>,
}
