//! MTA-STS (RFC 8461): TXT record and policy file parsers, MX pattern
//! matching and checks.

pub mod lint;
pub mod model;
pub mod parse;

pub use lint::{
    lint_mta_sts, lint_mx_coverage, lint_sts_policy, lint_sts_record, lookup_sts_record,
    PolicyFetch, StsRecordLookup,
};
pub use model::{StsMode, StsPolicy, StsRecord};
pub use parse::{
    is_extension_name, is_extension_value, is_mx_pattern, mx_matches, parse_sts_policy,
    parse_sts_record, StsPolicyParse, StsRecordParse, MAX_AGE_LIMIT,
};
