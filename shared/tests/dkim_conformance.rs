//! DKIM verification against the public samples in
//! `../shared/conformance/`: dkimpy's signed messages (RFC 6376 sample
//! signed with Ed25519 and RSA, the Exim Ed25519 message, degenerate
//! folding) and Stalwart mail-auth's six DKIM messages (clock fixed at unix
//! 1667843664). Keys are served from zone data through the real lookup.

use mxlens_shared::dkim::crypto::RingVerifier;
use mxlens_shared::dkim::verify::{fetch_keys, keys_wanted, verify_dkim, Outcome};
use mxlens_shared::dns::{block_on_ready, ZoneData, ZoneRecord};
use mxlens_shared::message::input::parse_input;

fn conformance(path: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../shared/conformance/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 20);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The verdicts of every DKIM-Signature, top first.
fn verify(message: &[u8], zone: &ZoneData, now: i64) -> Vec<(Outcome, String)> {
    let input = parse_input(message);
    let keys = block_on_ready(fetch_keys(zone, &keys_wanted(&input)));
    block_on_ready(verify_dkim(&input, &keys, &RingVerifier, now))
        .into_iter()
        .map(|v| {
            (
                v.outcome,
                format!("d={} s={}: {}", v.domain, v.selector, v.reason),
            )
        })
        .collect()
}

fn txt(text: &[u8]) -> String {
    String::from_utf8_lossy(text).trim().to_string()
}

/// The public key of the RFC 8032 §7.1 test 1 secret key: the key RFC 8463
/// Appendix A publishes at brisbane._domainkey.football.example.com.
fn rfc8032_public_key() -> String {
    use base64::Engine;
    use ring::signature::KeyPair;
    let b64 = base64::engine::general_purpose::STANDARD;
    let seed = b64
        .decode(txt(&conformance("dkimpy-data/rfc8032_7_1.key")))
        .unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    b64.encode(pair.public_key().as_ref())
}

/// The 2012 Gmail key that dkimpy's test_dkim.py serves for test2.message
/// (`20120113._domainkey.gmail.com`); the data folder holds the message
/// but not this record.
const GMAIL_20120113: &str = "k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB";

#[test]
fn dkimpy_samples() {
    let mut zone = ZoneData::new();
    zone.add(
        "brisbane._domainkey.football.example.com",
        ZoneRecord::Txt(format!("v=DKIM1; k=ed25519; p={}", rfc8032_public_key())),
    );
    zone.add(
        "test._domainkey.football.example.com",
        ZoneRecord::Txt(txt(&conformance("dkimpy-data/test.txt"))),
    );
    zone.add(
        "sed._domainkey.test.ex",
        ZoneRecord::Txt(txt(&conformance("dkimpy-data/eximtest.dns"))),
    );
    zone.add(
        "20120113._domainkey.gmail.com",
        ZoneRecord::Txt(GMAIL_20120113.to_string()),
    );
    // (file, expected verdict of every signature, top first)
    let cases: [(&str, &[Outcome]); 3] = [
        (
            "rfc6376.signed.msg",
            &[Outcome::Verified, Outcome::Verified],
        ),
        ("ed25519test2.msg", &[Outcome::Verified]),
        ("test2.message", &[Outcome::Verified]),
    ];
    let (mut passed, mut total) = (0, 0);
    for (file, want) in cases {
        let got = verify(
            &crlf(&conformance(&format!("dkimpy-data/{file}"))),
            &zone,
            1_700_000_000,
        );
        total += 1;
        let outcomes: Vec<Outcome> = got.iter().map(|(o, _)| *o).collect();
        if outcomes == want {
            passed += 1;
        } else {
            eprintln!("FAILED dkimpy {file}: {got:?}");
        }
    }
    println!("dkimpy DKIM samples: {passed}/{total} passed");
    assert_eq!(passed, total);
}

#[test]
fn stalwart_dkim_samples() {
    let (mut passed, mut total) = (0, 0);
    for n in 1..=6 {
        let file = conformance(&format!("stalwart-mail-auth/dkim/{n:03}.txt"));
        let split = file
            .windows(2)
            .position(|w| w == b"\n\n")
            .expect("DNS lines, a blank line, the message");
        let mut zone = ZoneData::new();
        for line in file[..split].split(|b| *b == b'\n') {
            let line = String::from_utf8_lossy(line);
            if let Some((name, record)) = line.split_once(' ') {
                zone.add(name, ZoneRecord::Txt(record.trim().to_string()));
            }
        }
        let got = verify(&crlf(&file[split + 2..]), &zone, 1_667_843_664);
        total += 1;
        // The last DKIM-Signature must verify.
        match got.last() {
            Some((Outcome::Verified, _)) => passed += 1,
            other => eprintln!("FAILED stalwart dkim/{n:03}: {other:?} (all: {got:?})"),
        }
    }
    println!("Stalwart DKIM samples: {passed}/{total} passed");
    assert_eq!(passed, total);
}
