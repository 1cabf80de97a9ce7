//! DKIM verification of a 1 MiB message (rsa-sha256 2048 bits,
//! relaxed/relaxed, signed by dkimpy: `bench/fixtures/make-dkim-1mb.py`):
//! parsing, canonicalization, both hashes and the ring signature check.
//! Target: at most 20 ms natively.
//!
//! Run with `cargo bench -p mxlens-shared --bench dkim_verify`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mxlens_shared::dkim::crypto::RingVerifier;
use mxlens_shared::dkim::key::{parse_dkim_key, KeyLookupOutcome};
use mxlens_shared::dkim::verify::{KeySet, Outcome};
use mxlens_shared::dns::block_on_ready;
use mxlens_shared::message::verified::verify_message;

fn bench_verify(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/fixtures/");
    let message = std::fs::read(format!("{dir}dkim-1mb.eml")).unwrap();
    let txt = std::fs::read_to_string(format!("{dir}dkim-1mb.key")).unwrap();
    let txt = txt.trim().to_string();
    let mut keys = KeySet::default();
    keys.insert(
        "dkim.test",
        "bench",
        KeyLookupOutcome::Found {
            parsed: Box::new(parse_dkim_key(&txt)),
            txt,
            record_count: 1,
        },
    );
    let now = 1_767_225_600;
    let once = block_on_ready(verify_message(&message, &keys, &RingVerifier, now));
    assert_eq!(once.dkim.len(), 1);
    assert_eq!(
        once.dkim[0].outcome,
        Outcome::Verified,
        "{:?}",
        once.dkim[0]
    );
    let mut group = c.benchmark_group("dkim_verify");
    group.throughput(Throughput::Bytes(message.len() as u64));
    group.sample_size(30);
    group.bench_function("1mb_rsa2048_relaxed", |b| {
        b.iter(|| {
            black_box(block_on_ready(verify_message(
                black_box(&message),
                &keys,
                &RingVerifier,
                now,
            )))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
