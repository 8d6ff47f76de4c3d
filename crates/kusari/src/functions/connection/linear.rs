//! `linear`: `y = x W^T + b` (Chainer's `LinearFunction`).

use super::super::{expect_float, expect_same_dtype};
use crate::array::ops::ufunc::{binary_inplace, BinaryOp};
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions as F;
use crate::Variable;

/// Works on a 2-D `x` (`linear` flattens the rest); `W` is `(out, in)`.
struct LinearFunction {
    has_bias: bool,
}

impl FunctionNode for LinearFunction {
    fn label(&self) -> &str {
        "LinearFunction"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        let (xa, w) = (x[0], x[1]);
        expect_float("linear", "x", xa.dtype())?;
        expect_same_dtype("linear", xa.dtype(), w.dtype())?;
        if w.ndim() != 2 {
            return Err(Error::Shape {
                op: "linear",
                message: format!("expected W.ndim == 2, got W.shape {:?}", w.shape()),
            });
        }
        if xa.shape()[1] != w.shape()[1] {
            return Err(Error::Shape {
                op: "linear",
                message: format!(
                    "expected x.shape[1] == W.shape[1], got x.shape {:?} and W.shape {:?}",
                    xa.shape(),
                    w.shape()
                ),
            });
        }
        if self.has_bias {
            let b = x[2];
            expect_same_dtype("linear", xa.dtype(), b.dtype())?;
            if b.ndim() != 1 || b.shape()[0] != w.shape()[0] {
                return Err(Error::Shape {
                    op: "linear",
                    message: format!(
                        "expected b.ndim == 1 and b.shape[0] == W.shape[0], got b.shape {:?} and W.shape {:?}",
                        b.shape(),
                        w.shape()
                    ),
                });
            }
        }
        Ok(())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        // `W.t()` is a view: the gemm reads W with swapped strides, no copy.
        let mut y = x[0].matmul(&x[1].t())?;
        if self.has_bias {
            binary_inplace(BinaryOp::Add, &mut y, x[2])?;
        }
        Ok(vec![y])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let gy = &gy[0];
        let gx = if ctx.needs_input_grad(0) {
            Some(F::matmul(gy, &ctx.input(1))?)
        } else {
            None
        };
        let gw = if ctx.needs_input_grad(1) {
            // gy^T x through transposed views: one gemm, no copies.
            Some(F::matmul(&F::transpose(gy, None)?, &ctx.input(0))?)
        } else {
            None
        };
        let mut out = vec![gx, gw];
        if self.has_bias {
            out.push(if ctx.needs_input_grad(2) {
                Some(F::sum(gy, Some(&[0]), false)?)
            } else {
                None
            });
        }
        Ok(out)
    }
}

/// Linear function (affine transformation), Chainer's `F.linear`:
/// `y = x W^T + b` with `W` of shape `(out_size, in_size)` and `b` of shape `(out_size,)`.
///
/// The first `n_batch_axes` axes of `x` are batch axes; the others are
/// flattened into `in_size` features. The output has shape
/// `x.shape[..n_batch_axes] + (out_size,)`.
///
/// ```
/// use kusari::{functions as F, Variable};
/// use kusari::array::{Array, DType};
/// let x = Variable::new(Array::ones(&[2, 3], DType::F32)?);
/// let w = Variable::new(Array::ones(&[4, 3], DType::F32)?);
/// let y = F::linear(&x, &w, None, 1)?;
/// assert_eq!(y.shape(), vec![2, 4]);
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn linear(
    x: &Variable,
    w: &Variable,
    b: Option<&Variable>,
    n_batch_axes: usize,
) -> Result<Variable> {
    let shape = x.shape();
    if n_batch_axes == 0 || n_batch_axes >= shape.len() {
        return Err(Error::Value {
            op: "linear",
            message: format!(
                "expected 1 <= n_batch_axes < x.ndim, got n_batch_axes {n_batch_axes} for x.shape {shape:?}"
            ),
        });
    }
    let batch = &shape[..n_batch_axes];
    let batch_size: usize = batch.iter().product();
    let features: usize = shape[n_batch_axes..].iter().product();
    let x2 = if shape.len() == 2 && n_batch_axes == 1 {
        x.clone()
    } else {
        F::reshape(x, &[batch_size, features])?
    };
    let y = match b {
        Some(b) => apply1(LinearFunction { has_bias: true }, &[&x2, w, b])?,
        None => apply1(LinearFunction { has_bias: false }, &[&x2, w])?,
    };
    if n_batch_axes > 1 {
        let mut out_shape = batch.to_vec();
        out_shape.push(y.shape()[1]);
        F::reshape(&y, &out_shape)
    } else {
        Ok(y)
    }
}
