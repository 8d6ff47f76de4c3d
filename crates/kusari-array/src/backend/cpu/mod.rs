//! The CPU backend: threaded strided loops, reductions, gemm-based matmul.

pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod simd;
pub(crate) mod strided;

use crate::{Array, Element, Result};
use strided::map1;

/// Same-size bit patterns, so a same-dtype copy needs one instantiation per itemsize.
fn copy_raw<T: Copy + Send + Sync>(src: &Array, out: &OutView<'_>) {
    // SAFETY: `src` was broadcast to the output's shape; both live on the host.
    unsafe {
        map1::<T, T>(
            out.shape,
            (src.host_ptr(), src.strides()),
            (out.ptr, out.strides),
            |x| x,
        )
    };
}

pub(crate) fn copy_cast(src: &Array, dst: &mut Array) -> Result<()> {
    copy_cast_into(src, OutView::of(dst)?)
}

/// Copies `src` (broadcast to the output's shape) into `out`, casting as needed.
pub(crate) fn copy_cast_into(src: &Array, out: OutView<'_>) -> Result<()> {
    if src.dtype() == out.dtype {
        match src.itemsize() {
            1 => copy_raw::<u8>(src, &out),
            2 => copy_raw::<u16>(src, &out),
            4 => copy_raw::<u32>(src, &out),
            _ => copy_raw::<u64>(src, &out),
        }
        return Ok(());
    }
    crate::dispatch_all!(src.dtype(), A => crate::dispatch_all!(out.dtype, B => {
        // SAFETY: as above; dtypes match the element types.
        unsafe { map1::<A, B>(out.shape, (src.host_ptr(), src.strides()), (out.ptr, out.strides), |x: A| x.cast::<B>()) };
    }));
    Ok(())
}

/// `out[o, j, :] = src[o, rows[j], :]` for C-contiguous `src` of shape `(outer, n, inner)`
/// and C-contiguous `out` of shape `(outer, rows.len(), inner)`.
pub(crate) fn gather_rows(
    src: &Array,
    outer: usize,
    n: usize,
    inner: usize,
    rows: &[usize],
    out: OutView<'_>,
) {
    let item = src.itemsize();
    let row_bytes = inner * item;
    let m = rows.len();
    let (sp, op) = (
        strided::SendPtrs([src.host_ptr() as *mut u8]),
        strided::SendPtrs([out.ptr]),
    );
    let body = |t: usize| {
        let (o, j) = (t / m, t % m);
        let (sp, op) = (sp, op);
        // SAFETY: indices were bounds-checked by the caller; rows do not overlap in `out`.
        unsafe {
            std::ptr::copy_nonoverlapping(
                sp.0[0].add((o * n + rows[j]) * row_bytes),
                op.0[0].add((o * m + j) * row_bytes),
                row_bytes,
            );
        }
    };
    if outer * m * row_bytes >= strided::PARALLEL_THRESHOLD * 8 {
        use rayon::prelude::*;
        (0..outer * m).into_par_iter().for_each(body);
    } else {
        (0..outer * m).for_each(body);
    }
}

/// `out[o, rows[j], :] += vals[o, j, :]`, sequentially so repeated rows accumulate.
pub(crate) fn scatter_add_rows(
    vals: &Array,
    outer: usize,
    n: usize,
    inner: usize,
    rows: &[usize],
    out: OutView<'_>,
) {
    use elementwise::{dispatch_num, Num};
    let m = rows.len();
    dispatch_num!(out.dtype, T => {
        let (vp, op) = (vals.host_ptr() as *const T, out.ptr as *mut T);
        for o in 0..outer {
            for (j, &r) in rows.iter().enumerate() {
                // SAFETY: bounds checked by the caller; `out` is unique and C-contiguous.
                unsafe {
                    let dst = std::slice::from_raw_parts_mut(op.add((o * n + r) * inner), inner);
                    let src = std::slice::from_raw_parts(vp.add((o * m + j) * inner), inner);
                    for (d, &s) in dst.iter_mut().zip(src) { *d = Num::add(*d, s); }
                }
            }
        }
    });
}

/// `out.flat[k] = src.storage[offsets[k]]` (element offsets relative to `src`'s first element).
pub(crate) fn gather_offsets(src: &Array, offsets: &[isize], out: OutView<'_>) {
    fn go<T: Copy>(src: *const u8, offsets: &[isize], out: *mut u8) {
        let (s, o) = (src as *const T, out as *mut T);
        for (k, &off) in offsets.iter().enumerate() {
            // SAFETY: offsets were computed from bounds-checked indices.
            unsafe { *o.add(k) = *s.offset(off) };
        }
    }
    match src.itemsize() {
        1 => go::<u8>(src.host_ptr(), offsets, out.ptr),
        2 => go::<u16>(src.host_ptr(), offsets, out.ptr),
        4 => go::<u32>(src.host_ptr(), offsets, out.ptr),
        _ => go::<u64>(src.host_ptr(), offsets, out.ptr),
    }
}

/// What a kernel reads: the host address of an input's first element and its
/// strides (already broadcast to the output's shape). Usually an array; a
/// scalar on the caller's stack with zero strides works too.
pub(crate) struct InView<'a> {
    pub ptr: *const u8,
    pub strides: &'a [isize],
}

impl<'a> InView<'a> {
    pub(crate) fn of(a: &'a Array) -> InView<'a> {
        InView {
            ptr: a.host_ptr(),
            strides: a.strides(),
        }
    }
}

/// Where a kernel writes: the host address of an output's first element and
/// its layout. Built from `&mut Array` (which makes the storage unique), or,
/// for in-place updates that read and write the same elements, from an
/// array whose storage the caller has already made unique.
pub(crate) struct OutView<'a> {
    pub ptr: *mut u8,
    pub dtype: crate::DType,
    pub shape: &'a [usize],
    pub strides: &'a [isize],
}

impl<'a> OutView<'a> {
    pub(crate) fn of(out: &'a mut Array) -> Result<OutView<'a>> {
        let ptr = out.host_ptr_mut()?;
        Ok(OutView {
            ptr,
            dtype: out.dtype(),
            shape: out.shape(),
            strides: out.strides(),
        })
    }

    /// # Safety
    /// The caller must have made `out`'s storage unique (or know that every
    /// other sharer reads exactly the element being written, as `a += b` does).
    pub(crate) unsafe fn aliased(out: &'a Array) -> OutView<'a> {
        OutView {
            ptr: out.host_ptr() as *mut u8,
            dtype: out.dtype(),
            shape: out.shape(),
            strides: out.strides(),
        }
    }
}
