//! The CPU's strided iteration engine: every elementwise loop, copy and cast
//! runs through [`for_each_run`]. It drops unit axes, orders axes by the
//! memory order of one operand (NumPy's K order), merges axes that are
//! contiguous across all operands into one, and splits large iteration
//! spaces across rayon's threads. The typed work happens in an `inner`
//! callback that sees one run of `len` elements at fixed byte strides, so
//! contiguous runs become plain slice loops the compiler vectorizes.

use super::simd;
use smallvec::SmallVec;

/// Below this many elements a loop stays on the calling thread: spawning
/// costs more than it saves.
pub(crate) const PARALLEL_THRESHOLD: usize = 1 << 15;

type Dims = SmallVec<[usize; 6]>;
type Steps = SmallVec<[isize; 6]>;

/// Raw pointers that may cross to rayon's workers.
#[derive(Clone, Copy)]
pub(crate) struct SendPtrs<const N: usize>(pub [*mut u8; N]);
// SAFETY: the pointers address array buffers that outlive the parallel loop;
// workers write disjoint output elements.
unsafe impl<const N: usize> Send for SendPtrs<N> {}
unsafe impl<const N: usize> Sync for SendPtrs<N> {}

impl<const N: usize> SendPtrs<N> {
    /// The pointers (a method, so closures capture the `Sync` wrapper, not the raw array).
    pub(crate) fn get(&self) -> [*mut u8; N] {
        self.0
    }
}

/// Calls `inner(ptrs, len, strides)` over every run of the iteration space
/// `shape`, where operand `k` starts at `ptrs[k]` and steps `strides[k][axis]`
/// bytes along each axis. Axes are visited in the memory order of operand
/// `order_by` (usually the output).
///
/// # Safety
/// Every address reached must be valid for the operand's element type, and
/// output operands must not overlap inputs in a way that changes results.
pub(crate) unsafe fn for_each_run<const N: usize>(
    shape: &[usize],
    strides: [&[isize]; N],
    ptrs: [*mut u8; N],
    order_by: usize,
    inner: &(dyn Fn([*mut u8; N], usize, [isize; N]) + Sync),
) {
    if shape.contains(&0) {
        return;
    }
    // One small axis (the flat loops of same-layout operands): nothing to order or merge.
    if shape.len() == 1 && shape[0] < PARALLEL_THRESHOLD {
        inner(ptrs, shape[0], std::array::from_fn(|k| strides[k][0]));
        return;
    }
    // Drop unit axes, then order the rest from the largest stride to the smallest.
    let mut axes: SmallVec<[usize; 6]> = (0..shape.len()).filter(|&i| shape[i] != 1).collect();
    let key = strides[order_by];
    axes.sort_by(|&a, &b| key[b].unsigned_abs().cmp(&key[a].unsigned_abs()));
    let mut dims: Dims = SmallVec::new();
    let mut steps: [Steps; N] = std::array::from_fn(|_| SmallVec::new());
    for &ax in &axes {
        let mergeable = !dims.is_empty()
            && (0..N).all(|k| {
                let last = steps[k].len() - 1;
                steps[k][last] == strides[k][ax] * shape[ax] as isize
            });
        if mergeable {
            let last = dims.len() - 1;
            dims[last] *= shape[ax];
            for k in 0..N {
                let l = steps[k].len() - 1;
                steps[k][l] = strides[k][ax];
            }
        } else {
            dims.push(shape[ax]);
            for k in 0..N {
                steps[k].push(strides[k][ax]);
            }
        }
    }
    if dims.is_empty() {
        dims.push(1);
        for s in steps.iter_mut() {
            s.push(0);
        }
    }
    let total: usize = dims.iter().product();
    let threads = rayon::current_num_threads();
    if total < PARALLEL_THRESHOLD || threads <= 1 {
        run_range(&dims, &steps, ptrs, 0, total, inner);
        return;
    }
    let chunks = (threads * 4).min(total / (PARALLEL_THRESHOLD / 4)).max(1);
    let per = total.div_ceil(chunks);
    let base = SendPtrs(ptrs);
    use rayon::prelude::*;
    (0..chunks).into_par_iter().for_each(|c| {
        let start = c * per;
        let end = (start + per).min(total);
        if start < end {
            let b = base;
            // SAFETY: forwarded from the caller; chunks cover disjoint index ranges.
            unsafe { run_range(&dims, &steps, b.0, start, end, inner) };
        }
    });
}

unsafe fn run_range<const N: usize>(
    dims: &[usize],
    steps: &[Steps; N],
    base: [*mut u8; N],
    start: usize,
    end: usize,
    inner: &(dyn Fn([*mut u8; N], usize, [isize; N]) + Sync),
) {
    let nd = dims.len();
    let last = nd - 1;
    let inner_len = dims[last];
    // Multi-index of `start`, innermost last.
    let mut idx: Dims = SmallVec::from_elem(0, nd);
    let mut rem = start;
    for d in (0..nd).rev() {
        idx[d] = rem % dims[d];
        rem /= dims[d];
    }
    let mut ptrs = base;
    for k in 0..N {
        let mut off = 0isize;
        for d in 0..nd {
            off += idx[d] as isize * steps[k][d];
        }
        ptrs[k] = base[k].offset(off);
    }
    let inner_steps: [isize; N] = std::array::from_fn(|k| steps[k][last]);
    let mut pos = start;
    while pos < end {
        let len = (inner_len - idx[last]).min(end - pos);
        inner(ptrs, len, inner_steps);
        pos += len;
        idx[last] += len;
        for k in 0..N {
            ptrs[k] = ptrs[k].offset(len as isize * inner_steps[k]);
        }
        // Carry into the outer axes.
        let mut d = last;
        while idx[d] == dims[d] && d > 0 {
            for k in 0..N {
                ptrs[k] = ptrs[k].offset(-(dims[d] as isize) * steps[k][d] + steps[k][d - 1]);
            }
            idx[d] = 0;
            idx[d - 1] += 1;
            d -= 1;
        }
    }
}

/// Element strides scaled to byte strides.
fn byte_steps(strides: &[isize], size: isize) -> Steps {
    let mut s = Steps::from_slice(strides);
    for x in s.iter_mut() {
        *x *= size;
    }
    s
}

/// Applies `f` elementwise from operand `a` (type `A`) into `out` (type `O`).
///
/// # Safety
/// The pointers and element strides must describe valid arrays of `shape`.
pub(crate) unsafe fn map1<A: Copy, O: Copy>(
    shape: &[usize],
    a: (*const u8, &[isize]),
    out: (*mut u8, &[isize]),
    f: impl Fn(A) -> O + Sync,
) {
    let sa = std::mem::size_of::<A>() as isize;
    let so = std::mem::size_of::<O>() as isize;
    let bs_a = byte_steps(a.1, sa);
    let bs_o = byte_steps(out.1, so);
    for_each_run(
        shape,
        [&bs_o, &bs_a],
        [out.0, a.0 as *mut u8],
        0,
        &|p, n, s| {
            let (po, pa) = (p[0] as *mut O, p[1] as *const A);
            if s[0] == so && s[1] == sa {
                let o = std::slice::from_raw_parts_mut(po, n);
                let x = std::slice::from_raw_parts(pa, n);
                simd::unary_contig(o, x, &f);
            } else if s[0] == so && s[1] == 0 {
                let v = f(*pa);
                std::slice::from_raw_parts_mut(po, n).fill(v);
            } else {
                for i in 0..n as isize {
                    *po.byte_offset(i * s[0]) = f(*pa.byte_offset(i * s[1]));
                }
            }
        },
    );
}

/// Applies `f` elementwise from operands `a`, `b` into `out`.
///
/// # Safety
/// The pointers and element strides must describe valid arrays of `shape`.
pub(crate) unsafe fn map2<A: Copy, B: Copy, O: Copy>(
    shape: &[usize],
    a: (*const u8, &[isize]),
    b: (*const u8, &[isize]),
    out: (*mut u8, &[isize]),
    f: impl Fn(A, B) -> O + Sync,
) {
    let sa = std::mem::size_of::<A>() as isize;
    let sb = std::mem::size_of::<B>() as isize;
    let so = std::mem::size_of::<O>() as isize;
    let bs_a = byte_steps(a.1, sa);
    let bs_b = byte_steps(b.1, sb);
    let bs_o = byte_steps(out.1, so);
    for_each_run(
        shape,
        [&bs_o, &bs_a, &bs_b],
        [out.0, a.0 as *mut u8, b.0 as *mut u8],
        0,
        &|p, n, s| {
            let (po, pa, pb) = (p[0] as *mut O, p[1] as *const A, p[2] as *const B);
            if s[0] == so && s[1] == sa && s[2] == sb {
                let o = std::slice::from_raw_parts_mut(po, n);
                let x = std::slice::from_raw_parts(pa, n);
                let y = std::slice::from_raw_parts(pb, n);
                simd::binary_contig(o, x, y, &f);
            } else if s[0] == so && s[1] == sa && s[2] == 0 {
                let o = std::slice::from_raw_parts_mut(po, n);
                let x = std::slice::from_raw_parts(pa, n);
                simd::binary_contig_scalar_right(o, x, *pb, &f);
            } else if s[0] == so && s[1] == 0 && s[2] == sb {
                let o = std::slice::from_raw_parts_mut(po, n);
                let y = std::slice::from_raw_parts(pb, n);
                simd::binary_contig_scalar_left(o, *pa, y, &f);
            } else {
                for i in 0..n as isize {
                    *po.byte_offset(i * s[0]) =
                        f(*pa.byte_offset(i * s[1]), *pb.byte_offset(i * s[2]));
                }
            }
        },
    );
}

/// Applies `f` elementwise from three operands into `out` (used by `where` and `clip`).
///
/// # Safety
/// The pointers and element strides must describe valid arrays of `shape`.
pub(crate) unsafe fn map3<A: Copy, B: Copy, C: Copy, O: Copy>(
    shape: &[usize],
    a: (*const u8, &[isize]),
    b: (*const u8, &[isize]),
    c: (*const u8, &[isize]),
    out: (*mut u8, &[isize]),
    f: impl Fn(A, B, C) -> O + Sync,
) {
    let (sa, sb, sc, so) = (
        std::mem::size_of::<A>() as isize,
        std::mem::size_of::<B>() as isize,
        std::mem::size_of::<C>() as isize,
        std::mem::size_of::<O>() as isize,
    );
    let bs_a = byte_steps(a.1, sa);
    let bs_b = byte_steps(b.1, sb);
    let bs_c = byte_steps(c.1, sc);
    let bs_o = byte_steps(out.1, so);
    for_each_run(
        shape,
        [&bs_o, &bs_a, &bs_b, &bs_c],
        [out.0, a.0 as *mut u8, b.0 as *mut u8, c.0 as *mut u8],
        0,
        &|p, n, s| {
            let (po, pa, pb, pc) = (
                p[0] as *mut O,
                p[1] as *const A,
                p[2] as *const B,
                p[3] as *const C,
            );
            for i in 0..n as isize {
                *po.byte_offset(i * s[0]) = f(
                    *pa.byte_offset(i * s[1]),
                    *pb.byte_offset(i * s[2]),
                    *pc.byte_offset(i * s[3]),
                );
            }
        },
    );
}
