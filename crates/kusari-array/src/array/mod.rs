//! The [`Array`] type: a run-time dtype, a shape and strides over shared storage.
//!
//! # Mutation: copy-on-write
//! Views (`reshape`, `transpose`, slicing, ...) share storage with their
//! source and cost no copy. Writing through `&mut Array` (`+=`, `fill`,
//! `assign`, `*_out` functions) first makes the storage unique: if another
//! array still shares it, the written array gets its own copy and the others
//! keep the old values. This differs on purpose from NumPy, where writing into
//! a view writes into its base; in Rust it keeps every `&Array` immutable
//! while still letting an optimizer update a parameter in place when (as after
//! `backward`) nothing else holds its buffer.

mod create;
pub use create::NestedLiteral;
mod display;

use crate::layout::{self, Order, Shape, Strides};
use crate::storage::Storage;
use crate::{DType, Device, Element, Error, Result};
use std::sync::Arc;

/// An n-dimensional array with a run-time dtype, NumPy's semantics and
/// copy-on-write views.
///
/// ```
/// use kusari_array::{Array, DType};
/// let a = Array::arange(6)?.reshape(&[2, 3])?;
/// let b = &a.t() * 2;
/// assert_eq!(b.shape(), &[3, 2]);
/// assert_eq!(b.dtype(), DType::I64);
/// assert_eq!(b.to_vec::<i64>()?, vec![0, 6, 2, 8, 4, 10]);
/// # Ok::<(), kusari_array::Error>(())
/// ```
#[derive(Clone)]
pub struct Array {
    storage: Arc<Storage>,
    dtype: DType,
    shape: Shape,
    strides: Strides,
    /// Element offset of the first element into the storage.
    offset: usize,
}

impl Array {
    // ---- construction from parts -------------------------------------------------

    /// A new array of `shape` with `strides` (a dense permutation of C order)
    /// over fresh uninitialized storage.
    pub(crate) fn uninit_with_strides(
        dtype: DType,
        shape: &[usize],
        strides: Strides,
        device: Device,
    ) -> Result<Array> {
        let n = layout::checked_size("empty", shape)?;
        let bytes = n.checked_mul(dtype.itemsize()).ok_or_else(|| {
            Error::value(
                "empty",
                format!("array of shape {shape:?} and dtype {dtype} is too large"),
            )
        })?;
        Ok(Array {
            storage: Arc::new(Storage::uninit(device, bytes)?),
            dtype,
            shape: shape.into(),
            strides,
            offset: 0,
        })
    }

    /// A new uninitialized array in `order`, taking the memory order of `like` for `Order::K`.
    pub(crate) fn uninit_ordered(
        dtype: DType,
        shape: &[usize],
        order: Order,
        like: Option<&[isize]>,
        device: Device,
    ) -> Result<Array> {
        Self::uninit_with_strides(
            dtype,
            shape,
            layout::strides_for_order(shape, order, like),
            device,
        )
    }

    /// A view of the same storage with another layout. The caller guarantees
    /// that every element of the view lies inside the storage.
    pub(crate) fn view_with(&self, shape: Shape, strides: Strides, offset: usize) -> Array {
        Array {
            storage: self.storage.clone(),
            dtype: self.dtype,
            shape,
            strides,
            offset,
        }
    }

    /// The same bytes read as another dtype of the same size (bool as u8).
    pub(crate) fn with_view_dtype(&self, dtype: DType) -> Array {
        let mut v = self.clone();
        debug_assert_eq!(dtype.itemsize(), self.dtype.itemsize());
        v.dtype = dtype;
        v
    }

    // ---- accessors ---------------------------------------------------------------

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The strides, in elements (NumPy's `.strides` are in bytes; see [`Array::byte_strides`]).
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }
    /// The strides in bytes, as NumPy reports them.
    pub fn byte_strides(&self) -> Vec<isize> {
        self.strides
            .iter()
            .map(|s| s * self.dtype.itemsize() as isize)
            .collect()
    }
    /// The element offset of the first element into the shared storage.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    /// The number of elements.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }
    /// Bytes of one element.
    pub fn itemsize(&self) -> usize {
        self.dtype.itemsize()
    }
    /// Bytes of all elements (`size * itemsize`).
    pub fn nbytes(&self) -> usize {
        self.size() * self.itemsize()
    }
    /// The device holding the data.
    pub fn device(&self) -> Device {
        self.storage.device()
    }
    /// Whether the array is row-major contiguous (NumPy's `flags.c_contiguous`).
    pub fn is_c_contiguous(&self) -> bool {
        layout::is_c_contiguous(&self.shape, &self.strides)
    }
    /// Whether the array is column-major contiguous (`flags.f_contiguous`).
    pub fn is_f_contiguous(&self) -> bool {
        layout::is_f_contiguous(&self.shape, &self.strides)
    }
    /// Whether two arrays share storage (NumPy's `may_share_memory`).
    pub fn shares_storage(&self, other: &Array) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }
    /// Whether writing to this array would write in place (no other array shares its storage).
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.storage) == 1
    }

    /// Errors unless the array lives on the host (the CPU backend's kernels need it).
    pub(crate) fn expect_cpu(&self, op: &'static str) -> Result<()> {
        match self.device() {
            Device::Cpu => Ok(()),
            d => Err(Error::Device {
                op,
                message: format!("expected an array on cpu, found one on {d}"),
            }),
        }
    }

    /// Errors unless both arrays are on the same device.
    pub(crate) fn same_device(op: &'static str, a: &Array, b: &Array) -> Result<Device> {
        let (da, db) = (a.device(), b.device());
        if da != db {
            return Err(Error::Device {
                op,
                message: format!("arrays on different devices: {da} and {db}"),
            });
        }
        Ok(da)
    }

    /// Host address of the first element.
    pub(crate) fn host_ptr(&self) -> *const u8 {
        // SAFETY: `offset` lies inside the storage for every non-empty array we build.
        unsafe {
            self.storage
                .host_ptr()
                .add(self.offset * self.dtype.itemsize())
        }
    }

    /// Device address of the first element (kernel arguments, cuBLAS); an
    /// error naming `op` for host arrays.
    pub(crate) fn device_ptr(&self, op: &'static str) -> Result<u64> {
        Ok(self.storage.device_ptr(op)? + (self.offset * self.dtype.itemsize()) as u64)
    }

    /// Host address of the first element for writing; makes the storage unique first.
    pub(crate) fn host_ptr_mut(&mut self) -> Result<*mut u8> {
        self.make_unique()?;
        Ok(self.host_ptr() as *mut u8)
    }

    /// Ensures no other array shares this array's storage, copying if one does
    /// (the copy keeps this array's memory order).
    pub fn make_unique(&mut self) -> Result<()> {
        if !self.is_unique() {
            *self = self.copy(Order::K)?;
        }
        Ok(())
    }

    /// The elements as a slice, if the array is C-contiguous on the host and
    /// its dtype is `T`.
    pub fn as_slice<T: Element>(&self) -> Option<&[T]> {
        if T::DTYPE != self.dtype || !self.is_c_contiguous() || self.device() != Device::Cpu {
            return None;
        }
        // SAFETY: dtype and contiguity checked; the storage outlives the borrow.
        Some(unsafe { std::slice::from_raw_parts(self.host_ptr() as *const T, self.size()) })
    }

    /// The elements as a mutable slice (C-contiguous, dtype `T`); makes the
    /// storage unique first.
    pub fn as_slice_mut<T: Element>(&mut self) -> Option<&mut [T]> {
        if T::DTYPE != self.dtype || !self.is_c_contiguous() || self.device() != Device::Cpu {
            return None;
        }
        let n = self.size();
        let p = self.host_ptr_mut().ok()?;
        // SAFETY: unique storage, dtype and contiguity checked.
        Some(unsafe { std::slice::from_raw_parts_mut(p as *mut T, n) })
    }

    /// The elements in row-major order, converted to `T` with `astype` semantics.
    ///
    /// Reading a device array copies it to the host first, which waits for
    /// the work queued on its stream.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        // Convert on the host: device casts need generated kernels.
        let host = self.to_cpu()?;
        let c = if host.dtype == T::DTYPE && host.is_c_contiguous() {
            host
        } else {
            host.astype_order(T::DTYPE, Order::C)?
        };
        Ok(c.as_slice::<T>()
            .expect("contiguous host array of T")
            .to_vec())
    }

    /// The single element of a size-1 array, converted to `T` (NumPy's `item()`).
    pub fn item<T: Element>(&self) -> Result<T> {
        if self.size() != 1 {
            return Err(Error::value(
                "item",
                format!(
                    "can only convert an array of size 1, found size {} (shape {:?})",
                    self.size(),
                    self.shape()
                ),
            ));
        }
        Ok(self.to_vec::<T>()?[0])
    }

    /// The element at a multi-index, converted to `T`. Negative indices are not
    /// accepted here; use slicing for those.
    pub fn get<T: Element>(&self, index: &[usize]) -> Result<T> {
        if index.len() != self.ndim() {
            return Err(Error::value(
                "get",
                format!(
                    "expected an index of {} values, found {}",
                    self.ndim(),
                    index.len()
                ),
            ));
        }
        let mut off = self.offset as isize;
        for (ax, (&i, (&n, &s))) in index
            .iter()
            .zip(self.shape.iter().zip(self.strides.iter()))
            .enumerate()
        {
            if i >= n {
                return Err(Error::Index {
                    op: "get",
                    index: i as i64,
                    axis: ax,
                    size: n,
                });
            }
            off += i as isize * s;
        }
        let one = self.view_with(Shape::new(), Strides::new(), off as usize);
        one.item()
    }

    /// Copies the array to `device`; a no-op clone when it is already there.
    /// Only the elements the array spans are copied, and the copy keeps its
    /// strides (a transposed array stays transposed). Copying from a GPU waits
    /// for the work queued on it; between two GPUs the data goes through the host.
    ///
    /// ```
    /// use kusari_array::{Array, Device};
    /// let a = Array::arange(3)?;
    /// match Device::cuda(0) {
    ///     Ok(gpu) => assert_eq!(a.to_device(gpu)?.to_vec::<i64>()?, vec![0, 1, 2]),
    ///     Err(e) => assert!(e.to_string().contains("CUDA")), // no GPU here
    /// }
    /// # Ok::<(), kusari_array::Error>(())
    /// ```
    pub fn to_device(&self, device: Device) -> Result<Array> {
        let here = self.device();
        if device == here {
            return Ok(self.clone());
        }
        let itemsize = self.itemsize();
        let (lo, hi) =
            crate::backend::cuda::buffer::element_span(&self.shape, &self.strides, self.offset)
                .unwrap_or((self.offset, self.offset));
        let bytes = (hi - lo) * itemsize;
        let storage = match (&*self.storage, device) {
            (Storage::Cpu(b), Device::Cuda(n)) => {
                let dev = crate::backend::cuda::device(n)?;
                // SAFETY: the span lies inside the host storage (views never reach outside it).
                let host =
                    unsafe { std::slice::from_raw_parts(b.as_ptr().add(lo * itemsize), bytes) };
                Storage::Cuda(crate::backend::cuda::CudaBuffer::from_host(&dev, host)?)
            }
            (Storage::Cuda(b), Device::Cpu) => {
                let host = crate::memory::CpuBuffer::uninit(bytes)?;
                // SAFETY: a fresh host buffer of `bytes` bytes, filled entirely by the copy.
                let dst = unsafe { std::slice::from_raw_parts_mut(host.as_ptr(), bytes) };
                b.to_host(lo * itemsize, dst)?;
                Storage::Cpu(host)
            }
            (Storage::Cuda(_), Device::Cuda(_)) => return self.to_cpu()?.to_device(device),
            (Storage::Cpu(_), Device::Cpu) => unreachable!("same device handled above"),
        };
        Ok(Array {
            storage: Arc::new(storage),
            dtype: self.dtype,
            shape: self.shape.clone(),
            strides: self.strides.clone(),
            offset: self.offset - lo,
        })
    }

    /// Copies to the host (alias of `to_device(Device::Cpu)`, CuPy's `get()`).
    pub fn to_cpu(&self) -> Result<Array> {
        self.to_device(Device::Cpu)
    }

    /// A copy in the given memory order (NumPy's `copy(order=...)`).
    pub fn copy(&self, order: Order) -> Result<Array> {
        self.astype_order(self.dtype, order)
    }

    /// A copy converted to `dtype` (NumPy's `astype`, C casting rules), keeping the memory order.
    pub fn astype(&self, dtype: DType) -> Result<Array> {
        self.astype_order(dtype, Order::K)
    }

    /// A copy converted to `dtype` and laid out in `order`.
    pub fn astype_order(&self, dtype: DType, order: Order) -> Result<Array> {
        let mut out = Array::uninit_ordered(
            dtype,
            &self.shape,
            order,
            Some(&self.strides),
            self.device(),
        )?;
        crate::backend::copy_cast(self, &mut out)?;
        Ok(out)
    }

    /// The array itself when already C-contiguous, else a C-ordered copy.
    pub fn ascontiguousarray(&self) -> Result<Array> {
        if self.is_c_contiguous() {
            Ok(self.clone())
        } else {
            self.copy(Order::C)
        }
    }

    /// The array itself when already F-contiguous, else an F-ordered copy.
    pub fn asfortranarray(&self) -> Result<Array> {
        if self.is_f_contiguous() {
            Ok(self.clone())
        } else {
            self.copy(Order::F)
        }
    }

    /// Copies `src` into this array, broadcasting and casting it (NumPy's
    /// `np.copyto(self, src)` / `self[...] = src`).
    pub fn assign(&mut self, src: &Array) -> Result<()> {
        Array::same_device("assign", self, src)?;
        let strides = layout::broadcast_strides("assign", &src.shape, &src.strides, &self.shape)?;
        let src = src.view_with(self.shape.clone(), strides, src.offset);
        if src.shares_storage(self) {
            // Reading and writing the same buffer: detach the source first.
            let src = src.copy(Order::K)?;
            return crate::backend::copy_cast(&src, self);
        }
        crate::backend::copy_cast(&src, self)
    }

    /// Sets every element to `value` (cast to the array's dtype).
    pub fn fill(&mut self, value: impl Into<crate::Scalar>) -> Result<()> {
        let s = Array::full(&[], value.into(), self.dtype)?.to_device(self.device())?;
        self.assign(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::Array;

    /// Arrays cross threads (data loaders, the future multi-GPU communicator);
    /// the graph built on them does not need to.
    #[test]
    fn arrays_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Array>();
        let a = Array::arange(4).unwrap();
        let b = std::thread::spawn(move || a.sum(None, false).unwrap().item::<i64>().unwrap());
        assert_eq!(b.join().unwrap(), 6);
    }
}
