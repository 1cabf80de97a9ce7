//! "Send a test message" end to end (issue #16): lettre submits to the
//! receiver of `mxlens serve`, plain and with STARTTLS against the test CA;
//! the test DNS server publishes the sender's SPF, DKIM key and DMARC; the
//! delivery report must say what really happened.

use lettre::address::Envelope;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mxlens_tests::dns::TestDns;
use mxlens_tests::http::request;
use mxlens_tests::pki::TestCa;
use mxlens_tests::receiver::{events, new_address, start_receiver, stored_report, tls_files};
use mxlens_tests::server::TestServer;
use serde_json::Value;

/// The signed corpus's zone plus the sender's SPF (the loopback sender is
/// 127.0.0.1) and a DMARC record.
pub(crate) fn sender_zone() -> String {
    mxlens_tests::receiver::sender_zone("ip4:127.0.0.1", "mail IN A 127.0.0.1")
}

/// A message signed by dkimpy for dkim.test (selector s2048).
pub(crate) fn signed_message() -> Vec<u8> {
    std::fs::read(mxlens_tests::fixtures_dir().join("dkim/relaxed-2048.eml")).unwrap()
}

/// The sender's DNS, the test CA, and mxlens with its receiver (STARTTLS
/// with a certificate of the CA for mx.test.example).
async fn sender_and_receiver() -> (TestDns, TestCa, tempfile::TempDir, TestServer) {
    let dns = TestDns::start(&[("dkim.test", &sender_zone())])
        .await
        .unwrap();
    let ca = TestCa::new().unwrap();
    let (dir, cert, key) = tls_files(&ca, "mx.test.example");
    let server = start_receiver(
        &dns,
        None,
        &[
            "--smtp-tls-cert",
            cert.to_str().unwrap(),
            "--smtp-tls-key",
            key.to_str().unwrap(),
        ],
    )
    .await
    .unwrap();
    (dns, ca, dir, server)
}

pub(crate) fn transport(server: &TestServer, tls: Tls) -> AsyncSmtpTransport<Tokio1Executor> {
    let smtp = server.smtp_addr.expect("the receiver listens");
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.ip().to_string())
        .port(smtp.port())
        .hello_name(ClientId::Domain("mail.dkim.test".into()))
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(20)))
        .build()
}

pub(crate) fn envelope(to: &str) -> Envelope {
    Envelope::new(
        Some("bounce@dkim.test".parse().unwrap()),
        vec![to.parse().unwrap()],
    )
    .unwrap()
}

pub(crate) fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_grades_a_lettre_delivery_with_starttls_and_without() {
    let (_dns, ca, _dir, server) = sender_and_receiver().await;

    // STARTTLS, verified against the test CA.
    let (address, id, delete_token) = new_address(&server).await;
    assert!(address.ends_with("@test.example"), "{address}");
    let tls = TlsParameters::builder("mx.test.example".into())
        .add_root_certificate(Certificate::from_pem(ca.cert_pem().as_bytes()).unwrap())
        .build_rustls()
        .unwrap();
    let secure = transport(&server, Tls::Required(tls));
    let sent = secure
        .send_raw(&envelope(&address), &signed_message())
        .await;
    let reply = sent.expect("the receiver takes the message");
    assert_eq!(reply.code().to_string(), "250");
    let seen = events(&server, &id).await;
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["waiting", "connected", "receiving", "report"],
        "{seen:?}"
    );
    assert_eq!(seen[1].1["client_ip"], "127.0.0.1");
    assert_eq!(seen[3].1["id"], id.as_str());
    let report = stored_report(&server, &id).await;
    assert_eq!(report["kind"], "delivery");
    let delivery = &report["delivery"];
    let connection = &delivery["connection"];
    assert_eq!(connection["client_ip"], "127.0.0.1");
    assert_eq!(connection["helo"], "mail.dkim.test");
    assert_eq!(connection["mail_from"], "bounce@dkim.test");
    assert_eq!(connection["starttls"], true);
    assert_eq!(connection["tls_version"], "TLSv1.3", "{connection}");
    assert!(
        connection["tls_cipher"]
            .as_str()
            .unwrap()
            .starts_with("TLS13_"),
        "{connection}"
    );
    assert_eq!(delivery["spf_mail_from"], "pass", "{delivery}");
    assert_eq!(delivery["dkim"], "pass", "{delivery}");
    assert_eq!(delivery["dmarc"], "pass", "{delivery}");
    assert_eq!(delivery["dmarc_policy"], "reject", "{delivery}");
    assert_eq!(delivery["audited_domain"], "dkim.test");
    assert_eq!(check(&report, "dkim.verify")["status"], "pass");
    assert_eq!(check(&report, "dmarc.verify")["status"], "pass");
    assert_eq!(check(&report, "delivery.tls")["status"], "pass", "{report}");
    // The audit looked at the selector that signed.
    let dkim_checks: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["id"].as_str().unwrap().starts_with("dkim.")
                && c["subject"].as_str().is_some_and(|s| s.contains("s2048"))
        })
        .collect();
    assert!(
        !dkim_checks.is_empty(),
        "the audit checked selector s2048: {report}"
    );

    // Single use: the address takes no second message.
    let again = secure
        .send_raw(&envelope(&address), &signed_message())
        .await;
    let err = again.expect_err("a used address refuses");
    assert!(err.is_permanent(), "{err}");
    assert!(
        err.to_string().contains("5.1.1") || err.to_string().contains("550"),
        "{err}"
    );

    // Recomputed from the stored facts and raw message: the same verdicts.
    let again = mxlens_backend::receiver::deliver::recompute(&server.state, &id)
        .await
        .unwrap()
        .expect("the inputs are stored");
    let again = serde_json::to_value(&again).unwrap();
    for field in ["spf_mail_from", "dkim", "dmarc"] {
        assert_eq!(again["delivery"][field], delivery[field], "{field}");
    }
    assert_eq!(again["delivery"]["connection"], *connection);

    // The delete token deletes the report and its stored inputs.
    let auth = format!("Bearer {delete_token}");
    let deleted = request(
        "DELETE",
        &format!("{}/api/reports/{id}", server.url),
        None,
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert!(server
        .state
        .store
        .get_delivery_input(&id)
        .await
        .unwrap()
        .is_none());

    // Plain text: no STARTTLS, said so.
    let (address, id, _) = new_address(&server).await;
    let plain = transport(&server, Tls::None);
    plain
        .send_raw(&envelope(&address), &signed_message())
        .await
        .unwrap();
    events(&server, &id).await;
    let report = stored_report(&server, &id).await;
    assert_eq!(report["delivery"]["connection"]["starttls"], false);
    assert_eq!(report["delivery"]["connection"]["starttls_offered"], true);
    assert!(report["delivery"]["connection"]
        .get("tls_version")
        .is_none());
    assert_eq!(check(&report, "delivery.tls")["status"], "fail", "{report}");
    assert_eq!(report["delivery"]["dkim"], "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn receiver_is_off_by_default_and_refuses_relaying() {
    let server = TestServer::start(&[]).await.unwrap();
    assert!(server.smtp_addr.is_none());
    let reply = request(
        "POST",
        &format!("{}/api/test-addresses", server.url),
        Some(""),
        &[],
    )
    .await;
    assert_eq!(reply.status, 404, "{}", reply.body);
}

/// Postfix relays a message to the receiver through a transport map, so
/// the connection facts are Postfix's: its HELO, its STARTTLS, its MAIL FROM.
#[tokio::test(flavor = "multi_thread")]
async fn receiver_grades_a_message_postfix_relays_to_it() {
    use mxlens_tests::smtp::{Postfix, PostfixOptions};
    if !Postfix::available() {
        panic!("postfix is not installed: run scripts/setup.sh --test");
    }
    let (_dns, ca, _dir, server) = sender_and_receiver().await;
    let smtp = server.smtp_addr.unwrap();
    let options = PostfixOptions {
        extra_main: "relay_domains = test.example\n\
             transport_maps = texthash:$CONFIG_DIR/transport\n\
             smtp_tls_security_level = may\n\
             smtp_helo_name = mail.dkim.test\n\
             smtp_host_lookup = native\n\
             default_destination_concurrency_limit = 2\n"
            .to_string(),
        files: vec![(
            "transport".into(),
            format!("test.example smtp:[{}]:{}\n", smtp.ip(), smtp.port()),
        )],
    };
    let postfix_leaf = ca.issue(&["mail.dkim.test"]).unwrap();
    let postfix = Postfix::start_with("mail.dkim.test", &postfix_leaf, &options)
        .await
        .unwrap();
    let (address, id, _) = new_address(&server).await;
    let submit =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(postfix.addr.ip().to_string())
            .port(postfix.addr.port())
            .hello_name(ClientId::Domain("submitter.dkim.test".into()))
            .tls(Tls::None)
            .build();
    submit
        .send_raw(&envelope(&address), &signed_message())
        .await
        .unwrap();
    let seen = events(&server, &id).await;
    assert_eq!(seen.last().unwrap().0, "report", "{seen:?}");
    let report = stored_report(&server, &id).await;
    let delivery = &report["delivery"];
    let connection = &delivery["connection"];
    assert_eq!(
        connection["helo"], "mail.dkim.test",
        "Postfix's HELO: {connection}"
    );
    assert_eq!(connection["mail_from"], "bounce@dkim.test");
    assert_eq!(
        connection["starttls"], true,
        "Postfix used STARTTLS: {connection}"
    );
    assert_eq!(connection["esmtp"], true);
    assert_eq!(delivery["spf_mail_from"], "pass", "{delivery}");
    assert_eq!(delivery["dkim"], "pass", "{delivery}");
    assert_eq!(delivery["dmarc"], "pass", "{delivery}");
    // Postfix's own Received field is in the analysed message.
    let hops = report["message"]["hops"].as_array().unwrap();
    assert!(
        hops.len() >= 2,
        "the receiver's hop and Postfix's: {hops:?}"
    );
}
