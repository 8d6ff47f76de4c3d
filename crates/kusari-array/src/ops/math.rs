//! NumPy-named elementwise functions (`exp(&a)`, `add(&a, 2.0)`) and the same
//! operations as methods (`a.exp()`, `a.add(&b)`), all returning `Result`.

use crate::ops::ufunc::{self, BinaryOp, Operand, UnaryOp};
use crate::{Array, Result};

/// NumPy's `negative`, elementwise.
pub fn negative(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Negative, a)
}

/// NumPy's `positive`, elementwise.
pub fn positive(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Positive, a)
}

/// NumPy's `absolute`, elementwise.
pub fn absolute(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Absolute, a)
}

/// NumPy's `sign`, elementwise.
pub fn sign(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Sign, a)
}

/// NumPy's `square`, elementwise.
pub fn square(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Square, a)
}

/// NumPy's `reciprocal`, elementwise.
pub fn reciprocal(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Reciprocal, a)
}

/// NumPy's `exp`, elementwise.
pub fn exp(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Exp, a)
}

/// NumPy's `exp2`, elementwise.
pub fn exp2(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Exp2, a)
}

/// NumPy's `log`, elementwise.
pub fn log(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Log, a)
}

/// NumPy's `log1p`, elementwise.
pub fn log1p(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Log1p, a)
}

/// NumPy's `expm1`, elementwise.
pub fn expm1(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Expm1, a)
}

/// NumPy's `log2`, elementwise.
pub fn log2(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Log2, a)
}

/// NumPy's `log10`, elementwise.
pub fn log10(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Log10, a)
}

/// NumPy's `sqrt`, elementwise.
pub fn sqrt(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Sqrt, a)
}

/// NumPy's `rsqrt`, elementwise.
pub fn rsqrt(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Rsqrt, a)
}

/// NumPy's `cbrt`, elementwise.
pub fn cbrt(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Cbrt, a)
}

/// NumPy's `sin`, elementwise.
pub fn sin(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Sin, a)
}

/// NumPy's `cos`, elementwise.
pub fn cos(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Cos, a)
}

/// NumPy's `tan`, elementwise.
pub fn tan(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Tan, a)
}

/// NumPy's `arcsin`, elementwise.
pub fn arcsin(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Arcsin, a)
}

/// NumPy's `arccos`, elementwise.
pub fn arccos(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Arccos, a)
}

/// NumPy's `arctan`, elementwise.
pub fn arctan(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Arctan, a)
}

/// NumPy's `sinh`, elementwise.
pub fn sinh(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Sinh, a)
}

/// NumPy's `cosh`, elementwise.
pub fn cosh(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Cosh, a)
}

/// NumPy's `tanh`, elementwise.
pub fn tanh(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Tanh, a)
}

/// NumPy's `arcsinh`, elementwise.
pub fn arcsinh(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Arcsinh, a)
}

/// NumPy's `arccosh`, elementwise.
pub fn arccosh(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Arccosh, a)
}

/// NumPy's `arctanh`, elementwise.
pub fn arctanh(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Arctanh, a)
}

/// NumPy's `floor`, elementwise.
pub fn floor(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Floor, a)
}

/// NumPy's `ceil`, elementwise.
pub fn ceil(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Ceil, a)
}

/// NumPy's `trunc`, elementwise.
pub fn trunc(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Trunc, a)
}

/// NumPy's `rint`, elementwise.
pub fn rint(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Rint, a)
}

/// NumPy's `deg2rad`, elementwise.
pub fn deg2rad(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Deg2rad, a)
}

/// NumPy's `rad2deg`, elementwise.
pub fn rad2deg(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Rad2deg, a)
}

/// NumPy's `sigmoid`, elementwise.
pub fn sigmoid(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Sigmoid, a)
}

/// NumPy's `isnan`, elementwise.
pub fn isnan(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::IsNan, a)
}

/// NumPy's `isinf`, elementwise.
pub fn isinf(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::IsInf, a)
}

/// NumPy's `isfinite`, elementwise.
pub fn isfinite(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::IsFinite, a)
}

/// NumPy's `signbit`, elementwise.
pub fn signbit(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Signbit, a)
}

/// NumPy's `logical_not`, elementwise.
pub fn logical_not(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::LogicalNot, a)
}

/// NumPy's `invert`, elementwise.
pub fn invert(a: &Array) -> Result<Array> {
    ufunc::unary(UnaryOp::Invert, a)
}

/// NumPy's `add`, elementwise with broadcasting.
pub fn add<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Add, a, b)
}

/// NumPy's `subtract`, elementwise with broadcasting.
pub fn subtract<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Subtract, a, b)
}

/// NumPy's `multiply`, elementwise with broadcasting.
pub fn multiply<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Multiply, a, b)
}

/// NumPy's `true_divide`, elementwise with broadcasting.
pub fn true_divide<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::TrueDivide, a, b)
}

/// NumPy's `floor_divide`, elementwise with broadcasting.
pub fn floor_divide<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::FloorDivide, a, b)
}

/// NumPy's `remainder`, elementwise with broadcasting.
pub fn remainder<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Remainder, a, b)
}

/// NumPy's `power`, elementwise with broadcasting.
pub fn power<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Power, a, b)
}

/// NumPy's `maximum`, elementwise with broadcasting.
pub fn maximum<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Maximum, a, b)
}

/// NumPy's `minimum`, elementwise with broadcasting.
pub fn minimum<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Minimum, a, b)
}

/// NumPy's `fmax`, elementwise with broadcasting.
pub fn fmax<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Fmax, a, b)
}

/// NumPy's `fmin`, elementwise with broadcasting.
pub fn fmin<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Fmin, a, b)
}

/// NumPy's `arctan2`, elementwise with broadcasting.
pub fn arctan2<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Arctan2, a, b)
}

/// NumPy's `hypot`, elementwise with broadcasting.
pub fn hypot<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Hypot, a, b)
}

/// NumPy's `copysign`, elementwise with broadcasting.
pub fn copysign<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Copysign, a, b)
}

/// NumPy's `logaddexp`, elementwise with broadcasting.
pub fn logaddexp<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Logaddexp, a, b)
}

/// NumPy's `equal`, elementwise with broadcasting.
pub fn equal<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Equal, a, b)
}

/// NumPy's `not_equal`, elementwise with broadcasting.
pub fn not_equal<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::NotEqual, a, b)
}

/// NumPy's `less`, elementwise with broadcasting.
pub fn less<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Less, a, b)
}

/// NumPy's `less_equal`, elementwise with broadcasting.
pub fn less_equal<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::LessEqual, a, b)
}

/// NumPy's `greater`, elementwise with broadcasting.
pub fn greater<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::Greater, a, b)
}

/// NumPy's `greater_equal`, elementwise with broadcasting.
pub fn greater_equal<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::GreaterEqual, a, b)
}

/// NumPy's `logical_and`, elementwise with broadcasting.
pub fn logical_and<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::LogicalAnd, a, b)
}

/// NumPy's `logical_or`, elementwise with broadcasting.
pub fn logical_or<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::LogicalOr, a, b)
}

/// NumPy's `logical_xor`, elementwise with broadcasting.
pub fn logical_xor<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::LogicalXor, a, b)
}

/// NumPy's `bitwise_and`, elementwise with broadcasting.
pub fn bitwise_and<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::BitwiseAnd, a, b)
}

/// NumPy's `bitwise_or`, elementwise with broadcasting.
pub fn bitwise_or<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::BitwiseOr, a, b)
}

/// NumPy's `bitwise_xor`, elementwise with broadcasting.
pub fn bitwise_xor<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::BitwiseXor, a, b)
}

/// NumPy's `left_shift`, elementwise with broadcasting.
pub fn left_shift<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::LeftShift, a, b)
}

/// NumPy's `right_shift`, elementwise with broadcasting.
pub fn right_shift<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    ufunc::binary(BinaryOp::RightShift, a, b)
}

/// Alias of [`true_divide`].
pub fn divide<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    true_divide(a, b)
}

/// Alias of [`absolute`].
pub fn abs(a: &Array) -> Result<Array> {
    absolute(a)
}

/// Alias of [`power`].
pub fn pow<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    power(a, b)
}

/// Alias of [`remainder`] (NumPy's `mod`).
pub fn modulo<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
    remainder(a, b)
}

/// NumPy's `round` (`around`) with `decimals=0`: round half to even. Unlike
/// `rint`, integers and bools keep their dtype (they are already round).
pub fn round(a: &Array) -> Result<Array> {
    if a.dtype().is_float() {
        rint(a)
    } else {
        a.copy(crate::Order::K)
    }
}

pub use ufunc::{clip, where_};

/// The elementwise functions as methods.
impl Array {
    /// NumPy's `negative`.
    pub fn negative(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Negative, self)
    }
    /// NumPy's `positive`.
    pub fn positive(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Positive, self)
    }
    /// NumPy's `absolute`.
    pub fn absolute(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Absolute, self)
    }
    /// NumPy's `sign`.
    pub fn sign(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Sign, self)
    }
    /// NumPy's `square`.
    pub fn square(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Square, self)
    }
    /// NumPy's `reciprocal`.
    pub fn reciprocal(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Reciprocal, self)
    }
    /// NumPy's `exp`.
    pub fn exp(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Exp, self)
    }
    /// NumPy's `exp2`.
    pub fn exp2(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Exp2, self)
    }
    /// NumPy's `log`.
    pub fn log(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Log, self)
    }
    /// NumPy's `log1p`.
    pub fn log1p(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Log1p, self)
    }
    /// NumPy's `expm1`.
    pub fn expm1(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Expm1, self)
    }
    /// NumPy's `log2`.
    pub fn log2(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Log2, self)
    }
    /// NumPy's `log10`.
    pub fn log10(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Log10, self)
    }
    /// NumPy's `sqrt`.
    pub fn sqrt(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Sqrt, self)
    }
    /// NumPy's `rsqrt`.
    pub fn rsqrt(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Rsqrt, self)
    }
    /// NumPy's `cbrt`.
    pub fn cbrt(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Cbrt, self)
    }
    /// NumPy's `sin`.
    pub fn sin(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Sin, self)
    }
    /// NumPy's `cos`.
    pub fn cos(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Cos, self)
    }
    /// NumPy's `tan`.
    pub fn tan(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Tan, self)
    }
    /// NumPy's `arcsin`.
    pub fn arcsin(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Arcsin, self)
    }
    /// NumPy's `arccos`.
    pub fn arccos(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Arccos, self)
    }
    /// NumPy's `arctan`.
    pub fn arctan(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Arctan, self)
    }
    /// NumPy's `sinh`.
    pub fn sinh(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Sinh, self)
    }
    /// NumPy's `cosh`.
    pub fn cosh(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Cosh, self)
    }
    /// NumPy's `tanh`.
    pub fn tanh(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Tanh, self)
    }
    /// NumPy's `arcsinh`.
    pub fn arcsinh(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Arcsinh, self)
    }
    /// NumPy's `arccosh`.
    pub fn arccosh(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Arccosh, self)
    }
    /// NumPy's `arctanh`.
    pub fn arctanh(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Arctanh, self)
    }
    /// NumPy's `floor`.
    pub fn floor(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Floor, self)
    }
    /// NumPy's `ceil`.
    pub fn ceil(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Ceil, self)
    }
    /// NumPy's `trunc`.
    pub fn trunc(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Trunc, self)
    }
    /// NumPy's `rint`.
    pub fn rint(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Rint, self)
    }
    /// NumPy's `deg2rad`.
    pub fn deg2rad(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Deg2rad, self)
    }
    /// NumPy's `rad2deg`.
    pub fn rad2deg(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Rad2deg, self)
    }
    /// NumPy's `sigmoid`.
    pub fn sigmoid(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Sigmoid, self)
    }
    /// NumPy's `isnan`.
    pub fn isnan(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::IsNan, self)
    }
    /// NumPy's `isinf`.
    pub fn isinf(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::IsInf, self)
    }
    /// NumPy's `isfinite`.
    pub fn isfinite(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::IsFinite, self)
    }
    /// NumPy's `signbit`.
    pub fn signbit(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Signbit, self)
    }
    /// NumPy's `logical_not`.
    pub fn logical_not(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::LogicalNot, self)
    }
    /// NumPy's `invert`.
    pub fn invert(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Invert, self)
    }
    /// NumPy's `add` with `other` (array or scalar).
    pub fn add<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Add, self, other)
    }
    /// NumPy's `subtract` with `other` (array or scalar).
    pub fn subtract<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Subtract, self, other)
    }
    /// NumPy's `multiply` with `other` (array or scalar).
    pub fn multiply<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Multiply, self, other)
    }
    /// NumPy's `true_divide` with `other` (array or scalar).
    pub fn true_divide<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::TrueDivide, self, other)
    }
    /// NumPy's `floor_divide` with `other` (array or scalar).
    pub fn floor_divide<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::FloorDivide, self, other)
    }
    /// NumPy's `remainder` with `other` (array or scalar).
    pub fn remainder<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Remainder, self, other)
    }
    /// NumPy's `power` with `other` (array or scalar).
    pub fn power<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Power, self, other)
    }
    /// NumPy's `maximum` with `other` (array or scalar).
    pub fn maximum<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Maximum, self, other)
    }
    /// NumPy's `minimum` with `other` (array or scalar).
    pub fn minimum<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Minimum, self, other)
    }
    /// NumPy's `fmax` with `other` (array or scalar).
    pub fn fmax<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Fmax, self, other)
    }
    /// NumPy's `fmin` with `other` (array or scalar).
    pub fn fmin<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Fmin, self, other)
    }
    /// NumPy's `arctan2` with `other` (array or scalar).
    pub fn arctan2<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Arctan2, self, other)
    }
    /// NumPy's `hypot` with `other` (array or scalar).
    pub fn hypot<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Hypot, self, other)
    }
    /// NumPy's `copysign` with `other` (array or scalar).
    pub fn copysign<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Copysign, self, other)
    }
    /// NumPy's `logaddexp` with `other` (array or scalar).
    pub fn logaddexp<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Logaddexp, self, other)
    }
    /// NumPy's `equal` with `other` (array or scalar).
    pub fn equal<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Equal, self, other)
    }
    /// NumPy's `not_equal` with `other` (array or scalar).
    pub fn not_equal<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::NotEqual, self, other)
    }
    /// NumPy's `less` with `other` (array or scalar).
    pub fn less<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Less, self, other)
    }
    /// NumPy's `less_equal` with `other` (array or scalar).
    pub fn less_equal<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::LessEqual, self, other)
    }
    /// NumPy's `greater` with `other` (array or scalar).
    pub fn greater<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Greater, self, other)
    }
    /// NumPy's `greater_equal` with `other` (array or scalar).
    pub fn greater_equal<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::GreaterEqual, self, other)
    }
    /// NumPy's `logical_and` with `other` (array or scalar).
    pub fn logical_and<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::LogicalAnd, self, other)
    }
    /// NumPy's `logical_or` with `other` (array or scalar).
    pub fn logical_or<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::LogicalOr, self, other)
    }
    /// NumPy's `logical_xor` with `other` (array or scalar).
    pub fn logical_xor<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::LogicalXor, self, other)
    }
    /// NumPy's `bitwise_and` with `other` (array or scalar).
    pub fn bitwise_and<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::BitwiseAnd, self, other)
    }
    /// NumPy's `bitwise_or` with `other` (array or scalar).
    pub fn bitwise_or<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::BitwiseOr, self, other)
    }
    /// NumPy's `bitwise_xor` with `other` (array or scalar).
    pub fn bitwise_xor<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::BitwiseXor, self, other)
    }
    /// NumPy's `left_shift` with `other` (array or scalar).
    pub fn left_shift<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::LeftShift, self, other)
    }
    /// NumPy's `right_shift` with `other` (array or scalar).
    pub fn right_shift<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::RightShift, self, other)
    }
    /// Alias of `true_divide`.
    pub fn div<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::TrueDivide, self, other)
    }
    /// Alias of `subtract`.
    pub fn sub<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Subtract, self, other)
    }
    /// Alias of `multiply`.
    pub fn mul<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Multiply, self, other)
    }
    /// Alias of `power`.
    pub fn pow<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
        ufunc::binary(BinaryOp::Power, self, other)
    }
    /// Alias of `absolute`.
    pub fn abs(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Absolute, self)
    }
    /// Alias of `negative`.
    pub fn neg(&self) -> Result<Array> {
        ufunc::unary(UnaryOp::Negative, self)
    }
    /// NumPy's `clip(self, lo, hi)`.
    pub fn clip<'a>(
        &'a self,
        lo: impl Into<Operand<'a>>,
        hi: impl Into<Operand<'a>>,
    ) -> Result<Array> {
        ufunc::clip(self, lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use crate::{array, DType};

    #[test]
    fn round_keeps_integers_and_rounds_half_to_even() {
        let i = array![1i8, -3];
        let r = super::round(&i).unwrap();
        assert_eq!(
            (r.dtype(), r.to_vec::<i8>().unwrap()),
            (DType::I8, vec![1, -3])
        );
        let f = array![0.5f32, 1.5, 2.5, -0.5];
        assert_eq!(
            super::round(&f).unwrap().to_vec::<f32>().unwrap(),
            vec![0.0, 2.0, 2.0, -0.0]
        );
        assert_eq!(
            super::rint(&i).unwrap().dtype(),
            DType::F16,
            "rint of int8 is float16, as in NumPy"
        );
    }
}
