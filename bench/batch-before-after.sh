#!/usr/bin/env bash
# Issue #17 G1: bench/batch.sh for a "before" binary (BEFORE_BIN, default
# /tmp/mxlens-before, e.g. main built in a `git worktree`) and this tree's
# release build, at the defaults and tuned (512 audits, 2048 queries), back
# to back in one run.
set -u
cd "$(dirname "$0")/.."
export PROFILE=release SKIP_BUILD=1 DELAY_MS=50 SIZES="100 1000 5000"
for cfg in default tuned; do
  for which in before after; do
    if [ $which = before ]; then bin="${BEFORE_BIN:-/tmp/mxlens-before}"; else bin=target/release/mxlens; fi
    echo "=== $which, $cfg"
    if [ $cfg = tuned ]; then
      MXLENS_BIN=$bin BATCH_CONCURRENCY=512 DNS_CONCURRENCY=2048 bench/batch.sh
    else
      MXLENS_BIN=$bin bench/batch.sh
    fi
  done
done
echo done
