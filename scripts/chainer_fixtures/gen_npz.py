"""Chainer 7.8.1 npz files for kusari's interop tests.

Writes into crates/kusari/tests/fixtures/chainer/npz/:
  model_compressed.npz, model_stored.npz   a Linear(3, 4) -> BatchNormalization(4)
                                           -> Linear(4, 2) chain after two Adam steps
  adam_compressed.npz, adam_stored.npz     the Adam optimizer's state at that point
  lazy.npz                                 a chain with an uninitialized Linear(None, 2)
                                           (Chainer saves its W as a pickled None)
and tests/fixtures/chainer/npz.json with the expected arrays of every key.

    .venv-peers/bin/python scripts/chainer_fixtures/gen_npz.py
"""

import os

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np
from chainer import serializers

from common import OUT_DIR, encode, write

NPZ_DIR = os.path.join(OUT_DIR, "npz")


class Net(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(3, 4)
            self.bn = L.BatchNormalization(4)
            self.l2 = L.Linear(4, 2)

    def __call__(self, x):
        return self.l2(F.relu(self.bn(self.l1(x))))


class Lazy(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, 2)


def main():
    os.makedirs(NPZ_DIR, exist_ok=True)
    np.random.seed(0)
    net = Net()
    opt = chainer.optimizers.Adam(alpha=0.01)
    opt.setup(net)
    x = np.random.standard_normal((5, 3)).astype(np.float32)
    for _ in range(2):
        opt.update(lambda: F.sum(net(x) ** 2))
    for compress, tag in [(True, "compressed"), (False, "stored")]:
        serializers.save_npz(os.path.join(NPZ_DIR, f"model_{tag}.npz"), net, compression=compress)
        serializers.save_npz(os.path.join(NPZ_DIR, f"adam_{tag}.npz"), opt, compression=compress)
    serializers.save_npz(os.path.join(NPZ_DIR, "lazy.npz"), Lazy(), compression=False)
    expected = {}
    for name in ["model_stored", "adam_stored"]:
        with np.load(os.path.join(NPZ_DIR, f"{name}.npz")) as f:
            expected[name] = {k: encode(f[k]) for k in f.files}
    with np.load(os.path.join(NPZ_DIR, "lazy.npz"), allow_pickle=True) as f:
        expected["lazy_keys"] = sorted(f.files)
    write("npz", expected)


if __name__ == "__main__":
    main()
