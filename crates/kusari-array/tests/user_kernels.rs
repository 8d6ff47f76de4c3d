//! User-defined kernels on the CPU, compared with the same computation written
//! with array ops or a Rust closure.
//!
//! Every kernel is defined in `KERNELS` (name, in_params, out_params,
//! operation, preamble) so that the GPU CI check can compile the same table
//! with NVRTC.

use kusari_array::{Array, DType, ElementwiseKernel, Error, KernelArg, RawKernel, ReductionKernel};

/// (name, in_params, out_params, operation, preamble)
pub const KERNELS: &[(&str, &str, &str, &str, &str)] = &[
    ("seed", "float32 x, float32 y", "float32 z", "z = x + 2 * y;", ""),
    ("axpy_t", "T x, T y, T a", "T z", "z = a * x + y;", ""),
    (
        "constructs",
        "float32 x, int32 n",
        "float32 y",
        "float acc = 0.0f;
         int k;
         for (k = 0; k < n; ++k) {
             if (k % 2 == 0) acc += x; else acc -= 0.5f * x;
         }
         int j = 0;
         while (j < 3) { j++; if (j == 2) continue; acc = acc + 1; }
         y = (acc > 1.0f && !(x < 0)) ? acc : -acc;
         y = y + (float)(k | 4) + static_cast<float>(n ^ 1) + float(n & 6) + ((n << 2) >> 1);",
        "",
    ),
    (
        "loop_break",
        "int32 n",
        "int32 y",
        "int s = 0;
         for (int k = 0; k < 100; k++) {
             if (k >= n) break;
             if (k == 3) continue;
             s += k;
         }
         y = s;",
        "",
    ),
    (
        "int_semantics",
        "int32 a, int32 b",
        "int32 q, int32 r, int32 w, int8 c",
        "q = a / b; r = a % b; w = a * 1000000; c = a * 3;",
        "",
    ),
    (
        "unsigned_ops",
        "int64 a",
        "int64 y",
        "unsigned int u = (unsigned int)a; u -= 1u; long long v = u; y = v + (-1 < 0u);",
        "",
    ),
    (
        "math_f32",
        "float32 x",
        "float32 y",
        "y = expf(x * 0.1f) + log1pf(fabsf(x)) + sqrt(fabs(x)) + rsqrt(x * x + 1.0f) + tanh(x) + sinh(x * 0.1f)
           + cosh(x * 0.1f) + sin(x) + cos(x) + tan(x * 0.1f) + atan2(x, 2.0f) + pow(fabs(x), 1.5f) + max(x, 0.5f)
           + min(x, -0.5f) + fmax(x, 0.f) + fmin(x, 0.f) + floor(x) + ceil(x) + round(x) + erf(x) + expm1(x * 0.1f)
           + log(fabs(x) + 1.0f) + (isnan(x) ? 1.0f : 0.0f) + (isinf(x) ? 1.0f : 0.0f);",
        "",
    ),
    ("math_f64", "float64 x", "float64 y", "y = exp(x) * log(x + 10.0) - pow(x, 2.0) + erf(x) + erfc(x) * lgamma(x + 0.5);", ""),
    ("half_in", "float16 x, bfloat16 b", "float16 y", "y = x * 3 + b;", ""),
    ("reverse", "raw T x", "T y", "y = x[_ind.size() - 1 - i];", ""),
    ("stencil", "raw T x", "T y", "y = (i > 0 ? x[i - 1] : x[i]) + x[i];", ""),
    ("raw_only", "raw T x", "raw T y", "y[i] = x[i] * 2;", ""),
    ("histogram", "T w, int32 bin", "raw T acc", "atomicAdd(&acc[bin], w);", ""),
    (
        "atomic_kin",
        "int64 v, int32 bin, int32 c, float32 f",
        "raw int64 hi, raw int64 lo, raw int32 left, raw float32 last",
        "atomicMax(&hi[bin], v); atomicMin(&lo[bin], v); atomicSub(&left[bin], c);
         if (i % 2 == 0) atomicExch(&last[bin], f);",
        "",
    ),
    ("raw_2d", "raw float32 m, int64 n", "float32 s", "s = 0; for (int k = 0; k < n; ++k) s += m[i * n + k];", ""),
    ("sq_pre", "T x", "T y", "y = twice(sq(x)) + clampit(x);",
        "__device__ T sq(T v) { return v * v; }
         __device__ inline T twice(const T& v) { T r = v + v; return r; }
         __device__ T clampit(T v) { if (v > 1) return 1; if (v < -1) { return -1; } return v; }"),
    ("reads_out", "float32 x", "float32 y", "y += x; if (x > 0) y *= 2;", ""),
    ("two_out", "T x", "T y, T z", "y = x + 1; z = x - 1;", ""),
    (
        "compound_ops",
        "int32 a, int32 b",
        "int32 y",
        "int t = a; t /= 3; t *= 2; t %= 7; t += 100; t -= b; t &= 0xFF; t |= 0x100; t ^= 5;
         t <<= 2; t >>= 1; t = ~t; --t; t++;
         y = (a > 0 || b > 0) ? t : -t;
         y = y + (a != b) + (a <= b) + (a == b) + (a >= b) + (a < b);",
        "",
    ),
    (
        "more_math",
        "float64 x",
        "float64 y",
        "y = exp2(x) + log2(x + 4.0) + log10(x + 4.0) + cbrt(x) + asin(x * 0.2) + acos(x * 0.2) + atan(x)
           + trunc(x) + hypot(x, 3.0) + fmod(x, 1.5) + (isfinite(x) ? 1.0 : 0.0) + abs(x) + log2f(4.0f)
           + 10.0 * rint(x) + 100.0 * nearbyint(x * 2.0 + 0.5);",
        "",
    ),
];

fn def(name: &str) -> ElementwiseKernel {
    let (n, i, o, op, pre) = *KERNELS
        .iter()
        .find(|k| k.0 == name)
        .expect("kernel in table");
    let k = ElementwiseKernel::new(i, o, op, n).expect("kernel builds");
    if pre.is_empty() {
        k
    } else {
        k.with_preamble(pre).expect("preamble parses")
    }
}

fn lin(n: usize, scale: f32, shift: f32) -> Vec<f32> {
    (0..n).map(|k| k as f32 * scale + shift).collect()
}

#[test]
fn seed_kernel_matches_array_ops_with_broadcasting_and_threads() {
    let k = def("seed");
    // 3 × 40000 elements: several rayon chunks.
    let x = Array::from_vec(lin(120_000, 0.001, -3.0), &[3, 40_000]).unwrap();
    let y = Array::from_vec(lin(40_000, -0.01, 1.0), &[40_000]).unwrap();
    let z = k.call(&[&x, &y]).unwrap();
    let r = &x + &(&y * 2.0);
    assert_eq!(z.shape(), &[3, 40_000]);
    assert_eq!(z.dtype(), DType::F32);
    // The same f32 operations in the same order: bitwise equal.
    assert_eq!(z.to_vec::<f32>().unwrap(), r.to_vec::<f32>().unwrap());
    // Into a given output, and into a non-contiguous (transposed) one.
    let mut out = Array::zeros(&[3, 40_000], DType::F32).unwrap();
    k.call_out(&[&x, &y], &mut [&mut out]).unwrap();
    assert_eq!(out.to_vec::<f32>().unwrap(), r.to_vec::<f32>().unwrap());
    let xt = Array::from_vec(lin(6, 1.0, 0.0), &[2, 3]).unwrap();
    let mut ot = Array::zeros(&[3, 2], DType::F32).unwrap().t();
    let yt = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    k.call_out(&[&xt, &yt], &mut [&mut ot]).unwrap();
    assert_eq!(
        ot.to_vec::<f32>().unwrap(),
        vec![2.0, 5.0, 8.0, 5.0, 8.0, 11.0]
    );
}

#[test]
fn placeholders_bind_from_arrays_and_scalars() {
    let k = def("axpy_t");
    let x = Array::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap();
    let y = Array::from_vec(vec![10.0f64, 20.0, 30.0], &[3]).unwrap();
    let z = k
        .call(&[
            KernelArg::from(&x),
            KernelArg::from(&y),
            KernelArg::from(2.5f64),
        ])
        .unwrap();
    assert_eq!(z.dtype(), DType::F64);
    assert_eq!(z.to_vec::<f64>().unwrap(), vec![12.5, 25.0, 37.5]);
    // A scalar takes the placeholder bound by arrays (int scalar into a float32 T).
    let xf = x.astype(DType::F32).unwrap();
    let yf = y.astype(DType::F32).unwrap();
    let z = k
        .call(&[
            KernelArg::from(&xf),
            KernelArg::from(&yf),
            KernelArg::from(3i64),
        ])
        .unwrap();
    assert_eq!(z.dtype(), DType::F32);
    assert_eq!(z.to_vec::<f32>().unwrap(), vec![13.0, 26.0, 39.0]);
    // Bound by scalars only: the scalar's own dtype; size= gives the loop length.
    let z = k
        .call_with(
            &[
                KernelArg::from(2i32),
                KernelArg::from(3i32),
                KernelArg::from(4i32),
            ],
            &mut [],
            Some(2),
        )
        .unwrap();
    assert_eq!(z[0].dtype(), DType::I32);
    assert_eq!(z[0].to_vec::<i32>().unwrap(), vec![11, 11]);
    let only = ElementwiseKernel::new("T a, T b", "T c", "c = a * b + i;", "only_scalars").unwrap();
    let c = only
        .call_with(
            &[KernelArg::from(2i32), KernelArg::from(3i32)],
            &mut [],
            Some(3),
        )
        .unwrap();
    assert_eq!(c[0].dtype(), DType::I32);
    assert_eq!(c[0].to_vec::<i32>().unwrap(), vec![6, 7, 8]);
    // Conflicting bindings.
    let xi = Array::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
    let e = k
        .call(&[
            KernelArg::from(&x),
            KernelArg::from(&xi),
            KernelArg::from(1.0f64),
        ])
        .unwrap_err();
    assert!(matches!(e, Error::DType { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("axpy_t")
            && msg.contains("`T`")
            && msg.contains("float64")
            && msg.contains("int32"),
        "{msg}"
    );
    // Outputs bind first.
    let mut o = Array::zeros(&[3], DType::F32).unwrap();
    let e = k
        .call_out(
            &[
                KernelArg::from(&x),
                KernelArg::from(&y),
                KernelArg::from(1.0f64),
            ],
            &mut [&mut o],
        )
        .unwrap_err();
    assert!(e.to_string().contains("output `z`"), "{e}");
}

#[test]
fn control_flow_casts_and_operators_match_a_closure() {
    let k = def("constructs");
    let xs: Vec<f32> = vec![-2.0, -0.5, 0.0, 0.25, 1.0, 3.5];
    let ns: Vec<i32> = vec![0, 1, 2, 3, 4, 7];
    let x = Array::from_vec(xs.clone(), &[6, 1]).unwrap();
    let n = Array::from_vec(ns.clone(), &[1, 6]).unwrap();
    let y = k.call(&[&x, &n]).unwrap();
    assert_eq!(y.shape(), &[6, 6]);
    let reference = |x: f32, n: i32| -> f32 {
        let mut acc = 0.0f32;
        let mut k = 0;
        while k < n {
            if k % 2 == 0 {
                acc += x
            } else {
                acc -= 0.5 * x
            }
            k += 1;
        }
        let mut j = 0;
        while j < 3 {
            j += 1;
            if j == 2 {
                continue;
            }
            acc += 1.0;
        }
        // Written as the kernel's C expression (NaN-aware negation).
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        let mut y = if acc > 1.0 && !(x < 0.0) { acc } else { -acc };
        y = y + (k | 4) as f32 + (n ^ 1) as f32 + (n & 6) as f32 + ((n << 2) >> 1) as f32;
        y
    };
    let got = y.to_vec::<f32>().unwrap();
    for (a, &xv) in xs.iter().enumerate() {
        for (b, &nv) in ns.iter().enumerate() {
            assert_eq!(got[a * 6 + b], reference(xv, nv), "x={xv} n={nv}");
        }
    }
}

#[test]
fn break_and_continue_are_per_element() {
    let k = def("loop_break");
    let n = Array::from_vec(vec![0i32, 1, 3, 4, 5, 10, 200], &[7]).unwrap();
    let y = k.call(&[&n]).unwrap();
    let r: Vec<i32> = [0i32, 1, 3, 4, 5, 10, 200]
        .iter()
        .map(|&n| (0..100.min(n)).filter(|&k| k != 3).sum())
        .collect();
    assert_eq!(y.to_vec::<i32>().unwrap(), r);
}

#[test]
fn integer_semantics_are_c() {
    let k = def("int_semantics");
    let a = Array::from_vec(vec![7i32, -7, 7, -7, 5000, 100], &[6]).unwrap();
    let b = Array::from_vec(vec![2i32, 2, -2, -2, 3, 0], &[6]).unwrap();
    let o = k.call_multi(&[&a, &b]).unwrap();
    // Truncating division, remainder with the dividend's sign; /0 gives 0 instead of a crash.
    assert_eq!(o[0].to_vec::<i32>().unwrap(), vec![3, -3, -3, 3, 1666, 0]);
    assert_eq!(o[1].to_vec::<i32>().unwrap(), vec![1, -1, 1, -1, 2, 0]);
    // Wrapping overflow and narrowing to int8.
    let w: Vec<i32> = [7i32, -7, 7, -7, 5000, 100]
        .iter()
        .map(|a| a.wrapping_mul(1_000_000))
        .collect();
    assert_eq!(o[2].to_vec::<i32>().unwrap(), w);
    let c: Vec<i8> = [7i32, -7, 7, -7, 5000, 100]
        .iter()
        .map(|a| (a * 3) as i8)
        .collect();
    assert_eq!(o[3].to_vec::<i8>().unwrap(), c);
    let u = def("unsigned_ops");
    let a = Array::from_vec(vec![0i64, 5, -1], &[3]).unwrap();
    // (unsigned)0 - 1 wraps to 2^32 - 1; `-1 < 0u` is false in C (-1 converts to unsigned).
    assert_eq!(
        u.call(&[&a]).unwrap().to_vec::<i64>().unwrap(),
        vec![4294967295, 4, 4294967294]
    );
}

#[test]
fn compound_assignment_and_remaining_operators() {
    let k = def("compound_ops");
    let (av, bv) = (
        vec![-9i32, -1, 0, 4, 25, 1000],
        vec![3i32, -2, 0, 4, -7, 999],
    );
    let y = k
        .call(&[
            &Array::from_vec(av.clone(), &[6]).unwrap(),
            &Array::from_vec(bv.clone(), &[6]).unwrap(),
        ])
        .unwrap();
    let r: Vec<i32> = av
        .iter()
        .zip(&bv)
        .map(|(&a, &b)| {
            let mut t = a / 3 * 2 % 7 + 100 - b;
            t = ((t & 0xFF) | 0x100) ^ 5;
            t = !((t << 2) >> 1);
            let y = if a > 0 || b > 0 { t } else { -t };
            y + (a != b) as i32
                + (a <= b) as i32
                + (a == b) as i32
                + (a >= b) as i32
                + (a < b) as i32
        })
        .collect();
    assert_eq!(y.to_vec::<i32>().unwrap(), r);
    let k = def("more_math");
    let xs = vec![-2.5f64, -0.3, 0.0, 1.0, 2.75];
    let y = k
        .call(&[&Array::from_vec(xs.clone(), &[5]).unwrap()])
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    for (k, &x) in xs.iter().enumerate() {
        let r = x.exp2()
            + (x + 4.0).log2()
            + (x + 4.0).log10()
            + x.cbrt()
            + (x * 0.2).asin()
            + (x * 0.2).acos()
            + x.atan()
            + x.trunc()
            + x.hypot(3.0)
            + x % 1.5
            + 1.0
            + x.abs()
            + 2.0
            // Half to even: -2.5 -> -2, -4.5 -> -4, 0.5 -> 0.
            + 10.0 * x.round_ties_even()
            + 100.0 * (x * 2.0 + 0.5).round_ties_even();
        assert!(
            (y[k] - r).abs() <= 1e-12 * r.abs().max(1.0),
            "x={x}: {} vs {r}",
            y[k]
        );
    }
}

#[test]
fn math_functions_match_rust_f32_and_f64() {
    let k = def("math_f32");
    let xs: Vec<f32> = vec![-3.7, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5, 7.9];
    let x = Array::from_vec(xs.clone(), &[8]).unwrap();
    let y = k.call(&[&x]).unwrap().to_vec::<f32>().unwrap();
    for (k, &x) in xs.iter().enumerate() {
        let r = (x * 0.1).exp()
            + x.abs().ln_1p()
            + x.abs().sqrt()
            + 1.0 / (x * x + 1.0).sqrt()
            + x.tanh()
            + (x * 0.1).sinh()
            + (x * 0.1).cosh()
            + x.sin()
            + x.cos()
            + (x * 0.1).tan()
            + x.atan2(2.0)
            + x.abs().powf(1.5)
            + x.max(0.5)
            + x.min(-0.5)
            + x.max(0.0)
            + x.min(0.0)
            + x.floor()
            + x.ceil()
            + x.round()
            + libm::erff(x)
            + (x * 0.1).exp_m1()
            + (x.abs() + 1.0).ln();
        // The sum of ~22 f32 terms: a few ulps of the largest term.
        assert!(
            (y[k] - r).abs() <= 1e-5 * r.abs().max(1.0),
            "x={x}: {} vs {r}",
            y[k]
        );
    }
    let k = def("math_f64");
    let xs = vec![0.1f64, 0.5, 1.5, 3.0];
    let y = k
        .call(&[&Array::from_vec(xs.clone(), &[4]).unwrap()])
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    for (k, &x) in xs.iter().enumerate() {
        let r = x.exp() * (x + 10.0).ln() - x.powf(2.0)
            + libm::erf(x)
            + libm::erfc(x) * libm::lgamma(x + 0.5);
        assert!((y[k] - r).abs() <= 1e-12 * r.abs().max(1.0));
    }
}

#[test]
fn half_types_compute_in_float() {
    let k = def("half_in");
    let x = Array::from_vec(vec![1.5f32, 2049.0, -0.25], &[3])
        .unwrap()
        .astype(DType::F16)
        .unwrap();
    let b = Array::from_vec(vec![0.5f32, 1.0, 2.0], &[3])
        .unwrap()
        .astype(DType::BF16)
        .unwrap();
    let y = k.call(&[&x, &b]).unwrap();
    assert_eq!(y.dtype(), DType::F16);
    let r = (&x.astype(DType::F32).unwrap() * 3.0) + b.astype(DType::F32).unwrap();
    assert_eq!(
        y.to_vec::<f32>().unwrap(),
        r.astype(DType::F16).unwrap().to_vec::<f32>().unwrap()
    );
}

#[test]
fn raw_arrays_index_with_i_and_ind_size() {
    let x = Array::from_vec(vec![1i64, 2, 3, 4, 5], &[5]).unwrap();
    let y = def("reverse").call(&[&x]).unwrap_err();
    // Only raw arrays and a non-raw output: size= is required.
    assert!(y.to_string().contains("size="), "{y}");
    let y = def("reverse").call_with(&[&x], &mut [], Some(5)).unwrap();
    assert_eq!(y[0].to_vec::<i64>().unwrap(), vec![5, 4, 3, 2, 1]);
    // The guarded x[i - 1] never reads out of bounds.
    let s = def("stencil").call_with(&[&x], &mut [], Some(5)).unwrap();
    assert_eq!(s[0].to_vec::<i64>().unwrap(), vec![2, 3, 5, 7, 9]);
    let m = Array::from_vec(lin(12, 1.0, 0.0), &[3, 4]).unwrap();
    let s = def("raw_2d")
        .call_with(
            &[KernelArg::from(&m), KernelArg::from(4i64)],
            &mut [],
            Some(3),
        )
        .unwrap();
    assert_eq!(
        s[0].to_vec::<f32>().unwrap(),
        m.sum(Some(&[1]), false).unwrap().to_vec::<f32>().unwrap()
    );
    // Reading past the end is an error, not a crash.
    let e = def("reverse")
        .call_with(&[&x], &mut [], Some(6))
        .unwrap_err();
    assert!(e.to_string().contains("out of bounds"), "{e}");
}

#[test]
fn raw_outputs_need_size_or_an_array() {
    let k = def("raw_only");
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    let e = k.call(&[&x]).unwrap_err();
    assert!(e.to_string().contains("size="), "{e}");
    let y = k.call_with(&[&x], &mut [], Some(3)).unwrap();
    assert_eq!(y[0].to_vec::<f32>().unwrap(), vec![2.0, 4.0, 6.0]);
    let mut out = Array::zeros(&[3], DType::F32).unwrap();
    k.call_with(&[&x], &mut [&mut out], Some(2)).unwrap();
    assert_eq!(out.to_vec::<f32>().unwrap(), vec![2.0, 4.0, 0.0]);
    // size= with a non-raw array is refused, as in CuPy.
    let e = def("seed")
        .call_with(&[&x, &x], &mut [], Some(3))
        .unwrap_err();
    assert!(e.to_string().contains("size="), "{e}");
}

#[test]
fn preamble_functions_are_inlined() {
    let k = def("sq_pre");
    let xs = vec![-3.0f64, -0.5, 0.25, 2.0];
    let y = k
        .call(&[&Array::from_vec(xs.clone(), &[4]).unwrap()])
        .unwrap();
    let r: Vec<f64> = xs
        .iter()
        .map(|&x| 2.0 * x * x + x.clamp(-1.0, 1.0))
        .collect();
    assert_eq!(y.to_vec::<f64>().unwrap(), r);
    let e = ElementwiseKernel::new("T x", "T y", "y = x;", "p")
        .unwrap()
        .with_preamble("#include <cuda_fp16.h>")
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Kernel {
                source_name: "preamble",
                line: 1,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = ElementwiseKernel::new("T x", "T y", "y = f(x);", "p")
        .unwrap()
        .with_preamble("__device__ T f(T v) {\n  return v + nope;\n}")
        .unwrap()
        .call(&[&Array::from_vec(vec![1.0f32], &[1]).unwrap()])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Kernel {
                source_name: "preamble",
                line: 2,
                column: 14,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn outputs_read_before_written_start_from_given_values() {
    let k = def("reads_out");
    let x = Array::from_vec(vec![1.0f32, -1.0], &[2]).unwrap();
    let mut y = Array::from_vec(vec![10.0f32, 10.0], &[2]).unwrap();
    k.call_out(&[&x], &mut [&mut y]).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![22.0, 9.0]);
    // Allocated outputs start from zeros.
    assert_eq!(
        k.call(&[&x]).unwrap().to_vec::<f32>().unwrap(),
        vec![2.0, -1.0]
    );
}

#[test]
fn multiple_outputs_and_call_arity() {
    let k = def("two_out");
    let x = Array::from_vec(vec![1i32, 2], &[2]).unwrap();
    let o = k.call_multi(&[&x]).unwrap();
    assert_eq!(o[0].to_vec::<i32>().unwrap(), vec![2, 3]);
    assert_eq!(o[1].to_vec::<i32>().unwrap(), vec![0, 1]);
    assert!(k.call(&[&x]).is_err());
    let e = k.call_multi(&[&x, &x]).unwrap_err();
    assert!(e.to_string().contains("expected 1 argument"), "{e}");
    let mut a = Array::zeros(&[2], DType::I32).unwrap();
    let e = k.call_out(&[&x], &mut [&mut a]).unwrap_err();
    assert!(e.to_string().contains("2 output"), "{e}");
    let mut b = Array::zeros(&[3], DType::I32).unwrap();
    let e = k.call_out(&[&x], &mut [&mut a, &mut b]).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e}");
    let nr = ElementwiseKernel::new("T x", "T y", "y = x;", "nr")
        .unwrap()
        .no_return(true);
    assert!(nr.call_multi(&[&x]).unwrap().is_empty());
}

fn kernel_err(r: Result<ElementwiseKernel, Error>) -> (String, usize, usize, String) {
    match r {
        Err(Error::Kernel {
            source_name,
            line,
            column,
            found,
            ..
        }) => (source_name.to_string(), line, column, found),
        Err(e) => panic!("expected a kernel error, found {e}"),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn source_errors_name_kernel_line_column_and_text() {
    let (s, l, c, f) = kernel_err(ElementwiseKernel::new(
        "float32 x",
        "float32 y",
        "y = x;\n  goto end;",
        "k",
    ));
    assert_eq!((s.as_str(), l, c, f.as_str()), ("operation", 2, 3, "goto"));
    let (s, _, c, f) = kernel_err(ElementwiseKernel::new(
        "float32 x, flaot y",
        "float32 z",
        "z = x;",
        "k",
    ));
    assert_eq!((s.as_str(), c, f.as_str()), ("in_params", 12, "flaot"));
    let (s, ..) = kernel_err(ElementwiseKernel::new(
        "float32",
        "float32 z",
        "z = 1;",
        "k",
    ));
    assert_eq!(s, "in_params");
    let e = ElementwiseKernel::new("float32 x", "float32 y", "y = x + 1", "k").unwrap_err();
    assert!(e.to_string().contains("expected `;`"), "{e}");
    // Type errors appear at the first call, with the position.
    let k =
        ElementwiseKernel::new("float32 x", "float32 y", "float t = x;\ny = t + zz;", "k").unwrap();
    let e = k
        .call(&[&Array::from_vec(vec![1.0f32], &[1]).unwrap()])
        .unwrap_err();
    assert!(
        matches!(&e, Error::Kernel { line: 2, column: 9, found, .. } if found == "zz"),
        "{e}"
    );
    assert!(
        e.to_string().contains("unknown identifier") && e.to_string().contains("`k`"),
        "{e}"
    );
    let k = ElementwiseKernel::new("float32 x", "float32 y", "y = x % 2;", "k").unwrap();
    let e = k
        .call(&[&Array::from_vec(vec![1.0f32], &[1]).unwrap()])
        .unwrap_err();
    assert!(e.to_string().contains("fmod"), "{e}");
    let k = ElementwiseKernel::new("float32 x", "float32 y", "x = 1; y = x;", "k").unwrap();
    let e = k
        .call(&[&Array::from_vec(vec![1.0f32], &[1]).unwrap()])
        .unwrap_err();
    assert!(e.to_string().contains("input parameter"), "{e}");
    let k = ElementwiseKernel::new("float32 x", "float32 y", "y = frob(x);", "k").unwrap();
    let e = k
        .call(&[&Array::from_vec(vec![1.0f32], &[1]).unwrap()])
        .unwrap_err();
    assert!(e.to_string().contains("unknown function `frob`"), "{e}");
    let k = ElementwiseKernel::new("float32 x", "float32 y", "y = x[0];", "k").unwrap();
    let e = k
        .call(&[&Array::from_vec(vec![1.0f32], &[1]).unwrap()])
        .unwrap_err();
    assert!(e.to_string().contains("raw"), "{e}");
    // A placeholder nothing binds.
    let k = ElementwiseKernel::new("float32 x", "U y", "y = x;", "k").unwrap();
    let e = k
        .call(&[&Array::from_vec(vec![1.0f32], &[1]).unwrap()])
        .unwrap_err();
    assert!(e.to_string().contains("`U`"), "{e}");
}

#[test]
fn raw_kernel_is_gpu_only() {
    let k = RawKernel::new("extern \"C\" __global__ void f(float* x) {}", "f").unwrap();
    let x = Array::zeros(&[4], DType::F32).unwrap();
    let e = k.launch((1, 1, 1), (4, 1, 1), 0, &[&x]).unwrap_err();
    assert!(
        matches!(e, Error::Device { .. }) && e.to_string().contains("CUDA"),
        "{e}"
    );
}

/// (name, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity)
pub type ReductionDef = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// The reduction kernels the tests define (kept as data for an NVRTC check).
pub const REDUCTIONS: &[ReductionDef] = &[
    (
        "l2norm",
        "T x",
        "T y",
        "x * x",
        "a + b",
        "y = sqrt(a)",
        Some("0"),
    ),
    ("my_max", "T x", "T y", "x", "max(a, b)", "y = a", None),
    (
        "sum_i64",
        "T x",
        "int64 y",
        "x",
        "a + b",
        "y = a",
        Some("0"),
    ),
    (
        "wsum",
        "T x, T w",
        "T y",
        "x * w",
        "a + b",
        "y = a",
        Some("0"),
    ),
];

fn rdef(name: &str) -> ReductionKernel {
    let (n, i, o, m, r, p, id) = *REDUCTIONS.iter().find(|k| k.0 == name).expect("in table");
    ReductionKernel::new(i, o, m, r, p, id, n).expect("builds")
}

fn close(a: &[f64], b: &[f64], rtol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= rtol * y.abs().max(1.0), "{a:?} vs {b:?}");
    }
}

#[test]
fn reduction_kernel_matches_array_reductions() {
    let l2 = rdef("l2norm");
    let x = Array::from_vec(
        (0..60).map(|k| (k as f64 * 0.37).sin()).collect::<Vec<_>>(),
        &[3, 4, 5],
    )
    .unwrap();
    let sq = &x * &x;
    for (axes, keep) in [
        (None, false),
        (Some(vec![1isize]), false),
        (Some(vec![-1]), true),
        (Some(vec![0, 2]), false),
        (Some(vec![2, 0]), true),
    ] {
        let got = l2.call(&[&x], axes.as_deref(), keep).unwrap();
        let r = sq.sum(axes.as_deref(), keep).unwrap().sqrt().unwrap();
        assert_eq!(got.shape(), r.shape(), "{axes:?} {keep}");
        assert_eq!(got.dtype(), DType::F64);
        close(
            &got.to_vec::<f64>().unwrap(),
            &r.to_vec::<f64>().unwrap(),
            1e-13,
        );
    }
    let m = rdef("my_max");
    let xi = Array::from_vec(vec![3i32, -9, 7, 1, 8, -2, 0, 5, 6, 4, 2, 11, -1], &[13]).unwrap();
    assert_eq!(
        m.call(&[&xi], None, false)
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        vec![11]
    );
    let x2 = xi
        .slice(&[kusari_array::SliceArg::from(0..12)])
        .unwrap()
        .reshape(&[3, 4])
        .unwrap();
    assert_eq!(
        m.call(&[&x2], Some(&[0]), false)
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        x2.max(Some(&[0]), false).unwrap().to_vec::<i32>().unwrap()
    );
    // No identity: an empty reduction is an error; with one, it gives the identity.
    let empty = Array::zeros(&[2, 0], DType::F32).unwrap();
    assert!(m.call(&[&empty], Some(&[1]), false).is_err());
    let z = l2.call(&[&empty], Some(&[1]), false).unwrap();
    assert_eq!(z.to_vec::<f32>().unwrap(), vec![0.0, 0.0]);
}

#[test]
fn reduce_type_sets_the_accumulator() {
    // int8 summed in its own type wraps; reduce_type int64 does not.
    let x = Array::from_vec(vec![100i8; 10], &[10]).unwrap();
    let s = rdef("sum_i64");
    // Default reduce type: the first output's (int64).
    assert_eq!(
        s.call(&[&x], None, false).unwrap().to_vec::<i64>().unwrap(),
        vec![1000]
    );
    let s8 = rdef("sum_i64").with_reduce_type("T").unwrap();
    let wrapped = (1000i64 as i8) as i64;
    assert_eq!(
        s8.call(&[&x], None, false)
            .unwrap()
            .to_vec::<i64>()
            .unwrap(),
        vec![wrapped]
    );
    assert!(rdef("sum_i64").with_reduce_type("floot").is_err());
    // Two broadcast inputs.
    let w = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
    let x = Array::from_vec(lin(6, 1.0, 0.0), &[2, 3]).unwrap();
    let y = rdef("wsum").call(&[&x, &w], Some(&[1]), false).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![8.0, 26.0]);
    let e = rdef("wsum").call(&[&x], None, false).unwrap_err();
    assert!(e.to_string().contains("expected 2 argument"), "{e}");
    let e = ReductionKernel::new("T x", "T y", "x *", "a + b", "y = a", None, "bad").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Kernel {
                source_name: "map_expr",
                ..
            }
        ),
        "{e}"
    );
}

/// Every kernel of `KERNELS` (and every reduction of `REDUCTIONS` with an
/// identity) also compiles for the GPU: rendered by the CUDA
/// code generator (placeholders as float32) and compiled with NVRTC for
/// sm_80 and sm_90. Skipped, with a message, where NVRTC is absent;
/// `scripts/check-cuda-kernels` runs it with NVRTC on the library path.
#[test]
fn kernels_compile_with_nvrtc() {
    use kusari_array::cuda_check;
    if !cuda_check::nvrtc_available() {
        eprintln!("NVRTC not found: skipped; run scripts/check-cuda-kernels");
        return;
    }
    let mut failures = Vec::new();
    for &(name, inp, out, op, pre) in KERNELS {
        let mut k = ElementwiseKernel::new(inp, out, op, name).unwrap();
        if !pre.is_empty() {
            k = k.with_preamble(pre).unwrap();
        }
        let (kname, src) = cuda_check::elementwise_kernel_source(&k, DType::F32).unwrap();
        for arch in [(8, 0), (9, 0)] {
            if let Err(e) = cuda_check::compile_source(&kname, &src, arch) {
                failures.push(format!("{name} sm_{}{}: {e}", arch.0, arch.1));
            }
        }
    }
    // Reductions with an identity (the GPU template folds from it), all three passes.
    let mut nred = 0;
    for &(name, inp, out, map, red, post, id) in REDUCTIONS {
        let Some(id) = id else { continue };
        let k = ReductionKernel::new(inp, out, map, red, post, Some(id), name).unwrap();
        let rtype = if out.contains("int64") {
            DType::I64
        } else {
            DType::F32
        };
        for (kname, src) in cuda_check::reduction_kernel_source(&k, DType::F32, rtype).unwrap() {
            nred += 1;
            for arch in [(8, 0), (9, 0)] {
                if let Err(e) = cuda_check::compile_source(&kname, &src, arch) {
                    failures.push(format!("{kname} sm_{}{}: {e}", arch.0, arch.1));
                }
            }
        }
    }
    println!(
        "{} user kernels and {nred} reduction passes compiled for sm_80 and sm_90",
        KERNELS.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `atomicMax`, `atomicMin`, `atomicSub` and `atomicExch` as statements,
/// per bin against the same updates in Rust (in element order, as the CPU
/// runs them; `atomicExch` leaves the last write there, one of the writes on
/// a GPU, so every write to a bin here stores one value); an element type
/// CUDA has no overload for is an error that names the function and the
/// types it takes, and so is using the old value.
#[test]
fn atomic_kin_statements_update_in_place() {
    let k = def("atomic_kin");
    let v = [5i64, -3, 9, 9, -7, 2, 0, 11];
    let bin = [0i32, 1, 0, 2, 1, 2, 0, 1];
    let c = [1i32, 2, 3, 4, 5, 6, 7, 8];
    let f = [0.5f32, 1.5, 0.5, 2.5, 1.5, 2.5, 0.5, 1.5];
    let arr = |x: Vec<i64>| Array::from_vec(x, &[3]).unwrap();
    let (mut hi, mut lo) = (arr(vec![0, 0, 100]), arr(vec![0, 0, -100]));
    let mut left = Array::from_vec(vec![100i32, 200, 300], &[3]).unwrap();
    let mut last = Array::from_vec(vec![-1.0f32; 3], &[3]).unwrap();
    let args = [
        Array::from_vec(v.to_vec(), &[8]).unwrap(),
        Array::from_vec(bin.to_vec(), &[8]).unwrap(),
        Array::from_vec(c.to_vec(), &[8]).unwrap(),
        Array::from_vec(f.to_vec(), &[8]).unwrap(),
    ];
    let refs: Vec<&Array> = args.iter().collect();
    k.call_out(&refs, &mut [&mut hi, &mut lo, &mut left, &mut last])
        .unwrap();
    let (mut whi, mut wlo, mut wleft, mut wlast) = (
        [0i64, 0, 100],
        [0i64, 0, -100],
        [100i32, 200, 300],
        [-1.0f32; 3],
    );
    for i in 0..8 {
        let b = bin[i] as usize;
        whi[b] = whi[b].max(v[i]);
        wlo[b] = wlo[b].min(v[i]);
        wleft[b] -= c[i];
        if i % 2 == 0 {
            wlast[b] = f[i];
        }
    }
    assert_eq!(hi.to_vec::<i64>().unwrap(), whi);
    assert_eq!(lo.to_vec::<i64>().unwrap(), wlo);
    assert_eq!(left.to_vec::<i32>().unwrap(), wleft);
    assert_eq!(last.to_vec::<f32>().unwrap(), wlast);
    let x = Array::from_vec(vec![1i32], &[1]).unwrap();
    for (dtype, op, needle) in [
        (
            DType::F32,
            "atomicMax(&y[0], x);",
            "atomicMax needs a raw array of int32",
        ),
        (DType::I64, "atomicSub(&y[0], x);", "holds int64"),
        (DType::F64, "atomicExch(&y[0], x);", "atomicExch needs"),
        (DType::I64, "atomicAdd(&y[0], x);", "atomicAdd needs"),
        (
            DType::I32,
            "int old = atomicMin(&y[0], x);",
            "only as a statement",
        ),
        (
            DType::I32,
            "int t = 0; atomicExch(&t, x);",
            "raw array element",
        ),
    ] {
        let params = format!("raw {dtype} y");
        let mut y = Array::zeros(&[1], dtype).unwrap();
        // Type errors surface when the kernel is lowered for its dtypes.
        let e = ElementwiseKernel::new("int32 x", &params, op, "bad_atomic")
            .and_then(|k| k.call_out(&[&x], &mut [&mut y]))
            .err()
            .unwrap_or_else(|| panic!("{op}: expected an error"))
            .to_string();
        assert!(e.contains("bad_atomic") && e.contains(needle), "{op}: {e}");
    }
}

/// `atomicAdd(&x[j], v);` as a statement: a weighted histogram into a given
/// raw output, against the same sums in Rust; anywhere else it is an error
/// that names it.
#[test]
fn atomic_add_statement_accumulates() {
    let k = def("histogram");
    let w = Array::from_vec(vec![0.5f32, 1.0, 2.0, 4.0, 8.0, 16.0], &[6]).unwrap();
    let bin = Array::from_vec(vec![2i32, 0, 2, 1, 0, 2], &[6]).unwrap();
    let mut acc = Array::full(&[3], 100.0, DType::F32).unwrap();
    k.call_out(&[&w, &bin], &mut [&mut acc]).unwrap();
    assert_eq!(acc.to_vec::<f32>().unwrap(), vec![109.0, 104.0, 118.5]);
    for (op, needle) in [
        ("float old = atomicAdd(&y[0], x);", "only as a statement"),
        ("atomicAdd(y[0], x);", "&x[j]"),
        ("float t = 0; atomicAdd(&t, x);", "raw array element"),
    ] {
        let e = ElementwiseKernel::new("float32 x", "raw float32 y", op, "bad_atomic")
            .err()
            .unwrap_or_else(|| panic!("{op}: expected an error"))
            .to_string();
        assert!(e.contains("bad_atomic") && e.contains(needle), "{op}: {e}");
    }
}
