//! Margin losses: `hinge`, `contrastive`, `triplet`. Written with
//! differentiable functions; the kinks use masks taken from the forward
//! values, so the gradients there are Chainer's.

use super::prims::mul_const;
use super::{expect_reduce, expect_same_shape, labels, Reduce};
use crate::array::{Array, Error, Result};
use crate::functions::{self as F, expect_float, expect_same_dtype};
use crate::Variable;

/// The norm of [`hinge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HingeNorm {
    /// `max(0, 1 - delta x)` (Chainer's `'L1'`).
    L1,
    /// `max(0, 1 - delta x)^2` (Chainer's `'L2'`).
    L2,
}

fn mean_or_no(y: Variable, reduce: Reduce, n: usize) -> Result<Variable> {
    match reduce {
        Reduce::No => Ok(y),
        _ => F::mul_constant(&F::sum(&y, None, false)?, 1.0 / n as f64),
    }
}

fn expect_labels_1d(op: &'static str, name: &str, x: &Array, t: &Array) -> Result<()> {
    if t.ndim() != 1 || t.shape()[0] != x.shape()[0] {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected {name}.ndim == 1 and {name}.shape[0] == x.shape[0], got {name}.shape {:?} and x.shape {:?}",
                t.shape(),
                x.shape()
            ),
        });
    }
    Ok(())
}

/// The hinge loss of a one-of-many classification (Chainer's `F.hinge`):
/// `x` is `(N, K)`, `t` holds `N` labels in `0..K`; each element is
/// `max(0, 1 - delta x)^p` with `delta` 1 at the label and -1 elsewhere.
/// `Reduce::Mean` divides the sum by `N`; `Reduce::No` returns the `(N, K)` values.
pub fn hinge(x: &Variable, t: &Variable, norm: HingeNorm, reduce: Reduce) -> Result<Variable> {
    const OP: &str = "hinge";
    expect_reduce(OP, reduce, &[Reduce::Mean, Reduce::No])?;
    let (n, sign) = {
        let (xd, td) = (x.data(), t.data());
        expect_float(OP, "x", xd.dtype())?;
        if xd.ndim() != 2 {
            return Err(Error::Shape {
                op: OP,
                message: format!("expected x.ndim == 2, got shape {:?}", xd.shape()),
            });
        }
        let tl = labels(OP, &td)?;
        expect_labels_1d(OP, "t", &xd, &td)?;
        let (n, k) = (xd.shape()[0], xd.shape()[1]);
        let mut sign = vec![1.0f64; n * k];
        for (i, &l) in tl.iter().enumerate() {
            if l < 0 || l >= k as i64 {
                return Err(Error::Value {
                    op: OP,
                    message: format!("each label t must satisfy 0 <= t < x.shape[1] (= {k}), got t = {l} at index {i}"),
                });
            }
            sign[i * k + l as usize] = -1.0;
        }
        (
            n,
            Array::from_vec(sign, &[n, k])?
                .astype(xd.dtype())?
                .to_device(xd.device())?,
        )
    };
    let m = F::relu(&F::add_constant(&mul_const(x, sign)?, 1.0)?)?;
    let y = match norm {
        HingeNorm::L1 => m,
        HingeNorm::L2 => F::mul(&m, &m)?,
    };
    mean_or_no(y, reduce, n)
}

fn check_pairs(op: &'static str, names: &[&str], xs: &[&Variable]) -> Result<()> {
    let first = xs[0].data();
    expect_float(op, names[0], first.dtype())?;
    if first.ndim() != 2 || first.shape()[0] == 0 {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected {}.ndim == 2 and {0}.shape[0] > 0, got shape {:?}",
                names[0],
                first.shape()
            ),
        });
    }
    for (x, name) in xs.iter().zip(names).skip(1) {
        let d = x.data();
        expect_same_dtype(op, first.dtype(), d.dtype())?;
        expect_same_shape(op, (names[0], name), &first, &d)?;
    }
    Ok(())
}

/// Squared distance of rows, `sum((a - b)^2, axis=1)`.
fn row_sq_dist(a: &Variable, b: &Variable) -> Result<Variable> {
    let d = F::sub(a, b)?;
    F::sum(&F::mul(&d, &d)?, Some(&[1]), false)
}

/// The contrastive loss of pairs (Chainer's `F.contrastive`): with
/// `d = ||x0_n - x1_n||`, `L_n = (y_n d^2 + (1 - y_n) max(margin - d, 0)^2) / 2`;
/// `x0`, `x1` are `(N, K)`, `y` holds `N` labels 0 or 1. `Reduce::Mean`
/// divides the sum by `N`; `Reduce::No` returns `(N,)`.
pub fn contrastive(
    x0: &Variable,
    x1: &Variable,
    y: &Variable,
    margin: f64,
    reduce: Reduce,
) -> Result<Variable> {
    const OP: &str = "contrastive";
    if margin <= 0.0 {
        return Err(Error::Value {
            op: OP,
            message: format!("margin should be positive value, got {margin}"),
        });
    }
    expect_reduce(OP, reduce, &[Reduce::Mean, Reduce::No])?;
    check_pairs(OP, &["x0", "x1"], &[x0, x1])?;
    let (n, yf) = {
        let (xd, yd) = (x0.data(), y.data());
        labels(OP, &yd)?;
        expect_labels_1d(OP, "y", &xd, &yd)?;
        (xd.shape()[0], yd.astype(xd.dtype())?)
    };
    let dist_sq = row_sq_dist(x0, x1)?;
    let dist = F::pow_constant(&dist_sq, 0.5)?;
    let md = F::relu(&F::rsub_constant(&dist, margin)?)?;
    let similar = mul_const(&dist_sq, yf.clone())?;
    let dissimilar = mul_const(&F::mul(&md, &md)?, yf.multiply(-1.0)?.add(1.0)?)?;
    let l = F::mul_constant(&F::add(&similar, &dissimilar)?, 0.5)?;
    mean_or_no(l, reduce, n)
}

/// The triplet loss (Chainer's `F.triplet`): with squared distances
/// `d(a, b) = ||a_i - b_i||^2`, `L_i = max(d(anchor, positive) - d(anchor, negative) + margin, 0)`;
/// all inputs `(N, K)`. `Reduce::Mean` divides the sum by `N`; `Reduce::No` returns `(N,)`.
pub fn triplet(
    anchor: &Variable,
    positive: &Variable,
    negative: &Variable,
    margin: f64,
    reduce: Reduce,
) -> Result<Variable> {
    const OP: &str = "triplet";
    if margin <= 0.0 {
        return Err(Error::Value {
            op: OP,
            message: format!("margin should be positive value, got {margin}"),
        });
    }
    expect_reduce(OP, reduce, &[Reduce::Mean, Reduce::No])?;
    check_pairs(
        OP,
        &["anchor", "positive", "negative"],
        &[anchor, positive, negative],
    )?;
    let n = anchor.shape()[0];
    let dp = row_sq_dist(anchor, positive)?;
    let dn = row_sq_dist(anchor, negative)?;
    let l = F::relu(&F::add_constant(&F::sub(&dp, &dn)?, margin)?)?;
    mean_or_no(l, reduce, n)
}
