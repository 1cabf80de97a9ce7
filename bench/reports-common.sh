# Shared by bench/reports-get.sh and bench/reports-create.sh (sourced, not run):
# installs wrk, builds the release binary, starts a private PostgreSQL 15
# cluster and `mxlens serve` on loopback, and cleans everything up on exit.
# Only loopback traffic; the only download is the wrk Debian package.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PG_BIN=/usr/lib/postgresql/15/bin
WORK="$(mktemp -d /tmp/mxlens-bench.XXXXXX)"
chmod 711 "$WORK" # the postgres user must reach its cluster directory
PIDS=()
PG_DATA=""

log() { echo "bench: $*" >&2; }

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "$PG_DATA" ]; then as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_wrk() {
  # wrk (Debian) installs in seconds; oha would be a long cargo build here.
  if ! command -v wrk >/dev/null; then
    log "apt-get install wrk"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends wrk >&2
  fi
}

build_mxlens() {
  # MXLENS_BIN=path skips the build (for trying the script out).
  if [ -n "${MXLENS_BIN:-}" ]; then MXLENS="$MXLENS_BIN"; return; fi
  log "cargo build --release (mxlens)"
  (cd "$ROOT" && cargo build --release -q -p mxlens-backend --bin mxlens)
  local target="${CARGO_TARGET_DIR:-$ROOT/target}"
  MXLENS="$target/release/mxlens"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_postgres: a throw-away cluster (default settings: fsync on,
# synchronous_commit on); sets DATABASE_URL.
start_postgres() {
  local dir="$WORK/pg" port
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  PG_DATA="$dir/data"
  port="$(free_port)"
  as_postgres "$PG_BIN/initdb" -A trust -U postgres -D "$PG_DATA" -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

# start_mxlens STORE: `mxlens serve` on a free loopback port with the POST
# rate limit off (the bench is one client); sets BASE_URL.
start_mxlens() {
  local store="$1" port
  case "$store" in
    sqlite) DATABASE_URL="sqlite://$WORK/sqlite/mxlens.db" ;;
    postgres) start_postgres ;;
    *) echo "unknown store $store (sqlite or postgres)" >&2; exit 2 ;;
  esac
  port="$(free_port)"
  MXLENS_LOG=warn "$MXLENS" serve --listen "127.0.0.1:$port" --database-url "$DATABASE_URL" \
    --dist "$WORK/no-dist" --rate-limit-per-minute 0 >"$WORK/mxlens-$store.log" 2>&1 &
  PIDS+=($!)
  BASE_URL="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    curl -fsS "$BASE_URL/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "mxlens did not start:" >&2; cat "$WORK/mxlens-$store.log" >&2; exit 1
}

stop_mxlens() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
  if [ -n "$PG_DATA" ]; then as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; PG_DATA=""; fi
}

# A header paste: what the "Share" button stores for a pasted message.
HEADER_PASTE='Received: from mail.shop.test (mail.shop.test [192.0.2.99])
	by mx.receiver.test with ESMTPS id abc; Tue, 1 Jul 2025 10:00:05 +0000
DKIM-Signature: v=1; a=rsa-sha256; d=shop.test; s=sel1; h=from:subject:date; bh=x; b=y
From: Jane Buyer <jane.buyer@shop.test>
To: bob@receiver.test
Subject: Your order
Date: Tue, 1 Jul 2025 10:00:00 +0000
Message-ID: <1@shop.test>
'

report_body() {
  python3 -c 'import json,sys; print(json.dumps({"message": sys.argv[1]}))' "$HEADER_PASTE"
}
