#!/usr/bin/env python3
"""The peers of crates/kusari/examples/bench_train.rs: the same three models
(MLP, LeNet-style CNN, LSTM language model), sizes, optimizers and random
inputs in Chainer 7.8.1 and PyTorch (CPU, 2 threads). Prints one JSON line
per framework and model: the median rate over `runs` timed runs of `iters`
updates each, after a warm-up. Run from .venv-peers (scripts/setup_peers_venv.sh).

    python scripts/bench_train_peers.py [iters] [runs]
"""

import json
import sys
import time

import numpy as np

ITERS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
VOCAB, UNITS, BATCH, BPTT = 1000, 200, 20, 35
r = np.random.RandomState(0)
X_MLP = r.standard_normal((100, 784)).astype(np.float32)
X_CNN = r.standard_normal((100, 1, 28, 28)).astype(np.float32)
T = r.randint(0, 10, 100).astype(np.int32)
WORDS = [r.randint(0, VOCAB, BATCH).astype(np.int32) for _ in range(BPTT + 1)]


def rate(iters, per_step, step):
    for _ in range(3):
        step()
    rates = []
    for _ in range(RUNS):
        t = time.perf_counter()
        for _ in range(iters):
            step()
        rates.append(per_step * iters / (time.perf_counter() - t))
    return sorted(rates)[len(rates) // 2]


def emit(fw, model, unit, per_s, **extra):
    print(json.dumps(dict(framework=fw, model=model, unit=unit, per_s=round(per_s, 1), **extra)), flush=True)


def run_chainer():
    import chainer
    import chainer.functions as F
    import chainer.links as L

    class Mlp(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.l1, self.l2, self.l3 = L.Linear(784, 1000), L.Linear(1000, 1000), L.Linear(1000, 10)

        def __call__(self, x):
            return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))

    class LeNet(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.c1, self.c2 = L.Convolution2D(1, 20, 5), L.Convolution2D(20, 50, 5)
                self.f1, self.f2 = L.Linear(800, 500), L.Linear(500, 10)

        def __call__(self, x):
            h = F.relu(F.max_pooling_2d(self.c1(x), 2))
            h = F.relu(F.max_pooling_2d(self.c2(h), 2))
            return self.f2(F.relu(self.f1(h)))

    class Lm(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.embed = L.EmbedID(VOCAB, UNITS)
                self.lstm = L.LSTM(UNITS, UNITS)
                self.out = L.Linear(UNITS, VOCAB)

    def classifier_step(model, opt, x):
        def step():
            loss = F.softmax_cross_entropy(model(x), T)
            model.cleargrads()
            loss.backward()
            opt.update()
        return step

    for name, model, x in (("mlp", Mlp(), X_MLP), ("cnn", LeNet(), X_CNN)):
        opt = chainer.optimizers.Adam()
        opt.setup(model)
        emit("chainer", name, "samples", rate(ITERS, 100, classifier_step(model, opt, x)), version=chainer.__version__)

    lm = Lm()
    opt = chainer.optimizers.SGD()
    opt.setup(lm)

    def lm_step():
        lm.lstm.reset_state()
        loss = 0
        for s in range(BPTT):
            h = lm.lstm(lm.embed(WORDS[s]))
            loss += F.softmax_cross_entropy(lm.out(h), WORDS[s + 1])
        lm.cleargrads()
        loss.backward()
        opt.update()

    emit("chainer", "lstm", "tokens", rate(max(1, -(-ITERS // 4)), BATCH * BPTT, lm_step), version=chainer.__version__)


def run_torch():
    import torch
    import torch.nn as nn
    import torch.nn.functional as TF

    torch.set_num_threads(2)
    t = torch.from_numpy(T).long()

    mlp = nn.Sequential(nn.Linear(784, 1000), nn.ReLU(), nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 10))
    cnn = nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Conv2d(20, 50, 5), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))
    for name, model, x in (("mlp", mlp, X_MLP), ("cnn", cnn, X_CNN)):
        opt = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8)
        xt = torch.from_numpy(x)

        def step():
            loss = TF.cross_entropy(model(xt), t)
            opt.zero_grad()
            loss.backward()
            opt.step()

        emit("pytorch", name, "samples", rate(ITERS, 100, step), version=torch.__version__, threads=torch.get_num_threads())

    words = [torch.from_numpy(w).long() for w in WORDS]
    for variant in ("cell", "fused"):
        embed, out = nn.Embedding(VOCAB, UNITS), nn.Linear(UNITS, VOCAB)
        rnn = nn.LSTMCell(UNITS, UNITS) if variant == "cell" else nn.LSTM(UNITS, UNITS)
        params = list(embed.parameters()) + list(rnn.parameters()) + list(out.parameters())
        opt = torch.optim.SGD(params, lr=0.01)
        inputs = torch.stack(words[:-1])  # (BPTT, BATCH)
        targets = torch.stack(words[1:])

        def step():
            if variant == "cell":
                h = c = torch.zeros(BATCH, UNITS)
                loss = 0
                for s in range(BPTT):
                    h, c = rnn(embed(words[s]), (h, c))
                    loss = loss + TF.cross_entropy(out(h), words[s + 1])
            else:
                hs, _ = rnn(embed(inputs))
                loss = TF.cross_entropy(out(hs).reshape(-1, VOCAB), targets.reshape(-1)) * BPTT
            opt.zero_grad()
            loss.backward()
            opt.step()

        emit("pytorch", f"lstm ({variant})", "tokens", rate(max(1, -(-ITERS // 4)), BATCH * BPTT, step),
             version=torch.__version__, threads=torch.get_num_threads())


for name, fn in (("chainer", run_chainer), ("pytorch", run_torch)):
    try:
        fn()
    except ImportError as e:
        print(json.dumps(dict(framework=name, missing=str(e))))
