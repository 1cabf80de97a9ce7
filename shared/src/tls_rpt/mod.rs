//! SMTP TLS Reporting (RFC 8460): the `_smtp._tls` record and its check.

pub mod lint;
pub mod model;
pub mod parse;

pub use lint::{audit_tls_rpt, lint_tls_rpt, lookup_tls_rpt, TlsRptLookup};
pub use model::TlsRptRecord;
pub use parse::{parse_tls_rpt, TlsRptParse};
