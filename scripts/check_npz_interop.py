"""Checks that npz files written by kusari load in NumPy and Chainer 7.8.1.

Runs kusari's `write_npz_interop` example into a temporary folder, then
  * opens every file with numpy.load (allow_pickle=False: kusari never
    writes pickles) and prints each key's dtype and shape;
  * loads the model files into the equivalent Chainer chain with
    chainer.serializers.load_npz (strict) and compares every array;
  * loads the Adam state files into a Chainer Adam set up on that chain and
    compares t, epoch and every rule's t, m and v;
  * reads the safetensors copy by hand (header + raw bytes) and compares it.

    .venv-peers/bin/python scripts/check_npz_interop.py
"""

import json
import os
import subprocess
import sys
import tempfile

import chainer
import chainer.links as L
import numpy as np
from chainer import serializers

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))


class Net(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(3, 4)
            self.bn = L.BatchNormalization(4)
            self.l2 = L.Linear(4, 2)


def ramp(shape, start):
    n = int(np.prod(shape))
    return (start + 0.125 * np.arange(n)).astype(np.float32).reshape(shape)


EXPECTED = {
    "l1/W": ramp((4, 3), -1.0),
    "l1/b": ramp((4,), 0.5),
    "bn/gamma": ramp((4,), 1.0),
    "bn/beta": ramp((4,), -0.25),
    "bn/avg_mean": ramp((4,), 0.1),
    "bn/avg_var": ramp((4,), 2.0),
    "bn/N": np.array(7),
    "l2/W": ramp((2, 4), 0.3),
    "l2/b": ramp((2,), -0.7),
}


def expected_adam():
    """Chainer's own Adam on the same model and gradients, for comparison."""
    net = Net()
    for k, v in EXPECTED.items():
        link, name = k.split("/")
        target = getattr(net, link)
        if name == "N":
            target.N = int(v)
        elif name in ("avg_mean", "avg_var"):
            setattr(target, name, v.copy())
        else:
            getattr(target, name).array[...] = v
    opt = chainer.optimizers.Adam(alpha=0.01)
    opt.setup(net)
    for _ in range(2):
        for p in net.params():
            p.grad = p.array.copy()
        opt.update()
    return net, opt


def main():
    out = tempfile.mkdtemp(prefix="kusari-interop-")
    subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "kusari", "--example", "write_npz_interop", "--", out],
        cwd=ROOT, check=True)
    ok = True

    def check(what, cond):
        nonlocal ok
        print(("ok   " if cond else "FAIL ") + what)
        ok &= bool(cond)

    for tag in ["compressed", "stored"]:
        for kind in ["model", "adam"]:
            path = os.path.join(out, f"kusari_{kind}_{tag}.npz")
            with np.load(path, allow_pickle=False) as f:
                desc = ", ".join(f"{k}:{f[k].dtype}{list(f[k].shape)}" for k in sorted(f.files))
                print(f"numpy.load {os.path.basename(path)}: {desc}")
        net = Net()
        serializers.load_npz(os.path.join(out, f"kusari_model_{tag}.npz"), net, strict=True)
        # kusari saved the model after its two Adam steps: parameters are
        # compared with Chainer's own Adam run, persistents with the inputs.
        ref_net, ref_opt = expected_adam()
        for k, v in EXPECTED.items():
            link, name = k.split("/")
            got = getattr(getattr(net, link), name)
            if isinstance(got, chainer.Variable):
                want = getattr(getattr(ref_net, link), name).array
                check(f"chainer load_npz {tag}: {k} matches Chainer's Adam result",
                      np.allclose(got.array, want, rtol=1e-6, atol=0))
            else:
                check(f"chainer load_npz {tag}: {k}", np.array_equal(np.asarray(got), v))
        opt = chainer.optimizers.Adam(alpha=0.01)
        opt.setup(net)
        serializers.load_npz(os.path.join(out, f"kusari_adam_{tag}.npz"), opt, strict=True)
        check(f"chainer Adam load_npz {tag}: t={opt.t} epoch={opt.epoch}", (opt.t, opt.epoch) == (2, 0))
        for (name, p), (_, q) in zip(sorted(net.namedparams()), sorted(ref_net.namedparams())):
            r, s = p.update_rule, q.update_rule
            same = r.t == s.t and all(np.allclose(r.state[k], s.state[k], rtol=1e-6, atol=0) for k in ("m", "v"))
            check(f"chainer Adam state {tag}: {name} t={r.t} m, v match Chainer's own Adam", same)
    with open(os.path.join(out, "kusari_model.safetensors"), "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    names = {"F32": np.float32, "I64": np.int64}
    ref = serializers.DictionarySerializer()
    ref_net.serialize(ref)
    for k in EXPECTED:
        h = header[k]
        b, e = h["data_offsets"]
        got = np.frombuffer(data[b:e], dtype=names[h["dtype"]]).reshape(h["shape"])
        check(f"safetensors {k}", np.allclose(got, ref.target[k], rtol=1e-6, atol=0))
    print("ALL OK" if ok else "SOME CHECKS FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
