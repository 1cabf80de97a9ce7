//! The bounce reader (#14) over the sisimai corpus
//! (`../shared/conformance/sisimai/eml`, 480 real bounces): time per sample.
//! The goal is under 1 ms for each real sample natively.
//!
//! First a per-sample pass (each file read `RUNS` times, its median kept)
//! prints the median, 99th percentile and maximum over the files, with the
//! slowest files named; then criterion measures the whole corpus (in
//! elements per second: one element is one bounce), the slowest file and
//! the median file.
//!
//! Run: `cargo bench -p mxlens-shared --bench bounce`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mxlens_shared::smtp::bounce::read;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/sisimai/eml"
);
/// Runs per file in the per-sample pass.
const RUNS: usize = 21;

#[path = "../tests/support/eml.rs"]
mod support;

fn corpus() -> Vec<(String, Vec<u8>)> {
    support::eml_files(CORPUS)
}

/// The median time of `RUNS` reads of each file, sorted fastest first.
fn per_sample(corpus: &[(String, Vec<u8>)]) -> Vec<(Duration, &str, usize)> {
    let mut out: Vec<_> = corpus
        .iter()
        .map(|(name, raw)| {
            let mut runs: Vec<Duration> = (0..RUNS)
                .map(|_| {
                    // A benchmark reads the clock; the library never does.
                    #[allow(clippy::disallowed_methods)]
                    let t = Instant::now();
                    black_box(read(black_box(raw)));
                    t.elapsed()
                })
                .collect();
            runs.sort();
            (runs[RUNS / 2], name.as_str(), raw.len())
        })
        .collect();
    out.sort();
    out
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    // Every sample is read as a bounce (the corpus test scores the fields).
    let missed: Vec<_> = corpus
        .iter()
        .filter(|(_, raw)| read(raw).is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(missed.is_empty(), "not read as bounces: {missed:?}");

    let times = per_sample(&corpus);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let (median, p99, max) = (at(0.5), at(0.99), at(1.0));
    println!(
        "bounce::read per sample over {} sisimai files (median of {RUNS} runs each): median {:?} ({}), p99 {:?} ({}), max {:?} ({}, {} bytes)",
        times.len(),
        median.0,
        median.1,
        p99.0,
        p99.1,
        max.0,
        max.1,
        max.2
    );
    println!("slowest five:");
    for (t, name, len) in times.iter().rev().take(5) {
        println!("  {t:?}  {name} ({len} bytes)");
    }
    let over = times
        .iter()
        .filter(|t| t.0 >= Duration::from_millis(1))
        .count();
    println!("samples at or over 1 ms: {over}");

    let mut group = c.benchmark_group("bounce_read");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function(format!("sisimai corpus ({} files)", corpus.len()), |b| {
        b.iter(|| {
            for (_, raw) in &corpus {
                black_box(read(black_box(raw)));
            }
        })
    });
    group.finish();
    let file = |name: &str| &corpus.iter().find(|(n, _)| n == name).unwrap().1;
    for (label, (_, name, _)) in [("slowest", max), ("median", median)] {
        let raw = file(name);
        c.bench_function(&format!("bounce_read {label} sample ({name})"), |b| {
            b.iter(|| black_box(read(black_box(raw))))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
