//! A caching pool for host memory. Large buffers freed by arrays are kept in
//! size-rounded bins and handed out again, so a loop that allocates the same
//! sizes every iteration does not pay for fresh pages (and their page faults)
//! each time. Small buffers go straight to the system allocator, which is
//! already fast for them.

use crate::{Error, Result};
use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// Alignment of large buffers: a cache line, and enough for AVX-512 loads.
pub(crate) const ALIGN: usize = 64;
/// Alignment of small buffers: what `malloc` gives for free (asking for 64
/// sends glibc down its slow `memalign` path, which dominated tiny arrays).
const SMALL_ALIGN: usize = 16;

/// The alignment used for a (rounded) buffer size; a function of the size
/// alone, so `dealloc` can rebuild the layout.
fn align_for(size: usize) -> usize {
    if size < MIN_POOLED {
        SMALL_ALIGN
    } else {
        ALIGN
    }
}
/// Buffers smaller than this bypass the pool.
const MIN_POOLED: usize = 64 * 1024;

/// The process-wide host pool.
pub fn host_pool() -> &'static HostPool {
    static POOL: OnceLock<HostPool> = OnceLock::new();
    POOL.get_or_init(HostPool::from_env)
}

/// Bookkeeping of the host pool; see [`host_pool`].
///
/// `KUSARI_HOST_POOL=0` switches it off at start-up; [`HostPool::set_enabled`]
/// does so at run time. `KUSARI_HOST_MEMORY_LIMIT` (bytes) caps the bytes in use.
pub struct HostPool {
    enabled: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Free blocks by rounded size (addresses stored as `usize`).
    free: HashMap<usize, Vec<usize>>,
    used: usize,
    cached: usize,
    limit: Option<usize>,
}

impl HostPool {
    fn from_env() -> Self {
        let enabled = std::env::var("KUSARI_HOST_POOL").map_or(true, |v| v != "0" && v != "false");
        let limit = std::env::var("KUSARI_HOST_MEMORY_LIMIT")
            .ok()
            .and_then(|v| v.trim().parse().ok());
        HostPool::new(enabled, limit)
    }

    fn new(enabled: bool, limit: Option<usize>) -> Self {
        HostPool {
            enabled: AtomicBool::new(enabled),
            state: Mutex::new(State {
                limit,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps inconsistent
        // (every update is a single push/pop), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether freed large buffers are cached for reuse.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns caching on or off; turning it off also releases every cached block.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            self.free_all_blocks();
        }
    }

    /// Bytes handed out to live arrays (pooled sizes only).
    pub fn used_bytes(&self) -> usize {
        self.lock().used
    }

    /// Bytes cached for reuse.
    pub fn free_bytes(&self) -> usize {
        self.lock().cached
    }

    /// Bytes held from the system: in use plus cached.
    pub fn total_bytes(&self) -> usize {
        let s = self.lock();
        s.used + s.cached
    }

    /// The cap on bytes in use, if any.
    pub fn limit(&self) -> Option<usize> {
        self.lock().limit
    }

    /// Sets or clears the cap on bytes in use.
    pub fn set_limit(&self, limit: Option<usize>) {
        self.lock().limit = limit;
    }

    /// Returns every cached block to the system.
    pub fn free_all_blocks(&self) {
        let blocks: Vec<(usize, Vec<usize>)> = {
            let mut s = self.lock();
            s.cached = 0;
            s.free.drain().collect()
        };
        for (size, ptrs) in blocks {
            for p in ptrs {
                // SAFETY: every cached address came from `alloc` with this size and its alignment.
                unsafe {
                    dealloc(
                        p as *mut u8,
                        Layout::from_size_align_unchecked(size, align_for(size)),
                    )
                };
            }
        }
    }

    /// Rounds large sizes up to one of four steps per power of two, so
    /// nearby sizes share a bin while wasting at most a quarter.
    fn round(size: usize) -> usize {
        if size < MIN_POOLED {
            return size.div_ceil(SMALL_ALIGN) * SMALL_ALIGN;
        }
        let step = 1usize << (usize::BITS - 1 - size.leading_zeros()).saturating_sub(2);
        size.div_ceil(step) * step
    }

    fn allocate(&'static self, bytes: usize, zeroed: bool) -> Result<CpuBuffer> {
        if bytes == 0 {
            return Ok(CpuBuffer {
                pool: self,
                ptr: NonNull::<u8>::dangling_aligned(),
                alloc: 0,
            });
        }
        let oom = |s: &Self, alloc: usize| {
            let st = s.lock();
            Error::OutOfMemory {
                requested: alloc,
                device: "cpu".into(),
                used: st.used,
                total: st.used + st.cached,
                limit: st.limit.unwrap_or(usize::MAX),
            }
        };
        let size = Self::round(bytes);
        if size > isize::MAX as usize - ALIGN {
            return Err(oom(self, bytes));
        }
        let pooled = size >= MIN_POOLED && self.is_enabled();
        if size >= MIN_POOLED {
            let mut s = self.lock();
            if let Some(limit) = s.limit {
                if s.used + size > limit {
                    drop(s);
                    return Err(oom(self, size));
                }
            }
            if pooled {
                if let Some(p) = s.free.get_mut(&size).and_then(|v| v.pop()) {
                    s.cached -= size;
                    s.used += size;
                    drop(s);
                    if zeroed {
                        // SAFETY: the block is `size >= bytes` bytes long and unused.
                        unsafe { std::ptr::write_bytes(p as *mut u8, 0, bytes) };
                    }
                    return Ok(CpuBuffer {
                        pool: self,
                        ptr: NonNull::new(p as *mut u8).expect("pooled pointer"),
                        alloc: size,
                    });
                }
            }
            s.used += size;
        }
        let layout = Layout::from_size_align(size, align_for(size)).map_err(|_| oom(self, size))?;
        let attempt = || unsafe {
            if zeroed {
                alloc_zeroed(layout)
            } else {
                alloc(layout)
            }
        };
        let mut ptr = attempt();
        if ptr.is_null() {
            self.free_all_blocks();
            ptr = attempt();
        }
        match NonNull::new(ptr) {
            Some(ptr) => Ok(CpuBuffer {
                pool: self,
                ptr,
                alloc: size,
            }),
            None => {
                if size >= MIN_POOLED {
                    self.lock().used -= size;
                }
                Err(oom(self, size))
            }
        }
    }

    fn release(&self, ptr: NonNull<u8>, size: usize) {
        if size >= MIN_POOLED {
            let mut s = self.lock();
            s.used -= size;
            if self.is_enabled() {
                s.cached += size;
                s.free.entry(size).or_default().push(ptr.as_ptr() as usize);
                return;
            }
        }
        // SAFETY: `ptr` was allocated with exactly this size and its alignment.
        unsafe {
            dealloc(
                ptr.as_ptr(),
                Layout::from_size_align_unchecked(size, align_for(size)),
            )
        };
    }
}

trait DanglingAligned {
    fn dangling_aligned() -> NonNull<u8>;
}
impl DanglingAligned for NonNull<u8> {
    fn dangling_aligned() -> NonNull<u8> {
        // A non-null, ALIGN-aligned address that is never dereferenced (zero-size buffers).
        NonNull::new(ALIGN as *mut u8).expect("non-null")
    }
}

/// One host allocation owned by an array's storage.
pub(crate) struct CpuBuffer {
    pool: &'static HostPool,
    ptr: NonNull<u8>,
    alloc: usize,
}

// SAFETY: the buffer is plain memory with no thread affinity; access is
// synchronized by the owning `Arc` and `&mut` rules of `Array`.
unsafe impl Send for CpuBuffer {}
unsafe impl Sync for CpuBuffer {}

impl CpuBuffer {
    /// Uninitialized memory for `bytes` bytes.
    pub(crate) fn uninit(bytes: usize) -> Result<Self> {
        host_pool().allocate(bytes, false)
    }

    /// Zero-filled memory for `bytes` bytes.
    pub(crate) fn zeroed(bytes: usize) -> Result<Self> {
        host_pool().allocate(bytes, true)
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for CpuBuffer {
    fn drop(&mut self) {
        if self.alloc > 0 {
            self.pool.release(self.ptr, self.alloc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_wastes_at_most_a_quarter() {
        for s in [MIN_POOLED, 100_000, 1 << 20, (1 << 20) + 1, 8_000_000] {
            let r = HostPool::round(s);
            assert!(r >= s && (r - s) * 4 <= s, "{s} -> {r}");
        }
    }

    fn private_pool(limit: Option<usize>) -> &'static HostPool {
        Box::leak(Box::new(HostPool::new(true, limit)))
    }

    #[test]
    fn freed_blocks_are_reused_and_counted() {
        let pool = private_pool(None);
        let a = pool.allocate(1 << 20, false).unwrap();
        let p = a.as_ptr();
        assert_eq!((pool.used_bytes(), pool.free_bytes()), (1 << 20, 0));
        drop(a);
        assert_eq!((pool.used_bytes(), pool.free_bytes()), (0, 1 << 20));
        // A nearby size shares the bin and gets the same block back, zeroed on request.
        let b = pool.allocate((1 << 20) - 100, true).unwrap();
        assert_eq!(b.as_ptr(), p);
        assert!(
            unsafe { std::slice::from_raw_parts(b.as_ptr(), (1 << 20) - 100) }
                .iter()
                .all(|&x| x == 0)
        );
        drop(b);
        pool.free_all_blocks();
        assert_eq!(pool.total_bytes(), 0);
    }

    #[test]
    fn limit_is_enforced_and_switching_off_releases() {
        let pool = private_pool(Some(3 << 20));
        let a = pool.allocate(2 << 20, false).unwrap();
        let e = pool.allocate(2 << 20, false).err().expect("over the limit");
        assert!(
            matches!(e, Error::OutOfMemory { limit, .. } if limit == 3 << 20),
            "{e}"
        );
        drop(a);
        pool.set_enabled(false);
        assert_eq!(pool.total_bytes(), 0);
        let c = pool.allocate(2 << 20, false).unwrap();
        drop(c);
        assert_eq!(
            pool.free_bytes(),
            0,
            "nothing is cached while the pool is off"
        );
    }

    #[test]
    fn huge_request_is_an_error_not_an_abort() {
        let e = CpuBuffer::uninit(usize::MAX / 2).err().expect("must fail");
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e}");
    }
}
