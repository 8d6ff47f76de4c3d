//! `sigmoid_cross_entropy`: the stable log-sigmoid loss and its gradient
//! `sigmoid(x) - t`, each in one pass.

use super::prims::mul_const;
use super::{
    compute_dtype, contiguous, expect_reduce, labels, with_dtype, with_real, Real, Reduce,
};
use crate::array::{Array, DType, Element as _, Error, KernelArg, Result};
use crate::config;
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions::kernels::{cached, use_kernels, KernelDef};
use crate::functions::{self as F, expect_float};
use crate::Variable;
use std::cell::Cell;
use std::sync::OnceLock;

const OP: &str = "sigmoid_cross_entropy";
const IGNORE: i64 = -1;

/// The per-element loss (in float64, as the loop) and whether the label
/// counts, for arrays off the CPU.
pub(crate) const FORWARD: KernelDef = (
    "kusari_sigmoid_cross_entropy_fwd",
    "T x, int64 t",
    "float64 loss, float64 valid",
    "double v = (double)x;
     if (t == -1) { loss = 0; valid = 0; }
     else {
         double pos = v >= 0 ? 1.0 : 0.0;
         loss = -(v * ((double)t - pos) - log1p(exp(-fabs(v))));
         valid = 1;
     }",
);

/// The gradient `(sigmoid(x) - t) g / count` (0 for ignored labels), for
/// arrays off the CPU.
pub(crate) const BACKWARD: KernelDef = (
    "kusari_sigmoid_cross_entropy_bwd",
    "T x, int64 t, float64 g, float64 inv",
    "T gx",
    "if (t == -1) { gx = 0; }
     else {
         T h = 0.5;
         T y = tanh(x * h) * h + h;
         gx = (y - (T)t) * (T)(g * inv);
     }",
);

fn kernel(i: usize) -> &'static crate::array::ElementwiseKernel {
    static CELLS: [OnceLock<crate::array::ElementwiseKernel>; 2] = [const { OnceLock::new() }; 2];
    cached(&CELLS[i], [FORWARD, BACKWARD][i])
}

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

impl SigmoidCrossEntropy {
    /// The forward off the CPU: per-element losses by [`FORWARD`], then the
    /// device's sums; the count of valid labels is read back (one sync).
    fn forward_kernel(&self, x: &Array, t: &Array, cd: DType) -> Result<Vec<Array>> {
        let dtype = x.dtype();
        let xd = with_dtype(x, cd)?;
        let t = with_dtype(t, DType::I64)?;
        let mut out = kernel(0).call_multi(&[&xd, &t])?;
        let valid = out.pop().expect("two outputs");
        let loss = out.pop().expect("two outputs");
        if self.reduce == Reduce::No {
            return Ok(vec![loss.astype(dtype)?]);
        }
        let count = if self.normalize {
            valid.sum(None, false)?.item::<f64>()? as usize
        } else {
            x.shape().first().copied().unwrap_or(1)
        };
        let count = count.max(1) as f64;
        self.count.set(count);
        let mean = loss.sum(None, false)?.multiply(1.0 / count)?;
        Ok(vec![mean.astype(dtype)?])
    }
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
        if use_kernels(x[0].device()) {
            return self.forward_kernel(x[0], x[1], cd);
        }
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
            let (shape, dev) = (x.shape(), x.device());
            let diff = F::sub(
                &F::sigmoid(&x)?,
                &Variable::constant(Array::from_vec(tf, &shape)?.astype(dtype)?.to_device(dev)?),
            )?;
            let mask = Array::from_vec(mask, &shape)?
                .astype(dtype)?
                .to_device(dev)?;
            let scaled = mul_const(&diff, mask)?;
            let g = F::broadcast_to(&gy[0], &shape)?;
            return Ok(vec![Some(F::mul(&g, &scaled)?), None]);
        }
        let cd = compute_dtype(dtype);
        if use_kernels(x.device()) {
            let xd = with_dtype(&x.data(), cd)?;
            let g = gy[0].data().astype(DType::F64)?;
            let args: [KernelArg<'_>; 4] = [(&xd).into(), (&t_arr).into(), (&g).into(), inv.into()];
            let gx = kernel(1).call(&args)?;
            return Ok(vec![Some(Variable::constant(gx.astype(dtype)?)), None]);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::kernels::FORCE_KERNELS;

    /// The path off the CPU (its kernels forced on the CPU) against the
    /// loops: value and gradient, both reductions, normalize both ways,
    /// ignored labels, float16/32/64, strided x; and through double backprop.
    #[test]
    fn device_path_matches_the_loops() {
        let xs: Vec<f64> = (0..12).map(|i| i as f64 * 0.9 - 5.0).collect();
        let ts: Vec<i32> = (0..12).map(|i| [0, 1, -1][i % 3]).collect();
        for dtype in [DType::F16, DType::F32, DType::F64] {
            for (normalize, reduce) in [
                (true, Reduce::Mean),
                (false, Reduce::Mean),
                (true, Reduce::No),
            ] {
                for double in [false, true] {
                    let run = |forced: bool| -> Vec<Vec<f64>> {
                        FORCE_KERNELS.with(|f| f.set(forced));
                        let x = Variable::new(
                            Array::from_vec(xs.clone(), &[4, 3])
                                .unwrap()
                                .astype(dtype)
                                .unwrap()
                                .t(),
                        );
                        let t =
                            Variable::constant(Array::from_vec(ts.clone(), &[4, 3]).unwrap().t());
                        let y = sigmoid_cross_entropy(&x, &t, normalize, reduce).unwrap();
                        let y = F::sum(&y, None, false).unwrap();
                        y.backward_with(false, double, None).unwrap();
                        FORCE_KERNELS.with(|f| f.set(false));
                        let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                        let out = vec![v(&y.data()), v(&x.grad().unwrap())];
                        out
                    };
                    let tol = if dtype == DType::F16 { 2e-3 } else { 1e-6 };
                    for (cpu, dev) in run(false).iter().zip(run(true)) {
                        for (a, b) in cpu.iter().zip(&dev) {
                            assert!((a - b).abs() <= tol * (1.0 + a.abs()), "{dtype} {normalize} {reduce:?} {double}: loop {a}, device path {b}");
                        }
                    }
                }
            }
        }
    }
}
