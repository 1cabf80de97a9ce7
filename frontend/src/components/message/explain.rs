//! "Explain an SMTP error": paste a reply line such as `550 5.1.1 …` or a
//! whole bounce. The shared bounce reader (`smtp::bounce::read`, the one
//! the message report, `mxlens headers` and the API use) gives the bounce
//! card: per failed recipient the verdict, who must act and the next step;
//! under it the shared explainer (RFC 5321 reply codes, RFC 3463 enhanced
//! codes, provider codes) explains each reply line. Both run in WASM, in the
//! page's engine worker: nothing is sent anywhere.

use mxlens_shared::report::BounceReport;
use mxlens_shared::smtp::codes::{ReplyClass, ReplyExplanation};
use yew::prelude::*;

fn class_badge(class: ReplyClass) -> Html {
    let (icon, word, css) = match class {
        ReplyClass::Success => ("✔", "success", "s-pass"),
        ReplyClass::Intermediate => ("ℹ", "intermediate", "s-info"),
        ReplyClass::TransientFailure => ("▲", "temporary failure", "s-warn"),
        ReplyClass::PermanentFailure => ("✘", "permanent failure", "s-fail"),
    };
    super::badge(icon, word, css)
}

fn explanation(e: &ReplyExplanation) -> Html {
    let codes = [e.basic_code.map(|c| c.to_string()), e.enhanced_code.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    // Term and description rows; empty ones are left out.
    let rows: Vec<(String, String)> = vec![
        (
            e.basic_code
                .map(|b| format!("Basic code {b}"))
                .unwrap_or_default(),
            e.basic_meaning.clone(),
        ),
        (
            e.enhanced_code
                .as_ref()
                .map(|x| format!("Enhanced code {x}"))
                .unwrap_or_default(),
            e.enhanced_meaning.clone(),
        ),
        ("Likely cause".into(), e.likely_cause.clone()),
        ("Who must act".into(), e.who_must_act().to_string()),
        ("Fix".into(), e.what_to_do.clone()),
        ("Recipient".into(), e.recipient.clone().unwrap_or_default()),
        ("References".into(), e.refs.join(", ")),
    ];
    html! {
        <article class="smtp-explanation" aria-label={format!("SMTP reply {codes}")}>
            <h3>
                <code>{ codes.clone() }</code>{" "}{ class_badge(e.class) }
                if let Some(p) = &e.provider { <span class="muted">{ format!(" {p}") }</span> }
            </h3>
            <p class="smtp-reply"><code>{ &e.reply }</code></p>
            { super::facts(rows) }
        </article>
    }
}

/// The explainer card.
#[function_component(SmtpExplainer)]
pub fn smtp_explainer() -> Html {
    let text = use_state(String::new);
    // The engine's answer, or why there is none.
    type Explained = Result<(Option<BounceReport>, Vec<ReplyExplanation>), String>;
    let result = use_state(|| None::<Explained>);
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            text.set(el.value());
        })
    };
    let onsubmit = {
        let text = text.clone();
        let result = result.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (text, result) = ((*text).clone(), result.clone());
            // The bounce reader and the reply explainer are the engine
            // worker's (frontend/src/protocol.rs).
            wasm_bindgen_futures::spawn_local(async move {
                result.set(Some(crate::worker::explain(&text).await));
            });
        })
    };
    html! {
        <section class="card smtp-card" aria-labelledby="smtp-heading">
            <h2 id="smtp-heading">{"Explain an SMTP error"}</h2>
            <form {onsubmit}>
                <label for="smtp-error">{"SMTP error or bounce"}</label>
                <textarea id="smtp-error" rows="3" spellcheck="false" value={(*text).clone()} {oninput}
                    placeholder="550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown" />
                <div class="actions"><button type="submit">{"Explain"}</button></div>
            </form>
            { match &*result {
                None => html! {},
                Some(Err(e)) => html! { <p class="error" role="alert">{ e.clone() }</p> },
                Some(Ok((None, found))) if found.is_empty() => html! {
                    <p class="error" role="alert">{"No SMTP reply code found. Paste a line that starts with a code, such as “550 5.1.1 User unknown”, or the whole bounce message."}</p>
                },
                Some(Ok((read, found))) => html! {
                    <div class="smtp-results" role="region" aria-label="Explanation">
                        if let Some(b) = read { { super::bounce::bounce_body(b, None) } }
                        { for found.iter().map(explanation) }
                    </div>
                },
            } }
        </section>
    }
}
