//! Helpers of the activation/math/noise/evaluation tests: gradient checks in
//! float32 and float64 with the tolerances of `functions_gradcheck.rs`, and
//! replaying Chainer fixture cases (forward values and input gradients).
#![allow(dead_code)]

use crate::common::{array, arrays, assert_close};
use kusari::array::ops::random::Generator;
use kusari::array::{Array, DType};
use kusari::gradient_check::{check_backward, check_double_backward, CheckOptions};
use kusari::{Result, Variable};
use serde_json::Value;

pub type Func = dyn Fn(&[Variable]) -> Result<Vec<Variable>>;

fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Float32: atol 1e-3 / rtol 1e-2 (Chainer's practice); float64: the defaults.
pub fn opts(dtype: DType, seed: u64, second: bool) -> CheckOptions {
    let o = if second {
        CheckOptions::double_backward()
    } else {
        CheckOptions::default()
    };
    let o = CheckOptions { seed, ..o };
    match dtype {
        DType::F32 => o.tol(1e-3, 1e-2),
        _ => o,
    }
}

/// `check_backward` and (unless `first_only`) `check_double_backward` of `f` at `inputs`.
pub fn gradcheck_with(name: &str, f: &Func, inputs: &[Array], first_only: bool) {
    let dtype = inputs[0].dtype();
    let seed = seed_of(name);
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let ys = f(&xs).unwrap_or_else(|e| panic!("{name} ({dtype}): forward failed: {e}"));
    let mut rng = Generator::new(seed);
    let gys: Vec<Array> = ys
        .iter()
        .map(|y| rng.standard_normal(&y.shape(), y.dtype()).unwrap())
        .collect();
    let ggxs: Vec<Array> = inputs
        .iter()
        .map(|x| rng.standard_normal(x.shape(), x.dtype()).unwrap())
        .collect();
    check_backward(f, inputs, Some(&gys), &opts(dtype, seed, false))
        .unwrap_or_else(|e| panic!("{name} ({dtype}): check_backward: {e}"));
    if !first_only {
        check_double_backward(f, inputs, &gys, &ggxs, &opts(dtype, seed, true))
            .unwrap_or_else(|e| panic!("{name} ({dtype}): check_double_backward: {e}"));
    }
}

/// [`gradcheck_with`] with both orders.
pub fn gradcheck(name: &str, f: &Func, inputs: &[Array]) {
    gradcheck_with(name, f, inputs, false)
}

/// Uniform values in `[lo, hi)` of `shape` as `dtype`.
pub fn uniform(rng: &mut Generator, shape: &[usize], lo: f64, hi: f64, dtype: DType) -> Array {
    rng.uniform(lo, hi, shape, dtype).unwrap()
}

/// A transposed (non-contiguous) view with `shape`'s values reversed axes.
pub fn transposed(rng: &mut Generator, shape: &[usize], lo: f64, hi: f64, dtype: DType) -> Array {
    let rev: Vec<usize> = shape.iter().rev().copied().collect();
    uniform(rng, &rev, lo, hi, dtype).t()
}

/// Replays fixture `case`: runs `f` on its inputs, compares the outputs and,
/// when the case has them, the input gradients after backpropagating its
/// `grad_outputs`.
pub fn replay(name: &str, case: &Value, f: &Func) {
    let inputs: Vec<Array> = arrays(&case["inputs"])
        .into_iter()
        .map(|a| a.unwrap())
        .collect();
    let xs: Vec<Variable> = inputs.iter().map(|a| Variable::new(a.clone())).collect();
    let ys = f(&xs).unwrap_or_else(|e| panic!("{name}: {e}"));
    let outs = case["outputs"].as_array().unwrap();
    assert_eq!(ys.len(), outs.len(), "{name}: number of outputs");
    let tol = |d: DType| {
        if d == DType::F32 {
            (1e-5, 1e-4)
        } else {
            (1e-9, 1e-7)
        }
    };
    for (i, (y, e)) in ys.iter().zip(outs).enumerate() {
        let e = array(e);
        let (a, r) = tol(e.dtype());
        assert_close(&format!("{name} output {i}"), &y.array(), &e, a, r);
    }
    let gys = case.get("grad_outputs").map(arrays).unwrap_or_default();
    if gys.is_empty() || gys.iter().all(|g| g.is_none()) {
        return;
    }
    for (y, g) in ys.iter().zip(&gys) {
        if let Some(g) = g {
            y.set_grad(Some(g.clone()));
        }
    }
    let roots: Vec<Variable> = ys.clone();
    for y in &roots {
        if y.grad().is_some() {
            y.backward()
                .unwrap_or_else(|e| panic!("{name}: backward: {e}"));
        }
    }
    for (i, (x, e)) in xs.iter().zip(arrays(&case["grads"])).enumerate() {
        let Some(e) = e else { continue };
        let g = x
            .grad()
            .unwrap_or_else(|| panic!("{name}: no gradient for input {i}"));
        let (a, r) = tol(e.dtype());
        assert_close(&format!("{name} grad {i}"), &g, &e, a * 10.0, r * 10.0);
    }
}
