//! Launch configurations as pure functions of the problem size and the
//! device's SM count, so they can be tested without a GPU.

/// Threads per block for elementwise kernels (CuPy's default is 128; 256
/// keeps occupancy high on sm_80/sm_90 for these memory-bound loops).
pub(crate) const ELEMENTWISE_BLOCK: u32 = 256;
/// Threads per block for reductions (a power of two: the tree halves it).
pub(crate) const REDUCTION_BLOCK: u32 = 512;
/// Resident blocks per SM the grid aims for; more work goes round the grid-stride loop.
pub(crate) const BLOCKS_PER_SM: u32 = 32;
/// Upper bound of `grid * block` for any launch; 32-bit indexing reserves
/// this much headroom below `i32::MAX` so the grid-stride step cannot overflow.
pub(crate) const MAX_GRID_THREADS: usize = 1 << 24;

/// Grid and block of a 1-D launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LaunchConfig {
    /// Blocks in the grid (x).
    pub grid: u32,
    /// Threads per block (x).
    pub block: u32,
    /// Dynamic shared memory in bytes.
    pub shared_bytes: u32,
}

/// The launch of an elementwise loop over `n` elements: enough blocks to
/// cover `n` once, capped at `BLOCKS_PER_SM` per SM (the loop strides over
/// the rest). `None` for `n == 0` (nothing to launch).
pub(crate) fn elementwise(n: usize, sm_count: u32) -> Option<LaunchConfig> {
    if n == 0 {
        return None;
    }
    let block = ELEMENTWISE_BLOCK;
    let cap =
        (sm_count.max(1) as usize * BLOCKS_PER_SM as usize).min(MAX_GRID_THREADS / block as usize);
    let grid = n.div_ceil(block as usize).min(cap).max(1);
    Some(LaunchConfig {
        grid: grid as u32,
        block,
        shared_bytes: 0,
    })
}

/// How one reduction launch splits its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReductionConfig {
    /// Grid, block and shared memory of the (first) launch.
    pub launch: LaunchConfig,
    /// Outputs one block computes side by side (a power of two ≤ block);
    /// `block / block_stride` threads cooperate on each.
    pub block_stride: u32,
    /// Partial results per output in the two-pass path (1: single pass).
    pub parts: u32,
}

/// Largest power of two ≤ `x` (`x ≥ 1`).
fn floor_pow2(x: u64) -> u64 {
    1u64 << (63 - x.max(1).leading_zeros())
}

/// The launch of a reduction of `in_size` elements to `out_size` outputs,
/// each result `reduce_bytes` wide, on `sm_count` SMs. Follows CuPy's
/// `_get_block_specs`: when outputs are many and each reduces little, one
/// block computes many outputs (`block_stride`) so threads stay busy; when
/// outputs are fewer than the SMs and each reduces a lot, the reduction runs
/// in two passes, `parts` partial results per output, so every SM works.
pub(crate) fn reduction(
    in_size: usize,
    out_size: usize,
    reduce_bytes: usize,
    sm_count: u32,
) -> Option<ReductionConfig> {
    if out_size == 0 {
        return None;
    }
    let block = REDUCTION_BLOCK as u64;
    let per_out = (in_size / out_size).max(1) as u64;
    // Threads per output: as many as the reduction is long, within the block.
    let threads_per_out = floor_pow2(per_out).min(block);
    let block_stride = (block / threads_per_out).max(1);
    let blocks_needed = (out_size as u64).div_ceil(block_stride);
    let sms = sm_count.max(1) as u64;
    let parts = if blocks_needed < sms && per_out >= TWO_PASS_MIN_PER_OUTPUT as u64 {
        // enough partials for about two blocks per SM, each at least one block of work
        let want = (2 * sms).div_ceil(blocks_needed);
        want.min(per_out / block).max(1)
    } else {
        1
    };
    let cap = sms * BLOCKS_PER_SM as u64;
    let grid = (blocks_needed * parts).min(cap).max(1);
    Some(ReductionConfig {
        launch: LaunchConfig {
            grid: grid as u32,
            block: block as u32,
            shared_bytes: reduction_shared_bytes(block as u32, reduce_bytes),
        },
        block_stride: block_stride as u32,
        parts: parts as u32,
    })
}

/// The launch of the second pass of a two-pass reduction: `parts` partials
/// per output folded into `out_size` outputs, one pass.
pub(crate) fn reduction_final(
    out_size: usize,
    parts: u32,
    reduce_bytes: usize,
    sm_count: u32,
) -> Option<ReductionConfig> {
    let mut c = reduction(
        out_size.checked_mul(parts as usize)?,
        out_size,
        reduce_bytes,
        sm_count,
    )?;
    c.parts = 1;
    let cap = sm_count.max(1) as u64 * BLOCKS_PER_SM as u64;
    c.launch.grid = (out_size as u64)
        .div_ceil(c.block_stride as u64)
        .min(cap)
        .max(1) as u32;
    Some(c)
}

/// Shortest reduction per output that is worth a second pass.
pub(crate) const TWO_PASS_MIN_PER_OUTPUT: usize = 1 << 16;

/// `sizeof` of the built-in reduce types (`ReductionSpec::reduce_type`), for
/// the shared memory of a launch; `None` for a type this table does not know
/// (a user kernel's own struct: the caller must know its size).
pub(crate) fn reduce_type_size(reduce_type: &str) -> Option<usize> {
    Some(match reduce_type.trim() {
        "bool" | "unsigned char" | "signed char" => 1,
        "short" | "__half" | "__nv_bfloat16" => 2,
        "int" | "float" => 4,
        "long long" | "double" => 8,
        // { C v; long long i; }: the long long aligns the pair to 16 bytes
        t if t.starts_with("KArg<") => 16,
        _ => return None,
    })
}

/// Shared memory of the tree: one reduce-type value per thread.
pub(crate) fn reduction_shared_bytes(block: u32, reduce_bytes: usize) -> u32 {
    block * reduce_bytes as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elementwise_grid_covers_small_and_caps_large() {
        assert_eq!(elementwise(0, 132), None);
        let c = elementwise(1, 132).unwrap();
        assert_eq!((c.grid, c.block), (1, 256));
        assert_eq!(elementwise(1000, 132).unwrap().grid, 4);
        let big = elementwise(1 << 30, 132).unwrap();
        assert_eq!(big.grid, 132 * 32);
        assert!(big.grid as usize * big.block as usize <= MAX_GRID_THREADS);
        // an absurd SM count still respects the thread cap
        let c = elementwise(1 << 40, 1 << 20).unwrap();
        assert!(c.grid as usize * c.block as usize <= MAX_GRID_THREADS);
    }

    #[test]
    fn reduction_block_stride_tracks_the_reduced_length() {
        // many short rows: one block computes 512/4 = 128 outputs
        let c = reduction(4 * 100_000, 100_000, 4, 132).unwrap();
        assert_eq!((c.block_stride, c.parts), (128, 1));
        // a few long rows: the whole block on each output
        let c = reduction(1 << 20, 1 << 10, 4, 132).unwrap();
        assert_eq!(c.block_stride, 1);
        assert_eq!(c.launch.shared_bytes, 512 * 4);
        assert_eq!(reduction(10, 0, 4, 132), None);
    }

    #[test]
    fn reduce_type_sizes() {
        assert_eq!(reduce_type_size("double"), Some(8));
        assert_eq!(reduce_type_size("KArg<float>"), Some(16));
        assert_eq!(reduce_type_size("bool"), Some(1));
        assert_eq!(reduce_type_size("struct mine"), None);
    }

    #[test]
    fn two_pass_only_for_few_long_reductions() {
        let full = reduction(1 << 28, 1, 8, 132).unwrap();
        assert!(full.parts > 1, "{full:?}");
        assert!(full.parts as u64 * 512 <= 1 << 28);
        assert!(full.launch.grid >= 132);
        // short full reduction: one pass, one block
        let short = reduction(1000, 1, 8, 132).unwrap();
        assert_eq!((short.parts, short.launch.grid), (1, 1));
        // many outputs already fill the GPU: one pass
        assert_eq!(reduction(1 << 28, 1 << 12, 8, 132).unwrap().parts, 1);
    }
}
