//! Trains a LeNet-style convolutional network on MNIST: the same flags,
//! data and outputs as `train_mnist` (see there), with 1×28×28 images.
//!
//! ```text
//! cargo run --release --example train_mnist_cnn -- [--epoch 20] [--out result] ...
//! ```
//! `--unit` sets the width of the hidden fully-connected layer (default 1000).

#[path = "mnist_common/mod.rs"]
mod mnist_common;

use kusari::links::{Convolution2D, Linear};
use kusari::{functions as F, Chain, Forward, Result, Variable};

/// conv 5×5 → max-pool 2 → relu, twice, then two fully-connected layers.
#[derive(Chain)]
struct LeNet {
    conv1: Convolution2D,
    conv2: Convolution2D,
    fc1: Linear,
    fc2: Linear,
}

impl Forward for LeNet {
    fn forward(&self, x: &Variable) -> Result<Variable> {
        let pool = |h: &Variable| F::max_pooling_2d(h, &[2], None, &[0], true);
        let h = F::relu(&pool(&self.conv1.forward(x)?)?)?;
        let h = F::relu(&pool(&self.conv2.forward(&h)?)?)?;
        let h = F::relu(&self.fc1.forward(&h)?)?;
        self.fc2.forward(&h)
    }
}

fn main() {
    mnist_common::main_with(3, |n_units| LeNet {
        // Input sizes are inferred at the first forward, as in Chainer.
        conv1: Convolution2D::new(None, 20, 5),
        conv2: Convolution2D::new(None, 50, 5),
        fc1: Linear::new(None, n_units),
        fc2: Linear::new(None, 10),
    });
}
