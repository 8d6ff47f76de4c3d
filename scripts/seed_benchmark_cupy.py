"""CuPy's seed benchmark (a.T * 2 on a 1000x1000 arange, N calls), the peer
that scripts/gpu-check.sh measures kusari's `seed_benchmark --device cuda:0`
against in the same run. Prints `ms_per_call <pool|nopool> <value>` lines."""
import sys
import time

import cupy


def run(calls):
    a = cupy.arange(1000000).reshape(1000, -1)
    for _ in range(10):
        a.T * 2
    cupy.cuda.Device().synchronize()
    t = time.perf_counter()
    for _ in range(calls):
        a.T * 2
    cupy.cuda.Device().synchronize()
    return (time.perf_counter() - t) * 1e3 / calls


calls = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
print("ms_per_call pool", run(calls))
cupy.cuda.set_allocator(None)
print("ms_per_call nopool", run(calls))
