#!/usr/bin/env bash
# GET /api/reports/{id} at a fixed rate on loopback: prints p50, p99 and the
# error count per store. Goal: p99 < 5 ms with 0 errors at 1,000 req/s.
#
#   bench/reports-get.sh [sqlite|postgres|both]   (default both)
#   RATE=1000 DURATION=30 CONNECTIONS=20 THREADS=2 bench/reports-get.sh sqlite
source "$(dirname "${BASH_SOURCE[0]}")/reports-common.sh"
STORES="${1:-both}"; [ "$STORES" = both ] && STORES="sqlite postgres"
RATE="${RATE:-1000}" DURATION="${DURATION:-30}" CONNECTIONS="${CONNECTIONS:-20}" THREADS="${THREADS:-2}"

install_wrk
build_mxlens
for store in $STORES; do
  start_mxlens "$store"
  id="$(curl -fsS -H 'content-type: application/json' --data "$(report_body)" "$BASE_URL/api/reports" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
  bytes="$(curl -fsS "$BASE_URL/api/reports/$id" | wc -c)"
  # Warm up the connections and caches for 2 s, then measure.
  wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s "$BENCH/wrk-paced.lua" "$BASE_URL" \
    -- "/api/reports/$id" "$((RATE / THREADS))" >/dev/null
  out="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 2s -s "$BENCH/wrk-paced.lua" "$BASE_URL" \
    -- "/api/reports/$id" "$((RATE / THREADS))")"
  line="$(grep '^WRK ' <<<"$out")"
  python3 - "$store" "$RATE" "$bytes" "$line" <<'PY'
import sys
store, rate, size, line = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
f = {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
errors = sum(v for k, v in f.items() if k.startswith("errors_"))
achieved = f["requests"] / (f["duration_us"] / 1e6)
ms = lambda us: f"{us / 1000:.2f} ms"
print(f"GET /api/reports/{{id}} [{store}] target {rate} req/s, achieved {achieved:.0f} req/s over "
      f"{f['duration_us'] / 1e6:.0f} s ({f['requests']} requests, {size} B report): "
      f"p50 {ms(f['p50_us'])}, p90 {ms(f['p90_us'])}, p99 {ms(f['p99_us'])}, max {ms(f['max_us'])}; "
      f"errors {errors} (connect {f['errors_connect']}, read {f['errors_read']}, write {f['errors_write']}, "
      f"timeout {f['errors_timeout']}, non-2xx {f['errors_status']})"
      + ("  OK: p99 < 5 ms, 0 errors" if f["p99_us"] < 5000 and errors == 0 else "  GOAL MISSED (p99 < 5 ms, 0 errors)"))
PY
  stop_mxlens
done
