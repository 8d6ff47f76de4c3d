//! The variational auto-encoder losses of Chainer's `vae.py`:
//! `gaussian_kl_divergence`, `gaussian_nll`, `bernoulli_nll`, composed of
//! differentiable functions as Chainer composes them.

use super::{expect_reduce, expect_same_shape, Reduce};
use crate::array::Result;
use crate::functions::{self as F, expect_float, expect_same_dtype};
use crate::Variable;

fn reduce_all(loss: Variable, reduce: Reduce) -> Result<Variable> {
    match reduce {
        Reduce::Sum => F::sum(&loss, None, false),
        Reduce::Mean => {
            let n = loss.size() as f64;
            F::mul_constant(&F::sum(&loss, None, false)?, 1.0 / n)
        }
        _ => Ok(loss),
    }
}

fn check(op: &'static str, names: &[&str], xs: &[&Variable], reduce: Reduce) -> Result<()> {
    expect_reduce(op, reduce, &[Reduce::Sum, Reduce::Mean, Reduce::No])?;
    let first = xs[0].data();
    expect_float(op, names[0], first.dtype())?;
    for (x, name) in xs.iter().zip(names).skip(1) {
        let d = x.data();
        expect_same_dtype(op, first.dtype(), d.dtype())?;
        expect_same_shape(op, (names[0], name), &first, &d)?;
    }
    Ok(())
}

/// KL divergence of `N(mean, exp(ln_var))` from `N(0, I)`, elementwise
/// `(mean^2 + exp(ln_var) - ln_var - 1) / 2`, then summed (`Reduce::Sum`,
/// Chainer's default), averaged (`Reduce::Mean`) or not (`Reduce::No`).
pub fn gaussian_kl_divergence(
    mean: &Variable,
    ln_var: &Variable,
    reduce: Reduce,
) -> Result<Variable> {
    check(
        "gaussian_kl_divergence",
        &["mean", "ln_var"],
        &[mean, ln_var],
        reduce,
    )?;
    let var = F::exp(ln_var)?;
    let l = F::add_constant(&F::sub(&F::add(&F::mul(mean, mean)?, &var)?, ln_var)?, -1.0)?;
    reduce_all(F::mul_constant(&l, 0.5)?, reduce)
}

/// Negative log-likelihood of `x` under `N(mean, exp(ln_var))`, elementwise
/// `(ln_var + log(2 pi)) / 2 + (x - mean)^2 exp(-ln_var) / 2`, reduced as in
/// [`gaussian_kl_divergence`].
pub fn gaussian_nll(
    x: &Variable,
    mean: &Variable,
    ln_var: &Variable,
    reduce: Reduce,
) -> Result<Variable> {
    check(
        "gaussian_nll",
        &["x", "mean", "ln_var"],
        &[x, mean, ln_var],
        reduce,
    )?;
    let prec = F::exp(&F::neg(ln_var)?)?;
    let d = F::sub(x, mean)?;
    let power = F::mul_constant(&F::mul(&F::mul(&d, &d)?, &prec)?, 0.5)?;
    let half_log = F::mul_constant(
        &F::add_constant(ln_var, (2.0 * std::f64::consts::PI).ln())?,
        0.5,
    )?;
    reduce_all(F::add(&half_log, &power)?, reduce)
}

/// Negative log-likelihood of `x` under Bernoulli distributions with
/// pre-sigmoid parameters `y`, elementwise `softplus(y) - x y`, reduced as in
/// [`gaussian_kl_divergence`].
pub fn bernoulli_nll(x: &Variable, y: &Variable, reduce: Reduce) -> Result<Variable> {
    check("bernoulli_nll", &["x", "y"], &[x, y], reduce)?;
    reduce_all(F::sub(&F::softplus(y, 1.0)?, &F::mul(x, y)?)?, reduce)
}
