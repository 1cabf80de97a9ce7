//! The mailbox probe (`smtp.rcpt`) in the mail-servers card: the verdict
//! (icon and word from the check, the sentence from `domain.rcpt`), the raw
//! reply to RCPT TO, its basic and enhanced codes explained, the catch-all
//! test and, for greylisting, when to retry. Every sentence comes from
//! `shared` (the check and the `domain.rcpt` entry it builds, see
//! `docs/report-schema.md`); this file only lays them out. The entry is the
//! typed `report::RcptFacts`, read by `shared`'s hand-written decoder.

use mxlens_shared::report::{ids, Check, RcptFacts, Status};
use yew::prelude::*;

/// The probe block, or nothing when the audit asked about no address.
pub fn rcpt_probe(entry: &RcptFacts, checks: &[Check]) -> Html {
    let address = entry.address.as_str();
    let check = checks
        .iter()
        .filter(|c| c.id == ids::SMTP_RCPT)
        .find(|c| c.subject.as_deref() == Some(address))
        .or_else(|| checks.iter().find(|c| c.id == ids::SMTP_RCPT));
    let explained = entry
        .rcpt_explained
        .as_ref()
        .or(entry.failure_explained.as_ref());
    let raw = entry
        .rcpt
        .as_ref()
        .or_else(|| entry.failure.as_ref().and_then(|f| f.reply.as_ref()))
        .map(|r| r.raw.as_str());
    let tls = if entry.tls {
        "over TLS (STARTTLS)"
    } else {
        "without TLS"
    };
    let sender = entry.sender.as_str();
    // Reports made before `verdict_text` existed: the check says it all.
    let verdict = match entry.verdict_text.as_str() {
        "" => check.map_or("", |c| c.detail.as_str()),
        v => v,
    };
    // Icon and word, never colour alone (the check row below has the badge).
    let (icon, word) = match check.map(|c| c.status) {
        Some(Status::Pass) => ("✔", "pass"),
        Some(Status::Fail) => ("✘", "fail"),
        Some(Status::Warn) => ("▲", "warn"),
        Some(Status::Info) => ("ℹ", "info"),
        _ => ("–", "not tested"),
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("Verdict", format!("{icon} {word}: {verdict}")),
        (
            "Asked",
            format!(
                "{} ({}), {tls}; MAIL FROM:<{sender}>, RCPT TO:<{address}>; no DATA.",
                entry.host, entry.ip,
            ),
        ),
    ];
    if let Some(raw) = raw {
        rows.push(("Reply to RCPT TO", raw.to_string()));
    }
    if let Some(e) = explained {
        // The codes and their meanings, from the explainer in `shared`.
        let basic = e.basic_code.map(|c| format!("{c}: "));
        let enhanced = e.enhanced_code.as_deref().map(|c| format!("{c}: "));
        for (label, code, t) in [
            ("Basic code", basic, &e.basic_meaning),
            ("Enhanced code", enhanced, &e.enhanced_meaning),
            ("Likely cause", None, &e.likely_cause),
            ("What to do", None, &e.what_to_do),
        ] {
            if !t.is_empty() {
                rows.push((label, format!("{}{t}", code.unwrap_or_default())));
            }
        }
    }
    if let Some(f) = &entry.failure {
        rows.push((
            "Stopped",
            format!("at step {}: {}", f.step.as_str(), f.message),
        ));
    }
    rows.push(("Catch-all test", entry.catch_all_text.clone()));
    if let Some(hint) = &entry.retry_hint {
        rows.push(("Retry", hint.clone()));
    }
    html! {
        <section class="rcpt-probe" aria-labelledby="rcpt-heading" data-verdict={entry.verdict.as_str()}>
            <h4 id="rcpt-heading">{ format!("Mailbox probe: {address}") }</h4>
            <dl class="facts">
                { for rows.into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd class="lines">{ v }</dd></> }) }
            </dl>
        </section>
    }
}
