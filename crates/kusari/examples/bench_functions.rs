//! Forward + backward time of the LeNet/MLP building blocks on MNIST-sized
//! batches (float32, batch 100): convolution_2d 1→20 on 28×28 and 20→50 on
//! 12×12 (5×5 kernels), max_pooling_2d 2×2 on their outputs, linear
//! 784→1000, the three bare gemms linear is made of (its floor), and the
//! overhead-bound ones: the lstm cell (batch 20, 200 units, backward from
//! `sum(c) + sum(h)`) and softmax_cross_entropy (100×10).
//! Every input requires a gradient; backward starts from a fixed random
//! output gradient. Prints one JSON line per case: best of `runs` after a warm-up.
//!
//! `cargo run --release --example bench_functions -- [runs]`

use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::functions as F;
use kusari::{Result, Variable};
use std::time::Instant;

fn best(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(best)
}

/// Forward of `f` on fresh variables for `inputs`, then backward from `gy`.
fn fwd_bwd(
    inputs: &[Array],
    gy: &Array,
    f: &dyn Fn(&[Variable]) -> Result<Variable>,
) -> Result<()> {
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let y = f(&xs)?;
    let g = Variable::constant(gy.clone());
    let refs: Vec<&Variable> = xs.iter().collect();
    let gx = kusari::grad(&[&y], &refs, Some(&[&g]), false)?;
    assert!(gx.iter().all(|g| g.is_some()));
    Ok(())
}

fn report(case: &str, ms: f64) {
    println!("{{\"framework\": \"kusari\", \"case\": \"{case}\", \"ms\": {ms:.4}}}");
}

fn main() -> Result<()> {
    // As in bench_train: this thread is one of the pool's workers.
    kusari::array::threads::init_thread_pool(None)?;
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut r = Generator::new(0);
    let mut normal = |s: &[usize]| r.standard_normal(s, DType::F32);
    let conv =
        |v: &[Variable]| F::convolution_2d(&v[0], &v[1], Some(&v[2]), &F::ConvArgs::default());
    let pool = |v: &[Variable]| F::max_pooling_2d(&v[0], &[2], None, &[0], true);

    let c1 = [
        normal(&[100, 1, 28, 28])?,
        normal(&[20, 1, 5, 5])?,
        normal(&[20])?,
    ];
    let g1 = normal(&[100, 20, 24, 24])?;
    report(
        "conv1 1->20 28x28",
        best(runs, || fwd_bwd(&c1, &g1, &conv))?,
    );
    let p1 = [normal(&[100, 20, 24, 24])?];
    let gp1 = normal(&[100, 20, 12, 12])?;
    report(
        "pool1 2x2 20x24x24",
        best(runs, || fwd_bwd(&p1, &gp1, &pool))?,
    );
    let c2 = [
        normal(&[100, 20, 12, 12])?,
        normal(&[50, 20, 5, 5])?,
        normal(&[50])?,
    ];
    let g2 = normal(&[100, 50, 8, 8])?;
    report(
        "conv2 20->50 12x12",
        best(runs, || fwd_bwd(&c2, &g2, &conv))?,
    );
    let p2 = [normal(&[100, 50, 8, 8])?];
    let gp2 = normal(&[100, 50, 4, 4])?;
    report(
        "pool2 2x2 50x8x8",
        best(runs, || fwd_bwd(&p2, &gp2, &pool))?,
    );

    let l = [
        normal(&[100, 784])?,
        normal(&[1000, 784])?,
        normal(&[1000])?,
    ];
    let gl = normal(&[100, 1000])?;
    let lin = |v: &[Variable]| F::linear(&v[0], &v[1], Some(&v[2]), 1);
    report(
        "linear 100x784->1000",
        best(runs, || fwd_bwd(&l, &gl, &lin))?,
    );
    // The floor: the three products alone (y = x W^T, gx = gy W, gW = gy^T x).
    let gemms = best(runs, || {
        let _y = l[0].matmul(&l[1].t())?;
        let _gx = gl.matmul(&l[1])?;
        let _gw = gl.t().matmul(&l[0])?;
        Ok(())
    })?;
    report("linear gemm floor", gemms);

    let c_prev = normal(&[20, 200])?;
    let gates = normal(&[20, 800])?;
    report(
        "lstm 20x200",
        best(runs, || {
            let (c0, x) = (Variable::new(c_prev.clone()), Variable::new(gates.clone()));
            let (c, h) = F::lstm(&c0, &x)?;
            (c.sum(None, false)? + h.sum(None, false)?).backward()
        })?,
    );
    let logits = normal(&[100, 10])?;
    let labels = Variable::constant(Generator::new(1).integers(0, 10, &[100], DType::I32)?);
    report(
        "softmax_cross_entropy 100x10",
        best(runs, || {
            F::softmax_cross_entropy(&Variable::new(logits.clone()), &labels)?.backward()
        })?,
    );
    Ok(())
}
