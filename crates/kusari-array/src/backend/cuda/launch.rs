//! Launching CUDA kernels: parameters, launch shapes, and the path from
//! source to a running kernel (kernel cache → module → `cuLaunchKernel`).
//! The code generator and user kernels (`ElementwiseKernel`, ...) call these.

use super::{driver_error, CudaDevice};
use crate::{Array, Error, Result};
use cudarc::driver::result as dr;
use std::ffi::c_void;

/// One kernel argument, passed by value as `cuLaunchKernel` expects: the
/// driver copies `size` bytes from the address we hand it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KernelParam {
    /// A device address (an array's first element, or any `T*`).
    Ptr(u64),
    /// A scalar of up to 8 bytes (any dtype), native-endian, in the low `len` bytes.
    Scalar { bytes: [u8; 8], len: usize },
    /// A small struct by value (e.g. shape and strides for the indexer), laid
    /// out as the kernel's C struct is.
    Blob(Vec<u8>),
}

impl KernelParam {
    /// A scalar of any plain type: `f32`, `i64`, `half::f16`, `bool`, ...
    pub(crate) fn scalar<T: bytemuck::NoUninit>(v: T) -> KernelParam {
        let src = bytemuck::bytes_of(&v);
        assert!(
            src.len() <= 8,
            "scalars are at most 8 bytes; pass larger values as Blob"
        );
        let mut bytes = [0u8; 8];
        bytes[..src.len()].copy_from_slice(src);
        KernelParam::Scalar {
            bytes,
            len: src.len(),
        }
    }

    /// Scalar `s` converted to `dtype` (C's argument conversion), passed by value.
    pub(crate) fn scalar_of(s: crate::Scalar, dtype: crate::DType) -> Result<KernelParam> {
        let b = Array::full(&[], s, dtype)?.to_bytes()?;
        let mut bytes = [0u8; 8];
        bytes[..b.len()].copy_from_slice(&b);
        Ok(KernelParam::Scalar {
            bytes,
            len: b.len(),
        })
    }

    /// The device address of `a`'s first element; errors unless `a` is on CUDA.
    pub(crate) fn array(op: &'static str, a: &Array) -> Result<KernelParam> {
        Ok(KernelParam::Ptr(a.device_ptr(op)?))
    }

    /// The address the driver reads the value from.
    fn as_mut_ptr(&mut self) -> *mut c_void {
        match self {
            KernelParam::Ptr(p) => std::ptr::from_mut(p).cast(),
            KernelParam::Scalar { bytes, .. } => bytes.as_mut_ptr().cast(),
            KernelParam::Blob(b) => b.as_mut_ptr().cast(),
        }
    }
}

/// Grid and block dimensions.
pub(crate) type Dim3 = (u32, u32, u32);

/// Blocks per SM a grid-stride launch aims for: enough to hide latency,
/// few enough that each thread loops over several elements.
const BLOCKS_PER_SM: u64 = 32;

/// Grid and block for a grid-stride loop over `size` elements on a device
/// with `sm_count` multiprocessors; `None` when there is nothing to do.
/// Small sizes use 128-thread blocks so that they still spread over SMs.
pub(crate) fn linear_config(size: usize, sm_count: u32) -> Option<(Dim3, Dim3)> {
    if size == 0 {
        return None;
    }
    let sm = u64::from(sm_count.max(1));
    let block: u64 = if (size as u64) < 256 * sm { 128 } else { 256 };
    let blocks = (size as u64).div_ceil(block);
    let grid = blocks.min(sm * BLOCKS_PER_SM).min(i32::MAX as u64);
    Some(((grid as u32, 1, 1), (block as u32, 1, 1)))
}

/// Checks launch dimensions against CUDA's limits before the driver sees them.
pub(crate) fn check_dims(name: &str, grid: Dim3, block: Dim3, shared_mem: u32) -> Result<()> {
    let threads = u64::from(block.0) * u64::from(block.1) * u64::from(block.2);
    let bad = grid.0 == 0
        || grid.1 == 0
        || grid.2 == 0
        || grid.0 > i32::MAX as u32
        || grid.1 > 65535
        || grid.2 > 65535
        || threads == 0
        || threads > 1024
        || block.2 > 64;
    if bad {
        return Err(Error::value(
            "launch",
            format!(
                "kernel {name}: expected grid within (2^31-1, 65535, 65535) and a block of 1..=1024 threads \
                 (z at most 64), found grid {grid:?} block {block:?}"
            ),
        ));
    }
    if shared_mem > 227 * 1024 {
        return Err(Error::value(
            "launch",
            format!("kernel {name}: expected at most 227 KiB of shared memory, found {shared_mem} bytes"),
        ));
    }
    Ok(())
}

/// Compiles (or finds in the caches) kernel `name` of `source` and launches
/// it on `dev`'s stream. Asynchronous: errors inside the kernel surface at the
/// next synchronizing call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn launch(
    dev: &CudaDevice,
    name: &str,
    source: &str,
    options: &[String],
    grid: Dim3,
    block: Dim3,
    shared_mem: u32,
    args: &mut [KernelParam],
) -> Result<()> {
    check_dims(name, grid, block, shared_mem)?;
    let kernel = dev.kernel(name, source, options)?;
    let mut ptrs: Vec<*mut c_void> = args.iter_mut().map(KernelParam::as_mut_ptr).collect();
    dev.bind("launch")?;
    // SAFETY: the function is loaded in this context; each pointer addresses a
    // live value that `cuLaunchKernel` copies before returning. The kernel's
    // signature matching `args` is the caller's contract (generated code).
    unsafe {
        dr::launch_kernel(
            kernel.function,
            grid,
            block,
            shared_mem,
            dev.stream.cu_stream(),
            &mut ptrs,
        )
    }
    .map_err(|e| driver_error("launch", &format!("launching kernel {name}"), e))
}

/// [`launch`] for a grid-stride loop over `size` elements (see [`linear_config`]);
/// does nothing for `size == 0`.
pub(crate) fn linear_launch(
    dev: &CudaDevice,
    size: usize,
    name: &str,
    source: &str,
    options: &[String],
    args: &mut [KernelParam],
) -> Result<()> {
    match linear_config(size, dev.sm_count) {
        None => Ok(()),
        Some((grid, block)) => launch(dev, name, source, options, grid, block, 0, args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_bytes() {
        let p = KernelParam::scalar(1.5f32);
        assert_eq!(
            p,
            KernelParam::Scalar {
                bytes: [0, 0, 0xc0, 0x3f, 0, 0, 0, 0],
                len: 4
            }
        );
        assert!(matches!(
            KernelParam::scalar(true),
            KernelParam::Scalar { len: 1, .. }
        ));
        assert!(matches!(
            KernelParam::scalar(half::f16::ONE),
            KernelParam::Scalar { len: 2, .. }
        ));
        let mut p = KernelParam::scalar(-2i64);
        let v = unsafe { *(p.as_mut_ptr() as *const i64) };
        assert_eq!(v, -2);
        let mut b = KernelParam::Blob(vec![1, 2, 3]);
        assert_eq!(unsafe { *(b.as_mut_ptr() as *const u8).add(2) }, 3);
    }

    #[test]
    fn host_arrays_are_not_kernel_arguments() {
        let a = Array::arange(3).unwrap();
        let e = KernelParam::array("launch", &a).unwrap_err().to_string();
        assert!(e.contains("cuda") && e.contains("cpu"), "{e}");
    }

    #[test]
    fn linear_launch_shapes() {
        assert_eq!(linear_config(0, 132), None);
        assert_eq!(linear_config(1, 132), Some(((1, 1, 1), (128, 1, 1))));
        assert_eq!(linear_config(1000, 132), Some(((8, 1, 1), (128, 1, 1))));
        // Large: 256-thread blocks, grid capped at 32 blocks per SM.
        assert_eq!(
            linear_config(1 << 30, 132),
            Some(((132 * 32, 1, 1), (256, 1, 1)))
        );
        assert_eq!(
            linear_config(256 * 132, 132),
            Some(((132, 1, 1), (256, 1, 1)))
        );
        // Every element is covered by at most grid*block threads striding.
        for &n in &[1usize, 127, 128, 129, 33_791, 33_792, 10_000_000] {
            let ((g, _, _), (b, _, _)) = linear_config(n, 80).unwrap();
            assert!(g >= 1 && g as u64 <= 80 * 32);
            assert!((g as usize) * (b as usize) >= n.min(80 * 32 * 256));
        }
        assert!(linear_config(usize::MAX, 0).is_some());
    }

    #[test]
    fn launch_dims_are_checked() {
        assert!(check_dims("k", (1, 1, 1), (1024, 1, 1), 0).is_ok());
        for (g, b) in [
            ((0, 1, 1), (1, 1, 1)),
            ((1, 1, 1), (1025, 1, 1)),
            ((1, 70000, 1), (1, 1, 1)),
            ((1, 1, 1), (1, 1, 65)),
        ] {
            let e = check_dims("k", g, b, 0).unwrap_err().to_string();
            assert!(e.contains("kernel k"), "{e}");
        }
        assert!(check_dims("k", (1, 1, 1), (32, 1, 1), 300 * 1024).is_err());
    }
}
