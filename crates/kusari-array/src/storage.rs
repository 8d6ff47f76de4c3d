//! The buffer behind one or more arrays. This enum is the seam between the
//! device-independent array layer and the device backends: only the backends
//! look inside it.

use crate::backend::cuda::{self, CudaBuffer};
use crate::memory::CpuBuffer;
use crate::{Device, Error, Result};

/// Memory shared by an array and its views.
pub(crate) enum Storage {
    /// Host memory from the host pool.
    Cpu(CpuBuffer),
    /// Device memory from that device's pool.
    Cuda(CudaBuffer),
}

impl Storage {
    pub(crate) fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            Storage::Cuda(b) => Device::Cuda(b.device().ordinal),
        }
    }

    /// Uninitialized storage of `bytes` bytes on `device`.
    pub(crate) fn uninit(device: Device, bytes: usize) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuBuffer::uninit(bytes)?)),
            Device::Cuda(n) => Ok(Storage::Cuda(CudaBuffer::uninit(&cuda::device(n)?, bytes)?)),
        }
    }

    /// Zero-filled storage of `bytes` bytes on `device`.
    pub(crate) fn zeroed(device: Device, bytes: usize) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuBuffer::zeroed(bytes)?)),
            Device::Cuda(n) => Ok(Storage::Cuda(CudaBuffer::zeroed(&cuda::device(n)?, bytes)?)),
        }
    }

    /// Base address of host storage.
    ///
    /// # Panics
    /// On device storage: every host kernel checks `expect_cpu` first, so
    /// reaching this is a bug in kusari, and a panic beats reading a device
    /// address on the host.
    pub(crate) fn host_ptr(&self) -> *mut u8 {
        match self {
            Storage::Cpu(b) => b.as_ptr(),
            Storage::Cuda(_) => {
                panic!("internal error: host pointer of CUDA storage requested (an operation lacks its expect_cpu check)")
            }
        }
    }

    /// Base address of device storage; an error naming `op` for host storage.
    pub(crate) fn device_ptr(&self, op: &'static str) -> Result<u64> {
        match self {
            Storage::Cuda(b) => Ok(b.ptr()),
            Storage::Cpu(_) => Err(Error::Device {
                op,
                message: "expected an array on cuda, found one on cpu".into(),
            }),
        }
    }
}
