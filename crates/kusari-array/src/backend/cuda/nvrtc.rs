//! NVRTC: CUDA C++ source to PTX at run time. A minimal version; the code
//! generator's branch brings the full one (same signatures).

use crate::{Error, Result};
use cudarc::nvrtc::{result, sys};
use std::ffi::CString;

/// Compute capability, e.g. (8, 0) for sm_80.
pub(crate) type Arch = (u32, u32);

fn unavailable(op: &'static str) -> Error {
    Error::Device {
        op,
        message: "expected the NVRTC library (libnvrtc.so, from the CUDA toolkit), found none: \
                  kernels cannot be compiled on this machine"
            .into(),
    }
}

/// NVRTC's version (major, minor); errors if NVRTC cannot be loaded.
pub(crate) fn version() -> Result<(i32, i32)> {
    // SAFETY: only probes whether the library can be opened.
    if !unsafe { sys::is_culib_present() } {
        return Err(unavailable("nvrtc::version"));
    }
    let (mut major, mut minor) = (0, 0);
    // SAFETY: two valid out-pointers; the library is present.
    unsafe { sys::nvrtcVersion(&mut major, &mut minor) }
        .result()
        .map_err(|e| Error::Device {
            op: "nvrtc::version",
            message: format!("nvrtcVersion failed: {e:?}"),
        })?;
    Ok((major, minor))
}

/// Compiles `source` to PTX for `arch` with `options`; on failure Error::KernelCompile { name, log, excerpt }.
pub(crate) fn compile(name: &str, source: &str, arch: Arch, options: &[String]) -> Result<String> {
    // SAFETY: only probes whether the library can be opened.
    if !unsafe { sys::is_culib_present() } {
        return Err(unavailable("nvrtc::compile"));
    }
    let fail = |log: String| Error::KernelCompile {
        name: name.to_string(),
        log,
        excerpt: String::new(),
    };
    let src = CString::new(source).map_err(|_| fail("the source contains a NUL byte".into()))?;
    let cname = CString::new(name).map_err(|_| fail("the name contains a NUL byte".into()))?;
    let mut opts = vec![format!("--gpu-architecture=compute_{}{}", arch.0, arch.1)];
    opts.extend(options.iter().cloned());
    if opts.iter().any(|o| o.contains('\0')) {
        return Err(fail("an option contains a NUL byte".into()));
    }
    let prog = result::create_program(&src, Some(&cname)).map_err(|e| fail(format!("{e:?}")))?;
    let text = |v: Vec<std::ffi::c_char>| {
        let bytes: Vec<u8> = v
            .into_iter()
            .take_while(|&c| c != 0)
            .map(|c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    // SAFETY: `prog` is live until destroyed below; options were checked for NULs.
    let out = unsafe {
        match result::compile_program(prog, &opts) {
            Ok(()) => result::get_ptx(prog)
                .map(text)
                .map_err(|e| fail(format!("{e:?}"))),
            Err(e) => {
                let log = result::get_program_log(prog).map(text).unwrap_or_default();
                Err(fail(if log.is_empty() {
                    format!("{e:?}")
                } else {
                    log
                }))
            }
        }
    };
    // SAFETY: created above, destroyed once.
    let _ = unsafe { result::destroy_program(prog) };
    out
}
