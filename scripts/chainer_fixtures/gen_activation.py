"""Chainer 7.8.1 fixtures of the activation functions (see common.py)."""

import chainer.functions as F
import numpy as np
import torch

from common import case, encode, rng, write

r = rng(0)


def x(*shape, dtype=np.float32, lo=-2.0, hi=2.0):
    return r.uniform(lo, hi, shape).astype(dtype)


cases = {}
for dt in (np.float32, np.float64):
    n = np.dtype(dt).name
    cases[f"relu_{n}"] = case(F.relu, [x(3, 4, dtype=dt)])
    cases[f"sigmoid_{n}"] = case(F.sigmoid, [x(3, 4, dtype=dt)])
    cases[f"tanh_{n}"] = case(F.tanh, [x(3, 4, dtype=dt)])
    cases[f"softmax_{n}"] = case(F.softmax, [x(3, 5, dtype=dt)])
    cases[f"log_softmax_{n}"] = case(F.log_softmax, [x(3, 5, dtype=dt)])
cases["softmax_axis2"] = case(F.softmax, [x(2, 3, 4)], axis=2)
cases["softmax_axis0_4d"] = case(F.softmax, [x(2, 3, 2, 2)], axis=0)
cases["log_softmax_large"] = case(F.log_softmax, [np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], np.float32)])
cases["log_softmax_axis_neg1"] = case(F.log_softmax, [x(2, 3, 4)], axis=-1)
cases["leaky_relu"] = case(F.leaky_relu, [x(3, 4)])
cases["leaky_relu_slope"] = case(F.leaky_relu, [x(3, 4)], slope=0.5)
cases["elu"] = case(F.elu, [x(3, 4)])
cases["elu_alpha"] = case(F.elu, [x(3, 4, dtype=np.float64)], alpha=0.5)
cases["selu"] = case(F.selu, [x(3, 4, dtype=np.float64)])
cases["clipped_relu"] = case(F.clipped_relu, [x(3, 4, lo=-3, hi=30)])
cases["clipped_relu_z"] = case(F.clipped_relu, [x(3, 4, lo=-3, hi=3)], z=1.5)
cases["relu6"] = case(F.relu6, [x(3, 4, lo=-3, hi=9)])
cases["crelu"] = case(F.crelu, [x(2, 3)])
cases["crelu_axis0"] = case(F.crelu, [x(2, 3, dtype=np.float64)], axis=0)
cases["prelu"] = case(F.prelu, [x(2, 3, 4), x(3)])
cases["prelu_2d_w"] = case(F.prelu, [x(2, 3, 4, dtype=np.float64), x(3, 4, dtype=np.float64)])
cases["hard_sigmoid"] = case(F.hard_sigmoid, [x(3, 4, lo=-4, hi=4)])
cases["softplus"] = case(F.softplus, [x(3, 4)])
cases["softplus_beta"] = case(F.softplus, [x(3, 4, lo=-30, hi=30, dtype=np.float64)], beta=2.0)
cases["swish"] = case(F.swish, [x(2, 3, 4), x(3)])
cases["maxout"] = case(F.maxout, [x(2, 6)], pool_size=3)
cases["maxout_axis2"] = case(F.maxout, [x(2, 3, 4, dtype=np.float64)], pool_size=2, axis=2)

# Chainer 7.8.1 has no gelu; PyTorch's exact (erf) gelu is the reference.
for dt in (np.float32, np.float64):
    xv = x(3, 4, dtype=dt, lo=-3, hi=3)
    gy = rng(1000).standard_normal(xv.shape).astype(dt)
    t = torch.tensor(xv, requires_grad=True)
    y = torch.nn.functional.gelu(t)
    y.backward(torch.tensor(gy))
    cases[f"gelu_{np.dtype(dt).name}"] = {
        "inputs": [encode(xv)], "kwargs": {}, "outputs": [encode(y.detach().numpy())],
        "grad_outputs": [encode(gy)], "grads": [encode(t.grad.numpy())],
    }
    # celu: PyTorch's as well.
    t = torch.tensor(xv, requires_grad=True)
    y = torch.nn.functional.celu(t, alpha=0.7)
    y.backward(torch.tensor(gy))
    cases[f"celu_{np.dtype(dt).name}"] = {
        "inputs": [encode(xv)], "kwargs": {"alpha": 0.7}, "outputs": [encode(y.detach().numpy())],
        "grad_outputs": [encode(gy)], "grads": [encode(t.grad.numpy())],
    }

write("activation", cases)
