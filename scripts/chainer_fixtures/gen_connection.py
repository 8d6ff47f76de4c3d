"""Chainer 7.8.1 fixtures of the connection functions (linear, convolutions,
deconvolutions, depthwise convolution, embed_id, bilinear, im2col), read by
crates/kusari/tests/connection.rs. Small shapes; float64 so comparisons are tight."""

import chainer.functions as F
import numpy as np

from common import case, rng, write


def normal(seed, *shape, dtype=np.float64):
    return rng(seed).standard_normal(shape).astype(dtype)


cases = {}

# linear
cases["linear"] = case(F.linear, [normal(1, 3, 4), normal(2, 5, 4), normal(3, 5)])
cases["linear_nobias"] = case(F.linear, [normal(4, 2, 4), normal(5, 3, 4)])
cases["linear_flatten"] = case(F.linear, [normal(6, 2, 2, 3), normal(7, 4, 6)])
cases["linear_batch_axes2"] = case(
    F.linear, [normal(8, 2, 3, 4), normal(9, 5, 4), normal(10, 5)], n_batch_axes=2)
cases["linear_batch1_f32"] = case(
    F.linear, [normal(11, 1, 3, dtype=np.float32), normal(12, 2, 3, dtype=np.float32)])

# convolution_2d
conv2d = [
    ("conv2d", dict(), (2, 3, 5, 6), (4, 3, 3, 3)),
    ("conv2d_stride_pad", dict(stride=2, pad=1), (2, 2, 7, 6), (3, 2, 3, 2)),
    ("conv2d_cover_all", dict(stride=2, pad=1, cover_all=True), (1, 2, 6, 7), (3, 2, 3, 3)),
    ("conv2d_nocover_same_geom", dict(stride=2, pad=1, cover_all=False), (1, 2, 6, 7), (3, 2, 3, 3)),
    ("conv2d_dilate", dict(pad=2, dilate=2), (2, 2, 6, 5), (2, 2, 3, 3)),
    ("conv2d_groups", dict(pad=1, groups=2), (2, 4, 4, 5), (6, 2, 3, 3)),
    ("conv2d_1x1", dict(), (2, 3, 4, 4), (5, 3, 1, 1)),
    ("conv2d_batch1_rect_stride", dict(stride=(2, 1), pad=(0, 1)), (1, 2, 5, 5), (3, 2, 2, 3)),
]
for i, (name, kw, xs, ws) in enumerate(conv2d):
    ins = [normal(100 + i, *xs), normal(200 + i, *ws), normal(300 + i, ws[0])]
    cases[name] = case(F.convolution_2d, ins, **kw)
cases["conv2d_nobias"] = case(F.convolution_2d, [normal(20, 2, 2, 4, 4), normal(21, 3, 2, 2, 2)], pad=1)

# deconvolution_2d
deconv2d = [
    ("deconv2d", dict(), (2, 3, 4, 3), (3, 2, 3, 3)),
    ("deconv2d_stride_pad", dict(stride=2, pad=1), (2, 2, 3, 4), (2, 3, 3, 3)),
    ("deconv2d_outsize", dict(stride=2, pad=1, outsize=(6, 8)), (1, 2, 3, 4), (2, 3, 3, 3)),
    ("deconv2d_groups_dilate", dict(pad=1, dilate=2, groups=2), (2, 4, 3, 3), (4, 3, 3, 3)),
]
for i, (name, kw, xs, ws) in enumerate(deconv2d):
    outc = ws[1] * kw.get("groups", 1)
    ins = [normal(400 + i, *xs), normal(500 + i, *ws), normal(600 + i, outc)]
    cases[name] = case(F.deconvolution_2d, ins, **kw)

# 1-D and 3-D
cases["conv1d"] = case(F.convolution_nd, [normal(30, 2, 3, 7), normal(31, 4, 3, 3), normal(32, 4)], stride=2, pad=1)
cases["conv3d"] = case(F.convolution_nd, [normal(33, 1, 2, 4, 3, 4), normal(34, 3, 2, 2, 2, 3), normal(35, 3)], pad=(1, 0, 1), cover_all=True, stride=2)
cases["deconv1d"] = case(F.deconvolution_nd, [normal(36, 2, 3, 4), normal(37, 3, 2, 3), normal(38, 2)], stride=2)
cases["deconv3d"] = case(F.deconvolution_nd, [normal(39, 1, 2, 2, 3, 2), normal(40, 2, 2, 2, 2, 2)], stride=(1, 2, 1), pad=(0, 1, 0))

# depthwise
cases["depthwise"] = case(F.depthwise_convolution_2d, [normal(41, 2, 3, 5, 4), normal(42, 2, 3, 3, 2), normal(43, 6)], stride=1, pad=1)

# embed_id
ids = np.array([[0, 2, 1], [3, 2, -1]], dtype=np.int32)
cases["embed_id"] = case(F.embed_id, [np.array([0, 2, 2, 1], dtype=np.int32), normal(44, 4, 3)])
cases["embed_id_ignore"] = case(F.embed_id, [ids, normal(45, 4, 3)], ignore_label=-1)

# bilinear
# (Chainer's bilinear accepts float32 only.)
f32 = np.float32
cases["bilinear"] = case(F.bilinear, [normal(46, 3, 2, dtype=f32), normal(47, 3, 4, dtype=f32),
                                      normal(48, 2, 4, 5, dtype=f32), normal(49, 2, 5, dtype=f32),
                                      normal(50, 4, 5, dtype=f32), normal(51, 5, dtype=f32)])
cases["bilinear_nolinear"] = case(F.bilinear, [normal(52, 2, 3, dtype=f32), normal(53, 2, 2, dtype=f32),
                                               normal(54, 3, 2, 4, dtype=f32)])

# im2col
cases["im2col"] = case(F.im2col, [normal(55, 2, 2, 5, 4)], ksize=3, stride=1, pad=1)
cases["im2col_cover_all_dilate"] = case(F.im2col, [normal(56, 1, 2, 6, 5)], ksize=(2, 3), stride=2, pad=(1, 0), cover_all=True, dilate=(2, 1))

write("connection", cases)
