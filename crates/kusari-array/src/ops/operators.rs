//! Operator overloading: `&a + &b`, `&a * 2.0`, `2.0 * &a`, `a += &b`.
//! Scalars on operators are `f64`, `i32` and `bool` only, so that literals
//! (`2.0`, `2`) infer without annotations; other scalar types go through the
//! methods (`a.mul(x_f32)?`). As with NumPy's Python scalars they are weak:
//! `f32_array * 2.0` stays `float32`.
//! Operators panic on bad input (with the same message the fallible method
//! returns); use the methods (`a.add(&b)?`) to get a `Result` instead.

use crate::ops::ufunc::{self, BinaryOp};
use crate::{Array, Scalar};
use std::ops::*;

#[track_caller]
fn ok(r: crate::Result<Array>) -> Array {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
fn ok_unit(r: crate::Result<()>) {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// `Array op Array` in all four ownership combinations, and `op=`.
macro_rules! array_ops {
    ($tr:ident, $m:ident, $tra:ident, $ma:ident, $op:ident) => {
        impl $tr<&Array> for &Array {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: &Array) -> Array {
                ok(ufunc::binary(BinaryOp::$op, self, rhs))
            }
        }
        impl $tr<Array> for Array {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: Array) -> Array {
                ok(ufunc::binary(BinaryOp::$op, &self, &rhs))
            }
        }
        impl $tr<&Array> for Array {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: &Array) -> Array {
                ok(ufunc::binary(BinaryOp::$op, &self, rhs))
            }
        }
        impl $tr<Array> for &Array {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: Array) -> Array {
                ok(ufunc::binary(BinaryOp::$op, self, &rhs))
            }
        }
        impl $tra<&Array> for Array {
            #[track_caller]
            fn $ma(&mut self, rhs: &Array) {
                ok_unit(ufunc::binary_inplace(BinaryOp::$op, self, rhs))
            }
        }
        impl $tra<Array> for Array {
            #[track_caller]
            fn $ma(&mut self, rhs: Array) {
                ok_unit(ufunc::binary_inplace(BinaryOp::$op, self, &rhs))
            }
        }
    };
}

/// `Array op scalar`, `scalar op Array` and `Array op= scalar` for one scalar type.
macro_rules! scalar_ops {
    ($tr:ident, $m:ident, $tra:ident, $ma:ident, $op:ident, $($sc:ty),*) => {$(
        impl $tr<$sc> for &Array {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: $sc) -> Array {
                ok(ufunc::binary(BinaryOp::$op, self, Scalar::from(rhs)))
            }
        }
        impl $tr<$sc> for Array {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: $sc) -> Array {
                ok(ufunc::binary(BinaryOp::$op, &self, Scalar::from(rhs)))
            }
        }
        impl $tr<&Array> for $sc {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: &Array) -> Array {
                ok(ufunc::binary(BinaryOp::$op, Scalar::from(self), rhs))
            }
        }
        impl $tr<Array> for $sc {
            type Output = Array;
            #[track_caller]
            fn $m(self, rhs: Array) -> Array {
                ok(ufunc::binary(BinaryOp::$op, Scalar::from(self), &rhs))
            }
        }
        impl $tra<$sc> for Array {
            #[track_caller]
            fn $ma(&mut self, rhs: $sc) {
                ok_unit(ufunc::binary_inplace(BinaryOp::$op, self, Scalar::from(rhs)))
            }
        }
    )*};
}

array_ops!(Add, add, AddAssign, add_assign, Add);
array_ops!(Sub, sub, SubAssign, sub_assign, Subtract);
array_ops!(Mul, mul, MulAssign, mul_assign, Multiply);
array_ops!(Div, div, DivAssign, div_assign, TrueDivide);
array_ops!(Rem, rem, RemAssign, rem_assign, Remainder);
array_ops!(BitAnd, bitand, BitAndAssign, bitand_assign, BitwiseAnd);
array_ops!(BitOr, bitor, BitOrAssign, bitor_assign, BitwiseOr);
array_ops!(BitXor, bitxor, BitXorAssign, bitxor_assign, BitwiseXor);

// `bool` joins the operators where NumPy defines them for booleans.
scalar_ops!(Add, add, AddAssign, add_assign, Add, f64, i32, bool);
scalar_ops!(Sub, sub, SubAssign, sub_assign, Subtract, f64, i32);
scalar_ops!(Mul, mul, MulAssign, mul_assign, Multiply, f64, i32, bool);
scalar_ops!(Div, div, DivAssign, div_assign, TrueDivide, f64, i32);
scalar_ops!(Rem, rem, RemAssign, rem_assign, Remainder, f64, i32);
scalar_ops!(
    BitAnd,
    bitand,
    BitAndAssign,
    bitand_assign,
    BitwiseAnd,
    f64,
    i32,
    bool
);
scalar_ops!(
    BitOr,
    bitor,
    BitOrAssign,
    bitor_assign,
    BitwiseOr,
    f64,
    i32,
    bool
);
scalar_ops!(
    BitXor,
    bitxor,
    BitXorAssign,
    bitxor_assign,
    BitwiseXor,
    f64,
    i32,
    bool
);

impl Neg for &Array {
    type Output = Array;
    #[track_caller]
    fn neg(self) -> Array {
        ok(ufunc::unary(crate::UnaryOp::Negative, self))
    }
}

impl Neg for Array {
    type Output = Array;
    #[track_caller]
    fn neg(self) -> Array {
        ok(ufunc::unary(crate::UnaryOp::Negative, &self))
    }
}

impl Not for &Array {
    type Output = Array;
    /// Logical not for bool arrays, bitwise not for integers (NumPy's `~`).
    #[track_caller]
    fn not(self) -> Array {
        ok(ufunc::unary(crate::UnaryOp::Invert, self))
    }
}

#[cfg(test)]
mod tests {
    use crate::{array, DType};

    #[test]
    fn scalar_literals_infer_on_either_side_and_stay_weak() {
        let a = array![1.0f32, 2.0];
        let b = 2.0 * &a - &a / 2.0 + 1;
        assert_eq!(
            (b.dtype(), b.to_vec::<f32>().unwrap()),
            (DType::F32, vec![2.5, 4.0])
        );
        let mut i = array![1i8, 2];
        i *= 3;
        i += &array![1i8, 1];
        assert_eq!(
            (i.dtype(), i.to_vec::<i8>().unwrap()),
            (DType::I8, vec![4, 7])
        );
        let m = &array![true, false] & true;
        assert_eq!(m.to_vec::<bool>().unwrap(), vec![true, false]);
        assert_eq!((-&a).to_vec::<f32>().unwrap(), vec![-1.0, -2.0]);
    }
}
