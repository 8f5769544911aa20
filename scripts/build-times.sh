#!/usr/bin/env bash
# One-line incremental rebuilds, as a developer meets them: a string in the console report, a
# serde attribute in the embedded service's Kinesis operations and a message of the drivers are
# changed, then `cargo build`
# (the binary) and `cargo test --workspace --all-targets --no-run` (every test binary) are timed;
# the file is restored and rebuilt after each. Finds the files in the crates' layout or, for an
# older checkout, the one-crate layout, and restores them with `git checkout`: commit or stash
# your own changes to those two files first. Builds once first, so target/ is warm.
# Usage: scripts/build-times.sh   (prints one line per change and command, seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
first() { for f in "$@"; do [ -f "$f" ] && { echo "$f"; return; }; done; echo "none of $*" >&2; exit 1; }
report=$(first crates/kcb-readers/src/report/table.rs harness/src/report/table.rs)
emulator=$(first crates/kcb-emulator/src/kinesis/ops.rs harness/src/emulator/kinesis/ops.rs)
drivers=$(first crates/kcb-drivers/src/driver/mod.rs harness/src/driver/mod.rs)
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
one() { # label file sed-expression
  local label=$1 file=$2 expr=$3
  for cmd in "cargo build" "cargo test --workspace --all-targets --no-run"; do
    sed -i "$expr" "$file"
    git diff --quiet -- "$file" && { echo "the change to $file did not apply" >&2; exit 1; }
    printf '%-9s %-48s %6.1f s\n' "$label" "$cmd" "$(timed $cmd)"
    git checkout -q -- "$file"
    $cmd >/dev/null 2>&1
  done
}
cargo build >/dev/null 2>&1
cargo test --workspace --all-targets --no-run >/dev/null 2>&1
one report "$report" 's/out.push_str("\\nWorkers\\n");/out.push_str("\\nWorkers:\\n");/'
one emulator "$emulator" 's/#\[serde(rename = "StreamARN")\]/#[serde(rename = "StreamARN", alias = "StreamArn")]/'
one drivers "$drivers" 's/{what} did not appear while waiting/{what} never appeared while waiting/'
