//! Matrix products on the CPU: `gemm` (multi-threaded, any strides) for
//! `f32`/`f64`; a plain loop accumulating in `i64` for integers.

use super::strided::SendPtrs;
use gemm::Parallelism;
use rayon::prelude::*;

/// One batched product: `out[b] = lhs[b] @ rhs[b]` for `batch` entries whose
/// element offsets are given, with per-matrix (row, column) strides in elements.
pub(crate) struct GemmPlan<'a> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub lhs_offsets: &'a [isize],
    pub rhs_offsets: &'a [isize],
    pub out_offsets: &'a [isize],
    pub lhs_strides: (isize, isize),
    pub rhs_strides: (isize, isize),
    pub out_strides: (isize, isize),
}

/// Runs the plan for float type `T` (`f32` or `f64`).
///
/// # Safety
/// Every offset and stride must address valid elements of the given buffers;
/// output matrices must not overlap each other or the inputs.
pub(crate) unsafe fn gemm_float<T: 'static + Copy + Send + Sync + Default>(
    p: &GemmPlan<'_>,
    lhs: *const T,
    rhs: *const T,
    out: *mut T,
) {
    let flops = p.m * p.n * p.k;
    let threads = rayon::current_num_threads();
    let batch = p.out_offsets.len();
    let ptrs = SendPtrs([lhs as *mut u8, rhs as *mut u8, out as *mut u8]);
    let one = |b: usize, par: Parallelism| {
        let [l, r, o] = ptrs.get();
        let (l, r, o) = (l as *const T, r as *const T, o as *mut T);
        let one_t: T = one_of::<T>();
        let zero_t: T = T::default();
        gemm::gemm(
            p.m,
            p.n,
            p.k,
            o.offset(p.out_offsets[b]),
            p.out_strides.1,
            p.out_strides.0,
            false,
            l.offset(p.lhs_offsets[b]),
            p.lhs_strides.1,
            p.lhs_strides.0,
            r.offset(p.rhs_offsets[b]),
            p.rhs_strides.1,
            p.rhs_strides.0,
            zero_t,
            one_t,
            false,
            false,
            false,
            par,
        );
    };
    if batch >= threads && batch > 1 && flops < 1 << 21 {
        // Many small products: one per task, each single-threaded.
        (0..batch)
            .into_par_iter()
            .for_each(|b| one(b, Parallelism::None));
    } else {
        let par = if flops >= 1 << 15 && threads > 1 {
            Parallelism::Rayon(threads)
        } else {
            Parallelism::None
        };
        for b in 0..batch {
            one(b, par);
        }
    }
}

fn one_of<T: 'static + Copy>() -> T {
    use std::any::Any;
    let v: Box<dyn Any> = if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
        Box::new(1.0f32)
    } else {
        Box::new(1.0f64)
    };
    *v.downcast::<T>()
        .expect("gemm_float is only used with f32 and f64")
}

/// Integer matmul accumulating in `i64` (wrapping), written to `out` as `i64`.
///
/// # Safety
/// As for [`gemm_float`].
pub(crate) unsafe fn gemm_i64(p: &GemmPlan<'_>, lhs: *const i64, rhs: *const i64, out: *mut i64) {
    for b in 0..p.out_offsets.len() {
        let (l, r, o) = (
            lhs.offset(p.lhs_offsets[b]),
            rhs.offset(p.rhs_offsets[b]),
            out.offset(p.out_offsets[b]),
        );
        for i in 0..p.m as isize {
            for j in 0..p.n as isize {
                let mut acc = 0i64;
                for t in 0..p.k as isize {
                    acc = acc.wrapping_add(
                        (*l.offset(i * p.lhs_strides.0 + t * p.lhs_strides.1))
                            .wrapping_mul(*r.offset(t * p.rhs_strides.0 + j * p.rhs_strides.1)),
                    );
                }
                *o.offset(i * p.out_strides.0 + j * p.out_strides.1) = acc;
            }
        }
    }
}
