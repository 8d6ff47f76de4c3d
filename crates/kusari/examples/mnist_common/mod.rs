//! What `train_mnist` and `train_mnist_cnn` share: Chainer's example flags
//! and the trainer with its extensions (evaluation, graph, snapshots, log,
//! plots, table, progress bar). Included by both examples with `#[path]`.

use kusari::array::Device;
use kusari::datasets::{get_mnist, MnistOptions, MnistSource};
use kusari::iterators::SerialIterator;
use kusari::links::Classifier;
use kusari::optimizers::{Adam, Optimizer};
use kusari::training::extensions::{
    snapshot, DumpGraph, Evaluator, LogReport, PlotReport, PrintReport, ProgressBar,
};
use kusari::training::{StandardUpdater, Trainer, Unit};
use kusari::{functions as F, Forward, Link, Result, Variable};
use std::rc::Rc;
use std::sync::Arc;

/// The command-line flags (Chainer's example flags).
pub struct Args {
    pub batchsize: usize,
    pub epoch: u64,
    pub frequency: i64,
    pub device: Device,
    pub out: String,
    pub resume: Option<String>,
    pub unit: usize,
    pub seed: u64,
    pub plot: bool,
}

const USAGE: &str = "usage: train_mnist[_cnn] [--batchsize N] [--epoch N] [--frequency N] \
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

/// Parses the flags, builds the predictor with `build(n_units)` and trains it;
/// exits with a message on an error.
pub fn main_with<P: Forward + Link + 'static>(ndim: usize, build: impl FnOnce(usize) -> P) {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    // This thread takes part in the CPU kernels' work: one thread wake-up
    // per parallel operation instead of two.
    let started = kusari::array::threads::init_thread_pool(None);
    if let Err(e) = started.and_then(|()| run(&args, ndim, build)) {
        eprintln!("train_mnist: {e}");
        std::process::exit(1);
    }
}

fn run<P: Forward + Link + 'static>(
    args: &Args,
    ndim: usize,
    build: impl FnOnce(usize) -> P,
) -> Result<()> {
    println!("Device: {}", args.device);
    println!("# unit: {}", args.unit);
    println!("# Minibatch-size: {}", args.batchsize);
    println!("# epoch: {}", args.epoch);
    println!();

    // One seed makes the run reproducible: initial weights, shuffling.
    kusari::initializers::set_seed(args.seed);
    kusari::functions::set_seed(args.seed);

    let model = Rc::new(
        Classifier::with_lossfun(build(args.unit), Rc::new(F::softmax_cross_entropy)).accfun(
            Rc::new(|y: &Variable, t: &Variable| F::accuracy(y, t, None)),
        ),
    );
    model.to_device(args.device)?;
    let mut optimizer = Adam::new();
    optimizer.setup(model.as_ref())?;

    let mnist = get_mnist(&MnistOptions {
        ndim,
        ..MnistOptions::default()
    })?;
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
