//! The home page: "Check a message" and "Audit a domain". Layout only: the
//! state lives in the hooks ([`crate::hooks`]) and the forms in
//! components.

use std::rc::Rc;

use yew::prelude::*;

use crate::api::reports::{self, ShareInput};
use crate::components::domain::domain_cards;
use crate::components::domain_form::use_domain_form;
use crate::components::message::explain::SmtpExplainer;
use crate::components::message::help::header_help;
use crate::components::report_view::ReportView;
use crate::hooks::use_audit::{use_audit, AuditRequest, AuditView};
use crate::hooks::use_message::use_message;
use mxlens_shared::report::Report;

/// The app.
#[function_component(App)]
pub fn app() -> Html {
    let message = use_message();
    let audit = use_audit(message.last_verification.clone());
    let domain = use_state(String::new);
    let domain_form = use_domain_form(domain.clone(), audit.launch.clone());
    // A stored link: /r/{id} renders the stored report.
    let stored = use_state(|| None::<Result<Rc<Report>, String>>);
    {
        let stored = stored.clone();
        use_effect_with((), move |_| {
            let path = web_sys::window()
                .and_then(|w| w.location().pathname().ok())
                .unwrap_or_default();
            if let Some(id) = path
                .strip_prefix("/r/")
                .map(|s| s.trim_end_matches('/').to_string())
            {
                wasm_bindgen_futures::spawn_local(async move {
                    stored.set(Some(
                        reports::get(&id).await.map(Rc::new).map_err(|e| e.message),
                    ));
                });
            }
        });
    }

    // A combined report (or the audit that will make one) belongs to the
    // message report it was made from; a new analysis replaces both, and
    // stops that audit's event stream.
    let on_analyze = {
        let (analyze, cancel) = (message.on_analyze.clone(), audit.cancel.clone());
        let from_message = audit.state.view.belongs_to_message();
        Callback::from(move |e: SubmitEvent| {
            if from_message {
                cancel.emit(());
            }
            analyze.emit(e);
        })
    };
    // "Audit <from-domain>" on a message report.
    let on_audit_from_message = {
        let domain = domain.clone();
        let (report, input) = (message.report.clone(), message.input.clone());
        let launch = audit.launch.clone();
        Callback::from(move |from_domain: String| {
            domain.set(from_domain.clone());
            let message = match (&*report, &*input) {
                (Some(Ok(r)), Some(text)) => Some((Rc::clone(r), Rc::from(text.as_str()))),
                _ => None,
            };
            launch.emit(AuditRequest {
                domain: from_domain,
                from_message: message,
                probe: None,
                selectors: Vec::new(),
                on_probe_refused: Callback::noop(),
            });
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("audit-result"))
            {
                el.scroll_into_view();
            }
        })
    };

    html! {
        <main>
            <header class="top">
                <h1>{"mxlens"}</h1>
                <p class="tagline">{"Will my mail reach the inbox, and if not, why?"}</p>
            </header>
            if crate::PSL_MISSING.load(std::sync::atomic::Ordering::Relaxed) {
                <p class="error" role="alert">{"The Public Suffix List could not be loaded, so organizational domains (DMARC alignment) fall back to the last two labels and may be wrong for names like example.co.uk. Reload the page to try again."}</p>
            }
            {
                match &*stored {
                    None => html! {},
                    Some(Ok(r)) => html! {
                        <>
                            <p class="stored-note">{ format!("Stored report, made {} by mxlens {}.", r.generated_at, r.tool.version) }</p>
                            <ReportView report={Rc::clone(r)} />
                        </>
                    },
                    Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                }
            }
            <div class="entry-points">
                <section class="card">
                    <h2 id="msg-heading">{"Check a message"}</h2>
                    <form onsubmit={on_analyze}>
                        <label for="raw-message">{"Raw headers or message"}</label>
                        <textarea id="raw-message" rows="10" spellcheck="false" ref={message.textarea.clone()}
                            placeholder="Paste the headers (Gmail: ⋮ → Show original; Outlook: File → Properties → Internet headers)" />
                        <div class="actions">
                            <button type="submit">{"Analyze"}</button>
                            <a href="#" onclick={message.on_example.clone()}>{"Load an example"}</a>
                        </div>
                        if let Some(e) = &*message.example_error { <p class="error" role="alert">{ e }</p> }
                        <p class="privacy">{"Analysed in your browser: the paste is not sent anywhere. Only its domain names, DKIM selectors and sending IP go to the mxlens server, for key and blocklist lookups."}</p>
                    </form>
                    { header_help() }
                </section>
                { domain_form }
                <SmtpExplainer />
                <crate::components::test_address::TestAddressCard />
            </div>
            {
                match &*message.private {
                    None => html! {},
                    Some(Ok(())) => html! {
                        <p class="private-note">{"Private link: the message came inside the link and was analysed in your browser; the server never saw it."}</p>
                    },
                    Some(Err(e)) => html! { <p class="error" role="alert">{ format!("This private link cannot be opened. {e}") }</p> },
                }
            }
            {
                match &*message.report {
                    // The combined report below contains it.
                    _ if matches!(&audit.state.view, AuditView::Done(_, Some(_))) => html! {},
                    None if *message.busy => html! { <p class="muted" role="status">{"Analysing…"}</p> },
                    None => html! {},
                    Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                    Some(Ok(r)) => html! {
                        <ReportView report={Rc::clone(r)} share={message.input.as_ref().map(|m| ShareInput { message: Some(m.clone()), ..Default::default() })} on_audit={on_audit_from_message} />
                    },
                }
            }
            <div id="audit-result" />
            {
                match &audit.state.view {
                    AuditView::Idle => html! {},
                    AuditView::Running { domain, checks, .. } => html! {
                        <section class="report" aria-busy="true" aria-label="Audit in progress">
                            <p role="status">{ format!("Auditing {domain}… {} checks done", checks.len()) }</p>
                            { domain_cards(checks, None, true) }
                        </section>
                    },
                    AuditView::Done(r, source) => {
                        // A combined report is shared as one: the server
                        // recomputes it from the message it was made from
                        // and the domain.
                        let message = source.as_deref().map(str::to_string);
                        let rcpt = r.domain.as_ref().and_then(|d| d.rcpt.as_ref()).map(|e| e.address.clone());
                        html! {
                            <ReportView report={Rc::clone(r)} share={audit.state.domain.as_ref().map(|d| ShareInput { domain: Some(d.clone()), message, rcpt, selectors: audit.state.selectors.clone(), ..Default::default() })} />
                        }
                    }
                    AuditView::Failed(e) => html! { <p class="error" role="alert">{ e }</p> },
                }
            }
        </main>
    }
}
