//! Training throughput of the three example models, for
//! `scripts/bench_train.sh` (which runs Chainer 7.8.1 and PyTorch on the same
//! models and sizes and prints the ratios):
//! - `mlp`: 784→1000→1000→10 with relu, softmax cross-entropy, Adam, batch 100;
//! - `cnn`: LeNet-style conv 1→20 5×5, max-pool 2, relu, conv 20→50 5×5,
//!   max-pool 2, relu, linear 800→500, relu, linear 500→10; Adam, batch 100;
//! - `lstm`: EmbedID 1000→200, one LSTM of 200 units (the cell function with
//!   upward and lateral linears, as `L.LSTM`), linear 200→1000, batch 20,
//!   truncated BPTT of 35 steps, SGD.
//!
//! Inputs are random (speed does not depend on the values). Prints one JSON
//! line per model: the median over `runs` timed runs of `iters` updates each,
//! after a warm-up, in samples (tokens for the LSTM) per second.
//!
//! `cargo run --release --example bench_train -- [iters] [runs] [model]`

use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::links::{Linear, NStepLSTM};
use kusari::optimizers::{Adam, Optimizer, SGD};
use kusari::{Chain, Forward, Parameter, Result, Variable};
use std::time::Instant;

#[derive(Chain)]
struct Mlp {
    l1: Linear,
    l2: Linear,
    l3: Linear,
}

#[derive(Chain)]
struct LeNet {
    conv1_w: Parameter,
    conv1_b: Parameter,
    conv2_w: Parameter,
    conv2_b: Parameter,
    fc1: Linear,
    fc2: Linear,
}

/// The LSTM language model with the whole BPTT window through one
/// `NStepLSTM` (PyTorch's fused `nn.LSTM` counterpart).
#[derive(Chain)]
struct FusedLstmLm {
    embed: Parameter,
    rnn: NStepLSTM,
    out: Linear,
}

#[derive(Chain)]
struct LstmLm {
    embed: Parameter,
    upward: Linear,
    lateral: Linear,
    out: Linear,
}

fn param(g: &mut Generator, name: &str, shape: &[usize], scale: f64) -> Result<Parameter> {
    Ok(Parameter::new(
        name,
        g.standard_normal(shape, DType::F32)?.mul(scale)?,
    ))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median rate of `runs` timed runs of `iters` calls of `step`, each of
/// which processes `per_step` samples.
fn rate(
    iters: usize,
    runs: usize,
    per_step: f64,
    mut step: impl FnMut() -> Result<()>,
) -> Result<f64> {
    for _ in 0..3 {
        step()?;
    }
    let mut rates = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        for _ in 0..iters {
            step()?;
        }
        rates.push(per_step * iters as f64 / t.elapsed().as_secs_f64());
    }
    Ok(median(rates))
}

fn report(model: &str, unit: &str, per_s: f64) {
    println!("{{\"framework\": \"kusari\", \"model\": \"{model}\", \"unit\": \"{unit}\", \"per_s\": {per_s:.1}}}");
}

fn main() -> Result<()> {
    // The training thread is one of the pool's workers, as in the examples
    // (PyTorch's main thread works in its OpenMP regions too).
    kusari::array::threads::init_thread_pool(None)?;
    let mut args = std::env::args().skip(1);
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let runs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    // An optional third argument picks one model (e.g. for a profiler).
    let only = args.next();
    let want = |model: &str| only.as_deref().is_none_or(|o| o == model);
    let mut g = Generator::new(0);
    kusari::initializers::set_seed(0);

    // MLP.
    let mlp = Mlp {
        l1: Linear::new(784, 1000),
        l2: Linear::new(1000, 1000),
        l3: Linear::new(1000, 10),
    };
    let mut opt = Adam::new();
    opt.setup(&mlp)?;
    let x = g.standard_normal(&[100, 784], DType::F32)?;
    let t = Variable::constant(g.integers(0, 10, &[100], DType::I32)?);
    if want("mlp") {
        let per_s = rate(iters, runs, 100.0, || {
            opt.update_with(&mut || {
                let x = Variable::constant(x.clone());
                let h = F::relu(&mlp.l1.forward(&x)?)?;
                let h = F::relu(&mlp.l2.forward(&h)?)?;
                F::softmax_cross_entropy(&mlp.l3.forward(&h)?, &t)
            })
        })?;
        report("mlp", "samples", per_s);
    }

    // LeNet.
    let cnn = LeNet {
        conv1_w: param(&mut g, "W", &[20, 1, 5, 5], 0.2)?,
        conv1_b: Parameter::new("b", Array::zeros(&[20], DType::F32)?),
        conv2_w: param(&mut g, "W", &[50, 20, 5, 5], 0.045)?,
        conv2_b: Parameter::new("b", Array::zeros(&[50], DType::F32)?),
        fc1: Linear::new(800, 500),
        fc2: Linear::new(500, 10),
    };
    let mut opt = Adam::new();
    opt.setup(&cnn)?;
    let x = g.standard_normal(&[100, 1, 28, 28], DType::F32)?;
    let conv = F::ConvArgs::default();
    if want("cnn") {
        let per_s = rate(iters, runs, 100.0, || {
            opt.update_with(&mut || {
                let x = Variable::constant(x.clone());
                let h =
                    F::convolution_2d(&x, &cnn.conv1_w.var()?, Some(&cnn.conv1_b.var()?), &conv)?;
                let h = F::relu(&F::max_pooling_2d(&h, &[2], None, &[0], true)?)?;
                let h =
                    F::convolution_2d(&h, &cnn.conv2_w.var()?, Some(&cnn.conv2_b.var()?), &conv)?;
                let h = F::relu(&F::max_pooling_2d(&h, &[2], None, &[0], true)?)?;
                let h = F::relu(&cnn.fc1.forward(&h.reshape(&[100, 800])?)?)?;
                F::softmax_cross_entropy(&cnn.fc2.forward(&h)?, &t)
            })
        })?;
        report("cnn", "samples", per_s);
    }

    // LSTM language model, truncated BPTT.
    let (vocab, units, batch, bptt) = (1000usize, 200usize, 20usize, 35usize);
    let lm = LstmLm {
        embed: param(&mut g, "W", &[vocab, units], 1.0)?,
        upward: Linear::new(units, 4 * units),
        lateral: Linear::builder(units, 4 * units).nobias(true).build(),
        out: Linear::new(units, vocab),
    };
    let mut opt = SGD::new();
    opt.setup(&lm)?;
    let words: Vec<Variable> = (0..=bptt)
        .map(|_| {
            Ok(Variable::constant(g.integers(
                0,
                vocab as i64,
                &[batch],
                DType::I32,
            )?))
        })
        .collect::<Result<_>>()?;
    if want("lstm") {
        let per_s = rate(iters.div_ceil(4), runs, (batch * bptt) as f64, || {
            opt.update_with(&mut || {
                let mut c = Variable::constant(Array::zeros(&[batch, units], DType::F32)?);
                let mut h: Option<Variable> = None;
                let mut loss: Option<Variable> = None;
                for s in 0..bptt {
                    let e = F::embed_id(&words[s], &lm.embed.var()?, None)?;
                    let mut gates = lm.upward.forward(&e)?;
                    if let Some(h) = &h {
                        gates = gates + lm.lateral.forward(h)?;
                    }
                    let (c2, h2) = F::lstm(&c, &gates)?;
                    let l = F::softmax_cross_entropy(&lm.out.forward(&h2)?, &words[s + 1])?;
                    loss = Some(match loss {
                        Some(acc) => acc + l,
                        None => l,
                    });
                    c = c2;
                    h = Some(h2);
                }
                Ok(loss.expect("bptt > 0"))
            })
        })?;
        report("lstm", "tokens", per_s);
    }

    // The same model, the BPTT window through one NStepLSTM (fused layer).
    let lm = FusedLstmLm {
        embed: param(&mut g, "W", &[vocab, units], 1.0)?,
        rnn: NStepLSTM::new(1, units, units, 0.0),
        out: Linear::new(units, vocab),
    };
    let mut opt = SGD::new();
    opt.setup(&lm)?;
    let seqs = g
        .integers(0, vocab as i64, &[batch, bptt + 1], DType::I32)?
        .to_vec::<i32>()?;
    let part = |from: usize| -> Result<Vec<i32>> {
        Ok((0..batch)
            .flat_map(|b| seqs[b * (bptt + 1) + from..b * (bptt + 1) + from + bptt].to_vec())
            .collect())
    };
    let (inputs, targets) = (part(0)?, part(1)?);
    let xs: Vec<Variable> = inputs
        .chunks(bptt)
        .map(|s| Ok(Variable::constant(Array::from_vec(s.to_vec(), &[bptt])?)))
        .collect::<Result<_>>()?;
    let t = Variable::constant(Array::from_vec(targets, &[batch * bptt])?);
    if want("lstm (fused)") {
        let per_s = rate(iters.div_ceil(4), runs, (batch * bptt) as f64, || {
            opt.update_with(&mut || {
                let w = lm.embed.var()?;
                let es = xs
                    .iter()
                    .map(|x| F::embed_id(x, &w, None))
                    .collect::<Result<Vec<_>>>()?;
                let (_h, _c, ys) = lm.rnn.forward(None, None, &es)?;
                let refs: Vec<&Variable> = ys.iter().collect();
                let h = F::concat(&refs, 0)?;
                Ok(F::softmax_cross_entropy(&lm.out.forward(&h)?, &t)? * bptt as f64)
            })
        })?;
        report("lstm (fused)", "tokens", per_s);
    }
    Ok(())
}
