"""Chainer 7.8.1 fixtures of the pooling functions (max/average pooling in
1-3 dimensions, unpooling, upsampling), read by crates/kusari/tests/pooling.rs.
Inputs are permutations scaled apart, so maxima are unique."""

import chainer.functions as F
import numpy as np

from common import case, encode, rng, write


def distinct(seed, *shape):
    n = int(np.prod(shape))
    return (rng(seed).permutation(n).reshape(shape) * 0.1 - n * 0.05).astype(np.float64)


cases = {}
mp = [
    ("max2d", dict(ksize=2), (2, 3, 4, 6)),
    ("max2d_cover_all", dict(ksize=3, stride=2, pad=1, cover_all=True), (1, 2, 6, 7)),
    ("max2d_no_cover_all", dict(ksize=3, stride=2, pad=1, cover_all=False), (1, 2, 6, 7)),
    ("max2d_rect_overlap", dict(ksize=(3, 2), stride=(1, 2), pad=(1, 0)), (2, 1, 5, 5)),
]
for i, (name, kw, xs) in enumerate(mp):
    cases[name] = case(F.max_pooling_2d, [distinct(10 + i, *xs)], **kw)
cases["max1d"] = case(F.max_pooling_nd, [distinct(20, 2, 2, 7)], ksize=3, stride=2, pad=1)
cases["max3d"] = case(F.max_pooling_nd, [distinct(21, 1, 2, 4, 3, 5)], ksize=2, cover_all=False)

ap = [
    ("avg2d", dict(ksize=2), (2, 3, 4, 6)),
    ("avg2d_pad_stride", dict(ksize=3, stride=2, pad=1), (1, 2, 6, 7)),
]
for i, (name, kw, xs) in enumerate(ap):
    cases[name] = case(F.average_pooling_2d, [distinct(30 + i, *xs)], **kw)
# Chainer's backward with pad_value=None divides the output gradient in place
# (numpy.divide(gy, width, out=gy)); hand it a copy and record the original.
gy = rng(1040).standard_normal((2, 2, 4))
cases["avg1d_pad_none"] = case(F.average_pooling_nd, [distinct(40, 2, 2, 7)], grad_outputs=[gy.copy()],
                               ksize=3, stride=2, pad=1, pad_value=None)
cases["avg1d_pad_none"]["grad_outputs"] = [encode(gy)]
cases["avg3d"] = case(F.average_pooling_nd, [distinct(41, 1, 2, 4, 3, 5)], ksize=(2, 2, 3), pad=(1, 0, 1), pad_value=0)

cases["unpool2d"] = case(F.unpooling_2d, [distinct(50, 2, 2, 3, 3)], ksize=2)
cases["unpool2d_overlap"] = case(F.unpooling_2d, [distinct(51, 1, 2, 3, 4)], ksize=3, stride=2, pad=1, cover_all=False)
cases["unpool2d_outsize"] = case(F.unpooling_2d, [distinct(52, 1, 1, 3, 3)], ksize=2, outsize=(5, 6))

x = distinct(60, 2, 2, 5, 6)
_, idx = F.max_pooling_2d(x, 2, return_indices=True)
cases["upsample2d"] = case(lambda v: F.upsampling_2d(v, idx, ksize=2, outsize=(5, 6)), [distinct(61, 2, 2, 3, 3)])
cases["upsample2d"]["kwargs"]["indexes"] = {"dtype": "int32", "shape": list(idx.shape), "data": [int(v) for v in idx.ravel()]}

# roi_pooling_2d: rois (batch, x_min, y_min, x_max, y_max) in x's dtype.
# Corners at .5 after scaling (Python's round: half to even), a RoI reaching
# past the image (clipped and empty bins), overlapping bins (3 bins over 8
# pixels), ties (integer values: the first maximum wins).
xr = distinct(70, 2, 3, 8, 10)
rois = np.array([[0, 1, 1, 6, 5], [1, 0, 2, 9, 7], [0, 5, 3, 15, 13], [1, 3, 0, 3, 7]], np.float64)
cases["roi2d"] = case(F.roi_pooling_2d, [xr, rois], outh=3, outw=2, spatial_scale=1.0)
rois_half = rois.copy()
rois_half[:, 1:] = rois[:, 1:] * 2 + 1  # v + 0.5 after scaling by 0.5
cases["roi2d_scale"] = case(F.roi_pooling_2d, [xr, rois_half], outh=2, outw=3, spatial_scale=0.5)
xt = np.floor(distinct(71, 1, 2, 6, 7) / 2).astype(np.float32)
cases["roi2d_ties_f32"] = case(F.roi_pooling_2d, [xt, np.array([[0, 0, 0, 6, 5], [0, 1, 2, 4, 4]], np.float32)],
                               outh=2, outw=2, spatial_scale=1.0)
# A RoI with x_max < x_min: pooled as a 1-pixel-wide region (forward only;
# Chainer's CPU backward drops that RoI's gradient, kusari's does not).
cases["roi2d_malformed"] = case(F.roi_pooling_2d, [xr, np.array([[0, 6, 1, 2, 5]], np.float64)],
                                outh=2, outw=2, spatial_scale=1.0)

write("pooling", cases)
