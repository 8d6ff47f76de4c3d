#!/usr/bin/env bash
# Training throughput of the example models (MLP, LeNet-style CNN, LSTM
# language model) in kusari, Chainer 7.8.1 and PyTorch (CPU, 2 threads),
# measured in one run on the same sizes; prints samples (tokens) per second
# and the ratios kusari / peer (> 1: kusari faster).
# Usage: scripts/bench_train.sh [iters] [runs] [rounds]   (defaults 20, 5, 3)
# Each round runs kusari, then the peers (the median of `runs` each); the
# table keeps each framework's best round. Rounds alternate because this
# shared machine's speed drifts by up to 2x over minutes: one kusari pass
# followed by one peer pass measured the drift as much as the frameworks.
set -euo pipefail
cd "$(dirname "$0")/.."
iters="${1:-20}"
runs="${2:-5}"
rounds="${3:-3}"
bash scripts/setup_peers_venv.sh >/dev/null
cargo build --release -q -p kusari --example bench_train
target_dir="${CARGO_TARGET_DIR:-target}"
rs_out=""
py_out=""
for _ in $(seq "$rounds"); do
  rs_out+=$("$target_dir/release/examples/bench_train" "$iters" "$runs")$'\n'
  py_out+=$(.venv-peers/bin/python scripts/bench_train_peers.py "$iters" "$runs")$'\n'
done
.venv-peers/bin/python - "$rs_out" "$py_out" <<'PY'
import json, sys
lines = [json.loads(l) for arg in sys.argv[1:] for l in arg.splitlines() if l.strip()]
best = {}
for d in lines:
    if "missing" in d:
        continue
    key = (d["framework"], d["model"])
    if key not in best or d["per_s"] > best[key]["per_s"]:
        best[key] = d
rows = list(best.values())
ks = {d["model"]: d for d in rows if d["framework"] == "kusari"}
print("training throughput (best round, each the median of runs), ratio = kusari / peer (> 1: kusari faster)")
print()
print("| model | framework | per second | kusari / it |")
print("|---|---|---:|---:|")
for d in rows:
    # "lstm (fused)" against kusari's fused model, "lstm (cell)" against the stepped one.
    base = ks.get(d["model"]) or ks.get(d["model"].split(" ")[0])
    ratio = f"{base['per_s'] / d['per_s']:.2f}x" if base and d["framework"] != "kusari" else ""
    print(f"| {d['model']} | {d['framework']} | {d['per_s']:.0f} {d['unit']} | {ratio} |")
for m in {d["missing"]: d for d in lines if "missing" in d}.values():
    print(f"{m['framework']} missing: {m['missing']}")
PY
