//! The key query at `selector._domainkey.domain` (RFC 6376 §3.6.2.1) and
//! the checks on what it found: `dkim.key`, `dkim.key-length`,
//! `dkim.testing`, `dkim.revoked`.

use super::{parse_dkim_key, DkimKeyParse, KeyStatus};
use crate::diagnostic::{describe_errors, join_descriptions, Severity};
use crate::dns::{DnsLookup, DnsOutcome};
use crate::report::{ids, Check, DkimKeyFacts, LookupOutcome, Status};

/// What the key query returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookupOutcome {
    /// A TXT record was found (the first, when several).
    Found {
        /// The TXT text.
        txt: String,
        /// The parse.
        parsed: Box<DkimKeyParse>,
        /// How many TXT records the name had.
        record_count: u32,
    },
    /// NXDOMAIN or no TXT.
    NotFound,
    /// Timeout or SERVFAIL.
    DnsFailure(String),
}

/// One selector's key lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKeyLookup {
    /// The selector.
    pub selector: String,
    /// `selector._domainkey.domain`.
    pub name: String,
    /// The outcome.
    pub outcome: KeyLookupOutcome,
}

/// Queries `selector._domainkey.domain` TXT (RFC 6376 §3.6.2.1) and parses
/// the record.
pub async fn lookup_key<L: DnsLookup>(lookup: &L, selector: &str, domain: &str) -> DkimKeyLookup {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let name = format!("{selector}._domainkey.{domain}");
    let outcome = match lookup.txt(&name).await {
        DnsOutcome::Records(records) if !records.is_empty() => {
            // Prefer a record that looks like a key when there are several.
            let pick = records.iter().position(|r| r.contains("p=")).unwrap_or(0);
            let txt = records[pick].clone();
            KeyLookupOutcome::Found {
                parsed: Box::new(parse_dkim_key(&txt)),
                txt,
                record_count: records.len() as u32,
            }
        }
        DnsOutcome::Records(_) | DnsOutcome::NoData | DnsOutcome::NxDomain => {
            KeyLookupOutcome::NotFound
        }
        other => KeyLookupOutcome::DnsFailure(other.describe()),
    };
    DkimKeyLookup {
        selector: selector.to_string(),
        name,
        outcome,
    }
}

/// Whether the user named the selector or the planner guessed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SelectorOrigin {
    /// Given by the user or seen in a signature: absence is a failure.
    #[default]
    Given,
    /// One of the common selectors tried: absence is just info.
    Guessed,
}

/// The checks for one selector, each with `subject` = selector:
/// `dkim.key`, `dkim.key-length`, `dkim.testing`, `dkim.revoked`.
pub fn lint_dkim_key(found: &DkimKeyLookup, origin: SelectorOrigin) -> Vec<Check> {
    let subject = found.selector.as_str();
    let mut checks = Vec::new();
    let others = ["dkim.key-length", "dkim.testing", "dkim.revoked"];
    match &found.outcome {
        KeyLookupOutcome::DnsFailure(description) => {
            checks.push(Check::new(
                "dkim.key",
                Status::Error,
                format!("the TXT query for {} failed: {description}", found.name),
            ));
            for id in others {
                checks.push(Check::new(id, Status::NotTested, "key lookup failed"));
            }
        }
        KeyLookupOutcome::NotFound => {
            let status = match origin {
                SelectorOrigin::Given => Status::Fail,
                SelectorOrigin::Guessed => Status::Info,
            };
            checks.push(Check::new(
                "dkim.key",
                status,
                format!("no key record at {}", found.name),
            ));
            for id in others {
                checks.push(Check::new(id, Status::NotApplicable, "no key record"));
            }
        }
        KeyLookupOutcome::Found {
            txt,
            parsed,
            record_count,
        } => {
            let mut detail = format!("{}: \"{txt}\"", found.name);
            if *record_count > 1 {
                detail.push_str(&format!(" ({record_count} TXT records at this name; results are undefined, RFC 6376 §3.6.2.2)"));
            }
            let errors = describe_errors(&parsed.diagnostics);
            let warnings = join_descriptions(
                parsed
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Warning),
            );
            let status = if !errors.is_empty() || *record_count > 1 {
                Status::Fail
            } else if !warnings.is_empty() {
                Status::Warn
            } else {
                Status::Pass
            };
            if !errors.is_empty() {
                detail.push_str(&format!("; errors: {errors}"));
            }
            if !warnings.is_empty() {
                detail.push_str(&format!("; warnings: {warnings}"));
            }
            checks.push(Check::new("dkim.key", status, detail));
            checks.push(key_length_check(&parsed.key));
            let record = &parsed.record;
            checks.push(if record.is_testing() {
                let mut fixed = record.clone();
                fixed.flags.retain(|f| f != "y");
                Check::new(
                    "dkim.testing",
                    Status::Warn,
                    "t=y: verifiers treat failures as unsigned mail",
                )
                .with_suggestion(fixed.to_string())
            } else if record.flags.iter().any(|f| f == "s") {
                Check::new(
                    "dkim.testing",
                    Status::Pass,
                    "not in testing mode; t=s: no subdomains of the signing domain",
                )
            } else {
                Check::new("dkim.testing", Status::Pass, "not in testing mode")
            });
            checks.push(if record.is_revoked() {
                let status = match origin {
                    SelectorOrigin::Given => Status::Fail,
                    SelectorOrigin::Guessed => Status::Info,
                };
                Check::new(
                    "dkim.revoked",
                    status,
                    "empty p=: the key is revoked, signatures with this selector fail",
                )
            } else {
                Check::new("dkim.revoked", Status::Pass, "the key is not revoked")
            });
        }
    }
    checks
        .into_iter()
        .map(|c| c.with_subject(subject))
        .collect()
}

/// `dkim.key-length` of a key (RFC 8301 §3.2: at least 1024 bits, and
/// verifiers need support only up to 4096; RFC 8463 for Ed25519), without
/// its subject. The audit and the combined report's `bulk.dkim-key-length`
/// both call it, so they agree.
pub fn key_length_check(key: &KeyStatus) -> Check {
    match *key {
        KeyStatus::Rsa { bits } if bits < 1024 => Check::new(
            ids::DKIM_KEY_LENGTH,
            Status::Fail,
            format!("RSA {bits} bits: verifiers must not accept keys under 1024 bits"),
        )
        .with_fix("Generate a 2048-bit RSA key and publish it under a new selector."),
        KeyStatus::Rsa { bits } if bits < 2048 => Check::new(
            ids::DKIM_KEY_LENGTH,
            Status::Warn,
            format!("RSA {bits} bits: weak; use 2048 bits"),
        )
        .with_fix("Generate a 2048-bit RSA key and publish it under a new selector."),
        KeyStatus::Rsa { bits } if bits > 4096 => Check::new(
            ids::DKIM_KEY_LENGTH,
            Status::Warn,
            format!(
                "RSA {bits} bits: verifiers need only support keys up to 4096 bits (RFC 8301 §3.2)"
            ),
        ),
        KeyStatus::Rsa { bits } => Check::new(
            ids::DKIM_KEY_LENGTH,
            Status::Pass,
            format!("RSA {bits} bits"),
        ),
        KeyStatus::Ed25519 => Check::new(ids::DKIM_KEY_LENGTH, Status::Pass, "Ed25519 (RFC 8463)"),
        KeyStatus::Revoked => Check::new(
            ids::DKIM_KEY_LENGTH,
            Status::NotApplicable,
            "the key is revoked",
        ),
        KeyStatus::Missing | KeyStatus::Invalid => {
            Check::new(ids::DKIM_KEY_LENGTH, Status::NotApplicable, "no usable key")
        }
    }
}

/// The `domain.dkim` entry of one selector's key query.
pub fn key_facts(found: &DkimKeyLookup, origin: SelectorOrigin) -> DkimKeyFacts {
    let mut facts = DkimKeyFacts {
        selector: found.selector.clone(),
        name: found.name.clone(),
        guessed: origin == SelectorOrigin::Guessed,
        ..Default::default()
    };
    match &found.outcome {
        KeyLookupOutcome::Found {
            txt,
            parsed,
            record_count,
        } => {
            facts.result = LookupOutcome::Found;
            facts.record = Some(txt.clone());
            facts.records = Some(*record_count);
            facts.key = Some(parsed.key.as_str().to_string());
            facts.bits = parsed.key.bits();
        }
        KeyLookupOutcome::NotFound => facts.result = LookupOutcome::NotFound,
        KeyLookupOutcome::DnsFailure(description) => {
            facts.result = LookupOutcome::DnsFailure;
            facts.error = Some(description.clone());
        }
    }
    facts
}

impl KeyStatus {
    /// The word `domain.dkim[].key` uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyStatus::Missing => "missing",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Rsa { .. } => "rsa",
            KeyStatus::Ed25519 => "ed25519",
            KeyStatus::Invalid => "invalid",
        }
    }

    /// The RSA modulus size.
    pub fn bits(&self) -> Option<u32> {
        match self {
            KeyStatus::Rsa { bits } => Some(*bits),
            _ => None,
        }
    }

    /// The key a `domain.dkim` entry describes; `None` when no key was
    /// found or the words are not ours.
    pub fn of_facts(facts: &DkimKeyFacts) -> Option<KeyStatus> {
        if facts.result != LookupOutcome::Found {
            return None;
        }
        Some(match (facts.key.as_deref()?, facts.bits) {
            ("rsa", Some(bits)) => KeyStatus::Rsa { bits },
            ("ed25519", _) => KeyStatus::Ed25519,
            ("revoked", _) => KeyStatus::Revoked,
            ("missing", _) => KeyStatus::Missing,
            ("invalid", _) => KeyStatus::Invalid,
            _ => return None,
        })
    }
}

/// Looks up and lints one selector: [`lookup_key`] then [`lint_dkim_key`].
pub async fn audit_dkim_selector<L: DnsLookup>(
    lookup: &L,
    selector: &str,
    domain: &str,
    origin: SelectorOrigin,
) -> (DkimKeyLookup, Vec<Check>) {
    let found = lookup_key(lookup, selector, domain).await;
    let checks = lint_dkim_key(&found, origin);
    (found, checks)
}
