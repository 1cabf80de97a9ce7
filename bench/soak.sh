#!/usr/bin/env bash
# Load and soak test of `mxlens serve` on loopback (issue #8).
#
# The load tool is a small Rust driver in the tests crate
# (tests/examples/soak.rs), built here by cargo: no download beyond the
# crates already in Cargo.lock. It starts an in-process test DNS server
# (fixture zones, every answer 50 ms late), starts mxlens on a loopback
# port against it, and runs CLIENTS concurrent keep-alive clients for
# DURATION seconds over a mix of header analysis (POST /api/analyze),
# stored-report fetches (GET /api/reports/{id}) and live audits
# (POST /api/audits, polled to the end). It prints errors, p50/p99 per
# endpoint and the server's RSS sampled every second.
#
#   bench/soak.sh                     # 10 minutes, 1000 clients, release build
#   DURATION=60 bench/soak.sh         # the short version
#   PROFILE=debug DURATION=60 bench/soak.sh   # no release build (slower server)
#   DRIVER_PROFILE=debug bench/soak.sh        # release server, debug load driver
#
# Exits non-zero when any request failed.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-600}"
CLIENTS="${CLIENTS:-1000}"
AUDIT_PERCENT="${AUDIT_PERCENT:-2}"
PROFILE="${PROFILE:-release}"
DRIVER_PROFILE="${DRIVER_PROFILE:-$PROFILE}"

# Each client holds a connection on both sides of loopback.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

profile_flag() { if [ "$1" = release ]; then echo --release; else echo --profile=dev; fi; }
profile_dir() { if [ "$1" = release ]; then echo release; else echo debug; fi; }
cargo build --quiet "$(profile_flag "$PROFILE")" -p mxlens-backend --bin mxlens
cargo build --quiet "$(profile_flag "$DRIVER_PROFILE")" -p mxlens-tests --example soak
target="${CARGO_TARGET_DIR:-target}"
server="$target/$(profile_dir "$PROFILE")/mxlens"
driver="$target/$(profile_dir "$DRIVER_PROFILE")/examples/soak"
echo "mxlens: $server ($PROFILE), driver $DRIVER_PROFILE, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$driver" "$server" \
  --duration "$DURATION" --clients "$CLIENTS" --audit-percent "$AUDIT_PERCENT"
