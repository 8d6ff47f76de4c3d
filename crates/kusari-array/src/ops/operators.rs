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

impl Add<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, self, rhs))
    }
}
impl Add<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, &self, &rhs))
    }
}
impl Add<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, &self, rhs))
    }
}
impl Add<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, self, &rhs))
    }
}
impl AddAssign<&Array> for Array {
    #[track_caller]
    fn add_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::Add, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl AddAssign<Array> for Array {
    #[track_caller]
    fn add_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::Add, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Add<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Add, self, Scalar::from(rhs)))
    }
}
impl Add<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Add, &self, Scalar::from(rhs)))
    }
}
impl Add<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), &rhs))
    }
}
impl AddAssign<f64> for Array {
    #[track_caller]
    fn add_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::Add, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Add<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Add, self, Scalar::from(rhs)))
    }
}
impl Add<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Add, &self, Scalar::from(rhs)))
    }
}
impl Add<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), &rhs))
    }
}
impl AddAssign<i32> for Array {
    #[track_caller]
    fn add_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::Add, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Add<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<bool> for &Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::Add, self, Scalar::from(rhs)))
    }
}
impl Add<bool> for Array {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::Add, &self, Scalar::from(rhs)))
    }
}
impl Add<&Array> for bool {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), rhs))
    }
}
impl Add<Array> for bool {
    type Output = Array;
    #[track_caller]
    fn add(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Add, Scalar::from(self), &rhs))
    }
}
impl AddAssign<bool> for Array {
    #[track_caller]
    fn add_assign(&mut self, rhs: bool) {
        ufunc::binary_inplace(BinaryOp::Add, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Sub<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, self, rhs))
    }
}
impl Sub<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, &self, &rhs))
    }
}
impl Sub<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, &self, rhs))
    }
}
impl Sub<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, self, &rhs))
    }
}
impl SubAssign<&Array> for Array {
    #[track_caller]
    fn sub_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::Subtract, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl SubAssign<Array> for Array {
    #[track_caller]
    fn sub_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::Subtract, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Sub<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Sub<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, self, Scalar::from(rhs)))
    }
}
impl Sub<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, &self, Scalar::from(rhs)))
    }
}
impl Sub<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Sub<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), &rhs))
    }
}
impl SubAssign<f64> for Array {
    #[track_caller]
    fn sub_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::Subtract, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Sub<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, self, Scalar::from(rhs)))
    }
}
impl Sub<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, &self, Scalar::from(rhs)))
    }
}
impl Sub<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Sub<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), &rhs))
    }
}
impl SubAssign<i32> for Array {
    #[track_caller]
    fn sub_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::Subtract, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Sub<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Sub<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Sub<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Sub<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Sub<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn sub(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Subtract, Scalar::from(self), rhs))
    }
}
impl Mul<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, self, rhs))
    }
}
impl Mul<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, &self, &rhs))
    }
}
impl Mul<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, &self, rhs))
    }
}
impl Mul<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, self, &rhs))
    }
}
impl MulAssign<&Array> for Array {
    #[track_caller]
    fn mul_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::Multiply, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl MulAssign<Array> for Array {
    #[track_caller]
    fn mul_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::Multiply, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Mul<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, self, Scalar::from(rhs)))
    }
}
impl Mul<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, &self, Scalar::from(rhs)))
    }
}
impl Mul<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), &rhs))
    }
}
impl MulAssign<f64> for Array {
    #[track_caller]
    fn mul_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::Multiply, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Mul<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, self, Scalar::from(rhs)))
    }
}
impl Mul<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, &self, Scalar::from(rhs)))
    }
}
impl Mul<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), &rhs))
    }
}
impl MulAssign<i32> for Array {
    #[track_caller]
    fn mul_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::Multiply, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Mul<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<bool> for &Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, self, Scalar::from(rhs)))
    }
}
impl Mul<bool> for Array {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, &self, Scalar::from(rhs)))
    }
}
impl Mul<&Array> for bool {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), rhs))
    }
}
impl Mul<Array> for bool {
    type Output = Array;
    #[track_caller]
    fn mul(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Multiply, Scalar::from(self), &rhs))
    }
}
impl MulAssign<bool> for Array {
    #[track_caller]
    fn mul_assign(&mut self, rhs: bool) {
        ufunc::binary_inplace(BinaryOp::Multiply, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Div<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, self, rhs))
    }
}
impl Div<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, &self, &rhs))
    }
}
impl Div<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, &self, rhs))
    }
}
impl Div<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, self, &rhs))
    }
}
impl DivAssign<&Array> for Array {
    #[track_caller]
    fn div_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::TrueDivide, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl DivAssign<Array> for Array {
    #[track_caller]
    fn div_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::TrueDivide, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Div<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Div<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, self, Scalar::from(rhs)))
    }
}
impl Div<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: f64) -> Array {
        ok(ufunc::binary(
            BinaryOp::TrueDivide,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl Div<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Div<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::TrueDivide,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl DivAssign<f64> for Array {
    #[track_caller]
    fn div_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::TrueDivide, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Div<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, self, Scalar::from(rhs)))
    }
}
impl Div<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: i32) -> Array {
        ok(ufunc::binary(
            BinaryOp::TrueDivide,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl Div<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Div<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::TrueDivide,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl DivAssign<i32> for Array {
    #[track_caller]
    fn div_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::TrueDivide, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Div<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Div<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Div<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Div<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Div<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn div(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::TrueDivide, Scalar::from(self), rhs))
    }
}
impl Rem<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, self, rhs))
    }
}
impl Rem<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, &self, &rhs))
    }
}
impl Rem<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, &self, rhs))
    }
}
impl Rem<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, self, &rhs))
    }
}
impl RemAssign<&Array> for Array {
    #[track_caller]
    fn rem_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::Remainder, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl RemAssign<Array> for Array {
    #[track_caller]
    fn rem_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::Remainder, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Rem<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl Rem<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, self, Scalar::from(rhs)))
    }
}
impl Rem<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, &self, Scalar::from(rhs)))
    }
}
impl Rem<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl Rem<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), &rhs))
    }
}
impl RemAssign<f64> for Array {
    #[track_caller]
    fn rem_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::Remainder, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Rem<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, self, Scalar::from(rhs)))
    }
}
impl Rem<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, &self, Scalar::from(rhs)))
    }
}
impl Rem<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl Rem<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), &rhs))
    }
}
impl RemAssign<i32> for Array {
    #[track_caller]
    fn rem_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::Remainder, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl Rem<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl Rem<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl Rem<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl Rem<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl Rem<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn rem(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::Remainder, Scalar::from(self), rhs))
    }
}
impl BitAnd<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, self, rhs))
    }
}
impl BitAnd<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, &self, &rhs))
    }
}
impl BitAnd<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, &self, rhs))
    }
}
impl BitAnd<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, self, &rhs))
    }
}
impl BitAndAssign<&Array> for Array {
    #[track_caller]
    fn bitand_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::BitwiseAnd, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitAndAssign<Array> for Array {
    #[track_caller]
    fn bitand_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::BitwiseAnd, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitAnd<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, self, Scalar::from(rhs)))
    }
}
impl BitAnd<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: f64) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseAnd,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl BitAnd<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseAnd,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl BitAndAssign<f64> for Array {
    #[track_caller]
    fn bitand_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::BitwiseAnd, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitAnd<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, self, Scalar::from(rhs)))
    }
}
impl BitAnd<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: i32) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseAnd,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl BitAnd<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseAnd,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl BitAndAssign<i32> for Array {
    #[track_caller]
    fn bitand_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::BitwiseAnd, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitAnd<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<bool> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, self, Scalar::from(rhs)))
    }
}
impl BitAnd<bool> for Array {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: bool) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseAnd,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl BitAnd<&Array> for bool {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseAnd, Scalar::from(self), rhs))
    }
}
impl BitAnd<Array> for bool {
    type Output = Array;
    #[track_caller]
    fn bitand(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseAnd,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl BitAndAssign<bool> for Array {
    #[track_caller]
    fn bitand_assign(&mut self, rhs: bool) {
        ufunc::binary_inplace(BinaryOp::BitwiseAnd, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitOr<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, self, rhs))
    }
}
impl BitOr<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, &self, &rhs))
    }
}
impl BitOr<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, &self, rhs))
    }
}
impl BitOr<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, self, &rhs))
    }
}
impl BitOrAssign<&Array> for Array {
    #[track_caller]
    fn bitor_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::BitwiseOr, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitOrAssign<Array> for Array {
    #[track_caller]
    fn bitor_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::BitwiseOr, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitOr<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, self, Scalar::from(rhs)))
    }
}
impl BitOr<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, &self, Scalar::from(rhs)))
    }
}
impl BitOr<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), &rhs))
    }
}
impl BitOrAssign<f64> for Array {
    #[track_caller]
    fn bitor_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::BitwiseOr, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitOr<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, self, Scalar::from(rhs)))
    }
}
impl BitOr<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, &self, Scalar::from(rhs)))
    }
}
impl BitOr<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), &rhs))
    }
}
impl BitOrAssign<i32> for Array {
    #[track_caller]
    fn bitor_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::BitwiseOr, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitOr<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<bool> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, self, Scalar::from(rhs)))
    }
}
impl BitOr<bool> for Array {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, &self, Scalar::from(rhs)))
    }
}
impl BitOr<&Array> for bool {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), rhs))
    }
}
impl BitOr<Array> for bool {
    type Output = Array;
    #[track_caller]
    fn bitor(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseOr, Scalar::from(self), &rhs))
    }
}
impl BitOrAssign<bool> for Array {
    #[track_caller]
    fn bitor_assign(&mut self, rhs: bool) {
        ufunc::binary_inplace(BinaryOp::BitwiseOr, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitXor<&Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, self, rhs))
    }
}
impl BitXor<Array> for Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, &self, &rhs))
    }
}
impl BitXor<&Array> for Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, &self, rhs))
    }
}
impl BitXor<Array> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, self, &rhs))
    }
}
impl BitXorAssign<&Array> for Array {
    #[track_caller]
    fn bitxor_assign(&mut self, rhs: &Array) {
        ufunc::binary_inplace(BinaryOp::BitwiseXor, self, rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitXorAssign<Array> for Array {
    #[track_caller]
    fn bitxor_assign(&mut self, rhs: Array) {
        ufunc::binary_inplace(BinaryOp::BitwiseXor, self, &rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitXor<&Array> for f32 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<f64> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: f64) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, self, Scalar::from(rhs)))
    }
}
impl BitXor<f64> for Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: f64) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseXor,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl BitXor<&Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<Array> for f64 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseXor,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl BitXorAssign<f64> for Array {
    #[track_caller]
    fn bitxor_assign(&mut self, rhs: f64) {
        ufunc::binary_inplace(BinaryOp::BitwiseXor, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitXor<i32> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: i32) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, self, Scalar::from(rhs)))
    }
}
impl BitXor<i32> for Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: i32) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseXor,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl BitXor<&Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<Array> for i32 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseXor,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl BitXorAssign<i32> for Array {
    #[track_caller]
    fn bitxor_assign(&mut self, rhs: i32) {
        ufunc::binary_inplace(BinaryOp::BitwiseXor, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
impl BitXor<&Array> for i64 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<&Array> for u8 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<&Array> for i8 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<&Array> for i16 {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<&Array> for usize {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<bool> for &Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: bool) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, self, Scalar::from(rhs)))
    }
}
impl BitXor<bool> for Array {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: bool) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseXor,
            &self,
            Scalar::from(rhs),
        ))
    }
}
impl BitXor<&Array> for bool {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: &Array) -> Array {
        ok(ufunc::binary(BinaryOp::BitwiseXor, Scalar::from(self), rhs))
    }
}
impl BitXor<Array> for bool {
    type Output = Array;
    #[track_caller]
    fn bitxor(self, rhs: Array) -> Array {
        ok(ufunc::binary(
            BinaryOp::BitwiseXor,
            Scalar::from(self),
            &rhs,
        ))
    }
}
impl BitXorAssign<bool> for Array {
    #[track_caller]
    fn bitxor_assign(&mut self, rhs: bool) {
        ufunc::binary_inplace(BinaryOp::BitwiseXor, self, Scalar::from(rhs))
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
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
