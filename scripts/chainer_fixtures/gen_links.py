"""Chainer 7.8.1 fixtures of the links (crates/kusari/tests/links.rs).

Each case builds a Chainer link, replaces every parameter (and persistent
value the case names) with seeded random values, runs forward on seeded
inputs, backpropagates a seeded output gradient and records the parameters,
inputs, outputs and the gradients of the inputs and parameters. A case may
run several steps (BatchNormalization's running averages); each step's
outputs are recorded.

    .venv-peers/bin/python scripts/chainer_fixtures/gen_links.py
"""

import chainer
import chainer.links as L
import numpy as np

from common import encode, rng, write


def randomize(link, seed, skip=()):
    r = rng(seed)
    params = {}
    for path, p in sorted(link.namedparams()):
        if p.array is None or path in skip:
            continue
        p.array[...] = (r.standard_normal(p.shape) * 0.5).astype(p.dtype)
    for path, p in link.namedparams():
        if p.array is not None:
            params[path] = encode(p.array)
    return params


def persistents(link):
    out = {}
    for name in sorted(link._persistent):
        out["/" + name] = encode(np.asarray(getattr(link, name)))
    return out


def link_case(link, inputs, seed=0, call=None, steps=1, train=True, setup=None, **kwargs):
    """Runs `steps` forward/backward passes of `link` on `inputs` (the same
    inputs each step) and records the state before and after."""
    call = call or (lambda l, *xs: l(*xs, **kwargs))
    if setup is not None:
        setup(link)
    # Lazy links get their parameters at the first call: initialize them
    # with a throwaway forward outside the recorded steps.
    if any(p.array is None for p in link.params()):
        with chainer.using_config("train", False), chainer.no_backprop_mode():
            call(link, *[chainer.Variable(np.array(x)) for x in inputs])
    params = randomize(link, seed)
    before = persistents(link)
    r = rng(seed + 1000)
    records = []
    with chainer.using_config("train", train):
        for _ in range(steps):
            xs = [chainer.Variable(np.array(x)) for x in inputs]
            link.cleargrads()
            ys = call(link, *xs)
            if not isinstance(ys, (tuple, list)):
                ys = (ys,)
            gys = [r.standard_normal(y.shape).astype(y.dtype) for y in ys]
            chainer.backward(list(ys), [chainer.Variable(g) for g in gys])
            records.append({
                "outputs": [encode(y.array) for y in ys],
                "grad_outputs": [encode(g) for g in gys],
                "input_grads": [encode(x.grad) if x.dtype.kind == "f" else None for x in xs],
                "param_grads": {path: encode(p.grad) for path, p in link.namedparams()},
            })
    return {
        "params": params,
        "persistents_before": before,
        "persistents_after": persistents(link),
        "inputs": [encode(x) for x in inputs],
        "kwargs": kwargs,
        "steps": records,
    }


def main():
    r = rng(0)
    f32 = np.float32
    cases = {}
    x = r.standard_normal((4, 5)).astype(f32)
    cases["linear"] = link_case(L.Linear(5, 3), [x])
    cases["linear_lazy_nobias"] = link_case(L.Linear(None, 3, nobias=True), [x], seed=1)
    x3 = r.standard_normal((2, 3, 2, 2)).astype(f32)
    cases["linear_flatten"] = link_case(L.Linear(12, 4), [x3], seed=2)
    cases["linear_batch_axes"] = link_case(L.Linear(4, 3), [x3], seed=3, n_batch_axes=2)
    xb = r.standard_normal((2, 3, 4)).astype(f32)
    cases["bias"] = link_case(L.Bias(axis=1, shape=(3,)), [xb], seed=4)
    cases["scale_bias"] = link_case(L.Scale(axis=1, W_shape=(3, 4), bias_term=True), [xb], seed=5)
    e1 = r.standard_normal((3, 2)).astype(f32)
    e2 = r.standard_normal((3, 4)).astype(f32)
    cases["bilinear"] = link_case(L.Bilinear(2, 4, 3), [e1, e2], seed=6)
    cases["bilinear_nobias"] = link_case(L.Bilinear(2, 4, 3, nobias=True), [e1, e2], seed=7)
    xbn = r.standard_normal((4, 3, 2, 2)).astype(f32) * 2 + 1
    cases["batch_normalization_train"] = link_case(L.BatchNormalization(3), [xbn], seed=8, steps=2)

    def set_stats(link):
        link.avg_mean[...] = r.standard_normal(3).astype(f32)
        link.avg_var[...] = (r.uniform(0.5, 2.0, 3)).astype(f32)
    cases["batch_normalization_test"] = link_case(
        L.BatchNormalization(3), [xbn], seed=9, train=False, setup=set_stats)
    write("links", cases)


if __name__ == "__main__":
    main()
