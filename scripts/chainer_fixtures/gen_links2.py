"""Chainer 7.8.1 fixtures of the remaining links
(crates/kusari/tests/links2.rs): Classifier, the convolutions, EmbedID, the
recurrent links and the activation/normalization links. Each case is
recorded by `gen_links.link_case`: seeded parameters, inputs, outputs, the
output gradients used for backward and the resulting gradients.

    cd scripts/chainer_fixtures && ../../.venv-peers/bin/python gen_links2.py
"""

import chainer.links as L
import numpy as np

from common import encode, rng, write
from gen_links import link_case


def main():
    r = rng(100)
    f32 = np.float32
    cases = {}

    # Classifier: the loss is the output; the accuracy is recorded apart.
    x = r.standard_normal((5, 3)).astype(f32)
    t = np.array([0, 3, 1, 2, 3], dtype=np.int32)
    clf = L.Classifier(L.Linear(3, 4))
    cases["classifier"] = link_case(clf, [x, t], seed=1)
    cases["classifier"]["accuracy"] = encode(clf.accuracy.array)

    x4 = r.standard_normal((2, 3, 5, 5)).astype(f32)
    cases["convolution_2d"] = link_case(L.Convolution2D(3, 4, 3, stride=2, pad=1), [x4], seed=2)
    cases["convolution_2d_lazy_groups"] = link_case(
        L.Convolution2D(None, 4, (3, 2), nobias=True, dilate=(1, 2)),
        [x4], seed=3)
    x6 = r.standard_normal((2, 6, 4, 4)).astype(f32)
    cases["convolution_2d_groups"] = link_case(L.Convolution2D(6, 4, 3, groups=2), [x6], seed=4)
    cases["dilated_convolution_2d"] = link_case(L.DilatedConvolution2D(3, 2, 3, pad=2, dilate=2), [x4], seed=5)
    cases["deconvolution_2d"] = link_case(L.Deconvolution2D(3, 2, 3, stride=2, pad=1, outsize=(10, 10)), [x4], seed=6)
    cases["deconvolution_2d_lazy"] = link_case(L.Deconvolution2D(None, 2, 2, stride=2), [x4], seed=7)
    x3d = r.standard_normal((2, 2, 3, 4, 3)).astype(f32)
    cases["convolution_nd"] = link_case(L.ConvolutionND(3, 2, 3, 2, pad=1), [x3d], seed=8)
    x1d = r.standard_normal((2, 3, 5)).astype(f32)
    cases["deconvolution_nd"] = link_case(L.DeconvolutionND(1, 3, 2, 3, stride=2), [x1d], seed=9)
    cases["depthwise_convolution_2d"] = link_case(L.DepthwiseConvolution2D(3, 2, 3, pad=1), [x4], seed=10)

    ids = np.array([[0, 2, -1], [4, 2, 1]], dtype=np.int32)
    cases["embed_id"] = link_case(L.EmbedID(5, 3, ignore_label=-1), [ids], seed=11)

    # Recurrent links: several steps in one recorded call, the state reset
    # first (the throwaway lazy-init forward of link_case leaves one).
    xa = r.standard_normal((3, 4)).astype(f32)
    xb = r.standard_normal((2, 4)).astype(f32)

    def stateful(l, x1, x2):
        l.reset_state()
        return l(x1), l(x1), l(x2)
    cases["lstm"] = link_case(L.LSTM(None, 3), [xa, xb], seed=12, call=stateful)
    lstm_default = L.LSTM(4, 3)
    cases["lstm_default_bias"] = encode(lstm_default.upward.b.array)
    cases["gru"] = link_case(L.GRU(4, 3), [xa, xa], seed=13,
                             call=lambda l, x1, x2: (l.reset_state(), l(x1), l(x2))[1:])
    h0 = r.standard_normal((3, 3)).astype(f32)
    c0 = r.standard_normal((3, 3)).astype(f32)
    cases["stateless_lstm"] = link_case(L.StatelessLSTM(4, 3), [c0, h0, xa], seed=14)
    cases["stateless_gru"] = link_case(L.StatelessGRU(4, 3), [h0, xa], seed=15)

    # N-step links: unsorted sequence lengths, given and zero initial states.
    seqs = [r.standard_normal((n, 3)).astype(f32) for n in (2, 4, 3)]
    hx = r.standard_normal((2, 3, 4)).astype(f32)
    cx = r.standard_normal((2, 3, 4)).astype(f32)

    def n_step_lstm(l, hx, cx, *xs):
        hy, cy, ys = l(hx, cx, list(xs))
        return (hy, cy) + tuple(ys)
    cases["n_step_lstm"] = link_case(L.NStepLSTM(2, 3, 4, 0.0), [hx, cx] + seqs, seed=16, call=n_step_lstm)

    def n_step_bilstm(l, *xs):
        hy, cy, ys = l(None, None, list(xs))
        return (hy, cy) + tuple(ys)
    cases["n_step_bilstm"] = link_case(L.NStepBiLSTM(2, 3, 4, 0.0), seqs, seed=17, call=n_step_bilstm)

    def n_step_gru(l, hx, *xs):
        hy, ys = l(hx, list(xs))
        return (hy,) + tuple(ys)
    cases["n_step_gru"] = link_case(L.NStepGRU(2, 3, 4, 0.0), [hx] + seqs, seed=18, call=n_step_gru)

    xp = r.standard_normal((2, 3, 2)).astype(f32)
    cases["prelu"] = link_case(L.PReLU((3, 2)), [xp], seed=19)
    cases["maxout"] = link_case(L.Maxout(4, 3, 2), [xa], seed=20)
    cases["highway"] = link_case(L.Highway(4), [xa], seed=21)
    cases["layer_normalization"] = link_case(L.LayerNormalization(), [xa], seed=22)
    xg = r.standard_normal((2, 4, 3)).astype(f32)
    cases["group_normalization"] = link_case(L.GroupNormalization(2), [xg], seed=23)

    write("links2", cases)


if __name__ == "__main__":
    main()
