"""Chainer 7.8.1 fixtures of the loss functions (crates/kusari/tests/loss.rs)."""

import numpy as np
import chainer.functions as F

from common import case, encode, rng, write


def f32(r, *shape, lo=None, hi=None):
    if lo is None:
        return r.standard_normal(shape).astype(np.float32)
    return r.uniform(lo, hi, shape).astype(np.float32)


cases = {}
r = rng(0)

# softmax_cross_entropy
x = f32(r, 5, 4)
t = np.array([3, -1, 0, 2, -1], np.int32)
cases["sce_mean"] = case(F.softmax_cross_entropy, [x, t])
cases["sce_mean_unnormalized"] = case(F.softmax_cross_entropy, [x, t], normalize=False)
cases["sce_no"] = case(F.softmax_cross_entropy, [x, t], reduce="no")
w = np.array([0.5, 1.0, 2.0, 1.5], np.float32)
cases["sce_class_weight"] = case(F.softmax_cross_entropy, [x, t], class_weight=w)
cases["sce_class_weight_no"] = case(F.softmax_cross_entropy, [x, t], class_weight=w, reduce="no")
cases["sce_ignore_label"] = case(F.softmax_cross_entropy, [x, np.array([3, 1, 0, 2, 1], np.int32)], ignore_label=1)
cases["sce_all_ignored"] = case(F.softmax_cross_entropy, [x, np.full(5, -1, np.int32)])
cases["sce_batch1"] = case(F.softmax_cross_entropy, [f32(r, 1, 3), np.array([2], np.int32)])
cases["sce_f64"] = case(F.softmax_cross_entropy, [r.standard_normal((4, 3)), np.array([0, 1, 2, 1], np.int64)])
x3 = f32(r, 2, 3, 4)
t3 = np.array([[0, 2, -1, 1], [1, 1, 0, 2]], np.int32)
cases["sce_nd"] = case(F.softmax_cross_entropy, [x3, t3])
cases["sce_nd_unnormalized"] = case(F.softmax_cross_entropy, [x3, t3], normalize=False)
cases["sce_nd_no_weight"] = case(F.softmax_cross_entropy, [x3, t3], reduce="no", class_weight=np.array([1.0, 2.0, 0.5], np.float32))

# regression
a, b = f32(r, 3, 4), f32(r, 3, 4)
cases["mean_squared_error"] = case(F.mean_squared_error, [a, b])
cases["mean_absolute_error"] = case(F.mean_absolute_error, [a, b])
cases["squared_error"] = case(F.squared_error, [a, b])
cases["absolute_error"] = case(F.absolute_error, [a, b])
cases["huber_loss"] = case(F.huber_loss, [a, b], delta=0.5)
cases["huber_loss_no"] = case(F.huber_loss, [a, b], delta=1.0, reduce="no")

# sigmoid_cross_entropy
xs = f32(r, 3, 4)
ts = np.array([[0, 1, -1, 1], [1, 0, 0, -1], [-1, 1, 1, 0]], np.int32)
cases["sigmoid_ce_mean"] = case(F.sigmoid_cross_entropy, [xs, ts])
cases["sigmoid_ce_unnormalized"] = case(F.sigmoid_cross_entropy, [xs, ts], normalize=False)
cases["sigmoid_ce_no"] = case(F.sigmoid_cross_entropy, [xs, ts], reduce="no")

# hinge
xh = f32(r, 4, 3)
th = np.array([0, 2, 1, 2], np.int32)


def hinge_case(**kw):
    # Chainer's hinge divides the output gradient in place (`gloss /= len(t)`),
    # so record the gradient as it was before backward.
    g = rng(7).standard_normal(() if kw.get("reduce", "mean") == "mean" else xh.shape).astype(np.float32)
    c = case(F.hinge, [xh, th], grad_outputs=[g.copy()], **kw)
    c["grad_outputs"] = [encode(g)]
    return c


cases["hinge_l1"] = hinge_case()
cases["hinge_l2_no"] = hinge_case(norm="L2", reduce="no")

# contrastive / triplet
x0, x1 = f32(r, 4, 3), f32(r, 4, 3)
y = np.array([1, 0, 0, 1], np.int32)
cases["contrastive"] = case(F.contrastive, [x0, x1, y], margin=2.0)
cases["contrastive_no"] = case(F.contrastive, [x0, x1, y], margin=1.0, reduce="no")
an, po, ne = f32(r, 4, 3), f32(r, 4, 3), f32(r, 4, 3)
cases["triplet"] = case(F.triplet, [an, po, ne], margin=1.0)
cases["triplet_no"] = case(F.triplet, [an, po, ne], margin=0.5, reduce="no")

# VAE losses
m, lv, xg = f32(r, 3, 2), f32(r, 3, 2), f32(r, 3, 2)
for red in ("sum", "mean", "no"):
    cases[f"gaussian_kl_divergence_{red}"] = case(F.gaussian_kl_divergence, [m, lv], reduce=red)
    cases[f"gaussian_nll_{red}"] = case(F.gaussian_nll, [xg, m, lv], reduce=red)
xb = r.uniform(0, 1, (3, 2)).astype(np.float32)
for red in ("sum", "mean", "no"):
    cases[f"bernoulli_nll_{red}"] = case(F.bernoulli_nll, [xb, m], reduce=red)

# connectionist_temporal_classification: inputs are T arrays (B, V) then labels.
def ctc(*args, **kw):
    *xs, t = args
    return F.connectionist_temporal_classification(list(xs), t, 0, **kw)

T, B, V = 5, 2, 4
xc = [f32(r, B, V) for _ in range(T)]
tc = np.array([[1, 2], [3, 3]], np.int32)
cases["ctc_mean"] = case(ctc, xc + [tc])
cases["ctc_no"] = case(ctc, xc + [tc], reduce="no")
cases["ctc_lengths"] = case(
    ctc, xc + [tc],
    input_length=np.array([5, 4], np.int32), label_length=np.array([2, 1], np.int32))

# softmax_cross_entropy with soft targets (each row a distribution; Chainer's
# gradient is softmax - t). Its own generator so earlier cases keep their inputs.
r = rng(7)
xs = f32(r, 5, 4)
ts = r.uniform(0.0, 1.0, (5, 4)).astype(np.float32)
ts /= ts.sum(axis=1, keepdims=True)
cases["sce_soft_ce"] = case(F.softmax_cross_entropy, [xs, ts])
cases["sce_soft_kl"] = case(F.softmax_cross_entropy, [xs, ts], soft_target_loss="kl-divergence")
cases["sce_soft_no"] = case(F.softmax_cross_entropy, [xs, ts], reduce="no")
xs3 = f32(r, 2, 3, 4)
ts3 = r.uniform(0.0, 1.0, (2, 3, 4)).astype(np.float32)
ts3 /= ts3.sum(axis=1, keepdims=True)
cases["sce_soft_nd"] = case(F.softmax_cross_entropy, [xs3, ts3])

write("loss", cases)
