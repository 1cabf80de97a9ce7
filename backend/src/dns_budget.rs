//! A per-audit DNS budget (security review H1): a wrapper around any
//! [`DnsLookup`] that
//!
//! - counts the queries one audit sends and, past its budget, answers every
//!   further question with a server failure, so the checks that needed the
//!   answer say `error` or `not_tested`, never a silent pass; and
//! - holds at most a share of the process-wide in-flight permits
//!   (`--dns-concurrency`): the audit waits on its own small semaphore first,
//!   so one audit can never take every global permit and starve the others.
//!
//! It sits *under* the per-audit memo ([`crate::dedup::AuditLookup`]), so a
//! question asked twice in one audit is counted once.
//!
//! The default budget, [`DEFAULT_AUDIT_DNS_BUDGET`] = 500 queries, is about
//! eight times what an ordinary audit sends (60–70: MX, SPF with its ten
//! DNS-mechanism limit of RFC 7208 §4.6.4, DMARC, 16 DKIM selectors, MTA-STS,
//! TLS-RPT, BIMI, PTR and blocklists of the MX addresses) and still covers a
//! domain with ten MX hosts of two addresses each.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use mxlens_shared::dns::{DnsLookup, DnsOutcome, DnssecStatus, MxRecord, TlsaRecord};
use tokio::sync::Semaphore;

/// Default for `--audit-dns-budget`: distinct DNS queries one audit may send.
pub const DEFAULT_AUDIT_DNS_BUDGET: u32 = 500;
/// Default for `--audit-dns-share`: DNS queries one audit may have in flight
/// at once (of the 256 global permits of `--dns-concurrency`).
pub const DEFAULT_AUDIT_DNS_SHARE: u32 = 32;

/// One audit's DNS budget and in-flight share.
#[derive(Debug)]
struct Budget {
    limit: u32,
    used: AtomicU32,
    refused: AtomicU32,
    share: Semaphore,
}

/// A [`DnsLookup`] that spends one audit's budget. Clones share it.
#[derive(Debug, Clone)]
pub struct BudgetedLookup<L> {
    inner: L,
    budget: Arc<Budget>,
}

impl<L> BudgetedLookup<L> {
    /// Wraps `inner` for one audit: at most `limit` queries, at most `share`
    /// of them in flight at once (both at least 1).
    pub fn new(inner: L, limit: u32, share: u32) -> Self {
        BudgetedLookup {
            inner,
            budget: Arc::new(Budget {
                limit: limit.max(1),
                used: AtomicU32::new(0),
                refused: AtomicU32::new(0),
                share: Semaphore::new(share.max(1) as usize),
            }),
        }
    }

    /// Queries sent so far (at most the budget).
    pub fn used(&self) -> u32 {
        self.budget.used.load(Ordering::Relaxed)
    }

    /// Questions refused because the budget was spent.
    pub fn refused(&self) -> u32 {
        self.budget.refused.load(Ordering::Relaxed)
    }

    /// Takes one query from the budget; false when it is spent.
    fn take(&self) -> bool {
        let b = &self.budget;
        let ok = b
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < b.limit).then_some(n + 1)
            })
            .is_ok();
        if !ok {
            b.refused.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Runs `query` within the budget and the audit's in-flight share.
    async fn spend<T>(&self, query: impl Future<Output = DnsOutcome<T>>) -> DnsOutcome<T> {
        if !self.take() {
            return DnsOutcome::ServerFailure(format!(
                "not asked: this audit used its budget of {} DNS queries",
                self.budget.limit
            ));
        }
        // The semaphore is never closed, so acquire cannot fail.
        let _permit = self.budget.share.acquire().await;
        query.await
    }
}

impl<L: DnsLookup + Send> DnsLookup for BudgetedLookup<L> {
    fn txt(&self, name: &str) -> impl Future<Output = DnsOutcome<String>> + Send {
        self.spend(self.inner.txt(name))
    }
    fn a(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv4Addr>> + Send {
        self.spend(self.inner.a(name))
    }
    fn aaaa(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv6Addr>> + Send {
        self.spend(self.inner.aaaa(name))
    }
    fn mx(&self, name: &str) -> impl Future<Output = DnsOutcome<MxRecord>> + Send {
        self.spend(self.inner.mx(name))
    }
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = DnsOutcome<String>> + Send {
        self.spend(self.inner.ptr(ip))
    }
    fn cname(&self, name: &str) -> impl Future<Output = DnsOutcome<String>> + Send {
        self.spend(self.inner.cname(name))
    }
    fn tlsa(&self, name: &str) -> impl Future<Output = DnsOutcome<TlsaRecord>> + Send {
        self.spend(self.inner.tlsa(name))
    }
    fn exists(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv4Addr>> + Send {
        self.spend(self.inner.exists(name))
    }
    fn dnssec_status(&self, name: &str) -> impl Future<Output = DnsOutcome<DnssecStatus>> + Send {
        self.spend(self.inner.dnssec_status(name))
    }
    fn resolver_validates(&self) -> impl Future<Output = Option<bool>> + Send {
        // The resolver's own property, remembered by it: not an audit query.
        self.inner.resolver_validates()
    }
}

/// The lookup of one server or CLI audit: `resolver` under the audit's
/// budget and share, deduplicated per audit.
pub fn audit_lookup(
    resolver: crate::resolver::HickoryLookup,
    config: &crate::audit::AuditConfig,
) -> crate::dedup::AuditLookup<BudgetedLookup<crate::resolver::HickoryLookup>> {
    crate::dedup::AuditLookup::new(BudgetedLookup::new(
        resolver,
        config.dns_budget,
        config.dns_share,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mxlens_shared::dns::{ZoneData, ZoneRecord};

    fn zone() -> ZoneData {
        let mut z = ZoneData::default();
        for i in 0..10 {
            z.add(&format!("n{i}.test"), ZoneRecord::Txt(format!("v{i}")));
        }
        z
    }

    #[tokio::test]
    async fn over_budget_questions_are_failures_never_answers() {
        let lookup = BudgetedLookup::new(zone(), 3, 2);
        for i in 0..3 {
            assert_eq!(
                lookup.txt(&format!("n{i}.test")).await,
                DnsOutcome::Records(vec![format!("v{i}")])
            );
        }
        for i in 3..1000 {
            let out = lookup.txt(&format!("n{}.test", i % 10)).await;
            assert!(out.is_failure(), "{out:?}");
            assert!(out.describe().contains("budget of 3"), "{out:?}");
        }
        assert_eq!(lookup.used(), 3);
        assert_eq!(lookup.refused(), 997);
    }

    #[tokio::test]
    async fn one_audit_holds_at_most_its_share_in_flight() {
        use std::sync::atomic::AtomicUsize;
        /// Counts the queries in flight at once.
        #[derive(Default, Clone)]
        struct Slow {
            now: Arc<AtomicUsize>,
            peak: Arc<AtomicUsize>,
        }
        impl DnsLookup for Slow {
            async fn txt(&self, _: &str) -> DnsOutcome<String> {
                let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
                self.peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                self.now.fetch_sub(1, Ordering::SeqCst);
                DnsOutcome::NoData
            }
            async fn a(&self, _: &str) -> DnsOutcome<Ipv4Addr> {
                DnsOutcome::NoData
            }
            async fn aaaa(&self, _: &str) -> DnsOutcome<Ipv6Addr> {
                DnsOutcome::NoData
            }
            async fn mx(&self, _: &str) -> DnsOutcome<MxRecord> {
                DnsOutcome::NoData
            }
            async fn ptr(&self, _: IpAddr) -> DnsOutcome<String> {
                DnsOutcome::NoData
            }
            async fn cname(&self, _: &str) -> DnsOutcome<String> {
                DnsOutcome::NoData
            }
            async fn tlsa(&self, _: &str) -> DnsOutcome<TlsaRecord> {
                DnsOutcome::NoData
            }
        }
        let slow = Slow::default();
        let lookup = BudgetedLookup::new(slow.clone(), 1000, 4);
        let names: Vec<String> = (0..200).map(|i| format!("q{i}.test")).collect();
        futures::future::join_all(names.iter().map(|n| lookup.txt(n))).await;
        assert_eq!(slow.peak.load(Ordering::SeqCst), 4);
        assert_eq!(lookup.used(), 200);
    }
}
