//! NumPy-named elementwise functions (`exp(&a)`, `add(&a, 2.0)`) and the same
//! operations as methods (`a.exp()`, `a.add(&b)`), all returning `Result`.

use crate::ops::ufunc::{self, BinaryOp, Operand, UnaryOp};
use crate::{Array, Result};

/// Defines, for each `name => Op`, a free function and an `Array` method.
macro_rules! unary_ufuncs {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("NumPy's `", stringify!($name), "`, elementwise.")]
            pub fn $name(a: &Array) -> Result<Array> {
                ufunc::unary(UnaryOp::$op, a)
            }
        )*
        impl Array {
            $(
                #[doc = concat!("NumPy's `", stringify!($name), "`, elementwise.")]
                pub fn $name(&self) -> Result<Array> {
                    ufunc::unary(UnaryOp::$op, self)
                }
            )*
        }
    };
}

/// Defines, for each `name => Op`, a free function of two operands and an `Array` method.
macro_rules! binary_ufuncs {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("NumPy's `", stringify!($name), "`, elementwise with broadcasting.")]
            pub fn $name<'a>(a: impl Into<Operand<'a>>, b: impl Into<Operand<'a>>) -> Result<Array> {
                ufunc::binary(BinaryOp::$op, a, b)
            }
        )*
        impl Array {
            $(
                #[doc = concat!("NumPy's `", stringify!($name), "` with `other` (an array or a scalar).")]
                pub fn $name<'a>(&'a self, other: impl Into<Operand<'a>>) -> Result<Array> {
                    ufunc::binary(BinaryOp::$op, self, other)
                }
            )*
        }
    };
}

unary_ufuncs! {
    negative => Negative,
    positive => Positive,
    absolute => Absolute,
    sign => Sign,
    square => Square,
    reciprocal => Reciprocal,
    exp => Exp,
    exp2 => Exp2,
    log => Log,
    log1p => Log1p,
    expm1 => Expm1,
    log2 => Log2,
    log10 => Log10,
    sqrt => Sqrt,
    rsqrt => Rsqrt,
    cbrt => Cbrt,
    sin => Sin,
    cos => Cos,
    tan => Tan,
    arcsin => Arcsin,
    arccos => Arccos,
    arctan => Arctan,
    sinh => Sinh,
    cosh => Cosh,
    tanh => Tanh,
    arcsinh => Arcsinh,
    arccosh => Arccosh,
    arctanh => Arctanh,
    floor => Floor,
    ceil => Ceil,
    trunc => Trunc,
    rint => Rint,
    deg2rad => Deg2rad,
    rad2deg => Rad2deg,
    sigmoid => Sigmoid,
    isnan => IsNan,
    isinf => IsInf,
    isfinite => IsFinite,
    signbit => Signbit,
    logical_not => LogicalNot,
    invert => Invert,
}

binary_ufuncs! {
    add => Add,
    subtract => Subtract,
    multiply => Multiply,
    true_divide => TrueDivide,
    floor_divide => FloorDivide,
    remainder => Remainder,
    power => Power,
    maximum => Maximum,
    minimum => Minimum,
    fmax => Fmax,
    fmin => Fmin,
    arctan2 => Arctan2,
    hypot => Hypot,
    copysign => Copysign,
    logaddexp => Logaddexp,
    equal => Equal,
    not_equal => NotEqual,
    less => Less,
    less_equal => LessEqual,
    greater => Greater,
    greater_equal => GreaterEqual,
    logical_and => LogicalAnd,
    logical_or => LogicalOr,
    logical_xor => LogicalXor,
    bitwise_and => BitwiseAnd,
    bitwise_or => BitwiseOr,
    bitwise_xor => BitwiseXor,
    left_shift => LeftShift,
    right_shift => RightShift,
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

/// Short aliases as methods.
impl Array {
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
