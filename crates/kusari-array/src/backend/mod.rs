//! The seam between "what an operation means" (`ops/`, `array/`) and "how a
//! device computes it". Each function here checks that its operands share a
//! device and hands them to that device's implementation; the layers above
//! never ask which device they run on. Only the CPU backend exists so far;
//! the CUDA backend will add a second arm to each match.

pub(crate) mod cpu;
pub(crate) mod cuda;

use crate::{Array, Result};

/// Copies `src` (already broadcast to `dst`'s shape) into `dst`, casting as needed.
pub(crate) fn copy_cast(src: &Array, dst: &mut Array) -> Result<()> {
    Array::same_device("copy", src, dst)?;
    src.expect_cpu("copy")?;
    cpu::copy_cast(src, dst)
}
