//! Append-only event logs served as Server-Sent Events: a live audit's
//! checks ([`super::audits`]) and a test address's delivery
//! ([`crate::receiver::api`]).

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};

/// An append-only log of named JSON events, served as Server-Sent Events
/// by [`event_stream`] (audits, test addresses).
pub trait EventLog: Send + Sync + 'static {
    /// Resolves at the next event.
    fn changed(&self) -> tokio::sync::futures::Notified<'_>;
    /// The events from index `from` as (SSE name, JSON data), and whether
    /// the log is finished.
    fn events_from(&self, from: usize) -> (Vec<(&'static str, std::sync::Arc<str>)>, bool);
    /// How long to wait for [`EventLog::changed`] before asking again (a
    /// log that can end by time); `None`: only an event ends the wait.
    fn recheck_after(&self) -> Option<std::time::Duration> {
        None
    }
}

/// The events of `log` as an SSE stream that ends after its last event.
pub fn event_stream<L: EventLog>(
    log: std::sync::Arc<L>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream =
        futures::stream::unfold((log, 0usize, false), |(log, seen, finished)| async move {
            if finished {
                return None;
            }
            loop {
                let (events, done) = {
                    let notified = log.changed();
                    let (events, done) = log.events_from(seen);
                    if events.is_empty() && !done {
                        match log.recheck_after() {
                            Some(wait) => {
                                let _ = tokio::time::timeout(wait, notified).await;
                            }
                            None => notified.await,
                        }
                        continue;
                    }
                    (events, done)
                };
                if events.is_empty() {
                    return None;
                }
                let next = seen + events.len();
                let batch: Vec<Result<Event, Infallible>> = events
                    .iter()
                    .map(|(name, json)| Ok(Event::default().event(*name).data(&**json)))
                    .collect();
                return Some((futures::stream::iter(batch), (log, next, done)));
            }
        })
        .flatten();
    Sse::new(stream).keep_alive(KeepAlive::default())
}
