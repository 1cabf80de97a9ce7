//! "Send a test message" (issue #16): a fresh address at the server's test
//! domain with a Copy button, live progress from its Server-Sent Events
//! (connected from …, receiving …), then the stored `delivery` report at
//! `/r/{id}`. The page is reopenable by its link, `/t/{id}`, while waiting.
//! The server answers 404 when its receiver is off; the card says so.

use serde_json::Value;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};
use yew::prelude::*;

use crate::api::{member, post_json, read_json};

#[derive(Clone, PartialEq)]
enum Card {
    Idle,
    Waiting {
        id: String,
        address: String,
        status: String,
    },
    Failed(String),
}

/// A live event stream; dropping it closes it.
struct Follow {
    source: EventSource,
    _closures: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// What an event says, in words.
fn progress(name: &str, data: &Value) -> String {
    let get = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    match name {
        "connected" => format!(
            "Connected from {} (HELO {}){}",
            get("client_ip"),
            get("helo"),
            if data.get("starttls").and_then(Value::as_bool) == Some(true) {
                ", over TLS"
            } else {
                ""
            }
        ),
        "receiving" => format!("Receiving the message from {}…", get("mail_from")),
        "failed" => format!(
            "The message arrived but could not be graded: {}",
            get("reason")
        ),
        "expired" => "This address has expired without a message. Get a new one.".to_string(),
        _ => "Waiting for your message…".to_string(),
    }
}

fn follow(id: &str, card: UseStateHandle<Card>, address: String) -> Option<Follow> {
    card.set(Card::Waiting {
        id: id.to_string(),
        address: address.clone(),
        status: progress("waiting", &Value::Null),
    });
    let source = EventSource::new(&format!("/api/test-addresses/{id}/events")).ok()?;
    let mut closures = Vec::new();
    for name in mxlens_shared::delivery::ADDRESS_EVENTS {
        let (card, address, src) = (card.clone(), address.clone(), source.clone());
        let id = id.to_string();
        let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e
                .data()
                .as_string()
                .and_then(|t| mxlens_shared::report::decode::parse(&t).ok())
                .unwrap_or(Value::Null);
            if name == "report" {
                src.close();
                if let (Some(w), Some(url)) =
                    (web_sys::window(), data.get("url").and_then(Value::as_str))
                {
                    let _ = w.location().assign(url);
                }
                return;
            }
            if matches!(name, "failed" | "expired") {
                src.close();
            }
            card.set(Card::Waiting {
                id: id.clone(),
                address: address.clone(),
                status: progress(name, &data),
            });
        });
        let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        closures.push(closure);
    }
    Some(Follow {
        source,
        _closures: closures,
    })
}

/// The card.
#[function_component(TestAddressCard)]
pub fn test_address_card() -> Html {
    let card = use_state(|| Card::Idle);
    let stream = use_mut_ref(|| None::<Follow>);
    // Reopened by its link: /t/{id}.
    {
        let (card, stream) = (card.clone(), stream.clone());
        use_effect_with((), move |_| {
            let path = web_sys::window()
                .and_then(|w| w.location().pathname().ok())
                .unwrap_or_default();
            if let Some(id) = path
                .strip_prefix("/t/")
                .map(|s| s.trim_end_matches('/').to_string())
            {
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = gloo_net::http::Request::get(&format!("/api/test-addresses/{id}"))
                        .send()
                        .await;
                    let address = match answer {
                        Ok(r) if r.ok() => read_json(&r)
                            .await
                            .ok()
                            .and_then(|v| member(&v, "address").ok()),
                        _ => None,
                    };
                    match address {
                        Some(address) => *stream.borrow_mut() = follow(&id, card, address),
                        None => card.set(Card::Failed(
                            "This test address is unknown or has expired.".into(),
                        )),
                    }
                });
            }
        });
    }
    let start = {
        let (card, stream) = (card.clone(), stream.clone());
        Callback::from(move |_| {
            let (card, stream) = (card.clone(), stream.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = post_json("/api/test-addresses", &()).await;
                let created = answer.and_then(|v| Ok((member(&v, "address")?, member(&v, "id")?)));
                match created {
                    Ok((address, id)) => *stream.borrow_mut() = follow(&id, card, address),
                    Err(e) => card.set(Card::Failed(e.message)),
                }
            });
        })
    };
    html! {
        <section class="card" aria-labelledby="test-address-title">
            <h2 id="test-address-title">{"Send a test message"}</h2>
            <p class="privacy">{"Send your real mail to a one-time address: mxlens grades the delivery itself (IP, TLS, SPF, DKIM, DMARC)."}</p>
            {
                match &*card {
                    Card::Idle => html! {
                        <div class="actions"><button type="button" onclick={start}>{"Get a test address"}</button></div>
                    },
                    Card::Waiting { id, address, status } => {
                        let text = address.clone();
                        let copy = Callback::from(move |_| {
                            if let Some(w) = web_sys::window() {
                                let _ = w.navigator().clipboard().write_text(&text);
                            }
                        });
                        html! {
                            <>
                                <p><code id="test-address">{ address }</code>{" "}
                                    <button type="button" onclick={copy}>{"Copy"}</button></p>
                                <p role="status" id="test-address-status">{ status }</p>
                                <p class="privacy">{"You can close this page and come back: "}<a href={format!("/t/{id}")}>{ format!("/t/{id}") }</a></p>
                            </>
                        }
                    }
                    Card::Failed(e) => html! { <p class="error" role="alert">{ e }</p> },
                }
            }
        </section>
    }
}
