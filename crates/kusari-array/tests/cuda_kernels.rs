//! Every generated CUDA kernel compiles with NVRTC. Skipped (with a message)
//! where NVRTC cannot be loaded; `scripts/check-cuda-kernels` runs the same
//! check with a pip-installed NVRTC.

use kusari_array::cuda_check;

#[test]
fn every_generated_kernel_compiles() {
    if !cuda_check::nvrtc_available() {
        println!("NVRTC not found: skipped; run scripts/check-cuda-kernels");
        return;
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let r = cuda_check::compile_all(&[(8, 0), (9, 0)], threads).unwrap();
    let names: Vec<String> = r
        .failures
        .iter()
        .map(|f| format!("{} sm_{}{}:\n{}", f.name, f.arch.0, f.arch.1, f.message))
        .collect();
    assert!(
        r.failures.is_empty(),
        "{} kernels failed:\n{}",
        r.failures.len(),
        names.join("\n")
    );
    assert_eq!(r.compiled, 2 * cuda_check::catalog_len().unwrap());
}
