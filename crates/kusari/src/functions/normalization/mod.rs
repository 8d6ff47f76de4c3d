//! Normalization functions (Chainer's `functions.normalization`):
//! batch normalization (training and fixed), layer and group normalization
//! (both on the batch-normalization loops), local response normalization
//! and L2 normalization.

mod batch;

pub use batch::{
    batch_normalization, batch_normalization_with_stats, fixed_batch_normalization, BatchStats,
};

use super::array::{get_item, pad, Index};
use crate::array::ops::manip::PadMode;
use crate::array::{Array, Error, Result, SliceArg};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions::{
    add, add_constant, broadcast_to, div, expect_float, mul, mul_constant, pow_constant, reshape,
    where_,
};
use crate::Variable;

fn ones(n: usize, like: &Variable) -> Result<Variable> {
    Ok(Variable::constant(
        Array::ones(&[n], like.dtype())?.to_device(like.device())?,
    ))
}

fn zeros(n: usize, like: &Variable) -> Result<Variable> {
    Ok(Variable::constant(
        Array::zeros(&[n], like.dtype())?.to_device(like.device())?,
    ))
}

/// Normalizes each row of a 2-D `x` over its features, then scales by
/// `gamma` and shifts by `beta` (both of shape `(features,)`) (Chainer's
/// `F.layer_normalization`; its `eps` default is `1e-5`).
pub fn layer_normalization(
    x: &Variable,
    gamma: &Variable,
    beta: &Variable,
    eps: f64,
) -> Result<Variable> {
    const OP: &str = "layer_normalization";
    expect_float(OP, "x", x.dtype())?;
    let shape = x.shape();
    if shape.len() != 2 || gamma.shape() != [shape[1]] || beta.shape() != [shape[1]] {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected x.ndim == 2 and gamma.shape == beta.shape == (x.shape[1],), got x {shape:?}, gamma {:?}, beta {:?}",
                gamma.shape(),
                beta.shape()
            ),
        });
    }
    let n = shape[0];
    let x_hat = batch_normalization(x, &ones(n, x)?, &zeros(n, x)?, eps, Some(&[1]))?;
    add(&mul(&x_hat, gamma)?, beta)
}

/// Normalizes each group of `groups` channel groups of each example, then
/// scales and shifts per channel (Chainer's `F.group_normalization`, `eps`
/// default `1e-5`). `x` is `(n, c, ...)` with `c` divisible by `groups`;
/// `gamma` and `beta` are `(c,)`.
pub fn group_normalization(
    x: &Variable,
    groups: usize,
    gamma: &Variable,
    beta: &Variable,
    eps: f64,
) -> Result<Variable> {
    const OP: &str = "group_normalization";
    expect_float(OP, "x", x.dtype())?;
    let shape = x.shape();
    if shape.len() < 2 {
        return Err(Error::Shape {
            op: OP,
            message: format!("expected x.ndim >= 2, got {}", shape.len()),
        });
    }
    let (n, c) = (shape[0], shape[1]);
    if groups == 0 || !c.is_multiple_of(groups) {
        return Err(Error::Value {
            op: OP,
            message: format!("expected x.shape[1] % groups == 0, got {c} % {groups}"),
        });
    }
    if gamma.shape() != [c] || beta.shape() != [c] {
        return Err(Error::Shape {
            op: OP,
            message: format!(
                "expected gamma.shape == beta.shape == ({c},), got {:?} and {:?}",
                gamma.shape(),
                beta.shape()
            ),
        });
    }
    let size: usize = shape.iter().product();
    let rows = n * groups;
    let grouped = reshape(x, &[rows, size / rows.max(1)])?;
    let x_hat = batch_normalization(&grouped, &ones(rows, x)?, &zeros(rows, x)?, eps, Some(&[1]))?;
    let x_hat = reshape(&x_hat, &shape)?;
    let mut pshape = vec![1; shape.len()];
    pshape[1] = c;
    add(
        &mul(&x_hat, &reshape(gamma, &pshape)?)?,
        &reshape(beta, &pshape)?,
    )
}

/// Local response normalization across channels (Chainer's
/// `F.local_response_normalization`; defaults `n = 5, k = 2, alpha = 1e-4,
/// beta = 0.75`): `x / (k + alpha * Σ x²)^beta`, the sum over the `n`
/// channels centred on each (axis 1).
pub fn local_response_normalization(
    x: &Variable,
    n: usize,
    k: f64,
    alpha: f64,
    beta: f64,
) -> Result<Variable> {
    const OP: &str = "local_response_normalization";
    expect_float(OP, "x", x.dtype())?;
    if x.ndim() < 2 {
        return Err(Error::Shape {
            op: OP,
            message: format!("expected x.ndim >= 2, got {}", x.ndim()),
        });
    }
    let half = n / 2;
    let c = x.shape()[1];
    let x2 = mul(x, x)?;
    let mut widths = vec![(0, 0); x.ndim()];
    widths[1] = (half, half);
    let padded = pad(&x2, &widths, PadMode::Constant(0.0))?;
    let mut window = None;
    for i in 0..2 * half + 1 {
        let index = [
            Index::Slice(SliceArg::full()),
            Index::Slice(SliceArg::range(i as isize, (i + c) as isize, 1)),
        ];
        let part = get_item(&padded, &index)?;
        window = Some(match window {
            None => part,
            Some(s) => add(&s, &part)?,
        });
    }
    let window = window.expect("the window has at least one channel");
    let scale = add_constant(&mul_constant(&window, alpha)?, k)?;
    mul(x, &pow_constant(&scale, -beta)?)
}

/// `sqrt(sum(x², axes, keepdims))` whose gradient is 0 (not NaN) where the norm is 0.
struct L2Norm {
    axes: Vec<isize>,
}

impl FunctionNode for L2Norm {
    fn label(&self) -> &str {
        "L2Norm"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].square()?.sum(Some(&self.axes), true)?.sqrt()?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0]
    }
    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let (x, norm) = (ctx.input(0), ctx.output(0));
        let zero = norm.data().equal(0.0)?;
        let one = Variable::constant(Array::ones(&[], norm.dtype())?.to_device(norm.device())?);
        // x is 0 wherever its norm is, so dividing by 1 there gives 0.
        let safe = where_(&zero, &one, &norm)?;
        let g = div(&mul(&broadcast_to(&gy[0], &x.shape())?, &x)?, &safe)?;
        Ok(vec![Some(g)])
    }
}

/// Divides `x` by its L2 norm over `axis` plus `eps` (Chainer's
/// `F.normalize`; defaults `eps = 1e-5`, `axis = [1]`).
pub fn normalize(x: &Variable, eps: f64, axis: &[isize]) -> Result<Variable> {
    const OP: &str = "normalize";
    expect_float(OP, "x", x.dtype())?;
    for &a in axis {
        super::array::norm_axis(OP, a, x.ndim())?;
    }
    let norm = apply1(
        L2Norm {
            axes: axis.to_vec(),
        },
        &[x],
    )?;
    div(x, &add_constant(&norm, eps)?)
}
