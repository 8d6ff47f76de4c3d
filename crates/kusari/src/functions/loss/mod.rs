//! Loss functions (Chainer's `chainer.functions.loss`). The hot ones
//! (`softmax_cross_entropy`, `sigmoid_cross_entropy`, `mean_squared_error`)
//! are fused single-pass kernels; every backward switches, as Chainer's
//! `enable_double_backprop` does, to a path built from differentiable
//! functions when a graph of the gradient is being recorded, so all of them
//! can be differentiated twice.

mod ctc;
mod margin;
pub(crate) mod prims;
mod regression;
pub(crate) mod sigmoid_cross_entropy;
mod softmax_cross_entropy;
pub(crate) mod softmax_cross_entropy_kernel;
mod vae;

pub use ctc::connectionist_temporal_classification;
pub use margin::{contrastive, hinge, triplet, HingeNorm};
pub use regression::{
    absolute_error, huber_loss, mean_absolute_error, mean_squared_error, squared_error,
};
pub use sigmoid_cross_entropy::sigmoid_cross_entropy;
pub use vae::{bernoulli_nll, gaussian_kl_divergence, gaussian_nll};

pub use softmax_cross_entropy::{
    softmax_cross_entropy, softmax_cross_entropy_with, SoftTargetLoss, SoftmaxCrossEntropyOptions,
};

use crate::array::{Array, DType, Error, Result};

/// How a loss reduces its elementwise values (Chainer's `reduce` argument).
/// Each function accepts the subset Chainer accepts and says so otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduce {
    /// The mean (Chainer's `'mean'`); what it divides by is documented per function.
    Mean,
    /// The sum (`'sum'`).
    Sum,
    /// No reduction: one value per element or per sample (`'no'`).
    No,
    /// Sum over the second axis only (`'sum_along_second_axis'`, `huber_loss`).
    SumAlongSecondAxis,
}

impl Reduce {
    /// Chainer's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Reduce::Mean => "mean",
            Reduce::Sum => "sum",
            Reduce::No => "no",
            Reduce::SumAlongSecondAxis => "sum_along_second_axis",
        }
    }
}

impl std::str::FromStr for Reduce {
    type Err = Error;
    fn from_str(s: &str) -> Result<Reduce> {
        Ok(match s {
            "mean" => Reduce::Mean,
            "sum" => Reduce::Sum,
            "no" => Reduce::No,
            "sum_along_second_axis" => Reduce::SumAlongSecondAxis,
            _ => {
                return Err(Error::Value {
                    op: "reduce",
                    message: format!(
                        "expected 'mean', 'sum', 'no' or 'sum_along_second_axis', got '{s}'"
                    ),
                })
            }
        })
    }
}

/// Chainer's `_check_reduce_option`: `reduce` must be one of `allowed`.
pub(crate) fn expect_reduce(op: &'static str, reduce: Reduce, allowed: &[Reduce]) -> Result<()> {
    if allowed.contains(&reduce) {
        return Ok(());
    }
    let names: Vec<String> = allowed.iter().map(|r| format!("'{}'", r.name())).collect();
    Err(Error::Value {
        op,
        message: format!(
            "only {} are valid for 'reduce', but '{}' is given",
            names.join(" and "),
            reduce.name()
        ),
    })
}

/// Chainer-style type check: two inputs of the same shape.
pub(crate) fn expect_same_shape(
    op: &'static str,
    names: (&str, &str),
    a: &Array,
    b: &Array,
) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::Shape {
            op,
            message: format!(
                "expected {}.shape == {}.shape, got {:?} != {:?}",
                names.0,
                names.1,
                a.shape(),
                b.shape()
            ),
        });
    }
    Ok(())
}

/// The float type kernels compute in: float16 and bfloat16 are widened to float32.
pub(crate) fn compute_dtype(d: DType) -> DType {
    match d {
        DType::F64 => DType::F64,
        _ => DType::F32,
    }
}

/// `a` as a C-contiguous host array of `dtype` (no copy when it already is one).
pub(crate) fn contiguous(op: &'static str, a: &Array, dtype: DType) -> Result<Array> {
    // The callers' loops read host slices.
    super::expect_cpu(op, "an array", a.device())?;
    contiguous_on_device(a, dtype)
}

/// `a` as a C-contiguous array of `dtype` on its own device (no copy when it
/// already is one), for the kernel paths.
pub(crate) fn contiguous_on_device(a: &Array, dtype: DType) -> Result<Array> {
    if a.dtype() == dtype && a.is_c_contiguous() {
        Ok(a.clone())
    } else {
        a.astype_order(dtype, crate::array::Order::C)
    }
}

/// `a` in `dtype`, sharing its data when it already has that dtype
/// (`astype` always copies, as NumPy's does).
pub(crate) fn with_dtype(a: &Array, dtype: DType) -> Result<Array> {
    if a.dtype() == dtype {
        Ok(a.clone())
    } else {
        a.astype(dtype)
    }
}

/// Integer labels as `i64`, borrowed when they already are contiguous `int64`.
pub(crate) fn labels<'a>(op: &'static str, t: &'a Array) -> Result<std::borrow::Cow<'a, [i64]>> {
    if !t.dtype().is_integer() {
        return Err(Error::DType {
            op,
            message: format!("expected t.dtype.kind == 'i', got {}", t.dtype()),
        });
    }
    Ok(match t.as_slice::<i64>() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(t.to_vec::<i64>()?),
    })
}

/// The float element types kernels are written for (f32 and f64).
pub(crate) trait Real:
    crate::array::Element
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::ops::AddAssign
{
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// `e^x`.
    fn exp(self) -> Self;
    /// `e^x` inlined and branch-free, within 2 ulp for f32 (libm's for f64);
    /// for the transcendental-bound kernels (LSTM gates).
    fn exp_fast(self) -> Self;
    /// Natural log.
    fn ln(self) -> Self;
    /// The larger of two values.
    fn max(self, o: Self) -> Self;
}

macro_rules! real {
    ($t:ty, $fast:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn exp_fast(self) -> Self {
                $fast(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
        }
    };
}
real!(f32, exp_f32);
real!(f64, f64::exp);

/// `e^x` for f32: Cody-Waite reduction by ln 2 and a degree-6 Taylor
/// polynomial (|r| <= ln 2 / 2, truncation below 2e-7 relative). Inputs are
/// clamped to where `2^n` stays a normal f32, so the result saturates (at
/// about 1e-38 and 1.6e38) instead of flushing to 0 or overflowing to inf.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // 1.5 * 2^23: adding and subtracting it rounds to an integer without a branch.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    // `t` is `ROUND + n` exactly (its ulp is 1), so the difference of the bit
    // patterns is `n` as an integer: no float-to-int cast, whose saturating
    // semantics compile to scalar branches and stopped the loops using this
    // from vectorizing (the LSTM cell ran 3x slower).
    let ni = t.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let scale = f32::from_bits(((ni + 127) as u32) << 23);
    p * scale
}

/// Runs `$body` with `$T` bound to the Rust type of a compute dtype (f32 or f64).
macro_rules! with_real {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::array::DType::F64 => {
                type $T = f64;
                $body
            }
            _ => {
                type $T = f32;
                $body
            }
        }
    };
}
pub(crate) use with_real;

#[cfg(test)]
mod tests {
    use super::exp_f32;

    /// Within 2 ulp of the correctly rounded value over the whole range it
    /// does not clamp, and saturating (finite, positive) beyond it.
    #[test]
    fn exp_f32_is_accurate_and_saturates() {
        let mut x = -87.0f32;
        while x <= 88.0 {
            let want = (x as f64).exp();
            let got = exp_f32(x) as f64;
            let ulp = f32::EPSILON as f64 * want;
            assert!(
                (got - want).abs() <= 2.0 * ulp,
                "exp({x}) = {got}, want {want}"
            );
            x += 0.0137;
        }
        for x in [-1e30f32, -200.0, 200.0, 1e30] {
            let e = exp_f32(x);
            assert!(e.is_finite() && e > 0.0, "exp({x}) = {e}");
        }
        assert_eq!(exp_f32(0.0), 1.0);
    }
}
