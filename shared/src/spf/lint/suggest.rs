//! The fixed records the checks suggest: several records merged, `all`
//! moved last, `ptr` replaced, another `all` qualifier.

use crate::spf::model::{Directive, Mechanism, Modifier, Qualifier, SpfRecord, Term};
use crate::spf::parse::parse_record;

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
