//! Arithmetic: `add`, `sub`, `mul`, `div`, `neg`, `pow`, and their forms with
//! a scalar constant (which keep the variable's dtype, as NumPy's weak
//! scalars do). Inputs broadcast; gradients are summed back to each input's shape.

use super::array_ops::sum_to;
use super::expect_same_dtype;
use crate::array::{Array, Result, Scalar};
use crate::function_node::{apply1, BackwardContext, FunctionNode};
use crate::Variable;

/// `g` summed to input `i`'s shape when broadcasting widened it.
fn fit(ctx: &BackwardContext<'_>, i: usize, g: Variable) -> Result<Variable> {
    let shape = ctx.input_shape(i);
    if g.data().shape() == &shape[..] {
        Ok(g)
    } else {
        sum_to(&g, &shape)
    }
}

macro_rules! binary_function {
    ($name:ident, $label:literal, $retain:expr) => {
        struct $name;
        impl FunctionNode for $name {
            fn label(&self) -> &str {
                $label
            }
            fn check_type(&self, x: &[&Array]) -> Result<()> {
                expect_same_dtype(stringify!($name), x[0].dtype(), x[1].dtype())
            }
            fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
                Ok(vec![self.fwd(x[0], x[1])?])
            }
            fn retain_inputs(&self) -> &[usize] {
                $retain
            }
            fn backward(
                &self,
                ctx: &BackwardContext<'_>,
                gy: &[Variable],
            ) -> Result<Vec<Option<Variable>>> {
                backward_binary(self, ctx, &gy[0])
            }
        }
    };
}

trait Binary {
    fn fwd(&self, a: &Array, b: &Array) -> Result<Array>;
    fn bwd(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &Variable,
    ) -> Result<(Option<Variable>, Option<Variable>)>;
}
fn backward_binary<B: Binary>(
    f: &B,
    ctx: &BackwardContext<'_>,
    gy: &Variable,
) -> Result<Vec<Option<Variable>>> {
    let (g0, g1) = f.bwd(ctx, gy)?;
    Ok(vec![
        g0.map(|g| fit(ctx, 0, g)).transpose()?,
        g1.map(|g| fit(ctx, 1, g)).transpose()?,
    ])
}

binary_function!(Add, "Add", &[]);
impl Binary for Add {
    fn fwd(&self, a: &Array, b: &Array) -> Result<Array> {
        a.add(b)
    }
    fn bwd(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &Variable,
    ) -> Result<(Option<Variable>, Option<Variable>)> {
        Ok((
            ctx.needs_input_grad(0).then(|| gy.clone()),
            ctx.needs_input_grad(1).then(|| gy.clone()),
        ))
    }
}

binary_function!(Sub, "Sub", &[]);
impl Binary for Sub {
    fn fwd(&self, a: &Array, b: &Array) -> Result<Array> {
        a.subtract(b)
    }
    fn bwd(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &Variable,
    ) -> Result<(Option<Variable>, Option<Variable>)> {
        let g1 = if ctx.needs_input_grad(1) {
            Some(neg(gy)?)
        } else {
            None
        };
        Ok((ctx.needs_input_grad(0).then(|| gy.clone()), g1))
    }
}

binary_function!(Mul, "Mul", &[0, 1]);
impl Binary for Mul {
    fn fwd(&self, a: &Array, b: &Array) -> Result<Array> {
        a.multiply(b)
    }
    fn bwd(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &Variable,
    ) -> Result<(Option<Variable>, Option<Variable>)> {
        let g0 = if ctx.needs_input_grad(0) {
            Some(mul(gy, &ctx.input(1))?)
        } else {
            None
        };
        let g1 = if ctx.needs_input_grad(1) {
            Some(mul(gy, &ctx.input(0))?)
        } else {
            None
        };
        Ok((g0, g1))
    }
}

binary_function!(Div, "Div", &[0, 1]);
impl Binary for Div {
    fn fwd(&self, a: &Array, b: &Array) -> Result<Array> {
        a.true_divide(b)
    }
    fn bwd(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &Variable,
    ) -> Result<(Option<Variable>, Option<Variable>)> {
        let x1 = ctx.input(1);
        let g0 = div(gy, &x1)?;
        let g1 = if ctx.needs_input_grad(1) {
            // d(x0/x1)/dx1 = -x0 / x1^2 = -(gy/x1) * (x0/x1)
            Some(neg(&mul(&g0, &div(&ctx.input(0), &x1)?)?)?)
        } else {
            None
        };
        Ok((ctx.needs_input_grad(0).then_some(g0), g1))
    }
}

binary_function!(PowVarVar, "PowVarVar", &[0, 1]);
impl Binary for PowVarVar {
    fn fwd(&self, a: &Array, b: &Array) -> Result<Array> {
        a.power(b)
    }
    fn bwd(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &Variable,
    ) -> Result<(Option<Variable>, Option<Variable>)> {
        let (x, p) = (ctx.input(0), ctx.input(1));
        let g0 = if ctx.needs_input_grad(0) {
            // p * x^(p-1)
            Some(mul(gy, &mul(&p, &pow(&x, &add_constant(&p, -1.0)?)?)?)?)
        } else {
            None
        };
        let g1 = if ctx.needs_input_grad(1) {
            // log(x) * x^p
            Some(mul(gy, &mul(&super::log(&x)?, &pow(&x, &p)?)?)?)
        } else {
            None
        };
        Ok((g0, g1))
    }
}

/// `x + y` with broadcasting (Chainer's `F.add`); dtypes must match.
pub fn add(x: &Variable, y: &Variable) -> Result<Variable> {
    apply1(Add, &[x, y])
}
/// `x - y` with broadcasting.
pub fn sub(x: &Variable, y: &Variable) -> Result<Variable> {
    apply1(Sub, &[x, y])
}
/// `x * y` elementwise with broadcasting.
pub fn mul(x: &Variable, y: &Variable) -> Result<Variable> {
    apply1(Mul, &[x, y])
}
/// `x / y` elementwise with broadcasting.
pub fn div(x: &Variable, y: &Variable) -> Result<Variable> {
    apply1(Div, &[x, y])
}
/// `x ** y` elementwise with broadcasting.
pub fn pow(x: &Variable, y: &Variable) -> Result<Variable> {
    apply1(PowVarVar, &[x, y])
}

struct Neg;
impl FunctionNode for Neg {
    fn label(&self) -> &str {
        "Neg"
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        Ok(vec![x[0].negative()?])
    }
    fn backward(&self, _: &BackwardContext<'_>, gy: &[Variable]) -> Result<Vec<Option<Variable>>> {
        Ok(vec![Some(neg(&gy[0])?)])
    }
}

/// `-x`.
pub fn neg(x: &Variable) -> Result<Variable> {
    apply1(Neg, &[x])
}

/// The scalar operations, one node type with the operation as data.
#[derive(Clone, Copy)]
enum ConstOp {
    /// x + c
    Add,
    /// c - x
    RSub,
    /// x * c
    Mul,
    /// x / c
    Div,
    /// c / x
    RDiv,
    /// x ** c
    Pow,
}

struct Constant {
    op: ConstOp,
    c: f64,
}

impl FunctionNode for Constant {
    fn label(&self) -> &str {
        match self.op {
            ConstOp::Add => "AddConstant",
            ConstOp::RSub => "SubFromConstant",
            ConstOp::Mul => "MulConstant",
            ConstOp::Div => "DivConstant",
            ConstOp::RDiv => "DivFromConstant",
            ConstOp::Pow => "PowVarConst",
        }
    }
    fn forward(&self, x: &[&Array]) -> Result<Vec<Array>> {
        let c = Scalar::Float(self.c);
        let x = x[0];
        Ok(vec![match self.op {
            ConstOp::Add => x.add(c)?,
            ConstOp::RSub => crate::array::ops::math::subtract(c, x)?,
            ConstOp::Mul => x.multiply(c)?,
            ConstOp::Div => x.true_divide(c)?,
            ConstOp::RDiv => crate::array::ops::math::true_divide(c, x)?,
            ConstOp::Pow => x.power(c)?,
        }])
    }
    fn retain_inputs(&self) -> &[usize] {
        match self.op {
            ConstOp::RDiv | ConstOp::Pow => &[0],
            _ => &[],
        }
    }
    fn backward(
        &self,
        ctx: &BackwardContext<'_>,
        gy: &[Variable],
    ) -> Result<Vec<Option<Variable>>> {
        let gy = &gy[0];
        let c = self.c;
        Ok(vec![Some(match self.op {
            ConstOp::Add => gy.clone(),
            ConstOp::RSub => neg(gy)?,
            ConstOp::Mul => mul_constant(gy, c)?,
            ConstOp::Div => div_constant(gy, c)?,
            ConstOp::RDiv => {
                // d(c/x)/dx = -c / x^2
                let x = ctx.input(0);
                mul(gy, &rdiv_constant(&mul(&x, &x)?, -c)?)?
            }
            ConstOp::Pow => {
                let x = ctx.input(0);
                mul(gy, &mul_constant(&pow_constant(&x, c - 1.0)?, c)?)?
            }
        })])
    }
}

fn constant(x: &Variable, op: ConstOp, c: f64) -> Result<Variable> {
    apply1(Constant { op, c }, &[x])
}

/// `x + c` (dtype of `x` kept).
pub fn add_constant(x: &Variable, c: f64) -> Result<Variable> {
    constant(x, ConstOp::Add, c)
}
/// `c - x`.
pub fn rsub_constant(x: &Variable, c: f64) -> Result<Variable> {
    constant(x, ConstOp::RSub, c)
}
/// `x * c`.
pub fn mul_constant(x: &Variable, c: f64) -> Result<Variable> {
    constant(x, ConstOp::Mul, c)
}
/// `x / c`.
pub fn div_constant(x: &Variable, c: f64) -> Result<Variable> {
    constant(x, ConstOp::Div, c)
}
/// `c / x`.
pub fn rdiv_constant(x: &Variable, c: f64) -> Result<Variable> {
    constant(x, ConstOp::RDiv, c)
}
/// `x ** c`.
pub fn pow_constant(x: &Variable, c: f64) -> Result<Variable> {
    constant(x, ConstOp::Pow, c)
}
