//! Timings of the workloads that `scripts/bench_vs_numpy.sh` compares with
//! NumPy, one JSON line each: `{"name": ..., "iterations": ..., "ms_per_iter": ...}`.
//! Each workload mirrors a line of `scripts/bench_numpy.py` exactly.

use kusari_array::memory::host_pool;
use kusari_array::ops::linalg::matmul;
use kusari_array::{Array, DType, Result};
use std::time::Instant;

fn time(name: &str, iterations: usize, mut f: impl FnMut() -> Result<Array>) -> Result<()> {
    for _ in 0..iterations.div_ceil(10).max(2) {
        f()?;
    }
    let t0 = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(f()?);
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3 / iterations as f64;
    println!("{{\"name\": \"{name}\", \"iterations\": {iterations}, \"ms_per_iter\": {ms:.5}}}");
    Ok(())
}

fn main() -> Result<()> {
    let only: Option<String> = std::env::args().nth(1);
    let want = |n: &str| only.as_deref().is_none_or(|o| n.starts_with(o));
    let a = Array::arange(1_000_000)?.reshape(&[1000, -1])?;
    if want("seed") {
        time("seed", 1000, || a.t().multiply(2))?;
        host_pool().set_enabled(false);
        time("seed_no_pool", 1000, || a.t().multiply(2))?;
        host_pool().set_enabled(true);
    }
    let x = Array::arange(1_000_000)?.astype(DType::F32)?;
    let y = Array::ones(&[1_000_000], DType::F32)?;
    if want("add") {
        time("add_f32_1m", 1000, || x.add(&y))?;
    }
    let m = x.reshape(&[1000, 1000])?;
    if want("sum") {
        time("sum_axis0_f32_1000x1000", 500, || m.sum(Some(&[0]), false))?;
        time("sum_axis1_f32_1000x1000", 500, || m.sum(Some(&[1]), false))?;
        time("sum_all_f32_1m", 500, || x.sum(None, false))?;
    }
    if want("matmul") {
        let p = Array::ones(&[1024, 1024], DType::F32)?;
        let q = Array::ones(&[1024, 1024], DType::F32)?;
        time("matmul_f32_1024", 10, || matmul(&p, &q))?;
    }
    Ok(())
}
