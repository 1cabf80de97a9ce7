//! One report of kind `delivery` from what the receiver stored (the raw
//! message and the [`ConnectionFacts`]) and what was evaluated live for it
//! (the [`Evaluation`] and the audit of the From domain). Deterministic: the
//! same inputs give the same report, so a stored delivery is recomputed
//! from its raw message and facts.

use crate::dkim::verify::{Failure, Outcome};
use crate::dmarc::alignment::domain_of;
use crate::dmarc::Alignment;
use crate::message::verified::{apply_verification, MessageVerification};
use crate::message::{analyze_message, InputError, MAX_INPUT_BYTES};
use crate::org_domain::{aligned_relaxed, aligned_strict};
use crate::report::combine::combine;
use crate::report::{
    catalog, ids, Check, ChecklistStatus, ConnectionFacts, DeliverySection, LookupOutcome, Report,
    ReportKind, Status,
};
use crate::spf::eval::SpfResult;

use super::evaluate::{helo_check, tls_check, Evaluation};
use super::trace::{strip_forged_auth_results, trace_fields, Verdicts};

/// mxlens's own DKIM verdict for one signature: (d=, s=, result word).
/// `None` when no verification ran (no keys could be fetched): then no
/// `dkim` result is claimed, the checks that need one say `not_tested`,
/// and DMARC is decided on SPF alone when SPF is aligned.
pub type DkimVerdicts = Option<Vec<(String, String, String)>>;

/// The RFC 8601 §2.7.1 result words of mxlens's own verification: `pass`,
/// `fail` for a signature that does not verify, `permerror` for one that
/// cannot be (no key, a malformed signature), `temperror` when the key
/// could not be fetched.
pub fn dkim_verdicts(verification: &MessageVerification) -> Vec<(String, String, String)> {
    verification
        .dkim
        .iter()
        .map(|v| {
            let word = match v.outcome {
                Outcome::Verified => "pass",
                Outcome::Failed(Failure::KeyMissing | Failure::Syntax) => "permerror",
                Outcome::Failed(_) => "fail",
                Outcome::NotVerified => "temperror",
            };
            (v.domain.clone(), v.selector.clone(), word.to_string())
        })
        .collect()
}

/// What a delivery report is made of.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryInput<'a> {
    /// The message as it arrived (after dot-unstuffing).
    pub raw: &'a [u8],
    /// The SMTP transaction.
    pub facts: &'a ConnectionFacts,
    /// The receiver's queue id for it (the report id).
    pub queue_id: &'a str,
    /// Live findings for the connection.
    pub evaluation: &'a Evaluation,
    /// mxlens's own DKIM and ARC verification of `raw` (keys fetched with
    /// the receiver's resolver), when it ran.
    pub verification: Option<&'a MessageVerification>,
    /// The audit of [`audit_domain`], when it ran.
    pub audit: Option<&'a Report>,
    /// RFC 3339 time stamped on the report.
    pub generated_at: &'a str,
}

/// The domain whose live audit belongs to the report: the From domain,
/// else the MAIL FROM domain (RFC 7489 evaluates the former; SPF the
/// latter). `None` when neither is known.
pub fn audit_domain(raw: &[u8], facts: &ConnectionFacts) -> Option<String> {
    from_domain(raw).or_else(|| domain_of(&facts.mail_from))
}

/// The DKIM selectors that signed `raw` for `domain` (for the audit).
pub fn signing_selectors(raw: &[u8], domain: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (d, s) in crate::message::dkim_selectors(raw) {
        if d.trim_end_matches('.').eq_ignore_ascii_case(domain) && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn from_domain(raw: &[u8]) -> Option<String> {
    let parsed = crate::message::input::parse_input(raw);
    let (_, address) = parsed.from_mailbox()?;
    address.contains('@').then(|| domain_of(&address)).flatten()
}

/// The DMARC result mxlens computes (RFC 7489 §4.2, §3.1): pass when an
/// aligned identity passed; fail when none did and every DKIM verdict is
/// known; `none` without a record; `None` when it cannot be decided.
fn dmarc_result(
    from: Option<&str>,
    facts: &ConnectionFacts,
    spf: Option<SpfResult>,
    dkim: &DkimVerdicts,
    unsigned: bool,
    audit: Option<&Report>,
) -> (Option<String>, Option<String>) {
    let Some(from) = from else {
        return (None, None);
    };
    let Some(audit) = audit else {
        return (None, None);
    };
    let record = audit.domain.as_ref().and_then(|d| d.dmarc.as_ref());
    let policy = record
        .and_then(|r| r.policy)
        .map(|p| p.as_str().to_string());
    let Some(record) = record else {
        // No record, or several (RFC 7489 §6.6.3: then none applies), is
        // "none"; a DMARC lookup that failed (or did not finish) is not
        // "no record".
        let discovery = audit
            .domain
            .as_ref()
            .and_then(|d| d.dmarc_discovery.as_ref());
        return match discovery.map(|d| d.result) {
            Some(LookupOutcome::NotFound | LookupOutcome::Multiple) => (Some("none".into()), None),
            _ => (Some("temperror".into()), None),
        };
    };
    // The record's `adkim=` / `aspf=` (RFC 7489 §3.1.1, §3.1.2): relaxed
    // unless it says strict.
    let aligned = |identity: &str, mode: Option<Alignment>| {
        if mode == Some(Alignment::Strict) {
            aligned_strict(identity, from)
        } else {
            aligned_relaxed(identity, from)
        }
    };
    let spf_aligned = spf == Some(SpfResult::Pass)
        && domain_of(&facts.mail_from).is_some_and(|d| aligned(&d, record.tags.aspf));
    let dkim_aligned = dkim.as_ref().is_some_and(|verdicts| {
        verdicts
            .iter()
            .any(|(d, _, result)| result == "pass" && aligned(d, record.tags.adkim))
    });
    let result = if spf_aligned || dkim_aligned {
        Some("pass")
    } else if dkim.is_some() || unsigned {
        Some("fail")
    } else {
        None
    };
    (result.map(str::to_string), policy)
}

/// Builds the delivery report.
pub fn assemble(input: DeliveryInput<'_>) -> Result<Report, InputError> {
    let facts = input.facts;
    let message = strip_forged_auth_results(input.raw, &facts.received_by);
    let from = from_domain(&message);
    let unsigned = crate::message::dkim_selectors(&message).is_empty();
    let spf = input.evaluation.spf_mail_from.as_ref().map(|o| o.result);
    let dkim: DkimVerdicts = input.verification.map(dkim_verdicts);
    let (dmarc, dmarc_policy) =
        dmarc_result(from.as_deref(), facts, spf, &dkim, unsigned, input.audit);
    let verdicts = Verdicts {
        spf: spf.map_or("temperror", SpfResult::as_str).to_string(),
        spf_helo: input
            .evaluation
            .spf_helo
            .as_ref()
            .map(|o| o.result.as_str().to_string()),
        dkim: dkim.clone().unwrap_or_default(),
        unsigned,
        dmarc: dmarc.clone(),
        from_domain: from.clone(),
    };
    let ptr_name = input.evaluation.ptr.confirmed.first().map(String::as_str);
    let mut traced = trace_fields(facts, ptr_name, input.queue_id, &verdicts).into_bytes();
    // The analysis reads at most MAX_INPUT_BYTES: a bigger message is
    // analysed on its first part (all headers, the start of the body).
    let room = MAX_INPUT_BYTES.saturating_sub(traced.len());
    let truncated = message.len() > room;
    traced.extend_from_slice(&message[..message.len().min(room)]);
    let mut report = analyze_message(&traced, input.generated_at)?;
    match input.verification {
        // The trace fields add no DKIM-Signature, so the signatures of the
        // report are those verified, in the same order.
        Some(verification) => apply_verification(&mut report, verification),
        None if !unsigned => mark_dkim_unverified(&mut report, dmarc.is_none()),
        None => {}
    }
    let mut report = match input.audit {
        Some(audit) => combine(report, audit.clone(), input.generated_at.to_string()),
        None => report,
    };
    report.kind = ReportKind::Delivery;
    let mut checks = vec![
        received_check(facts, input.evaluation, truncated),
        helo_check(facts, input.evaluation),
        tls_check(facts),
    ];
    if input.audit.is_none() {
        if let Some(ip) = input.evaluation.ip {
            let facts = input
                .evaluation
                .ptr
                .facts(ip, crate::report::PtrRole::Sender, None);
            checks.push(crate::audit::ptr::ptr_check(&facts));
        }
    }
    report.checks.extend(checks);
    report.checks.sort_by_cached_key(|c| catalog::order(&c.id));
    report.rescore();
    report.delivery = Some(DeliverySection {
        connection: facts.clone(),
        ptr: input.evaluation.ptr.names.clone(),
        fcrdns: input
            .evaluation
            .ptr
            .failed
            .is_none()
            .then_some(!input.evaluation.ptr.confirmed.is_empty()),
        spf_mail_from: verdicts.spf.clone(),
        spf_helo: verdicts.spf_helo.clone(),
        dkim: match (&dkim, unsigned) {
            (_, true) => "none".to_string(),
            (Some(v), false) if v.iter().any(|(_, _, r)| r == "pass") => "pass".to_string(),
            (Some(_), false) => "fail".to_string(),
            (None, false) => "not_verified".to_string(),
        },
        dmarc: dmarc.unwrap_or_else(|| "unknown".to_string()),
        dmarc_policy,
        audited_domain: input
            .audit
            .and_then(|a| a.domain.as_ref())
            .map(|d| d.name.clone()),
    });
    Ok(report)
}

/// `delivery.received`: the transaction in one line (info).
fn received_check(facts: &ConnectionFacts, evaluation: &Evaluation, truncated: bool) -> Check {
    let ptr = match evaluation.ptr.names.first() {
        Some(name) => name.clone(),
        None => "no PTR".to_string(),
    };
    let tls = match (&facts.tls_version, facts.starttls) {
        (Some(v), true) => format!("STARTTLS {v}"),
        _ => "no TLS".to_string(),
    };
    let mail_from = if facts.mail_from.is_empty() {
        "<> (null sender)".to_string()
    } else {
        facts.mail_from.clone()
    };
    let mut detail = format!(
        "from {} ({ptr}), HELO {}, MAIL FROM {mail_from}, {} octets, {tls}",
        facts.client_ip,
        if facts.helo.is_empty() {
            "none"
        } else {
            &facts.helo
        },
        facts.size
    );
    if let Some(proxy) = &facts.proxied_by {
        detail.push_str(&format!(", through the proxy {proxy}"));
    }
    if truncated {
        detail.push_str(&format!(
            "; the message is over {MAX_INPUT_BYTES} octets, so its body was analysed up to that size"
        ));
    }
    Check::new("delivery.received", Status::Info, detail).with_subject(facts.client_ip.clone())
}

/// The verification hook's other half: without mxlens's own DKIM verdict,
/// the checks that would read one say `not_tested` rather than failing the
/// sender for a result nobody computed.
fn mark_dkim_unverified(report: &mut Report, dmarc_unknown: bool) {
    const WHY: &str = "mxlens did not verify the DKIM signatures of this delivery, so there is no DKIM result of its own; the signatures are listed, and their keys are checked by the domain audit";
    for check in &mut report.checks {
        let affected = match &*check.id {
            ids::MSG_AUTH_DKIM => true,
            ids::MSG_AUTH_DMARC => dmarc_unknown,
            ids::MSG_DMARC_ALIGNMENT => check.status == Status::Fail,
            _ => false,
        };
        if affected {
            check.status = Status::NotTested;
            check.detail = format!("{}: {WHY}", check.detail);
            check.fix = None;
        }
    }
    for item in &mut report.checklists.bulk_sender {
        if matches!(
            item.id.as_ref(),
            ids::BULK_SPF_AND_DKIM | ids::BULK_ALIGNMENT
        ) && item.status == ChecklistStatus::Fail
        {
            item.status = ChecklistStatus::Manual;
            item.detail = format!("{} ({WHY})", item.detail);
        }
    }
    report.rescore();
}
