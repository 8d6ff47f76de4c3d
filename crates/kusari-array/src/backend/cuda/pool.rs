//! The caching device memory pool, after CuPy's `MemoryPool`
//! (docs/ARCHITECTURE.md, "CUDA backend"): `cuMemAlloc`/`cuMemFree` are slow
//! and synchronizing, so freed memory is kept and handed out again.
//!
//! Requests are rounded up to 512 bytes. Each stream has its own arena, so a
//! chunk freed by work queued on one stream is only reused by later work on
//! the same stream (stream order makes that safe without events). An arena
//! keeps its free chunks in a `BTreeSet<(size, address)>`: the first entry at
//! or above the request is the best fit; a larger chunk is split and the rest
//! stays free; a freed chunk merges with free neighbours of the same
//! allocation, so a fully freed allocation becomes one chunk again, which
//! `free_all_blocks` can return to the driver.
//!
//! The pool is generic over [`Allocator`] so that all of this is tested on
//! machines without a GPU with a fake allocator.

use crate::{Error, Result};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Allocation granularity in bytes (CuPy's `ALLOCATION_UNIT_SIZE`).
pub(crate) const ROUND: usize = 512;

/// A device address.
pub(crate) type DevPtr = u64;
/// A stream's identity (its `CUstream` handle as an integer).
pub(crate) type StreamId = u64;

/// Why the underlying allocator failed.
#[derive(Debug)]
pub(crate) enum AllocFailure {
    /// The device has no memory left (retrying after freeing cached blocks may help).
    OutOfMemory,
    /// Anything else (a broken context, ...), passed on unchanged.
    Other(Error),
}

/// Where the pool gets memory from: `cuMemAlloc`/`cuMemFree` in real use, a
/// fake in tests.
pub(crate) trait Allocator: Send {
    /// `bytes` of fresh device memory.
    fn alloc(&mut self, bytes: usize) -> std::result::Result<DevPtr, AllocFailure>;
    /// Returns memory obtained from `alloc`.
    fn free(&mut self, ptr: DevPtr);
}

/// `size` rounded up to the pool's granularity (at least one unit).
pub(crate) fn round_size(size: usize) -> Option<usize> {
    size.max(1).checked_next_multiple_of(ROUND)
}

/// Parses `KUSARI_GPU_MEMORY_LIMIT`: bytes (`"1073741824"`) or a percentage of
/// the device's memory (`"50%"`); empty means no limit.
pub(crate) fn parse_limit(value: &str, device_total: usize) -> Result<Option<usize>> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Error::value(
            "KUSARI_GPU_MEMORY_LIMIT",
            format!("expected a byte count or a percentage such as \"50%\", found {value:?}"),
        )
    };
    if let Some(p) = v.strip_suffix('%') {
        let p: f64 = p.trim().parse().map_err(|_| bad())?;
        if !(0.0..=100.0).contains(&p) {
            return Err(Error::value(
                "KUSARI_GPU_MEMORY_LIMIT",
                format!("expected a percentage between 0% and 100%, found {value:?}"),
            ));
        }
        return Ok(Some((device_total as f64 * p / 100.0) as usize));
    }
    v.parse::<usize>().map(Some).map_err(|_| bad())
}

/// One piece of an allocation: the whole of it, or a part after splitting.
#[derive(Debug, Clone)]
struct Chunk {
    size: usize,
    /// Address of the allocation this chunk belongs to.
    base: DevPtr,
    /// Neighbouring chunks of the same allocation (by address).
    prev: Option<DevPtr>,
    next: Option<DevPtr>,
    stream: StreamId,
    free: bool,
}

struct State<A> {
    alloc: A,
    chunks: HashMap<DevPtr, Chunk>,
    /// Free chunks per stream, ordered by (size, address) for best fit.
    arenas: HashMap<StreamId, BTreeSet<(usize, DevPtr)>>,
    /// Allocation base → its size.
    allocations: HashMap<DevPtr, usize>,
    used: usize,
    free: usize,
    limit: Option<usize>,
    enabled: bool,
}

/// A caching pool of device memory for one device.
pub(crate) struct Pool<A> {
    /// The device's name in error messages, e.g. `"cuda:0"`.
    device: String,
    state: Mutex<State<A>>,
}

/// A snapshot of the pool's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stats {
    pub used: usize,
    pub free: usize,
    pub n_free_blocks: usize,
    pub limit: Option<usize>,
    pub enabled: bool,
}

impl<A: Allocator> Pool<A> {
    /// A pool over `alloc`; `enabled: false` makes every free go straight back to the allocator.
    pub(crate) fn new(
        device: impl Into<String>,
        alloc: A,
        enabled: bool,
        limit: Option<usize>,
    ) -> Self {
        Pool {
            device: device.into(),
            state: Mutex::new(State {
                alloc,
                chunks: HashMap::new(),
                arenas: HashMap::new(),
                allocations: HashMap::new(),
                used: 0,
                free: 0,
                limit,
                enabled,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<A>> {
        // A panic while holding the lock cannot leave the maps half-updated in a
        // way that matters more than losing the pool, so keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pool's figures.
    pub(crate) fn stats(&self) -> Stats {
        let s = self.lock();
        Stats {
            used: s.used,
            free: s.free,
            n_free_blocks: s.arenas.values().map(BTreeSet::len).sum(),
            limit: s.limit,
            enabled: s.enabled,
        }
    }

    /// Sets the most bytes the pool may hold (in use plus cached); `None` lifts it.
    pub(crate) fn set_limit(&self, limit: Option<usize>) {
        self.lock().limit = limit;
    }

    /// Switches caching on or off; switching off returns every cached block.
    pub(crate) fn set_enabled(&self, on: bool) {
        let mut s = self.lock();
        s.enabled = on;
        if !on {
            s.free_all_blocks();
        }
    }

    /// Returns every cached allocation that is entirely free to the allocator.
    pub(crate) fn free_all_blocks(&self) {
        self.lock().free_all_blocks();
    }

    /// At least `bytes` bytes for work on `stream`. The address stays valid until `free`.
    pub(crate) fn malloc(&self, bytes: usize, stream: StreamId) -> Result<DevPtr> {
        let mut s = self.lock();
        let size = round_size(bytes).ok_or_else(|| s.oom(&self.device, bytes))?;
        if let Some(p) = s.take_best_fit(size, stream) {
            return Ok(p);
        }
        let over = |s: &State<A>| s.limit.is_some_and(|l| s.used + s.free + size > l);
        if over(&s) {
            s.free_all_blocks();
            if over(&s) {
                return Err(s.oom(&self.device, bytes));
            }
        }
        let base = match s.alloc.alloc(size) {
            Ok(p) => p,
            Err(AllocFailure::Other(e)) => return Err(e),
            Err(AllocFailure::OutOfMemory) => {
                s.free_all_blocks();
                match s.alloc.alloc(size) {
                    Ok(p) => p,
                    Err(AllocFailure::Other(e)) => return Err(e),
                    Err(AllocFailure::OutOfMemory) => return Err(s.oom(&self.device, bytes)),
                }
            }
        };
        s.allocations.insert(base, size);
        s.chunks.insert(
            base,
            Chunk {
                size,
                base,
                prev: None,
                next: None,
                stream,
                free: false,
            },
        );
        s.used += size;
        Ok(base)
    }

    /// Gives back memory from `malloc`. Unknown addresses are ignored (a
    /// double free would otherwise corrupt the pool).
    pub(crate) fn free(&self, ptr: DevPtr) {
        self.lock().release(ptr);
    }

    #[cfg(test)]
    fn with_state<R>(&self, f: impl FnOnce(&State<A>) -> R) -> R {
        f(&self.lock())
    }
}

impl<A: Allocator> State<A> {
    fn oom(&self, device: &str, requested: usize) -> Error {
        Error::OutOfMemory {
            requested,
            device: device.to_string(),
            used: self.used,
            total: self.used + self.free,
            limit: self.limit.unwrap_or(usize::MAX),
        }
    }

    fn take_best_fit(&mut self, size: usize, stream: StreamId) -> Option<DevPtr> {
        let arena = self.arenas.get_mut(&stream)?;
        let &(csize, ptr) = arena.range((size, 0)..).next()?;
        arena.remove(&(csize, ptr));
        self.free -= csize;
        let chunk = self
            .chunks
            .get_mut(&ptr)
            .expect("free set names a live chunk");
        chunk.free = false;
        if csize > size {
            // Split: the head is handed out, the tail stays free in the same arena.
            let tail_ptr = ptr + size as u64;
            let tail = Chunk {
                size: csize - size,
                base: chunk.base,
                prev: Some(ptr),
                next: chunk.next,
                stream,
                free: true,
            };
            chunk.size = size;
            chunk.next = Some(tail_ptr);
            if let Some(n) = tail.next {
                self.chunks.get_mut(&n).expect("linked chunk").prev = Some(tail_ptr);
            }
            arena.insert((tail.size, tail_ptr));
            self.free += tail.size;
            self.chunks.insert(tail_ptr, tail);
        }
        self.used += size;
        Some(ptr)
    }

    fn release(&mut self, ptr: DevPtr) {
        let Some(chunk) = self.chunks.get_mut(&ptr) else {
            return;
        };
        if chunk.free {
            return;
        }
        chunk.free = true;
        let (mut size, stream) = (chunk.size, chunk.stream);
        self.used -= size;
        let mut start = ptr;
        // Merge with the next chunk when it is free.
        if let Some(n) = chunk.next {
            let next = self.chunks[&n].clone();
            if next.free {
                self.arenas
                    .get_mut(&stream)
                    .expect("arena")
                    .remove(&(next.size, n));
                self.free -= next.size;
                self.chunks.remove(&n);
                size += next.size;
                let c = self.chunks.get_mut(&ptr).expect("chunk");
                c.size = size;
                c.next = next.next;
                if let Some(nn) = next.next {
                    self.chunks.get_mut(&nn).expect("linked chunk").prev = Some(ptr);
                }
            }
        }
        // Merge into the previous chunk when it is free.
        if let Some(p) = self.chunks[&ptr].prev {
            let prev = self.chunks[&p].clone();
            if prev.free {
                self.arenas
                    .get_mut(&stream)
                    .expect("arena")
                    .remove(&(prev.size, p));
                self.free -= prev.size;
                let me = self.chunks.remove(&ptr).expect("chunk");
                size += prev.size;
                let c = self.chunks.get_mut(&p).expect("chunk");
                c.size = size;
                c.next = me.next;
                if let Some(nn) = me.next {
                    self.chunks.get_mut(&nn).expect("linked chunk").prev = Some(p);
                }
                start = p;
            }
        }
        let c = &self.chunks[&start];
        if !self.enabled && c.prev.is_none() && c.next.is_none() {
            // Caching is off: a whole allocation goes straight back.
            let base = c.base;
            self.chunks.remove(&start);
            self.allocations.remove(&base);
            self.alloc.free(base);
            return;
        }
        self.arenas.entry(stream).or_default().insert((size, start));
        self.free += size;
    }

    fn free_all_blocks(&mut self) {
        let whole: Vec<(StreamId, usize, DevPtr)> = self
            .chunks
            .iter()
            .filter(|(_, c)| c.free && c.prev.is_none() && c.next.is_none())
            .map(|(&p, c)| (c.stream, c.size, p))
            .collect();
        for (stream, size, p) in whole {
            if let Some(a) = self.arenas.get_mut(&stream) {
                a.remove(&(size, p));
            }
            self.chunks.remove(&p);
            self.allocations.remove(&p);
            self.free -= size;
            self.alloc.free(p);
        }
        self.arenas.retain(|_, a| !a.is_empty());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::{Arc, Mutex as StdMutex};

    /// What the fake allocator has handed out, shared with the test.
    #[derive(Default)]
    pub(crate) struct FakeLog {
        pub live: HashMap<DevPtr, usize>,
        pub allocs: usize,
        pub frees: usize,
    }

    /// A fake device: addresses from a bump counter, a capacity, an optional
    /// number of upcoming calls that fail as if the device were full.
    pub(crate) struct FakeAlloc {
        pub next: DevPtr,
        pub capacity: usize,
        pub fail_next: usize,
        pub log: Arc<StdMutex<FakeLog>>,
    }

    impl FakeAlloc {
        pub(crate) fn new(capacity: usize) -> (Self, Arc<StdMutex<FakeLog>>) {
            let log = Arc::new(StdMutex::new(FakeLog::default()));
            (
                FakeAlloc {
                    next: 1 << 20,
                    capacity,
                    fail_next: 0,
                    log: log.clone(),
                },
                log,
            )
        }
    }

    impl Allocator for FakeAlloc {
        fn alloc(&mut self, bytes: usize) -> std::result::Result<DevPtr, AllocFailure> {
            let mut log = self.log.lock().unwrap();
            let live: usize = log.live.values().sum();
            if self.fail_next > 0 {
                self.fail_next -= 1;
                return Err(AllocFailure::OutOfMemory);
            }
            if live + bytes > self.capacity {
                return Err(AllocFailure::OutOfMemory);
            }
            let p = self.next;
            // Leave a gap so neighbouring allocations are never adjacent by accident.
            self.next += bytes as u64 + 4096;
            log.live.insert(p, bytes);
            log.allocs += 1;
            Ok(p)
        }
        fn free(&mut self, ptr: DevPtr) {
            let mut log = self.log.lock().unwrap();
            assert!(
                log.live.remove(&ptr).is_some(),
                "freed unknown pointer {ptr:#x}"
            );
            log.frees += 1;
        }
    }

    fn pool(capacity: usize) -> (Pool<FakeAlloc>, Arc<StdMutex<FakeLog>>) {
        let (a, log) = FakeAlloc::new(capacity);
        (Pool::new("cuda:0", a, true, None), log)
    }

    #[test]
    fn sizes_round_to_512() {
        assert_eq!(round_size(0), Some(512));
        assert_eq!(round_size(1), Some(512));
        assert_eq!(round_size(512), Some(512));
        assert_eq!(round_size(513), Some(1024));
        assert_eq!(round_size(usize::MAX), None);
    }

    #[test]
    fn limit_parses_bytes_and_percentages() {
        assert_eq!(parse_limit("1024", 0).unwrap(), Some(1024));
        assert_eq!(parse_limit(" 50% ", 1000).unwrap(), Some(500));
        assert_eq!(parse_limit("", 1000).unwrap(), None);
        let e = parse_limit("lots", 1000).unwrap_err().to_string();
        assert!(
            e.contains("KUSARI_GPU_MEMORY_LIMIT") && e.contains("lots"),
            "{e}"
        );
        assert!(parse_limit("150%", 1000).is_err());
    }

    #[test]
    fn freed_block_is_reused_without_new_allocation() {
        let (p, log) = pool(1 << 30);
        let a = p.malloc(1000, 7).unwrap();
        p.free(a);
        let b = p.malloc(700, 7).unwrap();
        assert_eq!(a, b);
        assert_eq!(log.lock().unwrap().allocs, 1);
        let s = p.stats();
        assert_eq!((s.used, s.free, s.n_free_blocks), (1024, 0, 0));
    }

    #[test]
    fn best_fit_picks_the_smallest_block_that_fits() {
        let (p, _) = pool(1 << 30);
        let big = p.malloc(8192, 0).unwrap();
        let mid = p.malloc(2048, 0).unwrap();
        let small = p.malloc(1024, 0).unwrap();
        for x in [big, mid, small] {
            p.free(x);
        }
        assert_eq!(p.malloc(1500, 0).unwrap(), mid);
        assert_eq!(p.malloc(600, 0).unwrap(), small);
    }

    #[test]
    fn split_then_merge_restores_the_whole_block() {
        let (p, log) = pool(1 << 30);
        let a = p.malloc(4096, 0).unwrap();
        p.free(a);
        let x = p.malloc(1024, 0).unwrap();
        let y = p.malloc(1024, 0).unwrap();
        assert_eq!(x, a, "head of the split is handed out first");
        assert_eq!(y, a + 1024, "the tail is split again");
        let s = p.stats();
        assert_eq!((s.used, s.free, s.n_free_blocks), (2048, 2048, 1));
        p.free(x);
        assert_eq!(
            p.stats().n_free_blocks,
            2,
            "x cannot merge while y is in use"
        );
        p.free(y);
        let s = p.stats();
        assert_eq!((s.used, s.free, s.n_free_blocks), (0, 4096, 1));
        assert_eq!(p.malloc(4096, 0).unwrap(), a, "merged back to one chunk");
        assert_eq!(log.lock().unwrap().allocs, 1);
    }

    #[test]
    fn chunks_of_different_allocations_never_merge() {
        let (p, _) = pool(1 << 30);
        let a = p.malloc(512, 0).unwrap();
        let b = p.malloc(512, 0).unwrap();
        p.free(a);
        p.free(b);
        assert_eq!(p.stats().n_free_blocks, 2);
    }

    #[test]
    fn arenas_are_separate_per_stream() {
        let (p, log) = pool(1 << 30);
        let a = p.malloc(1024, 1).unwrap();
        p.free(a);
        let b = p.malloc(1024, 2).unwrap();
        assert_ne!(a, b, "a block freed on stream 1 is not reused on stream 2");
        assert_eq!(log.lock().unwrap().allocs, 2);
        assert_eq!(p.malloc(1024, 1).unwrap(), a);
    }

    #[test]
    fn free_all_blocks_returns_only_wholly_free_allocations() {
        let (p, log) = pool(1 << 30);
        let a = p.malloc(2048, 0).unwrap();
        let b = p.malloc(512, 0).unwrap();
        p.free(a);
        let part = p.malloc(512, 0).unwrap(); // splits a
        p.free(b);
        p.free_all_blocks();
        assert_eq!(
            log.lock().unwrap().frees,
            1,
            "only b's allocation was whole"
        );
        let s = p.stats();
        assert_eq!((s.used, s.free), (512, 1536));
        p.free(part);
        p.free_all_blocks();
        let s = p.stats();
        assert_eq!((s.used, s.free, s.n_free_blocks), (0, 0, 0));
        assert!(log.lock().unwrap().live.is_empty());
    }

    #[test]
    fn limit_counts_cached_bytes_and_frees_them_before_failing() {
        let (p, log) = pool(1 << 30);
        p.set_limit(Some(4096));
        let a = p.malloc(2048, 0).unwrap();
        p.free(a);
        // 2048 cached + 4096 asked > limit: the cache is dropped, then it fits.
        let b = p.malloc(4096, 0).unwrap();
        assert_eq!(log.lock().unwrap().frees, 1);
        let e = p.malloc(1, 0).unwrap_err();
        match &e {
            Error::OutOfMemory {
                requested,
                device,
                used,
                total,
                limit,
            } => assert_eq!(
                (*requested, device.as_str(), *used, *total, *limit),
                (1, "cuda:0", 4096, 4096, 4096)
            ),
            other => panic!("expected OutOfMemory, found {other:?}"),
        }
        p.free(b);
        p.set_limit(None);
        assert!(p.malloc(8192, 0).is_ok());
    }

    #[test]
    fn device_oom_frees_cache_and_retries_once() {
        let (p, log) = pool(4096);
        let a = p.malloc(3072, 0).unwrap();
        p.free(a);
        // The fake device is full of cached memory; the pool frees it and retries.
        let b = p.malloc(2048, 1).unwrap();
        assert_eq!(log.lock().unwrap().frees, 1);
        p.free(b);
        // Two failures in a row: one retry, then OutOfMemory with the figures.
        p.lock().alloc.fail_next = 2;
        let e = p.malloc(1 << 20, 2).unwrap_err();
        assert!(
            matches!(e, Error::OutOfMemory { requested, used: 0, .. } if requested == 1 << 20),
            "{e:?}"
        );
        assert!(e.to_string().contains("cuda:0"));
        // One failure: the retry succeeds.
        p.lock().alloc.fail_next = 1;
        assert!(p.malloc(512, 2).is_ok());
    }

    #[test]
    fn disabled_pool_frees_immediately() {
        let (p, log) = pool(1 << 30);
        let a = p.malloc(1000, 0).unwrap();
        p.free(a);
        p.set_enabled(false);
        assert!(
            log.lock().unwrap().live.is_empty(),
            "switching off drops the cache"
        );
        let b = p.malloc(1000, 0).unwrap();
        p.free(b);
        let s = p.stats();
        assert_eq!((s.used, s.free, s.enabled), (0, 0, false));
        assert_eq!(log.lock().unwrap().frees, 2);
    }

    #[test]
    fn unknown_and_double_frees_are_ignored() {
        let (p, _) = pool(1 << 30);
        let a = p.malloc(512, 0).unwrap();
        p.free(a);
        p.free(a);
        p.free(12345);
        let s = p.stats();
        assert_eq!((s.used, s.free, s.n_free_blocks), (0, 512, 1));
    }

    /// The pool sits on every array allocation, so its bookkeeping must stay
    /// far below a `cuMemAlloc` (tens of microseconds). Timing-dependent, so
    /// run on demand: `cargo test --release -- --ignored pool_is_fast --nocapture`.
    #[test]
    #[ignore = "timing measurement"]
    fn pool_is_fast() {
        let (p, _) = pool(1 << 40);
        let sizes: Vec<usize> = (0..64).map(|i| 512 * (1 + (i * 37) % 200)).collect();
        let mut live = Vec::with_capacity(64);
        let rounds = 20_000;
        let t = std::time::Instant::now();
        for _ in 0..rounds {
            for &s in &sizes {
                live.push(p.malloc(s, 0).unwrap());
            }
            for x in live.drain(..).rev() {
                p.free(x);
            }
        }
        let ns = t.elapsed().as_nanos() as f64 / (rounds * sizes.len()) as f64;
        println!(
            "pool malloc+free: {ns:.0} ns per pair, {} free blocks",
            p.stats().n_free_blocks
        );
        assert!(ns < 5_000.0, "{ns} ns per malloc+free pair");
    }

    /// Every invariant the pool relies on, checked from its internal state.
    fn check_invariants(p: &Pool<FakeAlloc>, live: &HashMap<DevPtr, usize>) {
        p.with_state(|s| {
            let used: usize = s.chunks.values().filter(|c| !c.free).map(|c| c.size).sum();
            let free: usize = s.chunks.values().filter(|c| c.free).map(|c| c.size).sum();
            assert_eq!(s.used, used);
            assert_eq!(s.free, free);
            assert_eq!(used + free, s.allocations.values().sum::<usize>());
            let n_free: usize = s.arenas.values().map(BTreeSet::len).sum();
            assert_eq!(n_free, s.chunks.values().filter(|c| c.free).count());
            // Chunks of each allocation tile it exactly, and no two free neighbours remain.
            for (&base, &size) in &s.allocations {
                let mut at = base;
                let mut prev: Option<DevPtr> = None;
                loop {
                    let c = &s.chunks[&at];
                    assert_eq!(c.base, base);
                    assert_eq!(c.prev, prev);
                    if let Some(pp) = prev {
                        assert!(!(c.free && s.chunks[&pp].free), "unmerged free neighbours");
                    }
                    if c.free {
                        assert!(s.arenas[&c.stream].contains(&(c.size, at)));
                    }
                    match c.next {
                        Some(n) => {
                            assert_eq!(n, at + c.size as u64);
                            prev = Some(at);
                            at = n;
                        }
                        None => {
                            assert_eq!(at + c.size as u64, base + size as u64);
                            break;
                        }
                    }
                }
            }
            // Live user blocks never overlap.
            let mut spans: Vec<(DevPtr, usize)> = live.iter().map(|(&p, &n)| (p, n)).collect();
            spans.sort();
            for w in spans.windows(2) {
                assert!(w[0].0 + w[0].1 as u64 <= w[1].0, "overlap {w:?}");
            }
        });
    }

    proptest! {
        #[test]
        fn random_alloc_free_sequences_keep_invariants(
            ops in proptest::collection::vec((0usize..3, 1usize..5000, 0u64..2, any::<prop::sample::Index>()), 1..120)
        ) {
            let (p, log) = pool(1 << 24);
            let mut live: HashMap<DevPtr, usize> = HashMap::new();
            for (kind, size, stream, pick) in ops {
                if kind < 2 || live.is_empty() {
                    let ptr = p.malloc(size, stream).unwrap();
                    prop_assert!(!live.contains_key(&ptr));
                    live.insert(ptr, size);
                } else {
                    let keys: Vec<DevPtr> = live.keys().copied().collect();
                    let k = keys[pick.index(keys.len())];
                    live.remove(&k);
                    p.free(k);
                }
                check_invariants(&p, &live);
            }
            for k in live.keys().copied().collect::<Vec<_>>() {
                p.free(k);
            }
            live.clear();
            check_invariants(&p, &live);
            // Merging restored whole allocations: everything goes back.
            p.free_all_blocks();
            prop_assert!(log.lock().unwrap().live.is_empty());
            prop_assert_eq!(p.stats().free, 0);
        }
    }
}
