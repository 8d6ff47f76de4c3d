//! Compiles every generated CUDA kernel with NVRTC for sm_80 and sm_90 (no
//! GPU needed). Run through `scripts/check-cuda-kernels`, which installs
//! NVRTC and puts it on the library path. The last line is
//! `N kernels compiled, M failed`; the exit status is non-zero on any
//! failure, or when NVRTC cannot be loaded.

use kusari_array::cuda_check;

fn main() {
    if !cuda_check::nvrtc_available() {
        eprintln!("NVRTC not found on the library path: run scripts/check-cuda-kernels");
        std::process::exit(2);
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let archs = [(8, 0), (9, 0)];
    let report = match cuda_check::compile_all(&archs, threads) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kernel generation failed: {e}");
            std::process::exit(1);
        }
    };
    for f in &report.failures {
        println!(
            "FAILED {} (sm_{}{}):\n{}\n",
            f.name, f.arch.0, f.arch.1, f.message
        );
    }
    println!(
        "NVRTC {}.{}, {} kernels x {} archs, {} threads, {:.1} s",
        report.nvrtc_version.0,
        report.nvrtc_version.1,
        cuda_check::catalog_len().unwrap_or(0),
        archs.len(),
        threads,
        report.seconds
    );
    println!(
        "{} kernels compiled, {} failed",
        report.compiled,
        report.failures.len()
    );
    if !report.failures.is_empty() {
        std::process::exit(1);
    }
}
