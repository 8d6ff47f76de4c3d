//! Trains a multi-layer perceptron on MNIST (Chainer's `examples/mnist/train_mnist.py`).
//!
//! ```text
//! cargo run --release --example train_mnist -- [--batchsize 100] [--epoch 20] [--unit 1000]
//!     [--device cpu|cuda:0] [--out result] [--resume result/snapshot_iter_N]
//!     [--frequency -1] [--seed 0] [--noplot]
//! ```
//!
//! Uses the full MNIST when its IDX files are under `$KUSARI_DATASET_ROOT/mnist`
//! and the bundled 8 000 / 2 000 real-digit sample otherwise. Writes
//! `result/log`, `result/loss.png`, `result/accuracy.png`, `result/cg.dot`
//! and snapshots, as Chainer's example does.

#[path = "mnist_common/mod.rs"]
mod mnist_common;

use kusari::links::Linear;
use kusari::{functions as F, Chain, Forward, Result, Variable};

/// The network: three fully-connected layers with ReLU between them.
#[derive(Chain)]
struct Mlp {
    l1: Linear,
    l2: Linear,
    l3: Linear,
}

impl Mlp {
    fn new(n_units: usize, n_out: usize) -> Mlp {
        // Input sizes are inferred at the first forward, as `L.Linear(None, n)`.
        Mlp {
            l1: Linear::new(None, n_units),
            l2: Linear::new(None, n_units),
            l3: Linear::new(None, n_out),
        }
    }
}

impl Forward for Mlp {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        let h1 = F::relu(&self.l1.forward(x)?)?;
        let h2 = F::relu(&self.l2.forward(&h1)?)?;
        self.l3.forward(&h2)
    }
}

fn main() {
    mnist_common::main_with(1, |n_units| Mlp::new(n_units, 10));
}
