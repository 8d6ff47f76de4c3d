//! Per-call overhead of small elementwise ops and reductions (arrays of a few elements).
use kusari_array::{Array, DType, Result};
use std::time::Instant;
fn main() -> Result<()> {
    let a = Array::ones(&[4, 4], DType::F32)?;
    let b = Array::ones(&[4], DType::F32)?;
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(a.add(&b)?);
    }
    println!(
        "add (4,4)+(4,): {:.0} ns/call",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(a.multiply(2.0)?);
    }
    println!(
        "mul scalar: {:.0} ns/call",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(a.sum(Some(&[1]), false)?);
    }
    println!(
        "sum axis 1: {:.0} ns/call",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(a.exp()?);
    }
    println!(
        "exp: {:.0} ns/call",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    Ok(())
}
