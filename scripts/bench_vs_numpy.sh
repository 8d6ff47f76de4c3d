#!/usr/bin/env bash
# Runs the same array workloads in NumPy and kusari in one go and prints the
# ratio NumPy time / kusari time (> 1 means kusari is faster).
# Usage: scripts/bench_vs_numpy.sh [workload-prefix]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_venv.sh >/dev/null
# Older OpenBLAS builds need OPENBLAS_CORETYPE on some CPUs; a current NumPy runs
# its fastest kernel without it, so unset both for this measurement only.
np_out=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python scripts/bench_numpy.py "${1:-}")
cargo build --release -q --example bench_ops
rs_out=$(target/release/examples/bench_ops "${1:-}")
.venv/bin/python - "$np_out" "$rs_out" <<'PY'
import json, sys
np_lines = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
rs = {d["name"]: d for d in (json.loads(l) for l in sys.argv[2].splitlines() if l.strip())}
meta = [d for d in np_lines if d["name"] == "_numpy"]
print(f"| workload | NumPy ms | kusari ms | NumPy/kusari |")
print(f"|---|---:|---:|---:|")
for d in np_lines:
    if d["name"].startswith("_"):
        continue
    r = rs.get(d["name"])
    if r:
        print(f"| {d['name']} | {d['ms_per_iter']:.4f} | {r['ms_per_iter']:.4f} | {d['ms_per_iter'] / r['ms_per_iter']:.2f}x |")
for name, r in rs.items():
    if not any(d["name"] == name for d in np_lines):
        print(f"| {name} | - | {r['ms_per_iter']:.4f} | - |")
if meta:
    print(f"\nNumPy {meta[0]['version']}, BLAS: {', '.join(meta[0]['blas']) or 'unknown'}")
PY
