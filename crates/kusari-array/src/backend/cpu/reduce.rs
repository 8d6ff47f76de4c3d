//! CPU reductions along any set of axes, in three shapes of loop:
//! * everything reduced: the reduced space is cut into ranges, one per task,
//!   and the partial results merged;
//! * the fastest-varying axis is reduced: each output element folds its own
//!   strided block (parallel over outputs);
//! * the fastest-varying axis is kept (e.g. `sum(axis=0)` of a C array): a row
//!   of accumulators is updated with whole input rows, which vectorizes and
//!   reads memory in order.
//!
//! Contiguous runs are folded with eight independent lanes so float sums
//! vectorize (a single running sum would be one long dependency chain).

use super::simd;
use super::strided::SendPtrs;
use rayon::prelude::*;

/// An associative reduction from elements `T` to an accumulator.
pub(crate) trait ReduceOp<T: Copy>: Sync {
    type Acc: Copy + Send + Sync;
    fn identity(&self) -> Self::Acc;
    fn step(&self, acc: Self::Acc, x: T) -> Self::Acc;
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;

    #[inline(always)]
    fn fold_slice(&self, acc: Self::Acc, xs: &[T]) -> Self::Acc {
        // SAFETY: plain slice arithmetic; only the instruction set differs.
        unsafe {
            simd::fold_lanes(
                acc,
                self.identity(),
                xs,
                &|a, x| self.step(a, x),
                &|a, b| self.merge(a, b),
            )
        }
    }
}

/// Below this many input elements a reduction stays on one thread.
const PAR_MIN: usize = 1 << 16;

/// Drops unit axes and merges axes that are contiguous with each other
/// (largest stride first).
fn coalesce(dims: &[usize], strides: &[isize]) -> (Vec<usize>, Vec<isize>) {
    let mut ax: Vec<usize> = (0..dims.len()).filter(|&i| dims[i] != 1).collect();
    ax.sort_by(|&a, &b| strides[b].unsigned_abs().cmp(&strides[a].unsigned_abs()));
    let (mut d, mut s): (Vec<usize>, Vec<isize>) = (Vec::new(), Vec::new());
    for i in ax {
        if let (Some(ld), Some(ls)) = (d.last_mut(), s.last_mut()) {
            if *ls == strides[i] * dims[i] as isize {
                *ld *= dims[i];
                *ls = strides[i];
                continue;
            }
        }
        d.push(dims[i]);
        s.push(strides[i]);
    }
    if d.is_empty() {
        d.push(1);
        s.push(0);
    }
    (d, s)
}

/// Folds the elements with linear indices `start..end` of the space `(dims, strides)` at `ptr`.
unsafe fn fold_range<T: Copy, R: ReduceOp<T>>(
    op: &R,
    ptr: *const T,
    dims: &[usize],
    strides: &[isize],
    start: usize,
    end: usize,
) -> R::Acc {
    let nd = dims.len();
    let last = nd - 1;
    let mut idx = vec![0usize; nd];
    let mut rem = start;
    for d in (0..nd).rev() {
        idx[d] = rem % dims[d];
        rem /= dims[d];
    }
    let mut p = ptr;
    for d in 0..nd {
        p = p.offset(idx[d] as isize * strides[d]);
    }
    let mut acc = op.identity();
    let mut pos = start;
    let s = strides[last];
    while pos < end {
        let len = (dims[last] - idx[last]).min(end - pos);
        if s == 1 {
            acc = op.fold_slice(acc, std::slice::from_raw_parts(p, len));
        } else {
            for i in 0..len as isize {
                acc = op.step(acc, *p.offset(i * s));
            }
        }
        pos += len;
        idx[last] += len;
        p = p.offset(len as isize * s);
        let mut d = last;
        while idx[d] == dims[d] && d > 0 {
            p = p.offset(-(dims[d] as isize) * strides[d] + strides[d - 1]);
            idx[d] = 0;
            idx[d - 1] += 1;
            d -= 1;
        }
    }
    acc
}

/// Reduces the array at `ptr` with `shape`/`strides` (elements) over `axes`,
/// returning one accumulator per kept position in C order of the kept axes.
///
/// # Safety
/// `ptr`, `shape` and `strides` must describe a valid host array of `T`.
pub(crate) unsafe fn reduce<T: Copy + Send + Sync, R: ReduceOp<T>>(
    op: &R,
    ptr: *const T,
    shape: &[usize],
    strides: &[isize],
    axes: &[usize],
) -> Vec<R::Acc> {
    let kept: Vec<usize> = (0..shape.len()).filter(|i| !axes.contains(i)).collect();
    let kshape: Vec<usize> = kept.iter().map(|&i| shape[i]).collect();
    let kstrides: Vec<isize> = kept.iter().map(|&i| strides[i]).collect();
    let m: usize = kshape.iter().product();
    let n: usize = axes.iter().map(|&i| shape[i]).product();
    let mut out = vec![op.identity(); m];
    if m == 0 || n == 0 {
        return out;
    }
    let rd: Vec<usize> = axes.iter().map(|&i| shape[i]).collect();
    let rs: Vec<isize> = axes.iter().map(|&i| strides[i]).collect();
    let (rdims, rstrides) = coalesce(&rd, &rs);
    let base = SendPtrs([ptr as *mut u8]);
    let parallel = m * n >= PAR_MIN && rayon::current_num_threads() > 1;

    if m == 1 {
        let tasks = if parallel {
            rayon::current_num_threads() * 4
        } else {
            1
        };
        let per = n.div_ceil(tasks);
        let fold = |t: usize| {
            let b = base;
            let (s, e) = (t * per, ((t + 1) * per).min(n));
            if s >= e {
                op.identity()
            } else {
                fold_range(op, b.0[0] as *const T, &rdims, &rstrides, s, e)
            }
        };
        out[0] = if parallel {
            (0..tasks)
                .into_par_iter()
                .map(fold)
                .reduce(|| op.identity(), |a, b| op.merge(a, b))
        } else {
            fold(0)
        };
        return out;
    }

    let min_red = rstrides
        .iter()
        .map(|s| s.unsigned_abs())
        .min()
        .unwrap_or(usize::MAX);
    let inner_kept = (0..kept.len())
        .filter(|&k| kshape[k] > 1)
        .min_by_key(|&k| kstrides[k].unsigned_abs());
    let out_cstrides: Vec<usize> = {
        let mut s = vec![0usize; kshape.len()];
        let mut acc = 1;
        for i in (0..kshape.len()).rev() {
            s[i] = acc;
            acc *= kshape[i];
        }
        s
    };

    match inner_kept {
        Some(kk) if kstrides[kk].unsigned_abs() < min_red => {
            // The fastest axis is kept: rows of accumulators.
            let nk = kshape[kk];
            let sk = kstrides[kk];
            let others: Vec<usize> = (0..kept.len()).filter(|&k| k != kk).collect();
            let n_outer = m / nk;
            // Few output rows: split each row into column blocks so every thread gets work.
            let threads = rayon::current_num_threads();
            let block = if parallel && n_outer < threads * 2 {
                nk.div_ceil(threads * 4).next_multiple_of(64).min(nk)
            } else {
                nk
            };
            let n_blocks = nk.div_ceil(block);
            let outp = SendPtrs([out.as_mut_ptr() as *mut u8]);
            let task = |t: usize| {
                let (b, o) = (base, outp);
                let (oi, bi) = (t / n_blocks, t % n_blocks);
                let (j0, j1) = (bi * block, ((bi + 1) * block).min(nk));
                let mut off = 0isize;
                let mut out_off = 0usize;
                let mut rem = oi;
                for &k in others.iter().rev() {
                    let i = rem % kshape[k];
                    rem /= kshape[k];
                    off += i as isize * kstrides[k];
                    out_off += i * out_cstrides[k];
                }
                let mut acc = vec![op.identity(); j1 - j0];
                let p0 = (b.0[0] as *const T).offset(off + j0 as isize * sk);
                // Odometer over the reduced space.
                let mut ridx = vec![0usize; rdims.len()];
                let mut roff = 0isize;
                for _ in 0..n {
                    let p = p0.offset(roff);
                    if sk == 1 {
                        let xs = std::slice::from_raw_parts(p, j1 - j0);
                        simd::accumulate_contig(&mut acc, xs, &|a, x| op.step(a, x));
                    } else {
                        for (j, a) in acc.iter_mut().enumerate() {
                            *a = op.step(*a, *p.offset(j as isize * sk));
                        }
                    }
                    let mut d = rdims.len();
                    while d > 0 {
                        d -= 1;
                        ridx[d] += 1;
                        roff += rstrides[d];
                        if ridx[d] < rdims[d] {
                            break;
                        }
                        roff -= rstrides[d] * rdims[d] as isize;
                        ridx[d] = 0;
                    }
                }
                let op_ = o.0[0] as *mut R::Acc;
                for (j, a) in acc.into_iter().enumerate() {
                    *op_.add(out_off + (j0 + j) * out_cstrides[kk]) = a;
                }
            };
            if parallel {
                (0..n_outer * n_blocks).into_par_iter().for_each(task);
            } else {
                (0..n_outer * n_blocks).for_each(task);
            }
        }
        _ => {
            // The fastest axis is reduced: one strided fold per output.
            let fold_one = |(i, o): (usize, &mut R::Acc)| {
                let b = base;
                let mut off = 0isize;
                let mut rem = i;
                for k in (0..kshape.len()).rev() {
                    off += (rem % kshape[k]) as isize * kstrides[k];
                    rem /= kshape[k];
                }
                *o = fold_range(
                    op,
                    (b.0[0] as *const T).offset(off),
                    &rdims,
                    &rstrides,
                    0,
                    n,
                );
            };
            if parallel {
                let min_len = (PAR_MIN / n).max(1);
                out.par_iter_mut()
                    .enumerate()
                    .with_min_len(min_len)
                    .for_each(fold_one);
            } else {
                out.iter_mut().enumerate().for_each(fold_one);
            }
        }
    }
    out
}

/// Index of the first maximum (`greater`) or minimum (`less`) along each lane
/// of length `n` and stride `s` starting at `offsets[m]`; NaN wins, as in NumPy.
///
/// # Safety
/// Offsets and strides must stay inside the array at `ptr`.
pub(crate) unsafe fn arg_extreme<T: Copy + PartialOrd + Send + Sync>(
    ptr: *const T,
    offsets: &[isize],
    n: usize,
    s: isize,
    want_max: bool,
    is_nan: impl Fn(T) -> bool + Sync,
) -> Vec<i64> {
    let base = SendPtrs([ptr as *mut u8]);
    let one = |&off: &isize| -> i64 {
        let b = base;
        let p = (b.0[0] as *const T).offset(off);
        let mut best = *p;
        let mut bi = 0usize;
        if is_nan(best) {
            return 0;
        }
        for i in 1..n {
            let x = *p.offset(i as isize * s);
            if is_nan(x) {
                return i as i64;
            }
            if (want_max && x > best) || (!want_max && x < best) {
                best = x;
                bi = i;
            }
        }
        bi as i64
    };
    if offsets.len() * n >= PAR_MIN {
        offsets
            .par_iter()
            .with_min_len((PAR_MIN / n.max(1)).max(1))
            .map(one)
            .collect()
    } else {
        offsets.iter().map(one).collect()
    }
}
