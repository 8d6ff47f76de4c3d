//! Tests that need a real GPU. They run when `KUSARI_TEST_CUDA=1` is set and
//! then fail if no device is usable; without it they return at once (CI and
//! CPU-only machines have no GPU). Run on a GPU machine with
//! `KUSARI_TEST_CUDA=1 cargo test -p kusari-array --release --lib backend::cuda::gpu_tests -- --test-threads=1`.

use super::launch::{launch, linear_launch, KernelParam};
use crate::ops::linalg::matmul;
use crate::{cuda, Array, DType, Device, Error};

/// The device under test, or `None` when GPU tests are not requested.
fn gpu() -> Option<Device> {
    if std::env::var("KUSARI_TEST_CUDA").as_deref() != Ok("1") {
        return None;
    }
    Some(Device::cuda(0).expect("KUSARI_TEST_CUDA=1 but cuda:0 is not usable"))
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "element {i}: {x} vs {y}"
        );
    }
}

#[test]
fn round_trips_keep_values_and_views() {
    let Some(g) = gpu() else { return };
    let a = Array::arange(12)
        .unwrap()
        .astype(DType::F32)
        .unwrap()
        .reshape(&[3, 4])
        .unwrap();
    let d = a.to_device(g).unwrap();
    assert_eq!(d.device(), g);
    assert_eq!(d.to_vec::<f32>().unwrap(), a.to_vec::<f32>().unwrap());
    // A transposed view travels as a view and comes back in the right order.
    let t = a.t();
    assert_eq!(
        t.to_device(g).unwrap().to_vec::<f32>().unwrap(),
        t.to_vec::<f32>().unwrap()
    );
    // A reversed strided slice.
    let s = a
        .slice(&[
            crate::SliceArg::from(..),
            crate::SliceArg::Range {
                start: None,
                stop: None,
                step: -2,
            },
        ])
        .unwrap();
    assert_eq!(
        s.to_device(g)
            .unwrap()
            .to_cpu()
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        s.to_vec::<f32>().unwrap()
    );
    assert!(d
        .sum(None, false)
        .unwrap_err()
        .to_string()
        .contains("cuda:0"));
    let z = Array::zeros_on(&[5], DType::F64, g).unwrap();
    assert_eq!(z.to_vec::<f64>().unwrap(), vec![0.0; 5]);
    assert_eq!(
        Array::zeros_on(&[0, 3], DType::F32, g)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        Vec::<f32>::new()
    );
    assert_eq!(d.get::<f32>(&[2, 1]).unwrap(), 9.0);
    assert!(format!("{d}").contains("11"));
}

#[test]
fn ordinals_past_the_count_are_errors() {
    let Some(_) = gpu() else { return };
    let n = cuda::device_count().unwrap();
    let e = Device::cuda(n).unwrap_err().to_string();
    assert!(
        e.contains(&format!("cuda:{n}")) && e.contains(&n.to_string()),
        "{e}"
    );
}

#[test]
fn mixing_devices_is_an_error_naming_both() {
    let Some(g) = gpu() else { return };
    let a = Array::ones(&[2, 2], DType::F32).unwrap();
    let e = matmul(&a, &a.to_device(g).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cpu") && e.contains("cuda:0"), "{e}");
}

#[test]
fn matmul_matches_the_cpu() {
    let Some(g) = gpu() else { return };
    let mk = |shape: &[usize], dtype: DType, seed: usize| {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n)
            .map(|i| (((i * 7 + seed * 13) % 11) as f64 - 5.0) / 4.0)
            .collect();
        Array::from_vec(v, shape).unwrap().astype(dtype).unwrap()
    };
    for (dtype, tol) in [
        (DType::F32, 1e-5),
        (DType::F64, 1e-12),
        (DType::F16, 1e-2),
        (DType::BF16, 3e-2),
    ] {
        let cases: Vec<(Array, Array)> = vec![
            (mk(&[3, 5], dtype, 1), mk(&[5, 4], dtype, 2)),
            (mk(&[5, 3], dtype, 1).t(), mk(&[5, 4], dtype, 2)),
            (mk(&[3, 5], dtype, 1), mk(&[4, 5], dtype, 2).t()),
            (mk(&[2, 3, 5], dtype, 3), mk(&[2, 5, 4], dtype, 4)),
            (mk(&[2, 3, 5], dtype, 3), mk(&[5, 4], dtype, 4)),
            (mk(&[5], dtype, 5), mk(&[5, 4], dtype, 6)),
            (mk(&[3, 5], dtype, 5), mk(&[5], dtype, 6)),
        ];
        for (a, b) in cases {
            let want = matmul(&a, &b).unwrap();
            let got = matmul(&a.to_device(g).unwrap(), &b.to_device(g).unwrap()).unwrap();
            assert_eq!(got.shape(), want.shape());
            assert_eq!(got.dtype(), want.dtype());
            close(
                &got.to_vec::<f64>().unwrap(),
                &want.to_vec::<f64>().unwrap(),
                tol,
            );
        }
    }
    let a = mk(&[2, 0], DType::F32, 0).to_device(g).unwrap();
    let b = mk(&[0, 3], DType::F32, 0).to_device(g).unwrap();
    assert_eq!(
        matmul(&a, &b).unwrap().to_vec::<f32>().unwrap(),
        vec![0.0; 6]
    );
    let i = Array::ones(&[2, 2], DType::I64)
        .unwrap()
        .to_device(g)
        .unwrap();
    let e = matmul(&i, &i).unwrap_err().to_string();
    assert!(e.contains("not yet supported on CUDA"), "{e}");
}

#[test]
fn pool_counts_and_limits() {
    let Some(g) = gpu() else { return };
    let pool = cuda::memory_pool(g).unwrap();
    pool.free_all_blocks();
    let before = pool.used_bytes();
    let a = Array::zeros_on(&[1000], DType::F32, g).unwrap();
    assert_eq!(pool.used_bytes(), before + 4096);
    drop(a);
    assert_eq!(pool.used_bytes(), before);
    assert!(pool.free_bytes() >= 4096);
    pool.set_limit(Some(pool.total_bytes() + 1024));
    let e = Array::zeros_on(&[1 << 20], DType::F32, g).err().unwrap();
    assert!(
        matches!(e, Error::OutOfMemory { requested, .. } if requested == 4 << 20),
        "{e:?}"
    );
    pool.set_limit(None);
    pool.set_enabled(false);
    assert_eq!(pool.free_bytes(), 0);
    drop(Array::zeros_on(&[1000], DType::F32, g).unwrap());
    assert_eq!(pool.free_bytes(), 0);
    pool.set_enabled(true);
}

#[test]
fn kernels_compile_cache_and_run() {
    let Some(g) = gpu() else { return };
    let Device::Cuda(n) = g else { unreachable!() };
    let dev = super::device(n).unwrap();
    let src = r#"
struct Params { long long n; float a; };
extern "C" __global__ void axpy(Params p, const float* x, float* y) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < p.n;
         i += (long long)blockDim.x * gridDim.x) {
        y[i] = p.a * x[i] + y[i];
    }
}
"#;
    let n_el = 100_000usize;
    let x = Array::arange(n_el as i64)
        .unwrap()
        .astype(DType::F32)
        .unwrap()
        .to_device(g)
        .unwrap();
    let y = Array::ones(&[n_el], DType::F32)
        .unwrap()
        .to_device(g)
        .unwrap();
    let mut blob = (n_el as i64).to_ne_bytes().to_vec();
    blob.extend(2.0f32.to_ne_bytes());
    blob.extend([0u8; 4]); // the struct's tail padding
    let mut args = [
        KernelParam::Blob(blob),
        KernelParam::array("axpy", &x).unwrap(),
        KernelParam::array("axpy", &y).unwrap(),
    ];
    linear_launch(&dev, n_el, "axpy", src, &[], &mut args).unwrap();
    let got = y.to_vec::<f32>().unwrap();
    assert_eq!(got[0], 1.0);
    assert_eq!(got[n_el - 1], 2.0 * (n_el - 1) as f32 + 1.0);
    // Second launch: found in the loaded-module map.
    launch(&dev, "axpy", src, &[], (1, 1, 1), (32, 1, 1), 0, &mut args).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap()[0], 1.0 + 0.0);
    let e = launch(
        &dev,
        "broken",
        "extern \"C\" __global__ void broken() { nope; }",
        &[],
        (1, 1, 1),
        (1, 1, 1),
        0,
        &mut [],
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::KernelCompile { ref name, .. } if name == "broken"),
        "{e:?}"
    );
}

/// Runs `f` on the host and on the GPU and compares results (CuPy's
/// `numpy_cupy_allclose`): same dtype, same shape, values within `tol`.
fn cpu_gpu_allclose(g: Device, tol: f64, f: impl Fn(Device) -> crate::Result<Array>) {
    let c = f(Device::Cpu).expect("cpu run");
    let d = f(g).expect("gpu run");
    assert_eq!(d.device(), g, "the GPU result stayed on the GPU");
    assert_eq!(c.dtype(), d.dtype());
    assert_eq!(c.shape(), d.shape());
    let d = d.to_cpu().unwrap();
    let (c, d) = (
        c.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
        d.astype(DType::F64).unwrap().to_vec::<f64>().unwrap(),
    );
    for (i, (x, y)) in c.iter().zip(&d).enumerate() {
        let same = (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= tol * (1.0 + x.abs());
        assert!(same, "element {i}: cpu {x} vs gpu {y}");
    }
}

fn sample(dev: Device, dtype: DType, shape: &[usize]) -> crate::Result<Array> {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 23) as f64 / 4.0 - 2.5)
        .collect();
    let ishape: Vec<isize> = shape.iter().map(|&s| s as isize).collect();
    Array::from_vec(v, &[n])?
        .reshape(&ishape)?
        .astype(dtype)?
        .to_device(dev)
}

#[test]
fn ufuncs_match_the_cpu() {
    let Some(g) = gpu() else { return };
    use crate::ops::ufunc::{binary, unary, BinaryOp, UnaryOp};
    for dt in [
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
        DType::I32,
        DType::I64,
    ] {
        let tol = if matches!(dt, DType::F16 | DType::BF16) {
            1e-2
        } else {
            1e-6
        };
        for op in [
            BinaryOp::Add,
            BinaryOp::Subtract,
            BinaryOp::Multiply,
            BinaryOp::Maximum,
        ] {
            // broadcast (4,1) against (3,): a strided, collapsed loop
            cpu_gpu_allclose(g, tol, |d| {
                binary(op, &sample(d, dt, &[4, 1])?, &sample(d, dt, &[3])?)
            });
            // contiguous fast path, and a transposed operand
            cpu_gpu_allclose(g, tol, |d| {
                let a = sample(d, dt, &[64, 33])?;
                binary(op, &a, &sample(d, dt, &[33, 64])?.t())
            });
        }
        // a Python-style scalar meets a device array
        cpu_gpu_allclose(g, tol, |d| sample(d, dt, &[5, 7])?.multiply(2.0));
        if dt.is_float() {
            for op in [
                UnaryOp::Exp,
                UnaryOp::Tanh,
                UnaryOp::Absolute,
                UnaryOp::Negative,
            ] {
                cpu_gpu_allclose(g, tol, |d| unary(op, &sample(d, dt, &[10, 10])?.t()));
            }
        }
    }
}

#[test]
fn casts_and_copies_match_the_cpu() {
    let Some(g) = gpu() else { return };
    for (from, to) in [
        (DType::F32, DType::F16),
        (DType::F64, DType::I32),
        (DType::I64, DType::F32),
        (DType::F32, DType::Bool),
    ] {
        cpu_gpu_allclose(g, 1e-3, |d| sample(d, from, &[6, 5])?.t().astype(to));
    }
    cpu_gpu_allclose(g, 0.0, |d| {
        sample(d, DType::F32, &[4, 6])?
            .t()
            .copy(crate::layout::Order::C)
    });
}

#[test]
fn reductions_match_the_cpu() {
    let Some(g) = gpu() else { return };
    for dt in [DType::F32, DType::F64, DType::I32] {
        let tol = 1e-5;
        for axes in [None, Some(&[0isize][..]), Some(&[1][..]), Some(&[0, 2][..])] {
            cpu_gpu_allclose(g, tol, |d| sample(d, dt, &[5, 6, 7])?.sum(axes, false));
            cpu_gpu_allclose(g, tol, |d| sample(d, dt, &[5, 6, 7])?.max(axes, true));
            cpu_gpu_allclose(g, tol, |d| sample(d, dt, &[5, 6, 7])?.min(axes, false));
            cpu_gpu_allclose(g, tol, |d| sample(d, dt, &[5, 6, 7])?.mean(axes, false));
        }
        cpu_gpu_allclose(g, 0.0, |d| sample(d, dt, &[5, 6, 7])?.argmax(Some(1)));
        cpu_gpu_allclose(g, 0.0, |d| sample(d, dt, &[5, 6, 7])?.argmin(None));
    }
    // long reductions take the two-pass path
    cpu_gpu_allclose(g, 1e-6, |d| {
        sample(d, DType::F64, &[1 << 22])?.sum(None, false)
    });
    cpu_gpu_allclose(g, 1e-6, |d| {
        sample(d, DType::F32, &[3, 1 << 20])?.sum(Some(&[1]), false)
    });
}

#[test]
fn user_kernels_match_the_cpu() {
    let Some(g) = gpu() else { return };
    use crate::{ElementwiseKernel, KernelArg, RawKernel, ReductionKernel};
    let seed = ElementwiseKernel::new(
        "float32 x, float32 y",
        "float32 z",
        "z = x + 2 * y;",
        "seed",
    )
    .unwrap();
    cpu_gpu_allclose(g, 1e-6, |d| {
        seed.call(&[
            &sample(d, DType::F32, &[7, 9])?,
            &sample(d, DType::F32, &[9])?,
        ])
    });
    let axpy = ElementwiseKernel::new("T x, T a", "T z", "z = a * x + (T)1;", "axpy").unwrap();
    cpu_gpu_allclose(g, 1e-6, |d| {
        let x = sample(d, DType::F64, &[5, 6])?.t();
        axpy.call(&[KernelArg::from(&x), KernelArg::from(3.0f64)])
    });
    let l2 = ReductionKernel::new(
        "T x",
        "T y",
        "x * x",
        "a + b",
        "y = sqrt(a)",
        Some("0"),
        "l2",
    )
    .unwrap();
    for axes in [None, Some(&[1isize][..]), Some(&[0, 2][..])] {
        cpu_gpu_allclose(g, 1e-5, |d| {
            l2.call(&[&sample(d, DType::F32, &[4, 5, 6])?], axes, false)
        });
    }
    // RawKernel: the same doubling as an elementwise op, on the device only.
    let raw = RawKernel::new(
        r#"extern "C" __global__ void twice(const float* x, float* y, long long n) {
            long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
            if (i < n) y[i] = 2.0f * x[i];
        }"#,
        "twice",
    )
    .unwrap();
    let x = sample(g, DType::F32, &[1000]).unwrap();
    let y = Array::zeros_on(&[1000], DType::F32, g).unwrap();
    raw.launch(
        (4, 1, 1),
        (256, 1, 1),
        0,
        &[
            KernelArg::from(&x),
            KernelArg::from(&y),
            KernelArg::from(1000i64),
        ],
    )
    .unwrap();
    let want: Vec<f32> = x.to_vec::<f32>().unwrap().iter().map(|v| 2.0 * v).collect();
    assert_eq!(y.to_vec::<f32>().unwrap(), want);
}

/// The fused activation gradients, softmax family and special functions
/// (their kernel paths, `ops::kernel_path`) against their CPU loops.
#[test]
fn fused_nn_and_special_functions_match_the_cpu() {
    let Some(g) = gpu() else { return };
    use crate::ops::{nn, special};
    for dt in [DType::F32, DType::F64, DType::F16] {
        let tol = if dt == DType::F16 { 1e-2 } else { 1e-5 };
        for axis in [0isize, 1, -1] {
            cpu_gpu_allclose(g, tol, |d| nn::softmax(&sample(d, dt, &[6, 7, 5])?, axis));
            cpu_gpu_allclose(g, tol, |d| {
                nn::log_softmax(&sample(d, dt, &[6, 7, 5])?.t(), axis)
            });
            cpu_gpu_allclose(g, tol, |d| {
                let y = nn::softmax(&sample(d, dt, &[6, 7, 5])?, axis)?;
                nn::softmax_grad(&y, &sample(d, dt, &[5, 7, 6])?.t(), axis)
            });
            cpu_gpu_allclose(g, tol, |d| {
                let y = nn::log_softmax(&sample(d, dt, &[6, 7, 5])?, axis)?;
                nn::log_softmax_grad(&y, &sample(d, dt, &[6, 7, 5])?, axis)
            });
        }
        type F = fn(&Array, &Array) -> crate::Result<Array>;
        for f in [nn::relu_grad as F, nn::sigmoid_grad, nn::tanh_grad] {
            cpu_gpu_allclose(g, tol, |d| {
                f(&sample(d, dt, &[33, 9])?, &sample(d, dt, &[9, 33])?.t())
            });
        }
        type U = fn(&Array) -> crate::Result<Array>;
        for f in [special::erf as U, special::erfc, special::gammaln] {
            cpu_gpu_allclose(g, tol, |d| f(&sample(d, dt, &[40])?));
        }
    }
    // No kernel yet: an error naming the operation and the device.
    let e = special::digamma(&sample(g, DType::F32, &[3]).unwrap()).unwrap_err();
    assert!(e.to_string().contains("digamma"), "{e}");
}

/// `where` (its kernel) and `clip` (maximum, then minimum) on the device.
#[test]
fn where_and_clip_match_the_cpu() {
    let Some(g) = gpu() else { return };
    use crate::ops::ufunc::{clip, where_};
    for dt in [DType::F32, DType::F64, DType::F16, DType::I32, DType::Bool] {
        cpu_gpu_allclose(g, 0.0, |d| {
            let c = sample(d, DType::F32, &[5, 7])?.greater(0.0)?;
            where_(&c, &sample(d, dt, &[7, 5])?.t(), 1.0)
        });
        if dt != DType::Bool {
            cpu_gpu_allclose(g, 0.0, |d| {
                clip(&sample(d, dt, &[5, 7])?, &sample(d, dt, &[7])?, 1.0)
            });
        }
    }
    // A host operand beside a device condition is an error naming both.
    let c = sample(g, DType::F32, &[3]).unwrap().greater(0.0).unwrap();
    let e = where_(&c, &Array::zeros(&[3], DType::F32).unwrap(), 1.0).unwrap_err();
    assert!(matches!(e, Error::Device { .. }), "{e}");
}

/// `take` (its gather kernel, indices checked on the host) on the device;
/// an index out of bounds stays an error, never a bad read.
#[test]
fn take_matches_the_cpu() {
    let Some(g) = gpu() else { return };
    let idx = Array::from_vec(vec![2i32, -1, 0, 2, 1, -3], &[2, 3]).unwrap();
    for dt in [DType::F32, DType::F64, DType::F16, DType::I64, DType::Bool] {
        for axis in [None, Some(0), Some(1), Some(-1)] {
            cpu_gpu_allclose(g, 0.0, |d| {
                sample(d, dt, &[4, 3, 5])?
                    .swapaxes(0, 2)?
                    .take(&idx.to_device(d)?, axis)
            });
        }
    }
    let bad = Array::from_vec(vec![9i64], &[1])
        .unwrap()
        .to_device(g)
        .unwrap();
    let e = sample(g, DType::F32, &[4, 3])
        .unwrap()
        .take(&bad, Some(0))
        .unwrap_err();
    assert!(matches!(e, Error::Index { .. }), "{e}");
}

/// `scatter_add` (its atomicAdd kernel) on the device, repeated indices
/// included; int64 (no CUDA atomicAdd) is an error.
#[test]
fn scatter_add_matches_the_cpu() {
    let Some(g) = gpu() else { return };
    let idx = Array::from_vec(vec![1i64, -1, 1, 0], &[4]).unwrap();
    for dt in [DType::F32, DType::F64, DType::F16, DType::I32] {
        for axis in [0isize, 1] {
            let tol = if dt == DType::F16 { 1e-2 } else { 1e-6 };
            cpu_gpu_allclose(g, tol, |d| {
                let mut acc = sample(d, dt, &[3, 3])?;
                let vshape = if axis == 0 { [4, 3] } else { [3, 4] };
                acc.scatter_add(&idx.to_device(d)?, &sample(d, dt, &vshape)?, axis)?;
                Ok(acc)
            });
        }
    }
    let mut acc = sample(g, DType::I64, &[3]).unwrap();
    let vals = sample(g, DType::I64, &[4]).unwrap();
    assert!(acc
        .scatter_add(&idx.to_device(g).unwrap(), &vals, 0)
        .is_err());
}

/// Convolution (its three products) and pooling on the device — im2col /
/// col2im kernels around cuBLAS, the pooling kernels — against the CPU
/// loops, with groups and padding, in float32 and float16.
#[test]
fn convolution_and_pooling_match_the_cpu() {
    use crate::ops::conv::{self, ConvParams, Window};
    use crate::ops::pool::{self, PoolDivisor};
    let Some(g) = gpu() else { return };
    let p = ConvParams {
        stride: vec![1, 2],
        pad: vec![1, 1],
        dilate: vec![1, 1],
        cover_all: false,
        groups: 2,
    };
    for dt in [DType::F32, DType::F16] {
        let tol = if dt == DType::F16 { 1e-2 } else { 1e-4 };
        cpu_gpu_allclose(g, tol, |d| {
            conv::convolution(
                &sample(d, dt, &[3, 4, 9, 8])?,
                &sample(d, dt, &[6, 2, 3, 3])?,
                Some(&sample(d, dt, &[6])?),
                &p,
            )
        });
        cpu_gpu_allclose(g, tol, |d| {
            conv::convolution_grad_weight(
                &sample(d, dt, &[3, 4, 9, 8])?,
                &sample(d, dt, &[3, 6, 9, 4])?,
                &[3, 3],
                &p,
            )
        });
        cpu_gpu_allclose(g, tol, |d| {
            conv::convolution_transpose(
                &sample(d, dt, &[3, 4, 9, 4])?,
                &sample(d, dt, &[4, 3, 3, 3])?,
                None,
                &p,
                &[9, 8],
            )
        });
        let mut w = Window::new(&[3, 3], &[2, 2], &[1, 1]);
        w.cover_all = true;
        cpu_gpu_allclose(g, tol, |d| {
            Ok(pool::max_pooling(&sample(d, dt, &[2, 3, 9, 8])?, &w)?.0)
        });
        cpu_gpu_allclose(g, 0.0, |d| {
            Ok(pool::max_pooling(&sample(d, dt, &[2, 3, 9, 8])?, &w)?.1)
        });
        cpu_gpu_allclose(g, tol, |d| {
            let (_, idx) = pool::max_pooling(&sample(d, dt, &[2, 3, 9, 8])?, &w)?;
            pool::max_pooling_scatter(&sample(d, dt, idx.shape())?, &idx, &w, &[9, 8])
        });
        for div in [PoolDivisor::WindowSize, PoolDivisor::Valid] {
            cpu_gpu_allclose(g, tol, |d| {
                pool::average_pooling(&sample(d, dt, &[2, 3, 9, 8])?, &w, div)
            });
            cpu_gpu_allclose(g, tol, |d| {
                pool::average_pooling_grad(&sample(d, dt, &[2, 3, 5, 5])?, &w, &[9, 8], div)
            });
        }
    }
}

/// The generator's draws on the device: `random` bit for bit as on the
/// CPU from the same state, `uniform` and normals within rounding, and the
/// counter advanced alike.
#[test]
fn random_draws_match_the_cpu_stream() {
    use crate::ops::random::Generator;
    let Some(g) = gpu() else { return };
    for dt in [DType::F64, DType::F32, DType::F16, DType::BF16] {
        let (mut cpu, mut dev) = (Generator::new(5), Generator::new(5));
        let a = cpu.random(&[1001], dt).unwrap();
        let b = dev.random_on(&[1001], dt, g).unwrap();
        assert_eq!(b.device(), g);
        let v = |x: &Array| {
            x.to_cpu()
                .unwrap()
                .astype(DType::F64)
                .unwrap()
                .to_vec::<f64>()
                .unwrap()
        };
        assert_eq!(v(&b), v(&a), "random {dt}");
        let tol = if dt == DType::F64 { 1e-14 } else { 1e-2 };
        close(
            &v(&dev.uniform_on(-1.0, 3.0, &[777], dt, g).unwrap()),
            &v(&cpu.uniform(-1.0, 3.0, &[777], dt).unwrap()),
            tol,
        );
        close(
            &v(&dev.standard_normal_on(&[555], dt, g).unwrap()),
            &v(&cpu.standard_normal(&[555], dt).unwrap()),
            tol,
        );
        assert_eq!(dev.state(), cpu.state());
    }
}

/// `var`/`std` and `cumsum`/`cumprod` on the device against the CPU.
#[test]
fn var_and_cumulative_match_the_cpu() {
    let Some(g) = gpu() else { return };
    for dt in [DType::F32, DType::F64, DType::I32] {
        cpu_gpu_allclose(g, 1e-6, |d| {
            sample(d, dt, &[3, 5, 4])?.var(Some(&[0, 2]), 1, true)
        });
        cpu_gpu_allclose(g, 1e-6, |d| sample(d, dt, &[3, 5, 4])?.std(None, 0, false));
        cpu_gpu_allclose(g, 1e-6, |d| sample(d, dt, &[3, 5, 4])?.cumsum(Some(1)));
        cpu_gpu_allclose(g, 1e-6, |d| sample(d, dt, &[3, 5, 4])?.cumprod(None));
    }
}

/// `take_along_axis` (gather kernel) and digamma/trigamma on the device.
#[test]
fn take_along_axis_and_polygamma_match_the_cpu() {
    let Some(g) = gpu() else { return };
    let idx = Array::from_vec(vec![2i64, -1, 0, 1, 3, -4], &[3, 2]).unwrap();
    cpu_gpu_allclose(g, 0.0, |d| {
        sample(d, DType::F32, &[3, 4])?.take_along_axis(&idx.to_device(d)?, 1)
    });
    for dt in [DType::F32, DType::F64] {
        cpu_gpu_allclose(g, 1e-6, |d| {
            crate::ops::special::digamma(&sample(d, dt, &[23])?)
        });
        cpu_gpu_allclose(g, 1e-6, |d| {
            crate::ops::special::trigamma(&sample(d, dt, &[23])?)
        });
    }
}

/// `sort`/`argsort` (the bitonic network) on the device: the stable CPU
/// order exactly, ties and a non-power-of-two row length included.
#[test]
fn sort_matches_the_cpu() {
    let Some(g) = gpu() else { return };
    for dt in [DType::F32, DType::F64, DType::I32, DType::F16] {
        cpu_gpu_allclose(g, 0.0, |d| sample(d, dt, &[7, 300])?.sort(Some(-1)));
        cpu_gpu_allclose(g, 0.0, |d| sample(d, dt, &[7, 300])?.argsort(Some(0)));
        cpu_gpu_allclose(g, 0.0, |d| sample(d, dt, &[5000])?.argsort(None));
    }
}

/// `searchsorted` (binary-search kernel) on the device, both sides.
#[test]
fn searchsorted_matches_the_cpu() {
    let Some(g) = gpu() else { return };
    for right in [false, true] {
        cpu_gpu_allclose(g, 0.0, |d| {
            let hay = sample(d, DType::F32, &[40])?.sort(None)?;
            crate::ops::sort::searchsorted(&hay, &sample(d, DType::F32, &[3, 7])?, right)
        });
    }
}

/// `unique` (sort, group starts, cumulative sum, binary searches) and
/// `bincount` (sort, binary searches, per-bin sums) on the device.
#[test]
fn unique_and_bincount_match_the_cpu() {
    let Some(g) = gpu() else { return };
    for dt in [DType::F32, DType::I32] {
        for part in 0..4 {
            cpu_gpu_allclose(g, 0.0, |d| {
                // 23 values (fewer once truncated to int32), so groups repeat.
                let a = sample(d, dt, &[6, 50])?;
                let u = crate::ops::sort::unique_with(&a, true, true, true)?;
                Ok([Some(u.values), u.index, u.inverse, u.counts][part]
                    .clone()
                    .expect("asked for"))
            });
        }
    }
    cpu_gpu_allclose(g, 0.0, |d| {
        // Integers 0..=20.
        let x = sample(d, DType::F32, &[500])?
            .mul(4.0)?
            .add(10.0)?
            .astype(DType::I64)?;
        crate::ops::sort::bincount(&x, None, 3)
    });
    cpu_gpu_allclose(g, 0.0, |d| {
        // Integers 0..=20.
        let x = sample(d, DType::F32, &[500])?
            .mul(4.0)?
            .add(10.0)?
            .astype(DType::I64)?;
        crate::ops::sort::bincount(&x, Some(&sample(d, DType::F64, &[500])?), 0)
    });
}

/// `inv`/`det` of device arrays (eliminated on the host) come back on the
/// device with the CPU's values.
#[test]
fn inv_and_det_return_on_the_device() {
    let Some(g) = gpu() else { return };
    let m = |d: Device| -> crate::Result<Array> {
        // Diagonally dominant, so every matrix of the batch is invertible.
        let v: Vec<f64> = (0..3 * 16)
            .map(|i| {
                if i % 5 == 0 {
                    9.0
                } else {
                    ((i * 7) % 5) as f64 - 2.0
                }
            })
            .collect();
        Array::from_vec(v, &[3, 4, 4])?.to_device(d)
    };
    cpu_gpu_allclose(g, 0.0, |d| crate::ops::linalg::inv(&m(d)?));
    cpu_gpu_allclose(g, 0.0, |d| crate::ops::linalg::det(&m(d)?));
    // nonzero's indices, likewise found on the host, come back there too.
    for axis in 0..2 {
        cpu_gpu_allclose(g, 0.0, |d| {
            Ok(sample(d, DType::F32, &[7, 9])?.nonzero()?.swap_remove(axis))
        });
    }
}

/// `assign_at` (`a[index] = value`) on the device: a strided selection,
/// a broadcast value cast from another dtype.
#[test]
fn assign_at_matches_the_cpu() {
    use crate::SliceArg;
    let Some(g) = gpu() else { return };
    cpu_gpu_allclose(g, 0.0, |d| {
        let mut a = sample(d, DType::F32, &[6, 9])?;
        let v = sample(d, DType::F64, &[1, 3])?;
        a.assign_at(&[SliceArg::range(1, 6, 2), SliceArg::range(0, 9, 3)], &v)?;
        Ok(a)
    });
}

/// Mixing a host and a device array is an error naming the operation,
/// never a panic, whichever side each is on (`binary_out` into a device
/// `out`, `+=` of a device operand into a host target, `scatter_add` of
/// device values into a host array); `fill` works on a device array.
#[test]
fn mixed_devices_are_errors_not_panics() {
    let Some(g) = gpu() else { return };
    let host = sample(Device::Cpu, DType::F32, &[4]).unwrap();
    let dev = sample(g, DType::F32, &[4]).unwrap();
    let mut out = Array::zeros_on(&[4], DType::F32, g).unwrap();
    let e = crate::ops::ufunc::binary_out(crate::ops::ufunc::BinaryOp::Add, &host, &host, &mut out);
    assert!(e.is_err());
    let mut target = host.clone();
    assert!(
        crate::ops::ufunc::binary_inplace(crate::ops::ufunc::BinaryOp::Add, &mut target, &dev)
            .is_err()
    );
    let idx = Array::from_vec(vec![0i64, 1, 1, 3], &[4]).unwrap();
    let mut acc = Array::zeros(&[4], DType::F32).unwrap();
    assert!(acc.scatter_add(&idx, &dev, 0).is_err());
    cpu_gpu_allclose(g, 0.0, |d| {
        let mut a = sample(d, DType::F32, &[3, 2])?;
        a.fill(2.5)?;
        Ok(a)
    });
}
