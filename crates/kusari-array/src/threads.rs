//! The CPU thread pool. kusari's CPU kernels run on rayon's global pool;
//! this module only decides how that pool is built.

use crate::{Error, Result};

/// Builds the CPU thread pool with the calling thread (normally `main`) as
/// one of its `num_threads` workers (default: `RAYON_NUM_THREADS`, else the
/// number of CPUs), as rayon's `use_current_thread` does. Call it once, at
/// the start of a program, before any array operation.
///
/// Why: by default the pool's threads are all spawned, and a thread outside
/// the pool that runs a parallel operation hands it over and sleeps until it
/// is done, so every operation wakes two threads. A small model runs
/// thousands of short parallel operations per second, and the wake-ups were
/// a tenth of an LSTM language model's training time. With the caller in
/// the pool it takes part in the work and wakes one thread (the examples'
/// training rates: LSTM +20%, MLP +9%, CNN +3%; `docs/BENCHMARKS.md`).
///
/// Not needed for correctness, and nothing changes for other threads: they
/// still hand their work to the pool. Errors if the pool already exists
/// (an operation ran first, or this was called twice).
///
/// ```no_run
/// kusari_array::threads::init_thread_pool(None)?;
/// // ... the program: every parallel operation from this thread now runs on it too.
/// # Ok::<(), kusari_array::Error>(())
/// ```
pub fn init_thread_pool(num_threads: Option<usize>) -> Result<()> {
    let mut builder = rayon::ThreadPoolBuilder::new().use_current_thread();
    if let Some(n) = num_threads {
        builder = builder.num_threads(n);
    }
    builder.build_global().map_err(|e| Error::Value {
        op: "init_thread_pool",
        message: format!("expected to build the global thread pool first, but it could not: {e}"),
    })
}

#[cfg(test)]
mod tests {
    /// The global pool of a test binary is shared by all its tests, so the
    /// success case has a test binary of its own (tests/thread_pool.rs);
    /// here: calling it after the pool exists is an error naming the operation.
    #[test]
    fn a_second_pool_is_an_error() {
        rayon::scope(|_| {});
        let e = super::init_thread_pool(Some(2)).unwrap_err().to_string();
        assert!(e.contains("init_thread_pool"), "{e}");
    }
}
