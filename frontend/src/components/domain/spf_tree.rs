//! The SPF include tree (`domain.spf.tree`, an `spf::eval::LookupNode`):
//! an indented tree of terms, each with its qualifier, the DNS lookups it
//! costs and its void lookups, and a running total against the limit of 10
//! (RFC 7208 §4.6.4) with the term that crosses the limit highlighted.

use serde_json::Value;
use yew::prelude::*;

/// RFC 7208 §4.6.4: at most 10 DNS-querying terms.
pub const LOOKUP_LIMIT: u64 = 10;
/// RFC 7208 §4.6.4: at most 2 void lookups.
pub const VOID_LIMIT: u64 = 2;

fn qualifier_word(q: &str) -> &'static str {
    match q {
        "fail" => "fail (-)",
        "soft_fail" => "softfail (~)",
        "neutral" => "neutral (?)",
        _ => "pass (+)",
    }
}

/// Renders `node` and its children, adding each node's cost to `total` in
/// document order (the order an evaluator would spend them).
fn node_view(node: &Value, total: &mut u64) -> Html {
    let kind = node.get("kind").and_then(Value::as_str).unwrap_or("");
    let term = node.get("term").and_then(Value::as_str).unwrap_or("");
    let cost = node.get("dns_cost").and_then(Value::as_u64).unwrap_or(0);
    let voids = node
        .get("void_lookups")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let before = *total;
    *total += cost;
    let crosses = before <= LOOKUP_LIMIT && *total > LOOKUP_LIMIT;
    let over = *total > LOOKUP_LIMIT && cost > 0;
    let class = format!(
        "spf-node k-{kind}{}{}",
        if over { " over-limit" } else { "" },
        if crosses { " crosses-limit" } else { "" }
    );
    let children = node
        .get("children")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let notes: Vec<String> = node
        .get("notes")
        .and_then(Value::as_array)
        .map(|n| {
            n.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let head = if kind == "record" {
        let domain = node.get("domain").and_then(Value::as_str).unwrap_or(term);
        html! {
            <>
                <span class="spf-kind">{"record of "}</span><span class="mono">{ domain }</span>
                if let Some(record) = node.get("record").and_then(Value::as_str) {
                    <code class="spf-record">{ record }</code>
                }
            </>
        }
    } else {
        html! {
            <>
                <code class="spf-term">{ term }</code>
                if let Some(q) = node.get("qualifier").and_then(Value::as_str) {
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
                    } else if kind != "record" {
                        {"no lookup"}
                    }
                    if voids > 0 { { format!(" · {voids} void") } }
                </span>
                if crosses {
                    <span class="badge s-fail"><span aria-hidden="true">{"✘"}</span>{ format!(" crosses the limit of {LOOKUP_LIMIT}") }</span>
                }
            </div>
            if !notes.is_empty() {
                <p class="spf-notes">{ notes.join("; ") }</p>
            }
            if !children.is_empty() {
                <ul>{ for children.iter().map(|c| node_view(c, total)) }</ul>
            }
        </li>
    }
}

/// The tree with its totals, for `domain.spf` (`{record, lookup_count,
/// void_lookup_count, tree}`); a plain function, not a component, to keep
/// the bundle small.
pub fn spf_tree(spf: &Value) -> Html {
    let mut total = 0;
    let tree = spf
        .get("tree")
        .filter(|t| t.is_object())
        .map(|t| node_view(t, &mut total));
    let lookups = spf
        .get("lookup_count")
        .and_then(Value::as_u64)
        .unwrap_or(total);
    let voids = spf
        .get("void_lookup_count")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let status = |n: u64, limit: u64| {
        if n > limit {
            ("s-fail", "✘", "over the limit")
        } else {
            ("s-pass", "✔", "within the limit")
        }
    };
    // The legend of the terms the record uses (`domain.spf.terms`, text
    // from shared).
    let text = |row: &Value, key: &str| {
        row.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let terms: Vec<Html> = spf
        .get("terms")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    html! {
                        <>
                            <dt><code>{ text(row, "term") }</code></dt>
                            <dd>{ format!("{} ({})", text(row, "meaning"), text(row, "rfc")) }</dd>
                        </>
                    }
                })
                .collect()
        })
        .unwrap_or_default();
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
            if let Some(tree) = tree {
                <ul class="spf-tree" aria-label="SPF include tree">{ tree }</ul>
            }
            if !terms.is_empty() {
                <details class="spf-terms">
                    <summary>{"What the terms mean"}</summary>
                    <dl>{ for terms }</dl>
                </details>
            }
        </div>
    }
}
