//! Runtime dispatch of the contiguous inner loops to wider vector units.
//!
//! Rust builds for baseline x86-64 (SSE2) unless told otherwise, but the
//! machines kusari runs on mostly have AVX2 or AVX-512. Each loop below is
//! written once as plain Rust and compiled three times: baseline, with AVX2,
//! and with AVX-512; the widest the CPU supports is picked once at run time.
//! The code (and so the order of float operations) is the same in every
//! version, so results are bit-identical whichever runs. Even "memory-bound"
//! loops gain: an array that sits in L2/L3 streams faster through 32- and
//! 64-byte loads than through 16-byte ones.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[doc(hidden)]
pub enum Level {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// The widest vector extension this CPU has (detected once). `KUSARI_SIMD=baseline`
/// forces the baseline loops, e.g. to compare.
#[doc(hidden)]
pub fn level() -> Level {
    static LEVEL: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        if std::env::var("KUSARI_SIMD").is_ok_and(|v| v == "baseline") {
            return Level::Baseline;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512dq")
                && is_x86_feature_detected!("avx512vl")
            {
                return Level::Avx512;
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Level::Avx2;
            }
        }
        Level::Baseline
    })
}

/// Defines `$name(args)` that runs `$body` compiled for the detected level.
/// Exported (hidden) so the `kusari` crate's fused kernels (LSTM gates,
/// softmax rows) get the same dispatch instead of a copy of it.
#[macro_export]
#[doc(hidden)]
macro_rules! multiversion {
    (
        $(#[$m:meta])*
        pub(crate) unsafe fn $name:ident<$($g:ident $(: $b:path)?),*>($($arg:ident: $ty:ty),*) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$m])*
        #[inline]
        pub(crate) unsafe fn $name<$($g $(: $b)?),*>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            unsafe fn imp<$($g $(: $b)?),*>($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2<$($g $(: $b)?),*>($($arg: $ty),*) $(-> $ret)? { imp($($arg),*) }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
            unsafe fn avx512<$($g $(: $b)?),*>($($arg: $ty),*) $(-> $ret)? { imp($($arg),*) }
            match $crate::__simd::level() {
                #[cfg(target_arch = "x86_64")]
                $crate::__simd::Level::Avx512 => avx512($($arg),*),
                #[cfg(target_arch = "x86_64")]
                $crate::__simd::Level::Avx2 => avx2($($arg),*),
                $crate::__simd::Level::Baseline => imp($($arg),*),
            }
        }
    };
}

/// A closure type usable across the dispatch boundary.
pub(crate) trait Fn1<A, O>: Fn(A) -> O {}
impl<A, O, F: Fn(A) -> O> Fn1<A, O> for F {}
/// A two-argument closure type usable across the dispatch boundary.
pub(crate) trait Fn2<A, B, O>: Fn(A, B) -> O {}
impl<A, B, O, F: Fn(A, B) -> O> Fn2<A, B, O> for F {}

multiversion! {
    /// `o[i] = f(x[i])`.
    pub(crate) unsafe fn unary_contig<A: Copy, O: Copy, F: Fn1<A, O>>(o: &mut [O], x: &[A], f: &F) {
        for (o, &x) in o.iter_mut().zip(x) {
            *o = f(x);
        }
    }
}

multiversion! {
    /// `o[i] = f(x[i], y[i])`.
    pub(crate) unsafe fn binary_contig<A: Copy, B: Copy, O: Copy, F: Fn2<A, B, O>>(o: &mut [O], x: &[A], y: &[B], f: &F) {
        for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
            *o = f(x, y);
        }
    }
}

multiversion! {
    /// `o[i] = f(x[i], y)`.
    pub(crate) unsafe fn binary_contig_scalar_right<A: Copy, B: Copy, O: Copy, F: Fn2<A, B, O>>(o: &mut [O], x: &[A], y: B, f: &F) {
        for (o, &x) in o.iter_mut().zip(x) {
            *o = f(x, y);
        }
    }
}

multiversion! {
    /// `o[i] = f(x, y[i])`.
    pub(crate) unsafe fn binary_contig_scalar_left<A: Copy, B: Copy, O: Copy, F: Fn2<A, B, O>>(o: &mut [O], x: A, y: &[B], f: &F) {
        for (o, &y) in o.iter_mut().zip(y) {
            *o = f(x, y);
        }
    }
}

multiversion! {
    /// `acc[i] = f(acc[i], x[i])` (row updates of reductions that keep the fastest axis).
    pub(crate) unsafe fn accumulate_contig<A: Copy, T: Copy, F: Fn2<A, T, A>>(acc: &mut [A], x: &[T], f: &F) {
        for (a, &x) in acc.iter_mut().zip(x) {
            *a = f(*a, x);
        }
    }
}

multiversion! {
    /// Folds `x` with eight independent lanes (so float sums vectorize), then merges them.
    pub(crate) unsafe fn fold_lanes<A: Copy, T: Copy, S: Fn2<A, T, A>, M: Fn2<A, A, A>>(init: A, identity: A, x: &[T], step: &S, merge: &M) -> A {
        let mut lanes = [identity; 8];
        let chunks = x.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..8 {
                lanes[i] = step(lanes[i], c[i]);
            }
        }
        let mut acc = init;
        for l in lanes {
            acc = merge(acc, l);
        }
        for &v in rest {
            acc = step(acc, v);
        }
        acc
    }
}

/// The max-pooling forward of one plane, tap by tap over the runs
/// `(o, i, len)` of `table[tap]`: `yo[o + t]`/`io[o + t]` take `xp[i + t * S]`
/// when it is larger (`S` = 0: stride `s`). NaN wins and stays, as NumPy's
/// max/argmax; ties keep the earlier tap (Chainer's first maximum).
///
/// `better` is one mask from two comparisons (`cur` not NaN and not
/// `v <= cur`), with no `||` for the compiler to turn into a branch: which
/// tap wins is unpredictable on real data, and a branch mispredicted half
/// the time made 2×2 pooling twice as slow.
#[inline(always)]
fn max_pool_taps<T: super::conv::ConvFloat, const S: usize>(
    xp: &[T],
    yo: &mut [T],
    io: &mut [i32],
    table: &[Vec<(usize, usize, usize)>],
    s: usize,
) {
    let s = if S == 0 { s } else { S };
    yo.fill(T::NEG_INF);
    io.fill(0);
    for (kidx, runs) in table.iter().enumerate() {
        let k = kidx as i32;
        for &(o, i, len) in runs {
            let xr = &xp[i..i + (len - 1) * s + 1];
            let (yr, ir) = (&mut yo[o..o + len], &mut io[o..o + len]);
            for t in 0..len {
                // SAFETY: `t < len` = yr.len() = ir.len(), and `t * s` is at
                // most `(len - 1) * s` < xr.len(). Unchecked so the loop has
                // no panic edge and vectorizes.
                unsafe {
                    let v = *xr.get_unchecked(t * s);
                    let cur = *yr.get_unchecked(t);
                    // `cur == cur` is the NaN test and `!(v <= cur)` is true
                    // for a NaN `v`: the NaN rules without a branch.
                    #[allow(clippy::eq_op, clippy::neg_cmp_op_on_partial_ord)]
                    let better = !(v <= cur) & (cur == cur);
                    let mask = -(better as i32);
                    *yr.get_unchecked_mut(t) = if better { v } else { cur };
                    let ix = ir.get_unchecked_mut(t);
                    *ix = (k & mask) | (*ix & !mask);
                }
            }
        }
    }
}

multiversion! {
    /// [`max_pool_taps`] for consecutive planes (`xp` of `isz` elements
    /// each, `yo` and `io` of `osz`), with the common
    /// strides 1 and 2 as constants. Many planes per call: per plane (often
    /// a few dozen outputs) the dispatch would cost as much as the work.
    pub(crate) unsafe fn max_pool_planes<T: super::conv::ConvFloat>(xp: &[T], yo: &mut [T], io: &mut [i32], table: &[Vec<(usize, usize, usize)>], s: usize, isz: usize, osz: usize) {
        for ((x, y), i) in xp.chunks_exact(isz).zip(yo.chunks_exact_mut(osz)).zip(io.chunks_exact_mut(osz)) {
            match s {
                1 => max_pool_taps::<T, 1>(x, y, i, table, s),
                2 => max_pool_taps::<T, 2>(x, y, i, table, s),
                _ => max_pool_taps::<T, 0>(x, y, i, table, s),
            }
        }
    }
}
