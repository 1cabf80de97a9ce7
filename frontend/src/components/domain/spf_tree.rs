//! The SPF include tree (`domain.spf.tree`, a `report::SpfNodeFacts`):
//! an indented tree of terms, each with its qualifier, the DNS lookups it
//! costs and its void lookups, and a running total against the limit of 10
//! (RFC 7208 §4.6.4) with the term that crosses the limit highlighted.

use mxlens_shared::report::{SpfFacts, SpfNodeFacts};
use mxlens_shared::spf::eval::NodeKind;
use mxlens_shared::spf::Qualifier;
use yew::prelude::*;

/// RFC 7208 §4.6.4: at most 10 DNS-querying terms.
pub const LOOKUP_LIMIT: u64 = 10;
/// RFC 7208 §4.6.4: at most 2 void lookups.
pub const VOID_LIMIT: u64 = 2;

fn qualifier_word(q: Qualifier) -> &'static str {
    match q {
        Qualifier::Fail => "fail (-)",
        Qualifier::SoftFail => "softfail (~)",
        Qualifier::Neutral => "neutral (?)",
        Qualifier::Pass => "pass (+)",
    }
}

/// Renders `node` and its children, adding each node's cost to `total` in
/// document order (the order an evaluator would spend them).
fn node_view(node: &SpfNodeFacts, total: &mut u64) -> Html {
    let kind = node.kind.as_str();
    let term = node.term.as_str();
    let cost = u64::from(node.dns_cost);
    let voids = node.void_lookups;
    let before = *total;
    *total += cost;
    let crosses = before <= LOOKUP_LIMIT && *total > LOOKUP_LIMIT;
    let over = *total > LOOKUP_LIMIT && cost > 0;
    let class = format!(
        "spf-node k-{kind}{}{}",
        if over { " over-limit" } else { "" },
        if crosses { " crosses-limit" } else { "" }
    );
    let head = if node.kind == NodeKind::Record {
        let domain = node.domain.as_deref().unwrap_or(term);
        html! {
            <>
                <span class="spf-kind">{"record of "}</span><span class="mono">{ domain }</span>
                if let Some(record) = &node.record {
                    <code class="spf-record">{ record }</code>
                }
            </>
        }
    } else {
        html! {
            <>
                <code class="spf-term">{ term }</code>
                if let Some(q) = node.qualifier {
                    <span class="spf-qualifier">{ qualifier_word(q) }</span>
                }
            </>
        }
    };
    html! {
        <li class={class} data-cost={cost.to_string()} data-total={total.to_string()}>
            <div class="spf-line">
                { head }
                <span class="spf-cost">
                    if cost > 0 {
                        { format!("+{cost} lookup · total {total}/{LOOKUP_LIMIT}") }
                    } else if node.kind != NodeKind::Record {
                        {"no lookup"}
                    }
                    if voids > 0 { { format!(" · {voids} void") } }
                </span>
                if crosses {
                    <span class="badge s-fail"><span aria-hidden="true">{"✘"}</span>{ format!(" crosses the limit of {LOOKUP_LIMIT}") }</span>
                }
            </div>
            if !node.notes.is_empty() {
                <p class="spf-notes">{ node.notes.join("; ") }</p>
            }
            if !node.children.is_empty() {
                <ul>{ for node.children.iter().map(|c| node_view(c, total)) }</ul>
            }
        </li>
    }
}

/// The tree with its totals, for `domain.spf`; a plain function, not a
/// component, to keep the bundle small.
pub fn spf_tree(spf: &SpfFacts) -> Html {
    let mut total = 0;
    let tree = node_view(&spf.tree, &mut total);
    let lookups = u64::from(spf.lookup_count);
    let voids = u64::from(spf.void_lookup_count);
    let status = |n: u64, limit: u64| {
        if n > limit {
            ("s-fail", "✘", "over the limit")
        } else {
            ("s-pass", "✔", "within the limit")
        }
    };
    // The legend of the terms the record uses (`domain.spf.terms`, text
    // from shared).
    let terms: Vec<Html> = spf
        .terms
        .iter()
        .map(|row| {
            html! {
                <>
                    <dt><code>{ row.term.clone() }</code></dt>
                    <dd>{ format!("{} ({})", row.meaning, row.rfc) }</dd>
                </>
            }
        })
        .collect();
    let (lookup_class, lookup_icon, lookup_word) = status(lookups, LOOKUP_LIMIT);
    let (void_class, void_icon, void_word) = status(voids, VOID_LIMIT);
    html! {
        <div class="spf-tree-block">
            <p class="spf-totals">
                <span class="spf-total">{ format!("DNS lookups: {lookups} of {LOOKUP_LIMIT}") }</span>{" "}
                <span class={classes!("badge", lookup_class)}><span aria-hidden="true">{lookup_icon}</span>{" "}{lookup_word}</span>
                <br />
                <span>{ format!("Void lookups: {voids} of {VOID_LIMIT}") }</span>{" "}
                <span class={classes!("badge", void_class)}><span aria-hidden="true">{void_icon}</span>{" "}{void_word}</span>
            </p>
            <ul class="spf-tree" aria-label="SPF include tree">{ tree }</ul>
            if !terms.is_empty() {
                <details class="spf-terms">
                    <summary>{"What the terms mean"}</summary>
                    <dl>{ for terms }</dl>
                </details>
            }
        </div>
    }
}
