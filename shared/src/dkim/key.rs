//! The DKIM public key record at `selector._domainkey.domain`
//! (RFC 6376 §3.6.1): model, total parser, lookup and checks.
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]          ; RFC 6376 §3.2
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! key-v-tag = %x76 [FWS] "=" [FWS] %x44.4B.49.4D.31        ; "DKIM1"
//! key-k-tag = %x76 [FWS] "=" [FWS] key-k-tag-type          ; "rsa" / "ed25519" (RFC 8463 §4.2)
//! key-p-tag = %x70 [FWS] "=" [ [FWS] base64string]
//! ```
//!
//! Tag names are case-sensitive (RFC 6376 §3.2).

use std::fmt;

use base64::Engine;
use serde::Serialize;

use crate::der::{read_public_key, PublicKey};
use crate::diagnostic::{has_errors, Diagnostic, Span};
use crate::tag_list::{is_wsp, split_list, split_tags, Segment};

mod audit;

pub use audit::{
    audit_dkim_selector, key_facts, key_length_check, lint_dkim_key, lookup_key, DkimKeyLookup,
    KeyLookupOutcome, SelectorOrigin,
};

const R6376_32: &str = "RFC 6376 §3.2";
const R6376_361: &str = "RFC 6376 §3.6.1";
const R8301: &str = "RFC 8301 §3.1";
const R8463: &str = "RFC 8463 §4.2";

/// `k=` (RFC 6376 §3.6.1, RFC 8463 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    /// `rsa` (the default).
    Rsa,
    /// `ed25519` (RFC 8463).
    Ed25519,
    /// Any other value; verifiers ignore such keys.
    Other(String),
}

impl KeyType {
    /// The tag value.
    pub fn as_str(&self) -> &str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
            KeyType::Other(s) => s,
        }
    }
}

/// A parsed key record. Lists keep the values as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DkimKeyRecord {
    /// `v=`; `DKIM1` when present in a valid record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `h=` acceptable hash algorithms; empty means all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_algorithms: Vec<String>,
    /// `k=`; `None` means the default, rsa.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<KeyType>,
    /// `n=` notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// `s=` service types; empty means `*`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_types: Vec<String>,
    /// `t=` flags (`y` testing, `s` no subdomains).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// `p=` base64 with whitespace removed; `Some("")` means revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Unknown tags, kept for display.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<(String, String)>,
}

impl DkimKeyRecord {
    /// The key type, defaulting to rsa.
    pub fn effective_key_type(&self) -> KeyType {
        self.key_type.clone().unwrap_or(KeyType::Rsa)
    }

    /// `t=y`.
    pub fn is_testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }

    /// `p=` present and empty.
    pub fn is_revoked(&self) -> bool {
        self.public_key.as_deref() == Some("")
    }
}

impl fmt::Display for DkimKeyRecord {
    /// `v` first (RFC 6376 §3.6.1 requires it), `p` last.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(v) = &self.version {
            parts.push(format!("v={v}"));
        }
        if !self.hash_algorithms.is_empty() {
            parts.push(format!("h={}", self.hash_algorithms.join(":")));
        }
        if let Some(k) = &self.key_type {
            parts.push(format!("k={}", k.as_str()));
        }
        if let Some(n) = &self.notes {
            parts.push(format!("n={n}"));
        }
        if !self.service_types.is_empty() {
            parts.push(format!("s={}", self.service_types.join(":")));
        }
        if !self.flags.is_empty() {
            parts.push(format!("t={}", self.flags.join(":")));
        }
        for (name, value) in &self.unknown {
            parts.push(format!("{name}={value}"));
        }
        if let Some(p) = &self.public_key {
            parts.push(format!("p={p}"));
        }
        f.write_str(&parts.join("; "))
    }
}

/// What the `p=` key turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum KeyStatus {
    /// No `p=` tag.
    Missing,
    /// Empty `p=`: revoked (RFC 6376 §3.6.1).
    Revoked,
    /// An RSA key of this size.
    Rsa {
        /// Modulus size in bits.
        bits: u32,
    },
    /// A 32-byte Ed25519 key (RFC 8463 §4.2).
    Ed25519,
    /// Not usable (bad base64, bad DER, wrong length or unknown type).
    Invalid,
}

/// A parsed key record with the key status and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKeyParse {
    /// What could be read.
    pub record: DkimKeyRecord,
    /// The key.
    pub key: KeyStatus,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
}

impl DkimKeyParse {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

fn strip_wsp(s: &str) -> String {
    s.chars().filter(|c| !is_wsp(*c)).collect()
}

/// Parses a DKIM key TXT record. Never panics.
///
/// ```
/// use mxlens_shared::dkim::{parse_dkim_key, KeyStatus};
/// let parsed = parse_dkim_key("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
/// assert_eq!(parsed.key, KeyStatus::Ed25519);
/// assert!(parse_dkim_key("v=DKIM1; p=").record.is_revoked());
/// ```
pub fn parse_dkim_key(input: &str) -> DkimKeyParse {
    let mut record = DkimKeyRecord::default();
    let mut diags = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut p_span = Span::new(0, input.len());
    if input.trim_matches(is_wsp).is_empty() {
        diags.push(Diagnostic::error(
            p_span,
            "dkim.empty",
            R6376_361,
            "the key record is empty",
        ));
        return DkimKeyParse {
            record,
            key: KeyStatus::Missing,
            diagnostics: diags,
        };
    }
    let segments = split_tags(input);
    let mut tag_index = 0usize;
    for segment in &segments {
        let tag = match segment {
            Segment::Empty {
                span,
                trailing,
                has_whitespace,
            } => {
                if !trailing {
                    diags.push(Diagnostic::error(
                        *span,
                        "dkim.empty-tag",
                        R6376_32,
                        "empty tag between semicolons",
                    ));
                } else if *has_whitespace {
                    diags.push(Diagnostic::error(
                        *span,
                        "dkim.trailing-whitespace",
                        R6376_32,
                        "whitespace after the final `;` is not allowed by the tag-list grammar",
                    ));
                }
                continue;
            }
            Segment::Tag(tag) => tag,
        };
        let index = tag_index;
        tag_index += 1;
        if !tag.has_equals {
            diags.push(Diagnostic::error(
                tag.span,
                "dkim.malformed-tag",
                R6376_32,
                format!("`{}` is not a tag=value pair", tag.name),
            ));
            continue;
        }
        if seen.contains(&tag.name) {
            diags.push(Diagnostic::error(
                tag.name_span,
                "dkim.duplicate-tag",
                R6376_32,
                format!(
                    "tag `{}` appears more than once, which makes the record invalid",
                    tag.name
                ),
            ));
            continue;
        }
        seen.push(tag.name);
        let value = tag.value;
        match tag.name {
            "v" => {
                if index != 0 {
                    diags.push(Diagnostic::error(
                        tag.span,
                        "dkim.version-not-first",
                        R6376_361,
                        "v= must be the first tag when present",
                    ));
                }
                if value == "DKIM1" {
                    record.version = Some(value.to_string());
                } else {
                    diags.push(Diagnostic::error(
                        tag.value_span,
                        "dkim.invalid-version",
                        R6376_361,
                        format!("v=`{value}` must be DKIM1 (case-sensitive)"),
                    ));
                }
            }
            "h" => {
                let algs: Vec<String> = split_list(value, tag.value_span, ':')
                    .into_iter()
                    .map(|(a, _)| a.to_string())
                    .collect();
                if algs.iter().any(|a| a.eq_ignore_ascii_case("sha1")) {
                    diags.push(Diagnostic::warning(
                        tag.value_span,
                        "dkim.sha1-allowed",
                        R8301,
                        "h= allows sha1, which signers must not use and verifiers must not accept",
                    ));
                }
                if !algs.is_empty() && !algs.iter().any(|a| a.eq_ignore_ascii_case("sha256")) {
                    diags.push(Diagnostic::warning(
                        tag.value_span,
                        "dkim.no-sha256",
                        R8301,
                        "h= does not allow sha256, the one hash verifiers must support, so signatures cannot verify",
                    ));
                }
                record.hash_algorithms = algs;
            }
            "k" => {
                let k = match value {
                    "rsa" => KeyType::Rsa,
                    "ed25519" => KeyType::Ed25519,
                    other => {
                        diags.push(Diagnostic::error(
                            tag.value_span,
                            "dkim.unknown-key-type",
                            R6376_361,
                            format!("k=`{other}` is not rsa or ed25519; verifiers ignore the key"),
                        ));
                        KeyType::Other(other.to_string())
                    }
                };
                record.key_type = Some(k);
            }
            "n" => record.notes = Some(value.to_string()),
            "s" => {
                record.service_types = split_list(value, tag.value_span, ':')
                    .into_iter()
                    .map(|(a, _)| a.to_string())
                    .collect();
                if !record
                    .service_types
                    .iter()
                    .any(|s| s == "*" || s == "email")
                {
                    diags.push(Diagnostic::warning(
                        tag.value_span,
                        "dkim.not-for-email",
                        R6376_361,
                        format!("s=`{value}` does not include email or *, so the key cannot verify mail (s=tlsrpt keys only sign TLS reports, RFC 8460 §3)"),
                    ));
                }
            }
            "t" => {
                record.flags = split_list(value, tag.value_span, ':')
                    .into_iter()
                    .map(|(a, _)| a.to_string())
                    .collect()
            }
            "p" => {
                p_span = tag.value_span;
                record.public_key = Some(strip_wsp(value));
            }
            other => {
                let why = if other == "g" {
                    " (g= was removed by RFC 6376)"
                } else {
                    ""
                };
                diags.push(Diagnostic::info(
                    tag.span,
                    "dkim.unknown-tag",
                    R6376_361,
                    format!("unknown tag `{other}` is ignored{why}"),
                ));
                record.unknown.push((other.to_string(), value.to_string()));
            }
        }
    }
    let key = key_status(&record, p_span, &mut diags);
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    DkimKeyParse {
        record,
        key,
        diagnostics: diags,
    }
}

fn key_status(record: &DkimKeyRecord, span: Span, diags: &mut Vec<Diagnostic>) -> KeyStatus {
    let Some(p) = record.public_key.as_deref() else {
        diags.push(Diagnostic::error(
            span,
            "dkim.missing-key",
            R6376_361,
            "no p= tag (it is required)",
        ));
        return KeyStatus::Missing;
    };
    if p.is_empty() {
        diags.push(Diagnostic::info(
            span,
            "dkim.revoked",
            R6376_361,
            "empty p=: the key is revoked",
        ));
        return if matches!(record.key_type, Some(KeyType::Other(_))) {
            KeyStatus::Invalid
        } else {
            KeyStatus::Revoked
        };
    }
    let bytes = match base64::engine::general_purpose::STANDARD.decode(p) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(
                span,
                "dkim.invalid-base64",
                R6376_361,
                format!("p= is not valid base64: {e}"),
            ));
            return KeyStatus::Invalid;
        }
    };
    match record.effective_key_type() {
        KeyType::Rsa => match read_public_key(&bytes) {
            Ok(PublicKey::Rsa { modulus_bits }) => KeyStatus::Rsa { bits: modulus_bits },
            Ok(PublicKey::Ed25519) => {
                diags.push(Diagnostic::error(
                    span,
                    "dkim.key-type-mismatch",
                    R8463,
                    "p= holds an Ed25519 key but k= says rsa",
                ));
                KeyStatus::Invalid
            }
            Err(e) => {
                diags.push(Diagnostic::error(
                    span,
                    "dkim.invalid-rsa-key",
                    R6376_361,
                    format!("p= is not an RSA public key: {e}"),
                ));
                KeyStatus::Invalid
            }
        },
        KeyType::Ed25519 => {
            if bytes.len() == 32 {
                KeyStatus::Ed25519
            } else {
                diags.push(Diagnostic::error(
                    span,
                    "dkim.invalid-ed25519-key",
                    R8463,
                    format!("an Ed25519 key is 32 bytes, this one is {}", bytes.len()),
                ));
                KeyStatus::Invalid
            }
        }
        KeyType::Other(_) => KeyStatus::Invalid,
    }
}

#[cfg(test)]
#[path = "key_tests.rs"]
mod tests;
