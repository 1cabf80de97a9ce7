//! The message analysis: the paste, its report, and the server's answers
//! that complete it (DKIM keys, blocklists). The report is made here, in
//! WebAssembly; [`use_message`] owns its state and the handlers of the
//! "Check a message" form, and opens a private link (`/#p=…`).

use std::rc::Rc;

use mxlens_shared::report::Report;
use mxlens_shared::reputation::apply_reputation;
use yew::prelude::*;

use crate::components::report_view::ReportView;
use crate::private_link;
use crate::protocol::LARGE_PASTE;
use crate::worker;

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
/// the next ones. This has the engine worker analyse the example (a static
/// file of the app, so no user data), decodes its report and renders it
/// into a detached element, never shown, then drops it.
async fn warm_up() {
    let Ok(text) = fetch_example().await else {
        return;
    };
    // A few rounds, so that the browser also optimises the hot functions
    // (V8 tiers up WebAssembly by how much each function has run).
    for _ in 0..WARM_UP_ROUNDS {
        let Ok(report) = worker::report(&text, &now_iso()).await else {
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
    // The UI benches wait for this before they measure (the engine worker
    // starts after the first render, so the rounds end later than they
    // did on the page's own thread).
    worker::mark("mxlens:warmed-up");
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

fn now_iso() -> String {
    String::from(js_sys::Date::new_0().to_iso_string())
}

/// The message report, as state.
pub type MessageReport = UseStateHandle<Option<Result<Rc<Report>, String>>>;
/// The last message report completed by the server's answers (verified
/// signatures, blocklists) and the text it is of, for the combined report.
pub type LastVerification = Rc<std::cell::RefCell<Option<(Rc<str>, Rc<Report>)>>>;

/// The message report, as the engine worker first sends it, is shown; the
/// report it then sends with its DKIM and ARC verdicts (keys from the
/// server, checks by WebCrypto: `engine/verify.rs`) and the blocklist
/// answers for the message's host names ([`crate::reputation`], when
/// `blocklists`) replace it, unless another analysis started meanwhile
/// (`mine` is no longer the `turn`).
///
/// The report of a [`LARGE_PASTE`] is shown once, complete, when the
/// answers come within [`VERDICT_WAIT_MS`]; otherwise (and for a shorter
/// paste, at once) it is shown without them and swapped for the complete
/// one when they come. Showing it
/// at once and again with the verdicts cost a frame of the unverified
/// report in between: about 100 ms with a 1 MiB paste on the page, which
/// the verification had to wait behind (#15, bench/ui-dkim.mjs).
fn verify_later(
    text: Rc<str>,
    mut replies: worker::Analysis,
    analysed: Rc<Report>,
    sink: Sink,
    blocklists: bool,
    mine: u64,
) {
    let Sink {
        report, turn, last, ..
    } = sink;
    // Set by whichever comes first: the deadline or the answers. Only a
    // large paste waits: its unverified report's frame is what costs; a
    // short one is shown at once.
    let shown = Rc::new(std::cell::Cell::new(false));
    if text.len() < LARGE_PASTE {
        shown.set(true);
        report.set(Some(Ok(analysed.clone())));
    } else {
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
        // Both at once: the blocklist request goes out while the worker
        // checks the signatures. A private link is opened without
        // blocklist lookups: opening one makes no API call for a message
        // without signatures.
        let still_mine = {
            let turn = turn.clone();
            move || *turn.borrow() == mine
        };
        let (verified, reputation) = futures::future::join(replies.verified(still_mine), async {
            match blocklists {
                true => crate::reputation::fetch(&analysed).await,
                false => None,
            }
        })
        .await;
        worker::mark("mxlens:reputation");
        if *turn.borrow() != mine {
            return;
        }
        shown.set(true);
        // Without the worker's verdicts (it stopped meanwhile), the report
        // as first analysed, which has none.
        let mut completed = verified.unwrap_or_else(|| (*analysed).clone());
        if let Some(section) = reputation {
            apply_reputation(&mut completed, section);
        }
        let completed = Rc::new(completed);
        worker::mark("mxlens:copied");
        report.set(Some(Ok(completed.clone())));
        *last.borrow_mut() = Some((text, completed));
    });
}

/// The state a new analysis writes.
#[derive(Clone)]
struct Sink {
    report: MessageReport,
    input: UseStateHandle<Option<String>>,
    /// Bumped by every analysis: the answers for an older one are dropped.
    turn: Rc<std::cell::RefCell<u64>>,
    last: LastVerification,
    /// True from a click until its report (or error) is shown.
    busy: UseStateHandle<bool>,
}

impl Sink {
    /// Has the engine worker analyse `text` (and verify its signatures)
    /// and shows the result: an error as soon as it comes, a report
    /// through [`verify_later`].
    fn analyse(self, text: String, blocklists: bool) {
        let mine = {
            let mut t = self.turn.borrow_mut();
            *t += 1;
            *t
        };
        let mut replies = worker::analyze(&text, &now_iso(), true);
        self.input.set(Some(text.clone()));
        // The report of the previous paste goes at once: it must never
        // stand for this one while the worker analyses it.
        self.report.set(None);
        self.busy.set(true);
        wasm_bindgen_futures::spawn_local(async move {
            let result = replies.report().await;
            worker::mark("mxlens:analysed");
            if *self.turn.borrow() != mine {
                return;
            }
            self.busy.set(false);
            match result {
                Ok(analysed) => verify_later(
                    text.into(),
                    replies,
                    Rc::new(analysed),
                    self,
                    blocklists,
                    mine,
                ),
                Err(e) => self.report.set(Some(Err(e))),
            }
        });
    }
}

/// How long a new message report of a [`LARGE_PASTE`] waits for the
/// server's answers (DKIM keys, blocklists) before it is shown without
/// them.
const VERDICT_WAIT_MS: i32 = 150;

/// The message part of the page.
pub struct MessageHandle {
    /// The textarea (uncontrolled: see [`textarea_value`]).
    pub textarea: NodeRef,
    pub report: MessageReport,
    /// An analysis is under way (its report is not in yet).
    pub busy: UseStateHandle<bool>,
    /// The raw input behind the current report, for stored share links.
    pub input: UseStateHandle<Option<String>>,
    /// The browser's own DKIM/ARC verification of the current message.
    pub last_verification: LastVerification,
    /// A private link was opened, or could not be.
    pub private: UseStateHandle<Option<Result<(), String>>>,
    /// "Load an example" failed: said inline, next to the link.
    pub example_error: UseStateHandle<Option<String>>,
    pub on_analyze: Callback<SubmitEvent>,
    pub on_example: Callback<MouseEvent>,
}

/// The message hook.
#[hook]
pub fn use_message() -> MessageHandle {
    let textarea = use_node_ref();
    let message_report = use_state(|| None::<Result<Rc<Report>, String>>);
    let example_error = use_state(|| None::<String>);
    let analyzed_input = use_state(|| None::<String>);
    let last_verification: LastVerification = use_mut_ref(|| None);
    let busy = use_state(|| false);
    let sink = Sink {
        report: message_report.clone(),
        input: analyzed_input.clone(),
        turn: use_mut_ref(|| 0u64),
        last: last_verification.clone(),
        busy: busy.clone(),
    };

    use_effect_with((), |_| wasm_bindgen_futures::spawn_local(warm_up()));

    // A private link: /#p=… carries the input; it is decoded and analysed
    // here, and the server never sees it.
    let private = use_state(|| None::<Result<(), String>>);
    {
        let (textarea, private, sink) = (textarea.clone(), private.clone(), sink.clone());
        use_effect_with((), move |_| {
            private_link::reload_on_new_fragment();
            if let Some(fragment) = private_link::fragment_from_location() {
                wasm_bindgen_futures::spawn_local(async move {
                    match private_link::decode(&fragment).await {
                        Ok(text) => {
                            set_textarea_value(&textarea, &text);
                            sink.analyse(text, false);
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
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = textarea_value(&textarea);
            // The worker sends the key requests before it analyses, so
            // their answers come while it runs.
            sink.clone().analyse(text, true);
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
    MessageHandle {
        textarea,
        report: message_report,
        busy,
        input: analyzed_input,
        last_verification,
        private,
        example_error,
        on_analyze,
        on_example,
    }
}
