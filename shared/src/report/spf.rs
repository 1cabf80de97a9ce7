//! `domain.spf`: the audited domain's SPF record, its DNS lookup counts and
//! its include/redirect tree (RFC 7208 §4.6.4).
//!
//! The JSON is the one `spf::lint::SpfLint::report_section` gave as an
//! untyped `serde_json::Value` (a `json!` object with the lookup tree
//! inside): `serde_json` is built without `preserve_order`, so its `Map`
//! wrote every object's members in alphabetical order, at every depth. The
//! structs below declare their fields in that order, write the record as
//! `null` when there is none and omit what the tree's nodes omitted, so the
//! typed section is byte-identical.

use serde::{Deserialize, Serialize};

use crate::spf::eval::{NodeKind, SpfResult};
use crate::spf::Qualifier;

/// `domain.spf` (made by `spf::lint::SpfLint::report_section`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfFacts {
    /// DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`,
    /// `redirect`) across every branch of the tree; more than 10 is a
    /// permerror (RFC 7208 §4.6.4).
    pub lookup_count: u32,
    /// The domain's SPF record (RFC 7208 §4.5); `null` when it has none
    /// (or more than one).
    pub record: Option<String>,
    /// The legend of the terms the record uses, in the order of first use
    /// (absent in reports made before it was written).
    #[serde(default)]
    pub terms: Vec<SpfTermFacts>,
    /// The lookup tree of every branch, rooted at the domain's record.
    pub tree: SpfNodeFacts,
    /// Lookups that gave no answer (NXDOMAIN or an empty answer) across the
    /// tree; more than 2 is a permerror (RFC 7208 §4.6.4).
    pub void_lookup_count: u32,
}

/// One node of `domain.spf.tree` (an `spf::eval::LookupNode`): a record,
/// or one of its terms (RFC 7208 §5 mechanisms, §6 modifiers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfNodeFacts {
    /// The record under an include or redirect; the terms under a record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<SpfNodeFacts>,
    /// How many of the RFC 7208 §4.6.4 DNS-querying terms this node is
    /// (0 or 1).
    pub dns_cost: u32,
    /// The record's owner for a record node, else the target name after
    /// macro expansion (RFC 7208 §7), when the term has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// What the node is.
    pub kind: NodeKind,
    /// Whether the term matched (directives), when evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<bool>,
    /// What happened: DNS answers, errors, why it did not match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The qualifier, for directives (RFC 7208 §4.6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<Qualifier>,
    /// The SPF record text, for record nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The result of a record node, or of the evaluation an include or
    /// redirect started (RFC 7208 §2.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<SpfResult>,
    /// The term as written (canonical form), or the domain for a record
    /// node.
    pub term: String,
    /// Void lookups (NXDOMAIN or no answer) this node caused (RFC 7208
    /// §4.6.4).
    pub void_lookups: u32,
}

/// One row of `domain.spf.terms` (text from `spf::terms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfTermFacts {
    /// What it does.
    pub meaning: String,
    /// The defining RFC section (`RFC 7208 §5.2`).
    pub rfc: String,
    /// The mechanism or modifier name, lower case.
    pub term: String,
}
