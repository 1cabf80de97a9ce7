//! The keys a paste's signatures need: which (domain, selector) pairs to
//! fetch, fetching them, the selectors an audit admits, and the key record
//! rules a signature's key must pass before it is used.

use std::collections::HashMap;

use super::{is_valid_domain, Failure, MAX_KEYS};
use crate::dkim::crypto::{KeyProblem, SignatureAlgorithm, VerifyingKey};
use crate::dkim::key::{lookup_key, DkimKeyLookup, KeyLookupOutcome, KeyStatus};
use crate::dkim::signature::parse_dkim_signature;
use crate::dns::DnsLookup;
use crate::message::input::ParsedInput;

/// Fetched keys by (domain, selector), both lower case.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<(String, String), KeyLookupOutcome>,
}

impl KeySet {
    /// Adds a lookup result.
    pub fn insert(&mut self, domain: &str, selector: &str, outcome: KeyLookupOutcome) {
        self.keys.insert(
            (domain.to_ascii_lowercase(), selector.to_ascii_lowercase()),
            outcome,
        );
    }

    /// The result for a key, when it was fetched.
    pub fn get(&self, domain: &str, selector: &str) -> Option<&KeyLookupOutcome> {
        self.keys
            .get(&(domain.to_ascii_lowercase(), selector.to_ascii_lowercase()))
    }
}

/// True for a selector of RFC 6376 §3.1 (`sub-domain *("." sub-domain)`,
/// RFC 5321 §4.1.2 sub-domains), at most 253 bytes.
pub fn is_valid_selector(selector: &str) -> bool {
    !selector.is_empty()
        && selector.len() <= 253
        && selector.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

/// The most DKIM selectors one domain audit takes: each costs a TXT query,
/// so an unbounded list is a DNS amplifier (security review H1).
pub const MAX_AUDIT_SELECTORS: usize = 16;

/// Admits the DKIM selectors a caller gave for an audit (API, CLI, stored
/// reports): each of RFC 6376 §3.1 syntax ([`is_valid_selector`]; a trailing
/// `._domainkey` is tolerated), lower-cased, deduplicated, at most
/// [`MAX_AUDIT_SELECTORS`]. The error says what is wrong, for the caller.
pub fn admit_selectors(list: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for raw in list {
        let trimmed = raw.trim();
        let s = trimmed
            .strip_suffix("._domainkey")
            .unwrap_or(trimmed)
            .to_ascii_lowercase();
        if !is_valid_selector(&s) {
            let shown: String = raw.chars().take(80).collect();
            return Err(format!(
                "\"{shown}\" is not a DKIM selector: dot-separated labels of letters, digits and hyphens (RFC 6376 §3.1)"
            ));
        }
        if !out.contains(&s) {
            out.push(s);
        }
        if out.len() > MAX_AUDIT_SELECTORS {
            return Err(format!(
                "at most {MAX_AUDIT_SELECTORS} DKIM selectors per audit"
            ));
        }
    }
    Ok(out)
}

/// The (domain, selector) keys that DKIM-Signature, ARC-Message-Signature
/// and ARC-Seal fields ask for, deduplicated, lower case, at most
/// [`MAX_KEYS`]; names that are not a valid selector and domain are
/// skipped (they are never queried).
pub fn keys_wanted(input: &ParsedInput<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for field in &input.headers {
        if !(field.is("dkim-signature")
            || field.is("arc-message-signature")
            || field.is("arc-seal"))
        {
            continue;
        }
        let sig = parse_dkim_signature(&field.value);
        let (Some(d), Some(s)) = (sig.domain, sig.selector) else {
            continue;
        };
        let s = s.to_ascii_lowercase();
        if is_valid_selector(&s)
            && is_valid_domain(&d)
            && !out.iter().any(|(od, os)| *od == d && *os == s)
        {
            out.push((d, s));
            if out.len() >= MAX_KEYS {
                break;
            }
        }
    }
    out
}

/// Looks the wanted keys up through DNS (RFC 6376 §3.6.2.1).
pub async fn fetch_keys<L: DnsLookup>(lookup: &L, wanted: &[(String, String)]) -> KeySet {
    let mut set = KeySet::default();
    for (domain, selector) in wanted.iter().take(MAX_KEYS) {
        let DkimKeyLookup { outcome, .. } = lookup_key(lookup, selector, domain).await;
        set.insert(domain, selector, outcome);
    }
    set
}

/// A key that can be used, or why not.
pub(crate) enum KeyResolution {
    /// Usable, with notes (weak, testing).
    Usable(VerifyingKey, Vec<String>),
    /// The key settles the verdict.
    Failed(Failure, String),
    /// The key could not be had.
    Unavailable(String),
}

/// Applies the key record rules (RFC 6376 §3.6.1, §6.1.2; RFC 8301; RFC
/// 8463 §4.2) to the fetched key for a signature.
pub(crate) fn resolve_key(
    keys: &KeySet,
    domain: &str,
    selector: &str,
    algorithm: SignatureAlgorithm,
    identity_domain: Option<&str>,
) -> KeyResolution {
    let name = format!("{selector}._domainkey.{domain}");
    let missing = |why: String| KeyResolution::Failed(Failure::KeyMissing, why);
    let parsed = match keys.get(domain, selector) {
        None => return KeyResolution::Unavailable(format!("the key at {name} was not fetched")),
        Some(KeyLookupOutcome::DnsFailure(why)) => {
            return KeyResolution::Unavailable(format!("the key lookup for {name} failed ({why})"))
        }
        Some(KeyLookupOutcome::NotFound) => {
            return missing(format!(
                "no key at {name} (NXDOMAIN or no TXT record): the selector does not exist, or the key was removed since signing"
            ))
        }
        Some(KeyLookupOutcome::Found { parsed, .. }) => parsed,
    };
    let record = &parsed.record;
    if let Some(d) = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == "dkim.invalid-version")
    {
        return missing(format!(
            "the key record at {name} is invalid: {}",
            d.message
        ));
    }
    match parsed.key {
        KeyStatus::Revoked => {
            return KeyResolution::Failed(
                Failure::KeyRevoked,
                format!("the key at {name} is revoked (empty p=, RFC 6376 §3.6.1)"),
            )
        }
        KeyStatus::Missing => return missing(format!("the key record at {name} has no p=")),
        _ => {}
    }
    let key_type = record.effective_key_type();
    if key_type.as_str() != algorithm.key_type() {
        return missing(format!(
            "the key at {name} is k={} but the signature is a={}-sha256",
            key_type.as_str(),
            algorithm.key_type()
        ));
    }
    if !record.hash_algorithms.is_empty()
        && !record
            .hash_algorithms
            .iter()
            .any(|h| h.eq_ignore_ascii_case("sha256"))
    {
        return missing(format!(
            "the key at {name} allows only h={}, not sha256 (RFC 6376 §3.6.1)",
            record.hash_algorithms.join(":")
        ));
    }
    if !record.service_types.is_empty()
        && !record
            .service_types
            .iter()
            .any(|s| s == "*" || s == "email")
    {
        return missing(format!(
            "the key at {name} is for s={}, not email (RFC 6376 §3.6.1)",
            record.service_types.join(":")
        ));
    }
    if record.flags.iter().any(|f| f == "s") {
        if let Some(i) = identity_domain.filter(|i| !i.eq_ignore_ascii_case(domain)) {
            return KeyResolution::Failed(
                Failure::Syntax,
                format!("the key at {name} has t=s, which forbids i= in a subdomain ({i}) of d={domain} (RFC 6376 §3.6.1)"),
            );
        }
    }
    let p = record.public_key.as_deref().unwrap_or_default();
    let key = match VerifyingKey::from_record(p, algorithm) {
        Ok(key) => key,
        Err(KeyProblem::TooShort(bits)) => {
            return KeyResolution::Failed(
                Failure::KeyWeak,
                format!("the key at {name} is RSA {bits} bits; verifiers must refuse keys under 1024 bits (RFC 8301 §3.2)"),
            )
        }
        Err(KeyProblem::Unreadable(why)) => return missing(format!("the key at {name}: {why}")),
    };
    let mut notes = Vec::new();
    if let VerifyingKey::Rsa { bits, .. } = &key {
        if *bits < 2048 {
            notes.push(format!(
                "the key is RSA {bits} bits: weak; use 2048 bits (RFC 8301 §3.2)"
            ));
        }
    }
    if record.is_testing() {
        notes.push(
            "the key has t=y (testing): receivers treat a failing signature as no signature"
                .to_string(),
        );
    }
    KeyResolution::Usable(key, notes)
}
