//! What users see of the CUDA backend: whether a GPU is usable, and each
//! device's memory pool (CuPy's `cupy.get_default_memory_pool()`).
//!
//! ```
//! use kusari_array::{cuda, Device};
//! if cuda::is_available() {
//!     let pool = cuda::memory_pool(Device::cuda(0)?)?;
//!     println!("{} bytes in use, {} cached", pool.used_bytes(), pool.free_bytes());
//! }
//! # Ok::<(), kusari_array::Error>(())
//! ```

use crate::backend::cuda::{self as backend, CudaDevice};
use crate::{Device, Error, Result};
use std::sync::Arc;

/// Whether at least one CUDA device can be used (driver found, initialized, devices present).
pub fn is_available() -> bool {
    backend::probe().is_ok_and(|n| n > 0)
}

/// The number of CUDA devices; an error saying what is missing when the driver is not usable.
pub fn device_count() -> Result<usize> {
    backend::probe()
}

fn cuda_device(op: &'static str, device: Device) -> Result<Arc<CudaDevice>> {
    match device {
        Device::Cuda(n) => backend::device(n),
        Device::Cpu => Err(Error::Device {
            op,
            message: "expected a cuda device, found cpu (the host pool is kusari_array::memory::host_pool())"
                .into(),
        }),
    }
}

/// Waits until all work queued on `device` has finished (for timing, or
/// before reading device memory by other means).
pub fn synchronize(device: Device) -> Result<()> {
    cuda_device("cuda::synchronize", device)?.synchronize("cuda::synchronize")
}

/// The memory pool of a CUDA device.
pub fn memory_pool(device: Device) -> Result<MemoryPool> {
    Ok(MemoryPool {
        dev: cuda_device("cuda::memory_pool", device)?,
    })
}

/// A handle to one device's caching memory pool. Requests are rounded up to
/// 512 bytes; freed blocks are kept for reuse until [`MemoryPool::free_all_blocks`].
/// `KUSARI_GPU_POOL=0` starts it switched off and `KUSARI_GPU_MEMORY_LIMIT`
/// (bytes, or a percentage such as `"50%"` of the device's memory) limits it.
#[derive(Clone)]
pub struct MemoryPool {
    dev: Arc<CudaDevice>,
}

impl MemoryPool {
    /// Bytes held by arrays (rounded sizes).
    pub fn used_bytes(&self) -> usize {
        self.dev.pool.stats().used
    }
    /// Bytes cached for reuse.
    pub fn free_bytes(&self) -> usize {
        self.dev.pool.stats().free
    }
    /// Bytes the pool holds from the driver (used plus cached).
    pub fn total_bytes(&self) -> usize {
        let s = self.dev.pool.stats();
        s.used + s.free
    }
    /// Number of cached free blocks.
    pub fn n_free_blocks(&self) -> usize {
        self.dev.pool.stats().n_free_blocks
    }
    /// Returns every wholly free cached block to the driver.
    pub fn free_all_blocks(&self) {
        self.dev.pool.free_all_blocks()
    }
    /// The most bytes the pool may hold, if limited.
    pub fn limit(&self) -> Option<usize> {
        self.dev.pool.stats().limit
    }
    /// Limits (or with `None`, unlimits) the bytes the pool may hold.
    pub fn set_limit(&self, limit: Option<usize>) {
        self.dev.pool.set_limit(limit)
    }
    /// Limits the pool to a fraction (`0.0..=1.0`) of the device's memory.
    pub fn set_limit_fraction(&self, fraction: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::value(
                "MemoryPool::set_limit_fraction",
                format!("expected a fraction between 0 and 1, found {fraction}"),
            ));
        }
        self.set_limit(Some((self.dev.total_memory as f64 * fraction) as usize));
        Ok(())
    }
    /// Whether freed blocks are cached.
    pub fn is_enabled(&self) -> bool {
        self.dev.pool.stats().enabled
    }
    /// Switches caching on or off (off returns the cached blocks at once), to measure the pool's effect.
    pub fn set_enabled(&self, on: bool) {
        self.dev.pool.set_enabled(on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_device_has_no_device_pool() {
        let e = memory_pool(Device::Cpu).err().unwrap().to_string();
        assert!(
            e.contains("cuda::memory_pool") && e.contains("found cpu"),
            "{e}"
        );
    }

    #[test]
    fn availability_agrees_with_the_count() {
        assert_eq!(is_available(), device_count().is_ok_and(|n| n > 0));
    }
}
