//! Test addresses: `POST /api/test-addresses` makes one, a random local part
//! at the test domain that lives for `--test-address-ttl-secs` (an hour)
//! and accepts one message. Each keeps a small log of progress events for
//! `GET /api/test-addresses/{id}/events`. With SQLite they live in
//! memory: the receiver and the web server are one process. With
//! PostgreSQL the store holds them (see [`super::shared`]): each instance
//! keeps a mirror, its events come from the store (`crate::live`), and a
//! push is published there instead of appended here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The most test addresses alive at once; past it the oldest expired ones
/// are dropped first and then creation is refused.
pub const MAX_LIVE_ADDRESSES: usize = 10_000;
/// The most events one address keeps (and, shared, one instance
/// publishes for it).
pub const MAX_EVENTS: usize = 32;

/// One progress event: its SSE name and JSON data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressEvent {
    /// `waiting`, `connected`, `receiving`, `report`, `failed`, `expired`.
    pub name: &'static str,
    /// The JSON data.
    pub json: Arc<str>,
}

#[derive(Debug, Default)]
struct State {
    events: Vec<AddressEvent>,
    /// A message was accepted for it: it takes no other.
    used: bool,
    /// The last event has been sent: the stream ends after it.
    done: bool,
    /// Shared: the last stored event applied.
    applied: i64,
    /// Shared: events this instance published, and whether the last.
    published: usize,
    published_last: bool,
}

/// One test address.
#[derive(Debug)]
pub struct TestAddress {
    /// The public id (the report's id once the message arrives).
    pub id: String,
    /// The local part (random, not the id).
    pub token: String,
    /// The whole address.
    pub address: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// SHA-256 of the report's delete token.
    pub delete_token_sha256: String,
    deadline: Instant,
    state: Mutex<State>,
    notify: Notify,
    /// Set with PostgreSQL: events go through the store.
    shared: Option<Arc<crate::live::LiveBus>>,
}

impl TestAddress {
    /// True until it expires or takes its message.
    pub fn is_live(&self, now: Instant) -> bool {
        now < self.deadline && !self.lock().used
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the address for one message: true once, while it is live.
    pub fn claim(&self, now: Instant) -> bool {
        let mut state = self.lock();
        if state.used || now >= self.deadline {
            return false;
        }
        state.used = true;
        true
    }

    /// Appends an event (the last one when `last`) and wakes the streams.
    pub fn push(&self, name: &'static str, json: serde_json::Value, last: bool) {
        if let Some(bus) = &self.shared {
            {
                let mut state = self.lock();
                if state.published_last || (state.published >= MAX_EVENTS && !last) {
                    return;
                }
                state.published += 1;
                state.published_last = last;
            }
            bus.publish(&self.id, name, json.to_string().into(), last);
            return;
        }
        {
            let mut state = self.lock();
            if state.done {
                return;
            }
            if state.events.len() < MAX_EVENTS || last {
                state.events.push(AddressEvent {
                    name,
                    json: json.to_string().into(),
                });
            }
            state.done = last;
        }
        self.notify.notify_waiters();
    }

    /// The events from index `from`, and whether the log is finished.
    /// Past its deadline without a message, an `expired` event ends it.
    pub fn events_since(&self, from: usize, now: Instant) -> (Vec<AddressEvent>, bool) {
        let mut state = self.lock();
        // Shared, the store says `expired` (super::shared::expire_at_deadline).
        if self.shared.is_none() && !state.done && !state.used && now >= self.deadline {
            state.events.push(AddressEvent {
                name: "expired",
                json: serde_json::json!({"expires_at": self.expires_at})
                    .to_string()
                    .into(),
            });
            state.done = true;
        }
        let events = state.events.get(from..).unwrap_or_default().to_vec();
        (events, state.done)
    }

    /// Resolves at the next event.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }

    /// Whether its events go through the store.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Time left before expiry.
    pub fn remaining(&self, now: Instant) -> Duration {
        self.deadline.saturating_duration_since(now)
    }
}

impl crate::live::Mirror for TestAddress {
    fn applied(&self) -> i64 {
        self.lock().applied
    }

    fn apply(&self, event: &crate::store::live::LiveEvent) {
        {
            let mut state = self.lock();
            let done = state.done;
            if !crate::live::advance(&mut state.applied, done, event.seq) {
                return;
            }
            // A name this version does not know is skipped.
            let Some(name) = mxlens_shared::delivery::ADDRESS_EVENTS
                .iter()
                .find(|n| **n == event.name)
            else {
                return;
            };
            // Each instance publishes at most MAX_EVENTS; the store's log
            // is bounded again here.
            if state.events.len() < 2 * MAX_EVENTS || event.last {
                state.events.push(AddressEvent {
                    name,
                    json: event.data.as_str().into(),
                });
            }
            state.done = event.last;
            state.used |= matches!(*name, "report" | "failed" | "expired");
        }
        self.notify.notify_waiters();
    }
}

/// All test addresses, by id and by token.
#[derive(Debug, Default)]
pub struct Addresses {
    by_id: Mutex<HashMap<String, Arc<TestAddress>>>,
    by_token: Mutex<HashMap<String, Arc<TestAddress>>>,
}

/// What a new address is made of.
#[derive(Debug, Clone)]
pub struct NewAddress {
    /// Public id.
    pub id: String,
    /// Local part.
    pub token: String,
    /// The test domain.
    pub domain: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// SHA-256 of the delete token.
    pub delete_token_sha256: String,
    /// Lifetime.
    pub ttl: Duration,
    /// Set with PostgreSQL: its events go through the store.
    pub shared: Option<Arc<crate::live::LiveBus>>,
}

impl Addresses {
    /// Registers a new address; `None` when [`MAX_LIVE_ADDRESSES`] are
    /// alive. Addresses that finished their life are forgotten first (an
    /// address whose report exists stays readable from the store).
    pub fn insert(&self, new: NewAddress, now: Instant) -> Option<Arc<TestAddress>> {
        self.insert_or_get(new, now).map(|(a, _)| a)
    }

    /// Like [`Addresses::insert`], but an address already here with that
    /// id is returned as it is (with `false`: not new).
    pub fn insert_or_get(&self, new: NewAddress, now: Instant) -> Option<(Arc<TestAddress>, bool)> {
        let mut by_id = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        let mut by_token = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = by_id.get(&new.id) {
            return Some((known.clone(), false));
        }
        if by_id.len() >= MAX_LIVE_ADDRESSES {
            // Keep an hour of grace after expiry for event streams.
            by_id.retain(|_, a| now < a.deadline + Duration::from_secs(3600));
            by_token.retain(|_, a| now < a.deadline + Duration::from_secs(3600));
        }
        if by_id.len() >= MAX_LIVE_ADDRESSES {
            return None;
        }
        let address = Arc::new(TestAddress {
            address: format!("{}@{}", new.token, new.domain),
            id: new.id.clone(),
            token: new.token.clone(),
            expires_at: new.expires_at,
            delete_token_sha256: new.delete_token_sha256,
            deadline: now + new.ttl,
            state: Mutex::default(),
            notify: Notify::new(),
            shared: new.shared,
        });
        by_id.insert(new.id, address.clone());
        by_token.insert(new.token.to_ascii_lowercase(), address.clone());
        Some((address, true))
    }

    /// The address with public id `id`.
    pub fn get(&self, id: &str) -> Option<Arc<TestAddress>> {
        self.by_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// The address with local part `token` (case-insensitive).
    pub fn by_token(&self, token: &str) -> Option<Arc<TestAddress>> {
        self.by_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&token.to_ascii_lowercase())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(ttl: Duration) -> NewAddress {
        NewAddress {
            id: "id1".into(),
            token: "Tok".into(),
            domain: "test.example".into(),
            expires_at: "2026-12-05T23:00:00Z".into(),
            delete_token_sha256: "h".into(),
            ttl,
            shared: None,
        }
    }

    #[test]
    fn an_address_takes_one_message_and_expires() {
        let addresses = Addresses::default();
        let now = Instant::now();
        let a = addresses.insert(new(Duration::from_secs(60)), now).unwrap();
        assert_eq!(a.address, "Tok@test.example");
        assert!(addresses.by_token("tok").is_some());
        assert!(a.is_live(now));
        assert!(a.claim(now));
        assert!(!a.claim(now), "single use");
        assert!(!a.is_live(now));
        let b = Addresses::default()
            .insert(new(Duration::from_secs(1)), now)
            .unwrap();
        let later = now + Duration::from_secs(2);
        assert!(!b.is_live(later) && !b.claim(later));
        let (events, done) = b.events_since(0, later);
        assert!(done);
        assert_eq!(events.last().unwrap().name, "expired");
    }

    #[test]
    fn the_event_log_is_bounded() {
        let now = Instant::now();
        let a = Addresses::default()
            .insert(new(Duration::from_secs(60)), now)
            .unwrap();
        for _ in 0..1000 {
            a.push("receiving", serde_json::json!({}), false);
        }
        a.push("report", serde_json::json!({"id": "id1"}), true);
        a.push("receiving", serde_json::json!({}), false);
        let (events, done) = a.events_since(0, now);
        assert!(done);
        assert_eq!(events.len(), MAX_EVENTS + 1);
        assert_eq!(events.last().unwrap().name, "report");
    }
}
