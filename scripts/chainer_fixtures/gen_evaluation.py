"""Chainer 7.8.1 fixtures of the evaluation functions (see common.py)."""

import chainer.functions as F
import numpy as np

from common import encode, rng, write

r = rng(0)


def rec(outputs, inputs, **kwargs):
    return {"inputs": [encode(a) for a in inputs], "kwargs": kwargs,
            "outputs": [encode(o.array) for o in outputs], "grad_outputs": [], "grads": []}


cases = {}
y = r.standard_normal((8, 4)).astype(np.float32)
t = r.randint(0, 4, 8).astype(np.int32)
cases["accuracy"] = rec([F.accuracy(y, t)], [y, t])
t2 = t.copy()
t2[:3] = -1
cases["accuracy_ignore"] = rec([F.accuracy(y, t2, ignore_label=-1)], [y, t2], ignore_label=-1)
y3 = r.standard_normal((2, 3, 4)).astype(np.float64)
t3 = r.randint(0, 3, (2, 4)).astype(np.int64)
cases["accuracy_3d"] = rec([F.accuracy(y3, t3)], [y3, t3])
yb = r.standard_normal((3, 4)).astype(np.float32)
tb = r.randint(-1, 2, (3, 4)).astype(np.int32)
cases["binary_accuracy"] = rec([F.binary_accuracy(yb, tb)], [yb, tb])
yc = r.standard_normal((12, 3)).astype(np.float32)
tc = r.randint(0, 3, 12).astype(np.int32)
tc[0] = -1
cases["classification_summary"] = rec(F.classification_summary(yc, tc, label_num=3, beta=2.0), [yc, tc], label_num=3, beta=2.0)
cases["classification_summary_default"] = rec(F.classification_summary(yc, tc), [yc, tc])
p = r.standard_normal((5, 3)).astype(np.float32)
q = r.standard_normal((5, 3)).astype(np.float32)
cases["r2_score"] = rec([F.r2_score(p, q)], [p, q])
cases["r2_score_raw"] = rec([F.r2_score(p, q, multioutput="raw_values")], [p, q], multioutput="raw_values")
write("evaluation", cases)
