#!/usr/bin/env bash
# Builds everything and starts mxlens: UI and API on http://127.0.0.1:8080,
# reports in an embedded SQLite store under ./data/. Extra arguments go to
# `mxlens serve` (e.g. --listen 0.0.0.0:8080, --nameserver 127.0.0.1:5353).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
scripts/build-frontend.sh
cargo build --release -p mxlens-backend
exec target/release/mxlens serve "$@"
