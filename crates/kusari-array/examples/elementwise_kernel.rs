//! The seed's user kernel and an L2-norm ReductionKernel, on the CPU by
//! default; `--device cuda:0` tries the GPU and prints why it cannot run
//! where no GPU or CUDA backend is present.
//!
//! `cargo run -p kusari-array --release --example elementwise_kernel [-- --device cuda:0]`
use kusari_array::{Array, Device, ElementwiseKernel, ReductionKernel, Result};

fn run(device: Device) -> Result<()> {
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?.to_device(device)?;
    let y = Array::from_vec(vec![10.0f32, 20.0, 30.0], &[3])?.to_device(device)?;
    let k = ElementwiseKernel::new(
        "float32 x, float32 y",
        "float32 z",
        "z = x + 2 * y;",
        "my_kernel",
    )?;
    let z = k.call(&[&x, &y])?;
    println!("z = x + 2 * y:\n{z}");
    let l2 = ReductionKernel::new(
        "T x",
        "T y",
        "x * x",
        "a + b",
        "y = sqrt(a)",
        Some("0"),
        "l2norm",
    )?;
    println!("l2norm(x, axis=1) = {}", l2.call(&[&x], Some(&[1]), false)?);
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let device = match args.iter().position(|a| a == "--device") {
        Some(i) => args.get(i + 1).map(String::as_str).unwrap_or("cpu"),
        None => "cpu",
    };
    let result = Device::parse(device).and_then(run);
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
