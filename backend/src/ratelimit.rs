//! Abuse limits for a server exposed on the internet: a per-client token
//! bucket on POST endpoints and a global cap on concurrent audits.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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
}

impl Limits {
    /// `per_minute == 0` disables rate limiting; `max_audits` is at least 1.
    pub fn new(per_minute: u32, max_audits: u32) -> Self {
        Limits {
            rate: (per_minute > 0).then(|| RateLimiter::new(per_minute)),
            audits: Arc::new(Semaphore::new(max_audits.max(1) as usize)),
        }
    }

    /// A permit for one audit, or 503 `busy` when the cap is reached.
    pub fn audit_permit(&self) -> Result<OwnedSemaphorePermit, AppError> {
        self.audits.clone().try_acquire_owned().map_err(|_| {
            AppError::Busy("too many audits are running; try again in a minute".into())
        })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(30, 16)
    }
}

/// A token bucket per client IP: `per_minute` requests of burst, refilled
/// continuously at `per_minute / 60` per second.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per client per minute.
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client` at `now`; `Err(seconds)` says when to retry.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
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

/// Middleware: rate-limits POST requests per client IP (from
/// `ConnectInfo`; requests without it, as in `oneshot` tests, pass).
/// Behind a reverse proxy every client shares the proxy's IP: put the limit
/// in the proxy instead, or disable it with `--rate-limit-per-minute 0`.
pub async fn limit_posts(
    State(limits): State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST {
        if let (Some(rate), Some(ConnectInfo(addr))) = (
            limits.rate.as_ref(),
            request.extensions().get::<ConnectInfo<SocketAddr>>(),
        ) {
            if let Err(retry_after) = rate.check(addr.ip(), Instant::now()) {
                return AppError::RateLimited(retry_after).into_response();
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

    #[test]
    fn audit_cap() {
        let limits = Limits::new(0, 1);
        assert!(limits.rate.is_none());
        let permit = limits.audit_permit().unwrap();
        assert!(matches!(limits.audit_permit(), Err(AppError::Busy(_))));
        drop(permit);
        assert!(limits.audit_permit().is_ok());
    }
}
