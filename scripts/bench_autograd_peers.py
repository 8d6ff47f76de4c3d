"""Per-operation autograd overhead on tiny arrays in Chainer and PyTorch, the
same workload as crates/kusari/examples/bench_autograd.rs: a chain of `n`
operations alternating `x * 1.0001` and `x + x0` on shape (1,) float32, then
backward. Prints one JSON line per framework with microseconds per operation
(forward with graph recording plus its share of backward), best of 5 runs
after a warm-up. A framework that cannot be imported gets a line with
"missing" instead.

Run in the environment of scripts/setup_peers_venv.sh:
    .venv-peers/bin/python scripts/bench_autograd_peers.py [n]
"""

import json
import sys
import time

MUL = 1.0001
RUNS = 5


def expected_grad(n):
    """d x_n / d x0 for the chain, by forward-mode recurrence in float64."""
    d = 1.0
    for i in range(n):
        d = d * MUL if i % 2 == 0 else d + 1.0
    return d


def best_of(chain, n):
    chain(n)  # warm-up
    return min(chain(n) for _ in range(RUNS))


def check(name, grad, n):
    want = expected_grad(n)
    if abs(grad - want) > 1e-5 * abs(want):
        raise SystemExit(f"{name}: gradient {grad} after {n} ops, expected {want}")


def bench_chainer(n):
    import chainer
    import numpy as np

    def chain(n):
        x0 = chainer.Variable(np.ones(1, np.float32))
        t = time.perf_counter()
        x = x0
        for i in range(n):
            x = x * MUL if i % 2 == 0 else x + x0
        x.backward()  # a size-1 output gets a gradient of ones
        us = (time.perf_counter() - t) * 1e6 / n
        assert x0.grad is not None
        del x
        return us

    def grad(n):
        x0 = chainer.Variable(np.ones(1, np.float32))
        x = x0
        for i in range(n):
            x = x * MUL if i % 2 == 0 else x + x0
        x.backward()
        return float(x0.grad[0])

    check("chainer", grad(7), 7)
    return {"framework": "chainer", "version": chainer.__version__,
            "numpy": np.__version__, "ops": n, "us_per_op": round(best_of(chain, n), 3)}


def bench_pytorch(n):
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass

    def chain(n):
        x0 = torch.ones(1, dtype=torch.float32, requires_grad=True)
        seed = torch.ones(1, dtype=torch.float32)  # made outside the timed chain
        t = time.perf_counter()
        x = x0
        for i in range(n):
            x = x * MUL if i % 2 == 0 else x + x0
        x.backward(seed)
        us = (time.perf_counter() - t) * 1e6 / n
        assert x0.grad is not None
        del x
        return us

    def grad(n):
        x0 = torch.ones(1, dtype=torch.float32, requires_grad=True)
        x = x0
        for i in range(n):
            x = x * MUL if i % 2 == 0 else x + x0
        x.backward(torch.ones(1))
        return float(x0.grad[0])

    check("pytorch", grad(7), 7)
    return {"framework": "pytorch", "version": torch.__version__,
            "threads": torch.get_num_threads(), "ops": n,
            "us_per_op": round(best_of(chain, n), 3)}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for name, bench in (("chainer", bench_chainer), ("pytorch", bench_pytorch)):
        try:
            line = bench(n)
        except ImportError as e:
            line = {"framework": name, "missing": str(e)}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
