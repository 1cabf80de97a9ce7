//! Checks of authentication: the receiver's Authentication-Results, the
//! DKIM signatures and DMARC alignment.

use super::authres;
use std::collections::HashMap;

use crate::report::{
    AlignedIdentity, AlignmentSummary, ArcSummary, AuthResultSummary, Check, DkimSignatureSummary,
    MessageSection, Status,
};

use super::authres::{AuthResults, ReceivedSpf};
use super::chain::Chain;
use super::input::ParsedInput;
use crate::arc::{parse_arc_chain, ArcChainStatus};
use crate::dkim::signature::{lint_dkim_signature_with_counts, DkimSignature, HeaderCounts};
use crate::dmarc::alignment::{compute_alignment, domain_of, passed_identities, IdentityAlignment};

fn summarise_properties(r: &authres::MethodResult) -> Option<String> {
    use std::fmt::Write as _;
    // One string written in place: this runs for every result of every
    // trusted field, twice (#17 G4).
    let mut out = String::new();
    for p in &r.properties {
        if !out.is_empty() {
            out.push(' ');
        }
        if !p.ptype.is_empty() {
            out.push_str(&p.ptype);
            out.push('.');
        }
        let _ = write!(out, "{}={}", p.name, p.value);
    }
    if let Some(reason) = &r.reason {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str("reason=");
        out.push_str(reason);
    }
    (!out.is_empty()).then_some(out)
}

fn auth_status(result: &str) -> Status {
    match result {
        "pass" => Status::Pass,
        "fail" | "softfail" | "permerror" | "hardfail" | "policy" => Status::Fail,
        _ => Status::Warn,
    }
}

pub(super) fn auth_checks(
    parsed: &ParsedInput<'_>,
    trusted: &[AuthResults],
    received_spf: Option<&ReceivedSpf>,
    section: &mut MessageSection,
    checks: &mut Vec<Check>,
) {
    for ar in trusted {
        for r in &ar.results {
            section.auth_results.push(AuthResultSummary {
                authserv_id: ar.authserv_id.clone(),
                method: r.method.clone(),
                result: r.result.clone(),
                details: summarise_properties(r),
            });
        }
    }
    let receiver = trusted
        .first()
        .map(|ar| {
            if ar.authserv_id.is_empty() {
                "the receiving server (no authserv-id)".to_string()
            } else {
                ar.authserv_id.clone()
            }
        })
        .unwrap_or_default();

    for (method, id) in [
        ("spf", "msg.auth.spf"),
        ("dkim", "msg.auth.dkim"),
        ("dmarc", "msg.auth.dmarc"),
    ] {
        let results: Vec<&authres::MethodResult> =
            trusted.iter().flat_map(|ar| ar.method(method)).collect();
        if trusted.is_empty() && method == "spf" {
            // No Authentication-Results, but the receiver may still have
            // recorded its SPF verdict in Received-SPF (RFC 7208 §9.1).
            if let Some(spf) = received_spf {
                let mut detail = format!("Received-SPF: {}", spf.result);
                for key in ["envelope-from", "client-ip", "helo"] {
                    if let Some(v) = spf.get(key) {
                        detail.push_str(&format!(" {key}={v}"));
                    }
                }
                checks.push(Check::new(id, auth_status(&spf.result), detail));
                continue;
            }
        }
        if trusted.is_empty() {
            checks.push(Check::new(
                id,
                Status::NotTested,
                "no Authentication-Results header: the receiving server's verdict is not in the paste",
            ));
            continue;
        }
        if results.is_empty() {
            checks.push(Check::new(
                id,
                Status::Warn,
                format!("{receiver} recorded no {method} result"),
            ));
            continue;
        }
        // One passing DKIM signature is enough (RFC 6376 §6.1).
        let best = results
            .iter()
            .find(|r| r.result == "pass")
            .copied()
            .unwrap_or(results[0]);
        let all: Vec<String> = results
            .iter()
            .map(|r| match summarise_properties(r) {
                Some(p) => format!("{}={} ({p})", method, r.result),
                None => format!("{}={}", method, r.result),
            })
            .collect();
        checks.push(Check::new(
            id,
            auth_status(&best.result),
            format!("{receiver}: {}", all.join("; ")),
        ));
    }

    // ARC: the chain's structure, and the receiver's arc= result.
    let arc = parse_arc_chain(parsed);
    let receiver_arc = trusted
        .iter()
        .flat_map(|ar| ar.method("arc"))
        .next()
        .map(|r| r.result.clone());
    match &arc.status {
        ArcChainStatus::None => {
            checks.push(Check::new(
                "msg.auth.arc",
                Status::NotApplicable,
                "no ARC headers: the message was not sealed by an intermediary",
            ));
        }
        status => {
            let (structure, problem) = match status {
                ArcChainStatus::Fail(why) => ("fail", Some(why.clone())),
                _ => ("pass", None),
            };
            let sealer = arc.last_sealer().unwrap_or("?");
            let mut detail = format!(
                "{} ARC set(s), last sealed by {sealer}; structure {structure}",
                arc.sets.len()
            );
            if let Some(why) = &problem {
                detail.push_str(&format!(" ({why})"));
            }
            if let Some(r) = &receiver_arc {
                detail.push_str(&format!("; receiver recorded arc={r}"));
            }
            let status = match (&problem, receiver_arc.as_deref()) {
                (Some(_), _) => Status::Warn,
                (None, Some("pass")) => Status::Pass,
                (None, Some(_)) => Status::Warn,
                (None, None) => Status::Info,
            };
            checks.push(Check::new("msg.auth.arc", status, detail));
            section.arc = Some(ArcSummary {
                sets: arc.sets.len() as u32,
                structure: structure.to_string(),
                problem,
                last_sealer: arc.last_sealer().map(str::to_string),
                receiver_result: receiver_arc,
            });
        }
    }
}

pub(super) fn dkim_checks(
    parsed: &ParsedInput<'_>,
    signatures: &[DkimSignature],
    trusted: &[AuthResults],
    chain: &Chain,
    report_time: Option<i64>,
    section: &mut MessageSection,
    checks: &mut Vec<Check>,
) {
    if signatures.is_empty() {
        checks.push(Check::new(
            "msg.dkim-signature",
            Status::NotApplicable,
            "no DKIM-Signature header",
        ));
        return;
    }
    // From the parse: `chain_checks` moved the hops' report view into the
    // section.
    let delivery_time = chain
        .hops
        .last()
        .and_then(|h| h.received.date)
        .map(|d| d.unix_seconds());
    let counts = HeaderCounts::of(parsed);
    // The receiver's DKIM results by (d=, s=) and by d= alone, built once so
    // that many signatures and many results stay linear.
    let mut by_selector: HashMap<(String, String), String> = HashMap::new();
    let mut by_domain: HashMap<String, String> = HashMap::new();
    for r in trusted.iter().flat_map(|ar| ar.method("dkim")) {
        let Some(d) = r
            .property("header", "d")
            .or_else(|| r.property("header", "i"))
            .and_then(domain_of)
        else {
            continue;
        };
        match r.property("header", "s") {
            Some(s) => {
                by_selector
                    .entry((d, s.to_ascii_lowercase()))
                    .or_insert_with(|| r.result.clone());
            }
            None => {
                by_domain.entry(d).or_insert_with(|| r.result.clone());
            }
        }
    }
    for sig in signatures {
        let domain = sig.domain.clone().unwrap_or_default();
        let selector = sig.selector.clone().unwrap_or_default();
        let result = by_selector
            .get(&(domain.clone(), selector.to_ascii_lowercase()))
            .or_else(|| by_domain.get(&domain))
            .cloned();
        section.dkim_signatures.push(DkimSignatureSummary {
            domain: domain.clone(),
            selector: selector.clone(),
            algorithm: sig.algorithm.clone().unwrap_or_default(),
            signed_headers: sig.signed_headers_lower(),
            canonicalization: sig.canonicalization.clone(),
            body_length: sig.body_length,
            timestamp: sig.timestamp,
            expiration: sig.expiration,
            result,
            verified: None,
            failure: None,
            verify_detail: None,
            body_change: None,
            changed_text: None,
        });
        let findings = lint_dkim_signature_with_counts(sig, &counts, report_time, delivery_time);
        let subject = format!("d={domain} s={selector}");
        let worst = findings
            .iter()
            .map(|f| f.status)
            .filter(|s| matches!(s, Status::Fail | Status::Warn))
            .min();
        let detail = if findings.is_empty() {
            format!(
                "{subject} a={}: tags are sound",
                sig.algorithm.as_deref().unwrap_or("?")
            )
        } else {
            let texts: Vec<String> = findings
                .iter()
                .map(|f| format!("{} ({})", f.message, f.rfc))
                .collect();
            format!(
                "{subject} a={}: {}",
                sig.algorithm.as_deref().unwrap_or("?"),
                texts.join("; ")
            )
        };
        checks.push(
            Check::new("msg.dkim-signature", worst.unwrap_or(Status::Pass), detail)
                .with_subject(subject),
        );
    }
}

fn aligned_summary(identity: &IdentityAlignment) -> AlignedIdentity {
    AlignedIdentity {
        domain: identity.domain.clone(),
        org_domain: identity.org_domain.clone(),
        relaxed: identity.relaxed,
        strict: identity.strict,
    }
}

pub(super) fn alignment_check(
    parsed: &ParsedInput<'_>,
    signatures: &[DkimSignature],
    trusted: &[AuthResults],
    received_spf: Option<&ReceivedSpf>,
    section: &mut MessageSection,
    checks: &mut Vec<Check>,
) {
    let Some(from) = section.from.as_ref() else {
        checks.push(Check::new(
            "msg.dmarc-alignment",
            Status::NotTested,
            "no single From domain to align with",
        ));
        return;
    };
    let return_path = parsed.first("return-path").map(|h| h.value.clone());
    // Only Received-SPF: an aligned SPF pass is enough for DMARC.
    if trusted.is_empty() {
        if let Some(spf) = received_spf.filter(|s| s.result == "pass") {
            let domain = spf
                .get("envelope-from")
                .and_then(domain_of)
                .or_else(|| return_path.as_deref().and_then(domain_of));
            if let Some(domain) = domain {
                let a = compute_alignment(&from.domain, &[], Some(&domain));
                if a.relaxed_pass() {
                    checks.push(Check::new(
                        "msg.dmarc-alignment",
                        Status::Pass,
                        format!(
                            "From {}: SPF (Received-SPF pass) for {domain} {}; DKIM results unknown (no Authentication-Results)",
                            a.from_domain,
                            a.spf.as_ref().map_or("", aligned_word)
                        ),
                    ));
                    section.alignment = Some(AlignmentSummary {
                        from_domain: a.from_domain.clone(),
                        from_org_domain: a.from_org_domain.clone(),
                        dkim: Vec::new(),
                        spf: a.spf.as_ref().map(aligned_summary),
                        relaxed: a.relaxed_pass(),
                        strict: a.strict_pass(),
                    });
                    return;
                }
            }
        }
    }
    if trusted.is_empty() {
        // We cannot tell what passed; show which identities would align.
        let dkim: Vec<String> = signatures.iter().filter_map(|s| s.domain.clone()).collect();
        let rp = return_path.as_deref().and_then(domain_of);
        let a = compute_alignment(&from.domain, &dkim, rp.as_deref());
        let mut parts: Vec<String> = a
            .dkim
            .iter()
            .map(|d| format!("DKIM d={} {}", d.domain, aligned_word(d)))
            .collect();
        if let Some(s) = &a.spf {
            parts.push(format!("Return-Path {} {}", s.domain, aligned_word(s)));
        }
        let found = if parts.is_empty() {
            "no DKIM-Signature or Return-Path to compare".to_string()
        } else {
            parts.join("; ")
        };
        checks.push(Check::new(
            "msg.dmarc-alignment",
            Status::NotTested,
            format!(
                "no Authentication-Results, so we cannot know which identities passed. From {}: {found}",
                from.domain
            ),
        ));
        return;
    }
    let ids = passed_identities(trusted, return_path.as_deref());
    let a = compute_alignment(&from.domain, &ids.dkim, ids.spf_pass_domain());
    let mut parts: Vec<String> = a
        .dkim
        .iter()
        .map(|d| format!("DKIM d={} {}", d.domain, aligned_word(d)))
        .collect();
    match (&a.spf, ids.spf_result.as_deref()) {
        (Some(s), _) => parts.push(format!("SPF {} {}", s.domain, aligned_word(s))),
        (None, Some(r)) => parts.push(format!("SPF {r} (cannot align)")),
        (None, None) => parts.push("no SPF result".to_string()),
    }
    if a.dkim.is_empty() {
        parts.insert(0, "no passing DKIM signature".to_string());
    }
    let status = if a.relaxed_pass() {
        Status::Pass
    } else {
        Status::Fail
    };
    let mode = if a.strict_pass() {
        "aligned in strict and relaxed mode"
    } else if a.relaxed_pass() {
        "aligned in relaxed mode only (fails adkim=s/aspf=s)"
    } else {
        "not aligned"
    };
    let mut check = Check::new(
        "msg.dmarc-alignment",
        status,
        format!(
            "From {} (organizational domain {}): {mode}. {}",
            a.from_domain,
            a.from_org_domain,
            parts.join("; ")
        ),
    );
    if status == Status::Fail {
        check = check.with_fix(format!(
            "Sign with DKIM d={} (or a subdomain of {}), or send with a MAIL FROM under {}.",
            a.from_domain, a.from_org_domain, a.from_org_domain
        ));
    }
    checks.push(check);
    section.alignment = Some(AlignmentSummary {
        from_domain: a.from_domain.clone(),
        from_org_domain: a.from_org_domain.clone(),
        dkim: a.dkim.iter().map(aligned_summary).collect(),
        spf: a.spf.as_ref().map(aligned_summary),
        relaxed: a.relaxed_pass(),
        strict: a.strict_pass(),
    });
}

fn aligned_word(identity: &IdentityAlignment) -> &'static str {
    if identity.strict {
        "aligned (strict)"
    } else if identity.relaxed {
        "aligned (relaxed)"
    } else {
        "not aligned"
    }
}
