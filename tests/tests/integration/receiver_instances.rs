//! Test addresses and live audits across instances (issue #16): two
//! `mxlens serve` on one private PostgreSQL, each with its receiver. An
//! address made on one takes its message on the other, and the events
//! and the report are read wherever the browser is; single use holds
//! across instances; an audit started on one is read from the other.

use std::time::Duration;

use lettre::transport::smtp::client::Tls;
use lettre::AsyncTransport;
use mxlens_tests::dns::TestDns;
use mxlens_tests::http::http;
use mxlens_tests::postgres::TestPostgres;
use mxlens_tests::receiver::{events, new_address, start_receiver, stored_report, TEST_DOMAIN};
use mxlens_tests::server::TestServer;
use serde_json::Value;

use super::receiver::{envelope, sender_zone, signed_message, transport};

/// Two instances with receivers on one PostgreSQL database (extra `args`
/// for both), and the sender's DNS (with shop.test for audits).
async fn two_instances(args: &[&str]) -> (TestPostgres, TestDns, TestServer, TestServer, String) {
    let shop =
        std::fs::read_to_string(mxlens_tests::fixtures_dir().join("zones/shop.test.zone")).unwrap();
    let dns = TestDns::start(&[("dkim.test", &sender_zone()), ("shop.test", &shop)])
        .await
        .unwrap();
    let postgres = TestPostgres::start().await.unwrap();
    let url = postgres.create_database("instances").await.unwrap();
    let (a, b) = tokio::join!(
        start_receiver(&dns, Some(&url), args),
        start_receiver(&dns, Some(&url), args)
    );
    (postgres, dns, a.unwrap(), b.unwrap(), url)
}

/// The signed corpus message to `address`, through `via`'s receiver.
async fn send(
    via: &TestServer,
    address: &str,
) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
    transport(via, Tls::None)
        .send_raw(&envelope(address), &signed_message())
        .await
}

/// The events of address `id` as `reader` streams them while the message
/// goes to `via`'s receiver at the same time, and the send.
async fn streaming_while_sent(
    reader: &TestServer,
    via: &TestServer,
    address: &str,
    id: &str,
) -> (
    Vec<(String, Value)>,
    Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error>,
) {
    tokio::join!(events(reader, id), send(via, address))
}

fn names(seen: &[(String, Value)]) -> Vec<&str> {
    seen.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_across_instances_address_on_b_message_on_a_events_on_b() {
    let (_pg, dns, a, b, url) = two_instances(&[]).await;
    let (address, id, delete_token) = new_address(&b).await;
    // B streams while A receives.
    let (seen, sent) = streaming_while_sent(&b, &a, &address, &id).await;
    assert_eq!(
        sent.expect("A's receiver takes B's address")
            .code()
            .to_string(),
        "250"
    );
    assert_eq!(
        names(&seen),
        ["waiting", "connected", "receiving", "report"],
        "{seen:?}"
    );
    assert_eq!(seen[1].1["client_ip"], "127.0.0.1");
    assert_eq!(seen[3].1["id"], id.as_str());
    let report = stored_report(&b, &id).await;
    assert_eq!(report["kind"], "delivery");
    assert_eq!(report["delivery"]["dkim"], "pass", "{report}");
    assert_eq!(report["delivery"]["spf_mail_from"], "pass", "{report}");
    // A's own stream of the address says the same, read afterwards.
    assert_eq!(names(&events(&a, &id).await), names(&seen));
    let (status, body) = http("GET", &format!("{}/api/test-addresses/{id}", a.url), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status"],
        "report"
    );

    // Single use across instances: refused by both receivers.
    for server in [&a, &b] {
        let again = send(server, &address).await;
        let err = again.expect_err("a used address refuses");
        assert!(
            err.is_permanent() && err.to_string().contains("5.1.1"),
            "{err}"
        );
    }

    // The delete token B handed out deletes, on A, the report A stored
    // (the token's hash went through the store with the address).
    let deleted = mxlens_tests::http::request(
        "DELETE",
        &format!("{}/api/reports/{id}", a.url),
        None,
        &[("Authorization", &format!("Bearer {delete_token}"))],
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(
        http("GET", &format!("{}/api/reports/{id}", b.url), None)
            .await
            .0,
        404
    );

    // The same fresh address sent to both receivers at once: exactly one
    // takes it (the claim is one UPDATE in the store); the other says 550.
    let (address, id, _) = new_address(&a).await;
    let (to_a, to_b) = tokio::join!(send(&a, &address), send(&b, &address));
    let taken = [&to_a, &to_b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(taken, 1, "{to_a:?} {to_b:?}");
    for refused in [to_a, to_b].into_iter().filter_map(Result::err) {
        assert!(refused.is_permanent(), "{refused}");
    }
    let seen = events(&b, &id).await;
    assert_eq!(seen.last().unwrap().0, "report", "{seen:?}");
    assert_eq!(seen.iter().filter(|(n, _)| n == "report").count(), 1);

    // A web instance without a receiver (--test-domain, no --smtp-listen)
    // hands out addresses that A's receiver takes.
    let ns = dns.addr.to_string();
    let web = TestServer::start_on(
        Some(&url),
        &["--nameserver", &ns, "--test-domain", TEST_DOMAIN],
    )
    .await
    .unwrap();
    assert!(web.smtp_addr.is_none());
    let (address, id, _) = new_address(&web).await;
    let (seen, sent) = streaming_while_sent(&web, &a, &address, &id).await;
    sent.unwrap();
    assert_eq!(
        names(&seen),
        ["waiting", "connected", "receiving", "report"],
        "{seen:?}"
    );
    assert_eq!(stored_report(&web, &id).await["kind"], "delivery");
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_across_instances_an_address_expires_once_everywhere() {
    let (_pg, _dns, a, b, _) = two_instances(&["--test-address-ttl-secs", "2"]).await;
    let (address, id, _) = new_address(&a).await;
    // Both follow it; one closes it in the store and says `expired`.
    let (on_a, on_b) = tokio::join!(events(&a, &id), events(&b, &id));
    assert_eq!(names(&on_a), ["waiting", "expired"], "{on_a:?}");
    assert_eq!(names(&on_b), ["waiting", "expired"], "{on_b:?}");
    for server in [&a, &b] {
        let late = send(server, &address).await;
        assert!(late.expect_err("expired").is_permanent());
    }
}

/// The SSE `data:` lines of an event stream, as JSON.
fn sse_data(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_started_on_one_instance_is_read_from_another() {
    let (_pg, _dns, a, b, _) = two_instances(&[]).await;
    let (status, body) = http(
        "POST",
        &format!("{}/api/audits", a.url),
        Some(r#"{"domain":"shop.test"}"#),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // B follows it while it runs on A: started, checks, then the report.
    let (status, on_b) = http("GET", &format!("{}/api/audits/{id}/events", b.url), None).await;
    assert_eq!(status, 200, "{on_b}");
    let on_b = sse_data(&on_b);
    assert_eq!(on_b.first().unwrap()["type"], "started", "{on_b:?}");
    assert!(on_b.iter().any(|e| e["type"] == "check"), "{on_b:?}");
    assert_eq!(on_b.last().unwrap()["type"], "report", "{on_b:?}");
    // A's own stream has the same events, in the same order.
    let (_, on_a) = http("GET", &format!("{}/api/audits/{id}/events", a.url), None).await;
    assert_eq!(sse_data(&on_a), on_b);
    // The report, from either.
    let (status, from_b) = http("GET", &format!("{}/api/audits/{id}", b.url), None).await;
    assert_eq!(status, 200, "{from_b}");
    let (_, from_a) = http("GET", &format!("{}/api/audits/{id}", a.url), None).await;
    assert_eq!(from_a, from_b);
    let report: Value = serde_json::from_str(&from_b).unwrap();
    assert_eq!(report["kind"], "domain");
    assert_eq!(report["domain"]["name"], "shop.test");
    // An id no instance knows is still 404 on both.
    for server in [&a, &b] {
        let (status, _) = http(
            "GET",
            &format!("{}/api/audits/{}", server.url, "0".repeat(32)),
            None,
        )
        .await;
        assert_eq!(status, 404);
    }
}

/// Ends every instance's listening connection (as a database restart or a
/// proxy's idle cut would); returns how many were ended.
async fn kill_listeners(server: &TestServer) -> i64 {
    let pool = server.state.store.pg_pool().expect("PostgreSQL");
    sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_across_instances_events_survive_a_lost_listen_connection() {
    let (_pg, _dns, a, b, _) = two_instances(&[]).await;
    let (address, id, _) = new_address(&b).await;
    assert_eq!(kill_listeners(&a).await, 2, "one listener per instance");
    let (seen, sent) = streaming_while_sent(&b, &a, &address, &id).await;
    sent.unwrap();
    assert_eq!(
        names(&seen),
        ["waiting", "connected", "receiving", "report"],
        "{seen:?}"
    );
    // And again, once the listeners are back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(kill_listeners(&b).await, 2, "both listen again");
    let (address, id, _) = new_address(&a).await;
    let (seen, sent) = streaming_while_sent(&a, &b, &address, &id).await;
    sent.unwrap();
    assert_eq!(names(&seen).last(), Some(&"report"), "{seen:?}");
}
