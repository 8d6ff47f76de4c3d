//! The Philox4x32-10 counter-based bit generator, the conversions of its
//! words to floats, and Lemire's unbiased bounded integers.

// ---- Philox4x32-10 ---------------------------------------------------------------

pub(super) const PHILOX_M0: u32 = 0xD251_1F53;
pub(super) const PHILOX_M1: u32 = 0xCD9E_8D57;
pub(super) const PHILOX_W0: u32 = 0x9E37_79B9;
pub(super) const PHILOX_W1: u32 = 0xBB67_AE85;

/// One block of Philox4x32-10 (Salmon et al., "Parallel random numbers: as
/// easy as 1, 2, 3", SC 2011): ten rounds over a 128-bit `counter` under a
/// 64-bit `key`, the key bumped by the Weyl constants between rounds.
///
/// ```
/// use kusari_array::ops::random::philox4x32_10;
/// assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
/// ```
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let p0 = u64::from(PHILOX_M0) * u64::from(c0);
        let p1 = u64::from(PHILOX_M1) * u64::from(c2);
        (c0, c1, c2, c3) = (
            ((p1 >> 32) as u32) ^ c1 ^ k0,
            p1 as u32,
            ((p0 >> 32) as u32) ^ c3 ^ k1,
            p0 as u32,
        );
    }
    [c0, c1, c2, c3]
}

#[inline]
pub(super) fn counter_words(c: u128) -> [u32; 4] {
    [
        c as u32,
        (c >> 32) as u32,
        (c >> 64) as u32,
        (c >> 96) as u32,
    ]
}

#[inline]
pub(super) fn words_counter(w: [u32; 4]) -> u128 {
    u128::from(w[0]) | u128::from(w[1]) << 32 | u128::from(w[2]) << 64 | u128::from(w[3]) << 96
}

#[inline]
pub(super) fn block(key: [u32; 2], counter: u128) -> [u32; 4] {
    philox4x32_10(counter_words(counter), key)
}

/// Two consecutive stream words as one 64-bit value, low word first.
#[inline]
pub(super) fn u64_of(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | u64::from(hi) << 32
}

pub(super) const INV_2_53: f64 = 1.0 / 9_007_199_254_740_992.0;
pub(super) const INV_2_24: f32 = 1.0 / 16_777_216.0;
pub(super) const INV_2_11: f32 = 1.0 / 2048.0;
pub(super) const INV_2_8: f32 = 1.0 / 256.0;

/// A float64 in `[0, 1)` from the top 53 bits.
#[inline]
pub(super) fn f64_of(x: u64) -> f64 {
    (x >> 11) as f64 * INV_2_53
}

/// A float64 in `(0, 1]` from the top 53 bits (safe to take the log of).
#[inline]
pub(super) fn f64_open0(x: u64) -> f64 {
    ((x >> 11) + 1) as f64 * INV_2_53
}

/// A float32 in `[0, 1)` from the top 24 bits of a word.
#[inline]
pub(super) fn f32_of(w: u32) -> f32 {
    (w >> 8) as f32 * INV_2_24
}

/// Sequential words from consecutive blocks, for the rejection fallback.
pub(super) struct Words {
    key: [u32; 2],
    pub(super) next_block: u128,
    buf: [u32; 4],
    used: usize,
}

impl Words {
    pub(super) fn at(key: [u32; 2], first_block: u128) -> Words {
        Words {
            key,
            next_block: first_block,
            buf: [0; 4],
            used: 4,
        }
    }

    #[inline]
    pub(super) fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            self.buf = block(self.key, self.next_block);
            self.next_block = self.next_block.wrapping_add(1);
            self.used = 0;
        }
        self.used += 1;
        self.buf[self.used - 1]
    }

    #[inline]
    pub(super) fn next_u64(&mut self) -> u64 {
        let lo = self.next_u32();
        u64_of(lo, self.next_u32())
    }
}

// ---- Lemire's unbiased bounded integers -----------------------------------------------

/// Lemire's method on one 32-bit word: `Some(v)` uniform in `0..=bound`, or
/// `None` when the word falls in the rejected zone and a new one is needed.
#[inline]
pub(super) fn lemire32(x: u32, bound: u32) -> Option<u32> {
    if bound == u32::MAX {
        return Some(x);
    }
    let range = bound + 1;
    let m = u64::from(x) * u64::from(range);
    let low = m as u32;
    if low < range && low < range.wrapping_neg() % range {
        return None;
    }
    Some((m >> 32) as u32)
}

/// Lemire's method on one 64-bit value (see [`lemire32`]).
#[inline]
pub(super) fn lemire64(x: u64, bound: u64) -> Option<u64> {
    if bound == u64::MAX {
        return Some(x);
    }
    let range = bound + 1;
    let m = u128::from(x) * u128::from(range);
    let low = m as u64;
    if low < range && low < range.wrapping_neg() % range {
        return None;
    }
    Some((m >> 64) as u64)
}

#[inline]
pub(super) fn lemire(x: u64, bound: u64, wide: bool) -> Option<u64> {
    if wide {
        lemire64(x, bound)
    } else {
        lemire32(x as u32, bound as u32).map(u64::from)
    }
}
