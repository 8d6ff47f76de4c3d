//! The benchmark of the original CuPy announcement, timed as CuPy timed it:
//! each call runs the whole `test(xp)`,
//! `a = xp.arange(1000000).reshape(1000, -1); return a.T * 2`, and the
//! calls are repeated (1000 by default) after a warm-up.
//!
//! ```text
//! cargo run --release -p kusari-array --example seed_benchmark -- \
//!     [--device cpu|cuda:N] [--no-pool] [--calls N] [--json]
//! ```
//!
//! `--no-pool` switches kusari's caching host pool off (the same as
//! `KUSARI_HOST_POOL=0`). `scripts/seed_benchmark.sh` runs the same
//! function in NumPy and prints the ratio; figures are in `docs/BENCHMARKS.md`.

use kusari_array::memory::host_pool;
use kusari_array::{Array, Device};
use std::time::Instant;

struct Args {
    device: Device,
    pool: bool,
    calls: usize,
    json: bool,
}

const USAGE: &str = "usage: seed_benchmark [--device cpu|cuda:N] [--no-pool] [--calls N] [--json]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        device: Device::Cpu,
        pool: true,
        calls: 1000,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--json" => a.json = true,
            "--no-pool" => a.pool = false,
            "-h" | "--help" => return Err(USAGE.into()),
            "--device" | "--calls" | "--iterations" => {
                let value = it
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
                if flag == "--device" {
                    a.device = Device::parse(&value).map_err(|e| format!("{e}\n{USAGE}"))?;
                } else {
                    a.calls = value.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        format!("{flag}: expected a positive count, found {value:?}\n{USAGE}")
                    })?;
                }
            }
            _ => return Err(format!("unknown flag {flag:?}\n{USAGE}")),
        }
    }
    Ok(a)
}

/// CuPy's `test(xp)`, on `device`.
fn test(device: Device) -> kusari_array::Result<Array> {
    let a = Array::arange(1_000_000)?
        .reshape(&[1000, -1])?
        .to_device(device)?;
    a.t().multiply(2)
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    host_pool().set_enabled(args.pool);
    let on_gpu = args.device != Device::Cpu;
    // On a GPU the benchmark is CuPy's as its authors timed it on one: `a`
    // lives on the device and each call is `a.T * 2`, queued without a
    // per-call synchronization (scripts/seed_benchmark_cupy.py does the same).
    let a_dev = if on_gpu {
        kusari_array::cuda::memory_pool(args.device)?.set_enabled(args.pool);
        Some(
            Array::arange(1_000_000)?
                .reshape(&[1000, -1])?
                .to_device(args.device)?,
        )
    } else {
        None
    };
    let step = || match &a_dev {
        Some(a) => a.t().multiply(2),
        None => test(args.device),
    };
    for _ in 0..10 {
        step()?;
    }
    if on_gpu {
        kusari_array::cuda::synchronize(args.device)?;
    }
    let t0 = Instant::now();
    let mut checksum = 0i64;
    for i in 0..args.calls {
        let b = step()?;
        // b[999, 1] == a[1, 999] * 2 == 3998: reading it keeps the work
        // observable (on a GPU only the last call's, as reading synchronizes).
        if !on_gpu || i + 1 == args.calls {
            checksum = checksum.wrapping_add(b.get::<i64>(&[999, 1])?);
        }
    }
    if on_gpu {
        kusari_array::cuda::synchronize(args.device)?;
        checksum *= args.calls as i64;
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    if checksum != 3998 * args.calls as i64 {
        return Err(format!(
            "wrong result: expected the sum of b[999, 1] to be {}, found {checksum}",
            3998 * args.calls as i64
        )
        .into());
    }
    let per_call = ms / args.calls as f64;
    let pool = if args.pool { "on" } else { "off" };
    if args.json {
        println!(
            "{{\"device\": \"{}\", \"calls\": {}, \"ms\": {ms:.3}, \"ms_per_call\": {per_call:.5}, \"pool\": {}}}",
            args.device, args.calls, args.pool
        );
    } else {
        println!(
            "seed benchmark on {}: {} calls of arange(1e6).reshape(1000, -1).T * 2 in {ms:.1} ms, \
             {per_call:.4} ms per call (host pool {pool})",
            args.device, args.calls
        );
    }
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("seed_benchmark: {e}");
        std::process::exit(1);
    }
}
