//! Operators and methods on [`Variable`]: `&x + &y`, `2.0 * &x`, `x.pow(2.0)`,
//! `x.matmul(&w)`, ... Operators panic with the function's error message on
//! bad input (as array operators do); the `try_*` methods return `Result`.

use crate::array::{Array, Result};
use crate::functions as F;
use crate::Variable;
use std::ops::{Add, Div, Mul, Neg, Sub};

impl Variable {
    /// `self + other` (fallible form of `+`).
    pub fn try_add(&self, other: &Variable) -> Result<Variable> {
        F::add(self, other)
    }
    /// `self - other`.
    pub fn try_sub(&self, other: &Variable) -> Result<Variable> {
        F::sub(self, other)
    }
    /// `self * other`.
    pub fn try_mul(&self, other: &Variable) -> Result<Variable> {
        F::mul(self, other)
    }
    /// `self / other`.
    pub fn try_div(&self, other: &Variable) -> Result<Variable> {
        F::div(self, other)
    }
    /// `self ** p` for a constant `p`. Panics on error, like the operators; see [`F::pow_constant`].
    #[track_caller]
    pub fn pow(&self, p: f64) -> Variable {
        F::pow_constant(self, p).unwrap_or_else(|e| panic!("{e}"))
    }
    /// `self ** p` elementwise for a variable exponent.
    pub fn pow_var(&self, p: &Variable) -> Result<Variable> {
        F::pow(self, p)
    }
    /// Elementwise `e^x`.
    pub fn exp(&self) -> Result<Variable> {
        F::exp(self)
    }
    /// Elementwise natural log.
    pub fn log(&self) -> Result<Variable> {
        F::log(self)
    }
    /// Matrix product (`@`).
    pub fn matmul(&self, other: &Variable) -> Result<Variable> {
        F::matmul(self, other)
    }
    /// Sum over `axes` (all for `None`).
    pub fn sum(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Variable> {
        F::sum(self, axes, keepdims)
    }
    /// A new shape with the same number of elements.
    pub fn reshape(&self, shape: &[usize]) -> Result<Variable> {
        F::reshape(self, shape)
    }
    /// Permutes the axes (reverses them for `None`).
    pub fn transpose(&self, axes: Option<&[isize]>) -> Result<Variable> {
        F::transpose(self, axes)
    }
    /// Reverses the axes.
    #[track_caller]
    pub fn t(&self) -> Variable {
        F::transpose(self, None).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[track_caller]
fn ok(r: Result<Variable>) -> Variable {
    r.unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! var_ops {
    ($tr:ident, $m:ident, $f:path, $cf:path, $rcf:path) => {
        impl $tr<&Variable> for &Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: &Variable) -> Variable {
                ok($f(self, r))
            }
        }
        impl $tr<Variable> for Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: Variable) -> Variable {
                ok($f(&self, &r))
            }
        }
        impl $tr<&Variable> for Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: &Variable) -> Variable {
                ok($f(&self, r))
            }
        }
        impl $tr<Variable> for &Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: Variable) -> Variable {
                ok($f(self, &r))
            }
        }
        impl $tr<&Array> for &Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: &Array) -> Variable {
                ok($f(self, &Variable::constant(r.clone())))
            }
        }
        impl $tr<&Array> for Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: &Array) -> Variable {
                ok($f(&self, &Variable::constant(r.clone())))
            }
        }
        impl $tr<&Variable> for &Array {
            type Output = Variable;
            #[track_caller]
            fn $m(self, r: &Variable) -> Variable {
                ok($f(&Variable::constant(self.clone()), r))
            }
        }
        impl $tr<f64> for &Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, c: f64) -> Variable {
                ok($cf(self, c))
            }
        }
        impl $tr<f64> for Variable {
            type Output = Variable;
            #[track_caller]
            fn $m(self, c: f64) -> Variable {
                ok($cf(&self, c))
            }
        }
        impl $tr<&Variable> for f64 {
            type Output = Variable;
            #[track_caller]
            fn $m(self, x: &Variable) -> Variable {
                ok($rcf(x, self))
            }
        }
        impl $tr<Variable> for f64 {
            type Output = Variable;
            #[track_caller]
            fn $m(self, x: Variable) -> Variable {
                ok($rcf(&x, self))
            }
        }
    };
}

fn sub_constant(x: &Variable, c: f64) -> Result<Variable> {
    F::add_constant(x, -c)
}
fn radd_constant(x: &Variable, c: f64) -> Result<Variable> {
    F::add_constant(x, c)
}
fn rmul_constant(x: &Variable, c: f64) -> Result<Variable> {
    F::mul_constant(x, c)
}

var_ops!(Add, add, F::add, F::add_constant, radd_constant);
var_ops!(Sub, sub, F::sub, sub_constant, F::rsub_constant);
var_ops!(Mul, mul, F::mul, F::mul_constant, rmul_constant);
var_ops!(Div, div, F::div, F::div_constant, F::rdiv_constant);

impl Neg for &Variable {
    type Output = Variable;
    #[track_caller]
    fn neg(self) -> Variable {
        ok(F::neg(self))
    }
}
impl Neg for Variable {
    type Output = Variable;
    #[track_caller]
    fn neg(self) -> Variable {
        ok(F::neg(&self))
    }
}
