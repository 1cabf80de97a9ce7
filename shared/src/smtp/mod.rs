//! SMTP probe results and their evaluation.
//!
//! The backend connects to each MX IP, reads the banner, sends EHLO and
//! negotiates STARTTLS (RFC 5321, RFC 3207); it fills a [`SmtpProbeResult`].
//! This module holds that model ([`model`]), a total parser for the host
//! name in a greeting ([`parse`]) and the pure evaluation into report checks
//! ([`eval`]). Bounces and SMTP replies are read here too: [`codes`]
//! explains reply codes and enhanced status codes, [`bounce`] reads
//! delivery status notifications. No I/O happens here.

pub mod bounce;
pub mod codes;
pub mod eval;
pub mod mailbox;
pub mod model;
pub mod parse;
pub mod rcpt;

pub use eval::smtp_checks;
pub use model::{
    report_entry, CertSummary, ChainVerdict, Outcome, SmtpProbeResult, StarttlsOutcome, StepTimings,
};
