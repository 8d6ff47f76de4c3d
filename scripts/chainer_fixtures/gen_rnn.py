"""Chainer 7.8.1 fixtures of the recurrent functions (crates/kusari/tests/rnn.rs).

The n_step cases flatten their arguments as
[hx, (cx,) ws[0][0], ..., ws[-1][-1], bs[0][0], ..., bs[-1][-1], xs[0], ...]
and their outputs as [hy, (cy,) ys[0], ...]; kwargs say how to rebuild them."""

import numpy as np
import chainer.functions as F

from common import case, rng, write


def f32(r, *shape):
    return r.standard_normal(shape).astype(np.float32)


cases = {}
r = rng(0)

cases["lstm"] = case(F.lstm, [f32(r, 3, 4), f32(r, 3, 16)])
cases["lstm_shorter_x"] = case(F.lstm, [f32(r, 3, 2), f32(r, 2, 8)])
cases["lstm_batch1"] = case(F.lstm, [f32(r, 1, 3), f32(r, 1, 12)])
cases["lstm_nd"] = case(F.lstm, [f32(r, 2, 3, 2), f32(r, 2, 12, 2)])

N_W = {"lstm": 8, "gru": 6, "rnn": 2}


def n_step_case(kind, bi, n_layers, activation=None, lengths=(3, 2, 2, 1), n_in=3, n_units=2):
    dirs = 2 if bi else 1
    nw = N_W[kind]
    r = rng(len(cases) + 1)
    batch = lengths[0]
    hx = f32(r, n_layers * dirs, batch, n_units)
    cx = f32(r, n_layers * dirs, batch, n_units) if kind == "lstm" else None
    ws, bs = [], []
    for layer in range(n_layers):
        for _ in range(dirs):
            in_size = n_in if layer == 0 else n_units * dirs
            # Input weights first, hidden weights second (half each; 1 of 2 for rnn).
            half = nw // 2
            ws.append([f32(r, n_units, in_size) * 0.5 for _ in range(half)]
                      + [f32(r, n_units, n_units) * 0.5 for _ in range(half)])
            bs.append([f32(r, n_units) * 0.5 for _ in range(nw)])
    xs = [f32(r, b, n_in) for b in lengths]
    n_states = 2 if cx is not None else 1
    n_ws = n_layers * dirs * nw

    def run(*args):
        a = list(args)
        h = a.pop(0)
        c = a.pop(0) if cx is not None else None
        flat_w, flat_b, x = a[:n_ws], a[n_ws:2 * n_ws], a[2 * n_ws:]
        w = [flat_w[i * nw:(i + 1) * nw] for i in range(n_layers * dirs)]
        b = [flat_b[i * nw:(i + 1) * nw] for i in range(n_layers * dirs)]
        name = "n_step_" + ("bi" if bi else "") + kind
        fn = getattr(F, name)
        if kind == "lstm":
            hy, cy, ys = fn(n_layers, 0.0, h, c, w, b, x)
            return (hy, cy) + tuple(ys)
        kw = {} if activation is None else {"activation": activation}
        hy, ys = fn(n_layers, 0.0, h, w, b, x, **kw)
        return (hy,) + tuple(ys)

    inputs = [hx] + ([cx] if cx is not None else [])
    inputs += [w for ww in ws for w in ww] + [b for bb in bs for b in bb] + xs
    c = case(run, inputs)
    c["kwargs"] = {"kind": kind, "bi": bi, "n_layers": n_layers, "n_states": n_states,
                   "activation": activation or "tanh"}
    return c


cases["n_step_lstm"] = n_step_case("lstm", False, 2)
cases["n_step_bilstm"] = n_step_case("lstm", True, 2)
cases["n_step_gru"] = n_step_case("gru", False, 2)
cases["n_step_bigru"] = n_step_case("gru", True, 1)
cases["n_step_rnn"] = n_step_case("rnn", False, 2)
cases["n_step_birnn_relu"] = n_step_case("rnn", True, 2, activation="relu")
cases["n_step_lstm_batch1"] = n_step_case("lstm", False, 1, lengths=(1, 1))

write("rnn", cases)
