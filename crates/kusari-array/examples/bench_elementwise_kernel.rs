//! The seed's user kernel `z = x + 2 * y` against the built-in expression
//! `&x + &(&y * 2.0)` on 1M float32 elements, best of N runs each.
//!
//! `cargo run -p kusari-array --release --example bench_elementwise_kernel [-- N]`
use kusari_array::{Array, ElementwiseKernel, Result};
use std::time::{Duration, Instant};

fn best(runs: usize, mut f: impl FnMut() -> Result<Array>) -> Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f()?);
        best = best.min(t.elapsed());
    }
    Ok(best)
}

fn main() -> Result<()> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let n = 1 << 20;
    let x = Array::from_vec((0..n).map(|k| k as f32 * 1e-3).collect(), &[n])?;
    let y = Array::from_vec((0..n).map(|k| 1.0 - k as f32 * 1e-4).collect(), &[n])?;
    let k = ElementwiseKernel::new(
        "float32 x, float32 y",
        "float32 z",
        "z = x + 2 * y;",
        "my_kernel",
    )?;
    // Warm up: the first call compiles the IR and fills the memory pool.
    let a = k.call(&[&x, &y])?;
    let b = &x + &(&y * 2.0);
    assert_eq!(a.to_vec::<f32>()?, b.to_vec::<f32>()?);
    let t_kernel = best(runs, || k.call(&[&x, &y]))?;
    let t_ops = best(runs, || Ok(&x + &(&y * 2.0)))?;
    println!(
        "1M float32, best of {runs}, {} threads",
        rayon::current_num_threads()
    );
    println!(
        "ElementwiseKernel  z = x + 2 * y : {:>8.1} us",
        t_kernel.as_secs_f64() * 1e6
    );
    println!(
        "array ops   &x + &(&y * 2.0)     : {:>8.1} us",
        t_ops.as_secs_f64() * 1e6
    );
    println!(
        "kernel / ops = {:.2}",
        t_kernel.as_secs_f64() / t_ops.as_secs_f64()
    );
    Ok(())
}
