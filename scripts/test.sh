#!/usr/bin/env bash
# Every check of the project: formatting, clippy with warnings as errors ([workspace.lints]
# and clippy's own), then every test: unit, property, integration (embedded service over the
# real SDK clients, the loopback server with SigV4), the shipped scenarios and fault scenarios run end to
# end, tests against the Python peers, and the report's headless-Chromium screenshot test.
# Needs a Rust toolchain (cargo), Python 3 with venv, and node with npm. Installs the Python peers
# (scripts/peers/requirements.txt) into target/peers/venv and the npm peers
# (scripts/peers/package.json: kinesalite) into target/peers/npm, kept there between runs, and Debian's
# chromium for the screenshot test when it can (root with apt-get). A peer that cannot be
# installed is skipped with a notice, except on CI (CI=true), where its test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install a Rust toolchain (rustup) first" >&2
  exit 1
fi
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for the report screenshot test" >&2
  apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || echo "could not install chromium" >&2
fi
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing node and npm for the npm peers" >&2
  apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || echo "could not install node and npm" >&2
fi
if command -v chromium >/dev/null 2>&1 || [ "${CI:-}" = "true" ]; then
  export KCB_REQUIRE_CHROMIUM=1
else
  echo "notice: chromium is not installed; the report screenshot test will be skipped" >&2
fi
# Python peers, in a virtual environment under target/ (reinstalled when the requirements change).
# shellcheck source=scripts/lib/peers.sh
. scripts/lib/peers.sh
kcb_python_peers || true
# npm peers (kinesalite) under target/peers/npm.
kcb_npm_peers && export KCB_NPM_PEERS="$PWD/target/peers/npm" || true
if [ "${CI:-}" = "true" ]; then
  export KCB_REQUIRE_PEERS=1
fi
cargo fmt --all -- --check || { echo "run 'cargo fmt --all'" >&2; exit 1; }
# The workspace's lints ([workspace.lints] in Cargo.toml) and clippy's, every warning an error.
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets "$@"
