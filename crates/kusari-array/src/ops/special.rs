//! Special functions (SciPy's `scipy.special` names): `erf`, `erfc`, `gammaln`
//! (`lgamma`). float32 computes in float32 and float64 in float64 with the
//! `libm` crate's ports of FreeBSD's msun; float16/bfloat16 compute in float32.

use super::kernel_path::{cached, use_kernels, KernelDef};
use crate::{Array, DType, ElementwiseKernel, Error, Order, Result};
use rayon::prelude::*;
use std::sync::OnceLock;

const CHUNK: usize = 1 << 15;

/// The kernels of the path off the CPU (CUDA's `erf`, `erfc`, `lgamma`;
/// digamma and trigamma as the CPU's float64 series, statement for
/// statement), indexed by the `K_*` constants. `sqrt(-1.0)` is the NaN
/// (NVRTC has no `NAN` without headers), `x - x != 0` the infinity test.
pub(crate) const KERNELS: &[KernelDef] = &[
    ("kusari_erf", "T x", "T y", "y = erf(x);"),
    ("kusari_erfc", "T x", "T y", "y = erfc(x);"),
    ("kusari_gammaln", "T x", "T y", "y = lgamma(x);"),
    (
        "kusari_digamma",
        "T v",
        "T y",
        "double x = (double)v; double acc = 0.0;
         bool bad = (x != x) || (x < 0.0 && x - x != 0.0) || (x <= 0.0 && x == floor(x));
         if (bad) {
           acc = sqrt(-1.0);
         } else {
           if (x < 0.0) {
             acc -= 3.141592653589793 / tan(3.141592653589793 * x);
             x = 1.0 - x;
           }
           while (x < 10.0) { acc -= 1.0 / x; x += 1.0; }
           double r = 1.0 / (x * x);
           double series = r * (1.0 / 12.0 - r * (1.0 / 120.0 - r * (1.0 / 252.0
               - r * (1.0 / 240.0 - r * (1.0 / 132.0 - r * (691.0 / 32760.0))))));
           acc = acc + log(x) - 0.5 / x - series;
         }
         y = acc;",
    ),
    (
        "kusari_trigamma",
        "T v",
        "T y",
        "double x = (double)v; double out = 0.0;
         if (x != x || (x <= 0.0 && x == floor(x))) {
           out = sqrt(-1.0);
         } else {
           double refl = 0.0; bool reflected = false;
           if (x < 0.5) {
             double s = sin(3.141592653589793 * x);
             refl = 3.141592653589793 * 3.141592653589793 / (s * s);
             reflected = true;
             x = 1.0 - x;
           }
           double acc = 0.0;
           while (x < 10.0) { acc += 1.0 / (x * x); x += 1.0; }
           double r = 1.0 / (x * x);
           double series = 1.0 / x + r / 2.0 + r / x * (1.0 / 6.0 - r * (1.0 / 30.0
               - r * (1.0 / 42.0 - r * (1.0 / 30.0 - r * (5.0 / 66.0 - r * (691.0 / 2730.0))))));
           out = acc + series;
           if (reflected) { out = refl - out; }
         }
         y = out;",
    ),
];
const K_ERF: usize = 0;
const K_ERFC: usize = 1;
const K_GAMMALN: usize = 2;
const K_DIGAMMA: usize = 3;
const K_TRIGAMMA: usize = 4;

/// Applies `f32f`/`f64f` elementwise on the CPU, kernel `k` of [`KERNELS`]
/// elsewhere.
fn map(
    op: &'static str,
    k: usize,
    a: &Array,
    f32f: impl Fn(f32) -> f32 + Sync,
    f64f: impl Fn(f64) -> f64 + Sync,
) -> Result<Array> {
    if !a.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a float dtype, found {}", a.dtype()),
        ));
    }
    let dtype = if a.dtype() == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    if use_kernels(a.device()) {
        static CELLS: [OnceLock<ElementwiseKernel>; 5] = [const { OnceLock::new() }; 5];
        let x = if a.dtype() == dtype {
            a.clone()
        } else {
            a.astype(dtype)?
        };
        let y = cached(&CELLS[k], KERNELS[k]).call(&[&x])?;
        return if dtype != a.dtype() {
            y.astype(a.dtype())
        } else {
            Ok(y)
        };
    }
    let x = a.astype_order(dtype, Order::C)?;
    let mut out = Array::empty(a.shape(), dtype)?;
    fn go<T: crate::Element + Copy + Send + Sync>(
        x: &Array,
        out: &mut Array,
        f: impl Fn(T) -> T + Sync,
    ) {
        let x = x.as_slice::<T>().expect("C-contiguous");
        let o = out.as_slice_mut::<T>().expect("fresh C-contiguous");
        let body = |(o, x): (&mut [T], &[T])| {
            for (o, &x) in o.iter_mut().zip(x) {
                *o = f(x);
            }
        };
        if o.len() <= CHUNK {
            body((o, x));
        } else {
            o.par_chunks_mut(CHUNK)
                .zip(x.par_chunks(CHUNK))
                .for_each(body);
        }
    }
    if dtype == DType::F64 {
        go::<f64>(&x, &mut out, f64f);
    } else {
        go::<f32>(&x, &mut out, f32f);
    }
    if dtype != a.dtype() {
        out = out.astype(a.dtype())?;
    }
    Ok(out)
}

/// The error function `2/sqrt(pi) * integral_0^x exp(-t^2) dt`, elementwise.
pub fn erf(a: &Array) -> Result<Array> {
    map("erf", K_ERF, a, libm::erff, libm::erf)
}

/// The complementary error function `1 - erf(x)` (accurate for large `x`).
pub fn erfc(a: &Array) -> Result<Array> {
    map("erfc", K_ERFC, a, libm::erfcf, libm::erfc)
}

/// `log(|gamma(x)|)`, elementwise (SciPy's `gammaln`, C's `lgamma`).
pub fn gammaln(a: &Array) -> Result<Array> {
    map("gammaln", K_GAMMALN, a, libm::lgammaf, libm::lgamma)
}

/// The digamma function `d/dx log(gamma(x))` (the derivative of [`gammaln`]).
pub fn digamma(a: &Array) -> Result<Array> {
    map(
        "digamma",
        K_DIGAMMA,
        a,
        |x| digamma_f64(x as f64) as f32,
        digamma_f64,
    )
}

/// The trigamma function `d^2/dx^2 log(gamma(x))` (SciPy's `polygamma(1, x)`).
pub fn trigamma(a: &Array) -> Result<Array> {
    map(
        "trigamma",
        K_TRIGAMMA,
        a,
        |x| trigamma_f64(x as f64) as f32,
        trigamma_f64,
    )
}

/// Trigamma by reflection for `x < 0.5`, the recurrence up to `x >= 10`, then
/// the asymptotic series.
fn trigamma_f64(mut x: f64) -> f64 {
    if x.is_nan() || (x <= 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    if x < 0.5 {
        // psi1(1 - x) + psi1(x) = pi^2 / sin^2(pi x)
        let s = (std::f64::consts::PI * x).sin();
        return std::f64::consts::PI * std::f64::consts::PI / (s * s) - trigamma_f64(1.0 - x);
    }
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    let series = 1.0 / x
        + r / 2.0
        + r / x
            * (1.0 / 6.0
                - r * (1.0 / 30.0
                    - r * (1.0 / 42.0
                        - r * (1.0 / 30.0 - r * (5.0 / 66.0 - r * (691.0 / 2730.0))))));
    acc + series
}

/// Digamma by the reflection formula for negative `x`, the recurrence up to
/// `x >= 10`, then the asymptotic series (error below 1e-16 there).
fn digamma_f64(mut x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if x <= 0.0 && x == x.floor() {
        return f64::NAN;
    }
    let mut acc = 0.0;
    if x < 0.0 {
        // psi(1 - x) - psi(x) = pi / tan(pi x)
        acc -= std::f64::consts::PI / (std::f64::consts::PI * x).tan();
        x = 1.0 - x;
    }
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    let series = r
        * (1.0 / 12.0
            - r * (1.0 / 120.0
                - r * (1.0 / 252.0
                    - r * (1.0 / 240.0 - r * (1.0 / 132.0 - r * (691.0 / 32760.0))))));
    acc + x.ln() - 0.5 / x - series
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel path (forced on the CPU, through the interpreter, which
    /// calls the same libm functions) gives the loops' values bit for bit,
    /// in float16, 32 and 64, NaN, infinities, poles and both sides of
    /// the reflections included (digamma and trigamma are the same float64
    /// series written twice).
    #[test]
    fn kernel_path_matches_the_loops() {
        use super::super::kernel_path::forced;
        let xs = vec![
            -3.5,
            -2.0,
            -0.5,
            0.0,
            0.25,
            1.0,
            2.5,
            7.0,
            30.0,
            -0.3,
            0.49,
            -7.25,
            1e-3,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for dtype in [DType::F16, DType::F32, DType::F64] {
            let x = Array::from_vec(xs.clone(), &[xs.len()])
                .unwrap()
                .astype(dtype)
                .unwrap();
            type F = fn(&Array) -> Result<Array>;
            for (name, f) in [
                ("erf", erf as F),
                ("erfc", erfc),
                ("gammaln", gammaln),
                ("digamma", digamma),
                ("trigamma", trigamma),
            ] {
                let bits = |a: Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                let cpu = bits(f(&x).unwrap());
                let ker = forced(|| f(&x)).unwrap();
                assert_eq!(ker.dtype(), dtype, "{name}");
                for (i, (a, b)) in cpu.iter().zip(bits(ker)).enumerate() {
                    assert!(
                        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                        "{name} {dtype} [{i}]: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn known_values() {
        let x = Array::from_vec(vec![0.0f64, 0.5, 1.0, -2.0, 3.0], &[5]).unwrap();
        let e = erf(&x).unwrap().to_vec::<f64>().unwrap();
        let want = [
            0.0,
            0.5204998778130465,
            0.8427007929497149,
            -0.9953222650189527,
            0.9999779095030014,
        ];
        for (a, b) in e.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{a} {b}");
        }
        let g = gammaln(&Array::from_vec(vec![0.5f32, 1.0, 5.0], &[3]).unwrap())
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        // log(sqrt(pi)), 0, log(24)
        assert!(
            (g[0] - 0.572_364_9).abs() < 1e-6
                && g[1].abs() < 1e-7
                && (g[2] - 24f32.ln()).abs() < 1e-5
        );
        let d = digamma(&Array::from_vec(vec![1.0f64, 0.5, -0.5, 10.0], &[4]).unwrap())
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        let want = [
            -0.5772156649015329,
            -1.9635100260214235,
            0.03648997397857652,
            2.251752589066721,
        ];
        for (a, b) in d.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
        let t = trigamma(&Array::from_vec(vec![1.0f64, 0.5, -0.5, 10.0], &[4]).unwrap())
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        let want = [
            1.6449340668482264,
            4.934802200544679,
            8.934802200544679,
            0.10516633568168575,
        ];
        for (a, b) in t.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
        assert!(erf(&Array::zeros(&[2], DType::I64).unwrap()).is_err());
    }
}
