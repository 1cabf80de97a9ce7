//! Live state across instances (issue #16): with PostgreSQL, the progress
//! events of test addresses and of running audits go through the store,
//! so whichever instance holds a browser's event stream (or answers
//! `GET /api/audits/{id}`) sees them, and sessions need not be sticky.
//!
//! - A writer publishes an event: a task of this instance appends it to
//!   `live_events` in order, and PostgreSQL notifies the channel
//!   [`LIVE_CHANNEL`] at commit (`NOTIFY`, delivered to every listening
//!   session).
//! - Every instance `LISTEN`s on one connection (sqlx `PgListener`). A
//!   [`Mirror`] (an in-memory event log some stream reads) registered for
//!   the owner catches up from the store on each notification: it reads
//!   the events after the last one it applied, so a notification that
//!   comes twice, late or for several events at once costs one query and
//!   changes nothing twice.
//! - Notifications are not queued while the listening connection is down:
//!   when it comes back every mirror catches up, so none is lost for good.
//!
//! With SQLite nothing here runs: one process holds everything in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::store::live::{LiveEvent, LIVE_CHANNEL};
use crate::store::Store;

/// An in-memory event log fed from the store.
pub trait Mirror: Send + Sync + 'static {
    /// The sequence number of the last stored event applied (0: none).
    fn applied(&self) -> i64;
    /// Applies a stored event; one that is not the next (`applied() + 1`)
    /// is ignored, so catching up twice is harmless.
    fn apply(&self, event: &LiveEvent);
}

/// An event on its way to the store.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) owner: Arc<str>,
    pub(crate) name: &'static str,
    pub(crate) data: Arc<str>,
    pub(crate) last: bool,
}

/// The instance's link to the shared event logs.
pub struct LiveBus {
    store: Store,
    out: mpsc::UnboundedSender<Outgoing>,
    watched: Mutex<HashMap<String, Weak<dyn Mirror>>>,
}

impl std::fmt::Debug for LiveBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveBus").finish_non_exhaustive()
    }
}

impl LiveBus {
    /// Starts the bus on a PostgreSQL store (its writer and listener
    /// tasks); `None` on SQLite.
    pub async fn start(store: &Store) -> anyhow::Result<Option<Arc<Self>>> {
        let Some(pool) = store.pg_pool() else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(LIVE_CHANNEL).await?;
        let (out, rx) = mpsc::unbounded_channel();
        let bus = Arc::new(LiveBus {
            store: store.clone(),
            out,
            watched: Mutex::default(),
        });
        tokio::spawn(write_task(store.clone(), rx));
        tokio::spawn(listen_task(Arc::downgrade(&bus), listener));
        Ok(Some(bus))
    }

    /// A bus whose published events stay in the returned queue (no
    /// writer, no listener), for unit tests of what writers publish.
    #[cfg(test)]
    pub(crate) fn detached(store: Store) -> (Arc<Self>, mpsc::UnboundedReceiver<Outgoing>) {
        let (out, rx) = mpsc::unbounded_channel();
        let bus = Arc::new(LiveBus {
            store,
            out,
            watched: Mutex::default(),
        });
        (bus, rx)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Publishes an event of `owner`: it is stored after every event this
    /// instance published before it, then reaches every mirror of `owner`
    /// on every instance. Writers bound what they publish (the address's
    /// and the audit's event caps), so the queue is bounded by them.
    pub fn publish(&self, owner: &str, name: &'static str, data: Arc<str>, last: bool) {
        let _ = self.out.send(Outgoing {
            owner: owner.into(),
            name,
            data,
            last,
        });
    }

    /// Feeds `mirror` the stored events of `owner` from now on (and those
    /// already stored). It is held weakly: dropping it ends the feed.
    pub async fn watch(&self, owner: &str, mirror: Arc<dyn Mirror>) {
        {
            let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
            watched.retain(|_, m| m.strong_count() > 0);
            watched.insert(owner.to_string(), Arc::downgrade(&mirror));
        }
        // Registered first, read second: an event stored in between is
        // read here or by the catch-up its notification starts.
        catch_up(&self.store, owner, &*mirror).await;
    }

    fn watched(&self, owner: &str) -> Option<Arc<dyn Mirror>> {
        let watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        watched.get(owner).and_then(Weak::upgrade)
    }

    fn all_watched(&self) -> Vec<(String, Arc<dyn Mirror>)> {
        let watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        watched
            .iter()
            .filter_map(|(k, m)| m.upgrade().map(|m| (k.clone(), m)))
            .collect()
    }
}

async fn catch_up(store: &Store, owner: &str, mirror: &dyn Mirror) {
    match store.live_events_after(owner, mirror.applied()).await {
        Ok(events) => {
            for event in &events {
                mirror.apply(event);
            }
        }
        Err(e) => tracing::warn!(error = %e, owner, "reading shared events failed"),
    }
}

async fn write_task(store: Store, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(event) = rx.recv().await {
        let mut tries = 0;
        loop {
            tries += 1;
            match store
                .append_live_event(&event.owner, event.name, &event.data, event.last)
                .await
            {
                Ok(_) => break,
                // The store may be restarting: a few tries, then drop it.
                Err(e) if tries < 3 => {
                    tracing::warn!(error = %e, "storing a shared event failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, owner = %event.owner, name = event.name, "a shared event was lost");
                    break;
                }
            }
        }
    }
}

/// A fresh listening connection, retried every second until it works.
async fn relisten(pool: &sqlx::PgPool) -> sqlx::postgres::PgListener {
    loop {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
            listener.listen(LIVE_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listener.await {
            Ok(listener) => return listener,
            Err(e) => {
                tracing::warn!(error = %e, "listening for shared events failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn listen_task(bus: Weak<LiveBus>, mut listener: sqlx::postgres::PgListener) {
    loop {
        let received = listener.try_recv().await;
        let Some(bus) = bus.upgrade() else {
            return;
        };
        let note = match received {
            Ok(Some(note)) => note,
            // The connection was lost (sqlx has reconnected and listens
            // again) or failed (a new one is made): what was notified
            // meanwhile is gone, so every mirror catches up.
            Ok(None) | Err(_) => {
                if let Err(e) = received {
                    tracing::warn!(error = %e, "the shared-events listener failed; reconnecting");
                    let Some(pool) = bus.store.pg_pool() else {
                        return;
                    };
                    listener = relisten(pool).await;
                }
                for (owner, mirror) in bus.all_watched() {
                    catch_up(&bus.store, &owner, &*mirror).await;
                }
                continue;
            }
        };
        if let Some(mirror) = bus.watched(note.payload()) {
            catch_up(&bus.store, note.payload(), &*mirror).await;
        }
    }
}

/// The `kind` of an audit in `live_logs`.
const AUDIT: &str = "audit";

/// How long a shared audit is kept: as long as the registry keeps one.
const AUDIT_KEPT: Duration = Duration::from_secs(3600);

/// Records audit `id` in the store so that other instances can follow it,
/// and returns what publishes its events there (with at most
/// [`crate::audit::MAX_SHARED_BYTES`] of events before the report).
pub async fn share_audit(
    bus: &Arc<LiveBus>,
    id: &str,
) -> Result<impl FnMut(&crate::audit::StoredEvent) + Send + 'static, sqlx::Error> {
    let kept_until = crate::receiver::api::rfc3339_after(AUDIT_KEPT.as_secs());
    let log = crate::store::live::LiveLog {
        id: id.to_string(),
        kind: AUDIT.into(),
        token: None,
        address: None,
        expires_at: kept_until.clone(),
        delete_token_sha256: None,
        used: false,
    };
    bus.store.put_live_log(&log, &kept_until).await?;
    Ok(audit_publisher(bus.clone(), id.into()))
}

/// Publishes audit `owner`'s events: the report always, the others while
/// they total at most [`crate::audit::MAX_SHARED_BYTES`].
fn audit_publisher(
    bus: Arc<LiveBus>,
    owner: Arc<str>,
) -> impl FnMut(&crate::audit::StoredEvent) + Send + 'static {
    let mut bytes = 0usize;
    move |event: &crate::audit::StoredEvent| {
        let last = event.report.is_some();
        bytes = bytes.saturating_add(event.json.len());
        if last || bytes <= crate::audit::MAX_SHARED_BYTES {
            bus.publish(&owner, event.name, event.json.clone(), last);
        }
    }
}

/// Audit `id`: kept here, or with PostgreSQL a mirror of the one another
/// instance runs (kept in `registry`, so its bounds hold for mirrors too).
pub async fn find_audit(
    registry: &crate::audit::AuditRegistry,
    bus: Option<&Arc<LiveBus>>,
    id: &str,
) -> Result<Option<Arc<crate::audit::AuditEntry>>, sqlx::Error> {
    if let Some(entry) = registry.get(id) {
        return Ok(Some(entry));
    }
    let Some(bus) = bus else {
        return Ok(None);
    };
    match bus.store.get_live_log(id).await? {
        Some(log) if log.kind == AUDIT => {
            let (entry, fresh) = registry.insert_or_get(id.to_string());
            if fresh {
                bus.watch(id, entry.clone()).await;
            }
            Ok(Some(entry))
        }
        _ => Ok(None),
    }
}

/// A mirror's in-order rule: `applied` moves to `seq` when `seq` is the
/// next event and the stream has not ended. A duplicate, a gap or an ended
/// stream changes nothing (the mirror catches up from the store instead).
pub fn advance(applied: &mut i64, done: bool, seq: i64) -> bool {
    if done || seq != *applied + 1 {
        return false;
    }
    *applied = seq;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditEvent, StoredEvent, MAX_SHARED_BYTES};
    use mxlens_shared::report::{Check, Report, ReportKind, Status};

    fn drain(rx: &mut mpsc::UnboundedReceiver<Outgoing>) -> Vec<Outgoing> {
        let mut out = Vec::new();
        while let Ok(event) = rx.try_recv() {
            out.push(event);
        }
        out
    }

    /// An audit of huge check events (12,000 selectors' worth) puts at
    /// most MAX_SHARED_BYTES of them in the store, and its report always.
    #[tokio::test]
    async fn a_huge_audit_shares_a_bounded_log_and_its_report() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let (bus, mut rx) = LiveBus::detached(store);
        let mut publish = audit_publisher(bus, "a1".into());
        let check = StoredEvent::new(&AuditEvent::Check {
            check: Check::new("dkim.key", Status::Pass, "x".repeat(1000)),
        });
        for _ in 0..12_000 {
            publish(&check);
        }
        publish(&StoredEvent::new(&AuditEvent::Report {
            report: Box::new(Report::new(ReportKind::Domain, String::new(), vec![])),
        }));
        let sent = drain(&mut rx);
        let bytes: usize = sent.iter().filter(|e| !e.last).map(|e| e.data.len()).sum();
        assert!(bytes <= MAX_SHARED_BYTES, "{bytes}");
        assert!(bytes > MAX_SHARED_BYTES - 2 * check.json.len(), "{bytes}");
        let last = sent.last().unwrap();
        assert!(last.last && last.name == "report" && &*last.owner == "a1");
    }

    /// A client looping RCPT/RSET on a shared address publishes at most
    /// MAX_EVENTS events and its last one, and nothing after the last.
    #[tokio::test]
    async fn a_shared_address_publishes_a_bounded_log() {
        use crate::receiver::tokens::{Addresses, NewAddress, MAX_EVENTS};
        let store = Store::open("sqlite::memory:").await.unwrap();
        let (bus, mut rx) = LiveBus::detached(store);
        let address = Addresses::default()
            .insert(
                NewAddress {
                    id: "id1".into(),
                    token: "tok".into(),
                    domain: "test.example".into(),
                    expires_at: "2026-12-05T23:00:00Z".into(),
                    delete_token_sha256: "h".into(),
                    ttl: Duration::from_secs(60),
                    shared: Some(bus),
                },
                std::time::Instant::now(),
            )
            .unwrap();
        for _ in 0..1000 {
            address.push("connected", serde_json::json!({}), false);
        }
        address.push("report", serde_json::json!({"id": "id1"}), true);
        address.push("failed", serde_json::json!({}), true);
        let sent = drain(&mut rx);
        assert_eq!(sent.len(), MAX_EVENTS + 1);
        assert_eq!(
            (sent[MAX_EVENTS].name, sent[MAX_EVENTS].last),
            ("report", true)
        );
        // Published, not appended here: the store's log feeds the mirror.
        assert!(address
            .events_since(0, std::time::Instant::now())
            .0
            .is_empty());
    }
}
