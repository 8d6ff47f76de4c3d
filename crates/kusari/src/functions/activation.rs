//! Activation functions (Chainer's `chainer.functions.activation`).
//!
//! `relu`, `sigmoid`, `tanh`, `softmax` and `log_softmax` are the training hot
//! path: their forward and backward are single fused passes
//! (`kusari_array::ops::nn`), and each backward is itself a node (Chainer's
//! `ReLUGrad2`, `SigmoidGrad`, `TanhGrad`, `_SoftmaxGrad`, `LogSoftmaxGrad`)
//! so double backprop works. The others are built from masks and
//! differentiable functions.

use super::lambda::{mask, mul_mask, unary, Keep};
use super::{expect_float, math_reduce::max, reshape};
use crate::array::ops::{manip, nn};
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

fn check_float(op: &'static str, x: &[&Array]) -> Result<()> {
    expect_float(op, "x", x[0].dtype())
}

/// `x[..]` as an axis in `0..ndim`, or Chainer's type-check error.
fn norm_axis(op: &'static str, axis: isize, ndim: usize) -> Result<usize> {
    let n = ndim as isize;
    if axis < -n || axis >= n {
        return Err(Error::Axis { op, axis, ndim });
    }
    Ok(if axis < 0 { axis + n } else { axis } as usize)
}

struct ReLU;
impl FunctionNode for ReLU {
    fn label(&self) -> &str {
        "ReLU"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_float("relu", x)
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].maximum(0.0)?])
    }
    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let y = ctx.output(0).array();
        Ok(vec![Some(apply1(ReLUGrad { y }, &[&gy[0]])?)])
    }
}

/// `gy * (y > 0)`, linear in `gy` (its own backward is itself).
struct ReLUGrad {
    y: Array,
}
impl FunctionNode for ReLUGrad {
    fn label(&self) -> &str {
        "ReLUGrad2"
    }
    fn forward(&self, g: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![nn::relu_grad(&self.y, g[0])?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gg: &[Variable]) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(apply1(
            ReLUGrad { y: self.y.clone() },
            &[&gg[0]],
        )?)])
    }
}

/// Rectified linear unit `max(0, x)` (Chainer's `F.relu`).
pub fn relu(x: &Variable) -> Result<Variable> {
    apply1(ReLU, &[x])
}

struct Sigmoid;
impl FunctionNode for Sigmoid {
    fn label(&self) -> &str {
        "Sigmoid"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_float("sigmoid", x)
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
        Ok(vec![Some(apply1(SigmoidGrad, &[&ctx.output(0), &gy[0]])?)])
    }
}

/// `gy * y * (1 - y)` from `(y, gy)`.
struct SigmoidGrad;
impl FunctionNode for SigmoidGrad {
    fn label(&self) -> &str {
        "SigmoidGrad"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![nn::sigmoid_grad(x[0], x[1])?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gg: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let (y, gy, ggx) = (ctx.input(0), ctx.input(1), &gg[0]);
        // d/dy = ggx * gy * (1 - 2y); d/dgy = ggx * y * (1 - y)
        let gy_ = &(ggx * &gy) * &super::rsub_constant(&(&y * 2.0), 1.0)?;
        let ggy = &(ggx * &y) * &super::rsub_constant(&y, 1.0)?;
        Ok(vec![Some(gy_), Some(ggy)])
    }
}

/// Logistic sigmoid `1 / (1 + exp(-x))` (Chainer's `F.sigmoid`).
pub fn sigmoid(x: &Variable) -> Result<Variable> {
    apply1(Sigmoid, &[x])
}

struct Tanh;
impl FunctionNode for Tanh {
    fn label(&self) -> &str {
        "Tanh"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_float("tanh", x)
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
        Ok(vec![Some(apply1(TanhGrad, &[&ctx.output(0), &gy[0]])?)])
    }
}

/// `gy * (1 - y^2)` from `(y, gy)`.
struct TanhGrad;
impl FunctionNode for TanhGrad {
    fn label(&self) -> &str {
        "TanhGrad"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![nn::tanh_grad(x[0], x[1])?])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gg: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let (y, gy, ggx) = (ctx.input(0), ctx.input(1), &gg[0]);
        let y_ggx = &y * ggx;
        let grad_y = &(&gy * &y_ggx) * -2.0;
        let ggy = ggx - &(&y * &y_ggx);
        Ok(vec![Some(grad_y), Some(ggy)])
    }
}

/// Hyperbolic tangent (Chainer's `F.tanh`).
pub fn tanh(x: &Variable) -> Result<Variable> {
    apply1(Tanh, &[x])
}

struct Softmax {
    axis: isize,
    log: bool,
}
impl FunctionNode for Softmax {
    fn label(&self) -> &str {
        if self.log {
            "LogSoftmax"
        } else {
            "Softmax"
        }
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        let op = if self.log { "log_softmax" } else { "softmax" };
        check_float(op, x)?;
        norm_axis(op, self.axis, x[0].ndim()).map(|_| ())
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![if self.log {
            nn::log_softmax(x[0], self.axis)?
        } else {
            nn::softmax(x[0], self.axis)?
        }])
    }
    fn retain_outputs(&self) -> &[usize] {
        &[0]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let g = SoftmaxGrad {
            axis: self.axis,
            log: self.log,
        };
        Ok(vec![Some(apply1(g, &[&ctx.output(0), &gy[0]])?)])
    }
}

/// The softmax (or log-softmax) gradient from `(y, gy)`.
struct SoftmaxGrad {
    axis: isize,
    log: bool,
}
impl FunctionNode for SoftmaxGrad {
    fn label(&self) -> &str {
        if self.log {
            "LogSoftmaxGrad"
        } else {
            "_SoftmaxGrad"
        }
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![if self.log {
            nn::log_softmax_grad(x[0], x[1], self.axis)?
        } else {
            nn::softmax_grad(x[0], x[1], self.axis)?
        }])
    }
    fn retain_inputs(&self) -> &[usize] {
        &[0, 1]
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gg: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let (y, gy, ggx) = (ctx.input(0), ctx.input(1), &gg[0]);
        let ax = [self.axis];
        let shape = y.shape();
        let bsum = |v: &Variable| -> Result<Variable> {
            super::broadcast_to(&super::sum(v, Some(&ax), true)?, &shape)
        };
        if self.log {
            // gx = gy - exp(y) * sum(gy)
            let exp_y = super::exp(&y)?;
            let g0 = if ctx.needs_input_grad(0) {
                Some(-&(&(ggx * &exp_y) * &bsum(&gy)?))
            } else {
                None
            };
            let g1 = if ctx.needs_input_grad(1) {
                Some(ggx - &bsum(&(ggx * &exp_y))?)
            } else {
                None
            };
            Ok(vec![g0, g1])
        } else {
            // gx = y * gy - y * sum(y * gy)
            let ga = ggx - &bsum(&(ggx * &y))?;
            let g0 = if ctx.needs_input_grad(0) {
                Some(&(&ga * &gy) - &(ggx * &bsum(&(&y * &gy))?))
            } else {
                None
            };
            let g1 = ctx.needs_input_grad(1).then(|| &ga * &y);
            Ok(vec![g0, g1])
        }
    }
}

/// Softmax along `axis` (Chainer's `F.softmax`, whose default axis is 1).
pub fn softmax(x: &Variable, axis: isize) -> Result<Variable> {
    apply1(Softmax { axis, log: false }, &[x])
}

/// Log-softmax along `axis`, computed as `x - logsumexp(x)` so it neither
/// overflows nor takes `log(0)` (Chainer's `F.log_softmax`, default axis 1).
pub fn log_softmax(x: &Variable, axis: isize) -> Result<Variable> {
    apply1(Softmax { axis, log: true }, &[x])
}

/// `x` where `x > 0`, else `slope * x` (Chainer's `F.leaky_relu`, default slope 0.2).
pub fn leaky_relu(x: &Variable, slope: f64) -> Result<Variable> {
    unary(
        x,
        "LeakyReLU",
        "leaky_relu",
        Keep::In,
        move |x| {
            let neg = x.less_equal(0.0)?;
            crate::array::ops::ufunc::where_(&neg, &x.multiply(slope)?, x)
        },
        move |x, gy| {
            let x = x.array();
            let m = crate::array::ops::ufunc::where_(&x.less_equal(0.0)?, slope, 1.0)?
                .astype(x.dtype())?;
            mul_mask(gy, m)
        },
    )
}

/// `x` for `x > 0`, else `alpha * (exp(x) - 1)` (Chainer's `F.elu`, default alpha 1).
pub fn elu(x: &Variable, alpha: f64) -> Result<Variable> {
    unary(
        x,
        "ELU",
        "elu",
        Keep::In,
        move |x| {
            let neg = x.less_equal(0.0)?;
            crate::array::ops::ufunc::where_(&neg, &x.minimum(0.0)?.expm1()?.multiply(alpha)?, x)
        },
        move |x, gy| {
            let xa = x.array();
            let pos = mask(&xa.greater(0.0)?, xa.dtype())?;
            let neg = mask(&xa.less_equal(0.0)?, xa.dtype())?;
            // alpha * exp(x) on the negative side only, so large x cannot overflow.
            let e = super::mul_constant(&super::exp(&mul_mask(x, neg.clone())?)?, alpha)?;
            let slope = &mul_mask(&e, neg)? + &Variable::constant(pos);
            super::mul(gy, &slope)
        },
    )
}

/// Scaled ELU `scale * elu(x, alpha)` (Chainer's `F.selu`; defaults
/// alpha 1.6732632423543772, scale 1.0507009873554805).
pub fn selu(x: &Variable, alpha: f64, scale: f64) -> Result<Variable> {
    super::mul_constant(&elu(x, alpha)?, scale)
}

/// `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))` (continuously
/// differentiable ELU; PyTorch's `celu`, Chainer has none; default alpha 1).
pub fn celu(x: &Variable, alpha: f64) -> Result<Variable> {
    if alpha == 0.0 {
        return Err(Error::Value {
            op: "celu",
            message: "expected alpha != 0, got 0".into(),
        });
    }
    super::mul_constant(&elu(&super::div_constant(x, alpha)?, 1.0)?, alpha)
}

/// `min(max(0, x), z)` (Chainer's `F.clipped_relu`, default z 20).
pub fn clipped_relu(x: &Variable, z: f64) -> Result<Variable> {
    if z.is_nan() || z < 0.0 {
        return Err(Error::Value {
            op: "clipped_relu",
            message: format!("expected z >= 0, got {z}"),
        });
    }
    unary(
        x,
        "ClippedReLU",
        "clipped_relu",
        Keep::In,
        move |x| x.maximum(0.0)?.minimum(z),
        move |x, gy| {
            let x = x.array();
            let m = x.greater(0.0)?.logical_and(&x.less(z)?)?;
            mul_mask(gy, mask(&m, x.dtype())?)
        },
    )
}

/// `min(max(0, x), 6)` (`clipped_relu(x, 6)`, Chainer's `F.relu6`).
pub fn relu6(x: &Variable) -> Result<Variable> {
    clipped_relu(x, 6.0)
}

/// Concatenated ReLU: `concat(max(0, x), max(0, -x))` along `axis`
/// (Chainer's `F.crelu`, default axis 1).
pub fn crelu(x: &Variable, axis: isize) -> Result<Variable> {
    let ax = norm_axis("crelu", axis, x.ndim())?;
    let xa = x.array();
    let pos = mask(&xa.greater(0.0)?, xa.dtype())?;
    let neg = mask(&xa.less(0.0)?, xa.dtype())?.negative()?;
    // crelu(x) = concat(pos * x, neg * x): linear in x given the masks.
    apply1(CReLU { ax, pos, neg }, &[x])
}

struct CReLU {
    ax: usize,
    pos: Array,
    neg: Array,
}
impl FunctionNode for CReLU {
    fn label(&self) -> &str {
        "CReLU"
    }
    fn check_type(&self, x: &[&Array]) -> Result<()> {
        check_float("crelu", x)
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let (a, b) = (x[0].multiply(&self.pos)?, x[0].multiply(&self.neg)?);
        Ok(vec![manip::concatenate(&[&a, &b], self.ax as isize)?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let g = CReLUGrad {
            ax: self.ax,
            pos: self.pos.clone(),
            neg: self.neg.clone(),
        };
        Ok(vec![Some(apply1(g, &[&gy[0]])?)])
    }
}

/// The transpose of [`CReLU`]: `pos * gy[:n] + neg * gy[n:]`.
struct CReLUGrad {
    ax: usize,
    pos: Array,
    neg: Array,
}
impl FunctionNode for CReLUGrad {
    fn label(&self) -> &str {
        "CReLUGrad"
    }
    fn forward(&self, g: &[&Array]) -> Result<Vec<Array>> {
        let parts = manip::split(g[0], 2, self.ax as isize)?;
        Ok(vec![parts[0]
            .multiply(&self.pos)?
            .add(&parts[1].multiply(&self.neg)?)?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gg: &[Variable]) -> Result<Vec<Option<Variable>>> {
        let f = CReLU {
            ax: self.ax,
            pos: self.pos.clone(),
            neg: self.neg.clone(),
        };
        Ok(vec![Some(apply1(f, &[&gg[0]])?)])
    }
}

/// `(1, *w.shape, 1, ...)`: `w` aligned with axes `1..` of an `ndim`-d input.
fn extended(op: &'static str, x: &Variable, w: &Variable) -> Result<Variable> {
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() < ws.len() + 1 || xs[1..1 + ws.len()] != ws[..] {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected x.shape[1:1 + {0}.ndim] == {0}.shape, got x.shape {xs:?} and {0}.shape {ws:?}",
                if op == "prelu" { "W" } else { "beta" }
            ),
        });
    }
    if x.dtype() != w.dtype() {
        return super::expect_same_dtype(op, x.dtype(), w.dtype()).map(|_| x.clone());
    }
    let mut shape = vec![1];
    shape.extend_from_slice(&ws);
    shape.resize(xs.len(), 1);
    super::broadcast_to(&reshape(w, &shape)?, &xs)
}

/// Parametric ReLU: `x` where `x >= 0`, else `W * x`, `W` of shape
/// `x.shape[1:1 + W.ndim]` (Chainer's `F.prelu`).
pub fn prelu(x: &Variable, w: &Variable) -> Result<Variable> {
    expect_float("prelu", "x", x.dtype())?;
    let wb = extended("prelu", x, w)?;
    let xa = x.array();
    let pos = mask(&xa.greater_equal(0.0)?, xa.dtype())?;
    let neg = mask(&xa.less(0.0)?, xa.dtype())?;
    let neg_part = super::mul(&mul_mask(x, neg)?, &wb)?;
    super::add(&mul_mask(x, pos)?, &neg_part)
}

/// `clip(0.2 * x + 0.5, 0, 1)` (Chainer's `F.hard_sigmoid`).
pub fn hard_sigmoid(x: &Variable) -> Result<Variable> {
    unary(
        x,
        "HardSigmoid",
        "hard_sigmoid",
        Keep::In,
        |x| x.multiply(0.2)?.add(0.5)?.clip(0.0, 1.0),
        |x, gy| {
            let x = x.array();
            let m = x.greater(-2.5)?.logical_and(&x.less(2.5)?)?;
            mul_mask(gy, mask(&m, x.dtype())?.multiply(0.2)?)
        },
    )
}

/// `log(1 + exp(beta * x)) / beta`, computed without overflow (Chainer's
/// `F.softplus`, default beta 1).
pub fn softplus(x: &Variable, beta: f64) -> Result<Variable> {
    if beta == 0.0 {
        return Err(Error::Value {
            op: "softplus",
            message: "expected beta != 0, got 0".into(),
        });
    }
    unary(
        x,
        "Softplus",
        "softplus",
        Keep::In,
        move |x| {
            let bx = x.multiply(beta)?;
            let t = bx.absolute()?.negative()?.exp()?.log1p()?;
            bx.fmax(0.0)?.add(&t)?.multiply(1.0 / beta)
        },
        move |x, gy| super::mul(gy, &sigmoid(&super::mul_constant(x, beta)?)?),
    )
}

/// `x * sigmoid(beta * x)` with a learnable `beta` of shape
/// `x.shape[1:1 + beta.ndim]` (Chainer's `F.swish`).
pub fn swish(x: &Variable, beta: &Variable) -> Result<Variable> {
    expect_float("swish", "x", x.dtype())?;
    let bb = extended("swish", x, beta)?;
    super::mul(x, &sigmoid(&super::mul(&bb, x)?)?)
}

/// Maximum over groups of `pool_size` consecutive channels along `axis`
/// (Chainer's `F.maxout`, default axis 1).
pub fn maxout(x: &Variable, pool_size: usize, axis: isize) -> Result<Variable> {
    let ax = norm_axis("maxout", axis, x.ndim())?;
    let shape = x.shape();
    if pool_size == 0 || !shape[ax].is_multiple_of(pool_size) {
        return Err(Error::Shape {
            op: "maxout",
            message: format!(
                "expected x.shape[axis] % pool_size == 0 and pool_size > 0, got x.shape[axis]={}, pool_size={pool_size}",
                shape[ax]
            ),
        });
    }
    let mut s = shape[..ax].to_vec();
    s.push(shape[ax] / pool_size);
    s.push(pool_size);
    s.extend_from_slice(&shape[ax + 1..]);
    max(&reshape(x, &s)?, Some(&[ax as isize + 1]), false)
}

/// Gaussian error linear unit with the exact erf form
/// `x * (1 + erf(x / sqrt(2))) / 2` (Hendrycks & Gimpel; PyTorch's default
/// `gelu`). Chainer 7.8.1 has no `gelu`, so this follows the paper.
pub fn gelu(x: &Variable) -> Result<Variable> {
    expect_float("gelu", "x", x.dtype())?;
    let phi = super::add_constant(
        &super::mul_constant(
            &super::erf(&super::mul_constant(x, std::f64::consts::FRAC_1_SQRT_2)?)?,
            0.5,
        )?,
        0.5,
    )?;
    super::mul(x, &phi)
}
