//! The lookup tree of check_host() (`domain.spf.tree` in the report): what
//! each node stands for, and the tree as text for the CLI trace.

use serde::{Deserialize, Serialize};

use super::SpfResult;
use crate::spf::model::{Mechanism, Qualifier};

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

    /// The kind of the node for a directive with mechanism `m`.
    pub(crate) fn of(m: &Mechanism) -> Self {
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
