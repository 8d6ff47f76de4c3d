//! Elementwise math (Chainer's `chainer.functions.math`): logarithms,
//! roots, trigonometric and hyperbolic functions, `erf`, `lgamma`, `clip`,
//! `maximum`/`minimum`, `arctan2`, `fmod`, `linear_interpolate`, `bias`,
//! `scale`, `identity`, and the non-differentiable `sign`, `floor`, `ceil`.
//! Every backward is written with differentiable functions (double backprop).

use super::lambda::{mask, mul_mask, unary, Keep, Lambda};
use super::{add, add_constant, div, mul, mul_constant, neg, rsub_constant};
use crate::array::ops::special;
use crate::array::{Array, Error, Result};
use crate::function_node::{apply1, BackwardContext};
use crate::Variable;

macro_rules! simple {
    ($(#[$doc:meta])* $name:ident, $label:literal, $keep:ident, $fwd:expr, $bwd:expr) => {
        $(#[$doc])*
        pub fn $name(x: &Variable) -> Result<Variable> {
            unary(x, $label, stringify!($name), Keep::$keep, $fwd, $bwd)
        }
    };
}

simple!(
    /// `log(1 + x)`, accurate near 0 (Chainer's `F.log1p`).
    log1p, "Log1p", In, |x| x.log1p(), |x, gy| div(gy, &add_constant(x, 1.0)?)
);
simple!(
    /// Base-2 logarithm (Chainer's `F.log2`).
    log2, "Log2", In, |x| x.log2(), |x, gy| div(gy, &mul_constant(x, std::f64::consts::LN_2)?)
);
simple!(
    /// Base-10 logarithm (Chainer's `F.log10`).
    log10, "Log10", In, |x| x.log10(), |x, gy| div(gy, &mul_constant(x, std::f64::consts::LN_10)?)
);
simple!(
    /// `exp(x) - 1`, accurate near 0 (Chainer's `F.expm1`).
    expm1, "Expm1", Out, |x| x.expm1(), |y, gy| mul(gy, &add_constant(y, 1.0)?)
);
simple!(
    /// Square root (Chainer's `F.sqrt`).
    sqrt, "Sqrt", Out, |x| x.sqrt(), |y, gy| div(gy, &mul_constant(y, 2.0)?)
);
simple!(
    /// `1 / sqrt(x)` (Chainer's `F.rsqrt`).
    rsqrt, "Rsqrt", Out, |x| x.rsqrt(), |y, gy| mul(gy, &mul_constant(&mul(&mul(y, y)?, y)?, -0.5)?)
);
simple!(
    /// `x * x` (Chainer's `F.square`).
    square, "Square", In, |x| x.square(), |x, gy| mul(gy, &mul_constant(x, 2.0)?)
);
simple!(
    /// `|x|` (Chainer's `F.absolute`; the gradient at 0 is 0).
    absolute, "Absolute", In, |x| x.absolute(),
    |x, gy| { let a = x.array(); mul_mask(gy, a.sign()?) }
);
simple!(
    /// Sine (Chainer's `F.sin`).
    sin, "Sin", In, |x| x.sin(), |x, gy| mul(gy, &cos(x)?)
);
simple!(
    /// Cosine (Chainer's `F.cos`).
    cos, "Cos", In, |x| x.cos(), |x, gy| mul(gy, &neg(&sin(x)?)?)
);
simple!(
    /// Tangent (Chainer's `F.tan`).
    tan, "Tan", In, |x| x.tan(), |x, gy| div(gy, &square(&cos(x)?)?)
);
simple!(
    /// Inverse sine (Chainer's `F.arcsin`).
    arcsin, "Arcsin", In, |x| x.arcsin(),
    |x, gy| div(gy, &sqrt(&rsub_constant(&square(x)?, 1.0)?)?)
);
simple!(
    /// Inverse cosine (Chainer's `F.arccos`).
    arccos, "Arccos", In, |x| x.arccos(),
    |x, gy| neg(&div(gy, &sqrt(&rsub_constant(&square(x)?, 1.0)?)?)?)
);
simple!(
    /// Inverse tangent (Chainer's `F.arctan`).
    arctan, "Arctan", In, |x| x.arctan(), |x, gy| div(gy, &add_constant(&square(x)?, 1.0)?)
);
simple!(
    /// Hyperbolic sine (Chainer's `F.sinh`).
    sinh, "Sinh", In, |x| x.sinh(), |x, gy| mul(gy, &cosh(x)?)
);
simple!(
    /// Hyperbolic cosine (Chainer's `F.cosh`).
    cosh, "Cosh", In, |x| x.cosh(), |x, gy| mul(gy, &sinh(x)?)
);
simple!(
    /// The error function (Chainer's `F.erf`).
    erf, "Erf", In, special::erf,
    |x, gy| mul(gy, &mul_constant(&super::exp(&neg(&square(x)?)?)?, std::f64::consts::FRAC_2_SQRT_PI)?)
);
simple!(
    /// `log(|gamma(x)|)` (Chainer's `F.lgamma`).
    lgamma, "LGamma", In, special::gammaln, |x, gy| mul(gy, &digamma(x)?)
);
simple!(
    /// The digamma function, the derivative of [`lgamma`] (Chainer's `F.digamma`).
    digamma, "DiGamma", In, special::digamma, |x, gy| mul(gy, &trigamma(x)?)
);

/// The trigamma function (the derivative of digamma); its own derivative
/// (tetragamma) is not implemented, so a third derivative of `lgamma` errors.
fn trigamma(x: &Variable) -> Result<Variable> {
    unary(
        x,
        "PolyGamma",
        "polygamma",
        Keep::None,
        special::trigamma,
        |_, _| {
            Err(Error::Value {
                op: "polygamma",
                message: "the derivative of polygamma(1, x) is not implemented".into(),
            })
        },
    )
}

/// Returns `x`, as a new node of the graph (Chainer's `F.identity`).
pub fn identity(x: &Variable) -> Result<Variable> {
    apply1(
        Lambda {
            label: "Identity",
            op: "identity",
            retain_in: &[],
            retain_out: &[],
            fwd: |x: &[&Array]| Ok(x[0].clone()),
            bwd: |_: &BackwardContext<'_>, gy: &Variable| Ok(vec![Some(gy.clone())]),
        },
        &[x],
    )
}

/// A non-differentiable elementwise result, as Chainer returns for `sign`,
/// `floor` and `ceil` (a constant variable).
fn nondiff(
    op: &'static str,
    x: &Variable,
    f: impl Fn(&Array) -> Result<Array>,
) -> Result<Variable> {
    super::expect_float(op, "x", x.dtype())?;
    Ok(Variable::constant(f(&x.array())?))
}

/// `-1`, `0` or `1` by the sign of `x`; not differentiable (Chainer's `F.sign`).
pub fn sign(x: &Variable) -> Result<Variable> {
    nondiff("sign", x, |a| a.sign())
}

/// Rounds down; not differentiable (Chainer's `F.floor`).
pub fn floor(x: &Variable) -> Result<Variable> {
    nondiff("floor", x, |a| a.floor())
}

/// Rounds up; not differentiable (Chainer's `F.ceil`).
pub fn ceil(x: &Variable) -> Result<Variable> {
    nondiff("ceil", x, |a| a.ceil())
}

/// Clips `x` to `[x_min, x_max]`; the gradient passes where
/// `x_min <= x <= x_max` (Chainer's `F.clip`).
pub fn clip(x: &Variable, x_min: f64, x_max: f64) -> Result<Variable> {
    if x_min.is_nan() || x_max.is_nan() || x_min > x_max {
        return Err(Error::Value {
            op: "clip",
            message: format!("expected x_min <= x_max, got {x_min} > {x_max}"),
        });
    }
    unary(
        x,
        "Clip",
        "clip",
        Keep::In,
        move |x| x.clip(x_min, x_max)?.astype(x.dtype()),
        move |x, gy| {
            let a = x.array();
            let m = a.greater_equal(x_min)?.logical_and(&a.less_equal(x_max)?)?;
            mul_mask(gy, mask(&m, a.dtype())?)
        },
    )
}

/// A two-input elementwise function of same-shape float inputs.
fn binary(
    x: &Variable,
    y: &Variable,
    label: &'static str,
    op: &'static str,
    fwd: impl Fn(&Array, &Array) -> Result<Array> + 'static,
    bwd: impl Fn(&Variable, &Variable, &Variable) -> Result<(Variable, Variable)> + 'static,
) -> Result<Variable> {
    if x.shape() != y.shape() {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected x1.shape == x2.shape, got {:?} != {:?}",
                x.shape(),
                y.shape()
            ),
        });
    }
    apply1(
        Lambda {
            label,
            op,
            retain_in: &[0, 1],
            retain_out: &[],
            fwd: move |v: &[&Array]| fwd(v[0], v[1]),
            bwd: move |ctx: &BackwardContext<'_>, gy: &Variable| {
                let (a, b) = bwd(&ctx.input(0), &ctx.input(1), gy)?;
                Ok(vec![
                    ctx.needs_input_grad(0).then_some(a),
                    ctx.needs_input_grad(1).then_some(b),
                ])
            },
        },
        &[x, y],
    )
}

/// Elementwise maximum; ties send the gradient to `x1` (Chainer's `F.maximum`).
pub fn maximum(x1: &Variable, x2: &Variable) -> Result<Variable> {
    binary(
        x1,
        x2,
        "Maximum",
        "maximum",
        |a, b| a.maximum(b),
        |a, b, gy| {
            let c = a.array().greater_equal(&b.array())?;
            let d = gy.dtype();
            Ok((
                mul_mask(gy, mask(&c, d)?)?,
                mul_mask(gy, mask(&c.logical_not()?, d)?)?,
            ))
        },
    )
}

/// Elementwise minimum; ties send the gradient to `x1` (Chainer's `F.minimum`).
pub fn minimum(x1: &Variable, x2: &Variable) -> Result<Variable> {
    binary(
        x1,
        x2,
        "Minimum",
        "minimum",
        |a, b| a.minimum(b),
        |a, b, gy| {
            let c = a.array().less_equal(&b.array())?;
            let d = gy.dtype();
            Ok((
                mul_mask(gy, mask(&c, d)?)?,
                mul_mask(gy, mask(&c.logical_not()?, d)?)?,
            ))
        },
    )
}

/// `atan2(x1, x2)`, the angle of the point `(x2, x1)` (Chainer's `F.arctan2`).
pub fn arctan2(x1: &Variable, x2: &Variable) -> Result<Variable> {
    binary(
        x1,
        x2,
        "Arctan2",
        "arctan2",
        |a, b| a.arctan2(b),
        |a, b, gy| {
            let r = add(&square(a)?, &square(b)?)?;
            let g = div(gy, &r)?;
            Ok((mul(&g, b)?, neg(&mul(&g, a)?)?))
        },
    )
}

/// C's `fmod`: the remainder with the sign of `x` (Chainer's `F.fmod`).
pub fn fmod(x: &Variable, divisor: &Variable) -> Result<Variable> {
    binary(
        x,
        divisor,
        "Fmod",
        "fmod",
        // |x| mod |d| is exact; the sign of x makes it C's fmod.
        |a, b| a.absolute()?.remainder(&b.absolute()?)?.copysign(a),
        |a, b, gy| {
            let q = a.array().true_divide(&b.array())?.trunc()?;
            Ok((gy.clone(), neg(&mul_mask(gy, q)?)?))
        },
    )
}

/// `p * x + (1 - p) * y` (Chainer's `F.linear_interpolate`).
pub fn linear_interpolate(p: &Variable, x: &Variable, y: &Variable) -> Result<Variable> {
    if p.shape() != x.shape() || x.shape() != y.shape() {
        return Err(Error::Shape {
            op: "linear_interpolate",
            message: format!(
                "expected p.shape == x.shape == y.shape, got {:?}, {:?}, {:?}",
                p.shape(),
                x.shape(),
                y.shape()
            ),
        });
    }
    super::expect_float("linear_interpolate", "p", p.dtype())?;
    add(&mul(p, &super::sub(x, y)?)?, y)
}

/// `y` reshaped to align with axes `axis..axis + y.ndim` of `x` and broadcast.
fn align(op: &'static str, x: &Variable, y: &Variable, axis: usize) -> Result<Variable> {
    let (xs, ys) = (x.shape(), y.shape());
    if axis + ys.len() > xs.len() || xs[axis..axis + ys.len()] != ys[..] {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected x.shape[axis:axis + y.ndim] == y.shape, got x.shape {xs:?}, y.shape {ys:?}, axis {axis}"
            ),
        });
    }
    super::expect_same_dtype(op, x.dtype(), y.dtype())?;
    let mut shape = vec![1; axis];
    shape.extend_from_slice(&ys);
    shape.resize(xs.len(), 1);
    super::broadcast_to(&super::reshape(y, &shape)?, &xs)
}

/// `x + y` with `y` broadcast along axes `axis..` of `x` (Chainer's `F.bias`, default axis 1).
pub fn bias(x: &Variable, y: &Variable, axis: usize) -> Result<Variable> {
    add(x, &align("bias", x, y, axis)?)
}

/// `x * y` with `y` broadcast along axes `axis..` of `x` (Chainer's `F.scale`, default axis 1).
pub fn scale(x: &Variable, y: &Variable, axis: usize) -> Result<Variable> {
    mul(x, &align("scale", x, y, axis)?)
}
