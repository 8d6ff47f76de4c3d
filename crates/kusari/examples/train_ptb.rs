//! Trains a recurrent language model (Chainer's `examples/ptb/train_ptb.py`):
//! word embedding → two LSTMs → linear, with dropout, by truncated
//! backpropagation through time and SGD with gradient clipping; reports the
//! training and validation perplexity and, at the end, the test perplexity.
//!
//! ```text
//! cargo run --release --example train_ptb -- [--batchsize 20] [--bproplen 35] [--epoch 3]
//!     [--unit 200] [--gradclip 5] [--device cpu|cuda:0] [--out result]
//!     [--resume result/snapshot_iter_N] [--test] [--model result/model.npz]
//!     [--frequency -1] [--seed 0] [--noplot]
//! ```
//!
//! Uses the Penn Treebank when `ptb.train.txt`, `ptb.valid.txt` and
//! `ptb.test.txt` are in `$KUSARI_DATASET_ROOT/ptb`, and the bundled
//! public-domain corpus otherwise (Alice in Wonderland, As You Like It and
//! Paradise Lost; 120 000 training words, 5 787 ids; see
//! `crates/kusari/data/classics/`). Chainer's defaults are for the full PTB
//! on a GPU (650 units, 39 epochs); the defaults here (200 units, 3 epochs)
//! fit the bundled corpus on a small CPU.
//!
//! Measured on the bundled corpus with the defaults (2-core machine shared
//! with other builds, 5 min 23 s wall, 3 min 3 s CPU): validation perplexity
//! 452.5, 323.3, 265.1 after epochs 1, 2, 3; test perplexity 298.1 (a
//! uniform guess over the 5 787 ids is 5 787). See `docs/BENCHMARKS.md`.
//!
//! Writes `result/log` (with `perplexity` and `val_perplexity`),
//! `result/loss.png`, snapshots and `result/model.npz`.

#[path = "ptb_common/mod.rs"]
mod ptb_common;

use kusari::array::Device;
use kusari::datasets::{get_ptb_words, PtbSource};
use kusari::optimizer_hooks::GradientClipping;
use kusari::optimizers::{Optimizer, SGD};
use kusari::serializers::save_npz;
use kusari::training::extensions::{
    snapshot, snapshot_object, Evaluator, LogReport, PlotReport, PrintReport, ProgressBar,
};
use kusari::training::{IntervalTrigger, Trainer, Unit};
use kusari::{Link, Result, Variable};
use ptb_common::{
    classifier, compute_perplexity, BpttUpdater, ParallelSequentialIterator, RnnForLm,
};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

/// The command-line flags (Chainer's example flags).
struct Args {
    batchsize: usize,
    bproplen: usize,
    epoch: u64,
    unit: usize,
    gradclip: f64,
    device: Device,
    out: String,
    resume: Option<String>,
    test: bool,
    model: Option<String>,
    frequency: i64,
    seed: u64,
    plot: bool,
}

const USAGE: &str = "usage: train_ptb [--batchsize N] [--bproplen N] [--epoch N] [--unit N] \
[--gradclip X] [--device cpu|cuda:N] [--out DIR] [--resume SNAPSHOT] [--test] [--model FILE] \
[--frequency N] [--seed N] [--noplot]";

fn parse_args() -> std::result::Result<Args, String> {
    let mut a = Args {
        batchsize: 20,
        bproplen: 35,
        epoch: 3,
        unit: 200,
        gradclip: 5.0,
        device: Device::Cpu,
        out: "result".into(),
        resume: None,
        test: false,
        model: None,
        frequency: -1,
        seed: 0,
        plot: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--noplot" => {
                a.plot = false;
                continue;
            }
            "--test" => {
                a.test = true;
                continue;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            _ => {}
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}\n{USAGE}");
        match flag.as_str() {
            "--batchsize" | "-b" => a.batchsize = value.parse().map_err(|e| bad(&e))?,
            "--bproplen" | "-l" => a.bproplen = value.parse().map_err(|e| bad(&e))?,
            "--epoch" | "-e" => a.epoch = value.parse().map_err(|e| bad(&e))?,
            "--unit" | "-u" => a.unit = value.parse().map_err(|e| bad(&e))?,
            "--gradclip" | "-c" => a.gradclip = value.parse().map_err(|e| bad(&e))?,
            "--device" | "-d" => a.device = Device::parse(&value).map_err(|e| bad(&e))?,
            "--out" | "-o" => a.out = value,
            "--resume" | "-r" => a.resume = Some(value),
            "--model" | "-m" => a.model = Some(value),
            "--frequency" | "-f" => a.frequency = value.parse().map_err(|e| bad(&e))?,
            "--seed" => a.seed = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if a.batchsize == 0 || a.bproplen == 0 || a.unit == 0 {
        return Err(format!(
            "--batchsize, --bproplen and --unit must be positive\n{USAGE}"
        ));
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
    // This thread takes part in the CPU kernels' work (as in train_mnist).
    let started = kusari::array::threads::init_thread_pool(None);
    if let Err(e) = started.and_then(|()| run(&args)) {
        eprintln!("train_ptb: {e}");
        std::process::exit(1);
    }
}

fn words(a: &kusari::array::Array, test: bool) -> Result<Arc<Vec<i32>>> {
    let mut v = a.to_vec::<i32>()?;
    // Chainer's --test: the first 100 words of each split.
    if test {
        v.truncate(100);
    }
    Ok(Arc::new(v))
}

fn run(args: &Args) -> Result<()> {
    kusari::functions::set_seed(args.seed);
    let ptb = get_ptb_words(None)?;
    if let PtbSource::Files(dir) = &ptb.source {
        println!("PTB: the Penn Treebank from {}", dir.display());
    }
    let n_vocab = ptb.vocab.len();
    let (train, val, test) = (
        words(&ptb.train, args.test)?,
        words(&ptb.valid, args.test)?,
        words(&ptb.test, args.test)?,
    );
    println!("#vocab = {n_vocab}");
    println!("Device: {}", args.device);
    println!("# unit: {}", args.unit);
    println!("# Minibatch-size: {}", args.batchsize);
    println!("# bproplen: {}", args.bproplen);
    println!("# epoch: {}", args.epoch);
    println!();

    let train_iter = ParallelSequentialIterator::new(train, args.batchsize, true)?;
    let val_iter = ParallelSequentialIterator::new(val, 1, false)?;
    let test_iter = ParallelSequentialIterator::new(test, 1, false)?;

    let rnn = RnnForLm::new(n_vocab, args.unit, args.seed)?;
    // Chainer's `model.copy()`: the clone shares the parameters but keeps its
    // own LSTM state, so evaluation leaves the training state alone.
    let eval_rnn = rnn.clone();
    let model = Rc::new(classifier(rnn));
    let eval_model = Rc::new(classifier(eval_rnn));
    model.to_device(args.device)?;

    let mut optimizer = SGD::new();
    optimizer.set_hyperparam("lr", 1.0)?;
    optimizer.setup(model.as_ref())?;
    optimizer.add_hook(Box::new(GradientClipping::new(args.gradclip)))?;

    let device = (args.device != Device::Cpu).then_some(args.device);
    let updater = BpttUpdater::new(train_iter, optimizer, model.clone(), args.bproplen, device)?;
    let mut trainer = Trainer::new(updater, (args.epoch, Unit::Epoch), &args.out);

    let em = eval_model.clone();
    let hook_model = eval_model.clone();
    let mut evaluator = Evaluator::new(val_iter, eval_model.clone(), move |b: &[Variable]| {
        em.forward(&b[0], &b[1]).map(|_| ())
    })
    .eval_hook(move || {
        hook_model.predictor.reset_state();
        Ok(())
    });
    if let Some(d) = device {
        evaluator = evaluator.device(d);
    }
    trainer.extend(evaluator)?;

    // Chainer logs every 500 iterations of the full PTB (1 327 per epoch);
    // the bundled corpus has 171, so a line every quarter epoch, which also
    // puts each epoch's validation perplexity on the line at its end.
    let interval = || -> IntervalTrigger {
        if args.test {
            (10, Unit::Iteration).into()
        } else {
            (0.25, Unit::Epoch).into()
        }
    };
    trainer.extend(
        LogReport::new()
            .postprocess(compute_perplexity)
            .trigger(interval()),
    )?;
    trainer.extend_with(
        PrintReport::new(&[
            "epoch",
            "iteration",
            "perplexity",
            "val_perplexity",
            "elapsed_time",
        ]),
        None,
        Some(Box::new(interval())),
        None,
    )?;
    trainer.extend(ProgressBar::new().update_interval(if args.test { 1 } else { 10 }))?;
    if args.plot {
        trainer.extend(PlotReport::new(
            &["main/loss", "validation/main/loss"],
            "epoch",
            "loss.png",
        )?)?;
    }
    // Snapshots every `frequency` epochs (at the end by default).
    let frequency = if args.frequency == -1 {
        args.epoch.max(1)
    } else {
        args.frequency.max(1) as u64
    };
    trainer.extend_with(
        snapshot(),
        None,
        Some((frequency, Unit::Epoch).into()),
        None,
    )?;
    trainer.extend_with(
        snapshot_object(model.clone(), "model_iter_{.updater.iteration}"),
        None,
        Some((frequency, Unit::Epoch).into()),
        None,
    )?;

    if let Some(path) = &args.resume {
        trainer.load_snapshot(path)?;
    }
    trainer.run()?;

    // The final model on the test set.
    println!("test");
    eval_model.predictor.reset_state();
    let em = eval_model.clone();
    let mut evaluator = Evaluator::new(test_iter, eval_model.clone(), move |b: &[Variable]| {
        em.forward(&b[0], &b[1]).map(|_| ())
    })
    .name("test");
    if let Some(d) = device {
        evaluator = evaluator.device(d);
    }
    let result = evaluator.evaluate()?;
    let loss = result
        .get("test/main/loss")
        .ok_or_else(|| kusari::Error::Value {
            op: "train_ptb",
            message: "expected test/main/loss from the test evaluation, found nothing".into(),
        })?;
    println!("test perplexity: {}", loss.exp());

    let path = args
        .model
        .as_ref()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(&args.out).join("model.npz"));
    save_npz(&path, model.as_ref(), true)?;
    println!("saved the model to {}", path.display());
    Ok(())
}
