//! The mailbox reachability probe (`smtp.rcpt`) against real peers on
//! loopback: a Postfix with virtual mailboxes (a known user, an unknown
//! user, a catch-all domain, and a domain behind a greylisting policy
//! server), and the fault-injecting fake (421 mid-dialogue, silence after
//! MAIL FROM). Then the same probe through the CLI and the HTTP API, with
//! real DNS on loopback pointing the domains' MX at the Postfix.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use mxlens_backend::probe::rcpt::{parse_address, probe_rcpt, RcptOptions};
use mxlens_backend::ssrf::{ConnectPolicy, ConnectTo};
use mxlens_shared::report::Status;
use mxlens_shared::smtp::rcpt::{classify, rcpt_check, RcptProbeResult, RcptStep, RcptVerdict};
use mxlens_tests::cli::mxlens;
use mxlens_tests::dns::TestDns;
use mxlens_tests::http::http;
use mxlens_tests::pki::TestCa;
use mxlens_tests::server::TestServer;
use mxlens_tests::smtp::{
    Behaviour, FakeSmtp, GreylistPolicy, Postfix, PostfixOptions, MAILBOX_ZONES,
};

const MX: &str = "mx1.shop.test";

fn mx_ip() -> IpAddr {
    "192.0.2.10".parse().unwrap()
}

fn options(step: Duration) -> RcptOptions {
    RcptOptions {
        port: 25,
        connect_timeout: Duration::from_secs(2),
        step_timeout: step,
        overall_timeout: Duration::from_secs(15),
        ehlo_name: "probe.mxlens.test".into(),
        sender: None,
        catch_all_test: true,
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

async fn probe(peer: SocketAddr, address: &str, step: Duration) -> RcptProbeResult {
    probe_rcpt(
        &policy_to(peer),
        MX,
        mx_ip(),
        &parse_address(address).unwrap(),
        &options(step),
        || 1_798_000_000,
    )
    .await
}

async fn mailbox_postfix() -> Option<(Postfix, GreylistPolicy)> {
    if !Postfix::available() {
        eprintln!("SKIP: /usr/sbin/postfix is not installed (scripts/setup.sh --test)");
        return None;
    }
    let greylist = GreylistPolicy::start(&["grey.test"]).await.unwrap();
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&[MX]).unwrap();
    let postfix = Postfix::start_with(MX, &leaf, &PostfixOptions::mailboxes(greylist.addr))
        .await
        .unwrap();
    Some((postfix, greylist))
}

#[tokio::test]
async fn postfix_known_unknown_greylisted_and_catch_all() {
    let Some((postfix, _greylist)) = mailbox_postfix().await else {
        return;
    };
    let step = Duration::from_secs(5);

    // A known user at a domain that refuses made-up addresses.
    let r = probe(postfix.addr, "alice@shop.test", step).await;
    assert!(r.failure.is_none(), "{r:#?}");
    assert!(r.tls, "STARTTLS was offered and should be used: {r:#?}");
    assert_eq!(r.mail_from.as_ref().unwrap().code, 250, "{r:#?}");
    assert_eq!(r.rcpt.as_ref().unwrap().code, 250, "{r:#?}");
    let other = r.catch_all.as_ref().unwrap();
    assert_eq!(other.code, 550, "{r:#?}");
    assert_eq!(classify(&r), RcptVerdict::Accepted);
    assert_eq!(rcpt_check(&r).status, Status::Pass);

    // An unknown user: 550 5.1.1, explained.
    let r = probe(postfix.addr, "bob@shop.test", step).await;
    let reply = r.rcpt.as_ref().unwrap();
    assert_eq!(reply.code, 550, "{r:#?}");
    assert!(reply.raw.contains("5.1.1"), "{r:#?}");
    assert!(reply.raw.contains("User unknown"), "{r:#?}");
    assert_eq!(classify(&r), RcptVerdict::UnknownUser);
    assert!(r.catch_all.is_none(), "no catch-all test after a refusal");
    let check = rcpt_check(&r);
    assert_eq!(check.status, Status::Fail);
    assert!(check.detail.contains("550 5.1.1"), "{}", check.detail);
    assert_eq!(check.subject.as_deref(), Some("bob@shop.test"));

    // Greylisting: 451 4.7.1 on the first attempt, accepted on the retry.
    let r = probe(postfix.addr, "alice@grey.test", step).await;
    let reply = r.rcpt.as_ref().unwrap();
    assert_eq!(reply.code, 451, "{r:#?}");
    assert!(reply.raw.contains("4.7.1"), "{r:#?}");
    assert_eq!(classify(&r), RcptVerdict::Greylisted);
    let check = rcpt_check(&r);
    assert_eq!(check.status, Status::Warn);
    let fix = check.fix.unwrap();
    assert!(fix.contains("Retry in 60 s"), "{fix}");
    assert!(fix.contains("2026-12-23T04:27:40Z"), "{fix}");
    let r = probe(postfix.addr, "alice@grey.test", step).await;
    assert_eq!(r.rcpt.as_ref().unwrap().code, 250, "retry: {r:#?}");
    assert!(matches!(
        classify(&r),
        RcptVerdict::Accepted | RcptVerdict::AcceptedUnverified
    ));

    // A catch-all domain accepts the made-up address too.
    let r = probe(postfix.addr, "anyone@catchall.test", step).await;
    assert_eq!(r.rcpt.as_ref().unwrap().code, 250, "{r:#?}");
    assert_eq!(r.catch_all.as_ref().unwrap().code, 250, "{r:#?}");
    assert!(r
        .catch_all_address
        .as_deref()
        .unwrap()
        .ends_with("@catchall.test"));
    assert_eq!(classify(&r), RcptVerdict::CatchAll);
    assert_eq!(rcpt_check(&r).status, Status::Info);

    // A probe sender instead of the null reverse-path.
    let mut opts = options(step);
    opts.sender = Some("probe@mxlens.test".into());
    let r = probe_rcpt(
        &policy_to(postfix.addr),
        MX,
        mx_ip(),
        &parse_address("alice@shop.test").unwrap(),
        &opts,
        || 0,
    )
    .await;
    assert_eq!(r.sender, "probe@mxlens.test");
    assert_eq!(r.rcpt.as_ref().unwrap().code, 250, "{r:#?}");
}

#[tokio::test]
async fn fake_421_after_mail_from_is_not_tested() {
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&[MX]).unwrap();
    let server = FakeSmtp::start(Behaviour::Close421AfterMail, MX, Some(&leaf))
        .await
        .unwrap();
    let r = probe(server.addr, "alice@shop.test", Duration::from_secs(2)).await;
    let failure = r.failure.as_ref().expect("a failure");
    assert_eq!(failure.step, RcptStep::MailFrom, "{r:#?}");
    assert_eq!(failure.reply.as_ref().map(|r| r.code), Some(421), "{r:#?}");
    assert!(r.tls, "{r:#?}");
    assert!(r.rcpt.is_none());
    let check = rcpt_check(&r);
    assert_eq!(check.status, Status::NotTested);
    assert!(check.detail.contains("421 4.3.2"), "{}", check.detail);
    assert_eq!(server.connection_count(), 1);
}

#[tokio::test]
async fn fake_silence_after_mail_from_times_out() {
    let ca = TestCa::new().unwrap();
    let leaf = ca.issue(&[MX]).unwrap();
    let server = FakeSmtp::start(Behaviour::SilentAfterMail, MX, Some(&leaf))
        .await
        .unwrap();
    let started = Instant::now();
    let r = probe(server.addr, "alice@shop.test", Duration::from_millis(800)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{r:#?}");
    assert_eq!(r.mail_from.as_ref().unwrap().code, 250, "{r:#?}");
    let failure = r.failure.as_ref().expect("a failure");
    assert_eq!(failure.step, RcptStep::Rcpt, "{r:#?}");
    assert!(failure.timeout, "{r:#?}");
    assert_eq!(rcpt_check(&r).status, Status::NotTested);
}

fn connect_to(postfix: &Postfix) -> String {
    format!(
        "mx1.shop.test:25:{}:{}",
        postfix.addr.ip(),
        postfix.addr.port()
    )
}

// Multi-threaded: the CLI child blocks this thread while the in-process
// DNS server and greylisting policy server must keep answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_rcpt_needs_the_flag_and_reports_smtp_rcpt() {
    // Refused without --allow-rcpt-probe, before any network use.
    let out = mxlens(&["audit", "shop.test", "--rcpt", "bob@shop.test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("allow-rcpt-probe"),
        "{out:?}"
    );
    // An address at another domain is a usage error.
    let out = mxlens(&[
        "audit",
        "shop.test",
        "--allow-rcpt-probe",
        "--rcpt",
        "bob@elsewhere.test",
        "--nameserver",
        "127.0.0.1:9",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let Some((postfix, _greylist)) = mailbox_postfix().await else {
        return;
    };
    let dns = TestDns::start(MAILBOX_ZONES).await.unwrap();
    let ns = dns.addr.to_string();
    let route = connect_to(&postfix);
    let run = |domain: &str, address: &str| {
        mxlens(&[
            "audit",
            domain,
            "--json",
            "--allow-rcpt-probe",
            "--rcpt",
            address,
            "--nameserver",
            &ns,
            "--allow-target",
            "192.0.2.0/24",
            "--connect-to",
            &route,
            "--dnsbl",
            "bl.shop.test",
            "--audit-deadline-secs",
            "20",
        ])
        .output()
        .unwrap()
    };
    let rcpt_of = |out: &std::process::Output| -> (serde_json::Value, serde_json::Value) {
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "smtp.rcpt")
            .cloned()
            .unwrap_or_else(|| panic!("no smtp.rcpt in {report:#}"));
        (check, report["domain"]["rcpt"].clone())
    };

    let out = run("shop.test", "bob@shop.test");
    let (check, entry) = rcpt_of(&out);
    assert_eq!(check["status"], "fail", "{check:#}");
    assert_eq!(check["subject"], "bob@shop.test");
    assert_eq!(entry["verdict"], "unknown_user", "{entry:#}");
    assert_eq!(entry["rcpt"]["code"], 550);
    assert_eq!(entry["rcpt_explained"]["enhanced_code"], "5.1.1");
    assert_eq!(out.status.code(), Some(1), "a fail exits 1");

    let out = run("shop.test", "alice@shop.test");
    let (check, entry) = rcpt_of(&out);
    assert_eq!(check["status"], "pass", "{check:#}");
    assert_eq!(entry["verdict"], "accepted", "{entry:#}");

    let out = run("catchall.test", "whoever@catchall.test");
    let (check, entry) = rcpt_of(&out);
    assert_eq!(check["status"], "info", "{check:#}");
    assert_eq!(entry["verdict"], "catch_all", "{entry:#}");

    // Text output shows the check too.
    let out = mxlens(&[
        "audit",
        "shop.test",
        "--allow-rcpt-probe",
        "--rcpt",
        "bob@shop.test",
        "--nameserver",
        &ns,
        "--allow-target",
        "192.0.2.0/24",
        "--connect-to",
        &route,
        "--no-smtp",
    ])
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Mailbox reachability"), "{text}");
    assert!(text.contains("not_tested"), "--no-smtp: {text}");
}

async fn wait_report(server: &TestServer, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (status, body) = http("GET", &format!("{}/api/audits/{id}", server.url), None).await;
        if status == 200 {
            return serde_json::from_str(&body).unwrap();
        }
        assert_eq!(status, 202, "{body}");
        assert!(Instant::now() < deadline, "audit {id} did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_rcpt_is_refused_unless_enabled_then_limited_and_redacted() {
    // Off by default: 403 with a clear message.
    let server = TestServer::start(&["--nameserver", "127.0.0.1:9"])
        .await
        .unwrap();
    let (status, body) = http(
        "POST",
        &format!("{}/api/audits", server.url),
        Some(r#"{"domain": "shop.test", "rcpt": "bob@shop.test"}"#),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("--enable-rcpt-probe"), "{body}");
    drop(server);

    let Some((postfix, _greylist)) = mailbox_postfix().await else {
        return;
    };
    let dns = TestDns::start(MAILBOX_ZONES).await.unwrap();
    let ns = dns.addr.to_string();
    let route = connect_to(&postfix);
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--allow-target",
        "192.0.2.0/24",
        "--connect-to",
        &route,
        "--dnsbl",
        "bl.shop.test",
        "--enable-rcpt-probe",
        "--rcpt-per-client-per-minute",
        "2",
        "--rcpt-per-domain-per-minute",
        "100",
    ])
    .await
    .unwrap();
    let post = |body: String| {
        let url = format!("{}/api/audits", server.url);
        async move { http("POST", &url, Some(&body)).await }
    };
    // Not at the audited domain: 400.
    let (status, body) =
        post(r#"{"domain": "shop.test", "rcpt": "bob@elsewhere.test"}"#.into()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("bad_rcpt"), "{body}");

    let (status, body) = post(r#"{"domain": "shop.test", "rcpt": "bob@shop.test"}"#.into()).await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let report = wait_report(&server, &id).await;
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "smtp.rcpt")
        .cloned()
        .unwrap_or_else(|| panic!("no smtp.rcpt in {report:#}"));
    assert_eq!(check["status"], "fail", "{check:#}");
    assert_eq!(report["domain"]["rcpt"]["verdict"], "unknown_user");

    // A stored share link keeps the verdict but not the address...
    let (status, body) = http(
        "POST",
        &format!("{}/api/reports", server.url),
        Some(r#"{"domain": "shop.test", "rcpt": "alice@shop.test"}"#),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, stored) = http("GET", &format!("{}/api/reports/{id}", server.url), None).await;
    assert_eq!(status, 200, "{stored}");
    assert!(!stored.contains("alice@shop.test"), "{stored}");
    assert!(stored.contains("redacted@shop.test"), "{stored}");
    assert!(stored.contains("\"verdict\":\"accepted\""), "{stored}");

    // ...and the per-client limit (2 per minute) has been reached.
    let (status, body) = post(r#"{"domain": "shop.test", "rcpt": "bob@shop.test"}"#.into()).await;
    assert_eq!(status, 429, "{body}");

    // A fresh server, where the owner opts in to keep the address.
    drop(server);
    let server = TestServer::start(&[
        "--nameserver",
        &ns,
        "--allow-target",
        "192.0.2.0/24",
        "--connect-to",
        &route,
        "--dnsbl",
        "bl.shop.test",
        "--enable-rcpt-probe",
    ])
    .await
    .unwrap();
    let (status, body) = http(
        "POST",
        &format!("{}/api/reports", server.url),
        Some(r#"{"domain": "shop.test", "rcpt": "alice@shop.test", "keep_rcpt": true}"#),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, stored) = http("GET", &format!("{}/api/reports/{id}", server.url), None).await;
    assert!(stored.contains("alice@shop.test"), "{stored}");
}

/// #19 M1: a server that sends `220 ` and then bytes without end (the
/// review sent 1 GiB, and the process grew to 1.06 GB) is cut at the probe's
/// line cap at once, not read until the step timeout.
#[tokio::test]
async fn endless_greeting_is_cut_at_the_line_cap() {
    let server = FakeSmtp::start(Behaviour::EndlessLine, MX, None)
        .await
        .unwrap();
    let started = Instant::now();
    let r = probe(server.addr, "alice@shop.test", Duration::from_secs(10)).await;
    let failure = r.failure.as_ref().expect("a failure");
    assert_eq!(failure.step, RcptStep::Greeting, "{r:#?}");
    assert!(!failure.timeout, "read until the timeout: {r:#?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        failure.message.contains(&format!(
            "longer than {} bytes",
            mxlens_backend::probe::bounded::MAX_LINE
        )),
        "{r:#?}"
    );
    assert_eq!(rcpt_check(&r).status, Status::NotTested);
}
