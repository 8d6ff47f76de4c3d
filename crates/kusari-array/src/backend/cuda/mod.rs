//! The CUDA backend's runtime: finding the driver, one [`CudaDevice`] per
//! ordinal (context, stream, memory pool, kernel cache, cuBLAS handle),
//! device buffers and transfers, kernel launching and cuBLAS products.
//!
//! Everything CUDA is reached through cudarc with its libraries opened at run
//! time, so a build without CUDA works; the libraries are probed before any
//! call into them because cudarc panics when a symbol's library is missing.

pub(crate) mod blas;
pub(crate) mod buffer;
pub(crate) mod cache;
pub(crate) mod codegen;
#[cfg(test)]
mod gpu_tests;
// The entry points of kernel launching are called by the code generator and
// user kernels, which land in another branch.
#[allow(dead_code)]
pub(crate) mod launch;
pub(crate) mod nvrtc;
pub(crate) mod ops;
pub(crate) mod pool;

pub(crate) use buffer::CudaBuffer;

use crate::{Error, Result};
use cudarc::driver::{result as dr, sys as dsys, CudaContext, CudaStream};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A driver failure as the crate's error.
pub(crate) fn driver_error(op: &'static str, what: &str, e: dr::DriverError) -> Error {
    Error::Device {
        op,
        message: format!("{what} failed: {e}"),
    }
}

/// Whether the driver library can be opened at all. The message names what
/// is missing so a user knows what to install.
fn driver_missing_message() -> Option<String> {
    // SAFETY: only tries to open the library.
    if unsafe { dsys::is_culib_present() } {
        None
    } else {
        Some(
            "CUDA driver library not found (expected libcuda.so / nvcuda.dll from an NVIDIA driver); \
             no CUDA device can be used on this machine"
                .to_string(),
        )
    }
}

/// The number of devices, probed once per process: library present, `cuInit`, `cuDeviceGetCount`.
pub(crate) fn probe() -> Result<usize> {
    static PROBE: OnceLock<Result<usize>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            if let Some(message) = driver_missing_message() {
                return Err(Error::Device {
                    op: "Device::cuda",
                    message,
                });
            }
            dr::init().map_err(|e| {
                driver_error(
                    "Device::cuda",
                    "cuInit (the driver is installed but unusable)",
                    e,
                )
            })?;
            let n = dr::device::get_count()
                .map_err(|e| driver_error("Device::cuda", "cuDeviceGetCount", e))?;
            Ok(n.max(0) as usize)
        })
        .clone()
}

/// The error for an ordinal outside `0..count`.
pub(crate) fn check_ordinal(ordinal: usize, count: usize) -> Result<()> {
    if ordinal < count {
        return Ok(());
    }
    Err(Error::Device {
        op: "Device::cuda",
        message: if count == 0 {
            format!("expected a CUDA device for cuda:{ordinal}, found none (the driver reports 0 devices)")
        } else {
            format!(
                "expected an ordinal below {count} (the number of CUDA devices), found cuda:{ordinal}"
            )
        },
    })
}

/// The device `ordinal`, created on first use. Each ordinal has its own slot
/// so that setting up one device never waits on another.
pub(crate) fn device(ordinal: usize) -> Result<Arc<CudaDevice>> {
    static SLOTS: OnceLock<Vec<Mutex<Option<Arc<CudaDevice>>>>> = OnceLock::new();
    let count = probe()?;
    check_ordinal(ordinal, count)?;
    let slots = SLOTS.get_or_init(|| (0..count).map(|_| Mutex::new(None)).collect());
    let mut slot = slots[ordinal].lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = &*slot {
        return Ok(d.clone());
    }
    let d = Arc::new(CudaDevice::new(ordinal)?);
    *slot = Some(d.clone());
    Ok(d)
}

/// The pool's allocator on a real device: `cuMemAlloc` / `cuMemFree`.
pub(crate) struct DriverAllocator {
    ctx: Arc<CudaContext>,
}

impl pool::Allocator for DriverAllocator {
    fn alloc(&mut self, bytes: usize) -> std::result::Result<pool::DevPtr, pool::AllocFailure> {
        let bind = self.ctx.bind_to_thread();
        bind.map_err(|e| {
            pool::AllocFailure::Other(driver_error("malloc", "binding the context", e))
        })?;
        // SAFETY: the context is current; the memory is handed out uninitialized on purpose.
        match unsafe { dr::malloc_sync(bytes) } {
            Ok(p) => Ok(p),
            Err(dr::DriverError(dsys::cudaError_enum::CUDA_ERROR_OUT_OF_MEMORY)) => {
                Err(pool::AllocFailure::OutOfMemory)
            }
            Err(e) => Err(pool::AllocFailure::Other(driver_error(
                "malloc",
                "cuMemAlloc",
                e,
            ))),
        }
    }

    fn free(&mut self, ptr: pool::DevPtr) {
        // Freeing cannot report errors to anyone (it runs from drops); the
        // context records them and the next checked call reports them.
        self.ctx.record_err(self.ctx.bind_to_thread());
        // SAFETY: `ptr` came from `alloc` and is freed once (the pool guarantees it).
        self.ctx.record_err(unsafe { dr::free_sync(ptr) });
    }
}

/// A loaded kernel: the module stays loaded while the function is in use.
pub(crate) struct LoadedKernel {
    pub(crate) function: dsys::CUfunction,
    module: dsys::CUmodule,
    ctx: Arc<CudaContext>,
}

// SAFETY: CUDA module and function handles may be used from any thread once
// their context is current (every use binds it first).
unsafe impl Send for LoadedKernel {}
unsafe impl Sync for LoadedKernel {}

impl Drop for LoadedKernel {
    fn drop(&mut self) {
        self.ctx.record_err(self.ctx.bind_to_thread());
        // SAFETY: loaded once in `CudaDevice::kernel`, unloaded once here.
        self.ctx
            .record_err(unsafe { dr::module::unload(self.module) });
    }
}

/// Everything kusari keeps for one GPU. Created once per ordinal by [`device`].
pub(crate) struct CudaDevice {
    pub(crate) ordinal: usize,
    pub(crate) ctx: Arc<CudaContext>,
    /// The stream all of kusari's work on this device is queued on.
    pub(crate) stream: Arc<CudaStream>,
    pub(crate) pool: pool::Pool<DriverAllocator>,
    /// Compute capability.
    pub(crate) arch: nvrtc::Arch,
    /// Streaming multiprocessors (sizes grid-stride launches).
    pub(crate) sm_count: u32,
    pub(crate) total_memory: usize,
    pub(crate) kernels: cache::KernelCache,
    /// Loaded kernels by source, then (name, options): a launch of a known
    /// kernel costs one hash of its source, no SHA-256 and no NVRTC call.
    #[allow(clippy::type_complexity)]
    loaded: Mutex<HashMap<String, Vec<(String, Vec<String>, Arc<LoadedKernel>)>>>,
    blas: Mutex<Option<cudarc::cublas::CudaBlas>>,
}

impl CudaDevice {
    fn new(ordinal: usize) -> Result<CudaDevice> {
        const OP: &str = "Device::cuda";
        let ctx =
            CudaContext::new(ordinal).map_err(|e| driver_error(OP, "creating the context", e))?;
        let stream = ctx
            .new_stream()
            .map_err(|e| driver_error(OP, "creating a stream", e))?;
        let (major, minor) = ctx
            .compute_capability()
            .map_err(|e| driver_error(OP, "reading the compute capability", e))?;
        let sm_count = ctx
            .attribute(dsys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(|e| driver_error(OP, "reading the multiprocessor count", e))?;
        let total_memory = ctx
            .total_mem()
            .map_err(|e| driver_error(OP, "reading the memory size", e))?;
        let enabled = pool_enabled_from(std::env::var("KUSARI_GPU_POOL").ok().as_deref());
        let limit = match std::env::var("KUSARI_GPU_MEMORY_LIMIT") {
            Ok(v) => pool::parse_limit(&v, total_memory)?,
            Err(_) => None,
        };
        let pool = pool::Pool::new(
            format!("cuda:{ordinal}"),
            DriverAllocator { ctx: ctx.clone() },
            enabled,
            limit,
        );
        Ok(CudaDevice {
            ordinal,
            ctx,
            stream,
            pool,
            arch: (major.max(0) as u32, minor.max(0) as u32),
            sm_count: sm_count.max(1) as u32,
            total_memory,
            kernels: cache::KernelCache::new(cache::dir_from_env()),
            loaded: Mutex::new(HashMap::new()),
            blas: Mutex::new(None),
        })
    }

    /// Makes this device's context current on the calling thread (driver calls need it).
    pub(crate) fn bind(&self, op: &'static str) -> Result<()> {
        self.ctx
            .bind_to_thread()
            .map_err(|e| driver_error(op, "binding the context", e))
    }

    /// The stream's handle as the pool's arena key.
    pub(crate) fn stream_id(&self) -> pool::StreamId {
        self.stream.cu_stream() as usize as pool::StreamId
    }

    /// Waits for all work queued on the device's stream.
    pub(crate) fn synchronize(&self, op: &'static str) -> Result<()> {
        self.bind(op)?;
        self.stream
            .synchronize()
            .map_err(|e| driver_error(op, "synchronizing the stream", e))
    }

    /// Kernel `name` from `source`, compiled with `options` for this device:
    /// loaded modules in memory, then the PTX cache (memory, disk), then NVRTC.
    pub(crate) fn kernel(
        &self,
        name: &str,
        source: &str,
        options: &[String],
    ) -> Result<Arc<LoadedKernel>> {
        const OP: &str = "launch";
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = loaded.get(source).and_then(|v| {
            v.iter()
                .find(|(n, o, _)| n == name && o.as_slice() == options)
        }) {
            return Ok(k.2.clone());
        }
        let parts = cache::KeyParts {
            source,
            options,
            arch: self.arch,
            nvrtc_version: nvrtc::version()?,
        };
        let (ptx, _) = self
            .kernels
            .get_or_compile(&parts, || nvrtc::compile(name, source, self.arch, options))?;
        self.bind(OP)?;
        let image = std::ffi::CString::new(ptx.as_bytes()).map_err(|_| Error::Device {
            op: OP,
            message: format!("PTX of kernel {name} contains a NUL byte"),
        })?;
        // SAFETY: a NUL-terminated PTX image; the context is current.
        let module = unsafe { dr::module::load_data(image.as_ptr().cast()) }
            .map_err(|e| driver_error(OP, &format!("loading the module of kernel {name}"), e))?;
        let cname = std::ffi::CString::new(name)
            .map_err(|_| Error::value(OP, "kernel name contains a NUL byte"))?;
        // SAFETY: `module` was just loaded.
        let function = match unsafe { dr::module::get_function(module, cname) } {
            Ok(f) => f,
            Err(e) => {
                // SAFETY: loaded above and not used elsewhere.
                let _ = unsafe { dr::module::unload(module) };
                return Err(driver_error(
                    OP,
                    &format!("finding kernel {name} in its module (is it declared extern \"C\"?)"),
                    e,
                ));
            }
        };
        let k = Arc::new(LoadedKernel {
            function,
            module,
            ctx: self.ctx.clone(),
        });
        loaded.entry(source.to_string()).or_default().push((
            name.to_string(),
            options.to_vec(),
            k.clone(),
        ));
        Ok(k)
    }

    /// Runs `f` with this device's cuBLAS handle, creating it on first use.
    pub(crate) fn with_blas<R>(
        &self,
        op: &'static str,
        f: impl FnOnce(&cudarc::cublas::CudaBlas) -> Result<R>,
    ) -> Result<R> {
        let mut slot = self.blas.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            // SAFETY: only tries to open the library (cudarc panics on calls into a missing one).
            if !unsafe { cudarc::cublas::sys::is_culib_present() } {
                return Err(Error::Device {
                    op,
                    message: "expected the cuBLAS library (libcublas.so, from the CUDA toolkit), found none"
                        .into(),
                });
            }
            self.bind(op)?;
            let b =
                cudarc::cublas::CudaBlas::new(self.stream.clone()).map_err(|e| Error::Device {
                    op,
                    message: format!("creating the cuBLAS handle failed: {e}"),
                })?;
            *slot = Some(b);
        }
        self.bind(op)?;
        f(slot.as_ref().expect("created above"))
    }
}

/// `KUSARI_GPU_POOL=0` (or `false`/`off`) switches the pool off; anything else keeps it on.
pub(crate) fn pool_enabled_from(value: Option<&str>) -> bool {
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("0" | "false" | "off" | "no")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinal_errors_name_the_ordinal_and_the_count() {
        assert!(check_ordinal(1, 2).is_ok());
        let e = check_ordinal(3, 2).unwrap_err().to_string();
        assert!(e.contains("cuda:3") && e.contains('2'), "{e}");
        let e = check_ordinal(0, 0).unwrap_err().to_string();
        assert!(e.contains("cuda:0") && e.contains("0 devices"), "{e}");
    }

    #[test]
    fn pool_switch_reads_common_spellings() {
        assert!(pool_enabled_from(None));
        assert!(pool_enabled_from(Some("1")));
        assert!(!pool_enabled_from(Some("0")));
        assert!(!pool_enabled_from(Some(" OFF ")));
    }

    /// This machine has no CUDA: probing must be an error that says what is
    /// missing, not a panic inside cudarc.
    #[test]
    fn no_driver_is_a_clear_error() {
        // SAFETY: only tries to open the library.
        if unsafe { dsys::is_culib_present() } {
            return; // a CUDA machine: covered by the device tests instead
        }
        let e = device(0).err().expect("no driver, no device").to_string();
        assert!(e.contains("CUDA driver library not found"), "{e}");
        assert!(probe().is_err());
    }
}
