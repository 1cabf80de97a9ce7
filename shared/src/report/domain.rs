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
    /// The domain's SPF record, its DNS lookup counts and its lookup tree
    /// (RFC 7208 §4.6.4; see [`crate::spf::lint::SpfLint::report_section`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spf: Option<super::SpfFacts>,
    /// The DMARC record that applies to the domain (its own or, on the
    /// RFC 9989 §4.10 tree walk, an ancestor's), parsed; absent when none
    /// was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<super::DmarcFacts>,
    /// The SMTP probe of each MX address (greeting and EHLO, RFC 5321
    /// §4.3.1, §4.1.1.1; STARTTLS, RFC 3207; the certificate), in MX
    /// preference order (see [`crate::smtp::report_entry`]).
    #[serde(default)]
    pub smtp: Vec<super::SmtpFacts>,
    /// The mailbox reachability probe (`smtp.rcpt`: `MAIL FROM:<>` and
    /// `RCPT TO:` without DATA, RFC 5321 §4.1.1.2, §4.1.1.3), when one was
    /// asked for (see [`crate::smtp::rcpt::report_entry`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcpt: Option<super::RcptFacts>,
    /// The MTA-STS policy that was fetched and parsed without errors (see
    /// [`crate::mta_sts::lint::policy_facts`]); absent when there is no
    /// valid policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mta_sts: Option<MtaStsFacts>,
}

/// `domain.mta_sts`: the facts of a valid MTA-STS policy (RFC 8461 §3.2).
/// Members in the order they have always been written (alphabetical, as
/// `serde_json` wrote the untyped object), and written even when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtaStsFacts {
    /// `max_age:` in seconds.
    pub max_age: Option<u32>,
    /// `mode:`: `enforce`, `testing` or `none`.
    pub mode: Option<String>,
    /// `mx:` patterns, in order (`mx1.example.com` or `*.example.com`).
    #[serde(default)]
    pub mx: Vec<String>,
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
