//! The message analysis over the golden corpus (`tests/fixtures/messages`)
//! in a plain loop, for `bench/analyze-instructions.sh` (issue #17 G4): a
//! fixed amount of work that valgrind counts instructions of, a figure that
//! does not move with the load of this shared machine the way criterion's
//! wall time does (±25% between two runs of one binary).
//!
//! `cargo run --release -p mxlens-shared --example analyze_corpus -- [PASSES] [FILE]`
//! prints the wall time per pass as well; with FILE it analyses that one
//! file instead of the corpus.

use std::time::Instant;

use mxlens_shared::message::analyze_message;

#[path = "../tests/support/eml.rs"]
mod support;

// The library reads no clock (it runs on wasm32, where `Instant::now`
// panics); this native example times its own loop.
#[allow(clippy::disallowed_methods)]
fn main() {
    let mut args = std::env::args().skip(1);
    let passes: usize = args
        .next()
        .map_or(300, |n| n.parse().expect("PASSES is a number"));
    let corpus: Vec<Vec<u8>> = match args.next() {
        Some(file) => vec![std::fs::read(&file).expect("FILE is readable")],
        None => support::eml_files(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/messages"
        ))
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect(),
    };
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let start = Instant::now();
    for _ in 0..passes {
        for message in &corpus {
            std::hint::black_box(analyze_message(message, "2026-01-01T00:00:00Z").ok());
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} file(s), {bytes} bytes, {passes} passes: {:.3} ms per pass, {:.1} MiB/s",
        corpus.len(),
        seconds * 1e3 / passes as f64,
        (bytes * passes) as f64 / seconds / 1_048_576.0
    );
}
