//! DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463). Signature
//! headers live elsewhere.

pub mod key;

pub use key::{
    audit_dkim_selector, lint_dkim_key, lookup_key, parse_dkim_key, DkimKeyLookup, DkimKeyParse,
    DkimKeyRecord, KeyLookupOutcome, KeyStatus, KeyType, SelectorOrigin,
};
