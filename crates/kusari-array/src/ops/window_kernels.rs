//! The sliding-window operations of [`conv`](super::conv) and
//! [`pool`](super::pool) off the CPU: `im2col`, `col2im` and the pooling
//! kernels as [`ElementwiseKernel`](crate::ElementwiseKernel)s over any
//! number of spatial axes, and the three convolution products as `im2col` /
//! `col2im` around the device's `matmul` (cuBLAS on a GPU), as Chainer does
//! on CUDA.
//!
//! The geometry travels as one small `int64` array `g` of six rows of `nd`
//! entries (input size, output size, kernel size, stride, pad, dilation per
//! axis), so one kernel serves every dimensionality. Every kernel gathers:
//! each output element is written by one thread, which loops over the window
//! taps that touch it; nothing needs atomics, and the sums are taken in the
//! order the CPU loops take them, so the interpreter reproduces the CPU
//! results exactly and a GPU differs only by fused multiply-adds.

use super::kernel_path::{cached, KernelDef};
use crate::backend::cpu::conv::Geo;
use crate::{Array, DType, ElementwiseKernel, KernelArg, Order, Result, Scalar, SliceArg};
use std::sync::OnceLock;

/// Decomposes output position `oi` (within a plane) and tap `ki` axis by
/// axis, last axis fastest: `off` is the input offset the tap reads,
/// `inside` whether it lies in the input (not the padding); afterwards `st`
/// is the plane's input size.
macro_rules! from_out {
    () => {
        "long long off = 0; long long st = 1; bool inside = true;
         for (long long a = nd - 1; a >= 0; a--) {
           long long o = oi % g[nd + a]; oi = oi / g[nd + a];
           long long k = ki % g[2 * nd + a]; ki = ki / g[2 * nd + a];
           long long p = o * g[3 * nd + a] - g[4 * nd + a] + k * g[5 * nd + a];
           if (p < 0 || p >= g[a]) { inside = false; }
           off += p * st; st *= g[a];
         }"
    };
}

/// Decomposes input position `pi` (within a plane) and tap `ki`: `oflat`
/// is the output position whose window reads `pi` through that tap, `hit`
/// whether there is one. `$extra` runs per axis with `o`, `n_in`, `n_k`,
/// `s`, `pad`, `d` in scope.
macro_rules! from_in {
    ($extra:literal) => {
        concat!(
            "long long oflat = 0; long long ost = 1; bool hit = true;
             for (long long a = nd - 1; a >= 0; a--) {
               long long n_in = g[a]; long long n_out = g[nd + a]; long long n_k = g[2 * nd + a];
               long long s = g[3 * nd + a]; long long pad = g[4 * nd + a]; long long d = g[5 * nd + a];
               long long pos = pi % n_in; pi = pi / n_in;
               long long k = ki % n_k; ki = ki / n_k;
               long long q = pos + pad - k * d;
               long long o = q / s;
               if (q < 0 || q % s != 0 || o >= n_out) { hit = false; }
               oflat += o * ost; ost *= n_out;",
            $extra,
            "}"
        )
    };
}

/// The plane's input size `isz` from the geometry.
macro_rules! plane_in {
    () => {
        "long long isz = 1; for (long long a = 0; a < nd; a++) { isz *= g[a]; } "
    };
}

/// `col (N, C, *k, *out)` from `x (N, C, *in)`; padding reads `pad_value`.
pub(crate) const IM2COL: KernelDef = (
    "kusari_im2col",
    "raw T x, raw int64 g, int64 nd, int64 osz, int64 ksz, T pad_value",
    "T col",
    concat!(
        "long long oi = i % osz; long long r = i / osz;
         long long ki = r % ksz; long long nc = r / ksz; ",
        from_out!(),
        "if (inside) { col = x[nc * st + off]; } else { col = pad_value; }"
    ),
);

/// `x (N, C, *in)` from `col (N, C, *k, *out)`: each element sums the taps
/// landing on it, taps in ascending order (as the CPU's `col2im`).
pub(crate) const COL2IM: KernelDef = (
    "kusari_col2im",
    "raw T col, raw int64 g, int64 nd, int64 osz, int64 ksz",
    "T x",
    concat!(
        plane_in!(),
        "long long nc = i / isz; T acc = 0;
         for (long long t = 0; t < ksz; t++) {
           long long pi = i % isz; long long ki = t; ",
        from_in!(""),
        "  if (hit) { acc += col[(nc * ksz + t) * osz + oflat]; }
         }
         x = acc;"
    ),
);

/// Max pooling with the window-local argmax. The CPU loop's rules: a tap
/// wins when it is not `<=` the best so far and the best is not NaN (so
/// the first NaN or the first maximum wins); a window wholly in the padding
/// gives `lowest` (-inf) and index 0.
pub(crate) const MAX_POOL: KernelDef = (
    "kusari_max_pool",
    "raw T x, raw int64 g, int64 nd, int64 osz, int64 ksz, T lowest",
    "T y, int32 idx",
    concat!(
        plane_in!(),
        "long long base = (i / osz) * isz; T best = lowest; int arg = 0;
         for (long long t = 0; t < ksz; t++) {
           long long oi = i % osz; long long ki = t; ",
        from_out!(),
        "  if (inside) {
             T v = x[base + off];
             if (!(v <= best) && best == best) { best = v; arg = (int)t; }
           }
         }
         y = best; idx = arg;"
    ),
);

/// The gradient of max pooling, gathered: each input element sums the `gy`
/// of the windows that chose it. Taps in descending order visit the
/// windows in ascending order, the CPU loop's order.
pub(crate) const MAX_POOL_SCATTER: KernelDef = (
    "kusari_max_pool_scatter",
    "raw T gy, raw int32 idx, raw int64 g, int64 nd, int64 osz, int64 ksz",
    "T gx",
    concat!(
        plane_in!(),
        "long long nc = i / isz; T acc = 0;
         for (long long t = ksz - 1; t >= 0; t--) {
           long long pi = i % isz; long long ki = t; ",
        from_in!(""),
        "  if (hit) {
             long long at = nc * osz + oflat;
             if (idx[at] == t) { acc += gy[at]; }
           }
         }
         gx = acc;"
    ),
);

/// `x` read at each window's chosen tap (0 in the padding). Indexes
/// outside the window read 0: checking them would cost a synchronization.
pub(crate) const MAX_POOL_GATHER: KernelDef = (
    "kusari_max_pool_gather",
    "raw T x, int32 chosen, raw int64 g, int64 nd, int64 osz, int64 ksz",
    "T y",
    concat!(
        plane_in!(),
        "long long base = (i / osz) * isz; long long oi = i % osz; long long ki = chosen;
         bool valid = ki >= 0 && ki < ksz; ",
        from_out!(),
        "y = 0;
         if (valid && inside) { y = x[base + off]; }"
    ),
);

/// Average (`div` 0: by the window size, 1: by the taps inside the input)
/// or sum (`div` 2) pooling, taps summed in ascending order.
pub(crate) const AVG_POOL: KernelDef = (
    "kusari_avg_pool",
    "raw T x, raw int64 g, int64 nd, int64 osz, int64 ksz, int64 div",
    "T y",
    concat!(
        plane_in!(),
        "long long base = (i / osz) * isz; T acc = 0; long long cnt = 0;
         for (long long t = 0; t < ksz; t++) {
           long long oi = i % osz; long long ki = t; ",
        from_out!(),
        "  if (inside) { acc += x[base + off]; cnt += 1; }
         }
         double inv = 1.0;
         if (div == 0) { inv = 1.0 / (double)ksz; }
         if (div == 1) { if (cnt == 0) { inv = 0.0; } else { inv = 1.0 / (double)cnt; } }
         y = acc * (T)inv;"
    ),
);

/// The adjoint of [`AVG_POOL`]: each input element sums `gy / divisor` of
/// the windows covering it. With `div` 1 a window's divisor is the product
/// over axes of its taps inside the input along that axis.
pub(crate) const AVG_POOL_GRAD: KernelDef = (
    "kusari_avg_pool_grad",
    "raw T gy, raw int64 g, int64 nd, int64 osz, int64 ksz, int64 div",
    "T gx",
    concat!(
        plane_in!(),
        "long long nc = i / isz; T acc = 0;
         for (long long t = 0; t < ksz; t++) {
           long long pi = i % isz; long long ki = t; long long cnt = 1; ",
        from_in!(
            "if (div == 1) {
               long long c = 0;
               for (long long kk = 0; kk < n_k; kk++) {
                 long long pp = o * s - pad + kk * d;
                 if (pp >= 0 && pp < n_in) { c += 1; }
               }
               cnt *= c;
             }"
        ),
        "  if (hit) {
             double inv = 1.0;
             if (div == 0) { inv = 1.0 / (double)ksz; }
             if (div == 1) { if (cnt == 0) { inv = 0.0; } else { inv = 1.0 / (double)cnt; } }
             acc += gy[nc * osz + oflat] * (T)inv;
           }
         }
         gx = acc;"
    ),
);

/// Every kernel here, for the NVRTC check (float32 and float64).
pub(crate) const KERNELS: &[KernelDef] = &[
    IM2COL,
    COL2IM,
    MAX_POOL,
    MAX_POOL_SCATTER,
    MAX_POOL_GATHER,
    AVG_POOL,
    AVG_POOL_GRAD,
];

fn kernel(k: usize) -> &'static ElementwiseKernel {
    static CELLS: [OnceLock<ElementwiseKernel>; 7] = [const { OnceLock::new() }; 7];
    cached(&CELLS[k], KERNELS[k])
}

/// `a` as a C-contiguous array of `dtype` on its device.
pub(crate) fn contiguous(a: &Array, dtype: DType) -> Result<Array> {
    if a.dtype() == dtype && a.is_c_contiguous() {
        Ok(a.clone())
    } else {
        a.astype_order(dtype, Order::C)
    }
}

/// The geometry as the kernels read it, on `like`'s device.
fn geo_array(geo: &Geo, like: &Array) -> Result<Array> {
    let nd = geo.inp.len();
    let v: Vec<i64> = [&geo.inp, &geo.out, &geo.k, &geo.s, &geo.p, &geo.d]
        .iter()
        .flat_map(|row| row.iter().map(|&v| v as i64))
        .collect();
    Array::from_vec(v, &[6 * nd])?.to_device(like.device())
}

/// A fresh C-ordered array on `like`'s device.
fn fresh(dtype: DType, shape: &[usize], like: &Array) -> Result<Array> {
    Array::uninit_ordered(dtype, shape, Order::C, None, like.device())
}

/// A scalar argument of `data`'s dtype.
fn scalar_of(v: f64, data: &Array) -> KernelArg<'static> {
    KernelArg::Scalar(Scalar::Float(v), data.dtype())
}

/// Runs kernel `k` with `data`, `before`, the geometry, then `after`,
/// writing `outs` (fresh, all of one size).
fn launch(
    k: usize,
    data: &Array,
    before: &[KernelArg],
    geo: &Geo,
    after: &[KernelArg],
    outs: &mut [&mut Array],
) -> Result<()> {
    if outs[0].size() == 0 {
        return Ok(());
    }
    let g = geo_array(geo, data)?;
    let mut args = vec![KernelArg::from(data)];
    args.extend(before.iter().cloned());
    args.extend([
        KernelArg::from(&g),
        KernelArg::from(geo.inp.len() as i64),
        KernelArg::from(geo.out_size() as i64),
        KernelArg::from(geo.k_size() as i64),
    ]);
    args.extend(after.iter().cloned());
    kernel(k).call_with(&args, outs, None)?;
    Ok(())
}

fn nc_shape(x: &Array, spatial: &[usize]) -> Vec<usize> {
    let mut s = x.shape()[..2].to_vec();
    s.extend(spatial);
    s
}

/// [`IM2COL`] over the C-contiguous `x` (of the compute dtype).
pub(crate) fn im2col(x: &Array, geo: &Geo, pad_value: f64) -> Result<Array> {
    let mut shape = nc_shape(x, &geo.k);
    shape.extend(&geo.out);
    let mut col = fresh(x.dtype(), &shape, x)?;
    launch(0, x, &[], geo, &[scalar_of(pad_value, x)], &mut [&mut col])?;
    Ok(col)
}

/// [`COL2IM`]: `col (N, C, *k, *out)` (C-contiguous) to `(N, C, *in)`.
pub(crate) fn col2im(col: &Array, geo: &Geo) -> Result<Array> {
    let mut x = fresh(col.dtype(), &nc_shape(col, &geo.inp), col)?;
    launch(1, col, &[], geo, &[], &mut [&mut x])?;
    Ok(x)
}

/// [`MAX_POOL`]: `(y, indexes)` for the C-contiguous `x`.
pub(crate) fn max_pooling(x: &Array, geo: &Geo) -> Result<(Array, Array)> {
    let shape = nc_shape(x, &geo.out);
    let mut y = fresh(x.dtype(), &shape, x)?;
    let mut idx = fresh(DType::I32, &shape, x)?;
    let lowest = scalar_of(f64::NEG_INFINITY, x);
    launch(2, x, &[], geo, &[lowest], &mut [&mut y, &mut idx])?;
    Ok((y, idx))
}

/// [`MAX_POOL_SCATTER`]: the `(N, C, *in)` gradient from `gy` and its indexes.
pub(crate) fn max_pooling_scatter(gy: &Array, indexes: &Array, geo: &Geo) -> Result<Array> {
    let idx = contiguous(indexes, DType::I32)?;
    let mut gx = fresh(gy.dtype(), &nc_shape(gy, &geo.inp), gy)?;
    launch(3, gy, &[KernelArg::from(&idx)], geo, &[], &mut [&mut gx])?;
    Ok(gx)
}

/// [`MAX_POOL_GATHER`]: `x` read at the chosen taps.
pub(crate) fn max_pooling_gather(x: &Array, indexes: &Array, geo: &Geo) -> Result<Array> {
    let idx = contiguous(indexes, DType::I32)?;
    let mut y = fresh(x.dtype(), &nc_shape(x, &geo.out), x)?;
    launch(4, x, &[KernelArg::from(&idx)], geo, &[], &mut [&mut y])?;
    Ok(y)
}

/// [`AVG_POOL`] (`grad` false) or [`AVG_POOL_GRAD`] with divisor code `div`.
pub(crate) fn average_pooling(a: &Array, geo: &Geo, div: i64, grad: bool) -> Result<Array> {
    let (k, spatial) = if grad { (6, &geo.inp) } else { (5, &geo.out) };
    let mut out = fresh(a.dtype(), &nc_shape(a, spatial), a)?;
    launch(k, a, &[], geo, &[KernelArg::from(div)], &mut [&mut out])?;
    Ok(out)
}

/// Group `gi`'s `(N, m, rest)` view of `a` (C-contiguous, `N × groups·m·rest` elements).
fn group(a: &Array, groups: usize, gi: usize, (m, rest): (usize, usize)) -> Result<Array> {
    let n = a.shape()[0];
    let v = a.reshape(&[n as isize, groups as isize, m as isize, rest as isize])?;
    v.slice(&[
        SliceArg::full(),
        SliceArg::Index(gi as isize),
        SliceArg::full(),
        SliceArg::full(),
    ])
}

/// Joins per-group `(N, m, rest)` results along axis 1.
fn join_groups(parts: Vec<Array>) -> Result<Array> {
    if parts.len() == 1 {
        return Ok(parts.into_iter().next().expect("one part"));
    }
    let refs: Vec<&Array> = parts.iter().collect();
    super::manip::concatenate(&refs, 1)
}

fn add_bias(y: Array, b: Option<&Array>, dt: DType) -> Result<Array> {
    let Some(b) = b else { return Ok(y) };
    let mut shape = vec![1isize, -1];
    shape.extend(std::iter::repeat_n(1, y.ndim() - 2));
    let b = b.astype(dt)?.reshape(&shape)?;
    super::ufunc::binary(super::ufunc::BinaryOp::Add, &y, &b)
}

/// [`convolution`](super::conv::convolution): `W_g · im2col(x)_g` per group.
pub(crate) fn convolution(
    x: &Array,
    w: &Array,
    b: Option<&Array>,
    groups: usize,
    geo: &Geo,
    dt: DType,
) -> Result<Array> {
    let (n, o, g) = (x.shape()[0], w.shape()[0], groups);
    let (og, ps) = (o / g, geo.out_size());
    let col = im2col(&contiguous(x, dt)?, geo, 0.0)?;
    let r = x.shape()[1] / g * geo.k_size();
    let wm = contiguous(w, dt)?.reshape(&[g as isize, og as isize, r as isize])?;
    let parts = (0..g)
        .map(|gi| {
            let wg = wm.slice(&[
                SliceArg::Index(gi as isize),
                SliceArg::full(),
                SliceArg::full(),
            ])?;
            super::linalg::matmul(&wg, &group(&col, g, gi, (r, ps))?)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut shape = vec![n, o];
    shape.extend(&geo.out);
    let y = join_groups(parts)?.reshape(&shape.iter().map(|&v| v as isize).collect::<Vec<_>>())?;
    add_bias(y, b, dt)
}

/// [`convolution_transpose`](super::conv::convolution_transpose):
/// `col2im(W_gᵀ · x_g)`; `geo` runs from the output grid (`inp`) to `x`'s (`out`).
pub(crate) fn convolution_transpose(
    x: &Array,
    w: &Array,
    b: Option<&Array>,
    groups: usize,
    geo: &Geo,
    dt: DType,
) -> Result<Array> {
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let (cg, og) = (c / groups, w.shape()[1]);
    let (ks, ps) = (geo.k_size(), geo.out_size());
    let xc = contiguous(x, dt)?;
    let wm = contiguous(w, dt)?.reshape(&[groups as isize, cg as isize, (og * ks) as isize])?;
    let parts = (0..groups)
        .map(|gi| {
            let wg = wm.slice(&[
                SliceArg::Index(gi as isize),
                SliceArg::full(),
                SliceArg::full(),
            ])?;
            super::linalg::matmul(&wg.transpose(None)?, &group(&xc, groups, gi, (cg, ps))?)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut shape = vec![n as isize, (og * groups) as isize];
    shape.extend(geo.k.iter().chain(&geo.out).map(|&v| v as isize));
    let col = join_groups(parts)?.reshape(&shape)?;
    let y = col2im(&col, geo)?;
    add_bias(y, b, dt)
}

/// [`convolution_grad_weight`](super::conv::convolution_grad_weight):
/// `Σ_n gy_g[n] · im2col(x)_g[n]ᵀ` per group, as one batched product and a
/// sum over the batch.
pub(crate) fn convolution_grad_weight(
    x: &Array,
    gy: &Array,
    groups: usize,
    geo: &Geo,
    dt: DType,
) -> Result<Array> {
    let (n, c, o) = (x.shape()[0], x.shape()[1], gy.shape()[1]);
    let (cg, ps) = (c / groups, geo.out_size());
    let r = cg * geo.k_size();
    let col = im2col(&contiguous(x, dt)?, geo, 0.0)?;
    let gyc = contiguous(gy, dt)?;
    let parts = (0..groups)
        .map(|gi| {
            if n == 0 {
                return Array::zeros_on(&[o / groups, r], dt, x.device());
            }
            let colg = group(&col, groups, gi, (r, ps))?;
            let gyg = group(&gyc, groups, gi, (o / groups, ps))?;
            let prod = super::linalg::matmul(&gyg, &colg.swapaxes(1, 2)?)?;
            prod.sum(Some(&[0]), false)
        })
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&Array> = parts.iter().collect();
    let gw = super::manip::concatenate(&refs, 0)?;
    let mut shape = vec![o as isize, cg as isize];
    shape.extend(geo.k.iter().map(|&v| v as isize));
    gw.reshape(&shape)
}

#[cfg(test)]
mod tests {
    use super::super::conv::{self, ConvParams, Window};
    use super::super::kernel_path::forced;
    use super::super::pool::{self, PoolDivisor};
    use crate::{Array, DType};

    /// Values in [-2, 2) from a fixed LCG, with ties (a few distinct values
    /// per 16) so max pooling's tie rule is exercised.
    fn data(shape: &[usize], seed: u64, dtype: DType) -> Array {
        let n: usize = shape.iter().product();
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v: Vec<f64> = (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) % 16) as f64 / 4.0 - 2.0 + ((s >> 20) % 3) as f64 * 0.0625
            })
            .collect();
        Array::from_vec(v, shape).unwrap().astype(dtype).unwrap()
    }

    /// The same array as a non-contiguous view (a transpose of a copy).
    fn strided(a: &Array) -> Array {
        let t = a.swapaxes(0, 1).unwrap().ascontiguousarray().unwrap();
        t.swapaxes(0, 1).unwrap()
    }

    fn close(what: &str, got: &Array, want: &Array, tol: f64) {
        assert_eq!(got.shape(), want.shape(), "{what}: shape");
        assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
        let g = got.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        let w = want.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        for (i, (a, b)) in g.iter().zip(&w).enumerate() {
            let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * (1.0 + b.abs());
            assert!(
                ok,
                "{what}: element {i}: kernel {a} vs loop {b} (tolerance {tol})"
            );
        }
    }

    /// (input size, ksize, stride, pad, dilate, cover_all): 1-D, 2-D with
    /// dilation, padding wider than the kernel, cover_all, 3-D.
    type Case = (
        &'static [usize],
        &'static [usize],
        &'static [usize],
        &'static [usize],
        &'static [usize],
        bool,
    );
    const CASES: [Case; 6] = [
        (&[9], &[3], &[2], &[1], &[1], false),
        (&[7, 6], &[3, 2], &[1, 2], &[1, 0], &[1, 1], true),
        (&[8, 7], &[3, 3], &[2, 1], &[1, 2], &[2, 1], false),
        (&[5, 5], &[2, 2], &[2, 2], &[3, 3], &[1, 1], false),
        (&[6, 7], &[3, 3], &[2, 2], &[1, 1], &[1, 1], true),
        (
            &[4, 5, 3],
            &[2, 3, 2],
            &[1, 2, 1],
            &[1, 1, 0],
            &[1, 1, 2],
            false,
        ),
    ];

    fn window(c: &Case) -> Window {
        let (_, k, s, p, d, cover_all) = *c;
        Window {
            ksize: k.to_vec(),
            stride: s.to_vec(),
            pad: p.to_vec(),
            dilate: d.to_vec(),
            cover_all,
        }
    }

    fn shape(n: usize, c: usize, sp: &[usize]) -> Vec<usize> {
        let mut s = vec![n, c];
        s.extend(sp);
        s
    }

    /// The window kernels (run by the interpreter) against the CPU loops:
    /// im2col, col2im and every pooling kernel exactly (the kernels sum in
    /// the loops' order), in f32 and f64, contiguous and strided, with a
    /// NaN for max pooling.
    #[test]
    fn window_kernels_match_the_cpu_loops() {
        for (ci, case) in CASES.iter().enumerate() {
            let w = window(case);
            let inp = case.0;
            for dt in [DType::F32, DType::F64] {
                let x0 = data(&shape(3, 2, inp), ci as u64, dt);
                let mut xv = x0.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
                xv[5] = f64::NAN;
                let xnan = Array::from_vec(xv, x0.shape()).unwrap().astype(dt).unwrap();
                for x in [x0.clone(), strided(&x0)] {
                    let what = format!("case {ci} {dt} strided={}", !x.is_c_contiguous());
                    let col = conv::im2col(&x, &w, 0.5).unwrap();
                    close(
                        &format!("im2col {what}"),
                        &forced(|| conv::im2col(&x, &w, 0.5)).unwrap(),
                        &col,
                        0.0,
                    );
                    let back = conv::col2im(&col, &w, inp).unwrap();
                    close(
                        &format!("col2im {what}"),
                        &forced(|| conv::col2im(&col, &w, inp)).unwrap(),
                        &back,
                        0.0,
                    );
                    for div in [
                        PoolDivisor::WindowSize,
                        PoolDivisor::Valid,
                        PoolDivisor::One,
                    ] {
                        let y = pool::average_pooling(&x, &w, div).unwrap();
                        close(
                            &format!("average {div:?} {what}"),
                            &forced(|| pool::average_pooling(&x, &w, div)).unwrap(),
                            &y,
                            0.0,
                        );
                        let gx = pool::average_pooling_grad(&y, &w, inp, div).unwrap();
                        let kgx = forced(|| pool::average_pooling_grad(&y, &w, inp, div)).unwrap();
                        close(&format!("average grad {div:?} {what}"), &kgx, &gx, 0.0);
                    }
                }
                for x in [x0.clone(), xnan] {
                    let what = format!("case {ci} {dt}");
                    let (y, idx) = pool::max_pooling(&x, &w).unwrap();
                    let (ky, kidx) = forced(|| pool::max_pooling(&x, &w)).unwrap();
                    close(&format!("max {what}"), &ky, &y, 0.0);
                    assert_eq!(
                        kidx.to_vec::<i32>().unwrap(),
                        idx.to_vec::<i32>().unwrap(),
                        "max indexes {what}"
                    );
                    let gy = data(y.shape(), 7, dt);
                    let gx = pool::max_pooling_scatter(&gy, &idx, &w, inp).unwrap();
                    close(
                        &format!("max scatter {what}"),
                        &forced(|| pool::max_pooling_scatter(&gy, &idx, &w, inp)).unwrap(),
                        &gx,
                        0.0,
                    );
                    let gg = pool::max_pooling_gather(&x, &idx, &w).unwrap();
                    close(
                        &format!("max gather {what}"),
                        &forced(|| pool::max_pooling_gather(&x, &idx, &w)).unwrap(),
                        &gg,
                        0.0,
                    );
                }
            }
        }
    }

    /// Convolution, its transpose and its weight gradient through im2col /
    /// col2im and matmul against the CPU's direct loops, with groups, bias,
    /// strided operands and float16 (computed in float32).
    #[test]
    fn convolution_products_match_the_cpu_loops() {
        for (ci, case) in CASES.iter().enumerate() {
            let (inp, k) = (case.0, case.1);
            for (groups, dt) in [(1, DType::F64), (2, DType::F32), (1, DType::F16)] {
                let p = ConvParams {
                    stride: case.2.to_vec(),
                    pad: case.3.to_vec(),
                    dilate: case.4.to_vec(),
                    cover_all: case.5,
                    groups,
                };
                let tol = match dt {
                    DType::F64 => 1e-12,
                    DType::F32 => 1e-5,
                    _ => 2e-3,
                };
                let (c, o) = (4, 6);
                let what = format!("case {ci} {dt} groups {groups}");
                let x = strided(&data(&shape(3, c, inp), ci as u64, dt));
                let wt = data(&shape(o, c / groups, k), 11, dt);
                let b = data(&[o], 12, dt);
                let y = conv::convolution(&x, &wt, Some(&b), &p).unwrap();
                let ky = forced(|| conv::convolution(&x, &wt, Some(&b), &p)).unwrap();
                close(&format!("convolution {what}"), &ky, &y, tol);
                let gy = strided(&data(y.shape(), 13, dt));
                let gw = conv::convolution_grad_weight(&x, &gy, k, &p).unwrap();
                let kgw = forced(|| conv::convolution_grad_weight(&x, &gy, k, &p)).unwrap();
                close(&format!("grad weight {what}"), &kgw, &gw, tol * 10.0);
                // The input gradient: W is (C_out, C_in/groups, *k) seen from gy.
                let wt_t = data(&shape(o, c / groups, k), 14, dt);
                let bt = data(&[c], 15, dt);
                let gx = conv::convolution_transpose(&gy, &wt_t, Some(&bt), &p, inp).unwrap();
                let kgx =
                    forced(|| conv::convolution_transpose(&gy, &wt_t, Some(&bt), &p, inp)).unwrap();
                close(&format!("transpose {what}"), &kgx, &gx, tol);
            }
        }
        // A zero-size batch gives zero-size outputs and a zero weight gradient.
        let p = ConvParams {
            stride: vec![1, 1],
            pad: vec![1, 1],
            dilate: vec![1, 1],
            cover_all: false,
            groups: 1,
        };
        let x = Array::zeros(&[0, 2, 4, 4], DType::F32).unwrap();
        let wt = data(&[3, 2, 3, 3], 1, DType::F32);
        let y = forced(|| conv::convolution(&x, &wt, None, &p)).unwrap();
        assert_eq!(y.shape(), [0, 3, 4, 4]);
        let gw = forced(|| conv::convolution_grad_weight(&x, &y, &[3, 3], &p)).unwrap();
        assert_eq!(gw.shape(), [3, 2, 3, 3]);
        assert!(gw.to_vec::<f32>().unwrap().iter().all(|&v| v == 0.0));
    }
}
