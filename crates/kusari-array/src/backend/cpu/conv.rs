//! Loops behind convolution and pooling: the window geometry (which input
//! element each kernel tap of each output position reads), per-sample
//! im2col/col2im, and the gemm calls the convolutions are made of.
//!
//! Everything here works on C-contiguous host buffers of one float type;
//! `ops::conv` and `ops::pool` check shapes and pick the type.

use super::matmul::{gemm_threaded, Dims, Strided, StridedMut};

/// Float element of the convolution kernels (`f32` or `f64`).
pub(crate) trait ConvFloat:
    'static
    + Copy
    + Send
    + Sync
    + Default
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::AddAssign
    + std::ops::MulAssign
{
    const ZERO: Self;
    const ONE: Self;
    const NEG_INF: Self;
    fn from_f64(v: f64) -> Self;
}

impl ConvFloat for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INF: Self = f32::NEG_INFINITY;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl ConvFloat for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INF: Self = f64::NEG_INFINITY;
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Window geometry over the spatial axes: an input grid `inp`, an output
/// grid `out`, and per axis kernel size, stride, padding and dilation.
#[derive(Clone, Debug)]
pub(crate) struct Geo {
    pub inp: Vec<usize>,
    pub out: Vec<usize>,
    pub k: Vec<usize>,
    pub s: Vec<usize>,
    pub p: Vec<usize>,
    pub d: Vec<usize>,
}

/// The range of `o` in `0..n_out` with `0 <= o*s + off < n_in`.
fn valid_range(n_out: usize, s: usize, off: isize, n_in: usize) -> (usize, usize) {
    let s_i = s as isize;
    let lo = if off >= 0 {
        0
    } else {
        ((-off + s_i - 1) / s_i) as usize
    };
    let room = n_in as isize - off;
    let hi = if room <= 0 {
        0
    } else {
        (((room + s_i - 1) / s_i) as usize).min(n_out)
    };
    (lo.min(n_out), hi.max(lo).min(n_out))
}

impl Geo {
    pub fn in_size(&self) -> usize {
        self.inp.iter().product()
    }
    pub fn out_size(&self) -> usize {
        self.out.iter().product()
    }
    pub fn k_size(&self) -> usize {
        self.k.iter().product()
    }
    /// Whether the windows are the input itself (1-tap kernel, stride 1, no padding).
    pub fn is_identity(&self) -> bool {
        self.k_size() == 1
            && self.s.iter().all(|&s| s == 1)
            && self.p.iter().all(|&p| p == 0)
            && self.inp == self.out
    }

    /// For kernel tap `kidx` (row-major over `k`), calls `f(o, Some(i), len)`
    /// for each run of output positions `o..o+len` reading input positions
    /// `i, i+s, ...` (s = last-axis stride), and `f(o, None, len)` for runs
    /// that fall into the padding. Positions are flat, row-major.
    pub fn visit(&self, kidx: usize, mut f: impl FnMut(usize, Option<usize>, usize)) {
        let nd = self.k.len();
        let last = nd - 1;
        let mut kk = [0usize; 8];
        let mut rem = kidx;
        for a in (0..nd).rev() {
            kk[a] = rem % self.k[a];
            rem /= self.k[a];
        }
        let ol = self.out[last];
        let off_last = (kk[last] * self.d[last]) as isize - self.p[last] as isize;
        let (lo, hi) = valid_range(ol, self.s[last], off_last, self.inp[last]);
        let outer: usize = self.out[..last].iter().product();
        let mut oc = [0usize; 8];
        for oo in 0..outer {
            let mut ibase = 0usize;
            let mut ok = true;
            for a in 0..last {
                let i = (oc[a] * self.s[a] + kk[a] * self.d[a]) as isize - self.p[a] as isize;
                if i < 0 || i >= self.inp[a] as isize {
                    ok = false;
                    break;
                }
                ibase = ibase * self.inp[a] + i as usize;
            }
            let obase = oo * ol;
            if !ok || lo >= hi {
                f(obase, None, ol);
            } else {
                if lo > 0 {
                    f(obase, None, lo);
                }
                let i0 = ibase * self.inp[last]
                    + (lo as isize * self.s[last] as isize + off_last) as usize;
                f(obase + lo, Some(i0), hi - lo);
                if hi < ol {
                    f(obase + hi, None, ol - hi);
                }
            }
            for a in (0..last).rev() {
                oc[a] += 1;
                if oc[a] < self.out[a] {
                    break;
                }
                oc[a] = 0;
            }
        }
    }
}

/// `col[(c*K + kidx)*P + o] = x[c, window(o, kidx)]` (`pad_value` in the
/// padding) for `channels` planes of `x`.
pub(crate) fn im2col_one<T: ConvFloat>(
    x: &[T],
    channels: usize,
    g: &Geo,
    col: &mut [T],
    pad_value: T,
) {
    if g.k.len() == 2 {
        // SAFETY: plain slices; the dispatch picks a level this CPU has.
        return unsafe { im2col_2d(x, channels, g, col, pad_value) };
    }
    im2col_nd(x, channels, g, col, pad_value)
}

/// [`im2col_one`] for any number of spatial axes, through [`Geo::visit`].
fn im2col_nd<T: ConvFloat>(x: &[T], channels: usize, g: &Geo, col: &mut [T], pad_value: T) {
    let (isz, osz, ks) = (g.in_size(), g.out_size(), g.k_size());
    let s = *g.s.last().expect("at least one spatial axis");
    for c in 0..channels {
        let plane = &x[c * isz..(c + 1) * isz];
        for kidx in 0..ks {
            let row = &mut col[(c * ks + kidx) * osz..(c * ks + kidx + 1) * osz];
            g.visit(kidx, |o, i, len| {
                let dst = &mut row[o..o + len];
                match i {
                    None => dst.fill(pad_value),
                    Some(i) if s == 1 => dst.copy_from_slice(&plane[i..i + len]),
                    Some(i) => {
                        for (t, v) in dst.iter_mut().enumerate() {
                            *v = plane[i + t * s];
                        }
                    }
                }
            });
        }
    }
}

/// The adjoint of [`im2col_one`]: `x[c, window(o, kidx)] += col[(c*K + kidx)*P + o]`.
/// `x` must be initialised (usually zeros).
pub(crate) fn col2im_one<T: ConvFloat>(col: &[T], channels: usize, g: &Geo, x: &mut [T]) {
    if g.k.len() == 2 {
        // SAFETY: as above.
        return unsafe { col2im_2d(col, channels, g, x) };
    }
    col2im_nd(col, channels, g, x)
}

/// [`col2im_one`] for any number of spatial axes, through [`Geo::visit`].
fn col2im_nd<T: ConvFloat>(col: &[T], channels: usize, g: &Geo, x: &mut [T]) {
    let (isz, osz, ks) = (g.in_size(), g.out_size(), g.k_size());
    let s = *g.s.last().expect("at least one spatial axis");
    for c in 0..channels {
        let plane = &mut x[c * isz..(c + 1) * isz];
        for kidx in 0..ks {
            let row = (c * ks + kidx) * osz;
            g.visit(kidx, |o, i, len| {
                let Some(i) = i else { return };
                let src = &col[row + o..row + o + len];
                if s == 1 {
                    for (d, &v) in plane[i..i + len].iter_mut().zip(src) {
                        *d += v;
                    }
                } else {
                    for (t, &v) in src.iter().enumerate() {
                        plane[i + t * s] += v;
                    }
                }
            });
        }
    }
}

/// The 2-D geometry as plain numbers, and per kernel column `kx` the range of
/// output columns that read inside the input (`valid_range`).
struct Geo2 {
    ih: usize,
    iw: usize,
    oh: usize,
    ow: usize,
    kh: usize,
    kw: usize,
    sy: usize,
    sx: usize,
    py: isize,
    px: isize,
    dy: usize,
    dx: usize,
}

impl Geo2 {
    fn new(g: &Geo) -> Geo2 {
        Geo2 {
            ih: g.inp[0],
            iw: g.inp[1],
            oh: g.out[0],
            ow: g.out[1],
            kh: g.k[0],
            kw: g.k[1],
            sy: g.s[0],
            sx: g.s[1],
            py: g.p[0] as isize,
            px: g.p[1] as isize,
            dy: g.d[0],
            dx: g.d[1],
        }
    }

    /// For kernel column `kx`: `(off, lo, hi)`, output columns `lo..hi`
    /// read input columns `ox*sx + off` inside the input, the others padding.
    fn columns(&self, kx: usize) -> (isize, usize, usize) {
        let off = (kx * self.dx) as isize - self.px;
        let (lo, hi) = valid_range(self.ow, self.sx, off, self.iw);
        (off, lo, hi)
    }

    /// For kernel row `ky`: as [`Geo2::columns`] over the output rows.
    fn rows(&self, ky: usize) -> (isize, usize, usize) {
        let off = (ky * self.dy) as isize - self.py;
        let (lo, hi) = valid_range(self.oh, self.sy, off, self.ih);
        (off, lo, hi)
    }

    /// [`Geo2::rows`] of every kernel row and [`Geo2::columns`] of every kernel column.
    #[allow(clippy::type_complexity)]
    fn tables(&self) -> (Vec<(isize, usize, usize)>, Vec<(isize, usize, usize)>) {
        (
            (0..self.kh).map(|ky| self.rows(ky)).collect(),
            (0..self.kw).map(|kx| self.columns(kx)).collect(),
        )
    }
}

crate::multiversion! {
    /// [`im2col_one`] for two spatial axes: per (channel, tap) the output rows
    /// and columns that read inside the input are computed once, so the inner
    /// loop is a bare copy. The general path's per-run callback and bounds
    /// checks made im2col more than half of a LeNet convolution's time (its
    /// runs are 8 elements long).
    pub(crate) unsafe fn im2col_2d<T: ConvFloat>(x: &[T], channels: usize, g: &Geo, col: &mut [T], pad_value: T) {
        let g = Geo2::new(g);
        let (isz, osz) = (g.ih * g.iw, g.oh * g.ow);
        assert!(x.len() >= channels * isz && col.len() >= channels * g.kh * g.kw * osz);
        // valid_range divides: once per kernel row and column, not per tap.
        let (rows, columns) = g.tables();
        for c in 0..channels {
            let plane = x[c * isz..].as_ptr();
            for (ky, &(yoff, ylo, yhi)) in rows.iter().enumerate() {
                for (kx, &(xoff, lo, hi)) in columns.iter().enumerate() {
                    let start = ((c * g.kh + ky) * g.kw + kx) * osz;
                    let row = &mut col[start..start + osz];
                    if lo >= hi {
                        row.fill(pad_value);
                        continue;
                    }
                    row[..ylo * g.ow].fill(pad_value);
                    row[yhi * g.ow..].fill(pad_value);
                    for oy in ylo..yhi {
                        let dst = &mut row[oy * g.ow..(oy + 1) * g.ow];
                        dst[..lo].fill(pad_value);
                        dst[hi..].fill(pad_value);
                        // Inside the plane: valid_range keeps oy*sy + yoff in 0..ih
                        // and ox*sx + xoff in 0..iw for ox in lo..hi.
                        let iy = (oy * g.sy) as isize + yoff;
                        let src0 = iy * g.iw as isize + (lo * g.sx) as isize + xoff;
                        let dst = &mut dst[lo..hi];
                        // SAFETY: see above; the plane is inside `x` (asserted).
                        unsafe {
                            let src = plane.offset(src0);
                            if g.sx == 1 {
                                copy_run(dst.as_mut_ptr(), src, dst.len());
                            } else {
                                for (t, v) in dst.iter_mut().enumerate() {
                                    *v = *src.add(t * g.sx);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

crate::multiversion! {
    /// [`col2im_one`] for two spatial axes, as [`im2col_2d`].
    pub(crate) unsafe fn col2im_2d<T: ConvFloat>(col: &[T], channels: usize, g: &Geo, x: &mut [T]) {
        let g = Geo2::new(g);
        let (isz, osz) = (g.ih * g.iw, g.oh * g.ow);
        assert!(x.len() >= channels * isz && col.len() >= channels * g.kh * g.kw * osz);
        let (rows, columns) = g.tables();
        for c in 0..channels {
            let plane = x[c * isz..].as_mut_ptr();
            for (ky, &(yoff, ylo, yhi)) in rows.iter().enumerate() {
                for (kx, &(xoff, lo, hi)) in columns.iter().enumerate() {
                    let start = ((c * g.kh + ky) * g.kw + kx) * osz;
                    let row = &col[start..start + osz];
                    if lo >= hi {
                        continue;
                    }
                    for oy in ylo..yhi {
                        let src = &row[oy * g.ow + lo..oy * g.ow + hi];
                        let iy = (oy * g.sy) as isize + yoff;
                        let dst0 = iy * g.iw as isize + (lo * g.sx) as isize + xoff;
                        // SAFETY: as in im2col_2d, the taps lie inside the plane.
                        unsafe {
                            let dst = plane.offset(dst0);
                            if g.sx == 1 {
                                for (t, &v) in src.iter().enumerate() {
                                    *dst.add(t) += v;
                                }
                            } else {
                                for (t, &v) in src.iter().enumerate() {
                                    *dst.add(t * g.sx) += v;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Copies `n` elements eight at a time as fixed-size moves: `copy_from_slice`
/// calls `memmove`, whose call cost dominates the 8-element runs of im2col.
///
/// # Safety
/// `src` and `dst` must be valid for `n` elements and not overlap.
#[inline(always)]
unsafe fn copy_run<T: Copy>(dst: *mut T, src: *const T, n: usize) {
    let mut i = 0;
    while i + 8 <= n {
        (dst.add(i) as *mut [T; 8]).write_unaligned((src.add(i) as *const [T; 8]).read_unaligned());
        i += 8;
    }
    while i < n {
        *dst.add(i) = *src.add(i);
        i += 1;
    }
}

/// A matrix operand of [`gemm`]: base pointer and (row, column) strides in elements.
pub(crate) type Mat<T> = Strided<T>;

/// `dst (m×n) = [dst +] lhs (m×k) @ rhs (k×n)` on `threads` threads.
///
/// # Safety
/// The pointers and strides must address valid, non-overlapping matrices.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm<T: ConvFloat>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_rs: isize,
    accumulate: bool,
    lhs: Mat<T>,
    rhs: Mat<T>,
    threads: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                std::slice::from_raw_parts_mut(dst.offset(r as isize * dst_rs), n).fill(T::ZERO);
            }
        }
        return;
    }
    gemm_threaded(
        Dims { m, n, k },
        StridedMut {
            ptr: dst,
            rs: dst_rs,
            cs: 1,
        },
        accumulate.then_some(T::ONE),
        lhs,
        rhs,
        T::ONE,
        threads,
    );
}

/// Shares a raw pointer with rayon tasks that write disjoint parts.
#[derive(Clone, Copy)]
pub(crate) struct SyncPtr<T>(pub *mut T);
// SAFETY: only used for buffers whose parts are written by one task each.
unsafe impl<T> Send for SyncPtr<T> {}
unsafe impl<T> Sync for SyncPtr<T> {}
impl<T> SyncPtr<T> {
    /// The pointer (a method, so closures capture the Sync wrapper, not the field).
    pub fn get(self) -> *mut T {
        self.0
    }
}

/// How to spread `n` independent samples over the threads: the samples in
/// parallel with single-threaded gemms, or one after another with threaded gemms.
pub(crate) fn plan(n: usize) -> (bool, usize) {
    let threads = rayon::current_num_threads();
    if threads > 1 && n >= threads {
        (true, 1)
    } else {
        (false, threads)
    }
}

/// Runs `f(sample, scratch)` for every sample, in parallel when `parallel`;
/// `scratch` is a per-task buffer of `scratch_len` elements.
pub(crate) fn for_samples<T: ConvFloat>(
    n: usize,
    parallel: bool,
    scratch_len: usize,
    f: impl Fn(usize, &mut Vec<T>) + Sync + Send,
) {
    use rayon::prelude::*;
    if parallel {
        (0..n)
            .into_par_iter()
            .for_each_init(|| vec![T::ZERO; scratch_len], |buf, i| f(i, buf));
    } else {
        let mut buf = vec![T::ZERO; scratch_len];
        for i in 0..n {
            f(i, &mut buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(
        inp: [usize; 2],
        k: [usize; 2],
        s: [usize; 2],
        p: [usize; 2],
        d: [usize; 2],
        cover_all: bool,
    ) -> Geo {
        let out = |a: usize| {
            let span = (k[a] - 1) * d[a] + 1;
            let room = inp[a] + 2 * p[a];
            if room < span {
                return 0;
            }
            let extra = if cover_all { s[a] - 1 } else { 0 };
            (room - span + extra) / s[a] + 1
        };
        Geo {
            inp: inp.to_vec(),
            out: vec![out(0), out(1)],
            k: k.to_vec(),
            s: s.to_vec(),
            p: p.to_vec(),
            d: d.to_vec(),
        }
    }

    /// The 2-D loops equal the general ones (which the convolution tests
    /// check against Chainer) for strides, padding larger than the kernel,
    /// dilation, cover_all windows that run past the input, and 1×1 inputs.
    #[test]
    fn two_d_im2col_and_col2im_match_the_general_path() {
        let cases = [
            geo([12, 12], [5, 5], [1, 1], [0, 0], [1, 1], false),
            geo([7, 9], [3, 2], [2, 3], [1, 2], [1, 1], true),
            geo([6, 5], [3, 3], [1, 2], [4, 3], [2, 1], false),
            geo([5, 8], [2, 4], [3, 1], [0, 1], [1, 2], true),
            geo([1, 1], [3, 3], [1, 1], [1, 1], [1, 1], false),
            geo([28, 28], [5, 5], [1, 1], [2, 2], [1, 1], false),
            geo([4, 19], [1, 17], [1, 1], [0, 0], [1, 1], false),
        ];
        for g in &cases {
            let ch = 3;
            let x: Vec<f64> = (0..ch * g.in_size())
                .map(|i| (i as f64 * 0.37).sin())
                .collect();
            let n = ch * g.k_size() * g.out_size();
            let (mut a, mut b) = (vec![f64::NAN; n], vec![f64::NAN; n]);
            unsafe { im2col_2d(&x, ch, g, &mut a, -2.5) };
            im2col_nd(&x, ch, g, &mut b, -2.5);
            assert_eq!(a, b, "im2col {g:?}");
            let col: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
            let (mut a, mut b) = (vec![0.5; x.len()], vec![0.5; x.len()]);
            unsafe { col2im_2d(&col, ch, g, &mut a) };
            col2im_nd(&col, ch, g, &mut b);
            assert_eq!(a, b, "col2im {g:?}");
        }
    }
}
