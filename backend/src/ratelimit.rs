//! Abuse limits for a server exposed on the internet: a per-client token
//! bucket on POST endpoints and a global cap on concurrent audits, and who
//! the client is when mxlens runs behind trusted reverse proxies.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// Buckets kept before idle (full) ones are pruned.
const MAX_TRACKED_CLIENTS: usize = 10_000;

/// The server's limits; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Limits {
    /// Per-client POST rate limiter; `None` disables it.
    pub rate: Option<RateLimiter>,
    /// Concurrent audits (stand-alone and inside stored reports).
    pub audits: Arc<Semaphore>,
    /// Mailbox probes (`rcpt`) per client IP; `None` disables the limit.
    pub rcpt_per_client: Option<RateLimiter<IpAddr>>,
    /// Mailbox probes (`rcpt`) per target domain, whoever asks: the limit
    /// that stops a harvest spread over many clients.
    pub rcpt_per_domain: Option<RateLimiter<String>>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`).
    pub trusted_proxies: Vec<IpNet>,
    /// Audits one client may run at once (`--audits-per-client`, #19 M4).
    pub audits_per_client: u32,
    /// Audits running per client.
    running: RunningAudits,
    /// IPv6 clients are keyed by this prefix (`--ipv6-client-prefix`,
    /// default /64, #19 M5): a host with a /64 cannot multiply its limits.
    pub ipv6_prefix: u8,
}

/// Default audits one client may run at once.
pub const DEFAULT_AUDITS_PER_CLIENT: u32 = 3;
/// Default prefix length by which IPv6 clients are grouped.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// A running audit's share of the limits: the global slot and the client's
/// count, both given back on drop.
#[derive(Debug)]
pub struct AuditPermit {
    _count: ClientCount,
    _global: OwnedSemaphorePermit,
}

/// One audit counted for a client; the count goes down on drop.
#[derive(Debug)]
struct ClientCount(Option<(RunningAudits, IpAddr)>);

/// Audits running per client.
type RunningAudits = Arc<Mutex<HashMap<IpAddr, u32>>>;

impl Drop for ClientCount {
    fn drop(&mut self) {
        if let Some((running, ip)) = self.0.take() {
            let mut running = running.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = running.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    running.remove(&ip);
                }
            }
        }
    }
}

impl Limits {
    /// `per_minute == 0` disables rate limiting; `max_audits` is at least 1.
    pub fn new(per_minute: u32, max_audits: u32) -> Self {
        Limits {
            rate: (per_minute > 0).then(|| RateLimiter::new(per_minute)),
            audits: Arc::new(Semaphore::new(max_audits.max(1) as usize)),
            rcpt_per_client: Some(RateLimiter::new(DEFAULT_RCPT_PER_CLIENT)),
            rcpt_per_domain: Some(RateLimiter::new(DEFAULT_RCPT_PER_DOMAIN)),
            trusted_proxies: Vec::new(),
            audits_per_client: DEFAULT_AUDITS_PER_CLIENT,
            running: Arc::default(),
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
        }
    }

    /// Sets the audits one client may run at once (0 disables) and the
    /// IPv6 grouping prefix (clamped to 0..=128).
    pub fn with_client_grouping(mut self, audits_per_client: u32, ipv6_prefix: u8) -> Self {
        self.audits_per_client = audits_per_client;
        self.ipv6_prefix = ipv6_prefix.min(128);
        self
    }

    /// The key of a client for every per-client limit: an IPv4 address
    /// (or IPv4-mapped IPv6) as is, an IPv6 address cut to its
    /// `ipv6_prefix` network (RFC 4291 §2.5.4: a /64 is one subnet, and
    /// hosts get a /64 or more).
    pub fn client_key(&self, ip: IpAddr) -> IpAddr {
        match canonical(ip) {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.ipv6_prefix))
                    .unwrap_or(0);
                IpAddr::V6((bits & mask).into())
            }
            v4 => v4,
        }
    }

    /// Believes `X-Forwarded-For` from peers in `proxies`.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpNet>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Sets the mailbox-probe limits (per minute; 0 disables one).
    pub fn with_rcpt_limits(mut self, per_client: u32, per_domain: u32) -> Self {
        self.rcpt_per_client = (per_client > 0).then(|| RateLimiter::new(per_client));
        self.rcpt_per_domain = (per_domain > 0).then(|| RateLimiter::new(per_domain));
        self
    }

    /// Takes a mailbox-probe token for `client` (when known) and `domain`,
    /// or 429 with the wait. The per-client bucket is checked first, so one
    /// greedy client does not drain the domain's bucket for others.
    pub fn rcpt_permit(&self, client: Option<IpAddr>, domain: &str) -> Result<(), AppError> {
        let now = Instant::now();
        if let (Some(rate), Some(client)) = (self.rcpt_per_client.as_ref(), client) {
            rate.check(client, now).map_err(AppError::RateLimited)?;
        }
        if let Some(rate) = self.rcpt_per_domain.as_ref() {
            rate.check(domain.to_ascii_lowercase(), now)
                .map_err(AppError::RateLimited)?;
        }
        Ok(())
    }

    /// A permit for one audit of `client`: 429 `too_many_audits` when the
    /// client already runs its share, 503 `busy` when the server-wide cap
    /// is reached.
    pub fn audit_permit(&self, client: Option<IpAddr>) -> Result<AuditPermit, AppError> {
        let client = client.filter(|_| self.audits_per_client > 0);
        if let Some(ip) = client {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            let n = running.entry(ip).or_insert(0);
            if *n >= self.audits_per_client {
                return Err(AppError::TooManyAudits(format!(
                    "this client already runs {} audits; wait for one to finish",
                    self.audits_per_client
                )));
            }
            *n += 1;
        }
        // From here a drop gives the client's count back.
        let count = ClientCount(client.map(|ip| (self.running.clone(), ip)));
        let global = self.audits.clone().try_acquire_owned().map_err(|_| {
            AppError::Busy("too many audits are running; try again in a minute".into())
        })?;
        Ok(AuditPermit {
            _count: count,
            _global: global,
        })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(30, 16)
    }
}

/// Mailbox probes allowed per client per minute by default.
pub const DEFAULT_RCPT_PER_CLIENT: u32 = 5;
/// Mailbox probes allowed per target domain per minute by default.
pub const DEFAULT_RCPT_PER_DOMAIN: u32 = 10;

/// A token bucket per key (client IP, target domain): `capacity` requests of
/// burst, refilled continuously at `capacity` per period (a minute unless
/// made with [`RateLimiter::per_period`]).
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    capacity: u32,
    period_secs: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// A limiter allowing `per_minute` requests per client per minute.
    pub fn new(per_minute: u32) -> Self {
        Self::per_period(per_minute, 60)
    }

    /// A limiter allowing `capacity` requests per client per `period_secs`.
    pub fn per_period(capacity: u32, period_secs: u64) -> Self {
        RateLimiter {
            capacity,
            period_secs: period_secs.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client` at `now`; `Err(seconds)` says when to retry.
    pub fn check(&self, client: K, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(self.capacity);
        let per_second = capacity / self.period_secs;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > MAX_TRACKED_CLIENTS {
            buckets.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, last) = buckets.entry(client).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

/// The client a request is from: the TCP peer, or, when the peer is a
/// trusted reverse proxy, the address that proxy forwarded; IPv6 cut to
/// its network ([`Limits::client_key`]), as every per-client limit keys it. Inserted into
/// the request extensions by [`limit_posts`] for the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client behind `peer`. When `peer` is in `trusted`, `X-Forwarded-For`
/// (every instance of the header, in order) is read from the right, the end
/// the nearest proxy appended, skipping addresses that are themselves
/// trusted proxies; the first other address is the client. Anything a
/// client wrote further left is never believed, and an entry that is not an
/// IP address (`unknown`, obfuscated ids) stops the walk at the last
/// trusted hop. With an untrusted peer the header is ignored entirely, so it
/// cannot be spoofed to dodge the rate limit.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let entries = forwarded_for.rev().flat_map(|h| h.rsplit(','));
    for entry in entries {
        let Some(ip) = parse_forwarded_ip(entry.trim()) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// An IPv4-mapped IPv6 address as IPv4, so `--trusted-proxy 10.0.0.0/8`
/// matches a dual-stack listener's `::ffff:10.0.0.1`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: `192.0.2.1`, `192.0.2.1:5000`,
/// `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(addr) = entry.parse::<SocketAddr>() {
        return Some(canonical(addr.ip()));
    }
    entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
        .map(canonical)
}

/// Middleware: works out the [`ClientIp`] (from `ConnectInfo`, and
/// `X-Forwarded-For` from trusted proxies; requests without `ConnectInfo`,
/// as in `oneshot` tests, have none), then rate-limits POST requests per
/// client. Behind a reverse proxy, pass `--trusted-proxy` with the proxy's
/// address, or every client shares the proxy's bucket.
pub async fn limit_posts(
    State(limits): State<Arc<Limits>>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| {
            let headers = request.headers().get_all("x-forwarded-for");
            let values: Vec<&str> = headers.iter().filter_map(|v| v.to_str().ok()).collect();
            ClientIp(limits.client_key(client_ip(
                addr.ip(),
                values.into_iter(),
                &limits.trusted_proxies,
            )))
        });
    if let Some(client) = client {
        request.extensions_mut().insert(client);
        if request.method() == Method::POST {
            if let Some(rate) = limits.rate.as_ref() {
                if let Err(retry_after) = rate.check(client.0, Instant::now()) {
                    return AppError::RateLimited(retry_after).into_response();
                }
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let limiter = RateLimiter::new(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip, t0), Ok(()));
        }
        assert_eq!(limiter.check(ip, t0), Err(20), "one token per 20 s");
        assert_eq!(limiter.check(other, t0), Ok(()), "buckets are per client");
        assert_eq!(limiter.check(ip, t0 + Duration::from_secs(20)), Ok(()));
        assert!(limiter.check(ip, t0 + Duration::from_secs(21)).is_err());
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let proxy = ip("10.0.0.2");
        // An untrusted peer: the header is ignored, however it is written.
        assert_eq!(
            client_ip(ip("192.0.2.9"), ["198.51.100.1"].into_iter(), &trusted),
            ip("192.0.2.9")
        );
        // One proxy: the address it appended.
        assert_eq!(
            client_ip(proxy, ["198.51.100.1"].into_iter(), &trusted),
            ip("198.51.100.1")
        );
        // A client-written entry on the left is never believed.
        assert_eq!(
            client_ip(proxy, ["6.6.6.6, 198.51.100.1"].into_iter(), &trusted),
            ip("198.51.100.1")
        );
        // Two trusted hops, across two header lines: skip both proxies.
        assert_eq!(
            client_ip(
                proxy,
                ["203.0.113.5, 10.1.1.1", "10.0.0.7"].into_iter(),
                &trusted
            ),
            ip("203.0.113.5")
        );
        // Ports and brackets, IPv6, and the IPv4-mapped form of a proxy.
        assert_eq!(
            client_ip(proxy, ["192.0.2.1:5000"].into_iter(), &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_ip(ip("::1"), ["[2001:db8::1]:443"].into_iter(), &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), ["2001:db8::2"].into_iter(), &trusted),
            ip("2001:db8::2")
        );
        // Garbage stops the walk at the last trusted hop; no header: the proxy.
        assert_eq!(
            client_ip(proxy, ["unknown, 10.0.0.9"].into_iter(), &trusted),
            ip("10.0.0.9")
        );
        assert_eq!(client_ip(proxy, [].into_iter(), &trusted), proxy);
        // No trusted proxies configured: always the peer.
        assert_eq!(client_ip(proxy, ["198.51.100.1"].into_iter(), &[]), proxy);
    }

    #[test]
    fn audits_per_client_and_ipv6_grouping() {
        let limits = Limits::new(0, 3).with_client_grouping(2, 64);
        let a = Some(ip("192.0.2.1"));
        let p1 = limits.audit_permit(a).unwrap();
        let _p2 = limits.audit_permit(a).unwrap();
        assert!(matches!(
            limits.audit_permit(a),
            Err(AppError::TooManyAudits(_))
        ));
        let p3 = limits.audit_permit(Some(ip("192.0.2.2"))).unwrap();
        // The server-wide cap (3) is reached: busy, and no count is kept.
        assert!(matches!(
            limits.audit_permit(Some(ip("192.0.2.3"))),
            Err(AppError::Busy(_))
        ));
        drop(p3);
        assert!(limits.audit_permit(Some(ip("192.0.2.3"))).is_ok());
        drop(p1);
        assert!(limits.audit_permit(a).is_ok());
        assert_eq!(limits.running.lock().unwrap().get(&ip("192.0.2.3")), None);

        assert_eq!(limits.client_key(ip("2001:db8:1::14")), ip("2001:db8:1::"));
        assert_eq!(limits.client_key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        let l56 = Limits::new(0, 1).with_client_grouping(2, 56);
        assert_eq!(l56.client_key(ip("2001:db8:1:ff::1")), ip("2001:db8:1::"));
        let l128 = Limits::new(0, 1).with_client_grouping(2, 128);
        assert_eq!(l128.client_key(ip("2001:db8::1")), ip("2001:db8::1"));
        let l0 = Limits::new(0, 1).with_client_grouping(2, 0);
        assert_eq!(l0.client_key(ip("2001:db8::1")), ip("::"));
    }

    #[test]
    fn audit_cap() {
        let limits = Limits::new(0, 1);
        assert!(limits.rate.is_none());
        let permit = limits.audit_permit(None).unwrap();
        assert!(matches!(limits.audit_permit(None), Err(AppError::Busy(_))));
        drop(permit);
        assert!(limits.audit_permit(None).is_ok());
    }

    #[test]
    fn rcpt_limits_per_client_and_per_domain() {
        let limits = Limits::new(0, 1).with_rcpt_limits(2, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.rcpt_permit(Some(a), "shop.test").is_ok());
        assert!(limits.rcpt_permit(Some(a), "Shop.test").is_ok());
        assert!(matches!(
            limits.rcpt_permit(Some(a), "other.test"),
            Err(AppError::RateLimited(_))
        ));
        assert!(limits.rcpt_permit(Some(b), "shop.test").is_ok());
        assert!(
            matches!(
                limits.rcpt_permit(None, "shop.test"),
                Err(AppError::RateLimited(_))
            ),
            "the domain's bucket is shared by every client"
        );
        assert!(limits.rcpt_permit(Some(b), "other.test").is_ok());
    }
}
