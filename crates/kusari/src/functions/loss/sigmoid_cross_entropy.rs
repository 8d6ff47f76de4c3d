//! `sigmoid_cross_entropy`: the stable log-sigmoid loss and its gradient
//! `sigmoid(x) - t`, each in one pass.

use super::prims::mul_const;
use super::{compute_dtype, contiguous, expect_reduce, labels, with_real, Real, Reduce};
use crate::array::{Array, DType, Element as _, Error, Result};
use crate::config;
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions::{self as F, expect_float};
use crate::Variable;
use std::cell::Cell;

const OP: &str = "sigmoid_cross_entropy";
const IGNORE: i64 = -1;

/// Cross entropy of `sigmoid(x)` against binary labels `t` of the same shape
/// (Chainer's `F.sigmoid_cross_entropy`); labels `-1` are ignored. With
/// `Reduce::Mean` the sum is divided by the number of non-ignored labels
/// (`normalize`) or by `x.shape[0]` (not `normalize`), at least 1; with
/// `Reduce::No` the elementwise losses are returned. Differentiable (twice) in `x` only.
pub fn sigmoid_cross_entropy(
    x: &Variable,
    t: &Variable,
    normalize: bool,
    reduce: Reduce,
) -> Result<Variable> {
    expect_reduce(OP, reduce, &[Reduce::Mean, Reduce::No])?;
    apply1(
        SigmoidCrossEntropy {
            normalize,
            reduce,
            count: Cell::new(1.0),
        },
        &[x, t],
    )
}

struct SigmoidCrossEntropy {
    normalize: bool,
    reduce: Reduce,
    /// The divisor of `Reduce::Mean` (1 for `Reduce::No`).
    count: Cell<f64>,
}

impl FunctionNode for SigmoidCrossEntropy {
    fn label(&self) -> &str {
        "SigmoidCrossEntropy"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        expect_float(OP, "x", x[0].dtype())?;
        if !x[1].dtype().is_integer() {
            return Err(Error::DType {
                op: OP,
                message: format!("expected t.dtype.kind == 'i', got {}", x[1].dtype()),
            });
        }
        super::expect_same_shape(OP, ("x", "t"), x[0], x[1])
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let dtype = x[0].dtype();
        let cd = compute_dtype(dtype);
        let xc = contiguous(OP, x[0], cd)?;
        let t = labels(OP, x[1])?;
        let mut per = vec![0.0f64; t.len()];
        let mut valid = 0usize;
        with_real!(cd, T => {
            for ((o, &v), &l) in per.iter_mut().zip(xc.as_slice::<T>().expect("contiguous")).zip(t.iter()) {
                if l == IGNORE {
                    continue;
                }
                valid += 1;
                let v = v.to_f64();
                let pos = if v >= 0.0 { 1.0 } else { 0.0 };
                // -(x (t - [x >= 0]) - log(1 + e^-|x|)): no overflow for any x.
                *o = -(v * (l as f64 - pos) - (-v.abs()).exp().ln_1p());
            }
        });
        if self.reduce == Reduce::No {
            return Ok(vec![Array::from_vec(per, x[0].shape())?.astype(dtype)?]);
        }
        let count = if self.normalize {
            valid
        } else {
            x[0].shape().first().copied().unwrap_or(1)
        };
        let count = count.max(1) as f64;
        self.count.set(count);
        let total: f64 = per.iter().sum();
        Ok(vec![
            Array::from_vec(vec![total / count], &[])?.astype(dtype)?
        ])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        if !ctx.needs_input_grad(0) {
            return Ok(vec![None, None]);
        }
        let x = ctx.input(0);
        let t_arr = ctx.input(1).array();
        let t = labels(OP, &t_arr)?;
        let dtype = x.dtype();
        let inv = 1.0 / self.count.get();
        if config::enable_backprop() {
            let mask: Vec<f64> = t
                .iter()
                .map(|&l| if l == IGNORE { 0.0 } else { inv })
                .collect();
            let tf: Vec<f64> = t.iter().map(|&l| l.max(0) as f64).collect();
            let shape = x.shape();
            let diff = F::sub(
                &F::sigmoid(&x)?,
                &Variable::constant(Array::from_vec(tf, &shape)?.astype(dtype)?),
            )?;
            let scaled = mul_const(&diff, Array::from_vec(mask, &shape)?.astype(dtype)?)?;
            let g = F::broadcast_to(&gy[0], &shape)?;
            return Ok(vec![Some(F::mul(&g, &scaled)?), None]);
        }
        let cd = compute_dtype(dtype);
        let xc = contiguous(OP, &x.data(), cd)?;
        let gc = contiguous(OP, &gy[0].data().broadcast_to(&x.shape())?, DType::F64)?;
        let gs = gc.as_slice::<f64>().expect("contiguous");
        let mut gx = Array::empty(&x.shape(), cd)?;
        with_real!(cd, T => {
            let xs = xc.as_slice::<T>().expect("contiguous");
            for (k, o) in gx.as_slice_mut::<T>().expect("fresh").iter_mut().enumerate() {
                let l = t[k];
                *o = if l == IGNORE {
                    T::ZERO
                } else {
                    let half = T::from_f64(0.5);
                    let y = (xs[k] * half).tanh() * half + half;
                    (y - T::from_f64(l as f64)) * T::from_f64(gs[k] * inv)
                };
            }
        });
        Ok(vec![Some(Variable::constant(gx.astype(dtype)?)), None])
    }
}
