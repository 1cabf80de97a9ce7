//! The `mxlens` binary: `serve`, `audit`, `headers`, `spf`.

fn main() -> std::process::ExitCode {
    mxlens_backend::cli::main()
}
