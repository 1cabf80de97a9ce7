//! Deduplicated lookups for one audit: the same question asked twice (the
//! MX host's A record by the MX check, by FCrDNS and by SPF's `mx`
//! mechanism) goes to the network once, and concurrent askers share the
//! answer. Also counts queries by outcome.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use futures::future::{BoxFuture, FutureExt, Shared};
use mxlens_shared::dns::{DnsLookup, DnsOutcome, DnssecStatus, MxRecord, TlsaRecord};

use crate::resolver::HickoryLookup;

type Memo<T> = Mutex<HashMap<String, Shared<BoxFuture<'static, DnsOutcome<T>>>>>;

/// A per-audit, deduplicating view of a lookup (a [`HickoryLookup`], or
/// one under an audit's budget, [`crate::dns_budget::BudgetedLookup`]).
#[derive(Debug)]
pub struct AuditLookup<L = HickoryLookup> {
    inner: L,
    txt: Memo<String>,
    a: Memo<Ipv4Addr>,
    aaaa: Memo<Ipv6Addr>,
    mx: Memo<MxRecord>,
    ptr: Memo<String>,
    cname: Memo<String>,
    tlsa: Memo<TlsaRecord>,
    dnssec: Memo<DnssecStatus>,
    /// Distinct queries sent.
    pub sent: AtomicU64,
    /// Queries answered from the memo.
    pub shared_hits: AtomicU64,
}

impl<L: DnsLookup + Clone + Send + 'static> AuditLookup<L> {
    /// Wraps a resolver for one audit.
    pub fn new(inner: L) -> Self {
        AuditLookup {
            inner,
            txt: Default::default(),
            a: Default::default(),
            aaaa: Default::default(),
            mx: Default::default(),
            ptr: Default::default(),
            cname: Default::default(),
            tlsa: Default::default(),
            dnssec: Default::default(),
            sent: Default::default(),
            shared_hits: Default::default(),
        }
    }

    /// The wrapped lookup.
    pub fn inner(&self) -> &L {
        &self.inner
    }

    fn memo<T, F>(
        &self,
        memo: &Memo<T>,
        key: String,
        make: impl FnOnce(L) -> F,
    ) -> Shared<BoxFuture<'static, DnsOutcome<T>>>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = DnsOutcome<T>> + Send + 'static,
    {
        let mut map = memo.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = map.get(&key) {
            self.shared_hits.fetch_add(1, Ordering::Relaxed);
            return existing.clone();
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let fut = make(self.inner.clone()).boxed().shared();
        map.insert(key, fut.clone());
        fut
    }
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl<L: DnsLookup + Clone + Send + 'static> DnsLookup for AuditLookup<L> {
    fn txt(&self, name: &str) -> impl Future<Output = DnsOutcome<String>> + Send {
        let n = key(name);
        self.memo(
            &self.txt,
            n.clone(),
            move |l| async move { l.txt(&n).await },
        )
    }
    fn a(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv4Addr>> + Send {
        let n = key(name);
        self.memo(&self.a, n.clone(), move |l| async move { l.a(&n).await })
    }
    fn aaaa(&self, name: &str) -> impl Future<Output = DnsOutcome<Ipv6Addr>> + Send {
        let n = key(name);
        self.memo(
            &self.aaaa,
            n.clone(),
            move |l| async move { l.aaaa(&n).await },
        )
    }
    fn mx(&self, name: &str) -> impl Future<Output = DnsOutcome<MxRecord>> + Send {
        let n = key(name);
        self.memo(&self.mx, n.clone(), move |l| async move { l.mx(&n).await })
    }
    fn ptr(&self, ip: IpAddr) -> impl Future<Output = DnsOutcome<String>> + Send {
        self.memo(&self.ptr, ip.to_string(), move |l| async move {
            l.ptr(ip).await
        })
    }
    fn cname(&self, name: &str) -> impl Future<Output = DnsOutcome<String>> + Send {
        let n = key(name);
        self.memo(
            &self.cname,
            n.clone(),
            move |l| async move { l.cname(&n).await },
        )
    }
    fn tlsa(&self, name: &str) -> impl Future<Output = DnsOutcome<TlsaRecord>> + Send {
        let n = key(name);
        self.memo(
            &self.tlsa,
            n.clone(),
            move |l| async move { l.tlsa(&n).await },
        )
    }
    fn dnssec_status(&self, name: &str) -> impl Future<Output = DnsOutcome<DnssecStatus>> + Send {
        let n = key(name);
        self.memo(&self.dnssec, n.clone(), move |l| async move {
            l.dnssec_status(&n).await
        })
    }
    fn resolver_validates(&self) -> impl Future<Output = Option<bool>> + Send {
        // The resolver remembers it; no per-audit memo needed.
        let inner = self.inner.clone();
        async move { inner.resolver_validates().await }
    }
}
