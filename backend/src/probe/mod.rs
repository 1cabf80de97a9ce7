//! Outbound probes: the SMTP/STARTTLS probe of each MX IP ([`smtp`]) with
//! its TLS inspection ([`tls`]), and the MTA-STS policy fetch over HTTPS
//! ([`https`]). Every connection goes through
//! [`crate::ssrf::ConnectPolicy::target`] first, has a timeout per step and
//! caps on what it reads.

pub mod https;
pub mod smtp;
pub mod tls;

pub use https::{
    fetch_mta_sts_policy, FetchError, FetchedPolicy, HttpsOptions, PolicyFetchOutcome,
};
pub use smtp::{probe_mx, ProbeOptions};

use std::time::Instant;

/// Milliseconds since `start`, saturated to `u32`.
pub(crate) fn elapsed_ms(start: Instant) -> u32 {
    u32::try_from(start.elapsed().as_millis()).unwrap_or(u32::MAX)
}
