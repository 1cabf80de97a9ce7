//! The SMTP probe against real peers on loopback: Postfix with STARTTLS and
//! the fault-injecting fake. Every probe goes through the connection guard:
//! the MX address is a documentation IP (192.0.2.10) opened with an
//! `--allow-target`-style rule and redirected to the peer with a
//! `--connect-to`-style rule, as an operator would.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use mxlens_backend::probe::{probe_mx, ProbeOptions};
use mxlens_backend::ssrf::{ConnectPolicy, ConnectTo};
use mxlens_shared::report::{Check, Status};
use mxlens_shared::smtp::{smtp_checks, ChainVerdict, Outcome, SmtpProbeResult, StarttlsOutcome};
use mxlens_tests::pki::TestCa;
use mxlens_tests::smtp::{Behaviour, FakeSmtp, Postfix};

const MX: &str = "mx1.shop.test";
const STEP: Duration = Duration::from_millis(1500);

fn mx_ip() -> IpAddr {
    "192.0.2.10".parse().unwrap()
}

fn options(trust: Option<&TestCa>) -> ProbeOptions {
    ProbeOptions {
        port: 25,
        connect_timeout: Duration::from_secs(2),
        step_timeout: STEP,
        ehlo_name: "probe.mxlens.test".into(),
        extra_trust_anchors: trust.map(|ca| vec![ca.cert_der()]).unwrap_or_default(),
        injection_wait: Duration::from_millis(200),
        overall_timeout: Duration::from_secs(10),
    }
}

/// Opens 192.0.2.0/24 and sends port 25 of 192.0.2.10 to `peer`.
fn policy_to(peer: SocketAddr) -> ConnectPolicy {
    ConnectPolicy {
        allow: vec!["192.0.2.0/24".parse().unwrap()],
        connect_to: vec![ConnectTo {
            host: "192.0.2.10".into(),
            port: Some(25),
            addr: peer.ip(),
            to_port: peer.port(),
        }],
    }
}

fn status(checks: &[Check], id: &str) -> Status {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no {id} in {checks:#?}"))
        .status
}

fn assert_statuses(r: &SmtpProbeResult, want: &[(&str, Status)]) -> Vec<Check> {
    let checks = smtp_checks(r, &[MX.to_string()]);
    for (id, expected) in want {
        assert_eq!(
            status(&checks, id),
            *expected,
            "{id}: checks {checks:#?}\nresult {r:#?}"
        );
    }
    for c in &checks {
        assert_eq!(c.subject.as_deref(), Some("mx1.shop.test (192.0.2.10)"));
    }
    checks
}

async fn fake(behaviour: Behaviour, ca: &TestCa) -> FakeSmtp {
    let leaf = ca.issue(&[MX]).unwrap();
    FakeSmtp::start(behaviour, MX, Some(&leaf)).await.unwrap()
}

#[tokio::test]
async fn postfix_starttls_trusted_untrusted_and_mismatched() {
    if !Postfix::available() {
        eprintln!("SKIP: /usr/sbin/postfix is not installed (scripts/setup.sh --test)");
        return;
    }
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&[MX]).unwrap();
    let postfix = Postfix::start(MX, &leaf).await.unwrap();
    let policy = policy_to(postfix.addr);

    // The test CA trusted: everything passes.
    let r = probe_mx(&policy, MX, mx_ip(), &options(Some(&ca))).await;
    assert_eq!(r.connected_to, Some(postfix.addr.to_string()));
    assert!(
        r.banner.as_deref().unwrap().contains("ESMTP Postfix"),
        "{r:#?}"
    );
    assert!(r.ehlo_extensions.iter().any(|e| e == "STARTTLS"), "{r:#?}");
    assert!(
        r.ehlo_extensions.iter().any(|e| e.starts_with("SIZE")),
        "{r:#?}"
    );
    assert!(r.ehlo_extensions.len() >= 5, "{r:#?}");
    assert_eq!(r.starttls, Some(StarttlsOutcome::Negotiated));
    assert!(!r.starttls_injection);
    assert!(matches!(
        r.tls_version.as_deref(),
        Some("TLSv1.2" | "TLSv1.3")
    ));
    assert!(r.cipher.is_some());
    assert_eq!(r.webpki_verdict, Some(ChainVerdict::Trusted));
    assert_eq!(r.name_matches, Some(true));
    assert_eq!(r.cert_chain.len(), 2, "{r:#?}");
    assert_eq!(r.cert_chain[0].sans, vec![MX.to_string()]);
    assert!(r.cert_chain[0].issuer.contains("mxlens test CA"));
    assert!(r.cert_chain[0].days_left > 14);
    assert_eq!(r.cert_der_chain[0], leaf.der);
    assert!(!r.ehlo_tls_extensions.is_empty(), "{r:#?}");
    assert!(
        !r.ehlo_tls_extensions.iter().any(|e| e == "STARTTLS"),
        "STARTTLS offered again over TLS: {r:#?}"
    );
    let t = &r.timings;
    for step in [
        t.connect_ms,
        t.banner_ms,
        t.ehlo_ms,
        t.starttls_ms,
        t.tls_handshake_ms,
        t.ehlo_tls_ms,
        t.total_ms,
    ] {
        assert!(step.is_some(), "{t:?}");
    }
    assert_statuses(
        &r,
        &[
            ("smtp.connect", Status::Pass),
            ("smtp.banner", Status::Pass),
            ("smtp.ehlo", Status::Pass),
            ("smtp.starttls", Status::Pass),
            ("smtp.tls-version", Status::Pass),
            ("smtp.certificate", Status::Pass),
            ("smtp.banner-ptr", Status::Pass),
        ],
    );

    // The test CA not trusted: the handshake still completes, the
    // certificate fails.
    let r = probe_mx(&policy, MX, mx_ip(), &options(None)).await;
    assert_eq!(r.starttls, Some(StarttlsOutcome::Negotiated));
    assert!(
        matches!(r.webpki_verdict, Some(ChainVerdict::Untrusted { .. })),
        "{r:#?}"
    );
    assert_statuses(
        &r,
        &[
            ("smtp.starttls", Status::Pass),
            ("smtp.tls-version", Status::Pass),
            ("smtp.certificate", Status::Fail),
        ],
    );

    // Trusted, but the MX host is another name than the certificate's.
    let policy_other = ConnectPolicy {
        connect_to: vec![ConnectTo {
            host: String::new(),
            port: Some(25),
            addr: postfix.addr.ip(),
            to_port: postfix.addr.port(),
        }],
        ..policy.clone()
    };
    let r = probe_mx(
        &policy_other,
        "mx9.other.test",
        mx_ip(),
        &options(Some(&ca)),
    )
    .await;
    assert_eq!(r.webpki_verdict, Some(ChainVerdict::Trusted));
    assert_eq!(r.name_matches, Some(false));
    let checks = smtp_checks(&r, &[]);
    assert_eq!(status(&checks, "smtp.certificate"), Status::Fail);
    assert_eq!(status(&checks, "smtp.banner-ptr"), Status::NotApplicable);
}

#[tokio::test]
async fn fake_normal_passes() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Normal, &ca).await;
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert_eq!(
        r.ehlo_extensions,
        [
            "PIPELINING",
            "SIZE 10240000",
            "STARTTLS",
            "ENHANCEDSTATUSCODES",
            "8BITMIME"
        ]
    );
    assert_eq!(r.tls_version.as_deref(), Some("TLSv1.3"));
    assert_statuses(
        &r,
        &[
            ("smtp.connect", Status::Pass),
            ("smtp.banner", Status::Pass),
            ("smtp.ehlo", Status::Pass),
            ("smtp.starttls", Status::Pass),
            ("smtp.tls-version", Status::Pass),
            ("smtp.certificate", Status::Pass),
            ("smtp.banner-ptr", Status::Pass),
        ],
    );
    assert_eq!(server.connection_count(), 1);
}

#[tokio::test]
async fn slow_banner_times_out_as_not_tested() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::SlowBanner(Duration::from_secs(10)), &ca).await;
    let started = Instant::now();
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    let took = started.elapsed();
    assert!(took < STEP + Duration::from_secs(1), "took {took:?}");
    assert_eq!(r.connect, Outcome::Ok);
    assert_eq!(r.banner_outcome, Outcome::Timeout);
    assert_statuses(
        &r,
        &[
            ("smtp.connect", Status::Pass),
            ("smtp.banner", Status::NotTested),
            ("smtp.ehlo", Status::NotTested),
            ("smtp.starttls", Status::NotTested),
            ("smtp.certificate", Status::NotTested),
        ],
    );
}

#[tokio::test]
async fn silence_times_out_as_not_tested() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Silence, &ca).await;
    let started = Instant::now();
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert!(started.elapsed() < STEP + Duration::from_secs(1));
    assert_eq!(r.banner_outcome, Outcome::Timeout);
    assert_statuses(
        &r,
        &[
            ("smtp.banner", Status::NotTested),
            ("smtp.starttls", Status::NotTested),
            ("smtp.banner-ptr", Status::NotTested),
        ],
    );
}

#[tokio::test]
async fn overall_timeout_bounds_the_probe() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Silence, &ca).await;
    let mut opts = options(Some(&ca));
    opts.step_timeout = Duration::from_secs(30);
    opts.overall_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &opts).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(r.banner_outcome, Outcome::Timeout);
    assert!(
        r.error.as_deref().unwrap().contains("did not finish"),
        "{r:#?}"
    );
    assert_statuses(
        &r,
        &[
            ("smtp.connect", Status::Pass),
            ("smtp.banner", Status::NotTested),
        ],
    );
}

#[tokio::test]
async fn greeting_421_is_a_warning_and_stops() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Greeting421, &ca).await;
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert_eq!(r.banner_code, Some(421));
    assert_eq!(r.banner_outcome, Outcome::Rejected);
    assert!(r.banner.as_deref().unwrap().starts_with("421 4.3.2"));
    assert_statuses(
        &r,
        &[
            ("smtp.banner", Status::Warn),
            ("smtp.ehlo", Status::NotTested),
            ("smtp.starttls", Status::NotTested),
        ],
    );
}

#[tokio::test]
async fn garbage_greeting_fails() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Garbage, &ca).await;
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert_eq!(r.banner_outcome, Outcome::Failed);
    assert_eq!(r.banner_code, None);
    assert!(r.banner.as_deref().unwrap().contains("HTTP/1.1 400"));
    assert_statuses(
        &r,
        &[
            ("smtp.connect", Status::Pass),
            ("smtp.banner", Status::Fail),
            ("smtp.ehlo", Status::NotTested),
        ],
    );
}

#[tokio::test]
async fn tls_abort_fails_starttls() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::TlsAbort, &ca).await;
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert!(
        matches!(r.starttls, Some(StarttlsOutcome::HandshakeFailed { .. })),
        "{r:#?}"
    );
    assert_statuses(
        &r,
        &[
            ("smtp.ehlo", Status::Pass),
            ("smtp.starttls", Status::Fail),
            ("smtp.tls-version", Status::NotTested),
            ("smtp.certificate", Status::NotTested),
        ],
    );
}

#[tokio::test]
async fn starttls_injection_is_flagged() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::StarttlsInjection, &ca).await;
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert!(r.starttls_injection, "{r:#?}");
    let checks = assert_statuses(&r, &[("smtp.starttls", Status::Fail)]);
    let detail = &checks
        .iter()
        .find(|c| c.id == "smtp.starttls")
        .unwrap()
        .detail;
    assert!(detail.contains("injection"), "{detail}");
}

#[tokio::test]
async fn no_starttls_fails() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::NoStarttls, &ca).await;
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert!(!r.starttls_offered);
    assert_eq!(r.starttls, None);
    assert_statuses(
        &r,
        &[
            ("smtp.ehlo", Status::Pass),
            ("smtp.starttls", Status::Fail),
            ("smtp.tls-version", Status::NotApplicable),
            ("smtp.certificate", Status::NotApplicable),
        ],
    );
}

#[tokio::test]
async fn guard_refuses_non_public_mx_without_connecting() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Normal, &ca).await;
    // Even a connect-to rule that matches every host must not get a
    // refused address through: the guard judges the MX IP first.
    let policy = ConnectPolicy {
        allow: Vec::new(),
        connect_to: vec![ConnectTo {
            host: String::new(),
            port: None,
            addr: server.addr.ip(),
            to_port: server.addr.port(),
        }],
    };
    for ip in ["127.0.0.1", "10.0.0.1", "::ffff:127.0.0.1"] {
        let ip: IpAddr = ip.parse().unwrap();
        let r = probe_mx(&policy, MX, ip, &options(Some(&ca))).await;
        assert!(r.refused_by_guard.is_some(), "{ip}: {r:#?}");
        assert_eq!(r.connect, Outcome::NotAttempted, "{ip}");
        let checks = smtp_checks(&r, &[]);
        assert_eq!(checks.len(), 7);
        for c in &checks {
            assert_eq!(c.status, Status::NotTested, "{ip}: {c:?}");
        }
        assert!(checks[0].detail.contains("guard"), "{:?}", checks[0]);
    }
    // The documentation IP itself is refused without --allow-target.
    let r = probe_mx(&policy, MX, mx_ip(), &options(Some(&ca))).await;
    assert!(r.refused_by_guard.is_some());
    assert_eq!(server.connection_count(), 0);
}

#[tokio::test]
async fn allow_target_and_connect_to_reach_the_peer() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Normal, &ca).await;
    let r = probe_mx(&policy_to(server.addr), MX, mx_ip(), &options(Some(&ca))).await;
    assert_eq!(r.refused_by_guard, None);
    assert_eq!(r.ip, mx_ip());
    assert_eq!(r.connected_to, Some(server.addr.to_string()));
    assert_eq!(r.connect, Outcome::Ok);
    assert_eq!(server.connection_count(), 1);
}

#[tokio::test]
async fn one_connection_per_target_at_a_time() {
    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Silence, &ca).await;
    let policy = policy_to(server.addr);
    let mut opts = options(Some(&ca));
    opts.step_timeout = Duration::from_millis(400);
    let started = Instant::now();
    let (a, b) = tokio::join!(
        probe_mx(&policy, MX, mx_ip(), &opts),
        probe_mx(&policy, MX, mx_ip(), &opts)
    );
    // Serialised: the second waited for the first's banner timeout.
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(a.banner_outcome, Outcome::Timeout);
    assert_eq!(b.banner_outcome, Outcome::Timeout);
    assert_eq!(server.connection_count(), 2);
}

/// A server that offers STARTTLS but answers the ClientHello with a
/// `protocol_version` alert, as a TLS 1.0-only server does to a TLS 1.2+
/// client.
async fn old_tls_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        let _ = reader
            .get_mut()
            .write_all(b"220 mx1.shop.test ESMTP old\r\n")
            .await;
        let _ = reader.read_line(&mut line).await;
        let _ = reader
            .get_mut()
            .write_all(b"250-mx1.shop.test\r\n250 STARTTLS\r\n")
            .await;
        line.clear();
        let _ = reader.read_line(&mut line).await;
        let _ = reader.get_mut().write_all(b"220 2.0.0 Ready\r\n").await;
        let mut hello = [0u8; 1024];
        let _ = reader.read(&mut hello).await;
        // TLS alert record: fatal (2), protocol_version (70).
        let _ = reader
            .get_mut()
            .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
            .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    (addr, task)
}

#[tokio::test]
async fn tls_below_1_2_fails_tls_version() {
    let (addr, task) = old_tls_server().await;
    let r = probe_mx(&policy_to(addr), MX, mx_ip(), &options(None)).await;
    task.abort();
    let Some(StarttlsOutcome::HandshakeFailed { reason }) = &r.starttls else {
        panic!("{r:#?}");
    };
    assert!(reason.starts_with("protocol version"), "{reason}");
    assert_statuses(
        &r,
        &[
            ("smtp.starttls", Status::Fail),
            ("smtp.tls-version", Status::Fail),
            ("smtp.certificate", Status::NotTested),
        ],
    );
}

#[tokio::test]
async fn audit_smtp_probes_every_mx_address_with_ptr() {
    use mxlens_backend::probe::audit_smtp;
    use mxlens_shared::dns::{ZoneData, ZoneRecord};
    use mxlens_shared::report::MxHost;

    let ca = TestCa::new().unwrap();
    let server = fake(Behaviour::Normal, &ca).await;
    let mut zone = ZoneData::new();
    zone.add(
        &ZoneData::reverse_name(mx_ip()),
        ZoneRecord::Ptr("mx1.shop.test.".into()),
    );
    let hosts = vec![
        MxHost {
            preference: 10,
            host: MX.into(),
            addresses: vec!["192.0.2.10".into()],
        },
        MxHost {
            preference: 20,
            host: "mx2.shop.test".into(),
            addresses: vec!["127.0.0.1".into()],
        },
    ];
    let policy = policy_to(server.addr);
    let opts = options(Some(&ca));
    // Spawned: the audit future is Send, as the audit planner needs.
    let audit = tokio::spawn(async move { audit_smtp(&policy, &zone, &hosts, &opts).await })
        .await
        .unwrap();
    assert_eq!(audit.checks.len(), 14);
    assert_eq!(audit.entries.len(), 2);
    assert!(audit.entries[0].starttls);
    assert_eq!(audit.entries[0].cert_valid, Some(true));
    for c in &audit.checks[..7] {
        assert_eq!(c.status, Status::Pass, "{c:?}");
    }
    for c in &audit.checks[7..] {
        assert_eq!(c.status, Status::NotTested, "{c:?}");
        assert_eq!(c.subject.as_deref(), Some("mx2.shop.test (127.0.0.1)"));
    }
    assert_eq!(server.connection_count(), 1);

    let none = audit_smtp(
        &ConnectPolicy::default(),
        &ZoneData::new(),
        &[],
        &options(None),
    )
    .await;
    assert_eq!(none.checks.len(), 1);
    assert_eq!(none.checks[0].status, Status::NotApplicable);
}
