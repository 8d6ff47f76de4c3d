//! Reductions and scans (Chainer's `chainer.functions.math`): `max`, `min`,
//! `argmax`, `argmin`, `mean`, `average`, `prod`, `cumsum`, `logsumexp`.

use super::lambda::{mask, mul_mask, Lambda};
use super::{broadcast_to, expect_float, mul, reshape, sum};
use crate::array::{Array, DType, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

/// The reduced axes in `0..ndim`, sorted, or Chainer's axis error.
fn norm_axes(op: &'static str, axes: Option<&[isize]>, ndim: usize) -> Result<Vec<usize>> {
    let n = ndim as isize;
    let mut out: Vec<usize> = match axes {
        None => (0..ndim).collect(),
        Some(a) => a
            .iter()
            .map(|&ax| {
                if ax < -n || ax >= n {
                    Err(Error::Axis { op, axis: ax, ndim })
                } else {
                    Ok(if ax < 0 { ax + n } else { ax } as usize)
                }
            })
            .collect::<Result<_>>()?,
    };
    out.sort_unstable();
    if out.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::Value {
            op,
            message: format!("duplicate value in axis: {axes:?}"),
        });
    }
    Ok(out)
}

/// The shape of a keepdims reduction of `shape` over `axes`.
fn kept_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect()
}

/// `g` (a reduction's output or gradient) broadcast back to `shape`.
fn unreduce(g: &Variable, shape: &[usize], axes: &[usize]) -> Result<Variable> {
    broadcast_to(&reshape(g, &kept_shape(shape, axes))?, shape)
}

struct MinMax {
    axes: Vec<usize>,
    keepdims: bool,
    max: bool,
}
impl FunctionNode for MinMax {
    fn label(&self) -> &str {
        if self.max {
            "Max"
        } else {
            "Min"
        }
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let axes: Vec<isize> = self.axes.iter().map(|&a| a as isize).collect();
        Ok(vec![if self.max {
            x[0].max(Some(&axes), self.keepdims)?
        } else {
            x[0].min(Some(&axes), self.keepdims)?
        }])
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
        let x = ctx.input(0).array();
        let shape = x.shape().to_vec();
        let y = ctx
            .output(0)
            .array()
            .reshape_to(&kept_shape(&shape, &self.axes))?;
        // Every element equal to the extreme gets the gradient, as Chainer.
        let cond = mask(&x.equal(&y)?, x.dtype())?;
        mul_mask(&unreduce(&gy[0], &shape, &self.axes)?, cond).map(|g| vec![Some(g)])
    }
}

fn minmax(
    op: &'static str,
    x: &Variable,
    axes: Option<&[isize]>,
    keepdims: bool,
    is_max: bool,
) -> Result<Variable> {
    expect_float(op, "x", x.dtype())?;
    let axes = norm_axes(op, axes, x.ndim())?;
    if axes.iter().any(|&a| x.shape()[a] == 0) {
        return Err(Error::Value {
            op,
            message: "zero-size array to reduction operation which has no identity".into(),
        });
    }
    apply1(
        MinMax {
            axes,
            keepdims,
            max: is_max,
        },
        &[x],
    )
}

/// Maximum over `axes` (all for `None`); the gradient goes to every maximal
/// element (Chainer's `F.max`).
pub fn max(x: &Variable, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    minmax("max", x, axes, keepdims, true)
}

/// Minimum over `axes` (Chainer's `F.min`).
pub fn min(x: &Variable, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    minmax("min", x, axes, keepdims, false)
}

fn arg(op: &'static str, x: &Variable, axis: Option<isize>, is_max: bool) -> Result<Variable> {
    expect_float(op, "x", x.dtype())?;
    if let Some(a) = axis {
        norm_axes(op, Some(&[a]), x.ndim())?;
    }
    let a = x.array();
    let i = if is_max {
        a.argmax(axis)?
    } else {
        a.argmin(axis)?
    };
    Ok(Variable::constant(i.astype(DType::I32)?))
}

/// Index of the maximum along `axis` (flattened for `None`), int32, not
/// differentiable (Chainer's `F.argmax`).
pub fn argmax(x: &Variable, axis: Option<isize>) -> Result<Variable> {
    arg("argmax", x, axis, true)
}

/// Index of the minimum along `axis`, int32 (Chainer's `F.argmin`).
pub fn argmin(x: &Variable, axis: Option<isize>) -> Result<Variable> {
    arg("argmin", x, axis, false)
}

/// Arithmetic mean over `axes` (Chainer's `F.mean`).
pub fn mean(x: &Variable, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    expect_float("mean", "x", x.dtype())?;
    let ax = norm_axes("mean", axes, x.ndim())?;
    let n: usize = ax.iter().map(|&a| x.shape()[a]).product();
    let s = sum(x, axes, keepdims)?;
    super::div_constant(&s, n as f64)
}

/// Weighted average over one axis or all (Chainer's `F.average`): `weights`
/// has the shape of `x` or, with one `axis`, the length of that axis.
pub fn average(
    x: &Variable,
    axis: Option<isize>,
    weights: Option<&Variable>,
    keepdims: bool,
) -> Result<Variable> {
    let axes_v = axis.map(|a| vec![a]);
    let axes = axes_v.as_deref();
    let Some(w) = weights else {
        return mean(x, axes, keepdims);
    };
    expect_float("average", "x", x.dtype())?;
    super::expect_same_dtype("average", x.dtype(), w.dtype())?;
    let wb = if w.shape() == x.shape() {
        w.clone()
    } else {
        let ax = match axis {
            Some(a) if w.ndim() == 1 => norm_axes("average", Some(&[a]), x.ndim())?[0],
            _ => {
                return Err(Error::Shape {
                    op: "average",
                    message: format!(
                        "expected weights.shape == x.shape, or 1-D weights with one axis, got {:?} for x.shape {:?}",
                        w.shape(),
                        x.shape()
                    ),
                })
            }
        };
        if w.shape()[0] != x.shape()[ax] {
            return Err(Error::Shape {
                op: "average",
                message: format!(
                    "expected weights.shape[0] == x.shape[axis], got {} != {}",
                    w.shape()[0],
                    x.shape()[ax]
                ),
            });
        }
        let mut s = vec![1; x.ndim()];
        s[ax] = w.shape()[0];
        broadcast_to(&reshape(w, &s)?, &x.shape())?
    };
    let num = sum(&mul(x, &wb)?, axes, keepdims)?;
    let den = sum(&wb, axes, keepdims)?;
    super::div(&num, &den)
}

/// Product over `axes` (Chainer's `F.prod`). The gradient is `prod / x`
/// where no element is zero; with zeros it is the product of the other
/// elements, exact to first order (a second derivative through a zero is not
/// tracked).
pub fn prod(x: &Variable, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    expect_float("prod", "x", x.dtype())?;
    let ax = norm_axes("prod", axes, x.ndim())?;
    let axes_i: Vec<isize> = ax.iter().map(|&a| a as isize).collect();
    apply1(
        Lambda {
            label: "Prod",
            op: "prod",
            retain_in: &[0],
            retain_out: &[0],
            fwd: {
                let axes_i = axes_i.clone();
                move |x: &[&Array]| x[0].prod(Some(&axes_i), keepdims)
            },
            bwd: move |ctx: &BackwardContext<'_>, gy: &Variable| {
                let xv = ctx.input(0);
                let xa = xv.array();
                let shape = xa.shape().to_vec();
                let g = unreduce(gy, &shape, &ax)?;
                if !xa.equal(0.0)?.any(None, false)?.item::<bool>()? {
                    let y = unreduce(&ctx.output(0), &shape, &ax)?;
                    return Ok(vec![Some(mul(&g, &super::div(&y, &xv)?)?)]);
                }
                Ok(vec![Some(mul_mask(&g, prod_of_others(&xa, &ax)?)?)])
            },
        },
        &[x],
    )
}

/// For each element, the product of the others in its reduction group
/// (exclusive products from both ends, so zeros need no division).
fn prod_of_others(x: &Array, axes: &[usize]) -> Result<Array> {
    let nd = x.ndim();
    let rest: Vec<usize> = (0..nd).filter(|a| !axes.contains(a)).collect();
    let perm: Vec<isize> = rest.iter().chain(axes).map(|&a| a as isize).collect();
    let outer: usize = rest.iter().map(|&a| x.shape()[a]).product();
    let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
    let t = x.transpose(Some(&perm))?;
    let tshape = t.shape().to_vec();
    let v = t.astype(DType::F64)?.to_vec::<f64>()?;
    let mut out = vec![0.0; v.len()];
    for o in 0..outer {
        let row = &v[o * n..(o + 1) * n];
        let mut left = 1.0;
        for (j, &r) in row.iter().enumerate() {
            out[o * n + j] = left;
            left *= r;
        }
        let mut right = 1.0;
        for j in (0..n).rev() {
            out[o * n + j] *= right;
            right *= row[j];
        }
    }
    let mut inv = vec![0isize; nd];
    for (i, &p) in perm.iter().enumerate() {
        inv[p as usize] = i as isize;
    }
    Array::from_vec(out, &tshape)?
        .transpose(Some(&inv))?
        .astype(x.dtype())?
        .to_device(x.device())
}

struct Cumsum {
    axis: isize,
    reverse: bool,
}
impl FunctionNode for Cumsum {
    fn label(&self) -> &str {
        "Cumsum"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![if self.reverse {
            let ax = [self.axis];
            x[0].flip(Some(&ax))?
                .cumsum(Some(self.axis))?
                .flip(Some(&ax))?
        } else {
            x[0].cumsum(Some(self.axis))?
        }])
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let f = Cumsum {
            axis: self.axis,
            reverse: !self.reverse,
        };
        Ok(vec![Some(apply1(f, &[&gy[0]])?)])
    }
}

/// Cumulative sum along `axis` (flattened first for `None`), Chainer's `F.cumsum`.
pub fn cumsum(x: &Variable, axis: Option<isize>) -> Result<Variable> {
    expect_float("cumsum", "x", x.dtype())?;
    let (x, axis) = match axis {
        Some(a) => (
            x.clone(),
            norm_axes("cumsum", Some(&[a]), x.ndim())?[0] as isize,
        ),
        None => (reshape(x, &[x.size()])?, 0),
    };
    apply1(
        Cumsum {
            axis,
            reverse: false,
        },
        &[&x],
    )
}

/// `log(sum(exp(x)))` over `axes`, without overflow (Chainer's `F.logsumexp`).
pub fn logsumexp(x: &Variable, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
    expect_float("logsumexp", "x", x.dtype())?;
    let ax = norm_axes("logsumexp", axes, x.ndim())?;
    let axes_i: Vec<isize> = ax.iter().map(|&a| a as isize).collect();
    apply1(
        Lambda {
            label: "LogSumExp",
            op: "logsumexp",
            retain_in: &[0],
            retain_out: &[0],
            fwd: move |x: &[&Array]| x[0].logsumexp(Some(&axes_i), keepdims),
            bwd: move |ctx: &BackwardContext<'_>, gy: &Variable| {
                let x = ctx.input(0);
                let shape = x.shape();
                let y = unreduce(&ctx.output(0), &shape, &ax)?;
                let p = super::exp(&super::sub(&x, &y)?)?;
                Ok(vec![Some(mul(&unreduce(gy, &shape, &ax)?, &p)?)])
            },
        },
        &[x],
    )
}
