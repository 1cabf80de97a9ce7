//! Message analysis: pasted headers or a whole raw message in, a `message`
//! report out. Runs in the browser (WASM) and natively.
//!
//! One file per verb: [`input`] splits the paste into fields, [`received`]
//! and [`authres`] parse (DKIM-Signature in [`crate::dkim::signature`], ARC
//! in [`crate::arc`]), [`chain`] orders the hops, DMARC alignment is
//! evaluated in [`crate::dmarc::alignment`], and `analyze` turns it all
//! into checks (those of the route in `route`, of authentication in
//! `auth`).

mod analyze;
mod auth;
pub mod authres;
pub mod chain;
pub mod datetime;
mod html_entities;
pub(crate) mod html_text;
pub mod hygiene;
pub mod input;
pub mod mime_limits;
pub mod received;
mod route;
pub mod smime;
pub mod spam;
pub mod unsubscribe;
pub mod verified;

use thiserror::Error;

pub use analyze::{analyze_message, dkim_selectors, trusted_auth_results};

/// The largest paste we analyse (1 MiB).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// A hop slower than this (seconds) gets a warning (5 minutes).
pub const SLOW_HOP_SECONDS: i64 = 300;

/// Input we refuse to analyse. Everything else yields a report.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// Nothing but whitespace.
    #[error("the input is empty: paste raw headers or a whole message")]
    Empty,
    /// Over [`MAX_INPUT_BYTES`].
    #[error("the input is {size} bytes; the limit is 1 MiB (1048576 bytes)")]
    TooLarge {
        /// The size given.
        size: u64,
    },
}

#[cfg(test)]
mod tests;
