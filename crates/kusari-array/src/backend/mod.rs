//! The seam between "what an operation means" (`ops/`, `array/`) and "how a
//! device computes it". Each function here checks that its operands share a
//! device and hands them to that device's implementation; the layers above
//! never ask which device they run on. The CUDA backend (`cuda/`) so far
//! provides storage, transfers, kernel launching, the ufuncs, reductions and
//! cuBLAS matmul; operations with a kernel path (`ops::kernel_path`) run
//! there as elementwise kernels; the others still answer CUDA arrays with
//! `expect_cpu`'s error.

pub(crate) mod cpu;
pub(crate) mod cuda;

use crate::{Array, Result};

/// Copies `src` (already broadcast to `dst`'s shape) into `dst`, casting as needed.
pub(crate) fn copy_cast(src: &Array, dst: &mut Array) -> Result<()> {
    match Array::same_device("copy", src, dst)? {
        crate::Device::Cuda(_) => cuda::ops::copy_cast(src, dst),
        crate::Device::Cpu => cpu::copy_cast(src, dst),
    }
}
