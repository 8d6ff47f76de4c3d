//! Per-operation overhead of the recorded graph on tiny arrays: a chain of
//! `n` operations alternating `x * 1.0001` and `x + x0` on shape (1,) float32,
//! then backward. Prints one JSON line with microseconds per operation
//! (forward with recording plus its share of backward), best of 5 runs.
//!
//! `cargo run --release --example bench_autograd -- [n]`

use kusari::array::{Array, DType};
use kusari::Variable;
use std::time::Instant;

fn chain(n: usize) -> kusari::Result<f64> {
    let x0 = Variable::new(Array::ones(&[1], DType::F32)?);
    let t = Instant::now();
    let mut x = x0.clone();
    for i in 0..n {
        x = if i % 2 == 0 { &x * 1.0001 } else { &x + &x0 };
    }
    x.backward()?;
    let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    assert!(x0.grad().is_some());
    drop(x);
    Ok(us)
}

fn main() -> kusari::Result<()> {
    // As in bench_train: this thread is one of the pool's workers.
    kusari::array::threads::init_thread_pool(None)?;
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    chain(n)?; // warm-up
    let best = (0..5)
        .map(|_| chain(n))
        .collect::<kusari::Result<Vec<f64>>>()?
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    println!("{{\"framework\": \"kusari\", \"ops\": {n}, \"us_per_op\": {best:.3}}}");
    Ok(())
}
