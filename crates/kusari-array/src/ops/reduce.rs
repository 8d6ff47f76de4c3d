//! Reductions (`sum`, `mean`, `max`, `argmax`, `cumsum`, ...) with NumPy's
//! result dtypes: integer sums accumulate in `int64`, means of integers are
//! `float64`, float sums keep their dtype (accumulated in `f64` internally,
//! so they are at least as accurate as NumPy's pairwise sums).
//!
//! Differences from NumPy, on purpose: kusari has no unsigned 64-bit type, so
//! the sum of `uint8` is `int64` (NumPy: `uint64`).

use crate::backend::cpu::elementwise::{dispatch_num, nan_max, nan_min, Num};
use crate::backend::cpu::reduce::{arg_extreme, reduce, ReduceOp};
use crate::backend::cuda::codegen::builtin::Reduction;
use crate::layout::{self, Order};
use crate::{Array, DType, Element, Error, Result};
use std::marker::PhantomData;

struct SumOp<A>(PhantomData<A>);
impl<T: Element, A: Num> ReduceOp<T> for SumOp<A> {
    type Acc = A;
    #[inline(always)]
    fn identity(&self) -> A {
        A::zero()
    }
    #[inline(always)]
    fn step(&self, acc: A, x: T) -> A {
        acc.add(x.cast::<A>())
    }
    #[inline(always)]
    fn merge(&self, a: A, b: A) -> A {
        a.add(b)
    }
}

struct ProdOp<A>(PhantomData<A>);
impl<T: Element, A: Num> ReduceOp<T> for ProdOp<A> {
    type Acc = A;
    #[inline(always)]
    fn identity(&self) -> A {
        A::one()
    }
    #[inline(always)]
    fn step(&self, acc: A, x: T) -> A {
        acc.mul(x.cast::<A>())
    }
    #[inline(always)]
    fn merge(&self, a: A, b: A) -> A {
        a.mul(b)
    }
}

struct MaxOp;
impl<T: Num> ReduceOp<T> for MaxOp {
    type Acc = T;
    #[inline(always)]
    fn identity(&self) -> T {
        T::lowest()
    }
    #[inline(always)]
    fn step(&self, acc: T, x: T) -> T {
        nan_max(acc, x)
    }
    #[inline(always)]
    fn merge(&self, a: T, b: T) -> T {
        nan_max(a, b)
    }
}

struct MinOp;
impl<T: Num> ReduceOp<T> for MinOp {
    type Acc = T;
    #[inline(always)]
    fn identity(&self) -> T {
        T::highest()
    }
    #[inline(always)]
    fn step(&self, acc: T, x: T) -> T {
        nan_min(acc, x)
    }
    #[inline(always)]
    fn merge(&self, a: T, b: T) -> T {
        nan_min(a, b)
    }
}

/// `all` (`want = true`) or `any` (`want = false`) over truthiness.
struct LogicOp(bool);
impl<T: Element> ReduceOp<T> for LogicOp {
    type Acc = bool;
    #[inline(always)]
    fn identity(&self) -> bool {
        self.0
    }
    #[inline(always)]
    fn step(&self, acc: bool, x: T) -> bool {
        let t = x != T::default();
        if self.0 {
            acc & t
        } else {
            acc | t
        }
    }
    #[inline(always)]
    fn merge(&self, a: bool, b: bool) -> bool {
        if self.0 {
            a & b
        } else {
            a | b
        }
    }
}

/// NumPy's result dtype of `sum`/`prod`/`cumsum` for an input dtype.
pub fn sum_dtype(dtype: DType) -> DType {
    if dtype.is_float() {
        dtype
    } else {
        DType::I64
    }
}

/// NumPy's result dtype of `mean`/`var`/`std`.
pub fn mean_dtype(dtype: DType) -> DType {
    if dtype.is_float() {
        dtype
    } else {
        DType::F64
    }
}

struct Plan {
    axes: Vec<usize>,
    kept_shape: Vec<usize>,
    keep_shape: Vec<usize>,
    count: usize,
}

fn plan(op: &'static str, a: &Array, axes: Option<&[isize]>) -> Result<Plan> {
    let ax = layout::normalize_axes(op, axes, a.ndim())?;
    let kept_shape = (0..a.ndim())
        .filter(|i| !ax.contains(i))
        .map(|i| a.shape()[i])
        .collect();
    let keep_shape = (0..a.ndim())
        .map(|i| if ax.contains(&i) { 1 } else { a.shape()[i] })
        .collect();
    let count = ax.iter().map(|&i| a.shape()[i]).product();
    Ok(Plan {
        axes: ax.to_vec(),
        kept_shape,
        keep_shape,
        count,
    })
}

fn finish<A: Element>(acc: Vec<A>, p: &Plan, out: DType, keepdims: bool) -> Result<Array> {
    let shape = if keepdims {
        &p.keep_shape
    } else {
        &p.kept_shape
    };
    let r = Array::from_vec(acc, shape)?;
    if r.dtype() == out {
        Ok(r)
    } else {
        r.astype(out)
    }
}

fn run<T: Element, R: ReduceOp<T>>(op: &R, a: &Array, p: &Plan) -> Vec<R::Acc> {
    // SAFETY: `a` is a host array of `T` (callers dispatch on its dtype).
    unsafe {
        reduce(
            op,
            a.host_ptr() as *const T,
            a.shape(),
            a.strides(),
            &p.axes,
        )
    }
}

impl Array {
    /// The reduction on the GPU when this array lives there (`None` on the host).
    fn reduce_on_cuda(&self, r: Reduction, p: &Plan, keepdims: bool) -> Option<Result<Array>> {
        if self.device() == crate::Device::Cpu {
            return None;
        }
        Some(
            crate::backend::cuda::ops::reduce(r, self, &p.axes, &p.kept_shape).and_then(|out| {
                if keepdims {
                    out.reshape(&p.keep_shape.iter().map(|&n| n as isize).collect::<Vec<_>>())
                } else {
                    Ok(out)
                }
            }),
        )
    }

    /// Sum over `axes` (all when `None`), NumPy's `sum(axis, keepdims)`.
    ///
    /// ```
    /// use kusari_array::{Array, DType};
    /// let a = Array::arange(6)?.reshape(&[2, 3])?.astype(DType::I8)?;
    /// let s = a.sum(Some(&[0]), false)?;
    /// assert_eq!(s.dtype(), DType::I64); // NumPy accumulates small ints in int64
    /// assert_eq!(s.to_vec::<i64>()?, vec![3, 5, 7]);
    /// # Ok::<(), kusari_array::Error>(())
    /// ```
    pub fn sum(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let p = plan("sum", self, axes)?;
        if let Some(r) = self.reduce_on_cuda(Reduction::Sum, &p, keepdims) {
            return r;
        }
        self.expect_cpu("sum")?;
        let out = sum_dtype(self.dtype());
        crate::dispatch_all!(self.dtype(), T => {
            if out.is_float() {
                finish(run::<T, _>(&SumOp::<f64>(PhantomData), self, &p), &p, out, keepdims)
            } else {
                finish(run::<T, _>(&SumOp::<i64>(PhantomData), self, &p), &p, out, keepdims)
            }
        })
    }

    /// Product over `axes`, NumPy's `prod`.
    pub fn prod(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let p = plan("prod", self, axes)?;
        if let Some(r) = self.reduce_on_cuda(Reduction::Prod, &p, keepdims) {
            return r;
        }
        self.expect_cpu("prod")?;
        let out = sum_dtype(self.dtype());
        crate::dispatch_all!(self.dtype(), T => {
            if out.is_float() {
                finish(run::<T, _>(&ProdOp::<f64>(PhantomData), self, &p), &p, out, keepdims)
            } else {
                finish(run::<T, _>(&ProdOp::<i64>(PhantomData), self, &p), &p, out, keepdims)
            }
        })
    }

    fn extreme(
        &self,
        op: &'static str,
        want_max: bool,
        axes: Option<&[isize]>,
        keepdims: bool,
    ) -> Result<Array> {
        let p = plan(op, self, axes)?;
        if p.count == 0 {
            return Err(Error::value(op, format!("zero-size array to reduction operation {op} which has no identity (shape {:?})", self.shape())));
        }
        let r = if want_max {
            Reduction::Max
        } else {
            Reduction::Min
        };
        if let Some(r) = self.reduce_on_cuda(r, &p, keepdims) {
            return r;
        }
        self.expect_cpu(op)?;
        if self.dtype() == DType::Bool {
            // Max/min of bools is or/and.
            let r = self
                .with_view_dtype(DType::U8)
                .extreme(op, want_max, axes, keepdims)?;
            return r.astype(DType::Bool);
        }
        dispatch_num!(self.dtype(), T => {
            let acc = if want_max { run::<T, _>(&MaxOp, self, &p) } else { run::<T, _>(&MinOp, self, &p) };
            finish(acc, &p, self.dtype(), keepdims)
        })
    }

    /// Maximum over `axes` (NaN propagates); an error for an empty reduction.
    pub fn max(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        self.extreme("max", true, axes, keepdims)
    }

    /// Minimum over `axes` (NaN propagates); an error for an empty reduction.
    pub fn min(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        self.extreme("min", false, axes, keepdims)
    }

    /// Whether every element over `axes` is non-zero.
    pub fn all(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let p = plan("all", self, axes)?;
        if let Some(r) = self.reduce_on_cuda(Reduction::All, &p, keepdims) {
            return r;
        }
        self.expect_cpu("all")?;
        crate::dispatch_all!(self.dtype(), T => finish(run::<T, _>(&LogicOp(true), self, &p), &p, DType::Bool, keepdims))
    }

    /// Whether any element over `axes` is non-zero.
    pub fn any(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let p = plan("any", self, axes)?;
        if let Some(r) = self.reduce_on_cuda(Reduction::Any, &p, keepdims) {
            return r;
        }
        self.expect_cpu("any")?;
        crate::dispatch_all!(self.dtype(), T => finish(run::<T, _>(&LogicOp(false), self, &p), &p, DType::Bool, keepdims))
    }

    /// Arithmetic mean over `axes`; integers give `float64`. The mean of an
    /// empty selection is NaN, as in NumPy (which also warns).
    pub fn mean(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let p = plan("mean", self, axes)?;
        if let Some(r) = self.reduce_on_cuda(Reduction::Mean, &p, keepdims) {
            return r;
        }
        self.expect_cpu("mean")?;
        let out = mean_dtype(self.dtype());
        let n = p.count as f64;
        let sums = crate::dispatch_all!(self.dtype(), T => run::<T, _>(&SumOp::<f64>(PhantomData), self, &p));
        let means: Vec<f64> = sums.into_iter().map(|s| s / n).collect();
        finish(means, &p, out, keepdims)
    }

    /// Variance over `axes` with `ddof` delta degrees of freedom (NumPy's `var`).
    pub fn var(&self, axes: Option<&[isize]>, ddof: usize, keepdims: bool) -> Result<Array> {
        let p = plan("var", self, axes)?;
        let out = mean_dtype(self.dtype());
        let denom = p.count as f64 - ddof as f64;
        if super::kernel_path::use_kernels(self.device()) {
            // The same two float64 passes, as the device's ufuncs and sums.
            let x = self.astype(DType::F64)?;
            let d = x.subtract(&x.mean(axes, true)?)?;
            let sums = d.multiply(&d)?.sum(axes, keepdims)?;
            let v = if denom > 0.0 {
                sums.true_divide(denom)?
            } else {
                sums.multiply(f64::NAN)?
            };
            return v.astype(out);
        }
        self.expect_cpu("var")?;
        // Two passes in f64: the mean, then the mean squared deviation.
        let x = self.astype(DType::F64)?;
        let mean = x.mean(axes, true)?;
        let d = x.subtract(&mean)?;
        let sq = d.multiply(&d)?;
        let sums = run::<f64, _>(&SumOp::<f64>(PhantomData), &sq, &p);
        let v: Vec<f64> = sums
            .into_iter()
            .map(|s| if denom > 0.0 { s / denom } else { f64::NAN })
            .collect();
        finish(v, &p, out, keepdims)
    }

    /// Standard deviation over `axes` with `ddof` (NumPy's `std`).
    pub fn std(&self, axes: Option<&[isize]>, ddof: usize, keepdims: bool) -> Result<Array> {
        let v = self.var(axes, ddof, keepdims)?;
        v.sqrt()
    }

    fn arg_extreme(&self, op: &'static str, want_max: bool, axis: Option<isize>) -> Result<Array> {
        let (a, ax) = match axis {
            None => (self.ravel()?, 0),
            Some(ax) => (self.clone(), layout::normalize_axis(op, ax, self.ndim())?),
        };
        if a.ndim() == 0 {
            return Ok(Array::scalar(0i64));
        }
        let n = a.shape()[ax];
        if n == 0 {
            return Err(Error::value(
                op,
                format!("attempt to get {op} of an empty sequence (axis {ax} has size 0)"),
            ));
        }
        if let crate::Device::Cuda(_) = a.device() {
            let r = if want_max {
                Reduction::Argmax
            } else {
                Reduction::Argmin
            };
            let kept: Vec<usize> = (0..a.ndim())
                .filter(|&d| d != ax)
                .map(|d| a.shape()[d])
                .collect();
            return crate::backend::cuda::ops::reduce(r, &a, &[ax], &kept);
        }
        a.expect_cpu(op)?;
        let moved = a.moveaxis(ax as isize, -1)?;
        let kept: Vec<usize> = moved.shape()[..moved.ndim() - 1].to_vec();
        let kstr = &moved.strides()[..moved.ndim() - 1];
        let m: usize = kept.iter().product();
        let offsets: Vec<isize> = (0..m)
            .map(|i| {
                let mut rem = i;
                let mut off = 0isize;
                for k in (0..kept.len()).rev() {
                    off += (rem % kept[k]) as isize * kstr[k];
                    rem /= kept[k];
                }
                off
            })
            .collect();
        let s = moved.strides()[moved.ndim() - 1];
        let src = if a.dtype() == DType::Bool {
            moved.with_view_dtype(DType::U8)
        } else {
            moved
        };
        let idx = dispatch_num!(src.dtype(), T => {
            // SAFETY: offsets and stride come from the array's own layout.
            unsafe { arg_extreme::<T>(src.host_ptr() as *const T, &offsets, n, s, want_max, |x: T| x.is_nan()) }
        });
        Array::from_vec(idx, &kept)
    }

    /// Index of the first maximum along `axis` (of the flattened array for `None`), as `int64`.
    pub fn argmax(&self, axis: Option<isize>) -> Result<Array> {
        self.arg_extreme("argmax", true, axis)
    }

    /// Index of the first minimum along `axis`, as `int64`.
    pub fn argmin(&self, axis: Option<isize>) -> Result<Array> {
        self.arg_extreme("argmin", false, axis)
    }

    fn cumulative(&self, op: &'static str, product: bool, axis: Option<isize>) -> Result<Array> {
        let (a, ax) = match axis {
            None => (self.ravel()?, 0),
            Some(ax) => (self.clone(), layout::normalize_axis(op, ax, self.ndim())?),
        };
        if a.ndim() == 0 {
            return a.astype(sum_dtype(a.dtype()))?.reshape(&[1]);
        }
        let out = sum_dtype(a.dtype());
        let mut rows = a.moveaxis(ax as isize, -1)?.astype_order(out, Order::C)?;
        let n = *rows.shape().last().expect("ndim >= 1");
        if super::kernel_path::use_kernels(a.device()) {
            let mut scanned = Array::uninit_ordered(out, rows.shape(), Order::C, None, a.device())?;
            if n > 0 && rows.size() > 0 {
                let k = super::kernel_path::cached(&CUMULATIVE_KERNEL, CUMULATIVE);
                let args = [
                    crate::KernelArg::from(&rows),
                    crate::KernelArg::from(n as i64),
                    crate::KernelArg::from(product),
                ];
                k.call_with(&args, &mut [&mut scanned], Some(rows.size() / n))?;
            }
            return scanned.moveaxis(-1, ax as isize)?.ascontiguousarray();
        }
        a.expect_cpu(op)?;
        dispatch_num!(out, T => {
            let data = rows.as_slice_mut::<T>().expect("fresh C-contiguous copy");
            if n > 0 {
                use rayon::prelude::*;
                let body = |row: &mut [T]| {
                    for i in 1..row.len() {
                        row[i] = if product { row[i - 1].mul(row[i]) } else { row[i - 1].add(row[i]) };
                    }
                };
                if data.len() >= 1 << 16 {
                    data.par_chunks_mut(n).for_each(body);
                } else {
                    data.chunks_mut(n).for_each(body);
                }
            }
        });
        rows.moveaxis(-1, ax as isize)?.ascontiguousarray()
    }

    /// Cumulative sum along `axis` (flattened for `None`), NumPy's `cumsum`.
    pub fn cumsum(&self, axis: Option<isize>) -> Result<Array> {
        self.cumulative("cumsum", false, axis)
    }

    /// Cumulative product along `axis`, NumPy's `cumprod`.
    pub fn cumprod(&self, axis: Option<isize>) -> Result<Array> {
        self.cumulative("cumprod", true, axis)
    }

    /// `log(sum(exp(x)))` over `axes`, computed stably by subtracting the maximum first.
    pub fn logsumexp(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let x = if self.dtype().is_float() {
            self.clone()
        } else {
            self.astype(self.dtype().to_float())?
        };
        let m = x.max(axes, true)?;
        // An all -inf (or inf) slice would make x - m NaN; use 0 there, as scipy does.
        let m = crate::ops::ufunc::where_(&m.isfinite()?, &m, 0.0)?;
        let s = x.subtract(&m)?.exp()?.sum(axes, true)?.log()?.add(&m)?;
        if keepdims {
            Ok(s)
        } else {
            s.squeeze(Some(
                &layout::normalize_axes("logsumexp", axes, self.ndim())?
                    .iter()
                    .map(|&a| a as isize)
                    .collect::<Vec<_>>(),
            ))
        }
    }
}

/// `cumsum`/`cumprod` off the CPU: one thread per row (of `n` elements,
/// C-contiguous) scanning it in order, accumulating in the output dtype as
/// the CPU loop does. Simple rather than fast: a GPU runs one thread per
/// row, so very long rows would want a parallel scan.
pub(crate) const CUMULATIVE: super::kernel_path::KernelDef = (
    "kusari_cumulative",
    "raw T x, int64 n, bool product",
    "raw T y",
    "long long base = i * n; T acc = x[base]; y[base] = acc;
     for (long long k = 1; k < n; k++) {
       if (product) { acc = acc * x[base + k]; } else { acc = acc + x[base + k]; }
       y[base + k] = acc;
     }",
);

static CUMULATIVE_KERNEL: std::sync::OnceLock<crate::ElementwiseKernel> =
    std::sync::OnceLock::new();

#[cfg(test)]
mod tests {
    use super::*;

    fn a234() -> Array {
        Array::arange(24)
            .unwrap()
            .reshape(&[2, 3, 4])
            .unwrap()
            .astype(DType::F32)
            .unwrap()
    }

    #[test]
    fn sums_over_every_axis_combination_match_a_naive_loop() {
        let a = a234();
        let t = a.transpose(Some(&[2, 0, 1])).unwrap(); // non-contiguous
        for x in [&a, &t] {
            let v = x.to_vec::<f32>().unwrap();
            let sh = x.shape().to_vec();
            for axes in [
                vec![0isize],
                vec![1],
                vec![2],
                vec![0, 2],
                vec![1, 2],
                vec![0, 1, 2],
            ] {
                let s = x.sum(Some(&axes), true).unwrap();
                let mut naive = vec![0f32; s.size()];
                for (flat, &val) in v.iter().enumerate() {
                    let (i, j, k) = (flat / (sh[1] * sh[2]), (flat / sh[2]) % sh[1], flat % sh[2]);
                    let idx = [i, j, k];
                    let o: Vec<usize> = (0..3)
                        .map(|d| {
                            if axes.contains(&(d as isize)) {
                                0
                            } else {
                                idx[d]
                            }
                        })
                        .collect();
                    naive[(o[0] * s.shape()[1] + o[1]) * s.shape()[2] + o[2]] += val;
                }
                assert_eq!(
                    s.to_vec::<f32>().unwrap(),
                    naive,
                    "axes {axes:?} shape {sh:?}"
                );
            }
        }
    }

    #[test]
    fn large_reductions_use_threads_and_stay_exact() {
        let a = Array::ones(&[300, 1000], DType::F32).unwrap();
        assert_eq!(
            a.sum(None, false).unwrap().item::<f64>().unwrap(),
            300_000.0
        );
        assert_eq!(
            a.sum(Some(&[0]), false).unwrap().to_vec::<f32>().unwrap(),
            vec![300.0; 1000]
        );
        assert_eq!(
            a.sum(Some(&[1]), false).unwrap().to_vec::<f32>().unwrap(),
            vec![1000.0; 300]
        );
    }

    #[test]
    fn dtypes_follow_numpy() {
        let i8a = Array::from_vec(vec![100i8, 100, 100], &[3]).unwrap();
        let s = i8a.sum(None, false).unwrap();
        assert_eq!((s.dtype(), s.item::<i64>().unwrap()), (DType::I64, 300));
        assert_eq!(i8a.mean(None, false).unwrap().dtype(), DType::F64);
        assert_eq!(i8a.max(None, false).unwrap().dtype(), DType::I8);
        let e = Array::zeros(&[0], DType::F32).unwrap();
        assert_eq!(e.sum(None, false).unwrap().item::<f32>().unwrap(), 0.0);
        assert!(e.mean(None, false).unwrap().item::<f32>().unwrap().is_nan());
        assert!(e.max(None, false).is_err());
    }

    #[test]
    fn nan_propagates_and_argmax_finds_first() {
        let a = Array::from_vec(vec![1.0f64, f64::NAN, 3.0, 3.0], &[4]).unwrap();
        assert!(a.max(None, false).unwrap().item::<f64>().unwrap().is_nan());
        assert_eq!(a.argmax(None).unwrap().item::<i64>().unwrap(), 1);
        let b = Array::from_vec(vec![1i32, 3, 3, 2], &[2, 2]).unwrap();
        assert_eq!(
            b.argmax(Some(1)).unwrap().to_vec::<i64>().unwrap(),
            vec![1, 0]
        );
        assert_eq!(
            b.argmin(Some(0)).unwrap().to_vec::<i64>().unwrap(),
            vec![0, 1]
        );
    }

    #[test]
    fn var_std_cumsum() {
        let a = Array::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        assert_eq!(a.var(None, 0, false).unwrap().item::<f64>().unwrap(), 1.25);
        assert_eq!(
            a.var(Some(&[0]), 1, false)
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            vec![2.0, 2.0]
        );
        assert_eq!(
            a.cumsum(Some(0)).unwrap().to_vec::<f64>().unwrap(),
            vec![1.0, 2.0, 4.0, 6.0]
        );
        assert_eq!(
            a.cumprod(None).unwrap().to_vec::<f64>().unwrap(),
            vec![1.0, 2.0, 6.0, 24.0]
        );
        let l = a
            .logsumexp(Some(&[1]), false)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        assert!((l[0] - (1f64.exp() + 2f64.exp()).ln()).abs() < 1e-12);
    }
}

#[cfg(test)]
mod device_path_tests {
    use super::super::kernel_path::forced;
    use crate::{Array, DType};

    fn sample(dtype: DType) -> Array {
        let v: Vec<f64> = (0..24).map(|i| ((i * 7) % 11) as f64 * 0.5 - 2.0).collect();
        Array::from_vec(v, &[2, 3, 4])
            .unwrap()
            .astype(dtype)
            .unwrap()
    }

    fn same(what: &str, got: &Array, want: &Array, tol: f64) {
        assert_eq!(
            (got.shape(), got.dtype()),
            (want.shape(), want.dtype()),
            "{what}"
        );
        let g = got.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        let w = want.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
        for (a, b) in g.iter().zip(&w) {
            assert!(
                (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * b.abs().max(1.0),
                "{what}: {a} vs {b}"
            );
        }
    }

    /// `var`/`std` (float64 ufuncs and sums) and `cumsum`/`cumprod` (the
    /// row-scan kernel) on the device path, forced on the CPU, against the
    /// CPU loops: axes, keepdims, ddof up to an empty denominator (NaN),
    /// integer, bool and float16 inputs, a transposed view.
    #[test]
    fn var_and_cumulative_match_the_cpu() {
        for dtype in [DType::F64, DType::F32, DType::F16, DType::I32, DType::Bool] {
            for a in [sample(dtype), sample(dtype).transpose(None).unwrap()] {
                for axes in [None, Some(&[1isize][..]), Some(&[0, 2][..])] {
                    for (ddof, keepdims) in [(0, false), (1, true), (24, false)] {
                        let what = format!("var {dtype} {axes:?} ddof {ddof}");
                        let want = a.var(axes, ddof, keepdims).unwrap();
                        same(
                            &what,
                            &forced(|| a.var(axes, ddof, keepdims)).unwrap(),
                            &want,
                            1e-12,
                        );
                        let want = a.std(axes, ddof, keepdims).unwrap();
                        same(
                            &format!("std {what}"),
                            &forced(|| a.std(axes, ddof, keepdims)).unwrap(),
                            &want,
                            1e-12,
                        );
                    }
                }
                for axis in [None, Some(0), Some(1), Some(-1)] {
                    let what = format!("{dtype} axis {axis:?}");
                    same(
                        &format!("cumsum {what}"),
                        &forced(|| a.cumsum(axis)).unwrap(),
                        &a.cumsum(axis).unwrap(),
                        0.0,
                    );
                    same(
                        &format!("cumprod {what}"),
                        &forced(|| a.cumprod(axis)).unwrap(),
                        &a.cumprod(axis).unwrap(),
                        0.0,
                    );
                }
            }
        }
        let empty = Array::zeros(&[3, 0], DType::F32).unwrap();
        same(
            "empty cumsum",
            &forced(|| empty.cumsum(Some(1))).unwrap(),
            &empty.cumsum(Some(1)).unwrap(),
            0.0,
        );
    }
}
