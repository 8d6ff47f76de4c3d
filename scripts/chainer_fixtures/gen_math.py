"""Chainer 7.8.1 fixtures of the math functions (see common.py)."""

import chainer.functions as F
import numpy as np

from common import case, rng, write

r = rng(0)


def x(*shape, dtype=np.float32, lo=-2.0, hi=2.0):
    return r.uniform(lo, hi, shape).astype(dtype)


cases = {}
unary = {
    "log1p": (F.log1p, 0.1, 2), "log2": (F.log2, 0.5, 2), "log10": (F.log10, 0.5, 2),
    "expm1": (F.expm1, -2, 2), "sqrt": (F.sqrt, 0.5, 2), "rsqrt": (F.rsqrt, 0.5, 2),
    "square": (F.square, -2, 2), "absolute": (F.absolute, -2, 2), "sin": (F.sin, -2, 2),
    "cos": (F.cos, -2, 2), "tan": (F.tan, -1, 1), "arcsin": (F.arcsin, -0.9, 0.9),
    "arccos": (F.arccos, -0.9, 0.9), "arctan": (F.arctan, -2, 2), "sinh": (F.sinh, -2, 2),
    "cosh": (F.cosh, -2, 2), "erf": (F.erf, -2, 2),
    "identity": (F.identity, -2, 2),
}
for name, (f, lo, hi) in unary.items():
    for dt in (np.float32, np.float64):
        cases[f"{name}_{np.dtype(dt).name}"] = case(f, [x(2, 3, dtype=dt, lo=lo, hi=hi)])
for name, f in {"sign": F.sign, "floor": F.floor, "ceil": F.ceil}.items():
    xv = x(2, 3, lo=-3, hi=3)
    cases[name] = {"inputs": case(F.identity, [xv])["inputs"], "kwargs": {},
                   "outputs": case(F.identity, [f(xv).array])["inputs"],
                   "grad_outputs": [None], "grads": [None]}
cases["clip"] = case(F.clip, [x(3, 4)], x_min=-1.0, x_max=0.5)
cases["maximum"] = case(F.maximum, [x(3, 4), x(3, 4)])
cases["minimum"] = case(F.minimum, [x(3, 4, dtype=np.float64), x(3, 4, dtype=np.float64)])
cases["arctan2"] = case(F.arctan2, [x(3, 4), x(3, 4)])
cases["fmod"] = case(F.fmod, [x(3, 4, lo=-5, hi=5), x(3, 4, lo=0.5, hi=2)])
cases["linear_interpolate"] = case(F.linear_interpolate, [x(3, 4, lo=0, hi=1), x(3, 4), x(3, 4)])
cases["bias"] = case(F.bias, [x(2, 3, 4), x(3)])
cases["scale_axis2"] = case(F.scale, [x(2, 3, 4), x(4)], axis=2)
cases["max"] = case(F.max, [x(3, 4)], axis=1)
cases["max_all"] = case(F.max, [x(3, 4)])
cases["min_keepdims"] = case(F.min, [x(2, 3, 4)], axis=(0, 2), keepdims=True)
cases["mean"] = case(F.mean, [x(3, 4)], axis=0)
cases["average_weights"] = case(lambda a, w: F.average(a, axis=1, weights=w), [x(3, 4), x(4, lo=0.5, hi=2)])
cases["average_full_weights"] = case(lambda a, w: F.average(a, weights=w), [x(3, 4, dtype=np.float64), x(3, 4, lo=0.5, hi=2, dtype=np.float64)])
cases["prod"] = case(F.prod, [x(3, 4)], axis=1)
cases["prod_zero"] = case(F.prod, [np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]], np.float64)], axis=1)
cases["cumsum"] = case(F.cumsum, [x(3, 4)], axis=1)
cases["cumsum_none"] = case(F.cumsum, [x(2, 3, dtype=np.float64)], axis=None)
cases["logsumexp"] = case(F.logsumexp, [x(3, 4)], axis=1)
cases["logsumexp_all"] = case(F.logsumexp, [x(3, 4, dtype=np.float64)])
cases["sum_keepdims"] = case(F.sum, [x(2, 3, 4)], axis=(0, 2), keepdims=True)
cases["matmul_ta"] = case(F.matmul, [x(3, 2), x(3, 4)], transa=True)
cases["matmul_tb"] = case(F.matmul, [x(2, 5, 3), x(2, 4, 3)], transb=True)
cases["batch_matmul"] = case(F.batch_matmul, [x(2, 3, 4), x(2, 4)])
cases["tensordot"] = case(F.tensordot, [x(2, 3, 4), x(4, 3, 5)], axes=([1, 2], [1, 0]))
cases["einsum"] = case(lambda a, b: F.einsum("ij,jk->ik", a, b), [x(2, 3), x(3, 4)])
cases["einsum_batch"] = case(lambda a, b: F.einsum("bij,bkj->bik", a, b), [x(2, 2, 3, dtype=np.float64), x(2, 4, 3, dtype=np.float64)])
cases["einsum_sum_only"] = case(lambda a, b: F.einsum("ij,k->i", a, b), [x(2, 3), x(4)])
a = x(2, 3, 3, dtype=np.float64) + 3 * np.eye(3)
cases["det"] = case(F.batch_det, [a])
cases["inv"] = case(F.batch_inv, [a])
write("math", cases)
