//! The page's side of the engine worker (`protocol.rs` has the messages,
//! `engine/main.rs` the worker): it starts the worker, queues requests
//! until the worker says it is ready, and hands each request's replies to
//! whoever asked, as a stream.
//!
//! When the worker cannot run (no `Worker` in this browser, a script that
//! failed to load or compile), every request, queued or new, gets a
//! [`REPLY_ERROR`] that says so: the page shows it instead of waiting.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use js_sys::{Array, Object, Reflect};
use mxlens_shared::report::{decode, BounceReport, Report};
use mxlens_shared::smtp::codes::ReplyExplanation;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

use crate::protocol::*;

/// One reply: its kind (`protocol::REPLY_*`) and body.
pub type Reply = (String, String);

/// What the page knows of its worker.
struct Engine {
    worker: Option<Worker>,
    ready: Cell<bool>,
    /// Why the worker cannot run, once that is known.
    broken: RefCell<Option<String>>,
    /// Requests posted before the worker was ready.
    queue: RefCell<Vec<JsValue>>,
    next_id: Cell<u32>,
    waiting: RefCell<HashMap<u32, UnboundedSender<Reply>>>,
}

thread_local! {
    static ENGINE: Engine = Engine::start();
}

const UNAVAILABLE: &str = "The analysis engine of this page could not be started";

impl Engine {
    fn start() -> Engine {
        let engine = Engine {
            worker: None,
            ready: Cell::new(false),
            broken: RefCell::new(None),
            queue: RefCell::new(Vec::new()),
            next_id: Cell::new(1),
            waiting: RefCell::new(HashMap::new()),
        };
        match Worker::new(WORKER_URL) {
            Ok(worker) => {
                let on_message =
                    Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| on_reply(e.data()));
                worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                on_message.forget();
                // A script that did not load or compile, or a panic in the
                // worker (a trap: the report would never come).
                let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| {
                    let detail = Reflect::get(&e, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                        .filter(|m| !m.is_empty());
                    web_sys::console::error_1(&e);
                    fail_all(match detail {
                        Some(m) => format!("{UNAVAILABLE} ({m}). Reload the page to try again."),
                        None => {
                            format!("{UNAVAILABLE}, or it stopped. Reload the page to try again.")
                        }
                    });
                });
                worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
                on_error.forget();
                Engine {
                    worker: Some(worker),
                    ..engine
                }
            }
            Err(_) => {
                *engine.broken.borrow_mut() = Some(format!(
                    "{UNAVAILABLE}: this browser offers no Web Workers."
                ));
                engine
            }
        }
    }
}

/// A reply from the worker: `[id, kind, body]`.
fn on_reply(data: JsValue) {
    let reply = Array::from(&data);
    let id = reply.get(0).as_f64().unwrap_or(0.0) as u32;
    let kind = reply.get(1).as_string().unwrap_or_default();
    let body = reply.get(2).as_string().unwrap_or_default();
    match kind.as_str() {
        REPLY_READY => ENGINE.with(|e| {
            e.ready.set(true);
            let queued = std::mem::take(&mut *e.queue.borrow_mut());
            if let Some(worker) = &e.worker {
                for request in queued {
                    let _ = worker.post_message(&request);
                }
            }
        }),
        REPLY_MARK => mark_at(&body, reply.get(3).as_f64()),
        REPLY_FAILED => fail_all(format!(
            "{UNAVAILABLE} ({body}). Reload the page to try again."
        )),
        REPLY_DONE => {
            ENGINE.with(|e| e.waiting.borrow_mut().remove(&id));
        }
        _ => {
            let sender = ENGINE.with(|e| e.waiting.borrow().get(&id).cloned());
            if let Some(sender) = sender {
                let _ = sender.unbounded_send((kind, body));
            }
        }
    }
}

/// The worker stopped or never started: every waiter gets `why`, and so
/// does every later request.
fn fail_all(why: String) {
    let waiting = ENGINE.with(|e| {
        *e.broken.borrow_mut() = Some(why.clone());
        e.queue.borrow_mut().clear();
        std::mem::take(&mut *e.waiting.borrow_mut())
    });
    for (_, sender) in waiting {
        let _ = sender.unbounded_send((REPLY_ERROR.to_string(), why.clone()));
    }
}

/// Starts the worker now, so that it downloads and compiles while the
/// user pastes; the first request would otherwise start it.
pub fn start() {
    ENGINE.with(|_| ());
}

/// Sends a request; its replies come on the stream, which ends after the
/// last one.
fn request(op: &str, text: &str, now: &str, verify: bool) -> UnboundedReceiver<Reply> {
    let (sender, receiver) = unbounded();
    ENGINE.with(|e| {
        if let Some(why) = e.broken.borrow().clone() {
            let _ = sender.unbounded_send((REPLY_ERROR.to_string(), why));
            return;
        }
        let id = e.next_id.get();
        e.next_id.set(id.wrapping_add(1).max(1));
        let message = Object::new();
        for (key, value) in [
            ("id", JsValue::from(id)),
            ("op", op.into()),
            ("text", text.into()),
            ("now", now.into()),
            ("verify", verify.into()),
        ] {
            let _ = Reflect::set(&message, &key.into(), &value);
        }
        if op != OP_PSL {
            e.waiting.borrow_mut().insert(id, sender);
        }
        match (&e.worker, e.ready.get()) {
            (Some(worker), true) => {
                let _ = worker.post_message(&message);
            }
            _ => e.queue.borrow_mut().push(message.into()),
        }
    });
    receiver
}

/// Hands the worker the Public Suffix List's text (before any analysis:
/// requests are delivered in order).
pub fn supply_public_suffix_list(text: &str) {
    drop(request(OP_PSL, text, "", false));
}

/// The message replies of an analysis: the report, then (when verified)
/// the report with mxlens's own DKIM/ARC verdicts.
pub struct Analysis(UnboundedReceiver<Reply>);

fn decode_report(body: &str) -> Result<Report, String> {
    decode::parse(body)
        .and_then(|v| decode::report(&v))
        .map_err(|e| format!("The analysis engine's report could not be read: {e}"))
}

impl Analysis {
    /// The report, or why there is none.
    pub async fn report(&mut self) -> Result<Report, String> {
        match self.0.next().await {
            Some((kind, body)) if kind == REPLY_REPORT => decode_report(&body),
            Some((_, why)) => Err(why),
            None => Err(format!("{UNAVAILABLE}.")),
        }
    }

    /// The verified report, after [`Analysis::report`]; `None` when the
    /// worker stopped first, or when `wanted()` says, as it arrives, that
    /// it is no longer wanted (another analysis started): it is not
    /// decoded then.
    pub async fn verified(&mut self, wanted: impl Fn() -> bool) -> Option<Report> {
        match self.0.next().await {
            Some((kind, body)) if kind == REPLY_VERIFIED && wanted() => decode_report(&body).ok(),
            _ => None,
        }
    }
}

/// Analyses `text` as of `now` (RFC 3339), in the worker; with `verify`,
/// the worker also checks its signatures.
pub fn analyze(text: &str, now: &str, verify: bool) -> Analysis {
    Analysis(request(OP_ANALYZE, text, now, verify))
}

/// The report of `text` as of `now`, without verification.
pub async fn report(text: &str, now: &str) -> Result<Report, String> {
    analyze(text, now, false).report().await
}

/// "Explain an SMTP error": the bounce read from `text`, if it is one, and
/// every SMTP reply found in it.
pub async fn explain(text: &str) -> Result<(Option<BounceReport>, Vec<ReplyExplanation>), String> {
    match request(OP_EXPLAIN, text, "", false).next().await {
        Some((kind, body)) if kind == REPLY_EXPLAINED => decode::parse(&body)
            .and_then(|v| decode::explained(&v))
            .map_err(|e| format!("The analysis engine's answer could not be read: {e}")),
        Some((_, why)) => Err(why),
        None => Err(format!("{UNAVAILABLE}.")),
    }
}

/// A mark of the worker's, put on the page's timeline at the moment the
/// worker made it, `at` (milliseconds since the epoch); when there is no
/// time, at its arrival.
fn mark_at(name: &str, at: Option<f64>) {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    match at.filter(|t| t.is_finite()) {
        Some(at) => {
            // `performance.mark(name, {startTime})` (User Timing 3 §3.1.1;
            // web-sys has it only as an unstable API).
            let options = Object::new();
            let start = (at - performance.time_origin()).max(0.0);
            let _ = Reflect::set(&options, &"startTime".into(), &start.into());
            if let Ok(mark) = Reflect::get(&performance, &"mark".into()) {
                let mark: js_sys::Function = mark.unchecked_into();
                let _ = mark.call2(&performance, &name.into(), &options);
            }
        }
        None => mark(name),
    }
}

/// A `performance.mark`, named "mxlens:…": bench/ui-dkim.mjs and
/// bench/ui-analyze.mjs read them to say where the browser's time goes.
/// Nothing else reads them. The worker's marks are made here too, when
/// they arrive.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}
