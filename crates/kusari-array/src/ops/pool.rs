//! Pooling kernels over `(N, C, *spatial)` arrays (named after Chainer's
//! pooling functions): max pooling with the argmax kept as window-local
//! indexes (Chainer's `indexes`), its scatter (gradient, upsampling) and
//! gather (second-order gradient), and average/sum pooling with its adjoint.
//! Each (sample, channel) plane is independent; planes run in parallel.

use super::conv::{compute_dtype, new_c, prepared, slice, slice_mut, Window};
use crate::backend::cpu::conv::{ConvFloat, Geo, SyncPtr};
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

/// Runs `f(plane)` for every plane, in parallel when the work is large enough.
fn par_planes(planes: usize, per: usize, f: impl Fn(usize) + Sync + Send) {
    if planes * per >= 1 << 14 && planes > 1 {
        (0..planes).into_par_iter().for_each(f);
    } else {
        (0..planes).for_each(f);
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
    let xa = prepared(OP, x, dt)?;
    let mut y = new_c(dt, &shape_of(n, c, &out), false)?;
    let mut idx = new_c(DType::I32, &shape_of(n, c, &out), false)?;
    let (isz, osz) = (geo.in_size(), geo.out_size());
    let s = *geo.s.last().expect("spatial axes");
    by_float!(dt, T => {
        let xs = slice::<T>(&xa);
        let yp = SyncPtr(slice_mut::<T>(&mut y).as_mut_ptr());
        let ip = SyncPtr(slice_mut::<i32>(&mut idx).as_mut_ptr());
        let table = segments(&geo);
        par_planes(n * c, isz, |pl| {
            let xp = &xs[pl * isz..(pl + 1) * isz];
            // SAFETY: plane `pl` owns its part of `y` and `idx`.
            let (yo, io) = unsafe {
                (
                    std::slice::from_raw_parts_mut(yp.get().add(pl * osz), osz),
                    std::slice::from_raw_parts_mut(ip.get().add(pl * osz), osz),
                )
            };
            yo.fill(<T as ConvFloat>::NEG_INF);
            io.fill(0);
            for (kidx, segs) in table.iter().enumerate() {
                for &(o, i, len) in segs {
                    for t in 0..len {
                        let v = xp[i + t * s];
                        let cur = yo[o + t];
                        // NaN wins and stays, as NumPy's max/argmax.
                        if v > cur || (v.is_nan() && !cur.is_nan()) {
                            yo[o + t] = v;
                            io[o + t] = kidx as i32;
                        }
                    }
                }
            }
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

fn index_vec(op: &'static str, indexes: &Array, ks: usize) -> Result<Vec<i32>> {
    let v = indexes.astype(DType::I32)?.to_vec::<i32>()?;
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
    let iv = index_vec(OP, indexes, geo.k_size())?;
    let dt = compute_dtype(OP, "gy", gy.dtype())?;
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
            let (gp, ip) = (&gs[pl * osz..(pl + 1) * osz], &iv[pl * osz..(pl + 1) * osz]);
            // SAFETY: plane `pl` owns its part of `gx`.
            let xo = unsafe { std::slice::from_raw_parts_mut(xp.get().add(pl * isz), isz) };
            for (kidx, segs) in table.iter().enumerate() {
                for &(o, i, len) in segs {
                    for t in 0..len {
                        if ip[o + t] as usize == kidx {
                            xo[i + t * s] += gp[o + t];
                        }
                    }
                }
            }
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
    let iv = index_vec(OP, indexes, geo.k_size())?;
    let dt = compute_dtype(OP, "x", x.dtype())?;
    let xa = prepared(OP, x, dt)?;
    let mut y = new_c(dt, &yshape, true)?;
    let (isz, osz) = (geo.in_size(), geo.out_size());
    let s = *geo.s.last().expect("spatial axes");
    by_float!(dt, T => {
        let xs = slice::<T>(&xa);
        let yp = SyncPtr(slice_mut::<T>(&mut y).as_mut_ptr());
        let table = segments(&geo);
        par_planes(n * c, isz, |pl| {
            let (xp, ip) = (&xs[pl * isz..(pl + 1) * isz], &iv[pl * osz..(pl + 1) * osz]);
            // SAFETY: plane `pl` owns its part of `y`.
            let yo = unsafe { std::slice::from_raw_parts_mut(yp.get().add(pl * osz), osz) };
            for (kidx, segs) in table.iter().enumerate() {
                for &(o, i, len) in segs {
                    for t in 0..len {
                        if ip[o + t] as usize == kidx {
                            yo[o + t] = xp[i + t * s];
                        }
                    }
                }
            }
        });
    });
    cast_back(y, x.dtype())
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
    let inv = inverse_widths(&geo, div);
    let dt = compute_dtype(OP, "gy", gy.dtype())?;
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
