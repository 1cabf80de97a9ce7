//! mxlens's own signature verdicts in the report: one `dkim.verify` per
//! DKIM-Signature, one `arc.verify`, and `dmarc.verify` (DMARC on the DKIM
//! signatures mxlens verified, SPF as the receiver recorded it).
//!
//! [`analyze_message`](super::analyze_message) reports every signature as
//! not verified; [`verify_message`] does the work (keys and a verifier come
//! in) and [`apply_verification`] puts the verdicts into the report.

use crate::arc::verify::{verify_arc, ArcVerdict, ArcVerification};
use crate::dkim::crypto::SignatureVerifier;
use crate::dkim::verify::{
    keys_wanted, verify_dkim, Failure, KeySet, Outcome, SignatureVerification,
};
use crate::org_domain::{aligned_relaxed, aligned_strict};
use crate::report::{Check, DkimSignatureSummary, MessageSection, Report, Status};

use super::input::{parse_input, ParsedInput};

/// Everything mxlens verified in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageVerification {
    /// One per DKIM-Signature, top first.
    pub dkim: Vec<SignatureVerification>,
    /// The ARC chain.
    pub arc: ArcVerification,
}

/// The (domain, selector) keys a message needs, for fetching.
pub fn keys_for_message(input: &[u8]) -> Vec<(String, String)> {
    keys_wanted(&parse_input(input))
}

/// Verifies the DKIM signatures and the ARC chain of a paste. `now` is unix
/// seconds (for `x=`).
pub async fn verify_message<V: SignatureVerifier>(
    input: &[u8],
    keys: &KeySet,
    verifier: &V,
    now: i64,
) -> MessageVerification {
    let parsed = parse_input(input);
    MessageVerification {
        dkim: verify_dkim(&parsed, keys, verifier, now).await,
        arc: verify_arc(&parsed, keys, verifier, now).await,
    }
}

/// The checks of an analysis that has not verified (yet).
pub(super) fn unverified_checks(parsed: &ParsedInput<'_>, section: &MessageSection) -> Vec<Check> {
    let mut checks: Vec<Check> = section
        .dkim_signatures
        .iter()
        .map(|s| {
            Check::new(
                "dkim.verify",
                Status::NotTested,
                "not verified: mxlens checks signatures with `mxlens headers --verify`, on the server, and in the browser once the keys have arrived",
            )
            .with_subject(format!("d={} s={}", s.domain, s.selector))
        })
        .collect();
    checks.push(
        if parsed.first("arc-seal").is_none() && section.arc.is_none() {
            Check::new("arc.verify", Status::NotApplicable, "no ARC headers")
        } else {
            Check::new(
                "arc.verify",
                Status::NotTested,
                "the ARC chain's signatures were not verified",
            )
        },
    );
    checks
}

/// Why mxlens and the receiver disagree, when they do.
fn disagreement(outcome: Outcome, receiver: Option<&str>) -> Option<String> {
    let receiver = receiver?.to_ascii_lowercase();
    let said = format!("the receiver recorded dkim={receiver}");
    match (outcome, receiver.as_str()) {
        (Outcome::Verified, "pass") | (Outcome::NotVerified, _) => None,
        (Outcome::Verified, "temperror") => Some(format!(
            "{said}: it had a transient DNS failure when it checked"
        )),
        (Outcome::Verified, _) => Some(format!(
            "{said}: the key was published or fixed since, or the receiver failed to read it"
        )),
        (Outcome::Failed(_), r) if r != "pass" => None,
        (Outcome::Failed(Failure::KeyMissing | Failure::KeyRevoked | Failure::KeyWeak), _) => {
            Some(format!("{said}: the key was rotated or removed since delivery"))
        }
        (Outcome::Failed(Failure::Expired), _) => {
            Some(format!("{said}: it was valid at delivery and has expired since"))
        }
        (Outcome::Failed(Failure::HeaderHash), _) => Some(format!(
            "{said}: the message was altered after delivery (the paste was edited, or a mail client re-saved it), or the key was rotated since"
        )),
        (Outcome::Failed(_), _) => Some(format!(
            "{said}: the message was altered after delivery (the paste was edited, or a mail client re-saved or re-encoded it)"
        )),
    }
}

/// True when a signature fails now only because time passed since the
/// receiver verified it: the receiver recorded `dkim=pass` and the key is
/// gone, revoked or weakened since, or `x=` has passed (RFC 6376 §3.5: the
/// expiry is for verifiers at delivery). The mail was fine when it was
/// delivered; mxlens cannot re-check it today, which is "not tested", not a
/// problem of the sender's setup.
fn unverifiable_now(outcome: Outcome, receiver: Option<&str>) -> bool {
    matches!(
        outcome,
        Outcome::Failed(
            Failure::KeyMissing | Failure::KeyRevoked | Failure::KeyWeak | Failure::Expired
        )
    ) && receiver.is_some_and(|r| r.eq_ignore_ascii_case("pass"))
}

fn dkim_check(v: &SignatureVerification, summary: Option<&mut DkimSignatureSummary>) -> Check {
    let subject = format!("d={} s={}", v.domain, v.selector);
    let receiver = summary.as_ref().and_then(|s| s.result.clone());
    let mut detail = v.reason.clone();
    for note in &v.notes {
        detail.push_str("; ");
        detail.push_str(note);
    }
    if let Some(why) = disagreement(v.outcome, receiver.as_deref()) {
        detail.push_str("; ");
        detail.push_str(&why);
    }
    if let Some(change) = v.body_change.as_ref().filter(|c| !c.text.is_empty()) {
        detail.push_str(&format!("; the text: {:?}", change.text));
    }
    let (status, verified, failure) = match v.outcome {
        Outcome::Verified => (Status::Pass, Some(true), None),
        Outcome::Failed(f) if unverifiable_now(v.outcome, receiver.as_deref()) => {
            (Status::NotTested, Some(false), Some(f.as_str().to_string()))
        }
        Outcome::Failed(f) => (Status::Fail, Some(false), Some(f.as_str().to_string())),
        Outcome::NotVerified => (Status::NotTested, None, None),
    };
    if let Some(s) = summary {
        s.verified = verified;
        s.failure = failure;
        s.verify_detail = Some(v.reason.clone());
        s.body_change = v.body_change.as_ref().map(|c| c.kind.as_str().to_string());
        s.changed_text = v
            .body_change
            .as_ref()
            .map(|c| c.text.clone())
            .filter(|t| !t.is_empty());
    }
    Check::new("dkim.verify", status, format!("{subject}: {detail}")).with_subject(subject)
}

fn arc_check(arc: &ArcVerification) -> Check {
    let sealer = arc.last_sealer.as_deref().unwrap_or("?");
    match &arc.verdict {
        ArcVerdict::None => Check::new("arc.verify", Status::NotApplicable, "no ARC headers"),
        ArcVerdict::Pass => Check::new(
            "arc.verify",
            Status::Pass,
            format!("{} ARC set(s), last sealed by {sealer}: every seal and the newest message signature verify", arc.sets),
        ),
        ArcVerdict::Fail { instance, reason } => Check::new(
            "arc.verify",
            Status::Fail,
            match instance {
                Some(i) => format!("the chain fails at i={i}: {reason}"),
                None => format!("the chain is broken: {reason}"),
            },
        ),
        ArcVerdict::NotVerified(why) => {
            Check::new("arc.verify", Status::NotTested, format!("not verified: {why}"))
        }
    }
}

fn dmarc_check(section: &MessageSection, dkim: &[SignatureVerification]) -> Check {
    let Some(from) = section.from.as_ref() else {
        return Check::new(
            "dmarc.verify",
            Status::NotTested,
            "no single From domain to align with",
        );
    };
    let verified: Vec<&SignatureVerification> = dkim
        .iter()
        .filter(|v| v.outcome == Outcome::Verified)
        .collect();
    let aligned = verified
        .iter()
        .find(|v| aligned_relaxed(&from.domain, &v.domain));
    let spf = section.alignment.as_ref().and_then(|a| a.spf.as_ref());
    let spf_text = match spf {
        Some(s) if s.relaxed => format!(
            "SPF (the receiver's result) passed for {}, aligned",
            s.domain
        ),
        Some(s) => format!(
            "SPF (the receiver's result) passed for {}, not aligned",
            s.domain
        ),
        None => "SPF (the receiver's result): no aligned pass recorded".to_string(),
    };
    match aligned {
        Some(v) => Check::new(
            "dmarc.verify",
            Status::Pass,
            format!(
                "From {}: DKIM d={} verified by mxlens and aligned ({}); DMARC passes on DKIM alone, which survives forwarding. {spf_text}",
                from.domain,
                v.domain,
                if aligned_strict(&from.domain, &v.domain) { "strict" } else { "relaxed" }
            ),
        ),
        // Only a signature that could align matters here: an unaligned one
        // cannot make DMARC pass whatever its verdict (RFC 7489 §3.1.1).
        None if dkim.iter().enumerate().any(|(i, v)| {
            aligned_relaxed(&from.domain, &v.domain)
                && (v.outcome == Outcome::NotVerified
                    || unverifiable_now(
                    v.outcome,
                        section.dkim_signatures.get(i).and_then(|s| s.result.as_deref()),
                    ))
        }) =>
        {
            Check::new(
            "dmarc.verify",
            Status::NotTested,
            format!("From {}: an aligned DKIM signature could not be verified now (its key is not available, or was rotated since delivery), so whether DMARC passes on DKIM alone is not known. {spf_text}", from.domain),
        )
        }
        None if spf.is_some_and(|s| s.relaxed) => Check::new(
            "dmarc.verify",
            Status::Warn,
            format!("From {}: no aligned DKIM signature verified; DMARC passes only on SPF, which forwarding breaks. {spf_text}", from.domain),
        ),
        None => Check::new(
            "dmarc.verify",
            Status::Fail,
            format!("From {}: no aligned DKIM signature verified and no aligned SPF pass: DMARC fails. {spf_text}", from.domain),
        ),
    }
    .with_subject(from.domain.clone())
}

/// Puts mxlens's verdicts into a message report made by
/// [`analyze_message`](super::analyze_message): the `dkim.verify` and
/// `arc.verify` checks are replaced, `dmarc.verify` is added, the
/// signatures gain `verified` and `failure`, and the score is recomputed.
pub fn apply_verification(report: &mut Report, verification: &MessageVerification) {
    let Some(section) = report.message.as_mut() else {
        return;
    };
    let mut checks: Vec<Check> = Vec::new();
    for (index, v) in verification.dkim.iter().enumerate() {
        checks.push(dkim_check(v, section.dkim_signatures.get_mut(index)));
    }
    checks.push(arc_check(&verification.arc));
    checks.push(dmarc_check(section, &verification.dkim));
    let position = report
        .checks
        .iter()
        .position(|c| c.id == "dkim.verify" || c.id == "arc.verify")
        .unwrap_or(report.checks.len());
    report
        .checks
        .retain(|c| !matches!(&*c.id, "dkim.verify" | "arc.verify" | "dmarc.verify"));
    let position = position.min(report.checks.len());
    report.checks.splice(position..position, checks);
    report.rescore();
}
