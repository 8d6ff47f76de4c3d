//! Run-time element types, NumPy's type promotion, and the `Element` trait that
//! ties each [`DType`] to its Rust type.

use half::{bf16, f16};
use std::fmt;

/// The element type of an [`Array`](crate::Array), chosen at run time as in NumPy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool` (stored as one byte, 0 or 1).
    Bool,
    /// `uint8`.
    U8,
    /// `int8`.
    I8,
    /// `int16`.
    I16,
    /// `int32`.
    I32,
    /// `int64` (NumPy's default integer).
    I64,
    /// IEEE half precision, `float16`.
    F16,
    /// brain float, `bfloat16` (as in `ml_dtypes`).
    BF16,
    /// `float32`.
    F32,
    /// `float64` (NumPy's default float).
    F64,
}

/// Every dtype, in promotion-lattice order.
pub const ALL_DTYPES: [DType; 10] = [
    DType::Bool,
    DType::U8,
    DType::I8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
];

/// What a dtype is, for the purpose of deciding which operations accept it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `bool`.
    Bool,
    /// Unsigned integer.
    Unsigned,
    /// Signed integer.
    Signed,
    /// Floating point.
    Float,
}

impl DType {
    /// Size of one element in bytes.
    pub const fn itemsize(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// NumPy's name for this dtype (`"float32"`, `"int64"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Parses a NumPy dtype name (`"float32"`, `"f4"`, `"int"`, `"float"`, ...).
    pub fn from_name(name: &str) -> Option<DType> {
        Some(match name {
            "bool" | "bool_" | "?" | "b1" => DType::Bool,
            "uint8" | "u1" | "B" => DType::U8,
            "int8" | "i1" | "b" => DType::I8,
            "int16" | "i2" | "h" => DType::I16,
            "int32" | "i4" | "i" => DType::I32,
            "int64" | "i8" | "l" | "int" => DType::I64,
            "float16" | "f2" | "e" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "f4" | "f" | "single" => DType::F32,
            "float64" | "f8" | "d" | "float" | "double" => DType::F64,
            _ => return None,
        })
    }

    /// The dtype's kind.
    pub const fn kind(self) -> Kind {
        match self {
            DType::Bool => Kind::Bool,
            DType::U8 => Kind::Unsigned,
            DType::I8 | DType::I16 | DType::I32 | DType::I64 => Kind::Signed,
            _ => Kind::Float,
        }
    }

    /// True for the floating-point dtypes.
    pub const fn is_float(self) -> bool {
        matches!(self.kind(), Kind::Float)
    }

    /// True for signed and unsigned integers (not bool).
    pub const fn is_integer(self) -> bool {
        matches!(self.kind(), Kind::Signed | Kind::Unsigned)
    }

    /// NumPy's `np.promote_types(self, other)`: the smallest dtype both convert
    /// to safely. `bfloat16` follows `ml_dtypes`: with `float16` it gives `float32`.
    pub fn promote(self, other: DType) -> DType {
        use DType::*;
        if self == other {
            return self;
        }
        let (a, b) = if self <= other {
            (self, other)
        } else {
            (other, self)
        };
        match (a, b) {
            (Bool, x) => x,
            (U8, I8) | (U8, I16) | (I8, I16) => I16,
            (U8 | I8 | I16, I32) => I32,
            (U8 | I8 | I16 | I32, I64) => I64,
            (U8 | I8, F16) => F16,
            (U8 | I8, BF16) => BF16,
            (I16, F16 | BF16) => F32,
            (I32 | I64, F16 | BF16 | F32) => F64,
            (U8 | I8 | I16, F32) => F32,
            (F16, BF16) => F32,
            (F16 | BF16, F32) => F32,
            (_, F64) => F64,
            _ => unreachable!("promote: unhandled pair {a:?} {b:?}"),
        }
    }

    /// The float dtype NumPy computes `exp`, `sqrt`, `true_divide` ... in for this dtype
    /// (`int8 -> float16`, `int16 -> float32`, `int32 -> float64`, floats unchanged).
    pub fn to_float(self) -> DType {
        if self.is_float() {
            self
        } else {
            self.promote(DType::F16)
        }
    }

    /// Whether `np.can_cast(self, to, "safe")` holds.
    pub fn can_cast_safely(self, to: DType) -> bool {
        self.promote(to) == to
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Rust scalar mixed into an array expression. Like a Python scalar under
/// NumPy 2 (NEP 50), it is *weak*: `f32_array * 2.0` stays `float32`, and
/// `i8_array + 1` stays `int8`. Only its kind matters to promotion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A `bool` scalar.
    Bool(bool),
    /// An integer scalar (any Rust integer type).
    Int(i64),
    /// A float scalar (`f32` or `f64`).
    Float(f64),
}

impl Scalar {
    /// The dtype the scalar takes when mixed with an array of dtype `with`
    /// (NEP 50's weak-scalar rule).
    pub fn result_dtype(self, with: DType) -> DType {
        match (self, with.kind()) {
            (Scalar::Bool(_), _) => with,
            (Scalar::Int(_), Kind::Bool) => DType::I64,
            (Scalar::Int(_), _) => with,
            (Scalar::Float(_), Kind::Float) => with,
            (Scalar::Float(_), _) => DType::F64,
        }
    }

    /// The dtype of the scalar on its own (`bool`, `int64`, `float64`).
    pub fn default_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::F64,
        }
    }

    /// The value as `f64`.
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }
}

macro_rules! scalar_from {
    ($variant:ident, $conv:ty; $($t:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(v: $t) -> Self { Scalar::$variant(v as $conv) }
        }
    )*};
}
scalar_from!(Int, i64; i8, i16, i32, i64, u8, u16, u32, usize, isize);
scalar_from!(Float, f64; f32, f64);
impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Scalar::Bool(v)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that can be an array element. Implemented for exactly the ten
/// types behind [`DType`]; conversions follow NumPy's `astype` (C casts:
/// floats truncate toward zero, integers wrap).
pub trait Element:
    sealed::Sealed + Copy + Send + Sync + PartialOrd + PartialEq + Default + fmt::Debug + 'static
{
    /// The run-time tag of this type.
    const DTYPE: DType;
    /// Converts to `f64` (exact for all but `i64` beyond 2^53).
    fn to_f64(self) -> f64;
    /// Converts to `i64` (floats truncate; NaN gives 0).
    fn to_i64(self) -> i64;
    /// Converts from `f64` as a C cast would.
    fn from_f64(v: f64) -> Self;
    /// Converts from `i64`, wrapping for narrower integers.
    fn from_i64(v: i64) -> Self;
    /// Casts to another element type with NumPy's `astype` semantics.
    #[inline(always)]
    fn cast<B: Element>(self) -> B {
        if B::DTYPE == DType::Bool {
            // Non-zero (and NaN) is true, as in NumPy.
            B::from_i64((self.to_f64() != 0.0) as i64)
        } else if Self::DTYPE.is_float() || B::DTYPE.is_float() {
            B::from_f64(self.to_f64())
        } else {
            B::from_i64(self.to_i64())
        }
    }
}

macro_rules! int_element {
    ($($t:ty => $d:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline(always)] fn to_f64(self) -> f64 { self as f64 }
            #[inline(always)] fn to_i64(self) -> i64 { self as i64 }
            #[inline(always)] fn from_f64(v: f64) -> Self { v as i64 as $t }
            #[inline(always)] fn from_i64(v: i64) -> Self { v as $t }
        }
    )*};
}
int_element!(u8 => U8, i8 => I8, i16 => I16, i32 => I32, i64 => I64);

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
}

macro_rules! float_element {
    ($($t:ty => $d:ident, $to:expr, $from:expr);*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline(always)] fn to_f64(self) -> f64 { $to(self) }
            #[inline(always)] fn to_i64(self) -> i64 { $to(self) as i64 }
            #[inline(always)] fn from_f64(v: f64) -> Self { $from(v) }
            #[inline(always)] fn from_i64(v: i64) -> Self { $from(v as f64) }
        }
    )*};
}
float_element!(
    f32 => F32, |x: f32| x as f64, |v: f64| v as f32;
    f64 => F64, |x: f64| x, |v: f64| v;
    f16 => F16, |x: f16| x.to_f64(), f16::from_f64;
    bf16 => BF16, |x: bf16| x.to_f64(), bf16::from_f64
);

/// Runs `$body` with `$t` bound to the Rust type of `$dtype` (every dtype).
#[macro_export]
#[doc(hidden)]
macro_rules! dispatch_all {
    ($dtype:expr, $t:ident => $body:expr) => {{
        use $crate::DType as __D;
        match $dtype {
            __D::Bool => {
                type $t = bool;
                $body
            }
            __D::U8 => {
                type $t = u8;
                $body
            }
            __D::I8 => {
                type $t = i8;
                $body
            }
            __D::I16 => {
                type $t = i16;
                $body
            }
            __D::I32 => {
                type $t = i32;
                $body
            }
            __D::I64 => {
                type $t = i64;
                $body
            }
            __D::F16 => {
                type $t = $crate::half::f16;
                $body
            }
            __D::BF16 => {
                type $t = $crate::half::bf16;
                $body
            }
            __D::F32 => {
                type $t = f32;
                $body
            }
            __D::F64 => {
                type $t = f64;
                $body
            }
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_is_symmetric_and_idempotent() {
        for a in ALL_DTYPES {
            assert_eq!(a.promote(a), a);
            for b in ALL_DTYPES {
                assert_eq!(a.promote(b), b.promote(a), "{a} {b}");
                let p = a.promote(b);
                assert!(a.can_cast_safely(p) && b.can_cast_safely(p));
            }
        }
    }

    #[test]
    fn weak_scalars_do_not_upcast() {
        assert_eq!(Scalar::Float(2.0).result_dtype(DType::F32), DType::F32);
        assert_eq!(Scalar::Int(2).result_dtype(DType::I8), DType::I8);
        assert_eq!(Scalar::Float(2.0).result_dtype(DType::I32), DType::F64);
        assert_eq!(Scalar::Int(2).result_dtype(DType::Bool), DType::I64);
    }

    #[test]
    fn casts_follow_c_semantics() {
        assert_eq!((-1.7f64).cast::<i32>(), -1);
        assert_eq!(300i64.cast::<u8>(), 44);
        assert!(f64::NAN.cast::<bool>());
        assert_eq!(f16::from_f32(1.5).cast::<f32>(), 1.5);
    }
}
