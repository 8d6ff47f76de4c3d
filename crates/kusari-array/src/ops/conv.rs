//! Sliding-window kernels for convolutional networks (not in NumPy; named
//! after Chainer's `chainer.utils.conv`): `im2col`, `col2im`, and the three
//! products a convolution is made of: `convolution` (forward),
//! `convolution_transpose` (the input gradient, or a deconvolution) and
//! `convolution_grad_weight`. All take any number of spatial axes
//! (`(N, C, *spatial)` layouts).
//!
//! On the CPU a convolution runs one sample at a time: the sample's im2col
//! matrix lives in a per-thread scratch buffer (never the whole batch's) and
//! goes straight into a gemm; samples run in parallel with single-threaded
//! gemms, or, for batches smaller than the thread count, one after another
//! with threaded gemms. 1-tap kernels with stride 1 and no padding skip im2col.
//! `f16`/`bf16` compute in `f32`. Off the CPU the same operations run as
//! im2col/col2im kernels around the device's matmul (`window_kernels`).

use super::kernel_path::use_kernels;
use super::window_kernels::{self as wk, contiguous};
use crate::backend::cpu::conv::{
    col2im_one, for_samples, gemm, im2col_one, plan, ConvFloat, Geo, Mat, SyncPtr,
};
use crate::{Array, DType, Element, Error, Result};

/// Sliding-window parameters over the spatial axes (one entry per axis).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Window (kernel) size.
    pub ksize: Vec<usize>,
    /// Step between windows.
    pub stride: Vec<usize>,
    /// Implicit padding on both sides.
    pub pad: Vec<usize>,
    /// Spacing between window taps (1: dense).
    pub dilate: Vec<usize>,
    /// Chainer's `cover_all`: add windows so that every input element is covered.
    pub cover_all: bool,
}

impl Window {
    /// A dense window (dilation 1) without `cover_all`.
    pub fn new(ksize: &[usize], stride: &[usize], pad: &[usize]) -> Window {
        Window {
            ksize: ksize.to_vec(),
            stride: stride.to_vec(),
            pad: pad.to_vec(),
            dilate: vec![1; ksize.len()],
            cover_all: false,
        }
    }

    /// Checks that every parameter has one entry per spatial axis and is valid.
    pub fn validate(&self, op: &'static str, ndim: usize) -> Result<()> {
        for (name, v) in [
            ("ksize", &self.ksize),
            ("stride", &self.stride),
            ("pad", &self.pad),
            ("dilate", &self.dilate),
        ] {
            if v.len() != ndim {
                return Err(Error::value(
                    op,
                    format!(
                        "expected {name} with {ndim} entries (one per spatial axis), got {v:?}"
                    ),
                ));
            }
        }
        if ndim == 0 || ndim > 8 {
            return Err(Error::value(
                op,
                format!("expected 1 to 8 spatial axes, got {ndim}"),
            ));
        }
        for (name, v) in [
            ("ksize", &self.ksize),
            ("stride", &self.stride),
            ("dilate", &self.dilate),
        ] {
            if v.contains(&0) {
                return Err(Error::value(op, format!("expected {name} > 0, got {v:?}")));
            }
        }
        Ok(())
    }

    /// The output grid for an input grid (Chainer's `get_conv_outsize` per
    /// axis); an error when some axis would have no window.
    pub fn outsize(&self, op: &'static str, in_size: &[usize]) -> Result<Vec<usize>> {
        self.validate(op, in_size.len())?;
        (0..in_size.len())
            .map(|a| {
                let dk = (self.ksize[a] - 1) * self.dilate[a] + 1;
                let padded = in_size[a] + 2 * self.pad[a];
                let s = self.stride[a];
                let n = if self.cover_all {
                    (padded + s).checked_sub(dk + 1).map(|v| v / s + 1)
                } else {
                    padded.checked_sub(dk).map(|v| v / s + 1)
                };
                n.filter(|&n| n > 0).ok_or_else(|| {
                    Error::shape(
                        op,
                        format!(
                            "the window does not fit: input size {:?} with ksize {:?}, stride {:?}, pad {:?}, dilate {:?} gives no output on axis {a}",
                            in_size, self.ksize, self.stride, self.pad, self.dilate
                        ),
                    )
                })
            })
            .collect()
    }

    /// The input grid a transposed convolution produces from `in_size`
    /// (Chainer's `get_deconv_outsize` per axis).
    pub fn deconv_outsize(&self, op: &'static str, in_size: &[usize]) -> Result<Vec<usize>> {
        self.validate(op, in_size.len())?;
        (0..in_size.len())
            .map(|a| {
                let dk = (self.ksize[a] - 1) * self.dilate[a] + 1;
                let s = self.stride[a];
                let full = s * (in_size[a].max(1) - 1) + dk;
                let full = if self.cover_all { full + 1 - s } else { full };
                full.checked_sub(2 * self.pad[a])
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        Error::shape(
                            op,
                            format!(
                                "padding {:?} leaves no output for input size {in_size:?} with ksize {:?} and stride {:?}",
                                self.pad, self.ksize, self.stride
                            ),
                        )
                    })
            })
            .collect()
    }

    pub(crate) fn geo(&self, inp: &[usize], out: &[usize]) -> Geo {
        Geo {
            inp: inp.to_vec(),
            out: out.to_vec(),
            k: self.ksize.clone(),
            s: self.stride.clone(),
            p: self.pad.clone(),
            d: self.dilate.clone(),
        }
    }
}

/// Parameters of a convolution; the kernel size comes from the weight's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvParams {
    /// Step between windows, per spatial axis.
    pub stride: Vec<usize>,
    /// Implicit zero padding, per spatial axis.
    pub pad: Vec<usize>,
    /// Spacing between kernel taps, per spatial axis.
    pub dilate: Vec<usize>,
    /// Chainer's `cover_all`.
    pub cover_all: bool,
    /// Number of channel groups (1: an ordinary convolution).
    pub groups: usize,
}

impl ConvParams {
    /// The window of a kernel of `ksize`.
    pub fn window(&self, ksize: &[usize]) -> Window {
        Window {
            ksize: ksize.to_vec(),
            stride: self.stride.clone(),
            pad: self.pad.clone(),
            dilate: self.dilate.clone(),
            cover_all: self.cover_all,
        }
    }
}

/// The dtype kernels run in for `dtype`, or an error for non-float dtypes.
pub(crate) fn compute_dtype(op: &'static str, what: &str, dtype: DType) -> Result<DType> {
    match dtype {
        DType::F32 | DType::F64 => Ok(dtype),
        DType::F16 | DType::BF16 => Ok(DType::F32),
        _ => Err(Error::dtype(
            op,
            format!("expected {what}.dtype.kind == 'f', got {dtype}"),
        )),
    }
}

/// `a` as a C-contiguous host array of `dtype`.
pub(crate) fn prepared(op: &'static str, a: &Array, dtype: DType) -> Result<Array> {
    a.expect_cpu(op)?;
    contiguous(a, dtype)
}

/// The contiguous elements of an array made by [`prepared`] or [`new_c`].
pub(crate) fn slice<T: Element>(a: &Array) -> &[T] {
    a.as_slice::<T>()
        .expect("a C-contiguous host array of the kernel's dtype")
}

/// A fresh C-ordered host array (uninitialised when `zeroed` is false).
pub(crate) fn new_c(dtype: DType, shape: &[usize], zeroed: bool) -> Result<Array> {
    if zeroed {
        Array::zeros(shape, dtype)
    } else {
        Array::uninit_ordered(dtype, shape, crate::Order::C, None, crate::Device::Cpu)
    }
}

pub(crate) fn slice_mut<T: Element>(a: &mut Array) -> &mut [T] {
    a.as_slice_mut::<T>()
        .expect("a fresh C-contiguous host array of the kernel's dtype")
}

fn cast_back(a: Array, dtype: DType) -> Result<Array> {
    if a.dtype() == dtype {
        Ok(a)
    } else {
        a.astype(dtype)
    }
}

macro_rules! by_float {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            DType::F32 => {
                type $T = f32;
                $body
            }
            _ => {
                type $T = f64;
                $body
            }
        }
    };
}

fn expect_ndim(op: &'static str, name: &str, a: &Array, min: usize) -> Result<()> {
    if a.ndim() < min {
        return Err(Error::shape(
            op,
            format!(
                "expected {name}.ndim >= {min} (batch, channel and spatial axes), got {name}.shape {:?}",
                a.shape()
            ),
        ));
    }
    Ok(())
}

/// Chainer's `im2col`: the windows of `x` (`(N, C, *in)`) laid out as
/// `(N, C, *ksize, *out)`; padding reads `pad_value`.
pub fn im2col(x: &Array, w: &Window, pad_value: f64) -> Result<Array> {
    const OP: &str = "im2col";
    expect_ndim(OP, "x", x, 3)?;
    let dt = compute_dtype(OP, "x", x.dtype())?;
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let inp = &x.shape()[2..];
    let out = w.outsize(OP, inp)?;
    let geo = w.geo(inp, &out);
    if use_kernels(x.device()) {
        return cast_back(wk::im2col(&contiguous(x, dt)?, &geo, pad_value)?, x.dtype());
    }
    let xa = prepared(OP, x, dt)?;
    let mut shape = vec![n, c];
    shape.extend(&w.ksize);
    shape.extend(&out);
    let mut col = new_c(dt, &shape, false)?;
    by_float!(dt, T => {
        let (xs, per) = (slice::<T>(&xa), c * geo.k_size() * geo.out_size());
        let cp = SyncPtr(slice_mut::<T>(&mut col).as_mut_ptr());
        let isz = c * geo.in_size();
        for_samples::<T>(n, n > 1, 0, |s, _| {
            // SAFETY: sample `s` owns elements s*per..(s+1)*per of `col`.
            let dst = unsafe { std::slice::from_raw_parts_mut(cp.get().add(s * per), per) };
            im2col_one(&xs[s * isz..(s + 1) * isz], c, &geo, dst, <T as ConvFloat>::from_f64(pad_value));
        });
    });
    cast_back(col, x.dtype())
}

/// Chainer's `col2im`: the adjoint of [`im2col`]. `col` is
/// `(N, C, *ksize, *out)`; the result `(N, C, *in_size)` sums every window
/// tap that lands on each element (taps in the padding are dropped).
pub fn col2im(col: &Array, w: &Window, in_size: &[usize]) -> Result<Array> {
    const OP: &str = "col2im";
    let nd = in_size.len();
    w.validate(OP, nd)?;
    if col.ndim() != 2 + 2 * nd || col.shape()[2..2 + nd] != w.ksize[..] {
        return Err(Error::shape(
            OP,
            format!(
                "expected col of shape (N, C, *ksize {:?}, *out), got {:?}",
                w.ksize,
                col.shape()
            ),
        ));
    }
    let out = &col.shape()[2 + nd..];
    let expect = w.outsize(OP, in_size)?;
    if expect != out {
        return Err(Error::shape(
            OP,
            format!("the windows of input size {in_size:?} give output size {expect:?}, but col has {out:?}"),
        ));
    }
    let dt = compute_dtype(OP, "col", col.dtype())?;
    let (n, c) = (col.shape()[0], col.shape()[1]);
    let geo = w.geo(in_size, out);
    if use_kernels(col.device()) {
        return cast_back(wk::col2im(&contiguous(col, dt)?, &geo)?, col.dtype());
    }
    let ca = prepared(OP, col, dt)?;
    let mut shape = vec![n, c];
    shape.extend(in_size);
    let mut x = new_c(dt, &shape, true)?;
    by_float!(dt, T => {
        let cs = slice::<T>(&ca);
        let per = c * geo.k_size() * geo.out_size();
        let isz = c * geo.in_size();
        let xp = SyncPtr(slice_mut::<T>(&mut x).as_mut_ptr());
        for_samples::<T>(n, n > 1, 0, |s, _| {
            // SAFETY: sample `s` owns its part of `x`.
            let dst = unsafe { std::slice::from_raw_parts_mut(xp.get().add(s * isz), isz) };
            col2im_one(&cs[s * per..(s + 1) * per], c, &geo, dst);
        });
    });
    cast_back(x, col.dtype())
}

/// The operands of a product on one device (an error naming both otherwise).
fn same_devices(op: &'static str, a: &Array, b: &Array, c: Option<&Array>) -> Result<()> {
    Array::same_device(op, a, b)?;
    match c {
        Some(c) => Array::same_device(op, a, c).map(|_| ()),
        None => Ok(()),
    }
}

fn check_groups(op: &'static str, groups: usize, channels: &[(&str, usize)]) -> Result<()> {
    if groups == 0 {
        return Err(Error::value(op, "expected groups >= 1, got 0"));
    }
    for (name, c) in channels {
        if c % groups != 0 {
            return Err(Error::shape(
                op,
                format!("expected {name} ({c}) to be a multiple of groups ({groups})"),
            ));
        }
    }
    Ok(())
}

fn check_bias(op: &'static str, b: Option<&Array>, channels: usize) -> Result<()> {
    if let Some(b) = b {
        if b.shape() != [channels] {
            return Err(Error::shape(
                op,
                format!(
                    "expected b of shape ({channels},) (one per output channel), got {:?}",
                    b.shape()
                ),
            ));
        }
    }
    Ok(())
}

fn add_bias<T: ConvFloat>(y: &mut [T], b: Option<&[T]>, plane: usize) {
    if let Some(b) = b {
        for (row, &bv) in y.chunks_exact_mut(plane).zip(b) {
            for v in row {
                *v += bv;
            }
        }
    }
}

/// N-dimensional convolution (cross-correlation, as in Chainer):
/// `x` `(N, C, *in)`, `w` `(O, C/groups, *k)`, optional `b` `(O,)`;
/// returns `(N, O, *out)`.
pub fn convolution(x: &Array, w: &Array, b: Option<&Array>, p: &ConvParams) -> Result<Array> {
    const OP: &str = "convolution";
    expect_ndim(OP, "x", x, 3)?;
    if w.ndim() != x.ndim() {
        return Err(Error::shape(
            OP,
            format!(
                "expected W.ndim == x.ndim, got x.shape {:?} and W.shape {:?}",
                x.shape(),
                w.shape()
            ),
        ));
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let o = w.shape()[0];
    check_groups(OP, p.groups, &[("x.shape[1]", c), ("W.shape[0]", o)])?;
    if w.shape()[1] * p.groups != c {
        return Err(Error::shape(
            OP,
            format!(
                "expected x.shape[1] == W.shape[1] * groups, got x.shape {:?}, W.shape {:?} and groups {}",
                x.shape(),
                w.shape(),
                p.groups
            ),
        ));
    }
    check_bias(OP, b, o)?;
    let win = p.window(&w.shape()[2..]);
    let inp = &x.shape()[2..];
    let out = win.outsize(OP, inp)?;
    let geo = win.geo(inp, &out);
    let dt = compute_dtype(OP, "x", x.dtype().promote(w.dtype()))?;
    if use_kernels(x.device()) {
        same_devices(OP, x, w, b)?;
        let y = wk::convolution(x, w, b, p.groups, &geo, dt)?;
        return cast_back(y, x.dtype().promote(w.dtype()));
    }
    let (xa, wa) = (prepared(OP, x, dt)?, prepared(OP, w, dt)?);
    let ba = b.map(|b| prepared(OP, b, dt)).transpose()?;
    let mut shape = vec![n, o];
    shape.extend(&out);
    let mut y = new_c(dt, &shape, false)?;
    let (g, cg, og) = (p.groups, c / p.groups, o / p.groups);
    let (ks, ps, isz) = (geo.k_size(), geo.out_size(), geo.in_size());
    let r = cg * ks;
    let ident = geo.is_identity();
    let (parallel, par) = plan(n);
    by_float!(dt, T => {
        let (xs, ws) = (slice::<T>(&xa), slice::<T>(&wa));
        let bs = ba.as_ref().map(slice::<T>);
        let yp = SyncPtr(slice_mut::<T>(&mut y).as_mut_ptr());
        for_samples::<T>(n, parallel, if ident { 0 } else { r * ps }, |s, col| {
            let xs = &xs[s * c * isz..(s + 1) * c * isz];
            // SAFETY: sample `s` owns its part of `y`.
            let ys = unsafe { std::slice::from_raw_parts_mut(yp.get().add(s * o * ps), o * ps) };
            for gi in 0..g {
                let xg = &xs[gi * cg * isz..(gi + 1) * cg * isz];
                let rhs = if ident {
                    xg.as_ptr()
                } else {
                    im2col_one(xg, cg, &geo, col, T::ZERO);
                    col.as_ptr()
                };
                // SAFETY: the matrices lie inside their buffers; `y` is disjoint from both.
                unsafe {
                    gemm(
                        og, ps, r,
                        ys.as_mut_ptr().add(gi * og * ps), ps as isize, false,
                        Mat { ptr: ws.as_ptr().add(gi * og * r), rs: r as isize, cs: 1 },
                        Mat { ptr: rhs, rs: ps as isize, cs: 1 },
                        par,
                    );
                }
            }
            add_bias(ys, bs, ps);
        });
    });
    cast_back(y, x.dtype().promote(w.dtype()))
}

/// The transpose of [`convolution`] with respect to its input, which is the
/// input gradient of a convolution and Chainer's deconvolution:
/// `x` `(N, C, *in)`, `w` `(C, O/groups, *k)`, optional `b` `(O,)`;
/// returns `(N, O, *outsize)`. `outsize` must be a size whose convolution
/// with these parameters has size `in`.
pub fn convolution_transpose(
    x: &Array,
    w: &Array,
    b: Option<&Array>,
    p: &ConvParams,
    outsize: &[usize],
) -> Result<Array> {
    const OP: &str = "convolution_transpose";
    expect_ndim(OP, "x", x, 3)?;
    if w.ndim() != x.ndim() || outsize.len() + 2 != x.ndim() {
        return Err(Error::shape(
            OP,
            format!(
                "expected W.ndim == x.ndim == len(outsize) + 2, got x.shape {:?}, W.shape {:?} and outsize {outsize:?}",
                x.shape(),
                w.shape()
            ),
        ));
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    check_groups(OP, p.groups, &[("x.shape[1]", c)])?;
    if w.shape()[0] != c {
        return Err(Error::shape(
            OP,
            format!(
                "expected x.shape[1] == W.shape[0], got x.shape {:?} and W.shape {:?}",
                x.shape(),
                w.shape()
            ),
        ));
    }
    let (g, cg, og) = (p.groups, c / p.groups, w.shape()[1]);
    let o = og * g;
    check_bias(OP, b, o)?;
    let win = p.window(&w.shape()[2..]);
    let xsp = &x.shape()[2..];
    let back = win.outsize(OP, outsize)?;
    if back != xsp {
        return Err(Error::shape(
            OP,
            format!(
                "output size {outsize:?} does not match the input: its convolution has size {back:?}, x has {xsp:?}"
            ),
        ));
    }
    let geo = win.geo(outsize, xsp);
    let dt = compute_dtype(OP, "x", x.dtype().promote(w.dtype()))?;
    if use_kernels(x.device()) {
        same_devices(OP, x, w, b)?;
        let y = wk::convolution_transpose(x, w, b, p.groups, &geo, dt)?;
        return cast_back(y, x.dtype().promote(w.dtype()));
    }
    let (xa, wa) = (prepared(OP, x, dt)?, prepared(OP, w, dt)?);
    let ba = b.map(|b| prepared(OP, b, dt)).transpose()?;
    let mut shape = vec![n, o];
    shape.extend(outsize);
    let mut y = new_c(dt, &shape, false)?;
    let (ks, ps, ysz) = (geo.k_size(), geo.out_size(), geo.in_size());
    let r = og * ks;
    let ident = geo.is_identity();
    let (parallel, par) = plan(n);
    by_float!(dt, T => {
        let (xs, ws) = (slice::<T>(&xa), slice::<T>(&wa));
        let bs = ba.as_ref().map(slice::<T>);
        let yp = SyncPtr(slice_mut::<T>(&mut y).as_mut_ptr());
        for_samples::<T>(n, parallel, if ident { 0 } else { r * ps }, |s, col| {
            let xs = &xs[s * c * ps..(s + 1) * c * ps];
            // SAFETY: sample `s` owns its part of `y`.
            let ys = unsafe { std::slice::from_raw_parts_mut(yp.get().add(s * o * ysz), o * ysz) };
            if !ident {
                ys.fill(T::ZERO);
            }
            for gi in 0..g {
                // W_g^T: W_g is (cg × r) row-major, read with swapped strides.
                let lhs = Mat { ptr: unsafe { ws.as_ptr().add(gi * cg * r) }, rs: 1, cs: r as isize };
                let rhs = Mat { ptr: xs[gi * cg * ps..].as_ptr(), rs: ps as isize, cs: 1 };
                let yg = &mut ys[gi * og * ysz..(gi + 1) * og * ysz];
                // SAFETY: the matrices lie inside their buffers; outputs are disjoint from inputs.
                unsafe {
                    if ident {
                        gemm(r, ps, cg, yg.as_mut_ptr(), ps as isize, false, lhs, rhs, par);
                    } else {
                        gemm(r, ps, cg, col.as_mut_ptr(), ps as isize, false, lhs, rhs, par);
                    }
                }
                if !ident {
                    col2im_one(col, og, &geo, yg);
                }
            }
            add_bias(ys, bs, ysz);
        });
    });
    cast_back(y, x.dtype().promote(w.dtype()))
}

/// The weight gradient of [`convolution`]: for input `x` `(N, C, *in)` and
/// output gradient `gy` `(N, O, *out)`, returns `(O, C/groups, *ksize)`.
pub fn convolution_grad_weight(
    x: &Array,
    gy: &Array,
    ksize: &[usize],
    p: &ConvParams,
) -> Result<Array> {
    const OP: &str = "convolution_grad_weight";
    expect_ndim(OP, "x", x, 3)?;
    if gy.ndim() != x.ndim() || ksize.len() + 2 != x.ndim() || gy.shape()[0] != x.shape()[0] {
        return Err(Error::shape(
            OP,
            format!(
                "expected x and gy with the same batch size and ndim == len(ksize) + 2, got x.shape {:?}, gy.shape {:?} and ksize {ksize:?}",
                x.shape(),
                gy.shape()
            ),
        ));
    }
    let (n, c, o) = (x.shape()[0], x.shape()[1], gy.shape()[1]);
    check_groups(OP, p.groups, &[("x.shape[1]", c), ("gy.shape[1]", o)])?;
    let win = p.window(ksize);
    let inp = &x.shape()[2..];
    let out = win.outsize(OP, inp)?;
    if out != gy.shape()[2..] {
        return Err(Error::shape(
            OP,
            format!(
                "expected gy's spatial size {out:?} (the convolution of x.shape {:?}), got gy.shape {:?}",
                x.shape(),
                gy.shape()
            ),
        ));
    }
    let geo = win.geo(inp, &out);
    let dt = compute_dtype(OP, "x", x.dtype().promote(gy.dtype()))?;
    if use_kernels(x.device()) {
        same_devices(OP, x, gy, None)?;
        let gw = wk::convolution_grad_weight(x, gy, p.groups, &geo, dt)?;
        return cast_back(gw, x.dtype().promote(gy.dtype()));
    }
    let (xa, ga) = (prepared(OP, x, dt)?, prepared(OP, gy, dt)?);
    let (g, cg, og) = (p.groups, c / p.groups, o / p.groups);
    let (ks, ps, isz) = (geo.k_size(), geo.out_size(), geo.in_size());
    let r = cg * ks;
    let ident = geo.is_identity();
    let (parallel, par) = plan(n);
    let mut shape = vec![o, cg];
    shape.extend(ksize);
    let mut gw = new_c(dt, &shape, true)?;
    by_float!(dt, T => {
        let (xs, gs) = (slice::<T>(&xa), slice::<T>(&ga));
        // Fixed chunks of samples, each summing into its own buffer, then a
        // fixed-order sum: the result does not depend on thread timing.
        let chunks = if parallel { rayon::current_num_threads().min(n) } else { 1 };
        let partial = |ci: usize| -> Vec<T> {
            let mut acc = vec![T::ZERO; o * r];
            let mut col = vec![T::ZERO; if ident { 0 } else { r * ps }];
            for s in (ci * n / chunks)..((ci + 1) * n / chunks) {
                for gi in 0..g {
                    let xg = &xs[(s * c + gi * cg) * isz..(s * c + (gi + 1) * cg) * isz];
                    let colp = if ident {
                        xg.as_ptr()
                    } else {
                        im2col_one(xg, cg, &geo, &mut col, T::ZERO);
                        col.as_ptr()
                    };
                    // SAFETY: the matrices lie inside their buffers; `acc` is separate.
                    unsafe {
                        gemm(
                            og, r, ps,
                            acc.as_mut_ptr().add(gi * og * r), r as isize, true,
                            Mat { ptr: gs.as_ptr().add((s * o + gi * og) * ps), rs: ps as isize, cs: 1 },
                            Mat { ptr: colp, rs: 1, cs: ps as isize },
                            par,
                        );
                    }
                }
            }
            acc
        };
        let parts: Vec<Vec<T>> = if chunks > 1 {
            use rayon::prelude::*;
            (0..chunks).into_par_iter().map(partial).collect()
        } else {
            vec![partial(0)]
        };
        let dst = slice_mut::<T>(&mut gw);
        for part in &parts {
            for (d, &v) in dst.iter_mut().zip(part) {
                *d += v;
            }
        }
    });
    cast_back(gw, x.dtype().promote(gy.dtype()))
}
