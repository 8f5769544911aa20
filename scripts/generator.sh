#!/usr/bin/env bash
# The load generator's ceiling on this machine, per call shape: the `calls` loop's rate (the
# same call made back to back through the same SDK client, in process) beside the run path's
# sustained rate (the highest rate at which a run keeps its schedule: schedule lag p99 <= 1 ms
# and at least 99 % of the intended rate sent), their ratio and the CPU the run used.
# The sustained rate is bisected between none and twice the calls loop's rate in six runs (to
# about 3 % of the calls loop's rate).
#
#   scripts/generator.sh [--shape put-record|put-records|all] [--producers 1|cores|both]
#                        [--duration 5s]
#
# Call shapes: sequential PutRecord of 256 B; PutRecords of 500 records of 1 KiB. The run path
# is one plaintext path on the embedded service (64 shards, 10,000 partition keys, the real
# clock, max_in_flight = "auto", its consumer reading everything back). "cores" runs one
# producer per core. Each figure is measured beside the others, in one sitting: compare only
# figures measured together. Uses the release build (built first), or $KCB_BIN. Results go to
# target/generator/.
set -euo pipefail
cd "$(dirname "$0")/.."
shape=all
producers=both
duration=5s
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape="${2:?--shape needs put-record, put-records or all}"; shift 2 ;;
    --producers) producers="${2:?--producers needs 1, cores or both}"; shift 2 ;;
    --duration) duration="${2:?--duration needs a duration}"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "generator.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$shape" in put-record) shapes=(put-record) ;; put-records) shapes=(put-records) ;; all) shapes=(put-record put-records) ;;
  *) echo "generator.sh: --shape: put-record, put-records or all (got $shape)" >&2; exit 2 ;; esac
cores=$(nproc)
case "$producers" in 1) counts=(1) ;; cores) counts=("$cores") ;; both) counts=(1 "$cores") ;;
  *) echo "generator.sh: --producers: 1, cores or both (got $producers)" >&2; exit 2 ;; esac
. scripts/lib/bench.sh
out=target/generator
rm -rf "$out" && mkdir -p "$out"

# scenario SHAPE RATE PRODUCERS FILE
scenario() {
  local size=256 api='api = "put-record"'
  if [ "$1" = put-records ]; then
    size=1024
    api=$'api = "put-records"\n[workload.batch]\nmax_records = 500\nlinger = "50ms"'
  fi
  cat > "$4" <<TOML
name = "generator-$1-$2-$3"
duration = "$duration"
warmup = "1s"
seed = 1
clock = "real"

[stream]
shards = 64

[workload]
rate_per_sec = $2
record_size = $size
producers = $3
partition_keys = 10000
max_in_flight = "auto"
$api

[[paths]]
kind = "plaintext"

[expect]
schedule_kept = "1ms"
TOML
}

summary="$out/summary.tsv"
printf 'shape\tcalls_per_sec\trecords_per_call\tproducers\trate\tkept\tachieved\tlag_p50_us\tlag_p99_us\tcpu_cores\n' > "$summary"
for s in "${shapes[@]}"; do
  if [ "$s" = put-record ]; then flags=(--op put-record --size 256 --calls 20000); per=1; else flags=(--op put-records --size 1024 --batch 500 --calls 400 --shards 64); per=500; fi
  echo "calls loop: $s" >&2
  "$KCB_BIN" calls "${flags[@]}" --warmup 200 --max-time 30s --format json > "$out/calls-$s.json"
  calls=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["calls_per_sec"])' "$out/calls-$s.json")
  for p in "${counts[@]}"; do
    # Bisect the share of the calls loop's rate a run keeps its schedule at, between 0 and 2x.
    lo=0 hi=2000
    for step in 1 2 3 4 5 6; do
      milli=$(( (lo + hi) / 2 ))
      rate=$(python3 -c "print(max(1, min(50000, round($calls * $per * $milli / 1000))))")
      f="$out/$s-p$p-$milli.toml"
      scenario "$s" "$rate" "$p" "$f"
      echo "run path: $s, $p producer(s), $rate records/s ($milli/1000 of the calls loop)" >&2
      kcb_run "$f" "$out/$s-p$p-$milli"
      python3 - "$out/$s-p$p-$milli/result.json" "$s" "$calls" "$per" "$p" "$rate" >> "$summary" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p, g = r["paths"][0], r["generator"]
print("\t".join(str(x) for x in (sys.argv[2], round(float(sys.argv[3]), 1), sys.argv[4], sys.argv[5], sys.argv[6],
      g["kept"], round(p["generator"]["achieved_rate_per_sec"]), p["schedule_lag_us"]["p50"], p["schedule_lag_us"]["p99"],
      round(g["cpu_cores_used"] or 0, 2))))
PY
      if [ "$(tail -1 "$summary" | cut -f6)" = True ]; then lo=$milli; else hi=$milli; fi
    done
  done
done

python3 - "$summary" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print(f"\n{'shape':<12} {'producers':>9} {'calls loop':>16} {'sustained (kept)':>18} {'ratio':>6} {'lag p99':>9} {'CPU':>6}   lowest rate behind")
for shape in dict.fromkeys(r["shape"] for r in rows):
    for prod in dict.fromkeys(r["producers"] for r in rows if r["shape"] == shape):
        rs = [r for r in rows if r["shape"] == shape and r["producers"] == prod]
        per = int(rs[0]["records_per_call"])
        loop = float(rs[0]["calls_per_sec"]) * per
        kept = sorted((r for r in rs if r["kept"] == "True"), key=lambda r: int(r["rate"]))
        behind = min((r for r in rs if r["kept"] != "True"), key=lambda r: int(r["rate"]), default=None)
        b = f"{int(behind['rate']):,}/s (lag p99 {int(behind['lag_p99_us']):,} µs, CPU {behind['cpu_cores']})" if behind else "none tried"
        if kept:
            k = kept[-1]
            print(f"{shape:<12} {prod:>9} {loop:>13,.0f}/s {int(k['rate']):>15,}/s {int(k['rate'])/loop:>6.2f} {int(k['lag_p99_us']):>6,} µs {k['cpu_cores']:>6}   {b}")
        else:
            print(f"{shape:<12} {prod:>9} {loop:>13,.0f}/s {'none kept':>18} {'-':>6} {'-':>9} {'-':>6}   {b}")
print("\nrecords/s; the calls loop's rate is records/s of back-to-back calls (calls/s x records a call)")
PY
