#!/usr/bin/env bash
# CuPy's seed benchmark in NumPy and in kusari, the same function both times:
#   def test(xp): a = xp.arange(1000000).reshape(1000, -1); return a.T * 2
# called N times (1000 by default) after a warm-up. Prints ms per call for
# NumPy, kusari with its host pool and kusari without it, and the ratios
# NumPy time / kusari time (above 1: kusari is faster).
#
#   bash scripts/seed_benchmark.sh [--calls N] [--device cpu|cuda:N]
#
# NumPy comes from the peers environment ${PEERS_VENV:-.venv-peers} (made by
# scripts/setup_peers_venv.sh, which is run only when it is missing).
# Builds with cargo's usual target dir unless CARGO_TARGET_DIR says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

calls=1000
device=cpu
while [ $# -gt 0 ]; do
    case "$1" in
        --calls) calls="${2:?--calls needs a value}"; shift 2 ;;
        --device) device="${2:?--device needs a value}"; shift 2 ;;
        *) echo "usage: $0 [--calls N] [--device cpu|cuda:N]" >&2; exit 2 ;;
    esac
done

venv="${PEERS_VENV:-.venv-peers}"
if [ ! -x "$venv/bin/python" ]; then
    if [ -n "${PEERS_VENV:-}" ]; then
        echo "PEERS_VENV=$PEERS_VENV has no bin/python" >&2
        exit 1
    fi
    bash scripts/setup_peers_venv.sh --no-torch >&2
fi

# Older OpenBLAS builds need OPENBLAS_CORETYPE on some CPUs; NumPy runs its
# fastest kernel without it, so unset both for this measurement only.
np_json=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$venv/bin/python" - "$calls" <<'PY'
import json, sys, time
import numpy as xp

def test(xp):
    a = xp.arange(1000000).reshape(1000, -1)
    return a.T * 2

calls = int(sys.argv[1])
for _ in range(10):
    test(xp)
t0 = time.perf_counter()
for _ in range(calls):
    b = test(xp)
ms = (time.perf_counter() - t0) * 1e3
assert b[999, 1] == 3998
print(json.dumps({"ms": ms, "ms_per_call": ms / calls, "numpy": xp.__version__}))
PY
)

cargo build --release -q -p kusari-array --example seed_benchmark
bin="${CARGO_TARGET_DIR:-target}/release/examples/seed_benchmark"
pool_json=$("$bin" --json --calls "$calls" --device "$device")
nopool_json=$("$bin" --json --calls "$calls" --device "$device" --no-pool)

"$venv/bin/python" - "$np_json" "$pool_json" "$nopool_json" "$calls" <<'PY'
import json, sys
np_, pool, nopool = (json.loads(a) for a in sys.argv[1:4])
print(f"seed benchmark, {sys.argv[4]} calls of arange(1e6).reshape(1000, -1).T * 2 (int64)")
print(f"| run | ms per call | NumPy/run |")
print(f"|---|---:|---:|")
print(f"| NumPy {np_['numpy']} | {np_['ms_per_call']:.4f} | 1.00x |")
for name, r in ((f"kusari on {pool['device']}, host pool on", pool), (f"kusari on {nopool['device']}, host pool off", nopool)):
    print(f"| {name} | {r['ms_per_call']:.4f} | {np_['ms_per_call'] / r['ms_per_call']:.2f}x |")
PY
