//! The end-to-end harness: real peers on loopback, started by the tests
//! themselves. A DNS server ([`dns::TestDns`]), SMTP servers
//! ([`smtp::Postfix`] and the fault-injecting [`smtp::FakeSmtp`]), the
//! mxlens server in-process ([`server::TestServer`]) on SQLite or on a
//! private PostgreSQL cluster ([`postgres::TestPostgres`]), and headless
//! Chromium through Playwright ([`browser`]).

pub mod audit;
pub mod browser;
pub mod cli;
pub mod dns;
pub mod http;
pub mod https;
pub mod pki;
pub mod postgres;
pub mod receiver;
pub mod server;
pub mod smtp;
pub mod spf_suite;

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
