//! Small differentiable building blocks the losses and recurrent functions
//! compose their double-backward paths from: `sigmoid`, `tanh`, `split`,
//! `concat`, and compositions (`softmax`, `softplus`, masks)
//! of the basic functions. Kept crate-private: the public activations and
//! array functions live in their own modules.

use crate::array::ops::manip;
use crate::array::{Array, Error, Result};
use crate::function_node::{apply, apply1, BackwardContext, FunctionNode};
use crate::functions as F;
use crate::Variable;

struct Sigmoid;
impl FunctionNode for Sigmoid {
    fn label(&self) -> &str {
        "Sigmoid"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].sigmoid()?])
    }
    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let y = ctx.output(0);
        // y' = y (1 - y), written in y so the second derivative follows.
        Ok(vec![Some(F::mul(
            &gy[0],
            &F::mul(&y, &F::rsub_constant(&y, 1.0)?)?,
        )?)])
    }
}

/// `1 / (1 + e^-x)`.
pub(crate) fn sigmoid(x: &Variable) -> Result<Variable> {
    apply1(Sigmoid, &[x])
}

struct Tanh;
impl FunctionNode for Tanh {
    fn label(&self) -> &str {
        "Tanh"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].tanh()?])
    }
    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let y = ctx.output(0);
        Ok(vec![Some(F::mul(
            &gy[0],
            &F::rsub_constant(&F::mul(&y, &y)?, 1.0)?,
        )?)])
    }
}

/// Hyperbolic tangent.
pub(crate) fn tanh(x: &Variable) -> Result<Variable> {
    apply1(Tanh, &[x])
}

struct Split {
    axis: usize,
    sizes: Vec<usize>,
}
impl FunctionNode for Split {
    fn label(&self) -> &str {
        "SplitAxis"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let mut cuts = Vec::with_capacity(self.sizes.len());
        let mut at = 0;
        for &s in &self.sizes[..self.sizes.len() - 1] {
            at += s;
            cuts.push(at);
        }
        manip::split_at(x[0], &cuts, self.axis as isize)
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let refs: Vec<&Variable> = gy.iter().collect();
        Ok(vec![Some(concat(&refs, self.axis)?)])
    }
}

/// Splits `x` along `axis` into pieces of `sizes` (which must add up to its length).
pub(crate) fn split(x: &Variable, axis: usize, sizes: &[usize]) -> Result<Vec<Variable>> {
    let total: usize = sizes.iter().sum();
    if sizes.is_empty() || x.shape().get(axis) != Some(&total) {
        return Err(Error::Shape {
            op: "split_axis",
            message: format!(
                "cannot split shape {:?} along axis {axis} into {sizes:?}",
                x.shape()
            ),
        });
    }
    if sizes.len() == 1 {
        return Ok(vec![x.clone()]);
    }
    apply(
        Split {
            axis,
            sizes: sizes.to_vec(),
        },
        &[x],
    )
}

struct Concat {
    axis: usize,
}
impl FunctionNode for Concat {
    fn label(&self) -> &str {
        "Concat"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![manip::concatenate(x, self.axis as isize)?])
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let n = ctx.call.inputs.len();
        let sizes: Vec<usize> = (0..n).map(|i| ctx.input_shape(i)[self.axis]).collect();
        Ok(split(&gy[0], self.axis, &sizes)?
            .into_iter()
            .map(Some)
            .collect())
    }
}

/// Joins `xs` along `axis`.
pub(crate) fn concat(xs: &[&Variable], axis: usize) -> Result<Variable> {
    if xs.len() == 1 {
        return Ok(xs[0].clone());
    }
    apply1(Concat { axis }, xs)
}

/// `x * m` for a constant array `m` (masks, signs, weights).
pub(crate) fn mul_const(x: &Variable, m: Array) -> Result<Variable> {
    F::mul(x, &Variable::constant(m))
}

/// `|x|` (the gradient at 0 is 0, as `sign(0)` is).
pub(crate) fn abs(x: &Variable) -> Result<Variable> {
    let s = x.data().sign()?;
    mul_const(x, s)
}

/// `max(x, 0)`.
pub(crate) fn relu(x: &Variable) -> Result<Variable> {
    let d = x.data();
    let m = d.greater(0.0)?.astype(d.dtype())?;
    drop(d);
    mul_const(x, m)
}

/// `log(1 + e^x)` computed as `max(x, 0) + log(1 + e^-|x|)` so it never overflows.
pub(crate) fn softplus(x: &Variable) -> Result<Variable> {
    let t = F::log(&F::add_constant(&F::exp(&F::neg(&abs(x)?)?)?, 1.0)?)?;
    F::add(&relu(x)?, &t)
}

/// `x` minus its (constant) maximum along `axis`: softmax and log-softmax do
/// not change under a shift, so the shift needs no gradient.
fn shifted(x: &Variable, axis: usize) -> Result<Variable> {
    let m = x.data().max(Some(&[axis as isize]), true)?;
    F::sub(x, &Variable::constant(m))
}

/// Softmax along `axis`.
pub(crate) fn softmax(x: &Variable, axis: usize) -> Result<Variable> {
    let e = F::exp(&shifted(x, axis)?)?;
    let s = F::sum(&e, Some(&[axis as isize]), true)?;
    F::div(&e, &F::broadcast_to(&s, &x.shape())?)
}

/// `x` broadcast to `shape` after inserting length-1 axes at `axis` positions
/// so that a per-sample value lines up with a per-element one.
pub(crate) fn expand_to(x: &Variable, axis: usize, shape: &[usize]) -> Result<Variable> {
    let mut s = x.shape();
    if s.len() < shape.len() {
        s.insert(axis.min(s.len()), 1);
    }
    let r = F::reshape(x, &s)?;
    F::broadcast_to(&r, shape)
}
