#!/usr/bin/env bash
# Builds the Yew app into dist/ with Trunk, offline (Trunk cannot download
# tools here; scripts/setup.sh installed them), and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
cargo fetch --quiet
trunk build --release --offline >/tmp/mxlens-trunk.log 2>&1 || { cat /tmp/mxlens-trunk.log; exit 1; }
wasm=$(ls dist/*.wasm)
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "frontend: $(basename "$wasm") $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzip (budget 350 KiB gzip)"
if [ "$gz" -gt $((350 * 1024)) ]; then
  echo "frontend: the wasm bundle is over the 350 KiB gzip budget" >&2
  exit 1
fi
