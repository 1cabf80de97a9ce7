#!/usr/bin/env bash
# UI speed budgets of issue #7 (first render < 500 ms; analysing a 64 KB
# header block < 50 ms end to end): serves the release frontend (dist/,
# built by scripts/build-frontend.sh) with `mxlens serve` on loopback and
# runs bench/ui-analyze.mjs in headless Chromium. Prints figures; it is not
# part of the test suite.
#
#   bench/ui-analyze.sh                   # builds dist/ if missing, debug mxlens
#   BUILD=1 bench/ui-analyze.sh           # rebuild the frontend first
#   RUNS=50 bench/ui-analyze.sh           # more runs per case (default 20)
#   MXLENS_BIN=target/release/mxlens bench/ui-analyze.sh   # skip the cargo build
#   DIST=/path/to/other/dist bench/ui-analyze.sh            # measure another build
#   ONLY=dkim bench/ui-analyze.sh         # only bench/ui-dkim.mjs (or ONLY=analyze)
#
# The server only serves static files here, so a debug build is enough.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST="${DIST:-dist}"
if [ "${BUILD:-0}" = 1 ] || [ ! -f "$DIST/index.html" ]; then
  scripts/build-frontend.sh
fi
if [ -z "${MXLENS_BIN:-}" ]; then
  cargo build --quiet -p mxlens-backend --bin mxlens
  MXLENS_BIN="${CARGO_TARGET_DIR:-target}/debug/mxlens"
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The page asks the server for DKIM keys and blocklist answers of what it
# analyses: every DNS question goes to a closed loopback port (no answer,
# nothing leaves the machine), so those lookups end as "not verified" /
# "no answer" and the figures are the browser's own work.
"$MXLENS_BIN" serve --listen "127.0.0.1:$port" --dist "$DIST" --nameserver 127.0.0.1:9 \
  --database-url "sqlite://$work/bench.db" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
# Since #17 G3 two files ship: the page's and the engine worker's.
sizes=$(for wasm in "$DIST"/*.wasm; do printf '%s %s KiB gzip; ' "$(basename "$wasm")" $(($(gzip -9 -c "$wasm" | wc -c) / 1024)); done)
echo "ui-analyze: ${sizes}$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
case "${ONLY:-both}" in both | analyze) BASE_URL="http://127.0.0.1:$port" node bench/ui-analyze.mjs ;; esac
case "${ONLY:-both}" in both | dkim) BASE_URL="http://127.0.0.1:$port" node bench/ui-dkim.mjs ;; esac
