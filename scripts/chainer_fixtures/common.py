"""Shared helpers of the Chainer 7.8.1 fixture generators in this folder.

Run the generators in the environment that scripts/setup_peers_venv.sh
creates (Chainer 7.8.1 on NumPy 1.x; `--no-torch` is enough for fixtures):

    bash scripts/setup_peers_venv.sh --no-torch
    .venv-peers/bin/python scripts/chainer_fixtures/gen_<area>.py

Each generator writes crates/kusari/tests/fixtures/chainer/<area>.json, a map
from case name to {"inputs": [array], "kwargs": {...}, "outputs": [array],
"grad_outputs": [array], "grads": [array or null]}. An array is
{"dtype": name, "shape": [...], "data": [C-order values]}; floats JSON cannot
hold are the strings "nan", "inf", "-inf". Output is deterministic (seeded
inputs, sorted keys) and the files are committed, so `cargo test` needs no
Python.
"""

import json
import math
import os

import chainer
import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "crates", "kusari", "tests", "fixtures", "chainer")

assert chainer.__version__ == "7.8.1", chainer.__version__


def _float(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    # repr round-trips exactly; keep float32 values short but exact.
    return v


def encode(a):
    """An array (or None) as JSON."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.kind == "f":
        data = [_float(v) for v in a.ravel().tolist()]
    elif a.dtype.kind == "b":
        data = [bool(v) for v in a.ravel().tolist()]
    else:
        data = [int(v) for v in a.ravel().tolist()]
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": data}


def rng(seed):
    return np.random.RandomState(seed)


def case(func, inputs, grad_outputs=None, seed=0, **kwargs):
    """Runs `func(*inputs, **kwargs)` in Chainer, backpropagates
    `grad_outputs` (random normal ones by default) and records everything.
    Integer inputs (labels, indices) get no gradient (null)."""
    xs = [chainer.Variable(np.array(x)) for x in inputs]
    ys = func(*xs, **kwargs)
    if not isinstance(ys, (tuple, list)):
        ys = (ys,)
    r = rng(seed + 1000)
    if grad_outputs is None:
        grad_outputs = [r.standard_normal(y.shape).astype(y.dtype) if y.dtype.kind == "f" else None for y in ys]
    float_ys = [(y, g) for y, g in zip(ys, grad_outputs) if g is not None]
    for x in xs:
        x.cleargrad()
    if float_ys:
        chainer.backward([y for y, _ in float_ys], [chainer.Variable(g) for _, g in float_ys])
    return {
        "inputs": [encode(x) for x in inputs],
        "kwargs": {k: (encode(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()},
        "outputs": [encode(y.array) for y in ys],
        "grad_outputs": [encode(g) for g in grad_outputs],
        "grads": [encode(x.grad) if x.dtype.kind == "f" else None for x in xs],
    }


def write(area, cases):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, f"{area}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(cases, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"{len(cases)} cases -> {os.path.relpath(path, ROOT)}")
