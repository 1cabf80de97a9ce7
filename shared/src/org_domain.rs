//! Organizational domains through the Public Suffix List (RFC 7489 §3.2),
//! shared by DMARC discovery and alignment.
//!
//! The list is embedded as a compact trie in text form
//! (`shared/data/public_suffix_list.dat`, about 90 KB) and indexed on first
//! use. This replaced the `psl` crate, whose list compiles to ~900 KB of
//! match code in the browser bundle; `shared/tests/psl_compat.rs` checks that
//! the answers are identical, including psl's handling of wildcards (`*.ck`),
//! exceptions (`!www.ck`), private-section rules and IDN suffixes in both
//! U-label and A-label form.

use std::sync::OnceLock;

/// The rules as a trie, generated from the list the `psl` crate was built
/// from. After the `//` header lines: top-level nodes one per line; a node is
/// its label, then marks, then optionally its children as
/// `(child,child,...)`. Marks: `!` the node is an exception rule (`!www.ck`);
/// `~` the node is no rule itself (otherwise it is); `*` every child label is
/// a rule (`*.ck`).
///
/// Native builds embed it (feature `embedded-psl`, on by default). The
/// browser build leaves it out of the WASM bundle, where it was 37 KiB of
/// the gzip size, and fetches the same file beside the bundle at start-up,
/// handing it over with [`supply_public_suffix_list`] before any analysis.
#[cfg(feature = "embedded-psl")]
const EMBEDDED: Option<&str> = Some(include_str!("../data/public_suffix_list.dat"));
#[cfg(not(feature = "embedded-psl"))]
const EMBEDDED: Option<&str> = None;

/// The list handed over at run time (builds without `embedded-psl`).
static SUPPLIED: OnceLock<&'static str> = OnceLock::new();

/// Supplies the list's text (the content of
/// `shared/data/public_suffix_list.dat`) to a build without the embedded
/// copy. Call it before the first lookup: the trie is built once, on first
/// use. Returns `false` when a list was already supplied or is embedded.
pub fn supply_public_suffix_list(text: &'static str) -> bool {
    EMBEDDED.is_none() && SUPPLIED.set(text).is_ok()
}

/// Whether lookups use the real list. Without it every top-level label is
/// its own suffix (the implicit `*` rule alone), which is right for `.com`
/// and wrong for `co.uk`.
pub fn public_suffix_list_available() -> bool {
    EMBEDDED.is_some() || SUPPLIED.get().is_some()
}

/// The node itself is a rule (`co.uk`).
const RULE: u8 = 1;
/// Any child label is a rule (`*.ck` sets this on `ck`).
const WILDCARD: u8 = 2;
/// The node is an exception (`!www.ck`): its parent is the suffix.
const EXCEPTION: u8 = 4;
/// The parent of top-level nodes.
const ROOT: u32 = u32::MAX;

/// One trie node: its parent's index (or [`ROOT`]), its label and flags.
type Node = (u32, &'static str, u8);

/// The trie nodes in file order, and their indices sorted by
/// (parent, label) so that a child is found by binary search.
struct Trie {
    nodes: Vec<Node>,
    by_parent_and_label: Vec<u32>,
}

impl Trie {
    fn parse(text: &'static str) -> Trie {
        // Skip the `//` header lines.
        let mut body_start = 0;
        while text[body_start..].starts_with("//") {
            body_start = text[body_start..]
                .find('\n')
                .map_or(text.len(), |n| body_start + n + 1);
        }
        let bytes = text.as_bytes();
        let mut nodes: Vec<Node> = Vec::with_capacity(16 * 1024);
        let mut parents: Vec<u32> = Vec::new();
        let mut i = body_start;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' | b',' => {
                    i += 1;
                    continue;
                }
                b')' => {
                    parents.pop();
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let start = i;
            while i < bytes.len() && !b"~*!(),\n".contains(&bytes[i]) {
                i += 1;
            }
            // The delimiters are ASCII, so these are char boundaries.
            let label = &text[start..i];
            let mut flags = RULE;
            while i < bytes.len() {
                match bytes[i] {
                    b'~' => flags &= !RULE,
                    b'*' => flags |= WILDCARD,
                    b'!' => flags = EXCEPTION,
                    _ => break,
                }
                i += 1;
            }
            let id = nodes.len() as u32;
            nodes.push((parents.last().copied().unwrap_or(ROOT), label, flags));
            if bytes.get(i) == Some(&b'(') {
                parents.push(id);
                i += 1;
            }
        }
        let mut by_parent_and_label: Vec<u32> = (0..nodes.len() as u32).collect();
        by_parent_and_label.sort_unstable_by(|&a, &b| {
            let (a, b) = (nodes[a as usize], nodes[b as usize]);
            (a.0, a.1).cmp(&(b.0, b.1))
        });
        Trie {
            nodes,
            by_parent_and_label,
        }
    }

    /// The child of `parent` labelled `label`: its index and flags.
    fn child(&self, parent: u32, label: &[u8]) -> Option<(u32, u8)> {
        let k = self
            .by_parent_and_label
            .binary_search_by(|&id| {
                let (node_parent, node_label, _) = self.nodes[id as usize];
                (node_parent, node_label.as_bytes()).cmp(&(parent, label))
            })
            .ok()?;
        let id = self.by_parent_and_label[k];
        Some((id, self.nodes[id as usize].2))
    }
}

fn trie() -> &'static Trie {
    static TABLE: OnceLock<Trie> = OnceLock::new();
    TABLE.get_or_init(|| Trie::parse(EMBEDDED.or(SUPPLIED.get().copied()).unwrap_or("")))
}

/// Length in bytes of the public suffix at the end of `name` (0 for none).
///
/// Walks the trie from the last label as the `psl` crate does: an unknown
/// top-level label is its own suffix (the implicit `*` rule), a deeper node
/// that is no rule keeps the suffix found so far, an exception ends the walk
/// at its parent, and a wildcard matches only labels with no explicit node.
fn suffix_len(name: &[u8]) -> usize {
    let trie = trie();
    let mut labels = name.rsplit(|&b| b == b'.');
    let Some(top) = labels.next() else {
        return 0;
    };
    let mut len = top.len();
    let Some((mut node, mut flags)) = trie.child(ROOT, top) else {
        return len;
    };
    let mut node_len = top.len();
    for label in labels {
        let child_len = node_len + 1 + label.len();
        match trie.child(node, label) {
            Some((_, child_flags)) if child_flags & EXCEPTION != 0 => return node_len,
            Some((child, child_flags)) => {
                if child_flags & RULE != 0 {
                    len = child_len;
                }
                (node, flags, node_len) = (child, child_flags, child_len);
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

/// True when `label` (one label, e.g. `com`) is a top-level domain the
/// Public Suffix List names itself, rather than one that is a suffix only by
/// the implicit `*` rule. Content analysis uses it to tell a domain written
/// in link text ("shop.com") from a file name ("report.pdf"). The RFC 2606
/// reserved names `test`, `example`, `invalid` and `localhost` count too,
/// since test data and documentation use them as real domains.
pub fn is_listed_top_level(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    matches!(lower.as_str(), "test" | "example" | "invalid" | "localhost")
        || (!lower.is_empty()
            && !lower.contains('.')
            && trie().child(ROOT, lower.as_bytes()).is_some())
}

/// Relaxed alignment (RFC 7489 §3.1): same organizational domain. Names
/// that are the same are aligned without looking either up (most are: a
/// DKIM `d=` or SPF domain is usually the From domain itself; #17 G4).
pub fn aligned_relaxed(a: &str, b: &str) -> bool {
    aligned_strict(a, b) || organizational_domain(a) == organizational_domain(b)
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

    proptest::proptest! {
        /// Relaxed alignment is "same organizational domain", whether the
        /// names are the same (answered without a look-up) or not.
        #[test]
        fn aligned_relaxed_is_same_org_domain(
            a in "(([aA]|[bB]|www|co|uk|ck|com|github|io)\\.){0,3}(com|uk|ck|io|Com|zz)\\.?",
            b in "(([aA]|[bB]|www|co|uk|ck|com|github|io)\\.){0,3}(com|uk|ck|io|Com|zz)\\.?",
        ) {
            proptest::prop_assert_eq!(
                aligned_relaxed(&a, &b),
                organizational_domain(&a) == organizational_domain(&b)
            );
            proptest::prop_assert!(aligned_relaxed(&a, &a.to_ascii_uppercase()));
        }
    }
}
