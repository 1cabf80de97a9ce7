//! The home page: "Check a message" and "Audit a domain".

use mxlens_shared::headers::analyze_message;
use mxlens_shared::report::{Check, Report};
use std::rc::Rc;
use yew::prelude::*;

use crate::api::audits::{self, AuditUpdate, Subscription};
use crate::api::reports::{self, ShareInput};
use crate::components::domain::domain_cards;
use crate::components::message::explain::SmtpExplainer;
use crate::components::message::help::header_help;
use crate::components::report_view::ReportView;
use crate::private_link;

/// "Load an example": a Gmail-delivered message, bundled at compile time.
/// (A larger fixture from tests/fixtures/messages cost about 1.5 KiB of
/// gzip in the WASM bundle, which is at its size ceiling.)
const EXAMPLE: &str = "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])\n        by mx.example.net with ESMTPS id x12si123456qkj.2025.07.01.10.00.03\n        for <bob@example.net>\n        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\n        Tue, 01 Jul 2025 10:00:03 -0700 (PDT)\nReceived: by mail-sor-f41.google.com with SMTP id 4fb4d7f45d1cf-5e5c1;\n        Tue, 01 Jul 2025 10:00:02 -0700 (PDT)\nAuthentication-Results: mx.example.net;\n       dkim=pass header.i=@example.com header.s=s1 header.b=abc;\n       spf=pass (example.net: domain of alice@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=alice@example.com;\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com\nDKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;\n        h=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=abc\nFrom: Alice Example <alice@example.com>\nTo: Bob <bob@example.net>\nSubject: Lunch on Friday?\nDate: Tue, 1 Jul 2025 10:00:01 -0700\nMessage-ID: <CAF=abc123@mail.example.com>\n";

/// Checks the "Address" field the way the server does (an address at the
/// audited domain itself, `validate_rcpt` in the backend), so the user
/// hears about a typo before a request is made. `None` when it is fine.
fn rcpt_problem(domain: &str, address: &str) -> Option<String> {
    let audited = domain.trim().trim_end_matches('.');
    match address.rsplit_once('@') {
        Some((local, at))
            if !local.is_empty() && !local.contains(' ') && !at.is_empty() =>
        {
            (!at.trim_end_matches('.').eq_ignore_ascii_case(audited)).then(|| format!(
                "The address {address} is not at the audited domain {audited}: the probe only asks {audited}'s own mail server about its own addresses."
            ))
        }
        _ => Some(format!(
            "\"{address}\" is not an e-mail address: write it as name@{audited}."
        )),
    }
}

/// The server's refusal of a mailbox probe, in words: 403 when the probe is
/// not enabled, 429 when its rate limit is reached, 400 for a bad address.
fn rcpt_refusal(status: u16, message: &str) -> Option<String> {
    match status {
        403 => Some(format!(
            "This server does not run the mailbox probe ({message}). Clear the Address field to audit the domain without it."
        )),
        429 => Some(format!(
            "Too many mailbox probes for now: the server limits them per person and per domain so that nobody can harvest addresses. {message}"
        )),
        400 => Some(format!("The server refused the address: {message}.")),
        _ => None,
    }
}

fn now_iso() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

/// Audit state.
#[derive(Clone, PartialEq, Default)]
enum AuditView {
    #[default]
    Idle,
    Running {
        domain: String,
        checks: Vec<Check>,
    },
    Done(Rc<Report>),
    Failed(String),
}

/// The app.
#[function_component(App)]
pub fn app() -> Html {
    let message = use_state(String::new);
    let message_report = use_state(|| None::<Result<Rc<Report>, String>>);
    let domain = use_state(String::new);
    // The optional "Address" for the mailbox probe, and what is wrong with it
    // (our check, or the server's refusal), shown under the field.
    let rcpt = use_state(String::new);
    let rcpt_error = use_state(|| None::<String>);
    let audited_rcpt = use_state(|| None::<String>);
    let audit = use_state(AuditView::default);
    let subscription = use_mut_ref(|| None::<Subscription>);
    // The raw input behind the current reports, for stored share links.
    let analyzed_input = use_state(|| None::<String>);
    let audited_domain = use_state(|| None::<String>);
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

    // A private link: /#p=… carries the input; it is decoded and analysed
    // here, and the server never sees it.
    let private = use_state(|| None::<Result<(), String>>);
    {
        let (message, message_report) = (message.clone(), message_report.clone());
        let (analyzed_input, private) = (analyzed_input.clone(), private.clone());
        use_effect_with((), move |_| {
            private_link::reload_on_new_fragment();
            if let Some(fragment) = private_link::fragment_from_location() {
                wasm_bindgen_futures::spawn_local(async move {
                    match private_link::decode(&fragment).await {
                        Ok(text) => {
                            let result = analyze_message(text.as_bytes(), &now_iso())
                                .map(Rc::new)
                                .map_err(|e| e.to_string());
                            message.set(text.clone());
                            analyzed_input.set(Some(text));
                            message_report.set(Some(result));
                            private.set(Some(Ok(())));
                        }
                        Err(e) => private.set(Some(Err(e))),
                    }
                });
            }
        });
    }

    let on_message_input = {
        let message = message.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            message.set(el.value());
        })
    };
    let on_analyze = {
        let message = message.clone();
        let message_report = message_report.clone();
        let analyzed_input = analyzed_input.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let result = analyze_message(message.as_bytes(), &now_iso())
                .map(Rc::new)
                .map_err(|e| e.to_string());
            analyzed_input.set(Some((*message).clone()));
            message_report.set(Some(result));
        })
    };
    let on_example = {
        let message = message.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            message.set(EXAMPLE.to_string());
        })
    };
    let on_domain_input = {
        let domain = domain.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            domain.set(el.value());
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
    // Starts an audit and follows its events. `from_message` carries the
    // message's DKIM selectors and sending IP ("Audit <from-domain>");
    // `probe` the address for the mailbox probe.
    let launch_audit = {
        let audit = audit.clone();
        let subscription = subscription.clone();
        let audited_domain = audited_domain.clone();
        let audited_rcpt = audited_rcpt.clone();
        let rcpt_error = rcpt_error.clone();
        std::rc::Rc::new(
            move |name: String,
                  from_message: Option<(Vec<String>, Option<String>)>,
                  probe: Option<String>| {
                audited_domain.set(Some(name.clone()));
                audited_rcpt.set(probe.clone());
                let audit = audit.clone();
                let subscription = subscription.clone();
                let rcpt_error = rcpt_error.clone();
                audit.set(AuditView::Running {
                    domain: name.clone(),
                    checks: Vec::new(),
                });
                wasm_bindgen_futures::spawn_local(async move {
                    let started = match &from_message {
                        Some((selectors, ip)) => {
                            audits::start_for_message(&name, selectors, ip.as_deref()).await
                        }
                        None => audits::start(&name, probe.as_deref()).await,
                    };
                    let id = match started {
                        Ok(id) => id,
                        Err(e) => {
                            // A refused probe is about the Address field:
                            // say so there, not as a failed audit.
                            match rcpt_refusal(e.status, &e.message).filter(|_| probe.is_some()) {
                                Some(words) => {
                                    rcpt_error.set(Some(words));
                                    audit.set(AuditView::Idle);
                                }
                                None => audit.set(AuditView::Failed(e.message)),
                            }
                            return;
                        }
                    };
                    // Checks accumulate in a local buffer so that each update
                    // sees every previous one (state handles are snapshots).
                    let buffer = std::rc::Rc::new(std::cell::RefCell::new(Vec::<Check>::new()));
                    let view = audit.clone();
                    let sub = audits::follow(&id, move |update| match update {
                        AuditUpdate::Check(c) => {
                            buffer.borrow_mut().push(*c);
                            view.set(AuditView::Running {
                                domain: name.clone(),
                                checks: buffer.borrow().clone(),
                            });
                        }
                        AuditUpdate::Done(r) => view.set(AuditView::Done(Rc::from(r))),
                        AuditUpdate::Failed(e) => view.set(AuditView::Failed(e.message)),
                    });
                    match sub {
                        Ok(s) => *subscription.borrow_mut() = Some(s),
                        Err(e) => audit.set(AuditView::Failed(e.message)),
                    }
                });
            },
        )
    };
    let on_audit = {
        let domain = domain.clone();
        let rcpt = rcpt.clone();
        let rcpt_error = rcpt_error.clone();
        let launch_audit = launch_audit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let name = (*domain).trim().to_string();
            let address = rcpt.trim().to_string();
            if !address.is_empty() {
                if let Some(problem) = rcpt_problem(&name, &address) {
                    rcpt_error.set(Some(problem));
                    return;
                }
            }
            rcpt_error.set(None);
            launch_audit(name, None, (!address.is_empty()).then_some(address));
        })
    };
    // "Audit <from-domain>" on a message report.
    let on_audit_from_message = {
        let domain = domain.clone();
        let message_report = message_report.clone();
        Callback::from(move |from_domain: String| {
            domain.set(from_domain.clone());
            // The selectors that signed for the From domain, and the sending
            // IP, from the report (no second parse of the paste).
            let mut selectors: Vec<String> = Vec::new();
            let mut sending_ip = None;
            if let Some(Ok(r)) = &*message_report {
                if let Some(section) = &r.message {
                    for sig in &section.dkim_signatures {
                        if sig
                            .domain
                            .trim_end_matches('.')
                            .eq_ignore_ascii_case(&from_domain)
                            && !selectors.contains(&sig.selector)
                        {
                            selectors.push(sig.selector.clone());
                        }
                    }
                    sending_ip = section.sending_ip.clone();
                }
            }
            launch_audit(from_domain, Some((selectors, sending_ip)), None);
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
                            <ReportView report={r.clone()} />
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
                        <textarea id="raw-message" rows="10" spellcheck="false"
                            value={(*message).clone()} oninput={on_message_input}
                            placeholder="Paste the headers (Gmail: ⋮ → Show original; Outlook: File → Properties → Internet headers)" />
                        <div class="actions">
                            <button type="submit">{"Analyze"}</button>
                            <a href="#" onclick={on_example}>{"Load an example"}</a>
                        </div>
                        <p class="privacy">{"Analysed in your browser: the paste is not sent anywhere."}</p>
                    </form>
                    { header_help() }
                </section>
                <section class="card">
                    <h2 id="domain-heading">{"Audit a domain"}</h2>
                    <form onsubmit={on_audit}>
                        <label for="domain">{"Domain"}</label>
                        <input id="domain" type="text" autocomplete="off" spellcheck="false"
                            placeholder="example.com" value={(*domain).clone()} oninput={on_domain_input} />
                        <label for="rcpt" class="spaced">{"Address"}</label>
                        <input id="rcpt" type="text" inputmode="email" autocomplete="off" spellcheck="false"
                            placeholder="name@example.com" value={(*rcpt).clone()} oninput={on_rcpt_input}
                            aria-describedby={if rcpt_error.is_some() { "rcpt-hint rcpt-error" } else { "rcpt-hint" }}
                            aria-invalid={rcpt_error.is_some().to_string()} />
                        <p id="rcpt-hint" class="privacy">{"Optional: probe one mailbox (RCPT TO, nothing is sent). The domain's best mail server is asked whether it accepts mail for this address."}</p>
                        if let Some(problem) = &*rcpt_error {
                            <p id="rcpt-error" class="error" role="alert">{ problem }</p>
                        }
                        <div class="actions"><button type="submit">{"Audit"}</button></div>
                    </form>
                </section>
                <SmtpExplainer />
            </div>
            {
                match &*private {
                    None => html! {},
                    Some(Ok(())) => html! {
                        <p class="private-note">{"Private link: the message came inside the link and was analysed in your browser; the server never saw it."}</p>
                    },
                    Some(Err(e)) => html! { <p class="error" role="alert">{ format!("This private link cannot be opened. {e}") }</p> },
                }
            }
            {
                match &*message_report {
                    None => html! {},
                    Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                    Some(Ok(r)) => html! {
                        <ReportView report={r.clone()} share={analyzed_input.as_ref().map(|m| ShareInput { message: Some(m.clone()), ..Default::default() })} on_audit={on_audit_from_message} />
                    },
                }
            }
            <div id="audit-result" />
            {
                match &*audit {
                    AuditView::Idle => html! {},
                    AuditView::Running { domain, checks } => html! {
                        <section class="report" aria-busy="true" aria-label="Audit in progress">
                            <p role="status">{ format!("Auditing {domain}… {} checks done", checks.len()) }</p>
                            { domain_cards(checks, None, true) }
                        </section>
                    },
                    AuditView::Done(r) => html! {
                        <ReportView report={r.clone()} share={audited_domain.as_ref().map(|d| ShareInput { domain: Some(d.clone()), rcpt: (*audited_rcpt).clone(), ..Default::default() })} />
                    },
                    AuditView::Failed(e) => html! { <p class="error" role="alert">{ e }</p> },
                }
            }
        </main>
    }
}
