//! The mailbox probe (`smtp.rcpt`) in the mail-servers card: the verdict
//! (icon and word from the check, the sentence from `domain.rcpt`), the raw
//! reply to RCPT TO, its basic and enhanced codes explained, the catch-all
//! test and, for greylisting, when to retry. Every sentence comes from
//! `shared` (the check and the `domain.rcpt` entry it builds, see
//! `docs/report-schema.md`); this file only lays them out. Read as JSON
//! values, like the SMTP table, so the bundle carries no deserializer.

use mxlens_shared::report::{Check, Status};
use serde_json::Value;
use yew::prelude::*;

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The probe block, or nothing when the audit asked about no address.
pub fn rcpt_probe(entry: &Value, checks: &[Check]) -> Html {
    let address = text(entry, "/address");
    let check = checks
        .iter()
        .filter(|c| c.id == "smtp.rcpt")
        .find(|c| c.subject.as_deref() == Some(address))
        .or_else(|| checks.iter().find(|c| c.id == "smtp.rcpt"));
    let explained = entry
        .get("rcpt_explained")
        .filter(|v| v.is_object())
        .or_else(|| entry.get("failure_explained").filter(|v| v.is_object()));
    let raw = entry
        .pointer("/rcpt/raw")
        .or_else(|| entry.pointer("/failure/reply/raw"))
        .and_then(Value::as_str);
    let tls = if entry.get("tls").and_then(Value::as_bool) == Some(true) {
        "over TLS (STARTTLS)"
    } else {
        "without TLS"
    };
    let sender = text(entry, "/sender");
    // Reports made before `verdict_text` existed: the check says it all.
    let verdict = match text(entry, "/verdict_text") {
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
                text(entry, "/host"),
                text(entry, "/ip"),
            ),
        ),
    ];
    if let Some(raw) = raw {
        rows.push(("Reply to RCPT TO", raw.to_string()));
    }
    if let Some(e) = explained {
        // The codes and their meanings, from the explainer in `shared`.
        for (label, key) in [
            ("Basic code", "/basic_meaning"),
            ("Enhanced code", "/enhanced_meaning"),
            ("Likely cause", "/likely_cause"),
            ("What to do", "/what_to_do"),
        ] {
            let t = text(e, key);
            if !t.is_empty() {
                let code = match key {
                    "/basic_meaning" => e
                        .get("basic_code")
                        .and_then(Value::as_u64)
                        .map(|c| format!("{c}: ")),
                    "/enhanced_meaning" => e
                        .get("enhanced_code")
                        .and_then(Value::as_str)
                        .map(|c| format!("{c}: ")),
                    _ => None,
                };
                rows.push((label, format!("{}{t}", code.unwrap_or_default())));
            }
        }
    }
    if let Some(f) = entry.get("failure").filter(|f| f.is_object()) {
        rows.push((
            "Stopped",
            format!("at step {}: {}", text(f, "/step"), text(f, "/message")),
        ));
    }
    rows.push(("Catch-all test", text(entry, "/catch_all_text").to_string()));
    if let Some(hint) = entry.get("retry_hint").and_then(Value::as_str) {
        rows.push(("Retry", hint.to_string()));
    }
    html! {
        <section class="rcpt-probe" aria-labelledby="rcpt-heading" data-verdict={text(entry, "/verdict").to_string()}>
            <h4 id="rcpt-heading">{ format!("Mailbox probe: {address}") }</h4>
            <dl class="facts">
                { for rows.into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd class="lines">{ v }</dd></> }) }
            </dl>
        </section>
    }
}
