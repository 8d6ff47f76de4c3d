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

use kusari::array::Device;
use kusari::datasets::{get_mnist, MnistOptions, MnistSource};
use kusari::iterators::SerialIterator;
use kusari::links::{Classifier, Linear};
use kusari::optimizers::{Adam, Optimizer};
use kusari::training::extensions::{
    snapshot, DumpGraph, Evaluator, LogReport, PlotReport, PrintReport, ProgressBar,
};
use kusari::training::{StandardUpdater, Trainer, Unit};
use kusari::{functions as F, Chain, Forward, Link, Result, Variable};
use std::rc::Rc;
use std::sync::Arc;

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

struct Args {
    batchsize: usize,
    epoch: u64,
    frequency: i64,
    device: Device,
    out: String,
    resume: Option<String>,
    unit: usize,
    seed: u64,
    plot: bool,
}

const USAGE: &str = "usage: train_mnist [--batchsize N] [--epoch N] [--frequency N] \
[--device cpu|cuda:N] [--out DIR] [--resume SNAPSHOT] [--unit N] [--seed N] [--noplot]";

fn parse_args() -> std::result::Result<Args, String> {
    let mut a = Args {
        batchsize: 100,
        epoch: 20,
        frequency: -1,
        device: Device::Cpu,
        out: "result".into(),
        resume: None,
        unit: 1000,
        seed: 0,
        plot: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--noplot" {
            a.plot = false;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.into());
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}\n{USAGE}");
        match flag.as_str() {
            "--batchsize" | "-b" => a.batchsize = value.parse().map_err(|e| bad(&e))?,
            "--epoch" | "-e" => a.epoch = value.parse().map_err(|e| bad(&e))?,
            "--frequency" | "-f" => a.frequency = value.parse().map_err(|e| bad(&e))?,
            "--device" | "-d" => a.device = Device::parse(&value).map_err(|e| bad(&e))?,
            "--out" | "-o" => a.out = value,
            "--resume" | "-r" => a.resume = Some(value),
            "--unit" | "-u" => a.unit = value.parse().map_err(|e| bad(&e))?,
            "--seed" => a.seed = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("train_mnist: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<()> {
    println!("Device: {}", args.device);
    println!("# unit: {}", args.unit);
    println!("# Minibatch-size: {}", args.batchsize);
    println!("# epoch: {}", args.epoch);
    println!();

    // One seed makes the run reproducible: initial weights, shuffling.
    kusari::initializers::set_seed(args.seed);
    kusari::functions::set_seed(args.seed);

    let model = Rc::new(
        Classifier::with_lossfun(Mlp::new(args.unit, 10), Rc::new(F::softmax_cross_entropy))
            .accfun(Rc::new(|y: &Variable, t: &Variable| {
                F::accuracy(y, t, None)
            })),
    );
    model.to_device(args.device)?;
    let mut optimizer = Adam::new();
    optimizer.setup(model.as_ref())?;

    let mnist = get_mnist(&MnistOptions::default())?;
    // get_mnist itself says on stderr when it falls back to the bundled sample.
    if let MnistSource::Files(dir) = &mnist.source {
        println!("MNIST: the full data set from {}", dir.display());
    }
    let train_iter =
        SerialIterator::new(Arc::new(mnist.train), args.batchsize, true, true, args.seed)?;
    let test_iter = SerialIterator::new(Arc::new(mnist.test), args.batchsize, false, false, 0)?;

    let m = model.clone();
    let updater = StandardUpdater::new(
        train_iter,
        optimizer,
        model.clone(),
        move |b: &[Variable]| m.forward(&b[0], &b[1]),
    )
    .with_device(args.device);
    let mut trainer = Trainer::new(updater, (args.epoch, Unit::Epoch), &args.out);

    let m = model.clone();
    trainer.extend(
        Evaluator::new(test_iter, model.clone(), move |b: &[Variable]| {
            m.forward(&b[0], &b[1]).map(|_| ())
        })
        .device(args.device),
    )?;
    // The graph of the loss, for `dot -Tpng result/cg.dot`.
    trainer.extend(DumpGraph::new("main/loss"))?;
    // A snapshot every `frequency` epochs (at the end by default).
    let frequency = if args.frequency == -1 {
        args.epoch
    } else {
        args.frequency.max(1) as u64
    };
    trainer.extend_with(
        snapshot(),
        None,
        Some((frequency, Unit::Epoch).into()),
        None,
    )?;
    trainer.extend(LogReport::new())?;
    if args.plot {
        trainer.extend(PlotReport::new(
            &["main/loss", "validation/main/loss"],
            "epoch",
            "loss.png",
        )?)?;
        trainer.extend(PlotReport::new(
            &["main/accuracy", "validation/main/accuracy"],
            "epoch",
            "accuracy.png",
        )?)?;
    }
    trainer.extend(PrintReport::new(&[
        "epoch",
        "main/loss",
        "validation/main/loss",
        "main/accuracy",
        "validation/main/accuracy",
        "elapsed_time",
    ]))?;
    trainer.extend(ProgressBar::new())?;

    if let Some(path) = &args.resume {
        trainer.load_snapshot(path)?;
    }
    trainer.run()
}
