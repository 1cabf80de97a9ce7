//! DKIM signature verification (RFC 6376 §6.1, RFC 8463, RFC 8301), and
//! when a signature fails, why.
//!
//! The steps are pure except two: keys come in as a [`KeySet`] (fetched
//! through [`crate::dns::DnsLookup`] natively, from `/api/dkim-key` in the
//! browser) and the public-key check goes through [`SignatureVerifier`].
//! The clock comes in as an argument.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::canon::{
    body_lines, body_of, canonical_body, canonical_header, parse_canonicalization, raw_field,
    select_headers, without_signature_value, Canon,
};
use super::crypto::{SignatureAlgorithm, SignatureVerifier};
use super::explain::{explain_body, unsigned_tail, BodyChange};
use super::rewrites::{candidates, hints};
use super::signature::{parse_dkim_signature, DkimSignature};
use crate::message::input::{ParsedInput, Severity};

mod keys;

pub use keys::{
    admit_selectors, fetch_keys, is_valid_selector, keys_wanted, KeySet, MAX_AUDIT_SELECTORS,
};
pub(crate) use keys::{resolve_key, KeyResolution};

/// The most DKIM-Signature fields verified per message; the rest read
/// "not verified".
pub const MAX_SIGNATURES: usize = 16;
/// The most distinct keys fetched per message (DKIM and ARC together).
pub const MAX_KEYS: usize = 16;
/// The most `h=` entries a signature may list before it is refused.
pub const MAX_SIGNED_HEADERS: usize = 256;

/// Why a signature did not verify: the report's `failure` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The body hash does not match `bh=`.
    BodyHash,
    /// The signature does not match the signed header fields.
    HeaderHash,
    /// No usable key: NXDOMAIN, no TXT, no `p=`, an unreadable key, or a
    /// key record that excludes this signature (`k=`, `h=`, `s=`).
    KeyMissing,
    /// Empty `p=` (RFC 6376 §3.6.1).
    KeyRevoked,
    /// RSA under 1024 bits (RFC 8301 §3.2).
    KeyWeak,
    /// `x=` has passed (RFC 6376 §3.5).
    Expired,
    /// The signature itself is malformed or not acceptable (missing tags,
    /// rsa-sha1, From not signed, i= outside d=).
    Syntax,
}

impl Failure {
    /// The contract word.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::BodyHash => "body_hash",
            Failure::HeaderHash => "header_hash",
            Failure::KeyMissing => "key_missing",
            Failure::KeyRevoked => "key_revoked",
            Failure::KeyWeak => "key_weak",
            Failure::Expired => "expired",
            Failure::Syntax => "syntax",
        }
    }
}

/// The verdict on one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The signature verifies.
    Verified,
    /// It does not; the failure says at which step.
    Failed(Failure),
    /// It could not be checked (no key fetched, DNS failure, headers only).
    NotVerified,
}

/// One signature's verification with its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureVerification {
    /// Index of the field in the paste's header list.
    pub field_index: usize,
    /// `d=`, lower case.
    pub domain: String,
    /// `s=`.
    pub selector: String,
    /// `a=`.
    pub algorithm: String,
    /// The verdict.
    pub outcome: Outcome,
    /// Why, in one sentence.
    pub reason: String,
    /// Further facts: a weak key, testing mode, what else was checked.
    pub notes: Vec<String>,
    /// For body failures (and `l=`), what changed.
    pub body_change: Option<BodyChange>,
}

/// The body of the paste, split once and canonicalized per algorithm once.
#[derive(Debug)]
pub struct BodyCache<'a> {
    /// False for a header-only paste: no body hash can be checked.
    pub present: bool,
    /// The body lines.
    pub lines: Vec<&'a [u8]>,
    /// Top-level Content-Transfer-Encoding of a single-part body.
    pub transfer_encoding: Option<String>,
    simple: Option<Vec<u8>>,
    relaxed: Option<Vec<u8>>,
}

impl<'a> BodyCache<'a> {
    /// Reads the body of a paste.
    pub fn new(input: &ParsedInput<'a>) -> Self {
        let multipart = input
            .first("content-type")
            .is_some_and(|c| c.value.to_ascii_lowercase().contains("multipart/"));
        BodyCache {
            present: input.has_body,
            lines: body_lines(body_of(input)),
            transfer_encoding: input
                .first("content-transfer-encoding")
                .filter(|_| !multipart)
                .map(|c| c.value.trim().to_ascii_lowercase()),
            simple: None,
            relaxed: None,
        }
    }

    /// The canonical body.
    pub fn canonical(&mut self, canon: Canon) -> &[u8] {
        let slot = match canon {
            Canon::Simple => &mut self.simple,
            Canon::Relaxed => &mut self.relaxed,
        };
        slot.get_or_insert_with(|| canonical_body(&self.lines, canon).0)
    }
}

/// Builds the header data a signature covers (RFC 6376 §3.7): each
/// selected field canonicalized with CRLF, then the signature field with
/// an empty `b=` and no CRLF. `replace` substitutes fields (explanations).
pub(crate) fn header_data(
    input: &ParsedInput<'_>,
    field_index: usize,
    selected: &[Option<usize>],
    canon: Canon,
    replace: &[(usize, Vec<u8>)],
) -> Vec<u8> {
    let mut data = Vec::new();
    for index in selected.iter().flatten() {
        let raw = match replace.iter().find(|(i, _)| i == index) {
            Some((_, bytes)) => bytes.clone(),
            None => raw_field(input.input, &input.headers[*index]),
        };
        data.extend(canonical_header(&raw, canon));
        data.extend_from_slice(b"\r\n");
    }
    let own = raw_field(input.input, &input.headers[field_index]);
    data.extend(canonical_header(&without_signature_value(&own), canon));
    data
}

/// What is signed for `algorithm`: the data for RSA, its SHA-256 for
/// Ed25519 (RFC 8463 §3).
pub(crate) fn signed_message(algorithm: SignatureAlgorithm, data: Vec<u8>) -> Vec<u8> {
    match algorithm {
        SignatureAlgorithm::RsaSha256 => data,
        SignatureAlgorithm::Ed25519Sha256 => Sha256::digest(&data).to_vec(),
    }
}

fn decode_b64(value: Option<&str>) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(value?)
        .ok()
        .filter(|b| !b.is_empty())
}

/// Which kind of signature field is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// DKIM-Signature (RFC 6376).
    Dkim,
    /// ARC-Message-Signature (RFC 8617 §4.1.2): no `v=`, `i=` is the
    /// instance.
    ArcMessage,
}

/// The RFC 6376 §6.1.1 rules; the first problem, when any.
fn syntax_problem(sig: &DkimSignature, kind: SignatureKind) -> Option<String> {
    // An ARC-Message-Signature has no v= (RFC 8617 §4.1.2).
    let arc_version = |d: &&crate::message::input::Diagnostic| {
        kind == SignatureKind::ArcMessage
            && d.code == "dkim.missing-tag"
            && d.message.contains(" v= ")
    };
    if let Some(d) = sig
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error && !arc_version(d))
    {
        return Some(format!("{} ({})", d.message, d.rfc));
    }
    if kind == SignatureKind::Dkim && sig.version.as_deref() != Some("1") {
        return Some("v= must be 1 (RFC 6376 §6.1.1)".to_string());
    }
    match sig.algorithm.as_deref() {
        Some("rsa-sha1") => {
            return Some(
                "a=rsa-sha1: verifiers must not accept SHA-1 signatures (RFC 8301 §3.1)"
                    .to_string(),
            )
        }
        Some(a) if SignatureAlgorithm::from_tag(a).is_none() => {
            return Some(format!("a={a} is not a known algorithm (RFC 6376 §3.3)"))
        }
        _ => {}
    }
    if parse_canonicalization(sig.canonicalization.as_deref()).is_none() {
        return Some(format!(
            "c={} is not simple or relaxed (RFC 6376 §3.5)",
            sig.canonicalization.as_deref().unwrap_or_default()
        ));
    }
    if sig.signed_headers.len() > MAX_SIGNED_HEADERS {
        return Some(format!(
            "h= lists {} fields; mxlens refuses more than {MAX_SIGNED_HEADERS}",
            sig.signed_headers.len()
        ));
    }
    let domain = sig.domain.as_deref().unwrap_or_default();
    if !is_valid_domain(domain) {
        return Some(format!("d={domain} is not a domain name (RFC 6376 §3.5)"));
    }
    let selector = sig.selector.as_deref().unwrap_or_default();
    if !is_valid_selector(selector) {
        return Some(format!("s={selector} is not a selector (RFC 6376 §3.1)"));
    }
    match kind {
        SignatureKind::Dkim if !sig.signs("from") => {
            return Some("h= does not include From (RFC 6376 §6.1.1)".to_string());
        }
        SignatureKind::ArcMessage if sig.signs("arc-seal") => {
            return Some(
                "an ARC-Message-Signature must not sign ARC-Seal (RFC 8617 §4.1.2)".to_string(),
            );
        }
        _ => {}
    }
    if decode_b64(sig.body_hash.as_deref()).is_none_or(|bh| bh.len() != 32) {
        return Some("bh= is not a base64 SHA-256 hash (RFC 6376 §3.5)".to_string());
    }
    if decode_b64(sig.signature.as_deref()).is_none() {
        return Some("b= is not base64 (RFC 6376 §3.5)".to_string());
    }
    if let Some(q) = &sig.query_methods {
        if !q
            .split(':')
            .any(|m| m.trim().eq_ignore_ascii_case("dns/txt"))
        {
            return Some(format!("q={q} does not offer dns/txt (RFC 6376 §3.5)"));
        }
    }
    if kind == SignatureKind::Dkim {
        if let (Some(identity), Some(domain)) = (&sig.identity, &sig.domain) {
            let i = identity_domain(identity);
            if i != *domain && !i.ends_with(&format!(".{domain}")) {
                return Some(format!(
                    "i={identity} is not in d={domain} or a subdomain (RFC 6376 §6.1.1)"
                ));
            }
        }
    }
    if let (Some(t), Some(x)) = (sig.timestamp, sig.expiration) {
        if x < t {
            return Some(format!("x={x} is before t={t} (RFC 6376 §3.5)"));
        }
    }
    None
}

/// True when `domain` is already a normalised ASCII domain name
/// ([`crate::domain_name::is_normalized_ascii`]: no IDNA tables, since the
/// browser verifies with it).
pub fn is_valid_domain(domain: &str) -> bool {
    crate::domain_name::is_normalized_ascii(domain)
}

fn identity_domain(identity: &str) -> String {
    identity
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Verifies the signature in field `field_index`.
pub async fn verify_signature<V: SignatureVerifier>(
    input: &ParsedInput<'_>,
    body: &mut BodyCache<'_>,
    field_index: usize,
    kind: SignatureKind,
    keys: &KeySet,
    verifier: &V,
    now: i64,
) -> SignatureVerification {
    let sig = parse_dkim_signature(&input.headers[field_index].value);
    let mut result = SignatureVerification {
        field_index,
        domain: sig.domain.clone().unwrap_or_default(),
        selector: sig.selector.clone().unwrap_or_default(),
        algorithm: sig.algorithm.clone().unwrap_or_default(),
        outcome: Outcome::NotVerified,
        reason: String::new(),
        notes: Vec::new(),
        body_change: None,
    };
    if let Some(problem) = syntax_problem(&sig, kind) {
        result.outcome = Outcome::Failed(Failure::Syntax);
        result.reason = problem;
        return result;
    }
    let algorithm = sig
        .algorithm
        .as_deref()
        .and_then(SignatureAlgorithm::from_tag)
        .unwrap_or(SignatureAlgorithm::RsaSha256);
    let (header_canon, body_canon) = parse_canonicalization(sig.canonicalization.as_deref())
        .unwrap_or((Canon::Simple, Canon::Simple));
    let expected_bh = decode_b64(sig.body_hash.as_deref()).unwrap_or_default();
    let b = decode_b64(sig.signature.as_deref()).unwrap_or_default();

    // Body hash (RFC 6376 §3.7, §6.1.3), truncated to l= when given.
    let body_ok = if body.present {
        let canonical = body.canonical(body_canon);
        let signed = match sig.body_length {
            Some(l) => {
                &canonical[..usize::try_from(l)
                    .unwrap_or(usize::MAX)
                    .min(canonical.len())]
            }
            None => canonical,
        };
        let ok = sig.body_length.is_none_or(|l| l <= canonical.len() as u64)
            && verifier.sha256(signed).await[..] == expected_bh[..];
        if ok {
            if let Some(l) = sig.body_length {
                result.body_change = unsigned_tail(&body.lines, body_canon, l);
                if let Some(tail) = &result.body_change {
                    result.notes.push(tail.detail.clone());
                }
            }
        } else {
            result.body_change = Some(explain_body(
                &body.lines,
                body_canon,
                &expected_bh,
                sig.body_length,
                body.transfer_encoding.as_deref(),
            ));
        }
        Some(ok)
    } else {
        None
    };

    // Header hash and the key (RFC 6376 §6.1.2, §6.1.3).
    let identity = match kind {
        SignatureKind::Dkim => sig.identity.as_deref().map(identity_domain),
        SignatureKind::ArcMessage => None,
    };
    let selected = select_headers(input, &sig.signed_headers, Some(field_index));
    let header = match resolve_key(
        keys,
        &result.domain,
        &result.selector,
        algorithm,
        identity.as_deref(),
    ) {
        KeyResolution::Failed(failure, why) => Err((Outcome::Failed(failure), why)),
        KeyResolution::Unavailable(why) => Err((Outcome::NotVerified, why)),
        KeyResolution::Usable(key, notes) => {
            result.notes.extend(notes);
            let message = signed_message(
                algorithm,
                header_data(input, field_index, &selected, header_canon, &[]),
            );
            match verifier.verify(algorithm, &key, &message, &b).await {
                Ok(true) => Ok(()),
                Ok(false) => {
                    let mut why = "the signature does not match the signed header fields: a signed field changed after signing, or the key at the selector is not the one that signed".to_string();
                    let mut explained = false;
                    for candidate in candidates(input, &selected, header_canon) {
                        let canon = candidate.canon.unwrap_or(header_canon);
                        let data =
                            header_data(input, field_index, &selected, canon, &candidate.replace);
                        if let Ok(true) = verifier
                            .verify(algorithm, &key, &signed_message(algorithm, data), &b)
                            .await
                        {
                            why = format!(
                                "{}; the signature verifies with the field as it was",
                                candidate.description
                            );
                            explained = true;
                            break;
                        }
                    }
                    if !explained {
                        let date = input
                            .first("date")
                            .and_then(|d| crate::message::datetime::parse_rfc5322_date(&d.value))
                            .map(|d| d.unix_seconds());
                        result
                            .notes
                            .extend(hints(input, &sig.signed_headers, sig.timestamp, date));
                    }
                    Err((Outcome::Failed(Failure::HeaderHash), why))
                }
                Err(unavailable) => Err((
                    Outcome::NotVerified,
                    format!("the signature check could not run: {}", unavailable.0),
                )),
            }
        }
    };
    // The verdict, in the order of RFC 6376 §6.1: the signature's own
    // rules (expiry), then the key, then the body, then the headers.
    let expired = sig.expiration.filter(|x| *x < now);
    let (outcome, reason) = match (&header, body_ok) {
        (Err((Outcome::Failed(f), why)), _) if *f != Failure::HeaderHash => (Outcome::Failed(*f), why.clone()),
        (_, Some(false)) => (
            Outcome::Failed(Failure::BodyHash),
            format!(
                "the body hash does not match bh=: {}",
                result.body_change.as_ref().map_or("", |c| c.detail.as_str())
            ),
        ),
        (Err((outcome, why)), _) => (*outcome, why.clone()),
        (Ok(()), None) => (
            Outcome::NotVerified,
            "the signed header fields verify, but only headers were pasted: paste the whole message to check the body".to_string(),
        ),
        (Ok(()), Some(true)) => (Outcome::Verified, "the body hash and the signature verify".to_string()),
    };
    match expired {
        Some(x) if outcome != Outcome::Failed(Failure::Syntax) => {
            result.outcome = Outcome::Failed(Failure::Expired);
            result.reason = format!(
                "the signature expired at x={x} (RFC 6376 §3.5); apart from that: {reason}"
            );
        }
        _ => {
            result.outcome = outcome;
            result.reason = reason;
        }
    }
    result
}

/// Verifies every DKIM-Signature of a paste, top first, at most
/// [`MAX_SIGNATURES`].
pub async fn verify_dkim<V: SignatureVerifier>(
    input: &ParsedInput<'_>,
    keys: &KeySet,
    verifier: &V,
    now: i64,
) -> Vec<SignatureVerification> {
    let mut body = BodyCache::new(input);
    let mut out = Vec::new();
    let fields: Vec<usize> = (0..input.headers.len())
        .filter(|&i| input.headers[i].is("dkim-signature"))
        .collect();
    for (n, index) in fields.into_iter().enumerate() {
        if n >= MAX_SIGNATURES {
            let sig = parse_dkim_signature(&input.headers[index].value);
            out.push(SignatureVerification {
                field_index: index,
                domain: sig.domain.unwrap_or_default(),
                selector: sig.selector.unwrap_or_default(),
                algorithm: sig.algorithm.unwrap_or_default(),
                outcome: Outcome::NotVerified,
                reason: format!("mxlens verifies at most {MAX_SIGNATURES} signatures per message"),
                notes: Vec::new(),
                body_change: None,
            });
            continue;
        }
        out.push(
            verify_signature(
                input,
                &mut body,
                index,
                SignatureKind::Dkim,
                keys,
                verifier,
                now,
            )
            .await,
        );
    }
    out
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod admit_tests;
