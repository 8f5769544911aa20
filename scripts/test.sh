#!/usr/bin/env bash
# Every test of the project: unit, property, integration (embedded service over the real SDK
# clients, the loopback server with SigV4) and the shipped scenarios run end to end.
# Needs only a Rust toolchain (cargo); everything else is fetched by cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install a Rust toolchain (rustup) first" >&2
  exit 1
fi
cargo fmt --all -- --check || { echo "run 'cargo fmt --all'" >&2; exit 1; }
cargo test --workspace --all-targets "$@"
