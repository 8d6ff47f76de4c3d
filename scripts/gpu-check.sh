#!/usr/bin/env bash
# The GPU check, run on a GPU machine from the folder scripts/gpu-bundle.sh
# made (those machines have CUDA, CuPy and PyTorch but no Rust toolchain).
# 1. the test binaries with KUSARI_TEST_DEVICE=cuda:0, so the device-parity
#    tests run every case on the CPU and on the GPU and compare;
# 2. seed_benchmark on cuda:0 with and without the memory pool, and the same
#    workload in CuPy, as one table;
# 3. train_mnist on cuda:0 for two epochs. Must finish within 8 minutes.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
# CUDA libraries may sit inside Python packages (pip wheels): find them.
py=$(command -v python3 || true)
if [ -n "$py" ]; then
  for d in $("$py" - <<'PY'
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
seen = set()
for r in roots:
    for p in glob.glob(os.path.join(r, "nvidia", "**", "lib"), recursive=True):
        if p not in seen:
            seen.add(p); print(p)
PY
  ); do LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"; done
  inc=$("$py" -c 'import glob,os,site; c=[p for r in site.getsitepackages() for p in glob.glob(os.path.join(r,"nvidia","**","include","cuda_fp16.h"),recursive=True)]; print(os.path.dirname(c[0]) if c else "")')
  [ -n "$inc" ] && export KUSARI_CUDA_INCLUDE="${KUSARI_CUDA_INCLUDE:-$inc}"
fi
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -d "$d" ] && LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}:$d"
done
[ -d /usr/local/cuda/include ] && export KUSARI_CUDA_INCLUDE="${KUSARI_CUDA_INCLUDE:-/usr/local/cuda/include}"
export LD_LIBRARY_PATH
export KUSARI_CACHE_DIR="${KUSARI_CACHE_DIR:-$here/kernel-cache}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

echo "== tests on cuda:0 (CPU vs GPU) =="
# The GPU tests live beside the backend (backend::cuda::gpu_tests) and run
# each case on the host and on cuda:0 and compare; KUSARI_TEST_CUDA=1 turns
# them on (they return at once without it, as on CI machines).
failed=0
run_tests() { # binary, filter
  local t="tests/$1"
  [ -x "$t" ] || { echo "missing $t"; failed=$((failed + 1)); return; }
  if KUSARI_TEST_CUDA=1 timeout 240 "$t" "$2" --test-threads 1 >"$t.log" 2>&1; then
    echo "ok    $1 $2: $(grep -E '^test result' "$t.log" | tail -1)"
  else
    failed=$((failed + 1))
    echo "FAIL  $1 $2"; grep -E 'panicked|FAILED|failures:|rror' "$t.log" | head -30
  fi
}
run_tests kusari_array-lib backend::cuda::gpu_tests
run_tests kusari-lib optimizers::kernels
run_tests kusari-lib functions::device_placement
run_tests kusari-lib functions::pooling::roi_pooling_2d


echo "== seed benchmark: a.T * 2 on 1000x1000 int64, 1000 calls (ms per call) =="
k_pool=$(./bin/seed_benchmark --device cuda:0 --calls 1000 2>&1 | tail -1)
k_nopool=$(./bin/seed_benchmark --device cuda:0 --calls 1000 --no-pool 2>&1 | tail -1)
cupy_out=$(timeout 120 "${py:-python3}" seed_benchmark_cupy.py 1000 2>&1)
echo "kusari pool:    $k_pool"
echo "kusari no pool: $k_nopool"
echo "cupy:           $(echo "$cupy_out" | tr '\n' ' ')"
./bin/elementwise_kernel --device cuda:0 || failed=$((failed + 1))

echo "== train_mnist on cuda:0, 2 epochs of the bundled sample (the CPU reaches ~0.93) =="
# The first whole training run on the device: the model, the optimizer
# (its kernels), the functions' device paths and the transfers together.
if timeout 180 ./bin/train_mnist --device cuda:0 --epoch 2 --out gpu-result --noplot >train_mnist.log 2>&1; then
  grep -E "main/loss|^ *[0-9]+ " train_mnist.log | tail -3
  tail -1 gpu-result/log >/dev/null 2>&1 && python3 -c 'import json;l=json.load(open("gpu-result/log"));print("final:", {k: round(v, 4) for k, v in l[-1].items() if "accuracy" in k or "loss" in k})' || true
else
  failed=$((failed + 1)); echo "FAIL  train_mnist --device cuda:0"; tail -20 train_mnist.log
fi
echo "== train_mnist_cnn on cuda:0, 1 epoch (convolution, pooling: im2col/col2im kernels + cuBLAS) =="
if timeout 180 ./bin/train_mnist_cnn --device cuda:0 --epoch 1 --out gpu-result-cnn --noplot >train_mnist_cnn.log 2>&1; then
  grep -E "^ *[0-9]+ " train_mnist_cnn.log | tail -2
else
  failed=$((failed + 1)); echo "FAIL  train_mnist_cnn --device cuda:0"; tail -20 train_mnist_cnn.log
fi
echo "gpu-check: $failed failing step(s)"
[ "$failed" -eq 0 ]
