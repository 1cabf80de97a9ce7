#!/usr/bin/env bash
# Report creation throughput: POST /api/reports with a header paste (the
# server re-runs the analysis, serialises the report and commits it), N
# clients in parallel, closed loop. Prints reports/s per store and N.
#
#   bench/reports-create.sh [sqlite|postgres|both]   (default both)
#   PARALLEL="1 8 32" DURATION=10 bench/reports-create.sh sqlite
source "$(dirname "${BASH_SOURCE[0]}")/reports-common.sh"
STORES="${1:-both}"; [ "$STORES" = both ] && STORES="sqlite postgres"
PARALLEL="${PARALLEL:-1 8 32}" DURATION="${DURATION:-10}"

install_wrk
build_mxlens
report_body >"$WORK/body.json"
for store in $STORES; do
  start_mxlens "$store"
  curl -fsS -H 'content-type: application/json' --data @"$WORK/body.json" "$BASE_URL/api/reports" >/dev/null
  for n in $PARALLEL; do
    threads=$(( n < 2 ? 1 : 2 ))
    out="$(wrk -t "$threads" -c "$n" -d "${DURATION}s" --timeout 10s -s "$BENCH/wrk-post.lua" "$BASE_URL" -- "$WORK/body.json")"
    line="$(grep '^WRK ' <<<"$out")"
    python3 - "$store" "$n" "$line" <<'PY'
import sys
store, n, line = sys.argv[1], int(sys.argv[2]), sys.argv[3]
f = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
errors = sum(v for k, v in f.items() if k.startswith("errors_"))
rate = f["requests"] / (f["duration_us"] / 1e6)
print(f"POST /api/reports (header paste) [{store}] {n} in parallel: {rate:.0f} reports/s "
      f"({f['requests']} in {f['duration_us'] / 1e6:.0f} s), p50 {f['p50_us'] / 1000:.2f} ms, "
      f"p99 {f['p99_us'] / 1000:.2f} ms, errors {errors}")
PY
  done
  stop_mxlens
done
