//! Tests of `tlsa.rs` (a file of their own, so that the module stays
//! under the 600-line guard rail of #18).

use super::*;

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if content.len() < 128 {
        out.push(content.len() as u8);
    } else {
        out.extend([0x82, (content.len() >> 8) as u8, content.len() as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// A structurally valid certificate with the given SPKI bytes.
fn fake_cert(spki: &[u8], serial: u8) -> Vec<u8> {
    let mut tbs = tlv(0xa0, &tlv(0x02, &[2]));
    tbs.extend(tlv(0x02, &[serial]));
    tbs.extend(tlv(0x30, &tlv(0x06, &[0x2a, 0x03])));
    tbs.extend(tlv(0x30, &[]));
    tbs.extend(tlv(0x30, &[]));
    tbs.extend(tlv(0x30, &[]));
    tbs.extend_from_slice(spki);
    let mut cert = tlv(0x30, &tbs);
    cert.extend(tlv(0x30, &tlv(0x06, &[0x2a, 0x03])));
    cert.extend(tlv(0x03, &[0, 1, 2]));
    tlv(0x30, &cert)
}

fn spki(key: &[u8]) -> Vec<u8> {
    let mut inner = tlv(0x30, &tlv(0x06, crate::der::OID_ED25519));
    let mut bits = vec![0];
    bits.extend_from_slice(key);
    inner.extend(tlv(0x03, &bits));
    tlv(0x30, &inner)
}

#[test]
fn sha2_is_wired_correctly() {
    assert_eq!(
        TlsaText(TlsaRecord {
            usage: 3,
            selector: 1,
            matching: 1,
            data: Sha256::digest(b"abc").to_vec()
        })
        .to_string(),
        "3 1 1 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn matching() {
    let leaf_spki = spki(&[7; 32]);
    let leaf = fake_cert(&leaf_spki, 1);
    let ca = fake_cert(&spki(&[9; 32]), 2);
    assert_eq!(certificate_spki(&leaf).unwrap(), leaf_spki.as_slice());
    let chain = vec![leaf.clone(), ca.clone()];
    let r311 = TlsaRecord {
        usage: 3,
        selector: 1,
        matching: 1,
        data: Sha256::digest(&leaf_spki).to_vec(),
    };
    let r302 = TlsaRecord {
        usage: 3,
        selector: 0,
        matching: 2,
        data: Sha512::digest(&leaf).to_vec(),
    };
    let r201 = TlsaRecord {
        usage: 2,
        selector: 0,
        matching: 1,
        data: Sha256::digest(&ca).to_vec(),
    };
    let r300 = TlsaRecord {
        usage: 3,
        selector: 0,
        matching: 0,
        data: leaf.clone(),
    };
    let wrong = TlsaRecord {
        usage: 3,
        selector: 1,
        matching: 1,
        data: vec![0; 32],
    };
    let ta_as_ee = TlsaRecord {
        usage: 2,
        selector: 0,
        matching: 1,
        data: Sha256::digest(&leaf).to_vec(),
    };
    for (record, want) in [
        (&r311, true),
        (&r302, true),
        (&r201, true),
        (&r300, true),
        (&wrong, false),
        (&ta_as_ee, false),
    ] {
        assert_eq!(
            tlsa_matches(record, &chain),
            want,
            "{}",
            TlsaText(record.clone())
        );
    }
    let (ok, facts) = lint_tlsa(
        "mx.example.com.",
        &DnsOutcome::Records(vec![r311.clone()]),
        Some(&chain),
        Some(true),
    );
    assert_eq!(ok.status, Status::Pass);
    assert_eq!(ok.subject.as_deref(), Some("mx.example.com"));
    assert_eq!(
        (facts.host.as_str(), facts.usable, facts.matched),
        ("mx.example.com", 1, Some(true))
    );
    assert!(facts.protects());
    let (unchecked, facts) = lint_tlsa(
        "mx.example.com",
        &DnsOutcome::Records(vec![r311.clone()]),
        None,
        Some(true),
    );
    assert_eq!(unchecked.status, Status::NotTested);
    assert_eq!(facts.matched, None);
    assert!(!facts.protects());
    let (unsigned, facts) = lint_tlsa(
        "mx.example.com",
        &DnsOutcome::Records(vec![r311.clone()]),
        Some(&chain),
        Some(false),
    );
    assert_eq!(unsigned.status, Status::Warn);
    assert!(!facts.protects(), "matched, but not DNSSEC-validated");
    let (bad, facts) = lint_tlsa(
        "mx.example.com",
        &DnsOutcome::Records(vec![wrong]),
        Some(&chain),
        None,
    );
    assert_eq!(bad.status, Status::Fail);
    assert!(!facts.protects());
    assert_eq!(
        lint_tlsa("mx.example.com", &DnsOutcome::NoData, None, None)
            .0
            .status,
        Status::Info
    );
    assert_eq!(
        lint_tlsa("mx.example.com", &DnsOutcome::Timeout, None, None)
            .0
            .status,
        Status::Error
    );
}

#[test]
fn guidance() {
    for (text, error, code) in [
        (
            "3 1 1 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            false,
            "",
        ),
        (
            "1 1 1 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            false,
            "tlsa.pkix-usage",
        ),
        ("3 1 1 abcd", true, "tlsa.digest-length"),
        (
            "4 1 1 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            true,
            "tlsa.unknown-usage",
        ),
        ("3 1 0 abcd", false, "tlsa.full-data"),
        ("3 1", true, "tlsa.fields"),
        ("3 1 1 zz", true, "tlsa.hex"),
    ] {
        let parsed = parse_tlsa(text);
        assert_eq!(
            has_errors(&parsed.diagnostics),
            error,
            "{text}: {:?}",
            parsed.diagnostics
        );
        if !code.is_empty() {
            assert!(
                parsed.diagnostics.iter().any(|d| d.code == code),
                "{text}: {:?}",
                parsed.diagnostics
            );
        }
    }
}
