//! `/api/audits`: start an audit, then follow its Server-Sent Events.

use mxlens_shared::api::CreateAudit;
use mxlens_shared::report::{Check, Report};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

use mxlens_shared::report::decode;

use super::{member, post_json, ApiError};

/// Progress of one audit, as the UI sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditUpdate {
    /// A check finished.
    Check(Box<Check>),
    /// The final report.
    Done(Box<Report>),
    /// The stream broke.
    Failed(ApiError),
}

/// Starts an audit of `domain` with the DKIM `selectors` the user named
/// (none: the server tries common ones), and the mailbox probe of `rcpt`
/// when given (`smtp.rcpt`; the server answers 403 unless it runs with
/// `--enable-rcpt-probe`, 400 for an address not at `domain`, 429 beyond
/// its probe rate); returns its id.
pub async fn start(
    domain: &str,
    selectors: &[String],
    rcpt: Option<&str>,
) -> Result<String, ApiError> {
    let body = CreateAudit {
        domain: domain.to_string(),
        selectors: selectors.to_vec(),
        rcpt: rcpt.map(str::to_string),
        ..CreateAudit::default()
    };
    member(&post_json("/api/audits", &body).await?, "id")
}

/// A live subscription; dropping it closes the stream.
pub struct Subscription {
    source: EventSource,
    _closures: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Follows the audit's events, calling `on_update` for each.
pub fn follow(
    id: &str,
    on_update: impl Fn(AuditUpdate) + 'static,
) -> Result<Subscription, ApiError> {
    let source = EventSource::new(&format!("/api/audits/{id}/events")).map_err(|_| ApiError {
        status: 0,
        message: "this browser cannot open an event stream".into(),
    })?;
    let on_update = std::rc::Rc::new(on_update);
    let mut closures = Vec::new();
    for name in ["check", "report"] {
        let cb = on_update.clone();
        let src = source.clone();
        let closure = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            // The event name says which event it is; its `check` or
            // `report` member is read by the shared decoder.
            let parsed = decode::parse(&text).and_then(|event| {
                let body = event.get(name).unwrap_or(&serde_json::Value::Null);
                if name == "check" {
                    decode::check(body).map(|c| AuditUpdate::Check(Box::new(c)))
                } else {
                    decode::report(body).map(|r| AuditUpdate::Done(Box::new(r)))
                }
            });
            // The stream ends with the report, or with the first event that
            // cannot be read: left open, the browser would reconnect and
            // replay the audit's events over the error.
            if !matches!(parsed, Ok(AuditUpdate::Check(_))) {
                src.close();
            }
            cb(parsed.unwrap_or_else(|err| {
                AuditUpdate::Failed(ApiError {
                    status: 0,
                    message: format!("unexpected event from the server: {err}"),
                })
            }));
        });
        let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        closures.push(closure);
    }
    let cb = on_update.clone();
    let src = source.clone();
    let on_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_e: MessageEvent| {
        // EventSource reconnects by itself; a closed stream before the report is a failure.
        if src.ready_state() == EventSource::CLOSED {
            cb(AuditUpdate::Failed(ApiError {
                status: 0,
                message: "the connection to the mxlens server was lost during the audit".into(),
            }));
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    closures.push(on_error);
    Ok(Subscription {
        source,
        _closures: closures,
    })
}

/// Starts an audit of a message's From domain with what the message gives
/// for it (read from its report, no second parse of the paste): the
/// selectors that signed for the domain, the sending IP, and the envelope
/// (MAIL FROM and HELO) its SPF check is evaluated for. Returns its id.
pub async fn start_for_message(
    domain: &str,
    message: Option<&mxlens_shared::report::MessageSection>,
) -> Result<String, ApiError> {
    let selectors = message.map(|m| m.selectors_for(domain)).unwrap_or_default();
    // The audit request for a message's From domain: the message's DKIM
    // selectors and sending IP go with it, so the audit checks the keys
    // that signed it and the IP that sent it (the same inputs a combined
    // report takes, see the HTTP API in the report contract).
    let body = CreateAudit {
        domain: domain.to_string(),
        selectors,
        // The signing selectors are the ones that matter; with none, the
        // server guesses the common ones.
        guess_selectors: false,
        sending_ip: message.and_then(|m| m.sending_ip.clone()),
        rcpt: None,
        // Only the envelope's domain leaves the browser: a VERP bounce
        // address's local part can encode the recipient's own address.
        mail_from: message
            .and_then(|m| m.envelope_from.as_deref())
            .map(|from| from.rsplit('@').next().unwrap_or(from).to_string()),
        helo: message.and_then(|m| m.envelope_helo.clone()),
    };
    member(&post_json("/api/audits", &body).await?, "id")
}
