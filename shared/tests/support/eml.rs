//! The `.eml` files of a directory, sorted by name: the corpora the golden
//! and sisimai tests, the analysis benches (`analyze.rs`, `bounce.rs`) and
//! `examples/analyze_corpus.rs` loop over. Included by `#[path]`; each
//! includer uses one of the two functions.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every `*.eml` in `dir`, sorted by name. Panics with the directory's
/// name when it cannot be read.
pub fn eml_paths(dir: impl AsRef<Path>) -> Vec<PathBuf> {
    let dir = dir.as_ref();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

/// Every `*.eml` in `dir` (name, bytes), sorted by name.
pub fn eml_files(dir: &str) -> Vec<(String, Vec<u8>)> {
    eml_paths(dir)
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(p).expect("readable"))
        })
        .collect()
}
