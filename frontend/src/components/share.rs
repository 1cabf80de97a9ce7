//! The "Share" button: creates a stored link (the server recomputes the
//! report from the raw input and keeps it 30 days), with optional redaction,
//! and offers it for copying.

use yew::prelude::*;

use crate::api::reports::{self, ShareInput};

/// Props for [`ShareButton`].
#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The raw input to store; `None` on a page that is already a stored link.
    pub input: Option<ShareInput>,
}

#[derive(Clone, PartialEq)]
enum State {
    Closed,
    Open,
    Busy,
    Made { url: String },
    Failed(String),
}

/// The Share button and its panel.
#[function_component(ShareButton)]
pub fn share_button(props: &ShareProps) -> Html {
    let state = use_state(|| State::Closed);
    let redact = use_state(|| false);
    let redact_network = use_state(|| false);
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();

    let toggle = {
        let state = state.clone();
        Callback::from(move |_| {
            state.set(if *state == State::Closed {
                State::Open
            } else {
                State::Closed
            });
        })
    };
    let create = {
        let state = state.clone();
        let input = props.input.clone();
        let (redact, redact_network) = (redact.clone(), redact_network.clone());
        let origin = origin.clone();
        Callback::from(move |_| {
            let Some(mut input) = input.clone() else {
                return;
            };
            input.redact = *redact;
            input.redact_network = *redact_network;
            let state = state.clone();
            let origin = origin.clone();
            state.set(State::Busy);
            wasm_bindgen_futures::spawn_local(async move {
                match reports::create(&input).await {
                    Ok(created) => state.set(State::Made {
                        url: format!("{origin}{}", created.url),
                    }),
                    Err(e) => state.set(State::Failed(e.message)),
                }
            });
        })
    };
    let on_redact = {
        let redact = redact.clone();
        Callback::from(move |_| redact.set(!*redact))
    };
    let on_redact_network = {
        let redact_network = redact_network.clone();
        Callback::from(move |_| redact_network.set(!*redact_network))
    };
    let copy = |text: String| {
        Callback::from(move |_| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&text);
            }
        })
    };
    let current_url = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();

    html! {
        <div class="share">
            <button type="button" onclick={toggle} aria-expanded={(*state != State::Closed).to_string()}>{"Share"}</button>
            {
                match (&*state, &props.input) {
                    (State::Closed, _) => html! {},
                    (_, None) => html! {
                        <div class="share-panel">
                            <p>{"This is a stored link; anyone with it sees this report."}</p>
                            <input type="text" readonly=true aria-label="Share link" value={current_url.clone()} />
                            <button type="button" onclick={copy(current_url.clone())}>{"Copy link"}</button>
                        </div>
                    },
                    (State::Made { url }, Some(_)) => html! {
                        <div class="share-panel" role="status">
                            <p>{"Stored link (kept 30 days; the server recomputed the report from your input):"}</p>
                            <input type="text" readonly=true aria-label="Share link" value={url.clone()} />
                            <button type="button" onclick={copy(url.clone())}>{"Copy link"}</button>
                        </div>
                    },
                    (st, Some(_)) => html! {
                        <div class="share-panel">
                            <p>{"A stored link sends your input to this mxlens server, which recomputes the report and keeps it for 30 days. Anyone with the link can see it."}</p>
                            <label class="inline"><input type="checkbox" checked={*redact} onchange={on_redact} />{" Hide the local parts of e-mail addresses"}</label>
                            <label class="inline"><input type="checkbox" checked={*redact_network} onchange={on_redact_network} />{" Also hide IP addresses and host names"}</label>
                            <button type="button" onclick={create} disabled={*st == State::Busy}>{"Create stored link"}</button>
                            if let State::Failed(e) = st { <p class="error" role="alert">{ e }</p> }
                        </div>
                    },
                }
            }
        </div>
    }
}
