//! The SPF linter: diagnostics for one record ([`lint_record`]), a walk of
//! every branch of a domain's SPF tree without a sending IP
//! ([`lint_domain`]), and the report checks ([`checks`],
//! [`sender_ip_check`]).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use super::eval::{LookupNode, NodeKind, SpfOutcome, SpfResult};
use super::model::{
    Diagnostic, Directive, DomainSpec, Mechanism, Modifier, Qualifier, Severity, Span, SpfRecord,
    Term,
};
use super::parse::{is_spf_record, parse_record, ParsedRecord};
use crate::dns::{DnsLookup, DnsOutcome};
use crate::report::{Check, SpfFacts, SpfNodeFacts, SpfTermFacts, Status};

/// RFC 7208 §3.4: keep SPF answers under 512 bytes; records over 450 bytes
/// risk exceeding it.
pub const RECORD_SIZE_LIMIT: u32 = 450;
/// RFC 7208 §4.6.4: DNS-querying terms.
pub const LOOKUP_LIMIT: u32 = 10;
/// RFC 7208 §4.6.4: void lookups.
pub const VOID_LOOKUP_LIMIT: u32 = 2;

fn warning(span: (u32, u32), code: &'static str, rfc: &'static str, message: String) -> Diagnostic {
    Diagnostic {
        span: Span {
            start: span.0,
            end: span.1,
        },
        code,
        severity: Severity::Warning,
        rfc,
        message,
    }
}

/// Parses a record and adds the lint findings to the parser's diagnostics:
/// `ptr`, the `all` qualifier, terms after `all`, `redirect` beside `all`,
/// unknown modifiers and the record size.
pub fn lint_record(text: &str) -> ParsedRecord {
    let mut parsed = parse_record(text);
    let whole = (0, text.len() as u32);
    let mut all_seen: Option<(u32, u32)> = None;
    let mut has_redirect = false;
    for (term, span) in parsed
        .record
        .terms
        .iter()
        .zip(parsed.term_spans.iter().copied())
    {
        if let Some(all_span) = all_seen {
            if matches!(term, Term::Directive(_)) {
                parsed.diagnostics.push(warning(
                    span,
                    "spf.lint.after-all",
                    "RFC 7208 §5.1",
                    format!(
                        "`{term}` comes after `all` (bytes {}..{}) and is never evaluated",
                        all_span.0, all_span.1
                    ),
                ));
            }
        }
        match term {
            Term::Directive(d) => match &d.mechanism {
                Mechanism::All if all_seen.is_none() => {
                    all_seen = Some(span);
                    match d.qualifier {
                        Qualifier::Pass => parsed.diagnostics.push(warning(
                            span,
                            "spf.lint.pass-all",
                            "RFC 7208 §5.1",
                            "`+all` authorises every host on the Internet".to_string(),
                        )),
                        Qualifier::Neutral => parsed.diagnostics.push(warning(
                            span,
                            "spf.lint.neutral-all",
                            "RFC 7208 §5.1",
                            "`?all` makes no assertion about other hosts".to_string(),
                        )),
                        _ => {}
                    }
                }
                Mechanism::Ptr(_) => parsed.diagnostics.push(warning(
                    span,
                    "spf.lint.ptr",
                    "RFC 7208 §5.5",
                    "`ptr` is slow and unreliable: the mechanism SHOULD NOT be used".to_string(),
                )),
                _ => {}
            },
            Term::Modifier(Modifier::Redirect(_)) => has_redirect = true,
            Term::Modifier(Modifier::Unknown { name, .. }) => parsed.diagnostics.push(Diagnostic {
                span: Span {
                    start: span.0,
                    end: span.1,
                },
                code: "spf.lint.unknown-modifier",
                severity: Severity::Info,
                rfc: "RFC 7208 §6",
                message: format!("unknown modifier `{name}=` is ignored by receivers"),
            }),
            Term::Modifier(Modifier::Explanation(_)) => {}
        }
    }
    if has_redirect && all_seen.is_some() {
        let span = parsed
            .record
            .terms
            .iter()
            .position(|t| matches!(t, Term::Modifier(Modifier::Redirect(_))))
            .map_or(whole, |i| parsed.term_spans[i]);
        parsed.diagnostics.push(warning(
            span,
            "spf.lint.redirect-with-all",
            "RFC 7208 §6.1",
            "`redirect=` is ignored because the record has an `all` mechanism".to_string(),
        ));
    }
    if all_seen.is_none() && !has_redirect && !parsed.has_errors() {
        parsed.diagnostics.push(warning(
            whole,
            "spf.lint.no-all",
            "RFC 7208 §4.7",
            "no `all` mechanism and no `redirect=`: unlisted hosts get neutral".to_string(),
        ));
    }
    if text.len() > RECORD_SIZE_LIMIT as usize {
        parsed.diagnostics.push(warning(
            whole,
            "spf.lint.record-size",
            "RFC 7208 §3.4",
            format!(
                "the record is {} bytes; keep it under {RECORD_SIZE_LIMIT}",
                text.len()
            ),
        ));
    }
    parsed
}

/// How the domain's own SPF lookup went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "detail")]
pub enum SpfLookupStatus {
    /// One or more `v=spf1` TXT records.
    Found,
    /// The name exists but has no `v=spf1` TXT record.
    NoRecord,
    /// The name does not exist.
    NxDomain,
    /// Timeout or SERVFAIL: we could not find out.
    DnsError(String),
}

/// A problem found below the top record (in an include or redirect target).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeIssue {
    /// The domain whose record holds the problem (or the missing target).
    pub domain: String,
    /// Stable code: `spf.include.no-record`, `spf.include.loop`,
    /// `spf.include.syntax`, `spf.include.multiple`, `spf.redirect.no-record`,
    /// `spf.dns.error`, `spf.mx.too-many`.
    pub code: String,
    /// Human explanation.
    pub message: String,
}

impl TreeIssue {
    fn new(domain: &str, code: &str, message: String) -> Self {
        TreeIssue {
            domain: domain.to_string(),
            code: code.to_string(),
            message,
        }
    }

    /// True for infrastructure failures (timeout, SERVFAIL).
    pub fn is_dns_error(&self) -> bool {
        self.code == "spf.dns.error"
    }
}

/// Everything [`lint_domain`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfLint {
    /// The linted domain.
    pub domain: String,
    /// How the SPF lookup at the domain went.
    pub status: SpfLookupStatus,
    /// Every `v=spf1` record at the domain (more than one is a permerror).
    pub records: Vec<String>,
    /// The record that was linted and walked (the first one).
    pub record: Option<String>,
    /// Parser and lint diagnostics for `record`.
    pub diagnostics: Vec<Diagnostic>,
    /// DNS-querying terms across the whole tree (every branch).
    pub lookup_count: u32,
    /// Void lookups across the whole tree.
    pub void_lookup_count: u32,
    /// True when an include or redirect target depends on the sender
    /// (macros), so the counts are a lower bound.
    pub has_macro_targets: bool,
    /// Problems below the top record.
    pub issues: Vec<TreeIssue>,
    /// The effective `all` qualifier: the record's own `all`, or the one of
    /// its redirect target.
    pub effective_all: Option<Qualifier>,
    /// Whether the record (or its redirect chain) has an `include:`.
    pub has_includes: bool,
    /// Set by the caller when a deprecated type-99 SPF RR was seen for the
    /// domain (RFC 7208 §3.1, §14.1); `lint_domain` leaves it false.
    pub spf_rr_seen: bool,
    /// True when the walk stopped at [`MAX_WALK_LOOKUPS`] (a hostile or
    /// broken include tree): the counts are a lower bound.
    pub walk_stopped: bool,
    /// The lookup tree of every branch.
    pub tree: LookupNode,
}

/// The walk stops descending into include/redirect targets once this many
/// DNS-querying terms were counted. RFC 7208 §4.6.4 allows 10, so the
/// verdict is already a permerror; without this bound a tree of ten
/// includes per level, six levels deep, would be walked a million times.
pub const MAX_WALK_LOOKUPS: u32 = 100;

impl SpfLint {
    /// The `domain.spf` section of the report: the record, the lookup
    /// counts, the tree and the legend of the terms the record uses
    /// ([`super::terms::spf_term_legend`]).
    pub fn report_section(&self) -> SpfFacts {
        SpfFacts {
            lookup_count: self.lookup_count,
            record: self.record.clone(),
            terms: super::terms::spf_term_legend(self.record.as_deref().unwrap_or_default())
                .into_iter()
                .map(|row| SpfTermFacts {
                    meaning: row.meaning.to_string(),
                    rfc: row.rfc.to_string(),
                    term: row.term.to_string(),
                })
                .collect(),
            tree: node_facts(&self.tree),
            void_lookup_count: self.void_lookup_count,
        }
    }
}

/// One node of the lookup tree as the report carries it.
fn node_facts(node: &LookupNode) -> SpfNodeFacts {
    SpfNodeFacts {
        children: node.children.iter().map(node_facts).collect(),
        dns_cost: node.dns_cost,
        domain: node.domain.clone(),
        kind: node.kind,
        matched: node.matched,
        notes: node.notes.clone(),
        qualifier: node.qualifier,
        record: node.record.clone(),
        result: node.result,
        term: node.term.clone(),
        void_lookups: node.void_lookups,
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Walker<'a, L> {
    lookup: &'a L,
    lookups: u32,
    voids: u32,
    macros: bool,
    issues: Vec<TreeIssue>,
    has_includes: bool,
    stopped: bool,
}

/// What a walk of one domain found, for its parent.
struct Walked {
    node: LookupNode,
    has_record: bool,
    dns_failed: bool,
    effective_all: Option<Qualifier>,
}

/// Facts the caller learnt outside the TXT lookups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// A deprecated type-99 SPF RR exists for the domain (RFC 7208 §3.1,
    /// §14.1). [`crate::dns::DnsLookup`] has no SPF-type query, so the
    /// caller tells.
    pub spf_rr_seen: bool,
}

/// [`lint_domain`] with [`LintOptions`].
pub async fn lint_domain_with(
    lookup: &impl DnsLookup,
    domain: &str,
    options: &LintOptions,
) -> SpfLint {
    let mut lint = lint_domain(lookup, domain).await;
    lint.spf_rr_seen = options.spf_rr_seen;
    lint
}

/// Lints a domain's SPF: fetches the record, lints it, and walks every
/// branch of its include/redirect tree (no sending IP, no early stop),
/// counting DNS-querying terms and void lookups over the whole tree and
/// detecting include loops.
pub async fn lint_domain(lookup: &impl DnsLookup, domain: &str) -> SpfLint {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let txt = lookup.txt(&domain).await;
    let (status, records) = match &txt {
        DnsOutcome::Records(r) => {
            let spf: Vec<String> = r.iter().filter(|t| is_spf_record(t)).cloned().collect();
            let status = if spf.is_empty() {
                SpfLookupStatus::NoRecord
            } else {
                SpfLookupStatus::Found
            };
            (status, spf)
        }
        DnsOutcome::NoData => (SpfLookupStatus::NoRecord, Vec::new()),
        DnsOutcome::NxDomain => (SpfLookupStatus::NxDomain, Vec::new()),
        failure => (SpfLookupStatus::DnsError(failure.describe()), Vec::new()),
    };
    let mut walker = Walker {
        lookup,
        lookups: 0,
        voids: 0,
        macros: false,
        issues: Vec::new(),
        has_includes: false,
        stopped: false,
    };
    let record = records.first().cloned();
    let mut diagnostics = Vec::new();
    let (tree, effective_all) = match &record {
        Some(text) => {
            diagnostics = lint_record(text).diagnostics;
            let mut stack = vec![domain.clone()];
            let walked = walker.walk_record(&domain, text, &mut stack).await;
            (walked.node, walked.effective_all)
        }
        None => {
            let mut node = LookupNode::new(NodeKind::Record, domain.clone());
            node.domain = Some(domain.clone());
            node.notes.push(format!("TXT {domain}: {}", txt.describe()));
            (node, None)
        }
    };
    SpfLint {
        domain,
        status,
        records,
        record,
        diagnostics,
        lookup_count: walker.lookups,
        void_lookup_count: walker.voids,
        has_macro_targets: walker.macros,
        issues: walker.issues,
        effective_all,
        has_includes: walker.has_includes,
        spf_rr_seen: false,
        walk_stopped: walker.stopped,
        tree,
    }
}

impl<L: DnsLookup> Walker<'_, L> {
    /// Fetches and walks the record of an include or redirect target.
    fn walk_domain<'s>(
        &'s mut self,
        domain: String,
        stack: &'s mut Vec<String>,
    ) -> BoxFuture<'s, Walked> {
        Box::pin(async move {
            let mut node = LookupNode::new(NodeKind::Record, domain.clone());
            node.domain = Some(domain.clone());
            if self.lookups >= MAX_WALK_LOOKUPS {
                // Far past the §4.6.4 limit already: stop, keep memory and
                // time bounded.
                self.stopped = true;
                node.notes.push(format!(
                    "not walked: the tree already needs {} lookups (the walk stops at {MAX_WALK_LOOKUPS})",
                    self.lookups
                ));
                return Walked {
                    node,
                    has_record: true,
                    dns_failed: false,
                    effective_all: None,
                };
            }
            let txt = self.lookup.txt(&domain).await;
            let records: Vec<String> = match &txt {
                DnsOutcome::Records(r) => r.iter().filter(|t| is_spf_record(t)).cloned().collect(),
                DnsOutcome::NoData | DnsOutcome::NxDomain => Vec::new(),
                failure => {
                    node.notes
                        .push(format!("TXT {domain}: {}", failure.describe()));
                    self.issues.push(TreeIssue::new(
                        &domain,
                        "spf.dns.error",
                        format!("TXT lookup for {domain} failed: {}", failure.describe()),
                    ));
                    return Walked {
                        node,
                        has_record: false,
                        dns_failed: true,
                        effective_all: None,
                    };
                }
            };
            match records.as_slice() {
                [] => {
                    node.notes
                        .push(format!("no SPF record ({})", txt.describe()));
                    Walked {
                        node,
                        has_record: false,
                        dns_failed: false,
                        effective_all: None,
                    }
                }
                [one] => {
                    let one = one.clone();
                    self.walk_record(&domain, &one, stack).await
                }
                many => {
                    self.issues.push(TreeIssue::new(
                        &domain,
                        "spf.include.multiple",
                        format!("{domain} has {} SPF records (permerror)", many.len()),
                    ));
                    let first = many[0].clone();
                    self.walk_record(&domain, &first, stack).await
                }
            }
        })
    }

    async fn walk_record(&mut self, domain: &str, text: &str, stack: &mut Vec<String>) -> Walked {
        let mut node = LookupNode::new(NodeKind::Record, domain.to_string());
        node.domain = Some(domain.to_string());
        node.record = Some(text.to_string());
        let parsed = parse_record(text);
        if stack.len() > 1 {
            if let Some(err) = parsed.first_error() {
                self.issues.push(TreeIssue::new(
                    domain,
                    "spf.include.syntax",
                    format!(
                        "syntax error in the SPF record of {domain}: {}",
                        err.message
                    ),
                ));
            }
        }
        let record = parsed.record;
        for directive in record.directives() {
            let child = self.walk_directive(directive, domain, stack).await;
            node.children.push(child);
        }
        let mut effective_all = record.all().map(|d| d.qualifier);
        // §6.1: redirect is used only when no `all` is present.
        if let (Some(spec), None) = (record.redirect(), record.all()) {
            let mut term = LookupNode::new(NodeKind::Redirect, format!("redirect={spec}"));
            self.lookups += 1;
            term.dns_cost = 1;
            if let Some(target) = self.literal_target(Some(spec), domain, &mut term) {
                term.domain = Some(target.clone());
                if stack.contains(&target) {
                    term.notes.push("loop: already being evaluated".into());
                    self.issues.push(TreeIssue::new(
                        &target,
                        "spf.include.loop",
                        format!("redirect loop: {} -> {target}", stack.join(" -> ")),
                    ));
                } else {
                    stack.push(target.clone());
                    let walked = self.walk_domain(target.clone(), stack).await;
                    stack.pop();
                    if !walked.has_record && !walked.dns_failed {
                        self.issues.push(TreeIssue::new(
                            &target,
                            "spf.redirect.no-record",
                            format!("redirect={target}: the target has no SPF record (permerror)"),
                        ));
                    }
                    effective_all = walked.effective_all;
                    term.children.push(walked.node);
                }
            }
            node.children.push(term);
        }
        Walked {
            node,
            has_record: true,
            dns_failed: false,
            effective_all,
        }
    }

    /// The target name when it has no macros; with macros, notes that the
    /// branch depends on the sender and returns `None`.
    fn literal_target(
        &mut self,
        spec: Option<&DomainSpec>,
        domain: &str,
        node: &mut LookupNode,
    ) -> Option<String> {
        match spec {
            None => Some(domain.to_string()),
            Some(spec) => match spec.0.as_literal() {
                Some(name) => Some(name.trim_end_matches('.').to_ascii_lowercase()),
                None => {
                    // Only an unknown include/redirect subtree makes the
                    // lookup count a lower bound; a/mx/exists cost 1 anyway.
                    if matches!(node.kind, NodeKind::Include | NodeKind::Redirect) {
                        self.macros = true;
                    }
                    node.notes
                        .push("target depends on the sender (macros); not followed".into());
                    None
                }
            },
        }
    }

    fn dns_error<T>(&mut self, node: &mut LookupNode, what: String, outcome: &DnsOutcome<T>) {
        node.notes.push(format!("{what}: {}", outcome.describe()));
        self.issues.push(TreeIssue::new(
            node.domain.as_deref().unwrap_or(""),
            "spf.dns.error",
            format!("{what} failed: {}", outcome.describe()),
        ));
    }

    fn void(&mut self, node: &mut LookupNode, what: String, outcome_text: String) {
        self.voids += 1;
        node.void_lookups += 1;
        node.notes
            .push(format!("{what}: {outcome_text} (void lookup)"));
    }

    async fn walk_directive(
        &mut self,
        directive: &Directive,
        domain: &str,
        stack: &mut Vec<String>,
    ) -> LookupNode {
        let mechanism = &directive.mechanism;
        let kind = match mechanism {
            Mechanism::All => NodeKind::All,
            Mechanism::Include(_) => NodeKind::Include,
            Mechanism::A { .. } => NodeKind::A,
            Mechanism::Mx { .. } => NodeKind::Mx,
            Mechanism::Ptr(_) => NodeKind::Ptr,
            Mechanism::Ip4 { .. } => NodeKind::Ip4,
            Mechanism::Ip6 { .. } => NodeKind::Ip6,
            Mechanism::Exists(_) => NodeKind::Exists,
        };
        let mut node = LookupNode::new(kind, mechanism.to_string());
        node.qualifier = Some(directive.qualifier);
        if mechanism.queries_dns() {
            self.lookups += 1;
            node.dns_cost = 1;
        }
        match mechanism {
            Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
            Mechanism::Include(spec) => {
                self.has_includes = true;
                let Some(target) = self.literal_target(Some(spec), domain, &mut node) else {
                    return node;
                };
                node.domain = Some(target.clone());
                if stack.contains(&target) {
                    node.notes.push("loop: already being evaluated".into());
                    self.issues.push(TreeIssue::new(
                        &target,
                        "spf.include.loop",
                        format!("include loop: {} -> {target}", stack.join(" -> ")),
                    ));
                    return node;
                }
                stack.push(target.clone());
                let walked = self.walk_domain(target.clone(), stack).await;
                stack.pop();
                if !walked.has_record && !walked.dns_failed {
                    self.issues.push(TreeIssue::new(
                        &target,
                        "spf.include.no-record",
                        format!("include:{target} has no SPF record (permerror)"),
                    ));
                }
                node.children.push(walked.node);
            }
            Mechanism::A { domain: spec, .. } => {
                let Some(target) = self.literal_target(spec.as_ref(), domain, &mut node) else {
                    return node;
                };
                node.domain = Some(target.clone());
                let a = self.lookup.a(&target).await;
                let aaaa = self.lookup.aaaa(&target).await;
                if a.is_failure() {
                    self.dns_error(&mut node, format!("A {target}"), &a);
                } else if aaaa.is_failure() {
                    self.dns_error(&mut node, format!("AAAA {target}"), &aaaa);
                } else if a.is_void() && aaaa.is_void() {
                    self.void(&mut node, format!("A/AAAA {target}"), a.describe());
                } else {
                    node.notes.push(format!(
                        "{} A, {} AAAA",
                        a.records().len(),
                        aaaa.records().len()
                    ));
                }
            }
            Mechanism::Mx { domain: spec, .. } => {
                let Some(target) = self.literal_target(spec.as_ref(), domain, &mut node) else {
                    return node;
                };
                node.domain = Some(target.clone());
                let mx = self.lookup.mx(&target).await;
                if mx.is_failure() {
                    self.dns_error(&mut node, format!("MX {target}"), &mx);
                } else if mx.is_void() {
                    self.void(&mut node, format!("MX {target}"), mx.describe());
                } else {
                    let n = mx.records().len();
                    node.notes.push(format!("{n} MX record(s)"));
                    if n > 10 {
                        self.issues.push(TreeIssue::new(
                            &target,
                            "spf.mx.too-many",
                            format!("mx:{target} has {n} MX records; more than 10 is a permerror (RFC 7208 §4.6.4)"),
                        ));
                    }
                }
            }
            Mechanism::Ptr(spec) => {
                if let Some(target) = self.literal_target(spec.as_ref(), domain, &mut node) {
                    node.domain = Some(target);
                }
                node.notes
                    .push("needs the sending IP; PTR lookups are not made here".into());
            }
            Mechanism::Exists(spec) => {
                let Some(target) = self.literal_target(Some(spec), domain, &mut node) else {
                    return node;
                };
                node.domain = Some(target.clone());
                let a = self.lookup.exists(&target).await;
                if a.is_failure() {
                    self.dns_error(&mut node, format!("A {target}"), &a);
                } else if a.is_void() {
                    self.void(&mut node, format!("A {target}"), a.describe());
                }
            }
        }
        node
    }
}

/// Merges several SPF records into one: the directives of all records
/// (duplicates dropped), the modifiers, and the first `all` last.
pub fn merge_records(records: &[String]) -> String {
    let mut terms: Vec<Term> = Vec::new();
    let mut all: Option<Term> = None;
    let mut exp: Option<Term> = None;
    let mut redirect: Option<Term> = None;
    for text in records {
        for term in parse_record(text).record.terms {
            match &term {
                Term::Directive(Directive {
                    mechanism: Mechanism::All,
                    ..
                }) => {
                    all.get_or_insert(term);
                }
                Term::Modifier(Modifier::Explanation(_)) => {
                    exp.get_or_insert(term);
                }
                Term::Modifier(Modifier::Redirect(_)) => {
                    redirect.get_or_insert(term);
                }
                _ => {
                    if !terms.contains(&term) {
                        terms.push(term);
                    }
                }
            }
        }
    }
    match all {
        Some(all) => terms.push(all),
        None => terms.extend(redirect),
    }
    terms.extend(exp);
    SpfRecord { terms }.to_string()
}

/// The record with its first `all` moved after every other mechanism.
pub fn move_all_last(text: &str) -> String {
    let mut record = parse_record(text).record;
    if let Some(pos) = record
        .terms
        .iter()
        .position(|t| matches!(t, Term::Directive(d) if d.mechanism == Mechanism::All))
    {
        let all = record.terms.remove(pos);
        let last_directive = record
            .terms
            .iter()
            .rposition(|t| matches!(t, Term::Directive(_)))
            .map_or(0, |i| i + 1);
        record.terms.insert(last_directive, all);
        // Further `all` terms are dead once the first is last.
        let mut seen = false;
        record.terms.retain(|t| {
            let is_all = matches!(t, Term::Directive(d) if d.mechanism == Mechanism::All);
            let keep = !(is_all && seen);
            seen |= is_all;
            keep
        });
    }
    record.to_string()
}

/// The record with `ptr` replaced by `a` (same target), the nearest
/// equivalent that does not depend on reverse DNS.
pub fn replace_ptr(text: &str) -> String {
    let mut record = parse_record(text).record;
    for term in &mut record.terms {
        if let Term::Directive(d) = term {
            if let Mechanism::Ptr(spec) = &d.mechanism {
                d.mechanism = Mechanism::A {
                    domain: spec.clone(),
                    cidr: Default::default(),
                };
            }
        }
    }
    record.to_string()
}

/// The record with its `all` qualifier replaced (or `all` appended).
pub fn with_all_qualifier(text: &str, qualifier: Qualifier) -> String {
    let mut record = parse_record(text).record;
    match record.terms.iter_mut().find_map(|t| match t {
        Term::Directive(d) if d.mechanism == Mechanism::All => Some(d),
        _ => None,
    }) {
        Some(d) => d.qualifier = qualifier,
        None => {
            record
                .terms
                .retain(|t| !matches!(t, Term::Modifier(Modifier::Redirect(_))));
            let pos = record
                .terms
                .iter()
                .rposition(|t| matches!(t, Term::Directive(_)))
                .map_or(0, |i| i + 1);
            record.terms.insert(
                pos,
                Term::Directive(Directive {
                    qualifier,
                    mechanism: Mechanism::All,
                }),
            );
        }
    }
    record.to_string()
}

fn describe_diagnostic(d: &Diagnostic) -> String {
    format!(
        "bytes {}..{}: {} ({})",
        d.span.start, d.span.end, d.message, d.rfc
    )
}

/// One SPF check, decided for a domain whose record was found: its id and
/// the function that adds exactly one check for it. When the record could
/// not be read or does not exist, every id here gets `not_tested` or
/// `not_applicable` from this list, so an id is written once.
type SpfCheck = (&'static str, fn(&SpfLint, &str, &mut Vec<Check>));

/// The SPF checks after `spf.present`, in catalogue order.
const SPF_CHECKS: &[SpfCheck] = &[
    ("spf.single-record", single_record),
    ("spf.syntax", syntax),
    ("spf.lookup-limit", lookup_limit),
    ("spf.void-lookups", void_lookups),
    ("spf.all-qualifier", all_qualifier),
    ("spf.ptr-mechanism", ptr_mechanism),
    ("spf.record-size", record_size),
    ("spf.include-resolves", include_resolves),
];

/// The SPF report checks for a linted domain, in catalogue order:
/// `spf.present`, then [`SPF_CHECKS`].
pub fn checks(lint: &SpfLint) -> Vec<Check> {
    let d = &lint.domain;
    let mut out = Vec::new();
    let record = match (&lint.status, &lint.record) {
        (SpfLookupStatus::DnsError(e), _) => {
            out.push(Check::new(
                "spf.present",
                Status::Error,
                format!("the TXT lookup for {d} failed ({e}); SPF could not be checked"),
            ));
            for (id, _) in SPF_CHECKS {
                out.push(Check::new(
                    id,
                    Status::NotTested,
                    format!("TXT lookup for {d} failed ({e})"),
                ));
            }
            return out;
        }
        (_, None) => {
            let detail = if lint.spf_rr_seen {
                format!("{d} has no SPF TXT record, only a deprecated type-99 SPF record, which receivers ignore (RFC 7208 §3.1)")
            } else if lint.status == SpfLookupStatus::NxDomain {
                format!("{d} does not exist (NXDOMAIN)")
            } else {
                format!("no `v=spf1` TXT record at {d}")
            };
            out.push(Check::new("spf.present", Status::Fail, detail));
            for (id, _) in SPF_CHECKS {
                out.push(Check::new(
                    id,
                    Status::NotApplicable,
                    format!("no SPF record at {d}"),
                ));
            }
            return out;
        }
        (_, Some(record)) => record.as_str(),
    };
    present(lint, record, &mut out);
    for (_, check) in SPF_CHECKS {
        check(lint, record, &mut out);
    }
    out
}

/// `spf.present`: the record found (a pass), and whether a deprecated type-99 SPF record is also published.
fn present(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let d = &lint.domain;
    if lint.spf_rr_seen {
        out.push(
            Check::new(
                "spf.present",
                Status::Warn,
                format!("{d}: {record}; a deprecated type-99 SPF record is also published (RFC 7208 §3.1, §14.1)"),
            )
            .with_fix("Remove the type-99 SPF record; keep only the TXT record."),
        );
    } else {
        out.push(Check::new(
            "spf.present",
            Status::Pass,
            format!("{d}: {record}"),
        ));
    }
}

/// `spf.single-record`: several `v=spf1` records give permerror (RFC 7208 §4.5).
fn single_record(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let d = &lint.domain;
    if lint.records.len() > 1 {
        out.push(
            Check::new(
                "spf.single-record",
                Status::Fail,
                format!(
                    "{} `v=spf1` records at {d}: {}; receivers return permerror (RFC 7208 §4.5)",
                    lint.records.len(),
                    lint.records
                        .iter()
                        .map(|r| format!("\"{r}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_fix("Merge the records into one TXT record.")
            .with_suggestion(merge_records(&lint.records)),
        );
    } else {
        out.push(Check::new(
            "spf.single-record",
            Status::Pass,
            format!("one SPF record at {d}"),
        ));
    }
}

/// `spf.syntax`: errors in the record or in an included one give permerror; terms after `all`, a redirect beside `all` and unknown modifiers warn.
fn syntax(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let errors: Vec<&Diagnostic> = lint.diagnostics.iter().filter(|x| x.is_error()).collect();
    let nested: Vec<&TreeIssue> = lint
        .issues
        .iter()
        .filter(|i| i.code == "spf.include.syntax")
        .collect();
    let warnings: Vec<&Diagnostic> = lint
        .diagnostics
        .iter()
        .filter(|x| {
            matches!(
                x.code,
                "spf.lint.after-all" | "spf.lint.redirect-with-all" | "spf.lint.unknown-modifier"
            )
        })
        .collect();
    if !errors.is_empty() || !nested.is_empty() {
        let mut parts: Vec<String> = errors.iter().map(|e| describe_diagnostic(e)).collect();
        parts.extend(nested.iter().map(|i| i.message.clone()));
        out.push(Check::new(
            "spf.syntax",
            Status::Fail,
            format!("{}; every SPF check gives permerror", parts.join("; ")),
        ));
    } else if !warnings.is_empty() {
        let parts: Vec<String> = warnings.iter().map(|e| describe_diagnostic(e)).collect();
        let mut check = Check::new("spf.syntax", Status::Warn, parts.join("; "));
        if warnings.iter().any(|w| w.code == "spf.lint.after-all") {
            check = check
                .with_fix("Move `all` to the end: terms after it are never evaluated.")
                .with_suggestion(move_all_last(record));
        }
        out.push(check);
    } else {
        out.push(Check::new(
            "spf.syntax",
            Status::Pass,
            "the record is valid RFC 7208 syntax",
        ));
    }
}

/// `spf.lookup-limit`: more than ten DNS-querying terms give permerror (RFC 7208 §4.6.4). A DNS failure below the top record leaves the count incomplete: that is an error, unless the limit is already exceeded.
fn lookup_limit(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let dns_failed = lint.issues.iter().any(TreeIssue::is_dns_error);
    let bound = if lint.has_macro_targets || dns_failed || lint.walk_stopped {
        "at least "
    } else {
        ""
    };
    let lookups = format!(
        "requires {bound}{}/{LOOKUP_LIMIT} DNS lookups (RFC 7208 §4.6.4)",
        lint.lookup_count
    );
    let too_many_mx: Vec<&TreeIssue> = lint
        .issues
        .iter()
        .filter(|i| i.code == "spf.mx.too-many")
        .collect();
    let looped = lint.issues.iter().any(|i| i.code == "spf.include.loop");
    out.push(if lint.lookup_count > LOOKUP_LIMIT {
        Check::new(
            "spf.lookup-limit",
            Status::Fail,
            format!("{lookups}; receivers return permerror"),
        )
    } else if looped {
        // RFC 7208 §4.6.4: a loop never ends on its own; evaluation runs
        // into the limit and receivers return permerror.
        Check::new(
            "spf.lookup-limit",
            Status::Fail,
            format!("{lookups} until an include/redirect loop repeats; evaluating the loop exceeds the limit and receivers return permerror"),
        )
    } else if !too_many_mx.is_empty() {
        let why: Vec<String> = too_many_mx.iter().map(|i| i.message.clone()).collect();
        Check::new(
            "spf.lookup-limit",
            Status::Fail,
            format!("{lookups}, but {}", why.join("; ")),
        )
    } else if dns_failed {
        Check::new(
            "spf.lookup-limit",
            Status::Error,
            format!("{lookups}; some DNS lookups failed, so the count is incomplete"),
        )
    } else {
        Check::new("spf.lookup-limit", Status::Pass, lookups)
    });
}

/// `spf.void-lookups`: more than two void lookups give permerror (RFC 7208 §4.6.4).
fn void_lookups(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let dns_failed = lint.issues.iter().any(TreeIssue::is_dns_error);
    let voids = format!(
        "{} void lookup(s) (limit {VOID_LOOKUP_LIMIT}, RFC 7208 §4.6.4)",
        lint.void_lookup_count
    );
    out.push(match lint.void_lookup_count {
        n if n > VOID_LOOKUP_LIMIT => Check::new(
            "spf.void-lookups",
            Status::Fail,
            format!("{voids}; receivers return permerror"),
        ),
        _ if dns_failed => Check::new(
            "spf.void-lookups",
            Status::Error,
            format!("{voids} so far; some DNS lookups failed, so the count is incomplete"),
        ),
        0 => Check::new("spf.void-lookups", Status::Pass, voids),
        _ => Check::new(
            "spf.void-lookups",
            Status::Warn,
            format!("{voids}: some terms point at names without records"),
        ),
    });
}

/// `spf.all-qualifier`: `+all` fails, `?all` or no `all` warns.
fn all_qualifier(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    out.push(match lint.effective_all {
        Some(Qualifier::Pass) => Check::new(
            "spf.all-qualifier",
            Status::Fail,
            "`+all` authorises every host on the Internet to send as this domain",
        )
        .with_suggestion(with_all_qualifier(record, Qualifier::SoftFail)),
        Some(Qualifier::Neutral) => Check::new(
            "spf.all-qualifier",
            Status::Warn,
            "`?all` makes no assertion about unlisted hosts",
        )
        .with_suggestion(with_all_qualifier(record, Qualifier::SoftFail)),
        None => Check::new(
            "spf.all-qualifier",
            Status::Warn,
            "the policy has no `all` mechanism: unlisted hosts get neutral",
        )
        .with_suggestion(with_all_qualifier(record, Qualifier::SoftFail)),
        Some(q) => Check::new(
            "spf.all-qualifier",
            Status::Pass,
            format!("the policy ends with `{}all`", q.symbol()),
        ),
    });
}

/// `spf.ptr-mechanism`: `ptr` in the domain's own record SHOULD NOT be used (RFC 7208 §5.5).
fn ptr_mechanism(lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let ptr_terms: Vec<&Diagnostic> = lint
        .diagnostics
        .iter()
        .filter(|x| x.code == "spf.lint.ptr")
        .collect();
    out.push(if ptr_terms.is_empty() {
        Check::new("spf.ptr-mechanism", Status::Pass, "no `ptr` mechanism")
    } else {
        Check::new(
            "spf.ptr-mechanism",
            Status::Warn,
            format!(
                "`ptr` at {}; it SHOULD NOT be used (RFC 7208 §5.5)",
                ptr_terms
                    .iter()
                    .map(|x| format!("bytes {}..{}", x.span.start, x.span.end))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_fix("Replace `ptr` with `a:` for the host names it covered, or better with the `ip4:`/`ip6:` ranges of your servers.")
        .with_suggestion(replace_ptr(record))
    });
}

/// `spf.record-size`: keep the record under 450 bytes (RFC 7208 §3.4).
fn record_size(_lint: &SpfLint, record: &str, out: &mut Vec<Check>) {
    let size = record.len() as u32;
    out.push(if size > RECORD_SIZE_LIMIT {
        Check::new(
            "spf.record-size",
            Status::Warn,
            format!(
                "the record is {size} bytes; keep it under {RECORD_SIZE_LIMIT} (RFC 7208 §3.4)"
            ),
        )
    } else {
        Check::new(
            "spf.record-size",
            Status::Pass,
            format!("the record is {size} bytes"),
        )
    });
}

/// `spf.include-resolves`: an include target without a record, a loop or several records give permerror.
fn include_resolves(lint: &SpfLint, _record: &str, out: &mut Vec<Check>) {
    let broken: Vec<&TreeIssue> = lint
        .issues
        .iter()
        .filter(|i| {
            matches!(
                i.code.as_str(),
                "spf.include.no-record"
                    | "spf.redirect.no-record"
                    | "spf.include.loop"
                    | "spf.include.multiple"
            )
        })
        .collect();
    let dns_errors: Vec<&TreeIssue> = lint.issues.iter().filter(|i| i.is_dns_error()).collect();
    out.push(if !broken.is_empty() {
        Check::new(
            "spf.include-resolves",
            Status::Fail,
            broken
                .iter()
                .map(|i| i.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    } else if !dns_errors.is_empty() {
        Check::new(
            "spf.include-resolves",
            Status::Error,
            dns_errors
                .iter()
                .map(|i| i.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    } else if !lint.has_includes {
        Check::new(
            "spf.include-resolves",
            Status::NotApplicable,
            "the policy has no `include:`",
        )
    } else {
        Check::new(
            "spf.include-resolves",
            Status::Pass,
            "every include target has an SPF record",
        )
    });
}

/// The `spf.sender-ip` check for a check_host() outcome.
pub fn sender_ip_check(ip: IpAddr, outcome: &SpfOutcome) -> Check {
    let status = match outcome.result {
        SpfResult::Pass => Status::Pass,
        SpfResult::Fail | SpfResult::PermError => Status::Fail,
        SpfResult::SoftFail | SpfResult::Neutral | SpfResult::None => Status::Warn,
        SpfResult::TempError => Status::Error,
    };
    let mut detail = format!(
        "SPF {} for {ip}: {} ({} DNS lookups, {} void)",
        outcome.result, outcome.reason, outcome.lookup_count, outcome.void_lookup_count
    );
    if let Some(exp) = &outcome.explanation {
        detail.push_str(&format!("; explanation: {exp}"));
    }
    Check::new("spf.sender-ip", status, detail).with_subject(ip.to_string())
}

#[cfg(test)]
#[path = "lint_tests.rs"]
mod tests;
