#!/usr/bin/env bash
# Training throughput of the example models (MLP, LeNet-style CNN, LSTM
# language model) in kusari, Chainer 7.8.1 and PyTorch (CPU, 2 threads),
# measured in one run on the same sizes; prints samples (tokens) per second
# and the ratios kusari / peer (> 1: kusari faster).
# Usage: scripts/bench_train.sh [iters] [runs]   (defaults 20 and 5; medians)
set -euo pipefail
cd "$(dirname "$0")/.."
iters="${1:-20}"
runs="${2:-5}"
bash scripts/setup_peers_venv.sh >/dev/null
cargo build --release -q -p kusari --example bench_train
target_dir="${CARGO_TARGET_DIR:-target}"
rs_out=$("$target_dir/release/examples/bench_train" "$iters" "$runs")
py_out=$(.venv-peers/bin/python scripts/bench_train_peers.py "$iters" "$runs")
.venv-peers/bin/python - "$rs_out" "$py_out" <<'PY'
import json, sys
lines = [json.loads(l) for arg in sys.argv[1:] for l in arg.splitlines() if l.strip()]
rows = [d for d in lines if "missing" not in d]
ks = {d["model"]: d for d in rows if d["framework"] == "kusari"}
print("training throughput (median of runs), ratio = kusari / peer (> 1: kusari faster)")
print()
print("| model | framework | per second | kusari / it |")
print("|---|---|---:|---:|")
for d in rows:
    # "lstm (fused)" against kusari's fused model, "lstm (cell)" against the stepped one.
    base = ks.get(d["model"]) or ks.get(d["model"].split(" ")[0])
    ratio = f"{base['per_s'] / d['per_s']:.2f}x" if base and d["framework"] != "kusari" else ""
    print(f"| {d['model']} | {d['framework']} | {d['per_s']:.0f} {d['unit']} | {ratio} |")
for d in lines:
    if "missing" in d:
        print(f"{d['framework']} missing: {d['missing']}")
PY
