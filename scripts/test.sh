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

# Tests may reach loopback only. Where the kernel allows it (root here), the
# steps that run tests do so in a network namespace of their own whose only
# interface is `lo` (127.0.0.1 and ::1), so a test that asks the machine's
# resolver or the internet fails instead of quietly leaving loopback. Cargo
# runs offline in there: every dependency was fetched by the lint steps.
if unshare --net true 2>/dev/null && command -v ip >/dev/null; then
  loopback_only() {
    CARGO_NET_OFFLINE=true unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$@"
  }
  echo "tests run in a network namespace with loopback only"
else
  loopback_only() { "$@"; }
  echo "note: no network namespace here (unshare --net refused); loopback-only is not enforced"
fi

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
loopback_only cargo test --workspace --doc

step "conformance suites (pass counts)"
loopback_only cargo test -q -p mxlens-shared --test openspf --test mox --test mox_spf --test received_vectors --test authres_vectors --test sisimai -- --nocapture 2>&1 \
  | grep -E "suite: |vectors: |^sisimai corpus: " | sort -u
# DKIM and ARC verification: dkimpy and Stalwart samples, the ValiMail ARC
# suite, mxlens's own dkimpy-signed corpus.
loopback_only cargo test -q -p mxlens-shared --test dkim_conformance --test arc_conformance --test dkim_corpus -- --nocapture 2>&1 \
  | grep -E "samples: |suite: |corpus: " | sed "s/^\.*//" | sort -u
# The same RFC 7208 suite through the shipped binary and a real DNS server.
loopback_only cargo test -q -p mxlens-tests --test integration cli_spf_suite -- --nocapture 2>&1 \
  | grep -E "suite through"
# The message corpus through POST /api/analyze, audits through mxlens audit.
loopback_only cargo test -q -p mxlens-tests --test integration surfaces:: -- --nocapture 2>&1 \
  | grep -oE "surfaces: .*"

step "soak, short version (60 s, 250 clients, debug build; bench/soak.sh runs the 10-minute one)"
loopback_only env PROFILE=debug DURATION=60 CLIENTS=250 bench/soak.sh

step "all Rust tests (unit, conformance, integration with real peers, browser flows)"
loopback_only cargo nextest run --workspace --no-fail-fast --failure-output final
