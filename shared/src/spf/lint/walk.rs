//! The walk of a domain's SPF lookup tree ([`lint_domain`]): every branch,
//! without a sending IP, counting the RFC 7208 §4.6.4 terms and void
//! lookups and noting the problems below the top record.

use std::future::Future;
use std::pin::Pin;

use super::{lint_record, LintOptions, SpfLint, SpfLookupStatus, TreeIssue, MAX_WALK_LOOKUPS};
use crate::dns::{DnsLookup, DnsOutcome};
use crate::spf::eval::{LookupNode, NodeKind};
use crate::spf::model::{Directive, DomainSpec, Mechanism, Qualifier};
use crate::spf::parse::{is_spf_record, parse_record};

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
        let mut node = LookupNode::new(NodeKind::of(mechanism), mechanism.to_string());
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
