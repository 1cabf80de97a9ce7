//! The `.eml` files of a directory, sorted by name, with their names: the
//! corpora the analysis benches (`analyze.rs`, `bounce.rs`) and
//! `examples/analyze_corpus.rs` loop over. Included by `#[path]`.

/// Every `*.eml` in `dir` (name, bytes), sorted by name. Panics with the
/// directory's name when it cannot be read.
pub fn eml_files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(p).expect("readable"))
        })
        .collect()
}
