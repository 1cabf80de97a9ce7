//! Organizational domains through the Public Suffix List (RFC 7489 §3.2),
//! shared by DMARC discovery and alignment.
//!
//! The list is embedded as plain text (`shared/data/public_suffix_list.dat`,
//! one rule per line) and turned into a sorted table of trie nodes on first
//! use. This replaced the `psl` crate, whose list compiles to ~1 MB of match
//! code in the browser bundle; `shared/tests/psl_compat.rs` checks that the
//! answers are identical, including psl's handling of wildcards (`*.ck`),
//! exceptions (`!www.ck`), private-section rules and IDN suffixes in both
//! U-label and A-label form.

use std::sync::OnceLock;

/// The rules, generated from the list the `psl` crate was built from.
const RULES: &str = include_str!("../data/public_suffix_list.dat");

/// The node itself is a rule (`co.uk`).
const RULE: u8 = 1;
/// Any child label is a rule (`*.ck` sets this on `ck`).
const WILDCARD: u8 = 2;
/// The node is an exception (`!www.ck`): its parent is the suffix.
const EXCEPTION: u8 = 4;

/// Every suffix of every rule (at a label boundary) with its flags, sorted by
/// name: a trie whose nodes are found by binary search.
fn nodes() -> &'static [(&'static str, u8)] {
    static NODES: OnceLock<Vec<(&'static str, u8)>> = OnceLock::new();
    NODES.get_or_init(|| {
        let mut nodes: Vec<(&'static str, u8)> = Vec::with_capacity(32 * 1024);
        for line in RULES.lines() {
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            let (name, flag) = if let Some(name) = line.strip_prefix('!') {
                (name, EXCEPTION)
            } else if let Some(name) = line.strip_prefix("*.") {
                (name, WILDCARD)
            } else {
                (line, RULE)
            };
            nodes.push((name, flag));
            // The parents are trie nodes too, even when they are no rule.
            let mut rest = name;
            while let Some(dot) = rest.find('.') {
                rest = &rest[dot + 1..];
                nodes.push((rest, 0));
            }
        }
        nodes.sort_unstable_by(|a, b| a.0.cmp(b.0));
        nodes.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 |= later.1;
                true
            } else {
                false
            }
        });
        nodes
    })
}

fn node_flags(name: &[u8]) -> Option<u8> {
    let nodes = nodes();
    nodes
        .binary_search_by(|(node, _)| node.as_bytes().cmp(name))
        .ok()
        .map(|i| nodes[i].1)
}

/// Length in bytes of the public suffix at the end of `name` (0 for none).
///
/// Walks the trie from the last label as the `psl` crate does: an unknown
/// top-level label is its own suffix (the implicit `*` rule), a deeper node
/// that is no rule keeps the suffix found so far, an exception ends the walk
/// at its parent, and a wildcard matches only labels with no explicit node.
fn suffix_len(name: &[u8]) -> usize {
    let mut labels = name.rsplit(|&b| b == b'.');
    let Some(top) = labels.next() else {
        return 0;
    };
    let mut len = top.len();
    let Some(mut flags) = node_flags(top) else {
        return len;
    };
    let mut node_len = top.len();
    for label in labels {
        let child_len = node_len + 1 + label.len();
        let child = &name[name.len() - child_len..];
        match node_flags(child) {
            Some(child_flags) if child_flags & EXCEPTION != 0 => return node_len,
            Some(child_flags) => {
                if child_flags & RULE != 0 {
                    len = child_len;
                }
                node_len = child_len;
                flags = child_flags;
            }
            None if flags & WILDCARD != 0 => return child_len,
            None => return len,
        }
    }
    len
}

/// The public suffix of a lower-case name without trailing dot, if any.
fn suffix(name: &str) -> Option<&str> {
    match suffix_len(name.as_bytes()) {
        0 => None,
        len => name.get(name.len() - len..),
    }
}

/// The registrable domain (suffix plus one label) of a lower-case name
/// without trailing dot, if it has one.
fn registrable_domain(name: &str) -> Option<&str> {
    let suffix_len = suffix(name)?.len();
    if name.len() < suffix_len + 2 {
        return None;
    }
    let subdomain = &name[..name.len() - suffix_len - 1];
    let label_len = subdomain.rsplit('.').next().map_or(0, str::len);
    name.get(name.len() - (label_len + 1 + suffix_len)..)
}

/// The organizational domain of `name`: the public suffix plus one label.
/// Returns the name itself (lower-cased, no trailing dot) when it is a public
/// suffix or has no known suffix.
///
/// ```
/// use mxlens_shared::org_domain::organizational_domain;
/// assert_eq!(organizational_domain("Mail.Example.CO.UK."), "example.co.uk");
/// assert_eq!(organizational_domain("a.b.example.com"), "example.com");
/// ```
pub fn organizational_domain(name: &str) -> String {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    match registrable_domain(&lower) {
        Some(org) => org.to_string(),
        None => lower,
    }
}

/// True when `name` is itself a public suffix (e.g. `co.uk`).
pub fn is_public_suffix(name: &str) -> bool {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    suffix(&lower) == Some(lower.as_str())
}

/// Relaxed alignment (RFC 7489 §3.1): same organizational domain.
pub fn aligned_relaxed(a: &str, b: &str) -> bool {
    organizational_domain(a) == organizational_domain(b)
}

/// Strict alignment: identical domains (case-insensitive, no trailing dot).
pub fn aligned_strict(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_domains() {
        for (name, org) in [
            ("example.com", "example.com"),
            ("news.shop.example.com", "example.com"),
            ("bounce.example.co.uk", "example.co.uk"),
            ("co.uk", "co.uk"),
            // Wildcard `*.ck` and exception `!www.ck`.
            ("a.b.foo.ck", "b.foo.ck"),
            ("a.www.ck", "www.ck"),
            // Private section.
            ("x.user.github.io", "user.github.io"),
            // IDN suffix, both forms.
            ("mail.example.公司.cn", "example.公司.cn"),
            ("mail.example.xn--55qx5d.cn", "example.xn--55qx5d.cn"),
            // Unknown top-level label: the implicit `*` rule.
            ("a.b.example.unknowntld", "example.unknowntld"),
        ] {
            assert_eq!(organizational_domain(name), org, "{name}");
        }
        assert!(is_public_suffix("co.uk"));
        assert!(is_public_suffix("foo.ck"));
        assert!(!is_public_suffix("www.ck"));
        assert!(!is_public_suffix("example.co.uk"));
        assert!(aligned_relaxed("mail.example.com", "example.com"));
        assert!(!aligned_strict("mail.example.com", "example.com"));
    }
}
