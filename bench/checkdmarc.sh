#!/usr/bin/env bash
# Side by side with checkdmarc 6.0.4 (issue #5, benchmark 2): the same zone
# (good.audit.test from tests/fixtures/zones), the same DNS server and the
# same DELAY_MS per query, in the same run, inside a network namespace that
# has only loopback (TOOLCHAIN.md), so checkdmarc's own MTA-STS/BIMI fetches,
# which use the system resolver, cannot leave the machine. mxlens runs with
# --no-smtp because checkdmarc does not probe SMTP by default
# (check_mx_tls=False). Needs root (ip netns). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
DELAY_MS="${DELAY_MS:-50}"
RUNS="${RUNS:-5}"
PROFILE="${PROFILE:-dev}"
DOMAIN="${DOMAIN:-good.audit.test}"
NS=mxlens-bench
venv=target/bench-venv
if ! "$venv/bin/python" -c 'import checkdmarc, sys; sys.exit(checkdmarc.__version__ != "6.0.4")' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkdmarc==6.0.4
fi
[ -n "${SKIP_BUILD:-}" ] || cargo build --quiet --profile "$PROFILE" -p mxlens-tests --example bench
[ -n "${SKIP_BUILD:-}" ] || cargo build --quiet --profile "$PROFILE" -p mxlens-backend --bin mxlens
dir=debug; [ "$PROFILE" = dev ] || dir="$PROFILE"
created=0
if ! ip netns list | grep -qw "$NS"; then
  ip netns add "$NS"; created=1
fi
cleanup() { if [ "$created" = 1 ]; then ip netns del "$NS"; rm -rf "/etc/netns/$NS"; fi; }
trap cleanup EXIT
ip netns exec "$NS" ip link set lo up
mkdir -p "/etc/netns/$NS"
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
ip netns exec "$NS" env DELAY_MS="$DELAY_MS" RUNS="$RUNS" DOMAIN="$DOMAIN" \
  BENCH="target/$dir/examples/bench" MXLENS="target/$dir/mxlens" PY="$venv/bin/python" \
  bash -c '
set -euo pipefail
work=target/bench; mkdir -p "$work"
fifo="$work/cd-stdin"; rm -f "$fifo"; mkfifo "$fifo"
"$BENCH" serve --delay-ms "$DELAY_MS" <"$fifo" >"$work/cd-dns.out" 2>"$work/cd-dns.err" &
exec 3>"$fifo"
for _ in $(seq 100); do grep -q "^ADDR " "$work/cd-dns.out" && break; sleep 0.1; done
addr=$(sed -n "s/^ADDR //p" "$work/cd-dns.out"); port=${addr##*:}
times=()
for _ in $(seq "$RUNS"); do
  s=$(date +%s.%N)
  "$MXLENS" audit "$DOMAIN" --json --no-smtp --nameserver "$addr" --dnsbl bl.audit.test \
     --selector s1 >"$work/cd-mxlens.json" 2>/dev/null || true
  e=$(date +%s.%N)
  times+=("$(awk -v s="$s" -v e="$e" "BEGIN{print e-s}")")
done
mx=$(printf "%s\n" "${times[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
checks=$("$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print(len(r[\"checks\"]), len({c[\"id\"] for c in r[\"checks\"]}))" "$work/cd-mxlens.json")
# One fresh process per run: checkdmarc caches DNS answers in-process.
cdtimes=()
for _ in $(seq "$RUNS"); do
  cd=$("$PY" bench/checkdmarc_run.py "$port" "$DOMAIN" 1)
  cdtimes+=("$("$PY" -c "import json,sys; print(json.loads(sys.argv[1])[\"median_s\"])" "$cd")")
done
exec 3>&-; rm -f "$fifo"
cdm=$(printf "%s\n" "${cdtimes[@]}" | sort -g | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "domain: $DOMAIN, DNS delay: ${DELAY_MS} ms per query, runs: $RUNS (medians)"
echo "mxlens (process wall, --no-smtp): ${mx} s; runs: ${times[*]}; checks: $checks (instances, distinct ids)"
echo "checkdmarc 6.0.4 (check_domains in a fresh process, imports excluded): ${cdm} s; runs: ${cdtimes[*]}; last: $cd"
awk -v a="$cdm" -v b="$mx" "BEGIN{printf \"ratio checkdmarc / mxlens = %.1fx\n\", a/b}"
'
