//! What the operations with hand-written CPU loops and a kernel path off the
//! CPU (`nn`'s fused activation gradients and softmax, `special`'s
//! functions, `where`, `take`, `take_along_axis`, `sort`/`argsort`, `searchsorted`, `scatter_add`, the convolution and pooling
//! windows, the random generator's draws, `cumsum`/`cumprod`) share: their kernels built once per process, the switch that
//! picks the path, and the NVRTC check of every definition. The kernels are
//! [`ElementwiseKernel`]s, so on a GPU they go through the one code
//! generator, and on the CPU the tests run them through the interpreter
//! against the loops. kusari's function library and optimizers use the same
//! switch (hence `pub`, hidden: not a stable API), so one test switch sends
//! both crates down their kernel paths.

use crate::{Device, ElementwiseKernel};
use std::sync::OnceLock;

/// A kernel's `(name, in_params, out_params, operation)`.
pub type KernelDef = (&'static str, &'static str, &'static str, &'static str);

/// The kernel of `def`, parsed once per process (`cell` is its static).
pub fn cached(
    cell: &'static OnceLock<ElementwiseKernel>,
    def: KernelDef,
) -> &'static ElementwiseKernel {
    cell.get_or_init(|| {
        let (name, i, o, op) = def;
        ElementwiseKernel::new(i, o, op, name).expect("the built-in kernel definitions parse")
    })
}

/// Whether arrays on `device` take the kernel path: off the CPU always; on
/// the CPU only where tests ask for it ([`FORCE_KERNELS`]).
pub fn use_kernels(device: Device) -> bool {
    device != Device::Cpu || FORCE_KERNELS.with(|f| f.get())
}

thread_local! {
    /// Set by tests (this crate's and kusari's): [`use_kernels`] answers
    /// yes on the CPU too, to run the kernel paths against the loops.
    pub static FORCE_KERNELS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
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
        use super::super::{index, nn, special, ufunc, window_kernels};
        let floats = [DType::F32, DType::F64];
        let both: Vec<_> = nn::KERNELS
            .iter()
            .chain(special::KERNELS)
            .chain(window_kernels::KERNELS)
            .copied()
            .collect();
        let mut n = cuda_check::compile_kernel_defs(&both, &floats);
        // where's and take's kernels take every dtype, scatter_add's those
        // CUDA has an atomicAdd for.
        n += cuda_check::compile_kernel_defs(
            &[
                ufunc::WHERE,
                index::TAKE,
                index::GATHER,
                super::super::sort::BITONIC_STEP,
                super::super::sort::SEARCHSORTED,
                super::super::sort::GROUP_STARTS,
            ],
            &crate::ALL_DTYPES,
        );
        // unique's and bincount's kernels without a type placeholder.
        n += cuda_check::compile_kernel_defs(
            &[
                super::super::sort::PERMUTE_SCATTER,
                super::super::sort::BIN_SUMS,
            ],
            &[DType::I64],
        );
        n += cuda_check::compile_kernel_defs(&[index::SCATTER_ADD], index::SCATTER_ADD_DTYPES);
        // The generator's draws make every float dtype.
        let all_floats = [DType::F16, DType::BF16, DType::F32, DType::F64];
        n += cuda_check::compile_kernel_defs(&[super::super::random::device::PHILOX], &all_floats);
        // cumsum/cumprod accumulate in int64 or the float dtype.
        let sums = [DType::I64, DType::F16, DType::BF16, DType::F32, DType::F64];
        n += cuda_check::compile_kernel_defs(&[super::super::reduce::CUMULATIVE], &sums);
        println!("{n} operation kernels compiled, 0 failed");
    }
}
