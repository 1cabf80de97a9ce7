//! The test DNS server and the backend's hickory resolver, together: every
//! outcome kind and every injected fault.

use std::time::{Duration, Instant};

use mxlens_backend::resolver::{HickoryLookup, ResolverSettings};
use mxlens_shared::dns::{DnsLookup, DnsOutcome, DnssecStatus};
use mxlens_tests::dns::{Fault, TestDns};

fn resolver(dns: &TestDns, timeout_ms: u64) -> HickoryLookup {
    HickoryLookup::new(&ResolverSettings {
        nameservers: vec![dns.addr],
        timeout: Duration::from_millis(timeout_ms),
        attempts: 1,
        ..ResolverSettings::default()
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

/// The AD bit travels in real packets: the resolver's own SOA query with
/// AD=1 and DO=1 reads AD=1 for a zone the server marks authenticated and
/// AD=0 otherwise; SERVFAIL and silence are failures, and a truncated UDP
/// answer is retried over TCP.
#[tokio::test]
async fn dnssec_status_from_the_ad_bit() {
    let dns = TestDns::start_fixtures(&["shop.test", "audit.test"])
        .await
        .unwrap();
    dns.set_authenticated("shop.test");
    dns.set_fault("broken.audit.test", Fault::ServFail);
    dns.set_fault("silent.audit.test", Fault::Silence);
    let r = resolver(&dns, 500);
    assert_eq!(
        r.dnssec_status("shop.test").await,
        DnsOutcome::Records(vec![DnssecStatus::Authenticated])
    );
    // NODATA below the apex is still an authenticated answer.
    assert_eq!(
        r.dnssec_status("mx1.shop.test").await,
        DnsOutcome::Records(vec![DnssecStatus::Authenticated])
    );
    assert_eq!(
        r.dnssec_status("good.audit.test").await,
        DnsOutcome::Records(vec![DnssecStatus::Unauthenticated])
    );
    assert_eq!(
        r.dnssec_status("missing.audit.test").await,
        DnsOutcome::NxDomain
    );
    assert!(matches!(
        r.dnssec_status("broken.audit.test").await,
        DnsOutcome::ServerFailure(_)
    ));
    assert_eq!(
        r.dnssec_status("silent.audit.test").await,
        DnsOutcome::Timeout
    );

    dns.set_fault("shop.test", Fault::TruncateUdp);
    let before = dns.tcp_query_count();
    assert_eq!(
        r.dnssec_status("shop.test").await,
        DnsOutcome::Records(vec![DnssecStatus::Authenticated])
    );
    assert!(dns.tcp_query_count() > before, "no retry over TCP");
}

/// The global bound on in-flight queries holds across clones (audits share
/// clones of one resolver): with a bound of 2 and 150 ms per answer, six
/// concurrent queries take three rounds, and the server never sees more
/// than two at once.
#[tokio::test]
async fn in_flight_queries_are_bounded_globally() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    dns.set_fault("", Fault::Delay(Duration::from_millis(150)));
    let r = HickoryLookup::new(&ResolverSettings {
        nameservers: vec![dns.addr],
        timeout: Duration::from_secs(3),
        attempts: 1,
        max_in_flight: 2,
    })
    .unwrap();
    let clones: Vec<HickoryLookup> = (0..6).map(|_| r.clone()).collect();
    let t = Instant::now();
    let answers = futures::future::join_all(
        clones
            .iter()
            .enumerate()
            .map(|(i, l)| async move { l.a(&format!("n{i}.shop.test")).await }),
    )
    .await;
    let elapsed = t.elapsed();
    assert!(
        answers.iter().all(|a| *a == DnsOutcome::NxDomain),
        "{answers:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(440),
        "6 queries at 2 in flight and 150 ms each took only {elapsed:?}"
    );
    assert_eq!(
        dns.max_concurrent(),
        2,
        "peak concurrent queries at the server"
    );
    assert_eq!(r.available_permits(), 2);
}
