//! The test DNS server and the backend's hickory resolver, together: every
//! outcome kind and every injected fault.

use std::time::{Duration, Instant};

use mxlens_backend::resolver::{HickoryLookup, ResolverSettings};
use mxlens_shared::dns::{DnsLookup, DnsOutcome};
use mxlens_tests::dns::{Fault, TestDns};

fn resolver(dns: &TestDns, timeout_ms: u64) -> HickoryLookup {
    HickoryLookup::new(&ResolverSettings {
        nameservers: vec![dns.addr],
        timeout: Duration::from_millis(timeout_ms),
        attempts: 1,
    })
    .unwrap()
}

#[tokio::test]
async fn answers_nodata_nxdomain_from_zone_files() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let r = resolver(&dns, 2000);
    assert_eq!(
        r.txt("shop.test").await,
        DnsOutcome::Records(vec!["v=spf1 mx include:_spf.mailer.test -all".into()])
    );
    let mx = r.mx("shop.test").await;
    assert_eq!(mx.records().len(), 2, "{mx:?}");
    assert_eq!(r.aaaa("mx1.shop.test").await, DnsOutcome::NoData);
    assert_eq!(r.a("nope.shop.test").await, DnsOutcome::NxDomain);
    assert!(dns.queries_for("shop.test") >= 2);
}

#[tokio::test]
async fn injected_servfail_silence_and_delay() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    dns.set_fault("broken.shop.test", Fault::ServFail);
    dns.set_fault("silent.shop.test", Fault::Silence);
    dns.set_fault("mx2.shop.test", Fault::Delay(Duration::from_millis(300)));
    let r = resolver(&dns, 1000);

    assert!(matches!(
        r.a("broken.shop.test").await,
        DnsOutcome::ServerFailure(_)
    ));

    let t = Instant::now();
    assert_eq!(r.a("silent.shop.test").await, DnsOutcome::Timeout);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "timeout took {:?}",
        t.elapsed()
    );

    let t = Instant::now();
    assert!(matches!(r.a("mx2.shop.test").await, DnsOutcome::Records(_)));
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "delay not applied: {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn truncation_forces_tcp() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    dns.set_fault("shop.test", Fault::TruncateUdp);
    let r = resolver(&dns, 2000);
    let before = dns.tcp_query_count();
    let txt = r.txt("shop.test").await;
    assert!(matches!(txt, DnsOutcome::Records(_)), "{txt:?}");
    assert!(
        dns.tcp_query_count() > before,
        "the resolver did not retry over TCP"
    );
}
