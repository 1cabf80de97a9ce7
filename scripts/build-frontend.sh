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
# Budget (issue 7): 350 KiB gzip, goal 250 KiB. The bundle is not there yet
# (see the issue notes), so the build fails above a 380 KiB ceiling that
# stops regressions (lowered from 400 when the Public Suffix List moved out
# of the bundle into dist/public_suffix_list.dat), and says plainly when it
# is over the 350 KiB budget.
echo "frontend: $(basename "$wasm") $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzip (budget 350 KiB gzip, hard ceiling 380 KiB)"
if [ "$gz" -gt $((380 * 1024)) ]; then
  echo "frontend: the wasm bundle is over the 380 KiB gzip ceiling" >&2
  exit 1
elif [ "$gz" -gt $((350 * 1024)) ]; then
  echo "frontend: WARNING: over the 350 KiB gzip budget by $(((gz - 350 * 1024) / 1024)) KiB"
fi
