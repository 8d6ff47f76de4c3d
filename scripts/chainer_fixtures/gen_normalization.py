"""Chainer 7.8.1 fixtures of the normalization functions (tests:
crates/kusari/tests/normalization.rs). Arguments other than the inputs are
fixed per case name in the Rust test."""

import chainer.functions as F
import numpy as np

from common import case, rng, write


def normal(seed, *shape, dtype=np.float64):
    return rng(seed).standard_normal(shape).astype(dtype)


cases = {}
x4 = normal(1, 3, 2, 2, 3)
g2, b2 = normal(2, 2), normal(3, 2)
cases["batch_norm_4d"] = case(lambda x, g, b: F.batch_normalization(x, g, b), [x4, g2, b2])
x2 = normal(4, 5, 3)
cases["batch_norm_2d"] = case(lambda x, g, b: F.batch_normalization(x, g, b), [x2, normal(5, 3), normal(6, 3)])
cases["batch_norm_axis_0_2"] = case(
    lambda x, g, b: F.batch_normalization(x, g, b, axis=(0, 2)), [normal(7, 2, 3, 4), normal(8, 3), normal(9, 3)])
cases["batch_norm_axis_1"] = case(
    lambda x, g, b: F.batch_normalization(x, g, b, axis=1, eps=1e-3), [normal(10, 2, 3, 4), normal(11, 2, 4), normal(12, 2, 4)])
cases["batch_norm_f32"] = case(lambda x, g, b: F.batch_normalization(x, g, b),
                               [x4.astype(np.float32), g2.astype(np.float32), b2.astype(np.float32)])
mean, var = normal(13, 2), rng(14).uniform(0.5, 2, (2,))
cases["fixed_batch_norm"] = case(
    lambda x, g, b, m, v: F.fixed_batch_normalization(x, g, b, m, v), [x4, g2, b2, mean, var])
cases["layer_norm"] = case(lambda x, g, b: F.layer_normalization(x, g, b), [x2, normal(15, 3), normal(16, 3)])
cases["group_norm"] = case(
    lambda x, g, b: F.group_normalization(x, 2, g, b), [normal(17, 2, 4, 3), normal(18, 4), normal(19, 4)])
cases["lrn"] = case(lambda x: F.local_response_normalization(x), [normal(20, 2, 7, 2, 2)])
cases["lrn_n3"] = case(lambda x: F.local_response_normalization(x, n=3, k=1, alpha=0.5, beta=0.5),
                       [normal(21, 2, 4, 3)])
cases["normalize"] = case(lambda x: F.normalize(x), [normal(22, 3, 4)])
cases["normalize_axis_0_2"] = case(lambda x: F.normalize(x, axis=(0, 2)), [normal(23, 2, 3, 2)])
write("normalization", cases)
