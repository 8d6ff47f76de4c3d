//! The generator's fixed-rate draws (`random`, `uniform`, `standard_normal`,
//! `normal`) off the CPU: one [`ElementwiseKernel`] in which element `i`
//! computes its own Philox block from `(key, counter + i / K)` and takes
//! its word(s), exactly the stream layout of the module docs. So a GPU
//! gives the CPU's numbers for the same seed and state: `random` bit for
//! bit (its conversions are exact), `uniform` within an ulp (NVRTC may fuse
//! `low + span * u` into one FMA), normals within an ulp or two (the
//! device's `log`/`sin`/`cos` stand in for the bit-reproducible fdlibm
//! routines the CPU uses). The interpreter, which never fuses, matches the
//! CPU loops bit for bit on all but the normals.

use super::super::kernel_path::{cached, KernelDef};
use crate::{Array, DType, Device, ElementwiseKernel, KernelArg, Order, Result};

use std::sync::OnceLock;

/// `mode` 0: `random`: the top `bits` of a word times `unit` (2^-bits),
/// or with `bits` 53 the top 53 bits of two words; 1: `low + span * u` from 24-bit (or, with `bits` 53, 53-bit)
/// uniforms; 2: `low + span * z` for Box–Muller normals `z`, two elements
/// per block.
pub(crate) const PHILOX: KernelDef = (
    "kusari_philox",
    "int64 k0, int64 k1, int64 c0, int64 c1, int64 c2, int64 c3, int64 mode, int64 bits, float64 unit, float64 low, float64 span",
    "T out",
    "long long per = 4;
     if (bits == 53 || mode == 2) { per = 2; }
     unsigned long long q = (unsigned long long)(i / per);
     long long lane = i % per;
     unsigned int x0 = (unsigned int)c0;
     unsigned int x1 = (unsigned int)c1;
     unsigned int x2 = (unsigned int)c2;
     unsigned int x3 = (unsigned int)c3;
     unsigned long long s = (unsigned long long)x0 + (q & 0xFFFFFFFFull);
     x0 = (unsigned int)s;
     s = (unsigned long long)x1 + (q >> 32) + (s >> 32);
     x1 = (unsigned int)s;
     s = (unsigned long long)x2 + (s >> 32);
     x2 = (unsigned int)s;
     x3 = x3 + (unsigned int)(s >> 32);
     unsigned int key0 = (unsigned int)k0;
     unsigned int key1 = (unsigned int)k1;
     for (int r = 0; r < 10; r++) {
       if (r > 0) { key0 = key0 + 0x9E3779B9u; key1 = key1 + 0xBB67AE85u; }
       unsigned long long p0 = (unsigned long long)0xD2511F53u * x0;
       unsigned long long p1 = (unsigned long long)0xCD9E8D57u * x2;
       unsigned int n0 = (unsigned int)(p1 >> 32) ^ x1 ^ key0;
       unsigned int n2 = (unsigned int)(p0 >> 32) ^ x3 ^ key1;
       x1 = (unsigned int)p1;
       x3 = (unsigned int)p0;
       x0 = n0;
       x2 = n2;
     }
     double v = 0.0;
     if (mode == 2) {
       unsigned long long a = ((unsigned long long)x1 << 32) | x0;
       unsigned long long b = ((unsigned long long)x3 << 32) | x2;
       double u = (double)((a >> 11) + 1) * 1.1102230246251565e-16;
       double radius = sqrt(-2.0 * log(u));
       double angle = (double)(b >> 11) * 6.975736996017264e-16;
       if (lane == 0) { v = radius * cos(angle); } else { v = radius * sin(angle); }
       v = low + span * v;
     } else if (per == 2) {
       unsigned long long a = ((unsigned long long)x1 << 32) | x0;
       if (lane == 1) { a = ((unsigned long long)x3 << 32) | x2; }
       v = (double)(a >> 11) * 1.1102230246251565e-16;
       if (mode == 1) { v = low + span * v; }
     } else {
       unsigned int w = x0;
       if (lane == 1) { w = x1; }
       if (lane == 2) { w = x2; }
       if (lane == 3) { w = x3; }
       if (mode == 0) {
         v = (double)(w >> (32 - bits)) * unit;
       } else {
         v = low + span * ((double)(w >> 8) * 5.9604644775390625e-08);
       }
     }
     out = v;",
);

/// What a draw computes (the kernel's `mode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Draw {
    /// NumPy's `random`: the dtype's own bits, exact.
    Random,
    /// `low + span * u` in float64, rounded to the dtype.
    Uniform { low: f64, span: f64 },
    /// `loc + scale * z` for Box–Muller normals.
    Normal { loc: f64, scale: f64 },
}

/// Elements per block of a draw in `dtype` (the stream's `K`).
pub(super) fn per_block(draw: Draw, dtype: DType) -> usize {
    if dtype == DType::F64 || matches!(draw, Draw::Normal { .. }) {
        2
    } else {
        4
    }
}

/// A fresh `(shape, dtype)` array on `device` filled from blocks
/// `counter ..` under `key` (the caller advances its counter by
/// `ceil(size / per_block)`).
pub(super) fn draw(
    key: [u32; 2],
    counter: [u32; 4],
    draw: Draw,
    shape: &[usize],
    dtype: DType,
    device: Device,
) -> Result<Array> {
    static CELL: OnceLock<ElementwiseKernel> = OnceLock::new();
    let mut out = Array::uninit_ordered(dtype, shape, Order::C, None, device)?;
    if out.size() == 0 {
        return Ok(out);
    }
    let bits: i64 = match dtype {
        DType::F64 => 53,
        DType::F32 => 24,
        DType::F16 => 11,
        _ => 8,
    };
    let (mode, low, span) = match draw {
        Draw::Random => (0i64, 0.0, 1.0),
        Draw::Uniform { low, span } => (1, low, span),
        Draw::Normal { loc, scale } => (2, loc, scale),
    };
    let unit = 0.5f64.powi(bits as i32);
    let mut args: Vec<KernelArg> = key
        .iter()
        .chain(&counter)
        .map(|&w| KernelArg::from(i64::from(w)))
        .collect();
    args.extend([
        KernelArg::from(mode),
        KernelArg::from(bits),
        KernelArg::from(unit),
        KernelArg::from(low),
        KernelArg::from(span),
    ]);
    cached(&CELL, PHILOX).call_with(&args, &mut [&mut out], None)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::super::kernel_path::forced;
    use super::super::{Generator, PhiloxState};
    use crate::{DType, Device};

    fn values(a: &crate::Array) -> Vec<f64> {
        a.astype(DType::F64).unwrap().to_vec::<f64>().unwrap()
    }

    /// The kernel (run by the interpreter) against the CPU loops from the
    /// same state: `random` and `uniform` bit for bit in every float dtype,
    /// normals within 4e-15 relative, and both generators' counters alike
    /// afterwards. Odd sizes end mid-block; a counter about to carry across
    /// its 32-bit words checks the kernel's 128-bit addition.
    #[test]
    fn device_draws_match_the_cpu_stream() {
        let states = [
            PhiloxState {
                key: [7, 0],
                counter: [0; 4],
            },
            PhiloxState {
                key: [0xDEAD_BEEF, 0x0123_4567],
                counter: [u32::MAX - 3, u32::MAX, 5, 0],
            },
            PhiloxState {
                key: [1, 2],
                counter: [u32::MAX - 1, u32::MAX, u32::MAX, u32::MAX],
            },
        ];
        for state in states {
            for dtype in [DType::F64, DType::F32, DType::F16, DType::BF16] {
                for n in [1usize, 7, 33] {
                    let (mut cpu, mut dev) =
                        (Generator::from_state(state), Generator::from_state(state));
                    let what = format!("{state:?} {dtype} n={n}");
                    let a = cpu.random(&[n], dtype).unwrap();
                    let b = forced(|| dev.random_on(&[n], dtype, Device::Cpu)).unwrap();
                    assert_eq!(values(&b), values(&a), "random {what}");
                    let a = cpu.uniform(-3.0, 5.5, &[n], dtype).unwrap();
                    let b = forced(|| dev.uniform_on(-3.0, 5.5, &[n], dtype, Device::Cpu)).unwrap();
                    assert_eq!(values(&b), values(&a), "uniform {what}");
                    let a = values(&cpu.normal(1.5, 2.0, &[n], dtype).unwrap());
                    let b = values(
                        &forced(|| dev.normal_on(1.5, 2.0, &[n], dtype, Device::Cpu)).unwrap(),
                    );
                    // float64 within rounding; narrower dtypes may round the
                    // nearly equal float64 values to neighbouring floats.
                    let tol = match dtype {
                        DType::F64 => 4e-15,
                        DType::F32 => 1.2e-7,
                        DType::F16 => 1e-3,
                        _ => 8e-3,
                    };
                    for (x, y) in a.iter().zip(&b) {
                        assert!(
                            (x - y).abs() <= tol * x.abs().max(1.0),
                            "normal {what}: cpu {x}, kernel {y}"
                        );
                    }
                    assert_eq!(dev.state(), cpu.state(), "counter after {what}");
                }
            }
        }
        // Validation happens before any draw, as on the CPU.
        let mut g = Generator::new(0);
        assert!(forced(|| g.normal_on(0.0, -1.0, &[3], DType::F32, Device::Cpu)).is_err());
        assert!(forced(|| g.random_on(&[3], DType::I32, Device::Cpu)).is_err());
        assert!(
            forced(|| g.uniform_on(0.0, f64::INFINITY, &[3], DType::F32, Device::Cpu)).is_err()
        );
        assert_eq!(g.state(), Generator::new(0).state());
        let empty = forced(|| g.random_on(&[0, 3], DType::F32, Device::Cpu)).unwrap();
        assert_eq!(empty.shape(), [0, 3]);
    }
}
