//! "Send a test message": the pure parts of mxlens's inbound SMTP receiver
//! and of the `delivery` report it produces. The backend runs the server
//! (sockets, TLS, timeouts, storage); here are the command grammar
//! ([`command`]), the trace fields a receiver adds ([`trace`]), the live
//! evaluation of a connection over [`crate::dns::DnsLookup`]
//! ([`evaluate`]) and the report assembly ([`assemble`]).

pub mod assemble;
pub mod command;
pub mod evaluate;
pub mod trace;

pub use assemble::{
    assemble, audit_domain, dkim_verdicts, signing_selectors, DeliveryInput, DkimVerdicts,
};
pub use evaluate::{evaluate, Evaluation};

/// The Server-Sent Event names of `GET /api/test-addresses/{id}/events`
/// (docs/report-schema.md), in the order they can come: `waiting`, then
/// `connected` and `receiving` as a message arrives, and one last event,
/// `report`, `failed` or `expired`.
pub const ADDRESS_EVENTS: [&str; 6] = [
    "waiting",
    "connected",
    "receiving",
    "report",
    "failed",
    "expired",
];

#[cfg(test)]
mod tests;
