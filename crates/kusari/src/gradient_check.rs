//! Numerical gradient checks (Chainer's `chainer.gradient_check`), public so
//! users can test their own functions.
//!
//! `check_backward` compares the analytical gradient along one random
//! direction `d` (the sum over inputs of `<gx_i, d_i>`) with the central
//! difference `<gy, f(x + eps d) - f(x - eps d)> / (2 eps)`, evaluated in
//! float64 (or `CheckOptions::dtype`), as Chainer does.

use crate::array::ops::random::Generator;
use crate::array::{Array, DType, Error, Result};
use crate::{config, grad, Variable};

/// Tolerances and settings of a check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Step of the central difference.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (of the numerical value).
    pub rtol: f64,
    /// The dtype the numerical differences are computed in (`None`: the inputs' own).
    pub dtype: Option<DType>,
    /// Seed of the random direction.
    pub seed: u64,
}

impl Default for CheckOptions {
    /// Chainer's defaults for `check_backward` (eps 1e-3, atol 1e-5, rtol 1e-4) with float64 differences.
    fn default() -> Self {
        CheckOptions {
            eps: 1e-3,
            atol: 1e-5,
            rtol: 1e-4,
            dtype: Some(DType::F64),
            seed: 0,
        }
    }
}

impl CheckOptions {
    /// Chainer's defaults for `check_double_backward` (atol 1e-4, rtol 1e-3).
    pub fn double_backward() -> Self {
        CheckOptions {
            atol: 1e-4,
            rtol: 1e-3,
            ..Default::default()
        }
    }
    /// These options with other tolerances.
    pub fn tol(mut self, atol: f64, rtol: f64) -> Self {
        self.atol = atol;
        self.rtol = rtol;
        self
    }
}

fn dot(a: &Array, b: &Array) -> Result<f64> {
    a.astype(DType::F64)?
        .multiply(&b.astype(DType::F64)?)?
        .sum(None, false)?
        .item()
}

fn fail(message: String) -> Error {
    Error::Value {
        op: "check_backward",
        message,
    }
}

/// Checks `f`'s backward against central differences along a random direction.
/// `grad_outputs` may be `None` when every output has size 1.
///
/// ```
/// use kusari::gradient_check::{check_backward, CheckOptions};
/// use kusari::array::{array, Array};
/// let x = array![[0.5f64, 1.5], [2.0, -1.0]];
/// check_backward(|v| Ok(vec![v[0].exp()?]), &[x], Some(&[Array::ones(&[2, 2], kusari::array::DType::F64)?]), &CheckOptions::default())?;
/// # Ok::<(), kusari::Error>(())
/// ```
pub fn check_backward(
    f: impl Fn(&[Variable]) -> Result<Vec<Variable>>,
    inputs: &[Array],
    grad_outputs: Option<&[Array]>,
    opts: &CheckOptions,
) -> Result<()> {
    // Analytical gradients.
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let ys = f(&xs)?;
    let gys: Vec<Array> = match grad_outputs {
        Some(g) => {
            if g.len() != ys.len() {
                return Err(fail(format!(
                    "{} grad_outputs given for {} outputs",
                    g.len(),
                    ys.len()
                )));
            }
            g.to_vec()
        }
        None => ys
            .iter()
            .map(|y| Array::ones(&y.shape(), y.dtype()))
            .collect::<Result<_>>()?,
    };
    let y_refs: Vec<&Variable> = ys.iter().collect();
    let x_refs: Vec<&Variable> = xs.iter().collect();
    let gy_vars: Vec<Variable> = gys.iter().map(|g| Variable::constant(g.clone())).collect();
    let gy_refs: Vec<&Variable> = gy_vars.iter().collect();
    let gxs = grad(&y_refs, &x_refs, Some(&gy_refs), false)?;

    // A random unit direction over all float inputs.
    let mut rng = Generator::new(opts.seed);
    let mut dirs = Vec::with_capacity(inputs.len());
    let mut norm2 = 0.0;
    for x in inputs {
        let d = if x.dtype().is_float() {
            rng.standard_normal(x.shape(), DType::F64)?
        } else {
            Array::zeros(x.shape(), DType::F64)?
        };
        norm2 += dot(&d, &d)?;
        dirs.push(d);
    }
    let norm = norm2.sqrt().max(f64::MIN_POSITIVE);
    let dirs: Vec<Array> = dirs
        .into_iter()
        .map(|d| d.true_divide(norm))
        .collect::<Result<_>>()?;

    let mut analytical = 0.0;
    for (i, (gx, d)) in gxs.iter().zip(&dirs).enumerate() {
        if let Some(gx) = gx {
            if gx.shape() != inputs[i].shape() {
                return Err(fail(format!(
                    "gradient of input {i} has shape {:?}, the input {:?}",
                    gx.shape(),
                    inputs[i].shape()
                )));
            }
            analytical += dot(&gx.array(), d)?;
        }
    }

    // Central difference in the check dtype, without recording a graph.
    let _nb = config::no_backprop_mode();
    let eval = |sign: f64| -> Result<Vec<Array>> {
        let shifted: Vec<Variable> = inputs
            .iter()
            .zip(&dirs)
            .map(|(x, d)| {
                let dt = opts.dtype.unwrap_or(x.dtype());
                let base = x.astype(if x.dtype().is_float() { dt } else { x.dtype() })?;
                if !x.dtype().is_float() {
                    return Ok(Variable::new(base));
                }
                Ok(Variable::new(
                    base.add(&d.multiply(sign * opts.eps)?.astype(dt)?)?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(f(&shifted)?.iter().map(|y| y.array()).collect())
    };
    let (plus, minus) = (eval(1.0)?, eval(-1.0)?);
    let mut numerical = 0.0;
    for ((p, m), g) in plus.iter().zip(&minus).zip(&gys) {
        numerical +=
            dot(&p.astype(DType::F64)?.subtract(&m.astype(DType::F64)?)?, g)? / (2.0 * opts.eps);
    }
    // Written so that a NaN on either side fails the check (the comparison is false).
    let within = (analytical - numerical).abs() <= opts.atol + opts.rtol * numerical.abs();
    if !within {
        return Err(fail(format!(
            "analytical and numerical directional derivatives differ: analytical {analytical:.10e}, numerical {numerical:.10e} (atol {}, rtol {}, eps {})",
            opts.atol, opts.rtol, opts.eps
        )));
    }
    Ok(())
}

/// Checks the gradient of `f`'s gradient (Chainer's `check_double_backward`):
/// the first-order gradients, as a function of the inputs and the output
/// gradients, are themselves checked with [`check_backward`] against `grad_grad_inputs`.
pub fn check_double_backward(
    f: impl Fn(&[Variable]) -> Result<Vec<Variable>>,
    inputs: &[Array],
    grad_outputs: &[Array],
    grad_grad_inputs: &[Array],
    opts: &CheckOptions,
) -> Result<()> {
    let n = inputs.len();
    let first_order = |v: &[Variable]| -> Result<Vec<Variable>> {
        let (xs, gys) = v.split_at(n);
        let _on = config::force_backprop_mode();
        let ys = f(xs)?;
        let y_refs: Vec<&Variable> = ys.iter().collect();
        let x_refs: Vec<&Variable> = xs.iter().collect();
        let gy_refs: Vec<&Variable> = gys.iter().collect();
        let gxs = grad(&y_refs, &x_refs, Some(&gy_refs), true)?;
        gxs.into_iter()
            .zip(xs)
            .map(|(g, x)| match g {
                Some(g) => Ok(g),
                // No path: a zero gradient that still depends on nothing.
                None => Ok(Variable::constant(Array::zeros(&x.shape(), x.dtype())?)),
            })
            .collect()
    };
    let mut all: Vec<Array> = inputs.to_vec();
    all.extend(grad_outputs.iter().cloned());
    check_backward(first_order, &all, Some(grad_grad_inputs), opts)
}
