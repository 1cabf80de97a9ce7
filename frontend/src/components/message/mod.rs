//! The message report's own sections, in the order of the UI reference:
//! Route (hop timeline), Authentication (results and alignment diagram),
//! Signatures (DKIM-Signature table), Spam filters (decoded verdicts) and
//! Content (body, links, attachments, blocklists), plus the "Audit
//! <from-domain>" button; the bounce card at the top of a pasted bounce;
//! and the home page's "Explain an SMTP error" entry point and
//! header-copying help.

pub mod auth;
pub mod bounce;
pub mod content;
pub mod explain;
pub mod help;
pub mod summary;
pub mod tables;
pub mod timeline;

use mxlens_shared::report::{MessageSection, ReputationSection};
use yew::prelude::*;

/// A text node.
pub fn text(value: impl Into<AttrValue>) -> Html {
    Html::from(yew::virtual_dom::VText::new(value))
}

/// A table named `label`, with column headers and rows of cells; the first
/// cell of each row is its row header. One element template for all cells
/// keeps the bundle small (every `html!` element costs code).
pub fn table(
    class: &'static str,
    label: String,
    head: &[&'static str],
    rows: Vec<Vec<Html>>,
) -> Html {
    html! {
        <div class="table-scroll">
            <table class={class} aria-label={label}>
                <thead><tr>{ for head.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
                <tbody>
                { for rows.into_iter().map(|row| html! {
                    <tr>
                    { for row.into_iter().enumerate().map(|(i, cell)| if i == 0 {
                        html! { <th scope="row">{ cell }</th> }
                    } else {
                        html! { <td>{ cell }</td> }
                    }) }
                    </tr>
                }) }
                </tbody>
            </table>
        </div>
    }
}

/// A status badge: an icon (hidden from screen readers) and a word, coloured
/// by `class` (`s-pass`, `s-warn`...): never colour alone.
pub fn badge(icon: &str, word: &str, class: &'static str) -> Html {
    html! {
        <span class={format!("badge {class}")}><span aria-hidden="true">{ icon.to_string() }</span>{ format!(" {word}") }</span>
    }
}

/// Term and description rows as a definition list; empty ones are left out.
pub fn facts<K: AsRef<str>>(rows: Vec<(K, String)>) -> Html {
    html! {
        <dl class="smtp-facts">
            { for rows.into_iter().filter(|(k, v)| !k.as_ref().is_empty() && !v.is_empty()).map(|(k, v)| html! { <><dt>{ k.as_ref().to_string() }</dt><dd>{ v }</dd></> }) }
        </dl>
    }
}

/// The "Audit <domain>" button, when there is a callback and a domain.
pub fn audit_button(
    on_audit: Option<&Callback<String>>,
    domain: Option<String>,
    why: &'static str,
) -> Html {
    match (on_audit, domain.filter(|d| !d.is_empty())) {
        (Some(cb), Some(domain)) => {
            let cb = cb.clone();
            let d = domain.clone();
            html! {
                <p class="audit-from">
                    <button type="button" class="secondary" onclick={Callback::from(move |_| cb.emit(d.clone()))}>
                        { format!("Audit {domain}") }
                    </button>
                    <span class="muted">{ format!(" {why}") }</span>
                </p>
            }
        }
        _ => html! {},
    }
}

/// The message sections. `on_audit` starts the audit of the From domain;
/// `None` hides the button (a stored report, or a combined report that
/// already has the audit). For a bounce that quotes its original, the
/// bounce card offers the audit of the original's sender instead (the
/// bounce's own From is the mailer daemon). Plain functions rather than
/// components keep the bundle small.
pub fn message_sections(
    m: &MessageSection,
    reputation: Option<&ReputationSection>,
    on_audit: Option<&Callback<String>>,
) -> Html {
    let quoted_sender = m
        .bounce
        .as_ref()
        .and_then(|b| b.original.as_ref())
        .is_some_and(|o| o.from_domain.is_some());
    let from_domain = m
        .from
        .as_ref()
        .map(|f| f.domain.clone())
        .filter(|_| !quoted_sender);
    let audit_button = audit_button(
        on_audit,
        from_domain,
        "Checks the sending domain's DNS and mail servers, with this message's DKIM selectors and sending IP.",
    );
    html! {
        <div class="message-sections">
            { audit_button }
            <section class="msg-section" aria-labelledby="route-heading">
                <h3 id="route-heading">{"Route"}</h3>
                { timeline::hop_timeline(&timeline::HopTimelineProps { hops: &m.hops, sending_ip: m.sending_ip.as_deref(), total_delay_seconds: m.total_delay_seconds }) }
            </section>
            <section class="msg-section" aria-labelledby="auth-heading">
                <h3 id="auth-heading">{"Authentication"}</h3>
                { auth::auth_panel(m) }
            </section>
            <section class="msg-section" aria-labelledby="sig-heading">
                <h3 id="sig-heading">{"Signatures"}</h3>
                { tables::dkim_table(&m.dkim_signatures) }
            </section>
            <section class="msg-section" aria-labelledby="spam-heading">
                <h3 id="spam-heading">{"Spam filters"}</h3>
                { tables::spam_verdicts(&m.spam_verdicts) }
            </section>
            if let Some(c) = &m.content {
                <section class="msg-section" aria-labelledby="content-heading">
                    <h3 id="content-heading">{"Content"}</h3>
                    { content::content_section(c, reputation) }
                </section>
            }
        </div>
    }
}
