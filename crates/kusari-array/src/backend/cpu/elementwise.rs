//! Typed elementwise kernels for the CPU. The arithmetic of each dtype class
//! lives in small traits (`Num`, `Float`) so one generic closure per op
//! serves all dtypes; each `match` arm instantiates its own loop so the
//! compiler inlines and vectorizes the operation.

// `x < y` on bools is the intended NumPy comparison in the generic kernels.
#![allow(clippy::bool_comparison)]

use super::strided::{map1, map2, map3};
use super::{InView, OutView};
use crate::ops::ufunc::{BinaryOp, UnaryOp};
use crate::{Array, DType, Element, Error, Result};
use half::{bf16, f16};

/// Arithmetic shared by the numeric dtypes (all but `bool`). Integer
/// arithmetic wraps, as NumPy's does.
pub(crate) trait Num: Element {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// Division for floats; for integers Python's floor division.
    fn floor_div(self, o: Self) -> Self;
    /// Python's modulo (sign of the divisor).
    fn rem(self, o: Self) -> Self;
    fn pow(self, o: Self) -> Self;
    fn neg(self) -> Self;
    fn abs(self) -> Self;
    fn sign(self) -> Self;
    fn is_nan(self) -> bool;
    fn zero() -> Self;
    fn one() -> Self;
    /// The smallest and largest values (infinities for floats), identities of max/min.
    fn lowest() -> Self;
    fn highest() -> Self;
}

macro_rules! int_num {
    ($($t:ty),*) => {$(
        #[allow(unused_comparisons)]
        impl Num for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)] fn floor_div(self, o: Self) -> Self {
                // NumPy returns 0 for division by zero (with a warning).
                if o == 0 { return 0; }
                // Wrapping, so that MIN // -1 gives MIN as in NumPy instead of panicking.
                let q = self.wrapping_div(o);
                if (self.wrapping_rem(o) != 0) && ((self < 0) != (o < 0)) { q - 1 } else { q }
            }
            #[inline(always)] fn rem(self, o: Self) -> Self {
                if o == 0 { return 0; }
                let r = self.wrapping_rem(o);
                if r != 0 && ((r < 0) != (o < 0)) { r + o } else { r }
            }
            #[inline(always)] fn pow(self, o: Self) -> Self {
                #[allow(unused_comparisons)]
                if o < 0 { return match self { 1 => 1, _ if self as i64 == -1 => if (o as i64) % 2 == 0 { 1 } else { self }, _ => 0 }; }
                let mut base = self; let mut e = o as u64; let mut acc: $t = 1;
                while e > 0 { if e & 1 == 1 { acc = acc.wrapping_mul(base); } base = base.wrapping_mul(base); e >>= 1; }
                acc
            }
            #[inline(always)] fn neg(self) -> Self { (0 as $t).wrapping_sub(self) }
            #[inline(always)] fn abs(self) -> Self {
                #[allow(unused_comparisons)]
                if self < 0 { (0 as $t).wrapping_sub(self) } else { self }
            }
            #[inline(always)] fn sign(self) -> Self {
                #[allow(unused_comparisons)]
                if self > 0 { 1 } else if self < 0 { (0 as $t).wrapping_sub(1) } else { 0 }
            }
            #[inline(always)] fn is_nan(self) -> bool { false }
            #[inline(always)] fn zero() -> Self { 0 }
            #[inline(always)] fn one() -> Self { 1 }
            #[inline(always)] fn lowest() -> Self { <$t>::MIN }
            #[inline(always)] fn highest() -> Self { <$t>::MAX }
        }
    )*};
}
int_num!(u8, i8, i16, i32, i64);

/// The math of a float dtype, computed in `C` (`f32` for the half types, as NumPy does).
pub(crate) trait Float: Num {
    type C: CalcFloat;
    fn to_c(self) -> Self::C;
    fn from_c(c: Self::C) -> Self;
}

/// `f32`/`f64` math used by [`Float`].
pub(crate) trait CalcFloat:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Rem<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn abs(self) -> Self;
    fn exp(self) -> Self;
    fn exp2(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn exp_m1(self) -> Self;
    fn log2(self) -> Self;
    fn log10(self) -> Self;
    fn sqrt(self) -> Self;
    fn cbrt(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tan(self) -> Self;
    fn asin(self) -> Self;
    fn acos(self) -> Self;
    fn atan(self) -> Self;
    fn sinh(self) -> Self;
    fn cosh(self) -> Self;
    fn tanh(self) -> Self;
    fn asinh(self) -> Self;
    fn acosh(self) -> Self;
    fn atanh(self) -> Self;
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    fn trunc(self) -> Self;
    fn round_ties_even(self) -> Self;
    fn atan2(self, o: Self) -> Self;
    fn hypot(self, o: Self) -> Self;
    fn powf(self, o: Self) -> Self;
    fn copysign(self, o: Self) -> Self;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
    fn is_sign_negative(self) -> bool;
    fn from_f64(v: f64) -> Self;
}

macro_rules! calc_float {
    ($($t:ty),*) => {$(
        impl CalcFloat for $t {
            #[inline(always)] fn abs(self) -> Self { <$t>::abs(self) }
            #[inline(always)] fn exp(self) -> Self { <$t>::exp(self) }
            #[inline(always)] fn exp2(self) -> Self { <$t>::exp2(self) }
            #[inline(always)] fn ln(self) -> Self { <$t>::ln(self) }
            #[inline(always)] fn ln_1p(self) -> Self { <$t>::ln_1p(self) }
            #[inline(always)] fn exp_m1(self) -> Self { <$t>::exp_m1(self) }
            #[inline(always)] fn log2(self) -> Self { <$t>::log2(self) }
            #[inline(always)] fn log10(self) -> Self { <$t>::log10(self) }
            #[inline(always)] fn sqrt(self) -> Self { <$t>::sqrt(self) }
            #[inline(always)] fn cbrt(self) -> Self { <$t>::cbrt(self) }
            #[inline(always)] fn sin(self) -> Self { <$t>::sin(self) }
            #[inline(always)] fn cos(self) -> Self { <$t>::cos(self) }
            #[inline(always)] fn tan(self) -> Self { <$t>::tan(self) }
            #[inline(always)] fn asin(self) -> Self { <$t>::asin(self) }
            #[inline(always)] fn acos(self) -> Self { <$t>::acos(self) }
            #[inline(always)] fn atan(self) -> Self { <$t>::atan(self) }
            #[inline(always)] fn sinh(self) -> Self { <$t>::sinh(self) }
            #[inline(always)] fn cosh(self) -> Self { <$t>::cosh(self) }
            #[inline(always)] fn tanh(self) -> Self { <$t>::tanh(self) }
            #[inline(always)] fn asinh(self) -> Self { <$t>::asinh(self) }
            #[inline(always)] fn acosh(self) -> Self { <$t>::acosh(self) }
            #[inline(always)] fn atanh(self) -> Self { <$t>::atanh(self) }
            #[inline(always)] fn floor(self) -> Self { <$t>::floor(self) }
            #[inline(always)] fn ceil(self) -> Self { <$t>::ceil(self) }
            #[inline(always)] fn trunc(self) -> Self { <$t>::trunc(self) }
            #[inline(always)] fn round_ties_even(self) -> Self { <$t>::round_ties_even(self) }
            #[inline(always)] fn atan2(self, o: Self) -> Self { <$t>::atan2(self, o) }
            #[inline(always)] fn hypot(self, o: Self) -> Self { <$t>::hypot(self, o) }
            #[inline(always)] fn powf(self, o: Self) -> Self { <$t>::powf(self, o) }
            #[inline(always)] fn copysign(self, o: Self) -> Self { <$t>::copysign(self, o) }
            #[inline(always)] fn is_nan(self) -> bool { <$t>::is_nan(self) }
            #[inline(always)] fn is_infinite(self) -> bool { <$t>::is_infinite(self) }
            #[inline(always)] fn is_sign_negative(self) -> bool { <$t>::is_sign_negative(self) }
            #[inline(always)] fn from_f64(v: f64) -> Self { v as $t }
        }
    )*};
}
calc_float!(f32, f64);

macro_rules! float_num {
    ($($t:ty => $c:ty, $to:expr, $from:expr);*) => {$(
        impl Num for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { $from($to(self) + $to(o)) }
            #[inline(always)] fn sub(self, o: Self) -> Self { $from($to(self) - $to(o)) }
            #[inline(always)] fn mul(self, o: Self) -> Self { $from($to(self) * $to(o)) }
            #[inline(always)] fn floor_div(self, o: Self) -> Self { $from(py_divmod($to(self), $to(o)).0) }
            #[inline(always)] fn rem(self, o: Self) -> Self { $from(py_divmod($to(self), $to(o)).1) }
            #[inline(always)] fn pow(self, o: Self) -> Self { $from(CalcFloat::powf($to(self), $to(o))) }
            #[inline(always)] fn neg(self) -> Self { $from(-$to(self)) }
            #[inline(always)] fn abs(self) -> Self { $from(CalcFloat::abs($to(self))) }
            #[inline(always)] fn sign(self) -> Self {
                let x = $to(self);
                $from(if x > <$c>::from(0u8) { <$c>::from(1u8) } else if x < <$c>::from(0u8) { -<$c>::from(1u8) } else { x })
            }
            #[inline(always)] fn is_nan(self) -> bool { CalcFloat::is_nan($to(self)) }
            #[inline(always)] fn zero() -> Self { $from(<$c>::from(0u8)) }
            #[inline(always)] fn one() -> Self { $from(<$c>::from(1u8)) }
            #[inline(always)] fn lowest() -> Self { $from(<$c>::NEG_INFINITY) }
            #[inline(always)] fn highest() -> Self { $from(<$c>::INFINITY) }
        }
        impl Float for $t {
            type C = $c;
            #[inline(always)] fn to_c(self) -> $c { $to(self) }
            #[inline(always)] fn from_c(c: $c) -> Self { $from(c) }
        }
    )*};
}
float_num!(
    f32 => f32, |x: f32| x, |x: f32| x;
    f64 => f64, |x: f64| x, |x: f64| x;
    f16 => f32, |x: f16| x.to_f32(), f16::from_f32;
    bf16 => f32, |x: bf16| x.to_f32(), bf16::from_f32
);

/// Python's float `divmod` as NumPy computes it (`npy_divmod`, and
/// `npy_floor_divide` / `npy_remainder` for a zero divisor): the modulo takes
/// the sign of the divisor, and both results follow from the exact `fmod`, so
/// `2**62 % -2.5` is `-1.0` and `inf // 2` is NaN.
#[inline(always)]
fn py_divmod<C: CalcFloat>(a: C, b: C) -> (C, C) {
    let zero = C::from_f64(0.0);
    let one = C::from_f64(1.0);
    let mut m = a % b;
    if b == zero {
        return (a / b, m);
    }
    let mut div = (a - m) / b;
    // `m != zero` is also true for NaN, as C's `if (mod)` is.
    if m != zero {
        if (b < zero) != (m < zero) {
            m = m + b;
            div = div - one;
        }
    } else {
        m = zero.copysign(b);
    }
    let floordiv = if div != zero {
        let f = div.floor();
        if div - f > C::from_f64(0.5) {
            f + one
        } else {
            f
        }
    } else {
        zero.copysign(a / b)
    };
    (floordiv, m)
}

/// Runs the typed closure for a binary op over `a`, `b` (already cast to the
/// compute dtype and broadcast) into `out`.
fn run2<A: Copy, B: Copy, O: Copy>(
    a: &InView<'_>,
    b: &InView<'_>,
    out: *mut u8,
    out_strides: &[isize],
    shape: &[usize],
    f: impl Fn(A, B) -> O + Sync,
) {
    // SAFETY: callers pass host arrays broadcast to `shape` and a fresh or unique output.
    unsafe {
        map2::<A, B, O>(
            shape,
            (a.ptr, a.strides),
            (b.ptr, b.strides),
            (out, out_strides),
            f,
        )
    }
}

fn run1<A: Copy, O: Copy>(
    a: &InView<'_>,
    out: *mut u8,
    out_strides: &[isize],
    shape: &[usize],
    f: impl Fn(A) -> O + Sync,
) {
    // SAFETY: as in `run2`.
    unsafe { map1::<A, O>(shape, (a.ptr, a.strides), (out, out_strides), f) }
}

macro_rules! dispatch_num {
    ($dtype:expr, $t:ident => $body:expr) => {{
        match $dtype {
            crate::DType::U8 => {
                type $t = u8;
                $body
            }
            crate::DType::I8 => {
                type $t = i8;
                $body
            }
            crate::DType::I16 => {
                type $t = i16;
                $body
            }
            crate::DType::I32 => {
                type $t = i32;
                $body
            }
            crate::DType::I64 => {
                type $t = i64;
                $body
            }
            crate::DType::F16 => {
                type $t = half::f16;
                $body
            }
            crate::DType::BF16 => {
                type $t = half::bf16;
                $body
            }
            crate::DType::F32 => {
                type $t = f32;
                $body
            }
            crate::DType::F64 => {
                type $t = f64;
                $body
            }
            crate::DType::Bool => unreachable!("bool reaches a numeric kernel"),
        }
    }};
}
macro_rules! dispatch_float {
    ($dtype:expr, $t:ident => $body:expr) => {{
        match $dtype {
            crate::DType::F16 => {
                type $t = half::f16;
                $body
            }
            crate::DType::BF16 => {
                type $t = half::bf16;
                $body
            }
            crate::DType::F32 => {
                type $t = f32;
                $body
            }
            crate::DType::F64 => {
                type $t = f64;
                $body
            }
            _ => unreachable!("non-float reaches a float kernel"),
        }
    }};
}
macro_rules! dispatch_int {
    ($dtype:expr, $t:ident => $body:expr) => {{
        match $dtype {
            crate::DType::U8 => {
                type $t = u8;
                $body
            }
            crate::DType::I8 => {
                type $t = i8;
                $body
            }
            crate::DType::I16 => {
                type $t = i16;
                $body
            }
            crate::DType::I32 => {
                type $t = i32;
                $body
            }
            crate::DType::I64 => {
                type $t = i64;
                $body
            }
            crate::DType::Bool => {
                type $t = bool;
                $body
            }
            _ => unreachable!("float reaches an integer kernel"),
        }
    }};
}
pub(crate) use dispatch_num;

#[inline(always)]
pub(crate) fn nan_max<T: Num>(x: T, y: T) -> T {
    if x.is_nan() || x >= y {
        x
    } else if y.is_nan() || y > x {
        y
    } else {
        x
    }
}
#[inline(always)]
pub(crate) fn nan_min<T: Num>(x: T, y: T) -> T {
    if x.is_nan() || x <= y {
        x
    } else if y.is_nan() || y < x {
        y
    } else {
        x
    }
}
#[inline(always)]
fn fmax<T: Num>(x: T, y: T) -> T {
    if y.is_nan() || x >= y {
        x
    } else {
        y
    }
}
#[inline(always)]
fn fmin<T: Num>(x: T, y: T) -> T {
    if y.is_nan() || x <= y {
        x
    } else {
        y
    }
}

/// Elementwise binary op on host arrays already cast to `compute` and broadcast to `shape`.
pub(crate) fn binary(
    op: BinaryOp,
    compute: DType,
    a: &InView<'_>,
    b: &InView<'_>,
    out: OutView<'_>,
) -> Result<()> {
    use BinaryOp::*;
    let (p, shape, os) = (out.ptr, out.shape, out.strides);
    macro_rules! go {
        ($t:ty, $f:expr) => {
            run2::<$t, $t, _>(a, b, p, os, shape, $f)
        };
    }
    match op {
        Equal | NotEqual | Less | LessEqual | Greater | GreaterEqual => {
            crate::dispatch_all!(compute, T => match op {
                Equal => go!(T, |x: T, y: T| x == y),
                NotEqual => go!(T, |x: T, y: T| x != y),
                Less => go!(T, |x: T, y: T| x < y),
                LessEqual => go!(T, |x: T, y: T| x <= y),
                Greater => go!(T, |x: T, y: T| x > y),
                _ => go!(T, |x: T, y: T| x >= y),
            })
        }
        LogicalAnd => go!(bool, |x: bool, y: bool| x & y),
        LogicalOr => go!(bool, |x: bool, y: bool| x | y),
        LogicalXor => go!(bool, |x: bool, y: bool| x ^ y),
        BitwiseAnd | BitwiseOr | BitwiseXor | LeftShift | RightShift => {
            dispatch_int!(compute, T => match op {
                BitwiseAnd => go!(T, |x: T, y: T| x & y),
                BitwiseOr => go!(T, |x: T, y: T| x | y),
                BitwiseXor => go!(T, |x: T, y: T| x ^ y),
                _ => return Err(Error::dtype(op.name(), "shifts are not supported for bool")),
            })
        }
        TrueDivide | Arctan2 | Hypot | Copysign | Logaddexp => {
            dispatch_float!(compute, T => match op {
                TrueDivide => go!(T, |x: T, y: T| T::from_c(x.to_c() / y.to_c())),
                Arctan2 => go!(T, |x: T, y: T| T::from_c(CalcFloat::atan2(x.to_c(), y.to_c()))),
                Hypot => go!(T, |x: T, y: T| T::from_c(CalcFloat::hypot(x.to_c(), y.to_c()))),
                Copysign => go!(T, |x: T, y: T| T::from_c(CalcFloat::copysign(x.to_c(), y.to_c()))),
                _ => go!(T, |x: T, y: T| {
                    let (x, y) = (x.to_c(), y.to_c());
                    let m = if x > y { x } else { y };
                    if !m.is_finite() { T::from_c(m) } else { T::from_c(m + ((x - m).exp() + (y - m).exp()).ln()) }
                }),
            })
        }
        _ => dispatch_num!(compute, T => match op {
            Add => go!(T, |x: T, y: T| Num::add(x, y)),
            Subtract => go!(T, |x: T, y: T| Num::sub(x, y)),
            Multiply => go!(T, |x: T, y: T| Num::mul(x, y)),
            FloorDivide => go!(T, |x: T, y: T| Num::floor_div(x, y)),
            Remainder => go!(T, |x: T, y: T| Num::rem(x, y)),
            Power => go!(T, |x: T, y: T| Num::pow(x, y)),
            Maximum => go!(T, nan_max::<T>),
            Minimum => go!(T, nan_min::<T>),
            Fmax => go!(T, fmax::<T>),
            Fmin => go!(T, fmin::<T>),
            _ => unreachable!("op {op:?} routed to the numeric kernels"),
        }),
    }
    Ok(())
}

/// Shift ops need the integer-only `Shl`/`Shr`, so they live apart from `binary`.
pub(crate) fn shift(
    left: bool,
    compute: DType,
    a: &InView<'_>,
    b: &InView<'_>,
    out: OutView<'_>,
) -> Result<()> {
    let (p, shape, os) = (out.ptr, out.shape, out.strides);
    macro_rules! sh { ($($d:ident => $t:ty),*) => { match compute {
        $(crate::DType::$d => if left {
            run2::<$t, $t, $t>(a, b, p, os, shape, |x, y| if (y as i64) < 0 || (y as i64) >= <$t>::BITS as i64 { 0 } else { x << y })
        } else {
            run2::<$t, $t, $t>(a, b, p, os, shape, |x, y| if (y as i64) < 0 || (y as i64) >= <$t>::BITS as i64 { if (x as i64) < 0 { (0 as $t).wrapping_sub(1) } else { 0 } } else { x >> y })
        },)*
        _ => return Err(Error::dtype(if left { "left_shift" } else { "right_shift" }, format!("expected an integer dtype, found {compute}"))),
    } } }
    sh!(U8 => u8, I8 => i8, I16 => i16, I32 => i32, I64 => i64);
    Ok(())
}

/// Elementwise unary op on a host array already cast to `compute`.
pub(crate) fn unary(op: UnaryOp, compute: DType, a: &InView<'_>, out: OutView<'_>) -> Result<()> {
    use UnaryOp::*;
    let (p, shape, os) = (out.ptr, out.shape, out.strides);
    macro_rules! go {
        ($t:ty, $f:expr) => {
            run1::<$t, _>(a, p, os, shape, $f)
        };
    }
    macro_rules! fl {
        ($t:ty, $m:ident) => {
            go!($t, |x: $t| <$t>::from_c(CalcFloat::$m(x.to_c())))
        };
    }
    match op {
        LogicalNot => go!(bool, |x: bool| !x),
        Invert => dispatch_int!(compute, T => go!(T, |x: T| !x)),
        IsNan | IsInf | IsFinite | Signbit => {
            if compute.is_float() {
                dispatch_float!(compute, T => match op {
                    IsNan => go!(T, |x: T| x.to_c().is_nan()),
                    IsInf => go!(T, |x: T| CalcFloat::is_infinite(x.to_c())),
                    IsFinite => go!(T, |x: T| x.to_c().is_finite()),
                    _ => go!(T, |x: T| CalcFloat::is_sign_negative(x.to_c())),
                })
            } else {
                let v = matches!(op, IsFinite);
                if matches!(op, Signbit) {
                    crate::dispatch_all!(compute, T => go!(T, |x: T| x.to_f64() < 0.0));
                } else {
                    crate::dispatch_all!(compute, T => go!(T, move |_x: T| v));
                }
            }
        }
        // `absolute` and `positive` of bools are the identity (NumPy's `?->?` loops).
        Positive | Absolute if compute == DType::Bool => go!(bool, |x: bool| x),
        Negative | Positive | Absolute | Sign | Square | Reciprocal => {
            dispatch_num!(compute, T => match op {
                Negative => go!(T, |x: T| Num::neg(x)),
                Positive => go!(T, |x: T| x),
                Absolute => go!(T, |x: T| Num::abs(x)),
                Sign => go!(T, |x: T| Num::sign(x)),
                Square => go!(T, |x: T| x.mul(x)),
                _ => go!(T, |x: T| if T::DTYPE.is_float() { T::one().floor_div_true(x) } else { T::one().floor_div(x) }),
            })
        }
        // NumPy's floor/ceil/trunc keep integer and bool inputs as they are.
        Floor | Ceil | Trunc if !compute.is_float() => {
            crate::dispatch_all!(compute, T => go!(T, |x: T| x))
        }
        _ => dispatch_float!(compute, T => match op {
            Exp => fl!(T, exp), Exp2 => fl!(T, exp2), Log => fl!(T, ln), Log1p => fl!(T, ln_1p), Expm1 => fl!(T, exp_m1),
            Log2 => fl!(T, log2), Log10 => fl!(T, log10), Sqrt => fl!(T, sqrt), Cbrt => fl!(T, cbrt),
            Sin => fl!(T, sin), Cos => fl!(T, cos), Tan => fl!(T, tan), Arcsin => fl!(T, asin), Arccos => fl!(T, acos), Arctan => fl!(T, atan),
            Sinh => fl!(T, sinh), Cosh => fl!(T, cosh), Tanh => fl!(T, tanh), Arcsinh => fl!(T, asinh), Arccosh => fl!(T, acosh), Arctanh => fl!(T, atanh),
            Floor => fl!(T, floor), Ceil => fl!(T, ceil), Trunc => fl!(T, trunc), Rint => fl!(T, round_ties_even),
            Rsqrt => go!(T, |x: T| { let c = x.to_c(); T::from_c(<<T as Float>::C as CalcFloat>::from_f64(1.0) / c.sqrt()) }),
            Deg2rad => go!(T, |x: T| T::from_c(x.to_c() * <<T as Float>::C as CalcFloat>::from_f64(std::f64::consts::PI / 180.0))),
            Rad2deg => go!(T, |x: T| T::from_c(x.to_c() * <<T as Float>::C as CalcFloat>::from_f64(180.0 / std::f64::consts::PI))),
            Sigmoid => go!(T, |x: T| { let c = x.to_c(); let one = <<T as Float>::C as CalcFloat>::from_f64(1.0); T::from_c(one / (one + (-c).exp())) }),
            _ => unreachable!("op {op:?} routed to the float kernels"),
        }),
    }
    Ok(())
}

trait TrueDiv {
    fn floor_div_true(self, o: Self) -> Self;
}
impl<T: Num> TrueDiv for T {
    /// `1 / x` for floats, routed through `f64` only for the compile-time float case.
    #[inline(always)]
    fn floor_div_true(self, o: Self) -> Self {
        T::from_f64(self.to_f64() / o.to_f64())
    }
}

/// `where(cond, x, y)` on host arrays broadcast to `out`'s shape, `x`/`y` already of `out`'s dtype.
pub(crate) fn where_(cond: &Array, x: &Array, y: &Array, out: OutView<'_>) -> Result<()> {
    let (p, shape, os) = (out.ptr, out.shape, out.strides);
    crate::dispatch_all!(out.dtype, T => {
        // SAFETY: all operands broadcast to `shape` on the host.
        unsafe { map3::<bool, T, T, T>(shape, (cond.host_ptr(), cond.strides()), (x.host_ptr(), x.strides()), (y.host_ptr(), y.strides()), (p, os), |c, a, b| if c { a } else { b }) };
    });
    Ok(())
}

/// `clip(a, lo, hi)` (NaN-propagating like `minimum(maximum(a, lo), hi)`).
pub(crate) fn clip(a: &Array, lo: &Array, hi: &Array, out: OutView<'_>) -> Result<()> {
    let (p, shape, os) = (out.ptr, out.shape, out.strides);
    dispatch_num!(out.dtype, T => {
        // SAFETY: all operands broadcast to `shape` on the host.
        unsafe { map3::<T, T, T, T>(shape, (a.host_ptr(), a.strides()), (lo.host_ptr(), lo.strides()), (hi.host_ptr(), hi.strides()), (p, os), |x, l, h| nan_min(nan_max(x, l), h)) };
    });
    Ok(())
}
