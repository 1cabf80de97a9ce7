#!/usr/bin/env bash
# Audit latency against the critical path (issue #5, benchmark 1).
# Runs the whole audit of good.audit.test in-process against the loopback
# test DNS server with DELAY_MS injected per query, a fake SMTP server with
# STARTTLS and an HTTPS MTA-STS policy server (tests/examples/bench.rs), and
# prints wall time / (dependency depth x delay + SMTP handshake).
# Loopback only. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
DELAY_MS="${DELAY_MS:-50}"
RUNS="${RUNS:-5}"
PROFILE="${PROFILE:-dev}"
[ -n "${SKIP_BUILD:-}" ] || cargo build --quiet --profile "$PROFILE" -p mxlens-tests --example bench
dir=debug; [ "$PROFILE" = dev ] || dir="$PROFILE"
exec "target/$dir/examples/bench" critical-path --delay-ms "$DELAY_MS" --runs "$RUNS"
