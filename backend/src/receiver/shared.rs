//! Test addresses across instances (issue #16). With PostgreSQL the store
//! holds each address (`live_logs`: token, id, expiry, delete token hash,
//! single use) and its events (`live_events`), so the instance that hands
//! out an address, the one whose receiver takes the message and the one
//! holding the browser's event stream may all differ:
//!
//! - any instance finds an address by id (`GET /api/test-addresses/{id}`
//!   and its events) or by token (`RCPT TO`) in the store and keeps a
//!   mirror of it, fed by `crate::live`;
//! - the message is claimed with one `UPDATE … WHERE used_at IS NULL AND
//!   expires_at > now RETURNING`, so an address takes one message across
//!   every instance;
//! - at expiry, whichever instance follows the address closes it in the
//!   store the same way and publishes `expired`: a closed address can no
//!   longer be claimed, so a stream never shows both `expired` and a report.
//!
//! With SQLite everything stays in [`super::tokens::Addresses`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::tokens::{NewAddress, TestAddress};
use super::Receiver;
use crate::error::AppError;
use crate::live::LiveBus;
use crate::store::live::LiveLog;

/// A stored test address is swept this long after its expiry (its stream
/// can still be read meanwhile; its report lives on in `reports`).
const GRACE: Duration = Duration::from_secs(3600);

/// The `kind` of a test address in `live_logs`.
const KIND: &str = "test-address";

fn busy() -> AppError {
    AppError::Busy("too many test addresses are waiting; try again later".into())
}

/// Time from now to the RFC 3339 instant `at` (zero when past or unreadable).
fn until(at: &str) -> Duration {
    let Ok(at) = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
    else {
        return Duration::ZERO;
    };
    let left = at - time::OffsetDateTime::now_utc();
    left.try_into().unwrap_or(Duration::ZERO)
}

impl Receiver {
    /// Registers a new address, with its first event, `waiting`: in
    /// memory, and with PostgreSQL in the store too. The event is stored
    /// before this returns, so it comes before anything a receiver (here
    /// or elsewhere) says about the address.
    pub async fn create_address(&self, mut new: NewAddress) -> Result<Arc<TestAddress>, AppError> {
        let now = Instant::now();
        let waiting = |address: &TestAddress| serde_json::json!({"address": address.address, "expires_at": address.expires_at});
        let Some(bus) = self.live.clone() else {
            let address = self.addresses.insert(new, now).ok_or_else(busy)?;
            address.push("waiting", waiting(&address), false);
            return Ok(address);
        };
        let log = LiveLog {
            id: new.id.clone(),
            kind: KIND.into(),
            token: Some(new.token.clone()),
            address: Some(format!("{}@{}", new.token, new.domain)),
            expires_at: new.expires_at.clone(),
            delete_token_sha256: Some(new.delete_token_sha256.clone()),
            used: false,
        };
        let gone_at = super::api::rfc3339_after((new.ttl + GRACE).as_secs());
        new.shared = Some(bus.clone());
        let (address, _) = self.addresses.insert_or_get(new, now).ok_or_else(busy)?;
        bus.store().put_live_log(&log, &gone_at).await?;
        let data = waiting(&address).to_string();
        bus.store()
            .append_live_event(&address.id, "waiting", &data, false)
            .await?;
        follow(&bus, &address).await;
        Ok(address)
    }

    /// The address with public id `id`: here, or with PostgreSQL in the
    /// store (whichever instance made it).
    pub async fn address(&self, id: &str) -> Result<Option<Arc<TestAddress>>, AppError> {
        if let Some(address) = self.addresses.get(id) {
            return Ok(Some(address));
        }
        let Some(bus) = &self.live else {
            return Ok(None);
        };
        let log = bus.store().get_live_log(id).await?;
        Ok(match log.filter(|l| l.kind == KIND) {
            Some(log) => self.adopt(bus, log).await,
            None => None,
        })
    }

    /// The live address with local part `token` (`RCPT TO`): unused and
    /// not expired. With PostgreSQL the store says, every time.
    pub async fn live_address(&self, token: &str) -> Option<Arc<TestAddress>> {
        let Some(bus) = &self.live else {
            return self
                .addresses
                .by_token(token)
                .filter(|a| a.is_live(Instant::now()));
        };
        let log = match bus.store().live_log_by_token(token).await {
            Ok(log) => log?,
            Err(e) => {
                tracing::warn!(error = %e, "looking up a test address failed");
                return None;
            }
        };
        if log.kind != KIND || log.used || until(&log.expires_at).is_zero() {
            return None;
        }
        self.adopt(bus, log).await
    }

    /// Claims `address` for one message: true once across every instance,
    /// while it is live.
    pub async fn claim(&self, address: &TestAddress) -> bool {
        let Some(bus) = &self.live else {
            return address.claim(Instant::now());
        };
        match bus
            .store()
            .claim_live_log(&address.id, &crate::now_rfc3339())
            .await
        {
            Ok(claimed) => {
                if claimed {
                    // Mirrors the store here (the local flag is unused
                    // in shared mode, but stays true to what happened).
                    address.claim(Instant::now());
                }
                claimed
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a test address failed");
                false
            }
        }
    }

    /// A mirror of a stored address, made here once and then followed.
    async fn adopt(&self, bus: &Arc<LiveBus>, log: LiveLog) -> Option<Arc<TestAddress>> {
        let new = NewAddress {
            id: log.id,
            token: log.token.unwrap_or_default(),
            domain: self.config.test_domain.clone(),
            ttl: until(&log.expires_at),
            expires_at: log.expires_at,
            delete_token_sha256: log.delete_token_sha256.unwrap_or_default(),
            shared: Some(bus.clone()),
        };
        let (address, fresh) = self.addresses.insert_or_get(new, Instant::now())?;
        if fresh {
            follow(bus, &address).await;
        }
        Some(address)
    }
}

/// Feeds `address` its stored events, and at its deadline closes it in the
/// store and publishes `expired` unless it took a message (the `UPDATE`
/// lets one instance of those following it do so).
async fn follow(bus: &Arc<LiveBus>, address: &Arc<TestAddress>) {
    bus.watch(&address.id, address.clone()).await;
    let left = address.remaining(Instant::now());
    let bus = Arc::downgrade(bus);
    let id = address.id.clone();
    let expires_at = address.expires_at.clone();
    tokio::spawn(async move {
        // Past the deadline by a little: expires_at has whole seconds.
        tokio::time::sleep(left + Duration::from_millis(100)).await;
        let Some(bus) = bus.upgrade() else {
            return;
        };
        match bus
            .store()
            .expire_live_log(&id, &crate::now_rfc3339())
            .await
        {
            Ok(true) => {
                let data = serde_json::json!({ "expires_at": expires_at }).to_string();
                bus.publish(&id, "expired", data.into(), true);
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "closing an expired test address failed"),
        }
    });
}
