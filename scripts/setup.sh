#!/usr/bin/env bash
# Installs everything mxlens needs to build, run and test, idempotently.
# A second run only checks versions and returns in seconds.
#
#   scripts/setup.sh          # build + run prerequisites (wasm target, Trunk, wasm-bindgen, wasm-opt)
#   scripts/setup.sh --test   # also the test prerequisites (Chromium, chromedriver, Postfix, Playwright, nextest)
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# Must equal the `wasm-bindgen` pin in Cargo.toml (checked below).
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0
PLAYWRIGHT_VERSION=1.65.1
# axe-core (MPL-2.0): the accessibility rules the browser tests run (tests/e2e/a11y.mjs).
AXE_VERSION=4.14.1

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

pinned=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml 2>/dev/null || true)
if [ -n "$pinned" ] && [ "$pinned" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: Cargo.toml pins wasm-bindgen $pinned but setup installs $WASM_BINDGEN_VERSION" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The browser bundle rebuilds the standard library for size (scripts/build-frontend.sh,
# issue #17 G3), which needs the toolchain's library source.
if ! rustup component list --installed | grep -q '^rust-src'; then
  log "adding rust component rust-src"
  rustup component add rust-src
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 7 minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lockfile wants a crate version the registry here lacks (TOOLCHAIN.md).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

npm_pkgs=()
[ "$(node -p "require('./node_modules/binaryen/package.json').version" 2>/dev/null)" = "$BINARYEN_VERSION" ] \
  || npm_pkgs+=("binaryen@$BINARYEN_VERSION")
if [ $want_test = 1 ]; then
  [ "$(node -p "require('./node_modules/playwright-core/package.json').version" 2>/dev/null)" = "$PLAYWRIGHT_VERSION" ] \
    || npm_pkgs+=("playwright-core@$PLAYWRIGHT_VERSION")
  [ "$(node -p "require('./node_modules/axe-core/package.json').version" 2>/dev/null)" = "$AXE_VERSION" ] \
    || npm_pkgs+=("axe-core@$AXE_VERSION")
fi
if [ ${#npm_pkgs[@]} -gt 0 ]; then
  log "npm install ${npm_pkgs[*]}"
  npm install --no-audit --no-fund --no-save "${npm_pkgs[@]}" binaryen@$BINARYEN_VERSION \
    $([ $want_test = 1 ] && echo "playwright-core@$PLAYWRIGHT_VERSION axe-core@$AXE_VERSION")
fi

if [ $want_test = 1 ]; then
  apt_pkgs=()
  command -v chromium >/dev/null || apt_pkgs+=(chromium)
  command -v chromedriver >/dev/null || apt_pkgs+=(chromium-driver)
  [ -x /usr/sbin/postfix ] || apt_pkgs+=(postfix)
  command -v openssl >/dev/null || apt_pkgs+=(openssl)
  # `ip`, to bring up loopback in the tests' own network namespace.
  command -v ip >/dev/null || apt_pkgs+=(iproute2)
  # The report-store tests start a private PostgreSQL 15 cluster (tests/src/postgres.rs).
  [ -x /usr/lib/postgresql/15/bin/initdb ] || apt_pkgs+=(postgresql-15)
  if [ ${#apt_pkgs[@]} -gt 0 ]; then
    log "apt-get install ${apt_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${apt_pkgs[@]}"
  fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    log "installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
fi
log "tools ready"
