//! The buffer behind one or more arrays. This enum is the seam between the
//! device-independent array layer and the device backends: only the backends
//! look inside it.

use crate::memory::CpuBuffer;
use crate::{Device, Result};

/// Memory shared by an array and its views.
pub(crate) enum Storage {
    /// Host memory from the host pool.
    Cpu(CpuBuffer),
}

impl Storage {
    pub(crate) fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    /// Uninitialized storage of `bytes` bytes on `device`.
    pub(crate) fn uninit(device: Device, bytes: usize) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuBuffer::uninit(bytes)?)),
            Device::Cuda(n) => Err(Device::cuda(n).unwrap_err()),
        }
    }

    /// Zero-filled storage of `bytes` bytes on `device`.
    pub(crate) fn zeroed(device: Device, bytes: usize) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuBuffer::zeroed(bytes)?)),
            Device::Cuda(n) => Err(Device::cuda(n).unwrap_err()),
        }
    }

    /// Base address of host storage.
    pub(crate) fn host_ptr(&self) -> *mut u8 {
        match self {
            Storage::Cpu(b) => b.as_ptr(),
        }
    }
}
