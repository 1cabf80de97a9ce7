//! All integration tests in one binary (ripgrep style). Each module starts
//! the real peers it needs on loopback.

mod api;
mod audit;
mod bounce;
mod browser;
mod checks;
mod cli_batch;
mod cli_headers;
mod cli_queue;
mod cli_spf;
mod cli_spf_suite;
mod combined;
mod config_docs;
mod dkim_verify;
mod dns_harness;
mod hostile;
mod mta_sts_fetch;
mod observability;
mod overload;
mod rcpt_probe;
mod receiver;
mod receiver_hostile;
mod receiver_instances;
mod receiver_proxy;
mod reports;
mod reputation;
mod security;
mod security_http;
mod security_store;
mod smtp_harness;
mod smtp_probe;
mod surfaces;
