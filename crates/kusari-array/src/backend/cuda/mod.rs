//! The CUDA backend. This branch holds the kernel code generator and the
//! NVRTC wrapper; the runtime (devices, pool, cache, launch) joins them here.

pub(crate) mod codegen;
pub(crate) mod nvrtc;
