"""Forward + backward time of the LeNet/MLP building blocks in Chainer and
PyTorch (CPU, 2 threads), the same workload as
crates/kusari/examples/bench_functions.rs: float32, batch 100,
convolution_2d 1->20 on 28x28 and 20->50 on 12x12 (5x5), max_pooling_2d 2x2
on their outputs, linear 784->1000; plus lstm (batch 20, 200 units) and
softmax_cross_entropy (100x10).
Every input requires a gradient; backward starts from a fixed random output
gradient. One JSON line per (framework, case): best of `runs` after a warm-up.

    .venv-peers/bin/python scripts/bench_functions_peers.py [runs]
"""

import json
import sys
import time

import numpy as np

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def best(f):
    f()
    out = float("inf")
    for _ in range(RUNS):
        t = time.perf_counter()
        f()
        out = min(out, (time.perf_counter() - t) * 1e3)
    return out


r = np.random.RandomState(0)


def normal(*s):
    return r.standard_normal(s).astype(np.float32)


CASES = {
    "conv1 1->20 28x28": ("conv", [normal(100, 1, 28, 28), normal(20, 1, 5, 5), normal(20)], normal(100, 20, 24, 24)),
    "pool1 2x2 20x24x24": ("pool", [normal(100, 20, 24, 24)], normal(100, 20, 12, 12)),
    "conv2 20->50 12x12": ("conv", [normal(100, 20, 12, 12), normal(50, 20, 5, 5), normal(50)], normal(100, 50, 8, 8)),
    "pool2 2x2 50x8x8": ("pool", [normal(100, 50, 8, 8)], normal(100, 50, 4, 4)),
    "linear 100x784->1000": ("linear", [normal(100, 784), normal(1000, 784), normal(1000)], normal(100, 1000)),
    "lstm 20x200": ("lstm", [normal(20, 200), normal(20, 800)], None),
    "softmax_cross_entropy 100x10": ("sce", [normal(100, 10), r.randint(0, 10, 100).astype(np.int32)], None),
}


def emit(fw, case, ms, **extra):
    print(json.dumps(dict(framework=fw, case=case, ms=round(ms, 4), **extra)))


def run_chainer():
    import chainer
    import chainer.functions as F

    fns = {
        "conv": lambda v: F.convolution_2d(*v),
        "pool": lambda v: F.max_pooling_2d(v[0], 2),
        "linear": lambda v: F.linear(*v),
    }
    for case, (kind, ins, gy) in CASES.items():
        def step():
            if kind == "sce":
                F.softmax_cross_entropy(chainer.Variable(ins[0]), ins[1]).backward()
                return
            vs = [chainer.Variable(a) for a in ins]
            if kind == "lstm":
                c, h = F.lstm(vs[0], vs[1])
                (F.sum(c) + F.sum(h)).backward()
                return
            y = fns[kind](vs)
            y.grad = gy
            y.backward()
        emit("chainer", case, best(step), version=chainer.__version__)


def run_torch():
    import torch
    import torch.nn.functional as TF

    torch.set_num_threads(2)
    fns = {
        "conv": lambda v: TF.conv2d(*v),
        "pool": lambda v: TF.max_pool2d(v[0], 2, ceil_mode=True),
        "linear": lambda v: TF.linear(*v),
    }

    def lstm(v):
        # Chainer's F.lstm(c_prev, x): gates a, i, f, o interleaved per unit.
        c_prev, x = v
        a, i, f, o = x.reshape(20, 200, 4).unbind(2)
        c = a.tanh() * i.sigmoid() + f.sigmoid() * c_prev
        h = o.sigmoid() * c.tanh()
        return c, h

    for case, (kind, ins, gy) in CASES.items():
        def step():
            if kind == "sce":
                x = torch.from_numpy(ins[0]).requires_grad_()
                TF.cross_entropy(x, torch.from_numpy(ins[1]).long()).backward()
                return
            vs = [torch.from_numpy(a).requires_grad_() for a in ins]
            if kind == "lstm":
                c, h = lstm(vs)
                (c.sum() + h.sum()).backward()
                return
            fns[kind](vs).backward(torch.from_numpy(gy))
        emit("pytorch", case, best(step), version=torch.__version__, threads=torch.get_num_threads())


for name, fn in (("chainer", run_chainer), ("pytorch", run_torch)):
    try:
        fn()
    except ImportError as e:
        print(json.dumps(dict(framework=name, missing=str(e))))
