//! A domain audit's state. Every change goes through one reducer
//! ([`AuditState`]); [`use_audit`] starts audits, follows their event
//! streams, and makes the answers of an audit that is no longer the current
//! one stale: each action carries its audit's generation, and the reducer
//! drops those of any other.

use std::cell::RefCell;
use std::rc::Rc;

use mxlens_shared::report::combine::combine;
use mxlens_shared::report::{Check, Report};
use yew::prelude::*;

use crate::api::audits::{self, AuditUpdate, Subscription};
use crate::hooks::use_message::LastVerification;

/// What the audit part of the page shows.
#[derive(Clone, PartialEq, Default)]
pub enum AuditView {
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
    pub fn belongs_to_message(&self) -> bool {
        match self {
            AuditView::Running { from_message, .. } => *from_message,
            AuditView::Done(_, message) => message.is_some(),
            _ => false,
        }
    }
}

/// The audit state.
#[derive(Clone, PartialEq, Default)]
pub struct AuditState {
    /// The current audit; actions of any other are stale.
    generation: u64,
    pub view: AuditView,
    /// The domain and DKIM selectors the current audit was asked for (what
    /// its stored link is made of).
    pub domain: Option<String>,
    pub selectors: Vec<String>,
}

/// A change of [`AuditState`]; the number is the audit's generation.
pub enum AuditAction {
    Start {
        generation: u64,
        domain: String,
        selectors: Vec<String>,
        from_message: bool,
    },
    Check(u64, Box<Check>),
    Done(u64, Rc<Report>, Option<Rc<str>>),
    Failed(u64, String),
    /// The audit ended without a result to show (its mailbox probe was
    /// refused, which the Address field says).
    Ended(u64),
    /// No audit: `generation` is a new one, so every answer in flight is
    /// stale.
    Cancel(u64),
}

impl Reducible for AuditState {
    type Action = AuditAction;

    fn reduce(self: Rc<Self>, action: AuditAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            AuditAction::Start {
                generation,
                domain,
                selectors,
                from_message,
            } => {
                next.generation = generation;
                next.view = AuditView::Running {
                    domain: domain.clone(),
                    checks: Vec::new(),
                    from_message,
                };
                next.domain = Some(domain);
                next.selectors = selectors;
            }
            AuditAction::Cancel(generation) => {
                next.generation = generation;
                next.view = AuditView::Idle;
            }
            AuditAction::Check(g, check) if g == self.generation => {
                if let AuditView::Running { checks, .. } = &mut next.view {
                    checks.push(*check);
                }
            }
            AuditAction::Done(g, report, source) if g == self.generation => {
                next.view = AuditView::Done(report, source);
            }
            AuditAction::Failed(g, message) if g == self.generation => {
                next.view = AuditView::Failed(message);
            }
            AuditAction::Ended(g) if g == self.generation => next.view = AuditView::Idle,
            // Another audit's answer.
            _ => return self,
        }
        Rc::new(next)
    }
}

/// What starts an audit.
pub struct AuditRequest {
    pub domain: String,
    /// "Audit <from-domain>": the message's report and text. Its DKIM
    /// selectors and sending IP go with the audit, and the two reports are
    /// combined into one of kind `combined` when it is done, as a stored
    /// link would be (`shared::report::combine`).
    pub from_message: Option<(Rc<Report>, Rc<str>)>,
    /// The address for the mailbox probe.
    pub probe: Option<String>,
    /// The DKIM selectors the user named.
    pub selectors: Vec<String>,
    /// Told why the server refused the mailbox probe (it belongs under the
    /// Address field, not in a failed audit).
    pub on_probe_refused: Callback<String>,
}

/// The audit hook: its state, and how to start or cancel one.
pub struct AuditHandle {
    pub state: UseReducerHandle<AuditState>,
    pub launch: Callback<AuditRequest>,
    pub cancel: Callback<()>,
}

/// The audit part of the page. `last_verification` is the message report
/// completed by the server's answers, for the combined report.
#[hook]
pub fn use_audit(last_verification: LastVerification) -> AuditHandle {
    let state = use_reducer(AuditState::default);
    let subscription = use_mut_ref(|| None::<Subscription>);
    // The last generation handed out: bumped by every audit started and
    // every cancel.
    let generation = use_mut_ref(|| 0u64);
    let next_generation = {
        let generation = generation.clone();
        move || {
            let mut g = generation.borrow_mut();
            *g += 1;
            *g
        }
    };
    let cancel = {
        let (state, subscription) = (state.clone(), subscription.clone());
        let next_generation = next_generation.clone();
        Callback::from(move |()| {
            *subscription.borrow_mut() = None;
            state.dispatch(AuditAction::Cancel(next_generation()));
        })
    };
    let launch = {
        let state = state.clone();
        Callback::from(move |request: AuditRequest| {
            // This audit replaces any other: stop its stream, and make its
            // late answers (start, events) stale.
            *subscription.borrow_mut() = None;
            let this = next_generation();
            state.dispatch(AuditAction::Start {
                generation: this,
                domain: request.domain.clone(),
                selectors: request.selectors.clone(),
                from_message: request.from_message.is_some(),
            });
            let current = {
                let generation = generation.clone();
                move || *generation.borrow() == this
            };
            let (state, subscription) = (state.clone(), subscription.clone());
            let last_verification = last_verification.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let AuditRequest {
                    domain,
                    from_message,
                    probe,
                    selectors,
                    on_probe_refused,
                } = request;
                let started = match &from_message {
                    Some((message, _)) => {
                        audits::start_for_message(&domain, message.message.as_ref()).await
                    }
                    None => audits::start(&domain, &selectors, probe.as_deref()).await,
                };
                if !current() {
                    return;
                }
                let id = match started {
                    Ok(id) => id,
                    // A refused probe is about the Address field: say so
                    // there, not as a failed audit. 403: the probe is not
                    // enabled; 429: its rate limit; 400: the address.
                    Err(e) if probe.is_some() && matches!(e.status, 400 | 403 | 429) => {
                        let words = match e.status {
                            403 => "This server does not run the mailbox probe. Clear the Address field to audit the domain without it",
                            429 => "Too many mailbox probes (a limit against address harvesting)",
                            _ => "The server refused the address",
                        };
                        on_probe_refused.emit(format!("{words}. The server said: {}", e.message));
                        state.dispatch(AuditAction::Ended(this));
                        return;
                    }
                    Err(e) => {
                        state.dispatch(AuditAction::Failed(this, e.message));
                        return;
                    }
                };
                let view = state.clone();
                let sub = audits::follow(&id, move |update| match update {
                    AuditUpdate::Check(c) => view.dispatch(AuditAction::Check(this, c)),
                    AuditUpdate::Done(r) => {
                        let (view, from_message) = (view.clone(), from_message.clone());
                        let last_verification = last_verification.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            let message = match &from_message {
                                Some((_, text)) => {
                                    completed_message(&last_verification, text, &r.generated_at)
                                        .await
                                        .map(|message| (message, text.clone()))
                                }
                                None => None,
                            };
                            let (report, source) = match message {
                                Some((message, text)) => {
                                    let at = r.generated_at.clone();
                                    (combine(message, *r, at), Some(text))
                                }
                                None => (*r, None),
                            };
                            view.dispatch(AuditAction::Done(this, Rc::new(report), source));
                        });
                    }
                    AuditUpdate::Failed(e) => view.dispatch(AuditAction::Failed(this, e.message)),
                });
                match sub {
                    Ok(s) => *subscription.borrow_mut() = Some(s),
                    Err(e) => state.dispatch(AuditAction::Failed(this, e.message)),
                }
            });
        })
    };
    AuditHandle {
        state,
        launch,
        cancel,
    }
}

/// The message report of `text` completed by the server's answers when
/// they are in, else a fresh analysis by the engine worker.
async fn completed_message(
    last: &RefCell<Option<(Rc<str>, Rc<Report>)>>,
    text: &Rc<str>,
    at: &str,
) -> Option<Report> {
    let done = match last.borrow().as_ref() {
        Some((of, done)) if **of == **text => Some((**done).clone()),
        _ => None,
    };
    match done {
        Some(done) => Some(done),
        None => crate::worker::report(text, at).await.ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mxlens_shared::report::{ReportKind, Status};
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn start(state: Rc<AuditState>, generation: u64) -> Rc<AuditState> {
        state.reduce(AuditAction::Start {
            generation,
            domain: "example.com".into(),
            selectors: vec!["s1".into()],
            from_message: true,
        })
    }

    fn check(id: &str) -> Box<Check> {
        Box::new(Check::new(id, Status::Pass, "fine"))
    }

    #[wasm_bindgen_test]
    fn checks_accumulate_and_another_audits_answers_are_dropped() {
        let state = start(Rc::new(AuditState::default()), 1);
        let state = state.reduce(AuditAction::Check(1, check("dns.mx")));
        let state = state.reduce(AuditAction::Check(1, check("spf.record")));
        // A second audit replaces the first: the first one's late answers
        // change nothing.
        let state = start(state, 2);
        let same = state.clone().reduce(AuditAction::Check(1, check("dns.mx")));
        assert!(Rc::ptr_eq(&state, &same));
        let report = Rc::new(Report::new(ReportKind::Domain, "now", Vec::new()));
        let same = state
            .clone()
            .reduce(AuditAction::Done(1, report.clone(), None));
        assert!(Rc::ptr_eq(&state, &same));
        let state = state.reduce(AuditAction::Check(2, check("dmarc.record")));
        match &state.view {
            AuditView::Running {
                checks,
                from_message,
                ..
            } => {
                assert_eq!(checks.len(), 1);
                assert_eq!(checks[0].id, "dmarc.record");
                assert!(from_message);
            }
            _ => panic!("still running"),
        }
        assert!(state.view.belongs_to_message());
        assert_eq!(state.domain.as_deref(), Some("example.com"));
        // Cancelled: back to idle, and the audit's answers are stale.
        let state = state.reduce(AuditAction::Cancel(3));
        assert!(state.view == AuditView::Idle);
        let same = state.clone().reduce(AuditAction::Done(2, report, None));
        assert!(Rc::ptr_eq(&state, &same));
        let same = state.clone().reduce(AuditAction::Failed(2, "late".into()));
        assert!(Rc::ptr_eq(&state, &same));
    }

    #[wasm_bindgen_test]
    fn a_refused_probe_ends_the_audit_without_a_failure() {
        let state = start(Rc::new(AuditState::default()), 7);
        let state = state.reduce(AuditAction::Ended(7));
        assert!(state.view == AuditView::Idle);
        assert!(!state.view.belongs_to_message());
    }
}
