#!/usr/bin/env bash
# Builds everything the GPU check needs into one git-ignored folder, gpu-bundle/,
# because the GPU machines have CUDA, CuPy and PyTorch but no Rust toolchain:
# the test binaries (cargo test --no-run), the example binaries, and the
# scripts that run them. Send the folder along and run gpu-bundle/gpu-check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out=gpu-bundle
rm -rf "$out" && mkdir -p "$out/tests" "$out/bin"
# Test executables, one per test target, named after the target.
cargo test --workspace --release --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, sys, shutil, os
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        t = m["target"]
        name = t["name"] + "-" + t["kind"][0]
        shutil.copy2(m["executable"], os.path.join(sys.argv[1], name))
' "$out/tests"
cargo build --release -p kusari-array --example seed_benchmark --example elementwise_kernel
cargo build --release -p kusari --example train_mnist --example train_mnist_cnn
for b in seed_benchmark elementwise_kernel train_mnist train_mnist_cnn; do cp "target/release/examples/$b" "$out/bin/"; done
cp scripts/gpu-check.sh scripts/seed_benchmark_cupy.py "$out/"
echo "gpu bundle: $(ls "$out/tests" | wc -l) test binaries, $(ls "$out/bin" | wc -l) programs in $out/"
