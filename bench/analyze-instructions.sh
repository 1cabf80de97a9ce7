#!/usr/bin/env bash
# Instructions the message analysis executes per pass over the golden corpus
# (issue #17 G4), counted by valgrind: the same figure on every run, where
# the wall time of `cargo bench --bench analyze` moves by ±25% with the
# load of this shared 2-core machine. Fewer instructions is not the same as
# less time (the allocator, caches and SIMD weigh differently), so quote it
# beside a wall-time comparison of the two builds run alternately. Prints
# figures; it is not part of the test suite.
#
#   bench/analyze-instructions.sh                 # this checkout
#   REV=a6991fa bench/analyze-instructions.sh     # and that revision, side by side
#   FILE=tests/fixtures/messages/02-gmail-show-original-ses.eml bench/analyze-instructions.sh
#   PASSES=20                                     # passes counted (default 20)
#
# Needs valgrind (`apt-get install valgrind`). REV builds in a git worktree
# under target/ with its own target directory (a cold build, minutes);
# `git worktree remove target/analyze-instructions-REV` when done.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "analyze-instructions: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
PASSES="${PASSES:-20}"
file="${FILE:+$(realpath "$FILE")}"

# build DIR TARGET_DIR: the example's release binary of the checkout in DIR.
build() {
  (cd "$1" && cargo build -q --release -p mxlens-shared --example analyze_corpus --target-dir "$2") >&2
  echo "$2/release/examples/analyze_corpus"
}

# instructions BIN N: what valgrind counts for N passes.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" $file 2>&1 | awk '/Collected/ {print $4}'
}

# count LABEL BIN: instructions per pass, without the one-time costs (the
# files read, the public suffix list and mail-parser's table built on the
# first analysis: about 8 M): (count of PASSES + 1 passes - count of 1) /
# PASSES.
count() {
  local one many what
  one=$(instructions "$2" 1)
  many=$(instructions "$2" $((PASSES + 1)))
  what=$("$2" 1 $file | grep -o '[0-9]* file(s), [0-9]* bytes')
  awk -v label="$1" -v one="$one" -v many="$many" -v passes="$PASSES" -v what="$what" \
    'BEGIN { printf "%-12s %8.3f M instructions per pass (%s)\n", label, (many - one) / passes / 1e6, what }'
}

if [ -n "${REV:-}" ]; then
  wt="target/analyze-instructions-$REV"
  [ -d "$wt" ] || git worktree add -q --detach "$wt" "$REV"
  # The example may not exist at REV: bring this checkout's.
  mkdir -p "$wt/shared/examples"
  cp shared/examples/analyze_corpus.rs "$wt/shared/examples/"
  base=$(build "$wt" "$PWD/target/analyze-instructions-target")
  count "$REV" "$base"
fi
count "$(git rev-parse --short HEAD)" "$(build . "$PWD/target")"
