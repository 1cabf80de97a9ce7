#!/usr/bin/env bash
# Benchmark of the SMTP receiver of "Send a test message" (issue #16).
#
# The driver (tests/examples/receiver_bench.rs) runs in one process: the
# test DNS server with the sender's SPF/DKIM/DMARC, `mxlens serve` with the
# receiver and STARTTLS (a throwaway CA), and the load: lettre senders
# delivering ~50 KB messages with STARTTLS, one connection per message, in
# a closed loop; then slow clients dribbling DATA. It prints messages/s,
# reports/s, end-of-DATA -> report p50/p99, and RSS under slow clients.
# Only loopback traffic.
#
#   bench/receiver.sh                       # release build
#   PROFILE=debug bench/receiver.sh         # no release build (slow analysis)
#   MESSAGES=300 CONCURRENCY=8 SLOW=200 bench/receiver.sh
#   POSTGRES=1 bench/receiver.sh            # two instances on a private
#                                           # PostgreSQL: events cross them
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${PROFILE:-release}"
MESSAGES="${MESSAGES:-300}"
CONCURRENCY="${CONCURRENCY:-8}"
SLOW="${SLOW:-200}"
POSTGRES="${POSTGRES:-0}"
ulimit -n 8192 2>/dev/null || true
flag=()
[ "$PROFILE" = release ] && flag=(--release)
nice -n 10 cargo build -q "${flag[@]}" -p mxlens-tests --example receiver_bench
exec "target/$PROFILE/examples/receiver_bench" \
    --messages "$MESSAGES" --concurrency "$CONCURRENCY" --slow "$SLOW" \
    --postgres "$POSTGRES"
