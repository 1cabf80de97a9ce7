//! The bounce card: what a bounce says, per failed recipient, in plain
//! words (the verdict, who must act, the next step), from `message.bounce`
//! as the shared bounce reader (`mxlens_shared::smtp::bounce::read`) gives
//! it. Shown at the top of a pasted bounce's report and under "Explain an
//! SMTP error". Reuses the SMTP explainer's classes: no new CSS.

use mxlens_shared::report::{BounceAction, BounceReport, BouncedRecipient};
use yew::prelude::*;

fn recipient(r: &BouncedRecipient) -> Html {
    let (icon, word, css) = match (r.action, r.permanent) {
        (BounceAction::Failed, true) => ("✘", "failed", "s-fail"),
        (BounceAction::Failed, false) => ("▲", "failed (temporary)", "s-warn"),
        (BounceAction::Delayed, _) => ("▲", "delayed", "s-warn"),
    };
    let codes = [r.reply_code.map(|c| c.to_string()), r.status.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut rows = vec![
        ("Verdict", r.reason.verdict().to_string()),
        ("Who must act", r.who_must_act.label().to_string()),
        ("Next step", r.next_step.clone()),
        ("Codes", codes),
        ("Reason", r.reason.as_str().to_string()),
        ("Server said", r.diagnostic.clone().unwrap_or_default()),
        ("Remote server", r.remote_mta.clone().unwrap_or_default()),
        ("References", r.refs.join(", ")),
    ];
    if let Some(note) = &r.note {
        rows.push(("Note", note.clone()));
    }
    let who = r.recipient.as_deref().unwrap_or("Recipient not named");
    html! {
        <article class="smtp-explanation bounce-recipient" aria-label={format!("Bounced recipient {who}")}>
            <h3><code>{ who.to_string() }</code>{" "}{ super::badge(icon, word, css) }</h3>
            { super::facts(rows) }
        </article>
    }
}

/// The card at the top of a pasted bounce's report.
pub fn bounce_card(b: &BounceReport, on_audit: Option<&Callback<String>>) -> Html {
    html! {
        <section class="card smtp-card bounce-card" aria-labelledby="bounce-heading">
            <h2 id="bounce-heading">{ heading(b.recipients.len()) }</h2>
            { bounce_body(b, on_audit) }
        </section>
    }
}

/// "Bounce: 1 recipient not delivered", "Bounce: 3 recipients not delivered".
fn heading(n: usize) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("Bounce: {n} recipient{plural} not delivered")
}

/// The card's content: each recipient, then what the bounce quotes of the
/// original message. `on_audit` offers "Audit <sender-domain>" for the
/// original's sender (`None` hides it).
pub fn bounce_body(b: &BounceReport, on_audit: Option<&Callback<String>>) -> Html {
    let original = b.original.as_ref();
    let facts = vec![
        ("Reported by", b.reporting_mta.clone().unwrap_or_default()),
        ("Format", b.format.clone().unwrap_or_default()),
    ];
    let quoted = original.map(|o| {
        html! {
            <>
                <h3>{ "The message that bounced" }</h3>
                { super::facts(vec![
                    ("Sender", o.from.clone().unwrap_or_default()),
                    ("Subject", o.subject.clone().unwrap_or_default()),
                    ("Signed by (DKIM d=)", o.dkim_domains.join(", ")),
                    ("Sent from IP", o.sending_ip.clone().unwrap_or_default()),
                ]) }
            </>
        }
    });
    let domain = original.and_then(|o| o.from_domain.clone());
    html! {
        <div class="bounce">
            { for b.recipients.iter().map(recipient) }
            { super::facts(facts) }
            { for quoted }
            { super::audit_button(on_audit, domain, "Checks the original sender's DNS and mail servers: most refusals come from its records or IP reputation.") }
        </div>
    }
}
