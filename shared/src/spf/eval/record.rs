//! check_host() on one domain's record: the domain's validity (RFC 7208
//! §4.3), record lookup and selection (§4.4, §4.5), the directives left to
//! right (§4.6.2), `redirect=` (§6.1) and the explanation of `exp=` (§6.2).

use std::future::Future;
use std::pin::Pin;

use super::{
    is_queryable, is_valid_domain, Evaluator, Inner, LookupNode, NodeKind, SpfResult, MAX_DEPTH,
};
use crate::dns::{DnsLookup, DnsOutcome};
use crate::spf::macros::{self, MacroMode};
use crate::spf::model::DomainSpec;
use crate::spf::parse::{is_spf_record, parse_record};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl<L: DnsLookup> Evaluator<'_, L> {
    /// check_host() on one domain: returns the result and the record node.
    pub(super) fn eval_domain(&mut self, domain: String) -> BoxFuture<'_, (Inner, LookupNode)> {
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
}
