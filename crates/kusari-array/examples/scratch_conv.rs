use kusari_array::ops::conv::*;
use kusari_array::ops::random::Generator;
use kusari_array::{Array, DType};
use std::time::Instant;

fn best(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut b = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        f();
        b = b.min(t.elapsed().as_secs_f64() * 1e3);
    }
    b
}

fn main() {
    if std::env::var("PROBE").is_ok() {
        gemm_probe();
        return;
    }
    if std::env::var("PROBE2").is_ok() {
        probe2();
        return;
    }
    if let Ok(which) = std::env::var("ONLY") {
        let mut r = Generator::new(0);
        let p = ConvParams {
            stride: vec![1, 1],
            pad: vec![0, 0],
            dilate: vec![1, 1],
            cover_all: false,
            groups: 1,
        };
        let x = r.standard_normal(&[100, 20, 12, 12], DType::F32).unwrap();
        let w = r.standard_normal(&[50, 20, 5, 5], DType::F32).unwrap();
        let gy = r.standard_normal(&[100, 50, 8, 8], DType::F32).unwrap();
        for _ in 0..300 {
            match which.as_str() {
                "fwd" => {
                    convolution(&x, &w, None, &p).unwrap();
                }
                "gx" => {
                    convolution_transpose(&gy, &w, None, &p, &[12, 12]).unwrap();
                }
                _ => {
                    convolution_grad_weight(&x, &gy, &[5, 5], &p).unwrap();
                }
            }
        }
        return;
    }
    let mut r = Generator::new(0);
    let p = ConvParams {
        stride: vec![1, 1],
        pad: vec![0, 0],
        dilate: vec![1, 1],
        cover_all: false,
        groups: 1,
    };
    for (n, c, h, o) in [(100usize, 20usize, 12usize, 50usize), (100, 1, 28, 20)] {
        let x = r.standard_normal(&[n, c, h, h], DType::F32).unwrap();
        let w = r.standard_normal(&[o, c, 5, 5], DType::F32).unwrap();
        let b = r.standard_normal(&[o], DType::F32).unwrap();
        let gy = r
            .standard_normal(&[n, o, h - 4, h - 4], DType::F32)
            .unwrap();
        let f = best(20, || {
            convolution(&x, &w, Some(&b), &p).unwrap();
        });
        let gx = best(20, || {
            convolution_transpose(&gy, &w, None, &p, &[h, h]).unwrap();
        });
        let gw = best(20, || {
            convolution_grad_weight(&x, &gy, &[5, 5], &p).unwrap();
        });
        let win = Window::new(&[5, 5], &[1, 1], &[0, 0]);
        let ic = best(20, || {
            im2col(&x, &win, 0.0).unwrap();
        });
        let col = im2col(&x, &win, 0.0).unwrap();
        let ci = best(20, || {
            col2im(&col, &win, &[h, h]).unwrap();
        });
        println!("im2col {ic:.3} col2im {ci:.3}");
        println!(
            "n{n} c{c} o{o}: fwd {f:.3} gx {gx:.3} gw {gw:.3} total {:.3}",
            f + gx + gw
        );
    }
    let _ = Array::zeros(&[1], DType::F32);
}

#[allow(dead_code)]
pub fn gemm_probe() {
    for (m, n, k) in [
        (50usize, 64usize, 500usize),
        (50, 512, 500),
        (50, 3200, 500),
        (500, 64, 50),
        (500, 512, 50),
        (50, 500, 64),
        (50, 500, 512),
        (20, 576, 25),
        (20, 4608, 25),
    ] {
        let a = vec![1.0f32; m * k];
        let b = vec![1.0f32; k * n];
        let mut c = vec![0.0f32; m * n];
        let reps = (2e8 / (2.0 * (m * n * k) as f64)) as usize + 1;
        let t = best(5, || {
            for _ in 0..reps {
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        c.as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        a.as_ptr(),
                        1,
                        k as isize,
                        b.as_ptr(),
                        1,
                        n as isize,
                        0.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
            }
        }) / reps as f64;
        println!(
            "gemm {m}x{n}x{k}: {:.1} GF/s ({:.4} ms)",
            2.0 * (m * n * k) as f64 / t / 1e6,
            t
        );
    }
}

// (m, n, k, dst rs, dst cs, lhs rs, lhs cs, rhs rs, rhs cs)
pub fn probe2() {
    let cases: [(&str, [isize; 9]); 12] = [
        (
            "gw C (rhs colT row-major)",
            [50, 500, 64, 500, 1, 64, 1, 500, 1],
        ),
        (
            "gw D (lhs gy^T... colT^T dst)",
            [500, 50, 64, 50, 1, 1, 500, 1, 64],
        ),
        ("gw A k512", [50, 500, 512, 500, 1, 512, 1, 1, 512]),
        ("gw B k512", [500, 50, 512, 1, 500, 512, 1, 1, 512]),
        ("fwd A n512", [50, 512, 500, 512, 1, 500, 1, 512, 1]),
        ("gx A n512", [500, 512, 50, 512, 1, 1, 500, 512, 1]),
        (
            "gw A (row-major dst, rhs col^T)",
            [50, 500, 64, 500, 1, 64, 1, 1, 64],
        ),
        (
            "gw B (transposed problem)",
            [500, 50, 64, 1, 500, 64, 1, 1, 64],
        ),
        ("fwd A", [50, 64, 500, 64, 1, 500, 1, 64, 1]),
        ("fwd B (transposed)", [64, 50, 500, 1, 64, 1, 64, 1, 500]),
        ("gx A", [500, 64, 50, 64, 1, 1, 500, 64, 1]),
        ("gx B", [64, 500, 50, 1, 64, 1, 64, 500, 1]),
    ];
    for (name, [m, n, k, drs, dcs, lrs, lcs, rrs, rcs]) in cases {
        let (m, n, k) = (m as usize, n as usize, k as usize);
        let a = vec![1.0f32; m * k];
        let b = vec![1.0f32; k * n];
        let mut c = vec![0.0f32; m * n];
        let reps = 400;
        let t = best(5, || {
            for _ in 0..reps {
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        c.as_mut_ptr(),
                        dcs,
                        drs,
                        false,
                        a.as_ptr(),
                        lcs,
                        lrs,
                        b.as_ptr(),
                        rcs,
                        rrs,
                        0.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
            }
        }) / reps as f64;
        println!("{name}: {:.1} GF/s", 2.0 * (m * n * k) as f64 / t / 1e6);
    }
}
