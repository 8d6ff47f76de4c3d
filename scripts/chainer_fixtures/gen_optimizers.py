"""Chainer 7.8.1 fixtures for kusari's optimizers and optimizer hooks.

A tiny model with two float32 parameters W (2x3) and b (3,) is trained for a
few steps on a fixed quadratic loss whose gradient is `a * (p - c)`
(elementwise, float32; one entry of `a` is zero so that element's gradient is
always zero, exercising the 0/0 paths). Each case records the parameters
after every step and the optimizer's serialized state at the end
(DictionarySerializer, i.e. the keys and values save_npz writes).

    .venv-peers/bin/python scripts/chainer_fixtures/gen_optimizers.py
"""

import chainer
import chainer.links as L
import chainer.optimizer_hooks as H
import chainer.optimizers as O
import numpy as np
from chainer.serializers import DictionarySerializer

from common import encode, write

STEPS = 6


class Model(chainer.Link):
    def __init__(self, r):
        super().__init__()
        with self.init_scope():
            self.W = chainer.Parameter(r.standard_normal((2, 3)).astype(np.float32))
            self.b = chainer.Parameter(r.standard_normal((3,)).astype(np.float32))


def noise_func(xp, shape, dtype, hook, rule):
    # Deterministic "noise", so kusari can reproduce it exactly.
    size = int(np.prod(shape))
    base = (np.arange(size, dtype=np.float64) - 1.0).reshape(shape)
    return (hook.eta * 0.01 * base / (1.0 + rule.t)).astype(dtype)


HOOKS = {
    "WeightDecay": lambda: H.WeightDecay(0.1),
    "Lasso": lambda: H.Lasso(0.05),
    "GradientClipping": lambda: H.GradientClipping(0.5),
    "GradientHardClipping": lambda: H.GradientHardClipping(-0.3, 0.2),
    "GradientNoise": lambda: H.GradientNoise(0.3, noise_func=noise_func),
    "GradientLARS": lambda: H.GradientLARS(threshold=0.01, weight_decay=0.02),
}


def run(opt_name, kwargs, hooks=(), timing="auto", seed=0):
    r = np.random.RandomState(seed)
    model = Model(r)
    a = r.uniform(0.5, 2.0, size=(2, 3)).astype(np.float32)
    a[0, 0] = 0
    ab = r.uniform(0.5, 2.0, size=(3,)).astype(np.float32)
    c = r.standard_normal((2, 3)).astype(np.float32)
    cb = r.standard_normal((3,)).astype(np.float32)
    opt = getattr(O, opt_name)(**kwargs)
    opt.setup(model)
    for h in hooks:
        opt.add_hook(HOOKS[h](), timing=timing)
    init = {"W": encode(model.W.array), "b": encode(model.b.array)}
    steps = []
    for _ in range(STEPS):
        model.cleargrads()
        model.W.grad = (a * (model.W.array - c)).astype(np.float32)
        model.b.grad = (ab * (model.b.array - cb)).astype(np.float32)
        opt.update()
        steps.append({"W": encode(model.W.array), "b": encode(model.b.array)})
    s = DictionarySerializer()
    opt.serialize(s)
    state = {k: encode(v) for k, v in s.target.items()}
    return {
        "optimizer": opt_name,
        "kwargs": kwargs,
        "hooks": list(hooks),
        "timing": timing,
        "init": init,
        "a": encode(a),
        "ab": encode(ab),
        "c": encode(c),
        "cb": encode(cb),
        "steps": steps,
        "state": state,
    }


def main():
    cases = {}
    plain = [
        ("SGD", {}),
        ("SGD", {"lr": 0.1}),
        ("MomentumSGD", {}),
        ("MomentumSGD", {"lr": 0.05, "momentum": 0.5}),
        ("CorrectedMomentumSGD", {"lr": 0.05}),
        ("NesterovAG", {"lr": 0.05}),
        ("AdaGrad", {}),
        ("AdaGrad", {"lr": 0.1}),
        ("AdaDelta", {}),
        ("AdaDelta", {"rho": 0.9, "eps": 1e-3}),
        ("RMSprop", {}),
        ("RMSprop", {"lr": 0.05, "eps_inside_sqrt": True, "eps": 1e-4}),
        ("RMSpropGraves", {}),
        ("RMSpropGraves", {"lr": 0.01}),
        ("Adam", {}),
        ("Adam", {"alpha": 0.05, "beta1": 0.8, "beta2": 0.9}),
        ("Adam", {"alpha": 0.05, "weight_decay_rate": 0.1, "eta": 0.5}),
        ("AdamW", {"alpha": 0.05, "weight_decay_rate": 0.01}),
        ("AMSGrad", {"alpha": 0.05}),
        ("AdaBound", {"alpha": 0.05, "final_lr": 0.05}),
        ("AMSBound", {"alpha": 0.05, "final_lr": 0.05, "gamma": 0.1}),
        ("SMORMS3", {}),
        ("SMORMS3", {"lr": 0.05}),
        ("MSVAG", {}),
        ("MSVAG", {"lr": 0.05, "beta": 0.5, "weight_decay_rate": 0.01}),
    ]
    for name, kw in plain:
        key = name + "".join(f"_{k}={v}" for k, v in sorted(kw.items()))
        cases[key] = run(name, kw)
    for hook in HOOKS:
        cases[f"hook_{hook}_SGD"] = run("SGD", {"lr": 0.1}, hooks=[hook])
        cases[f"hook_{hook}_MomentumSGD"] = run("MomentumSGD", {"lr": 0.05}, hooks=[hook])
        cases[f"hook_{hook}_Adam_post"] = run("Adam", {"alpha": 0.05}, hooks=[hook], timing="post")
    cases["hooks_all_Adam"] = run("Adam", {"alpha": 0.05}, hooks=list(HOOKS))
    write("optimizers", cases)


if __name__ == "__main__":
    main()
