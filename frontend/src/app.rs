//! The home page: "Check a message" and "Audit a domain".

use mxlens_shared::message::analyze_message;
use std::rc::Rc;

use mxlens_shared::report::combine::combine;
use mxlens_shared::report::{Check, Report};
use yew::prelude::*;

use crate::api::audits::{self, AuditUpdate, Subscription};
use crate::api::reports::{self, ShareInput};
use crate::components::domain::domain_cards;
use crate::components::message::explain::SmtpExplainer;
use crate::components::message::help::header_help;
use crate::components::report_view::ReportView;
use crate::private_link;
use crate::verify;
use mxlens_shared::reputation::apply_reputation;

/// "Load an example": a real Gmail "Show original" of a newsletter (four
/// Received hops, ARC, two DKIM signatures, Authentication-Results,
/// one-click List-Unsubscribe), copied beside the bundle by Trunk
/// (`index.html`, `rel="copy-file"`) and fetched on click: kept out of the
/// WASM for the size budget.
const EXAMPLE_URL: &str = "/10-sendgrid-newsletter-complete.eml";

/// Fetches the example message.
async fn fetch_example() -> Result<String, String> {
    let failed = |why: String| {
        format!("The example could not be loaded ({why}). Check the connection to the mxlens server and try again, or paste your own headers.")
    };
    let reply = gloo_net::http::Request::get(EXAMPLE_URL)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !reply.ok() {
        return Err(failed(format!("HTTP {}", reply.status())));
    }
    reply.text().await.map_err(|e| failed(e.to_string()))
}

/// The textarea's current text. The textarea is uncontrolled (no state per
/// keystroke): a 64 KB paste must not re-render the page on every input.
fn textarea_value(node: &NodeRef) -> String {
    node.cast::<web_sys::HtmlTextAreaElement>()
        .map(|t| t.value())
        .unwrap_or_default()
}

/// Warms the code a first analysis runs, while the user is still copying
/// headers: the browser compiles WebAssembly functions lazily, on their
/// first call, which made the first Analyze click several times slower than
/// the next ones. This analyses the example (a static file of the app, so
/// no user data) and renders its report into a detached element, never
/// shown, then drops it.
async fn warm_up() {
    let Ok(text) = fetch_example().await else {
        return;
    };
    // A few rounds, so that the browser also optimises the hot functions
    // (V8 tiers up WebAssembly by how much each function has run).
    for _ in 0..WARM_UP_ROUNDS {
        let Ok(report) = analyze_message(text.as_bytes(), &now_iso()) else {
            return;
        };
        let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("div").ok())
        else {
            return;
        };
        let props = crate::components::report_view::ReportViewProps {
            report: Rc::new(report),
            share: None,
            on_audit: None,
        };
        let app = yew::Renderer::<ReportView>::with_root_and_props(root, props).render();
        // Yield, so that each round's render runs and the page stays
        // responsive in between.
        sleep(0).await;
        // Unmount it: a detached app would otherwise live on, holding its
        // report, for the life of the page.
        app.destroy();
    }
}

/// Rounds of [`warm_up`].
const WARM_UP_ROUNDS: u32 = 4;

/// A future that resolves after `ms` milliseconds (a `setTimeout` task).
async fn sleep(ms: i32) {
    let done = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(done).await;
}

fn set_textarea_value(node: &NodeRef, text: &str) {
    if let Some(t) = node.cast::<web_sys::HtmlTextAreaElement>() {
        t.set_value(text);
    }
}

/// Checks the "Address" field the way the server does (an address at the
/// audited domain itself, `validate_rcpt` in the backend), so the user
/// hears about a typo before a request is made. `None` when it is fine.
fn rcpt_problem(domain: &str, address: &str) -> Option<String> {
    let audited = domain.trim().trim_end_matches('.');
    let fine = address.rsplit_once('@').is_some_and(|(local, at)| {
        !local.is_empty()
            && !local.contains(' ')
            && at.trim_end_matches('.').eq_ignore_ascii_case(audited)
    });
    (!fine).then(|| format!(
        "\"{address}\" is not an address at the audited domain {audited}: write it as name@{audited}. The probe only asks {audited}'s own mail server about its own addresses."
    ))
}

fn now_iso() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

/// The message report, as state.
type MessageReport = UseStateHandle<Option<Result<Rc<Report>, String>>>;
/// The last message report completed by the server's answers (verified
/// signatures, blocklists) and the text it is of, for the combined report.
type LastVerification = Rc<std::cell::RefCell<Option<(Rc<str>, Rc<Report>)>>>;

/// Verifies the DKIM signatures and ARC chain of `text` in the background
/// (keys from the server, checks by WebCrypto: [`crate::verify`]), looks
/// the message's host names up on the blocklists ([`crate::reputation`]),
/// when `blocklists`, and shows `analysed` with the answers in, unless
/// another analysis started meanwhile (`turn`).
///
/// The report is shown once, complete, when the answers come within
/// [`VERDICT_WAIT_MS`]; otherwise it is shown without them at that
/// deadline and swapped for the complete one when they come. Showing it
/// at once and again with the verdicts cost a frame of the unverified
/// report in between: about 100 ms with a 1 MiB paste on the page, which
/// the verification had to wait behind (#15, bench/ui-dkim.mjs).
fn verify_later(
    text: Rc<str>,
    requests: verify::KeyRequests,
    analysed: Rc<Report>,
    report: MessageReport,
    turn: Rc<std::cell::RefCell<u64>>,
    last: LastVerification,
    blocklists: bool,
) {
    let mine = {
        let mut t = turn.borrow_mut();
        *t += 1;
        *t
    };
    // Set by whichever comes first: the deadline or the answers.
    let shown = Rc::new(std::cell::Cell::new(false));
    {
        let (analysed, report, turn, shown) = (
            analysed.clone(),
            report.clone(),
            turn.clone(),
            shown.clone(),
        );
        wasm_bindgen_futures::spawn_local(async move {
            sleep(VERDICT_WAIT_MS).await;
            if *turn.borrow() == mine && !shown.replace(true) {
                report.set(Some(Ok(analysed)));
            }
        });
    }
    wasm_bindgen_futures::spawn_local(async move {
        // Both at once: the blocklist request goes out while the
        // signatures are checked. A private link is opened without
        // blocklist lookups: opening one makes no API call for a message
        // without signatures.
        let (verification, reputation) = futures::future::join(
            verify::verify_input(&text, requests, verify::unix_now()),
            async {
                match blocklists {
                    true => crate::reputation::fetch(&analysed).await,
                    false => None,
                }
            },
        )
        .await;
        verify::mark("mxlens:reputation");
        if *turn.borrow() != mine {
            return;
        }
        shown.set(true);
        let mut completed = verify::with_verification(&analysed, &verification);
        if let Some(section) = reputation {
            apply_reputation(&mut completed, section);
        }
        let completed = Rc::new(completed);
        verify::mark("mxlens:copied");
        report.set(Some(Ok(completed.clone())));
        *last.borrow_mut() = Some((text, completed));
    });
}

/// Shows a new analysis of `text`: an error at once, a report through
/// [`verify_later`].
fn show_analysis(
    result: Result<Rc<Report>, String>,
    text: Rc<str>,
    requests: verify::KeyRequests,
    report: MessageReport,
    turn: Rc<std::cell::RefCell<u64>>,
    last: LastVerification,
    blocklists: bool,
) {
    match result {
        Ok(analysed) => verify_later(text, requests, analysed, report, turn, last, blocklists),
        Err(e) => {
            // The answers for an earlier report must not replace the error.
            *turn.borrow_mut() += 1;
            report.set(Some(Err(e)));
        }
    }
}

/// How long a new message report waits for the server's answers (DKIM
/// keys, blocklists) before it is shown without them.
const VERDICT_WAIT_MS: i32 = 150;

/// Audit state.
#[derive(Clone, PartialEq, Default)]
enum AuditView {
    #[default]
    Idle,
    Running {
        domain: String,
        checks: Vec<Check>,
        /// Started by "Audit <from-domain>": a new analysis cancels it.
        from_message: bool,
    },
    /// The report, and for a combined report the message it was made from
    /// (what its stored link is made of).
    Done(Rc<Report>, Option<Rc<str>>),
    Failed(String),
}

impl AuditView {
    /// True while the view belongs to the message report above it (a
    /// combined report, or the audit that will make one).
    fn belongs_to_message(&self) -> bool {
        match self {
            AuditView::Running { from_message, .. } => *from_message,
            AuditView::Done(_, message) => message.is_some(),
            _ => false,
        }
    }
}

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

/// The app.
#[function_component(App)]
pub fn app() -> Html {
    let textarea = use_node_ref();
    let message_report = use_state(|| None::<Result<Rc<Report>, String>>);
    // "Load an example" failed: said inline, next to the link.
    let example_error = use_state(|| None::<String>);
    let domain = use_state(String::new);
    // The optional "Address" for the mailbox probe, and what is wrong with it
    // (our check, or the server's refusal), shown under the field.
    let rcpt = use_state(String::new);
    let rcpt_error = use_state(|| None::<String>);
    // The optional "DKIM selectors" field (#19: the API and CLI took
    // selectors, the form did not), and what is wrong with it.
    let selectors = use_state(String::new);
    let selectors_error = use_state(|| None::<String>);
    let audit = use_state(AuditView::default);
    let subscription = use_mut_ref(|| None::<Subscription>);
    // Bumped by every audit started and every new analysis: the events of
    // an audit that is no longer the current one are ignored.
    let generation = use_mut_ref(|| 0u64);
    // The raw input behind the current reports, for stored share links.
    let analyzed_input = use_state(|| None::<String>);
    // The browser's own DKIM/ARC verification of the current message.
    let verify_turn = use_mut_ref(|| 0u64);
    let last_verification: LastVerification = use_mut_ref(|| None);
    let audited_domain = use_state(|| None::<String>);
    // The selectors the current audit was asked for, for its stored link.
    let audited_selectors = use_state(Vec::<String>::new);
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

    use_effect_with((), |_| wasm_bindgen_futures::spawn_local(warm_up()));

    // A private link: /#p=… carries the input; it is decoded and analysed
    // here, and the server never sees it.
    let private = use_state(|| None::<Result<(), String>>);
    {
        let (textarea, message_report) = (textarea.clone(), message_report.clone());
        let (analyzed_input, private) = (analyzed_input.clone(), private.clone());
        let (verify_turn, last_verification) = (verify_turn.clone(), last_verification.clone());
        use_effect_with((), move |_| {
            private_link::reload_on_new_fragment();
            if let Some(fragment) = private_link::fragment_from_location() {
                wasm_bindgen_futures::spawn_local(async move {
                    match private_link::decode(&fragment).await {
                        Ok(text) => {
                            let requests = verify::request_keys(text.as_bytes());
                            let at = now_iso();
                            let result = analyze_message(text.as_bytes(), &at)
                                .map(Rc::new)
                                .map_err(|e| e.to_string());
                            set_textarea_value(&textarea, &text);
                            analyzed_input.set(Some(text.clone()));
                            show_analysis(
                                result,
                                text.into(),
                                requests,
                                message_report,
                                verify_turn,
                                last_verification,
                                false,
                            );
                            private.set(Some(Ok(())));
                        }
                        Err(e) => private.set(Some(Err(e))),
                    }
                });
            }
        });
    }

    let on_analyze = {
        let textarea = textarea.clone();
        let message_report = message_report.clone();
        let analyzed_input = analyzed_input.clone();
        let audit = audit.clone();
        let (subscription, generation) = (subscription.clone(), generation.clone());
        let (verify_turn, last_verification) = (verify_turn.clone(), last_verification.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // A combined report (or the audit that will make one) belongs
            // to the message report it was made from; a new analysis
            // replaces both, and stops that audit's event stream.
            if audit.belongs_to_message() {
                *generation.borrow_mut() += 1;
                *subscription.borrow_mut() = None;
                audit.set(AuditView::Idle);
            }
            let text = textarea_value(&textarea);
            // The key requests go first, and the analysis waits a task so
            // that the browser sends them: their answers come while the
            // message is analysed.
            let requests = verify::request_keys(text.as_bytes());
            let (message_report, analyzed_input) = (message_report.clone(), analyzed_input.clone());
            let (verify_turn, last_verification) = (verify_turn.clone(), last_verification.clone());
            wasm_bindgen_futures::spawn_local(async move {
                sleep(0).await;
                let at = now_iso();
                let result = analyze_message(text.as_bytes(), &at)
                    .map(Rc::new)
                    .map_err(|e| e.to_string());
                verify::mark("mxlens:analysed");
                analyzed_input.set(Some(text.clone()));
                show_analysis(
                    result,
                    text.into(),
                    requests,
                    message_report,
                    verify_turn,
                    last_verification,
                    true,
                );
            });
        })
    };
    let on_example = {
        let textarea = textarea.clone();
        let example_error = example_error.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            let (textarea, example_error) = (textarea.clone(), example_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_example().await {
                    Ok(text) => {
                        set_textarea_value(&textarea, &text);
                        example_error.set(None);
                    }
                    Err(e) => example_error.set(Some(e)),
                }
            });
        })
    };
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
    // Starts an audit and follows its events. `from_message` carries the
    // message's report, whose DKIM selectors and sending IP go with the
    // audit ("Audit <from-domain>") and which is combined with the audit's
    // report into one report of kind `combined` when it is done, as a
    // stored link would be (`shared::report::combine`); `probe` the
    // address for the mailbox probe.
    let launch_audit = {
        let audit = audit.clone();
        let subscription = subscription.clone();
        let audited_domain = audited_domain.clone();
        let audited_selectors = audited_selectors.clone();
        let rcpt_error = rcpt_error.clone();
        let generation = generation.clone();
        let last_verification = last_verification.clone();
        std::rc::Rc::new(
            move |name: String,
                  from_message: Option<(Rc<Report>, Rc<str>)>,
                  probe: Option<String>,
                  chosen: Vec<String>| {
                audited_domain.set(Some(name.clone()));
                audited_selectors.set(chosen.clone());
                let audit = audit.clone();
                let subscription = subscription.clone();
                let rcpt_error = rcpt_error.clone();
                let last_verification = last_verification.clone();
                // This audit replaces any other: stop its stream, and make
                // its late answers (start, events) stale.
                *subscription.borrow_mut() = None;
                let this = {
                    let mut g = generation.borrow_mut();
                    *g += 1;
                    *g
                };
                let current = {
                    let generation = generation.clone();
                    move || *generation.borrow() == this
                };
                audit.set(AuditView::Running {
                    domain: name.clone(),
                    checks: Vec::new(),
                    from_message: from_message.is_some(),
                });
                wasm_bindgen_futures::spawn_local(async move {
                    let started = match &from_message {
                        Some((message, _)) => {
                            audits::start_for_message(&name, message.message.as_ref()).await
                        }
                        None => audits::start(&name, &chosen, probe.as_deref()).await,
                    };
                    if !current() {
                        return;
                    }
                    let id = match started {
                        Ok(id) => id,
                        Err(e) => {
                            // A refused probe is about the Address field:
                            // say so there, not as a failed audit.
                            // 403: the probe is not enabled; 429: its rate
                            // limit; 400: the address.
                            if probe.is_some() && matches!(e.status, 400 | 403 | 429) {
                                let words = match e.status {
                                    403 => "This server does not run the mailbox probe. Clear the Address field to audit the domain without it",
                                    429 => "Too many mailbox probes (a limit against address harvesting)",
                                    _ => "The server refused the address",
                                };
                                rcpt_error
                                    .set(Some(format!("{words}. The server said: {}", e.message)));
                                audit.set(AuditView::Idle);
                            } else {
                                audit.set(AuditView::Failed(e.message));
                            }
                            return;
                        }
                    };
                    // Checks accumulate in a local buffer so that each update
                    // sees every previous one (state handles are snapshots).
                    let buffer = std::rc::Rc::new(std::cell::RefCell::new(Vec::<Check>::new()));
                    let view = audit.clone();
                    let is_message = from_message.is_some();
                    let sub = audits::follow(&id, move |update| match update {
                        _ if !current() => {}
                        AuditUpdate::Check(c) => {
                            buffer.borrow_mut().push(*c);
                            view.set(AuditView::Running {
                                domain: name.clone(),
                                checks: buffer.borrow().clone(),
                                from_message: is_message,
                            });
                        }
                        AuditUpdate::Done(r) => {
                            // The message report completed by the server's
                            // answers when they are in, else a fresh analysis.
                            let combined = from_message.as_ref().and_then(|(_, text)| {
                                let message = match last_verification.borrow().as_ref() {
                                    Some((of, done)) if **of == **text => (**done).clone(),
                                    _ => analyze_message(text.as_bytes(), &r.generated_at).ok()?,
                                };
                                Some((message, text.clone()))
                            });
                            view.set(match combined {
                                Some((message, text)) => {
                                    let at = r.generated_at.clone();
                                    AuditView::Done(Rc::new(combine(message, *r, at)), Some(text))
                                }
                                None => AuditView::Done(Rc::new(*r), None),
                            });
                        }
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
        let (selectors, selectors_error) = (selectors.clone(), selectors_error.clone());
        let launch_audit = launch_audit.clone();
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
                if let Some(problem) = rcpt_problem(&name, &address) {
                    rcpt_error.set(Some(problem));
                    return;
                }
            }
            rcpt_error.set(None);
            launch_audit(name, None, (!address.is_empty()).then_some(address), chosen);
        })
    };
    // "Audit <from-domain>" on a message report.
    let on_audit_from_message = {
        let domain = domain.clone();
        let message_report = message_report.clone();
        let analyzed_input = analyzed_input.clone();
        Callback::from(move |from_domain: String| {
            domain.set(from_domain.clone());
            let message = match (&*message_report, &*analyzed_input) {
                (Some(Ok(r)), Some(text)) => Some((Rc::clone(r), Rc::from(text.as_str()))),
                _ => None,
            };
            launch_audit(from_domain, message, None, Vec::new());
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
                        <textarea id="raw-message" rows="10" spellcheck="false" ref={textarea}
                            placeholder="Paste the headers (Gmail: ⋮ → Show original; Outlook: File → Properties → Internet headers)" />
                        <div class="actions">
                            <button type="submit">{"Analyze"}</button>
                            <a href="#" onclick={on_example}>{"Load an example"}</a>
                        </div>
                        if let Some(e) = &*example_error { <p class="error" role="alert">{ e }</p> }
                        <p class="privacy">{"Analysed in your browser: the paste is not sent anywhere. Only its domain names, DKIM selectors and sending IP go to the mxlens server, for key and blocklist lookups."}</p>
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
                <SmtpExplainer />
                <crate::components::test_address::TestAddressCard />
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
                    // The combined report below contains it.
                    _ if matches!(&*audit, AuditView::Done(_, Some(_))) => html! {},
                    None => html! {},
                    Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                    Some(Ok(r)) => html! {
                        <ReportView report={Rc::clone(r)} share={analyzed_input.as_ref().map(|m| ShareInput { message: Some(m.clone()), ..Default::default() })} on_audit={on_audit_from_message} />
                    },
                }
            }
            <div id="audit-result" />
            {
                match &*audit {
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
                        let rcpt = r.domain.as_ref().and_then(|d| d.rcpt.as_ref()).and_then(|e| e.get("address")).and_then(|a| a.as_str()).map(str::to_string);
                        html! {
                            <ReportView report={Rc::clone(r)} share={audited_domain.as_ref().map(|d| ShareInput { domain: Some(d.clone()), message, rcpt, selectors: (*audited_selectors).clone(), ..Default::default() })} />
                        }
                    }
                    AuditView::Failed(e) => html! { <p class="error" role="alert">{ e }</p> },
                }
            }
        </main>
    }
}
