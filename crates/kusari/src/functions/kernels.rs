//! What the functions with a user-kernel path (`lstm`,
//! `softmax_cross_entropy`) and the optimizers' update rules share: the definitions' form, each kernel built
//! once per process, the switch that sends arrays off the CPU (and, in
//! tests, on it) down that path, and the NVRTC check of every definition.

use crate::array::{Device, ElementwiseKernel};
use std::sync::OnceLock;

/// A user kernel's `(name, in_params, out_params, operation)`.
pub(crate) type KernelDef = (&'static str, &'static str, &'static str, &'static str);

/// The kernel of `def`, parsed once per process (`cell` is its static).
pub(crate) fn cached(
    cell: &'static OnceLock<ElementwiseKernel>,
    def: KernelDef,
) -> &'static ElementwiseKernel {
    cell.get_or_init(|| {
        let (name, i, o, op) = def;
        ElementwiseKernel::new(i, o, op, name)
            .expect("the function library's kernel definitions parse")
    })
}

/// Whether a function with CPU loops and a kernel path takes the kernel
/// path for arrays on `device`: off the CPU always; on the CPU only where
/// this crate's tests ask for it ([`FORCE_KERNELS`]), to run that path
/// against the CPU loops.
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

#[cfg(test)]
mod tests {
    use crate::array::DType;

    /// Every kernel of the function library and every optimizer rule's
    /// kernel compiles with NVRTC for sm_80 and sm_90 in float32 and float64 (run by scripts/check-cuda-kernels;
    /// skipped without NVRTC).
    #[test]
    fn function_kernels_compile_with_nvrtc() {
        use crate::array::cuda_check;
        use crate::functions::loss::softmax_cross_entropy_kernel as sce;
        use crate::functions::rnn::lstm_kernel as lstm;
        if !cuda_check::nvrtc_available() {
            eprintln!("NVRTC not found: skipped; run scripts/check-cuda-kernels");
            return;
        }
        let mut n = 0;
        let functions = [lstm::FORWARD, lstm::BACKWARD, sce::FORWARD, sce::BACKWARD];
        let rules = crate::optimizers::kernels::ALL;
        for &(name, i, o, op) in functions.iter().chain(rules) {
            let k = crate::array::ElementwiseKernel::new(i, o, op, name).unwrap();
            for dtype in [DType::F32, DType::F64] {
                let (kname, src) = cuda_check::elementwise_kernel_source(&k, dtype).unwrap();
                for arch in [(8, 0), (9, 0)] {
                    cuda_check::compile_source(&kname, &src, arch)
                        .unwrap_or_else(|e| panic!("{name} {dtype} sm_{}{}: {e}", arch.0, arch.1));
                    n += 1;
                }
            }
        }
        println!("{n} function-library and optimizer kernels compiled, 0 failed");
    }
}
