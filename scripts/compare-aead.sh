#!/usr/bin/env bash
# The envelope path's AEADs against OpenSSL on this machine: criterion's `aead/<size>` group
# (`cargo bench --bench envelope`; seal and open per backend and suite, a key schedule per record
# as the path makes one) beside `openssl speed -evp <cipher> -aead -bytes <size>` (init, AAD and
# tag per operation). Prints each throughput in GB/s and its ratio to OpenSSL's.
#
#   scripts/compare-aead.sh            # 2 s of measurement per benchmark, about 4 minutes
#   COMPARE_SECS=5 scripts/compare-aead.sh
#
# Needs cargo, python3 and openssl. Prints only; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${COMPARE_SECS:-2}
for tool in cargo python3 openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compare-aead.sh needs $tool" >&2; exit 1; }
done
sizes="64 1024 16384 65536 1048576"
out=target/compare
mkdir -p "$out"
echo "criterion: cargo bench --bench envelope -- aead/ (${secs} s per benchmark)" >&2
cargo bench --bench envelope -- 'aead/|esdk-parts' --warm-up-time 1 --measurement-time "$secs" >"$out/criterion.log" 2>&1 \
  || { tail -20 "$out/criterion.log" >&2; exit 1; }
: >"$out/openssl.txt"
for cipher in aes-256-gcm chacha20-poly1305; do
  for size in $sizes; do
    rate=$(openssl speed -evp "$cipher" -aead -bytes "$size" -seconds 1 -mr 2>/dev/null \
      | awk -F: '/^\+F:/ {print $4}' | tail -1)
    echo "$cipher $size ${rate:-0}" >>"$out/openssl.txt"
  done
done
python3 - "$out/openssl.txt" $sizes <<'EOF'
import json, sys
ossl = {}
for line in open(sys.argv[1]):
    cipher, size, rate = line.split()
    ossl[(cipher, int(size))] = float(rate) / 1e9
sizes = [int(s) for s in sys.argv[2:]]
print(f"{'size':>8}  {'suite':<18} {'backend':<10} {'seal GB/s':>9} {'open GB/s':>9} {'OpenSSL':>8} {'seal/OpenSSL':>12} {'open/OpenSSL':>12}")
for size in sizes:
    for suite in ["aes-256-gcm", "chacha20-poly1305"]:
        for backend in ["aws-lc-rs", "rustcrypto"]:
            gbs = []
            for op in ["seal", "open"]:
                path = f"target/criterion/aead_{size}B/{op}/{suite}_{backend}/new/estimates.json"
                ns = json.load(open(path))["median"]["point_estimate"]
                gbs.append(size / ns)
            ref = ossl.get((suite, size), 0.0)
            ratio = lambda g: f"{g / ref:.2f}x" if ref > 0 else "n/a"
            print(f"{size:>8}  {suite:<18} {backend:<10} {gbs[0]:>9.2f} {gbs[1]:>9.2f} {ref:>8.2f} {ratio(gbs[0]):>12} {ratio(gbs[1]):>12}")
EOF
p384=$(openssl speed -seconds 1 -mr ecdsap384 2>/dev/null | awk -F: '/^\+F4:/ {print $4, $5}' | tail -1)
# shellcheck disable=SC2086
python3 - $p384 <<'EOF'
import json, sys
sign_s, verify_s = (float(x) for x in sys.argv[1:3]) if len(sys.argv) > 2 else (0.0, 0.0)
def ns(name):
    return json.load(open(f"target/criterion/esdk-parts/{name}/new/estimates.json"))["median"]["point_estimate"]
print()
print(f"{'ECDSA P-384':<14} {'aws-lc-rs':>12} {'OpenSSL':>12} {'ratio':>8}")
for op, ref in [("sign", sign_s), ("verify", verify_s)]:
    mine = 1e9 / ns(f"p384_{op}")
    ratio = f"{mine / ref:.2f}x" if ref > 0 else "n/a"
    print(f"{op + '/s':<14} {mine:>12,.0f} {ref:>12,.0f} {ratio:>8}")
print(f"{'keypair':<14} {ns('p384_keypair') / 1000:>10.1f} µs")
for suite in ["0578", "0378", "0178"]:
    print(f"{'hkdf ' + suite:<14} {ns(f'hkdf/{suite}') / 1000:>10.2f} µs a message")
EOF
