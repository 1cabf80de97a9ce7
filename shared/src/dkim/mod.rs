//! DKIM (RFC 6376, RFC 8301, RFC 8463): key records in [`key`], the
//! DKIM-Signature header field in [`signature`].

pub mod key;
pub mod signature;

pub use key::{
    audit_dkim_selector, lint_dkim_key, lookup_key, parse_dkim_key, DkimKeyLookup, DkimKeyParse,
    DkimKeyRecord, KeyLookupOutcome, KeyStatus, KeyType, SelectorOrigin,
};
