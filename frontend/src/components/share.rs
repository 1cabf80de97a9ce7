//! The "Share" button. Two kinds of link, each saying what it is:
//! - a stored link: the server recomputes the report from the raw input
//!   and keeps it 30 days (`POST /api/reports`);
//! - a private link (message reports only): the input travels, compressed,
//!   in the URL fragment and the server never sees it (see
//!   [`crate::private_link`]).
//!
//! Redaction applies to both: the server redacts a stored report, and the
//! browser redacts the input before it goes into a private link.

use mxlens_shared::report::redact::{redact_input, RedactOptions};
use yew::prelude::*;

use crate::api::reports::{self, ShareInput};
use crate::private_link;

/// Props for [`ShareButton`].
#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The raw input to share; `None` on a page that is already a stored link.
    pub input: Option<ShareInput>,
}

/// Which kind of link.
#[derive(Clone, Copy, PartialEq)]
enum LinkKind {
    Stored,
    Private,
}

#[derive(Clone, PartialEq)]
enum Panel {
    Closed,
    Open,
    Busy(LinkKind),
    Made { kind: LinkKind, url: String },
    Failed(String),
}

/// The message with local parts (and, with `network`, IPs and the
/// Received-chain host names, read by the engine worker) replaced, for a
/// private link.
async fn redacted_message(message: &str, redact: bool, network: bool) -> String {
    if !redact && !network {
        return message.to_string();
    }
    let options = RedactOptions {
        local_parts: true,
        network,
    };
    let mut hosts: Vec<String> = Vec::new();
    if network {
        // The same host names the server would redact: those of the hops.
        if let Ok(report) = crate::worker::report(message, "1970-01-01T00:00:00Z").await {
            for hop in report.message.iter().flat_map(|m| m.hops.iter()) {
                for name in [&hop.from, &hop.by, &hop.iprev, &hop.helo]
                    .into_iter()
                    .flatten()
                {
                    hosts.push(name.clone());
                }
            }
        }
    }
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    redact_input(message, &hosts, &options)
}

/// The Share button and its panel.
#[function_component(ShareButton)]
pub fn share_button(props: &ShareProps) -> Html {
    let panel = use_state(|| Panel::Closed);
    let redact = use_state(|| false);
    let redact_network = use_state(|| false);
    // Off by default: a stored link shows `redacted@<domain>` unless the
    // user opts in to keep the probed address (`keep_rcpt`).
    let keep_rcpt = use_state(|| false);
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    // A private link carries a message only; an audit needs the server.
    let private_message = props
        .input
        .as_ref()
        .filter(|i| i.domain.is_none())
        .and_then(|i| i.message.clone());

    let toggle = {
        let panel = panel.clone();
        Callback::from(move |_| {
            panel.set(if *panel == Panel::Closed {
                Panel::Open
            } else {
                Panel::Closed
            });
        })
    };
    let create_stored = {
        let panel = panel.clone();
        let input = props.input.clone();
        let (redact, redact_network) = (redact.clone(), redact_network.clone());
        let keep_rcpt = keep_rcpt.clone();
        let origin = origin.clone();
        Callback::from(move |_| {
            let Some(mut input) = input.clone() else {
                return;
            };
            input.redact = *redact;
            input.redact_network = *redact_network;
            input.keep_rcpt = input.rcpt.is_some() && *keep_rcpt;
            let panel = panel.clone();
            let origin = origin.clone();
            panel.set(Panel::Busy(LinkKind::Stored));
            wasm_bindgen_futures::spawn_local(async move {
                match reports::create(&input).await {
                    Ok(created) => panel.set(Panel::Made {
                        kind: LinkKind::Stored,
                        url: format!("{origin}{}", created.url),
                    }),
                    Err(e) => panel.set(Panel::Failed(e.message)),
                }
            });
        })
    };
    let create_private = {
        let panel = panel.clone();
        let message = private_message.clone();
        let (redact, redact_network) = (redact.clone(), redact_network.clone());
        let origin = origin.clone();
        Callback::from(move |_| {
            let Some(message) = message.clone() else {
                return;
            };
            let (redact, network) = (*redact, *redact_network);
            let panel = panel.clone();
            let origin = origin.clone();
            panel.set(Panel::Busy(LinkKind::Private));
            wasm_bindgen_futures::spawn_local(async move {
                let text = redacted_message(&message, redact, network).await;
                match private_link::encode(&text).await {
                    Ok(fragment) => panel.set(Panel::Made {
                        kind: LinkKind::Private,
                        url: format!("{origin}/#{fragment}"),
                    }),
                    Err(e) => panel.set(Panel::Failed(e)),
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
    let on_keep_rcpt = {
        let keep_rcpt = keep_rcpt.clone();
        Callback::from(move |_| keep_rcpt.set(!*keep_rcpt))
    };
    let probed = props.input.as_ref().is_some_and(|i| i.rcpt.is_some());
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
    let busy = matches!(*panel, Panel::Busy(_));

    html! {
        <div class="share">
            <button type="button" onclick={toggle} aria-expanded={(*panel != Panel::Closed).to_string()}>{"Share"}</button>
            {
                match (&*panel, &props.input) {
                    (Panel::Closed, _) => html! {},
                    (_, None) => html! {
                        <div class="share-panel">
                            <p>{"This is a stored link; anyone with it sees this report."}</p>
                            <input type="text" readonly=true aria-label="Share link" value={current_url.clone()} />
                            <button type="button" onclick={copy(current_url.clone())}>{"Copy link"}</button>
                        </div>
                    },
                    (state, Some(_)) => html! {
                        <div class="share-panel">
                            <fieldset class="redaction">
                                <legend>{"Before sharing (applies to both kinds of link)"}</legend>
                                <label class="inline"><input type="checkbox" checked={*redact} onchange={on_redact} />{" Hide the local parts of e-mail addresses"}</label>
                                <label class="inline"><input type="checkbox" checked={*redact_network} onchange={on_redact_network} />{" Also hide IP addresses and host names"}</label>
                                if probed {
                                    <label class="inline"><input type="checkbox" checked={*keep_rcpt} onchange={on_keep_rcpt} />{" Include the probed address in the link (off by default: it shows as redacted@)"}</label>
                                }
                            </fieldset>
                            <div class="share-option">
                                <p><strong>{"Stored link: "}</strong>{"kept on the server for 30 days, anyone with the link can see it. Your input is sent to this mxlens server, which recomputes the report itself."}</p>
                                <button type="button" onclick={create_stored} disabled={busy}>{"Create stored link"}</button>
                            </div>
                            if private_message.is_some() {
                                <div class="share-option">
                                    <p><strong>{"Private link: "}</strong>{"the message stays in the link; the server never sees it. Opening the link re-runs the analysis in the browser. Anyone you give the link to can read the message in it."}</p>
                                    <button type="button" onclick={create_private} disabled={busy}>{"Create private link"}</button>
                                </div>
                            }
                            {
                                match state {
                                    Panel::Made { kind, url } => {
                                        let (note, label, button) = match kind {
                                            LinkKind::Stored => ("Stored link (kept 30 days; the server recomputed the report from your input):", "Share link", "Copy link"),
                                            LinkKind::Private => ("Private link (the message is inside the link; nothing was sent to the server):", "Private link", "Copy private link"),
                                        };
                                        // Chat and ticket tools often cut long links.
                                        let long = (*kind == LinkKind::Private && url.len() > 8000).then(|| {
                                            format!("This link is {} KiB long: some chat and ticket tools cut long links. A stored link is short.", url.len() / 1024)
                                        });
                                        html! {
                                            <div class="share-result" role="status">
                                                <p>{ note }</p>
                                                if let Some(warning) = long { <p class="privacy">{ warning }</p> }
                                                <input type="text" readonly=true aria-label={label} value={url.clone()} />
                                                <button type="button" onclick={copy(url.clone())}>{ button }</button>
                                            </div>
                                        }
                                    }
                                    Panel::Busy(_) => html! { <p role="status">{"Making the link…"}</p> },
                                    Panel::Failed(e) => html! { <p class="error" role="alert">{ e }</p> },
                                    Panel::Open | Panel::Closed => html! {},
                                }
                            }
                        </div>
                    },
                }
            }
        </div>
    }
}
