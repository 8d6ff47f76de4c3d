//! The CI check of the CUDA code generator: compiles every built-in kernel
//! of the catalog with NVRTC (no GPU needed). Hidden: only
//! `examples/check_cuda_kernels.rs` (run by `scripts/check-cuda-kernels`)
//! and `tests/cuda_kernels.rs` call it.

use crate::backend::cuda::codegen::catalog::{catalog, LayoutClass};
use crate::backend::cuda::nvrtc;
use crate::Result;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One kernel NVRTC rejected.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Catalog name, e.g. `add_float32[c32]`.
    pub name: String,
    /// Compute capability compiled for.
    pub arch: (u32, u32),
    /// The error (for a compile error: log and source excerpt).
    pub message: String,
}

/// The outcome of [`compile_all`].
#[derive(Clone, Debug)]
pub struct Report {
    /// NVRTC's version.
    pub nvrtc_version: (i32, i32),
    /// Kernel × arch compilations that succeeded.
    pub compiled: usize,
    /// Those that failed.
    pub failures: Vec<Failure>,
    /// Wall time of generating and compiling, in seconds.
    pub seconds: f64,
}

/// Whether NVRTC can be loaded here (otherwise the check is skipped).
pub fn nvrtc_available() -> bool {
    nvrtc::version().is_ok()
}

/// The number of kernels in the catalog (all layout classes).
pub fn catalog_len() -> Result<usize> {
    Ok(catalog(&LayoutClass::ALL)?.len())
}

/// Compiles every catalog kernel for every arch in `archs` on `threads`
/// threads; errors only if NVRTC cannot be loaded or generation fails.
pub fn compile_all(archs: &[(u32, u32)], threads: usize) -> Result<Report> {
    let nvrtc_version = nvrtc::version()?;
    let start = Instant::now();
    let entries = catalog(&LayoutClass::ALL)?;
    let jobs: Vec<(usize, (u32, u32))> = (0..entries.len())
        .flat_map(|i| archs.iter().map(move |&a| (i, a)))
        .collect();
    let next = AtomicUsize::new(0);
    let compiled = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let j = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(i, arch)) = jobs.get(j) else { break };
                let e = &entries[i];
                match nvrtc::compile(&e.kernel, &e.source, arch, &[]) {
                    Ok(_) => {
                        compiled.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => failures
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(Failure {
                            name: e.name.clone(),
                            arch,
                            message: err.to_string(),
                        }),
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort_by(|a, b| (&a.name, a.arch).cmp(&(&b.name, b.arch)));
    Ok(Report {
        nvrtc_version,
        compiled: compiled.into_inner(),
        failures,
        seconds: start.elapsed().as_secs_f64(),
    })
}
