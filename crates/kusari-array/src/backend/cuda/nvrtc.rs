//! NVRTC, the run-time CUDA C++ compiler, through `cudarc` (loaded with
//! `dlopen` on first use, so nothing links at build time).
//!
//! cudarc looks for `libnvrtc.so`, `libnvrtc.so.13`, ... by name, so the
//! library's directory must be on the loader's path (`LD_LIBRARY_PATH`;
//! `scripts/check-cuda-kernels` sets it to the pip wheel's `nvidia/cu13/lib`,
//! where `libnvrtc-builtins` sits beside it as NVRTC needs). Using cudarc's
//! loader where the library is missing panics, so every entry point first
//! probes with `is_culib_present` and returns an error instead.

use crate::{Error, Result};
use cudarc::nvrtc::{result, sys};
use std::ffi::CString;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Compute capability, e.g. (8, 0) for sm_80.
pub(crate) type Arch = (u32, u32);

fn present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    // SAFETY: only tries to dlopen the candidate names; no symbol is called.
    *PRESENT.get_or_init(|| unsafe { sys::is_culib_present() })
}

fn require(op: &'static str) -> Result<()> {
    if present() {
        Ok(())
    } else {
        Err(Error::Device {
            op,
            message: "expected NVRTC (libnvrtc.so.13 or another libnvrtc) on the library path, found none; \
                      install CUDA or run scripts/check-cuda-kernels, which sets LD_LIBRARY_PATH to a pip-installed NVRTC"
                .into(),
        })
    }
}

/// NVRTC's version (major, minor); errors if NVRTC cannot be loaded.
pub(crate) fn version() -> crate::Result<(i32, i32)> {
    require("nvrtc version")?;
    let (mut major, mut minor) = (0, 0);
    // SAFETY: the library is present (checked above); both pointers are valid.
    unsafe { sys::nvrtcVersion(&mut major, &mut minor) }
        .result()
        .map_err(|e| Error::Device {
            op: "nvrtc version",
            message: format!("expected NVRTC to report its version, found {e:?}"),
        })?;
    Ok((major, minor))
}

/// The directory holding `cuda_fp16.h`/`cuda_bf16.h`: `KUSARI_CUDA_INCLUDE`,
/// `$CUDA_PATH/include`, `/usr/local/cuda/include`, then the pip wheel
/// layouts (`nvidia/cu13/include`, `nvidia/cuda_runtime/include`) beside a
/// `LD_LIBRARY_PATH` entry or under `$VIRTUAL_ENV`.
pub(crate) fn include_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(find_include_dir).clone()
}

fn find_include_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("KUSARI_CUDA_INCLUDE") {
        candidates.push(d.into());
    }
    if let Some(d) = std::env::var_os("CUDA_PATH") {
        candidates.push(PathBuf::from(d).join("include"));
    }
    candidates.push("/usr/local/cuda/include".into());
    if let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") {
        for lib in std::env::split_paths(&paths) {
            // nvidia/cu13/lib -> nvidia/cu13/include; nvidia/cuda_nvrtc/lib -> nvidia/cuda_runtime/include
            candidates.push(lib.join("../include"));
            candidates.push(lib.join("../../cuda_runtime/include"));
        }
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        if let Ok(entries) = std::fs::read_dir(PathBuf::from(venv).join("lib")) {
            for e in entries.flatten() {
                let nv = e.path().join("site-packages/nvidia");
                candidates.push(nv.join("cu13/include"));
                candidates.push(nv.join("cuda_runtime/include"));
            }
        }
    }
    candidates
        .into_iter()
        .find(|d| d.join("cuda_fp16.h").is_file() && d.join("cuda_bf16.h").is_file())
}

/// Compiles `source` to PTX for `arch` with `options`; on failure Error::KernelCompile { name, log, excerpt }.
pub(crate) fn compile(
    name: &str,
    source: &str,
    arch: Arch,
    options: &[String],
) -> crate::Result<String> {
    require("nvrtc compile")?;
    let nul = |what: &str| {
        Error::value(
            "nvrtc compile",
            format!("expected {what} without NUL bytes, found one"),
        )
    };
    let c_src = CString::new(source).map_err(|_| nul("kernel source"))?;
    let c_name = CString::new(name).map_err(|_| nul("the kernel name"))?;
    let mut opts: Vec<String> = vec![format!("--gpu-architecture=compute_{}{}", arch.0, arch.1)];
    if !options
        .iter()
        .any(|o| o.starts_with("-I") || o.starts_with("--include-path"))
    {
        if let Some(dir) = include_dir() {
            opts.push(format!("-I{}", dir.display()));
        }
    }
    opts.extend(options.iter().cloned());
    if opts.iter().any(|o| o.contains('\0')) {
        return Err(nul("options"));
    }
    let nvrtc_err = |what: &str, e: result::NvrtcError| Error::Device {
        op: "nvrtc compile",
        message: format!("kernel {name}: expected {what} to succeed, found {e:?}"),
    };
    let prog = result::create_program(&c_src, Some(&c_name))
        .map_err(|e| nvrtc_err("nvrtcCreateProgram", e))?;
    // SAFETY: `prog` is a live program until the destroy below; option strings have no NUL.
    let out = unsafe {
        let compiled = result::compile_program(prog, &opts);
        let out = match compiled {
            Ok(()) => result::get_ptx(prog)
                .map(|p| c_chars_to_string(&p))
                .map_err(|e| nvrtc_err("nvrtcGetPTX", e)),
            Err(_) => {
                let log = result::get_program_log(prog)
                    .map(|l| c_chars_to_string(&l))
                    .unwrap_or_else(|e| format!("(no log: {e:?})"));
                Err(Error::KernelCompile {
                    name: name.to_string(),
                    excerpt: excerpt(source, &log),
                    log,
                })
            }
        };
        let _ = result::destroy_program(prog);
        out
    };
    out
}

fn c_chars_to_string(v: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = v.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The line of the first error in an NVRTC log (`name(LINE): error: ...`).
pub(crate) fn first_error_line(log: &str) -> Option<usize> {
    let line = log.lines().find(|l| l.contains("error"))?;
    let close = line.find("): ")?;
    let open = line[..close].rfind('(')?;
    line[open + 1..close].trim().parse().ok()
}

/// Numbered source lines around the log's first error (`>` marks it); empty
/// when the log names no line.
pub(crate) fn excerpt(source: &str, log: &str) -> String {
    let Some(at) = first_error_line(log) else {
        return String::new();
    };
    let lines: Vec<&str> = source.lines().collect();
    let (lo, hi) = (at.saturating_sub(3).max(1), (at + 2).min(lines.len()));
    let mut s = String::new();
    for n in lo..=hi {
        let mark = if n == at { '>' } else { ' ' };
        s.push_str(&format!("{mark}{n:5} | {}\n", lines[n - 1]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_line_is_parsed_from_the_log() {
        let log = "k.cu(12): warning: unused\nk.cu(57): error: identifier \"oops\" is undefined\n1 error detected";
        // the first *error*, not the first message
        assert_eq!(first_error_line(log), Some(57));
        assert_eq!(first_error_line("fatal: no lines"), None);
        let src: String = (1..=60).map(|i| format!("line {i}\n")).collect();
        let ex = excerpt(&src, log);
        assert!(ex.contains(">   57 | line 57"), "{ex}");
        assert!(
            ex.contains("   54 | line 54") && ex.contains("   59 | line 59"),
            "{ex}"
        );
        assert!(!ex.contains("line 60"));
    }

    #[test]
    fn kernel_compile_error_shows_name_log_and_excerpt() {
        let e = Error::KernelCompile {
            name: "add_float32".into(),
            log: "add_float32(3): error: expected a \";\"".into(),
            excerpt: ">    3 | z = x +\n".into(),
        };
        let s = e.to_string();
        assert!(
            s.contains("add_float32") && s.contains("expected a") && s.contains(">    3 | z = x +"),
            "{s}"
        );
    }

    #[test]
    fn missing_nvrtc_is_an_error_not_a_panic() {
        if present() {
            // With NVRTC here, a broken kernel must come back as KernelCompile with the excerpt.
            let src = "extern \"C\" __global__ void broken(float* x) {\n  x[0] = 1.0f;\n  x[1] = undefined_name;\n}\n";
            match compile("broken", src, (8, 0), &[]) {
                Err(Error::KernelCompile { name, log, excerpt }) => {
                    assert_eq!(name, "broken");
                    assert!(log.contains("undefined_name"), "{log}");
                    assert!(
                        excerpt.contains(">    3 |   x[1] = undefined_name;"),
                        "{excerpt}"
                    );
                }
                other => panic!("expected KernelCompile, found {other:?}"),
            }
            let ptx = compile(
                "ok",
                "extern \"C\" __global__ void ok(float* x) { x[0] = 1.0f; }",
                (9, 0),
                &[],
            )
            .unwrap();
            assert!(ptx.contains(".entry ok"), "{ptx}");
            assert!(version().unwrap().0 >= 12);
        } else {
            println!("NVRTC not found: skipped; run scripts/check-cuda-kernels");
            assert!(matches!(version(), Err(Error::Device { .. })));
            assert!(matches!(
                compile("k", "", (8, 0), &[]),
                Err(Error::Device { .. })
            ));
        }
    }
}
