//! check_host() (RFC 7208 §4–§7), pure: DNS goes through
//! [`crate::dns::DnsLookup`], time comes in through [`EvalOptions`].
//!
//! The outcome carries the result, the explanation (for `fail`), the
//! RFC 7208 §4.6.4 counters and a lookup tree of every term evaluated.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use super::macros::{self, MacroContext, MacroMode};
use super::model::{Directive, DomainSpec, MacroString, Mechanism, Qualifier};
use super::parse::{is_spf_record, is_toplabel, parse_record};
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

/// What a node of the lookup tree stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The SPF record of a domain (the root, and the child of include/redirect).
    Record,
    /// `all`.
    All,
    /// `include:`.
    Include,
    /// `a`.
    A,
    /// `mx`.
    Mx,
    /// `ptr`.
    Ptr,
    /// `ip4:`.
    Ip4,
    /// `ip6:`.
    Ip6,
    /// `exists:`.
    Exists,
    /// `redirect=`.
    Redirect,
    /// `exp=`.
    Explanation,
}

impl NodeKind {
    /// Every kind.
    pub const ALL: [NodeKind; 11] = [
        NodeKind::Record,
        NodeKind::All,
        NodeKind::Include,
        NodeKind::A,
        NodeKind::Mx,
        NodeKind::Ptr,
        NodeKind::Ip4,
        NodeKind::Ip6,
        NodeKind::Exists,
        NodeKind::Redirect,
        NodeKind::Explanation,
    ];

    /// The word used in the report (`domain.spf.tree[..].kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Record => "record",
            NodeKind::All => "all",
            NodeKind::Include => "include",
            NodeKind::A => "a",
            NodeKind::Mx => "mx",
            NodeKind::Ptr => "ptr",
            NodeKind::Ip4 => "ip4",
            NodeKind::Ip6 => "ip6",
            NodeKind::Exists => "exists",
            NodeKind::Redirect => "redirect",
            NodeKind::Explanation => "explanation",
        }
    }

    fn of(m: &Mechanism) -> Self {
        match m {
            Mechanism::All => NodeKind::All,
            Mechanism::Include(_) => NodeKind::Include,
            Mechanism::A { .. } => NodeKind::A,
            Mechanism::Mx { .. } => NodeKind::Mx,
            Mechanism::Ptr(_) => NodeKind::Ptr,
            Mechanism::Ip4 { .. } => NodeKind::Ip4,
            Mechanism::Ip6 { .. } => NodeKind::Ip6,
            Mechanism::Exists(_) => NodeKind::Exists,
        }
    }
}

/// One node of the lookup tree (`domain.spf.tree` in the report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupNode {
    /// What the node is.
    pub kind: NodeKind,
    /// The term as written (canonical form), or the domain for a record node.
    pub term: String,
    /// The qualifier, for directives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<Qualifier>,
    /// The domain: the record's owner for a record node, else the target
    /// name after macro expansion (when the term has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The SPF record text, for record nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// How many of the RFC 7208 §4.6.4 DNS-querying terms this node is (0 or 1).
    pub dns_cost: u32,
    /// Void lookups (NXDOMAIN or no answer) this node caused.
    pub void_lookups: u32,
    /// Whether the term matched (directives), when evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<bool>,
    /// The result of a record node, or of the evaluation an include or
    /// redirect started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<SpfResult>,
    /// What happened: DNS answers, errors, why it did not match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The record node under an include or redirect; the terms under a record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<LookupNode>,
}

impl LookupNode {
    /// A node with nothing filled in.
    pub fn new(kind: NodeKind, term: impl Into<String>) -> Self {
        LookupNode {
            kind,
            term: term.into(),
            qualifier: None,
            domain: None,
            record: None,
            dns_cost: 0,
            void_lookups: 0,
            matched: None,
            result: None,
            notes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The tree as indented text lines, one per node (for the CLI trace).
    pub fn trace_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.trace_into(0, &mut out);
        out
    }

    fn trace_into(&self, depth: usize, out: &mut Vec<String>) {
        let indent = "  ".repeat(depth);
        let mut line = match self.kind {
            NodeKind::Record => format!(
                "{indent}{}: {}",
                self.term,
                self.record.as_deref().unwrap_or("(no SPF record)")
            ),
            _ => {
                let q = match self.qualifier {
                    Some(q) if q != Qualifier::Pass => q.symbol().to_string(),
                    _ => String::new(),
                };
                format!("{indent}{q}{}", self.term)
            }
        };
        if let Some(m) = self.matched {
            line.push_str(if m { " => match" } else { " => no match" });
        }
        if let Some(r) = self.result {
            line.push_str(&format!(" [{r}]"));
        }
        if self.dns_cost > 0 || self.void_lookups > 0 {
            line.push_str(&format!(
                " (lookups {}, void {})",
                self.dns_cost, self.void_lookups
            ));
        }
        for note in &self.notes {
            line.push_str(&format!("; {note}"));
        }
        out.push(line);
        for child in &self.children {
            child.trace_into(depth + 1, out);
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

/// True when `ip` is inside `network/prefix` (same family only).
pub fn ip_in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let prefix = u32::from(prefix.min(32));
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let prefix = u32::from(prefix.min(128));
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
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

/// Drops labels from the left until the name fits in 253 characters
/// (RFC 7208 §7.3).
fn truncate_domain(mut name: String) -> String {
    while name.len() > 253 {
        match name.find('.') {
            Some(dot) => {
                name.drain(..=dot);
            }
            None => break,
        }
    }
    name
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

/// A mechanism either matches, does not, or ends the evaluation with an
/// error result (temperror / permerror).
type MatchResult = Result<bool, Inner>;

/// Hard cap on include/redirect nesting, whatever the options say.
const MAX_DEPTH: u32 = 64;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

    /// The `p` macro value (RFC 7208 §7.3): a validated name of the client,
    /// preferring `domain` itself, then its subdomains.
    async fn validated_name(&self, domain: &str) -> Option<String> {
        let names = match self.lookup.ptr(self.ip).await {
            DnsOutcome::Records(names) => names,
            _ => return None,
        };
        let mut validated = Vec::new();
        for name in names.into_iter().take(10) {
            if self.name_has_ip(&name).await {
                validated.push(name);
            }
        }
        let lower = domain.to_ascii_lowercase();
        let pick = validated
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&lower))
            .or_else(|| {
                validated
                    .iter()
                    .find(|n| n.to_ascii_lowercase().ends_with(&format!(".{lower}")))
            })
            .or(validated.first());
        pick.cloned()
    }

    /// True when `name` has an address record equal to the client IP.
    /// Errors count as "no" (RFC 7208 §5.5).
    async fn name_has_ip(&self, name: &str) -> bool {
        if !is_queryable(name) {
            return false;
        }
        match self.ip {
            IpAddr::V4(v4) => self.lookup.a(name).await.records().contains(&v4),
            IpAddr::V6(v6) => self.lookup.aaaa(name).await.records().contains(&v6),
        }
    }

    async fn expand(&self, s: &MacroString, domain: &str) -> String {
        let validated = if macros::needs_validated_name(s) {
            self.validated_name(domain).await
        } else {
            None
        };
        let ctx = MacroContext {
            sender: &self.sender,
            local_part: &self.local_part,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: &self.helo,
            receiver: &self.opts.receiver,
            timestamp: self.opts.timestamp,
            validated_name: validated.as_deref(),
        };
        macros::expand(s, &ctx)
    }

    /// Expands a domain-spec into a target name (§4.8, §7.3).
    async fn target(&self, spec: Option<&DomainSpec>, domain: &str) -> String {
        match spec {
            Some(spec) => {
                let expanded = self.expand(&spec.0, domain).await;
                let expanded = expanded.strip_suffix('.').unwrap_or(&expanded).to_string();
                truncate_domain(expanded)
            }
            None => domain.to_string(),
        }
    }

    /// check_host() on one domain: returns the result and the record node.
    fn eval_domain(&mut self, domain: String) -> BoxFuture<'_, (Inner, LookupNode)> {
        Box::pin(async move {
            let mut node = LookupNode::new(NodeKind::Record, domain.clone());
            node.domain = Some(domain.clone());
            // The §4.6.4 term limit bounds the nesting; this guard only
            // matters when a caller raises `max_dns_terms` a lot.
            let inner = if self.depth >= MAX_DEPTH {
                Inner::new(
                    SpfResult::PermError,
                    format!("include/redirect nesting deeper than {MAX_DEPTH}"),
                )
            } else {
                self.depth += 1;
                let inner = self.eval_domain_inner(&domain, &mut node).await;
                self.depth -= 1;
                inner
            };
            node.result = Some(inner.result);
            (inner, node)
        })
    }

    async fn eval_domain_inner(&mut self, domain: &str, node: &mut LookupNode) -> Inner {
        // §4.3: malformed or single-label domains give none.
        if !is_valid_domain(domain) {
            node.notes
                .push("not a valid multi-label domain name".into());
            return Inner::new(
                SpfResult::None,
                format!("`{domain}` is not a valid domain name (RFC 7208 §4.3)"),
            );
        }
        // §4.4, §4.5: record lookup and selection.
        let txt = self.lookup.txt(domain).await;
        let records: Vec<String> = match &txt {
            DnsOutcome::Records(r) => r.iter().filter(|t| is_spf_record(t)).cloned().collect(),
            DnsOutcome::NoData | DnsOutcome::NxDomain => Vec::new(),
            failure => return Self::temperror(node, &format!("TXT {domain}"), failure),
        };
        let text = match records.as_slice() {
            [] => {
                node.notes.push(format!("TXT {domain}: {}", txt.describe()));
                return Inner::new(SpfResult::None, format!("no SPF record at {domain}"));
            }
            [one] => one.clone(),
            many => {
                node.notes
                    .push(format!("{} SPF records at {domain}", many.len()));
                return Inner::new(
                    SpfResult::PermError,
                    format!(
                        "{} SPF records at {domain}; exactly one is allowed (RFC 7208 §4.5)",
                        many.len()
                    ),
                );
            }
        };
        node.record = Some(text.clone());
        let parsed = parse_record(&text);
        if let Some(err) = parsed.first_error() {
            node.notes.push(format!("syntax error: {}", err.message));
            return Inner::new(
                SpfResult::PermError,
                format!(
                    "syntax error in the SPF record of {domain}: {} ({})",
                    err.message, err.rfc
                ),
            );
        }
        let record = parsed.record;

        // §4.6.2: directives left to right; the first match decides.
        for directive in record.directives() {
            let mut term = LookupNode::new(
                NodeKind::of(&directive.mechanism),
                directive.mechanism.to_string(),
            );
            term.qualifier = Some(directive.qualifier);
            let matched = self.eval_mechanism(directive, domain, &mut term).await;
            match matched {
                Ok(m) => {
                    term.matched = Some(m);
                    node.children.push(term);
                    if m {
                        let result = SpfResult::from_qualifier(directive.qualifier);
                        let mut inner = Inner::new(
                            result,
                            format!("matched `{directive}` in the SPF record of {domain}"),
                        );
                        if result == SpfResult::Fail {
                            if let Some(exp) = record.explanation() {
                                inner.explanation = self.explain(exp, domain, node).await;
                            }
                        }
                        return inner;
                    }
                }
                Err(e) => {
                    term.result = Some(e.result);
                    node.children.push(term);
                    return e;
                }
            }
        }

        // §6.1: redirect applies when no mechanism matched.
        if let Some(spec) = record.redirect() {
            let mut term = LookupNode::new(NodeKind::Redirect, format!("redirect={spec}"));
            if let Err(e) = self.count_term(&mut term) {
                term.result = Some(e.result);
                node.children.push(term);
                return e;
            }
            let target = self.target(Some(spec), domain).await;
            term.domain = Some(target.clone());
            let (mut inner, child) = self.eval_domain(target.clone()).await;
            term.result = Some(inner.result);
            term.children.push(child);
            node.children.push(term);
            if inner.result == SpfResult::None {
                inner = Inner::new(
                    SpfResult::PermError,
                    format!("redirect target {target} has no SPF record (RFC 7208 §6.1)"),
                );
            }
            return inner;
        }
        Inner::new(
            SpfResult::Neutral,
            format!(
                "no term matched in the SPF record of {domain} (default neutral, RFC 7208 §4.7)"
            ),
        )
    }

    /// §6.2: the explanation string; any problem means "no exp=".
    async fn explain(
        &mut self,
        spec: &DomainSpec,
        domain: &str,
        node: &mut LookupNode,
    ) -> Option<String> {
        let mut term = LookupNode::new(NodeKind::Explanation, format!("exp={spec}"));
        let name = self.target(Some(spec), domain).await;
        term.domain = Some(name.clone());
        let result = self.explain_inner(&name, domain, &mut term).await;
        node.children.push(term);
        result
    }

    async fn explain_inner(
        &mut self,
        name: &str,
        domain: &str,
        term: &mut LookupNode,
    ) -> Option<String> {
        if !is_queryable(name) {
            term.notes.push("not a valid domain name; ignored".into());
            return None;
        }
        let txt = self.lookup.txt(name).await;
        let records = match &txt {
            DnsOutcome::Records(r) if r.len() == 1 => r,
            other => {
                term.notes
                    .push(format!("TXT {name}: {}; ignored", other.describe()));
                return None;
            }
        };
        let text = &records[0];
        if !text.is_ascii() {
            term.notes
                .push("explanation is not 7-bit ASCII; ignored".into());
            return None;
        }
        let mut diags = Vec::new();
        let s = macros::parse_macro_string(text, 0, MacroMode::Explanation, &mut diags);
        if let Some(d) = diags.first() {
            term.notes
                .push(format!("explanation syntax error: {}; ignored", d.message));
            return None;
        }
        let expanded = self.expand(&s, domain).await;
        term.notes.push(format!("explanation: {expanded}"));
        Some(expanded)
    }

    async fn eval_mechanism(
        &mut self,
        directive: &Directive,
        domain: &str,
        node: &mut LookupNode,
    ) -> MatchResult {
        let mechanism = &directive.mechanism;
        if mechanism.queries_dns() {
            self.count_term(node)?;
        }
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { network, prefix } => Ok(ip_in_network(
                self.ip,
                IpAddr::V4(*network),
                prefix.unwrap_or(32),
            )),
            Mechanism::Ip6 { network, prefix } => Ok(ip_in_network(
                self.ip,
                IpAddr::V6(*network),
                prefix.unwrap_or(128),
            )),
            Mechanism::Include(spec) => {
                let target = self.target(Some(spec), domain).await;
                node.domain = Some(target.clone());
                let (inner, child) = self.eval_domain(target.clone()).await;
                node.result = Some(inner.result);
                node.children.push(child);
                // §5.2: the include table.
                match inner.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::TempError => Err(inner),
                    SpfResult::PermError => Err(inner),
                    SpfResult::None => Err(Inner::new(
                        SpfResult::PermError,
                        format!("include:{target} has no SPF record (RFC 7208 §5.2)"),
                    )),
                }
            }
            Mechanism::A { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                node.domain = Some(target.clone());
                if !is_queryable(&target) {
                    node.notes.push("target is not a valid domain name".into());
                    return Ok(false);
                }
                self.match_addresses(&target, cidr.ip4, cidr.ip6, node, true)
                    .await
            }
            Mechanism::Mx { domain: spec, cidr } => {
                let target = self.target(spec.as_ref(), domain).await;
                node.domain = Some(target.clone());
                if !is_queryable(&target) {
                    node.notes.push("target is not a valid domain name".into());
                    return Ok(false);
                }
                let mx = self.lookup.mx(&target).await;
                let hosts = match &mx {
                    DnsOutcome::Records(r) if !r.is_empty() => r.clone(),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes.push(format!("MX {target}: {}", mx.describe()));
                        self.count_void(node)?;
                        return Ok(false);
                    }
                    failure => return Err(Self::temperror(node, &format!("MX {target}"), failure)),
                };
                // §4.6.4: at most 10 MX names per mx mechanism, else permerror.
                if hosts.len() > 10 {
                    node.notes
                        .push(format!("{} MX records; the limit is 10", hosts.len()));
                    return Err(Inner::new(
                        SpfResult::PermError,
                        format!(
                            "mx:{target} has {} MX records; the limit is 10 (RFC 7208 §4.6.4)",
                            hosts.len()
                        ),
                    ));
                }
                for host in hosts {
                    let exchange = host.exchange.trim_end_matches('.');
                    if !is_queryable(exchange) {
                        continue; // null MX (RFC 7505) or a bad name
                    }
                    if self
                        .match_addresses(exchange, cidr.ip4, cidr.ip6, node, false)
                        .await?
                    {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Ptr(spec) => {
                let target = self.target(spec.as_ref(), domain).await;
                node.domain = Some(target.clone());
                // §5.5: PTR errors mean no match; at most 10 names are checked.
                let names = match self.lookup.ptr(self.ip).await {
                    DnsOutcome::Records(names) => names,
                    other => {
                        node.notes.push(format!("PTR: {}", other.describe()));
                        return Ok(false);
                    }
                };
                let target_lower = target.to_ascii_lowercase();
                for name in names.into_iter().take(10) {
                    let lower = name.trim_end_matches('.').to_ascii_lowercase();
                    if !self.name_has_ip(&lower).await {
                        continue;
                    }
                    if lower == target_lower || lower.ends_with(&format!(".{target_lower}")) {
                        node.notes.push(format!("validated name {lower}"));
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Exists(spec) => {
                let target = self.target(Some(spec), domain).await;
                node.domain = Some(target.clone());
                if !is_queryable(&target) {
                    node.notes.push("target is not a valid domain name".into());
                    return Ok(false);
                }
                let answer = self.lookup.exists(&target).await;
                match &answer {
                    DnsOutcome::Records(r) if !r.is_empty() => Ok(true),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes
                            .push(format!("A {target}: {}", answer.describe()));
                        self.count_void(node)?;
                        Ok(false)
                    }
                    failure => Err(Self::temperror(node, &format!("A {target}"), failure)),
                }
            }
        }
    }

    /// The address part of `a` and `mx` (§5.3, §5.4): the lookup type
    /// follows the client's address family.
    async fn match_addresses(
        &mut self,
        name: &str,
        ip4_prefix: Option<u8>,
        ip6_prefix: Option<u8>,
        node: &mut LookupNode,
        counts_void: bool,
    ) -> MatchResult {
        match self.ip {
            IpAddr::V4(_) => {
                let answer = self.lookup.a(name).await;
                match &answer {
                    DnsOutcome::Records(r) if !r.is_empty() => Ok(r
                        .iter()
                        .any(|a| ip_in_network(self.ip, IpAddr::V4(*a), ip4_prefix.unwrap_or(32)))),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes.push(format!("A {name}: {}", answer.describe()));
                        if counts_void {
                            self.count_void(node)?;
                        }
                        Ok(false)
                    }
                    failure => Err(Self::temperror(node, &format!("A {name}"), failure)),
                }
            }
            IpAddr::V6(_) => {
                let answer = self.lookup.aaaa(name).await;
                match &answer {
                    DnsOutcome::Records(r) if !r.is_empty() => Ok(r.iter().any(|a| {
                        ip_in_network(self.ip, IpAddr::V6(*a), ip6_prefix.unwrap_or(128))
                    })),
                    DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
                        node.notes
                            .push(format!("AAAA {name}: {}", answer.describe()));
                        if counts_void {
                            self.count_void(node)?;
                        }
                        Ok(false)
                    }
                    failure => Err(Self::temperror(node, &format!("AAAA {name}"), failure)),
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
