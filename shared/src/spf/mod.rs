//! SPF (RFC 7208): the record model, a total parser, the check_host()
//! evaluator and the linter.
//!
//! - [`parse_record`] turns any text into a best-effort [`SpfRecord`] plus
//!   [`Diagnostic`]s with byte spans.
//! - [`eval::check_host`] evaluates a sending IP against a domain's policy,
//!   through [`crate::dns::DnsLookup`], and returns an [`eval::SpfOutcome`]
//!   with the result, explanation, lookup counts and a lookup tree.
//! - [`lint::lint_domain`] walks every branch of a domain's SPF tree without
//!   a sending IP and [`lint::checks`] turns the findings into report checks.

pub mod eval;
pub mod lint;
pub mod macros;
pub mod model;
pub mod parse;
pub mod terms;

pub use model::{
    Diagnostic, Directive, DomainSpec, DualCidrLength, MacroEscape, MacroExpand, MacroItem,
    MacroLetter, MacroString, Mechanism, Modifier, Qualifier, Severity, SpfRecord, Term,
};
pub use parse::{is_spf_record, parse_record, ParsedRecord, SpfParseError};
