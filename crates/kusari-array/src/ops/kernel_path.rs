//! What the operations with hand-written CPU loops and a kernel path off the
//! CPU (`nn`'s fused activation gradients and softmax, `special`'s
//! functions, `where`, `take`, `scatter_add`) share: their kernels built once per process, the switch that
//! picks the path, and the NVRTC check of every definition. The kernels are
//! [`ElementwiseKernel`]s, so on a GPU they go through the one code
//! generator, and on the CPU the tests run them through the interpreter
//! against the loops.

use crate::{Device, ElementwiseKernel};
use std::sync::OnceLock;

/// A kernel's `(name, in_params, out_params, operation)`.
pub(crate) type KernelDef = (&'static str, &'static str, &'static str, &'static str);

/// The kernel of `def`, parsed once per process (`cell` is its static).
pub(crate) fn cached(
    cell: &'static OnceLock<ElementwiseKernel>,
    def: KernelDef,
) -> &'static ElementwiseKernel {
    cell.get_or_init(|| {
        let (name, i, o, op) = def;
        ElementwiseKernel::new(i, o, op, name).expect("the built-in kernel definitions parse")
    })
}

/// Whether arrays on `device` take the kernel path: off the CPU always; on
/// the CPU only where this crate's tests ask for it ([`FORCE_KERNELS`]).
pub(crate) fn use_kernels(device: Device) -> bool {
    #[cfg(test)]
    if FORCE_KERNELS.with(|f| f.get()) {
        return true;
    }
    device != Device::Cpu
}

#[cfg(test)]
thread_local! {
    /// Set by tests: [`use_kernels`] answers yes on the CPU too.
    pub(crate) static FORCE_KERNELS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the kernel path forced on the CPU (tests only).
#[cfg(test)]
pub(crate) fn forced<R>(f: impl FnOnce() -> R) -> R {
    FORCE_KERNELS.with(|c| c.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    FORCE_KERNELS.with(|c| c.set(false));
    r.unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[cfg(test)]
mod tests {
    use crate::DType;

    /// Every kernel of the operations' kernel paths compiles with NVRTC for
    /// sm_80 and sm_90 in float32 and float64 (run by
    /// scripts/check-cuda-kernels; skipped without NVRTC).
    #[test]
    fn operation_kernels_compile_with_nvrtc() {
        use crate::cuda_check;
        if !cuda_check::nvrtc_available() {
            eprintln!("NVRTC not found: skipped; run scripts/check-cuda-kernels");
            return;
        }
        let mut n = 0;
        for &(name, i, o, op) in super::super::nn::KERNELS
            .iter()
            .chain(super::super::special::KERNELS)
        {
            let k = crate::ElementwiseKernel::new(i, o, op, name).unwrap();
            for dtype in [DType::F32, DType::F64] {
                let (kname, src) = cuda_check::elementwise_kernel_source(&k, dtype).unwrap();
                for arch in [(8, 0), (9, 0)] {
                    cuda_check::compile_source(&kname, &src, arch)
                        .unwrap_or_else(|e| panic!("{name} {dtype} sm_{}{}: {e}", arch.0, arch.1));
                    n += 1;
                }
            }
        }
        // where's and take's kernels take every dtype, scatter_add's those
        // CUDA has an atomicAdd for.
        let every: &[DType] = &crate::ALL_DTYPES;
        for ((name, i, o, op), dtypes) in [
            (super::super::ufunc::WHERE, every),
            (super::super::index::TAKE, every),
            (
                super::super::index::SCATTER_ADD,
                super::super::index::SCATTER_ADD_DTYPES,
            ),
        ] {
            let k = crate::ElementwiseKernel::new(i, o, op, name).unwrap();
            for &dtype in dtypes {
                let (kname, src) = cuda_check::elementwise_kernel_source(&k, dtype).unwrap();
                for arch in [(8, 0), (9, 0)] {
                    cuda_check::compile_source(&kname, &src, arch)
                        .unwrap_or_else(|e| panic!("{name} {dtype} sm_{}{}: {e}", arch.0, arch.1));
                    n += 1;
                }
            }
        }
        println!("{n} operation kernels compiled, 0 failed");
    }
}
