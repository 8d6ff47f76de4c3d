//! The CI check of the CUDA code generator: compiles every built-in kernel
//! of the catalog with NVRTC (no GPU needed). Hidden: only
//! `examples/check_cuda_kernels.rs` (run by `scripts/check-cuda-kernels`)
//! and `tests/cuda_kernels.rs` call it.

use crate::backend::cuda::codegen::catalog::{catalog, Entry, LayoutClass};
use crate::backend::cuda::codegen::prelude;
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

/// Kernels per NVRTC program when batching: NVRTC's fixed cost per program
/// (parsing the header and the half-precision headers) dominates a small
/// kernel, so one program per kernel would make the check several times slower.
const BATCH: usize = 48;

/// A unit of compilation: several catalog kernels sharing one prelude, each
/// in its own namespace (extern "C" names stay distinct within a layout
/// class), or one kernel alone.
struct Job {
    entries: Vec<usize>,
    source: String,
}

/// Groups `entries` by layout class and prelude into programs of up to
/// `batch` kernels.
fn batches(entries: &[Entry], batch: usize) -> Vec<Job> {
    use crate::DType::{BF16, F16, F32};
    let preludes = [
        prelude([F16, BF16]),
        prelude([F16]),
        prelude([BF16]),
        prelude([F32]),
    ];
    let mut groups: std::collections::BTreeMap<(String, usize), Vec<usize>> = Default::default();
    for (i, e) in entries.iter().enumerate() {
        let p = preludes
            .iter()
            .position(|p| e.source.starts_with(p.as_str()))
            .expect("every source starts with a prelude");
        let class = e.name.rsplit('[').next().unwrap_or("").to_string();
        groups.entry((class, p)).or_default().push(i);
    }
    let mut jobs = Vec::new();
    for ((_, p), idx) in groups {
        for chunk in idx.chunks(batch.max(1)) {
            let mut source = preludes[p].clone();
            for (n, &i) in chunk.iter().enumerate() {
                let body = &entries[i].source[preludes[p].len()..];
                source.push_str(&format!(
                    "\nnamespace kusari_batch_{n} {{\n{body}\n}}\n#undef REDUCE\n#undef POST_MAP\n"
                ));
            }
            jobs.push(Job {
                entries: chunk.to_vec(),
                source,
            });
        }
    }
    jobs
}

/// Compiles every catalog kernel for every arch in `archs` on `threads`
/// threads; errors only if NVRTC cannot be loaded or generation fails.
/// Kernels are compiled in batches (see [`BATCH`]); a batch that fails is
/// compiled again kernel by kernel so failures carry their own name and
/// log. `KUSARI_CHECK_UNBATCHED=1` compiles every kernel alone.
pub fn compile_all(archs: &[(u32, u32)], threads: usize) -> Result<Report> {
    let nvrtc_version = nvrtc::version()?;
    let start = Instant::now();
    let entries = catalog(&LayoutClass::ALL)?;
    let batch = if std::env::var_os("KUSARI_CHECK_UNBATCHED").is_some() {
        1
    } else {
        BATCH
    };
    let units = batches(&entries, batch);
    let jobs: Vec<(usize, (u32, u32))> = (0..units.len())
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
                let unit = &units[i];
                let first = &entries[unit.entries[0]];
                if unit.entries.len() > 1
                    && nvrtc::compile(&first.kernel, &unit.source, arch, &[]).is_ok()
                {
                    compiled.fetch_add(unit.entries.len(), Ordering::Relaxed);
                    continue;
                }
                for &k in &unit.entries {
                    let e = &entries[k];
                    match nvrtc::compile(&e.kernel, &e.source, arch, &[]) {
                        Ok(_) => {
                            compiled.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(err) => {
                            failures
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(Failure {
                                    name: e.name.clone(),
                                    arch,
                                    message: err.to_string(),
                                })
                        }
                    }
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

/// The CUDA source of user kernel `k` with every type placeholder bound to
/// `placeholder` and every array argument contiguous (one layout class), so
/// the kernels of the user-kernel tests can be compiled by the CI check.
pub fn elementwise_kernel_source(
    k: &crate::ElementwiseKernel,
    placeholder: crate::DType,
) -> Result<(String, String)> {
    use crate::backend::cuda::codegen::ArgLayout;
    let mut typedefs: Vec<(String, crate::DType)> = Vec::new();
    for p in k.params() {
        if let crate::kernel::ParamType::Placeholder(t) = &p.ty {
            if !typedefs.iter().any(|(n, _)| n == t) {
                typedefs.push((t.clone(), placeholder));
            }
        }
    }
    let layout = vec![
        ArgLayout::Array {
            ndim: 1,
            c_contiguous: true
        };
        k.params().len()
    ];
    let spec = k.cuda_spec(typedefs, layout, true);
    Ok((spec.name.clone(), spec.render()?))
}

/// The CUDA sources (one pass, and the two passes of the long path) of user
/// reduction `k` with every placeholder bound to `placeholder` and
/// contiguous 1-D arguments, for the CI check.
pub fn reduction_kernel_source(
    k: &crate::ReductionKernel,
    placeholder: crate::DType,
    reduce_type: crate::DType,
) -> Result<Vec<(String, String)>> {
    use crate::backend::cuda::codegen::{ArgLayout, ReductionPass};
    let (ins, outs) = k.params();
    let mut typedefs: Vec<(String, crate::DType)> = Vec::new();
    for p in ins.iter().chain(outs) {
        if let crate::kernel::ParamType::Placeholder(t) = &p.ty {
            if !typedefs.iter().any(|(n, _)| n == t) {
                typedefs.push((t.clone(), placeholder));
            }
        }
    }
    let arr = ArgLayout::Array {
        ndim: 1,
        c_contiguous: true,
    };
    let spec = k.cuda_spec(
        typedefs,
        reduce_type,
        vec![arr; ins.len()],
        vec![arr; outs.len()],
        true,
    )?;
    [
        ReductionPass::Single,
        ReductionPass::Partial,
        ReductionPass::Final,
    ]
    .into_iter()
    .map(|pass| Ok((spec.kernel_name(pass), spec.render(pass)?)))
    .collect()
}

/// Builds each `(name, in_params, out_params, operation)` kernel of `defs`
/// and compiles it for every dtype of `dtypes` (binding every placeholder)
/// for sm_80 and sm_90; returns how many compiled. Panics naming the kernel,
/// dtype and architecture on the first failure (for the CI check's tests).
pub fn compile_kernel_defs(defs: &[(&str, &str, &str, &str)], dtypes: &[crate::DType]) -> usize {
    let mut n = 0;
    for &(name, i, o, op) in defs {
        let k = crate::ElementwiseKernel::new(i, o, op, name).unwrap();
        for &dtype in dtypes {
            let (kname, src) = elementwise_kernel_source(&k, dtype).unwrap();
            for arch in [(8, 0), (9, 0)] {
                compile_source(&kname, &src, arch)
                    .unwrap_or_else(|e| panic!("{name} {dtype} sm_{}{}: {e}", arch.0, arch.1));
                n += 1;
            }
        }
    }
    n
}

/// Compiles `source` with NVRTC for `arch` (an error carries NVRTC's log).
pub fn compile_source(name: &str, source: &str, arch: (u32, u32)) -> Result<()> {
    crate::backend::cuda::nvrtc::compile(name, source, arch, &[]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_kernel_once_within_its_class() {
        let entries = catalog(&LayoutClass::ALL).unwrap();
        let jobs = batches(&entries, BATCH);
        let mut seen = vec![0usize; entries.len()];
        for j in &jobs {
            assert!(j.entries.len() <= BATCH);
            let class = |i: usize| entries[i].name.rsplit('[').next().unwrap().to_string();
            assert!(j.entries.iter().all(|&i| class(i) == class(j.entries[0])));
            for (n, &i) in j.entries.iter().enumerate() {
                seen[i] += 1;
                assert!(j.source.contains(&format!("namespace kusari_batch_{n} {{")));
                assert!(j.source.contains(&format!("void {}(", entries[i].kernel)));
            }
            // the half headers appear once per program at most
            assert!(j.source.matches("#include <cuda_fp16.h>").count() <= 1);
        }
        assert!(seen.iter().all(|&n| n == 1));
        assert!(
            jobs.len() * 10 < entries.len(),
            "batching should cut programs at least tenfold"
        );
    }
}
