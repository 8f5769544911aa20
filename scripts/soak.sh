#!/usr/bin/env bash
# Whether a long run's memory stays flat: scenarios/long/soak.toml (2,000 records/s of 1 KiB on each
# of three paths, PutRecords, the embedded service, the real clock) for 10 minutes, sampling the
# process's resident set (VmRSS) every second; prints it at minutes 2 and 10, the peak, and the
# growth from minute 2 to minute 10, beside the targets of docs/performance.md (peak <= 300 MiB,
# growth <= 1.2x).
#
#   scripts/soak.sh [--minutes N]     (default 10; N >= 3)
#
# Uses the release build (built first), or $KCB_BIN. Results go to target/soak/.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:?--minutes needs a number}"; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$minutes" -lt 3 ]; then
  echo "soak.sh: --minutes must be at least 3 (the growth is measured from minute 2)" >&2
  exit 2
fi
. scripts/lib/bench.sh
out=target/soak
rm -rf "$out" && mkdir -p "$out"
scenario="$out/soak.toml"
# The shipped scenario, its duration set to the minutes asked for (the warm-up stays 5 s).
sed "s/^duration = .*/duration = \"${minutes}m\"/" scenarios/long/soak.toml >"$scenario"
"$KCB_BIN" run "$scenario" --out "$out/run" --no-progress >"$out/table.txt" 2>"$out/stderr.txt" &
pid=$!
: >"$out/rss.tsv"
t=0
limit=$((minutes * 60 + 120))
while kill -0 "$pid" 2>/dev/null && [ "$t" -lt "$limit" ]; do
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && printf '%s\t%s\n' "$t" "$rss" >>"$out/rss.tsv"
  sleep 1
  t=$((t + 1))
done
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  echo "soak.sh: the run did not finish within $limit s" >&2
  exit 1
fi
wait "$pid" || { echo "soak.sh: the run failed; see $out/stderr.txt" >&2; exit 1; }
awk -F'\t' -v m="$minutes" '
  { rss[$1] = $2; if ($2 > peak) peak = $2 }
  END {
    at2 = rss[120]; atm = rss[m * 60 - 5];
    printf "resident set: minute 2 %.0f MiB, minute %d %.0f MiB, peak %.0f MiB\n", at2 / 1024, m, atm / 1024, peak / 1024;
    printf "growth minute 2 -> %d: %.2fx (target <= 1.2x); peak %s 300 MiB (target <= 300 MiB)\n", m, atm / at2, (peak / 1024 <= 300 ? "<=" : ">");
  }' "$out/rss.tsv"
grep -E '^(plaintext|envelope|sse-kms) ' "$out/table.txt" | tail -3
