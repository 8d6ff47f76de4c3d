//! Float64 `ln`, `sin` and `cos` from `+ - * /`, `sqrt` and bit operations
//! only, so that every platform gets identical bits (the platform's libm may
//! differ in the last place). Ported from fdlibm, whose notice follows:
//!
//! Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//! Developed at SunSoft, a Sun Microsystems, Inc. business.
//! Permission to use, copy, modify, and distribute this software is freely
//! granted, provided that this notice is preserved.

/// `ln(x)` for `x > 0`, fdlibm's `__ieee754_log` (error below 1 ulp), written
/// with basic IEEE operations only so that it gives the same bits everywhere.
pub(super) fn ln(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931471803691238e-1; // 0x3fe62e42_fee00000
    const LN2_LO: f64 = 1.9082149292705877e-10; // 0x3dea39ef_35793c76
    const TWO54: f64 = 1.8014398509481984e16; // 2^54
    const THIRD: f64 = 3.333333333333333e-1; // 0x3fd55555_55555555
    const LG1: f64 = 6.666666666666735e-1; // 0x3fe55555_55555593
    const LG2: f64 = 3.999999999940942e-1; // 0x3fd99999_9997fa04
    const LG3: f64 = 2.857142874366239e-1; // 0x3fd24924_94229359
    const LG4: f64 = 2.2222198432149784e-1; // 0x3fcc71c5_1d8e78af
    const LG5: f64 = 1.818357216161805e-1; // 0x3fc74664_96cb03de
    const LG6: f64 = 1.5313837699209373e-1; // 0x3fc39a09_d078c69f
    const LG7: f64 = 1.4798198605116586e-1; // 0x3fc2f112_df3e5244

    let mut x = x;
    let mut hx = (x.to_bits() >> 32) as i32;
    let mut k: i32 = 0;
    if hx < 0x0010_0000 {
        // Zero, negative or subnormal.
        if x == 0.0 {
            return f64::NEG_INFINITY;
        }
        if x < 0.0 {
            return f64::NAN;
        }
        k -= 54;
        x *= TWO54;
        hx = (x.to_bits() >> 32) as i32;
    }
    if hx >= 0x7ff0_0000 {
        return x + x;
    }
    k += (hx >> 20) - 1023;
    hx &= 0x000f_ffff;
    let i = (hx + 0x95f64) & 0x10_0000;
    // Normalize x to [sqrt(2)/2, sqrt(2)).
    x = f64::from_bits((((hx | (i ^ 0x3ff0_0000)) as u64) << 32) | (x.to_bits() & 0xffff_ffff));
    k += i >> 20;
    let f = x - 1.0;
    let dk = f64::from(k);
    if (0x000f_ffff & (2 + hx)) < 3 {
        // |f| < 2^-20.
        if f == 0.0 {
            return if k == 0 {
                0.0
            } else {
                dk * LN2_HI + dk * LN2_LO
            };
        }
        let r = f * f * (0.5 - THIRD * f);
        return if k == 0 {
            f - r
        } else {
            dk * LN2_HI - ((r - dk * LN2_LO) - f)
        };
    }
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    if ((hx - 0x6147a) | (0x6b851 - hx)) > 0 {
        let hfsq = 0.5 * f * f;
        if k == 0 {
            f - (hfsq - s * (hfsq + r))
        } else {
            dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
        }
    } else if k == 0 {
        f - s * (f - r)
    } else {
        dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    }
}

/// `sin(x)` for `|x| <= pi/4` (fdlibm's `__kernel_sin` with no tail).
#[inline]
fn kernel_sin(x: f64) -> f64 {
    const S1: f64 = -1.6666666666666632e-1; // 0xbfc55555_55555549
    const S2: f64 = 8.33333333332249e-3; // 0x3f811111_1110f8a6
    const S3: f64 = -1.984126982985795e-4; // 0xbf2a01a0_19c161d5
    const S4: f64 = 2.7557313707070068e-6; // 0x3ec71de3_57b1fe7d
    const S5: f64 = -2.5050760253406863e-8; // 0xbe5ae5e6_8a2b9ceb
    const S6: f64 = 1.58969099521155e-10; // 0x3de5d93a_5acfd57c
    let z = x * x;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    x + z * x * (S1 + z * r)
}

/// `cos(x)` for `|x| <= pi/4` (fdlibm's `__kernel_cos` with no tail).
#[inline]
fn kernel_cos(x: f64) -> f64 {
    const C1: f64 = 4.16666666666666e-2; // 0x3fa55555_5555554c
    const C2: f64 = -1.388888888887411e-3; // 0xbf56c16c_16c15177
    const C3: f64 = 2.480158728947673e-5; // 0x3efa01a0_19cb1590
    const C4: f64 = -2.7557314351390663e-7; // 0xbe927e4f_809c52ad
    const C5: f64 = 2.087572321298175e-9; // 0x3e21ee9e_bdb4b1c4
    const C6: f64 = -1.1359647557788195e-11; // 0xbda8fae9_be8838d4
    let z = x * x;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + z * r)
}

/// `(sin, cos)` of `2 pi m / 2^53` for a 53-bit integer `m`. The reduction to
/// a quadrant is done on the integer, so it is exact.
#[inline]
pub(super) fn sincos_turns(m: u64) -> (f64, f64) {
    const INV_2_51: f64 = 1.0 / 2_251_799_813_685_248.0;
    // The angle is (pi/2) * m / 2^51: take the nearest quadrant q and the
    // remainder r in [-2^50, 2^50], so that |x| <= pi/4.
    let q = (m + (1 << 50)) >> 51;
    let r = m as i64 - (q << 51) as i64;
    let x = (r as f64 * INV_2_51) * std::f64::consts::FRAC_PI_2;
    let (s, c) = (kernel_sin(x), kernel_cos(x));
    match q & 3 {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}
