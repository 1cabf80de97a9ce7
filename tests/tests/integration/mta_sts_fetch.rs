//! The MTA-STS policy fetch against a tokio-rustls HTTPS server on
//! loopback, through the connection guard (documentation IP opened with an
//! allow rule and redirected with a connect-to rule).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mxlens_backend::probe::{fetch_mta_sts_policy, FetchError, HttpsOptions};
use mxlens_backend::ssrf::{ConnectPolicy, ConnectTo};
use mxlens_shared::dns::{ZoneData, ZoneRecord};
use mxlens_tests::https::{https, ok_response, Https};
use mxlens_tests::pki::TestCa;

const DOMAIN: &str = "shop.test";
const POLICY_HOST: &str = "mta-sts.shop.test";
const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx1.shop.test\r\nmax_age: 86400\r\n";

fn zone(ip: &str) -> ZoneData {
    let mut zone = ZoneData::new();
    zone.add(POLICY_HOST, ZoneRecord::A(ip.parse().unwrap()));
    zone
}

fn policy_to(server: SocketAddr) -> ConnectPolicy {
    ConnectPolicy {
        allow: vec!["192.0.2.0/24".parse().unwrap()],
        connect_to: vec![ConnectTo {
            host: POLICY_HOST.into(),
            port: Some(443),
            addr: server.ip(),
            to_port: server.port(),
        }],
    }
}

fn options(ca: Option<&TestCa>) -> HttpsOptions {
    HttpsOptions {
        port: 443,
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(1500),
        extra_trust_anchors: ca.map(|c| vec![c.cert_der()]).unwrap_or_default(),
        ..HttpsOptions::default()
    }
}

async fn fetch_with(
    response: Option<Vec<u8>>,
    names: &[&str],
    trusted: bool,
) -> (
    Result<mxlens_backend::probe::FetchedPolicy, FetchError>,
    Https,
) {
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(names).unwrap();
    let server = https(&leaf, response).await;
    let result = fetch_mta_sts_policy(
        &policy_to(server.addr),
        &zone("192.0.2.20"),
        DOMAIN,
        &options(trusted.then_some(&ca)),
    )
    .await;
    (result, server)
}

#[tokio::test]
async fn fetches_the_policy() {
    let (result, server) = fetch_with(Some(ok_response(POLICY)), &[POLICY_HOST], true).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.body, POLICY);
    assert_eq!(fetched.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        fetched.url,
        "https://mta-sts.shop.test/.well-known/mta-sts.txt"
    );
    assert_eq!(fetched.ip, "192.0.2.20".parse::<IpAddr>().unwrap());
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests[0].starts_with("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"),
        "{requests:?}"
    );
    assert!(
        requests[0].contains("Host: mta-sts.shop.test\r\n"),
        "{requests:?}"
    );
}

#[tokio::test]
async fn chunked_policy() {
    let body = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{POLICY}\r\n0\r\n\r\n",
        POLICY.len()
    );
    let (result, _server) = fetch_with(Some(body.into_bytes()), &[POLICY_HOST], true).await;
    assert_eq!(result.unwrap().body, POLICY);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let response = b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.test/p.txt\r\nContent-Length: 0\r\n\r\n".to_vec();
    let (result, server) = fetch_with(Some(response), &[POLICY_HOST], true).await;
    assert_eq!(
        result.unwrap_err(),
        FetchError::Redirect {
            status: 301,
            location: "https://elsewhere.test/p.txt".into()
        }
    );
    assert_eq!(server.connections.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn not_found_is_a_status_error() {
    let response = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec();
    let (result, _server) = fetch_with(Some(response), &[POLICY_HOST], true).await;
    assert_eq!(result.unwrap_err(), FetchError::Status(404));
}

#[tokio::test]
async fn oversized_policies_are_refused() {
    let big = "x".repeat(70 * 1024);
    let (result, _server) = fetch_with(Some(ok_response(&big)), &[POLICY_HOST], true).await;
    assert_eq!(result.unwrap_err(), FetchError::TooLarge(64 * 1024));
    // Without a length, the cap applies while reading.
    let response = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n{big}");
    let (result, _server) = fetch_with(Some(response.into_bytes()), &[POLICY_HOST], true).await;
    assert_eq!(result.unwrap_err(), FetchError::TooLarge(64 * 1024));
}

#[tokio::test]
async fn untrusted_or_mismatched_certificates_fail() {
    let (result, _server) = fetch_with(Some(ok_response(POLICY)), &[POLICY_HOST], false).await;
    assert!(matches!(result, Err(FetchError::Tls(_))), "{result:?}");
    let (result, _server) = fetch_with(Some(ok_response(POLICY)), &["www.shop.test"], true).await;
    assert!(matches!(result, Err(FetchError::Tls(_))), "{result:?}");
}

#[tokio::test]
async fn silent_server_times_out() {
    let started = Instant::now();
    let (result, _server) = fetch_with(None, &[POLICY_HOST], true).await;
    assert!(
        matches!(result, Err(FetchError::Timeout(1500))),
        "{result:?}"
    );
    assert!(result.unwrap_err().is_inconclusive());
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn guard_refuses_without_connecting() {
    let ca = TestCa::new().unwrap();
    let server = https(
        &ca.issue(&[POLICY_HOST]).unwrap(),
        Some(ok_response(POLICY)),
    )
    .await;
    let mut policy = policy_to(server.addr);
    policy.allow.clear();
    for ip in ["127.0.0.1", "10.0.0.1", "192.0.2.20"] {
        let result = fetch_mta_sts_policy(&policy, &zone(ip), DOMAIN, &options(Some(&ca))).await;
        assert!(
            matches!(result, Err(FetchError::Refused(_))),
            "{ip}: {result:?}"
        );
    }
    assert_eq!(server.connections.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn no_policy_host() {
    let result = fetch_mta_sts_policy(
        &ConnectPolicy::default(),
        &ZoneData::new(),
        DOMAIN,
        &HttpsOptions::default(),
    )
    .await;
    assert_eq!(
        result.unwrap_err(),
        FetchError::NoAddress {
            host: POLICY_HOST.into()
        }
    );
}
