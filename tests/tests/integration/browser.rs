//! Flows in headless Chromium against `mxlens serve` and the test DNS server.

use mxlens_tests::browser::run_script;
use mxlens_tests::dns::TestDns;
use mxlens_tests::server::{StoreKind, TestServer};

/// Paste headers → From and hop count (WASM); audit a domain → MX hosts
/// (backend + real DNS). Desktop and mobile viewports; screenshots saved.
#[tokio::test]
async fn first_slice_headers_and_domain() {
    let dns = TestDns::start_fixtures(&["shop.test"]).await.unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let out = run_script("slice.mjs", &server.url, &[]).await.unwrap();
    assert!(
        out.contains("slice desktop") && out.contains("slice mobile"),
        "{out}"
    );
    assert!(
        dns.queries_for("shop.test") > 0,
        "the audit did not reach the test DNS server"
    );
}

/// Share a header report as a stored link, reopen it in a fresh browser
/// context; a hostile paste never runs as HTML (CSP and Yew's escaping).
/// On both report stores.
async fn stored_link_round_trip_and_hostile_paste(store: StoreKind) {
    let server = TestServer::start_with(store, &[]).await.unwrap();
    let tag = format!("{store:?}").to_ascii_lowercase();
    let out = run_script("share.mjs", &server.url, &[("STORE", &tag)])
        .await
        .unwrap();
    assert!(out.contains("share: stored link"), "{out}");
}

#[tokio::test]
async fn stored_link_round_trip_and_hostile_paste_on_sqlite() {
    stored_link_round_trip_and_hostile_paste(StoreKind::Sqlite).await;
}

#[tokio::test]
async fn stored_link_round_trip_and_hostile_paste_on_postgres() {
    stored_link_round_trip_and_hostile_paste(StoreKind::Postgres).await;
}
