//! Pooling kernels over `(N, C, *spatial)` arrays (named after Chainer's
//! pooling functions): max pooling with the argmax kept as window-local
//! indexes (Chainer's `indexes`), its scatter (gradient, upsampling) and
//! gather (second-order gradient), and average/sum pooling with its adjoint.
//! Each (sample, channel) plane is independent; planes run in parallel.
//! Off the CPU each is one gathering kernel (`window_kernels`), which
//! checks no indexes on the host: out-of-window indexes read 0 there.

use super::conv::{compute_dtype, new_c, prepared, slice, slice_mut, Window};
use super::kernel_path::use_kernels;
use super::window_kernels::{self as wk, contiguous};
use crate::backend::cpu::conv::{ConvFloat, Geo, SyncPtr};
use crate::backend::cpu::simd::max_pool_planes;
use crate::{Array, DType, Error, Result};
use rayon::prelude::*;

/// What average pooling divides each window's sum by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolDivisor {
    /// The window size: padding counts as zeros (Chainer's default, `pad_value=0`).
    WindowSize,
    /// The number of taps inside the input (Chainer's `pad_value=None`).
    Valid,
    /// Nothing: a sum pooling (the adjoint of unpooling).
    One,
}

impl PoolDivisor {
    /// The divisor's code in the pooling kernels.
    fn code(self) -> i64 {
        match self {
            PoolDivisor::WindowSize => 0,
            PoolDivisor::Valid => 1,
            PoolDivisor::One => 2,
        }
    }
}

fn check_x(op: &'static str, x: &Array, w: &Window) -> Result<()> {
    if x.ndim() < 3 {
        return Err(Error::shape(
            op,
            format!(
                "expected x.ndim >= 3 (batch, channel and spatial axes), got x.shape {:?}",
                x.shape()
            ),
        ));
    }
    w.validate(op, x.ndim() - 2)
}

/// Runs `f(range)` over consecutive ranges of planes covering all of them,
/// in parallel when the work is large enough. Ranges of about 8k elements,
/// so kernels can do their per-call setup once per range rather than once
/// per plane (5 000 planes of 64 elements in LeNet's second pooling).
fn par_plane_ranges(planes: usize, per: usize, f: impl Fn(std::ops::Range<usize>) + Sync + Send) {
    if planes * per >= 1 << 14 && planes > 1 {
        let chunk = (1usize << 13).div_ceil(per.max(1)).clamp(1, planes);
        (0..planes.div_ceil(chunk))
            .into_par_iter()
            .for_each(|i| f(i * chunk..((i + 1) * chunk).min(planes)));
    } else {
        f(0..planes);
    }
}

/// Runs `f(plane)` for every plane, in parallel when the work is large enough.
fn par_planes(planes: usize, per: usize, f: impl Fn(usize) + Sync + Send) {
    par_plane_ranges(planes, per, |r| r.for_each(&f));
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

fn cast_back(a: Array, dtype: DType) -> Result<Array> {
    if a.dtype() == dtype {
        Ok(a)
    } else {
        a.astype(dtype)
    }
}

fn shape_of(n: usize, c: usize, sp: &[usize]) -> Vec<usize> {
    let mut s = vec![n, c];
    s.extend(sp);
    s
}

/// Max pooling: returns `(y, indexes)` with `y` `(N, C, *out)` and
/// `indexes` (`int32`, same shape) the window-local position (row-major
/// over `ksize`) of each maximum. Padding never wins; a window lying wholly
/// in the padding gives `-inf` and index 0, as in Chainer.
pub fn max_pooling(x: &Array, w: &Window) -> Result<(Array, Array)> {
    const OP: &str = "max_pooling";
    check_x(OP, x, w)?;
    let dt = compute_dtype(OP, "x", x.dtype())?;
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let inp = &x.shape()[2..];
    let out = w.outsize(OP, inp)?;
    let geo = w.geo(inp, &out);
    if use_kernels(x.device()) {
        let (y, idx) = wk::max_pooling(&contiguous(x, dt)?, &geo)?;
        return Ok((cast_back(y, x.dtype())?, idx));
    }
    let xa = prepared(OP, x, dt)?;
    let mut y = new_c(dt, &shape_of(n, c, &out), false)?;
    let mut idx = new_c(DType::I32, &shape_of(n, c, &out), false)?;
    let (isz, osz) = (geo.in_size(), geo.out_size());
    by_float!(dt, T => {
        let xs = slice::<T>(&xa);
        let yp = SyncPtr(slice_mut::<T>(&mut y).as_mut_ptr());
        let ip = SyncPtr(slice_mut::<i32>(&mut idx).as_mut_ptr());
        let table = segments(&geo);
        let s = *geo.s.last().expect("spatial axes");
        par_plane_ranges(n * c, isz, |r| {
            let xp = &xs[r.start * isz..r.end * isz];
            // SAFETY: the planes of `r` own their part of `y` and `idx`.
            let (yo, io) = unsafe {
                (
                    std::slice::from_raw_parts_mut(yp.get().add(r.start * osz), r.len() * osz),
                    std::slice::from_raw_parts_mut(ip.get().add(r.start * osz), r.len() * osz),
                )
            };
            // Tap by tap over runs of outputs: the updates of one run are
            // independent, so they pipeline, where a window at a time would
            // chain every comparison on the previous one.
            // SAFETY: plain slices; the CPU has the level the dispatch picked.
            unsafe { max_pool_planes(xp, yo, io, &table, s, isz, osz) };
        });
    });
    Ok((cast_back(y, x.dtype())?, idx))
}

fn check_indexes(op: &'static str, a: &Array, indexes: &Array) -> Result<()> {
    if indexes.shape() != a.shape() || !indexes.dtype().is_integer() {
        return Err(Error::shape(
            op,
            format!(
                "expected integer indexes of shape {:?}, got {} indexes of shape {:?}",
                a.shape(),
                indexes.dtype(),
                indexes.shape()
            ),
        ));
    }
    Ok(())
}

/// The indexes as `i32`, checked to lie in `0..ks`; borrowed when they
/// already are a contiguous `int32` host array (always, from [`max_pooling`]).
fn index_vec<'a>(
    op: &'static str,
    indexes: &'a Array,
    ks: usize,
) -> Result<std::borrow::Cow<'a, [i32]>> {
    use std::borrow::Cow;
    let v = match indexes.as_slice::<i32>() {
        Some(v) => Cow::Borrowed(v),
        _ => Cow::Owned(indexes.astype(DType::I32)?.to_vec::<i32>()?),
    };
    if let Some(&bad) = v.iter().find(|&&k| k < 0 || k as usize >= ks) {
        return Err(Error::value(
            op,
            format!("expected window-local indexes in 0..{ks}, found {bad}"),
        ));
    }
    Ok(v)
}

/// Puts each `gy` element at its window's `indexes` position of an
/// `(N, C, *in_size)` array of zeros, summing where windows overlap (the
/// gradient of [`max_pooling`], and Chainer's upsampling). Positions in the
/// padding are dropped.
pub fn max_pooling_scatter(
    gy: &Array,
    indexes: &Array,
    w: &Window,
    in_size: &[usize],
) -> Result<Array> {
    const OP: &str = "max_pooling_scatter";
    check_x(OP, gy, w)?;
    let geo = checked_geo(OP, gy, w, in_size)?;
    check_indexes(OP, gy, indexes)?;
    let dt = compute_dtype(OP, "gy", gy.dtype())?;
    if use_kernels(gy.device()) {
        Array::same_device(OP, gy, indexes)?;
        let gx = wk::max_pooling_scatter(&contiguous(gy, dt)?, indexes, &geo)?;
        return cast_back(gx, gy.dtype());
    }
    let iv = index_vec(OP, indexes, geo.k_size())?;
    let (n, c) = (gy.shape()[0], gy.shape()[1]);
    let ga = prepared(OP, gy, dt)?;
    let mut gx = new_c(dt, &shape_of(n, c, in_size), true)?;
    let (isz, osz) = (geo.in_size(), geo.out_size());
    by_float!(dt, T => {
        let gs = slice::<T>(&ga);
        let xp = SyncPtr(slice_mut::<T>(&mut gx).as_mut_ptr());
        let map = WindowMap::new(&geo);
        par_planes(n * c, isz, |pl| {
            let (gp, ip) = (&gs[pl * osz..(pl + 1) * osz], &iv[pl * osz..(pl + 1) * osz]);
            // SAFETY: plane `pl` owns its part of `gx`.
            let xo = unsafe { std::slice::from_raw_parts_mut(xp.get().add(pl * isz), isz) };
            map.for_each_chosen(ip, |o, i| xo[i] += gp[o]);
        });
    });
    cast_back(gx, gy.dtype())
}

/// Reads `x` (`(N, C, *in)`) at each window's `indexes` position: the
/// adjoint of [`max_pooling_scatter`] (Chainer's `MaxPoolingWithIndexes`).
/// Positions in the padding read 0.
pub fn max_pooling_gather(x: &Array, indexes: &Array, w: &Window) -> Result<Array> {
    const OP: &str = "max_pooling_gather";
    check_x(OP, x, w)?;
    let inp = &x.shape()[2..];
    let out = w.outsize(OP, inp)?;
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let yshape = shape_of(n, c, &out);
    if indexes.shape() != yshape {
        return Err(Error::shape(
            OP,
            format!(
                "expected indexes of shape {yshape:?} (the pooled shape of x.shape {:?}), got {:?}",
                x.shape(),
                indexes.shape()
            ),
        ));
    }
    let geo = w.geo(inp, &out);
    let dt = compute_dtype(OP, "x", x.dtype())?;
    if use_kernels(x.device()) {
        Array::same_device(OP, x, indexes)?;
        let y = wk::max_pooling_gather(&contiguous(x, dt)?, indexes, &geo)?;
        return cast_back(y, x.dtype());
    }
    let iv = index_vec(OP, indexes, geo.k_size())?;
    let xa = prepared(OP, x, dt)?;
    let mut y = new_c(dt, &yshape, true)?;
    let (isz, osz) = (geo.in_size(), geo.out_size());
    by_float!(dt, T => {
        let xs = slice::<T>(&xa);
        let yp = SyncPtr(slice_mut::<T>(&mut y).as_mut_ptr());
        let map = WindowMap::new(&geo);
        par_planes(n * c, isz, |pl| {
            let (xp, ip) = (&xs[pl * isz..(pl + 1) * isz], &iv[pl * osz..(pl + 1) * osz]);
            // SAFETY: plane `pl` owns its part of `y`.
            let yo = unsafe { std::slice::from_raw_parts_mut(yp.get().add(pl * osz), osz) };
            map.for_each_chosen(ip, |o, i| yo[o] = xp[i]);
        });
    });
    cast_back(y, x.dtype())
}

/// Marks a tap that falls in the padding (or past the input's end).
const OUTSIDE: usize = usize::MAX;

/// Where each window tap of a plane lands, output by output: what the
/// gradient of max pooling needs to read each chosen index once and add its
/// value at one place, without per-element index arithmetic. The last
/// spatial axis and the others are tabulated apart, which keeps the tables
/// tiny (for 2×2 pooling of 24×24: 24 + 24 entries).
struct WindowMap {
    /// Outputs along the last axis.
    ow: usize,
    /// Taps along the last axis.
    kw: usize,
    /// Taps over the other axes (row-major), 1 for 1-D pooling.
    outer_taps: usize,
    /// For output column `ox` and last-axis tap `kx`: the input column, or `OUTSIDE`.
    cols: Vec<usize>,
    /// For each output index over the other axes and each outer tap: the
    /// input offset of the row it reads, or `OUTSIDE`.
    rows: Vec<usize>,
}

impl WindowMap {
    fn new(geo: &Geo) -> WindowMap {
        let nd = geo.inp.len();
        let last = nd - 1;
        let coord = |a: usize, o: usize, k: usize| -> Option<usize> {
            let c = (o * geo.s[a] + k * geo.d[a]) as isize - geo.p[a] as isize;
            (c >= 0 && (c as usize) < geo.inp[a]).then_some(c as usize)
        };
        let (ow, kw) = (geo.out[last], geo.k[last]);
        let mut cols = Vec::with_capacity(ow * kw);
        for ox in 0..ow {
            for kx in 0..kw {
                cols.push(coord(last, ox, kx).unwrap_or(OUTSIDE));
            }
        }
        let outer_out: usize = geo.out[..last].iter().product();
        let outer_taps: usize = geo.k[..last].iter().product();
        let mut rows = Vec::with_capacity(outer_out * outer_taps);
        for oo in 0..outer_out {
            for t in 0..outer_taps {
                // Row-major decomposition of both indexes, last outer axis fastest.
                let (mut orem, mut trem) = (oo, t);
                let mut offset = 0usize;
                let mut stride = geo.inp[last];
                let mut inside = true;
                for a in (0..last).rev() {
                    let (o, k) = (orem % geo.out[a], trem % geo.k[a]);
                    orem /= geo.out[a];
                    trem /= geo.k[a];
                    match coord(a, o, k) {
                        Some(c) => offset += c * stride,
                        None => inside = false,
                    }
                    stride *= geo.inp[a];
                }
                rows.push(if inside { offset } else { OUTSIDE });
            }
        }
        WindowMap {
            ow,
            kw,
            outer_taps,
            cols,
            rows,
        }
    }

    /// Calls `f(o, i)` for every output position `o` whose chosen tap
    /// `chosen[o]` (a window-local index) lies inside the input, at input offset `i`.
    fn for_each_chosen(&self, chosen: &[i32], mut f: impl FnMut(usize, usize)) {
        let (ow, kw, nt) = (self.ow, self.kw, self.outer_taps);
        for (oo, rows) in self.rows.chunks_exact(nt).enumerate() {
            for ox in 0..ow {
                let o = oo * ow + ox;
                let k = chosen[o] as usize;
                let (r, c) = (rows[k / kw], self.cols[ox * kw + k % kw]);
                if r != OUTSIDE && c != OUTSIDE {
                    f(o, r + c);
                }
            }
        }
    }
}

/// For each kernel tap, the runs `(o, i, len)` of output positions reading
/// the input (padding dropped): computed once per call, so the per-plane
/// loops do no index arithmetic beyond the runs themselves.
fn segments(geo: &Geo) -> Vec<Vec<(usize, usize, usize)>> {
    (0..geo.k_size())
        .map(|kidx| {
            let mut v = Vec::new();
            geo.visit(kidx, |o, i, len| {
                if let Some(i) = i {
                    v.push((o, i, len));
                }
            });
            v
        })
        .collect()
}

/// The geometry from `in_size` to the spatial size of `y`, checking they match.
fn checked_geo(op: &'static str, y: &Array, w: &Window, in_size: &[usize]) -> Result<Geo> {
    let out = w.outsize(op, in_size)?;
    if out != y.shape()[2..] {
        return Err(Error::shape(
            op,
            format!(
                "the windows of input size {in_size:?} give output size {out:?}, got an array of shape {:?}",
                y.shape()
            ),
        ));
    }
    Ok(w.geo(in_size, &out))
}

/// 1 / divisor for each output position.
fn inverse_widths(geo: &Geo, div: PoolDivisor) -> Vec<f64> {
    let osz = geo.out_size();
    match div {
        PoolDivisor::WindowSize => vec![1.0 / geo.k_size() as f64; osz],
        PoolDivisor::One => vec![1.0; osz],
        PoolDivisor::Valid => {
            let mut count = vec![0usize; osz];
            for kidx in 0..geo.k_size() {
                geo.visit(kidx, |o, i, len| {
                    if i.is_some() {
                        for c in &mut count[o..o + len] {
                            *c += 1;
                        }
                    }
                });
            }
            count
                .into_iter()
                .map(|c| if c == 0 { 0.0 } else { 1.0 / c as f64 })
                .collect()
        }
    }
}

/// Average pooling (`PoolDivisor::WindowSize` or `Valid`) or sum pooling
/// (`One`) of `x` `(N, C, *in)`; returns `(N, C, *out)`.
pub fn average_pooling(x: &Array, w: &Window, div: PoolDivisor) -> Result<Array> {
    const OP: &str = "average_pooling";
    check_x(OP, x, w)?;
    let dt = compute_dtype(OP, "x", x.dtype())?;
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let inp = &x.shape()[2..];
    let out = w.outsize(OP, inp)?;
    let geo = w.geo(inp, &out);
    if use_kernels(x.device()) {
        let y = wk::average_pooling(&contiguous(x, dt)?, &geo, div.code(), false)?;
        return cast_back(y, x.dtype());
    }
    let inv = inverse_widths(&geo, div);
    let xa = prepared(OP, x, dt)?;
    let mut y = new_c(dt, &shape_of(n, c, &out), false)?;
    let (isz, osz) = (geo.in_size(), geo.out_size());
    let s = *geo.s.last().expect("spatial axes");
    by_float!(dt, T => {
        let xs = slice::<T>(&xa);
        let inv: Vec<T> = inv.iter().map(|&v| <T as ConvFloat>::from_f64(v)).collect();
        let yp = SyncPtr(slice_mut::<T>(&mut y).as_mut_ptr());
        let table = segments(&geo);
        par_planes(n * c, isz, |pl| {
            let xp = &xs[pl * isz..(pl + 1) * isz];
            // SAFETY: plane `pl` owns its part of `y`.
            let yo = unsafe { std::slice::from_raw_parts_mut(yp.get().add(pl * osz), osz) };
            yo.fill(<T as ConvFloat>::ZERO);
            for segs in &table {
                for &(o, i, len) in segs {
                    for t in 0..len {
                        yo[o + t] += xp[i + t * s];
                    }
                }
            }
            for (v, &f) in yo.iter_mut().zip(&inv) {
                *v *= f;
            }
        });
    });
    cast_back(y, x.dtype())
}

/// The adjoint of [`average_pooling`]: spreads each `gy` element (divided as
/// `div` says) over its window in an `(N, C, *in_size)` array, summing
/// overlaps and dropping the padding. With `PoolDivisor::One` this is
/// Chainer's unpooling.
pub fn average_pooling_grad(
    gy: &Array,
    w: &Window,
    in_size: &[usize],
    div: PoolDivisor,
) -> Result<Array> {
    const OP: &str = "average_pooling_grad";
    check_x(OP, gy, w)?;
    let geo = checked_geo(OP, gy, w, in_size)?;
    let dt = compute_dtype(OP, "gy", gy.dtype())?;
    if use_kernels(gy.device()) {
        let gx = wk::average_pooling(&contiguous(gy, dt)?, &geo, div.code(), true)?;
        return cast_back(gx, gy.dtype());
    }
    let inv = inverse_widths(&geo, div);
    let (n, c) = (gy.shape()[0], gy.shape()[1]);
    let ga = prepared(OP, gy, dt)?;
    let mut gx = new_c(dt, &shape_of(n, c, in_size), true)?;
    let (isz, osz) = (geo.in_size(), geo.out_size());
    let s = *geo.s.last().expect("spatial axes");
    by_float!(dt, T => {
        let gs = slice::<T>(&ga);
        let xp = SyncPtr(slice_mut::<T>(&mut gx).as_mut_ptr());
        let table = segments(&geo);
        par_planes(n * c, isz, |pl| {
            let gp: Vec<T> = gs[pl * osz..(pl + 1) * osz]
                .iter()
                .zip(&inv)
                .map(|(&g, &f)| g * <T as ConvFloat>::from_f64(f))
                .collect();
            // SAFETY: plane `pl` owns its part of `gx`.
            let xo = unsafe { std::slice::from_raw_parts_mut(xp.get().add(pl * isz), isz) };
            for segs in &table {
                for &(o, i, len) in segs {
                    for t in 0..len {
                        xo[i + t * s] += gp[o + t];
                    }
                }
            }
        });
    });
    cast_back(gx, gy.dtype())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Max pooling window by window, the obvious way: the reference for the
    /// tap-major forward and the output-major scatter/gather above.
    fn naive_max(x: &[f32], inp: &[usize], w: &Window, out: &[usize]) -> (Vec<f32>, Vec<i32>) {
        let nd = inp.len();
        let osz: usize = out.iter().product();
        let ks: usize = w.ksize.iter().product();
        let mut y = vec![f32::NEG_INFINITY; osz];
        let mut idx = vec![0i32; osz];
        for o in 0..osz {
            let (mut rem, mut oc) = (o, vec![0; nd]);
            for a in (0..nd).rev() {
                oc[a] = rem % out[a];
                rem /= out[a];
            }
            for k in 0..ks {
                let (mut rem, mut off, mut inside) = (k, 0usize, true);
                let mut kc = vec![0; nd];
                for a in (0..nd).rev() {
                    kc[a] = rem % w.ksize[a];
                    rem /= w.ksize[a];
                }
                for a in 0..nd {
                    let c = (oc[a] * w.stride[a] + kc[a]) as isize - w.pad[a] as isize;
                    inside &= c >= 0 && (c as usize) < inp[a];
                    off = off * inp[a] + c.max(0) as usize;
                }
                if inside {
                    let v = x[off];
                    if v > y[o] || (v.is_nan() && !y[o].is_nan()) {
                        y[o] = v;
                        idx[o] = k as i32;
                    }
                }
            }
        }
        (y, idx)
    }

    #[test]
    fn max_pooling_matches_the_window_by_window_reference() {
        // (input size, ksize, stride, pad, cover_all)
        type Case = (
            &'static [usize],
            &'static [usize],
            &'static [usize],
            &'static [usize],
            bool,
        );
        let cases: [Case; 6] = [
            (&[7], &[3], &[2], &[1], true),
            (&[6, 5], &[2, 2], &[2, 2], &[0, 0], true),
            (&[6, 5], &[3, 2], &[1, 2], &[1, 0], false),
            (&[5, 7], &[3, 3], &[2, 3], &[2, 1], true),
            (&[4, 3, 5], &[2, 2, 3], &[2, 1, 2], &[1, 0, 1], true),
            (&[9, 9], &[2, 2], &[2, 2], &[0, 0], false),
        ];
        for (inp, k, s, p, cover_all) in cases {
            let mut w = Window::new(k, s, p);
            w.cover_all = cover_all;
            let size: usize = inp.iter().product();
            // Enough planes that the kernels split them into parallel ranges.
            const P: usize = 256;
            // Few distinct values, so ties happen; a NaN in the first plane.
            let mut xv: Vec<f32> = (0..P * size).map(|i| ((i * 7919) % 5) as f32).collect();
            xv[size / 2] = f32::NAN;
            let mut shape = vec![P, 1];
            shape.extend(inp);
            let x = Array::from_vec(xv.clone(), &shape).unwrap();
            let (y, idx) = max_pooling(&x, &w).unwrap();
            let out = &y.shape()[2..];
            let osz: usize = out.iter().product();
            let (yv, iv) = (y.to_vec::<f32>().unwrap(), idx.to_vec::<i32>().unwrap());
            for plane in 0..P {
                let (ry, ri) = naive_max(&xv[plane * size..(plane + 1) * size], inp, &w, out);
                let got = &yv[plane * osz..(plane + 1) * osz];
                let same = got
                    .iter()
                    .zip(&ry)
                    .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
                assert!(same, "{inp:?} {k:?}: values {got:?} != {ry:?}");
                assert_eq!(
                    &iv[plane * osz..(plane + 1) * osz],
                    &ri[..],
                    "{inp:?} {k:?}: indexes"
                );
            }
            // Scatter then gather of ones: each output reads back its own
            // gradient where the chosen tap is inside, and overlapping
            // windows that chose the same input sum.
            let gy = Array::from_vec(
                (0..P * osz).map(|i| (i % 1000) as f32 + 1.0).collect(),
                y.shape(),
            )
            .unwrap();
            let gx = max_pooling_scatter(&gy, &idx, &w, inp).unwrap();
            let back = max_pooling_gather(&gx, &idx, &w)
                .unwrap()
                .to_vec::<f32>()
                .unwrap();
            let gxv = gx.to_vec::<f32>().unwrap();
            let total: f32 = gxv.iter().sum();
            let inside: f32 = (0..P * osz)
                .filter(|&o| !yv[o].is_infinite())
                .map(|o| (o % 1000) as f32 + 1.0)
                .sum();
            assert_eq!(
                total, inside,
                "{inp:?} {k:?}: scatter keeps every gradient inside the input"
            );
            for o in 0..P * osz {
                if !yv[o].is_infinite() {
                    assert!(
                        back[o] >= (o % 1000) as f32 + 1.0,
                        "{inp:?} {k:?}: gather at {o}"
                    );
                }
            }
        }
    }
}
