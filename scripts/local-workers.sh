#!/usr/bin/env bash
# Run a scenario as N workers on this machine, the way an Indexed Job runs them on N pods, then
# merge their results: the way to try a run split across machines without a cluster.
#
#   scripts/local-workers.sh N SCENARIO [OUT]
#
# Starts `kinesis-crypto-bench serve` on a loopback port (or uses KCB_ENDPOINT_URL, a shared
# endpoint the workers all reach), gives worker I the environment the Job gives pod I-1
# (JOB_COMPLETION_INDEX=I-1, KCB_WORKERS=N, KCB_START_AT a few seconds ahead), waits for all of
# them, merges their result directories into OUT/merged and removes the run's streams and keys.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 N SCENARIO [OUT]" >&2
  exit 2
fi
n=$1
scenario=$2
out=${3:-reports/workers/$(date -u +%Y%m%dT%H%M%SZ)}
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: N must be a positive number of workers, got '$n'" >&2
  exit 2
fi
bin=${KCB_BIN:-target/release/kinesis-crypto-bench}
if [[ ! -x $bin ]]; then
  cargo build --release --quiet
fi
mkdir -p "$out"
endpoint=${KCB_ENDPOINT_URL:-}
serve_pid=
if [[ -z $endpoint ]]; then
  port=${KCB_PORT:-4599}
  "$bin" serve --port "$port" >"$out/serve.log" 2>&1 &
  serve_pid=$!
  trap '[[ -n $serve_pid ]] && kill $serve_pid 2>/dev/null || true' EXIT
  endpoint=http://127.0.0.1:$port
  for _ in $(seq 1 50); do
    grep -q listening "$out/serve.log" 2>/dev/null && break
    sleep 0.1
  done
fi
start_at=${KCB_START_AT:-$(date -u -d "+${KCB_START_IN:-5} seconds" +%Y-%m-%dT%H:%M:%SZ)}
echo "$n workers of $scenario against $endpoint, starting at $start_at"
pids=()
for i in $(seq 1 "$n"); do
  JOB_COMPLETION_INDEX=$((i - 1)) KCB_WORKERS=$n KCB_START_AT=$start_at \
    "$bin" run "$scenario" --endpoint-url "$endpoint" --no-progress --out "$out/worker-$i" \
    >"$out/worker-$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in $(seq 1 "$n"); do
  if ! wait "${pids[$((i - 1))]}"; then
    code=$?
    # 1: an expectation failed on that worker's share, which the merge evaluates on the whole.
    if [[ $code -ne 1 ]]; then
      echo "worker $i/$n failed (exit $code): see $out/worker-$i.log" >&2
      failed=1
    fi
  fi
done
if [[ $failed -ne 0 ]]; then
  exit 3
fi
dirs=()
for i in $(seq 1 "$n"); do dirs+=("$out/worker-$i"); done
set +e
"$bin" merge "${dirs[@]}" --out "$out/merged"
merged=$?
set -e
"$bin" cleanup --result "$out/worker-1" --endpoint-url "$endpoint" --region us-east-1 >/dev/null || true
exit $merged
