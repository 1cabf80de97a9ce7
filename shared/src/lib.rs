//! mxlens-shared: the analysis engine of mxlens.
//!
//! Everything here is pure: no sockets, no files, no clocks. Time comes in
//! as an argument and DNS goes through the [`dns::DnsLookup`] trait, so the
//! same code runs natively (CLI, server) and in the browser (wasm32).
#![deny(missing_docs)]

pub mod api;
pub mod arc;
pub mod audit;
pub mod bimi;
pub mod checklists;
pub mod content;
pub mod dane;
pub mod delivery;
pub mod der;
pub mod diagnostic;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod domain_name;
pub mod message;
pub mod mta_sts;
pub mod org_domain;
pub mod report;
pub mod reputation;
pub mod smtp;
pub mod spf;
pub mod tag_list;
pub mod text;
pub mod tls_rpt;
pub mod txt_record;
pub mod uri;

/// The version of mxlens that produced a report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
