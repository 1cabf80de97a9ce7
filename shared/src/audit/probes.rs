//! What a domain audit needs beyond DNS: the SMTP probe of the MX hosts,
//! the MTA-STS policy fetch over HTTPS and the mailbox probe. `shared` does
//! no I/O, so the caller supplies them through [`Probes`], the way it
//! supplies DNS through [`crate::dns::DnsLookup`]. The backend implements
//! them with tokio, rustls and the SSRF guard; tests may implement them
//! with canned results.

use std::future::Future;

use crate::mta_sts::lint::PolicyFetch;
use crate::report::{Check, MxHost};
use crate::smtp::SmtpProbeResult;

/// At most this many (host, IP) pairs are probed over SMTP, and get PTR and
/// blocklist checks, per audit, in MX preference order. Senders try only a
/// few (Postfix: `smtp_mx_address_limit = 5`); an MX set with hundreds of
/// addresses must not turn one audit into hundreds of connections.
pub const MAX_PROBE_TARGETS: usize = 10;

/// What the SMTP probe of every MX address found: the `smtp.*` checks and
/// the `domain.smtp` entries of the report.
#[derive(Debug, Clone, Default)]
pub struct SmtpAudit {
    /// The checks, seven per probed (host, IP), with `subject` "host (ip)".
    pub checks: Vec<Check>,
    /// One entry per probed (host, IP), for `DomainSection::smtp`.
    pub entries: Vec<crate::report::SmtpFacts>,
    /// The raw results (DER chains included, for DANE matching).
    pub results: Vec<SmtpProbeResult>,
}

/// The mailbox probe (`smtp.rcpt`).
#[derive(Debug, Clone, Default)]
pub struct RcptAudit {
    /// The `smtp.rcpt` check.
    pub checks: Vec<Check>,
    /// The `domain.rcpt` entry, when the probe ran.
    pub entry: Option<crate::report::RcptFacts>,
}

/// The network probes of a domain audit.
pub trait Probes: Sync {
    /// Probes every address of `hosts` over SMTP. `None` when SMTP probes
    /// are off (`--no-smtp`): the audit then says `not_tested`.
    fn smtp(&self, hosts: &[MxHost]) -> impl Future<Output = Option<SmtpAudit>> + Send;

    /// Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461
    /// §3.3): the body, or why there is none ([`PolicyFetch`]; whether we
    /// could not look is the fetch's to say, and `mta-sts.policy` is made
    /// from it alone).
    fn sts_policy(&self, domain: &str) -> impl Future<Output = PolicyFetch> + Send;

    /// Asks the best of `hosts` whether `address` at `domain` is a mailbox
    /// (RCPT TO without DATA), when the operator allows it.
    fn rcpt(
        &self,
        domain: &str,
        address: &str,
        hosts: &[MxHost],
    ) -> impl Future<Output = RcptAudit> + Send;
}
