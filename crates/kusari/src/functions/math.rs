//! `exp`, `log` and `matmul`.

use super::array_ops::sum_to;
use super::{expect_float, expect_same_dtype};
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

struct Exp;
impl FunctionNode for Exp {
    fn label(&self) -> &str {
        "Exp"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float("exp", "x", x[0].dtype())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].exp()?])
    }
    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(super::mul(&gy[0], &ctx.output(0))?)])
    }
}

/// Elementwise `e^x`.
pub fn exp(x: &Variable) -> Result<Variable> {
    apply1(Exp, &[x])
}

struct Log;
impl FunctionNode for Log {
    fn label(&self) -> &str {
        "Log"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float("log", "x", x[0].dtype())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].log()?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(super::div(&gy[0], &ctx.input(0))?)])
    }
}

/// Elementwise natural logarithm.
pub fn log(x: &Variable) -> Result<Variable> {
    apply1(Log, &[x])
}

struct MatMul;

/// Swaps the last two axes (a view); 1-D stays as it is.
fn swap_last(v: &Variable) -> Result<Variable> {
    let n = v.ndim();
    if n < 2 {
        return Ok(v.clone());
    }
    let mut axes: Vec<isize> = (0..n as isize).collect();
    axes.swap(n - 2, n - 1);
    super::transpose(v, Some(&axes))
}

impl FunctionNode for MatMul {
    fn label(&self) -> &str {
        "MatMul"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_same_dtype("matmul", x[0].dtype(), x[1].dtype())?;
        if x[0].ndim() < 2 || x[1].ndim() < 2 {
            return Err(Error::Shape {
                op: "matmul",
                message: format!("expected a.ndim >= 2 and b.ndim >= 2, got {} and {} (reshape vectors to matrices)", x[0].ndim(), x[1].ndim()),
            });
        }
        let (k0, k1) = (x[0].shape()[x[0].ndim() - 1], x[1].shape()[x[1].ndim() - 2]);
        if k0 != k1 {
            return Err(Error::Shape {
                op: "matmul",
                message: format!("expected a.shape[-1] == b.shape[-2], got {k0} != {k1}"),
            });
        }
        Ok(())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].matmul(x[1])?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let (a, b) = (ctx.input(0), ctx.input(1));
        let ga = if ctx.needs_input_grad(0) {
            Some(sum_to(
                &matmul(&gy[0], &swap_last(&b)?)?,
                &ctx.input_shape(0),
            )?)
        } else {
            None
        };
        let gb = if ctx.needs_input_grad(1) {
            Some(sum_to(
                &matmul(&swap_last(&a)?, &gy[0])?,
                &ctx.input_shape(1),
            )?)
        } else {
            None
        };
        Ok(vec![ga, gb])
    }
}

/// Matrix product of the last two axes, batch axes broadcasting (Chainer's `F.matmul`).
pub fn matmul(a: &Variable, b: &Variable) -> Result<Variable> {
    apply1(MatMul, &[a, b])
}
