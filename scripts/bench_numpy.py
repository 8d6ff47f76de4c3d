"""NumPy side of scripts/bench_vs_numpy.sh: the same workloads as
crates/kusari-array/examples/bench_ops.rs, one JSON line each."""
import json
import sys
import time

import numpy as np


def bench(name, iterations, f):
    for _ in range(max(2, -(-iterations // 10))):
        f()
    t0 = time.perf_counter()
    for _ in range(iterations):
        f()
    ms = (time.perf_counter() - t0) * 1e3 / iterations
    print(json.dumps({"name": name, "iterations": iterations, "ms_per_iter": round(ms, 5)}), flush=True)


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    a = np.arange(1_000_000).reshape(1000, -1)
    if "seed".startswith(only) or only.startswith("seed") or not only:
        bench("seed", 1000, lambda: a.T * 2)
    x = np.arange(1_000_000).astype(np.float32)
    y = np.ones(1_000_000, np.float32)
    if not only or only.startswith("add"):
        bench("add_f32_1m", 1000, lambda: x + y)
    m = x.reshape(1000, 1000)
    if not only or only.startswith("sum"):
        bench("sum_axis0_f32_1000x1000", 500, lambda: m.sum(axis=0))
        bench("sum_axis1_f32_1000x1000", 500, lambda: m.sum(axis=1))
        bench("sum_all_f32_1m", 500, lambda: x.sum())
    if not only or only.startswith("matmul"):
        p = np.ones((1024, 1024), np.float32)
        q = np.ones((1024, 1024), np.float32)
        bench("matmul_f32_1024", 10, lambda: p @ q)
    try:
        from threadpoolctl import threadpool_info
        blas = [i.get("internal_api") + ":" + str(i.get("architecture")) + ":threads=" + str(i.get("num_threads")) for i in threadpool_info()]
    except Exception:  # threadpoolctl is optional
        blas = []
    print(json.dumps({"name": "_numpy", "version": np.__version__, "blas": blas}), flush=True)


if __name__ == "__main__":
    main()
