//! Device memory behind CUDA arrays, and the copies between host and device.

use super::pool::DevPtr;
use super::{driver_error, CudaDevice};
use crate::Result;
use cudarc::driver::result as dr;
use std::sync::Arc;

/// A block of device memory from the device's pool, returned to it on drop.
pub(crate) struct CudaBuffer {
    dev: Arc<CudaDevice>,
    ptr: DevPtr,
    bytes: usize,
}

impl CudaBuffer {
    /// `bytes` of uninitialized device memory (zero bytes take nothing from the pool).
    pub(crate) fn uninit(dev: &Arc<CudaDevice>, bytes: usize) -> Result<CudaBuffer> {
        let ptr = if bytes == 0 {
            0
        } else {
            dev.pool.malloc(bytes, dev.stream_id())?
        };
        Ok(CudaBuffer {
            dev: dev.clone(),
            ptr,
            bytes,
        })
    }

    /// `bytes` of zeros (the memset is queued on the device's stream).
    pub(crate) fn zeroed(dev: &Arc<CudaDevice>, bytes: usize) -> Result<CudaBuffer> {
        let b = CudaBuffer::uninit(dev, bytes)?;
        if bytes > 0 {
            dev.bind("zeros")?;
            // SAFETY: `b` owns `bytes` bytes at `ptr`; stream-ordered with later use.
            unsafe { dr::memset_d8_async(b.ptr, 0, bytes, dev.stream.cu_stream()) }
                .map_err(|e| driver_error("zeros", "cuMemsetD8Async", e))?;
        }
        Ok(b)
    }

    /// A device copy of `host`. Returns after the copy finished, so `host` may go.
    pub(crate) fn from_host(dev: &Arc<CudaDevice>, host: &[u8]) -> Result<CudaBuffer> {
        let b = CudaBuffer::uninit(dev, host.len())?;
        if !host.is_empty() {
            dev.bind("to_device")?;
            // SAFETY: `b` holds `host.len()` bytes; we wait for the copy before `host` can be dropped.
            unsafe { dr::memcpy_htod_async(b.ptr, host, dev.stream.cu_stream()) }
                .map_err(|e| driver_error("to_device", "cuMemcpyHtoDAsync", e))?;
            dev.synchronize("to_device")?;
        }
        Ok(b)
    }

    /// Copies `dst.len()` bytes starting `offset` bytes into the buffer to the
    /// host, after all work queued before it (this synchronizes).
    pub(crate) fn to_host(&self, offset: usize, dst: &mut [u8]) -> Result<()> {
        if dst.is_empty() {
            return Ok(());
        }
        let end = offset.checked_add(dst.len());
        if end.is_none_or(|e| e > self.bytes) {
            return Err(crate::Error::value(
                "to_cpu",
                format!(
                    "expected a byte range inside the {}-byte device buffer, found {offset}..+{}",
                    self.bytes,
                    dst.len()
                ),
            ));
        }
        self.dev.bind("to_cpu")?;
        // SAFETY: range checked above; we wait for the copy before returning.
        unsafe {
            dr::memcpy_dtoh_async(dst, self.ptr + offset as u64, self.dev.stream.cu_stream())
        }
        .map_err(|e| driver_error("to_cpu", "cuMemcpyDtoHAsync", e))?;
        self.dev.synchronize("to_cpu")
    }

    /// The device address of the first byte.
    pub(crate) fn ptr(&self) -> DevPtr {
        self.ptr
    }

    /// The device it lives on.
    pub(crate) fn device(&self) -> &Arc<CudaDevice> {
        &self.dev
    }
}

impl Drop for CudaBuffer {
    fn drop(&mut self) {
        if self.bytes > 0 {
            // Stream-ordered reuse: later work on the same stream runs after
            // any kernel still reading this memory.
            self.dev.pool.free(self.ptr);
        }
    }
}

/// The elements a view touches, as `(lowest, highest + 1)` element offsets
/// into its storage (negative strides reach below `offset`). `None` for an
/// empty view. Transfers copy only this span, not the whole storage.
pub(crate) fn element_span(
    shape: &[usize],
    strides: &[isize],
    offset: usize,
) -> Option<(usize, usize)> {
    if shape.contains(&0) {
        return None;
    }
    let (mut lo, mut hi) = (offset as isize, offset as isize);
    for (&n, &s) in shape.iter().zip(strides) {
        let reach = (n as isize - 1) * s;
        if reach < 0 {
            lo += reach;
        } else {
            hi += reach;
        }
    }
    Some((lo as usize, hi as usize + 1))
}

#[cfg(test)]
mod tests {
    use super::element_span;

    #[test]
    fn span_of_views() {
        assert_eq!(element_span(&[2, 3], &[3, 1], 0), Some((0, 6)));
        assert_eq!(element_span(&[], &[], 4), Some((4, 5)));
        // Every other column of a 4x6 array, starting at column 1.
        assert_eq!(element_span(&[4, 3], &[6, 2], 1), Some((1, 24)));
        // Reversed: offset points at the last element.
        assert_eq!(element_span(&[5], &[-1], 4), Some((0, 5)));
        // Broadcast axis.
        assert_eq!(element_span(&[7, 2], &[0, 1], 2), Some((2, 4)));
        assert_eq!(element_span(&[3, 0], &[1, 1], 0), None);
    }
}
