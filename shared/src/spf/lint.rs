//! The SPF linter: diagnostics for one record ([`lint_record`]), a walk of
//! every branch of a domain's SPF tree without a sending IP
//! ([`lint_domain`]), and the report checks ([`checks`],
//! [`sender_ip_check`]).
//!
//! This file holds the limits and the types of a lint; the work is in
//! `lint/`: `rules.rs` (one record's lint rules), `walk.rs` (the lookup
//! tree's walk), `suggest.rs` (the fixed records offered as suggestions)
//! and `report.rs` (the report checks and the `domain.spf` section).

mod report;
mod rules;
mod suggest;
mod walk;

pub use report::{checks, sender_ip_check};
pub use rules::lint_record;
pub use suggest::{merge_records, move_all_last, replace_ptr, with_all_qualifier};
pub use walk::{lint_domain, lint_domain_with};

use serde::{Deserialize, Serialize};

use super::eval::LookupNode;
use super::model::{Diagnostic, Qualifier};

/// RFC 7208 §3.4: keep SPF answers under 512 bytes; records over 450 bytes
/// risk exceeding it.
pub const RECORD_SIZE_LIMIT: u32 = 450;
/// RFC 7208 §4.6.4: DNS-querying terms.
pub const LOOKUP_LIMIT: u32 = 10;
/// RFC 7208 §4.6.4: void lookups.
pub const VOID_LOOKUP_LIMIT: u32 = 2;

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

/// Facts the caller learnt outside the TXT lookups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// A deprecated type-99 SPF RR exists for the domain (RFC 7208 §3.1,
    /// §14.1). [`crate::dns::DnsLookup`] has no SPF-type query, so the
    /// caller tells.
    pub spf_rr_seen: bool,
}

#[cfg(test)]
#[path = "lint_tests.rs"]
mod tests;
