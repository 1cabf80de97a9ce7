//! Totality: the parsers and the whole analysis never panic, whatever the
//! bytes. A small deterministic generator mixes the characters the parsers
//! care about (no extra dependency; the cargo-fuzz targets go further).

use mxlens_shared::dkim::signature::parse_dkim_signature;
use mxlens_shared::message::authres::{parse_authentication_results, parse_received_spf};
use mxlens_shared::message::received::parse_received;
use mxlens_shared::message::{analyze_message, datetime::parse_rfc5322_date};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const PIECES: &[&[u8]] = &[
    b"from ",
    b"by ",
    b"with ",
    b"id ",
    b"for ",
    b"via ",
    b"(",
    b")",
    b"[",
    b"]",
    b"<",
    b">",
    b";",
    b":",
    b"=",
    b"\"",
    b"\\",
    b",",
    b".",
    b"@",
    b" ",
    b"\r\n",
    b"\n",
    b"\n ",
    b"\t",
    b"::",
    b"192.0.2.1",
    b"IPv6:",
    b"ESMTPS",
    b"TLSv1.3",
    b"helo=",
    b"ident=",
    b"Mon, ",
    b"1 Jul 2025 ",
    b"10:00:00 ",
    b"+0200",
    b"dkim=pass",
    b"header.d=",
    b"spf=",
    b"i=",
    b"h=from:to",
    b"Received: ",
    b"Authentication-Results: ",
    b"DKIM-Signature: ",
    b"ARC-Seal: ",
    b"From: ",
    b"=?utf-8?q?=C3?=",
    b"\xff",
    b"\xc3",
    b"\xe2\x80",
    b"\0",
];

fn sample(rng: &mut XorShift) -> Vec<u8> {
    let len = (rng.next() % 64) as usize;
    let mut out = Vec::new();
    for _ in 0..len {
        out.extend_from_slice(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
    }
    out
}

#[test]
fn nothing_panics_on_generated_input() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let bytes = sample(&mut rng);
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_received(&text);
        let _ = parse_authentication_results(&text);
        let _ = parse_received_spf(&text);
        let _ = parse_dkim_signature(&text);
        let _ = parse_rfc5322_date(&text);
        let _ = analyze_message(&bytes, "2026-01-01T00:00:00Z");
    }
}

/// Mutations of the golden samples: byte flips, insertions of parser-relevant
/// pieces, deletions and truncations.
#[test]
fn nothing_panics_on_mutated_fixtures() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/messages");
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read(p).expect("readable"))
        .collect();
    assert!(!seeds.is_empty());
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    for seed in &seeds {
        for _ in 0..150 {
            let mut bytes = seed.clone();
            for _ in 0..(1 + rng.next() % 8) {
                if bytes.is_empty() {
                    break;
                }
                let at = (rng.next() % bytes.len() as u64) as usize;
                match rng.next() % 4 {
                    0 => bytes[at] = (rng.next() & 0xff) as u8,
                    1 => {
                        let piece = PIECES[(rng.next() % PIECES.len() as u64) as usize];
                        bytes.splice(at..at, piece.iter().copied());
                    }
                    2 => {
                        let end = (at + (rng.next() % 16) as usize).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    _ => bytes.truncate(at),
                }
            }
            if let Ok(report) = analyze_message(&bytes, "2026-01-01T00:00:00Z") {
                let _ = serde_json::to_string(&report).expect("report serialises");
            }
        }
    }
}

/// Hostile shapes at the 1 MiB cap must stay fast (linear): many fields,
/// a giant h= list, thousands of signatures and results, long junk runs.
#[test]
fn one_mebibyte_hostile_inputs_stay_fast() {
    let cap = mxlens_shared::message::MAX_INPUT_BYTES;
    let fill = |unit: &str, prefix: &str| -> Vec<u8> {
        let mut s = String::from(prefix);
        while s.len() + unit.len() < cap {
            s.push_str(unit);
        }
        s.into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("many signatures", fill("DKIM-Signature: d=a.example; s=s; h=from\n", "Authentication-Results: mx.example;\n")),
        ("giant h=", fill(":x-a", "From: a@example.com\nDKIM-Signature: d=a.example; s=s; h=from")),
        ("many results", fill("; dkim=pass header.d=a.example (c)", "DKIM-Signature: d=a.example; s=s; h=from\nAuthentication-Results: mx.example")),
        ("many hops", fill("Received: from a (a [192.0.2.1]) by b with ESMTP; Tue, 1 Jul 2025 10:00:00 +0000\n", "")),
        ("junk in an established block", fill("junk line\n", "Received: x\nA: b\nC: d\nE: f\nG: h\nI: j\nK: l\nM: n\n")),
        ("colons", fill("::::::::", "Received: from ")),
        ("comments", fill("((((", "Authentication-Results: a; spf=pass ")),
    ];
    for (name, input) in cases {
        assert!(input.len() <= cap, "{name}");
        // A native test: the clock is fine here (shared's code never reads it).
        #[allow(clippy::disallowed_methods)]
        let start = std::time::Instant::now();
        let _ = analyze_message(&input, "2026-01-01T00:00:00Z");
        let elapsed = start.elapsed();
        assert!(elapsed.as_secs() < 20, "{name} took {elapsed:?}");
        println!("hostile {name}: {elapsed:?}");
    }
}
