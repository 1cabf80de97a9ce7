//! The "Audit a domain" form: the domain, the optional mailbox probe
//! address and DKIM selectors, each checked here the way the server does
//! before an audit is asked for.

use mxlens_shared::smtp::mailbox::probe_address;
use yew::prelude::*;

use crate::hooks::use_audit::AuditRequest;

/// The most selectors one audit takes (the server refuses more).
const MAX_SELECTORS: usize = 16;

/// The "DKIM selectors" field: comma- or space-separated selectors of
/// RFC 6376 §3.1, at most [`MAX_SELECTORS`], lower-cased and deduplicated;
/// or what is wrong, in words for the field.
fn parse_selectors(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for s in text.split(|c: char| c == ',' || c.is_whitespace()) {
        let s = s.trim_end_matches("._domainkey").to_ascii_lowercase();
        if s.is_empty() || out.contains(&s) {
            continue;
        }
        if !mxlens_shared::dkim::verify::is_valid_selector(&s) {
            return Err(format!("\"{s}\" is not a DKIM selector: letters, digits and hyphens, dot-separated (the s= value of a DKIM-Signature)."));
        }
        out.push(s);
    }
    if out.len() > MAX_SELECTORS {
        return Err(format!("At most {MAX_SELECTORS} selectors per audit."));
    }
    Ok(out)
}

/// The form, as a hook (its fields are state): `domain` is the Domain
/// field, which "Audit <from-domain>" sets from outside; `on_launch` starts
/// the audit.
#[hook]
pub fn use_domain_form(domain: UseStateHandle<String>, on_launch: Callback<AuditRequest>) -> Html {
    // The optional "Address" for the mailbox probe, and what is wrong with it
    // (our check, or the server's refusal), shown under the field.
    let rcpt = use_state(String::new);
    let rcpt_error = use_state(|| None::<String>);
    // The optional "DKIM selectors" field (#19: the API and CLI took
    // selectors, the form did not), and what is wrong with it.
    let selectors = use_state(String::new);
    let selectors_error = use_state(|| None::<String>);
    let on_domain_input = {
        let domain = domain.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            domain.set(el.value());
        })
    };
    let on_selectors_input = {
        let selectors = selectors.clone();
        let selectors_error = selectors_error.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            selectors.set(el.value());
            selectors_error.set(None);
        })
    };
    let on_rcpt_input = {
        let rcpt = rcpt.clone();
        let rcpt_error = rcpt_error.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            rcpt.set(el.value());
            rcpt_error.set(None);
        })
    };
    let on_audit = {
        let domain = domain.clone();
        let rcpt = rcpt.clone();
        let rcpt_error = rcpt_error.clone();
        let (selectors, selectors_error) = (selectors.clone(), selectors_error.clone());
        let on_launch = on_launch.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let name = (*domain).trim().to_string();
            let chosen = match parse_selectors(&selectors) {
                Ok(list) => list,
                Err(problem) => {
                    selectors_error.set(Some(problem));
                    return;
                }
            };
            let address = rcpt.trim().to_string();
            if !address.is_empty() {
                if let Err(problem) = probe_address(&name, &address) {
                    rcpt_error.set(Some(problem));
                    return;
                }
            }
            rcpt_error.set(None);
            let rcpt_error = rcpt_error.clone();
            on_launch.emit(AuditRequest {
                domain: name,
                from_message: None,
                probe: (!address.is_empty()).then_some(address),
                selectors: chosen,
                on_probe_refused: Callback::from(move |why| rcpt_error.set(Some(why))),
            });
        })
    };
    html! {
        <section class="card">
            <h2 id="domain-heading">{"Audit a domain"}</h2>
            <form onsubmit={on_audit}>
                <label for="domain">{"Domain"}</label>
                <input id="domain" type="text" autocomplete="off" spellcheck="false"
                    placeholder="example.com" value={(*domain).clone()} oninput={on_domain_input} />
                <label for="rcpt" class="spaced">{"Address"}</label>
                <input id="rcpt" type="text" inputmode="email" autocomplete="off" spellcheck="false"
                    placeholder="name@example.com" value={(*rcpt).clone()} oninput={on_rcpt_input}
                    aria-describedby="rcpt-hint rcpt-error"
                    aria-invalid={rcpt_error.is_some().to_string()} />
                <p id="rcpt-hint" class="privacy">{"Optional: probe one mailbox (RCPT TO, nothing is sent)."}</p>
                if let Some(problem) = &*rcpt_error {
                    <p id="rcpt-error" class="error" role="alert">{ problem }</p>
                }
                <label for="selectors" class="spaced">{"DKIM selectors"}</label>
                <input id="selectors" type="text" autocomplete="off" spellcheck="false"
                    placeholder="s1, google" value={(*selectors).clone()} oninput={on_selectors_input}
                    aria-describedby="selectors-hint selectors-error"
                    aria-invalid={selectors_error.is_some().to_string()} />
                <p id="selectors-hint" class="privacy">{"Optional: the s= of your DKIM-Signature, comma-separated. Without it, common selectors are tried."}</p>
                if let Some(problem) = &*selectors_error {
                    <p id="selectors-error" class="error" role="alert">{ problem }</p>
                }
                <div class="actions"><button type="submit">{"Audit"}</button></div>
            </form>
        </section>
    }
}
