//! The benchmark of the original CuPy announcement:
//! `a = arange(1_000_000).reshape(1000, -1); b = a.T * 2`, 1000 calls after a warm-up.
//!
//! `cargo run --release --example seed_benchmark -- [--json] [--no-pool] [--device cpu|cuda:N] [--iterations N]`

use kusari_array::memory::host_pool;
use kusari_array::{Array, Device};
use std::time::Instant;

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut json = false;
    let mut pool = true;
    let mut device = Device::Cpu;
    let mut iterations = 1000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--no-pool" => pool = false,
            "--device" => device = Device::parse(&args.next().ok_or("--device needs a value")?)?,
            "--iterations" => iterations = args.next().ok_or("--iterations needs a value")?.parse()?,
            other => return Err(format!("unknown argument {other:?}; expected --json, --no-pool, --device D, --iterations N").into()),
        }
    }
    host_pool().set_enabled(pool);
    let a = Array::arange(1_000_000)?
        .reshape(&[1000, -1])?
        .to_device(device)?;
    let step = || -> kusari_array::Result<Array> { a.t().multiply(2) };
    for _ in 0..10 {
        step()?;
    }
    let t0 = Instant::now();
    let mut checksum = 0i64;
    for _ in 0..iterations {
        let b = step()?;
        checksum = checksum.wrapping_add(b.get::<i64>(&[999, 1])?);
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    // b[999, 1] == a[1, 999] * 2 == 3998: keeps the work observable.
    assert_eq!(checksum, 3998 * iterations as i64);
    if json {
        println!("{{\"device\": \"{device}\", \"iterations\": {iterations}, \"ms\": {ms:.3}, \"pool\": {pool}}}");
    } else {
        println!("seed benchmark on {device}: {iterations} x (arange(1e6).reshape(1000, -1).T * 2) in {ms:.1} ms (host pool {})", if pool { "on" } else { "off" });
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("seed_benchmark: {e}");
        std::process::exit(1);
    }
}
