//! The compiled-kernel cache: PTX kept in memory for the process and on disk
//! across processes, so each kernel is compiled by NVRTC once per machine.
//!
//! A kernel's key is the SHA-256 of everything that changes the PTX: the
//! source, the options, the target architecture and NVRTC's version. Disk
//! files are named by the key and carry a header (magic, format version,
//! SHA-256 of the payload, payload length); a file whose header does not match
//! its payload (truncated, corrupted, from another program) is recompiled and
//! overwritten, never trusted. Files are written to a temporary name in the
//! same directory and renamed, so a reader never sees half a file.

use super::nvrtc::Arch;
use crate::Result;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// First bytes of every cache file.
const MAGIC: &[u8; 8] = b"KSRIPTX\0";
/// Bumped when the file layout changes; older files are then rebuilt.
const FORMAT_VERSION: u32 = 1;
/// Magic, version, hash, length.
const HEADER_LEN: usize = 8 + 4 + 32 + 8;

/// Everything that decides what PTX a compilation produces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyParts<'a> {
    pub source: &'a str,
    pub options: &'a [String],
    pub arch: Arch,
    pub nvrtc_version: (i32, i32),
}

impl KeyParts<'_> {
    /// The key as 64 lowercase hex digits. Each field is length-prefixed so
    /// that moving text between fields changes the key.
    pub(crate) fn key(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        field(b"kusari-kernel-key-v1");
        field(self.source.as_bytes());
        field(&(self.options.len() as u64).to_le_bytes());
        for o in self.options {
            field(o.as_bytes());
        }
        field(format!("sm_{}{}", self.arch.0, self.arch.1).as_bytes());
        field(format!("nvrtc {}.{}", self.nvrtc_version.0, self.nvrtc_version.1).as_bytes());
        hex(&h.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The kernel cache directory: `KUSARI_CACHE_DIR` when set (used as is, like
/// CuPy's `CUPY_CACHE_DIR`), else `$XDG_CACHE_HOME/kusari/kernels`, else
/// `~/.cache/kusari/kernels`; `None` when none is known (then only the memory
/// cache is used). Takes the variables' values so tests need not touch the
/// process environment.
pub(crate) fn resolve_dir(
    kusari_cache_dir: Option<OsString>,
    xdg_cache_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let nonempty = |v: Option<OsString>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
    if let Some(d) = nonempty(kusari_cache_dir) {
        return Some(d);
    }
    // The XDG spec says relative values are to be ignored.
    if let Some(d) = nonempty(xdg_cache_home).filter(|p| p.is_absolute()) {
        return Some(d.join("kusari").join("kernels"));
    }
    nonempty(home).map(|h| h.join(".cache").join("kusari").join("kernels"))
}

/// The directory from this process's environment.
pub(crate) fn dir_from_env() -> Option<PathBuf> {
    resolve_dir(
        std::env::var_os("KUSARI_CACHE_DIR"),
        std::env::var_os("XDG_CACHE_HOME"),
        std::env::var_os("HOME"),
    )
}

/// `payload` framed with the header.
fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(payload));
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of a cache file, or `None` if anything about it is off.
fn decode(file: &[u8]) -> Option<&[u8]> {
    if file.len() < HEADER_LEN || &file[..8] != MAGIC {
        return None;
    }
    let version = u32::from_le_bytes(file[8..12].try_into().ok()?);
    let hash = &file[12..44];
    let len = u64::from_le_bytes(file[44..52].try_into().ok()?);
    let payload = &file[HEADER_LEN..];
    if version != FORMAT_VERSION
        || len != payload.len() as u64
        || Sha256::digest(payload).as_slice() != hash
    {
        return None;
    }
    Some(payload)
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Where a kernel's PTX came from (reported to tests and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Memory,
    Disk,
    Compiled,
}

/// PTX by key, in memory and (when a directory is known) on disk.
pub(crate) struct KernelCache {
    dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, Arc<str>>>,
}

impl KernelCache {
    /// A cache over `dir` (`None`: memory only).
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        KernelCache {
            dir,
            memory: Mutex::new(HashMap::new()),
        }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{key}.ptx")))
    }

    /// The PTX for `parts`: from memory, else from disk, else from `compile`
    /// (whose result is then stored in both). Disk problems only cost a
    /// recompilation; a compile error is returned and nothing is stored.
    pub(crate) fn get_or_compile(
        &self,
        parts: &KeyParts<'_>,
        compile: impl FnOnce() -> Result<String>,
    ) -> Result<(Arc<str>, Source)> {
        let key = parts.key();
        if let Some(p) = self
            .memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok((p.clone(), Source::Memory));
        }
        let path = self.path(&key);
        let from_disk = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| {
                decode(&bytes)
                    .and_then(|p| std::str::from_utf8(p).ok())
                    .map(Arc::<str>::from)
            });
        let (ptx, source) = match from_disk {
            Some(ptx) => (ptx, Source::Disk),
            None => {
                let ptx: Arc<str> = compile()?.into();
                if let Some(p) = &path {
                    // Best effort: a read-only or full disk must not fail the kernel.
                    let _ = write_atomic(p, &encode(ptx.as_bytes()));
                }
                (ptx, Source::Compiled)
            }
        };
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, ptx.clone());
        Ok((ptx, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use std::cell::Cell;

    fn parts<'a>(source: &'a str, options: &'a [String]) -> KeyParts<'a> {
        KeyParts {
            source,
            options,
            arch: (8, 0),
            nvrtc_version: (12, 4),
        }
    }

    /// A fresh directory under the target's temp dir, unique per test.
    fn temp_dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("kusari-cache-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn key_is_stable_and_pinned() {
        let opts = vec!["--use_fast_math".to_string()];
        let k = parts("extern \"C\" __global__ void f() {}", &opts).key();
        assert_eq!(k, parts("extern \"C\" __global__ void f() {}", &opts).key());
        assert_eq!(k.len(), 64);
        // Pinned: a change here silently invalidates every user's disk cache.
        // Cross-checked with Python hashlib over the same length-prefixed fields.
        assert_eq!(
            k,
            "bc341ecfe49fb1a507b8522bad5c8d7f0910500035125cd80455655777b05a74"
        );
    }

    #[test]
    fn key_changes_with_every_part() {
        let opts = vec!["-a".to_string(), "-b".to_string()];
        let base = parts("src", &opts);
        let k = base.key();
        let other_opts = vec!["-a".to_string()];
        let moved = vec!["-a-b".to_string()];
        assert_ne!(
            k,
            KeyParts {
                source: "src2",
                ..base
            }
            .key()
        );
        assert_ne!(
            k,
            KeyParts {
                options: &other_opts,
                ..base
            }
            .key()
        );
        assert_ne!(
            k,
            KeyParts {
                options: &moved,
                ..base
            }
            .key()
        );
        assert_ne!(
            k,
            KeyParts {
                arch: (9, 0),
                ..base
            }
            .key()
        );
        assert_ne!(
            k,
            KeyParts {
                arch: (8, 6),
                ..base
            }
            .key()
        );
        assert_ne!(
            k,
            KeyParts {
                nvrtc_version: (12, 5),
                ..base
            }
            .key()
        );
        assert_ne!(
            k,
            KeyParts {
                nvrtc_version: (13, 4),
                ..base
            }
            .key()
        );
    }

    #[test]
    fn memory_then_disk_then_compile() {
        let dir = temp_dir("hit-miss");
        let opts = vec![];
        let p = parts("kernel A", &opts);
        let calls = Cell::new(0);
        let compile = || {
            calls.set(calls.get() + 1);
            Ok::<_, Error>("PTX A".to_string())
        };
        let c = KernelCache::new(Some(dir.clone()));
        let (ptx, src) = c.get_or_compile(&p, compile).unwrap();
        assert_eq!((&*ptx, src), ("PTX A", Source::Compiled));
        let (_, src) = c.get_or_compile(&p, compile).unwrap();
        assert_eq!(src, Source::Memory);
        // A new process (new cache object) finds it on disk.
        let c2 = KernelCache::new(Some(dir.clone()));
        let (ptx, src) = c2.get_or_compile(&p, compile).unwrap();
        assert_eq!((&*ptx, src), ("PTX A", Source::Disk));
        assert_eq!(calls.get(), 1);
        // A different source misses.
        let (_, src) = c2
            .get_or_compile(&parts("kernel B", &opts), compile)
            .unwrap();
        assert_eq!(src, Source::Compiled);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn compile_errors_pass_through_and_store_nothing() {
        let dir = temp_dir("err");
        let c = KernelCache::new(Some(dir.clone()));
        let opts = vec![];
        let p = parts("bad", &opts);
        let e = c
            .get_or_compile(&p, || {
                Err(Error::KernelCompile {
                    name: "k".into(),
                    log: "error".into(),
                    excerpt: String::new(),
                })
            })
            .unwrap_err();
        assert!(matches!(e, Error::KernelCompile { .. }));
        assert!(!dir.join(format!("{}.ptx", p.key())).exists());
        let (_, src) = c.get_or_compile(&p, || Ok("ok".into())).unwrap();
        assert_eq!(src, Source::Compiled);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn damaged_files_are_rebuilt_not_trusted() {
        let dir = temp_dir("corrupt");
        let opts = vec![];
        let p = parts("kernel C", &opts);
        let path = dir.join(format!("{}.ptx", p.key()));
        KernelCache::new(Some(dir.clone()))
            .get_or_compile(&p, || Ok("GOOD PTX".into()))
            .unwrap();
        let good = std::fs::read(&path).unwrap();
        assert_eq!(decode(&good), Some(&b"GOOD PTX"[..]));

        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let truncated = good[..good.len() - 1].to_vec();
        let mut wrong_magic = good.clone();
        wrong_magic[0] = b'X';
        let mut wrong_version = good.clone();
        wrong_version[8] = 99;
        let cases = [
            flipped,
            truncated,
            wrong_magic,
            wrong_version,
            b"junk".to_vec(),
            Vec::new(),
        ];
        for bad in cases {
            std::fs::write(&path, &bad).unwrap();
            let (ptx, src) = KernelCache::new(Some(dir.clone()))
                .get_or_compile(&p, || Ok("GOOD PTX".into()))
                .unwrap();
            assert_eq!((&*ptx, src), ("GOOD PTX", Source::Compiled), "file {bad:?}");
            assert_eq!(
                std::fs::read(&path).unwrap(),
                good,
                "the bad file is replaced"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn writes_leave_no_temp_files() {
        let dir = temp_dir("atomic");
        let c = KernelCache::new(Some(dir.clone()));
        let opts = vec![];
        for i in 0..5 {
            let s = format!("kernel {i}");
            c.get_or_compile(&parts(&s, &opts), || Ok(format!("ptx {i}")))
                .unwrap();
        }
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 5, "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| n.ends_with(".ptx") && !n.starts_with('.')),
            "{names:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unwritable_dir_still_compiles() {
        // A file where the directory should be: every write fails.
        let blocker = temp_dir("blocked");
        std::fs::write(&blocker, b"not a dir").unwrap();
        let c = KernelCache::new(Some(blocker.join("kernels")));
        let opts = vec![];
        let (ptx, _) = c
            .get_or_compile(&parts("k", &opts), || Ok("p".into()))
            .unwrap();
        assert_eq!(&*ptx, "p");
        let _ = std::fs::remove_file(&blocker);
    }

    #[test]
    fn dir_resolution_order() {
        let os = |s: &str| Some(OsString::from(s));
        assert_eq!(
            resolve_dir(os("/k"), os("/x"), os("/h")),
            Some(PathBuf::from("/k"))
        );
        assert_eq!(
            resolve_dir(None, os("/x"), os("/h")),
            Some(PathBuf::from("/x/kusari/kernels"))
        );
        assert_eq!(
            resolve_dir(os(""), os("relative"), os("/h")),
            Some(PathBuf::from("/h/.cache/kusari/kernels"))
        );
        assert_eq!(resolve_dir(None, None, None), None);
    }
}
