#!/usr/bin/env bash
# The gate's false alarms and power on the real clock, on this machine: runs the quickstart
# (200 records/s of 1 KiB a path, 2 s warm-up + 10 s, embedded service) in pairs and gates the
# second run of each pair against the first with the default thresholds (p50 +50 µs, p99
# +250 µs):
#
#   1. identical pairs (default 10): none may fail;
#   2. pairs whose second run adds 100 µs to every envelope PutRecord (default 5): the envelope
#      p50 overhead must fail in at least 4 of 5;
#   3. pairs whose second run adds a 500 µs delay to every envelope PutRecord (default 5), a
#      rise of 250 µs beyond the p99 threshold: the envelope p99 overhead must fail in at least
#      4 of 5.
#
#   scripts/gate-power.sh [--pairs N] [--injected M]
#
# About 15 s a run, so the defaults take about 8 minutes. Uses the release build (built first),
# or $KCB_BIN. Results go to target/gate-power/.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=10 injected=5
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="${2:?--pairs needs a number}"; shift 2 ;;
    --injected) injected="${2:?--injected needs a number}"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "gate-power.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
. scripts/lib/bench.sh
out=target/gate-power
rm -rf "$out" && mkdir -p "$out"

# The quickstart with a latency fault on the envelope path's PutRecord, from the start.
slowed() {
  { cat scenarios/quickstart.toml
    cat <<TOML

[[faults]]
kind = "latency"
name = "injected-$1"
service = "kinesis"
operations = ["PutRecord"]
delay = "$1"
paths = ["envelope"]
at = "0s"
TOML
  } > "$out/quickstart-slowed-$1.toml"
  echo "$out/quickstart-slowed-$1.toml"
}

# gate BASE CUR LABEL: the gate's console output into LABEL.txt, its exit code echoed.
gate() {
  local code=0
  "$KCB_BIN" gate "$2/result.json" --baseline "$1/result.json" > "$out/$3.txt" 2>&1 || code=$?
  if [ "$code" -gt 1 ]; then
    echo "gate $3 could not compare (exit $code); see $out/$3.txt" >&2
    exit "$code"
  fi
  echo "$code"
}

false_alarms=0
for i in $(seq 1 "$pairs"); do
  echo "identical pair $i of $pairs" >&2
  kcb_run scenarios/quickstart.toml "$out/a-$i"
  kcb_run scenarios/quickstart.toml "$out/b-$i"
  [ "$(gate "$out/a-$i" "$out/b-$i" "identical-$i")" = 0 ] || false_alarms=$((false_alarms + 1))
done
p50_scenario=$(slowed 100us)
p99_scenario=$(slowed 500us)
for i in $(seq 1 "$injected"); do
  echo "injected pair $i of $injected" >&2
  base="$out/a-$(( (i - 1) % pairs + 1 ))"
  kcb_run "$p50_scenario" "$out/p50-$i"
  gate "$base" "$out/p50-$i" "p50-$i" > /dev/null
  kcb_run "$p99_scenario" "$out/p99-$i"
  gate "$base" "$out/p99-$i" "p99-$i" > /dev/null
done

python3 - "$out" "$pairs" "$injected" "$false_alarms" <<'PY'
import json, re, sys
out, pairs, injected, false_alarms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def regressed(label, metric):
    text = open(f"{out}/{label}.txt").read()
    return any(re.match(rf"\s*overhead {metric}\s+envelope\s.*REGRESSED", l) for l in text.splitlines())
def change(label, metric):
    for l in open(f"{out}/{label}.txt").read().splitlines():
        m = re.match(rf"\s*overhead {metric}\s+envelope\s.*?([-+]?[\d,]+ µs)\s+(\[[^\]]*\])", l)
        if m:
            return f"{m.group(1)} {m.group(2)}"
    return "?"
p50 = sum(regressed(f"p50-{i}", "p50") for i in range(1, injected + 1))
p99 = sum(regressed(f"p99-{i}", "p99") for i in range(1, injected + 1))
need = -(-4 * injected // 5)
print(f"\ngate on the real clock, quickstart pairs ({out}/*.txt)\n")
print(f"identical pairs that failed:            {false_alarms} of {pairs}   (target 0)   {'met' if false_alarms == 0 else 'NOT MET'}")
print(f"+100 µs envelope PutRecord, p50 failed: {p50} of {injected}   (target >= {need})   {'met' if p50 >= need else 'NOT MET'}")
print(f"+500 µs envelope PutRecord, p99 failed: {p99} of {injected}   (target >= {need})   {'met' if p99 >= need else 'NOT MET'}")
print("\nenvelope p99 change, identical pairs (change, 95 % interval):")
for i in range(1, pairs + 1):
    print(f"  pair {i}: {change(f'identical-{i}', 'p99')}")
print("envelope p99 change, +500 µs pairs:")
for i in range(1, injected + 1):
    print(f"  pair {i}: {change(f'p99-{i}', 'p99')}")
PY
