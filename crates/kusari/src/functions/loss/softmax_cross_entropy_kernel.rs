//! `softmax_cross_entropy` as user kernels (`ElementwiseKernel`), for arrays
//! on a CUDA device, where its CPU loops cannot run: one pass per (sample,
//! position) forward giving the loss and the log-sum-exp, one pass per
//! element backward. Plain C, so the CPU interpreter runs the same
//! definitions in the tests (against the CPU loops) and
//! `scripts/check-cuda-kernels` compiles them with NVRTC (`functions/kernels.rs`).
//!
//! `x` is contiguous `(n, c, r)`; position `i` of the forward is `(i / r, i % r)`.

use crate::array::{Array, ElementwiseKernel, KernelArg, Result};
use crate::functions::kernels::{cached, KernelDef};
use std::sync::OnceLock;

/// (name, in_params, out_params, operation) of the forward kernel: the
/// per-position loss (0 where ignored) and log-sum-exp. `w` holds the class
/// weights when `has_w`, else one unused element.
pub(crate) const FORWARD: KernelDef = (
    "kusari_sce_fwd",
    "int64 t, raw T x, raw T w, int64 nc, int64 r, int64 ignore, float64 eps, int64 has_w",
    "T loss, T lse",
    "long long n = i / r;
     long long base = n * nc * r + (i - n * r);
     T m = x[base];
     for (long long k = 1; k < nc; ++k) { T v = x[base + k * r]; m = v > m ? v : m; }
     T s = 0;
     T total = 0;
     for (long long k = 0; k < nc; ++k) { T v = x[base + k * r]; s += exp(v - m); total += v; }
     lse = m + log(s);
     if (t == ignore) {
         loss = 0;
     } else {
         T nll = lse - x[base + t * r];
         if (eps != 0) nll = (1 - (T)eps) * nll + (T)eps * (lse - total / (T)nc);
         loss = has_w ? nll * w[t] : nll;
     }",
);

/// (name, in_params, out_params, operation) of the backward kernel, over
/// every element of `x` (`(n, c, r)` with `lse`, `t` and `scale` broadcast
/// along the class axis): `(softmax - target) * scale`, 0 where ignored.
pub(crate) const BACKWARD: KernelDef = (
    "kusari_sce_bwd",
    "T x, T lse, int64 t, T scale, int64 nc, int64 r, int64 ignore, float64 eps",
    "T gx",
    "long long k = (i / r) % nc;
     if (t == ignore) {
         gx = 0;
     } else {
         T target = (T)(eps / (double)nc) + (k == t ? (T)(1 - eps) : (T)0);
         gx = (exp(x - lse) - target) * scale;
     }",
);

/// `(n, c, r)` of `x`'s shape.
fn dims(shape: &[usize]) -> (usize, usize, usize) {
    (shape[0], shape[1], shape[2..].iter().product())
}

/// Per-position loss and log-sum-exp, each of shape `(n, r)`, for a
/// contiguous `x` of `dtype` and int64 labels `t` of shape `(n, r)` on `x`'s
/// device; `w` the class weights (in `dtype`) or `None`.
pub(crate) fn forward(
    x: &Array,
    t: &Array,
    w: Option<&Array>,
    ignore: i64,
    eps: f64,
) -> Result<(Array, Array)> {
    static K: OnceLock<ElementwiseKernel> = OnceLock::new();
    let (_, c, r) = dims(x.shape());
    let has_w = w.is_some() as i64;
    let unused;
    let w = match w {
        Some(w) => w,
        None => {
            unused = Array::zeros_on(&[1], x.dtype(), x.device())?;
            &unused
        }
    };
    let mut out = cached(&K, FORWARD).call_multi(&[
        KernelArg::from(t),
        KernelArg::from(x),
        KernelArg::from(w),
        KernelArg::from(c as i64),
        KernelArg::from(r as i64),
        KernelArg::from(ignore),
        KernelArg::from(eps),
        KernelArg::from(has_w),
    ])?;
    let lse = out.pop().expect("two outputs");
    let loss = out.pop().expect("two outputs");
    Ok((loss, lse))
}

/// `gx` for a contiguous `x` `(n, c, r...)`, the forward's `lse` and the
/// labels `t` (both `(n, r)`), and `scale` `(n, r)` (output gradient ×
/// normalisation × class weight of the label).
pub(crate) fn backward(
    x: &Array,
    lse: &Array,
    t: &Array,
    scale: &Array,
    ignore: i64,
    eps: f64,
) -> Result<Array> {
    static K: OnceLock<ElementwiseKernel> = OnceLock::new();
    let (n, c, r) = dims(x.shape());
    // (n, 1, r): broadcast along the class axis of x viewed as (n, c, r).
    let per = |a: &Array| a.reshape_to(&[n, 1, r]);
    let x3 = x.reshape_to(&[n, c, r])?;
    let gx = cached(&K, BACKWARD).call(&[
        KernelArg::from(&x3),
        KernelArg::from(&per(lse)?),
        KernelArg::from(&per(t)?),
        KernelArg::from(&per(scale)?),
        KernelArg::from(c as i64),
        KernelArg::from(r as i64),
        KernelArg::from(ignore),
        KernelArg::from(eps),
    ])?;
    gx.reshape_to(x.shape())
}

#[cfg(test)]
mod tests {
    use crate::array::ops::random::Generator;
    use crate::array::{Array, DType};
    use crate::functions::{self as F, Reduce, SoftmaxCrossEntropyOptions, FORCE_KERNELS};
    use crate::Variable;

    /// Value and gradient of `softmax_cross_entropy_with` on the CPU loops,
    /// or through the kernels (run by the CPU interpreter) when `kernels`.
    fn run(
        x: &Array,
        t: &Array,
        o: &SoftmaxCrossEntropyOptions,
        gy: &Array,
        kernels: bool,
    ) -> (Vec<f64>, Vec<f64>) {
        FORCE_KERNELS.with(|f| f.set(kernels));
        let xv = Variable::new(x.clone());
        let y = F::softmax_cross_entropy_with(&xv, &Variable::constant(t.clone()), o).unwrap();
        y.set_grad(Some(gy.clone()));
        y.backward().unwrap();
        FORCE_KERNELS.with(|f| f.set(false));
        let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        (v(&y.array()), v(&xv.grad().unwrap()))
    }

    /// The kernel path equals the CPU loops: 2-D and 3-D inputs, ignored
    /// labels, class weights, label smoothing, both reductions, normalize
    /// either way, strided `x`, float32 and float64.
    #[test]
    fn kernels_match_the_cpu_loops() {
        let mut g = Generator::new(11);
        for dtype in [DType::F64, DType::F32] {
            let x2 = g
                .standard_normal(&[6, 10], dtype)
                .unwrap()
                .t()
                .ascontiguousarray()
                .unwrap()
                .t()
                .slice(&crate::array::s![..5])
                .unwrap();
            let t2 = Array::from_vec(vec![3i64, -1, 0, 2, 4], &[5])
                .unwrap()
                .astype(DType::I32)
                .unwrap();
            let x3 = g.standard_normal(&[2, 4, 3], dtype).unwrap();
            let t3 = Array::from_vec(vec![0i64, 3, -1, 1, 2, 2], &[2, 3]).unwrap();
            let w = Array::from_vec(
                vec![0.5, 1.0, 2.0, 1.5, 0.2, 1.1, 0.3, 0.9, 1.2, 0.7],
                &[10],
            )
            .unwrap()
            .astype(dtype)
            .unwrap();
            let cases = [
                (Reduce::Mean, true, None, 0.0),
                (Reduce::Mean, false, Some(w.clone()), 0.0),
                (Reduce::No, true, Some(w.clone()), 0.1),
                (Reduce::Mean, true, None, 0.2),
            ];
            for (reduce, normalize, class_weight, smooth) in cases {
                for (x, t) in [(&x2, &t2), (&x3, &t3)] {
                    let class_weight = if x.ndim() == 3 {
                        None
                    } else {
                        class_weight.clone()
                    };
                    let o = SoftmaxCrossEntropyOptions {
                        reduce,
                        normalize,
                        class_weight,
                        label_smoothing: smooth,
                        ..Default::default()
                    };
                    let yshape: Vec<usize> = if reduce == Reduce::Mean {
                        vec![]
                    } else {
                        [&x.shape()[..1], &x.shape()[2..]].concat()
                    };
                    let gy = g.standard_normal(&yshape, dtype).unwrap();
                    let (want_y, want_g) = run(x, t, &o, &gy, false);
                    let (got_y, got_g) = run(x, t, &o, &gy, true);
                    let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
                    for (what, a, b) in [("loss", &got_y, &want_y), ("gx", &got_g, &want_g)] {
                        assert_eq!(a.len(), b.len());
                        for (k, (p, q)) in a.iter().zip(b.iter()).enumerate() {
                            assert!(
                                (p - q).abs() <= tol * (1.0 + q.abs()),
                                "{what}[{k}] {dtype} {reduce:?} {normalize} {smooth} ndim {}: kernels {p}, CPU loops {q}",
                                x.ndim()
                            );
                        }
                    }
                }
            }
        }
    }
}
