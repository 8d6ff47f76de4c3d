//! Seeded random numbers with NumPy's `Generator` API ([`default_rng`],
//! `random`, `uniform`, `standard_normal`, `normal`, `integers`,
//! `permutation`, `shuffle`, `choice`, plus `bernoulli`) over a
//! counter-based Philox4x32-10 bit generator.
//!
//! # Why a hand-written Philox
//! The CUDA backend will generate the very same numbers on the GPU, each
//! thread computing its block of random bits from `(key, counter)` alone.
//! That needs a counter-based generator whose every step, and the layout of
//! its stream over array elements, we can mirror line for line in a CUDA
//! kernel. No crate gives us Philox in that form, so [`philox4x32_10`] is
//! written here (it is twenty lines) and checked against the Random123
//! known-answer vectors.
//!
//! # The stream (the contract a GPU kernel mirrors)
//! * The state ([`PhiloxState`]) is a 64-bit key, `[seed as u32, (seed >> 32) as u32]`
//!   for [`Generator::new`], and a 128-bit block counter starting at 0.
//! * Block `b` is `philox4x32_10([b0, b1, b2, b3], key)` for the little-endian
//!   32-bit words of `b`; its four outputs are words `4b .. 4b + 4` of the
//!   stream. A 64-bit value is two consecutive words, low word first.
//! * Every call starts at the state's counter and leaves it just past the
//!   last block it read; unused words of that block are dropped, so the state
//!   never holds buffered words. A call that fails validation reads nothing.
//! * Fixed-rate draws: element `i` of the output reads block `counter + i / K`.
//!   `K = 2` (one 64-bit value per element) for `random`/`uniform` in
//!   float64 and for `bernoulli` and `choice` with `p`; `K = 4` (one word per
//!   element) for `random`/`uniform` in float32, float16 and bfloat16; for
//!   `standard_normal`/`normal` each block yields the Box–Muller pair for
//!   elements `2j` and `2j + 1`.
//! * Bounded integers (`integers`, `permutation`, `shuffle`, `choice` without
//!   `p`) use Lemire's multiply-and-reject method, which is unbiased. Draw `i`
//!   first tries its own lane: word `i` (`K = 4`) when every bound fits in
//!   32 bits, else 64-bit value `i` (`K = 2`). Draws whose first try is
//!   rejected are redone in increasing `i` from a sequential stream starting
//!   at block `counter + ceil(n / K)`, each taking values until one is
//!   accepted. So the common case is as parallel as the fixed-rate draws.
//!
//! # Conversions
//! float64 is `(x >> 11) * 2^-53` of a 64-bit value; float32 is
//! `(w >> 8) * 2^-24`, float16 `(w >> 21) * 2^-11` and bfloat16
//! `(w >> 24) * 2^-8` of one word. Each is exact in its type and lies in `[0, 1)`.
//!
//! Normals use the Box–Muller transform rather than Marsaglia's polar method:
//! the polar method rejects a varying number of pairs, while Box–Muller turns
//! exactly one block into one pair, which is what a GPU thread wants. They
//! are computed in float64 (narrower dtypes round the float64 value) with a
//! logarithm, sine and cosine implemented below after fdlibm from `+ - * /`,
//! `sqrt` and bit operations only. Those are correctly rounded IEEE
//! operations and Rust never contracts them into FMAs, so every platform gets
//! identical bits for the same seed. (A CUDA mirror must compile with
//! `--fmad=false` or use the `__dadd_rn`-style intrinsics.)

use super::kernel_path::use_kernels;
use crate::layout::checked_size;
use crate::{Array, DType, Device, Element, Error, Result};
use half::{bf16, f16};
use rayon::prelude::*;
use std::collections::HashMap;

mod philox;
pub use philox::philox4x32_10;
use philox::*;

mod fdlibm;
use fdlibm::{ln, sincos_turns};

pub(crate) mod device;
use device::Draw;

/// The Box–Muller pair of one block: radius from the first 64-bit value
/// (as a uniform in `(0, 1]`), angle from the second.
#[inline]
fn box_muller(w: [u32; 4]) -> (f64, f64) {
    let radius = (-2.0 * ln(f64_open0(u64_of(w[0], w[1])))).sqrt();
    let (s, c) = sincos_turns(u64_of(w[2], w[3]) >> 11);
    (radius * c, radius * s)
}

// ---- filling outputs -------------------------------------------------------------------

/// Elements per task; a multiple of every `K`, so tasks start on block boundaries.
const CHUNK: usize = 1 << 12;
/// Outputs at least this long are filled on rayon's threads.
const PAR_MIN: usize = 1 << 15;

/// Runs `work(first_index, chunk)` over `CHUNK`-element chunks of `out`
/// (in parallel when it is long) and concatenates what the chunks return, in order.
fn run_chunks<T: Send>(
    out: &mut [T],
    work: impl Fn(usize, &mut [T]) -> Vec<usize> + Sync,
) -> Vec<usize> {
    if out.len() >= PAR_MIN {
        let parts: Vec<Vec<usize>> = out
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, chunk)| work(c * CHUNK, chunk))
            .collect();
        parts.concat()
    } else {
        out.chunks_mut(CHUNK)
            .enumerate()
            .flat_map(|(c, chunk)| work(c * CHUNK, chunk))
            .collect()
    }
}

/// Fills `out` at a fixed rate of `K` elements per block: `f(i, words)` gives
/// elements `i .. i + K` from block `base + i / K`. Returns the blocks read.
fn fill_blocks<T: Copy + Send, const K: usize>(
    out: &mut [T],
    key: [u32; 2],
    base: u128,
    f: impl Fn(usize, [u32; 4]) -> [T; K] + Sync,
) -> u128 {
    run_chunks(out, |first, chunk| {
        for (j, dst) in chunk.chunks_mut(K).enumerate() {
            let i = first + j * K;
            let v = f(i, block(key, base.wrapping_add((i / K) as u128)));
            dst.copy_from_slice(&v[..dst.len()]);
        }
        Vec::new()
    });
    out.len().div_ceil(K) as u128
}

/// The dtype's slice of a freshly allocated array.
fn slice_of<T: Element>(a: &mut Array) -> &mut [T] {
    a.as_slice_mut::<T>()
        .expect("a fresh C-contiguous host array of T")
}

fn check_float(op: &'static str, dtype: DType) -> Result<()> {
    if dtype.is_float() {
        Ok(())
    } else {
        Err(Error::unsupported_dtype(
            op,
            "a float dtype (float16, bfloat16, float32 or float64)",
            dtype,
        ))
    }
}

/// A fresh array for `op`, its size checked under `op`'s name.
fn alloc(op: &'static str, shape: &[usize], dtype: DType) -> Result<Array> {
    checked_size(op, shape)?;
    Array::empty(shape, dtype)
}

/// `f(u)` for uniforms from the top 24 bits of single words, rounded to `T`.
fn fill_from_u24<T: Element>(
    out: &mut Array,
    key: [u32; 2],
    base: u128,
    f: impl Fn(f64) -> f64 + Sync,
) -> u128 {
    fill_blocks::<T, 4>(slice_of::<T>(out), key, base, |_, w| {
        w.map(|x| T::from_f64(f(f64::from(f32_of(x)))))
    })
}

/// `loc + scale * z` for Box–Muller normals `z`, rounded to `T`.
fn fill_normal<T: Element>(
    out: &mut Array,
    key: [u32; 2],
    base: u128,
    loc: f64,
    scale: f64,
) -> u128 {
    fill_blocks::<T, 2>(slice_of::<T>(out), key, base, |_, w| {
        let (z0, z1) = box_muller(w);
        [T::from_f64(loc + scale * z0), T::from_f64(loc + scale * z1)]
    })
}

/// `high - low` for a valid `uniform` draw in `dtype`.
fn check_uniform(low: f64, high: f64, dtype: DType) -> Result<f64> {
    check_float("uniform", dtype)?;
    let span = high - low;
    if !(low.is_finite() && high.is_finite() && span.is_finite()) {
        return Err(Error::value(
            "uniform",
            format!("expected finite low, high and high - low, found low={low}, high={high}"),
        ));
    }
    Ok(span)
}

fn check_scale(scale: f64) -> Result<()> {
    if scale.is_nan() || scale < 0.0 {
        return Err(Error::value(
            "normal",
            format!("expected scale >= 0, found {scale}"),
        ));
    }
    Ok(())
}

/// Validates NumPy's `p` for a population of `n`.
fn check_p(p: &[f64], n: usize) -> Result<()> {
    // NumPy's tolerance: sqrt(float64 eps) = 2^-26.
    const ATOL: f64 = 1.0 / 67_108_864.0;
    if p.len() != n {
        return Err(Error::shape(
            "choice",
            format!(
                "expected p of the same length as a ({n}), found length {}",
                p.len()
            ),
        ));
    }
    if let Some((i, x)) = p
        .iter()
        .enumerate()
        .find(|(_, x)| !x.is_finite() || **x < 0.0)
    {
        return Err(Error::value(
            "choice",
            format!("expected finite probabilities >= 0, found p[{i}] = {x}"),
        ));
    }
    let sum: f64 = p.iter().sum();
    if (sum - 1.0).abs() > ATOL {
        return Err(Error::value(
            "choice",
            format!("expected probabilities summing to 1, found a sum of {sum}"),
        ));
    }
    Ok(())
}

// ---- the generator ---------------------------------------------------------------------

/// The complete state of a [`Generator`]: snapshot it with
/// [`Generator::state`] and resume the same stream with
/// [`Generator::set_state`] or [`Generator::from_state`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PhiloxState {
    /// The Philox key (the seed's low and high 32 bits for [`Generator::new`]).
    pub key: [u32; 2],
    /// The next unused block counter, as four little-endian 32-bit words.
    pub counter: [u32; 4],
}

/// NumPy's `Generator` over a counter-based Philox4x32-10 stream: the same
/// seed gives the same numbers on every platform (see the [module
/// docs](self) for the exact stream layout).
///
/// ```
/// use kusari_array::DType;
/// use kusari_array::ops::random::default_rng;
///
/// let mut rng = default_rng(42);
/// let x = rng.standard_normal(&[2, 3], DType::F32)?;
/// assert_eq!(x.shape(), &[2, 3]);
///
/// // Snapshot the stream, draw, rewind, draw again: the same numbers.
/// let snapshot = rng.state();
/// let a = rng.integers(0, 10, &[5], DType::I64)?.to_vec::<i64>()?;
/// rng.set_state(snapshot);
/// let b = rng.integers(0, 10, &[5], DType::I64)?.to_vec::<i64>()?;
/// assert_eq!(a, b);
/// assert!(a.iter().all(|v| (0..10).contains(v)));
/// # Ok::<(), kusari_array::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    key: [u32; 2],
    counter: u128,
}

/// NumPy's `np.random.default_rng(seed)`: a [`Generator`] seeded with `seed`.
pub fn default_rng(seed: u64) -> Generator {
    Generator::new(seed)
}

impl Generator {
    /// A generator whose key is `seed` (low word first) and whose counter is 0.
    pub fn new(seed: u64) -> Generator {
        Generator {
            key: [seed as u32, (seed >> 32) as u32],
            counter: 0,
        }
    }

    /// A generator that continues the stream at `state`.
    pub fn from_state(state: PhiloxState) -> Generator {
        Generator {
            key: state.key,
            counter: words_counter(state.counter),
        }
    }

    /// The current key and counter.
    pub fn state(&self) -> PhiloxState {
        PhiloxState {
            key: self.key,
            counter: counter_words(self.counter),
        }
    }

    /// Resumes the stream at `state` (from [`Generator::state`]).
    pub fn set_state(&mut self, state: PhiloxState) {
        *self = Generator::from_state(state);
    }

    fn advance(&mut self, blocks: u128) {
        self.counter = self.counter.wrapping_add(blocks);
    }

    /// Uniform floats in `[0, 1)` (NumPy's `random`); float dtypes only.
    pub fn random(&mut self, shape: &[usize], dtype: DType) -> Result<Array> {
        check_float("random", dtype)?;
        let mut out = alloc("random", shape, dtype)?;
        let (key, base) = (self.key, self.counter);
        let used = match dtype {
            DType::F64 => fill_blocks::<f64, 2>(slice_of(&mut out), key, base, |_, w| {
                [f64_of(u64_of(w[0], w[1])), f64_of(u64_of(w[2], w[3]))]
            }),
            DType::F32 => {
                fill_blocks::<f32, 4>(slice_of(&mut out), key, base, |_, w| w.map(f32_of))
            }
            DType::F16 => fill_blocks::<f16, 4>(slice_of(&mut out), key, base, |_, w| {
                w.map(|x| f16::from_f32((x >> 21) as f32 * INV_2_11))
            }),
            DType::BF16 => fill_blocks::<bf16, 4>(slice_of(&mut out), key, base, |_, w| {
                w.map(|x| bf16::from_f32((x >> 24) as f32 * INV_2_8))
            }),
            _ => unreachable!("checked to be a float dtype"),
        };
        self.advance(used);
        Ok(out)
    }

    /// Uniform floats in `[low, high)` (NumPy's `uniform`), computed as
    /// `low + (high - low) * u` in float64 and rounded to `dtype`; as in NumPy,
    /// rounding can give `high` itself. `low`, `high` and `high - low` must be finite.
    pub fn uniform(&mut self, low: f64, high: f64, shape: &[usize], dtype: DType) -> Result<Array> {
        let span = check_uniform(low, high, dtype)?;
        let mut out = alloc("uniform", shape, dtype)?;
        let (key, base) = (self.key, self.counter);
        let f = |u: f64| low + span * u;
        let used = match dtype {
            DType::F64 => fill_blocks::<f64, 2>(slice_of(&mut out), key, base, |_, w| {
                [f(f64_of(u64_of(w[0], w[1]))), f(f64_of(u64_of(w[2], w[3])))]
            }),
            DType::F32 => fill_from_u24::<f32>(&mut out, key, base, f),
            DType::F16 => fill_from_u24::<f16>(&mut out, key, base, f),
            DType::BF16 => fill_from_u24::<bf16>(&mut out, key, base, f),
            _ => unreachable!("checked to be a float dtype"),
        };
        self.advance(used);
        Ok(out)
    }

    /// [`Generator::random`] creating the array on `device` (CuPy's
    /// `cupy.random` draws on the current device): off the CPU each element
    /// computes its own Philox block in a kernel, so the numbers are the
    /// CPU's for the same state, bit for bit, and the counter advances the
    /// same. (`uniform_on` may differ in the last bit: a GPU may fuse its
    /// multiply-add.)
    ///
    /// ```
    /// use kusari_array::{DType, Device};
    /// use kusari_array::ops::random::default_rng;
    /// let (mut a, mut b) = (default_rng(3), default_rng(3));
    /// let x = a.random_on(&[5], DType::F32, Device::Cpu)?;
    /// assert_eq!(x.to_vec::<f32>()?, b.random(&[5], DType::F32)?.to_vec::<f32>()?);
    /// # Ok::<(), kusari_array::Error>(())
    /// ```
    pub fn random_on(&mut self, shape: &[usize], dtype: DType, device: Device) -> Result<Array> {
        if !use_kernels(device) {
            return self.random(shape, dtype);
        }
        check_float("random", dtype)?;
        self.draw_on("random", Draw::Random, shape, dtype, device)
    }

    /// [`Generator::uniform`] on `device` (see [`Generator::random_on`]).
    pub fn uniform_on(
        &mut self,
        low: f64,
        high: f64,
        shape: &[usize],
        dtype: DType,
        device: Device,
    ) -> Result<Array> {
        if !use_kernels(device) {
            return self.uniform(low, high, shape, dtype);
        }
        let span = check_uniform(low, high, dtype)?;
        self.draw_on("uniform", Draw::Uniform { low, span }, shape, dtype, device)
    }

    /// [`Generator::standard_normal`] on `device`: off the CPU the device's
    /// `log`/`sin`/`cos` replace the CPU's bit-reproducible ones, so values
    /// agree with the CPU's within an ulp or two (see [`Generator::random_on`]).
    pub fn standard_normal_on(
        &mut self,
        shape: &[usize],
        dtype: DType,
        device: Device,
    ) -> Result<Array> {
        self.normal_on(0.0, 1.0, shape, dtype, device)
    }

    /// [`Generator::normal`] on `device` (see [`Generator::standard_normal_on`]).
    pub fn normal_on(
        &mut self,
        loc: f64,
        scale: f64,
        shape: &[usize],
        dtype: DType,
        device: Device,
    ) -> Result<Array> {
        if !use_kernels(device) {
            return self.normal(loc, scale, shape, dtype);
        }
        check_scale(scale)?;
        check_float("normal", dtype)?;
        self.draw_on("normal", Draw::Normal { loc, scale }, shape, dtype, device)
    }

    fn draw_on(
        &mut self,
        op: &'static str,
        d: Draw,
        shape: &[usize],
        dtype: DType,
        device: Device,
    ) -> Result<Array> {
        let n = checked_size(op, shape)?;
        let out = device::draw(
            self.key,
            counter_words(self.counter),
            d,
            shape,
            dtype,
            device,
        )?;
        self.advance(n.div_ceil(device::per_block(d, dtype)) as u128);
        Ok(out)
    }

    /// Standard normal floats (NumPy's `standard_normal`), by Box–Muller.
    pub fn standard_normal(&mut self, shape: &[usize], dtype: DType) -> Result<Array> {
        self.normal_op("standard_normal", 0.0, 1.0, shape, dtype)
    }

    /// Normal floats with mean `loc` and standard deviation `scale >= 0`
    /// (NumPy's `normal`): `loc + scale * standard_normal`.
    pub fn normal(&mut self, loc: f64, scale: f64, shape: &[usize], dtype: DType) -> Result<Array> {
        check_scale(scale)?;
        self.normal_op("normal", loc, scale, shape, dtype)
    }

    fn normal_op(
        &mut self,
        op: &'static str,
        loc: f64,
        scale: f64,
        shape: &[usize],
        dtype: DType,
    ) -> Result<Array> {
        check_float(op, dtype)?;
        let mut out = alloc(op, shape, dtype)?;
        let (key, base) = (self.key, self.counter);
        let used = match dtype {
            DType::F64 => fill_normal::<f64>(&mut out, key, base, loc, scale),
            DType::F32 => fill_normal::<f32>(&mut out, key, base, loc, scale),
            DType::F16 => fill_normal::<f16>(&mut out, key, base, loc, scale),
            DType::BF16 => fill_normal::<bf16>(&mut out, key, base, loc, scale),
            _ => unreachable!("checked to be a float dtype"),
        };
        self.advance(used);
        Ok(out)
    }

    /// Uniform integers in `[low, high)` (NumPy's `integers` with its default
    /// `endpoint=False`), unbiased (Lemire's method with rejection). Integer
    /// dtypes only; `low < high`, and `[low, high - 1]` must fit in `dtype`.
    pub fn integers(
        &mut self,
        low: i64,
        high: i64,
        shape: &[usize],
        dtype: DType,
    ) -> Result<Array> {
        const OP: &str = "integers";
        if !dtype.is_integer() {
            return Err(Error::unsupported_dtype(
                OP,
                "an integer dtype (uint8, int8, int16, int32 or int64)",
                dtype,
            ));
        }
        if low >= high {
            return Err(Error::value(
                OP,
                format!("expected low < high (high is exclusive), found low={low}, high={high}"),
            ));
        }
        let (min, max) = match dtype {
            DType::U8 => (0, i64::from(u8::MAX)),
            DType::I8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
            DType::I16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
            DType::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => (i64::MIN, i64::MAX),
        };
        if low < min || high - 1 > max {
            return Err(Error::value(
                OP,
                format!(
                    "expected a range inside [{min}, {max}] for {dtype}, found [{low}, {}]",
                    high - 1
                ),
            ));
        }
        let mut out = alloc(OP, shape, dtype)?;
        let bound = (i128::from(high) - i128::from(low) - 1) as u64;
        let wide = bound > u64::from(u32::MAX);
        crate::dispatch_all!(dtype, T => {
            self.fill_bounded(slice_of::<T>(&mut out), wide, &|_| bound, &|d| T::from_i64(low.wrapping_add(d as i64)));
        });
        Ok(out)
    }

    /// Fills `out[i]` with `conv(d)` for `d` uniform in `0..=bound(i)`
    /// (bounds below `u64::MAX`; at most `u32::MAX` unless `wide`), by the
    /// first-try-plus-fallback layout of the module docs.
    fn fill_bounded<T: Copy + Send>(
        &mut self,
        out: &mut [T],
        wide: bool,
        bound: &(impl Fn(usize) -> u64 + Sync),
        conv: &(impl Fn(u64) -> T + Sync),
    ) {
        let (key, base, n) = (self.key, self.counter, out.len());
        let k = if wide { 2 } else { 4 };
        let rejected = run_chunks(out, |first, chunk| {
            let mut rejected = Vec::new();
            for (j, dst) in chunk.chunks_mut(k).enumerate() {
                let i0 = first + j * k;
                let w = block(key, base.wrapping_add((i0 / k) as u128));
                for (l, d) in dst.iter_mut().enumerate() {
                    let x = if wide {
                        u64_of(w[2 * l], w[2 * l + 1])
                    } else {
                        u64::from(w[l])
                    };
                    match lemire(x, bound(i0 + l), wide) {
                        Some(v) => *d = conv(v),
                        None => rejected.push(i0 + l),
                    }
                }
            }
            rejected
        });
        let mut words = Words::at(key, base.wrapping_add(n.div_ceil(k) as u128));
        for i in rejected {
            let b = bound(i);
            let v = loop {
                let x = if wide {
                    words.next_u64()
                } else {
                    u64::from(words.next_u32())
                };
                if let Some(v) = lemire(x, b, wide) {
                    break v;
                }
            };
            out[i] = conv(v);
        }
        self.counter = words.next_block;
    }

    /// The first `k` entries of a uniformly shuffled `0..n` (a forward
    /// Fisher–Yates shuffle stopped after `k` steps; step `t` swaps `t` with
    /// `t + d`, `d` uniform in `0..=n-1-t`).
    fn partial_shuffle(&mut self, n: usize, k: usize) -> Vec<i64> {
        debug_assert!(k <= n);
        let steps = k.min(n.saturating_sub(1));
        let mut draws = vec![0u64; steps];
        let wide = n.saturating_sub(1) as u64 > u64::from(u32::MAX);
        self.fill_bounded(&mut draws, wide, &|t| (n - 1 - t) as u64, &|d| d);
        let target = |t: usize| t + draws.get(t).map_or(0, |&d| d as usize);
        if k.saturating_mul(4) >= n {
            let mut p: Vec<i64> = (0..n as i64).collect();
            for t in 0..steps {
                p.swap(t, target(t));
            }
            p.truncate(k);
            p
        } else {
            // Few picks from a large population: track only the moved slots.
            let mut moved: HashMap<usize, usize> = HashMap::with_capacity(2 * k);
            let mut picks = Vec::with_capacity(k);
            for t in 0..k {
                let j = target(t);
                let at_j = moved.get(&j).copied().unwrap_or(j);
                let at_t = moved.get(&t).copied().unwrap_or(t);
                moved.insert(j, at_t);
                picks.push(at_j as i64);
            }
            picks
        }
    }

    /// A random permutation of `0..n` as `int64` (NumPy's `permutation(n)`).
    pub fn permutation(&mut self, n: usize) -> Result<Array> {
        let mut out = alloc("permutation", &[n], DType::I64)?;
        let p = self.partial_shuffle(n, n);
        slice_of::<i64>(&mut out).copy_from_slice(&p);
        Ok(out)
    }

    /// A copy of `a` with its first axis shuffled (NumPy's `permutation(a)`).
    pub fn permutation_of(&mut self, a: &Array) -> Result<Array> {
        if a.ndim() == 0 {
            return Err(Error::value(
                "permutation",
                "expected an array of at least 1 dimension, found a 0-d array",
            ));
        }
        let perm = self.permutation(a.shape()[0])?;
        a.take(&perm, Some(0))
    }

    /// Shuffles `a` in place along its first axis (NumPy's `shuffle`); the
    /// array keeps its memory layout.
    pub fn shuffle(&mut self, a: &mut Array) -> Result<()> {
        if a.ndim() == 0 {
            return Err(Error::value(
                "shuffle",
                "expected an array of at least 1 dimension, found a 0-d array",
            ));
        }
        let perm = self.permutation(a.shape()[0])?;
        let shuffled = a.take(&perm, Some(0))?;
        a.assign(&shuffled)
    }

    /// Samples from the first axis of `a` (NumPy's `choice(a, size, replace, p)`
    /// with `axis=0`): the result has shape `size + a.shape[1..]`. `p`, when
    /// given, holds one probability per row of `a`, summing to 1.
    pub fn choice(
        &mut self,
        a: &Array,
        size: &[usize],
        replace: bool,
        p: Option<&[f64]>,
    ) -> Result<Array> {
        if a.ndim() == 0 {
            return Err(Error::value(
                "choice",
                "expected a of at least 1 dimension, found a 0-d array",
            ));
        }
        let idx = self.choice_indices(a.shape()[0], size, replace, p)?;
        a.take(&idx, Some(0))
    }

    /// NumPy's `choice(n, size, replace, p)`: `int64` indices into `0..n` of
    /// shape `size`. Without replacement they are distinct, in the order drawn.
    pub fn choice_indices(
        &mut self,
        n: usize,
        size: &[usize],
        replace: bool,
        p: Option<&[f64]>,
    ) -> Result<Array> {
        const OP: &str = "choice";
        let k = checked_size(OP, size)?;
        if let Some(p) = p {
            check_p(p, n)?;
        }
        if n == 0 && k > 0 {
            return Err(Error::value(
                OP,
                format!("expected a non-empty population to take {k} samples from, found 0"),
            ));
        }
        if !replace && k > n {
            return Err(Error::value(
                OP,
                format!(
                    "expected at most {n} samples (the population) without replacement, found {k}"
                ),
            ));
        }
        if let (false, Some(p)) = (replace, p) {
            let nonzero = p.iter().filter(|&&x| x > 0.0).count();
            if nonzero < k {
                return Err(Error::value(
                    OP,
                    format!("expected at least {k} non-zero entries in p without replacement, found {nonzero}"),
                ));
            }
        }
        let mut out = alloc(OP, size, DType::I64)?;
        if k == 0 {
            return Ok(out);
        }
        let (key, base) = (self.key, self.counter);
        let o = slice_of::<i64>(&mut out);
        match (replace, p) {
            (true, None) => {
                let bound = (n - 1) as u64;
                self.fill_bounded(o, bound > u64::from(u32::MAX), &|_| bound, &|d| d as i64);
            }
            (true, Some(p)) => {
                // Inverse CDF, as NumPy: the first index whose CDF exceeds u.
                let mut acc = 0.0;
                let mut cdf: Vec<f64> = p
                    .iter()
                    .map(|&x| {
                        acc += x;
                        acc
                    })
                    .collect();
                let total = cdf[n - 1];
                cdf.iter_mut().for_each(|c| *c /= total);
                let pick = |u: f64| cdf.partition_point(|&c| c <= u).min(n - 1) as i64;
                let used = fill_blocks::<i64, 2>(o, key, base, |_, w| {
                    [
                        pick(f64_of(u64_of(w[0], w[1]))),
                        pick(f64_of(u64_of(w[2], w[3]))),
                    ]
                });
                self.advance(used);
            }
            (false, None) => o.copy_from_slice(&self.partial_shuffle(n, k)),
            (false, Some(p)) => {
                // Efraimidis–Spirakis: row i gets the key E_i / p_i for
                // E_i ~ Exp(1); the k smallest keys, in increasing order, are
                // distributed as k successive draws without replacement.
                let mut keys = vec![0.0f64; n];
                let used = fill_blocks::<f64, 2>(&mut keys, key, base, |i, w| {
                    let key_of = |i: usize, x: u64| {
                        if i < n && p[i] > 0.0 {
                            -ln(f64_open0(x)) / p[i]
                        } else {
                            f64::INFINITY
                        }
                    };
                    [
                        key_of(i, u64_of(w[0], w[1])),
                        key_of(i + 1, u64_of(w[2], w[3])),
                    ]
                });
                self.advance(used);
                let by_key = |a: &usize, b: &usize| keys[*a].total_cmp(&keys[*b]).then(a.cmp(b));
                let mut rows: Vec<usize> = (0..n).filter(|&i| p[i] > 0.0).collect();
                if k < rows.len() {
                    rows.select_nth_unstable_by(k, by_key);
                    rows.truncate(k);
                }
                rows.sort_unstable_by(by_key);
                for (dst, &r) in o.iter_mut().zip(&rows) {
                    *dst = r as i64;
                }
            }
        }
        Ok(out)
    }

    /// Booleans that are true with probability `p` in `[0, 1]` (a Bernoulli
    /// draw, NumPy's `random(shape) < p`, one 53-bit uniform per element).
    pub fn bernoulli(&mut self, p: f64, shape: &[usize]) -> Result<Array> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::value(
                "bernoulli",
                format!("expected p in [0, 1], found {p}"),
            ));
        }
        let mut out = alloc("bernoulli", shape, DType::Bool)?;
        let used = fill_blocks::<bool, 2>(slice_of(&mut out), self.key, self.counter, |_, w| {
            [
                f64_of(u64_of(w[0], w[1])) < p,
                f64_of(u64_of(w[2], w[3])) < p,
            ]
        });
        self.advance(used);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_counter(g: &Generator) -> u128 {
        words_counter(g.state().counter)
    }

    #[test]
    fn philox_matches_random123_known_answers() {
        // Random123 1.09, examples/kat_vectors, the three "philox4x32 10" lines
        // (counter[4], key[2] -> output[4]).
        let kat: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
            (
                [0; 4],
                [0; 2],
                [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
            ),
            (
                [u32::MAX; 4],
                [u32::MAX; 2],
                [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            ),
            (
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0],
                [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
            ),
        ];
        for (ctr, key, want) in kat {
            assert_eq!(
                philox4x32_10(ctr, key),
                want,
                "ctr {ctr:08x?} key {key:08x?}"
            );
        }
    }

    #[test]
    fn stream_layout_follows_the_documented_contract() {
        // Seed 0 is key [0, 0]; block 0 is the first KAT vector; float64 takes
        // the top 53 bits of (low word | high word << 32).
        let mut g = Generator::new(0);
        let x = g.random(&[3], DType::F64).unwrap().to_vec::<f64>().unwrap();
        let b1 = philox4x32_10([1, 0, 0, 0], [0, 0]);
        let want = [
            (0xe169c58d_6627e8d5u64 >> 11) as f64 / 2f64.powi(53),
            (0x9b00dbd8_bc57ac4cu64 >> 11) as f64 / 2f64.powi(53),
            (u64_of(b1[0], b1[1]) >> 11) as f64 / 2f64.powi(53),
        ];
        assert_eq!(x, want);
        assert_eq!(state_counter(&g), 2, "3 doubles read 2 blocks");
        assert_eq!(
            g.state(),
            PhiloxState {
                key: [0, 0],
                counter: [2, 0, 0, 0]
            }
        );

        // The key holds the seed, low word first.
        assert_eq!(
            Generator::new(0x0123_4567_89ab_cdef).state().key,
            [0x89ab_cdef, 0x0123_4567]
        );

        // The second KAT vector through the generator; the counter then wraps to 0.
        let mut g = Generator::from_state(PhiloxState {
            key: [u32::MAX; 2],
            counter: [u32::MAX; 4],
        });
        let x = g.random(&[4], DType::F32).unwrap().to_vec::<f32>().unwrap();
        let want: Vec<f32> = [0x408f276du32, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
            .iter()
            .map(|&w| (w >> 8) as f32 / 2f32.powi(24))
            .collect();
        assert_eq!(x, want);
        assert_eq!(g.state().counter, [0; 4]);
    }

    #[test]
    fn parallel_fills_keep_the_element_layout() {
        // Long enough to run on rayon's threads and to end in a partial block.
        let n = 3 * PAR_MIN + 7;
        let mut g = Generator::new(7);
        let x = g.random(&[n], DType::F32).unwrap().to_vec::<f32>().unwrap();
        for (i, &v) in x.iter().enumerate() {
            assert_eq!(
                v,
                f32_of(block([7, 0], (i / 4) as u128)[i % 4]),
                "element {i}"
            );
        }
        assert_eq!(state_counter(&g), n.div_ceil(4) as u128);
        let z = g
            .standard_normal(&[n], DType::F64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        let base = n.div_ceil(4) as u128;
        for (i, &v) in z.iter().enumerate() {
            let (z0, z1) = box_muller(block([7, 0], base + (i / 2) as u128));
            assert_eq!(v, if i % 2 == 0 { z0 } else { z1 }, "element {i}");
        }
    }

    #[test]
    fn same_seed_same_sequence_and_different_seeds_differ() {
        let draw = |seed| {
            let mut g = default_rng(seed);
            let a = g
                .random(&[1000], DType::F64)
                .unwrap()
                .to_vec::<f64>()
                .unwrap();
            let b = g
                .integers(-5, 5, &[1000], DType::I32)
                .unwrap()
                .to_vec::<i32>()
                .unwrap();
            let c = g
                .standard_normal(&[1000], DType::F32)
                .unwrap()
                .to_vec::<f32>()
                .unwrap();
            (a, b, c)
        };
        assert_eq!(draw(42), draw(42));
        let (a1, b1, c1) = draw(1);
        let (a2, b2, c2) = draw(2);
        assert_ne!(a1, a2);
        assert_ne!(b1, b2);
        assert_ne!(c1, c2);
        // Successive calls continue the stream instead of repeating it.
        let mut g = default_rng(3);
        let x = g.random(&[8], DType::F64).unwrap().to_vec::<f64>().unwrap();
        let y = g.random(&[8], DType::F64).unwrap().to_vec::<f64>().unwrap();
        assert_ne!(x, y);
    }

    #[test]
    fn state_snapshots_resume_the_stream() {
        let mut g = default_rng(11);
        g.random(&[5], DType::F64).unwrap();
        let snap = g.state();
        let copy = g.clone();
        assert_eq!(copy, g);
        let a = g.permutation(50).unwrap().to_vec::<i64>().unwrap();
        let mut h = Generator::from_state(snap);
        assert_eq!(h.permutation(50).unwrap().to_vec::<i64>().unwrap(), a);
        g.set_state(snap);
        assert_eq!(g, copy);
        // Empty outputs and failed calls read nothing.
        g.random(&[0, 3], DType::F32).unwrap();
        assert!(g.integers(3, 3, &[4], DType::I64).is_err());
        assert!(g.normal(0.0, -1.0, &[4], DType::F64).is_err());
        assert!(g.choice_indices(3, &[4], false, None).is_err());
        assert_eq!(g.state(), snap);
    }

    #[test]
    fn ln_matches_std_within_one_ulp() {
        let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).abs();
        let mut w = Words::at([5, 6], 0);
        for _ in 0..20_000 {
            let u = f64_open0(w.next_u64());
            assert!(
                ulps(ln(u), u.ln()) <= 1,
                "ln({u}) = {} vs {}",
                ln(u),
                u.ln()
            );
            let big = f64::from_bits(w.next_u64() & !(1 << 63)); // positive, any exponent
            if big.is_finite() && big > 0.0 {
                assert!(ulps(ln(big), big.ln()) <= 1, "ln({big})");
            }
        }
        for x in [
            1.0,
            2.0,
            0.5,
            1.0 + f64::EPSILON,
            1.0 - f64::EPSILON / 2.0,
            INV_2_53,
            1e-310,
            f64::MAX,
        ] {
            assert!(
                ulps(ln(x), x.ln()) <= 1,
                "ln({x}) = {} vs {}",
                ln(x),
                x.ln()
            );
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
    }

    #[test]
    fn sincos_matches_std() {
        let mut w = Words::at([9, 9], 0);
        let check = |m: u64| {
            let (s, c) = sincos_turns(m);
            let theta = 2.0 * std::f64::consts::PI * (m as f64 / 2f64.powi(53));
            // std evaluates at the rounded angle, which is off by up to ~4e-16 itself.
            assert!(
                (s - theta.sin()).abs() < 1e-15 && (c - theta.cos()).abs() < 1e-15,
                "m = {m}"
            );
            assert!((s * s + c * c - 1.0).abs() < 4e-16, "m = {m}");
        };
        for _ in 0..20_000 {
            check(w.next_u64() >> 11);
        }
        for q in 0..8u64 {
            for d in [0i64, 1, -1, 1 << 20] {
                check(((q << 50) as i64 + d).clamp(0, (1 << 53) - 1) as u64);
            }
        }
        assert_eq!(sincos_turns(0), (0.0, 1.0));
        assert_eq!(sincos_turns(1 << 51), (1.0, -0.0));
    }

    #[test]
    fn uniform_mean_and_variance() {
        // For n = 100_000 draws of U(0, 1) the sample mean has standard error
        // sqrt(1/12 / n) = 9.1e-4, and the sample variance has standard error
        // sqrt((mu4 - sigma^4) / n) = sqrt((1/80 - 1/144) / n) = 2.4e-4. We
        // allow 5 standard errors (a 6e-7 chance to fail for a fair generator;
        // the seed is fixed anyway, so the test is deterministic).
        let n = 100_000;
        for dtype in [DType::F64, DType::F32, DType::F16, DType::BF16] {
            let x = default_rng(1)
                .random(&[n], dtype)
                .unwrap()
                .to_vec::<f64>()
                .unwrap();
            assert!(x.iter().all(|&v| (0.0..1.0).contains(&v)), "{dtype}");
            let mean = x.iter().sum::<f64>() / n as f64;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            // bfloat16 draws lie on a grid of 1/256, whose mean is 1/512 low and
            // whose variance is (1 - 1/256^2) / 12: allow that too.
            let (grid_mean, grid_var) = match dtype {
                DType::BF16 => (0.5 / 256.0, 1.0 / 12.0 / 65536.0),
                DType::F16 => (0.5 / 2048.0, 1.0 / 12.0 / 2048.0 / 2048.0),
                _ => (0.0, 0.0),
            };
            assert!(
                (mean - 0.5 + grid_mean).abs() < 5.0 * 9.13e-4,
                "{dtype}: mean {mean}"
            );
            assert!(
                (var - 1.0 / 12.0 + grid_var).abs() < 5.0 * 2.36e-4,
                "{dtype}: var {var}"
            );
        }
        // uniform(low, high): mean (low + high)/2, standard error 6 * 9.1e-4.
        let x = default_rng(2)
            .uniform(-2.0, 4.0, &[n], DType::F64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        assert!(x.iter().all(|&v| (-2.0..4.0).contains(&v)));
        let mean = x.iter().sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 5.0 * 6.0 * 9.13e-4, "mean {mean}");
        let y = default_rng(2)
            .uniform(10.0, 20.0, &[1000], DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert!(y.iter().all(|&v| (10.0..=20.0).contains(&v)));
    }

    #[test]
    fn normal_mean_std_and_one_sigma_mass() {
        // n = 100_000 standard normals: the mean has standard error
        // 1/sqrt(n) = 3.2e-3, the variance sqrt(2/n) = 4.5e-3, and the share
        // within one sigma (0.6827) sqrt(0.6827 * 0.3173 / n) = 1.5e-3. Five
        // standard errors each.
        let n = 100_000;
        let z = default_rng(5)
            .standard_normal(&[n], DType::F64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let inside = z.iter().filter(|v| v.abs() < 1.0).count() as f64 / n as f64;
        assert!(mean.abs() < 5.0 * 3.17e-3, "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * 4.48e-3, "var {var}");
        assert!(
            (inside - 0.682_689).abs() < 5.0 * 1.48e-3,
            "within 1 sigma {inside}"
        );
        assert!(z.iter().all(|v| v.is_finite()));

        // normal(loc, scale) is loc + scale * the same stream.
        let y = default_rng(5)
            .normal(3.0, 2.0, &[n], DType::F64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        for (a, b) in z.iter().zip(&y) {
            assert_eq!(3.0 + 2.0 * a, *b);
        }
        // Narrow dtypes round the float64 values.
        let f = default_rng(5)
            .standard_normal(&[1000], DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        for (a, b) in z.iter().zip(&f) {
            assert_eq!(*a as f32, *b);
        }
        let h = default_rng(5).standard_normal(&[7], DType::BF16).unwrap();
        assert_eq!(h.dtype(), DType::BF16);
    }

    #[test]
    fn integers_stay_in_range_and_hit_every_value() {
        let mut g = default_rng(9);
        for dtype in [DType::U8, DType::I8, DType::I16, DType::I32, DType::I64] {
            let x = g.integers(0, 7, &[2000], dtype).unwrap();
            assert_eq!(x.dtype(), dtype);
            let x = x.to_vec::<i64>().unwrap();
            for v in 0..7 {
                assert!(x.contains(&v), "{dtype} never drew {v}");
            }
            assert!(x.iter().all(|v| (0..7).contains(v)));
        }
        let x = g
            .integers(-128, 128, &[20_000], DType::I8)
            .unwrap()
            .to_vec::<i8>()
            .unwrap();
        for v in i8::MIN..=i8::MAX {
            assert!(x.contains(&v), "never drew {v}");
        }
        let x = g
            .integers(-3, -1, &[100], DType::I16)
            .unwrap()
            .to_vec::<i16>()
            .unwrap();
        assert!(x.contains(&-3) && x.contains(&-2) && x.iter().all(|v| (-3..-1).contains(v)));
        // The full int64 range (a 64-bit bound) and a range just over 32 bits.
        let x = g
            .integers(i64::MIN, i64::MAX, &[1000], DType::I64)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        assert!(x.iter().any(|&v| v < 0) && x.iter().any(|&v| v > 0) && !x.contains(&i64::MAX));
        let x = g
            .integers(0, 1 << 33, &[1000], DType::I64)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        assert!(x.iter().all(|v| (0..1 << 33).contains(v)) && x.iter().any(|&v| v >= 1 << 32));
        // A range of one value.
        assert_eq!(
            g.integers(5, 6, &[3], DType::U8)
                .unwrap()
                .to_vec::<u8>()
                .unwrap(),
            vec![5, 5, 5]
        );
    }

    #[test]
    fn integers_are_unbiased_where_multiply_shift_is_not() {
        // For the range 3 * 2^30 a bare floor(x * range / 2^32) maps two
        // words to every multiple of 3 and one to the others, so `v % 3`
        // would be 0 half the time; Lemire's rejection (here of 1/4 of the
        // first tries) makes each residue 1/3. Standard error
        // sqrt(2/9 / n) = 1.5e-3 for n = 100_000; 5 of them allowed.
        let n = 100_000;
        let range = 3i64 << 30;
        let x = default_rng(4)
            .integers(0, range, &[n], DType::I64)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        for r in 0..3 {
            let share = x.iter().filter(|&&v| v % 3 == r).count() as f64 / n as f64;
            assert!(
                (share - 1.0 / 3.0).abs() < 5.0 * 1.49e-3,
                "residue {r}: {share}"
            );
        }
    }

    #[test]
    fn rejected_draws_follow_the_documented_fallback() {
        // A plain sequential reference for the bounded-integer layout, against
        // the chunked (parallel) implementation, with many rejections.
        let n = 2 * PAR_MIN + 3;
        let (low, high) = (-7i64, (3i64 << 30) - 7);
        let mut g = default_rng(8);
        let got = g
            .integers(low, high, &[n], DType::I64)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        let bound = (high - low - 1) as u32;
        let key = [8, 0];
        let mut want = vec![0i64; n];
        let mut rejected = Vec::new();
        for (i, w) in want.iter_mut().enumerate() {
            match lemire32(block(key, (i / 4) as u128)[i % 4], bound) {
                Some(v) => *w = low + i64::from(v),
                None => rejected.push(i),
            }
        }
        assert!(
            rejected.len() > n / 5,
            "the range rejects about 1/4 of first tries"
        );
        let mut words = Words::at(key, n.div_ceil(4) as u128);
        for i in rejected {
            want[i] = loop {
                if let Some(v) = lemire32(words.next_u32(), bound) {
                    break low + i64::from(v);
                }
            };
        }
        assert_eq!(got, want);
        assert_eq!(state_counter(&g), words.next_block);
    }

    #[test]
    fn permutations_are_permutations() {
        let mut g = default_rng(12);
        for n in [0usize, 1, 2, 5, 1000, 3 * PAR_MIN] {
            let p = g.permutation(n).unwrap();
            assert_eq!((p.shape(), p.dtype()), (&[n][..], DType::I64));
            let mut v = p.to_vec::<i64>().unwrap();
            let moved = v
                .iter()
                .enumerate()
                .filter(|(i, &x)| *i as i64 != x)
                .count();
            v.sort_unstable();
            assert_eq!(v, (0..n as i64).collect::<Vec<_>>());
            if n >= 1000 {
                assert!(
                    moved > n / 2,
                    "a shuffle of {n} left {} in place",
                    n - moved
                );
            }
        }
        // All 6 orders of 3 items are equally likely: 6000 shuffles, 1000
        // expected each, standard error sqrt(6000 * 1/6 * 5/6) = 29; 5 of them.
        let mut counts = HashMap::new();
        for _ in 0..6000 {
            *counts
                .entry(g.permutation(3).unwrap().to_vec::<i64>().unwrap())
                .or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 6);
        assert!(
            counts.values().all(|&c| (c as i64 - 1000).abs() < 5 * 29),
            "{counts:?}"
        );
    }

    #[test]
    fn permutation_of_and_shuffle_move_whole_rows() {
        let a = Array::arange(40).unwrap().reshape(&[10, 4]).unwrap();
        let mut g = default_rng(13);
        let b = g.permutation_of(&a).unwrap();
        assert_eq!(b.shape(), &[10, 4]);
        let rows = |x: &Array| {
            let v = x.to_vec::<i64>().unwrap();
            let mut r: Vec<Vec<i64>> = v.chunks(4).map(|c| c.to_vec()).collect();
            assert!(r
                .iter()
                .all(|row| row.windows(2).all(|w| w[1] == w[0] + 1) && row[0] % 4 == 0));
            let order: Vec<i64> = r.iter().map(|row| row[0] / 4).collect();
            r.sort();
            (r, order)
        };
        let (sorted, order) = rows(&b);
        assert_eq!(sorted, rows(&a).0);
        assert_ne!(order, (0..10).collect::<Vec<_>>());
        assert_eq!(
            a.to_vec::<i64>().unwrap(),
            (0..40).collect::<Vec<_>>(),
            "permutation_of copies"
        );

        let mut c = a.clone();
        g.shuffle(&mut c).unwrap();
        assert_eq!(c.shape(), &[10, 4]);
        assert_eq!(rows(&c).0, rows(&a).0);
        assert_ne!(c.to_vec::<i64>().unwrap(), a.to_vec::<i64>().unwrap());
        assert_eq!(
            a.to_vec::<i64>().unwrap(),
            (0..40).collect::<Vec<_>>(),
            "a view's source is untouched"
        );
        // A 1-D shuffle with the same state as permutation gives that permutation.
        let snap = g.state();
        let mut d = Array::arange(20).unwrap();
        g.shuffle(&mut d).unwrap();
        g.set_state(snap);
        assert_eq!(
            d.to_vec::<i64>().unwrap(),
            g.permutation(20).unwrap().to_vec::<i64>().unwrap()
        );

        let mut s = Array::scalar(1.0f64);
        assert!(matches!(
            g.shuffle(&mut s),
            Err(Error::Value { op: "shuffle", .. })
        ));
        assert!(matches!(
            g.permutation_of(&s),
            Err(Error::Value {
                op: "permutation",
                ..
            })
        ));
    }

    #[test]
    fn choice_with_and_without_replacement() {
        let mut g = default_rng(14);
        let distinct = |v: &[i64]| {
            let mut s = v.to_vec();
            s.sort_unstable();
            s.windows(2).all(|w| w[0] != w[1])
        };
        // Without replacement: dense (k close to n) and sparse (k << n) paths.
        for (n, k) in [(10usize, 10usize), (10, 3), (1_000_000, 20), (100, 1)] {
            for _ in 0..20 {
                let v = g
                    .choice_indices(n, &[k], false, None)
                    .unwrap()
                    .to_vec::<i64>()
                    .unwrap();
                assert_eq!(v.len(), k);
                assert!(distinct(&v), "{v:?}");
                assert!(v.iter().all(|&x| (0..n as i64).contains(&x)));
            }
        }
        // choice(n, n, replace=False) with a fresh state is permutation(n).
        let snap = g.state();
        let c = g
            .choice_indices(50, &[50], false, None)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        g.set_state(snap);
        assert_eq!(c, g.permutation(50).unwrap().to_vec::<i64>().unwrap());

        // With replacement: in range, repeats happen.
        let v = g
            .choice_indices(5, &[1000], true, None)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        assert!(v.iter().all(|x| (0..5).contains(x)) && !distinct(&v));

        // Rows of a 2-D array, output shape size + a.shape[1..].
        let a = Array::arange(12).unwrap().reshape(&[6, 2]).unwrap();
        let s = g.choice(&a, &[2, 3], false, None).unwrap();
        assert_eq!(s.shape(), &[2, 3, 2]);
        let v = s.to_vec::<i64>().unwrap();
        assert!(v.chunks(2).all(|r| r[1] == r[0] + 1 && r[0] % 2 == 0));
        assert!(distinct(&v));
        // size [] picks one row without the extra axis.
        assert_eq!(g.choice(&a, &[], true, None).unwrap().shape(), &[2]);
        assert_eq!(g.choice(&a, &[0], false, None).unwrap().shape(), &[0, 2]);
    }

    #[test]
    fn choice_with_probabilities() {
        let mut g = default_rng(15);
        // With replacement the frequencies follow p: standard error at most
        // sqrt(0.25 / 100_000) = 1.6e-3; 5 of them. p = 0 rows never appear.
        let p = [0.1, 0.0, 0.2, 0.7];
        let n = 100_000;
        let v = g
            .choice_indices(4, &[n], true, Some(&p))
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        for (i, &pi) in p.iter().enumerate() {
            let f = v.iter().filter(|&&x| x == i as i64).count() as f64 / n as f64;
            assert!((f - pi).abs() < 5.0 * 1.6e-3, "row {i}: {f} vs {pi}");
        }
        // Without replacement: distinct, never a p = 0 row, and the first pick
        // follows p (20_000 draws: standard error <= 3.5e-3; 5 of them). The
        // second pick, given the first was row 3 (p = 0.7), follows p / 0.3.
        let trials = 20_000;
        let mut first = [0usize; 4];
        let mut second_after_3 = [0usize; 4];
        for _ in 0..trials {
            let v = g
                .choice_indices(4, &[2], false, Some(&p))
                .unwrap()
                .to_vec::<i64>()
                .unwrap();
            assert!(v[0] != v[1] && !v.contains(&1), "{v:?}");
            first[v[0] as usize] += 1;
            if v[0] == 3 {
                second_after_3[v[1] as usize] += 1;
            }
        }
        for (i, &pi) in p.iter().enumerate() {
            let f = first[i] as f64 / trials as f64;
            assert!((f - pi).abs() < 5.0 * 3.5e-3, "first pick {i}: {f} vs {pi}");
        }
        let after: usize = second_after_3.iter().sum();
        let f0 = second_after_3[0] as f64 / after as f64;
        assert!(
            (f0 - 1.0 / 3.0).abs() < 0.03,
            "second pick after row 3: {f0}"
        );
        // All rows with p > 0, large population: a permutation of them.
        let mut q = vec![0.0; 1000];
        for x in q.iter_mut().step_by(2) {
            *x = 1.0 / 500.0;
        }
        let v = g
            .choice_indices(1000, &[500], false, Some(&q))
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..1000).step_by(2).collect::<Vec<i64>>());
    }

    #[test]
    fn choice_errors() {
        let mut g = default_rng(16);
        let a = Array::arange(4).unwrap();
        let msg = |e: Error| e.to_string();
        let e = g.choice(&a, &[2], true, Some(&[0.5, 0.5])).unwrap_err();
        assert!(matches!(e, Error::Shape { op: "choice", .. }), "{e}");
        assert!(msg(e).contains("expected p of the same length as a (4), found length 2"));
        let e = g
            .choice(&a, &[2], true, Some(&[0.5, 0.5, 0.5, 0.5]))
            .unwrap_err();
        assert!(msg(e).contains("summing to 1, found a sum of 2"));
        let e = g
            .choice(&a, &[2], true, Some(&[-0.5, 0.5, 0.5, 0.5]))
            .unwrap_err();
        assert!(msg(e).contains("found p[0] = -0.5"));
        let e = g.choice(&a, &[5], false, None).unwrap_err();
        assert_eq!(
            msg(e),
            "choice: expected at most 4 samples (the population) without replacement, found 5"
        );
        let e = g
            .choice(&a, &[3], false, Some(&[0.5, 0.5, 0.0, 0.0]))
            .unwrap_err();
        assert!(msg(e).contains("expected at least 3 non-zero entries in p"));
        let empty = Array::zeros(&[0], DType::F32).unwrap();
        assert!(matches!(
            g.choice(&empty, &[1], true, None),
            Err(Error::Value { op: "choice", .. })
        ));
        assert_eq!(g.choice(&empty, &[0], true, None).unwrap().shape(), &[0]);
        assert!(matches!(
            g.choice(&Array::scalar(1i64), &[1], true, None),
            Err(Error::Value { op: "choice", .. })
        ));
    }

    #[test]
    fn bernoulli_frequency_and_edges() {
        // n = 100_000 with p = 0.3: standard error sqrt(0.21 / n) = 1.45e-3; 5 of them.
        let n = 100_000;
        let b = default_rng(17).bernoulli(0.3, &[n]).unwrap();
        assert_eq!(b.dtype(), DType::Bool);
        let f = b.to_vec::<bool>().unwrap().iter().filter(|&&x| x).count() as f64 / n as f64;
        assert!((f - 0.3).abs() < 5.0 * 1.45e-3, "{f}");
        let mut g = default_rng(18);
        assert!(g
            .bernoulli(0.0, &[1000])
            .unwrap()
            .to_vec::<bool>()
            .unwrap()
            .iter()
            .all(|&x| !x));
        assert!(g
            .bernoulli(1.0, &[2, 500])
            .unwrap()
            .to_vec::<bool>()
            .unwrap()
            .iter()
            .all(|&x| x));
        for p in [-0.1, 1.5, f64::NAN] {
            let e = g.bernoulli(p, &[3]).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Value {
                        op: "bernoulli",
                        ..
                    }
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn errors_name_the_op_and_what_was_expected() {
        let mut g = default_rng(19);
        let e = g.random(&[3], DType::I32).unwrap_err();
        assert_eq!(
            e.to_string(),
            "random: expected a float dtype (float16, bfloat16, float32 or float64), found int32"
        );
        assert!(matches!(
            g.uniform(0.0, 1.0, &[3], DType::Bool),
            Err(Error::DType { op: "uniform", .. })
        ));
        assert!(matches!(
            g.standard_normal(&[3], DType::I64),
            Err(Error::DType {
                op: "standard_normal",
                ..
            })
        ));
        assert!(matches!(
            g.normal(0.0, 1.0, &[3], DType::U8),
            Err(Error::DType { op: "normal", .. })
        ));
        let e = g.uniform(0.0, f64::INFINITY, &[3], DType::F64).unwrap_err();
        assert!(e.to_string().starts_with("uniform: expected finite"), "{e}");
        let e = g
            .uniform(-f64::MAX, f64::MAX, &[3], DType::F64)
            .unwrap_err();
        assert!(matches!(e, Error::Value { op: "uniform", .. }));
        let e = g.normal(0.0, f64::NAN, &[3], DType::F64).unwrap_err();
        assert_eq!(e.to_string(), "normal: expected scale >= 0, found NaN");
        let e = g.integers(0, 10, &[3], DType::F32).unwrap_err();
        assert!(matches!(e, Error::DType { op: "integers", .. }));
        assert!(g.integers(0, 2, &[3], DType::Bool).is_err());
        let e = g.integers(4, 2, &[3], DType::I64).unwrap_err();
        assert_eq!(
            e.to_string(),
            "integers: expected low < high (high is exclusive), found low=4, high=2"
        );
        let e = g.integers(0, 257, &[3], DType::U8).unwrap_err();
        assert_eq!(
            e.to_string(),
            "integers: expected a range inside [0, 255] for uint8, found [0, 256]"
        );
        assert!(g.integers(0, 256, &[3], DType::U8).is_ok());
        assert!(g.integers(-129, 0, &[3], DType::I8).is_err());
        let e = g.random(&[usize::MAX, 2], DType::F64).unwrap_err();
        assert!(matches!(e, Error::Value { op: "random", .. }), "{e}");
    }
}
