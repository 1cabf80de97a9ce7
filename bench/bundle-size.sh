#!/usr/bin/env bash
# Where the bytes of the browser bundle go (issue #17 G3). Prints figures; it
# is not part of the test suite.
#
#   bench/bundle-size.sh          # uses the last build (scripts/build-frontend.sh)
#   BUILD=1 bench/bundle-size.sh  # rebuild the frontend first
#   TOP=60 bench/bundle-size.sh   # longer lists (default 40)
#   FUNC_METRICS=1 bench/bundle-size.sh  # add wasm-opt --func-metrics (minutes)
#   BIN=engine bench/bundle-size.sh       # the engine worker's bytes (default: the page's)
#
# Recipe:
# 1. dist/*.wasm is what ships: raw and gzip -9 size, the figure the build's
#    budget holds.
# 2. The cargo output before wasm-bindgen and wasm-opt
#    (target/wasm32-unknown-unknown/wasm-release/frontend.wasm) still has its
#    name section, so twiggy can name every function: `twiggy top` (largest
#    items, shallow size) and `twiggy dominators` (retained size: what a
#    cut would remove), plus `twiggy monos` (generic functions instantiated
#    several times, and what merging them would save).
# 3. `wasm-opt --func-metrics` on the same file counts instructions per
#    function (binaryen 132 from npm, as the build uses).
# Sizes in step 2 and 3 are before wasm-opt, so they are larger than the
# shipped bundle; use them to rank, and the step 1 figure to measure a change.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
TOP="${TOP:-40}"
if [ "${BUILD:-0}" = 1 ] || ! ls dist/*.wasm >/dev/null 2>&1; then
  scripts/build-frontend.sh
fi
# Two files ship since #17 G3: the page (frontend) and the engine worker
# (engine). BIN=engine bench/bundle-size.sh ranks the engine's bytes.
BIN="${BIN:-frontend}"
for wasm in dist/*.wasm; do
  echo "== shipped: $wasm"
  echo "raw $(stat -c %s "$wasm") bytes, gzip -9 $(gzip -9 -c "$wasm" | wc -c) bytes"
done
# The engine has a cargo profile of its own (wasm-engine, Cargo.toml).
profile=wasm-release
[ "$BIN" = engine ] && profile=wasm-engine
named="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile/$BIN.wasm"
echo "== before wasm-bindgen/wasm-opt (named): $named"
echo "raw $(stat -c %s "$named") bytes, gzip -9 $(gzip -9 -c "$named" | wc -c) bytes"
echo "== twiggy top -n $TOP"
twiggy top -n "$TOP" "$named"
echo "== twiggy dominators -d 2 -r $TOP"
twiggy dominators -d 2 -r "$TOP" "$named"
echo "== twiggy monos -n 20"
twiggy monos -n 20 "$named"
# Slow (minutes on the shared machine: ~8,700 functions), so only on request.
if [ "${FUNC_METRICS:-0}" = 1 ]; then
  echo "== wasm-opt --func-metrics (functions by instruction count, top $TOP)"
  wasm-opt --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$named" --func-metrics 2>&1 |
    awk '/^func: /{f=$2} /\[total\]/{print $NF, f}' | sort -rn | head -n "$TOP"
fi
