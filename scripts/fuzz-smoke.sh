#!/usr/bin/env bash
# A short fuzz smoke of every cargo-fuzz target (libFuzzer, nightly):
# FUZZ_SECONDS per target (default 10). Longer runs: FUZZ_SECONDS=600.
# Without a nightly toolchain it says "not tested" and exits 0: the
# property tests in `cargo test` still feed random input to every parser.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${FUZZ_SECONDS:-10}
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz smoke: not tested (no nightly toolchain on this machine)"
  exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo +nightly fuzz build -O 2>&1 | tail -1
for target in $(cargo +nightly fuzz list); do
  mkdir -p "corpus/$target"
  out=$(cargo +nightly fuzz run -O "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1) || { echo "$out" | tail -40; echo "fuzz smoke: $target FAILED"; exit 1; }
  runs=$(echo "$out" | grep -o 'Done [0-9]* runs' | tail -1)
  echo "fuzz smoke: $target ${runs:-ran} in ${seconds}s, 0 crashes"
done
