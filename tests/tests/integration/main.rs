//! All integration tests in one binary (ripgrep style). Each module starts
//! the real peers it needs on loopback.

mod api;
mod audit;
mod browser;
mod checks;
mod cli_headers;
mod cli_spf;
mod dns_harness;
mod mta_sts_fetch;
mod reports;
mod smtp_harness;
mod smtp_probe;
