#!/usr/bin/env bash
# Batch throughput and memory (issue #5, benchmark 3; issue #17 G1):
# `mxlens audit --batch` over N generated domains (d<i>.bench.test, shaped
# like good.audit.test) at DELAY_MS per DNS query, served by the loopback
# test DNS server (tests/examples/bench serve). Prints domains/s and peak RSS
# per N, and the load average before and after.
# SMTP probes are off (--no-smtp): the generated MX hosts are documentation
# addresses and nothing may leave loopback. Not part of the test suite.
#
# BATCH_CONCURRENCY / DNS_CONCURRENCY unset: mxlens's own defaults (no flag
# passed). MXLENS_BIN / BENCH_BIN: measure other binaries (a "before" build)
# without building. SELECTORS: the --selector flags (default "s1"; "" for none).
set -euo pipefail
cd "$(dirname "$0")/.."
DELAY_MS="${DELAY_MS:-50}"
SIZES="${SIZES:-100 1000 5000}"
PROFILE="${PROFILE:-dev}"
SELECTORS="${SELECTORS-s1}"
dir=debug; [ "$PROFILE" = dev ] || dir="$PROFILE"
MXLENS_BIN="${MXLENS_BIN:-target/$dir/mxlens}"
BENCH_BIN="${BENCH_BIN:-target/$dir/examples/bench}"
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --quiet --profile "$PROFILE" -p mxlens-tests --example bench
  cargo build --quiet --profile "$PROFILE" -p mxlens-backend --bin mxlens
fi
flags=()
[ -z "${BATCH_CONCURRENCY:-}" ] || flags+=(--batch-concurrency "$BATCH_CONCURRENCY")
[ -z "${DNS_CONCURRENCY:-}" ] || flags+=(--dns-concurrency "$DNS_CONCURRENCY")
for s in $SELECTORS; do flags+=(--selector "$s"); done
work="target/bench"
mkdir -p "$work"
ulimit -n 20000 2>/dev/null || true
echo "mxlens: $MXLENS_BIN ${flags[*]}; DNS delay ${DELAY_MS} ms; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%8s %10s %12s %14s %12s %10s %10s\n" N seconds domains/s peak_RSS_MiB mxlens_CPU_s errors dns_queries
for n in $SIZES; do
  fifo="$work/dns-stdin.$n"
  rm -f "$fifo"; mkfifo "$fifo"
  "$BENCH_BIN" serve --delay-ms "$DELAY_MS" --domains "$n" \
      --list "$work/domains.$n" <"$fifo" >"$work/dns.$n.out" 2>"$work/dns.$n.err" &
  dns_pid=$!
  exec 3>"$fifo"   # hold the server's stdin open until we are done
  # Parsing many generated zones takes a while.
  for _ in $(seq 1200); do grep -q '^ADDR ' "$work/dns.$n.out" && break; sleep 0.1; done
  addr=$(sed -n 's/^ADDR //p' "$work/dns.$n.out")
  [ -n "$addr" ] || { echo "the test DNS server did not start for N=$n" >&2; exit 1; }
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S %M' -o "$work/time.$n" \
    "$MXLENS_BIN" audit --batch "$work/domains.$n" --json --no-smtp \
      --nameserver "$addr" --dnsbl bl.audit.test "${flags[@]}" \
      >"$work/reports.$n" 2>"$work/mxlens.$n.err" || true
  end=$(date +%s.%N)
  exec 3>&-
  wait "$dns_pid" || true
  rm -f "$fifo"
  lines=$(wc -l <"$work/reports.$n")
  errors=$(grep -c '"status":"error"' "$work/reports.$n" || true)
  queries=$(sed -n 's/^served \([0-9]*\) queries.*/\1/p' "$work/dns.$n.err")
  rss_kib=$(tail -1 "$work/time.$n" | awk "{print \$3}")
  cpu=$(tail -1 "$work/time.$n" | awk "{print \$1 + \$2}")
  awk -v n="$n" -v s="$start" -v e="$end" -v r="$rss_kib" -v l="$lines" -v err="$errors" -v c="$cpu" -v q="${queries:-0}" 'BEGIN {
    d = e - s; printf "%8d %10.2f %12.1f %14.1f %12.2f %10d %10d\n", n, d, l / d, r / 1024, c, err, q }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
