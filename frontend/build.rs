//! Embeds the golden message corpus for the in-browser test
//! (`tests/golden_wasm.rs`), which cannot read files.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/messages");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut cases = String::from("&[\n");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    for path in names {
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let json = path.with_extension("json");
        if !json.exists() {
            continue;
        }
        let _ = writeln!(
            cases,
            "    ({:?}, include_bytes!({:?}) as &[u8], include_str!({:?})),",
            path.file_name().unwrap_or_default().to_string_lossy(),
            path.display().to_string(),
            json.display().to_string()
        );
    }
    cases.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("golden_cases.rs");
    let _ = std::fs::write(out, cases);
}
