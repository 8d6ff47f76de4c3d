//! Shared plumbing of the elementwise functions: a node built from a forward
//! closure on arrays and a backward closure on variables, and the constant
//! masks that piecewise functions multiply gradients by.

use super::expect_float;
use crate::array::{Array, DType, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

/// A node from closures: `fwd` on the input arrays, `bwd` from the context and
/// the output gradient. Inputs must be floats of one dtype.
pub(crate) struct Lambda<F, B> {
    pub label: &'static str,
    pub op: &'static str,
    pub retain_in: &'static [usize],
    pub retain_out: &'static [usize],
    pub fwd: F,
    pub bwd: B,
}

impl<F, B> FunctionNode for Lambda<F, B>
where
    F: Fn(&[&Array]) -> Result<Array> + 'static,
    B: Fn(&BackwardContext<'_>, &Variable) -> Result<Vec<Option<Variable>>> + 'static,
{
    fn label(&self) -> &str {
        self.label
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        let names = ["x", "y", "z", "w"];
        for (i, a) in x.iter().enumerate() {
            expect_float(self.op, names[i.min(3)], a.dtype())?;
        }
        for a in &x[1..] {
            super::expect_same_dtype(self.op, x[0].dtype(), a.dtype())?;
        }
        Ok(())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![(self.fwd)(x)?])
    }
    fn retain_inputs(&self) -> &[usize] {
        self.retain_in
    }
    fn retain_outputs(&self) -> &[usize] {
        self.retain_out
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        (self.bwd)(ctx, &gy[0])
    }
}

/// Which arrays a [`unary`] function's backward reads.
#[derive(Clone, Copy)]
pub(crate) enum Keep {
    /// Neither.
    None,
    /// The input.
    In,
    /// The output.
    Out,
}

/// Applies a one-input elementwise function: `fwd(x)`, and `bwd(x or y, gy)`
/// computing `gx` with differentiable functions (`x`/`y` per `keep`).
pub(crate) fn unary(
    x: &Variable,
    label: &'static str,
    op: &'static str,
    keep: Keep,
    fwd: impl Fn(&Array) -> Result<Array> + 'static,
    bwd: impl Fn(&Variable, &Variable) -> Result<Variable> + 'static,
) -> Result<Variable> {
    let (retain_in, retain_out): (&'static [usize], &'static [usize]) = match keep {
        Keep::None => (&[], &[]),
        Keep::In => (&[0], &[]),
        Keep::Out => (&[], &[0]),
    };
    apply1(
        Lambda {
            label,
            op,
            retain_in,
            retain_out,
            fwd: move |x: &[&Array]| fwd(x[0]),
            bwd: move |ctx: &BackwardContext<'_>, gy: &Variable| {
                let v = match keep {
                    Keep::None => gy.clone(),
                    Keep::In => ctx.input(0),
                    Keep::Out => ctx.output(0),
                };
                Ok(vec![Some(bwd(&v, gy)?)])
            },
        },
        &[x],
    )
}

/// `cond` (a bool array) as 0/1 of `dtype`.
pub(crate) fn mask(cond: &Array, dtype: DType) -> Result<Array> {
    cond.astype(dtype)
}

/// `gy * m` for a constant array `m` (no gradient flows into `m`).
pub(crate) fn mul_mask(gy: &Variable, m: Array) -> Result<Variable> {
    super::mul(gy, &Variable::constant(m))
}
