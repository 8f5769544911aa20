#!/usr/bin/env bash
# The embedded service against its peers, and the envelope path's AEADs against OpenSSL.
#
# Installs moto[server] (Python, target/peers/venv) and kinesalite (npm, target/peers/npm),
# starts each on loopback beside `kinesis-crypto-bench serve --shard-limits off`, and runs the
# same bounded loops through the harness's SDK client (`kinesis-crypto-bench calls`) against
# each of them and against the embedded service in process:
#   - sequential PutRecord, 256 B, one call after another;
#   - PutRecords of 500 x 1 KiB, 8 shards, 2 callers;
#   - the same two with server-side encryption (the embedded service only: kinesalite has no
#     KMS).
# Prints calls/s, records/s, p50 and p99 for each, and the ratios of `serve` to kinesalite and
# moto and of in process to `serve`. Then runs scripts/compare-aead.sh (criterion's aead/ group
# beside `openssl speed -evp`), unless COMPARE_AEAD=0.
#
#   scripts/compare.sh                 # about 2 minutes, plus about 4 for the AEADs
#   COMPARE_CALLS=5000 COMPARE_AEAD=0 scripts/compare.sh
#
# Needs cargo, python3 (with venv), node and npm. Prints only; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in cargo python3 node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compare.sh needs $tool" >&2; exit 1; }
done
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh
# shellcheck source=scripts/lib/peers.sh
. scripts/lib/peers.sh
kcb_python_peers || { echo "compare.sh: moto could not be installed" >&2; exit 1; }
kcb_npm_peers || { echo "compare.sh: kinesalite could not be installed" >&2; exit 1; }
calls=${COMPARE_CALLS:-3000}
batches=${COMPARE_BATCHES:-100}
out=target/compare
mkdir -p "$out"
: >"$out/calls.jsonl"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_port PORT NAME LOG: until something listens on 127.0.0.1:PORT (at most 30 s).
wait_port() {
  for _ in $(seq 1 300); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$2 did not start on 127.0.0.1:$1; its output:" >&2
  tail -5 "$3" >&2
  exit 1
}

serve_port=$(free_port)
"$KCB_BIN" serve --port "$serve_port" --shard-limits off >"$out/serve.log" 2>&1 &
pids+=($!)
moto_port=$(free_port)
target/peers/venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$out/moto.log" 2>&1 &
pids+=($!)
kinesalite_port=$(free_port)
node scripts/peers/kinesalite.js target/peers/npm "$kinesalite_port" >"$out/kinesalite.log" 2>&1 &
pids+=($!)
wait_port "$serve_port" serve "$out/serve.log"
wait_port "$moto_port" moto "$out/moto.log"
wait_port "$kinesalite_port" kinesalite "$out/kinesalite.log"

# loop NAME [--endpoint-url URL] [flags...]: one `calls` loop, its JSON line kept with NAME.
loop() {
  local name=$1
  shift
  local line
  if ! line=$("$KCB_BIN" calls --format json --max-time 30s "$@" 2>"$out/calls.err"); then
    echo "calls against $name failed: $(tail -1 "$out/calls.err")" >&2
  fi
  [ -n "$line" ] && printf '{"name":"%s","result":%s}\n' "$name" "$line" >>"$out/calls.jsonl"
  return 0
}
seq_flags=(--op put-record --size 256 --calls "$calls" --warmup 200)
batch_flags=(--op put-records --size 1024 --batch 500 --shards 8 --concurrency 2 --calls "$batches" --warmup 4)
echo "loops: PutRecord x $calls, PutRecords 500 x 1 KiB x $batches, against each target" >&2
for sse in "" --sse; do
  loop "in process" "${seq_flags[@]}" $sse
  loop "in process" "${batch_flags[@]}" $sse
  loop serve --endpoint-url "http://127.0.0.1:$serve_port" "${seq_flags[@]}" $sse
  loop serve --endpoint-url "http://127.0.0.1:$serve_port" "${batch_flags[@]}" $sse
done
loop kinesalite --endpoint-url "http://127.0.0.1:$kinesalite_port" "${seq_flags[@]}"
loop kinesalite --endpoint-url "http://127.0.0.1:$kinesalite_port" "${batch_flags[@]}"
loop moto --endpoint-url "http://127.0.0.1:$moto_port" "${seq_flags[@]}"
loop moto --endpoint-url "http://127.0.0.1:$moto_port" "${batch_flags[@]}"
cleanup
pids=()

python3 - "$out/calls.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"{'target':<11} {'call':<22} {'sse':<4} {'calls':>6} {'calls/s':>9} {'records/s':>10} {'p50 µs':>8} {'p99 µs':>8}")
rate = {}
for row in rows:
    r = row["result"]
    call = f"{'PutRecord' if r['op'] == 'put-record' else 'PutRecords'} {r['batch']}x{r['size']} B"
    sse = "yes" if r["sse"] else "no"
    rate[(row["name"], r["op"], r["sse"])] = r["records_per_sec"]
    note = f"  ({r['failed']} failed: {r['first_error']})" if r["failed"] else ""
    print(f"{row['name']:<11} {call:<22} {sse:<4} {r['calls']:>6} {r['calls_per_sec']:>9.0f} {r['records_per_sec']:>10.0f} {r['p50_us']:>8} {r['p99_us']:>8}{note}")
print()
print("ratios of records/s (same call, same size):")
for op in ["put-record", "put-records"]:
    s = rate.get(("serve", op, False))
    for peer in ["kinesalite", "moto"]:
        p = rate.get((peer, op, False))
        if s and p:
            print(f"  {op:<12} serve / {peer:<10} {s / p:6.2f}x")
    i = rate.get(("in process", op, False))
    if s and i:
        print(f"  {op:<12} in process / serve    {i / s:6.2f}x")
    e = rate.get(("in process", op, True))
    if i and e:
        print(f"  {op:<12} in process SSE / plain {e / i:6.2f}x")
EOF

if [ "${COMPARE_AEAD:-1}" != 0 ]; then
  echo >&2
  scripts/compare-aead.sh
fi
