#!/usr/bin/env bash
# Autograd overhead per recorded operation on tiny arrays: runs the same chain
# of n operations (alternating `x * 1.0001` and `x + x0` on shape (1,) f32,
# then backward) in kusari, Chainer and PyTorch (CPU, one thread) in one go and
# prints microseconds per operation and the ratio framework time / kusari time
# (> 1 means kusari is faster).
# Usage: scripts/bench_autograd.sh [n]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
bash scripts/setup_peers_venv.sh >/dev/null
cargo build --release -q -p kusari --example bench_autograd
target_dir="${CARGO_TARGET_DIR:-target}"
rs_out=$("$target_dir/release/examples/bench_autograd" "$n")
py_out=$(.venv-peers/bin/python scripts/bench_autograd_peers.py "$n")
rev=$(git rev-parse --short HEAD 2>/dev/null || echo -)
.venv-peers/bin/python - "$rev" "$rs_out" "$py_out" <<'PY'
import json, sys
lines = [json.loads(l) for arg in sys.argv[2:] for l in arg.splitlines() if l.strip()]
rs = next(d for d in lines if d["framework"] == "kusari")
rs.setdefault("version", f"git {sys.argv[1]}")
names = {"kusari": "kusari", "chainer": "Chainer", "pytorch": "PyTorch"}
print(f"chain of {rs['ops']} ops, forward with recording + backward, best of 5")
print()
print("| framework | version | µs/op | framework/kusari |")
print("|---|---|---:|---:|")
missing = []
for d in lines:
    name = names.get(d["framework"], d["framework"])
    if "missing" in d:
        missing.append(f"{name} missing: {d['missing']}")
        print(f"| {name} | - | - | - |")
        continue
    version = d.get("version", "-")
    if d["framework"] == "chainer":
        version += f" (NumPy {d['numpy']})"
    elif d["framework"] == "pytorch":
        version += f" ({d['threads']} thread{'s' if d['threads'] != 1 else ''})"
    ratio = d["us_per_op"] / rs["us_per_op"]
    print(f"| {name} | {version} | {d['us_per_op']:.3f} | {ratio:.1f}x |")
for m in missing:
    print(f"\n{m}")
PY
