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
    /// How DMARC policy discovery ended (RFC 7489 §6.6.3, RFC 9989 §4.10):
    /// `domain.dmarc` holds the record only when one applies, and this
    /// tells "no record" from "several records" and from "the lookup
    /// failed". Absent in reports written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmarc_discovery: Option<DmarcDiscoveryFacts>,
    /// The DKIM key query of each selector the audit reports (RFC 6376
    /// §3.6.2.1): every given selector, and the guessed ones where a key
    /// was found (see [`crate::dkim::key::key_facts`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dkim: Vec<DkimKeyFacts>,
    /// Reverse DNS with forward confirmation of each address checked: the
    /// MX addresses, then the sending IP (see [`crate::audit::ptr`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ptr: Vec<PtrFacts>,
    /// The TLSA records of each MX host and what they protect (RFC 7672),
    /// in MX preference order (see [`crate::dane::tlsa::tlsa_facts`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dane: Vec<DaneFacts>,
}

/// `domain.dane[]`: one MX host's TLSA records at `_25._tcp.<host>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaneFacts {
    /// The MX host.
    pub host: String,
    /// `found`, `not_found` or `dns_failure`.
    pub result: LookupOutcome,
    /// The records, in presentation form (`3 1 1 <hex>`).
    #[serde(default)]
    pub records: Vec<String>,
    /// How many are usable for SMTP: well formed and not a PKIX usage
    /// (RFC 7672 §3.1.3).
    pub usable: u32,
    /// Whether the answer was DNSSEC-validated (the AD bit); `None` when
    /// unknown. Without DNSSEC, senders ignore the records (RFC 7672 §2.2).
    pub dnssec_validated: Option<bool>,
    /// Whether a record matches the certificate chain the MX presented;
    /// `None` when no chain was seen (no TLS handshake).
    pub matched: Option<bool>,
    /// What failed (`dns_failure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DaneFacts {
    /// DANE protects mail to this host: usable records, not known to lack
    /// DNSSEC, and one matches the certificate presented (`dane.tlsa`
    /// passes exactly then).
    pub fn protects(&self) -> bool {
        self.usable > 0 && self.dnssec_validated != Some(false) && self.matched == Some(true)
    }
}

/// `domain.dmarc_discovery`: the outcome of DMARC policy discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcDiscoveryFacts {
    /// `found`, `not_found`, `multiple` or `dns_failure`.
    pub result: LookupOutcome,
    /// Every name queried, in order (`_dmarc.<domain>`, then the tree walk).
    #[serde(default)]
    pub queried: Vec<String>,
    /// Where the record was found, or where several were (`found`,
    /// `multiple`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How many `v=DMARC1` records were at `source` (`multiple`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u32>,
    /// What failed (`dns_failure`): the name and the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How DMARC policy discovery ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupOutcome {
    /// Exactly one record applies.
    Found,
    /// No record at the domain nor on the walk.
    #[default]
    NotFound,
    /// Several `v=DMARC1` records at one name: none applies (RFC 7489
    /// §6.6.3).
    Multiple,
    /// A query failed: the answer is unknown.
    DnsFailure,
}

impl LookupOutcome {
    /// The JSON word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Found => "found",
            Self::NotFound => "not_found",
            Self::Multiple => "multiple",
            Self::DnsFailure => "dns_failure",
        }
    }

    /// The outcome a JSON word names.
    pub fn parse(word: &str) -> Option<Self> {
        [
            Self::Found,
            Self::NotFound,
            Self::Multiple,
            Self::DnsFailure,
        ]
        .into_iter()
        .find(|o| o.as_str() == word)
    }
}

/// `domain.dkim[]`: one selector's key query and what the key is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimKeyFacts {
    /// The selector.
    pub selector: String,
    /// The name queried: `<selector>._domainkey.<domain>`.
    pub name: String,
    /// Whether the selector was given (named by the caller or seen in a
    /// signature) or guessed from the common ones.
    pub guessed: bool,
    /// `found`, `not_found` or `dns_failure` (the words of
    /// [`LookupOutcome`]; a key name has no `multiple`: the first
    /// record that looks like a key is read, RFC 6376 §3.6.2.2).
    pub result: LookupOutcome,
    /// The TXT record read (`found`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// How many TXT records the name had (`found`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u32>,
    /// The key (`found`): `rsa`, `ed25519`, `revoked` (empty `p=`),
    /// `missing` (no `p=`) or `invalid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The RSA modulus size (`rsa`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// What failed (`dns_failure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `domain.ptr[]`: the reverse DNS of one address (FCrDNS).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtrFacts {
    /// The address, as the audit wrote it.
    pub ip: String,
    /// `mx` for an MX host's address, `sender` for the sending IP.
    pub role: PtrRole,
    /// The MX host whose address it is (`mx`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The PTR names (no trailing dot).
    #[serde(default)]
    pub names: Vec<String>,
    /// The PTR names whose A/AAAA records include the address.
    #[serde(default)]
    pub confirmed: Vec<String>,
    /// A lookup failed, so the answer is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whose address a `domain.ptr` entry is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PtrRole {
    /// An MX host's address (`mx.ptr`).
    #[default]
    Mx,
    /// The IP that sent the message (`sender.ptr`).
    Sender,
}

impl PtrRole {
    /// The JSON word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mx => "mx",
            Self::Sender => "sender",
        }
    }

    /// The role a JSON word names.
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Mx, Self::Sender]
            .into_iter()
            .find(|r| r.as_str() == word)
    }
}

impl PtrFacts {
    /// Whether this is the reverse DNS of `ip`: the addresses compared as
    /// addresses, so 192.0.2.1 is not 192.0.2.10 and `2001:DB8::1` is
    /// `2001:db8:0::1`.
    pub fn is_of(&self, ip: &str) -> bool {
        match (
            self.ip.parse::<std::net::IpAddr>(),
            ip.trim().parse::<std::net::IpAddr>(),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
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
