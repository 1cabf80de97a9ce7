#!/usr/bin/env bash
# Runs the whole mxlens test suite: lints, the wasm build, browser tests
# (headless Chromium), and every Rust test with real DNS, SMTP (Postfix)
# and SQLite peers on loopback. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR=never
# Incremental caches double the target directory and a CI run never reuses them.
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "shared builds for wasm32"
cargo check -p mxlens-shared --target wasm32-unknown-unknown

step "frontend (trunk release build, size budget)"
scripts/build-frontend.sh

step "tests inside the browser (wasm-bindgen-test, headless Chromium)"
cargo test -p mxlens-frontend --target wasm32-unknown-unknown

step "fuzz smoke (every cargo-fuzz target, ${FUZZ_SECONDS:-10}s each)"
scripts/fuzz-smoke.sh

step "doc tests"
cargo test --workspace --doc

step "conformance suites (pass counts)"
cargo test -q -p mxlens-shared --test openspf --test mox --test mox_spf --test received_vectors --test authres_vectors --test sisimai -- --nocapture 2>&1 \
  | grep -E "suite: |vectors: |^sisimai corpus: " | sort -u
# DKIM and ARC verification: dkimpy and Stalwart samples, the ValiMail ARC
# suite, mxlens's own dkimpy-signed corpus.
cargo test -q -p mxlens-shared --test dkim_conformance --test arc_conformance --test dkim_corpus -- --nocapture 2>&1 \
  | grep -E "samples: |suite: |corpus: " | sed "s/^\.*//" | sort -u
# The same RFC 7208 suite through the shipped binary and a real DNS server.
cargo test -q -p mxlens-tests --test integration cli_spf_suite -- --nocapture 2>&1 \
  | grep -E "suite through"
# The message corpus through POST /api/analyze, audits through mxlens audit.
cargo test -q -p mxlens-tests --test integration surfaces:: -- --nocapture 2>&1 \
  | grep -oE "surfaces: .*"

step "soak, short version (60 s, 250 clients, debug build; bench/soak.sh runs the 10-minute one)"
PROFILE=debug DURATION=60 CLIENTS=250 bench/soak.sh

step "all Rust tests (unit, conformance, integration with real peers, browser flows)"
cargo nextest run --workspace --no-fail-fast --failure-output final
