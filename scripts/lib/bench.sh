# Shared by the benchmark scripts: the harness binary and one quiet run.
# shellcheck shell=bash
if [ -z "${KCB_BIN:-}" ]; then
  cargo build --release -q
  KCB_BIN=target/release/kinesis-crypto-bench
fi

# kcb_run SCENARIO OUT_DIR: run a scenario, keep its console output in OUT_DIR/console.txt.
# A run whose expectations fail (exit 1) still counts; one that could not run stops the script.
kcb_run() {
  local code=0
  mkdir -p "$2"
  "$KCB_BIN" run "$1" --out "$2" > "$2/console.txt" 2>&1 || code=$?
  if [ "$code" -gt 1 ]; then
    echo "run of $1 failed (exit $code); see $2/console.txt" >&2
    tail -5 "$2/console.txt" >&2
    exit "$code"
  fi
}
