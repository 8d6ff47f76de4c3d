#!/usr/bin/env bash
# Forward + backward of the LeNet/MLP building blocks (convolution_2d,
# max_pooling_2d, linear, the lstm cell and softmax_cross_entropy)
# in kusari, Chainer 7.8.1 and PyTorch (CPU, 2 threads) in one go; prints
# milliseconds per step and the ratio framework / kusari (> 1: kusari faster).
# Usage: scripts/bench_functions.sh [runs] [rounds]   (defaults 10 and 3)
# Each round runs kusari, then the peers (best of `runs` each); the table
# keeps each framework's best round, as scripts/bench_train.sh does and for
# the same reason (this machine's speed drifts over minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
rounds="${2:-3}"
bash scripts/setup_peers_venv.sh >/dev/null
cargo build --release -q -p kusari --example bench_functions
target_dir="${CARGO_TARGET_DIR:-target}"
rs_out=""
py_out=""
for _ in $(seq "$rounds"); do
  rs_out+=$("$target_dir/release/examples/bench_functions" "$runs")$'\n'
  py_out+=$(.venv-peers/bin/python scripts/bench_functions_peers.py "$runs")$'\n'
done
.venv-peers/bin/python - "$rs_out" "$py_out" <<'PY'
import json, sys
lines = [json.loads(l) for arg in sys.argv[1:] for l in arg.splitlines() if l.strip()]
missing = list({d["missing"]: d for d in lines if "missing" in d}.values())
best = {}
for d in lines:
    if "missing" in d:
        continue
    key = (d["framework"], d["case"])
    if key not in best or d["ms"] < best[key]["ms"]:
        best[key] = d
rows = list(best.values())
ks = {d["case"]: d["ms"] for d in rows if d["framework"] == "kusari"}
ch = {d["case"]: d["ms"] for d in rows if d["framework"] == "chainer"}
pt = {d["case"]: d["ms"] for d in rows if d["framework"] == "pytorch"}
cases = list(dict.fromkeys([d["case"] for d in rows]))
print("forward + backward, float32, best of runs and rounds; ratio = framework ms / kusari ms (> 1: kusari faster)")
print()
print("| case | kusari ms | Chainer ms | ratio | PyTorch (2 threads) ms | ratio |")
print("|---|---:|---:|---:|---:|---:|")
def cell(d, c):
    return f"{d[c]:.3f}" if c in d else "-"
def ratio(d, c):
    return f"{d[c] / ks[c]:.2f}x" if c in d and c in ks else "-"
for c in cases:
    if c == "linear gemm floor":
        continue
    print(f"| {c} | {cell(ks, c)} | {cell(ch, c)} | {ratio(ch, c)} | {cell(pt, c)} | {ratio(pt, c)} |")
if "linear gemm floor" in ks:
    lin = ks["linear 100x784->1000"]
    floor = ks["linear gemm floor"]
    print(f"\nlinear vs its three bare gemms: {lin:.3f} ms / {floor:.3f} ms = {lin / floor:.2f}")
for c in cases:
    if c not in ks and c != "linear gemm floor":
        print(f"TODO: kusari has no {c.split()[0]} yet (another helper's function); only the peers are measured")
for m in missing:
    print(f"{m['framework']} missing: {m['missing']}")
PY
