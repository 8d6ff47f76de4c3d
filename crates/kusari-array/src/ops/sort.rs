//! Sorting and searching: `sort`, `argsort`, `unique`, `bincount` and
//! `searchsorted`, with NumPy's semantics.
//!
//! Every sort is stable (NumPy's `kind="stable"`), and floats follow NumPy's
//! order: NaNs go after everything else, `+inf` included, and `-0.0 == 0.0`.

use crate::layout::{self, Order};
use crate::{Array, DType, Element, Error, Result};
use rayon::prelude::*;
use std::cmp::Ordering;

/// Element counts from which the row loops go parallel.
const PARALLEL_THRESHOLD: usize = 1 << 15;

/// Whether `x` is a NaN (never for integers and bools).
#[inline(always)]
fn is_nan<T: Element>(x: T) -> bool {
    T::DTYPE.is_float() && x.to_f64().is_nan()
}

/// NumPy's sort order: a total order on every dtype in which NaNs are equal
/// to each other and greater than every other value.
#[inline(always)]
fn cmp_nan_last<T: Element>(a: &T, b: &T) -> Ordering {
    match a.partial_cmp(b) {
        Some(o) => o,
        None => is_nan(*a).cmp(&is_nan(*b)),
    }
}

/// Sorts each row of `n` elements of `data` in place.
fn sort_rows<T: Element>(data: &mut [T], n: usize) {
    let rows = data.len() / n;
    if rows == 1 && n >= PARALLEL_THRESHOLD {
        data.par_sort_by(cmp_nan_last::<T>);
    } else if rows > 1 && data.len() >= PARALLEL_THRESHOLD {
        data.par_chunks_mut(n)
            .for_each(|r| r.sort_by(cmp_nan_last::<T>));
    } else {
        data.chunks_mut(n)
            .for_each(|r| r.sort_by(cmp_nan_last::<T>));
    }
}

/// Writes the stable sorting permutation of each row of `n` elements of `data` into `out`.
fn argsort_rows<T: Element>(data: &[T], n: usize, out: &mut [i64]) {
    fn fill<T: Element>(buf: &mut Vec<(T, i64)>, src: &[T]) {
        buf.clear();
        buf.extend(src.iter().enumerate().map(|(i, &x)| (x, i as i64)));
    }
    fn emit<T: Element>(buf: &[(T, i64)], dst: &mut [i64]) {
        for (d, p) in dst.iter_mut().zip(buf) {
            *d = p.1;
        }
    }
    let by_key = |p: &(T, i64), q: &(T, i64)| cmp_nan_last(&p.0, &q.0);
    let rows = data.len() / n;
    if rows == 1 && n >= PARALLEL_THRESHOLD {
        let mut buf = Vec::with_capacity(n);
        fill(&mut buf, data);
        buf.par_sort_by(by_key);
        emit(&buf, out);
    } else if rows > 1 && data.len() >= PARALLEL_THRESHOLD {
        data.par_chunks(n).zip(out.par_chunks_mut(n)).for_each_init(
            || Vec::with_capacity(n),
            |buf, (src, dst)| {
                fill(buf, src);
                buf.sort_by(by_key);
                emit(buf, dst);
            },
        );
    } else {
        let mut buf = Vec::with_capacity(n);
        for (src, dst) in data.chunks(n).zip(out.chunks_mut(n)) {
            fill(&mut buf, src);
            buf.sort_by(by_key);
            emit(&buf, dst);
        }
    }
}

/// One compare-exchange stage of a bitonic sorting network (`j` the
/// partner distance, `k` the size of the sequences being merged) over rows
/// of `m` (a power of two) values `v` and their original positions `ix`;
/// one thread per pair. Positions `>= n` are padding and sort last; NaNs
/// sort after every value; ties go by position, which makes the order total
/// and the result the stable sort's.
pub(crate) const BITONIC_STEP: super::kernel_path::KernelDef = (
    "kusari_bitonic_step",
    "int64 n, int64 m, int64 j, int64 k",
    "raw T v, raw int64 ix",
    "long long hm = m / 2; long long p = i % hm;
     long long lo = (p / j) * 2 * j + (p % j);
     long long a = (i / hm) * m + lo; long long b = a + j;
     bool up = (lo & k) == 0;
     T va = v[a]; T vb = v[b]; long long ia = ix[a]; long long ib = ix[b];
     bool b_first = false;
     if (ib >= n) { b_first = false; }
     else if (ia >= n) { b_first = true; }
     else {
       bool na = va != va; bool nb = vb != vb;
       if (na && nb) { b_first = ib < ia; }
       else if (na) { b_first = true; }
       else if (nb) { b_first = false; }
       else if (vb < va) { b_first = true; }
       else if (va < vb) { b_first = false; }
       else { b_first = ib < ia; }
     }
     if (b_first == up) { v[a] = vb; v[b] = va; ix[a] = ib; ix[b] = ia; }",
);

static BITONIC_KERNEL: std::sync::OnceLock<crate::ElementwiseKernel> = std::sync::OnceLock::new();

/// Sorts the rows of the `(rows, n)` array `rows2d` off the CPU: padded to
/// a power of two, through the bitonic network's `log2(m)(log2(m)+1)/2`
/// stages. Returns the sorted values or the positions, `(rows, n)`.
fn bitonic_rows(rows2d: &Array, indices: bool) -> Result<Array> {
    use crate::{KernelArg, SliceArg};
    let (rows, n) = (rows2d.shape()[0], rows2d.shape()[1]);
    let m = n.next_power_of_two();
    let dev = rows2d.device();
    let cols = |a: &Array| a.slice(&[SliceArg::full(), SliceArg::range(0, n as isize, 1)]);
    let mut v = Array::zeros_on(&[rows, m], rows2d.dtype(), dev)?;
    v.assign_at(
        &[SliceArg::full(), SliceArg::range(0, n as isize, 1)],
        rows2d,
    )?;
    let mut ix = Array::arange(m as i64)?
        .to_device(dev)?
        .broadcast_to(&[rows, m])?
        .ascontiguousarray()?;
    let kernel = super::kernel_path::cached(&BITONIC_KERNEL, BITONIC_STEP);
    let mut k = 2;
    while k <= m {
        let mut j = k / 2;
        while j >= 1 {
            let args = [n, m, j, k].map(|x| KernelArg::from(x as i64));
            kernel.call_with(&args, &mut [&mut v, &mut ix], Some(rows * m / 2))?;
            j /= 2;
        }
        k *= 2;
    }
    cols(if indices { &ix } else { &v })?.ascontiguousarray()
}

/// `searchsorted` off the CPU: a binary search per needle in NumPy's order
/// (NaN last, `-0.0 == 0.0`), the CPU's `partition_point` predicate.
pub(crate) const SEARCHSORTED: super::kernel_path::KernelDef = (
    "kusari_searchsorted",
    "raw T hay, T x, int64 n, bool right",
    "int64 out",
    "long long lo = 0; long long hi = n; T xv = x; bool xn = xv != xv;
     while (lo < hi) {
       long long mid = lo + (hi - lo) / 2; T h = hay[mid]; bool hn = h != h;
       bool less = false; bool equal = false;
       if (hn && xn) { equal = true; }
       else if (hn) { less = false; }
       else if (xn) { less = true; }
       else { less = h < xv; equal = h == xv; }
       bool go = less;
       if (right) { go = less || equal; }
       if (go) { lo = mid + 1; } else { hi = mid; }
     }
     out = lo;",
);

static SEARCHSORTED_KERNEL: std::sync::OnceLock<crate::ElementwiseKernel> =
    std::sync::OnceLock::new();

/// Shared body of `sort` and `argsort`: moves the axis last, sorts each
/// contiguous row, and moves it back. Off the CPU the rows go through a
/// bitonic sorting network of kernels ([`BITONIC_STEP`]).
fn sort_along(a: &Array, axis: Option<isize>, op: &'static str, indices: bool) -> Result<Array> {
    let (src, ax) = match axis {
        None => (a.reshape(&[-1])?, 0),
        Some(ax) => (a.clone(), layout::normalize_axis(op, ax, a.ndim())?),
    };
    let last = src.ndim() - 1;
    let moved = if ax == last {
        src
    } else {
        src.moveaxis(ax as isize, last as isize)?
    };
    let n = moved.shape()[last];
    let out = if super::kernel_path::use_kernels(a.device()) {
        if moved.size() == 0 {
            let dtype = if indices { DType::I64 } else { a.dtype() };
            Array::zeros_on(moved.shape(), dtype, a.device())?
        } else {
            let rows2d = moved.reshape(&[-1, n as isize])?;
            bitonic_rows(&rows2d, indices)?.reshape_to(moved.shape())?
        }
    } else if indices {
        a.expect_cpu(op)?;
        let data = moved.ascontiguousarray()?;
        let mut out = Array::empty(moved.shape(), DType::I64)?;
        if data.size() > 0 {
            let dst = out
                .as_slice_mut::<i64>()
                .expect("fresh contiguous int64 array");
            crate::dispatch_all!(data.dtype(), T => {
                argsort_rows(data.as_slice::<T>().expect("contiguous host array"), n, dst)
            });
        }
        out
    } else {
        a.expect_cpu(op)?;
        let mut data = moved.copy(Order::C)?;
        if data.size() > 0 {
            crate::dispatch_all!(data.dtype(), T => {
                sort_rows(data.as_slice_mut::<T>().expect("fresh contiguous array"), n)
            });
        }
        data
    };
    if ax == last {
        Ok(out)
    } else {
        out.moveaxis(last as isize, ax as isize)?
            .ascontiguousarray()
    }
}

impl Array {
    /// A sorted copy along `axis` (NumPy's `np.sort(a, axis, kind="stable")`);
    /// `None` sorts the flattened array, `Some(-1)` (NumPy's default) the last
    /// axis. NaNs sort to the end. The result is C-contiguous.
    ///
    /// ```
    /// use kusari_array::Array;
    /// let a = Array::from_vec(vec![1.0f64, 4.0, 3.0, 1.0], &[2, 2])?;
    /// assert_eq!(a.sort(Some(-1))?.to_vec::<f64>()?, vec![1.0, 4.0, 1.0, 3.0]);
    /// assert_eq!(a.sort(Some(0))?.to_vec::<f64>()?, vec![1.0, 1.0, 3.0, 4.0]);
    /// assert_eq!(a.sort(None)?.shape(), &[4]);
    /// let n = Array::from_vec(vec![2.0f32, f32::NAN, -1.0], &[3])?;
    /// let s = n.sort(None)?.to_vec::<f32>()?;
    /// assert_eq!(&s[..2], &[-1.0, 2.0]);
    /// assert!(s[2].is_nan());
    /// # Ok::<(), kusari_array::Error>(())
    /// ```
    pub fn sort(&self, axis: Option<isize>) -> Result<Array> {
        sort_along(self, axis, "sort", false)
    }

    /// The `int64` indices that sort the array along `axis` (NumPy's
    /// `np.argsort(a, axis, kind="stable")`): equal elements keep their order,
    /// NaNs go last; `None` sorts the flattened array.
    pub fn argsort(&self, axis: Option<isize>) -> Result<Array> {
        sort_along(self, axis, "argsort", true)
    }

    /// Insertion points of `v` in this sorted 1-D array, as `int64` (see [`searchsorted`]).
    pub fn searchsorted(&self, v: &Array, side_right: bool) -> Result<Array> {
        searchsorted(self, v, side_right)
    }
}

/// A sorted copy of `a` along `axis` (NumPy's `np.sort`); see [`Array::sort`].
pub fn sort(a: &Array, axis: Option<isize>) -> Result<Array> {
    a.sort(axis)
}

/// The indices that sort `a` along `axis` (NumPy's `np.argsort`); see [`Array::argsort`].
pub fn argsort(a: &Array, axis: Option<isize>) -> Result<Array> {
    a.argsort(axis)
}

/// What [`unique_with`] returns: NumPy's `np.unique(..., return_index,
/// return_inverse, return_counts)`. The optional parts are present when asked for.
#[derive(Clone)]
pub struct Unique {
    /// The sorted unique values, 1-D, in the input's dtype.
    pub values: Array,
    /// `int64` index of the first occurrence of each unique value in the flattened input.
    pub index: Option<Array>,
    /// `int64` positions into `values` that rebuild the input, with the input's
    /// shape (NumPy 2's `unique_inverse`): `values.take(inverse, None)` equals the input.
    pub inverse: Option<Array>,
    /// `int64` number of times each unique value occurs.
    pub counts: Option<Array>,
}

/// The sorted unique elements of the flattened array (NumPy's `np.unique`).
/// NaNs collapse into one value, at the end (NumPy's `equal_nan=True`).
///
/// ```
/// use kusari_array::Array;
/// use kusari_array::ops::sort::{unique, unique_with};
/// let a = Array::from_vec(vec![1i64, 2, 6, 4, 2, 3, 2], &[7])?;
/// assert_eq!(unique(&a)?.to_vec::<i64>()?, vec![1, 2, 3, 4, 6]);
/// let u = unique_with(&a, true, true, true)?;
/// assert_eq!(u.index.unwrap().to_vec::<i64>()?, vec![0, 1, 5, 3, 2]);
/// assert_eq!(u.inverse.unwrap().to_vec::<i64>()?, vec![0, 1, 4, 3, 1, 2, 1]);
/// assert_eq!(u.counts.unwrap().to_vec::<i64>()?, vec![1, 3, 1, 1, 1]);
/// # Ok::<(), kusari_array::Error>(())
/// ```
pub fn unique(a: &Array) -> Result<Array> {
    Ok(unique_with(a, false, false, false)?.values)
}

/// [`unique`] with NumPy's `return_index`, `return_inverse` and `return_counts`.
/// Indices refer to the flattened input; the index of a repeated value is its
/// first occurrence (for NaNs, the first NaN).
pub fn unique_with(
    a: &Array,
    return_index: bool,
    return_inverse: bool,
    return_counts: bool,
) -> Result<Unique> {
    if super::kernel_path::use_kernels(a.device()) {
        return unique_on_device(a, return_index, return_inverse, return_counts);
    }
    a.expect_cpu("unique")?;
    crate::dispatch_all!(a.dtype(), T => {
        unique_typed::<T>(a, return_index, return_inverse, return_counts)
    })
}

fn unique_typed<T: Element>(a: &Array, ri: bool, rinv: bool, rc: bool) -> Result<Unique> {
    let mut flat = a.to_vec::<T>()?;
    let same = |x: &T, y: &T| cmp_nan_last(x, y) == Ordering::Equal;
    if !(ri || rinv || rc) {
        sort_rows_any(&mut flat);
        flat.dedup_by(|x, y| same(x, y));
        let n = flat.len();
        return Ok(Unique {
            values: Array::from_vec(flat, &[n])?,
            index: None,
            inverse: None,
            counts: None,
        });
    }
    let mut pairs: Vec<(T, i64)> = flat
        .iter()
        .enumerate()
        .map(|(i, &x)| (x, i as i64))
        .collect();
    drop(flat);
    let by_key = |p: &(T, i64), q: &(T, i64)| cmp_nan_last(&p.0, &q.0);
    if pairs.len() >= PARALLEL_THRESHOLD {
        pairs.par_sort_by(by_key);
    } else {
        pairs.sort_by(by_key);
    }
    let (mut values, mut index, mut counts) = (Vec::new(), Vec::new(), Vec::<i64>::new());
    let mut inverse = if rinv {
        vec![0i64; pairs.len()]
    } else {
        Vec::new()
    };
    for (k, &(x, i)) in pairs.iter().enumerate() {
        if k == 0 || !same(&pairs[k - 1].0, &x) {
            values.push(x);
            index.push(i);
            counts.push(0);
        }
        *counts.last_mut().expect("a group was opened") += 1;
        if rinv {
            inverse[i as usize] = values.len() as i64 - 1;
        }
    }
    let m = values.len();
    Ok(Unique {
        values: Array::from_vec(values, &[m])?,
        index: if ri {
            Some(Array::from_vec(index, &[m])?)
        } else {
            None
        },
        inverse: if rinv {
            Some(Array::from_vec(inverse, a.shape())?)
        } else {
            None
        },
        counts: if rc {
            Some(Array::from_vec(counts, &[m])?)
        } else {
            None
        },
    })
}

/// Marks with 1 the elements of the sorted 1-D `s` that differ from their
/// predecessor (NaNs are equal to each other, as in [`cmp_nan_last`]): the
/// first element of each group of equal values.
pub(crate) const GROUP_STARTS: super::kernel_path::KernelDef = (
    "kusari_group_starts",
    "raw T s",
    "int64 first",
    "bool f = i == 0;
     if (!f) { T x = s[i]; T y = s[i - 1]; f = !(x == y || (x != x && y != y)); }
     first = f ? 1 : 0;",
);

/// `inv[p] = g` for each pair: scatters through a permutation, so no two
/// threads write one element.
pub(crate) const PERMUTE_SCATTER: super::kernel_path::KernelDef = (
    "kusari_permute_scatter",
    "int64 p, int64 g",
    "raw int64 inv",
    "inv[p] = g;",
);

/// One bin's sum of `w[lo] .. w[hi]` in order (the stable sort keeps each
/// bin's weights in input order, so this is the CPU loop's sum exactly).
pub(crate) const BIN_SUMS: super::kernel_path::KernelDef = (
    "kusari_bin_sums",
    "int64 lo, int64 hi, raw float64 w",
    "float64 s",
    "double acc = 0.0;
     for (long long k = lo; k < hi; k++) { acc += w[k]; }
     s = acc;",
);

static GROUP_STARTS_KERNEL: std::sync::OnceLock<crate::ElementwiseKernel> =
    std::sync::OnceLock::new();
static PERMUTE_SCATTER_KERNEL: std::sync::OnceLock<crate::ElementwiseKernel> =
    std::sync::OnceLock::new();
static BIN_SUMS_KERNEL: std::sync::OnceLock<crate::ElementwiseKernel> = std::sync::OnceLock::new();

/// `unique` off the CPU, as CuPy does it: a stable sort with its
/// permutation, group starts marked and numbered by a cumulative sum, and
/// each group's first and past-the-end positions found by binary search in
/// those numbers. Reading the number of groups synchronizes (the output's
/// size depends on the data).
fn unique_on_device(a: &Array, ri: bool, rinv: bool, rc: bool) -> Result<Unique> {
    use crate::{KernelArg, SliceArg};
    let dev = a.device();
    let flat = a.reshape(&[-1])?;
    let n = flat.size();
    let i64s = |shape: &[usize]| Array::zeros_on(shape, DType::I64, dev);
    if n == 0 {
        return Ok(Unique {
            values: Array::zeros_on(&[0], a.dtype(), dev)?,
            index: if ri { Some(i64s(&[0])?) } else { None },
            inverse: if rinv { Some(i64s(a.shape())?) } else { None },
            counts: if rc { Some(i64s(&[0])?) } else { None },
        });
    }
    let perm = flat.argsort(Some(0))?;
    let sorted = flat.take(&perm, Some(0))?;
    let starts_kernel = super::kernel_path::cached(&GROUP_STARTS_KERNEL, GROUP_STARTS);
    let first = starts_kernel
        .call_with(&[KernelArg::from(&sorted)], &mut [], Some(n))?
        .pop()
        .expect("one output");
    // groups[k]: how many groups begin at or before sorted position k.
    let groups = first.cumsum(Some(0))?;
    let last = n as isize;
    let m = groups
        .slice(&[SliceArg::range(last - 1, last, 1)])?
        .item::<i64>()?;
    let ids = Array::arange_dtype(1.0, (m + 1) as f64, 1.0, DType::I64)?.to_device(dev)?;
    let starts = searchsorted(&groups, &ids, false)?;
    let counts = if rc {
        Some(searchsorted(&groups, &ids, true)?.sub(&starts)?)
    } else {
        None
    };
    let inverse = if rinv {
        let mut inv = i64s(&[n])?;
        let gid = groups.sub(1i64)?;
        super::kernel_path::cached(&PERMUTE_SCATTER_KERNEL, PERMUTE_SCATTER).call_with(
            &[KernelArg::from(&perm), KernelArg::from(&gid)],
            &mut [&mut inv],
            None,
        )?;
        Some(inv.reshape_to(a.shape())?)
    } else {
        None
    };
    Ok(Unique {
        values: sorted.take(&starts, Some(0))?,
        index: if ri {
            Some(perm.take(&starts, Some(0))?)
        } else {
            None
        },
        inverse,
        counts,
    })
}

/// `bincount` off the CPU without atomics: the values sorted (stably, with
/// their permutation when there are weights), each bin's range in them found
/// by binary search, counts as range lengths and weighted sums by one thread
/// per bin adding its range in input order.
fn bincount_on_device(x: &Array, weights: Option<&Array>, minlength: usize) -> Result<Array> {
    const OP: &str = "bincount";
    let dev = x.device();
    let xi = x.astype(DType::I64)?;
    let bins = if x.size() == 0 {
        minlength
    } else {
        let low = xi.min(None, false)?.item::<i64>()?;
        if low < 0 {
            // The CPU's message: the first negative value and its position.
            let xs = xi.to_vec::<i64>()?;
            let p = xs
                .iter()
                .position(|&v| v < 0)
                .expect("the minimum is negative");
            return Err(Error::value(
                OP,
                format!(
                    "expected non-negative integers, found {} at position {p}",
                    xs[p]
                ),
            ));
        }
        (xi.max(None, false)?.item::<i64>()? as usize + 1).max(minlength)
    };
    let edges = Array::arange_dtype(0.0, bins as f64, 1.0, DType::I64)?.to_device(dev)?;
    let Some(w) = weights else {
        let sorted = xi.sort(Some(0))?;
        return searchsorted(&sorted, &edges, true)?.sub(&searchsorted(&sorted, &edges, false)?);
    };
    let perm = xi.argsort(Some(0))?;
    let sorted = xi.take(&perm, Some(0))?;
    let ws = w.astype(DType::F64)?.take(&perm, Some(0))?;
    let (lo, hi) = (
        searchsorted(&sorted, &edges, false)?,
        searchsorted(&sorted, &edges, true)?,
    );
    super::kernel_path::cached(&BIN_SUMS_KERNEL, BIN_SUMS).call(&[
        crate::KernelArg::from(&lo),
        crate::KernelArg::from(&hi),
        crate::KernelArg::from(&ws),
    ])
}

/// Sorts one row, in parallel when it is long.
fn sort_rows_any<T: Element>(data: &mut [T]) {
    if !data.is_empty() {
        let n = data.len();
        sort_rows(data, n);
    }
}

/// Counts of each value in a 1-D array of non-negative integers (NumPy's
/// `np.bincount`): `int64` without `weights`, else the `float64` sums of the
/// weights falling in each bin. The result has `max(x) + 1` bins, at least `minlength`.
pub fn bincount(x: &Array, weights: Option<&Array>, minlength: usize) -> Result<Array> {
    const OP: &str = "bincount";
    if x.ndim() != 1 {
        return Err(Error::shape(
            OP,
            format!(
                "expected a 1-D array, found a {}-D array of shape {:?}",
                x.ndim(),
                x.shape()
            ),
        ));
    }
    if !(x.dtype().is_integer() || x.dtype() == DType::Bool) {
        return Err(Error::unsupported_dtype(
            OP,
            "an array of non-negative integers",
            x.dtype(),
        ));
    }
    if let Some(w) = weights {
        Array::same_device(OP, x, w)?;
        if w.shape() != x.shape() {
            return Err(Error::shape(
                OP,
                format!(
                    "expected weights of the same shape as x {:?}, found {:?}",
                    x.shape(),
                    w.shape()
                ),
            ));
        }
    }
    if super::kernel_path::use_kernels(x.device()) {
        return bincount_on_device(x, weights, minlength);
    }
    x.expect_cpu(OP)?;
    let xs = x.to_vec::<i64>()?;
    if let Some(p) = xs.iter().position(|&v| v < 0) {
        return Err(Error::value(
            OP,
            format!(
                "expected non-negative integers, found {} at position {p}",
                xs[p]
            ),
        ));
    }
    let bins = xs
        .iter()
        .max()
        .map_or(0, |&m| m as usize + 1)
        .max(minlength);
    match weights {
        None => {
            let mut out = Array::zeros(&[bins], DType::I64)?;
            let counts = out
                .as_slice_mut::<i64>()
                .expect("fresh contiguous int64 array");
            for &v in &xs {
                counts[v as usize] += 1;
            }
            Ok(out)
        }
        Some(w) => {
            let ws = w.to_vec::<f64>()?;
            let mut out = Array::zeros(&[bins], DType::F64)?;
            let sums = out
                .as_slice_mut::<f64>()
                .expect("fresh contiguous float64 array");
            for (&v, &wt) in xs.iter().zip(&ws) {
                sums[v as usize] += wt;
            }
            Ok(out)
        }
    }
}

/// Indices where the elements of `v` would be inserted into the sorted 1-D
/// array `a` to keep it sorted (NumPy's `np.searchsorted`): the first such
/// place (`side="left"`) or, with `side_right`, the last. Comparisons happen in
/// the promoted dtype of `a` and `v`, with NaNs last as in [`Array::sort`]. The
/// result is `int64` with the shape of `v`.
pub fn searchsorted(a: &Array, v: &Array, side_right: bool) -> Result<Array> {
    const OP: &str = "searchsorted";
    Array::same_device(OP, a, v)?;
    if a.ndim() != 1 {
        return Err(Error::shape(
            OP,
            format!(
                "expected a 1-D sorted array, found a {}-D array of shape {:?}",
                a.ndim(),
                a.shape()
            ),
        ));
    }
    let dt = a.dtype().promote(v.dtype());
    if super::kernel_path::use_kernels(a.device()) {
        let (hay, needles) = (a.astype(dt)?, v.astype(dt)?);
        let k = super::kernel_path::cached(&SEARCHSORTED_KERNEL, SEARCHSORTED);
        let args = [
            crate::KernelArg::from(&hay),
            crate::KernelArg::from(&needles),
            crate::KernelArg::from(a.size() as i64),
            crate::KernelArg::from(side_right),
        ];
        return k.call(&args);
    }
    a.expect_cpu(OP)?;
    crate::dispatch_all!(dt, T => {
        let hay = a.to_vec::<T>()?;
        let needles = v.to_vec::<T>()?;
        let find = |x: &T| -> i64 {
            let pos = if side_right {
                hay.partition_point(|h| cmp_nan_last(h, x) != Ordering::Greater)
            } else {
                hay.partition_point(|h| cmp_nan_last(h, x) == Ordering::Less)
            };
            pos as i64
        };
        let out: Vec<i64> = if needles.len() >= PARALLEL_THRESHOLD / 8 {
            needles.par_iter().map(find).collect()
        } else {
            needles.iter().map(find).collect()
        };
        Array::from_vec(out, v.shape())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ALL_DTYPES;
    use half::{bf16, f16};

    /// Deterministic values with many repeats, for comparing against a reference.
    fn lcg(n: usize, modulo: u64, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) % modulo) as f64
            })
            .collect()
    }

    /// Reference stable sort/argsort along `axis` of C-ordered `data` with `shape`.
    fn reference(data: &[f64], shape: &[usize], axis: usize) -> (Vec<f64>, Vec<i64>) {
        let n = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let outer: usize = shape[..axis].iter().product();
        let (mut vals, mut idx) = (data.to_vec(), vec![0i64; data.len()]);
        for o in 0..outer {
            for i in 0..inner {
                let at = |k: usize| o * n * inner + k * inner + i;
                let mut perm: Vec<usize> = (0..n).collect();
                perm.sort_by(|&p, &q| cmp_nan_last(&data[at(p)], &data[at(q)]));
                for (k, &p) in perm.iter().enumerate() {
                    vals[at(k)] = data[at(p)];
                    idx[at(k)] = p as i64;
                }
            }
        }
        (vals, idx)
    }

    fn check_all_axes(a: &Array) {
        let data = a.to_vec::<f64>().unwrap();
        let nd = a.ndim() as isize;
        for axis in -nd..nd {
            let ax = if axis < 0 { axis + nd } else { axis } as usize;
            let (want_v, want_i) = reference(&data, a.shape(), ax);
            let s = a.sort(Some(axis)).unwrap();
            assert_eq!(s.shape(), a.shape());
            assert_eq!(s.dtype(), a.dtype());
            assert!(s.is_c_contiguous());
            assert_eq!(
                s.to_vec::<f64>().unwrap(),
                want_v,
                "sort axis {axis} shape {:?}",
                a.shape()
            );
            let i = a.argsort(Some(axis)).unwrap();
            assert_eq!(i.dtype(), DType::I64);
            assert_eq!(i.shape(), a.shape());
            assert_eq!(i.to_vec::<i64>().unwrap(), want_i, "argsort axis {axis}");
            let back = a.take_along_axis(&i, axis).unwrap();
            assert_eq!(back.to_vec::<f64>().unwrap(), want_v);
        }
        let (flat_v, flat_i) = reference(&data, &[data.len()], 0);
        assert_eq!(a.sort(None).unwrap().to_vec::<f64>().unwrap(), flat_v);
        assert_eq!(a.sort(None).unwrap().shape(), &[data.len()]);
        assert_eq!(a.argsort(None).unwrap().to_vec::<i64>().unwrap(), flat_i);
    }

    #[test]
    fn sort_2d_matches_numpy_docs() {
        // np.sort([[1, 4], [3, 1]]) etc.
        let a = Array::from_vec(vec![1i32, 4, 3, 1], &[2, 2]).unwrap();
        assert_eq!(
            a.sort(Some(-1)).unwrap().to_vec::<i32>().unwrap(),
            vec![1, 4, 1, 3]
        );
        assert_eq!(
            a.sort(Some(1)).unwrap().to_vec::<i32>().unwrap(),
            vec![1, 4, 1, 3]
        );
        assert_eq!(
            a.sort(Some(0)).unwrap().to_vec::<i32>().unwrap(),
            vec![1, 1, 3, 4]
        );
        assert_eq!(
            a.sort(None).unwrap().to_vec::<i32>().unwrap(),
            vec![1, 1, 3, 4]
        );
        // np.argsort([[0, 3], [2, 2]], axis=0) -> [[0, 1], [1, 0]]; axis=1 -> [[0, 1], [0, 1]]
        let x = Array::from_vec(vec![0i64, 3, 2, 2], &[2, 2]).unwrap();
        assert_eq!(
            x.argsort(Some(0)).unwrap().to_vec::<i64>().unwrap(),
            vec![0, 1, 1, 0]
        );
        assert_eq!(
            x.argsort(Some(1)).unwrap().to_vec::<i64>().unwrap(),
            vec![0, 1, 0, 1]
        );
        assert_eq!(
            sort(&a, Some(0)).unwrap().to_vec::<i32>().unwrap(),
            vec![1, 1, 3, 4]
        );
        assert_eq!(
            argsort(&x, Some(0)).unwrap().to_vec::<i64>().unwrap(),
            vec![0, 1, 1, 0]
        );
    }

    #[test]
    fn sort_every_axis_2d_3d_and_views() {
        let a2 = Array::from_vec(lcg(5 * 7, 4, 1), &[5, 7]).unwrap();
        check_all_axes(&a2);
        let a3 = Array::from_vec(lcg(4 * 3 * 6, 5, 2), &[4, 3, 6])
            .unwrap()
            .astype(DType::I32)
            .unwrap();
        check_all_axes(&a3);
        // Non-contiguous inputs: transposed and permuted views, and a strided slice.
        let t = a3.t();
        assert!(!t.is_c_contiguous());
        check_all_axes(&t);
        check_all_axes(&a3.transpose(Some(&[1, 0, 2])).unwrap());
        check_all_axes(&a2.t());
        check_all_axes(&a2.flip(Some(&[1])).unwrap());
    }

    #[test]
    fn sort_large_takes_parallel_paths() {
        // Many rows (parallel over rows) and one long row (parallel merge sort).
        let a = Array::from_vec(lcg(300 * 200, 50, 3), &[300, 200]).unwrap();
        check_all_axes(&a);
        let long = Array::from_vec(lcg(100_000, 1000, 4), &[100_000]).unwrap();
        let data = long.to_vec::<f64>().unwrap();
        let (want_v, want_i) = reference(&data, &[data.len()], 0);
        assert_eq!(long.sort(Some(0)).unwrap().to_vec::<f64>().unwrap(), want_v);
        assert_eq!(long.argsort(None).unwrap().to_vec::<i64>().unwrap(), want_i);
    }

    #[test]
    fn argsort_is_stable() {
        let a = Array::from_vec(vec![3i64, 1, 2, 1, 3, 1], &[6]).unwrap();
        assert_eq!(
            a.argsort(Some(-1)).unwrap().to_vec::<i64>().unwrap(),
            vec![1, 3, 5, 2, 0, 4]
        );
        // -0.0 == 0.0: equal keys keep their order.
        let z = Array::from_vec(vec![0.0f64, -0.0, 0.0, -1.0], &[4]).unwrap();
        assert_eq!(
            z.argsort(None).unwrap().to_vec::<i64>().unwrap(),
            vec![3, 0, 1, 2]
        );
        let s = z.sort(None).unwrap().to_vec::<f64>().unwrap();
        assert!(s[1].is_sign_positive() && s[2].is_sign_negative() && s[3].is_sign_positive());
        let b = Array::from_vec(vec![true, false, true, false], &[4]).unwrap();
        assert_eq!(
            b.argsort(None).unwrap().to_vec::<i64>().unwrap(),
            vec![1, 3, 0, 2]
        );
    }

    #[test]
    fn nans_sort_last_in_every_float_dtype() {
        let v = vec![
            3.0,
            f64::NAN,
            f64::INFINITY,
            1.0,
            f64::NAN,
            f64::NEG_INFINITY,
            2.0,
        ];
        let base = Array::from_vec(v, &[7]).unwrap();
        for dt in [DType::F16, DType::BF16, DType::F32, DType::F64] {
            let a = base.astype(dt).unwrap();
            let s = a.sort(Some(0)).unwrap().to_vec::<f64>().unwrap();
            assert_eq!(
                &s[..5],
                &[f64::NEG_INFINITY, 1.0, 2.0, 3.0, f64::INFINITY],
                "{dt}"
            );
            assert!(s[5].is_nan() && s[6].is_nan(), "{dt}");
            assert_eq!(
                a.argsort(None).unwrap().to_vec::<i64>().unwrap(),
                vec![5, 3, 6, 0, 2, 1, 4],
                "{dt}"
            );
        }
        // Along axis 0 of a 2-D array.
        let m = Array::from_vec(vec![f32::NAN, 1.0, 0.5, f32::NAN], &[2, 2]).unwrap();
        let s = m.sort(Some(0)).unwrap().to_vec::<f32>().unwrap();
        assert_eq!((s[0], s[1]), (0.5, 1.0));
        assert!(s[2].is_nan() && s[3].is_nan());
    }

    #[test]
    fn sort_every_dtype() {
        let v = vec![3.0, 0.0, 2.0, 1.0, 0.0, 5.0];
        for dt in ALL_DTYPES {
            let a = Array::from_vec(v.clone(), &[2, 3])
                .unwrap()
                .astype(dt)
                .unwrap();
            let want: Vec<f64> = if dt == DType::Bool {
                vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
            } else {
                vec![0.0, 2.0, 3.0, 0.0, 1.0, 5.0]
            };
            let s = a.sort(Some(1)).unwrap();
            assert_eq!(s.dtype(), dt);
            assert_eq!(s.to_vec::<f64>().unwrap(), want, "{dt}");
            let i = a.argsort(Some(1)).unwrap().to_vec::<i64>().unwrap();
            let want_i = if dt == DType::Bool {
                vec![1, 0, 2, 1, 0, 2]
            } else {
                vec![1, 2, 0, 1, 0, 2]
            };
            assert_eq!(i, want_i, "{dt}");
        }
        let h = Array::from_vec(vec![f16::from_f32(2.5), f16::from_f32(-1.0)], &[2]).unwrap();
        assert_eq!(
            h.sort(None).unwrap().to_vec::<f16>().unwrap(),
            vec![f16::from_f32(-1.0), f16::from_f32(2.5)]
        );
        let b = Array::from_vec(vec![bf16::from_f32(2.5), bf16::from_f32(-1.0)], &[2]).unwrap();
        assert_eq!(
            b.argsort(None).unwrap().to_vec::<i64>().unwrap(),
            vec![1, 0]
        );
    }

    #[test]
    fn sort_edge_shapes_and_bad_axes() {
        let e = Array::zeros(&[3, 0], DType::F32).unwrap();
        assert_eq!(e.sort(Some(1)).unwrap().shape(), &[3, 0]);
        assert_eq!(e.argsort(Some(0)).unwrap().shape(), &[3, 0]);
        assert_eq!(e.sort(None).unwrap().shape(), &[0]);
        let s = Array::scalar(4i32);
        assert_eq!(s.sort(None).unwrap().to_vec::<i32>().unwrap(), vec![4]);
        assert!(matches!(
            s.sort(Some(-1)),
            Err(Error::Axis {
                op: "sort",
                axis: -1,
                ndim: 0
            })
        ));
        let a = Array::zeros(&[2, 3], DType::F64).unwrap();
        assert!(matches!(
            a.sort(Some(2)),
            Err(Error::Axis {
                op: "sort",
                axis: 2,
                ndim: 2
            })
        ));
        assert!(matches!(
            a.argsort(Some(-3)),
            Err(Error::Axis {
                op: "argsort",
                axis: -3,
                ndim: 2
            })
        ));
    }

    #[test]
    fn unique_matches_numpy() {
        // np.unique([1, 1, 2, 2, 3, 3]) -> [1, 2, 3]
        let a = Array::from_vec(vec![1i32, 1, 2, 2, 3, 3], &[6]).unwrap();
        let u = unique(&a).unwrap();
        assert_eq!(u.dtype(), DType::I32);
        assert_eq!(u.to_vec::<i32>().unwrap(), vec![1, 2, 3]);
        // np.unique([[1, 1], [2, 3]]) -> [1, 2, 3]
        let m = Array::from_vec(vec![1u8, 1, 2, 3], &[2, 2]).unwrap();
        assert_eq!(unique(&m).unwrap().to_vec::<u8>().unwrap(), vec![1, 2, 3]);
        // np.unique([1, 2, 2, 3, 1], return_index=True) -> ([1, 2, 3], [0, 1, 3])
        let b = Array::from_vec(vec![1i64, 2, 2, 3, 1], &[5]).unwrap();
        let u = unique_with(&b, true, false, false).unwrap();
        assert_eq!(u.values.to_vec::<i64>().unwrap(), vec![1, 2, 3]);
        assert_eq!(u.index.unwrap().to_vec::<i64>().unwrap(), vec![0, 1, 3]);
        assert!(u.inverse.is_none() && u.counts.is_none());
        // np.unique([1, 2, 6, 4, 2, 3, 2], return_index, return_inverse, return_counts)
        let c = Array::from_vec(vec![1.0f64, 2.0, 6.0, 4.0, 2.0, 3.0, 2.0], &[7]).unwrap();
        let u = unique_with(&c, true, true, true).unwrap();
        assert_eq!(
            u.values.to_vec::<f64>().unwrap(),
            vec![1.0, 2.0, 3.0, 4.0, 6.0]
        );
        assert_eq!(
            u.index.unwrap().to_vec::<i64>().unwrap(),
            vec![0, 1, 5, 3, 2]
        );
        let inv = u.inverse.unwrap();
        assert_eq!(inv.to_vec::<i64>().unwrap(), vec![0, 1, 4, 3, 1, 2, 1]);
        assert_eq!(
            u.values.take(&inv, None).unwrap().to_vec::<f64>().unwrap(),
            c.to_vec::<f64>().unwrap()
        );
        assert_eq!(
            u.counts.unwrap().to_vec::<i64>().unwrap(),
            vec![1, 3, 1, 1, 1]
        );
    }

    #[test]
    fn unique_inverse_has_input_shape_and_rebuilds_it() {
        let a = Array::from_vec(vec![5i16, 1, 5, 2, 1, 1], &[2, 3])
            .unwrap()
            .t();
        let u = unique_with(&a, false, true, false).unwrap();
        assert_eq!(u.values.to_vec::<i16>().unwrap(), vec![1, 2, 5]);
        let inv = u.inverse.unwrap();
        assert_eq!(inv.shape(), &[3, 2]);
        // a.t() flattened is [5, 2, 1, 1, 5, 1]
        assert_eq!(inv.to_vec::<i64>().unwrap(), vec![2, 1, 0, 0, 2, 0]);
        let back = u.values.take(&inv, None).unwrap();
        assert_eq!(back.shape(), &[3, 2]);
        assert_eq!(back.to_vec::<i16>().unwrap(), a.to_vec::<i16>().unwrap());
    }

    #[test]
    fn unique_collapses_nans() {
        // NumPy >= 1.21: np.unique([1, nan, 2, nan, 1], return_index, return_inverse,
        // return_counts) -> [1, 2, nan], [0, 2, 1], [0, 2, 1, 2, 0], [2, 1, 2]
        let a = Array::from_vec(vec![1.0f32, f32::NAN, 2.0, f32::NAN, 1.0], &[5]).unwrap();
        let v = unique(&a).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(&v[..2], &[1.0, 2.0]);
        assert!(v[2].is_nan());
        let u = unique_with(&a, true, true, true).unwrap();
        assert_eq!(u.values.size(), 3);
        assert_eq!(u.index.unwrap().to_vec::<i64>().unwrap(), vec![0, 2, 1]);
        assert_eq!(
            u.inverse.unwrap().to_vec::<i64>().unwrap(),
            vec![0, 2, 1, 2, 0]
        );
        assert_eq!(u.counts.unwrap().to_vec::<i64>().unwrap(), vec![2, 1, 2]);
        let h = a.astype(DType::F16).unwrap();
        assert_eq!(unique(&h).unwrap().size(), 3);
    }

    #[test]
    fn unique_empty_and_bool() {
        let e = Array::zeros(&[0], DType::F64).unwrap();
        let u = unique_with(&e, true, true, true).unwrap();
        assert_eq!(u.values.shape(), &[0]);
        assert_eq!(u.index.unwrap().shape(), &[0]);
        assert_eq!(u.inverse.unwrap().shape(), &[0]);
        assert_eq!(u.counts.unwrap().shape(), &[0]);
        let b = Array::from_vec(vec![true, false, true], &[3]).unwrap();
        assert_eq!(
            unique(&b).unwrap().to_vec::<bool>().unwrap(),
            vec![false, true]
        );
    }

    #[test]
    fn bincount_matches_numpy() {
        // np.bincount(np.arange(5)) -> [1, 1, 1, 1, 1]
        let r = bincount(&Array::arange(5).unwrap(), None, 0).unwrap();
        assert_eq!(r.dtype(), DType::I64);
        assert_eq!(r.to_vec::<i64>().unwrap(), vec![1; 5]);
        // np.bincount([0, 1, 1, 3, 2, 1, 7]) -> [1, 3, 1, 1, 0, 0, 0, 1]
        let x = Array::from_vec(vec![0u8, 1, 1, 3, 2, 1, 7], &[7]).unwrap();
        assert_eq!(
            bincount(&x, None, 0).unwrap().to_vec::<i64>().unwrap(),
            vec![1, 3, 1, 1, 0, 0, 0, 1]
        );
        // minlength only pads.
        assert_eq!(bincount(&x, None, 10).unwrap().shape(), &[10]);
        assert_eq!(bincount(&x, None, 3).unwrap().shape(), &[8]);
        let e = Array::zeros(&[0], DType::I32).unwrap();
        assert_eq!(bincount(&e, None, 0).unwrap().shape(), &[0]);
        assert_eq!(
            bincount(&e, None, 3).unwrap().to_vec::<i64>().unwrap(),
            vec![0, 0, 0]
        );
        // w = [0.3, 0.5, 0.2, 0.7, 1., -0.6]; x = [0, 1, 1, 2, 2, 2] -> [0.3, 0.7, 1.1]
        let x = Array::from_vec(vec![0i32, 1, 1, 2, 2, 2], &[6]).unwrap();
        let w = Array::from_vec(vec![0.3f32, 0.5, 0.2, 0.7, 1.0, -0.6], &[6]).unwrap();
        let r = bincount(&x, Some(&w), 5).unwrap();
        assert_eq!(r.dtype(), DType::F64);
        let got = r.to_vec::<f64>().unwrap();
        for (g, want) in got.iter().zip([0.3, 0.7, 1.1, 0.0, 0.0]) {
            assert!((g - want).abs() < 1e-6, "{got:?}");
        }
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn bincount_rejects_bad_input() {
        let neg = Array::from_vec(vec![0i64, -2, 1], &[3]).unwrap();
        let err = bincount(&neg, None, 0).err().unwrap();
        assert!(matches!(err, Error::Value { op: "bincount", .. }));
        assert!(err.to_string().contains("-2"), "{err}");
        let f = Array::from_vec(vec![0.0f64, 1.0], &[2]).unwrap();
        assert!(matches!(
            bincount(&f, None, 0),
            Err(Error::DType { op: "bincount", .. })
        ));
        let m = Array::zeros(&[2, 2], DType::I64).unwrap();
        assert!(matches!(
            bincount(&m, None, 0),
            Err(Error::Shape { op: "bincount", .. })
        ));
        let x = Array::from_vec(vec![0i64, 1], &[2]).unwrap();
        let w = Array::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap();
        assert!(matches!(
            bincount(&x, Some(&w), 0),
            Err(Error::Shape { op: "bincount", .. })
        ));
    }

    #[test]
    fn searchsorted_left_and_right() {
        // np.searchsorted([1, 2, 3, 4, 5], 3) -> 2; side='right' -> 3
        let a = Array::from_vec(vec![1i64, 2, 3, 4, 5], &[5]).unwrap();
        let v = Array::from_vec(vec![-10i64, 10, 2, 3], &[2, 2]).unwrap();
        let l = searchsorted(&a, &v, false).unwrap();
        assert_eq!(l.shape(), &[2, 2]);
        assert_eq!(l.dtype(), DType::I64);
        assert_eq!(l.to_vec::<i64>().unwrap(), vec![0, 5, 1, 2]);
        assert_eq!(
            a.searchsorted(&v, true).unwrap().to_vec::<i64>().unwrap(),
            vec![0, 5, 2, 3]
        );
        // Mixed dtypes promote; NaN goes after everything.
        let f = Array::from_vec(vec![1.0f32, 2.0, f32::NAN], &[3]).unwrap();
        let q = Array::from_vec(vec![1.5f64, f64::NAN, 7.0], &[3]).unwrap();
        assert_eq!(
            searchsorted(&f, &q, false)
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
            vec![1, 2, 2]
        );
        assert_eq!(
            searchsorted(&f, &q, true).unwrap().to_vec::<i64>().unwrap(),
            vec![1, 3, 2]
        );
        let m = Array::zeros(&[2, 2], DType::I64).unwrap();
        assert!(matches!(
            searchsorted(&m, &v, false),
            Err(Error::Shape {
                op: "searchsorted",
                ..
            })
        ));
    }
}

#[cfg(test)]
mod kernel_path_tests {
    use super::super::kernel_path::forced;
    use crate::{Array, DType};

    /// `sort`/`argsort` off the CPU (the bitonic network, forced on the
    /// CPU) equal the stable CPU sort exactly: ties keep their order, NaNs
    /// and infinities and -0.0 in NumPy's order, rows of every length from
    /// 1 to past a power of two, every axis and the flattened array, the
    /// integer and float dtypes, bool, a transposed view, empty arrays.
    #[test]
    fn bitonic_sort_matches_the_stable_sort() {
        let vals = [
            3.0,
            -1.0,
            f64::NAN,
            0.0,
            -0.0,
            3.0,
            f64::INFINITY,
            -2.5,
            3.0,
            f64::NEG_INFINITY,
            f64::NAN,
            1.0,
            -1.0,
        ];
        for dtype in [
            DType::F64,
            DType::F32,
            DType::F16,
            DType::I32,
            DType::U8,
            DType::Bool,
        ] {
            for (rows, n) in [(1usize, 1usize), (2, 5), (3, 8), (2, 13), (1, 33)] {
                // Integers and bools: small values, so ties are plentiful.
                let v: Vec<f64> = (0..rows * n)
                    .map(|i| {
                        if dtype.is_float() {
                            vals[(i * 5) % vals.len()]
                        } else {
                            ((i * 7) % 5) as f64
                        }
                    })
                    .collect();
                let base = Array::from_vec(v, &[rows, n])
                    .unwrap()
                    .astype(dtype)
                    .unwrap();
                for a in [base.clone(), base.t().ascontiguousarray().unwrap().t()] {
                    for axis in [None, Some(0), Some(-1)] {
                        let what = format!("{dtype} {rows}x{n} axis {axis:?}");
                        let (cs, ks) = (a.sort(axis).unwrap(), forced(|| a.sort(axis)).unwrap());
                        assert_eq!((ks.shape(), ks.dtype()), (cs.shape(), cs.dtype()), "{what}");
                        let bits = |x: &Array| {
                            x.astype(DType::F64)
                                .unwrap()
                                .to_vec::<f64>()
                                .unwrap()
                                .iter()
                                .map(|v| v.to_bits())
                                .collect::<Vec<_>>()
                        };
                        let nan_free = |x: &Array| {
                            bits(x)
                                .into_iter()
                                .map(|b| if f64::from_bits(b).is_nan() { 0 } else { b })
                                .collect::<Vec<_>>()
                        };
                        assert_eq!(nan_free(&ks), nan_free(&cs), "sort {what}");
                        let (ca, ka) = (
                            a.argsort(axis).unwrap(),
                            forced(|| a.argsort(axis)).unwrap(),
                        );
                        assert_eq!(ka.dtype(), DType::I64);
                        assert_eq!(
                            ka.to_vec::<i64>().unwrap(),
                            ca.to_vec::<i64>().unwrap(),
                            "argsort {what}"
                        );
                    }
                }
            }
        }
        let empty = Array::zeros(&[3, 0], DType::F32).unwrap();
        assert_eq!(forced(|| empty.argsort(Some(1))).unwrap().shape(), [3, 0]);
        assert_eq!(forced(|| empty.sort(None)).unwrap().shape(), [0]);
    }

    /// `unique` off the CPU (sort, group-start kernel, cumulative sum,
    /// binary searches, forced) equals the CPU's in every part: values,
    /// first-occurrence index, inverse (with the input's shape) and counts;
    /// repeated NaNs collapse into one, -0.0 equals 0.0, a transposed 2-D
    /// input, bools, one element, no elements.
    #[test]
    fn unique_kernels_match_the_cpu() {
        use super::{unique_with, Unique};
        let floats = [
            2.0,
            f64::NAN,
            -1.0,
            2.0,
            0.0,
            -0.0,
            f64::NAN,
            7.5,
            -1.0,
            f64::INFINITY,
            2.0,
            f64::NEG_INFINITY,
        ];
        let parts = |u: &Unique| -> Vec<Vec<f64>> {
            let v = |a: &Array| a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap();
            let mut out = vec![v(&u.values)
                .into_iter()
                .map(|x| if x.is_nan() { 1e300 } else { x })
                .collect()];
            for p in [&u.index, &u.inverse, &u.counts] {
                out.push(p.as_ref().map(v).unwrap_or_default());
            }
            out
        };
        for dtype in [
            DType::F64,
            DType::F32,
            DType::F16,
            DType::I32,
            DType::U8,
            DType::Bool,
        ] {
            for len in [0usize, 1, 5, 12] {
                let v: Vec<f64> = (0..len)
                    .map(|i| {
                        if dtype.is_float() {
                            floats[i]
                        } else {
                            ((i * 7) % 4) as f64
                        }
                    })
                    .collect();
                let flat = Array::from_vec(v, &[len]).unwrap().astype(dtype).unwrap();
                let mut inputs = vec![flat.clone()];
                if len == 12 {
                    inputs.push(flat.reshape(&[3, 4]).unwrap().t());
                }
                for a in inputs {
                    for flags in [
                        (false, false, false),
                        (true, true, true),
                        (false, true, false),
                    ] {
                        let (ri, rinv, rc) = flags;
                        let cpu = unique_with(&a, ri, rinv, rc).unwrap();
                        let ker = forced(|| unique_with(&a, ri, rinv, rc)).unwrap();
                        let what = format!("{dtype} {:?} {flags:?}", a.shape());
                        assert_eq!(ker.values.dtype(), cpu.values.dtype(), "{what}");
                        assert_eq!(
                            ker.inverse.as_ref().map(|x| x.shape().to_vec()),
                            cpu.inverse.as_ref().map(|x| x.shape().to_vec()),
                            "{what}"
                        );
                        assert_eq!(parts(&ker), parts(&cpu), "{what}");
                    }
                }
            }
        }
    }

    /// `bincount` off the CPU (sort, binary searches, per-bin sums,
    /// forced) equals the CPU's: counts, float64 weighted sums bit for bit
    /// (each bin adds in input order), `minlength` above and below the
    /// largest value, bool and uint8 input, empty input, and the same
    /// error for a negative value.
    #[test]
    fn bincount_kernels_match_the_cpu() {
        use super::bincount;
        let xs = [3i64, 0, 5, 3, 3, 1, 0, 9, 3, 5];
        // Bin 3 gets 1e16, 1, -1e16, 1: 1 in input order, 0 in any other.
        let ws = [1e16, 2.0, 5.0, 1.0, -1e16, 7.0, 1.5, 3.0, 1.0, 0.1];
        for len in [0usize, 1, 4, xs.len()] {
            for dtype in [DType::I64, DType::I32, DType::U8] {
                let x = Array::from_vec(xs[..len].to_vec(), &[len])
                    .unwrap()
                    .astype(dtype)
                    .unwrap();
                let w = Array::from_vec(ws[..len].to_vec(), &[len])
                    .unwrap()
                    .astype(if len == 4 { DType::F32 } else { DType::F64 })
                    .unwrap();
                for minlength in [0usize, 3, 14] {
                    for weights in [None, Some(&w)] {
                        let cpu = bincount(&x, weights, minlength).unwrap();
                        let ker = forced(|| bincount(&x, weights, minlength)).unwrap();
                        let what = format!("{dtype} len {len} minlength {minlength}");
                        assert_eq!(
                            (ker.shape(), ker.dtype()),
                            (cpu.shape(), cpu.dtype()),
                            "{what}"
                        );
                        let bits = |a: &Array| {
                            a.astype(DType::F64)
                                .unwrap()
                                .to_vec::<f64>()
                                .unwrap()
                                .iter()
                                .map(|v| v.to_bits())
                                .collect::<Vec<_>>()
                        };
                        assert_eq!(bits(&ker), bits(&cpu), "{what}");
                    }
                }
            }
        }
        let b = Array::from_vec(vec![true, false, true], &[3]).unwrap();
        assert_eq!(
            forced(|| bincount(&b, None, 0))
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
            vec![1, 2]
        );
        // Two negatives, the first not the smallest: the first is named.
        let neg = Array::from_vec(vec![2i32, -1, 1, -4], &[4]).unwrap();
        let (ce, ke) = (
            bincount(&neg, None, 0).unwrap_err().to_string(),
            forced(|| bincount(&neg, None, 0)).unwrap_err().to_string(),
        );
        assert_eq!(ke, ce);
    }

    /// `searchsorted` off the CPU (binary-search kernel, forced) against
    /// the CPU: both sides, ties, NaN needles and a NaN-tailed haystack,
    /// ±inf and -0.0, mixed dtypes (promoted), a 2-D needle array, an empty
    /// haystack.
    #[test]
    fn searchsorted_kernel_matches_the_cpu() {
        let hay = [
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            0.0,
            2.5,
            2.5,
            2.5,
            7.0,
            f64::INFINITY,
            f64::NAN,
            f64::NAN,
        ];
        let needles = [
            -5.0,
            -1.0,
            0.0,
            -0.0,
            2.5,
            3.0,
            f64::INFINITY,
            f64::NAN,
            f64::NEG_INFINITY,
            100.0,
        ];
        for (hd, nd) in [
            (DType::F64, DType::F64),
            (DType::F32, DType::F16),
            (DType::F16, DType::F64),
        ] {
            for len in [0usize, 1, 5, hay.len()] {
                let a = Array::from_vec(hay[..len].to_vec(), &[len])
                    .unwrap()
                    .astype(hd)
                    .unwrap();
                let v = Array::from_vec(needles.to_vec(), &[2, 5])
                    .unwrap()
                    .astype(nd)
                    .unwrap();
                for right in [false, true] {
                    let cpu = super::searchsorted(&a, &v, right).unwrap();
                    let ker = forced(|| super::searchsorted(&a, &v, right)).unwrap();
                    assert_eq!((ker.shape(), ker.dtype()), (cpu.shape(), cpu.dtype()));
                    assert_eq!(
                        ker.to_vec::<i64>().unwrap(),
                        cpu.to_vec::<i64>().unwrap(),
                        "{hd} {nd} len {len} right {right}"
                    );
                }
            }
        }
        let ints = Array::from_vec(vec![1i32, 3, 3, 9], &[4]).unwrap();
        let v = Array::from_vec(vec![0i32, 3, 4, 10], &[4]).unwrap();
        for right in [false, true] {
            assert_eq!(
                forced(|| super::searchsorted(&ints, &v, right))
                    .unwrap()
                    .to_vec::<i64>()
                    .unwrap(),
                super::searchsorted(&ints, &v, right)
                    .unwrap()
                    .to_vec::<i64>()
                    .unwrap()
            );
        }
    }
}
