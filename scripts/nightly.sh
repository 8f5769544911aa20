#!/usr/bin/env bash
# The nightly benchmark.
#
#   scripts/nightly.sh [--endpoint-url URL] [--region R] [--date YYYY-MM-DD]
#
# 1. runs scenarios/nightly.toml into reports/nightly/<date>/nightly/, and every scenario in
#    scenarios/faults/ into reports/nightly/<date>/faults/<name>/ (a fault scenario that fails to
#    run is skipped; every exit code is recorded in reports/nightly/<date>/exit-codes.txt);
# 2. appends the night (date, harness version, per path overhead p50/p99 and KMS calls per
#    window) to reports/nightly/history.jsonl;
# 3. writes reports/nightly/<date>/index.html and summary.md: tonight's results, the last seven
#    nights' nightly results (reports/nightly/*/nightly/result.json) compared, and the trend
#    across every night of the history;
# 4. when reports/baselines/nightly.json exists, gates tonight's nightly result against it.
#
# --endpoint-url and --region are passed to every `run`, so the same script runs on AWS.
# The harness is the release build (built first), or $KCB_BIN when set.
#
# Exit code: 0 when the nightly run's expectations held, the report was written and the gate
# (if any) passed; otherwise the first failing step's code (run: 1 expectation failed, 2 invalid
# scenario, 3 could not run; report: 2/3; gate: its own). Fault runs never fail the night.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

endpoint="" region="" night_date="$(date -u +%Y-%m-%d)"
while [ $# -gt 0 ]; do
  case "$1" in
    --endpoint-url) endpoint="${2:?--endpoint-url needs a URL}"; shift 2 ;;
    --endpoint-url=*) endpoint="${1#*=}"; shift ;;
    --region) region="${2:?--region needs a region}"; shift 2 ;;
    --region=*) region="${1#*=}"; shift ;;
    --date) night_date="${2:?--date needs YYYY-MM-DD}"; shift 2 ;;
    --date=*) night_date="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "nightly.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$night_date" in
  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
  *) echo "nightly.sh: --date must be YYYY-MM-DD, not $night_date" >&2; exit 2 ;;
esac

if [ -n "${KCB_BIN:-}" ]; then
  bin="$KCB_BIN"
else
  cargo build --release -p kinesis-crypto-bench || { echo "nightly.sh: release build failed" >&2; exit 3; }
  bin="target/release/kinesis-crypto-bench"
fi
[ -x "$bin" ] || { echo "nightly.sh: $bin is not an executable" >&2; exit 3; }

run_args=(--no-progress)
[ -n "$endpoint" ] && run_args+=(--endpoint-url "$endpoint")
[ -n "$region" ] && run_args+=(--region "$region")

root="reports/nightly"
night="$root/$night_date"
history="$root/history.jsonl"
mkdir -p "$night"
codes="$night/exit-codes.txt"
: >"$codes"
status=0

# 1. Tonight's runs.
"$bin" run scenarios/nightly.toml --out "$night/nightly" "${run_args[@]}"
nightly_rc=$?
echo "nightly $nightly_rc" >>"$codes"
tonight="$night/nightly/result.json"
if [ ! -f "$tonight" ]; then
  echo "nightly.sh: the nightly run wrote no result (exit $nightly_rc)" >&2
  tonight=""
fi
[ "$nightly_rc" -ne 0 ] && status=$nightly_rc

fault_results=()
for scenario in scenarios/faults/*.toml; do
  [ -e "$scenario" ] || continue
  name="$(basename "$scenario" .toml)"
  "$bin" run "$scenario" --out "$night/faults/$name" "${run_args[@]}"
  rc=$?
  echo "faults/$name $rc" >>"$codes"
  if [ -f "$night/faults/$name/result.json" ]; then
    fault_results+=("$night/faults/$name/result.json")
  else
    echo "nightly.sh: skipping $scenario in the report: it wrote no result (exit $rc)" >&2
  fi
done

# 2 and 3. History and report: tonight's nightly result first (it is the night appended to
# the history), then the fault runs, then the last seven earlier nights.
earlier=()
while IFS= read -r previous; do
  earlier+=("$previous")
done < <(ls -d "$root"/*/nightly/result.json 2>/dev/null | grep -v "^$night/" | sort | tail -n 7)

inputs=()
report_args=()
if [ -n "$tonight" ]; then
  inputs+=("$tonight")
  report_args+=(--append-history "$history")
fi
inputs+=("${fault_results[@]}" "${earlier[@]}")
if [ -n "$tonight" ] || [ -f "$history" ]; then
  report_args+=(--history "$history")
fi
if [ ${#inputs[@]} -gt 0 ]; then
  "$bin" report "${inputs[@]}" --out "$night" "${report_args[@]}"
  report_rc=$?
  echo "report $report_rc" >>"$codes"
  [ "$report_rc" -ne 0 ] && [ "$status" -eq 0 ] && status=$report_rc
else
  echo "nightly.sh: no result to report on" >&2
  [ "$status" -eq 0 ] && status=3
fi

# 4. The gate against the baseline, when there is one.
baseline="reports/baselines/nightly.json"
if [ -f "$baseline" ] && [ -n "$tonight" ]; then
  "$bin" gate "$tonight" --baseline "$baseline"
  gate_rc=$?
  echo "gate $gate_rc" >>"$codes"
  [ "$gate_rc" -ne 0 ] && [ "$status" -eq 0 ] && status=$gate_rc
fi

echo "night $night_date: $(tr '\n' ' ' <"$codes")-> exit $status"
[ -f "$night/index.html" ] && echo "report: $night/index.html"
exit "$status"
