//! BIMI (draft-brand-indicators-for-message-identification): the assertion
//! record, its parser and checks.

pub mod lint;
pub mod model;
pub mod parse;

pub use lint::{lint_bimi, lint_bimi_dmarc, lookup_bimi, BimiLookup};
pub use model::{AvatarPreference, BimiRecord};
pub use parse::{parse_bimi, BimiParse};
