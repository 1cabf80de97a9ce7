//! All integration tests in one binary (ripgrep style). Each module starts
//! the real peers it needs on loopback.

mod api;
mod browser;
mod dns_harness;
mod reports;
mod smtp_harness;
