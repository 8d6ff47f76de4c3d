//! Fused kernels of the neural-network hot path: activation gradients and
//! softmax along an axis, each one pass over memory with no temporaries
//! (what CuPy's fused elementwise and reduction kernels give Chainer).
//! Not NumPy functions; the autograd crate builds on them.
//!
//! float32 and float64 run natively; float16/bfloat16 compute in float32.
//! Off the CPU the same formulas run as elementwise kernels ([`KERNELS`])
//! and reductions (softmax's max and sum along the axis).

use super::kernel_path::{cached, use_kernels, KernelDef};
use crate::{Array, DType, Element, ElementwiseKernel, Error, Order, Result};
use rayon::prelude::*;
use std::sync::OnceLock;

/// The kernels of the path off the CPU, indexed by the `K_*` constants.
pub(crate) const KERNELS: &[KernelDef] = &[
    (
        "kusari_relu_grad",
        "T y, T gy",
        "T gx",
        "gx = y > 0 ? gy : (T)0;",
    ),
    (
        "kusari_sigmoid_grad",
        "T y, T gy",
        "T gx",
        "gx = gy * y * (1 - y);",
    ),
    (
        "kusari_tanh_grad",
        "T y, T gy",
        "T gx",
        "gx = gy * (1 - y * y);",
    ),
    // exp(x - max) with an all -inf slice shifted by 0, as the loops do.
    (
        "kusari_shifted_exp",
        "T x, T m",
        "T e",
        "T s = (isinf(m) && m < 0) ? (T)0 : m; e = exp(x - s);",
    ),
    (
        "kusari_softmax_scale",
        "T e, T s",
        "T y",
        "y = e * (1 / s);",
    ),
    (
        "kusari_log_softmax_out",
        "T x, T m, T s",
        "T y",
        "T sh = (isinf(m) && m < 0) ? (T)0 : m; y = x - (sh + log(s));",
    ),
];
const K_RELU_GRAD: usize = 0;
const K_SIGMOID_GRAD: usize = 1;
const K_TANH_GRAD: usize = 2;
const K_SHIFTED_EXP: usize = 3;
const K_SOFTMAX_SCALE: usize = 4;
const K_LOG_SOFTMAX_OUT: usize = 5;

/// Kernel `i` of [`KERNELS`].
fn kernel(i: usize) -> &'static ElementwiseKernel {
    static CELLS: [OnceLock<ElementwiseKernel>; 6] = [const { OnceLock::new() }; 6];
    cached(&CELLS[i], KERNELS[i])
}

/// The inputs in the compute dtype of the kernel path (float16/bfloat16
/// compute in float32, as the loops do); the result is cast back by the caller.
fn in_compute(ins: &[&Array]) -> Result<Vec<Array>> {
    let dtype = match ins[0].dtype() {
        DType::F64 => DType::F64,
        _ => DType::F32,
    };
    ins.iter()
        .map(|a| {
            if a.dtype() == dtype {
                Ok((*a).clone())
            } else {
                a.astype(dtype)
            }
        })
        .collect()
}

/// `out` in `like`'s dtype.
fn cast_back(out: Array, like: &Array) -> Result<Array> {
    if out.dtype() == like.dtype() {
        Ok(out)
    } else {
        out.astype(like.dtype())
    }
}

/// Elements per parallel task: below this, threads cost more than they save.
const CHUNK: usize = 1 << 15;

/// The float types the kernels are written for.
trait Real: Element + Copy + Send + Sync + PartialOrd + 'static {
    const ZERO: Self;
    const ONE: Self;
    const NEG_INF: Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn is_nan(self) -> bool;
}
macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INF: Self = <$t>::NEG_INFINITY;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self / o
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    };
}
real!(f32);
real!(f64);

fn expect_float(op: &'static str, a: &Array) -> Result<()> {
    if !a.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("expected a float dtype, found {}", a.dtype()),
        ));
    }
    Ok(())
}

fn expect_same(op: &'static str, a: &Array, b: &Array) -> Result<()> {
    expect_float(op, a)?;
    Array::same_device(op, a, b)?;
    if a.dtype() != b.dtype() {
        return Err(Error::dtype(
            op,
            format!(
                "expected equal dtypes, found {} and {}",
                a.dtype(),
                b.dtype()
            ),
        ));
    }
    if a.shape() != b.shape() {
        return Err(Error::shape(
            op,
            format!(
                "expected equal shapes, found {:?} and {:?}",
                a.shape(),
                b.shape()
            ),
        ));
    }
    Ok(())
}

/// `(compute dtype, inputs as C-contiguous arrays of that dtype)`.
fn prepare(arrays: &[&Array]) -> Result<(DType, Vec<Array>)> {
    let dtype = match arrays[0].dtype() {
        DType::F64 => DType::F64,
        _ => DType::F32,
    };
    let v = arrays
        .iter()
        .map(|a| {
            if a.dtype() == dtype {
                a.ascontiguousarray()
            } else {
                a.astype_order(dtype, Order::C)
            }
        })
        .collect::<Result<_>>()?;
    Ok((dtype, v))
}

/// Runs `f(y, g) -> out` over two same-shape float arrays (kernel `k` of
/// [`KERNELS`] off the CPU).
fn zip2(
    op: &'static str,
    k: usize,
    a: &Array,
    b: &Array,
    f32f: impl Fn(f32, f32) -> f32 + Sync,
    f64f: impl Fn(f64, f64) -> f64 + Sync,
) -> Result<Array> {
    expect_same(op, a, b)?;
    if use_kernels(a.device()) {
        let v = in_compute(&[a, b])?;
        return cast_back(kernel(k).call(&[&v[0], &v[1]])?, a);
    }
    let (dtype, v) = prepare(&[a, b])?;
    let mut out = Array::empty(a.shape(), dtype)?;
    fn go<T: Real>(a: &Array, b: &Array, out: &mut Array, f: impl Fn(T, T) -> T + Sync) {
        let (x, y) = (a.as_slice::<T>().unwrap(), b.as_slice::<T>().unwrap());
        let o = out.as_slice_mut::<T>().unwrap();
        let body = |((o, x), y): ((&mut [T], &[T]), &[T])| {
            for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                *o = f(x, y);
            }
        };
        if o.len() <= CHUNK {
            body(((o, x), y));
        } else {
            o.par_chunks_mut(CHUNK)
                .zip(x.par_chunks(CHUNK))
                .zip(y.par_chunks(CHUNK))
                .for_each(body);
        }
    }
    if dtype == DType::F64 {
        go::<f64>(&v[0], &v[1], &mut out, f64f);
    } else {
        go::<f32>(&v[0], &v[1], &mut out, f32f);
    }
    if out.dtype() != a.dtype() {
        out = out.astype(a.dtype())?;
    }
    Ok(out)
}

/// The gradient of ReLU: `gy` where `y > 0`, else 0 (`y` the ReLU output or input).
pub fn relu_grad(y: &Array, gy: &Array) -> Result<Array> {
    zip2(
        "relu_grad",
        K_RELU_GRAD,
        y,
        gy,
        |y, g| if y > 0.0 { g } else { 0.0 },
        |y, g| if y > 0.0 { g } else { 0.0 },
    )
}

/// The gradient of the logistic sigmoid from its output: `gy * y * (1 - y)`.
pub fn sigmoid_grad(y: &Array, gy: &Array) -> Result<Array> {
    zip2(
        "sigmoid_grad",
        K_SIGMOID_GRAD,
        y,
        gy,
        |y, g| g * y * (1.0 - y),
        |y, g| g * y * (1.0 - y),
    )
}

/// The gradient of tanh from its output: `gy * (1 - y * y)`.
pub fn tanh_grad(y: &Array, gy: &Array) -> Result<Array> {
    zip2(
        "tanh_grad",
        K_TANH_GRAD,
        y,
        gy,
        |y, g| g * (1.0 - y * y),
        |y, g| g * (1.0 - y * y),
    )
}

/// `(outer, n, inner)`: the sizes before, along and after `axis`.
fn split_axis(op: &'static str, shape: &[usize], axis: isize) -> Result<(usize, usize, usize)> {
    let nd = shape.len() as isize;
    let ax = if axis < 0 { axis + nd } else { axis };
    if ax < 0 || ax >= nd {
        return Err(Error::Axis {
            op,
            axis,
            ndim: shape.len(),
        });
    }
    let ax = ax as usize;
    Ok((
        shape[..ax].iter().product(),
        shape[ax],
        shape[ax + 1..].iter().product(),
    ))
}

/// Runs `f(block of out, blocks of inputs, n, inner)` on each of the `outer`
/// blocks of `n * inner` elements, in parallel when they are many.
fn blocks<T: Real>(
    ins: &[&Array],
    out: &mut Array,
    (_, n, inner): (usize, usize, usize),
    f: impl Fn(&mut [T], &[&[T]], usize, usize) + Sync,
) {
    let block = n * inner;
    let o = out.as_slice_mut::<T>().unwrap();
    if block == 0 || o.is_empty() {
        return;
    }
    let srcs: Vec<&[T]> = ins.iter().map(|a| a.as_slice::<T>().unwrap()).collect();
    let run = |(k, ob): (usize, &mut [T])| {
        let bs: Vec<&[T]> = srcs
            .iter()
            .map(|s| &s[k * block..(k + 1) * block])
            .collect();
        f(ob, &bs, n, inner);
    };
    if o.len() <= CHUNK {
        o.chunks_mut(block).enumerate().for_each(run);
    } else {
        // Several blocks per task when blocks are small.
        o.par_chunks_mut(block)
            .enumerate()
            .with_min_len(CHUNK.div_ceil(block))
            .for_each(run);
    }
}

/// `max` and `sum(exp(x - max))` along the axis of one block, into `m`, `s` (length `inner`).
fn max_sumexp<T: Real>(x: &[T], n: usize, inner: usize, m: &mut [T], s: &mut [T]) {
    m.fill(T::NEG_INF);
    for j in 0..n {
        for (m, &v) in m.iter_mut().zip(&x[j * inner..(j + 1) * inner]) {
            // NaN propagates, as NumPy's max does.
            if v > *m || v.is_nan() {
                *m = v;
            }
        }
    }
    // An all -inf slice would give -inf - -inf = NaN; shift by 0 there instead.
    for m in m.iter_mut() {
        if *m == T::NEG_INF {
            *m = T::ZERO;
        }
    }
    s.fill(T::ZERO);
    for j in 0..n {
        let row = &x[j * inner..(j + 1) * inner];
        for ((s, &m), &v) in s.iter_mut().zip(m.iter()).zip(row) {
            *s = s.add(v.sub(m).exp());
        }
    }
}

fn axis_op(
    op: &'static str,
    ins: &[&Array],
    axis: isize,
    k32: impl Fn(&mut [f32], &[&[f32]], usize, usize) + Sync,
    k64: impl Fn(&mut [f64], &[&[f64]], usize, usize) + Sync,
) -> Result<Array> {
    expect_float(op, ins[0])?;
    for b in &ins[1..] {
        expect_same(op, ins[0], b)?;
    }
    let dims = split_axis(op, ins[0].shape(), axis)?;
    if use_kernels(ins[0].device()) {
        return cast_back(axis_op_on_device(op, &in_compute(ins)?, axis)?, ins[0]);
    }
    let (dtype, v) = prepare(ins)?;
    let refs: Vec<&Array> = v.iter().collect();
    let mut out = Array::empty(ins[0].shape(), dtype)?;
    if dtype == DType::F64 {
        blocks::<f64>(&refs, &mut out, dims, k64);
    } else {
        blocks::<f32>(&refs, &mut out, dims, k32);
    }
    if out.dtype() != ins[0].dtype() {
        out = out.astype(ins[0].dtype())?;
    }
    Ok(out)
}

/// [`axis_op`] off the CPU: the loops' formulas as reductions along the
/// axis and elementwise kernels, on inputs already in the compute dtype.
fn axis_op_on_device(op: &'static str, v: &[Array], axis: isize) -> Result<Array> {
    let ax = [axis];
    let along = Some(&ax[..]);
    match op {
        "softmax" | "log_softmax" => {
            let x = &v[0];
            let m = x.max(along, true)?;
            let e = kernel(K_SHIFTED_EXP).call(&[x, &m])?;
            let s = e.sum(along, true)?;
            if op == "softmax" {
                kernel(K_SOFTMAX_SCALE).call(&[&e, &s])
            } else {
                kernel(K_LOG_SOFTMAX_OUT).call(&[x, &m, &s])
            }
        }
        "softmax_grad" => {
            let (y, gy) = (&v[0], &v[1]);
            let t = y.mul(gy)?.sum(along, true)?;
            y.mul(&gy.sub(&t)?)
        }
        "log_softmax_grad" => {
            let (y, gy) = (&v[0], &v[1]);
            let t = gy.sum(along, true)?;
            gy.sub(&y.exp()?.mul(&t)?)
        }
        _ => unreachable!("axis_op is only called by the four softmax functions"),
    }
}

fn softmax_block<T: Real>(o: &mut [T], x: &[&[T]], n: usize, inner: usize) {
    let (mut m, mut s) = (vec![T::ZERO; inner], vec![T::ZERO; inner]);
    max_sumexp(x[0], n, inner, &mut m, &mut s);
    for v in s.iter_mut() {
        *v = T::ONE.div(*v);
    }
    for j in 0..n {
        let r = j * inner..(j + 1) * inner;
        for (((o, &v), &m), &s) in o[r.clone()].iter_mut().zip(&x[0][r]).zip(&m).zip(&s) {
            *o = v.sub(m).exp().mul(s);
        }
    }
}

fn log_softmax_block<T: Real>(o: &mut [T], x: &[&[T]], n: usize, inner: usize) {
    let (mut m, mut s) = (vec![T::ZERO; inner], vec![T::ZERO; inner]);
    max_sumexp(x[0], n, inner, &mut m, &mut s);
    for (s, &m) in s.iter_mut().zip(&m) {
        *s = m.add(s.ln());
    }
    for j in 0..n {
        let r = j * inner..(j + 1) * inner;
        for ((o, &v), &c) in o[r.clone()].iter_mut().zip(&x[0][r]).zip(&s) {
            *o = v.sub(c);
        }
    }
}

/// `t[i] = sum_j a[j, i] * b[j, i]` (with `b` all ones when `None`).
fn axis_dot<T: Real>(a: &[T], b: Option<&[T]>, n: usize, inner: usize) -> Vec<T> {
    let mut t = vec![T::ZERO; inner];
    for j in 0..n {
        let r = j * inner..(j + 1) * inner;
        match b {
            Some(b) => {
                for ((t, &a), &b) in t.iter_mut().zip(&a[r.clone()]).zip(&b[r]) {
                    *t = t.add(a.mul(b));
                }
            }
            None => {
                for (t, &a) in t.iter_mut().zip(&a[r]) {
                    *t = t.add(a);
                }
            }
        }
    }
    t
}

fn softmax_grad_block<T: Real>(o: &mut [T], x: &[&[T]], n: usize, inner: usize) {
    let (y, gy) = (x[0], x[1]);
    let t = axis_dot(y, Some(gy), n, inner);
    for j in 0..n {
        let r = j * inner..(j + 1) * inner;
        for (((o, &y), &g), &t) in o[r.clone()]
            .iter_mut()
            .zip(&y[r.clone()])
            .zip(&gy[r])
            .zip(&t)
        {
            *o = y.mul(g.sub(t));
        }
    }
}

fn log_softmax_grad_block<T: Real>(o: &mut [T], x: &[&[T]], n: usize, inner: usize) {
    let (y, gy) = (x[0], x[1]);
    let t = axis_dot(gy, None, n, inner);
    for j in 0..n {
        let r = j * inner..(j + 1) * inner;
        for (((o, &y), &g), &t) in o[r.clone()]
            .iter_mut()
            .zip(&y[r.clone()])
            .zip(&gy[r])
            .zip(&t)
        {
            *o = g.sub(y.exp().mul(t));
        }
    }
}

/// Softmax along `axis`: `exp(x - max) / sum(exp(x - max))`, in one pass per slice.
pub fn softmax(x: &Array, axis: isize) -> Result<Array> {
    axis_op("softmax", &[x], axis, softmax_block, softmax_block)
}

/// Log-softmax along `axis`: `x - max - log(sum(exp(x - max)))` (no overflow
/// for large inputs, no `log(0)` for very negative ones).
pub fn log_softmax(x: &Array, axis: isize) -> Result<Array> {
    axis_op(
        "log_softmax",
        &[x],
        axis,
        log_softmax_block,
        log_softmax_block,
    )
}

/// The gradient of softmax from its output `y`: `y * (gy - sum(y * gy, axis))`.
pub fn softmax_grad(y: &Array, gy: &Array, axis: isize) -> Result<Array> {
    axis_op(
        "softmax_grad",
        &[y, gy],
        axis,
        softmax_grad_block,
        softmax_grad_block,
    )
}

/// The gradient of log-softmax from its output `y`: `gy - exp(y) * sum(gy, axis)`.
pub fn log_softmax_grad(y: &Array, gy: &Array, axis: isize) -> Result<Array> {
    axis_op(
        "log_softmax_grad",
        &[y, gy],
        axis,
        log_softmax_grad_block,
        log_softmax_grad_block,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Array, b: &Array) {
        let (a, b) = (a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-6 + 1e-6 * y.abs(), "{x} vs {y}");
        }
    }

    fn sample(shape: &[usize]) -> Array {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 23) as f64 / 5.0 - 2.0)
            .collect();
        Array::from_vec(v, shape).unwrap()
    }

    /// Every function's kernel path (forced on the CPU: the kernels run in
    /// the interpreter, the reductions in the CPU backend) against its
    /// loops: float16/32/64, every axis, strided input, a slice of -inf, NaN
    /// and large values. The sums along the axis add in another order, so
    /// the tolerance is a few float32 ulps (float16: its own rounding).
    #[test]
    fn kernel_path_matches_the_loops() {
        use super::super::kernel_path::forced;
        let mut v: Vec<f64> = (0..60)
            .map(|i| ((i * 7919) % 23) as f64 / 3.0 - 4.0)
            .collect();
        // Row 0 of axis 2 (x[0, 0, :]) all -inf; a NaN and a large value elsewhere.
        v[..5].fill(f64::NEG_INFINITY);
        v[17] = f64::NAN;
        v[33] = 80.0;
        let base = Array::from_vec(v, &[3, 4, 5]).unwrap();
        let strided = base.swapaxes(0, 2).unwrap(); // (5, 4, 3), not contiguous
        let gy =
            Array::from_vec((0..60).map(|i| (i % 7) as f64 - 3.0).collect(), &[5, 4, 3]).unwrap();
        for dtype in [DType::F16, DType::F32, DType::F64] {
            let x = strided.astype(dtype).unwrap();
            let g = gy.astype(dtype).unwrap();
            let tol = match dtype {
                DType::F64 => 1e-12,
                DType::F32 => 1e-5,
                _ => 2e-3,
            };
            let same = |name: &str, f: &dyn Fn() -> Result<Array>| {
                let cpu = f().unwrap();
                let ker = forced(f).unwrap();
                assert_eq!(
                    (ker.dtype(), ker.shape()),
                    (cpu.dtype(), cpu.shape()),
                    "{name}"
                );
                let (a, b) = (
                    cpu.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                    ker.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                );
                for (i, (a, b)) in a.iter().zip(&b).enumerate() {
                    let ok = (a.is_nan() && b.is_nan())
                        || a == b
                        || (a - b).abs() <= tol * (1.0 + a.abs());
                    assert!(ok, "{name} {dtype} [{i}]: loop {a}, kernel path {b}");
                }
            };
            // Finite outputs for the gradients' `y`: softmax of the input.
            let y = softmax(&x, 1).unwrap();
            same("relu_grad", &|| relu_grad(&x, &g));
            same("sigmoid_grad", &|| sigmoid_grad(&y, &g));
            same("tanh_grad", &|| tanh_grad(&y, &g));
            for axis in [0isize, 1, 2, -1] {
                same("softmax", &|| softmax(&x, axis));
                same("log_softmax", &|| log_softmax(&x, axis));
                let ys = softmax(&x, axis).unwrap();
                same("softmax_grad", &|| softmax_grad(&ys, &g, axis));
                let ly = log_softmax(&x, axis).unwrap();
                same("log_softmax_grad", &|| log_softmax_grad(&ly, &g, axis));
            }
        }
    }

    #[test]
    fn softmax_matches_composed_ops_on_every_axis() {
        let x = sample(&[3, 4, 5]);
        for axis in [0isize, 1, 2, -1] {
            let m = x.max(Some(&[axis]), true).unwrap();
            let e = x.subtract(&m).unwrap().exp().unwrap();
            let want = e.true_divide(&e.sum(Some(&[axis]), true).unwrap()).unwrap();
            close(&softmax(&x, axis).unwrap(), &want);
            let lw = want.log().unwrap();
            close(&log_softmax(&x, axis).unwrap(), &lw);
        }
    }

    #[test]
    fn softmax_grads_match_composed_ops() {
        let x = sample(&[2, 3, 4]);
        let gy = sample(&[4, 3, 2]).reshape_to(&[2, 3, 4]).unwrap();
        let y = softmax(&x, 1).unwrap();
        let t = y.multiply(&gy).unwrap().sum(Some(&[1]), true).unwrap();
        let want = y.multiply(&gy.subtract(&t).unwrap()).unwrap();
        close(&softmax_grad(&y, &gy, 1).unwrap(), &want);
        let ly = log_softmax(&x, 1).unwrap();
        let s = gy.sum(Some(&[1]), true).unwrap();
        let want = gy
            .subtract(&ly.exp().unwrap().multiply(&s).unwrap())
            .unwrap();
        close(&log_softmax_grad(&ly, &gy, 1).unwrap(), &want);
    }

    #[test]
    fn log_softmax_is_stable_for_large_inputs() {
        let x = Array::from_vec(vec![1000.0f32, 0.0, -1000.0], &[1, 3]).unwrap();
        let y = log_softmax(&x, 1).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(y, vec![0.0, -1000.0, -2000.0]);
    }

    #[test]
    fn activation_grads_and_non_contiguous_and_half_inputs() {
        let y = sample(&[4, 6]).t();
        let g = sample(&[6, 4]);
        let want = crate::ops::ufunc::where_(&y.greater(0.0).unwrap(), &g, 0.0).unwrap();
        close(&relu_grad(&y, &g).unwrap(), &want);
        let s = y.sigmoid().unwrap();
        let want = g
            .multiply(&s)
            .unwrap()
            .multiply(&s.multiply(-1.0).unwrap().add(1.0).unwrap())
            .unwrap();
        close(&sigmoid_grad(&s, &g).unwrap(), &want);
        let h = y.astype(DType::F16).unwrap();
        let r = tanh_grad(&h, &h).unwrap();
        assert_eq!(r.dtype(), DType::F16);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let x = sample(&[2, 3]);
        assert!(matches!(softmax(&x, 2), Err(Error::Axis { .. })));
        assert!(relu_grad(&x, &sample(&[3, 2])).is_err());
        assert!(relu_grad(&x, &x.astype(DType::F32).unwrap()).is_err());
        assert!(softmax(&Array::zeros(&[2], DType::I32).unwrap(), 0).is_err());
    }
}
