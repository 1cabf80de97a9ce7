//! Storage limits for share links (#19 H2): a report made from a 1 MB input
//! could be 4–12 MB, kept 30 days, with no limit on how many a client
//! stores or how much the store holds.
//!
//! - **Size cap** (`--max-report-kib`, default 512 KiB of stored JSON): a
//!   larger report is refused with 413 `report_too_large` (not trimmed: a
//!   trimmed share link would show a different report from the one the
//!   API computes). Real reports are a few tens of KB.
//! - **Per-client daily quota** (`--reports-per-client-per-day`, default
//!   200): a token bucket per client refilled over 24 h, per instance;
//!   past it 429 `quota_exceeded` with `Retry-After`.
//! - **Store quota** (`--store-quota-mib`, default 2,048 MiB of report
//!   JSON in the store, expired rows included until swept): past it 507
//!   `store_full`. The total is read from the store at most every 30 s and
//!   counted up locally in between, so instances sharing one PostgreSQL
//!   overshoot by at most what they store in 30 s.
//! - **Large reads**: `GET /api/reports/{id}` of a report over 64 KiB takes
//!   a token from the client's POST rate bucket (`--rate-limit-per-minute`).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::error::AppError;
use crate::ratelimit::RateLimiter;
use crate::store::Store;

/// Default stored-size cap of one report, KiB.
pub const DEFAULT_MAX_REPORT_KIB: u32 = 512;
/// Default reports one client may store per day.
pub const DEFAULT_REPORTS_PER_CLIENT_PER_DAY: u32 = 200;
/// Default size of the whole store, MiB of report JSON.
pub const DEFAULT_STORE_QUOTA_MIB: u64 = 2048;
/// Reads of stored reports above this size are rate-limited.
pub const LARGE_READ_BYTES: usize = 64 * 1024;
/// How long the store's total is trusted before it is read again.
const TOTAL_REFRESH: Duration = Duration::from_secs(30);
const DAY_SECS: u64 = 24 * 3600;

/// The storage limits of a server.
#[derive(Debug)]
pub struct StoreQuota {
    max_report_bytes: usize,
    per_client: Option<RateLimiter>,
    store_bytes: u64,
    total: tokio::sync::Mutex<Option<(u64, Instant)>>,
}

impl Default for StoreQuota {
    fn default() -> Self {
        StoreQuota::new(
            DEFAULT_MAX_REPORT_KIB,
            DEFAULT_REPORTS_PER_CLIENT_PER_DAY,
            DEFAULT_STORE_QUOTA_MIB,
        )
    }
}

impl StoreQuota {
    /// `per_client_per_day == 0` and `store_quota_mib == 0` disable those
    /// limits; the size cap is always on (at least 1 KiB).
    pub fn new(max_report_kib: u32, per_client_per_day: u32, store_quota_mib: u64) -> Self {
        StoreQuota {
            max_report_bytes: (max_report_kib.max(1) as usize).saturating_mul(1024),
            per_client: (per_client_per_day > 0)
                .then(|| RateLimiter::per_period(per_client_per_day, DAY_SECS)),
            store_bytes: store_quota_mib.saturating_mul(1024 * 1024),
            total: tokio::sync::Mutex::new(None),
        }
    }

    /// Counts one report creation against `client`'s daily quota.
    pub fn take_client(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        match (self.per_client.as_ref(), client) {
            (Some(limiter), Some(ip)) => limiter
                .check(ip, Instant::now())
                .map_err(AppError::QuotaExceeded),
            _ => Ok(()),
        }
    }

    /// Refuses a report of `len` bytes over the size cap.
    pub fn check_size(&self, len: usize) -> Result<(), AppError> {
        if len <= self.max_report_bytes {
            return Ok(());
        }
        Err(AppError::ReportTooLarge(format!(
            "the report is {len} bytes, over the {} KiB a share link may hold; \
             paste the header block only, or fewer DKIM selectors",
            self.max_report_bytes / 1024
        )))
    }

    /// Reserves `len` bytes of the store quota, or 507 `store_full`.
    pub async fn reserve(&self, store: &Store, len: usize) -> Result<(), AppError> {
        if self.store_bytes == 0 {
            return Ok(());
        }
        let mut total = self.total.lock().await;
        let now = Instant::now();
        let bytes = match *total {
            Some((bytes, at)) if now.duration_since(at) < TOTAL_REFRESH => bytes,
            _ => store.report_bytes().await?,
        };
        let after = bytes.saturating_add(len as u64);
        if after > self.store_bytes {
            *total = Some((bytes, now));
            return Err(AppError::StoreFull(format!(
                "the report store is full ({} MiB); try again after old reports expire",
                self.store_bytes / (1024 * 1024)
            )));
        }
        let at = total.map_or(now, |(_, at)| at);
        let at = if now.duration_since(at) < TOTAL_REFRESH {
            at
        } else {
            now
        };
        *total = Some((after, at));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_cap_and_daily_quota() {
        let quota = StoreQuota::new(1, 2, 0);
        assert!(quota.check_size(1024).is_ok());
        assert!(matches!(
            quota.check_size(1025),
            Err(AppError::ReportTooLarge(_))
        ));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(quota.take_client(Some(ip)).is_ok());
        assert!(quota.take_client(Some(ip)).is_ok());
        match quota.take_client(Some(ip)) {
            // One report every 12 hours refills.
            Err(AppError::QuotaExceeded(secs)) => assert!(secs > 11 * 3600, "{secs}"),
            other => panic!("{other:?}"),
        }
        assert!(quota
            .take_client(Some("192.0.2.2".parse().unwrap()))
            .is_ok());
    }
}
