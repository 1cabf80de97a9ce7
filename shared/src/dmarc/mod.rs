//! DMARC (RFC 7489, RFC 9989): the record model, a total parser, policy
//! discovery (organizational-domain fallback and the RFC 9989 tree walk),
//! external report authorization and the report checks.

pub mod alignment;
pub mod audit;
pub mod discover;
pub mod lint;
pub mod model;
pub mod parse;
pub mod tags;

pub use audit::{audit_discovered, audit_dmarc, domain_existence, DmarcAudit, DmarcAuditOptions};
pub use discover::{
    check_report_authorization, discover_policy, discover_tree_walk, is_dmarc_candidate,
    tree_walk_names, DiscoveryResult, DmarcDiscovery, DmarcQuery, ExternalDestination, FoundPolicy,
    ReportAuthorization,
};
pub use lint::{
    effective_policy, lint_dmarc, lint_report_authorization, DmarcSummary, DomainExistence,
};
pub use model::{Alignment, DmarcRecord, FailureOption, Policy, PsdFlag, ReportSize, ReportUri};
pub use parse::{parse_dmarc, DmarcParse};
pub use tags::{dmarc_tag_info, dmarc_tag_table, DmarcTagInfo, DmarcTagRow, DMARC_TAGS};
