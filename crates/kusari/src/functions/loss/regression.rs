//! Regression losses: `mean_squared_error` (fused), `squared_error`,
//! `mean_absolute_error`, `absolute_error`, `huber_loss`.

use super::prims::mul_const;
use super::{
    compute_dtype, contiguous, expect_reduce, expect_same_shape, with_dtype, with_real, Reduce,
};
use crate::array::{Array, DType, Element as _, Result};
use crate::config;
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::functions::kernels::use_kernels;
use crate::functions::{self as F, expect_float, expect_same_dtype};
use crate::Variable;

/// Chainer's type check of the two-input regression losses.
fn check_pair(op: &'static str, a: &Array, b: &Array) -> Result<()> {
    expect_float(op, "x0", a.dtype())?;
    expect_same_dtype(op, a.dtype(), b.dtype())?;
    expect_same_shape(op, ("x0", "x1"), a, b)
}

fn check_pair_vars(op: &'static str, a: &Variable, b: &Variable) -> Result<()> {
    check_pair(op, &a.data(), &b.data())
}

struct MeanSquaredError;

impl FunctionNode for MeanSquaredError {
    fn label(&self) -> &str {
        "MeanSquaredError"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_pair("mean_squared_error", x[0], x[1])
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let cd = compute_dtype(x[0].dtype());
        if use_kernels(x[0].device()) {
            // Off the CPU: the same sum of squares in float64 through the
            // device's ufuncs and reduction.
            let d = with_dtype(x[0], cd)?.subtract(&with_dtype(x[1], cd)?)?;
            let d = d.astype(DType::F64)?;
            let mean = d
                .multiply(&d)?
                .sum(None, false)?
                .multiply(1.0 / d.size() as f64)?;
            return Ok(vec![mean.astype(x[0].dtype())?]);
        }
        let (a, b) = (
            contiguous("mean_squared_error", x[0], cd)?,
            contiguous("mean_squared_error", x[1], cd)?,
        );
        let n = a.size();
        let total = with_real!(cd, T => {
            let (a, b) = (a.as_slice::<T>().expect("contiguous"), b.as_slice::<T>().expect("contiguous"));
            a.iter().zip(b).map(|(&p, &q)| { let d = (p - q).to_f64(); d * d }).sum::<f64>()
        });
        // Chainer divides by the size as a float: 0 elements give NaN there too.
        let mean = total / n as f64;
        Ok(vec![Array::from_vec(vec![mean], &[])?.astype(x[0].dtype())?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let (x0, x1) = (ctx.input(0), ctx.input(1));
        let n = x0.size() as f64;
        let gx0 = if config::enable_backprop() {
            let diff = F::sub(&x0, &x1)?;
            let g = F::broadcast_to(&F::mul_constant(&gy[0], 2.0 / n)?, &diff.shape())?;
            F::mul(&g, &diff)?
        } else {
            let dtype = x0.dtype();
            let cd = compute_dtype(dtype);
            if use_kernels(x0.device()) {
                let scale = 2.0 * gy[0].data().astype(DType::F64)?.item::<f64>()? / n;
                let (a, b) = (with_dtype(&x0.data(), cd)?, with_dtype(&x1.data(), cd)?);
                let g = a.subtract(&b)?.multiply(scale)?;
                let gx0 = Variable::constant(g.astype(dtype)?);
                let gx1 = ctx.needs_input_grad(1).then(|| F::neg(&gx0)).transpose()?;
                return Ok(vec![ctx.needs_input_grad(0).then_some(gx0), gx1]);
            }
            let (a, b) = (
                contiguous("mean_squared_error", &x0.data(), cd)?,
                contiguous("mean_squared_error", &x1.data(), cd)?,
            );
            let scale = 2.0 * gy[0].data().astype(DType::F64)?.item::<f64>()? / n;
            let mut g = Array::empty(a.shape(), cd)?;
            with_real!(cd, T => {
                let s = T::from_f64(scale);
                let (a, b) = (a.as_slice::<T>().expect("contiguous"), b.as_slice::<T>().expect("contiguous"));
                for ((o, &p), &q) in g.as_slice_mut::<T>().expect("fresh").iter_mut().zip(a).zip(b) {
                    *o = (p - q) * s;
                }
            });
            Variable::constant(g.astype(dtype)?)
        };
        let gx1 = if ctx.needs_input_grad(1) {
            Some(F::neg(&gx0)?)
        } else {
            None
        };
        Ok(vec![ctx.needs_input_grad(0).then_some(gx0), gx1])
    }
}

/// Mean of the squared differences, `sum((x0 - x1)^2) / x0.size` (Chainer's
/// `F.mean_squared_error`), as one fused pass. Differentiable twice in both inputs.
pub fn mean_squared_error(x0: &Variable, x1: &Variable) -> Result<Variable> {
    apply1(MeanSquaredError, &[x0, x1])
}

/// Elementwise `(x0 - x1)^2` (Chainer's `F.squared_error`).
pub fn squared_error(x0: &Variable, x1: &Variable) -> Result<Variable> {
    check_pair_vars("squared_error", x0, x1)?;
    let d = F::sub(x0, x1)?;
    F::mul(&d, &d)
}

/// Elementwise `|x0 - x1|` (Chainer's `F.absolute_error`; the gradient at 0 is 0).
pub fn absolute_error(x0: &Variable, x1: &Variable) -> Result<Variable> {
    check_pair_vars("absolute_error", x0, x1)?;
    F::absolute(&F::sub(x0, x1)?)
}

/// Mean of the absolute differences, `sum(|x0 - x1|) / x0.size` (Chainer's `F.mean_absolute_error`).
pub fn mean_absolute_error(x0: &Variable, x1: &Variable) -> Result<Variable> {
    check_pair_vars("mean_absolute_error", x0, x1)?;
    let n = x0.size() as f64;
    F::mul_constant(
        &F::sum(&F::absolute(&F::sub(x0, x1)?)?, None, false)?,
        1.0 / n,
    )
}

/// The Huber loss of `x - t` (Chainer's `F.huber_loss`): `a^2 / 2` where
/// `|a| <= delta`, `delta (|a| - delta / 2)` elsewhere. `reduce` is
/// `Reduce::SumAlongSecondAxis` (Chainer's default; sums axis 1) or `Reduce::No`.
pub fn huber_loss(x: &Variable, t: &Variable, delta: f64, reduce: Reduce) -> Result<Variable> {
    const OP: &str = "huber_loss";
    expect_reduce(OP, reduce, &[Reduce::SumAlongSecondAxis, Reduce::No])?;
    {
        let (xd, td) = (x.data(), t.data());
        expect_float(OP, "x", xd.dtype())?;
        expect_same_dtype(OP, xd.dtype(), td.dtype())?;
        expect_same_shape(OP, ("x", "t"), &xd, &td)?;
        if reduce == Reduce::SumAlongSecondAxis && xd.ndim() < 2 {
            return Err(crate::array::Error::Shape {
                op: OP,
                message: format!(
                    "reduce='sum_along_second_axis' expects x.ndim >= 2, got shape {:?}",
                    xd.shape()
                ),
            });
        }
    }
    let d = F::sub(x, t)?;
    let a = F::absolute(&d)?;
    let inside = a.data().less_equal(delta)?.astype(d.dtype())?;
    let outside = inside.multiply(-1.0)?.add(1.0)?;
    let quad = mul_const(&F::mul_constant(&F::mul(&d, &d)?, 0.5)?, inside)?;
    let lin = mul_const(
        &F::add_constant(&F::mul_constant(&a, delta)?, -0.5 * delta * delta)?,
        outside,
    )?;
    let y = F::add(&quad, &lin)?;
    match reduce {
        Reduce::No => Ok(y),
        _ => F::sum(&y, Some(&[1]), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::kernels::FORCE_KERNELS;

    /// mean_squared_error's path off the CPU (forced on it) against its
    /// loops: value and both gradients, float16/32/64, strided inputs.
    #[test]
    fn mean_squared_error_device_path_matches_the_loops() {
        for dtype in [DType::F16, DType::F32, DType::F64] {
            let run = |forced: bool| -> Vec<Vec<f64>> {
                FORCE_KERNELS.with(|f| f.set(forced));
                let a = Array::from_vec((0..12).map(|i| i as f64 * 0.3 - 1.0).collect(), &[3, 4])
                    .unwrap();
                let b = Array::from_vec((0..12).map(|i| (i % 5) as f64 * 0.7).collect(), &[4, 3])
                    .unwrap();
                let x0 = Variable::new(a.astype(dtype).unwrap());
                let x1 = Variable::new(b.astype(dtype).unwrap().t());
                let y = mean_squared_error(&x0, &x1).unwrap();
                y.backward().unwrap();
                FORCE_KERNELS.with(|f| f.set(false));
                let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                assert_eq!(y.dtype(), dtype);
                let out = vec![v(&y.data()), v(&x0.grad().unwrap()), v(&x1.grad().unwrap())];
                out
            };
            let tol = if dtype == DType::F16 { 2e-3 } else { 1e-6 };
            for (cpu, dev) in run(false).iter().zip(run(true)) {
                for (a, b) in cpu.iter().zip(&dev) {
                    assert!(
                        (a - b).abs() <= tol * (1.0 + a.abs()),
                        "{dtype}: loop {a}, device path {b}"
                    );
                }
            }
        }
    }
}
