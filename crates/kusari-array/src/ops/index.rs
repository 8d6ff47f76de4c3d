//! Indexing: basic slicing (views), integer-array and boolean-mask selection
//! (copies), scatter-add, and `take_along_axis`.

use crate::backend::cpu::OutView;
use crate::layout::{self, Order, Shape, Strides};
use crate::{Array, DType, Error, KernelArg, Result};
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo};

/// A row kernel: element `i` of shape `(outer, nrows, inner)` (index
/// `(o, j, k)`) meets element `at` = `(o, rows[j], k)` of `(outer, n,
/// inner)`; the rows were checked and made non-negative on the host.
macro_rules! row_kernel {
    ($name:literal, $data:literal, $out:literal, $body:literal) => {
        (
            $name,
            concat!(
                "raw T ",
                $data,
                ", raw int64 rows, int64 n, int64 inner, int64 nrows"
            ),
            $out,
            concat!(
                "long long k = i % inner; long long rest = i / inner;
                 long long j = rest % nrows; long long o = rest / nrows;
                 long long at = (o * n + rows[j]) * inner + k; ",
                $body
            ),
        )
    };
}

/// `take`'s kernel off the CPU: `out[i] = src[at]`.
pub(crate) const TAKE: super::kernel_path::KernelDef =
    row_kernel!("kusari_take", "src", "T out", "out = src[at];");

/// `take_along_axis`'s kernel off the CPU: `out[i] = src[at[i]]` for C-order
/// positions `at` checked on the host.
pub(crate) const GATHER: super::kernel_path::KernelDef = (
    "kusari_gather",
    "raw T src, int64 at",
    "T out",
    "out = src[at];",
);

static GATHER_KERNEL: std::sync::OnceLock<crate::ElementwiseKernel> = std::sync::OnceLock::new();

/// Runs a row kernel ([`TAKE`], [`SCATTER_ADD`]) with `data`, the checked
/// `rows` (copied to `out`'s device) and the geometry, writing `out`.
fn call_row_kernel(
    k: &crate::ElementwiseKernel,
    data: &Array,
    rows: &[usize],
    (n, inner): (usize, usize),
    out: &mut Array,
    size: Option<usize>,
) -> Result<()> {
    let nrows = rows.len();
    let rows: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    let rows = Array::from_vec(rows, &[nrows])?.to_device(out.device())?;
    let args = [
        KernelArg::from(data),
        KernelArg::from(&rows),
        KernelArg::from(n as i64),
        KernelArg::from(inner as i64),
        KernelArg::from(nrows as i64),
    ];
    k.call_with(&args, &mut [out], size)?;
    Ok(())
}

/// One entry of a basic index: NumPy's `i`, `start:stop:step`, `np.newaxis` or `...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceArg {
    /// A single position; removes the axis. Negative counts from the end.
    Index(isize),
    /// `start:stop:step`; `None` bounds default as in NumPy (also for negative steps).
    Range {
        /// First position (default: 0, or the last element for a negative step).
        start: Option<isize>,
        /// One past the last position (default: the end, or before the first for a negative step).
        stop: Option<isize>,
        /// Step, never 0.
        step: isize,
    },
    /// Inserts a unit axis (`np.newaxis`).
    NewAxis,
    /// Stands for as many full slices as needed (`...`).
    Ellipsis,
}

impl SliceArg {
    /// `start:stop:step`.
    pub fn range(start: isize, stop: isize, step: isize) -> SliceArg {
        SliceArg::Range {
            start: Some(start),
            stop: Some(stop),
            step,
        }
    }
    /// `:`.
    pub fn full() -> SliceArg {
        SliceArg::Range {
            start: None,
            stop: None,
            step: 1,
        }
    }
    /// This slice with another step (`s![..;-1]`).
    pub fn step_by(self, step: isize) -> SliceArg {
        match self {
            SliceArg::Range { start, stop, .. } => SliceArg::Range { start, stop, step },
            other => other,
        }
    }
}

macro_rules! slicearg_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for SliceArg { fn from(i: $t) -> Self { SliceArg::Index(i as isize) } }
        impl From<Range<$t>> for SliceArg { fn from(r: Range<$t>) -> Self { SliceArg::Range { start: Some(r.start as isize), stop: Some(r.end as isize), step: 1 } } }
        impl From<RangeFrom<$t>> for SliceArg { fn from(r: RangeFrom<$t>) -> Self { SliceArg::Range { start: Some(r.start as isize), stop: None, step: 1 } } }
        impl From<RangeTo<$t>> for SliceArg { fn from(r: RangeTo<$t>) -> Self { SliceArg::Range { start: None, stop: Some(r.end as isize), step: 1 } } }
        impl From<RangeInclusive<$t>> for SliceArg { fn from(r: RangeInclusive<$t>) -> Self { SliceArg::Range { start: Some(*r.start() as isize), stop: Some(*r.end() as isize + 1), step: 1 } } }
    )*};
}
slicearg_from_int!(isize, i32, i64, usize);
impl From<RangeFull> for SliceArg {
    fn from(_: RangeFull) -> Self {
        SliceArg::full()
    }
}

/// `np.newaxis` for [`s!`](crate::s!).
pub const NEWAXIS: SliceArg = SliceArg::NewAxis;
/// `...` for [`s!`](crate::s!).
pub const ELLIPSIS: SliceArg = SliceArg::Ellipsis;

/// Builds a basic index like NumPy's `a[1:3, ::-1, 0]`: `s![1..3, ..;-1, 0]`.
/// Each entry is an integer, a Rust range (optionally `;step`), [`NEWAXIS`] or [`ELLIPSIS`].
///
/// ```
/// use kusari_array::{s, Array};
/// let a = Array::arange(10)?;
/// let b = a.slice(&s![..;-2])?;
/// assert_eq!(b.to_vec::<i64>()?, vec![9, 7, 5, 3, 1]);
/// # Ok::<(), kusari_array::Error>(())
/// ```
#[macro_export]
macro_rules! s {
    (@acc [$($done:expr,)*]) => { [$($done,)*] };
    (@acc [$($done:expr,)*] $r:expr ; $st:expr , $($rest:tt)*) => { $crate::s!(@acc [$($done,)* $crate::SliceArg::from($r).step_by($st),] $($rest)*) };
    (@acc [$($done:expr,)*] $r:expr ; $st:expr) => { $crate::s!(@acc [$($done,)* $crate::SliceArg::from($r).step_by($st),]) };
    (@acc [$($done:expr,)*] $r:expr , $($rest:tt)*) => { $crate::s!(@acc [$($done,)* $crate::SliceArg::from($r),] $($rest)*) };
    (@acc [$($done:expr,)*] $r:expr) => { $crate::s!(@acc [$($done,)* $crate::SliceArg::from($r),]) };
    ($($t:tt)*) => { $crate::s!(@acc [] $($t)*) };
}

/// Python's slice normalization (`slice.indices`): start, and the number of elements.
fn slice_bounds(
    start: Option<isize>,
    stop: Option<isize>,
    step: isize,
    n: usize,
) -> (isize, usize) {
    let n = n as isize;
    let clamp = |v: isize, lo: isize, hi: isize| v.max(lo).min(hi);
    let norm = |v: isize| if v < 0 { v + n } else { v };
    let (s, e) = if step > 0 {
        (
            start.map_or(0, |v| clamp(norm(v), 0, n)),
            stop.map_or(n, |v| clamp(norm(v), 0, n)),
        )
    } else {
        (
            start.map_or(n - 1, |v| clamp(norm(v), -1, n - 1)),
            stop.map_or(-1, |v| clamp(norm(v), -1, n - 1)),
        )
    };
    let len = if step > 0 {
        (e - s + step - 1).div_euclid(step)
    } else {
        (s - e + (-step) - 1).div_euclid(-step)
    };
    (s, len.max(0) as usize)
}

/// `scatter_add`'s kernel off the CPU: value `i` of shape `(outer, nrows,
/// inner)` is added atomically to `acc[o, rows[j], k]` of `(outer, n,
/// inner)` (the rows already checked and made non-negative on the host).
pub(crate) const SCATTER_ADD: super::kernel_path::KernelDef = row_kernel!(
    "kusari_scatter_add",
    "vals",
    "raw T acc",
    "atomicAdd(&acc[at], vals[i]);"
);

/// The dtypes CUDA has an `atomicAdd` for, so `scatter_add` runs on a GPU.
pub(crate) const SCATTER_ADD_DTYPES: &[DType] =
    &[DType::F16, DType::BF16, DType::F32, DType::F64, DType::I32];

/// [`Array::scatter_add`] through [`SCATTER_ADD`] into the C-contiguous `acc`.
fn scatter_add_kernel(
    acc: &mut Array,
    vals: &Array,
    rows: &[usize],
    (n, inner): (usize, usize),
) -> Result<()> {
    if !SCATTER_ADD_DTYPES.contains(&acc.dtype()) {
        return Err(Error::Device {
            op: "scatter_add",
            message: format!(
                "on {} scatter_add supports float16, bfloat16, float32, float64 and int32 (CUDA's atomicAdd), found {}",
                acc.device(),
                acc.dtype()
            ),
        });
    }
    if vals.size() == 0 {
        return Ok(());
    }
    static K: std::sync::OnceLock<crate::ElementwiseKernel> = std::sync::OnceLock::new();
    let k = super::kernel_path::cached(&K, SCATTER_ADD);
    call_row_kernel(k, vals, rows, (n, inner), acc, Some(vals.size()))
}

impl Array {
    /// A view selected by a basic index (`a[1:3, ::-1]` is `a.slice(&s![1..3, ..;-1])`).
    pub fn slice(&self, index: &[SliceArg]) -> Result<Array> {
        let consumed = index
            .iter()
            .filter(|a| matches!(a, SliceArg::Index(_) | SliceArg::Range { .. }))
            .count();
        let ellipses = index
            .iter()
            .filter(|a| matches!(a, SliceArg::Ellipsis))
            .count();
        if ellipses > 1 {
            return Err(Error::value(
                "slice",
                "an index can only have a single ellipsis",
            ));
        }
        if consumed > self.ndim() {
            return Err(Error::value("slice", format!("too many indices for array: array is {}-dimensional, but {consumed} were indexed", self.ndim())));
        }
        let mut shape = Shape::new();
        let mut strides = Strides::new();
        let mut offset = self.offset() as isize;
        let mut ax = 0usize;
        let mut expanded: Vec<SliceArg> = Vec::with_capacity(self.ndim() + 2);
        for a in index {
            if let SliceArg::Ellipsis = a {
                expanded.extend(std::iter::repeat_n(
                    SliceArg::full(),
                    self.ndim() - consumed,
                ));
            } else {
                expanded.push(*a);
            }
        }
        for a in expanded {
            match a {
                SliceArg::NewAxis => {
                    shape.push(1);
                    strides.push(0);
                }
                SliceArg::Index(i) => {
                    let n = self.shape()[ax];
                    let j = if i < 0 { i + n as isize } else { i };
                    if j < 0 || j >= n as isize {
                        return Err(Error::Index {
                            op: "slice",
                            index: i as i64,
                            axis: ax,
                            size: n,
                        });
                    }
                    offset += j * self.strides()[ax];
                    ax += 1;
                }
                SliceArg::Range { start, stop, step } => {
                    if step == 0 {
                        return Err(Error::value("slice", "slice step cannot be zero"));
                    }
                    let (s, len) = slice_bounds(start, stop, step, self.shape()[ax]);
                    if len > 0 {
                        offset += s * self.strides()[ax];
                    }
                    shape.push(len);
                    strides.push(self.strides()[ax] * step);
                    ax += 1;
                }
                SliceArg::Ellipsis => unreachable!("expanded above"),
            }
        }
        while ax < self.ndim() {
            shape.push(self.shape()[ax]);
            strides.push(self.strides()[ax]);
            ax += 1;
        }
        Ok(self.view_with(shape, strides, offset.max(0) as usize))
    }

    /// Writes `value` (broadcast and cast) into the elements selected by a basic
    /// index: NumPy's `a[index] = value`.
    pub fn assign_at(&mut self, index: &[SliceArg], value: &Array) -> Result<()> {
        Array::same_device("assign_at", self, value)?;
        let value = if value.shares_storage(self) {
            value.copy(Order::K)?
        } else {
            value.clone()
        };
        self.make_unique()?;
        let view = self.slice(index)?;
        let st =
            layout::broadcast_strides("assign_at", value.shape(), value.strides(), view.shape())?;
        let src = value.view_with(view.shape().into(), st, value.offset());
        match self.device() {
            crate::Device::Cpu => {
                // SAFETY: `self` is unique; `view` is its only other sharer and is the write target.
                let out = unsafe { OutView::aliased(&view) };
                crate::backend::cpu::copy_cast_into(&src, out)
            }
            // The device copy writes through the view (it was host-only,
            // and reached host pointers of device storage).
            crate::Device::Cuda(_) => crate::backend::cuda::ops::copy_cast(&src, &view),
        }
    }

    /// Elements at integer `indices` along `axis` (flattened when `None`), NumPy's `take`.
    /// Negative indices count from the end.
    pub fn take(&self, indices: &Array, axis: Option<isize>) -> Result<Array> {
        let (a, ax) = match axis {
            None => (self.ravel()?, 0),
            Some(ax) => (
                self.clone(),
                layout::normalize_axis("take", ax, self.ndim())?,
            ),
        };
        if !indices.dtype().is_integer() {
            return Err(Error::unsupported_dtype(
                "take",
                "integer indices",
                indices.dtype(),
            ));
        }
        let idx = indices.to_vec::<i64>()?;
        let n = a.shape()[ax];
        let mut rows = Vec::with_capacity(idx.len());
        for &i in &idx {
            let j = if i < 0 { i + n as i64 } else { i };
            if j < 0 || j >= n as i64 {
                return Err(Error::Index {
                    op: "take",
                    index: i,
                    axis: ax,
                    size: n,
                });
            }
            rows.push(j as usize);
        }
        let outer: usize = a.shape()[..ax].iter().product();
        let inner: usize = a.shape()[ax + 1..].iter().product();
        let src = a.ascontiguousarray()?;
        let mut out_shape: Vec<usize> = a.shape()[..ax].to_vec();
        out_shape.extend_from_slice(indices.shape());
        out_shape.extend_from_slice(&a.shape()[ax + 1..]);
        let mut out = Array::uninit_ordered(a.dtype(), &out_shape, Order::C, None, a.device())?;
        if super::kernel_path::use_kernels(a.device()) {
            // The rows were checked on the host above (reading the indices
            // synchronizes), so the kernel never reads out of bounds.
            if out.size() > 0 {
                static K: std::sync::OnceLock<crate::ElementwiseKernel> =
                    std::sync::OnceLock::new();
                let k = super::kernel_path::cached(&K, TAKE);
                call_row_kernel(k, &src, &rows, (n, inner), &mut out, None)?;
            }
            return Ok(out);
        }
        src.expect_cpu("take")?;
        crate::backend::cpu::gather_rows(&src, outer, n, inner, &rows, OutView::of(&mut out)?);
        Ok(out)
    }

    /// Elements where `mask` is true, as a 1-D array (NumPy's `a[mask]`).
    /// `mask` must match the leading axes of the array.
    pub fn mask_select(&self, mask: &Array) -> Result<Array> {
        if mask.dtype() != DType::Bool {
            return Err(Error::unsupported_dtype(
                "mask_select",
                "a bool mask",
                mask.dtype(),
            ));
        }
        if mask.ndim() > self.ndim() || mask.shape() != &self.shape()[..mask.ndim()] {
            return Err(Error::shape(
                "mask_select",
                format!(
                    "boolean index of shape {:?} does not match array of shape {:?}",
                    mask.shape(),
                    self.shape()
                ),
            ));
        }
        let lead: usize = mask.size();
        let mut flat_shape = vec![lead as isize];
        flat_shape.extend(self.shape()[mask.ndim()..].iter().map(|&d| d as isize));
        let flat = self.reshape(&flat_shape)?;
        let picks: Vec<i64> = mask
            .to_vec::<bool>()?
            .iter()
            .enumerate()
            .filter(|(_, &m)| m)
            .map(|(i, _)| i as i64)
            .collect();
        let n = picks.len();
        flat.take(&Array::from_vec(picks, &[n])?, Some(0))
    }

    /// Slices along `axis` where `condition` is true (NumPy's `compress`).
    pub fn compress(&self, condition: &[bool], axis: isize) -> Result<Array> {
        let ax = layout::normalize_axis("compress", axis, self.ndim())?;
        if condition.len() > self.shape()[ax] {
            return Err(Error::shape(
                "compress",
                format!(
                    "condition of length {} is longer than axis {ax} of size {}",
                    condition.len(),
                    self.shape()[ax]
                ),
            ));
        }
        let picks: Vec<i64> = condition
            .iter()
            .enumerate()
            .filter(|(_, &c)| c)
            .map(|(i, _)| i as i64)
            .collect();
        let n = picks.len();
        self.take(&Array::from_vec(picks, &[n])?, Some(axis))
    }

    /// Indices of the non-zero elements, one `int64` array per axis (NumPy's `nonzero`).
    pub fn nonzero(&self) -> Result<Vec<Array>> {
        let flags = self.astype_order(DType::Bool, Order::C)?.to_vec::<bool>()?;
        let nd = self.ndim();
        let mut out: Vec<Vec<i64>> = vec![Vec::new(); nd.max(1)];
        for (flat, &f) in flags.iter().enumerate() {
            if f {
                let mut rem = flat;
                for d in (0..nd).rev() {
                    out[d].push((rem % self.shape()[d]) as i64);
                    rem /= self.shape()[d];
                }
                if nd == 0 {
                    out[0].push(0);
                }
            }
        }
        // Found on the host (reading a device array synchronizes, as the
        // data-dependent size needs anyway); the indices go back to its device.
        out.into_iter()
            .map(|v| {
                let n = v.len();
                Array::from_vec(v, &[n])?.to_device(self.device())
            })
            .collect()
    }

    /// Adds `values` into the rows of `self` picked by `indices` along `axis`,
    /// accumulating repeated indices (NumPy's `np.add.at(a, idx, values)` for one axis).
    pub fn scatter_add(&mut self, indices: &Array, values: &Array, axis: isize) -> Result<()> {
        // Device `values` into a host array reached their host pointer.
        Array::same_device("scatter_add", self, values)?;
        let ax = layout::normalize_axis("scatter_add", axis, self.ndim())?;
        if !indices.dtype().is_integer() {
            return Err(Error::unsupported_dtype(
                "scatter_add",
                "integer indices",
                indices.dtype(),
            ));
        }
        if self.dtype() == DType::Bool {
            return Err(Error::unsupported_dtype(
                "scatter_add",
                "a numeric dtype",
                DType::Bool,
            ));
        }
        let idx = indices.to_vec::<i64>()?;
        let n = self.shape()[ax];
        let mut rows = Vec::with_capacity(idx.len());
        for &i in &idx {
            let j = if i < 0 { i + n as i64 } else { i };
            if j < 0 || j >= n as i64 {
                return Err(Error::Index {
                    op: "scatter_add",
                    index: i,
                    axis: ax,
                    size: n,
                });
            }
            rows.push(j as usize);
        }
        let mut vshape: Vec<usize> = self.shape()[..ax].to_vec();
        vshape.extend_from_slice(indices.shape());
        vshape.extend_from_slice(&self.shape()[ax + 1..]);
        let vals = values
            .astype(self.dtype())?
            .broadcast_to(&vshape)?
            .ascontiguousarray()?;
        let outer: usize = self.shape()[..ax].iter().product();
        let inner: usize = self.shape()[ax + 1..].iter().product();
        if !self.is_c_contiguous() {
            *self = self.copy(Order::C)?;
        }
        if super::kernel_path::use_kernels(self.device()) {
            return scatter_add_kernel(self, &vals, &rows, (n, inner));
        }
        self.expect_cpu("scatter_add")?;
        let out = OutView::of(self)?;
        crate::backend::cpu::scatter_add_rows(&vals, outer, n, inner, &rows, out);
        Ok(())
    }

    /// Picks values along `axis` by an index array of the same rank (NumPy's `take_along_axis`).
    pub fn take_along_axis(&self, indices: &Array, axis: isize) -> Result<Array> {
        let ax = layout::normalize_axis("take_along_axis", axis, self.ndim())?;
        Array::same_device("take_along_axis", self, indices)?;
        if indices.ndim() != self.ndim() {
            return Err(Error::shape(
                "take_along_axis",
                format!(
                    "indices and array must have the same number of dimensions, found {} and {}",
                    indices.ndim(),
                    self.ndim()
                ),
            ));
        }
        if !indices.dtype().is_integer() {
            return Err(Error::unsupported_dtype(
                "take_along_axis",
                "integer indices",
                indices.dtype(),
            ));
        }
        let mut a_shape = self.shape().to_vec();
        a_shape[ax] = 1;
        let mut shape = layout::broadcast_shapes("take_along_axis", &a_shape, indices.shape())?;
        shape[ax] = indices.shape()[ax];
        let idx = indices.broadcast_to(&shape)?.to_vec::<i64>()?;
        let n = self.shape()[ax] as i64;
        // Off the CPU the kernel reads `self` as a raw array, by C-order
        // position; the CPU loop reads memory, by the array's strides.
        let kernel = super::kernel_path::use_kernels(self.device());
        let mut a_strides = if kernel {
            layout::c_strides(self.shape()).to_vec()
        } else {
            self.strides().to_vec()
        };
        let axis_stride = a_strides[ax];
        a_strides[ax] = 0;
        let a_b = layout::broadcast_strides(
            "take_along_axis",
            &{
                let mut s = self.shape().to_vec();
                s[ax] = 1;
                s
            },
            &a_strides,
            &shape,
        )?;
        let mut offsets = Vec::with_capacity(idx.len());
        let mut multi = vec![0usize; shape.len()];
        for &i in idx.iter() {
            let j = if i < 0 { i + n } else { i };
            if j < 0 || j >= n {
                return Err(Error::Index {
                    op: "take_along_axis",
                    index: i,
                    axis: ax,
                    size: n as usize,
                });
            }
            let mut off = j as isize * axis_stride;
            for d in 0..shape.len() {
                off += multi[d] as isize * a_b[d];
            }
            offsets.push(off);
            for d in (0..shape.len()).rev() {
                multi[d] += 1;
                if multi[d] < shape[d] {
                    break;
                }
                multi[d] = 0;
            }
        }
        let mut out = Array::uninit_ordered(self.dtype(), &shape, Order::C, None, self.device())?;
        if kernel {
            if out.size() > 0 {
                let at: Vec<i64> = offsets.iter().map(|&o| o as i64).collect();
                let at = Array::from_vec(at, &shape)?.to_device(self.device())?;
                let k = super::kernel_path::cached(&GATHER_KERNEL, GATHER);
                k.call_out(
                    &[KernelArg::from(self), KernelArg::from(&at)],
                    &mut [&mut out],
                )?;
            }
            return Ok(out);
        }
        self.expect_cpu("take_along_axis")?;
        crate::backend::cpu::gather_offsets(self, &offsets, OutView::of(&mut out)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `take` off the CPU (its kernel, forced on the CPU through the
    /// interpreter) gives the gather loop's result exactly: every axis and
    /// `None`, negative and repeated indices, 2-D indices, strided input,
    /// several dtypes, empty results; bad indices stay errors.
    /// `scatter_add` off the CPU (its atomicAdd kernel, forced on the CPU,
    /// where the interpreter runs it on one thread) gives the loop's sums:
    /// every axis, repeated and negative indices, broadcast values, a
    /// strided target, the dtypes CUDA can add atomically; the others are
    /// an error naming scatter_add.
    #[test]
    fn scatter_add_kernel_path_matches_the_loop() {
        use crate::ops::kernel_path::forced;
        let idx = Array::from_vec(vec![1i64, -1, 1, 0], &[4]).unwrap();
        for dtype in SCATTER_ADD_DTYPES.iter().copied() {
            for axis in [0isize, 1, -1] {
                let mut vshape = vec![3usize, 3, 3];
                vshape[axis.rem_euclid(3) as usize] = 4;
                let n: usize = vshape.iter().product();
                let vals = Array::from_vec((0..n).map(|i| (i % 5) as f64 - 1.0).collect(), &vshape)
                    .unwrap()
                    .astype(dtype)
                    .unwrap();
                let start = Array::arange(27).unwrap().reshape(&[3, 3, 3]).unwrap();
                let run = || -> Result<Array> {
                    let mut acc = start.astype(dtype)?.swapaxes(0, 1)?; // strided target
                    acc.scatter_add(&idx, &vals, axis)?;
                    Ok(acc)
                };
                let (c, k) = (run().unwrap(), forced(run).unwrap());
                assert_eq!((k.shape(), k.dtype()), (c.shape(), c.dtype()));
                assert_eq!(
                    k.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                    c.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                    "{dtype} axis {axis}"
                );
            }
        }
        // A broadcast scalar value, and a dtype without a CUDA atomicAdd.
        let run = |dtype: DType| -> Result<Array> {
            let mut acc = Array::zeros(&[2, 3], dtype)?;
            acc.scatter_add(&idx.slice(&s![..2])?, &Array::scalar(2.0f32), 1)?;
            Ok(acc)
        };
        assert_eq!(
            forced(|| run(DType::F32)).unwrap().to_vec::<f32>().unwrap(),
            run(DType::F32).unwrap().to_vec::<f32>().unwrap()
        );
        let e = forced(|| run(DType::I64)).unwrap_err().to_string();
        assert!(e.contains("scatter_add") && e.contains("int64"), "{e}");
    }

    /// `take_along_axis` off the CPU (the gather kernel over host-checked
    /// positions, forced on the CPU) against the loop: every axis,
    /// negative and broadcast indices, a transposed source, several dtypes;
    /// an out-of-range index stays an error.
    #[test]
    fn take_along_axis_kernel_path_matches_the_loop() {
        use crate::ops::kernel_path::forced;
        let base = Array::arange(60).unwrap().reshape(&[3, 4, 5]).unwrap();
        for dtype in [DType::Bool, DType::I32, DType::F16, DType::F64] {
            for src in [
                base.astype(dtype).unwrap(),
                base.astype(dtype)
                    .unwrap()
                    .transpose(None)
                    .unwrap()
                    .ascontiguousarray()
                    .unwrap()
                    .transpose(None)
                    .unwrap(),
            ] {
                for axis in [0isize, 1, 2, -1] {
                    let ax = axis.rem_euclid(3) as usize;
                    let n = src.shape()[ax] as i64;
                    let mut ishape = src.shape().to_vec();
                    ishape[ax] = 2;
                    ishape[(ax + 1) % 3] = 1; // broadcast along the next axis
                    let count: usize = ishape.iter().product();
                    let iv: Vec<i64> = (0..count as i64).map(|i| (i * 7) % (2 * n) - n).collect();
                    let idx = Array::from_vec(iv, &ishape).unwrap();
                    let cpu = src.take_along_axis(&idx, axis).unwrap();
                    let ker = forced(|| src.take_along_axis(&idx, axis)).unwrap();
                    assert_eq!((ker.shape(), ker.dtype()), (cpu.shape(), cpu.dtype()));
                    assert_eq!(
                        ker.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                        cpu.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                        "{dtype} axis {axis}"
                    );
                }
            }
        }
        let bad = Array::from_vec(vec![0i64, 5], &[1, 2, 1]).unwrap();
        assert!(forced(|| base.take_along_axis(&bad, 1)).is_err());
    }

    #[test]
    fn take_kernel_path_matches_the_loop() {
        use crate::ops::kernel_path::forced;
        let base = Array::arange(60).unwrap().reshape(&[3, 4, 5]).unwrap();
        let idx = Array::from_vec(vec![2i32, -1, 0, 2, 1, -3], &[2, 3]).unwrap();
        for dtype in [
            DType::Bool,
            DType::I8,
            DType::I64,
            DType::F16,
            DType::F32,
            DType::F64,
        ] {
            let a = base.astype(dtype).unwrap().swapaxes(0, 2).unwrap(); // (5, 4, 3), strided
            for axis in [None, Some(0), Some(1), Some(2), Some(-1)] {
                let f = || a.take(&idx, axis);
                let (c, k) = (f().unwrap(), forced(f).unwrap());
                assert_eq!((k.shape(), k.dtype()), (c.shape(), c.dtype()));
                assert_eq!(
                    k.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                    c.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                    "{dtype} axis {axis:?}"
                );
            }
        }
        let empty = Array::zeros(&[0], DType::I64).unwrap();
        let k = forced(|| base.take(&empty, Some(1))).unwrap();
        assert_eq!(k.shape(), &[3, 0, 5]);
        let bad = Array::from_vec(vec![4i64], &[1]).unwrap();
        assert!(matches!(
            forced(|| base.take(&bad, Some(1))),
            Err(Error::Index { .. })
        ));
    }

    #[test]
    fn slices_follow_python_rules() {
        let a = Array::arange(10).unwrap();
        assert_eq!(
            a.slice(&s![2..8;3]).unwrap().to_vec::<i64>().unwrap(),
            vec![2, 5]
        );
        assert_eq!(
            a.slice(&s![-3..]).unwrap().to_vec::<i64>().unwrap(),
            vec![7, 8, 9]
        );
        assert_eq!(
            a.slice(&[SliceArg::range(8, 2, -2)])
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
            vec![8, 6, 4]
        );
        assert_eq!(a.slice(&[SliceArg::range(5, 2, 1)]).unwrap().size(), 0);
        let m = a.reshape(&[2, 5]).unwrap();
        let v = m.slice(&s![ELLIPSIS, 1]).unwrap();
        assert_eq!(v.to_vec::<i64>().unwrap(), vec![1, 6]);
        assert_eq!(m.slice(&s![NEWAXIS, .., 0]).unwrap().shape(), &[1, 2]);
        assert!(matches!(m.slice(&s![2]), Err(Error::Index { .. })));
    }

    #[test]
    fn assign_at_writes_only_the_selection() {
        let mut a = Array::zeros(&[3, 3], DType::F32).unwrap();
        a.assign_at(&s![.., 1], &Array::scalar(5.0f32)).unwrap();
        assert_eq!(
            a.to_vec::<f32>().unwrap(),
            vec![0., 5., 0., 0., 5., 0., 0., 5., 0.]
        );
    }

    #[test]
    fn scatter_add_accumulates_duplicates() {
        let mut a = Array::zeros(&[3], DType::F64).unwrap();
        let idx = Array::from_vec(vec![0i64, 2, 0, -1], &[4]).unwrap();
        let v = Array::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]).unwrap();
        a.scatter_add(&idx, &v, 0).unwrap();
        assert_eq!(a.to_vec::<f64>().unwrap(), vec![4.0, 0.0, 6.0]);
    }
}
