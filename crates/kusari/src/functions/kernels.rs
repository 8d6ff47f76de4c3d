//! What the functions with a user-kernel path (`lstm`,
//! `softmax_cross_entropy`) and the optimizers' update rules share: the definitions' form, each kernel built
//! once per process, the switch that sends arrays off the CPU (and, in
//! tests, on it) down that path, and the NVRTC check of every definition.

// The definitions' form, the once-per-process cache and the switch (with
// its test override, FORCE_KERNELS) are kusari-array's, shared so that one
// switch sends both crates down their kernel paths.
#[cfg(test)]
pub(crate) use crate::array::ops::kernel_path::FORCE_KERNELS;
pub(crate) use crate::array::ops::kernel_path::{cached, use_kernels, KernelDef};

#[cfg(test)]
mod tests {
    use crate::array::DType;

    /// Every kernel of the function library and every optimizer rule's
    /// kernel compiles with NVRTC for sm_80 and sm_90 in float32 and
    /// float64 (run by scripts/check-cuda-kernels; skipped without NVRTC).
    #[test]
    fn function_kernels_compile_with_nvrtc() {
        use crate::array::cuda_check;
        use crate::functions::loss::softmax_cross_entropy_kernel as sce;
        use crate::functions::rnn::lstm_kernel as lstm;
        if !cuda_check::nvrtc_available() {
            eprintln!("NVRTC not found: skipped; run scripts/check-cuda-kernels");
            return;
        }
        use crate::functions::loss::sigmoid_cross_entropy as sig;
        let mut defs = vec![lstm::FORWARD, lstm::BACKWARD, sce::FORWARD, sce::BACKWARD];
        defs.extend([sig::FORWARD, sig::BACKWARD]);
        defs.extend_from_slice(crate::optimizers::kernels::ALL);
        let mut n = cuda_check::compile_kernel_defs(&defs, &[DType::F32, DType::F64]);
        // roi_pooling_2d's positions compare x's own type, half types included.
        n += cuda_check::compile_kernel_defs(
            &[crate::functions::pooling::roi_pooling_2d::POSITIONS],
            &[DType::F16, DType::BF16, DType::F32, DType::F64],
        );
        println!("{n} function-library and optimizer kernels compiled, 0 failed");
    }
}
