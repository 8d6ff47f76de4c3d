//! Small differentiable building blocks the losses and recurrent functions
//! compose their double-backward paths from (`split`, `concat` on `usize`
//! axes without the public functions' checks, constant masks, broadcasting a
//! per-sample value). Activations come from the public `functions`.

use crate::array::ops::manip;
use crate::array::{Array, Error, Result};
use crate::function_node::{apply, apply1, BackwardContext, FunctionNode};
use crate::functions as F;
use crate::Variable;

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
