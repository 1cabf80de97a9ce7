//! DKIM (RFC 6376, RFC 8301, RFC 8463): key records in [`key`], the
//! DKIM-Signature header field in [`signature`], verification in
//! [`verify`] (canonicalization in [`canon`], the public-key step behind
//! [`crypto::SignatureVerifier`]), and why a signature broke in
//! [`explain`] (body) and [`rewrites`] (header fields).

pub mod canon;
pub mod crypto;
pub mod explain;
pub mod key;
pub mod rewrites;
pub mod signature;
pub mod verify;

pub use key::{
    audit_dkim_selector, lint_dkim_key, lookup_key, parse_dkim_key, DkimKeyLookup, DkimKeyParse,
    DkimKeyRecord, KeyLookupOutcome, KeyStatus, KeyType, SelectorOrigin,
};
