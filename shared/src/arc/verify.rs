//! ARC chain validation (RFC 8617 §5.2): the structure, the most recent
//! ARC-Message-Signature, and every ARC-Seal from the newest down.
//!
//! ```text
//! seal data(i) = AAR(1) AMS(1) AS(1) … AAR(i) AMS(i) AS(i)   ; RFC 8617 §5.1.1
//!   each relaxed-canonicalized with CRLF, AS(i) last with b= empty and no CRLF
//! ```

use base64::Engine;

use super::chain::{instance_of_tags, parse_arc_chain, split_aar, ArcChainStatus};
use crate::dkim::canon::{canonical_header, raw_field, without_signature_value, Canon};
use crate::dkim::crypto::{SignatureAlgorithm, SignatureVerifier};
use crate::dkim::signature::{parse_tag_list, tag};
use crate::dkim::verify::{
    is_valid_domain, is_valid_selector, resolve_key, signed_message, verify_signature, BodyCache,
    KeyResolution, KeySet, Outcome, SignatureKind,
};
use crate::message::input::ParsedInput;

/// The verdict on the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArcVerdict {
    /// No ARC header fields.
    None,
    /// Every seal and the newest message signature verify.
    Pass,
    /// The chain is broken; the instance when one is to blame.
    Fail {
        /// The failing instance.
        instance: Option<u32>,
        /// Why.
        reason: String,
    },
    /// A key could not be had or the check could not run.
    NotVerified(String),
}

/// The chain's validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcVerification {
    /// The verdict.
    pub verdict: ArcVerdict,
    /// How many ARC sets the message has.
    pub sets: u32,
    /// The sealer of the newest set.
    pub last_sealer: Option<String>,
}

/// The field indexes of one instance: (AAR, AMS, AS).
fn set_fields(input: &ParsedInput<'_>, instance: u32) -> Option<(usize, usize, usize)> {
    let mut aar = None;
    let mut ams = None;
    let mut seal = None;
    for (index, field) in input.headers.iter().enumerate() {
        let i = if field.is("arc-authentication-results") {
            split_aar(&field.value).0
        } else if field.is("arc-message-signature") || field.is("arc-seal") {
            instance_of_tags(&parse_tag_list(&field.value).0)
        } else {
            continue;
        };
        if i != Some(instance) {
            continue;
        }
        let slot = if field.is("arc-seal") {
            &mut seal
        } else if field.is("arc-message-signature") {
            &mut ams
        } else {
            &mut aar
        };
        slot.get_or_insert(index);
    }
    Some((aar?, ams?, seal?))
}

/// The ARC-Seal tag rules (RFC 8617 §4.1.3); the first problem.
fn seal_problem(value: &str) -> Option<String> {
    let (tags, diagnostics) = parse_tag_list(value);
    if let Some(d) = diagnostics.first() {
        return Some(format!("{} ({})", d.message, d.rfc));
    }
    // tag-list = tag-spec *( ";" tag-spec ) [ ";" ]: no empty spec inside
    // (RFC 6376 §3.2, which RFC 8617 §4.1.3 uses).
    let specs: Vec<&str> = value.split(';').collect();
    if specs[..specs.len() - 1].iter().any(|s| s.trim().is_empty()) {
        return Some("an empty tag between two semicolons (RFC 6376 §3.2)".to_string());
    }
    if tag(&tags, "h").is_some() {
        return Some("an ARC-Seal must not carry h= (RFC 8617 §4.1.3)".to_string());
    }
    for required in ["a", "b", "cv", "d", "i", "s"] {
        if tag(&tags, required).is_none_or(str::is_empty) {
            return Some(format!(
                "ARC-Seal tag {required}= is missing or empty (RFC 8617 §4.1.3)"
            ));
        }
    }
    if let Some(t) = tag(&tags, "t") {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!("ARC-Seal t={t} is not a number (RFC 8617 §4.1.3)"));
        }
    }
    let a = tag(&tags, "a").unwrap_or_default();
    if SignatureAlgorithm::from_tag(a).is_none() {
        return Some(format!(
            "ARC-Seal a={a} is not rsa-sha256 or ed25519-sha256 (RFC 8301 §3.1)"
        ));
    }
    let d = tag(&tags, "d").unwrap_or_default().to_ascii_lowercase();
    if !is_valid_domain(&d) {
        return Some(format!("ARC-Seal d={d} is not a domain name"));
    }
    if !is_valid_selector(&tag(&tags, "s").unwrap_or_default().to_ascii_lowercase()) {
        return Some("ARC-Seal s= is not a selector (RFC 6376 §3.1)".to_string());
    }
    None
}

async fn check_seal<V: SignatureVerifier>(
    input: &ParsedInput<'_>,
    instance: u32,
    keys: &KeySet,
    verifier: &V,
) -> Result<(), ArcVerdict> {
    let fail = |reason: String| ArcVerdict::Fail {
        instance: Some(instance),
        reason,
    };
    let mut data = Vec::new();
    let mut own = 0;
    for i in 1..=instance {
        let (aar, ams, seal) =
            set_fields(input, i).ok_or_else(|| fail(format!("ARC set i={i} is incomplete")))?;
        for index in [aar, ams] {
            data.extend(canonical_header(
                &raw_field(input.input, &input.headers[index]),
                Canon::Relaxed,
            ));
            data.extend_from_slice(b"\r\n");
        }
        let raw = raw_field(input.input, &input.headers[seal]);
        if i == instance {
            data.extend(canonical_header(
                &without_signature_value(&raw),
                Canon::Relaxed,
            ));
            own = seal;
        } else {
            data.extend(canonical_header(&raw, Canon::Relaxed));
            data.extend_from_slice(b"\r\n");
        }
    }
    let value = &input.headers[own].value;
    if let Some(problem) = seal_problem(value) {
        return Err(fail(format!("ARC-Seal i={instance}: {problem}")));
    }
    let (tags, _) = parse_tag_list(value);
    let algorithm = SignatureAlgorithm::from_tag(tag(&tags, "a").unwrap_or_default())
        .unwrap_or(SignatureAlgorithm::RsaSha256);
    let domain = tag(&tags, "d").unwrap_or_default().to_ascii_lowercase();
    let selector = tag(&tags, "s").unwrap_or_default().to_ascii_lowercase();
    let b: String = tag(&tags, "b")
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Ok(b) = base64::engine::general_purpose::STANDARD.decode(b) else {
        return Err(fail(format!("ARC-Seal i={instance}: b= is not base64")));
    };
    match resolve_key(keys, &domain, &selector, algorithm, None) {
        KeyResolution::Failed(failure, why) => Err(fail(format!(
            "ARC-Seal i={instance} ({}): {why}",
            failure.as_str()
        ))),
        KeyResolution::Unavailable(why) => Err(ArcVerdict::NotVerified(format!(
            "ARC-Seal i={instance}: {why}"
        ))),
        KeyResolution::Usable(key, _) => {
            match verifier
                .verify(algorithm, &key, &signed_message(algorithm, data), &b)
                .await
            {
                Ok(true) => Ok(()),
                Ok(false) => Err(fail(format!(
                    "the ARC-Seal of i={instance} (d={domain} s={selector}) does not verify: an ARC set was altered after sealing"
                ))),
                Err(e) => Err(ArcVerdict::NotVerified(format!(
                    "ARC-Seal i={instance}: the signature check could not run: {}",
                    e.0
                ))),
            }
        }
    }
}

/// Validates the ARC chain of a paste (RFC 8617 §5.2).
pub async fn verify_arc<V: SignatureVerifier>(
    input: &ParsedInput<'_>,
    keys: &KeySet,
    verifier: &V,
    now: i64,
) -> ArcVerification {
    let chain = parse_arc_chain(input);
    let mut result = ArcVerification {
        verdict: ArcVerdict::Pass,
        sets: chain.sets.len() as u32,
        last_sealer: chain.last_sealer().map(str::to_string),
    };
    let n = match &chain.status {
        ArcChainStatus::None => {
            result.verdict = ArcVerdict::None;
            return result;
        }
        ArcChainStatus::Fail(why) => {
            result.verdict = ArcVerdict::Fail {
                instance: None,
                reason: why.clone(),
            };
            return result;
        }
        ArcChainStatus::Pass => chain.sets.last().map_or(0, |s| s.instance),
    };
    // Step 5: the newest ARC-Message-Signature must verify.
    let Some((_, ams, _)) = set_fields(input, n) else {
        result.verdict = ArcVerdict::Fail {
            instance: Some(n),
            reason: format!("ARC set i={n} is incomplete"),
        };
        return result;
    };
    let mut body = BodyCache::new(input);
    let checked = verify_signature(
        input,
        &mut body,
        ams,
        SignatureKind::ArcMessage,
        keys,
        verifier,
        now,
    )
    .await;
    match checked.outcome {
        Outcome::Verified => {}
        Outcome::Failed(failure) => {
            result.verdict = ArcVerdict::Fail {
                instance: Some(n),
                reason: format!(
                    "the ARC-Message-Signature of i={n} does not verify ({}): {}",
                    failure.as_str(),
                    checked.reason
                ),
            };
            return result;
        }
        Outcome::NotVerified => {
            result.verdict =
                ArcVerdict::NotVerified(format!("ARC-Message-Signature i={n}: {}", checked.reason));
            return result;
        }
    }
    // Step 6: every ARC-Seal, newest first.
    for i in (1..=n).rev() {
        if let Err(verdict) = check_seal(input, i, keys, verifier).await {
            result.verdict = verdict;
            return result;
        }
    }
    result
}
