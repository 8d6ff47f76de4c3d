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
    let one = |b: usize, threads: usize| {
        let [l, r, o] = ptrs.get();
        let (l, r, o) = (l as *const T, r as *const T, o as *mut T);
        gemm_threaded(
            Dims {
                m: p.m,
                n: p.n,
                k: p.k,
            },
            StridedMut {
                ptr: o.offset(p.out_offsets[b]),
                rs: p.out_strides.0,
                cs: p.out_strides.1,
            },
            None,
            Strided {
                ptr: l.offset(p.lhs_offsets[b]),
                rs: p.lhs_strides.0,
                cs: p.lhs_strides.1,
            },
            Strided {
                ptr: r.offset(p.rhs_offsets[b]),
                rs: p.rhs_strides.0,
                cs: p.rhs_strides.1,
            },
            one_of::<T>(),
            threads,
        );
    };
    if batch >= threads && batch > 1 && flops < 1 << 21 {
        // Many small products: one per task, each single-threaded.
        (0..batch).into_par_iter().for_each(|b| one(b, 1));
    } else {
        for b in 0..batch {
            one(b, threads);
        }
    }
}

/// The sizes of one product `dst (m×n) = lhs (m×k) @ rhs (k×n)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

/// A read-only matrix: its first element and (row, column) strides in elements.
#[derive(Clone, Copy)]
pub(crate) struct Strided<T> {
    pub ptr: *const T,
    pub rs: isize,
    pub cs: isize,
}

/// A written matrix, as [`Strided`].
#[derive(Clone, Copy)]
pub(crate) struct StridedMut<T> {
    pub ptr: *mut T,
    pub rs: isize,
    pub cs: isize,
}

// SAFETY: the matrices are only shared with tasks that read them or write
// disjoint blocks of the output (see `gemm_threaded`).
unsafe impl<T> Send for Strided<T> {}
unsafe impl<T> Sync for Strided<T> {}
unsafe impl<T> Send for StridedMut<T> {}
unsafe impl<T> Sync for StridedMut<T> {}

impl<T> Strided<T> {
    /// The element at (`r`, `c`). A method rather than field access, so
    /// closures capture the whole (Sync) matrix, not its raw pointer.
    ///
    /// # Safety
    /// (`r`, `c`) must lie within the matrix.
    unsafe fn at(self, r: isize, c: isize) -> *const T {
        self.ptr.offset(r * self.rs + c * self.cs)
    }
}

impl<T> StridedMut<T> {
    /// As [`Strided::at`].
    ///
    /// # Safety
    /// (`r`, `c`) must lie within the matrix.
    unsafe fn at(self, r: isize, c: isize) -> *mut T {
        self.ptr.offset(r * self.rs + c * self.cs)
    }
}

/// Below this many multiply-adds one thread does the whole product: waking
/// another costs more than it saves.
const MIN_SPLIT_FLOPS: usize = 1 << 15;

/// `dst = alpha * dst + lhs @ rhs` (`alpha = None`: `dst = lhs @ rhs`) on up
/// to `threads` threads.
///
/// The output is cut into one block of columns (or rows, when it is taller
/// than wide) per thread and each block is a single-threaded `gemm` call.
/// Measured on the 2-core development machine (`docs/BENCHMARKS.md`), this
/// is up to twice as fast as `gemm`'s own `Parallelism::Rayon` on the skinny
/// products of a training step (100×784 @ 784×1000: 1.34 → 0.71 ms;
/// 100×1000 @ 1000×1000: 1.54 → 0.75 ms) and as fast on square ones, because
/// each thread packs and streams only its own block of one operand.
///
/// # Safety
/// Every pointer and stride must address valid elements; `dst` must not
/// overlap `lhs` or `rhs`.
pub(crate) unsafe fn gemm_threaded<T: 'static + Copy + Send + Sync>(
    d: Dims,
    dst: StridedMut<T>,
    alpha: Option<T>,
    lhs: Strided<T>,
    rhs: Strided<T>,
    one: T,
    threads: usize,
) {
    let Dims { m, n, k } = d;
    if m == 0 || n == 0 {
        return;
    }
    let call = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
        let (r0, c0) = (rows.start as isize, cols.start as isize);
        gemm::gemm(
            rows.len(),
            cols.len(),
            k,
            dst.at(r0, c0),
            dst.cs,
            dst.rs,
            alpha.is_some(),
            lhs.at(r0, 0),
            lhs.cs,
            lhs.rs,
            rhs.at(0, c0),
            rhs.cs,
            rhs.rs,
            alpha.unwrap_or(one),
            one,
            false,
            false,
            false,
            Parallelism::None,
        );
    };
    let parts = if m * n * k < MIN_SPLIT_FLOPS {
        1
    } else {
        threads.min(m.max(n).div_ceil(16)).max(1)
    };
    if parts == 1 {
        call(0..m, 0..n);
        return;
    }
    // Blocks are multiples of 16 elements so every block but the last fills
    // whole AVX-512 registers.
    let split_cols = n >= m;
    let len = if split_cols { n } else { m };
    let block = len.div_ceil(parts).div_ceil(16) * 16;
    (0..parts).into_par_iter().for_each(|i| {
        let lo = (i * block).min(len);
        let hi = ((i + 1) * block).min(len);
        if lo < hi {
            if split_cols {
                call(0..m, lo..hi);
            } else {
                call(lo..hi, 0..n);
            }
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every split (by columns, by rows, uneven last blocks, more threads
    /// than blocks) gives the plain triple loop's result, with and without
    /// accumulation into `dst`, on transposed operands too.
    #[test]
    fn threaded_gemm_matches_the_triple_loop() {
        for &(m, n, k) in &[
            (37usize, 300usize, 53usize),
            (301, 35, 40),
            (5, 17, 3),
            (64, 64, 64),
        ] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 17) % 7) as f64 - 3.0).collect();
            let init: Vec<f64> = (0..m * n).map(|i| (i % 3) as f64).collect();
            for threads in [1, 2, 3, 8] {
                for accumulate in [false, true] {
                    for b_transposed in [false, true] {
                        // b stored as (k, n) row-major, or as (n, k) row-major read transposed.
                        let (bs, b_rs, b_cs) = if b_transposed {
                            let mut t = vec![0.0; k * n];
                            for r in 0..k {
                                for c in 0..n {
                                    t[c * k + r] = b[r * n + c];
                                }
                            }
                            (t, 1, k as isize)
                        } else {
                            (b.clone(), n as isize, 1)
                        };
                        let mut dst = init.clone();
                        // SAFETY: all three matrices are valid for their strides.
                        unsafe {
                            gemm_threaded(
                                Dims { m, n, k },
                                StridedMut {
                                    ptr: dst.as_mut_ptr(),
                                    rs: n as isize,
                                    cs: 1,
                                },
                                accumulate.then_some(1.0),
                                Strided {
                                    ptr: a.as_ptr(),
                                    rs: k as isize,
                                    cs: 1,
                                },
                                Strided {
                                    ptr: bs.as_ptr(),
                                    rs: b_rs,
                                    cs: b_cs,
                                },
                                1.0,
                                threads,
                            )
                        };
                        for i in 0..m {
                            for j in 0..n {
                                let mut want = if accumulate { init[i * n + j] } else { 0.0 };
                                for t in 0..k {
                                    want += a[i * k + t] * b[t * n + j];
                                }
                                assert_eq!(
                                    dst[i * n + j],
                                    want,
                                    "{m}x{n}x{k}, {threads} threads, accumulate {accumulate}, at ({i}, {j})"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
