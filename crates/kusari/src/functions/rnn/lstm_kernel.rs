//! The LSTM cell as two user kernels (`ElementwiseKernel`), as Chainer runs
//! it on a GPU: one pass forward, one pass backward. `lstm` takes this path
//! for arrays on a CUDA device, where its CPU loops cannot run; the kernels
//! are plain C, so the same definitions also run on the CPU through the
//! kernel interpreter, which is how the tests check them against the CPU
//! loops, and `scripts/check-cuda-kernels` compiles them with NVRTC (`functions/kernels.rs`).
//!
//! Positions run over `c[:B]` in C order (`i`); `x` is contiguous with the
//! gates of unit `k` at `x[n, 4k + g, j]`, i.e. flat `((i / r) * 4 + g) * r + i % r`.

use crate::array::{s, Array, DType, ElementwiseKernel, KernelArg, Result};
use crate::functions::kernels::{cached, KernelDef};
use crate::functions::loss::{contiguous_on_device, with_dtype};
use std::sync::OnceLock;

/// (name, in_params, out_params, operation) of the forward kernel.
pub(crate) const FORWARD: KernelDef = (
    "kusari_lstm_fwd",
    "T c_prev, raw T x, int64 r",
    "T c, T h",
    "long long q = i / r;
     long long j = i - q * r;
     T a = tanh(x[(q * 4) * r + j]);
     T ig = 1 / (1 + exp(-x[(q * 4 + 1) * r + j]));
     T fg = 1 / (1 + exp(-x[(q * 4 + 2) * r + j]));
     T og = 1 / (1 + exp(-x[(q * 4 + 3) * r + j]));
     c = a * ig + fg * c_prev;
     h = og * tanh(c);",
);

/// (name, in_params, out_params, operation) of the backward kernel.
pub(crate) const BACKWARD: KernelDef = (
    "kusari_lstm_bwd",
    "T c_prev, T c, T gc, T gh, raw T x, int64 r",
    "T gc_prev, raw T gx",
    "long long q = i / r;
     long long j = i - q * r;
     long long base = (q * 4) * r + j;
     T a = tanh(x[base]);
     T ig = 1 / (1 + exp(-x[base + r]));
     T fg = 1 / (1 + exp(-x[base + 2 * r]));
     T og = 1 / (1 + exp(-x[base + 3 * r]));
     T co = tanh(c);
     T temp = gh * og * (1 - co * co) + gc;
     gx[base] = temp * ig * (1 - a * a);
     gx[base + r] = temp * a * ig * (1 - ig);
     gx[base + 2 * r] = temp * c_prev * fg * (1 - fg);
     gx[base + 3 * r] = gh * co * og * (1 - og);
     gc_prev = temp * fg;",
);

/// Trailing positions per unit (`r`) and the contiguous `x` in the compute dtype.
fn prepare(x: &Array, dtype: DType) -> Result<(i64, Array)> {
    let r: usize = x.shape()[2..].iter().product();
    Ok((r as i64, contiguous_on_device(x, dtype)?))
}

/// `(c, h)` of `lstm` for `c_prev` `(B_c, U, ...)` and `x` `(B, 4U, ...)`
/// (shapes checked by the caller), in `dtype` (float32 or float64), on the
/// arrays' device.
pub(crate) fn forward(c_prev: &Array, x: &Array, dtype: DType) -> Result<(Array, Array)> {
    static K: OnceLock<ElementwiseKernel> = OnceLock::new();
    let b = x.shape()[0];
    let (r, xc) = prepare(x, dtype)?;
    let cp = with_dtype(c_prev, dtype)?;
    let cp_b = cp.slice(&s![..b])?;
    let mut out = cached(&K, FORWARD).call_multi(&[
        KernelArg::from(&cp_b),
        KernelArg::from(&xc),
        KernelArg::from(r),
    ])?;
    let h = out.pop().expect("two outputs");
    let c_b = out.pop().expect("two outputs");
    let c = if b < cp.shape()[0] {
        crate::array::ops::manip::concatenate(&[&c_b, &cp.slice(&s![b..])?], 0)?
    } else {
        c_b
    };
    Ok((c, h))
}

/// `(gc_prev, gx)` of `lstm` (its backward without double backprop), as [`forward`].
pub(crate) fn backward(
    c_prev: &Array,
    x: &Array,
    c: &Array,
    gc: &Array,
    gh: &Array,
    dtype: DType,
) -> Result<(Array, Array)> {
    static K: OnceLock<ElementwiseKernel> = OnceLock::new();
    let b = x.shape()[0];
    let (r, xc) = prepare(x, dtype)?;
    let (cp, c, gc, gh) = (
        with_dtype(c_prev, dtype)?,
        with_dtype(c, dtype)?,
        with_dtype(gc, dtype)?,
        with_dtype(gh, dtype)?,
    );
    let (cp_b, c_b, gc_b) = (cp.slice(&s![..b])?, c.slice(&s![..b])?, gc.slice(&s![..b])?);
    let mut gcp_b = Array::empty_like(&cp_b)?;
    let mut gx = Array::empty_like(&xc)?;
    cached(&K, BACKWARD).call_out(
        &[
            KernelArg::from(&cp_b),
            KernelArg::from(&c_b),
            KernelArg::from(&gc_b),
            KernelArg::from(&gh),
            KernelArg::from(&xc),
            KernelArg::from(r),
        ],
        &mut [&mut gcp_b, &mut gx],
    )?;
    let gcp = if b < cp.shape()[0] {
        crate::array::ops::manip::concatenate(&[&gcp_b, &gc.slice(&s![b..])?], 0)?
    } else {
        gcp_b
    };
    Ok((gcp, gx))
}

#[cfg(test)]
mod tests {
    use super::super::lstm::{backward_kernel, forward_kernel};
    use crate::array::ops::random::Generator;
    use crate::array::{Array, DType};

    fn close(what: &str, a: &Array, b: &[f64], tol: f64) {
        let a = a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(a.len(), b.len(), "{what}: length");
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * (1.0 + y.abs()),
                "{what}[{k}]: kernel {x}, CPU loops {y}"
            );
        }
    }

    /// The kernels (run by the CPU interpreter) equal the CPU loops, for 2-D
    /// and 3-D cells, with `c_prev` longer than `x` (ended sequences) and a
    /// strided `x`, in float32 and float64.
    #[test]
    fn kernels_match_the_cpu_loops() {
        let mut g = Generator::new(5);
        for (bc, b, u, rest) in [(3usize, 3usize, 4usize, vec![]), (5, 3, 2, vec![3usize])] {
            for dtype in [DType::F64, DType::F32] {
                let r: usize = rest.iter().product();
                let shape = |n: usize, w: usize| [vec![n, w], rest.clone()].concat();
                let cp = g.standard_normal(&shape(bc, u), dtype).unwrap();
                // A strided x: every other column block of a wider array.
                let wide = g.standard_normal(&shape(b, 8 * u), dtype).unwrap();
                let x = wide.slice(&crate::array::s![.., ..;2]).unwrap();
                let gc = g.standard_normal(&shape(bc, u), dtype).unwrap();
                let gh = g.standard_normal(&shape(b, u), dtype).unwrap();
                let (c, h) = super::forward(&cp, &x, dtype).unwrap();
                let f64s = |a: &Array| {
                    a.astype(DType::F64)
                        .unwrap()
                        .ascontiguousarray()
                        .unwrap()
                        .to_vec::<f64>()
                        .unwrap()
                };
                let (cpv, xv, gcv, ghv) = (f64s(&cp), f64s(&x), f64s(&gc), f64s(&gh));
                let d = (bc, b, u, r);
                let (mut cw, mut hw) = (vec![0.0; bc * u * r], vec![0.0; b * u * r]);
                forward_kernel::<f64>(&cpv, &xv, d, &mut cw, &mut hw);
                let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
                close("c", &c, &cw, tol);
                close("h", &h, &hw, tol);
                let (gcp, gx) = super::backward(&cp, &x, &c, &gc, &gh, dtype).unwrap();
                let (mut gcpw, mut gxw) = (vec![0.0; bc * u * r], vec![0.0; b * 4 * u * r]);
                backward_kernel::<f64>(&cpv, &xv, &cw, &gcv, &ghv, d, &mut gcpw, &mut gxw);
                close("gc_prev", &gcp, &gcpw, tol);
                close("gx", &gx, &gxw, tol);
                assert_eq!(gx.shape(), x.shape());
            }
        }
    }

    /// `F::lstm` through the kernel path (forward, the backward without a
    /// graph, and the ended-sequence rows) equals the CPU loops.
    #[test]
    fn the_kernel_path_matches_the_cpu_path() {
        use crate::functions::{self as F, FORCE_KERNELS};
        use crate::Variable;
        let mut g = Generator::new(9);
        let cp = g.standard_normal(&[4, 3], DType::F32).unwrap();
        let x = g.standard_normal(&[3, 12], DType::F32).unwrap();
        let run = |kernels: bool| {
            FORCE_KERNELS.with(|f| f.set(kernels));
            let (c0, xv) = (Variable::new(cp.clone()), Variable::new(x.clone()));
            let (c, h) = F::lstm(&c0, &xv).unwrap();
            let loss = F::add(
                &F::sum(&F::mul(&c, &c).unwrap(), None, false).unwrap(),
                &F::sum(&h, None, false).unwrap(),
            )
            .unwrap();
            loss.backward().unwrap();
            FORCE_KERNELS.with(|f| f.set(false));
            let v = |a: Array| a.to_vec::<f32>().unwrap();
            (
                v(c.array()),
                v(h.array()),
                v(c0.grad().unwrap()),
                v(xv.grad().unwrap()),
            )
        };
        let (want, got) = (run(false), run(true));
        for (what, a, b) in [
            ("c", &got.0, &want.0),
            ("h", &got.1, &want.1),
            ("gc_prev", &got.2, &want.2),
            ("gx", &got.3, &want.3),
        ] {
            assert_eq!(a.len(), b.len(), "{what}");
            for (k, (p, q)) in a.iter().zip(b.iter()).enumerate() {
                assert!(
                    (p - q).abs() <= 1e-5 * (1.0 + q.abs()),
                    "{what}[{k}]: kernels {p}, CPU loops {q}"
                );
            }
        }
    }
}
