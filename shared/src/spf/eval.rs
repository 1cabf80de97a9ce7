//! check_host() (RFC 7208 §4–§7), pure: DNS goes through
//! [`crate::dns::DnsLookup`], time comes in through [`EvalOptions`].
//!
//! The outcome carries the result, the explanation (for `fail`), the
//! RFC 7208 §4.6.4 counters and a lookup tree of every term evaluated.
//!
//! This file holds the result types, the entry points and the evaluator's
//! state and counters; the work is in `eval/`: `record.rs` (one domain's
//! record: selection, directives, `redirect=`, `exp=`), `mechanism.rs`
//! (each mechanism's match), `expand.rs` (macro expansion into target
//! names) and `tree.rs` (the lookup tree the outcome carries).

mod expand;
mod mechanism;
mod record;
mod tree;

pub use mechanism::ip_in_network;
pub use tree::{LookupNode, NodeKind};

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::macros::{self, MacroMode};
use super::model::Qualifier;
use super::parse::is_toplabel;
use crate::dns::{DnsLookup, DnsOutcome};

/// The seven results of check_host() (RFC 7208 §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    /// The client is authorized.
    Pass,
    /// The client is explicitly not authorized.
    Fail,
    /// Probably not authorized (weak statement).
    SoftFail,
    /// The domain makes no assertion.
    Neutral,
    /// No (valid) domain, or no SPF record.
    None,
    /// The domain's records are broken and need an administrator.
    PermError,
    /// A transient (usually DNS) error.
    TempError,
}

impl SpfResult {
    /// Every result, in the order of RFC 7208 §2.6.
    pub const ALL: [SpfResult; 7] = [
        SpfResult::Pass,
        SpfResult::Fail,
        SpfResult::SoftFail,
        SpfResult::Neutral,
        SpfResult::None,
        SpfResult::PermError,
        SpfResult::TempError,
    ];

    /// The result word: `pass`, `fail`, `softfail`, `neutral`, `none`,
    /// `permerror`, `temperror`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::PermError => "permerror",
            SpfResult::TempError => "temperror",
        }
    }

    /// The result a matching directive with this qualifier gives (§4.6.2).
    pub fn from_qualifier(q: Qualifier) -> Self {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Knobs for check_host().
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalOptions {
    /// The explanation for `fail` when the record has no usable `exp=`
    /// (RFC 7208 §6.2). It is an explain-string: macros are expanded.
    pub default_explanation: String,
    /// `%{r}`: the domain name of the host performing the check.
    pub receiver: String,
    /// `%{t}`: seconds since the Unix epoch (`shared` has no clock).
    pub timestamp: u64,
    /// Limit of DNS-querying terms (RFC 7208 §4.6.4: 10).
    pub max_dns_terms: u32,
    /// Limit of void lookups (RFC 7208 §4.6.4: 2 recommended).
    pub max_void_lookups: u32,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            default_explanation: "%{o} does not designate %{c} as a permitted sender".to_string(),
            receiver: "unknown".to_string(),
            timestamp: 0,
            max_dns_terms: 10,
            max_void_lookups: 2,
        }
    }
}

/// The outcome of check_host().
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfOutcome {
    /// The result.
    pub result: SpfResult,
    /// The explanation, for `fail` only (RFC 7208 §6.2): the `exp=` text or
    /// [`EvalOptions::default_explanation`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Why: the matching term, or the error.
    pub reason: String,
    /// DNS-querying terms evaluated (RFC 7208 §4.6.4).
    pub lookup_count: u32,
    /// Void lookups met (RFC 7208 §4.6.4).
    pub void_lookup_count: u32,
    /// The lookup tree, rooted at the checked domain's record.
    pub tree: LookupNode,
}

impl SpfOutcome {
    /// The tree as indented text lines (for `mxlens spf`).
    pub fn trace(&self) -> Vec<String> {
        self.tree.trace_lines()
    }

    /// The `mxlens spf --json` document: `{"result", "explanation",
    /// "lookup_count", "void_lookup_count", "trace"}` (trace as text lines),
    /// plus `reason` and the structured `tree`.
    pub fn to_cli_json(&self) -> serde_json::Value {
        serde_json::json!({
            "result": self.result,
            "explanation": self.explanation,
            "reason": self.reason,
            "lookup_count": self.lookup_count,
            "void_lookup_count": self.void_lookup_count,
            "trace": self.trace(),
            "tree": self.tree,
        })
    }
}

/// Splits a MAIL FROM into (sender, domain) per RFC 7208 §4.3 and §2.4:
/// an empty MAIL FROM means `postmaster@<helo>`, a missing local-part means
/// `postmaster`.
pub fn sender_and_domain(mail_from: &str, helo: &str) -> (String, String) {
    let mail_from = mail_from
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    if mail_from.is_empty() {
        return (format!("postmaster@{helo}"), helo.to_string());
    }
    match mail_from.rfind('@') {
        Some(at) => {
            let domain = &mail_from[at + 1..];
            let local = &mail_from[..at];
            let local = if local.is_empty() {
                "postmaster"
            } else {
                local
            };
            (format!("{local}@{domain}"), domain.to_string())
        }
        None => (format!("postmaster@{mail_from}"), mail_from.to_string()),
    }
}

/// check_host() for a MAIL FROM identity: derives `<domain>` and `<sender>`
/// with [`sender_and_domain`] (the HELO identity when MAIL FROM is empty).
pub async fn check_mail_from(
    lookup: &impl DnsLookup,
    ip: IpAddr,
    mail_from: &str,
    helo: &str,
    opts: &EvalOptions,
) -> SpfOutcome {
    let (sender, domain) = sender_and_domain(mail_from, helo);
    check_host(lookup, ip, &domain, &sender, helo, opts).await
}

/// The check_host() function of RFC 7208 §4.
///
/// `sender` is `local-part@domain` (an empty local-part, or an empty
/// sender, becomes `postmaster`, §4.3). IPv4-mapped IPv6 addresses are
/// treated as IPv4 (§5).
///
/// ```
/// use mxlens_shared::dns::{block_on_ready, ZoneData, ZoneRecord};
/// use mxlens_shared::spf::eval::{check_host, EvalOptions, SpfResult};
/// let mut zone = ZoneData::new();
/// zone.add("example.com", ZoneRecord::Txt("v=spf1 ip4:192.0.2.0/24 -all".into()));
/// let ip = "192.0.2.7".parse().unwrap();
/// let outcome = block_on_ready(check_host(&zone, ip, "example.com", "a@example.com", "mx.example.com", &EvalOptions::default()));
/// assert_eq!(outcome.result, SpfResult::Pass);
/// ```
pub async fn check_host(
    lookup: &impl DnsLookup,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
    opts: &EvalOptions,
) -> SpfOutcome {
    let ip = canonical_ip(ip);
    let (sender, _) = sender_and_domain(sender, helo);
    let at = sender.rfind('@').unwrap_or(0);
    let mut ev = Evaluator {
        lookup,
        opts,
        ip,
        local_part: sender[..at].to_string(),
        sender_domain: sender[at + 1..].to_string(),
        sender: sender.clone(),
        helo: helo.to_string(),
        dns_terms: 0,
        voids: 0,
        depth: 0,
    };
    let domain = domain.trim_end_matches('.').to_string();
    let (mut inner, tree) = ev.eval_domain(domain.clone()).await;
    if inner.result == SpfResult::Fail && inner.explanation.is_none() {
        let mut diags = Vec::new();
        let s = macros::parse_macro_string(
            &opts.default_explanation,
            0,
            MacroMode::Explanation,
            &mut diags,
        );
        inner.explanation = Some(if diags.is_empty() {
            ev.expand(&s, &domain).await
        } else {
            opts.default_explanation.clone()
        });
    }
    SpfOutcome {
        result: inner.result,
        explanation: inner.explanation,
        reason: inner.reason,
        lookup_count: ev.dns_terms,
        void_lookup_count: ev.voids,
        tree,
    }
}

/// IPv4-mapped IPv6 addresses are IPv4 (RFC 7208 §5).
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// RFC 7208 §4.3: a domain check_host() can evaluate: at most 253
/// characters, labels of 1 to 63 characters, at least two labels, and a
/// top label that is not numeric (this also rules out domain literals).
pub fn is_valid_domain(domain: &str) -> bool {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    if d.is_empty() || d.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = d.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63)
        && labels.last().is_some_and(|l| is_toplabel(l))
}

/// A name a DNS query can be built from: labels of 1 to 63 octets and at
/// most 253 in all (RFC 1035 §2.3.4).
fn is_queryable(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

struct Inner {
    result: SpfResult,
    explanation: Option<String>,
    reason: String,
}

impl Inner {
    fn new(result: SpfResult, reason: impl Into<String>) -> Self {
        Inner {
            result,
            explanation: None,
            reason: reason.into(),
        }
    }
}

/// Hard cap on include/redirect nesting, whatever the options say.
const MAX_DEPTH: u32 = 64;

struct Evaluator<'a, L> {
    lookup: &'a L,
    opts: &'a EvalOptions,
    ip: IpAddr,
    sender: String,
    local_part: String,
    sender_domain: String,
    helo: String,
    dns_terms: u32,
    voids: u32,
    /// Nesting of include/redirect evaluations.
    depth: u32,
}

impl<L: DnsLookup> Evaluator<'_, L> {
    /// Counts one DNS-querying term; permerror past the limit (§4.6.4).
    fn count_term(&mut self, node: &mut LookupNode) -> Result<(), Inner> {
        self.dns_terms += 1;
        node.dns_cost = 1;
        if self.dns_terms > self.opts.max_dns_terms {
            node.notes.push(format!(
                "DNS lookup limit of {} exceeded",
                self.opts.max_dns_terms
            ));
            return Err(Inner::new(
                SpfResult::PermError,
                format!(
                    "more than {} DNS-querying terms (RFC 7208 §4.6.4)",
                    self.opts.max_dns_terms
                ),
            ));
        }
        Ok(())
    }

    /// Counts a void lookup; permerror past the limit (§4.6.4).
    fn count_void(&mut self, node: &mut LookupNode) -> Result<(), Inner> {
        self.voids += 1;
        node.void_lookups += 1;
        if self.voids > self.opts.max_void_lookups {
            node.notes.push(format!(
                "void lookup limit of {} exceeded",
                self.opts.max_void_lookups
            ));
            return Err(Inner::new(
                SpfResult::PermError,
                format!(
                    "more than {} void DNS lookups (RFC 7208 §4.6.4)",
                    self.opts.max_void_lookups
                ),
            ));
        }
        Ok(())
    }

    fn temperror<T>(node: &mut LookupNode, what: &str, outcome: &DnsOutcome<T>) -> Inner {
        let text = format!("{what}: {}", outcome.describe());
        node.notes.push(text.clone());
        Inner::new(SpfResult::TempError, format!("DNS failure, {text}"))
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
