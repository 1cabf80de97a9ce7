//! The combined report's bulk-sender items answered from the domain
//! audit's facts (`domain.dmarc_discovery`, `domain.ptr`, `domain.dkim`),
//! through a real server, a stored link and a real DNS server (#18 step 3).

use mxlens_tests::dns::TestDns;
use mxlens_tests::http::request;
use mxlens_tests::server::TestServer;
use serde_json::{json, Value};

/// facts.test: two DMARC records (so none applies, RFC 7489 §6.6.3), one
/// MX at 192.0.2.10 whose PTR (in the reverse fixture) is
/// mx1.good.audit.test, which resolves back to it, and a 1024-bit key at
/// the selector the message signs with. The message was sent from
/// 192.0.2.1, which has no PTR: a sending IP that is a prefix of the MX
/// address, the architecture review's substring bug.
const ZONE: &str = "$ORIGIN facts.test.\n$TTL 300\n\
    @ IN SOA ns1.facts.test. hostmaster.facts.test. ( 1 3600 600 86400 300 )\n\
    @ IN NS ns1.facts.test.\n\
    ns1 IN A 192.0.2.53\n\
    @ IN MX 10 mx1.good.audit.test.\n\
    @ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
    _dmarc IN TXT \"v=DMARC1; p=reject\"\n\
    _dmarc IN TXT \"v=DMARC1; p=none\"\n\
    weak._domainkey IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDA57WFxidBpNkH2LmcbHHcYxrCRco+syPJDb9QLX9b9aG4XsCjX4ZvoKj74JfSt6e6s/TyaHDQNCOJAbo0fAVN5GszaISTg9hEsb3Vsh8js1OXjtb5Xil+DUAFuV+u/ZzKI6LxHj9sOPr5HOaQhytHBhMU/Fnr5mQxrRAaqwLv4wIDAQAB\"\n\
    default._domainkey IN TXT \"v=DKIM1; k=rsa; p=\"\n";

const MESSAGE: &str = "Received: from out.facts.test (out.facts.test [192.0.2.1])\r\n\
    \tby mx.receiver.test with ESMTPS id abc; Tue, 1 Jul 2025 10:00:05 +0000\r\n\
    DKIM-Signature: v=1; a=rsa-sha256; d=facts.test; s=weak; h=from:subject:date; bh=x; b=y\r\n\
    From: News <news@facts.test>\r\n\
    To: bob@receiver.test\r\n\
    Subject: This week\r\n\
    Date: Tue, 1 Jul 2025 10:00:00 +0000\r\n\
    Message-ID: <1@facts.test>\r\n\r\n";

fn item<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checklists"]["bulk_sender"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no {id}: {:#}", report["checklists"]))
}

#[tokio::test]
async fn bulk_items_are_answered_from_the_audits_facts() {
    let reverse = std::fs::read_to_string(
        mxlens_tests::fixtures_dir().join("zones/2.0.192.in-addr.arpa.zone"),
    )
    .unwrap();
    let audit = std::fs::read_to_string(mxlens_tests::fixtures_dir().join("zones/audit.test.zone"))
        .unwrap();
    let dns = TestDns::start(&[
        ("facts.test", ZONE),
        ("audit.test", &audit),
        ("2.0.192.in-addr.arpa", &reverse),
    ])
    .await
    .unwrap();
    let ns = dns.addr.to_string();
    let server = TestServer::start(&["--nameserver", &ns]).await.unwrap();
    let reply = request(
        "POST",
        &format!("{}/api/reports", server.url),
        Some(&json!({ "message": MESSAGE, "domain": "facts.test" }).to_string()),
        &[],
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let report = request(
        "GET",
        &format!("{}/api/reports/{id}", server.url),
        None,
        &[],
    )
    .await
    .json();
    assert_eq!(report["kind"], "combined");
    let domain = &report["domain"];

    // The facts themselves.
    assert_eq!(
        domain["dmarc_discovery"]["result"], "multiple",
        "{domain:#}"
    );
    assert_eq!(domain["dmarc_discovery"]["records"], 2);
    assert!(domain.get("dmarc").is_none(), "no record applies");
    let ptr = domain["ptr"].as_array().unwrap();
    let roles: Vec<(&str, &str)> = ptr
        .iter()
        .map(|p| (p["role"].as_str().unwrap(), p["ip"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("mx", "192.0.2.10"), ("sender", "192.0.2.1")]);
    assert_eq!(ptr[0]["confirmed"], json!(["mx1.good.audit.test"]));
    assert_eq!(ptr[1]["names"], json!([]));
    // Only the signing selector: nothing is guessed when the message names one.
    let dkim = domain["dkim"].as_array().unwrap();
    assert_eq!(dkim.len(), 1, "{dkim:#?}");
    assert_eq!(
        (&dkim[0]["selector"], &dkim[0]["key"], &dkim[0]["bits"]),
        (&json!("weak"), &json!("rsa"), &json!(1024))
    );
    assert_eq!(dkim[0]["guessed"], false);

    // The items read from them.
    let dmarc = item(&report, "bulk.dmarc");
    assert_eq!(dmarc["status"], "fail", "{dmarc:#}");
    assert!(
        dmarc["detail"]
            .as_str()
            .unwrap()
            .contains("2 DMARC records at _dmarc.facts.test"),
        "{dmarc:#}"
    );
    let ptr_item = item(&report, "bulk.ptr");
    assert_eq!(ptr_item["status"], "fail", "{ptr_item:#}");
    assert_eq!(
        ptr_item["detail"],
        "From the domain audit: sending IP 192.0.2.1: 192.0.2.1 has no PTR record"
    );
    let key = item(&report, "bulk.dkim-key-length");
    assert_eq!(key["status"], "pass", "{key:#}");
    assert_eq!(
        key["detail"],
        "From the domain audit: weak: RSA 1024 bits: weak; use 2048 bits"
    );
}
