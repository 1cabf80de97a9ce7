//! The ARC set structure (RFC 8617): ARC-Seal, ARC-Message-Signature and
//! ARC-Authentication-Results, grouped by instance, with the structural
//! chain checks of RFC 8617 §5.2. No cryptography.
//!
//! ```text
//! arc-info   = instance [CFWS] ";" authres-payload            ; RFC 8617 §4.1.1
//! instance   = [CFWS] %s"i" [CFWS] "=" [CFWS] 1*2DIGIT [CFWS]
//! arc-seal   = tag-list with i=, a=, cv=, d=, s=, t=, b=     ; RFC 8617 §4.1.3
//! chain-status = ("none" / "fail" / "pass")                   ; RFC 8617 §4.4
//! ```

use crate::dkim::signature::{parse_tag_list, tag, Tag};
use crate::message::authres::{parse_authentication_results, AuthResults};
use crate::message::input::ParsedInput;

/// The most ARC sets a chain may hold (RFC 8617 §4.2.1).
pub const MAX_ARC_SETS: u32 = 50;

/// One ARC-Seal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArcSeal {
    /// `i=`
    pub instance: Option<u32>,
    /// `cv=`, lower case.
    pub chain_validation: Option<String>,
    /// `d=`, the sealer's domain.
    pub domain: Option<String>,
    /// `s=`
    pub selector: Option<String>,
    /// `a=`
    pub algorithm: Option<String>,
}

/// One ARC set (instance `i`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArcSet {
    /// The instance number.
    pub instance: u32,
    /// The ARC-Seal fields of this instance (exactly one when valid).
    pub seals: Vec<ArcSeal>,
    /// How many ARC-Message-Signature fields carry this instance.
    pub message_signatures: u32,
    /// The ARC-Authentication-Results of this instance (exactly one when valid).
    pub auth_results: Vec<AuthResults>,
}

/// The structural verdict on the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArcChainStatus {
    /// No ARC fields at all.
    None,
    /// The structure is valid (signatures are not verified here).
    Pass,
    /// The structure is broken; the text says why.
    Fail(String),
}

/// The parsed chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcChain {
    /// Sets by instance, 1 first.
    pub sets: Vec<ArcSet>,
    /// Structural verdict (RFC 8617 §5.2 steps 1–4, no crypto).
    pub status: ArcChainStatus,
}

impl ArcChain {
    /// The highest instance's sealer domain, when present.
    pub fn last_sealer(&self) -> Option<&str> {
        self.sets
            .last()
            .and_then(|s| s.seals.first())
            .and_then(|s| s.domain.as_deref())
    }
}

/// Reads `i=` from a tag list (ARC-Seal, ARC-Message-Signature).
pub(crate) fn instance_of_tags(tags: &[Tag]) -> Option<u32> {
    tag(tags, "i").and_then(|v| v.trim().parse().ok())
}

/// Reads the leading `i=N;` of ARC-Authentication-Results and returns the
/// instance and the authres payload after it.
pub(crate) fn split_aar(value: &str) -> (Option<u32>, &str) {
    let (head, rest) = value.split_once(';').unwrap_or((value, ""));
    let instance = head
        .trim()
        .strip_prefix('i')
        .map(str::trim_start)
        .and_then(|s| s.strip_prefix('='))
        .and_then(|s| s.trim().parse().ok());
    (instance, rest)
}

/// Groups the ARC fields of a message and checks the chain structure.
pub fn parse_arc_chain(input: &ParsedInput<'_>) -> ArcChain {
    let mut sets: Vec<ArcSet> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut any = false;
    let set_for = |sets: &mut Vec<ArcSet>, i: u32| -> usize {
        match sets.iter().position(|s| s.instance == i) {
            Some(p) => p,
            None => {
                sets.push(ArcSet {
                    instance: i,
                    ..ArcSet::default()
                });
                sets.len() - 1
            }
        }
    };
    for field in &input.headers {
        // Every field is asked; the name compared in place, not lowered
        // into a new string (#17 G4).
        let name = field.name;
        let is_aar = name.eq_ignore_ascii_case("arc-authentication-results");
        let tags = if name.eq_ignore_ascii_case("arc-seal")
            || name.eq_ignore_ascii_case("arc-message-signature")
        {
            parse_tag_list(&field.value).0
        } else if is_aar {
            Vec::new()
        } else {
            continue;
        };
        let instance = if is_aar {
            split_aar(&field.value).0
        } else {
            instance_of_tags(&tags)
        };
        any = true;
        let Some(i) = instance.filter(|i| (1..=MAX_ARC_SETS).contains(i)) else {
            problems.push(format!("{} has a missing or invalid i=", field.name));
            continue;
        };
        let index = set_for(&mut sets, i);
        if is_aar {
            let payload = split_aar(&field.value).1;
            sets[index]
                .auth_results
                .push(parse_authentication_results(payload));
        } else if name.eq_ignore_ascii_case("arc-seal") {
            sets[index].seals.push(ArcSeal {
                instance: Some(i),
                chain_validation: tag(&tags, "cv").map(|v| v.to_ascii_lowercase()),
                domain: tag(&tags, "d").map(|v| v.to_ascii_lowercase()),
                selector: tag(&tags, "s").map(str::to_string),
                algorithm: tag(&tags, "a").map(str::to_string),
            });
        } else {
            sets[index].message_signatures += 1;
        }
    }
    sets.sort_by_key(|s| s.instance);
    if !any {
        return ArcChain {
            sets,
            status: ArcChainStatus::None,
        };
    }
    // RFC 8617 §5.2 step 2/3: instances 1..N, each with exactly one of each
    // field; the most recent seal must not say cv=fail; cv=none only at i=1.
    let n = sets.last().map_or(0, |s| s.instance);
    for i in 1..=n {
        match sets.iter().find(|s| s.instance == i) {
            None => problems.push(format!("ARC set i={i} is missing")),
            Some(set) => {
                if set.seals.len() != 1
                    || set.message_signatures != 1
                    || set.auth_results.len() != 1
                {
                    problems.push(format!(
                        "ARC set i={i} has {} ARC-Seal, {} ARC-Message-Signature and {} ARC-Authentication-Results (exactly one of each required)",
                        set.seals.len(),
                        set.message_signatures,
                        set.auth_results.len()
                    ));
                }
                for seal in &set.seals {
                    let cv = seal.chain_validation.as_deref().unwrap_or("");
                    let ok = if i == 1 { cv == "none" } else { cv == "pass" };
                    if !ok {
                        problems.push(format!(
                            "ARC-Seal i={i} has cv={} (expected {})",
                            if cv.is_empty() { "(missing)" } else { cv },
                            if i == 1 { "none" } else { "pass" }
                        ));
                    }
                }
            }
        }
    }
    let status = if problems.is_empty() {
        ArcChainStatus::Pass
    } else {
        ArcChainStatus::Fail(problems.join("; "))
    };
    ArcChain { sets, status }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::input::parse_input;

    fn chain(raw: &str) -> ArcChain {
        parse_arc_chain(&parse_input(raw.as_bytes()))
    }

    #[test]
    fn valid_two_set_chain() {
        let c = chain("ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=lists.example; s=a; b=x\nARC-Message-Signature: i=2; a=rsa-sha256; d=lists.example; s=a; h=from; bh=x; b=y\nARC-Authentication-Results: i=2; lists.example; dkim=pass header.d=example.com\nARC-Seal: i=1; a=rsa-sha256; cv=none; d=fwd.example; s=a; b=x\nARC-Message-Signature: i=1; a=rsa-sha256; d=fwd.example; s=a; h=from; bh=x; b=y\nARC-Authentication-Results: i=1; fwd.example; spf=pass smtp.mailfrom=example.com\n\n");
        assert_eq!(c.status, ArcChainStatus::Pass);
        assert_eq!(c.last_sealer(), Some("lists.example"));
        assert_eq!(c.sets[1].auth_results[0].authserv_id, "lists.example");
    }

    #[test]
    fn broken_chains() {
        let c = chain("ARC-Seal: i=2; cv=pass; d=a\nARC-Message-Signature: i=2\nARC-Authentication-Results: i=2; a; none\n\n");
        assert!(
            matches!(c.status, ArcChainStatus::Fail(ref why) if why.contains("i=1 is missing"))
        );
        let c = chain("ARC-Seal: i=1; cv=pass; d=a\nARC-Message-Signature: i=1\nARC-Authentication-Results: i=1; a; none\n\n");
        assert!(matches!(c.status, ArcChainStatus::Fail(ref why) if why.contains("cv=pass")));
        let c = chain("ARC-Seal: i=99; cv=none\n\n");
        assert!(matches!(c.status, ArcChainStatus::Fail(_)));
        assert_eq!(chain("From: a@b\n\n").status, ArcChainStatus::None);
    }
}
